"""Training strategies: the extension point a multi-process engine (nnfs-mpi) plugs into."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from nnfs_core import Network, registry, strategies
from nnfs_core.callbacks.csv_logger import CSVLogger
from nnfs_core.config import load_config
from nnfs_core.errors import ConfigError
from nnfs_core.strategies import SingleProcess, Strategy


class Recording(Strategy):
    """Rank ``rank`` of a pretend world of ``world_size`` identical processes; records what the loop asks."""

    def __init__(self, rank=0, world_size=1):
        self.rank, self.world_size = rank, world_size
        self.calls = []

    def local_batch_size(self, batch_size):
        if batch_size % self.world_size:
            raise ConfigError(f"batch_size {batch_size} is not a multiple of {self.world_size} processes")
        return batch_size // self.world_size

    def steps_per_epoch(self, samples, batch_size):
        return -(-samples // batch_size)

    def shard(self, order, samples):
        self.calls.append("shard")
        order = np.arange(samples) if order is None else order
        return order[self.rank::self.world_size]

    def evaluation_shard(self, x, y):
        self.calls.append("evaluation_shard")
        return x[self.rank::self.world_size], y[self.rank::self.world_size]

    def reduce_gradients(self, grads, finite):
        self.calls.append("reduce_gradients")
        return finite

    def sum_over_ranks(self, values):  # the other processes are pretended to have seen the same
        return {key: value * self.world_size for key, value in values.items()}

    @contextlib.contextmanager
    def running(self, network):
        self.calls.append("running")
        yield


def data(n=24):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 5)).astype(np.float32), rng.integers(0, 3, n)


def net(plain_sgd):
    return Network([{"name": "dense", "output_size": 3}], optimizer=plain_sgd(0.1), loss="cross_entropy", seed=0)


def test_single_is_registered_by_the_core_and_is_the_default(monkeypatch):
    monkeypatch.delenv(strategies.ENV_STRATEGY, raising=False)
    assert "single" in registry.strategies.names()
    assert registry.strategies.entry("single").distribution == "nnfs-core"
    assert strategies.default_name() == "single"
    assert isinstance(strategies.get(), SingleProcess)
    assert strategies.get() is strategies.get("single")  # one instance per process
    assert strategies.get().is_main and strategies.get().world_size == 1


def test_the_environment_or_a_launcher_chooses_when_fit_names_none(monkeypatch):
    monkeypatch.setenv(strategies.ENV_STRATEGY, "fake_launched")
    assert strategies.default_name() == "fake_launched"
    monkeypatch.delenv(strategies.ENV_STRATEGY)

    class Launched(Strategy):
        @classmethod
        def launched(cls):
            return True

    registry.strategies.register("fake_launched")(Launched)
    try:
        assert strategies.default_name() == "fake_launched"
        assert isinstance(strategies.get({"name": "fake_launched"}), Launched)
    finally:
        registry.strategies.unregister("fake_launched")
    assert strategies.default_name() == "single"


def test_a_strategy_that_is_no_strategy_is_refused_by_name(plain_sgd):
    x, y = data()

    class NotAStrategy:
        pass

    registry.strategies.register("not_a_strategy")(NotAStrategy)
    try:
        with pytest.raises(ConfigError, match="'not_a_strategy'} is a NotAStrategy, not an nnfs_core.strategies"):
            net(plain_sgd).fit(x, y, strategy={"name": "not_a_strategy"}, verbose=0)
    finally:
        registry.strategies.unregister("not_a_strategy")
    with pytest.raises(KeyError, match="No strategies component named 'mpii'"):
        net(plain_sgd).fit(x, y, strategy="mpii", verbose=0)


def test_the_loop_asks_the_strategy_at_every_step_and_single_changes_nothing(plain_sgd):
    x, y = data()
    recording = Recording()
    first, second = net(plain_sgd), net(plain_sgd)
    first.fit(x, y, epochs=2, batch_size=8, verbose=0, strategy=recording)
    second.fit(x, y, epochs=2, batch_size=8, verbose=0, strategy="single")
    assert recording.calls == ["running", "shard", *["reduce_gradients"] * 3, "shard", *["reduce_gradients"] * 3]
    for (name, a), (_, b) in zip(first.named_parameters(), second.named_parameters()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_a_batch_the_processes_cannot_share_is_refused_before_training(plain_sgd):
    x, y = data()
    network = net(plain_sgd)
    with pytest.raises(ConfigError, match="not a multiple of 2"):
        network.fit(x, y, batch_size=5, verbose=0, strategy=Recording(1, 2))
    assert not network.built or network.history is None


def test_a_rank_other_than_0_reads_its_shard_and_prints_and_writes_nothing(plain_sgd, tmp_path, capsys):
    x, y = data()
    rank1 = Recording(rank=1, world_size=2)
    history = net(plain_sgd).fit(x, y, epochs=1, batch_size=8, verbose=2, validation_data=(x[:6], y[:6]),
                                 callbacks=[CSVLogger(str(tmp_path / "h.csv"))], strategy=rank1)
    assert capsys.readouterr().err == ""  # no progress line
    assert not (tmp_path / "h.csv").exists()
    assert len(history.history["loss"]) == 1 and "val_accuracy" in history.history
    assert "evaluation_shard" in rank1.calls
    rank0 = Recording(rank=0, world_size=2)
    net(plain_sgd).fit(x, y, epochs=1, batch_size=8, verbose=2, callbacks=[CSVLogger(str(tmp_path / "h.csv"))],
                       strategy=rank0)
    assert "Epoch 1/1" in capsys.readouterr().err and (tmp_path / "h.csv").exists()


def test_the_config_takes_a_strategy_by_registered_name():
    base = {"dataset": "digits", "layers": [{"name": "dense", "output_size": 10}], "loss": "cross_entropy",
            "optimizer": "sgd" if "sgd" in registry.optimizers else "plain_sgd"}
    assert load_config({**base, "strategy": "single"}).strategy == "single"
    with pytest.raises(ConfigError, match="strategy.*No strategies component named 'singel'.*'single'"):
        load_config({**base, "strategy": "singel"})
