"""Freed memory kept for the next batch: glibc malloc's settings, changed by the CPU backend.

A training step allocates and frees the same large temporaries every batch (activations, their gradients,
masks: a few MB each). glibc's malloc serves a block above its mmap threshold (128 KiB at start, raised
as blocks are freed) with a fresh mapping, and gives freed memory at the top of its heap back to the
system above its trim threshold; either way the next batch's arrays land on pages the kernel must fault
in and zero again - about a quarter of a millisecond per MB. On the Transformer benchmark that was a fifth
of the step (88 -> 71 ms a batch, measured in docs/benchmarks.md). Raising the mmap threshold to 32 MiB
(glibc's largest) and the trim threshold to 256 MiB keeps that memory in the process for the next batch:
the peak is unchanged, but up to 256 MiB that was freed may stay resident until the process ends or uses it.

Blocks above 32 MiB are still mapped afresh each time: a batch of 128 activations of 64 x 32 x 32 floats
is exactly 32 MiB, and MobileNet's first pooling backward took 29-52 ms a batch for its page faults against
10 ms from the heap. So while a network runs (``heap_for_large_blocks``, entered by ``CPUOps.running``)
malloc serves blocks of every size from its heap (``M_MMAP_MAX`` 0); when the last running network is
done, large blocks are mapped again as before. What a run freed stays in the process for the next run,
up to the run's peak.

The backend sets the thresholds the first time it runs a network, once per process, and the heap-only
setting around every run; only under glibc, and neither when the user chose their own
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_MAX_`` or ``GLIBC_TUNABLES`` in the
environment) or turned this off with ``NNFS_KEEP_FREED_MEMORY=0``.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "MMAP_MAX", "keep_freed_memory", "heap_for_large_blocks"]

MMAP_THRESHOLD = 32 * 2**20   # blocks below this come from the heap (glibc's maximum for this setting)
TRIM_THRESHOLD = 256 * 2**20  # free memory at the heap's top kept up to this
MMAP_MAX = 65536  # glibc's default number of blocks served by mmap at once, restored after the last run
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4  # mallopt's parameter numbers (malloc.h)
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_MAX_", "GLIBC_TUNABLES")

_lock = threading.Lock()
_done: list[bool] = []  # the outcome of the one attempt per process
_running = [0]  # networks inside heap_for_large_blocks now, in any thread


@cache
def _mallopt() -> Any:
    """glibc's ``mallopt``, or None on another C library or system (looked up once: 14 us a lookup, and
    ``heap_for_large_blocks`` runs around every fit, predict and train_on_batch)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 - present in glibc only (musl has no mallopt thresholds)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return None
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt


def keep_freed_memory() -> bool:
    """Set the two thresholds once per process (see the module docstring); whether they are set."""
    with _lock:
        if not _done:
            _done.append(_apply())
        return _done[0]


def _apply() -> bool:
    if os.environ.get("NNFS_KEEP_FREED_MEMORY", "1").strip() == "0":
        return False
    if any(name in os.environ for name in _USER_SETTINGS):
        return False
    mallopt = _mallopt()
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


@contextmanager
def heap_for_large_blocks() -> Iterator[None]:
    """While the block runs, malloc serves blocks of every size from its heap (see the module docstring).

    Nests and may be entered from several threads: the setting holds from the first entry to the last exit.
    Does nothing where ``keep_freed_memory`` does nothing.
    """
    if not keep_freed_memory():
        yield
        return
    mallopt = _mallopt()
    with _lock:
        _running[0] += 1
        if _running[0] == 1:
            mallopt(_M_MMAP_MAX, 0)
    try:
        yield
    finally:
        with _lock:
            _running[0] -= 1
            if _running[0] == 0:
                mallopt(_M_MMAP_MAX, MMAP_MAX)
