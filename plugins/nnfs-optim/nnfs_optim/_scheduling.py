"""Helpers shared by the schedulers."""

from __future__ import annotations

from typing import Any

from nnfs_core.validation import check_choice

INTERVALS = ("epoch", "batch")


def interval(owner: str, value: Any) -> str:
    """Check the ``interval`` argument: step after every ``"epoch"`` or every ``"batch"``."""
    return check_choice(owner, "interval", value, INTERVALS)


def base_lr(scheduler: Any) -> float:
    """The learning rate the optimizer had when the scheduler was attached to it."""
    if scheduler.base_lr is None:
        raise RuntimeError(
            f"{type(scheduler).__name__} is not attached to an optimizer yet: pass it to Network(scheduler=...) "
            f"or fit(callbacks=[...]), or call attach(optimizer)"
        )
    return float(scheduler.base_lr)


def require_attached(scheduler: Any) -> Any:
    """The scheduler's optimizer, or a clear error if it has none yet."""
    if scheduler.optimizer is None:
        base_lr(scheduler)  # raises the "not attached" error
        raise RuntimeError(f"{type(scheduler).__name__} has no optimizer; call attach(optimizer)")
    return scheduler.optimizer
