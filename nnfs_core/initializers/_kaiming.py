"""The arguments and the standard deviation shared by KaimingUniform and KaimingNormal."""

from __future__ import annotations

import math

from nnfs_core.initializers._base import NONLINEARITIES, BaseInitializer, calculate_gain, real

__all__ = ["KaimingBase"]


class KaimingBase(BaseInitializer):
    """std = gain / sqrt(fan), gain = ``calculate_gain(nonlinearity, a)``, fan = fan_in or fan_out (He et al., 2015).

    Parameters
    ----------
    a : float
        Negative slope of the leaky ReLU that follows (only used with ``nonlinearity="leaky_relu"``).
    mode : {"fan_in", "fan_out"}
        "fan_in" keeps the forward pass's variance, "fan_out" the backward pass's.
    nonlinearity : str
        One of ``NONLINEARITIES``; PyTorch recommends "relu" or "leaky_relu".
    """

    def __init__(self, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> None:
        owner = type(self).__name__
        self.a = real(owner, "a", a)
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"{owner}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"{owner}: nonlinearity must be one of {', '.join(NONLINEARITIES)}, got {nonlinearity!r}")
        self.mode = mode
        self.nonlinearity = nonlinearity

    def std(self, shape: tuple[int, ...], *, fan_in: int | None = None, fan_out: int | None = None) -> float:
        fan_in, fan_out = self.fans(shape, fan_in, fan_out)
        fan = fan_in if self.mode == "fan_in" else fan_out
        return calculate_gain(self.nonlinearity, self.a) / math.sqrt(fan)
