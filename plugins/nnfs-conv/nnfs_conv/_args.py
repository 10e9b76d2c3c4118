"""Argument checks shared by the pack's constructors; every error names the layer and the argument.

Layers store what the user gave (an int or a tuple, lists turned into tuples) under the argument's own
name, so that ``get_config`` gives it back as written, and keep the normalised tuples privately.
"""

from __future__ import annotations

from typing import Any

from nnfs_core._checks import check_int


def as_ints(owner: str, name: str, value: Any, length: int, *, minimum: int = 1) -> tuple[int, ...]:
    """``value`` (an int, or a sequence of ``length`` ints) as a ``length``-tuple of ints >= ``minimum``."""
    if isinstance(value, (list, tuple)):
        if len(value) != length:
            raise ValueError(f"{owner}: {name} must be an int or a tuple of {length} ints, got {value!r}")
        return tuple(check_int(owner, name, item, minimum=minimum) for item in value)
    return (check_int(owner, name, value, minimum=minimum),) * length


def stored(value: Any) -> Any:
    """What a constructor keeps under the argument's name: lists become tuples (JSON gives lists back)."""
    return tuple(stored(item) for item in value) if isinstance(value, list) else value


def conv_padding(owner: str, padding: Any, length: int) -> str | tuple[int, ...]:
    """PyTorch's ``padding`` of a convolution: ``"same"``, ``"valid"`` (no padding), an int or a tuple."""
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{owner}: padding must be 'same', 'valid', an int or a tuple, got {padding!r}")
        return padding if padding == "same" else (0,) * length
    return as_ints(owner, "padding", padding, length, minimum=0)


def pad_sides(owner: str, padding: Any) -> tuple[int, int, int, int]:
    """``(left, right, top, bottom)`` from an int or a 4-tuple, as ``torch.nn.ZeroPad2d``; negative crops."""
    if isinstance(padding, (list, tuple)):
        if len(padding) != 4:
            raise ValueError(f"{owner}: padding must be an int or a tuple (left, right, top, bottom), got {padding!r}")
        return tuple(check_int(owner, "padding", item, minimum=-(2**62)) for item in padding)  # type: ignore[return-value]
    side = check_int(owner, "padding", padding, minimum=-(2**62))
    return side, side, side, side


def check_pool_padding(owner: str, kernel: tuple[int, ...], dilation: tuple[int, ...], padding: tuple[int, ...]) -> None:
    """PyTorch's rule for pooling: padding at most half of the (dilated) kernel."""
    for size, spacing, pad in zip(kernel, dilation, padding):
        if pad * 2 > spacing * (size - 1) + 1:
            raise ValueError(f"{owner}: padding {padding} must be at most half of the kernel {kernel} "
                             f"(PyTorch's rule), got {pad} for a kernel of {size}")
