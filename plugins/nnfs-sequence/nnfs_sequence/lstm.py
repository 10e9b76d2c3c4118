"""LSTM: long short-term memory over (N, L, F) sequences, as ``torch.nn.LSTM(batch_first=True)``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.protocols import Array
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
    hidden_size, num_layers, bidirectional, return_sequences, dropout, use_bias
        As for `RNN` (`nnfs_sequence.rnn.RNN`), which describes each (``hidden_size`` is the size H of
        both the hidden and the cell state); an LSTM has no ``nonlinearity``.
    """

    gates: ClassVar[int] = 4
    state_count: ClassVar[int] = 2

    def _scale(self) -> Array:
        # sigma(x) = (1 + tanh(x / 2)) / 2: with the i, f and o rows halved, one tanh covers the four gates
        scale = np.full(4 * self.hidden_size, 0.5, dtype=self.dtype)
        scale[2 * self.hidden_size:3 * self.hidden_size] = 1
        return scale

    def _shift(self) -> Array:
        """What turns tanh(x / 2) into sigma(x) on the i, f, o columns (with `_scale`): a * scale + shift."""
        shift = np.full(4 * self.hidden_size, 0.5, dtype=self.dtype)
        shift[2 * self.hidden_size:3 * self.hidden_size] = 0
        return shift

    def _recur(self, gates: Array, names: _Names, reverse: bool, out: Array, initial: States | None) -> Any:
        steps, n, _ = gates.shape
        hidden = self.hidden_size
        weight_hh_t = np.ascontiguousarray((self.params[names.weight_hh] * self._scale()[:, None]).T)
        blocks = gates.reshape(steps, n, 4, hidden)
        cells = np.empty((steps, n, hidden), dtype=self.dtype)
        tanh_cells = np.empty_like(cells)
        scratch = np.empty((n, 4 * hidden), dtype=self.dtype)
        scale, shift = self._scale(), self._shift()
        h_prev: Array | None = None if initial is None else initial[0]
        c_prev: Array | None = None if initial is None else initial[1]
        for t in self._steps(steps, reverse):
            step = gates[t]
            if h_prev is not None:
                self.ops.matmul(h_prev, weight_hh_t, out=scratch)
                step += scratch
            np.tanh(step, out=step)  # then (1 + a) / 2 on i, f, o, in two products over the whole row
            step *= scale
            step += shift
            i, f, g, o = blocks[t, :, 0], blocks[t, :, 1], blocks[t, :, 2], blocks[t, :, 3]
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
        blocks, grad_blocks = gates.reshape(steps, n, 4, hidden), grad_gates.reshape(steps, n, 4, hidden)
        grad_h = np.zeros((n, hidden), dtype=self.dtype)
        grad_c = np.zeros_like(grad_h) if grad_cells is None else np.array(grad_cells[0], dtype=self.dtype)
        tmp = np.empty_like(grad_h)
        order = self._steps(steps, reverse)
        for position in range(steps - 1, -1, -1):
            t = order[position]
            i, f, g, o = blocks[t, :, 0], blocks[t, :, 1], blocks[t, :, 2], blocks[t, :, 3]
            d_ifg, d_f, d_g, d_o = (grad_blocks[t, :, :3], grad_blocks[t, :, 1], grad_blocks[t, :, 2],
                                    grad_blocks[t, :, 3])
            tanh_cell = tanh_cells[t]
            grad_h += grad[t]
            # each gate's derivative: a (1 - a) for the sigmoids i, f, o; 1 - g^2 for g
            np.subtract(1, gates[t], out=grad_gates[t])
            grad_gates[t] *= gates[t]
            np.multiply(g, g, out=d_g)
            np.subtract(1, d_g, out=d_g)
            # dc += dh o (1 - tanh(c)^2);  d o_pre = dh tanh(c) o (1 - o)
            np.multiply(tanh_cell, tanh_cell, out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= grad_h
            grad_c += tmp
            d_o *= tanh_cell
            d_o *= grad_h
            # d i_pre = dc g i (1 - i);  d f_pre = dc c_{t-1} f (1 - f);  d g_pre = dc i (1 - g^2)
            grad_blocks[t, :, 0] *= g
            c_before = cells[order[position - 1]] if position > 0 else c_start
            if c_before is None:
                d_f.fill(0)
            else:
                d_f *= c_before
            d_g *= i
            d_ifg *= grad_c[:, None, :]
            # dc_{t-1} = dc f;  dh_{t-1} = d gates_pre W_hh (at the first step: the initial state's gradient)
            grad_c *= f
            self.ops.matmul(grad_gates[t], weight_hh, out=grad_h)
        return grad_gates, grad_gates, (grad_h, grad_c)
