"""The recurrent layers' states in torch's form: h (K, N, H), or the LSTM's pair (h, c), K = num_layers * D.

`run` takes and returns them in that form; inside, a layer keeps a list of (K, N, H) arrays (None where a
gradient was not given) and hands each layer and direction its (N, H) slices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array

#: One layer and direction's states, each (N, H): (h,) or the LSTM's (h, c).
States = tuple[Array, ...]


def check_states(owner: str, what: str, states: Any, count: int, shape: tuple[int, int, int], dtype: Any, *,
                 allow_none: bool = False) -> list[Array | None] | None:
    """``states`` in torch's form -> a list of ``count`` arrays of ``shape`` in ``dtype`` (copies, so that the
    caller may change its arrays), or None for None. ``allow_none``: a member of the pair may be None."""
    if states is None:
        return None
    if count > 1 and (not isinstance(states, (tuple, list)) or len(states) != count):
        raise TypeError(f"{owner}.run: {what} must be the pair (h, c) of arrays (K, N, H), got {type(states).__name__}")
    checked: list[Array | None] = []
    for index, part in enumerate([states] if count == 1 else states):
        if part is None and allow_none:
            checked.append(None)
            continue
        array = np.asarray(part)
        if array.shape != shape or array.dtype.kind not in "fiu":
            label = what if count == 1 else f"{what}[{index}]"
            raise ShapeError(f"{owner}.run: {label} must be numbers of shape (num_layers * D, N, H) = {shape}, "
                             f"got {array.dtype} of shape {array.shape}")
        checked.append(np.array(array, dtype=dtype, copy=True))
    return checked


def slot(states: list[Array | None] | None, index: int, dtype: Any) -> States | None:
    """Row ``index`` (layer * D + direction) of each state, zeros for a None among others; None when none is given."""
    if states is None or all(state is None for state in states):
        return None
    return tuple(state[index] if state is not None else np.zeros(_width(states), dtype) for state in states)


def _width(states: list[Array | None]) -> tuple[int, ...]:
    return next(state for state in states if state is not None).shape[1:]


def pack(states: list[Array], count: int) -> Any:
    """torch's form: the array h, or the pair (h, c)."""
    return states[0] if count == 1 else tuple(states)
