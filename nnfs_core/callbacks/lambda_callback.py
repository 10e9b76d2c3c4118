"""LambdaCallback: a callback made of plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nnfs_core.hookspecs import HOOK_NAMES
from nnfs_core.protocols import BaseCallback

__all__ = ["LambdaCallback"]


class LambdaCallback(BaseCallback):
    """``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs))``.

    Each keyword is a hook name; the function may take any subset of that hook's arguments.
    """

    def __init__(self, **hooks: Callable[..., Any]) -> None:
        unknown = set(hooks) - HOOK_NAMES
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {sorted(unknown)}; hooks are {sorted(HOOK_NAMES)}")
        for name, function in hooks.items():
            if not callable(function):
                raise TypeError(f"LambdaCallback: {name} must be callable, got {function!r}")
            setattr(self, name, function)
