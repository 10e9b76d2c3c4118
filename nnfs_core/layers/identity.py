"""Identity: passes its input through unchanged."""

from __future__ import annotations

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Identity"]


class Identity(BaseLayer):
    """y = x. Shapes: any (N, ...) -> the same."""

    def forward(self, x: Array, *, training: bool = False) -> Array:
        return x

    def backward(self, grad: Array) -> Array:
        return grad
