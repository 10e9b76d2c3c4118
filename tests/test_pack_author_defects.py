"""What an outside author writing a recurrent pack from the docs hit (issue "Pack authors, second round").

Each test failed before its fix: shapes a layer's build returns, backward that adds into grads, a second
backward, a save -> load round trip in the kit, new-pack names that replace nnfs, and a disabled pack
reported as not installed.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core._new_pack_command import create_pack
from nnfs_core.errors import ConfigError
from nnfs_core.persistence import MissingComponentError
from nnfs_core.protocols import BaseLayer
from nnfs_core.testing import ConformanceError, check_layer


class Tile(BaseLayer):
    """y = concat(x, x) on the last axis; build returns its shape as writing-a-pack.md says, and never sets
    ``self.output_shape`` (BaseLayer.build recorded the input shape there)."""

    example_input_shape = (4,)

    def build(self, input_shape, *, rng, dtype):
        super().build(input_shape, rng=rng, dtype=dtype)
        return (*input_shape[:-1], 2 * input_shape[-1])

    def forward(self, x, *, training=False):
        return np.concatenate([x, x], axis=-1)

    def backward(self, grad):
        half = grad.shape[-1] // 2
        return grad[..., :half] + grad[..., half:]


class Scale(BaseLayer):
    """y = x * weight, with a backward that can be broken in the ways the kit must catch."""

    example_input_shape = (4,)
    mistake = ""

    def build(self, input_shape, *, rng, dtype):
        super().build(input_shape, rng=rng, dtype=dtype)
        self.params["weight"] = rng.standard_normal(input_shape[-1]).astype(self.dtype)
        self.grads["weight"] = np.zeros_like(self.params["weight"])
        self._offset = 0
        return tuple(input_shape)

    def forward(self, x, *, training=False):
        if training and self.mistake == "unsaved":
            self._offset = x.mean(axis=0)  # a statistic kept outside self.state: it is not saved
        self._x = x
        return x * self.params["weight"] + self._offset

    def backward(self, grad):
        if self.mistake == "accumulates":
            self.grads["weight"] += (grad * self._x).sum(axis=0)
        else:
            self.grads["weight"][...] = (grad * self._x).sum(axis=0)
        if self.mistake == "consumes":
            self._x = np.zeros_like(self._x)  # a second backward silently sees another input
        return grad * self.params["weight"]


def broken(mistake):
    return type(f"Scale_{mistake}", (Scale,), {"mistake": mistake})


@pytest.fixture
def registered(monkeypatch):
    """Register classes in-process for one test (the kit's registry and save checks need a name)."""
    names = []

    def register(cls):
        registry.layers.register(cls.__name__.lower(), override=True)(cls)
        names.append(cls.__name__.lower())
        return cls

    yield register
    for name in names:
        registry.layers.unregister(name)


# -- defect 1: the shape build returns is what summary() and the saved file record ---------------------------
def test_a_layer_returning_its_output_shape_gets_the_right_summary_row_and_loads(tmp_path, registered):
    registered(Tile)
    network = Network([Tile()], seed=0).build((4,))
    assert "(None, 8)" in network.summary()
    assert network.layers[0].output_shape == (8,)
    path = tmp_path / "tile.nnfs"
    network.save(path)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_array_equal(Network.load(path).predict(x), network.predict(x))
    check_layer(Tile())


# -- defect 4: the kit catches accumulating grads, a consuming backward and an unsaved array ----------------
@pytest.mark.parametrize(("mistake", "check"), [
    ("accumulates", "check_backward_sets_grads"),
    ("consumes", "check_backward_twice"),
    ("unsaved", "check_network_save_load"),
])
def test_the_kit_catches_a_layer_that_trains_or_loads_wrongly(registered, mistake, check):
    check_layer(registered(broken("none"))())
    with pytest.raises(ConformanceError) as caught:
        check_layer(registered(broken(mistake))())
    assert f"{check}: Scale_{mistake}:" in str(caught.value)


# -- defect 6: new-pack refuses nnfs's own names; a switched-off pack is not "not installed" ----------------
@pytest.mark.parametrize("name", ["nnfs-core", "nnfs-conv", "nnfs-optim", "nnfs"])
def test_new_pack_refuses_to_replace_nnfs_itself(tmp_path, name):
    with pytest.raises(ConfigError, match="nnfs's own distribution"):
        create_pack(name, tmp_path)
    assert not (tmp_path / name).exists()


def test_new_pack_refuses_the_name_of_an_installed_distribution(tmp_path):
    with pytest.raises(ConfigError, match="'pytest'.*already installed"):
        create_pack("pytest", tmp_path)


def test_loading_a_model_of_a_switched_off_pack_says_so(tmp_path, monkeypatch):
    network = Network([{"name": "conv2d", "out_channels": 2, "kernel_size": 3}], seed=0).build((1, 5, 5))
    path = tmp_path / "conv.nnfs"
    network.save(path)
    monkeypatch.setenv("NNFS_DISABLE_PLUGINS", "nnfs-conv")
    registry.refresh()
    try:
        with pytest.raises(MissingComponentError) as caught:
            Network.load(path)
    finally:
        monkeypatch.delenv("NNFS_DISABLE_PLUGINS")
        registry.refresh()
    assert "NNFS_DISABLE_PLUGINS" in str(caught.value) and "not installed" not in str(caught.value)
