"""Docstrings are Markdown (the reference renders them with mkdocstrings): no reStructuredText markup.

Sphinx roles (``:class:`X```), ``::`` literal-block markers and ``>>>`` doctest prompts render as raw
text or nested quotes on the site; write code spans, fenced blocks or an indented block after a colon.
``tests/docs/test_site.py`` checks the rendered pages; this catches the source before any build.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [ROOT / "nnfs_core", *(path for path in (ROOT / "plugins").glob("nnfs-*/nnfs_*") if path.is_dir())]
SPHINX = [
    (re.compile(r":(?:py:)?(?:class|meth|func|attr|mod|exc|data|obj|const):`"), "a Sphinx role"),
    (re.compile(r"::\s*$", re.M), "a '::' literal-block marker"),
    (re.compile(r"^\s*>>> ", re.M), "a '>>>' doctest prompt (use a ```python block)"),
]


def docstrings(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            text = ast.get_docstring(node, clean=False)
            if text:
                yield getattr(node, "name", path.stem), text


def test_no_docstring_uses_restructuredtext_markup():
    found = []
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            for name, text in docstrings(path):
                found += [f"{path.relative_to(ROOT)} ({name}): {what}" for pattern, what in SPHINX
                          if pattern.search(text)]
    assert found == [], "\n".join(found)
