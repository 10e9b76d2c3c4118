"""The normalisation step shared by BatchNorm and LayerNorm: x_hat = (x - mean) / sqrt(var + eps)."""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def normalized_backward(grad_hat: Array, x_hat: Array, inv_std: Array, axes: tuple[int, ...]) -> Array:
    """d loss / d x for x_hat = (x - mean(x)) * inv_std, with mean and variance taken over ``axes``.

    dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)), means over ``axes`` (the biased variance).
    """
    product = grad_hat * x_hat
    mean_grad_x = product.mean(axis=axes, keepdims=True)
    dx = grad_hat - grad_hat.mean(axis=axes, keepdims=True)
    dx -= np.multiply(x_hat, mean_grad_x, out=product)  # the same terms as above, in two new arrays instead of five
    dx *= inv_std
    return dx
