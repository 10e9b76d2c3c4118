"""Sigmoid: the logistic function."""

from __future__ import annotations

from nnfs_activations._stable import sigmoid
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Sigmoid"]


class Sigmoid(BaseLayer):
    """y = 1 / (1 + exp(-x)), as ``torch.nn.Sigmoid``, evaluated without overflow for any x.

    dy/dx = y (1 - y), from the cached output.
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._y = sigmoid(x)
        return self._y

    def backward(self, grad: Array) -> Array:
        y = self._y
        return grad * (y * (1.0 - y))
