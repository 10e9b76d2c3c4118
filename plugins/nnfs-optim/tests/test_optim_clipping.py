"""Gradient clipping in BaseOptimizer, by global norm and by value, through an optimizer of the pack."""

from __future__ import annotations

import numpy as np
import pytest
from nnfs_optim import SGD, Adam


def _grads(dtype=np.float64):
    return [np.array([3.0, -4.0], dtype=dtype), np.array([[12.0]], dtype=dtype)]  # global norm 13


def _clipped(optimizer, grads):
    optimizer.step([np.zeros_like(grad) for grad in grads], grads)
    return grads


def test_clip_norm_rescales_all_gradients_together():
    grads = _clipped(SGD(0.0, clip_norm=6.5), _grads())
    scale = 6.5 / (13.0 + 1e-6)  # torch.nn.utils.clip_grad_norm_'s coefficient
    for grad, original in zip(grads, _grads()):
        np.testing.assert_allclose(grad, original * scale, rtol=1e-15)
    total = np.sqrt(sum(float(np.sum(grad**2)) for grad in grads))
    assert total == pytest.approx(6.5, rel=1e-6)


def test_clip_norm_leaves_small_gradients_exactly_alone():
    grads = _clipped(SGD(0.0, clip_norm=13.5), _grads())
    for grad, original in zip(grads, _grads()):
        np.testing.assert_array_equal(grad, original)


def test_clip_value_clamps_every_element():
    grads = _clipped(SGD(0.0, clip_value=3.5), _grads())
    np.testing.assert_array_equal(grads[0], [3.0, -3.5])
    np.testing.assert_array_equal(grads[1], [[3.5]])


def test_value_clipping_comes_before_norm_clipping():
    grads = _clipped(SGD(0.0, clip_value=3.5, clip_norm=1.0), _grads())
    norm = np.sqrt(3.0**2 + 3.5**2 + 3.5**2)
    np.testing.assert_allclose(grads[0], np.array([3.0, -3.5]) / (norm + 1e-6), rtol=1e-15)


def test_clipping_keeps_float32_and_the_same_arrays():
    grads = _grads(np.float32)
    objects = list(grads)
    _clipped(Adam(clip_norm=1.0, clip_value=5.0), grads)
    assert all(grad is obj and grad.dtype == np.float32 for grad, obj in zip(grads, objects))


def test_the_step_uses_the_clipped_gradient():
    param = np.array([1.0, 1.0])
    SGD(0.1, clip_norm=1.0).step([param], [np.array([30.0, 40.0])])
    np.testing.assert_allclose(param, 1.0 - 0.1 * np.array([0.6, 0.8]) * 50.0 / (50.0 + 1e-6), rtol=1e-15)
