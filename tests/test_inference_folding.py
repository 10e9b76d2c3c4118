"""Inference folds a BatchNorm into the convolution or Dense before it (``layers.composite.infer_through``).

``predict``, ``evaluate`` and validation run a convolution (or Dense) followed by a BatchNorm as one layer
with weight scale W and bias scale b + shift. The folded pass must give what the two layers give one after
another (``run_forward(..., training=False)`` layer by layer), on both backends, inside composites too, and
must leave alone what it cannot fold: a BatchNorm after a layer with an activation or on a Dense over
sequences, and subclasses that compute their forward their own way.
"""

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.layers.batch_norm import BatchNorm
from nnfs_core.layers.sequential import Sequential
from nnfs_core.protocols import run_forward

pytest.importorskip("nnfs_conv")

from nnfs_conv.conv2d import Conv2D  # noqa: E402

BACKENDS = ("numpy", "cpu")


def _unfolded(net, x):
    for layer in net.layers:
        x = run_forward(layer, x, training=False)[0]
    return x


def _built(layers, input_shape, ops, dtype="float64"):
    net = Network(layers, "sgd", "cross_entropy", input_shape=input_shape, dtype=dtype, seed=3, ops=ops).build()
    rng = np.random.default_rng(7)
    for name, value in net.named_state():  # running statistics away from (0, 1)
        variance = name.endswith("running_var")
        value[...] = rng.uniform(0.5, 2.0, value.shape) if variance else rng.normal(size=value.shape)
    for name, value in net.named_parameters():
        if name.endswith(("weight", "bias")) and value.ndim == 1:  # BatchNorm's weight and bias away from (1, 0)
            value[...] = rng.normal(size=value.shape)
    return net


def _count_batch_norm_forwards(monkeypatch):
    calls = []
    original = BatchNorm.forward_pass

    def counted(self, x, *, training=False):
        calls.append(self)
        return original(self, x, training=training)

    monkeypatch.setattr(BatchNorm, "forward_pass", counted)
    return calls


def _conv(out, kernel=3, **more):
    return {"name": "conv2d", "out_channels": out, "kernel_size": kernel, **more}


FOLDED_MODELS = {
    "conv_dense": ([_conv(6, padding=1), "batch_norm", "relu",
                    _conv(5, stride=2, padding=1, use_bias=False, padding_mode="reflect"),
                    {"name": "batch_norm", "affine": False}, "flatten",
                    {"name": "dense", "output_size": 7}, "batch_norm", {"name": "dense", "output_size": 3}],
                   (3, 8, 8)),
    "depthwise_and_grouped": ([{"name": "depthwise_conv2d", "kernel_size": 3, "depth_multiplier": 2, "padding": 1},
                               "batch_norm", _conv(4, 1, groups=2), "batch_norm", "flatten",
                               {"name": "dense", "output_size": 3}], (2, 6, 6)),
    "conv1d": ([{"name": "conv1d", "out_channels": 4, "kernel_size": 3, "dilation": 2}, "batch_norm",
                {"name": "max_pool1d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, "flatten",
                {"name": "dense", "output_size": 3}], (3, 12)),
    "pooling": ([_conv(4, padding=1), "batch_norm", "relu", {"name": "max_pool2d", "kernel_size": 2},
                 _conv(3, padding=1), "batch_norm",
                 {"name": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1, "ceil_mode": True},
                 "flatten", {"name": "dense", "output_size": 3}], (2, 9, 9)),
    "residual_and_branch": ([_conv(4, padding=1, use_bias=False), "batch_norm", "relu",
                             {"name": "residual",
                              "body": [_conv(4, padding=1), "batch_norm", "relu", _conv(6, padding=1), "batch_norm"],
                              "projection": [_conv(6, 1, use_bias=False), "batch_norm"]},
                             {"name": "branch", "branches": [[_conv(2, 1), "batch_norm"], [_conv(3, 3, padding=1),
                                                                                           "batch_norm"]]},
                             "global_avg_pool2d", {"name": "dense", "output_size": 3}], (3, 6, 6)),
}


@pytest.mark.parametrize("ops", BACKENDS)
@pytest.mark.parametrize("model", sorted(FOLDED_MODELS))
def test_predict_folds_every_batch_norm_and_equals_the_layers_one_after_another(monkeypatch, model, ops):
    layers, shape = FOLDED_MODELS[model]
    net = _built(layers, shape, ops)
    x = np.random.default_rng(0).normal(size=(9, *shape))
    expected = _unfolded(net, x)
    calls = _count_batch_norm_forwards(monkeypatch)
    got = net.predict(x, batch_size=4)
    assert calls == []  # every BatchNorm ran inside the layer before it
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("ops", BACKENDS)
def test_folding_in_float32_stays_within_rounding(ops):
    layers, shape = FOLDED_MODELS["residual_and_branch"]
    net = _built(layers, shape, ops, dtype="float32")
    x = np.random.default_rng(0).normal(size=(9, *shape)).astype(np.float32)
    expected = _unfolded(net, x)
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


def test_inference_max_pooling_on_the_cpu_backend_keeps_no_winning_taps(monkeypatch):
    layers, shape = FOLDED_MODELS["pooling"]
    net = _built(layers, shape, "cpu")
    x = np.random.default_rng(5).normal(size=(7, *shape))
    expected = _unfolded(net, x)
    backend = type(net.ops)
    monkeypatch.setattr(backend, "max_pool2d", lambda *args: pytest.fail("inference asked for the winning taps"))
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


def test_evaluate_scores_the_folded_outputs():
    layers, shape = FOLDED_MODELS["conv_dense"]
    net = _built(layers, shape, "cpu")
    x = np.random.default_rng(1).normal(size=(10, *shape))
    y = np.arange(10) % 3
    loss = float(net.loss.forward(_unfolded(net, x), y))
    assert net.evaluate(x, y, batch_size=4)["loss"] == pytest.approx(loss, rel=1e-12)


@pytest.mark.parametrize("layers, shape", [
    ([{"name": "dense", "output_size": 4, "activation": "tanh"}, "batch_norm", {"name": "dense", "output_size": 3}],
     (5,)),  # the activation sits between the affine map and the BatchNorm
    ([{"name": "dense", "output_size": 4}, "batch_norm", "flatten", {"name": "dense", "output_size": 3}],
     (6, 5)),  # over sequences BatchNorm normalises the steps' axis, which Dense's weights do not touch
    ([{"name": "max_pool2d", "kernel_size": 2}, "batch_norm", "flatten", {"name": "dense", "output_size": 3}],
     (2, 4, 4)),  # nothing to fold into
])
def test_a_batch_norm_that_cannot_fold_runs_on_its_own(monkeypatch, layers, shape):
    net = _built(layers, shape, "cpu")
    x = np.random.default_rng(2).normal(size=(8, *shape))
    expected = _unfolded(net, x)
    calls = _count_batch_norm_forwards(monkeypatch)
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-12, atol=1e-14)
    assert len(calls) == 1


class _ShiftedNorm(BatchNorm):
    """A subclass that computes its own forward: folding BatchNorm's maths into the layer before would be wrong."""

    def forward_pass(self, x, *, training=False):
        y, cache = super().forward_pass(x, training=training)
        return y + 1.0, cache


class _DoubledSequential(Sequential):
    """A composite that changes its forward (as nnfs-sequence's Masked does under Sequential)."""

    def forward_pass(self, x, *, training=False):
        y, cache = super().forward_pass(x, training=training)
        return 2.0 * y, cache


class _DoubledConv(Conv2D):
    def forward_pass(self, x, *, training=False):
        y, cache = super().forward_pass(x, training=training)
        return 2.0 * y, cache


@pytest.mark.parametrize("layers", [[Conv2D(3, 3), _ShiftedNorm()], [_DoubledConv(3, 3), BatchNorm()],
                                    [_DoubledSequential([Conv2D(3, 3), BatchNorm()])]],
                         ids=["own_norm", "own_conv", "own_composite"])
def test_subclasses_with_their_own_forward_are_not_folded(layers):
    net = _built([*layers, "flatten", {"name": "dense", "output_size": 2}], (2, 5, 5), "cpu")
    x = np.random.default_rng(3).normal(size=(4, 2, 5, 5))
    np.testing.assert_allclose(net.predict(x), _unfolded(net, x), rtol=1e-12, atol=1e-14)


def test_folding_leaves_the_weights_and_the_training_pass_alone():
    layers, shape = FOLDED_MODELS["residual_and_branch"]
    net = _built(layers, shape, "cpu")
    before = {name: value.copy() for name, value in (*net.named_parameters(), *net.named_state())}
    x = np.random.default_rng(4).normal(size=(6, *shape))
    net.predict(x)
    for name, value in (*net.named_parameters(), *net.named_state()):
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_a_layer_used_twice_folds_each_time_with_the_batch_norm_after_that_use(monkeypatch):
    conv = Conv2D(3, 3, padding=1)
    shared = Sequential([conv, BatchNorm(), "relu", conv, BatchNorm()])
    net = _built([shared, "flatten", {"name": "dense", "output_size": 2}], (3, 5, 5), "cpu")
    weight = conv.params["weight"].copy()
    x = np.random.default_rng(6).normal(size=(5, 3, 5, 5))
    expected = _unfolded(net, x)
    calls = []
    original = Conv2D.fold_affine
    monkeypatch.setattr(Conv2D, "fold_affine", lambda self, scale, shift: calls.append(scale) or original(self, scale,
                                                                                                           shift))
    got = net.predict(x)
    assert len(calls) == 2 and not np.array_equal(calls[0], calls[1])  # each use with its own BatchNorm
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    np.testing.assert_array_equal(conv.params["weight"], weight)  # the shared weight itself is not scaled


def test_validation_during_fit_scores_what_evaluate_scores(plain_sgd):
    layers, shape = FOLDED_MODELS["conv_dense"]
    net = Network(layers, plain_sgd(0.05), "cross_entropy", input_shape=shape, dtype="float64", seed=3).build()
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(24, *shape)), rng.integers(0, 3, 24)
    history = net.fit(x, y, epochs=2, batch_size=8, validation_data=(x[:10], y[:10]), verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(net.evaluate(x[:10], y[:10])["loss"], rel=1e-12)
    assert net.evaluate(x[:10], y[:10])["loss"] == pytest.approx(
        float(net.loss.forward(_unfolded(net, x[:10]), y[:10])), rel=1e-12)
