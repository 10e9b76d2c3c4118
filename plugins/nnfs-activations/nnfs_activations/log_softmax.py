"""LogSoftmax: the logarithm of Softmax, computed without forming it."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_activations._axis import AlongAxis
from nnfs_core.protocols import Array

__all__ = ["LogSoftmax"]


class LogSoftmax(AlongAxis):
    """y = x - m - log(sum(exp(x - m))) along ``axis``, m the maximum along it, as ``torch.nn.LogSoftmax(dim)``.

    Exact for rows of huge logits, and finite wherever softmax itself would underflow to 0.
    dL/dx = g - s * sum(g) with s = exp(y) = softmax(x), kept from the forward pass; the sum is along ``axis``.
    Shapes: any (N, ...) -> the same; the dtype is kept.

    Parameters
    ----------
    axis : int
        The axis of the batch that is normalised (PyTorch's ``dim``); -1, the last, by default.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        shifted = x - x.max(axis=self.axis, keepdims=True)
        with np.errstate(under="ignore"):
            e = np.exp(shifted)
        total = e.sum(axis=self.axis, keepdims=True)
        e /= total
        return shifted - np.log(total), e

    def backward_pass(self, grad: Array, softmax: Any) -> Array:
        return grad - softmax * grad.sum(axis=self.axis, keepdims=True)
