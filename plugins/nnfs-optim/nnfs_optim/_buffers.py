"""Per-parameter state arrays and reusable work arrays shared by the optimizers.

Updates are written with ``out=`` ufuncs into work arrays that live across steps, so that a step
allocates no parameter-sized array once the first step has created the state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array


class Scratch:
    """Work arrays reused from step to step.

    One flat buffer per (dtype, slot), as long as the largest parameter seen so far; ``get`` returns a
    view of it shaped like the parameter. Parameters are updated one after the other, so they can share the
    same buffers; an update that needs two work arrays at once asks for two slots.
    """

    def __init__(self) -> None:
        self._flat: dict[tuple[str, int], Array] = {}

    def get(self, like: Array, slot: int = 0) -> Array:
        key = (like.dtype.str, slot)
        flat = self._flat.get(key)
        if flat is None or flat.size < like.size:
            flat = np.empty(like.size, dtype=like.dtype)
            self._flat[key] = flat
        return flat[: like.size].reshape(like.shape)


def count_step(state: dict[str, Array]) -> int:
    """Increment and return the parameter's own step count (torch's ``state["step"]``), kept in ``state``."""
    step = state.get("step")
    if step is None:
        step = state["step"] = np.zeros((), dtype=np.int64)
    step += 1
    return int(step)


def state_array(owner: str, state: dict[str, Array], name: str, param: Array, fill: float = 0.0) -> Array:
    """The state array ``name``, shaped and typed like ``param``; created filled with ``fill`` if missing."""
    array = state.get(name)
    if array is None:
        array = state[name] = np.full(param.shape, fill, dtype=param.dtype)
    elif array.shape != param.shape:
        raise ValueError(
            f"{owner}: the saved state {name!r} has shape {array.shape} but its parameter has shape {param.shape}; "
            f"the parameters changed since this state was made (was this state saved for another model?)"
        )
    elif array.dtype != param.dtype:  # e.g. a float64 state_dict loaded for float32 parameters
        array = state[name] = array.astype(param.dtype)
    return array


def state_scalar(state: dict[str, Array], name: str, initial: float) -> Array:
    """A float64 0-d state array (an optimizer-wide running scalar such as NAdam's ``mu_product``)."""
    value = state.get(name)
    if value is None:
        value = state[name] = np.array(initial, dtype=np.float64)
    return value


def coupled_decay(param: Array, grad: Array, weight_decay: float, out: Array) -> Array:
    """``grad + weight_decay * param`` (the L2 penalty folded into the gradient), written into ``out``.

    Returns ``grad`` itself, untouched, when ``weight_decay`` is 0: gradients are never changed in place.
    """
    if weight_decay == 0:
        return grad
    np.multiply(param, param.dtype.type(weight_decay), out=out)
    out += grad
    return out


def lerp_(target: Array, end: Array, weight: float, work: Array) -> None:
    """``target += weight * (end - target)`` in place (torch's ``lerp_``), using ``work``."""
    np.subtract(end, target, out=work)
    work *= target.dtype.type(weight)
    target += work


def mul_(target: Array, value: float) -> None:
    """``target *= value`` in place (torch's ``mul_``), the factor in ``target``'s dtype."""
    target *= target.dtype.type(value)


def addcmul_(target: Array, first: Array, second: Array, value: float, work: Array) -> None:
    """``target += value * first * second`` in place (torch's ``addcmul_``), using ``work``."""
    np.multiply(first, second, out=work)
    work *= target.dtype.type(value)
    target += work


def scalar(param: Array, value: Any) -> Any:
    """``value`` as a NumPy scalar of the parameter's dtype, so float32 arithmetic stays float32."""
    return param.dtype.type(value)
