"""BatchNorm: batch normalisation over the channel axis, as torch.nn.BatchNorm1d / BatchNorm2d."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from nnfs_core import parallel
from nnfs_core._checks import check_positive
from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["BatchNorm"]

_SPLIT_MIN = 1 << 20  # elements below which one thread is quicker than two


class BatchNorm(BaseLayer):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics per channel (axis 1).

    Shapes: x (N, C) or (N, C, L) or (N, C, H, W) -> the same; weight, bias (C,).
    Training uses the batch's statistics (biased variance) and updates the running ones in
    ``state``: running = (1 - momentum) * running + momentum * batch (unbiased variance), as PyTorch.
    Inference uses the running statistics.
    """

    training_differs = True

    def __init__(self, momentum: float = 0.1, *, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        check_positive("BatchNorm", "momentum", momentum, allow_zero=True)
        check_positive("BatchNorm", "eps", eps)
        if momentum > 1:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.affine = bool(affine)

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        if len(input_shape) not in (1, 2, 3):
            raise ShapeError(f"BatchNorm expects samples of shape (C,), (C, L) or (C, H, W), got {tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        channels = input_shape[0]
        if self.affine:
            self.params = {"weight": np.ones(channels, self.dtype), "bias": np.zeros(channels, self.dtype)}
            self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.state = {"running_mean": np.zeros(channels, self.dtype), "running_var": np.ones(channels, self.dtype)}
        self._axes = (0, *range(2, len(input_shape) + 1))
        self._broadcast = (1, channels) + (1,) * (len(input_shape) - 1)
        # Feature maps are big enough to split by channels over threads (see _over_channels); vectors are not.
        self.parallel = len(input_shape) > 1
        return self.output_shape  # type: ignore[return-value]

    def forward(self, x: Array, *, training: bool = False) -> Array:
        if training and x.size // x.shape[1] < 2:
            raise ShapeError(f"BatchNorm needs more than one value per channel in training, got input {x.shape}")
        x_hat = np.empty_like(x)
        y = np.empty_like(x) if self.affine else x_hat
        inv_std = np.empty(x.shape[1], dtype=x.dtype)
        self._over_channels(x, partial(self._forward_channels, x, x_hat, y, inv_std, training))
        self._cache = (x_hat, inv_std, training)
        return y

    def _forward_channels(self, x: Array, x_hat: Array, y: Array, inv_std: Array, training: bool, start: int,
                          stop: int) -> None:
        """Channels start:stop of the forward pass (each channel's statistics are its own)."""
        shape = self._broadcast[:1] + (stop - start,) + self._broadcast[2:]
        x, x_hat, y = x[:, start:stop], x_hat[:, start:stop], y[:, start:stop]
        channels = slice(start, stop)
        running_mean, running_var = self.state["running_mean"][channels], self.state["running_var"][channels]
        eps = x.dtype.type(self.eps)
        if training:
            count = x.size // x.shape[1]
            mean = x.mean(axis=self._axes)
            np.subtract(x, mean.reshape(shape), out=x_hat)  # centred now, normalised in place below
            var = _channel_dot(x_hat, x_hat) / x.dtype.type(count)
            keep = x.dtype.type(1.0 - self.momentum)
            step = x.dtype.type(self.momentum)
            running_mean *= keep
            running_mean += step * mean
            running_var *= keep
            running_var += step * var * x.dtype.type(count / (count - 1))
            inv_std[channels] = 1.0 / np.sqrt(var + eps)
        else:
            inv_std[channels] = 1.0 / np.sqrt(running_var + eps)
            np.subtract(x, running_mean.reshape(shape), out=x_hat)
        x_hat *= inv_std[channels].reshape(shape)
        if self.affine:
            np.multiply(x_hat, self.params["weight"][channels].reshape(shape), out=y)
            y += self.params["bias"][channels].reshape(shape)

    def backward(self, grad: Array) -> Array:
        """dx = w / std * (g - mean(g) - x_hat * mean(g * x_hat)), the means per channel (batch statistics);
        dx = w / std * g with the running statistics, which are constants."""
        input_grad = np.empty_like(grad)
        self._over_channels(grad, partial(self._backward_channels, grad, input_grad))
        return input_grad

    def _backward_channels(self, grad: Array, input_grad: Array, start: int, stop: int) -> None:
        x_hat, inv_std, training = self._cache
        shape = self._broadcast[:1] + (stop - start,) + self._broadcast[2:]
        channels = slice(start, stop)
        grad, x_hat, input_grad = grad[:, channels], x_hat[:, channels], input_grad[:, channels]
        sum_grad = _channel_sum(grad)
        sum_grad_x_hat = _channel_dot(grad, x_hat)
        scale = inv_std[channels]
        if self.affine:
            self.grads["weight"][channels] = sum_grad_x_hat
            self.grads["bias"][channels] = sum_grad
            scale = scale * self.params["weight"][channels]
        np.multiply(grad, scale.reshape(shape), out=input_grad)
        if training:
            count = grad.dtype.type(grad.size // grad.shape[1])
            input_grad -= x_hat * (scale * sum_grad_x_hat / count).reshape(shape)
            input_grad -= (scale * sum_grad / count).reshape(shape)

    def _over_channels(self, x: Array, work: Callable[[int, int], None]) -> None:
        """``work(start, stop)`` on runs of channels, one per thread when the batch is big enough to pay."""
        if x.size < _SPLIT_MIN:
            work(0, x.shape[1])
            return
        with parallel.blas_single_threaded():
            parallel.run([partial(work, start, stop) for start, stop in parallel.split(x.shape[1])])


def _channels_view(a: Array) -> Array:
    """(N, C, ...) as (N, C, rest): a view for the contiguous arrays BatchNorm works on."""
    return a.reshape(a.shape[0], a.shape[1], -1)


def _channel_sum(a: Array) -> Array:
    """Sum over every axis but the channel axis 1 (one pass, no temporary)."""
    return np.einsum("ncl->c", _channels_view(a))


def _channel_dot(a: Array, b: Array) -> Array:
    """sum(a * b) over every axis but the channel axis 1, without materialising a * b."""
    return np.einsum("ncl,ncl->c", _channels_view(a), _channels_view(b))
