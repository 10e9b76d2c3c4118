"""The checks every layer (and activation) must pass."""

from __future__ import annotations

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
    return random((n, *input_shape_of(component)), dtype, seed)


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
        if y.dtype != dtype or grad.dtype != dtype:
            raise fail(component, f"{np.dtype(dtype)} input gave a {y.dtype} output and a {grad.dtype} gradient")


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
    if y.shape != (1, *output_shape) or layer.backward(np.ones_like(y)).shape != (1, *input_shape_of(component)):
        raise fail(component, "a batch of one sample gives wrong shapes")


def check_backward_shape(component: Any) -> None:
    """``backward`` returns d loss / d input of the input's shape and fills ``grads`` like ``params``."""
    layer, _ = built(component)
    x = batch(component)
    grad = layer.backward(np.ones_like(layer.forward(x, training=True)))
    if grad is None or grad.shape != x.shape:
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
]
