"""From raw child results to the summary (JSON) and its tables (Markdown, printed as they are).

Ratios pair the runs of one repeat (neighbours in time): ``nnfs / other`` of samples per second, so above
1 means nnfs is faster. Min, median and max are over the repeats.
"""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks import workloads

Results = dict[str, dict[str, list[dict[str, Any]]]]
MEMORY_HEADROOM_MB = 300.0


def _spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def _note(runs: list[dict[str, Any]]) -> str | None:
    for run in runs:
        if "skipped" in run:
            return f"skipped: {run['skipped']}"
        if "error" in run:
            return f"error: {run['error']}"
    return None


def throughput(results: Results) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, per_contender in results.items():
        if name == "layers":
            continue
        summary[name] = {}
        for contender, runs in per_contender.items():
            speeds = [run["samples_per_s"] for run in runs if "samples_per_s" in run]
            rss = [run["peak_rss_mb"] for run in runs if "peak_rss_mb" in run]
            summary[name][contender] = {"samples_per_s": _spread(speeds), "peak_rss_mb": _spread(rss),
                                        "runs": speeds, "note": _note(runs)}
            if name == "memory":
                before = [run["rss_before_data_mb"] for run in runs if "rss_before_data_mb" in run]
                summary[name][contender].update(
                    dataset_mb=next((run["dataset_mb"] for run in runs if "dataset_mb" in run), None),
                    rss_before_data_mb=_spread(before))
    return summary


def gemm_ceilings(machine: dict[str, Any]) -> dict[str, float]:
    """Samples/s if a workload did nothing but its matrix products at NumPy's measured sgemm rate."""
    gflops = machine.get("numpy", {}).get("sgemm_gflops")
    if not gflops:
        return {}
    return {name: gflops * 1e9 / flops for name, flops in workloads.MATMUL_FLOPS_PER_SAMPLE.items()}


def ratios(results: Results, base: str = "nnfs") -> dict[str, dict[str, Any]]:
    summary: dict[str, dict[str, Any]] = {}
    for name, per_contender in results.items():
        if name == "layers" or base not in per_contender:
            continue
        summary[name] = {}
        for other, runs in per_contender.items():
            if other == base:
                continue
            pairs = [mine["samples_per_s"] / theirs["samples_per_s"]
                     for mine, theirs in zip(per_contender[base], runs)
                     if "samples_per_s" in mine and "samples_per_s" in theirs]
            summary[name][other] = _spread(pairs)
    return summary


def layers(results: Results, machine: dict[str, Any], batch: int) -> dict[str, Any]:
    rates = machine.get("numpy", {})
    gflops, bandwidth = rates.get("sgemm_gflops"), rates.get("copy_gbytes_per_s")
    summary: dict[str, Any] = {}
    for case in workloads.layer_cases(batch):
        gemm_ms = 1e3 * case.matmul_flops() / (gflops * 1e9) if gflops and case.matmul_flops() else None
        memory_ms = 1e3 * case.bytes_moved() / (bandwidth * 1e9) if bandwidth else None
        entry: dict[str, Any] = {"description": case.description, "gemm_bound_ms": gemm_ms,
                                 "memory_bound_ms": memory_ms, "matmul_gflop": case.matmul_flops() / 1e9}
        for contender, runs in results.get("layers", {}).items():
            times = [run["layers"][case.name]["ms"] for run in runs
                     if "layers" in run and "ms" in run["layers"].get(case.name, {})]
            notes = [run["layers"][case.name]["skipped"] for run in runs
                     if "layers" in run and "skipped" in run["layers"].get(case.name, {})]
            entry[contender] = {"ms": _spread(times), "note": notes[0] if notes else _note(runs)}
        bound = max(filter(None, [gemm_ms, memory_ms]), default=None)
        mine = (entry.get("nnfs") or {}).get("ms")
        entry["bound_ms"] = bound
        entry["nnfs_over_bound"] = mine["median"] / bound if mine and bound else None
        summary[case.name] = entry
    return summary


def goals(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's goals, each with the measured figure and whether it is met (None: not measured)."""
    ratio = summary["ratios"]
    found: list[dict[str, Any]] = []

    def add(goal: str, value: float | None, target: float, text: str, higher: bool = True) -> None:
        met = None if value is None else (value >= target if higher else value < target)
        found.append({"goal": goal, "measured": text if value is not None else "not measured", "met": met})

    def median_ratio(workload: str, other: str) -> float | None:
        spread = ratio.get(workload, {}).get(other)
        return spread["median"] if spread else None

    zoo = [(f"{model}_{task}", "torch", target) for model in ("lenet", "cnn", "resnet", "mobilenet")
           for task, target in (("train", 1.0), ("predict", 1.2))]
    sequence = [("lstm_train", "torch", 1.0), ("transformer_train", "torch", 0.8)]  # issue 19
    for workload, other, target in (("mlp_train", "torch", 1.2), ("mlp_train", "numpy", 0.9), *zoo, *sequence):
        value = median_ratio(workload, other)
        add(f"{workload}: nnfs >= {target}x {other}", value, target, f"{value:.2f}x" if value else "")
    conv = summary["layers"].get("conv2d", {})
    value, bound = conv.get("nnfs_over_bound"), conv.get("gemm_bound_ms")
    add("Conv2D forward+backward within 2x of its GEMM bound", value, 2.0,
        f"{value:.2f}x ({conv['nnfs']['ms']['median']:.2f} ms vs {bound:.2f} ms)" if value and bound else "",
        higher=False)
    memory = summary["throughput"].get("memory", {}).get("nnfs", {})
    if memory.get("peak_rss_mb") and memory.get("dataset_mb"):
        limit = memory["dataset_mb"] + MEMORY_HEADROOM_MB
        peak = memory["peak_rss_mb"]["max"]
        add(f"training peak RSS < dataset + {MEMORY_HEADROOM_MB:.0f} MB", peak, limit,
            f"{peak:.0f} MB (limit {limit:.0f} MB)", higher=False)
    else:
        add("training peak RSS < dataset + 300 MB", None, 0, "")
    start = summary.get("startup") or {}
    if start:
        packs = start["packs_imported_by_import"]
        add("import nnfs_core < 150 ms", start["import_nnfs_core_ms"], 150.0,
            f"{start['import_nnfs_core_ms']:.0f} ms", higher=False)
        found.append({"goal": "import nnfs_core imports no pack", "measured": ", ".join(packs) or "none",
                      "met": not packs})
    return found


def summarize(results: Results, machine: dict[str, Any], start: dict[str, Any] | None,
              config: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"config": config, "machine": machine, "startup": start,
                               "throughput": throughput(results), "ratios": ratios(results),
                               "gemm_ceiling_samples_per_s": gemm_ceilings(machine),
                               "layers": layers(results, machine, config["sizes"]["layer_batch"])}
    loads = [run["load_1min_after"] for per_contender in results.values() for runs in per_contender.values()
             for run in runs if "load_1min_after" in run]
    machine["load_1min_during"] = _spread(loads)
    summary["goals"] = goals(summary)
    summary["raw"] = results
    return summary
