"""CELU: the continuously differentiable exponential linear unit."""

from __future__ import annotations

import numpy as np

from nnfs_activations._checks import check_real
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["CELU"]


class CELU(BaseLayer):
    """y = x for x > 0 and alpha * (exp(x / alpha) - 1) otherwise, as ``torch.nn.CELU``.

    dy/dx = 1 for x > 0 and exp(x / alpha) otherwise (1 at x = 0 from both sides).
    Shapes: any (N, ...) -> the same; the dtype is kept.

    Parameters
    ----------
    alpha : float
        A positive scale (Barron, 2017); alpha = 1 is ELU.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_real("CELU", "alpha", alpha, positive=True)

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._positive = x > 0
        self._scaled = np.minimum(x, 0) / self.alpha
        return np.where(self._positive, x, self.alpha * np.expm1(self._scaled))

    def backward(self, grad: Array) -> Array:
        return np.where(self._positive, grad, grad * np.exp(self._scaled))
