"""The ``nnfs`` command: ``--version`` and ``nnfs plugins`` (listing, ``--kind``, patterns, ``--check``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnfs_core import __version__, registry
from nnfs_core.cli import main


def nnfs(*args, env=None):
    """Run ``python -m nnfs_core`` in a fresh interpreter."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("NNFS_")}
    return subprocess.run([sys.executable, "-m", "nnfs_core", *args], capture_output=True, text=True,
                          env={**environment, **(env or {})}, timeout=60)


def rows(output):
    """The table's rows as lists of cells (header and rule dropped)."""
    lines = output.strip().splitlines()
    return [line.split() for line in lines[2:] if line.strip() and not line.startswith(("FAIL", "all "))]


# -- in a fresh interpreter ------------------------------------------------------------------------------------


def test_version():
    done = nnfs("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"nnfs-core {__version__}"


def test_console_script_is_installed():
    script = shutil.which("nnfs", path=str(Path(sys.executable).parent)) or shutil.which("nnfs")
    assert script, "the nnfs console script is not installed next to this interpreter"
    done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"nnfs-core {__version__}"


def test_plugins_lists_the_cores_own_components_with_its_distribution_and_version():
    done = nnfs("plugins")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["KIND", "NAME", "DISTRIBUTION", "VERSION", "TARGET"]
    listed = {(row[0], row[1]): row[2:] for row in rows(done.stdout)}
    assert listed[("layers", "dense")] == ["nnfs-core", __version__, "nnfs_core.layers.dense:Dense"]
    assert listed[("datasets", "digits")][:2] == ["nnfs-core", __version__]


def test_no_command_prints_help():
    done = nnfs()
    assert done.returncode == 0
    assert "plugins" in done.stdout and "usage: nnfs" in done.stdout


def test_unknown_kind_is_a_usage_error():
    done = nnfs("plugins", "--kind", "layer")
    assert done.returncode == 2
    assert "invalid choice: 'layer'" in done.stderr


# -- in process, against faked distributions -------------------------------------------------------------------


CORE_OPS = [["ops", "cpu", "nnfs-core", __version__, "nnfs_core.ops.cpu_ops:CPUOps"],
            ["ops", "numpy", "nnfs-core", __version__, "nnfs_core.ops.numpy_ops:NumpyOps"]]

GOOD = """
    from nnfs_core.protocols import BaseLayer


    class Thing(BaseLayer):
        \"\"\"y = 2 x: a real layer, so that --check passes whatever it checks beyond importing.\"\"\"

        def forward(self, x, *, training=False):
            return x * x.dtype.type(2)

        def backward(self, grad):
            return grad * grad.dtype.type(2)
"""


@pytest.fixture
def installed(fake_plugins):
    good = fake_plugins.module(GOOD)
    fake_plugins.add("layers", "conv_like", f"{good}:Thing", dist="nnfs-shapes", version="0.4")
    fake_plugins.add("layers", "Max-Pool", f"{good}:Thing", dist="nnfs-shapes", version="0.4")
    fake_plugins.add("activations", "relu_like", f"{good}:Thing", dist="nnfs-acts", version="1.1")
    fake_plugins.add("hooks", "logger", f"{good}:Thing", dist="nnfs-acts", version="1.1")
    fake_plugins.add("callbacks", "sgd_like", f"{good}:Thing", dist="nnfs-opts", version="2.0")
    return fake_plugins


def test_plugins_lists_every_kind_with_distribution_version_and_target(installed, capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    target = f"{installed.modules[0]}:Thing"
    assert rows(out) == [
        ["layers", "conv_like", "nnfs-shapes", "0.4", target],
        ["layers", "Max-Pool", "nnfs-shapes", "0.4", target],
        ["activations", "relu_like", "nnfs-acts", "1.1", target],
        ["callbacks", "sgd_like", "nnfs-opts", "2.0", target],
        *CORE_OPS,  # the fake environment keeps the core's compute backends: every Network needs one
        ["hooks", "logger", "nnfs-acts", "1.1", target],
    ]
    assert installed.imported() == []


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--kind", "layers"], ["conv_like", "Max-Pool"]),
        (["--kind", "hooks"], ["logger"]),
        (["*like"], ["conv_like", "relu_like", "sgd_like"]),
        (["conv*"], ["conv_like"]),
        (["MAX_POOL"], ["Max-Pool"]),  # patterns are normalised like names
        (["max-p*"], ["Max-Pool"]),
        (["*_like", "--kind", "activations"], ["relu_like"]),
        (["?gd*"], ["sgd_like"]),
    ],
)
def test_plugins_filters_by_kind_and_glob(installed, capsys, args, names):
    assert main(["plugins", *args]) == 0
    assert [row[1] for row in rows(capsys.readouterr().out)] == names


def test_plugins_with_nothing_matching(installed, capsys):
    assert main(["plugins", "nothing*"]) == 0
    assert capsys.readouterr().out.strip() == "no components found matching 'nothing*'"
    assert main(["plugins", "--kind", "losses", "--check"]) == 0
    assert capsys.readouterr().out.strip() == "no components found"


def test_check_passes_when_every_target_loads(installed, capsys):
    assert main(["plugins", "--check"]) == 0
    assert f"\nall {5 + len(CORE_OPS)} component(s) load" in capsys.readouterr().out
    assert installed.imported() == installed.modules


def test_check_fails_naming_the_broken_distribution(installed, capsys):
    broken = installed.module("raise RuntimeError('this pack is broken')\n")
    installed.add("layers", "cracked", f"{broken}:Cracked", dist="nnfs-broken", version="0.3")
    installed.add("hooks", "cracked_hooks", f"{broken}:Hooks", dist="nnfs-broken", version="0.3")

    assert main(["plugins", "--check"]) == 1

    out = capsys.readouterr().out
    failures = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(failures) == 2
    assert "layers/cracked (nnfs-broken==0.3)" in failures[0] and "this pack is broken" in failures[0]
    assert "hooks/cracked_hooks (nnfs-broken==0.3)" in failures[1]
    assert f"\n2 problem(s) in {7 + len(CORE_OPS)} component(s)" in out


def test_check_only_looks_at_what_is_selected(installed, capsys):
    broken = installed.module("raise RuntimeError('this pack is broken')\n")
    installed.add("layers", "cracked", f"{broken}:Cracked", dist="nnfs-broken", version="0.3")
    assert main(["plugins", "--check", "--kind", "activations"]) == 0
    assert "cracked" not in capsys.readouterr().out
    assert main(["plugins", "--check", "c*"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  layers/cracked" in out and "\n1 problem(s) in 3 component(s)" in out  # and ops cpu


def test_listing_without_check_works_with_a_broken_pack(installed, capsys):
    broken = installed.module("raise RuntimeError('this pack is broken')\n")
    installed.add("layers", "cracked", f"{broken}:Cracked", dist="nnfs-broken", version="0.3")
    assert main(["plugins"]) == 0
    assert ["layers", "cracked", "nnfs-broken", "0.3", f"{broken}:Cracked"] in rows(capsys.readouterr().out)


def test_check_reports_a_name_clash(installed, capsys):
    other = installed.module(GOOD)
    installed.add("layers", "conv_like", f"{other}:Thing", dist="nnfs-other-shapes", version="9.0")
    assert main(["plugins", "--check", "--kind", "layers"]) == 1
    (failure,) = [line for line in capsys.readouterr().out.splitlines() if "provided by both" in line]
    assert failure.startswith("FAIL  layers/conv_like: provided by both")
    assert "nnfs-shapes==0.4" in failure and "nnfs-other-shapes==9.0" in failure


def test_disabled_distributions_are_not_listed_or_checked(installed, capsys, monkeypatch):
    broken = installed.module("raise RuntimeError('this pack is broken')\n")
    installed.add("layers", "cracked", f"{broken}:Cracked", dist="nnfs-broken", version="0.3")
    monkeypatch.setenv("NNFS_DISABLE_PLUGINS", "nnfs-broken")
    registry.refresh()
    assert main(["plugins", "--check"]) == 0
    assert "cracked" not in capsys.readouterr().out


def test_strict_mode_with_a_broken_pack_is_an_error_exit(installed, capsys, monkeypatch):
    broken = installed.module("raise RuntimeError('this pack is broken')\n")
    installed.add("layers", "cracked", f"{broken}:Cracked", dist="nnfs-broken", version="0.3")
    monkeypatch.setenv("NNFS_STRICT_PLUGINS", "1")
    registry.refresh()
    assert main(["plugins"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("nnfs: error: ") and "nnfs-broken==0.3" in captured.err


def test_check_never_crashes_on_a_target_that_is_not_a_component(fake_plugins, capsys):
    module = fake_plugins.module("class NotALayer:\n    pass\n")
    fake_plugins.add("layers", "not_a_layer", f"{module}:NotALayer", dist="nnfs-odd", version="0.1")
    status = main(["plugins", "--check"])  # it imports: whether it also checks conformance is up to --check
    failures = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAIL")]
    assert (status, failures) == (0, []) or (status == 1 and "layers/not_a_layer" in failures[0])


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """`nnfs plugins | head -1`: the closed pipe ends nnfs with SIGPIPE's status and no traceback."""
    import subprocess

    child = subprocess.Popen([sys.executable, "-m", "nnfs_core", "plugins"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    child.stdout.close()  # the reader is gone before nnfs writes its table
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141, err
    assert err == ""
