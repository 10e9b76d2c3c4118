"""Checkpoints: a model file plus where training stood, and resuming a ``fit`` from one exactly.

A checkpoint's ``training`` field holds the position (``epoch`` epochs done, then ``batch`` batches of the
next), how ``fit`` was called (samples, batch size, shuffle), the History, the states of callbacks that
have ``state_dict()``, and for a mid-epoch position the Generator state from before that epoch's shuffle
and the epoch's running loss/metric sums. The current Generator state is in ``generators`` as in every
model file. ``resume`` puts all of it back, so the resumed run is bit-identical to one never stopped.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnfs_core import registry
from nnfs_core._loop import ResumePoint
from nnfs_core.errors import ConfigError, ModelFormatError, NNFSError, ShapeError
from nnfs_core.persistence._container import Container
from nnfs_core.persistence._header import Header
from nnfs_core.persistence._limits import DEFAULT_LIMITS, LoadLimits
from nnfs_core.persistence._model import (
    PathLike,
    check_same_architecture,
    make_header,
    open_checked,
    read_arrays,
    reading,
    write_file,
)
from nnfs_core.persistence._state import Array, apply_owned, check_layer_arrays, check_states
from nnfs_core.persistence._tree import decode, encode

__all__ = ["save_checkpoint", "resume", "restore_history", "latest_checkpoint", "checkpoint_to_resume"]


def _callback_key(callback: Any, taken: set[str]) -> str:
    base = registry.callbacks.name_of(callback) or type(callback).__name__
    key, counter = base, 1
    while key in taken:
        counter += 1
        key = f"{base}.{counter}"
    taken.add(key)
    return key


def _stateful_callbacks(network: Any, callbacks: list[Any]) -> dict[str, Any]:
    """Callbacks with ``state_dict``/``load_state_dict`` (the scheduler is saved on its own), by key."""
    taken: set[str] = set()
    return {_callback_key(callback, taken): callback for callback in callbacks
            if callback is not network.scheduler and hasattr(callback, "state_dict")
            and hasattr(callback, "load_state_dict")}


def save_checkpoint(network: Any, path: PathLike, *, epoch: int, batch: int = 0,
                    include_optimizer: bool = True) -> None:
    """Save a checkpoint during ``fit``: ``epoch`` epochs are done, then ``batch`` batches of the next one."""
    progress = getattr(network, "fit_progress", None)
    if progress is None:
        raise ConfigError("save_checkpoint is called from a callback during fit; outside fit use Network.save")
    arrays: dict[str, Any] = {}
    history = network.history
    training: dict[str, Any] = {
        "epoch": epoch, "batch": batch, "samples": progress.samples, "batch_size": progress.batch_size,
        "shuffle": progress.shuffle, "steps_per_epoch": progress.steps_per_epoch,
        "epoch_start_rng": None, "totals": {}, "seen": 0,
        "history": {"epoch": [int(e) for e in history.epoch],
                    "history": encode(history.history, "training.history", arrays, "History")},
        "callbacks": {key: encode(callback.state_dict(), f"callbacks.{key}", arrays, f"{key}.state_dict()")
                      for key, callback in _stateful_callbacks(network, progress.callbacks).items()},
    }
    if batch > 0:
        training["epoch_start_rng"] = encode(progress.epoch_rng_state, "training.epoch_rng", arrays, "Generator")
        training["totals"] = encode(progress.totals, "training.totals", arrays, "epoch totals")
        training["seen"] = progress.seen
        training["accumulate"] = progress.accumulate
        if progress.accumulator is not None and progress.accumulator.samples:
            training["accumulated"] = encode(progress.accumulator.state_dict(), "training.accumulated", arrays,
                                             "accumulated gradients")
    write_file(path, *make_header(network, "checkpoint", include_optimizer=include_optimizer, training=training,
                                  training_arrays=arrays))


def checked_history(header: Header, arrays: dict[str, Array],
                    max_depth: int) -> tuple[list[int], dict[str, list[float]]]:
    """A checkpoint's History (epochs and logs), decoded and checked; nothing is changed."""
    stored = header.training["history"]  # type: ignore[index]
    values = decode(stored["history"], arrays, "training.history", max_depth)
    if not isinstance(values, dict) or not all(isinstance(key, str) and isinstance(items, list) and all(
            isinstance(item, (int, float)) and not isinstance(item, bool) for item in items)
            for key, items in values.items()):
        raise ModelFormatError("training.history must map names to lists of numbers")
    epochs = list(stored["epoch"])
    longer = next((key for key, items in values.items() if len(items) > len(epochs)), None)
    if longer is not None:  # History appends one value per epoch at most: a longer list was edited in
        raise ModelFormatError(f"training.history[{longer!r:.60}] has {len(values[longer])} values for "
                               f"{len(epochs)} epochs; a History holds at most one per epoch")
    return epochs, {key: [float(item) for item in items] for key, items in values.items()}


def restore_history(history: Any, header: Header, arrays: dict[str, Array], max_depth: int) -> None:
    """Fill a History callback from a checkpoint."""
    history.epoch, history.history = checked_history(header, arrays, max_depth)


def _position(header: Header, arrays: dict[str, Array], names: list[str], max_depth: int) -> ResumePoint:
    training = header.training
    assert training is not None  # checked by the caller
    if training["batch"] == 0:
        return ResumePoint(training["epoch"])
    totals = decode(training["totals"], arrays, "training.totals", max_depth)
    if not isinstance(totals, dict) or not all(
            isinstance(value, (int, float)) and not isinstance(value, bool) for value in totals.values()):
        raise ModelFormatError("training.totals must map names to numbers")
    if sorted(totals) != sorted(names):
        raise ConfigError(f"the checkpoint's epoch tracked {sorted(totals)}, this fit tracks {sorted(names)}; "
                          f"resume with the same loss and metrics")
    state = decode(training["epoch_start_rng"], arrays, "training.epoch_start_rng", max_depth)
    if not isinstance(state, dict):
        raise ModelFormatError("training.epoch_start_rng must be a Generator state")
    accumulated = None
    if training.get("accumulated") is not None:
        accumulated = decode(training["accumulated"], arrays, "training.accumulated", max_depth)
        if not isinstance(accumulated, dict):
            raise ModelFormatError("training.accumulated must be a table of accumulated gradients")
    return ResumePoint(training["epoch"], training["batch"], state, totals, training["seen"], accumulated)


def _check_accumulated(network: Any, accumulated: dict[str, Any] | None) -> None:
    """A group's gradient sums must be one array per trainable parameter of the network, of its shape."""
    if accumulated is None:
        return
    from nnfs_core._parameters import named_trainable

    shapes = [grad.shape for grad in named_trainable(network)[1].values()]
    sums = accumulated.get("sums")
    if (not isinstance(sums, list) or [getattr(total, "shape", None) for total in sums] != shapes
            or not isinstance(accumulated.get("samples"), int) or not isinstance(accumulated.get("finite"), bool)):
        raise ModelFormatError(f"training.accumulated does not fit this network's {len(shapes)} trainable "
                               f"parameters; resume with the same layers, frozen layers and accumulate")


def resume(network: Any, path: PathLike, callbacks: list[Any], metric_names: list[str], *, samples: int,
           batch_size: int, shuffle: bool, accumulate: int = 1, limits: LoadLimits = DEFAULT_LIMITS) -> ResumePoint:
    """Load the checkpoint ``path`` (or the newest in a directory) into a built ``network`` and the ``callbacks``
    of the coming ``fit``; return where the loop continues.

    All or nothing: a checkpoint that cannot be restored (damaged, edited, another model's) raises before the
    network, its optimizer or the callbacks change.
    """
    from nnfs_core.callbacks.history import History

    if os.path.isdir(path):
        path = checkpoint_to_resume(network, path, callbacks, limits=limits)
    with reading(path):
        with Container(path, limits) as container:
            header = open_checked(container)
            arrays = read_arrays(container, header)
        if header.training is None:
            raise ConfigError(f"{os.fspath(path)} is a {header.kind} file, not a checkpoint; load it with "
                              f"Network.load and continue with fit(initial_epoch=...)")
        training = header.training
        if training["batch"] > 0 and (training["samples"], training["batch_size"], training["shuffle"]) != (
                samples, batch_size, shuffle):
            raise ConfigError(
                f"{os.fspath(path)} stopped inside an epoch of a fit on {training['samples']} samples with "
                f"batch_size={training['batch_size']}, shuffle={training['shuffle']}; resuming it needs the same, "
                f"got {samples} samples, batch_size={batch_size}, shuffle={shuffle}")
        if training["batch"] > 0 and training.get("accumulate", 1) != accumulate:
            raise ConfigError(
                f"{os.fspath(path)} stopped inside an epoch of a fit with accumulate={training.get('accumulate', 1)}; "
                f"resuming it needs the same grouping of batches, got accumulate={accumulate}")
        # Everything is decoded and checked first; only then does anything of the network or the callbacks
        # change, and the parts that may still refuse (load_state_dict of the optimizer, the scheduler and
        # stateful callbacks: a pack's code) are put back all or nothing, before the weights are copied.
        point = _position(header, arrays, metric_names, limits.max_json_depth)
        check_same_architecture(network, header)
        _check_accumulated(network, point.accumulated)
        weights = check_layer_arrays(network, header, arrays, mismatch=ShapeError)
        states = check_states(network, header, arrays, limits.max_json_depth)
        history = checked_history(header, arrays, limits.max_json_depth)
        owners = states.owners + _callback_states(network, header, arrays, callbacks, limits.max_json_depth)
        apply_owned(owners)
        for target, source in weights:
            target[...] = source
        for bit_generator, state in states.generators:
            bit_generator.state = state
        for callback in callbacks:
            if isinstance(callback, History):
                callback.epoch, callback.history = list(history[0]), {key: list(items)
                                                                      for key, items in history[1].items()}
    return point


def _callback_states(network: Any, header: Header, arrays: dict[str, Array], callbacks: list[Any],
                     max_depth: int) -> list[tuple[str, Any, Any]]:
    """``(what, callback, state)`` for each stateful callback of this fit that the checkpoint has a state for."""
    training = header.training
    assert training is not None
    stateful = _stateful_callbacks(network, callbacks)
    return [(f"state of callback {key!r}", stateful[key],
             decode(encoded, arrays, f"training.callbacks[{key!r}]", max_depth))
            for key, encoded in training["callbacks"].items() if key in stateful]


def checkpoint_to_resume(network: Any, directory: PathLike, callbacks: list[Any], *,
                         limits: LoadLimits = DEFAULT_LIMITS) -> str:
    """The checkpoint of this run in ``directory`` furthest into training, for ``fit(resume_from=directory)``.

    Another run's checkpoints may share the directory: when a ``ModelCheckpoint`` of this fit writes into
    it, only files its naming scheme makes are candidates, and a candidate must hold this network's layers
    and weight shapes. ``FileNotFoundError`` when there is none, saying how many were passed over and why.
    """
    from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint

    writers = [callback for callback in callbacks
               if isinstance(callback, ModelCheckpoint) and callback.writes_into(os.fspath(directory))]
    passed_over = {"another naming": 0, "another model": 0}

    def of_this_run(candidate: str, header: Header, arrays: dict[str, Array]) -> bool:
        if writers and not any(writer.owns(candidate) for writer in writers):
            passed_over["another naming"] += 1
            return False
        try:
            check_same_architecture(network, header)
            if network.built:
                check_layer_arrays(network, header, arrays)
        except NNFSError:
            passed_over["another model"] += 1
            return False
        return True

    found = latest_checkpoint(directory, limits=limits, accept=of_this_run)
    if found is None:
        why = [f"{count} of {reason}" for reason, count in passed_over.items() if count]
        writer = f" ({', '.join(repr(w.filepath) for w in writers)})" if writers else ""
        raise FileNotFoundError(
            f"resume_from={os.fspath(directory)!r}: the directory holds no complete checkpoint of this run"
            + (f"; passed over {' and '.join(why)} (this run's naming{writer} and layers)" if why else ""))
    return found


def latest_checkpoint(location: PathLike, pattern: str = "*", *, limits: LoadLimits = DEFAULT_LIMITS,
                      accept: Callable[[str, Header, dict[str, Array]], bool] | None = None) -> str | None:
    """The checkpoint in directory ``location`` (files matching ``pattern``) furthest into training.

    Every candidate is read completely (each array's CRC is checked), so a file damaged by a crash is
    skipped; temporary files of interrupted saves (``.<name>.*.tmp``) are never candidates. ``accept``,
    if given, is asked about each intact checkpoint (its path, header and arrays) and may pass it over.
    """
    best: tuple[tuple[int, int, float], str] | None = None
    for candidate in Path(location).glob(pattern):
        if candidate.name.startswith(".") or not candidate.is_file():
            continue
        try:
            with Container(candidate, limits) as container:
                header = open_checked(container)
                arrays = read_arrays(container, header)
        except (NNFSError, OSError):
            continue
        if header.training is None or (accept is not None and not accept(str(candidate), header, arrays)):
            continue
        rank = (header.training["epoch"], header.training["batch"], candidate.stat().st_mtime)
        if best is None or rank > best[0]:
            best = (rank, str(candidate))
    return None if best is None else best[1]
