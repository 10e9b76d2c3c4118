"""HardTanh: x clipped to [min_val, max_val]."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_number

__all__ = ["HardTanh"]


class HardTanh(BaseLayer):
    """y = min(max(x, min_val), max_val), as ``torch.nn.Hardtanh``.

    dy/dx = 1 for min_val < x < max_val and 0 elsewhere: both kinks take the flat side (PyTorch's
    convention). Shapes: any (N, ...) -> the same; the dtype is kept.

    Parameters
    ----------
    min_val, max_val : float
        The clipping range, min_val < max_val.
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__()
        self.min_val = check_number("HardTanh", "min_val", min_val)
        self.max_val = check_number("HardTanh", "max_val", max_val)
        if not self.min_val < self.max_val:
            raise ValueError(
                f"HardTanh: min_val must be less than max_val, got min_val={min_val!r} and max_val={max_val!r}"
            )

    def build_cost(self, input_shape: tuple[int, ...]) -> int:
        """Nothing is kept at build (``docs/writing-a-pack.md``, "Build cost")."""
        return 0

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        inside = (x > self.min_val) & (x < self.max_val)
        return np.clip(x, self.min_val, self.max_val), inside

    def backward_pass(self, grad: Array, inside: Any) -> Array:
        return grad * inside
