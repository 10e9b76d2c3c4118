"""A whole model with the CPU backend's ReLU against a row of zeros and with the plain scalar maximum,
alternating 10 times in one process: ``python relu_ab.py KIND MODE`` (KIND resnet, lenet or mobilenet;
MODE predict or train), with PYTHONPATH at a checkout and its plugins, run from the repository's root.
"""

import statistics
import sys
import time

import numpy as np

from benchmarks import contender_nnfs, workloads
from nnfs_core.ops import cpu_ops

ROWS = cpu_ops._max_zero


def plain(x, out):
    np.maximum(x, 0, out=out)


def main(kind, mode):
    net = contender_nnfs.build(kind).build()
    x, y = workloads.model_data(kind, 1024)
    x = x.astype(net.dtype)

    def run():
        if mode == "predict":
            net.predict(x, batch_size=128)
        else:
            net.fit(x, y, epochs=1, batch_size=128, verbose=0)

    run()
    seconds = {"rows": [], "plain": []}
    for round_ in range(10):
        arms = (("rows", ROWS), ("plain", plain))
        for name, kernel in arms if round_ % 2 else arms[::-1]:
            cpu_ops._max_zero = kernel
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    ratios = [p / r for p, r in zip(seconds["plain"], seconds["rows"])]
    print(kind, mode, "rows", round(statistics.median(seconds["rows"]), 3), "plain",
          round(statistics.median(seconds["plain"]), 3), "speed-up", round(statistics.median(ratios), 3),
          round(min(ratios), 2), round(max(ratios), 2))


if __name__ == "__main__":
    main(*sys.argv[1:3])
