"""Combinators against the same models built from PyTorch modules (float64): a residual block with BatchNorm
and a projection, a two-branch concatenate, and a tied-weight pair."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core.layers.branch import Branch
from nnfs_core.layers.dense import Dense
from nnfs_core.layers.residual import Residual
from nnfs_core.layers.sequential import Sequential
from nnfs_core.protocols import run_backward, run_forward

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-6, "atol": 1e-9}


def linear_from(dense):
    out_size, in_size = dense.params["weight"].shape
    module = torch.nn.Linear(in_size, out_size, bias="bias" in dense.params, dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(dense.params["weight"]))
        if "bias" in dense.params:
            module.bias.copy_(torch.tensor(dense.params["bias"]))
    return module


def both(layer, forward_torch, x, torch_params):
    """Our output, input gradient and grads; torch's output, input gradient and the named parameters' grads."""
    upstream = np.random.default_rng(9).standard_normal
    y, cache = run_forward(layer, x, training=True)
    g = upstream(y.shape)
    dx = run_backward(layer, g, cache)
    x_t = torch.tensor(x, requires_grad=True)
    y_t = forward_torch(x_t)
    y_t.backward(torch.tensor(g))
    np.testing.assert_allclose(y, y_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(dx, x_t.grad.numpy(), **TOL)
    for name, parameter in torch_params.items():
        np.testing.assert_allclose(layer.grads[name], parameter.grad.numpy(), **TOL, err_msg=name)


@pytest.mark.parametrize("seed", range(5))
def test_a_residual_block_with_batch_norm_and_a_projection_matches_torch(seed):
    rng = np.random.default_rng(seed)
    features, hidden = int(rng.integers(2, 7)), int(rng.integers(2, 7))
    block = Residual([Dense(hidden, use_bias=False), {"name": "batch_norm"}, "relu", Dense(hidden)],
                     projection=Dense(hidden))
    block.build((features,), rng=rng, dtype=np.float64)
    body = block._body._layers
    first, norm, last, projection = linear_from(body[0]), torch.nn.BatchNorm1d(hidden, dtype=torch.float64), \
        linear_from(body[3]), linear_from(block._projection)
    norm.train(True)
    both(block, lambda x: last(torch.relu(norm(first(x)))) + projection(x), rng.standard_normal((8, features)),
         {"body.0.weight": first.weight, "body.1.weight": norm.weight, "body.1.bias": norm.bias,
          "body.3.weight": last.weight, "body.3.bias": last.bias, "projection.weight": projection.weight,
          "projection.bias": projection.bias})
    np.testing.assert_allclose(block.state["body.1.running_mean"], norm.running_mean.numpy(), **TOL)
    np.testing.assert_allclose(block.state["body.1.running_var"], norm.running_var.numpy(), **TOL)


@pytest.mark.parametrize("seed", range(5))
def test_a_two_branch_concatenate_matches_torch(seed):
    rng = np.random.default_rng(seed)
    features = int(rng.integers(2, 7))
    block = Branch([[Dense(3), "tanh"], Dense(4)], merge="concatenate", axis=-1)
    block.build((2, features), rng=rng, dtype=np.float64)
    left, right = linear_from(block._branches[0]._layers[0]), linear_from(block._branches[1])
    both(block, lambda x: torch.cat([torch.tanh(left(x)), right(x)], dim=-1), rng.standard_normal((5, 2, features)),
         {"0.0.weight": left.weight, "0.0.bias": left.bias, "1.weight": right.weight, "1.bias": right.bias})


@pytest.mark.parametrize("seed", range(5))
def test_a_tied_weight_pair_matches_torch(seed):
    rng = np.random.default_rng(seed)
    features = int(rng.integers(2, 7))
    shared = Dense(features)
    model = Sequential([shared, "tanh", shared])
    model.build((features,), rng=rng, dtype=np.float64)
    tied = linear_from(shared)
    both(model, lambda x: tied(torch.tanh(tied(x))), rng.standard_normal((6, features)),
         {"0.weight": tied.weight, "0.bias": tied.bias})
