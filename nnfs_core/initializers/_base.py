"""What an initializer is, and the fan and gain arithmetic of ``torch.nn.init``."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, _Configurable

__all__ = ["BaseInitializer", "FunctionInitializer", "compute_fans", "calculate_gain", "NONLINEARITIES", "real"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
NONLINEARITIES = (*_LINEAR, "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def real(owner: str, name: str, value: Any) -> float:
    """``value`` as a finite float; bools, strings and NaN/inf are refused with a message naming the argument."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise TypeError(f"{owner}: {name} must be a finite real number, got {value!r}")
    return float(value)


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of this shape, as ``torch.nn.init._calculate_fan_in_and_fan_out``.

    For ``(out, in, *kernel)``: fan_in = in * prod(kernel), fan_out = out * prod(kernel). A 1-D shape
    (a bias) has fan_in = fan_out = shape[0], where PyTorch refuses; pass the weight's fans instead to
    initialise a bias as PyTorch does.
    """
    shape = tuple(int(size) for size in shape)
    if len(shape) == 0:
        raise ShapeError("fan_in and fan_out cannot be computed for a scalar (shape ()); pass fan_in= explicitly")
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as ``torch.nn.init.calculate_gain``.

    linear/conv/sigmoid 1, tanh 5/3, relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)) with slope
    ``param`` (0.01 when None), selu 3/4.
    """
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else real("calculate_gain", "param", param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    choices = ", ".join(NONLINEARITIES)
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of {choices}")


def _as_shape(owner: str, shape: Any) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)) or size < 0 for size in shape):
        raise ShapeError(f"{owner}: a shape is a tuple of sizes >= 0, got {shape!r}")
    return tuple(int(size) for size in shape)


def _fan(owner: str, name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
    return int(value)


class BaseInitializer(_Configurable):
    """Base class for initializers: ``init(shape, rng=rng, dtype=dtype)`` returns a new array.

    Subclasses store their constructor arguments under the same names and implement ``draw``, which
    returns values of the given shape (float64 is fine: ``__call__`` casts to ``dtype``). Every random
    value comes from the ``rng`` given, never from ``np.random``'s global state, so a seeded Generator
    gives the same array every time.
    """

    def __call__(
        self,
        shape: tuple[int, ...],
        *,
        rng: np.random.Generator,
        dtype: Any = np.float32,
        fan_in: int | None = None,
        fan_out: int | None = None,
    ) -> Array:
        """An array of ``shape`` and ``dtype``.

        ``fan_in`` / ``fan_out`` replace the ones ``compute_fans`` reads off ``shape``: PyTorch draws a
        layer's bias with the weight's fan_in, e.g. ``init((out,), rng=rng, dtype=dtype, fan_in=in_features)``.
        """
        owner = type(self).__name__
        shape = _as_shape(owner, shape)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{owner}: dtype must be a floating type such as float32, got {dtype}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"{owner}: rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}")
        fan_in, fan_out = _fan(owner, "fan_in", fan_in), _fan(owner, "fan_out", fan_out)
        if math.prod(shape) == 0:
            return np.empty(shape, dtype=dtype)  # nothing to draw (PyTorch: a no-op)
        values = np.asarray(self.draw(shape, rng, fan_in=fan_in, fan_out=fan_out))
        if values.shape != shape:
            raise ShapeError(f"{owner}.draw returned shape {values.shape} for a requested shape {shape}")
        return values.astype(dtype, copy=False)

    def draw(
        self, shape: tuple[int, ...], rng: np.random.Generator, *, fan_in: int | None, fan_out: int | None
    ) -> Array:
        """Values of ``shape`` (any floating dtype); ``fan_in``/``fan_out`` are the overrides or None."""
        raise NotImplementedError(f"{type(self).__name__} does not implement draw")

    @staticmethod
    def fans(shape: tuple[int, ...], fan_in: int | None = None, fan_out: int | None = None) -> tuple[int, int]:
        """``compute_fans`` of ``shape``, with either value replaced when it is given."""
        if fan_in is not None and fan_out is not None:
            return fan_in, fan_out
        computed_in, computed_out = compute_fans(shape)
        return (computed_in if fan_in is None else fan_in), (computed_out if fan_out is None else fan_out)


class FunctionInitializer(BaseInitializer):
    """Wraps a plain function ``f(shape, rng, dtype) -> array`` (fan overrides are not passed to it)."""

    def __init__(self, function: Callable[..., Any]) -> None:
        if not callable(function):
            raise TypeError(f"FunctionInitializer needs a callable f(shape, rng, dtype), got {function!r}")
        self.function = function

    def __call__(
        self,
        shape: tuple[int, ...],
        *,
        rng: np.random.Generator,
        dtype: Any = np.float32,
        fan_in: int | None = None,
        fan_out: int | None = None,
    ) -> Array:
        shape = _as_shape(repr(self.function), shape)
        values = np.asarray(self.function(shape, rng, np.dtype(dtype)))
        if values.shape != shape:
            raise ShapeError(f"initializer function {self._label} returned shape {values.shape} for shape {shape}")
        return values.astype(dtype, copy=False)

    @property
    def _label(self) -> str:
        return getattr(self.function, "__qualname__", repr(self.function))

    def __repr__(self) -> str:
        return f"FunctionInitializer({self._label})"
