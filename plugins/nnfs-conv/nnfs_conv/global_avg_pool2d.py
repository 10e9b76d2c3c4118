"""GlobalAvgPool2D: the mean of each channel's map, (N, C, H, W) -> (N, C) (Keras's GlobalAveragePooling2D)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_conv._geometry import built_shape, check_batch, check_rank
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["GlobalAvgPool2D"]


class GlobalAvgPool2D(BaseLayer):
    """y[n, c] = mean over h, w of x[n, c, h, w]; ``torch.nn.AdaptiveAvgPool2d(1)`` followed by a flatten.

    Shapes: x (N, C, H, W) -> y (N, C). Backward spreads g[n, c] / (H W) over the map.
    """

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        shape = built_shape(self)
        check_rank(type(self).__name__, shape, "(C, H, W)")
        channels, height, width = shape
        self._scale = self.dtype.type(1.0 / (height * width))
        self.output_shape = (channels,)
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, None]:
        check_batch(type(self).__name__, x.shape, self.input_shape, "(C, H, W)")
        total = x.reshape(x.shape[0], x.shape[1], -1).sum(axis=-1, dtype=self.dtype)
        total *= self._scale
        return total, None

    def backward_pass(self, grad: Array, cache: None) -> Array:
        share = np.asarray(grad, dtype=self.dtype) * self._scale
        return np.broadcast_to(share[:, :, None, None], (grad.shape[0], *built_shape(self))).copy()
