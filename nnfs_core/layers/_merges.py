"""How a Branch merges its paths' outputs, and the gradient each path gets back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError

Array = np.ndarray[Any, Any]

__all__ = ["MERGES", "merged_shape", "merge", "unmerge"]

MERGES = ("add", "multiply", "concatenate")


def merged_shape(merge_name: str, shapes: Sequence[tuple[int, ...]], axis: int) -> tuple[int, ...]:
    """The per-sample shape of the merge of per-sample ``shapes``; ShapeError when they do not fit."""
    first = tuple(shapes[0])
    if merge_name != "concatenate":
        if any(tuple(shape) != first for shape in shapes):
            raise ShapeError(f"{merge_name} needs every branch to give the same shape, "
                             f"got {[tuple(s) for s in shapes]}")
        return first
    if not -len(first) <= axis < len(first):
        raise ShapeError(f"concatenate axis={axis} does not exist in samples of shape {first} (axis counts per sample: "
                         f"0 is the channels of (C, H, W) and the features of (F,))")
    position = axis % len(first)
    rest = [tuple(s[:position]) + tuple(s[position + 1:]) for s in shapes]
    if any(len(s) != len(first) for s in shapes) or any(r != rest[0] for r in rest):
        raise ShapeError(f"concatenate along axis {axis} needs the branches to agree on every other axis, got "
                         f"{[tuple(s) for s in shapes]}")
    return first[:position] + (sum(s[position] for s in shapes),) + first[position + 1:]


def merge(merge_name: str, outputs: Sequence[Array], axis: int) -> Array:
    """add: sum; multiply: product; concatenate: along the per-sample ``axis`` (array axis ``axis + 1``)."""
    if merge_name == "add":
        total = outputs[0] + outputs[1] if len(outputs) > 1 else outputs[0].copy()
        for output in outputs[2:]:
            total += output
        return total
    if merge_name == "multiply":
        product = outputs[0] * outputs[1] if len(outputs) > 1 else outputs[0].copy()
        for output in outputs[2:]:
            product *= output
        return product
    return np.concatenate(outputs, axis=_array_axis(axis, outputs[0].ndim))


def unmerge(merge_name: str, grad: Array, outputs: Sequence[Array], axis: int) -> list[Array]:
    """d loss / d (each branch's output) from d loss / d (merged output)."""
    if merge_name == "add":
        return [grad] * len(outputs)
    if merge_name == "multiply":  # d (prod_j y_j) / d y_i = prod_{j != i} y_j
        grads = []
        for index in range(len(outputs)):
            others = [output for position, output in enumerate(outputs) if position != index]
            part = grad.copy()
            for other in others:
                part *= other
            grads.append(part)
        return grads
    array_axis = _array_axis(axis, grad.ndim)
    bounds = np.cumsum([output.shape[array_axis] for output in outputs])[:-1]
    return np.split(grad, bounds, axis=array_axis)


def _array_axis(axis: int, ndim: int) -> int:
    """The array axis (batch first) of a per-sample axis (negative ones count from the end)."""
    return axis + 1 if axis >= 0 else ndim + axis
