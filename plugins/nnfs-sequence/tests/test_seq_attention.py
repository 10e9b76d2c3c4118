"""MultiHeadAttention beyond the kit: finite differences through every mask, dropout, the causal mask's
meaning, rows with every key masked, shapes and errors."""

from __future__ import annotations

import numpy as np
import pytest
from nnfs_sequence import MultiHeadAttention

from nnfs_core.errors import ShapeError


def built(heads=2, shape=(4, 4), **options):
    layer = MultiHeadAttention(heads, **options)
    layer.build(shape, rng=np.random.default_rng(0), dtype=np.float64)
    for name in ("in_proj_bias", "out_proj.bias"):
        if name in layer.params:
            layer.params[name][...] = np.random.default_rng(1).standard_normal(layer.params[name].shape)
    return layer


def numeric_gradient(function, array, eps=1e-6):
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        plus = function()
        array[index] = saved - eps
        minus = function()
        array[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


@pytest.mark.parametrize("masks", ["padding", "bool", "float", "causal"])
def test_attend_gradients_by_finite_differences_under_masks(masks):
    rng = np.random.default_rng(7)
    layer = built()
    query, key, value = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 4)), rng.standard_normal((2, 4, 4))
    options = {"padding": {"padding_mask": np.array([[False, False, True, True], [False, True, False, False]])},
               "bool": {"attn_mask": np.array([[False, True, False, True]] * 3)},
               "float": {"attn_mask": rng.standard_normal((4, 3, 4))},
               "causal": {"causal": True}}[masks]
    if masks == "causal":
        key, value = key[:, :3], value[:, :3]
    upstream = rng.standard_normal((2, 3, 4))

    def loss():
        return float((layer.attend(query, key, value, need_weights=False, **options)[0] * upstream).sum())

    _, _, cache = layer.attend(query, key, value, **options)
    grads = layer.attend_backward(upstream, cache)
    for array, grad in zip((query, key, value), grads):
        np.testing.assert_allclose(grad, numeric_gradient(loss, array), rtol=1e-6, atol=1e-8)
    analytic = {name: value.copy() for name, value in layer.grads.items()}
    for name, parameter in layer.params.items():
        np.testing.assert_allclose(analytic[name], numeric_gradient(loss, parameter), rtol=1e-6, atol=1e-8,
                                   err_msg=name)


def test_causal_attention_does_not_look_ahead():
    layer = built(causal=True)
    x = np.random.default_rng(2).standard_normal((1, 4, 4))
    changed = x.copy()
    changed[0, 3] += 10.0
    before, after = layer.forward_pass(x)[0], layer.forward_pass(changed)[0]
    np.testing.assert_allclose(before[0, :3], after[0, :3])
    assert not np.allclose(before[0, 3], after[0, 3])


def test_padded_keys_change_nothing_and_fully_masked_rows_attend_to_nothing():
    layer = built()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 4, 4))
    padding = np.array([[False, False, True, True]])
    changed = x.copy()
    changed[0, 2:] = 100 * rng.standard_normal((2, 4))
    np.testing.assert_allclose(layer.forward_pass(x, padding_mask=padding)[0][0, :2],
                               layer.forward_pass(changed, padding_mask=padding)[0][0, :2])
    y, weights, _ = layer.attend(x, x, x, padding_mask=np.ones((1, 4), dtype=bool))
    assert np.isfinite(y).all() and not weights.any()
    np.testing.assert_allclose(y[0], np.broadcast_to(layer.params["out_proj.bias"], (4, 4)))


def test_weights_sum_to_one_per_query_and_per_head():
    layer = built(heads=2)
    x = np.random.default_rng(4).standard_normal((3, 4, 4))
    _, averaged, _ = layer.attend(x, x, x)
    _, per_head, _ = layer.attend(x, x, x, average_attn_weights=False)
    assert averaged.shape == (3, 4, 4) and per_head.shape == (3, 2, 4, 4)
    np.testing.assert_allclose(per_head.sum(axis=-1), 1.0)
    np.testing.assert_allclose(per_head.mean(axis=1), averaged)


def test_dropout_acts_while_training_only_and_its_gradient_matches_its_mask():
    layer = built(dropout=0.5)
    x = np.random.default_rng(5).standard_normal((2, 4, 4))
    np.testing.assert_array_equal(layer.forward_pass(x)[0], layer.forward_pass(x)[0])
    y, cache = layer.forward_pass(x, training=True)
    assert not np.allclose(y, layer.forward_pass(x)[0])
    attention = cache[0]
    assert attention.keep is not None and set(np.unique(attention.keep)) <= {0.0, 2.0}
    np.testing.assert_allclose(attention.dropped, attention.probabilities * attention.keep)


def test_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ShapeError, match="divisible by the heads, got E = 5"):
        built(heads=2, shape=(3, 5))
    with pytest.raises(ShapeError, match=r"\(N, L, E\)"):
        built(shape=(4,))
    layer = built()
    with pytest.raises(ShapeError, match=r"padding_mask must have shape \(N, L\) = \(2, 4\)"):
        layer.forward_pass(np.zeros((2, 4, 4)), padding_mask=np.zeros((2, 3), dtype=bool))
    with pytest.raises(ShapeError, match=r"attn_mask must have shape"):
        layer.attend(np.zeros((1, 4, 4)), np.zeros((1, 4, 4)), np.zeros((1, 4, 4)), attn_mask=np.zeros((3, 3)))
    with pytest.raises(ShapeError, match=r"x of shape \(N, L, 4\)"):
        layer.forward_pass(np.zeros((2, 4, 3)))
