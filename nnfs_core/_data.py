"""Checking and casting the arrays handed to ``fit``, ``evaluate`` and ``predict``.

Every check runs before any weight changes, and every error names the argument and what was wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.errors import NNFSError, ShapeError

Array = np.ndarray[Any, Any]


class DataError(NNFSError, ValueError):
    """Training or evaluation data are unusable (empty, mismatched lengths, NaN, bad labels)."""


def as_inputs(x: Any, dtype: np.dtype[Any], name: str = "X") -> Array:
    """``x`` as an array of ``dtype`` (cast once, no copy when it already is), finite, non-empty.

    For an integer ``dtype`` (the ids an embedding takes, see ``BaseLayer.input_dtype``) ``x`` must hold
    integers that fit it: they are never routed through float, where 16,777,217 would become 16,777,216.
    """
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise DataError(f"{name} must be an array of numbers, got {type(x).__name__}: {error}") from error
    if array.dtype.kind not in "biuf":
        raise DataError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if array.ndim < 2:
        raise ShapeError(f"{name} must be batch first, (N, features...) - got shape {array.shape}; "
                         f"for a single feature use X.reshape(-1, 1), for a single sample X[None]")
    if array.shape[0] == 0:
        raise DataError(f"{name} is empty (shape {array.shape}): there is nothing to train on")
    if np.dtype(dtype).kind in "iu":
        return _as_integers(array, np.dtype(dtype), name)
    array = array.astype(dtype, copy=False)
    if not np.isfinite(array).all():
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise DataError(f"{name} contains {bad} NaN or infinite value(s); clean or impute them first")
    return array


def _as_integers(array: Array, dtype: np.dtype[Any], name: str) -> Array:
    if array.dtype.kind not in "biu":
        raise DataError(f"{name} holds {array.dtype} values, but the network's first layer takes integer input "
                        f"({dtype}); pass integers, e.g. {name}.astype('{dtype}')")
    if not np.can_cast(array.dtype, dtype):
        limits = np.iinfo(dtype)
        if array.min() < limits.min or array.max() > limits.max:
            raise DataError(f"{name} holds values outside the range of {dtype}, the first layer's input dtype")
    return array.astype(dtype, copy=False)


def as_targets(y: Any, n: int, dtype: np.dtype[Any], name: str = "y",
               output_shape: tuple[int, ...] | None = None) -> Array:
    """``y`` with ``n`` rows: integer class labels stay int64, everything else becomes ``dtype``.

    Labels are (N,), or one per step (N, L) for a network whose output per sample is (L, C) (a sequence of
    class scores); integer arrays of any other shape (one-hot rows) become ``dtype``.
    """
    array = np.asarray(y)
    if array.dtype.kind not in "biuf":
        raise DataError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if array.ndim == 0 or array.shape[0] != n:
        got = "a scalar" if array.ndim == 0 else f"{array.shape[0]} rows"
        raise DataError(f"X and {name} must have the same number of samples: X has {n} rows, {name} has {got}")
    per_step = output_shape is not None and len(output_shape) > 1 and tuple(array.shape[1:]) == tuple(output_shape[:-1])
    if array.dtype.kind in "biu" and (array.ndim == 1 or per_step):
        return array.astype(np.int64, copy=False)
    array = array.astype(dtype, copy=False)
    if not np.isfinite(array).all():
        raise DataError(f"{name} contains NaN or infinite values")
    return array


def check_batch_size(batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise DataError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    return int(batch_size)
