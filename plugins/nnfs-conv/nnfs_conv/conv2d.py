"""Conv2D: 2-D cross-correlation over (N, C, H, W), as ``torch.nn.Conv2d``."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_conv._args import channels_and_groups
from nnfs_conv._convolution import ConvolutionBase

__all__ = ["Conv2D"]


class Conv2D(ConvolutionBase):
    r"""y[n, o] = b[o] + sum over c in o's group, i, j of w[o, c, i, j] x_pad[n, c, i dh + oh sh, j dw + ow sw].

    $$
    y_{n, o, h, w} = b_o + \sum_{c \in \text{group}(o)} \sum_{i < k_h} \sum_{j < k_w}
    W_{o, c, i, j} \; x^{\text{pad}}_{n, c,\; h s_h + i d_h,\; w s_w + j d_w}
    $$

    with strides $(s_h, s_w)$ and dilations $(d_h, d_w)$; backward is the same sum read the other way
    (the input gradient is a transposed convolution of $g$, the weight gradient a correlation of $x$ with $g$).

    Shapes: x (N, C, H, W) -> y (N, out_channels, OH, OW) with
    OH = floor((H + pad_top + pad_bottom - dh (kh - 1) - 1) / sh) + 1 (OW alike);
    weight (out_channels, C / groups, kh, kw), bias (out_channels,). ``C`` is inferred at build.
    Parameters are drawn as PyTorch does: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = C / groups kh kw.

    Parameters
    ----------
    out_channels : int
        Output channels O.
    kernel_size : int or (int, int)
        Kernel height and width (kh, kw).
    stride : int or (int, int)
        Step (sh, sw) between windows.
    padding : int, (int, int), "valid" or "same"
        "same" (stride 1 only) keeps H and W; when d (k - 1) is odd the extra row/column goes to the
        bottom/right, as in PyTorch.
    dilation : int or (int, int)
        Spacing (dh, dw) between kernel taps.
    groups : int
        Input and output channels are split into this many independent groups (both divisible by it).
    use_bias : bool
        Learn a bias per output channel.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        What the padding is filled with, as in PyTorch.
    """

    example_args: ClassVar[dict[str, Any]] = {"out_channels": 4, "kernel_size": 3}

    def __init__(self, out_channels: int, kernel_size: Any, *, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1, use_bias: bool = True, padding_mode: str = "zeros") -> None:
        super().__init__()
        self.out_channels, self.groups = channels_and_groups(type(self).__name__, out_channels, groups)
        self._store_geometry(kernel_size, stride, padding, dilation, use_bias, padding_mode)

    def _channels(self, in_channels: int) -> tuple[int, int]:
        return self.groups, self.out_channels
