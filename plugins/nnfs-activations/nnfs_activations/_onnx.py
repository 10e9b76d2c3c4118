"""ONNX exporters of the activations (see nnfs_core.onnx), registered in the group ``nnfs.onnx_exporters``.

Each is ``export(layer, graph, x) -> y``. Ops newer than opset 17 (Gelu, Mish) are written out from older
ones, so every exporter works at the default opset.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nnfs_core.onnx import OnnxGraph

__all__ = ["export_relu", "export_relu6", "export_leaky_relu", "export_prelu", "export_elu", "export_selu",
           "export_celu", "export_gelu", "export_silu", "export_mish", "export_sigmoid", "export_hard_sigmoid",
           "export_tanh", "export_hard_tanh", "export_hard_swish", "export_softplus", "export_softsign",
           "export_softmax", "export_log_softmax"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _scalar(graph: OnnxGraph, value: float, name: str) -> str:
    return graph.weight(np.asarray(value), name)


def _clip(graph: OnnxGraph, x: str, low: float, high: float) -> str:
    return graph.node("Clip", [x, _scalar(graph, low, "min"), _scalar(graph, high, "max")])


def export_relu(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Relu", [x])


def export_relu6(layer: Any, graph: OnnxGraph, x: str) -> str:
    return _clip(graph, x, 0.0, 6.0)


def export_leaky_relu(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("LeakyRelu", [x], alpha=layer.negative_slope)


def export_prelu(layer: Any, graph: OnnxGraph, x: str) -> str:
    """PRelu with the slopes shaped (C, 1, ...) against the per-sample axes (channels first), or one slope."""
    weight = layer.params["weight"]
    rank = len(layer.input_shape)
    shape = (1,) if layer.num_parameters == 1 else (layer.num_parameters, *(1,) * (rank - 1))
    return graph.node("PRelu", [x, graph.weight(weight.reshape(shape), "weight")])


def export_elu(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Elu", [x], alpha=layer.alpha)


def export_selu(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Selu", [x], alpha=_SELU_ALPHA, gamma=_SELU_SCALE)


def export_celu(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Celu", [x], alpha=layer.alpha)


def export_gelu(layer: Any, graph: OnnxGraph, x: str) -> str:
    """x * Phi(x): 0.5 x (1 + erf(x / sqrt 2)), or with tanh, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if layer.approximate == "tanh":
        cube = graph.node("Mul", [graph.node("Mul", [x, x]), x])
        inner = graph.node("Add", [x, graph.node("Mul", [cube, _scalar(graph, 0.044715, "kappa")])])
        core = graph.node("Tanh", [graph.node("Mul", [inner, _scalar(graph, math.sqrt(2 / math.pi), "scale")])])
    else:
        core = graph.node("Erf", [graph.node("Mul", [x, _scalar(graph, math.sqrt(0.5), "scale")])])
    half_x = graph.node("Mul", [x, _scalar(graph, 0.5, "half")])
    return graph.node("Mul", [half_x, graph.node("Add", [core, _scalar(graph, 1.0, "one")])])


def export_silu(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Mul", [x, graph.node("Sigmoid", [x])])


def export_mish(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Mul", [x, graph.node("Tanh", [graph.node("Softplus", [x])])])


def export_sigmoid(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Sigmoid", [x])


def export_hard_sigmoid(layer: Any, graph: OnnxGraph, x: str) -> str:
    """clip(x + 3, 0, 6) / 6 = max(0, min(1, x / 6 + 1 / 2))."""
    return graph.node("HardSigmoid", [x], alpha=1 / 6, beta=0.5)


def export_tanh(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Tanh", [x])


def export_hard_tanh(layer: Any, graph: OnnxGraph, x: str) -> str:
    return _clip(graph, x, layer.min_val, layer.max_val)


def export_hard_swish(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("HardSwish", [x])


def export_softplus(layer: Any, graph: OnnxGraph, x: str) -> str:
    """softplus(beta x) / beta, and x itself where beta x > threshold (torch's linear region)."""
    beta = _scalar(graph, layer.beta, "beta")
    z = graph.node("Mul", [x, beta])
    smooth = graph.node("Div", [graph.node("Softplus", [z]), beta])
    linear = graph.node("Greater", [z, _scalar(graph, layer.threshold, "threshold")])
    return graph.node("Where", [linear, x, smooth])


def export_softsign(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Softsign", [x])


def export_softmax(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("Softmax", [x], axis=layer.axis)


def export_log_softmax(layer: Any, graph: OnnxGraph, x: str) -> str:
    return graph.node("LogSoftmax", [x], axis=layer.axis)
