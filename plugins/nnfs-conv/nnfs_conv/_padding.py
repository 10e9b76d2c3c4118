"""What ZeroPad2D and ConstantPad2D share: padding (or, for negative sizes, cropping) the last two axes."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_conv._args import pad_sides, stored
from nnfs_conv._geometry import built_shape, check_batch, check_rank
from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["PadBase"]


def _overlap(size: int, before: int, after: int) -> tuple[slice, slice]:
    """(input slice, output slice) of one axis that padding keeps; a negative side crops the input."""
    source = slice(max(0, -before), size - max(0, -after))
    target = slice(max(0, before), max(0, before) + source.stop - source.start)
    return source, target


class PadBase(BaseLayer):
    """Pads (N, C, H, W) by (left, right, top, bottom) with ``self._value``; subclasses set the value."""

    _value = 0.0

    def _store_padding(self, padding: Any) -> None:
        self._sides = pad_sides(type(self).__name__, padding)
        self.padding = stored(padding)

    def build_cost(self, input_shape: tuple[int, ...]) -> int:
        """Nothing: the padded output is counted by the loader (``docs/writing-a-pack.md``, "Build cost")."""
        return 0

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        shape = built_shape(self)
        owner = type(self).__name__
        check_rank(owner, shape, "(C, H, W)")
        channels, height, width = shape
        left, right, top, bottom = self._sides
        out = (height + top + bottom, width + left + right)
        if min(out) < 1 or height + min(top, 0) + min(bottom, 0) < 1 or width + min(left, 0) + min(right, 0) < 1:
            raise ShapeError(f"{owner} with padding (left, right, top, bottom) = {self._sides} cannot take samples of "
                             f"shape {self.input_shape}: the negative padding crops away the whole image")
        self._rows = _overlap(height, top, bottom)
        self._columns = _overlap(width, left, right)
        self._out_shape = (channels, *out)
        self.output_shape = self._out_shape
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, None]:
        check_batch(type(self).__name__, x.shape, self.input_shape, "(C, H, W)")
        y = np.full((x.shape[0], *self._out_shape), self._value, dtype=self.dtype)
        y[:, :, self._rows[1], self._columns[1]] = x[:, :, self._rows[0], self._columns[0]]
        return y, None

    def backward_pass(self, grad: Array, cache: None) -> Array:
        inner = grad[:, :, self._rows[1], self._columns[1]]
        if inner.shape[1:] == self.input_shape:
            return np.array(inner, dtype=self.dtype, copy=True)
        grad_x = np.zeros((grad.shape[0], *built_shape(self)), dtype=self.dtype)
        grad_x[:, :, self._rows[0], self._columns[0]] = inner
        return grad_x
