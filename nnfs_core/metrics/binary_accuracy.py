"""BinaryAccuracy: the fraction of thresholded predictions that match 0/1 targets."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.metrics._base import BaseMetric, matching_target
from nnfs_core.protocols import Array

__all__ = ["BinaryAccuracy"]


class BinaryAccuracy(BaseMetric):
    """mean((y_pred > threshold) == (y_true > 0.5)) over every element (multi-label outputs too).

    Use ``threshold=0.5`` for probabilities (a sigmoid output) and ``threshold=0.0`` for logits.
    Shapes: y_pred (N, ...), y_true the same ((N,) for (N, 1)).

    Parameters
    ----------
    threshold : float
        A prediction above it counts as the positive class.
    """

    def __init__(self, threshold: float = 0.5) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.floating, np.integer)):
            raise TypeError(f"BinaryAccuracy: threshold must be a number, got {threshold!r}")
        self.threshold = float(threshold)

    def __call__(self, y_pred: Array, y_true: Any) -> float:
        y_pred = np.asarray(y_pred)
        y_true = matching_target("BinaryAccuracy", y_pred, y_true)
        return float(np.mean((y_pred > self.threshold) == (y_true > 0.5)))
