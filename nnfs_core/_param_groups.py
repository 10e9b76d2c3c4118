"""Parameter groups: which named parameters get which optimizer hyperparameters (as ``torch.optim``'s).

A group is ``{"params": <pattern or list of patterns>, <hyperparameter>: <value>, ...}``. A pattern is an
``fnmatch`` pattern over parameter paths (``"layers.*.bias"``, ``"layers.0"``); a pattern naming a layer
selects all its parameters. Parameters no group selects use the optimizer's own hyperparameters (the
default group). As in torch, a parameter may not be in two groups. See docs/training.md.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from nnfs_core.errors import ConfigError
from nnfs_core.validation import check_number

__all__ = ["normalize_groups", "matches", "assign", "unmatched_patterns", "by_name", "check_hyperparameters",
           "overriding"]

Array = Any


def normalize_groups(owner: str, groups: Any) -> list[dict[str, Any]]:
    """``groups`` as a list of dicts whose ``"params"`` is a tuple of pattern strings (checked)."""
    if groups is None:
        return []
    if isinstance(groups, Mapping) or isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence):
        raise ConfigError(f"{owner}: param_groups must be a list of dicts such as "
                          f"[{{'params': 'layers.*.bias', 'weight_decay': 0}}], got {groups!r:.120}")
    normalized = []
    for index, group in enumerate(groups):
        if not isinstance(group, Mapping) or "params" not in group:
            raise ConfigError(f"{owner}: param_groups[{index}] must be a dict with a 'params' key (a path pattern "
                              f"such as 'layers.0.*' or a list of them), got {group!r:.120}")
        patterns = group["params"]
        patterns = (patterns,) if isinstance(patterns, str) else tuple(patterns)
        if not patterns or not all(isinstance(pattern, str) and pattern for pattern in patterns):
            raise ConfigError(f"{owner}: param_groups[{index}]['params'] must be a non-empty pattern string or "
                              f"list of them, got {group['params']!r:.120}")
        for key, value in group.items():
            if key != "params":
                _check_finite(owner, f"param_groups[{index}][{key!r}]", value)
        normalized.append({**group, "params": patterns})
    return normalized


def _check_finite(owner: str, name: str, value: Any) -> None:
    """Refuse an infinite or NaN number, alone or in a sequence (``betas``), when the group is made; the
    optimizer's own checks of everything else run once the network is built (``check_hyperparameters``)."""
    items = enumerate(value) if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else [(None, value)]
    for position, item in items:
        if isinstance(item, numbers.Real) and not isinstance(item, bool):
            try:
                check_number(owner, name if position is None else f"{name}[{position}]", item)
            except (TypeError, ValueError) as error:
                raise ConfigError(str(error)) from None


def matches(name: str, patterns: Iterable[str]) -> bool:
    """Whether the parameter path ``name`` is selected by one of ``patterns`` (a layer path selects its own)."""
    return any(fnmatchcase(name, pattern) or fnmatchcase(name, pattern + ".*") for pattern in patterns)


def assign(owner: str, names: Iterable[str], groups: Sequence[Mapping[str, Any]]) -> list[int]:
    """For each name, the index of the group that selects it, or -1 for the default group."""
    indices = []
    for name in names:
        chosen = [index for index, group in enumerate(groups) if matches(name, group["params"])]
        if len(chosen) > 1:
            raise ConfigError(f"{owner}: parameter {name!r} is selected by param_groups {chosen[0]} and {chosen[1]}; "
                              f"as in torch.optim a parameter may be in one group only, so narrow the patterns")
        indices.append(chosen[0] if chosen else -1)
    return indices


def unmatched_patterns(names: Sequence[str], groups: Sequence[Mapping[str, Any]]) -> list[tuple[int, str]]:
    """``(group index, pattern)`` for every pattern that selects none of ``names``."""
    return [(index, pattern) for index, group in enumerate(groups) for pattern in group["params"]
            if not any(matches(name, (pattern,)) for name in names)]


def check_hyperparameters(optimizer: Any) -> None:
    """Check each group's hyperparameters by building the optimizer with them (its own checks run), and
    store the checked values (``betas`` as a tuple, numbers as floats) back into the group."""
    owner = type(optimizer).__name__
    config = {key: value for key, value in optimizer.get_config().items() if key != "param_groups"}
    for index, group in enumerate(optimizer.param_groups):
        overrides = {key: value for key, value in group.items() if key != "params"}
        unknown = sorted(set(overrides) - set(config))
        if unknown:
            hint = " (nnfs spells torch's lr as learning_rate)" if "lr" in unknown else ""
            raise ConfigError(f"{owner}: param_groups[{index}] sets {unknown}, which are not hyperparameters of "
                              f"{owner}; known: {sorted(config)}{hint}")
        try:
            twin = type(optimizer)(**{**config, **overrides})
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{owner}: param_groups[{index}]: {error}") from error
        group.update({key: getattr(twin, key) for key in overrides})


@contextlib.contextmanager
def overriding(owner: Any, values: Mapping[str, Any]) -> Iterator[None]:
    """``values`` set as attributes of ``owner`` inside the block, the previous ones put back after it."""
    saved = {key: getattr(owner, key) for key in values}
    try:
        for key, value in values.items():
            setattr(owner, key, value)
        yield
    finally:
        for key, value in saved.items():
            setattr(owner, key, value)


def by_name(owner: str, params: Any, grads: Any) -> tuple[Mapping[str, Array], Mapping[str, Array]]:
    """``params`` and ``grads`` as mappings with the same keys; lists are keyed by position."""
    if isinstance(params, Mapping) and isinstance(grads, Mapping):
        if params.keys() != grads.keys():
            raise ValueError(f"{owner}.step: parameters and gradients have different names: "
                             f"{sorted(set(params) ^ set(grads))[:5]}")
        return params, grads
    if isinstance(params, Mapping) or isinstance(grads, Mapping):
        raise TypeError(f"{owner}.step takes two {{name: array}} mappings or two lists, got "
                        f"{type(params).__name__} and {type(grads).__name__}")
    if len(params) != len(grads):
        raise ValueError(f"{owner}.step got {len(params)} parameters but {len(grads)} gradients")
    return ({str(index): value for index, value in enumerate(params)},
            {str(index): value for index, value in enumerate(grads)})
