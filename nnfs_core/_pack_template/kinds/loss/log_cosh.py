"""LogCosh: a smooth regression loss, quadratic near zero and linear far from it."""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array, BaseLoss


class LogCosh(BaseLoss):
    """mean(log(cosh(y_pred - y_true))) over every element.

    Shapes: y_pred and y_true (N, ...) alike -> a float; the gradient tanh(y_pred - y_true) / size has
    y_pred's shape and dtype. Computed as |d| + log1p(exp(-2 |d|)) - log 2, which never overflows.
    """

    def forward(self, y_pred: Array, y_true: Array) -> float:
        difference = np.abs(y_pred - y_true)
        return float(np.mean(difference + np.log1p(np.exp(-2 * difference)) - np.log(2.0)))

    def backward(self, y_pred: Array, y_true: Array) -> Array:
        return (np.tanh(y_pred - y_true) / y_pred.size).astype(y_pred.dtype, copy=False)
