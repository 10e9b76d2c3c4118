"""Running the contenders: one fresh process per (workload, contender, repeat), round-robin.

Within a repeat the contenders run one after the other, in an order that rotates from repeat to repeat, so
that a burst of load on the machine hits all of them alike and the ratio of two neighbours in time is fair.
Every child gets the same thread count through the environment (read by OpenBLAS, MKL and OpenMP when they
load) and ``torch.set_num_threads``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import workloads

ROOT = Path(__file__).resolve().parent.parent
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "BENCH_THREADS")
PACKS = ("nnfs_activations", "nnfs_optim", "nnfs_conv", "nnfs_sequence")


def default_threads() -> int:
    """The CPUs this process may use: every contender's thread count unless ``--threads`` says otherwise."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def child_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_child(contender: str, workload: str, sizes: workloads.Sizes, threads: int,
              timeout: float = 1800) -> dict[str, Any]:
    """Run one workload in a fresh interpreter; its JSON result, or ``{"error": ...}``."""
    spec = {"contender": contender, "workload": workload, "sizes": sizes.as_dict(), "threads": threads}
    command = [sys.executable, "-m", "benchmarks._child", json.dumps(spec)]
    try:
        done = subprocess.run(command, cwd=ROOT, env=child_env(threads), capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"error": f"exit code {done.returncode}: {' | '.join(tail)}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_workloads(names: list[str], contenders: list[str], sizes: workloads.Sizes, repeats: int, threads: int,
                  log: Callable[[str], None]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """``results[workload][contender]`` is the list of one result per repeat, in repeat order."""
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name in names:
        per_contender: dict[str, list[dict[str, Any]]] = {contender: [] for contender in contenders}
        results[name] = per_contender
        active = list(contenders)
        for repeat in range(repeats):
            shift = repeat % len(active)
            for contender in active[shift:] + active[:shift]:
                result = run_child(contender, name, sizes, threads)
                result["load_1min_after"] = os.getloadavg()[0]  # ours counts too: about `threads` while running
                per_contender[contender].append(result)
                log(f"{name:<12} repeat {repeat + 1}/{repeats}  {contender:<6} {_brief(result)}")
                if "skipped" in result:  # the same reason holds for every repeat
                    per_contender[contender].extend([result] * (repeats - repeat - 1))
            active = [c for c in active if "skipped" not in per_contender[c][-1]]
            if not active:
                break
    return results


def _brief(result: dict[str, Any]) -> str:
    if "error" in result or "skipped" in result:
        return result.get("error") or f"skipped: {result['skipped']}"
    if "samples_per_s" in result:
        return f"{result['samples_per_s']:>12,.0f} samples/s  peak RSS {result['peak_rss_mb']:,.0f} MB"
    if "layers" in result:
        return "  ".join(f"{name} {value.get('ms', float('nan')):.2f} ms" for name, value in result["layers"].items())
    return ""


def machine(contenders: list[str], sizes: workloads.Sizes, threads: int) -> dict[str, Any]:
    """CPU, versions, BLAS (threadpoolctl), NumPy's sgemm rate and copy bandwidth, PyTorch's sgemm rate."""
    import numpy

    info: dict[str, Any] = {"cpu": _cpu_model(), "logical_cpus": os.cpu_count(), "threads": threads,
                            "numpy_version": numpy.__version__,
                            "python": platform.python_version(), "platform": platform.platform(),
                            "load_average_before": list(os.getloadavg()),
                            "openblas_env": {key: os.environ.get(key) for key in
                                             ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}}
    # NumPy's BLAS and its kernel (threadpoolctl) and sgemm rate are what nnfs runs on too: probed for either.
    if {"numpy", "nnfs"} & set(contenders):
        info["numpy"] = run_child("numpy", "machine", sizes, threads)
    if "torch" in contenders:
        info["torch"] = run_child("torch", "machine", sizes, threads)
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# -- start-up times -----------------------------------------------------------------------------------------
IMPORT_PROBE = f"""
import sys, time, json
start = time.perf_counter()
import nnfs_core
seconds = time.perf_counter() - start
packs = sorted({{name.split('.')[0] for name in sys.modules}} & set({list(PACKS)!r}))
print(json.dumps({{"seconds": seconds, "packs_imported": packs}}))
"""


def startup(runs: int, threads: int) -> dict[str, Any]:
    """Medians over ``runs`` fresh interpreters: ``import nnfs_core`` (timed inside), ``nnfs plugins``
    and ``python -c pass`` (wall clock, the interpreter's own start-up)."""
    env = child_env(threads)
    nnfs = shutil.which("nnfs")
    plugins_command = [nnfs, "plugins"] if nnfs else [sys.executable, "-m", "nnfs_core", "plugins"]
    imports, packs = [], set()
    plugins, bare = [], []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", IMPORT_PROBE], cwd=ROOT, env=env, capture_output=True,
                              text=True, check=True)
        probe = json.loads(done.stdout.strip().splitlines()[-1])
        imports.append(probe["seconds"])
        packs.update(probe["packs_imported"])
        plugins.append(_wall(plugins_command, env))
        bare.append(_wall([sys.executable, "-c", "pass"], env))
    return {
        "import_nnfs_core_ms": 1e3 * statistics.median(imports),
        "import_runs_ms": [1e3 * value for value in imports],
        "packs_imported_by_import": sorted(packs),
        "nnfs_plugins_ms": 1e3 * statistics.median(plugins),
        "nnfs_plugins_command": " ".join(Path(part).name if part == nnfs else part for part in plugins_command),
        "python_pass_ms": 1e3 * statistics.median(bare),
        "runs": runs,
    }


def _wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=True)
    return time.perf_counter() - start
