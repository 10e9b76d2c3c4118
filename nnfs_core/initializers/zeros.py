"""Zeros: every value 0 (``torch.nn.init.zeros_``)."""

from __future__ import annotations

import numpy as np

from nnfs_core.initializers._base import BaseInitializer
from nnfs_core.protocols import Array

__all__ = ["Zeros"]


class Zeros(BaseInitializer):
    """Fills with 0."""

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        return np.zeros(shape)
