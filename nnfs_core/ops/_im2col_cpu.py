"""The CPU backend's im2col and col2im on NCHW batches, and padding with its adjoint (private to ops).

The column matrix of a batch x (N, C, Hp, Wp) (already padded) for a kernel (kh, kw) with stride (sh, sw)
and dilation (dh, dw) has one row per (c, i, j) and one column per (n, oh, ow):

    cols[(c, i, j), (n, oh, ow)] = x[n, c, i dh + oh sh, j dw + ow sw]        shape (C kh kw, N OH OW)

so that a convolution is one matrix product ``weight.reshape(O, C kh kw) @ cols``. Rows are ordered with
the channel outermost, hence with groups the matrix splits into (groups, C / groups kh kw, N OH OW)
without a copy. These are the fast versions of ``_windows``'s maps: strided views copied in one go,
and for stride 1 two layouts that move long runs instead of OW-long pieces. ``_conv_cpu`` drives them.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from nnfs_core.ops._windows import PAD_MODES, fold_padding
from nnfs_core.protocols import Array

__all__ = ["window_view", "im2col", "col2im", "col2im_rows", "offset_slices", "pad", "unpad", "weight_gradient",
           "pad_rows", "im2col_same_width", "zero_wrapped", "col2im_same_width"]

Pair = tuple[int, int]


def window_view(x: Array, kernel: Pair, stride: Pair, dilation: Pair, out: Pair) -> Array:
    """Read-only view (C, kh, kw, N, OH, OW) of x (N, C, H, W).

    ``view[c, i, j, n, oh, ow] = x[n, c, i dh + oh sh, j dw + ow sw]``.
    """
    stride_n, stride_c, stride_h, stride_w = x.strides
    return as_strided(
        x,
        shape=(x.shape[1], kernel[0], kernel[1], x.shape[0], out[0], out[1]),
        strides=(stride_c, stride_h * dilation[0], stride_w * dilation[1], stride_n, stride_h * stride[0],
                 stride_w * stride[1]),
        writeable=False,
    )


def im2col(x: Array, kernel: Pair, stride: Pair, dilation: Pair, out: Pair, cols: Array) -> Array:
    """Copy the windows of x (N, C, H, W) into the contiguous buffer ``cols`` (any shape of C kh kw N OH OW)."""
    np.copyto(cols.reshape(x.shape[1], kernel[0], kernel[1], x.shape[0], out[0], out[1]),
              window_view(x, kernel, stride, dilation, out))
    return cols


def weight_gradient(grad: Array, cols: Array) -> Array:
    """grad (G, A, M) @ cols (G, B, M)^T as a (G, A, B) view of (cols @ grad^T), a new array.

    Both products are the same sums over the long M = N OH OW axis, but OpenBLAS runs the second
    orientation (tall result) about 2x faster here (measured on (64, 131072) x (576, 131072) float32).
    """
    return np.matmul(cols, grad.transpose(0, 2, 1)).transpose(0, 2, 1)


def offset_slices(i: int, j: int, stride: Pair, dilation: Pair, out: Pair) -> tuple[slice, slice]:
    """The (rows, columns) of the input that kernel offset (i, j) reads for all OH x OW outputs."""
    top, left = i * dilation[0], j * dilation[1]
    return (slice(top, top + stride[0] * (out[0] - 1) + 1, stride[0]),
            slice(left, left + stride[1] * (out[1] - 1) + 1, stride[1]))


def col2im(cols: Array, kernel: Pair, stride: Pair, dilation: Pair, out: Pair, grad: Array) -> Array:
    """The adjoint of ``im2col``: sum the columns back into ``grad`` (C, N, Hp, Wp), overwritten.

    One vectorised add of strided slices per kernel offset (kh kw of them): no second column buffer and
    no scatter with index arrays.
    """
    channels, batch = grad.shape[0], grad.shape[1]
    blocks = cols.reshape(channels, kernel[0], kernel[1], batch, out[0], out[1])
    grad.fill(0)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            rows, columns = offset_slices(i, j, stride, dilation, out)
            grad[:, :, rows, columns] += blocks[:, i, j]
    return grad


def col2im_rows(cols: Array, kernel: Pair, dilation: Pair, rows: int, pitch: int, grad: Array) -> Array:
    """``col2im`` for stride 1, on columns laid out ``pitch`` (the padded width) apart instead of OW.

    ``cols`` holds (C kh kw, N rows pitch) with zeros in columns OW..pitch-1 of every row; ``grad`` is
    (C, N, (Hp + 1) pitch), the padded gradient flattened with one spare row. Kernel offset (i, j) is then a
    shift by i dh pitch + j dw of whole runs of rows x pitch elements: long contiguous adds instead of
    OW-long pieces (3x faster on 32 x 32 maps), and the zero columns land harmlessly on the padding.
    """
    channels, batch = grad.shape[0], grad.shape[1]
    length = rows * pitch
    blocks = cols.reshape(channels, kernel[0], kernel[1], batch, length)
    grad.fill(0)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            shift = i * dilation[0] * pitch + j * dilation[1]
            grad[:, :, shift:shift + length] += blocks[:, i, j]
    return grad


def pad(x: Array, sides: tuple[int, int, int, int], mode: str, value: float = 0.0) -> Array:
    """x (N, C, H, W) padded by (top, bottom, left, right) in PyTorch's ``mode`` ("zeros" pads with ``value``).

    Always a new array (or x itself when nothing is padded), owned by the caller: it may be kept for backward.
    """
    top, bottom, left, right = sides
    if not any(sides):
        return x
    if mode in PAD_MODES:
        return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode=PAD_MODES[mode])  # type: ignore[call-overload]
    height, width = x.shape[2], x.shape[3]
    padded = np.empty((x.shape[0], x.shape[1], height + top + bottom, width + left + right), dtype=x.dtype)
    # Only the border is filled: the inside is overwritten by x at once.
    padded[:, :, :top] = value
    padded[:, :, top + height:] = value
    padded[:, :, top:top + height, :left] = value
    padded[:, :, top:top + height, left + width:] = value
    padded[:, :, top:top + height, left:left + width] = x
    return padded


def unpad(grad: Array, sides: tuple[int, int, int, int], mode: str, size: Pair, out: Array) -> Array:
    """The adjoint of ``pad`` on a (C, N, Hp, Wp) gradient, written into ``out`` (N, C, H, W).

    Zero padding drops the border; reflect, replicate and circular add each border row/column onto the
    row/column it was copied from (``_windows.fold_padding``).
    """
    np.copyto(out, fold_padding(grad, sides, size, mode).transpose(1, 0, 2, 3))
    return out


# -- stride 1 with the width kept ("same" along W, zero padding): rows instead of windows ------------------
#
# When the output is as wide as the input (stride 1, left + right = dw (kw - 1)), the columns of kernel
# offset (i, j) for one channel and sample are the input's rows i dh .. i dh + OH - 1 read as one run of
# OH W values, shifted by s = j dw - left. The few values a shift carries across a row's end belong to the
# zero padding: they are zeroed after the copy (``zero_wrapped``). Only rows are padded, so the input needs
# no horizontal padding, im2col copies runs of OH W values instead of OW-long pieces, and col2im adds such
# runs - without the wider products that ``col2im_rows`` needs.


def pad_rows(x: Array, top: int, bottom: int, guard: int) -> Array:
    """x (N, C, H, W) with ``top``/``bottom`` zero rows, flattened, with ``guard`` spare zeros at both ends.

    Returns a new flat array (N C (H + top + bottom) W + 2 guard), owned by the caller.
    """
    batch, channels, height, width = x.shape
    padded_height = height + top + bottom
    size = batch * channels * padded_height * width
    flat = np.empty((size + 2 * guard,), dtype=x.dtype)
    flat[:guard] = 0
    flat[guard + size:] = 0
    inside = flat[guard:guard + size].reshape(batch, channels, padded_height, width)
    inside[:, :, :top] = 0
    inside[:, :, top + height:] = 0
    inside[:, :, top:top + height] = x
    return flat


def im2col_same_width(flat: Array, guard: int, start: int, stop: int, shape: tuple[int, int, int], kernel: Pair,
                      dilation: Pair, left: int, rows: int, cols: Array) -> Array:
    """Samples start:stop's columns from ``pad_rows``'s ``flat`` into ``cols`` (C kh kw, n rows W).

    ``shape`` is (C, Hp, W) per sample; ``rows`` is OH.
    """
    channels, padded_height, width = shape
    sample = channels * padded_height * width
    itemsize = flat.itemsize
    source = as_strided(
        flat[guard + start * sample - left:],
        shape=(channels, kernel[0], kernel[1], stop - start, rows * width),
        strides=(padded_height * width * itemsize, dilation[0] * width * itemsize, dilation[1] * itemsize,
                 sample * itemsize, itemsize),
        writeable=False,
    )
    np.copyto(cols.reshape(source.shape), source)
    zero_wrapped(cols, kernel, dilation, left, channels, stop - start, rows, width)
    return cols


def zero_wrapped(cols: Array, kernel: Pair, dilation: Pair, left: int, channels: int, batch: int, rows: int,
                 width: int) -> None:
    """Zero the entries of same-width columns that a shift carried across a row's end (padding positions)."""
    blocks = cols.reshape(channels, kernel[0], kernel[1], batch, rows, width)
    for j in range(kernel[1]):
        shift = j * dilation[1] - left
        if shift < 0:
            blocks[:, :, j, :, :, :-shift] = 0
        elif shift > 0:
            blocks[:, :, j, :, :, width - shift:] = 0


def col2im_same_width(cols: Array, kernel: Pair, dilation: Pair, left: int, shape: tuple[int, int, int],
                      batch: int, rows: int, guard: int, flat: Array) -> Array:
    """The adjoint of ``im2col_same_width`` (after ``zero_wrapped``), into ``flat``, overwritten.

    ``flat`` holds C n Hp W values between ``guard`` spare ones at each end; returns the (C, n, Hp, W) view.
    Each kernel offset adds one run of OH W values per channel and sample.
    """
    channels, padded_height, width = shape
    length = padded_height * width
    size = channels * batch * length
    blocks = cols.reshape(channels, kernel[0], kernel[1], batch, rows * width)
    flat.fill(0)
    for i in range(kernel[0]):
        top = i * dilation[0] * width
        for j in range(kernel[1]):
            shift = guard + j * dilation[1] - left
            target = flat[shift:shift + size].reshape(channels, batch, length)
            target[:, :, top:top + rows * width] += blocks[:, i, j]
    return flat[guard:guard + size].reshape(channels, batch, padded_height, width)
