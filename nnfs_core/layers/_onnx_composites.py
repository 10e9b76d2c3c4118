"""ONNX exporters of the core's combinators: their children are exported in place, paths kept (nnfs_core.onnx)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nnfs_core.onnx import OnnxGraph

__all__ = ["export_sequential", "export_residual", "export_branch"]


def export_sequential(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Each child in order (``<path>.0``, ``<path>.1``, ...); a child used twice is exported twice, weights once."""
    for name, child in layer.children():
        x = graph.export(child, x, name)
    return x


def export_residual(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Add(body(x), x), or Add(body(x), projection(x))."""
    body = graph.export(layer._body, x, "body")
    shortcut = x if layer._projection is None else graph.export(layer._projection, x, "projection")
    return graph.node("Add", [body, shortcut])


def export_branch(layer: Any, graph: OnnxGraph, x: str) -> str:
    """Every path on x, merged by Sum, a chain of Mul, or Concat along the per-sample axis (+1 for the batch).

    Also the exporter of add, multiply and concatenate, which are branches with a fixed merge.
    """
    outputs = [graph.export(child, x, name) for name, child in layer.children()]
    if len(outputs) == 1:
        return graph.node("Identity", outputs)
    if layer.merge == "add":
        return graph.node("Sum", outputs)
    if layer.merge == "multiply":
        product = outputs[0]
        for output in outputs[1:]:
            product = graph.node("Mul", [product, output])
        return product
    axis = layer.axis + 1 if layer.axis >= 0 else layer.axis
    return graph.node("Concat", outputs, axis=axis)
