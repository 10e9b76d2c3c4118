"""One grow-only scratch per thread, for the CPU backend's temporaries (private to the ops package).

A window kernel cuts a batch into runs of samples, one per thread, and each run into pieces; a piece's
columns, products and gradients live in the scratch of the thread that computes it. Ownership is explicit:

* a task ``borrow``s its thread's scratch for the length of the task and gives it back at its end;
* nothing a kernel returns, and nothing a cache keeps, is a view of scratch (outputs and caches are new
  arrays), so no later call can overwrite what a pending backward reads;
* a task that finds its thread's scratch already borrowed (a re-entrant call on the same thread) gets a
  throw-away one for that task - correct, only slower, since nothing outlives the task anyway.

Arrays are kept per (name, dtype) and only grow: a smaller piece (the last of a batch, a smaller layer)
reuses the front of a bigger array, so training at one shape takes no page faults per step. Scratch
holds no values from one task to the next: a task writes every element it reads (zeroing what must be
zero, such as padding columns, each time).
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from nnfs_core.protocols import Array

__all__ = ["Scratch", "borrow", "mine", "total_nbytes"]

_local = threading.local()
_every: weakref.WeakSet[Scratch] = weakref.WeakSet()  # each thread's scratch, for memory accounting


class Scratch:
    """Named flat arrays of one thread, grown (never shrunk) to the largest request."""

    def __init__(self) -> None:
        self.arrays: dict[tuple[str, str], Array] = {}

    def buffer(self, name: str, shape: tuple[int, ...], dtype: Any) -> Array:
        """A view of ``shape`` at the start of the flat array ``name`` of ``dtype``; its values are undefined."""
        dtype = np.dtype(dtype)
        size = math.prod(shape)
        key = (name, dtype.str)
        array = self.arrays.get(key)
        if array is None or array.size < size:
            array = self.arrays[key] = np.empty(max(size, 1), dtype=dtype)
        return array[:size].reshape(shape)

    def nbytes(self) -> int:
        return sum(array.nbytes for array in self.arrays.values())


@contextmanager
def borrow() -> Iterator[Scratch]:
    """This thread's scratch for the length of the block (a throw-away one when it is already borrowed)."""
    scratch = getattr(_local, "scratch", None)
    if scratch is None:
        scratch = _local.scratch = Scratch()
        _every.add(scratch)
    if getattr(_local, "borrowed", False):
        yield Scratch()
        return
    _local.borrowed = True
    try:
        yield scratch
    finally:
        _local.borrowed = False


def mine() -> Scratch | None:
    """This thread's scratch, or None before its first borrow (for tests and memory accounting)."""
    return getattr(_local, "scratch", None)


def total_nbytes() -> int:
    """Bytes held by every living thread's scratch."""
    return sum(scratch.nbytes() for scratch in list(_every))
