"""MaskedMeanPooling: the mean over each sequence's steps, padding left out, (N, L, F) -> (N, F)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer
from nnfs_sequence._masks import as_padding_mask

__all__ = ["MaskedMeanPooling"]


class MaskedMeanPooling(BaseLayer):
    r"""y[n] = the mean of x[n, t] over the steps t that are not padding (all L without a mask).

    $$
    y_n = \frac{1}{|T_n|} \sum_{t \in T_n} x_{n,t}, \qquad
    \frac{\partial L}{\partial x_{n,t}} = \frac{[t \in T_n]}{|T_n|}\, g_n
    $$

    Shapes: x (N, L, F) -> (N, F). T_n is every step, or, given a ``padding_mask`` (N, L) True at padding
    (handed by the `masked` combinator), the steps that are not; a sequence that is all padding gives zeros.
    """

    example_input_shape: ClassVar[tuple[int, ...]] = (4, 3)
    accepts_padding_mask: ClassVar[bool] = True

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Nothing held; per sample at most the input's size (the gradient's buffer)."""
        return 0, int(np.prod(input_shape))

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        if len(input_shape) != 2:
            raise ShapeError(f"MaskedMeanPooling expects sequences (N, L, F) (batch first), so a per-sample shape "
                             f"(L, F); got {tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        self.output_shape = (int(input_shape[1]),)
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False, padding_mask: Array | None = None) -> tuple[Array, Any]:
        if x.ndim != 3:
            raise ShapeError(f"MaskedMeanPooling expects sequences (N, L, F), got an array of shape {x.shape}")
        n, steps = x.shape[:2]
        if padding_mask is None:
            return x.mean(axis=1), (x.shape, None)
        real = ~as_padding_mask(padding_mask, n, steps, "MaskedMeanPooling").astype(bool)
        weights = real / np.maximum(real.sum(axis=1, keepdims=True), 1)
        weights = weights.astype(x.dtype)
        return np.einsum("nt,ntf->nf", weights, x), (x.shape, weights)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        shape, weights = cache
        if weights is None:
            return np.broadcast_to(grad[:, None, :] / grad.dtype.type(shape[1]), shape).copy()
        return weights[:, :, None] * grad[:, None, :]
