"""Ops: the one place that knows how to compute fast; every component asks its ``ops`` for the heavy work.

The methods here are the reference implementation: plain, single-threaded NumPy that reads like the maths,
using only functions CuPy also provides (so that a CuPy backend can be a pack with no change to any
component). Faster backends subclass ``Ops`` and override what they speed up; the results must agree
with these to rounding (``tests/test_ops.py`` runs every registered layer, loss and optimizer on every
installed backend and compares them in float64).

Ownership rule: every array an op returns is new and belongs to the caller (or is the ``out`` the caller
passed). A backend may reuse memory for temporaries *inside* one call, never across calls, so what a
layer keeps from forward for backward (its cache) cannot be overwritten by another call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np

Array = np.ndarray[Any, Any]

__all__ = ["Ops"]


class Ops:
    """Compute backend: array module, products, kernels and normalisation reductions.

    A Network owns one (``Network(ops="numpy")``, ``NNFS_OPS=...``, an ``ops`` key in TOML configs) and
    hands it to each of its layers as ``layer.ops`` before ``build``. Backends are registered under the
    component kind ``ops`` (entry-point group ``nnfs.ops``); ``nnfs plugins --kind ops`` lists them.
    """

    #: The registry name of the backend.
    name: ClassVar[str] = "numpy"
    #: The array module the backend's arrays come from.
    xp: ClassVar[Any] = np

    def get_config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # -- running a network ------------------------------------------------------------------------------
    @contextmanager
    def running(self, layers: Iterable[Any]) -> Iterator[None]:
        """Context around one fit/predict/evaluate of a network made of ``layers`` (nothing to do here)."""
        yield

    # -- memory ------------------------------------------------------------------------------------------
    def empty(self, shape: tuple[int, ...], dtype: Any) -> Array:
        return self.xp.empty(shape, dtype=dtype)

    def zeros(self, shape: tuple[int, ...], dtype: Any) -> Array:
        return self.xp.zeros(shape, dtype=dtype)

    def asarray(self, a: Any, dtype: Any = None) -> Array:
        return self.xp.asarray(a, dtype=dtype)

    # -- products ----------------------------------------------------------------------------------------
    def matmul(self, a: Array, b: Array, *, out: Array | None = None) -> Array:
        """``a @ b`` for 2-D operands or stacks of them (as ``np.matmul``)."""
        return self.xp.matmul(a, b, out=out)

    def affine(self, x: Array, weight: Array, bias: Array | None = None) -> Array:
        """``x @ weight.T + bias`` over the last axis: x (..., in), weight (out, in), bias (out,)."""
        y = self.matmul(x, weight.T)
        if bias is not None:
            y += bias
        return y

    def affine_backward(self, grad: Array, x: Array, weight: Array, grad_weight: Array,
                        grad_bias: Array | None = None, *, input_grad: bool = True) -> Array | None:
        """Gradients of ``affine``: writes ``grad_weight`` (= g^T x) and ``grad_bias`` (= sum of g over rows),
        returns d loss / d x (= g @ weight), or None when ``input_grad`` is False."""
        grad_2d = grad.reshape(-1, grad.shape[-1])
        self.matmul(grad_2d.T, x.reshape(-1, x.shape[-1]), out=grad_weight)
        if grad_bias is not None:
            grad_2d.sum(axis=0, out=grad_bias)
        return self.matmul(grad, weight) if input_grad else None

    # -- elementwise kernels -----------------------------------------------------------------------------
    def relu(self, x: Array) -> Array:
        """max(x, 0)."""
        return self.xp.maximum(x, 0)

    def relu_backward(self, grad: Array, y: Array) -> Array:
        """d loss / d x of y = relu(x): grad where y > 0 (exactly where x > 0), else 0."""
        return grad * (y > 0)

    # -- activation kernels (nnfs-activations; sigmoid and tanh are the gates of recurrent layers) ------
    def sigmoid(self, x: Array) -> Array:
        """1 / (1 + exp(-x)) without overflow: 1 / (1 + e) for x >= 0 and e / (1 + e) below, e = exp(-|x|).

        e lies in (0, 1] for every finite x, so nothing overflows and the left tail is not rounded to 0.
        """
        with np.errstate(under="ignore"):  # exp(-|x|) underflows to 0 for |x| > ~100 in float32: exact enough
            e = self.xp.exp(-self.xp.abs(x))
        return self.xp.where(x >= 0, 1.0, e) / (1.0 + e)

    def sigmoid_backward(self, grad: Array, y: Array) -> Array:
        """d loss / d x of y = sigmoid(x): grad * y (1 - y)."""
        return grad * (y * (1.0 - y))

    def tanh(self, x: Array) -> Array:
        """tanh(x)."""
        return self.xp.tanh(x)

    def tanh_backward(self, grad: Array, y: Array) -> Array:
        """d loss / d x of y = tanh(x): grad * (1 - y^2)."""
        return grad * (1.0 - y * y)

    # -- end of the activation kernels --------------------------------------------------------------------

    # -- normalisation -----------------------------------------------------------------------------------
    def batch_norm(self, x: Array, weight: Array | None, bias: Array | None, running_mean: Array,
                   running_var: Array, *, momentum: float, eps: float, training: bool) -> tuple[Array, Array, Array]:
        """Batch normalisation over axis 1 (channels); returns ``(y, x_hat, inv_std)``.

        Training normalises with the batch's mean and biased variance and moves the running statistics in
        place: running = (1 - momentum) running + momentum batch (the variance unbiased), as PyTorch.
        Inference normalises with the running statistics. y = x_hat * weight + bias when weight is given.
        """
        axes = (0, *range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        if training:
            count = x.size // x.shape[1]
            mean = x.mean(axis=axes)
            centred = x - mean.reshape(shape)
            var = (centred * centred).mean(axis=axes)
            running_mean *= 1.0 - momentum
            running_mean += momentum * mean
            running_var *= 1.0 - momentum
            running_var += momentum * var * (count / (count - 1))
        else:
            centred = x - running_mean.reshape(shape)
            var = running_var
        inv_std = (1.0 / self.xp.sqrt(var + eps)).astype(x.dtype)
        x_hat = centred * inv_std.reshape(shape)
        y = x_hat if weight is None else x_hat * weight.reshape(shape) + bias.reshape(shape)  # type: ignore[union-attr]
        return y, x_hat, inv_std

    def batch_norm_backward(self, grad: Array, x_hat: Array, inv_std: Array, weight: Array | None, *,
                            training: bool) -> tuple[Array, Array, Array]:
        """Gradients of ``batch_norm``: ``(d x, d weight, d bias)``.

        dx = w inv_std (g - mean(g) - x_hat mean(g x_hat)) with batch statistics (means per channel),
        dx = w inv_std g with the running ones, which are constants.
        """
        axes = (0, *range(2, grad.ndim))
        shape = (1, grad.shape[1]) + (1,) * (grad.ndim - 2)
        sum_grad = grad.sum(axis=axes)
        sum_grad_x_hat = (grad * x_hat).sum(axis=axes)
        scale = inv_std if weight is None else inv_std * weight
        input_grad = grad * scale.reshape(shape)
        if training:
            count = grad.size // grad.shape[1]
            input_grad -= x_hat * (scale * sum_grad_x_hat / count).reshape(shape)
            input_grad -= (scale * sum_grad / count).reshape(shape)
        return input_grad, sum_grad_x_hat, sum_grad
