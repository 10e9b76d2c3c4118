"""XavierUniform (Glorot): ``torch.nn.init.xavier_uniform_``."""

from __future__ import annotations

import numpy as np

from nnfs_core.initializers._glorot import GlorotBase
from nnfs_core.protocols import Array

__all__ = ["XavierUniform"]


class XavierUniform(GlorotBase):
    """Draws from U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010).

    Parameters
    ----------
    gain : float
        Scale, >= 0; ``calculate_gain(nonlinearity)`` gives the usual ones.
    """

    def bound(self, shape: tuple[int, ...], *, fan_in: int | None = None, fan_out: int | None = None) -> float:
        return self.scale(6.0, shape, fan_in, fan_out)

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        bound = self.bound(shape, fan_in=fan_in, fan_out=fan_out)
        return rng.uniform(-bound, bound, size=shape)
