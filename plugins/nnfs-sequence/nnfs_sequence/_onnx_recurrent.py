"""ONNX exporters of rnn, lstm and gru (see nnfs_core.onnx): ONNX's RNN, LSTM and GRU ops, one per layer.

ONNX stacks a cell's gate blocks in another order than torch (and nnfs) do, and takes both biases in one
input ``B`` = [b_ih, b_hh] per direction:

| layer | nnfs / torch blocks | ONNX blocks | op |
|---|---|---|---|
| lstm | i, f, g, o | i, o, f, c (c = g) | LSTM |
| gru | r, z, n | z, r, h (h = n) | GRU with linear_before_reset = 1: r * (W_hn h + b_hn), as torch |
| rnn | h | h | RNN with Tanh or Relu |

The ops run time-major (ONNX runtimes do not all take ``layout = 1``): x (N, L, F) is transposed to (L, N, F),
each layer's Y (L, D, N, H) becomes (L, N, D H) for the next, and the output is the last layer's Y back
to (N, L, D H), or its final states Y_h (D, N, H) as (N, D H) - the forward direction's last step and the
reverse direction's first, which is what the layer returns with ``return_sequences=False``. Inference has
no dropout between layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nnfs_core.onnx import OnnxGraph

__all__ = ["export_recurrent"]

_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn": [0]}  # ONNX's blocks, as indices of torch's
_OPS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def _kind(layer: Any) -> str:
    return {4: "lstm", 3: "gru", 1: "rnn"}[layer.gates]


def _blocks(array: np.ndarray, order: list[int]) -> np.ndarray:
    """The gate blocks (axis 0) of ``array`` rearranged into ONNX's order."""
    return np.concatenate([np.split(array, len(order), axis=0)[k] for k in order], axis=0)


def _layer_weights(layer: Any, graph: OnnxGraph, index: int) -> list[str]:
    """W, R and B (or no B) of one layer, both directions stacked, as the op's inputs."""
    order = _ORDER[_kind(layer)]
    w, r, b = [], [], []
    for suffix in layer._suffixes:
        names = layer._names(index, suffix)
        w.append(_blocks(layer.params[names.weight_ih], order))
        r.append(_blocks(layer.params[names.weight_hh], order))
        if layer.use_bias:
            b.append(np.concatenate([_blocks(layer.params[names.bias_ih], order),
                                     _blocks(layer.params[names.bias_hh], order)]))
    inputs = [graph.weight(np.stack(w), f"W_l{index}"), graph.weight(np.stack(r), f"R_l{index}")]
    if layer.use_bias:
        inputs.append(graph.weight(np.stack(b), f"B_l{index}"))
    return inputs


def export_recurrent(layer: Any, graph: OnnxGraph, x: str) -> str:
    """The layer's stack as ONNX LSTM / GRU / RNN ops on time-major sequences (module docstring)."""
    kind, hidden = _kind(layer), layer.hidden_size
    attributes: dict[str, Any] = {"hidden_size": hidden,
                                  "direction": "bidirectional" if layer.bidirectional else "forward"}
    if kind == "gru":
        attributes["linear_before_reset"] = 1
    if kind == "rnn":
        attributes["activations"] = ["Tanh" if layer.nonlinearity == "tanh" else "Relu"] * len(layer._suffixes)
    sequence = graph.node("Transpose", [x], perm=[1, 0, 2])
    final = ""
    for index in range(layer.num_layers):
        outputs = graph.node(_OPS[kind], [sequence, *_layer_weights(layer, graph, index)],
                             outputs=3 if kind == "lstm" else 2, name=f"{kind}_l{index}", **attributes)
        steps, final = outputs[0], outputs[1]
        sequence = graph.reshape(graph.node("Transpose", [steps], perm=[0, 2, 1, 3]), (0, 0, -1))
    if layer.return_sequences:
        return graph.node("Transpose", [sequence], perm=[1, 0, 2])
    return graph.reshape(graph.node("Transpose", [final], perm=[1, 0, 2]), (0, -1))
