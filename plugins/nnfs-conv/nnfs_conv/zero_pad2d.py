"""ZeroPad2D: zeros around each map, as ``torch.nn.ZeroPad2d``."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_conv._padding import PadBase

__all__ = ["ZeroPad2D"]


class ZeroPad2D(PadBase):
    """y = x with ``left``/``right`` zero columns and ``top``/``bottom`` zero rows added; negative sizes crop.

    Shapes: x (N, C, H, W) -> y (N, C, H + top + bottom, W + left + right). Backward crops the gradient.

    Parameters
    ----------
    padding : int or (left, right, top, bottom)
        Columns and rows of zeros added on each side (one int: all four); negative sizes crop.
    """

    example_args: ClassVar[dict[str, Any]] = {"padding": (1, 2, 0, 1)}

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self._store_padding(padding)
