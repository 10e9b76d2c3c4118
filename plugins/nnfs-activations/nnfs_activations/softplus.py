"""Softplus: a smooth ReLU, log(1 + exp(beta x)) / beta."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_activations._stable import sigmoid_and_softplus
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_number, check_positive

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
        self.beta = check_positive("Softplus", "beta", beta)
        self.threshold = check_number("Softplus", "threshold", threshold)

    def build_cost(self, input_shape: tuple[int, ...]) -> int:
        """Nothing is kept at build (``docs/writing-a-pack.md``, "Build cost")."""
        return 0

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        z = x * self.beta
        linear = z > self.threshold
        sigmoid, softplus = sigmoid_and_softplus(z)
        return np.where(linear, x, softplus / self.beta), (linear, sigmoid)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        linear, sigmoid = cache
        return np.where(linear, grad, grad * sigmoid)
