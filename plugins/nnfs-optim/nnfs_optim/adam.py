"""Adam: adaptive moment estimation, with AMSGrad and L2 or decoupled weight decay."""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array, BaseOptimizer
from nnfs_optim import _validation as check
from nnfs_optim._buffers import Scratch, count_step, coupled_decay, lerp_, scalar, state_array

__all__ = ["Adam"]


class Adam(BaseOptimizer):
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
    clip_norm, clip_value : float, optional
        Gradient clipping, see ``BaseOptimizer``.
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
    ) -> None:
        super().__init__(learning_rate, clip_norm=clip_norm, clip_value=clip_value)
        owner = type(self).__name__
        self.betas = check.betas(owner, betas)
        self.eps = check.non_negative(owner, "eps", eps)
        self.weight_decay = check.non_negative(owner, "weight_decay", weight_decay)
        self.amsgrad = check.flag(owner, "amsgrad", amsgrad)
        self.decoupled_weight_decay = check.flag(owner, "decoupled_weight_decay", decoupled_weight_decay)
        self._scratch = Scratch()

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        owner = type(self).__name__
        beta1, beta2 = self.betas
        lr = self.learning_rate
        step = count_step(state)
        if self.weight_decay != 0 and self.decoupled_weight_decay:
            param *= scalar(param, 1 - lr * self.weight_decay)
            g = grad
        else:
            g = coupled_decay(param, grad, self.weight_decay, self._scratch.get(param, 1))
        exp_avg = state_array(owner, state, "exp_avg", param)
        exp_avg_sq = state_array(owner, state, "exp_avg_sq", param)
        work = self._scratch.get(param, 0)

        lerp_(exp_avg, g, 1 - beta1, work)
        exp_avg_sq *= scalar(param, beta2)
        np.multiply(g, g, out=work)
        work *= scalar(param, 1 - beta2)
        exp_avg_sq += work
        second = exp_avg_sq
        if self.amsgrad:
            second = state_array(owner, state, "max_exp_avg_sq", param)
            np.maximum(second, exp_avg_sq, out=second)

        bias_correction1 = 1 - beta1**step
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        denom = work
        np.sqrt(second, out=denom)
        denom /= scalar(param, bias_correction2_sqrt)
        denom += scalar(param, self.eps)
        np.divide(exp_avg, denom, out=denom)
        denom *= scalar(param, lr / bias_correction1)
        param -= denom
