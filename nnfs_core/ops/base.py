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

from nnfs_core.ops import _windows
from nnfs_core.ops.geometry import WindowGeometry

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

    # -- convolutions (nnfs-conv): windows described by a WindowGeometry -----------------------------------
    def conv2d(self, x: Array, weight: Array, bias: Array | None, geometry: WindowGeometry, *, groups: int = 1,
               padding_mode: str = "zeros") -> tuple[Array, Any]:
        """Grouped 2-D cross-correlation; returns ``(y, cache)``, the cache being what ``conv2d_backward`` reads.

        x (N, C, H, W), weight (O, C / G, kh, kw), bias (O,) -> y (N, O, OH, OW). With G = ``groups``,
        cols = im2col(pad(x)) as (G, C / G kh kw, N OH OW): y = weight (G, O / G, C / G kh kw) @ cols + b.
        ``padding_mode`` is PyTorch's: "zeros", "reflect", "replicate" or "circular".
        """
        xp, (batch, out_channels) = self.xp, (x.shape[0], weight.shape[0])
        padded = _windows.pad(xp, x, geometry.padding, mode=padding_mode)
        cols = _windows.im2col(xp, padded, geometry).reshape(groups, -1, batch * geometry.out[0] * geometry.out[1])
        y = self.matmul(weight.reshape(groups, out_channels // groups, -1), cols)
        y = y.reshape(out_channels, batch, *geometry.out).transpose(1, 0, 2, 3)
        if bias is not None:
            y = y + bias.reshape(1, -1, 1, 1)
        return xp.ascontiguousarray(y), padded

    def conv2d_backward(self, grad: Array, cache: Any, weight: Array, grad_weight: Array, grad_bias: Array | None,
                        geometry: WindowGeometry, *, groups: int = 1, padding_mode: str = "zeros",
                        input_grad: bool = True) -> Array | None:
        """Gradients of ``conv2d`` from its cache: writes ``grad_weight`` and ``grad_bias``, returns d loss / d x.

        With g = grad as (G, O / G, N OH OW): d weight = g @ cols^T, d bias = sum of g over (N, OH, OW),
        d x = unpad(col2im(weight^T @ g)); None when ``input_grad`` is False.
        """
        xp, padded, out_channels = self.xp, cache, weight.shape[0]
        g = grad.transpose(1, 0, 2, 3).reshape(groups, out_channels // groups, -1)
        cols = _windows.im2col(xp, padded, geometry).reshape(groups, -1, g.shape[2])
        grad_weight[...] = self.matmul(g, cols.transpose(0, 2, 1)).reshape(grad_weight.shape)
        if grad_bias is not None:
            grad_bias[...] = grad.sum(axis=(0, 2, 3))
        if not input_grad:
            return None
        grad_cols = self.matmul(weight.reshape(groups, out_channels // groups, -1).transpose(0, 2, 1), g)
        grad_padded = _windows.col2im(xp, grad_cols.reshape(padded.shape[1], *geometry.kernel, grad.shape[0],
                                                             *geometry.out), geometry)
        return xp.ascontiguousarray(_windows.fold_padding(grad_padded, geometry.padding, geometry.size, padding_mode))

    def conv_transpose2d(self, x: Array, weight: Array, bias: Array | None, geometry: WindowGeometry, *,
                         groups: int = 1) -> tuple[Array, Any]:
        """The adjoint of ``conv2d`` (zero padding) in x, plus a bias; returns ``(y, cache)``.

        ``geometry`` is the convolution's that this one transposes: x (N, C, OH, OW) with (OH, OW) =
        ``geometry.out``, weight (C, O / G, kh, kw), bias (O,) -> y (N, O, H, W) with (H, W) = ``geometry.size``:
        y = crop(col2im(weight^T @ x)) + b, the padding cropped from each side.
        """
        xp, (batch, channels), out_channels = self.xp, x.shape[:2], weight.shape[1] * groups
        x3 = x.transpose(1, 0, 2, 3).reshape(groups, channels // groups, -1)
        cols = self.matmul(weight.reshape(groups, channels // groups, -1).transpose(0, 2, 1), x3)
        full = _windows.col2im(xp, cols.reshape(out_channels, *geometry.kernel, batch, *geometry.out), geometry)
        y = _windows.fold_padding(full, geometry.padding, geometry.size, "zeros")
        if bias is not None:
            y = y + bias.reshape(1, -1, 1, 1)
        return xp.ascontiguousarray(y), x

    def conv_transpose2d_backward(self, grad: Array, cache: Any, weight: Array, grad_weight: Array,
                                  grad_bias: Array | None, geometry: WindowGeometry, *, groups: int = 1,
                                  input_grad: bool = True) -> Array | None:
        """Gradients of ``conv_transpose2d``: a convolution of the gradient, cols = im2col(pad(g)).

        d x = weight @ cols (that is ``conv2d(g, weight)``), d weight = x @ cols^T, d bias = sum of g.
        """
        xp, x, channels = self.xp, cache, cache.shape[1]
        padded = _windows.pad(xp, grad, geometry.padding)
        cols = _windows.im2col(xp, padded, geometry).reshape(groups, -1, x.shape[0] * geometry.out[0] * geometry.out[1])
        x3 = x.transpose(1, 0, 2, 3).reshape(groups, channels // groups, -1)
        grad_weight[...] = self.matmul(x3, cols.transpose(0, 2, 1)).reshape(grad_weight.shape)
        if grad_bias is not None:
            grad_bias[...] = grad.sum(axis=(0, 2, 3))
        if not input_grad:
            return None
        grad_x = self.matmul(weight.reshape(groups, channels // groups, -1), cols)
        return xp.ascontiguousarray(grad_x.reshape(channels, *x.shape[:1], *geometry.out).transpose(1, 0, 2, 3))

    # -- pooling (nnfs-conv) ----------------------------------------------------------------------------------
    def max_pool2d(self, x: Array, geometry: WindowGeometry) -> tuple[Array, Any]:
        """Each window's maximum, padding read as -inf; returns ``(y, cache)``.

        x (N, C, H, W) -> y (N, C, OH, OW). The cache says which tap won (the first maximum in row-major
        order, as PyTorch), for ``max_pool2d_backward``.
        """
        xp = self.xp
        padded = _windows.pad(xp, x, geometry.padding, value=-np.inf)
        taps = xp.stack(_windows.tap_stack(padded, geometry))  # (kh kw, N, C, OH, OW)
        argmax = taps.argmax(axis=0)
        return xp.take_along_axis(taps, argmax[None], axis=0)[0], argmax

    def max_pool2d_inference(self, x: Array, geometry: WindowGeometry) -> Array:
        """``max_pool2d``'s output alone, for inference (no winning taps kept). A backend that overrides
        ``max_pool2d`` gets this for free; the CPU backend's skips the bookkeeping of which tap won."""
        return self.max_pool2d(x, geometry)[0]

    def max_pool2d_backward(self, grad: Array, cache: Any, geometry: WindowGeometry) -> Array:
        """d loss / d x of ``max_pool2d``: each window's gradient goes to the tap that won."""
        grad_padded = self.xp.zeros((*grad.shape[:2], *geometry.padded), dtype=grad.dtype)
        for index, rows, columns in geometry.taps():
            grad_padded[:, :, rows, columns] += grad * (cache == index)
        return self.xp.ascontiguousarray(_windows.fold_padding(grad_padded, geometry.padding, geometry.size, "zeros"))

    def avg_pool2d(self, x: Array, geometry: WindowGeometry, divisor: Array) -> Array:
        """Each window's sum divided by ``divisor`` (OH, OW), padding read as 0: (N, C, H, W) -> (N, C, OH, OW)."""
        padded = _windows.pad(self.xp, x, geometry.padding)
        return sum(_windows.tap_stack(padded, geometry)) / divisor

    def avg_pool2d_backward(self, grad: Array, geometry: WindowGeometry, divisor: Array) -> Array:
        """d loss / d x of ``avg_pool2d``: g / divisor spread over each window."""
        share = grad / divisor
        grad_padded = self.xp.zeros((*grad.shape[:2], *geometry.padded), dtype=grad.dtype)
        for _, rows, columns in geometry.taps():
            grad_padded[:, :, rows, columns] += share
        return self.xp.ascontiguousarray(_windows.fold_padding(grad_padded, geometry.padding, geometry.size, "zeros"))
