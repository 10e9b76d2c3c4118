"""What the kit cannot see: padding ids, max_norm, errors, dropout between layers, lengths, training."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.errors import ShapeError
from nnfs_core.testing import gradcheck


def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient(seq_build):
    layer = seq_build("embedding", {"num_embeddings": 5, "embedding_dim": 3, "padding_idx": -2}, (4,))
    assert not layer.params["weight"][3].any() and layer.params["weight"][2].any()
    ids = np.array([[3, 3, 1, 0], [2, 3, 4, 4]])
    y, cache = layer.forward_pass(ids)
    assert not y[0, :2].any()
    layer.backward_pass(np.ones_like(y), cache)
    assert not layer.grads["weight"][3].any()
    np.testing.assert_array_equal(layer.grads["weight"][4], 2.0)   # id 4 used twice: gradients summed
    np.testing.assert_array_equal(layer.grads["weight"][2], 1.0)


def test_embedding_max_norm_rescales_only_the_rows_looked_up(seq_build):
    layer = seq_build("embedding", {"num_embeddings": 6, "embedding_dim": 4, "max_norm": 0.5}, (3,))
    before = layer.params["weight"].copy()
    layer.forward_pass(np.array([[0, 1, 1]]))
    norms = np.linalg.norm(layer.params["weight"], axis=1)
    assert (norms[:2] <= 0.5 + 1e-6).all()
    np.testing.assert_array_equal(layer.params["weight"][2:], before[2:])


def test_embedding_refuses_floats_and_ids_out_of_range(seq_build):
    layer = seq_build("embedding", {"num_embeddings": 4, "embedding_dim": 2}, (3,))
    with pytest.raises(TypeError, match="integer ids"):
        layer.forward_pass(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"ids must be in \[0, 4\).*from 0 to 4"):
        layer.forward_pass(np.array([[0, 1, 4]]))
    with pytest.raises(ValueError, match="padding_idx"):
        registry.layers.create("embedding", num_embeddings=4, embedding_dim=2, padding_idx=4)


def test_recurrent_layers_refuse_inputs_that_are_not_sequences(seq_build):
    layer = seq_build("lstm", {"hidden_size": 3}, (5, 2))
    with pytest.raises(ShapeError, match=r"\(N, L, 2\)"):
        layer.forward_pass(np.zeros((4, 5, 3)))
    with pytest.raises(ShapeError, match="per-sample input shape"):
        registry.layers.create("gru", hidden_size=2).build((5,), rng=np.random.default_rng(0), dtype=np.float64)


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_recurrent_layers_take_any_length(name, seq_build):
    """Built for 6 steps, a layer runs on 2 and on 9 (generation feeds prompts of any length)."""
    layer = seq_build(name, {"hidden_size": 3, "bidirectional": True}, (6, 2))
    for steps in (2, 9):
        gradcheck(layer, np.random.default_rng(steps).standard_normal((2, steps, 2)))


class _FixedDraws:
    """A stand-in Generator whose ``random`` returns the same numbers on every call: one dropout mask."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self._draws: dict[tuple[int, ...], np.ndarray] = {}

    def random(self, shape, dtype=np.float64):
        if shape not in self._draws:
            self._draws[shape] = self._rng.random(shape)
        return self._draws[shape].astype(dtype)


@pytest.mark.parametrize("name", ["rnn", "lstm", "gru"])
def test_dropout_between_layers(name, seq_build):
    """Training zeroes features between layers only (inference is the layer without dropout); with the mask
    held fixed, the gradients are right."""
    config = {"hidden_size": 4, "num_layers": 3, "bidirectional": True, "dropout": 0.4}
    layer = seq_build(name, config, (5, 3))
    plain = seq_build(name, config | {"dropout": 0.0}, (5, 3))
    x = np.random.default_rng(1).standard_normal((3, 5, 3))
    np.testing.assert_array_equal(layer.forward(x, training=False), plain.forward(x, training=False))
    assert not np.allclose(layer.forward(x, training=True), plain.forward(x, training=True))
    layer._rng = _FixedDraws(2)
    gradcheck(layer, x, training=True)


def test_single_layer_dropout_is_no_dropout(seq_build):
    layer = seq_build("lstm", {"hidden_size": 3, "dropout": 0.5}, (4, 2))
    x = np.random.default_rng(0).standard_normal((2, 4, 2))
    np.testing.assert_array_equal(layer.forward(x, training=True), layer.forward(x, training=False))


def test_last_state_is_the_forward_end_and_the_reverse_start(seq_build):
    sequences = seq_build("gru", {"hidden_size": 3, "bidirectional": True}, (6, 2))
    last = seq_build("gru", {"hidden_size": 3, "bidirectional": True, "return_sequences": False}, (6, 2))
    x = np.random.default_rng(0).standard_normal((2, 6, 2))
    every = sequences.forward(x)
    np.testing.assert_array_equal(last.forward(x), np.concatenate([every[:, -1, :3], every[:, 0, 3:]], axis=1))


def test_an_embedding_and_an_lstm_learn_to_count_ones():
    """Integer ids through the network: is the count of 1s in the sequence odd or even? (float32, default ops)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (1024, 6))
    y = (x == 1).sum(axis=1) % 2
    net = Network(layers=[{"name": "embedding", "num_embeddings": 3, "embedding_dim": 8},
                          {"name": "lstm", "hidden_size": 24, "return_sequences": False},
                          {"name": "dense", "output_size": 2}],
                  optimizer={"name": "adam", "learning_rate": 0.02}, loss="cross_entropy", seed=0)
    net.fit(x[:768], y[:768], epochs=25, batch_size=32, verbose=0)
    assert net.layers[0].params["weight"].dtype == np.float32
    assert net.evaluate(x[768:], y[768:])["accuracy"] >= 0.95
