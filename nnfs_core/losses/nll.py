"""NLL: negative log-likelihood of log-probabilities, as ``torch.nn.NLLLoss()``."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.losses._targets import check_class_target, class_labels, class_scores
from nnfs_core.protocols import Array, BaseLoss

__all__ = ["NLL"]


class NLL(BaseLoss):
    r"""Mean negative log-likelihood L = -mean_i y_pred[i, y_i]; dL/dy_pred[i, y_i] = -1/N, 0 elsewhere.

    $$
    L = -\frac{1}{N} \sum_i \hat y_{i, y_i}, \qquad
    \frac{\partial L}{\partial \hat y_{i, c}} = -\frac{1}{N} [c = y_i]
    $$

    with $\hat y$ = ``y_pred`` (log-probabilities) and $y_i$ the labels.

    ``y_pred`` are log-probabilities (a ``log_softmax`` layer's output); NLL after log_softmax is
    CrossEntropy on the logits.

    Shapes: y_pred (N, C); y_true integer labels (N,) in [0, C).
    """

    default_metrics = ("accuracy",)

    def forward(self, y_pred: Array, y_true: Any) -> float:
        labels = self._labels(y_pred, y_true)
        return -float(y_pred[np.arange(len(y_pred)), labels].sum()) / len(y_pred)

    def backward(self, y_pred: Array, y_true: Any) -> Array:
        labels = self._labels(y_pred, y_true)
        grad = np.zeros_like(y_pred)
        grad[np.arange(len(y_pred)), labels] = -1.0 / len(y_pred)
        return grad

    def check_target(self, output_shape: tuple[int, ...], y_true: Array) -> None:
        check_class_target("NLL", output_shape, y_true, what="log-probabilities", probabilities=False)

    def _labels(self, y_pred: Array, y_true: Any) -> Array:
        y_true = np.asarray(y_true)
        class_scores("NLL", y_pred, y_true, "log-probabilities")
        check_class_target("NLL", y_pred.shape[1:], y_true, what="log-probabilities", probabilities=False)
        return class_labels("NLL", y_true, y_pred.shape[1])
