"""nnfs through its public API: ``Network`` built from registry names, ``fit``, ``predict``, layers by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.workloads import (
    BATCH_SIZE,
    CONV_OUT,
    DENSE_OUT,
    ENCODER_LAYERS,
    FEEDFORWARD,
    HEADS,
    INPUT_SHAPES,
    LEARNING_RATE,
    LSTM_HIDDEN,
    MOMENTUM,
    SEED,
    TRANSFORMER_DROPOUT,
    VOCABULARY,
    WIDTH,
    LayerCase,
)

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



def _conv(out: int, kernel: int, **extra: Any) -> dict[str, Any]:
    return {"name": "conv2d", "out_channels": out, "kernel_size": kernel, **extra}


def _residual(out: int, projection: bool) -> dict[str, Any]:
    """Two 3x3 convolutions with BatchNorm, added to the input (projected by a 1x1 convolution if asked)."""
    body = [_conv(out, 3, padding=1, use_bias=False), "batch_norm", "relu",
            _conv(out, 3, padding=1, use_bias=False), "batch_norm"]
    block: dict[str, Any] = {"name": "residual", "body": body}
    if projection:
        block["projection"] = [_conv(out, 1, use_bias=False), "batch_norm"]
    return block


def _separable(out: int) -> list[Any]:
    """MobileNet's block: a 3x3 depthwise convolution, then a 1x1 one mixing the channels, each with BatchNorm."""
    return [{"name": "depthwise_conv2d", "kernel_size": 3, "padding": 1, "use_bias": False}, "batch_norm", "relu",
            _conv(out, 1, use_bias=False), "batch_norm", "relu"]


#: The CNN zoo (issue 21), layer for layer as contender_torch builds them.
ZOO_LAYERS: dict[str, list[Any]] = {
    "lenet": [_conv(16, 5, padding=2), "relu", {"name": "max_pool2d", "kernel_size": 2},
              _conv(32, 5), "relu", {"name": "max_pool2d", "kernel_size": 2}, "flatten",
              {"name": "dense", "output_size": 120}, "relu", {"name": "dense", "output_size": 84}, "relu",
              {"name": "dense", "output_size": 10}],
    "resnet": [_conv(16, 3, padding=1, use_bias=False), "batch_norm", "relu",
               _residual(16, projection=False), "relu", {"name": "max_pool2d", "kernel_size": 2},
               _residual(32, projection=True), "relu", {"name": "max_pool2d", "kernel_size": 2},
               "global_avg_pool2d", {"name": "dense", "output_size": 10}],
    "mobilenet": [_conv(32, 3, padding=1, use_bias=False), "batch_norm", "relu",
                  *_separable(64), {"name": "max_pool2d", "kernel_size": 2},
                  *_separable(128), {"name": "max_pool2d", "kernel_size": 2},
                  *_separable(128), "global_avg_pool2d", {"name": "dense", "output_size": 10}],
}


#: The sequence models (issue 19), layer for layer as contender_torch builds them.
SEQUENCE_LAYERS: dict[str, list[Any]] = {
    "lstm": [{"name": "lstm", "hidden_size": LSTM_HIDDEN, "return_sequences": False},
             {"name": "dense", "output_size": 10}],
    "transformer": [{"name": "embedding", "num_embeddings": VOCABULARY, "embedding_dim": WIDTH},
                    *[{"name": "transformer_encoder_layer", "num_heads": HEADS, "dim_feedforward": FEEDFORWARD,
                       "dropout": TRANSFORMER_DROPOUT}] * ENCODER_LAYERS,
                    "masked_mean_pooling", {"name": "dense", "output_size": 10}],
}


def unavailable(kind: str) -> str | None:
    """Why this contender cannot run ``kind`` workloads here, or None."""
    if kind in SEQUENCE_LAYERS:
        try:
            import nnfs_activations  # noqa: F401
            import nnfs_sequence  # noqa: F401
        except ImportError:
            return ("nnfs-sequence and nnfs-activations are not installed "
                    "(pip install -e plugins/nnfs-sequence -e plugins/nnfs-activations)")
        return None
    if kind not in ("mlp", "dense", "batch_norm"):
        try:
            import nnfs_conv  # noqa: F401
        except ImportError:
            return "nnfs-conv is not installed (pip install -e plugins/nnfs-conv)"
    return None


def build(kind: str) -> Any:
    from nnfs_core import Network

    layers = {"mlp": MLP_LAYERS, "cnn": CNN_LAYERS, **ZOO_LAYERS, **SEQUENCE_LAYERS}[kind]
    optimizer = ({"name": "adam", "learning_rate": 1e-3} if kind == "lenet" else
                 {"name": "sgd", "learning_rate": LEARNING_RATE, "momentum": MOMENTUM})
    return Network(layers=layers, optimizer=optimizer, loss="cross_entropy", input_shape=INPUT_SHAPES[kind],
                   seed=SEED)


def train(model: Any, x: Array, y: Array, epochs: int, batch_size: int = BATCH_SIZE) -> float:
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
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
