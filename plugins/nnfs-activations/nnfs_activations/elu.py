"""ELU: the exponential linear unit."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_number

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
        self.alpha = check_number("ELU", "alpha", alpha)

    def build_cost(self, input_shape: tuple[int, ...]) -> int:
        """Nothing is kept at build (``docs/writing-a-pack.md``, "Build cost")."""
        return 0

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        positive = x > 0
        # The exponentials only ever see min(x, 0), so they cannot overflow.
        negative = np.minimum(x, 0)
        return np.where(positive, x, self.alpha * np.expm1(negative)), (positive, negative)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        positive, negative = cache
        # alpha * exp(x) directly, not y + alpha, which cancels to an absolute error of eps * alpha in the tail.
        return np.where(positive, grad, grad * (self.alpha * np.exp(negative)))
