"""Compute backends: the registry kind, how a Network picks one, and the tuned backend against the reference."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nnfs_core import Network, ops, registry
from nnfs_core.errors import ComponentNotFoundError, ConfigError
from nnfs_core.ops import _threads, cpu_ops
from nnfs_core.testing import forced_split

RNG = np.random.default_rng(7)


@pytest.fixture
def split_everything(monkeypatch):
    """Two threads, the BLAS held, and every pass split whatever its size: CPUOps's threaded paths run."""
    monkeypatch.setenv(_threads.ENV_THREADS, "2")
    _threads._reset()
    monkeypatch.setattr(cpu_ops, "_SPLIT_MIN", 1)
    monkeypatch.setattr(_threads, "_SPLIT_MIN", 1)
    with _threads.blas_single_threaded():
        yield
    monkeypatch.delenv(_threads.ENV_THREADS)
    _threads._reset()


def test_backends_are_a_registry_kind_listed_without_importing_them():
    assert {"numpy", "cpu"} <= set(registry.ops.names())
    assert registry.KINDS["ops"] == "nnfs.ops"
    assert type(ops.get("numpy")).__name__ == "NumpyOps" and ops.get("numpy").name == "numpy"
    assert ops.get("cpu") is ops.get("CPU")  # one shared instance per name


def test_the_default_backend_is_cpu_unless_nnfs_ops_says_otherwise(monkeypatch):
    monkeypatch.delenv(ops.ENV_OPS, raising=False)
    assert ops.get().name == "cpu"
    monkeypatch.setenv(ops.ENV_OPS, "numpy")
    assert ops.get().name == "numpy" and Network().ops.name == "numpy"


def test_a_network_hands_its_backend_to_every_layer_and_keeps_it_in_its_config():
    net = Network([{"name": "dense", "output_size": 4}, "relu", {"name": "dense", "output_size": 2}], ops="numpy",
                  input_shape=(3,)).build()
    assert all(layer.ops is net.ops for layer in net.layers) and net.ops.name == "numpy"
    assert net.get_config()["ops"] == "numpy"
    assert Network.from_config(net.get_config()).ops is net.ops
    assert "ops" not in Network().get_config()  # the default is not pinned into configs


def test_an_unknown_backend_names_the_available_ones():
    with pytest.raises(ComponentNotFoundError, match="Available ops: cpu, numpy"):
        Network(ops="cuda")


def test_a_backend_must_be_an_ops():
    registry.ops.register("not_a_backend", override=True)(dict)
    try:
        with pytest.raises(ConfigError, match="not an nnfs_core.ops.Ops"):
            ops.get({"name": "not_a_backend"})
    finally:
        registry.ops._local.pop(registry.normalize("not_a_backend"), None)


@pytest.mark.parametrize("shape", [(64, 48), (6, 5, 48)])
def test_cpu_products_split_over_threads_equal_the_reference(split_everything, shape):
    x = RNG.standard_normal(shape)
    weight, bias = RNG.standard_normal((20, 48)), RNG.standard_normal(20)
    grad = RNG.standard_normal((*shape[:-1], 20))
    results = []
    for backend in (ops.get("numpy"), ops.get("cpu")):
        grad_weight, grad_bias = np.empty_like(weight), np.empty_like(bias)
        grad_x = backend.affine_backward(grad, x, weight, grad_weight, grad_bias)
        results.append([backend.affine(x, weight, bias), grad_x, grad_weight, grad_bias])
    for reference, tuned in zip(*results):
        np.testing.assert_allclose(tuned, reference, rtol=1e-12, atol=1e-12)


def test_cpu_relu_split_over_threads_equals_the_reference(split_everything):
    x, grad = RNG.standard_normal((33, 4, 5)), RNG.standard_normal((33, 4, 5))
    x[0, 0, :2] = 0.0  # the kink: no gradient, as PyTorch
    reference, tuned = ops.get("numpy"), ops.get("cpu")
    y = tuned.relu(x)
    np.testing.assert_array_equal(y, reference.relu(x))
    np.testing.assert_array_equal(tuned.relu_backward(grad, y), reference.relu_backward(grad, y))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32])
@pytest.mark.parametrize("shape", [(7,), (3, 256), (5, 3, 7, 11), (2, 1030)])
def test_cpu_relu_against_a_row_of_zeros_gives_the_same_bits(dtype, shape):
    x = (RNG.standard_normal(shape) * 4).astype(dtype)
    if x.dtype.kind == "f":
        flat = x.reshape(-1)
        flat[[0, -1]] = np.nan, -np.inf
        flat[1::5] = -0.0
    reference, tuned = ops.get("numpy"), ops.get("cpu")
    for view in (x, x[::-1], x.T):  # contiguous, and strided views that take the plain path
        got, expected = tuned.relu(view), reference.relu(view)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_cpu_batch_norm_split_by_channels_equals_the_reference(split_everything, training, affine):
    x = RNG.standard_normal((8, 6, 5, 5)) * 3 + 1
    grad = RNG.standard_normal(x.shape)
    weight, bias = (np.linspace(0.5, 2.0, 6), np.linspace(-1, 1, 6)) if affine else (None, None)
    results = []
    for backend in (ops.get("numpy"), ops.get("cpu")):
        running_mean, running_var = np.zeros(6), np.linspace(1.0, 3.0, 6)
        y, x_hat, inv_std = backend.batch_norm(x, weight, bias, running_mean, running_var, momentum=0.1, eps=1e-5,
                                               training=training)
        grads = backend.batch_norm_backward(grad, x_hat, inv_std, weight, training=training)
        results.append([y, x_hat, inv_std, running_mean, running_var, *grads])
    for reference, tuned in zip(*results):
        np.testing.assert_allclose(tuned, reference, rtol=1e-10, atol=1e-12)


def test_ops_return_new_arrays_that_no_later_call_overwrites(split_everything):
    backend = ops.get("cpu")
    x = RNG.standard_normal((16, 8))
    first = backend.relu(x)
    kept = first.copy()
    backend.relu(-x)
    backend.relu_backward(x, first)
    np.testing.assert_array_equal(first, kept)


# -- every registered component agrees across backends ---------------------------------------------------
def _installed(kind):
    from tests.test_conformance import FIXTURE_PACKS

    seen, targets = set(), []
    for entry in registry.of_kind(kind).entries():
        if entry.distribution.startswith(FIXTURE_PACKS) or entry.distribution == registry.IN_PROCESS:
            continue
        target = entry.load()
        if target not in seen:
            seen.add(target)
            targets.append(pytest.param(target, id=entry.name))
    return targets


def _layer_pass(component, backend):
    from nnfs_core.protocols import run_backward, run_forward
    from nnfs_core.testing._common import instance
    from nnfs_core.testing._layer_checks import batch, input_shape_of

    layer = instance(component)
    layer.ops = ops.get(backend)  # before build, as a Network does
    layer.build(input_shape_of(layer), rng=np.random.default_rng(0), dtype=np.float64)
    x = batch(layer)
    y, cache = run_forward(layer, x, training=True)
    grad_x = run_backward(layer, np.cos(np.arange(y.size)).reshape(y.shape), cache)
    return [y, grad_x, *layer.grads.values(), *layer.state.values()]


@pytest.mark.parametrize("component", _installed("layers") + _installed("activations"))
def test_every_layer_agrees_on_both_backends(split_everything, component):
    reference, tuned = _layer_pass(component, "numpy"), _layer_pass(component, "cpu")
    for a, b in zip(reference, tuned):
        if a is None or b is None:
            assert a is b
        else:
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-9)


def _trained(optimizer, loss, backend):
    from nnfs_core.testing._common import instance

    classes = 3
    loss = instance(loss)
    targets = np.arange(12) % classes
    if getattr(loss, "default_metrics", ()) != ("accuracy",):  # regression-style losses take (N, C) targets
        targets = np.random.default_rng(5).uniform(0.05, 0.95, (12, classes))
    # tanh between Dense and BatchNorm: straight into BatchNorm, Dense's bias has a gradient of exactly zero,
    # computed as rounding noise (1e-17) whose sign differs between backends and processors, and a sign-based
    # optimizer (Lion) turns that noise into a full step in either direction.
    layers = [{"name": "dense", "output_size": 5}, {"name": "tanh"}, {"name": "batch_norm"},
              {"name": "dense", "output_size": classes}]
    if type(loss).__name__ == "NLL":
        layers.append({"name": "log_softmax"})
    elif getattr(loss, "from_logits", True) is False:
        layers.append({"name": "sigmoid"})
    net = Network(layers, loss=loss, optimizer=instance(optimizer), input_shape=(4,), seed=0, dtype="float64",
                  ops=backend)
    x = np.random.default_rng(4).standard_normal((12, 4))
    for _ in range(3):
        net.train_on_batch(x, targets)
    return [value for layer in net.layers for value in (*layer.params.values(), *layer.state.values())]


@pytest.mark.parametrize("optimizer", _installed("optimizers"))
def test_every_optimizer_trains_alike_on_both_backends(split_everything, optimizer):
    from nnfs_core.losses.cross_entropy import CrossEntropy

    for a, b in zip(_trained(optimizer, CrossEntropy, "numpy"), _trained(optimizer, CrossEntropy, "cpu")):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", _installed("losses"))
def test_every_loss_trains_alike_on_both_backends(split_everything, loss):
    optimizer = registry.optimizers.get("sgd")
    for a, b in zip(_trained(optimizer, loss, "numpy"), _trained(optimizer, loss, "cpu")):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-9)


def test_nnfs_plugins_lists_the_backends(capsys):
    from nnfs_core.cli import main

    assert main(["plugins", "--kind", "ops"]) == 0
    out = capsys.readouterr().out
    assert "nnfs_core.ops.cpu_ops:CPUOps" in out and "nnfs_core.ops.numpy_ops:NumpyOps" in out


# -- activation kernels (nnfs-activations) -----------------------------------------------------------------
@pytest.mark.parametrize("kernel", ["sigmoid", "tanh"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_activation_kernels_split_over_threads_equal_the_reference(split_everything, kernel, dtype):
    x = (RNG.standard_normal((33, 4, 5)) * 8).astype(dtype)
    x[0, 0, :4] = [0.0, -0.0, 1e4, -1e4]  # the sign boundary and the saturated tails
    grad = RNG.standard_normal(x.shape).astype(dtype)
    reference, tuned = ops.get("numpy"), ops.get("cpu")
    forward, backward = getattr(tuned, kernel), getattr(tuned, f"{kernel}_backward")
    y = forward(x)
    # The same operations in the same order, row by row: equal to the last bit, not just to rounding.
    np.testing.assert_array_equal(y, getattr(reference, kernel)(x))
    np.testing.assert_array_equal(backward(grad, y), getattr(reference, f"{kernel}_backward")(grad, y))
    assert y.dtype == dtype and backward(grad, y).dtype == dtype
    mixed = backward(grad.astype(np.float64), y)  # a float64 gradient through float32 outputs: the reference's casts
    np.testing.assert_array_equal(mixed, getattr(reference, f"{kernel}_backward")(grad.astype(np.float64), y))


def test_the_reference_sigmoid_neither_overflows_nor_loses_the_left_tail():
    x = np.array([[-1e4, -700.0, -100.0, -30.0, 0.0, 30.0, 1e4]])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="raise"):
        y = ops.get("numpy").sigmoid(x)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(x))
        expected = np.where(x < 0, e / (1.0 + e), 1.0 / (1.0 + e))
    np.testing.assert_allclose(y, expected, rtol=1e-15, atol=0)
    assert y[0, 0] == 0.0 and 0.0 < y[0, 1] < 1e-300 and y[0, 4] == 0.5 and y[0, -1] == 1.0


def test_forced_split_makes_every_pass_split_and_then_restores_the_settings(monkeypatch):
    monkeypatch.delenv(_threads.ENV_THREADS, raising=False)
    _threads._reset()
    backend = cpu_ops.CPUOps()
    assert backend._rows(4, 4) == [(0, 4)]
    with forced_split():
        if _threads._setup()["controller"] is None:
            pytest.skip("the BLAS cannot be held here (no threadpoolctl, or not OpenBLAS with its own threads)")
        assert backend._rows(4, 4) == [(0, 2), (2, 4)]
    assert backend._rows(4, 4) == [(0, 4)] and not _threads.blas_held()
    assert _threads.ENV_THREADS not in os.environ and cpu_ops._SPLIT_MIN == 1 << 20


# -- window kernels (nnfs-conv): the reference's gradients by finite differences --------------------------
def _numeric(f, a, eps=1e-6):
    grad = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        saved = a[index]
        a[index] = saved + eps
        high = f()
        a[index] = saved - eps
        low = f()
        a[index] = saved
        grad[index] = (high - low) / (2 * eps)
    return grad


@pytest.mark.parametrize("mode", ["zeros", "reflect", "circular"])
def test_reference_conv2d_gradients_match_finite_differences(mode):
    from nnfs_core.ops import WindowGeometry

    backend, rng = ops.get("numpy"), np.random.default_rng(3)
    x, weight, bias = rng.standard_normal((2, 4, 5, 4)), rng.standard_normal((6, 2, 2, 3)), rng.standard_normal(6)
    geometry = WindowGeometry.fitting((5, 4), (2, 3), stride=(2, 1), dilation=(1, 1), padding=(1, 0, 1, 1))
    y, cache = backend.conv2d(x, weight, bias, geometry, groups=2, padding_mode=mode)
    probe = np.cos(np.arange(y.size)).reshape(y.shape)
    grad_weight, grad_bias = np.empty_like(weight), np.empty_like(bias)
    grad_x = backend.conv2d_backward(probe, cache, weight, grad_weight, grad_bias, geometry, groups=2,
                                     padding_mode=mode)

    def loss():
        return float((backend.conv2d(x, weight, bias, geometry, groups=2, padding_mode=mode)[0] * probe).sum())

    for analytic, array in ((grad_x, x), (grad_weight, weight), (grad_bias, bias)):
        np.testing.assert_allclose(analytic, _numeric(loss, array), rtol=1e-6, atol=1e-7)


def test_reference_pooling_and_transpose_gradients_match_finite_differences():
    from nnfs_core.ops import WindowGeometry

    backend, rng = ops.get("numpy"), np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 5, 6))
    geometry = WindowGeometry.fitting((5, 6), (3, 2), stride=(2, 2), padding=(1, 1, 1, 1))
    divisor = np.full(geometry.out, 5.0)
    y, cache = backend.max_pool2d(x, geometry)
    probe = np.cos(np.arange(y.size)).reshape(y.shape)
    np.testing.assert_allclose(backend.max_pool2d_backward(probe, cache, geometry),
                               _numeric(lambda: float((backend.max_pool2d(x, geometry)[0] * probe).sum()), x),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(backend.avg_pool2d_backward(probe, geometry, divisor),
                               _numeric(lambda: float((backend.avg_pool2d(x, geometry, divisor) * probe).sum()), x),
                               rtol=1e-6, atol=1e-7)
    small = rng.standard_normal((2, 4, *geometry.out))
    weight, bias = rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(3)
    y, cache = backend.conv_transpose2d(small, weight, bias, geometry)
    assert y.shape == (2, 3, 5, 6)
    probe = np.cos(np.arange(y.size)).reshape(y.shape)
    grad_weight, grad_bias = np.empty_like(weight), np.empty_like(bias)
    grad_x = backend.conv_transpose2d_backward(probe, cache, weight, grad_weight, grad_bias, geometry)

    def loss():
        return float((backend.conv_transpose2d(small, weight, bias, geometry)[0] * probe).sum())

    for analytic, array in ((grad_x, small), (grad_weight, weight), (grad_bias, bias)):
        np.testing.assert_allclose(analytic, _numeric(loss, array), rtol=1e-6, atol=1e-7)
