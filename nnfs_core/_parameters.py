"""Named parameters of a network: paths, ``state_dict``, freezing, and what the optimizer is handed.

Every array has a stable path: ``layers.<index>.<name>`` for a layer's parameters (``layers.3.weight``) and
its state (``layers.1.running_mean``); a layer that holds layers and has ``named_parameters()`` /
``named_state()`` methods contributes ``layers.<index>.<its own path>``. See docs/architecture.md
("Named parameters").
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

import numpy as np

from nnfs_core.errors import ConfigError, ModelFormatError, ShapeError

__all__ = ["named_parameters", "named_state", "named_trainable", "state_dict", "load_state_dict", "set_trainable",
           "optimizer_arguments", "IncompatibleKeys", "check_param_groups", "nested_trainable", "restore_trainable"]

Array = np.ndarray[Any, Any]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` left out: names the network lacks or the dict lacks."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _layer_items(layer: Any, kind: str) -> Iterator[tuple[str, Array]]:
    nested = getattr(layer, f"named_{kind}", None)
    if callable(nested):
        yield from nested()
    else:
        yield from (getattr(layer, "params" if kind == "parameters" else kind, None) or {}).items()


def named_parameters(network: Any) -> Iterator[tuple[str, Array]]:
    """``(path, array)`` for every parameter, frozen or not, in layer order."""
    for index, layer in enumerate(network.layers):
        for name, value in _layer_items(layer, "parameters"):
            yield f"layers.{index}.{name}", value


def named_state(network: Any) -> Iterator[tuple[str, Array]]:
    """``(path, array)`` for every non-trainable state array (BatchNorm running statistics)."""
    for index, layer in enumerate(network.layers):
        for name, value in _layer_items(layer, "state"):
            yield f"layers.{index}.{name}", value


def named_layers(network: Any) -> Iterator[tuple[str, Any]]:
    """``(path, layer)`` for every layer, those inside layers that hold layers too (``layers.2.body.0``)."""

    def walk(path: str, layer: Any) -> Iterator[tuple[str, Any]]:
        yield path, layer
        children = getattr(layer, "children", None)
        if callable(children):
            for name, child in children():
                yield from walk(f"{path}.{name}", child)

    for index, layer in enumerate(network.layers):
        yield from walk(f"layers.{index}", layer)


def _descendants(layer: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """``(path, child, parent)`` for every layer inside ``layer``, parents before their children."""
    children = getattr(layer, "children", None)
    for name, child in (children() if callable(children) else ()):
        inner = f"{path}.{name}" if path else str(name)
        yield inner, child, layer
        yield from _descendants(child, inner)


def nested_trainable(layer: Any) -> dict[str, bool] | None:
    """The ``trainable`` flag of every layer inside ``layer``, by path inside it (``{"body": True,
    "body.0": False, ...}``), or None for a layer that holds no layers."""
    if not callable(getattr(layer, "children", None)):
        return None
    return {path: bool(getattr(child, "trainable", True)) for path, child, _ in _descendants(layer)}


def restore_trainable(layer: Any, trainable: bool, nested: Mapping[str, bool] | None) -> None:
    """Set ``layer.trainable``, then the flags ``nested_trainable`` recorded inside it, outer blocks first:
    setting a block's flag sets its children's, so this order is what keeps a frozen child of a trainable
    block frozen (and an unfrozen child of a block whose config froze it unfrozen). ``nested`` None (files
    written before the flags were recorded) leaves the children as the layer's config made them.

    A recorded path that is not inside the layer raises ``ValueError`` naming it.
    """
    if bool(getattr(layer, "trainable", True)) != trainable:
        layer.trainable = trainable
    if nested is None:
        return
    unknown = set(nested)
    for path, child, _ in _descendants(layer):
        if path in nested:
            unknown.discard(path)
            if bool(getattr(child, "trainable", True)) != nested[path]:
                child.trainable = nested[path]
    if unknown:
        raise ValueError(f"there is no layer {sorted(unknown)[0]!r} inside {type(layer).__name__}")


def named_trainable(network: Any) -> tuple[dict[str, Array], dict[str, Array]]:
    """Parameters of trainable layers and their gradients, ``{path: array}``, in layer order (a layer inside
    a layer that holds layers is left out when it, or a block around it, is frozen)."""
    params: dict[str, Array] = {}
    grads: dict[str, Array] = {}
    for index, layer in enumerate(network.layers):
        if getattr(layer, "trainable", True):
            layer_grads = getattr(layer, "grads", {})
            nested = getattr(layer, "named_trainable_parameters", None)
            for name, value in (nested() if callable(nested) else _layer_items(layer, "parameters")):
                params[f"layers.{index}.{name}"] = value
                grads[f"layers.{index}.{name}"] = _grad_of(layer, name, layer_grads)
    return params, grads


def _grad_of(layer: Any, name: str, grads: Mapping[str, Array]) -> Array:
    nested = getattr(layer, "named_gradients", None)
    return dict(nested())[name] if callable(nested) else grads[name]


def state_dict(network: Any) -> dict[str, Array]:
    """Copies of every parameter and state array by path, parameters first (torch's ``state_dict``)."""
    return {name: np.array(value, copy=True) for name, value in (*named_parameters(network), *named_state(network))}


def load_state_dict(network: Any, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
    """Copy ``state`` into the network's arrays after checking every name and shape; nothing changes on error.

    As torch: with ``strict`` every name must match (missing and unexpected ones are listed in the error);
    without it the common names are loaded and the others returned. Shapes must always match.
    """
    own = dict((*named_parameters(network), *named_state(network)))
    missing = [name for name in own if name not in state]
    unexpected = [name for name in state if name not in own]
    if strict and (missing or unexpected):
        raise ModelFormatError(f"load_state_dict: the state dict does not fit this network: missing keys {missing}, "
                               f"unexpected keys {unexpected} (pass strict=False to load the names both have)")
    for name, target in own.items():
        if name in state and np.shape(state[name]) != target.shape:
            raise ShapeError(f"load_state_dict: {name!r} has shape {tuple(np.shape(state[name]))} in the state dict "
                             f"but {target.shape} in the network; nothing was loaded")
    for name, target in own.items():
        if name in state:
            target[...] = state[name]
    return IncompatibleKeys(missing, unexpected)


def set_trainable(network: Any, patterns: tuple[str, ...], trainable: bool) -> list[str]:
    """Set ``trainable`` on every layer whose path (``layers.2``) matches one of ``patterns``; returns the paths.

    A pattern matching no layer raises ``ConfigError`` naming it and the layer paths.
    """
    layers = list(named_layers(network))  # nested ones too: 'layers.2.body' freezes a sub-block
    paths = [path for path, _ in layers]
    chosen: list[int] = []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise ConfigError(f"freeze/unfreeze take layer path patterns such as 'layers.0' or 'layers.*', "
                              f"got {pattern!r}")
        hits = [index for index, path in enumerate(paths) if fnmatchcase(path, pattern)]
        if not hits:
            listed = ", ".join(paths[:24]) + (f", ... ({len(paths)} in all)" if len(paths) > 24 else "")
            raise ConfigError(f"the pattern {pattern!r} matches no layer; the layers are {listed} (freezing works "
                              f"on layers; a parameter path such as 'layers.0.bias' is not a layer)")
        chosen += [index for index in hits if index not in chosen]
    for index in chosen:
        layers[index][1].trainable = trainable
    return [paths[index] for index in sorted(chosen)]


def check_param_groups(network: Any) -> None:
    """Every pattern of the optimizer's parameter groups must select a parameter of the network."""
    from nnfs_core._param_groups import unmatched_patterns

    groups = getattr(network.optimizer, "param_groups", None)
    if not groups or not isinstance(groups, list):
        return
    names = [name for name, _ in named_parameters(network)]
    for index, pattern in unmatched_patterns(names, groups):
        raise ConfigError(f"{type(network.optimizer).__name__}: param_groups[{index}] pattern {pattern!r} matches no "
                          f"parameter; the parameters are {', '.join(names[:6])}{', ...' if len(names) > 6 else ''}")
    check = getattr(network.optimizer, "check_param_groups", None)
    if callable(check):
        check()


def optimizer_arguments(network: Any) -> tuple[Any, Any]:
    """What ``optimizer.step`` is handed: ``{path: array}`` mappings, or two lists for an optimizer of the
    first release (``keys_by_name`` unset), which can only key its state by position: if the trainable
    parameters change between fits (freezing), it is warned that its state may now be misplaced."""
    params, grads = named_trainable(network)
    optimizer = network.optimizer
    if getattr(optimizer, "keys_by_name", False):
        return params, grads
    names = tuple(params)
    previous = getattr(network, "_positional_names", None)
    if previous is not None and previous != names:
        warnings.warn(f"{type(optimizer).__name__} takes parameters as a list, so it can only keep its state by "
                      f"position; the trainable parameters changed since its last fit (a layer was frozen or "
                      f"unfrozen), so state made for one parameter may now be applied to another. Subclass "
                      f"nnfs_core.protocols.BaseOptimizer (state by name) or reset the optimizer.",
                      UserWarning, stacklevel=3)
    network._positional_names = names
    return list(params.values()), list(grads.values())
