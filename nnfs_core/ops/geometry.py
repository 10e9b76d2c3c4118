"""Where the windows of a convolution or a pooling lie: ``WindowGeometry``, the value the window ops take.

A window op (``Ops.conv2d``, ``Ops.max_pool2d``, ...) reads an (N, C, H, W) batch padded by
(top, bottom, left, right) and visits OH x OW windows of kh x kw taps:

    window (oh, ow), tap (i, j) reads  x_pad[:, :, oh sh + i dh, ow sw + j dw]

The layer works out the sizes once at build (with its own rules: PyTorch's "same" padding, pooling's
``ceil_mode``) and hands the ops this value; the ops never guess a layer's arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WindowGeometry", "window_span"]

Pair = tuple[int, int]


def window_span(kernel: int, dilation: int) -> int:
    """How many input positions a window of ``kernel`` taps ``dilation`` apart covers: d (k - 1) + 1."""
    return dilation * (kernel - 1) + 1


@dataclass(frozen=True)
class WindowGeometry:
    """The windows over a 2-D map (a 1-D layer passes height 1).

    Attributes
    ----------
    size : (int, int)
        The input's (H, W), before padding.
    kernel, stride, dilation : (int, int)
        Taps per window (kh, kw), step between windows (sh, sw), spacing between taps (dh, dw).
    padding : (int, int, int, int)
        (top, bottom, left, right) rows and columns added around the input.
    out : (int, int)
        Windows (OH, OW); every window lies inside the padded input.

    ``WindowGeometry.fitting`` computes ``out`` as the number of windows that fit (a convolution's
    floor((H + top + bottom - d (k - 1) - 1) / s) + 1). A transposed convolution is described by the
    geometry of the convolution it transposes: ``size`` is its output, ``out`` its input.
    """

    size: Pair
    kernel: Pair
    stride: Pair
    dilation: Pair
    padding: tuple[int, int, int, int]
    out: Pair

    def __post_init__(self) -> None:
        for axis in (0, 1):
            last = (self.out[axis] - 1) * self.stride[axis] + self.span[axis]
            if self.out[axis] < 1 or self.size[axis] < 1 or last > self.padded[axis]:
                raise ValueError(f"WindowGeometry: {self.out} windows of span {self.span} and stride {self.stride} "
                                 f"do not fit an input of {self.size} padded to {self.padded}")

    @classmethod
    def fitting(cls, size: Pair, kernel: Pair, *, stride: Pair = (1, 1), dilation: Pair = (1, 1),
                padding: tuple[int, int, int, int] = (0, 0, 0, 0)) -> WindowGeometry:
        """The geometry with as many windows as fit in the padded input along each axis."""
        padded = (size[0] + padding[0] + padding[1], size[1] + padding[2] + padding[3])
        out = tuple((padded[axis] - window_span(kernel[axis], dilation[axis])) // stride[axis] + 1 for axis in (0, 1))
        return cls(size, kernel, stride, dilation, padding, (out[0], out[1]))

    @property
    def span(self) -> Pair:
        """Input positions one window covers along each axis, d (k - 1) + 1."""
        return window_span(self.kernel[0], self.dilation[0]), window_span(self.kernel[1], self.dilation[1])

    @property
    def padded(self) -> Pair:
        """The padded input's (H + top + bottom, W + left + right)."""
        top, bottom, left, right = self.padding
        return self.size[0] + top + bottom, self.size[1] + left + right

    def taps(self) -> list[tuple[int, slice, slice]]:
        """(index, rows, columns) per kernel tap (i, j), index = i kw + j (row-major, as PyTorch's windows).

        ``x_pad[:, :, rows, columns]`` is the (N, C, OH, OW) array of what tap (i, j) reads in every window.
        """
        result = []
        for i in range(self.kernel[0]):
            for j in range(self.kernel[1]):
                top, left = i * self.dilation[0], j * self.dilation[1]
                rows = slice(top, top + self.stride[0] * (self.out[0] - 1) + 1, self.stride[0])
                columns = slice(left, left + self.stride[1] * (self.out[1] - 1) + 1, self.stride[1])
                result.append((i * self.kernel[1] + j, rows, columns))
        return result
