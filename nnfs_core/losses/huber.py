"""Huber: quadratic near zero, linear beyond ``delta``, as ``torch.nn.HuberLoss(delta=...)``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.losses._targets import check_elementwise_target, elementwise_target
from nnfs_core.protocols import Array, BaseLoss
from nnfs_core.validation import check_positive

__all__ = ["Huber"]


class Huber(BaseLoss):
    r"""Huber loss, mean over every element of d = y_pred - y_true:

    $$
    l(d) = \begin{cases} \tfrac{1}{2} d^2 & |d| \le \delta \\
    \delta \left(|d| - \tfrac{1}{2} \delta\right) & \text{otherwise}
    \end{cases}, \qquad \frac{\partial l}{\partial d} = \operatorname{clip}(d, -\delta, \delta)
    $$

    Shapes: y_pred (N, ...), y_true the same shape ((N,) is accepted for predictions (N, 1)).

    Parameters
    ----------
    delta : float
        Where the loss turns from quadratic to linear; > 0.
    """

    def __init__(self, delta: float = 1.0) -> None:
        check_positive("Huber", "delta", delta)
        self.delta = float(delta)

    def forward(self, y_pred: Array, y_true: Any) -> float:
        diff = y_pred - elementwise_target("Huber", y_pred, y_true)
        size = diff.size
        abs_diff = np.abs(diff, out=diff)
        linear = abs_diff > self.delta
        # Quadratic everywhere, then the linear branch where |d| > delta: delta * (|d| - delta / 2).
        total = 0.5 * float(np.square(np.minimum(abs_diff, self.delta)).sum())
        total += self.delta * float((abs_diff[linear] - self.delta).sum())
        return total / size

    def backward(self, y_pred: Array, y_true: Any) -> Array:
        diff = y_pred - elementwise_target("Huber", y_pred, y_true)
        np.clip(diff, -self.delta, self.delta, out=diff)
        diff *= 1.0 / diff.size
        return diff

    def check_target(self, output_shape: tuple[int, ...], y_true: Array) -> None:
        check_elementwise_target("Huber", output_shape, y_true)
