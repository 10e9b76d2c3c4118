"""Compute backends: the registry kind, how a Network picks one, and the tuned backend against the reference."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network, ops, registry
from nnfs_core.errors import ComponentNotFoundError, ConfigError
from nnfs_core.ops import _threads, cpu_ops

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
