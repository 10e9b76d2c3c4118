"""KaimingNormal (He): ``torch.nn.init.kaiming_normal_``."""

from __future__ import annotations

import numpy as np

from nnfs_core.initializers._kaiming import KaimingBase
from nnfs_core.protocols import Array

__all__ = ["KaimingNormal"]


class KaimingNormal(KaimingBase):
    """Draws from N(0, std^2), std = gain / sqrt(fan) (He et al., 2015).

    Parameters
    ----------
    a : float
        Negative slope of the leaky ReLU that follows (only used with ``nonlinearity="leaky_relu"``).
    mode : {"fan_in", "fan_out"}
        Keep the variance of the forward pass (``fan_in``) or of the backward pass (``fan_out``).
    nonlinearity : str
        See ``calculate_gain``.
    """

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        return rng.normal(0.0, self.std(shape, fan_in=fan_in, fan_out=fan_out), size=shape)
