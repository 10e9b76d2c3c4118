"""PyTorch weights by name: a network's arrays under the names the equivalent torch model gives them.

The equivalent torch model is an ``nn.Sequential`` of the same layers, written module for module, with
each layer that holds layers a module whose children carry the same names. Its ``state_dict`` keys are
``<index>.<name>`` (``0.weight``, ``1.running_mean``), where a network's are ``layers.<index>.<name>``.
The rules (docs/interop.md, "PyTorch weights"):

- Every layer takes an index, parameterless ones too (ReLU, Flatten, MaxPool2D, Dropout), as in
  ``nn.Sequential``. A layer that stands for several torch modules (``Dense(64, activation="relu")`` is
  ``nn.Linear`` then ``nn.ReLU``: ``torch_modules`` is 2) takes that many indices; its arrays are those of
  the first. In a slot with a name rather than an index (``Residual``'s ``body``), such a layer is an
  ``nn.Sequential`` of its modules (``body.0.weight``).
- A layer holding layers contributes its children's names under the child's name (``body.0.weight``,
  ``self_attn.in_proj_weight``); a composite with ``torch_sequence = True`` (``Sequential``) numbers its
  children as ``nn.Sequential`` does, counting ``torch_modules``.
- A layer whose arrays differ from torch's in name or layout declares them with ``torch_names()``: a
  list of `TorchName`. BatchNorm adds torch's ``num_batches_tracked``. A layer without it keeps its
  own array names and layouts, which the first-party layers choose as torch's.

Torch is never imported: torch tensors passed to `load_torch_state_dict` are read through their
``detach().cpu().numpy()``; everything else through ``numpy.asarray``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from nnfs_core._parameters import IncompatibleKeys, _layer_items
from nnfs_core.errors import ModelFormatError, ShapeError

__all__ = ["TorchName", "torch_state_dict", "load_torch_state_dict", "torch_modules"]

Array = np.ndarray[Any, Any]


class TorchName(NamedTuple):
    """One tensor of a layer's torch module, as the layer's ``torch_names()`` declares it.

    Attributes
    ----------
    torch : str
        The tensor's name in the torch module (``"weight"``, ``"out_proj.bias"``).
    path : str or None
        The layer's own array it holds: a key of its ``params`` or ``state`` (or of its
        ``named_parameters()``/``named_state()``). ``None`` for a tensor torch has and nnfs does not keep.
    axes : tuple of int, optional
        The transpose from the layer's layout to torch's (``(1, 0)`` for a weight kept as (in, out));
        its inverse is applied on loading.
    fill : numpy array, optional
        For ``path=None``: what `torch_state_dict` writes (BatchNorm's ``num_batches_tracked``, 0). On
        loading such a tensor its shape is checked and its value is not kept.
    """

    torch: str
    path: str | None
    axes: tuple[int, ...] | None = None
    fill: Any = None


class _Entry(NamedTuple):
    """A resolved tensor: its full torch name, the array it reads and writes (None: torch-only)."""

    name: str
    target: Array | None
    axes: tuple[int, ...] | None
    fill: Any
    owner: str


def torch_modules(layer: Any) -> int:
    """How many torch modules ``layer`` stands for: its ``torch_modules`` (``Dense`` with an activation: 2), else 1."""
    count = getattr(layer, "torch_modules", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise TypeError(f"{type(layer).__name__}.torch_modules must be an integer >= 1, got {count!r}")
    return count


def _own_arrays(layer: Any) -> dict[str, Array]:
    return {**dict(_layer_items(layer, "parameters")), **dict(_layer_items(layer, "state"))}


def _declared(layer: Any, declare: Any) -> Iterator[tuple[str, Array | None, tuple[int, ...] | None, Any]]:
    arrays = _own_arrays(layer)
    names = list(declare())
    kind = type(layer).__name__
    paths = [entry.path for entry in names if entry.path is not None]
    unknown = [path for path in paths if path not in arrays]
    left_out = [path for path in arrays if path not in paths]
    if unknown or left_out:
        raise TypeError(f"{kind}.torch_names() must name each of the layer's arrays {sorted(arrays)} once; "
                        f"it names unknown {unknown} and leaves out {left_out}")
    for entry in names:
        target = None if entry.path is None else arrays[entry.path]
        if entry.axes is not None and (target is None or sorted(entry.axes) != list(range(target.ndim))):
            raise TypeError(f"{kind}.torch_names(): axes {entry.axes} of {entry.torch!r} are not a transpose "
                            f"of its array")
        if entry.path is None and entry.fill is None:
            raise TypeError(f"{kind}.torch_names(): {entry.torch!r} holds no array, so it needs a fill")
        yield entry.torch, target, entry.axes, entry.fill


def _layer_entries(layer: Any, owner: str) -> Iterator[tuple[str, Array | None, tuple[int, ...] | None, Any]]:
    """``(torch name relative to the layer's first module, array, axes, fill)`` for every tensor of ``layer``."""
    declare = getattr(layer, "torch_names", None)
    if callable(declare):
        yield from _declared(layer, declare)
        return
    arrays = _own_arrays(layer)
    children = getattr(layer, "children", None)
    covered: set[str] = set()
    if callable(children):
        seen: set[int] = set()
        sequence = bool(getattr(layer, "torch_sequence", False))
        index = 0
        for name, child in children():
            span = torch_modules(child)
            slot = str(index) if sequence else (name if span == 1 else f"{name}.0")
            index += span
            if id(child) in seen:  # a shared instance is listed once, under its first name, as its arrays are
                continue
            seen.add(id(child))
            covered.update(path for path in arrays if path.startswith(f"{name}."))
            for torch_name, target, axes, fill in _layer_entries(child, f"{owner}.{name}"):
                yield f"{slot}.{torch_name}", target, axes, fill
    for path, target in arrays.items():
        if path not in covered:
            yield path, target, None, None


def _entries(network: Any) -> list[_Entry]:
    entries: list[_Entry] = []
    index = 0
    for position, layer in enumerate(network.layers):
        for name, target, axes, fill in _layer_entries(layer, f"layers.{position}"):
            entries.append(_Entry(f"{index}.{name}", target, axes, fill, f"layers.{position}"))
        index += torch_modules(layer)
    return entries


def torch_state_dict(network: Any) -> dict[str, Array]:
    """Copies of the network's arrays under the equivalent torch model's ``state_dict`` names and layouts."""
    result: dict[str, Array] = {}
    for entry in _entries(network):
        if entry.target is None:
            value = np.array(entry.fill, copy=True)
        else:
            value = entry.target if entry.axes is None else entry.target.transpose(entry.axes)
            value = np.array(value, copy=True, order="C")
        result[entry.name] = value
    return result


def _as_array(name: str, value: Any) -> Array:
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor, read without importing torch
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ModelFormatError(f"load_torch_state_dict: {name!r} is not an array ({type(value).__name__}): "
                               f"{error}") from error
    if array.dtype.kind not in "biuf":
        raise ModelFormatError(f"load_torch_state_dict: {name!r} holds {array.dtype} values, expected numbers "
                               f"(a tensor or NumPy array)")
    return array


def load_torch_state_dict(network: Any, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
    """Copy a torch ``state_dict`` (tensors or NumPy arrays) into the network, checking every name and shape first.

    With ``strict`` the names must be exactly `torch_state_dict`'s (``ModelFormatError`` lists the missing
    and unexpected ones); without it the common names are loaded and the others returned. Shapes are
    always checked (``ShapeError``). Nothing changes when an error is raised.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"load_torch_state_dict takes a mapping of names to tensors or arrays (a torch "
                        f"model's state_dict()), got {type(state).__name__}")
    entries = {entry.name: entry for entry in _entries(network)}
    missing = [name for name in entries if name not in state]
    unexpected = [name for name in state if name not in entries]
    if strict and (missing or unexpected):
        raise ModelFormatError(f"load_torch_state_dict: the state dict does not fit this network: missing keys "
                               f"{missing}, unexpected keys {unexpected} (the names follow docs/interop.md, "
                               f"'PyTorch weights'; pass strict=False to load the names both have)")
    loads: list[tuple[Array, Array]] = []
    for name, entry in entries.items():
        if name not in state:
            continue
        value = _as_array(name, state[name])
        expected = np.shape(entry.fill) if entry.target is None else entry.target.shape
        if entry.axes is not None:
            expected = tuple(expected[axis] for axis in entry.axes)
        if value.shape != tuple(expected):
            raise ShapeError(f"load_torch_state_dict: {name!r} ({entry.owner}) has shape {value.shape} in the "
                             f"state dict but the network expects {tuple(expected)}; nothing was loaded")
        if entry.target is not None:
            loads.append((entry.target, value if entry.axes is None else value.transpose(np.argsort(entry.axes))))
    for target, value in loads:
        target[...] = value
    return IncompatibleKeys(missing, unexpected)
