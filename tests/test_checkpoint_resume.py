"""Checkpoints and resuming: ModelCheckpoint, fit(resume_from=...), and crashes (SIGKILL) mid-epoch and mid-save."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.callbacks.lambda_callback import LambdaCallback
from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint
from nnfs_core.errors import ConfigError
from nnfs_core.persistence import latest_checkpoint, read_header
from nnfs_core.protocols import BaseOptimizer, BaseScheduler

EPOCHS = 3


class MomentumSGD(BaseOptimizer):
    def __init__(self, learning_rate: float = 0.05, momentum: float = 0.9) -> None:
        super().__init__(learning_rate)
        self.momentum = momentum

    def update(self, param, grad, state):
        velocity = state.setdefault("velocity", np.zeros_like(param))
        velocity *= param.dtype.type(self.momentum)
        velocity += grad
        param -= param.dtype.type(self.learning_rate) * velocity


class DecayLR(BaseScheduler):
    """lr = base_lr / (1 + 0.01 * steps), stepped every batch."""

    interval = "batch"

    def get_lr(self) -> float:
        return self.base_lr / (1.0 + 0.01 * self.last_step)


@pytest.fixture(autouse=True)
def in_process_components():
    registry.optimizers.register("momentum_sgd", override=True)(MomentumSGD)
    registry.schedulers.register("decay_lr", override=True)(DecayLR)
    yield
    registry.optimizers.unregister("momentum_sgd")
    registry.schedulers.unregister("decay_lr")


@pytest.fixture(scope="module")
def data():
    from nnfs_core.datasets import load

    (x, y), (x_test, y_test) = load("digits")
    return x[:400], y[:400], x_test[:100], y_test[:100]


def optimizers():
    cases = [pytest.param(lambda: (MomentumSGD(0.05), DecayLR()), id="in-process-momentum")]
    try:
        import nnfs_optim
    except ImportError:
        return cases
    cases.append(pytest.param(lambda: (nnfs_optim.SGD(0.05, momentum=0.9), nnfs_optim.StepLR(step_size=1, gamma=0.7)),
                              id="nnfs_optim-SGD"))
    cases.append(pytest.param(lambda: (nnfs_optim.Adam(0.005), None), id="nnfs_optim-Adam"))
    return cases


def network(make_optimizer):
    optimizer, scheduler = make_optimizer()
    layers = ["flatten", {"name": "dense", "output_size": 24}, "batch_norm", "relu", {"name": "dropout", "rate": 0.2},
              {"name": "dense", "output_size": 10}]
    return Network(layers, optimizer=optimizer, loss="cross_entropy", metrics=["accuracy"], scheduler=scheduler,
                   seed=11)


def fit(net, data, **kwargs):
    x, y, x_test, y_test = data
    return net.fit(x, y, epochs=EPOCHS, batch_size=32, validation_data=(x_test, y_test), verbose=0, **kwargs)


class Crash(Exception):
    pass


def crash_at(crash_epoch, crash_batch):
    def on_batch_end(epoch, batch):
        if (epoch, batch) == (crash_epoch, crash_batch):
            raise Crash(f"simulated crash at epoch {epoch}, batch {batch}")

    return LambdaCallback(on_batch_end=on_batch_end)


def assert_same_run(a, b):
    for x, y in zip(a.trainable_parameters()[0], b.trainable_parameters()[0]):
        assert np.array_equal(x, y)
    for la, lb in zip(a.layers, b.layers):
        for name, value in getattr(la, "state", {}).items():
            assert np.array_equal(value, lb.state[name])
    assert a.rng.bit_generator.state == b.rng.bit_generator.state
    assert a.optimizer.learning_rate == b.optimizer.learning_rate
    assert a.history.epoch == b.history.epoch and a.history.history == b.history.history


@pytest.mark.parametrize("make_optimizer", optimizers())
@pytest.mark.parametrize(("every", "crash"), [({"every_n_batches": 5}, (1, 7)), ({"every_n_epochs": 1}, (2, 3)),
                                               ({"every_n_batches": 13}, (2, 0))])
def test_a_run_resumed_from_a_checkpoint_ends_bit_identical(tmp_path, data, make_optimizer, every, crash):
    reference = network(make_optimizer)
    fit(reference, data)
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{batch:03d}.nnfs")
    interrupted = network(make_optimizer)
    with pytest.raises(Crash):
        fit(interrupted, data, callbacks=[crash_at(*crash), ModelCheckpoint(pattern, **every)])
    newest = latest_checkpoint(tmp_path)
    training = read_header(newest).training
    assert (training["epoch"], training["batch"]) < (crash[0], crash[1] + 1)
    if "every_n_batches" in every:
        assert training["batch"] > 0 or crash[1] == 0  # a mid-epoch position is exercised
    resumed = network(make_optimizer)
    history = fit(resumed, data, resume_from=tmp_path, callbacks=[ModelCheckpoint(pattern, **every)])
    assert history is resumed.history and history.epoch == list(range(EPOCHS))
    assert_same_run(resumed, reference)


def test_load_then_fit_from_initial_epoch_continues_an_epoch_boundary_checkpoint(tmp_path, data):
    reference = network(optimizers()[0].values[0])
    fit(reference, data)
    first = network(optimizers()[0].values[0])
    with pytest.raises(Crash):
        fit(first, data, callbacks=[crash_at(2, 0), ModelCheckpoint(str(tmp_path / "e{epoch}.nnfs"))])
    loaded = Network.load(tmp_path / "e2.nnfs")
    assert loaded.history.epoch == [0, 1] and loaded.history.history == {
        key: values[:2] for key, values in reference.history.history.items()}
    x, y, x_test, y_test = data
    loaded.fit(x, y, epochs=EPOCHS, batch_size=32, validation_data=(x_test, y_test), verbose=0, initial_epoch=2)
    for a, b in zip(loaded.trainable_parameters()[0], reference.trainable_parameters()[0]):
        assert np.array_equal(a, b)


@pytest.fixture
def first_fit_crashed(tmp_path, data):
    net = network(optimizers()[0].values[0])
    with pytest.raises(Crash):
        fit(net, data, callbacks=[crash_at(1, 5), ModelCheckpoint(str(tmp_path / "c{step}.nnfs"), every_n_batches=4)])
    return tmp_path


def test_resuming_mid_epoch_needs_the_same_batches(first_fit_crashed, data):
    x, y, *_ = data
    with pytest.raises(ConfigError, match="batch_size=32.*got 400 samples, batch_size=16"):
        network(optimizers()[0].values[0]).fit(x, y, epochs=EPOCHS, batch_size=16, resume_from=first_fit_crashed,
                                               verbose=0)
    with pytest.raises(ConfigError, match="not both"):
        network(optimizers()[0].values[0]).fit(x, y, epochs=EPOCHS, initial_epoch=1, resume_from=first_fit_crashed,
                                               verbose=0)


def test_resume_refuses_a_model_file(tmp_path, data):
    net = network(optimizers()[0].values[0])
    fit(net, data)
    net.save(tmp_path / "model.nnfs")
    with pytest.raises(ConfigError, match="not a checkpoint"):
        fit(network(optimizers()[0].values[0]), data, resume_from=tmp_path / "model.nnfs")


def test_latest_checkpoint_skips_damaged_and_temporary_files(first_fit_crashed, data):
    files = sorted(first_fit_crashed.glob("c*.nnfs"), key=lambda p: int(p.stem[1:]))
    newest = files[-1]
    assert latest_checkpoint(first_fit_crashed) == str(newest)
    (first_fit_crashed / ".c99.nnfs.abc.tmp").write_bytes(newest.read_bytes())
    damaged = bytearray(newest.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # inside an array: only its CRC notices
    newest.write_bytes(bytes(damaged))
    assert latest_checkpoint(first_fit_crashed) == str(files[-2])


def test_keep_last_rotates_files(tmp_path, data):
    fit(network(optimizers()[0].values[0]), data,
        callbacks=[ModelCheckpoint(str(tmp_path / "s{step:04d}.nnfs"), every_n_batches=4, every_n_epochs=None,
                                   keep_last=3)])
    steps = 13 * EPOCHS  # 400 samples in batches of 32
    newest = [step for step in range(1, steps + 1) if step % 4 == 0][-3:]
    assert sorted(os.listdir(tmp_path)) == [f"s{step:04d}.nnfs" for step in newest]


def test_every_n_epochs_and_save_best_only(tmp_path, data):
    net = network(optimizers()[0].values[0])
    fit(net, data, callbacks=[ModelCheckpoint(str(tmp_path / "every-{epoch}.nnfs"), every_n_epochs=2),
                              ModelCheckpoint(str(tmp_path / "best-{epoch}-{val_loss:.5f}.nnfs"), save_best_only=True)])
    losses = net.history.history["val_loss"]
    best_epochs = [epoch + 1 for epoch, loss in enumerate(losses) if loss < min(losses[:epoch], default=np.inf)]
    expected = [f"best-{epoch}-{losses[epoch - 1]:.5f}.nnfs" for epoch in best_epochs] + ["every-2.nnfs"]
    assert sorted(os.listdir(tmp_path)) == sorted(expected)


def test_save_best_only_remembers_the_best_value_across_a_resume(tmp_path, data):
    pattern = str(tmp_path / "best.nnfs")
    net = network(optimizers()[0].values[0])
    with pytest.raises(Crash):
        fit(net, data, callbacks=[crash_at(2, 0), ModelCheckpoint(pattern, save_best_only=True, monitor="loss")])
    best_before = min(net.history.history["loss"])
    checkpoint = ModelCheckpoint(pattern, save_best_only=True, monitor="loss")
    fit(network(optimizers()[0].values[0]), data, resume_from=pattern, callbacks=[checkpoint])
    assert checkpoint.best is not None and checkpoint.best <= best_before


# -- real crashes: a subprocess killed with SIGKILL --------------------------------------------------------
TRAIN_SCRIPT = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    from nnfs_core import Network, registry
    from nnfs_core.callbacks.lambda_callback import LambdaCallback
    from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint
    from nnfs_core.datasets import load
    from nnfs_core.protocols import BaseOptimizer

    class PlainSGD(BaseOptimizer):
        def __init__(self, learning_rate=0.1):
            super().__init__(learning_rate)

        def update(self, param, grad, state):
            param -= param.dtype.type(self.learning_rate) * grad

    registry.optimizers.register("plain_sgd", override=True)(PlainSGD)
    mode, optimizer, directory, out = sys.argv[1:5]
    if optimizer == "plain":
        optimizer = PlainSGD(0.1)
    else:
        import nnfs_optim
        optimizer = nnfs_optim.SGD(0.05, momentum=0.9)
    (x, y), (x_test, y_test) = load("digits")
    net = Network(["flatten", {"name": "dense", "output_size": 32}, "batch_norm", "relu",
                   {"name": "dropout", "rate": 0.2}, {"name": "dense", "output_size": 10}],
                  optimizer=optimizer, loss="cross_entropy", metrics=["accuracy"], seed=5)
    checkpoint = ModelCheckpoint(os.path.join(directory, "ckpt-{epoch:02d}-{batch:03d}.nnfs"), every_n_batches=7,
                                 keep_last=3)
    progress = LambdaCallback(on_batch_end=lambda epoch, batch: print(epoch, batch, flush=True))
    arguments = dict(epochs=3, batch_size=32, validation_data=(x_test, y_test), verbose=0)
    if mode == "full":
        net.fit(x, y, **arguments)
    elif mode == "train":
        net.fit(x, y, callbacks=[checkpoint, progress], **arguments)
    else:
        net.fit(x, y, callbacks=[checkpoint], resume_from=directory, **arguments)
    np.savez(out, *net.trainable_parameters()[0], *[a for l in net.layers for a in l.state.values()])
    with open(out + ".json", "w") as f:
        json.dump(net.history.history, f)
""")


def run_script(tmp_path, *args):
    return subprocess.Popen([sys.executable, str(tmp_path / "train.py"), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def optimizer_names():
    names = ["plain"]
    try:
        import nnfs_optim  # noqa: F401

        names.append("nnfs_optim-SGD-momentum")
    except ImportError:
        pass
    return names


@pytest.mark.parametrize("optimizer", optimizer_names())
def test_sigkill_mid_epoch_then_resume_equals_an_uninterrupted_run(tmp_path, plain_sgd, optimizer):
    (tmp_path / "train.py").write_text(TRAIN_SCRIPT)
    (tmp_path / "ckpt").mkdir()
    full = run_script(tmp_path, "full", optimizer, tmp_path / "ckpt", tmp_path / "full.npz")
    train = run_script(tmp_path, "train", optimizer, tmp_path / "ckpt", tmp_path / "unused.npz")
    for line in train.stdout:  # kill it inside the second epoch, wherever it is exactly
        if line.split() == ["1", "20"]:
            os.kill(train.pid, signal.SIGKILL)
            break
    assert train.wait(timeout=60) == -signal.SIGKILL, train.stderr.read()
    newest = latest_checkpoint(tmp_path / "ckpt")
    position = read_header(newest).training
    assert position["epoch"] >= 1 and len(list((tmp_path / "ckpt").glob("ckpt-*.nnfs"))) <= 3
    assert Network.load(newest).predict(np.zeros((1, 1, 8, 8))).shape == (1, 10)
    resume = run_script(tmp_path, "resume", optimizer, tmp_path / "ckpt", tmp_path / "resumed.npz")
    for process in (full, resume):
        assert process.wait(timeout=120) == 0, process.stderr.read()
    with np.load(tmp_path / "full.npz") as a, np.load(tmp_path / "resumed.npz") as b:
        assert a.files == b.files and all(np.array_equal(a[key], b[key]) for key in a.files)
    full_history = json.loads((tmp_path / "full.npz.json").read_text())
    assert full_history == json.loads((tmp_path / "resumed.npz.json").read_text())


SAVE_LOOP_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from nnfs_core import Network

    net = Network([{"name": "dense", "output_size": 512}], loss="mse", input_shape=(1024,), seed=0).build()
    for version in range(1_000_000):
        for array in net.layers[0].params.values():
            array.fill(version)
        net.save(sys.argv[1])
        print(version, flush=True)
""")


def test_sigkill_mid_save_leaves_the_old_or_the_new_complete_file(tmp_path):
    """Kill a process that saves in a loop (a few ms per 2 MB save) at random moments until at least two kills
    have hit a save in progress (its temporary file stays behind); the target must always load complete."""
    (tmp_path / "save_loop.py").write_text(SAVE_LOOP_SCRIPT)
    target = tmp_path / "model.nnfs"
    chooser = random.Random(8)
    kills, mid_save = 0, 0
    while kills < 4 or (mid_save < 2 and kills < 20):
        temporary_before = {name for name in os.listdir(tmp_path) if name.endswith(".tmp")}
        process = subprocess.Popen([sys.executable, str(tmp_path / "save_loop.py"), str(target)],
                                   stdout=subprocess.PIPE, text=True)
        completed = int(process.stdout.readline())  # one complete save exists
        for _ in range(chooser.randrange(3)):
            completed = int(process.stdout.readline())
        time.sleep(chooser.uniform(0.0, 0.05))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
        mid_save += len({name for name in os.listdir(tmp_path) if name.endswith(".tmp")} - temporary_before)
        completed = max([completed, *(int(line) for line in process.stdout.read().split())])
        weights = Network.load(target).layers[0].params
        version = weights["weight"].flat[0]
        assert version in (completed, completed + 1)  # the last reported save, or one finished but not reported
        assert all(np.all(array == version) for array in weights.values())
    assert mid_save >= 2, f"only {mid_save} of {kills} kills landed inside a save"
    leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert all(name.startswith(".model.nnfs.") for name in leftovers)  # only ever beside the target
