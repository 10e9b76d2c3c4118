"""GELU: the Gaussian error linear unit, exact or with the tanh approximation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfs_activations._erf import erfc
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["GELU"]

_SQRT_HALF = math.sqrt(0.5)
_INVERSE_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_KAPPA = 0.044715
# Beyond |x| = 64 the standard normal density is 0 and tanh(u) is +-1 in every float format.
_CLAMP = 64.0


class GELU(BaseLayer):
    """y = x * Phi(x), Phi the standard normal CDF, as ``torch.nn.GELU``.

    ``approximate="none"``: Phi(x) = erfc(-x / sqrt(2)) / 2 (erfc from ``nnfs_activations._erf``)
    and dy/dx = Phi(x) + x * phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi).

    ``approximate="tanh"``: Phi(x) ~ (1 + tanh(u)) / 2 = sigmoid(2u), u = sqrt(2 / pi) (x + 0.044715 x^3),
    and dy/dx = s + x * 2 s (1 - s) * du/dx with s = sigmoid(2u), du/dx = sqrt(2 / pi) (1 + 3 * 0.044715 x^2).
    Writing 1 + tanh(u) as 2 sigmoid(2u) keeps the left tail exact instead of cancelling to 0.

    Shapes: any (N, ...) -> the same; the dtype is kept.

    Parameters
    ----------
    approximate : {"none", "tanh"}
        Which form of Phi to use, with PyTorch's names.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        if self.approximate == "tanh":
            clamped = np.clip(x, -_CLAMP, _CLAMP)  # x^3 would overflow float32 beyond |x| ~ 7e12
            cdf = self.ops.sigmoid((2.0 * _SQRT_2_OVER_PI) * (clamped + _KAPPA * clamped**3))
        else:
            cdf = 0.5 * erfc(x * -_SQRT_HALF)
        return x * cdf, (x, cdf)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        x, cdf = cache
        clamped = np.clip(x, -_CLAMP, _CLAMP)
        if self.approximate == "tanh":
            du_dx = _SQRT_2_OVER_PI * (1.0 + (3.0 * _KAPPA) * clamped * clamped)
            return grad * (cdf + x * (2.0 * cdf * (1.0 - cdf)) * du_dx)
        with np.errstate(under="ignore"):
            pdf = _INVERSE_SQRT_2PI * np.exp(-0.5 * clamped * clamped)
        return grad * (cdf + x * pdf)
