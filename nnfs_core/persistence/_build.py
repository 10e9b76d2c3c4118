"""Rebuilding a network from an untrusted header: construct, bound, build layer by layer, compare.

Building allocates every layer's parameters before they can be compared with the file's arrays, and only
a layer knows what its config will cost. So the whole network is bounded by the load budget
(`nnfs_core.persistence._budget`) first, with the output shapes the header declares, and again as
each layer is built, with the shapes the layers really build to; after each layer is built its output
shape is compared with the header's before the next one is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nnfs_core._parameters import restore_trainable
from nnfs_core.errors import ComponentConflictError, ComponentNotFoundError, ModelFormatError, PluginLoadError
from nnfs_core.persistence._budget import Budget, Tally, guarded_build
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


def _plan(network: Any, header: Header, tally: Tally) -> None:
    """Bound the network with the header's output shapes, before anything is built (up to an undeclared one)."""
    shape = tuple(header.network["input_shape"])
    for index, (layer, config) in enumerate(zip(network.layers, header.network["layers"])):
        _guarded(f"layer {index} ({type(layer).__name__})", "", tally.add_layer, index, layer, config, shape)
        declared = header.output_shapes[index]
        if declared is None:
            return
        tally.add_output(index, declared)
        shape = declared


def rebuild(header: Header, path: str, limits: LoadLimits, stored: int,
            from_config: Callable[[dict[str, Any]], Any]) -> Any:
    """A built network with the header's architecture (freshly initialised), its shapes and cost checked.

    ``stored`` is V, the values the file stores for its layers (see `_budget.stored_values`);
    ``from_config`` is ``Network.from_config``.
    """
    from nnfs_core.metrics import resolve

    config = header.network
    if config.get("input_shape") is None:
        raise ModelFormatError("header.json: network.input_shape is missing; a saved network is always built")
    shape = tuple(config["input_shape"])
    budget = Budget.of(limits, stored)
    checking = limits.check_architecture
    if checking:
        Tally(budget, shape)  # the input alone, before any component code runs
    network = _guarded("the architecture in header.json", path, from_config, config)
    _guarded("the metrics in header.json", path, lambda: [resolve(metric) for metric in network.metrics or ()])
    network.input_shape = shape
    if checking:
        _plan(network, header, Tally(budget, shape))
    tally = Tally(budget, shape)

    def build_checked(index: int, layer: Any, shape: tuple[int, ...], build: Callable[[], Any]) -> Any:
        what = f"layer {index} ({type(layer).__name__})"
        if checking:
            _guarded(what, path, tally.add_layer, index, layer, config["layers"][index], shape)
            output = _guarded(what, path, guarded_build, tally, index, layer, build)
        else:
            output = _guarded(what, path, build)
        declared = header.output_shapes[index]
        if declared is not None and tuple(output) != declared:
            raise ModelFormatError(f"{what} builds to output shape {list(output)}, "
                                   f"but header.json declares {list(declared)}")
        if checking:
            tally.add_output(index, output)
        nested = header.nested_trainable[index] if header.nested_trainable else None
        try:  # the block's flag first (its setter reaches inside it), then the children that differed from it
            restore_trainable(layer, header.trainable[index], nested)
        except ValueError as error:
            raise ModelFormatError(f"header.json: layers[{index}].nested_trainable: {error}") from None
        return output

    network.build(shape, guard=build_checked)
    return network
