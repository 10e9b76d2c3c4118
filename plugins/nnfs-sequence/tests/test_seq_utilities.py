"""Positions, pooling, per-step layers, the masked combinator and the Transformer layers beyond the kit:
what padding changes and what it must not, lengths, errors, a network that trains on padded sequences."""

from __future__ import annotations

import numpy as np
import pytest
from nnfs_sequence.sinusoidal_positional_encoding import sinusoids

from nnfs_core import Network, registry
from nnfs_core.errors import ShapeError
from nnfs_core.losses import CrossEntropy


def made(name, shape, **config):
    layer = registry.layers.create(name, **config)
    layer.build(shape, rng=np.random.default_rng(0), dtype=np.float64)
    return layer


def test_sinusoids_are_the_papers_table():
    table = sinusoids(50, 6)
    t, i = 37, 2
    assert table[t, 2 * i] == pytest.approx(np.sin(t / 10000 ** (2 * i / 6)))
    assert table[t, 2 * i + 1] == pytest.approx(np.cos(t / 10000 ** (2 * i / 6)))
    assert sinusoids(4, 5).shape == (4, 5)


def test_positional_layers_take_shorter_sequences_and_refuse_longer_ones():
    learned = made("positional_embedding", (6, 3), max_length=6)
    y, cache = learned.forward_pass(np.zeros((2, 4, 3)))
    np.testing.assert_array_equal(y[1], learned.params["weight"][:4])
    learned.backward_pass(np.ones((2, 4, 3)), cache)
    assert not learned.grads["weight"][4:].any() and (learned.grads["weight"][:4] == 2).all()
    with pytest.raises(ShapeError, match="max_length=6.*7 steps"):
        learned.forward_pass(np.zeros((1, 7, 3)))
    fixed = made("sinusoidal_positional_encoding", (3, 4))
    np.testing.assert_allclose(fixed.forward_pass(np.zeros((1, 9, 4)))[0][0], sinusoids(9, 4))
    np.testing.assert_allclose(fixed.forward_pass(np.zeros((1, 2, 4)))[0][0], sinusoids(2, 4))


def test_last_step_and_mean_pooling_follow_the_padding():
    x = np.arange(2 * 4 * 1, dtype=float).reshape(2, 4, 1)
    padding = np.array([[False, False, True, True], [False, True, False, True]])
    last = made("last_step", (4, 1))
    np.testing.assert_array_equal(last.forward_pass(x)[0][:, 0], [3, 7])
    np.testing.assert_array_equal(last.forward_pass(x, padding_mask=padding)[0][:, 0], [1, 6])
    mean = made("masked_mean_pooling", (4, 1))
    np.testing.assert_allclose(mean.forward_pass(x, padding_mask=padding)[0][:, 0], [0.5, 5.0])
    y, cache = mean.forward_pass(x, padding_mask=np.ones((2, 4), dtype=bool))
    assert not y.any() and not mean.backward_pass(np.ones((2, 1)), cache).any()


def test_time_distributed_applies_one_layer_to_every_step():
    layer = made("time_distributed", (3, 2, 2), layer=[{"name": "flatten"}, {"name": "dense", "output_size": 5}])
    assert layer.output_shape == (3, 5) and set(layer.params) == {"layer.1.weight", "layer.1.bias"}
    x = np.random.default_rng(1).standard_normal((4, 3, 2, 2))
    y, _ = layer.forward_pass(x)
    weight, bias = layer.params["layer.1.weight"], layer.params["layer.1.bias"]
    np.testing.assert_allclose(y[2, 1], weight @ x[2, 1].reshape(-1) + bias)


def test_masked_hands_the_padding_to_the_layers_that_take_it():
    layers = [{"name": "embedding", "num_embeddings": 6, "embedding_dim": 4, "padding_idx": 0},
              {"name": "transformer_encoder_layer", "num_heads": 2, "dim_feedforward": 8, "dropout": 0.0},
              "masked_mean_pooling"]
    stack = made("masked", (5,), layers=layers)
    assert stack.input_dtype == "int64"
    short = made("masked", (3,), layers=layers)
    for name, value in stack.params.items():
        short.params[name][...] = value
    ids = np.array([[3, 1, 4, 0, 0]])
    y = stack.forward_pass(ids)[0]
    np.testing.assert_allclose(y, short.forward_pass(ids[:, :3])[0])   # padding changes nothing
    unmasked = made("sequential", (5,), layers=layers)
    for name, value in stack.params.items():
        unmasked.params[name][...] = value
    assert not np.allclose(unmasked.forward_pass(ids)[0], y)           # and without the mask it would


def test_masked_takes_the_padding_from_float_data_with_mask_value():
    stack = made("masked", (4, 2), layers=["last_step"], mask_value=-1.0)
    x = np.array([[[1.0, 2.0], [3.0, 4.0], [-1.0, -1.0], [-1.0, -1.0]]])
    np.testing.assert_array_equal(stack.forward_pass(x)[0], [[3.0, 4.0]])
    with pytest.raises(ValueError, match="not both"):
        registry.layers.create("masked", layers=["last_step"], mask_value=0.0, padding_idx=0)


def test_a_padded_batch_trains_a_transformer_classifier():
    """Ids padded with 0 of lengths 2..8: the class is whether token 1 occurs; padding is masked in the
    attention and the pooling, so the network learns it to full accuracy."""
    rng = np.random.default_rng(0)
    n, steps = 256, 8
    ids = rng.integers(2, 6, (n, steps))
    lengths = rng.integers(2, steps + 1, n)
    labels = rng.integers(0, 2, n)
    where = rng.integers(0, lengths)
    ids[np.arange(n), where] = np.where(labels == 1, 1, ids[np.arange(n), where])
    ids[np.arange(steps)[None, :] >= lengths[:, None]] = 0
    net = Network([{"name": "masked", "layers": [
        {"name": "embedding", "num_embeddings": 6, "embedding_dim": 8, "padding_idx": 0},
        {"name": "transformer_encoder_layer", "num_heads": 2, "dim_feedforward": 16, "dropout": 0.0},
        "masked_mean_pooling", {"name": "dense", "output_size": 2}]}],
        optimizer={"name": "adam", "learning_rate": 0.01}, loss=CrossEntropy(), seed=0)
    net.fit(ids, labels, epochs=15, batch_size=32, verbose=0)
    assert net.evaluate(ids, labels)["accuracy"] >= 0.95
