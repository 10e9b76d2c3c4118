"""The recurrent layers' `run` / `run_backward` (initial and final states) against torch's
``forward(input, hx)``: outputs, h_n (and c_n), and the gradients of the input, of h_0 (and c_0) and of
every parameter, in float64 to 1e-5, on seeded random configurations.

Selected by ``-m reference``; skipped without PyTorch (NNFS_REQUIRE_TORCH=1 makes that a failure).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnfs_core import registry

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")

TOLERANCE = 1e-5
CONFIGS_PER_LAYER = 40
MODULES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def random_config(name: str, rng: np.random.Generator) -> dict[str, Any]:
    config: dict[str, Any] = {"hidden_size": int(rng.integers(1, 6)), "num_layers": int(rng.integers(1, 4)),
                              "bidirectional": bool(rng.random() < 0.5),
                              "return_sequences": bool(rng.random() < 0.6), "use_bias": bool(rng.random() < 0.85)}
    if name == "rnn":
        config["nonlinearity"] = str(rng.choice(["tanh", "relu"]))
    return config


def compare_run(name: str, config: dict[str, Any], steps: int, features: int, n: int, seed: int) -> None:
    """One layer and its torch module: random initial states (or none), random gradients of the output and of
    the final states (or of some of them), the same weights."""
    rng = np.random.default_rng(seed)
    layer = registry.layers.create(name, **config)
    layer.build((steps, features), rng=rng, dtype=np.float64)
    extra = {"nonlinearity": config["nonlinearity"]} if name == "rnn" else {}
    module = getattr(torch.nn, MODULES[name])(features, config["hidden_size"], num_layers=config["num_layers"],
                                               bidirectional=config["bidirectional"], bias=config["use_bias"],
                                               batch_first=True, **extra).double()
    module.load_state_dict({key: torch.tensor(value) for key, value in layer.params.items()})
    count = 2 if name == "lstm" else 1
    shape = (config["num_layers"] * (2 if config["bidirectional"] else 1), n, config["hidden_size"])
    given = rng.random() < 0.8
    starts = [rng.standard_normal(shape) if given else np.zeros(shape) for _ in range(count)]
    x = rng.standard_normal((n, steps, features))
    x_torch = torch.tensor(x, requires_grad=True)
    starts_torch = [torch.tensor(start, requires_grad=True) for start in starts]
    output, final_torch = module(x_torch, tuple(starts_torch) if count == 2 else starts_torch[0])
    finals_torch = list(final_torch) if count == 2 else [final_torch]

    initial = (tuple(starts) if count == 2 else starts[0]) if given else None
    y, final, cache = layer.run(x, initial, training=True)
    finals = list(final) if count == 2 else [final]
    expected = output if config["return_sequences"] else (
        torch.cat([finals_torch[0][-2], finals_torch[0][-1]], 1) if config["bidirectional"] else finals_torch[0][-1])
    upstream = rng.standard_normal(y.shape)
    grad_finals = [rng.standard_normal(shape) if rng.random() < 0.7 else None for _ in range(count)]
    loss = (expected * torch.tensor(upstream)).sum()
    for state, grad_state in zip(finals_torch, grad_finals):
        if grad_state is not None:
            loss = loss + (state * torch.tensor(grad_state)).sum()
    loss.backward()
    grad_final = None if all(g is None for g in grad_finals) else (tuple(grad_finals) if count == 2 else grad_finals[0])
    grad_x, grad_initial = layer.run_backward(upstream, cache, grad_final)
    grad_initials = list(grad_initial) if count == 2 else [grad_initial]

    where = f"{name}({config}) on x {x.shape}, initial states given: {given}"
    np.testing.assert_allclose(y, expected.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE, err_msg=where)
    for k in range(count):
        np.testing.assert_allclose(finals[k], finals_torch[k].detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=f"{where}: final state {k}")
        np.testing.assert_allclose(grad_initials[k], starts_torch[k].grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=f"{where}: gradient of initial state {k}")
    np.testing.assert_allclose(grad_x, x_torch.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE, err_msg=where)
    for key, parameter in module.named_parameters():
        np.testing.assert_allclose(layer.grads[key], parameter.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=f"{where}: {key}")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_run_with_initial_states_matches_torch_on_random_configs(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    for seed in range(CONFIGS_PER_LAYER):
        compare_run(name, random_config(name, rng), int(rng.integers(1, 7)), int(rng.integers(1, 5)),
                    int(rng.integers(1, 4)), seed)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_run_with_initial_states_matches_torch_on_long_sequences(name):
    """Thirty-five steps: an error in carrying the state that grows through time would show."""
    compare_run(name, {"hidden_size": 6, "num_layers": 2, "bidirectional": True, "return_sequences": True,
                       "use_bias": True, **({"nonlinearity": "tanh"} if name == "rnn" else {})}, 35, 4, 3, seed=5)
