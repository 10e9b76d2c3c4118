"""The arrays and state of a network: gathered for saving, checked and put back when loading.

Array names: ``layers.<i>.params.<name>`` (weights), ``layers.<i>.state.<name>`` (BatchNorm running
statistics), and the arrays found in the optimizer's and scheduler's ``state_dict()`` and in Generator
states (named by ``encode`` under ``optimizer.``, ``scheduler.``,
``generators.``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core._parameters import named_parameters, named_trainable
from nnfs_core.errors import ConfigError, ModelFormatError, NNFSError
from nnfs_core.persistence._header import Header
from nnfs_core.persistence._limits import DTYPES
from nnfs_core.persistence._tree import NAME_RULE, decode, encode, is_safe_name

__all__ = ["canonical", "layer_arrays", "generators_of", "encode_states", "apply_layer_arrays", "apply_states"]

Array = np.ndarray[Any, Any]


def canonical(name: str, array: Any) -> Array:
    """``array`` as written to a file: a whitelisted dtype, little-endian, C-contiguous."""
    array = np.asarray(array)
    if array.dtype.name not in DTYPES:
        raise ConfigError(f"{name} has dtype {array.dtype}, which a model file cannot hold; "
                          f"allowed: {', '.join(DTYPES)}")
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    return array if array.flags.c_contiguous else array.copy(order="C")  # ascontiguousarray makes 0-d 1-d


def layer_arrays(network: Any) -> dict[str, Array]:
    """Every layer's parameters and state arrays, by file name."""
    arrays: dict[str, Array] = {}
    for index, layer in enumerate(network.layers):
        for group in ("params", "state"):
            for name, value in (getattr(layer, group, None) or {}).items():
                full = f"layers.{index}.{group}.{name}"
                # a layer that holds layers names its arrays by path (body.0.weight): the file's prefix
                # layers.<index>.<group>. stays unambiguous
                if not is_safe_name(full) or name.startswith(".") or name.endswith("."):
                    raise ConfigError(f"layer {index} ({type(layer).__name__}): the array name {name!r} cannot be "
                                      f"saved ({NAME_RULE})")
                arrays[full] = value
    return arrays


def generators_of(network: Any) -> dict[str, np.random.Generator]:
    """The network's Generator and any other Generator a layer or the optimizer keeps (by role)."""
    found = {"network": network.rng}
    owners = [(f"layers.{index}", layer) for index, layer in enumerate(network.layers)]
    owners.append(("optimizer", network.optimizer))
    for role, owner in owners:
        for attribute, value in sorted(getattr(owner, "__dict__", {}).items()):
            if isinstance(value, np.random.Generator) and value is not network.rng:
                found[f"{role}.{attribute}"] = value
    return found


def encode_states(network: Any, arrays: dict[str, Array], include_optimizer: bool) -> dict[str, Any]:
    """Header fields for the optimizer, scheduler and Generator states; their arrays go into ``arrays``."""
    fields: dict[str, Any] = {"optimizer_state": None, "scheduler_state": None}
    if include_optimizer and network.optimizer is not None and hasattr(network.optimizer, "state_dict"):
        fields["optimizer_state"] = encode(network.optimizer.state_dict(), "optimizer", arrays,
                                           "optimizer.state_dict()")
    if include_optimizer and network.scheduler is not None and hasattr(network.scheduler, "state_dict"):
        fields["scheduler_state"] = encode(network.scheduler.state_dict(), "scheduler", arrays,
                                           "scheduler.state_dict()")
    fields["generators"] = {
        role: encode(generator.bit_generator.state, f"generators.{role}", arrays, f"the Generator of {role}")
        for role, generator in generators_of(network).items()
    }
    return fields


def apply_layer_arrays(network: Any, header: Header, arrays: dict[str, Array],
                       mismatch: type[NNFSError] = ModelFormatError) -> None:
    """Copy the file's layer arrays into the built ``network`` after checking names, shapes and dtypes.

    Missing or extra arrays raise ``ModelFormatError``; a shape or dtype difference raises ``mismatch``
    (``ShapeError`` for ``load_weights``), naming the layer, the array and both shapes.
    """
    for index, layer in enumerate(network.layers):
        for group in ("params", "state"):
            own = getattr(layer, group, None) or {}
            prefix = f"layers.{index}.{group}."
            stored = {name[len(prefix):] for name in header.arrays if name.startswith(prefix)}
            if stored != set(own):
                raise ModelFormatError(
                    f"layer {index} ({type(layer).__name__}) has {group} {sorted(own)}, but the file stores "
                    f"{sorted(stored)} for it"
                )
            for name, target in own.items():
                source = arrays[prefix + name]
                if source.shape != target.shape or source.dtype != target.dtype:
                    raise mismatch(
                        f"layer {index} ({type(layer).__name__}): {group[:-1] if group == 'params' else group} "
                        f"{name!r} is {source.dtype}{list(source.shape)} in the file but "
                        f"{target.dtype}{list(target.shape)} in the network"
                    )
                target[...] = source


def _restore(what: str, apply: Any, state: Any) -> None:
    try:
        apply(state)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as error:
        raise ModelFormatError(f"the file's {what} cannot be restored: {type(error).__name__}: {error}") from error


def apply_states(network: Any, header: Header, arrays: dict[str, Array], max_depth: int) -> None:
    """Restore the optimizer and scheduler state and every Generator state from the file."""
    if header.optimizer_state is not None and network.optimizer is not None:
        state = decode(header.optimizer_state, arrays, "optimizer_state", max_depth)
        state = _check_optimizer_state(state, network, header.format_version)
        _restore("optimizer state", network.optimizer.load_state_dict, state)
    if header.scheduler_state is not None and network.scheduler is not None:
        state = decode(header.scheduler_state, arrays, "scheduler_state", max_depth)
        _restore("scheduler state", network.scheduler.load_state_dict, state)
    generators = generators_of(network)
    for role, encoded in header.generators.items():
        if role not in generators:
            raise ModelFormatError(f"the file holds a Generator state for {role!r:.80}, which this network lacks")
        state = decode(encoded, arrays, f"generators[{role!r}]", max_depth)
        bit_generator = generators[role].bit_generator
        if not isinstance(state, dict) or state.get("bit_generator") != type(bit_generator).__name__:
            raise ModelFormatError(f"the Generator state of {role} is not a {type(bit_generator).__name__} state")
        _restore(f"Generator state of {role}", lambda value, target=bit_generator: setattr(target, "state", value),
                 state)


def _check_optimizer_state(state: Any, network: Any, version: int) -> Any:
    """For ``BaseOptimizer`` state: every name is one of the network's parameters.

    A version-1 file keyed the state by the parameter's position among the trainable parameters
    (``"<index>.<name>"`` keys); the positions are turned into the network's parameter paths here.
    """
    from nnfs_core.protocols import BaseOptimizer

    if not isinstance(state, dict):
        raise ModelFormatError(f"optimizer_state must be an object, got {type(state).__name__}")
    if not isinstance(network.optimizer, BaseOptimizer):
        return state
    if version == 1:
        return _migrate_positions(state, list(named_trainable(network)[0]))
    entries = state.get("state")
    if not isinstance(entries, dict):
        raise ModelFormatError(f"optimizer_state.state must be an object, got {type(entries).__name__}")
    names = {name for name, _ in named_parameters(network)}
    for name in entries:
        if name not in names:
            raise ModelFormatError(f"optimizer_state holds state for {name!r:.80}, which is not a parameter of this "
                                   f"network ({len(names)} parameters)")
    return state


def _migrate_positions(state: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """A format-1 ``{"<index>.<key>": array, ...}`` state as the format-2 ``{"state": {path: {key: array}}}``."""
    migrated: dict[str, Any] = {key: state[key] for key in ("learning_rate", "iterations") if key in state}
    entries: dict[str, dict[str, Any]] = {}
    for key, value in state.items():
        index, dot, name = key.partition(".")
        if not dot:
            continue
        if not index.isdigit() or int(index) >= len(names):
            raise ModelFormatError(f"optimizer_state has {key!r:.80} but the network has {len(names)} trainable "
                                   f"parameters (a format-1 file keys state by the parameter's position)")
        entries.setdefault(names[int(index)], {})[name] = value
    migrated["state"] = entries
    return migrated
