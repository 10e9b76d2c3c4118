"""What the pack's tests share: the registered names, the cases they are tested in, and a builder.

The names come from the installed entry points, so an activation is tested the moment it is registered.
Tests ask for ``act_name`` (each name) or ``act_case`` (each name with its defaults, plus the variants
below) and are parametrised by :func:`pytest_generate_tests`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnfs_core import registry

PACK = "nnfs-activations"

# Non-default hyperparameters worth testing too; every registered name is always tested with its defaults.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "leaky_relu": [{"negative_slope": 0.2}],
    "prelu": [{"num_parameters": 3, "init": 0.1}],
    "elu": [{"alpha": 0.5}],
    "celu": [{"alpha": 2.0}],
    "gelu": [{"approximate": "tanh"}],
    "hard_tanh": [{"min_val": -2.0, "max_val": 0.5}],
    "softplus": [{"beta": 2.0, "threshold": 5.0}],
    "softmax": [{"axis": 1}],
    "log_softmax": [{"axis": 1}],
}

# Batches shaped (N, C, L) with C = 3, so that PReLU(num_parameters=3) and Softmax(axis=1) apply.
SHAPE = (4, 3, 5)


def pack_names() -> list[str]:
    """The activation names this pack's distribution registers, as installed."""
    return sorted(
        entry.name
        for entry in registry.activations.entries()
        if registry.normalize(entry.distribution) == registry.normalize(PACK)
    )


def pack_cases() -> list[tuple[str, dict[str, Any]]]:
    names = pack_names()
    return [(name, {}) for name in names] + [(name, dict(c)) for name in names for c in VARIANTS.get(name, [])]


def case_id(case: tuple[str, dict[str, Any]]) -> str:
    name, config = case
    return name + "".join(f"-{key}={value}" for key, value in config.items())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "act_name" in metafunc.fixturenames:
        metafunc.parametrize("act_name", pack_names())
    if "act_case" in metafunc.fixturenames:
        cases = pack_cases()
        metafunc.parametrize("act_case", cases, ids=[case_id(case) for case in cases])


@pytest.fixture
def make():
    """``make(name, config, x_shape, dtype)``: an activation created through the registry and built."""

    def make(name: str, config: dict[str, Any], shape: tuple[int, ...] = SHAPE, dtype: Any = np.float64) -> Any:
        layer = registry.activations.create(name, **config)
        layer.build(tuple(shape[1:]), rng=np.random.default_rng(0), dtype=dtype)
        return layer

    return make
