"""TOML training configs: every mistake is reported before training, pointing at the line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_core.config import default_config_path, load_config
from nnfs_core.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

GOOD = '''dataset = "digits"
epochs = 2
loss = "cross_entropy"
optimizer = { name = "plain_sgd", learning_rate = 0.1 }

[[layers]]
name = "flatten"

[[layers]]
name = "dense"
output_size = 10
'''


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_the_compute_backend_is_chosen_by_name(tmp_path, plain_sgd):
    config = load_config(write(tmp_path, GOOD.replace("epochs = 2", 'epochs = 2\nops = "numpy"')))
    assert config.network().ops.name == "numpy"


def test_a_good_config_builds_a_network(tmp_path, plain_sgd):
    config = load_config(write(tmp_path, GOOD), batch_size=16)
    assert config.epochs == 2 and config.batch_size == 16 and config.dataset == "digits"
    assert config.accumulate == 1
    assert load_config(write(tmp_path, GOOD.replace("epochs = 2", "epochs = 2\naccumulate = 4"))).accumulate == 4
    net = config.network()
    assert [type(layer).__name__ for layer in net.layers] == ["Flatten", "Dense"]


@pytest.mark.parametrize(("edit", "match"), [
    (lambda t: t.replace("epochs = 2", "epoch = 2"), r"line 2: epoch: unknown key; did you mean 'epochs'"),
    (lambda t: t.replace("epochs = 2", 'epochs = "two"'), r"line 2: epochs: must be an integer, got a string 'two'"),
    (lambda t: t.replace("epochs = 2", "epochs = -1"), r"epochs: must be >= 0"),
    (lambda t: t.replace("epochs = 2", "epochs = 2\naccumulate = 0"), r"line 3: accumulate: must be >= 1"),
    (lambda t: t.replace("epochs = 2", "epochs = 2\naccumulate = 1.5"), r"line 3: accumulate: must be an integer"),
    (lambda t: t.replace('name = "flatten"', 'name = "flaten"'), r"line 6: layers\[0\]: .*Did you mean 'flatten'"),
    (lambda t: t.replace("output_size = 10", "output_size = 0"), r"line 9: layers\[1\]: .*output_size must be >= 1"),
    (lambda t: t.replace("output_size = 10", "outputs = 10"), r"line 9: layers\[1\]: .*outputs"),
    (lambda t: t.replace('loss = "cross_entropy"', 'loss = "cross_entropi"'), r"line 3: loss: .*'cross_entropy'"),
    (lambda t: t.replace('dataset = "digits"', 'dataset = "digitz"'), r"line 1: dataset: .*Did you mean 'digits'"),
    (lambda t: t.replace('dataset = "digits"\n', ""), r"required key 'dataset' is missing"),
    (lambda t: t + "[[layers]]\nfoo = 1\n", r"layers\[2\]: a table needs a 'name' key"),
    (lambda t: t.replace("epochs = 2", "epochs = [2"), r"not valid TOML"),
    (lambda t: t.replace("learning_rate = 0.1", "learning_rate = inf"), r"line 4: optimizer: .*learning_rate .*finite"),
    (lambda t: t.replace("learning_rate = 0.1", "learning_rate = nan"), r"line 4: optimizer: .*learning_rate"),
    (lambda t: t.replace("epochs = 2", 'epochs = 2\nops = "cuda"'), r"line 3: ops: .*Available ops: cpu, numpy"),
])
def test_bad_configs_point_at_the_line_and_key(tmp_path, plain_sgd, edit, match):
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path, edit(GOOD)))


def test_a_first_party_name_says_which_pack_to_install(tmp_path, plain_sgd, monkeypatch):
    from nnfs_core import registry

    monkeypatch.setenv("NNFS_DISABLE_PLUGINS", "nnfs-conv")
    registry.refresh()
    try:
        with pytest.raises(ConfigError, match=r"layers\[0\].*nnfs-conv"):
            load_config(write(tmp_path, GOOD.replace('name = "flatten"', 'name = "conv2d"')))
    finally:
        monkeypatch.delenv("NNFS_DISABLE_PLUGINS")
        registry.refresh()


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the config"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize("path", [default_config_path(), *sorted(EXAMPLES.glob("*.toml"))], ids=lambda p: p.name)
def test_shipped_configs_are_valid(path):
    pytest.importorskip("nnfs_conv")
    pytest.importorskip("nnfs_optim")
    config = load_config(path)
    assert config.network().layers
