"""Datasets shipped inside nnfs-core as compact uint8 ``.npz`` files (see docs/datasets.md)."""

from __future__ import annotations

from importlib import resources

import numpy as np

from nnfs_core.datasets._types import Split, Splits


def load_embedded(file_name: str, scale: float) -> Splits:
    """Read ``data/<file_name>.npz``: images as float32 (N, 1, H, W) in [0, 1], labels as int64."""
    with resources.files("nnfs_core.datasets").joinpath(f"data/{file_name}.npz").open("rb") as handle:
        with np.load(handle, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in ("x_train", "y_train", "x_test", "y_test")}

    def split(prefix: str) -> Split:
        images = arrays[f"x_{prefix}"]
        x = (images.astype(np.float32) / np.float32(scale))[:, None, :, :]
        return Split(x, arrays[f"y_{prefix}"].astype(np.int64))

    return Splits(split("train"), split("test"))
