"""LinearLR: scale the learning rate linearly from start_factor to end_factor."""

from __future__ import annotations

from nnfs_core.protocols import BaseScheduler
from nnfs_core.validation import check_int, check_number
from nnfs_optim import _scheduling

__all__ = ["LinearLR"]


class LinearLR(BaseScheduler):
    """``lr_t = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)``.

    As ``torch.optim.lr_scheduler.LinearLR``: the factor moves linearly over ``total_iters`` steps and
    then stays at ``end_factor``.

    Parameters
    ----------
    start_factor : float
        Factor at step 0, in (0, 1].
    end_factor : float
        Factor from step ``total_iters`` on, in [0, 1].
    total_iters : int
        Steps of the linear ramp, >= 1.
    interval : {"epoch", "batch"}
        When the scheduler steps.
    """

    def __init__(
        self,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        *,
        interval: str = "epoch",
    ) -> None:
        super().__init__()
        self.start_factor = check_number("LinearLR", "start_factor", start_factor, low=0.0, high=1.0, low_open=True)
        self.end_factor = check_number("LinearLR", "end_factor", end_factor, low=0.0, high=1.0)
        self.total_iters = check_int("LinearLR", "total_iters", total_iters, minimum=1)
        self.interval = _scheduling.interval("LinearLR", interval)

    def get_lr(self) -> float:
        progress = min(self.total_iters, self.last_step) / self.total_iters
        return _scheduling.base_lr(self) * (self.start_factor + (self.end_factor - self.start_factor) * progress)
