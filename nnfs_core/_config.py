"""Turning constructor arguments into JSON-safe configs and back."""

from __future__ import annotations

from typing import Any

import numpy as np


def to_jsonable(value: Any, where: str) -> Any:
    """Return ``value`` as JSON-safe data (tuples become lists); components become their configs.

    ``where`` names the argument for the error message when the value cannot be represented.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item, where) for item in value]
    if isinstance(value, dict):
        return {str(key): to_jsonable(item, where) for key, item in value.items()}
    if hasattr(value, "get_config"):
        from nnfs_core.registry import config_of

        return config_of(value)
    from nnfs_core.errors import ConfigError

    raise ConfigError(
        f"{where} = {value!r} cannot be written to a config; pass a registered name or a "
        f"{{'name': ...}} dict instead of a {type(value).__name__}"
    )
