"""SGD: stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.protocols import Array, BaseOptimizer
from nnfs_core.validation import check_flag, check_number, check_positive
from nnfs_optim._buffers import Scratch, coupled_decay, scalar

__all__ = ["SGD"]


class SGD(BaseOptimizer):
    r"""Stochastic gradient descent, with the update rule of ``torch.optim.SGD``.

    For each parameter p with gradient g:

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda p && \lambda = \texttt{weight\_decay} \\
    b &\leftarrow g \ \text{(first step)}, \quad b \leftarrow \mu b + (1 - \tau) g \ \text{(afterwards)}
      && \mu = \texttt{momentum},\ \tau = \texttt{dampening} \\
    g &\leftarrow g + \mu b \ \text{if nesterov, else } g \leftarrow b && \text{(only when } \mu \ne 0) \\
    p &\leftarrow p - \eta g && \eta = \texttt{learning\_rate}
    \end{aligned}
    $$

    State per parameter: ``momentum_buffer`` (b), created on the first step with momentum.

    Parameters
    ----------
    learning_rate : float
        Step size. The default 0.01 is ours: torch 2.13 defaults to 1e-3 (older releases had none).
    momentum : float
        Momentum factor, >= 0.
    dampening : float
        Dampening of the gradient's contribution to the momentum buffer.
    weight_decay : float
        L2 penalty coefficient, >= 0 (added to the gradient).
    nesterov : bool
        Nesterov momentum; needs ``momentum > 0`` and ``dampening == 0``.
    clip_norm, clip_value, param_groups : optional
        Gradient clipping and per-group hyperparameters, as for every optimizer (``BaseOptimizer``).
    """

    def __init__(
        self,
        learning_rate: float = 0.01,
        *,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(learning_rate, clip_norm=clip_norm, clip_value=clip_value, param_groups=param_groups)
        self.momentum = check_positive("SGD", "momentum", momentum, allow_zero=True)
        self.dampening = check_number("SGD", "dampening", dampening)
        self.weight_decay = check_positive("SGD", "weight_decay", weight_decay, allow_zero=True)
        self.nesterov = check_flag("SGD", "nesterov", nesterov)
        if nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum={momentum!r} and "
                f"dampening={dampening!r}"
            )
        self._scratch = Scratch()

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        # Slot 0 holds the decayed gradient, then (free again) the final step; slot 1 the Nesterov direction.
        # Without weight decay the gradient is used as it is (this runs for every parameter at every step).
        g = grad if self.weight_decay == 0 else coupled_decay(param, grad, self.weight_decay,
                                                              self._scratch.get(param, 0))
        if self.momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buffer *= scalar(param, self.momentum)
                if self.dampening == 0:
                    buffer += g
                else:
                    work = self._scratch.get(param, 1)
                    np.multiply(g, scalar(param, 1 - self.dampening), out=work)
                    buffer += work
            if self.nesterov:
                work = self._scratch.get(param, 1)
                np.multiply(buffer, scalar(param, self.momentum), out=work)
                work += g
                g = work
            else:
                g = buffer
        step = self._scratch.get(param, 0)
        np.multiply(g, scalar(param, self.learning_rate), out=step)
        param -= step
