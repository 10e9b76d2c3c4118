"""``xor``: points around the four corners of a square, labelled by the XOR of their signs."""

from __future__ import annotations

import numpy as np

from nnfs_core.datasets import Split, Splits


def load_xor(*, samples: int = 512, noise: float = 0.3, seed: int = 0) -> Splits:
    """A two-class problem no linear model solves: x float32 (N, 2), y int64 in {0, 1}.

    Each sample is a corner (+-1, +-1) plus normal noise of standard deviation ``noise``; its label is 1
    when the corner's two signs differ. ``samples`` are made for training and a quarter as many for
    testing, all from ``seed``: the same options always give the same data.

    Parameters
    ----------
    samples : int
        Training samples (>= 4).
    noise : float
        Standard deviation of the noise around each corner (>= 0).
    seed : int
        Seed of the Generator the data are drawn from.
    """
    if samples < 4 or noise < 0:
        raise ValueError(f"xor: samples must be >= 4 and noise >= 0, got samples={samples}, noise={noise}")
    rng = np.random.default_rng(seed)

    def split(n: int) -> Split:
        corners = rng.choice([-1.0, 1.0], size=(n, 2))
        x = (corners + noise * rng.standard_normal((n, 2))).astype(np.float32)
        return Split(x, (corners[:, 0] != corners[:, 1]).astype(np.int64))

    return Splits(split(samples), split(max(samples // 4, 1)))
