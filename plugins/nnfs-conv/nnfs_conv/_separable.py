"""Linear maps of an image that act on rows and columns separately: y = A x B^T per (n, c) map.

AdaptiveAvgPool2D (window averages) and bilinear UpSampling2D (interpolation weights) are such maps;
each is two matrix products with small (out, in) matrices, and its adjoint is two more. The products are
the layer's compute backend's (``ops.matmul``), as every other product in nnfs.
"""

from __future__ import annotations

from typing import Any

from nnfs_core.protocols import Array

__all__ = ["apply", "adjoint"]


def apply(ops: Any, x: Array, rows: Array, columns: Array) -> Array:
    """y[n, c] = rows @ x[n, c] @ columns^T: x (N, C, H, W), rows (OH, H), columns (OW, W) -> (N, C, OH, OW)."""
    batch, channels, height, width = x.shape
    wide = ops.matmul(x.reshape(-1, width), columns.T).reshape(batch, channels, height, columns.shape[0])
    return ops.matmul(rows, wide)


def adjoint(ops: Any, grad: Array, rows: Array, columns: Array) -> Array:
    """The adjoint of ``apply``: rows^T @ g[n, c] @ columns, (N, C, OH, OW) -> (N, C, H, W)."""
    batch, channels = grad.shape[:2]
    tall = ops.matmul(rows.T, grad)
    return ops.matmul(tall.reshape(-1, columns.shape[0]), columns).reshape(batch, channels, rows.shape[1],
                                                                           columns.shape[1])
