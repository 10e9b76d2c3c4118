"""An overflow-free building block shared by Softplus and Mish.

It is written around e = exp(-|x|), which lies in (0, 1] for every finite x, so it neither overflows nor
loses the small tail values that ``1 / (1 + exp(-x))`` or ``log(1 + exp(x))`` would round away. The
sigmoid alone is a kernel of the network's ``ops`` (``self.ops.sigmoid``, the same formula).
"""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array

__all__ = ["sigmoid_and_softplus"]


def sigmoid_and_softplus(x: Array) -> tuple[Array, Array]:
    """(sigmoid(x), log(1 + exp(x))) from one exponential; softplus = max(x, 0) + log1p(exp(-|x|))."""
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e), np.maximum(x, 0.0) + np.log1p(e)
