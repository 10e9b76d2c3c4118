"""What the ``mpi`` tests run, under ``mpiexec -n N`` or as one plain process: ``python mpi_job.py MODE OUT ...``.

Modes (rank 0 writes ``OUT``, an ``.npz`` of the trained network's state, its history and its evaluation):

- ``fit MODEL``: trains MODEL (``dense``, ``bn`` or ``bn-sync``) in float64 with the strategy the launcher
  implies (``mpi`` under mpiexec, found from the environment; ``single`` alone); ``bn-sync`` names
  ``{"name": "mpi", "sync_batch_norm": true}`` under mpiexec;
- ``emulate MODEL N``: one process computing what N ranks with per-rank batch statistics compute: each
  step, every rank's shard runs forward and backward from the same network, the gradients and the
  running statistics are averaged, one optimizer step;
- ``raise RANK BATCH`` / ``kill RANK BATCH``: rank RANK raises (or is killed by SIGKILL) at that batch of
  the first epoch.
"""

from __future__ import annotations

import os
import signal
import sys

import numpy as np

from nnfs_core import Network
from nnfs_core.callbacks.lambda_callback import LambdaCallback

SAMPLES, FEATURES, CLASSES, BATCH, EPOCHS = 42, 5, 3, 12, 3  # 42 = 3 global batches of 12 and one of 6


def data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((SAMPLES + 17, FEATURES))
    y = rng.integers(0, CLASSES, SAMPLES + 17)
    return x[:SAMPLES], y[:SAMPLES], x[SAMPLES:], y[SAMPLES:]  # 17 validation samples: uneven shards


def network(model: str) -> Network:
    layers: list = [{"name": "dense", "output_size": 8}]
    if model.startswith("bn"):
        layers.append({"name": "batch_norm"})
    layers += [{"name": "tanh"}, {"name": "dense", "output_size": CLASSES}]
    return Network(layers, optimizer={"name": "sgd", "learning_rate": 0.1, "momentum": 0.9}, loss="cross_entropy",
                   metrics=["accuracy"], dtype="float64", seed=3)


def strategy(model: str) -> object:
    if model == "bn-sync" and os.environ.get("OMPI_COMM_WORLD_SIZE"):
        return {"name": "mpi", "sync_batch_norm": True}
    return None  # the launcher decides: mpi under mpiexec, single alone


def save(out: str, net: Network, history: dict, scores: dict) -> None:
    arrays = {f"state/{name}": value for name, value in net.state_dict().items()}
    arrays.update({f"history/{key}": np.asarray(values) for key, values in history.items()})
    arrays.update({f"evaluate/{key}": np.asarray(value) for key, value in scores.items()})
    np.savez(out, **arrays)


def fit(model: str, out: str) -> None:
    x, y, xv, yv = data()
    net = network(model)
    history = net.fit(x, y, epochs=EPOCHS, batch_size=BATCH, validation_data=(xv, yv), verbose=0,
                      strategy=strategy(model))
    scores = net.evaluate(xv, yv, strategy=strategy(model))
    from nnfs_core import strategies

    if strategies.get(strategy(model)).is_main:
        save(out, net, history.history, scores)


def emulate(model: str, ranks: int, out: str) -> None:
    """One process doing what ``ranks`` MPI ranks with per-rank BatchNorm statistics do (see the docstring)."""
    from nnfs_core._loop import train_step
    from nnfs_core._parameters import optimizer_arguments
    from nnfs_core.strategies import Strategy

    class Keep(Strategy):  # computes the gradients, keeps them, lets the step be taken by the emulation
        def reduce_gradients(self, grads, finite):  # type: ignore[no-untyped-def]
            self.kept = {name: value.copy() for name, value in grads.items()}
            return False

    x, y, xv, yv = data()
    net = network(model)
    net.build(x.shape[1:])
    params, grads = optimizer_arguments(net)
    keep = Keep()
    for _ in range(EPOCHS):
        order = net.rng.permutation(SAMPLES)
        for start in range(0, SAMPLES, BATCH):
            positions = order[start:start + BATCH]
            before = {name: value.copy() for name, value in net.named_state()}
            summed = {name: np.zeros_like(value) for name, value in grads.items()}
            state = {name: np.zeros_like(value) for name, value in before.items()}
            for rank in range(ranks):
                for name, value in net.named_state():
                    value[...] = before[name]
                shard = positions[rank::ranks]
                train_step(net, x[shard], y[shard], params, grads, keep)
                for name in summed:
                    summed[name] += keep.kept[name]
                for name, value in net.named_state():
                    state[name] += value
            for name, value in grads.items():
                value[...] = summed[name] / ranks
            for name, value in net.named_state():
                value[...] = state[name] / ranks
            net.optimizer.step(params, grads)
    save(out, net, {}, net.evaluate(xv, yv))


def fail(how: str, rank: int, at: int) -> None:
    from nnfs_core import strategies

    me = strategies.get().rank

    def at_batch(network, epoch, batch, logs):  # type: ignore[no-untyped-def]
        if me == rank and batch == at:
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError(f"deliberate failure at batch {batch}")

    x, y, _, _ = data()
    net = network("dense")
    net.fit(x, y, epochs=1000, batch_size=BATCH, verbose=0, callbacks=[LambdaCallback(on_batch_end=at_batch)])


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "fit":
        fit(args[0], args[1])
    elif mode == "emulate":
        emulate(args[0], int(args[1]), args[2])
    elif mode in ("raise", "kill"):
        fail(mode, int(args[0]), int(args[1]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
