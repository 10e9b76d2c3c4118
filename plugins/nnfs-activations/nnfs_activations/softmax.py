"""Softmax: exponentials normalised to sum to 1 along one axis."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_activations._axis import AlongAxis
from nnfs_core.protocols import Array

__all__ = ["Softmax"]


class Softmax(AlongAxis):
    """s = exp(x - m) / sum(exp(x - m)) along ``axis``, m the maximum along it, as ``torch.nn.Softmax(dim)``.

    Subtracting the maximum changes nothing mathematically and keeps every exponential in (0, 1], so rows
    of huge logits are exact. The backward pass is the Jacobian-vector product in closed form,
    dL/dx = (g - sum(g * s)) * s with the sum along ``axis``: no (C, C) Jacobian is ever formed.
    Shapes: any (N, ...) -> the same; the dtype is kept.

    Parameters
    ----------
    axis : int
        The axis of the batch that is normalised (PyTorch's ``dim``); -1, the last, by default.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        with np.errstate(under="ignore"):
            e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        return e, e

    def backward_pass(self, grad: Array, s: Any) -> Array:
        return (grad - (grad * s).sum(axis=self.axis, keepdims=True)) * s
