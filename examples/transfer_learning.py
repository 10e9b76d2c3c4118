"""Transfer learning: a digit classifier is reused to tell odd from even digits from a few labelled images.

1. Pre-train a small network to recognise the ten digits on half of the training set and save it.
2. Load it and give it a new head for the new task (odd or even, learnt from 40 images it has not seen):
   the body's weights are copied by path with ``load_state_dict(strict=False)``, the old head is left
   out. Freeze the body and train the head alone; the frozen BatchNorm keeps the running statistics it
   learnt on the source task (docs/training.md).
3. Unfreeze and fine-tune everything, the body with a ten times lower learning rate through a parameter
   group, as one does in PyTorch.

The same network trained from scratch on the same few images is the baseline. Runs in a few seconds.
Run: ``python examples/transfer_learning.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from nnfs_core import Network
from nnfs_core.datasets import load

BODY = ["layers.1", "layers.2", "layers.3"]  # the feature extractor; layers.0 flattens, layers.4 is the head


def _network(classes: int, learning_rate: float, seed: int, param_groups: list[dict] | None = None) -> Network:
    layers = ["flatten", {"name": "dense", "output_size": 64, "activation": "relu"}, "batch_norm",
              {"name": "dense", "output_size": 32, "activation": "relu"}, {"name": "dense", "output_size": classes}]
    optimizer = {"name": "adam", "learning_rate": learning_rate, "param_groups": param_groups}
    return Network(layers, optimizer=optimizer, loss="cross_entropy", seed=seed)


def main(epochs: int = 20, labelled: int = 40, verbose: int = 1, directory: str | None = None) -> dict[str, float]:
    """Run the three steps; return the test accuracies on the new task (``scratch``, ``head``, ``fine_tuned``)."""
    (x_train, y_train), (x_test, y_test) = load("digits")
    half = len(x_train) // 2
    x_few, y_few = x_train[half:][:labelled], y_train[half:][:labelled] % 2  # the new task: odd or even
    y_eval = y_test % 2

    # 1. Pre-train on the source task (the ten digits, first half of the training set) and save.
    pretrained = _network(10, 0.003, seed=0)
    pretrained.fit(x_train[:half], y_train[:half], epochs=epochs, batch_size=32, verbose=verbose)
    with tempfile.TemporaryDirectory() as scratch_dir:
        path = Path(directory or scratch_dir) / "digits.nnfs"
        pretrained.save(path)
        loaded = Network.load(path)

    # 2. A new head; the body's weights and BatchNorm statistics come from the file, by path.
    net = _network(2, 0.01, seed=1, param_groups=[{"params": BODY, "learning_rate": 0.001}])
    net.build(loaded.input_shape)
    body_state = {name: value for name, value in loaded.state_dict().items() if not name.startswith("layers.4.")}
    missing, unexpected = net.load_state_dict(body_state, strict=False)
    assert missing == ["layers.4.weight", "layers.4.bias"] and not unexpected  # only the new head is new
    net.freeze(*BODY)
    trainable = sum(param.size for param in net.trainable_parameters()[0])
    net.fit(x_few, y_few, epochs=epochs, batch_size=16, verbose=verbose)
    head = net.evaluate(x_test, y_eval)["accuracy"]

    # 3. Fine-tune everything, the body ten times slower (its parameter group).
    net.unfreeze()
    net.fit(x_few, y_few, epochs=epochs, batch_size=16, verbose=verbose)
    fine_tuned = net.evaluate(x_test, y_eval)["accuracy"]

    # The baseline: the same network from scratch on the same few images.
    baseline = _network(2, 0.01, seed=1)
    baseline.fit(x_few, y_few, epochs=2 * epochs, batch_size=16, verbose=verbose)
    scratch = baseline.evaluate(x_test, y_eval)["accuracy"]

    frozen_share = 1 - trainable / net.count_params()
    print(f"odd or even from {labelled} labelled images, test accuracy: from scratch {scratch:.3f}, "
          f"new head on the frozen body ({frozen_share:.0%} of the weights frozen) {head:.3f}, "
          f"fine-tuned {fine_tuned:.3f}")
    return {"scratch": scratch, "head": head, "fine_tuned": fine_tuned}


if __name__ == "__main__":
    main()
