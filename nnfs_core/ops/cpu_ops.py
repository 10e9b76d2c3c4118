"""CPUOps: the default backend - the reference maths, cut over threads and written into preallocated arrays.

One threading policy, here and nowhere else (docs/architecture.md, "Where speed lives"): NumPy releases the
GIL in its products, copies and ufuncs, so two Python threads that each take half a batch use two cores.
OpenBLAS's own idle threads spin for about 0.1 s after each multi-threaded product and take the core back,
so while a network whose layers split their batch runs (a layer declares ``parallel = True``: convolutions,
BatchNorm on feature maps), the BLAS is held to one thread per call and the large products, elementwise
passes and per-channel reductions are cut into fixed row (or channel) ranges, one per thread. Fixed bounds
make results independent of which thread finishes first. Networks without such layers (MLPs) leave the BLAS
its own threads: splitting small products over Python threads was measured slower (143k -> 104k samples/s).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, ClassVar

import numpy as np

from nnfs_core.ops import _conv_cpu, _memory, _scratch, _threads
from nnfs_core.ops.base import Array, Ops
from nnfs_core.ops.geometry import WindowGeometry

__all__ = ["CPUOps"]

_SPLIT_MIN = 1 << 20  # elements below which one thread is quicker than handing work to another


_ZERO_ROW = 256  # floats per row of ``_max_zero``'s zeros: 1 KiB (rows of 4 KiB meet 4K aliasing: 2x slower)
_ZEROS: dict[np.dtype[Any], Array] = {}


def _max_zero(x: Array, out: Array) -> None:
    """out = max(x, 0), as ``np.maximum(x, 0, out=out)``, the same values.

    NumPy's float maximum against a scalar runs a loop without SIMD on AVX2 machines (NumPy 2.4, AMD EPYC:
    1.5 ms for 8 MiB of float32, where an add takes 0.5), while its two-array loop is vectorised. So x is
    read as rows of ``_ZERO_ROW`` and compared with one row of zeros broadcast over them (the rest, under a
    row, against the scalar): ReLU's forward 1.5x-2.2x faster (docs/benchmarks.md).
    """
    if x.dtype.kind != "f" or not (x.flags.c_contiguous and out.flags.c_contiguous) or x.size < _ZERO_ROW:
        np.maximum(x, 0, out=out)
        return
    zeros = _ZEROS.get(x.dtype)
    if zeros is None:
        zeros = np.zeros(_ZERO_ROW, x.dtype)
        zeros.flags.writeable = False
        _ZEROS[x.dtype] = zeros
    flat, target = x.reshape(-1), out.reshape(-1)
    bulk = flat.size - flat.size % _ZERO_ROW
    np.maximum(flat[:bulk].reshape(-1, _ZERO_ROW), zeros, out=target[:bulk].reshape(-1, _ZERO_ROW))
    np.maximum(flat[bulk:], 0, out=target[bulk:])


class CPUOps(Ops):
    """The tuned CPU backend (the default): threads and the BLAS policy of the module docstring.

    ``NNFS_NUM_THREADS`` sets the number of threads (1 turns the splitting off); the splitting also stays off
    when the BLAS is not OpenBLAS with its own thread pool, or threadpoolctl is missing. The first network
    it runs makes malloc keep freed memory for the next batch, and while a network runs large blocks come
    from the heap too (``_memory``; ``NNFS_KEEP_FREED_MEMORY=0`` turns both off).
    """

    name: ClassVar[str] = "cpu"

    @contextmanager
    def running(self, layers: Iterable[Any]) -> Iterator[None]:
        with _memory.heap_for_large_blocks():
            if any(getattr(layer, "parallel", False) for layer in layers):
                with _threads.blas_single_threaded():
                    yield
            else:
                yield

    def _rows(self, rows: int, size: int) -> list[tuple[int, int]]:
        """Row ranges to split a pass of ``size`` elements over, or one range when that does not pay."""
        if not _threads.blas_held() or size < _SPLIT_MIN:
            return [(0, rows)]
        return _threads.split(rows) or [(0, rows)]

    def _each(self, work: Callable[[int, int], Any], ranges: list[tuple[int, int]]) -> None:
        if len(ranges) == 1:
            work(*ranges[0])
        else:
            _threads.run([partial(work, start, stop) for start, stop in ranges])

    # -- products ----------------------------------------------------------------------------------------
    def matmul(self, a: Array, b: Array, *, out: Array | None = None) -> Array:
        if a.ndim < 2 or b.ndim < 2 or (a.ndim != b.ndim and b.ndim != 2):
            return np.matmul(a, b, out=out)
        if a.ndim > 2 and b.ndim == 2:  # (..., k) @ (k, m): one product over all leading rows
            result = self.matmul(a.reshape(-1, a.shape[-1]), b)
            if out is None:
                return result.reshape(*a.shape[:-1], b.shape[-1])
            out[...] = result.reshape(out.shape)
            return out
        return _threads.matmul(a, b, out=out)

    # -- elementwise kernels -----------------------------------------------------------------------------
    def relu(self, x: Array) -> Array:
        y = np.empty(x.shape, x.dtype)
        self._each(lambda start, stop: _max_zero(x[start:stop], y[start:stop]), self._rows(len(x), x.size))
        return y

    def relu_backward(self, grad: Array, y: Array) -> Array:
        grad_x = np.empty(grad.shape, np.result_type(grad, y))

        def rows(start: int, stop: int) -> None:
            np.greater(y[start:stop], 0, out=grad_x[start:stop], casting="unsafe")
            grad_x[start:stop] *= grad[start:stop]

        self._each(rows, self._rows(len(grad), grad.size))
        return grad_x

    # -- activation kernels (nnfs-activations): the reference's operations, in its order, row by row ------
    def sigmoid(self, x: Array) -> Array:
        y = np.empty(x.shape, x.dtype)

        def rows(start: int, stop: int) -> None:
            part, out = x[start:stop], y[start:stop]
            np.abs(part, out=out)
            np.negative(out, out=out)
            with np.errstate(under="ignore"):
                np.exp(out, out=out)  # e = exp(-|x|)
            denominator = out + 1.0
            np.copyto(out, 1.0, where=part >= 0)
            out /= denominator

        self._each(rows, self._rows(len(x), x.size))
        return y

    def sigmoid_backward(self, grad: Array, y: Array) -> Array:
        if grad.dtype != y.dtype:  # mixed precision: the reference's casts, not worth a kernel
            return super().sigmoid_backward(grad, y)
        grad_x = np.empty(grad.shape, grad.dtype)

        def rows(start: int, stop: int) -> None:
            out, part = grad_x[start:stop], y[start:stop]
            np.subtract(1.0, part, out=out)
            out *= part
            out *= grad[start:stop]

        self._each(rows, self._rows(len(grad), grad.size))
        return grad_x

    def tanh(self, x: Array) -> Array:
        y = np.empty(x.shape, x.dtype)
        self._each(lambda start, stop: np.tanh(x[start:stop], out=y[start:stop]), self._rows(len(x), x.size))
        return y

    def tanh_backward(self, grad: Array, y: Array) -> Array:
        if grad.dtype != y.dtype:
            return super().tanh_backward(grad, y)
        grad_x = np.empty(grad.shape, grad.dtype)

        def rows(start: int, stop: int) -> None:
            out, part = grad_x[start:stop], y[start:stop]
            np.multiply(part, part, out=out)
            np.subtract(1.0, out, out=out)
            out *= grad[start:stop]

        self._each(rows, self._rows(len(grad), grad.size))
        return grad_x

    # -- end of the activation kernels --------------------------------------------------------------------

    # -- normalisation -----------------------------------------------------------------------------------
    def batch_norm(self, x: Array, weight: Array | None, bias: Array | None, running_mean: Array,
                   running_var: Array, *, momentum: float, eps: float, training: bool) -> tuple[Array, Array, Array]:
        x_hat = np.empty_like(x)
        y = x_hat if weight is None else np.empty_like(x)
        inv_std = np.empty(x.shape[1], dtype=x.dtype)
        arrays = _BatchNormArrays(x, x_hat, y, inv_std, weight, bias, running_mean, running_var)
        work = partial(_batch_norm_channels, arrays, x.dtype.type(momentum), x.dtype.type(eps), training)
        self._each(work, self._rows(x.shape[1], x.size))
        return y, x_hat, inv_std

    def batch_norm_backward(self, grad: Array, x_hat: Array, inv_std: Array, weight: Array | None, *,
                            training: bool) -> tuple[Array, Array, Array]:
        input_grad = np.empty_like(grad)
        grad_weight = np.empty(grad.shape[1], grad.dtype)
        grad_bias = np.empty(grad.shape[1], grad.dtype)

        def channels(start: int, stop: int) -> None:
            part = slice(start, stop)
            g, x_hat_part, out = grad[:, part], x_hat[:, part], input_grad[:, part]
            shape = (1, stop - start) + (1,) * (grad.ndim - 2)
            grad_bias[part] = _channel_sum(g)
            grad_weight[part] = _channel_dot(g, x_hat_part)
            scale = inv_std[part] if weight is None else inv_std[part] * weight[part]
            if training:  # scale (g - x_hat mean(g x_hat) - mean(g)), built in ``out``: no temporary array
                count = grad.dtype.type(grad.size // grad.shape[1])
                np.multiply(x_hat_part, (grad_weight[part] / count).reshape(shape), out=out)
                out += (grad_bias[part] / count).reshape(shape)
                np.subtract(g, out, out=out)
                out *= scale.reshape(shape)
            else:
                np.multiply(g, scale.reshape(shape), out=out)

        self._each(channels, self._rows(grad.shape[1], grad.size))
        return input_grad, grad_weight, grad_bias

    # -- convolutions and pooling (nnfs-conv): the batch over threads, in cache-sized pieces (_conv_cpu) ----
    def scratch_nbytes(self) -> int:
        """Bytes of the window kernels' scratch memory, every thread's (it only grows, to the largest piece)."""
        return _scratch.total_nbytes()

    def conv2d(self, x: Array, weight: Array, bias: Array | None, geometry: WindowGeometry, *, groups: int = 1,
               padding_mode: str = "zeros") -> tuple[Array, Any]:
        return _conv_cpu.conv2d(x, weight, bias, geometry, groups, padding_mode)

    def conv2d_backward(self, grad: Array, cache: Any, weight: Array, grad_weight: Array, grad_bias: Array | None,
                        geometry: WindowGeometry, *, groups: int = 1, padding_mode: str = "zeros",
                        input_grad: bool = True) -> Array | None:
        return _conv_cpu.conv2d_backward(grad, cache, weight, grad_weight, grad_bias, geometry, groups, padding_mode,
                                         input_grad)

    def conv_transpose2d(self, x: Array, weight: Array, bias: Array | None, geometry: WindowGeometry, *,
                         groups: int = 1) -> tuple[Array, Any]:
        return _conv_cpu.conv_transpose2d(self.matmul, x, weight, bias, geometry, groups)

    def conv_transpose2d_backward(self, grad: Array, cache: Any, weight: Array, grad_weight: Array,
                                  grad_bias: Array | None, geometry: WindowGeometry, *, groups: int = 1,
                                  input_grad: bool = True) -> Array | None:
        return _conv_cpu.conv_transpose2d_backward(self.matmul, grad, cache, weight, grad_weight, grad_bias, geometry,
                                                   groups, input_grad)

    def max_pool2d(self, x: Array, geometry: WindowGeometry) -> tuple[Array, Any]:
        return _conv_cpu.max_pool2d(x, geometry)

    def max_pool2d_inference(self, x: Array, geometry: WindowGeometry) -> Array:
        return _conv_cpu.max_pool2d_inference(x, geometry)

    def max_pool2d_backward(self, grad: Array, cache: Any, geometry: WindowGeometry) -> Array:
        return _conv_cpu.max_pool2d_backward(grad, cache, geometry)

    def avg_pool2d(self, x: Array, geometry: WindowGeometry, divisor: Array) -> Array:
        return _conv_cpu.avg_pool2d(x, geometry, divisor)

    def avg_pool2d_backward(self, grad: Array, geometry: WindowGeometry, divisor: Array) -> Array:
        return _conv_cpu.avg_pool2d_backward(grad, geometry, divisor)


class _BatchNormArrays:
    """The arrays one batch-norm forward reads and writes, handed to each thread's run of channels."""

    def __init__(self, *arrays: Any) -> None:
        (self.x, self.x_hat, self.y, self.inv_std, self.weight, self.bias, self.running_mean,
         self.running_var) = arrays


def _batch_norm_channels(a: _BatchNormArrays, momentum: Any, eps: Any, training: bool, start: int, stop: int) -> None:
    """Channels start:stop of ``CPUOps.batch_norm`` (each channel's statistics are its own)."""
    part = slice(start, stop)
    shape = (1, stop - start) + (1,) * (a.x.ndim - 2)
    x, x_hat = a.x[:, part], a.x_hat[:, part]
    running_mean, running_var = a.running_mean[part], a.running_var[part]
    if training:
        count = x.size // x.shape[1]
        mean = x.mean(axis=(0, *range(2, x.ndim)))
        np.subtract(x, mean.reshape(shape), out=x_hat)  # centred now, normalised in place below
        var = _channel_dot(x_hat, x_hat) / x.dtype.type(count)
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * x.dtype.type(count / (count - 1))
        a.inv_std[part] = 1.0 / np.sqrt(var + eps)
    else:
        a.inv_std[part] = 1.0 / np.sqrt(running_var + eps)
        np.subtract(x, running_mean.reshape(shape), out=x_hat)
    x_hat *= a.inv_std[part].reshape(shape)
    if a.weight is not None:
        np.multiply(x_hat, a.weight[part].reshape(shape), out=a.y[:, part])
        a.y[:, part] += a.bias[part].reshape(shape)


def _channels_view(a: Array) -> Array:
    """(N, C, ...) as (N, C, rest); a view for contiguous arrays, a copy otherwise."""
    return a.reshape(a.shape[0], a.shape[1], -1)


def _channel_sum(a: Array) -> Array:
    """Sum over every axis but the channel axis 1 (one pass, no temporary)."""
    return np.einsum("ncl->c", _channels_view(a))


def _channel_dot(a: Array, b: Array) -> Array:
    """sum(a * b) over every axis but the channel axis 1, without materialising a * b."""
    return np.einsum("ncl,ncl->c", _channels_view(a), _channels_view(b))
