"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array
from nnfs_core.validation import check_positive
from nnfs_optim._adam import AdamFamily
from nnfs_optim._buffers import count_step, scalar, state_scalar

__all__ = ["NAdam"]


class NAdam(AdamFamily):
    r"""NAdam (Dozat, 2016) with the update rule of ``torch.optim.NAdam``.

    For each parameter p with gradient g, at the parameter's step t:

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda p && \text{(decoupled: } p \leftarrow p (1 - \eta \lambda) \text{ instead)} \\
    \mu_t &= \beta_1 \left(1 - \tfrac{1}{2} \, 0.96^{\, t \psi}\right), \quad P_t = \mu_1 \cdots \mu_t
      && \psi = \texttt{momentum\_decay};\ P_t \text{ is the state } \texttt{mu\_product} \\
    m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
    v &\leftarrow \beta_2 v + (1 - \beta_2) g^2, \quad d = \sqrt{v / (1 - \beta_2^t)} + \epsilon \\
    p &\leftarrow p - \eta \, \frac{1 - \mu_t}{1 - P_t} \, \frac{g}{d}
      - \eta \, \frac{\mu_{t+1}}{1 - P_t \mu_{t+1}} \, \frac{m}{d}
    \end{aligned}
    $$

    Here $\eta$ is ``learning_rate``, $\lambda$ ``weight_decay``, $(\beta_1, \beta_2)$ ``betas`` and $\epsilon$ ``eps``.

    State per parameter: ``step``, ``mu_product`` (a float64 scalar), ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Parameters
    ----------
    learning_rate : float
        Step size, default 2e-3 (torch's).
    betas : (float, float)
        Decay rates of m and v, each in [0, 1).
    eps : float
        Added to the denominator.
    weight_decay : float
        Weight decay coefficient, >= 0.
    momentum_decay : float
        psi in the mu schedule above, >= 0.
    decoupled_weight_decay : bool
        Shrink the weights directly (NAdamW) instead of adding an L2 term to the gradient.
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
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(learning_rate, betas=betas, eps=eps, weight_decay=weight_decay,
                         decoupled_weight_decay=decoupled_weight_decay, clip_norm=clip_norm, clip_value=clip_value,
                         param_groups=param_groups)
        self.momentum_decay = check_positive(type(self).__name__, "momentum_decay", momentum_decay, allow_zero=True)

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        beta1, beta2 = self.betas
        lr = self.learning_rate
        step = count_step(state)
        g = self.decayed_gradient(param, grad)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * self.momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * self.momentum_decay))
        mu_product = state_scalar(state, "mu_product", 1.0)
        mu_product *= mu
        product = float(mu_product)
        exp_avg, exp_avg_sq, denom = self.update_moments(param, g, state)

        # d = sqrt(v / (1 - beta2^t)) + eps
        np.divide(exp_avg_sq, scalar(param, 1 - beta2**step), out=denom)
        np.sqrt(denom, out=denom)
        denom += scalar(param, self.eps)
        # Slot 1 holds g itself (decayed into it) or is unused, so it can take g / d.
        term = self._scratch.get(param, 1)
        np.divide(g, denom, out=term)
        term *= scalar(param, lr * (1.0 - mu) / (1.0 - product))
        param -= term
        np.divide(exp_avg, denom, out=denom)
        denom *= scalar(param, lr * mu_next / (1.0 - product * mu_next))
        param -= denom
