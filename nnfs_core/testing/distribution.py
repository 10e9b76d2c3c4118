"""Checks over installed entry points: every target imports, names are unique per kind."""

from __future__ import annotations

from collections.abc import Iterable

from nnfs_core.errors import PluginLoadError
from nnfs_core.registry import Entry

__all__ = ["check_entries"]


def check_entries(entries: Iterable[Entry]) -> list[str]:
    """Import every entry's target; return one line per failure (empty when all load)."""
    failures = []
    seen: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        try:
            entry.load()
        except PluginLoadError as error:
            failures.append(f"{entry.kind}/{entry.name} ({entry.distribution}=={entry.version}): {error.__cause__!r}")
        other = seen.setdefault((entry.kind, entry.key), entry)
        if other is not entry and other.distribution != entry.distribution:
            failures.append(
                f"{entry.kind}/{entry.name}: provided by both {other.distribution}=={other.version} "
                f"and {entry.distribution}=={entry.version}"
            )
    return failures
