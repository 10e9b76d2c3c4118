"""AdaptiveAvgPool2D: averages over windows chosen to give a fixed output size, as ``torch.nn.AdaptiveAvgPool2d``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_conv._args import stored
from nnfs_conv._geometry import built_shape, check_batch, check_rank
from nnfs_conv._separable import adjoint, apply
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_int

__all__ = ["AdaptiveAvgPool2D"]


def _averaging(size: int, out: int, dtype: Any) -> Array:
    """(out, size) matrix whose row i averages x[start_i:end_i], start_i = floor(i size / out),
    end_i = ceil((i + 1) size / out) (PyTorch's windows, which may overlap)."""
    index = np.arange(out)
    start = index * size // out
    end = -(-(index + 1) * size // out)
    position = np.arange(size)
    inside = (position >= start[:, None]) & (position < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2D(BaseLayer):
    """y[n, c, i, j] = mean of x[n, c, rows_i, cols_j] with PyTorch's start/end rule (see ``_averaging``).

    Shapes: x (N, C, H, W) -> y (N, C, OH, OW). Computed as two products with small averaging matrices.

    Parameters
    ----------
    output_size : int or (int or None, int or None)
        None keeps that axis's input size.
    """

    example_args: ClassVar[dict[str, Any]] = {"output_size": (2, 3)}

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        sizes = tuple(output_size) if isinstance(output_size, (list, tuple)) else (output_size, output_size)
        if len(sizes) != 2:
            raise ValueError(f"AdaptiveAvgPool2D: output_size must be an int or a pair, got {output_size!r}")
        self._sizes = tuple(None if size is None else check_int("AdaptiveAvgPool2D", "output_size", size)
                            for size in sizes)
        self.output_size = stored(output_size)

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """The two averaging matrices; one sample's maps averaged along one axis.

        The load budget's declaration (``docs/writing-a-pack.md``, "Build cost").
        """
        if len(input_shape) != 3:
            return 0, 0
        channels, height, width = input_shape
        rows, columns = (size if wanted is None else wanted for size, wanted in zip((height, width), self._sizes))
        return rows * height + columns * width, channels * rows * width

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        shape = built_shape(self)
        check_rank(type(self).__name__, shape, "(C, H, W)")
        channels, height, width = shape
        out = tuple(size if wanted is None else wanted for size, wanted in zip((height, width), self._sizes))
        self._rows = _averaging(height, out[0], self.dtype)
        self._columns = _averaging(width, out[1], self.dtype)
        self.output_shape = (channels, *out)
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, None]:
        check_batch(type(self).__name__, x.shape, self.input_shape, "(C, H, W)")
        return apply(self.ops, x, self._rows, self._columns), None

    def backward_pass(self, grad: Array, cache: None) -> Array:
        return adjoint(self.ops, grad, self._rows, self._columns)
