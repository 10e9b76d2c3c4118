"""Orthogonal: a (semi-)orthogonal matrix from a QR decomposition (``torch.nn.init.orthogonal_``)."""

from __future__ import annotations

import math

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.initializers._base import BaseInitializer, real
from nnfs_core.protocols import Array

__all__ = ["Orthogonal"]


class Orthogonal(BaseInitializer):
    """gain * Q, Q (semi-)orthogonal, as PyTorch (Saxe et al., 2013).

    The shape (rows, *rest) is treated as a matrix (rows, prod(rest)). A standard normal matrix, transposed
    when it is wide, is QR-decomposed and Q's columns are multiplied by the signs of R's diagonal, which
    makes Q uniformly distributed (Haar). Wide matrices get orthonormal rows, tall ones orthonormal columns.

    Parameters
    ----------
    gain : float
        Scale, >= 0.
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = real("Orthogonal", "gain", gain)
        if self.gain < 0:
            raise ValueError(f"Orthogonal: gain must be >= 0, got {gain!r}")

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        if len(shape) < 2:
            raise ShapeError(f"Orthogonal needs a shape with 2 or more dimensions, got {shape}")
        rows, cols = shape[0], math.prod(shape[1:])
        flat = rng.standard_normal((rows, cols))
        if rows < cols:
            flat = flat.T
        q, r = np.linalg.qr(flat)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape)
