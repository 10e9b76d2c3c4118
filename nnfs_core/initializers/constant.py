"""Constant: every value the same (``torch.nn.init.constant_``)."""

from __future__ import annotations

import numpy as np

from nnfs_core.initializers._base import BaseInitializer, real
from nnfs_core.protocols import Array

__all__ = ["Constant"]


class Constant(BaseInitializer):
    """Fills with ``value``.

    Parameters
    ----------
    value : float
        Every element's value.
    """

    example_args = {"value": 0.5}  # for the conformance kit, which builds components without arguments

    def __init__(self, value: float) -> None:
        self.value = real("Constant", "value", value)

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        return np.full(shape, self.value)
