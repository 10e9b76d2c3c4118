"""Dtypes, extreme inputs and the softmaxes' numerics, for every registered activation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

# Elementwise values PyTorch gives at +-1e4 (float64): the limits, or the linear branch.
LIMITS_AT_1E4 = {
    "relu": (0.0, 1e4), "relu6": (0.0, 6.0), "leaky_relu": (-100.0, 1e4), "prelu": (-2500.0, 1e4),
    "elu": (-1.0, 1e4), "selu": (-1.7580993408473766, 10507.009873554805), "celu": (-1.0, 1e4),
    "gelu": (0.0, 1e4), "silu": (0.0, 1e4), "swish": (0.0, 1e4), "mish": (0.0, 1e4), "sigmoid": (0.0, 1.0),
    "hard_sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "hard_tanh": (-1.0, 1.0), "hard_swish": (0.0, 1e4),
    "softplus": (0.0, 1e4), "softsign": (-0.9999000099990001, 0.9999000099990001),
}


def extreme_batch(dtype) -> np.ndarray:
    """(4, 3, 5) with +-1e4, +-1e3, the edges of float32's exp range, 0, tiny and ordinary values."""
    values = [-1e4, 1e4, -1e3, 1e3, -104.0, 89.0, -88.8, 88.8, 0.0, -0.0, 1e-30, -1e-30, 3.0, -3.0, 20.0]
    rng = np.random.default_rng(0)
    x = rng.choice(np.array(values), size=(4, 3, 5))
    x[0, 0, :] = 1e4  # a whole row (for the softmaxes) of equal huge logits
    x[1, :, 0] = [-1e4, 0.0, 1e4]
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(act_case, make, dtype):
    name, config = act_case
    layer = make(name, config, dtype=dtype)
    x = np.random.default_rng(0).uniform(-6, 6, (4, 3, 5)).astype(dtype)
    y = layer.forward(x)
    grad = layer.backward(np.ones_like(y))
    assert y.dtype == dtype and grad.dtype == dtype and y.shape == x.shape and grad.shape == x.shape
    for key, value in layer.params.items():
        assert value.dtype == dtype and layer.grads[key].dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_give_finite_values_without_warnings(act_case, make, dtype):
    name, config = act_case
    layer = make(name, config, dtype=dtype)
    x = extreme_batch(dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        y = layer.forward(x, training=True)
        grad = layer.backward(np.ones_like(y))
    assert np.isfinite(y).all() and np.isfinite(grad).all()
    for key in layer.params:
        assert np.isfinite(layer.grads[key]).all()


def test_limit_table_covers_every_elementwise_name(act_name):
    assert act_name in LIMITS_AT_1E4 or act_name in ("softmax", "log_softmax"), f"add {act_name!r} to LIMITS_AT_1E4"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(LIMITS_AT_1E4))
def test_values_at_plus_minus_1e4(make, name, dtype):
    layer = make(name, {}, shape=(1, 2), dtype=dtype)
    y = layer.forward(np.array([[-1e4, 1e4]], dtype=dtype))
    np.testing.assert_allclose(y[0], LIMITS_AT_1E4[name], rtol=1e-6 if dtype == np.float32 else 1e-15, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_of_huge_logits_are_exact(make, dtype):
    x = np.array([[1e4, 1e4 - 1, 1e4 - 2], [-1e4, -1e4 - 1, -1e4 - 2], [1e4, 0.0, -1e4]], dtype=dtype)
    shifted = np.array([[0.0, -1.0, -2.0], [0.0, -1.0, -2.0], [0.0, -1e4, -2e4]])
    expected_log = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    softmax = make("softmax", {}, shape=x.shape, dtype=dtype)
    log_softmax = make("log_softmax", {}, shape=x.shape, dtype=dtype)
    rtol = 1e-6 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(softmax.forward(x), np.exp(expected_log), rtol=rtol, atol=0)
    np.testing.assert_allclose(log_softmax.forward(x), expected_log, rtol=rtol, atol=0)
    assert log_softmax.forward(x)[2, 2] == -2e4  # finite where softmax itself underflows to 0


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_backward_is_the_closed_form(make, name):
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    g = np.random.default_rng(1).standard_normal(x.shape)
    for axis in (-1, 1, 0):
        layer = make(name, {"axis": axis}, shape=x.shape)
        y = layer.forward(x)
        s = np.exp(x - x.max(axis=axis, keepdims=True))
        s /= s.sum(axis=axis, keepdims=True)
        if name == "softmax":
            expected = (g - (g * s).sum(axis=axis, keepdims=True)) * s
            np.testing.assert_allclose(y.sum(axis=axis), 1.0, rtol=1e-15)
        else:
            expected = g - s * g.sum(axis=axis, keepdims=True)
            np.testing.assert_allclose(y, np.log(s), rtol=1e-14)
        np.testing.assert_allclose(layer.backward(g), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_over_many_classes_never_forms_a_jacobian(make, name):
    # A (C, C) Jacobian per sample would need 2 * 200_000^2 * 8 bytes = 640 GB here.
    layer = make(name, {}, shape=(2, 200_000))
    x = np.random.default_rng(0).standard_normal((2, 200_000))
    y = layer.forward(x)
    assert layer.backward(np.ones_like(y)).shape == x.shape


def test_forward_and_backward_leave_their_arguments_alone(act_case, make):
    name, config = act_case
    layer = make(name, config)
    x = np.random.default_rng(0).uniform(-6, 6, (4, 3, 5))
    g = np.random.default_rng(1).standard_normal(x.shape)
    x_before, g_before = x.copy(), g.copy()
    y = layer.forward(x)
    layer.backward(g)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(g, g_before)
    assert not np.shares_memory(y, x)


def test_output_does_not_depend_on_training_and_is_reproducible(act_case, make):
    name, config = act_case
    x = np.random.default_rng(0).uniform(-6, 6, (4, 3, 5))
    first, second = make(name, config), make(name, config)
    np.testing.assert_array_equal(first.forward(x, training=True), second.forward(x, training=False))


def test_backward_uses_the_latest_forward(act_case, make):
    name, config = act_case
    layer = make(name, config)
    a = np.random.default_rng(0).uniform(-6, 6, (4, 3, 5))
    b = np.random.default_rng(1).uniform(-6, 6, (2, 3, 5))
    g = np.ones_like(b)
    fresh = make(name, config)
    fresh.forward(b)
    layer.forward(a)
    layer.forward(b)
    np.testing.assert_array_equal(layer.backward(g), fresh.backward(g))


def test_batch_of_one_and_other_ranks(act_case, make):
    name, config = act_case
    for shape in [(1, 3), (1, 3, 5), (2, 3, 4, 4)]:
        layer = make(name, config, shape=shape)
        x = np.random.default_rng(0).uniform(-6, 6, shape)
        y = layer.forward(x)
        assert y.shape == shape and layer.backward(np.ones_like(y)).shape == shape
