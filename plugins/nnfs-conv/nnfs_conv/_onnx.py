"""ONNX exporters of nnfs-conv's layers (see nnfs_core.onnx), registered in the group ``nnfs.onnx_exporters``.

Each is ``export(layer, graph, x) -> y`` on the built layer. They use the geometry the layer worked out at
build (padding sides, output sizes, divisors, resampling matrices), so ceil_mode, "same" padding and
PyTorch's divisors come out as the layer computes them. 1-D layers run as 2-D ones of height 1, as they do
in nnfs: Unsqueeze the height, the 2-D op, Squeeze.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nnfs_core.onnx import OnnxGraph

__all__ = ["export_convolution", "export_conv_transpose2d", "export_max_pool", "export_avg_pool",
           "export_global_avg_pool2d", "export_global_max_pool2d", "export_separable", "export_pad2d",
           "export_up_sampling2d"]

_PAD_MODES = {"reflect": "reflect", "replicate": "edge"}


def _as_2d(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Unsqueeze", [x, graph.constant([2], "height")]) if layer._one_d else x


def _from_2d(layer: Any, graph: OnnxGraph, y: str) -> str:
    return graph.node("Squeeze", [y, graph.constant([2], "height")]) if layer._one_d else y


def _onnx_pads(sides: tuple[int, int, int, int]) -> list[int]:
    """(top, bottom, left, right) as ONNX's [top, left, bottom, right]."""
    top, bottom, left, right = sides
    return [top, left, bottom, right]


def _wrap(graph: OnnxGraph, x: str, axis: int, before: int, after: int) -> str:
    """Circular padding of one axis: the last ``before`` entries, x, the first ``after`` (Pad's 'wrap' is opset 19)."""
    parts = []
    if before:
        parts.append(graph.node("Slice", [x, graph.constant([-before], "starts"), graph.constant([2**62], "ends"),
                                          graph.constant([axis], "axes")]))
    parts.append(x)
    if after:
        parts.append(graph.node("Slice", [x, graph.constant([0], "starts"), graph.constant([after], "ends"),
                                          graph.constant([axis], "axes")]))
    return x if len(parts) == 1 else graph.node("Concat", parts, axis=axis)


def _padded(layer: Any, graph: OnnxGraph, x: str) -> tuple[str, list[int]]:
    """x padded by the layer's padding_mode when it is not zeros (then Conv pads nothing), and Conv's pads."""
    pads = _onnx_pads(layer._sides)
    if layer.padding_mode == "zeros" or not any(pads):
        return x, pads
    top, bottom, left, right = layer._sides
    if layer.padding_mode == "circular":
        return _wrap(graph, _wrap(graph, x, 2, top, bottom), 3, left, right), [0, 0, 0, 0]
    full = graph.constant([0, 0, top, left, 0, 0, bottom, right], "pads")
    return graph.node("Pad", [x, full], mode=_PAD_MODES[layer.padding_mode]), [0, 0, 0, 0]


def export_convolution(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Conv (groups, strides, dilations, pads) for conv1d, conv2d and depthwise_conv2d; reflect and replicate
    padding as a Pad before it, circular as slices concatenated around the input."""
    x, pads = _padded(layer, graph, _as_2d(layer, graph, x))
    weight = graph.weight(layer._as_2d(layer.params["weight"]), "weight")
    inputs = [x, weight] + ([graph.weight(layer.params["bias"], "bias")] if layer.use_bias else [])
    y = graph.node("Conv", inputs, kernel_shape=list(layer._kernel), strides=list(layer._stride),
                   dilations=list(layer._dilation), pads=pads, group=layer._groups)
    return _from_2d(layer, graph, y)


def export_conv_transpose2d(layer: Any, graph: OnnxGraph, x: str) -> str:
    """ConvTranspose with PyTorch's padding (cropped from both sides) and output_padding."""
    inputs = [x, graph.weight(layer.params["weight"], "weight")]
    if layer.use_bias:
        inputs.append(graph.weight(layer.params["bias"], "bias"))
    top, left = layer._padding
    return graph.node("ConvTranspose", inputs, kernel_shape=list(layer._kernel), strides=list(layer._stride),
                      dilations=list(layer._dilation), pads=[top, left, top, left],
                      output_padding=list(layer._output_padding), group=layer.groups)


def export_max_pool(layer: Any, graph: OnnxGraph, x: str) -> str:
    """MaxPool over the layer's padded geometry (padding never wins; the far sides cover ceil_mode)."""
    y = graph.node("MaxPool", [_as_2d(layer, graph, x)], kernel_shape=list(layer._kernel),
                   strides=list(layer._stride), dilations=list(layer._dilation), pads=_onnx_pads(layer._sides))
    return _from_2d(layer, graph, y)


def export_avg_pool(layer: Any, graph: OnnxGraph, x: str) -> str:
    """The window sums (AveragePool over zeros padding, times kh kw), divided by the layer's divisors, so
    count_include_pad, ceil_mode and divisor_override are PyTorch's as in the layer."""
    mean = graph.node("AveragePool", [_as_2d(layer, graph, x)], kernel_shape=list(layer._kernel),
                      strides=list(layer._stride), pads=_onnx_pads(layer._sides), count_include_pad=1)
    area = layer._kernel[0] * layer._kernel[1]
    y = graph.node("Mul", [mean, graph.weight(area / layer._divisor.astype(np.float64), "scale")])
    return _from_2d(layer, graph, y)


def export_global_avg_pool2d(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Flatten", [graph.node("GlobalAveragePool", [x])], axis=1)


def export_global_max_pool2d(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Flatten", [graph.node("GlobalMaxPool", [x])], axis=1)


def _rows_and_columns(graph: OnnxGraph, x: str, rows: Any, columns: Any) -> str:
    """rows @ x[n, c] @ columns^T as two MatMuls (broadcast over N and C)."""
    wide = graph.node("MatMul", [x, graph.weight(np.ascontiguousarray(columns.T), "columns")])
    return graph.node("MatMul", [graph.weight(rows, "rows"), wide])


def export_separable(layer: Any, graph: OnnxGraph, x: str) -> str:
    """adaptive_avg_pool2d: its averaging matrices applied to rows and columns."""
    return _rows_and_columns(graph, x, layer._rows, layer._columns)


def export_up_sampling2d(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Nearest: Gather of the layer's source rows and columns; bilinear: its interpolation matrices."""
    if layer.mode == "bilinear":
        return _rows_and_columns(graph, x, *layer._matrices)
    rows = graph.node("Gather", [x, graph.constant(layer._index[0], "rows")], axis=2)
    return graph.node("Gather", [rows, graph.constant(layer._index[1], "columns")], axis=3)


def export_pad2d(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Pad with the layer's value (zero_pad2d, constant_pad2d); negative sides crop, as in the layer."""
    left, right, top, bottom = layer._sides
    pads = graph.constant([0, 0, top, left, 0, 0, bottom, right], "pads")
    return graph.node("Pad", [x, pads, graph.weight(np.asarray(layer._value), "value")], mode="constant")
