"""Which samples each rank reads: torch's DistributedSampler, cut into the steps of one process."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.errors import ConfigError

__all__ = ["padded_samples", "epoch_positions", "evaluation_range"]

Array = np.ndarray[Any, Any]


def padded_samples(samples: int, world_size: int, remainder: str) -> int:
    """The epoch's length once it is a multiple of ``world_size``: padded up (``pad``) or cut down (``drop``)."""
    if remainder == "drop":
        if samples < world_size:
            raise ConfigError(f"{samples} samples cannot be shared by {world_size} MPI processes with "
                            f"remainder='drop'; use fewer processes or remainder='pad'")
        return samples // world_size * world_size
    return -(-samples // world_size) * world_size


def epoch_positions(order: Array | None, samples: int, rank: int, world_size: int, remainder: str) -> Array:
    """The sample indices ``rank`` reads in an epoch, in reading order.

    ``order`` (the epoch's permutation, the same on every rank; None: 0, 1, ...) is padded by repeating
    its beginning or cut to a multiple of ``world_size``, and the rank takes every ``world_size``-th
    position from its own: read ``batch_size / world_size`` at a time, its k-th batch is its share of
    positions ``k * batch_size`` to ``(k + 1) * batch_size`` of the order, the k-th batch of one process.
    """
    if order is None:
        order = np.arange(samples)
    length = padded_samples(samples, world_size, remainder)
    order = np.resize(order, length)  # repeats from the start when longer: DistributedSampler's padding
    return order[rank::world_size]


def evaluation_range(samples: int, rank: int, world_size: int) -> tuple[int, int]:
    """``(start, stop)`` of the contiguous part of an evaluation set ``rank`` scores; the parts cover it once."""
    return samples * rank // world_size, samples * (rank + 1) // world_size
