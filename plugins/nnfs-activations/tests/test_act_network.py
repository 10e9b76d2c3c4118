"""The activations inside a Network, by name, as users write them (the optimizer is a tiny in-process SGD)."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.protocols import BaseOptimizer


class PlainSGD(BaseOptimizer):
    def __init__(self, learning_rate: float = 0.1) -> None:
        super().__init__(learning_rate)

    def update(self, param, grad, state):
        param -= param.dtype.type(self.learning_rate) * grad


@pytest.fixture
def sgd():
    registry.optimizers.register("act_test_sgd", override=True)(PlainSGD)
    yield "act_test_sgd"
    registry.optimizers.unregister("act_test_sgd")


def blobs(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    return (centres[labels] + 0.5 * rng.standard_normal((n, 2))).astype(np.float32), labels


def test_a_network_trains_with_activations_by_name_and_config(sgd):
    x, y = blobs()
    net = Network(
        layers=[
            {"name": "dense", "output_size": 16},
            "prelu",
            {"name": "dense", "output_size": 16, "activation": {"name": "leaky_relu", "negative_slope": 0.2}},
            "gelu",
            {"name": "dense", "output_size": 3},
        ],
        optimizer={"name": sgd, "learning_rate": 0.1},
        loss="cross_entropy",
        seed=0,
    )
    before = net.evaluate(x, y)["loss"]
    net.fit(x, y, epochs=30, batch_size=32, verbose=0)
    after = net.evaluate(x, y)
    assert after["loss"] < before / 4 and after["accuracy"] > 0.95
    prelu = net.layers[1]
    assert prelu.params["weight"].dtype == np.float32 and prelu.params["weight"][0] != 0.25  # it was trained
    layers = net.get_config()["layers"]
    assert layers[1] == {"name": "prelu", "num_parameters": 1, "init": 0.25}
    assert layers[2]["activation"] == {"name": "leaky_relu", "negative_slope": 0.2}
    assert layers[3] == {"name": "gelu", "approximate": "none"}
    assert Network.from_config(net.get_config()).get_config() == net.get_config()


def test_softmax_output_layer_gives_probabilities():
    x, _ = blobs(20)
    net = Network(layers=[{"name": "dense", "output_size": 3}, "softmax"], seed=0)
    p = net.predict(x)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-6)
