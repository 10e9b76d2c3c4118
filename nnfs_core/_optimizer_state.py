"""Checking a ``BaseOptimizer`` state before anything of it is put back.

The state comes from a file (a model or a checkpoint) or from a caller; ``BaseOptimizer.load_state_dict``
and the loader check it here first, so a bad state changes nothing and the error names the key that was
wrong: ``state['layers.0.weight']['exp_avg']: shape (3, 2), but the parameter is (2, 3)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["check_optimizer_state", "MAX_COUNT"]

Array = np.ndarray[Any, Any]

MAX_COUNT = 2**63 - 1  # a step count past int64 is not one any run made
_KNOWN = ("learning_rate", "iterations", "group_learning_rates", "state")
_FIRST_RELEASE = ("learning_rate", "iterations")  # its flat "<index>.<name>" keys sit next to these


def _scalar(value: Any) -> Any:
    """A 0-d array (a number that went through an array, as a file may hold it) as its Python number."""
    return value.item() if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu" else value


def _rate(key: str, value: Any) -> float:
    value = _scalar(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{key}: must be a finite number >= 0, got {str(value)[:80]}")
    return float(value)


def _count(key: str, value: Any) -> int:
    value = _scalar(value)
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= int(value) <= MAX_COUNT:
        raise ValueError(f"{key}: must be an integer in [0, 2**63), got {str(value)[:80]}")
    return int(value)


def _entries(state: Mapping[str, Any]) -> tuple[Any, str]:
    """The per-parameter entries and the key they are under (the first release's flat keys are grouped)."""
    if "state" in state:
        unknown = sorted(key for key in state if key not in _KNOWN)
        if unknown:
            raise ValueError(f"unknown key(s) {str(unknown)[:120]}; an optimizer state has {', '.join(_KNOWN)}")
        return state["state"], "state"
    entries: dict[str, dict[str, Any]] = {}
    for key, value in state.items():
        if key in _FIRST_RELEASE:
            continue
        index, dot, name = str(key).partition(".")
        if not dot or not index or not name:
            raise ValueError(f"unknown key {str(key)[:80]!r}; an optimizer state has {', '.join(_KNOWN)}")
        entries.setdefault(index, {})[name] = value
    return entries, "the first release's keys"


def _array(key: str, value: Any, shape: tuple[int, ...] | None) -> Array:
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{key}: not an array ({error})") from None
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{key}: dtype {array.dtype} is not a real number type (float or integer)")
    if shape is not None and array.shape not in ((), shape):
        raise ValueError(f"{key}: shape {array.shape}, but the parameter is {shape} (state is shaped like its "
                         f"parameter, or a scalar)")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{key}: holds NaN or infinite values")
    if array.dtype.kind == "i" and array.size and array.min() < 0:
        raise ValueError(f"{key}: a negative count ({array.min()})")
    return array


def check_optimizer_state(state: Any, groups: int,
                          shapes: Mapping[str, tuple[int, ...]] | None = None) -> dict[str, dict[str, Array]]:
    """Check ``state`` (``BaseOptimizer.state_dict()``'s form) and return its per-parameter entries as arrays.

    ``groups`` is the optimizer's number of parameter groups; ``shapes``, when known, the parameters' shapes
    by name: every entry must then name one, and each array have its shape or be a scalar. Raises
    ``ValueError`` naming the key; nothing is changed here.
    """
    if not isinstance(state, Mapping):
        raise ValueError(f"must be a dict, got {type(state).__name__}")
    for key in ("learning_rate", "iterations"):
        if key not in state:
            raise ValueError(f"{key}: missing")
    _rate("learning_rate", state["learning_rate"])
    _count("iterations", state["iterations"])
    rates = state.get("group_learning_rates", [])
    if not isinstance(rates, list) or len(rates) != groups:
        raise ValueError(f"group_learning_rates: {str(rates)[:80]} for {groups} parameter group(s); build the "
                         f"optimizer with the same param_groups")
    for index, rate in enumerate(rates):
        if rate is not None:
            _rate(f"group_learning_rates[{index}]", rate)
    entries, where = _entries(state)
    if not isinstance(entries, Mapping):
        raise ValueError(f"{where}: must be a dict of parameter name to dict of arrays, got {type(entries).__name__}")
    checked: dict[str, dict[str, Array]] = {}
    for name, items in entries.items():
        key = f"{where}[{str(name)[:80]!r}]"
        if not isinstance(name, str):
            raise ValueError(f"{key}: a parameter name must be a string")
        if shapes is not None and name not in shapes:
            raise ValueError(f"{key}: not a parameter of this network ({len(shapes)} parameters)")
        if not isinstance(items, Mapping) or not all(isinstance(item, str) for item in items):
            raise ValueError(f"{key}: must be a dict of names to arrays")
        shape = None if shapes is None else shapes[name]
        checked[name] = {item: _array(f"{key}[{item[:80]!r}]", value, shape) for item, value in items.items()}
    return checked
