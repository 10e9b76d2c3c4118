"""The checks every loss must pass."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfs_core.errors import NNFSError
from nnfs_core.protocols import Loss
from nnfs_core.testing._common import (
    Check,
    check_config_round_trip,
    check_constructor_stores_only_hyperparameters,
    check_registry_round_trip,
    fail,
    fresh,
    random,
)
from nnfs_core.testing.gradcheck import GradientCheckError, gradcheck

SHAPE = (5, 4)


def example(component: Any, dtype: Any = np.float64) -> tuple[Any, Any]:
    """Predictions in (0.05, 0.95) (valid logits, probabilities and log-probabilities alike) and targets
    the loss accepts: values of the predictions' shape if ``check_target`` allows, else class labels."""
    y_pred = random(SHAPE, dtype, 3, low=0.05, high=0.95)
    candidates = [
        random(SHAPE, dtype, 4, low=0.0, high=1.0),
        np.random.default_rng(5).integers(0, SHAPE[1], SHAPE[0]),
    ]
    for y_true in candidates:
        try:
            fresh(component).check_target(SHAPE[1:], y_true)
            return y_pred, y_true
        except (NNFSError, ValueError):
            continue
        except AttributeError:
            return y_pred, y_true  # no check_target: assume element-wise targets
    raise fail(component, "check_target accepts neither float targets (N, C) nor integer labels (N,)")


def check_loss_protocol(component: Any) -> None:
    """The loss has forward, backward and get_config."""
    if not isinstance(fresh(component), Loss):
        raise fail(component, "does not implement the Loss protocol (forward, backward, get_config)")


def check_loss_value_and_gradient_shape(component: Any) -> None:
    """forward gives a finite Python float; backward has y_pred's shape and dtype, in float32 and float64."""
    for dtype in (np.float32, np.float64):
        loss = fresh(component)
        y_pred, y_true = example(component, dtype)
        value = loss.forward(y_pred, y_true)
        if not isinstance(value, float) or not math.isfinite(value):
            raise fail(component, f"forward returned {value!r} ({type(value).__name__}), not a finite float")
        grad = loss.backward(y_pred, y_true)
        if grad.shape != y_pred.shape or grad.dtype != y_pred.dtype:
            raise fail(component, f"backward gave {grad.shape} {grad.dtype} for {y_pred.shape} {y_pred.dtype} "
                                  "predictions")


def check_loss_inputs_not_modified(component: Any) -> None:
    """forward and backward leave predictions and targets as they were."""
    loss = fresh(component)
    y_pred, y_true = example(component)
    before = (y_pred.copy(), y_true.copy())
    loss.forward(y_pred, y_true)
    loss.backward(y_pred, y_true)
    if not (np.array_equal(y_pred, before[0]) and np.array_equal(y_true, before[1])):
        raise fail(component, "forward/backward modified y_pred or y_true in place")


def check_loss_gradients(component: Any) -> None:
    """backward equals central finite differences of forward (float64)."""
    y_pred, y_true = example(component)
    try:
        gradcheck(fresh(component), y_pred, y_true)
    except GradientCheckError as error:
        raise fail(component, str(error)) from None


LOSS_CHECKS: list[Check] = [
    check_loss_protocol,
    check_constructor_stores_only_hyperparameters,
    check_config_round_trip,
    check_registry_round_trip,
    check_loss_value_and_gradient_shape,
    check_loss_inputs_not_modified,
    check_loss_gradients,
]
