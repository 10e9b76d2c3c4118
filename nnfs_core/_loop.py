"""The passes behind ``Network``: a training step, inference, evaluation, and the epoch loop of ``fit``.

Everything here reads the network through its public attributes (``layers``, ``loss``, ``optimizer``,
``rng``, ``history``, ``stop_training``, ``fit_progress``); ``nnfs_core.network`` calls in, never the
other way round (docs/architecture.md, "The life of a training step").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnfs_core._accumulate import GradientAccumulator
from nnfs_core._finite_step import apply_finite_step
from nnfs_core.errors import ConfigError, TrainingDivergedError
from nnfs_core.layers.composite import infer_through
from nnfs_core.protocols import loss_backward, loss_forward, run_backward, run_forward
from nnfs_core.strategies.base import Strategy

Array = np.ndarray[Any, Any]


@dataclass
class FitProgress:
    """How the running ``fit`` was called and where it stands; ``network.fit_progress`` during a fit.

    A mid-epoch checkpoint records it: the Generator state from before the epoch's shuffle regenerates
    the same permutation on resume, and the running sums make the epoch's mean loss come out the same.
    """

    samples: int
    batch_size: int
    shuffle: bool
    steps_per_epoch: int
    callbacks: list[Any]
    epoch: int = 0
    epoch_rng_state: dict[str, Any] = field(default_factory=dict)
    totals: dict[str, float] = field(default_factory=dict)
    seen: int = 0
    accumulate: int = 1
    accumulator: GradientAccumulator | None = None  # the group's gradient sums, with accumulate > 1
    stepped: bool = True  # whether the last batch ended with an optimizer step (batch-interval schedulers)


@dataclass(frozen=True)
class ResumePoint:
    """Where a resumed ``fit`` continues: ``batch`` batches of ``epoch`` are done (see persistence)."""

    epoch: int
    batch: int = 0
    epoch_rng_state: dict[str, Any] | None = None
    totals: dict[str, float] = field(default_factory=dict)
    seen: int = 0
    accumulated: dict[str, Any] | None = None  # a GradientAccumulator's state_dict, inside a group


def _batches(x: Array, y: Array, batch_size: int, order: Array | None, buffer: Array | None, first: int):
    """Yield ``(x_batch, y_batch)`` from batch index ``first`` on; the last partial batch is kept.

    Without shuffling the batches are views. With shuffling, rows are gathered into one reused buffer
    (no per-batch allocation, no per-epoch copy of the dataset).
    """
    n = len(x) if order is None else len(order)  # a strategy's shard of the order may be shorter
    for start in range(first * batch_size, n, batch_size):
        stop = min(start + batch_size, n)
        if order is None:
            yield x[start:stop], y[start:stop]
        else:
            rows = order[start:stop]
            yield np.take(x, rows, axis=0, out=buffer[: stop - start], mode="clip"), y[rows]  # type: ignore[index]


def _start_epoch(network: Any, progress: FitProgress, epoch: int, names: list[str],
                 resume: ResumePoint | None) -> tuple[Array | None, int]:
    """Record the epoch's start and draw its shuffle; returns ``(order, first batch)``.

    Resuming inside this epoch, the permutation is drawn again from the Generator state the epoch began
    with, then the Generator goes back to its state at the checkpoint, and the done batches are skipped.
    """
    rng = network.rng
    if resume is not None and resume.epoch == epoch and resume.batch > 0:
        current = rng.bit_generator.state
        if resume.epoch_rng_state is not None:
            rng.bit_generator.state = resume.epoch_rng_state
        progress.epoch, progress.epoch_rng_state = epoch, rng.bit_generator.state
        progress.totals, progress.seen = dict(resume.totals), resume.seen
        order = rng.permutation(progress.samples) if progress.shuffle else None
        rng.bit_generator.state = current
        return order, resume.batch
    progress.epoch, progress.epoch_rng_state = epoch, rng.bit_generator.state
    progress.totals, progress.seen = dict.fromkeys(names, 0.0), 0
    return (rng.permutation(progress.samples) if progress.shuffle else None), 0


def forward(layers: list[Any], x: Array, training: bool = False) -> Array:
    """The output of a pass through ``layers``: each cache is dropped as soon as its layer is done. Inference
    folds each BatchNorm into a convolution or Dense before it (``infer_through``)."""
    if not training:
        return infer_through(layers, x)
    for layer in layers:
        x = run_forward(layer, x, training=training)[0]
    return x


def train_step(network: Any, x: Array, y: Array, params: Any, grads: Any,
               strategy: Strategy | None = None, accumulator: GradientAccumulator | None = None,
               step: bool = True) -> tuple[float, Array]:
    """Forward keeping each layer's cache, loss, backward through the caches, one optimizer step.

    The caches live in this call only (docs/architecture.md, "The life of a training step"): an
    inference call on the same network meanwhile, from a callback or another thread, cannot change them.
    A ``strategy`` of several processes averages the gradients over them before the step, which
    ``apply_finite_step`` takes only on finite gradients. With an ``accumulator`` (``fit(accumulate=k)``) the
    gradients are added to it and the step waits for ``step`` (the group's last batch), taken on the
    group's mean gradient. Returns the batch's loss and the network's output.
    """
    caches = []
    output = x
    for layer in network.layers:
        output, cache = run_forward(layer, output, training=True)
        caches.append(cache)
    loss, loss_cache = loss_forward(network.loss, output, y)
    finite = math.isfinite(loss)
    if finite:  # never step on a NaN/inf loss: the weights stay as they were
        grad = loss_backward(network.loss, loss_cache)
        for layer, cache in zip(reversed(network.layers), reversed(caches)):
            grad = run_backward(layer, grad, cache)
    if accumulator is not None:
        step, finite = accumulator.add(len(x), finite, step=step)
        if not step:
            return loss, output
    if strategy is not None:  # gradients averaged over the processes; a step only if every loss was finite
        finite = strategy.reduce_gradients(grads, finite)
    if finite:
        apply_finite_step(network.optimizer, params, grads)
    return loss, output


def evaluate(network: Any, x: Array, y: Array, batch_size: int, metrics: list[Any],
             strategy: Strategy | None = None) -> dict[str, float]:
    """Mean loss and metrics over ``(x, y)`` in inference mode; with a ``strategy`` of several processes
    each scores its share and the sums are added up over them."""
    if strategy is not None and strategy.world_size > 1:
        x, y = strategy.evaluation_shard(x, y)
        totals = _evaluation_sums(network, x, y, batch_size, metrics)
        totals = strategy.sum_over_ranks({**totals, "samples": float(len(x))})
        samples = totals.pop("samples")
        return {key: value / samples for key, value in totals.items()}
    return {key: value / len(x) for key, value in _evaluation_sums(network, x, y, batch_size, metrics).items()}


def _evaluation_sums(network: Any, x: Array, y: Array, batch_size: int, metrics: list[Any]) -> dict[str, float]:
    totals = dict.fromkeys(["loss", *(metric.name for metric in metrics)], 0.0)
    for start in range(0, len(x), batch_size):
        xb, yb = x[start : start + batch_size], y[start : start + batch_size]
        output = forward(network.layers, xb)
        totals["loss"] += float(network.loss.forward(output, yb)) * len(xb)
        for metric in metrics:
            totals[metric.name] += float(metric(output, yb)) * len(xb)
    return totals


def _over_ranks(strategy: Strategy, logs: dict[str, float]) -> dict[str, float]:
    """A batch's logs for the global batch: every process's sizes added, losses and metrics averaged by them."""
    if strategy.world_size == 1:
        return logs
    size = logs["size"]
    sums = strategy.sum_over_ranks({key: value if key == "size" else value * size for key, value in logs.items()})
    return {**{key: value / sums["size"] for key, value in sums.items()}, "size": round(sums["size"])}


def run_epochs(
    network: Any, x: Array, y: Array, epochs: int, batch_size: int, shuffle: bool,
    validation_data: tuple[Array, Array] | None, metrics: list[Any], callbacks: list[Any], initial_epoch: int,
    resume: ResumePoint | None = None, strategy: Strategy | None = None, accumulate: int = 1,
) -> Any:
    """The epochs of ``fit``; with a ``strategy`` of several processes this process reads its shard of each
    step's batch, and callbacks marked ``rank_zero_only`` (progress, files) run on rank 0 alone. With
    ``accumulate`` > 1 the optimizer steps after every ``accumulate``-th batch of an epoch and after its last."""
    from nnfs_core._hooks import make_plugin_manager
    from nnfs_core.callbacks.history import History

    strategy = strategy or Strategy()
    if not strategy.is_main:
        callbacks = [callback for callback in callbacks if not getattr(callback, "rank_zero_only", False)]
    hook = make_plugin_manager(callbacks).hook
    steps = strategy.steps_per_epoch(len(x), batch_size)
    from nnfs_core._parameters import optimizer_arguments

    params, grads = optimizer_arguments(network)
    local_batch = strategy.local_batch_size(batch_size)
    buffer = np.empty((min(local_batch, len(x)), *x.shape[1:]), dtype=x.dtype) if shuffle else None
    names = ["loss", *(metric.name for metric in metrics)]
    progress = network.fit_progress = FitProgress(len(x), batch_size, shuffle, steps, callbacks, accumulate=accumulate)
    accumulator = progress.accumulator = GradientAccumulator(grads) if accumulate > 1 else None
    if accumulator is not None and resume is not None and resume.accumulated is not None:
        try:
            accumulator.load_state_dict(resume.accumulated)
        except (ValueError, TypeError, KeyError) as error:
            raise ConfigError(f"the checkpoint stopped inside a group of accumulated batches: {error}") from None
    network.stop_training = False
    network.history = next(callback for callback in callbacks if isinstance(callback, History))
    hook.on_fit_start(network=network, epochs=epochs, steps_per_epoch=steps)
    try:
        for epoch in range(initial_epoch, epochs):
            hook.on_epoch_start(network=network, epoch=epoch)
            order, first = _start_epoch(network, progress, epoch, names, resume)
            order = strategy.shard(order, len(x))
            totals = progress.totals
            for batch, (xb, yb) in enumerate(_batches(x, y, local_batch, order, buffer, first), start=first):
                hook.on_batch_start(network=network, epoch=epoch, batch=batch)
                try:
                    progress.stepped = (batch + 1) % accumulate == 0 or batch + 1 == steps
                    loss, output = train_step(network, xb, yb, params, grads, strategy, accumulator,
                                              progress.stepped)
                except TrainingDivergedError as error:
                    raise TrainingDivergedError(f"epoch {epoch + 1}, batch {batch + 1}: {error}") from None
                logs = {"loss": loss, "size": len(xb)}
                for metric in metrics:
                    logs[metric.name] = float(metric(output, yb))
                logs = _over_ranks(strategy, logs)
                for key in totals:
                    totals[key] += logs[key] * logs["size"]
                progress.seen += int(logs["size"])
                hook.on_batch_end(network=network, epoch=epoch, batch=batch, logs=logs)
                if network.stop_training:
                    break
            epoch_logs = {key: value / progress.seen for key, value in totals.items()}
            if validation_data is not None:
                scores = evaluate(network, *validation_data, max(batch_size, 256), metrics, strategy)
                epoch_logs.update({f"val_{key}": value for key, value in scores.items()})
            hook.on_epoch_end(network=network, epoch=epoch, logs=epoch_logs)
            if network.stop_training:
                break
    finally:
        network.fit_progress = None
        hook.on_fit_end(network=network, history=network.history)
    return network.history
