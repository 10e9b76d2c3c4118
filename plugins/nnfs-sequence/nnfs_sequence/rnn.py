"""RNN: the Elman recurrent layer over (N, L, F) sequences, as ``torch.nn.RNN(batch_first=True)``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.protocols import Array
from nnfs_core.validation import check_choice
from nnfs_sequence._kernels import relu_, tanh_
from nnfs_sequence._recurrent import RecurrentBase, _Names
from nnfs_sequence._states import States

__all__ = ["RNN"]


class RNN(RecurrentBase):
    r"""Elman recurrence h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu.

    $$
    h_t = \phi\big(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}\big)
    $$

    Shapes: x (N, L, F) -> (N, L, D H) with ``return_sequences``, else (N, D H); ``weight_ih_l{k}``
    (H, F or D H), ``weight_hh_l{k}`` (H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (H,), ``_reverse`` for
    the reverse direction, as PyTorch. The initial state is zero in a layer list; `run` takes h_0 (and
    returns h_n) as torch's ``forward(input, h_0)``.

    Parameters
    ----------
    hidden_size : int
        Features of the hidden state H.
    num_layers : int
        Recurrent layers stacked, each reading the previous one's hidden states.
    bidirectional : bool
        Add a reverse direction to every layer (D = 2), its states after the forward ones.
    return_sequences : bool
        Every step's hidden state of the last layer (True), or the last state only (False): the
        forward direction's at step L - 1 and the reverse one's at step 0.
    dropout : float
        Dropout probability on the hidden states between layers, while training.
    use_bias : bool
        Learn ``bias_ih`` and ``bias_hh``.
    nonlinearity : {"tanh", "relu"}
        The activation phi.
    """

    gates: ClassVar[int] = 1

    def __init__(self, hidden_size: int, *, num_layers: int = 1, bidirectional: bool = False,
                 return_sequences: bool = True, dropout: float = 0.0, use_bias: bool = True,
                 nonlinearity: str = "tanh") -> None:
        super().__init__(hidden_size, num_layers=num_layers, bidirectional=bidirectional,
                         return_sequences=return_sequences, dropout=dropout, use_bias=use_bias)
        self.nonlinearity = check_choice("RNN", "nonlinearity", nonlinearity, ("tanh", "relu"))

    def _recur(self, gates: Array, names: _Names, reverse: bool, out: Array, initial: States | None) -> Any:
        activation = tanh_ if self.nonlinearity == "tanh" else relu_
        weight_hh_t = np.ascontiguousarray(self.params[names.weight_hh].T)
        scratch = np.empty(gates.shape[1:], dtype=self.dtype)
        h_prev = None if initial is None else initial[0]
        for t in self._steps(gates.shape[0], reverse):
            step = gates[t]
            if h_prev is not None:
                self.ops.matmul(h_prev, weight_hh_t, out=scratch)
                step += scratch
            out[t] = activation(step)
            h_prev = out[t]
        return gates

    def _recur_backward(self, grad: Array, cache: Any, names: _Names, reverse: bool, out: Array,
                        grad_cells: States | None) -> tuple[Array, Array, States]:
        activations = cache
        weight_hh = self.params[names.weight_hh]
        grad_pre = np.empty_like(activations)
        grad_h = np.zeros(activations.shape[1:], dtype=self.dtype)
        derivative = np.empty_like(grad_h)
        for t in reversed(self._steps(activations.shape[0], reverse)):
            grad_h += grad[t]
            if self.nonlinearity == "tanh":  # 1 - y^2
                np.multiply(activations[t], activations[t], out=derivative)
                np.subtract(1, derivative, out=derivative)
            else:  # 1 where y > 0: y >= 0, so its sign
                np.sign(activations[t], out=derivative)
            np.multiply(grad_h, derivative, out=grad_pre[t])
            self.ops.matmul(grad_pre[t], weight_hh, out=grad_h)  # at the first step: the initial state's gradient
        return grad_pre, grad_pre, (grad_h,)
