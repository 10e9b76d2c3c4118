"""The CPU backend makes glibc's malloc keep freed memory for the next batch (nnfs_core.ops._memory)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from nnfs_core.ops import _memory

CHILD = textwrap.dedent("""
    import numpy as np
    from nnfs_core import Network
    from nnfs_core.ops import _memory
    calls = []
    real = _memory._mallopt
    def recording():
        mallopt = real()
        if mallopt is None:
            return None
        return lambda option, value: calls.append((option, value)) or mallopt(option, value)
    _memory._mallopt = recording
    assert not _memory._done, "nothing is set before a network runs"
    net = Network([{"name": "dense", "output_size": 2}], loss="mse", optimizer="sgd", input_shape=(3,), ops="cpu")
    net.fit(np.zeros((4, 3), np.float32), np.zeros((4, 2), np.float32), epochs=1, verbose=0)
    net.predict(np.zeros((4, 3), np.float32))
    print(_memory._done, calls)
""")


def _run(env_extra: dict[str, str]) -> str:
    env = {key: value for key, value in os.environ.items()
           if key not in ("NNFS_KEEP_FREED_MEMORY", *_memory._USER_SETTINGS)}
    env.update(env_extra)
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(_memory._mallopt() is None, reason="glibc's mallopt is not available here")
def test_the_first_network_run_sets_both_thresholds_once_and_each_run_serves_large_blocks_from_the_heap():
    heap_only, as_before = (-4, 0), (-4, _memory.MMAP_MAX)  # M_MMAP_MAX during a run (fit, then predict)
    thresholds = [(-3, _memory.MMAP_THRESHOLD), (-1, _memory.TRIM_THRESHOLD)]
    assert _run({}) == f"[True] {[*thresholds, heap_only, as_before, heap_only, as_before]}"


@pytest.mark.parametrize("setting", [{"NNFS_KEEP_FREED_MEMORY": "0"}, {"MALLOC_TRIM_THRESHOLD_": "1000000"},
                                     {"MALLOC_MMAP_MAX_": "1000"},
                                     {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1000000"}])
def test_the_user_can_turn_it_off_and_their_own_malloc_settings_win(setting):
    assert _run(setting) == "[False] []"


def test_large_blocks_come_from_the_heap_from_the_first_entry_to_the_last_exit(monkeypatch):
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(_memory, "_done", [True])  # as if the thresholds were set
    monkeypatch.setattr(_memory, "_mallopt", lambda: lambda option, value: calls.append((option, value)) or 1)
    with _memory.heap_for_large_blocks():
        with _memory.heap_for_large_blocks():  # a predict inside a fit's callback, or from another thread
            assert calls == [(-4, 0)]
        assert calls == [(-4, 0)]
    assert calls == [(-4, 0), (-4, _memory.MMAP_MAX)]
    with pytest.raises(RuntimeError), _memory.heap_for_large_blocks():  # an error in a run restores it too
        raise RuntimeError
    assert calls[-1] == (-4, _memory.MMAP_MAX) and len(calls) == 4


def test_nothing_changes_where_freed_memory_is_not_kept(monkeypatch):
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(_memory, "_done", [False])  # turned off, the user's settings, or not glibc
    monkeypatch.setattr(_memory, "_mallopt", lambda: lambda option, value: calls.append((option, value)) or 1)
    with _memory.heap_for_large_blocks():
        pass
    assert calls == []
