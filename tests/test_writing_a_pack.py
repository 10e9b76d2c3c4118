"""The worked layer and optimizer of docs/writing-a-pack.md run as printed and pass the conformance kit."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.testing import check_layer, check_optimizer

PAGE = Path(__file__).resolve().parent.parent / "docs" / "writing-a-pack.md"


def worked_example(heading: str, module_name: str) -> types.ModuleType:
    """The first Python block after ``heading`` on the page, imported as a module of its own."""
    text = PAGE.read_text()
    section = text[text.index(heading):]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, f"no Python block after {heading!r}"
    module = types.ModuleType(module_name)
    sys.modules[module_name] = module  # get_config and the registry resolve classes through their module
    exec(compile(code.group(1), f"{PAGE.name}: {heading}", "exec"), module.__dict__)  # noqa: S102
    return module


@pytest.fixture
def worked():
    layer = worked_example("### A worked layer", "nnfs_worked_layer").LearnableSwish
    optimizer = worked_example("### A worked optimizer", "nnfs_worked_optimizer").Signum
    registry.activations.register("learnable_swish", override=True)(layer)
    registry.optimizers.register("signum", override=True)(optimizer)
    yield layer, optimizer
    registry.activations.unregister("learnable_swish")
    registry.optimizers.unregister("signum")
    del sys.modules["nnfs_worked_layer"], sys.modules["nnfs_worked_optimizer"]


def test_the_worked_layer_and_optimizer_pass_the_kit(worked):
    layer, optimizer = worked
    check_layer(layer(0.5))
    check_optimizer(optimizer(0.01, beta=0.5))


def test_the_worked_components_train_by_name(worked):
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 5), dtype=np.float32), rng.integers(0, 3, 64)
    net = Network(layers=[{"name": "dense", "output_size": 8}, "learnable_swish", {"name": "dense", "output_size": 3}],
                  optimizer={"name": "signum", "learning_rate": 0.01}, loss="cross_entropy", seed=0)
    before = net.evaluate(x, y)["loss"]
    net.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert net.evaluate(x, y)["loss"] < before
