"""SELU: the scaled exponential linear unit of self-normalising networks."""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["SELU"]

# The constants of Klambauer et al. (2017), to the digits PyTorch uses.
_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946


class SELU(BaseLayer):
    """y = scale * x for x > 0 and scale * alpha * (exp(x) - 1) otherwise, as ``torch.nn.SELU``.

    alpha = 1.6732632..., scale = 1.0507009...; dy/dx = scale for x > 0 and scale * alpha * exp(x)
    otherwise, so scale * alpha at x = 0 (PyTorch's convention).
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._positive = x > 0
        self._negative = np.minimum(x, 0)
        return np.where(self._positive, _SCALE * x, (_SCALE * _ALPHA) * np.expm1(self._negative))

    def backward(self, grad: Array) -> Array:
        return grad * np.where(self._positive, _SCALE, (_SCALE * _ALPHA) * np.exp(self._negative))
