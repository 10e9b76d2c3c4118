"""The core's metrics: values by hand for every registered one, exact averaging over batches, target forms,
top-k against a full sort, names in the logs, resolve() and errors."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core.errors import ComponentNotFoundError, NNFSError, ShapeError
from nnfs_core.losses import MAE, MSE
from nnfs_core.metrics import (
    Accuracy,
    BaseMetric,
    BinaryAccuracy,
    FunctionMetric,
    MeanAbsoluteError,
    MeanSquaredError,
    TopKAccuracy,
    resolve,
)

SCORES = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
LABELS = np.array([1, 1, 0, 2])  # predicted classes are 1, 0, 2, 0: one right; second-best 2, 1, 1, 2

# For each core metric name: (constructor arguments, y_pred, y_true, value by hand). A core name missing here
# fails test_every_core_metric_has_cases.
CASES = {
    "accuracy": [({}, SCORES, LABELS, 0.25), ({}, SCORES, np.eye(3)[LABELS], 0.25)],
    "top_k_accuracy": [({"k": 2}, SCORES, LABELS, 0.75), ({"k": 1}, SCORES, LABELS, 0.25), ({}, SCORES, LABELS, 1.0)],
    "mse": [({}, np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [5.0, 4.0]]), 1.25)],
    "mae": [({}, np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [5.0, 4.0]]), 0.75)],
    "binary_accuracy": [
        ({}, np.array([[0.9], [0.4], [0.6], [0.5]]), np.array([1, 0, 0, 1]), 0.5),
        ({"threshold": 0.0}, np.array([[2.0, -1.0], [-0.5, 0.1]]), np.array([[1, 0], [1, 1]]), 0.75),
    ],
}
ALL_CASES = [(name, *case) for name, cases in CASES.items() for case in cases]


def core_metric_names():
    return [e.name for e in registry.metrics.entries() if registry.normalize(e.distribution) == "nnfscore"]


def test_every_core_metric_has_cases():
    assert set(core_metric_names()) == set(CASES)


@pytest.mark.parametrize(("name", "args", "y_pred", "y_true", "value"), ALL_CASES)
def test_values_by_hand(name, args, y_pred, y_true, value):
    metric = resolve({"name": name, **args})
    result = metric(y_pred, y_true)
    assert isinstance(result, float) and result == pytest.approx(value)
    assert metric(y_pred.astype(np.float32), y_true) == pytest.approx(value)
    assert metric.name == name  # the logs key is the registered name


@pytest.mark.parametrize(("name", "args", "y_pred", "y_true", "value"), ALL_CASES)
def test_weighted_mean_over_batches_equals_the_whole(name, args, y_pred, y_true, value):
    rng = np.random.default_rng(0)
    pred = np.repeat(y_pred, 5, axis=0) + 1e-3 * rng.standard_normal((len(y_pred) * 5, *y_pred.shape[1:]))
    true = np.repeat(y_true, 5, axis=0)
    metric = resolve({"name": name, **args})
    n = len(pred)
    cuts = [0, 3, n // 2, n // 2 + 1, n]  # uneven batches, one of a single sample
    total = sum(metric(pred[a:b], true[a:b]) * (b - a) for a, b in zip(cuts, cuts[1:]))
    assert total / len(pred) == pytest.approx(metric(pred, true), rel=1e-12)


@pytest.mark.parametrize(("name", "args", "y_pred", "y_true", "value"), ALL_CASES)
def test_config_round_trips_through_the_registry(name, args, y_pred, y_true, value):
    metric = resolve({"name": name, **args})
    config = registry.config_of(metric)
    assert config["name"] == name
    again = resolve(config)
    assert type(again) is type(metric) and again.get_config() == metric.get_config()


# -- accuracy ---------------------------------------------------------------------------------------------------
def test_accuracy_is_the_same_for_logits_probabilities_and_target_forms(rng):
    logits = rng.standard_normal((50, 4))
    labels = rng.integers(0, 4, 50)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    soft = 0.7 * np.eye(4)[labels] + 0.075
    expected = np.mean(logits.argmax(axis=1) == labels)
    for pred in (logits, probabilities):
        for target in (labels, np.eye(4)[labels], soft, labels.astype(np.float32)):
            assert Accuracy()(pred, target) == expected


def test_accuracy_of_a_single_output_is_binary():
    pred = np.array([[0.9], [0.2], [0.7], [0.4]])
    assert Accuracy()(pred, np.array([1, 0, 0, 0])) == 0.75
    assert Accuracy()(pred.ravel(), np.array([1.0, 0.0, 0.0, 0.0])) == 0.75
    assert Accuracy()(pred, np.array([[1], [1], [1], [1]])) == 0.5


@pytest.mark.parametrize(
    ("metric", "y_pred", "y_true"),
    [
        (Accuracy(), np.zeros((4, 3)), np.zeros(5, dtype=int)),
        (Accuracy(), np.zeros((4, 3)), np.zeros((4, 2))),
        (Accuracy(), np.zeros((4, 3, 2)), np.zeros(4, dtype=int)),
        (TopKAccuracy(2), np.zeros(4), np.zeros(4, dtype=int)),
        (MeanSquaredError(), np.zeros((4, 2)), np.zeros(4)),
        (BinaryAccuracy(), np.zeros((4, 1)), np.zeros((4, 2))),
    ],
)
def test_shape_mismatches_name_the_metric(metric, y_pred, y_true):
    with pytest.raises(ShapeError, match=type(metric).__name__):
        metric(y_pred, y_true)


@pytest.mark.parametrize("labels", [np.array([0, 3]), np.array([-1, 0])])
def test_labels_outside_the_classes_are_refused(labels):
    for metric in (Accuracy(), TopKAccuracy(2)):
        with pytest.raises(NNFSError, match=r"\[0, 3\)"):
            metric(np.zeros((2, 3)), labels)


# -- top-k ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [1, 2, 3, 7, 10, 12])
def test_top_k_matches_a_full_sort(k, rng):
    scores = rng.standard_normal((200, 10))
    labels = rng.integers(0, 10, 200)
    ranks = np.argsort(-scores, axis=1)
    expected = np.mean([label in row[:k] for label, row in zip(labels, ranks)])
    assert TopKAccuracy(k)(scores, labels) == expected
    assert TopKAccuracy(k)(scores, np.eye(10)[labels]) == expected


def test_top_1_is_accuracy(rng):
    scores, labels = rng.standard_normal((100, 6)), rng.integers(0, 6, 100)
    assert TopKAccuracy(1)(scores, labels) == Accuracy()(scores, labels)


def test_top_k_ties_at_the_boundary_count_as_hits():
    scores = np.array([[1.0, 1.0, 1.0, 0.0]])
    assert TopKAccuracy(1)(scores, np.array([2])) == 1.0
    assert TopKAccuracy(1)(scores, np.array([3])) == 0.0
    assert TopKAccuracy(1)(np.array([[np.nan, 0.0]]), np.array([0])) == 0.0


def test_top_k_validates_k():
    with pytest.raises(ValueError, match="TopKAccuracy"):
        TopKAccuracy(0)
    with pytest.raises(TypeError, match="TopKAccuracy"):
        TopKAccuracy(2.5)


# -- regression and binary --------------------------------------------------------------------------------------
def test_regression_metrics_equal_the_losses(rng):
    pred, true = rng.standard_normal((9, 3)), rng.standard_normal((9, 3))
    assert MeanSquaredError()(pred, true) == pytest.approx(MSE().forward(pred, true), rel=1e-14)
    assert MeanAbsoluteError()(pred, true) == pytest.approx(MAE().forward(pred, true), rel=1e-14)
    assert MeanSquaredError()(pred[:, :1], true[:, 0]) == pytest.approx(np.mean((pred[:, 0] - true[:, 0]) ** 2))


def test_binary_accuracy_threshold_for_logits():
    logits = np.array([[-0.2], [0.3], [1.0]])
    assert BinaryAccuracy(threshold=0.0)(logits, np.array([0, 1, 1])) == 1.0
    assert BinaryAccuracy()(logits, np.array([0, 1, 1])) == pytest.approx(2 / 3)
    with pytest.raises(TypeError, match="BinaryAccuracy"):
        BinaryAccuracy(threshold="0.5")


# -- resolve and names ------------------------------------------------------------------------------------------
def test_resolve_accepts_names_dicts_instances_and_classes():
    assert type(resolve("Top-K-Accuracy")) is TopKAccuracy
    assert resolve({"name": "top_k_accuracy", "k": 3}).k == 3
    metric = BinaryAccuracy(0.2)
    assert resolve(metric) is metric
    assert type(resolve(MeanSquaredError)) is MeanSquaredError
    assert resolve(MeanSquaredError).name == "mse" and resolve("mae").name == "mae"


def test_functions_are_logged_under_their_name():
    def f1_score(y_pred, y_true):
        return np.float32(0.5)

    metric = resolve(f1_score)
    assert isinstance(metric, FunctionMetric) and metric.name == "f1_score"
    value = metric(np.zeros((2, 2)), np.zeros(2))
    assert isinstance(value, float) and value == 0.5


def test_unregistered_subclasses_are_named_in_snake_case():
    class MeanLogError(BaseMetric):
        def __call__(self, y_pred, y_true):
            return 0.0

    assert MeanLogError().name == "mean_log_error"


def test_resolve_errors():
    with pytest.raises(ComponentNotFoundError, match="accuracy"):
        resolve("acuracy")
    with pytest.raises(TypeError, match="metric"):
        resolve(42)


def test_accuracy_on_sequences_counts_steps_and_leaves_padding_out():
    from nnfs_core.metrics import Accuracy

    scores = np.zeros((2, 3, 4))
    scores[..., 1] = 1.0                                    # class 1 predicted everywhere
    labels = np.array([[1, 1, -100], [2, 1, -100]])
    assert Accuracy()(scores, labels) == pytest.approx(3 / 4)
