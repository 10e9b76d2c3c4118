"""Overflow-free building blocks shared by several activations (sigmoid, softplus).

Both are written around e = exp(-|x|), which lies in (0, 1] for every finite x, so neither overflows nor
loses the small tail values that ``1 / (1 + exp(-x))`` or ``log(1 + exp(x))`` would round away.
"""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array

__all__ = ["sigmoid", "sigmoid_and_softplus"]


def _exp_minus_abs(x: Array) -> Array:
    with np.errstate(under="ignore"):
        return np.exp(-np.abs(x))


def sigmoid(x: Array) -> Array:
    """1 / (1 + exp(-x)) as 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, e = exp(-|x|)."""
    e = _exp_minus_abs(x)
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def sigmoid_and_softplus(x: Array) -> tuple[Array, Array]:
    """(sigmoid(x), log(1 + exp(x))) from one exponential; softplus = max(x, 0) + log1p(exp(-|x|))."""
    e = _exp_minus_abs(x)
    return np.where(x >= 0, 1.0, e) / (1.0 + e), np.maximum(x, 0.0) + np.log1p(e)
