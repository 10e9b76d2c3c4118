"""Tanh: the hyperbolic tangent."""

from __future__ import annotations

from typing import Any

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Tanh"]


class Tanh(BaseLayer):
    """y = tanh(x), as ``torch.nn.Tanh``.

    dy/dx = 1 - y^2, from the output (the cache). Both passes are kernels of the network's ``ops``.
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        y = self.ops.tanh(x)
        return y, y

    def backward_pass(self, grad: Array, y: Any) -> Array:
        return self.ops.tanh_backward(grad, y)
