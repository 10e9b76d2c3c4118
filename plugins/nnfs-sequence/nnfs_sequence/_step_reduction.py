"""What LastStep and MaskedMeanPooling share: layers that reduce (N, L, F) sequences over their steps to (N, F)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer
from nnfs_sequence._masks import as_padding_mask

__all__ = ["StepReduction"]


class StepReduction(BaseLayer):
    """A parameterless layer (N, L, F) -> (N, F) that may be handed a ``padding_mask`` (N, L), True at padding."""

    example_input_shape: ClassVar[tuple[int, ...]] = (4, 3)
    accepts_padding_mask: ClassVar[bool] = True

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Nothing held; per sample at most the input's size (the gradient's buffer)."""
        return 0, int(np.prod(input_shape))

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        if len(input_shape) != 2:
            raise ShapeError(f"{type(self).__name__} expects sequences (N, L, F) (batch first), so a per-sample "
                             f"shape (L, F); got {tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        self.output_shape = (int(input_shape[1]),)
        return self.output_shape

    def real_steps(self, x: Array, padding_mask: Array | None) -> Array | None:
        """(N, L) bool, True at the steps that are not padding; None without a mask. Checks x is (N, L, F)."""
        if x.ndim != 3:
            raise ShapeError(f"{type(self).__name__} expects sequences (N, L, F), got an array of shape {x.shape}")
        if padding_mask is None:
            return None
        return ~as_padding_mask(padding_mask, x.shape[0], x.shape[1], type(self).__name__).astype(bool)
