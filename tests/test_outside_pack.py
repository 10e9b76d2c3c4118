"""An outside author's pack, made from the template with `nnfs new-pack`, installed for real with pip.

It holds a layer that is not in this repository; the kit must pass it, and must catch a wrong backward.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core._new_pack_command import create_pack
from nnfs_core.datasets import load
from nnfs_core.testing import check_distribution

GATE = '''"""SoftGate: y = x * sigmoid(weight), one learnable gate per feature."""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import BaseLayer


class SoftGate(BaseLayer):
    """Shapes: x (N, features) -> same; weight (features,), initialised to ``init``."""

    def __init__(self, init: float = 0.0) -> None:
        super().__init__()
        self.init = float(init)

    def build(self, input_shape, *, rng, dtype):
        super().build(input_shape, rng=rng, dtype=dtype)
        self.params["weight"] = np.full(input_shape[-1], self.init, dtype=self.dtype)
        self.grads["weight"] = np.zeros_like(self.params["weight"])
        return tuple(input_shape)

    def forward(self, x, *, training=False):
        self._x = x
        self._gate = 1 / (1 + np.exp(-self.params["weight"]))
        return x * self._gate

    def backward(self, grad):
        slope = SLOPE
        self.grads["weight"][...] = (grad * self._x).reshape(-1, grad.shape[-1]).sum(axis=0) * slope
        return grad * self._gate
'''
RIGHT = "self._gate * (1 - self._gate)"
WRONG = "self._gate"  # forgets the sigmoid's derivative


def make_pack(tmp_path, name, slope):
    pack = create_pack(name, tmp_path)
    package = name.replace("-", "_")
    (pack / package / "soft_gate.py").write_text(GATE.replace("SLOPE", slope))
    pyproject = pack / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        f'feature_scale = "{package}.feature_scale:FeatureScale"',
        f'feature_scale = "{package}.feature_scale:FeatureScale"\nsoft_gate = "{package}.soft_gate:SoftGate"'))
    return pack


def test_an_outside_pack_installs_trains_and_conforms(tmp_path, pip_installed, plain_sgd):
    pack = make_pack(tmp_path, "nnfs-outside-pack", RIGHT)
    pip_installed(pack)
    assert registry.layers.entry("soft_gate").distribution == "nnfs-outside-pack"
    assert registry.layers.get("soft-gate").__name__ == "SoftGate"

    (x, y), (x_test, y_test) = load("digits")
    net = Network(layers=["flatten", {"name": "dense", "output_size": 32}, {"name": "soft_gate", "init": 1.0},
                          {"name": "dense", "output_size": 10}], optimizer=plain_sgd(0.2), loss="cross_entropy", seed=0)
    net.fit(x, y, epochs=8, batch_size=32, verbose=0)
    assert net.evaluate(x_test, y_test)["accuracy"] > 0.9
    if hasattr(Network, "load"):
        path = tmp_path / "model.nnfs"
        net.save(path)
        np.testing.assert_array_equal(Network.load(path).predict(x_test), net.predict(x_test))

    assert check_distribution("nnfs-outside-pack") == []
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(pack / "tests")],
                           cwd=pack, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_the_kit_catches_a_wrong_backward_naming_layer_and_parameter(tmp_path, pip_installed):
    pip_installed(make_pack(tmp_path, "nnfs-outside-broken", WRONG))
    failures = check_distribution("nnfs-outside-broken")
    assert len(failures) == 1
    assert "layers/soft_gate" in failures[0] and "SoftGate" in failures[0] and "parameter 'weight'" in failures[0]


def test_new_pack_refuses_bad_names_and_existing_folders(tmp_path):
    from nnfs_core.errors import ConfigError

    with pytest.raises(ConfigError, match="not a valid distribution name"):
        create_pack("Bad_Name", tmp_path)
    create_pack("nnfs-twice", tmp_path)
    with pytest.raises(ConfigError, match="already exists"):
        create_pack("nnfs-twice", tmp_path)
