"""Every nnfs-sequence layer against the PyTorch module of the same meaning: outputs, input and parameter
gradients, in float64, on seeded random configurations (hidden sizes, layers, directions, lengths, biases,
padding ids), with the weights moved across by name.

Selected by ``-m reference`` (the nox ``reference`` session). Skipped without PyTorch, except where
NNFS_REQUIRE_TORCH=1 (set by that session) makes the repository's conftest fail instead.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest

from nnfs_core import registry

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")
nn = torch.nn

CONFIGS_PER_LAYER = 60
RECURRENT = ("rnn", "lstm", "gru")
TOLERANCE = 1e-5


def torch_module(name: str, config: dict[str, Any], shape: tuple[int, ...]) -> Any:
    """The ``torch.nn`` module computing what ``registry.layers.create(name, **config)`` computes."""
    key = registry.normalize(name)
    if key == "embedding":
        return nn.Embedding(config["num_embeddings"], config["embedding_dim"], padding_idx=config.get("padding_idx"),
                            max_norm=config.get("max_norm"), norm_type=config.get("norm_type", 2.0))
    if key in RECURRENT:
        module = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[key]
        extra = {"nonlinearity": config["nonlinearity"]} if "nonlinearity" in config else {}
        return module(shape[-1], config["hidden_size"], num_layers=config.get("num_layers", 1),
                      bidirectional=config.get("bidirectional", False), bias=config.get("use_bias", True),
                      batch_first=True, **extra)
    if key == "multiheadattention":
        return TorchAttention(shape[-1], config)
    raise KeyError(f"no PyTorch counterpart for {name!r}: add one to torch_module")


def torch_output(name: str, config: dict[str, Any], module: Any, x: Any) -> Any:
    """What the nnfs layer returns, computed by the module (the last state for ``return_sequences=False``)."""
    if registry.normalize(name) not in RECURRENT:
        return module(x)
    output, state = module(x)
    if config.get("return_sequences", True):
        return output
    hidden = state[0] if isinstance(state, tuple) else state
    return torch.cat([hidden[-2], hidden[-1]], dim=1) if config.get("bidirectional") else hidden[-1]


class TorchAttention(nn.MultiheadAttention):
    """``nn.MultiheadAttention(batch_first=True)`` driven as the nnfs layer is: self-attention, or cross
    attention to ``memory(x)``; its state_dict names are the layer's (``memory.0.weight``, ...)."""

    def __init__(self, width: int, config: dict[str, Any]) -> None:
        super().__init__(width, config["num_heads"], bias=config.get("use_bias", True), batch_first=True)
        self.causal = config.get("causal", False)
        self.memory = None
        if config.get("memory"):
            self.memory = nn.Sequential(*(nn.Linear(width, spec["output_size"]) for spec in config["memory"]))

    def forward(self, x: Any) -> Any:  # type: ignore[override]
        source = x if self.memory is None else self.memory(x)
        mask = torch.triu(torch.ones(x.shape[1], source.shape[1], dtype=torch.bool), 1) if self.causal else None
        return super().forward(x, source, source, attn_mask=mask, need_weights=False)[0]


@pytest.fixture
def compare(seq_build, seq_batch):
    """``compare(name, config, shape, seed)``: the layer and its PyTorch module on one random batch."""

    def run(name: str, config: dict[str, Any], shape: tuple[int, ...], seed: int) -> None:
        _compare(seq_build, seq_batch, name, config, shape, seed)

    return run


def _compare(build: Any, example_batch: Any, name: str, config: dict[str, Any], shape: tuple[int, ...],
             seed: int) -> None:
    rng = np.random.default_rng(seed)
    layer = build(name, config, shape, seed=seed)
    module = torch_module(name, config, shape).double()
    module.load_state_dict({key: torch.tensor(value) for key, value in layer.params.items()})
    x = example_batch(layer, int(rng.integers(1, 5)), rng)
    floats = x.dtype.kind == "f"
    x_torch = torch.tensor(x, requires_grad=floats)
    y, cache = layer.forward_pass(x, training=True)
    y_torch = torch_output(name, config, module, x_torch)
    upstream = rng.standard_normal(y.shape)
    (y_torch * torch.tensor(upstream)).sum().backward()
    grad_x = layer.backward_pass(upstream, cache)
    where = f"{name}({config}) on input {x.shape}"
    np.testing.assert_allclose(y, y_torch.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE, err_msg=where)
    if floats:
        np.testing.assert_allclose(grad_x, x_torch.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE, err_msg=where)
    for key, parameter in module.named_parameters():
        np.testing.assert_allclose(layer.grads[key], parameter.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=f"{where}: {key}")
    for key, value in module.state_dict().items():  # max_norm rescales the table in place in both
        np.testing.assert_allclose(layer.params[key], value.numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=f"{where}: {key} after the forward")


def test_sequence_layer_matches_torch_on_random_configs(seq_name, seq_cases, compare):
    for index, (config, shape) in enumerate(seq_cases(seq_name, CONFIGS_PER_LAYER, seed=zlib.crc32(seq_name.encode()))):
        compare(seq_name, config, shape, seed=index)


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (0.5, 1.0), (2.0, 3.0)])
def test_embedding_max_norm_matches_torch(max_norm, norm_type, compare):
    for seed in range(5):
        compare("embedding", {"num_embeddings": 9, "embedding_dim": 4, "max_norm": max_norm, "norm_type": norm_type,
                              "padding_idx": 2}, (6,), seed)


def test_recurrent_layers_match_torch_on_long_sequences(compare):
    """Forty steps, so errors that grow through time would show."""
    for name in RECURRENT:
        compare(name, {"hidden_size": 8, "num_layers": 2, "bidirectional": True}, (40, 5), seed=1)
