"""What the max and average poolings (1-D and 2-D) share: geometry, padding, and the loop over offsets.

A window of kh x kw elements is visited as kh kw strided slices of the (padded) input, one per kernel
offset (i, j), each covering all N x C x OH x OW outputs at once:

    slice_ij = x_pad[:, :, i dh : ... : sh, j dw : ... : sw]          (N, C, OH, OW)

so pooling is kh kw vectorised elementwise passes. Measured against reducing a reshaped view
``x.reshape(N, C, OH, kh, OW, kw).max(axis=(3, 5))`` for windows that tile the input (see the README's
performance section), these passes are 10-20x faster, so tiling windows take the same path and only skip
the padded copy and the zero fill of the gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np

from nnfs_conv._args import as_pair, check_pool_padding, stored
from nnfs_conv._geometry import AXES, built_shape, check_batch, check_rank, pool_length
from nnfs_conv._im2col import offset_slices, pad
from nnfs_conv._workspace import Workspace
from nnfs_core import parallel
from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["PoolBase"]


class PoolBase(BaseLayer):
    """Pooling over (N, C, H, W), or (N, C, L) when ``_one_d``; subclasses implement the reduction.

    Subclasses call ``_store_geometry`` in ``__init__`` and implement ``_pool`` (padded input to a
    new output) and ``_unpool`` (output gradient into the padded input's gradient, per offset).
    """

    _one_d = False
    parallel = True  # forward and backward split the batch over nnfs's threads
    _fill = 0.0  # what padding reads as (-inf for max pooling)

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
        self._disjoint = all(self._stride[axis] >= self._span(axis) for axis in (0, 1))
        self._tiles = self._disjoint and not any(self._sides) and all(
            self._stride[axis] == self._kernel[axis] == self._span(axis)  # no dilation gaps
            and self._out[axis] * self._stride[axis] == self._size[axis]
            for axis in (0, 1))
        self._workspace = Workspace()
        self._prepare()
        self.output_shape = (channels, self._out[1]) if self._one_d else (channels, *self._out)
        return self.output_shape

    def _span(self, axis: int) -> int:
        return self._dilation[axis] * (self._kernel[axis] - 1) + 1

    def _prepare(self) -> None:
        """Per-shape constants a subclass computes once at build (AvgPool's divisors)."""

    def _offsets(self, array: Array) -> Iterator[tuple[int, Array]]:
        """(index, strided slice) for each kernel offset, index = i kw + j as in PyTorch's row-major windows."""
        for i in range(self._kernel[0]):
            for j in range(self._kernel[1]):
                rows, columns = offset_slices(i, j, self._stride, self._dilation, self._out)
                yield i * self._kernel[1] + j, array[:, :, rows, columns]

    def _pool(self, padded: Array, workspace: Workspace, out: Array, saved: Array | None) -> None:
        """Pool ``padded`` (a run of samples) into ``out``, and what backward needs into ``saved``."""
        raise NotImplementedError

    def _unpool(self, grad: Array, grad_padded: Array, workspace: Workspace, saved: Array | None) -> None:
        raise NotImplementedError

    def _saved(self, shape: tuple[int, ...]) -> Array | None:
        """A new array for what backward needs of a forward whose output has ``shape`` (None: nothing)."""
        return None

    def _over_batch(self, workspace: Workspace, batch: int, work: Callable[[Workspace, int, int], None]) -> None:
        """``work(scratch, start, stop)`` on one run of samples per thread; the same runs for the same batch."""
        parallel.run([partial(work, workspace.child(index), start, stop)
                      for index, (start, stop) in enumerate(parallel.split(batch))])

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Array | None]:
        """The pooled batch, and what backward needs (a new array owned by this call, or None)."""
        check_batch(type(self).__name__, x.shape, self.input_shape, self._layout)
        batch, channels = x.shape[0], x.shape[1]
        y = np.empty((batch, channels, *self._out), dtype=self.dtype)
        saved = self._saved(y.shape)
        padded = pad(x.reshape(batch, channels, *self._size), self._sides, "zeros", value=self._fill)
        with self._workspace.borrow() as workspace:
            self._over_batch(workspace, batch, lambda scratch, start, stop: self._pool(
                padded[start:stop], scratch, y[start:stop], None if saved is None else saved[start:stop]))
        return (y.reshape(batch, channels, self._out[1]) if self._one_d else y), saved

    def backward_pass(self, grad: Array, saved: Array | None) -> Array:
        batch, channels = grad.shape[0], grad.shape[1]
        if saved is not None and len(saved) != batch:
            raise ShapeError(f"{type(self).__name__}.backward_pass got a gradient for {batch} samples from a forward "
                             f"of {len(saved)}")
        grad = grad.reshape(batch, channels, *self._out)
        top, bottom, left, right = self._sides
        grad_x = np.empty((batch, channels, *self._size), dtype=self.dtype)

        def part(values: Array | None, start: int, stop: int) -> Array | None:
            return None if values is None else values[start:stop]

        with self._workspace.borrow() as workspace:
            if self._tiles:  # every input element is in exactly one window: write the result directly
                self._over_batch(workspace, batch, lambda scratch, start, stop: self._unpool(
                    grad[start:stop], grad_x[start:stop], scratch, part(saved, start, stop)))
            else:
                shape = (batch, channels, self._size[0] + top + bottom, self._size[1] + left + right)
                grad_padded = workspace.array("grad_padded", shape, self.dtype)

                def piece(scratch: Workspace, start: int, stop: int) -> None:
                    grad_padded[start:stop].fill(0)
                    self._unpool(grad[start:stop], grad_padded[start:stop], scratch, part(saved, start, stop))
                    grad_x[start:stop] = grad_padded[start:stop, :, top:top + self._size[0], left:left + self._size[1]]

                self._over_batch(workspace, batch, piece)
        return grad_x.reshape(batch, *built_shape(self))

    def _route(self, target: Array, values: Array, mask: Array | None = None, scratch: Array | None = None) -> None:
        """Write (disjoint windows) or add (overlapping ones) ``values`` (times ``mask``) into ``target``."""
        if mask is None:
            if self._disjoint:
                np.copyto(target, values)
            else:
                target += values
        elif self._disjoint:
            np.multiply(values, mask, out=target)
        else:
            np.multiply(values, mask, out=scratch)
            target += scratch
