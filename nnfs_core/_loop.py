"""The epoch and batch loop behind ``Network.fit``."""

from __future__ import annotations

from typing import Any

import numpy as np

Array = np.ndarray[Any, Any]


def _batches(network: Any, x: Array, y: Array, batch_size: int, shuffle: bool, buffer: Array | None):
    """Yield ``(x_batch, y_batch)``; the last partial batch is kept.

    Without shuffling the batches are views. With shuffling, rows are gathered into one reused buffer
    (no per-batch allocation, no per-epoch copy of the dataset).
    """
    n = len(x)
    order = network.rng.permutation(n) if shuffle else None
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        if order is None:
            yield x[start:stop], y[start:stop]
        else:
            rows = order[start:stop]
            yield np.take(x, rows, axis=0, out=buffer[: stop - start], mode="clip"), y[rows]  # type: ignore[index]


def run_epochs(
    network: Any, x: Array, y: Array, epochs: int, batch_size: int, shuffle: bool,
    validation_data: tuple[Array, Array] | None, metrics: list[Any], callbacks: list[Any], initial_epoch: int,
) -> Any:
    from nnfs_core._hooks import make_plugin_manager
    from nnfs_core.callbacks.history import History

    hook = make_plugin_manager(callbacks).hook
    steps = -(-len(x) // batch_size)
    params, grads = network.trainable_parameters()
    buffer = np.empty((min(batch_size, len(x)), *x.shape[1:]), dtype=x.dtype) if shuffle else None
    network.stop_training = False
    network.history = next(callback for callback in callbacks if isinstance(callback, History))
    hook.on_fit_start(network=network, epochs=epochs, steps_per_epoch=steps)
    try:
        for epoch in range(initial_epoch, epochs):
            hook.on_epoch_start(network=network, epoch=epoch)
            totals = dict.fromkeys(["loss", *(metric.name for metric in metrics)], 0.0)
            seen = 0
            for batch, (xb, yb) in enumerate(_batches(network, x, y, batch_size, shuffle, buffer)):
                hook.on_batch_start(network=network, epoch=epoch, batch=batch)
                loss, output = network._train_step(xb, yb, params, grads)
                logs = {"loss": loss, "size": len(xb)}
                for metric in metrics:
                    logs[metric.name] = float(metric(output, yb))
                for key in totals:
                    totals[key] += logs[key] * len(xb)
                seen += len(xb)
                hook.on_batch_end(network=network, epoch=epoch, batch=batch, logs=logs)
                if network.stop_training:
                    break
            epoch_logs = {key: value / seen for key, value in totals.items()}
            if validation_data is not None:
                scores = network._evaluate(*validation_data, max(batch_size, 256), metrics)
                epoch_logs.update({f"val_{key}": value for key, value in scores.items()})
            hook.on_epoch_end(network=network, epoch=epoch, logs=epoch_logs)
            if network.stop_training:
                break
    finally:
        hook.on_fit_end(network=network, history=network.history)
    return network.history

