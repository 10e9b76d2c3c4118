"""ONNX exporters of multi_head_attention and the Transformer layers (see nnfs_core.onnx).

Attention is written out in MatMul, Softmax and Reshape/Transpose, as the layer computes it: the in
projection (one (3E, E) weight, torch's ``in_proj_weight``), heads of size d = E / H, scores
q k^T / sqrt(d) plus the additive mask (causal, padded keys: -inf), softmax over the keys, where a row whose
keys are all masked gives zeros as in the layer (ONNX's Softmax would give NaN), and the out projection.
The Transformer layers are their sublayers: attention, LayerNormalization, the feed-forward Dense layers and
activation, with the residual Adds, post-norm or pre-norm.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nnfs_core.onnx import OnnxGraph

__all__ = ["export_multi_head_attention", "export_transformer_encoder_layer", "export_transformer_decoder_layer"]


def _projected(graph: OnnxGraph, x: str, weight: str, bias: str | None, width: int) -> list[str]:
    """x W^T (+ b) split into its three E-wide parts: q, k, v."""
    y = graph.node("MatMul", [x, graph.node("Transpose", [weight], perm=[1, 0])])
    if bias:
        y = graph.node("Add", [y, bias])
    return graph.node("Split", [y, graph.constant([width] * 3, "thirds")], outputs=3, axis=-1)


def _heads(graph: OnnxGraph, x: str, heads: int, size: int, perm: list[int]) -> str:
    """(N, L, E) -> (N, L, H, d) -> transposed by ``perm``: (N, H, L, d) or, for keys, (N, H, d, L)."""
    return graph.node("Transpose", [graph.reshape(x, (0, 0, heads, size))], perm=perm)


def attention(layer: Any, graph: OnnxGraph, query: str, memory: str, *, key_steps: int, query_steps: int,
              padding_mask: str | None, causal: bool) -> str:
    """The layer's attention from ``query`` to ``memory`` (the same tensor for self-attention); its output."""
    width, heads = layer.embed_dim, layer.num_heads
    size = width // heads
    weight = graph.weight(layer.params["in_proj_weight"], "in_proj_weight")
    bias = graph.weight(layer.params["in_proj_bias"], "in_proj_bias") if layer.use_bias else None
    q, k, v = _projected(graph, query, weight, bias, width)
    if memory != query:
        _, k, v = _projected(graph, memory, weight, bias, width)
    scores = graph.node("MatMul", [_heads(graph, q, heads, size, [0, 2, 1, 3]),
                                   _heads(graph, k, heads, size, [0, 2, 3, 1])])
    scores = graph.node("Mul", [scores, graph.weight(np.asarray(1.0 / math.sqrt(size)), "scale")])
    masked = causal or padding_mask is not None
    if causal:
        future = np.triu(np.full((query_steps, key_steps), -np.inf), k=1)
        scores = graph.node("Add", [scores, graph.weight(future, "causal_mask")])
    if padding_mask is not None:
        minus_inf = graph.node("Where", [padding_mask, graph.weight(np.asarray(-np.inf), "minus_inf"),
                                         graph.weight(np.asarray(0.0), "zero")])
        keys = graph.node("Unsqueeze", [minus_inf, graph.constant([1, 2], "axes")])  # (N, 1, 1, Lk)
        scores = graph.node("Add", [scores, keys])
    probabilities = graph.node("Softmax", [scores], axis=-1)
    if masked:  # every key masked: zeros, as the layer gives, instead of Softmax's NaN
        probabilities = graph.node("Where", [graph.node("IsNaN", [probabilities]),
                                             graph.weight(np.asarray(0.0), "zero"), probabilities])
    context = graph.node("MatMul", [probabilities, _heads(graph, v, heads, size, [0, 2, 1, 3])])
    context = graph.reshape(graph.node("Transpose", [context], perm=[0, 2, 1, 3]), (0, 0, width))
    y = graph.node("MatMul", [context, graph.node("Transpose", [graph.weight(layer.params["out_proj.weight"],
                                                                             "out_proj.weight")], perm=[1, 0])])
    if layer.use_bias:
        y = graph.node("Add", [y, graph.weight(layer.params["out_proj.bias"], "out_proj.bias")])
    return y


def export_multi_head_attention(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Self-attention on x (padded keys from a ``masked`` combinator left out), or attention to memory(x)."""
    steps = layer.input_shape[0]
    if layer._memory is None:
        return attention(layer, graph, x, x, key_steps=steps, query_steps=steps, padding_mask=graph.padding_mask,
                         causal=layer.causal)
    memory = graph.export(layer._memory, x, "memory")
    return attention(layer, graph, x, memory, key_steps=layer._memory.output_shape[0], query_steps=steps,
                     padding_mask=None, causal=layer.causal)


def _sublayer(layer: Any, graph: OnnxGraph, index: int, x: str, body: Any) -> str:
    """norm_k(x + body(x)) (post-norm) or x + body(norm_k(x)) (pre-norm); dropout is the identity."""
    norm = f"norm{index}"
    if layer.norm_first:
        return graph.node("Add", [x, body(graph.export(layer.norm_layers[norm], x, norm))])
    return graph.export(layer.norm_layers[norm], graph.node("Add", [x, body(x)]), norm)


def _feed_forward(layer: Any, graph: OnnxGraph, x: str) -> str:
    hidden = graph.export(layer.activation_layer, graph.export(layer.linear1, x, "linear1"), "activation")
    return graph.export(layer.linear2, hidden, "linear2")


def _self_attention(layer: Any, graph: OnnxGraph, mask: str | None) -> Any:
    steps = layer.input_shape[0]

    def body(a: str) -> str:
        with graph.at("self_attn"):
            return attention(layer.self_attn, graph, a, a, key_steps=steps, query_steps=steps, padding_mask=mask,
                             causal=layer.causal)
    return body


def export_transformer_encoder_layer(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Self-attention and feed-forward sublayers, each with its residual and LayerNormalization."""
    h = _sublayer(layer, graph, 1, x, _self_attention(layer, graph, graph.padding_mask))
    return _sublayer(layer, graph, 2, h, lambda a: _feed_forward(layer, graph, a))


def export_transformer_decoder_layer(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Self-attention, attention to the memory (x itself, or memory(x)) and feed-forward sublayers."""
    mask = graph.padding_mask
    if layer._memory is None:
        memory, memory_mask, memory_steps = x, mask, layer.input_shape[0]
    else:
        memory = graph.export(layer._memory, x, "memory")
        memory_mask, memory_steps = None, layer._memory.output_shape[0]

    def cross(a: str) -> str:
        with graph.at("multihead_attn"):
            return attention(layer.multihead_attn, graph, a, memory, key_steps=memory_steps,
                             query_steps=layer.input_shape[0], padding_mask=memory_mask, causal=False)

    h1 = _sublayer(layer, graph, 1, x, _self_attention(layer, graph, mask))
    h2 = _sublayer(layer, graph, 2, h1, cross)
    return _sublayer(layer, graph, 3, h2, lambda a: _feed_forward(layer, graph, a))
