"""Checks over a whole installed distribution: every entry point loads, names are unique, components conform."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from nnfs_core import registry
from nnfs_core.errors import NNFSError, PluginLoadError
from nnfs_core.registry import Entry
from nnfs_core.testing._common import ConformanceError, instance

__all__ = ["check_entries", "check_components", "check_distribution", "check_component"]


def check_entries(entries: Iterable[Entry]) -> list[str]:
    """Import every entry's target; return one line per failure (empty when all load)."""
    failures = []
    seen: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        try:
            entry.load()
        except PluginLoadError as error:
            failures.append(f"{entry.kind}/{entry.name} ({entry.distribution}=={entry.version}): "
                            f"{error.__cause__ or error!r}")
        other = seen.setdefault((entry.kind, entry.key), entry)
        if other is not entry and other.distribution != entry.distribution:
            failures.append(f"{entry.kind}/{entry.name}: provided by both {other.distribution}=={other.version} "
                            f"and {entry.distribution}=={entry.version}")
    return failures


def _check_initializer(factory: Any) -> None:
    init = instance(factory)
    values = init((4, 3), rng=np.random.default_rng(0), dtype=np.float32)
    if values.shape != (4, 3) or values.dtype != np.float32 or not np.isfinite(values).all():
        raise ConformanceError(f"{factory.__name__}: (4, 3) float32 gave {values.shape} {values.dtype}")


def _check_metric(factory: Any) -> None:
    metric = instance(factory)
    rng = np.random.default_rng(0)
    y_pred = rng.random((6, 4))
    value = None
    for y_true in (np.array([0, 1, 2, 3, 0, 1]), rng.random((6, 4))):  # class labels, else element-wise targets
        try:
            value = metric(y_pred, y_true)
            break
        except (NNFSError, ValueError):
            continue
    if not isinstance(value, float) or not np.isfinite(value) or not isinstance(getattr(metric, "name", None), str):
        raise ConformanceError(f"{factory.__name__}: returned {value!r}; a metric returns a float and has a name")


def check_component(entry: Entry) -> None:
    """The kind's checks for one entry (layers, activations, losses, optimizers, schedulers,
    initializers, metrics); callbacks, datasets and hooks only need to load."""
    from nnfs_core.testing._runner import check_layer, check_loss, check_optimizer, check_scheduler

    target = entry.load()
    runners: dict[str, Callable[[Any], None]] = {
        "layers": check_layer, "activations": check_layer, "losses": check_loss, "optimizers": check_optimizer,
        "schedulers": check_scheduler, "initializers": _check_initializer, "metrics": _check_metric,
    }
    if entry.kind in runners:
        runners[entry.kind](target)


def check_components(entries: list[Entry]) -> list[str]:
    """Load every entry and run its kind's checks; return one line per problem (empty when all conform)."""
    failures = check_entries(entries)
    broken = {failure.split(" ", 1)[0] for failure in failures}
    for entry in entries:
        if f"{entry.kind}/{entry.name}" in broken:
            continue
        try:
            check_component(entry)
        except (ConformanceError, NNFSError, TypeError, ValueError) as error:
            failures.append(f"{entry.kind}/{entry.name}: {error}")
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # noqa: BLE001 - the pack's code raised or exited: report it, check the rest
            failures.append(f"{entry.kind}/{entry.name} ({entry.distribution}=={entry.version}): its code raised "
                            f"{type(error).__name__}: {error}")
    return failures


def check_distribution(distribution: str) -> list[str]:
    """Run every check on every component of an installed distribution; return the failures (empty if none).

    The distribution's declared plugin API must be one this core runs (`nnfs_core.plugin_api`); names must
    load, be unique after normalisation within each kind, and each component must pass its kind's
    conformance checks (built from its class's ``example_args``).
    """
    from nnfs_core import plugin_api

    problem = plugin_api.problem_of(distribution)
    if problem is not None:
        return [problem.message()]
    wanted = registry.normalize(distribution)
    entries = [e for kind in registry.kinds() for e in registry.of_kind(kind).entries()
               if registry.normalize(e.distribution) == wanted]
    entries += [e for e in registry.hook_entries() if registry.normalize(e.distribution) == wanted]
    if not entries:
        return [f"{distribution}: no nnfs entry points found (is it installed? run `nnfs plugins`)"]
    return check_components(entries)
