"""Threads and the BLAS: the machinery behind ``nnfs_core.ops.CPUOps`` (private to the ops package).

NumPy releases the GIL inside its copies, ufuncs and matrix products, so two Python threads that each
take half a batch run on two cores. Two things make that pay:

* The BLAS must not run threads of its own at the same time. OpenBLAS's idle workers spin for about a
  tenth of a second after every multi-threaded call and take a core from whoever else wants it (measured:
  two threads copying right after a matrix product run no faster than one). While a layer splits its work,
  ``blas_single_threaded`` holds the BLAS to one thread per call, and ``Network`` holds it for a whole
  ``fit``/``predict``/``evaluate`` when one of its layers sets ``parallel = True``.
* The work is cut into few, large pieces of fixed bounds: the same batch is always split the same way, so
  results do not depend on which thread finished first.

nnfs uses as many threads as the BLAS was configured for (``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or
the CPUs), or ``NNFS_NUM_THREADS`` when set; ``NNFS_NUM_THREADS=1`` turns all of this off. It also stays
off when the BLAS is not OpenBLAS with its own thread pool (OpenMP BLAS builds keep one pool per calling
thread, so holding them to one thread from here is not possible), and when ``threadpoolctl`` is missing.

Components never call this module: they call their ``ops`` (see docs/architecture.md, "Where speed lives").
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import numpy as np

from nnfs_core.protocols import Array

__all__ = ["workers", "split", "run", "blas_single_threaded", "blas_held", "matmul", "over_rows", "ENV_THREADS"]

ENV_THREADS = "NNFS_NUM_THREADS"

_lock = threading.Lock()
_busy = threading.Lock()  # held while one call of run() uses the workers
_state: dict[str, Any] = {}  # "controller", "workers", "pool": built on first use
_held = 0  # nesting depth of blas_single_threaded across threads
_original: list[int] = []  # the BLAS thread counts it restores
_local = threading.local()  # .in_worker: this thread is one of the pool's
_SPLIT_MIN = 1 << 20  # multiply-adds below which one thread is quicker than handing work to another


def _blas_controller() -> Any:
    """threadpoolctl's controller for the BLAS libraries when all of them can be held from here, else None."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    controller = ThreadpoolController().select(user_api="blas")
    libraries = controller.lib_controllers
    if not libraries or any(lib.internal_api != "openblas" or lib.threading_layer != "pthreads" for lib in libraries):
        return None
    return controller


def _read_env() -> int | None:
    value = os.environ.get(ENV_THREADS, "").strip()
    if not value:
        return None
    try:
        threads = int(value)
    except ValueError:
        raise ValueError(f"{ENV_THREADS} must be a whole number of threads, got {value!r}") from None
    if threads < 1:
        raise ValueError(f"{ENV_THREADS} must be at least 1, got {value!r}")
    return threads


def _setup() -> dict[str, Any]:
    with _lock:
        if not _state:
            requested = _read_env()
            controller = _blas_controller() if requested != 1 else None
            if controller is None:
                threads = 1
            else:
                blas_threads = max(lib.num_threads or 1 for lib in controller.lib_controllers)
                threads = requested or blas_threads
            _state.update(controller=controller, workers=threads, pool=None)
        return _state


def workers() -> int:
    """How many threads nnfs splits work over (1: everything runs in the calling thread)."""
    return int(_setup()["workers"])


def split(total: int, parts: int | None = None) -> list[tuple[int, int]]:
    """``[start, stop)`` bounds cutting ``range(total)`` into ``parts`` (default ``workers``) near-equal runs.

    Empty runs are dropped, so fewer bounds come back when ``total`` is small.
    """
    parts = workers() if parts is None else parts
    if parts < 1:
        raise ValueError(f"split needs at least one part, got parts={parts}")
    bounds = [(total * index) // parts for index in range(parts + 1)]
    return [(start, stop) for start, stop in zip(bounds, bounds[1:]) if stop > start]


class _Worker:
    """A thread that runs one task at a time, handed over and back with two locks.

    Cheaper than a queue and futures: a hand-off costs about 20 us here instead of about 50 us, which
    matters when a layer splits a pass of a few hundred microseconds.
    """

    def __init__(self, index: int) -> None:
        self._start = threading.Lock()
        self._start.acquire()
        self._finish = threading.Lock()
        self._finish.acquire()
        self._task: Callable[[], Any] | None = None
        self._outcome: tuple[bool, Any] = (True, None)
        threading.Thread(target=self._loop, name=f"nnfs-worker-{index}", daemon=True).start()

    def _loop(self) -> None:
        _local.in_worker = True
        while True:
            self._start.acquire()
            task, self._task = self._task, None
            if task is None:  # stop()
                self._finish.release()
                return
            try:
                self._outcome = (True, task())
            except BaseException as raised:  # noqa: BLE001 - handed to the caller, which raises it
                self._outcome = (False, raised)
            del task
            self._finish.release()

    def start(self, task: Callable[[], Any]) -> None:
        self._task = task
        self._start.release()

    def stop(self) -> None:
        self._task = None
        self._start.release()
        self._finish.acquire()

    def wait(self) -> tuple[bool, Any]:
        """(True, result) or (False, exception) of the task started last."""
        self._finish.acquire()
        outcome, self._outcome = self._outcome, (True, None)
        return outcome


def _workers() -> list[_Worker]:
    state = _setup()
    with _lock:
        if state["pool"] is None:
            state["pool"] = [_Worker(index) for index in range(state["workers"] - 1)]
        pool: list[_Worker] = state["pool"]
        return pool


def _abandon_workers() -> None:
    """Forget the workers (new ones start on next use); a busy one finishes its task and then waits forever."""
    with _lock:
        if _state:
            _state["pool"] = None


def run(tasks: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run the tasks, the first in this thread and the others on nnfs's worker threads; their results in order.

    Every task runs to its end before the first exception (in task order) is raised again. Tasks run one
    after another in this thread when nnfs uses one thread, when there is a single task, when this is
    already one of nnfs's workers (no nested waiting, so no deadlock), and when another thread is using the
    workers right now. Tasks beyond the number of threads run in this thread after the first.
    """
    if len(tasks) <= 1 or workers() == 1 or getattr(_local, "in_worker", False) or not _busy.acquire(blocking=False):
        return [task() for task in tasks]
    try:
        helpers = _workers()[:len(tasks) - 1]
        for worker, task in zip(helpers, tasks[1:]):
            worker.start(task)
        mine = [0, *range(1 + len(helpers), len(tasks))]
        outcomes: dict[int, tuple[bool, Any]] = {}
        for index in mine:
            try:
                outcomes[index] = (True, tasks[index]())
            except BaseException as raised:  # noqa: BLE001 - raised again below, after the other tasks end
                outcomes[index] = (False, raised)
        try:
            for index, worker in enumerate(helpers, start=1):
                outcomes[index] = worker.wait()
        except BaseException:  # interrupted while waiting (Ctrl-C): a worker may still be busy
            _abandon_workers()
            raise
    finally:
        _busy.release()
    results = []
    for index in range(len(tasks)):
        ok, value = outcomes[index]
        if not ok:
            raise value
        results.append(value)
    return results


@contextmanager
def blas_single_threaded() -> Iterator[None]:
    """Hold the BLAS to one thread per call while nnfs splits work itself (nests; no-op when off).

    The setting is process-wide: other threads' matrix products run on one thread until the outermost
    block ends, when the BLAS gets back the thread count it had.
    """
    global _held
    state = _setup()
    controller = state["controller"]
    if controller is None or state["workers"] == 1:
        yield
        return
    with _lock:
        _held += 1
        if _held == 1:
            _original.clear()
            _original.extend(lib.num_threads for lib in controller.lib_controllers)
            _set_blas_threads(controller, [1] * len(_original))
    try:
        yield
    finally:
        with _lock:
            _held -= 1
            if _held == 0:
                _set_blas_threads(controller, _original)


def blas_held() -> bool:
    """True while ``blas_single_threaded`` holds the BLAS to one thread (so split products yourself)."""
    return _held > 0


def matmul(a: Array, b: Array, out: Array | None = None) -> Array:
    """``a @ b`` for 2-D operands or stacks of them (3-D: one product per leading index, as ``np.matmul``).

    While the BLAS is held to one thread, the rows of each product go to nnfs's threads. Each thread
    computes whole rows with the same single-threaded product, so the result is the same whichever
    thread computes which rows.
    """
    if out is None:
        out = np.empty((*a.shape[:-1], b.shape[-1]), dtype=np.result_type(a, b))
    if blas_held() and a.ndim == b.ndim == 3:
        for index in range(a.shape[0]):
            matmul(a[index], b[index], out=out[index])
        return out
    parts = split(a.shape[0]) if blas_held() and a.ndim == 2 and a.shape[0] * b.size >= _SPLIT_MIN else []
    if len(parts) < 2:
        return np.matmul(a, b, out=out)
    run([partial(np.matmul, a[start:stop], b, out=out[start:stop]) for start, stop in parts])
    return out


def over_rows(rows: int, work: Callable[[int, int], Any], *, size: int = 0) -> None:
    """``work(start, stop)`` over ``range(rows)``: split across threads while the BLAS is held, else at once.

    ``size`` is the number of elements the work touches; below about a million, one thread is quicker.
    For elementwise steps of layers that do not set ``parallel`` themselves but run in a network that
    does (ReLU between convolutions).
    """
    parts = split(rows) if blas_held() and size >= _SPLIT_MIN else []
    if len(parts) < 2:
        work(0, rows)
        return
    run([partial(work, start, stop) for start, stop in parts])


def _set_blas_threads(controller: Any, counts: Sequence[int]) -> None:
    """Set each BLAS library's thread count from this thread, whichever thread set it last."""
    for lib, count in zip(controller.lib_controllers, counts):
        clear = getattr(lib, "clear_controlling_thread", None)
        if clear is not None:  # threadpoolctl >= 3.6 lets one thread at a time set OpenBLAS's threads
            clear(force=True)
        lib.set_num_threads(count)


def _reset() -> None:
    """Forget the configuration (tests change NNFS_NUM_THREADS); the next call reads it again."""
    with _busy, _lock:
        pool = _state.get("pool") or []
        _state.clear()
    for worker in pool:
        worker.stop()


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: start from scratch (the pool is rebuilt on use)."""
    global _lock, _busy, _held
    _lock = threading.Lock()
    _busy = threading.Lock()
    _state.clear()
    _held = 0
    _original.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
