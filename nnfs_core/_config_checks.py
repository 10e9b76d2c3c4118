"""The checks of a training config beyond key types: values, the output directory, dataset options and
callbacks, so that ``nnfs train`` finds every mistake it can before any data is loaded (docs/configs.md).

Each check calls ``fail(key, message)``, which returns the ``ConfigError`` naming the
file, the line and the key (or the command-line option that set it).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nnfs_core.errors import ConfigError, NNFSError

__all__ = ["check_values", "check_dataset_options", "check_callbacks", "writable_directory_problem"]

Fail = Callable[..., ConfigError]


def writable_directory_problem(path: Path) -> str | None:
    """Why nnfs could not create ``path`` as a directory and write files into it, or None if it can."""
    if path.exists() and not path.is_dir():
        return f"{path} exists and is not a directory"
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory, so {path} cannot be created in it"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return None


def check_values(data: dict[str, Any], fail: Fail) -> None:
    """Ranges and values the types do not settle: seed, dtype, input_shape, output."""
    seed = data.get("seed")
    if seed is not None and seed < 0:
        raise fail("seed", f"must be an integer >= 0 (a NumPy seed), got {seed}")
    if "dtype" in data:
        try:
            dtype = np.dtype(data["dtype"])
        except TypeError:
            dtype = None
        if dtype is None or dtype.kind != "f":
            raise fail("dtype", f"must be a floating dtype such as 'float32' or 'float64', got {data['dtype']!r}")
    shape = data.get("input_shape")
    if shape is not None and not all(isinstance(size, int) and not isinstance(size, bool) and size >= 1
                                     for size in shape):
        raise fail("input_shape", f"must be a list of integers >= 1 (one sample's shape), got {shape!r}")
    if data.get("output") is not None:
        problem = writable_directory_problem(Path(data["output"]))
        if problem:
            raise fail("output", f"cannot write the results there: {problem}")


def check_dataset_options(dataset: Any, fail: Fail) -> None:
    """The options of ``dataset = {name = ..., ...}`` must be arguments the loader takes (nothing is loaded)."""
    from nnfs_core import registry

    if not isinstance(dataset, dict):
        return
    options = {key: value for key, value in dataset.items() if key != "name"}
    loader = registry.datasets.get(dataset["name"])
    try:
        signature = inspect.signature(loader)
    except (TypeError, ValueError):  # a builtin or C loader: its own call will tell
        return
    try:
        signature.bind(**options)
    except TypeError as error:
        takes = [name for name, parameter in signature.parameters.items()
                 if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)]
        raise fail("dataset", f"the options {sorted(options)} do not fit the loader of {dataset['name']!r} "
                              f"({error}); it takes {', '.join(takes) or 'no options'}") from None


def _log_keys(data: dict[str, Any]) -> list[str]:
    """The keys of the epoch logs the configured fit will write (loss, metrics, and val_ ones with validation)."""
    from nnfs_core import registry
    from nnfs_core.metrics import resolve

    specs = data.get("metrics")
    if specs is None:
        specs = getattr(registry.losses.create(data["loss"]), "default_metrics", ())
    names = ["loss", *(resolve(spec).name for spec in specs or ())]
    return names + ([f"val_{name}" for name in names] if data.get("validation_split") else [])


def check_callbacks(data: dict[str, Any], fail: Fail) -> None:
    """Callbacks that can check their setup before training (ModelCheckpoint's file path) do so now."""
    from nnfs_core import registry

    callbacks = data.get("callbacks") or []
    if not any(hasattr(registry.callbacks.resolve(spec), "check_filepath") for spec in callbacks):
        return
    keys = _log_keys(data)
    for index, spec in enumerate(callbacks):
        callback = registry.callbacks.resolve(spec)
        if hasattr(callback, "check_filepath"):
            try:
                callback.check_filepath(keys)
            except NNFSError as error:
                raise fail("callbacks", str(error), index) from None
