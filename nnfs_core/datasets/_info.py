"""What ``nnfs datasets`` shows of a dataset without loading it: the loader's ``describe()``.

A loader registered under ``nnfs.datasets`` may carry a ``describe`` attribute, a function of no
arguments returning a ``DatasetInfo``, set with the ``described_by`` decorator. It must be cheap:
it reads headers, never the data. Loaders without one are listed with unknown sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["DatasetInfo", "described_by", "describe"]

Loader = TypeVar("Loader", bound=Callable[..., Any])


@dataclass(frozen=True)
class DatasetInfo:
    """Sizes and origin of a dataset, as far as they can be known without loading it.

    ``sample_shape`` is per sample, batch axis excluded (``(1, 28, 28)``). ``source`` is ``"embedded"``,
    the directory the files are read from, or why the dataset is not available (``available`` False);
    sizes are None when unknown.
    """

    train_size: int | None
    test_size: int | None
    sample_shape: tuple[int, ...] | None
    source: str
    available: bool


def described_by(describe: Callable[[], DatasetInfo]) -> Callable[[Loader], Loader]:
    """Decorator attaching ``describe`` to a dataset loader as ``loader.describe``."""

    def decorate(loader: Loader) -> Loader:
        setattr(loader, "describe", describe)  # noqa: B010 - a plain attribute would not type-check
        return loader

    return decorate


def describe(loader: Any) -> DatasetInfo | None:
    """The loader's ``DatasetInfo``, or None when it has no ``describe``."""
    function = getattr(loader, "describe", None)
    return function() if callable(function) else None
