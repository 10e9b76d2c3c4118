"""The summary as figures for docs/benchmarks.md: ``python -m benchmarks --render JSON --figures DIR``.

Two SVG files per summary, named after it (``<stem>-ratios.svg``, ``<stem>-layers.svg``):

- ratios: nnfs's throughput over each other contender's, per workload - the median as a bar and the
  min-max over repeats as a whisker, with the line at 1 (above it nnfs is faster);
- layers: each layer's forward+backward time per contender beside its bound (the larger of the GEMM
  and memory bounds), on a log scale because the layers differ by 20x.

The SVG is written without a date and with fixed element ids, so the same summary gives the same file.
matplotlib is the ``plot`` extra of nnfs-core (``pip install 'nnfs-core[plot]'``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import workloads

COLOURS = {"torch": "#d62728", "numpy": "#1f77b4", "nnfs": "#2ca02c", "bound": "#7f7f7f"}
WIDTH = 0.8


def _figure(width: float, height: float) -> Any:
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.hashsalt"] = "nnfs-benchmarks"  # stable ids: the same summary, the same file
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text (searchable, small)
    return Figure(figsize=(width, height), layout="constrained")


def _title(summary: dict[str, Any], what: str) -> str:
    machine = summary["machine"]
    pools = (machine.get("numpy") or {}).get("threadpools") or [{}]
    kernel = pools[0].get("architecture", "?") if isinstance(pools[0], dict) else "?"
    return f"{what}\n{machine.get('threads', '?')} threads, OpenBLAS kernel {kernel}"


def ratios_figure(summary: dict[str, Any]) -> Any:
    """Bars of nnfs / other throughput per workload, whiskers from min to max over the repeats."""
    others = [name for name in summary["config"]["contenders"] if name != "nnfs"]
    names = [name for name in summary["ratios"] if any(summary["ratios"][name].get(other) for other in others)]
    figure = _figure(7.5, 3.6)
    axes = figure.subplots()
    width = WIDTH / max(len(others), 1)
    for index, other in enumerate(others):
        spreads = [summary["ratios"][name].get(other) for name in names]
        xs = [position + (index - (len(others) - 1) / 2) * width for position in range(len(names))]
        medians = [spread["median"] if spread else 0.0 for spread in spreads]
        errors = [[spread["median"] - spread["min"] if spread else 0.0 for spread in spreads],
                  [spread["max"] - spread["median"] if spread else 0.0 for spread in spreads]]
        bars = axes.bar(xs, medians, width * 0.9, yerr=errors, capsize=3, color=COLOURS.get(other),
                        label=f"nnfs / {other}")
        axes.bar_label(bars, labels=[f"{value:.2f}x" for value in medians], padding=2, fontsize=7)
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_xticks(range(len(names)), [_short(name) for name in names], fontsize=8)
    axes.set_ylabel("throughput ratio (above 1: nnfs faster)")
    axes.set_title(_title(summary, "nnfs's samples/s over the other contender's: median, min-max over repeats"),
                   fontsize=9)
    axes.legend(fontsize=8, loc="upper left")
    axes.set_ylim(0, max(1.2, *(s["max"] for n in names for s in summary["ratios"][n].values() if s)) * 1.15)
    return figure


def layers_figure(summary: dict[str, Any]) -> Any:
    """Per layer: each contender's median ms and the layer's bound, log scale."""
    contenders = summary["config"]["contenders"]
    entries = list(summary["layers"].values())
    series = [*contenders, "bound"]
    figure = _figure(7.5, 3.6)
    axes = figure.subplots()
    width = WIDTH / len(series)
    for index, name in enumerate(series):
        values = [entry.get("bound_ms") if name == "bound" else ((entry.get(name) or {}).get("ms") or {}).get("median")
                  for entry in entries]
        xs = [position + (index - (len(series) - 1) / 2) * width for position in range(len(entries))]
        shown = [(x, value) for x, value in zip(xs, values) if value]
        axes.bar([x for x, _ in shown], [value for _, value in shown], width * 0.9, color=COLOURS.get(name),
                 label="bound (GEMM or memory)" if name == "bound" else name)
    axes.set_yscale("log")
    tallest = max((bar.get_height() for bar in axes.patches), default=1.0)
    axes.set_ylim(top=tallest * 6)  # room for the legend above the bars
    axes.set_xticks(range(len(entries)), [entry["description"].split(",")[0] for entry in entries], fontsize=8)
    axes.set_ylabel("ms per forward+backward (log)")
    axes.set_title(_title(summary, "Per layer: median time per contender, and the layer's bound"), fontsize=9)
    axes.legend(fontsize=8, ncols=len(series), loc="upper left")
    return figure


def _short(workload: str) -> str:
    """``MLP\ntraining`` for ``mlp_train``: the networks themselves are named in the page's table."""
    description = workloads.WORKLOADS.get(workload, workload)
    return description.split(" ")[0] + "\n" + description.split(" ")[-1]


def write(summary: dict[str, Any], directory: Path, stem: str) -> list[Path]:
    """Write ``<stem>-ratios.svg`` (and ``<stem>-layers.svg`` when layers were timed); return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    figures = {"ratios": ratios_figure(summary)}
    if any((entry.get("nnfs") or {}).get("ms") for entry in summary["layers"].values()):
        figures["layers"] = layers_figure(summary)
    written = []
    for name, figure in figures.items():
        path = directory / f"{stem}-{name}.svg"
        figure.savefig(path, format="svg", metadata={"Date": None})
        written.append(path)
    return written
