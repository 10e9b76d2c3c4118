"""Core layers against PyTorch's CPU build: forward, input gradient, parameter gradients, running stats."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import registry

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-5, "atol": 1e-8}
CASES = 25


def run_both(layer, module, x, *, training):
    """Forward and backward through our layer and the torch module with the same upstream gradient."""
    module.train(training)
    y = layer.forward(x, training=training)
    x_t = torch.tensor(x, requires_grad=True)
    y_t = module(x_t)
    upstream = np.random.default_rng(99).standard_normal(y.shape)
    y_t.backward(torch.tensor(upstream))
    dx = layer.backward(upstream)
    np.testing.assert_allclose(y, y_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(dx, x_t.grad.numpy(), **TOL)
    return y_t


def copy_params(layer, module):
    with torch.no_grad():
        for name, value in layer.params.items():
            getattr(module, name).copy_(torch.tensor(value))


def check_param_grads(layer, module):
    for name in layer.params:
        np.testing.assert_allclose(layer.grads[name], getattr(module, name).grad.numpy(), **TOL)


@pytest.mark.parametrize("case", range(CASES))
def test_dense_matches_linear(case):
    rng = np.random.default_rng(case)
    n, features, out = rng.integers(1, 9), rng.integers(1, 12), rng.integers(1, 12)
    lead = tuple(rng.integers(1, 4, rng.integers(0, 2)))
    use_bias = bool(rng.integers(2))
    layer = registry.layers.create("dense", output_size=int(out), use_bias=use_bias)
    layer.build((*lead, features), rng=rng, dtype=np.float64)
    module = torch.nn.Linear(int(features), int(out), bias=use_bias, dtype=torch.float64)
    copy_params(layer, module)
    run_both(layer, module, rng.standard_normal((n, *lead, features)), training=True)
    check_param_grads(layer, module)


@pytest.mark.parametrize("case", range(CASES))
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_matches_batchnorm1d_2d(case, training):
    rng = np.random.default_rng(case)
    channels = int(rng.integers(1, 6))
    length, height, width = (int(size) for size in rng.integers(1, 7, 3))
    shapes = [(channels,), (channels, length), (channels, height, width)]
    sample = shapes[case % 3]
    momentum = float(rng.choice([0.1, 0.3, 0.01]))
    layer = registry.layers.create("batch_norm", momentum=momentum)
    layer.build(sample, rng=rng, dtype=np.float64)
    torch_class = torch.nn.BatchNorm2d if len(sample) == 3 else torch.nn.BatchNorm1d
    module = torch_class(channels, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(rng.uniform(0.5, 2, channels)))
        module.bias.copy_(torch.tensor(rng.standard_normal(channels)))
    layer.params["weight"][...] = module.weight.detach().numpy()
    layer.params["bias"][...] = module.bias.detach().numpy()
    n = int(rng.integers(2, 7))
    for step in range(3):  # running statistics evolve over several batches
        x = rng.standard_normal((n, *sample)) * 3 + step
        module.zero_grad()
        run_both(layer, module, x, training=training)
        check_param_grads(layer, module)
        np.testing.assert_allclose(layer.state["running_mean"], module.running_mean.numpy(), **TOL)
        np.testing.assert_allclose(layer.state["running_var"], module.running_var.numpy(), **TOL)


@pytest.mark.parametrize("case", range(CASES))
def test_layer_norm_matches(case):
    rng = np.random.default_rng(case)
    sample = tuple(int(s) for s in rng.integers(1, 6, rng.integers(1, 4)))
    normalized = sample[-int(rng.integers(1, len(sample) + 1)):]
    use_bias = case % 4 != 3
    layer = registry.layers.create("layer_norm", normalized_shape=normalized, use_bias=use_bias)
    layer.build(sample, rng=rng, dtype=np.float64)
    layer.params["weight"][...] = rng.uniform(0.5, 2, normalized)
    if use_bias:
        layer.params["bias"][...] = rng.standard_normal(normalized)
    module = torch.nn.LayerNorm(normalized, bias=use_bias, dtype=torch.float64)
    copy_params(layer, module)
    run_both(layer, module, rng.standard_normal((int(rng.integers(1, 5)), *sample)) * 2 + 1, training=True)
    check_param_grads(layer, module)


@pytest.mark.parametrize("name", ["flatten", "identity", "dropout"])
def test_shape_layers_and_inference_dropout_match(name):
    rng = np.random.default_rng(0)
    layer = registry.layers.create(name)
    layer.build((2, 3, 4), rng=rng, dtype=np.float64)
    module = {"flatten": torch.nn.Flatten(), "identity": torch.nn.Identity(), "dropout": torch.nn.Dropout(0.5)}[name]
    run_both(layer, module, rng.standard_normal((5, 2, 3, 4)), training=False)


def test_reshape_matches_view():
    rng = np.random.default_rng(0)
    layer = registry.layers.create("reshape", target_shape=(4, 6))
    layer.build((2, 3, 4), rng=rng, dtype=np.float64)
    module = torch.nn.Unflatten(1, (4, 6))
    flat = torch.nn.Sequential(torch.nn.Flatten(), module)
    run_both(layer, flat, rng.standard_normal((5, 2, 3, 4)), training=False)
