"""``Strategy``: how ``fit`` spreads one training run over processes (docs/distributed.md).

The training loop asks its strategy five things, and nothing else about processes:

1. ``shard``: which positions of the epoch's shuffled order this process reads;
2. ``reduce_gradients``: combine the gradients of all processes before the optimizer step;
3. ``running``: make every process start from rank 0's state, and stop them all when one fails;
4. ``sum_over_ranks``: add the loss and metric sums of all processes (logs and evaluation);
5. ``is_main``: whether this process prints, and writes history, plots and checkpoints.

This base class is the single-process answer to each (the strategy named ``single``): the loop then runs
exactly as without strategies. A pack registers another under the ``nnfs.strategies`` entry-point group.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["Strategy"]

Array = np.ndarray[Any, Any]


class Strategy:
    """One process trains on everything; the base of every strategy.

    Attributes
    ----------
    rank : int
        This process's index among ``world_size`` processes (0 for the one that prints and writes).
    world_size : int
        How many processes train the model together.
    """

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Whether this process prints progress and writes history, plots, checkpoints and models."""
        return self.rank == 0

    @classmethod
    def launched(cls) -> bool:
        """Whether this process was started by the launcher this strategy belongs to (``mpiexec``).

        Read from the environment only, without importing anything: ``strategies.get()`` asks every
        registered strategy, and uses the first that says yes when none is named.
        """
        return False

    def get_config(self) -> dict[str, Any]:
        return {}

    # -- the data -------------------------------------------------------------------------------------------
    def local_batch_size(self, batch_size: int) -> int:
        """The samples this process takes of each step's ``batch_size`` (the global batch)."""
        return batch_size

    def steps_per_epoch(self, samples: int, batch_size: int) -> int:
        """Optimizer steps in an epoch of ``samples`` samples in global batches of ``batch_size``."""
        return -(-samples // batch_size)

    def shard(self, order: Array | None, samples: int) -> Array | None:
        """The positions this process reads in an epoch, in the order it reads them.

        ``order`` is the epoch's permutation (the same on every process), or None for no shuffling
        (the samples in their stored order).
        """
        return order

    def evaluation_shard(self, x: Array, y: Array) -> tuple[Array, Array]:
        """The part of an evaluation set this process scores (``sum_over_ranks`` adds the parts up)."""
        return x, y

    # -- the step -------------------------------------------------------------------------------------------
    def reduce_gradients(self, grads: Mapping[str, Array] | Sequence[Array], finite: bool) -> bool:
        """Replace every process's gradients, in place, by their mean over the processes.

        ``finite`` says whether this process's loss was finite (its gradients are only computed then);
        returns whether every process's was, and so whether the optimizer steps.
        """
        return finite

    def sum_over_ranks(self, values: dict[str, float]) -> dict[str, float]:
        """``values`` added up key by key over every process (the same keys on each)."""
        return values

    @contextlib.contextmanager
    def running(self, network: Any) -> Iterator[None]:
        """Around the epochs of a ``fit``: start every process from rank 0's network, and stop them all,
        with an error naming the process, when one of them fails."""
        yield

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rank={self.rank}, world_size={self.world_size})"
