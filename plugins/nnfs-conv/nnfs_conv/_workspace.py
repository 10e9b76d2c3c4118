"""Scratch arrays that a layer reuses from one batch to the next.

Allocating a large column buffer for every batch costs page faults and zeroing; training feeds batches of
one shape, so each layer keeps one array per purpose ("cols", "padded", ...) and replaces it only when the
shape changes. The cache is bounded: one array per name, of the last shape asked for.

Two threads may run ``forward`` of one layer at the same time (``Network.predict`` is re-entrant): only
one of them borrows the shared arrays; the other gets fresh ones for that call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from nnfs_core.protocols import Array

__all__ = ["Workspace"]


class Workspace:
    """Named scratch arrays, the last shape only; copied or pickled as an empty workspace."""

    def __init__(self, *, shared: bool = True) -> None:
        self._arrays: dict[str, Array] = {}
        self._children: dict[str, Workspace] = {}
        self._lock = threading.Lock() if shared else None

    def array(self, name: str, shape: tuple[int, ...], dtype: Any, *, fill: float | None = None) -> Array:
        """The array ``name`` of this shape and dtype, reused when it already exists.

        A new array is filled with ``fill`` when one is given: callers that write only part of it (the
        inside of a padded copy) rely on the rest keeping that value from one batch to the next.
        """
        array = self._arrays.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = np.empty(shape, dtype=dtype)
            if fill is not None:
                array.fill(fill)
            self._arrays[name] = array
        return array

    def buffer(self, name: str, shape: tuple[int, ...], dtype: Any, *, fill: float | None = None) -> Array:
        """A view of ``shape`` at the start of the flat array ``name``, grown (never shrunk) as needed.

        For pieces of a batch whose sizes vary (the last piece is often shorter): no reallocation when a
        smaller piece follows a bigger one. A new array is filled with ``fill`` when one is given.
        """
        size = int(np.prod(shape))
        array = self._arrays.get(name)
        if array is None or array.size < size or array.dtype != dtype:
            array = np.empty(max(size, 1), dtype=dtype)
            if fill is not None:
                array.fill(fill)
            self._arrays[name] = array
        return array[:size].reshape(shape)

    def child(self, index: int) -> Workspace:
        """Workspace number ``index`` of this one, for one thread of a layer that splits its batch."""
        key = f"child {index}"
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = Workspace(shared=False)
        return child

    @contextmanager
    def borrow(self) -> Iterator[Workspace]:
        """This workspace if no other thread holds it, else a throwaway one."""
        if self._lock is not None and self._lock.acquire(blocking=False):
            try:
                yield self
            finally:
                self._lock.release()
        else:
            yield Workspace(shared=False)

    def clear(self) -> None:
        self._arrays.clear()
        self._children.clear()

    def nbytes(self) -> int:
        return (sum(array.nbytes for array in self._arrays.values())
                + sum(child.nbytes() for child in self._children.values()))

    def __deepcopy__(self, memo: dict[int, Any]) -> Workspace:
        return Workspace()

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
