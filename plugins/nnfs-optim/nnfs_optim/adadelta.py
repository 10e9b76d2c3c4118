"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseOptimizer
from nnfs_core.validation import check_number, check_positive
from nnfs_optim._buffers import Scratch, count_step, coupled_decay, scalar, state_array

__all__ = ["Adadelta"]


class Adadelta(BaseOptimizer):
    r"""Adadelta (Zeiler, 2012) with the update rule of ``torch.optim.Adadelta``.

    For each parameter p with gradient g:

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda p \\
    s &\leftarrow \rho s + (1 - \rho) g^2 \\
    \delta &= \frac{\sqrt{u + \epsilon}}{\sqrt{s + \epsilon}} \, g \\
    u &\leftarrow \rho u + (1 - \rho) \delta^2 \\
    p &\leftarrow p - \eta \delta
    \end{aligned}
    $$

    Here $\eta$ is ``learning_rate``, $\lambda$ ``weight_decay``, $\rho$ ``rho`` and $\epsilon$ ``eps``.

    State per parameter: ``step``, ``square_avg`` (s), ``acc_delta`` (u).

    Parameters
    ----------
    learning_rate : float
        Coefficient that scales delta, default 1.0 (torch's).
    rho : float
        Decay rate of the running averages, in [0, 1].
    eps : float
        Added inside both square roots, default 1e-6 (torch's).
    weight_decay : float
        L2 penalty added to the gradient.
    clip_norm, clip_value, param_groups : optional
        Gradient clipping and per-group hyperparameters, as for every optimizer (``BaseOptimizer``).
    """

    def __init__(
        self,
        learning_rate: float = 1.0,
        *,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(learning_rate, clip_norm=clip_norm, clip_value=clip_value, param_groups=param_groups)
        self.rho = check_number("Adadelta", "rho", rho, low=0.0, high=1.0)
        self.eps = check_positive("Adadelta", "eps", eps, allow_zero=True)
        self.weight_decay = check_positive("Adadelta", "weight_decay", weight_decay, allow_zero=True)
        self._scratch = Scratch()

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        rho = self.rho
        count_step(state)
        g = coupled_decay(param, grad, self.weight_decay, self._scratch.get(param, 2))
        square_avg = state_array("Adadelta", state, "square_avg", param)
        acc_delta = state_array("Adadelta", state, "acc_delta", param)
        work = self._scratch.get(param, 0)
        delta = self._scratch.get(param, 1)

        square_avg *= scalar(param, rho)
        np.multiply(g, g, out=work)
        work *= scalar(param, 1 - rho)
        square_avg += work
        std = work
        np.add(square_avg, scalar(param, self.eps), out=std)
        np.sqrt(std, out=std)
        np.add(acc_delta, scalar(param, self.eps), out=delta)
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        acc_delta *= scalar(param, rho)
        np.multiply(delta, delta, out=work)
        work *= scalar(param, 1 - rho)
        acc_delta += work

        delta *= scalar(param, self.learning_rate)
        param -= delta
