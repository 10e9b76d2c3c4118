"""Deprecated: the first release's thread helpers, kept so that packs written against it keep working.

Components of this release get their speed from the Network's compute backend (``self.ops``, see
``nnfs_core.ops`` and docs/architecture.md); the tuned CPU backend owns the threads and the BLAS
setting. A pack that still calls ``parallel.matmul`` or ``parallel.run`` gets the same results as before.
"""

from __future__ import annotations

from nnfs_core.ops._threads import (
    ENV_THREADS,
    _reset,
    _setup,
    _workers,
    blas_held,
    blas_single_threaded,
    matmul,
    over_rows,
    run,
    split,
    workers,
)

__all__ = ["workers", "split", "run", "blas_single_threaded", "blas_held", "matmul", "over_rows", "ENV_THREADS"]
# The test suite reaches these private names to reset the configuration.
_private = (_reset, _setup, _workers)
