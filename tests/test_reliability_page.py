"""docs/reliability.md names the tests that hold each guarantee: every one it names must exist, in the file it
names, so a renamed or deleted test cannot leave a guarantee on the page that nothing holds."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "reliability.md"


def _tests_in(path: Path) -> set[str]:
    """Names of the module's tests: ``def test_...`` and ``test_... = ...`` (the fuzz tests are made by a factory)."""
    tree = ast.parse(path.read_text())
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    names |= {target.id for node in tree.body if isinstance(node, ast.Assign)
              for target in node.targets if isinstance(target, ast.Name)}
    return {name for name in names if name.startswith("test_")}


def _held_by():
    """``(row, file, test name)`` for every test the page's "held by" cells name; a bare name belongs to the
    file named before it in the same cell."""
    for number, line in enumerate(PAGE.read_text().splitlines(), 1):
        if not line.startswith("|") or line.startswith(("| guarantee", "|---")):
            continue
        current = None
        for token in re.findall(r"`([^`]+)`", line.rstrip(" |").rsplit("|", 1)[-1]):
            qualified = re.fullmatch(r"(\S+\.py)::(test_\w+)", token)
            if qualified:
                current = qualified.group(1)
                yield number, current, qualified.group(2)
            elif re.fullmatch(r"test_\w+", token):
                yield number, current, token


def _resolve(name: str) -> Path:
    """``test_x.py`` is ``tests/test_x.py``; a path with a directory is relative to the repository."""
    return ROOT / name if "/" in name else ROOT / "tests" / name


def test_every_test_the_reliability_page_names_exists():
    named = list(_held_by())
    assert len(named) > 50  # the page was read: a parsing mistake must not pass vacuously
    missing = []
    for number, file, test in named:
        path = None if file is None else _resolve(file)
        if path is None or not path.exists() or test not in _tests_in(path):
            missing.append(f"line {number}: {file}::{test}")
    assert not missing, "docs/reliability.md names tests that do not exist:\n" + "\n".join(missing)
