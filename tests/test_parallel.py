"""nnfs_core.parallel: splitting, running tasks on threads, holding the BLAS to one thread, and the Network's use."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nnfs_core import Network, parallel
from nnfs_core.protocols import BaseLayer


@pytest.fixture
def threads(monkeypatch):
    """Set NNFS_NUM_THREADS for one test (the configuration is read again before and after)."""

    def use(count: int | str | None) -> None:
        if count is None:
            monkeypatch.delenv(parallel.ENV_THREADS, raising=False)
        else:
            monkeypatch.setenv(parallel.ENV_THREADS, str(count))
        parallel._reset()

    yield use
    monkeypatch.delenv(parallel.ENV_THREADS, raising=False)
    parallel._reset()


def blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    return [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]


def controllable():
    return parallel._setup()["controller"] is not None


@pytest.mark.parametrize("total, parts", [(10, 2), (7, 3), (1, 4), (0, 2), (128, 2), (5, 5)])
def test_split_covers_the_range_in_near_equal_runs(total, parts):
    bounds = parallel.split(total, parts)
    assert [index for start, stop in bounds for index in range(start, stop)] == list(range(total))
    sizes = [stop - start for start, stop in bounds]
    assert all(size > 0 for size in sizes) and (not sizes or max(sizes) - min(sizes) <= 1)
    assert len(bounds) == min(total, parts)


def test_split_needs_a_part():
    with pytest.raises(ValueError, match="at least one part"):
        parallel.split(4, 0)


def test_the_thread_count_comes_from_the_environment(threads):
    threads(1)
    assert parallel.workers() == 1
    threads(3)
    assert parallel.workers() == (3 if controllable() else 1)


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_thread_count_names_the_variable(threads, value):
    threads(value)
    with pytest.raises(ValueError, match=parallel.ENV_THREADS):
        parallel.workers()


def test_run_returns_results_in_task_order_and_uses_other_threads(threads):
    threads(2)
    names = parallel.run([lambda: threading.current_thread().name] * 2)
    assert names[0] == threading.current_thread().name
    if parallel.workers() == 2:
        assert names[1].startswith("nnfs-worker")
    assert parallel.run([lambda value=value: value * 2 for value in range(5)]) == [0, 2, 4, 6, 8]


def test_run_finishes_every_task_before_raising_the_first_error(threads):
    threads(2)
    finished = []

    def fails(message):
        def task():
            raise RuntimeError(message)
        return task

    def slow():
        threading.Event().wait(0.05)
        finished.append("slow")

    with pytest.raises(RuntimeError, match="first"):
        parallel.run([fails("first"), slow, fails("second")])
    assert finished == ["slow"]


def test_run_from_several_threads_at_once_with_more_tasks_than_threads(threads):
    threads(2)
    results = {}

    def caller(name):
        for _ in range(50):
            results[name] = parallel.run([lambda index=index: (name, index) for index in range(5)])

    callers = [threading.Thread(target=caller, args=(name,)) for name in "abc"]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join(timeout=30)
    assert results == {name: [(name, index) for index in range(5)] for name in "abc"}


def test_run_inside_a_worker_runs_in_that_worker(threads):
    threads(2)
    inner = lambda: parallel.run([lambda: threading.current_thread().name] * 3)  # noqa: E731
    outer = parallel.run([lambda: "main", inner])
    assert outer[0] == "main" and len(set(outer[1])) == 1  # no waiting on the pool from inside it


def test_one_thread_runs_everything_here(threads):
    threads(1)
    here = threading.current_thread().name
    assert parallel.run([lambda: threading.current_thread().name] * 3) == [here] * 3
    with parallel.blas_single_threaded():
        assert not parallel.blas_held()


def test_the_blas_is_held_to_one_thread_and_given_back(threads):
    threads(2)
    if not controllable():
        pytest.skip("this BLAS cannot be held from here (not OpenBLAS with its own threads)")
    before = blas_threads()
    with parallel.blas_single_threaded():
        assert parallel.blas_held() and blas_threads() == [1] * len(before)
        with parallel.blas_single_threaded():
            assert blas_threads() == [1] * len(before)
        assert blas_threads() == [1] * len(before)
    assert not parallel.blas_held() and blas_threads() == before
    with pytest.raises(KeyError), parallel.blas_single_threaded():
        raise KeyError("inside")
    assert blas_threads() == before


def test_split_products_and_rows_give_the_whole_result(threads):
    threads(2)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((300, 200)), rng.standard_normal((200, 50))
    with parallel.blas_single_threaded():
        product = parallel.matmul(a, b)
        transposed = parallel.matmul(a.T[:, :300], rng.standard_normal((300, 40)))
        stacks = rng.standard_normal((3, 300, 20)), rng.standard_normal((3, 20, 200))
        stacked = parallel.matmul(*stacks)
        seen = np.zeros(3000, dtype=int)

        def count(start, stop):
            seen[start:stop] += 1

        parallel.over_rows(3000, count, size=2**21)
    np.testing.assert_allclose(product, a @ b, rtol=1e-12)
    assert transposed.shape == (200, 40)
    np.testing.assert_allclose(stacked, np.matmul(*stacks), rtol=1e-12)
    assert (seen == 1).all()


class _Recorder(BaseLayer):
    """Identity layer that records whether the BLAS was held while it ran."""

    def __init__(self, *, splits: bool = False) -> None:
        super().__init__()
        self.splits = splits
        self.held: list[bool] = []

    @property
    def parallel(self):  # type: ignore[override]
        return self.splits

    def forward(self, x, *, training=False):
        self.held.append(parallel.blas_held())
        return x

    def backward(self, grad):
        return grad


@pytest.mark.parametrize("splits", [True, False])
def test_a_network_holds_the_blas_only_around_layers_that_split_batches(threads, plain_sgd, splits):
    threads(2)
    recorder = _Recorder(splits=splits)
    model = Network([recorder, {"name": "dense", "output_size": 2}], loss="mse", optimizer="plain_sgd",
                    input_shape=(3,), seed=0)
    x, y = np.ones((8, 3), np.float32), np.zeros((8, 2), np.float32)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    model.predict(x)
    model.evaluate(x, y)
    model.train_on_batch(x, y)
    assert recorder.held and set(recorder.held) == {splits and controllable()}
    assert not parallel.blas_held()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_gets_threads_of_its_own(threads):
    import os
    import signal

    threads(2)
    parallel.run([lambda: None, lambda: None])  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # child: the parent's worker thread is not here; work must still run (not hang)
        signal.alarm(20)  # a hang ends the child with SIGALRM, and the test fails instead of hanging
        try:
            ok = parallel.run([lambda: 1, lambda: 2]) == [1, 2] and not parallel.blas_held()
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_an_interrupted_wait_leaves_workers_that_still_work(threads, monkeypatch):
    threads(2)
    if parallel.workers() < 2:
        pytest.skip("needs two threads")
    parallel.run([lambda: None, lambda: None])
    worker = parallel._workers()[0]
    release = threading.Event()

    def interrupted_wait():
        raise KeyboardInterrupt  # as Ctrl-C would while the caller waits for its worker

    monkeypatch.setattr(worker, "wait", interrupted_wait)
    with pytest.raises(KeyboardInterrupt):
        parallel.run([lambda: None, release.wait])
    release.set()  # the abandoned worker finishes its task
    assert parallel._workers()[0] is not worker
    assert parallel.run([lambda: 1, lambda: 2]) == [1, 2]
