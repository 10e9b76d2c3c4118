"""Datasets, looked up by name in the ``datasets`` registry.

```python
from nnfs_core.datasets import load
(x_train, y_train), (x_test, y_test) = load("digits")
splits = load("fashion-mnist", directory="~/data/fashion")
```

A dataset is a loader function registered under the ``nnfs.datasets`` entry-point group; called with its
options it returns ``Splits``, x float32 batch first and y int64. The core's:

- ``digits`` and ``mnist-small``: embedded in nnfs-core as compact uint8 ``.npz`` files;
- ``mnist`` and ``fashion-mnist``: read from the four IDX files (raw or ``.gz``) found in ``directory=``,
  else ``$NNFS_DATA/<name>``, else the per-user cache ``<cache>/<name>``, else (Fashion-MNIST) Debian's
  ``/usr/share/datasets/fashion-mnist``; when found nowhere and a base URL is configured (``url=``,
  ``NNFS_MNIST_URL``, ``NNFS_FASHION_MNIST_URL``) the files are downloaded, resumably and SHA-256
  verified, into the first of those directories (see docs/datasets.md).

A loader may return ``SplitsWithMetadata``, splits carrying JSON ``metadata`` that a model trained on
them keeps (a text corpus's character vocabulary): ``nnfs train`` copies it into ``Network.metadata``.

Describing without loading: a loader may carry ``loader.describe()``, returning a ``DatasetInfo``
(train/test sizes, sample shape, where the data comes from), attached with the ``described_by``
decorator in the loader's own module. It must be cheap - the embedded datasets read the ``.npy`` headers
inside their ``.npz``, the IDX ones their IDX headers. ``nnfs datasets`` shows it for every registered
dataset; a third-party loader without one is listed with unknown sizes.

Errors are ``DatasetError`` (an ``NNFSError`` and an ``OSError``) and its subclasses, naming the file
or URL and what was wrong.
"""

from __future__ import annotations

from typing import Any

from nnfs_core.datasets._errors import (
    ChecksumError,
    DatasetError,
    DatasetFormatError,
    DatasetNotFoundError,
    DownloadError,
)
from nnfs_core.datasets._idx import read_idx, read_idx_header
from nnfs_core.datasets._idx_dataset import cache_directory
from nnfs_core.datasets._info import DatasetInfo, describe, described_by
from nnfs_core.datasets._types import Split, Splits, SplitsWithMetadata

__all__ = [
    "load",
    "Split",
    "Splits",
    "SplitsWithMetadata",
    "DatasetInfo",
    "describe",
    "described_by",
    "read_idx",
    "read_idx_header",
    "cache_directory",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetFormatError",
    "ChecksumError",
    "DownloadError",
]


def load(name: str, **options: Any) -> Splits:
    """Load a registered dataset by name (``"digits"``, ``"mnist-small"``, ``"fashion-mnist"``, ...)."""
    from nnfs_core import registry

    splits: Splits = registry.datasets.get(name)(**options)
    return splits
