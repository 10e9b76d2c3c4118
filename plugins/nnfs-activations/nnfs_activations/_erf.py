"""The error function and its complement on arrays, in the array's own float dtype.

NumPy has no ``erf`` and this pack does not depend on SciPy, so GELU's exact form uses the rational
Chebyshev approximations of W. J. Cody, "Rational Chebyshev approximations for the error function",
Math. Comp. 23 (1969), 631-637, with the coefficients and ranges of his SPECFUN routine CALERF:

- ``|x| <= 0.46875``:      erf(x)    = x P1(x^2) / Q1(x^2)
- ``0.46875 < |x| <= 4``:  erfc(|x|) = exp(-x^2) P2(|x|) / Q2(|x|)
- ``|x| > 4``:             erfc(|x|) = exp(-x^2) / |x| (1/sqrt(pi) - z P3(z) / Q3(z)),  z = 1 / x^2

and erf = 1 - erfc, erfc(-x) = 2 - erfc(x) elsewhere. The relative error against ``math.erf`` and
``math.erfc`` stays within a few units in the last place in float64 (``tests/test_act_erf.py``).
"""

from __future__ import annotations

import numpy as np

from nnfs_core.protocols import Array

__all__ = ["erf", "erfc"]

_SMALL = 0.46875
_MIDDLE = 4.0
# erfc(|x|) underflows to 0 for |x| > 26.6 in float64; clamping far beyond keeps x^2 from overflowing.
_CLAMP = 32.0
_SQRT_PI_INVERSE = 5.6418958354775628695e-1

_P1 = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
       1.85777706184603153e-1)
_Q1 = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_P2 = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
       8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
       2.15311535474403846e-8)
_Q2 = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
       3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_P3 = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
       6.58749161529837803e-4, 1.63153871373020978e-2)
_Q3 = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
       2.33520497626869185e-3)


def _ratio(t: Array, p: tuple[float, ...], q: tuple[float, ...]) -> tuple[Array, Array]:
    """Cody's nested evaluation: numerator and denominator, each missing its constant term."""
    numerator = p[-1] * t
    denominator = t
    for p_i, q_i in zip(p[: len(q) - 1], q[:-1]):
        numerator = (numerator + p_i) * t
        denominator = (denominator + q_i) * t
    return numerator, denominator


def _erf_small(x: Array) -> Array:
    """erf(x) for |x| <= 0.46875."""
    numerator, denominator = _ratio(x * x, _P1, _Q1)
    return x * (numerator + _P1[3]) / (denominator + _Q1[3])


def _exp_minus_square(y: Array) -> Array:
    """exp(-y^2) with y^2 split as s^2 + (y - s)(y + s), s = y rounded down to 1/16, as Cody does.

    The rounding error of y * y would otherwise be multiplied by y^2 in the tail of erfc.
    """
    s = np.floor(y * 16.0) / 16.0
    with np.errstate(under="ignore"):
        return np.exp(-s * s) * np.exp(-(y - s) * (y + s))


def _erfc_positive(y: Array) -> Array:
    """erfc(y) for y > 0.46875 (NaN passes through)."""
    y = np.minimum(y, _CLAMP)
    ratio = np.empty_like(y)
    middle = y <= _MIDDLE
    ym = y[middle]
    numerator, denominator = _ratio(ym, _P2, _Q2)
    ratio[middle] = (numerator + _P2[7]) / (denominator + _Q2[7])
    tail = ~middle
    yt = y[tail]
    z = 1.0 / (yt * yt)
    numerator, denominator = _ratio(z, _P3, _Q3)
    ratio[tail] = (_SQRT_PI_INVERSE - z * (numerator + _P3[4]) / (denominator + _Q3[4])) / yt
    return _exp_minus_square(y) * ratio


def _as_float(x: Array) -> Array:
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def erf(x: Array) -> Array:
    """Elementwise erf(x) = 2 / sqrt(pi) * integral from 0 to x of exp(-t^2) dt; same shape and float dtype."""
    x = _as_float(x)
    y = np.abs(x)
    out = np.empty_like(x)
    small = y <= _SMALL
    out[small] = _erf_small(x[small])
    large = ~small
    # (0.5 - erfc) + 0.5 rather than 1 - erfc: Cody's ordering, exact when erfc is tiny.
    out[large] = np.copysign((0.5 - _erfc_positive(y[large])) + 0.5, x[large])
    return out


def erfc(x: Array) -> Array:
    """Elementwise erfc(x) = 1 - erf(x), accurate in relative terms far into the right tail."""
    x = _as_float(x)
    y = np.abs(x)
    out = np.empty_like(x)
    small = y <= _SMALL
    out[small] = 1.0 - _erf_small(x[small])
    large = ~small
    tail = _erfc_positive(y[large])
    out[large] = np.where(x[large] < 0, 2.0 - tail, tail)
    return out
