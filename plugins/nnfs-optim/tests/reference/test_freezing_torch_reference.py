"""Freezing and unfreezing layers between fits, with parameter groups, against torch.optim (issue 15).

Every registered optimizer trains the same float64 network three times in a row - the first layer frozen,
then the last one frozen and the first trainable again, then everything trainable - and every parameter
must follow torch's trajectory (``requires_grad`` flags set the same way, the same parameter groups, one
``optimizer.step`` per batch) to 1e-6. An optimizer that confused two parameters' state, gave a frozen
parameter weight decay or moments, or counted a parameter's steps while it was frozen would leave it.
Lion is not in torch 2.13: its reference update is written here, from the paper's Algorithm 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.layers.dense import Dense

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")

RTOL = 1e-6

# (nnfs name, nnfs kwargs, overrides for the biases' group, torch optimizer class or name); lr is learning_rate.
CASES = [
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.01}, {"weight_decay": 0.0}, "SGD"),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.8, "nesterov": True}, {"learning_rate": 0.02}, "SGD"),
    ("adam", {"learning_rate": 0.01, "weight_decay": 0.05}, {"weight_decay": 0.0, "betas": (0.8, 0.99)}, "Adam"),
    ("adam", {"learning_rate": 0.01, "amsgrad": True}, {"learning_rate": 0.003}, "Adam"),
    ("adamw", {"learning_rate": 0.01, "weight_decay": 0.1}, {"weight_decay": 0.0}, "AdamW"),
    ("adamax", {"learning_rate": 0.01}, {"learning_rate": 0.003, "weight_decay": 0.05}, "Adamax"),
    ("nadam", {"learning_rate": 0.01}, {"learning_rate": 0.004, "momentum_decay": 0.01}, "NAdam"),
    ("radam", {"learning_rate": 0.01}, {"weight_decay": 0.05, "decoupled_weight_decay": True}, "RAdam"),
    ("rmsprop", {"learning_rate": 0.01, "momentum": 0.5}, {"centered": True, "weight_decay": 0.01}, "RMSprop"),
    ("adagrad", {"learning_rate": 0.05, "lr_decay": 0.01}, {"learning_rate": 0.02}, "Adagrad"),
    ("adadelta", {"learning_rate": 0.5}, {"rho": 0.8, "weight_decay": 0.05}, "Adadelta"),
    ("lion", {"learning_rate": 1e-3, "weight_decay": 0.1}, {"weight_decay": 0.0, "betas": (0.95, 0.98)}, "Lion"),
]


class TorchLion(torch.optim.Optimizer):
    """Lion (Chen et al. 2023, Algorithm 2) by hand: decoupled decay, the sign of an interpolation, then the
    moment's update; parameters without a gradient (frozen) are skipped as torch's own optimizers do."""

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                exp_avg = self.state[p].setdefault("exp_avg", torch.zeros_like(p))
                p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(torch.sign(beta1 * exp_avg + (1 - beta1) * p.grad), alpha=-group["lr"])
                exp_avg.mul_(beta2).add_(p.grad, alpha=1 - beta2)


def _torch_kwargs(kwargs):
    return {("lr" if key == "learning_rate" else key): value for key, value in kwargs.items()}


def _data(n=24):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(n, 4))
    return x, (x[:, 0] - x[:, 1] + 0.5 * x[:, 2] > 0).astype(np.int64) + (x[:, 3] > 1)


def _torch_model(net):
    linears = [torch.nn.Linear(4, 6, dtype=torch.float64), torch.nn.Linear(6, 5, dtype=torch.float64),
               torch.nn.Linear(5, 3, dtype=torch.float64)]
    with torch.no_grad():
        for layer, linear in zip(net.layers, linears):
            linear.weight.copy_(torch.from_numpy(layer.params["weight"]))
            linear.bias.copy_(torch.from_numpy(layer.params["bias"]))
    model = torch.nn.Sequential(linears[0], torch.nn.Tanh(), linears[1], torch.nn.Tanh(), linears[2])
    return model, {f"layers.{index}.{name}": getattr(linear, name) for index, linear in enumerate(linears)
                   for name in ("weight", "bias")}


def _torch_fit(model, optimizer, x, y, epochs, batch_size):
    for _ in range(epochs):
        for start in range(0, len(x), batch_size):
            optimizer.zero_grad(set_to_none=True)  # a frozen parameter keeps no gradient, so it is skipped
            loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x[start:start + batch_size])),
                                                     torch.from_numpy(y[start:start + batch_size]))
            loss.backward()
            optimizer.step()


def _set_requires_grad(tensors, frozen):
    for path, tensor in tensors.items():
        tensor.requires_grad_(not any(path.startswith(f"{layer}.") for layer in frozen))


def test_every_registered_optimizer_is_covered():
    assert {case[0] for case in CASES} == set(registry.optimizers.names())


@pytest.mark.parametrize("case", CASES, ids=[f"{case[0]}-{index}" for index, case in enumerate(CASES)])
def test_freezing_and_unfreezing_between_fits_follows_torch(case):
    name, kwargs, overrides, torch_name = case
    groups = [{"params": "layers.*.bias", **overrides}]
    optimizer = registry.optimizers.create(name, **kwargs, param_groups=groups)
    net = Network([Dense(6, activation="tanh"), Dense(5, activation="tanh"), Dense(3)], optimizer, "cross_entropy",
                  input_shape=(4,), dtype="float64", seed=0).build()
    model, tensors = _torch_model(net)
    biases = [tensor for path, tensor in tensors.items() if path.endswith(".bias")]
    weights = [tensor for path, tensor in tensors.items() if path.endswith(".weight")]
    factory = TorchLion if torch_name == "Lion" else getattr(torch.optim, torch_name)
    extra = {} if torch_name == "Lion" else {"foreach": False}
    theirs = factory([{"params": biases, **_torch_kwargs(overrides)}, {"params": weights}], **_torch_kwargs(kwargs),
                     **extra)
    x, y = _data()
    phases = [(("layers.0",), 2), (("layers.2",), 2), ((), 1)]  # frozen layers, epochs
    for phase, (frozen, epochs) in enumerate(phases):
        net.unfreeze()
        if frozen:
            net.freeze(*frozen)
        _set_requires_grad(tensors, frozen)
        net.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)
        _torch_fit(model, theirs, x, y, epochs, batch_size=8)
        for path, ours in net.named_parameters():
            np.testing.assert_allclose(ours, tensors[path].detach().numpy(), rtol=RTOL, atol=1e-12,
                                       err_msg=f"{name} after phase {phase} (frozen {frozen}): {path}")
        for path in net.optimizer.state:  # a parameter frozen from the start has no state, as in torch
            assert path in {p for p, t in tensors.items() if theirs.state.get(t)}, path
