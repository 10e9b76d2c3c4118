"""Multiply: a Branch whose paths' outputs are merged by multiply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from nnfs_core.layers.branch import Branch

__all__ = ["Multiply"]


class Multiply(Branch):
    """y = f_1(x) * ... * f_k(x), elementwise (gates, squeeze-and-excitation).

    Every path f_i gets the same input x.
    The ``multiply`` merge of `Branch` (nnfs_core.layers.branch; see there for shapes and gradients).

    Parameters
    ----------
    branches : sequence of layers, names, config dicts, or lists of them (each a Sequential)
        The paths; ``"identity"`` is a skip connection.
    """

    example_args: ClassVar[dict[str, Any]] = {"branches": [[{"name": "dense", "output_size": 5}, "tanh"], "identity"]}

    def __init__(self, branches: Sequence[Any]) -> None:
        super().__init__(branches, merge="multiply")
