"""ReLU's forward and backward on the CPU backend against rows-of-256 versions, median of 41 calls.

Run with PYTHONPATH at a checkout: ``python benchmarks/results/2026-12-06-relu-ab/relu_kernel.py``.
"""

import statistics
import time

import numpy as np

from nnfs_core import ops

CPU = ops.get("cpu")
ROW = 256
ZEROS = {np.dtype(np.float32): np.zeros(ROW, np.float32), np.dtype(np.float64): np.zeros(ROW, np.float64)}


def median_ms(task, calls=41):
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def relu_rows(x):
    y = np.empty(x.shape, x.dtype)
    flat, out = x.reshape(-1), y.reshape(-1)
    bulk = flat.size - flat.size % ROW
    np.maximum(flat[:bulk].reshape(-1, ROW), ZEROS[x.dtype], out=out[:bulk].reshape(-1, ROW))
    np.maximum(flat[bulk:], 0, out=out[bulk:])
    return y


def relu_backward_rows(grad, y):
    grad_x = np.empty(grad.shape, grad.dtype)
    flat, out = y.reshape(-1), grad_x.reshape(-1)
    bulk = flat.size - flat.size % ROW
    np.greater(flat[:bulk].reshape(-1, ROW), ZEROS[y.dtype], out=out[:bulk].reshape(-1, ROW), casting="unsafe")
    np.greater(flat[bulk:], 0, out=out[bulk:], casting="unsafe")
    out *= grad.reshape(-1)
    return grad_x


def main():
    rng = np.random.default_rng(0)
    for shape in [(128, 16, 32, 32), (128, 32, 16, 16), (128, 64, 32, 32), (128, 256), (64, 512), (128, 120)]:
        compare(rng.standard_normal(shape, dtype=np.float32), rng.standard_normal(shape, dtype=np.float32))


def compare(x, grad):
    y = CPU.relu(x)
    assert np.array_equal(relu_rows(x), y)
    assert np.array_equal(relu_backward_rows(grad, y), CPU.relu_backward(grad, y))
    forward = (median_ms(lambda: CPU.relu(x)), median_ms(lambda: relu_rows(x)))
    backward = (median_ms(lambda: CPU.relu_backward(grad, y)), median_ms(lambda: relu_backward_rows(grad, y)))
    print(x.shape, f"relu {forward[0]:.3f} -> {forward[1]:.3f}   backward {backward[0]:.3f} -> {backward[1]:.3f}")


if __name__ == "__main__":
    main()
