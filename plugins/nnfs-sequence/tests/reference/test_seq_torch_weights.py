"""PyTorch weights by name for sequence models (float64): embeddings into stacked bidirectional LSTMs and a
GRU, and a transformer encoder layer (post- and pre-norm), moved both ways between nnfs and the same
nn.Sequential: torch's weights loaded with ``Network.load_torch_state_dict``, and a network trained in nnfs
loaded into torch with ``load_state_dict(strict=True)``, compared on the outputs. The recurrent modules are
torch's own classes with a forward that returns what the nnfs layer returns (names are untouched)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from nnfs_core import Network, registry

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")
nn = torch.nn

TOLERANCE = {"rtol": 1e-6, "atol": 1e-6}
DOUBLE = torch.float64
layer = registry.layers.create


def moves_both_ways(make_net: Callable[[int], Network], module: Any, x: np.ndarray) -> None:
    """torch -> nnfs and nnfs -> torch, each compared on ``x`` in inference."""
    torch.manual_seed(0)
    x_t = torch.from_numpy(x)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(0.2 * torch.randn_like(parameter))
    module.eval()
    net = make_net(1)
    assert net.load_torch_state_dict(module.state_dict()) == ([], [])
    with torch.no_grad():
        np.testing.assert_allclose(net.predict(x), module(x_t).numpy(), **TOLERANCE)

    trained = make_net(2)
    target = np.random.default_rng(3).standard_normal(trained.predict(x).shape)
    trained.fit(x, target, epochs=2, batch_size=8, verbose=0)
    module.load_state_dict({name: torch.from_numpy(value) for name, value in trained.torch_state_dict().items()},
                           strict=True)
    with torch.no_grad():
        np.testing.assert_allclose(trained.predict(x), module(x_t).numpy(), **TOLERANCE)


def recurrent(kind: Any, *args: Any, return_sequences: bool = True, **kwargs: Any) -> Any:
    """torch's nn.LSTM/GRU (batch first) returning what nnfs's layer returns: every step, or the last state."""

    class Recurrent(kind):  # type: ignore[misc, valid-type]
        def forward(self, x: Any) -> Any:  # type: ignore[override]
            output, state = super().forward(x)
            if return_sequences:
                return output
            hidden = state[0] if isinstance(state, tuple) else state
            return torch.cat([hidden[-2], hidden[-1]], dim=1) if self.bidirectional else hidden[-1]

    return Recurrent(*args, batch_first=True, dtype=DOUBLE, **kwargs)


class LastStep(nn.Module):
    def forward(self, x: Any) -> Any:
        return x[:, -1]


def test_embedding_and_stacked_bidirectional_lstm_then_gru_move_both_ways():
    def make(seed: int) -> Network:
        return Network([layer("embedding", num_embeddings=11, embedding_dim=5, padding_idx=0),
                        layer("lstm", hidden_size=4, num_layers=2, bidirectional=True),
                        layer("gru", hidden_size=6, return_sequences=False), layer("dense", output_size=3)],
                       optimizer="adam", loss="mse", input_shape=(7,), dtype="float64", seed=seed).build()

    module = nn.Sequential(nn.Embedding(11, 5, padding_idx=0, dtype=DOUBLE),
                           recurrent(nn.LSTM, 5, 4, num_layers=2, bidirectional=True),
                           recurrent(nn.GRU, 8, 6, return_sequences=False), nn.Linear(6, 3, dtype=DOUBLE))
    x = np.random.default_rng(0).integers(0, 11, size=(16, 7))
    moves_both_ways(make, module, x)


@pytest.mark.parametrize(("norm_first", "activation"), [(False, "relu"), (True, "gelu")])
def test_a_transformer_encoder_layer_model_moves_both_ways(norm_first, activation):
    def make(seed: int) -> Network:
        return Network([layer("dense", output_size=8),
                        layer("transformer_encoder_layer", num_heads=2, dim_feedforward=16, dropout=0.1,
                              norm_first=norm_first, activation=activation),
                        layer("last_step"), layer("dense", output_size=2, activation="tanh")],
                       optimizer="adam", loss="mse", input_shape=(5, 3), dtype="float64", seed=seed).build()

    module = nn.Sequential(nn.Linear(3, 8, dtype=DOUBLE),
                           nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1, activation=activation,
                                                      batch_first=True, norm_first=norm_first, dtype=DOUBLE),
                           LastStep(), nn.Linear(8, 2, dtype=DOUBLE), nn.Tanh())
    x = np.random.default_rng(0).standard_normal((16, 5, 3))
    moves_both_ways(make, module, x)
