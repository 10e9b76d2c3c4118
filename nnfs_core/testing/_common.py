"""What every check shares: the error type, fresh copies of a component, and config checks."""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfs_core import registry
from nnfs_core.errors import NNFSError

Check = Callable[[Any], None]


class ConformanceError(AssertionError):
    """A component broke its kind's contract; the message names the component and the check."""


def name_of(component: Any) -> str:
    return type(component).__name__


def fresh(component: Any) -> Any:
    """An unbuilt copy of the component the check was given (so checks never share state)."""
    return copy.deepcopy(component)


def instance(component: Any) -> Any:
    """Accept a class (created with its ``example_args``) or an instance."""
    if isinstance(component, type):
        try:
            return component(**getattr(component, "example_args", {}))
        except TypeError as error:
            raise ConformanceError(
                f"{component.__name__} cannot be created for the checks ({error}); declare the arguments to use "
                f"as a class attribute, e.g. example_args = {{...}}"
            ) from None
    return component


def fail(component: Any, message: str) -> ConformanceError:
    return ConformanceError(f"{name_of(component)}: {message}")


def check_constructor_stores_only_hyperparameters(component: Any) -> None:
    """A fresh component holds no arrays, and ``get_config`` has exactly the constructor's arguments."""
    obj = fresh(component)
    arrays = [key for key, value in vars(obj).items() if isinstance(value, np.ndarray)]
    if arrays or any(getattr(obj, attr, None) for attr in ("params", "grads")):
        raise fail(obj, f"the constructor created arrays ({arrays or 'params/grads'}); allocate them in build()")
    signature = inspect.signature(type(obj).__init__).parameters
    accepted = {n for n, p in signature.items() if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    keys = set(obj.get_config())
    if keys - accepted and not any(p.kind == p.VAR_KEYWORD for p in signature.values()):
        raise fail(obj, f"get_config() returns {sorted(keys - accepted)}, which the constructor does not accept")


def check_config_round_trip(component: Any) -> None:
    """``get_config()`` is JSON-safe and ``type(c)(**config)`` gives the same config back."""
    obj = fresh(component)
    config = obj.get_config()
    try:
        json.dumps(config)
    except TypeError as error:
        raise fail(obj, f"get_config() is not JSON-safe: {error}") from None
    again = type(obj)(**config).get_config()
    if again != config:
        raise fail(obj, f"get_config() does not round-trip: {config} became {again}")


def check_registry_round_trip(component: Any) -> None:
    """The component is registered, and creating it from ``{"name": ..., **config}`` gives an equal one."""
    obj = fresh(component)
    try:
        config = registry.config_of(obj)
    except NNFSError as error:
        raise fail(obj, str(error)) from None
    for kind in registry.kinds():
        if registry.of_kind(kind).name_of(obj) == config["name"]:
            made = registry.of_kind(kind).create(dict(config))
            if type(made) is type(obj) and made.get_config() == obj.get_config():
                return
            raise fail(obj, f"registry.{kind}.create({config}) gave {made!r}, not an equal {name_of(obj)}")
    raise fail(obj, "is not found in any registry")


def random(shape: tuple[int, ...], dtype: Any, seed: int, low: float | None = None, high: float = 1.0) -> Any:
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, shape).astype(dtype)
    return (rng.standard_normal(shape) * 1.5).astype(dtype)
