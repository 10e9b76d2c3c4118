"""The CPU backend's 1x1 convolutions, forward and backward, from one checkout (A/B runs).

Usage: ``python pointwise_ab.py TREE`` prints one JSON line of median milliseconds per shape and pass (batch
128, float32, the backend's threads), importing nnfs_core from the checkout TREE; run it alternately on two
worktrees (pointwise_ab.txt holds the 2026-12-06 runs: before e11286e, after 0f462aa, AMD EPYC).
"""

import json
import statistics
import sys
import time
from functools import partial

sys.path.insert(0, sys.argv[1])

import numpy as np  # noqa: E402

from nnfs_core.ops import _conv_cpu  # noqa: E402
from nnfs_core.ops.geometry import WindowGeometry  # noqa: E402

SHAPES = {  # name: (N, C in, C out, H)
    "mobilenet 32->64 32x32": (128, 32, 64, 32),
    "mobilenet 64->128 16x16": (128, 64, 128, 16),
    "mobilenet 128->128 8x8": (128, 128, 128, 8),
    "resnet projection 16->32 16x16": (128, 16, 32, 16),
}


def median_ms(call, repeats=15, warm_up=3):
    times = []
    for _ in range(warm_up + repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times[warm_up:])


def main():
    rng = np.random.default_rng(0)
    results = {}
    for name, (batch, channels, out, size) in SHAPES.items():
        geometry = WindowGeometry.fitting((size, size), (1, 1))
        x = rng.standard_normal((batch, channels, size, size)).astype(np.float32)
        weight = rng.standard_normal((out, channels, 1, 1)).astype(np.float32)
        y, cache = _conv_cpu.conv2d(x, weight, None, geometry, 1, "zeros")
        grad = rng.standard_normal(y.shape).astype(np.float32)
        grad_weight = np.empty_like(weight)
        results[name + " forward"] = median_ms(partial(_conv_cpu.conv2d, x, weight, None, geometry, 1, "zeros"))
        results[name + " backward"] = median_ms(partial(_conv_cpu.conv2d_backward, grad, cache, weight, grad_weight,
                                                        None, geometry, 1, "zeros", True))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
