"""nnfs-mpi under ``mpiexec`` (2 and 3 ranks, oversubscribed on one machine): equivalence with one process,
``nnfs train`` unchanged, rank 0 alone printing and writing, resume across sizes, faults. Marked ``mpi``:
run by ``nox -s mpi`` (``NNFS_MPI_TESTS=1``), skipped elsewhere. Every job runs under a timeout.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nnfs_core import Network

pytestmark = pytest.mark.mpi

_SCRIPT = Path(sys.executable).with_name("nnfs")  # the console script, as a user types it
NNFS = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "nnfs_core"]
TOLERANCE = 1e-12  # float64: the sums over ranks are ordered differently from one process's sums
CONFIG = """\
dataset = "digits"
validation_split = 0.7     # 432 training samples (a multiple of 2 and 3: no padding), 1,006 validation
epochs = {epochs}
batch_size = 12
seed = 0
dtype = "float64"
loss = "cross_entropy"
optimizer = {{ name = "adam", learning_rate = 0.003 }}
metrics = ["accuracy"]

[[layers]]
name = "flatten"

[[layers]]
name = "dense"
output_size = 16
activation = "relu"

[[layers]]
name = "dense"
output_size = 10
"""


def _load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as arrays:
        return {key: arrays[key] for key in arrays.files}


def _assert_close(a: dict[str, np.ndarray], b: dict[str, np.ndarray], keys: str = "") -> None:
    shared = [key for key in a if key in b and key.startswith(keys)]
    assert shared
    for key in shared:
        np.testing.assert_allclose(a[key], b[key], rtol=TOLERANCE, atol=TOLERANCE, err_msg=key)


@pytest.fixture(scope="module")
def single_runs(tmp_path_factory, mpi_run, job):
    """The one-process runs the jobs are compared with, made once: {model: npz}."""
    root = tmp_path_factory.mktemp("single")
    results = {}
    for model in ("dense", "bn"):
        mpi_run(None, *job, "fit", model, str(root / f"{model}.npz"))
        results[model] = _load(root / f"{model}.npz")
    return results


@pytest.mark.parametrize("ranks", [2, 3])
def test_dense_on_n_ranks_equals_one_process(mpi_run, job, tmp_path, single_runs, ranks):
    """Global batch 12 on N ranks (12 / N each) takes one process's steps: weights, history (the loss and
    accuracy logs are the global batch's), validation and evaluate (reduced over uneven shards) agree."""
    mpi_run(ranks, *job, "fit", "dense", str(tmp_path / "out.npz"))
    _assert_close(_load(tmp_path / "out.npz"), single_runs["dense"])


@pytest.mark.parametrize("ranks", [2, 3])
def test_sync_batch_norm_on_n_ranks_equals_one_process(mpi_run, job, tmp_path, single_runs, ranks):
    mpi_run(ranks, *job, "fit", "bn-sync", str(tmp_path / "out.npz"))
    _assert_close(_load(tmp_path / "out.npz"), single_runs["bn"])


@pytest.mark.parametrize("ranks", [2, 3])
def test_per_rank_batch_norm_equals_its_one_process_emulation(mpi_run, job, tmp_path, single_runs, ranks):
    """Per-rank statistics (the default): each shard normalised alone, gradients and running statistics
    averaged; a different run from one process's (the batch statistics differ), as documented."""
    mpi_run(ranks, *job, "fit", "bn", str(tmp_path / "out.npz"))
    mpi_run(None, *job, "emulate", "bn", str(ranks), str(tmp_path / "emulated.npz"))
    out = _load(tmp_path / "out.npz")
    _assert_close(out, _load(tmp_path / "emulated.npz"), keys="state/")
    _assert_close(out, _load(tmp_path / "emulated.npz"), keys="evaluate/")
    assert not np.allclose(out["state/layers.0.weight"], single_runs["bn"]["state/layers.0.weight"])


def _train(mpi_run, ranks, directory: Path, output: str, epochs: int, *extra: str):
    (directory / "config.toml").write_text(CONFIG.format(epochs=epochs))
    return mpi_run(ranks, *NNFS, "train", "config.toml", "--output", output, *extra, cwd=directory)


def _weights(path: Path) -> dict[str, np.ndarray]:
    return Network.load(path).state_dict()


def _history(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", skiprows=1)


def test_nnfs_train_under_mpiexec_prints_and_writes_on_rank_0_only(mpi_run, tmp_path):
    """`mpiexec -n 2 nnfs train config.toml`, the config unchanged: one summary, one progress bar, one
    results table, one set of files; the model, its history (validation reduced over the ranks' shards) and
    its test scores as one process's; `nnfs evaluate` reads the model."""
    two = _train(mpi_run, 2, tmp_path, "two", 2)
    one = _train(mpi_run, None, tmp_path, "one", 2)
    assert "MPIStrategy(rank=0, world_size=2)" in two.stdout
    for text in ("nnfs train:", "Total params", "model saved to", "history written to", "\ntest "):
        assert two.stdout.count(text) == 1, text
    assert two.stderr.count("Epoch 2/2: 100%") == one.stderr.count("Epoch 2/2: 100%") >= 1
    files = sorted(str(path.relative_to(tmp_path / "two")) for path in (tmp_path / "two").rglob("*"))
    assert files == ["checkpoints", "checkpoints/epoch-0002.nnfs", "history.csv", "model.nnfs"]
    _assert_close(_weights(tmp_path / "two" / "model.nnfs"), _weights(tmp_path / "one" / "model.nnfs"))
    np.testing.assert_allclose(_history(tmp_path / "two" / "history.csv"), _history(tmp_path / "one" / "history.csv"),
                               rtol=TOLERANCE, atol=TOLERANCE)
    test_line = [line for line in two.stdout.splitlines() if line.startswith("test ")]
    assert test_line == [line for line in one.stdout.splitlines() if line.startswith("test ")]
    evaluated = mpi_run(None, *NNFS, "evaluate", str(tmp_path / "two" / "model.nnfs"), "--dataset", "digits")
    assert "accuracy" in evaluated.stdout


@pytest.fixture(scope="module")
def straight(tmp_path_factory, mpi_run):
    """3 uninterrupted epochs on one process: (weights, history)."""
    directory = tmp_path_factory.mktemp("straight")
    _train(mpi_run, None, directory, "run", 3)
    return _weights(directory / "run" / "model.nnfs"), _history(directory / "run" / "history.csv")


@pytest.mark.parametrize("ranks", [3, None])
def test_a_checkpoint_of_2_ranks_resumes_on_3_ranks_and_on_1(mpi_run, tmp_path, straight, ranks):
    """`nnfs train --resume` under mpiexec: 2 epochs on 2 ranks, then a third on 3 ranks (or alone),
    gives the model of 3 uninterrupted epochs on one process."""
    _train(mpi_run, 2, tmp_path, "run", 2)
    resumed = _train(mpi_run, ranks, tmp_path, "run", 3, "--resume")
    assert resumed.stdout.count("resuming from") == 1
    _assert_close(_weights(tmp_path / "run" / "model.nnfs"), straight[0])
    np.testing.assert_allclose(_history(tmp_path / "run" / "history.csv"), straight[1], rtol=TOLERANCE,
                               atol=TOLERANCE)
    assert sorted(path.name for path in (tmp_path / "run" / "checkpoints").iterdir()) == ["epoch-0003.nnfs"]


@pytest.mark.parametrize(("how", "ranks"), [("raise", 2), ("raise", 3), ("kill", 2), ("kill", 3)])
def test_a_failing_rank_stops_the_job_with_an_error_naming_it(mpi_run, job, how, ranks):
    """Rank 1 raises (or is killed by SIGKILL) at its third batch while the others wait in the allreduce:
    the job ends, non-zero, naming rank 1, well within the timeout (a hang would fail the test)."""
    start = time.perf_counter()
    done = mpi_run(ranks, *job, how, "1", "2", timeout=90, check=False)
    seconds = time.perf_counter() - start
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    if how == "raise":
        assert f"nnfs-mpi: rank 1 of {ranks} failed: RuntimeError: deliberate failure at batch 2" in output
        assert f"stopping all {ranks} processes" in output
    else:
        assert "process rank 1" in output and "signal 9" in output, output
    assert seconds < 60, f"the job took {seconds:.0f} s to stop"


def test_the_job_helper_fails_a_hanging_job(mpi_run):
    """The timeout is real: a rank waiting for a message nobody sends fails the test, not CI."""
    program = "from mpi4py import MPI\nif MPI.COMM_WORLD.rank == 1: MPI.COMM_WORLD.recv(source=0)\n"
    with pytest.raises(AssertionError, match="still running after 5 s"):
        mpi_run(2, sys.executable, "-c", program, timeout=5)



def test_accumulating_on_2_ranks_equals_one_process_with_a_larger_batch(mpi_run, tmp_path):
    """`accumulate = 2` with global batches of 12 on 2 ranks: one allreduce and one step per 24 samples, the
    step one process takes with batch_size = 24 (the ranks' local means over 2 x 6 samples, averaged)."""
    config = CONFIG.format(epochs=2)
    (tmp_path / "two.toml").write_text(config.replace("batch_size = 12", "batch_size = 12\naccumulate = 2"))
    (tmp_path / "one.toml").write_text(config.replace("batch_size = 12", "batch_size = 24"))
    mpi_run(2, *NNFS, "train", "two.toml", "--output", "two", cwd=tmp_path)
    mpi_run(None, *NNFS, "train", "one.toml", "--output", "one", cwd=tmp_path)
    two, one = Network.load(tmp_path / "two" / "model.nnfs"), Network.load(tmp_path / "one" / "model.nnfs")
    assert two.optimizer.iterations == one.optimizer.iterations == 2 * 432 // 24
    for key, value in one.state_dict().items():
        np.testing.assert_allclose(two.state_dict()[key], value, rtol=1e-10, atol=1e-12, err_msg=key)
