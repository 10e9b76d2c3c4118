"""ReduceLROnPlateau: cut the learning rate when a monitored metric stops improving."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from nnfs_core.protocols import BaseScheduler
from nnfs_core.validation import check_choice, check_int, check_number, check_positive
from nnfs_optim import _scheduling

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(BaseScheduler):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    As ``torch.optim.lr_scheduler.ReduceLROnPlateau``, stepped at the end of every epoch with the value of
    ``monitor`` from the epoch's logs (``"val_loss"`` by default; if that key is missing, for instance
    because ``fit`` has no validation data, it falls back to ``"loss"`` with a warning). ``step`` also takes
    the metric directly: ``scheduler.step(0.42)``.

    An epoch improves on the best value so far when (``mode="min"``) ``value < best * (1 - threshold)``
    (``threshold_mode="rel"``) or ``value < best - threshold`` (``"abs"``); mirrored for ``mode="max"``.
    After more than ``patience`` epochs without improvement the learning rate becomes
    ``max(lr * factor, min_lr)`` (unless that changes it by less than ``eps``), and the next ``cooldown``
    epochs are not counted.

    Parameters
    ----------
    monitor : str
        Key of the epoch logs to watch.
    mode : {"min", "max"}
        Whether lower or higher values are better.
    factor : float
        Multiplicative factor of each reduction, in [0, 1).
    patience : int
        Epochs without improvement tolerated before a reduction, >= 0.
    threshold : float
        Smallest change that counts as an improvement, >= 0.
    threshold_mode : {"rel", "abs"}
        Whether ``threshold`` is relative to the best value or absolute.
    cooldown : int
        Epochs after a reduction during which bad epochs are not counted, >= 0.
    min_lr : float
        Lower bound of the learning rate, >= 0.
    eps : float
        Reductions smaller than this are skipped.
    """

    interval = "epoch"

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        super().__init__()
        owner = "ReduceLROnPlateau"
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"{owner}: monitor must be the name of a logged metric, got {monitor!r}")
        self.monitor = monitor
        self.mode = check_choice(owner, "mode", mode, ("min", "max"))
        self.factor = check_number(owner, "factor", factor, low=0.0, high=1.0, high_open=True)
        self.patience = check_int(owner, "patience", patience, minimum=0)
        self.threshold = check_positive(owner, "threshold", threshold, allow_zero=True)
        self.threshold_mode = check_choice(owner, "threshold_mode", threshold_mode, ("rel", "abs"))
        self.cooldown = check_int(owner, "cooldown", cooldown, minimum=0)
        self.min_lr = check_positive(owner, "min_lr", min_lr, allow_zero=True)
        self.eps = check_positive(owner, "eps", eps, allow_zero=True)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.lr: float | None = None

    def get_lr(self) -> float:
        """The learning rate this scheduler last set (the base rate until the first reduction)."""
        if self.lr is None:
            self.lr = _scheduling.base_lr(self)
        return self.lr

    def is_better(self, value: float) -> bool:
        if self.mode == "min":
            bound = self.best * (1.0 - self.threshold) if self.threshold_mode == "rel" else self.best - self.threshold
            return value < bound
        bound = self.best * (self.threshold + 1.0) if self.threshold_mode == "rel" else self.best + self.threshold
        return value > bound

    def step(self, logs: dict[str, float] | float | None = None) -> None:
        """Count one epoch with the monitored value from ``logs`` (or given directly as a number)."""
        optimizer = _scheduling.require_attached(self)
        value = self._monitored(logs)
        self.last_step += 1
        if self.is_better(value):
            self.best = value
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            old = float(optimizer.learning_rate)
            if self._reduced(old) != old:
                optimizer.learning_rate = self.lr = self._reduced(old)
            # As torch, every parameter group with its own rate is reduced from that rate.
            for group in getattr(optimizer, "param_groups", None) or ():
                if group.get("learning_rate") is not None:
                    group["learning_rate"] = self._reduced(float(group["learning_rate"]))
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

    def _reduced(self, old: float) -> float:
        new = max(old * self.factor, self.min_lr)
        return new if old - new > self.eps else old

    def apply_lr(self) -> None:
        """The optimizer's rate is the last one set; the groups' rates are the optimizer's state (saved with it)."""
        self.optimizer.learning_rate = self.get_lr()

    def _monitored(self, logs: dict[str, float] | float | None) -> float:
        if isinstance(logs, numbers.Real):
            return float(logs)
        if not isinstance(logs, dict):
            raise TypeError(
                f"ReduceLROnPlateau.step needs the epoch logs (a dict with {self.monitor!r}) or the metric "
                f"itself, got {logs!r}"
            )
        if self.monitor in logs:
            return float(logs[self.monitor])
        if "loss" in logs:
            warnings.warn(
                f"ReduceLROnPlateau monitors {self.monitor!r}, which is not in the logs {sorted(logs)}; using "
                f"'loss' instead (pass validation data to fit, or monitor='loss')",
                UserWarning,
                stacklevel=3,
            )
            return float(logs["loss"])
        raise KeyError(f"ReduceLROnPlateau monitors {self.monitor!r}, which is not in the logs {sorted(logs)}")

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "best": self.best,
            "num_bad_epochs": self.num_bad_epochs,
            "cooldown_counter": self.cooldown_counter,
            "lr": self.lr,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = float(state["best"])
        self.num_bad_epochs = int(state["num_bad_epochs"])
        self.cooldown_counter = int(state["cooldown_counter"])
        self.lr = None if state["lr"] is None else float(state["lr"])
        super().load_state_dict(state)
