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


def test_tied_weights_example_learns_digits():
    assert load_example("tied_weights").main(epochs=10, verbose=0) >= 0.9


def test_unet_denoiser_removes_masking_noise():
    import numpy as np

    from nnfs_core.config import load_config
    from nnfs_core.datasets import load

    pytest.importorskip("nnfs_conv")
    config = load_config(EXAMPLES / "unet-denoiser.toml")
    (x_train, _), (x_test, _) = load(config.dataset)
    net = config.network()
    net.fit(x_train[:2000], x_train[:2000], epochs=2, batch_size=config.batch_size, verbose=0)
    clean = x_test[:500]
    noisy = clean * (np.random.default_rng(0).random(clean.shape) >= 0.3)  # the noise the model trained on
    noise_left = float(np.mean((net.predict(noisy) - clean) ** 2))
    assert noise_left < 0.5 * float(np.mean((noisy - clean) ** 2))


def test_transfer_learning_beats_training_from_scratch_on_few_labels(tmp_path):
    accuracy = load_example("transfer_learning").main(verbose=0, directory=str(tmp_path))
    assert (tmp_path / "digits.nnfs").exists()
    assert accuracy["head"] >= accuracy["scratch"] + 0.05  # the frozen body's features carry over
    assert accuracy["fine_tuned"] >= 0.9
