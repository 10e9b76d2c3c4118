"""MeanAbsoluteError: the mean of |y_pred - y_true|, as a metric."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.metrics._base import BaseMetric, matching_target
from nnfs_core.protocols import Array

__all__ = ["MeanAbsoluteError"]


class MeanAbsoluteError(BaseMetric):
    """mean(|y_pred - y_true|) over every element. Shapes: y_pred (N, ...), y_true the same ((N,) for (N, 1))."""

    def __call__(self, y_pred: Array, y_true: Any) -> float:
        y_pred = np.asarray(y_pred)
        diff = y_pred - matching_target("MeanAbsoluteError", y_pred, y_true)
        return float(np.mean(np.abs(diff, out=diff)))
