"""nnfs-optim against torch.optim: 50-step trajectories and 200-step learning-rate sequences; parameter groups
(per-group hyperparameters, schedulers scaling every group from its own base rate)."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import registry

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")

SHAPES = [(7,), (3, 4), (2, 3, 2, 2)]
STEPS = 50
TRAJECTORY_RTOL = 1e-6
LR_RTOL = 1e-9

# (nnfs name, nnfs kwargs, torch class name, torch kwargs); "lr" is spelled learning_rate in nnfs.
OPTIMIZER_CASES = [
    ("sgd", {"learning_rate": 0.05}, "SGD", {"lr": 0.05}),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9}, "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
     "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.02},
     "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.02}),
    ("adam", {"learning_rate": 0.01}, "Adam", {"lr": 0.01}),
    ("adam", {"learning_rate": 0.01, "weight_decay": 0.1}, "Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("adam", {"learning_rate": 0.01, "amsgrad": True, "betas": (0.8, 0.99)},
     "Adam", {"lr": 0.01, "amsgrad": True, "betas": (0.8, 0.99)}),
    ("adam", {"learning_rate": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
     "Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("adamw", {"learning_rate": 0.01}, "AdamW", {"lr": 0.01}),
    ("adamw", {"learning_rate": 0.01, "weight_decay": 0.3, "amsgrad": True},
     "AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
    ("adamax", {}, "Adamax", {}),
    ("adamax", {"learning_rate": 0.01, "weight_decay": 0.05}, "Adamax", {"lr": 0.01, "weight_decay": 0.05}),
    ("nadam", {}, "NAdam", {}),
    ("nadam", {"learning_rate": 0.01, "weight_decay": 0.05, "momentum_decay": 0.01},
     "NAdam", {"lr": 0.01, "weight_decay": 0.05, "momentum_decay": 0.01}),
    ("nadam", {"learning_rate": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True},
     "NAdam", {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True}),
    ("radam", {}, "RAdam", {}),
    ("radam", {"learning_rate": 0.01, "weight_decay": 0.05}, "RAdam", {"lr": 0.01, "weight_decay": 0.05}),
    ("radam", {"learning_rate": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True, "betas": (0.9, 0.9)},
     "RAdam", {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True, "betas": (0.9, 0.9)}),
    ("rmsprop", {}, "RMSprop", {}),
    ("rmsprop", {"momentum": 0.9, "weight_decay": 0.01}, "RMSprop", {"momentum": 0.9, "weight_decay": 0.01}),
    ("rmsprop", {"centered": True, "alpha": 0.9}, "RMSprop", {"centered": True, "alpha": 0.9}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.01},
     "RMSprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.01}),
    ("adagrad", {}, "Adagrad", {}),
    ("adagrad", {"lr_decay": 0.01, "weight_decay": 0.05, "initial_accumulator_value": 0.1},
     "Adagrad", {"lr_decay": 0.01, "weight_decay": 0.05, "initial_accumulator_value": 0.1}),
    ("adadelta", {}, "Adadelta", {}),
    ("adadelta", {"learning_rate": 0.5, "rho": 0.8, "weight_decay": 0.05},
     "Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.05}),
]


def _case_id(case):
    name, kwargs = case[0], case[1]
    return name + "".join(f"-{key}={value}" for key, value in kwargs.items() if key != "learning_rate")


def _gradient_sequence(seed: int, steps: int = STEPS) -> list[list[np.ndarray]]:
    """Random gradients of changing scale; every parameter gets a few all-zero gradients on the way."""
    rng = np.random.default_rng(seed)
    sequence = []
    for step in range(steps):
        grads = []
        for index, shape in enumerate(SHAPES):
            scale = 10.0 ** rng.uniform(-2, 1)
            grad = rng.normal(0.0, scale, size=shape)
            if (step + index) % 11 == 5:
                grad[...] = 0.0
            grads.append(grad)
        sequence.append(grads)
    return sequence


def _initial_params(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed + 1000)
    return [rng.normal(0.0, 1.0, size=shape) for shape in SHAPES]


def _relative_deviation(ours: np.ndarray, theirs: np.ndarray) -> float:
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-8)))


def _run_against_torch(ours_optimizer, torch_factory, seed: int, dtype=np.float64):
    params = [array.astype(dtype) for array in _initial_params(seed)]
    tensors = [torch.tensor(array.copy(), requires_grad=True) for array in params]
    theirs = torch_factory(tensors)
    worst = 0.0
    for grads in _gradient_sequence(seed):
        ours_optimizer.step(params, [grad.astype(dtype) for grad in grads])
        for tensor, grad in zip(tensors, grads):
            tensor.grad = torch.tensor(grad.astype(dtype))
        theirs.step()
        for array, tensor in zip(params, tensors):
            worst = max(worst, _relative_deviation(array, tensor.detach().numpy()))
    return worst, params, [tensor.detach().numpy() for tensor in tensors]


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=[_case_id(case) for case in OPTIMIZER_CASES])
def test_optimizer_trajectory_matches_torch(case):
    name, kwargs, torch_name, torch_kwargs = case
    ours = registry.optimizers.create(name, **kwargs)
    factory = getattr(torch.optim, torch_name)
    worst, params, expected = _run_against_torch(ours, lambda ts: factory(ts, foreach=False, **torch_kwargs), seed=3)
    assert worst <= TRAJECTORY_RTOL, f"{name} {kwargs}: worst relative deviation from torch {worst:.3g}"
    for array, start in zip(params, _initial_params(3)):
        assert array.dtype == np.float64
        assert not np.allclose(array, start), "the parameters should have moved"


@pytest.mark.parametrize("case", OPTIMIZER_CASES[::3], ids=[_case_id(case) for case in OPTIMIZER_CASES[::3]])
def test_optimizer_float32_stays_close_to_torch(case):
    name, kwargs, torch_name, torch_kwargs = case
    ours = registry.optimizers.create(name, **kwargs)
    factory = getattr(torch.optim, torch_name)
    _, params, expected = _run_against_torch(
        ours, lambda ts: factory(ts, foreach=False, **torch_kwargs), seed=4, dtype=np.float32
    )
    for array, reference in zip(params, expected):
        assert array.dtype == np.float32
        np.testing.assert_allclose(array, reference, rtol=1e-4, atol=1e-5)


@pytest.fixture
def torch_float64_scalars():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


@pytest.mark.parametrize("case", [case for case in OPTIMIZER_CASES if case[0] == "nadam"], ids=_case_id)
def test_nadam_matches_torch_tightly_when_torch_keeps_mu_product_in_float64(case, torch_float64_scalars):
    """torch keeps NAdam's mu_product in the default dtype (float32), which costs it ~4e-7 relative over
    50 steps; we keep it in float64. With torch's scalars in float64 too, the two agree to rounding."""
    name, kwargs, torch_name, torch_kwargs = case
    ours = registry.optimizers.create(name, **kwargs)
    worst, _, _ = _run_against_torch(ours, lambda ts: torch.optim.NAdam(ts, foreach=False, **torch_kwargs), seed=3)
    assert worst <= 1e-12


class _TorchLion(torch.optim.Optimizer):
    """The Lion paper's Algorithm 2, written with torch ops as in its reference implementation."""

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if "exp_avg" not in state:
                    state["exp_avg"] = torch.zeros_like(p)
                exp_avg = state["exp_avg"]
                p.mul_(1 - group["lr"] * group["weight_decay"])
                update = exp_avg.clone().mul_(beta1).add(p.grad, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-group["lr"])
                exp_avg.mul_(beta2).add_(p.grad, alpha=1 - beta2)


@pytest.mark.parametrize("kwargs", [{}, {"learning_rate": 3e-3, "weight_decay": 0.1, "betas": (0.95, 0.98)}])
def test_lion_matches_the_papers_rule(kwargs):
    ours = registry.optimizers.create("lion", **kwargs)
    torch_kwargs = {("lr" if key == "learning_rate" else key): value for key, value in kwargs.items()}
    worst, _, _ = _run_against_torch(ours, lambda ts: _TorchLion(ts, **torch_kwargs), seed=5)
    assert worst <= TRAJECTORY_RTOL


@pytest.mark.parametrize("max_norm", [0.1, 1.0, 1e6])
def test_clip_norm_matches_clip_grad_norm(max_norm):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=shape) for shape in SHAPES]
    tensors = [torch.zeros(shape, dtype=torch.float64, requires_grad=True) for shape in SHAPES]
    for tensor, grad in zip(tensors, grads):
        tensor.grad = torch.tensor(grad.copy())
    torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    optimizer = registry.optimizers.create("sgd", learning_rate=0.0, clip_norm=max_norm)
    optimizer.step([np.zeros(shape) for shape in SHAPES], grads)
    for grad, tensor in zip(grads, tensors):
        np.testing.assert_allclose(grad, tensor.grad.numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("clip_value", [0.05, 0.5, 10.0])
def test_clip_value_matches_clip_grad_value(clip_value):
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=shape).astype(np.float32) for shape in SHAPES]
    tensors = [torch.zeros(shape, requires_grad=True) for shape in SHAPES]
    for tensor, grad in zip(tensors, grads):
        tensor.grad = torch.tensor(grad.copy())
    torch.nn.utils.clip_grad_value_(tensors, clip_value)
    optimizer = registry.optimizers.create("sgd", learning_rate=0.0, clip_value=clip_value)
    optimizer.step([np.zeros(shape, np.float32) for shape in SHAPES], grads)
    for grad, tensor in zip(grads, tensors):
        np.testing.assert_array_equal(grad, tensor.grad.numpy())


def test_clipped_training_matches_torch():
    """Clipping by norm and value before Adam steps, 50 times, as torch users write it."""
    ours = registry.optimizers.create("adam", learning_rate=0.01, clip_norm=1.0, clip_value=0.8)
    params = _initial_params(6)
    tensors = [torch.tensor(array.copy(), requires_grad=True) for array in params]
    theirs = torch.optim.Adam(tensors, lr=0.01, foreach=False)
    for grads in _gradient_sequence(6):
        ours.step(params, [grad.copy() for grad in grads])
        for tensor, grad in zip(tensors, grads):
            tensor.grad = torch.tensor(grad.copy())
        torch.nn.utils.clip_grad_value_(tensors, 0.8)
        torch.nn.utils.clip_grad_norm_(tensors, 1.0)
        theirs.step()
    for array, tensor in zip(params, tensors):
        np.testing.assert_allclose(array, tensor.detach().numpy(), rtol=TRAJECTORY_RTOL, atol=1e-12)


# --- schedulers -------------------------------------------------------------------------------------------
LR_STEPS = 200
BASE_LR = 0.1
LRS = torch.optim.lr_scheduler

# (nnfs name, nnfs kwargs, torch factory taking the torch optimizer)
SCHEDULER_CASES = [
    ("step_lr", {"step_size": 7}, lambda o: LRS.StepLR(o, step_size=7)),
    ("step_lr", {"step_size": 30, "gamma": 0.5}, lambda o: LRS.StepLR(o, step_size=30, gamma=0.5)),
    ("multi_step_lr", {"milestones": [150, 10, 60, 60], "gamma": 0.3},
     lambda o: LRS.MultiStepLR(o, milestones=[150, 10, 60, 60], gamma=0.3)),
    ("exponential_lr", {"gamma": 0.97}, lambda o: LRS.ExponentialLR(o, gamma=0.97)),
    ("cosine_annealing_lr", {"t_max": 50}, lambda o: LRS.CosineAnnealingLR(o, T_max=50)),
    ("cosine_annealing_lr", {"t_max": 37, "eta_min": 0.01}, lambda o: LRS.CosineAnnealingLR(o, T_max=37, eta_min=0.01)),
    ("cosine_annealing_warm_restarts", {"t_0": 13}, lambda o: LRS.CosineAnnealingWarmRestarts(o, T_0=13)),
    ("cosine_annealing_warm_restarts", {"t_0": 5, "t_mult": 2, "eta_min": 0.001},
     lambda o: LRS.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.001)),
    ("linear_lr", {}, lambda o: LRS.LinearLR(o)),
    ("linear_lr", {"start_factor": 0.9, "end_factor": 0.05, "total_iters": 120},
     lambda o: LRS.LinearLR(o, start_factor=0.9, end_factor=0.05, total_iters=120)),
    ("one_cycle_lr", {"max_lr": 0.5, "total_steps": 200},
     lambda o: LRS.OneCycleLR(o, max_lr=0.5, total_steps=200)),
    ("one_cycle_lr", {"max_lr": 0.5, "epochs": 8, "steps_per_epoch": 25, "anneal_strategy": "linear",
                      "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0},
     lambda o: LRS.OneCycleLR(o, max_lr=0.5, epochs=8, steps_per_epoch=25, anneal_strategy="linear",
                              pct_start=0.25, div_factor=10.0, final_div_factor=100.0)),
    ("one_cycle_lr", {"max_lr": 1.0, "total_steps": 230, "three_phase": True, "cycle_momentum": False},
     lambda o: LRS.OneCycleLR(o, max_lr=1.0, total_steps=230, three_phase=True, cycle_momentum=False)),
    ("linear_warmup", {"warmup_steps": 10}, lambda o: LRS.LinearLR(o, total_iters=10)),
    ("linear_warmup", {"warmup_steps": 20, "start_factor": 0.01,
                       "scheduler": {"name": "cosine_annealing_lr", "t_max": 100, "eta_min": 0.001}},
     lambda o: LRS.SequentialLR(o, [LRS.LinearLR(o, start_factor=0.01, total_iters=20),
                                    LRS.CosineAnnealingLR(o, T_max=100, eta_min=0.001)], milestones=[20])),
    ("linear_warmup", {"warmup_steps": 15, "scheduler": {"name": "step_lr", "step_size": 20, "gamma": 0.5}},
     lambda o: LRS.SequentialLR(o, [LRS.LinearLR(o, total_iters=15), LRS.StepLR(o, step_size=20, gamma=0.5)],
                                milestones=[15])),
]


class _Holder:
    """A stand-in for an nnfs optimizer: all a scheduler touches is ``learning_rate`` (and momentum)."""

    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self.momentum = 0.5  # as the torch twin's SGD


def _torch_optimizer():
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LR, momentum=0.5)


def _lr_sequences(ours, theirs, torch_optimizer, metrics=None):
    holder = _Holder(BASE_LR)
    ours.attach(holder)
    got, expected = [holder.learning_rate], [torch_optimizer.param_groups[0]["lr"]]
    momenta, expected_momenta = [holder.momentum], [torch_optimizer.param_groups[0]["momentum"]]
    for step in range(LR_STEPS):
        torch_optimizer.step()
        if metrics is None:
            theirs.step()
            ours.step()
        else:
            theirs.step(metrics[step])
            ours.step({"val_loss": metrics[step]})
        got.append(holder.learning_rate)
        expected.append(torch_optimizer.param_groups[0]["lr"])
        momenta.append(holder.momentum)
        expected_momenta.append(torch_optimizer.param_groups[0]["momentum"])
    return np.array(got), np.array(expected), np.array(momenta), np.array(expected_momenta)


@pytest.mark.parametrize("case", SCHEDULER_CASES, ids=[_case_id(case) for case in SCHEDULER_CASES])
def test_scheduler_lr_sequence_matches_torch(case):
    name, kwargs, factory = case
    torch_optimizer = _torch_optimizer()
    got, expected, momenta, expected_momenta = _lr_sequences(
        registry.schedulers.create(name, **kwargs), factory(torch_optimizer), torch_optimizer
    )
    np.testing.assert_allclose(got, expected, rtol=LR_RTOL, atol=1e-15)
    if name == "one_cycle_lr":  # momentum is cycled the opposite way (or left alone) as in torch
        np.testing.assert_allclose(momenta, expected_momenta, rtol=LR_RTOL, atol=0)


def _plateau_metrics(seed):
    rng = np.random.default_rng(seed)
    t = np.arange(LR_STEPS)
    return list(1.0 / (1.0 + 0.1 * t) + np.where(t > 60, 0.02 * rng.standard_normal(LR_STEPS), 0.0))


PLATEAU_CASES = [
    {},
    {"patience": 3, "factor": 0.5},
    {"patience": 2, "factor": 0.7, "cooldown": 4, "threshold": 0.01, "threshold_mode": "abs"},
    {"patience": 1, "factor": 0.5, "min_lr": 0.004, "threshold": 0.05},
    {"mode": "max", "patience": 4, "factor": 0.3, "threshold": 0.02},
]


@pytest.mark.parametrize("kwargs", PLATEAU_CASES, ids=[str(kwargs) for kwargs in PLATEAU_CASES])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    torch_optimizer = _torch_optimizer()
    theirs = LRS.ReduceLROnPlateau(torch_optimizer, **kwargs)
    got, expected, _, _ = _lr_sequences(
        registry.schedulers.create("reduce_lr_on_plateau", **kwargs), theirs, torch_optimizer, _plateau_metrics(7)
    )
    np.testing.assert_allclose(got, expected, rtol=LR_RTOL, atol=0)
    assert len(set(got)) > 2, "the metric sequence should make the scheduler reduce more than once"


# --- parameter groups --------------------------------------------------------------------------------------
NAMES = {"body.weight": (3, 4), "body.bias": (4,), "head.weight": (2, 3)}

# (nnfs name, default kwargs, group overrides for the body, torch class); torch spells learning_rate lr.
GROUP_CASES = [
    ("sgd", {"learning_rate": 0.05, "momentum": 0.9}, {"learning_rate": 0.01, "weight_decay": 0.1}, "SGD"),
    ("adam", {"learning_rate": 0.01}, {"learning_rate": 0.002, "betas": (0.8, 0.99), "amsgrad": True}, "Adam"),
    ("adamw", {"learning_rate": 0.01}, {"weight_decay": 0.0, "eps": 1e-6}, "AdamW"),
    ("adamax", {"learning_rate": 0.01}, {"learning_rate": 0.003, "weight_decay": 0.05}, "Adamax"),
    ("nadam", {"learning_rate": 0.01}, {"learning_rate": 0.004, "momentum_decay": 0.01}, "NAdam"),
    ("radam", {"learning_rate": 0.01}, {"weight_decay": 0.05, "decoupled_weight_decay": True}, "RAdam"),
    ("rmsprop", {"learning_rate": 0.01}, {"momentum": 0.5, "centered": True}, "RMSprop"),
    ("adagrad", {"learning_rate": 0.05}, {"lr_decay": 0.01, "learning_rate": 0.02}, "Adagrad"),
    ("adadelta", {"learning_rate": 0.5}, {"rho": 0.8, "weight_decay": 0.05}, "Adadelta"),
]


def _torch_kwargs(kwargs):
    return {("lr" if key == "learning_rate" else key): value for key, value in kwargs.items()}


def test_every_registered_optimizer_is_covered():
    assert {case[0] for case in GROUP_CASES} | {"lion"} == set(registry.optimizers.names())


@pytest.mark.parametrize("case", GROUP_CASES, ids=[case[0] for case in GROUP_CASES])
def test_per_group_hyperparameters_match_torch_param_groups(case):
    name, kwargs, overrides, torch_name = case
    rng = np.random.default_rng(2)
    params = {key: rng.normal(size=shape) for key, shape in NAMES.items()}
    ours = registry.optimizers.create(name, **kwargs, param_groups=[{"params": "body", **overrides}])
    tensors = {key: torch.tensor(value.copy(), requires_grad=True) for key, value in params.items()}
    theirs = getattr(torch.optim, torch_name)(
        [{"params": [tensors["body.weight"], tensors["body.bias"]], **_torch_kwargs(overrides)},
         {"params": [tensors["head.weight"]]}], foreach=False, **_torch_kwargs(kwargs))
    for _ in range(30):
        grads = {key: rng.normal(size=shape) * 10.0 ** rng.uniform(-2, 1) for key, shape in NAMES.items()}
        ours.step(params, {key: grad.copy() for key, grad in grads.items()})
        for key, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[key])
        theirs.step()
    for key, tensor in tensors.items():
        np.testing.assert_allclose(params[key], tensor.detach().numpy(), rtol=1e-6, atol=1e-12, err_msg=key)


class _GroupsHolder:
    """All a scheduler touches: the learning rate, momentum and the parameter groups."""

    def __init__(self):
        self.learning_rate = BASE_LR
        self.momentum = 0.5
        self.param_groups = [{"params": ("body",), "learning_rate": 0.03, "momentum": 0.5}]


def _two_group_torch_optimizer():
    first, second = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    return torch.optim.SGD([{"params": [first]}, {"params": [second], "lr": 0.03}], lr=BASE_LR, momentum=0.5)


def _group_sequences(ours, theirs, torch_optimizer, metrics=None):
    holder = _GroupsHolder()
    ours.attach(holder)
    got, expected = [], []
    for step in range(LR_STEPS + 1):
        got.append((holder.learning_rate, holder.param_groups[0]["learning_rate"]))
        expected.append((torch_optimizer.param_groups[0]["lr"], torch_optimizer.param_groups[1]["lr"]))
        if step == LR_STEPS:
            break
        torch_optimizer.step()
        if metrics is None:
            theirs.step()
            ours.step()
        else:
            theirs.step(metrics[step])
            ours.step({"val_loss": metrics[step]})
    return np.array(got), np.array(expected)


@pytest.mark.parametrize("case", SCHEDULER_CASES, ids=[_case_id(case) for case in SCHEDULER_CASES])
def test_schedulers_scale_every_group_from_its_own_base_rate(case):
    name, kwargs, factory = case
    torch_optimizer = _two_group_torch_optimizer()
    got, expected = _group_sequences(registry.schedulers.create(name, **kwargs), factory(torch_optimizer),
                                     torch_optimizer)
    np.testing.assert_allclose(got, expected, rtol=LR_RTOL, atol=1e-15)


@pytest.mark.parametrize("kwargs", PLATEAU_CASES[1:3], ids=str)
def test_reduce_lr_on_plateau_reduces_every_group(kwargs):
    torch_optimizer = _two_group_torch_optimizer()
    got, expected = _group_sequences(registry.schedulers.create("reduce_lr_on_plateau", **kwargs),
                                     LRS.ReduceLROnPlateau(torch_optimizer, **kwargs), torch_optimizer,
                                     _plateau_metrics(7))
    np.testing.assert_allclose(got, expected, rtol=LR_RTOL, atol=0)
    assert len(set(got[:, 1])) > 2
