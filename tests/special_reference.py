"""Independent references for the special functions, in plain Python floats (vectorised with
``np.vectorize``), for the primitive table and ``tests/test_scipy.py``.

They are simple and slow on purpose, each by a different route from the library's kernels:
``math``'s ``erf``/``erfc``/``lgamma``/``gamma``, Newton's method on ``math.erf`` for the
inverse, power series for the Bessel functions, and for ``digamma``, ``polygamma`` and
``zeta`` the recurrence up to a large argument followed by the Euler-Maclaurin tail.  Each is
accurate to about 1e-14 on the ranges the tests draw from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

_EULER = 0.57721566490153286061

# B_2, B_4, ..., B_20 (Bernoulli numbers).
_BERNOULLI = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330]


def _vectorize(fn: Callable[..., float]) -> Callable[..., np.ndarray]:
    """``fn`` on arrays, with the result at the arguments' dtype (float32 stays float32)."""
    vec = np.vectorize(fn, otypes=[np.float64])

    def apply(*args: Any) -> np.ndarray:
        dtype = np.result_type(*args)
        return np.asarray(vec(*[np.asarray(a, np.float64) for a in args]), dtype=dtype)

    return apply


def _erf_inv(y: float) -> float:
    if abs(y) >= 1:
        return math.copysign(math.inf, y) if abs(y) == 1 else math.nan
    x = 0.0
    for _ in range(100):  # Newton on erf(x) - y; erf is increasing and concave for x > 0
        step = (math.erf(x) - y) / (2 / math.sqrt(math.pi) * math.exp(-x * x))
        x -= step
        if abs(step) <= 1e-17 * max(1.0, abs(x)):
            break
    return x


def _hurwitz_zeta(s: float, q: float) -> float:
    """sum over k >= 0 of (q + k)^-s, s > 1, q > 0: 30 terms, then Euler-Maclaurin."""
    n = 30
    total = math.fsum((q + k) ** -s for k in range(n))
    a = q + n
    total += a ** (1 - s) / (s - 1) + 0.5 * a ** -s
    rising = s  # s (s+1) ... (s + 2j - 2)
    for j, b in enumerate(_BERNOULLI, start=1):
        total += b / math.factorial(2 * j) * rising * a ** (-s - 2 * j + 1)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
    return total


def _digamma(x: float) -> float:
    shift = 0.0
    while x < 30:  # psi(x) = psi(x + 1) - 1/x
        shift -= 1 / x
        x += 1
    series = math.log(x) - 0.5 / x
    series -= math.fsum(b / (2 * j * x ** (2 * j)) for j, b in enumerate(_BERNOULLI, start=1))
    return series + shift


def _polygamma(n: float, x: float) -> float:
    m = int(n)
    if m == 0:
        return _digamma(x)
    return (-1) ** (m + 1) * math.factorial(m) * _hurwitz_zeta(m + 1.0, x)


def _bessel_series(order: int, x: float) -> float:
    """I_order(x) by its power series (fine for |x| <= 10)."""
    half = x / 2
    return math.fsum(half ** (2 * k + order) / (math.factorial(k) * math.factorial(k + order))
                     for k in range(60))


def _iv_series(v: float, x: float) -> float:
    """I_v(x) = sum (x/2)^(2k+v) / (k! Gamma(k+v+1)) for v >= 0, 0 <= x <= 10 (positive
    terms: fsum of them is accurate to the terms' own rounding)."""
    if x == 0:
        return 1.0 if v == 0 else 0.0
    log_half = math.log(x / 2)
    return math.fsum(math.exp((2 * k + v) * log_half - math.lgamma(k + 1) - math.lgamma(k + v + 1))
                     for k in range(80))


erf = _vectorize(math.erf)
erfc = _vectorize(math.erfc)
erfcx = _vectorize(lambda x: math.exp(x * x) * math.erfc(x))
erf_inv = _vectorize(_erf_inv)
ndtri = _vectorize(lambda p: math.sqrt(2) * _erf_inv(2 * p - 1))
log_ndtr = _vectorize(lambda x: math.log(0.5 * math.erfc(-x / math.sqrt(2))))
ndtr = _vectorize(lambda x: 0.5 * math.erfc(-x / math.sqrt(2)))
lgamma = _vectorize(math.lgamma)
gamma = _vectorize(math.gamma)
digamma = _vectorize(_digamma)
polygamma = _vectorize(_polygamma)
zeta = _vectorize(_hurwitz_zeta)
i0e = _vectorize(lambda x: _bessel_series(0, x) * math.exp(-abs(x)))
i1e = _vectorize(lambda x: _bessel_series(1, x) * math.exp(-abs(x)))
iv = _vectorize(_iv_series)
ive = _vectorize(lambda v, x: _iv_series(v, x) * math.exp(-abs(x)))


def _gammainc_series(a: float, x: float) -> tuple[float, float]:
    """P(a, x) and dP/da by the power series P = x^a e^-x / Gamma(a+1) sum x^n / (a+1)_n,
    differentiated term by term (fine for x up to about 10)."""
    term, dterm = 1.0, 0.0  # the n-th term and its derivative in a
    total, dtotal = 1.0, 0.0
    for n in range(1, 400):
        term *= x / (a + n)
        dterm = dterm * x / (a + n) - term / (a + n)
        total += term
        dtotal += dterm
    prefactor = math.exp(a * math.log(x) - x - math.lgamma(a + 1))
    value = prefactor * total
    return value, value * (math.log(x) - _digamma(a + 1)) + prefactor * dtotal


def _betainc_series(a: float, b: float, x: float) -> float:
    """I_x(a, b) = x^a / B(a, b) sum (1-b)_n / n! x^n / (a + n) (fine for x up to about 0.8)."""
    coefficient, total = 1.0, 1.0 / a
    for n in range(1, 2000):
        coefficient *= (n - b) / n * x
        total += coefficient / (a + n)
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return math.exp(a * math.log(x) - log_beta) * total


igamma = _vectorize(lambda a, x: _gammainc_series(a, x)[0])
igammac = _vectorize(lambda a, x: 1.0 - _gammainc_series(a, x)[0])
igamma_grad_a = _vectorize(lambda a, x: _gammainc_series(a, x)[1])
betainc = _vectorize(_betainc_series)

EULER = 0.57721566490153286061


def _ei(x: float) -> float:
    """Ei(x) = gamma + log x + sum x^k / (k k!) (fine for x in [0.5, 5])."""
    terms, term = [], 1.0
    for k in range(1, 80):
        term *= x / k
        terms.append(term / k)
    return EULER + math.log(x) + math.fsum(terms)


def _e1(x: float) -> float:
    """E1(x) = -gamma - log x - sum (-x)^k / (k k!) (fine for x in (0, 2.5])."""
    terms, term = [], 1.0
    for k in range(1, 80):
        term *= -x / k
        terms.append(term / k)
    return -EULER - math.log(x) - math.fsum(terms)


def _expn(n: float, x: float) -> float:
    """E_n(x) by the upward recurrence E_(k+1) = (e^-x - x E_k) / k from E_0 = e^-x / x
    (stable for x <= k)."""
    value = math.exp(-x) / x
    if n >= 1:
        value = _e1(x)
        for k in range(1, int(n)):
            value = (math.exp(-x) - x * value) / k
    return value


def _dawsn(x: float) -> float:
    """D(x) = sum (-1)^k 2^k x^(2k+1) / (2k+1)!! (fine for |x| <= 2)."""
    terms, term = [x], x
    for k in range(1, 80):
        term *= -2 * x * x / (2 * k + 1)
        terms.append(term)
    return math.fsum(terms)


def _fresnel(x: float, sine: bool) -> float:
    """The power series of S or C (fine for |x| <= 1.5)."""
    w = math.pi / 2 * x * x
    terms = [(-1) ** k * x * w ** j / (math.factorial(j) * (2 * j + 1))
             for k in range(30) for j in [2 * k + (1 if sine else 0)]]
    return math.fsum(terms)


def _spence(z: float) -> float:
    """Li2(1 - z) = sum (1 - z)^k / k^2 (fine for |1 - z| <= 0.7)."""
    y = 1.0 - z
    return math.fsum(y ** k / k**2 for k in range(1, 400))


def _sici_sums(x: float) -> tuple[Fraction, Fraction]:
    """sum (-1)^k x^(2k+1) / ((2k+1) (2k+1)!) and sum_(k>=1) (-1)^k x^(2k) / (2k (2k)!),
    exactly in rationals from the float x (45 terms: |x| <= 8)."""
    q = Fraction(x)
    s = c = Fraction(0)
    for k in range(45):
        s += Fraction((-1) ** k, (2 * k + 1) * math.factorial(2 * k + 1)) * q ** (2 * k + 1)
        if k:
            c += Fraction((-1) ** k, 2 * k * math.factorial(2 * k)) * q ** (2 * k)
    return s, c


def _ci(x: float) -> float:
    return _EULER + math.log(abs(x)) + float(_sici_sums(x)[1])


expi = _vectorize(_ei)
si = _vectorize(lambda x: float(_sici_sums(x)[0]))
ci = _vectorize(_ci)
exp1 = _vectorize(_e1)
expn = _vectorize(_expn)
dawsn = _vectorize(_dawsn)
fresnel_s = _vectorize(lambda x: _fresnel(x, True))
fresnel_c = _vectorize(lambda x: _fresnel(x, False))
spence = _vectorize(_spence)


# -- Bessel functions of integer order: the power series summed exactly in rationals (from the
# float argument, itself exact), only the logarithm, Euler's constant and pi in floating point.

def _bessel_jy_sums(n: int, x: float) -> tuple[Fraction, Fraction, Fraction]:
    """A = sum_k (-u)^k / (k! (n+k)!), B = sum_k (H_k + H_(n+k)) (-u)^k / (k! (n+k)!) and
    C = sum_(k<n) (n-k-1)! / k! (x/2)^(2k-n), u = x^2/4, exactly (45 terms: x <= 8)."""
    half = Fraction(x) / 2
    u = half * half
    a = b = Fraction(0)
    term = Fraction(1, math.factorial(n))  # (-u)^k / (k! (n+k)!)
    h_k, h_nk = Fraction(0), sum((Fraction(1, j) for j in range(1, n + 1)), Fraction(0))
    for k in range(45):
        a += term
        b += (h_k + h_nk) * term
        term *= -u / ((k + 1) * (n + k + 1))
        h_k += Fraction(1, k + 1)
        h_nk += Fraction(1, n + k + 1)
    c = sum((Fraction(math.factorial(n - k - 1), math.factorial(k)) * half ** (2 * k - n)
             for k in range(n)), Fraction(0))
    return a, b, c


def _jn(n: float, x: float) -> float:
    order = int(abs(n))
    sign = -1.0 if order % 2 and (n < 0) != (x < 0) else 1.0
    a, _, _ = _bessel_jy_sums(order, abs(x))
    return sign * float((Fraction(abs(x)) / 2) ** order * a)


def _yn(n: float, x: float) -> float:
    """Y_n = 2/pi (log(x/2) + gamma) J_n - C/pi - (x/2)^n B/pi (DLMF 10.8.1)."""
    order = int(abs(n))
    a, b, c = _bessel_jy_sums(order, x)
    power = (Fraction(x) / 2) ** order
    y = (2 / math.pi * (math.log(x / 2) + _EULER) * float(power * a)
         - float(c + power * b) / math.pi)
    return -y if order % 2 and n < 0 else y


jn = _vectorize(_jn)
yn = _vectorize(_yn)
j0 = _vectorize(lambda x: _jn(0, x))
j1 = _vectorize(lambda x: _jn(1, x))
y0 = _vectorize(lambda x: _yn(0, x))
y1 = _vectorize(lambda x: _yn(1, x))


def _owens_t(h: float, a: float) -> float:
    """T(h, a) = (1/2pi) int_0^a exp(-h^2 (1 + x^2) / 2) / (1 + x^2) dx by composite Simpson
    with 2000 panels (fine for |a| <= 2, to ~1e-15)."""
    n = 2000
    step = a / n

    def integrand(x: float) -> float:
        return math.exp(-h * h * (1 + x * x) / 2) / (1 + x * x)

    total = math.fsum((1 if k in (0, n) else 4 if k % 2 else 2) * integrand(k * step)
                      for k in range(n + 1))
    return total * step / 3 / (2 * math.pi)


def _hyp1f1(a: float, b: float, x: float) -> float:
    """The power series of 1F1(a; b; x) (fine for |x| <= 2 and a, b > 0)."""
    terms, term = [1.0], 1.0
    for k in range(200):
        term *= (a + k) / (b + k) * x / (k + 1)
        terms.append(term)
    return math.fsum(terms)


owens_t = _vectorize(_owens_t)
hyp1f1 = _vectorize(_hyp1f1)


def _wofz(x: float, y: float) -> complex:
    """w(x + iy) by its Taylor series sum (iz)^k / Gamma(k/2 + 1), the real and imaginary
    parts summed by fsum (fine for |z| <= 2.5, to ~1e-14)."""
    iz = 1j * complex(x, y)
    terms = [iz ** k / math.gamma(k / 2 + 1) for k in range(120)]
    return complex(math.fsum(t.real for t in terms), math.fsum(t.imag for t in terms))


wofz_real = _vectorize(lambda x, y: _wofz(x, y).real)
wofz_imag = _vectorize(lambda x, y: _wofz(x, y).imag)


def _hyp2f1(a: float, b: float, c: float, x: float) -> float:
    """The power series of 2F1(a, b; c; x) (fine for |x| <= 0.6 and c > 0)."""
    terms, term = [1.0], 1.0
    for k in range(200):
        term *= (a + k) * (b + k) / (c + k) * x / (k + 1)
        terms.append(term)
    return math.fsum(terms)


hyp2f1 = _vectorize(_hyp2f1)
