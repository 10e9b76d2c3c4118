"""Ones: every value 1 (``torch.nn.init.ones_``)."""

from __future__ import annotations

import numpy as np

from nnfs_core.initializers._base import BaseInitializer
from nnfs_core.protocols import Array

__all__ = ["Ones"]


class Ones(BaseInitializer):
    """Fills with 1."""

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        return np.ones(shape)
