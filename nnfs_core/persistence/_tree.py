"""State dictionaries as JSON: arrays move to zip members and leave a reference behind.

An optimizer's or scheduler's ``state_dict()``, the history and Generator states are trees of dicts,
lists and numbers with NumPy arrays at some leaves. ``encode`` turns such a tree into strict JSON:

- an array becomes ``{"$array": "<member name>"}`` and is stored as its own ``.npy`` member;
- a NumPy scalar (``np.float64(0.5)``) becomes ``{"$array": ..., "$scalar": true}`` (0-d, exact bits);
- a non-finite float becomes ``{"$float": "nan" | "inf" | "-inf"}`` (strict JSON has no NaN);
- tuples become lists. Keys are strings; keys starting with ``$`` are reserved.

``decode`` reverses it, accepting only those markers.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from nnfs_core.errors import ConfigError, ModelFormatError

__all__ = ["encode", "decode", "is_safe_name", "NAME_RULE"]

_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}")
_SAFE_KEY = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,63}")
NAME_RULE = "1 to 200 of the characters A-Z a-z 0-9 _ . -, not starting with '.' or '-', without '..'"
_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def is_safe_name(name: object) -> bool:
    """Whether ``name`` may name an array (and, with ``.npy``, a zip member): no paths, no ``..``."""
    return isinstance(name, str) and _SAFE.fullmatch(name) is not None and ".." not in name


def encode(value: Any, prefix: str, arrays: dict[str, np.ndarray[Any, Any]], where: str) -> Any:
    """``value`` as strict JSON; arrays are added to ``arrays`` under names starting with ``prefix``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(value, (np.ndarray, np.generic)):
        name = _free_name(prefix, arrays)
        arrays[name] = np.asarray(value)
        return {"$array": name, "$scalar": True} if isinstance(value, np.generic) else {"$array": name}
    if isinstance(value, (list, tuple)):
        return [encode(item, f"{prefix}.{index}", arrays, where) for index, item in enumerate(value)]
    if isinstance(value, dict):
        encoded = {}
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$"):
                raise ConfigError(f"{where}: keys must be strings not starting with '$', got {key!r}")
            child = f"{prefix}.{key}" if _SAFE_KEY.fullmatch(key) and ".." not in key else prefix
            encoded[key] = encode(item, child, arrays, where)
        return encoded
    raise ConfigError(f"{where}: a {type(value).__name__} ({value!r:.80}) cannot be saved; state may hold "
                      f"numbers, strings, None, lists, dicts and NumPy arrays")


def _free_name(base: str, arrays: dict[str, Any]) -> str:
    """``base`` if it is a free, safe name; otherwise ``base.1``, ``base.2``, ... (``array.N`` if too long)."""
    if len(base) > 180 or not is_safe_name(base):
        base = "array"
    if base not in arrays:
        return base
    counter = 1
    while f"{base}.{counter}" in arrays:
        counter += 1
    return f"{base}.{counter}"


def decode(value: Any, arrays: dict[str, np.ndarray[Any, Any]], where: str, max_depth: int, depth: int = 0) -> Any:
    """Rebuild what ``encode`` wrote; ``arrays`` are the file's arrays by name.

    Raises ``ModelFormatError`` on an unknown marker, a reference to an array the file does not
    list, or nesting deeper than ``max_depth``.
    """
    if depth > max_depth:
        raise ModelFormatError(f"{where} is nested more than {max_depth} levels deep")
    if isinstance(value, list):
        return [decode(item, arrays, where, max_depth, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    if any(key.startswith("$") for key in value):
        return _decode_marker(value, arrays, where)
    return {key: decode(item, arrays, where, max_depth, depth + 1) for key, item in value.items()}


def _decode_marker(value: dict[str, Any], arrays: dict[str, np.ndarray[Any, Any]], where: str) -> Any:
    if set(value) == {"$float"} and value["$float"] in _FLOATS:
        return _FLOATS[value["$float"]]
    if set(value) in ({"$array"}, {"$array", "$scalar"}) and value.get("$scalar", True) is True:
        name = value["$array"]
        if not isinstance(name, str) or name not in arrays:
            raise ModelFormatError(f"{where} refers to an array {name!r:.80} that the file does not list")
        array = arrays[name]
        if "$scalar" not in value:
            return array
        if array.ndim != 0:
            raise ModelFormatError(f"{where}: the scalar {name!r} is stored with shape {array.shape}, not ()")
        return array[()]
    raise ModelFormatError(f"{where} holds an unknown marker {sorted(value)!r:.120}; a file of format version 1 "
                           f"only uses $array, $scalar and $float")
