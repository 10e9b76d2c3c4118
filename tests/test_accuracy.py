"""Slow end-to-end accuracy runs on real data (`nox -s accuracy`, run by CI): the figures the issues promise."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nnfs_core.cli import main
from nnfs_core.config import load_config
from nnfs_core.datasets import load

pytestmark = pytest.mark.slow
pytest.importorskip("nnfs_activations")
pytest.importorskip("nnfs_optim")
pytest.importorskip("nnfs_conv")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_default_train_reaches_96_percent_on_mnist_small(tmp_path, capsys):
    """The README's main job: `nnfs train` with the built-in default config."""
    assert main(["train", "--output", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    test_row = next(line for line in out.splitlines() if line.startswith("test "))
    accuracy = float(test_row.split()[-1])
    assert accuracy >= 0.96, out
    assert (tmp_path / "model.nnfs").is_file()


def test_cnn_on_full_fashion_mnist_reaches_90_percent():
    try:
        splits = load("fashion-mnist")
    except FileNotFoundError as error:
        if os.environ.get("NNFS_REQUIRE_DATASETS") == "1":
            raise
        pytest.skip(f"Fashion-MNIST is not on this machine: {error}")
    assert len(splits.train.x) == 60_000
    config = load_config(EXAMPLES / "cnn-fashion-mnist.toml")
    net = config.network()
    net.fit(splits.train.x, splits.train.y, epochs=config.epochs, batch_size=config.batch_size, verbose=0)
    accuracy = net.evaluate(splits.test.x, splits.test.y)["accuracy"]
    assert accuracy >= 0.90, accuracy


def test_resnet_on_full_fashion_mnist_reaches_91_percent_in_3_epochs():
    """Issue 18: residual blocks with BatchNorm and a projection, from TOML, on the full 60k training set."""
    try:
        splits = load("fashion-mnist")
    except FileNotFoundError as error:
        if os.environ.get("NNFS_REQUIRE_DATASETS") == "1":
            raise
        pytest.skip(f"Fashion-MNIST is not on this machine: {error}")
    config = load_config(EXAMPLES / "resnet-fashion-mnist.toml")
    assert config.epochs == 3
    net = config.network()
    assert any(type(layer).__name__ == "Residual" for layer in net.layers)
    net.fit(splits.train.x, splits.train.y, epochs=config.epochs, batch_size=config.batch_size, verbose=0)
    accuracy = net.evaluate(splits.test.x, splits.test.y)["accuracy"]
    assert accuracy >= 0.91, accuracy


def test_every_first_party_pack_passes_the_kit():
    from nnfs_core.testing import check_distribution

    for distribution in ("nnfs-core", "nnfs-activations", "nnfs-optim", "nnfs-conv", "nnfs-sequence", "nnfs-mpi"):
        assert check_distribution(distribution) == [], distribution
