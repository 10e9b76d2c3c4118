"""OnnxGraph: the ONNX graph an export builds, and what each component's exporter writes into it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nnfs_core.errors import ExportError

__all__ = ["OnnxGraph"]


class OnnxGraph:
    """The graph being exported, handed to every exporter with the name of its input tensor.

    An exporter is a function ``export(layer, graph, x) -> y``: ``x`` is the name of the tensor the layer
    receives (batch first, as its ``forward`` does), and it returns the name of the tensor holding the layer's
    output, after adding nodes (`node`) and constant tensors (`constant`, `weight`). A layer that holds layers
    exports them with `export` (``graph.export(self._body, x, "body")``), which finds their exporters.

    Names follow the network's paths: ``graph.weight(layer.params["weight"], "weight")`` inside layer 2
    becomes the initializer ``layers.2.weight``, so the ONNX file's weights read like ``state_dict`` keys.

    Attributes
    ----------
    opset : int
        The ONNX operator set the model is written for (ops whose inputs changed between opsets use it).
    dtype : numpy.dtype
        The network's floating dtype; `weight` casts to it, so the graph computes in one precision.
    path : str
        The path of the layer being exported (``"layers.2.body.0"``).
    padding_mask : str or None
        The bool (N, L) tensor marking padded steps that the layer being exported was handed, or None.
    """

    def __init__(self, opset: int, dtype: Any) -> None:
        from onnx import helper

        self.opset = int(opset)
        self.dtype = np.dtype(dtype)
        self.path = ""
        self.padding_mask: str | None = None
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._helper = helper
        self._names: set[str] = set()
        self._arrays: dict[tuple[int, str], str] = {}  # a shared array (tied weights) becomes one initializer
        self._keep: list[Any] = []  # the arrays behind _arrays' ids stay alive until the export ends

    # -- names ------------------------------------------------------------------------------------------
    def unique(self, hint: str) -> str:
        """A tensor name not used yet, made from the current path and ``hint``."""
        base = f"{self.path}.{hint}" if self.path else hint
        name, counter = base, 1
        while name in self._names:
            name, counter = f"{base}_{counter}", counter + 1
        self._names.add(name)
        return name

    @contextlib.contextmanager
    def at(self, name: str) -> Iterator[None]:
        """Inside the block, names are made under ``<path>.<name>`` (a child layer's path)."""
        outer = self.path
        self.path = f"{outer}.{name}" if outer else name
        try:
            yield
        finally:
            self.path = outer

    # -- tensors ----------------------------------------------------------------------------------------
    def weight(self, array: Any, name: str) -> str:
        """A floating constant (a parameter, running statistics) in the network's dtype; its name."""
        return self._initializer(np.asarray(array, dtype=self.dtype), name, source=array)

    def constant(self, values: Any, name: str, dtype: Any = np.int64) -> str:
        """A constant of ``dtype`` (int64 by default: shapes, axes, indices); its name."""
        return self._initializer(np.asarray(values, dtype=dtype), name, source=None)

    def _initializer(self, array: np.ndarray, name: str, *, source: Any) -> str:
        from onnx import numpy_helper

        key = (id(source), array.dtype.str)
        if source is not None and key in self._arrays:
            return self._arrays[key]
        tensor_name = self.unique(name)
        self.initializers.append(numpy_helper.from_array(np.array(array, order="C"), tensor_name))
        if source is not None:
            self._arrays[key] = tensor_name
            self._keep.append(source)
        return tensor_name

    # -- nodes ------------------------------------------------------------------------------------------
    def node(self, op_type: str, inputs: Sequence[str], *, outputs: int = 1, name: str | None = None,
             **attributes: Any) -> Any:
        """Add one ``op_type`` node; returns its output's name, or a list of ``outputs`` names when > 1.

        An empty string in ``inputs`` is an omitted optional input, as ONNX spells it.
        """
        hint = name or op_type.lower()
        names = [self.unique(hint if outputs == 1 else f"{hint}_{index}") for index in range(outputs)]
        self.nodes.append(self._helper.make_node(op_type, list(inputs), names, name=names[0], **attributes))
        return names[0] if outputs == 1 else names

    def reduce(self, op_type: str, x: str, axes: Sequence[int], *, keepdims: bool = True) -> str:
        """``ReduceMean``/``ReduceMax``/... over ``axes``: an attribute before opset 18, an input since."""
        keep = int(keepdims)
        if self.opset >= 18 or op_type == "ReduceSum":  # ReduceSum takes axes as an input since opset 13
            return self.node(op_type, [x, self.constant(list(axes), "axes")], keepdims=keep)
        return self.node(op_type, [x], axes=list(axes), keepdims=keep)

    def reshape(self, x: str, shape: Sequence[int]) -> str:
        """Reshape to ``shape`` (0 copies that axis of ``x``, -1 is inferred), e.g. ``(0, -1)`` keeps the batch."""
        return self.node("Reshape", [x, self.constant(list(shape), "shape")])

    # -- layers -----------------------------------------------------------------------------------------
    def export(self, layer: Any, x: str, name: str, *, padding_mask: str | None = None) -> str:
        """Export a child ``layer`` fed ``x`` at ``<path>.<name>`` with its exporter; its output's name.

        ``padding_mask`` names a bool (N, L) tensor, True at padded steps, that a layer taking one reads as
        `padding_mask` while its exporter runs (a ``masked`` combinator hands it to its layers); the
        layer's own children get none unless it passes it on.
        """
        from nnfs_core.onnx._exporters import exporter_of

        outer_mask = self.padding_mask
        with self.at(name):
            exporter = exporter_of(layer, self.path)
            self.padding_mask = padding_mask
            try:
                output = exporter(layer, self, x)
            finally:
                self.padding_mask = outer_mask
        if not isinstance(output, str):
            raise ExportError(f"the ONNX exporter of layer {self.path}.{name} ({type(layer).__name__}) returned "
                              f"{output!r}; an exporter returns the name of its output tensor (a str)")
        return output

    def unsupported(self, layer: Any, why: str) -> ExportError:
        """The error an exporter raises for a setting ONNX cannot express: ``raise graph.unsupported(layer, ...)``."""
        return ExportError(f"layer {self.path} ({type(layer).__name__}) cannot be exported to ONNX: {why}")
