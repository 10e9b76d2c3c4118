"""SiLU (swish): x times its own sigmoid."""

from __future__ import annotations

from typing import Any

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["SiLU"]


class SiLU(BaseLayer):
    """y = x * sigmoid(x), as ``torch.nn.SiLU``; also registered as ``swish``.

    dy/dx = s + x s (1 - s) = s (1 + x (1 - s)) with s = sigmoid(x), cached by the forward pass.
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        s = self.ops.sigmoid(x)
        return x * s, (x, s)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        x, s = cache
        return grad * (s * (1.0 + x * (1.0 - s)))
