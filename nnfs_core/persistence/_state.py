"""The arrays and state of a network: gathered for saving, checked and put back when loading.

Array names: ``layers.<i>.params.<name>`` (weights), ``layers.<i>.state.<name>`` (BatchNorm running
statistics), and the arrays found in the optimizer's and scheduler's ``state_dict()`` and in Generator
states (named by ``encode`` under ``optimizer.``, ``scheduler.``,
``generators.``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnfs_core._parameters import named_parameters, named_trainable
from nnfs_core.errors import ConfigError, ModelFormatError, NNFSError
from nnfs_core.persistence._header import Header
from nnfs_core.persistence._limits import DTYPES
from nnfs_core.persistence._tree import NAME_RULE, decode, encode, is_safe_name

__all__ = ["canonical", "layer_arrays", "generators_of", "encode_states", "check_layer_arrays", "apply_layer_arrays",
           "States", "check_states", "apply_owned", "apply_checked_states", "apply_states"]

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


def check_layer_arrays(network: Any, header: Header, arrays: dict[str, Array],
                       mismatch: type[NNFSError] = ModelFormatError) -> list[tuple[Array, Array]]:
    """The file's layer arrays paired with the ``network``'s, after checking names, shapes and dtypes.

    Missing or extra arrays raise ``ModelFormatError``; a shape or dtype difference raises ``mismatch``
    (``ShapeError`` for ``load_weights``), naming the layer, the array and both shapes. Nothing is copied.
    """
    pairs = []
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
                pairs.append((target, source))
    return pairs


def apply_layer_arrays(network: Any, header: Header, arrays: dict[str, Array],
                       mismatch: type[NNFSError] = ModelFormatError) -> None:
    """``check_layer_arrays``, then copy every array into the network."""
    for target, source in check_layer_arrays(network, header, arrays, mismatch):
        target[...] = source


@dataclass
class States:
    """The optimizer, scheduler and Generator states of a file, decoded and checked, not yet applied."""

    owners: list[tuple[str, Any, Any]] = field(default_factory=list)  # (what, owner, state): load_state_dict
    generators: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)  # (bit generator, its state)


def check_states(network: Any, header: Header, arrays: dict[str, Array], max_depth: int) -> States:
    """Decode and check the optimizer, scheduler and Generator states of the file for ``network``.

    The optimizer's state is checked key by key (``_check_optimizer_state``), each Generator state is tried
    on a fresh Generator of its kind; the scheduler's is only decoded (its ``load_state_dict`` checks it,
    see ``apply_owned``). Raises ``ModelFormatError`` before anything of the network changes.
    """
    states = States()
    if header.optimizer_state is not None and network.optimizer is not None:
        state = decode(header.optimizer_state, arrays, "optimizer_state", max_depth)
        state = _check_optimizer_state(state, network, header.format_version)
        states.owners.append(("optimizer state", network.optimizer, state))
    if header.scheduler_state is not None and network.scheduler is not None:
        state = decode(header.scheduler_state, arrays, "scheduler_state", max_depth)
        states.owners.append(("scheduler state", network.scheduler, state))
    generators = generators_of(network)
    for role, encoded in header.generators.items():
        if role not in generators:
            raise ModelFormatError(f"the file holds a Generator state for {role!r:.80}, which this network lacks")
        state = decode(encoded, arrays, f"generators[{role!r}]", max_depth)
        bit_generator = generators[role].bit_generator
        if not isinstance(state, dict) or state.get("bit_generator") != type(bit_generator).__name__:
            raise ModelFormatError(f"the Generator state of {role} is not a {type(bit_generator).__name__} state")
        fresh = type(bit_generator)()  # the state is tried on a fresh one: refused before the network's changes
        _restore(f"Generator state of {role}", lambda value, target=fresh: setattr(target, "state", value), state)
        states.generators.append((bit_generator, state))
    return states


def apply_owned(owners: list[tuple[str, Any, Any]]) -> None:
    """Call each owner's ``load_state_dict(state)`` in order; all or nothing.

    Their ``load_state_dict`` may be a pack's, which checks as it goes: if one refuses its state, the owners
    already restored get back what they held before (their own ``state_dict()`` from just before), and the
    refusal is a ``ModelFormatError`` naming what could not be restored.
    """
    done: list[tuple[Any, Any]] = []
    try:
        for what, owner, state in owners:
            before = owner.state_dict() if hasattr(owner, "state_dict") else None
            _restore(what, owner.load_state_dict, state)
            done.append((owner, before))
    except BaseException:
        for owner, before in reversed(done):
            if before is not None:
                owner.load_state_dict(before)
        raise


def apply_checked_states(states: States) -> None:
    """Put back the states ``check_states`` returned: the owners' all or nothing, then the Generators'."""
    apply_owned(states.owners)
    for bit_generator, state in states.generators:
        bit_generator.state = state


def apply_states(network: Any, header: Header, arrays: dict[str, Array], max_depth: int) -> None:
    """Restore the optimizer and scheduler state and every Generator state from the file."""
    apply_checked_states(check_states(network, header, arrays, max_depth))


def _restore(what: str, apply: Any, state: Any) -> None:
    try:
        apply(state)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as error:
        raise ModelFormatError(f"the file's {what} cannot be restored: {type(error).__name__}: {error}") from error


def _check_optimizer_state(state: Any, network: Any, version: int) -> Any:
    """For ``BaseOptimizer`` state: checked key by key against the network's parameters (names, shapes,
    finite numbers, counts in range, no unknown keys) before anything is restored.

    A version-1 file keyed the state by the parameter's position among the trainable parameters
    (``"<index>.<name>"`` keys); the positions are turned into the network's parameter paths here.
    """
    from nnfs_core._optimizer_state import check_optimizer_state
    from nnfs_core.protocols import BaseOptimizer

    if not isinstance(state, dict):
        raise ModelFormatError(f"optimizer_state must be an object, got {type(state).__name__}")
    if not isinstance(network.optimizer, BaseOptimizer):
        return state
    if version == 1:
        state = _migrate_positions(state, list(named_trainable(network)[0]))
    elif not isinstance(state.get("state"), dict):
        raise ModelFormatError(f"optimizer_state.state must be an object, got {type(state.get('state')).__name__}")
    shapes = {name: tuple(value.shape) for name, value in named_parameters(network)}
    try:
        check_optimizer_state(state, len(network.optimizer.param_groups), shapes)
    except ValueError as error:
        raise ModelFormatError(f"optimizer_state: {error}") from None
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
