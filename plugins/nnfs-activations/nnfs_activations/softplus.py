"""Softplus: a smooth ReLU, log(1 + exp(beta x)) / beta."""

from __future__ import annotations

import numpy as np

from nnfs_activations._checks import check_real
from nnfs_activations._stable import sigmoid_and_softplus
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Softplus"]


class Softplus(BaseLayer):
    """y = log(1 + exp(beta x)) / beta, and y = x where beta x > threshold, as ``torch.nn.Softplus``.

    dy/dx = sigmoid(beta x), and 1 where beta x > threshold (the linear branch starts strictly above the
    threshold, as in PyTorch). log(1 + exp(z)) is evaluated as max(z, 0) + log1p(exp(-|z|)), which
    neither overflows nor rounds the left tail to 0.
    Shapes: any (N, ...) -> the same; the dtype is kept.

    Parameters
    ----------
    beta : float
        Sharpness, > 0.
    threshold : float
        Above this value of beta x the function is taken as linear.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = check_real("Softplus", "beta", beta, positive=True)
        self.threshold = check_real("Softplus", "threshold", threshold)

    def forward(self, x: Array, *, training: bool = False) -> Array:
        z = x * self.beta
        self._linear = z > self.threshold
        self._sigmoid, softplus = sigmoid_and_softplus(z)
        return np.where(self._linear, x, softplus / self.beta)

    def backward(self, grad: Array) -> Array:
        return np.where(self._linear, grad, grad * self._sigmoid)
