"""Argument checks for constructors; every error names the component, the argument and the value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def _is_real(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and not math.isnan(value)


def number(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a float, raising unless it is a real number in the given (closed by default) range."""
    if not _is_real(value):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r}")
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if below or above:
        left = "-inf" if low is None else f"{low:g}"
        right = "inf" if high is None else f"{high:g}"
        bounds = f"{'(' if low_open or low is None else '['}{left}, {right}{')' if high_open or high is None else ']'}"
        raise ValueError(f"{owner}: {name} must be in {bounds}, got {value!r}")
    return float(value)


def non_negative(owner: str, name: str, value: Any) -> float:
    return number(owner, name, value, low=0.0)


def integer(owner: str, name: str, value: Any, *, minimum: int) -> int:
    """``value`` as an int, raising unless it is an integer (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be an integer >= {minimum}, got {value}")
    return value


def flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return value


def choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return str(value)


def betas(owner: str, value: Any, *, high_open: bool = True) -> tuple[float, float]:
    """A pair of decay rates, each in [0, 1) (or [0, 1] with ``high_open=False``)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(f"{owner}: betas must be a pair (beta1, beta2), got {value!r}")
    return (
        number(owner, "betas[0]", value[0], low=0.0, high=1.0, high_open=high_open),
        number(owner, "betas[1]", value[1], low=0.0, high=1.0, high_open=high_open),
    )
