"""The CPU backend's window kernels (convolutions, pooling) against the reference, and their scratch memory.

``CPUOps`` cuts a batch into one run of samples per thread and each run into cache-sized pieces, with
three column layouts for convolutions (``nnfs_core/ops/_conv_cpu.py``); ``Ops`` computes the same maths
one strided slice per tap. Every path meets the reference here in float64, split over two threads and
cut into pieces of one sample (``forced_split``) as well as whole.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext

import numpy as np
import pytest

from nnfs_core import ops
from nnfs_core.ops import WindowGeometry, _conv_cpu, _scratch
from nnfs_core.testing import forced_split

REFERENCE, CPU = ops.get("numpy"), ops.get("cpu")
MODES = ("zeros", "reflect", "replicate", "circular")


@pytest.fixture
def one_run(monkeypatch):
    """Every batch in one run, in this thread, with a fresh scratch: the one a test can look at."""
    monkeypatch.setattr(_conv_cpu._threads, "split", lambda total, parts=None: [(0, total)] if total else [])
    monkeypatch.setattr(_scratch, "_local", threading.local())  # what earlier tests grew stays out of sight


def _geometry(rng, *, mode="zeros", pool=False):
    """A random geometry that fits: kernel, stride, dilation, asymmetric padding (within what ``mode`` allows)."""
    while True:
        size = tuple(int(v) for v in rng.integers(2, 8, 2))
        kernel = tuple(int(v) for v in rng.integers(1, 4, 2))
        stride = tuple(int(v) for v in rng.integers(1, 3, 2))
        dilation = (1, 1) if pool and rng.random() < 0.5 else tuple(int(v) for v in rng.integers(1, 3, 2))
        limit = [min(k // 2, s - 1) if mode == "reflect" else (k // 2 if pool else 2) for k, s in zip(kernel, size)]
        padding = tuple(int(rng.integers(0, limit[axis // 2] + 1)) for axis in range(4))
        try:
            return WindowGeometry.fitting(size, kernel, stride=stride, dilation=dilation, padding=padding)
        except ValueError:
            continue


def _conv_case(rng, mode):
    geometry, groups = _geometry(rng, mode=mode), int(rng.choice([1, 2]))
    channels, out_channels = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    x = rng.standard_normal((int(rng.integers(1, 6)), channels, *geometry.size))
    weight = rng.standard_normal((out_channels, channels // groups, *geometry.kernel))
    bias = rng.standard_normal(out_channels) if rng.random() < 0.8 else None
    return x, weight, bias, geometry, groups


def _conv_results(backend, x, weight, bias, geometry, groups, mode):
    y, cache = backend.conv2d(x, weight, bias, geometry, groups=groups, padding_mode=mode)
    grad = np.cos(np.arange(y.size)).reshape(y.shape)
    grad_weight = np.empty_like(weight)
    grad_bias = None if bias is None else np.empty_like(bias)
    grad_x = backend.conv2d_backward(grad, cache, weight, grad_weight, grad_bias, geometry, groups=groups,
                                     padding_mode=mode)
    return [y, grad_x, grad_weight, grad_bias]


def _assert_same(results, expected, rtol=1e-10):
    for tuned, reference in zip(results, expected):
        if reference is None:
            assert tuned is None
        else:
            np.testing.assert_allclose(tuned, reference, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("split", [False, True], ids=["whole", "threads-and-pieces"])
@pytest.mark.parametrize("mode", MODES)
def test_cpu_conv2d_equals_the_reference(mode, split):
    rng = np.random.default_rng(MODES.index(mode) + 10 * split)
    for _ in range(12):
        case = _conv_case(rng, mode)
        expected = _conv_results(REFERENCE, *case, mode)
        if split:
            with forced_split():
                results = _conv_results(CPU, *case, mode)
        else:
            results = _conv_results(CPU, *case, mode)
        _assert_same(results, expected)


@pytest.mark.parametrize("size, kernel, dilation, padding, groups", [
    ((7, 5), (3, 3), (1, 1), (1, 1, 1, 1), 1),  # 3x3 pad 1: the same-width path
    ((6, 9), (4, 4), (1, 2), (1, 2, 3, 3), 1),  # PyTorch's "same" with an even kernel and dilation
    ((5, 4), (2, 3), (1, 1), (0, 0, 1, 1), 3),
    ((4, 4), (1, 1), (1, 1), (0, 0, 0, 0), 1),
    ((6, 6), (3, 3), (1, 1), (2, 0, 0, 1), 2),  # stride 1, width not kept: the rows-wide path
    ((5, 5), (1, 3), (1, 1), (1, 0, 1, 1), 1),  # width kept, height not: the same-width path's col2im
])
def test_cpu_conv2d_stride_one_paths_equal_the_reference(size, kernel, dilation, padding, groups):
    rng = np.random.default_rng(8)
    geometry = WindowGeometry.fitting(size, kernel, dilation=dilation, padding=padding)
    x = rng.standard_normal((7, 2 * groups, *size))
    weight, bias = rng.standard_normal((3 * groups, 2, *kernel)), rng.standard_normal(3 * groups)
    expected = _conv_results(REFERENCE, x, weight, bias, geometry, groups, "zeros")
    with forced_split():
        _assert_same(_conv_results(CPU, x, weight, bias, geometry, groups, "zeros"), expected)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kernel, dilation, padding, groups", [
    ((3, 3), (1, 1), (1, 1, 1, 1), 1),  # "same" (with zeros): d x as a convolution with the flipped kernel
    ((3, 5), (2, 1), (2, 2, 2, 2), 2),  # the same, dilated and grouped
    ((3, 3), (1, 1), (1, 1, 1, 1), 4),  # the same, depthwise
    ((3, 3), (1, 1), (2, 1, 0, 2), 2),  # not "same": col2im
], ids=["same", "same-dilated-grouped", "same-depthwise", "asymmetric"])
def test_cpu_stride_one_input_gradient_equals_the_reference_in_every_mode(mode, kernel, dilation, padding, groups):
    rng = np.random.default_rng(MODES.index(mode))
    geometry = WindowGeometry.fitting((5, 6), kernel, dilation=dilation, padding=padding)
    x = rng.standard_normal((3, 4, 5, 6))
    weight, bias = rng.standard_normal((4, 4 // groups, *kernel)), rng.standard_normal(4)
    expected = _conv_results(REFERENCE, x, weight, bias, geometry, groups, mode)
    with forced_split():
        _assert_same(_conv_results(CPU, x, weight, bias, geometry, groups, mode), expected)


def test_cpu_same_convolution_input_gradient_is_a_convolution(monkeypatch):
    """The flipped-kernel path is taken for 3x3 pad 1 with O <= C only: the equality tests above cover both."""
    calls = []
    monkeypatch.setattr(_conv_cpu, "_input_gradient", lambda *args: calls.append(args) or np.zeros(1))
    rng = np.random.default_rng(4)
    for kernel, padding, out, taken in [((3, 3), (1, 1, 1, 1), 2, True), ((1, 1), (0, 0, 0, 0), 2, False),
                                        ((3, 3), (0, 0, 0, 0), 2, False), ((3, 3), (1, 1, 1, 1), 3, False)]:
        geometry = WindowGeometry.fitting((5, 5), kernel, padding=padding)
        x, weight = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((out, 2, *kernel))
        y, cache = CPU.conv2d(x, weight, None, geometry)
        calls.clear()
        CPU.conv2d_backward(np.ones_like(y), cache, weight, np.empty_like(weight), None, geometry)
        assert bool(calls) == taken, (kernel, padding)


def test_cpu_same_width_ignores_what_lies_beyond_a_row():
    """The values a row shift carries in from the next row or channel are zeroed: huge guards change nothing."""
    rng = np.random.default_rng(1)
    geometry = WindowGeometry.fitting((4, 4), (3, 3), padding=(1, 1, 1, 1))
    x, weight = rng.standard_normal((3, 2, 4, 4)), rng.standard_normal((2, 2, 3, 3))
    y, flat = CPU.conv2d(x, weight, None, geometry)
    assert flat.ndim == 1  # the same-width layout: rows padded, flattened, a guard at each end

    def backward():
        grad_weight = np.empty_like(weight)
        return CPU.conv2d_backward(np.cos(y), flat, weight, grad_weight, None, geometry), grad_weight

    expected = backward()
    flat[[0, -1]] = np.inf
    for result, reference in zip(backward(), expected):
        np.testing.assert_array_equal(result, reference)


def test_cpu_rows_wide_zeroes_its_guard_columns_every_call(one_run):
    """Scratch keeps no values: garbage left in the wide gradient buffer by another call changes nothing."""
    rng = np.random.default_rng(2)
    geometry = WindowGeometry.fitting((6, 6), (3, 3), padding=(2, 0, 0, 1))
    x, weight = rng.standard_normal((4, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    y, cache = CPU.conv2d(x, weight, None, geometry)
    expected = CPU.conv2d_backward(np.cos(y), cache, weight, np.empty_like(weight), None, geometry)
    with _scratch.borrow() as scratch:
        for (name, _), array in scratch.arrays.items():
            if name in ("grad_wide", "cols", "grad_padded"):
                array.fill(np.nan)
    np.testing.assert_array_equal(CPU.conv2d_backward(np.cos(y), cache, weight, np.empty_like(weight), None,
                                                      geometry), expected)


def test_cpu_transposed_convolution_equals_the_reference():
    rng = np.random.default_rng(3)
    for split in (False, True):
        for _ in range(8):
            geometry, groups = _geometry(rng), int(rng.choice([1, 2]))
            channels, out_channels = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
            x = rng.standard_normal((int(rng.integers(1, 5)), channels, *geometry.out))
            weight = rng.standard_normal((channels, out_channels // groups, *geometry.kernel))
            bias = rng.standard_normal(out_channels)
            results = []
            for backend in (REFERENCE, CPU):
                with forced_split() if split and backend is CPU else nullcontext():
                    y, cache = backend.conv_transpose2d(x, weight, bias, geometry, groups=groups)
                    grad_weight, grad_bias = np.empty_like(weight), np.empty_like(bias)
                    grad_x = backend.conv_transpose2d_backward(np.sin(y), cache, weight, grad_weight, grad_bias,
                                                               geometry, groups=groups)
                results.append([y, grad_x, grad_weight, grad_bias])
            _assert_same(results[1], results[0])


@pytest.mark.parametrize("split", [False, True], ids=["whole", "threads"])
def test_cpu_pooling_equals_the_reference(split):
    rng = np.random.default_rng(4 + split)
    for _ in range(16):
        geometry = _geometry(rng, pool=True)
        x = rng.standard_normal((int(rng.integers(1, 6)), int(rng.integers(1, 4)), *geometry.size))
        if rng.random() < 0.3:
            x = np.round(x)  # ties: the first maximum of a window wins on both backends
        divisor = rng.integers(1, 9, geometry.out).astype(np.float64)
        results = []
        for backend in (REFERENCE, CPU):
            with forced_split() if split and backend is CPU else nullcontext():
                y, argmax = backend.max_pool2d(x, geometry)
                grad = np.cos(np.arange(y.size)).reshape(y.shape)
                results.append([y, backend.max_pool2d_backward(grad, argmax, geometry),
                                backend.avg_pool2d(x, geometry, divisor),
                                backend.avg_pool2d_backward(grad, geometry, divisor)])
        _assert_same(results[1], results[0])


@pytest.mark.parametrize("split", [False, True], ids=["whole", "threads"])
def test_cpu_inference_max_pooling_is_the_training_pass_output(split):
    rng = np.random.default_rng(14 + split)
    for _ in range(16):
        geometry = _geometry(rng, pool=True)
        x = rng.standard_normal((int(rng.integers(1, 6)), int(rng.integers(1, 4)), *geometry.size))
        x[rng.random(x.shape) < 0.05] = np.nan  # a NaN wins its windows on both passes, as in PyTorch
        with forced_split() if split else nullcontext():
            got = CPU.max_pool2d_inference(x, geometry)
        np.testing.assert_array_equal(got, REFERENCE.max_pool2d(x, geometry)[0])
        assert got.dtype == x.dtype


def test_cpu_window_kernels_keep_float32():
    rng = np.random.default_rng(5)
    geometry = WindowGeometry.fitting((6, 6), (3, 3), padding=(1, 1, 1, 1))
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    weight = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    y, cache = CPU.conv2d(x, weight, None, geometry)
    grad_x = CPU.conv2d_backward(np.ones_like(y), cache, weight, np.empty_like(weight), None, geometry)
    pooled, argmax = CPU.max_pool2d(x, geometry)
    grad_pool = CPU.max_pool2d_backward(pooled, argmax, geometry)
    assert {a.dtype for a in (y, grad_x, pooled, grad_pool)} == {np.dtype(np.float32)}
    assert argmax.dtype == np.uint8


# -- scratch memory: one grow-only workspace per thread, nothing returned views it ------------------------
def _scratch_views(arrays):
    """Whether any array shares memory with this thread's scratch."""
    mine = _scratch.mine()
    return mine is not None and any(np.shares_memory(array, buffer) for array in arrays if array is not None
                                    for buffer in mine.arrays.values())


@pytest.mark.parametrize("padding", [(1, 1, 1, 1), (0, 0, 0, 0)])
def test_cpu_outputs_and_caches_never_view_scratch(one_run, padding):
    rng = np.random.default_rng(6)
    geometry = WindowGeometry.fitting((6, 6), (3, 3), stride=(1, 2), padding=padding)
    x, weight = rng.standard_normal((3, 2, 6, 6)), rng.standard_normal((4, 2, 3, 3))
    y, cache = CPU.conv2d(x, weight, np.zeros(4), geometry)
    grad_x = CPU.conv2d_backward(np.ones_like(y), cache, weight, np.empty_like(weight), np.empty(4), geometry)
    pooled, argmax = CPU.max_pool2d(x, geometry)
    grad_pool = CPU.max_pool2d_backward(pooled, argmax, geometry)
    small = rng.standard_normal((3, 4, *geometry.out))
    y_t, cache_t = CPU.conv_transpose2d(small, weight, None, geometry)
    grad_t = CPU.conv_transpose2d_backward(y_t, cache_t, weight, np.empty_like(weight), None, geometry)
    assert not _scratch_views([y, cache, grad_x, pooled, argmax, grad_pool, y_t, cache_t, grad_t])


def test_cpu_a_call_between_forward_and_backward_changesnullcontext():
    rng = np.random.default_rng(7)
    geometry = WindowGeometry.fitting((6, 6), (3, 3), padding=(1, 1, 1, 1))
    x, other = rng.standard_normal((4, 2, 6, 6)), rng.standard_normal((4, 2, 6, 6))
    weight = rng.standard_normal((3, 2, 3, 3))
    results = []
    for interleave in (False, True):
        with forced_split():
            y, cache = CPU.conv2d(x, weight, None, geometry)
            pooled, argmax = CPU.max_pool2d(x, geometry)
            if interleave:
                CPU.conv2d(other, weight, None, geometry)
                CPU.max_pool2d(other * 5, geometry)
            grad_weight = np.empty_like(weight)
            grad_x = CPU.conv2d_backward(np.cos(y), cache, weight, grad_weight, None, geometry)
            results.append([grad_x, grad_weight, CPU.max_pool2d_backward(np.cos(pooled), argmax, geometry)])
    for plain, interleaved in zip(*results):
        np.testing.assert_array_equal(interleaved, plain)


def test_cpu_parameter_gradients_are_the_runs_sums_in_run_order():
    """Each thread sums its own samples; the sums are added in run order, so the result is bit-identical."""
    rng = np.random.default_rng(9)
    geometry = WindowGeometry.fitting((8, 8), (3, 3), padding=(1, 1, 1, 1))
    x, weight = rng.standard_normal((9, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3))
    with forced_split():
        y, cache = CPU.conv2d(x, weight, None, geometry)
        grads = []
        for _ in range(3):
            grad_weight = np.empty_like(weight)
            CPU.conv2d_backward(np.cos(y), cache, weight, grad_weight, None, geometry, input_grad=False)
            grads.append(grad_weight)
        halves = []
        for part in (slice(0, 4), slice(4, 9)):  # forced_split's two runs of a batch of 9
            _, part_cache = CPU.conv2d(x[part], weight, None, geometry)
            halves.append(np.empty_like(weight))
            CPU.conv2d_backward(np.cos(y[part]), part_cache, weight, halves[-1], None, geometry, input_grad=False)
    assert all(np.array_equal(grad, grads[0]) for grad in grads)
    np.testing.assert_allclose(grads[0], halves[0] + halves[1], rtol=1e-12, atol=1e-12)


def test_cpu_scratch_is_reused_from_batch_to_batch_and_bounded_by_a_piece(monkeypatch, one_run):
    geometry = WindowGeometry.fitting((10, 10), (3, 3), padding=(1, 1, 1, 1))
    weight = np.ones((8, 4, 3, 3), np.float32)
    plan = _conv_cpu._ConvPlan(geometry, 4, 8, 1, "zeros", np.dtype(np.float32))
    sample_bytes = _conv_cpu._PIECE_BYTES // plan.piece()
    monkeypatch.setattr(_conv_cpu, "_PIECE_BYTES", 3 * sample_bytes + 1)  # pieces of 3 samples

    def step(batch):
        x = np.ones((batch, 4, 10, 10), np.float32)
        y, cache = CPU.conv2d(x, weight, None, geometry)
        CPU.conv2d_backward(y, cache, weight, np.empty_like(weight), None, geometry)
        return dict(_scratch.mine().arrays)

    before = step(16)
    columns = before[("cols", np.dtype(np.float32).str)]
    assert columns.shape == (4 * 9 * 3 * 10 * 10,)  # C kh kw rows, 3 samples x OH OW columns
    assert columns.nbytes == max(array.nbytes for array in before.values())
    for batch in (16, 5, 64, 1):  # the same arrays for any batch size
        after = step(batch)
        assert all(after[key] is array for key, array in before.items())
    assert CPU.scratch_nbytes() >= sum(array.nbytes for array in before.values()) > 0


def test_cpu_pooling_scratch_is_bounded_by_a_piece(monkeypatch, one_run):
    geometry = WindowGeometry.fitting((8, 8), (3, 3), stride=(2, 2), padding=(1, 1, 1, 1))
    sample = _conv_cpu._pool_sample_bytes(4, geometry, 8)
    monkeypatch.setattr(_conv_cpu, "_PIECE_BYTES", 2 * sample)  # pieces of 2 samples
    x = np.random.default_rng(11).standard_normal((9, 4, 8, 8))
    y, argmax = CPU.max_pool2d(x, geometry)
    CPU.max_pool2d_backward(y, argmax, geometry)
    arrays = _scratch.mine().arrays
    assert arrays[("mask", np.dtype(np.bool_).str)].size == 2 * 4 * 4 * 4  # 2 samples, C, OH, OW
    assert arrays[("grad_padded", np.dtype(np.float64).str)].size == 2 * 4 * 10 * 10


def test_cpu_a_reentrant_borrow_gets_a_scratch_of_its_own():
    with _scratch.borrow() as outer:
        with _scratch.borrow() as inner:
            assert inner is not outer
    with _scratch.borrow() as again:
        assert again is outer


def test_cpu_concurrent_calls_give_the_sequential_results():
    rng = np.random.default_rng(10)
    geometry = WindowGeometry.fitting((16, 16), (3, 3), padding=(1, 1, 1, 1))
    weight = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    batches = [rng.standard_normal((16, 8, 16, 16)).astype(np.float32) for _ in range(4)]
    expected = [CPU.conv2d(batch, weight, None, geometry)[0] for batch in batches]
    results: dict[int, list[np.ndarray]] = {}

    def run(index):
        results[index] = [CPU.conv2d(batches[index], weight, None, geometry)[0] for _ in range(6)]

    threads = [threading.Thread(target=run, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(4):
        for y in results[index]:  # a shared buffer overwritten mid-call would be far off, not 1e-6 off
            np.testing.assert_allclose(y, expected[index], rtol=1e-6, atol=1e-6)
