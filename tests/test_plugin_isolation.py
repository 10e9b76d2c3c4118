"""One misbehaving pack breaks only itself: raising hooks, datasets, sys.exit() on import, squatted names."""

from __future__ import annotations

import re
import textwrap
import uuid
import warnings

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core._compat import metadata
from nnfs_core._hooks import HookPluginWarning
from nnfs_core.errors import ComponentConflictError, PluginLoadError
from nnfs_core.persistence import NameClashWarning


class _Dist:
    def __init__(self, name, version="6.6.6"):
        self.name, self.version = name, version


@pytest.fixture
def extra_entry_points(clean_registry, monkeypatch, tmp_path):
    """The real installed entry points plus ``add(kind, name, source)`` ones from a fake distribution."""
    added = []
    real = metadata.entry_points
    monkeypatch.syspath_prepend(str(tmp_path))

    def entry_points(**params):
        # Another test session may have the broken fixture packs installed meanwhile: leave them out.
        installed = [point for point in real() if not (point.dist and point.dist.name.startswith("nnfs-fixture"))]
        return metadata.EntryPoints([*installed, *added]).select(**params)

    def add(kind, name, source, attribute, dist="nnfs-squatter"):
        module = f"nnfs_squat_{uuid.uuid4().hex[:10]}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        group = registry.HOOKS_GROUP if kind == "hooks" else registry.KINDS[kind]
        added.append(metadata.EntryPoint(name, f"{module}:{attribute}", group)._for(_Dist(dist)))
        registry.refresh()

    monkeypatch.setattr(metadata, "entry_points", entry_points)
    return add


LOOKALIKE = """
from nnfs_activations.tanh import Tanh as _Tanh

class Tanh(_Tanh):
    def forward(self, x, *, training=False):
        return x * 0.0
"""


@pytest.mark.parametrize("name", ["tanh", "TanH", "tan-h"])
def test_a_clashing_or_lookalike_name_does_not_break_loading_a_saved_model(tmp_path, extra_entry_points,
                                                                            plain_sgd, name):
    net = Network([{"name": "dense", "output_size": 2}, "tanh"], optimizer=plain_sgd(), loss="mse",
                  input_shape=(3,), seed=0).build()
    net.save(tmp_path / "m.nnfs")
    x = np.ones((2, 3), np.float32)
    extra_entry_points("activations", name, LOOKALIKE, "Tanh")
    with pytest.raises(ComponentConflictError):  # outside a load, the clash stays a clash
        registry.activations.get("tanh")
    clash = r"layers\.1 .*nnfs-squatter==6\.6\.6 provides too; using nnfs-activations"
    with pytest.warns(NameClashWarning, match=clash):
        loaded = Network.load(tmp_path / "m.nnfs")
    assert type(loaded.layers[1]).__module__ == "nnfs_activations.tanh"
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
    with pytest.raises(ComponentConflictError):  # and the file's choice did not leak out of the load
        registry.activations.get("tanh")


def test_a_pack_calling_sys_exit_on_import_breaks_only_its_own_names(extra_entry_points):
    extra_entry_points("layers", "quitter", "import sys\nsys.exit(3)\n", "Quitter")
    with pytest.raises(PluginLoadError, match=r"quitter.*nnfs-squatter==6\.6\.6.*SystemExit"):
        registry.layers.get("quitter")
    assert registry.layers.get("dense").__name__ == "Dense"


def test_plugins_check_reports_a_pack_calling_sys_exit_and_checks_the_rest(extra_entry_points, capsys):
    from nnfs_core.cli import main

    extra_entry_points("layers", "quitter", "import sys\nsys.exit(3)\n", "Quitter")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["plugins", "--kind", "layers", "quit*", "--check"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL  layers/quitter" in out and "SystemExit" in out and "1 problem(s)" in out


RAISING_PLUGIN = """
batches = []


class Raising:
    def on_batch_end(self, batch, logs):
        batches.append(batch)
        if batch == 1:
            raise ZeroDivisionError("the plugin's own bug")
"""


def _tiny_fit(plain_sgd, **kwargs):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((12, 3)).astype(np.float32), rng.integers(0, 2, 12)
    net = Network([{"name": "dense", "output_size": 2}], optimizer=plain_sgd(), loss="cross_entropy", seed=0)
    return net.fit(x, y, epochs=2, batch_size=4, verbose=0, **kwargs)


def _raising_module():
    import sys

    return next(module for name, module in sys.modules.items() if name.startswith("nnfs_squat_")
                and hasattr(module, "Raising"))


def test_a_hook_plugin_that_raises_is_switched_off_with_a_warning_naming_its_pack(extra_entry_points, plain_sgd):
    extra_entry_points("hooks", "raising", RAISING_PLUGIN, "Raising", dist="nnfs-raising")
    with pytest.warns(HookPluginWarning) as caught:
        history = _tiny_fit(plain_sgd)
    assert len(history.history["loss"]) == 2  # the fit ran to its end
    message = str(caught[0].message)
    assert "nnfs-raising==6.6.6" in message and "on_batch_end" in message and "the plugin's own bug" in message
    assert "NNFS_DISABLE_PLUGINS=nnfs-raising" in message
    assert _raising_module().batches == [0, 1]  # not called again after it raised
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _tiny_fit(plain_sgd)  # switched off for the process: no second warning
    assert _raising_module().batches == [0, 1]


def test_a_hook_plugin_that_raises_is_an_error_naming_its_pack_in_strict_mode(extra_entry_points, plain_sgd,
                                                                              monkeypatch):
    monkeypatch.setenv("NNFS_STRICT_PLUGINS", "1")
    extra_entry_points("hooks", "raising", RAISING_PLUGIN, "Raising", dist="nnfs-raising")
    with pytest.raises(PluginLoadError, match=r"nnfs-raising==6\.6\.6 raised in on_batch_end") as caught:
        _tiny_fit(plain_sgd)
    assert isinstance(caught.value.__cause__, ZeroDivisionError)


def test_a_callback_passed_to_fit_still_raises_as_usual(plain_sgd):
    class Failing:
        def on_batch_end(self, batch, logs):
            raise ZeroDivisionError("the user's own callback")

    with pytest.raises(ZeroDivisionError, match="user's own"):
        _tiny_fit(plain_sgd, callbacks=[Failing()])


BAD_DESCRIBE = """
def load():
    raise AssertionError("never loaded by nnfs datasets")


def _describe():
    raise KeyError("the pack's describe() has a bug")


load.describe = _describe


def odd():
    pass


odd.describe = lambda: "not a DatasetInfo"
"""


def test_a_dataset_whose_describe_raises_does_not_empty_nnfs_datasets(extra_entry_points, capsys):
    from nnfs_core.cli import main

    extra_entry_points("datasets", "buggy", BAD_DESCRIBE, "load")
    extra_entry_points("datasets", "odd", BAD_DESCRIBE, "odd")
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "describe() from nnfs-squatter==6.6.6 raised KeyError" in rows["buggy"]
    assert "unavailable - describe() from nnfs-squatter==6.6.6 raised AttributeError" in rows["odd"]
    assert "embedded" in rows["digits"]  # the other datasets are still listed


EXITING_PACKS = {
    "sys.exit on import": "import sys\nsys.exit(3)\n",
    "GeneratorExit on import": "raise GeneratorExit('a pack that ends itself')\n",
    "a BaseException subclass on import": ("class PackError(BaseException):\n    pass\n\n"
                                           "raise PackError('the pack went wrong')\n"),
    "sys.exit when the kit builds it": ("import sys\nfrom nnfs_core.layers.flatten import Flatten\n\n\n"
                                        "class Quitter(Flatten):\n    def __init__(self, *args, **kwargs):\n"
                                        "        sys.exit('no layers today')\n"),
    "a BaseException when the kit runs it": (
        "from nnfs_core.layers.flatten import Flatten\n\n\nclass Stop(BaseException):\n    pass\n\n\n"
        "class Quitter(Flatten):\n    def forward_pass(self, x, *, training=False):\n"
        "        raise Stop('forward gave up')\n"),
}


@pytest.mark.parametrize("case", sorted(EXITING_PACKS))
def test_plugins_check_survives_a_pack_that_exits_or_raises_any_base_exception(extra_entry_points, capsys, case):
    """Whatever a pack raises on import or in the kit (KeyboardInterrupt aside), the check reports it and goes on."""
    from nnfs_core.cli import main

    extra_entry_points("layers", "quitter", EXITING_PACKS[case], "Quitter")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["plugins", "--kind", "layers", "--check"])
    out = capsys.readouterr().out
    assert code == 1
    fails = [line for line in out.splitlines() if line.startswith("FAIL")]
    assert len(fails) == 1 and "layers/quitter" in fails[0] and "nnfs-squatter==6.6.6" in fails[0], out
    checked = re.search(r"1 problem\(s\) in (\d+) component\(s\)", out)
    assert checked and int(checked.group(1)) > 5  # every other layer was checked too


def test_a_pack_raising_keyboard_interrupt_is_not_swallowed(extra_entry_points):
    extra_entry_points("layers", "quitter", "raise KeyboardInterrupt\n", "Quitter")
    with pytest.raises(KeyboardInterrupt):
        registry.layers.get("quitter")


def test_a_hook_plugin_calling_sys_exit_during_fit_is_switched_off(extra_entry_points, plain_sgd):
    source = "import sys\n\n\nclass Exiting:\n    def on_epoch_end(self, epoch, logs):\n        sys.exit(7)\n"
    extra_entry_points("hooks", "exiting", source, "Exiting", dist="nnfs-exiting")
    with pytest.warns(HookPluginWarning, match=r"nnfs-exiting==6\.6\.6 raised in on_epoch_end: SystemExit"):
        history = _tiny_fit(plain_sgd)
    assert len(history.history["loss"]) == 2


def test_a_dataset_whose_describe_exits_stays_in_its_row(extra_entry_points, capsys):
    from nnfs_core.cli import main

    source = "import sys\n\n\ndef load():\n    pass\n\n\nload.describe = lambda: sys.exit(4)\n"
    extra_entry_points("datasets", "exiting", source, "load")
    assert main(["datasets"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert "raised SystemExit" in rows["exiting"] and "embedded" in rows["digits"]
