"""History: the per-epoch record of loss and metrics that ``fit`` returns."""

from __future__ import annotations

from typing import Any

from nnfs_core.protocols import BaseCallback

__all__ = ["History"]


class History(BaseCallback):
    """Collects every epoch's logs: ``history.history["val_loss"]`` is the list of validation losses.

    ``fit`` always adds one (and keeps it as ``network.history``); a second ``fit`` continues it.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def get_config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"History({len(self.epoch)} epochs: {', '.join(self.history)})"
