"""`nnfs train --resume [DIR]`, and a full disk at the end of a run (issue 17, item 4)."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.cli import main
from nnfs_core.persistence import _model

pytest.importorskip("nnfs_optim")

CONFIG = str(Path(__file__).resolve().parents[1] / "examples" / "mlp-digits.toml")


def train(output, *extra):
    return main(["train", CONFIG, "--output", str(output), "--quiet", *extra])


def weights(path):
    return [value for layer in Network.load(path).layers for value in layer.params.values()]


def _failing_for_the_model(atomic_write):
    """``atomic_write`` whose disk fills up while model.nnfs is written (the checkpoints before it are written)."""

    @contextlib.contextmanager
    def failing(path):
        with atomic_write(path) as file:
            if Path(path).name == "model.nnfs":
                file.write(b"PK\x03\x04 the first bytes")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            yield file

    return failing


@pytest.fixture
def full_disk_for_the_model(monkeypatch):
    monkeypatch.setattr(_model, "atomic_write", _failing_for_the_model(_model.atomic_write))


def test_a_full_disk_at_the_final_save_keeps_the_last_checkpoint_and_says_where(tmp_path, capsys,
                                                                                full_disk_for_the_model):
    assert train(tmp_path, "--epochs", "2") == 1
    err = capsys.readouterr().err
    checkpoint = tmp_path / "checkpoints" / "epoch-0002.nnfs"
    assert "No space left on device" in err and str(checkpoint) in err and "--resume" in err
    assert "Traceback" not in err
    assert not (tmp_path / "model.nnfs").exists()
    assert Network.load(checkpoint).history.epoch == [0, 1]
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_resume_continues_a_run_to_the_same_model(tmp_path, capsys, monkeypatch):
    assert train(tmp_path / "whole", "--epochs", "3") == 0
    with monkeypatch.context() as patch:
        patch.setattr(_model, "atomic_write", _failing_for_the_model(_model.atomic_write))
        assert train(tmp_path / "cut", "--epochs", "2") == 1
    assert train(tmp_path / "cut", "--epochs", "3", "--resume") == 0
    assert "model saved to" in capsys.readouterr().out
    for a, b in zip(weights(tmp_path / "whole" / "model.nnfs"), weights(tmp_path / "cut" / "model.nnfs")):
        np.testing.assert_array_equal(a, b)
    rows = (tmp_path / "cut" / "history.csv").read_text().splitlines()
    assert rows == (tmp_path / "whole" / "history.csv").read_text().splitlines()


def test_resume_from_a_named_directory_or_file(tmp_path, capsys):
    assert train(tmp_path / "first", "--epochs", "1") == 0
    assert train(tmp_path / "second", "--epochs", "2", "--resume", str(tmp_path / "first" / "checkpoints")) == 0
    assert f"resuming from {tmp_path / 'first' / 'checkpoints' / 'epoch-0001.nnfs'}" in capsys.readouterr().out
    assert len((tmp_path / "second" / "history.csv").read_text().splitlines()) == 2  # header, the second epoch


def test_resume_with_nothing_to_resume_says_so(tmp_path, capsys):
    assert train(tmp_path, "--epochs", "1", "--resume") == 2
    err = capsys.readouterr().err
    assert "--resume" in err and "no checkpoint" in err and str(tmp_path / "checkpoints") in err


def test_resume_passes_over_another_models_checkpoint_in_the_run_directory(tmp_path, capsys):
    """Another model's checkpoint, further on and named as this run's, is not what --resume takes."""
    import shutil

    from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint
    from nnfs_core.datasets import load

    assert train(tmp_path / "run", "--epochs", "1") == 0
    (x, y), _ = load("digits")
    other = Network(["flatten", {"name": "dense", "output_size": 10}], optimizer="sgd", loss="cross_entropy", seed=0)
    other.fit(x[:64], y[:64], epochs=5, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "other" / "epoch-{epoch:04d}.nnfs"))])
    shutil.copy(tmp_path / "other" / "epoch-0005.nnfs", tmp_path / "run" / "checkpoints")
    capsys.readouterr()
    assert train(tmp_path / "run", "--epochs", "2", "--resume") == 0
    assert f"resuming from {tmp_path / 'run' / 'checkpoints' / 'epoch-0001.nnfs'}" in capsys.readouterr().out
