"""Sigmoid: the logistic function."""

from __future__ import annotations

from typing import Any

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Sigmoid"]


class Sigmoid(BaseLayer):
    """y = 1 / (1 + exp(-x)), as ``torch.nn.Sigmoid``, evaluated without overflow for any x.

    dy/dx = y (1 - y), from the output (the cache). Both passes are kernels of the network's ``ops``.
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        y = self.ops.sigmoid(x)
        return y, y

    def backward_pass(self, grad: Array, y: Any) -> Array:
        return self.ops.sigmoid_backward(grad, y)
