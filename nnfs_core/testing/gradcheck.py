"""Finite-difference gradient checks for layers and losses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["gradcheck", "GradientCheckError"]


class GradientCheckError(AssertionError):
    """``backward`` disagrees with central finite differences; the message names the worst element."""


def _sample_indices(shape: tuple[int, ...], limit: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    size = int(np.prod(shape, dtype=np.int64))
    flat = np.arange(size) if size <= limit else rng.choice(size, size=limit, replace=False)
    return [tuple(int(i) for i in np.unravel_index(index, shape)) for index in flat]


def _numeric(f: Callable[[], Any], weight: Any, array: np.ndarray, index: tuple[int, ...], eps: float) -> float:
    """Central difference of ``sum(f() * weight)`` along one element of ``array``.

    The two outputs are subtracted element by element before they are summed, which keeps the
    cancellation error at the level of single outputs rather than of their (large) sum.
    """
    original = array[index]
    array[index] = original + eps
    plus = np.array(f(), dtype=np.float64, copy=True)
    array[index] = original - eps
    minus = np.array(f(), dtype=np.float64, copy=True)
    array[index] = original
    return float(np.sum((plus - minus) * weight)) / (2 * eps)


def _compare(
    owner: str, what: str, analytic: np.ndarray | None, f: Callable[[], Any], weight: Any, array: np.ndarray,
    eps: float, rtol: float, atol: float, limit: int, rng: np.random.Generator,
) -> None:
    """Norm-wise relative error ``|a - n| / (|a| + |n|)`` over the probed elements, worst element reported."""
    if analytic is None or analytic.shape != array.shape:
        got = None if analytic is None else analytic.shape
        raise GradientCheckError(f"{owner}: gradient of {what} has shape {got}, expected {array.shape}")
    indices = _sample_indices(array.shape, limit, rng)
    numeric = np.array([_numeric(f, weight, array, index, eps) for index in indices])
    exact = np.array([float(analytic[index]) for index in indices])
    error = float(np.linalg.norm(exact - numeric) / max(np.linalg.norm(exact) + np.linalg.norm(numeric), atol))
    if error > rtol:
        worst = int(np.argmax(np.abs(exact - numeric)))
        raise GradientCheckError(
            f"{owner}: gradient of {what} is wrong (relative error {error:.3g} > {rtol:g}); worst at index "
            f"{indices[worst]}: backward gives {exact[worst]:.8g}, finite differences give {numeric[worst]:.8g}"
        )


def gradcheck(
    component: Any,
    x: np.ndarray,
    y_true: np.ndarray | None = None,
    *,
    training: bool = False,
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_elements: int = 256,
    seed: int = 0,
) -> None:
    """Check a built layer's (or a loss's) ``backward`` against central finite differences.

    For a layer, the scalar checked is ``sum(forward(x) * g)`` for a fixed random ``g``: its gradient is
    ``backward(g)`` for the input and ``grads[name]`` for each parameter. For a loss (pass ``y_true``)
    the scalar is ``forward(x, y_true)``. Work in float64: build the layer with ``dtype=np.float64``.

    Parameters
    ----------
    component : layer or loss
        A built layer, or a loss (then pass ``y_true``).
    x : ndarray
        Input batch (for a loss, the predictions); a copy is perturbed. Integer input (ids for an
        embedding) is passed as it is, and only the parameters' gradients are checked.
    y_true : ndarray, optional
        Targets; giving them checks ``component`` as a loss.
    training : bool
        Forward mode used for layers (deterministic layers only: seed any randomness first).
    eps, rtol, atol : float
        Step; tolerance on the norm-wise relative error ``|a - n| / max(|a| + |n|, atol)`` over the probed
        elements of each array (a: backward's gradient, n: finite differences).
    max_elements : int
        At most this many elements are probed per array (sampled with ``seed``).

    Raises
    ------
    GradientCheckError
        Naming the component, the array (``input`` or ``parameter 'weight'``), the worst index and both values.
    """
    rng = np.random.default_rng(seed)
    owner = type(component).__name__
    ids = np.asarray(x).dtype.kind in "biu" and y_true is None  # integer input (ids): no input gradient
    x = np.array(x, dtype=None if ids else np.float64, copy=True)
    if y_true is not None:
        analytic = np.asarray(component.backward(x, y_true))
        _compare(owner, "the predictions", analytic, lambda: component.forward(x, y_true), 1.0, x,
                 eps, rtol, atol, max_elements, rng)
        return
    out = component.forward(x, training=training)
    upstream = rng.standard_normal(np.shape(out))

    def f() -> Any:
        return component.forward(x, training=training)

    component.forward(x, training=training)
    input_grad = component.backward(upstream.copy())
    grads = {name: np.array(value, copy=True) for name, value in component.grads.items()}
    if not ids:
        _compare(owner, "the input", None if input_grad is None else np.asarray(input_grad), f, upstream, x,
                 eps, rtol, atol, max_elements, rng)
    for name, param in component.params.items():
        _compare(owner, f"parameter {name!r}", grads.get(name), f, upstream, param, eps, rtol, atol, max_elements,
                 rng)
