"""``python -m benchmarks``: run the suite, print the tables, optionally write the JSON summary."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks import report, runner, tables, workloads


def _names(text: str, known: tuple[str, ...] | list[str], what: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {what} {', '.join(unknown)}; known: {', '.join(known)}")
    return names


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="nnfs side by side with PyTorch (CPU) and a hand-written NumPy reference: float32, batch size "
                    "128, one fresh process per contender and run, contenders alternating.")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run, figures meaningless)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per contender and workload (default 5)")
    parser.add_argument("--threads", type=int, default=runner.default_threads(),
                        help="BLAS/OpenMP/torch threads in every contender (default: the CPUs this process may use)")
    parser.add_argument("--json", type=Path,
                        help="write the summary, raw runs included, to this file ('-': print it after the tables)")
    parser.add_argument("--contenders", default=",".join(workloads.CONTENDERS),
                        type=lambda text: _names(text, workloads.CONTENDERS, "contender"),
                        help="comma-separated subset of %(default)s")
    everything = [*workloads.WORKLOADS, "startup"]
    parser.add_argument("--workloads", default=",".join(everything),
                        type=lambda text: _names(text, everything, "workload"),
                        help="comma-separated subset of %(default)s")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="run nothing: print the tables of a summary written by --json earlier")
    parser.add_argument("--figures", type=Path, metavar="DIR",
                        help="also draw the summary's figures as SVG into DIR, named after the JSON file or "
                             "'bench' (matplotlib; docs/benchmarks.md shows them)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.render:
        saved = json.loads(args.render.read_text())
        # A summary with its raw runs is summarised afresh; one without (transcribed figures) is used as it is.
        summary = (report.summarize(saved["raw"], saved["machine"], saved["startup"], saved["config"])
                   if "raw" in saved else saved)
        print(tables.render(summary))
        _figures(summary, args.figures, args.render.stem)
        return 0
    sizes = workloads.QUICK if args.quick else workloads.FULL

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    machine = runner.machine(args.contenders, sizes, args.threads)
    children = [name for name in args.workloads if name != "startup"]
    results = runner.run_workloads(children, args.contenders, sizes, args.repeats, args.threads, log)
    start = runner.startup(sizes.startup_runs, args.threads) if "startup" in args.workloads else None
    machine["load_average_after"] = list(os.getloadavg())
    arguments = argv if argv is not None else sys.argv[1:]
    config: dict[str, Any] = {"contenders": args.contenders, "workloads": args.workloads, "repeats": args.repeats,
                              "threads": args.threads, "quick": args.quick, "sizes": sizes.as_dict(),
                              "batch_size": workloads.BATCH_SIZE, "dtype": "float32",
                              "command": " ".join(["python -m benchmarks", *arguments])}
    summary = report.summarize(results, machine, start, config)
    print(tables.render(summary))
    if args.json == Path("-"):
        print(json.dumps(summary, indent=1))
    elif args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=1))
        log(f"summary written to {args.json}")
    _figures(summary, args.figures, args.json.stem if args.json and args.json != Path("-") else "bench")
    return 0


def _figures(summary: dict[str, Any], directory: Path | None, stem: str) -> None:
    if directory is None:
        return
    from benchmarks import figures

    for path in figures.write(summary, directory, stem):
        print(f"figure written to {path}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
