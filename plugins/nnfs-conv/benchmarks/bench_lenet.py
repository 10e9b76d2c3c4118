"""LeNet-style forward + backward on a (128, 1, 28, 28) float32 batch: nnfs-conv vs PyTorch's CPU build.

Both sides run the same network (conv 6@5x5 pad 2, ReLU, max pool 2, conv 16@5x5, ReLU, max pool 2,
flatten, dense 120, ReLU, dense 84, ReLU, dense 10, cross-entropy) with the same weights, forward, loss
and backward to every parameter (no optimizer step; the input needs no gradient on either side). Each
timing is the median of ``--repeat`` steps after ``--warmup`` steps; thread pools are limited to
``--threads`` (torch.set_num_threads and, where installed, threadpoolctl for NumPy's BLAS).

    python plugins/nnfs-conv/benchmarks/bench_lenet.py --threads 2
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from typing import Any

import numpy as np

from nnfs_core import Network

LAYERS = [
    {"name": "conv2d", "out_channels": 6, "kernel_size": 5, "padding": 2}, "relu",
    {"name": "max_pool2d", "kernel_size": 2},
    {"name": "conv2d", "out_channels": 16, "kernel_size": 5}, "relu", {"name": "max_pool2d", "kernel_size": 2},
    "flatten", {"name": "dense", "output_size": 120}, "relu", {"name": "dense", "output_size": 84}, "relu",
    {"name": "dense", "output_size": 10},
]


def timed(steps: dict[str, Any], warmup: int, repeat: int) -> dict[str, list[float]]:
    """Run the steps in turn (interleaved, so that both see the same machine load); seconds per step."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeat):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return times


def nnfs_step(net: Network, x: np.ndarray, y: np.ndarray):
    def step() -> None:
        # What Network.fit does around its steps: the backend's policy for this network's layers (the CPU
        # backend holds the BLAS to one thread per call while layers split their batches over its threads).
        with net.ops.running(net.layers):
            out = x
            for layer in net.layers:
                out = layer.forward(out, training=True)
            net.loss.forward(out, y)
            grad = net.loss.backward(out, y)
            for layer in reversed(net.layers):
                grad = layer.backward(grad)
    return step


def torch_model(net: Network, torch):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    ours = [layer for layer in net.layers if layer.params]
    theirs = [module for module in model if list(module.parameters())]
    with torch.no_grad():
        for layer, module in zip(ours, theirs):
            module.weight.copy_(torch.from_numpy(layer.params["weight"]))
            module.bias.copy_(torch.from_numpy(layer.params["bias"]))
    return model


def torch_step(model, x, y, torch):
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> None:
        model.zero_grad(set_to_none=False)
        loss_fn(model(x), y).backward()
    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    limits = contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(args.threads)
        blas = f"threadpoolctl: BLAS limited to {args.threads} threads"
    except ImportError:
        blas = "threadpoolctl not installed: BLAS uses its default thread count"
    rng = np.random.default_rng(0)
    x = rng.random((args.batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, args.batch)
    net = Network(layers=LAYERS, loss="cross_entropy", optimizer="sgd", seed=0).build((1, 28, 28))
    steps = {"nnfs": nnfs_step(net, x, y)}
    try:
        import torch

        torch.set_num_threads(args.threads)
        steps["torch"] = torch_step(torch_model(net, torch), torch.from_numpy(x), torch.from_numpy(y), torch)
        versions = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        versions = "torch not installed: no comparison"
    with limits:
        times = timed(steps, args.warmup, args.repeat)
    print(f"{blas}; numpy {np.__version__}; {versions}")
    for name, values in times.items():
        print(f"{name:5} forward+backward, batch {args.batch}: median {statistics.median(values) * 1e3:7.2f} ms, "
              f"min {min(values) * 1e3:7.2f} ms over {len(values)} steps")
    if "torch" in times:
        median = statistics.median(times["nnfs"]) / statistics.median(times["torch"])
        best = min(times["nnfs"]) / min(times["torch"])
        print(f"ratio nnfs / torch: {median:.2f} (medians), {best:.2f} (minima)")


if __name__ == "__main__":
    main()
