"""Fused buffers: many arrays sent in a few large MPI calls instead of one call per array.

An allreduce costs a latency per call plus its bytes over the bandwidth; a network has dozens of small
arrays (biases, BatchNorm weights) whose latencies would dominate. Like Horovod's tensor fusion, the
arrays are copied into contiguous buffers of at most ``bucket_bytes`` (one dtype per buffer, in the order
given, which is the same on every rank), each buffer goes in one call, and the result is copied back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["FusedBuffers"]

Array = np.ndarray[Any, Any]


class _Bucket:
    """One contiguous buffer and the ``(array index, start, stop)`` slices of it each array fills."""

    def __init__(self, dtype: np.dtype[Any], extra: int) -> None:
        self.dtype = dtype
        self.slices: list[tuple[int, int, int]] = []
        self.size = 0
        self.extra = extra  # trailing values that are no array's (the step's flags)
        self.buffer: Array = np.empty(0, dtype)

    def add(self, index: int, size: int) -> None:
        self.slices.append((index, self.size, self.size + size))
        self.size += size

    def allocate(self) -> None:
        self.buffer = np.empty(self.size + self.extra, self.dtype)


class FusedBuffers:
    """The layout of a list of arrays in buckets of at most ``bucket_bytes``; built once per list of shapes.

    ``extra`` values are appended to the last bucket: ``pack(arrays, extra=...)`` writes them there and
    ``unpack`` returns them after the call, so a few flags travel with the gradients at no extra latency.
    """

    def __init__(self, arrays: Sequence[Array], bucket_bytes: int, extra: int = 0) -> None:
        self.signature = self.signature_of(arrays)
        self.buckets: list[_Bucket] = []
        current: dict[str, _Bucket] = {}
        for index, array in enumerate(arrays):
            bucket = current.get(array.dtype.str)
            if bucket is None or (bucket.size and (bucket.size + array.size) * array.itemsize > bucket_bytes):
                bucket = current[array.dtype.str] = _Bucket(array.dtype, 0)
                self.buckets.append(bucket)
            bucket.add(index, array.size)
        if not self.buckets:
            self.buckets.append(_Bucket(np.dtype(np.float64), 0))
        self.buckets[-1].extra = extra
        for bucket in self.buckets:
            bucket.allocate()

    @staticmethod
    def signature_of(arrays: Sequence[Array]) -> tuple[tuple[tuple[int, ...], str], ...]:
        return tuple((array.shape, array.dtype.str) for array in arrays)

    def pack(self, arrays: Sequence[Array], extra: Sequence[float] = ()) -> list[Array]:
        """Copy the arrays (and the ``extra`` values) into the buffers; returns the buffers."""
        for bucket in self.buckets:
            for index, start, stop in bucket.slices:
                bucket.buffer[start:stop] = arrays[index].reshape(-1)
        last = self.buckets[-1]
        last.buffer[last.size:] = extra
        return [bucket.buffer for bucket in self.buckets]

    def unpack(self, arrays: Sequence[Array], scale: float = 1.0) -> Array:
        """Copy the buffers back into the arrays (times ``scale``); returns the extra values, unscaled."""
        for bucket in self.buckets:
            for index, start, stop in bucket.slices:
                target = arrays[index]
                values = bucket.buffer[start:stop].reshape(target.shape)
                if scale == 1.0:
                    np.copyto(target, values)
                else:
                    np.multiply(values, target.dtype.type(scale), out=target)
        last = self.buckets[-1]
        return last.buffer[last.size:].copy()

    @property
    def nbytes(self) -> int:
        """Bytes sent per call sequence (what the scaling model counts)."""
        return sum(bucket.buffer.nbytes for bucket in self.buckets)

    def __len__(self) -> int:
        return len(self.buckets)
