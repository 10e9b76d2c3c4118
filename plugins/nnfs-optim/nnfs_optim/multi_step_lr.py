"""MultiStepLR: decay the learning rate by gamma at given milestones."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any, ClassVar

from nnfs_core.protocols import BaseScheduler
from nnfs_core.validation import check_int, check_number
from nnfs_optim import _scheduling

__all__ = ["MultiStepLR"]


class MultiStepLR(BaseScheduler):
    """``lr_t = base_lr * gamma ** (number of milestones <= t)``, as ``torch.optim.lr_scheduler.MultiStepLR``.

    A milestone listed twice decays twice, as in torch.

    Parameters
    ----------
    milestones : sequence of int
        Steps (>= 0, any order) at which the learning rate is multiplied by ``gamma``.
    gamma : float
        Multiplicative factor, > 0.
    interval : {"epoch", "batch"}
        When the scheduler steps.
    """

    example_args: ClassVar[dict[str, Any]] = {"milestones": [2, 5]}

    def __init__(self, milestones: Sequence[int], gamma: float = 0.1, *, interval: str = "epoch") -> None:
        super().__init__()
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
            raise TypeError(f"MultiStepLR: milestones must be a list of integers, got {milestones!r}")
        self.milestones = [
            check_int("MultiStepLR", f"milestones[{index}]", value, minimum=0)
            for index, value in enumerate(milestones)
        ]
        self.gamma = check_number("MultiStepLR", "gamma", gamma, low=0.0, low_open=True)
        self.interval = _scheduling.interval("MultiStepLR", interval)
        self._sorted = sorted(self.milestones)

    def get_lr(self) -> float:
        return _scheduling.base_lr(self) * self.gamma ** bisect_right(self._sorted, self.last_step)
