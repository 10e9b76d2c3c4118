"""TerminateOnNaN: stop with a clear error when the loss stops being a finite number."""

from __future__ import annotations

import math
from typing import Any

from nnfs_core.errors import TrainingDivergedError
from nnfs_core.protocols import BaseCallback

__all__ = ["TerminateOnNaN"]


class TerminateOnNaN(BaseCallback):
    """Raise ``TrainingDivergedError`` naming the epoch and batch of the first non-finite loss.

    On by default in ``fit``. The step that produced the loss is not applied, so the weights are the
    last finite ones.
    """

    def on_batch_end(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        loss = logs["loss"]
        if not math.isfinite(loss):
            raise TrainingDivergedError(
                f"the training loss became {loss} at epoch {epoch + 1}, batch {batch + 1}; the weights keep their "
                f"last finite values. Lower the learning rate, clip gradients (clip_norm=1.0) or check the data"
            )

    def get_config(self) -> dict[str, Any]:
        return {}
