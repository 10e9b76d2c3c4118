"""The axis check shared by Softmax and LogSoftmax."""

from __future__ import annotations

from nnfs_core.errors import ShapeError

__all__ = ["check_axis_fits"]


def check_axis_fits(owner: str, axis: int, input_shape: tuple[int, ...]) -> None:
    """Raise ShapeError unless ``axis`` names an axis of a batch of samples shaped ``input_shape``."""
    ndim = len(input_shape) + 1
    if not -ndim <= axis < ndim:
        raise ShapeError(
            f"{owner}: axis={axis} is out of range for batches of shape (N, {', '.join(map(str, input_shape))}) "
            f"with {ndim} axes"
        )
