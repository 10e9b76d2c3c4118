"""HardSigmoid: a piecewise-linear sigmoid."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["HardSigmoid"]


class HardSigmoid(BaseLayer):
    """y = min(max(x + 3, 0), 6) / 6, as ``torch.nn.Hardsigmoid``.

    dy/dx = 1/6 for -3 < x < 3 and 0 elsewhere: the kinks x = -3 and x = 3 take the flat side
    (PyTorch's convention). Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        inside = (x > -3) & (x < 3)
        return np.clip(x + 3, 0, 6) / 6, inside

    def backward_pass(self, grad: Array, inside: Any) -> Array:
        return np.where(inside, grad / 6, 0)
