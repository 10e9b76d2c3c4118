"""Turning classification targets into class indices, for Accuracy and TopKAccuracy."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core._data import DataError
from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array

__all__ = ["target_classes"]


def target_classes(owner: str, scores: Array, y_true: Any) -> Array:
    """Class indices (N,) from labels (N,) or one-hot/probability rows (N, C) (by argmax), for scores (N, C)."""
    y_true = np.asarray(y_true)
    n, classes = scores.shape
    if y_true.shape == (n, classes):
        return y_true.argmax(axis=1)
    if y_true.shape != (n,):
        raise ShapeError(
            f"{owner} needs class labels (N,) = ({n},) or one-hot/probability targets (N, C) = ({n}, {classes}) "
            f"for predictions of shape {scores.shape}, got targets of shape {y_true.shape}"
        )
    if y_true.size and (float(y_true.min()) < 0 or float(y_true.max()) >= classes):
        raise DataError(f"{owner}: class labels must lie in [0, {classes}) for {classes} class scores, got values in "
                        f"[{float(y_true.min()):g}, {float(y_true.max()):g}]")
    return y_true
