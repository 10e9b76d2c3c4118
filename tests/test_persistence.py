"""Saving and loading: registry-driven round trips, optimizer state, weights files, packs, atomic writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.errors import ComponentNotFoundError, ConfigError, ModelFormatError, PluginLoadError, ShapeError
from nnfs_core.persistence import (
    FORMAT_NAME,
    MissingComponentError,
    VersionMismatchWarning,
    _container,
    read_header,
)
from nnfs_core.protocols import BaseOptimizer, BaseScheduler

# Extra constructor arguments worth a round trip beyond each component's own ``example_args``.
EXTRA_EXAMPLES = {
    "dense": [{"output_size": 3, "activation": "tanh"}, {"output_size": 5, "use_bias": False}],
    "batch_norm": [{"momentum": 0.3, "affine": False}],
    "layer_norm": [{"normalized_shape": (6, 6)}],
    "prelu": [{"num_parameters": 3}],
    "reshape": [{"target_shape": (6, 18)}],
}
# Registered layers this test cannot build from their own example_args/example_input_shape, with the reason.
# Empty today: every installed layer and activation declares usable examples.
SKIPPED: dict[str, str] = {}


class MomentumSGD(BaseOptimizer):
    """In-process optimizer with per-parameter state arrays (the core ships no optimizer)."""

    def __init__(self, learning_rate: float = 0.05, momentum: float = 0.9) -> None:
        super().__init__(learning_rate)
        self.momentum = momentum

    def update(self, param, grad, state):
        velocity = state.setdefault("velocity", np.zeros_like(param))
        velocity *= param.dtype.type(self.momentum)
        velocity += grad
        param -= param.dtype.type(self.learning_rate) * velocity


class HalvingLR(BaseScheduler):
    """Halves the learning rate after every step (an in-process scheduler)."""

    def get_lr(self) -> float:
        return self.base_lr * 0.5**self.last_step


@pytest.fixture
def momentum_sgd():
    registry.optimizers.register("momentum_sgd", override=True)(MomentumSGD)
    registry.schedulers.register("halving_lr", override=True)(HalvingLR)
    yield MomentumSGD
    registry.optimizers.unregister("momentum_sgd")
    registry.schedulers.unregister("halving_lr")


def layer_examples():
    cases = []
    for kind in ("layers", "activations"):
        for entry in registry.of_kind(kind).entries():
            if entry.name in SKIPPED:
                continue
            try:
                cls = entry.load()
            except PluginLoadError:  # reported by the test itself, not as a collection error of the whole file
                cases.append(pytest.param(kind, entry.name, None, id=f"{entry.name}-cannot-be-imported"))
                continue
            for args in [dict(getattr(cls, "example_args", {}))] + EXTRA_EXAMPLES.get(entry.name, []):
                cases.append(pytest.param(kind, entry.name, args, id=f"{entry.name}-{args}"))
    return cases


def perturbed(network, seed=1):
    """Give every parameter and state array random values, so that a fresh network cannot match by chance."""
    rng = np.random.default_rng(seed)
    for layer in network.layers:
        for group in (layer.params, getattr(layer, "state", {})):
            for name, value in group.items():
                noise = rng.uniform(0.5, 1.5, value.shape) if "var" in name else rng.standard_normal(value.shape)
                value[...] = noise
    return network


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("kind", "name", "args"), layer_examples())
def test_every_registered_layer_predicts_identically_after_save_and_load(tmp_path, plain_sgd, kind, name, args,
                                                                         dtype):
    cls = registry.of_kind(kind).get(name)  # raises PluginLoadError for a pack that cannot be imported
    shape = cls.example_input_shape
    net = Network([registry.of_kind(kind).create(name, **args)], optimizer=plain_sgd(), loss="mse",
                  input_shape=shape, dtype=dtype, seed=3)
    perturbed(net.build())
    x = net.layers[0].example_input((5, *shape), rng=np.random.default_rng(2), dtype=dtype)  # ids for an embedding
    net.save(tmp_path / "model.nnfs")
    loaded = Network.load(tmp_path / "model.nnfs")
    expected, got = net.predict(x), loaded.predict(x)
    assert got.dtype == np.dtype(dtype) and np.array_equal(got, expected)
    assert type(loaded.layers[0]) is type(net.layers[0])
    assert loaded.get_config() == net.get_config()
    for before, after in zip(net.layers, loaded.layers):
        for group in ("params", "state"):
            mine, theirs = getattr(before, group, {}), getattr(after, group, {})
            assert sorted(mine) == sorted(theirs)
            assert all(np.array_equal(mine[key], theirs[key]) and mine[key].dtype == theirs[key].dtype for key in mine)
    if net.layers[0].params:  # the weights really came from the file, not from the same seed
        fresh = Network.from_config(net.get_config()).build()
        assert not np.array_equal(fresh.predict(x), got)


def test_every_skipped_name_is_registered():
    names = set(registry.layers.names()) | set(registry.activations.names())
    assert set(SKIPPED) <= names


def mlp(optimizer, **kwargs):
    layers = ["flatten", {"name": "dense", "output_size": 16}, "batch_norm", {"name": "dropout", "rate": 0.25},
              {"name": "dense", "output_size": 10}]
    return Network(layers=layers, optimizer=optimizer, loss="cross_entropy", seed=7, **kwargs)


@pytest.fixture(scope="module")
def digits():
    from nnfs_core.datasets import load

    (x, y), _ = load("digits")
    return x[:256], y[:256]


def test_training_continues_identically_after_save_and_load(tmp_path, momentum_sgd, digits):
    x, y = digits
    net = mlp(momentum_sgd(), metrics=["accuracy"], scheduler="halving_lr")
    net.fit(x, y, epochs=2, batch_size=32, verbose=0)
    net.save(tmp_path / "model.nnfs")
    loaded = Network.load(tmp_path / "model.nnfs")
    assert loaded.optimizer.iterations == net.optimizer.iterations
    assert loaded.scheduler.state_dict() == net.scheduler.state_dict()
    assert loaded.rng.bit_generator.state == net.rng.bit_generator.state
    for a, b in zip(loaded.optimizer.state.values(), net.optimizer.state.values()):
        assert np.array_equal(a["velocity"], b["velocity"])
    net.fit(x, y, epochs=2, batch_size=32, verbose=0)
    loaded.fit(x, y, epochs=2, batch_size=32, verbose=0)
    for a, b in zip(net.trainable_parameters()[0], loaded.trainable_parameters()[0]):
        assert np.array_equal(a, b)


def test_nnfs_optim_state_round_trips(tmp_path, digits):
    nnfs_optim = pytest.importorskip("nnfs_optim", reason="the nnfs-optim pack is not installed")
    x, y = digits
    for optimizer in (nnfs_optim.SGD(0.05, momentum=0.9), nnfs_optim.Adam(0.01, amsgrad=True)):
        net = mlp(optimizer)
        net.fit(x, y, epochs=1, batch_size=64, verbose=0)
        net.save(tmp_path / "optim.nnfs")
        loaded = Network.load(tmp_path / "optim.nnfs")
        saved, restored = net.optimizer.state_dict(), loaded.optimizer.state_dict()
        assert sorted(saved) == sorted(restored) and sorted(saved["state"]) == sorted(restored["state"])
        assert {name for name, _ in net.named_parameters()} == set(saved["state"])
        for name, entries in saved["state"].items():
            for key, value in entries.items():
                other = restored["state"][name][key]
                assert np.array_equal(value, other) and np.asarray(value).dtype == np.asarray(other).dtype
        net.fit(x, y, epochs=1, batch_size=64, verbose=0)
        loaded.fit(x, y, epochs=1, batch_size=64, verbose=0)
        assert all(np.array_equal(a, b) for a, b in zip(net.trainable_parameters()[0],
                                                          loaded.trainable_parameters()[0]))


def test_include_optimizer_false_leaves_the_state_out(tmp_path, momentum_sgd, digits):
    net = mlp(momentum_sgd())
    net.fit(*digits, epochs=1, verbose=0)
    net.save(tmp_path / "light.nnfs", include_optimizer=False)
    header = read_header(tmp_path / "light.nnfs")
    assert header.optimizer_state is None and not any(name.startswith("optimizer") for name in header.arrays)
    assert Network.load(tmp_path / "light.nnfs").optimizer.state == {}


def test_the_file_is_an_npz_with_a_json_header_and_no_pickle(tmp_path, plain_sgd, digits):
    net = mlp(plain_sgd())
    net.fit(*digits, epochs=1, verbose=0)
    net.save(tmp_path / "model.nnfs")
    with np.load(tmp_path / "model.nnfs", allow_pickle=False) as npz:
        assert np.array_equal(npz["layers.1.params.weight"], net.layers[1].params["weight"])
    with zipfile.ZipFile(tmp_path / "model.nnfs") as archive:
        assert archive.namelist()[0] == "header.json"
        header = json.loads(archive.read("header.json"))
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
    assert header["format"] == FORMAT_NAME and header["format_version"] == 2
    assert header["network"] == net.get_config()
    assert header["arrays"]["layers.2.state.running_var"] == {"shape": [16], "dtype": "float32"}
    roles = {component["role"]: component for component in header["components"]}
    assert roles["layers.2"] == {"role": "layers.2", "kind": "layers", "name": "batch_norm",
                                 "distribution": "nnfs-core", "version": header["nnfs_core_version"]}
    assert roles["optimizer"]["distribution"] == registry.IN_PROCESS
    net.save(tmp_path / "again.nnfs")
    assert (tmp_path / "model.nnfs").read_bytes() == (tmp_path / "again.nnfs").read_bytes()


def test_save_needs_a_built_network(tmp_path, plain_sgd):
    with pytest.raises(ConfigError, match="not built"):
        mlp(plain_sgd()).save(tmp_path / "x.nnfs")
    assert not (tmp_path / "x.nnfs").exists()


# -- weights files -----------------------------------------------------------------------------------------
def test_save_and_load_weights(tmp_path, plain_sgd, digits):
    x, _ = digits
    net = mlp(plain_sgd(), input_shape=(1, 8, 8))
    perturbed(net.build())
    net.save_weights(tmp_path / "w.nnfs")
    assert read_header(tmp_path / "w.nnfs").kind == "weights"
    other = mlp(plain_sgd())  # unbuilt: built from the file's input shape
    other.load_weights(tmp_path / "w.nnfs")
    assert np.array_equal(other.predict(x), net.predict(x))
    assert np.array_equal(Network.load(tmp_path / "w.nnfs").predict(x), net.predict(x))


def test_load_weights_names_the_layer_the_array_and_both_shapes(tmp_path, plain_sgd):
    net = mlp(plain_sgd(), input_shape=(1, 8, 8)).build()
    net.save_weights(tmp_path / "w.nnfs")
    wider = Network(["flatten", {"name": "dense", "output_size": 17}, "batch_norm", "dropout",
                     {"name": "dense", "output_size": 10}], input_shape=(1, 8, 8)).build()
    with pytest.raises(ShapeError, match=r"layer 1 \(Dense\).*'weight' is float32\[16, 64\] in the file but "
                                         r"float32\[17, 64\] in the network"):
        wider.load_weights(tmp_path / "w.nnfs")
    doubled = Network(net.get_config()["layers"], input_shape=(1, 8, 8), dtype="float64").build()
    with pytest.raises(ShapeError, match="float32.* in the file but float64"):
        doubled.load_weights(tmp_path / "w.nnfs")
    with pytest.raises(ModelFormatError, match="the file has 5 layers, the network has 2"):
        Network(["flatten", {"name": "dense", "output_size": 10}], input_shape=(1, 8, 8)).load_weights(
            tmp_path / "w.nnfs")
    with pytest.raises(ModelFormatError, match="layer 2 is 'batch_norm' in the file but 'layer_norm'"):
        Network(["flatten", {"name": "dense", "output_size": 16}, "layer_norm", "dropout",
                 {"name": "dense", "output_size": 10}], input_shape=(1, 8, 8)).load_weights(tmp_path / "w.nnfs")


# -- packs and versions ------------------------------------------------------------------------------------
def rewrite_header(path, change):
    """Rewrite a file's header.json through ``change(header)``, keeping every other member."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    header = json.loads(members["header.json"])
    change(header)
    members["header.json"] = json.dumps(header).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_an_empty_input_shape_is_refused_as_a_format_error(tmp_path, plain_sgd):
    """Found by the long fuzz run: ``input_shape: []`` reached Network.build and raised a ShapeError."""
    path = tmp_path / "m.nnfs"
    mlp(plain_sgd(), input_shape=(1, 8, 8)).build().save(path)
    rewrite_header(path, lambda header: header["network"].update(input_shape=[]))
    with pytest.raises(ModelFormatError, match=r"network.input_shape must have at least one axis"):
        Network.load(path)


def test_a_missing_pack_is_named_with_the_version_the_file_was_saved_with(tmp_path, plain_sgd):
    net = Network([{"name": "dense", "output_size": 2}, "relu"], optimizer=plain_sgd(), loss="mse",
                  input_shape=(3,)).build()
    net.save(tmp_path / "m.nnfs")

    def from_elsewhere(header):
        header["network"]["layers"][1]["name"] = "quantum_relu"
        header["components"][1].update(name="quantum_relu", distribution="nnfs-quantum", version="2.1.0")

    rewrite_header(tmp_path / "m.nnfs", from_elsewhere)
    with pytest.raises(MissingComponentError) as caught:
        Network.load(tmp_path / "m.nnfs")
    assert isinstance(caught.value, ComponentNotFoundError) and isinstance(caught.value, ModelFormatError)
    assert "layers.1" in str(caught.value) and "pip install 'nnfs-quantum==2.1.0'" in str(caught.value)


def test_an_in_process_component_must_be_registered_again(tmp_path, plain_sgd):
    net = Network([{"name": "dense", "output_size": 2}], optimizer=plain_sgd(), loss="mse", input_shape=(3,)).build()
    net.save(tmp_path / "m.nnfs")
    registry.optimizers.unregister("plain_sgd")
    with pytest.raises(ComponentNotFoundError, match=r"registered in-process.*register\('plain_sgd'\)"):
        Network.load(tmp_path / "m.nnfs")


def test_another_installed_version_loads_with_a_warning(tmp_path, plain_sgd):
    net = Network([{"name": "dense", "output_size": 2}, "tanh"], optimizer=plain_sgd(), loss="mse",
                  input_shape=(3,)).build()
    net.save(tmp_path / "m.nnfs")

    def older(header):
        for component in header["components"]:
            if component["distribution"] == "nnfs-activations":
                component["version"] = "0.0.1"

    rewrite_header(tmp_path / "m.nnfs", older)
    with pytest.warns(VersionMismatchWarning, match="saved with nnfs-activations 0.0.1"):
        loaded = Network.load(tmp_path / "m.nnfs")
    assert np.array_equal(loaded.predict(np.ones((2, 3))), net.predict(np.ones((2, 3))))
    with warnings.catch_warnings():
        warnings.simplefilter("error", VersionMismatchWarning)
        net.save(tmp_path / "same.nnfs")
        Network.load(tmp_path / "same.nnfs")


def test_loading_imports_only_the_packs_the_file_names(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from nnfs_core import Network
        net = Network([{{"name": "dense", "output_size": 2}}, "batch_norm"], loss="mse", input_shape=(3,)).build()
        net.save({str(tmp_path / "core.nnfs")!r})
        Network.load({str(tmp_path / "core.nnfs")!r})
        packs = ("nnfs_activations", "nnfs_optim", "nnfs_conv", "nnfs_sequence", "nnfs_mpi")
        print(sorted(name for name in sys.modules if name.startswith(packs)))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- atomic writes -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("interruption", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temporary_file(tmp_path, plain_sgd, monkeypatch,
                                                                           interruption):
    net = Network([{"name": "dense", "output_size": 2}], optimizer=plain_sgd(), loss="mse", input_shape=(3,)).build()
    target = tmp_path / "m.nnfs"
    net.save(target)
    os.chmod(target, 0o640)
    before = target.read_bytes()
    real = _container.write_container

    def fail_halfway(file, header, arrays):
        real(file, header, arrays)
        file.seek(len(before) // 2)
        file.truncate()
        raise interruption

    monkeypatch.setattr("nnfs_core.persistence._model.write_container", fail_halfway)
    perturbed(net)
    with pytest.raises(type(interruption)):
        net.save(target)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.nnfs"]
    monkeypatch.undo()
    net.save(target)
    assert target.read_bytes() != before and (os.stat(target).st_mode & 0o777) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["m.nnfs"]
