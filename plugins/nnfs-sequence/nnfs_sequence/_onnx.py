"""ONNX exporters of nnfs-sequence's embedding, positional, step and combinator layers (see nnfs_core.onnx).

The recurrent layers are in ``_onnx_recurrent``, attention and the Transformer layers in ``_onnx_attention``.
Sequence lengths are fixed when the network is built, so positions, tables and step indices are constants.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nnfs_core.onnx import OnnxGraph

__all__ = ["export_embedding", "export_positional_embedding", "export_sinusoidal_positional_encoding",
           "export_last_step", "export_masked_mean_pooling", "export_time_distributed", "export_masked"]


def _scalar(graph: OnnxGraph, value: float, name: str) -> str:
    return graph.weight(np.asarray(value), name)


def _norms(layer: Any, graph: OnnxGraph, rows: str) -> str:
    """The ``norm_type`` norm of each looked-up row (N, ..., 1)."""
    p = layer.norm_type
    magnitude = graph.node("Abs", [rows])
    if not math.isfinite(p):
        return graph.reduce("ReduceMax", magnitude, [-1])
    powered = graph.node("Pow", [magnitude, _scalar(graph, p, "norm_type")])
    total = graph.reduce("ReduceSum", powered, [-1])
    return graph.node("Pow", [total, _scalar(graph, 1.0 / p, "inverse_norm_type")])


def export_embedding(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Gather of the rows; with ``max_norm``, rows above it scaled by max_norm / (norm + 1e-7), as the layer
    (torch's ``embedding_renorm_``) does to the table before looking them up."""
    rows = graph.node("Gather", [graph.weight(layer.params["weight"], "weight"), x], axis=0)
    if layer.max_norm is None:
        return rows
    norms = _norms(layer, graph, rows)
    limit = _scalar(graph, layer.max_norm, "max_norm")
    factor = graph.node("Div", [limit, graph.node("Add", [norms, _scalar(graph, 1e-7, "eps")])])
    over = graph.node("Greater", [norms, limit])
    return graph.node("Mul", [rows, graph.node("Where", [over, factor, _scalar(graph, 1.0, "one")])])


def export_positional_embedding(layer: Any, graph: OnnxGraph, x: str) -> str:
    """x + weight[:L]: the first L rows of the table (all of it is in the file)."""
    steps = layer.input_shape[0]
    table = graph.node("Slice", [graph.weight(layer.params["weight"], "weight"), graph.constant([0], "starts"),
                                 graph.constant([steps], "ends"), graph.constant([0], "axes")])
    return graph.node("Add", [x, table])


def export_sinusoidal_positional_encoding(layer: Any, graph: OnnxGraph, x: str) -> str:
    """scale x + PE[:L], the table a constant."""
    steps, width = layer.input_shape
    if layer.scale != 1:
        x = graph.node("Mul", [x, _scalar(graph, layer.scale, "scale")])
    return graph.node("Add", [x, graph.weight(layer._table(steps, width), "table")])


def _real(graph: OnnxGraph, mask: str) -> str:
    """1.0 at the steps that are not padding, 0.0 at padding: (N, L) in the network's dtype."""
    dtype = int(graph._helper.np_dtype_to_tensor_dtype(graph.dtype))
    return graph.node("Cast", [graph.node("Not", [mask])], to=dtype)


def _weighted_steps(graph: OnnxGraph, weights: str, x: str) -> str:
    """sum over t of weights[n, t] x[n, t]: (N, L) and (N, L, F) -> (N, F)."""
    one_row = graph.node("Unsqueeze", [weights, graph.constant([1], "axes")])
    return graph.node("Squeeze", [graph.node("MatMul", [one_row, x]), graph.constant([1], "axes")])


def export_last_step(layer: Any, graph: OnnxGraph, x: str) -> str:
    """x[:, L - 1]; with a padding mask, each sequence's last real step (step 0 when all is padding),
    picked by a one-hot weighting of the steps."""
    steps = layer.input_shape[0]
    if graph.padding_mask is None:
        return graph.node("Gather", [x, graph.constant(steps - 1, "last")], axis=1)
    positions = graph.weight(np.arange(1, steps + 1), "positions")  # t + 1, so that no real step gives 0
    last = graph.node("Sub", [graph.reduce("ReduceMax", graph.node("Mul", [_real(graph, graph.padding_mask),
                                                                            positions]), [1]),
                              _scalar(graph, 1.0, "one")])  # (N, 1): the last real step, -1 if none
    last = graph.node("Max", [last, _scalar(graph, 0.0, "zero")])
    one_hot = graph.node("Cast", [graph.node("Equal", [graph.weight(np.arange(steps), "steps"), last])],
                         to=int(graph._helper.np_dtype_to_tensor_dtype(graph.dtype)))
    return _weighted_steps(graph, one_hot, x)


def export_masked_mean_pooling(layer: Any, graph: OnnxGraph, x: str) -> str:
    """ReduceMean over the steps; with a padding mask, the mean of the real steps (zeros when none)."""
    if graph.padding_mask is None:
        return graph.reduce("ReduceMean", x, [1], keepdims=False)
    real = _real(graph, graph.padding_mask)
    count = graph.node("Max", [graph.reduce("ReduceSum", real, [1]), _scalar(graph, 1.0, "one")])
    return _weighted_steps(graph, graph.node("Div", [real, count]), x)


def export_time_distributed(layer: Any, graph: OnnxGraph, x: str) -> str:
    """(N, L, *step) -> (N L, *step), the layer, -> (N, L, *its output)."""
    steps, *step = layer.input_shape
    y = graph.export(layer._layer, graph.reshape(x, (-1, *step)), "layer")
    return graph.reshape(y, (-1, steps, *layer._layer.output_shape))


def _padding_mask(layer: Any, graph: OnnxGraph, x: str) -> str | None:
    """The (N, L) bool mask the layer computes: ids equal to padding_idx, or steps equal to mask_value."""
    padding_idx = layer.padding_idx
    if padding_idx is None and layer.mask_value is None:
        padding_idx = getattr(layer._layers[0], "padding_idx", None)
        if padding_idx is not None:
            padding_idx %= layer._layers[0].num_embeddings
    if padding_idx is not None:
        return graph.node("Equal", [x, graph.constant(padding_idx, "padding_idx")])
    if layer.mask_value is not None:
        equal = graph.node("Cast", [graph.node("Equal", [x, _scalar(graph, layer.mask_value, "mask_value")])],
                           to=int(graph._helper.np_dtype_to_tensor_dtype(np.dtype(np.int32))))
        return graph.node("Cast", [graph.reduce("ReduceMin", equal, [2], keepdims=False)], to=9)  # 9: BOOL
    return None


def export_masked(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Its layers in order; those taking a padding mask get the one computed from the input (as in the layer,
    while the sequence keeps its L steps)."""
    mask = _padding_mask(layer, graph, x)
    steps = layer.input_shape[0]
    for name, child in layer.children():
        shape = tuple(child.input_shape)
        takes = mask is not None and getattr(child, "accepts_padding_mask", False) and len(shape) == 2 \
            and shape[0] == steps
        x = graph.export(child, x, name, padding_mask=mask if takes else None)
    return x
