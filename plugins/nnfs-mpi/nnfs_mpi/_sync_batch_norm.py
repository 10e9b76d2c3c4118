"""Synchronised BatchNorm: batch statistics of the global batch instead of each rank's shard.

BatchNorm asks its ``ops`` for ``batch_norm``/``batch_norm_backward``. During a ``fit`` with
``MPIStrategy(sync_batch_norm=True)`` every BatchNorm's ``ops`` is this wrapper around its own, whose
training forward adds each channel's count, sum and sum of squares over the ranks (one allreduce of
2C + 1 values) and whose backward adds the two per-channel sums it needs (2C values). Everything else is
the wrapped backend's. Inference uses the running statistics, which are the same on every rank.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from nnfs_core.layers.batch_norm import BatchNorm

__all__ = ["SyncedBatchNormOps", "synchronised_batch_norm"]

Array = np.ndarray[Any, Any]


class SyncedBatchNormOps:
    """``inner`` with ``batch_norm``/``batch_norm_backward`` computed over every rank's values of a channel."""

    def __init__(self, inner: Any, comm: Any) -> None:
        self.inner = inner
        self.comm = comm

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _sum(self, values: Array) -> Array:
        from mpi4py import MPI

        total = np.ascontiguousarray(values, dtype=np.float64)
        self.comm.Allreduce(MPI.IN_PLACE, total, op=MPI.SUM)
        return total

    def batch_norm(self, x: Array, weight: Array | None, bias: Array | None, running_mean: Array,
                   running_var: Array, *, momentum: float, eps: float, training: bool) -> tuple[Array, Array, Array]:
        """As ``Ops.batch_norm``; in training the mean and biased variance are the global batch's."""
        if not training:
            return self.inner.batch_norm(x, weight, bias, running_mean, running_var, momentum=momentum, eps=eps,
                                         training=False)
        axes = (0, *range(2, x.ndim))
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        channels = x.shape[1]
        local = np.concatenate([[x.size // channels], x.sum(axis=axes, dtype=np.float64),
                                np.square(x, dtype=np.float64).sum(axis=axes)])
        total = self._sum(local)
        count = total[0]
        mean = total[1:channels + 1] / count
        var = np.maximum(total[channels + 1:] / count - mean * mean, 0.0)
        running_mean *= 1.0 - momentum
        running_mean += (momentum * mean).astype(running_mean.dtype)
        running_var *= 1.0 - momentum
        running_var += (momentum * var * (count / max(count - 1, 1))).astype(running_var.dtype)
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        x_hat = (x - mean.astype(x.dtype).reshape(shape)) * inv_std.reshape(shape)
        y = x_hat if weight is None else x_hat * weight.reshape(shape) + bias.reshape(shape)  # type: ignore[union-attr]
        return y, x_hat, inv_std

    def batch_norm_backward(self, grad: Array, x_hat: Array, inv_std: Array, weight: Array | None, *,
                            training: bool) -> tuple[Array, Array, Array]:
        """As ``Ops.batch_norm_backward``; in training the per-channel means are over the global batch.

        The weight and bias gradients stay this rank's (the strategy averages them with the others).
        """
        if not training:
            return self.inner.batch_norm_backward(grad, x_hat, inv_std, weight, training=False)
        axes = (0, *range(2, grad.ndim))
        shape = (1, grad.shape[1]) + (1,) * (grad.ndim - 2)
        channels = grad.shape[1]
        sum_grad = grad.sum(axis=axes)
        sum_grad_x_hat = (grad * x_hat).sum(axis=axes)
        total = self._sum(np.concatenate([[grad.size // channels], sum_grad, sum_grad_x_hat]))
        count = total[0]
        scale = inv_std if weight is None else inv_std * weight
        input_grad = grad * scale.reshape(shape)
        input_grad -= x_hat * (scale * total[channels + 1:] / count).astype(grad.dtype).reshape(shape)
        input_grad -= (scale * total[1:channels + 1] / count).astype(grad.dtype).reshape(shape)
        return input_grad, sum_grad_x_hat, sum_grad


@contextlib.contextmanager
def synchronised_batch_norm(network: Any, comm: Any | None) -> Iterator[None]:
    """Inside the block, every BatchNorm of ``network`` (inside composites too) computes with ``comm``'s
    global batch statistics; nothing changes when ``comm`` is None."""
    layers = [] if comm is None else [layer for layer in _walk(network.layers) if isinstance(layer, BatchNorm)]
    for layer in layers:
        layer.ops = SyncedBatchNormOps(layer.ops, comm)
    try:
        yield
    finally:
        for layer in layers:
            layer.ops = layer.ops.inner


def _walk(layers: Any) -> Iterator[Any]:
    """Every layer, and the layers inside layers that hold layers (their ``children()``)."""
    for layer in layers:
        yield layer
        children = getattr(layer, "children", None)
        if callable(children):
            yield from _walk(child for _, child in children())
