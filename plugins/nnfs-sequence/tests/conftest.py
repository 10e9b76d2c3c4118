"""What the pack's tests share: its registered names and random (config, input shape) cases for each.

The names come from the installed entry points, so a layer is tested the moment it is registered; a
registered name without a case sampler here fails the registry test instead of being skipped.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from nnfs_core import registry

PACK = "nnfs-sequence"
RECURRENT = ("rnn", "lstm", "gru")


def pack_names() -> list[str]:
    """The layer names this pack's distribution registers, as installed."""
    return sorted(entry.name for entry in registry.layers.entries()
                  if registry.normalize(entry.distribution) == registry.normalize(PACK))


def _int(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def sample_case(name: str, rng: np.random.Generator) -> tuple[dict[str, Any], tuple[int, ...]]:
    """A random (constructor arguments, per-sample input shape) for the registered ``name``.

    Recurrent cases leave dropout at 0 (deterministic): dropout has its own tests.
    """
    key = registry.normalize(name)
    if key == "embedding":
        vocabulary = _int(rng, 2, 12)
        config: dict[str, Any] = {"num_embeddings": vocabulary, "embedding_dim": _int(rng, 1, 6)}
        if rng.random() < 0.5:
            config["padding_idx"] = _int(rng, -vocabulary, vocabulary - 1)
        shape = (_int(rng, 1, 6),) if rng.random() < 0.8 else (_int(rng, 1, 3), _int(rng, 1, 3))
        return config, shape
    if key in RECURRENT:
        config = {"hidden_size": _int(rng, 1, 5), "num_layers": _int(rng, 1, 3),
                  "bidirectional": bool(rng.random() < 0.5), "return_sequences": bool(rng.random() < 0.6),
                  "use_bias": bool(rng.random() < 0.85)}
        if key == "rnn":
            config["nonlinearity"] = str(rng.choice(["tanh", "relu"]))
        return config, (_int(rng, 1, 6), _int(rng, 1, 5))
    if key == "multiheadattention":
        heads = _int(rng, 1, 3)
        config = {"num_heads": heads, "use_bias": bool(rng.random() < 0.8), "causal": bool(rng.random() < 0.4)}
        if rng.random() < 0.25:
            config["memory"] = [{"name": "dense", "output_size": heads * _int(rng, 1, 3)}]
            return config, (_int(rng, 1, 5), config["memory"][0]["output_size"])
        return config, (_int(rng, 1, 5), heads * _int(rng, 1, 3))
    if key in SHAPE_KEEPING:
        return _shape_keeping_case(key, rng)
    if key in ("laststep", "maskedmeanpooling"):
        return {}, (_int(rng, 1, 6), _int(rng, 1, 5))
    if key == "timedistributed":
        if rng.random() < 0.5:
            return ({"layer": [{"name": "dense", "output_size": _int(rng, 1, 4)}, "tanh"]},
                    (_int(rng, 1, 4), _int(rng, 1, 4)))
        return ({"layer": [{"name": "flatten"}, {"name": "dense", "output_size": _int(rng, 1, 4)}]},
                (_int(rng, 1, 4), _int(rng, 1, 3), _int(rng, 1, 3)))
    if key == "masked":
        heads = _int(rng, 1, 2)
        vocabulary = _int(rng, 3, 9)
        layers: list[Any] = [{"name": "embedding", "num_embeddings": vocabulary, "embedding_dim": 2 * heads,
                              "padding_idx": _int(rng, 0, vocabulary - 1)},
                             {"name": "multi_head_attention", "num_heads": heads},
                             str(rng.choice(["masked_mean_pooling", "last_step"]))]
        return {"layers": layers}, (_int(rng, 1, 6),)
    raise KeyError(f"no case sampler for the registered layer {name!r}: add one to tests/conftest.py")


SHAPE_KEEPING = ("positionalembedding", "sinusoidalpositionalencoding", "transformerencoderlayer",
                 "transformerdecoderlayer")


def _shape_keeping_case(key: str, rng: np.random.Generator) -> tuple[dict[str, Any], tuple[int, ...]]:
    """Layers over (N, L, E) that keep the shape: positions and Transformer blocks."""
    steps = _int(rng, 1, 5)
    if key == "positionalembedding":
        return {"max_length": steps + _int(rng, 0, 3)}, (steps, _int(rng, 1, 5))
    if key == "sinusoidalpositionalencoding":
        width = _int(rng, 1, 7)
        return {"base": float(rng.choice([100.0, 10000.0])), "scale": float(rng.choice([1.0, np.sqrt(width)]))}, \
            (steps, width)
    heads = _int(rng, 1, 2)
    width = heads * _int(rng, 3 // heads, 3)  # >= 3: a post-norm over 1 or 2 features is constant, its gradient 0
    config: dict[str, Any] = {"num_heads": heads, "dim_feedforward": _int(rng, 1, 6), "dropout": 0.0,
                              "activation": str(rng.choice(["relu", "gelu"])), "norm_first": bool(rng.random() < 0.5),
                              "use_bias": bool(rng.random() < 0.8), "causal": bool(rng.random() < 0.5),
                              "layer_norm_eps": float(rng.choice([1e-5, 1e-3]))}
    if key == "transformerdecoderlayer" and rng.random() < 0.4:
        config["memory"] = [{"name": "dense", "output_size": width}, "tanh"]
    return config, (steps, width)


def cases(name: str, count: int, seed: int) -> list[tuple[dict[str, Any], tuple[int, ...]]]:
    rng = np.random.default_rng(seed)
    return [sample_case(name, rng) for _ in range(count)]


def build(name: str, config: dict[str, Any], shape: tuple[int, ...], dtype: Any = np.float64, seed: int = 0) -> Any:
    layer = registry.layers.create(name, **config)
    layer.build(shape, rng=np.random.default_rng(seed), dtype=dtype)
    return layer


def example_batch(layer: Any, n: int, rng: np.random.Generator) -> Any:
    """Ids for an embedding (its ``example_input``), normal floats for the others."""
    return layer.example_input((n, *layer.input_shape), rng=rng, dtype=np.float64)


@pytest.fixture
def seq_cases():
    """``seq_cases(name, count, seed)``: random cases of a registered layer."""
    return cases


@pytest.fixture
def seq_batch():
    """``seq_batch(layer, n, rng)``: ids for an embedding, normal floats for the others."""
    return example_batch


@pytest.fixture
def seq_build():
    """``seq_build(name, config, shape, dtype)``: a layer created through the registry and built (seed 0)."""
    return build


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "seq_name" in metafunc.fixturenames:
        metafunc.parametrize("seq_name", pack_names())


@pytest.fixture(scope="session")
def require_fortunes():
    """Skip (or fail, with NNFS_REQUIRE_DATASETS=1 as in CI) when Debian's fortunes-min is not installed."""
    from nnfs_sequence import fortunes

    if all((fortunes.DEBIAN_DIRECTORY / name).is_file() for name in fortunes.FILES):
        return
    reason = f"Debian's fortunes-min is not installed ({fortunes.DEBIAN_DIRECTORY}; apt-get install fortunes-min)"
    if os.environ.get("NNFS_REQUIRE_DATASETS") == "1":
        pytest.fail(f"NNFS_REQUIRE_DATASETS=1 but {reason}")
    pytest.skip(reason)
