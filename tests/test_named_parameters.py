"""Named parameters: paths, state_dict/load_state_dict (torch semantics), freezing, optimizer state by name,
and optimizers of the first release (lists, state by position) still driven."""

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.errors import ConfigError, ModelFormatError, ShapeError
from nnfs_core.layers.dense import Dense
from nnfs_core.protocols import BaseOptimizer


class Momentum(BaseOptimizer):
    """Heavy-ball momentum whose state (one buffer per parameter) shows whose state is whose."""

    def __init__(self, learning_rate=0.1, *, momentum=0.9, param_groups=None):
        super().__init__(learning_rate, param_groups=param_groups)
        self.momentum = momentum

    def update(self, param, grad, state):
        buffer = state.setdefault("velocity", np.zeros_like(param))
        buffer *= self.momentum
        buffer += grad
        param -= self.learning_rate * buffer


class ListOnly:
    """An optimizer of the first release: no base class, step over two lists, state by position."""

    def __init__(self):
        self.learning_rate = 0.1
        self.shapes = {}

    def step(self, params, grads):
        for index, (param, grad) in enumerate(zip(params, grads)):
            self.shapes.setdefault(index, param.shape)
            param -= self.learning_rate * grad

    def state_dict(self):
        return {"learning_rate": self.learning_rate}

    def load_state_dict(self, state):
        self.learning_rate = state["learning_rate"]

    def get_config(self):
        return {}


def data(n=32):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4))
    return x, (x[:, 0] > 0).astype(np.int64)


def mlp(optimizer=None, **kwargs):
    net = Network([Dense(6), "batch_norm", "relu", Dense(6), "tanh", Dense(2)], optimizer or Momentum(),
                  "cross_entropy", input_shape=(4,), dtype="float64", seed=0, **kwargs)
    return net.build()


def test_every_parameter_and_state_array_has_a_path():
    net = mlp()
    assert [name for name, _ in net.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.3.weight", "layers.3.bias",
        "layers.5.weight", "layers.5.bias"]
    assert [name for name, _ in net.named_state()] == ["layers.1.running_mean", "layers.1.running_var"]
    assert next(iter(net.parameters())) is net.layers[0].params["weight"]


def test_state_dict_round_trips_into_another_network():
    source, target = mlp(), Network([Dense(6), "batch_norm", "relu", Dense(6), "tanh", Dense(2)],
                                    input_shape=(4,), dtype="float64", seed=9).build()
    source.fit(*data(), epochs=1, verbose=0)
    state = source.state_dict()
    assert list(state)[-2:] == ["layers.1.running_mean", "layers.1.running_var"]
    assert state["layers.0.weight"] is not source.layers[0].params["weight"]  # a copy
    assert target.load_state_dict(state) == ([], [])
    np.testing.assert_array_equal(target.predict(data()[0]), source.predict(data()[0]))


def test_load_state_dict_reports_missing_and_unexpected_keys_and_changes_nothing():
    net = mlp()
    before = net.state_dict()
    state = net.state_dict()
    del state["layers.5.bias"]
    state["layers.9.weight"] = np.zeros(3)
    state["layers.0.weight"] = state["layers.0.weight"] + 1
    with pytest.raises(ModelFormatError,
                       match=r"missing keys \['layers.5.bias'\].*unexpected keys \['layers.9.weight'\]"):
        net.load_state_dict(state)
    assert all(np.array_equal(value, before[name]) for name, value in net.state_dict().items())
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert (missing, unexpected) == (["layers.5.bias"], ["layers.9.weight"])
    np.testing.assert_array_equal(net.layers[0].params["weight"], before["layers.0.weight"] + 1)


def test_load_state_dict_checks_every_shape_before_copying_anything():
    net = mlp()
    before = net.state_dict()
    state = {name: value + 1 for name, value in before.items()}
    state["layers.5.bias"] = np.zeros(3)
    with pytest.raises(ShapeError, match=r"'layers.5.bias' has shape \(3,\) in the state dict but \(2,\)"):
        net.load_state_dict(state, strict=False)
    assert all(np.array_equal(value, before[name]) for name, value in net.state_dict().items())


def test_freezing_a_layer_keeps_every_other_parameters_own_optimizer_state():
    """The review's demonstration: with state by position, freezing layer 0 handed its state to layer 3."""
    net = mlp()
    net.fit(*data(), epochs=1, batch_size=8, verbose=0)
    velocity = {name: entries["velocity"].copy() for name, entries in net.optimizer.state.items()}
    frozen = net.layers[0].params["weight"].copy()
    assert net.freeze("layers.0") == ["layers.0"]
    net.train_on_batch(*data(8))
    np.testing.assert_array_equal(net.layers[0].params["weight"], frozen)
    np.testing.assert_array_equal(net.optimizer.state["layers.0.weight"]["velocity"], velocity["layers.0.weight"])
    # layers.1's buffer went on from its own value: momentum * old + new gradient
    grad = net.layers[1].grads["weight"]
    np.testing.assert_allclose(net.optimizer.state["layers.1.weight"]["velocity"],
                               0.9 * velocity["layers.1.weight"] + grad, rtol=1e-12)


def test_freeze_and_unfreeze_take_patterns_and_refuse_one_matching_nothing():
    net = mlp()
    assert net.freeze("layers.[0-3]") == ["layers.0", "layers.1", "layers.2", "layers.3"]
    assert [layer.trainable for layer in net.layers] == [False] * 4 + [True] * 2
    assert net.unfreeze("layers.1") == ["layers.1"]
    with pytest.raises(ConfigError, match="'layers.0.bias' matches no layer"):
        net.freeze("layers.0.bias")
    net.freeze()
    assert not any(layer.trainable for layer in net.layers)
    assert net.trainable_parameters() == ([], [])


def test_trainable_in_a_layer_config_freezes_it_and_round_trips():
    net = Network([{"name": "dense", "output_size": 3, "trainable": False}, {"name": "dense", "output_size": 2}],
                  input_shape=(4,))
    assert [layer.trainable for layer in net.layers] == [False, True]
    config = net.get_config()
    assert config["layers"][0]["trainable"] is False and "trainable" not in config["layers"][1]
    assert [layer.trainable for layer in Network.from_config(config).layers] == [False, True]
    with pytest.raises(ConfigError, match="trainable must be true or false"):
        Network([{"name": "dense", "output_size": 3, "trainable": "no"}])


def test_summary_counts_trainable_and_frozen_parameters():
    net = mlp()
    net.freeze("layers.0")
    text = net.summary()
    assert "Trainable params: 68" in text and "Non-trainable params: 30" in text


def test_an_optimizer_of_the_first_release_gets_lists_and_a_warning_when_freezing_moves_positions():
    net = mlp(ListOnly())
    net.fit(*data(), epochs=1, verbose=0)
    assert net.optimizer.shapes[0] == (6, 4)
    net.freeze("layers.0")
    with pytest.warns(UserWarning, match="can only keep its state by position"):
        net.fit(*data(), epochs=1, verbose=0)


def test_a_base_optimizer_overriding_step_is_handed_lists():
    class Clipped(Momentum):
        def step(self, params, grads):
            assert isinstance(params, list)
            super().step(params, grads)

    net = mlp(Clipped())
    net.fit(*data(), epochs=1, verbose=0)
    assert sorted(net.optimizer.state) == [str(index) for index in range(8)]


def test_param_groups_give_per_pattern_hyperparameters():
    net = mlp(Momentum(0.1, param_groups=[{"params": "layers.*.bias", "learning_rate": 0.0}]))
    biases = {name: value.copy() for name, value in net.named_parameters() if name.endswith("bias")}
    net.fit(*data(), epochs=1, verbose=0)
    named = dict(net.named_parameters())
    assert all(np.array_equal(named[name], value) for name, value in biases.items())
    assert not np.array_equal(named["layers.0.weight"], mlp().layers[0].params["weight"])


@pytest.mark.parametrize(("groups", "message"), [
    ([{"params": "layers.*.gamma", "learning_rate": 0.0}], r"param_groups\[0\] pattern 'layers.\*.gamma' matches no"),
    ([{"params": "layers.0", "lr": 0.0}], "spells torch's lr as learning_rate"),
    ([{"params": "layers.0.*"}, {"params": "layers.0.bias"}], "'layers.0.bias' is selected by param_groups 0 and 1"),
    ([{"weight_decay": 0}], "must be a dict with a 'params' key"),
])
def test_param_group_mistakes_are_named(groups, message):
    with pytest.raises(ConfigError, match=message):
        mlp(Momentum(param_groups=groups)).fit(*data(), epochs=1, verbose=0)
