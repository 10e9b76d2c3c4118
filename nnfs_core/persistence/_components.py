"""Provenance: which pack (distribution and version) provided each component, and checking it on load."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from nnfs_core import registry
from nnfs_core._version import __version__
from nnfs_core.errors import ComponentNotFoundError
from nnfs_core.persistence._errors import MissingComponentError, NameClashWarning, VersionMismatchWarning
from nnfs_core.persistence._header import Component

__all__ = ["describe", "check_installed"]

_NESTED_KINDS = ("layers", "activations", "initializers")


def _component(role: str, obj: Any, kinds: tuple[str, ...]) -> Component | None:
    for kind in kinds:
        name = registry.of_kind(kind).name_of(obj)
        if name is not None:
            entry = registry.of_kind(kind).entry(name)
            return Component(role, kind, entry.name, entry.distribution, entry.version)
    return None


def _named(role: str, spec: Any, kind: str) -> Component | None:
    """A component given by name or config dict (metrics are stored that way), or by instance."""
    name = spec if isinstance(spec, str) else spec.get("name") if isinstance(spec, dict) else None
    if name is None:
        return _component(role, spec, (kind,))
    entry = registry.of_kind(kind).entry(name)
    return Component(role, kind, entry.name, entry.distribution, entry.version)


def describe(network: Any) -> list[Component]:
    """Every component of ``network`` with its kind, registry name, distribution and version.

    Besides each layer, registered components a layer keeps as attributes are listed too (a Dense's
    activation, ``role="layers.3._activation"``), so that loading can name every pack it needs.
    """
    found: list[Component] = []
    for index, layer in enumerate(network.layers):
        own = _component(f"layers.{index}", layer, ("layers", "activations"))
        if own is not None:
            found.append(own)
        for attribute, value in sorted(vars(layer).items()):
            if value is None or isinstance(value, (str, int, float, bool, dict, list, tuple, np.ndarray)):
                continue
            nested = _component(f"layers.{index}.{attribute}", value, _NESTED_KINDS)
            if nested is not None:
                found.append(nested)
    for role, kind in (("loss", "losses"), ("optimizer", "optimizers"), ("scheduler", "schedulers")):
        component = getattr(network, role)
        if component is not None:
            described = _component(role, component, (kind,))
            if described is not None:
                found.append(described)
    for index, metric in enumerate(network.metrics or ()):
        described = _named(f"metrics.{index}", metric, "metrics")
        if described is not None:
            found.append(described)
    return found


def _missing(component: Component, path: str, error: Exception) -> MissingComponentError:
    what = f"{path}: {component.role} is the {component.kind} component {component.name!r}"
    if component.distribution == registry.IN_PROCESS:
        return MissingComponentError(
            f"{what}, which was registered in-process when the file was saved; register it again "
            f"(@registry.{component.kind}.register({component.name!r})) before loading"
        )
    wanted = registry.normalize(component.distribution)
    if any(registry.normalize(entry.distribution) == wanted for entry in registry.disabled_entries()):
        return MissingComponentError(
            f"{what} from {component.distribution} {component.version}, which is installed but switched off "
            f"by NNFS_DISABLE_PLUGINS; remove {component.distribution} from that variable to load this file"
        )
    return MissingComponentError(
        f"{what} from {component.distribution} {component.version}, which is not installed here: "
        f"pip install '{component.distribution}=={component.version}'"
    )


def _warn_about_clash(entry: Any, component: Component, path: str) -> None:
    """Say so when other installed packs provide the same name too (the file's record chose ``entry``)."""
    others = sorted({f"{other.distribution}=={other.version}" for other in registry.of_kind(entry.kind).entries()
                     if other.key == entry.key and registry.normalize(other.distribution)
                     != registry.normalize(entry.distribution)})
    if others:
        warnings.warn(
            f"{path}: {component.role} is the {entry.kind} component {component.name!r}, which "
            f"{', '.join(others)} provides too; using {entry.distribution}=={entry.version}, as the file records",
            NameClashWarning,
            stacklevel=5,
        )


def check_installed(components: list[Component], core_version: str, path: str) -> None:
    """Raise ``MissingComponentError`` for the first component nobody provides; warn about versions.

    Called inside ``preferring`` the file's record, so that a name another pack
    provides too resolves to the recorded distribution (with a ``NameClashWarning``).
    Nothing is imported: only the installed entry points' metadata is read.
    """
    differing: dict[str, tuple[str, str]] = {}
    if core_version != __version__:
        differing["nnfs-core"] = (core_version, __version__)
    for component in components:
        try:
            entry = registry.of_kind(component.kind).entry(component.name)
        except ComponentNotFoundError as error:
            raise _missing(component, path, error) from error
        if entry.distribution == registry.IN_PROCESS:
            continue
        _warn_about_clash(entry, component, path)
        if registry.normalize(entry.distribution) != registry.normalize(component.distribution):
            differing[component.distribution] = (component.version, f"{entry.distribution} {entry.version}")
        elif entry.version != component.version:
            differing[component.distribution] = (component.version, entry.version)
    for distribution, (saved, installed) in sorted(differing.items()):
        warnings.warn(
            f"{path} was saved with {distribution} {saved}, but {installed} is installed; the model loads, "
            f"but its components may behave differently",
            VersionMismatchWarning,
            stacklevel=4,
        )
