"""LayerNorm: normalisation over each sample's trailing axes, as torch.nn.LayerNorm."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.layers._normalize import normalized_backward
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_positive

__all__ = ["LayerNorm"]


class LayerNorm(BaseLayer):
    r"""y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over the trailing axes of each sample.

    $$
    \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad y = \gamma \hat x + \beta, \qquad
    \frac{\partial L}{\partial x} = \frac{1}{m \sqrt{\sigma^2 + \epsilon}}
    \left(m\, g' - \textstyle\sum g' - \hat x \sum g' \hat x\right), \quad g' = \gamma g
    $$

    with $\mu$, $\sigma^2$ the mean and biased variance of each sample over its $m$ normalised values.

    Shapes: x (N, ..., *normalized_shape) -> the same; weight, bias ``normalized_shape``.

    Parameters
    ----------
    normalized_shape : int or tuple of int, optional
        The trailing per-sample shape to normalise over, as PyTorch; default: the last axis.
    eps : float
        Added to the variance before the square root, > 0.
    elementwise_affine : bool
        Learn ``weight`` (ones) and ``bias`` (zeros).
    use_bias : bool
        With ``elementwise_affine``, learn ``bias`` too (torch's ``bias``; False: y = x_hat * weight).
    """

    def __init__(self, normalized_shape: Any = None, *, eps: float = 1e-5, elementwise_affine: bool = True,
                 use_bias: bool = True) -> None:
        super().__init__()
        check_positive("LayerNorm", "eps", eps)
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = None if normalized_shape is None else tuple(int(s) for s in normalized_shape)
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        self.use_bias = bool(use_bias)

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Weight, bias and their gradients (at most one of each per input value); a normalised copy per sample.

        The load budget's declaration (``docs/writing-a-pack.md``, "Build cost").
        """
        values = math.prod(input_shape)
        affine = min(math.prod(self.normalized_shape or input_shape[-1:]), values) if self.elementwise_affine else 0
        return (2 + 2 * self.use_bias) * affine, values

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        shape = self.normalized_shape or tuple(input_shape[-1:])
        if tuple(input_shape[len(input_shape) - len(shape):]) != shape:
            raise ShapeError(f"LayerNorm(normalized_shape={shape}) needs samples ending in {shape}, got samples of "
                             f"shape {tuple(input_shape)}")
        self._axes = tuple(range(-len(shape), 0))
        if self.elementwise_affine:
            self.params = {"weight": np.ones(shape, self.dtype)}
            if self.use_bias:
                self.params["bias"] = np.zeros(shape, self.dtype)
            self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        return self.output_shape  # type: ignore[return-value]

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        x_hat = x - x.mean(axis=self._axes, keepdims=True)  # centred, then scaled in place
        var = np.square(x_hat).mean(axis=self._axes, keepdims=True)  # the biased variance, as np.var computes it
        inv_std = 1.0 / np.sqrt(var + x.dtype.type(self.eps))
        x_hat *= inv_std
        if not self.elementwise_affine:
            return x_hat, (x_hat, inv_std)
        y = x_hat * self.params["weight"]
        if self.use_bias:
            y += self.params["bias"]
        return y, (x_hat, inv_std)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        x_hat, inv_std = cache
        if self.elementwise_affine:
            batch_axes = tuple(range(grad.ndim - len(self._axes)))
            np.sum(grad * x_hat, axis=batch_axes, out=self.grads["weight"])
            if self.use_bias:
                np.sum(grad, axis=batch_axes, out=self.grads["bias"])
            grad = grad * self.params["weight"]
        return normalized_backward(grad, x_hat, inv_std, self._axes)
