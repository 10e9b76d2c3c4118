"""Conv1D: 1-D cross-correlation over (N, C, L), as ``torch.nn.Conv1d``."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_conv._args import channels_and_groups
from nnfs_conv._convolution import ConvolutionBase

__all__ = ["Conv1D"]


class Conv1D(ConvolutionBase):
    """y[n, o, t] = b[o] + sum over c in o's group, i of w[o, c, i] x_pad[n, c, i d + t s].

    Shapes: x (N, C, L) -> y (N, out_channels, L_out), L_out = floor((L + 2 p - d (k - 1) - 1) / s) + 1;
    weight (out_channels, C / groups, k), bias (out_channels,). Runs as a Conv2D of height 1.

    Parameters
    ----------
    out_channels : int
        Output channels O.
    kernel_size, stride, dilation : int or (int,)
        Kernel length k, step s between windows, and spacing d between kernel taps.
    padding : int, (int,), "valid" or "same" (stride 1; the extra element on the right, as in PyTorch)
        Zeros (or ``padding_mode`` values) added at both ends; "same" keeps the length.
    groups : int
        Input and output channels are split into this many independent groups (both divisible by it).
    use_bias : bool
        Learn a bias per output channel.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        What the padding is filled with, as in PyTorch.
    """

    example_args: ClassVar[dict[str, Any]] = {"out_channels": 4, "kernel_size": 3}
    example_input_shape: ClassVar[tuple[int, ...]] = (3, 8)
    _one_d = True

    def __init__(self, out_channels: int, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1, use_bias: bool = True, padding_mode: str = "zeros") -> None:
        super().__init__()
        self.out_channels, self.groups = channels_and_groups(type(self).__name__, out_channels, groups)
        self._store_geometry(kernel_size, stride, padding, dilation, use_bias, padding_mode)

    def _channels(self, in_channels: int) -> tuple[int, int]:
        return self.groups, self.out_channels
