"""Uniform: independent U(low, high) values (``torch.nn.init.uniform_``, whose a, b are low, high)."""

from __future__ import annotations

import numpy as np

from nnfs_core.initializers._base import BaseInitializer, real
from nnfs_core.protocols import Array

__all__ = ["Uniform"]


class Uniform(BaseInitializer):
    """Draws from U(low, high); PyTorch's defaults a=0, b=1.

    Parameters
    ----------
    low, high : float
        Bounds, ``low <= high``.
    """

    def __init__(self, low: float = 0.0, high: float = 1.0) -> None:
        self.low = real("Uniform", "low", low)
        self.high = real("Uniform", "high", high)
        if self.low > self.high:
            raise ValueError(f"Uniform: low must be <= high, got low={low!r}, high={high!r}")

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        return rng.uniform(self.low, self.high, size=shape)
