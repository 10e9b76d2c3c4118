"""In-place gate kernels for the per-step loops of the recurrent layers.

The recurrence visits every step in turn, so each step's gate activations are written into the arrays the
forward pass keeps for backward instead of into new arrays: no allocation per step. (``Ops`` returns new
arrays from its kernels; these are the same maths written in place.)
"""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array


def sigmoid_(a: Array) -> Array:
    """``a`` <- 1 / (1 + exp(-a)), as (1 + tanh(a / 2)) / 2: the same value, and nothing can overflow."""
    np.multiply(a, 0.5, out=a)
    np.tanh(a, out=a)
    np.multiply(a, 0.5, out=a)
    np.add(a, 0.5, out=a)
    return a


def tanh_(a: Array) -> Array:
    """``a`` <- tanh(a)."""
    return np.tanh(a, out=a)


def relu_(a: Array) -> Array:
    """``a`` <- max(a, 0)."""
    return np.maximum(a, 0, out=a)
