"""ReLU: the rectified linear unit."""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["ReLU"]


class ReLU(BaseLayer):
    """y = max(x, 0), as ``torch.nn.ReLU``.

    dy/dx = 1 where x > 0 and 0 elsewhere, including at the kink x = 0 (PyTorch's convention).
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._positive = x > 0
        return np.maximum(x, 0)

    def backward(self, grad: Array) -> Array:
        return grad * self._positive
