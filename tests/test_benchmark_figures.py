"""The benchmarks page's figures and tables come from the summaries in benchmarks/results/.

``python -m benchmarks --render SUMMARY --figures DIR`` must print tables that the page shows line for
line, and draw figures whose text (labels, ratios) matches the SVG files the page embeds, so neither
can drift from the summaries. Nothing is timed here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "benchmarks.md"
SUMMARIES = sorted((ROOT / "benchmarks" / "results").glob("*.json"))


def svg_text(path: Path) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text())


def test_there_are_summaries():
    assert SUMMARIES


@pytest.mark.parametrize("summary", SUMMARIES, ids=lambda path: path.stem)
def test_render_draws_the_pages_figures_and_prints_its_tables(summary, tmp_path):
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--render", str(summary), "--figures", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    page = PAGE.read_text()
    not_on_page = [line for line in done.stdout.splitlines()
                   if line.strip() and not line.startswith("#") and line not in page]
    assert not_on_page == []
    drawn = sorted(tmp_path.glob("*.svg"))
    timed = any((entry.get("nnfs") or {}).get("ms") for entry in json.loads(summary.read_text())["layers"].values())
    expected = [f"{summary.stem}-layers.svg"] * timed + [f"{summary.stem}-ratios.svg"]  # layers when timed
    assert [path.name for path in drawn] == expected
    for path in drawn:
        assert f"](img/benchmarks/{path.name})" in page, f"docs/benchmarks.md does not show {path.name}"
        committed = ROOT / "docs" / "img" / "benchmarks" / path.name
        assert svg_text(path) == svg_text(committed), f"{committed} is stale: redraw it (docs/benchmarks.md)"
    ratios = json.loads(summary.read_text())["ratios"]
    medians = {f"{spread['median']:.2f}x" for per_other in ratios.values() for spread in per_other.values() if spread}
    assert medians <= set(svg_text(tmp_path / f"{summary.stem}-ratios.svg"))
