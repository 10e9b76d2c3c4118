"""TimeDistributed: one layer applied to every step of a sequence, as Keras's ``TimeDistributed``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.layers.composite import CompositeLayer, backward_through
from nnfs_core.protocols import Array, run_forward

__all__ = ["TimeDistributed"]


class TimeDistributed(CompositeLayer):
    """y[:, t] = layer(x[:, t]) for every step t, with one set of weights: the steps become the batch.

    Shapes: x (N, L, *step) -> (N, L, *layer's output for step); the layer is built for per-sample
    ``step`` shapes and runs once on (N L, *step). Parameter paths ``layer.<...>``. Layers that work on
    the last axis (dense, layer_norm, activations) take (N, L, F) directly; this is for the others - a
    flatten and a dense per step, a convolution per frame (N, L, C, H, W), a whole block.

    Parameters
    ----------
    layer : layer, name, config dict, or a list of them (a Sequential)
        What each step goes through.
    """

    example_args: ClassVar[dict[str, Any]] = {"layer": [{"name": "flatten"}, {"name": "dense", "output_size": 3}]}
    example_input_shape: ClassVar[tuple[int, ...]] = (3, 2, 2)

    def __init__(self, layer: Any) -> None:
        super().__init__()
        from nnfs_core import registry
        from nnfs_core.layers.sequential import Sequential

        self.layer = layer
        self._layer = Sequential(layer) if isinstance(layer, list) else registry.layers.resolve(layer)

    @property
    def training_differs(self) -> bool:  # type: ignore[override]
        return bool(getattr(self._layer, "training_differs", False))

    def children(self) -> list[tuple[str, Any]]:
        return [("layer", self._layer)]

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        if len(input_shape) < 2:
            raise ShapeError(f"TimeDistributed expects sequences (N, L, ...) (batch first), so a per-sample shape "
                             f"(L, ...); got {tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        step = self.build_child(self._layer, tuple(input_shape[1:]), rng=rng, dtype=self.dtype)
        self.output_shape = (int(input_shape[0]), *step)
        self.collect_arrays()
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        if x.ndim != len(self.input_shape or ()) + 1:
            raise ShapeError(f"TimeDistributed was built for samples of shape {self.input_shape}, got an array of "
                             f"shape {x.shape}")
        n, steps = x.shape[:2]
        y, cache = run_forward(self._layer, x.reshape(n * steps, *x.shape[2:]), training=training)
        return y.reshape(n, steps, *y.shape[1:]), (x.shape, cache)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        shape, layer_cache = cache
        sums: dict[int, dict[str, Array]] = {}
        grad_x = backward_through([self._layer], grad.reshape(shape[0] * shape[1], *grad.shape[2:]), [layer_cache],
                                  sums)
        self.gather_grads(sums)
        return None if grad_x is None else grad_x.reshape(shape)
