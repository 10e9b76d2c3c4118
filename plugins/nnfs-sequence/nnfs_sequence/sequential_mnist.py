"""``sequential-mnist``: MNIST digits read as sequences, one 28-pixel row per step."""

from __future__ import annotations

from typing import Any

from nnfs_core.datasets import DatasetInfo, Split, Splits, described_by, load
from nnfs_core.errors import ConfigError

__all__ = ["load_sequential_mnist", "describe"]


def describe() -> DatasetInfo:
    """Sizes from the embedded mnist-small's headers (the default source); nothing is read."""
    from nnfs_core import registry
    from nnfs_core.datasets import describe as describe_loader

    info = describe_loader(registry.datasets.get("mnist-small"))
    assert info is not None and info.sample_shape is not None  # the core's embedded dataset always describes itself
    return DatasetInfo(info.train_size, info.test_size, info.sample_shape[1:], f"mnist-small ({info.source})",
                       info.available)


@described_by(describe)
def load_sequential_mnist(*, source: str = "mnist-small", **options: Any) -> Splits:
    """The images of a registered 28x28 digit dataset as sequences: step t is row t of the image.

    Returns ``((x_train, y_train), (x_test, y_test))``: x float32 (N, 28, 28) in [0, 1] - 28 steps of
    28 features, batch first as the recurrent layers read them - and y int64 class labels. The classic
    "sequential MNIST" of the RNN literature, row by row (not pixel by pixel).

    Parameters
    ----------
    source : str
        The image dataset read: ``"mnist-small"`` (default: the 5,000 digits embedded in nnfs-core, 4,000 /
        1,000), ``"mnist"`` (the full 60,000 / 10,000, where its files are found: see ``nnfs datasets``)
        or any registered dataset of one-channel images (N, 1, H, W), which become H steps of W features.
    **options
        Passed to that dataset's loader (``directory=``, ``url=``, ... for ``"mnist"``).
    """
    splits = load(source, **options)
    if splits.train.x.ndim != 4 or splits.train.x.shape[1] != 1:
        raise ConfigError(f"sequential-mnist: source {source!r} gives samples of shape {splits.train.x.shape[1:]}, "
                          f"not one-channel images (1, H, W); use 'mnist-small' or 'mnist'")
    return Splits(*(Split(split.x[:, 0], split.y) for split in splits))
