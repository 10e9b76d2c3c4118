"""Softsign: x / (1 + |x|)."""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Softsign"]


class Softsign(BaseLayer):
    """y = x / (1 + |x|), as ``torch.nn.Softsign``.

    dy/dx = 1 / (1 + |x|)^2, from the cached 1 / (1 + |x|) (not from 1 - |y|, which cancels for large |x|).
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._scale = 1 / (1 + np.abs(x))
        return x * self._scale

    def backward(self, grad: Array) -> Array:
        return grad * (self._scale * self._scale)
