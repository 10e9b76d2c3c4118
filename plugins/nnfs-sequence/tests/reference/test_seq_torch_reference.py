"""Every nnfs-sequence layer against the PyTorch module of the same meaning: outputs, input and parameter
gradients, in float64, on seeded random configurations (hidden sizes, layers, directions, lengths, biases,
padding ids), with the weights moved across by name.

Selected by ``-m reference`` (the nox ``reference`` session). Skipped without PyTorch, except where
NNFS_REQUIRE_TORCH=1 (set by that session) makes the repository's conftest fail instead.
"""

from __future__ import annotations

import math
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
    if key in ("positionalembedding", "sinusoidalpositionalencoding", "laststep", "maskedmeanpooling",
               "timedistributed", "masked"):
        return TorchUtility(key, config, shape)
    if key == "transformerencoderlayer":
        return TorchEncoderLayer(shape[-1], config)
    if key == "transformerdecoderlayer":
        return TorchDecoderLayer(shape[-1], config)
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


def causal_mask(steps: int) -> Any:
    return torch.triu(torch.ones(steps, steps, dtype=torch.bool), 1)


def transformer_options(config: dict[str, Any]) -> dict[str, Any]:
    return {"dim_feedforward": config["dim_feedforward"], "dropout": config.get("dropout", 0.1),
            "activation": config.get("activation", "relu"), "layer_norm_eps": config.get("layer_norm_eps", 1e-5),
            "batch_first": True, "norm_first": config.get("norm_first", False), "bias": config.get("use_bias", True)}


class TorchEncoderLayer(nn.TransformerEncoderLayer):
    def __init__(self, width: int, config: dict[str, Any]) -> None:
        super().__init__(width, config["num_heads"], **transformer_options(config))
        self.causal = config.get("causal", False)

    def forward(self, x: Any) -> Any:  # type: ignore[override]
        return super().forward(x, src_mask=causal_mask(x.shape[1]) if self.causal else None)


class TorchDecoderLayer(nn.TransformerDecoderLayer):
    """The decoder layer as the nnfs one runs in a list: memory = memory(x), or x itself."""

    def __init__(self, width: int, config: dict[str, Any]) -> None:
        super().__init__(width, config["num_heads"], **transformer_options(config))
        self.causal = config.get("causal", False)
        self.memory = nn.Sequential(nn.Linear(width, width), nn.Tanh()) if config.get("memory") else None

    def forward(self, x: Any) -> Any:  # type: ignore[override]
        memory = x if self.memory is None else self.memory(x)
        return super().forward(x, memory, tgt_mask=causal_mask(x.shape[1]) if self.causal else None)


class TorchUtility(nn.Module):
    """Positions, pooling, per-step layers and the masked stack written in torch (no torch module of that name)."""

    def __init__(self, key: str, config: dict[str, Any], shape: tuple[int, ...]) -> None:
        super().__init__()
        self.key, self.config = key, config
        if key == "positionalembedding":
            self.weight = nn.Parameter(torch.zeros(config["max_length"], shape[-1]))
        if key == "timedistributed":
            first = config["layer"][0]
            if first["name"] == "flatten":
                width = int(np.prod(shape[1:]))
                self.layer = nn.Sequential(nn.Flatten(), nn.Linear(width, config["layer"][1]["output_size"]))
            else:
                self.layer = nn.Sequential(nn.Linear(shape[-1], first["output_size"]), nn.Tanh())
        if key == "masked":
            embedding, attention, self.pooling = config["layers"]
            self.padding = embedding["padding_idx"]
            self.add_module("0", nn.Embedding(embedding["num_embeddings"], embedding["embedding_dim"],
                                              padding_idx=self.padding))
            self.add_module("1", TorchAttention(embedding["embedding_dim"], attention))

    def forward(self, x: Any) -> Any:
        key = self.key
        if key == "positionalembedding":
            return x + self.weight[:x.shape[1]]
        if key == "sinusoidalpositionalencoding":
            steps, width = x.shape[1:]
            position = torch.arange(steps, dtype=torch.float64)[:, None]
            div = torch.exp(torch.arange(0, width, 2, dtype=torch.float64) * (-math.log(self.config["base"]) / width))
            table = torch.zeros(steps, width, dtype=torch.float64)
            table[:, 0::2] = torch.sin(position * div)
            table[:, 1::2] = torch.cos(position * div[:width // 2])
            return x * self.config["scale"] + table
        if key == "laststep":
            return x[:, -1]
        if key == "maskedmeanpooling":
            return x.mean(dim=1)
        if key == "timedistributed":
            n, steps = x.shape[:2]
            y = self.layer(x.reshape(n * steps, *x.shape[2:]))
            return y.reshape(n, steps, *y.shape[1:])
        return self._masked(x)

    def _masked(self, ids: Any) -> Any:
        padding = ids == self.padding
        h = getattr(self, "0")(ids)
        attention = getattr(self, "1")
        h = nn.MultiheadAttention.forward(attention, h, h, h, key_padding_mask=padding, need_weights=False)[0]
        real = (~padding).to(h.dtype)
        if self.pooling == "masked_mean_pooling":
            return (h * real[..., None]).sum(dim=1) / real.sum(dim=1, keepdim=True).clamp(min=1)
        last = torch.where(real.any(dim=1), ids.shape[1] - 1 - torch.argmax(real.flip(1), dim=1), 0)
        return h[torch.arange(ids.shape[0]), last]


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


@pytest.mark.parametrize("pooling", ["masked_mean_pooling", "last_step"])
def test_masked_stack_with_padding_matches_torch(pooling):
    """Ids with padding anywhere: the embedding's padding id becomes torch's key_padding_mask, and the pooling
    leaves padded steps out, in the outputs and every gradient."""
    for seed in range(10):
        rng = np.random.default_rng(seed)
        config = {"layers": [{"name": "embedding", "num_embeddings": 6, "embedding_dim": 4, "padding_idx": 0},
                             {"name": "multi_head_attention", "num_heads": 2, "causal": False}, pooling]}
        layer = registry.layers.create("masked", **config)
        layer.build((5,), rng=rng, dtype=np.float64)
        module = TorchUtility("masked", config, (5,)).double()
        module.load_state_dict({key: torch.tensor(value) for key, value in layer.params.items()})
        ids = rng.integers(0, 6, (3, 5))
        ids[:, 0] = rng.integers(1, 6, 3)       # one real step per row at least (torch's NaN otherwise)
        ids[0, 2:] = 0                           # padding at the end, and (row 1 by chance) in the middle
        y, cache = layer.forward_pass(ids, training=True)
        y_torch = module(torch.tensor(ids))
        upstream = rng.standard_normal(y.shape)
        (y_torch * torch.tensor(upstream)).sum().backward()
        layer.backward_pass(upstream, cache)
        np.testing.assert_allclose(y, y_torch.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE)
        for key, parameter in module.named_parameters():
            np.testing.assert_allclose(layer.grads[key], parameter.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                       err_msg=key)


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_layers_with_padding_match_torch(norm_first):
    """Key padding masks through the encoder (src_key_padding_mask) and the decoder's self-attention
    (tgt_key_padding_mask), with a causal mask, via the masked combinator's forward_pass(padding_mask=)."""
    rng = np.random.default_rng(int(norm_first))
    padding = np.array([[False] * 6, [False] * 4 + [True] * 2, [False, True, False, False, True, False]])
    x = rng.standard_normal((3, 6, 4))
    for name in ("transformer_encoder_layer", "transformer_decoder_layer"):
        config = {"num_heads": 2, "dim_feedforward": 5, "dropout": 0.0, "norm_first": norm_first, "causal": True}
        layer = registry.layers.create(name, **config)
        layer.build((6, 4), rng=rng, dtype=np.float64)
        if name == "transformer_encoder_layer":
            module = nn.TransformerEncoderLayer(4, 2, 5, 0.0, batch_first=True, norm_first=norm_first).double()
        else:
            module = nn.TransformerDecoderLayer(4, 2, 5, 0.0, batch_first=True, norm_first=norm_first).double()
        module.load_state_dict({key: torch.tensor(value) for key, value in layer.params.items()})
        x_torch = torch.tensor(x, requires_grad=True)
        mask, keys = causal_mask(6), torch.tensor(padding)
        if name == "transformer_encoder_layer":
            expected = module(x_torch, src_mask=mask, src_key_padding_mask=keys)
        else:
            expected = module(x_torch, x_torch, tgt_mask=mask, tgt_key_padding_mask=keys, memory_key_padding_mask=keys)
        y, cache = layer.forward_pass(x, training=True, padding_mask=padding)
        upstream = rng.standard_normal(y.shape)
        (expected * torch.tensor(upstream)).sum().backward()
        grad_x = layer.backward_pass(upstream, cache)
        np.testing.assert_allclose(y, expected.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE, err_msg=name)
        np.testing.assert_allclose(grad_x, x_torch.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE, err_msg=name)
        for key, parameter in module.named_parameters():
            np.testing.assert_allclose(layer.grads[key], parameter.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                       err_msg=f"{name}: {key}")


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask:UserWarning")
def test_decoder_with_a_separate_memory_and_masks_matches_torch():
    """decode(x, memory, ...) / decode_backward: torch's forward(tgt, memory, masks), gradients of both inputs."""
    rng = np.random.default_rng(11)
    layer = registry.layers.create("transformer_decoder_layer", num_heads=2, dim_feedforward=7, dropout=0.0,
                                   activation="gelu")
    layer.build((4, 6), rng=rng, dtype=np.float64)
    module = nn.TransformerDecoderLayer(6, 2, 7, 0.0, activation="gelu", batch_first=True).double()
    module.load_state_dict({key: torch.tensor(value) for key, value in layer.params.items()})
    x, memory = rng.standard_normal((2, 4, 6)), rng.standard_normal((2, 7, 6))
    memory_padding = np.zeros((2, 7), dtype=bool)
    memory_padding[1, 5:] = True
    memory_mask = rng.standard_normal((4, 7))
    x_torch, memory_torch = torch.tensor(x, requires_grad=True), torch.tensor(memory, requires_grad=True)
    expected = module(x_torch, memory_torch, tgt_mask=causal_mask(4), memory_mask=torch.tensor(memory_mask),
                      memory_key_padding_mask=torch.tensor(memory_padding))
    y, cache = layer.decode(x, memory, tgt_mask=causal_mask(4).numpy(), memory_mask=memory_mask,
                            memory_key_padding_mask=memory_padding, training=True)
    upstream = rng.standard_normal(y.shape)
    (expected * torch.tensor(upstream)).sum().backward()
    grad_x, grad_memory = layer.decode_backward(upstream, cache)
    np.testing.assert_allclose(y, expected.detach().numpy(), rtol=TOLERANCE, atol=TOLERANCE)
    np.testing.assert_allclose(grad_x, x_torch.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE)
    np.testing.assert_allclose(grad_memory, memory_torch.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE)
    for key, parameter in module.named_parameters():
        np.testing.assert_allclose(layer.grads[key], parameter.grad.numpy(), rtol=TOLERANCE, atol=TOLERANCE,
                                   err_msg=key)
