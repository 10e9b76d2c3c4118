"""nnfs-mpi in one plain process: registration, shards, fused buffers, sync BatchNorm (threads as ranks),
and the strategy on a world of one. What needs several processes is in test_mpi_jobs.py."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from nnfs_mpi import LAUNCHER_VARIABLES, FusedBuffers, MPIStrategy, epoch_positions, evaluation_range, padded_samples
from nnfs_mpi._sync_batch_norm import SyncedBatchNormOps

from nnfs_core import Network, registry, strategies
from nnfs_core._first_party import FIRST_PARTY
from nnfs_core.errors import ConfigError
from nnfs_core.ops import NumpyOps
from nnfs_core.testing import check_distribution


# -- registration -----------------------------------------------------------------------------------------------
def test_mpi_registers_exactly_the_first_party_names():
    names = [entry.name for entry in registry.strategies.entries() if entry.distribution == "nnfs-mpi"]
    assert names == list(FIRST_PARTY["nnfs-mpi"]["strategies"]) == ["mpi"]
    assert registry.strategies.get("mpi") is MPIStrategy


def test_mpi_distribution_passes_the_kit_and_declares_plugin_api_2():
    assert check_distribution("nnfs-mpi") == []
    from importlib.metadata import entry_points

    declared = [entry.name for entry in entry_points(group="nnfs.plugin_api") if entry.value == "nnfs_mpi"]
    assert declared == ["2.0"]


@pytest.mark.parametrize("variable", LAUNCHER_VARIABLES)
def test_a_launcher_variable_makes_mpi_the_default_strategy(monkeypatch, variable):
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(strategies.ENV_STRATEGY, raising=False)
    assert not MPIStrategy.launched() and strategies.default_name() == "single"
    monkeypatch.setenv(variable, "2")
    assert MPIStrategy.launched() and strategies.default_name() == "mpi"


# -- shards -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("samples", [1, 5, 12, 13, 42])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
def test_shards_are_distributed_sampler_shards(samples, world):
    """Same permutation on every rank; pad: every sample read, the first ones again to fill the last round;
    drop: the last samples left out; shards disjoint by position and equally long (no rank runs out early)."""
    order = np.random.default_rng(samples).permutation(samples)
    padded = [epoch_positions(order, samples, rank, world, "pad") for rank in range(world)]
    assert {len(shard) for shard in padded} == {-(-samples // world)}
    padded_order = np.resize(order, padded_samples(samples, world, "pad"))
    assert sorted(np.concatenate(padded).tolist()) == sorted(padded_order.tolist())
    assert set(np.concatenate(padded).tolist()) == set(range(samples))
    if samples < world:
        with pytest.raises(ConfigError, match="remainder='pad'"):
            epoch_positions(order, samples, 0, world, "drop")
        return
    dropped = [epoch_positions(order, samples, rank, world, "drop") for rank in range(world)]
    assert {len(shard) for shard in dropped} == {samples // world}
    kept = np.concatenate(dropped)
    assert len(set(kept.tolist())) == len(kept)
    assert set(kept.tolist()) == set(order[: samples // world * world].tolist())


@pytest.mark.parametrize("world", [1, 2, 3])
def test_each_ranks_kth_batch_is_its_share_of_the_single_process_kth_batch(world):
    batch, samples = 12, 42
    order = np.random.default_rng(0).permutation(samples)
    shards = [epoch_positions(order, samples, rank, world, "pad") for rank in range(world)]
    local = batch // world
    for k, start in enumerate(range(0, samples, batch)):
        global_batch = order[start:start + batch]
        parts = [shard[k * local:(k + 1) * local] for shard in shards]
        assert sorted(np.concatenate(parts).tolist()) == sorted(global_batch.tolist())
        assert len({len(part) for part in parts}) == 1


@pytest.mark.parametrize("samples", [0, 1, 7, 17, 100])
@pytest.mark.parametrize("world", [1, 2, 3, 5])
def test_evaluation_ranges_cover_the_set_once(samples, world):
    ranges = [evaluation_range(samples, rank, world) for rank in range(world)]
    assert ranges[0][0] == 0 and ranges[-1][1] == samples
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))


# -- fused buffers ----------------------------------------------------------------------------------------------
def test_fused_buffers_pack_by_dtype_within_the_bucket_size_and_round_trip():
    rng = np.random.default_rng(0)
    layout = [((30, 10), np.float64), ((10,), np.float64), ((4, 4), np.float32), ((500,), np.float64),
              ((3,), np.float32)]
    arrays = [rng.standard_normal(shape).astype(dtype) for shape, dtype in layout]
    fused = FusedBuffers(arrays, bucket_bytes=4000, extra=2)
    assert len(fused) == 3  # float64: 310 values (2480 bytes) then 500 alone; float32: 19 values
    assert all(bucket.buffer.dtype == arrays[index].dtype for bucket in fused.buckets for index, _, _ in bucket.slices)
    assert sum(len(bucket.slices) for bucket in fused.buckets) == len(arrays)
    buffers = fused.pack(arrays, extra=(1.0, 5.0))
    for buffer in buffers:  # what an allreduce over two identical ranks does
        buffer *= 2
    copies = [np.zeros_like(array) for array in arrays]
    extra = fused.unpack(copies, scale=0.5)
    assert extra.tolist() == [2.0, 10.0]
    for copy, array in zip(copies, arrays):
        np.testing.assert_array_equal(copy, array)
    assert fused.signature == FusedBuffers.signature_of(copies)
    assert fused.nbytes == sum(array.nbytes for array in arrays) + 2 * buffers[-1].itemsize


def test_one_array_larger_than_the_bucket_gets_a_bucket_of_its_own():
    arrays = [np.ones(10), np.ones(1000), np.ones(10)]
    fused = FusedBuffers(arrays, bucket_bytes=100)
    assert [len(bucket.slices) for bucket in fused.buckets] == [1, 1, 1]


# -- synchronised BatchNorm, with threads standing for ranks -------------------------------------------------
class ThreadComm:
    """``Allreduce(IN_PLACE, buffer, op=SUM)`` over ``size`` threads (each thread is a rank)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.barrier = threading.Barrier(size)
        self.lock = threading.Lock()
        self.total: np.ndarray | None = None

    def Allreduce(self, _in_place, buffer, op=None):  # noqa: N802 - mpi4py's spelling
        with self.lock:
            self.total = buffer.copy() if self.total is None else self.total + buffer
        self.barrier.wait()
        buffer[...] = self.total
        if self.barrier.wait() == 0:
            self.total = None
        self.barrier.wait()


@pytest.mark.parametrize("shape", [(12, 3), (6, 2, 3, 3)])
@pytest.mark.parametrize("ranks", [2, 3])
def test_sync_batch_norm_on_shards_is_batch_norm_on_the_whole_batch(shape, ranks):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape) * 3 + 1
    grad = rng.standard_normal(shape)
    channels = shape[1]
    weight, bias = rng.standard_normal(channels), rng.standard_normal(channels)
    inner = NumpyOps()
    mean0, var0 = rng.standard_normal(channels), rng.random(channels) + 0.5
    ref_mean, ref_var = mean0.copy(), var0.copy()
    y, x_hat, inv_std = inner.batch_norm(x, weight, bias, ref_mean, ref_var, momentum=0.1, eps=1e-5, training=True)
    dx, dw, db = inner.batch_norm_backward(grad, x_hat, inv_std, weight, training=True)

    comm, results = ThreadComm(ranks), {}

    def rank(r):
        ops = SyncedBatchNormOps(inner, comm)
        mean, var = mean0.copy(), var0.copy()
        part = slice(r, None, ranks)
        out = ops.batch_norm(x[part], weight, bias, mean, var, momentum=0.1, eps=1e-5, training=True)
        back = ops.batch_norm_backward(grad[part], out[1], out[2], weight, training=True)
        results[r] = (out[0], back, mean, var)

    threads = [threading.Thread(target=rank, args=(r,)) for r in range(ranks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for r in range(ranks):
        part = slice(r, None, ranks)
        out, (dx_r, dw_r, db_r), mean, var = results[r]
        np.testing.assert_allclose(out, y[part], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dx_r, dx[part], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(mean, ref_mean, rtol=1e-12)
        np.testing.assert_allclose(var, ref_var, rtol=1e-12)
    # the parameter gradients are each rank's part; the strategy's allreduce adds them up (mean x ranks)
    np.testing.assert_allclose(sum(results[r][1][1] for r in range(ranks)), dw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sum(results[r][1][2] for r in range(ranks)), db, rtol=1e-10, atol=1e-12)


# -- the strategy on a world of one ---------------------------------------------------------------------------
def test_mpi_strategy_checks_its_arguments_before_anything():
    with pytest.raises(ValueError, match="remainder"):
        MPIStrategy(remainder="wrap")
    with pytest.raises(ValueError, match="bucket_mb"):
        MPIStrategy(bucket_mb=0)
    with pytest.raises(ConfigError, match="sync_batch_norm"):
        MPIStrategy(sync_batch_norm="yes")  # type: ignore[arg-type]
    strategy = registry.strategies.create("mpi", remainder="drop", bucket_mb=2, sync_batch_norm=True)
    assert strategy.get_config() == {"remainder": "drop", "bucket_mb": 2.0, "sync_batch_norm": True}
    assert (strategy.rank, strategy.world_size, strategy.is_main) == (0, 1, True)


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((30, 4)), rng.integers(0, 3, 30)


def _network():
    return Network([{"name": "dense", "output_size": 6}, {"name": "batch_norm"}, {"name": "dense", "output_size": 3}],
                   optimizer={"name": "sgd", "learning_rate": 0.1, "momentum": 0.9}, loss="cross_entropy",
                   dtype="float64", seed=0)


def test_mpi_on_one_process_trains_exactly_as_single():
    x, y = _data()
    single, mpi = _network(), _network()
    single.fit(x, y, epochs=2, batch_size=8, verbose=0, strategy="single")
    mpi.fit(x, y, epochs=2, batch_size=8, verbose=0, strategy={"name": "mpi", "sync_batch_norm": True})
    for (name, a), (_, b) in zip(single.state_dict().items(), mpi.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert single.evaluate(x, y) == mpi.evaluate(x, y, strategy="mpi")
