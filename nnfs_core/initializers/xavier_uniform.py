"""XavierUniform (Glorot): ``torch.nn.init.xavier_uniform_``."""

from __future__ import annotations

import math

import numpy as np

from nnfs_core.initializers._base import BaseInitializer, real
from nnfs_core.protocols import Array

__all__ = ["XavierUniform"]


class XavierUniform(BaseInitializer):
    """Draws from U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010).

    Parameters
    ----------
    gain : float
        Scale, >= 0; ``calculate_gain(nonlinearity)`` gives the usual ones.
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = real("XavierUniform", "gain", gain)
        if self.gain < 0:
            raise ValueError(f"XavierUniform: gain must be >= 0, got {gain!r}")

    def bound(self, shape: tuple[int, ...], *, fan_in: int | None = None, fan_out: int | None = None) -> float:
        fan_in, fan_out = self.fans(shape, fan_in, fan_out)
        return self.gain * math.sqrt(6.0 / (fan_in + fan_out))

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        bound = self.bound(shape, fan_in=fan_in, fan_out=fan_out)
        return rng.uniform(-bound, bound, size=shape)
