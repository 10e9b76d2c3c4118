"""EarlyStopping: stop when a monitored metric stops improving."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from nnfs_core.protocols import BaseCallback
from nnfs_core.validation import check_choice, check_positive

__all__ = ["EarlyStopping"]


class EarlyStopping(BaseCallback):
    """Stop training once ``patience`` epochs in a row bring no improvement of at least ``min_delta`` (as Keras).

    Parameters
    ----------
    monitor : str
        A key of the epoch logs, e.g. ``"val_loss"`` or ``"val_accuracy"``.
    patience : int
        Epochs without improvement to wait before stopping.
    min_delta : float
        Smallest change that counts as an improvement.
    mode : {"auto", "min", "max"}
        Whether lower or higher is better; ``auto`` means max for accuracies, min otherwise.
    restore_best_weights : bool
        At the end, put back the parameters (and layer state) of the best epoch.
    """

    def __init__(self, monitor: str = "val_loss", *, patience: int = 0, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = False) -> None:
        check_choice("EarlyStopping", "mode", mode, ("auto", "min", "max"))
        check_positive("EarlyStopping", "patience", patience, allow_zero=True)
        check_positive("EarlyStopping", "min_delta", min_delta, allow_zero=True)
        self.monitor = monitor
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best_weights = bool(restore_best_weights)

    def _higher_is_better(self) -> bool:
        return self.mode == "max" or (self.mode == "auto" and "acc" in self.monitor)

    def on_fit_start(self, network: Any) -> None:
        self.best = -np.inf if self._higher_is_better() else np.inf
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self._wait = 0
        self._best_weights: list[dict[str, Any]] | None = None

    def _improved(self, value: float) -> bool:
        if self._higher_is_better():
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def on_epoch_end(self, network: Any, epoch: int, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            warnings.warn(f"EarlyStopping monitors {self.monitor!r}, which is not in the logs {sorted(logs)}; "
                          f"pass validation data or monitor='loss'", UserWarning, stacklevel=2)
            return
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self._wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_weights = [
                    {name: array.copy() for name, array in {**layer.params, **getattr(layer, "state", {})}.items()}
                    for layer in network.layers
                ]
            return
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = epoch
            network.stop_training = True

    def on_fit_end(self, network: Any) -> None:
        if self.restore_best_weights and self._best_weights is not None:
            for layer, saved in zip(network.layers, self._best_weights):
                for name, array in saved.items():
                    target = layer.params[name] if name in layer.params else layer.state[name]
                    target[...] = array
