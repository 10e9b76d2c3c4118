"""CELU: the continuously differentiable exponential linear unit."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_positive

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
        self.alpha = check_positive("CELU", "alpha", alpha)

    def build_cost(self, input_shape: tuple[int, ...]) -> int:
        """Nothing is kept at build (``docs/writing-a-pack.md``, "Build cost")."""
        return 0

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        positive = x > 0
        scaled = np.minimum(x, 0) / self.alpha
        return np.where(positive, x, self.alpha * np.expm1(scaled)), (positive, scaled)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        positive, scaled = cache
        return np.where(positive, grad, grad * np.exp(scaled))
