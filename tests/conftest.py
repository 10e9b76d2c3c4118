"""Shared fixtures of the core's tests."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core.protocols import BaseOptimizer


class PlainSGD(BaseOptimizer):
    """The tiny optimizer core tests use: the core ships none (they live in nnfs-optim)."""

    def __init__(self, learning_rate: float = 0.1) -> None:
        super().__init__(learning_rate)

    def update(self, param, grad, state):
        param -= param.dtype.type(self.learning_rate) * grad


@pytest.fixture
def plain_sgd():
    """Registers ``plain_sgd`` in-process for one test and returns the class."""
    registry.optimizers.register("plain_sgd", override=True)(PlainSGD)
    yield PlainSGD
    registry.optimizers.unregister("plain_sgd")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
