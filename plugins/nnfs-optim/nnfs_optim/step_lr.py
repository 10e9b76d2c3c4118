"""StepLR: decay the learning rate by gamma every step_size steps."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_core.protocols import BaseScheduler
from nnfs_core.validation import check_int, check_number
from nnfs_optim import _scheduling

__all__ = ["StepLR"]


class StepLR(BaseScheduler):
    """``lr_t = base_lr * gamma ** (t // step_size)``, as ``torch.optim.lr_scheduler.StepLR``.

    ``t`` counts scheduler steps (epochs, or batches with ``interval="batch"``); ``base_lr`` is the
    optimizer's learning rate when the scheduler is attached.

    Parameters
    ----------
    step_size : int
        Steps between two decays, >= 1.
    gamma : float
        Multiplicative factor of each decay, > 0.
    interval : {"epoch", "batch"}
        When the scheduler steps.
    """

    example_args: ClassVar[dict[str, Any]] = {"step_size": 3}

    def __init__(self, step_size: int, gamma: float = 0.1, *, interval: str = "epoch") -> None:
        super().__init__()
        self.step_size = check_int("StepLR", "step_size", step_size, minimum=1)
        self.gamma = check_number("StepLR", "gamma", gamma, low=0.0, low_open=True)
        self.interval = _scheduling.interval("StepLR", interval)

    def get_lr(self) -> float:
        return _scheduling.base_lr(self) * self.gamma ** (self.last_step // self.step_size)
