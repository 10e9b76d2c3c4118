"""``conv2d_backward`` of the CPU backend on the zoo's convolution shapes, from one checkout (A/B runs).

Usage: ``python conv_backward_ab.py TREE`` prints one JSON line of median milliseconds per shape (batch 128,
float32, the backend's threads), importing nnfs_core from the checkout TREE; run it alternately on two
worktrees (conv_backward_ab.txt holds the 2026-12-06 runs: base e7a56f2, new e11286e, AMD EPYC).
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

SHAPES = {  # name: (N, C in, C out, H, W, kernel, padding, groups)
    "res 16->16 3x3 32x32": (128, 16, 16, 32, 32, 3, 1, 1),
    "res 16->32 3x3 16x16": (128, 16, 32, 16, 16, 3, 1, 1),
    "res 32->32 3x3 16x16": (128, 32, 32, 16, 16, 3, 1, 1),
    "proj 16->32 1x1 16x16": (128, 16, 32, 16, 16, 1, 0, 1),
    "lenet 16->32 5x5 14x14": (128, 16, 32, 14, 14, 5, 0, 1),
    "cnn 32->64 3x3 14x14 p0": (128, 32, 64, 14, 14, 3, 0, 1),
    "mobile dw 64 3x3 32x32": (128, 64, 64, 32, 32, 3, 1, 64),
    "mobile 1x1 32->64 32x32": (128, 32, 64, 32, 32, 1, 0, 1),
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
    for name, (batch, channels, out, height, width, kernel, padding, groups) in SHAPES.items():
        geometry = WindowGeometry.fitting((height, width), (kernel, kernel), padding=(padding,) * 4)
        x = rng.standard_normal((batch, channels, height, width)).astype(np.float32)
        weight = rng.standard_normal((out, channels // groups, kernel, kernel)).astype(np.float32)
        y, cache = _conv_cpu.conv2d(x, weight, None, geometry, groups, "zeros")
        grad = rng.standard_normal(y.shape).astype(np.float32)
        grad_weight = np.empty_like(weight)
        results[name] = median_ms(partial(_conv_cpu.conv2d_backward, grad, cache, weight, grad_weight, None, geometry,
                                          groups, "zeros", True))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
