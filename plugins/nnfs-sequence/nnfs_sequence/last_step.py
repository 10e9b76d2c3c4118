"""LastStep: each sequence's last step, (N, L, F) -> (N, F), the last real step when padding is marked."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array
from nnfs_sequence._step_reduction import StepReduction

__all__ = ["LastStep"]


class LastStep(StepReduction):
    r"""y[n] = x[n, last_n], last_n = L - 1, or the last step of sequence n that is not padding.

    $$
    y_n = x_{n, \ell_n}, \qquad \frac{\partial L}{\partial x_{n,t}} = [t = \ell_n]\, g_n
    $$

    Shapes: x (N, L, F) -> (N, F). With a ``padding_mask`` (N, L), True at padding (handed by the `masked`
    combinator), ``last_n`` is the last step that is not padding, wherever the padding is; a sequence that
    is all padding gives its step 0. After a forward recurrent layer over sequences padded at the end, this
    is each sequence's own final state (what torch gets from a packed sequence's ``h_n``).
    """

    def forward_pass(self, x: Array, *, training: bool = False, padding_mask: Array | None = None) -> tuple[Array, Any]:
        real = self.real_steps(x, padding_mask)
        n, steps = x.shape[:2]
        if real is None:
            last = np.full(n, steps - 1)
        else:
            last = np.where(real.any(axis=1), steps - 1 - np.argmax(real[:, ::-1], axis=1), 0)
        return x[np.arange(n), last], (x.shape, last)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        shape, last = cache
        grad_x = np.zeros(shape, dtype=grad.dtype)
        grad_x[np.arange(shape[0]), last] = grad
        return grad_x
