"""What the suite runs: workloads, their sizes, the synthetic data and the per-layer shapes and FLOPs.

Every contender gets the same float32 data from the same seed and trains with batch size 128 on
cross-entropy, with SGD (momentum 0.9, learning rate 0.01) - but LeNet-5, which trains with Adam
(learning rate 0.001), as the CNN issue measured it.

The CNN model zoo (issue 21): LeNet-5 on MNIST-sized input, the benchmark CNN, a small ResNet and a
MobileNet-style stack of depthwise-separable blocks on CIFAR-sized input (3 x 32 x 32).

The sequence models (issue 19) train with the batch sizes the issue states (`BATCH_SIZES`): an LSTM over
28 steps of 28 features (sequential MNIST's shape) and a 2-layer Transformer encoder over 64 token ids.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

BATCH_SIZE = 128
LEARNING_RATE = 0.01
MOMENTUM = 0.9
SEED = 0

CONTENDERS = ("nnfs", "torch", "numpy")

#: name -> (what it measures, unit of its figure)
WORKLOADS: dict[str, str] = {
    "mlp_train": "MLP 784-256-128-10 training",
    "mlp_predict": "MLP 784-256-128-10 predict",
    "cnn_train": "CNN conv32-pool-conv64-pool-128-10 training",
    "cnn_predict": "CNN conv32-pool-conv64-pool-128-10 predict",
    "lenet_train": "LeNet-5 conv16(5x5)-pool-conv32(5x5)-pool-120-84-10 training (Adam)",
    "lenet_predict": "LeNet-5 conv16(5x5)-pool-conv32(5x5)-pool-120-84-10 predict",
    "resnet_train": "ResNet conv16-res16-pool-res32(projection)-pool-gap-10 on 3x32x32 training",
    "resnet_predict": "ResNet conv16-res16-pool-res32(projection)-pool-gap-10 on 3x32x32 predict",
    "mobilenet_train": "MobileNet-style conv32-3 depthwise-separable blocks-gap-10 on 3x32x32 training",
    "mobilenet_predict": "MobileNet-style conv32-3 depthwise-separable blocks-gap-10 on 3x32x32 predict",
    "lstm_train": "LSTM(128) over 28 steps x 28 features, dense 10 on the last step, training (batch 64)",
    "transformer_train": "Transformer encoder, 2 layers, width 128, 4 heads, FF 512, on 64 tokens, training (batch 32)",
    "memory": "MLP training on 60,000 x 784, one epoch (peak RSS)",
    "layers": "per-layer forward+backward",
}


@dataclass(frozen=True)
class Sizes:
    """How much each workload does; ``QUICK`` is for the smoke test."""

    mlp_samples: int = 10_000
    mlp_epochs: int = 8
    cnn_samples: int = 2_048
    cnn_epochs: int = 1
    zoo_samples: int = 2_048
    lstm_samples: int = 2_048
    transformer_samples: int = 1_024
    predict_mlp_samples: int = 10_000
    predict_cnn_samples: int = 2_048
    predict_passes: int = 5
    memory_samples: int = 60_000
    layer_batch: int = BATCH_SIZE
    layer_iterations: int = 15
    startup_runs: int = 7
    sgemm_size: int = 2048
    copy_mib: int = 128

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


FULL = Sizes()
QUICK = Sizes(mlp_samples=512, mlp_epochs=1, cnn_samples=128, cnn_epochs=1, zoo_samples=64, lstm_samples=128,
              transformer_samples=64, predict_mlp_samples=512,
              predict_cnn_samples=128, predict_passes=1, memory_samples=1_024, layer_batch=8, layer_iterations=2,
              startup_runs=2, sgemm_size=256, copy_mib=8)


def _dense_flops(sizes: tuple[int, ...]) -> list[float]:
    return [2.0 * fan_in * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]


def _conv(size: int, c_in: int, c_out: int, kernel: int, groups: int = 1) -> float:
    """Multiply-add FLOPs of a convolution with a size x size output."""
    return 2.0 * size * size * c_out * (c_in // groups) * kernel * kernel


def _zoo_flops() -> dict[str, list[float]]:
    """Forward FLOPs per sample of each zoo model's convolutions and dense layers, first layer first."""
    return {
        "lenet": [_conv(28, 1, 16, 5), _conv(10, 16, 32, 5), *_dense_flops((32 * 5 * 5, 120, 84, 10))],
        "resnet": [_conv(32, 3, 16, 3), _conv(32, 16, 16, 3), _conv(32, 16, 16, 3), _conv(16, 16, 32, 3),
                   _conv(16, 32, 32, 3), _conv(16, 16, 32, 1), *_dense_flops((32, 10))],
        "mobilenet": [_conv(32, 3, 32, 3), _conv(32, 32, 32, 3, groups=32), _conv(32, 32, 64, 1),
                      _conv(16, 64, 64, 3, groups=64), _conv(16, 64, 128, 1),
                      _conv(8, 128, 128, 3, groups=128), _conv(8, 128, 128, 1), *_dense_flops((128, 10))],
    }


# -- the sequence models (issue 19) -------------------------------------------------------------------------
#: Batch size per model where it is not BATCH_SIZE.
BATCH_SIZES: dict[str, int] = {"lstm": 64, "transformer": 32}
LSTM_STEPS, LSTM_FEATURES, LSTM_HIDDEN = 28, 28, 128
TOKENS, VOCABULARY, WIDTH, HEADS, FEEDFORWARD, ENCODER_LAYERS = 64, 1_000, 128, 4, 512, 2
#: torch.nn.TransformerEncoderLayer's default dropout, in both contenders.
TRANSFORMER_DROPOUT = 0.1


def batch_size(kind: str) -> int:
    return BATCH_SIZES.get(kind, BATCH_SIZE)


def _sequence_flops() -> dict[str, float]:
    """Training FLOPs per sample of the sequence models' matrix products: 3x the forward's (forward, weight
    and input gradients), less the LSTM's input gradient of x, which nobody needs."""
    gates = 4 * LSTM_HIDDEN
    projection = 2.0 * LSTM_STEPS * LSTM_FEATURES * gates
    lstm = projection + 2.0 * LSTM_STEPS * LSTM_HIDDEN * gates + 2.0 * LSTM_HIDDEN * 10
    attention = 2.0 * TOKENS * WIDTH * (3 * WIDTH + WIDTH) + 2 * 2.0 * TOKENS * TOKENS * WIDTH
    layer = attention + 2 * 2.0 * TOKENS * WIDTH * FEEDFORWARD
    return {"lstm_train": 3 * lstm - projection, "transformer_train": 3 * (ENCODER_LAYERS * layer + 2.0 * WIDTH * 10)}


def _matmul_flops_per_sample() -> dict[str, float]:
    """Matrix-product FLOPs per sample: forward; training adds the weight gradients and every input gradient
    but the first layer's (nobody needs d loss / d x)."""
    mlp = _dense_flops((784, 256, 128, 10))
    conv1, conv2 = 2.0 * 28 * 28 * 32 * 1 * 9, 2.0 * 14 * 14 * 64 * 32 * 9
    cnn = [conv1, conv2, *_dense_flops((64 * 7 * 7, 128, 10))]
    flops = {}
    for name, layers in {"mlp": mlp, "cnn": cnn, **_zoo_flops()}.items():
        flops[f"{name}_predict"] = sum(layers)
        flops[f"{name}_train"] = 3 * sum(layers) - layers[0]
    return flops | _sequence_flops()


#: Each throughput workload's matrix-product FLOPs per sample: at the measured sgemm rate, a ceiling.
MATMUL_FLOPS_PER_SAMPLE = _matmul_flops_per_sample()


def mlp_data(samples: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """MNIST-shaped random data: x (N, 784) float32 in [0, 1), y (N,) int64 labels in [0, 10)."""
    rng = np.random.default_rng(SEED)
    return rng.random((samples, 784), dtype=np.float32), rng.integers(0, 10, samples)


def cnn_data(samples: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """x (N, 1, 28, 28) float32 in [0, 1), y (N,) int64 labels in [0, 10)."""
    x, y = mlp_data(samples)
    return x.reshape(samples, 1, 28, 28), y


#: Each model's per-sample input shape.
INPUT_SHAPES: dict[str, tuple[int, ...]] = {"mlp": (784,), "cnn": (1, 28, 28), "lenet": (1, 28, 28),
                                            "resnet": (3, 32, 32), "mobilenet": (3, 32, 32),
                                            "lstm": (LSTM_STEPS, LSTM_FEATURES), "transformer": (TOKENS,)}


def model_data(kind: str, samples: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Inputs of the model's shape (float32 in [0, 1); int64 token ids for the Transformer) and labels in
    [0, 10), from the suite's seed."""
    if kind == "mlp":
        return mlp_data(samples)
    rng = np.random.default_rng(SEED)
    shape = INPUT_SHAPES[kind]
    if kind == "transformer":
        return rng.integers(0, VOCABULARY, (samples, *shape)), rng.integers(0, 10, samples)
    return rng.random((samples, *shape), dtype=np.float32), rng.integers(0, 10, samples)


# -- per-layer workloads ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerCase:
    """One layer at one input shape (batch first), with the FLOPs of its matrix products."""

    name: str
    input_shape: tuple[int, ...]
    description: str

    def matmul_flops(self) -> float:
        """Forward + backward (input and weight gradients): 3 products of the forward's size, 2 FLOPs a MAC."""
        if self.name == "dense":
            n, features = self.input_shape
            return 3 * 2.0 * n * features * DENSE_OUT
        if self.name == "conv2d":
            n, c, h, w = self.input_shape
            return 3 * 2.0 * n * h * w * CONV_OUT * c * 9
        return 0.0

    def bytes_moved(self) -> float:
        """A floor on float32 memory traffic: forward reads x and writes y; backward reads dy, x and writes dx."""
        size = float(np.prod(self.input_shape)) * 4
        if self.name == "dense":
            out = size / self.input_shape[1] * DENSE_OUT
            return 2 * size + 3 * out + size
        if self.name == "conv2d":
            out = size / self.input_shape[1] * CONV_OUT
            return 2 * size + 3 * out + size
        if self.name == "max_pool2d":
            return size + size / 4 + size / 4 + size + size
        return 2 * size + 3 * size  # batch_norm: y from x, dx from dy and x (each pass reads twice, ignored)


DENSE_OUT = 256
CONV_OUT = 64


def layer_cases(batch: int) -> list[LayerCase]:
    return [
        LayerCase("dense", (batch, 784), f"Dense 784->{DENSE_OUT}, x ({batch}, 784)"),
        LayerCase("conv2d", (batch, 32, 14, 14), f"Conv2D 32->{CONV_OUT} 3x3 pad 1, x ({batch}, 32, 14, 14)"),
        LayerCase("max_pool2d", (batch, 32, 28, 28), f"MaxPool2D 2x2, x ({batch}, 32, 28, 28)"),
        LayerCase("batch_norm", (batch, 32, 28, 28), f"BatchNorm (training), x ({batch}, 32, 28, 28)"),
    ]
