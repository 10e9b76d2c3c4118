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


# -- defects 2 and 3: integer inputs, declared on the class, honoured by the network and the kit -----------
class Embedding(BaseLayer):
    """weight[ids]: ids (N, L) int64 -> (N, L, embedding_dim); declared as writing-a-pack.md says."""

    input_dtype = "int64"
    example_args = {"num_embeddings": 10, "embedding_dim": 3}
    example_input_shape = (5,)

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim

    def example_input(self, shape, *, rng, dtype):
        return rng.integers(0, self.num_embeddings, shape, dtype=self.input_dtype)

    def build(self, input_shape, *, rng, dtype):
        super().build(input_shape, rng=rng, dtype=dtype)
        self.params["weight"] = rng.standard_normal((self.num_embeddings, self.embedding_dim)).astype(self.dtype)
        self.grads["weight"] = np.zeros_like(self.params["weight"])
        return (*input_shape, self.embedding_dim)

    def forward(self, x, *, training=False):
        self._ids = x
        return self.params["weight"][x]

    def backward(self, grad):
        self.grads["weight"][...] = 0
        np.add.at(self.grads["weight"], self._ids, grad)


class Remainder(BaseLayer):
    """y = ids % 1000 as floats: tells exactly which id arrived."""

    input_dtype = "int64"
    example_input_shape = (2,)

    def forward(self, x, *, training=False):
        self.seen = x
        return (x % 1000).astype(self.dtype)

    def backward(self, grad):
        return None


def test_integer_ids_reach_a_layer_that_declares_them_uncast(tmp_path, registered, capsys):
    from nnfs_core.cli import main

    registered(Remainder)
    network = Network([Remainder()], seed=0)
    ids = np.array([[16_777_217, 3]], dtype=np.int64)
    np.testing.assert_array_equal(network.predict(ids), [[217.0, 3.0]])  # float32 would give 216
    assert network.layers[0].seen.dtype == np.int64 and network.layers[0].seen[0, 0] == 16_777_217
    assert network.input_dtype == np.int64 and Network([{"name": "dense", "output_size": 2}]).input_dtype == np.float32
    network.save(tmp_path / "ids.nnfs")
    np.save(tmp_path / "ids.npy", ids.astype(np.int32))
    main(["predict", str(tmp_path / "ids.nnfs"), str(tmp_path / "ids.npy"), "--output", str(tmp_path / "out.npy")])
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), [[217.0, 3.0]])


def test_float_input_to_an_integer_layer_is_refused_by_name(registered):
    from nnfs_core._data import DataError

    registered(Remainder)
    with pytest.raises(DataError, match=r"X holds float64 values.*integer input \(int64\).*astype"):
        Network([Remainder()]).predict(np.ones((2, 2)))
    with pytest.raises(DataError, match="outside the range of int64"):
        Network([Remainder()]).predict(np.array([[2**63, 1]], dtype=np.uint64))


def test_an_embedding_declaring_its_inputs_passes_the_kit_and_trains(registered, plain_sgd):
    check_layer(registered(Embedding)(10, 3))
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 10, (64, 5))
    target = np.zeros((64, 5, 3), np.float32)
    network = Network([Embedding(10, 3)], optimizer=plain_sgd(5.0), loss="mse", seed=0)
    network.fit(ids, target, epochs=30, batch_size=16, verbose=0)
    assert np.abs(network.predict(ids)).max() < 0.05


class Kinked(BaseLayer):
    """|x|: its gradient check at the kink is a documented expected failure, declared on the class."""

    example_input_shape = (4,)
    expected_failed_checks = {"check_gradients": "|x| has no derivative at 0"}

    def example_input(self, shape, *, rng, dtype):
        return np.zeros(shape, dtype)  # every sample at the kink

    def forward(self, x, *, training=False):
        self._x = x
        return np.abs(x)

    def backward(self, grad):
        return grad * np.sign(self._x) + grad  # wrong at 0 on purpose


class Undeclared(Kinked):
    expected_failed_checks: dict[str, str] = {}


def test_expected_failures_declared_on_the_class_hold_wherever_the_kit_runs(registered):
    from nnfs_core.testing import parametrize_with_checks
    from nnfs_core.testing.distribution import check_components

    registered(Kinked)
    registered(Undeclared)
    check_layer(Kinked())
    marks = {param.id.rsplit("-", 1)[1]: param.marks for param in parametrize_with_checks([Kinked()]).args[1]}
    assert [mark.kwargs["reason"] for mark in marks["check_gradients"]] == ["|x| has no derivative at 0"]
    assert all(not marks[name] for name in marks if name != "check_gradients")
    assert check_components([registry.layers.entry("kinked")]) == []  # check_distribution, nnfs plugins --check
    with pytest.raises(ConformanceError, match="check_gradients"):
        check_layer(Undeclared())
    assert "check_gradients" in check_components([registry.layers.entry("undeclared")])[0]


def test_a_check_that_crashes_counts_as_the_kits_failure_in_parametrize():
    from nnfs_core.testing import parametrize_with_checks

    class Crashes(Remainder):
        def forward(self, x, *, training=False):
            raise IndexError("ids out of range")

    params = {param.id.rsplit("-", 1)[1]: param.values for param in parametrize_with_checks([Crashes()]).args[1]}
    component, check = params["check_build_infers_shapes"]
    with pytest.raises(ConformanceError, match="IndexError: ids out of range") as caught:
        check(component)
    assert isinstance(caught.value.__cause__, IndexError)


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
