"""The examples in examples/ run and learn (short runs)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

pytest.importorskip("nnfs_activations")
pytest.importorskip("nnfs_optim")


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seed_mlp_learns_digits():
    assert load_example("seed_mlp").main(epochs=10, verbose=0) >= 0.9


def test_seed_autoencoder_reconstructs_better_after_training():
    before, after = load_example("seed_autoencoder").main(epochs=3, verbose=0)
    assert after < 0.7 * before
