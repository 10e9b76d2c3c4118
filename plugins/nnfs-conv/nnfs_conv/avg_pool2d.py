"""AvgPool2D: the mean of each window, as ``torch.nn.AvgPool2d``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_conv._pooling import PoolBase
from nnfs_core.protocols import Array
from nnfs_core.validation import check_int

__all__ = ["AvgPool2D"]


class AvgPool2D(PoolBase):
    """y[n, c, oh, ow] = sum over the window of x_pad / divisor[oh, ow]; padding reads as 0.

    Shapes: x (N, C, H, W) -> y (N, C, OH, OW), OH and OW as in ``MaxPool2D``.
    The divisor is PyTorch's: the window's size clipped to the padded input (``count_include_pad=True``)
    or its number of real elements (``False``), or ``divisor_override``. Backward spreads
    g / divisor over each window.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window height and width.
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int)
        At most half the kernel.
    ceil_mode : bool
        Round the output size up instead of down (last, partial windows).
    count_include_pad : bool
        Count padded zeros in each window's divisor.
    divisor_override : int, optional
        Divide every window's sum by this instead of its size.
    """

    example_args: ClassVar[dict[str, Any]] = {"kernel_size": 2}

    def __init__(self, kernel_size: Any, *, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self._store_geometry(kernel_size, stride, padding, 1, ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = None if divisor_override is None else check_int(
            type(self).__name__, "divisor_override", divisor_override)

    def _prepare(self) -> None:
        if self.divisor_override is not None:
            divisor = np.full(self._out, self.divisor_override, dtype=np.float64)
        else:
            divisor = np.outer(*(self._counts(axis) for axis in (0, 1)))
        self._divisor = divisor.astype(self.dtype)

    def _counts(self, axis: int) -> Any:
        """Elements each window counts along one axis (PyTorch's avg_pool2d arithmetic)."""
        size, pad, kernel = self._size[axis], self._padding[axis], self._kernel[axis]
        start = np.arange(self._out[axis]) * self._stride[axis] - pad
        end = np.minimum(start + kernel, size + pad)
        if self.count_include_pad:
            return end - start
        return np.minimum(end, size) - np.maximum(start, 0)

    def _pool(self, x: Array) -> tuple[Array, Any]:
        return self.ops.avg_pool2d(x, self._geometry, self._divisor), None

    def _unpool(self, grad: Array, cache: Any) -> Array:
        return self.ops.avg_pool2d_backward(grad, self._geometry, self._divisor)
