"""`nnfs train`: every shipped config trains for real (short runs) and leaves its results behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnfs_core import registry
from nnfs_core.cli import main

pytest.importorskip("nnfs_activations")
pytest.importorskip("nnfs_optim")
pytest.importorskip("nnfs_conv")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# The full MNIST/Fashion-MNIST files are not on every machine; these short runs train the same
# architectures on the embedded mnist-small (same image shape). The accuracy session uses the real ones.
SMALL = {"lenet-mnist.toml": "mnist-small", "cnn-fashion-mnist.toml": "mnist-small",
         "resnet-fashion-mnist.toml": "mnist-small"}


@pytest.mark.parametrize("config", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_every_example_config_trains(config, tmp_path, capsys):
    if config == "char-lm.toml":  # nnfs-sequence's fortunes corpus comes from Debian's fortunes-min
        from nnfs_core.datasets import describe

        info = describe(registry.datasets.get("fortunes"))
        if info is None or not info.available:
            pytest.skip("the fortunes corpus is not installed (apt-get install fortunes-min)")
    arguments = ["train", str(EXAMPLES / config), "--epochs", "1", "--output", str(tmp_path), "--quiet"]
    if config in SMALL:
        arguments += ["--dataset", SMALL[config]]
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "test" in out and "samples/s" in out
    assert (tmp_path / "history.csv").read_text().count("\n") == 2


def test_default_train_with_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "curves.png"
    assert main(["train", "--epochs", "1", "--output", str(tmp_path), "--plot", str(plot), "--quiet"]) == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Total params" in capsys.readouterr().out


def test_a_bad_config_fails_before_training(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text((EXAMPLES / "mlp-digits.toml").read_text().replace("epochs = 30", "epochs = 'many'"))
    assert main(["train", str(bad)]) == 2
    assert "epochs: must be an integer" in capsys.readouterr().err


def test_accumulate_in_a_config_groups_the_batches(tmp_path):
    from nnfs_core import Network
    from nnfs_core.datasets import load

    config = tmp_path / "accumulate.toml"
    text = (EXAMPLES / "mlp-digits.toml").read_text()
    config.write_text(text.replace("batch_size = 32", "batch_size = 32\naccumulate = 4"))
    assert main(["train", str(config), "--epochs", "1", "--output", str(tmp_path / "run"), "--quiet"]) == 0
    (x_train, _), _ = load("digits")
    batches = -(-(len(x_train) - int(len(x_train) * 0.1)) // 32)
    assert Network.load(tmp_path / "run" / "model.nnfs").optimizer.iterations == -(-batches // 4)
