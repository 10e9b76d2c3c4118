"""The pack's own tests: the nnfs conformance kit over every component, and training by name."""

from __future__ import annotations

import numpy as np
from nnfs_example_pack import LogCosh

from nnfs_core import Network, registry
from nnfs_core.testing import check_distribution, parametrize_with_checks

DISTRIBUTION = "nnfs-example-pack"


@parametrize_with_checks([LogCosh()])
def test_conformance(component, check):
    check(component)


def test_every_entry_point_of_the_pack_conforms():
    assert check_distribution(DISTRIBUTION) == []


def test_values_match_the_definition_and_stay_finite():
    y_pred, y_true = np.array([[0.0, 1.0, -3.0, 800.0]]), np.zeros((1, 4))
    expected = np.mean([*np.log(np.cosh([0.0, 1.0, -3.0])), 800.0 - np.log(2.0)])  # cosh(800) overflows
    assert np.isclose(LogCosh().forward(y_pred, y_true), expected)


def test_a_network_uses_it_by_name():
    @registry.optimizers.register("example_pack_sgd", override=True)
    class PlainSGD:  # the core ships no optimizer; a tiny one keeps this test free of nnfs-optim
        learning_rate = 0.5

        def step(self, params, grads):
            for param, grad in zip(params, grads):
                param -= self.learning_rate * grad

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([[2.0], [-1.0], [0.5]], np.float32)
    net = Network(layers=[{"name": "dense", "output_size": 1}], optimizer="example_pack_sgd", loss="log_cosh", seed=0)
    net.fit(x, y, epochs=100, batch_size=16, verbose=0)
    assert net.evaluate(x, y)["loss"] < 1e-3
    registry.optimizers.unregister("example_pack_sgd")
