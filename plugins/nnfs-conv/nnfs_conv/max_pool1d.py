"""MaxPool1D: the maximum of each window along the length, as ``torch.nn.MaxPool1d``."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_conv.max_pool2d import MaxPool2D

__all__ = ["MaxPool1D"]


class MaxPool1D(MaxPool2D):
    """y[n, c, t] = max over i of x_pad[n, c, t s + i d] (padding reads as -inf); runs as a MaxPool2D of height 1.

    Shapes: x (N, C, L) -> y (N, C, L_out), L_out = floor((L + 2 p - d (k - 1) - 1) / s) + 1 (ceil with
    ``ceil_mode``). The gradient goes to each window's first maximum.

    Parameters
    ----------
    kernel_size : int
        Window length.
    stride : int, optional
        Defaults to ``kernel_size``.
    padding : int
        At most half the (dilated) kernel.
    dilation : int
        Spacing between the window's taps.
    ceil_mode : bool
        Round the output length up instead of down (a last, partial window).
    """

    example_input_shape: ClassVar[tuple[int, ...]] = (3, 8)
    _one_d = True

    def __init__(self, kernel_size: Any, *, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
