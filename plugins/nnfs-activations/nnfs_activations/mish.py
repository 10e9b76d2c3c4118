"""Mish: x * tanh(softplus(x))."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_activations._stable import sigmoid_and_softplus
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Mish"]


class Mish(BaseLayer):
    """y = x * tanh(softplus(x)), softplus(x) = log(1 + exp(x)), as ``torch.nn.Mish`` (Misra, 2019).

    dy/dx = t + x * sigmoid(x) * (1 - t^2) with t = tanh(softplus(x)), since d softplus / dx = sigmoid.
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        sigmoid, softplus = sigmoid_and_softplus(x)
        t = np.tanh(softplus)
        return x * t, (x, sigmoid, t)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        x, sigmoid, t = cache
        return grad * (t + x * sigmoid * (1.0 - t * t))
