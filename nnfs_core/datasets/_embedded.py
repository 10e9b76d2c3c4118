"""Datasets shipped inside nnfs-core as compact uint8 ``.npz`` files (see docs/datasets.md)."""

from __future__ import annotations

import zipfile
from importlib import resources
from typing import IO

import numpy as np

from nnfs_core.datasets._info import DatasetInfo
from nnfs_core.datasets._types import Split, Splits


def _open(file_name: str) -> IO[bytes]:
    return resources.files("nnfs_core.datasets").joinpath(f"data/{file_name}.npz").open("rb")


def load_embedded(file_name: str, scale: float) -> Splits:
    """Read ``data/<file_name>.npz``: images as float32 (N, 1, H, W) in [0, 1], labels as int64."""
    with _open(file_name) as handle:
        with np.load(handle, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in ("x_train", "y_train", "x_test", "y_test")}

    def split(prefix: str) -> Split:
        images = arrays[f"x_{prefix}"]
        x = (images.astype(np.float32) / np.float32(scale))[:, None, :, :]
        return Split(x, arrays[f"y_{prefix}"].astype(np.int64))

    return Splits(split("train"), split("test"))


def _npy_shape(archive: zipfile.ZipFile, member: str) -> tuple[int, ...]:
    """The shape in a ``.npy`` member's header; only the header is decompressed."""
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, _ = read_header(stream)
    return tuple(shape)


def describe_embedded(file_name: str) -> DatasetInfo:
    """Sizes and sample shape of an embedded dataset, from the ``.npy`` headers inside its ``.npz``."""
    with _open(file_name) as handle, zipfile.ZipFile(handle) as archive:
        train = _npy_shape(archive, "x_train.npy")
        test = _npy_shape(archive, "x_test.npy")
    return DatasetInfo(train[0], test[0], (1, *train[1:]), "embedded", True)
