"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array
from nnfs_optim._adam import AdamFamily
from nnfs_optim._buffers import count_step, scalar, state_array

__all__ = ["Adamax"]


class Adamax(AdamFamily):
    r"""Adamax (Kingma & Ba, 2015, section 7) with the update rule of ``torch.optim.Adamax``.

    For each parameter p with gradient g, at the parameter's step t:

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda p \\
    m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
    u &\leftarrow \max(\beta_2 u, |g| + \epsilon) \\
    p &\leftarrow p - \frac{\eta}{1 - \beta_1^t} \, \frac{m}{u}
    \end{aligned}
    $$

    Here $\eta$ is ``learning_rate``, $\lambda$ ``weight_decay``, $(\beta_1, \beta_2)$ ``betas`` and $\epsilon$ ``eps``.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_inf`` (u).

    Parameters
    ----------
    learning_rate : float
        Step size, default 2e-3 (torch's).
    betas : (float, float)
        Decay rates of m and u, each in [0, 1).
    eps : float
        Added to |g| so that u is never zero.
    weight_decay : float
        L2 penalty added to the gradient.
    clip_norm, clip_value, param_groups : optional
        Gradient clipping and per-group hyperparameters, as for every optimizer (``BaseOptimizer``).
    """

    def __init__(
        self,
        learning_rate: float = 2e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(learning_rate, betas=betas, eps=eps, weight_decay=weight_decay, clip_norm=clip_norm,
                         clip_value=clip_value, param_groups=param_groups)

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        beta1, beta2 = self.betas
        step = count_step(state)
        g = self.decayed_gradient(param, grad)
        exp_avg, work = self.update_first_moment(param, g, state)
        # u = max(beta2 u, |g| + eps)
        exp_inf = state_array("Adamax", state, "exp_inf", param)
        exp_inf *= scalar(param, beta2)
        np.abs(g, out=work)
        work += scalar(param, self.eps)
        np.maximum(exp_inf, work, out=exp_inf)

        np.divide(exp_avg, exp_inf, out=work)
        work *= scalar(param, self.learning_rate / (1 - beta1**step))
        param -= work
