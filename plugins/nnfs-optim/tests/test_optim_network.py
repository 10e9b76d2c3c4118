"""The pack through the Network on real data (the digits dataset): training converges, schedulers attach."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("nnfs_core.network")

from nnfs_core import Network, registry  # noqa: E402
from nnfs_core.datasets import load  # noqa: E402


class RateRecorder:
    """A callback noting the learning rate and momentum each batch is trained with."""

    def __init__(self):
        self.rates, self.momenta = [], []

    def on_batch_start(self, network):
        self.rates.append(network.optimizer.learning_rate)
        self.momenta.append(network.optimizer.momentum)


LAYERS = [{"name": "dense", "output_size": 32}, {"name": "dense", "output_size": 10}]


@pytest.fixture(scope="module")
def digits():
    # Dense maps the last axis, so the 8x8 images are given as 64 features.
    (x_train, y_train), (x_test, y_test) = load("digits")
    return x_train.reshape(len(x_train), -1), y_train, x_test.reshape(len(x_test), -1), y_test


def test_adam_trains_a_network_on_digits(digits):
    x_train, y_train, x_test, y_test = digits
    net = Network(layers=LAYERS, optimizer="adam", loss="cross_entropy", seed=0)
    history = net.fit(x_train, y_train, epochs=20, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.25 * losses[0]
    scores = net.evaluate(x_test, y_test)
    assert scores["accuracy"] >= 0.93, scores
    assert all(layer.params["weight"].dtype == np.float32 for layer in net.layers)
    assert net.optimizer.iterations == 20 * -(-len(x_train) // 32)


OPTIMIZERS = sorted(e.name for e in registry.optimizers.entries() if e.distribution == "nnfs-optim")


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_lowers_the_training_loss(digits, name):
    x_train, y_train, _, _ = digits
    optimizer = registry.optimizers.create(name, learning_rate=1e-3) if name == "lion" else name
    net = Network(layers=LAYERS, optimizer=optimizer, loss="cross_entropy", seed=0)
    losses = net.fit(x_train, y_train, epochs=4, batch_size=32, verbose=0).history["loss"]
    assert losses[-1] < 0.95 * losses[0], losses


def test_a_scheduler_given_to_the_network_steps_every_epoch(digits):
    x_train, y_train, _, _ = digits
    net = Network(layers=LAYERS, optimizer={"name": "sgd", "learning_rate": 0.1, "momentum": 0.9},
                  loss="cross_entropy", scheduler={"name": "step_lr", "step_size": 2, "gamma": 0.5}, seed=0)
    net.fit(x_train, y_train, epochs=5, batch_size=64, verbose=0)
    assert net.optimizer.learning_rate == pytest.approx(0.1 * 0.5**2)
    assert net.get_config()["scheduler"]["name"] == "step_lr"


def test_a_scheduler_passed_to_fit_as_a_callback(digits):
    x_train, y_train, x_test, y_test = digits
    scheduler = registry.schedulers.create("one_cycle_lr", max_lr=0.05)
    net = Network(layers=LAYERS, optimizer="sgd", loss="cross_entropy", seed=0)
    recorder = RateRecorder()
    net.fit(x_train, y_train, epochs=6, batch_size=32, callbacks=[scheduler, recorder], verbose=0)
    assert scheduler.cycle_length() == len(recorder.rates) == 6 * -(-len(x_train) // 32)
    assert recorder.rates[0] == pytest.approx(0.05 / 25) and max(recorder.rates) == pytest.approx(0.05)
    assert recorder.rates[-1] == pytest.approx(0.05 / 25 / 1e4)
    assert recorder.momenta[0] == pytest.approx(0.95) and min(recorder.momenta) == pytest.approx(0.85)
    assert net.evaluate(x_test, y_test)["accuracy"] >= 0.9


def test_reduce_lr_on_plateau_watches_the_validation_loss(digits):
    x_train, y_train, _, _ = digits
    scheduler = registry.schedulers.create("reduce_lr_on_plateau", patience=0, factor=0.5, threshold=0.5)
    net = Network(layers=LAYERS, optimizer="adam", loss="cross_entropy", seed=0)
    net.fit(x_train, y_train, epochs=3, batch_size=64, validation_split=0.2, callbacks=[scheduler], verbose=0)
    # threshold=0.5 (relative) means no epoch after the first counts as an improvement: two halvings.
    assert net.optimizer.learning_rate == pytest.approx(1e-3 * 0.25)
