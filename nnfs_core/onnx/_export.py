"""Exporting a whole network: one graph input ``input`` (N, *input_shape), the layers in order, output ``output``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from nnfs_core.errors import ExportError

__all__ = ["DEFAULT_OPSET", "MIN_OPSET", "export_model", "save_onnx", "require_onnx"]

#: The opset written unless another is asked for; LayerNormalization, which layer_norm needs, arrived in 17.
DEFAULT_OPSET = 17
#: The oldest opset the exporters are written for.
MIN_OPSET = 17
INPUT, OUTPUT, BATCH = "input", "output", "N"


def require_onnx() -> Any:
    """The ``onnx`` module, or `ExportError` saying how to install it."""
    try:
        import onnx
    except ImportError as error:
        raise ExportError("ONNX export needs the onnx package: pip install 'nnfs-core[onnx]' (and onnxruntime to "
                          "run the exported model)") from error
    return onnx


def _checked_opset(opset: Any, onnx: Any) -> int:
    newest = int(onnx.defs.onnx_opset_version())
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or not MIN_OPSET <= opset <= newest:
        raise ExportError(f"opset must be an integer from {MIN_OPSET} to {newest} (the newest the installed onnx "
                          f"{onnx.__version__} knows), got {opset!r}")
    return int(opset)


def _built(network: Any) -> None:
    if not network.layers:
        raise ExportError("the network has no layers; there is nothing to export")
    if not network.built:
        if network.input_shape is None:
            raise ExportError("the network is not built and its input shape is unknown; pass input_shape= to "
                              "Network, call build(input_shape), or fit/predict once before exporting")
        network.build()


def _checked_dtype(network: Any, dtype: Any) -> np.dtype[Any]:
    if dtype is None:
        return np.dtype(network.dtype)
    try:
        chosen = np.dtype(dtype)
    except TypeError as error:
        raise ExportError(f"dtype must be a floating type such as 'float32', got {dtype!r}") from error
    if chosen not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ExportError(f"dtype must be float32 or float64, got {dtype!r}")
    return chosen


def export_model(network: Any, *, opset: int = DEFAULT_OPSET, dtype: Any = None) -> Any:
    """The network as an ``onnx.ModelProto``, checked by ``onnx.checker`` (shapes inferred).

    The graph's input ``input`` has shape (N, *network.input_shape) and the network's ``input_dtype``
    (integer ids stay int64); its output ``output`` is what ``network.predict`` returns, in the network's
    dtype, or in ``dtype`` when given: a float64 network exported as float32 has its weights cast (onnxruntime
    has no float64 kernel for some ops, Conv among them). The batch axis ``N`` is free. ``network.metadata``
    travels as the JSON metadata property ``nnfs.metadata``.
    """
    onnx = require_onnx()
    from onnx import helper

    from nnfs_core._version import __version__
    from nnfs_core.onnx._graph import OnnxGraph

    opset = _checked_opset(opset, onnx)
    _built(network)
    dtype = _checked_dtype(network, dtype)
    graph = OnnxGraph(opset, dtype)
    x = INPUT
    graph.unique(INPUT)
    for index, layer in enumerate(network.layers):
        x = graph.export(layer, x, f"layers.{index}")
    output_shape = tuple(network.layers[-1].output_shape)
    graph.nodes.append(helper.make_node("Identity", [x], [OUTPUT], name=OUTPUT))
    to_type = helper.np_dtype_to_tensor_dtype
    input_dtype = dtype if network.input_dtype.kind == "f" else network.input_dtype
    inputs = [helper.make_tensor_value_info(INPUT, to_type(input_dtype), [BATCH, *network.input_shape])]
    outputs = [helper.make_tensor_value_info(OUTPUT, to_type(dtype), [BATCH, *output_shape])]
    proto = helper.make_graph(graph.nodes, "nnfs", inputs, outputs, initializer=graph.initializers)
    model = helper.make_model(proto, opset_imports=[helper.make_opsetid("", opset)], producer_name="nnfs",
                              producer_version=__version__)
    model.ir_version = min(model.ir_version, _ir_version_of(onnx, opset))
    if network.metadata:
        helper.set_model_props(model, {"nnfs.metadata": json.dumps(network.metadata)})
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        raise ExportError(f"the exported graph does not pass onnx's checker: {error}; an exporter wrote an invalid "
                          f"node (the node names are the layers' paths)") from error
    return model


def _ir_version_of(onnx: Any, opset: int) -> int:
    """The IR version onnx pairs with ``opset``, so a runtime that reads this opset reads the file."""
    for entry in onnx.helper.VERSION_TABLE:
        if entry[2] == opset:
            return int(entry[1])
    return int(onnx.IR_VERSION)


def save_onnx(network: Any, path: str | os.PathLike[str], *, opset: int = DEFAULT_OPSET, dtype: Any = None) -> Path:
    """Export ``network`` and write it to ``path`` (``.onnx``); the path written."""
    model = export_model(network, opset=opset, dtype=dtype)
    target = Path(path)
    try:
        target.write_bytes(model.SerializeToString())
    except OSError as error:
        raise ExportError(f"cannot write the ONNX model to {target}: {error.strerror or error}") from error
    return target
