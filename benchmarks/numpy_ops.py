"""The building blocks of the hand-written NumPy reference (:mod:`benchmarks.numpy_reference`).

No framework, no checks, no hooks: plain functions over preallocated float32 buffers, ``out=`` everywhere,
softmax and cross-entropy fused, the weight layouts and update rules of PyTorch (``nn.Linear``,
``nn.Conv2d``, ``torch.optim.SGD`` with momentum). The gap between nnfs and these functions is the
framework's own overhead.

Shapes: dense data (N, features); images (N, C, H, W); Dense weight (out, in); Conv weight (out, in, k, k).
"""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]
Params = dict[str, Array]


# -- initialisation (PyTorch's defaults: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias) -----------
def init_dense(rng: np.random.Generator, fan_in: int, fan_out: int) -> tuple[Array, Array]:
    bound = 1.0 / np.sqrt(fan_in)
    weight = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
    return weight, rng.uniform(-bound, bound, fan_out).astype(np.float32)


def init_conv(rng: np.random.Generator, in_channels: int, out_channels: int, kernel: int) -> tuple[Array, Array]:
    fan_in = in_channels * kernel * kernel
    bound = 1.0 / np.sqrt(fan_in)
    weight = rng.uniform(-bound, bound, (out_channels, in_channels, kernel, kernel)).astype(np.float32)
    return weight, rng.uniform(-bound, bound, out_channels).astype(np.float32)


# -- dense and ReLU ---------------------------------------------------------------------------------------
def dense_forward(x: Array, weight: Array, bias: Array, out: Array) -> Array:
    """out = x @ W.T + b, written into ``out`` (N, out)."""
    np.matmul(x, weight.T, out=out)
    out += bias
    return out


def dense_backward(grad: Array, x: Array, weight: Array, grad_weight: Array, grad_bias: Array,
                   grad_x: Array | None) -> Array | None:
    """Fills dW = g.T @ x and db = sum g; returns dx = g @ W into ``grad_x`` (skipped when None)."""
    np.matmul(grad.T, x, out=grad_weight)
    np.sum(grad, axis=0, out=grad_bias)
    if grad_x is None:
        return None
    return np.matmul(grad, weight, out=grad_x)


def relu_forward(x: Array) -> Array:
    """In place: the output is also what the backward pass masks with."""
    return np.maximum(x, 0, out=x)


def relu_backward(grad: Array, output: Array, mask: Array) -> Array:
    """grad * (output > 0) in place, with ``mask`` a reused bool buffer."""
    np.greater(output, 0, out=mask)
    return np.multiply(grad, mask, out=grad)


# -- loss and optimizer ---------------------------------------------------------------------------------
def softmax_cross_entropy(logits: Array, labels: Array, grad: Array) -> tuple[float, int]:
    """Mean cross-entropy of integer labels and its gradient (softmax - onehot) / N written into ``grad``.

    Returns the loss and the number of correct predictions (the accuracy every contender reports).
    """
    n = len(logits)
    rows = np.arange(n)
    correct = int(np.count_nonzero(logits.argmax(axis=1) == labels))
    np.subtract(logits, logits.max(axis=1, keepdims=True), out=grad)
    picked = grad[rows, labels]
    np.exp(grad, out=grad)
    total = grad.sum(axis=1, keepdims=True)
    loss = float(np.log(total).sum() - picked.sum()) / n
    grad /= total
    grad[rows, labels] -= 1.0
    grad *= np.float32(1.0 / n)
    return loss, correct


def sgd_momentum(params: list[Array], grads: list[Array], buffers: list[Array], work: list[Array],
                 learning_rate: float, momentum: float) -> None:
    """torch.optim.SGD: b = momentum * b + g (b = g on the first step), p -= lr * b. In place."""
    lr, mu = np.float32(learning_rate), np.float32(momentum)
    for param, grad, buffer, tmp in zip(params, grads, buffers, work):
        buffer *= mu
        buffer += grad
        np.multiply(buffer, lr, out=tmp)
        param -= tmp


# -- convolution (im2col: one large GEMM per pass) -------------------------------------------------------
def _windows(x_padded: Array, kernel: int, height: int, width: int) -> Array:
    """View (N, H, W, C, k, k) of every k x k window of the padded input (stride 1)."""
    n, c, _, _ = x_padded.shape
    sn, sc, sh, sw = x_padded.strides
    return np.lib.stride_tricks.as_strided(
        x_padded, (n, height, width, c, kernel, kernel), (sn, sh, sw, sc, sh, sw), writeable=False
    )


def conv_forward(x: Array, weight: Array, bias: Array, padding: int, ws: dict[str, Array]) -> Array:
    """Stride-1 convolution: y (N, O, H, W) from x (N, C, H, W); ``ws`` keeps the columns for backward."""
    n, c, h, w = x.shape
    out_channels, _, k, _ = weight.shape
    padded = ws["padded"][:n]  # the border stays zero: only the interior is ever written
    padded[:, :, padding : padding + h, padding : padding + w] = x
    cols = ws["cols"][: n * h * w]
    np.copyto(cols.reshape(n, h, w, c, k, k), _windows(padded, k, h, w))
    out = ws["out"][: n * h * w]  # (N*H*W, O)
    np.matmul(cols, weight.reshape(out_channels, -1).T, out=out)
    out += bias
    return out.reshape(n, h, w, out_channels).transpose(0, 3, 1, 2)


def conv_backward(grad: Array, weight: Array, padding: int, ws: dict[str, Array], grad_weight: Array,
                  grad_bias: Array, want_input_grad: bool) -> Array | None:
    """dW = g_cols.T @ cols, db = sum g, and dx by scattering the column gradients back (col2im)."""
    n, out_channels, h, w = grad.shape
    k = weight.shape[-1]
    grad_rows = ws["grad_rows"][: n * h * w]  # (N*H*W, O)
    np.copyto(grad_rows.reshape(n, h, w, out_channels), grad.transpose(0, 2, 3, 1))
    cols = ws["cols"][: n * h * w]
    np.matmul(grad_rows.T, cols, out=grad_weight.reshape(out_channels, -1))
    np.sum(grad_rows, axis=0, out=grad_bias)
    if not want_input_grad:
        return None
    grad_cols = np.matmul(grad_rows, weight.reshape(out_channels, -1), out=cols)
    grad_cols = grad_cols.reshape(n, h, w, -1, k, k)
    grad_padded = ws["grad_padded"][:n]
    grad_padded.fill(0)
    for i in range(k):  # k * k shifted adds, not a loop over pixels
        for j in range(k):
            grad_padded[:, :, i : i + h, j : j + w] += grad_cols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return grad_padded[:, :, padding : padding + h, padding : padding + w]


def conv_workspace(n: int, c: int, h: int, w: int, out_channels: int, kernel: int, padding: int) -> dict[str, Array]:
    return {
        "padded": np.zeros((n, c, h + 2 * padding, w + 2 * padding), np.float32),
        "grad_padded": np.empty((n, c, h + 2 * padding, w + 2 * padding), np.float32),
        "cols": np.empty((n * h * w, c * kernel * kernel), np.float32),
        "out": np.empty((n * h * w, out_channels), np.float32),
        "grad_rows": np.empty((n * h * w, out_channels), np.float32),
    }


# -- 2x2 max pooling and batch normalisation ---------------------------------------------------------------
def _quarters(x: Array) -> list[Array]:
    return [x[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]


def maxpool_forward(x: Array, out: Array) -> Array:
    """2 x 2 max pooling with stride 2 (even H and W): the maximum of the four strided quarters."""
    first, *rest = _quarters(x)
    np.copyto(out, first)
    for quarter in rest:
        np.maximum(out, quarter, out=out)
    return out


def maxpool_backward(grad: Array, x: Array, out: Array, grad_x: Array) -> Array:
    """The gradient goes to the first maximum of each window (PyTorch's rule)."""
    taken = np.zeros(out.shape, bool)
    for quarter, grad_quarter in zip(_quarters(x), _quarters(grad_x)):
        hit = quarter == out
        hit &= ~taken
        taken |= hit
        np.multiply(grad, hit, out=grad_quarter)
    return grad_x


def batchnorm_forward(x: Array, weight: Array, bias: Array, eps: float = 1e-5) -> tuple[Array, Array, Array]:
    """Training-mode batch norm over (N, H, W) per channel; returns y, x_hat and 1/std."""
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    x_hat = x - mean
    var = np.mean(np.square(x_hat), axis=(0, 2, 3), keepdims=True)
    inv_std = 1.0 / np.sqrt(var + np.float32(eps))
    x_hat *= inv_std
    y = x_hat * weight.reshape(1, -1, 1, 1)
    y += bias.reshape(1, -1, 1, 1)
    return y, x_hat, inv_std


def batchnorm_backward(grad: Array, x_hat: Array, inv_std: Array, weight: Array) -> tuple[Array, Array, Array]:
    """dx = w / std * (g - mean(g) - x_hat * mean(g * x_hat)) per channel; returns dx, dw, db."""
    grad_bias = grad.sum(axis=(0, 2, 3))
    grad_weight = np.einsum("nchw,nchw->c", grad, x_hat)
    count = grad.size // grad.shape[1]
    scale = (weight / count).reshape(1, -1, 1, 1) * inv_std
    grad_x = grad * np.float32(count)
    grad_x -= grad_bias.reshape(1, -1, 1, 1)
    grad_x -= x_hat * grad_weight.reshape(1, -1, 1, 1)
    grad_x *= scale
    return grad_x, grad_weight, grad_bias
