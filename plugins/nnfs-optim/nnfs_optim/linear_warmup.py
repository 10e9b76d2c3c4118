"""LinearWarmup: ramp the learning rate up linearly, then hand over to another scheduler."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_core import registry
from nnfs_core.protocols import BaseScheduler
from nnfs_core.validation import check_int, check_number
from nnfs_optim import _scheduling

__all__ = ["LinearWarmup"]


class LinearWarmup(BaseScheduler):
    """Linear warm-up over ``warmup_steps`` steps, followed by ``scheduler`` (or a constant rate).

    For ``t < warmup_steps``: ``lr_t = base_lr * (start_factor + (1 - start_factor) * t / warmup_steps)``.
    From ``t = warmup_steps`` on, the wrapped scheduler runs as if it had started then: its step
    ``t - warmup_steps``. This is torch's ``SequentialLR([LinearLR(start_factor, 1.0, warmup_steps),
    scheduler], milestones=[warmup_steps])``; unlike SequentialLR it can also wrap ReduceLROnPlateau.

    Parameters
    ----------
    scheduler : scheduler, name or config dict, optional
        What runs after the warm-up, resolved through ``nnfs_core.registry.schedulers`` (an instance,
        ``"cosine_annealing_lr"`` if its arguments have defaults, or ``{"name": ..., **arguments}``). It
        is stepped by this scheduler; do not also pass it to ``fit``.
    warmup_steps : int
        Length of the warm-up in scheduler steps, >= 1.
    start_factor : float
        Fraction of the base learning rate at step 0, in [0, 1]; the default 1/3 is LinearLR's.
    interval : {"epoch", "batch"}, optional
        When to step; defaults to the wrapped scheduler's interval, or ``"epoch"``.
    """

    example_args: ClassVar[dict[str, Any]] = {"warmup_steps": 3}

    def __init__(
        self,
        scheduler: Any = None,
        *,
        warmup_steps: int,
        start_factor: float = 1.0 / 3,
        interval: str | None = None,
    ) -> None:
        super().__init__()
        self.scheduler = None if scheduler is None else registry.schedulers.resolve(scheduler)
        if self.scheduler is not None and not callable(getattr(self.scheduler, "step", None)):
            raise TypeError(f"LinearWarmup: scheduler must be a learning-rate scheduler, got {scheduler!r}")
        self.warmup_steps = check_int("LinearWarmup", "warmup_steps", warmup_steps, minimum=1)
        self.start_factor = check_number("LinearWarmup", "start_factor", start_factor, low=0.0, high=1.0)
        if interval is None:
            interval = getattr(self.scheduler, "interval", "epoch")
        self.interval = _scheduling.interval("LinearWarmup", interval)

    def attach(self, optimizer: Any) -> None:
        if self.optimizer is optimizer:
            return
        if self.scheduler is not None:
            # Attached first, so that it records the optimizer's own rate as its base, not a warm-up rate.
            self.scheduler.attach(optimizer)
        super().attach(optimizer)

    def get_lr(self) -> float:
        if self.last_step < self.warmup_steps:
            progress = self.last_step / self.warmup_steps
            return _scheduling.base_lr(self) * (self.start_factor + (1 - self.start_factor) * progress)
        if self.scheduler is None:
            return _scheduling.base_lr(self)
        return float(self.scheduler.get_lr())

    def lr_from(self, base_lr: float) -> float:
        if self.scheduler is not None and self.last_step >= self.warmup_steps:
            return self.scheduler.lr_from(base_lr)
        return super().lr_from(base_lr)

    def step(self, logs: dict[str, float] | None = None) -> None:
        _scheduling.require_attached(self)
        self.last_step += 1
        if self.scheduler is not None and self.last_step > self.warmup_steps:
            self.scheduler.step(logs)  # sets the optimizer's and the groups' rates itself
        else:
            self.apply_lr()

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        super().load_state_dict(state)
