"""ReLU recycles its training output and input gradient only when nobody else holds them."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from nnfs_core import Network, registry

needs_refcounts = pytest.mark.skipif(not hasattr(sys, "getrefcount"), reason="recycling needs CPython's refcounts")


def built_relu(shape=(4, 3)):
    layer = registry.activations.create("relu")
    layer.build(shape[1:], rng=np.random.default_rng(0), dtype=np.float32)
    return layer


def test_outputs_and_gradients_the_caller_keeps_are_never_overwritten():
    layer = built_relu()
    rng = np.random.default_rng(1)
    x1, x2 = rng.standard_normal((2, 4, 3), dtype=np.float32)
    y1 = layer.forward(x1, training=True)
    g1 = layer.backward(np.ones_like(y1))
    y1_copy, g1_copy = y1.copy(), g1.copy()
    y2 = layer.forward(x2, training=True)
    g2 = layer.backward(np.full_like(y2, 2.0))
    np.testing.assert_array_equal(y1, y1_copy)
    np.testing.assert_array_equal(g1, g1_copy)
    assert y2 is not y1 and g2 is not g1
    np.testing.assert_array_equal(y2, np.maximum(x2, 0))
    np.testing.assert_array_equal(g2, 2.0 * (x2 > 0))


def test_a_view_of_an_output_keeps_it_alive():
    layer = built_relu()
    x = np.arange(-6, 6, dtype=np.float32).reshape(4, 3)
    view = layer.forward(x, training=True)[1:]
    before = view.copy()
    layer.forward(-x, training=True)
    np.testing.assert_array_equal(view, before)


@needs_refcounts
def test_arrays_nobody_holds_are_recycled_in_training_only():
    layer = built_relu()
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    first = id(layer.forward(x, training=True))
    assert id(layer.forward(x, training=True)) == first
    grad = id(layer.backward(np.ones((4, 3), np.float32)))
    assert id(layer.backward(np.ones((4, 3), np.float32))) == grad
    kept = layer.forward(x, training=False)
    assert layer.forward(x, training=False) is not kept


def network():
    # BatchNorm keeps x_hat, not its input: nothing holds the ReLU's output after a step, so it is recycled
    layers = [{"name": "dense", "output_size": 8}, "relu", "batch_norm", {"name": "dense", "output_size": 3}]
    return Network(layers=layers,
                   optimizer={"name": "sgd", "learning_rate": 0.1, "momentum": 0.9}, loss="cross_entropy",
                   input_shape=(6,), seed=0)


@needs_refcounts
def test_the_network_steps_reuse_the_relu_arrays():
    net = network()
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 6), dtype=np.float32), rng.integers(0, 3, 16)
    net.train_on_batch(x, y)
    spares = {key: id(value) for key, value in net.layers[1]._spares.items()}
    net.train_on_batch(x, y)
    assert {key: id(value) for key, value in net.layers[1]._spares.items()} == spares


def test_training_with_recycling_is_bit_identical_to_training_without():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 6), dtype=np.float32), rng.integers(0, 3, 64)

    def trained(recycle):
        net = network()
        net.build()
        if not recycle:
            net.layers[1]._spare = lambda key, shape, dtype: np.empty(shape, dtype)
        net.fit(x, y, epochs=3, batch_size=16, verbose=0)
        return [value for layer in net.layers for value in layer.params.values()]

    for recycled, fresh in zip(trained(True), trained(False)):
        np.testing.assert_array_equal(recycled, fresh)
