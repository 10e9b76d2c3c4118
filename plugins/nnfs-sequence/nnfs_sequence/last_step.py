"""LastStep: each sequence's last step, (N, L, F) -> (N, F), the last real step when padding is marked."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer
from nnfs_sequence._masks import as_padding_mask

__all__ = ["LastStep"]


class LastStep(BaseLayer):
    r"""y[n] = x[n, last_n], last_n = L - 1, or the last step of sequence n that is not padding.

    $$
    y_n = x_{n, \ell_n}, \qquad \frac{\partial L}{\partial x_{n,t}} = [t = \ell_n]\, g_n
    $$

    Shapes: x (N, L, F) -> (N, F). With a ``padding_mask`` (N, L), True at padding (handed by the `masked`
    combinator), ``last_n`` is the last step that is not padding, wherever the padding is; a sequence that
    is all padding gives its step 0. After a forward recurrent layer over sequences padded at the end, this
    is each sequence's own final state (what torch gets from a packed sequence's ``h_n``).
    """

    example_input_shape: ClassVar[tuple[int, ...]] = (4, 3)
    accepts_padding_mask: ClassVar[bool] = True

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Nothing held; per sample at most the input's size (the gradient's buffer)."""
        return 0, int(np.prod(input_shape))

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        if len(input_shape) != 2:
            raise ShapeError(f"LastStep expects sequences (N, L, F) (batch first), so a per-sample shape (L, F); "
                             f"got {tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        self.output_shape = (int(input_shape[1]),)
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False, padding_mask: Array | None = None) -> tuple[Array, Any]:
        if x.ndim != 3:
            raise ShapeError(f"LastStep expects sequences (N, L, F), got an array of shape {x.shape}")
        n, steps = x.shape[:2]
        if padding_mask is None:
            last = np.full(n, steps - 1)
        else:
            real = ~as_padding_mask(padding_mask, n, steps, "LastStep").astype(bool)
            last = np.where(real.any(axis=1), steps - 1 - np.argmax(real[:, ::-1], axis=1), 0)
        return x[np.arange(n), last], (x.shape, last)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        shape, last = cache
        grad_x = np.zeros(shape, dtype=grad.dtype)
        grad_x[np.arange(shape[0]), last] = grad
        return grad_x
