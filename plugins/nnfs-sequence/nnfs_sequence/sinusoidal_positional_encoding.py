"""SinusoidalPositionalEncoding: the fixed sines and cosines of "Attention is all you need" added to each step."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_number

__all__ = ["SinusoidalPositionalEncoding", "sinusoids"]


def sinusoids(steps: int, width: int, base: float = 10000.0) -> Array:
    r"""The (steps, width) table, float64: $PE_{t, 2i} = \sin(t / b^{2i/E})$, $PE_{t, 2i+1} = \cos(t / b^{2i/E})$."""
    positions = np.arange(steps, dtype=np.float64)[:, None]
    frequencies = np.exp(np.arange(0, width, 2, dtype=np.float64) * (-np.log(base) / width))
    table = np.zeros((steps, width))
    table[:, 0::2] = np.sin(positions * frequencies)
    table[:, 1::2] = np.cos(positions * frequencies[:width // 2])
    return table


class SinusoidalPositionalEncoding(BaseLayer):
    r"""y[n, t] = scale x[n, t] + PE[t], PE the fixed table of sines and cosines (no parameters).

    $$
    PE_{t, 2i} = \sin\!\big(t / b^{2i/E}\big), \qquad PE_{t, 2i+1} = \cos\!\big(t / b^{2i/E}\big), \qquad
    \frac{\partial L}{\partial x} = \text{scale} \cdot g
    $$

    with b = ``base`` (10000): the PyTorch tutorial's ``PositionalEncoding`` (batch first, without its
    dropout - put a `dropout` layer after it). Any length works; the table for the longest length seen
    is kept, and shorter sequences use its first rows.

    Shapes: x (N, L, E) -> (N, L, E).

    Parameters
    ----------
    base : float
        b, the wavelength scale (> 1).
    scale : float
        Multiplies x first; ``sqrt(E)`` is the paper's (embeddings scaled up before the positions are added).
    """

    example_input_shape: ClassVar[tuple[int, ...]] = (4, 3)

    def __init__(self, *, base: float = 10000.0, scale: float = 1.0) -> None:
        super().__init__()
        self.base = check_number("SinusoidalPositionalEncoding", "base", base, low=1.0, low_open=True)
        self.scale = check_number("SinusoidalPositionalEncoding", "scale", scale, low=None)

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """The table for the built length (longer batches grow it); no scratch besides the output."""
        return (int(input_shape[0]) * int(input_shape[1]), 0) if len(input_shape) == 2 else (0, 0)

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        if len(input_shape) != 2:
            raise ShapeError(f"SinusoidalPositionalEncoding expects sequences (N, L, E) (batch first), so a "
                             f"per-sample shape (L, E); got {tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        self._cached = sinusoids(int(input_shape[0]), int(input_shape[1]), self.base).astype(self.dtype)
        return self.output_shape  # type: ignore[return-value]

    def _table(self, steps: int, width: int) -> Array:
        table = self._cached
        if table.shape[0] < steps or table.shape[1] != width or table.dtype != self.dtype:
            table = self._cached = sinusoids(steps, width, self.base).astype(self.dtype)
        return table[:steps]

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        if x.ndim != 3:
            raise ShapeError(f"SinusoidalPositionalEncoding expects sequences (N, L, E), got an array of shape "
                             f"{x.shape}")
        y = x * x.dtype.type(self.scale) if self.scale != 1 else x.copy()
        y += self._table(x.shape[1], x.shape[2])
        return y, None

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        return grad * grad.dtype.type(self.scale) if self.scale != 1 else grad
