"""Residual: x + f(x), the building block of ResNets and Transformers."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.layers.composite import CompositeLayer, backward_through
from nnfs_core.protocols import Array, run_forward, run_inference

__all__ = ["Residual"]


class Residual(CompositeLayer):
    """y = body(x) + shortcut(x), the shortcut the identity unless a ``projection`` is given.

    Shapes: x (N, ...) -> body's output (N, ...); the shortcut must give the same shape, so when the body
    changes it (more channels, a stride), pass a ``projection`` that does too (a 1x1 convolution, a Dense).
    Gradient: d x = d body(x) / d x . g + d shortcut / d x . g. Parameter paths ``body.<...>`` and
    ``projection.<...>``.

    Parameters
    ----------
    body : layer, name, config dict, or a list of them (a Sequential)
        f, the residual branch.
    projection : layer, name, config dict, or a list of them, optional
        The shortcut's map when x and f(x) differ in shape.
    """

    example_args: ClassVar[dict[str, Any]] = {"body": [{"name": "dense", "output_size": 5}, "tanh"]}
    example_input_shape: ClassVar[tuple[int, ...]] = (5,)

    def __init__(self, body: Any, *, projection: Any = None) -> None:
        super().__init__()
        self.body = body
        self.projection = projection
        self._body = _one_layer(body)
        self._projection = None if projection is None else _one_layer(projection)

    @property
    def training_differs(self) -> bool:  # type: ignore[override]
        return any(getattr(child, "training_differs", False) for _, child in self.children())

    def children(self) -> list[tuple[str, Any]]:
        children = [("body", self._body)]
        return children if self._projection is None else [*children, ("projection", self._projection)]

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        given = tuple(int(size) for size in input_shape)
        shape = self.build_child(self._body, given, rng=rng, dtype=self.dtype)
        shortcut = given if self._projection is None else self.build_child(self._projection, given, rng=rng,
                                                                           dtype=self.dtype)
        if tuple(shortcut) != tuple(shape):
            what = "the input" if self._projection is None else "the projection's output"
            raise ShapeError(f"Residual: the body gives samples of shape {shape} but {what} has shape {shortcut}; "
                             f"x + f(x) needs both equal"
                             + ("; pass projection=... (e.g. a 1x1 conv2d or a dense) that maps x to f(x)'s shape"
                                if self._projection is None else ""))
        self.output_shape = shape
        self.collect_arrays()
        return shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        y, body_cache = run_forward(self._body, x, training=training)
        if self._projection is None:
            return y + x, (body_cache, None)
        shortcut, projection_cache = run_forward(self._projection, x, training=training)
        return y + shortcut, (body_cache, projection_cache)

    def inference_pass(self, x: Array) -> Array:
        y = run_inference(self._body, x)
        return y + (x if self._projection is None else run_inference(self._projection, x))

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        body_cache, projection_cache = cache
        sums: dict[int, dict[str, Array]] = {}
        grad_x = backward_through([self._body], grad, [body_cache], sums)
        if self._projection is None:
            grad_x = grad_x + grad
        else:
            grad_x = grad_x + backward_through([self._projection], grad, [projection_cache], sums)
        self.gather_grads(sums)
        return grad_x


def _one_layer(spec: Any) -> Any:
    """A layer from a spec; a list becomes a Sequential."""
    from nnfs_core import registry
    from nnfs_core.layers.sequential import Sequential

    if isinstance(spec, list):
        return Sequential(spec)
    return registry.layers.resolve(spec)
