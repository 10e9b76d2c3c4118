"""NumpyOps: the reference backend - plain, single-threaded NumPy, exactly ``Ops``."""

from __future__ import annotations

from typing import ClassVar

from nnfs_core.ops.base import Ops

__all__ = ["NumpyOps"]


class NumpyOps(Ops):
    """The readable reference every other backend is tested against (``Network(ops="numpy")``).

    It uses only NumPy functions that CuPy also provides, one thread (whatever the BLAS does inside a
    product), and no memory reuse: what the maths says, in the order it says it.
    """

    name: ClassVar[str] = "numpy"
