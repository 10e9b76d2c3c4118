"""ReLU6: ReLU capped at 6."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["ReLU6"]


class ReLU6(BaseLayer):
    """y = min(max(x, 0), 6), as ``torch.nn.ReLU6``.

    dy/dx = 1 for 0 < x < 6 and 0 elsewhere: both kinks, x = 0 and x = 6, take the flat side (PyTorch's
    convention). Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        inside = (x > 0) & (x < 6)
        return np.clip(x, 0, 6), inside

    def backward_pass(self, grad: Array, inside: Any) -> Array:
        return grad * inside
