"""What the suite runs: workloads, their sizes, the synthetic data and the per-layer shapes and FLOPs.

Every contender gets the same float32 data from the same seed and trains with batch size 128, SGD with
momentum 0.9 and learning rate 0.01 on cross-entropy.
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
QUICK = Sizes(mlp_samples=512, mlp_epochs=1, cnn_samples=128, cnn_epochs=1, predict_mlp_samples=512,
              predict_cnn_samples=128, predict_passes=1, memory_samples=1_024, layer_batch=8, layer_iterations=2,
              startup_runs=2, sgemm_size=256, copy_mib=8)


def _dense_flops(sizes: tuple[int, ...]) -> list[float]:
    return [2.0 * fan_in * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]


def _matmul_flops_per_sample() -> dict[str, float]:
    """Matrix-product FLOPs per sample: forward; training adds the weight gradients and every input gradient
    but the first layer's (nobody needs d loss / d x)."""
    mlp = _dense_flops((784, 256, 128, 10))
    conv1, conv2 = 2.0 * 28 * 28 * 32 * 1 * 9, 2.0 * 14 * 14 * 64 * 32 * 9
    cnn = [conv1, conv2, *_dense_flops((64 * 7 * 7, 128, 10))]
    return {"mlp_predict": sum(mlp), "mlp_train": 3 * sum(mlp) - mlp[0],
            "cnn_predict": sum(cnn), "cnn_train": 3 * sum(cnn) - cnn[0]}


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
