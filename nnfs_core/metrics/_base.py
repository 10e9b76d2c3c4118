"""What a metric is: a per-batch score that averages exactly over batches."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, _Configurable

__all__ = ["BaseMetric", "FunctionMetric", "matching_target"]


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class BaseMetric(_Configurable):
    """Base class for metrics: ``metric(y_pred, y_true) -> float``, the mean over the batch's samples.

    Being a mean over samples, the mean over a dataset is the batch-size-weighted mean of the batches'
    values, which is how ``fit`` and ``evaluate`` combine them. Subclasses implement ``__call__`` and store
    their constructor arguments under the same names.
    """

    def __call__(self, y_pred: Array, y_true: Array) -> float:
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__")

    @property
    def name(self) -> str:
        """The key in the logs: the registered name ("accuracy"), else the class name in snake_case."""
        cached: str | None = self.__dict__.get("_name")
        if cached is None:
            from nnfs_core import registry

            cached = registry.metrics.name_of(self) or _snake_case(type(self).__name__)
            self.__dict__["_name"] = cached  # looked up once: fit reads it on every batch
        return cached


class FunctionMetric(BaseMetric):
    """Wraps a plain function ``f(y_pred, y_true) -> float``; its logs key is the function's ``__name__``."""

    def __init__(self, function: Callable[[Array, Array], Any]) -> None:
        if not callable(function):
            raise TypeError(f"FunctionMetric needs a callable f(y_pred, y_true), got {function!r}")
        self.function = function

    def __call__(self, y_pred: Array, y_true: Array) -> float:
        return float(self.function(y_pred, y_true))

    @property
    def name(self) -> str:
        return str(getattr(self.function, "__name__", type(self.function).__name__))

    def __repr__(self) -> str:
        return f"FunctionMetric({self.name})"


def matching_target(owner: str, y_pred: Array, y_true: Any) -> Array:
    """``y_true`` shaped like ``y_pred``: equal shapes, or (N,) targets against (N, 1) predictions."""
    y_true = np.asarray(y_true)
    if y_true.shape == y_pred.shape:
        return y_true
    if y_true.ndim == 1 and y_pred.shape == (len(y_true), 1):
        return y_true.reshape(-1, 1)
    raise ShapeError(f"{owner} needs targets of the predictions' shape {y_pred.shape}, got {y_true.shape}")
