"""Every optimizer of the pack takes parameter groups; schedulers scale each group from its own base rate."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core.errors import ConfigError

SHAPES = {"layers.0.weight": (3, 4), "layers.0.bias": (3,), "layers.1.weight": (2, 3)}


def _params(seed):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=shape) for name, shape in SHAPES.items()}


def _run(optimizer, steps=5):
    params = _params(0)
    rng = np.random.default_rng(1)
    for _ in range(steps):
        optimizer.step(params, {name: rng.normal(size=shape) for name, shape in SHAPES.items()})
    return params


@pytest.mark.parametrize("name", registry.optimizers.names())
def test_a_group_with_learning_rate_zero_leaves_its_parameters_alone(name):
    start = _params(0)
    # weight_decay 0 too: a decoupled decay shrinks by 1 - lr * wd, but an L2 term alone moves nothing at lr 0
    params = _run(registry.optimizers.create(name, param_groups=[{"params": "layers.*.bias", "learning_rate": 0.0}]))
    np.testing.assert_array_equal(params["layers.0.bias"], start["layers.0.bias"])
    assert not np.array_equal(params["layers.0.weight"], start["layers.0.weight"])


@pytest.mark.parametrize("name", registry.optimizers.names())
def test_a_group_repeating_the_defaults_changes_nothing(name):
    plain = _run(registry.optimizers.create(name))
    optimizer = registry.optimizers.create(name, param_groups=[{"params": "layers.0"}])
    grouped = _run(optimizer)
    for key in SHAPES:
        np.testing.assert_array_equal(grouped[key], plain[key])
    assert optimizer.get_config()["param_groups"] == [{"params": ["layers.0"]}]


def test_a_group_hyperparameter_is_checked_by_the_optimizers_own_rules():
    optimizer = registry.optimizers.create("adam", param_groups=[{"params": "layers.0", "betas": (0.9, 1.5)}])
    with pytest.raises(ConfigError, match=r"param_groups\[0\].*betas\[1\]"):
        _run(optimizer)


@pytest.mark.parametrize("name, kwargs", [("step_lr", {"step_size": 2, "gamma": 0.5}),
                                          ("exponential_lr", {"gamma": 0.9}),
                                          ("cosine_annealing_lr", {"t_max": 10, "eta_min": 0.001})])
def test_schedulers_scale_each_group_from_its_own_base_rate(name, kwargs):
    optimizer = registry.optimizers.create("sgd", learning_rate=0.1,
                                           param_groups=[{"params": "layers.0", "learning_rate": 0.01}])
    scheduler = registry.schedulers.create(name, **kwargs)
    scheduler.attach(optimizer)
    twin = registry.schedulers.create(name, **kwargs)
    twin.attach(registry.optimizers.create("sgd", learning_rate=0.01))
    for _ in range(5):
        scheduler.step()
        twin.step()
        assert optimizer.param_groups[0]["learning_rate"] == pytest.approx(twin.optimizer.learning_rate, rel=1e-12)
