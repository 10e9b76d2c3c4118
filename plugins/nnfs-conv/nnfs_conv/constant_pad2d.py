"""ConstantPad2D: a constant around each map, as ``torch.nn.ConstantPad2d``."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_conv._padding import PadBase
from nnfs_core.validation import check_number

__all__ = ["ConstantPad2D"]


class ConstantPad2D(PadBase):
    """y = x with ``left``/``right`` columns and ``top``/``bottom`` rows of ``value`` added; negative sizes crop.

    Shapes: x (N, C, H, W) -> y (N, C, H + top + bottom, W + left + right). Backward crops the gradient.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)
        Columns and rows added on each side (one int: all four); negative sizes crop.
    value : float
        The value of the added entries.
    """

    example_args: ClassVar[dict[str, Any]] = {"padding": (2, 0, 1, 1), "value": -1.5}

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__()
        self._store_padding(padding)
        self.value = check_number("ConstantPad2D", "value", value)
        self._value = self.value
