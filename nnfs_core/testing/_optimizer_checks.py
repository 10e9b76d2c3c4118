"""The checks every optimizer and every learning-rate scheduler must pass."""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from nnfs_core.protocols import Optimizer
from nnfs_core.testing._common import (
    Check,
    check_config_round_trip,
    check_constructor_stores_only_hyperparameters,
    check_registry_round_trip,
    fail,
    fresh,
)


def _problem(dtype: Any = np.float32) -> tuple[list[Any], list[Any]]:
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal(3).astype(dtype)]
    return params, [np.zeros_like(p) for p in params]


def _gradients(grads: list[Any], step: int) -> None:
    rng = np.random.default_rng(100 + step)
    for grad in grads:
        grad[...] = rng.standard_normal(grad.shape)


def check_optimizer_protocol(component: Any) -> None:
    """step, state_dict, load_state_dict, get_config and a float learning_rate."""
    if not isinstance(fresh(component), Optimizer):
        raise fail(component, "does not implement the Optimizer protocol")


def check_updates_in_place_keeping_dtype(component: Any) -> None:
    """step changes the given arrays themselves (same memory), keeps float32, and moves them."""
    optimizer = fresh(component)
    params, grads = _problem(np.float32)
    addresses = [p.__array_interface__["data"][0] for p in params]
    before = [p.copy() for p in params]
    for step in range(3):
        _gradients(grads, step)
        optimizer.step(params, grads)
    if [p.__array_interface__["data"][0] for p in params] != addresses or any(p.dtype != np.float32 for p in params):
        raise fail(component, "step replaced the parameter arrays or changed their dtype; update them in place")
    if all(np.array_equal(a, b) for a, b in zip(before, params)):
        raise fail(component, "three steps with non-zero gradients left every parameter unchanged")


def check_frozen_parameters_left_alone(component: Any) -> None:
    """A parameter not handed to ``step`` (a frozen layer's) is never changed."""
    optimizer = fresh(component)
    params, grads = _problem()
    frozen = params[1].copy()
    for step in range(3):
        _gradients(grads, step)
        optimizer.step(params[:1], grads[:1])
    if not np.array_equal(params[1], frozen):
        raise fail(component, "changed a parameter it was not given")


def check_zero_gradients_stay_finite(component: Any) -> None:
    """All-zero gradients never produce NaN or inf."""
    optimizer = fresh(component)
    params, grads = _problem()
    for _ in range(3):
        optimizer.step(params, grads)
    if not all(np.isfinite(p).all() for p in params):
        raise fail(component, "zero gradients made parameters NaN or infinite")


def check_state_dict_round_trip(component: Any) -> None:
    """Restoring ``state_dict()`` mid-run into a fresh optimizer continues bit-identically."""
    optimizer = fresh(component)
    params, grads = _problem(np.float64)
    for step in range(5):
        _gradients(grads, step)
        optimizer.step(params, grads)
    restored = fresh(component)
    restored.load_state_dict(copy.deepcopy(optimizer.state_dict()))
    twin = [p.copy() for p in params]
    for step in range(5, 10):
        _gradients(grads, step)
        optimizer.step(params, [g.copy() for g in grads])
        restored.step(twin, [g.copy() for g in grads])
    if not all(np.array_equal(a, b) for a, b in zip(params, twin)):
        raise fail(component, "a copy restored from state_dict() does not continue identically")


OPTIMIZER_CHECKS: list[Check] = [
    check_optimizer_protocol,
    check_constructor_stores_only_hyperparameters,
    check_config_round_trip,
    check_registry_round_trip,
    check_updates_in_place_keeping_dtype,
    check_frozen_parameters_left_alone,
    check_zero_gradients_stay_finite,
    check_state_dict_round_trip,
]


class _Optimizer:
    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = learning_rate


def _run(scheduler: Any, optimizer: Any, steps: int) -> list[float]:
    rates = []
    for step in range(steps):
        scheduler.step({"loss": 1.0 / (1 + step % 4), "val_loss": 1.0 / (1 + step % 4)})
        rates.append(float(optimizer.learning_rate))
    return rates


def check_scheduler_rates_finite(component: Any) -> None:
    """Attached to an optimizer, 50 steps give finite, non-negative learning rates."""
    scheduler, optimizer = fresh(component), _Optimizer(0.1)
    scheduler.attach(optimizer)
    rates = _run(scheduler, optimizer, 50)
    if not all(math.isfinite(rate) and rate >= 0 for rate in rates):
        raise fail(component, f"learning rates are not all finite and >= 0: {rates}")


def check_scheduler_state_dict_round_trip(component: Any) -> None:
    """Restoring ``state_dict()`` after 7 steps continues the same sequence of learning rates."""
    scheduler, optimizer = fresh(component), _Optimizer(0.1)
    scheduler.attach(optimizer)
    _run(scheduler, optimizer, 7)
    restored, twin_optimizer = fresh(component), _Optimizer(0.1)
    restored.attach(twin_optimizer)
    restored.load_state_dict(copy.deepcopy(scheduler.state_dict()))
    if _run(scheduler, optimizer, 20) != _run(restored, twin_optimizer, 20):
        raise fail(component, "a copy restored from state_dict() gives a different learning-rate sequence")


SCHEDULER_CHECKS: list[Check] = [
    check_constructor_stores_only_hyperparameters,
    check_config_round_trip,
    check_registry_round_trip,
    check_scheduler_rates_finite,
    check_scheduler_state_dict_round_trip,
]
