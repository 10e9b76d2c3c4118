"""Output sizes of convolutions and poolings, and the ShapeErrors that explain an empty output."""

from __future__ import annotations

from typing import Any

from nnfs_core.errors import ShapeError

__all__ = ["built_shape", "conv_length", "pool_length", "same_padding", "check_rank", "check_batch", "AXES"]

AXES = ("height", "width")


def built_shape(layer: Any) -> tuple[int, ...]:
    """The per-sample input shape ``layer`` was built for."""
    if layer.input_shape is None:
        raise RuntimeError(f"{type(layer).__name__} is not built; call build(input_shape, rng=..., dtype=...) or use "
                           f"it in a Network")
    return tuple(layer.input_shape)


def check_rank(owner: str, input_shape: tuple[int, ...], layout: str) -> None:
    """Per-sample ``input_shape`` must have as many axes as ``layout`` names, e.g. "(C, H, W)"."""
    rank = layout.count(",") + 1
    if len(input_shape) != rank or any(size < 1 for size in input_shape):
        raise ShapeError(f"{owner} expects samples of shape {layout}, i.e. batches (N, {layout[1:]}; got samples of "
                         f"shape {tuple(input_shape)}")


def same_padding(kernel: int, dilation: int) -> tuple[int, int]:
    """PyTorch's ``padding="same"``: total d (k - 1), the odd one out on the right/bottom."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def conv_length(owner: str, input_shape: tuple[int, ...], axis: str, size: int, pad_total: int, kernel: int,
                stride: int, dilation: int) -> int:
    """floor((size + pad_total - d (k - 1) - 1) / s) + 1, or a ShapeError when that is < 1."""
    span = dilation * (kernel - 1) + 1
    if size + pad_total < span:
        raise ShapeError(
            f"{owner} cannot take samples of shape {tuple(input_shape)}: the {axis} {size} plus padding {pad_total} "
            f"is smaller than the kernel's extent {span} (kernel {kernel}, dilation {dilation}), so the output "
            f"would be empty"
        )
    return (size + pad_total - span) // stride + 1


def pool_length(owner: str, input_shape: tuple[int, ...], axis: str, size: int, pad: int, kernel: int, stride: int,
                dilation: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``: floor or ceil, and with ceil no window starting in the right padding."""
    span = dilation * (kernel - 1) + 1
    if size + 2 * pad < span:
        raise ShapeError(
            f"{owner} cannot take samples of shape {tuple(input_shape)}: the {axis} {size} plus padding 2 x {pad} "
            f"is smaller than the window {span} (kernel {kernel}, dilation {dilation}), so the output would be empty"
        )
    extra = stride - 1 if ceil_mode else 0
    length = (size + 2 * pad - span + extra) // stride + 1
    if ceil_mode and (length - 1) * stride >= size + pad:
        length -= 1
    return length


def check_batch(owner: str, x_shape: tuple[int, ...], input_shape: tuple[int, ...] | None, layout: str) -> None:
    """A batch must be (N, *input_shape) for the per-sample shape the layer was built for."""
    if input_shape is None:
        raise RuntimeError(f"{owner} is not built; call build(input_shape, rng=..., dtype=...) or use it in a Network")
    if len(x_shape) != len(input_shape) + 1 or tuple(x_shape[1:]) != tuple(input_shape):
        raise ShapeError(f"{owner} expects input (N, {layout[1:]} = (N, {', '.join(map(str, input_shape))}) as built, "
                         f"got an array of shape {tuple(x_shape)}")
