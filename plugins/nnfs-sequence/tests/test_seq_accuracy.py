"""Slow accuracy runs of the pack's examples (`nox -s accuracy`): the figures issue 19 promises."""

from pathlib import Path

import numpy as np
import pytest

from nnfs_core.cli import main
from nnfs_core.config import load_config
from nnfs_core.datasets import load
from nnfs_core.text import CharVocabulary, generate

pytestmark = pytest.mark.slow
pytest.importorskip("nnfs_optim")

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_lstm_on_sequential_mnist_reaches_95_percent(tmp_path, capsys):
    """examples/lstm-sequential-mnist.toml through `nnfs train`: mnist-small's 1,000 test digits."""
    assert main(["train", str(EXAMPLES / "lstm-sequential-mnist.toml"), "--output", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    test_row = next(line for line in out.splitlines() if line.startswith("test "))
    assert float(test_row.split()[-1]) >= 0.95, out


def unigram_cross_entropy(train_ids, test_ids, classes):
    """Nats per character of the best model that ignores context: the training text's character frequencies."""
    counts = np.bincount(train_ids.reshape(-1), minlength=classes) + 1.0
    return float(-np.log(counts / counts.sum())[test_ids.reshape(-1)].mean())


def test_char_lm_beats_the_unigram_baseline_and_writes_words(require_fortunes):
    """examples/char-lm.toml: test loss well below the unigram entropy; generated text is mostly corpus words."""
    config = load_config(EXAMPLES / "char-lm.toml")
    name, options = config.dataset_name_and_options()
    splits = load(name, **options)
    vocabulary = CharVocabulary.from_metadata(splits.metadata)
    network = config.network()
    network.metadata.update(splits.metadata)
    network.fit(splits.train.x, splits.train.y, epochs=config.epochs, batch_size=config.batch_size,
                validation_split=config.validation_split, verbose=0)
    baseline = unigram_cross_entropy(splits.train.y, splits.test.y, len(vocabulary))
    loss = network.evaluate(splits.test.x, splits.test.y)["loss"]
    assert loss < 0.65 * baseline, (loss, baseline)
    words = set(vocabulary.decode(splits.train.x.reshape(-1)).split())
    text = generate(network, "The ", length=600, temperature=0.7, seed=0)
    generated = text.split()[1:-1]
    assert sum(word in words for word in generated) >= 0.6 * len(generated), text
