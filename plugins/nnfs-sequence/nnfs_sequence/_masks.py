"""Attention masks: the causal mask, padded keys and torch's ``attn_mask``, as one additive array.

Conventions are torch's: a boolean mask is True where attention is *not* allowed (a padded key, a future
step); a float mask is added to the scores (-inf forbids). ``padding_mask`` (N, L) is True at padded steps,
as torch's ``key_padding_mask``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array

__all__ = ["additive_mask", "as_padding_mask", "causal_mask"]


def causal_mask(query_steps: int, key_steps: int) -> Array:
    """(Lq, Lk) bool, True above the diagonal: step t may not see steps after t (torch's square subsequent mask)."""
    return np.triu(np.ones((query_steps, key_steps), dtype=bool), k=1)


def _additive(mask: Array, dtype: Any) -> Array:
    """A bool mask as 0 / -inf; a float mask as it is."""
    mask = np.asarray(mask)
    if mask.dtype == bool:
        return np.where(mask, dtype.type(-np.inf), dtype.type(0))
    return mask.astype(dtype, copy=False)


def as_padding_mask(padding_mask: Any, batch: int, steps: int, owner: str) -> Array:
    """``padding_mask`` checked to be (N, L) for a batch of ``batch`` sequences of ``steps`` steps."""
    mask = np.asarray(padding_mask)
    if mask.shape != (batch, steps):
        raise ShapeError(f"{owner}: padding_mask must have shape (N, L) = ({batch}, {steps}), one flag per step, "
                         f"True at padding; got an array of shape {mask.shape}")
    if mask.dtype != bool and mask.dtype.kind != "f":
        raise TypeError(f"{owner}: padding_mask must be bool (True at padding) or float (added to the scores), "
                        f"got dtype {mask.dtype}")
    return mask


def additive_mask(batch: int, heads: int, query_steps: int, key_steps: int, dtype: Any, *,
                  padding_mask: Any = None, attn_mask: Any = None, causal: bool = False) -> Array | None:
    """The sum of every mask given, broadcastable to the scores (N, H, Lq, Lk); None when there is none."""
    total: Array | None = None
    if causal:
        total = _additive(causal_mask(query_steps, key_steps), dtype)
    if attn_mask is not None:
        mask = _additive(attn_mask, dtype)
        if mask.shape == (batch * heads, query_steps, key_steps):
            mask = mask.reshape(batch, heads, query_steps, key_steps)
        elif mask.shape != (query_steps, key_steps):
            raise ShapeError(f"MultiHeadAttention: attn_mask must have shape (Lq, Lk) = ({query_steps}, {key_steps}) "
                             f"or (N H, Lq, Lk) = ({batch * heads}, {query_steps}, {key_steps}), got {mask.shape}")
        total = mask if total is None else total + mask
    if padding_mask is not None:
        keys = _additive(as_padding_mask(padding_mask, batch, key_steps, "MultiHeadAttention"), dtype)
        keys = keys[:, None, None, :]
        total = keys if total is None else total + keys
    return total
