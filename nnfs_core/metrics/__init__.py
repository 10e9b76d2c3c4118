"""Metrics, looked up by name in the ``metrics`` registry and reported next to the loss.

A metric is called as ``metric(y_pred, y_true) -> float`` (the mean over the batch) and logged under its
``name``. ``resolve`` turns what a user passes to ``Network(metrics=[...])`` into one.

```python
import numpy as np
metric = resolve("accuracy")
metric.name, metric(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]))
```
('accuracy', 0.5)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nnfs_core.metrics._base import BaseMetric, FunctionMetric
from nnfs_core.metrics.accuracy import Accuracy
from nnfs_core.metrics.binary_accuracy import BinaryAccuracy
from nnfs_core.metrics.mae import MeanAbsoluteError
from nnfs_core.metrics.mse import MeanSquaredError
from nnfs_core.metrics.top_k_accuracy import TopKAccuracy

__all__ = [
    "BaseMetric",
    "FunctionMetric",
    "resolve",
    "Accuracy",
    "BinaryAccuracy",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "TopKAccuracy",
]


def resolve(spec: Any) -> Any:
    """A metric from a registered name, a ``{"name": ..., **arguments}`` dict, an instance, a class, or a plain
    function ``f(y_pred, y_true) -> float`` (wrapped in ``FunctionMetric``, logged under its ``__name__``).

    The result is callable as ``metric(y_pred, y_true)`` and has a ``name``. Unknown names raise
    ``ComponentNotFoundError`` listing the available ones.
    """
    from nnfs_core import registry

    if isinstance(spec, BaseMetric) or (callable(spec) and isinstance(getattr(spec, "name", None), str)):
        return spec
    if isinstance(spec, (str, Mapping, type)) or callable(spec):
        return registry.metrics.resolve(spec, wrap=FunctionMetric)
    raise TypeError(
        f"a metric is a name ('accuracy'), a config dict, a metric instance or a function f(y_pred, y_true); "
        f"got {spec!r}"
    )
