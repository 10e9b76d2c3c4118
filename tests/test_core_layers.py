"""Every core layer: finite-difference gradients in float64, shapes, dtypes, and layer-specific behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core.errors import ShapeError
from nnfs_core.testing import GradientCheckError, gradcheck

# (constructor arguments, per-sample input shape, training mode) for each core layer; a core layer
# missing here fails test_every_core_layer_has_examples, so nothing registered goes untested.
EXAMPLES = {
    "dense": [({"output_size": 5}, (7,), False), ({"output_size": 3, "use_bias": False}, (2, 4), False)],
    "reshape": [({"target_shape": (3, 4)}, (12,), False), ({"target_shape": (-1,)}, (2, 3, 2), False)],
    "flatten": [({}, (2, 3, 4), False)],
    "dropout": [({"rate": 0.3}, (6,), False)],
    "batch_norm": [({}, (4,), True), ({}, (3, 4, 5), True), ({}, (3, 6), True), ({}, (4,), False)],
    "layer_norm": [({}, (6,), False), ({"normalized_shape": (3, 4)}, (2, 3, 4), False)],
    "identity": [({}, (3, 2), False)],
    "sequential": [({"layers": [{"name": "dense", "output_size": 4}, "identity", {"name": "layer_norm"}]}, (5,),
                    False)],
    "residual": [({"body": [{"name": "dense", "output_size": 6, "use_bias": False}, {"name": "batch_norm"}]}, (3, 6),
                  True),
                 ({"body": {"name": "dense", "output_size": 3}, "projection": {"name": "dense", "output_size": 3}},
                  (2, 4), False)],
    "branch": [({"branches": ["identity", {"name": "dense", "output_size": 2}], "merge": "concatenate", "axis": -1},
                (3, 4), False)],
    "add": [({"branches": ["identity", {"name": "dense", "output_size": 4}]}, (4,), False)],
    "multiply": [({"branches": [{"name": "dense", "output_size": 4}, {"name": "layer_norm"}]}, (4,), False)],
    "concatenate": [({"branches": ["identity", [{"name": "dense", "output_size": 3}]], "axis": 0}, (2, 3), False)],
}


def core_layer_names():
    return [e.name for e in registry.layers.entries() if e.distribution == "nnfs-core"]


def build(name, args, shape, dtype=np.float64, seed=0):
    layer = registry.layers.create(name, **args)
    out_shape = layer.build(shape, rng=np.random.default_rng(seed), dtype=dtype)
    return layer, out_shape


def test_every_core_layer_has_examples():
    assert set(core_layer_names()) == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_gradients_match_finite_differences(name):
    for args, shape, training in EXAMPLES[name]:
        layer, _ = build(name, args, shape)
        x = np.random.default_rng(1).standard_normal((4, *shape))
        gradcheck(layer, x, training=training, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shapes_dtype_and_input_untouched(name, dtype):
    for args, shape, training in EXAMPLES[name]:
        layer, out_shape = build(name, args, shape, dtype=dtype)
        for batch in (1, 5):
            x = np.random.default_rng(2).standard_normal((batch, *shape)).astype(dtype)
            if batch == 1 and training and name == "batch_norm" and len(shape) == 1:
                continue  # one value per channel: no batch statistics (tested below)
            before = x.copy()
            y = layer.forward(x, training=training)
            assert y.shape == (batch, *out_shape)
            assert y.dtype == dtype
            grad = layer.backward(np.ones_like(y))
            assert grad.shape == x.shape and grad.dtype == dtype
            np.testing.assert_array_equal(x, before)
            for key, value in layer.params.items():
                assert value.dtype == dtype and layer.grads[key].shape == value.shape


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_config_round_trips_through_the_registry(name):
    for args, _shape, _training in EXAMPLES[name]:
        layer = registry.layers.create(name, **args)
        again = registry.layers.create(name, **layer.get_config())
        assert again.get_config() == layer.get_config()
        assert registry.config_of(layer)["name"] == name


def test_dense_matches_the_formula_and_the_pytorch_layout(rng):
    layer, out_shape = build("dense", {"output_size": 3}, (4,))
    assert layer.params["weight"].shape == (3, 4) and out_shape == (3,)
    bound = 1 / np.sqrt(4)
    assert np.abs(layer.params["weight"]).max() <= bound and np.abs(layer.params["bias"]).max() <= bound
    x = rng.standard_normal((5, 4))
    np.testing.assert_allclose(layer.forward(x), x @ layer.params["weight"].T + layer.params["bias"])


def test_dense_skips_the_input_gradient_when_told(rng):
    layer, _ = build("dense", {"output_size": 3}, (4,))
    layer.skip_input_grad = True
    layer.forward(rng.standard_normal((2, 4)))
    assert layer.backward(np.ones((2, 3))) is None
    assert np.any(layer.grads["weight"] != 0)


def test_dense_with_an_activation_by_name_or_dict():
    pytest.importorskip("nnfs_activations")
    for activation in ("relu", {"name": "leaky_relu", "negative_slope": 0.2}):
        layer, _ = build("dense", {"output_size": 4, "activation": activation}, (3,))
        x = np.random.default_rng(0).standard_normal((6, 3))
        gradcheck(layer, x * 3)  # kinks are measure-zero for random inputs
        assert layer.get_config()["activation"] == activation


def test_a_wrong_backward_is_caught():
    layer, _ = build("dense", {"output_size": 2}, (3,))
    original = layer.backward

    def broken(grad):
        result = original(grad)
        layer.grads["weight"] *= 1.01
        return result

    layer.backward = broken
    with pytest.raises(GradientCheckError, match="parameter 'weight'"):
        gradcheck(layer, np.random.default_rng(0).standard_normal((3, 3)))


def test_dropout_is_inverted_seeded_and_off_at_inference():
    layer, _ = build("dropout", {"rate": 0.25}, (1000,), dtype=np.float32, seed=3)
    x = np.ones((8, 1000), np.float32)
    np.testing.assert_array_equal(layer.forward(x), x)
    y = layer.forward(x, training=True)
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), y)
    again, _ = build("dropout", {"rate": 0.25}, (1000,), dtype=np.float32, seed=3)
    np.testing.assert_array_equal(again.forward(x, training=True), y)


def test_batch_norm_running_statistics_follow_pytorch_rule(rng):
    layer, _ = build("batch_norm", {}, (3,))
    x = rng.standard_normal((10, 3)) * 2 + 5
    layer.forward(x, training=True)
    np.testing.assert_allclose(layer.state["running_mean"], 0.9 * 0 + 0.1 * x.mean(0))
    np.testing.assert_allclose(layer.state["running_var"], 0.9 * 1 + 0.1 * x.var(0, ddof=1))
    y = layer.forward(x, training=False)
    expected = (x - layer.state["running_mean"]) / np.sqrt(layer.state["running_var"] + 1e-5)
    np.testing.assert_allclose(y, expected)


def test_batch_norm_refuses_a_single_value_per_channel():
    layer, _ = build("batch_norm", {}, (3,))
    with pytest.raises(ShapeError, match="more than one value per channel"):
        layer.forward(np.ones((1, 3)), training=True)


@pytest.mark.parametrize(("args", "shape", "match"), [
    ({"target_shape": (5,)}, (12,), "cannot turn samples"),
    ({"target_shape": (12,), "input_shape": (3, 4)}, (4, 3), "declared with input_shape"),
])
def test_reshape_errors_name_the_shapes(args, shape, match):
    layer = registry.layers.create("reshape", **args)
    with pytest.raises(ShapeError, match=match):
        layer.build(shape, rng=np.random.default_rng(0), dtype=np.float32)


@pytest.mark.parametrize(("name", "args", "owner"), [
    ("dense", {"output_size": 0}, "Dense"), ("dense", {"output_size": 2.5}, "Dense"),
    ("dropout", {"rate": 1.0}, "Dropout"), ("batch_norm", {"momentum": -0.1}, "BatchNorm"),
    ("layer_norm", {"eps": 0}, "LayerNorm"), ("reshape", {"target_shape": (0, 2)}, "Reshape"),
])
def test_bad_hyperparameters_are_refused_at_construction(name, args, owner):
    with pytest.raises((ValueError, TypeError), match=owner):
        registry.layers.create(name, **args)


def test_dense_refuses_an_activation_with_parameters():
    pytest.importorskip("nnfs_activations")
    from nnfs_core.errors import ConfigError

    with pytest.raises(ConfigError, match="add it as a layer of its own"):
        build("dense", {"output_size": 4, "activation": "prelu"}, (3,))
