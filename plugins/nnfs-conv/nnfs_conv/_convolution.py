"""What Conv2D, Conv1D and DepthwiseConv2D share: a grouped 2-D convolution, computed by ``self.ops``.

1-D layers run through the same code with a height of 1. Forward, for groups G (C = G Cg, O = G Og):

    cols = im2col(pad(x))                       (G, Cg kh kw, N OH OW)
    y    = weight (G, Og, Cg kh kw) @ cols + b  -> (N, O, OH, OW)

Backward, with g = d loss / d y rearranged to (G, Og, N OH OW):

    d weight = g @ cols^T        d bias = sum of g over (N, OH, OW)
    d x      = unpad(col2im(weight^T @ g))

The layer works out its ``WindowGeometry`` at build and hands it to ``ops.conv2d``; how the product is
cut over threads and cache-sized pieces is the backend's business (docs/architecture.md, "Where speed lives").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfs_conv._args import as_pair, conv_padding, stored
from nnfs_conv._geometry import AXES, built_shape, check_batch, check_rank, conv_length, same_padding
from nnfs_core.errors import ShapeError
from nnfs_core.ops import WindowGeometry
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_choice

__all__ = ["ConvolutionBase", "PADDING_MODES"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class ConvolutionBase(BaseLayer):
    """Grouped convolution over (N, C, H, W), or (N, C, L) when ``_one_d``; subclasses set the geometry.

    Subclasses call ``_store_geometry`` in ``__init__`` and implement ``_channels`` (groups and
    out_channels for a number of input channels).
    """

    _one_d = False
    parallel = True  # worth cutting over threads: the CPU backend splits the batch
    _kernel: tuple[int, int]
    _stride: tuple[int, int]
    _dilation: tuple[int, int]
    _padding: tuple[int, int] | None  # None: "same"
    padding_mode: str
    use_bias: bool

    def _channels(self, in_channels: int) -> tuple[int, int]:
        """``(groups, out_channels)`` for this many input channels."""
        raise NotImplementedError

    def _store_geometry(self, kernel_size: Any, stride: Any, padding: Any, dilation: Any, use_bias: bool,
                        padding_mode: str) -> None:
        """Check and store the arguments every convolution shares (as given, and normalised to 2-D)."""
        owner = type(self).__name__
        one_d = self._one_d  # a 1-D layer is a 2-D one of height 1
        self._kernel = as_pair(owner, "kernel_size", kernel_size, one_d=one_d)
        self._stride = as_pair(owner, "stride", stride, one_d=one_d)
        self._dilation = as_pair(owner, "dilation", dilation, one_d=one_d)
        self._padding = conv_padding(owner, padding, one_d=one_d)
        if self._padding is None and self._stride != (1, 1):
            raise ValueError(f"{owner}: padding='same' needs stride 1 (as in PyTorch), got stride={stride!r}")
        check_choice(owner, "padding_mode", padding_mode, PADDING_MODES)
        self.kernel_size, self.stride, self.dilation = stored(kernel_size), stored(stride), stored(dilation)
        self.padding = stored(padding)
        self.use_bias = bool(use_bias)
        self.padding_mode = padding_mode

    @property
    def _layout(self) -> str:
        return "(C, L)" if self._one_d else "(C, H, W)"

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Weight, bias and their gradients; one sample's columns (C kh kw values per output position).

        The load budget's declaration (``docs/writing-a-pack.md``, "Build cost"). Output positions are
        bounded by the padded input's (stride 1); a shape build would refuse costs nothing.
        """
        if len(input_shape) != (2 if self._one_d else 3):
            return 0, 0
        in_channels, *spatial = input_shape
        groups, out_channels = self._channels(in_channels)
        kernel = self._kernel[0] * self._kernel[1]
        held = 2 * out_channels * (in_channels // max(groups, 1) * kernel + self.use_bias)
        padding = (0, 0) if self._padding is None else self._padding
        sizes = (1, spatial[0]) if self._one_d else (spatial[0], spatial[1])
        positions = math.prod(size + 2 * pad for size, pad in zip(sizes, padding))
        return held, in_channels * kernel * positions

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        from nnfs_core import initializers

        super().build(input_shape, rng=rng, dtype=dtype)
        owner = type(self).__name__
        shape = built_shape(self)
        check_rank(owner, shape, self._layout)
        in_channels, *spatial = shape
        groups, out_channels = self._channels(in_channels)
        if in_channels % groups:
            raise ShapeError(f"{owner} with groups={groups} needs input channels divisible by {groups}, got samples "
                             f"of shape {shape} ({in_channels} channels)")
        self._size = (1, spatial[0]) if self._one_d else (spatial[0], spatial[1])
        self._sides = self._pad_sides()
        self._check_mode_padding()
        height, width = (
            conv_length(owner, shape, "length" if self._one_d else AXES[axis], self._size[axis],
                        self._sides[2 * axis] + self._sides[2 * axis + 1], self._kernel[axis], self._stride[axis],
                        self._dilation[axis])
            for axis in (0, 1)
        )
        self._out = (height, width)
        self._groups = groups
        self._geometry = WindowGeometry(self._size, self._kernel, self._stride, self._dilation, self._sides, self._out)
        kernel = self._kernel[1:] if self._one_d else self._kernel
        init = initializers.resolve(initializers.DEFAULT_WEIGHT)
        weight_shape = (out_channels, in_channels // groups, *kernel)
        self.params = {"weight": init(weight_shape, rng=rng, dtype=self.dtype)}
        if self.use_bias:
            fan_in = initializers.compute_fans(weight_shape)[0]
            self.params["bias"] = init((out_channels,), rng=rng, dtype=self.dtype, fan_in=fan_in)
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.output_shape = (out_channels, self._out[1]) if self._one_d else (out_channels, *self._out)
        return self.output_shape

    def _pad_sides(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right), PyTorch's asymmetric split for "same" (extra on the bottom/right)."""
        if self._padding is None:
            top, bottom = same_padding(self._kernel[0], self._dilation[0])
            left, right = same_padding(self._kernel[1], self._dilation[1])
            return top, bottom, left, right
        height, width = self._padding
        return height, height, width, width

    def _check_mode_padding(self) -> None:
        """PyTorch refuses reflect padding as wide as the input, and circular padding wider than it."""
        if self.padding_mode == "zeros":
            return
        for axis in (0, 1):
            widest, size = max(self._sides[2 * axis: 2 * axis + 2]), self._size[axis]
            limit = size - 1 if self.padding_mode == "reflect" else size
            if widest > limit:
                raise ShapeError(f"{type(self).__name__} with padding_mode={self.padding_mode!r} cannot pad samples "
                                 f"of shape {self.input_shape} by {widest} along an axis of size {size}")

    def _as_2d(self, array: Array) -> Array:
        """A weight (or its gradient) as (O, C / G, kh, kw): a view, height 1 added for a 1-D layer."""
        return array.reshape(array.shape[0], array.shape[1], *self._kernel)

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        """y for the batch x, and the backend's cache (the padded input, owned by this call) for backward."""
        return self._convolve(x, self.params["weight"], self.params.get("bias"))

    def _convolve(self, x: Array, weight: Array, bias: Array | None) -> tuple[Array, Any]:
        check_batch(type(self).__name__, x.shape, self.input_shape, self._layout)
        x = x.reshape(x.shape[0], x.shape[1], *self._size)
        y, cache = self.ops.conv2d(x, self._as_2d(weight), bias, self._geometry, groups=self._groups,
                                   padding_mode=self.padding_mode)
        return (y.reshape(*y.shape[:2], self._out[1]) if self._one_d else y), cache

    def fold_affine(self, scale: Array, shift: Array) -> Callable[[Array], Array]:
        """This convolution followed by y scale + shift per output channel, as one convolution for inference:
        weight scale[o] W[o], bias scale[o] b[o] + shift[o]. A BatchNorm after it folds in this way in
        predict and evaluate (``nnfs_core.layers.composite.infer_through``)."""
        weight = self.params["weight"]
        weight = weight * scale.reshape(-1, *(1,) * (weight.ndim - 1))
        bias = shift if "bias" not in self.params else self.params["bias"] * scale + shift
        return lambda x: self._convolve(x, weight, bias)[0]

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        batch = grad.shape[0]
        grad_x = self.ops.conv2d_backward(grad.reshape(batch, grad.shape[1], *self._out), cache,
                                          self._as_2d(self.params["weight"]), self._as_2d(self.grads["weight"]),
                                          self.grads.get("bias"), self._geometry, groups=self._groups,
                                          padding_mode=self.padding_mode, input_grad=not self.skip_input_grad)
        if grad_x is None:
            return None  # type: ignore[return-value]
        return grad_x.reshape(batch, *built_shape(self))
