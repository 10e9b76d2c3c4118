"""The pack's own tests: the nnfs conformance kit over every component, and training by name."""

from __future__ import annotations

import numpy as np
from nnfs_example_pack import SignSGD

from nnfs_core import Network
from nnfs_core.testing import check_distribution, parametrize_with_checks

DISTRIBUTION = "nnfs-example-pack"


@parametrize_with_checks([SignSGD(), SignSGD(0.05, momentum=0.9)])
def test_conformance(component, check):
    check(component)


def test_every_entry_point_of_the_pack_conforms():
    assert check_distribution(DISTRIBUTION) == []


def test_a_network_trains_with_it_by_name():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 3)).astype(np.float32)
    y = x @ np.array([[2.0], [-1.0], [0.5]], np.float32)
    net = Network(layers=[{"name": "dense", "output_size": 1}], optimizer={"name": "sign_sgd", "learning_rate": 0.01},
                  loss="mse", seed=0)
    net.fit(x, y, epochs=60, batch_size=32, verbose=0)
    assert net.evaluate(x, y)["loss"] < 0.01


def test_the_first_step_moves_every_element_by_the_learning_rate():
    param, grad = np.zeros(3), np.array([0.5, -2.0, 1e-6])
    SignSGD(0.1).step([param], [grad])
    np.testing.assert_allclose(param, [-0.1, 0.1, -0.1])
