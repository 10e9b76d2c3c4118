"""MaskedMeanPooling: the mean over each sequence's steps, padding left out, (N, L, F) -> (N, F)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array
from nnfs_sequence._step_reduction import StepReduction

__all__ = ["MaskedMeanPooling"]


class MaskedMeanPooling(StepReduction):
    r"""y[n] = the mean of x[n, t] over the steps t that are not padding (all L without a mask).

    $$
    y_n = \frac{1}{|T_n|} \sum_{t \in T_n} x_{n,t}, \qquad
    \frac{\partial L}{\partial x_{n,t}} = \frac{[t \in T_n]}{|T_n|}\, g_n
    $$

    Shapes: x (N, L, F) -> (N, F). T_n is every step, or, given a ``padding_mask`` (N, L) True at padding
    (handed by the `masked` combinator), the steps that are not; a sequence that is all padding gives zeros.
    """

    def forward_pass(self, x: Array, *, training: bool = False, padding_mask: Array | None = None) -> tuple[Array, Any]:
        real = self.real_steps(x, padding_mask)
        if real is None:
            return x.mean(axis=1), (x.shape, None)
        weights = real / np.maximum(real.sum(axis=1, keepdims=True), 1)
        weights = weights.astype(x.dtype)
        return np.einsum("nt,ntf->nf", weights, x), (x.shape, weights)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        shape, weights = cache
        if weights is None:
            return np.broadcast_to(grad[:, None, :] / grad.dtype.type(shape[1]), shape).copy()
        return weights[:, :, None] * grad[:, None, :]
