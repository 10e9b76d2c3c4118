"""MAE: mean absolute error, as ``torch.nn.L1Loss()``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.losses._targets import check_elementwise_target, elementwise_target
from nnfs_core.protocols import Array, BaseLoss

__all__ = ["MAE"]


class MAE(BaseLoss):
    r"""Mean absolute error L = mean(|y_pred - y_true|); dL/dy_pred = sign(y_pred - y_true) / size.

    $$
    L = \frac{1}{n} \sum_k \left|\hat y_k - y_k\right|, \qquad
    \frac{\partial L}{\partial \hat y} = \frac{1}{n} \operatorname{sign}(\hat y - y)
    $$

    with $\hat y$ = ``y_pred``, $y$ = ``y_true`` and $n$ the number of elements.

    The gradient is 0 where the prediction equals the target, as PyTorch's ``sign``.
    Shapes: y_pred (N, ...), y_true the same shape ((N,) is accepted for predictions (N, 1)).
    """

    def forward(self, y_pred: Array, y_true: Any) -> float:
        diff = y_pred - elementwise_target("MAE", y_pred, y_true)
        return float(np.abs(diff, out=diff).mean())

    def backward(self, y_pred: Array, y_true: Any) -> Array:
        diff = y_pred - elementwise_target("MAE", y_pred, y_true)
        np.sign(diff, out=diff)
        diff *= 1.0 / diff.size
        return diff

    def check_target(self, output_shape: tuple[int, ...], y_true: Array) -> None:
        check_elementwise_target("MAE", output_shape, y_true)
