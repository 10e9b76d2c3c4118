"""OneCycleLR: the 1cycle policy, warm up to max_lr and anneal far below the start."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from nnfs_core.protocols import BaseScheduler
from nnfs_core.validation import check_choice, check_flag, check_int, check_number, check_positive
from nnfs_optim import _scheduling

__all__ = ["OneCycleLR"]


class OneCycleLR(BaseScheduler):
    """The 1cycle policy (Smith & Topin, 2018), as ``torch.optim.lr_scheduler.OneCycleLR``.

    The learning rate goes from ``max_lr / div_factor`` up to ``max_lr`` over the first
    ``pct_start * total_steps - 1`` steps, then down to ``max_lr / div_factor / final_div_factor`` at step
    ``total_steps - 1`` (with ``three_phase``: back to the initial rate by step
    ``2 * pct_start * total_steps - 2``, then down). Each phase interpolates with half a cosine
    (``anneal_strategy="cos"``) or linearly. With ``cycle_momentum`` the optimizer's momentum (``momentum``,
    or ``betas[0]`` for the Adam family) moves the opposite way between ``max_momentum`` and
    ``base_momentum``, as in torch. The optimizer's own learning rate is ignored.

    Steps per batch by default. Stepping past ``total_steps`` raises ``ValueError``, as in torch.

    Parameters
    ----------
    max_lr : float
        Peak learning rate, > 0.
    total_steps : int, optional
        Length of the cycle in scheduler steps. If omitted, ``epochs * steps_per_epoch`` when both are
        given, and otherwise taken from the first ``fit`` (its epochs, times its optimizer steps per epoch
        when stepping per batch: its batches, or ``ceil(batches / k)`` with ``fit(accumulate=k)``).
    epochs, steps_per_epoch : int, optional
        Alternative to ``total_steps``, as in torch.
    pct_start : float
        Fraction of the cycle spent increasing the learning rate, in [0, 1].
    anneal_strategy : {"cos", "linear"}
        Interpolation within each phase.
    cycle_momentum : bool
        Cycle the optimizer's momentum too (needs an optimizer with ``momentum`` or ``betas``).
    base_momentum, max_momentum : float
        Momentum bounds; momentum is ``max_momentum`` when the learning rate is lowest.
    div_factor : float
        ``initial_lr = max_lr / div_factor``.
    final_div_factor : float
        ``min_lr = initial_lr / final_div_factor``.
    three_phase : bool
        Use the symmetric warm-up/cool-down followed by a final annihilation phase.
    interval : {"batch", "epoch"}
        When the scheduler steps.
    """

    example_args: ClassVar[dict[str, Any]] = {"max_lr": 0.1, "total_steps": 100, "cycle_momentum": False}

    def __init__(
        self,
        max_lr: float,
        total_steps: int | None = None,
        *,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        interval: str = "batch",
    ) -> None:
        super().__init__()
        owner = "OneCycleLR"
        self.max_lr = check_number(owner, "max_lr", max_lr, low=0.0, low_open=True)
        self.total_steps = None if total_steps is None else check_int(owner, "total_steps", total_steps, minimum=1)
        self.epochs = None if epochs is None else check_int(owner, "epochs", epochs, minimum=1)
        self.steps_per_epoch = (
            None if steps_per_epoch is None else check_int(owner, "steps_per_epoch", steps_per_epoch, minimum=1)
        )
        self.pct_start = check_number(owner, "pct_start", pct_start, low=0.0, high=1.0)
        self.anneal_strategy = check_choice(owner, "anneal_strategy", anneal_strategy, ("cos", "linear"))
        self.cycle_momentum = check_flag(owner, "cycle_momentum", cycle_momentum)
        self.base_momentum = check_positive(owner, "base_momentum", base_momentum, allow_zero=True)
        self.max_momentum = check_positive(owner, "max_momentum", max_momentum, allow_zero=True)
        self.div_factor = check_number(owner, "div_factor", div_factor, low=0.0, low_open=True)
        self.final_div_factor = check_number(owner, "final_div_factor", final_div_factor, low=0.0, low_open=True)
        self.three_phase = check_flag(owner, "three_phase", three_phase)
        self.interval = _scheduling.interval(owner, interval)
        self._inferred_steps: int | None = None
        if self.total_steps is None and self.epochs is not None and self.steps_per_epoch is not None:
            self._inferred_steps = self.epochs * self.steps_per_epoch

    # A method, not a property: pluggy reads every attribute of a plugin when it registers one.
    def cycle_length(self) -> int:
        """``total_steps``, given or inferred."""
        steps = self.total_steps if self.total_steps is not None else self._inferred_steps
        if steps is None:
            raise RuntimeError(
                "OneCycleLR does not know the length of its cycle yet: pass total_steps (or epochs and "
                "steps_per_epoch), or let the first fit() set it"
            )
        return steps

    # pluggy hands a hook implementation the arguments it names, so asking for more than the base is fine.
    def on_fit_start(self, network: Any, epochs: int, steps_per_epoch: int) -> None:  # type: ignore[override]
        if self.total_steps is None and self._inferred_steps is None:
            # With fit(accumulate=k) a batch-interval scheduler steps with the optimizer: ceil(batches / k) times
            # an epoch, the last partial group included.
            accumulate = getattr(getattr(network, "fit_progress", None), "accumulate", 1)
            per_epoch = -(-steps_per_epoch // accumulate) if self.interval == "batch" else 1
            self._inferred_steps = max(1, epochs * per_epoch)
        self.attach(network.optimizer)

    def _phases(self) -> list[tuple[float, float, float, float, float]]:
        """``(end_step, start_lr, end_lr, start_momentum, end_momentum)`` per phase, as torch lays them out."""
        total = self.cycle_length()
        initial = self.max_lr / self.div_factor
        minimum = initial / self.final_div_factor
        low, high = self.base_momentum, self.max_momentum
        warm_end = float(self.pct_start * total) - 1
        if self.three_phase:
            return [
                (warm_end, initial, self.max_lr, high, low),
                (float(2 * self.pct_start * total) - 2, self.max_lr, initial, low, high),
                (total - 1, initial, minimum, high, high),
            ]
        return [(warm_end, initial, self.max_lr, high, low), (total - 1, self.max_lr, minimum, low, high)]

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _values(self) -> tuple[float, float]:
        """Learning rate and momentum at ``last_step``."""
        step = self.last_step
        if step > self.cycle_length():
            raise ValueError(
                f"OneCycleLR: tried to step {step} times, but the cycle has total_steps={self.cycle_length()}; "
                f"make total_steps (or epochs * steps_per_epoch) cover the whole training"
            )
        phases = self._phases()
        start_step = 0.0
        for index, (end_step, start_lr, end_lr, start_momentum, end_momentum) in enumerate(phases):
            if step <= end_step or index == len(phases) - 1:
                span = end_step - start_step
                pct = (step - start_step) / span if span else 1.0  # torch divides by zero here
                return self._anneal(start_lr, end_lr, pct), self._anneal(start_momentum, end_momentum, pct)
            start_step = end_step
        raise AssertionError("unreachable: the last phase always matches")

    def get_lr(self) -> float:
        lr, momentum = self._values()
        if self.cycle_momentum and self.optimizer is not None:
            self._set_momentum(momentum)
        return lr

    def _set_momentum(self, momentum: float) -> None:
        optimizer = self.optimizer
        if hasattr(optimizer, "betas"):
            optimizer.betas = (momentum, *tuple(optimizer.betas)[1:])
        elif hasattr(optimizer, "momentum"):
            optimizer.momentum = momentum
        for group in getattr(optimizer, "param_groups", None) or ():  # torch cycles every group's momentum
            if "betas" in group:
                group["betas"] = (momentum, *tuple(group["betas"])[1:])
            elif "momentum" in group:
                group["momentum"] = momentum
        if not hasattr(optimizer, "betas") and not hasattr(optimizer, "momentum"):
            raise ValueError(
                f"OneCycleLR: cycle_momentum=True needs an optimizer with a momentum or betas hyperparameter, "
                f"but {type(optimizer).__name__} has neither; pass cycle_momentum=False"
            )

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "inferred_steps": self._inferred_steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        inferred = state.get("inferred_steps")
        self._inferred_steps = None if inferred is None else int(inferred)
        super().load_state_dict(state)
