"""``nnfs generate``: text sampled from a saved character-level model, end to end through the ``nnfs`` command."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.text import CharVocabulary, generate

PATTERN = "the cat sat. "


def nnfs(*args):
    """Run the installed ``nnfs`` console script in a fresh process."""
    script = shutil.which("nnfs", path=str(Path(sys.executable).parent)) or shutil.which("nnfs")
    assert script, "the nnfs console script is not installed next to this interpreter"
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=300)


def periodic_windows(vocabulary, window, count):
    text = PATTERN * (count // len(PATTERN) + window + 2)
    ids = vocabulary.encode(text)
    starts = np.arange(count)
    return ids[starts[:, None] + np.arange(window)], ids[starts + window]


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    """A small embedding-LSTM-dense model that has learnt to continue a repeated sentence, saved with its vocabulary."""
    vocabulary = CharVocabulary.from_text(PATTERN)
    x, y = periodic_windows(vocabulary, window=8, count=260)
    network = Network([{"name": "embedding", "num_embeddings": len(vocabulary), "embedding_dim": 8},
                       {"name": "lstm", "hidden_size": 24, "return_sequences": False},
                       {"name": "dense", "output_size": len(vocabulary)}],
                      optimizer={"name": "adam", "learning_rate": 0.02}, loss="cross_entropy", seed=0)
    network.fit(x, y, epochs=25, batch_size=26, verbose=0)
    assert network.evaluate(x, y)["accuracy"] == 1.0
    network.metadata.update(vocabulary.to_metadata())
    path = tmp_path_factory.mktemp("lm") / "model.nnfs"
    network.save(path)
    return path


def test_generate_continues_the_learnt_text(trained_model):
    done = nnfs("generate", str(trained_model), "--prompt", "the c", "--length", "30", "--temperature", "0")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("the c" + (PATTERN * 4)[5:35]) + "\n"


def test_sampling_is_repeatable_with_a_seed_and_varies_without(trained_model):
    options = ["generate", str(trained_model), "--prompt", "s", "--length", "40", "--temperature", "3", "--seed"]
    first, second, other = nnfs(*options, "1"), nnfs(*options, "1"), nnfs(*options, "2")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout != other.stdout
    assert len(first.stdout) == 1 + 40 + 1 and set(first.stdout[:-1]) <= set(PATTERN)


def test_top_k_one_is_the_most_likely_continuation(trained_model):
    network = Network.load(trained_model)
    greedy = generate(network, "at", length=20, temperature=0)
    assert generate(network, "at", length=20, temperature=5.0, top_k=1, seed=3) == greedy


@pytest.mark.parametrize(("options", "message"), [
    (["--prompt", "the dog"], "'dgo': 3 character(s) not in the model's vocabulary"),
    (["--prompt", "the", "--temperature", "-1"], "--temperature must be a finite number >= 0"),
    (["--prompt", "the", "--temperature", "nan"], "--temperature must be a finite number >= 0"),
    (["--prompt", "the", "--top-k", "0"], "--top-k must be >= 1"),
    (["--prompt", "the", "--length", "-5"], "--length must be >= 0"),
    (["--prompt", ""], "the prompt is empty"),
])
def test_bad_options_are_explained(trained_model, options, message):
    done = nnfs("generate", str(trained_model), *options)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_model_that_is_not_a_language_model_is_refused(tmp_path):
    network = Network([{"name": "dense", "output_size": 3}], loss="mse", seed=0)
    network.build((4,))
    network.save(tmp_path / "plain.nnfs")
    done = nnfs("generate", str(tmp_path / "plain.nnfs"), "--prompt", "a")
    assert done.returncode == 2 and "no character vocabulary in its metadata" in done.stderr
    network.metadata.update(CharVocabulary("abc").to_metadata())  # a vocabulary, but float input
    network.save(tmp_path / "float.nnfs")
    done = nnfs("generate", str(tmp_path / "float.nnfs"), "--prompt", "a")
    assert done.returncode == 2 and "reads windows of integer ids" in done.stderr
    done = nnfs("generate", str(tmp_path / "missing.nnfs"), "--prompt", "a")
    assert done.returncode == 2 and "no model file" in done.stderr


def test_a_vocabulary_that_does_not_match_the_output_is_refused(trained_model, tmp_path):
    network = Network.load(trained_model)
    network.metadata = CharVocabulary("the cas").to_metadata()  # 7 characters for 8 logits
    network.save(tmp_path / "mismatch.nnfs")
    done = nnfs("generate", str(tmp_path / "mismatch.nnfs"), "--prompt", "the")
    assert done.returncode == 2 and "outputs logits (N, 7) or (N, L, 7)" in done.stderr
