"""Conv2D forward + backward on a (128, 64, 32, 32) float32 batch, 3x3 kernel, padding 1: memory and time.

Memory is traced with ``tracemalloc`` (NumPy reports its array allocations to it): the peak of the first
step (which allocates the reused buffers) and of a later step, against the size of the one column buffer
(C kh kw x N OH OW float32). Times are medians over ``--repeat`` steps, with PyTorch's CPU build for
comparison when it is installed.

    python plugins/nnfs-conv/benchmarks/bench_conv_memory.py --threads 2
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import tracemalloc

import numpy as np
from nnfs_conv import Conv2D

MB = 2**20


def step(layer: Conv2D, x: np.ndarray, grad: np.ndarray) -> None:
    layer.forward(x, training=True)
    layer.backward(grad)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    limits = contextlib.nullcontext()
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(args.threads)
    batch, channels, size, out_channels, kernel = 128, 64, 32, 64, 3
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, channels, size, size), dtype=np.float32)
    grad = rng.standard_normal((batch, out_channels, size, size), dtype=np.float32)
    layer = Conv2D(out_channels, kernel, padding=1)
    layer.build((channels, size, size), rng=rng, dtype=np.float32)
    columns = channels * kernel * kernel * batch * size * size * 4
    with limits:
        tracemalloc.start()
        step(layer, x, grad)
        first = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        step(layer, x, grad)
        steady = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"column buffer (C kh kw x N OH OW float32): {columns / MB:.1f} MiB; input {x.nbytes / MB:.1f} MiB, "
              f"output {grad.nbytes / MB:.1f} MiB")
        print(f"tracemalloc peak, first step (allocates the reused buffers): {first / MB:.1f} MiB "
              f"= {first / columns:.2f} x the column buffer")
        print(f"tracemalloc peak, later step: {steady / MB:.1f} MiB (the backend's scratch, all threads: "
              f"{layer.ops.scratch_nbytes() / MB:.1f} MiB)")
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            step(layer, x, grad)
            times.append(time.perf_counter() - start)
        print(f"nnfs  forward+backward: median {statistics.median(times) * 1e3:.1f} ms (min {min(times) * 1e3:.1f})")
        try:
            import torch
        except ImportError:
            return
        torch.set_num_threads(args.threads)
        conv = torch.nn.Conv2d(channels, out_channels, kernel, padding=1)
        x_torch, grad_torch = torch.from_numpy(x).requires_grad_(), torch.from_numpy(grad)
        times = []
        for _ in range(args.repeat + 2):
            start = time.perf_counter()
            conv(x_torch).backward(grad_torch)
            times.append(time.perf_counter() - start)
        times = times[2:]
        print(f"torch forward+backward: median {statistics.median(times) * 1e3:.1f} ms (min {min(times) * 1e3:.1f}), "
              f"{torch.get_num_threads()} threads")


if __name__ == "__main__":
    main()
