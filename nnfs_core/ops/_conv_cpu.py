"""The CPU backend's window kernels: ``Ops``'s convolutions and poolings, cut over threads and pieces.

The maths is the reference's (``Ops.conv2d`` and the others); what differs is where the work runs and
which memory it uses.

**Threads.** The batch is cut into one run of samples per thread, with fixed bounds (``_threads.split``),
so a batch is always cut the same way and the results do not depend on which thread finishes first.
Convolutions hold the BLAS to one thread per call meanwhile (their products run on our threads instead);
each thread's weight and bias gradients are its own sums, added in run order at the end.

**Pieces.** Each run is cut into pieces whose temporaries (columns, products, gradients: about
``_PIECE_BYTES``) stay in the cache from one pass to the next, in the thread's grow-only scratch
(``_scratch``). Backward rebuilds a piece's columns from the padded input the forward call returned in its
cache (a new array), so no whole-batch column buffer exists and no cache views scratch.

**Three ways to build and fold a convolution's columns** (``_im2col_cpu``): stride 1 with the width kept
and zero padding reads shifted rows (``im2col_same_width``, the common 3x3 pad 1 case); other stride-1
convolutions compute ``weight^T @ g`` on rows of the padded width so that col2im adds long runs
(``col2im_rows``); the rest copies windows (``im2col``/``col2im``). A "same" convolution's input gradient
is a same convolution of g with the flipped kernel instead (``_input_gradient``), and a pointwise (1x1,
unpadded) convolution needs no columns at all (``_pointwise``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from nnfs_core.ops import _threads
from nnfs_core.ops._im2col_cpu import (
    col2im,
    col2im_rows,
    col2im_same_width,
    im2col,
    im2col_same_width,
    offset_slices,
    pad,
    pad_rows,
    unpad,
    weight_gradient,
    zero_wrapped,
)
from nnfs_core.ops._scratch import Scratch, borrow
from nnfs_core.ops.geometry import WindowGeometry
from nnfs_core.protocols import Array

__all__ = ["conv2d", "conv2d_backward", "conv_transpose2d", "conv_transpose2d_backward", "max_pool2d",
           "max_pool2d_inference", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward"]

_PIECE_BYTES = 8 * 2**20  # scratch per piece of a batch (see _ConvPlan.sample_bytes): stays in the L3 cache


def _over_runs(batch: int, task: Callable[[int, int], Any], *, hold_blas: bool) -> list[Any]:
    """``task(first, last)`` on one run of samples per thread (fixed bounds); the results in run order."""
    runs = _threads.split(batch) or [(0, batch)]
    with _threads.blas_single_threaded() if hold_blas else nullcontext():
        return _threads.run([partial(task, first, last) for first, last in runs])


def _pieces(first: int, last: int, piece: int) -> Iterator[tuple[int, int]]:
    for start in range(first, last, piece):
        yield start, min(start + piece, last)


# -- convolution -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ConvPlan:
    """How one convolution call runs: its geometry, sizes, column layout and piece size."""

    geometry: WindowGeometry
    channels: int
    out_channels: int
    groups: int
    mode: str
    dtype: np.dtype[Any]

    @property
    def same_width(self) -> bool:
        """Stride 1 with zero padding that keeps the width: columns as shifted rows (``im2col_same_width``)."""
        _, _, left, right = self.geometry.padding
        return (self.geometry.stride == (1, 1) and self.mode == "zeros"
                and left + right == self.geometry.dilation[1] * (self.geometry.kernel[1] - 1))

    @property
    def rows_wide(self) -> bool:
        """The other stride-1 convolutions: input gradient on rows of the padded width (``col2im_rows``)."""
        return self.geometry.stride == (1, 1) and not self.same_width

    @property
    def guard(self) -> int:
        """Spare zeros at both ends of a same-width buffer: the furthest a kernel offset shifts a row."""
        return max(self.geometry.padding[2], self.geometry.padding[3])

    @property
    def rows(self) -> int:
        """Rows of the column matrix, C kh kw."""
        return self.channels * self.geometry.kernel[0] * self.geometry.kernel[1]

    @property
    def widest(self) -> int:
        """Columns per output row the column buffer must hold."""
        return self.geometry.padded[1] if self.rows_wide else self.geometry.out[1]

    def piece(self) -> int:
        """Samples per piece: their columns, output and its gradient, input gradient within ``_PIECE_BYTES``."""
        (out_height, out_width), (padded_height, padded_width) = self.geometry.out, self.geometry.padded
        elements = (self.rows * out_height * self.widest + 2 * self.out_channels * out_height * out_width
                    + self.channels * (padded_height + 1) * padded_width)
        return max(1, _PIECE_BYTES // (elements * self.dtype.itemsize))

    def columns(self, scratch: Scratch, batch: int, width: int) -> Array:
        """The column buffer viewed as (G, Cg kh kw, N OH width); its size allows width = ``widest``."""
        out_height = self.geometry.out[0]
        buffer = scratch.buffer("cols", (self.rows * batch * out_height * self.widest,), self.dtype)
        return buffer[:self.rows * batch * out_height * width].reshape(self.groups, self.rows // self.groups, -1)

    @property
    def pointwise(self) -> bool:
        """A 1x1 convolution with stride 1, no padding and no groups: x is its own column matrix."""
        g = self.geometry
        return g.kernel == (1, 1) and g.stride == (1, 1) and not any(g.padding) and self.groups == 1

    def im2col(self, padded: Array, start: int, stop: int, cols: Array) -> Array:
        """Samples start:stop's columns into ``cols``, from what forward padded (one layout per path)."""
        g = self.geometry
        if self.same_width:
            shape = (self.channels, g.padded[0], g.size[1])
            return im2col_same_width(padded, self.guard, start, stop, shape, g.kernel, g.dilation, g.padding[2],
                                     g.out[0], cols)
        return im2col(padded[start:stop], g.kernel, g.stride, g.dilation, g.out, cols)


def _conv_plan(geometry: WindowGeometry, channels: int, weight: Array, groups: int, mode: str) -> _ConvPlan:
    return _ConvPlan(geometry, channels, weight.shape[0], groups, mode, weight.dtype)


def conv2d(x: Array, weight: Array, bias: Array | None, geometry: WindowGeometry, groups: int,
           mode: str) -> tuple[Array, Array]:
    """``Ops.conv2d``; the cache is the padded input (flat with guards on the same-width path), or x itself."""
    batch, channels = x.shape[:2]
    plan = _conv_plan(geometry, channels, weight, groups, mode)
    if plan.pointwise:
        return _pointwise(x, weight, bias, plan), x
    y = np.empty((batch, weight.shape[0], *geometry.out), dtype=plan.dtype)
    top, bottom = geometry.padding[:2]
    padded = pad_rows(x, top, bottom, plan.guard) if plan.same_width else pad(x, geometry.padding, mode)
    weight3 = weight.reshape(groups, weight.shape[0] // groups, -1)

    def run(first: int, last: int) -> None:
        with borrow() as scratch:
            for start, stop in _pieces(first, last, plan.piece()):
                cols = plan.im2col(padded, start, stop, plan.columns(scratch, stop - start, geometry.out[1]))
                product = scratch.buffer("product", (weight.shape[0], stop - start, *geometry.out), plan.dtype)
                np.matmul(weight3, cols, out=product.reshape(groups, weight3.shape[1], -1))
                if bias is None:
                    np.copyto(y[start:stop], product.transpose(1, 0, 2, 3))
                else:
                    np.add(product.transpose(1, 0, 2, 3), bias[:, None, None], out=y[start:stop])

    _over_runs(batch, run, hold_blas=True)
    return y, padded


def conv2d_backward(grad: Array, padded: Array, weight: Array, grad_weight: Array, grad_bias: Array | None,
                    geometry: WindowGeometry, groups: int, mode: str, input_grad: bool) -> Array | None:
    """``Ops.conv2d_backward`` from ``conv2d``'s cache: each run's parameter gradients summed in run order."""
    batch = grad.shape[0]
    channels = weight.shape[1] * groups
    plan = _conv_plan(geometry, channels, weight, groups, mode)
    if plan.pointwise:
        return _pointwise_backward(grad, padded, weight, grad_weight, grad_bias, plan, input_grad)
    flipped = input_grad and _same(plan)  # d x as a convolution of its own, after the loop
    grad_x = np.empty((batch, channels, *geometry.size), dtype=plan.dtype) if input_grad and not flipped else None
    weight3 = weight.reshape(groups, weight.shape[0] // groups, -1)

    def run(first: int, last: int) -> tuple[Array, Array]:
        sums = np.zeros(weight3.shape, plan.dtype), np.zeros(weight.shape[0], plan.dtype)
        with borrow() as scratch:
            for start, stop in _pieces(first, last, plan.piece()):
                _conv_backward_piece(plan, padded, grad, grad_x, weight3, sums, scratch, start, stop)
        return sums

    sums = _over_runs(batch, run, hold_blas=True)
    _store_sums(sums, grad_weight, grad_bias)
    if flipped:
        return _input_gradient(grad, weight, geometry, groups)
    return grad_x


def _store_sums(sums: list[tuple[Array, Array]], grad_weight: Array, grad_bias: Array | None) -> None:
    """Each run's weight and bias gradient sums, added in run order (fixed: deterministic), into the layer's."""
    np.copyto(grad_weight, np.reshape(sum(part[0] for part in sums), grad_weight.shape))
    if grad_bias is not None:
        np.copyto(grad_bias, sum(part[1] for part in sums))


def _pointwise(x: Array, weight: Array, bias: Array | None, plan: _ConvPlan) -> Array:
    """A pointwise convolution: y[n] = W x[n], one product per sample on x's own layout (a new array).

    With a 1x1 kernel and no padding a sample's (C, H W) block is already its column matrix, so there is
    no im2col, no transposing copy into (O, N, OH, OW) and back: forward 1.4x-1.9x and backward 1.1x-2.3x
    faster on MobileNet's pointwise convolutions (docs/benchmarks.md).
    """
    batch, out_channels = x.shape[0], weight.shape[0]
    y = np.empty((batch, out_channels, *plan.geometry.out), dtype=plan.dtype)
    weight2 = weight.reshape(out_channels, plan.channels)

    def run(first: int, last: int) -> None:
        samples = x[first:last].reshape(last - first, plan.channels, -1)
        out = y[first:last].reshape(last - first, out_channels, -1)
        np.matmul(weight2, samples, out=out)
        if bias is not None:
            out += bias[:, None]

    _over_runs(batch, run, hold_blas=True)
    return y


def _pointwise_backward(grad: Array, x: Array, weight: Array, grad_weight: Array, grad_bias: Array | None,
                        plan: _ConvPlan, input_grad: bool) -> Array | None:
    """Gradients of `_pointwise`: d x[n] = W^T g[n]; d W = sum over n of g[n] x[n]^T, summed in run order."""
    batch, out_channels = grad.shape[0], weight.shape[0]
    grad_x = np.empty((batch, plan.channels, *plan.geometry.size), dtype=plan.dtype) if input_grad else None
    weight_t = weight.reshape(out_channels, plan.channels).T

    def run(first: int, last: int) -> tuple[Array, Array]:
        g = grad[first:last].reshape(last - first, out_channels, -1)
        if grad_x is not None:
            np.matmul(weight_t, g, out=grad_x[first:last].reshape(last - first, plan.channels, -1))
        samples = x[first:last].reshape(last - first, plan.channels, -1)
        return np.matmul(g, samples.transpose(0, 2, 1)).sum(axis=0), g.sum(axis=(0, 2))

    sums = _over_runs(batch, run, hold_blas=True)
    _store_sums(sums, grad_weight, grad_bias)
    return grad_x


def _same(plan: _ConvPlan) -> bool:
    """Whether d x is best a convolution (``_input_gradient``): a "same" convolution (stride 1, zero padding of
    d (k - 1) along each axis) with more than one tap, and no more output channels than input ones."""
    g = plan.geometry
    return (plan.same_width and g.padding[0] + g.padding[1] == g.span[0] - 1
            and g.kernel[0] * g.kernel[1] > 1 and plan.out_channels <= plan.channels)


def _input_gradient(grad: Array, weight: Array, geometry: WindowGeometry, groups: int) -> Array:
    """d loss / d x of a "same" convolution (``_same``): g convolved with the flipped kernel, a new array.

    With stride 1 and zero padding, d x is the correlation of g with the kernel flipped in both axes and
    each group's in and out channels swapped (``_flipped_weight``), g padded by d (k - 1) - p on each side
    where the forward padded p - for a same convolution another same convolution, run like the forward.
    Its columns and product replace the product ``weight^T @ g`` (inner dimension only O / G) and col2im's
    kh kw adds of runs, which cost more: the whole backward runs 1.1x faster for ResNet's 3x3 convolutions
    of 16 and 32 channels and 1.6x for MobileNet's depthwise ones (docs/benchmarks.md). The others keep
    col2im, which measured faster for them: unpadded convolutions (LeNet's 5x5) padded to full, 1x1 ones,
    and 16 -> 32 channels, where the gradient's product has the fewer rows.
    """
    top, bottom, left, right = geometry.padding
    span_h, span_w = geometry.span
    sides = (span_h - 1 - top, span_h - 1 - bottom, span_w - 1 - left, span_w - 1 - right)
    flipped = WindowGeometry(geometry.out, geometry.kernel, (1, 1), geometry.dilation, sides, geometry.size)
    return conv2d(grad, _flipped_weight(weight, groups), None, flipped, groups, "zeros")[0]


def _flipped_weight(weight: Array, groups: int) -> Array:
    """(O, C / G, kh, kw) -> (C, O / G, kh, kw): each group's in and out channels swapped, taps reversed."""
    out_channels, group_channels, kh, kw = weight.shape
    per_group = weight.reshape(groups, out_channels // groups, group_channels, kh, kw)
    flipped = per_group.transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    return np.ascontiguousarray(flipped).reshape(groups * group_channels, out_channels // groups, kh, kw)


def _conv_backward_piece(plan: _ConvPlan, padded: Array, grad: Array, grad_x: Array | None, weight3: Array,
                         sums: tuple[Array, Array], scratch: Scratch, start: int, stop: int) -> None:
    """Samples start:stop: add their weight and bias gradients to ``sums``, write grad_x[start:stop]."""
    g, count = plan.geometry, stop - start
    grad_t = scratch.buffer("grad_t", (plan.out_channels, count, *g.out), plan.dtype)
    np.copyto(grad_t, grad[start:stop].transpose(1, 0, 2, 3))
    cols = plan.im2col(padded, start, stop, plan.columns(scratch, count, g.out[1]))
    grad3 = grad_t.reshape(weight3.shape[0], weight3.shape[1], -1)
    weight_sum, bias_sum = sums
    weight_sum += weight_gradient(grad3, cols)
    bias_sum += grad_t.reshape(plan.out_channels, -1).sum(axis=1)
    if grad_x is None:
        return
    if plan.same_width:
        grad_padded = _grad_padded_rows(plan, scratch, grad_t, weight3)
        sides = (g.padding[0], g.padding[1], 0, 0)
    else:
        grad_padded, sides = _grad_padded(plan, scratch, grad_t, weight3), g.padding
    unpad(grad_padded, sides, plan.mode, g.size, out=grad_x[start:stop])


def _transposed_product(weight3: Array, grad3: Array, out: Array) -> Array:
    """``weight3^T @ grad3`` per group into ``out``: the columns of the input gradient.

    With one output channel per group (a depthwise convolution) the product is an outer product, which
    OpenBLAS runs about 8x slower than the broadcast multiply that computes the same values.
    """
    if weight3.shape[1] == 1:
        return np.multiply(weight3.transpose(0, 2, 1), grad3, out=out)
    return np.matmul(weight3.transpose(0, 2, 1), grad3, out=out)


def _grad_padded_rows(plan: _ConvPlan, scratch: Scratch, grad_t: Array, weight3: Array) -> Array:
    """d loss / d row-padded input, (C, N, Hp, W), for the same-width path: col2im of weight^T @ g."""
    g, batch, width = plan.geometry, grad_t.shape[1], plan.geometry.size[1]
    grad_cols = _transposed_product(weight3, grad_t.reshape(weight3.shape[0], weight3.shape[1], -1),
                                    plan.columns(scratch, batch, g.out[1]))
    zero_wrapped(grad_cols, g.kernel, g.dilation, g.padding[2], plan.channels, batch, g.out[0], width)
    flat = scratch.buffer("grad_padded", (plan.channels * batch * g.padded[0] * width + 2 * plan.guard,), plan.dtype)
    return col2im_same_width(grad_cols, g.kernel, g.dilation, g.padding[2], (plan.channels, g.padded[0], width),
                             batch, g.out[0], plan.guard, flat)


def _grad_padded(plan: _ConvPlan, scratch: Scratch, grad_t: Array, weight3: Array) -> Array:
    """d loss / d padded input, (C, N, Hp, Wp): col2im(weight^T @ g), the column buffer reused."""
    g, batch = plan.geometry, grad_t.shape[1]
    if not plan.rows_wide:
        grad_cols = _transposed_product(weight3, grad_t.reshape(weight3.shape[0], weight3.shape[1], -1),
                                        plan.columns(scratch, batch, g.out[1]))
        grad_padded = scratch.buffer("grad_padded", (plan.channels, batch, *g.padded), plan.dtype)
        return col2im(grad_cols, g.kernel, g.stride, g.dilation, g.out, grad_padded)
    pitch = g.padded[1]
    wide = scratch.buffer("grad_wide", (grad_t.shape[0], batch, g.out[0], pitch), plan.dtype)
    wide[:, :, :, :g.out[1]] = grad_t
    wide[:, :, :, g.out[1]:] = 0  # the guard columns: zeroed every call, as scratch keeps no values
    grad_cols = _transposed_product(weight3, wide.reshape(weight3.shape[0], weight3.shape[1], -1),
                                    plan.columns(scratch, batch, pitch))
    flat = scratch.buffer("grad_padded", (plan.channels, batch, (g.padded[0] + 1) * pitch), plan.dtype)
    col2im_rows(grad_cols, g.kernel, g.dilation, g.out[0], pitch, flat)
    return flat[:, :, :g.padded[0] * pitch].reshape(plan.channels, batch, *g.padded)


# -- transposed convolution ------------------------------------------------------------------------------
def conv_transpose2d(matmul: Callable[..., Array], x: Array, weight: Array, bias: Array | None,
                     geometry: WindowGeometry, groups: int) -> tuple[Array, Array]:
    """``Ops.conv_transpose2d``: one split product for the whole batch; the cache is x as (C, N, H, W), new."""
    batch, channels = x.shape[:2]
    out_channels = weight.shape[1] * groups
    dtype = weight.dtype
    y = np.empty((batch, out_channels, *geometry.size), dtype=dtype)
    x_t = np.empty((channels, batch, *geometry.out), dtype)
    np.copyto(x_t, x.transpose(1, 0, 2, 3))
    weight3 = weight.reshape(groups, channels // groups, -1)
    with borrow() as scratch:
        x3 = x_t.reshape(groups, weight3.shape[1], -1)
        cols = scratch.buffer("cols", (groups, weight3.shape[2], x3.shape[2]), dtype)
        matmul(weight3.transpose(0, 2, 1), x3, out=cols)
        full = scratch.buffer("full", (out_channels, batch, *geometry.padded), dtype)
        col2im(cols, geometry.kernel, geometry.stride, geometry.dilation, geometry.out, full)
        top, _, left, _ = geometry.padding
        window = full[:, :, top:top + geometry.size[0], left:left + geometry.size[1]].transpose(1, 0, 2, 3)
        if bias is None:
            np.copyto(y, window)
        else:
            np.add(window, bias[:, None, None], out=y)
    return y, x_t


def conv_transpose2d_backward(matmul: Callable[..., Array], grad: Array, x_t: Array, weight: Array,
                              grad_weight: Array, grad_bias: Array | None, geometry: WindowGeometry, groups: int,
                              input_grad: bool) -> Array | None:
    """``Ops.conv_transpose2d_backward``: a convolution of the gradient, cols = im2col(pad(g))."""
    channels, batch = x_t.shape[:2]
    weight3 = weight.reshape(groups, channels // groups, -1)
    with borrow() as scratch:
        padded = pad(np.asarray(grad, dtype=weight.dtype), geometry.padding, "zeros")
        cols = scratch.buffer("cols", (groups, weight3.shape[2], batch * geometry.out[0] * geometry.out[1]),
                              weight.dtype)
        im2col(padded, geometry.kernel, geometry.stride, geometry.dilation, geometry.out, cols)
        x3 = x_t.reshape(groups, weight3.shape[1], -1)
        if _threads.blas_held():  # d weight = x @ cols^T, the rows of x split over the threads
            matmul(x3, cols.transpose(0, 2, 1), out=grad_weight.reshape(weight3.shape))
        else:
            np.copyto(grad_weight.reshape(weight3.shape), weight_gradient(x3, cols))
        if grad_bias is not None:
            np.sum(grad, axis=(0, 2, 3), out=grad_bias)
        if not input_grad:
            return None
        grad_t = matmul(weight3, cols)
    return np.ascontiguousarray(grad_t.reshape(channels, batch, *geometry.out).transpose(1, 0, 2, 3))


# -- pooling ---------------------------------------------------------------------------------------------
# A window of kh x kw elements is visited as kh kw strided slices of the padded input, one per tap, each
# covering all outputs of a piece of the batch at once: pooling is kh kw vectorised elementwise passes
# (10-20x faster than reducing a reshaped view, even for windows that tile the input). Pieces, as for the
# convolutions, keep what the passes reread in cache and bound the scratch.

def _taps(array: Array, geometry: WindowGeometry) -> Iterator[tuple[int, Array]]:
    """(index, strided slice) per tap, index = i kw + j as in PyTorch's row-major windows."""
    for i in range(geometry.kernel[0]):
        for j in range(geometry.kernel[1]):
            rows, columns = offset_slices(i, j, geometry.stride, geometry.dilation, geometry.out)
            yield i * geometry.kernel[1] + j, array[:, :, rows, columns]


def _disjoint(geometry: WindowGeometry) -> bool:
    """No input element lies in two windows."""
    return all(stride >= span for stride, span in zip(geometry.stride, geometry.span))


def _tiles(geometry: WindowGeometry) -> bool:
    """Every input element lies in exactly one window (no padding, no gaps, nothing left over)."""
    return _disjoint(geometry) and not any(geometry.padding) and all(
        geometry.stride[axis] == geometry.kernel[axis] == geometry.span[axis]
        and geometry.out[axis] * geometry.stride[axis] == geometry.size[axis] for axis in (0, 1))


def _over_pieces(batch: int, sample_bytes: int, work: Callable[[Scratch, int, int], None]) -> None:
    """``work(scratch, start, stop)`` over the batch: one run per thread, each in pieces of about ``_PIECE_BYTES``."""
    piece = max(1, _PIECE_BYTES // max(sample_bytes, 1))

    def run(first: int, last: int) -> None:
        with borrow() as scratch:
            for start, stop in _pieces(first, last, piece):
                work(scratch, start, stop)

    _over_runs(batch, run, hold_blas=False)


def _pool_sample_bytes(channels: int, geometry: WindowGeometry, itemsize: int) -> int:
    """A sample's share of a pooling piece: its padded input and its outputs, masks and gradients."""
    (padded_height, padded_width), (out_height, out_width) = geometry.padded, geometry.out
    return channels * itemsize * (padded_height * padded_width + 3 * out_height * out_width)


def max_pool2d(x: Array, geometry: WindowGeometry) -> tuple[Array, Array]:
    """``Ops.max_pool2d``; the cache is each window's winning tap (one byte for up to 256 taps), a new array."""
    batch, channels = x.shape[:2]
    y = np.empty((batch, channels, *geometry.out), dtype=x.dtype)
    argmax = np.empty(y.shape, np.min_scalar_type(geometry.kernel[0] * geometry.kernel[1] - 1))
    padded = pad(x, geometry.padding, "zeros", value=-np.inf)

    def piece(scratch: Scratch, start: int, stop: int) -> None:
        taps = _taps(padded[start:stop], geometry)
        best, chosen, index_type = y[start:stop], argmax[start:stop], argmax.dtype
        np.copyto(best, next(taps)[1])
        chosen.fill(0)
        greater = scratch.buffer("mask", best.shape, np.bool_)
        candidate = scratch.buffer("candidate", best.shape, index_type)
        for index, window in taps:
            # chosen = index where this tap beats the running maximum (strictly: the first maximum wins);
            # taps come in increasing order, so a running maximum of (index or 0) is the argmax.
            # (np.copyto(chosen, index, where=greater) reads better but runs 5x slower.)
            np.greater(window, best, out=greater)
            np.maximum(best, window, out=best)
            np.multiply(greater, index_type.type(index), out=candidate)
            np.maximum(chosen, candidate, out=chosen)

    _over_pieces(batch, _pool_sample_bytes(channels, geometry, x.dtype.itemsize), piece)
    return y, argmax


def max_pool2d_inference(x: Array, geometry: WindowGeometry) -> Array:
    """``Ops.max_pool2d_inference``: the running maximum over the taps, one pass each, and nothing else."""
    batch, channels = x.shape[:2]
    y = np.empty((batch, channels, *geometry.out), dtype=x.dtype)
    padded = pad(x, geometry.padding, "zeros", value=-np.inf)

    def piece(scratch: Scratch, start: int, stop: int) -> None:
        taps = _taps(padded[start:stop], geometry)
        best = y[start:stop]
        np.copyto(best, next(taps)[1])
        for _, window in taps:
            np.maximum(best, window, out=best)

    _over_pieces(batch, _pool_sample_bytes(channels, geometry, x.dtype.itemsize), piece)
    return y


def max_pool2d_backward(grad: Array, argmax: Array, geometry: WindowGeometry) -> Array:
    """``Ops.max_pool2d_backward``: each window's gradient to the tap that won."""

    def unpool(grad: Array, grad_padded: Array, argmax: Array, scratch: Scratch) -> None:
        chosen = scratch.buffer("mask", grad.shape, np.bool_)
        spare = None if _disjoint(geometry) else scratch.buffer("spare", grad.shape, grad.dtype)
        for index, target in _taps(grad_padded, geometry):
            np.equal(argmax, index, out=chosen)
            _route(geometry, target, grad, chosen, spare)

    return _unpool(grad, argmax, geometry, unpool)


def avg_pool2d(x: Array, geometry: WindowGeometry, divisor: Array) -> Array:
    """``Ops.avg_pool2d``: the taps summed, times 1 / divisor."""
    batch, channels = x.shape[:2]
    y = np.empty((batch, channels, *geometry.out), dtype=x.dtype)
    padded = pad(x, geometry.padding, "zeros")
    scale = (1.0 / divisor).astype(x.dtype)

    def piece(scratch: Scratch, start: int, stop: int) -> None:
        taps = _taps(padded[start:stop], geometry)
        total = y[start:stop]
        np.copyto(total, next(taps)[1])
        for _, window in taps:
            total += window
        total *= scale

    _over_pieces(batch, _pool_sample_bytes(channels, geometry, x.dtype.itemsize), piece)
    return y


def avg_pool2d_backward(grad: Array, geometry: WindowGeometry, divisor: Array) -> Array:
    """``Ops.avg_pool2d_backward``: g / divisor spread over each window."""
    scale = (1.0 / divisor).astype(grad.dtype)

    def unpool(grad: Array, grad_padded: Array, argmax: Array | None, scratch: Scratch) -> None:
        share = scratch.buffer("share", grad.shape, grad.dtype)
        np.multiply(grad, scale, out=share)
        for _, target in _taps(grad_padded, geometry):
            _route(geometry, target, share)

    return _unpool(grad, None, geometry, unpool)


def _unpool(grad: Array, saved: Array | None, geometry: WindowGeometry,
            unpool: Callable[[Array, Array, Any, Scratch], None]) -> Array:
    """d loss / d x of a pooling: ``unpool`` routes each piece's gradient into its padded input's gradient."""
    batch, channels = grad.shape[:2]
    top, bottom, left, right = geometry.padding
    height, width = geometry.size
    grad_x = np.empty((batch, channels, height, width), dtype=grad.dtype)
    tiles = _tiles(geometry)

    def piece(scratch: Scratch, start: int, stop: int) -> None:
        part = None if saved is None else saved[start:stop]
        if tiles:  # every input element is in exactly one window: write the result directly
            unpool(grad[start:stop], grad_x[start:stop], part, scratch)
            return
        shape = (stop - start, channels, height + top + bottom, width + left + right)
        grad_padded = scratch.buffer("grad_padded", shape, grad.dtype)
        grad_padded.fill(0)
        unpool(grad[start:stop], grad_padded, part, scratch)
        grad_x[start:stop] = grad_padded[:, :, top:top + height, left:left + width]

    _over_pieces(batch, _pool_sample_bytes(channels, geometry, grad.dtype.itemsize), piece)
    return grad_x


def _route(geometry: WindowGeometry, target: Array, values: Array, mask: Array | None = None,
           spare: Array | None = None) -> None:
    """Write (disjoint windows) or add (overlapping ones) ``values`` (times ``mask``) into ``target``."""
    disjoint = _disjoint(geometry)
    if mask is None:
        if disjoint:
            np.copyto(target, values)
        else:
            target += values
    elif disjoint:
        np.multiply(values, mask, out=target)
    else:
        np.multiply(values, mask, out=spare)
        target += spare
