"""DepthwiseConv2D: one filter bank per input channel, ``torch.nn.Conv2d(C, C * m, k, groups=C)``."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_conv._convolution import ConvolutionBase
from nnfs_core.validation import check_int

__all__ = ["DepthwiseConv2D"]


class DepthwiseConv2D(ConvolutionBase):
    """Each input channel c is convolved with its own ``depth_multiplier`` filters (Keras's name).

    Shapes: x (N, C, H, W) -> y (N, C m, OH, OW), m = ``depth_multiplier``, output channel c m + k from
    input channel c; weight (C m, 1, kh, kw), bias (C m,): PyTorch's layout for ``groups=C``. OH and OW
    as in ``Conv2D``.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Kernel height and width (kh, kw).
    depth_multiplier : int
        Output channels per input channel: out_channels = C x depth_multiplier.
    stride, dilation : int or (int, int)
        Step between windows and spacing between kernel taps.
    padding : int, (int, int), "valid" or "same"
        Rows and columns added on each side; "same" (stride 1) keeps H and W.
    use_bias : bool
        Learn a bias per output channel.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        What the padding is filled with, as in PyTorch.
    """

    example_args: ClassVar[dict[str, Any]] = {"kernel_size": 3}

    def __init__(self, kernel_size: Any, *, depth_multiplier: int = 1, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, use_bias: bool = True, padding_mode: str = "zeros") -> None:
        super().__init__()
        owner = type(self).__name__
        self.depth_multiplier = check_int(owner, "depth_multiplier", depth_multiplier)
        self._store_geometry(kernel_size, stride, padding, dilation, use_bias, padding_mode)

    def _channels(self, in_channels: int) -> tuple[int, int]:
        return in_channels, in_channels * self.depth_multiplier
