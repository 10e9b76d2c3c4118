"""ReLU: the rectified linear unit."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from nnfs_core import parallel
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["ReLU"]


def _count_holders(spares: dict[str, Array], key: str) -> int:
    array = spares.get(key)
    return sys.getrefcount(array)


# What sys.getrefcount reports, in ReLU._spare, for an array that only the spares dictionary holds. It
# depends on the interpreter (borrowed stack references), so it is measured with the same statements.
# Interpreters without reference counts (PyPy) never recycle.
_UNHELD = _count_holders({"probe": np.empty(0)}, "probe") if hasattr(sys, "getrefcount") else None


class ReLU(BaseLayer):
    """y = max(x, 0), as ``torch.nn.ReLU``.

    dy/dx = 1 where x > 0 and 0 elsewhere, including at the kink x = 0 (PyTorch's convention).
    Shapes: any (N, ...) -> the same; the dtype is kept.

    Training recycles memory from batch to batch (batches share one shape): the mask x > 0 lives in one
    bool array, and the output and the input gradient are written into the arrays returned by the previous
    call when nobody else holds those any more (CPython's reference count says so; an array the caller
    kept is never overwritten). Fresh multi-megabyte arrays cost page faults on every batch - more than
    the arithmetic on convolution-sized activations. Inference allocates (``predict`` is re-entrant) and
    makes no mask; a ``backward`` after it derives the mask from the output.
    """

    def __init__(self) -> None:
        super().__init__()
        self._mask: Array | None = None  # the training mask, reused
        self._positive: Array | None = None  # what backward multiplies by: the mask, or the output
        self._spares: dict[str, Array] = {}  # the last output and input gradient of a training step

    def _spare(self, key: str, shape: tuple[int, ...], dtype: Any) -> Array:
        """The array last returned under ``key`` if it fits and only ``self._spares`` holds it, else a new one."""
        array = self._spares.get(key)
        if (array is None or _UNHELD is None or sys.getrefcount(array) != _UNHELD or array.shape != shape
                or array.dtype != dtype):
            array = self._spares[key] = np.empty(shape, dtype)
        return array

    def forward(self, x: Array, *, training: bool = False) -> Array:
        if not training:
            self._positive = y = np.maximum(x, 0)  # y > 0 exactly where x > 0
            return y
        mask = self._mask
        if mask is None or mask.shape != x.shape:
            mask = self._mask = np.empty(x.shape, dtype=bool)
        y = self._spare("output", x.shape, x.dtype)

        def rows(start: int, stop: int) -> None:
            np.greater(x[start:stop], 0, out=mask[start:stop])
            np.maximum(x[start:stop], 0, out=y[start:stop])

        parallel.over_rows(len(x), rows, size=x.size)
        self._positive = mask
        return y

    def backward(self, grad: Array) -> Array:
        positive = self._positive
        if positive is None:
            raise RuntimeError("ReLU.backward needs a forward first")
        if positive.dtype != np.bool_:
            return grad * (positive > 0)
        grad_x = self._spare("grad", grad.shape, np.result_type(grad, positive))
        parallel.over_rows(len(grad), lambda start, stop: np.multiply(grad[start:stop], positive[start:stop],
                                                                      out=grad_x[start:stop]), size=grad.size)
        return grad_x
