"""dtype, input safety, batch size 1, buffer reuse, skip_input_grad: over every registered layer where it applies."""

from __future__ import annotations

import contextlib
import copy
import threading

import numpy as np
import pytest
from nnfs_conv import Conv1D, Conv2D, ConvTranspose2D, MaxPool2D, _convolution


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


def conv_buffers(layer):
    """Every scratch array of a layer: its own and its threads' ("child 0/name", ...)."""
    workspace = layer._workspace
    arrays = dict(workspace._arrays)
    for key, child in workspace._children.items():
        arrays.update({f"{key}/{name}": array for name, array in child._arrays.items()})
    return arrays


def small_pieces(monkeypatch, samples, layer):
    """Make Conv layers like ``layer`` (built) cut batches into pieces of ``samples`` samples."""
    monkeypatch.setattr(_convolution, "_PIECE_BYTES", samples * layer._sample_bytes())


def test_conv_buffers_are_reused_from_batch_to_batch_and_bounded_by_a_piece(monkeypatch):
    layer = Conv2D(8, 3, padding=1)
    layer.build((4, 10, 10), rng=np.random.default_rng(0), dtype=np.float32)
    small_pieces(monkeypatch, 3, layer)
    x = np.ones((16, 4, 10, 10), np.float32)
    layer.backward(layer.forward(x))
    before = conv_buffers(layer)
    # C kh kw rows, 3 samples x OH OW columns (stride 1, width kept: see im2col_same_width), per thread
    columns = [array for name, array in before.items() if name.endswith("/cols")]
    assert columns and all(array.shape == (4 * 9 * 3 * 10 * 10,) for array in columns)
    for batch in (16, 16, 5, 64):  # the same arrays for any batch size: only the padded input follows it
        layer.backward(layer.forward(np.ones((batch, 4, 10, 10), np.float32)))
        assert all(conv_buffers(layer)[name] is array for name, array in before.items() if name != "rows_padded")


def test_conv_the_column_buffer_is_the_biggest_array_of_a_thread(monkeypatch):
    layer = Conv2D(8, 3, padding=1)
    layer.build((4, 10, 10), rng=np.random.default_rng(0), dtype=np.float32)
    small_pieces(monkeypatch, 4, layer)
    layer.backward(layer.forward(np.ones((16, 4, 10, 10), np.float32)))
    column_bytes = 4 * 9 * 4 * 10 * 10 * 4
    for key, child in layer._workspace._children.items():
        sizes = sorted(array.nbytes for array in child._arrays.values())
        assert sizes[-1] == column_bytes and sizes[-2] < column_bytes, key


@pytest.mark.parametrize("make, shape", [
    (lambda: Conv2D(6, 3, padding=1), (4, 9, 9)),
    (lambda: Conv2D(6, (3, 2), stride=2, padding=(1, 0), dilation=(1, 2), groups=2, padding_mode="reflect"),
     (4, 9, 9)),
    (lambda: Conv1D(5, 3, padding="same"), (3, 11)),
])
@pytest.mark.parametrize("samples", [1, 2, 5])
def test_conv_pieces_of_a_batch_give_the_whole_batch_result(monkeypatch, make, shape, samples):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((13, *shape))
    results = []
    for piece in (13, samples):  # the whole batch in one piece per thread, then pieces of a few samples
        monkeypatch.setattr(_convolution, "_PIECE_BYTES", piece * _sample_bytes(make, shape))
        layer = make()
        layer.build(shape, rng=np.random.default_rng(0), dtype=np.float64)
        y = layer.forward(x, training=True)
        grad_x = layer.backward(np.cos(y))
        results.append((y, grad_x, {name: value.copy() for name, value in layer.grads.items()}))
    (y0, dx0, grads0), (y1, dx1, grads1) = results
    np.testing.assert_allclose(y1, y0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx1, dx0, rtol=1e-12, atol=1e-12)
    for name in grads0:
        np.testing.assert_allclose(grads1[name], grads0[name], rtol=1e-12, atol=1e-12)


def _sample_bytes(make, shape):
    """Scratch bytes per sample of the layer ``make`` builds on ``shape`` (float64)."""
    layer = make()
    layer.build(shape, rng=np.random.default_rng(0), dtype=np.float64)
    return layer._sample_bytes()


def test_conv_pool_buffers_are_reused():
    layer = MaxPool2D(3, stride=2, padding=1)
    layer.build((2, 9, 9), rng=np.random.default_rng(0), dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((4, 2, 9, 9)).astype(np.float32)
    layer.backward(layer.forward(x))
    before = conv_buffers(layer)
    layer.backward(layer.forward(x))
    assert before and all(conv_buffers(layer)[name] is array for name, array in before.items())


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


def test_conv_a_deep_copy_shares_no_buffers():
    layer = Conv2D(2, 3)
    layer.build((1, 5, 5), rng=np.random.default_rng(0), dtype=np.float64)
    layer.forward(np.ones((2, 1, 5, 5)))
    twin = copy.deepcopy(layer)
    assert twin._workspace is not layer._workspace and not twin._workspace._arrays
    np.testing.assert_array_equal(twin.forward(np.ones((2, 1, 5, 5))), layer.forward(np.ones((2, 1, 5, 5))))


@pytest.mark.parametrize("config, shape", [
    ({"out_channels": 6, "kernel_size": 3, "padding": 1}, (4, 7, 5)),
    ({"out_channels": 4, "kernel_size": 4, "padding": "same", "dilation": (1, 2)}, (2, 6, 9)),
    ({"out_channels": 6, "kernel_size": (2, 3), "padding": (0, 1), "groups": 3}, (3, 5, 4)),
    ({"out_channels": 3, "kernel_size": 1}, (2, 4, 4)),
])
def test_conv_same_width_rows_match_the_window_path(config, shape):
    """Stride 1 with the width kept reads shifted rows (im2col_same_width); the window path is the reference."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((7, *shape))
    results = []
    for same_width in (True, False):
        layer = Conv2D(**config)
        layer.build(shape, rng=np.random.default_rng(0), dtype=np.float64)
        assert layer._same_width
        layer._same_width, layer._rows_wide = same_width, not same_width
        y = layer.forward(x, training=True)
        results.append((y, layer.backward(np.cos(y)), {name: value.copy() for name, value in layer.grads.items()}))
    (y0, dx0, grads0), (y1, dx1, grads1) = results
    np.testing.assert_allclose(y0, y1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx0, dx1, rtol=1e-12, atol=1e-12)
    for name in grads0:
        np.testing.assert_allclose(grads0[name], grads1[name], rtol=1e-12, atol=1e-12)


def test_conv_same_width_ignores_what_lies_beyond_a_row():
    """The values a row shift carries in from the next row or channel are zeroed: huge ones change nothing."""
    layer = Conv2D(2, 3, padding=1)
    layer.build((2, 4, 4), rng=np.random.default_rng(0), dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((3, 2, 4, 4))
    y, flat = layer.forward_pass(x, training=True)
    assert layer._same_width and flat.ndim == 1
    expected = layer.backward_pass(np.cos(y), flat), layer.grads["weight"].copy()
    flat[[0, -1]] = np.inf  # the guards, read by the first and last shifted rows
    np.testing.assert_array_equal(layer.backward_pass(np.cos(y), flat), expected[0])
    np.testing.assert_array_equal(layer.grads["weight"], expected[1])


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


def test_conv_transpose_splits_its_products_while_a_network_holds_the_blas(monkeypatch):
    from nnfs_core import parallel
    from nnfs_core.ops import _threads

    monkeypatch.setattr(_threads, "_SPLIT_MIN", 1)  # split even these small products
    rng = np.random.default_rng(9)
    x = rng.standard_normal((6, 4, 5, 5))
    results = []
    for held in (False, True):
        layer = ConvTranspose2D(6, 3, stride=2, groups=2)
        output_shape = layer.build(x.shape[1:], rng=np.random.default_rng(0), dtype=np.float64)
        grad = np.cos(np.arange(6 * np.prod(output_shape)).reshape(6, *output_shape))
        with parallel.blas_single_threaded() if held else contextlib.nullcontext():
            y = layer.forward(x, training=True)
            results.append((y, layer.backward(grad), layer.grads["weight"].copy(), layer.grads["bias"].copy()))
    for plain, split in zip(*results):
        np.testing.assert_allclose(split, plain, rtol=1e-12, atol=1e-12)
