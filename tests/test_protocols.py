"""Protocols and base classes: what a layer, loss, optimizer and scheduler are; configs from signatures."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core._config import to_jsonable
from nnfs_core.errors import ConfigError
from nnfs_core.protocols import (
    BaseCallback,
    BaseLayer,
    BaseLoss,
    BaseOptimizer,
    BaseScheduler,
    Layer,
    Loss,
    Optimizer,
    Scheduler,
)

# -- runtime-checkable protocols -------------------------------------------------------------------------------


class Doubler(BaseLayer):
    def forward(self, x, *, training=False):
        return 2 * x

    def backward(self, grad):
        return 2 * grad


class DuckLayer:
    """No nnfs base class at all: the protocol is about members."""

    def __init__(self):
        self.params = {}
        self.grads = {}

    def build(self, input_shape, *, rng, dtype):
        return input_shape

    def forward(self, x, *, training=False):
        return x

    def backward(self, grad):
        return grad

    def get_config(self):
        return {}


class DuckLoss:
    def forward(self, y_pred, y_true):
        return 0.0

    def backward(self, y_pred, y_true):
        return np.zeros_like(y_pred)

    def get_config(self):
        return {}


class DuckOptimizer:
    learning_rate = 0.1

    def step(self, params, grads):
        pass

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass

    def get_config(self):
        return {}


class Halving(BaseScheduler):
    def get_lr(self):
        return self.base_lr * 0.5**self.last_step


class Sgd(BaseOptimizer):
    def update(self, param, grad, state):
        state["steps"] = state.get("steps", np.zeros(())) + 1
        param -= self.learning_rate * grad


def test_base_classes_and_duck_types_satisfy_the_protocols():
    assert isinstance(Doubler(), Layer) and isinstance(BaseLayer(), Layer) and isinstance(DuckLayer(), Layer)
    assert isinstance(BaseLoss(), Loss) and isinstance(DuckLoss(), Loss)
    assert isinstance(Sgd(0.1), Optimizer) and isinstance(DuckOptimizer(), Optimizer)
    assert isinstance(Halving(), Scheduler)


def test_objects_missing_a_member_do_not_satisfy_the_protocols():
    class NoBackward:
        def __init__(self):
            self.params, self.grads = {}, {}

        build = forward = get_config = DuckLayer.forward

    assert not isinstance(NoBackward(), Layer)
    NoBackward.backward = DuckLayer.backward
    assert isinstance(NoBackward(), Layer)

    class NoParams:
        build = forward = backward = get_config = DuckLayer.forward

    assert not isinstance(NoParams(), Layer)
    assert not isinstance(DuckLoss(), Optimizer)
    assert not isinstance(DuckOptimizer(), Loss)
    assert not isinstance(object(), Layer)


def test_a_layer_that_skips_the_base_init_has_no_params_and_is_not_a_layer():
    # Documented consequence: BaseLayer.__init__ creates params/grads; a subclass must call super().__init__().
    class Forgetful(BaseLayer):
        def __init__(self, size):
            self.size = size

    assert not isinstance(Forgetful(3), Layer)


# -- base classes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("base", [BaseLayer, BaseLoss, BaseScheduler, BaseCallback])
def test_base_constructors_never_raise(base):
    base()


def test_base_optimizer_constructor_only_checks_its_arguments():
    Sgd(0.0)
    Sgd(0.1, clip_norm=1.0, clip_value=0.5)
    with pytest.raises(ValueError, match="learning_rate"):
        Sgd(-1.0)
    with pytest.raises(TypeError, match="learning_rate"):
        Sgd("fast")


def test_subclasses_that_do_not_implement_methods_can_still_be_made():
    class Unfinished(BaseLayer):
        pass

    layer = Unfinished()  # constructing never raises NotImplementedError ...
    with pytest.raises(NotImplementedError, match="Unfinished does not implement forward"):
        layer.forward(np.zeros((1, 2)))  # ... calling what is missing does, naming the class
    with pytest.raises(NotImplementedError, match="Unfinished does not implement backward"):
        layer.backward(np.zeros((1, 2)))
    with pytest.raises(NotImplementedError, match="does not implement forward"):
        BaseLoss().forward(np.zeros(1), np.zeros(1))
    with pytest.raises(NotImplementedError, match="does not implement update"):
        BaseOptimizer(0.1).step([np.zeros(1)], [np.zeros(1)])
    with pytest.raises(NotImplementedError, match="does not implement get_lr"):
        BaseScheduler().get_lr()


def test_base_layer_build_is_identity_and_records_shape_and_dtype():
    layer = BaseLayer()
    assert (layer.params, layer.grads, layer.state, layer.built) == ({}, {}, {}, False)
    assert layer.build((3, np.int64(4)), rng=np.random.default_rng(0), dtype="float64") == (3, 4)
    assert (layer.input_shape, layer.output_shape, layer.dtype, layer.built) == ((3, 4), (3, 4), np.float64, True)
    assert all(type(size) is int for size in layer.input_shape)


def test_zero_grads():
    layer = BaseLayer()
    layer.grads["weight"] = np.ones((2, 2))
    layer.zero_grads()
    assert not layer.grads["weight"].any()


def test_base_optimizer_steps_and_state_dict_round_trip():
    optimizer = Sgd(0.5)
    params, grads = [np.ones(2), np.ones(3)], [np.full(2, 2.0), np.full(3, 4.0)]
    optimizer.step(params, grads)
    np.testing.assert_allclose(params[0], [0.0, 0.0])
    np.testing.assert_allclose(params[1], [-1.0, -1.0, -1.0])

    state = optimizer.state_dict()
    assert state["learning_rate"] == 0.5 and state["iterations"] == 1 and set(state["state"]) == {"0", "1"}
    restored = Sgd(0.1)
    restored.load_state_dict(state)
    assert (restored.learning_rate, restored.iterations) == (0.5, 1)
    assert restored.state["1"]["steps"] == 1 and restored.state["1"]["steps"] is not optimizer.state["1"]["steps"]


def test_base_optimizer_clips_by_value_and_by_global_norm():
    grads = [np.array([3.0, -10.0])]
    Sgd(1.0, clip_value=2.0).step([np.zeros(2)], grads)
    np.testing.assert_allclose(grads[0], [2.0, -2.0])

    grads = [np.array([3.0]), np.array([4.0])]  # global norm 5
    Sgd(1.0, clip_norm=1.0).step([np.zeros(1), np.zeros(1)], grads)
    np.testing.assert_allclose([grads[0][0], grads[1][0]], [0.6, 0.8], rtol=1e-5)


def test_base_scheduler_attaches_and_steps_the_learning_rate():
    optimizer, scheduler = Sgd(0.8), Halving()
    scheduler.attach(optimizer)
    assert (scheduler.base_lr, optimizer.learning_rate) == (0.8, 0.8)
    scheduler.step()
    scheduler.step()
    assert optimizer.learning_rate == pytest.approx(0.2)
    again = Halving()
    again.load_state_dict(scheduler.state_dict())
    again.attach(Sgd(1.0))
    assert again.optimizer.learning_rate == pytest.approx(0.2)


# -- get_config from the constructor's signature ---------------------------------------------------------------


HALF = np.float32(0.5)


class Configured(BaseLayer):
    def __init__(self, units, kernel_size=(3, 3), *, activation=None, scale=HALF, options=None, **extra):
        super().__init__()
        self.units = units
        self.kernel_size = kernel_size
        self.activation = activation
        self.scale = scale
        self.options = options


def test_get_config_reads_the_constructor_arguments_back():
    layer = Configured(np.int64(8), (5, 5), activation="relu", options={1: (2, 3)})
    config = layer.get_config()
    assert config == {
        "units": 8, "kernel_size": [5, 5], "activation": "relu", "scale": 0.5, "options": {"1": [2, 3]}
    }
    assert type(config["units"]) is int and type(config["scale"]) is float
    assert json.loads(json.dumps(config)) == config


def test_get_config_round_trips_through_the_constructor():
    layer = Configured(4, activation="tanh")
    rebuilt = Configured.from_config(layer.get_config())
    assert type(rebuilt) is Configured and rebuilt.get_config() == layer.get_config()
    assert Configured(**json.loads(json.dumps(layer.get_config()))).get_config() == layer.get_config()


def test_repr_shows_the_config():
    assert repr(Configured(2)) == (
        "Configured(units=2, kernel_size=[3, 3], activation=None, scale=0.5, options=None)"
    )


def test_a_registered_component_argument_becomes_its_config(clean_registry):
    registry.activations.register("doubler_for_config_test")(Doubler)
    layer = Configured(2, activation=Doubler())
    assert layer.get_config()["activation"] == {"name": "doubler_for_config_test"}


def test_an_unregistered_component_argument_is_a_clear_error(clean_registry):
    with pytest.raises(ConfigError, match="not registered"):
        Configured(2, activation=Doubler()).get_config()


@pytest.mark.parametrize(
    "value", [np.zeros(3), object(), {1, 2}, lambda x: x, b"bytes", 1 + 2j], ids=type
)
def test_values_that_are_not_json_are_a_clear_error(value):
    with pytest.raises(ConfigError) as caught:
        Configured(2, options=value).get_config()
    message = str(caught.value)
    assert "Configured.options" in message and type(value).__name__ in message
    assert isinstance(caught.value, ValueError)


def test_to_jsonable_names_where_the_value_came_from():
    assert to_jsonable((1, [np.float64(2.5), None, True]), "x") == [1, [2.5, None, True]]
    with pytest.raises(ConfigError, match=r"Thing\.arg = .*cannot be written to a config"):
        to_jsonable([1, object()], "Thing.arg")


def test_a_missing_attribute_for_an_argument_is_an_attribute_error():
    # get_config reads self.<argument>: a subclass that stores an argument under another name is told so.
    class Renamed(BaseLayer):
        def __init__(self, size):
            super().__init__()
            self._size = size

    with pytest.raises(AttributeError, match="size"):
        Renamed(3).get_config()
