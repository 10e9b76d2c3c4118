"""``import nnfs_core`` and listing components import no pack and no entry-point target.

Each check runs in a fresh interpreter with every pack installed (the first-party ones that exist and the
fixture packs, the broken one included) and compares ``sys.modules`` before and after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nnfs_core._compat import metadata

KNOWN_PACKS = {"nnfs_activations", "nnfs_optim", "nnfs_conv", "nnfs_sequence", "nnfs_mpi", "nnfs_fixture_good",
               "nnfs_fixture_broken", "nnfs_fixture_clash_a", "nnfs_fixture_clash_b"}

LISTING = """
import contextlib, io, json, sys
import nnfs_core
from nnfs_core import registry
from nnfs_core.cli import main
before = set(sys.modules)
listed = {}
for kind in registry.kinds():
    reg = registry.of_kind(kind)
    listed[kind] = reg.names()
    reg.entries(); len(reg); list(reg)
    "fixture_scale" in reg
    try:
        reg.get("no_such_component_anywhere")
    except KeyError as error:
        str(error)
listed["hooks"] = [entry.name for entry in registry.hook_entries()]
with contextlib.redirect_stdout(io.StringIO()):
    main(["plugins"])
    main(["plugins", "--kind", "layers", "fixture*"])
print(json.dumps({"new": sorted(set(sys.modules) - before), "listed": listed}))
"""


@pytest.fixture(scope="module")
def targets(fixture_packs):
    """Module names that must stay unimported: every nnfs entry point's target and every pack's package."""
    # nnfs.plugin_api entry points are read by name (the version) and never loaded: their values are no targets.
    entry_points = [ep for ep in metadata.entry_points()
                    if ep.group.startswith("nnfs.") and ep.group != "nnfs.plugin_api"]
    modules = {ep.module for ep in entry_points}
    packs = KNOWN_PACKS | {module.split(".")[0] for module in modules if not module.startswith("nnfs_core")}
    assert {"nnfs_fixture_good.scale", "nnfs_fixture_broken", "nnfs_core.layers.dense"} <= modules
    return modules, packs


def forbidden(modules, targets):
    target_modules, packs = targets
    return sorted(m for m in modules if m in target_modules or m.split(".")[0] in packs)


def python(*args):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("NNFS_")}
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=environment, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


def test_import_nnfs_core_imports_no_pack_and_no_target(targets):
    done = python("-c", "import json, sys; import nnfs_core; print(json.dumps(sorted(sys.modules)))")
    modules = json.loads(done.stdout)
    assert "nnfs_core.registry" in modules
    assert forbidden(modules, targets) == []


def test_listing_every_kind_imports_nothing(targets):
    result = json.loads(python("-c", LISTING).stdout)
    assert "fixture_scale" in result["listed"]["layers"] and "fixture_broken" in result["listed"]["layers"]
    assert "fixture_fit_counter" in result["listed"]["hooks"]
    assert "dense" in result["listed"]["layers"]
    assert forbidden(result["new"], targets) == []


def test_importtime_report_shows_no_pack_and_no_target(targets):
    done = python("-X", "importtime", "-c", "import nnfs_core")
    rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")]
    modules = [row[-1].strip() for row in rows[1:]]  # the first row is the header
    assert "nnfs_core" in modules and "nnfs_core.registry" in modules
    assert forbidden(modules, targets) == []
