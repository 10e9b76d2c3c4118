"""ONNX exporters of the core's layers (see nnfs_core.onnx); registered in the group ``nnfs.onnx_exporters``.

Each is ``export(layer, graph, x) -> y`` on the built layer in inference mode: names of tensors in, out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nnfs_core.onnx import OnnxGraph

__all__ = ["export_dense", "export_flatten", "export_reshape", "export_identity", "export_batch_norm",
           "export_layer_norm"]


def export_dense(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Gemm(x, W, b, transB=1) on (N, F) input; MatMul(x, W^T) (+ b) on (N, ..., F); then the activation."""
    weight = graph.weight(layer.params["weight"], "weight")
    bias = graph.weight(layer.params["bias"], "bias") if "bias" in layer.params else ""
    if len(layer.input_shape) == 1:
        y: str = graph.node("Gemm", [x, weight, bias] if bias else [x, weight], transB=1)
    else:
        y = graph.node("MatMul", [x, graph.node("Transpose", [weight], perm=[1, 0])])
        if bias:
            y = graph.node("Add", [y, bias])
    if layer._activation is not None:
        y = graph.export(layer._activation, y, "activation")
    return y


def export_flatten(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Flatten(axis=1): (N, d1, d2, ...) -> (N, d1 * d2 * ...)."""
    return graph.node("Flatten", [x], axis=1)


def export_reshape(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Reshape to (N, *output_shape), the target worked out at build."""
    return graph.reshape(x, (-1, *layer.output_shape))


def export_identity(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Identity; also dropout, which is the identity in inference."""
    return graph.node("Identity", [x])


def export_batch_norm(layer: Any, graph: OnnxGraph, x: str) -> str:
    """BatchNormalization with the running statistics (inference): channels on axis 1."""
    channels = layer.input_shape[0]
    ones, zeros = np.ones(channels, graph.dtype), np.zeros(channels, graph.dtype)
    scale = graph.weight(layer.params["weight"], "weight") if layer.affine else graph.weight(ones, "scale")
    bias = graph.weight(layer.params["bias"], "bias") if layer.affine else graph.weight(zeros, "shift")
    mean = graph.weight(layer.state["running_mean"], "running_mean")
    var = graph.weight(layer.state["running_var"], "running_var")
    return graph.node("BatchNormalization", [x, scale, bias, mean, var], epsilon=layer.eps)


def export_layer_norm(layer: Any, graph: OnnxGraph, x: str) -> str:
    """LayerNormalization over the last ``len(normalized_shape)`` axes (opset 17)."""
    axes = len(layer._axes)
    shape = tuple(layer.input_shape[-axes:])
    if layer.elementwise_affine:
        scale = graph.weight(layer.params["weight"], "weight")
        bias = graph.weight(layer.params["bias"], "bias") if layer.use_bias else ""
    else:
        scale, bias = graph.weight(np.ones(shape, graph.dtype), "scale"), ""
    inputs = [x, scale, bias] if bias else [x, scale]
    return graph.node("LayerNormalization", inputs, axis=-axes, epsilon=layer.eps)
