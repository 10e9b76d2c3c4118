"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseOptimizer
from nnfs_core.validation import check_flag, check_positive
from nnfs_optim._buffers import Scratch, coupled_decay, lerp_, scalar, state_array

__all__ = ["RMSprop"]


class RMSprop(BaseOptimizer):
    r"""RMSprop (Hinton, 2012) with the update rule of ``torch.optim.RMSprop``.

    For each parameter p with gradient g:

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda p \\
    s &\leftarrow \alpha s + (1 - \alpha) g^2 \\
    a &\leftarrow \alpha a + (1 - \alpha) g && \text{(centered only)} \\
    d &= \sqrt{s - a^2} + \epsilon \ \text{if centered, else } \sqrt{s} + \epsilon \\
    b &\leftarrow \mu b + g / d, \quad p \leftarrow p - \eta b && \text{if } \mu = \texttt{momentum} > 0 \\
    p &\leftarrow p - \eta \, g / d && \text{otherwise}
    \end{aligned}
    $$

    Here $\eta$ is ``learning_rate``, $\lambda$ ``weight_decay``, $\alpha$ ``alpha`` and $\epsilon$ ``eps``.

    State per parameter: ``square_avg`` (s), ``grad_avg`` (a, centered), ``momentum_buffer`` (b, momentum).

    Parameters
    ----------
    learning_rate : float
        Step size, default 1e-2 (torch's).
    alpha : float
        Smoothing constant of the running averages, >= 0.
    eps : float
        Added to the denominator.
    weight_decay : float
        L2 penalty added to the gradient.
    momentum : float
        Momentum factor, >= 0.
    centered : bool
        Normalise by an estimate of the gradient's variance instead of its second moment.
    clip_norm, clip_value, param_groups : optional
        Gradient clipping and per-group hyperparameters, as for every optimizer (``BaseOptimizer``).
    """

    def __init__(
        self,
        learning_rate: float = 1e-2,
        *,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(learning_rate, clip_norm=clip_norm, clip_value=clip_value, param_groups=param_groups)
        self.alpha = check_positive("RMSprop", "alpha", alpha, allow_zero=True)
        self.eps = check_positive("RMSprop", "eps", eps, allow_zero=True)
        self.weight_decay = check_positive("RMSprop", "weight_decay", weight_decay, allow_zero=True)
        self.momentum = check_positive("RMSprop", "momentum", momentum, allow_zero=True)
        self.centered = check_flag("RMSprop", "centered", centered)
        self._scratch = Scratch()

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        alpha = self.alpha
        g = coupled_decay(param, grad, self.weight_decay, self._scratch.get(param, 1))
        square_avg = state_array("RMSprop", state, "square_avg", param)
        work = self._scratch.get(param, 0)

        square_avg *= scalar(param, alpha)
        np.multiply(g, g, out=work)
        work *= scalar(param, 1 - alpha)
        square_avg += work
        if self.centered:
            grad_avg = state_array("RMSprop", state, "grad_avg", param)
            lerp_(grad_avg, g, 1 - alpha, work)
            np.multiply(grad_avg, grad_avg, out=work)
            np.subtract(square_avg, work, out=work)
            np.sqrt(work, out=work)
        else:
            np.sqrt(square_avg, out=work)
        work += scalar(param, self.eps)

        np.divide(g, work, out=work)
        if self.momentum > 0:
            buffer = state_array("RMSprop", state, "momentum_buffer", param)
            buffer *= scalar(param, self.momentum)
            buffer += work
            np.multiply(buffer, scalar(param, self.learning_rate), out=work)
        else:
            work *= scalar(param, self.learning_rate)
        param -= work
