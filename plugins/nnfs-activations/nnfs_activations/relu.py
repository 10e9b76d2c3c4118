"""ReLU: the rectified linear unit."""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["ReLU"]


class ReLU(BaseLayer):
    """y = max(x, 0), as ``torch.nn.ReLU``.

    dy/dx = 1 where x > 0 and 0 elsewhere, including at the kink x = 0 (PyTorch's convention).
    Shapes: any (N, ...) -> the same; the dtype is kept.

    Training keeps the mask x > 0 for ``backward`` in a bool array reused from batch to batch (batches
    share one shape), so that a step allocates only the output and the input gradient. Inference makes no
    mask; a ``backward`` after it derives the mask from the output.
    """

    def __init__(self) -> None:
        super().__init__()
        self._mask: Array | None = None  # the reused training mask
        self._positive: Array | None = None  # what backward multiplies by (the mask, or the output)

    def forward(self, x: Array, *, training: bool = False) -> Array:
        y = np.maximum(x, 0)
        if training:
            mask = self._mask
            if mask is None or mask.shape != x.shape:
                mask = self._mask = np.empty(x.shape, dtype=bool)
            self._positive = np.greater(x, 0, out=mask)
        else:
            self._positive = y  # y > 0 exactly where x > 0; compared only if backward is called
        return y

    def backward(self, grad: Array) -> Array:
        positive = self._positive
        if positive is None:
            raise RuntimeError("ReLU.backward needs a forward first")
        if positive.dtype != np.bool_:
            positive = positive > 0
        return grad * positive
