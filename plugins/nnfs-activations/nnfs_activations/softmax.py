"""Softmax: exponentials normalised to sum to 1 along one axis."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_activations._axis import check_axis_fits
from nnfs_activations._checks import check_int
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Softmax"]


class Softmax(BaseLayer):
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

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = check_int("Softmax", "axis", axis)

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        check_axis_fits("Softmax", self.axis, tuple(input_shape))
        return super().build(input_shape, rng=rng, dtype=dtype)

    def forward(self, x: Array, *, training: bool = False) -> Array:
        with np.errstate(under="ignore"):
            e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        self._y = e
        return e

    def backward(self, grad: Array) -> Array:
        s = self._y
        return (grad - (grad * s).sum(axis=self.axis, keepdims=True)) * s
