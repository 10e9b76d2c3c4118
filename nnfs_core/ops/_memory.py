"""Freed memory kept for the next batch: glibc malloc's two thresholds, set once by the CPU backend.

A training step allocates and frees the same large temporaries every batch (activations, their gradients,
masks: a few MB each). glibc's malloc serves a block above its mmap threshold (128 KiB at start, raised
as blocks are freed) with a fresh mapping, and gives freed memory at the top of its heap back to the
system above its trim threshold; either way the next batch's arrays land on pages the kernel must fault
in and zero again - about a quarter of a millisecond per MB. On the Transformer benchmark that was a fifth
of the step (88 -> 71 ms a batch, measured in docs/benchmarks.md). Raising the mmap threshold to 32 MiB
(glibc's largest) and the trim threshold to 256 MiB keeps that memory in the process for the next batch:
the peak is unchanged, but up to 256 MiB that was freed may stay resident until the process ends or uses it.

The backend sets them the first time it runs a network (``CPUOps.running``), once per process, only under
glibc, and not at all when the user chose their own (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``
or ``GLIBC_TUNABLES`` in the environment) or turned this off with ``NNFS_KEEP_FREED_MEMORY=0``.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from typing import Any

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_memory"]

MMAP_THRESHOLD = 32 * 2**20   # blocks below this come from the heap (glibc's maximum for this setting)
TRIM_THRESHOLD = 256 * 2**20  # free memory at the heap's top kept up to this
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")

_lock = threading.Lock()
_done: list[bool] = []  # the outcome of the one attempt per process


def _mallopt() -> Any:
    """glibc's ``mallopt``, or None on another C library or system."""
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
