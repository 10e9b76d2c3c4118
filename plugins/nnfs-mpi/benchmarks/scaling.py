"""The measured parts of docs/distributed.md's scaling model: training throughput, bytes reduced per step,
and MPI allreduce's cost on this machine.

```bash
OMP_NUM_THREADS=1 python plugins/nnfs-mpi/benchmarks/scaling.py                    # 1 process
OMP_NUM_THREADS=1 mpiexec -n 2 python plugins/nnfs-mpi/benchmarks/scaling.py       # 2 ranks
```

Rank 0 prints one line of ``key=value`` pairs: the network's parameters and the bytes its gradients fill
in the fused buffers, seconds per training step at global batch ``--batch`` (median over ``--repeats``
timed epochs after a warm-up epoch), samples per second, and, with several ranks, the median time of
one step's allreduce alone and of allreduces of 8 bytes (latency) and of 64 MB (bandwidth).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from nnfs_mpi import FusedBuffers

from nnfs_core import Network, strategies


def network(width: int, seed: int = 0) -> Network:
    return Network([{"name": "dense", "output_size": width, "activation": "relu"},
                    {"name": "dense", "output_size": width, "activation": "relu"},
                    {"name": "dense", "output_size": 10}],
                   optimizer={"name": "sgd", "learning_rate": 0.01, "momentum": 0.9}, loss="cross_entropy",
                   seed=seed)


def allreduce_seconds(comm, buffers, repeats: int) -> float:
    from mpi4py import MPI

    times = []
    for _ in range(repeats):
        comm.Barrier()
        start = time.perf_counter()
        for buffer in buffers:
            comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--width", type=int, default=512, help="units of the two hidden Dense layers")
    parser.add_argument("--features", type=int, default=784)
    parser.add_argument("--batch", type=int, default=128, help="the global batch")
    parser.add_argument("--samples", type=int, default=6144)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    strategy = strategies.get()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.samples, args.features)).astype(np.float32)
    y = rng.integers(0, 10, args.samples)
    net = network(args.width)
    net.fit(x[: args.batch * 4], y[: args.batch * 4], epochs=1, batch_size=args.batch, verbose=0)  # warm-up
    steps = strategy.steps_per_epoch(args.samples, args.batch)
    epochs = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        net.fit(x, y, epochs=1, batch_size=args.batch, verbose=0)
        epochs.append(time.perf_counter() - start)
    step = statistics.median(epochs) / steps
    grads = [value for layer in net.layers for value in getattr(layer, "grads", {}).values()]
    fused = FusedBuffers(grads, int(16e6), extra=1)
    row = {"ranks": strategy.world_size, "params": sum(g.size for g in grads), "grad_bytes": fused.nbytes,
           "batch": args.batch, "step_ms": round(step * 1e3, 3), "samples_per_s": round(args.batch / step)}
    if strategy.world_size > 1:
        comm = strategy.comm  # type: ignore[attr-defined]
        buffers = fused.pack(grads, extra=(0.0,))
        row["allreduce_ms"] = round(allreduce_seconds(comm, buffers, 20) * 1e3, 3)
        row["latency_us"] = round(allreduce_seconds(comm, [np.zeros(1)], 200) * 1e6, 1)
        big = np.zeros(8_000_000)
        row["bandwidth_GBps"] = round(big.nbytes / allreduce_seconds(comm, [big], 5) / 1e9, 2)
    if strategy.is_main:
        print(" ".join(f"{key}={value}" for key, value in row.items()))


if __name__ == "__main__":
    main()
