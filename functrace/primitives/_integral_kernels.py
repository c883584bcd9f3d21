"""Vectorized float64 kernels of the exponential, Dawson, Fresnel and dilogarithm integrals,
in pure NumPy.

Functions: expi (Ei), exp1 (E1), expn (E_n, any integer n), dawsn, fresnel_s, fresnel_c,
sin_integral (Si), cos_integral (Ci), spence, owens_t, hyp1f1, hyp2f1.

The same conventions as :mod:`functrace.primitives._special_kernels`: array-likes in, float64
out, each formula evaluated on the elements of its range only (Python loops run over series
terms, never over elements), no floating-point warnings, and ``scipy.special``'s values at the
edges.  No table is fitted: every range is a convergent series, a continued fraction evaluated
backwards to a fixed depth, or an asymptotic series cut where its terms are below 1e-19, so
the code is its own derivation.  The accuracies in the docstrings are maxima against 40-digit
mpmath on dense random grids (``tools/special/check_integral_accuracy.py``).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from functrace.primitives._special_kernels import (
    _flat,
    _flat2,
    _horner,
    _idx,
    _quiet,
    _split_square,
    digamma,
    gamma,
    ndtr,
)

__all__ = ['expi', 'exp1', 'expn', 'dawsn', 'fresnel_s', 'fresnel_c', 'sin_integral',
           'cos_integral', 'spence', 'owens_t', 'hyp1f1', 'hyp2f1']

_NAN = np.nan
_INF = np.inf
_EULER = 0.57721566490153286061
# The positive zero of Ei, split in two doubles (x0 = _EI_ROOT + _EI_ROOT_LO to 1e-33).
_EI_ROOT = 0.3725074107813666
_EI_ROOT_LO = 1.3140183414386028e-17
_LOG_EI_ROOT = -0.9874983466453419  # log(x0), and the rest
_LOG_EI_ROOT_LO = 1.0504707614307875e-17
_PI2_6 = math.pi ** 2 / 6


def _bernoulli_numbers(count: int) -> list[Fraction]:
    """B_0 ... B_{count-1} (B_1 = -1/2), from sum_{k<=n} C(n+1, k) B_k = 0."""
    b: list[Fraction] = []
    for n in range(count):
        b.append(Fraction(1) if n == 0 else
                 -sum((Fraction(math.comb(n + 1, k)) * b[k] for k in range(n)), Fraction(0))
                 / (n + 1))
    return b


BERNOULLI = _bernoulli_numbers(64)


# --------------------------------------------------------------------------
# exponential integrals
# --------------------------------------------------------------------------
def _ei_series(x: np.ndarray) -> np.ndarray:
    """Ei(x) for 0 < x <= 50 around its zero x0: with S(x) = sum_k x^k / (k k!),
    Ei(x) = gamma + log x + S(x) and Ei(x0) = 0, so
    Ei(x) = log(x / x0) + (x - x0) sum_k g_k / k, g_k = (x^k - x0^k) / ((x - x0) k!).
    Every term has the sign of x - x0: no cancellation, also next to the zero."""
    d = (x - _EI_ROOT) - _EI_ROOT_LO
    g = np.ones_like(x)           # g_1 = 1
    p = np.full_like(x, _EI_ROOT)  # x0^k / k!, k = 1
    total = g.copy()
    for k in range(1, 140):       # the terms of x = 50 fall below 1e-17 of the sum by k = 130
        g = (x * g + p) / (k + 1)
        p = p * (_EI_ROOT / (k + 1))
        total += g / (k + 1)
    # log(x / x0): log1p near x0, where it is exact; below x0/2, a difference of logs.
    near = x > 0.5 * _EI_ROOT
    log_ratio = np.where(near, np.log1p(np.where(near, d, 0.0) / _EI_ROOT),
                         (np.log(x) - _LOG_EI_ROOT) - _LOG_EI_ROOT_LO)
    return log_ratio + d * total


def _ei_asymptotic(x: np.ndarray) -> np.ndarray:
    """Ei(x) ~ e^x / x sum_k k! / x^k for x > 50 (the 40th term is below 1e-20)."""
    term = np.ones_like(x)
    total = term.copy()
    for k in range(1, 41):
        term = term * (k / x)
        total += term
    half = np.exp(0.5 * x)  # e^x in two halves: finite up to where Ei itself overflows
    r: np.ndarray = half * (half / x * total)
    return r


def _e1_series(x: np.ndarray) -> np.ndarray:
    """E1(x) = -gamma - log x - sum_k (-x)^k / (k k!) for 0 < x <= 1/2."""
    term = -x.copy()   # (-x)^k / k!
    total = term.copy()
    for k in range(2, 26):
        term = term * (-x / k)
        total += term / k
    r: np.ndarray = -_EULER - np.log(x) - total
    return r


_SERIES_MAX = 0.5  # E1 and E_n: the power series up to here (its cancellation grows with x)


def _en_continued_fraction(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """E_n(x) = e^-x / (x + n - 1 n / (x + n + 2 - 2 (n+1) / (x + n + 4 - ...))) for x > 1/2
    and n >= 0, evaluated backwards from a fixed depth: the error falls about as
    exp(-4 sqrt(depth x)); depth 250 is below 1e-17 at x = 1/2, depth 60 at x = 2."""
    depth = 250 if x.size and np.min(x) < 2.0 else 60
    t = x + n + 2.0 * depth
    for k in range(depth, 0, -1):
        t = (x + n + 2.0 * (k - 1)) - k * (n + k - 1.0) / t
    r: np.ndarray = np.exp(-x) / t
    return r


def _en_series(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """E_n(x) for 0 < x <= 1/2 and integer n >= 1: (-x)^(n-1) / (n-1)! (psi(n) - log x)
    minus the sum over k != n - 1 of (-x)^k / ((k - n + 1) k!)."""
    term = np.ones_like(x)  # (-x)^k / k!
    total = np.zeros_like(x)
    special = np.zeros_like(x)
    # x^31 / 31! < 1e-43 for x <= 1/2, so the terms beyond k = 30 (and, for n > 31, the
    # logarithmic one, less than 1e-40 of E_n there) are below rounding.
    for k in range(31):
        skip = n - 1.0 == k
        special = np.where(skip, term, special)
        total -= np.where(skip, 0.0, term / np.where(skip, 1.0, k - n + 1.0))
        term = term * (-x / (k + 1))
    r: np.ndarray = special * (digamma(n) - np.log(x)) + total
    return r


def _en_negative(m: np.ndarray, x: np.ndarray) -> np.ndarray:
    """E_{-m}(x) = m! e^-x / x^(m+1) sum_{k<=m} x^k / k! for m >= 0 (= x^(-m-1) Gamma(m+1, x)),
    as (1/x) sum_{j<=m} m! / ((m-j)! x^j) e^-x: positive terms."""
    term = np.ones_like(x)   # m! / ((m - j)! x^j)
    total = term.copy()
    for j in range(1, int(np.max(m, initial=0.0)) + 1):
        term = np.where(j <= m, term * ((m - j + 1.0) / x), 0.0)
        total += term
    r: np.ndarray = np.exp(-x) / x * total
    return r


@_quiet
def exp1(x: np.ndarray) -> np.ndarray:
    """The exponential integral E1(x) = integral of e^(-xt)/t over t > 1, for x >= 0.

    0 < x <= 1/2: the power series; x > 1/2: the continued fraction.  inf at 0, 0 at inf, NaN for
    x < 0 (scipy's real exp1).  Measured max error 1.8 ulp.
    """
    x, shape = _flat(x)
    out = np.full_like(x, _NAN)
    i = _idx((x > 0.0) & (x <= _SERIES_MAX))
    out[i] = _e1_series(x[i])
    i = _idx(x > _SERIES_MAX)
    out[i] = _en_continued_fraction(np.ones(i.size), x[i])
    out[x == 0.0] = _INF
    return out.reshape(shape)


@_quiet
def expi(x: np.ndarray) -> np.ndarray:
    """The exponential integral Ei(x), the principal value of the integral of e^t / t from
    -inf to x; Ei(x) = -E1(-x) for x < 0.

    0 < x <= 50: the series around Ei's zero; x > 50: the asymptotic series (inf beyond
    x = 716.4 where Ei overflows).  -inf at 0, 0 at -inf, inf at inf.  Measured max error
    4 ulp.
    """
    x, shape = _flat(x)
    out = np.full_like(x, _NAN)
    i = _idx((x > 0.0) & (x <= 50.0))
    out[i] = _ei_series(x[i])
    i = _idx(x > 50.0)
    out[i] = _ei_asymptotic(x[i])
    i = _idx(x < 0.0)
    out[i] = -exp1(-x[i])
    out[x == 0.0] = -_INF
    out[x == _INF] = _INF
    return out.reshape(shape)


@_quiet
def expn(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The generalized exponential integral E_n(x) = integral of e^(-xt) / t^n over t > 1,
    for integer n (of any sign: the primitive's derivative -E_(n-1) needs n <= 0 too) and
    x >= 0.

    n >= 1: the series for x <= 1/2, the continued fraction above; n <= 0: the closed form
    x^(n-1) Gamma(1-n, x).  At x = 0: 1/(n-1) for n >= 2, inf otherwise; NaN for x < 0 and
    for non-integer n (scipy's expn truncates a non-integer n, with a warning; ours refuses).
    Measured max error 2.9 ulp (n from 0 to 200).
    """
    n, x, shape = _flat2(n, x)
    out = np.full_like(x, _NAN)
    integer = (n == np.floor(n)) & np.isfinite(n)
    i = _idx(integer & (n >= 1.0) & (x > 0.0) & (x <= _SERIES_MAX))
    out[i] = _en_series(n[i], x[i])
    i = _idx(integer & (n >= 0.0) & (x > _SERIES_MAX))
    out[i] = _en_continued_fraction(n[i], x[i])
    i = _idx(integer & (n <= 0.0) & (x > 0.0) & (x <= _SERIES_MAX)
             | integer & (n < 0.0) & (x > _SERIES_MAX))
    out[i] = _en_negative(-n[i], x[i])
    at_zero = integer & (x == 0.0)
    out[at_zero] = np.where(n[at_zero] >= 2.0, 1.0 / (n[at_zero] - 1.0), _INF)
    out[integer & (x == _INF)] = 0.0
    return out.reshape(shape)


# --------------------------------------------------------------------------
# Dawson's integral
# --------------------------------------------------------------------------
@_quiet
def dawsn(x: np.ndarray) -> np.ndarray:
    """Dawson's integral D(x) = exp(-x^2) times the integral of exp(t^2) from 0 to x.

    |x| <= 7: exp(-x^2) sum_k x^(2k+1) / (k! (2k+1)) (Kummer's transformation of
    x 1F1(1; 3/2; -x^2), whose terms are all positive); |x| > 7: the asymptotic series
    1/(2x) sum_k (2k-1)!! / (2x^2)^k, cut at k = 30.  Odd; 0 at +-inf.  Measured max
    error 8 ulp (near x = 5.4, from the ~100 terms of the series).
    """
    x, shape = _flat(x)
    out = np.full_like(x, _NAN)
    ax = np.abs(x)
    i = _idx(ax <= 7.0)
    t = ax[i]
    # D(x) = x F(x^2) with F(u) = e^-u sum_k u^k / (k! (2k+1)); F is evaluated at the rounded
    # u in both factors, as F'/F ~ -1/u is small (the rounding of u in the power series alone
    # would cost u ulps).
    u = t * t
    term = np.ones_like(t)  # u^k / k!
    total = term.copy()
    for k in range(1, 140):  # at x = 7 the terms fall below 1e-17 of the sum by k = 120
        term = term * (u / k)
        total += term / (2 * k + 1)
    out[i] = np.copysign(t * (np.exp(-u) * total), x[i])
    i = _idx(ax > 7.0)
    t = ax[i]
    v = 0.5 / (t * t)
    term = np.ones_like(t)
    total = term.copy()
    for k in range(1, 31):
        term = term * ((2 * k - 1) * v)
        total += term
    out[i] = np.copysign(total / (2.0 * t), x[i])
    return out.reshape(shape)


# --------------------------------------------------------------------------
# Fresnel integrals
# --------------------------------------------------------------------------
_FRESNEL_SERIES_MAX = 1.5


def _fresnel_series(x: np.ndarray, sine: bool) -> np.ndarray:
    """S(x) = sum_k (-1)^k (pi/2)^(2k+1) x^(4k+3) / ((2k+1)! (4k+3)) and
    C(x) = sum_k (-1)^k (pi/2)^(2k) x^(4k+1) / ((2k)! (4k+1)), for |x| <= 1.5."""
    w = 0.5 * math.pi * x * x  # the k-th term is x w^j / (j! (2j+1)), j = 2k + (1 if sine)
    j0 = 1 if sine else 0
    term = x * w if sine else x.copy()  # x w^j / j!
    total = term / (2 * j0 + 1)
    for k in range(1, 30):
        j = 2 * k + j0
        term = term * (-(w * w) / ((j - 1) * j))
        total += term / (2 * j + 1)
    return total


def _phase(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of pi x^2 / 2 for x >= 0, with x^2 reduced modulo 4 exactly: x = a + b
    (Veltkamp's split, 26-bit halves), so a^2, 2ab, b^2 are exact and fmod is exact."""
    c = x * 134217729.0
    a = c - (c - x)
    b = x - a
    r = np.fmod(a * a, 4.0) + np.fmod(2.0 * a * b, 4.0) + b * b
    r = r - 4.0 * np.floor(r * 0.25)
    r = np.where(r > 2.0, r - 4.0, r)  # in (-2, 2]: the angle in (-pi, pi]
    angle = 0.5 * math.pi * r
    return np.cos(angle), np.sin(angle)


def _fresnel_tail(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(C(x), S(x)) for x > 1.5 from C + iS = (1 + i)/2 erfc-complement: with
    z = sqrt(pi)/2 (1 - i) x, C + iS = (1 + i)/2 (1 - erfc(z)) and
    erfc(z) = e^(i pi x^2 / 2) K / sqrt(pi), K = 2z / (2z^2 + 1 - 1*2 / (2z^2 + 5 - 3*4 / ...))
    (Laplace's continued fraction, even part), evaluated backwards."""
    z = (0.5 * math.sqrt(math.pi)) * (1.0 - 1.0j) * x
    two_z2 = -1.0j * math.pi * (x * x)
    depth = 60
    t = two_z2 + (4 * depth + 1)
    for k in range(depth, 0, -1):
        t = (two_z2 + (4 * (k - 1) + 1)) - ((2 * k - 1) * (2 * k)) / t
    k_cf = 2.0 * z / t
    cos_p, sin_p = _phase(x)
    tail = (0.5 / math.sqrt(math.pi)) * (1.0 + 1.0j) * (cos_p + 1.0j * sin_p) * k_cf
    return 0.5 - tail.real, 0.5 - tail.imag


def _fresnel(x: np.ndarray, sine: bool) -> np.ndarray:
    x, shape = _flat(x)
    out = np.full_like(x, _NAN)
    ax = np.abs(x)
    i = _idx(ax <= _FRESNEL_SERIES_MAX)
    out[i] = _fresnel_series(x[i], sine)
    i = _idx((ax > _FRESNEL_SERIES_MAX) & (ax < 1e20))
    c, s = _fresnel_tail(ax[i])
    out[i] = np.copysign(s if sine else c, x[i])
    i = _idx(ax >= 1e20)  # 1/(pi x) is below 1e-20 there
    out[i] = np.copysign(0.5, x[i])
    return out.reshape(shape)


@_quiet
def fresnel_s(x: np.ndarray) -> np.ndarray:
    """The Fresnel integral S(x), the integral of sin(pi t^2 / 2) from 0 to x.

    |x| <= 1.5: the power series; beyond, Laplace's continued fraction of the complementary
    error function at (1 - i) sqrt(pi) x / 2, with the phase pi x^2 / 2 reduced exactly.
    Odd; +-1/2 at +-inf.  Measured max error 2.8 ulp.
    """
    return _fresnel(x, True)


@_quiet
def fresnel_c(x: np.ndarray) -> np.ndarray:
    """The Fresnel integral C(x), the integral of cos(pi t^2 / 2) from 0 to x (as
    :func:`fresnel_s`).  Measured max error 3.9 ulp."""
    return _fresnel(x, False)


# --------------------------------------------------------------------------
# the dilogarithm
# --------------------------------------------------------------------------
# B_n / (n+1)! for the series Li2(1 - e^-u) = sum_n B_n u^(n+1) / (n+1)!, |u| < 2 pi.
_LI2_COEF = tuple(float(BERNOULLI[n] / math.factorial(n + 1)) for n in range(40)
                  if n < 2 or n % 2 == 0)
_LI2_POWERS = tuple(n + 1 for n in range(40) if n < 2 or n % 2 == 0)


def _li2_bernoulli(u: np.ndarray) -> np.ndarray:
    """Li2(1 - e^-u) for |u| <= log 2, summed from the highest term down."""
    total = np.zeros_like(u)
    for c, p in zip(reversed(_LI2_COEF), reversed(_LI2_POWERS), strict=True):
        total += c * u ** p
    return total


@_quiet
def spence(z: np.ndarray) -> np.ndarray:
    """Spence's function as scipy.special.spence: the integral of log(t) / (1 - t) from 1 to
    z, i.e. the dilogarithm Li2(1 - z), for z >= 0.

    1/2 <= z <= 2: Li2(1 - e^-u), u = -log z, by its Bernoulli series; 0 <= z < 1/2: the
    reflection Li2(1 - z) = pi^2/6 - log z log(1 - z) - Li2(z); z > 2: the inversion
    Li2(1 - z) = -pi^2/6 - log(z - 1)^2 / 2 - Li2(1/(1 - z)), with Li2(w) = Li2(1 - e^-u) for
    u = -log1p(-w).  NaN for z < 0 and at inf (as scipy).  Measured max error 2 ulp.
    """
    z, shape = _flat(z)
    out = np.full_like(z, _NAN)
    i = _idx((z >= 0.5) & (z <= 2.0))
    out[i] = _li2_bernoulli(-np.log(z[i]))
    i = _idx((z > 0.0) & (z < 0.5))
    t = z[i]
    out[i] = _PI2_6 - np.log(t) * np.log1p(-t) - _li2_bernoulli(-np.log1p(-t))
    out[z == 0.0] = _PI2_6
    i = _idx((z > 2.0) & (z < _INF))
    t = z[i]
    w = 1.0 / (1.0 - t)
    lg = np.log(t - 1.0)
    out[i] = -_PI2_6 - 0.5 * lg * lg - _li2_bernoulli(-np.log1p(-w))
    return out.reshape(shape)


# -- Owen's T function ---------------------------------------------------------------------------

# Gauss-Legendre nodes and weights on [0, 1], for the panels of _owens_t_small.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(20)
_GL_X = (_GL_X + 1.0) / 2.0
_GL_W = _GL_W / 2.0
_OWENS_PANELS = 4
_INV_2PI = 0.15915494309189533577


def _owens_t_small(h: np.ndarray, a: np.ndarray) -> np.ndarray:
    """T(h, a) for finite h >= 0 and 0 <= a <= 1: exp(-h^2/2) / (2 pi) times the integral of
    exp(-h^2 x^2 / 2) / (1 + x^2) over [0, b], b = min(a, 10 / h) (beyond 10 / h the
    Gaussian is below e^-50 of its peak), by Gauss-Legendre on 4 equal panels of 20 nodes.
    The integrand is entire but for the poles at +-i, at least 1 away, and its Gaussian spans
    at most 2.5 standard deviations of a panel, so the rule is exact to rounding; the terms
    are all positive.  exp(-h^2 / 2) uses the exact split of h^2."""
    with np.errstate(divide='ignore'):
        b = np.minimum(a, np.where(h > 0.0, 10.0 / h, np.inf))
    width = b / _OWENS_PANELS
    hh = h * h
    total = np.zeros_like(h)
    for p in range(_OWENS_PANELS):
        for node, weight in zip(_GL_X, _GL_W, strict=True):
            x = width * (p + node)
            total += weight / (1.0 + x * x) * np.exp(-0.5 * (hh * (x * x)))
    big, small = _split_square(np.minimum(h, 64.0))
    return (_INV_2PI * width * total) * (np.exp(-0.5 * big) * np.exp(-0.5 * small))


@_quiet
def owens_t(h: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Owen's T function, T(h, a) = 1/(2 pi) times the integral of
    exp(-h^2 (1 + x^2) / 2) / (1 + x^2) from 0 to a.

    Even in h, odd in a.  For |a| <= 1 the quadrature of _owens_t_small; for |a| > 1 the
    reflection T(h, a) = (Q(h) + Q(a h)) / 2 - Q(h) Q(a h) - T(a h, 1 / a) (h, a >= 0,
    Q(x) = ndtr(-x)), which follows from T(h, a) + T(a h, 1 / a) = (Phi(h) + Phi(a h)) / 2
    - Phi(h) Phi(a h) written with the upper tails, so that nothing cancels for large h.
    T(h, +-inf) = +-Q(|h|) / 2, T(0, a) = arctan(a) / (2 pi), T(+-inf, a) = 0; NaN in, NaN out.
    """
    h, a, shape = _flat2(h, a)
    out = np.full_like(h, _NAN)
    sign = np.where(a < 0.0, -1.0, 1.0)
    ah, hh = np.abs(a), np.abs(h)
    ok = ~(np.isnan(h) | np.isnan(a))
    i = _idx(ok & np.isinf(hh))
    out[i] = 0.0
    i = _idx(ok & np.isfinite(hh) & (ah <= 1.0))
    out[i] = _owens_t_small(hh[i], ah[i])
    i = _idx(ok & np.isfinite(hh) & (ah > 1.0))
    h1, a1 = hh[i], ah[i]
    k = np.where(h1 > 0.0, a1 * h1, 0.0)  # (0 * inf is 0 here)
    qh, qk = ndtr(-h1), ndtr(-k)
    kf = np.where(np.isfinite(k), k, 0.0)
    far = np.where(np.isfinite(k), _owens_t_small(kf, 1.0 / a1), 0.0)
    out[i] = (0.5 * qh + (0.5 * qk - far)) - qh * qk
    return (sign * out).reshape(shape)


# --------------------------------------------------------------------------
# sine and cosine integrals
# --------------------------------------------------------------------------

_SICI_SERIES_MAX = 4.0  # the power series up to here, the continued fraction of E1(ix) beyond
# Si(x) / x = sum_k (-1)^k u^k / ((2k + 1) (2k + 1)!) with u = x^2, highest power first; at
# u = 16 the first term left out (k = 19) is below 1e-19 of the sum.
_SI_COEF = tuple(float(Fraction((-1) ** k, (2 * k + 1) * math.factorial(2 * k + 1)))
                 for k in range(18, -1, -1))
# Ci(x) - Euler - log(x) = P(u) = sum_{k >= 1} (-1)^k u^k / (2k (2k)!), highest power first
# (the constant term is 0).
_CI_COEF = tuple(float(Fraction((-1) ** k, 2 * k * math.factorial(2 * k))) if k else 0.0
                 for k in range(18, -1, -1))
# The positive zeros of Ci below 4, rounded to doubles, with Ci there and log of them
# (40-digit mpmath): the series is written around them, so that Ci keeps its relative accuracy
# next to them.
_CI_ZERO_1, _CI_AT_ZERO_1, _LOG_CI_ZERO_1 = (0.6165054856207163, 5.571548945612863e-17,
                                             -0.4836880584112971)
_CI_ZERO_2, _CI_AT_ZERO_2 = 3.3841804225511862, 5.656852201571236e-17


def _si_series(x: np.ndarray) -> np.ndarray:
    return x * _horner(x * x, _SI_COEF)


def _ci_series(x: np.ndarray) -> np.ndarray:
    """Ci(x) for 0 < x <= 4 as Ci(x0) + log(x / x0) + P(x^2) - P(x0^2) around the nearer zero
    x0 of Ci (x0 = 0.6165 below 2, 3.3842 above).  P(u) - P(v) is (u - v) times its divided
    difference, evaluated by Horner's scheme on u and v together, and u - v = (x - x0)(x + x0)
    has no cancellation: near x0 every part is small with a small relative error."""
    below = x < 2.0
    x0 = np.where(below, _CI_ZERO_1, _CI_ZERO_2)
    u, v = x * x, x0 * x0
    p_v = np.full_like(x, _CI_COEF[0])  # p_j(v), p_j = c_j + u p_(j+1) (Horner)
    diff = np.zeros_like(x)  # (p_j(u) - p_j(v)) / (u - v) = u diff_(j+1) + p_(j+1)(v)
    for c in _CI_COEF[1:]:
        diff = u * diff + p_v
        p_v = c + v * p_v
    # log(x / x0): log1p of the exact difference where x / x0 is within [1/2, 2] (Sterbenz).
    near = (x >= 0.5 * x0) & (x <= 2.0 * x0)
    log_ratio = np.where(near, np.log1p((x - x0) / x0),
                         np.log(x) - np.where(below, _LOG_CI_ZERO_1, np.log(x0)))
    return (np.where(below, _CI_AT_ZERO_1, _CI_AT_ZERO_2) + log_ratio
            + (x - x0) * (x + x0) * diff)


def _sici_tail(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Si(x), Ci(x)) for x > 4 from E1(ix) = -Ci(x) + i (Si(x) - pi/2): e^(ix) E1(ix) is
    1 / (ix + 1 - 1 / (ix + 3 - 4 / (ix + 5 - 9 / ...))) (the even part of E1's continued
    fraction), evaluated backwards from depth 60 (converged to 1e-18 at x = 4; faster
    beyond), and the phase e^(-ix) from libm's cos and sin of x."""
    z = 1j * x
    depth = 60
    t = z + (2 * depth + 1)
    for k in range(depth, 0, -1):
        t = (z + (2 * k - 1)) - (k * k) / t
    f = 1.0 / t
    c, s = np.cos(x), np.sin(x)
    return 0.5 * math.pi + (f.imag * c - f.real * s), -(f.real * c + f.imag * s)


@_quiet
def sin_integral(x: np.ndarray) -> np.ndarray:
    """The sine integral Si(x), the integral of sin(t) / t from 0 to x.

    |x| <= 4: the power series; beyond, the continued fraction of E1(i|x|).  Odd; +-pi/2 at
    +-inf.  Measured max error 2.3 ulp (SciPy's 1.8).
    """
    x, shape = _flat(x)
    ax = np.abs(x)
    out = np.full_like(x, _NAN)
    i = _idx(ax <= _SICI_SERIES_MAX)
    out[i] = _si_series(x[i])
    i = _idx((ax > _SICI_SERIES_MAX) & np.isfinite(x))
    out[i] = np.copysign(_sici_tail(ax[i])[0], x[i])
    out[ax == _INF] = np.copysign(0.5 * math.pi, x[ax == _INF])
    return out.reshape(shape)


@_quiet
def cos_integral(x: np.ndarray) -> np.ndarray:
    """The cosine integral Ci(x) = Euler + log(x) + the integral of (cos(t) - 1) / t from 0
    to x, and for x < 0 its real part Ci(|x|) (as SciPy and JAX).

    0 < |x| <= 4: the power series around Ci's zeros 0.6165 and 3.3842; beyond, the
    continued fraction of E1(i|x|).  -inf at 0, 0 at inf, NaN at -inf.  Measured max error
    4.9 ulp up to 4 (next to the zeros too: SciPy's is 2e15 ulp there); above 4, 1.6 ulp of
    the envelope 1 / x (the relative error grows next to the zeros, as SciPy's).
    """
    x, shape = _flat(x)
    ax = np.abs(x)
    out = np.full_like(x, _NAN)
    i = _idx((ax > 0.0) & (ax <= _SICI_SERIES_MAX))
    out[i] = _ci_series(ax[i])
    i = _idx((ax > _SICI_SERIES_MAX) & np.isfinite(x))
    out[i] = _sici_tail(ax[i])[1]
    out[x == 0.0] = -_INF
    out[x == _INF] = 0.0
    return out.reshape(shape)


# -- Kummer's confluent hypergeometric function ---------------------------------------------------


def _hyp1f1_series(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """sum_k (a)_k / (b)_k x^k / k! for x >= 0, summed until the terms fall below 1e-17 of
    the sum (at most 3000 terms)."""
    term = np.ones_like(x)
    total = term.copy()
    live = np.ones(x.shape, dtype=bool)
    for k in range(3000):
        term = np.where(live, term * ((a + k) / (b + k)) * (x / (k + 1)), 0.0)
        total += term
        live &= (np.abs(term) > 1e-17 * np.abs(total)) | (a + k < 0)
        if not live.any():
            break
    return total


@_quiet
def hyp1f1(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Kummer's function M(a, b, x) = 1F1(a; b; x) for real a, b, x.

    x >= 0: the power series, whose terms are positive once k > -a; x < 0: Kummer's
    transformation M(a, b, x) = e^x M(b - a, b, -x), so the series again has positive terms
    for a, b > 0.  Accurate to a few ulp where the terms do not cancel (a, b > 0, |x| up to a
    few hundred); for negative a or b - a with large |x| the series cancels and accuracy is
    lost.  NaN where b is a non-positive integer (a pole) or where the series does not settle
    in 3000 terms.
    """
    a, b, x = np.broadcast_arrays(np.asarray(a, dtype=np.float64),
                                  np.asarray(b, dtype=np.float64), np.asarray(x, dtype=np.float64))
    shape = a.shape
    a, b, x = a.ravel(), b.ravel(), x.ravel()
    out = np.full_like(x, _NAN)
    pole = (b <= 0) & (b == np.floor(b))
    ok = ~(np.isnan(a) | np.isnan(b) | np.isnan(x) | pole) & np.isfinite(x)
    i = _idx(ok & (x >= 0))
    out[i] = _hyp1f1_series(a[i], b[i], x[i])
    i = _idx(ok & (x < 0))
    out[i] = np.exp(x[i]) * _hyp1f1_series(b[i] - a[i], b[i], -x[i])
    return out.reshape(shape)



# -- Gauss's hypergeometric function ---------------------------------------------------------------

_HYP2F1_SERIES_MAX = 0.9  # the power series up to x = 0.9 (370 terms or more there)


def _hyp2f1_series(a: np.ndarray, b: np.ndarray, c: np.ndarray, x: np.ndarray,
                   max_terms: int) -> np.ndarray:
    """sum_k (a)_k (b)_k / (c)_k x^k / k!, summed until the terms fall below 1e-17 of the sum
    (NaN where that takes more than ``max_terms`` terms; a terminating series stops at 0)."""
    term = np.ones_like(x)
    total = term.copy()
    live = np.ones(x.shape, dtype=bool)
    for k in range(max_terms):
        term = np.where(live, term * ((a + k) * (b + k) / ((c + k) * (k + 1))) * x, 0.0)
        total += term
        live &= (np.abs(term) > 1e-17 * np.abs(total)) | ((a + k < 0) & (a + k + 1 < 0)) \
            | ((b + k < 0) & (b + k + 1 < 0))
        if not live.any():
            return total
    return np.where(live, _NAN, total)


def _hyp2f1_near_one(a: np.ndarray, b: np.ndarray, c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """2F1 for 0.9 < x < 1 by the connection formula in 1 - x (Abramowitz and Stegun 15.3.6),
    for non-integer d = c - a - b:
    G(c) G(d) / (G(c-a) G(c-b)) F(a, b; 1-d; 1-x)
    + (1-x)^d G(c) G(-d) / (G(a) G(b)) F(c-a, c-b; 1+d; 1-x)."""
    d = c - a - b
    s = 1.0 - x
    g_c = gamma(c)
    # 1 / Gamma(.) is 0 at the poles (a non-positive integer a, b, c - a or c - b).
    first = (g_c * gamma(d) * _rgamma(c - a) * _rgamma(c - b)
             * _hyp2f1_series(a, b, 1.0 - d, s, 400))
    second = (s ** d * g_c * gamma(-d) * _rgamma(a) * _rgamma(b)
              * _hyp2f1_series(c - a, c - b, 1.0 + d, s, 400))
    return first + second


def _rgamma(x: np.ndarray) -> np.ndarray:
    return np.where((x <= 0.0) & (x == np.floor(x)), 0.0, 1.0 / gamma(x))


def _hyp2f1_unit(a: np.ndarray, b: np.ndarray, c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """2F1 for 0 <= x < 1: the series up to 0.9, the connection formula beyond.  Where
    c - a - b is within 1e-9 of an integer the formula's two parts have poles that cancel:
    there the series (to 20000 terms, enough up to about x = 0.998) and, where it has not
    settled, the formula at c +- h, averaged (an even function of h), extrapolated from
    h = 1e-3 and 5e-4 by Richardson's rule (error O(h^4); about 1e-12 relative)."""
    out = np.empty_like(x)
    d = c - a - b
    integer_d = np.abs(d - np.round(d)) < 1e-9
    near = (x > _HYP2F1_SERIES_MAX) & ~integer_d
    i = _idx(~near & (x <= _HYP2F1_SERIES_MAX))
    out[i] = _hyp2f1_series(a[i], b[i], c[i], x[i], 3000)
    i = _idx(~near & (x > _HYP2F1_SERIES_MAX))
    out[i] = _hyp2f1_series(a[i], b[i], c[i], x[i], 20000)
    i = i[np.isnan(out[i])]

    def averaged(h: float) -> np.ndarray:
        return 0.5 * (_hyp2f1_near_one(a[i], b[i], c[i] + h, x[i])
                      + _hyp2f1_near_one(a[i], b[i], c[i] - h, x[i]))

    out[i] = (4.0 * averaged(5e-4) - averaged(1e-3)) / 3.0
    i = _idx(near)
    out[i] = _hyp2f1_near_one(a[i], b[i], c[i], x[i])
    return out


@_quiet
def hyp2f1(a: np.ndarray, b: np.ndarray, c: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gauss's hypergeometric function 2F1(a, b; c; x) for real a, b, c and real x <= 1.

    0 <= x < 1: the power series up to x = 0.9, the connection formula in 1 - x beyond;
    x < 0: Pfaff's transformation (1 - x)^-a 2F1(a, c - b; c; x / (x - 1)) into [0, 1).
    x = 1: Gauss's sum G(c) G(c-a-b) / (G(c-a) G(c-b)) where c - a - b > 0, inf otherwise;
    x > 1: inf (the real function has a branch cut there), as SciPy and JAX, unless a or b is
    a non-positive integer (a polynomial, any x).  inf where c is a non-positive integer
    (and the series does not end first), as SciPy; 1 at x = 0.
    """
    a, b, c, x = (np.asarray(v, dtype=np.float64) for v in (a, b, c, x))
    a, b, c, x = np.broadcast_arrays(a, b, c, x)
    shape = x.shape
    a, b, c, x = (v.ravel() for v in (a, b, c, x))
    out = np.full_like(x, _NAN)
    terminating = ((a <= 0) & (a == np.floor(a))) | ((b <= 0) & (b == np.floor(b)))
    pole = (c <= 0) & (c == np.floor(c))
    # (a terminating series ends before the pole when its degree is below -c.)
    degree = np.where((a <= 0) & (a == np.floor(a)), -a, np.inf)
    degree = np.minimum(degree, np.where((b <= 0) & (b == np.floor(b)), -b, np.inf))
    pole &= ~(terminating & (degree < -c))
    ok = ~(np.isnan(a) | np.isnan(b) | np.isnan(c) | np.isnan(x) | pole)
    i = _idx(ok & terminating & np.isfinite(x))
    out[i] = _hyp2f1_series(a[i], b[i], c[i], x[i], 1 + int(np.max(degree[i], initial=0)))
    free = ok & ~terminating
    i = _idx(free & (x >= 0.0) & (x < 1.0))
    out[i] = _hyp2f1_unit(a[i], b[i], c[i], x[i])
    i = _idx(free & (x < 0.0) & np.isfinite(x))
    xi = x[i]
    out[i] = (1.0 - xi) ** -a[i] * _hyp2f1_unit(a[i], c[i] - b[i], c[i], xi / (xi - 1.0))
    i = _idx(free & (x == 1.0))
    d = c[i] - a[i] - b[i]
    out[i] = np.where(d > 0.0,
                      gamma(c[i]) * gamma(d) * _rgamma(c[i] - a[i]) * _rgamma(c[i] - b[i]), _INF)
    out[free & (x > 1.0)] = _INF
    out[ok & (x == 0.0)] = 1.0
    out[pole & ~np.isnan(x) & (x != 0.0)] = _INF
    return out.reshape(shape)
