"""Bad input to fit/evaluate/predict: a clear NNFSError naming the problem, and no weight touched."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.errors import NNFSError


@pytest.fixture
def net(plain_sgd):
    network = Network(layers=["flatten", {"name": "dense", "output_size": 3}], optimizer=plain_sgd(),
                      loss="cross_entropy", seed=0)
    network.build((4,))
    return network


def good():
    rng = np.random.default_rng(0)
    return rng.standard_normal((6, 4)).astype(np.float32), rng.integers(0, 3, 6)


def nan_x():
    x, y = good()
    x[2, 1] = np.nan
    return x, y


def inf_x():
    x, y = good()
    x[0, 0] = np.inf
    return x, y


CASES = {
    "mismatched lengths": (lambda: (good()[0], good()[1][:5]), {}, "same number of samples"),
    "empty data": (lambda: (np.zeros((0, 4)), np.zeros(0, int)), {}, "empty"),
    "wrong feature shape": (lambda: (np.zeros((6, 5)), good()[1]), {}, r"built for samples of shape \(4,\)"),
    "labels too large": (lambda: (good()[0], np.array([0, 1, 2, 3, 0, 1])), {}, "label"),
    "negative labels": (lambda: (good()[0], np.array([0, -1, 2, 0, 0, 1])), {}, "label"),
    "NaN in X": (nan_x, {}, "NaN"),
    "inf in X": (inf_x, {}, "NaN or infinite"),
    "batch_size 0": (good, {"batch_size": 0}, "batch_size"),
    "batch_size float": (good, {"batch_size": 2.5}, "batch_size"),
    "negative epochs": (good, {"epochs": -1}, "epochs"),
    "loss does not fit the output": (lambda: (good()[0], np.zeros((6, 7), np.float32)), {}, "CrossEntropy"),
    "text data": (lambda: (np.array([["a"] * 4] * 6), good()[1]), {}, "numbers"),
    "1-D X": (lambda: (np.zeros(6), good()[1]), {}, "batch first"),
    "bad validation_split": (good, {"validation_split": 1.5}, "validation_split"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_refuses_bad_input_before_touching_weights(net, case):
    make, kwargs, match = CASES[case]
    before = [p.copy() for p in net.trainable_parameters()[0]]
    x, y = make()
    with pytest.raises(NNFSError, match=match):
        net.fit(x, y, verbose=0, **{"epochs": 1, **kwargs})
    assert all(np.array_equal(a, b) for a, b in zip(before, net.trainable_parameters()[0]))


def test_bad_validation_data_is_refused_before_training(net):
    x, y = good()
    before = [p.copy() for p in net.trainable_parameters()[0]]
    with pytest.raises(NNFSError, match="validation X"):
        net.fit(x, y, validation_data=(np.zeros((3, 9)), y[:3]), verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.trainable_parameters()[0]))


def test_predict_and_evaluate_refuse_bad_input(net):
    with pytest.raises(NNFSError, match="batch_size"):
        net.predict(good()[0], batch_size=0)
    with pytest.raises(NNFSError, match="NaN"):
        net.predict(nan_x()[0])
    with pytest.raises(NNFSError, match="same number of samples"):
        net.evaluate(good()[0], good()[1][:2])


def test_fit_without_loss_or_optimizer_says_what_to_pass():
    network = Network(layers=[{"name": "dense", "output_size": 2}])
    with pytest.raises(NNFSError, match="no loss"):
        network.fit(*good(), verbose=0)
    network = Network(layers=[{"name": "dense", "output_size": 2}], loss="mse")
    with pytest.raises(NNFSError, match="no optimizer"):
        network.fit(*good(), verbose=0)
