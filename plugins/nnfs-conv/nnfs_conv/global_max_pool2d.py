"""GlobalMaxPool2D: the maximum of each channel's map, (N, C, H, W) -> (N, C) (Keras's GlobalMaxPooling2D)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_conv._geometry import built_shape, check_batch, check_rank
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["GlobalMaxPool2D"]


class GlobalMaxPool2D(BaseLayer):
    """y[n, c] = max over h, w of x[n, c, h, w]; ``torch.nn.AdaptiveMaxPool2d(1)`` followed by a flatten.

    Shapes: x (N, C, H, W) -> y (N, C). The gradient goes to the first maximum of each map (row-major),
    as PyTorch's max pooling does.
    """

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        shape = built_shape(self)
        check_rank(type(self).__name__, shape, "(C, H, W)")
        self.output_shape = (shape[0],)
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Array]:
        """y, and each map's argmax (N, C, 1) for backward."""
        check_batch(type(self).__name__, x.shape, self.input_shape, "(C, H, W)")
        flat = x.reshape(x.shape[0], x.shape[1], -1)
        argmax = flat.argmax(axis=-1)[:, :, None]
        return np.take_along_axis(flat, argmax, axis=-1)[:, :, 0].astype(self.dtype, copy=False), argmax

    def backward_pass(self, grad: Array, argmax: Array) -> Array:
        batch, channels = grad.shape
        grad_x = np.zeros((batch, channels, built_shape(self)[1] * built_shape(self)[2]), dtype=self.dtype)
        np.put_along_axis(grad_x, argmax, grad[:, :, None], axis=-1)
        return grad_x.reshape(batch, *built_shape(self))
