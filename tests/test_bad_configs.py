"""Bad training configs: every one ends in exit code 2 with a message naming the file, line and key (or the
command-line option), before any training - never in a traceback."""

from __future__ import annotations

import re

import pytest

from nnfs_core.cli import main

pytest.importorskip("nnfs_optim")

BASE = '''dataset = "digits"
epochs = 1
batch_size = 64
seed = 0
loss = "cross_entropy"
optimizer = { name = "sgd", learning_rate = 0.1 }

[[layers]]
name = "flatten"

[[layers]]
name = "dense"
output_size = 10
'''


def _replace(old, new):
    def edit(text, tmp):
        assert old in text
        return text.replace(old, new.format(tmp=tmp))
    return edit


def _prepend(line):
    def edit(text, tmp):
        return line.format(tmp=tmp) + "\n" + text
    return edit


def _checkpoint(filepath, extra=""):
    return _prepend('callbacks = [{{ name = "model_checkpoint", filepath = "' + filepath + '"' + extra + ' }}]')


# name: (edit of BASE, extra command-line arguments, the key blamed (its line is checked), a word of the message)
BAD = {
    "output under a file": (_prepend('output = "{tmp}/a-file/run"'), [], "output", "not a directory"),
    "output is a file": (_prepend('output = "{tmp}/a-file"'), [], "output", "not a directory"),
    "--output under a file": (None, ["--output", "{tmp}/a-file/run"], "--output", "not a directory"),
    "unknown dataset option": (_replace('dataset = "digits"', 'dataset = {{ name = "digits", colour = 1 }}'), [],
                               "dataset", "colour"),
    "dataset option of the wrong type": (
        _replace('dataset = "digits"', 'dataset = {{ name = "mnist", directory = 5 }}'), [], "dataset", "TypeError"),
    "dataset directory that is empty": (
        _replace('dataset = "digits"', 'dataset = {{ name = "mnist", directory = "{tmp}" }}'), [], "dataset", "mnist"),
    "negative seed": (_replace("seed = 0", "seed = -1"), [], "seed", ">= 0"),
    "--seed negative": (None, ["--seed", "-5"], "--seed", ">= 0"),
    "--epochs negative": (None, ["--epochs", "-1"], "--epochs", ">= 0"),
    "--batch-size zero": (None, ["--batch-size", "0"], "--batch-size", ">= 1"),
    "unknown dtype": (_prepend('dtype = "float33"'), [], "dtype", "floating dtype"),
    "integer dtype": (_prepend('dtype = "int32"'), [], "dtype", "floating dtype"),
    "input_shape with zero": (_prepend("input_shape = [0, 8, 8]"), [], "input_shape", ">= 1"),
    "input_shape of strings": (_prepend('input_shape = ["a"]'), [], "input_shape", ">= 1"),
    "infinite learning rate": (_replace("learning_rate = 0.1", "learning_rate = inf"), [], "optimizer", "finite"),
    "nan learning rate": (_replace("learning_rate = 0.1", "learning_rate = nan"), [], "optimizer", "learning_rate"),
    "batch_size zero": (_replace("batch_size = 64", "batch_size = 0"), [], "batch_size", ">= 1"),
    "validation_split too big": (_prepend("validation_split = 1.5"), [], "validation_split", "[0, 1)"),
    "misspelt metric": (_prepend('metrics = ["acuracy"]'), [], "metrics", "accuracy"),
    "a number as a callback": (_prepend("callbacks = [42]"), [], "callbacks", "name"),
    "checkpoint directory under a file": (_checkpoint("{tmp}/a-file/ckpt/{{epoch}}.nnfs"), [], "callbacks",
                                          "directory"),
    "checkpoint naming val_loss without validation": (_checkpoint("{tmp}/ckpt/{{val_loss:.3f}}.nnfs"), [],
                                                      "callbacks", "val_loss"),
    "mid-epoch checkpoint naming a validation key": (
        _checkpoint("{tmp}/ckpt/{{val_loss}}.nnfs", ", every_n_batches = 2"), ["--epochs", "1"], "callbacks",
        "mid-epoch"),
    "checkpoint with a bad format spec": (_checkpoint("{tmp}/ckpt/{{epoch:s}}.nnfs"), [], "callbacks", "fill in"),
    "checkpoint with an unknown field": (_checkpoint("{tmp}/ckpt/{{epcoh}}.nnfs"), [], "callbacks", "epcoh"),
    "layers that cannot take the data": (_replace('name = "flatten"', 'name = "reshape"\nshape = [3, 3]'), [],
                                         "layers", "shape"),
    "output that does not fit the loss": (_replace('[[layers]]\nname = "flatten"\n\n', ""), [], "loss",
                                          "CrossEntropy"),
    "unknown key": (_prepend("epoch = 3"), [], "epoch", "did you mean"),
    "momentum of 1e400": (_replace("learning_rate = 0.1", "learning_rate = 0.1, momentum = 1e400"), [], "optimizer",
                          "optimizer.momentum = inf: numbers must be finite"),
    "scheduler factor of inf": (_prepend('scheduler = {{ name = "step_lr", step_size = 1, gamma = inf }}'), [],
                                "scheduler", "scheduler.gamma = inf"),
    "nan in a layer table": (_replace('name = "flatten"', 'name = "dropout"\nrate = nan'), [], "layers",
                             "layers[0].rate = nan"),
    "--plot under a file": (None, ["--plot", "{tmp}/a-file/curves.png"], "--plot", "not a directory"),
}


def _line_of_key(text, key):
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line) or line.strip() == f"[[{key}]]":
            return number
    return None


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_config_exits_2_naming_the_file_line_and_key(case, tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib") if case.startswith("--plot") else None
    edit, arguments, key, word = BAD[case]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("not a directory")
    text = BASE if edit is None else edit(BASE, tmp_path)
    config = tmp_path / "bad.toml"
    config.write_text(text)
    extra = [argument.format(tmp=tmp_path) for argument in arguments]
    own_output = "--output" in extra or text.startswith("output")
    code = main(["train", str(config), "--quiet", *([] if own_output else ["--output", str(tmp_path / "out")]), *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith(f"nnfs: error: {config}"), err
    if key.startswith("--"):  # an override is blamed on the command line, never on a line of the file
        assert f"{key} (command line)" in err and not re.search(r"line \d+", err), err
    else:
        line = _line_of_key(text, key)
        assert f"line {line}: {key}" in err, err
    assert word in err
    assert not (tmp_path / "out" / "history.csv").exists()  # nothing was trained


def test_an_output_directory_that_cannot_be_written_is_refused_before_training(tmp_path, capsys, monkeypatch):
    """Issue 17's first example: an unwritable output directory. Permissions do not bind root, which runs
    the suite in containers, so the check's question to the system (os.access) answers no for it."""
    import nnfs_core._config_checks as checks

    locked = tmp_path / "locked"
    locked.mkdir()
    real = checks.os.access
    monkeypatch.setattr(checks.os, "access", lambda path, mode: False if str(path) == str(locked) else real(path, mode))
    config = tmp_path / "bad.toml"
    config.write_text(f'output = "{locked}/run"\n' + BASE)
    code = main(["train", str(config), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and f"{config}" in err and "line 1: output" in err and f"{locked} is not writable" in err, err
    assert not (locked / "run").exists()
