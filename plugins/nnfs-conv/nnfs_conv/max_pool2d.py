"""MaxPool2D: the maximum of each window, as ``torch.nn.MaxPool2d``."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_conv._pooling import PoolBase
from nnfs_core.protocols import Array

__all__ = ["MaxPool2D"]


class MaxPool2D(PoolBase):
    """y[n, c, oh, ow] = max over i, j of x_pad[n, c, oh sh + i dh, ow sw + j dw] (padding reads as -inf).

    Shapes: x (N, C, H, W) -> y (N, C, OH, OW), OH = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1, or
    ceil with ``ceil_mode`` (dropping a last window that would start in the bottom padding), OW alike.
    The gradient goes to the first maximum of each window in row-major order, as in PyTorch; forward's
    cache says which tap won each window (``ops.max_pool2d``).

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

    def __init__(self, kernel_size: Any, *, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self._store_geometry(kernel_size, stride, padding, dilation, ceil_mode)

    def _pool(self, x: Array) -> tuple[Array, Any]:
        return self.ops.max_pool2d(x, self._geometry)  # (y, each window's winning tap)

    def _pool_inference(self, x: Array) -> Array:
        return self.ops.max_pool2d_inference(x, self._geometry)  # the maxima alone: no winning taps kept

    def _unpool(self, grad: Array, argmax: Any) -> Array:
        return self.ops.max_pool2d_backward(grad, argmax, self._geometry)
