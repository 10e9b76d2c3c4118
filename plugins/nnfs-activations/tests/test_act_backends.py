"""Every activation on both compute backends, and what backward needs owned by the forward that made it."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import ops, registry
from nnfs_core.testing import forced_split

BACKENDS = ["numpy", "cpu"]
KINKS = [0.0, -0.0, 3.0, -3.0, 6.0, 0.5, -2.0, 20.0, 5.0, 1.0, -1.0]  # every activation's kinks and thresholds


@pytest.fixture(scope="module", autouse=True)
def split_everything():
    """The CPU backend's threaded paths, on batches this small (set up once: it restarts the threads)."""
    with forced_split():
        yield


def batch(seed: int, shape=(8, 3, 5)) -> np.ndarray:
    x = np.random.default_rng(seed).uniform(-8, 8, shape)
    x.reshape(-1)[: len(KINKS)] = KINKS
    return x


def built(name: str, config: dict, backend: str, shape=(8, 3, 5)):
    layer = registry.activations.create(name, **config)
    layer.ops = ops.get(backend)
    layer.build(shape[1:], rng=np.random.default_rng(0), dtype=np.float64)
    return layer


def training_step(layer, x: np.ndarray, grad: np.ndarray) -> list[np.ndarray]:
    y, cache = layer.forward_pass(x, training=True)
    grad_x = layer.backward_pass(grad, cache)
    return [y, grad_x, *(layer.grads[key].copy() for key in sorted(layer.grads))]


def test_both_backends_give_the_same_outputs_and_gradients(act_case):
    name, config = act_case
    x, grad = batch(0), np.random.default_rng(1).standard_normal((8, 3, 5))
    results = [training_step(built(name, config, backend), x, grad) for backend in BACKENDS]
    for reference, tuned in zip(*results):
        np.testing.assert_allclose(tuned, reference, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_inference_call_between_forward_and_backward_leaves_the_gradients_unchanged(act_case, backend):
    name, config = act_case
    x, grad = batch(0), np.random.default_rng(1).standard_normal((8, 3, 5))
    expected = training_step(built(name, config, backend), x, grad)
    layer = built(name, config, backend)
    y, cache = layer.forward_pass(x, training=True)
    # What predict (from another thread) or a callback does meanwhile, through both protocols.
    layer.forward_pass(batch(2), training=False)
    layer.forward(batch(3, (2, 3, 5)))
    layer.backward(np.ones((2, 3, 5)))
    grad_x = layer.backward_pass(grad, cache)
    got = [y, grad_x, *(layer.grads[key].copy() for key in sorted(layer.grads))]
    for before, after in zip(expected, got):
        np.testing.assert_array_equal(after, before)
