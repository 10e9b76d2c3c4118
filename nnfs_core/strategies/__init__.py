"""Training strategies: how ``fit`` runs on one process or many (docs/distributed.md).

A strategy is a registry component (kind ``strategies``, entry-point group ``nnfs.strategies``). The core
registers ``single`` (``SingleProcess``), a pack another (nnfs-mpi's ``mpi``). ``get`` turns a name, a config
dict, an instance or None into the strategy to use; for None:

1. ``NNFS_STRATEGY``, if set, names it;
2. else the first registered strategy (by name) whose ``launched()`` says this process was started by
   its launcher (nnfs-mpi's, under ``mpiexec``);
3. else ``single``.
"""

from __future__ import annotations

import os
from typing import Any

from nnfs_core.strategies.base import Strategy

__all__ = ["Strategy", "SingleProcess", "get", "default_name", "ENV_STRATEGY", "DEFAULT"]

ENV_STRATEGY = "NNFS_STRATEGY"
DEFAULT = "single"


def __getattr__(name: str) -> Any:
    if name == "SingleProcess":  # a registry component: imported on first use
        from nnfs_core.strategies.single_process import SingleProcess

        return SingleProcess
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_name() -> str:
    """The strategy for a ``fit`` that names none (see the module docstring); asks each registered one."""
    from nnfs_core import registry
    from nnfs_core.errors import PluginLoadError

    named = os.environ.get(ENV_STRATEGY, "").strip()
    if named:
        return named
    for entry in registry.strategies.entries():
        if entry.key == registry.normalize(DEFAULT):
            continue
        try:
            if entry.load().launched():
                return entry.name
        except PluginLoadError:  # a broken pack breaks its own name only, and cannot have launched us
            continue
    return DEFAULT


def get(spec: Any = None) -> Strategy:
    """The strategy for a name (``"mpi"``), a config dict, an instance, or None (see ``default_name``).

    Strategies named by the registry are made once per process (an MPI strategy initialises MPI once);
    ``single`` is found even where the registry cannot see the core's entry points.
    """
    from nnfs_core import registry

    strategy: Strategy = registry.strategies.shared(
        default_name() if spec is None else spec, base=Strategy, what="strategy",
        builtins={DEFAULT: lambda: __getattr__("SingleProcess")()},
        hint="not an nnfs_core.strategies.Strategy; a strategy subclasses it (docs/distributed.md)")
    return strategy
