"""Every component the distribution registers, walked through the registry: a new one is tested on sight."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core._first_party import FIRST_PARTY
from nnfs_core.protocols import BaseOptimizer, BaseScheduler, Optimizer, Scheduler
from nnfs_core.testing import check_distribution

DISTRIBUTION = "nnfs-optim"


def _names(kind):
    return sorted(e.name for e in registry.of_kind(kind).entries() if registry.normalize(e.distribution) == "nnfsoptim")


OPTIMIZERS = _names("optimizers")
SCHEDULERS = _names("schedulers")
# Values for the arguments torch requires (the rest have defaults); a scheduler with a new required
# argument fails below until it gets one here.
REQUIRED = {"step_size": 3, "milestones": [2, 5], "gamma": 0.5, "t_max": 10, "t_0": 4, "max_lr": 0.1,
            "warmup_steps": 3}


def test_the_distribution_registers_exactly_the_first_party_names():
    assert set(OPTIMIZERS) == set(FIRST_PARTY[DISTRIBUTION]["optimizers"])
    assert set(SCHEDULERS) == set(FIRST_PARTY[DISTRIBUTION]["schedulers"])


def test_every_entry_point_passes_the_conformance_kit():
    assert check_distribution(DISTRIBUTION) == []


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_from_registry_with_defaults(name):
    optimizer = registry.optimizers.create(name)
    assert isinstance(optimizer, BaseOptimizer) and isinstance(optimizer, Optimizer)
    assert registry.optimizers.name_of(optimizer) == name
    config = optimizer.get_config()
    assert json.loads(json.dumps(config)) == config
    assert "learning_rate" in config and "clip_norm" in config and "clip_value" in config
    again = registry.optimizers.create(name, **config)
    assert type(again) is type(optimizer) and again.get_config() == config
    assert registry.optimizers.create({"name": name, **config}).get_config() == config
    params = [np.ones((3, 2), np.float32)]
    optimizer.step(params, [np.full((3, 2), 0.5, np.float32)])
    assert np.all(params[0] < 1) and params[0].dtype == np.float32


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_optimizer_constructor_arguments_are_keyword_only_after_the_learning_rate(name):
    parameters = list(inspect.signature(registry.optimizers.get(name).__init__).parameters.values())[1:]
    assert parameters[0].name == "learning_rate" and parameters[0].default is not inspect.Parameter.empty
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters[1:])


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_from_registry(name):
    cls = registry.schedulers.get(name)
    required = {
        key: REQUIRED[key]
        for key, parameter in inspect.signature(cls.__init__).parameters.items()
        if key != "self" and parameter.default is inspect.Parameter.empty
    }
    scheduler = registry.schedulers.create(name, **required)
    assert isinstance(scheduler, BaseScheduler) and isinstance(scheduler, Scheduler)
    assert scheduler.interval in ("epoch", "batch")
    config = scheduler.get_config()
    assert json.loads(json.dumps(config)) == config
    again = registry.schedulers.create({"name": name, **config})
    assert type(again) is type(scheduler) and again.get_config() == config
    assert registry.config_of(scheduler) == {"name": name, **config}


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_names_use_snake_case_arguments(name):
    for key in inspect.signature(registry.schedulers.get(name).__init__).parameters:
        assert key == key.lower(), f"{name}: {key} (torch's T_max/T_0/T_mult are t_max/t_0/t_mult here)"
