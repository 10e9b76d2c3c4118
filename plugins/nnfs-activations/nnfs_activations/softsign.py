"""Softsign: x / (1 + |x|)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Softsign"]


class Softsign(BaseLayer):
    """y = x / (1 + |x|), as ``torch.nn.Softsign``.

    dy/dx = 1 / (1 + |x|)^2, from the cached scale 1 / (1 + |x|) (not from 1 - |y|, which cancels for large |x|).
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        scale = 1 / (1 + np.abs(x))
        return x * scale, scale

    def backward_pass(self, grad: Array, scale: Any) -> Array:
        return grad * (scale * scale)
