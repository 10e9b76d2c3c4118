"""Dropout: inverted dropout in training, the identity at inference."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Dropout"]


class Dropout(BaseLayer):
    r"""Zero each element with probability ``rate`` in training and scale the rest by 1 / (1 - rate).

    $$
    y = \frac{x \odot z}{1 - r}, \quad z_k \sim \operatorname{Bernoulli}(1 - r), \qquad
    \frac{\partial L}{\partial x} = \frac{g \odot z}{1 - r}
    $$

    in training, with $r$ = ``rate``; in inference $y = x$.

    Shapes: any (N, ...) -> the same. Masks are drawn from the network's Generator, so a seeded
    network drops the same elements every run. ``rate`` is PyTorch's ``p``.
    """

    training_differs = True

    def __init__(self, rate: float = 0.5) -> None:
        super().__init__()
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be a probability in [0, 1), got {rate!r}")
        self.rate = float(rate)

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        self._rng = rng
        return super().build(input_shape, rng=rng, dtype=dtype)

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        if not training or self.rate == 0.0:
            return x, None
        draws = self._rng.random(x.shape, dtype=np.float32 if x.dtype == np.float32 else np.float64)
        scale = x.dtype.type(1.0 / (1.0 - self.rate))
        mask = np.multiply(draws >= self.rate, scale, out=draws.astype(x.dtype, copy=False))  # the draws' buffer
        return x * mask, mask

    def backward_pass(self, grad: Array, mask: Any) -> Array:
        return grad if mask is None else grad * mask
