"""Tied weights: one Dense block applied twice, its weights shared and its gradients summed over both uses.

The model reads digits through ``Dense(64)``, then refines the 64 features twice with *the same*
``Dense(64)`` instance inside a ``sequential``, as an unrolled recurrent step would. The shared layer is
listed (and saved) once; its gradient is the sum over both places it is used.
Run: ``python examples/tied_weights.py``.
"""

from __future__ import annotations

from nnfs_core import Network
from nnfs_core.datasets import load
from nnfs_core.layers.dense import Dense
from nnfs_core.layers.sequential import Sequential


def main(epochs: int = 20, verbose: int = 1) -> float:
    """Train on the digits dataset; return the test accuracy."""
    (x_train, y_train), (x_test, y_test) = load("digits")
    step = Dense(64, activation="tanh")                       # one set of weights ...
    refine = Sequential([step, step])                         # ... used twice
    net = Network(["flatten", Dense(64, activation="relu"), refine, Dense(10)],
                  optimizer={"name": "adam", "learning_rate": 0.003}, loss="cross_entropy", seed=0)
    net.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=verbose)
    accuracy = net.evaluate(x_test, y_test)["accuracy"]
    print(f"{sum(v.size for v in step.params.values())} shared parameters, used twice; test accuracy {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()
