"""BatchNorm in frozen layers (Keras semantics): a frozen BatchNorm, alone or inside a frozen block, normalises
with its running statistics and keeps them, unless built with ``update_stats_when_frozen=True`` (torch's
train-mode behaviour: batch statistics, running ones updated, weight and bias fixed)."""

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core._loop import forward
from nnfs_core.layers.batch_norm import BatchNorm
from nnfs_core.layers.dense import Dense


def _data(n=26):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 5)) * 3 + 1
    return x, (x[:, 0] + x[:, 1] > 2).astype(np.int64)


def _norm_net(plain_sgd, **batch_norm):
    return Network([Dense(6), BatchNorm(**batch_norm), "relu", Dense(2)], plain_sgd(0.1), "cross_entropy",
                   input_shape=(5,), dtype="float64", seed=1).build()


def test_a_frozen_batch_norm_keeps_its_running_statistics_and_uses_them(plain_sgd):
    net = _norm_net(plain_sgd)
    x, y = _data()
    net.fit(x, y, epochs=1, batch_size=8, verbose=0)  # running statistics away from (0, 1)
    net.freeze("layers.1")
    state = net.state_dict()
    net.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for name, value in net.named_state():
        np.testing.assert_array_equal(value, state[name], err_msg=name)
    for name in ("layers.1.weight", "layers.1.bias"):
        np.testing.assert_array_equal(dict(net.named_parameters())[name], state[name], err_msg=name)
    assert not np.array_equal(net.layers[0].params["weight"], state["layers.0.weight"])  # the rest trains
    norm = net.layers[1]
    h = net.layers[0].forward_pass(x, training=True)[0]
    np.testing.assert_array_equal(norm.forward_pass(h, training=True)[0], norm.forward_pass(h, training=False)[0])
    net.unfreeze("layers.1")
    net.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not np.array_equal(norm.state["running_mean"], state["layers.1.running_mean"])


def test_the_gradient_through_a_frozen_batch_norm_is_that_of_the_running_statistics(plain_sgd):
    net = _norm_net(plain_sgd)
    x, y = _data(8)
    net.fit(x, y, epochs=1, batch_size=4, verbose=0)
    net.freeze("layers.1")
    dense = net.layers[0]
    caches, output = [], x
    for layer in net.layers:
        output, cache = layer.forward_pass(output, training=True)
        caches.append(cache)
    grad = net.loss.backward_pass(net.loss.forward_pass(output, y)[1])
    for layer, cache in zip(reversed(net.layers), reversed(caches)):
        grad = layer.backward_pass(grad, cache)
    weight = dense.params["weight"]
    for index in [(0, 0), (3, 2), (5, 4)]:
        saved = weight[index]
        losses = []
        for step in (1e-6, -1e-6):
            weight[index] = saved + step
            losses.append(float(net.loss.forward(forward(net.layers, x, training=True), y)))
        weight[index] = saved
        assert dense.grads["weight"][index] == pytest.approx((losses[0] - losses[1]) / 2e-6, rel=1e-6, abs=1e-9)


def test_a_batch_norm_inside_a_frozen_block_keeps_its_statistics(plain_sgd):
    net = Network([{"name": "sequential", "layers": [{"name": "dense", "output_size": 6}, "batch_norm", "relu"]},
                   {"name": "dense", "output_size": 2}], plain_sgd(0.1), "cross_entropy", input_shape=(5,),
                  dtype="float64", seed=1).build()
    net.freeze("layers.0")
    block = net.layers[0]
    assert not block.trainable and not any(child.trainable for _, child in block.children())  # as Keras
    state = net.state_dict()
    net.fit(*_data(), epochs=1, batch_size=8, verbose=0)
    for name, value in net.state_dict().items():
        if name.startswith("layers.0."):
            np.testing.assert_array_equal(value, state[name], err_msg=name)
    net.unfreeze("layers.0")
    assert all(child.trainable for _, child in block.children())
    net.fit(*_data(), epochs=1, batch_size=8, verbose=0)
    assert not np.array_equal(dict(net.named_state())["layers.0.1.running_mean"], state["layers.0.1.running_mean"])


def test_trainable_false_on_a_block_reaches_the_layers_inside(plain_sgd):
    net = Network([{"name": "sequential", "layers": ["batch_norm"], "trainable": False}, Dense(2)], plain_sgd(0.1),
                  "cross_entropy", input_shape=(5,), dtype="float64", seed=1).build()
    assert not net.layers[0].children()[0][1].trainable
    state = net.state_dict()
    net.fit(*_data(), epochs=1, batch_size=8, verbose=0)
    np.testing.assert_array_equal(dict(net.named_state())["layers.0.0.running_var"], state["layers.0.0.running_var"])


def test_update_stats_when_frozen_keeps_torchs_behaviour(plain_sgd):
    net = _norm_net(plain_sgd, update_stats_when_frozen=True)
    net.freeze("layers.1")
    norm = net.layers[1]
    weight, mean = norm.params["weight"].copy(), norm.state["running_mean"].copy()
    x, y = _data()
    net.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not np.array_equal(norm.state["running_mean"], mean)
    np.testing.assert_array_equal(norm.params["weight"], weight)
    h = net.layers[0].forward_pass(x, training=True)[0]
    assert not np.allclose(norm.forward_pass(h, training=True)[0], norm.forward_pass(h, training=False)[0])
    assert norm.get_config()["update_stats_when_frozen"] is True
    rebuilt = Network.from_config(net.get_config())
    assert rebuilt.layers[1].update_stats_when_frozen is True and not rebuilt.layers[1].trainable


def test_update_stats_when_frozen_must_be_a_boolean():
    with pytest.raises(TypeError, match="update_stats_when_frozen must be True or False"):
        BatchNorm(update_stats_when_frozen="yes")
