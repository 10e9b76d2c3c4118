"""The benchmark networks written by hand in plain NumPy: the floor of what NumPy can do.

Plain functions over preallocated float32 buffers (the blocks are in :mod:`benchmarks.numpy_ops`): no
framework, no checks, no hooks, softmax and cross-entropy fused, PyTorch's layouts, initialisation and
``SGD(momentum=0.9)`` rule. Each epoch shuffles and gathers its batches into one reused buffer, and every
step reports its loss and accuracy, as the other contenders do. The gap between nnfs and these functions
is the framework's own overhead.

MLP:  x (N, 784) -> Dense 256 -> ReLU -> Dense 128 -> ReLU -> Dense 10 -> logits
CNN:  x (N, 1, 28, 28) -> Conv 32 (3x3, pad 1) -> ReLU -> MaxPool 2 -> Conv 64 (3x3, pad 1) -> ReLU
      -> MaxPool 2 -> Flatten (3136) -> Dense 128 -> ReLU -> Dense 10 -> logits
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import numpy_ops as ops

Array = np.ndarray[Any, Any]
Net = dict[str, Any]


def _optimizer_state(net: Net, batch_size: int) -> None:
    net["grads"] = [np.zeros_like(p) for p in net["params"]]
    net["momentum"] = [np.zeros_like(p) for p in net["params"]]
    net["work"] = [np.empty_like(p) for p in net["params"]]
    net["batch_size"] = batch_size


def _buffers(batch_size: int, *shapes: tuple[int, ...], dtype: Any = np.float32) -> list[Array]:
    return [np.empty((batch_size, *shape), dtype) for shape in shapes]


# -- MLP --------------------------------------------------------------------------------------------------
def mlp(rng: np.random.Generator, batch_size: int, sizes: tuple[int, ...] = (784, 256, 128, 10)) -> Net:
    """Parameters [W1, b1, W2, b2, W3, b3] and every buffer a step needs."""
    params: list[Array] = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params += ops.init_dense(rng, fan_in, fan_out)
    net: Net = {"kind": "mlp", "params": params, "sizes": sizes}
    _optimizer_state(net, batch_size)
    outs = [(size,) for size in sizes[1:]]
    net["z"] = _buffers(batch_size, *outs)           # each layer's output (ReLU applied in place)
    net["grad_x"] = _buffers(batch_size, *outs[:-1])  # d loss / d (output of layer i), i < last
    net["logit_grad"] = np.empty((batch_size, sizes[-1]), np.float32)
    net["mask"] = _buffers(batch_size, *outs[:-1], dtype=bool)
    return net


def mlp_forward(net: Net, x: Array) -> list[Array]:
    """Activations [x, a1, a2, logits] of one batch."""
    m, params = len(x), net["params"]
    activations = [x]
    layers = len(params) // 2
    for i in range(layers):
        z = ops.dense_forward(activations[-1], params[2 * i], params[2 * i + 1], net["z"][i][:m])
        activations.append(ops.relu_forward(z) if i < layers - 1 else z)
    return activations


def mlp_step(net: Net, x: Array, y: Array, learning_rate: float, momentum: float) -> tuple[float, int]:
    m, params, grads = len(x), net["params"], net["grads"]
    activations = mlp_forward(net, x)
    loss, correct = ops.softmax_cross_entropy(activations[-1], y, net["logit_grad"][:m])
    grad = net["logit_grad"][:m]
    for i in reversed(range(len(params) // 2)):
        if i < len(params) // 2 - 1:
            ops.relu_backward(grad, activations[i + 1], net["mask"][i][:m])
        grad_x = net["grad_x"][i - 1][:m] if i > 0 else None
        grad = ops.dense_backward(grad, activations[i], params[2 * i], grads[2 * i], grads[2 * i + 1], grad_x)
    ops.sgd_momentum(params, grads, net["momentum"], net["work"], learning_rate, momentum)
    return loss, correct


# -- CNN --------------------------------------------------------------------------------------------------
def cnn(rng: np.random.Generator, batch_size: int) -> Net:
    """Parameters [conv1 W, b, conv2 W, b, dense1 W, b, dense2 W, b] and every buffer a step needs."""
    params = [*ops.init_conv(rng, 1, 32, 3), *ops.init_conv(rng, 32, 64, 3),
              *ops.init_dense(rng, 64 * 7 * 7, 128), *ops.init_dense(rng, 128, 10)]
    net: Net = {"kind": "cnn", "params": params}
    _optimizer_state(net, batch_size)
    net["ws1"] = ops.conv_workspace(batch_size, 1, 28, 28, 32, 3, 1)
    net["ws2"] = ops.conv_workspace(batch_size, 32, 14, 14, 64, 3, 1)
    net["pool1"], net["pool2"], net["d1"], net["d2"] = _buffers(batch_size, (32, 14, 14), (64, 7, 7), (128,), (10,))
    net["grad_c1"], net["grad_c2"], net["grad_f"], net["grad_d1"], net["logit_grad"] = _buffers(
        batch_size, (32, 28, 28), (64, 14, 14), (3136,), (128,), (10,))
    net["mask1"], net["mask2"], net["mask3"] = _buffers(batch_size, (32, 28, 28), (64, 14, 14), (128,), dtype=bool)
    return net


def cnn_forward(net: Net, x: Array) -> dict[str, Array]:
    m, p = len(x), net["params"]
    c1 = ops.relu_forward(ops.conv_forward(x, p[0], p[1], 1, net["ws1"]))
    p1 = ops.maxpool_forward(c1, net["pool1"][:m])
    c2 = ops.relu_forward(ops.conv_forward(p1, p[2], p[3], 1, net["ws2"]))
    p2 = ops.maxpool_forward(c2, net["pool2"][:m])
    flat = p2.reshape(m, -1)
    d1 = ops.relu_forward(ops.dense_forward(flat, p[4], p[5], net["d1"][:m]))
    logits = ops.dense_forward(d1, p[6], p[7], net["d2"][:m])
    return {"c1": c1, "p1": p1, "c2": c2, "p2": p2, "flat": flat, "d1": d1, "logits": logits}


def cnn_step(net: Net, x: Array, y: Array, learning_rate: float, momentum: float) -> tuple[float, int]:
    m, p, g = len(x), net["params"], net["grads"]
    a = cnn_forward(net, x)
    grad = net["logit_grad"][:m]
    loss, correct = ops.softmax_cross_entropy(a["logits"], y, grad)
    grad = ops.dense_backward(grad, a["d1"], p[6], g[6], g[7], net["grad_d1"][:m])
    ops.relu_backward(grad, a["d1"], net["mask3"][:m])
    grad = ops.dense_backward(grad, a["flat"], p[4], g[4], g[5], net["grad_f"][:m])
    grad = ops.maxpool_backward(grad.reshape(a["p2"].shape), a["c2"], a["p2"], net["grad_c2"][:m])
    ops.relu_backward(grad, a["c2"], net["mask2"][:m])
    grad = ops.conv_backward(grad, p[2], 1, net["ws2"], g[2], g[3], want_input_grad=True)
    grad = ops.maxpool_backward(grad, a["c1"], a["p1"], net["grad_c1"][:m])
    ops.relu_backward(grad, a["c1"], net["mask1"][:m])
    ops.conv_backward(grad, p[0], 1, net["ws1"], g[0], g[1], want_input_grad=False)
    ops.sgd_momentum(p, g, net["momentum"], net["work"], learning_rate, momentum)
    return loss, correct


# -- the loops every contender runs ------------------------------------------------------------------------
def train_epoch(net: Net, x: Array, y: Array, rng: np.random.Generator, *, learning_rate: float = 0.01,
                momentum: float = 0.9) -> tuple[float, float]:
    """One shuffled epoch in batches of ``net["batch_size"]``; returns the mean loss and accuracy."""
    step: Callable[..., tuple[float, int]] = mlp_step if net["kind"] == "mlp" else cnn_step
    batch_size = net["batch_size"]
    gathered = np.empty((batch_size, *x.shape[1:]), np.float32)
    order = rng.permutation(len(x))
    total_loss, total_correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        rows = order[start : start + batch_size]
        xb = np.take(x, rows, axis=0, out=gathered[: len(rows)])
        loss, correct = step(net, xb, y[rows], learning_rate, momentum)
        total_loss += loss * len(rows)
        total_correct += correct
    return total_loss / len(x), total_correct / len(x)


def predict(net: Net, x: Array) -> Array:
    """Logits for every sample, in batches of ``net["batch_size"]``."""
    forward = mlp_forward if net["kind"] == "mlp" else cnn_forward
    batch_size = net["batch_size"]
    out = np.empty((len(x), 10), np.float32)
    for start in range(0, len(x), batch_size):
        result = forward(net, x[start : start + batch_size])
        out[start : start + batch_size] = result[-1] if isinstance(result, list) else result["logits"]
    return out
