"""``digits``: the UCI 8x8 handwritten digits (as scikit-learn bundles them), embedded in nnfs-core."""

from __future__ import annotations

from nnfs_core.datasets._embedded import describe_embedded, load_embedded
from nnfs_core.datasets._info import DatasetInfo, described_by
from nnfs_core.datasets._types import Splits

__all__ = ["load_digits", "describe"]


def describe() -> DatasetInfo:
    """Sizes and shape from the embedded file's headers (no data is read)."""
    return describe_embedded("digits")


@described_by(describe)
def load_digits() -> Splits:
    """1,797 grey 8x8 digit images, a fixed 1,438 / 359 train/test split.

    Returns ``((x_train, y_train), (x_test, y_test))``: x float32 (N, 1, 8, 8) in [0, 1], y int64 in
    [0, 10). Source: UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak), CC BY 4.0.
    """
    return load_embedded("digits", scale=16.0)
