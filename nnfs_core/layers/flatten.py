"""Flatten: every sample to one vector."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Flatten"]


class Flatten(BaseLayer):
    """Shapes: x (N, d1, d2, ...) -> y (N, d1 * d2 * ...). A view when x is contiguous."""

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        self.output_shape = (int(np.prod(input_shape, dtype=np.int64)),)
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        return x.reshape(x.shape[0], -1), x.shape

    def backward_pass(self, grad: Array, shape: Any) -> Array:
        return grad.reshape(shape)
