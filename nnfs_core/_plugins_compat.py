"""The part of ``nnfs plugins`` that reports packs written for another plugin API (see `nnfs_core.plugin_api`)."""

from __future__ import annotations

from collections.abc import Iterable

from nnfs_core import plugin_api


def report_incompatible(distributions: Iterable[str]) -> set[str]:
    """Print one paragraph per listed distribution this core cannot run; return their names."""
    found: set[str] = set()
    for distribution in sorted(set(distributions)):
        problem = plugin_api.problem_of(distribution)
        if problem is None:
            continue
        if not found:
            print(f"\nnnfs-core provides plugin API {plugin_api.PLUGIN_API} "
                  f"(accepts packs written for {', '.join(f'{m}.x' for m in plugin_api.ACCEPTED_MAJORS)} "
                  f"up to {plugin_api.PLUGIN_API})")
        print(f"INCOMPATIBLE  {problem.message()}")
        found.add(distribution)
    return found
