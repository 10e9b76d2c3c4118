"""XavierNormal (Glorot): ``torch.nn.init.xavier_normal_``."""

from __future__ import annotations

import numpy as np

from nnfs_core.initializers._glorot import GlorotBase
from nnfs_core.protocols import Array

__all__ = ["XavierNormal"]


class XavierNormal(GlorotBase):
    """Draws from N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot and Bengio, 2010).

    Parameters
    ----------
    gain : float
        Scale, >= 0; ``calculate_gain(nonlinearity)`` gives the usual ones.
    """

    def std(self, shape: tuple[int, ...], *, fan_in: int | None = None, fan_out: int | None = None) -> float:
        return self.scale(2.0, shape, fan_in, fan_out)

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        return rng.normal(0.0, self.std(shape, fan_in=fan_in, fan_out=fan_out), size=shape)
