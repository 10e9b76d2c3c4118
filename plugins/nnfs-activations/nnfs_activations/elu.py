"""ELU: the exponential linear unit."""

from __future__ import annotations

import numpy as np

from nnfs_activations._checks import check_real
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["ELU"]


class ELU(BaseLayer):
    """y = x for x > 0 and alpha * (exp(x) - 1) otherwise, as ``torch.nn.ELU``.

    dy/dx = 1 for x > 0 and alpha * exp(x) otherwise, so alpha at x = 0 (PyTorch's convention).
    Shapes: any (N, ...) -> the same; the dtype is kept.

    Parameters
    ----------
    alpha : float
        The value y tends to, negated, as x -> -inf.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = check_real("ELU", "alpha", alpha)

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._positive = x > 0
        # The exponentials only ever see min(x, 0), so they cannot overflow.
        self._negative = np.minimum(x, 0)
        return np.where(self._positive, x, self.alpha * np.expm1(self._negative))

    def backward(self, grad: Array) -> Array:
        # alpha * exp(x) directly, not y + alpha, which cancels to an absolute error of eps * alpha in the tail.
        return np.where(self._positive, grad, grad * (self.alpha * np.exp(self._negative)))
