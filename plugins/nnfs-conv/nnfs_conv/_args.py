"""Argument checks shared by the pack's constructors; every error names the layer and the argument.

Layers store what the user gave (an int or a tuple, lists turned into tuples) under the argument's own
name, so that ``get_config`` gives it back as written, and keep the normalised tuples privately.
"""

from __future__ import annotations

from typing import Any

from nnfs_core.validation import check_int


def as_ints(owner: str, name: str, value: Any, length: int, *, minimum: int = 1) -> tuple[int, ...]:
    """``value`` (an int, or a sequence of ``length`` ints) as a ``length``-tuple of ints >= ``minimum``."""
    if isinstance(value, (list, tuple)):
        if len(value) != length:
            raise ValueError(f"{owner}: {name} must be an int or a tuple of {length} ints, got {value!r}")
        return tuple(check_int(owner, name, item, minimum=minimum) for item in value)
    return (check_int(owner, name, value, minimum=minimum),) * length


def as_pair(owner: str, name: str, value: Any, *, one_d: bool = False, minimum: int = 1,
            lead: int = 1) -> tuple[int, int]:
    """2-D geometry from an int or a tuple; a 1-D layer's value becomes (lead, value), a map of height 1."""
    if one_d:
        (only,) = as_ints(owner, name, value, 1, minimum=minimum)
        return lead, only
    first, second = as_ints(owner, name, value, 2, minimum=minimum)
    return first, second


def channels_and_groups(owner: str, out_channels: Any, groups: Any) -> tuple[int, int]:
    """``(out_channels, groups)`` checked: positive ints, the channels split evenly into the groups."""
    channels, count = check_int(owner, "out_channels", out_channels), check_int(owner, "groups", groups)
    if channels % count:
        raise ValueError(f"{owner}: out_channels ({out_channels}) must be divisible by groups ({groups})")
    return channels, count


def stored(value: Any) -> Any:
    """What a constructor keeps under the argument's name: lists become tuples (JSON gives lists back)."""
    return tuple(stored(item) for item in value) if isinstance(value, list) else value


def conv_padding(owner: str, padding: Any, *, one_d: bool = False) -> tuple[int, int] | None:
    """PyTorch's ``padding`` of a convolution as (ph, pw); None for ``"same"``, (0, 0) for ``"valid"``."""
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"{owner}: padding must be 'same', 'valid', an int or a tuple, got {padding!r}")
        return None if padding == "same" else (0, 0)
    return as_pair(owner, "padding", padding, one_d=one_d, minimum=0, lead=0)


def pad_sides(owner: str, padding: Any) -> tuple[int, int, int, int]:
    """``(left, right, top, bottom)`` from an int or a 4-tuple, as ``torch.nn.ZeroPad2d``; negative crops."""
    if isinstance(padding, (list, tuple)):
        if len(padding) != 4:
            raise ValueError(f"{owner}: padding must be an int or a tuple (left, right, top, bottom), got {padding!r}")
        left, right, top, bottom = (check_int(owner, "padding", item, minimum=-(2**62)) for item in padding)
        return left, right, top, bottom
    side = check_int(owner, "padding", padding, minimum=-(2**62))
    return side, side, side, side


def check_pool_padding(owner: str, kernel: tuple[int, int], dilation: tuple[int, int],
                       padding: tuple[int, int]) -> None:
    """PyTorch's rule for pooling: padding at most half of the (dilated) kernel."""
    for size, spacing, pad in zip(kernel, dilation, padding):
        if pad * 2 > spacing * (size - 1) + 1:
            raise ValueError(f"{owner}: padding {padding} must be at most half of the kernel {kernel} "
                             f"(PyTorch's rule), got {pad} for a kernel of {size}")
