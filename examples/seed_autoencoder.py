"""The seed project's second example: the 784-30-16-30-784 autoencoder with LeakyReLU(0.2), on MNIST digits.

The seed wrote::

    layers = [Reshape((1, 784), input_shape=(28, 28)), Dense(30), LeakyReLU(0.2), Dense(16), LeakyReLU(0.2),
              Dense(30), LeakyReLU(0.2), Dense(784), Reshape((28, 28))]
    MLP = Network(layers=layers, optimizer=SGD(), loss=MSE())
    MLP.fit(training_data, learning_rate=0.001, epochs=20, batch_size=32)

The network learns to reproduce each 28x28 image through a 16-number bottleneck.
Run: ``python examples/seed_autoencoder.py``.
"""

from __future__ import annotations

from nnfs_activations import LeakyReLU
from nnfs_optim import SGD

from nnfs_core import Network
from nnfs_core.datasets import load
from nnfs_core.layers.dense import Dense
from nnfs_core.layers.reshape import Reshape
from nnfs_core.losses.mse import MSE


def main(epochs: int = 20, verbose: int = 1) -> tuple[float, float]:
    """Train; return the test reconstruction MSE before and after training."""
    (x_train, _), (x_test, _) = load("mnist-small")
    images, test_images = x_train[:, 0], x_test[:, 0]           # (N, 28, 28)

    optimizer = SGD(learning_rate=0.1, momentum=0.9)
    layers = [
        Reshape((1, 784), input_shape=(28, 28)),
        Dense(30),
        LeakyReLU(0.2),
        Dense(16),
        LeakyReLU(0.2),
        Dense(30),
        LeakyReLU(0.2),
        Dense(784),
        Reshape((28, 28)),
    ]
    autoencoder = Network(layers=layers, optimizer=optimizer, loss=MSE(), seed=0)

    before = autoencoder.evaluate(test_images, test_images)["loss"]
    autoencoder.fit((images, images), learning_rate=0.1, epochs=epochs, batch_size=32, verbose=verbose)
    after = autoencoder.evaluate(test_images, test_images)["loss"]
    print(f"test reconstruction MSE: {before:.4f} before training, {after:.4f} after")
    return before, after


if __name__ == "__main__":
    main()
