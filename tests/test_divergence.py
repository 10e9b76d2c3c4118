"""A diverging run stops with TrainingDivergedError and the weights keep their last finite values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.callbacks.lambda_callback import LambdaCallback
from nnfs_core.errors import ConfigError, NNFSError, TrainingDivergedError
from nnfs_core.protocols import BaseLayer


class _PoisonGradient(BaseLayer):
    """Identity forward; backward gives NaN gradients from the ``at``-th call on (finite loss, bad gradient)."""

    def __init__(self, at: int = 2) -> None:
        super().__init__()
        self.at, self.calls = at, 0

    def build(self, input_shape, *, rng, dtype):
        return input_shape

    def forward(self, x, *, training=False):
        return x

    def backward(self, grad):
        self.calls += 1
        return grad * np.nan if self.calls >= self.at else grad


def _data(n=12):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 4)).astype(np.float32), rng.integers(0, 3, n)


def _network(plain_sgd, *layers, **sgd):
    network = Network(layers=[{"name": "dense", "output_size": 3}, *layers], optimizer=plain_sgd(**sgd),
                      loss="cross_entropy", seed=0)
    network.build((4,))
    return network


def _weights(network):
    return [p.copy() for p in network.trainable_parameters()[0]]


def test_non_finite_gradients_are_not_applied(plain_sgd):
    network = _network(plain_sgd, _PoisonGradient(at=2))
    x, y = _data()
    with pytest.raises(TrainingDivergedError, match=r"gradients.*epoch 1, batch 2|epoch 1, batch 2.*gradients"):
        network.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    after_one = _network(plain_sgd)
    after_one.fit(x[:4], y[:4], epochs=1, batch_size=4, shuffle=False, verbose=0)
    for weight, expected in zip(_weights(network), _weights(after_one)):
        assert np.isfinite(weight).all()
        np.testing.assert_array_equal(weight, expected)  # exactly the weights after the one good step


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_an_update_that_overflows_stops_training_at_once_saying_the_weights_are_lost(plain_sgd):
    network = _network(plain_sgd, learning_rate=1e38)
    x, y = _data()
    seen = []
    callback = LambdaCallback(on_batch_end=lambda batch: seen.append(batch))
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, batch 1: the update made the weights NaN or "
                                                    r"infinite.*no longer usable.*last checkpoint"):
        network.fit(x * 1e3, y, epochs=1, batch_size=12, verbose=0, callbacks=[callback])
    assert seen == []  # no callback (a checkpoint among them) ever saw the overflowed weights
    assert not all(np.isfinite(weight).all() for weight in _weights(network))  # the message's claim


def test_train_on_batch_refuses_a_diverging_step_too(plain_sgd):
    network = _network(plain_sgd, _PoisonGradient(at=1))
    before = _weights(network)
    with pytest.raises(TrainingDivergedError):
        network.train_on_batch(*_data())
    for weight, expected in zip(_weights(network), before):
        np.testing.assert_array_equal(weight, expected)


@pytest.mark.parametrize("rate", [math.nan, math.inf, -math.inf, -0.1, "fast", None.__class__])
def test_fit_refuses_a_learning_rate_that_is_not_a_finite_number(plain_sgd, rate):
    network = _network(plain_sgd)
    before = _weights(network)
    with pytest.raises(NNFSError, match="learning_rate"):
        network.fit(*_data(), learning_rate=rate, verbose=0)
    for weight, expected in zip(_weights(network), before):
        np.testing.assert_array_equal(weight, expected)


def test_fit_accepts_numpy_learning_rates(plain_sgd):
    network = _network(plain_sgd)
    network.fit(*_data(), learning_rate=np.float32(0.01), verbose=0)
    assert network.optimizer.learning_rate == pytest.approx(0.01)


@pytest.mark.parametrize("rate", [math.nan, math.inf])
def test_optimizers_refuse_non_finite_learning_rates(plain_sgd, rate):
    with pytest.raises((ValueError, TypeError), match="learning_rate"):
        plain_sgd(learning_rate=rate)
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_all_finite_finds_every_nan_and_infinity_and_passes_huge_finite_values(dtype):
    from nnfs_core._finite_step import all_finite

    huge = np.finfo(dtype).max / 2  # its square overflows: the element-wise check must settle it
    arrays = [np.full((3, 5), huge, dtype), np.arange(7, dtype=dtype), np.zeros((0, 4), dtype)]
    assert all_finite(arrays)
    assert all_finite([np.arange(6).reshape(2, 3)])  # integer state is always finite
    for bad in (np.nan, np.inf, -np.inf):
        for index in range(3):
            broken = [array.copy() for array in arrays[:2]]
            broken[index % 2].reshape(-1)[index] = bad
            assert not all_finite(broken), (bad, index)
    strided = np.full((4, 6), 1.0, dtype)[:, ::2]
    strided[1, 1] = np.nan
    assert not all_finite([strided])
