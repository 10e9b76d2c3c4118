"""Adagrad: per-coordinate step sizes from the sum of all past squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseOptimizer
from nnfs_core.validation import check_positive
from nnfs_optim._buffers import Scratch, count_step, coupled_decay, scalar, state_array

__all__ = ["Adagrad"]


class Adagrad(BaseOptimizer):
    r"""Adagrad (Duchi et al., 2011) with the update rule of ``torch.optim.Adagrad``.

    For each parameter p with gradient g, at the parameter's step t:

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda p \\
    \eta_t &= \frac{\eta}{1 + (t - 1) \, \texttt{lr\_decay}} \\
    s &\leftarrow s + g^2 && (s \text{ starts at } \texttt{initial\_accumulator\_value}) \\
    p &\leftarrow p - \eta_t \, \frac{g}{\sqrt{s} + \epsilon}
    \end{aligned}
    $$

    Here $\eta$ is ``learning_rate``, $\lambda$ ``weight_decay`` and $\epsilon$ ``eps``.

    State per parameter: ``step``, ``sum`` (s).

    Parameters
    ----------
    learning_rate : float
        Step size, default 1e-2 (torch's).
    lr_decay : float
        Learning-rate decay per step, >= 0.
    weight_decay : float
        L2 penalty added to the gradient.
    initial_accumulator_value : float
        Starting value of s, >= 0.
    eps : float
        Added to the denominator, default 1e-10 (torch's).
    clip_norm, clip_value, param_groups : optional
        Gradient clipping and per-group hyperparameters, as for every optimizer (``BaseOptimizer``).
    """

    def __init__(
        self,
        learning_rate: float = 1e-2,
        *,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(learning_rate, clip_norm=clip_norm, clip_value=clip_value, param_groups=param_groups)
        self.lr_decay = check_positive("Adagrad", "lr_decay", lr_decay, allow_zero=True)
        self.weight_decay = check_positive("Adagrad", "weight_decay", weight_decay, allow_zero=True)
        self.initial_accumulator_value = check_positive(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value, allow_zero=True)
        self.eps = check_positive("Adagrad", "eps", eps, allow_zero=True)
        self._scratch = Scratch()

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        step = count_step(state)
        g = coupled_decay(param, grad, self.weight_decay, self._scratch.get(param, 1))
        total = state_array("Adagrad", state, "sum", param, fill=self.initial_accumulator_value)
        work = self._scratch.get(param, 0)

        np.multiply(g, g, out=work)
        total += work
        np.sqrt(total, out=work)
        work += scalar(param, self.eps)
        np.divide(g, work, out=work)
        work *= scalar(param, self.learning_rate / (1 + (step - 1) * self.lr_decay))
        param -= work
