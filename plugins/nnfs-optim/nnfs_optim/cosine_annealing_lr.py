"""CosineAnnealingLR: half a cosine from the base learning rate down to eta_min."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from nnfs_core.protocols import BaseScheduler
from nnfs_core.validation import check_int, check_positive
from nnfs_optim import _scheduling

__all__ = ["CosineAnnealingLR"]


class CosineAnnealingLR(BaseScheduler):
    """``lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / t_max)) / 2``.

    As ``torch.optim.lr_scheduler.CosineAnnealingLR`` (torch computes the same curve recursively); past
    ``t_max`` the cosine continues, rising back towards ``base_lr`` as torch's does. torch's ``T_max`` is
    spelled ``t_max`` here.

    Parameters
    ----------
    t_max : int
        Steps of the half cosine, >= 1.
    eta_min : float
        Learning rate at ``t = t_max``, >= 0.
    interval : {"epoch", "batch"}
        When the scheduler steps.
    """

    example_args: ClassVar[dict[str, Any]] = {"t_max": 10}

    def __init__(self, t_max: int, eta_min: float = 0.0, *, interval: str = "epoch") -> None:
        super().__init__()
        self.t_max = check_int("CosineAnnealingLR", "t_max", t_max, minimum=1)
        self.eta_min = check_positive("CosineAnnealingLR", "eta_min", eta_min, allow_zero=True)
        self.interval = _scheduling.interval("CosineAnnealingLR", interval)

    def get_lr(self) -> float:
        base = _scheduling.base_lr(self)
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * self.last_step / self.t_max)) / 2
