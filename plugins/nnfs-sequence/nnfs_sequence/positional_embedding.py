"""PositionalEmbedding: a learned vector per position added to each step, as GPT's ``wpe``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_int

__all__ = ["PositionalEmbedding"]


class PositionalEmbedding(BaseLayer):
    r"""y[n, t] = x[n, t] + weight[t]: step t gets the learned vector of position t.

    $$
    y_{n,t} = x_{n,t} + W_t, \qquad \frac{\partial L}{\partial W_t} = \sum_n g_{n,t}, \qquad
    \frac{\partial L}{\partial x} = g
    $$

    Shapes: x (N, L, E), L <= ``max_length`` -> (N, L, E); weight (max_length, E), drawn from N(0, 1) like
    ``torch.nn.Embedding``'s: the layer is ``x + nn.Embedding(max_length, E)(torch.arange(L))``, and its
    ``weight`` moves across by that name. Positions L..max_length - 1 get no gradient from a shorter batch.

    Parameters
    ----------
    max_length : int
        The longest sequence the layer takes (the number of rows).
    """

    example_args: ClassVar[dict[str, Any]] = {"max_length": 6}
    example_input_shape: ClassVar[tuple[int, ...]] = (4, 3)

    def __init__(self, max_length: int) -> None:
        super().__init__()
        self.max_length = check_int("PositionalEmbedding", "max_length", max_length)

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """The table and its gradient; no scratch besides the output."""
        return 2 * self.max_length * int(input_shape[-1]) if input_shape else 0, 0

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        if len(input_shape) != 2:
            raise ShapeError(f"PositionalEmbedding expects sequences (N, L, E) (batch first), so a per-sample shape "
                             f"(L, E); got {tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        self._check_length(int(input_shape[0]))
        self.params["weight"] = rng.standard_normal((self.max_length, int(input_shape[1]))).astype(self.dtype)
        self.grads["weight"] = np.zeros_like(self.params["weight"])
        return self.output_shape  # type: ignore[return-value]

    def _check_length(self, steps: int) -> None:
        if steps > self.max_length:
            raise ShapeError(f"PositionalEmbedding(max_length={self.max_length}) got sequences of {steps} steps; "
                             f"raise max_length or cut the sequences")

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        width = self.params["weight"].shape[1]
        if x.ndim != 3 or x.shape[2] != width:
            raise ShapeError(f"PositionalEmbedding expects sequences (N, L, {width}), got an array of shape {x.shape}")
        self._check_length(x.shape[1])
        return x + self.params["weight"][:x.shape[1]], x.shape[1]

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        steps = cache
        self.grads["weight"].fill(0)
        grad.sum(axis=0, out=self.grads["weight"][:steps])
        return grad
