"""Every activation against the ``torch.nn`` module of the same name: outputs, input gradients, PReLU's weight.

Selected by ``-m reference`` (the nox ``reference`` session). Skipped without PyTorch, except where
NNFS_REQUIRE_TORCH=1 (set by that session) makes the repository's conftest fail instead.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")

nn = torch.nn

# name -> the PyTorch module for a config of ours (our argument names are PyTorch's, but for ``axis``).
TORCH_MODULES = {
    "relu": lambda: nn.ReLU(),
    "relu6": lambda: nn.ReLU6(),
    "leaky_relu": lambda negative_slope=0.01: nn.LeakyReLU(negative_slope),
    "prelu": lambda num_parameters=1, init=0.25: nn.PReLU(num_parameters, init, dtype=torch.float64),
    "elu": lambda alpha=1.0: nn.ELU(alpha),
    "selu": lambda: nn.SELU(),
    "celu": lambda alpha=1.0: nn.CELU(alpha),
    "gelu": lambda approximate="none": nn.GELU(approximate),
    "silu": lambda: nn.SiLU(),
    "swish": lambda: nn.SiLU(),
    "mish": lambda: nn.Mish(),
    "sigmoid": lambda: nn.Sigmoid(),
    "hard_sigmoid": lambda: nn.Hardsigmoid(),
    "tanh": lambda: nn.Tanh(),
    "hard_tanh": lambda min_val=-1.0, max_val=1.0: nn.Hardtanh(min_val, max_val),
    "hard_swish": lambda: nn.Hardswish(),
    "softplus": lambda beta=1.0, threshold=20.0: nn.Softplus(beta, threshold),
    "softsign": lambda: nn.Softsign(),
    "softmax": lambda axis=-1: nn.Softmax(dim=axis),
    "log_softmax": lambda axis=-1: nn.LogSoftmax(dim=axis),
}

# More hyperparameters than the default suite's, including negative ELU alphas PyTorch accepts.
EXTRA = {
    "leaky_relu": [{"negative_slope": -0.3}, {"negative_slope": 1.5}],
    "prelu": [{"num_parameters": 3, "init": -0.7}],
    "elu": [{"alpha": -0.5}, {"alpha": 3.0}],
    "celu": [{"alpha": 0.3}],
    "hard_tanh": [{"min_val": 0.0, "max_val": 6.0}],
    "softplus": [{"beta": 0.5, "threshold": 3.0}, {"beta": 10.0}],
    "softmax": [{"axis": 0}, {"axis": -2}],
    "log_softmax": [{"axis": 0}],
}

# Both sides of every kink and the kinks themselves (ReLU family, HardTanh, hard sigmoid/swish, Softplus).
SPECIAL = np.array([0.0, -0.0, 1e4, -1e4, 1e3, -1e3, 6.0, -6.0, 3.0, -3.0, 1.0, -1.0, 0.5, -2.0, 2.5, 20.0, 1.5,
                    6.0 + 1e-12, 3.0 - 1e-12, -3.0 + 1e-12, 1e-12, -1e-12, 40.0, -40.0, 89.0, -745.0])
SHAPES = [(7, 3), (2, 3, 11), (3, 3, 4, 5), (1, 3)]


def spanning_inputs(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """Uniform in [-50, 50], dense near 0, with the special values scattered in."""
    rng = np.random.default_rng(seed)
    x = np.where(rng.random(shape) < 0.5, rng.uniform(-50, 50, shape), rng.uniform(-7, 7, shape))
    flat = x.reshape(-1)
    count = min(flat.size // 2, SPECIAL.size)
    flat[rng.choice(flat.size, count, replace=False)] = rng.choice(SPECIAL, count, replace=False)
    return x


def ours_and_theirs(make, name: str, config: dict, x: np.ndarray, dtype) -> tuple[dict, dict]:
    layer = make(name, config, shape=x.shape, dtype=dtype)
    g = np.random.default_rng(99).standard_normal(x.shape).astype(dtype)
    x = x.astype(dtype)
    ours = {"y": layer.forward(x), "dx": layer.backward(g)}
    if "weight" in layer.params:
        ours["dweight"] = layer.grads["weight"]

    module = TORCH_MODULES[name](**config).to(getattr(torch, np.dtype(dtype).name))
    tx = torch.tensor(x, requires_grad=True)
    ty = module(tx)
    ty.backward(torch.tensor(g))
    theirs = {"y": ty.detach().numpy(), "dx": tx.grad.numpy()}
    if "weight" in layer.params:
        theirs["dweight"] = module.weight.grad.numpy()
    return ours, theirs


def assert_close(ours: dict, theirs: dict, rtol: float, atol: float, what: str) -> None:
    for key, value in theirs.items():
        assert ours[key].dtype == value.dtype, f"{what} {key}: dtype {ours[key].dtype}, PyTorch {value.dtype}"
        np.testing.assert_allclose(ours[key], value, rtol=rtol, atol=atol, err_msg=f"{what} {key}")


def test_every_registered_name_has_a_torch_module(act_name):
    assert act_name in TORCH_MODULES, f"map {act_name!r} to its torch.nn module in TORCH_MODULES"


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_float64_matches_pytorch(act_case, shape, seed, make):
    name, case_config = act_case
    # A default case also runs this file's EXTRA configurations.
    for config in [case_config, *EXTRA.get(name, [])] if not case_config else [case_config]:
        x = spanning_inputs(seed, shape)
        ours, theirs = ours_and_theirs(make, name, config, x, np.float64)
        # The absolute slack of 1e-12 is for values PyTorch loses to cancellation, where ours keep their digits:
        # GELU's 1 + erf(x / sqrt 2) and 1 + tanh(u) in the left tail (we use erfc and sigmoid(2u)). Apart from
        # those, PyTorch rounds CELU's alpha and HardSigmoid's 1/6 to float32 in their float64 backward, which
        # puts it up to ~1e-6 (relative) from the exact gradient computed here.
        assert_close(ours, theirs, rtol=1e-6, atol=1e-12, what=f"{name}{config}")


@pytest.mark.parametrize("shape", SHAPES[:2], ids=str)
def test_float32_matches_pytorch(act_case, shape, make):
    name, config = act_case
    x = spanning_inputs(3, shape)
    ours, theirs = ours_and_theirs(make, name, config, x, np.float32)
    assert_close(ours, theirs, rtol=2e-5, atol=1e-6, what=f"{name}{config} float32")
