"""Linear maps of an image that act on rows and columns separately: y = A x B^T per (n, c) map.

AdaptiveAvgPool2D (window averages) and bilinear UpSampling2D (interpolation weights) are such maps;
each is two matrix products with small (out, in) matrices, and its adjoint is two more.
"""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array

__all__ = ["apply", "adjoint"]


def apply(x: Array, rows: Array, columns: Array) -> Array:
    """y[n, c] = rows @ x[n, c] @ columns^T: x (N, C, H, W), rows (OH, H), columns (OW, W) -> (N, C, OH, OW)."""
    batch, channels, height, width = x.shape
    wide = (x.reshape(-1, width) @ columns.T).reshape(batch, channels, height, columns.shape[0])
    return np.matmul(rows, wide)


def adjoint(grad: Array, rows: Array, columns: Array) -> Array:
    """The adjoint of ``apply``: rows^T @ g[n, c] @ columns, (N, C, OH, OW) -> (N, C, H, W)."""
    batch, channels = grad.shape[:2]
    tall = np.matmul(rows.T, grad)
    return (tall.reshape(-1, columns.shape[0]) @ columns).reshape(batch, channels, rows.shape[1], columns.shape[1])
