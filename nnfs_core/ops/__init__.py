"""Compute backends (docs/architecture.md, "Where speed lives").

A component asks ``self.ops`` for its products, kernels and normalisation reductions, and knows nothing of
threads, BLAS settings or scratch memory. Two backends ship with the core:

* ``numpy`` (``NumpyOps``): the readable, single-threaded reference;
* ``cpu`` (``CPUOps``, the default): the same maths cut over threads, the BLAS policy in one place.

Others come from packs through the ``nnfs.ops`` entry-point group. ``get`` turns a name, a config dict
or an instance into a backend; ``NNFS_OPS`` chooses the default.
"""

from __future__ import annotations

import os
from typing import Any

from nnfs_core.ops.base import Ops
from nnfs_core.ops.geometry import WindowGeometry, window_span

__all__ = ["Ops", "WindowGeometry", "window_span", "NumpyOps", "CPUOps", "get", "default_name", "ENV_OPS", "DEFAULT"]

ENV_OPS = "NNFS_OPS"
DEFAULT = "cpu"


def __getattr__(name: str) -> Any:
    # The backends are registry components: imported on first use, not by ``import nnfs_core``.
    if name == "CPUOps":
        from nnfs_core.ops.cpu_ops import CPUOps

        return CPUOps
    if name == "NumpyOps":
        from nnfs_core.ops.numpy_ops import NumpyOps

        return NumpyOps
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_name() -> str:
    """The backend a Network uses when none is given: ``NNFS_OPS`` if set, else ``"cpu"``."""
    return os.environ.get(ENV_OPS, "").strip() or DEFAULT


def get(spec: Any = None) -> Ops:
    """The backend for a name (``"numpy"``), a config dict, an instance, or None (the default).

    Backends named by the registry are shared: every network asking for ``"cpu"`` gets one instance. The
    core's own two are found even where the registry cannot see them (a plugin environment without
    nnfs-core's entry points, as some embedding applications build).
    """
    from nnfs_core import registry

    backend: Ops = registry.ops.shared(
        default_name() if spec is None else spec, base=Ops, what="compute backend",
        builtins={"cpu": lambda: __getattr__("CPUOps")(), "numpy": lambda: __getattr__("NumpyOps")()},
        hint="not an nnfs_core.ops.Ops; a backend subclasses Ops (see docs/architecture.md)")
    return backend
