"""The reference backend's window helpers: padding and its adjoint, im2col and col2im (private to ops).

Written for reading: one strided slice per kernel tap (``WindowGeometry.taps``), with array functions CuPy
also provides. The CPU backend has faster versions of the same maps (``_im2col_cpu``); it shares
``fold_padding``, the adjoint of the non-zero padding modes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.ops.geometry import WindowGeometry

Array = np.ndarray[Any, Any]

# PyTorch's padding modes and NumPy's names for them ("zeros" is a constant).
PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(xp: Any, x: Array, sides: tuple[int, int, int, int], *, mode: str = "zeros", value: float = 0.0) -> Array:
    """x (N, C, H, W) padded by (top, bottom, left, right): a new array (x itself when nothing is added)."""
    top, bottom, left, right = sides
    if not any(sides):
        return x
    widths = ((0, 0), (0, 0), (top, bottom), (left, right))
    if mode in PAD_MODES:
        return xp.pad(x, widths, mode=PAD_MODES[mode])
    return xp.pad(x, widths, mode="constant", constant_values=value)


def fold_padding(grad: Array, sides: tuple[int, int, int, int], size: tuple[int, int], mode: str) -> Array:
    """The adjoint of ``pad`` on the last two axes: (.., .., Hp, Wp) -> (.., .., H, W).

    Zero padding drops the border (a view); reflect, replicate and circular add each border row and
    column onto the one it was copied from (a new array).
    """
    top, bottom, left, right = sides
    if mode in PAD_MODES and any(sides):
        grad = _fold(grad, 2, top, bottom, size[0], mode)
        return _fold(grad, 3, left, right, size[1], mode)
    return grad[:, :, top:top + size[0], left:left + size[1]]


def _fold(grad: Array, axis: int, before: int, after: int, size: int, mode: str) -> Array:
    if not before and not after:
        return grad
    source = np.pad(np.arange(size), (before, after), mode=PAD_MODES[mode])  # type: ignore[call-overload]
    moved = grad.swapaxes(axis, 0)
    folded = moved[before:before + size].copy()
    for position in (*range(before), *range(before + size, before + size + after)):
        folded[int(source[position])] += moved[position]
    return folded.swapaxes(0, axis)


def im2col(xp: Any, padded: Array, geometry: WindowGeometry) -> Array:
    """cols[c, i, j, n, oh, ow] = padded[n, c, oh sh + i dh, ow sw + j dw]: (C, kh, kw, N, OH, OW), new.

    Read as (C kh kw, N OH OW), a convolution is one matrix product with the weight (O, C kh kw).
    """
    batch, channels = padded.shape[:2]
    kh, kw = geometry.kernel
    cols = xp.empty((channels, kh, kw, batch, *geometry.out), dtype=padded.dtype)
    for index, rows, columns in geometry.taps():
        i, j = divmod(index, kw)
        cols[:, i, j] = padded[:, :, rows, columns].transpose(1, 0, 2, 3)
    return cols


def col2im(xp: Any, cols: Array, geometry: WindowGeometry) -> Array:
    """The adjoint of ``im2col``: (C, kh, kw, N, OH, OW) summed back into a new (N, C, Hp, Wp)."""
    channels, kh, kw, batch = cols.shape[:4]
    grad = xp.zeros((batch, channels, *geometry.padded), dtype=cols.dtype)
    for index, rows, columns in geometry.taps():
        i, j = divmod(index, kw)
        grad[:, :, rows, columns] += cols[:, i, j].transpose(1, 0, 2, 3)
    return grad


def tap_stack(padded: Array, geometry: WindowGeometry) -> list[Array]:
    """What each tap reads in every window: kh kw views (N, C, OH, OW) of ``padded``, in tap order."""
    return [padded[:, :, rows, columns] for _, rows, columns in geometry.taps()]
