"""GRU: gated recurrent unit over (N, L, F) sequences, as ``torch.nn.GRU(batch_first=True)``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core.protocols import Array
from nnfs_sequence._kernels import sigmoid_, tanh_
from nnfs_sequence._recurrent import RecurrentBase, _Names
from nnfs_sequence._states import States

__all__ = ["GRU"]


class GRU(RecurrentBase):
    r"""Gated recurrent unit: reset r, update z and candidate n gates (PyTorch's order and maths).

    $$
    \begin{aligned}
    r &= \sigma(x_t W_{ir}^\top + b_{ir} + h_{t-1} W_{hr}^\top + b_{hr}), \qquad
    z = \sigma(x_t W_{iz}^\top + b_{iz} + h_{t-1} W_{hz}^\top + b_{hz})\\
    n &= \tanh\big(x_t W_{in}^\top + b_{in} + r \odot (h_{t-1} W_{hn}^\top + b_{hn})\big), \qquad
    h_t = (1 - z) \odot n + z \odot h_{t-1}
    \end{aligned}
    $$

    Shapes: x (N, L, F) -> (N, L, D H) with ``return_sequences``, else (N, D H); ``weight_ih_l{k}``
    (3 H, F or D H), ``weight_hh_l{k}`` (3 H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (3 H,), ``_reverse``
    for the reverse direction, as PyTorch. The initial state is zero in a layer list; `run` takes h_0 (and
    returns h_n) as torch's ``forward(input, h_0)``.

    Parameters
    ----------
    hidden_size, num_layers, bidirectional, return_sequences, dropout, use_bias
        As for `RNN` (`nnfs_sequence.rnn.RNN`), which describes each; a GRU has no ``nonlinearity``.
    """

    gates: ClassVar[int] = 3

    def _input_bias(self, names: _Names) -> Array | None:
        # b_hn sits inside r * (...), so only the reset and update parts of bias_hh join the input projection.
        if not self.use_bias:
            return None
        bias = self.params[names.bias_ih].copy()
        bias[:2 * self.hidden_size] += self.params[names.bias_hh][:2 * self.hidden_size]
        return bias

    def _recur(self, gates: Array, names: _Names, reverse: bool, out: Array, initial: States | None) -> Any:
        steps, n, _ = gates.shape
        hidden = self.hidden_size
        weight_hh_t = np.ascontiguousarray(self.params[names.weight_hh].T)
        bias_hn = self.params[names.bias_hh][2 * hidden:] if self.use_bias else None
        hidden_n = np.empty((steps, n, hidden), dtype=self.dtype)  # h_{t-1} W_hn^T + b_hn, kept for backward
        scratch = np.zeros((n, 3 * hidden), dtype=self.dtype)
        h_prev = None if initial is None else initial[0]
        for t in self._steps(steps, reverse):
            step = gates[t]
            if h_prev is not None:
                self.ops.matmul(h_prev, weight_hh_t, out=scratch)
                step[:, :2 * hidden] += scratch[:, :2 * hidden]
            sigmoid_(step[:, :2 * hidden])
            r, z, cand = (step[:, k * hidden:(k + 1) * hidden] for k in range(3))
            if bias_hn is None:
                hidden_n[t] = scratch[:, 2 * hidden:]
            else:
                np.add(scratch[:, 2 * hidden:], bias_hn, out=hidden_n[t])
            np.multiply(r, hidden_n[t], out=scratch[:, :hidden])
            cand += scratch[:, :hidden]
            tanh_(cand)
            # h_t = n + z (h_{t-1} - n)
            if h_prev is None:
                np.multiply(z, cand, out=out[t])
                np.subtract(cand, out[t], out=out[t])
            else:
                np.subtract(h_prev, cand, out=out[t])
                out[t] *= z
                out[t] += cand
            h_prev = out[t]
        return gates, hidden_n, None if initial is None else initial[0]

    def _recur_backward(self, grad: Array, cache: Any, names: _Names, reverse: bool, out: Array,
                        grad_cells: States | None) -> tuple[Array, Array, States]:
        gates, hidden_n, h_start = cache
        steps, n, _ = gates.shape
        hidden = self.hidden_size
        weight_hh = self.params[names.weight_hh]
        grad_x = np.empty_like(gates)
        grad_hidden = np.empty_like(gates)
        grad_h = np.zeros((n, hidden), dtype=self.dtype)
        tmp, tmp2 = np.empty_like(grad_h), np.empty_like(grad_h)
        start = np.zeros_like(grad_h) if h_start is None else h_start
        order = self._steps(steps, reverse)
        for position in range(steps - 1, -1, -1):
            t = order[position]
            h_prev = out[order[position - 1]] if position > 0 else start
            r, z, cand = (gates[t, :, k * hidden:(k + 1) * hidden] for k in range(3))
            d_xr, d_xz, d_xn = (grad_x[t, :, k * hidden:(k + 1) * hidden] for k in range(3))
            d_hr, d_hz, d_hn = (grad_hidden[t, :, k * hidden:(k + 1) * hidden] for k in range(3))
            grad_h += grad[t]
            # d n_pre = dh (1 - z) (1 - n^2); the hidden part of n gets it times r
            np.subtract(1, z, out=tmp)
            tmp *= grad_h
            np.multiply(cand, cand, out=tmp2)
            np.subtract(1, tmp2, out=tmp2)
            np.multiply(tmp, tmp2, out=d_xn)
            np.multiply(d_xn, r, out=d_hn)
            # d r_pre = d n_pre (h W_hn^T + b_hn) r (1 - r)
            np.subtract(1, r, out=tmp)
            tmp *= r
            tmp *= hidden_n[t]
            np.multiply(d_xn, tmp, out=d_xr)
            d_hr[...] = d_xr
            # d z_pre = dh (h_{t-1} - n) z (1 - z)
            np.subtract(h_prev, cand, out=tmp)
            tmp *= grad_h
            np.subtract(1, z, out=tmp2)
            tmp2 *= z
            np.multiply(tmp, tmp2, out=d_xz)
            d_hz[...] = d_xz
            # dh_{t-1} = dh z + d hidden_pre W_hh
            grad_h *= z
            self.ops.matmul(grad_hidden[t], weight_hh, out=tmp)
            grad_h += tmp  # at the first step: the initial state's gradient
        return grad_x, grad_hidden, (grad_h,)
