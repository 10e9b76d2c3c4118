"""``fashion-mnist``: Zalando Research's 70,000 28x28 fashion product images, read from four IDX files.

Found, besides the usual places (see ``nnfs_core.datasets``), where Debian's ``dataset-fashion-mnist``
puts them. Downloads are checked against the SHA-256 digests below, computed from that package's files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from nnfs_core.datasets._idx_dataset import IdxDataset
from nnfs_core.datasets._info import DatasetInfo, described_by
from nnfs_core.datasets._types import Splits

__all__ = ["load_fashion_mnist", "describe", "FASHION_MNIST", "CLASSES"]

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

# SHA-256 of each file's decompressed IDX bytes (which any copy shares), then of the .gz file as Debian's
# dataset-fashion-mnist 0.0~git20200523.55506a9-1 ships it (upstream's .gz files differ by their header).
DIGESTS = {
    "train-images-idx3-ubyte": ("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                                "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"),
    "train-labels-idx1-ubyte": ("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                                "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"),
    "t10k-images-idx3-ubyte": ("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                               "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"),
    "t10k-labels-idx1-ubyte": ("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                               "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"),
}
DEBIAN_DIRECTORY = Path("/usr/share/datasets/fashion-mnist")

FASHION_MNIST = IdxDataset(
    name="fashion-mnist",
    url_variable="NNFS_FASHION_MNIST_URL",
    digests=DIGESTS,
    system_directories=((DEBIAN_DIRECTORY, "apt-get install dataset-fashion-mnist"),),
)


def describe() -> DatasetInfo:
    """Sizes from the IDX headers when the files are found (no data is read)."""
    return FASHION_MNIST.describe()


@described_by(describe)
def load_fashion_mnist(directory: str | os.PathLike[str] | None = None, *, url: str | None = None,
                       sha256: Mapping[str, str] | None = None, progress: bool = True) -> Splits:
    """60,000 / 10,000 grey 28x28 images of 10 kinds of clothing (names in ``CLASSES``), the standard split.

    Source: Zalando Research, MIT licence.

    Parameters
    ----------
    directory
        The directory holding the four IDX files, raw or ``.gz``; when given, the only place looked at.
        Default: ``$NNFS_DATA/fashion-mnist``, then the per-user cache ``<cache>/fashion-mnist``, then
        Debian's ``/usr/share/datasets/fashion-mnist``.
    url
        A base URL holding the four ``.gz`` files, downloaded into the first of those directories when the
        files are found nowhere. Default: ``$NNFS_FASHION_MNIST_URL``; no download when neither is set.
    sha256
        SHA-256 digests by file name (``{"train-images-idx3-ubyte.gz": "<64 hex digits>", ...}``), of the
        ``.gz`` file or of its decompressed content; they replace the known ones file by file.
    progress
        Show a progress bar for long downloads.

    Returns
    -------
    Splits
        ``((x_train, y_train), (x_test, y_test))``: x float32 (N, 1, 28, 28) in [0, 1], y int64 indices
        into ``CLASSES``.

    Raises
    ------
    DatasetNotFoundError, DatasetFormatError, DownloadError, ChecksumError
        As `load_mnist` (``nnfs_core.datasets.mnist``): the files found nowhere with no URL configured (the
        message lists where it looked), a malformed file, a failed download or a wrong digest.
    """
    return FASHION_MNIST.load(directory, url=url, sha256=sha256, progress=progress)
