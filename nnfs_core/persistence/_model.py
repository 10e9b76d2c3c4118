"""Saving and loading whole models and weights: the functions behind ``Network.save`` and friends."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from nnfs_core import registry
from nnfs_core._parameters import nested_trainable
from nnfs_core._version import __version__
from nnfs_core.errors import ConfigError, ModelFormatError, ShapeError
from nnfs_core.persistence._atomic import atomic_write
from nnfs_core.persistence._budget import Budget, network_cost, stored_values
from nnfs_core.persistence._build import rebuild
from nnfs_core.persistence._components import check_installed, describe
from nnfs_core.persistence._container import Container, write_container
from nnfs_core.persistence._errors import LoadBudgetWarning
from nnfs_core.persistence._header import FORMAT_NAME, FORMAT_VERSION, Header, parse_header
from nnfs_core.persistence._limits import DEFAULT_LIMITS, LoadLimits
from nnfs_core.persistence._state import apply_layer_arrays, apply_states, canonical, encode_states, layer_arrays

__all__ = ["save", "save_weights", "load", "load_weights", "read_header", "write_file", "open_checked",
           "read_arrays", "reading", "check_same_architecture", "make_header"]

Array = np.ndarray[Any, Any]
PathLike = str | os.PathLike[str]


# -- writing ------------------------------------------------------------------------------------------------
def make_header(network: Any, kind: str, *, include_optimizer: bool = True, training: dict[str, Any] | None = None,
                training_arrays: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Array]]:
    """The header and arrays of ``network`` for a file of ``kind`` (model, weights or checkpoint).

    ``training`` (checkpoints) is already encoded; the arrays it refers to are ``training_arrays``.
    """
    if not network.built:
        raise ConfigError("the network is not built yet, so it has no weights to save; fit, predict or "
                          "build(input_shape) first")
    arrays: dict[str, Any] = layer_arrays(network)
    header: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "nnfs_core_version": __version__,
        "network": network.get_config(),
        "layers": [_layer_entry(layer) for layer in network.layers],
        "components": [dataclasses.asdict(component) for component in describe(network)],
    }
    metadata = getattr(network, "metadata", None)
    if metadata:
        header["metadata"] = checked_metadata(metadata)
    if kind != "weights":
        header.update(encode_states(network, arrays, include_optimizer))
    if training is not None:
        header["training"] = training
        arrays.update(training_arrays or {})
    arrays = {name: canonical(name, value) for name, value in arrays.items()}
    if kind != "weights":
        warn_if_refused(network, arrays)
    header["arrays"] = {name: {"shape": list(array.shape), "dtype": array.dtype.name} for name, array in arrays.items()}
    return header, arrays


def _layer_entry(layer: Any) -> dict[str, Any]:
    """A layer's entry in ``layers``: output shape, ``trainable``, and for a layer that holds layers the
    flag of every layer inside it (``nested_trainable``)."""
    entry: dict[str, Any] = {"output_shape": None if getattr(layer, "output_shape", None) is None else
                             list(layer.output_shape), "trainable": bool(getattr(layer, "trainable", True))}
    nested = nested_trainable(layer)
    if nested is not None:
        entry["nested_trainable"] = nested
    return entry


def checked_metadata(metadata: Any) -> dict[str, Any]:
    """``Network.metadata`` if it is a dict of JSON values with string keys; else a ``ConfigError`` naming the key."""
    if not isinstance(metadata, dict):
        raise ConfigError(f"Network.metadata must be a dict of JSON values, got {type(metadata).__name__}")
    for key, value in metadata.items():
        try:
            if not isinstance(key, str):
                raise TypeError(f"the key {key!r} is not a string")
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"Network.metadata[{key!r}] cannot be saved: it must be JSON (str, int, float, bool, "
                              f"None, lists and dicts of them, no NaN): {error}") from None
    return metadata


def warn_if_refused(network: Any, arrays: dict[str, Array]) -> None:
    """Say before writing it that the default limits will refuse this file, why, and how to load it."""
    stored = stored_values({name: (array.size, array.nbytes) for name, array in arrays.items()})
    try:
        network_cost(network, Budget.of(DEFAULT_LIMITS, stored))
    except ModelFormatError as error:
        warnings.warn(f"this model will not load with the default limits: {error}", LoadBudgetWarning, stacklevel=4)


def write_file(path: PathLike, header: dict[str, Any], arrays: dict[str, Array]) -> None:
    """Write atomically, refusing what the default load limits would refuse (so every saved file loads)."""
    text = json.dumps(header, indent=1, allow_nan=False, ensure_ascii=True).encode("ascii")
    limits = DEFAULT_LIMITS
    total = len(text) + sum(array.nbytes + 128 for array in arrays.values())
    if len(text) > limits.max_header_bytes or total > limits.max_total_bytes or len(arrays) >= limits.max_members:
        raise ConfigError(
            f"this model does not fit in a format version {FORMAT_VERSION} file: {len(arrays)} arrays "
            f"(limit {limits.max_members - 1}), about {total} bytes (limit {limits.max_total_bytes}), header "
            f"{len(text)} bytes (limit {limits.max_header_bytes})"
        )
    with atomic_write(path) as file:
        write_container(file, text, arrays)


def save(network: Any, path: PathLike, *, include_optimizer: bool = True) -> None:
    """Save architecture, weights, layer state, Generator states and (optionally) optimizer state."""
    write_file(path, *make_header(network, "model", include_optimizer=include_optimizer))


def save_weights(network: Any, path: PathLike) -> None:
    """Save the layers' parameters and state only (with the architecture, to check them against on load)."""
    write_file(path, *make_header(network, "weights"))


# -- reading ------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def reading(path: PathLike) -> Iterator[None]:
    """Prefix format errors with the file's path."""
    try:
        yield
    except ModelFormatError as error:
        if str(error).startswith(os.fspath(path)) or type(error) is not ModelFormatError:
            raise
        raise ModelFormatError(f"{os.fspath(path)}: {error}") from error


def open_checked(container: Container) -> Header:
    """The container's header, validated, with the array table checked against the members."""
    header = parse_header(container.raw_header, container.limits)
    container.check_table(header.arrays)
    return header


def stored_in(container: Container, header: Header) -> int:
    """V of the load budget: the values the file stores for its layers, one at most per 4 bytes on disk."""
    return stored_values({name: (math.prod(spec.shape), container.members[f"{name}.npy"].compress_size)
                          for name, spec in header.arrays.items()})


def read_arrays(container: Container, header: Header, prefix: str = "") -> dict[str, Array]:
    return {name: container.read_array(name, spec.shape, spec.dtype)
            for name, spec in header.arrays.items() if name.startswith(prefix)}


def read_header(path: PathLike, *, limits: LoadLimits = DEFAULT_LIMITS) -> Header:
    """The validated header of a model file, without reading its arrays or building anything."""
    with reading(path), Container(path, limits) as container:
        return open_checked(container)


def load(path: PathLike, *, limits: LoadLimits = DEFAULT_LIMITS, from_config: Callable[[dict[str, Any]], Any]) -> Any:
    """Rebuild the network saved in ``path``; see ``nnfs_core.Network.load``.

    ``from_config`` makes the (unbuilt) network from the header's architecture: ``Network.from_config``,
    passed in by the caller, so that this layer below the network never imports it.
    """
    from nnfs_core.callbacks.history import History
    from nnfs_core.persistence._checkpoint import restore_history

    with reading(path):
        with Container(path, limits) as container:
            header = open_checked(container)
            record = {(component.kind, component.name): component.distribution for component in header.components}
            with registry.preferring(record):
                check_installed(header.components, header.core_version, os.fspath(path))
            arrays = read_arrays(container, header)
            stored = stored_in(container, header)
        with registry.preferring(record):  # the file's record settles names that several packs provide
            network = rebuild(header, os.fspath(path), limits, stored, from_config)
        apply_layer_arrays(network, header, arrays)
        apply_states(network, header, arrays, limits.max_json_depth)
        network.metadata = header.metadata
        if header.training is not None:
            network.history = History()
            restore_history(network.history, header, arrays, limits.max_json_depth)
    return network


def check_same_architecture(network: Any, header: Header) -> None:
    """The file's layers must be the network's, by count and registry name, for weights to go in."""
    stored = header.network["layers"]
    if len(stored) != len(network.layers):
        raise ModelFormatError(f"the file has {len(stored)} layers, the network has {len(network.layers)}")
    for index, (config, layer) in enumerate(zip(stored, network.layers)):
        name = registry.layers.name_of(layer) or registry.activations.name_of(layer)
        if name is not None and registry.normalize(name) != registry.normalize(config["name"]):
            raise ModelFormatError(f"layer {index} is {config['name']!r:.60} in the file but {name!r} in the network")


def load_weights(network: Any, path: PathLike, *, limits: LoadLimits = DEFAULT_LIMITS) -> None:
    """Put the weights and layer state of ``path`` into ``network`` (built from the file's input shape if
    needed). Shapes and dtypes must match: a difference raises ``ShapeError`` naming the layer, the
    array and both shapes."""
    with reading(path):
        with Container(path, limits) as container:
            header = open_checked(container)
            arrays = read_arrays(container, header, prefix="layers.")
        check_same_architecture(network, header)
        if not network.built:
            input_shape = network.input_shape or header.network.get("input_shape")
            if input_shape is None:
                raise ModelFormatError("the file does not say the network's input shape")
            network.build(input_shape)
        apply_layer_arrays(network, header, arrays, mismatch=ShapeError)
