"""Mish: x * tanh(softplus(x))."""

from __future__ import annotations

import numpy as np

from nnfs_activations._stable import sigmoid_and_softplus
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Mish"]


class Mish(BaseLayer):
    """y = x * tanh(softplus(x)), softplus(x) = log(1 + exp(x)), as ``torch.nn.Mish`` (Misra, 2019).

    dy/dx = t + x * sigmoid(x) * (1 - t^2) with t = tanh(softplus(x)), since d softplus / dx = sigmoid.
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._x = x
        self._sigmoid, softplus = sigmoid_and_softplus(x)
        self._tanh = np.tanh(softplus)
        return x * self._tanh

    def backward(self, grad: Array) -> Array:
        t = self._tanh
        return grad * (t + self._x * self._sigmoid * (1.0 - t * t))
