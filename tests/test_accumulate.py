"""fit(accumulate=k): one optimizer step per k batches.

Accumulating k batches is one step on their mean gradient: for layers without batch statistics it is the
step of one batch k times larger (a partial last group included), clipping applied to that mean, the
strategy's gradient average taken once per step, batch-interval schedulers stepping with the optimizer.
"""

import inspect

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core._data import DataError
from nnfs_core.callbacks.lambda_callback import LambdaCallback
from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint
from nnfs_core.callbacks.terminate_on_nan import TerminateOnNaN
from nnfs_core.errors import ConfigError
from nnfs_core.layers.dense import Dense
from nnfs_core.persistence import latest_checkpoint, read_header
from nnfs_core.protocols import BaseCallback, BaseScheduler
from nnfs_core.strategies import Strategy

pytest.importorskip("nnfs_optim")


def _data(n=26):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 5))
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


def _mlp(optimizer):
    return Network([Dense(8, activation="tanh"), Dense(6, activation="relu"), Dense(2)], optimizer, "cross_entropy",
                   input_shape=(5,), dtype="float64", seed=3).build()


@pytest.mark.parametrize("optimizer", [{"name": "sgd", "learning_rate": 0.1, "momentum": 0.9},
                                       {"name": "adam", "learning_rate": 0.01, "clip_norm": 0.05},
                                       {"name": "rmsprop", "learning_rate": 0.01, "clip_value": 0.01}])
def test_k_accumulated_batches_step_as_one_batch_k_times_larger(optimizer):
    x, y = _data()  # 26 samples: batches of 4 in threes make steps of 12, 12 and 2 samples, as batches of 12 do
    small, large = _mlp(dict(optimizer)), _mlp(dict(optimizer))
    small.fit(x, y, epochs=3, batch_size=4, accumulate=3, verbose=0)
    large.fit(x, y, epochs=3, batch_size=12, verbose=0)
    assert small.optimizer.iterations == large.optimizer.iterations == 9
    for (name, ours), (_, theirs) in zip(small.named_parameters(), large.named_parameters()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=name)


def test_accumulating_changes_the_trajectory():
    x, y = _data()
    once, every = _mlp({"name": "sgd", "learning_rate": 0.1}), _mlp({"name": "sgd", "learning_rate": 0.1})
    once.fit(x, y, epochs=1, batch_size=4, accumulate=3, verbose=0)
    every.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert once.optimizer.iterations == 3 and every.optimizer.iterations == 7
    assert not np.allclose(once.layers[0].params["weight"], every.layers[0].params["weight"])


@pytest.mark.parametrize("accumulate", [0, -1, 1.5, True, "2"])
def test_accumulate_must_be_a_positive_integer(accumulate):
    net = _mlp("sgd")
    before = net.state_dict()
    with pytest.raises(DataError, match="accumulate must be an integer >= 1"):
        net.fit(*_data(), accumulate=accumulate, verbose=0)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


class TwoProcesses(Strategy):
    """Rank 0 of a pretend world of two identical processes; records the gradients handed to the average."""

    world_size = 2

    def __init__(self):
        self.reduced = []

    def local_batch_size(self, batch_size):
        return batch_size // 2

    def shard(self, order, samples):
        return (np.arange(samples) if order is None else order)[0::2]

    def reduce_gradients(self, grads, finite):
        self.reduced.append({name: grad.copy() for name, grad in grads.items()})
        return finite

    def sum_over_ranks(self, values):
        return {key: value * 2 for key, value in values.items()}


def test_the_strategy_averages_once_per_step_the_accumulated_mean():
    x, y = _data()  # rank 0 reads 13 samples: local batches of 2 grouped in threes are local batches of 6
    small, large = _mlp({"name": "sgd", "learning_rate": 0.1}), _mlp({"name": "sgd", "learning_rate": 0.1})
    ours, theirs = TwoProcesses(), TwoProcesses()
    small.fit(x, y, epochs=2, batch_size=4, accumulate=3, strategy=ours, verbose=0)
    large.fit(x, y, epochs=2, batch_size=12, strategy=theirs, verbose=0)
    assert len(ours.reduced) == len(theirs.reduced) == small.optimizer.iterations == 6
    for step, (mine, reference) in enumerate(zip(ours.reduced, theirs.reduced)):
        for name in reference:
            np.testing.assert_allclose(mine[name], reference[name], rtol=1e-10, atol=1e-13, err_msg=f"{step} {name}")


class EveryStep(BaseScheduler):
    interval = "batch"

    def get_lr(self):
        return self.base_lr * 0.5 ** self.last_step


def test_a_batch_interval_scheduler_steps_with_the_optimizer():
    x, y = _data()
    small, large = _mlp({"name": "sgd", "learning_rate": 0.2}), _mlp({"name": "sgd", "learning_rate": 0.2})
    small.fit(x, y, epochs=2, batch_size=4, accumulate=3, callbacks=[EveryStep()], verbose=0)
    large.fit(x, y, epochs=2, batch_size=12, callbacks=[EveryStep()], verbose=0)
    assert small.optimizer.learning_rate == large.optimizer.learning_rate == 0.2 * 0.5**6
    for (name, ours), (_, theirs) in zip(small.named_parameters(), large.named_parameters()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=name)


# Arguments for each registered scheduler stepping per batch; one that is not listed gets its example_args.
SCHEDULER_ARGS = {"step_lr": {"step_size": 2}, "multi_step_lr": {"milestones": [2, 5]},
                  "exponential_lr": {"gamma": 0.7}, "cosine_annealing_lr": {"t_max": 9},
                  "cosine_annealing_warm_restarts": {"t_0": 4}, "linear_lr": {"start_factor": 0.25},
                  "one_cycle_lr": {"max_lr": 0.5}, "linear_warmup": {"warmup_steps": 5}}
BATCH_SCHEDULERS = [name for name in registry.schedulers.names()
                    if "interval" in inspect.signature(registry.schedulers.get(name).__init__).parameters]


class RatesOfSteps(BaseCallback):
    """The learning rate each optimizer step used (the batches of a group share one). Passed to fit before
    the scheduler, its hook runs before the scheduler's step (OneCycleLR's first rate below checks that)."""

    def __init__(self):
        self.rates = []

    def on_batch_end(self, network):
        if network.fit_progress.stepped:
            self.rates.append(network.optimizer.learning_rate)


@pytest.mark.parametrize("name", BATCH_SCHEDULERS)
def test_every_batch_interval_scheduler_counts_optimizer_steps(name):
    """docs/training.md: batch-interval schedulers step after each optimizer step, so k accumulated batches
    of 4 follow batches of 4k step for step; OneCycleLR, told no length, takes its cycle from the steps."""
    x, y = _data()  # 26 samples: 3 optimizer steps an epoch (12, 12 and 2 samples) both ways
    args = SCHEDULER_ARGS.get(name, getattr(registry.schedulers.get(name), "example_args", {}))
    runs = []
    for batch_size, accumulate in ((4, 3), (12, 1)):
        net = _mlp({"name": "sgd", "learning_rate": 0.2, "momentum": 0.9})
        scheduler = registry.schedulers.create(name, **args, interval="batch")
        record = RatesOfSteps()
        net.fit(x, y, epochs=3, batch_size=batch_size, accumulate=accumulate, callbacks=[record, scheduler],
                verbose=0)
        assert scheduler.last_step == net.optimizer.iterations == len(record.rates) == 9
        runs.append((net, scheduler, record.rates))
    (small, small_scheduler, small_rates), (large, _, large_rates) = runs
    assert small_rates == large_rates and len(set(small_rates)) > 1  # the same schedule, and it moved
    for (path, ours), (_, theirs) in zip(small.named_parameters(), large.named_parameters()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=path)
    if name == "one_cycle_lr":  # the cycle is the 9 optimizer steps, not the 21 batches: the last one is at the minimum
        assert small_scheduler.cycle_length() == 9
        assert small_rates[0] == pytest.approx(0.5 / 25) and small_rates[-1] == pytest.approx(0.5 / 25 / 1e4)


class KeepGoing(TerminateOnNaN):
    """Replaces the default TerminateOnNaN: the fit goes on past a non-finite loss."""

    def on_batch_end(self):
        pass


def test_a_group_with_a_non_finite_loss_takes_no_step(monkeypatch):
    x, y = _data()
    net, reference = _mlp({"name": "sgd", "learning_rate": 0.1}), _mlp({"name": "sgd", "learning_rate": 0.1})
    losses = iter([0.5, np.nan])  # the second batch of the first group diverges, the others are real
    forward = net.loss.forward_pass

    def diverging(*args):
        value, cache = forward(*args)
        return next(losses, value), cache

    monkeypatch.setattr(net.loss, "forward_pass", diverging)
    net.fit(x, y, epochs=1, batch_size=4, accumulate=3, shuffle=False, callbacks=[KeepGoing()], verbose=0)
    reference.fit(x[12:], y[12:], epochs=1, batch_size=12, shuffle=False, verbose=0)  # the groups that stepped
    assert net.optimizer.iterations == reference.optimizer.iterations == 2
    for (name, ours), (_, theirs) in zip(net.named_parameters(), reference.named_parameters()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=name)


class Crash(Exception):
    pass


def test_a_checkpoint_inside_a_group_resumes_bit_identically(tmp_path):
    x, y = _data(40)

    def run(accumulate=4, **kwargs):
        net = Network([Dense(8, activation="tanh"), {"name": "dropout", "rate": 0.2}, Dense(2)],
                      {"name": "adam", "learning_rate": 0.01}, "cross_entropy", input_shape=(5,), seed=3).build()
        net.fit(x, y, epochs=3, batch_size=4, accumulate=accumulate, verbose=0, **kwargs)
        return net

    def crash(epoch, batch):
        if (epoch, batch) == (1, 6):
            raise Crash

    reference = run()
    with pytest.raises(Crash):
        run(callbacks=[LambdaCallback(on_batch_end=crash), ModelCheckpoint(str(tmp_path / "c-{step}.nnfs"),
                                                                           every_n_batches=5)])
    newest = latest_checkpoint(tmp_path)
    training = read_header(newest).training
    assert (training["epoch"], training["batch"]) == (1, 5) and training["accumulated"]  # inside the 2nd group
    with pytest.raises(ConfigError, match="accumulate=4"):
        run(resume_from=newest, accumulate=2)
    resumed = run(resume_from=newest)
    for (name, ours), (_, theirs) in zip(resumed.named_parameters(), reference.named_parameters()):
        np.testing.assert_array_equal(ours, theirs, err_msg=name)
    assert resumed.optimizer.iterations == reference.optimizer.iterations == 9
