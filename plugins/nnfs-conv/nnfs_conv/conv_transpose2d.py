"""ConvTranspose2D: the adjoint of Conv2D with respect to its input, as ``torch.nn.ConvTranspose2d``."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from nnfs_conv._args import as_pair, channels_and_groups, stored
from nnfs_conv._geometry import AXES, built_shape, check_batch, check_rank
from nnfs_core.errors import ShapeError
from nnfs_core.ops import WindowGeometry
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["ConvTranspose2D"]


class ConvTranspose2D(BaseLayer):
    """Each input pixel scatters ``weight[c]`` times its value into the output (the gradient of a Conv2D).

    Shapes: x (N, C, H, W) -> y (N, out_channels, OH, OW) with
    OH = (H - 1) sh - 2 ph + dh (kh - 1) + output_padding_h + 1 (OW alike);
    weight (C, out_channels / groups, kh, kw) (PyTorch's layout), bias (out_channels,).

    Forward, with groups G and x rearranged to (G, C / G, N H W):

        cols = weight^T @ x                  (G, out_channels / G kh kw, N H W)
        y    = crop(col2im(cols)) + b        ``padding`` cropped from each side

    Backward is a convolution of the gradient: ``cols = im2col(pad(g))``, d x = weight @ cols and
    d weight = x @ cols^T. Both run in ``self.ops`` (``conv_transpose2d``), with the geometry of the
    Conv2D this layer transposes, worked out at build.

    Parameters
    ----------
    out_channels : int
        Output channels O.
    kernel_size, stride, dilation : int or (int, int)
        Kernel size (kh, kw), stride (sh, sw) and dilation (dh, dw) of the Conv2D this layer transposes.
    padding : int or (int, int)
        Rows/columns cropped from both sides of the full output.
    output_padding : int or (int, int)
        Extra rows/columns on the bottom/right, to pick among the input sizes a strided Conv2D maps to
        the same size; each must be smaller than the stride or the dilation.
    groups : int
        Input and output channels are split into this many independent groups (both divisible by it).
    use_bias : bool
        Learn a bias per output channel.
    """

    example_args: ClassVar[dict[str, Any]] = {"out_channels": 4, "kernel_size": 3, "stride": 2}

    def __init__(self, out_channels: int, kernel_size: Any, *, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, dilation: Any = 1, groups: int = 1, use_bias: bool = True) -> None:
        super().__init__()
        owner = type(self).__name__
        self.out_channels, self.groups = channels_and_groups(owner, out_channels, groups)
        self._kernel = as_pair(owner, "kernel_size", kernel_size)
        self._stride = as_pair(owner, "stride", stride)
        self._dilation = as_pair(owner, "dilation", dilation)
        self._padding = as_pair(owner, "padding", padding, minimum=0)
        self._output_padding = as_pair(owner, "output_padding", output_padding, minimum=0)
        for extra, step, spacing in zip(self._output_padding, self._stride, self._dilation):
            if extra >= step and extra >= spacing:
                raise ValueError(f"{owner}: output_padding {output_padding!r} must be smaller than the stride "
                                 f"{stride!r} or the dilation {dilation!r}")
        self.kernel_size, self.stride, self.padding = map(stored, (kernel_size, stride, padding))
        self.output_padding, self.dilation = stored(output_padding), stored(dilation)
        self.use_bias = bool(use_bias)

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Weight, bias and their gradients; one sample's columns and uncropped output.

        The load budget's declaration (``docs/writing-a-pack.md``, "Build cost").
        """
        if len(input_shape) != 3:
            return 0, 0
        in_channels, height, width = input_shape
        kernel = self._kernel[0] * self._kernel[1]
        held = 2 * (in_channels * self.out_channels // self.groups * kernel + self.out_channels * self.use_bias)
        full = math.prod((size - 1) * self._stride[axis] + self._span(axis) + self._output_padding[axis]
                         for axis, size in enumerate((height, width)))
        return held, self.out_channels * (kernel * height * width + full)

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        from nnfs_core import initializers

        super().build(input_shape, rng=rng, dtype=dtype)
        shape = built_shape(self)
        owner = type(self).__name__
        check_rank(owner, shape, "(C, H, W)")
        in_channels, height, width = shape
        if in_channels % self.groups:
            raise ShapeError(f"{owner} with groups={self.groups} needs input channels divisible by {self.groups}, "
                             f"got samples of shape {self.input_shape}")
        self._size = (height, width)
        self._out = (self._length(0), self._length(1))
        # The uncropped output, tall enough for every scattered kernel and for the cropped window.
        full_height, full_width = (max((self._size[axis] - 1) * self._stride[axis] + self._span(axis),
                                       self._padding[axis] + self._out[axis]) for axis in (0, 1))
        top, left = self._padding
        sides = (top, full_height - top - self._out[0], left, full_width - left - self._out[1])
        # The Conv2D this layer transposes: from the (uncropped) output to windows over the input.
        self._geometry = WindowGeometry(self._out, self._kernel, self._stride, self._dilation, sides, self._size)
        init = initializers.resolve(initializers.DEFAULT_WEIGHT)
        weight_shape = (in_channels, self.out_channels // self.groups, *self._kernel)
        self.params = {"weight": init(weight_shape, rng=rng, dtype=self.dtype)}
        if self.use_bias:
            fan_in = initializers.compute_fans(weight_shape)[0]  # out_channels / groups kh kw, as PyTorch
            self.params["bias"] = init((self.out_channels,), rng=rng, dtype=self.dtype, fan_in=fan_in)
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.output_shape = (self.out_channels, *self._out)
        return self.output_shape

    def _span(self, axis: int) -> int:
        return self._dilation[axis] * (self._kernel[axis] - 1) + 1

    def _length(self, axis: int) -> int:
        size = self._size[axis]
        length = (size - 1) * self._stride[axis] - 2 * self._padding[axis] + self._span(axis) \
            + self._output_padding[axis]
        if length < 1:
            raise ShapeError(f"{type(self).__name__} cannot take samples of shape {self.input_shape}: the {AXES[axis]} "
                             f"{size} gives an output of {length} after cropping padding {self._padding[axis]} from "
                             f"both sides, so the output would be empty")
        return length

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        """y for the batch x, and the backend's cache (x, owned by this call) for backward."""
        check_batch(type(self).__name__, x.shape, self.input_shape, "(C, H, W)")
        return self.ops.conv_transpose2d(x, self.params["weight"], self.params.get("bias"), self._geometry,
                                         groups=self.groups)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        grad_x = self.ops.conv_transpose2d_backward(grad, cache, self.params["weight"], self.grads["weight"],
                                                    self.grads.get("bias"), self._geometry, groups=self.groups,
                                                    input_grad=not self.skip_input_grad)
        if grad_x is None:
            return None  # type: ignore[return-value]
        return grad_x
