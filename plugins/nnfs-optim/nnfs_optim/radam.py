"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array
from nnfs_optim._adam import AdamFamily
from nnfs_optim._buffers import count_step, scalar

__all__ = ["RAdam"]


class RAdam(AdamFamily):
    r"""RAdam (Liu et al., 2020) with the update rule of ``torch.optim.RAdam``.

    For each parameter p with gradient g, at the parameter's step t:

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda p && \text{(decoupled: } p \leftarrow p (1 - \eta \lambda) \text{ instead)} \\
    m &\leftarrow \beta_1 m + (1 - \beta_1) g, \quad v \leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
    \rho_\infty &= \frac{2}{1 - \beta_2} - 1, \quad \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1 - \beta_2^t} \\
    p &\leftarrow p - \frac{\eta \, m}{1 - \beta_1^t} \, r \, \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v} + \epsilon},
      \quad r = \sqrt{\frac{(\rho_t - 4)(\rho_t - 2) \rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2) \rho_t}}
      && \text{if } \rho_t > 5 \\
    p &\leftarrow p - \frac{\eta \, m}{1 - \beta_1^t}
      && \text{otherwise (plain momentum while the variance is intractable)}
    \end{aligned}
    $$

    Here $\eta$ is ``learning_rate``, $\lambda$ ``weight_decay``, $(\beta_1, \beta_2)$ ``betas`` and $\epsilon$ ``eps``.

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Parameters
    ----------
    learning_rate : float
        Step size, default 1e-3 (torch's).
    betas : (float, float)
        Decay rates of m and v, each in [0, 1).
    eps : float
        Added to the denominator.
    weight_decay : float
        Weight decay coefficient, >= 0.
    decoupled_weight_decay : bool
        Shrink the weights directly (RAdamW) instead of adding an L2 term to the gradient.
    clip_norm, clip_value, param_groups : optional
        Gradient clipping and per-group hyperparameters, as for every optimizer (``BaseOptimizer``).
    """

    def __init__(
        self,
        learning_rate: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(learning_rate, betas=betas, eps=eps, weight_decay=weight_decay,
                         decoupled_weight_decay=decoupled_weight_decay, clip_norm=clip_norm, clip_value=clip_value,
                         param_groups=param_groups)

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        beta1, beta2 = self.betas
        lr = self.learning_rate
        step = count_step(state)
        g = self.decayed_gradient(param, grad)
        exp_avg, exp_avg_sq, work = self.update_moments(param, g, state)

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
        if rho_t > 5.0:  # the variance of the adaptive rate is tractable: rectified Adam step
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            np.sqrt(exp_avg_sq, out=work)
            work += scalar(param, self.eps)
            np.divide(scalar(param, bias_correction2**0.5), work, out=work)
            work *= exp_avg
            work *= scalar(param, lr * rect / bias_correction1)
        else:  # early steps: SGD with momentum on the bias-corrected m
            np.multiply(exp_avg, scalar(param, lr / bias_correction1), out=work)
        param -= work
