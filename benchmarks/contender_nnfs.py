"""nnfs through its public API: ``Network`` built from registry names, ``fit``, ``predict``, layers by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.workloads import BATCH_SIZE, CONV_OUT, DENSE_OUT, LEARNING_RATE, MOMENTUM, SEED, LayerCase

Array = np.ndarray[Any, Any]

MLP_LAYERS: list[Any] = [
    {"name": "dense", "output_size": 256}, "relu",
    {"name": "dense", "output_size": 128}, "relu",
    {"name": "dense", "output_size": 10},
]
CNN_LAYERS: list[Any] = [
    {"name": "conv2d", "out_channels": 32, "kernel_size": 3, "padding": 1}, "relu",
    {"name": "max_pool2d", "kernel_size": 2},
    {"name": "conv2d", "out_channels": 64, "kernel_size": 3, "padding": 1}, "relu",
    {"name": "max_pool2d", "kernel_size": 2},
    "flatten",
    {"name": "dense", "output_size": 128}, "relu",
    {"name": "dense", "output_size": 10},
]


def unavailable(kind: str) -> str | None:
    """Why this contender cannot run ``kind`` workloads here, or None."""
    if kind in ("cnn", "conv2d", "max_pool2d"):
        try:
            import nnfs_conv  # noqa: F401
        except ImportError:
            return "nnfs-conv is not installed (pip install -e plugins/nnfs-conv)"
    return None


def build(kind: str) -> Any:
    from nnfs_core import Network

    layers, shape = (MLP_LAYERS, (784,)) if kind == "mlp" else (CNN_LAYERS, (1, 28, 28))
    return Network(
        layers=layers,
        optimizer={"name": "sgd", "learning_rate": LEARNING_RATE, "momentum": MOMENTUM},
        loss="cross_entropy",
        input_shape=shape,
        seed=SEED,
    )


def train(model: Any, x: Array, y: Array, epochs: int) -> float:
    history = model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, verbose=0)
    return float(history.history["loss"][-1])


def predict(model: Any, x: Array) -> Array:
    return model.predict(x, batch_size=BATCH_SIZE)


def layer_step(case: LayerCase) -> Callable[[], Any]:
    """One forward (training mode) and backward pass of the layer, input gradient included."""
    from nnfs_core import registry

    arguments: dict[str, dict[str, Any]] = {
        "dense": {"output_size": DENSE_OUT},
        "conv2d": {"out_channels": CONV_OUT, "kernel_size": 3, "padding": 1},
        "max_pool2d": {"kernel_size": 2},
        "batch_norm": {},
    }
    rng = np.random.default_rng(SEED)
    layer = registry.layers.create(case.name, **arguments[case.name])
    output_shape = layer.build(case.input_shape[1:], rng=rng, dtype=np.float32)
    x = rng.standard_normal(case.input_shape, dtype=np.float32)
    grad = rng.standard_normal((case.input_shape[0], *output_shape), dtype=np.float32)

    def step() -> Any:
        layer.forward(x, training=True)
        return layer.backward(grad)

    return step
