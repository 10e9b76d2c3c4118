"""Lion: sign momentum found by program search."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseOptimizer
from nnfs_core.validation import check_betas, check_positive
from nnfs_optim._buffers import Scratch, scalar, state_array

__all__ = ["Lion"]


class Lion(BaseOptimizer):
    r"""Lion, EvoLved Sign Momentum (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms").

    torch 2.13 has no Lion; this is Algorithm 2 of the paper (as in its reference implementation). For
    each parameter p with gradient g:

    $$
    \begin{aligned}
    c &= \beta_1 m + (1 - \beta_1) g \\
    p &\leftarrow p - \eta \left(\operatorname{sign}(c) + \lambda p\right) \\
    m &\leftarrow \beta_2 m + (1 - \beta_2) g
    \end{aligned}
    $$

    Here $\eta$ is ``learning_rate``, $\lambda$ ``weight_decay`` and $(\beta_1, \beta_2)$ ``betas``.

    Every coordinate moves by exactly ``lr`` (plus the decay), so Lion wants a learning rate 3-10x smaller
    than AdamW's and a weight decay 3-10x larger. State per parameter: ``exp_avg`` (m).

    Parameters
    ----------
    learning_rate : float
        Step size; the default 1e-4 is the paper's reference implementation's (torch has no Lion).
    betas : (float, float)
        Interpolation factor of the update direction and decay rate of m, each in [0, 1].
    weight_decay : float
        Decoupled weight decay coefficient, >= 0.
    clip_norm, clip_value, param_groups : optional
        Gradient clipping and per-group hyperparameters, as for every optimizer (``BaseOptimizer``).
    """

    def __init__(
        self,
        learning_rate: float = 1e-4,
        *,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(learning_rate, clip_norm=clip_norm, clip_value=clip_value, param_groups=param_groups)
        self.betas = check_betas("Lion", betas, high_open=False)
        self.weight_decay = check_positive("Lion", "weight_decay", weight_decay, allow_zero=True)
        self._scratch = Scratch()

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        beta1, beta2 = self.betas
        lr = self.learning_rate
        exp_avg = state_array("Lion", state, "exp_avg", param)
        direction = self._scratch.get(param, 0)
        work = self._scratch.get(param, 1)

        np.multiply(exp_avg, scalar(param, beta1), out=direction)
        np.multiply(grad, scalar(param, 1 - beta1), out=work)
        direction += work
        np.sign(direction, out=direction)
        if self.weight_decay != 0:
            param *= scalar(param, 1 - lr * self.weight_decay)
        direction *= scalar(param, lr)
        param -= direction

        exp_avg *= scalar(param, beta2)
        np.multiply(grad, scalar(param, 1 - beta2), out=work)
        exp_avg += work
