"""Finding a layer's ONNX exporter: its registered name, then the ``nnfs.onnx_exporters`` entry of that name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nnfs_core import registry
from nnfs_core.errors import ExportError

__all__ = ["exporter_of", "registered_name"]

Exporter = Callable[[Any, Any, str], str]


def registered_name(layer: Any) -> str | None:
    """The name a layer or activation is registered under, or None (imports nothing new)."""
    return registry.layers.name_of(layer) or registry.activations.name_of(layer)


def exporter_of(layer: Any, path: str) -> Exporter:
    """The exporter registered under the layer's name; `ExportError` naming ``path`` when there is none."""
    what = f"layer {path} ({type(layer).__module__}.{type(layer).__qualname__})"
    name = registered_name(layer)
    if name is None:
        raise ExportError(f"{what} is not registered under any name, so no ONNX exporter can be found for it; "
                          f"register the layer (entry point in nnfs.layers, or @registry.layers.register) and its "
                          f"exporter under the same name (docs/interop.md, 'ONNX export')")
    if name not in registry.onnx_exporters:
        entry = (registry.layers if registry.layers.name_of(layer) else registry.activations).entry(name)
        raise ExportError(
            f"{what}, registered as {name!r} by {entry.distribution}, has no ONNX exporter. Upgrade "
            f"{entry.distribution} if a newer version exports it; or write one and register it in the entry-point "
            f'group nnfs.onnx_exporters as {name} = "your_pack.module:export_{registry.normalize(name)}" (or '
            f'@registry.onnx_exporters.register("{name}") in-process); see docs/interop.md, "ONNX export". '
            f"Layers that only act in training (dropout) can also be left out of the exported network")
    exporter = registry.onnx_exporters.get(name)
    if not callable(exporter):
        raise ExportError(f"the ONNX exporter registered for {name!r} is {exporter!r}, not a function "
                          f"export(layer, graph, x) -> output name")
    return exporter
