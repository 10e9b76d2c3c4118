"""The core's losses: finite-difference gradients for every registered one, hand-computed values, numerical
stability, dtypes, target errors, CrossEntropy's forward/backward cache and configs through the registry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core.errors import NNFSError, ShapeError
from nnfs_core.losses import MAE, MSE, NLL, BinaryCrossEntropy, CrossEntropy, Huber
from nnfs_core.testing import gradcheck


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def regression(rng, shape=(6, 3)):
    return rng.standard_normal(shape), rng.standard_normal(shape)


def logits_labels(rng, n=7, c=5):
    return 3 * rng.standard_normal((n, c)), rng.integers(0, c, n)


def logits_probabilities(rng, n=7, c=5):
    return 3 * rng.standard_normal((n, c)), rng.dirichlet(np.ones(c), n)


def probabilities_labels(rng, n=7, c=5):
    return softmax(rng.standard_normal((n, c))), rng.integers(0, c, n)


def probabilities_soft(rng, n=7, c=5):
    return softmax(rng.standard_normal((n, c))), rng.dirichlet(np.ones(c), n)


def log_probabilities_labels(rng, n=7, c=5):
    return np.log(softmax(rng.standard_normal((n, c)))), rng.integers(0, c, n)


def binary_probabilities(rng, shape=(8, 2)):
    return rng.uniform(0.05, 0.95, shape), rng.uniform(0, 1, shape)


def binary_logits(rng, shape=(8, 2)):
    return 4 * rng.standard_normal(shape), (rng.uniform(0, 1, shape) > 0.5).astype(float)


# For each core loss: (constructor arguments, maker of (y_pred, y_true)). A loss registered by the core
# but missing here fails test_every_core_loss_has_cases, so nothing registered goes unchecked.
CASES = {
    "mse": [({}, regression), ({}, lambda rng: regression(rng, (5, 2, 3)))],
    "mae": [({}, regression)],
    "huber": [({}, regression), ({"delta": 0.3}, regression), ({"delta": 2.5}, lambda rng: regression(rng, (9, 4)))],
    "cross_entropy": [
        ({}, logits_labels),
        ({"label_smoothing": 0.1}, logits_labels),
        ({}, logits_probabilities),
        ({"label_smoothing": 0.25}, logits_probabilities),
        ({"label_smoothing": 1.0}, logits_labels),
        ({"from_logits": False}, probabilities_labels),
        ({"from_logits": False, "label_smoothing": 0.2}, probabilities_labels),
        ({"from_logits": False, "label_smoothing": 0.2}, probabilities_soft),
    ],
    "binary_cross_entropy": [({}, binary_probabilities), ({"from_logits": True}, binary_logits)],
    "nll": [({}, log_probabilities_labels)],
}
ALL_CASES = [(name, args, make) for name, cases in CASES.items() for args, make in cases]
CASE_IDS = [f"{name}-{args}-{make.__name__}" for name, args, make in ALL_CASES]


def core_loss_names():
    return [e.name for e in registry.losses.entries() if registry.normalize(e.distribution) == "nnfscore"]


def test_every_core_loss_has_cases():
    assert set(core_loss_names()) == set(CASES)


@pytest.mark.parametrize(("name", "args", "make"), ALL_CASES, ids=CASE_IDS)
def test_gradient_matches_finite_differences(name, args, make):
    y_pred, y_true = make(np.random.default_rng(1))
    gradcheck(registry.losses.create(name, **args), y_pred, y_true)


@pytest.mark.parametrize(("name", "args", "make"), ALL_CASES, ids=CASE_IDS)
def test_float32_in_float32_out_and_close_to_float64(name, args, make):
    y_pred, y_true = make(np.random.default_rng(2))
    loss = registry.losses.create(name, **args)
    exact_value, exact_grad = loss.forward(y_pred, y_true), loss.backward(y_pred, y_true)
    pred32 = y_pred.astype(np.float32)
    true32 = y_true.astype(np.float32) if y_true.dtype.kind == "f" else y_true
    value = loss.forward(pred32, true32)
    grad = loss.backward(pred32, true32)
    assert isinstance(value, float) and grad.dtype == np.float32 and grad.shape == y_pred.shape
    assert value == pytest.approx(exact_value, rel=1e-5, abs=1e-6)
    np.testing.assert_allclose(grad, exact_grad, rtol=1e-4, atol=1e-6 * np.abs(exact_grad).max())


@pytest.mark.parametrize(("name", "args", "make"), ALL_CASES, ids=CASE_IDS)
def test_check_target_accepts_the_cases_targets(name, args, make):
    y_pred, y_true = make(np.random.default_rng(3))
    registry.losses.create(name, **args).check_target(y_pred.shape[1:], y_true)


@pytest.mark.parametrize(("name", "args", "make"), ALL_CASES, ids=CASE_IDS)
def test_config_round_trips_through_the_registry(name, args, make):
    loss = registry.losses.create(name, **args)
    config = registry.config_of(loss)
    assert config == {"name": name, **loss.get_config()}
    again = registry.losses.create(config)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    y_pred, y_true = make(np.random.default_rng(4))
    assert again.forward(y_pred, y_true) == loss.forward(y_pred, y_true)


# -- hand-computed values -----------------------------------------------------------------------------------
PRED = np.array([[1.0, 2.0], [3.0, 4.0]])
TRUE = np.array([[0.0, 2.0], [5.0, 4.0]])


def test_mse_by_hand():
    assert MSE().forward(PRED, TRUE) == pytest.approx((1 + 0 + 4 + 0) / 4)
    np.testing.assert_allclose(MSE().backward(PRED, TRUE), [[0.5, 0.0], [-1.0, 0.0]])


def test_mae_by_hand_with_zero_gradient_where_equal():
    assert MAE().forward(PRED, TRUE) == pytest.approx((1 + 0 + 2 + 0) / 4)
    np.testing.assert_array_equal(MAE().backward(PRED, TRUE), [[0.25, 0.0], [-0.25, 0.0]])


@pytest.mark.parametrize(("delta", "value"), [(1.0, (0.125 + 1.5 + 0.5 + 2.5) / 4), (2.0, (0.125 + 2 + 0.5 + 4) / 4)])
def test_huber_by_hand(delta, value):
    diff = np.array([[0.5, -2.0, 1.0, 3.0]])
    loss = Huber(delta)
    assert loss.forward(diff, np.zeros_like(diff)) == pytest.approx(value)
    np.testing.assert_allclose(loss.backward(diff, np.zeros_like(diff)), np.clip(diff, -delta, delta) / 4)


def test_cross_entropy_by_hand():
    logits = np.log(np.array([[1.0, 1.0], [1.0, 3.0]]))  # probabilities [0.5, 0.5] and [0.25, 0.75]
    labels = np.array([0, 1])
    expected = (math.log(2) - math.log(0.75)) / 2
    assert CrossEntropy().forward(logits, labels) == pytest.approx(expected)
    np.testing.assert_allclose(CrossEntropy().backward(logits, labels), [[-0.25, 0.25], [0.125, -0.125]])
    # one-hot float targets are the same loss
    assert CrossEntropy().forward(logits, np.eye(2)[labels]) == pytest.approx(expected)


def test_cross_entropy_label_smoothing_by_hand():
    logits = np.log(np.array([[1.0, 3.0]]))  # probabilities [0.25, 0.75], smoothed target [0.1, 0.9]
    loss = CrossEntropy(label_smoothing=0.2)
    assert loss.forward(logits, np.array([1])) == pytest.approx(-(0.1 * math.log(0.25) + 0.9 * math.log(0.75)))
    np.testing.assert_allclose(loss.backward(logits, np.array([1])), [[0.15, -0.15]])


def test_cross_entropy_from_probabilities_by_hand():
    probabilities = np.array([[0.25, 0.75], [0.6, 0.4]])
    loss = CrossEntropy(from_logits=False)
    assert loss.forward(probabilities, np.array([1, 0])) == pytest.approx(-(math.log(0.75) + math.log(0.6)) / 2)
    np.testing.assert_allclose(loss.backward(probabilities, np.array([1, 0])), [[0, -1 / 1.5], [-1 / 1.2, 0]])


def test_nll_by_hand():
    log_p = np.array([[-1.0, -2.0], [-3.0, -0.5]])
    assert NLL().forward(log_p, np.array([1, 0])) == pytest.approx(2.5)
    np.testing.assert_array_equal(NLL().backward(log_p, np.array([1, 0])), [[0, -0.5], [-0.5, 0]])


def test_binary_cross_entropy_by_hand():
    p, t = np.array([[0.8], [0.3]]), np.array([[1.0], [0.0]])
    assert BinaryCrossEntropy().forward(p, t) == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2)
    np.testing.assert_allclose(BinaryCrossEntropy().backward(p, t), [[-0.2 / 0.16 / 2], [0.3 / 0.21 / 2]])
    logits = np.array([[0.0], [math.log(4.0)]])  # sigmoid: 0.5 and 0.8
    assert BinaryCrossEntropy(from_logits=True).forward(logits, t) == pytest.approx((math.log(2) - math.log(0.2)) / 2)
    np.testing.assert_allclose(BinaryCrossEntropy(from_logits=True).backward(logits, t), [[-0.25], [0.4]])


def test_label_and_probability_targets_agree_with_smoothing(rng):
    logits, labels = logits_labels(rng, 9, 4)
    for eps in (0.0, 0.3):
        loss = CrossEntropy(label_smoothing=eps)
        one_hot = np.eye(4)[labels]
        assert loss.forward(logits, labels) == pytest.approx(loss.forward(logits, one_hot), rel=1e-12)
        np.testing.assert_allclose(loss.backward(logits, labels), loss.backward(logits, one_hot), atol=1e-15)


def test_cross_entropy_matches_a_naive_one_hot_formula(rng):
    logits, targets = logits_probabilities(rng, 6, 5)
    targets[0] *= 0.5  # a row that does not sum to 1: the gradient is p * sum(t') - t'
    eps = 0.15
    smoothed = (1 - eps) * targets + eps / 5
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    loss = CrossEntropy(label_smoothing=eps)
    assert loss.forward(logits, targets) == pytest.approx(-(smoothed * log_p).sum() / 6, rel=1e-12)
    expected = (softmax(logits) * smoothed.sum(axis=1, keepdims=True) - smoothed) / 6
    np.testing.assert_allclose(loss.backward(logits, targets), expected, atol=1e-15)


# -- numerical stability (RuntimeWarnings are errors in this suite) -------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_cross_entropy_huge_logits_stay_finite(dtype, eps):
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], dtype=dtype)
    labels = np.array([1, 0])
    loss = CrossEntropy(label_smoothing=eps)
    value = loss.forward(logits, labels)
    grad = loss.backward(logits, labels)
    assert math.isfinite(value) and np.isfinite(grad).all() and grad.dtype == dtype
    if eps == 0:
        # sample 0: -log p = 2e4; sample 1: -log p = 2e4 + log 2
        assert value == pytest.approx((2e4 + 2e4 + math.log(2)) / 2, rel=1e-6)
        np.testing.assert_allclose(grad, [[0.5, -0.5, 0.0], [-0.5, 0.25, 0.25]], atol=1e-6)
    soft = CrossEntropy(label_smoothing=eps).forward(logits, np.eye(3, dtype=dtype)[labels])
    assert soft == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_at_exact_zero_and_one(dtype):
    p = np.array([[0.0], [1.0], [0.0], [1.0]], dtype=dtype)
    t = np.array([[0.0], [1.0], [1.0], [0.0]], dtype=dtype)
    loss = BinaryCrossEntropy()
    assert loss.forward(p, t) == pytest.approx((0 + 0 + 100 + 100) / 4)  # logs clamped at -100, as torch
    grad = loss.backward(p, t)
    assert np.isfinite(grad).all() and grad.dtype == dtype
    assert grad[0, 0] == 0 and grad[1, 0] == 0 and grad[2, 0] < -1e10 and grad[3, 0] > 1e10


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_with_huge_logits(dtype):
    x = np.array([[1e4], [-1e4], [1e4], [-1e4]], dtype=dtype)
    t = np.array([[1.0], [0.0], [0.0], [1.0]], dtype=dtype)
    loss = BinaryCrossEntropy(from_logits=True)
    assert loss.forward(x, t) == pytest.approx((0 + 0 + 1e4 + 1e4) / 4)
    np.testing.assert_allclose(loss.backward(x, t), [[0.0], [0.0], [0.25], [-0.25]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_from_probabilities_with_zeros(dtype):
    p = np.array([[0.0, 1.0], [0.5, 0.5]], dtype=dtype)
    loss = CrossEntropy(from_logits=False)
    value = loss.forward(p, np.array([0, 1]))
    floor = max(math.exp(-100), float(np.finfo(dtype).tiny))
    assert value == pytest.approx((-math.log(floor) + math.log(2)) / 2, rel=1e-5)
    grad = loss.backward(p, np.array([0, 1]))
    assert np.isfinite(grad).all() and grad[0, 0] == 0  # clipped: no gradient
    assert grad[1, 1] == pytest.approx(-1.0)


# -- targets ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("labels", [np.array([0, 3, 1]), np.array([-1, 0, 1])])
def test_labels_outside_the_classes_are_refused_before_training(labels):
    loss = CrossEntropy()
    with pytest.raises(NNFSError) as raised:
        loss.check_target((3,), labels)
    assert isinstance(raised.value, ValueError)
    message = str(raised.value)
    assert "CrossEntropy" in message and "[0, 3)" in message
    with pytest.raises(ValueError, match=r"\[0, 3\)"):  # forward checks too: -1 must not wrap around
        loss.forward(np.zeros((3, 3)), labels)
    with pytest.raises(ValueError, match="NLL"):
        NLL().check_target((3,), labels)


@pytest.mark.parametrize(
    ("loss", "output_shape", "y_true", "words"),
    [
        (CrossEntropy(), (3,), np.array([0.0, 1.0, 2.0]), ["CrossEntropy", "integers", "(N, 3)"]),
        (CrossEntropy(), (3,), np.zeros((4, 2)), ["CrossEntropy", "(N, 3)", "(4, 2)"]),
        (CrossEntropy(), (3,), np.zeros((4, 3), dtype=np.int64), ["CrossEntropy", "(N,)", "(4, 3)"]),
        (CrossEntropy(), (3, 4), np.zeros(4, dtype=np.int64), ["CrossEntropy", "(N, C)", "(3, 4)"]),
        (NLL(), (3,), np.zeros((4, 3)), ["NLL", "integer class labels", "(4, 3)"]),
        (MSE(), (2,), np.zeros((4, 3)), ["MSE", "(N, 2)", "(4, 3)"]),
        (MSE(), (2,), np.zeros(4), ["MSE", "(N, 2)", "(4,)"]),
        (Huber(), (1,), np.zeros((4, 2)), ["Huber", "(N, 1)", "(4, 2)"]),
        (MAE(), (2, 2), np.zeros((4, 4)), ["MAE", "(N, 2, 2)", "(4, 4)"]),
        (BinaryCrossEntropy(), (1,), np.array([0.0, 2.0]), ["BinaryCrossEntropy", "[0, 1]", "2"]),
    ],
)
def test_bad_targets_name_the_loss_what_it_expected_and_what_it_got(loss, output_shape, y_true, words):
    with pytest.raises(ValueError) as raised:
        loss.check_target(output_shape, y_true)
    assert isinstance(raised.value, NNFSError)
    for word in words:
        assert word in str(raised.value)


@pytest.mark.parametrize("loss", [MSE(), MAE(), Huber(), BinaryCrossEntropy()])
def test_targets_n_against_outputs_n_by_1_are_not_broadcast(loss, rng):
    y_pred = rng.uniform(0.1, 0.9, (5, 1))
    y_true = rng.uniform(0, 1, 5)
    loss.check_target((1,), y_true)
    assert loss.forward(y_pred, y_true) == loss.forward(y_pred, y_true[:, None])
    np.testing.assert_array_equal(loss.backward(y_pred, y_true), loss.backward(y_pred, y_true[:, None]))
    with pytest.raises(ShapeError, match=type(loss).__name__):
        loss.forward(y_pred, y_true[:3])


def test_integer_targets_are_cast_to_the_predictions_dtype():
    y_pred = np.array([[0.5], [2.0]], dtype=np.float32)
    grad = MSE().backward(y_pred, np.array([1, 2]))
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, [[-0.5], [0.0]])


def test_binary_cross_entropy_refuses_predictions_outside_0_1():
    with pytest.raises(ValueError, match="from_logits=True"):
        BinaryCrossEntropy().forward(np.array([[1.5], [0.2]]), np.array([[1.0], [0.0]]))
    with pytest.raises(ValueError, match="from_logits=True"):
        CrossEntropy(from_logits=False).forward(np.array([[-0.1, 1.1]]), np.array([1]))


@pytest.mark.parametrize(
    ("factory", "kwargs", "error"),
    [
        (CrossEntropy, {"label_smoothing": -0.1}, ValueError),
        (CrossEntropy, {"label_smoothing": 1.5}, ValueError),
        (CrossEntropy, {"label_smoothing": float("nan")}, TypeError),
        (CrossEntropy, {"label_smoothing": "0.1"}, TypeError),
        (CrossEntropy, {"from_logits": "yes"}, TypeError),
        (Huber, {"delta": 0}, ValueError),
        (Huber, {"delta": -1.0}, ValueError),
        (BinaryCrossEntropy, {"from_logits": None}, TypeError),
    ],
)
def test_constructors_validate_hyperparameters(factory, kwargs, error):
    with pytest.raises(error, match=factory.__name__):
        factory(**kwargs)


def test_default_metrics_follow_the_loss():
    assert CrossEntropy().default_metrics == ("accuracy",) and NLL().default_metrics == ("accuracy",)
    assert BinaryCrossEntropy().default_metrics == ("binary_accuracy",)
    assert BinaryCrossEntropy(from_logits=True).default_metrics == ({"name": "binary_accuracy", "threshold": 0.0},)


# -- CrossEntropy's forward/backward cache ----------------------------------------------------------------------
@pytest.fixture
def count_exp(monkeypatch):
    """Counts np.exp calls made by the loss modules (the softmax's one expensive pass)."""
    from nnfs_core.losses import cross_entropy

    calls = []
    real_exp = np.exp

    class CountingNumpy:
        def __getattr__(self, name):
            return getattr(np, name)

        @staticmethod
        def exp(*args, **kwargs):
            calls.append(args[0].shape)
            return real_exp(*args, **kwargs)

    monkeypatch.setattr(cross_entropy, "np", CountingNumpy())
    return calls


def test_backward_pass_reuses_the_softmax_of_its_own_forward_pass(count_exp, rng):
    logits, labels = logits_labels(rng)
    loss = CrossEntropy()
    expected = CrossEntropy().backward(logits, labels)
    count_exp.clear()
    value, cache = loss.forward_pass(logits, labels)
    assert len(count_exp) == 1 and value == pytest.approx(CrossEntropy().forward(logits, labels))
    np.testing.assert_array_equal(loss.backward_pass(cache), expected)
    assert len(count_exp) == 2  # the reference loss's forward; no second exp for the backward pass


def test_another_forward_between_a_forward_pass_and_its_backward_changes_nothing(rng):
    logits, labels = logits_labels(rng)
    other_logits, other_labels = logits_labels(rng)
    loss = CrossEntropy(label_smoothing=0.1)
    expected = CrossEntropy(label_smoothing=0.1).backward(logits, labels)
    _, cache = loss.forward_pass(logits, labels)
    loss.forward_pass(other_logits, other_labels)
    loss.forward(other_logits, other_labels)
    np.testing.assert_array_equal(loss.backward_pass(cache), expected)


def test_first_release_forward_and_backward_compute_on_their_own(count_exp, rng):
    logits, labels = logits_labels(rng)
    loss = CrossEntropy()
    loss.forward(logits, labels)
    logits_before = logits.copy()
    count_exp.clear()
    loss.backward(logits, labels)
    assert len(count_exp) == 1  # nothing kept between the two calls
    np.testing.assert_array_equal(logits, logits_before)


def test_cross_entropy_ignore_index_leaves_rows_out_of_the_mean():
    logits = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.5], [9.0, -9.0, 3.0]])
    labels = np.array([0, -100, 2])
    loss = CrossEntropy()
    kept = np.array([True, False, True])
    assert loss.forward(logits, labels) == pytest.approx(loss.forward(logits[kept], labels[kept]))
    grad = loss.backward(logits, labels)
    assert not grad[1].any()
    np.testing.assert_allclose(grad[kept], loss.backward(logits[kept], labels[kept]))


def test_cross_entropy_all_ignored_batch_costs_nothing():
    loss = CrossEntropy(ignore_index=0)
    logits = np.ones((2, 3, 4))
    assert loss.forward(logits, np.zeros((2, 3), dtype=np.int64)) == 0.0
    assert not loss.backward(logits, np.zeros((2, 3), dtype=np.int64)).any()


def test_cross_entropy_on_sequences_trains_a_network_and_ignores_padded_steps():
    from nnfs_core import Network

    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 5, 3)).astype(np.float32)
    y = (x[..., 0] > 0).astype(np.int64)
    y[:, 3:] = -100                          # padding: labels that are no class at all
    x[:, 3:] = 1e3                           # garbage in padded steps must not matter
    net = Network([{"name": "dense", "output_size": 2}], optimizer={"name": "adam", "learning_rate": 0.05},
                  loss=CrossEntropy(), seed=0)
    history = net.fit(x, y, epochs=30, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert net.evaluate(x, y)["accuracy"] > 0.9


def test_cross_entropy_sequence_labels_of_the_wrong_shape_are_refused():
    with pytest.raises(ShapeError, match=r"labels must have shape \(N, 5\)"):
        CrossEntropy().check_target((5, 4), np.zeros((3, 4), dtype=np.int64))
    with pytest.raises(ShapeError, match=r"integer labels of shape \(2, 5\)"):
        CrossEntropy().forward(np.zeros((2, 5, 4)), np.zeros((2, 4), dtype=np.int64))
