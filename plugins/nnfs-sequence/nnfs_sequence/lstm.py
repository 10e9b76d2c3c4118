"""LSTM: long short-term memory over (N, L, F) sequences, as ``torch.nn.LSTM(batch_first=True)``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.protocols import Array
from nnfs_sequence._kernels import sigmoid_, tanh_
from nnfs_sequence._recurrent import RecurrentBase, _Names
from nnfs_sequence._states import States

__all__ = ["LSTM"]


class LSTM(RecurrentBase):
    r"""Long short-term memory: gates i, f, g, o (PyTorch's order) from the input and the previous state.

    $$
    \begin{aligned}
    (i, f, g, o) &= (\sigma, \sigma, \tanh, \sigma)\big(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}\big)\\
    c_t &= f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)
    \end{aligned}
    $$

    Shapes: x (N, L, F) -> (N, L, D H) with ``return_sequences`` (the default), else (N, D H);
    ``weight_ih_l{k}`` (4 H, F for k = 0, else D H), ``weight_hh_l{k}`` (4 H, H), ``bias_ih_l{k}`` and
    ``bias_hh_l{k}`` (4 H,), with the suffix ``_reverse`` for the reverse direction: PyTorch's names and
    shapes, so a ``state_dict`` moves across by name. The initial states h_0 and c_0 are zero in a layer
    list; `run` takes them (and returns h_n, c_n) as torch's ``forward(input, (h_0, c_0))``.

    The input projection of every step is one matrix product, so only h_{t-1} W_hh^T is computed step by
    step; back through time, the per-step work writes into arrays allocated once per call, and the
    weight gradients are one product each over all steps.

    Parameters
    ----------
    hidden_size : int
        Features of the hidden and cell states H.
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
    """

    gates: ClassVar[int] = 4
    state_count: ClassVar[int] = 2

    def _recur(self, gates: Array, names: _Names, reverse: bool, out: Array, initial: States | None) -> Any:
        steps, n, _ = gates.shape
        hidden = self.hidden_size
        weight_hh_t = self.params[names.weight_hh].T
        cells = np.empty((steps, n, hidden), dtype=self.dtype)
        tanh_cells = np.empty_like(cells)
        scratch = np.empty((n, 4 * hidden), dtype=self.dtype)
        h_prev: Array | None = None if initial is None else initial[0]
        c_prev: Array | None = None if initial is None else initial[1]
        for t in self._steps(steps, reverse):
            step = gates[t]
            if h_prev is not None:
                self.ops.matmul(h_prev, weight_hh_t, out=scratch)
                step += scratch
            sigmoid_(step[:, :2 * hidden])
            tanh_(step[:, 2 * hidden:3 * hidden])
            sigmoid_(step[:, 3 * hidden:])
            i, f, g, o = (step[:, k * hidden:(k + 1) * hidden] for k in range(4))
            cell = cells[t]
            np.multiply(i, g, out=cell)
            if c_prev is not None:
                np.multiply(f, c_prev, out=scratch[:, :hidden])
                cell += scratch[:, :hidden]
            np.tanh(cell, out=tanh_cells[t])
            np.multiply(o, tanh_cells[t], out=out[t])
            h_prev, c_prev = out[t], cell
        return gates, cells, tanh_cells, None if initial is None else initial[1]

    def _final_cells(self, cache: Any, reverse: bool) -> States:
        cells = cache[1]
        return (cells[0] if reverse else cells[-1],)

    def _recur_backward(self, grad: Array, cache: Any, names: _Names, reverse: bool, out: Array,
                        grad_cells: States | None) -> tuple[Array, Array, States]:
        gates, cells, tanh_cells, c_start = cache
        steps, n, _ = gates.shape
        hidden = self.hidden_size
        weight_hh = self.params[names.weight_hh]
        grad_gates = np.empty_like(gates)
        grad_h = np.zeros((n, hidden), dtype=self.dtype)
        grad_c = np.zeros_like(grad_h) if grad_cells is None else np.array(grad_cells[0], dtype=self.dtype)
        tmp = np.empty_like(grad_h)
        order = self._steps(steps, reverse)
        for position in range(steps - 1, -1, -1):
            t = order[position]
            i, f, g, o = (gates[t, :, k * hidden:(k + 1) * hidden] for k in range(4))
            d_i, d_f, d_g, d_o = (grad_gates[t, :, k * hidden:(k + 1) * hidden] for k in range(4))
            grad_h += grad[t]
            # d o_pre = dh tanh(c) o (1 - o)
            np.subtract(1, o, out=tmp)
            tmp *= o
            tmp *= tanh_cells[t]
            np.multiply(grad_h, tmp, out=d_o)
            # dc += dh o (1 - tanh(c)^2)
            np.multiply(tanh_cells[t], tanh_cells[t], out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= grad_h
            grad_c += tmp
            # d i_pre = dc g i (1 - i);  d g_pre = dc i (1 - g^2)
            np.subtract(1, i, out=tmp)
            tmp *= i
            tmp *= g
            np.multiply(grad_c, tmp, out=d_i)
            np.multiply(g, g, out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= i
            np.multiply(grad_c, tmp, out=d_g)
            # d f_pre = dc c_{t-1} f (1 - f); dc_{t-1} = dc f
            c_before = cells[order[position - 1]] if position > 0 else c_start
            if c_before is not None:
                np.subtract(1, f, out=tmp)
                tmp *= f
                tmp *= c_before
                np.multiply(grad_c, tmp, out=d_f)
            else:
                d_f.fill(0)
            grad_c *= f
            # dh_{t-1} = d gates_pre W_hh (at the first step: the initial state's gradient)
            self.ops.matmul(grad_gates[t], weight_hh, out=grad_h)
        return grad_gates, grad_gates, (grad_h, grad_c)
