"""The private erf / erfc behind GELU, against the C library's through :mod:`math`."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from nnfs_activations._erf import erf, erfc

EPS64 = np.finfo(np.float64).eps
EPS32 = np.finfo(np.float32).eps


def grid() -> np.ndarray:
    """Dense in [-8, 8], out to +-30 (erfc underflows past 26.6), and Cody's range boundaries."""
    rng = np.random.default_rng(0)
    edges = [0.46875, 4.0]
    near_edges = [np.nextafter(e, s) for e in edges for s in (-np.inf, np.inf)] + edges
    x = np.concatenate([np.linspace(-8, 8, 20001), rng.uniform(-30, 30, 20000), near_edges,
                        [0.0, 1e-300, 5e-324, 1e-8, 26.5, 27.0, 1e4, 1e300]])
    return np.concatenate([x, -x])


def relative_error(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.abs(want), np.finfo(np.float64).tiny)
    return np.abs(got - want) / scale


def test_erf_matches_math_erf_to_a_few_ulp():
    x = grid()
    want = np.array([math.erf(v) for v in x])
    assert relative_error(erf(x), want).max() <= 4 * EPS64


def test_erfc_matches_math_erfc_to_a_few_ulp_until_it_underflows():
    x = grid()
    want = np.array([math.erfc(v) for v in x])
    got = erfc(x)
    normal = want > np.finfo(np.float64).tiny
    assert relative_error(got[normal], want[normal]).max() <= 6 * EPS64
    assert np.abs(got[~normal] - want[~normal]).max() <= 1e-300


def test_float32_is_computed_in_float32_to_float32_accuracy():
    x = grid()
    x32 = x[np.abs(x) < 1e4].astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got_erf, got_erfc = erf(x32), erfc(x32)
    assert got_erf.dtype == np.float32 and got_erfc.dtype == np.float32
    want_erf = np.array([math.erf(float(v)) for v in x32])
    want_erfc = np.array([math.erfc(float(v)) for v in x32])
    assert np.abs(got_erf - want_erf).max() <= 4 * EPS32
    normal = want_erfc > np.finfo(np.float32).tiny
    assert relative_error(got_erfc[normal].astype(np.float64), want_erfc[normal]).max() <= 8 * EPS32


def test_symmetry_limits_and_special_values():
    x = np.array([0.3, 2.0, 5.0, 40.0])
    np.testing.assert_array_equal(erf(-x), -erf(x))
    np.testing.assert_allclose(erfc(-x), 2.0 - erfc(x), rtol=EPS64)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(erf(special), [0.0, -0.0, 1.0, -1.0, np.nan])
    np.testing.assert_array_equal(erfc(special), [1.0, 1.0, 0.0, 2.0, np.nan])
    assert math.copysign(1.0, erf(np.array([-0.0]))[0]) == -1.0


@pytest.mark.parametrize("shape", [(), (0,), (3, 4, 5)])
def test_shapes_are_kept_and_integers_become_float64(shape):
    x = np.ones(shape, dtype=np.int64)
    assert erf(x).shape == shape and erf(x).dtype == np.float64
    assert erfc(x).shape == shape
