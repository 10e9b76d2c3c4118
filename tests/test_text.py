"""nnfs_core.text (character vocabularies, sampling) and Network.metadata, which carries a vocabulary in model files."""

import json
import zipfile

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.errors import ConfigError, ModelFormatError
from nnfs_core.text import CharVocabulary, sample_next


def test_vocabulary_encodes_and_decodes_by_position():
    vocabulary = CharVocabulary.from_text("hello world")
    assert vocabulary.characters == (" ", "d", "e", "h", "l", "o", "r", "w")
    ids = vocabulary.encode("world")
    assert ids.dtype == np.int64 and ids.tolist() == [7, 5, 6, 4, 1]
    assert vocabulary.decode(ids) == "world"
    assert CharVocabulary.from_metadata(vocabulary.to_metadata()) == vocabulary


@pytest.mark.parametrize(("characters", "message"), [(["a", "bc"], "one-character"), (["a", "a"], "distinct"),
                                                     ([], "at least one"), ([1], "one-character")])
def test_vocabulary_refuses_bad_characters(characters, message):
    with pytest.raises(ConfigError, match=message):
        CharVocabulary(characters)


def test_unknown_characters_are_named():
    with pytest.raises(ConfigError, match=r"'XZ': 2 character\(s\) not in the model's vocabulary of 3; use only 'abc'"):
        CharVocabulary("abc").encode("aXbZ")
    with pytest.raises(ConfigError, match=r"ids must be in \[0, 3\)"):
        CharVocabulary("abc").decode([0, 3])


def test_missing_vocabulary_says_what_a_language_model_is():
    with pytest.raises(ConfigError, match="no character vocabulary in its metadata"):
        CharVocabulary.from_metadata({}, where="model.nnfs")
    with pytest.raises(ConfigError, match="must be a list"):
        CharVocabulary.from_metadata({"vocabulary": "abc"})


def test_sample_next_follows_the_softmax_of_the_scaled_logits():
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    rng = np.random.default_rng(0)
    draws = np.array([sample_next(logits, temperature=1.0, rng=rng) for _ in range(20000)])
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / len(draws), [0.1, 0.2, 0.3, 0.4], atol=0.015)
    sharp = np.array([sample_next(logits, temperature=0.5, rng=rng) for _ in range(20000)])
    expected = np.array([0.1, 0.2, 0.3, 0.4]) ** 2 / (np.array([0.1, 0.2, 0.3, 0.4]) ** 2).sum()
    np.testing.assert_allclose(np.bincount(sharp, minlength=4) / len(sharp), expected, atol=0.015)


def test_top_k_and_zero_temperature():
    logits = np.array([0.0, 3.0, 1.0, 2.0])
    rng = np.random.default_rng(1)
    assert {sample_next(logits, top_k=2, rng=rng) for _ in range(500)} == {1, 3}
    assert {sample_next(logits, top_k=1, rng=rng) for _ in range(50)} == {1}
    assert sample_next(logits, temperature=0, rng=rng) == 1
    assert {sample_next(logits, top_k=10, rng=rng) for _ in range(500)} == {0, 1, 2, 3}  # k above C keeps all


@pytest.mark.parametrize(("options", "message"), [({"temperature": -1.0}, "temperature"),
                                                  ({"temperature": float("nan")}, "temperature"),
                                                  ({"top_k": 0}, "top_k"), ({"top_k": 1.5}, "top_k")])
def test_bad_sampling_options_are_refused(options, message):
    with pytest.raises(ConfigError, match=message):
        sample_next(np.zeros(3), rng=np.random.default_rng(0), **options)


def _small_network():
    network = Network([{"name": "dense", "output_size": 3}], loss="mse",
                      optimizer={"name": "sgd", "learning_rate": 0.1}, seed=0)
    network.build((2,))
    return network


def test_metadata_is_saved_and_loaded(tmp_path):
    network = _small_network()
    assert network.metadata == {}
    network.metadata.update({"vocabulary": ["a", "é", "\n"], "note": {"epochs": 3, "ok": True}})
    network.save(tmp_path / "model.nnfs")
    loaded = Network.load(tmp_path / "model.nnfs")
    assert loaded.metadata == network.metadata
    assert "metadata" not in loaded.get_config()


def test_files_without_metadata_load_with_an_empty_one(tmp_path):
    network = _small_network()
    network.save(tmp_path / "model.nnfs")
    with zipfile.ZipFile(tmp_path / "model.nnfs") as archive:
        assert "metadata" not in json.loads(archive.read("header.json"))
    assert Network.load(tmp_path / "model.nnfs").metadata == {}


@pytest.mark.parametrize(("metadata", "message"), [({"x": np.arange(3)}, r"metadata\['x'\] cannot be saved"),
                                                   ({"x": float("nan")}, r"metadata\['x'\]"),
                                                   ({1: "a"}, "not a string")])
def test_metadata_that_is_not_json_is_refused_before_writing(tmp_path, metadata, message):
    network = _small_network()
    network.metadata = metadata
    with pytest.raises(ConfigError, match=message):
        network.save(tmp_path / "model.nnfs")
    assert not (tmp_path / "model.nnfs").exists()


def test_a_file_whose_metadata_is_not_an_object_is_refused(tmp_path):
    network = _small_network()
    network.metadata = {"a": 1}
    network.save(tmp_path / "model.nnfs")
    with zipfile.ZipFile(tmp_path / "model.nnfs") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    header = json.loads(members["header.json"])
    header["metadata"] = ["not", "an", "object"]
    members["header.json"] = json.dumps(header).encode()
    with zipfile.ZipFile(tmp_path / "bad.nnfs", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ModelFormatError, match="metadata has the wrong type"):
        Network.load(tmp_path / "bad.nnfs")
