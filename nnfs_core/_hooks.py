"""The plugin manager that runs lifecycle hooks for one ``fit``.

Installed ``nnfs.hooks`` plugins are imported once per process, one by one: a plugin that fails to
import, to instantiate, or whose hooks do not match the specifications is skipped with a warning naming
its distribution (or, with ``NNFS_STRICT_PLUGINS=1``, raises ``PluginLoadError``),
so a broken pack never stops training. A plugin whose hook raises while training runs is switched off for
the rest of the process with the same warning (or error in strict mode): the user did not ask for it in
this ``fit``, so it must not end it. Callbacks passed to ``fit`` are the user's own and raise as usual.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Iterable
from typing import Any

import pluggy

from nnfs_core import hookspecs
from nnfs_core.errors import PluginLoadError

__all__ = ["PluginManager", "make_plugin_manager", "hook_plugins", "forget_hook_plugins", "HookPluginWarning"]


class HookPluginWarning(UserWarning):
    """An installed ``nnfs.hooks`` plugin could not be loaded, or raised, and was switched off."""


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that also accepts undecorated methods named like a hook specification."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        # pluggy reads every attribute of a plugin looking for hook markers, which would evaluate
        # properties (they may raise before fitting starts, or be costly). Hooks are functions.
        static = inspect.getattr_static(plugin, name, None)
        if hasattr(type(static), "__get__") and not (
            inspect.isfunction(static) or inspect.ismethod(static) or inspect.isbuiltin(static)
            or isinstance(static, (staticmethod, classmethod))
        ):
            return None
        options = super().parse_hookimpl_opts(plugin, name)
        if options is None and name in hookspecs.HOOK_NAMES and callable(getattr(plugin, name, None)):
            return {}
        return options


_loaded: list[tuple[str, Any]] | None = None
_origins: dict[str, tuple[str, str]] = {}  # plugin name -> ("nnfs.hooks plugin 'x' from dist==1.0", dist)
_switched_off: set[str] = set()  # plugins whose hook raised during this process


def hook_plugins() -> list[tuple[str, Any]]:
    """``(name, plugin)`` for every installed ``nnfs.hooks`` entry point that imports."""
    global _loaded
    if _loaded is None:
        from nnfs_core import registry

        _loaded = []
        for entry in registry.hook_entries():
            try:
                plugin = _load_hook_plugin(entry)
            except PluginLoadError as error:
                if registry._strict():
                    raise
                warnings.warn(str(error), HookPluginWarning, stacklevel=2)
                continue
            name = f"{entry.distribution}:{entry.name}"
            _origins[name] = (f"nnfs.hooks plugin {entry.name!r} from {entry.distribution}=={entry.version}",
                              entry.distribution)
            _loaded.append((name, plugin))
    return [(name, plugin) for name, plugin in _loaded if name not in _switched_off]


def _load_hook_plugin(entry: Any) -> Any:
    """Import one plugin, instantiate it if it is a class and check its hooks against the specs."""
    plugin = entry.load()
    try:
        if isinstance(plugin, type):
            plugin = plugin()
        PluginManager().register(plugin)  # raises on a hook taking arguments the spec does not have
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # noqa: BLE001 - sys.exit() or any odd exception breaks only the plugin
        raise PluginLoadError(
            f"nnfs.hooks plugin {entry.name!r} from {entry.distribution}=={entry.version} is not usable "
            f"({entry.target}): {type(error).__name__}: {error}. Reinstall or upgrade {entry.distribution}, "
            f"or switch it off with NNFS_DISABLE_PLUGINS={entry.distribution}",
            name=entry.name,
        ) from error
    return plugin


def forget_hook_plugins() -> None:
    global _loaded
    _loaded = None
    _origins.clear()
    _switched_off.clear()


def _isolate(manager: PluginManager, plugin: Any, name: str) -> None:
    """Wrap each hook implementation of an installed plugin so that an exception switches the plugin off."""
    for caller in manager.get_hookcallers(plugin) or ():
        for implementation in caller.get_hookimpls():
            if implementation.plugin is plugin:
                # pluggy calls implementation.function with the arguments it read from the original.
                setattr(implementation, "function", _guarded(implementation.function, name, caller.name))  # noqa: B010


def _guarded(function: Any, name: str, hook: str) -> Any:
    @functools.wraps(function)
    def call(*args: Any) -> Any:
        if name in _switched_off:
            return None
        try:
            return function(*args)
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # noqa: BLE001 - a hook calling sys.exit() switches off only its plugin
            from nnfs_core import registry

            described, distribution = _origins.get(name, (f"nnfs.hooks plugin {name!r}", name.split(":")[0]))
            message = (f"{described} raised in {hook}: {type(error).__name__}: {error}. It is switched off for "
                       f"the rest of this process; upgrade or fix {distribution}, or switch it off with "
                       f"NNFS_DISABLE_PLUGINS={distribution}")
            if registry._strict():
                raise PluginLoadError(message, name=name) from error
            _switched_off.add(name)
            warnings.warn(message, HookPluginWarning, stacklevel=2)
            return None

    return call


def make_plugin_manager(callbacks: Iterable[Any] = ()) -> PluginManager:
    """A fresh manager holding the installed hook plugins and ``callbacks`` (called in the given order)."""
    manager = PluginManager()
    # pluggy calls the most recently registered implementation first; register in reverse to keep order.
    for callback in reversed(list(callbacks)):
        manager.register(callback)
    for name, plugin in hook_plugins():
        if manager.is_registered(plugin):
            continue
        manager.register(plugin, name=name)
        _isolate(manager, plugin, name)
    return manager
