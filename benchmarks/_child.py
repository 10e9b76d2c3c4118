"""One contender running one workload in a fresh process: ``python -m benchmarks._child '<json spec>'``.

The parent sets the thread-count variables in this process's environment before NumPy (or PyTorch) is
imported. The last line printed is the JSON result, with the process's peak RSS (``ru_maxrss``).
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import statistics
import sys
import time
from typing import Any

from benchmarks import workloads


def _rss_mb() -> float:
    """Peak resident set size in MB (10^6 bytes, as the memory goal is stated); ru_maxrss is in KiB on Linux."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _train(contender: Any, kind: str, samples: int, epochs: int) -> dict[str, Any]:
    x, y = workloads.model_data(kind, samples)
    model = contender.build(kind)
    batch = workloads.batch_size(kind)
    warm = min(len(x), 4 * batch)
    contender.train(model, x[:warm], y[:warm], 1, batch)
    start = time.perf_counter()
    loss = contender.train(model, x, y, epochs, batch)
    seconds = time.perf_counter() - start
    return {"samples_per_s": samples * epochs / seconds, "seconds": seconds, "final_loss": loss}


def _predict(contender: Any, kind: str, samples: int, passes: int) -> dict[str, Any]:
    """The median of ``passes`` predictions over the whole data (one pass is short)."""
    x, _ = workloads.model_data(kind, samples)
    model = contender.build(kind)
    contender.predict(model, x[: 2 * workloads.BATCH_SIZE])
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        out = contender.predict(model, x)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    return {"samples_per_s": samples / seconds, "seconds": seconds, "checksum": float(abs(out).mean())}


def _memory(contender: Any, samples: int) -> dict[str, Any]:
    model = contender.build("mlp")
    before = _current_rss_mb()
    x, y = workloads.mlp_data(samples)
    dataset_mb = (x.nbytes + y.nbytes) / 1e6
    start = time.perf_counter()
    contender.train(model, x, y, 1, workloads.BATCH_SIZE)
    seconds = time.perf_counter() - start
    return {"dataset_mb": dataset_mb, "rss_before_data_mb": before, "samples_per_s": samples / seconds}


def _layers(contender: Any, sizes: workloads.Sizes) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for case in workloads.layer_cases(sizes.layer_batch):
        reason = contender.unavailable(case.name)
        if reason:
            results[case.name] = {"skipped": reason}
            continue
        step = contender.layer_step(case)
        step(), step()
        times = []
        for _ in range(sizes.layer_iterations):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        results[case.name] = {"ms": 1e3 * statistics.median(times), "ms_min": 1e3 * min(times)}
    return {"layers": results}


def _machine(name: str, contender: Any, sizes: workloads.Sizes) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if name == "numpy":
        result.update(contender.machine_rates(sizes.sgemm_size, sizes.copy_mib))
    elif name == "torch":
        import torch

        result.update(torch_sgemm_gflops=contender.matmul_gflops(sizes.sgemm_size), torch_version=torch.__version__,
                      torch_threads=torch.get_num_threads(), torch_build=contender.build_info())
    try:
        from threadpoolctl import threadpool_info

        result["threadpools"] = threadpool_info()
    except ImportError:
        result["threadpools"] = "threadpoolctl is not installed (pip install threadpoolctl)"
    return result


def run(spec: dict[str, Any]) -> dict[str, Any]:
    name, workload = spec["contender"], spec["workload"]
    sizes = workloads.Sizes(**spec["sizes"])
    contender = importlib.import_module(f"benchmarks.contender_{name}")
    kind, _, task = workload.rpartition("_")
    kind = kind if kind in workloads.INPUT_SHAPES else "mlp"
    reason = contender.unavailable(kind)
    if reason:
        return {"skipped": reason}
    if workload == "machine":
        return _machine(name, contender, sizes)
    samples = {"mlp": (sizes.mlp_samples, sizes.mlp_epochs, sizes.predict_mlp_samples),
               "cnn": (sizes.cnn_samples, sizes.cnn_epochs, sizes.predict_cnn_samples),
               "lstm": (sizes.lstm_samples, 1, sizes.lstm_samples),
               "transformer": (sizes.transformer_samples, 1, sizes.transformer_samples)}.get(
        kind, (sizes.zoo_samples, 1, sizes.zoo_samples))
    if task == "train" and workload in workloads.WORKLOADS:
        return _train(contender, kind, samples[0], samples[1])
    if task == "predict" and workload in workloads.WORKLOADS:
        return _predict(contender, kind, samples[2], sizes.predict_passes)
    if workload == "memory":
        return _memory(contender, sizes.memory_samples)
    if workload == "layers":
        return _layers(contender, sizes)
    raise ValueError(f"unknown workload {workload!r}; known: {', '.join(workloads.WORKLOADS)}")


def main(argv: list[str]) -> int:
    result = run(json.loads(argv[0]))
    result["peak_rss_mb"] = _rss_mb()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
