"""Memory the CPU backend reuses for its large outputs, once nothing can read it any more (private to ops).

A fresh multi-megabyte array costs page faults: the allocator hands memory freed at the top of its heap
back to the kernel, and the next batch's array of the same size gets new pages, faulted and zeroed (about
1 ms for 12.8 MB here, more than ReLU's arithmetic on it). Inside a network step this happens to most
large outputs. `empty` keeps the memory of a large output when it is released and hands it out
again for the next output of the same size.

Ownership is safe by construction (docs/architecture.md, "Where speed lives"): an array from ``empty``
is backed by a block held by a small owner object; the array and every view of it keep that owner alive
(NumPy's ``base`` chain), and only when the last of them is gone does a finalizer give the block back.
Nothing is reused while anything can still read it, so a cache kept for backward is never overwritten,
whichever thread or call allocates next. No reference counts are read.
"""

from __future__ import annotations

import math
import os
import threading
import weakref
from typing import Any

import numpy as np

from nnfs_core.ops.base import Array

__all__ = ["empty"]

_MIN_BYTES = 1 << 20  # below this the allocator's own free lists serve as well
_KEEP_BYTES = 256 << 20  # free memory kept for reuse at most; beyond it, released blocks go back to the allocator

_lock = threading.RLock()  # a finalizer may run inside a locked section (a garbage collection): re-entrant
_free: dict[int, list[Array]] = {}  # block size in bytes -> released blocks
_kept = 0


class _Owner:
    """What every array on one block leads back to; its death gives the block back."""

    __slots__ = ("__array_interface__", "block", "__weakref__")

    def __init__(self, block: Array, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        self.block = block  # kept alive as long as any array on it
        self.__array_interface__ = {"shape": shape, "typestr": dtype.str, "data": (block.ctypes.data, False),
                                    "version": 3}


def empty(shape: tuple[int, ...], dtype: Any) -> Array:
    """An uninitialised C-contiguous array of ``shape`` and ``dtype``, on reused memory when it is large."""
    global _kept
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < _MIN_BYTES or dtype.kind not in "biuf":
        return np.empty(shape, dtype)
    with _lock:
        blocks = _free.get(nbytes)
        block = blocks.pop() if blocks else None
        if block is not None:
            _kept -= nbytes
    if block is None:
        block = np.empty(nbytes, np.uint8)
    owner = _Owner(block, tuple(shape), dtype)
    array = np.asarray(owner)
    weakref.finalize(owner, _give_back, block).atexit = False
    return array


def _give_back(block: Array) -> None:
    global _kept
    with _lock:
        if _kept + block.nbytes <= _KEEP_BYTES:
            _free.setdefault(block.nbytes, []).append(block)
            _kept += block.nbytes


def _clear() -> None:
    """Forget the kept blocks (tests; and a forked child, whose lock another thread may have held)."""
    global _lock, _kept
    _lock = threading.RLock()
    _free.clear()
    _kept = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_clear)
