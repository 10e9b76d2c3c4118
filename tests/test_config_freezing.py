"""Freezing and parameter groups from TOML: ``trainable = false`` in a layer table, a ``freeze`` list of layer
patterns, ``param_groups`` in the optimizer; a pattern that matches nothing names the file, line, key and
the paths that exist."""

from __future__ import annotations

import pytest

from nnfs_core import Network
from nnfs_core.cli import main
from nnfs_core.config import load_config
from nnfs_core.errors import ConfigError

pytest.importorskip("nnfs_optim")

CONFIG = '''dataset = "digits"
epochs = 1
batch_size = 64
loss = "cross_entropy"
freeze = ["layers.1"]

[optimizer]
name = "adam"
learning_rate = 0.01

[[optimizer.param_groups]]
params = "layers.*.bias"
weight_decay = 0.0

[[layers]]
name = "flatten"

[[layers]]
name = "dense"
output_size = 16
activation = "relu"

[[layers]]
name = "sequential"
layers = [{ name = "dense", output_size = 12, trainable = false }, "relu", { name = "dense", output_size = 12 }]

[[layers]]
name = "dense"
output_size = 10
trainable = false
'''


def write(tmp_path, text):
    path = tmp_path / "freeze.toml"
    path.write_text(text)
    return path


def test_trainable_false_in_a_layer_table_freezes_that_layer(tmp_path):
    config = load_config(write(tmp_path, CONFIG))
    net = config.network()
    assert [getattr(layer, "trainable", True) for layer in net.layers] == [True, True, True, False]
    assert [child.trainable for _, child in net.layers[2].children()] == [False, True, True]
    assert config.freeze == ["layers.1"]


def test_nnfs_train_freezes_by_pattern_and_saves_the_flags(tmp_path, capsys):
    assert main(["train", str(write(tmp_path, CONFIG)), "--output", str(tmp_path / "run"), "--quiet"]) == 0
    assert "Non-trainable params" in capsys.readouterr().out
    net = Network.load(tmp_path / "run" / "model.nnfs")
    assert [getattr(layer, "trainable", True) for layer in net.layers] == [True, False, True, False]
    assert [child.trainable for _, child in net.layers[2].children()] == [False, True, True]
    assert sorted(net.optimizer.state) == ["layers.2.2.bias", "layers.2.2.weight"]  # the only trainable ones
    assert [dict(group) for group in net.optimizer.param_groups] == [{"params": ("layers.*.bias",),
                                                                       "weight_decay": 0.0}]


@pytest.mark.parametrize(("edit", "match"), [
    (lambda t: t.replace('freeze = ["layers.1"]', 'freeze = ["layers.1", "layers.9"]'),
     r"freeze.toml, line 5: freeze: the pattern 'layers.9' matches no layer; the layers are layers.0, layers.1, "
     r"layers.2, layers.2.0, layers.2.1, layers.2.2, layers.3"),
    (lambda t: t.replace('params = "layers.*.bias"', 'params = "layers.*.beta"'),
     r"freeze.toml, line 12: optimizer: param_groups\[0\] pattern 'layers.\*.beta' matches no parameter; the "
     r"parameters are layers.1.weight, layers.1.bias, layers.2.0.weight"),
])
def test_a_pattern_that_matches_nothing_names_file_line_key_and_the_paths(tmp_path, capsys, edit, match):
    assert main(["train", str(write(tmp_path, edit(CONFIG))), "--output", str(tmp_path / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert pytest.importorskip("re").search(match, err), err
    assert not (tmp_path / "run" / "history.csv").exists()  # refused before training


@pytest.mark.parametrize(("edit", "match"), [
    (lambda t: t.replace("output_size = 10\ntrainable = false", 'output_size = 10\ntrainable = "no"'),
     r"line 27: layers\[3\]: layer 'dense': trainable must be true or false, got 'no'"),
    (lambda t: t.replace('freeze = ["layers.1"]', "freeze = [1]"), r"line 5: freeze: must be a list of layer path"),
    (lambda t: t.replace('freeze = ["layers.1"]', 'freeze = "layers.1"'), r"line 5: freeze: must be a list"),
])
def test_bad_freezing_keys_fail_the_config_check(tmp_path, edit, match):
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path, edit(CONFIG)))
