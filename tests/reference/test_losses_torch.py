"""Core losses against PyTorch's CPU build: mean-reduced values and gradients, randomised shapes, label
smoothing, probability targets, saturated inputs. float64 agreement is asked to 1e-10 (the contract says 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core.losses import MAE, MSE, NLL, BinaryCrossEntropy, CrossEntropy, Huber

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")
F = torch.nn.functional

SEEDS = range(25)
RTOL = 1e-10


def torch_value_and_grad(function, y_pred, y_true):
    pred = torch.tensor(y_pred, requires_grad=True)
    target = torch.tensor(y_true)
    value = function(pred, target)
    value.backward()
    return value.item(), pred.grad.numpy()


def assert_matches(loss, function, y_pred, y_true, rtol=RTOL):
    expected_value, expected_grad = torch_value_and_grad(function, y_pred, y_true)
    value = loss.forward(y_pred, y_true)
    grad = loss.backward(y_pred, y_true)
    assert value == pytest.approx(expected_value, rel=rtol, abs=rtol)
    assert grad.dtype == y_pred.dtype
    np.testing.assert_allclose(grad, expected_grad, rtol=rtol, atol=rtol * max(np.abs(expected_grad).max(), 1e-300))


def random_shape(rng):
    return (int(rng.integers(1, 17)), *rng.integers(1, 6, int(rng.integers(1, 3))))


def classification(rng):
    n, c = int(rng.integers(1, 33)), int(rng.integers(1, 13))
    scale = float(rng.choice([0.1, 1.0, 10.0, 100.0]))
    return scale * rng.standard_normal((n, c)), rng.integers(0, c, n), rng.dirichlet(np.ones(c), n)


# -- regression -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_mse(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng)
    assert_matches(MSE(), F.mse_loss, rng.standard_normal(shape), rng.standard_normal(shape))


@pytest.mark.parametrize("seed", SEEDS)
def test_mae_with_exact_ties(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng)
    y_pred, y_true = rng.standard_normal(shape), rng.standard_normal(shape)
    ties = rng.random(shape) < 0.3
    y_pred[ties] = y_true[ties]  # torch's gradient is sign(0) = 0 there
    assert_matches(MAE(), F.l1_loss, y_pred, y_true)


@pytest.mark.parametrize("seed", SEEDS)
def test_huber(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng)
    delta = float(rng.choice([0.1, 0.5, 1.0, 2.5]))
    y_pred, y_true = 3 * rng.standard_normal(shape), rng.standard_normal(shape)
    on_the_kink = rng.random(shape) < 0.2
    y_pred[on_the_kink] = y_true[on_the_kink] + delta
    assert_matches(Huber(delta), lambda p, t: F.huber_loss(p, t, delta=delta), y_pred, y_true)


# -- classification -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("eps", [0.0, 0.05, 0.3, 1.0])
def test_cross_entropy_with_labels(seed, eps):
    logits, labels, _ = classification(np.random.default_rng(seed))
    assert_matches(CrossEntropy(label_smoothing=eps), lambda z, y: F.cross_entropy(z, y, label_smoothing=eps),
                   logits, labels)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("eps", [0.0, 0.05, 0.3, 1.0])
def test_cross_entropy_with_probability_targets(seed, eps):
    rng = np.random.default_rng(seed)
    logits, _, targets = classification(rng)
    if seed % 3 == 0:
        targets *= rng.uniform(0.2, 1.5, (len(targets), 1))  # rows not summing to 1 are taken as they are
    assert_matches(CrossEntropy(label_smoothing=eps), lambda z, t: F.cross_entropy(z, t, label_smoothing=eps),
                   logits, targets)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("ignore_index", [-100, 0, 3])
def test_cross_entropy_ignore_index_on_rows_and_sequences(seed, eps, ignore_index):
    """Ignored labels (padding) leave the loss and its mean; (N, L, C) is torch's (N, C, L) permuted."""
    rng = np.random.default_rng(seed)
    classes = int(rng.integers(4, 9))
    shape = (int(rng.integers(1, 6)),) if seed % 2 else (int(rng.integers(1, 5)), int(rng.integers(1, 7)))
    logits = 3 * rng.standard_normal((*shape, classes))
    labels = rng.integers(0, classes, shape)
    labels[rng.random(shape) < 0.3] = ignore_index
    labels.reshape(-1)[0] = (ignore_index + 1) % classes  # at least one row counts (torch: NaN otherwise)

    def function(z, y):
        z = z.permute(0, 2, 1) if z.ndim == 3 else z
        return F.cross_entropy(z, y, ignore_index=ignore_index, label_smoothing=eps)

    assert_matches(CrossEntropy(ignore_index=ignore_index, label_smoothing=eps), function, logits, labels)


def torch_nll_of_log(eps, labels):
    """CrossEntropy(from_logits=False) = NLL of log p, with torch's label smoothing applied to log p."""

    def function(p, target):
        log_p = torch.log(p)
        if labels:
            return (1 - eps) * F.nll_loss(log_p, target) + eps * (-log_p.mean(dim=1)).mean()
        smoothed = (1 - eps) * target + eps / p.shape[1]
        return -(smoothed * log_p).sum(dim=1).mean()

    return function


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("eps", [0.0, 0.2])
@pytest.mark.parametrize("labels", [True, False])
def test_cross_entropy_from_probabilities(seed, eps, labels):
    logits, y, targets = classification(np.random.default_rng(seed))
    probabilities = torch.softmax(torch.tensor(logits / 10), dim=1).numpy()  # all well above the clipping floor
    loss = CrossEntropy(from_logits=False, label_smoothing=eps)
    assert_matches(loss, torch_nll_of_log(eps, labels), probabilities, y if labels else targets)


@pytest.mark.parametrize("seed", SEEDS)
def test_nll(seed):
    logits, labels, _ = classification(np.random.default_rng(seed))
    log_p = torch.log_softmax(torch.tensor(logits), dim=1).numpy()
    assert_matches(NLL(), F.nll_loss, log_p, labels)


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_cross_entropy_on_probabilities_including_0_and_1(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng)
    p = rng.uniform(0, 1, shape)
    special = rng.choice([0.0, 1.0, 1e-50, 1e-13, 1 - 1e-15, 0.5], shape)
    p = np.where(rng.random(shape) < 0.4, special, p)
    t = np.where(rng.random(shape) < 0.5, rng.integers(0, 2, shape), rng.uniform(0, 1, shape)).astype(np.float64)
    assert_matches(BinaryCrossEntropy(), F.binary_cross_entropy, p, t)


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_cross_entropy_with_logits(seed):
    rng = np.random.default_rng(seed)
    shape = random_shape(rng)
    x = rng.standard_normal(shape) * float(rng.choice([1.0, 30.0, 1e4]))
    t = rng.uniform(0, 1, shape)
    assert_matches(BinaryCrossEntropy(from_logits=True), F.binary_cross_entropy_with_logits, x, t)


def test_binary_targets_n_against_n_by_1_match_torch_on_n_by_1():
    rng = np.random.default_rng(0)
    p, t = rng.uniform(0.01, 0.99, (9, 1)), rng.integers(0, 2, 9)
    value, grad = torch_value_and_grad(F.binary_cross_entropy, p, t[:, None].astype(np.float64))
    assert BinaryCrossEntropy().forward(p, t) == pytest.approx(value, rel=RTOL)
    np.testing.assert_allclose(BinaryCrossEntropy().backward(p, t), grad, rtol=RTOL)


# -- float32 --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_cross_entropy_in_float32(seed, eps):
    logits, labels, targets = classification(np.random.default_rng(seed))
    function = lambda z, y: F.cross_entropy(z, y, label_smoothing=eps)  # noqa: E731
    loss = CrossEntropy(label_smoothing=eps)
    for target in (labels, targets.astype(np.float32)):
        assert_matches(loss, function, logits.astype(np.float32), target, rtol=1e-5)
