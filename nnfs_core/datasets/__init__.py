"""Datasets, looked up by name in the ``datasets`` registry.

>>> from nnfs_core.datasets import load
>>> (x_train, y_train), (x_test, y_test) = load("digits")   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from nnfs_core.datasets._types import Split, Splits

__all__ = ["load", "Split", "Splits"]


def load(name: str, **options: Any) -> Splits:
    """Load a registered dataset by name (``"digits"``, ``"mnist-small"``, ...)."""
    from nnfs_core import registry

    splits: Splits = registry.datasets.get(name)(**options)
    return splits
