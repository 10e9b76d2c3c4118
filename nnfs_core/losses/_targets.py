"""Target checks and conversions shared by the core's losses.

Two families: elementwise losses (MSE, MAE, Huber, BinaryCrossEntropy) compare ``y_true`` with ``y_pred``
element by element; classification losses (CrossEntropy, NLL) take class labels or probability rows.
Each error names the loss, what it expected and what it got.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core._data import DataError
from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array

__all__ = [
    "check_elementwise_target",
    "elementwise_target",
    "check_class_target",
    "class_labels",
    "class_scores",
    "is_labels",
]


def _per_sample(shape: tuple[int, ...]) -> str:
    return "(N" + "".join(f", {size}" for size in shape) + ")"


def check_elementwise_target(owner: str, output_shape: tuple[int, ...], y_true: Array) -> None:
    """Targets must have the output's shape; (N,) is also accepted for a single output per sample."""
    output_shape = tuple(output_shape)
    if tuple(y_true.shape[1:]) == output_shape or (y_true.ndim == 1 and output_shape == (1,)):
        return
    raise ShapeError(
        f"{owner} needs targets of shape {_per_sample(output_shape)} like the network's output, got targets of "
        f"shape {y_true.shape}"
    )


def elementwise_target(owner: str, y_pred: Array, y_true: Any) -> Array:
    """``y_true`` in ``y_pred``'s dtype and shape (no copy when it already is); (N,) against (N, 1) is reshaped.

    Broadcasting (N,) against (N, 1) silently builds an (N, N) matrix, so only that one reshape is done and
    every other mismatch raises.
    """
    y_true = np.asarray(y_true)
    if y_true.shape != y_pred.shape:
        if y_true.ndim == 1 and y_pred.shape == (len(y_true), 1):
            y_true = y_true.reshape(-1, 1)
        else:
            raise ShapeError(f"{owner} needs targets of the predictions' shape {y_pred.shape}, got {y_true.shape}")
    if y_pred.size == 0:
        raise ShapeError(f"{owner} got an empty batch of predictions (shape {y_pred.shape})")
    return y_true.astype(y_pred.dtype, copy=False)


def is_labels(y_true: Array) -> bool:
    """Integer (or bool) arrays are class labels; floating arrays are probability targets."""
    return y_true.dtype.kind in "biu"


def _check_scores(owner: str, what: str, shape: tuple[int, ...]) -> int:
    if len(shape) != 1:
        raise ShapeError(
            f"{owner} expects {what} of shape (N, C) - one score per class - but the network's output per sample "
            f"has shape {shape}; flatten it or add a Dense layer with C outputs"
        )
    return int(shape[0])


def check_class_target(
    owner: str, output_shape: tuple[int, ...], y_true: Array, *, what: str, probabilities: bool
) -> None:
    """Labels (N,) of ints in [0, C), or - when ``probabilities`` - float rows (N, C)."""
    classes = _check_scores(owner, what, tuple(output_shape))
    if is_labels(y_true):
        if y_true.ndim != 1:
            raise ShapeError(
                f"{owner} needs integer class labels of shape (N,), got an integer array of shape {y_true.shape}"
                + ("; one-hot rows (N, C) must be float" if probabilities else "")
            )
        class_labels(owner, y_true, classes)
        return
    if not probabilities:
        raise ShapeError(
            f"{owner} needs integer class labels of shape (N,), got {y_true.dtype} targets of shape "
            f"{y_true.shape}; cast labels with y.astype(np.int64)"
        )
    if y_true.ndim == 1:
        raise ShapeError(
            f"{owner} got float targets of shape {y_true.shape}: class labels must be integers "
            f"(y.astype(np.int64)) and probability targets must have shape (N, {classes})"
        )
    if tuple(y_true.shape[1:]) != (classes,):
        raise ShapeError(
            f"{owner} needs probability targets of shape (N, {classes}) to match the {classes} class scores, got "
            f"targets of shape {y_true.shape}"
        )


def class_labels(owner: str, y_true: Array, classes: int) -> Array:
    """Labels as an intp index array, after checking that every one lies in [0, classes)."""
    if y_true.size and (int(y_true.min()) < 0 or int(y_true.max()) >= classes):
        bad = y_true[(y_true < 0) | (y_true >= classes)]
        raise DataError(
            f"{owner}: class labels must lie in [0, {classes}) for {classes} class scores, got {bad.size} label(s) "
            f"outside, e.g. {int(bad[0])}"
        )
    return y_true.astype(np.intp, copy=False)


def class_scores(owner: str, y_pred: Array, y_true: Array, what: str) -> tuple[Array, int]:
    """Check that ``y_pred`` is (N, C) with N matching the targets; return it and N."""
    if y_pred.ndim != 2:
        raise ShapeError(f"{owner} expects {what} of shape (N, C), got an array of shape {y_pred.shape}")
    n = y_pred.shape[0]
    if n == 0:
        raise ShapeError(f"{owner} got an empty batch of {what} (shape {y_pred.shape})")
    if y_true.shape[:1] != (n,):
        raise ShapeError(f"{owner} got {n} rows of {what} but targets of shape {y_true.shape}")
    return y_pred, n
