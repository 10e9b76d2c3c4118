"""CosineAnnealingWarmRestarts: cosine annealing restarted every t_0 * t_mult**i steps (SGDR)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from nnfs_core.protocols import BaseScheduler
from nnfs_core.validation import check_int, check_positive
from nnfs_optim import _scheduling

__all__ = ["CosineAnnealingWarmRestarts"]


class CosineAnnealingWarmRestarts(BaseScheduler):
    """SGDR (Loshchilov & Hutter, 2017), as ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``.

    ``lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t_cur / t_i)) / 2``, where the i-th cycle
    lasts ``t_i = t_0 * t_mult**i`` steps and ``t_cur`` counts the steps since the last restart. torch's
    ``T_0`` and ``T_mult`` are spelled ``t_0`` and ``t_mult`` here. Often stepped per batch.

    Parameters
    ----------
    t_0 : int
        Length of the first cycle, >= 1.
    t_mult : int
        Growth factor of the cycle length after each restart, >= 1.
    eta_min : float
        Lowest learning rate, >= 0.
    interval : {"epoch", "batch"}
        When the scheduler steps.
    """

    example_args: ClassVar[dict[str, Any]] = {"t_0": 4}

    def __init__(self, t_0: int, t_mult: int = 1, eta_min: float = 0.0, *, interval: str = "epoch") -> None:
        super().__init__()
        self.t_0 = check_int("CosineAnnealingWarmRestarts", "t_0", t_0, minimum=1)
        self.t_mult = check_int("CosineAnnealingWarmRestarts", "t_mult", t_mult, minimum=1)
        self.eta_min = check_positive("CosineAnnealingWarmRestarts", "eta_min", eta_min, allow_zero=True)
        self.interval = _scheduling.interval("CosineAnnealingWarmRestarts", interval)

    def cycle_position(self) -> tuple[int, int]:
        """``(t_cur, t_i)`` after ``last_step`` steps: steps into the current cycle and its length."""
        if self.t_mult == 1:
            return self.last_step % self.t_0, self.t_0
        t_cur, t_i = self.last_step, self.t_0
        while t_cur >= t_i:  # cycles grow geometrically: O(log t) iterations, exact integer arithmetic
            t_cur -= t_i
            t_i *= self.t_mult
        return t_cur, t_i

    def get_lr(self) -> float:
        base = _scheduling.base_lr(self)
        t_cur, t_i = self.cycle_position()
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2
