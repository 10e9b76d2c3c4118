"""dtype, input safety, batch size 1, fresh outputs, skip_input_grad: over every registered layer where it applies.

How the CPU backend computes the window kernels (threads, pieces, column layouts, scratch) is tested in
the core, against the reference kernels (tests/test_ops_windows.py); here, what a layer promises.
"""

from __future__ import annotations

import contextlib
import copy
import threading

import numpy as np
import pytest
from nnfs_conv import Conv2D, ConvTranspose2D, MaxPool2D

from nnfs_core.testing import forced_split


def test_conv_float32_stays_float32_in_forward_and_backward(conv_name, conv_cases, conv_build):
    rng = np.random.default_rng(0)
    for config, shape in conv_cases(conv_name, 4, seed=5):
        layer = conv_build(conv_name, config, shape, np.float32)
        x = rng.standard_normal((3, *shape)).astype(np.float32)
        y = layer.forward(x, training=True)
        grad = layer.backward(np.ones_like(y))
        assert y.dtype == np.float32 and grad.dtype == np.float32, config
        assert all(value.dtype == np.float32 for value in [*layer.params.values(), *layer.grads.values()]), config


def test_conv_float32_matches_float64(conv_name, conv_cases, conv_build):
    rng = np.random.default_rng(1)
    for config, shape in conv_cases(conv_name, 3, seed=6):
        single, double = conv_build(conv_name, config, shape, np.float32), conv_build(conv_name, config, shape)
        x = rng.standard_normal((2, *shape))
        y32, y64 = single.forward(x.astype(np.float32)), double.forward(x)
        g = rng.standard_normal(y64.shape)
        np.testing.assert_allclose(y32, y64, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(single.backward(g.astype(np.float32)), double.backward(g), rtol=1e-4, atol=1e-4)


def test_conv_inputs_and_incoming_gradients_are_not_modified(conv_name, conv_cases, conv_build):
    rng = np.random.default_rng(2)
    for config, shape in conv_cases(conv_name, 4, seed=7):
        layer = conv_build(conv_name, config, shape)
        x = rng.standard_normal((2, *shape))
        x_before = x.copy()
        y = layer.forward(x, training=True)
        g = rng.standard_normal(y.shape)
        g_before = g.copy()
        layer.backward(g)
        assert np.array_equal(x, x_before) and np.array_equal(g, g_before), config


def test_conv_batch_of_one_sample_equals_that_sample_in_a_batch(conv_name, conv_cases, conv_build):
    rng = np.random.default_rng(3)
    for config, shape in conv_cases(conv_name, 3, seed=8):
        layer = conv_build(conv_name, config, shape)
        x = rng.standard_normal((3, *shape))
        y = layer.forward(x)
        g = rng.standard_normal(y.shape)
        dx = layer.backward(g)
        one = layer.forward(x[1:2])
        assert one.shape == (1, *y.shape[1:])
        np.testing.assert_allclose(one, y[1:2], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.backward(g[1:2]), dx[1:2], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch", [1, 2])
def test_conv_outputs_are_fresh_arrays_not_reused_buffers(conv_name, conv_cases, conv_build, batch):
    """A reused buffer may never leak out: the output of one batch survives the next forward."""
    rng = np.random.default_rng(4)
    config, shape = conv_cases(conv_name, 1, seed=9)[0]
    layer = conv_build(conv_name, config, shape)
    first = layer.forward(rng.standard_normal((batch, *shape)))
    kept = first.copy()
    grad = layer.backward(np.ones_like(first))
    grad_kept = grad.copy()
    layer.forward(rng.standard_normal((batch, *shape)))
    layer.backward(np.full_like(first, 3.0))
    assert np.array_equal(first, kept) and np.array_equal(grad, grad_kept)


@pytest.mark.parametrize("make", [lambda: Conv2D(3, 3), lambda: ConvTranspose2D(3, 3, stride=2)])
def test_conv_skip_input_grad_fills_parameter_gradients_and_returns_none(make):
    full, skipping = make(), make()
    for layer in (full, skipping):
        layer.build((2, 6, 6), rng=np.random.default_rng(0), dtype=np.float64)
    skipping.skip_input_grad = True
    x = np.random.default_rng(1).standard_normal((3, 2, 6, 6))
    g = np.random.default_rng(2).standard_normal(full.forward(x).shape)
    assert full.backward(g) is not None
    skipping.forward(x)
    assert skipping.backward(g) is None
    for name in full.params:
        np.testing.assert_array_equal(full.grads[name], skipping.grads[name])


def test_conv_backward_needs_its_own_forward():
    layer = Conv2D(2, 3)
    layer.build((1, 5, 5), rng=np.random.default_rng(0), dtype=np.float64)
    with pytest.raises(RuntimeError, match="needs a forward first"):
        layer.backward(np.ones((1, 2, 3, 3)))
    layer.forward(np.ones((1, 1, 5, 5)))
    first = layer.backward(np.ones((1, 2, 3, 3)))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 2, 3, 3))), first)  # the same forward's cache


def test_conv_concurrent_inference_gives_the_sequential_results():
    layer = Conv2D(16, 3, padding=1)
    layer.build((8, 16, 16), rng=np.random.default_rng(0), dtype=np.float32)
    batches = [np.random.default_rng(seed).standard_normal((32, 8, 16, 16)).astype(np.float32) for seed in range(4)]
    expected = [layer.forward(batch) for batch in batches]
    results: dict[int, list[np.ndarray]] = {}

    def run(index: int) -> None:
        results[index] = [layer.forward(batches[index]) for _ in range(10)]

    threads = [threading.Thread(target=run, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(4):
        for y in results[index]:  # a shared buffer overwritten mid-call would be far off, not 1e-6 off
            np.testing.assert_allclose(y, expected[index], rtol=1e-6, atol=1e-6)


def test_conv_a_layer_keeps_no_arrays_between_calls_and_a_deep_copy_works_alone():
    layer = Conv2D(2, 3)
    layer.build((1, 5, 5), rng=np.random.default_rng(0), dtype=np.float64)
    layer.forward_pass(np.ones((2, 1, 5, 5)))
    arrays = [name for name, value in vars(layer).items() if isinstance(value, np.ndarray)]
    assert arrays == []  # parameters and gradients live in params/grads; scratch belongs to the backend
    twin = copy.deepcopy(layer)
    np.testing.assert_array_equal(twin.forward(np.ones((2, 1, 5, 5))), layer.forward(np.ones((2, 1, 5, 5))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_max_pool_routes_each_window_to_its_first_maximum(dtype):
    rng = np.random.default_rng(7)
    x = rng.integers(-2, 3, size=(9, 3, 8, 6)).astype(dtype)  # many ties inside windows
    grad = rng.standard_normal((9, 3, 4, 3)).astype(dtype)
    layer = MaxPool2D(2)
    layer.build(x.shape[1:], rng=np.random.default_rng(0), dtype=dtype)
    y = layer.forward(x, training=True)
    grad_x = layer.backward(grad)
    windows = x.reshape(9, 3, 4, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5).reshape(9, 3, 4, 3, 4)
    first = windows.argmax(axis=-1)  # NumPy's argmax also takes the first maximum, as PyTorch does
    expected = np.zeros_like(windows)
    np.put_along_axis(expected, first[..., None], grad[..., None], axis=-1)
    expected = expected.reshape(9, 3, 4, 3, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(x.shape)
    np.testing.assert_array_equal(y, windows.max(axis=-1))
    np.testing.assert_array_equal(grad_x, expected)


@pytest.mark.parametrize("name", ["conv2d", "conv_transpose2d", "depthwise_conv2d", "max_pool2d", "avg_pool1d"])
def test_conv_layers_give_the_same_results_with_their_work_split_over_threads(name, conv_cases, conv_build):
    """forced_split: the CPU backend cuts every batch over two threads and into pieces of one sample."""
    rng = np.random.default_rng(9)
    for config, shape in conv_cases(name, 3, seed=13):
        x = rng.standard_normal((6, *shape))
        results = []
        for split in (False, True):
            layer = conv_build(name, config, shape)
            with forced_split() if split else contextlib.nullcontext():
                y = layer.forward(x, training=True)
                results.append([y, layer.backward(np.cos(y)), *(value.copy() for value in layer.grads.values())])
        for whole, split_result in zip(*results):
            np.testing.assert_allclose(split_result, whole, rtol=1e-12, atol=1e-12)
