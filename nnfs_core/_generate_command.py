"""``nnfs generate MODEL --prompt TEXT``: sample text from a saved character-level language model."""

from __future__ import annotations

import argparse
from typing import Any

from nnfs_core.errors import ConfigError


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "generate", help="sample text from a saved character-level language model",
        description="Continue PROMPT with LENGTH characters sampled one at a time from a character-level language "
                    "model: a saved network that reads windows of character ids and keeps its vocabulary in its "
                    "metadata (`nnfs train examples/char-lm.toml` makes one).")
    parser.add_argument("model", help="a saved model (.nnfs) whose metadata holds its character vocabulary")
    parser.add_argument("--prompt", required=True, help="the text to continue (characters of the model's vocabulary)")
    parser.add_argument("--length", type=int, default=200, help="characters to generate (default 200)")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="divides the logits: < 1 is more conservative, 0 always takes the most likely (default 1)")
    parser.add_argument("--top-k", type=int, default=None,
                        help="sample among the K most likely characters only (default: all)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the sampling, for a repeatable text")
    parser.add_argument("--trust-file", action="store_true",
                        help="load the model without the load budget (a file you trust; see docs/file-format.md)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nnfs_core._model_commands import _load_model
    from nnfs_core.text import CharVocabulary, generate

    if args.length < 0:
        raise ConfigError(f"--length must be >= 0, got {args.length}")
    if not args.temperature >= 0 or args.temperature == float("inf"):
        raise ConfigError(f"--temperature must be a finite number >= 0, got {args.temperature}")
    if args.top_k is not None and args.top_k < 1:
        raise ConfigError(f"--top-k must be >= 1, got {args.top_k}")
    network = _load_model(args.model, args.trust_file)
    vocabulary = CharVocabulary.from_metadata(network.metadata, where=args.model)
    text = generate(network, args.prompt, length=args.length, temperature=args.temperature, top_k=args.top_k,
                    seed=args.seed, vocabulary=vocabulary)
    print(text)
    return 0
