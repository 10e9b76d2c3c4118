"""SELU: the scaled exponential linear unit of self-normalising networks."""

from __future__ import annotations

from typing import Any

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

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        positive = x > 0
        negative = np.minimum(x, 0)
        return np.where(positive, _SCALE * x, (_SCALE * _ALPHA) * np.expm1(negative)), (positive, negative)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        positive, negative = cache
        return grad * np.where(positive, _SCALE, (_SCALE * _ALPHA) * np.exp(negative))
