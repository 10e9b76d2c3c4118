"""The hand-written NumPy reference (:mod:`benchmarks.numpy_reference`) behind the contenders' interface."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import numpy_ops as ops
from benchmarks import numpy_reference as reference
from benchmarks.workloads import BATCH_SIZE, CONV_OUT, DENSE_OUT, LEARNING_RATE, MOMENTUM, SEED, LayerCase

Array = np.ndarray[Any, Any]


def unavailable(kind: str) -> str | None:
    if kind not in ("mlp", "cnn", "dense", "conv2d", "max_pool2d", "batch_norm"):
        return "the hand-written NumPy reference has the MLP and the benchmark CNN only"
    return None


def build(kind: str) -> Any:
    rng = np.random.default_rng(SEED)
    net = reference.mlp(rng, BATCH_SIZE) if kind == "mlp" else reference.cnn(rng, BATCH_SIZE)
    return net, rng


def train(model: Any, x: Array, y: Array, epochs: int, batch_size: int = BATCH_SIZE) -> float:
    """``batch_size`` is the one the network was built for (BATCH_SIZE: the reference has the MLP and CNN only)."""
    net, rng = model
    loss = float("nan")
    for _ in range(epochs):
        loss, _ = reference.train_epoch(net, x, y, rng, learning_rate=LEARNING_RATE, momentum=MOMENTUM)
    return loss


def predict(model: Any, x: Array) -> Array:
    return reference.predict(model[0], x)


def layer_step(case: LayerCase) -> Callable[[], Any]:
    """Forward (training mode) + backward of one layer with the reference's blocks, input gradient included."""
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal(case.input_shape, dtype=np.float32)
    n = case.input_shape[0]
    if case.name == "dense":
        weight, bias = ops.init_dense(rng, case.input_shape[1], DENSE_OUT)
        out, grad_x = np.empty((n, DENSE_OUT), np.float32), np.empty_like(x)
        grad_weight, grad_bias = np.empty_like(weight), np.empty_like(bias)
        grad = rng.standard_normal((n, DENSE_OUT), dtype=np.float32)
        return lambda: (ops.dense_forward(x, weight, bias, out),
                        ops.dense_backward(grad, x, weight, grad_weight, grad_bias, grad_x))
    if case.name == "conv2d":
        _, c, h, w = case.input_shape
        weight, bias = ops.init_conv(rng, c, CONV_OUT, 3)
        workspace = ops.conv_workspace(n, c, h, w, CONV_OUT, 3, 1)
        grad_weight, grad_bias = np.empty_like(weight), np.empty_like(bias)
        grad = rng.standard_normal((n, CONV_OUT, h, w), dtype=np.float32)
        return lambda: (ops.conv_forward(x, weight, bias, 1, workspace),
                        ops.conv_backward(grad, weight, 1, workspace, grad_weight, grad_bias, True))
    if case.name == "max_pool2d":
        _, c, h, w = case.input_shape
        out, grad_x = np.empty((n, c, h // 2, w // 2), np.float32), np.empty_like(x)
        grad = rng.standard_normal(out.shape, dtype=np.float32)
        return lambda: (ops.maxpool_forward(x, out), ops.maxpool_backward(grad, x, out, grad_x))
    channels = case.input_shape[1]
    weight, bias = np.ones(channels, np.float32), np.zeros(channels, np.float32)
    grad = rng.standard_normal(case.input_shape, dtype=np.float32)

    def batch_norm() -> Any:
        _, x_hat, inv_std = ops.batchnorm_forward(x, weight, bias)
        return ops.batchnorm_backward(grad, x_hat, inv_std, weight)

    return batch_norm


def machine_rates(size: int = 2048, copy_mib: int = 128, runs: int = 5) -> dict[str, float]:
    """NumPy's sgemm rate (a large float32 matmul) and its copy bandwidth, best of ``runs``."""
    import time

    rng = np.random.default_rng(SEED)
    a, b = rng.random((size, size), dtype=np.float32), rng.random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    source = rng.random(copy_mib * 2**18, dtype=np.float32)
    target = np.empty_like(source)

    def best(run: Callable[[], Any]) -> float:
        run()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times)

    gemm = best(lambda: np.matmul(a, b, out=out))
    copy = best(lambda: np.copyto(target, source))
    return {"sgemm_gflops": 2.0 * size**3 / gemm / 1e9, "sgemm_size": size,
            "copy_gbytes_per_s": 2.0 * source.nbytes / copy / 1e9, "copy_mib": copy_mib}
