"""Hook specifications of the training lifecycle (pluggy project ``"nnfs"``).

Callbacks passed to ``fit`` and plugins installed under the ``nnfs.hooks`` entry-point group implement
any of these. A method named like a hook is picked up without a decorator, and may take any subset of
the hook's arguments:

    class PrintLoss:
        def on_epoch_end(self, epoch, logs):
            print(epoch, logs["loss"])

``logs`` dictionaries are shared between the hooks of one call: a callback may add entries for the
ones after it. A callback stops training by setting ``network.stop_training = True``.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "nnfs"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "hookspec", "hookimpl", "HOOK_NAMES"]


@hookspec
def on_fit_start(network: Any, epochs: int, steps_per_epoch: int) -> None:
    """``fit`` is about to run its first epoch (after the data were checked and the network built)."""


@hookspec
def on_fit_end(network: Any, history: Any) -> None:
    """``fit`` finished (normally, or stopped early by a callback)."""


@hookspec
def on_epoch_start(network: Any, epoch: int) -> None:
    """An epoch (0-based ``epoch``) starts."""


@hookspec
def on_epoch_end(network: Any, epoch: int, logs: dict[str, float]) -> None:
    """An epoch ended; ``logs`` holds the mean training loss and metrics and the ``val_`` ones."""


@hookspec
def on_batch_start(network: Any, epoch: int, batch: int) -> None:
    """A training mini-batch (0-based index within the epoch) starts."""


@hookspec
def on_batch_end(network: Any, epoch: int, batch: int, logs: dict[str, float]) -> None:
    """A training mini-batch ended; ``logs`` holds its ``loss`` and ``size``."""


HOOK_NAMES = frozenset(
    name for name, value in dict(globals()).items() if name.startswith("on_") and callable(value)
)
