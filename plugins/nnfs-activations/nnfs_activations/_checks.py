"""Constructor argument checks; every error names the activation and the argument."""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_real", "check_int"]


def check_real(owner: str, name: str, value: Any, *, positive: bool = False, nonzero: bool = False) -> float:
    """Return ``value`` as a float, raising unless it is a finite real number (and > 0 / != 0 if asked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r} ({type(value).__name__})")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    if positive and number <= 0:
        raise ValueError(f"{owner}: {name} must be > 0, got {value!r}")
    if nonzero and number == 0:
        raise ValueError(f"{owner}: {name} must not be 0, got {value!r}")
    return number


def check_int(owner: str, name: str, value: Any, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, raising unless it is an integer (>= ``minimum`` if given)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r} ({type(value).__name__})")
    number = int(value)
    if minimum is not None and number < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {number}")
    return number
