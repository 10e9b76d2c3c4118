"""BatchNorm: batch normalisation over the channel axis, as torch.nn.BatchNorm1d / BatchNorm2d."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core._checks import check_positive
from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer

__all__ = ["BatchNorm"]


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
        return self.output_shape  # type: ignore[return-value]

    def forward(self, x: Array, *, training: bool = False) -> Array:
        shape = self._broadcast
        if training:
            count = x.size // x.shape[1]
            if count < 2:
                raise ShapeError(f"BatchNorm needs more than one value per channel in training, got input {x.shape}")
            mean = x.mean(axis=self._axes)
            x_hat = x - mean.reshape(shape)  # centred now, normalised in place below
            var = _channel_dot(x_hat, x_hat) / x.dtype.type(count)
            keep = x.dtype.type(1.0 - self.momentum)
            step = x.dtype.type(self.momentum)
            self.state["running_mean"] *= keep
            self.state["running_mean"] += step * mean
            self.state["running_var"] *= keep
            self.state["running_var"] += step * var * x.dtype.type(count / (count - 1))
            inv_std = 1.0 / np.sqrt(var + x.dtype.type(self.eps))
            x_hat *= inv_std.reshape(shape)
        else:
            inv_std = 1.0 / np.sqrt(self.state["running_var"] + x.dtype.type(self.eps))
            x_hat = (x - self.state["running_mean"].reshape(shape)) * inv_std.reshape(shape)
        self._cache = (x_hat, inv_std, training)
        if not self.affine:
            return x_hat
        y = x_hat * self.params["weight"].reshape(shape)
        y += self.params["bias"].reshape(shape)
        return y

    def backward(self, grad: Array) -> Array:
        """dx = w / std * (g - mean(g) - x_hat * mean(g * x_hat)), the means per channel (batch statistics);
        dx = w / std * g with the running statistics, which are constants."""
        x_hat, inv_std, training = self._cache
        shape = self._broadcast
        sum_grad = _channel_sum(grad)
        sum_grad_x_hat = _channel_dot(grad, x_hat)
        scale = inv_std
        if self.affine:
            self.grads["weight"][...] = sum_grad_x_hat
            self.grads["bias"][...] = sum_grad
            scale = scale * self.params["weight"]
        input_grad = grad * scale.reshape(shape)
        if training:
            count = grad.dtype.type(grad.size // grad.shape[1])
            input_grad -= x_hat * (scale * sum_grad_x_hat / count).reshape(shape)
            input_grad -= (scale * sum_grad / count).reshape(shape)
        return input_grad


def _channels_view(a: Array) -> Array:
    """(N, C, ...) as (N, C, rest): a view for the contiguous arrays BatchNorm works on."""
    return a.reshape(a.shape[0], a.shape[1], -1)


def _channel_sum(a: Array) -> Array:
    """Sum over every axis but the channel axis 1 (one pass, no temporary)."""
    return np.einsum("ncl->c", _channels_view(a))


def _channel_dot(a: Array, b: Array) -> Array:
    """sum(a * b) over every axis but the channel axis 1, without materialising a * b."""
    return np.einsum("ncl,ncl->c", _channels_view(a), _channels_view(b))
