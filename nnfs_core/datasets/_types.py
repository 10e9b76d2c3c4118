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


class SplitsWithMetadata(Splits):
    """``Splits`` that also carry ``metadata``: JSON values a model trained on them should keep.

    A text corpus returns its character vocabulary here; ``nnfs train`` copies ``metadata`` into the
    network's (``Network.metadata``), so the saved model holds it. Unpacks exactly as ``Splits``.
    """

    metadata: dict[str, Any]

    @classmethod
    def of(cls, train: Split, test: Split, metadata: dict[str, Any]) -> SplitsWithMetadata:
        """The splits ``(train, test)`` carrying ``metadata``."""
        splits = cls(train, test)
        splits.metadata = dict(metadata)
        return splits

