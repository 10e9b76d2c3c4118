"""FeatureScale: a learnable scale per feature, y = x * weight."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

if TYPE_CHECKING:
    from nnfs_core.onnx import OnnxGraph


class FeatureScale(BaseLayer):
    """Multiply every feature (the last axis) by its own learnable scale.

    Shapes: x (N, ..., features) -> y of the same shape; weight (features,), initialised to ``init``.

    Parameters
    ----------
    init : float
        Initial value of every scale.
    """

    def __init__(self, init: float = 1.0) -> None:
        super().__init__()  # params, grads, state, trainable, ...
        if isinstance(init, bool) or not isinstance(init, (int, float)):
            raise TypeError(f"FeatureScale: init must be a number, got {init!r}")
        self.init = float(init)  # store every constructor argument under its own name: get_config() reads them

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)  # records input_shape and dtype
        self.params["weight"] = np.full(input_shape[-1], self.init, dtype=self.dtype)
        self.grads["weight"] = np.zeros_like(self.params["weight"])
        return tuple(input_shape)  # the per-sample output shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        # The cache (here the input) goes back with the output: nothing for backward is kept on self, so
        # other forwards in between (an inference call, another thread) change nothing.
        return x * self.params["weight"], x

    def backward_pass(self, grad: Array, x: Array) -> Array:
        # d loss / d weight sums over every axis but the last; d loss / d x is grad * weight. Assign the
        # gradient (never +=): the optimizer reads it after every batch.
        self.grads["weight"][...] = (grad * x).reshape(-1, grad.shape[-1]).sum(axis=0)
        return grad * self.params["weight"]


def export_onnx(layer: FeatureScale, graph: OnnxGraph, x: str) -> str:
    """The layer in ONNX (``nnfs export``, ``Network.to_onnx``): one Mul by the weight, which broadcasts over
    the last axis as in ``forward_pass``. Registered in pyproject.toml under the layer's own name."""
    return graph.node("Mul", [x, graph.weight(layer.params["weight"], "weight")])
