"""LeakyReLU: ReLU with a small slope for negative inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_number

__all__ = ["LeakyReLU"]


class LeakyReLU(BaseLayer):
    """y = x for x > 0 and negative_slope * x otherwise, as ``torch.nn.LeakyReLU``.

    dy/dx = 1 for x > 0 and negative_slope otherwise, including at x = 0 (PyTorch's convention).
    Shapes: any (N, ...) -> the same; the dtype is kept.

    Parameters
    ----------
    negative_slope : float
        The slope for x <= 0.
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_number("LeakyReLU", "negative_slope", negative_slope)

    def build_cost(self, input_shape: tuple[int, ...]) -> int:
        """Nothing is kept at build (``docs/writing-a-pack.md``, "Build cost")."""
        return 0

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        positive = x > 0
        return np.where(positive, x, x * self.negative_slope), positive

    def backward_pass(self, grad: Array, positive: Any) -> Array:
        return np.where(positive, grad, grad * self.negative_slope)
