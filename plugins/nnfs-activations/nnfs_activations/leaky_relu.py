"""LeakyReLU: ReLU with a small slope for negative inputs."""

from __future__ import annotations

import numpy as np

from nnfs_activations._checks import check_real
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["LeakyReLU"]


class LeakyReLU(BaseLayer):
    """y = x for x > 0 and negative_slope * x otherwise, as ``torch.nn.LeakyReLU``.

    dy/dx = 1 for x > 0 and negative_slope otherwise, including at x = 0 (PyTorch's convention).
    Shapes: any (N, ...) -> the same; the dtype is kept.

    Parameters
    ----------
    negative_slope : float
        The slope for x <= 0.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_real("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._positive = x > 0
        return np.where(self._positive, x, x * self.negative_slope)

    def backward(self, grad: Array) -> Array:
        return np.where(self._positive, grad, grad * self.negative_slope)
