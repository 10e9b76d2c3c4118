"""What the max and average poolings (1-D and 2-D) share: arguments, output sizes and the window geometry.

A layer works out its ``WindowGeometry`` at build (PyTorch's output sizes, ``ceil_mode`` included) and
hands it to its ``ops`` kernel (``max_pool2d``, ``avg_pool2d``); a 1-D layer is a 2-D one of height 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfs_conv._args import as_pair, check_pool_padding, stored
from nnfs_conv._geometry import AXES, built_shape, check_batch, check_rank, pool_length
from nnfs_core.errors import ShapeError
from nnfs_core.ops import WindowGeometry
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["PoolBase"]


class PoolBase(BaseLayer):
    """Pooling over (N, C, H, W), or (N, C, L) when ``_one_d``; subclasses implement the reduction.

    Subclasses call ``_store_geometry`` in ``__init__`` and implement ``_pool`` (a batch to its output
    and cache) and ``_unpool`` (the output's gradient and that cache to the input's gradient).
    """

    _one_d = False
    parallel = True  # worth cutting over threads: the CPU backend splits the batch

    def _store_geometry(self, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool) -> None:
        owner, one_d = type(self).__name__, self._one_d  # a 1-D layer is a 2-D one of height 1
        self._kernel = as_pair(owner, "kernel_size", kernel_size, one_d=one_d)
        self._stride = as_pair(owner, "stride", kernel_size if stride is None else stride, one_d=one_d)
        self._dilation = as_pair(owner, "dilation", dilation, one_d=one_d)
        self._padding = as_pair(owner, "padding", padding, one_d=one_d, minimum=0, lead=0)
        check_pool_padding(owner, self._kernel, self._dilation, self._padding)
        self.kernel_size, self.stride, self.dilation = stored(kernel_size), stored(stride), stored(dilation)
        self.padding = stored(padding)
        self.ceil_mode = bool(ceil_mode)

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Nothing kept; one sample's windows (kh kw values per output position of the padded input).

        The load budget's declaration (``docs/writing-a-pack.md``, "Build cost").
        """
        if len(input_shape) != (2 if self._one_d else 3):
            return 0, 0
        channels, *spatial = input_shape
        sizes = (1, spatial[0]) if self._one_d else (spatial[0], spatial[1])
        positions = math.prod((size + 2 * pad) // step + 1
                              for size, pad, step in zip(sizes, self._padding, self._stride))
        return 0, channels * self._kernel[0] * self._kernel[1] * positions

    @property
    def _layout(self) -> str:
        return "(C, L)" if self._one_d else "(C, H, W)"

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        owner = type(self).__name__
        shape = built_shape(self)
        check_rank(owner, shape, self._layout)
        channels, *spatial = shape
        self._size = (1, spatial[0]) if self._one_d else (spatial[0], spatial[1])
        height, width = (
            pool_length(owner, shape, "length" if self._one_d else AXES[axis], self._size[axis], self._padding[axis],
                        self._kernel[axis], self._stride[axis], self._dilation[axis], self.ceil_mode)
            for axis in (0, 1)
        )
        self._out = (height, width)
        # With ceil_mode the last window may reach past the padding: pad the far side enough for it.
        bottom, right = (max(self._padding[axis], (self._out[axis] - 1) * self._stride[axis] + self._span(axis)
                             - self._size[axis] - self._padding[axis]) for axis in (0, 1))
        self._sides = (self._padding[0], bottom, self._padding[1], right)
        self._geometry = WindowGeometry(self._size, self._kernel, self._stride, self._dilation, self._sides, self._out)
        self._prepare()
        self.output_shape = (channels, self._out[1]) if self._one_d else (channels, *self._out)
        return self.output_shape

    def _span(self, axis: int) -> int:
        return self._dilation[axis] * (self._kernel[axis] - 1) + 1

    def _prepare(self) -> None:
        """Per-shape constants a subclass computes once at build (AvgPool's divisors)."""

    def _pool(self, x: Array) -> tuple[Array, Any]:
        """The pooled (N, C, OH, OW) batch and what backward needs, from ``self.ops``."""
        raise NotImplementedError

    def _pool_inference(self, x: Array) -> Array:
        """The pooled (N, C, OH, OW) batch alone, for inference; a subclass may skip what backward needs."""
        return self._pool(x)[0]

    def _unpool(self, grad: Array, cache: Any) -> Array:
        """d loss / d x (N, C, H, W) from d loss / d y (N, C, OH, OW) and ``_pool``'s cache."""
        raise NotImplementedError

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        """The pooled batch, and what backward needs (a new array owned by this call, or None)."""
        y, cache = self._pool(self._maps(x))
        return self._pooled(y), cache

    def inference_pass(self, x: Array) -> Array:
        """The pooled batch in inference, keeping nothing for backward (``run_inference``)."""
        return self._pooled(self._pool_inference(self._maps(x)))

    def _maps(self, x: Array) -> Array:
        """The checked batch as (N, C, H, W) (height 1 for a 1-D layer)."""
        check_batch(type(self).__name__, x.shape, self.input_shape, self._layout)
        return x.reshape(x.shape[0], x.shape[1], *self._size)

    def _pooled(self, y: Array) -> Array:
        """(N, C, OH, OW) as the layer's output: (N, C, OW) for a 1-D layer."""
        return y.reshape(y.shape[0], y.shape[1], self._out[1]) if self._one_d else y

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        batch, channels = grad.shape[0], grad.shape[1]
        if cache is not None and len(cache) != batch:
            raise ShapeError(f"{type(self).__name__}.backward_pass got a gradient for {batch} samples from a forward "
                             f"of {len(cache)}")
        grad_x = self._unpool(grad.reshape(batch, channels, *self._out), cache)
        return grad_x.reshape(batch, *built_shape(self))
