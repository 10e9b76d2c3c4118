"""Character vocabularies and sampling text from a trained character-level language model.

```python
from nnfs_core.text import CharVocabulary, generate
vocabulary = CharVocabulary.from_text(corpus)     # the sorted distinct characters; id = position
ids = vocabulary.encode("hello")                   # int64 (5,)
net.metadata.update(vocabulary.to_metadata())      # saved with the model: generation needs only the file
print(generate(net, "The ", length=200, temperature=0.8, top_k=10, seed=0))
```

A language model here is any network whose input is a window of integer ids (N, L) - an embedding
first - and whose output is logits over the vocabulary, either for the next character only (N, V) or for
every step (N, L, V), of which the last step predicts the next character. Nothing in this module knows
which layers made it; ``nnfs generate`` and the text-sample callback of nnfs-sequence both call
``generate``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from nnfs_core.errors import ConfigError

__all__ = ["CharVocabulary", "VOCABULARY_KEY", "generate", "sample_next"]

#: The key of ``Network.metadata`` that holds a character vocabulary (a list of one-character strings).
VOCABULARY_KEY = "vocabulary"


class CharVocabulary:
    """Distinct characters and their integer ids (id = position in ``characters``).

    Parameters
    ----------
    characters : sequence of str
        One-character strings, each once; their order fixes the ids.
    """

    def __init__(self, characters: Iterable[str]) -> None:
        tokens = tuple(characters)
        bad = [token for token in tokens if not isinstance(token, str) or len(token) != 1]
        if bad:
            raise ConfigError(f"CharVocabulary: every entry must be a one-character string, got {bad[0]!r}")
        if len(set(tokens)) != len(tokens):
            repeated = sorted({token for token in tokens if tokens.count(token) > 1})
            raise ConfigError(f"CharVocabulary: characters must be distinct, {repeated!r} repeat")
        if not tokens:
            raise ConfigError("CharVocabulary: needs at least one character")
        self.characters = tokens
        self._ids = {token: index for index, token in enumerate(tokens)}

    @classmethod
    def from_text(cls, text: str) -> CharVocabulary:
        """The sorted distinct characters of ``text``."""
        return cls(sorted(set(text)))

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any], where: str = "the model") -> CharVocabulary:
        """The vocabulary stored under ``VOCABULARY_KEY``; a ``ConfigError`` saying so when there is none."""
        stored = metadata.get(VOCABULARY_KEY)
        if stored is None:
            raise ConfigError(f"{where} has no character vocabulary in its metadata, so it is not a character-level "
                              f"language model: train one on a text dataset (e.g. `nnfs train examples/char-lm.toml`)"
                              f", or set network.metadata[{VOCABULARY_KEY!r}] to its list of characters")
        if not isinstance(stored, list):
            raise ConfigError(f"{where}: metadata[{VOCABULARY_KEY!r}] must be a list of characters, "
                              f"got {type(stored).__name__}")
        return cls(stored)

    def to_metadata(self) -> dict[str, Any]:
        """``{"vocabulary": [...]}``, for ``Network.metadata`` (JSON, saved in the model file)."""
        return {VOCABULARY_KEY: list(self.characters)}

    def __len__(self) -> int:
        return len(self.characters)

    def __contains__(self, character: object) -> bool:
        return character in self._ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharVocabulary) and other.characters == self.characters

    def __hash__(self) -> int:
        return hash(self.characters)

    def __repr__(self) -> str:
        return f"CharVocabulary({len(self)} characters: {''.join(self.characters)[:40]!r})"

    def encode(self, text: str) -> np.ndarray[Any, np.dtype[np.int64]]:
        """int64 ids (len(text),); a ``ConfigError`` naming the characters that are not in the vocabulary."""
        unknown = sorted({character for character in text if character not in self._ids})
        if unknown:
            raise ConfigError(f"{''.join(unknown)!r}: {len(unknown)} character(s) not in the model's vocabulary "
                              f"of {len(self)}; use only {''.join(self.characters)!r}")
        return np.fromiter((self._ids[character] for character in text), dtype=np.int64, count=len(text))

    def decode(self, ids: Sequence[int] | np.ndarray[Any, Any]) -> str:
        """The characters of ``ids`` (each in [0, len(self)))."""
        values = np.asarray(ids).reshape(-1)
        if values.size and (values.min() < 0 or values.max() >= len(self)):
            raise ConfigError(f"CharVocabulary.decode: ids must be in [0, {len(self)}), got {values.min()} .. "
                              f"{values.max()}")
        return "".join(self.characters[int(index)] for index in values)


def _check_sampling(temperature: Any, top_k: Any, classes: int) -> tuple[float, int | None]:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating, np.integer)) \
            or not math.isfinite(temperature) or temperature < 0:
        raise ConfigError(f"temperature must be a finite number >= 0 (0: always the most likely character), "
                          f"got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1):
        raise ConfigError(f"top_k must be an integer >= 1 (keep the k most likely characters) or None, got {top_k!r}")
    return float(temperature), None if top_k is None else min(int(top_k), classes)


def sample_next(logits: np.ndarray[Any, Any], *, temperature: float = 1.0, top_k: int | None = None,
                rng: np.random.Generator) -> int:
    """One id drawn from ``softmax(logits / temperature)`` restricted to the ``top_k`` largest logits.

    ``temperature`` 0 takes the arg-max; ties of the k-th largest logit are all kept.
    """
    scores = np.asarray(logits, dtype=np.float64).reshape(-1)
    temperature, top_k = _check_sampling(temperature, top_k, scores.size)
    if temperature == 0:
        return int(np.argmax(scores))
    if top_k is not None and top_k < scores.size:
        threshold = np.partition(scores, scores.size - top_k)[scores.size - top_k]
        scores = np.where(scores >= threshold, scores, -np.inf)
    scaled = (scores - scores.max()) / temperature
    probabilities = np.exp(scaled)
    probabilities /= probabilities.sum()
    return int(rng.choice(scores.size, p=probabilities))


def _window(network: Any) -> int:
    """L, the number of ids the network was built to read; a ``ConfigError`` for other inputs."""
    shape = network.input_shape
    if shape is None or len(shape) != 1 or np.dtype(network.input_dtype).kind not in "iu":
        raise ConfigError(f"a character-level language model reads windows of integer ids (N, L) through an "
                          f"embedding first; this network takes {network.input_dtype} samples of shape {shape}")
    return int(shape[0])


def _next_logits(network: Any, context: np.ndarray[Any, Any], classes: int) -> np.ndarray[Any, Any]:
    output = network.predict(context[None, :])
    logits = output[0, -1] if output.ndim == 3 else output[0]
    if output.ndim not in (2, 3) or logits.shape != (classes,):
        raise ConfigError(f"a character-level language model outputs logits (N, {classes}) or (N, L, {classes}) over "
                          f"its {classes} characters; this network outputs {output.shape}")
    return logits


def generate(network: Any, prompt: str, *, length: int, temperature: float = 1.0, top_k: int | None = None,
             seed: int | None = None, rng: np.random.Generator | None = None,
             vocabulary: CharVocabulary | None = None) -> str:
    """``prompt`` followed by ``length`` characters sampled one at a time from ``network``.

    Each step feeds the last L ids (L: the window the network was built for; a shorter context is padded
    on the left with newlines, or spaces, where the vocabulary has them, as at the start of a text) and
    samples the next character from the logits of the last step (``sample_next``). ``vocabulary``
    defaults to the network's metadata; ``rng`` to ``default_rng(seed)``. Everything is checked before
    the first prediction.
    """
    vocabulary = vocabulary or CharVocabulary.from_metadata(getattr(network, "metadata", {}))
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise ConfigError(f"length must be an integer >= 0 (characters to generate), got {length!r}")
    _check_sampling(temperature, top_k, len(vocabulary))
    if not prompt:
        raise ConfigError("the prompt is empty: give at least one character to start from")
    ids = vocabulary.encode(prompt)
    window = _window(network)
    pad = next((character for character in ("\n", " ") if character in vocabulary), prompt[0])
    context = np.concatenate([np.full(max(window - len(ids), 0), vocabulary.encode(pad)[0]), ids])[-window:]
    rng = rng if rng is not None else np.random.default_rng(seed)
    generated = []
    for _ in range(int(length)):
        logits = _next_logits(network, context, len(vocabulary))
        next_id = sample_next(logits, temperature=temperature, top_k=top_k, rng=rng)
        generated.append(next_id)
        context = np.append(context[1:], next_id)
    return prompt + vocabulary.decode(generated)
