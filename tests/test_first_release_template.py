"""A pack made by the first release's `nnfs new-pack`, untouched, installs, trains and passes its own tests.

The template is kept byte for byte in tests/fixtures/pack_template_0_1; its layer keeps its cache on itself
(the first release's forward/backward protocol) and its tests drive a Network with an optimizer object that
has nothing but ``learning_rate`` and ``step(params, grads)``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from nnfs_core import Network, plugin_api, registry
from nnfs_core.testing import check_distribution

TEMPLATE = Path(__file__).parent / "fixtures" / "pack_template_0_1"
NAME, PACKAGE = "nnfs-first-release-pack", "nnfs_first_release_pack"


def new_pack_of_the_first_release(directory: Path) -> Path:
    """What `nnfs new-pack nnfs-first-release-pack` of nnfs-core 0.1 made: a copy, every name replaced."""
    target = directory / NAME
    for path in TEMPLATE.rglob("*"):
        if path.is_dir():
            continue
        relative = Path(*(part.replace("nnfs_example_pack", PACKAGE) for part in path.relative_to(TEMPLATE).parts))
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix in (".py", ".toml", ".md"):
            text = path.read_text(encoding="utf-8")
            destination.write_text(text.replace("nnfs-example-pack", NAME).replace("nnfs_example_pack", PACKAGE),
                                   encoding="utf-8")
        else:
            shutil.copyfile(path, destination)
    return target


def test_a_first_release_pack_installs_trains_and_passes_its_own_tests(tmp_path, pip_installed, plain_sgd):
    pack = new_pack_of_the_first_release(tmp_path)
    pip_installed(pack)
    assert registry.layers.entry("feature_scale").distribution == NAME
    assert check_distribution(NAME) == []
    assert plugin_api.problem_of(NAME) is None  # it declares no plugin API: the first release's 1.0, accepted

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x * np.array([2.0, -1.0, 0.5], np.float32)
    for backend in ("cpu", "numpy"):
        net = Network(layers=["feature_scale", {"name": "dense", "output_size": 3}], optimizer=plain_sgd(0.05),
                      loss="mse", seed=0, ops=backend)
        net.fit(x, y, epochs=60, batch_size=16, verbose=0)
        assert net.evaluate(x, y)["loss"] < 1e-3
        path = tmp_path / f"model-{backend}.nnfs"
        net.save(path)
        np.testing.assert_array_equal(Network.load(path).predict(x), net.predict(x))

    own_tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pack / "tests")],
                               capture_output=True, text=True, cwd=tmp_path)
    assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
