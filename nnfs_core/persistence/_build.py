"""Rebuilding a network from an untrusted header: construct, bound, build layer by layer, compare.

Building allocates every layer's parameters before they can be compared with the file's arrays, and only
a layer knows what its config will cost. So before each layer is built, its cost is bounded from what
the file really contains: the number of values in the layer's input times the two largest integers in
its config (an upper bound of what Dense, Conv, Embedding and normalisation layers allocate: Dense
in x out, Conv in x H x W x out x k) may not exceed ``max(limits.min_build_budget,
limits.budget_per_stored_value * values stored in the file)``. The per-sample input is held to the same
budget. After each layer is built its output shape is compared with
the header's before the next one is built.
"""

from __future__ import annotations

import math
from typing import Any

from nnfs_core.errors import ComponentConflictError, ComponentNotFoundError, ModelFormatError, PluginLoadError
from nnfs_core.persistence._errors import MissingComponentError
from nnfs_core.persistence._header import Header
from nnfs_core.persistence._limits import LoadLimits

__all__ = ["rebuild"]

_ENVIRONMENT = (PluginLoadError, ComponentConflictError, MissingComponentError)


def _guarded(what: str, path: str, action: Any, *args: Any) -> Any:
    """Run code of the components (constructors, build) on untrusted configs; their errors become format errors.

    A missing pack stays a (Missing)ComponentNotFoundError; a broken or clashing pack keeps its own error.
    """
    try:
        return action(*args)
    except _ENVIRONMENT:
        raise
    except ComponentNotFoundError as error:
        raise MissingComponentError(f"{path}: {what} needs a component that is not installed: {error}") from error
    except ModelFormatError:
        raise
    except Exception as error:  # noqa: BLE001 - untrusted input meets arbitrary component code
        raise ModelFormatError(f"{what}: {type(error).__name__}: {str(error)[:300]}") from error


def _integers(value: Any) -> list[int]:
    """Every integer (not bool) in a JSON value, however nested."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _check_cost(index: int, config: dict[str, Any], shape: tuple[int, ...], budget: int) -> None:
    largest = sorted((abs(value) for value in _integers(config)), reverse=True)[:2]
    if math.prod(shape) * math.prod(largest) > budget:
        raise ModelFormatError(
            f"layer {index} ({config.get('name')!r}) with config {str(config)[:200]} on inputs of shape "
            f"{list(shape)} could allocate more than {budget} values, far more than the file stores; "
            f"refused before building it (pass limits=LoadLimits(check_architecture=False) for a trusted file)"
        )


def rebuild(header: Header, path: str, limits: LoadLimits) -> Any:
    """A built network with the header's architecture (freshly initialised), its shapes checked."""
    from nnfs_core.metrics import resolve
    from nnfs_core.network import Network

    config = header.network
    if config.get("input_shape") is None:
        raise ModelFormatError("header.json: network.input_shape is missing; a saved network is always built")
    shape = tuple(config["input_shape"])
    budget = max(limits.min_build_budget, limits.budget_per_stored_value * header.stored_elements)
    if limits.check_architecture and math.prod(shape) > budget:
        raise ModelFormatError(f"network.input_shape {list(shape)} holds more than {budget} values per sample, "
                               f"far more than the file stores (pass limits=LoadLimits(check_architecture=False) "
                               f"for a trusted file)")
    network = _guarded("the architecture in header.json", path, Network.from_config, config)
    _guarded("the metrics in header.json", path, lambda: [resolve(metric) for metric in network.metrics or ()])
    network.input_shape = shape
    for index, layer_config in enumerate(config["layers"]):
        if limits.check_architecture:
            _check_cost(index, layer_config, shape, budget)
        layer = network.layers[index]
        shape = _guarded(f"layer {index} ({type(layer).__name__})", path, network._build_layer, index, shape)
        declared = header.output_shapes[index]
        if declared is not None and tuple(shape) != declared:
            raise ModelFormatError(f"layer {index} ({type(layer).__name__}) builds to output shape {list(shape)}, "
                                   f"but header.json declares {list(declared)}")
        layer.trainable = header.trainable[index]
    network.layers[0].skip_input_grad = True
    network.built = True
    return network
