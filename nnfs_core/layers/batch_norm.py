"""BatchNorm: batch normalisation over the channel axis, as torch.nn.BatchNorm1d / BatchNorm2d."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core._checks import check_positive
from nnfs_core.errors import ShapeError
from nnfs_core.layers._normalize import normalized_backward
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
        if training:
            count = x.size // x.shape[1]
            if count < 2:
                raise ShapeError(f"BatchNorm needs more than one value per channel in training, got input {x.shape}")
            mean = x.mean(axis=self._axes)
            var = x.var(axis=self._axes)
            keep = x.dtype.type(1.0 - self.momentum)
            step = x.dtype.type(self.momentum)
            self.state["running_mean"] *= keep
            self.state["running_mean"] += step * mean
            self.state["running_var"] *= keep
            self.state["running_var"] += step * var * x.dtype.type(count / (count - 1))
        else:
            mean, var = self.state["running_mean"], self.state["running_var"]
        inv_std = (1.0 / np.sqrt(var + x.dtype.type(self.eps))).reshape(self._broadcast)
        x_hat = (x - mean.reshape(self._broadcast)) * inv_std
        self._cache = (x_hat, inv_std, training)
        if not self.affine:
            return x_hat
        return x_hat * self.params["weight"].reshape(self._broadcast) + self.params["bias"].reshape(self._broadcast)

    def backward(self, grad: Array) -> Array:
        x_hat, inv_std, training = self._cache
        if self.affine:
            np.sum(grad * x_hat, axis=self._axes, out=self.grads["weight"])
            np.sum(grad, axis=self._axes, out=self.grads["bias"])
            grad = grad * self.params["weight"].reshape(self._broadcast)
        if not training:  # running statistics are constants
            return grad * inv_std
        return normalized_backward(grad, x_hat, inv_std, self._axes)
