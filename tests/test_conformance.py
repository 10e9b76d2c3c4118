"""Registry-driven conformance: every installed layer, activation, loss, optimizer and scheduler passes
the kit, so a component is checked the moment it is registered (core and packs alike)."""

from __future__ import annotations

import pytest

from nnfs_core import ops, registry
from nnfs_core.registry import IN_PROCESS
from nnfs_core.testing import parametrize_with_checks

KINDS = ("layers", "activations", "losses", "optimizers", "schedulers")
FIXTURE_PACKS = ("nnfs-fixture",)  # the test suite's own deliberately broken/clashing packs


def installed_components():
    components, seen = [], set()
    for kind in KINDS:
        for entry in registry.of_kind(kind).entries():
            if entry.distribution == IN_PROCESS or entry.distribution.startswith(FIXTURE_PACKS):
                continue
            target = entry.load()
            if target in seen:  # aliases (swish = silu, glorot = xavier) are checked once
                continue
            seen.add(target)
            components.append(target)
    return components


@pytest.fixture(params=["cpu", "numpy"])
def backend(request, monkeypatch):
    """Every check runs on both compute backends that ship with the core (NNFS_OPS picks the default)."""
    monkeypatch.setenv(ops.ENV_OPS, request.param)
    return request.param


@parametrize_with_checks(installed_components())
def test_installed_component_conforms(component, check, backend):
    check(component)


def test_the_walk_covers_every_core_kind():
    names = {c.__name__ for c in installed_components()}
    assert {"Dense", "BatchNorm", "CrossEntropy", "MSE"} <= names
