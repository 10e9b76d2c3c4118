import time, statistics
import numpy as np
from nnfs_core import ops
CPU = ops.get("cpu")
def bench(f, n=41):
    t=[]
    for r in range(n):
        s=time.perf_counter(); f(); t.append(time.perf_counter()-s)
    return 1e3*statistics.median(t)
ROW = 256
Z = {np.dtype(np.float32): np.zeros(ROW, np.float32), np.dtype(np.float64): np.zeros(ROW, np.float64)}
def relu_rows(x):
    y = np.empty(x.shape, x.dtype)
    flat, out = x.reshape(-1), y.reshape(-1)
    bulk = flat.size - flat.size % ROW
    np.maximum(flat[:bulk].reshape(-1, ROW), Z[x.dtype], out=out[:bulk].reshape(-1, ROW))
    np.maximum(flat[bulk:], 0, out=out[bulk:])
    return y
def relu_back_rows(grad, y):
    gx = np.empty(grad.shape, grad.dtype)
    flat, out, g = y.reshape(-1), gx.reshape(-1), grad.reshape(-1)
    bulk = flat.size - flat.size % ROW
    np.greater(flat[:bulk].reshape(-1, ROW), Z[y.dtype], out=out[:bulk].reshape(-1, ROW), casting="unsafe")
    np.greater(flat[bulk:], 0, out=out[bulk:], casting="unsafe")
    out *= g
    return gx
for shape in [(128,16,32,32), (128,32,16,16), (128,64,32,32), (128,256), (64, 512), (128,120)]:
    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    g = np.random.default_rng(1).standard_normal(shape, dtype=np.float32)
    y = CPU.relu(x)
    assert np.array_equal(relu_rows(x), y) and np.array_equal(relu_back_rows(g, y), CPU.relu_backward(g, y))
    print(shape, f"relu {bench(lambda: CPU.relu(x)):.3f} -> {bench(lambda: relu_rows(x)):.3f}   back {bench(lambda: CPU.relu_backward(g, y)):.3f} -> {bench(lambda: relu_back_rows(g, y)):.3f}")
