"""What backward needs belongs to the forward call that made it (docs/architecture.md, "The life of a
training step"): inference calls, other forwards and other threads between a training forward and its
backward never change the gradients."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.protocols import STATEFUL, BaseLayer, run_backward, run_forward
from nnfs_core.testing import ConformanceError, check_layer


class Square(BaseLayer):
    """y = x * x, its cache the input: right."""

    example_input_shape = (4,)

    def forward_pass(self, x, *, training=False):
        return x * x, x

    def backward_pass(self, grad, x):
        return 2 * x * grad


class SquareKeepingState(Square):
    """y = x * x, but backward reads the input of the *last* forward from the layer: wrong."""

    def forward_pass(self, x, *, training=False):
        self._x = x
        return x * x, None

    def backward_pass(self, grad, cache):
        return 2 * self._x * grad


class FirstReleaseSquare(BaseLayer):
    """The first release's protocol: the layer keeps its input itself."""

    example_input_shape = (4,)

    def forward(self, x, *, training=False):
        self._x = x
        return x * x

    def backward(self, grad):
        return 2 * self._x * grad


@pytest.fixture
def registered():
    names = []

    def register(cls):
        registry.layers.register(cls.__name__.lower(), override=True)(cls)
        names.append(cls.__name__.lower())
        return cls

    yield register
    for name in names:
        registry.layers.unregister(name)


def test_the_kit_catches_a_layer_whose_backward_reads_state_a_later_forward_overwrote(registered):
    check_layer(registered(Square)())
    with pytest.raises(ConformanceError, match="check_cache_owned_by_its_forward.*keep what backward needs"):
        check_layer(registered(SquareKeepingState)())


def test_first_release_layers_still_pass_the_kit_and_train(registered, plain_sgd):
    layer = registered(FirstReleaseSquare)()
    check_layer(layer)
    y, cache = run_forward(layer, np.ones((2, 4)), training=True)
    assert cache is STATEFUL
    np.testing.assert_array_equal(run_backward(layer, np.ones((2, 4)), cache), 2 * np.ones((2, 4)))
    net = Network([FirstReleaseSquare(), {"name": "dense", "output_size": 1}], loss="mse", optimizer="plain_sgd",
                  input_shape=(4,), seed=0, dtype="float64").build()
    before = net.layers[1].params["weight"].copy()
    net.train_on_batch(np.ones((3, 4)), np.zeros((3, 1)))
    assert not np.array_equal(before, net.layers[1].params["weight"])


def test_new_layers_still_answer_the_first_release_calls():
    layer = Square()
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(layer.forward(x), x * x)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), 2 * x)
    with pytest.raises(RuntimeError, match="needs a forward first"):
        Square().backward(np.ones_like(x))


class PredictInTheMiddle(BaseLayer):
    """Identity that, during a training forward, runs an inference pass of the whole network on other data -
    as a callback or another thread might between a training step's forward and its backward."""

    example_input_shape = (4,)

    def __init__(self):
        super().__init__()
        self.network = None

    def forward_pass(self, x, *, training=False):
        if training and self.network is not None:
            self.network.predict(np.random.default_rng(3).standard_normal((5, 4)) * 10)
        return x, None

    def backward_pass(self, grad, cache):
        return grad


@pytest.mark.parametrize("backend", ["cpu", "numpy"])
def test_an_inference_pass_during_a_training_step_changes_no_gradient(plain_sgd, backend):
    def network(meddling):
        first = PredictInTheMiddle()
        layers = [{"name": "dense", "output_size": 6}, {"name": "batch_norm"}, "identity",
                  first, {"name": "dense", "output_size": 6, "activation": None}, {"name": "layer_norm"},
                  {"name": "dense", "output_size": 3}]
        net = Network(layers, loss="cross_entropy", optimizer="plain_sgd", input_shape=(4,), seed=0, dtype="float64",
                      ops=backend).build()
        if meddling:
            first.network = net
        return net

    x, y = np.random.default_rng(1).standard_normal((8, 4)), np.arange(8) % 3
    quiet, meddled = network(False), network(True)
    quiet.train_on_batch(x, y)
    meddled.train_on_batch(x, y)
    for a, b in zip(quiet.layers, meddled.layers):
        for name in a.grads:
            np.testing.assert_array_equal(b.grads[name], a.grads[name])
        for name in a.params:
            np.testing.assert_array_equal(b.params[name], a.params[name])
