"""What a compiled elementwise kernel would buy the LSTM: one step's gate and cell work, NumPy against numba.

Not part of nnfs: a probe for the decision in issues 19 and 21 (an optional compiled `ops` pack). It needs
numba, which nnfs does not depend on: ``pip install numba`` in a scratch environment, then
``python lstm_cell_probe.py``. The NumPy side is nnfs-sequence's LSTM step as it is (``lstm.py``,
``_recur``): the four gates' pre-activations (i, f, o already halved through the weights) through one
tanh, turned into sigmoids by ``a * scale + shift``, then the cell and ``h = o tanh(c)``. The numba side
does the same in one pass per row, with tanh as a clamped rational function (Eigen's float tanh, 13/6:
``lstm_numba.tanh_rational``), which the compiler vectorises; NumPy's float32 tanh has no SIMD loop on
AVX2 processors.
"""

import platform
import timeit
from functools import partial

import llvmlite.binding
import numba
import numpy as np
from lstm_numba import HALF, tanh_rational

BATCH, HIDDEN = 64, 128  # issue 19's LSTM benchmark: batch 64, hidden 128


@numba.njit(fastmath=True, error_model="numpy")
def fused_step(step, c_prev, cell, tanh_cell, h):  # noqa: ANN001, ANN201
    hidden = cell.shape[1]
    for n in range(step.shape[0]):
        row = step[n]
        for j in range(4 * hidden):  # sigma(x) = (1 + tanh(x / 2)) / 2 on i, f, o; tanh on g
            t = tanh_rational(row[j])
            row[j] = t if 2 * hidden <= j < 3 * hidden else HALF * t + HALF
        for j in range(hidden):
            c = row[hidden + j] * c_prev[n, j] + row[j] * row[2 * hidden + j]
            cell[n, j] = c
            tanh_cell[n, j] = tanh_rational(c)
            h[n, j] = row[3 * hidden + j] * tanh_cell[n, j]


def numpy_step(step, c_prev, cell, tanh_cell, h, scale, shift, scratch):  # noqa: ANN001, ANN201
    np.tanh(step, out=step)
    step *= scale
    step += shift
    blocks = step.reshape(len(step), 4, -1)
    i, f, g, o = blocks[:, 0], blocks[:, 1], blocks[:, 2], blocks[:, 3]
    np.multiply(i, g, out=cell)
    np.multiply(f, c_prev, out=scratch)
    cell += scratch
    np.tanh(cell, out=tanh_cell)
    np.multiply(o, tanh_cell, out=h)


def measure(kernel, pre, c_prev, *extra):  # noqa: ANN001, ANN201
    """The kernel's time for one step (the copy that restores the pre-activations taken off) and its outputs."""
    step, cell, tanh_cell, h = pre.copy(), *(np.empty(c_prev.shape, np.float32) for _ in range(3))
    run = partial(kernel, step, c_prev, cell, tanh_cell, h, *extra)
    restore = partial(np.copyto, step, pre)
    restore()
    run()
    outputs = (step.copy(), cell.copy(), h.copy())
    seconds = min(timeit.repeat(lambda: (restore(), run()), number=300, repeat=7)) / 300
    return seconds - min(timeit.repeat(restore, number=300, repeat=7)) / 300, outputs


def main() -> None:
    rng = np.random.default_rng(0)
    pre = rng.standard_normal((BATCH, 4 * HIDDEN), dtype=np.float32) * 2
    c_prev = rng.standard_normal((BATCH, HIDDEN), dtype=np.float32)
    scale = np.full(4 * HIDDEN, 0.5, np.float32)
    scale[2 * HIDDEN:3 * HIDDEN] = 1
    shift = np.where(scale == 1, 0, 0.5).astype(np.float32)
    numpy_seconds, numpy_outputs = measure(numpy_step, pre, c_prev, scale, shift, np.empty_like(c_prev))
    numba_seconds, numba_outputs = measure(fused_step, pre, c_prev)
    print(f"one LSTM step's gate and cell work: NumPy {numpy_seconds * 1e6:6.1f} us, "
          f"numba {numba_seconds * 1e6:6.1f} us")
    for label, ours, theirs in zip(("gates", "cell", "h"), numba_outputs, numpy_outputs):
        print(f"largest difference, {label}: {np.abs(ours - theirs).max():.1e}")
    print(f"numba {numba.__version__}, NumPy {np.__version__}, {platform.processor() or platform.machine()}, "
          f"LLVM target {llvmlite.binding.get_host_cpu_name()}")


if __name__ == "__main__":
    main()
