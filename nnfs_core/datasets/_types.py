"""The shape of what a dataset loader returns."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy.typing as npt


class Split(NamedTuple):
    """One split: inputs ``x`` (float32, batch first) and labels ``y`` (int64)."""

    x: npt.NDArray[Any]
    y: npt.NDArray[Any]


class Splits(NamedTuple):
    """Train and test splits; unpacks as ``(x_train, y_train), (x_test, y_test) = splits``."""

    train: Split
    test: Split
