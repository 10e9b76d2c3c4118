"""ExponentialLR: decay the learning rate by gamma every step."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_core.protocols import BaseScheduler
from nnfs_core.validation import check_number
from nnfs_optim import _scheduling

__all__ = ["ExponentialLR"]


class ExponentialLR(BaseScheduler):
    """``lr_t = base_lr * gamma ** t``, as ``torch.optim.lr_scheduler.ExponentialLR``.

    Parameters
    ----------
    gamma : float
        Multiplicative factor per step, > 0.
    interval : {"epoch", "batch"}
        When the scheduler steps.
    """

    example_args: ClassVar[dict[str, Any]] = {"gamma": 0.9}

    def __init__(self, gamma: float, *, interval: str = "epoch") -> None:
        super().__init__()
        self.gamma = check_number("ExponentialLR", "gamma", gamma, low=0.0, low_open=True)
        self.interval = _scheduling.interval("ExponentialLR", interval)

    def get_lr(self) -> float:
        return _scheduling.base_lr(self) * self.gamma**self.last_step
