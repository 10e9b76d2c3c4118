"""Compatibility shims: the one place that chooses between standard library and backports.

``importlib-metadata`` (the backport) is used on every Python version, so that entry-point selection,
``Distribution.name`` and deduplication behave the same everywhere.
"""

from __future__ import annotations

import sys

import importlib_metadata as metadata

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["metadata", "tomllib"]
