"""ONNX export: a trained network as an ``.onnx`` file that onnxruntime (or any ONNX runtime) runs.

```python
net.to_onnx("model.onnx")                      # opset 17 unless opset= says otherwise
model = nnfs_core.onnx.export_model(net)       # the onnx.ModelProto, in memory
```

Needs the ``onnx`` package (``pip install 'nnfs-core[onnx]'``); importing this module does not.
Each component is exported by the function registered under its own name in the entry-point group
``nnfs.onnx_exporters`` (`registry.onnx_exporters`); the core's layers and the first-party packs register
theirs the same way an outside pack does. An exporter is ``export(layer, graph, x) -> y`` (see `OnnxGraph`).
A layer without one stops the export with `ExportError` naming its path. See docs/interop.md.
"""

from nnfs_core.onnx._export import DEFAULT_OPSET, MIN_OPSET, export_model, save_onnx
from nnfs_core.onnx._exporters import exporter_of
from nnfs_core.onnx._graph import OnnxGraph

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "OnnxGraph", "export_model", "exporter_of", "save_onnx"]
