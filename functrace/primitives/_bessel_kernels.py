"""Vectorized float64 kernels of the Bessel functions of integer order, in pure NumPy.

Functions: j0, j1, y0, y1 (real x) and jn, yn (integer n of any sign, real x).

The conventions of :mod:`functrace.primitives._special_kernels`: array-likes in, float64 out,
each formula evaluated on the elements of its range only (Python loops run over series terms
or recurrence steps, never over elements), no floating-point warnings.  J0, J1, Y0 and Y1
come from three ranges, all written from the Bessel equation ``x^2 y'' + x y' + x^2 y = 0``:

* near 0, the power series (with the logarithmic terms for Y);
* up to x = 25, Taylor series of the equation around centres ``a`` placed at the zeros of
  J0 and J1 (of Y0 and Y1), their coefficients built by the equation's recurrence from the
  two values at ``a``.  At a zero of J0 the series of J0 has no constant term, and J1 = -J0'
  has none where J1 vanishes, so both keep their relative accuracy next to their zeros;
* beyond, Hankel's expansion in modulus-phase form, ``J = M cos(theta)``, ``Y = M sin(theta)``,
  with ``x - pi/4`` reduced modulo ``pi/2`` in double-double arithmetic (a three-part pi/4),
  so that the phase, and the value near a zero, is right for x up to 2^49.

The centres (``tools/special/gen_bessel_centers.py``) are the only constants taken from
mpmath.  The accuracies in the docstrings are maxima against 40-digit mpmath on random grids
(``tools/special/check_bessel_accuracy.py``).
"""
from __future__ import annotations

import math

import numpy as np

from functrace.primitives._special_kernels import (
    _flat,
    _flat2,
    _idx,
    _quiet,
    gamma,
    i0e,
    i1,
    i1e,
)

__all__ = ['j0', 'j1', 'y0', 'y1', 'jn', 'yn', 'iv', 'ive']

_NAN = np.nan
_INF = np.inf
_EULER = 0.5772156649015329
_TWO_OVER_PI = 0.6366197723675814
# pi/4 = _PI4_A + _PI4_B + _PI4_C to about 1e-50.
_PI4_A = 0.7853981633974483
_PI4_B = 3.061616997868383e-17
_PI4_C = -7.486924524295849e-34
_ASYMPTOTIC = 25.0  # the Hankel expansion from here (its 24th term is below 2e-19 at x = 25)
_HANKEL_TERMS = 24
_REDUCED_MAX = 2.0 ** 49  # the phase is reduced exactly below; libm's sin and cos above
_TAYLOR_TERMS = 50  # |x - a| / a <= 0.4 in every centre's interval
_J_SERIES_MAX = 1.5
_Y_SERIES_MAX = 0.6

# (a_hi, a_lo, f0(a), f1(a)): the centres of the Taylor series of (J0, J1) and (Y0, Y1),
# the zeros of both functions with midpoints added where zeros are far apart (relative to a).
_J_CENTRES = (
    (2.404825557695773, -1.176691651530894e-16, 0.0, 0.5191474972894667),
    (3.8317059702075125, -1.5269184090088067e-16, -0.402759395702553, 0.0),
    (5.520078110286311, 8.088597146146722e-17, 0.0, -0.34026480655836816),
    (7.015586669815619, -9.414165653410389e-17, 0.30011575252613254, 0.0),
    (8.653727912911013, -2.92812607320779e-16, 0.0, 0.27145229992838193),
    (10.173468135062722, 4.482162274768888e-16, -0.2497048770578432, 0.0),
    (11.791534439014281, 2.812956912778735e-16, 0.0, -0.23245983136472478),
    (13.323691936314223, 2.600408064718813e-16, 0.21835940724787295, 0.0),
    (14.930917708487787, -7.070514505983074e-16, 0.0, 0.20654643307799603),
    (16.470630050877634, -1.619019544798128e-15, -0.1964653714686572, 0.0),
    (18.071063967910924, -9.658048089426209e-16, 0.0, -0.18772880304043943),
    (19.615858510468243, -1.004445634526616e-15, 0.18006337534431555, 0.0),
    (21.21163662987926, 4.947077428784068e-16, 0.0, 0.17326589422922986),
    (22.760084380592772, -4.925749373614922e-16, -0.16718460047381806, 0.0),
    (24.352471530749302, 9.169067133951066e-16, 0.0, -0.16170155068925002),
)
_Y_CENTRES = (
    (0.8935769662791675, 2.6596231539720385e-17, 0.0, -0.8794208024971948),
    (1.5453591461550922, 1.0019050029414836e-16, 0.40047788886707425, -0.3827037518111355),
    (2.197141326031017, -4.8259835876454966e-17, 0.5207864124022675, 0.0),
    (3.0774098726729373, 1.440929834989903e-16, 0.35094155262613586, 0.34432781620863984),
    (3.957678419314858, -1.0764340697562706e-16, 0.0, 0.40254267177502423),
    (5.429681040794135, 4.162514026670377e-16, -0.3403180455234406, 0.0),
    (7.086051060301773, -8.835285723085408e-17, 0.0, -0.3000976149104752),
    (8.596005868331169, 2.8415838340063664e-16, 0.27145987731153354, 0.0),
    (10.222345043496418, -7.967395050308809e-16, 0.0, 0.2497012375146848),
    (11.749154830839881, 2.9466381668409186e-17, -0.23246176601703875, 0.0),
    (13.361097473872764, -6.626109493712529e-16, 0.0, -0.21835829659767134),
    (14.897442128336726, -6.072148995506809e-16, 0.2065471103565926, 0.0),
    (16.50092244152809, 1.0187464212445755e-15, 0.0, 0.19646493789501676),
    (18.043402276727857, -1.4499889213148965e-15, -0.1877290919149097, 0.0),
    (19.64130970088794, -1.3738085245174177e-15, 0.0, -0.18006317633754418),
    (21.188068934142212, 1.0863038864317323e-15, 0.17326603526911988, 0.0),
    (22.782028047291558, 1.5905927758681248e-15, 0.0, 0.16718449805101074),
    (24.33194257135691, 2.940063934282991e-16, -0.1617016266586241, 0.0),
)


def _table(centres: tuple[tuple[float, float, float, float], ...], lo: float) -> tuple[
        np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The centres as arrays, and the interval boundaries (the midpoints between centres)."""
    a_hi, a_lo, f0, f1 = (np.array(col) for col in zip(*centres, strict=True))
    bounds = np.concatenate([[lo], 0.5 * (a_hi[1:] + a_hi[:-1])])
    return a_hi, a_lo, f0, f1, bounds


_J_TABLE = _table(_J_CENTRES, _J_SERIES_MAX)
_Y_TABLE = _table(_Y_CENTRES, _Y_SERIES_MAX)


# --------------------------------------------------------------------------
# the three ranges of J0, J1, Y0, Y1
# --------------------------------------------------------------------------
def _j_series(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """J0 = sum_k (-u)^k / k!^2 and J1 = x/2 sum_k (-u)^k / (k! (k+1)!), u = x^2/4, for
    |x| <= 1.5 (u <= 0.57: the terms shrink at once and cancel little)."""
    u = 0.25 * x * x
    term = np.ones_like(x)  # (-u)^k / k!^2
    s0 = term.copy()
    s1 = term.copy()
    for k in range(1, 20):
        term = term * (-u / (k * k))
        s0 += term
        s1 += term / (k + 1)
    return s0, 0.5 * x * s1


def _y_series(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For 0 < x <= 0.6, with L = log(x/2) + gamma and H_k the harmonic numbers:
    Y0 = 2/pi (L J0 + sum_{k>=1} (-1)^(k+1) H_k u^k / k!^2),
    Y1 = 2/pi (L J1 - 1/x) - x/(2 pi) sum_{k>=0} (-u)^k (H_k + H_(k+1)) / (k! (k+1)!)
    (the Frobenius solutions of the Bessel equation, u = x^2/4)."""
    j0, j1 = _j_series(x)
    u = 0.25 * x * x
    log_term = np.log(0.5 * x) + _EULER
    term = np.ones_like(x)  # (-u)^k / k!^2
    s0 = np.zeros_like(x)
    s1 = np.ones_like(x)  # k = 0: H_0 + H_1 = 1
    harmonic = 0.0
    for k in range(1, 16):
        term = term * (-u / (k * k))
        harmonic += 1.0 / k
        h_next = harmonic + 1.0 / (k + 1)
        s0 -= harmonic * term
        s1 += (harmonic + h_next) / (k + 1) * term
    y0 = _TWO_OVER_PI * (log_term * j0 + s0)
    y1 = _TWO_OVER_PI * (log_term * j1 - 1.0 / x) - (0.5 / math.pi) * x * s1
    return y0, y1


def _taylor(table: tuple[np.ndarray, ...], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(f0, -f0') for a solution f0 of the order-0 Bessel equation with f1 = -f0' (J0, J1 or
    Y0, Y1), by the Taylor series around the nearest centre a.  With x = a + t and
    f0 = sum c_k t^k, the equation times x^2 gives, term by term,
    a^2 (k+2)(k+1) c_(k+2) = -(a (k+1)(2k+1) c_(k+1) + (k^2 + a^2) c_k + 2a c_(k-1) + c_(k-2)),
    from c_0 = f0(a), c_1 = -f1(a).  t = x - a is exact (a in two parts, x - a_hi exact as
    x is within a factor 2 of a)."""
    a_hi, a_lo, f0, f1, bounds = table
    j = np.searchsorted(bounds, x, side='right') - 1
    a = a_hi[j]
    t = (x - a) - a_lo[j]
    a2 = a * a
    c_km2 = np.zeros_like(x)
    c_km1 = np.zeros_like(x)
    c_k = f0[j]
    c_k1 = -f1[j]
    value = c_k + c_k1 * t
    slope = c_k1.copy()
    power = t.copy()  # t^(k+1)
    for k in range(_TAYLOR_TERMS):
        c_k2 = -(a * ((k + 1) * (2 * k + 1)) * c_k1 + (k * k + a2) * c_k + 2.0 * a * c_km1
                 + c_km2) / (a2 * ((k + 2) * (k + 1)))
        slope += (k + 2) * c_k2 * power
        power = power * t
        value += c_k2 * power
        c_km2, c_km1, c_k, c_k1 = c_km1, c_k, c_k1, c_k2
    return value, -slope


def _two_prod(a: np.ndarray, b: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """a * b = p + e exactly (Dekker's product on Veltkamp's 26-bit halves)."""
    p = a * b
    c = a * 134217729.0
    ah = c - (c - a)
    al = a - ah
    cb = b * 134217729.0
    bh = cb - (cb - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def _two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a + b = s + e exactly (Knuth's sum)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _reduce(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(q, r, r_lo) with x - pi/4 = q pi/2 + r + r_lo, |r| <= pi/4 + tiny, for
    25 <= x < 2^49: x minus the odd multiple m = 2q + 1 of pi/4, each product m * part
    exact, summed in double-double."""
    q = np.rint(x * _TWO_OVER_PI - 0.5)
    m = 2.0 * q + 1.0
    p1, e1 = _two_prod(m, _PI4_A)
    p2, e2 = _two_prod(m, _PI4_B)
    hi, lo = _two_sum(x - p1, -e1)  # x - p1 is exact: x and p1 agree to within pi/4
    hi, lo2 = _two_sum(hi, -p2)
    r, r_lo = _two_sum(hi, lo + lo2 - e2 - m * _PI4_C)
    return q, r, r_lo


def _hankel(n: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(J_n, Y_n) for n in {0, 1} and x >= 25 from Hankel's expansion
    J = sqrt(2/(pi x)) (P cos w - Q sin w), Y = sqrt(2/(pi x)) (P sin w + Q cos w),
    w = x - pi/4 - n pi/2, P = sum (-1)^k a_2k / x^2k, Q = sum (-1)^k a_(2k+1) / x^(2k+1),
    a_k = (4n^2 - 1)(4n^2 - 9)...(4n^2 - (2k-1)^2) / (k! 8^k); written as
    sqrt(2/(pi x)) hypot(P, Q) times cos and sin of w + phi, phi = atan(Q/P).

    Next to a zero, w + phi (reduced) is small and cancels, so phi is formed in two parts:
    its leading term a_1 / x in double-double, and the rest, (Q/P - a_1/x) plus the
    series of atan(z) - z, whose rounding is far below the last place of the sum."""
    mu = 4.0 * n * n
    inv = 1.0 / x
    a1 = (mu - 1.0) / 8.0
    term = a1 * inv
    p_rest = np.zeros_like(x)  # P - 1
    q_rest = np.zeros_like(x)  # Q - a_1 / x
    for k in range(2, _HANKEL_TERMS + 1):
        term = term * ((mu - (2 * k - 1) ** 2) / (8.0 * k) * inv)
        if k % 2:
            q_rest += term if k % 4 == 1 else -term
        else:
            p_rest += term if k % 4 == 0 else -term
    p = 1.0 + p_rest
    q_sum = a1 * inv + q_rest
    z = q_sum / p
    z2 = z * z
    atan_rest = np.zeros_like(x)  # atan(z) - z = -z^3/3 + z^5/5 - ... (|z| < 0.02)
    for k in range(8, 0, -1):
        atan_rest = z2 * ((-1.0) ** k / (2 * k + 1) + atan_rest)
    atan_rest = atan_rest * z
    lead = a1 / x  # a1 / x = lead + lead_lo, the remainder a1 - lead x formed exactly
    prod, prod_lo = _two_prod(lead, x)
    lead_lo = ((a1 - prod) - prod_lo) / x
    amplitude = np.sqrt(_TWO_OVER_PI * inv) * np.hypot(p, q_sum)
    cos_w = np.empty_like(x)
    sin_w = np.empty_like(x)
    i = _idx(x < _REDUCED_MAX)
    quarter, r, r_lo = _reduce(x[i])
    s, s_lo = _two_sum(r, lead[i])
    s = s + (s_lo + r_lo + lead_lo[i] + (q_rest[i] - a1 * inv[i] * p_rest[i]) / p[i]
             + atan_rest[i])
    # w + phi = (quarter - n) pi/2 + s: rotate (cos s, sin s) by that many quarter turns.
    k4 = np.mod(quarter - n, 4.0)
    c, sn = np.cos(s), np.sin(s)
    cos_w[i] = np.select([k4 == 0, k4 == 1, k4 == 2], [c, -sn, -c], sn)
    sin_w[i] = np.select([k4 == 0, k4 == 1, k4 == 2], [sn, c, -sn], -c)
    i = _idx(x >= _REDUCED_MAX)  # libm reduces x; the sum below loses only absolute accuracy
    offset = math.pi / 4 + n * math.pi / 2 - np.arctan(z[i])
    c, sn = np.cos(x[i]), np.sin(x[i])
    cos_w[i] = c * np.cos(offset) + sn * np.sin(offset)
    sin_w[i] = sn * np.cos(offset) - c * np.sin(offset)
    return amplitude * cos_w, amplitude * sin_w


def _j01(ax: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(J0, J1) at ax >= 0 (NaN stays NaN, 0 at inf)."""
    v0 = np.full_like(ax, _NAN)
    v1 = np.full_like(ax, _NAN)
    i = _idx(ax <= _J_SERIES_MAX)
    v0[i], v1[i] = _j_series(ax[i])
    i = _idx((ax > _J_SERIES_MAX) & (ax < _ASYMPTOTIC))
    v0[i], v1[i] = _taylor(_J_TABLE, ax[i])
    i = _idx((ax >= _ASYMPTOTIC) & (ax < _INF))
    v0[i], _ = _hankel(0, ax[i])
    v1[i], _ = _hankel(1, ax[i])
    v0[ax == _INF] = 0.0
    v1[ax == _INF] = 0.0
    return v0, v1


def _y01(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Y0, Y1) at x: NaN for x < 0, -inf at 0, 0 at inf."""
    v0 = np.full_like(x, _NAN)
    v1 = np.full_like(x, _NAN)
    i = _idx((x > 0.0) & (x <= _Y_SERIES_MAX))
    v0[i], v1[i] = _y_series(x[i])
    i = _idx((x > _Y_SERIES_MAX) & (x < _ASYMPTOTIC))
    v0[i], v1[i] = _taylor(_Y_TABLE, x[i])
    i = _idx((x >= _ASYMPTOTIC) & (x < _INF))
    _, v0[i] = _hankel(0, x[i])
    _, v1[i] = _hankel(1, x[i])
    v0[x == 0.0] = -_INF
    v1[x == 0.0] = -_INF
    v0[x == _INF] = 0.0
    v1[x == _INF] = 0.0
    return v0, v1


@_quiet
def j0(x: np.ndarray) -> np.ndarray:
    """The Bessel function of the first kind of order 0 (even; 0 at +-inf).  Measured max
    error 3.8 ulp where |J0| > 1e-3 sqrt(2/(pi x)), 5.8 ulp within 1e-9 of its zeros below 25
    and 1e-6 above (up to x = 2^49; beyond, absolute accuracy only)."""
    x, shape = _flat(x)
    return _j01(np.abs(x))[0].reshape(shape)


@_quiet
def j1(x: np.ndarray) -> np.ndarray:
    """The Bessel function of the first kind of order 1 (odd; 0 at +-inf).  Measured max
    error 3.0 ulp away from zeros, 4.2 ulp next to them (as :func:`j0`)."""
    x, shape = _flat(x)
    return (np.copysign(1.0, x) * _j01(np.abs(x))[1]).reshape(shape)


@_quiet
def y0(x: np.ndarray) -> np.ndarray:
    """The Bessel function of the second kind of order 0: -inf at 0, NaN for x < 0.
    Measured max error 3.9 ulp away from zeros, 4.8 ulp next to them (as :func:`j0`)."""
    x, shape = _flat(x)
    return _y01(x)[0].reshape(shape)


@_quiet
def y1(x: np.ndarray) -> np.ndarray:
    """The Bessel function of the second kind of order 1: -inf at 0, NaN for x < 0.
    Measured max error 3.5 ulp away from zeros, 8.3 ulp next to them (as :func:`j0`)."""
    x, shape = _flat(x)
    return _y01(x)[1].reshape(shape)


# --------------------------------------------------------------------------
# integer orders
# --------------------------------------------------------------------------
def _jn_forward(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """J_n(x) for 2 <= n <= x by J_(k+1) = (2k/x) J_k - J_(k-1) upwards from J0, J1: below
    the turning point k = x the recurrence is stable."""
    prev, cur = _j01(x)
    for k in range(1, int(np.max(n, initial=1.0))):
        step = k < n
        nxt = (2.0 * k / x) * cur - prev
        prev = np.where(step, cur, prev)
        cur = np.where(step, nxt, cur)
    return cur


def _jn_miller(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """J_n(x) for 0 < x < n by Miller's method: the same recurrence downwards from
    J_(N+1) = 0, J_N = 1 with N well above n (J_k falls fast past k = x, so the start's error
    dies out), scaled by the directly computed J0 or J1, whichever is larger (both cannot be
    near a zero).  Values past 2^830 are scaled down by that power of two on the way (exact);
    the scalings after J_n is recorded are counted and undone at the end by ldexp, so that a
    tiny J_n keeps its precision until it underflows."""
    top = int(np.max(n + 30.0 + 6.0 * np.sqrt(n), initial=0.0))
    nxt = np.zeros_like(x)
    cur = np.ones_like(x)
    at_n = np.zeros_like(x)
    shifts = np.zeros(x.shape, dtype=np.int64)
    for k in range(top, 0, -1):  # cur = J_k; below, J_(k-1)
        at_n = np.where(k == n, cur, at_n)
        nxt, cur = cur, (2.0 * k / x) * cur - nxt
        big = np.abs(cur) > 2.0 ** 830
        if np.any(big):
            nxt = np.where(big, np.ldexp(nxt, -830), nxt)
            cur = np.where(big, np.ldexp(cur, -830), cur)
            shifts += big & (k <= n)
    j0, j1 = _j01(x)
    use_j0 = np.abs(j0) >= np.abs(j1)
    return np.ldexp(at_n * np.where(use_j0, j0 / cur, j1 / nxt), -830 * shifts)


@_quiet
def jn(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The Bessel function of the first kind J_n(x) of integer order n (of any sign:
    J_(-n) = (-1)^n J_n, J_n(-x) = (-1)^n J_n(x)); NaN for non-integer n.

    |n| <= 1: j0, j1; |x| >= |n|: the recurrence upwards; |x| < |n|: Miller's method.
    Measured max error relative to max(|J_n|, sqrt(2/(pi max(x, n)))): 3 to 6 ulp for n up
    to 30, 14 at n = 100, 103 at n = 1000 (the relative error grows next to the zeros).
    """
    n, x, shape = _flat2(n, x)
    out = np.full_like(x, _NAN)
    integer = (n == np.floor(n)) & np.isfinite(n)
    order, ax = np.abs(n), np.abs(x)
    j0, j1 = _j01(ax)
    out = np.where(integer & (order == 0.0), j0, out)
    out = np.where(integer & (order == 1.0), j1, out)
    i = _idx(integer & (order >= 2.0) & (ax >= order) & (ax < _INF))
    out[i] = _jn_forward(order[i], ax[i])
    i = _idx(integer & (order >= 2.0) & (ax < order) & (ax > 0.0))
    out[i] = _jn_miller(order[i], ax[i])
    out[integer & (order >= 2.0) & (ax == 0.0)] = 0.0
    out[integer & (ax == _INF)] = 0.0
    # (-1)^n once for a negative order and once for a negative argument.
    flips = (n < 0.0).astype(np.float64) + (x < 0.0)
    odd = np.fmod(order, 2.0) == 1.0
    return np.where(odd & (flips == 1.0), -out, out).reshape(shape)


@_quiet
def yn(n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The Bessel function of the second kind Y_n(x) of integer order n (Y_(-n) =
    (-1)^n Y_n), by Y_(k+1) = (2k/x) Y_k - Y_(k-1) upwards from Y0, Y1 (Y grows with k, so
    the recurrence is stable).  NaN for x < 0 and non-integer n; -inf at 0 (times (-1)^n);
    the overflow to -inf of large orders is kept.  Measured max error relative to
    max(|Y_n|, sqrt(2/(pi max(x, n)))): 3 to 8 ulp for n up to 30, 20 at n = 100, 195 at
    n = 1000."""
    n, x, shape = _flat2(n, x)
    integer = (n == np.floor(n)) & np.isfinite(n)
    order = np.where(integer, np.abs(n), 0.0)
    prev, cur = _y01(x)
    cur = np.where(order == 0.0, prev, cur)
    for k in range(1, int(np.max(order, initial=1.0))):
        step = (k < order) & np.isfinite(cur)
        nxt = (2.0 * k / x) * cur - prev
        prev = np.where(step, cur, prev)
        cur = np.where(step, nxt, cur)
    odd = np.fmod(order, 2.0) == 1.0
    out = np.where(odd & (n < 0.0), -cur, cur)
    return np.where(integer, out, _NAN).reshape(shape)


# --------------------------------------------------------------------------
# modified Bessel functions of the first kind, real order
# --------------------------------------------------------------------------
# I_v(x) for real v >= 0, x >= 0, in three ranges (all from the modified Bessel equation
# x^2 y'' + x y' - (x^2 + v^2) y = 0):
# * x <= max(25, 4 sqrt(v + 1)): the power series, whose terms are all positive;
# * x >= 25 and x >= v^2: the large-x expansion, whose terms fall like 1/(2^k k!) there;
# * between: Miller's method, I_(mu+j-1) = (2 (mu+j) / x) I_(mu+j) + I_(mu+j+1) downwards
#   (I is the dominant solution downwards, so the start's error dies out) from far above
#   v = mu + m (mu = v - floor v), scaled by I_mu(x) from the large-x expansion.
_I_SERIES_TERMS = 90  # u = x^2/4 <= max(156.25, 4 (v + 1)): the terms are below 1e-17 by then
_I_LARGE_TERMS = 40
_I_SERIES_MIN = 25.0
# log 2 = _LN2_HI + _LN2_LO, the first with 32 significant bits (so that n * _LN2_HI is exact).
_LN2_HI = 0.6931471803691238
_LN2_LO = 1.9082149292705877e-10


def _i_series(v: np.ndarray, x: np.ndarray, scaled: bool) -> np.ndarray:
    """(x/2)^v / Gamma(v+1) sum_k u^k / (k! (v+1)_k), u = x^2/4, times exp(-x) if scaled.
    The prefactor is pow / (v Gamma(v)) (each correct to an ulp or so; Gamma(v + 1) would
    round v + 1 first, an error of digamma(v) ulp) up to v = 170; beyond, where Gamma
    overflows, as a product (:func:`_i_prefactor_product`).  v > 0 here."""
    u = 0.25 * x * x
    term = np.ones_like(x)
    total = np.ones_like(x)
    for k in range(1, _I_SERIES_TERMS):
        term = term * (u / (k * (v + k)))
        total += term
    small = v <= 170.0
    out = np.empty_like(x)
    i = _idx(small)
    out[i] = (0.5 * x[i]) ** v[i] / (v[i] * gamma(v[i])) * total[i]
    if scaled:
        out[i] *= np.exp(-x[i])
    i = _idx(~small)
    out[i] = _i_prefactor_product(v[i], x[i]) * total[i]
    if scaled:
        out[i] *= np.exp(-x[i])
    return out


def _i_prefactor_product(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(x/2)^v / Gamma(v+1) for v > 170, where Gamma overflows, as (x/2)^f / Gamma(f+1)
    (f = v - floor v) times the factors (x/2) / (f + k), k = 1 .. floor v.  Their roundings
    add up like a random walk (about sqrt(v) / 2 ulp); through logarithms the error would be
    |v log(x/2)| ulp.  In the series' range the partial products stay below e^(x/2) and fall
    once k > x/2, so they overflow never and underflow only with the result."""
    m = np.floor(v)
    f = v - m
    half = 0.5 * x
    out = np.where(f > 0.0, half ** f / (np.where(f > 0.0, f, 1.0) * gamma(np.where(
        f > 0.0, f, 1.0))), 1.0)
    for k in range(1, int(np.max(m, initial=0.0)) + 1):
        out = np.where(k <= m, out * (half / (f + k)), out)
    return out


def _i_large(v: np.ndarray, x: np.ndarray, scaled: bool) -> np.ndarray:
    """e^x / sqrt(2 pi x) sum_k (-1)^k a_k(v) / x^k, a_k = prod_(j<=k) (4v^2 - (2j-1)^2) /
    (k! 8^k) (the e^-x companion is below 1e-21 of it for x >= 25); exp(-x) of it if scaled.
    For iv the exponential is taken in two halves so that it overflows only with I_v."""
    mu = 4.0 * v * v
    term = np.ones_like(x)
    total = np.ones_like(x)
    for k in range(1, _I_LARGE_TERMS):
        term = term * (-(mu - (2 * k - 1) ** 2) / (8.0 * k * x))
        total += term
    out = total / np.sqrt(2.0 * math.pi * x)
    if not scaled:
        half = np.exp(0.5 * x)
        out = out * half * half
    return out


def _i_miller(v: np.ndarray, x: np.ndarray, scaled: bool) -> np.ndarray:
    """I_v(x) (times exp(-x) if scaled) for x >= 25 by the downward recurrence from
    order mu + top, mu = v - floor(v), normalized by I_mu(x).  Above order
    sqrt(v^2 + 40 x) the ratios I_(k+1)/I_k multiply to below e^-20 on the way down to v,
    so the start's error (squared) is far below an ulp.  Large values are scaled down by
    2^-830 on the way, as in :func:`_jn_miller`."""
    mu = v - np.floor(v)
    m = np.floor(v)
    top = int(np.max(np.sqrt(v * v + 40.0 * x), initial=0.0)) + 20
    nxt = np.zeros_like(x)
    cur = np.full_like(x, 1e-300)
    at_m = np.zeros_like(x)
    shifts = np.zeros(x.shape, dtype=np.int64)
    for j in range(top, 0, -1):  # cur = f_j; below, f_(j-1)
        at_m = np.where(j == m, cur, at_m)
        nxt, cur = cur, (2.0 * (mu + j) / x) * cur + nxt
        big = cur > 2.0 ** 830
        if np.any(big):
            nxt = np.where(big, np.ldexp(nxt, -830), nxt)
            cur = np.where(big, np.ldexp(cur, -830), cur)
            shifts += big & (j <= m)
    at_m = np.where(m == 0.0, cur, at_m)
    # The ratio at_m / cur and exp(x) may each leave the float range where I_v does not:
    # their mantissas and powers of two are kept apart, and joined by one ldexp.
    frac_m, exp_m = np.frexp(at_m)
    frac_0, exp_0 = np.frexp(cur)
    mantissa = frac_m / frac_0 * _i_large(mu, x, True)
    power = exp_m - exp_0 - 830 * shifts
    if not scaled:  # exp(x) = 2^n exp(r), r = x - n log 2 (log 2 in two parts)
        n = np.rint(x / _LN2_HI)
        mantissa = mantissa * np.exp((x - n * _LN2_HI) - n * _LN2_LO)
        power = power + n.astype(np.int64)
    return np.ldexp(mantissa, power)


def _i_nonneg(v: np.ndarray, x: np.ndarray, scaled: bool) -> np.ndarray:
    """I_v(x) (times exp(-x) if scaled) for v >= 0 and x >= 0 (NaN stays NaN)."""
    out = np.full_like(x, _NAN)
    finite = (x < _INF) & np.isfinite(v)
    series = finite & ((x <= _I_SERIES_MIN) | (x * x <= 16.0 * (v + 1.0)))
    large = finite & ~series & (x >= v * v)
    i = _idx(series & (v != 0.0) & (v != 1.0))
    out[i] = _i_series(v[i], x[i], scaled)
    i = _idx(large & (v != 0.0) & (v != 1.0))
    out[i] = _i_large(v[i], x[i], scaled)
    i = _idx(finite & ~series & ~large)
    out[i] = _i_miller(v[i], x[i], scaled)
    # Orders 0 and 1: the kernels of i0e, i1e and i1, so that iv and ive agree with them.
    i = _idx(finite & (v == 0.0))
    out[i] = i0e(x[i]) if scaled else i0e(x[i]) * np.exp(0.5 * x[i]) ** 2
    i = _idx(finite & (v == 1.0))
    out[i] = i1e(x[i]) if scaled else i1(x[i])
    at_inf = (x == _INF) & np.isfinite(v)
    out[at_inf] = 0.0 if scaled else _INF
    return out


def _i_real(v: np.ndarray, x: np.ndarray, scaled: bool) -> np.ndarray:
    """I_v(x) of any real order and argument where it is real: I_(-n) = I_n and
    I_n(-x) = (-1)^n I_n(x) for integer n; NaN for x < 0 and a non-integer order, and for
    a negative non-integer order at x > 0 (which needs K_v).  At x = 0, the limits of every
    order: 1 for v = 0, 0 for v > 0 and negative integers, and +-inf (the sign of
    Gamma(v + 1)) for negative non-integers, so that the slope rules can use them."""
    integer = v == np.floor(v)
    order = np.where(integer, np.abs(v), v)
    ax = np.abs(x)
    ok = (order >= 0.0) & ((x >= 0.0) | integer)
    out = np.full_like(x, _NAN)
    i = _idx(ok)
    out[i] = _i_nonneg(order[i], ax[i], scaled)
    odd = integer & (np.fmod(order, 2.0) == 1.0) & (x < 0.0)
    out = np.where(odd, -out, out)
    pole = (x == 0.0) & ~integer & (v < 0.0)
    sign = np.where(np.fmod(np.floor(-v), 2.0) == 0.0, 1.0, -1.0)
    return np.where(pole, sign * _INF, out)


@_quiet
def iv(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The modified Bessel function of the first kind I_v(x) of real order v (see
    :func:`_i_real` for the domain).  Measured max error (tools/special/
    check_bessel_accuracy.py): 3 ulp for v <= 1, 8 ulp for v <= 200, growing like sqrt(v)
    in Miller's range and the product of :func:`_i_prefactor_product` (22 ulp at
    v ~ 1000)."""
    v, x, shape = _flat2(v, x)
    return _i_real(v, x, False).reshape(shape)


@_quiet
def ive(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``exp(-|x|) I_v(x)``, finite for large x (as :func:`iv` otherwise)."""
    v, x, shape = _flat2(v, x)
    return _i_real(v, x, True).reshape(shape)
