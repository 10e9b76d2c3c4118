"""Adam: adaptive moment estimation, with AMSGrad and L2 or decoupled weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array
from nnfs_core.validation import check_flag
from nnfs_optim._adam import AdamFamily
from nnfs_optim._buffers import count_step, scalar, state_array

__all__ = ["Adam"]


class Adam(AdamFamily):
    r"""Adam (Kingma & Ba, 2015) with the update rule of ``torch.optim.Adam``.

    For each parameter p with gradient g, at the parameter's step t = 1, 2, ...:

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda p && \text{(decoupled: } p \leftarrow p (1 - \eta \lambda) \text{ instead)} \\
    m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
    v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
    v_{\max} &\leftarrow \max(v_{\max}, v) && \text{(amsgrad; } v_{\max} \text{ replaces } v \text{ below)} \\
    p &\leftarrow p - \frac{\eta}{1 - \beta_1^t} \, \frac{m}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}
    \end{aligned}
    $$

    with $\eta$ the learning rate, $\lambda$ the weight decay and $(\beta_1, \beta_2)$ = ``betas``.

    The bias corrections make the first step exactly ``lr * sign(g)`` (up to ``eps``), whatever the
    gradient's scale. State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with
    amsgrad, ``max_exp_avg_sq``.

    Parameters
    ----------
    learning_rate : float
        Step size (torch's ``lr``), default 1e-3.
    betas : (float, float)
        Decay rates of the first and second moment estimates, each in [0, 1).
    eps : float
        Added to the denominator for numerical stability.
    weight_decay : float
        L2 penalty added to the gradient (decoupled: multiplicative shrinkage, as AdamW).
    amsgrad : bool
        Use the running maximum of v (Reddi et al., 2018).
    decoupled_weight_decay : bool
        Decay the weights directly instead of through the gradient; ``Adam(decoupled_weight_decay=True)``
        is ``AdamW``.
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
        amsgrad: bool = False,
        decoupled_weight_decay: bool = False,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(learning_rate, betas=betas, eps=eps, weight_decay=weight_decay,
                         decoupled_weight_decay=decoupled_weight_decay, clip_norm=clip_norm, clip_value=clip_value,
                         param_groups=param_groups)
        self.amsgrad = check_flag(type(self).__name__, "amsgrad", amsgrad)

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        beta1, beta2 = self.betas
        step = count_step(state)
        g = self.decayed_gradient(param, grad)
        exp_avg, exp_avg_sq, denom = self.update_moments(param, g, state)
        second = exp_avg_sq
        if self.amsgrad:
            second = state_array(type(self).__name__, state, "max_exp_avg_sq", param)
            np.maximum(second, exp_avg_sq, out=second)
        # p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
        np.sqrt(second, out=denom)
        denom /= scalar(param, (1 - beta2**step) ** 0.5)
        denom += scalar(param, self.eps)
        np.divide(exp_avg, denom, out=denom)
        denom *= scalar(param, self.learning_rate / (1 - beta1**step))
        param -= denom
