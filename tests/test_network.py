"""The Network: building, fitting, predicting, evaluating, describing, configs and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.callbacks.lambda_callback import LambdaCallback
from nnfs_core.datasets import load
from nnfs_core.errors import ComponentNotFoundError, ConfigError, ShapeError
from nnfs_core.layers.dense import Dense
from nnfs_core.layers.reshape import Reshape
from nnfs_core.protocols import BaseLayer


def mlp(plain_sgd, **kwargs):
    default = ["flatten", {"name": "dense", "output_size": 16}, {"name": "dense", "output_size": 10}]
    layers = kwargs.pop("layers", default)
    return Network(layers=layers, optimizer=plain_sgd(0.1), loss="cross_entropy", **kwargs)


@pytest.fixture(scope="module")
def digits():
    return load("digits")


def test_both_seed_forms_build_the_same_network(plain_sgd):
    listed = Network(layers=[Reshape((1, 16), input_shape=(4, 4)), Dense(3)], optimizer=plain_sgd(), loss="mse", seed=1)
    added = Network(optimizer=plain_sgd(), loss="mse", seed=1)
    added.add(Reshape((1, 16)), (4, 4))
    added.add(Dense(3))
    x = np.random.default_rng(0).standard_normal((5, 4, 4))
    np.testing.assert_array_equal(listed.predict(x), added.predict(x))
    assert listed.predict(x).shape == (5, 1, 3)


def test_shape_inference_and_a_shape_error_naming_layer_and_shapes(plain_sgd):
    net = mlp(plain_sgd, layers=[{"name": "dense", "output_size": 4}, {"name": "reshape", "target_shape": (3,)}])
    with pytest.raises(ShapeError, match=r"layer 1 \(Reshape\).*\(4,\)"):
        net.build((5,))
    net = mlp(plain_sgd, input_shape=(1, 8, 8))
    with pytest.raises(ShapeError, match=r"built for samples of shape \(1, 8, 8\).*\(64,\)"):
        net.predict(np.zeros((2, 64)))


def test_fit_learns_digits_to_high_accuracy(plain_sgd, digits):
    (x, y), (x_test, y_test) = digits
    net = mlp(plain_sgd, layers=["flatten", {"name": "dense", "output_size": 64}, "batch_norm",
                                 {"name": "dense", "output_size": 10}], seed=0)
    history = net.fit(x, y, epochs=15, batch_size=32, validation_split=0.1, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 15 and history.history["loss"][-1] < history.history["loss"][0]
    assert net.evaluate(x_test, y_test)["accuracy"] >= 0.93


def test_same_seed_same_data_gives_bit_identical_weights(plain_sgd, digits):
    (x, y), _ = digits

    def train(seed):
        net = mlp(plain_sgd, layers=["flatten", {"name": "dense", "output_size": 16}, {"name": "dropout", "rate": 0.2},
                                     {"name": "dense", "output_size": 10}], seed=seed)
        net.fit(x[:300], y[:300], epochs=2, batch_size=16, verbose=0)
        return [p.copy() for p in net.trainable_parameters()[0]]

    first, second, other = train(3), train(3), train(4)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


def test_batches_keep_the_last_partial_one_and_are_views_without_shuffle(plain_sgd):
    seen = []

    class Spy(BaseLayer):
        def forward(self, x, *, training=False):
            if training:
                seen.append(x)
            return x

        def backward(self, grad):
            return grad

    x = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    net = Network(layers=[Spy(), Dense(2)], optimizer=plain_sgd(), loss="mse", seed=0)
    sizes = []
    net.fit(x, np.zeros((10, 2)), epochs=1, batch_size=4, shuffle=False, verbose=0,
            callbacks=[LambdaCallback(on_batch_end=lambda logs: sizes.append(logs["size"]))])
    assert sizes == [4, 4, 2]
    assert all(np.shares_memory(batch, x) for batch in seen)


def test_train_on_batch_predict_and_evaluate(plain_sgd, digits):
    (x, y), _ = digits
    net = mlp(plain_sgd, seed=0)
    loss = net.train_on_batch(x[:32], y[:32])
    assert isinstance(loss, float) and loss > 0
    full = net.predict(x[:100], batch_size=100)
    np.testing.assert_allclose(net.predict(x[:100], batch_size=7), full, rtol=1e-5, atol=1e-6)  # BLAS blocking
    scores = net.evaluate(x[:100], y[:100], batch_size=13)
    assert set(scores) == {"loss", "accuracy"}
    assert scores["accuracy"] == pytest.approx(np.mean(full.argmax(1) == y[:100]))


def test_predict_is_reentrant(plain_sgd, digits):
    (x, _), _ = digits
    net = mlp(plain_sgd, seed=0)
    first = net.predict(x[:50])
    net.predict(x[50:200])
    np.testing.assert_array_equal(net.predict(x[:50]), first)


def test_frozen_layers_are_left_alone(plain_sgd, digits):
    (x, y), _ = digits
    net = mlp(plain_sgd, seed=0)
    net.build(x.shape[1:])
    net.layers[1].trainable = False
    frozen = net.layers[1].params["weight"].copy()
    moving = net.layers[2].params["weight"].copy()
    net.fit(x[:64], y[:64], epochs=1, verbose=0)
    np.testing.assert_array_equal(net.layers[1].params["weight"], frozen)
    assert not np.array_equal(net.layers[2].params["weight"], moving)


def test_summary_lists_layers_shapes_and_totals(plain_sgd):
    net = mlp(plain_sgd, input_shape=(1, 8, 8))
    text = net.summary()
    assert "Flatten" in text and "(None, 64)" in text and "(None, 10)" in text
    assert "Total params: 1,210" in text  # 64*16+16 + 16*10+10


def test_config_round_trip_by_registry_names(plain_sgd):
    net = mlp(plain_sgd, input_shape=(1, 8, 8), seed=5)
    config = net.get_config()
    assert [layer["name"] for layer in config["layers"]] == ["flatten", "dense", "dense"]
    assert config["optimizer"]["name"] == "plain_sgd" and config["loss"]["name"] == "cross_entropy"
    again = Network.from_config(config)
    x = np.random.default_rng(0).random((3, 1, 8, 8))
    np.testing.assert_array_equal(again.predict(x), net.predict(x))
    with pytest.raises(ConfigError, match="unknown keys"):
        Network.from_config({**config, "epochs": 3})


def test_the_seed_fit_form_and_learning_rate(plain_sgd, digits):
    (x, y), _ = digits
    net = mlp(plain_sgd, seed=0)
    net.fit((x[:64], y[:64]), learning_rate=0.001, epochs=1, batch_size=32, verbose=0)
    assert net.optimizer.learning_rate == 0.001


def test_dtype_float64_end_to_end(plain_sgd, digits):
    (x, y), _ = digits
    net = mlp(plain_sgd, dtype="float64", seed=0)
    net.fit(x[:64], y[:64], epochs=1, verbose=0)
    assert all(p.dtype == np.float64 for p in net.trainable_parameters()[0])
    assert net.predict(x[:4]).dtype == np.float64
    with pytest.raises(ConfigError, match="floating"):
        Network(dtype="int32")


def test_optimizer_by_name_needs_the_pack():
    if "sgd" in registry.optimizers:
        net = Network(layers=[Dense(2)], optimizer="sgd", loss="mse")
        assert type(net.optimizer).__name__ == "SGD"
    else:
        with pytest.raises(ComponentNotFoundError, match="pip install nnfs-optim"):
            Network(layers=[Dense(2)], optimizer="sgd", loss="mse")


def test_unknown_layer_name_suggests_the_closest(plain_sgd):
    with pytest.raises(ComponentNotFoundError, match="Did you mean 'dense'"):
        Network(layers=["dens"], optimizer=plain_sgd(), loss="mse")
