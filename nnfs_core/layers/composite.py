"""What every layer that holds layers shares: building its children, their named arrays, shared instances.

A composite names each child (``"0"``, ``"body"``, ``"shortcut"``) and exposes the children's arrays under
``<child>.<name>`` (``body.0.weight``), both as its own ``params``/``grads``/``state`` dictionaries (the
same array objects, so an optimizer updating them updates the children) and through
``named_parameters()``/``named_state()``/``named_gradients()``, which a Network uses for nested paths
(``layers.2.body.0.weight``). A child instance used in several places is built once, listed once (under
its first path) and its gradients are summed over its uses (see `backward_through`).

A composite's cost in the load budget (`docs/file-format.md`, "The load budget") is the sum over its
children, each at its own input shape: what they hold, and per sample their scratch and outputs. Those
shapes are known only as the children are built, so while the loader builds an untrusted file it hands
the composite a guard that `build_child` asks before each child is built: every child is counted at its
real input shape, and refused, before it allocates anything. A composite builds its children with
`build_child` (the loader refuses one that built a child another way).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer, inference_shortcut, run_backward, run_forward, run_inference

__all__ = ["CompositeLayer", "forward_through", "backward_through", "infer_through", "inference_steps"]


class CompositeLayer(BaseLayer):
    """Base class of layers made of layers; subclasses list their children in `children`."""

    def children(self) -> list[tuple[str, Any]]:
        """``(name, layer)`` for every child, in the order their arrays are listed."""
        raise NotImplementedError(f"{type(self).__name__} does not list its children")

    @property
    def trainable(self) -> bool:
        """Whether the optimizer updates this block; setting it sets every layer inside too, as in Keras
        (freezing a block freezes its BatchNorm, which then keeps its running statistics)."""
        return bool(self.__dict__.get("_trainable", True))

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self.__dict__["_trainable"] = value
        try:
            children = self.children()
        except (AttributeError, NotImplementedError):  # BaseLayer.__init__, before the children are stored
            return
        for _, child in children:
            child.trainable = value

    @property
    def parallel(self) -> bool:  # type: ignore[override]
        """A composite is worth cutting over threads when one of its children is (a residual of convolutions)."""
        return any(getattr(child, "parallel", False) for _, child in self.children())

    def inference_pass(self, x: Array) -> Array:
        """The output in inference mode with no cache kept (``run_inference``). Composites whose children
        run one after another override it with `infer_through`, which folds a BatchNorm into the layer
        before it; this default is the forward pass's output."""
        return self.forward_pass(x, training=False)[0]

    def build_child(self, layer: Any, input_shape: tuple[int, ...], *, rng: np.random.Generator,
                    dtype: Any) -> tuple[int, ...]:
        """Build one child for per-sample ``input_shape`` with this layer's backend; a child already built
        (an instance used twice) is built once and must get the same shape again.

        While the loader builds an untrusted file, its guard counts the child's cost at ``input_shape``
        (and refuses it) before the child is built, and its output after."""
        if getattr(layer, "built", False) and getattr(layer, "_composite_input", None) is not None:
            if tuple(input_shape) != layer._composite_input:
                raise ShapeError(f"{type(layer).__name__} is used in two places with different input shapes "
                                 f"{layer._composite_input} and {tuple(input_shape)}; a shared layer needs one shape")
            return tuple(layer.output_shape)
        try:
            layer.ops = self.ops
        except AttributeError:
            pass
        guard = self.__dict__.get("_budget_guard")
        name = next((name for name, child in self.children() if child is layer), "?")
        if guard is not None:
            guard.before(name, layer, tuple(input_shape))
            if isinstance(layer, CompositeLayer):
                layer.__dict__["_budget_guard"] = guard.inside(name)
        try:
            output = tuple(layer.build(tuple(input_shape), rng=rng, dtype=dtype))
        except ShapeError as error:
            raise ShapeError(f"{type(self).__name__}: {type(layer).__name__} cannot take samples of shape "
                             f"{tuple(input_shape)}: {error}") from error
        finally:
            if guard is not None and isinstance(layer, CompositeLayer):
                layer.__dict__.pop("_budget_guard", None)
        layer.output_shape = output
        layer._composite_input = tuple(input_shape)
        if guard is not None:
            guard.after(name, output)
        return output

    def collect_arrays(self) -> None:
        """Expose the children's arrays as this layer's ``params``, ``grads`` and ``state`` (after building)."""
        self.params = dict(self._named("parameters"))
        self.grads = {path: np.zeros_like(value) for path, value in self.params.items()}
        self.state = dict(self._named("state"))

    def _named(self, kind: str) -> Iterator[tuple[str, Array]]:
        seen: set[int] = set()
        for name, child in self.children():
            if id(child) in seen:
                continue
            seen.add(id(child))
            nested = getattr(child, f"named_{kind}", None)
            items = nested() if callable(nested) else (child.params if kind == "parameters" else child.state).items()
            for path, value in items:
                yield f"{name}.{path}", value

    def named_parameters(self) -> Iterator[tuple[str, Array]]:
        return iter(self.params.items())

    def named_state(self) -> Iterator[tuple[str, Array]]:
        return iter(self.state.items())

    def named_gradients(self) -> Iterator[tuple[str, Array]]:
        return iter(self.grads.items())

    def named_trainable_parameters(self) -> Iterator[tuple[str, Array]]:
        """The parameters of the children that are trainable (a frozen child, or block, is left out)."""
        seen: set[int] = set()
        for name, child in self.children():
            if id(child) in seen or not getattr(child, "trainable", True):
                continue
            seen.add(id(child))
            nested = getattr(child, "named_trainable_parameters", None)
            items = nested() if callable(nested) else child.params.items()
            for path, value in items:
                yield f"{name}.{path}", value

    def gather_grads(self, sums: dict[int, dict[str, Array]]) -> None:
        """Write every child's gradients (summed over its uses, see `backward_through`) into ``grads``."""
        seen: set[int] = set()
        for name, child in self.children():
            if id(child) in seen:
                continue
            seen.add(id(child))
            child_grads = sums.get(id(child), _grads_of(child))
            for path, value in child_grads.items():
                self.grads[f"{name}.{path}"][...] = value


def _grads_of(layer: Any) -> dict[str, Array]:
    nested = getattr(layer, "named_gradients", None)
    return dict(nested()) if callable(nested) else dict(getattr(layer, "grads", {}))


def forward_through(layers: Sequence[Any], x: Array, *, training: bool) -> tuple[Array, list[Any]]:
    """Apply ``layers`` in order; returns the output and every layer's cache."""
    caches = []
    for layer in layers:
        x, cache = run_forward(layer, x, training=training)
        caches.append(cache)
    return x, caches


def infer_through(layers: Sequence[Any], x: Array) -> Array:
    """Apply ``layers`` in order in inference mode, keeping no cache (predict, evaluate, validation).

    A layer followed by one whose inference is a per-channel affine map (BatchNorm's ``inference_affine``:
    y = x scale + shift over axis 1) runs as one layer with it when it can take that map into its own weights
    (``fold_affine``: a convolution's or Dense's weight scale W, bias scale b + shift). The pair then costs
    one pass instead of two; the result is the same up to rounding (docs/architecture.md, "Inference").
    """
    for _, step in inference_steps(layers):
        x = step(x)
    return x


def inference_steps(layers: Sequence[Any]) -> Iterator[tuple[list[Any], Callable[[Array], Array]]]:
    """The steps `infer_through` takes, in order: the layers each covers (one, or a layer and the BatchNorm
    folded into it) and the function it applies. ``python -m benchmarks.profile_layers --inference``
    times them one by one."""
    index = 0
    while index < len(layers):
        folded = _folded(layers[index], layers[index + 1]) if index + 1 < len(layers) else None
        if folded is None:
            yield [layers[index]], functools.partial(run_inference, layers[index])
            index += 1
        else:
            yield list(layers[index:index + 2]), folded
            index += 2


def _folded(layer: Any, following: Any) -> Callable[[Array], Array] | None:
    """``layer`` then ``following`` as one function, when ``following`` is affine in inference and ``layer``
    can fold it; else None."""
    fold, affine = inference_shortcut(layer, "fold_affine"), inference_shortcut(following, "inference_affine")
    if fold is None or affine is None:
        return None
    scale_shift = affine()
    return None if scale_shift is None else fold(*scale_shift)


def backward_through(layers: Sequence[Any], grad: Array, caches: Sequence[Any],
                     sums: dict[int, dict[str, Array]]) -> Array:
    """Back through ``layers`` in reverse with their caches; a layer met more than once (a shared instance)
    has its gradients added up in ``sums`` (by ``id``), since each backward assigns its own."""
    for layer, cache in zip(reversed(layers), reversed(caches)):
        grad = run_backward(layer, grad, cache)
        total = sums.get(id(layer))
        if total is None:
            sums[id(layer)] = {name: np.array(value, copy=True) for name, value in _grads_of(layer).items()}
        else:
            for name, value in _grads_of(layer).items():
                total[name] += value
    return grad
