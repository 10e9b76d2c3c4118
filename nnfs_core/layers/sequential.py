"""Sequential: a list of layers used as one layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ConfigError
from nnfs_core.layers.composite import CompositeLayer, backward_through, forward_through, infer_through
from nnfs_core.protocols import Array

__all__ = ["Sequential"]


class Sequential(CompositeLayer):
    """y = f_k(... f_2(f_1(x))): its layers applied in order, as one layer (``torch.nn.Sequential``).

    Shapes: whatever the first layer takes -> whatever the last gives. Parameter paths are
    ``<index>.<name>`` (``0.weight``), nested under the network's (``layers.2.0.weight``).

    Parameters
    ----------
    layers : sequence of layers, names or config dicts
        ``[{"name": "dense", "output_size": 64}, "relu"]``; the same instance may appear twice (its
        weights are shared and its gradients summed).
    """

    example_args: ClassVar[dict[str, Any]] = {"layers": [{"name": "dense", "output_size": 4}, "tanh"]}
    example_input_shape: ClassVar[tuple[int, ...]] = (5,)

    torch_sequence: ClassVar[bool] = True  # children numbered as nn.Sequential numbers its modules

    def __init__(self, layers: Sequence[Any]) -> None:
        super().__init__()
        from nnfs_core import registry

        if isinstance(layers, (str, dict)) or not isinstance(layers, Sequence) or not layers:
            raise ConfigError(f"Sequential: layers must be a non-empty list of layers, names or config dicts, "
                              f"got {layers!r}")
        self.layers = list(layers)
        self._layers = [registry.layers.resolve(layer) for layer in self.layers]

    @property
    def training_differs(self) -> bool:  # type: ignore[override]
        return any(getattr(layer, "training_differs", False) for layer in self._layers)

    def children(self) -> list[tuple[str, Any]]:
        return [(str(index), layer) for index, layer in enumerate(self._layers)]

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        shape = self.input_shape
        for layer in self._layers:
            shape = self.build_child(layer, shape, rng=rng, dtype=self.dtype)  # type: ignore[arg-type]
        self.output_shape = shape
        self.collect_arrays()
        return shape  # type: ignore[return-value]

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        return forward_through(self._layers, x, training=training)

    def inference_pass(self, x: Array) -> Array:
        return infer_through(self._layers, x)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        sums: dict[int, dict[str, Array]] = {}
        grad = backward_through(self._layers, grad, cache, sums)
        self.gather_grads(sums)
        return grad
