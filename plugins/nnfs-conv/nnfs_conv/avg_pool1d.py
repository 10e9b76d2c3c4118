"""AvgPool1D: the mean of each window along the length, as ``torch.nn.AvgPool1d``."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_conv.avg_pool2d import AvgPool2D

__all__ = ["AvgPool1D"]


class AvgPool1D(AvgPool2D):
    """y[n, c, t] = sum over i of x_pad[n, c, t s + i] / divisor[t]; runs as an AvgPool2D of height 1.

    Shapes: x (N, C, L) -> y (N, C, L_out), L_out = floor((L + 2 p - k) / s) + 1 (ceil with ``ceil_mode``).
    The divisor counts the padding unless ``count_include_pad=False``.

    Parameters
    ----------
    kernel_size : int
        Window length.
    stride : int, optional
        Defaults to ``kernel_size``.
    padding : int
        At most half the kernel.
    ceil_mode : bool
        Round the output length up instead of down (a last, partial window).
    count_include_pad : bool
        Count padded zeros in each window's divisor.
    """

    example_input_shape: ClassVar[tuple[int, ...]] = (3, 8)
    _one_d = True

    def __init__(self, kernel_size: Any, *, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride=stride, padding=padding, ceil_mode=ceil_mode,
                         count_include_pad=count_include_pad)
