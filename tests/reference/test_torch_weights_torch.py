"""PyTorch weights moved both ways between a network and the same model built in torch: an MLP (float32) and
a ResNet-style residual MLP with BatchNorm and a projection (float64). Each direction is checked on the
outputs: torch's weights (and BatchNorm statistics) loaded into nnfs, and a network trained in nnfs loaded
into torch with ``load_state_dict(strict=True)``. The conv and sequence models are in their packs' tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.layers.batch_norm import BatchNorm
from nnfs_core.layers.dense import Dense
from nnfs_core.layers.residual import Residual

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")
nn = torch.nn

TOLERANCE = {"float32": {"rtol": 1e-5, "atol": 1e-5}, "float64": {"rtol": 1e-6, "atol": 1e-6}}


def moves_both_ways(make_net: Callable[[int], Network], module: Any, x: np.ndarray, dtype: str) -> None:
    """torch -> nnfs and nnfs -> torch, each compared on ``x`` in inference."""
    torch.manual_seed(0)
    x_t = torch.from_numpy(x)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(0.2 * torch.randn_like(parameter))
        module.train()
        for _ in range(3):  # BatchNorm running statistics away from 0 and 1
            module(x_t * 2 + 1)
    module.eval()
    net = make_net(1)
    assert net.load_torch_state_dict(module.state_dict()) == ([], [])
    with torch.no_grad():
        np.testing.assert_allclose(net.predict(x), module(x_t).numpy(), **TOLERANCE[dtype])

    trained = make_net(2)
    rng = np.random.default_rng(3)
    target = rng.standard_normal(trained.predict(x).shape).astype(dtype)
    trained.fit(x * 2 + 1, target, epochs=2, batch_size=8, verbose=0)
    module.load_state_dict({name: torch.from_numpy(value) for name, value in trained.torch_state_dict().items()},
                           strict=True)
    with torch.no_grad():
        np.testing.assert_allclose(trained.predict(x), module(x_t).numpy(), **TOLERANCE[dtype])


def test_an_mlp_moves_both_ways_in_float32():
    def make(seed: int) -> Network:
        return Network([Dense(16, activation="relu"), Dense(16, activation="tanh"), "gelu", Dense(3)],
                       optimizer="adam", loss="mse", input_shape=(5,), seed=seed).build()

    module = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.GELU(), nn.Linear(16, 3))
    x = np.random.default_rng(0).standard_normal((32, 5)).astype(np.float32)
    moves_both_ways(make, module, x, "float32")


class TorchResidual(nn.Module):
    """nnfs's Residual as a torch module: children ``body`` and ``projection``, y = body(x) + projection(x)."""

    def __init__(self, body: Any, projection: Any = None) -> None:
        super().__init__()
        self.body = body
        self.projection = projection

    def forward(self, x: Any) -> Any:
        return self.body(x) + (x if self.projection is None else self.projection(x))


def test_a_residual_network_with_batch_norm_moves_both_ways_in_float64():
    def make(seed: int) -> Network:
        return Network([Dense(8, use_bias=False), BatchNorm(), "relu",
                        Residual([Dense(8, activation="relu"), BatchNorm(), Dense(8)]), "relu",
                        Residual([Dense(12), BatchNorm(), "relu"], projection=Dense(12, activation="tanh")),
                        Dense(2)], optimizer="sgd", loss="mse", input_shape=(6,), dtype="float64", seed=seed).build()

    double = torch.float64
    module = nn.Sequential(
        nn.Linear(6, 8, bias=False, dtype=double), nn.BatchNorm1d(8, dtype=double), nn.ReLU(),
        TorchResidual(nn.Sequential(nn.Linear(8, 8, dtype=double), nn.ReLU(), nn.BatchNorm1d(8, dtype=double),
                                    nn.Linear(8, 8, dtype=double))), nn.ReLU(),
        TorchResidual(nn.Sequential(nn.Linear(8, 12, dtype=double), nn.BatchNorm1d(12, dtype=double), nn.ReLU()),
                      projection=nn.Sequential(nn.Linear(8, 12, dtype=double), nn.Tanh())),
        nn.Linear(12, 2, dtype=double))
    x = np.random.default_rng(0).standard_normal((32, 6))
    moves_both_ways(make, module, x, "float64")
