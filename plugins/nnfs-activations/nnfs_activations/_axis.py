"""The ``axis`` argument shared by Softmax and LogSoftmax: its check at construction and at build."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import BaseLayer
from nnfs_core.validation import check_int

__all__ = ["AlongAxis"]


class AlongAxis(BaseLayer):
    """A layer normalising along one axis of the batch; ``axis`` is PyTorch's ``dim`` (-1, the last, by default).

    The axis counts the batch axis: for samples shaped ``input_shape`` it must lie in ``[-ndim, ndim)``
    with ``ndim = len(input_shape) + 1``, or `build` raises `nnfs_core.errors.ShapeError`.
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = check_int(type(self).__name__, "axis", axis, minimum=None)

    def build_cost(self, input_shape: tuple[int, ...]) -> int:
        """Nothing is kept at build (``docs/writing-a-pack.md``, "Build cost")."""
        return 0

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        ndim = len(input_shape) + 1
        if not -ndim <= self.axis < ndim:
            raise ShapeError(
                f"{type(self).__name__}: axis={self.axis} is out of range for batches of shape "
                f"(N, {', '.join(map(str, input_shape))}) with {ndim} axes; pick an axis in [{-ndim}, {ndim - 1}]"
            )
        return super().build(input_shape, rng=rng, dtype=dtype)
