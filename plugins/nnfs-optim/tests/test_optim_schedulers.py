"""Learning-rate schedules in closed form, ReduceLROnPlateau's rules, warm-up, one-cycle and scheduler state."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from nnfs_optim import (
    SGD,
    Adagrad,
    Adam,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LinearLR,
    LinearWarmup,
    MultiStepLR,
    OneCycleLR,
    ReduceLROnPlateau,
    StepLR,
)


class Holder:
    def __init__(self, learning_rate=0.1):
        self.learning_rate = learning_rate


def rates(scheduler, steps, learning_rate=0.1, logs=None):
    """The optimizer's learning rate after attaching, then after each of ``steps`` steps."""
    optimizer = Holder(learning_rate)
    scheduler.attach(optimizer)
    got = [optimizer.learning_rate]
    for _ in range(steps):
        scheduler.step(logs)
        got.append(optimizer.learning_rate)
    return np.array(got)


def test_step_lr():
    np.testing.assert_allclose(rates(StepLR(3, gamma=0.5), 8), 0.1 * np.array([1, 1, 1, .5, .5, .5, .25, .25, .25]))


def test_multi_step_lr_counts_repeated_milestones_twice():
    got = rates(MultiStepLR([5, 2, 5], gamma=0.1), 7)
    np.testing.assert_allclose(got, [0.1, 0.1, 0.01, 0.01, 0.01, 1e-4, 1e-4, 1e-4], rtol=1e-12)


def test_exponential_lr():
    np.testing.assert_allclose(rates(ExponentialLR(0.9), 30), 0.1 * 0.9 ** np.arange(31), rtol=1e-12)


def test_cosine_annealing_lr_landmarks():
    got = rates(CosineAnnealingLR(10, eta_min=0.02), 20)
    assert got[0] == pytest.approx(0.1)
    assert got[5] == pytest.approx(0.06)  # halfway: the mean of base_lr and eta_min
    assert got[10] == pytest.approx(0.02)
    assert got[20] == pytest.approx(0.1)  # past t_max the cosine climbs back, as torch's does
    assert np.all(np.diff(got[:11]) < 0)


def test_cosine_annealing_warm_restarts_cycle_lengths():
    scheduler = CosineAnnealingWarmRestarts(2, t_mult=2)
    got = rates(scheduler, 14)
    restarts = [t for t in range(15) if got[t] == pytest.approx(0.1)]
    assert restarts == [0, 2, 6, 14]  # cycles of 2, 4, 8
    assert got[3] == pytest.approx(0.1 * (1 + math.cos(math.pi / 4)) / 2)
    assert scheduler.cycle_position() == (0, 16)


def test_linear_lr_defaults_to_torchs_third():
    got = rates(LinearLR(), 8)
    np.testing.assert_allclose(got, 0.1 * np.array([1 / 3, 7 / 15, 9 / 15, 11 / 15, 13 / 15, 1, 1, 1, 1]), rtol=1e-12)


def test_one_cycle_lr_landmarks_and_momentum():
    optimizer = SGD(0.5, momentum=0.9)
    scheduler = OneCycleLR(1.0, total_steps=100, div_factor=20.0, final_div_factor=50.0)
    scheduler.attach(optimizer)
    assert optimizer.learning_rate == pytest.approx(0.05) and optimizer.momentum == pytest.approx(0.95)
    seen = [(optimizer.learning_rate, optimizer.momentum)]
    for _ in range(99):
        scheduler.step()
        seen.append((optimizer.learning_rate, optimizer.momentum))
    assert seen[29] == pytest.approx((1.0, 0.85))  # the peak is at pct_start * total_steps - 1
    assert seen[99] == pytest.approx((0.05 / 50.0, 0.95))
    assert max(lr for lr, _ in seen) == pytest.approx(1.0)
    scheduler.step()  # step 100 == total_steps is still allowed, as in torch
    with pytest.raises(ValueError, match="OneCycleLR: tried to step 101 times"):
        scheduler.step()


def test_one_cycle_lr_cycles_beta1_of_adam():
    optimizer = Adam()
    OneCycleLR(0.01, total_steps=10).attach(optimizer)
    assert optimizer.betas == (0.95, 0.999)


def test_one_cycle_lr_needs_momentum_to_cycle_it():
    with pytest.raises(ValueError, match="Adagrad has neither; pass cycle_momentum=False"):
        OneCycleLR(0.1, total_steps=10).attach(Adagrad())
    OneCycleLR(0.1, total_steps=10, cycle_momentum=False).attach(Adagrad())


def test_one_cycle_lr_without_a_length_says_so():
    with pytest.raises(RuntimeError, match="does not know the length of its cycle"):
        OneCycleLR(0.1).attach(Holder())


def test_linear_warmup_then_the_wrapped_schedule():
    got = rates(LinearWarmup({"name": "step_lr", "step_size": 2, "gamma": 0.5}, warmup_steps=4, start_factor=0.2), 9)
    warm = 0.1 * np.array([0.2, 0.4, 0.6, 0.8])
    np.testing.assert_allclose(got, [*warm, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rtol=1e-12)


def test_linear_warmup_alone_holds_the_base_rate():
    np.testing.assert_allclose(rates(LinearWarmup(warmup_steps=2, start_factor=0.0), 4), [0, 0.05, 0.1, 0.1, 0.1])


def test_linear_warmup_takes_an_instance_and_its_interval():
    inner = CosineAnnealingLR(10, interval="batch")
    warmup = LinearWarmup(inner, warmup_steps=3)
    assert warmup.scheduler is inner and warmup.interval == "batch"
    assert warmup.get_config()["scheduler"] == {"name": "cosine_annealing_lr", **inner.get_config()}


def test_linear_warmup_can_wrap_reduce_lr_on_plateau():
    warmup = LinearWarmup(ReduceLROnPlateau(patience=0), warmup_steps=2, start_factor=0.5)
    got = rates(warmup, 5, logs={"val_loss": 1.0})
    # warm-up 0.05, 0.075, then 0.1; the plateau scheduler is stepped from step 3 on: 1.0 is an improvement
    # over inf, then two bad epochs with patience 0 cut twice.
    np.testing.assert_allclose(got, [0.05, 0.075, 0.1, 0.1, 0.01, 0.001], rtol=1e-12)


# --- ReduceLROnPlateau -------------------------------------------------------------------------------------
def plateau(metrics, **kwargs):
    scheduler, optimizer = ReduceLROnPlateau(**kwargs), Holder(1.0)
    scheduler.attach(optimizer)
    got = []
    for value in metrics:
        scheduler.step({"val_loss": value, "loss": 99.0})
        got.append(optimizer.learning_rate)
    return got


def test_plateau_waits_patience_epochs_then_cuts():
    assert plateau([1.0, 1.0, 1.0, 1.0, 1.0], patience=2, factor=0.5) == [1.0, 1.0, 1.0, 0.5, 0.5]


def test_plateau_counts_only_relative_improvements_beyond_threshold():
    # 1.0 -> 0.95 is a 5% improvement; 0.95 -> 0.949 is not with threshold 1%.
    assert plateau([1.0, 0.95, 0.949, 0.948], patience=1, factor=0.5, threshold=0.01) == [1.0, 1.0, 1.0, 0.5]
    assert plateau([1.0, 0.95, 0.949, 0.948], patience=1, factor=0.5, threshold=1e-4) == [1.0] * 4


def test_plateau_cooldown_and_min_lr():
    got = plateau([1.0] * 9, patience=0, factor=0.5, cooldown=2, min_lr=0.2)
    assert got == [1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2]


def test_plateau_skips_reductions_smaller_than_eps():
    assert plateau([1.0, 1.0, 1.0], patience=0, factor=0.5, min_lr=0.9999, eps=1e-3) == [1.0, 1.0, 1.0]


def test_plateau_max_mode():
    assert plateau([0.5, 0.6, 0.6, 0.6], mode="max", patience=1, factor=0.1) == pytest.approx([1.0, 1.0, 1.0, 0.1])


def test_plateau_falls_back_to_loss_with_a_warning():
    scheduler, optimizer = ReduceLROnPlateau(patience=0), Holder(1.0)
    scheduler.attach(optimizer)
    with pytest.warns(UserWarning, match="monitors 'val_loss', which is not in the logs"):
        scheduler.step({"loss": 2.0})
    assert scheduler.best == 2.0
    with pytest.raises(KeyError, match="monitors 'val_loss'"):
        scheduler.step({"accuracy": 0.5})


def test_plateau_takes_the_metric_itself():
    scheduler, optimizer = ReduceLROnPlateau(monitor="val_accuracy", mode="max", patience=0), Holder(1.0)
    scheduler.attach(optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step(0.9)
        scheduler.step(np.float32(0.8))
    assert optimizer.learning_rate == pytest.approx(0.1)


# --- state, errors and configs ------------------------------------------------------------------------------
SCHEDULERS = [
    lambda: StepLR(4, gamma=0.5),
    lambda: CosineAnnealingWarmRestarts(3, t_mult=2),
    lambda: OneCycleLR(0.3, epochs=3, steps_per_epoch=10, cycle_momentum=False),
    lambda: ReduceLROnPlateau(monitor="loss", patience=1, cooldown=1),
    lambda: LinearWarmup(ReduceLROnPlateau(monitor="loss", patience=0), warmup_steps=3),
    lambda: LinearWarmup({"name": "exponential_lr", "gamma": 0.8}, warmup_steps=5),
]


@pytest.mark.parametrize("factory", SCHEDULERS)
def test_scheduler_state_dict_round_trip(factory):
    logs = [{"loss": value} for value in [3.0, 2.0, 2.5, 2.5, 1.0, 1.5, 1.5, 1.5, 0.5, 0.7] * 2]
    original, optimizer = factory(), Holder(0.1)
    original.attach(optimizer)
    for entry in logs[:7]:
        original.step(entry)
    restored, twin = type(original)(**original.get_config()), Holder(0.1)
    restored.attach(twin)
    restored.load_state_dict(original.state_dict())
    assert twin.learning_rate == optimizer.learning_rate
    for entry in logs[7:]:
        original.step(entry)
        restored.step(entry)
        assert twin.learning_rate == optimizer.learning_rate


def test_a_scheduler_restores_its_rate_when_loaded_after_attaching():
    scheduler = ExponentialLR(0.5)
    rates(scheduler, 3)
    state = scheduler.state_dict()
    other, optimizer = ExponentialLR(0.5), Holder(0.1)
    other.attach(optimizer)
    other.load_state_dict(state)
    assert optimizer.learning_rate == pytest.approx(0.0125)


@pytest.mark.parametrize(
    "factory", [lambda: StepLR(2), lambda: ReduceLROnPlateau(), lambda: LinearWarmup(warmup_steps=2)]
)
def test_stepping_before_attaching_explains_itself(factory):
    with pytest.raises(RuntimeError, match="not attached to an optimizer"):
        factory().step({"val_loss": 1.0})


@pytest.mark.parametrize(
    ("factory", "error", "message"),
    [
        (lambda: StepLR(0), ValueError, "StepLR: step_size must be >= 1"),
        (lambda: StepLR(2.5), TypeError, "StepLR: step_size must be an integer"),
        (lambda: MultiStepLR(3), TypeError, "MultiStepLR: milestones must be a list"),
        (lambda: MultiStepLR([1, -2]), ValueError, r"MultiStepLR: milestones\[1\]"),
        (lambda: ExponentialLR(0.0), ValueError, "ExponentialLR: gamma"),
        (lambda: CosineAnnealingLR(10, interval="step"), ValueError, "CosineAnnealingLR: interval must be one of"),
        (lambda: CosineAnnealingWarmRestarts(4, t_mult=0), ValueError, "t_mult must be >= 1"),
        (lambda: LinearLR(start_factor=0.0), ValueError, r"LinearLR: start_factor must be in \(0, 1\]"),
        (lambda: OneCycleLR(0.1, anneal_strategy="cosine"), ValueError, "OneCycleLR: anneal_strategy"),
        (lambda: OneCycleLR(0.1, pct_start=1.5), ValueError, "OneCycleLR: pct_start"),
        (lambda: ReduceLROnPlateau(factor=1.0), ValueError, r"ReduceLROnPlateau: factor must be in \[0, 1\)"),
        (lambda: ReduceLROnPlateau(mode="lowest"), ValueError, "ReduceLROnPlateau: mode"),
        (lambda: LinearWarmup(warmup_steps=0), ValueError, "LinearWarmup: warmup_steps"),
        (lambda: LinearWarmup(42, warmup_steps=2), TypeError, "LinearWarmup: scheduler must be"),
    ],
)
def test_bad_scheduler_arguments_are_rejected_by_name(factory, error, message):
    with pytest.raises(error, match=message):
        factory()
