"""The pack's datasets: sequential-mnist (from the core's mnist-small) and fortunes (Debian's fortunes-min)."""

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core.datasets import DatasetNotFoundError, Split, Splits, load
from nnfs_core.errors import ConfigError
from nnfs_core.text import CharVocabulary


def test_sequential_mnist_is_mnist_small_row_by_row():
    (x_train, y_train), (x_test, y_test) = load("sequential-mnist")
    images = load("mnist-small")
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28) and x_train.dtype == np.float32
    np.testing.assert_array_equal(x_train[7, 13], images.train.x[7, 0, 13])  # step 13 of sample 7: row 13
    np.testing.assert_array_equal(y_test, images.test.y)
    info = registry.datasets.get("sequential_mnist").describe()
    assert (info.train_size, info.test_size, info.sample_shape, info.available) == (4000, 1000, (28, 28), True)


def test_sequential_mnist_reads_other_sources_and_refuses_non_images():
    (x_train, _), _ = load("sequential-mnist", source="digits")
    assert x_train.shape[1:] == (8, 8)
    registry.datasets.register("flat_points")(
        lambda: Splits(Split(np.zeros((4, 3), np.float32), np.zeros(4, np.int64)),
                       Split(np.zeros((2, 3), np.float32), np.zeros(2, np.int64))))
    try:
        with pytest.raises(ConfigError, match="source 'flat_points' gives samples of shape \\(3,\\), not one-channel"):
            load("sequential-mnist", source="flat_points")
    finally:
        registry.datasets.unregister("flat_points")


def write_corpus(directory, texts):
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (directory / name).write_bytes(text)


def test_windows_and_targets_on_a_small_corpus(tmp_path):
    body = "".join(f"fortune number {i}\n%\n" for i in range(20)).encode()
    write_corpus(tmp_path, {"a": body, "b": b"under\x08_lined and a\x07bell\n%\n"})
    splits = load("fortunes", directory=tmp_path, files=["a", "b"], window=8, test_every=5)
    vocabulary = CharVocabulary.from_metadata(splits.metadata)
    assert "\x08" not in vocabulary and "\x07" not in vocabulary and "%" in vocabulary
    train_text = vocabulary.decode(splits.train.x[:, 0])  # the first character of every window
    x, y = splits.train
    assert x.dtype == y.dtype == np.int64 and x.shape == y.shape and x.shape[1] == 8
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # y is x one character later
    np.testing.assert_array_equal(x[1:, 0], y[:-1, -1])  # stride = window: each window starts at the last target
    whole = vocabulary.decode(np.concatenate([x.reshape(-1), y[-1, -1:]]))
    assert whole.startswith("fortune number 0\n%\nfortune number 1\n%\n") and len(train_text) == len(x)
    test = vocabulary.decode(splits.test.x.reshape(-1))
    assert test.startswith("fortune number 4\n%\nfortune number 9\n%\n")  # every 5th fortune is held out
    assert "fortune number 4\n" not in whole
    nxt = load("fortunes", directory=tmp_path, files=["a", "b"], window=8, stride=1, target="next")
    assert nxt.train.y.shape == (len(nxt.train.x),)
    np.testing.assert_array_equal(nxt.train.x[1:, -1], nxt.train.y[:-1])  # stride 1: the next window ends with y


@pytest.mark.parametrize(("options", "message"), [({"window": 0}, "window"), ({"target": "all"}, "target"),
                                                  ({"stride": -1}, "stride"), ({"test_every": 1}, "test_every"),
                                                  ({"files": "a"}, "files"), ({"window": 10_000}, "no window")])
def test_bad_options_are_refused(tmp_path, options, message):
    write_corpus(tmp_path, {"a": b"some text\n%\n" * 30})
    with pytest.raises(ConfigError, match=message):
        load("fortunes", directory=tmp_path, **{"files": ["a"], **options})


def test_missing_files_say_how_to_install_them(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="apt-get install fortunes-min"):
        load("fortunes", directory=tmp_path / "nowhere")


def test_the_real_fortunes_corpus(require_fortunes):
    splits = load("fortunes")
    vocabulary = CharVocabulary.from_metadata(splits.metadata)
    assert 60 <= len(vocabulary) <= 100 and {"e", "T", "\n", " ", "%"} <= set(vocabulary.characters)
    assert splits.train.x.shape[1] == 64 and len(splits.train.x) > 1200 and len(splits.test.x) > 100
    text = vocabulary.decode(splits.train.x[:40].reshape(-1))
    assert "Mark Twain" in text or "--" in text
    info = registry.datasets.get("fortunes").describe()
    assert (info.train_size, info.test_size, info.sample_shape) == (len(splits.train.x), len(splits.test.x), (64,))
