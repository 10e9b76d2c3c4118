"""MLP 784-256-128-10 training: the fastest of N one-epoch fits of 20 batches of 128, in ms (JSON on stdout).

Run from a checkout whose ``benchmarks/`` is main's, with that checkout's own interpreter:
``python steptime.py N``. ``NOGUARD=1`` replaces the divergence guard by a plain ``optimizer.step`` (a
measurement device, not an option of nnfs).
"""

import json
import os
import sys
import time

import numpy as np

from benchmarks.contender_nnfs import build
from benchmarks.workloads import mlp_data

if os.environ.get("NOGUARD"):
    import nnfs_core._loop as loop

    loop.apply_finite_step = lambda optimizer, params, grads: optimizer.step(params, grads)

x, y = mlp_data(2560)
model = build("mlp")
model.fit(x, y, epochs=2, batch_size=128, verbose=0)
times = []
for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 40):
    start = time.perf_counter()
    model.fit(x, y, epochs=1, batch_size=128, verbose=0)
    times.append(time.perf_counter() - start)
ms = np.array(times) * 1e3
print(json.dumps({"min": float(ms.min()), "p25": float(np.percentile(ms, 25)), "median": float(np.median(ms))}))
