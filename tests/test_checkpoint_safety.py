"""What a checkpoint may delete, and the temporary files of saves killed midway.

A checkpoint records the files its ModelCheckpoint wrote, so that ``keep_last`` keeps rotating after a
resume. That record is data from a file: resuming an edited checkpoint, or a run copied to another
directory, must never delete anything but files of the callback's own directory and naming scheme.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint


@pytest.fixture(scope="module")
def data():
    from nnfs_core.datasets import load

    (x, y), _ = load("digits")
    return x[:96], y[:96]


def train(data, filepath, epochs, resume_from=None, keep_last=1):
    net = Network(["flatten", {"name": "dense", "output_size": 10}], optimizer="sgd", loss="cross_entropy", seed=0)
    checkpoint = ModelCheckpoint(str(filepath), keep_last=keep_last)
    net.fit(*data, epochs=epochs, batch_size=32, verbose=0, callbacks=[checkpoint], resume_from=resume_from)
    return checkpoint


def edit_saved_list(path, saved):
    """Rewrite the checkpoint's record of the files its ModelCheckpoint wrote."""
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    header = json.loads(members[0][1])
    (state,) = [state for key, state in header["training"]["callbacks"].items() if "checkpoint" in key.lower()]
    state["saved"] = saved
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in [("header.json", json.dumps(header).encode()), *members[1:]]:
            archive.writestr(name, content)
    path.write_bytes(buffer.getvalue())


def test_an_edited_checkpoint_deletes_only_files_of_its_own_directory_and_scheme(tmp_path, data):
    run = tmp_path / "run"
    train(data, run / "e{epoch}.nnfs", epochs=1)
    victims = [tmp_path / "victim.nnfs", tmp_path / "elsewhere" / "e7.nnfs", run / "notes.nnfs", run / "e9.txt",
               run / "e8x.nnfs"]
    for victim in victims:
        victim.parent.mkdir(exist_ok=True)
        victim.write_text("keep me")
    (run / "sub").mkdir()
    edit_saved_list(run / "e1.nnfs", [str(path) for path in victims]
                    + [str(run / "sub"), str(run / ".." / "victim.nnfs"), "e1.nnfs/../../victim.nnfs", 42])
    with pytest.raises(Exception, match="saved"):  # a non-string entry: the file is refused, nothing deleted
        train(data, run / "e{epoch}.nnfs", epochs=3, resume_from=run / "e1.nnfs")
    assert all(victim.read_text() == "keep me" for victim in victims)
    edit_saved_list(run / "e1.nnfs", [str(path) for path in victims] + [str(run / "sub"), str(run / "e1.nnfs")])
    train(data, run / "e{epoch}.nnfs", epochs=3, resume_from=run / "e1.nnfs")
    assert all(victim.read_text() == "keep me" for victim in victims)
    assert (run / "sub").is_dir()
    assert sorted(path.name for path in run.glob("e[0-9].nnfs")) == ["e3.nnfs"]  # its own files still rotate


def test_a_run_copied_to_another_directory_leaves_the_original_alone(tmp_path, data):
    original, copy = tmp_path / "a", tmp_path / "b"
    train(data, original / "ckpt" / "e{epoch:03d}.nnfs", epochs=2, keep_last=2)
    shutil.copytree(original, copy)
    before = {path.name: path.read_bytes() for path in (original / "ckpt").iterdir()}
    train(data, copy / "ckpt" / "e{epoch:03d}.nnfs", epochs=4, keep_last=2, resume_from=copy / "ckpt")
    assert {path.name: path.read_bytes() for path in (original / "ckpt").iterdir()} == before
    assert sorted(path.name for path in (copy / "ckpt").iterdir()) == ["e003.nnfs", "e004.nnfs"]


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return int(child.stdout)


def test_the_next_save_removes_temporary_files_of_saves_that_were_killed(tmp_path):
    """A SIGKILL during a save leaves ``.<name>.<pid>-<random>.tmp``; the next save in the directory removes it
    once its process is gone and a minute has passed, and leaves everything else alone."""
    net = Network(["flatten", {"name": "dense", "output_size": 2}], input_shape=(3,), seed=0).build()
    dead, hour_ago = _dead_pid(), time.time() - 3600
    stale = [tmp_path / f".model.nnfs.{dead}-k3x_9abc.tmp", tmp_path / f".other.nnfs.{dead}-zz1.tmp"]
    kept = [tmp_path / f".model.nnfs.{os.getppid()}-alive123.tmp",  # its process runs: maybe still writing
            tmp_path / f".model.nnfs.{os.getpid()}-ownpid12.tmp",  # this process: another thread may be writing
            tmp_path / ".model.nnfs.abcdefgh.tmp",  # no process recorded (written before this scheme)
            tmp_path / f".notes.{dead}.txt", tmp_path / f"model.nnfs.{dead}-x.tmp"]
    for path in [*stale, *kept]:
        path.write_bytes(b"partial")
        os.utime(path, (hour_ago, hour_ago))
    recent = tmp_path / f".model.nnfs.{dead}-recent1.tmp"  # dead, but written seconds ago (another host?)
    recent.write_bytes(b"partial")
    net.save(tmp_path / "model.nnfs")
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in [*kept, recent])
    assert (tmp_path / "model.nnfs").exists()
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp") and str(os.getpid()) in name
                and "ownpid" not in name]  # the save's own temporary file is gone


def test_a_killed_save_leaves_a_temporary_file_named_by_its_process(tmp_path):
    """The scheme the cleanup relies on: the writer's pid is in the temporary file's name."""
    code = ("import os, sys\n"
            "from nnfs_core.persistence import atomic_write\n"
            "with atomic_write(sys.argv[1]) as f:\n"
            "    f.write(b'x'); f.flush(); print(os.getpid(), flush=True); os.kill(os.getpid(), 9)\n")
    child = subprocess.run([sys.executable, "-c", code, str(tmp_path / "model.nnfs")], capture_output=True, text=True)
    assert child.returncode != 0
    (left,) = os.listdir(tmp_path)
    assert left.startswith(f".model.nnfs.{int(child.stdout)}-") and left.endswith(".tmp")


def _fit(data, filepath, epochs, resume_from=None, output_size=10, callbacks=True):
    net = Network(["flatten", {"name": "dense", "output_size": output_size}], optimizer="sgd",
                  loss="cross_entropy", seed=0)
    checkpoint = [ModelCheckpoint(str(filepath))] if callbacks else []
    net.fit(*data, epochs=epochs, batch_size=32, verbose=0, callbacks=checkpoint, resume_from=resume_from)
    return net


def test_resuming_from_a_shared_directory_takes_this_runs_naming(tmp_path, data):
    """Two runs of the same model write into one directory; the one behind resumes from its own files."""
    _fit(data, tmp_path / "b-{epoch}.nnfs", epochs=3)  # the other run is further on
    _fit(data, tmp_path / "a-{epoch}.nnfs", epochs=1)
    resumed = _fit(data, tmp_path / "a-{epoch}.nnfs", epochs=2, resume_from=tmp_path)
    uninterrupted = _fit(data, tmp_path / "c-{epoch}.nnfs", epochs=2)
    assert resumed.history.epoch == [0, 1]  # from a-1, not b-3 (which would have trained nothing)
    assert all(np.array_equal(resumed.state_dict()[k], v) for k, v in uninterrupted.state_dict().items())


def test_resuming_from_a_directory_passes_over_another_models_checkpoints(tmp_path, data):
    _fit(data, tmp_path / "wide-{epoch}.nnfs", epochs=3, output_size=12)  # another model, further on
    _fit(data, tmp_path / "e-{epoch}.nnfs", epochs=1)
    resumed = _fit(data, None, epochs=2, resume_from=tmp_path, callbacks=False)  # no naming to go by
    assert resumed.history.epoch == [0, 1]
    with pytest.raises(FileNotFoundError, match="no complete checkpoint of this run; passed over 4 of another model"):
        _fit(data, None, epochs=2, resume_from=tmp_path, output_size=11, callbacks=False)
