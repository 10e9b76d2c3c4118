"""MaxPool2D: the maximum of each window, as ``torch.nn.MaxPool2d``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_conv._pooling import PoolBase
from nnfs_conv._workspace import Workspace
from nnfs_core.protocols import Array

__all__ = ["MaxPool2D"]


class MaxPool2D(PoolBase):
    """y[n, c, oh, ow] = max over i, j of x_pad[n, c, oh sh + i dh, ow sw + j dw] (padding reads as -inf).

    Shapes: x (N, C, H, W) -> y (N, C, OH, OW), OH = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1, or
    ceil with ``ceil_mode`` (dropping a last window that would start in the bottom padding), OW alike.
    The gradient goes to the first maximum of each window in row-major order, as in PyTorch; forward
    keeps each window's argmax (one byte per output for windows of up to 256 elements).

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window height and width.
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int)
        At most half the (dilated) kernel, as PyTorch requires.
    dilation : int or (int, int)
        Spacing between the window's taps.
    ceil_mode : bool
        Round the output size up instead of down (last, partial windows).
    """

    example_args: ClassVar[dict[str, Any]] = {"kernel_size": 2}
    _fill = -np.inf

    def __init__(self, kernel_size: Any, *, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self._store_geometry(kernel_size, stride, padding, dilation, ceil_mode)

    def _saved(self, shape: tuple[int, ...]) -> Array:
        return np.empty(shape, np.min_scalar_type(self._kernel[0] * self._kernel[1] - 1))

    def _pool(self, padded: Array, workspace: Workspace, out: Array, saved: Array | None) -> None:
        offsets = self._offsets(padded)
        best, argmax = out, saved
        assert argmax is not None  # _saved made it
        index_type = argmax.dtype
        np.copyto(best, next(offsets)[1])
        argmax.fill(0)
        greater = workspace.array("mask", best.shape, np.bool_)
        candidate = workspace.array("candidate", best.shape, index_type)
        for index, window in offsets:
            # argmax = index where this offset beats the running maximum (strictly: the first maximum wins);
            # offsets come in increasing order, so a running maximum of (index or 0) is the argmax.
            # (np.copyto(argmax, index, where=greater) reads better but runs 5x slower.)
            np.greater(window, best, out=greater)
            np.maximum(best, window, out=best)
            np.multiply(greater, index_type.type(index), out=candidate)
            np.maximum(argmax, candidate, out=argmax)

    def _unpool(self, grad: Array, grad_padded: Array, workspace: Workspace, saved: Array | None) -> None:
        chosen = workspace.array("mask", grad.shape, np.bool_)
        argmax = saved
        assert argmax is not None  # _saved made it
        scratch = None if self._disjoint else workspace.array("scratch", grad.shape, self.dtype)
        for index, target in self._offsets(grad_padded):
            np.equal(argmax, index, out=chosen)
            self._route(target, grad, chosen, scratch)
