"""BinaryCrossEntropy: as ``torch.nn.BCELoss()``, or ``torch.nn.BCEWithLogitsLoss()`` with ``from_logits=True``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core._data import DataError
from nnfs_core.losses._targets import check_elementwise_target, elementwise_target
from nnfs_core.protocols import Array, BaseLoss

__all__ = ["BinaryCrossEntropy"]

_LOG_FLOOR = -100.0  # torch's BCELoss clamps log(p) and log(1 - p) here, so p = 0 or 1 stays finite
# torch's BCELoss backward divides by max(p (1 - p), EPSILON), a C++ float 1e-12 even for double tensors
_GRAD_EPSILON = float(np.float32(1e-12))


class BinaryCrossEntropy(BaseLoss):
    r"""Mean binary cross-entropy over every element, for targets t in [0, 1].

    Probabilities p (``from_logits=False``, the default - a sigmoid layer's output), as torch's BCELoss:

    $$
    l = -\left(t \max(\log p, -100) + (1 - t) \max(\log(1 - p), -100)\right), \qquad
    \frac{\partial l}{\partial p} = \frac{p - t}{\max\left(p (1 - p), 10^{-12}\right)}
    $$

    Logits x (``from_logits=True``), as torch's BCEWithLogitsLoss, in the stable softplus form:

    $$
    l = \max(x, 0) - x t + \log\left(1 + e^{-|x|}\right) = \operatorname{softplus}(x) - x t, \qquad
    \frac{\partial l}{\partial x} = \sigma(x) - t
    $$

    Both are divided by the number of elements. Shapes: y_pred (N, ...), y_true the same shape ((N,) is
    accepted for predictions (N, 1)).

    Parameters
    ----------
    from_logits : bool
        True: ``y_pred`` are raw scores; False: probabilities in [0, 1].
    """

    def __init__(self, *, from_logits: bool = False) -> None:
        if not isinstance(from_logits, (bool, np.bool_)):
            raise TypeError(f"BinaryCrossEntropy: from_logits must be True or False, got {from_logits!r}")
        self.from_logits = bool(from_logits)

    @property
    def default_metrics(self) -> tuple[Any, ...]:
        """Binary accuracy, thresholded at 0.5 for probabilities and at 0 for logits."""
        return ({"name": "binary_accuracy", "threshold": 0.0},) if self.from_logits else ("binary_accuracy",)

    def forward(self, y_pred: Array, y_true: Any) -> float:
        y_pred, y_true = self._inputs(y_pred, y_true)
        if self.from_logits:
            # max(x, 0) - x t + log1p(exp(-|x|)): exp never overflows
            loss = np.log1p(np.exp(-np.abs(y_pred)))
            loss += np.maximum(y_pred, 0)
            loss -= y_pred * y_true
        else:
            with np.errstate(divide="ignore"):  # log(0) = -inf is clamped to -100 right away
                log_p = np.maximum(np.log(y_pred), _LOG_FLOOR)
                log_q = np.maximum(np.log1p(-y_pred), _LOG_FLOOR)  # log1p: accurate for small p, as torch
            loss = y_true * (log_p - log_q)
            loss += log_q
            np.negative(loss, out=loss)
        return float(loss.mean())

    def backward(self, y_pred: Array, y_true: Any) -> Array:
        y_pred, y_true = self._inputs(y_pred, y_true)
        if self.from_logits:
            grad = _sigmoid(y_pred)
            grad -= y_true
        else:
            grad = y_pred - y_true
            grad /= np.maximum(y_pred * (1 - y_pred), _GRAD_EPSILON)
        grad *= 1.0 / grad.size
        return grad

    def check_target(self, output_shape: tuple[int, ...], y_true: Array) -> None:
        check_elementwise_target("BinaryCrossEntropy", output_shape, y_true)
        if y_true.size and (float(y_true.min()) < 0 or float(y_true.max()) > 1):
            raise DataError(
                f"BinaryCrossEntropy needs targets in [0, 1], got values in [{float(y_true.min()):g}, "
                f"{float(y_true.max()):g}]"
            )

    def _inputs(self, y_pred: Array, y_true: Any) -> tuple[Array, Array]:
        y_true = elementwise_target("BinaryCrossEntropy", y_pred, y_true)
        if not self.from_logits:
            low, high = float(y_pred.min()), float(y_pred.max())
            if not (low >= 0 and high <= 1):
                raise ValueError(
                    f"BinaryCrossEntropy(from_logits=False) expects probabilities in [0, 1] (a sigmoid output), got "
                    f"values in [{low:g}, {high:g}]; pass from_logits=True for raw scores"
                )
        return y_pred, y_true


def _sigmoid(x: Array) -> Array:
    """1 / (1 + exp(-x)) without overflow: exp(-|x|) is at most 1."""
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1, e)
    out /= 1 + e
    return out
