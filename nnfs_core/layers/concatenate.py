"""Concatenate: a Branch whose paths' outputs are merged by concatenate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from nnfs_core.layers.branch import Branch

__all__ = ["Concatenate"]


class Concatenate(Branch):
    """y = [f_1(x), ..., f_k(x)] joined along a per-sample axis (DenseNet, U-Net skips, Inception).

    Every path f_i gets the same input x.
    The ``concatenate`` merge of `Branch` (nnfs_core.layers.branch; see there for shapes and gradients).

    Parameters
    ----------
    branches : sequence of layers, names, config dicts, or lists of them (each a Sequential)
        The paths; ``"identity"`` is a skip connection.
    axis : int
        The per-sample axis to join along: 0 is the channels of (C, H, W) and the features of (F,).
    """

    example_args: ClassVar[dict[str, Any]] = {"branches": [[{"name": "dense", "output_size": 5}, "tanh"], "identity"]}

    def __init__(self, branches: Sequence[Any], *, axis: int = 0) -> None:
        super().__init__(branches, merge="concatenate", axis=axis)
