"""The checks every layer (and activation) must pass."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

from nnfs_core.protocols import Layer
from nnfs_core.testing._common import (
    Check,
    check_config_round_trip,
    check_constructor_stores_only_hyperparameters,
    check_registry_round_trip,
    fail,
    fresh,
    random,
)
from nnfs_core.testing.gradcheck import GradientCheckError, gradcheck

BATCH = 3


def input_shape_of(layer: Any) -> tuple[int, ...]:
    shape: Any = getattr(layer, "_nnfs_check_input_shape", None) or getattr(layer, "example_input_shape", (3, 6, 6))
    return tuple(int(size) for size in shape)


def built(component: Any, dtype: Any = np.float64, seed: int = 0) -> tuple[Any, tuple[int, ...]]:
    layer = fresh(component)
    output_shape = layer.build(input_shape_of(component), rng=np.random.default_rng(seed), dtype=dtype)
    return layer, tuple(output_shape)


def batch(component: Any, n: int = BATCH, dtype: Any = np.float64, seed: int = 1) -> Any:
    """The layer's ``example_input`` (normal floats unless it declares otherwise, e.g. integer ids)."""
    shape = (n, *input_shape_of(component))
    make = getattr(component, "example_input", None)
    if make is None:
        return random(shape, dtype, seed)
    return np.asarray(make(shape, rng=np.random.default_rng(seed), dtype=dtype))


def takes_floats(component: Any) -> bool:
    """False for a layer fed integers (ids): it has no input gradient, so backward may return None."""
    return bool(batch(component, n=1).dtype.kind == "f")


def check_layer_protocol(component: Any) -> None:
    """The layer has every member of the Layer protocol."""
    if not isinstance(fresh(component), Layer):
        missing = [m for m in ("params", "grads", "build", "forward", "backward", "get_config")
                   if not hasattr(fresh(component), m)]
        raise fail(component, f"does not implement the Layer protocol; missing {missing}")


def check_build_infers_shapes(component: Any) -> None:
    """``build`` returns the per-sample output shape that ``forward`` then produces, batch axis kept."""
    layer, output_shape = built(component)
    if not all(isinstance(size, (int, np.integer)) and size > 0 for size in output_shape):
        raise fail(component, f"build() returned {output_shape!r}, not a tuple of positive sizes")
    for training in (False, True):
        y = layer.forward(batch(component), training=training)
        if y.shape != (BATCH, *output_shape):
            raise fail(component, f"forward(training={training}) gave {y.shape}, build() promised "
                                  f"{(BATCH, *output_shape)}")


def check_dtype_preserved(component: Any) -> None:
    """float32 in float32 out (parameters, output, input gradient), and the same for float64."""
    for dtype in (np.float32, np.float64):
        layer, _ = built(component, dtype)
        for key, value in layer.params.items():
            if value.dtype != dtype:
                raise fail(component, f"parameter {key!r} is {value.dtype} in a {np.dtype(dtype)} layer")
        y = layer.forward(batch(component, dtype=dtype), training=True)
        grad = layer.backward(np.ones_like(y))
        grad_dtype = grad.dtype if takes_floats(component) else dtype
        if y.dtype != dtype or grad_dtype != dtype:
            raise fail(component, f"a {np.dtype(dtype)} layer gave a {y.dtype} output and a {grad_dtype} gradient")


def check_input_not_modified(component: Any) -> None:
    """Neither forward nor backward writes into the arrays they are given."""
    layer, _ = built(component)
    x = batch(component)
    before = x.copy()
    y = layer.forward(x, training=True)
    upstream = np.ones_like(y)
    layer.backward(upstream)
    if not np.array_equal(x, before):
        raise fail(component, "forward/backward modified the input array in place")
    if not np.array_equal(upstream, np.ones_like(y)):
        raise fail(component, "backward modified the incoming gradient in place")


def check_deterministic_given_generator(component: Any) -> None:
    """Two builds from equally seeded Generators give identical parameters and outputs, in both modes."""
    first, _ = built(component, seed=7)
    second, _ = built(component, seed=7)
    for key in first.params:
        if not np.array_equal(first.params[key], second.params[key]):
            raise fail(component, f"parameter {key!r} differs between two builds with the same seed")
    for training in (False, True):
        x = batch(component)
        if not np.array_equal(first.forward(x, training=training), second.forward(x, training=training)):
            raise fail(component, f"forward(training={training}) is not reproducible from the Generator")


def check_batch_size_one(component: Any) -> None:
    """A batch of one sample works forward and backward."""
    layer, output_shape = built(component)
    y = layer.forward(batch(component, n=1), training=False)
    grad = layer.backward(np.ones_like(y))
    if y.shape != (1, *output_shape) or (takes_floats(component) and grad.shape != (1, *input_shape_of(component))):
        raise fail(component, "a batch of one sample gives wrong shapes")


def check_backward_shape(component: Any) -> None:
    """``backward`` returns d loss / d input of the input's shape and fills ``grads`` like ``params``."""
    layer, _ = built(component)
    x = batch(component)
    grad = layer.backward(np.ones_like(layer.forward(x, training=True)))
    if takes_floats(component) and (grad is None or grad.shape != x.shape):
        raise fail(component, f"backward returned {None if grad is None else grad.shape}, expected {x.shape}")
    if set(layer.grads) != set(layer.params):
        raise fail(component, f"grads has keys {sorted(layer.grads)}, params has {sorted(layer.params)}")
    for key, value in layer.params.items():
        if layer.grads[key].shape != value.shape:
            raise fail(component, f"grads[{key!r}] has shape {layer.grads[key].shape}, the parameter {value.shape}")


def check_gradients(component: Any) -> None:
    """Input and parameter gradients equal central finite differences (float64), in each deterministic mode."""
    for training in (False, True):
        layer, _ = built(component)
        x = batch(component)
        if training and not np.array_equal(layer.forward(x, training=True), layer.forward(x, training=True)):
            continue  # random in training (Dropout): checked in inference mode only
        try:
            gradcheck(layer, x, training=training)
        except GradientCheckError as error:
            raise fail(component, f"(training={training}) {error}") from None


def check_training_modes(component: Any) -> None:
    """Training and inference outputs are equal unless the layer declares ``training_differs``."""
    if getattr(component, "training_differs", False):
        return
    layer, _ = built(component)
    x = batch(component)
    if not np.allclose(layer.forward(x, training=True), layer.forward(x, training=False), rtol=0, atol=0):
        raise fail(component, "output depends on `training`; set the class attribute training_differs = True "
                              "if that is intended")


def _pass(layer: Any, x: Any, upstream: Any) -> tuple[Any, dict[str, Any]]:
    """One inference-mode forward and backward; copies of the input gradient and ``grads``."""
    layer.forward(x, training=False)
    grad = layer.backward(upstream.copy())
    return (None if grad is None else np.array(grad, copy=True),
            {key: np.array(value, copy=True) for key, value in layer.grads.items()})


def _differs(first: tuple[Any, dict[str, Any]], second: tuple[Any, dict[str, Any]]) -> str | None:
    """Which of two (input gradient, grads) results differ, or None when they are equal."""
    if (first[0] is None) != (second[0] is None) or (first[0] is not None and not np.allclose(
            first[0], second[0], rtol=1e-12, atol=0)):
        return "the input gradient"
    for key, value in first[1].items():
        if key not in second[1] or not np.allclose(value, second[1][key], rtol=1e-12, atol=0):
            return f"grads[{key!r}]"
    return None


def check_backward_sets_grads(component: Any) -> None:
    """``backward`` overwrites ``grads`` (never adds into them): earlier batches leave no trace."""
    used, _ = built(component)
    clean, _ = built(component)
    x = batch(component)
    upstream = np.random.default_rng(2).standard_normal(used.forward(x, training=False).shape)
    _pass(used, batch(component, seed=3), upstream)
    differing = _differs(_pass(used, x, upstream), _pass(clean, x, upstream))
    if differing:
        raise fail(component, f"{differing} after a second batch differs from a fresh layer's; backward must "
                              f"assign the gradients (grads[name][...] = ...), not add into them (+=)")


def check_backward_twice(component: Any) -> None:
    """A second ``backward`` after one ``forward`` gives the same result again, or raises (a layer that
    frees its cache should say "one backward per forward"); it never gives a different result."""
    layer, _ = built(component)
    x = batch(component)
    y = layer.forward(x, training=False)
    upstream = np.random.default_rng(2).standard_normal(y.shape)
    first = _pass(layer, x, upstream)
    try:
        again = layer.backward(upstream.copy())
    except Exception:  # noqa: BLE001 - refusing is fine (a freed cache); a different answer is not
        return
    second = (None if again is None else np.array(again, copy=True),
              {key: np.array(value, copy=True) for key, value in layer.grads.items()})
    differing = _differs(first, second)
    if differing:
        raise fail(component, f"{differing} changes when backward is called a second time after one forward; "
                              f"backward must not consume or change what forward kept")


def check_cache_owned_by_its_forward(component: Any) -> None:
    """Other forward calls between a training forward and its backward change nothing (inference calls,
    another training forward, from a callback or another thread): what backward needs is the cache
    ``forward_pass`` returned. Layers of the first release's protocol (no ``forward_pass``) are not checked."""
    from nnfs_core.protocols import STATEFUL, run_backward, run_forward

    layer, _ = built(component)
    alone, _ = built(component)
    x, other = batch(component), batch(component, seed=5)
    y, cache = run_forward(layer, x, training=True)
    if cache is STATEFUL:
        return
    upstream = np.random.default_rng(2).standard_normal(y.shape)
    run_forward(layer, other, training=False)
    run_forward(layer, other, training=True)
    interleaved_grad = run_backward(layer, upstream.copy(), cache)
    interleaved = (None if interleaved_grad is None else np.array(interleaved_grad, copy=True),
                   {key: np.array(value, copy=True) for key, value in layer.grads.items()})
    reference_grad = run_backward(alone, upstream.copy(), run_forward(alone, x, training=True)[1])
    reference = (None if reference_grad is None else np.array(reference_grad, copy=True), dict(alone.grads))
    differing = _differs(interleaved, reference)
    if differing:
        raise fail(component, f"{differing} changes when other forward calls run between a forward_pass and its "
                              f"backward_pass; keep what backward needs in the cache forward_pass returns, never "
                              f"on the layer or in a buffer another call reuses")


def check_network_save_load(component: Any) -> None:
    """In a Network, after a training-mode forward (which updates statistics such as BatchNorm's), ``save``
    then ``Network.load`` gives a network with identical outputs."""
    from nnfs_core.network import Network

    network = Network([fresh(component)], dtype="float64", seed=0).build(input_shape_of(component))
    x = batch(component)
    network.layers[0].forward(batch(component, seed=4), training=True)
    expected = network.predict(x)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.nnfs")
        network.save(path)
        loaded = Network.load(path)
    if not np.array_equal(loaded.predict(x), expected):
        raise fail(component, "a Network saved and loaded again gives different outputs; every array the "
                              "output depends on belongs in params or state")


def check_used_twice_in_one_model(component: Any) -> None:
    """A layer whose output has its input's shape can be used twice in a row, one instance (shared weights):
    each use's backward reads its own cache and the parameter gradients are summed over both uses (checked by
    finite differences through ``Sequential([layer, layer])``). Layers of the first release's protocol (no
    ``forward_pass``) and layers fed integers are not checked."""
    from nnfs_core.layers.sequential import Sequential
    from nnfs_core.protocols import STATEFUL, run_forward

    layer, output_shape = built(component)
    if output_shape != input_shape_of(component) or not takes_floats(component):
        return
    if run_forward(layer, batch(component), training=False)[1] is STATEFUL:
        return
    shared = fresh(component)
    twice = Sequential([shared, shared])
    twice.build(input_shape_of(component), rng=np.random.default_rng(0), dtype=np.float64)
    try:
        gradcheck(twice, batch(component), training=False)
    except GradientCheckError as error:
        raise fail(component, f"used twice in one model (one instance, shared weights): {error}; keep each "
                              f"use's intermediates in the cache forward_pass returns") from None


def _arrays_of(layer: Any, kind: str) -> list[tuple[str, Any]]:
    named = getattr(layer, f"named_{kind}", None)
    if callable(named):
        return list(named())
    return list((layer.params if kind == "parameters" else getattr(layer, "state", {})).items())


def check_layers_inside_are_exposed(component: Any) -> None:
    """A layer that holds layers (it has ``children()``) lists every child's parameters and state under
    ``<child>.<name>`` as the same array objects (so an optimizer updating them updates the child), and
    has a gradient for each of its parameters. Layers without children are not checked."""
    layer, _ = built(component)
    children = getattr(layer, "children", None)
    if not callable(children):
        return
    seen: set[int] = set()
    for name, child in children():
        if id(child) in seen:
            continue
        seen.add(id(child))
        for kind, own in (("parameters", layer.params), ("state", getattr(layer, "state", {}))):
            for path, value in _arrays_of(child, kind):
                key = f"{name}.{path}"
                if own.get(key) is not value:
                    raise fail(component, f"its child {name!r} has the {kind[:-1] if kind == 'parameters' else kind} "
                                          f"{path!r}, but {key!r} is not that array in the composite's "
                                          f"{'params' if kind == 'parameters' else 'state'}; list the children's "
                                          f"arrays (CompositeLayer.collect_arrays does)")
    if set(layer.grads) != set(layer.params):
        raise fail(component, f"grads has the keys {sorted(layer.grads)}, params {sorted(layer.params)}")


LAYER_CHECKS: list[Check] = [
    check_layer_protocol,
    check_constructor_stores_only_hyperparameters,
    check_config_round_trip,
    check_registry_round_trip,
    check_build_infers_shapes,
    check_dtype_preserved,
    check_input_not_modified,
    check_deterministic_given_generator,
    check_batch_size_one,
    check_backward_shape,
    check_gradients,
    check_training_modes,
    check_backward_sets_grads,
    check_backward_twice,
    check_cache_owned_by_its_forward,
    check_used_twice_in_one_model,
    check_layers_inside_are_exposed,
    check_network_save_load,
]
