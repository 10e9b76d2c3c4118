"""The summary as Markdown tables: readable in a terminal and pasted as they are into docs/benchmarks.md."""

from __future__ import annotations

from typing import Any

from benchmarks import workloads


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(header, widths)) + " |",
             "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    lines += ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |" for row in rows]
    return "\n".join(lines)


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _spread(spread: dict[str, float] | None, digits: int = 2, suffix: str = "x") -> str:
    if not spread:
        return "-"
    return f"{spread['median']:.{digits}f}{suffix} ({spread['min']:.{digits}f}-{spread['max']:.{digits}f})"


def throughput_table(summary: dict[str, Any]) -> str:
    contenders = summary["config"]["contenders"]
    others = [c for c in contenders if c != "nnfs"]
    ceilings = summary.get("gemm_ceiling_samples_per_s", {})
    header = ["workload", *(f"{c} samples/s" for c in contenders), *(f"nnfs/{c} (min-max)" for c in others),
              "GEMM ceiling samples/s", "nnfs % of ceiling", *(f"{c} peak RSS MB" for c in contenders)]
    rows = []
    for name, per_contender in summary["throughput"].items():
        if name == "memory":  # one first epoch, no warm-up: its own table
            continue
        row = [workloads.WORKLOADS.get(name, name)]
        for contender in contenders:
            entry = per_contender.get(contender, {})
            speed = entry.get("samples_per_s")
            row.append(_number(speed["median"]) if speed else (entry.get("note") or "-").split(":")[0])
        row += [_spread(summary["ratios"].get(name, {}).get(other)) for other in others]
        row.append(_number(ceilings.get(name)))
        mine = per_contender.get("nnfs", {}).get("samples_per_s")
        row.append(f"{100 * mine['median'] / ceilings[name]:.0f}%" if mine and ceilings.get(name) else "-")
        for contender in contenders:
            rss = per_contender.get(contender, {}).get("peak_rss_mb")
            row.append(_number(rss["median"]) if rss else "-")
        rows.append(row)
    return _table(header, rows)


def memory_table(summary: dict[str, Any]) -> str:
    from benchmarks.report import MEMORY_HEADROOM_MB

    rows = []
    for contender, entry in summary["throughput"]["memory"].items():
        peak, before, dataset = entry.get("peak_rss_mb"), entry.get("rss_before_data_mb"), entry.get("dataset_mb")
        if not peak or not dataset:
            rows.append([contender, (entry.get("note") or "-").split(":")[0], "-", "-", "-", "-"])
            continue
        rows.append([contender, f"{dataset:,.0f}", _number(before["median"] if before else None),
                     f"{peak['max']:,.0f}", f"{peak['max'] - dataset:,.0f}",
                     "yes" if peak["max"] < dataset + MEMORY_HEADROOM_MB else "NO"])
    header = ["contender", "dataset MB", "RSS before the data MB", "peak RSS MB (max over repeats)",
              "peak - dataset MB", f"< dataset + {MEMORY_HEADROOM_MB:.0f} MB"]
    return _table(header, rows)


def layers_table(summary: dict[str, Any]) -> str:
    contenders = summary["config"]["contenders"]
    header = ["layer (forward+backward)", *(f"{c} ms" for c in contenders), "GEMM bound ms", "memory bound ms",
              "nnfs / bound"]
    rows = []
    for entry in summary["layers"].values():
        row = [entry["description"]]
        for contender in contenders:
            ms = (entry.get(contender) or {}).get("ms")
            row.append(_number(ms["median"], 2) if ms else "-")
        ratio = entry["nnfs_over_bound"]
        row += [_number(entry["gemm_bound_ms"], 2), _number(entry["memory_bound_ms"], 2),
                "-" if ratio is None else f"{ratio:.1f}x"]
        rows.append(row)
    return _table(header, rows)


def startup_table(start: dict[str, Any]) -> str:
    rows = [
        ["import nnfs_core (in-process, median)", f"{start['import_nnfs_core_ms']:.0f} ms"],
        ["packs imported by it", ", ".join(start["packs_imported_by_import"]) or "none"],
        [f"`{start['nnfs_plugins_command']}` (wall clock, median)", f"{start['nnfs_plugins_ms']:.0f} ms"],
        ["`python -c pass` (wall clock, median)", f"{start['python_pass_ms']:.0f} ms"],
    ]
    return _table([f"start-up ({start['runs']} fresh processes)", "time"], rows)


def goals_table(found: list[dict[str, Any]]) -> str:
    verdict = {True: "met", False: "MISSED", None: "not measured"}
    return _table(["goal", "measured (median)", ""], [[g["goal"], g["measured"], verdict[g["met"]]] for g in found])


def notes(summary: dict[str, Any]) -> list[str]:
    """Every skipped or failed contender, once per workload."""
    found = []
    for name, per_contender in summary["throughput"].items():
        for contender, entry in per_contender.items():
            if entry.get("note"):
                found.append(f"- {name} / {contender}: {entry['note']}")
    for name, entry in summary["layers"].items():
        for contender in summary["config"]["contenders"]:
            note = (entry.get(contender) or {}).get("note")
            if note:
                found.append(f"- layer {name} / {contender}: {note}")
    return found


def machine_lines(machine: dict[str, Any]) -> list[str]:
    numpy_info, torch_info = machine.get("numpy", {}), machine.get("torch", {})
    load = ", ".join(f"{value:.2f}" for value in machine["load_average_before"])
    during = machine.get("load_1min_during")
    if during:
        load += (f"; 1-min load average after each run: median {during['median']:.2f} (min {during['min']:.2f}, "
                 f"max {during['max']:.2f}; the benchmark itself adds about {machine['threads']})")
    lines = [f"- CPU: {machine['cpu']}, {machine['logical_cpus']} logical CPUs; {machine['threads']} thread(s) "
             f"per contender; load average (1, 5, 15 min) before the run: {load}",
             f"- Python {machine['python']}, NumPy {machine['numpy_version']}, "
             f"PyTorch {torch_info.get('torch_version', 'absent')}"]
    for pool in numpy_info.get("threadpools") or []:
        if isinstance(pool, dict):
            lines.append(f"- NumPy BLAS: {pool.get('internal_api')} {pool.get('version')}, kernel "
                         f"{pool.get('architecture')}, {pool.get('num_threads')} threads")
    if torch_info.get("torch_build"):
        lines.append(f"- PyTorch: {torch_info['torch_build']}; torch.get_num_threads() = {torch_info['torch_threads']}")
    if "sgemm_gflops" in numpy_info:
        size = numpy_info["sgemm_size"]
        lines.append(f"- NumPy sgemm ({size}x{size} float32 matmul, best of 5): {numpy_info['sgemm_gflops']:.0f} "
                     f"GFLOP/s; copy bandwidth ({numpy_info['copy_mib']} MiB, read + write): "
                     f"{numpy_info['copy_gbytes_per_s']:.1f} GB/s")
    if "torch_sgemm_gflops" in torch_info:
        lines.append(f"- PyTorch sgemm (same matmul): {torch_info['torch_sgemm_gflops']:.0f} GFLOP/s")
    env = machine.get("openblas_env", {})
    lines.append("- OPENBLAS_CORETYPE=" + str(env.get("OPENBLAS_CORETYPE")) + ", OPENBLAS_L2_SIZE="
                 + str(env.get("OPENBLAS_L2_SIZE")))
    return lines


def render(summary: dict[str, Any]) -> str:
    parts = ["## Machine", "\n".join(machine_lines(summary["machine"]))]
    if summary["config"].get("quick"):
        parts.insert(0, "> --quick: tiny sizes to check that the suite runs; these figures mean nothing.")
    if set(summary["throughput"]) - {"memory"}:
        parts += ["## Throughput (median samples/s; ratio nnfs/other, median (min-max) over repeats)",
                  throughput_table(summary)]
    if "memory" in summary["throughput"]:
        samples = summary["config"]["sizes"]["memory_samples"]
        parts += [f"## Memory: one epoch of MLP training on {samples:,} x 784 float32 (RSS high-water mark)",
                  memory_table(summary)]
    contenders = summary["config"]["contenders"]
    if any((entry.get(contender) or {}).get("ms") for entry in summary["layers"].values() for contender in contenders):
        parts += ["## Per layer (median ms per forward+backward)", layers_table(summary)]
    if summary.get("startup"):
        parts += ["## Start-up", startup_table(summary["startup"])]
    parts += ["## Goals", goals_table(summary["goals"])]
    found = notes(summary)
    if found:
        parts += ["## Notes", "\n".join(found)]
    return "\n\n".join(parts) + "\n"
