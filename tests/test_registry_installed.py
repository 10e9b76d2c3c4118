"""The registry against real installed distributions: the core itself and the packs in tests/fixtures/.

The fixture packs are pip-installed once per session by the ``fixture_packs`` fixture (conftest.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnfs_core import __version__, registry
from nnfs_core._compat import tomllib
from nnfs_core._hooks import HookPluginWarning, make_plugin_manager
from nnfs_core.errors import ComponentConflictError, ComponentNotFoundError, PluginLoadError
from nnfs_core.protocols import Layer

ROOT = Path(__file__).resolve().parents[1]


def run(code_or_args, env=None):
    """A fresh interpreter without the caller's NNFS_* variables; ``nnfs`` arguments or ``-c`` code."""
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else ["-m", "nnfs_core", *code_or_args]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("NNFS_")}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          env={**environment, **(env or {})}, timeout=60)


def listed(stdout):
    """``{(kind, name, distribution): version}`` from ``nnfs plugins`` output."""
    found = {}
    for line in stdout.splitlines()[2:]:
        cells = line.split()
        if len(cells) == 5:
            found[(cells[0], cells[1], cells[2])] = cells[3]
    return found


def failures(stdout):
    return [line for line in stdout.splitlines() if line.startswith("FAIL")]


# -- the core registers its own components through its own entry points ----------------------------------------


def test_the_cores_entry_points_are_its_components(clean_registry):
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    for kind, group in registry.KINDS.items():
        core = {e.name: e.target for e in registry.of_kind(kind).entries() if e.distribution == "nnfs-core"}
        assert core == declared.get(group, {}), f"{group}: stale metadata? run pip install -e ."
    entry = registry.layers.entry("dense")
    assert (entry.distribution, entry.version) == ("nnfs-core", __version__)


# -- the fixture packs -----------------------------------------------------------------------------------------


def test_an_installed_pack_is_found_and_its_layer_works(fixture_packs, clean_registry):
    entry = registry.layers.entry("fixture_scale")
    assert (entry.distribution, entry.version) == ("nnfs-fixture-good", "1.2.3")
    assert entry.target == "nnfs_fixture_good.scale:FixtureScale"

    layer = registry.layers.create({"name": "Fixture-Scale", "factor": 3.0})
    assert isinstance(layer, Layer)
    assert layer.build((2,), rng=np.random.default_rng(0), dtype=np.float32) == (2,)
    x = np.array([[1.0, -2.0]], dtype=np.float32)
    np.testing.assert_array_equal(layer.forward(x), [[3.0, -6.0]])
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), [[3.0, 3.0]])
    assert registry.config_of(layer) == {"name": "fixture_scale", "factor": 3.0}


def test_nnfs_plugins_lists_an_installed_pack(fixture_packs):
    done = run(["plugins"])
    assert done.returncode == 0, done.stderr
    found = listed(done.stdout)
    assert found[("layers", "fixture_scale", "nnfs-fixture-good")] == "1.2.3"
    assert found[("hooks", "fixture_fit_counter", "nnfs-fixture-good")] == "1.2.3"
    assert found[("layers", "fixture_broken", "nnfs-fixture-broken")] == "0.0.1"  # listing imports nothing
    assert found[("layers", "fixture_clash", "nnfs-fixture-clash-a")] == "1.0.0"
    assert found[("layers", "fixture_clash", "nnfs-fixture-clash-b")] == "2.0.0"
    assert found[("layers", "dense", "nnfs-core")] == __version__


def test_a_broken_pack_breaks_only_its_own_names(fixture_packs, clean_registry):
    with pytest.raises(PluginLoadError) as caught:
        registry.layers.get("fixture_broken")
    assert "nnfs-fixture-broken==0.0.1" in str(caught.value)
    assert isinstance(caught.value.__cause__, RuntimeError)
    assert str(caught.value.__cause__) == "fixture pack is broken on purpose"

    assert registry.layers.get("fixture_scale").__name__ == "FixtureScale"
    assert registry.layers.get("dense").__name__ == "Dense"


def test_check_fails_naming_the_broken_pack_while_listing_still_works(fixture_packs):
    done = run(["plugins", "--check"])
    assert done.returncode == 1
    broken = [line for line in failures(done.stdout) if "nnfs-fixture-broken" in line]
    assert len(broken) == 2, done.stdout
    assert "layers/fixture_broken (nnfs-fixture-broken==0.0.1)" in broken[0]
    assert "fixture pack is broken on purpose" in broken[0]
    assert "hooks/fixture_broken_hooks (nnfs-fixture-broken==0.0.1)" in broken[1]
    assert not any("fixture_scale" in line for line in failures(done.stdout))

    assert run(["plugins"]).returncode == 0
    assert run(["plugins", "--check", "fixture_scale"]).returncode == 0


def test_disabling_the_broken_pack_makes_check_pass(fixture_packs):
    env = {"NNFS_DISABLE_PLUGINS": "nnfs-fixture-broken,nnfs-fixture-clash-b"}
    done = run(["plugins", "--check", "fixture*"], env=env)
    assert done.returncode == 0, done.stdout
    assert "fixture_broken" not in done.stdout
    assert "\nall 3 component(s) load" in done.stdout

    everything = run(["plugins", "--check"], env=env)
    assert not any("fixture" in line for line in failures(everything.stdout)), everything.stdout
    # Passes unless a pack outside tests/fixtures is itself broken; then only those are reported.
    assert everything.returncode == (1 if failures(everything.stdout) else 0), everything.stdout


def test_strict_plugins_fail_at_discovery_naming_the_broken_pack(fixture_packs):
    done = run(["plugins"], env={"NNFS_STRICT_PLUGINS": "1"})
    assert done.returncode == 2
    assert "nnfs: error:" in done.stderr and "nnfs-fixture-broken==0.0.1" in done.stderr


def test_a_name_from_two_packs_is_a_conflict(fixture_packs, clean_registry):
    with pytest.raises(ComponentConflictError) as caught:
        registry.layers.get("fixture_clash")
    message = str(caught.value)
    assert "nnfs-fixture-clash-a==1.0.0" in message and "nnfs-fixture-clash-b==2.0.0" in message
    assert 'NNFS_PREFER="fixture_clash=nnfs-fixture-clash-a"' in message


@pytest.mark.parametrize(("pack", "cls"), [("nnfs-fixture-clash-a", "ClashA"), ("nnfs-fixture-clash-b", "ClashB")])
def test_nnfs_prefer_resolves_the_conflict(fixture_packs, pack, cls):
    code = "from nnfs_core import registry; print(registry.layers.get('fixture_clash').__name__)"
    done = run(code, env={"NNFS_PREFER": f"fixture_clash={pack}"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == cls

    unpinned = run(code)
    assert unpinned.returncode == 1 and "ComponentConflictError" in unpinned.stderr


def test_prefer_in_code_resolves_the_conflict(fixture_packs, clean_registry):
    registry.layers.prefer("fixture_clash", "nnfs-fixture-clash-b")
    assert registry.layers.get("fixture_clash").__name__ == "ClashB"


def test_hook_plugins_the_broken_one_warns_and_the_good_one_is_called(fixture_packs, clean_registry):
    from nnfs_fixture_good.hooks import FitCounter

    before = FitCounter.fit_starts
    with pytest.warns(HookPluginWarning, match=r"nnfs-fixture-broken==0\.0\.1.*broken on purpose"):
        manager = make_plugin_manager()
    manager.hook.on_fit_start(network=object(), epochs=1, steps_per_epoch=1)
    assert FitCounter.fit_starts == before + 1


def test_an_installed_hook_plugin_sees_every_fit(fixture_packs, clean_registry, plain_sgd):
    import numpy as np
    from nnfs_fixture_good.hooks import FitCounter

    from nnfs_core import Network

    net = Network(layers=[{"name": "dense", "output_size": 1}], optimizer=plain_sgd(), loss="mse", seed=0)
    x, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    before = FitCounter.fit_starts
    with pytest.warns(HookPluginWarning):  # the broken fixture pack's hook is skipped, training goes on
        net.fit(x, y, epochs=1, verbose=0)
    net.fit(x, y, epochs=2, verbose=0)
    assert FitCounter.fit_starts == before + 2


def test_a_pack_disappears_after_pip_uninstall(fixture_packs, clean_registry):
    fixture_packs.uninstall("nnfs-fixture-good")
    try:
        done = run(["plugins"])
        assert done.returncode == 0, done.stderr
        assert "fixture_scale" not in done.stdout and "nnfs-fixture-good" not in done.stdout
        assert "fixture_scale" not in registry.layers  # uninstall() refreshed the registries
        with pytest.raises(ComponentNotFoundError):
            registry.layers.get("fixture_scale")
    finally:
        fixture_packs.install("nnfs-fixture-good")
    assert registry.layers.entry("fixture_scale").distribution == "nnfs-fixture-good"
    assert ("layers", "fixture_scale", "nnfs-fixture-good") in listed(run(["plugins"]).stdout)
