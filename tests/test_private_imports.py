"""No distribution imports another one's private (``_``-prefixed) modules.

A pack that reaches into ``nnfs_core._something`` breaks when the core reorganises its insides, which a
minor release may do (docs/writing-a-pack.md, "Versioning"). The first-party packs and the pack template
are held to what outside authors are told: the public modules only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _packages() -> dict[str, Path]:
    """Top-level package name -> its folder, for the core, every pack under plugins/ and the template."""
    packages = {"nnfs_core": ROOT / "nnfs_core"}
    for folder in sorted((ROOT / "plugins").glob("nnfs-*/nnfs_*")):
        if (folder / "__init__.py").exists():
            packages[folder.name] = folder
    packages["nnfs_example_pack"] = ROOT / "nnfs_core" / "_pack_template" / "nnfs_example_pack"
    return packages


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _private_imports_of_others(package: str, folder: Path, packages: dict[str, Path]) -> list[str]:
    problems = []
    for path in sorted(folder.rglob("*.py")):
        if package == "nnfs_core" and "_pack_template" in path.parts:
            continue  # the template is a distribution of its own, checked as nnfs_example_pack
        for line, module in _imported_modules(path):
            parts = module.split(".")
            if parts[0] in packages and parts[0] != package and any(part.startswith("_") for part in parts[1:]):
                shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                problems.append(f"{shown}:{line} imports {module}")
    return problems


def test_the_walk_finds_every_first_party_distribution():
    packages = _packages()
    assert {"nnfs_core", "nnfs_activations", "nnfs_conv", "nnfs_optim", "nnfs_sequence", "nnfs_mpi",
            "nnfs_example_pack"} <= set(packages)
    assert all(folder.is_dir() for folder in packages.values())


@pytest.mark.parametrize("package", sorted(_packages()))
def test_no_distribution_imports_another_ones_private_modules(package):
    packages = _packages()
    assert _private_imports_of_others(package, packages[package], packages) == []


def test_the_check_finds_a_private_import(tmp_path):
    folder = tmp_path / "nnfs_fake"
    folder.mkdir()
    (folder / "layer.py").write_text("from nnfs_core._checks import check_positive\nimport nnfs_core.ops._scratch\n"
                                     "from nnfs_core import _loop\nfrom nnfs_core.protocols import BaseLayer\n")
    found = _private_imports_of_others("nnfs_fake", folder, {"nnfs_core": ROOT / "nnfs_core", "nnfs_fake": folder})
    assert [problem.rsplit(" imports ", 1)[1] for problem in found] == [
        "nnfs_core._checks", "nnfs_core._checks.check_positive", "nnfs_core.ops._scratch", "nnfs_core._loop"]
