"""MSE: mean squared error, as ``torch.nn.MSELoss()``."""

from __future__ import annotations

from typing import Any

from nnfs_core.losses._targets import check_elementwise_target, elementwise_target
from nnfs_core.protocols import Array, BaseLoss

__all__ = ["MSE"]


class MSE(BaseLoss):
    r"""Mean squared error L = mean((y_pred - y_true)^2) over every element; dL/dy_pred = 2 (y_pred - y_true) / size.

    $$
    L = \frac{1}{n} \sum_k \left(\hat y_k - y_k\right)^2, \qquad
    \frac{\partial L}{\partial \hat y} = \frac{2}{n} (\hat y - y)
    $$

    with $\hat y$ = ``y_pred``, $y$ = ``y_true`` and $n$ the number of elements.

    Shapes: y_pred (N, ...), y_true the same shape ((N,) is accepted for predictions (N, 1)).
    """

    def forward(self, y_pred: Array, y_true: Any) -> float:
        diff = y_pred - elementwise_target("MSE", y_pred, y_true)
        return float(diff.ravel() @ diff.ravel()) / diff.size

    def backward(self, y_pred: Array, y_true: Any) -> Array:
        diff = y_pred - elementwise_target("MSE", y_pred, y_true)
        diff *= 2.0 / diff.size
        return diff

    def check_target(self, output_shape: tuple[int, ...], y_true: Array) -> None:
        check_elementwise_target("MSE", output_shape, y_true)
