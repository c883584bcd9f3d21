"""``jax.scipy.special`` / ``scipy.special``: special functions on traced or concrete arrays.

Every function is differentiable to any order (in the arguments where the function is
differentiable at all) and works under ``jit`` and ``vmap``.  Arguments follow NumPy's rules:
integers become float64, float32 stays float32, and the arguments broadcast; complex arguments
are refused.  Values at poles and outside the domain are ``scipy.special``'s (``gammaln`` is
``inf`` at the non-positive integers, ``erfinv(2)`` is NaN, ``ndtri(0)`` is ``-inf``...).

The primitives behind them are in :mod:`functrace.primitives.special`; what is written here
combines them, as JAX does, with guards so that no derivative is NaN where the value is fine.

>>> import functrace as ft
>>> from functrace.scipy import special
>>> float(special.erf(0.5))
0.5204998778130465
>>> float(ft.grad(special.gammaln)(1.0))  # digamma(1) = -Euler's constant
-0.5772156649015329
"""

from __future__ import annotations

import decimal
import math
import operator
from fractions import Fraction
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace import lax, nn
from functrace.core import Tracer
from functrace.custom_rules import custom_jvp
from functrace.errors import ConcretizationError
from functrace.numpy._base import as_operand, aval, convert, promote
from functrace.primitives import special as sp
from functrace.scipy._inexact import inexact

__all__ = [
    "bernoulli", "bessel_jn", "beta", "betainc", "betaln", "boxcox", "boxcox1p", "comb",
    "dawsn", "digamma", "entr", "erf", "erfc", "erfcinv", "erfcx", "erfinv", "exp1", "expi",
    "expit", "expn", "factorial", "fresnel", "gamma", "gammainc", "gammaincc", "gammaln",
    "gammasgn", "hyp1f1", "hyp2f1", "i0", "i0e", "i1", "i1e", "iv", "ive", "j0", "j1", "jn",
    "kl_div", "log_ndtr", "log_softmax", "loggamma", "logit", "logsumexp", "multigammaln",
    "ndtr", "ndtri", "owens_t", "poch", "polygamma", "psi", "rel_entr", "rgamma", "sici",
    "softmax", "spence", "sph_harm_y", "wofz", "xlog1py", "xlogy", "y0", "y1", "yn", "zeta",
]


def _inexact(name: str, *args: Any) -> list[Any]:
    """The arguments at their common floating dtype (integers and booleans as float64),
    broadcast to one shape (a scalar among arrays stays a scalar)."""
    ops = inexact(*args)  # (the dtype rule of the rest of functrace.scipy)
    dtype = aval(ops[0]).dtype
    if dtype.kind == "c":
        raise TypeError(f"scipy.special.{name}: complex arguments are not supported, got "
                        f"{dtype}.")
    return promote(name, *ops, scalars=True)


# -- error functions and the normal distribution ------------------------------------------------


def erf(x: Any) -> Any:
    """The error function ``erf(x) = 2/sqrt(pi) * integral of exp(-t**2) from 0 to x``."""
    return sp.erf(*_inexact("erf", x))


def erfc(x: Any) -> Any:
    """The complementary error function ``1 - erf(x)``, accurate for large ``x``."""
    return sp.erfc(*_inexact("erfc", x))


def erfcx(x: Any) -> Any:
    """The scaled complementary error function ``exp(x**2) * erfc(x)``."""
    return sp.erfcx(*_inexact("erfcx", x))


def erfinv(y: Any) -> Any:
    """The inverse of ``erf``: ``erf(erfinv(y)) == y`` on ``[-1, 1]``."""
    return sp.erf_inv(*_inexact("erfinv", y))


def erfcinv(y: Any) -> Any:
    """The inverse of ``erfc`` on ``[0, 2]``, accurate for tiny ``y``: ``-ndtri(y/2)/sqrt(2)``."""
    (y,) = _inexact("erfcinv", y)
    return sp.ndtri(y * 0.5) * -math.sqrt(0.5)


def ndtr(x: Any) -> Any:
    """The standard normal CDF, ``erfc(-x / sqrt(2)) / 2`` (accurate in the lower tail)."""
    (x,) = _inexact("ndtr", x)
    dtype = aval(x).dtype
    if dtype == np.float64:
        return _ndtr_f64(x)
    if dtype == np.float32:  # (float32's z would carry its rounding into the tail: see below)
        return _ndtr_f64(x.astype(np.float64)).astype(np.float32)
    return sp.erfc(x * -math.sqrt(0.5)) * 0.5


def _sqrt_half_parts() -> tuple[float, float, float, float]:
    """sqrt(1/2) as the nearest double ``s`` and the rest (to 50 digits), and ``s`` split in two
    halves of 26 bits whose products with 26-bit numbers are exact (Dekker's split)."""
    with decimal.localcontext() as ctx:
        ctx.prec = 50
        s = math.sqrt(0.5)
        rest = float(decimal.Decimal(2).sqrt() / 2 - decimal.Decimal(s))
    c = 134217729.0 * s
    hi = c - (c - s)
    return s, rest, hi, s - hi


_SQRT_HALF, _SQRT_HALF_REST, _SQRT_HALF_A, _SQRT_HALF_B = _sqrt_half_parts()


def _ndtr_f64(x: Any) -> Any:
    """``ndtr`` of float64 ``x``: ``erfc(z) / 2`` at ``z = -x / sqrt(2)`` rounded, corrected by
    the rounding's first-order effect.  In the lower tail erfc's relative slope is about
    ``2 z``, so the rounding of ``z`` (half an ulp) alone costs ``z^2`` ulp of the result:
    ~70 ulp at ``x = -12``.  The rounding error ``r`` of ``z`` is computed exactly (Dekker's
    product of ``x`` with the two halves of ``sqrt(1/2)``), and ``erfc(z + r)`` taken as
    ``erfc(z) - r * 2/sqrt(pi) * exp(-z^2)``.  The correction is a constant for
    differentiation: its derivative is below the result's rounding."""
    z = x * -_SQRT_HALF
    safe = fnp.where(fnp.abs(x) < 40.0, x, 0.0)  # (past 40 the result is 0 or 1 anyway)
    # -x * _SQRT_HALF as z + r, exactly: split -x in two 26-bit halves (the constant's are fixed).
    c = safe * -134217729.0
    hi = c - (c + safe)
    lo = -safe - hi
    p = safe * -_SQRT_HALF
    r = (((hi * _SQRT_HALF_A - p) + hi * _SQRT_HALF_B) + lo * _SQRT_HALF_A
         + lo * _SQRT_HALF_B) - safe * _SQRT_HALF_REST
    correction = fnp.stop_gradient(r * (2.0 / math.sqrt(math.pi)) * fnp.exp(-z * z))
    return (sp.erfc(z) - correction) * 0.5


def ndtri(p: Any) -> Any:
    """The inverse of :func:`ndtr`: the standard normal quantile of ``p``."""
    return sp.ndtri(*_inexact("ndtri", p))


def log_ndtr(x: Any) -> Any:
    """``log(ndtr(x))``, accurate for very negative ``x`` (where ``ndtr`` underflows)."""
    return sp.log_ndtr(*_inexact("log_ndtr", x))


# -- the gamma function -------------------------------------------------------------------------


def gammaln(x: Any) -> Any:
    """``log |Gamma(x)|`` (``inf`` at the non-positive integers)."""
    return sp.lgamma(*_inexact("gammaln", x))


def gamma(x: Any) -> Any:
    """The gamma function."""
    return sp.gamma(*_inexact("gamma", x))


def gammasgn(x: Any) -> Any:
    """The sign of ``Gamma(x)``: 1 for ``x > 0``, alternating between the poles below 0 (where
    it is NaN), as ``scipy.special.gammasgn``. Its derivative is zero."""
    (x,) = _inexact("gammasgn", x)
    safe = fnp.where(fnp.isfinite(x), x, 1.0)
    floor_x = fnp.floor(safe)
    negative = fnp.less(safe, 0.0)
    # Gamma < 0 on (-1, 0), (-3, -2), ...: where the floor is odd.
    sign = fnp.where(fnp.logical_and(negative, fnp.equal(fnp.remainder(floor_x, 2.0), 1.0)),
                     -1.0, 1.0)
    sign = fnp.where(fnp.logical_and(negative, fnp.equal(safe, floor_x)), np.nan, sign)  # poles
    sign = fnp.where(fnp.equal(x, 0.0), fnp.where(fnp.signbit(x), -1.0, 1.0), sign)
    sign = fnp.where(fnp.logical_or(fnp.isnan(x), fnp.equal(x, -np.inf)), np.nan, sign)
    return fnp.asarray(sign, dtype=aval(x).dtype)


def loggamma(x: Any) -> Any:
    """``log Gamma(x)`` for real ``x``: :func:`gammaln` for ``x > 0``, ``inf`` at 0 and NaN for
    ``x < 0`` (where ``Gamma`` has no real logarithm where it is negative; SciPy's real
    ``loggamma`` and JAX's return NaN there too, and JAX also at 0)."""
    (x,) = _inexact("loggamma", x)
    positive = fnp.greater(x, 0.0)
    value = sp.lgamma(fnp.where(positive, x, 1.0))
    return fnp.where(positive, value, fnp.where(fnp.equal(x, 0.0), np.inf, np.nan))


def rgamma(x: Any) -> Any:
    """``1 / Gamma(x)``, with ``Gamma``'s sign: 0 at the poles (the non-positive integers)
    and at ``+-inf``, as ``scipy.special.rgamma``. Its derivative is ``-rgamma(x) digamma(x)``
    away from the poles (at a pole this returns 0, not the limit)."""
    (x,) = _inexact("rgamma", x)
    pole = fnp.logical_or(fnp.isinf(x), fnp.logical_and(fnp.less_equal(x, 0.0),
                                                         fnp.equal(x, fnp.floor(x))))
    value = 1.0 / sp.gamma(fnp.where(pole, 1.0, x))
    return fnp.where(pole, fnp.where(fnp.equal(x, 0.0), x, 0.0), value)


def digamma(x: Any) -> Any:
    """The digamma function ``psi = d/dx log Gamma(x)``."""
    return sp.digamma(*_inexact("digamma", x))


psi = digamma


def polygamma(n: Any, x: Any) -> Any:
    """The ``n``-th derivative of ``digamma`` (``n`` a non-negative integer, or an array of
    them); not differentiable in ``n``."""
    n_op = as_operand(n)
    if not isinstance(n_op, Tracer):
        order = np.asarray(n_op)
        if order.dtype.kind not in "biuf" or np.any(order < 0) or np.any(order != np.floor(order)):
            raise ValueError(f"polygamma: the order n must be a non-negative integer, got {n!r}.")
    n_op, x = _inexact("polygamma", n_op, x)
    return sp.polygamma(n_op, x)


def zeta(x: Any, q: Any = None) -> Any:
    """The Hurwitz zeta function ``sum over k >= 0 of (k + q)**-x`` (Riemann's with ``q=None``,
    ``q = 1``); differentiable in ``q`` only."""
    if q is None:
        q = 1.0
    x, q = _inexact("zeta", x, q)
    return sp.zeta(x, q)


def gammainc(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma function ``P(a, x)``, differentiable in ``a``
    and ``x``."""
    a, x = _inexact("gammainc", a, x)
    return sp.igamma(a, x)


def gammaincc(a: Any, x: Any) -> Any:
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``, accurate
    where it is tiny."""
    a, x = _inexact("gammaincc", a, x)
    return sp.igammac(a, x)


def betainc(a: Any, b: Any, x: Any) -> Any:
    """The regularized incomplete beta function ``I_x(a, b)``; differentiable in ``x`` only
    (as in JAX)."""
    a, b, x = _inexact("betainc", a, b, x)
    return sp.betainc(a, b, x)


def betaln(a: Any, b: Any) -> Any:
    """``log |B(a, b)|`` = ``gammaln(a) + gammaln(b) - gammaln(a + b)``."""
    a, b = _inexact("betaln", a, b)
    return sp.lgamma(a) + sp.lgamma(b) - sp.lgamma(a + b)


def beta(a: Any, b: Any) -> Any:
    """The beta function ``Gamma(a) Gamma(b) / Gamma(a + b)``."""
    a, b = _inexact("beta", a, b)
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    return sign * fnp.exp(betaln(a, b))


def factorial(n: Any, exact: bool = False) -> Any:
    """``n!`` as ``Gamma(n + 1)``, 0 for negative ``n`` (``exact=True`` is not supported)."""
    if exact:
        raise NotImplementedError("factorial: exact=True is not supported (as in JAX).")
    (n,) = _inexact("factorial", n)
    return fnp.where(fnp.less(n, 0.0), 0.0, fnp.exp(sp.lgamma(n + 1.0)))


def comb(N: Any, k: Any, *, repetition: bool = False) -> Any:  # noqa: N803 (SciPy's name)
    """The binomial coefficient ``N! / (k! (N - k)!)`` as a float, through ``gammaln``
    (JAX's ``comb``; SciPy's with ``exact=False``): 0 where ``N < 0``, ``k < 0`` or ``k > N``.
    With ``repetition=True``, ``comb(N + k - 1, k)`` (and 1 where ``k == 0 <= N``)."""
    N, k = _inexact("comb", N, k)  # noqa: N806
    if repetition:
        return fnp.where(fnp.logical_and(fnp.equal(k, 0.0), fnp.greater_equal(N, 0.0)), 1.0,
                         comb(N + k - 1.0, k))
    inside = fnp.logical_and(fnp.logical_and(fnp.less_equal(k, N), fnp.greater_equal(N, 0.0)),
                             fnp.greater_equal(k, 0.0))
    safe_n, safe_k = fnp.where(inside, N, 0.0), fnp.where(inside, k, 0.0)
    value = fnp.exp(sp.lgamma(safe_n + 1.0) - sp.lgamma(safe_k + 1.0)
                    - sp.lgamma(safe_n - safe_k + 1.0))
    return fnp.where(inside, value, 0.0)


# B_0, B_1, ... as exact fractions, extended on demand (see bernoulli).
_BERNOULLI: list[Fraction] = [Fraction(1)]
# From this index on every nonzero B_n is beyond float64 (|B_256| is about 8e302, |B_258|
# about 1.3e306, |B_260| overflows), so the exact numbers stop here and the rest are signed
# infinities.
_BERNOULLI_FINITE = 260


def _bernoulli_exact(n: int) -> list[Fraction]:
    """``B_0 .. B_n`` (``n <= _BERNOULLI_FINITE``) from ``sum over k <= m of C(m+1, k) B_k = 0``
    for ``m >= 1``, which gives ``B_1 = -1/2``."""
    for m in range(len(_BERNOULLI), n + 1):
        if m > 1 and m % 2:
            _BERNOULLI.append(Fraction(0))
            continue
        total = Fraction(0)
        binom = 1  # C(m+1, k), stepped along k
        for k in range(m):
            total += binom * _BERNOULLI[k]
            binom = binom * (m + 1 - k) // (k + 1)
        _BERNOULLI.append(-total / (m + 1))
    return _BERNOULLI[:n + 1]


def bernoulli(n: int) -> Any:
    """The Bernoulli numbers ``B_0, B_1, ..., B_n`` as a float64 array of ``n + 1`` entries,
    with ``B_1 = -1/2`` (JAX's and SciPy's convention).  They are exact fractions rounded once
    to float64; from ``B_260`` on the even ones are beyond float64 and are ``inf`` with the
    sign of ``(-1)**(n/2 + 1)``.  ``n`` must be a concrete non-negative integer (it sets the
    shape); there is no derivative."""
    count = operator.index(n)
    if count < 0:
        raise ValueError(f"bernoulli: n must be a non-negative integer, got {n!r}.")
    exact = _bernoulli_exact(min(count, _BERNOULLI_FINITE - 1))
    out = np.zeros(count + 1, dtype=np.float64)
    out[:len(exact)] = [float(b) for b in exact]
    even = np.arange(_BERNOULLI_FINITE, count + 1, 2)
    out[even] = np.where(even % 4 == 0, -np.inf, np.inf)
    return out


def poch(z: Any, m: Any) -> Any:
    """The rising factorial ``Gamma(z + m) / Gamma(z)``."""
    z, m = _inexact("poch", z, m)
    sign = gammasgn(z + m) * gammasgn(z)
    return sign * fnp.exp(sp.lgamma(z + m) - sp.lgamma(z))


def multigammaln(a: Any, d: int) -> Any:
    """The log of the multivariate gamma function of dimension ``d``:
    ``d(d-1)/4 log(pi) + sum over j < d of gammaln(a - j/2)``."""
    d = int(d)
    if d < 1:
        raise ValueError(f"multigammaln: the dimension d must be a positive integer, got {d}.")
    (a,) = _inexact("multigammaln", a)
    total = d * (d - 1) / 4.0 * math.log(math.pi)
    return total + sum(sp.lgamma(a - j / 2.0) for j in range(d))


def _boxcox(name: str, log_fn: Any, edge: float, x: Any, lmbda: Any) -> Any:
    """``(exp(lmbda * log_fn(x)) - 1) / lmbda``, ``log_fn(x)`` where ``lmbda == 0``, for ``x``
    above ``edge`` (where ``log_fn`` is ``-inf``; NaN below it).

    Written as ``L * exprel(lmbda * L)`` with ``L = log_fn(x)`` and ``exprel(t) = expm1(t) / t``,
    whose Taylor series is used for ``|t| < 1e-3``: the value is then smooth in ``lmbda``
    through 0, so the derivatives in ``lmbda`` there are the true ones (``L**2 / 2``...).
    """
    x, lmbda = _inexact(name, x, lmbda)
    inside = fnp.greater(x, edge)
    log_x = log_fn(fnp.where(inside, x, edge + 1.0))
    t = lmbda * log_x
    small = fnp.less(fnp.abs(t), 1e-3)
    t_small = fnp.where(small, t, 0.0)
    # 1 + t/2 + t^2/6 + t^3/24 + t^4/120: the next term, t^5/720, is below 2e-18.
    series = 1.0 + t_small * (0.5 + t_small * (1.0 / 6.0 + t_small * (
        1.0 / 24.0 + t_small * (1.0 / 120.0))))
    power = fnp.expm1(fnp.where(small, 1.0, t)) / fnp.where(small, 1.0, lmbda)
    value = fnp.where(small, log_x * series, power)
    # At the edge x**lmbda is 0 for lmbda > 0 (the value is -1/lmbda) and inf otherwise.
    positive = fnp.greater(lmbda, 0.0)
    at_edge = fnp.where(positive, -1.0 / fnp.where(positive, lmbda, 1.0), -np.inf)
    return fnp.where(inside, value, fnp.where(fnp.equal(x, edge), at_edge, np.nan))


def boxcox(x: Any, lmbda: Any) -> Any:
    """The Box-Cox transformation ``(x**lmbda - 1) / lmbda`` (``log(x)`` at ``lmbda == 0``),
    NaN for ``x < 0``; smooth in ``lmbda`` through 0."""
    return _boxcox("boxcox", fnp.log, 0.0, x, lmbda)


def boxcox1p(x: Any, lmbda: Any) -> Any:
    """The Box-Cox transformation of ``1 + x``: ``((1 + x)**lmbda - 1) / lmbda``
    (``log1p(x)`` at ``lmbda == 0``), accurate for small ``x``; NaN for ``x < -1``."""
    return _boxcox("boxcox1p", fnp.log1p, -1.0, x, lmbda)


# -- exponential, Dawson, Fresnel and dilogarithm integrals --------------------------------------


def expi(x: Any) -> Any:
    """The exponential integral ``Ei(x)``, the principal value of the integral of ``e**t / t``
    from ``-inf`` to ``x`` (``-inf`` at 0). Its derivative is ``exp(x) / x``."""
    return sp.expi(*_inexact("expi", x))


def exp1(x: Any) -> Any:
    """The exponential integral ``E1(x)``, the integral of ``exp(-x t) / t`` over ``t > 1``,
    for ``x >= 0`` (``inf`` at 0, NaN below, as SciPy's real ``exp1``). Its derivative is
    ``-exp(-x) / x``."""
    return sp.exp1(*_inexact("exp1", x))


def expn(n: Any, x: Any) -> Any:
    """The generalized exponential integral ``E_n(x)``, the integral of ``exp(-x t) / t**n``
    over ``t > 1``, for integer ``n`` (NaN for ``n < 0``, as SciPy) and ``x >= 0``; not
    differentiable in ``n``. Its derivative in ``x`` is ``-expn(n - 1, x)``."""
    n_op = as_operand(n)
    if not isinstance(n_op, Tracer):
        order = np.asarray(n_op)
        if order.dtype.kind not in "biuf" or np.any(order != np.floor(order)):
            raise ValueError(f"expn: the order n must be an integer, got {n!r}.")
    n_op, x = _inexact("expn", n_op, x)
    negative = fnp.less(n_op, 0.0)
    return fnp.where(negative, np.nan, sp.expn(fnp.where(negative, 0.0, n_op), x))


def owens_t(h: Any, a: Any) -> Any:
    """Owen's T function ``T(h, a)``: the integral of
    ``exp(-h**2 (1 + x**2) / 2) / (2 pi (1 + x**2))`` from 0 to ``a``, the probability that a
    standard bivariate normal ``(X, Y)`` has ``X > h`` and ``0 < Y < a X``.  Differentiable
    in both arguments to every order (``dT/da`` is the integrand at ``a``, ``dT/dh`` is
    ``-exp(-h**2/2) erf(a h / sqrt 2) / (2 sqrt(2 pi))``)."""
    return sp.owens_t(*_inexact("owens_t", h, a))


def hyp1f1(a: Any, b: Any, x: Any) -> Any:
    """Kummer's confluent hypergeometric function ``1F1(a; b; x)`` for real arguments (power
    series; Kummer's transformation for ``x < 0``).  Differentiable in ``x`` only
    (``a/b 1F1(a+1; b+1; x)``); differentiating in ``a`` or ``b`` raises ``ValueError``."""
    return sp.hyp1f1(*_inexact("hyp1f1", a, b, x))


def hyp2f1(a: Any, b: Any, c: Any, x: Any) -> Any:
    """Gauss's hypergeometric function ``2F1(a, b; c; x)``, the sum of
    ``(a)_k (b)_k / (c)_k x**k / k!``, for real arguments and ``x <= 1`` (as SciPy's real
    ``hyp2f1``: ``inf`` for ``x > 1`` unless ``a`` or ``b`` is a non-positive integer, when it
    is a polynomial; ``inf`` where ``c`` is a non-positive integer).  Values for ``x < -1``
    are SciPy's (JAX's sum the divergent series there).  Differentiable in ``x`` only
    (``a b / c * hyp2f1(a + 1, b + 1, c + 1, x)``); differentiating in ``a``, ``b`` or ``c``
    raises ``ValueError`` (JAX's derivatives there are power series in ``x``, which diverge for
    ``x < -1``).

    >>> from functrace.scipy import special
    >>> round(float(special.hyp2f1(1.0, 1.0, 2.0, -1.0)), 15)  # log(2)
    0.693147180559945
    """
    return sp.hyp2f1(*_inexact("hyp2f1", a, b, c, x))


def dawsn(x: Any) -> Any:
    """Dawson's integral ``exp(-x**2)`` times the integral of ``exp(t**2)`` from 0 to ``x``.
    Its derivative is ``1 - 2 x dawsn(x)``."""
    return sp.dawsn(*_inexact("dawsn", x))


def fresnel(x: Any) -> tuple[Any, Any]:
    """The Fresnel integrals ``(S(x), C(x))``: the integrals of ``sin(pi t**2 / 2)`` and
    ``cos(pi t**2 / 2)`` from 0 to ``x``, as ``scipy.special.fresnel``. Their derivatives
    are those integrands."""
    (x,) = _inexact("fresnel", x)
    return sp.fresnel_s(x), sp.fresnel_c(x)


def sici(x: Any) -> tuple[Any, Any]:
    """The sine and cosine integrals ``(Si(x), Ci(x))``, as ``scipy.special.sici`` and
    ``jax.scipy.special.sici`` for real ``x``: ``Si(x)`` is the integral of ``sin(t) / t``
    from 0 to ``x`` (odd, ``+-pi/2`` at ``+-inf``), ``Ci(x)`` is Euler's constant plus
    ``log(x)`` plus the integral of ``(cos(t) - 1) / t`` from 0 to ``x`` (``-inf`` at 0, 0 at
    ``inf``); for ``x < 0``, ``Ci`` is the real part ``Ci(|x|)`` and NaN at ``-inf``, as SciPy
    and JAX return.  Their derivatives are ``sin(x) / x`` (1 at 0) and ``cos(x) / x``, to every
    order.

    Raises:
        TypeError: for complex ``x`` (JAX raises ``ValueError``), as every real function here.

    >>> from functrace.scipy import special
    >>> [round(float(v), 12) for v in special.sici(1.0)]
    [0.946083070367, 0.337403922901]
    """
    (x,) = _inexact("sici", x)
    return sp.si(x), sp.ci(x)


def wofz(z: Any) -> Any:
    """The Faddeeva function ``w(z) = exp(-z**2) erfc(-i z)``, as ``scipy.special.wofz`` and
    ``jax.scipy.special.wofz``: complex results, real arguments promoted to complex as JAX
    promotes them (float32 to complex64, integers and float64 to complex128).  Holomorphic,
    with ``w'(z) = -2 z w(z) + 2i / sqrt(pi)``, to every order (jvp and vjp follow JAX's
    convention for complex functions, as ``exp``).  On the real axis ``w(x) = exp(-x**2) +
    2i dawsn(x) / sqrt(pi)``.

    >>> from functrace.scipy import special
    >>> w = special.wofz(1.0 + 1.0j)
    >>> [round(float(v), 12) for v in (w.real, w.imag)]
    [0.304744205257, 0.208218938203]
    """
    (z,) = inexact(z)
    dtype = aval(z).dtype
    if dtype.kind == "f":
        z = convert(z, np.result_type(dtype, np.complex64))
    return sp.wofz(z)


def spence(z: Any) -> Any:
    """Spence's function in SciPy's convention: the integral of ``log(t) / (1 - t)`` from 1
    to ``z``, the dilogarithm ``Li2(1 - z)``, for ``z >= 0`` (NaN below). Its derivative is
    ``log(z) / (1 - z)``."""
    return sp.spence(*_inexact("spence", z))


# -- Bessel functions -----------------------------------------------------------------------------


def i0e(x: Any) -> Any:
    """``exp(-|x|) I0(x)``, the exponentially scaled modified Bessel function of order 0."""
    return sp.bessel_i0e(*_inexact("i0e", x))


def i0(x: Any) -> Any:
    """The modified Bessel function of the first kind of order 0, ``iv(0, x)`` (the same
    kernel as ``i0e``, times ``exp(|x|)`` without overflowing before ``I0`` does)."""
    (x,) = _inexact("i0", x)
    return sp.bessel_iv(fnp.zeros_like(x), x)


def i1e(x: Any) -> Any:
    """``exp(-|x|) I1(x)``, the exponentially scaled modified Bessel function of order 1."""
    return sp.bessel_i1e(*_inexact("i1e", x))


def i1(x: Any) -> Any:
    """The modified Bessel function of the first kind of order 1, ``iv(1, x)``."""
    (x,) = _inexact("i1", x)
    return sp.bessel_iv(fnp.ones_like(x), x)


def j0(x: Any) -> Any:
    """The Bessel function of the first kind of order 0. Its derivative is ``-j1(x)``."""
    return sp.bessel_j0(*_inexact("j0", x))


def j1(x: Any) -> Any:
    """The Bessel function of the first kind of order 1. Its derivative is
    ``j0(x) - j1(x) / x`` (1/2 at 0)."""
    return sp.bessel_j1(*_inexact("j1", x))


def y0(x: Any) -> Any:
    """The Bessel function of the second kind of order 0 (``-inf`` at 0, NaN for ``x < 0``,
    as SciPy). Its derivative is ``-y1(x)``."""
    return sp.bessel_y0(*_inexact("y0", x))


def y1(x: Any) -> Any:
    """The Bessel function of the second kind of order 1 (``-inf`` at 0, NaN for ``x < 0``).
    Its derivative is ``y0(x) - y1(x) / x``."""
    return sp.bessel_y1(*_inexact("y1", x))


def _integer_order(name: str, n: Any, x: Any) -> list[Any]:
    """``n`` and ``x`` at a common floating dtype, once a concrete ``n`` is checked to be
    integer-valued."""
    n_op = as_operand(n)
    if not isinstance(n_op, Tracer):
        order = np.asarray(n_op)
        if (order.dtype.kind not in "biuf" or not np.all(np.isfinite(order))
                or np.any(order != np.floor(order))):
            raise ValueError(f"{name}: the order n must be an integer, got {n!r}.")
    return _inexact(name, n_op, x)


def jn(n: Any, x: Any) -> Any:
    """The Bessel function of the first kind ``J_n(x)`` of integer order ``n`` (of any sign);
    not differentiable in ``n``. Its derivative in ``x`` is
    ``(jn(n - 1, x) - jn(n + 1, x)) / 2``.

    >>> from functrace.scipy import special
    >>> round(float(special.jn(2, 1.5)), 12)
    0.232087672144
    """
    return sp.bessel_jn(*_integer_order("jn", n, x))


def yn(n: Any, x: Any) -> Any:
    """The Bessel function of the second kind ``Y_n(x)`` of integer order ``n`` (NaN for
    ``x < 0``, ``-inf`` at 0 times ``(-1)**n``); not differentiable in ``n``. Its derivative
    in ``x`` is ``(yn(n - 1, x) - yn(n + 1, x)) / 2``."""
    return sp.bessel_yn(*_integer_order("yn", n, x))


def iv(v: Any, x: Any) -> Any:
    """The modified Bessel function of the first kind ``I_v(x)`` of real order ``v``, as
    ``scipy.special.iv`` for ``v >= 0`` and any ``x >= 0`` (for an integer ``v``, any sign of
    ``v`` and ``x``: ``I_-n = I_n``, ``I_n(-x) = (-1)**n I_n(x)``); NaN for a non-integer
    order with ``x < 0`` and, as a limitation, for a negative non-integer order at ``x > 0``.
    Not differentiable in ``v``; its derivative in ``x`` is ``iv(v + 1, x) + v / x * iv(v, x)``
    (``(iv(v - 1, x) + iv(v + 1, x)) / 2``).

    >>> from functrace.scipy import special
    >>> round(float(special.iv(2.5, 3.0)), 12)
    1.515339446682
    """
    return sp.bessel_iv(*_inexact("iv", v, x))


def ive(v: Any, x: Any) -> Any:
    """``exp(-|x|) iv(v, x)``, finite for large ``x``. Not differentiable in ``v``; its
    derivative in ``x`` is ``ive(v + 1, x) + (v / x - sign(x)) ive(v, x)``."""
    return sp.bessel_ive(*_inexact("ive", v, x))


def bessel_jn(z: Any, *, v: int, n_iter: int = 50) -> Any:
    """``J_0(z), J_1(z), ..., J_v(z)`` stacked on a new leading axis (shape ``(v + 1,) +
    z.shape``), as ``jax.scipy.special.bessel_jn``. ``n_iter`` is accepted for JAX's
    signature and ignored: the kernel chooses its own number of steps.

    Raises:
        TypeError: if ``v`` is not an integer.

    >>> from functrace.scipy import special
    >>> special.bessel_jn(1.0, v=2).round(6)
    array([0.765198, 0.440051, 0.114903])
    """
    del n_iter
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"bessel_jn: the order v must be an integer, got {v!r}.")
    (z,) = _inexact("bessel_jn", z)
    z_aval = aval(z)
    orders = np.arange(max(int(v), -1) + 1, dtype=z_aval.dtype)
    orders = orders.reshape(orders.shape + (1,) * len(z_aval.shape))
    n_op, z_op = promote("bessel_jn", orders, fnp.expand_dims(z, 0))
    return sp.bessel_jn(n_op, z_op)


# -- spherical harmonics ---------------------------------------------------------------------------


def _sph_harm_n_max(n: Any, n_max: Any) -> int:
    """The largest degree the recurrence runs to: ``n_max``, or ``max(n)`` (at least 0), either
    of which must be a concrete integer."""
    what = "sph_harm_y: n_max (the number of steps of the Legendre recurrence)"
    try:
        if n_max is None:
            values = n.concrete(what) if isinstance(n, Tracer) else np.asarray(n)
            return max(int(np.max(values)), 0) if values.size else 0
        value = n_max.concrete(what) if isinstance(n_max, Tracer) else n_max
    except ConcretizationError:
        raise ConcretizationError(
            "sph_harm_y: n_max (the largest degree, which sets the number of steps of the "
            "Legendre recurrence) must be a concrete integer: when n is traced (under jit or "
            "vmap) pass n_max as a Python int or a static argument, as in "
            "jax.scipy.special.sph_harm_y.") from None
    if isinstance(value, (bool, np.bool_)) or np.ndim(value) != 0 or int(value) != value:
        raise TypeError(f"sph_harm_y: n_max must be an integer, got {n_max!r}.")
    if int(value) < 0:
        raise ValueError(f"sph_harm_y: n_max must be >= 0, got {int(value)}.")
    return int(value)


def sph_harm_y(n: Any, m: Any, theta: Any, phi: Any, diff_n: int | None = None,
               n_max: int | None = None) -> Any:
    """The spherical harmonic ``Y_n^m(theta, phi)`` of degree ``n`` and order ``m``, with
    ``theta`` the polar angle (colatitude, in ``[0, pi]``) and ``phi`` the azimuth, as
    ``scipy.special.sph_harm_y`` and ``jax.scipy.special.sph_harm_y``:
    ``sqrt((2n+1)/(4 pi) (n-m)!/(n+m)!) P_n^m(cos theta) exp(i m phi)``, with the
    Condon-Shortley phase ``(-1)**m`` in ``P_n^m``, and ``Y_n^-m = (-1)**m conj(Y_n^m)``.

    ``n`` and ``m`` are integer arrays; all four arguments broadcast.  As in JAX, a 0-d
    ``theta`` is taken as shape ``(1,)`` (so the result has at least one axis), and the
    degrees are clipped to ``n_max`` (default ``max(n)``, which must then be concrete: pass
    ``n_max`` when ``n`` is traced under ``jit`` or ``vmap``).  As in SciPy, the value is 0
    for ``|m| > n`` and for ``n < 0``.  The result is complex128 (complex64 for float32
    angles).  It is a loop of NumPy-style operations over the degrees ``1 .. n_max`` (the
    normalised three-term recurrence in ``cos theta``, started from the diagonal
    ``P_m^m ~ sin(theta)**m``), so every derivative in ``theta`` and ``phi`` exists, at the
    poles too.  ``diff_n`` (SciPy's derivatives) is not supported: only ``None`` (JAX's
    default) or ``0`` (SciPy's) are accepted.

    Raises:
        NotImplementedError: ``diff_n`` is not ``None`` or 0.
        TypeError: ``n`` or ``m`` is not an integer array; ``theta`` or ``phi`` is complex.
        ConcretizationError: ``n_max`` is ``None`` and ``n`` is traced.

    >>> import numpy as np
    >>> from functrace.scipy import special
    >>> special.sph_harm_y(np.array([1, 2]), np.array([0, -1]), 0.5, 0.25).round(6)
    array([0.428789+0.j      , 0.314934-0.080416j])
    """
    if diff_n is not None and (isinstance(diff_n, (bool, np.bool_)) or diff_n != 0):
        raise NotImplementedError(
            f"sph_harm_y: diff_n={diff_n!r} (derivatives in theta and phi as extra outputs) "
            "is not supported; differentiate with functrace.grad or jvp instead.")
    n, m = as_operand(n), as_operand(m)
    for name, v in (("n", n), ("m", m)):
        if aval(v).dtype.kind not in "iu":
            raise TypeError(f"sph_harm_y: the {name} must be an integer array, got dtype "
                            f"{aval(v).dtype}.")
    top = _sph_harm_n_max(n, n_max)
    theta = as_operand(theta)
    if not aval(theta).shape:  # (JAX's rule: a scalar theta is a vector of one)
        theta = fnp.reshape(theta, (1,))
    theta, phi = _inexact("sph_harm_y", theta, phi)
    dtype = aval(theta).dtype
    shape = fnp.broadcast_shapes(aval(n).shape, aval(m).shape, aval(theta).shape,
                                 aval(phi).shape)
    degree = fnp.broadcast_to(fnp.minimum(n, top).astype(np.int64), shape)
    order = fnp.broadcast_to(fnp.abs(m).astype(np.int64), shape)
    x = fnp.broadcast_to(fnp.cos(theta), shape)
    s = fnp.broadcast_to(fnp.sin(theta), shape)  # (not sqrt(1 - x**2): smooth at the poles)
    mu2 = order.astype(dtype) ** 2

    # Carry: the diagonal P_l^l, the column P_{l-1}^mu, P_l^mu of each entry's order mu, and
    # P_n^mu once l reaches the entry's degree (all normalised as Y, without exp(i m phi)).
    diag = fnp.full(shape, 0.5 / math.sqrt(math.pi), dtype=dtype)
    zero = fnp.zeros(shape, dtype=dtype)
    first = fnp.where(order == 0, diag, zero)
    init = (diag, zero, first, fnp.where(degree == 0, first, zero))

    def step(i: Any, carry: tuple[Any, Any, Any, Any]) -> tuple[Any, Any, Any, Any]:
        diag, prev, cur, out = carry
        lf = lax.convert_element_type(i, dtype)
        diag = diag * s * -fnp.sqrt((2 * lf + 1) / (2 * lf))
        above = i > order
        # P_l = a (x P_{l-1} - b P_{l-2}), a = sqrt((4l^2 - 1) / (l^2 - mu^2)),
        # b = sqrt(((l-1)^2 - mu^2) / (4(l-1)^2 - 1)); finite also where l <= mu (not used).
        a = fnp.sqrt((4 * lf * lf - 1) / fnp.where(above, lf * lf - mu2, 1.0))
        lm1 = (lf - 1) * (lf - 1)
        b = fnp.sqrt(fnp.where(above, (lm1 - mu2) / (4 * lm1 - 1), 0.0))
        new = fnp.where(above, a * (x * cur - b * prev), fnp.where(i == order, diag, zero))
        return diag, cur, new, fnp.where(degree == i, new, out)

    legendre = lax.fori_loop(1, top + 1, step, init)[3]
    # Y_n^-mu = (-1)^mu conj(Y_n^mu): the same Legendre factor times (-1)^mu exp(-i mu phi).
    sign = fnp.where((m < 0) & (order % 2 == 1), -1.0, 1.0).astype(dtype)
    angle = fnp.asarray(m).astype(dtype) * phi
    magnitude = sign * legendre
    return lax.complex(magnitude * fnp.cos(angle), magnitude * fnp.sin(angle))


# -- logistic functions and entropies --------------------------------------------------------------


def expit(x: Any) -> Any:
    """The logistic sigmoid ``1 / (1 + exp(-x))``, stable for any ``x``."""
    return nn.sigmoid(*_inexact("expit", x))


def logit(p: Any) -> Any:
    """The inverse of :func:`expit`: ``log(p / (1 - p))``."""
    (p,) = _inexact("logit", p)
    return fnp.log(p / (1.0 - p))


def _xlog(name: str, log_fn: Any, one: float, x: Any, y: Any) -> Any:
    """``x * log_fn(y)``, 0 where ``x`` is 0 and ``y`` is not NaN: there ``y`` is replaced by
    ``one``, where ``log_fn`` is 0 (so no ``0 * -inf`` is formed)."""
    x, y = _inexact(name, x, y)
    zero = fnp.logical_and(fnp.equal(x, 0.0), fnp.logical_not(fnp.isnan(y)))
    return x * log_fn(fnp.where(zero, one, y))


@custom_jvp
def xlogy(x: Any, y: Any) -> Any:
    """``x * log(y)``, 0 where ``x`` is 0 (unless ``y`` is NaN). Its derivative is
    ``(log(y), x / y)`` everywhere, as JAX's."""
    return _xlog("xlogy", fnp.log, 1.0, x, y)


@xlogy.defjvp
def _xlogy_jvp(primals: tuple[Any, Any], tangents: tuple[Any, Any]) -> tuple[Any, Any]:
    x, y = _inexact("xlogy", *primals)
    x_dot, y_dot = tangents
    return xlogy(x, y), x_dot * fnp.log(y) + y_dot * x / y


@custom_jvp
def xlog1py(x: Any, y: Any) -> Any:
    """``x * log1p(y)``, 0 where ``x`` is 0 (unless ``y`` is NaN). Its derivative is
    ``(log1p(y), x / (1 + y))`` everywhere, as JAX's."""
    return _xlog("xlog1py", fnp.log1p, 0.0, x, y)


@xlog1py.defjvp
def _xlog1py_jvp(primals: tuple[Any, Any], tangents: tuple[Any, Any]) -> tuple[Any, Any]:
    x, y = _inexact("xlog1py", *primals)
    x_dot, y_dot = tangents
    return xlog1py(x, y), x_dot * fnp.log1p(y) + y_dot * x / (1.0 + y)


def entr(x: Any) -> Any:
    """The elementwise entropy ``-x log(x)``: 0 at 0, ``-inf`` for negative ``x``."""
    (x,) = _inexact("entr", x)
    positive = fnp.greater(x, 0.0)
    safe = fnp.where(positive, x, 1.0)
    value = fnp.where(positive, -safe * fnp.log(safe), 0.0)
    return fnp.where(fnp.less(x, 0.0), -np.inf, fnp.where(fnp.isnan(x), np.nan, value))


def rel_entr(p: Any, q: Any) -> Any:
    """``p log(p / q)`` for ``p, q > 0``; 0 where ``p == 0 <= q``; ``inf`` otherwise."""
    p, q = _inexact("rel_entr", p, q)
    both = fnp.logical_and(fnp.greater(p, 0.0), fnp.greater(q, 0.0))
    safe_p, safe_q = fnp.where(both, p, 1.0), fnp.where(both, q, 1.0)
    value = safe_p * fnp.log(safe_p / safe_q)
    edge = fnp.where(fnp.logical_and(fnp.equal(p, 0.0), fnp.greater_equal(q, 0.0)), 0.0, np.inf)
    out = fnp.where(both, value, edge)
    return fnp.where(fnp.logical_or(fnp.isnan(p), fnp.isnan(q)), np.nan, out)


def kl_div(p: Any, q: Any) -> Any:
    """``p log(p / q) - p + q`` for ``p, q > 0``; ``q`` where ``p == 0 <= q``; ``inf``
    otherwise."""
    p, q = _inexact("kl_div", p, q)
    both = fnp.logical_and(fnp.greater(p, 0.0), fnp.greater(q, 0.0))
    safe_p, safe_q = fnp.where(both, p, 1.0), fnp.where(both, q, 1.0)
    value = safe_p * fnp.log(safe_p / safe_q) - safe_p + safe_q
    zero_p = fnp.logical_and(fnp.equal(p, 0.0), fnp.greater_equal(q, 0.0))
    out = fnp.where(both, value, fnp.where(zero_p, q, np.inf))
    return fnp.where(fnp.logical_or(fnp.isnan(p), fnp.isnan(q)), np.nan, out)


def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """``log(sum(b * exp(a)))`` over ``axis``, stably: :func:`functrace.numpy.logsumexp`."""
    return fnp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def softmax(x: Any, axis: Any = None) -> Any:
    """``exp(x) / sum(exp(x))`` over ``axis`` (all axes by default, as SciPy's)."""
    return nn.softmax(x, axis=axis)


def log_softmax(x: Any, axis: Any = None) -> Any:
    """``x - logsumexp(x)`` over ``axis`` (all axes by default, as SciPy's)."""
    return nn.log_softmax(x, axis=axis)
