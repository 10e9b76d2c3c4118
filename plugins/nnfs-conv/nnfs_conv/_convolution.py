"""What Conv2D, Conv1D and DepthwiseConv2D share: a grouped 2-D convolution by im2col and one GEMM.

1-D layers run through the same code with a height of 1. Forward, for groups G (C = G Cg, O = G Og):

    cols = im2col(pad(x))                       (G, Cg kh kw, N OH OW)
    y    = weight (G, Og, Cg kh kw) @ cols + b  -> (N, O, OH, OW)

Backward, with g = d loss / d y rearranged to (G, Og, N OH OW):

    d weight = g @ cols^T        d bias = sum of g over (N, OH, OW)
    d x      = unpad(col2im(weight^T @ g))

The batch is cut into one run of samples per thread (nnfs_core.parallel) and each run into pieces whose
scratch stays in cache; backward rebuilds a piece's columns from the padded input that forward keeps,
so no whole-batch column buffer exists. Three ways to build and fold the columns: stride 1 with the
width kept and zero padding reads shifted rows (``im2col_same_width``, the common 3x3 pad 1 case); other
stride-1 convolutions compute ``weight^T @ g`` on rows of the padded width so that col2im adds long runs
(``col2im_rows``); the rest copies windows (``im2col``/``col2im``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from nnfs_conv._args import as_pair, conv_padding, stored
from nnfs_conv._geometry import AXES, built_shape, check_batch, check_rank, conv_length, same_padding
from nnfs_conv._im2col import (
    NUMPY_MODES,
    col2im,
    col2im_rows,
    col2im_same_width,
    im2col,
    im2col_same_width,
    pad,
    pad_rows,
    unpad,
    weight_gradient,
    zero_wrapped,
)
from nnfs_conv._workspace import Workspace
from nnfs_core import parallel
from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_choice

__all__ = ["ConvolutionBase", "PADDING_MODES"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_PIECE_BYTES = 8 * 2**20  # scratch per piece of a batch (see _sample_bytes): stays in the L3 cache between passes


class ConvolutionBase(BaseLayer):
    """Grouped convolution over (N, C, H, W), or (N, C, L) when ``_one_d``; subclasses set the geometry.

    Subclasses call ``_store_geometry`` in ``__init__`` and implement ``_channels`` (groups and
    out_channels for a number of input channels).
    """

    _one_d = False
    parallel = True  # forward and backward split the batch over nnfs's threads
    _kernel: tuple[int, int]
    _stride: tuple[int, int]
    _dilation: tuple[int, int]
    _padding: tuple[int, int] | None  # None: "same"
    padding_mode: str
    use_bias: bool

    def _channels(self, in_channels: int) -> tuple[int, int]:
        """``(groups, out_channels)`` for this many input channels."""
        raise NotImplementedError

    def _store_geometry(self, kernel_size: Any, stride: Any, padding: Any, dilation: Any, use_bias: bool,
                        padding_mode: str) -> None:
        """Check and store the arguments every convolution shares (as given, and normalised to 2-D)."""
        owner = type(self).__name__
        one_d = self._one_d  # a 1-D layer is a 2-D one of height 1
        self._kernel = as_pair(owner, "kernel_size", kernel_size, one_d=one_d)
        self._stride = as_pair(owner, "stride", stride, one_d=one_d)
        self._dilation = as_pair(owner, "dilation", dilation, one_d=one_d)
        self._padding = conv_padding(owner, padding, one_d=one_d)
        if self._padding is None and self._stride != (1, 1):
            raise ValueError(f"{owner}: padding='same' needs stride 1 (as in PyTorch), got stride={stride!r}")
        check_choice(owner, "padding_mode", padding_mode, PADDING_MODES)
        self.kernel_size, self.stride, self.dilation = stored(kernel_size), stored(stride), stored(dilation)
        self.padding = stored(padding)
        self.use_bias = bool(use_bias)
        self.padding_mode = padding_mode

    @property
    def _layout(self) -> str:
        return "(C, L)" if self._one_d else "(C, H, W)"

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Weight, bias and their gradients; one sample's columns (C kh kw values per output position).

        The load budget's declaration (``docs/writing-a-pack.md``, "Build cost"). Output positions are
        bounded by the padded input's (stride 1); a shape build would refuse costs nothing.
        """
        if len(input_shape) != (2 if self._one_d else 3):
            return 0, 0
        in_channels, *spatial = input_shape
        groups, out_channels = self._channels(in_channels)
        kernel = self._kernel[0] * self._kernel[1]
        held = 2 * out_channels * (in_channels // max(groups, 1) * kernel + self.use_bias)
        padding = (0, 0) if self._padding is None else self._padding
        sizes = (1, spatial[0]) if self._one_d else (spatial[0], spatial[1])
        positions = math.prod(size + 2 * pad for size, pad in zip(sizes, padding))
        return held, in_channels * kernel * positions

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        from nnfs_core import initializers

        super().build(input_shape, rng=rng, dtype=dtype)
        owner = type(self).__name__
        shape = built_shape(self)
        check_rank(owner, shape, self._layout)
        in_channels, *spatial = shape
        groups, out_channels = self._channels(in_channels)
        if in_channels % groups:
            raise ShapeError(f"{owner} with groups={groups} needs input channels divisible by {groups}, got samples "
                             f"of shape {shape} ({in_channels} channels)")
        self._size = (1, spatial[0]) if self._one_d else (spatial[0], spatial[1])
        self._sides = self._pad_sides()
        self._check_mode_padding()
        height, width = (
            conv_length(owner, shape, "length" if self._one_d else AXES[axis], self._size[axis],
                        self._sides[2 * axis] + self._sides[2 * axis + 1], self._kernel[axis], self._stride[axis],
                        self._dilation[axis])
            for axis in (0, 1)
        )
        self._out = (height, width)
        self._groups = groups
        top, bottom, left, right = self._sides
        self._padded = (self._size[0] + top + bottom, self._size[1] + left + right)
        # Stride 1 with zero padding that keeps the width: columns as shifted rows (see im2col_same_width).
        self._same_width = (self._stride == (1, 1) and self.padding_mode == "zeros"
                            and left + right == self._dilation[1] * (self._kernel[1] - 1))
        self._rows_wide = self._stride == (1, 1) and not self._same_width  # see col2im_rows
        kernel = self._kernel[1:] if self._one_d else self._kernel
        init = initializers.resolve(initializers.DEFAULT_WEIGHT)
        weight_shape = (out_channels, in_channels // groups, *kernel)
        self.params = {"weight": init(weight_shape, rng=rng, dtype=self.dtype)}
        if self.use_bias:
            fan_in = initializers.compute_fans(weight_shape)[0]
            self.params["bias"] = init((out_channels,), rng=rng, dtype=self.dtype, fan_in=fan_in)
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self._workspace = Workspace()
        self.output_shape = (out_channels, self._out[1]) if self._one_d else (out_channels, *self._out)
        return self.output_shape

    def _pad_sides(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right), PyTorch's asymmetric split for "same" (extra on the bottom/right)."""
        if self._padding is None:
            top, bottom = same_padding(self._kernel[0], self._dilation[0])
            left, right = same_padding(self._kernel[1], self._dilation[1])
            return top, bottom, left, right
        height, width = self._padding
        return height, height, width, width

    def _check_mode_padding(self) -> None:
        """PyTorch refuses reflect padding as wide as the input, and circular padding wider than it."""
        if self.padding_mode not in NUMPY_MODES:
            return
        for axis in (0, 1):
            widest, size = max(self._sides[2 * axis: 2 * axis + 2]), self._size[axis]
            limit = size - 1 if self.padding_mode == "reflect" else size
            if widest > limit:
                raise ShapeError(f"{type(self).__name__} with padding_mode={self.padding_mode!r} cannot pad samples "
                                 f"of shape {self.input_shape} by {widest} along an axis of size {size}")

    def _weight3(self) -> Array:
        """The weight as (G, Og, Cg kh kw), a view."""
        weight = self.params["weight"]
        return weight.reshape(self._groups, weight.shape[0] // self._groups, -1)

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Array]:
        """y for the batch x, and the padded input (a new array, owned by this call) that backward reads."""
        check_batch(type(self).__name__, x.shape, self.input_shape, self._layout)
        batch, channels = x.shape[0], x.shape[1]
        y = np.empty((batch, self.params["weight"].shape[0], *self._out), dtype=self.dtype)
        if self._same_width:
            padded = pad_rows(x.reshape(batch, channels, *self._size), self._sides[0], self._sides[1], self._guard)
        else:
            padded = pad(x.reshape(batch, channels, *self._size), self._sides, self.padding_mode)
        with self._workspace.borrow() as workspace:
            self._over_batch(workspace, batch, partial(self._forward_piece, padded, y))
        return (y.reshape(*y.shape[:2], self._out[1]) if self._one_d else y), padded

    def _forward_piece(self, padded: Array, y: Array, scratch: Workspace, start: int, stop: int) -> None:
        """y[start:stop] = weight @ im2col(padded[start:stop]) + bias, through ``scratch``'s buffers."""
        weight = self._weight3()
        cols = self._columns(scratch, stop - start, self._out[1])
        self._im2col(padded, start, stop, cols)
        product = scratch.buffer("product", (weight.shape[0] * weight.shape[1], stop - start, *self._out), self.dtype)
        np.matmul(weight, cols, out=product.reshape(self._groups, weight.shape[1], -1))
        if self.use_bias:
            np.add(product.transpose(1, 0, 2, 3), self.params["bias"][:, None, None], out=y[start:stop])
        else:
            np.copyto(y[start:stop], product.transpose(1, 0, 2, 3))

    def _over_batch(self, workspace: Workspace, batch: int, work: Callable[[Workspace, int, int], None]) -> list[int]:
        """Run ``work(scratch, start, stop)`` over the batch: one run of samples per thread, in pieces.

        A piece's scratch arrays (columns, output, gradients) take about ``_PIECE_BYTES``, small enough to
        stay in cache from one pass to the next. Returns the thread indices used (one scratch each).
        """
        piece = max(1, _PIECE_BYTES // self._sample_bytes())

        def run(index: int, first: int, last: int) -> int:
            scratch = workspace.child(index)
            for start in range(first, last, piece):
                work(scratch, start, min(start + piece, last))
            return index

        with parallel.blas_single_threaded():
            return parallel.run([partial(run, index, first, last)
                                 for index, (first, last) in enumerate(parallel.split(batch))])

    @property
    def _guard(self) -> int:
        """Spare zeros at both ends of a same-width buffer: the furthest a kernel offset shifts a row."""
        return max(self._sides[2], self._sides[3])

    def _im2col(self, padded: Array, start: int, stop: int, cols: Array) -> Array:
        """Samples start:stop's columns into ``cols``, from what forward padded (one layout per path)."""
        if self._same_width:
            shape = (built_shape(self)[0], self._padded[0], self._size[1])
            return im2col_same_width(padded, self._guard, start, stop, shape, self._kernel, self._dilation,
                                     self._sides[2], self._out[0], cols)
        return im2col(padded[start:stop], self._kernel, self._stride, self._dilation, self._out, cols)

    def _sample_bytes(self) -> int:
        """Scratch bytes one sample of a piece takes: its columns, output and output gradient, input gradient."""
        rows = self.params["weight"][0].size * self._groups
        width = self._padded[1] if self._rows_wide else self._out[1]
        out_channels = self.params["weight"].shape[0]
        elements = (rows * self._out[0] * width + 2 * out_channels * self._out[0] * self._out[1]
                    + built_shape(self)[0] * (self._padded[0] + 1) * self._padded[1])
        return elements * np.dtype(self.dtype).itemsize

    def _columns(self, workspace: Workspace, batch: int, width: int) -> Array:
        """The column buffer viewed as (G, Cg kh kw, N OH width); its size allows width = padded width."""
        rows = self.params["weight"][0].size * self._groups
        widest = self._padded[1] if self._rows_wide else self._out[1]
        buffer = workspace.buffer("cols", (rows * batch * self._out[0] * widest,), self.dtype)
        return buffer[:rows * batch * self._out[0] * width].reshape(self._groups, rows // self._groups, -1)

    def backward_pass(self, grad: Array, padded: Array) -> Array:
        batch, out_channels = grad.shape[0], grad.shape[1]
        grad = grad.reshape(batch, out_channels, *self._out)
        channels = built_shape(self)[0]
        grad_x = None if self.skip_input_grad else np.empty((batch, channels, *self._size), dtype=self.dtype)
        with self._workspace.borrow() as workspace:
            for index in range(len(parallel.split(batch))):
                for name, value in self.grads.items():
                    workspace.child(index).array(name, value.shape, self.dtype).fill(0)
            used = self._over_batch(workspace, batch, partial(self._backward_piece, padded, grad, grad_x))
            for name in self.grads:  # the threads' sums, added in a fixed order
                np.copyto(self.grads[name], sum(workspace.child(index).array(name, self.grads[name].shape, self.dtype)
                                                for index in used))
        if grad_x is None:
            return None  # type: ignore[return-value]
        return grad_x.reshape(batch, *built_shape(self))

    def _backward_piece(self, padded: Array, grad: Array, grad_x: Array | None, scratch: Workspace, start: int,
                        stop: int) -> None:
        """Samples start:stop: add their weight and bias gradients to ``scratch``'s, write grad_x[start:stop]."""
        weight = self._weight3()
        out_channels, count = weight.shape[0] * weight.shape[1], stop - start
        sums = {name: scratch.array(name, value.shape, self.dtype) for name, value in self.grads.items()}
        grad_t = scratch.buffer("grad_t", (out_channels, count, *self._out), self.dtype)
        np.copyto(grad_t, grad[start:stop].transpose(1, 0, 2, 3))
        cols = self._columns(scratch, count, self._out[1])
        self._im2col(padded, start, stop, cols)
        grad3 = grad_t.reshape(weight.shape[0], weight.shape[1], -1)
        part = weight_gradient(grad3, cols, scratch.array("part", weight.shape, self.dtype))
        sums["weight"] += part.reshape(sums["weight"].shape)
        if self.use_bias:
            sums["bias"] += grad_t.reshape(out_channels, -1).sum(axis=1)
        if grad_x is not None:
            if self._same_width:
                grad_padded = self._grad_padded_rows(scratch, grad_t, weight)
                sides = (self._sides[0], self._sides[1], 0, 0)
            else:
                grad_padded, sides = self._grad_padded(scratch, grad_t, weight), self._sides
            unpad(grad_padded, sides, self.padding_mode, self._size, out=grad_x[start:stop])

    def _grad_padded_rows(self, workspace: Workspace, grad_t: Array, weight: Array) -> Array:
        """d loss / d row-padded input, (C, N, Hp, W), for the same-width path: col2im of weight^T @ g."""
        channels, batch, width = built_shape(self)[0], grad_t.shape[1], self._size[1]
        grad_cols = np.matmul(weight.transpose(0, 2, 1), grad_t.reshape(weight.shape[0], weight.shape[1], -1),
                              out=self._columns(workspace, batch, self._out[1]))
        zero_wrapped(grad_cols, self._kernel, self._dilation, self._sides[2], channels, batch, self._out[0], width)
        flat = workspace.buffer("grad_padded", (channels * batch * self._padded[0] * width + 2 * self._guard,),
                                self.dtype)
        return col2im_same_width(grad_cols, self._kernel, self._dilation, self._sides[2],
                                 (channels, self._padded[0], width), batch, self._out[0], self._guard, flat)

    def _grad_padded(self, workspace: Workspace, grad_t: Array, weight: Array) -> Array:
        """d loss / d padded input, (C, N, Hp, Wp): col2im(weight^T @ g), the column buffer reused."""
        channels, batch = built_shape(self)[0], grad_t.shape[1]
        if not self._rows_wide:
            grad_cols = np.matmul(weight.transpose(0, 2, 1), grad_t.reshape(weight.shape[0], weight.shape[1], -1),
                                  out=self._columns(workspace, batch, self._out[1]))
            grad_padded = workspace.buffer("grad_padded", (channels, batch, *self._padded), self.dtype)
            return col2im(grad_cols, self._kernel, self._stride, self._dilation, self._out, grad_padded)
        pitch = self._padded[1]
        wide = workspace.buffer("grad_wide", (grad_t.shape[0], batch, self._out[0], pitch), self.dtype, fill=0.0)
        wide[:, :, :, :self._out[1]] = grad_t  # the columns beyond OW stay zero
        grad_cols = np.matmul(weight.transpose(0, 2, 1), wide.reshape(weight.shape[0], weight.shape[1], -1),
                              out=self._columns(workspace, batch, pitch))
        flat = workspace.buffer("grad_padded", (channels, batch, (self._padded[0] + 1) * pitch), self.dtype)
        col2im_rows(grad_cols, self._kernel, self._dilation, self._out[0], pitch, flat)
        return flat[:, :, :self._padded[0] * pitch].reshape(channels, batch, *self._padded)
