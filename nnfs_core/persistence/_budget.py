"""The load budget: what a network described by an untrusted file may cost, bounded before it is built.

Two sums, each in array values (see ``docs/file-format.md``, "The load budget"):

- held: what building the layers allocates and keeps (parameters, gradients, state, lookup tables);
- per sample: the input, every layer's output and every layer's scratch for one sample's forward pass.

Each is compared with ``max(floor, limits.budget_per_stored_value * V)``, where ``V`` counts the values the
file stores for its layers, at most one per 4 bytes the array occupies on disk (so neither compression
nor narrow dtypes nor arrays of other parts of the file raise it). A layer states its own cost with
``build_cost(input_shape)``; for a layer that does not, a default is derived from the numbers in its
config, whatever their JSON type. A layer made of layers (`nnfs_core.layers.composite.CompositeLayer`)
costs the sum over its children, each at its own input shape: once built, from the shapes they were
built for; while the loader builds it, child by child through a `Guard` that `build_child` asks before
each child allocates anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nnfs_core.errors import ModelFormatError
from nnfs_core.persistence._limits import LoadLimits

__all__ = ["Budget", "Tally", "Guard", "layer_cost", "default_cost", "numbers", "stored_values", "network_cost",
           "guarded_build", "TRUST_HINT"]

TRUST_HINT = ("pass limits=LoadLimits(check_architecture=False) to Network.load, or --trust-file to the nnfs "
              "command, for a file you trust")
#: Bytes per credited value: a float32 file is credited each value it stores.
BYTES_PER_VALUE = 4
_HUGE = 2**128  # what a non-finite or absurd number counts as: more than any budget


@dataclass(frozen=True)
class Budget:
    """The two allowances, in values."""

    held: int
    sample: int

    @classmethod
    def of(cls, limits: LoadLimits, stored: int) -> Budget:
        scaled = limits.budget_per_stored_value * stored
        return cls(max(limits.min_build_budget, scaled), max(limits.min_sample_budget, scaled))


def stored_values(arrays: dict[str, tuple[int, int]]) -> int:
    """``V``: ``arrays`` maps each array name to (declared values, bytes it occupies in the file)."""
    return sum(min(values, size // BYTES_PER_VALUE) for name, (values, size) in arrays.items()
               if name.startswith("layers."))


def numbers(value: Any) -> list[int]:
    """ceil(|x|) of every number in a JSON value - ints, floats and numeric strings, however nested; not bools."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, (int, float, str)) and not isinstance(item, bool):
            try:
                number = float(item)
            except (ValueError, OverflowError):
                if isinstance(item, int):  # beyond float range
                    found.append(_HUGE)
                continue
            found.append(math.ceil(abs(number)) if math.isfinite(number) and abs(number) < _HUGE else _HUGE)
    return found


def default_cost(config: dict[str, Any], input_shape: Sequence[int]) -> int:
    """What an undeclared layer is assumed to hold: 4 (n a b + s^2), or 0 when no number exceeds 1.

    n is the values per sample of its input, a >= b the two largest numbers above 1 in its config (b = 1
    when there is one), s the sum of all its numbers. This covers layers whose arrays grow as input x
    size x size (Dense, convolutions) or as size^2 (recurrent layers: 4 gates of (input + hidden) x
    hidden), with their gradients.
    """
    found = numbers({key: value for key, value in config.items() if key != "name"})
    large = sorted((number for number in found if number > 1), reverse=True)
    if not large:
        return 0
    a, b = large[0], large[1] if len(large) > 1 else 1
    return 4 * (math.prod(input_shape) * a * b + sum(found) ** 2)


def _count(value: Any, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ModelFormatError(f"{who}.build_cost must return a count of values >= 0 or a pair of them, "
                               f"got {value!r:.80}")
    return value


def _is_composite(layer: Any) -> bool:
    from nnfs_core.layers.composite import CompositeLayer

    return isinstance(layer, CompositeLayer)


def _composite_cost(layer: Any) -> tuple[int, int]:
    """A built composite: the sum over its children (a shared one once) at the input shapes they were built
    for - what they hold, and per sample their scratch and their outputs."""
    held = scratch = 0
    seen: set[int] = set()
    for _, child in layer.children():
        if id(child) in seen:
            continue
        seen.add(id(child))
        shape = getattr(child, "_composite_input", None) or child.input_shape
        child_held, child_scratch = layer_cost(child, child.get_config(), shape)
        held += child_held
        scratch += child_scratch + math.prod(child.output_shape)
    return held, scratch


def layer_cost(layer: Any, config: dict[str, Any], input_shape: Sequence[int]) -> tuple[int, int]:
    """(held, scratch per sample) of ``layer`` (constructed, not built) on samples of ``input_shape``.

    A composite counts its children: built, at the shapes they were built for; not built, nothing here -
    `guarded_build` counts each child as it is built, before it allocates. A composite that declares
    ``build_cost`` (one with arrays of its own, as attention's projections) adds what it declares.
    """
    if _is_composite(layer):
        held, scratch = _composite_cost(layer) if getattr(layer, "built", False) else (0, 0)
        if getattr(layer, "build_cost", None) is None:
            return held, scratch
        own_held, own_scratch = _declared(layer, input_shape)
        return held + own_held, scratch + own_scratch
    if getattr(layer, "build_cost", None) is None:
        return default_cost(config, input_shape), 0
    return _declared(layer, input_shape)


def _declared(layer: Any, input_shape: Sequence[int]) -> tuple[int, int]:
    """What ``layer.build_cost(input_shape)`` declares, as (held, scratch per sample)."""
    declare = layer.build_cost
    who = type(layer).__name__
    cost = declare(tuple(input_shape))
    if isinstance(cost, tuple) and len(cost) == 2:
        return _count(cost[0], who), _count(cost[1], who)
    return _count(cost, who), 0


class Tally:
    """Running sums of a network's cost, checked against the budget as each term is added."""

    def __init__(self, budget: Budget, input_shape: Sequence[int]) -> None:
        self.budget = budget
        self.held = 0
        self.sample = math.prod(input_shape)
        self._check("the per-sample input", input_shape)

    def add_layer(self, index: int, layer: Any, config: dict[str, Any], input_shape: Sequence[int]) -> None:
        self.add(f"layer {index} ({config.get('name')!r:.40}, config {str(config)[:160]})",
                 *layer_cost(layer, config, input_shape), input_shape)

    def add(self, what: str, held: int, scratch: int, input_shape: Sequence[int]) -> None:
        self.held += held
        self.sample += scratch
        self._check(what, input_shape)

    def add_output(self, index: int | str, output_shape: Sequence[int]) -> None:
        self.sample += math.prod(output_shape)
        who = index if isinstance(index, str) else f"layer {index}"
        self._check(f"the output {list(output_shape)} of {who}", output_shape)

    def _check(self, what: str, shape: Sequence[int]) -> None:
        if self.held > self.budget.held:
            raise ModelFormatError(
                f"{what} on samples of shape {list(shape)} brings the values the layers hold to {self.held}, "
                f"more than the load budget of {self.budget.held} for what the file stores; refused before "
                f"building it ({TRUST_HINT})")
        if self.sample > self.budget.sample:
            raise ModelFormatError(
                f"{what} brings the values one sample's forward pass makes to {self.sample}, more than the load "
                f"budget of {self.budget.sample} for what the file stores; refused before building it "
                f"({TRUST_HINT})")


def network_cost(network: Any, budget: Budget) -> None:
    """Check a built ``network`` the way the loader will check its file (raises ModelFormatError).

    A layer that records no ``output_shape`` ends the check: the loader counts what it really builds to.
    """
    configs = network.get_config()["layers"]
    tally = Tally(budget, network.input_shape)
    shape = tuple(network.input_shape)
    for index, (layer, config) in enumerate(zip(network.layers, configs)):
        tally.add_layer(index, layer, config, shape)
        if getattr(layer, "output_shape", None) is None:
            return
        shape = tuple(layer.output_shape)
        tally.add_output(index, shape)


class Guard:
    """What a composite asks before and after building each child while the loader builds it.

    ``before`` counts the child's cost at its real input shape and raises `ModelFormatError` when the
    running sums exceed the budget, so the child allocates nothing; a child that is itself a composite
    is counted through its own children. ``after`` counts the child's output.
    """

    def __init__(self, tally: Tally, where: str, seen: set[int]) -> None:
        self.tally = tally
        self.where = where
        self.seen = seen

    def inside(self, name: str) -> Guard:
        return Guard(self.tally, f"{self.where}.{name}", self.seen)

    def before(self, name: str, layer: Any, input_shape: tuple[int, ...]) -> None:
        self.seen.add(id(layer))
        if _is_composite(layer) and getattr(layer, "build_cost", None) is None:
            return
        config = layer.get_config()
        self.tally.add(f"{self.where}.{name} ({type(layer).__name__}, config {str(config)[:160]})",
                       *layer_cost(layer, config, input_shape), input_shape)

    def after(self, name: str, output_shape: tuple[int, ...]) -> None:
        self.tally.add_output(f"{self.where}.{name}", output_shape)


def _descendants(layer: Any) -> list[Any]:
    found, stack = [], [layer]
    while stack:
        for _, child in stack.pop().children():
            found.append(child)
            if _is_composite(child):
                stack.append(child)
    return found


def guarded_build(tally: Tally, index: int, layer: Any, build: Any) -> Any:
    """``build()`` the network's layer ``index``; a composite counts each child in ``tally`` before building it.

    A composite that built a child without `CompositeLayer.build_child` escaped the count: refused.
    """
    if not _is_composite(layer):
        return build()
    seen: set[int] = set()
    layer.__dict__["_budget_guard"] = Guard(tally, f"layers.{index}", seen)
    try:
        result = build()
    finally:
        layer.__dict__.pop("_budget_guard", None)
    missed = [type(child).__name__ for child in _descendants(layer) if id(child) not in seen]
    if missed:
        raise ModelFormatError(f"layer {index} ({type(layer).__name__}) built {', '.join(missed)} without "
                               f"build_child, so the load budget could not count it first; a composite builds "
                               f"its children with CompositeLayer.build_child")
    return result
