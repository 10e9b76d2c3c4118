"""PReLU: LeakyReLU whose negative slope is learned, one per channel or shared."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_int, check_number

__all__ = ["PReLU"]


class PReLU(BaseLayer):
    """y = x for x > 0 and a * x otherwise, with a learnable slope a, as ``torch.nn.PReLU``.

    With ``num_parameters == 1`` one slope is shared by every element; otherwise there is one slope per
    channel, the channel being axis 1 of the batch (``(N, C)``, ``(N, C, L)``, ``(N, C, H, W)``).

    dy/dx = 1 for x > 0 and a otherwise, including at x = 0 (PyTorch's convention);
    dL/da_c = sum of g * x over the elements of channel c where x <= 0.
    Shapes: x (N, C, ...) -> the same; weight (num_parameters,), made in ``build`` in the network's dtype.

    Parameters
    ----------
    num_parameters : int
        1 (a shared slope) or the number of channels C.
    init : float
        The initial value of every slope.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.num_parameters = check_int("PReLU", "num_parameters", num_parameters, minimum=1)
        self.init = check_number("PReLU", "init", init)

    def build_cost(self, input_shape: tuple[int, ...]) -> int:
        """The slopes and their gradient (``docs/writing-a-pack.md``, "Build cost")."""
        return 2 * self.num_parameters

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        if self.num_parameters > 1 and (not self.input_shape or self.input_shape[0] != self.num_parameters):
            raise ShapeError(
                f"PReLU with num_parameters={self.num_parameters} expects {self.num_parameters} channels on "
                f"axis 1 of its input, got samples of shape {self.input_shape}"
            )
        self.params["weight"] = np.full((self.num_parameters,), self.init, dtype=self.dtype)
        self.grads["weight"] = np.zeros_like(self.params["weight"])
        return self.input_shape  # type: ignore[return-value]

    def _slope(self, ndim: int) -> Array:
        """The weight shaped to broadcast against a batch of ``ndim`` axes (channels on axis 1)."""
        weight = self.params["weight"]
        if self.num_parameters == 1:
            return weight.reshape((1,) * ndim)
        return weight.reshape((1, -1) + (1,) * (ndim - 2))

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        if self.num_parameters > 1 and (x.ndim < 2 or x.shape[1] != self.num_parameters):
            raise ShapeError(
                f"PReLU with num_parameters={self.num_parameters} expects input (N, {self.num_parameters}, ...), "
                f"got an array of shape {x.shape}"
            )
        positive = x > 0
        return np.where(positive, x, x * self._slope(x.ndim)), (x, positive)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        x, positive = cache
        negative_part = np.where(positive, 0, grad * x)
        axes = tuple(axis for axis in range(x.ndim) if self.num_parameters == 1 or axis != 1)
        self.grads["weight"][...] = negative_part.sum(axis=axes).reshape(self.num_parameters)
        return np.where(positive, grad, grad * self._slope(x.ndim))
