"""Accuracy: the fraction of samples whose predicted class is the target class."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.metrics._base import BaseMetric, matching_target
from nnfs_core.metrics._labels import target_classes
from nnfs_core.protocols import Array

__all__ = ["Accuracy"]


class Accuracy(BaseMetric):
    """mean(argmax(y_pred) == class of y_true) over the batch.

    Shapes: y_pred (N, C) logits or probabilities, C >= 2; y_true labels (N,) or one-hot/probability rows
    (N, C) (their argmax). Predictions (N,) or (N, 1) are binary: the class is ``y_pred > 0.5`` and the
    target's ``y_true > 0.5`` - for binary logits use ``BinaryAccuracy(threshold=0.0)``.

    Sequences: y_pred (N, L, C) with labels (N, L) - the fraction of steps predicted right; steps whose
    label is negative (padding, CrossEntropy's ``ignore_index`` -100) are left out.
    """

    def __call__(self, y_pred: Array, y_true: Any) -> float:
        y_pred = np.asarray(y_pred)
        if y_pred.ndim == 1 or y_pred.shape[1:] == (1,):
            y_true = matching_target("Accuracy", y_pred, y_true)
            return float(np.mean((y_pred > 0.5) == (y_true > 0.5)))
        if y_pred.ndim > 2 and np.shape(y_true) == y_pred.shape[:-1] and np.asarray(y_true).dtype.kind in "iu":
            return _per_step(y_pred, np.asarray(y_true))
        if y_pred.ndim != 2:
            raise ShapeError(f"Accuracy needs predictions (N, C) or (N,), got an array of shape {y_pred.shape}")
        return float(np.mean(y_pred.argmax(axis=1) == target_classes("Accuracy", y_pred, y_true)))


def _per_step(y_pred: Array, y_true: Array) -> float:
    """Accuracy over the steps of sequences whose label is not negative (padding)."""
    kept = y_true >= 0
    if not kept.any():
        return 0.0
    scores = y_pred[kept]
    return float(np.mean(scores.argmax(axis=1) == target_classes("Accuracy", scores, y_true[kept])))
