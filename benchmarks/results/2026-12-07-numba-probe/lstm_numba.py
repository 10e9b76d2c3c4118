"""nnfs-sequence's LSTM with its per-step gate and cell work compiled by numba: a probe, not part of nnfs.

``patch()`` replaces ``LSTM._recur`` and ``LSTM._recur_backward`` by versions whose elementwise work per
step is one compiled loop (the products stay NumPy's, through the layer's Ops). It sizes what an optional
compiled ``ops`` pack would buy (issues 19 and 21); nnfs does not depend on numba. float32 only: tanh is a
clamped rational function (Eigen's float tanh, 13/6) that LLVM vectorises. ``sitecustomize.py`` beside
this file patches when ``NNFS_PROBE_NUMBA=1``, so ``python -m benchmarks`` measures the whole workload.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

LIMIT = np.float32(7.90531110763549805)  # beyond it tanh rounds to +-1 in float32
P0, P1, P2, P3, P4, P5, P6 = (np.float32(value) for value in (
    -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
    1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03))
Q0, Q1, Q2, Q3 = (np.float32(value) for value in (
    1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03))
HALF, ONE = np.float32(0.5), np.float32(1)
COMPILE = {"fastmath": True, "error_model": "numpy", "cache": False}
CALLS = [0]  # how often the compiled recurrence ran (check_lstm_numba.py checks it)


@numba.njit(inline="always", **COMPILE)
def tanh_rational(x):  # noqa: ANN001, ANN201 - numba types it
    x = min(max(x, -LIMIT), LIMIT)
    x2 = x * x
    p = ((((((P0 * x2 + P1) * x2 + P2) * x2 + P3) * x2 + P4) * x2 + P5) * x2 + P6) * x
    q = ((Q0 * x2 + Q1) * x2 + Q2) * x2 + Q3
    return p / q


@numba.njit(**COMPILE)
def forward_cell(step, recurrent, has_recurrent, c_prev, has_c, cell, tanh_cell, h):  # noqa: ANN001, ANN201
    """step += recurrent; the gates (sigma on i, f, o as (1 + tanh(x / 2)) / 2, their rows already halved;
    tanh on g) written over step; c = i g + f c_prev; h = o tanh(c)."""
    hidden = cell.shape[1]
    for n in range(step.shape[0]):
        row = step[n]
        for j in range(4 * hidden):
            t = tanh_rational(row[j] + recurrent[n, j] if has_recurrent else row[j])
            row[j] = t if 2 * hidden <= j < 3 * hidden else HALF * t + HALF
        for j in range(hidden):
            c = row[j] * row[2 * hidden + j]
            if has_c:
                c += row[hidden + j] * c_prev[n, j]
            cell[n, j] = c
            tc = tanh_rational(c)
            tanh_cell[n, j] = tc
            h[n, j] = row[3 * hidden + j] * tc


@numba.njit(**COMPILE)
def backward_cell(gates, tanh_cell, c_before, has_c, grad_h, grad_out, grad_c, grad_gates):  # noqa: ANN001, ANN201
    """One step back: the gates' pre-activation gradients into grad_gates, grad_c carried to the step before."""
    hidden = tanh_cell.shape[1]
    for n in range(gates.shape[0]):
        for j in range(hidden):
            i, f = gates[n, j], gates[n, hidden + j]
            g, o = gates[n, 2 * hidden + j], gates[n, 3 * hidden + j]
            tc, dh = tanh_cell[n, j], grad_h[n, j] + grad_out[n, j]
            dc = grad_c[n, j] + dh * o * (ONE - tc * tc)
            grad_gates[n, j] = dc * g * i * (ONE - i)
            grad_gates[n, hidden + j] = dc * c_before[n, j] * f * (ONE - f) if has_c else np.float32(0)
            grad_gates[n, 2 * hidden + j] = dc * i * (ONE - g * g)
            grad_gates[n, 3 * hidden + j] = dh * tc * o * (ONE - o)
            grad_c[n, j] = dc * f


def _recur(self: Any, gates: Any, names: Any, reverse: bool, out: Any, initial: Any) -> Any:
    CALLS[0] += 1
    steps, n, _ = gates.shape
    hidden = self.hidden_size
    weight_hh_t = np.ascontiguousarray((self.params[names.weight_hh] * self._scale()[:, None]).T)
    cells = np.empty((steps, n, hidden), dtype=self.dtype)
    tanh_cells = np.empty_like(cells)
    recurrent = np.empty((n, 4 * hidden), dtype=self.dtype)
    h_prev = None if initial is None else initial[0]
    c_prev = None if initial is None else initial[1]
    for t in self._steps(steps, reverse):
        if h_prev is not None:
            self.ops.matmul(h_prev, weight_hh_t, out=recurrent)
        forward_cell(gates[t], recurrent, h_prev is not None, cells[t] if c_prev is None else c_prev,
                     c_prev is not None, cells[t], tanh_cells[t], out[t])
        h_prev, c_prev = out[t], cells[t]
    return gates, cells, tanh_cells, None if initial is None else initial[1]


def _recur_backward(self: Any, grad: Any, cache: Any, names: Any, reverse: bool, out: Any, grad_cells: Any) -> Any:
    gates, cells, tanh_cells, c_start = cache
    steps, n, _ = gates.shape
    weight_hh = self.params[names.weight_hh]
    grad_gates = np.empty_like(gates)
    grad_h = np.zeros((n, self.hidden_size), dtype=self.dtype)
    grad_c = np.zeros_like(grad_h) if grad_cells is None else np.array(grad_cells[0], dtype=self.dtype)
    order = self._steps(steps, reverse)
    for position in range(steps - 1, -1, -1):
        t = order[position]
        c_before = cells[order[position - 1]] if position > 0 else c_start
        backward_cell(gates[t], tanh_cells[t], cells[t] if c_before is None else c_before, c_before is not None,
                      grad_h, grad[t], grad_c, grad_gates[t])
        self.ops.matmul(grad_gates[t], weight_hh, out=grad_h)
    return grad_gates, grad_gates, (grad_h, grad_c)


def patch() -> None:
    """Route every float32 LSTM through the compiled cell (other dtypes keep NumPy's)."""
    from nnfs_sequence.lstm import LSTM

    numpy_recur, numpy_backward = LSTM._recur, LSTM._recur_backward

    def recur(self: Any, gates: Any, *args: Any) -> Any:
        return (_recur if gates.dtype == np.float32 else numpy_recur)(self, gates, *args)

    def recur_backward(self: Any, grad: Any, cache: Any, *args: Any) -> Any:
        return (_recur_backward if cache[0].dtype == np.float32 else numpy_backward)(self, grad, cache, *args)

    LSTM._recur, LSTM._recur_backward = recur, recur_backward  # type: ignore[method-assign]
