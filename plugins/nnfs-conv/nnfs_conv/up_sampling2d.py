"""UpSampling2D: resize each map by a scale factor, as ``torch.nn.Upsample(scale_factor=..., mode=...)``."""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

import numpy as np

from nnfs_conv._args import stored
from nnfs_conv._geometry import AXES, built_shape, check_batch, check_rank
from nnfs_conv._separable import adjoint, apply
from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_choice

__all__ = ["UpSampling2D"]


def _nearest(size: int, out: int, factor: float) -> Array:
    """PyTorch's ``nearest_idx``: source index floor(o / factor) computed in float32, clamped to size - 1."""
    index = np.arange(out)
    if out == size:
        return index
    if out == 2 * size:
        return index >> 1
    # In place, so that building holds 12 bytes per output index at most (the load budget's 3 values).
    source = index.astype(np.float32)
    del index
    source *= np.float32(1.0 / factor)
    np.floor(source, out=source)
    result = source.astype(np.int64)
    del source
    return np.minimum(result, size - 1, out=result)


def _bilinear(size: int, out: int, factor: float, dtype: Any) -> Array:
    """(out, size) interpolation matrix of ``align_corners=False``: source (o + 0.5) / factor - 0.5, clamped at 0.

    As in PyTorch's kernel, an output as long as the input is the input (whatever the factor).
    """
    if out == size:
        return np.eye(size, dtype=dtype)
    scale = dtype.type(1.0 / factor)
    source = np.maximum(scale * (np.arange(out, dtype=dtype) + dtype.type(0.5)) - dtype.type(0.5), 0)
    low = np.minimum(np.floor(source).astype(np.int64), size - 1)
    high = low + (low < size - 1)
    weight_high = np.clip(source - low, 0, 1).astype(dtype)
    matrix = np.zeros((out, size), dtype=dtype)
    rows = np.arange(out)
    np.add.at(matrix, (rows, low), 1 - weight_high)
    np.add.at(matrix, (rows, high), weight_high)
    return matrix


def _sum_back(grad: Array, index: Array, size: int, axis: int) -> Array:
    """The adjoint of ``take(index, axis)`` for a non-decreasing ``index``: sum each run of equal indices."""
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    sums = np.add.reduceat(grad, starts, axis=axis)
    if len(starts) == size:
        return sums
    result = np.zeros((*grad.shape[:axis], size, *grad.shape[axis + 1:]), dtype=grad.dtype)
    result[(slice(None),) * axis + (index[starts],)] = sums
    return result


class UpSampling2D(BaseLayer):
    """Resize (N, C, H, W) to (N, C, floor(H sh), floor(W sw)) by nearest neighbour or bilinear interpolation.

    ``"nearest"`` copies x[n, c, floor(oh / sh), floor(ow / sw)] (PyTorch's float32 index arithmetic);
    backward sums each run of copies. ``"bilinear"`` is ``align_corners=False``: y = A x B^T per map with
    (OH, H) and (OW, W) interpolation matrices A and B; backward is A^T g B.

    Parameters
    ----------
    scale_factor : float or (float, float)
        Positive; the output size is floor(input size x factor).
    mode : {"nearest", "bilinear"}
        Nearest neighbour (PyTorch's index rule) or bilinear with ``align_corners=False``.
    """

    example_args: ClassVar[dict[str, Any]] = {"scale_factor": 2}

    def __init__(self, scale_factor: Any = 2, *, mode: str = "nearest") -> None:
        super().__init__()
        factors = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) else (scale_factor,) * 2
        if len(factors) != 2 or not all(isinstance(f, numbers.Real) and not isinstance(f, bool)
                                        and math.isfinite(float(f)) and float(f) > 0 for f in factors):
            raise ValueError(f"UpSampling2D: scale_factor must be a positive number or a pair of them, "
                             f"got {scale_factor!r}")
        check_choice("UpSampling2D", "mode", mode, ("nearest", "bilinear"))
        self._factors = tuple(float(f) for f in factors)
        self.scale_factor = stored(scale_factor)
        self.mode = mode

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Interpolation matrices (bilinear) or source indices (nearest); one sample's half-resized maps.

        The load budget's declaration (``docs/writing-a-pack.md``, "Build cost"); factors are floats,
        so the sizes are computed as build computes them.
        """
        if len(input_shape) != 3:
            return 0, 0
        channels, *sizes = input_shape
        out = [math.floor(size * factor) for size, factor in zip(sizes, self._factors)]
        held = sum(out) if self.mode == "nearest" else sum(length * size for length, size in zip(out, sizes))
        return held, channels * out[0] * sizes[1]

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        shape = built_shape(self)
        owner = type(self).__name__
        check_rank(owner, shape, "(C, H, W)")
        channels, *sizes = shape
        out = tuple(math.floor(size * factor) for size, factor in zip(sizes, self._factors))
        for axis, length in enumerate(out):
            if length < 1:
                raise ShapeError(f"{owner} with scale_factor={self.scale_factor!r} cannot take samples of shape "
                                 f"{self.input_shape}: the {AXES[axis]} {sizes[axis]} scales to {length}, so the "
                                 f"output would be empty")
        if self.mode == "nearest":
            self._index = [_nearest(size, length, factor) for size, length, factor in zip(sizes, out, self._factors)]
        else:
            self._matrices = [_bilinear(size, length, factor, self.dtype)
                              for size, length, factor in zip(sizes, out, self._factors)]
        self.output_shape = (channels, *out)
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, None]:
        check_batch(type(self).__name__, x.shape, self.input_shape, "(C, H, W)")
        if self.mode == "bilinear":
            return apply(self.ops, x, *self._matrices), None
        return x.take(self._index[0], axis=2).take(self._index[1], axis=3), None

    def backward_pass(self, grad: Array, cache: None) -> Array:
        if self.mode == "bilinear":
            return adjoint(self.ops, grad, *self._matrices)
        grad = np.asarray(grad, dtype=self.dtype)
        rows = _sum_back(grad, self._index[0], built_shape(self)[1], axis=2)
        return _sum_back(rows, self._index[1], built_shape(self)[2], axis=3)
