"""Normal: independent N(mean, std^2) values (``torch.nn.init.normal_``)."""

from __future__ import annotations

import numpy as np

from nnfs_core.initializers._base import BaseInitializer, real
from nnfs_core.protocols import Array

__all__ = ["Normal"]


class Normal(BaseInitializer):
    """Draws from N(mean, std^2).

    Parameters
    ----------
    mean : float
        Mean of the distribution.
    std : float
        Standard deviation, >= 0.
    """

    def __init__(self, mean: float = 0.0, std: float = 1.0) -> None:
        self.mean = real("Normal", "mean", mean)
        self.std = real("Normal", "std", std)
        if self.std < 0:
            raise ValueError(f"Normal: std must be >= 0, got {std!r}")

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        return rng.normal(self.mean, self.std, size=shape)
