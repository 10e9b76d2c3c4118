import time, statistics, sys
import numpy as np
from benchmarks import contender_nnfs, workloads
from nnfs_core.ops import cpu_ops
fast = cpu_ops._max_zero
plain = lambda x, out: np.maximum(x, 0, out=out)
kind, mode = sys.argv[1], sys.argv[2]
net = contender_nnfs.build(kind).build()
x, y = workloads.model_data(kind, 1024)
x = x.astype(net.dtype)
def run():
    if mode == "predict":
        net.predict(x, batch_size=128)
    else:
        net.fit(x, y, epochs=1, batch_size=128, verbose=0)
run()
res = {"fast": [], "plain": []}
for r in range(10):
    for name, f in (("fast", fast), ("plain", plain)) if r % 2 else (("plain", plain), ("fast", fast)):
        cpu_ops._max_zero = f
        s = time.perf_counter(); run(); res[name].append(time.perf_counter() - s)
ratio = [p / f for p, f in zip(res["plain"], res["fast"])]
print(kind, mode, "fast", round(statistics.median(res["fast"]), 3), "plain", round(statistics.median(res["plain"]), 3), "speed-up", round(statistics.median(ratio), 3), round(min(ratio), 2), round(max(ratio), 2))
