"""``mnist``: the 70,000 MNIST handwritten digits, read from their four IDX files.

Where the files are looked for and how a download is configured: see ``nnfs_core.datasets`` and
docs/datasets.md. nnfs ships no SHA-256 digests for MNIST (none could be checked against the real files
where nnfs is built, and a digest that was not checked is worse than none), so a download needs them
passed as ``sha256={"train-images-idx3-ubyte.gz": "...", ...}``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from nnfs_core.datasets._idx_dataset import IdxDataset
from nnfs_core.datasets._info import DatasetInfo, described_by
from nnfs_core.datasets._types import Splits

__all__ = ["load_mnist", "describe", "MNIST"]

MNIST = IdxDataset(name="mnist", url_variable="NNFS_MNIST_URL")


def describe() -> DatasetInfo:
    """Sizes from the IDX headers when the files are found (no data is read)."""
    return MNIST.describe()


@described_by(describe)
def load_mnist(directory: str | os.PathLike[str] | None = None, *, url: str | None = None,
               sha256: Mapping[str, str] | None = None, progress: bool = True) -> Splits:
    """60,000 / 10,000 grey 28x28 handwritten digits (the standard split).

    Source: MNIST (LeCun, Cortes, Burges), CC BY-SA 3.0.

    Parameters
    ----------
    directory
        The directory holding the four IDX files, raw or ``.gz``; when given, the only place looked at.
        Default: ``$NNFS_DATA/mnist``, then the per-user cache ``<cache>/mnist``.
    url
        A base URL holding the four ``.gz`` files, downloaded into the first of those directories when the
        files are found nowhere. Default: ``$NNFS_MNIST_URL``; no download when neither is set.
    sha256
        SHA-256 digests by file name (``{"train-images-idx3-ubyte.gz": "<64 hex digits>", ...}``), of the
        ``.gz`` file or of its decompressed content; required for a download, since nnfs ships none for MNIST.
    progress
        Show a progress bar for long downloads.

    Returns
    -------
    Splits
        ``((x_train, y_train), (x_test, y_test))``: x float32 (N, 1, 28, 28) in [0, 1], y int64 in [0, 10).

    Raises
    ------
    DatasetNotFoundError
        The files are found nowhere and no URL is configured; the message lists where it looked.
    DatasetFormatError
        A file is malformed (magic number, dimensions, counts, size, compression, labels).
    DownloadError, ChecksumError
        A download failed, or its digest is wrong (the file is deleted).
    """
    return MNIST.load(directory, url=url, sha256=sha256, progress=progress)
