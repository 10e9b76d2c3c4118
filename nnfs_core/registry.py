"""Entry-point registries: one per kind of component, looked up by name.

Packs declare components as entry points (``relu = "nnfs_activations.relu:ReLU"`` in the group
``nnfs.activations``). The installed entry points are scanned once per process, lazily, without importing
anything; ``get`` imports one target on first use; ``refresh`` rescans after a ``pip install``.

```python
from nnfs_core import registry
registry.layers.names()
registry.layers.create("dense", output_size=8)
```
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from nnfs_core._first_party import FIRST_PARTY
from nnfs_core.errors import (
    ComponentConflictError,
    ComponentNotFoundError,
    ConfigError,
    NNFSError,
    PluginLoadError,
)

__all__ = [
    "KINDS",
    "HOOKS_GROUP",
    "Entry",
    "Registry",
    "normalize",
    "preferring",
    "refresh",
    "kinds",
    "of_kind",
    "config_of",
    "hook_entries",
    "disabled_entries",
    "declared_plugin_apis",
    "PLUGIN_API_GROUP",
    "ONNX_EXPORTERS_GROUP",
    "onnx_exporters",
    "layers",
    "activations",
    "losses",
    "optimizers",
    "schedulers",
    "initializers",
    "metrics",
    "callbacks",
    "datasets",
    "ops",
    "strategies",
]

KINDS: dict[str, str] = {
    "layers": "nnfs.layers",
    "activations": "nnfs.activations",
    "losses": "nnfs.losses",
    "optimizers": "nnfs.optimizers",
    "schedulers": "nnfs.schedulers",
    "initializers": "nnfs.initializers",
    "metrics": "nnfs.metrics",
    "callbacks": "nnfs.callbacks",
    "datasets": "nnfs.datasets",
    "ops": "nnfs.ops",
    "strategies": "nnfs.strategies",
}
HOOKS_GROUP = "nnfs.hooks"
#: A pack's plugin API version: the entry point's name is the version (see `nnfs_core.plugin_api`).
PLUGIN_API_GROUP = "nnfs.plugin_api"
#: ONNX exporters, one per component and named as it (``dense = "nnfs_core.layers._onnx:export_dense"``). Not a
#: kind of component: `onnx_exporters` looks them up, but ``nnfs plugins`` and the kit's kinds leave them out.
ONNX_EXPORTERS_GROUP = "nnfs.onnx_exporters"
IN_PROCESS = "<in-process>"

_SEPARATORS = re.compile(r"[-_.\s]+")


def normalize(name: str) -> str:
    """The lookup key of a name: case and the separators ``-``, ``_``, ``.`` do not matter."""
    return _SEPARATORS.sub("", name).lower()


def _env_list(variable: str) -> list[str]:
    return [item.strip() for item in os.environ.get(variable, "").split(",") if item.strip()]


#: ``{(kind, normalised name): normalised distribution}`` recorded by the model file being loaded; it
#: settles name clashes inside ``preferring`` (per thread and task, never process-wide).
_recorded_distributions: ContextVar[Mapping[tuple[str, str], str] | None] = ContextVar("nnfs_recorded", default=None)


@contextlib.contextmanager
def preferring(record: Mapping[tuple[str, str], str]) -> Iterator[None]:
    """Inside the block, a name two distributions provide resolves to the one ``record`` names.

    ``record`` maps ``(kind, name)`` to a distribution, as a model file records which pack provided each
    of its components; lookups in other threads are not affected.
    """
    pins = {(kind, normalize(name)): normalize(dist) for (kind, name), dist in record.items()}
    token = _recorded_distributions.set(pins)
    try:
        yield
    finally:
        _recorded_distributions.reset(token)


def _strict() -> bool:
    return os.environ.get("NNFS_STRICT_PLUGINS", "").strip().lower() not in ("", "0", "false", "no")


@dataclass
class Entry:
    """One component as installed: where it comes from, and whether it has been imported yet."""

    name: str
    kind: str
    target: str
    distribution: str
    version: str
    entry_point: Any = field(default=None, repr=False)
    obj: Any = field(default=None, repr=False)

    @property
    def key(self) -> str:
        return normalize(self.name)

    @property
    def loaded(self) -> bool:
        return self.obj is not None

    def load(self) -> Any:
        """Import the target (once) and return it; failures become ``PluginLoadError``."""
        if self.obj is None:
            from nnfs_core import plugin_api

            problem = plugin_api.problem_of(self.distribution)
            if problem is not None:  # refused before its import, which may fail in obscure ways
                raise PluginLoadError(f"{self.kind} component {self.name!r}: {problem.message()}", name=self.name)
            try:
                self.obj = self.entry_point.load()
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # noqa: BLE001 - sys.exit() or any odd exception on import breaks only the pack
                raise PluginLoadError(
                    f"{self.kind} component {self.name!r} from {self.distribution}=={self.version} could not "
                    f"be loaded ({self.target}): {type(error).__name__}: {error}. Reinstall or upgrade "
                    f"{self.distribution}, or switch it off with NNFS_DISABLE_PLUGINS={self.distribution}",
                    name=self.name,
                ) from error
        return self.obj


@dataclass
class _Scan:
    by_group: dict[str, list[Entry]]
    disabled: dict[str, list[Entry]]
    plugin_apis: dict[str, tuple[str, str, list[str]]] = field(default_factory=dict)


_scan_cache: _Scan | None = None


def _scan() -> _Scan:
    """Read every nnfs entry point of every installed distribution, once per process."""
    global _scan_cache
    if _scan_cache is not None:
        return _scan_cache
    from nnfs_core._compat import metadata

    disabled_dists = {normalize(name) for name in _env_list("NNFS_DISABLE_PLUGINS")}
    groups = {group: kind for kind, group in KINDS.items()} | {HOOKS_GROUP: "hooks",
                                                               ONNX_EXPORTERS_GROUP: "onnx_exporters"}
    scan = _Scan({group: [] for group in groups}, {group: [] for group in groups})
    seen: set[tuple[str, str, str, str]] = set()
    for entry_point in metadata.entry_points():
        dist = entry_point.dist
        dist_name = dist.name if dist is not None else "unknown"
        if entry_point.group == PLUGIN_API_GROUP:
            version = dist.version if dist is not None else "unknown"
            declared = scan.plugin_apis.setdefault(normalize(dist_name), (dist_name, version, []))[2]
            if entry_point.name not in declared:
                declared.append(entry_point.name)
            continue
        if entry_point.group not in groups:
            continue
        identity = (entry_point.group, normalize(entry_point.name), normalize(dist_name), entry_point.value)
        if identity in seen:  # the same distribution listed twice (stale metadata) is not a conflict
            continue
        seen.add(identity)
        entry = Entry(
            name=entry_point.name,
            kind=groups[entry_point.group],
            target=entry_point.value,
            distribution=dist_name,
            version=dist.version if dist is not None else "unknown",
            entry_point=entry_point,
        )
        bucket = scan.disabled if normalize(dist_name) in disabled_dists else scan.by_group
        bucket[entry_point.group].append(entry)
    if _strict():
        for entries in scan.by_group.values():
            for entry in entries:
                entry.load()
    _scan_cache = scan
    return scan


def refresh() -> None:
    """Forget the scanned entry points so that the next lookup sees packs installed since start-up."""
    global _scan_cache
    _scan_cache = None
    # The import system and importlib_metadata cache directory listings, keyed on the directory's
    # modification time, which can miss a fresh install; forget them too.
    importlib.invalidate_caches()
    from nnfs_core import _hooks, plugin_api

    plugin_api._forget()

    _hooks.forget_hook_plugins()


def disabled_entries() -> list[Entry]:
    """Installed entry points that ``NNFS_DISABLE_PLUGINS`` switches off (all kinds and hooks), not imported."""
    return [entry for entries in _scan().disabled.values() for entry in entries]


def declared_plugin_apis() -> dict[str, tuple[str, str, list[str]]]:
    """``{normalised distribution: (name, version, [plugin API versions it declares])}``, imports nothing."""
    return {key: (name, version, list(declared)) for key, (name, version, declared) in _scan().plugin_apis.items()}


def hook_entries() -> list[Entry]:
    """Entry points of the ``nnfs.hooks`` group (lifecycle plugins), not imported."""
    return list(_scan().by_group[HOOKS_GROUP])


class Registry:
    """The components of one kind, by name. See the module docstring."""

    def __init__(self, kind: str, group: str, fallbacks: tuple[str, ...] = ()) -> None:
        self.kind = kind
        self.group = group
        self.fallbacks = fallbacks
        self._local: dict[str, Entry] = {}
        self._preferred: dict[str, str] = {}
        self._shared: dict[str, Any] = {}  # see shared()

    def __repr__(self) -> str:
        return f"<Registry {self.kind} ({self.group})>"

    # -- listing (never imports) -------------------------------------------------------------------
    def _by_key(self) -> dict[str, list[Entry]]:
        found: dict[str, list[Entry]] = {}
        for entry in _scan().by_group[self.group]:
            found.setdefault(entry.key, []).append(entry)
        for key, entry in self._local.items():
            found[key] = [entry]  # in-process registrations (override=True) shadow entry points
        return found

    def entries(self) -> list[Entry]:
        """Every installed entry of this kind (conflicting ones included), sorted by name."""
        return sorted((e for group in self._by_key().values() for e in group), key=lambda e: (e.key, e.distribution))

    def names(self) -> list[str]:
        """Sorted display names, one per component; imports nothing."""
        return sorted({group[0].name for group in self._by_key().values()}, key=normalize)

    def __contains__(self, name: object) -> bool:
        """Whether ``get`` knows the name (layers also accept activation names)."""
        if not isinstance(name, str):
            return False
        return normalize(name) in self._by_key() or any(name in of_kind(kind) for kind in self.fallbacks)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._by_key())

    # -- lookup --------------------------------------------------------------------------------------
    def entry(self, name: str) -> Entry:
        """The entry a name resolves to, without importing it (conflicts are resolved here)."""
        if not isinstance(name, str):
            raise TypeError(f"{self.kind} are looked up by name (a str), got {name!r}")
        candidates = self._by_key().get(normalize(name))
        if not candidates:
            for kind in self.fallbacks:
                fallback = of_kind(kind)
                if name in fallback:
                    return fallback.entry(name)
            raise ComponentNotFoundError(self._not_found_message(name))
        return self._choose(name, candidates)

    def get(self, name: str) -> Any:
        """The component (usually a class) registered under ``name``, imported on first use."""
        return self.entry(name).load()

    def create(self, spec: str | dict[str, Any], /, **config: Any) -> Any:
        """Instantiate a component from its name and arguments, or from a ``{"name": ..., **args}`` dict.

        A layer's config may say ``"trainable": False`` (``trainable = false`` in TOML): the layer is created
        frozen (see ``Network.freeze``); the flag is not passed to the constructor.
        """
        if isinstance(spec, dict):
            spec = dict(spec)
            if "name" not in spec:
                raise ConfigError(f"a {self.kind} config dict needs a 'name' key, got keys {sorted(spec)}")
            name = spec.pop("name")
            config = {**spec, **config}
        else:
            name = spec
        trainable = True
        if self.kind == "layers" and "trainable" in config:  # a layer's flag (freezing), not an argument
            config = dict(config)
            trainable = config.pop("trainable")
            if not isinstance(trainable, bool):
                raise ConfigError(f"layer {name!r}: trainable must be true or false, got {trainable!r}")
        factory = self.get(name)
        try:
            component = factory(**config)
        except NNFSError:
            raise
        except (TypeError, ValueError) as error:
            raise ConfigError(f"could not create {self.kind} component {name!r} with {config}: {error}") from error
        if not trainable:
            component.trainable = False
        return component

    def resolve(self, spec: Any, *, wrap: Callable[[Any], Any] | None = None) -> Any:
        """Accept an instance (returned as is), a name, a config dict, or a class (instantiated).

        The one ``resolve`` of the project. With ``wrap``, a plain function - given, or registered under a
        name - becomes ``wrap(function)``: kinds whose components may be functions (initializers, metrics)
        pass their wrapper class.
        """
        if isinstance(spec, (str, Mapping)):
            config = {"name": spec} if isinstance(spec, str) else dict(spec)
            if wrap is not None and set(config) == {"name"}:
                target = self.get(config["name"])
                if not isinstance(target, type):
                    return wrap(target)  # a pack may register a plain function
            return self.create(config)
        if isinstance(spec, type):
            return spec()
        if wrap is not None and callable(spec) and not hasattr(spec, "get_config"):
            return wrap(spec)
        return spec

    def shared(self, spec: Any, *, base: type, builtins: Mapping[str, Callable[[], Any]], what: str,
               hint: str) -> Any:
        """``resolve`` for kinds whose named components are process-wide singletons (backends, strategies).

        A name gives one instance per process, made on first use (an MPI strategy initialises MPI once;
        every network asking for ``"cpu"`` shares one backend); ``builtins`` makes the core's own even where
        the registry cannot see the core's entry points (an environment without nnfs-core's metadata). A
        dict or class gives a new instance, an instance is returned as is. The result must be a ``base``:
        otherwise ``ConfigError`` names the ``what`` and the type it got, then says ``hint``.
        """
        if isinstance(spec, str):
            key = normalize(spec)
            if key not in self._shared:
                try:
                    self._shared[key] = self.create(spec)
                except ComponentNotFoundError:
                    if key not in builtins:
                        raise
                    self._shared[key] = builtins[key]()
            component = self._shared[key]
        else:
            component = self.resolve(spec)
        if not isinstance(component, base):
            raise ConfigError(f"the {what} {spec!r} is a {type(component).__name__}, {hint}")
        return component

    def prefer(self, name: str, distribution: str) -> None:
        """Resolve a name clash in code: ``registry.activations.prefer("relu", "nnfs-activations")``."""
        self._preferred[normalize(name)] = normalize(distribution)

    def register(self, name: str, *, override: bool = False) -> Callable[[Any], Any]:
        """Decorator adding an in-process component: ``@registry.layers.register("my_dense")``."""

        def decorator(obj: Any) -> Any:
            key = normalize(name)
            if not override and key in self._by_key():
                taken = self._by_key()[key][0]
                raise ComponentConflictError(
                    f"{self.kind} name {name!r} is already taken by {taken.target} from "
                    f"{taken.distribution}=={taken.version}; pass override=True to replace it"
                )
            target = f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', repr(obj))}"
            self._local[key] = Entry(name, self.kind, target, IN_PROCESS, "", obj=obj)
            return obj

        return decorator

    def unregister(self, name: str) -> None:
        """Remove an in-process registration (entry points stay)."""
        self._local.pop(normalize(name), None)

    # -- helpers -------------------------------------------------------------------------------------
    def _choose(self, name: str, candidates: list[Entry]) -> Entry:
        if len({normalize(entry.distribution) for entry in candidates}) == 1:
            return candidates[0]
        key = normalize(name)
        recorded = (_recorded_distributions.get() or {}).get((self.kind, key))
        for entry in candidates:
            if recorded is not None and normalize(entry.distribution) == recorded:
                return entry
        pins = dict(self._preferred)
        for pin in _env_list("NNFS_PREFER"):
            pinned_name, _, dist = pin.partition("=")
            pins.setdefault(normalize(pinned_name), normalize(dist))
        for entry in candidates:
            if pins.get(key) == normalize(entry.distribution):
                return entry
        described = " and ".join(f"{e.distribution}=={e.version} ({e.target})" for e in candidates)
        first = candidates[0].distribution
        raise ComponentConflictError(
            f"{self.kind} component {name!r} is provided by more than one distribution: {described}. "
            f'Pin one with NNFS_PREFER="{name}={first}" or registry.{self.kind}.prefer("{name}", "{first}"), '
            f"or uninstall the other"
        )

    def _not_found_message(self, name: str) -> str:
        kinds = (self.kind, *self.fallbacks)
        registries = [self, *(of_kind(kind) for kind in self.fallbacks)]  # self may be no kind (onnx_exporters)
        available = {registry.kind: registry.names() for registry in registries}
        lines = [f"No {self.kind} component named {name!r}."]
        key = normalize(name)
        disabled = {entry.distribution for registry in registries for entry in _scan().disabled[registry.group]
                    if entry.key == key}
        for dist in sorted(disabled):
            lines.append(f"It comes from {dist}, which NNFS_DISABLE_PLUGINS switches off.")
        for dist, provided in FIRST_PARTY.items():
            wanted = any(key in {normalize(n) for n in provided.get(kind, ())} for kind in kinds)
            if wanted and normalize(dist) not in {normalize(d) for d in disabled}:
                lines.append(f"It is provided by the pack {dist}, which is not installed: pip install {dist}")
        pool = {normalize(n): n for names in available.values() for n in names}
        close = difflib.get_close_matches(key, list(pool), n=3, cutoff=0.6)
        if close:
            lines.append("Did you mean " + " or ".join(repr(pool[c]) for c in close) + "?")
        for kind, names in available.items():
            lines.append(f"Available {kind}: {', '.join(names) if names else '(none installed)'}.")
        return " ".join(lines)

    def name_of(self, obj: Any) -> str | None:
        """The registered name of a component instance or class, or None (imports nothing)."""
        cls = obj if isinstance(obj, type) else type(obj)
        target = f"{cls.__module__}:{cls.__qualname__}"
        matches = [e for g in self._by_key().values() for e in g if e.obj is cls or e.target == target]
        if not matches:
            return None
        preferred = [e for e in matches if e.key == normalize(cls.__name__)]
        return (preferred or sorted(matches, key=lambda e: e.key))[0].name


layers = Registry("layers", KINDS["layers"], fallbacks=("activations",))
activations = Registry("activations", KINDS["activations"])
losses = Registry("losses", KINDS["losses"])
optimizers = Registry("optimizers", KINDS["optimizers"])
schedulers = Registry("schedulers", KINDS["schedulers"])
initializers = Registry("initializers", KINDS["initializers"])
metrics = Registry("metrics", KINDS["metrics"])
callbacks = Registry("callbacks", KINDS["callbacks"])
datasets = Registry("datasets", KINDS["datasets"])
ops = Registry("ops", KINDS["ops"])
strategies = Registry("strategies", KINDS["strategies"])

#: The ONNX exporter of each exportable component, by the component's registered name (nnfs_core.onnx).
onnx_exporters = Registry("onnx_exporters", ONNX_EXPORTERS_GROUP)

_REGISTRIES = {registry.kind: registry for registry in (
    layers, activations, losses, optimizers, schedulers, initializers, metrics, callbacks, datasets, ops, strategies
)}


def kinds() -> list[str]:
    return list(_REGISTRIES)


def of_kind(kind: str) -> Registry:
    """The registry of a kind by its name (``"layers"``, ``"optimizers"``, ...)."""
    try:
        return _REGISTRIES[kind]
    except KeyError:
        raise ComponentNotFoundError(f"no component kind {kind!r}; kinds are {', '.join(_REGISTRIES)}") from None


def config_of(component: Any) -> dict[str, Any]:
    """``{"name": <registered name>, **component.get_config()}``; raises if the class is not registered."""
    for registry in _REGISTRIES.values():
        name = registry.name_of(component)
        if name is not None:
            return {"name": name, **component.get_config()}
    cls = type(component)
    raise ConfigError(
        f"{cls.__module__}.{cls.__qualname__} is not registered under any kind, so it cannot be written to "
        f"a config; register it with an entry point or @registry.<kind>.register(name)"
    )
