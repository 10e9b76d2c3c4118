"""LecunNormal: N(0, 1 / fan_in), the initialisation of self-normalising (SELU) networks."""

from __future__ import annotations

import math

import numpy as np

from nnfs_core.initializers._base import BaseInitializer
from nnfs_core.protocols import Array

__all__ = ["LecunNormal"]


class LecunNormal(BaseInitializer):
    """Draws from N(0, std^2), std = 1 / sqrt(fan_in) (LeCun et al., 1998; Klambauer et al., 2017).

    PyTorch has no ``lecun_normal_``; this is what its SELU documentation recommends instead,
    ``kaiming_normal_(w, nonlinearity="linear")``, untruncated (Keras's LecunNormal truncates at two
    standard deviations and rescales, which keeps the same variance).
    """

    def std(self, shape: tuple[int, ...], *, fan_in: int | None = None, fan_out: int | None = None) -> float:
        return 1.0 / math.sqrt(self.fans(shape, fan_in, fan_out)[0])

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        return rng.normal(0.0, self.std(shape, fan_in=fan_in, fan_out=fan_out), size=shape)
