"""What the two Glorot (Xavier) initializers share: a gain and the scale sqrt(k / (fan_in + fan_out))."""

from __future__ import annotations

import math

from nnfs_core.initializers._base import BaseInitializer
from nnfs_core.validation import check_number

__all__ = ["GlorotBase"]


class GlorotBase(BaseInitializer):
    """Stores ``gain`` (a finite number >= 0); `scale` is gain * sqrt(k / (fan_in + fan_out))."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = check_number(type(self).__name__, "gain", gain, low=0.0)

    def scale(self, k: float, shape: tuple[int, ...], fan_in: int | None, fan_out: int | None) -> float:
        fan_in, fan_out = self.fans(shape, fan_in, fan_out)
        return self.gain * math.sqrt(k / (fan_in + fan_out))
