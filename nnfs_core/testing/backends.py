"""Testing components on every compute backend: make the CPU backend's threaded paths run on small arrays.

The CPU backend (`nnfs_core.ops.cpu_ops`) splits a pass over threads only while a network holding a
``parallel`` layer runs and only when the pass is large (about a million elements), so a test on a small
batch would only ever exercise its single-threaded path. `forced_split` makes it split everything.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["forced_split"]


@contextmanager
def forced_split(threads: int = 2) -> Iterator[None]:
    """Within the block, the CPU backend splits every pass over ``threads`` threads with the BLAS held.

    Its window kernels (convolutions, pooling) also cut every run of samples into pieces of one sample.

    This is what it does for large batches inside a network holding a ``parallel`` layer, here whatever
    the size of the arrays, so that a test can compare the backends' threaded paths with the ``numpy``
    reference:

    ```python
    with forced_split():
        y_cpu = layer_on_cpu.forward(x)
    ```

    Process-wide and not thread-safe: for tests only. Where the backend cannot hold the BLAS (no
    threadpoolctl, or a BLAS other than OpenBLAS with its own threads) nothing is split and the block runs
    as usual.
    """
    from nnfs_core.ops import _conv_cpu, _threads, cpu_ops

    saved_env = os.environ.get(_threads.ENV_THREADS)
    saved_minimums = cpu_ops._SPLIT_MIN, _threads._SPLIT_MIN, _conv_cpu._PIECE_BYTES
    os.environ[_threads.ENV_THREADS] = str(int(threads))
    _threads._reset()
    cpu_ops._SPLIT_MIN = _threads._SPLIT_MIN = _conv_cpu._PIECE_BYTES = 1
    try:
        with _threads.blas_single_threaded():
            yield
    finally:
        cpu_ops._SPLIT_MIN, _threads._SPLIT_MIN, _conv_cpu._PIECE_BYTES = saved_minimums
        if saved_env is None:
            os.environ.pop(_threads.ENV_THREADS, None)
        else:
            os.environ[_threads.ENV_THREADS] = saved_env
        _threads._reset()
