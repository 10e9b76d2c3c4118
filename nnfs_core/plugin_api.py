"""The plugin API version: which packs this nnfs-core can run, read without importing them.

A pack states the plugin API it was written for with one entry point in the group ``nnfs.plugin_api``,
whose *name* is the version and whose value is the pack's package:

```toml
[project.entry-points."nnfs.plugin_api"]
"2.0" = "nnfs_wavelets"
```

The name is read from the installed metadata, so a pack written for another core is reported by
``nnfs plugins`` (with both versions and the ``pip install`` that fixes it) without being imported, and
looking up one of its components raises `PluginLoadError` with the same message instead of failing
somewhere inside a ``fit``. A pack that declares nothing was written for the first release (API 1.0).

The policy (also in docs/writing-a-pack.md): a *minor* version adds (optional protocol members, kinds,
helpers); a pack written for ``M.m`` runs on every core providing ``M.n`` with ``n >= m``. A *major*
version changes what packs rely on; the core keeps accepting the majors in `ACCEPTED_MAJORS`, adapting
them (the first release's layers keep their cache on themselves; the Network wraps them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nnfs_core import registry
from nnfs_core.registry import normalize

__all__ = ["PLUGIN_API", "ACCEPTED_MAJORS", "GROUP", "UNDECLARED", "Incompatibility", "check", "declared_versions",
           "incompatible_packs", "problem_of"]

#: The plugin API this nnfs-core provides, ``"MAJOR.MINOR"``.
PLUGIN_API = "2.0"
#: Majors whose packs this core runs: its own, and the first release's (1.x, adapted by the Network).
ACCEPTED_MAJORS = (1, 2)
#: The entry-point group a pack declares its plugin API version in (the entry point's name is the version).
GROUP = registry.PLUGIN_API_GROUP
#: What a pack that declares nothing was written for: the first release, which had no declaration.
UNDECLARED = "1.0"

_VERSION = re.compile(r"^(\d+)\.(\d+)$")
_cache: dict[str, Incompatibility] | None = None


@dataclass(frozen=True)
class Incompatibility:
    """A pack this core cannot run: what it declares, why that does not fit, and the command that fixes it."""

    distribution: str
    version: str
    declared: str
    reason: str
    fix: str

    def message(self) -> str:
        return (f"{self.distribution}=={self.version} was written for nnfs plugin API {self.declared}, "
                f"but this nnfs-core provides plugin API {PLUGIN_API} ({self.reason}). Fix: {self.fix}")


def _parse(version: str) -> tuple[int, int] | None:
    found = _VERSION.match(version.strip())
    return (int(found.group(1)), int(found.group(2))) if found else None


def check(declared: str) -> str | None:
    """Why a pack declaring ``declared`` cannot run on this core, or None when it can."""
    parsed, provided = _parse(declared), _parse(PLUGIN_API)
    assert provided is not None
    if parsed is None:
        return f"{declared!r} is not a MAJOR.MINOR version"
    major, minor = parsed
    if major > provided[0] or (major == provided[0] and minor > provided[1]):
        return "the pack needs a newer nnfs-core"
    if major not in ACCEPTED_MAJORS:
        return f"this core accepts packs written for plugin API {', '.join(f'{m}.x' for m in ACCEPTED_MAJORS)}"
    return None


def declared_versions() -> dict[str, tuple[str, str, list[str]]]:
    """``{normalised distribution: (name, version, [declared versions])}`` of every declaring distribution."""
    return registry.declared_plugin_apis()


def _core_requirement(distribution: str) -> str | None:
    """The pack's requirement on nnfs-core (``nnfs-core>=0.3,<0.4``), markers dropped, or None."""
    from nnfs_core._compat import metadata

    try:
        requires = metadata.distribution(distribution).requires or []
    except metadata.PackageNotFoundError:
        return None
    for requirement in requires:
        text = requirement.split(";", 1)[0].strip()
        found = re.match(r"^([A-Za-z0-9._-]+)\s*(\[.*?\])?\s*\(?([^)]*)\)?$", text)
        if found and normalize(found.group(1)) == normalize("nnfs-core") and found.group(3).strip():
            return "nnfs-core" + found.group(3).replace(" ", "")
    return None


def _fix(distribution: str, declared: str) -> str:
    parsed = _parse(declared)
    provided = _parse(PLUGIN_API)
    if parsed is not None and provided is not None and parsed > provided:
        requirement = _core_requirement(distribution)
        if requirement:
            return f'pip install "{requirement}" (the nnfs-core {distribution} asks for)'
        return f"pip install --upgrade nnfs-core (to a release providing plugin API {declared})"
    return (f"pip install --upgrade {distribution} (a release written for plugin API {PLUGIN_API}), "
            f"or ask its authors for one")


def incompatible_packs() -> dict[str, Incompatibility]:
    """``{normalised distribution: Incompatibility}`` of the installed packs this core cannot run (cached
    until ``registry.refresh()``)."""
    global _cache
    if _cache is None:
        _cache = {}
        for key, (name, version, versions) in declared_versions().items():
            declared = versions[0] if len(versions) == 1 else " and ".join(sorted(versions))
            reason = check(declared) if len(versions) == 1 else "a pack declares one version, this one several"
            if reason is not None:
                _cache[key] = Incompatibility(name, version, declared, reason, _fix(name, declared))
    return _cache


def problem_of(distribution: str) -> Incompatibility | None:
    """The reason an installed distribution cannot run on this core, or None (undeclared counts as 1.0)."""
    return incompatible_packs().get(normalize(distribution))


def _forget() -> None:
    """Drop the cached declarations (``registry.refresh()`` calls this after a ``pip install``)."""
    global _cache
    _cache = None
