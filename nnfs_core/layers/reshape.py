"""Reshape: every sample to a given shape (the seed's ``Reshape(target_shape, input_shape)``)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["Reshape"]


def _as_shape(owner: str, name: str, value: Any) -> tuple[int, ...]:
    shape = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if not shape or any(not isinstance(size, (int, np.integer)) or size < 1 and size != -1 for size in shape):
        raise ValueError(f"{owner}: {name} must be a tuple of positive sizes (one may be -1), got {value!r}")
    return tuple(int(size) for size in shape)


class Reshape(BaseLayer):
    """Shapes: x (N, *input_shape) -> y (N, *target_shape); sizes must agree (one size may be -1).

    Parameters
    ----------
    target_shape : tuple of int
        Per-sample output shape, e.g. ``(1, 784)`` or ``(28, 28)``.
    input_shape : tuple of int, optional
        Per-sample input shape; only needed when this is the first layer and the network has no
        ``input_shape`` (the seed's ``Reshape((1, 784), input_shape=(28, 28))``).
    """

    example_args: ClassVar[dict[str, Any]] = {"target_shape": (-1,)}

    def __init__(self, target_shape: Any, input_shape: Any = None) -> None:
        super().__init__()
        self.target_shape = _as_shape("Reshape", "target_shape", target_shape)
        if sum(size == -1 for size in self.target_shape) > 1:
            raise ValueError(f"Reshape: at most one size of target_shape may be -1, got {self.target_shape}")
        self.input_shape = None if input_shape is None else _as_shape("Reshape", "input_shape", input_shape)

    def build_cost(self, input_shape: tuple[int, ...]) -> int:
        """Nothing: the output is a view of the input (``docs/writing-a-pack.md``, "Build cost")."""
        return 0

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        declared = self.input_shape
        if declared is not None and tuple(declared) != tuple(input_shape):
            raise ShapeError(f"Reshape was declared with input_shape={declared}, but receives samples of shape "
                             f"{tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        size = int(np.prod(input_shape, dtype=np.int64))
        known = int(np.prod([s for s in self.target_shape if s != -1], dtype=np.int64))
        target = tuple(size // known if s == -1 else s for s in self.target_shape)
        if int(np.prod(target, dtype=np.int64)) != size:
            raise ShapeError(f"Reshape cannot turn samples of shape {tuple(input_shape)} ({size} values) into "
                             f"shape {self.target_shape}")
        self.output_shape = target
        return target

    def forward(self, x: Array, *, training: bool = False) -> Array:
        return x.reshape((x.shape[0], *self.output_shape))  # type: ignore[misc]

    def backward(self, grad: Array) -> Array:
        return grad.reshape((grad.shape[0], *self.input_shape))  # type: ignore[misc]
