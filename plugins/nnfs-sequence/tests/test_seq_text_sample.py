"""The text_sample callback: samples after epochs, checked before the first one, training unchanged."""

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.errors import ConfigError
from nnfs_core.text import CharVocabulary

TEXT = "abcd" * 40


def language_model(with_vocabulary=True):
    vocabulary = CharVocabulary.from_text(TEXT)
    network = Network([{"name": "embedding", "num_embeddings": 4, "embedding_dim": 3},
                       {"name": "lstm", "hidden_size": 5}, {"name": "dense", "output_size": 4}],
                      optimizer={"name": "sgd", "learning_rate": 0.1}, loss="cross_entropy", seed=0)
    if with_vocabulary:
        network.metadata.update(vocabulary.to_metadata())
    ids = vocabulary.encode(TEXT)
    x = np.stack([ids[i:i + 6] for i in range(0, 120, 3)])
    y = np.stack([ids[i + 1:i + 7] for i in range(0, 120, 3)])
    return network, x, y


def test_samples_after_the_chosen_epochs_without_changing_training(capsys):
    callback = registry.callbacks.create("text_sample", prompt="ab", length=7, every=2, seed=1)
    network, x, y = language_model()
    network.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[callback])
    assert [epoch for epoch, _ in callback.samples] == [2, 3]  # every 2nd epoch, and the last
    assert all(text.startswith("ab") and len(text) == 9 and set(text) <= set("abcd") for _, text in callback.samples)
    assert "--- sample after epoch 2 (temperature 0.8) ---" in capsys.readouterr().err
    plain, x, y = language_model()
    plain.fit(x, y, epochs=3, batch_size=8, verbose=0)
    for name, value in network.named_parameters():
        np.testing.assert_array_equal(value, dict(plain.named_parameters())[name])


@pytest.mark.parametrize(("with_vocabulary", "prompt", "message"), [(True, "abz", "'z': 1 character"),
                                                                    (False, "ab", "no character vocabulary")])
def test_problems_are_found_before_the_first_epoch(with_vocabulary, prompt, message):
    network, x, y = language_model(with_vocabulary)
    network.build(x.shape[1:])
    before = {name: value.copy() for name, value in network.named_parameters()}
    with pytest.raises(ConfigError, match=message):
        network.fit(x, y, epochs=1, batch_size=8, verbose=0,
                    callbacks=[registry.callbacks.create("text_sample", prompt=prompt)])
    for name, value in network.named_parameters():
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.parametrize(("options", "message"), [({"prompt": ""}, "prompt"), ({"length": -1}, "length"),
                                                  ({"temperature": -0.5}, "temperature"), ({"top_k": 0}, "top_k"),
                                                  ({"every": 0}, "every")])
def test_bad_options_are_refused(options, message):
    with pytest.raises(ConfigError, match=message):
        registry.callbacks.create("text_sample", **options)
