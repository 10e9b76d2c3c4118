"""The plugin API version: packs declare theirs, and one this core cannot run is reported with the fix."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nnfs_core
from nnfs_core import plugin_api, registry
from nnfs_core._compat import metadata, tomllib
from nnfs_core.errors import PluginLoadError
from nnfs_core.testing import check_distribution

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTIONS = [ROOT, *sorted(path for path in (ROOT / "plugins").glob("nnfs-*")
                               if (path / "pyproject.toml").exists())]


def nnfs(*args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("NNFS_")}
    return subprocess.run([sys.executable, "-m", "nnfs_core", *args], capture_output=True, text=True,
                          env=environment, timeout=120)


@pytest.mark.parametrize("declared, runs", [
    ("2.0", True), ("1.0", True), ("1.7", True),       # the current major, and the first release's (adapted)
    ("2.1", False), ("3.0", False),                    # written for a newer core
    ("0.9", False), ("two", False), ("2", False),      # a major this core never accepted; not MAJOR.MINOR
])
def test_the_policy_accepts_the_current_and_the_first_releases_majors(declared, runs):
    assert plugin_api.PLUGIN_API == nnfs_core.PLUGIN_API == "2.0"
    assert (plugin_api.check(declared) is None) is runs


@pytest.mark.parametrize("root", DISTRIBUTIONS, ids=lambda path: path.name)
def test_every_first_party_distribution_declares_the_current_api(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["entry-points"][plugin_api.GROUP] == {plugin_api.PLUGIN_API: project["name"].replace("-", "_")}


def test_installed_first_party_distributions_are_compatible(clean_registry):
    declared = plugin_api.declared_versions()
    assert declared["nnfscore"][2] == [plugin_api.PLUGIN_API], "stale metadata? run pip install -e ."
    assert plugin_api.incompatible_packs() == {}


def _declare(fake, dist: str, version: str, declared: str) -> None:
    entry_point = metadata.EntryPoint(declared, dist.replace("-", "_"), plugin_api.GROUP)
    fake.entry_points.append(entry_point._for(type("Dist", (), {"name": dist, "version": version})()))


def test_a_pack_of_a_dropped_major_is_told_to_upgrade_itself(fake_plugins, monkeypatch):
    _declare(fake_plugins, "nnfs-old", "0.3.0", "1.4")
    module = fake_plugins.module("raise ImportError('never imported')")
    fake_plugins.add("layers", "old_layer", f"{module}:X", dist="nnfs-old", version="0.3.0")
    assert plugin_api.problem_of("nnfs-old") is None  # 1.x is still accepted
    monkeypatch.setattr(plugin_api, "ACCEPTED_MAJORS", (2,))
    registry.refresh()
    problem = plugin_api.problem_of("nnfs_old")
    assert problem is not None and problem.declared == "1.4"
    assert problem.fix.startswith("pip install --upgrade nnfs-old")
    with pytest.raises(PluginLoadError, match=r"nnfs-old==0.3.0 was written for nnfs plugin API 1.4.*2\.0") as error:
        registry.layers.get("old_layer")
    assert "never imported" not in str(error.value) and fake_plugins.imported() == []


def _future_pack(directory: Path) -> Path:
    """A pack written for plugin API 3.0 that needs nnfs-core 0.3; its module fails when imported here."""
    pack = directory / "nnfs-future-pack"
    (pack / "nnfs_future_pack").mkdir(parents=True)
    (pack / "nnfs_future_pack" / "__init__.py").write_text("")
    (pack / "nnfs_future_pack" / "layer.py").write_text("from nnfs_core.protocols import LayerV3  # absent here\n")
    (pack / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=64"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "nnfs-future-pack"
        version = "1.0.0"
        dependencies = ["nnfs-core>=0.3,<0.4"]

        [project.entry-points."nnfs.plugin_api"]
        "3.0" = "nnfs_future_pack"

        [project.entry-points."nnfs.layers"]
        future_layer = "nnfs_future_pack.layer:FutureLayer"

        [tool.setuptools]
        packages = ["nnfs_future_pack"]
    """))
    return pack


def test_an_installed_pack_for_a_newer_core_is_reported_with_both_versions_and_the_fix(tmp_path, pip_installed):
    pip_installed(_future_pack(tmp_path))
    fix = 'pip install "nnfs-core<0.4,>=0.3"'  # as the metadata writes the pack's requirement

    listed = nnfs("plugins")
    assert listed.returncode == 0, listed.stderr
    report = [line for line in listed.stdout.splitlines() if line.startswith("INCOMPATIBLE")]
    assert len(report) == 1
    assert "nnfs-future-pack==1.0.0 was written for nnfs plugin API 3.0" in report[0]
    assert f"provides plugin API {plugin_api.PLUGIN_API}" in report[0] and fix in report[0]

    checked = nnfs("plugins", "--check")
    assert checked.returncode == 1
    assert "FAIL  nnfs-future-pack: incompatible plugin API" in checked.stdout
    assert "LayerV3" not in checked.stdout + checked.stderr  # refused, not imported
    assert [line for line in checked.stdout.splitlines() if line.startswith("FAIL")] == [
        "FAIL  nnfs-future-pack: incompatible plugin API (see above)"]

    assert check_distribution("nnfs-future-pack") == [plugin_api.problem_of("nnfs-future-pack").message()]
    with pytest.raises(PluginLoadError, match="plugin API 3.0") as error:
        registry.layers.create("future_layer")
    assert fix in str(error.value) and error.value.__cause__ is None
