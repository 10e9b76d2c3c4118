"""The seed project's first example, on real data: an MLP of Reshape, Dense and Tanh layers trained with MSE.

The seed wrote::

    MLP = Network(optimizer=SGD(...), loss=MSE())
    MLP.add(Reshape(np.product(data.shape), 1), (data.shape))
    MLP.add(Dense(100)); MLP.add(Tanh()); MLP.add(Dense(100)); MLP.add(Tanh())
    MLP.fit(training_data, learning_rate=0.001, epochs=20, batch_size=32)

Here the data are the 8x8 digits; the targets are one-hot codes in {-1, 1} so that Tanh outputs and
MSE fit them, and the predicted digit is the largest output. Run: ``python examples/seed_mlp.py``.
"""

from __future__ import annotations

import numpy as np
from nnfs_activations import Tanh
from nnfs_optim import SGD

from nnfs_core import Network
from nnfs_core.datasets import load
from nnfs_core.layers.dense import Dense
from nnfs_core.layers.reshape import Reshape
from nnfs_core.losses.mse import MSE


def main(epochs: int = 20, verbose: int = 1) -> float:
    (x_train, y_train), (x_test, y_test) = load("digits")
    images, test_images = x_train[:, 0], x_test[:, 0]          # (N, 8, 8): one sample is data.shape
    targets = np.where(np.eye(10, dtype=np.float32)[y_train] > 0, 1.0, -1.0).astype(np.float32)

    mlp = Network(optimizer=SGD(learning_rate=0.03, momentum=0.9), loss=MSE(), seed=0)
    mlp.add(Reshape((int(np.prod(images.shape[1:])),)), images.shape[1:])
    mlp.add(Dense(100))
    mlp.add(Tanh())
    mlp.add(Dense(10))
    mlp.add(Tanh())

    mlp.fit((images, targets), learning_rate=0.03, epochs=epochs, batch_size=32, verbose=verbose)
    accuracy = float(np.mean(mlp.predict(test_images).argmax(axis=1) == y_test))
    print(f"test accuracy: {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
