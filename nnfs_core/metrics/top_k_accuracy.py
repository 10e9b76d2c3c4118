"""TopKAccuracy: the fraction of samples whose target class is among the k highest scores."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.metrics._base import BaseMetric
from nnfs_core.metrics._labels import target_classes
from nnfs_core.protocols import Array
from nnfs_core.validation import check_int

__all__ = ["TopKAccuracy"]


class TopKAccuracy(BaseMetric):
    """Fraction of samples whose target class scores among the ``k`` highest.

    A sample is a hit when fewer than ``k`` classes score strictly higher than the target class: one
    comparison pass over (N, C), no sort, and ties at the k-th place count in the sample's favour (as
    Keras's ``in_top_k``). With ``k >= C`` every sample is a hit.

    Shapes: y_pred (N, C) logits or probabilities; y_true labels (N,) or one-hot/probability rows (N, C).

    Parameters
    ----------
    k : int
        How many of the best classes count, >= 1.
    """

    def __init__(self, k: int = 5) -> None:
        self.k = check_int("TopKAccuracy", "k", k)

    def __call__(self, y_pred: Array, y_true: Any) -> float:
        y_pred = np.asarray(y_pred)
        if y_pred.ndim != 2:
            raise ShapeError(f"TopKAccuracy needs predictions (N, C), got an array of shape {y_pred.shape}")
        classes = target_classes("TopKAccuracy", y_pred, y_true).astype(np.intp)
        target_score = y_pred[np.arange(len(y_pred)), classes]
        higher = np.count_nonzero(y_pred > target_score[:, None], axis=1)
        hits = (higher < self.k) & ~np.isnan(target_score)
        return float(np.mean(hits))
