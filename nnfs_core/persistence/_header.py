"""``header.json``: its fields, and their validation before anything is built or read.

``parse_header`` takes the decoded JSON of an untrusted file and returns a ``Header`` whose
fields have the types and bounds the loader relies on, or raises ``ModelFormatError`` naming the
field. Array sizes are computed here with Python integers, so a declared 10**12-element array is refused
as a number, before anything is allocated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnfs_core.errors import ModelFormatError
from nnfs_core.persistence._limits import LoadLimits, check_dtype_name
from nnfs_core.persistence._tree import NAME_RULE, is_safe_name

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "READABLE_VERSIONS", "FILE_KINDS", "COMPONENT_KINDS", "ArraySpec",
           "Component", "Header", "parse_header"]

FORMAT_NAME = "nnfs-model"
FORMAT_VERSION = 2
#: Versions this reader accepts. Version 1 (the first release) kept optimizer state by the parameter's
#: position; it is migrated to names when read (see persistence._state and docs/file-format.md).
READABLE_VERSIONS = (1, 2)
FILE_KINDS = ("model", "weights", "checkpoint")
COMPONENT_KINDS = ("layers", "activations", "losses", "optimizers", "schedulers", "metrics", "initializers")
_FLOAT_DTYPES = ("float16", "float32", "float64")


@dataclass(frozen=True)
class ArraySpec:
    shape: tuple[int, ...]
    dtype: str
    nbytes: int


@dataclass(frozen=True)
class Component:
    role: str  # "layers.3", "layers.3._activation", "loss", "optimizer", "scheduler", "metrics.0"
    kind: str
    name: str
    distribution: str
    version: str


@dataclass
class Header:
    kind: str
    core_version: str
    network: dict[str, Any]
    output_shapes: list[tuple[int, ...] | None]
    trainable: list[bool]
    components: list[Component]
    arrays: dict[str, ArraySpec]
    optimizer_state: Any = None
    scheduler_state: Any = None
    generators: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] | None = None
    format_version: int = FORMAT_VERSION
    metadata: dict[str, Any] = field(default_factory=dict)
    nested_trainable: list[dict[str, bool] | None] = field(default_factory=list)  # per layer; None: not recorded

    @property
    def stored_elements(self) -> int:
        return sum(math.prod(spec.shape) for spec in self.arrays.values())


class _Fields:
    """Typed access to one JSON object of the header; every failure names the field's path."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise ModelFormatError(f"header.json: {where} must be an object, got {_kind(value)}")
        self.value, self.where = value, where

    def get(self, key: str, types: type | tuple[type, ...], *, optional: bool = False) -> Any:
        """The field ``key``, which must be of ``types`` (a bool is not an int here), or None if optional."""
        item = self.value.get(key)
        if item is None and optional:
            return None
        if key not in self.value:
            raise ModelFormatError(f"header.json: {self.where} has no {key!r} field")
        allowed = types if isinstance(types, tuple) else (types,)
        if not isinstance(item, allowed) or (isinstance(item, bool) and bool not in allowed):
            raise ModelFormatError(f"header.json: {self.where}.{key} has the wrong type ({_kind(item)})")
        return item


def _kind(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {str(value)[:60]!r}"


def _shape(value: Any, where: str, limits: LoadLimits) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > limits.max_ndim or not all(
            isinstance(size, int) and not isinstance(size, bool) and 0 <= size < 2**63 for size in value):
        raise ModelFormatError(f"header.json: {where} must be a list of at most {limits.max_ndim} sizes >= 0, "
                               f"got {str(value)[:80]}")
    return tuple(value)


def _optional_shape(value: Any, where: str, limits: LoadLimits) -> tuple[int, ...] | None:
    return None if value is None else _shape(value, where, limits)


def _check_depth(value: Any, limit: int) -> None:
    """Refuse JSON nested deeper than ``limit`` (iteratively: no recursion on hostile input)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise ModelFormatError(f"header.json is nested more than {limit} levels deep")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def parse_header(raw: Any, limits: LoadLimits) -> Header:
    """Validate the decoded ``header.json`` of an untrusted file (see ``docs/file-format.md``)."""
    _check_depth(raw, limits.max_json_depth)
    top = _Fields(raw, "the header")
    if top.value.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"not an nnfs model file: header.json says format={top.value.get('format')!r:.60}, "
                               f"expected {FORMAT_NAME!r}")
    version = top.get("format_version", int)
    if version not in READABLE_VERSIONS:
        newer = version > FORMAT_VERSION
        raise ModelFormatError(
            f"unknown format version {version}: this nnfs-core reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}"
            + ("; the file was written by a newer nnfs-core, upgrade it (pip install -U nnfs-core)" if newer else "")
        )
    kind = top.get("kind", str)
    if kind not in FILE_KINDS:
        raise ModelFormatError(f"header.json: kind must be one of {FILE_KINDS}, got {kind!r:.60}")
    network = _network(top.get("network", dict), limits)
    layers = top.get("layers", list)
    if len(layers) != len(network["layers"]):
        raise ModelFormatError(f"header.json lists {len(layers)} layer shapes for {len(network['layers'])} layers")
    shapes = [_optional_shape(_Fields(item, f"layers[{i}]").get("output_shape", list, optional=True),
                              f"layers[{i}].output_shape", limits) for i, item in enumerate(layers)]
    trainable = [_Fields(item, f"layers[{i}]").get("trainable", bool) for i, item in enumerate(layers)]
    header = Header(kind, top.get("nnfs_core_version", str), network, shapes, trainable,
                    _components(top.get("components", list)), _arrays(top.get("arrays", dict), len(layers), limits))
    header.format_version = version
    header.nested_trainable = [_nested_trainable(item, i) for i, item in enumerate(layers)]
    header.optimizer_state = top.value.get("optimizer_state")
    header.scheduler_state = top.value.get("scheduler_state")
    header.generators = top.get("generators", dict, optional=True) or {}
    header.metadata = top.get("metadata", dict, optional=True) or {}
    if kind == "checkpoint":
        header.training = _training(top.get("training", dict))
    return header


def _nested_trainable(item: dict[str, Any], index: int) -> dict[str, bool] | None:
    """``layers[i].nested_trainable``: optional, ``{path inside the layer: bool}`` (absent in older files)."""
    flags = _Fields(item, f"layers[{index}]").get("nested_trainable", dict, optional=True)
    if flags is None:
        return None
    for path, flag in flags.items():
        if not isinstance(flag, bool) or not path:
            raise ModelFormatError(f"header.json: layers[{index}].nested_trainable must map layer paths to true "
                                   f"or false, got {path!r:.60}: {_kind(flag)}")
    return dict(flags)


def _network(config: dict[str, Any], limits: LoadLimits) -> dict[str, Any]:
    fields = _Fields(config, "network")
    layers = fields.get("layers", list)
    for index, layer in enumerate(layers):
        _Fields(layer, f"network.layers[{index}]").get("name", str)
    for key in ("optimizer", "loss", "scheduler"):
        if fields.get(key, dict, optional=True) is not None:
            _Fields(config[key], f"network.{key}").get("name", str)
    for index, metric in enumerate(fields.get("metrics", list, optional=True) or ()):
        if not isinstance(metric, str):
            _Fields(metric, f"network.metrics[{index}]").get("name", str)
    input_shape = fields.get("input_shape", list, optional=True)
    if input_shape is not None and not _shape(input_shape, "network.input_shape", limits):
        raise ModelFormatError("header.json: network.input_shape must have at least one axis (a sample is never "
                               "a scalar), got []")
    if fields.get("dtype", str) not in _FLOAT_DTYPES:
        raise ModelFormatError(f"header.json: network.dtype must be one of {_FLOAT_DTYPES}, "
                               f"got {config['dtype']!r:.40}")
    seed = fields.get("seed", int, optional=True)
    if seed is not None and not 0 <= seed < 2**128:
        raise ModelFormatError(f"header.json: network.seed must be in [0, 2**128), got {seed}")
    return config


def _components(items: list[Any]) -> list[Component]:
    components = []
    for index, item in enumerate(items):
        fields = _Fields(item, f"components[{index}]")
        values = [fields.get(key, str) for key in ("role", "kind", "name", "distribution", "version")]
        if values[1] not in COMPONENT_KINDS:
            raise ModelFormatError(f"header.json: components[{index}].kind must be one of {COMPONENT_KINDS}, "
                                   f"got {values[1]!r:.40}")
        components.append(Component(*values))
    return components


def _arrays(table: dict[str, Any], layer_count: int, limits: LoadLimits) -> dict[str, ArraySpec]:
    if len(table) >= limits.max_members:
        raise ModelFormatError(f"header.json lists {len(table)} arrays, more than the limit of "
                               f"{limits.max_members - 1}")
    arrays, total = {}, 0
    for name, entry in table.items():
        if not is_safe_name(name):
            raise ModelFormatError(f"header.json: array name {name!r:.80} is not allowed ({NAME_RULE})")
        parts = name.split(".")
        if parts[0] == "layers" and (len(parts) < 4 or not parts[1].isdigit() or int(parts[1]) >= layer_count
                                     or parts[2] not in ("params", "state")):
            raise ModelFormatError(f"header.json: array {name!r} is not layers.<index < {layer_count}>."
                                   f"(params|state).<name>")
        fields = _Fields(entry, f"arrays[{name!r}]")
        shape = _shape(fields.get("shape", list), f"arrays[{name!r}].shape", limits)
        dtype = check_dtype_name(fields.get("dtype", str))
        if dtype is None:
            raise ModelFormatError(f"header.json: array {name!r} has dtype {entry['dtype']!r:.40}, which is not one "
                                   f"of the allowed float16/32/64, int8-64, uint8-64 and bool")
        nbytes = math.prod(shape) * np.dtype(dtype).itemsize
        total += nbytes
        if total > limits.max_total_bytes:
            raise ModelFormatError(f"header.json: array {name!r} of shape {list(shape)} brings the declared total to "
                                   f"{total} bytes, more than the limit of {limits.max_total_bytes}")
        arrays[name] = ArraySpec(shape, dtype, nbytes)
    return arrays


def _training(value: dict[str, Any]) -> dict[str, Any]:
    fields = _Fields(value, "training")
    for key in ("epoch", "batch", "samples", "batch_size", "steps_per_epoch", "seen"):
        if fields.get(key, int) < 0:
            raise ModelFormatError(f"header.json: training.{key} must be >= 0, got {value[key]}")
    fields.get("shuffle", bool)
    accumulate = fields.get("accumulate", int, optional=True)  # absent before gradient accumulation
    if accumulate is not None and accumulate < 1:
        raise ModelFormatError(f"header.json: training.accumulate must be >= 1, got {accumulate}")
    fields.get("accumulated", dict, optional=True)
    fields.get("totals", dict)
    fields.get("callbacks", dict)
    history = _Fields(fields.get("history", dict), "training.history")
    epochs = history.get("epoch", list)
    if not all(isinstance(epoch, int) and not isinstance(epoch, bool) for epoch in epochs):
        raise ModelFormatError("header.json: training.history.epoch must be a list of integers")
    history.get("history", dict)
    return value
