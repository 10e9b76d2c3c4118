"""TextSample: print text sampled from a character-level language model while it trains."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from nnfs_core.errors import ConfigError
from nnfs_core.protocols import BaseCallback
from nnfs_core.text import CharVocabulary, generate, sample_next
from nnfs_core.validation import check_int

__all__ = ["TextSample"]


class TextSample(BaseCallback):
    """After every ``every`` epochs, print ``prompt`` continued by ``length`` sampled characters.

    For a character-level language model (see ``nnfs_core.text``) whose vocabulary is in
    ``network.metadata`` - ``nnfs train`` puts a text dataset's there. The samples are drawn with the
    callback's own Generator (seeded by ``seed``), so training is the same with or without it; they are
    kept in ``samples`` as ``(epoch, text)``. Everything is checked when fitting starts, before the first
    epoch. Prints on rank 0 only.

    Parameters
    ----------
    prompt : str
        The text to continue; its characters must be in the model's vocabulary.
    length : int
        Characters sampled after the prompt.
    temperature : float
        Divides the logits (0: the most likely character every time).
    top_k : int, optional
        Sample among the ``top_k`` most likely characters only.
    seed : int
        Seed of the sampling Generator.
    every : int
        Print after epochs ``every``, ``2 every``, ... (and after the last).
    """

    rank_zero_only = True

    def __init__(self, prompt: str = "\n", *, length: int = 200, temperature: float = 0.8, top_k: int | None = None,
                 seed: int = 0, every: int = 1) -> None:
        if not isinstance(prompt, str) or not prompt:
            raise ConfigError(f"TextSample: prompt must be a non-empty string, got {prompt!r}")
        self.prompt = prompt
        try:
            self.length = check_int("TextSample", "length", length, minimum=0)
            self.seed = check_int("TextSample", "seed", seed, minimum=0)
            self.every = check_int("TextSample", "every", every)
        except (TypeError, ValueError) as error:
            raise ConfigError(str(error)) from None
        sample_next(np.zeros(1), temperature=temperature, top_k=top_k, rng=np.random.default_rng(0))  # checks them
        self.temperature, self.top_k = temperature, top_k
        self.samples: list[tuple[int, str]] = []
        self._rng = np.random.default_rng(seed)
        self._epochs = 0

    def on_fit_start(self, network: Any, epochs: int) -> None:
        vocabulary = CharVocabulary.from_metadata(network.metadata, where="TextSample: the network")
        vocabulary.encode(self.prompt)  # unknown characters are named now, not after the first epoch
        self._epochs = epochs

    def on_epoch_end(self, network: Any, epoch: int) -> None:
        if (epoch + 1) % self.every and epoch + 1 != self._epochs:
            return
        text = generate(network, self.prompt, length=self.length, temperature=self.temperature, top_k=self.top_k,
                        rng=self._rng)
        self.samples.append((epoch + 1, text))
        print(f"--- sample after epoch {epoch + 1} (temperature {self.temperature:g}) ---\n{text}\n---",
              file=sys.stderr, flush=True)
