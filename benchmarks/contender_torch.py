"""PyTorch's CPU build, written the way its tutorials train: ``nn.Sequential``, ``optim.SGD``, a shuffled loop."""

from __future__ import annotations

import os
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
    LEARNING_RATE,
    LSTM_FEATURES,
    LSTM_HIDDEN,
    MOMENTUM,
    SEED,
    TRANSFORMER_DROPOUT,
    VOCABULARY,
    WIDTH,
    LayerCase,
)

Array = np.ndarray[Any, Any]
REQUIRED = "2.13.0"


def unavailable(kind: str) -> str | None:
    try:
        import torch
    except ImportError:
        return f"PyTorch is not installed (pip install torch=={REQUIRED}, CPU build)"
    if not torch.__version__.startswith(REQUIRED):
        return f"PyTorch {torch.__version__} is installed; the suite compares with {REQUIRED}"
    return None


def _torch() -> Any:
    import torch

    threads = int(os.environ.get("BENCH_THREADS", "0"))
    if threads and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return torch


def _zoo(kind: str) -> Any:
    """The CNN zoo, layer for layer as contender_nnfs builds them."""
    nn = _torch().nn

    class Residual(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self, c_in: int, out: int) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(c_in, out, 3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(),
                                      nn.Conv2d(out, out, 3, padding=1, bias=False), nn.BatchNorm2d(out))
            self.projection = (nn.Sequential(nn.Conv2d(c_in, out, 1, bias=False), nn.BatchNorm2d(out))
                               if c_in != out else None)

        def forward(self, x: Any) -> Any:
            return self.body(x) + (x if self.projection is None else self.projection(x))

    def separable(c_in: int, out: int) -> list[Any]:
        return [nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False), nn.BatchNorm2d(c_in), nn.ReLU(),
                nn.Conv2d(c_in, out, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU()]

    if kind == "lenet":
        return nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 5),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 120), nn.ReLU(),
                             nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    if kind == "resnet":
        return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                             Residual(16, 16), nn.ReLU(), nn.MaxPool2d(2), Residual(16, 32), nn.ReLU(),
                             nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                         *separable(32, 64), nn.MaxPool2d(2), *separable(64, 128), nn.MaxPool2d(2),
                         *separable(128, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


def _sequence_model(kind: str) -> Any:
    """The sequence models, as contender_nnfs builds them; children named "0", "1", ... as nnfs's layers."""
    nn = _torch().nn

    class LSTMLastStep(nn.LSTM):  # type: ignore[misc, name-defined]
        def forward(self, x: Any) -> Any:  # type: ignore[override]
            return super().forward(x)[0][:, -1]

    class MeanOverSteps(nn.Module):  # type: ignore[misc, name-defined]
        def forward(self, x: Any) -> Any:
            return x.mean(dim=1)

    if kind == "lstm":
        return nn.Sequential(LSTMLastStep(LSTM_FEATURES, LSTM_HIDDEN, batch_first=True), nn.Linear(LSTM_HIDDEN, 10))
    layers = [nn.TransformerEncoderLayer(WIDTH, HEADS, FEEDFORWARD, TRANSFORMER_DROPOUT, batch_first=True)
              for _ in range(ENCODER_LAYERS)]
    return nn.Sequential(nn.Embedding(VOCABULARY, WIDTH), *layers, MeanOverSteps(), nn.Linear(WIDTH, 10))


def build(kind: str) -> Any:
    torch = _torch()
    nn = torch.nn
    torch.manual_seed(SEED)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    elif kind == "cnn":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
        )
    elif kind in ("lstm", "transformer"):
        model = _sequence_model(kind)
    else:
        model = _zoo(kind)
    if kind == "lenet":
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    return model, optimizer, torch.Generator().manual_seed(SEED)


def train(model: Any, x: Array, y: Array, epochs: int, batch_size: int = BATCH_SIZE) -> float:
    torch = _torch()
    network, optimizer, generator = model
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    network.train()
    mean_loss = float("nan")
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total_loss, correct = 0.0, 0
        for start in range(0, len(x), batch_size):
            rows = order[start : start + batch_size]
            xb, yb = inputs[rows], targets[rows]
            optimizer.zero_grad()
            output = network(xb)
            loss = torch.nn.functional.cross_entropy(output, yb)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(rows)
            correct += int((output.argmax(dim=1) == yb).sum())
        mean_loss = total_loss / len(x)
    return mean_loss


def predict(model: Any, x: Array) -> Array:
    torch = _torch()
    network = model[0]
    network.eval()
    inputs = torch.from_numpy(x)
    with torch.inference_mode():
        out = torch.empty((len(x), 10))
        for start in range(0, len(x), BATCH_SIZE):
            out[start : start + BATCH_SIZE] = network(inputs[start : start + BATCH_SIZE])
    return out.numpy()


def layer_step(case: LayerCase) -> Callable[[], Any]:
    torch = _torch()
    nn = torch.nn
    torch.manual_seed(SEED)
    channels = case.input_shape[1]
    layer = {
        "dense": lambda: nn.Linear(784, DENSE_OUT),
        "conv2d": lambda: nn.Conv2d(channels, CONV_OUT, 3, padding=1),
        "max_pool2d": lambda: nn.MaxPool2d(2),
        "batch_norm": lambda: nn.BatchNorm2d(channels),
    }[case.name]()
    layer.train()
    x = torch.randn(case.input_shape, requires_grad=True)
    grad = torch.randn_like(layer(x))

    def step() -> Any:
        x.grad = None
        layer.zero_grad()
        layer(x).backward(grad)
        return x.grad

    return step


def matmul_gflops(size: int = 2048, runs: int = 5) -> float:
    """PyTorch's own sgemm rate (its BLAS is not NumPy's), best of ``runs``."""
    import time

    torch = _torch()
    a, b = torch.rand(size, size), torch.rand(size, size)
    out = torch.empty(size, size)
    torch.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        torch.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best / 1e9


def build_info() -> str:
    """PyTorch's BLAS and CPU kernels, from its build configuration (threadpoolctl does not see MKL in it)."""
    import re

    shown = _torch().__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", shown)
    capability = re.search(r"CPU capability usage: (\w+)", shown)
    mkl = re.search(r"Math Kernel Library Version ([\w.]+)", shown)
    onednn = re.search(r"MKL-DNN (v[\w.]+)", shown)
    return ", ".join(filter(None, [
        f"BLAS {blas.group(1)}" if blas else None, f"MKL {mkl.group(1)}" if mkl else None,
        f"oneDNN {onednn.group(1)}" if onednn else None, f"CPU kernels {capability.group(1)}" if capability else None,
    ]))
