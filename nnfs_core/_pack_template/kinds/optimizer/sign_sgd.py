"""SignSGD: steps by the sign of the (momentum-averaged) gradient."""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array, BaseOptimizer


class SignSGD(BaseOptimizer):
    """Sign descent with momentum (signSGD / Signum, Bernstein et al., 2018).

    For each parameter p with gradient g:

        m <- momentum * m + (1 - momentum) * g        (m = g when momentum is 0)
        p <- p - learning_rate * sign(m)

    State per parameter: ``momentum_buffer`` (m), created at the parameter's first step.

    Parameters
    ----------
    learning_rate : float
        Size of every step (each element moves by exactly this much).
    momentum : float
        Decay of the gradient average, in [0, 1).
    """

    example_args = {"learning_rate": 0.01, "momentum": 0.9}  # what the conformance kit creates it with

    def __init__(self, learning_rate: float = 0.01, *, momentum: float = 0.0) -> None:
        super().__init__(learning_rate)  # checks learning_rate; clipping, state and state_dict come with it
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SignSGD: momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)  # store every constructor argument under its own name

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        # Called once per parameter per step, after self.iterations moved; state is this parameter's own.
        direction = grad
        if self.momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(param)
            buffer = state["momentum_buffer"]
            buffer *= self.momentum
            buffer += (1 - self.momentum) * grad
            direction = buffer
        param -= param.dtype.type(self.learning_rate) * np.sign(direction)  # in place: the layer holds param
