"""KaimingUniform (He): ``torch.nn.init.kaiming_uniform_``; with ``a=sqrt(5)`` PyTorch's Linear/Conv default."""

from __future__ import annotations

import math

import numpy as np

from nnfs_core.initializers._kaiming import KaimingBase
from nnfs_core.protocols import Array

__all__ = ["KaimingUniform"]


class KaimingUniform(KaimingBase):
    """Draws from U(-bound, bound), bound = sqrt(3) * gain / sqrt(fan) (He et al., 2015).

    ``KaimingUniform(a=math.sqrt(5))`` gives bound = 1 / sqrt(fan_in): PyTorch's default for the weight of
    ``nn.Linear`` and ``nn.Conv*d``, and for their bias when called with the weight's ``fan_in``.

    Parameters
    ----------
    a : float
        Negative slope of the leaky ReLU that follows (only used with ``nonlinearity="leaky_relu"``).
    mode : {"fan_in", "fan_out"}
        Keep the variance of the forward pass (``fan_in``) or of the backward pass (``fan_out``).
    nonlinearity : str
        See ``calculate_gain``.
    """

    def bound(self, shape: tuple[int, ...], *, fan_in: int | None = None, fan_out: int | None = None) -> float:
        return math.sqrt(3.0) * self.std(shape, fan_in=fan_in, fan_out=fan_out)

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        bound = self.bound(shape, fan_in=fan_in, fan_out=fan_out)
        return rng.uniform(-bound, bound, size=shape)
