"""examples/char-lm.toml through the ``nnfs`` command: trained with a tiny budget, then ``nnfs generate``."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnfs_core import Network
from nnfs_core.text import CharVocabulary

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "char-lm.toml"


def nnfs(*args, cwd=None):
    script = shutil.which("nnfs", path=str(Path(sys.executable).parent)) or shutil.which("nnfs")
    assert script, "the nnfs console script is not installed next to this interpreter"
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=600, cwd=cwd)


def shrunk(text, replacements):
    for old, new in replacements.items():
        assert old in text, f"examples/char-lm.toml no longer has {old!r}: update this test"
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, require_fortunes):
    """The example with a tiny budget (one epoch over a third of the windows, a smaller LSTM), trained by nnfs train."""
    directory = tmp_path_factory.mktemp("char-lm")
    config = directory / "char-lm.toml"
    config.write_text(shrunk(EXAMPLE.read_text(), {
        'window = 64, target = "sequence" }': 'window = 32, stride = 96, target = "sequence" }',
        "epochs = 12": "epochs = 1", "hidden_size = 192": "hidden_size = 32", "length = 160": "length = 40"}))
    done = nnfs("train", str(config), "--output", str(directory / "run"))
    return directory / "run", done


def test_the_example_trains_prints_a_sample_and_saves_its_vocabulary(tiny_run):
    run, done = tiny_run
    assert done.returncode == 0, done.stderr[-2000:]
    assert "dataset fortunes" in done.stdout and "model saved to" in done.stdout
    assert "Epoch 1/1" in done.stderr  # the progress bar
    sample = done.stderr.split("--- sample after epoch 1 (temperature 0.8) ---\n", 1)[1]
    assert sample.startswith("A ") and len(sample.split("\n---")[0]) >= 42
    assert (run / "history.csv").read_text().count("\n") == 2  # header and the epoch: the loss curve's data
    network = Network.load(run / "model.nnfs")
    vocabulary = CharVocabulary.from_metadata(network.metadata)
    assert len(vocabulary) == 87 and network.layers[-1].output_size == len(vocabulary)


def test_nnfs_generate_samples_from_the_trained_example(tiny_run):
    run, _ = tiny_run
    done = nnfs("generate", str(run / "model.nnfs"), "--prompt", "The ", "--length", "50", "--temperature", "0.8",
                "--top-k", "10", "--seed", "0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("The ") and len(done.stdout) == 4 + 50 + 1
    again = nnfs("generate", str(run / "model.nnfs"), "--prompt", "The ", "--length", "50", "--temperature", "0.8",
                 "--top-k", "10", "--seed", "0")
    assert again.stdout == done.stdout
