"""Every nnfs-sequence layer exports to ONNX and onnxruntime computes what Network.predict does (1e-5,
float32): recurrent layers (stacked, bidirectional, gate order and both biases), attention and Transformer
layers (causal, pre-norm, padded keys), embeddings, positions, step reductions, and the masked combinator
with sequences that are partly and wholly padding.

Skipped without onnx and onnxruntime, except under NNFS_REQUIRE_ONNX=1 (the nox tests session).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("nnfs_activations")

from nnfs_core import Network, registry  # noqa: E402
from nnfs_core.testing import check_onnx_export  # noqa: E402

E, L = 4, 5
RECURRENT = [
    {"hidden_size": 3},
    {"hidden_size": 3, "num_layers": 2, "bidirectional": True},
    {"hidden_size": 2, "return_sequences": False, "bidirectional": True, "use_bias": False},
    {"hidden_size": 3, "num_layers": 2, "return_sequences": False, "dropout": 0.5},
]
TRANSFORMER = {"num_heads": 2, "dim_feedforward": 6, "dropout": 0.1}
CASES = [
    *[({"name": name, **config}, (L, E)) for name in ("rnn", "lstm", "gru") for config in RECURRENT],
    ({"name": "rnn", "hidden_size": 3, "nonlinearity": "relu", "bidirectional": True}, (L, E)),
    ({"name": "embedding", "num_embeddings": 9, "embedding_dim": E}, (L,)),
    ({"name": "embedding", "num_embeddings": 9, "embedding_dim": E, "padding_idx": -1, "max_norm": 1.5}, (L,)),
    ({"name": "embedding", "num_embeddings": 9, "embedding_dim": E, "max_norm": 1.0, "norm_type": 1.0}, (L,)),
    ({"name": "embedding", "num_embeddings": 9, "embedding_dim": E, "max_norm": 0.5, "norm_type": float("inf")},
     (L,)),
    ({"name": "multi_head_attention", "num_heads": 2}, (L, E)),
    ({"name": "multi_head_attention", "num_heads": 4, "causal": True, "use_bias": False}, (L, E)),
    ({"name": "multi_head_attention", "num_heads": 2, "memory": [{"name": "dense", "output_size": E}]}, (L, E)),
    ({"name": "transformer_encoder_layer", **TRANSFORMER}, (L, E)),
    ({"name": "transformer_encoder_layer", **TRANSFORMER, "norm_first": True, "activation": "gelu",
      "causal": True}, (L, E)),
    ({"name": "transformer_decoder_layer", **TRANSFORMER, "causal": True}, (L, E)),
    ({"name": "transformer_decoder_layer", **TRANSFORMER, "norm_first": True, "use_bias": False,
      "memory": {"name": "dense", "output_size": E}}, (L, E)),
    ({"name": "positional_embedding", "max_length": 8}, (L, E)),
    ({"name": "sinusoidal_positional_encoding"}, (L, E)),
    ({"name": "sinusoidal_positional_encoding", "base": 100.0, "scale": 2.0}, (L, 5)),
    ({"name": "last_step"}, (L, E)),
    ({"name": "masked_mean_pooling"}, (L, E)),
    ({"name": "time_distributed", "layer": [{"name": "flatten"}, {"name": "dense", "output_size": 3}]}, (3, 2, 2)),
    ({"name": "time_distributed", "layer": {"name": "conv2d", "out_channels": 2, "kernel_size": 2}}, (2, 1, 4, 4)),
]

# ids (N, L) with padding 0 at the ends, one sequence all padding, one without any
IDS = np.array([[3, 1, 4, 0, 0], [0, 0, 0, 0, 0], [5, 2, 6, 8, 7], [0, 2, 0, 7, 0]], dtype=np.int64)
MASKED = [
    [{"name": "embedding", "num_embeddings": 9, "embedding_dim": E, "padding_idx": 0},
     {"name": "multi_head_attention", "num_heads": 2}, "masked_mean_pooling"],
    [{"name": "embedding", "num_embeddings": 9, "embedding_dim": E, "padding_idx": 0},
     {"name": "transformer_encoder_layer", **TRANSFORMER, "causal": True},
     {"name": "transformer_decoder_layer", **TRANSFORMER}, "last_step"],
    [{"name": "embedding", "num_embeddings": 9, "embedding_dim": E, "padding_idx": 0},
     {"name": "lstm", "hidden_size": 3}, "last_step"],
]


def _id(case):
    config, shape = case
    return f"{config['name']}-" + ",".join(f"{k}={v}" for k, v in config.items() if k != "name")[:60]


@pytest.mark.parametrize("case", CASES, ids=[_id(case) for case in CASES])
def test_sequence_layers_export_to_what_predict_computes(case):
    config, shape = case
    check_onnx_export(registry.layers.create(config), shape)


def test_every_sequence_layer_has_an_exporter_and_a_case():
    pack = {entry.name for entry in registry.layers.entries() if entry.distribution == "nnfs-sequence"}
    assert pack == {config["name"] for config, _ in CASES} | {"masked"}
    assert [name for name in sorted(pack) if name not in registry.onnx_exporters] == []


@pytest.mark.parametrize("layers", MASKED, ids=["attention-pooling", "transformers-last-step", "lstm-last-step"])
def test_masked_layers_get_the_padding_mask_in_onnx_too(layers):
    check_onnx_export(registry.layers.create({"name": "masked", "layers": layers}), (L,), x=IDS)


def test_masked_by_padding_idx_and_by_mask_value():
    check_onnx_export(registry.layers.create({"name": "masked", "padding_idx": 0, "layers": [
        {"name": "embedding", "num_embeddings": 9, "embedding_dim": E}, "last_step"]}), (L,), x=IDS)
    x = np.random.default_rng(0).normal(size=(4, L, 3)).astype(np.float32)
    x[0, 3:] = -1.0
    x[1] = -1.0
    x[2, 1, 0] = -1.0  # one feature equal to the mask value is not a padded step
    check_onnx_export(registry.layers.create({"name": "masked", "mask_value": -1.0, "layers": [
        {"name": "dense", "output_size": E}, {"name": "multi_head_attention", "num_heads": 2}, "last_step"]}),
        (L, 3), x=x)


def test_a_character_model_exports_whole():
    net = Network([{"name": "embedding", "num_embeddings": 12, "embedding_dim": 6},
                   {"name": "sinusoidal_positional_encoding"},
                   {"name": "gru", "hidden_size": 5, "num_layers": 2},
                   {"name": "lstm", "hidden_size": 4, "return_sequences": False},
                   {"name": "dense", "output_size": 12}], input_shape=(7,), seed=0).build()
    assert net.input_dtype == np.int64
    model = check_onnx_export(net, x=np.random.default_rng(0).integers(0, 12, (3, 7)))
    assert model.graph.input[0].type.tensor_type.elem_type == 7  # INT64: the ids stay integers


@pytest.mark.parametrize("opset", [18, "newest"])
@pytest.mark.parametrize("reduction", ["last_step", "masked_mean_pooling"])
def test_reductions_take_their_axes_as_inputs_from_opset_18(opset, reduction):
    import onnx

    opset = onnx.defs.onnx_opset_version() if opset == "newest" else opset
    layers = [{"name": "embedding", "num_embeddings": 9, "embedding_dim": E, "padding_idx": 0, "max_norm": 1.0},
              reduction]  # max_norm: ReduceSum; the masked step reductions: ReduceMax, ReduceSum
    masked = registry.layers.create({"name": "masked", "layers": layers})
    assert check_onnx_export(masked, (L,), x=IDS, opset=opset).opset_import[0].version == opset
    x = np.random.default_rng(0).normal(size=(4, L, 3)).astype(np.float32)
    x[0, 2:] = 0.0
    x[1] = 0.0
    by_value = registry.layers.create({"name": "masked", "mask_value": 0.0, "layers": [reduction]})  # ReduceMin
    check_onnx_export(by_value, (L, 3), x=x, opset=opset)
