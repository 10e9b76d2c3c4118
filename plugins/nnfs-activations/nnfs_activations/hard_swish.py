"""HardSwish: x times HardSigmoid(x)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["HardSwish"]


class HardSwish(BaseLayer):
    """y = x * min(max(x + 3, 0), 6) / 6, as ``torch.nn.Hardswish`` (Howard et al., 2019).

    dy/dx = 0 for x <= -3, x / 3 + 1/2 for -3 < x < 3, and 1 for x >= 3; the kink at -3 takes the
    flat side and the kink at 3 the linear side, exactly as PyTorch's kernel does.
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        return x * np.clip(x + 3, 0, 6) / 6, x

    def backward_pass(self, grad: Array, x: Any) -> Array:
        slope = np.where(x >= 3, 1, x / 3 + 0.5)
        return np.where(x <= -3, 0, grad * slope)
