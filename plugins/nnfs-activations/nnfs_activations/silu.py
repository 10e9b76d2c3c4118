"""SiLU (swish): x times its own sigmoid."""

from __future__ import annotations

from nnfs_activations._stable import sigmoid
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["SiLU"]


class SiLU(BaseLayer):
    """y = x * sigmoid(x), as ``torch.nn.SiLU``; also registered as ``swish``.

    dy/dx = s + x s (1 - s) = s (1 + x (1 - s)) with s = sigmoid(x), cached by the forward pass.
    Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def __init__(self) -> None:
        super().__init__()

    def forward(self, x: Array, *, training: bool = False) -> Array:
        self._x = x
        self._sigmoid = sigmoid(x)
        return x * self._sigmoid

    def backward(self, grad: Array) -> Array:
        s = self._sigmoid
        return grad * (s * (1.0 + self._x * (1.0 - s)))
