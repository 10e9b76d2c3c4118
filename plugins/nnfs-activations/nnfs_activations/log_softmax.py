"""LogSoftmax: the logarithm of Softmax, computed without forming it."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_activations._axis import check_axis_fits
from nnfs_activations._checks import check_int
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["LogSoftmax"]


class LogSoftmax(BaseLayer):
    """y = x - m - log(sum(exp(x - m))) along ``axis``, m the maximum along it, as ``torch.nn.LogSoftmax(dim)``.

    Exact for rows of huge logits, and finite wherever softmax itself would underflow to 0.
    dL/dx = g - s * sum(g) with s = exp(y) = softmax(x), kept from the forward pass; the sum is along ``axis``.
    Shapes: any (N, ...) -> the same; the dtype is kept.

    Parameters
    ----------
    axis : int
        The axis of the batch that is normalised (PyTorch's ``dim``); -1, the last, by default.
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = check_int("LogSoftmax", "axis", axis)

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        check_axis_fits("LogSoftmax", self.axis, tuple(input_shape))
        return super().build(input_shape, rng=rng, dtype=dtype)

    def forward(self, x: Array, *, training: bool = False) -> Array:
        shifted = x - x.max(axis=self.axis, keepdims=True)
        with np.errstate(under="ignore"):
            e = np.exp(shifted)
        total = e.sum(axis=self.axis, keepdims=True)
        e /= total
        self._softmax = e
        return shifted - np.log(total)

    def backward(self, grad: Array) -> Array:
        return grad - self._softmax * grad.sum(axis=self.axis, keepdims=True)
