"""Hand-computed first steps of every optimizer, zero gradients, and argument checking."""

from __future__ import annotations

import math

import numpy as np
import pytest
from nnfs_optim import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Lion, NAdam, RAdam, RMSprop


def _params():
    return [np.array([1.0, -2.0, 0.5]), np.array([[0.3, -0.1], [2.0, 4.0]])]


def _grads():
    return [np.array([0.5, 0.25, -3.0]), np.array([[-1.0, 0.02], [7.0, -0.5]])]


def _step(optimizer, grads=None):
    params = _params()
    optimizer.step(params, grads if grads is not None else _grads())
    return params


def test_sgd_plain_and_weight_decay():
    for got, p, g in zip(_step(SGD(0.1)), _params(), _grads()):
        np.testing.assert_allclose(got, p - 0.1 * g, rtol=1e-15)
    for got, p, g in zip(_step(SGD(0.1, weight_decay=0.2)), _params(), _grads()):
        np.testing.assert_allclose(got, p - 0.1 * (g + 0.2 * p), rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_two_steps(nesterov):
    optimizer = SGD(0.1, momentum=0.9, nesterov=nesterov)
    p, g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 0.25]), np.array([-1.0, 2.0])
    optimizer.step([p], [g1.copy()])
    expected = np.array([1.0, -2.0]) - 0.1 * ((g1 + 0.9 * g1) if nesterov else g1)
    np.testing.assert_allclose(p, expected, rtol=1e-15)
    optimizer.step([p], [g2.copy()])
    buffer = 0.9 * g1 + g2
    expected = expected - 0.1 * ((g2 + 0.9 * buffer) if nesterov else buffer)
    np.testing.assert_allclose(p, expected, rtol=1e-15)


def test_sgd_dampening_spares_the_first_step():
    optimizer = SGD(0.1, momentum=0.9, dampening=0.5)
    p, g1, g2 = np.array([1.0]), np.array([2.0]), np.array([4.0])
    optimizer.step([p], [g1])
    optimizer.step([p], [g2])
    np.testing.assert_allclose(p, 1.0 - 0.1 * 2.0 - 0.1 * (0.9 * 2.0 + 0.5 * 4.0), rtol=1e-15)


@pytest.mark.parametrize("scale", [1e-6, 1e-3, 1.0, 1e3, 1e6])
def test_adam_first_step_is_learning_rate_whatever_the_gradient_scale(scale):
    """Without bias correction the first step would be lr * (1 - beta1) / sqrt(1 - beta2) ~ 3.16 lr."""
    rng = np.random.default_rng(0)
    grad = rng.normal(size=100) * scale
    param = np.zeros(100)
    Adam(0.01, eps=0.0).step([param], [grad])
    np.testing.assert_allclose(np.abs(param), 0.01, rtol=1e-12)
    np.testing.assert_array_equal(np.sign(param), -np.sign(grad))
    if scale >= 1e-3:  # with the default eps the step is lr to within eps / |g|
        param = np.zeros(100)
        Adam(0.01).step([param], [grad])
        np.testing.assert_allclose(np.abs(param), 0.01, rtol=1e-8 / np.abs(grad).min() + 1e-12)


def test_adam_second_step_by_hand():
    b1, b2, lr, eps = 0.9, 0.999, 0.01, 1e-8
    p, g1, g2 = np.array([0.7]), np.array([0.3]), np.array([-0.2])
    optimizer = Adam(lr)
    optimizer.step([p], [g1])
    optimizer.step([p], [g2])
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    after_first = 0.7 - lr * 0.3 / (0.3 + eps)
    expected = after_first - lr / (1 - b1**2) * m / (np.sqrt(v / (1 - b2**2)) + eps)
    np.testing.assert_allclose(p, expected, rtol=1e-14)


def test_adamw_decays_the_weights_not_the_gradient():
    params = _step(AdamW(0.01, weight_decay=0.5, eps=0.0))
    for got, p, g in zip(params, _params(), _grads()):
        np.testing.assert_allclose(got, p * (1 - 0.01 * 0.5) - 0.01 * np.sign(g), rtol=1e-12)
    coupled = _step(Adam(0.01, weight_decay=0.5, eps=0.0))
    for got, p, g in zip(coupled, _params(), _grads()):
        np.testing.assert_allclose(got, p - 0.01 * np.sign(g + 0.5 * p), rtol=1e-12)


def test_adamax_first_step():
    for got, p, g in zip(_step(Adamax(0.002)), _params(), _grads()):
        np.testing.assert_allclose(got, p - 0.002 * g / (np.abs(g) + 1e-8), rtol=1e-14)


def test_nadam_first_step():
    b1, psi, lr, eps = 0.9, 4e-3, 0.002, 1e-8
    mu1 = b1 * (1 - 0.5 * 0.96 ** (1 * psi))
    mu2 = b1 * (1 - 0.5 * 0.96 ** (2 * psi))
    for got, p, g in zip(_step(NAdam(lr)), _params(), _grads()):
        d = np.abs(g) + eps
        expected = p - lr * (1 - mu1) / (1 - mu1) * g / d - lr * mu2 / (1 - mu1 * mu2) * (1 - b1) * g / d
        np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_radam_starts_as_plain_momentum_then_rectifies():
    # rho_1 = 1999 - 2 * 0.999 / 0.001 = 1 <= 5: the first step is lr * m / (1 - beta1) = lr * g.
    for got, p, g in zip(_step(RAdam(0.01)), _params(), _grads()):
        np.testing.assert_allclose(got, p - 0.01 * g, rtol=1e-12)
    optimizer, p = RAdam(0.01), np.array([1.0])
    for _ in range(6):
        optimizer.step([p], [np.array([1.0])])
    # With a constant gradient m/(1-b1^t) = 1 and sqrt(v/(1-b2^t)) = 1: steps 1-5 move lr, step 6 moves lr * r_6.
    b2 = 0.999
    rho_inf = 2 / (1 - b2) - 1
    rho_6 = rho_inf - 2 * 6 * b2**6 / (1 - b2**6)
    assert rho_6 > 5
    rect = math.sqrt((rho_6 - 4) * (rho_6 - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_6))
    root = math.sqrt(1 - b2**6)  # sqrt(v_6) with g = 1, so the adaptive factor is root / (root + eps)
    np.testing.assert_allclose(p, 1.0 - 5 * 0.01 - 0.01 * rect * root / (root + 1e-8), rtol=1e-14)


def test_rmsprop_first_step():
    for got, p, g in zip(_step(RMSprop(0.01)), _params(), _grads()):
        np.testing.assert_allclose(got, p - 0.01 * g / (np.sqrt(0.01 * g**2) + 1e-8), rtol=1e-14)
    for got, p, g in zip(_step(RMSprop(0.01, centered=True)), _params(), _grads()):
        variance = 0.01 * g**2 - (0.01 * g) ** 2
        np.testing.assert_allclose(got, p - 0.01 * g / (np.sqrt(variance) + 1e-8), rtol=1e-13)


def test_adagrad_first_steps_with_lr_decay():
    optimizer = Adagrad(0.1, lr_decay=0.5, initial_accumulator_value=0.25)
    p, g = np.array([1.0]), np.array([2.0])
    optimizer.step([p], [g.copy()])
    first = 1.0 - 0.1 * 2.0 / (np.sqrt(0.25 + 4.0) + 1e-10)
    np.testing.assert_allclose(p, first, rtol=1e-15)
    optimizer.step([p], [g.copy()])
    np.testing.assert_allclose(p, first - 0.1 / 1.5 * 2.0 / (np.sqrt(8.25) + 1e-10), rtol=1e-15)


def test_adadelta_first_step():
    rho, eps = 0.9, 1e-6
    for got, p, g in zip(_step(Adadelta()), _params(), _grads()):
        delta = np.sqrt(eps) / np.sqrt((1 - rho) * g**2 + eps) * g
        np.testing.assert_allclose(got, p - delta, rtol=1e-14)


def test_lion_moves_every_coordinate_by_the_learning_rate():
    optimizer = Lion(0.001, weight_decay=0.1)
    params = _step(optimizer)
    for got, p, g in zip(params, _params(), _grads()):
        np.testing.assert_allclose(got, p * (1 - 0.001 * 0.1) - 0.001 * np.sign(g), rtol=1e-15)
    np.testing.assert_allclose(optimizer.state["0"]["exp_avg"], 0.01 * _grads()[0], rtol=1e-15)


# --- zero gradients: torch steps every parameter that has a gradient, even an all-zero one ---------------
def test_zero_gradient_still_moves_a_parameter_with_momentum():
    optimizer, p = SGD(0.1, momentum=0.9), np.array([1.0])
    optimizer.step([p], [np.array([1.0])])
    optimizer.step([p], [np.zeros(1)])
    np.testing.assert_allclose(p, 1.0 - 0.1 - 0.1 * 0.9, rtol=1e-15)


def test_zero_gradient_with_weight_decay_shrinks_the_parameter():
    p = np.array([2.0])
    SGD(0.1, weight_decay=0.5).step([p], [np.zeros(1)])
    np.testing.assert_allclose(p, 2.0 - 0.1 * 0.5 * 2.0, rtol=1e-15)


def test_zero_gradient_counts_as_a_step_for_bias_correction():
    """Adam's first (zero) step leaves p alone but advances t, so the next step is lr*sqrt(1+b2)/(1+b1)."""
    optimizer = Adam(0.01, eps=1e-30)
    p = np.array([1.0])
    optimizer.step([p], [np.zeros(1)])
    assert p[0] == 1.0 and int(optimizer.state["0"]["step"]) == 1
    optimizer.step([p], [np.ones(1)])
    np.testing.assert_allclose(1.0 - p, 0.01 * math.sqrt(1.999) / 1.9, rtol=1e-12)


@pytest.mark.parametrize("cls", [Adam, AdamW, Adamax, NAdam, RAdam, RMSprop, Adagrad, Adadelta, Lion])
def test_all_zero_gradients_keep_the_state_finite(cls):
    optimizer, p = cls(), np.array([1.0, -1.0])
    for _ in range(3):
        optimizer.step([p], [np.zeros(2)])
    assert np.all(np.isfinite(p))
    for value in optimizer.state["0"].values():
        assert np.all(np.isfinite(value))
    if "step" in optimizer.state["0"]:
        assert int(optimizer.state["0"]["step"]) == 3


def test_gradients_are_not_changed_by_an_update():
    grads = _grads()
    for optimizer in (SGD(0.1, momentum=0.9, weight_decay=0.1, nesterov=True), Adam(weight_decay=0.1), Lion()):
        optimizer.step(_params(), grads)
        optimizer.step(_params(), grads)
        for grad, original in zip(grads, _grads()):
            np.testing.assert_array_equal(grad, original)


# --- argument checks ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: SGD(-0.1), "SGD: learning_rate"),
        (lambda: SGD(0.1, momentum=-1), "SGD: momentum"),
        (lambda: SGD(0.1, nesterov=True), "SGD: nesterov=True needs momentum > 0"),
        (lambda: SGD(0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening = 0"),
        (lambda: Adam(betas=(0.9, 1.0)), r"Adam: betas\[1\] must be in \[0, 1\)"),
        (lambda: AdamW(betas=(-0.1, 0.9)), r"AdamW: betas\[0\]"),
        (lambda: Adam(eps=-1e-8), "Adam: eps"),
        (lambda: NAdam(momentum_decay=-1), "NAdam: momentum_decay"),
        (lambda: Adadelta(rho=1.5), r"Adadelta: rho must be in \[0, 1\]"),
        (lambda: Adagrad(initial_accumulator_value=-1), "Adagrad: initial_accumulator_value"),
        (lambda: RMSprop(weight_decay=-0.1), "RMSprop: weight_decay"),
        (lambda: Lion(betas=(0.9, 1.5)), r"Lion: betas\[1\]"),
        (lambda: Adam(clip_norm=0), "Adam: clip_norm"),
    ],
)
def test_bad_hyperparameters_are_rejected_by_name(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


@pytest.mark.parametrize(
    "factory",
    [lambda: Adam(amsgrad="yes"), lambda: SGD(momentum="0.9"), lambda: Adam(betas=0.9), lambda: RMSprop(alpha=None)],
)
def test_wrongly_typed_hyperparameters_raise_type_error(factory):
    with pytest.raises(TypeError):
        factory()


def test_state_of_another_shape_is_reported():
    optimizer = Adam()
    optimizer.step([np.zeros(3)], [np.ones(3)])
    with pytest.raises(ValueError, match="state 'exp_avg' has shape"):
        optimizer.step([np.zeros(4)], [np.ones(4)])
