"""Tanh: the hyperbolic tangent."""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Tanh"]


class Tanh(BaseLayer):
    """y = tanh(x), as ``torch.nn.Tanh``.

    dy/dx = 1 - y^2, from the cached output.
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._y = np.tanh(x)
        return self._y

    def backward(self, grad: Array) -> Array:
        y = self._y
        return grad * (1.0 - y * y)
