"""Ratios between alternating runs of ``python -m benchmarks`` taken under different conditions ("arms").

An A/B comparison of two revisions (or backends, or settings) is only fair side by side, in alternating
runs on one machine: run each arm once per round, alternate their order between rounds, and pair the
arms' figures round by round. Name each run's ``--json`` file ``ARM-ROUND.json`` in one directory, then

```bash
python -m benchmarks.compare_runs DIR --baseline before
```

prints, per workload, every arm's median nnfs samples/s and each arm's ratio to the baseline (median and
range of the per-round ratios), and PyTorch's figures where an arm ran it too. docs/benchmarks.md
("Round 2") shows the loop that made such a directory and the table this printed.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

#: runs[arm][contender][round][workload] = samples per second
Runs = dict[str, dict[str, dict[int, dict[str, float]]]]


def read_runs(directory: Path) -> Runs:
    runs: Runs = defaultdict(lambda: defaultdict(dict))
    for path in sorted(directory.glob("*-*.json")):
        match = re.fullmatch(r"(.+)-(\d+)\.json", path.name)
        if match is None:
            continue
        arm, round_ = match.group(1), int(match.group(2))
        summary: dict[str, Any] = json.loads(path.read_text())
        for workload, per_contender in summary["raw"].items():
            for contender, results in per_contender.items():
                for result in results:
                    runs[arm][contender].setdefault(round_, {})[workload] = result["samples_per_s"]
    return runs


def _ratio(top: dict[int, dict[str, float]], bottom: dict[int, dict[str, float]], workload: str) -> str:
    ratios = [top[r][workload] / bottom[r][workload] for r in top
              if r in bottom and workload in top[r] and workload in bottom[r]]
    if not ratios:
        return "-"
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def _median(rounds: dict[int, dict[str, float]], workload: str) -> str:
    values = [figures[workload] for figures in rounds.values() if workload in figures]
    return f"{statistics.median(values):,.0f}" if values else "-"


def table(runs: Runs, baseline: str) -> list[str]:
    """A Markdown table: medians per arm, each arm over the baseline, and nnfs over PyTorch where measured."""
    arms = [baseline, *sorted(arm for arm in runs if arm != baseline)]
    torch_arms = [arm for arm in arms if "torch" in runs[arm]]
    workloads = sorted({w for arm in arms for rounds in runs[arm].values() for f in rounds.values() for w in f})
    header = ["workload", *(f"{arm} samples/s" for arm in arms), *(f"torch ({arm} run)" for arm in torch_arms),
              *(f"{arm} / {baseline}" for arm in arms[1:]), *(f"{arm} / torch" for arm in torch_arms)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for workload in workloads:
        row = [workload, *(_median(runs[arm]["nnfs"], workload) for arm in arms),
               *(_median(runs[arm]["torch"], workload) for arm in torch_arms),
               *(_ratio(runs[arm]["nnfs"], runs[baseline]["nnfs"], workload) for arm in arms[1:]),
               *(_ratio(runs[arm]["nnfs"], runs[arm]["torch"], workload) for arm in torch_arms)]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="the runs' --json files, named ARM-ROUND.json")
    parser.add_argument("--baseline", required=True, help="the arm the others are divided by")
    args = parser.parse_args(argv)
    runs = read_runs(args.directory)
    if args.baseline not in runs:
        parser.error(f"no {args.baseline}-N.json in {args.directory}; arms found: {', '.join(sorted(runs)) or 'none'}")
    print("\n".join(table(runs, args.baseline)))


if __name__ == "__main__":
    main()
