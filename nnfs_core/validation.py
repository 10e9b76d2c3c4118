"""Argument checks for constructors and entry points, one set for the core and every pack.

Every check names the component (``owner``), the argument and the value it got, and returns the value in
its canonical type. The rules are the same everywhere: booleans are not numbers, NaN is never accepted,
infinities only where a check is asked to allow them (``allow_inf=True``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

__all__ = ["check_number", "check_positive", "check_int", "check_flag", "check_choice", "check_betas"]


def check_number(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    nonzero: bool = False,
    allow_inf: bool = False,
) -> float:
    """``value`` as a float, raising unless it is a real number in the given range (closed by default).

    Raises ``TypeError`` for what is not a real number (bools, strings, NaN) and ``ValueError`` for a
    number out of range, infinite (unless ``allow_inf``) or zero with ``nonzero``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r} ({type(value).__name__})")
    number = float(value)
    if math.isinf(number) and not allow_inf:
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    below = low is not None and (number <= low if low_open else number < low)
    above = high is not None and (number >= high if high_open else number > high)
    if below or above:
        raise ValueError(f"{owner}: {name} must be {_bounds(low, high, low_open, high_open)}, got {value!r}")
    if nonzero and number == 0:
        raise ValueError(f"{owner}: {name} must not be 0, got {value!r}")
    return number


def _bounds(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """The range in words: ``> 0``, ``<= 1`` or ``in [0, 1)``."""
    if high is None:
        return f"{'>' if low_open else '>='} {low:g}"
    if low is None:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def check_positive(owner: str, name: str, value: Any, *, allow_zero: bool = False, allow_inf: bool = False) -> float:
    """``value`` as a float > 0 (>= 0 with ``allow_zero``)."""
    return check_number(owner, name, value, low=0.0, low_open=not allow_zero, allow_inf=allow_inf)


def check_int(owner: str, name: str, value: Any, *, minimum: int | None = 1) -> int:
    """``value`` as an int, raising unless it is an integer (not a bool) >= ``minimum`` (None: any)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) and not hasattr(value, "__index__"):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r} ({type(value).__name__})")
    number = int(value)
    if minimum is not None and number < minimum:
        raise ValueError(f"{owner}: {name} must be >= {minimum}, got {number}")
    return number


def check_flag(owner: str, name: str, value: Any) -> bool:
    """``value`` if it is True or False (NumPy's bool included), else ``TypeError``."""
    if not isinstance(value, bool) and type(value).__name__ != "bool_":
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(owner: str, name: str, value: Any, choices: Sequence[Any]) -> Any:
    """``value`` if it is one of ``choices``, else ``ValueError`` listing them."""
    if value not in choices:
        raise ValueError(f"{owner}: {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_betas(owner: str, value: Any, *, high_open: bool = True) -> tuple[float, float]:
    """A pair of decay rates ``(beta1, beta2)``, each in [0, 1) (or [0, 1] with ``high_open=False``)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(f"{owner}: betas must be a pair (beta1, beta2), got {value!r}")
    return (
        check_number(owner, "betas[0]", value[0], low=0.0, high=1.0, high_open=high_open),
        check_number(owner, "betas[1]", value[1], low=0.0, high=1.0, high_open=high_open),
    )
