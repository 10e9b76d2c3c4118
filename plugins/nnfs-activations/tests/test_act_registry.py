"""The pack as installed: its entry points, names, configs and hyperparameter errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nnfs_activations
import numpy as np
import pytest

from nnfs_core import cli, registry
from nnfs_core._first_party import FIRST_PARTY
from nnfs_core.errors import ConfigError, ShapeError
from nnfs_core.protocols import BaseLayer, Layer
from nnfs_core.testing import check_entries

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def declared_entry_points() -> dict[str, str]:
    with PYPROJECT.open("rb") as file:
        return tomllib.load(file)["project"]["entry-points"]["nnfs.activations"]


def test_installed_names_are_the_declared_ones_and_the_first_party_table():
    declared = declared_entry_points()
    assert pack_names_installed() == sorted(declared), "reinstall the pack: pip install -e plugins/nnfs-activations"
    assert sorted(FIRST_PARTY["nnfs-activations"]["activations"]) == sorted(declared)


def pack_names_installed() -> list[str]:
    ours = registry.normalize("nnfs-activations")
    return sorted(e.name for e in registry.activations.entries() if registry.normalize(e.distribution) == ours)


def test_every_entry_point_loads_a_layer_class_exported_by_the_package():
    entries = [e for e in registry.activations.entries() if e.name in declared_entry_points()]
    assert check_entries(entries) == []
    for entry in entries:
        cls = registry.activations.get(entry.name)
        assert issubclass(cls, BaseLayer)
        assert cls.__module__ == f"nnfs_activations.{entry.target.split(':')[0].rsplit('.', 1)[1]}"
        assert getattr(nnfs_activations, cls.__name__) is cls
        assert cls.__name__ in nnfs_activations.__all__


def test_each_module_is_named_after_its_entry_point():
    for name, target in declared_entry_points().items():
        module = target.split(":")[0]
        assert module == f"nnfs_activations.{'silu' if name == 'swish' else name}"


def test_swish_is_silu_and_is_written_back_as_silu():
    silu = registry.activations.get("silu")
    assert registry.activations.get("swish") is silu
    assert registry.config_of(registry.activations.create("swish")) == {"name": "silu"}


def test_layers_registry_finds_activations_too():
    assert type(registry.layers.create("relu")).__name__ == "ReLU"


def test_nnfs_plugins_lists_every_name_with_distribution_and_version(capsys):
    assert cli.main(["plugins", "--kind", "activations"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    listed = {row[1]: row for row in rows if len(row) >= 5 and row[0] == "activations"}
    for name in declared_entry_points():
        assert listed[name][2] == "nnfs-activations"
        assert listed[name][3] == nnfs_activations.__version__


def test_instances_follow_the_layer_protocol(act_case, make):
    name, config = act_case
    layer = make(name, config)
    assert isinstance(layer, Layer)
    assert layer.training_differs is False


def test_get_config_round_trips_through_the_registry(act_case, make):
    name, config = act_case
    layer = make(name, config)
    saved = registry.config_of(layer)
    assert json.loads(json.dumps(saved)) == saved
    assert saved == {"name": "silu" if name == "swish" else name, **layer.get_config()}
    for key, value in config.items():
        assert saved[key] == value
    again = registry.activations.create(dict(saved))
    assert type(again) is type(layer) and again.get_config() == layer.get_config()
    again.build(layer.input_shape, rng=np.random.default_rng(0), dtype=np.float64)
    x = np.random.default_rng(1).uniform(-5, 5, (4, 3, 5))
    np.testing.assert_array_equal(again.forward(x), layer.forward(x))


def test_dense_style_config_dict():
    layer = registry.activations.create({"name": "leaky_relu", "negative_slope": 0.2})
    assert type(layer).__name__ == "LeakyReLU" and layer.negative_slope == 0.2
    np.testing.assert_array_equal(layer.forward(np.array([[-1.0, 2.0]])), [[-0.2, 2.0]])
    assert registry.config_of(layer) == {"name": "leaky_relu", "negative_slope": 0.2}
    assert registry.activations.create({"name": "Leaky-ReLU"}).negative_slope == 0.01


@pytest.mark.parametrize(
    ("name", "config", "error", "words"),
    [
        ("leaky_relu", {"negative_slope": "0.2"}, TypeError, ("LeakyReLU", "negative_slope")),
        # NaN is not a number (nnfs_core.validation: TypeError), an infinity is out of range (ValueError)
        ("leaky_relu", {"negative_slope": float("nan")}, TypeError, ("LeakyReLU", "negative_slope")),
        ("elu", {"alpha": float("-inf")}, ValueError, ("ELU", "alpha", "finite")),
        ("prelu", {"num_parameters": 0}, ValueError, ("PReLU", "num_parameters")),
        ("prelu", {"num_parameters": 2.0}, TypeError, ("PReLU", "num_parameters")),
        ("prelu", {"init": None}, TypeError, ("PReLU", "init")),
        ("elu", {"alpha": True}, TypeError, ("ELU", "alpha")),
        ("celu", {"alpha": 0.0}, ValueError, ("CELU", "alpha")),
        ("gelu", {"approximate": "erf"}, ValueError, ("GELU", "approximate")),
        ("hard_tanh", {"min_val": 1.0, "max_val": 1.0}, ValueError, ("HardTanh", "min_val", "max_val")),
        ("hard_tanh", {"max_val": float("inf")}, ValueError, ("HardTanh", "max_val")),
        ("softplus", {"beta": 0}, ValueError, ("Softplus", "beta")),
        ("softplus", {"threshold": "20"}, TypeError, ("Softplus", "threshold")),
        ("softmax", {"axis": 1.0}, TypeError, ("Softmax", "axis")),
        ("log_softmax", {"axis": None}, TypeError, ("LogSoftmax", "axis")),
    ],
)
def test_bad_hyperparameters_name_the_class_and_the_argument(name, config, error, words):
    cls = registry.activations.get(name)
    with pytest.raises(error) as raised:
        cls(**config)
    for word in words:
        assert word in str(raised.value)
    with pytest.raises(ConfigError):  # the registry wraps the same error with the name and the config
        registry.activations.create(name, **config)


def test_numpy_scalars_are_stored_as_plain_floats():
    layer = registry.activations.create("hard_tanh", min_val=np.float32(-2), max_val=np.int64(3))
    assert layer.get_config() == {"min_val": -2.0, "max_val": 3.0}
    assert type(layer.min_val) is float


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_axis_out_of_range_fails_at_build(name):
    layer = registry.activations.create(name, axis=3)
    with pytest.raises(ShapeError, match="axis=3"):
        layer.build((3, 5), rng=np.random.default_rng(0), dtype=np.float64)
    registry.activations.create(name, axis=-3).build((3, 5), rng=np.random.default_rng(0), dtype=np.float64)


def test_prelu_checks_channels_at_build_and_forward():
    layer = registry.activations.create("prelu", num_parameters=3)
    with pytest.raises(ShapeError, match="num_parameters=3"):
        layer.build((4, 5), rng=np.random.default_rng(0), dtype=np.float64)
    layer.build((3, 5), rng=np.random.default_rng(0), dtype=np.float32)
    assert layer.params["weight"].shape == (3,) and layer.params["weight"].dtype == np.float32
    with pytest.raises(ShapeError, match=r"\(N, 3, \.\.\.\)"):
        layer.forward(np.zeros((2, 4, 5), dtype=np.float32))
