"""``SingleProcess``: the default strategy, one process training on all the data."""

from __future__ import annotations

from nnfs_core.strategies.base import Strategy

__all__ = ["SingleProcess"]


class SingleProcess(Strategy):
    """One process, every sample, no communication: ``fit`` as it runs without strategies.

    Registered as ``single``; ``Network.fit`` uses it unless another strategy is named
    (``strategy="mpi"``, ``NNFS_STRATEGY``) or the process was started by another strategy's launcher.
    """
