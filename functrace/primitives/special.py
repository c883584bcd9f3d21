"""Special functions as elementwise primitives, named as in ``jax.lax``: ``erf``, ``erfc``,
``erf_inv``, ``lgamma``, ``digamma``, ``polygamma``, ``zeta``, ``bessel_i0e``, ``bessel_i1e``,
``igamma``, ``igammac``, ``igamma_grad_a``, ``regularized_incomplete_beta``;
``erfcx``, ``ndtri``, ``log_ndtr`` and ``gamma``, which ``functrace.scipy.special`` needs
to be accurate in the tails; and the integrals ``expi``, ``exp1``, ``expn``, ``dawsn``,
``fresnel_s``, ``fresnel_c``, the sine and cosine integrals ``si`` and ``ci``, ``spence`` and
Owen's ``owens_t``, which jax.lax lacks (JAX
writes them as loops of lax operations; here each is one kernel); and the Bessel functions
``bessel_j0``, ``bessel_j1``, ``bessel_y0``, ``bessel_y1``, ``bessel_jn``, ``bessel_yn`` of
integer order and ``bessel_iv``, ``bessel_ive`` of real order, which jax.lax lacks too.

The values come from the NumPy kernels of :mod:`functrace.primitives._special_kernels` and
:mod:`functrace.primitives._incomplete_kernels`, ``_integral_kernels`` and ``_bessel_kernels``,
evaluated in float64 and rounded to the operand's dtype (float32 stays float32).  Operands
must be real floating point (``functrace.numpy`` and ``functrace.scipy`` convert integers
first); complex operands are refused, as JAX refuses them.  The exception is ``wofz``, the
Faddeeva function of :mod:`functrace.primitives._complex_kernels`, whose operand is complex
(complex64 is computed in complex128).

Each derivative is written with these same primitives, so every order is available:

* ``erf' = 2/sqrt(pi) exp(-x^2)`` and ``erfc' = -erf'``; ``erfcx' = 2 x erfcx(x) - 2/sqrt(pi)``;
* ``erf_inv' = sqrt(pi)/2 exp(y^2)`` and ``ndtri' = sqrt(2 pi) exp(y^2 / 2)``, from the output
  ``y``;
* ``log_ndtr' = sqrt(2/pi) / erfcx(-x / sqrt 2)``, the ratio ``pdf / cdf`` without forming
  either (both underflow far in the lower tail; the ratio is about ``-x`` there);
* ``lgamma' = digamma``, ``gamma' = gamma * digamma``, ``digamma' = polygamma(1, .)`` and
  ``polygamma(m, .)' = polygamma(m + 1, .)``;
* ``zeta(s, q)`` in ``q``: ``-s zeta(s + 1, q)``;
* ``bessel_i0e' = i1e - sign(x) i0e`` and ``bessel_i1e' = i0e - i1e (sign(x) + 1/x)``, which is
  1/2 at 0;
* ``igamma(a, x)``: ``igamma_grad_a(a, x)`` in ``a`` and the gamma density
  ``x^(a-1) e^-x / Gamma(a)`` in ``x`` (``igammac``: their negatives); ``igamma_grad_a`` in
  ``x``: that density times ``log x - digamma(a)``;
* ``betainc(a, b, x)`` in ``x``: the beta density ``x^(a-1) (1-x)^(b-1) / B(a, b)``;
* ``expi' = e^x / x``, ``exp1' = -e^-x / x``, ``expn(n, x)`` in ``x``: ``-expn(n - 1, x)``
  (the kernel takes every integer ``n``, so this holds at ``n = 0`` too);
* ``dawsn' = 1 - 2 x dawsn(x)``; ``fresnel_s' = sin(pi x^2 / 2)``, ``fresnel_c' = cos(...)``;
* ``si' = sin(x) / x`` (its Taylor polynomial near 0, so that every order is right there) and
  ``ci' = cos(x) / x``;
* ``spence' = log(z) / (1 - z)``, -1 at ``z = 1`` (a series there);
* ``wofz' = -2 z wofz(z) + 2i / sqrt(pi)``, holomorphic: the cotangent is multiplied by the
  same factor, unconjugated (JAX's convention for complex derivatives, as ``exp``'s);
* ``hyp2f1(a, b, c, x)`` in ``x``: ``(a b / c) hyp2f1(a + 1, b + 1, c + 1, x)``;
* ``owens_t(h, a)``: ``-exp(-h^2/2) erf(a h / sqrt 2) / (2 sqrt(2 pi))`` in ``h``, the integrand
  ``exp(-h^2 (1 + a^2) / 2) / (2 pi (1 + a^2))`` in ``a``;
* ``j0' = -j1``, ``y0' = -y1``, ``j1' = j0 - j1 / x`` (1/2 at 0), ``y1' = y0 - y1 / x``;
  ``jn(n, x)`` and ``yn(n, x)`` in ``x``: ``(f(n - 1, x) - f(n + 1, x)) / 2`` (the kernels
  take every integer ``n``);
* ``iv(v, x)`` in ``x``: ``iv(v + 1, x) + (v / x) iv(v, x)`` (``(iv(v - 1, 0) + iv(v + 1, 0)) / 2``
  at 0); ``ive(v, x)``: the same with ``ive``, less ``sign(x) ive(v, x)``.

As in JAX, the order ``m`` of ``polygamma``, the exponent ``s`` of ``zeta``, the order ``n``
of ``expn``, ``bessel_jn`` and ``bessel_yn``, the order ``v`` of ``bessel_iv`` and
``bessel_ive``, the parameters ``a``, ``b`` of ``betainc`` and ``a``, ``b``, ``c`` of
``hyp2f1`` have no derivative, nor has ``igamma_grad_a`` in ``a``: differentiating with
respect to them raises ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters.jvp import defjvp
from functrace.interpreters.vjp import defvjp
from functrace.primitives import _bessel_kernels as bessel
from functrace.primitives import _complex_kernels as complex_kernels
from functrace.primitives import _incomplete_kernels as incomplete
from functrace.primitives import _integral_kernels as integral
from functrace.primitives import _special_kernels as kernels
from functrace.primitives import elementwise as ew
from functrace.primitives.elementwise import (
    add,
    cos,
    div,
    elementwise,
    exp,
    full_like,
    gt_p,
    log,
    log1p,
    mul,
    neg,
    scalar_like,
    select_n,
    sign,
    sin,
    sub,
)


def _special(name: str, kernel: Callable[..., np.ndarray], kind: str = "f") -> Primitive:
    """An elementwise primitive of real floating operands (``kind="f"``, valued by ``kernel``
    in float64) or of complex ones (``kind="c"``, in complex128)."""
    wide, what = ((np.float64, "real floating-point") if kind == "f"
                  else (np.complex128, "complex"))

    def impl(*args: Any) -> Any:
        dtype = np.result_type(*args)
        if dtype.kind != kind:
            raise TypeError(f"{name} requires {what} operands, got {dtype}.")
        with np.errstate(all="ignore"):
            out = kernel(*(np.asarray(a, dtype=wide) for a in args))
        return np.asarray(out, dtype=dtype)

    prim = elementwise(name, impl)
    generic_shape = prim.shape_rule

    def shape_rule(*avals: ShapedArray, **params: Any) -> list[ShapedArray]:
        for a in avals:
            if a.dtype.kind != kind:
                raise TypeError(f"{name} requires {what} operands, got {a.str_short()}.")
        return generic_shape(*avals, **params)

    prim.shape_rule = shape_rule
    return prim


def _rules(prim: Primitive, *arg_rules: Callable[..., Any] | None,
           residuals: tuple[bool, tuple[bool, ...]] | None = None) -> None:
    """The same per-argument rule as jvp (times the tangent) and vjp (times the cotangent):
    the derivative of an elementwise function is a pointwise factor either way."""
    defjvp(prim, *arg_rules)
    defvjp(prim, *arg_rules, residuals=residuals)


def _no_derivative(prim_name: str, arg: str) -> Callable[..., Any]:
    def rule(t: Any, ans: Any, *args: Any) -> Any:
        raise ValueError(f"{prim_name}: the derivative with respect to {arg} is not "
                         "supported by functrace.")

    return rule


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# -- the error function and its relatives -------------------------------------------------------

erf_p = _special("erf", kernels.erf)
erfc_p = _special("erfc", kernels.erfc)
erfcx_p = _special("erfcx", kernels.erfcx)
erf_inv_p = _special("erf_inv", kernels.erfinv)
ndtri_p = _special("ndtri", kernels.ndtri)
log_ndtr_p = _special("log_ndtr", kernels.log_ndtr)


def erf(x: Any) -> Any:
    """The error function, ``2/sqrt(pi)`` times the integral of ``exp(-t^2)`` from 0 to ``x``."""
    return erf_p.bind1(x)


def erfc(x: Any) -> Any:
    """``1 - erf(x)``, accurate where it is small (large ``x``)."""
    return erfc_p.bind1(x)


def erfcx(x: Any) -> Any:
    """The scaled complementary error function ``exp(x^2) erfc(x)``, finite for large ``x``."""
    return erfcx_p.bind1(x)


def erf_inv(x: Any) -> Any:
    """The inverse of ``erf`` on ``[-1, 1]`` (``+-inf`` at ``+-1``, NaN outside)."""
    return erf_inv_p.bind1(x)


def ndtri(p: Any) -> Any:
    """The inverse of the standard normal CDF on ``[0, 1]``, accurate in both tails."""
    return ndtri_p.bind1(p)


def log_ndtr(x: Any) -> Any:
    """The log of the standard normal CDF, accurate far into the lower tail."""
    return log_ndtr_p.bind1(x)


def _gaussian(x: Any) -> Any:
    return exp(neg(mul(x, x)))


_rules(erf_p, lambda t, ans, x: mul(t, mul(scalar_like(x, _TWO_OVER_SQRT_PI), _gaussian(x))),
       residuals=(False, (True,)))
_rules(erfc_p, lambda t, ans, x: mul(t, mul(scalar_like(x, -_TWO_OVER_SQRT_PI), _gaussian(x))),
       residuals=(False, (True,)))
_rules(erfcx_p, lambda t, ans, x: mul(t, sub(mul(scalar_like(x, 2), mul(x, ans)),
                                             scalar_like(x, _TWO_OVER_SQRT_PI))))
_rules(erf_inv_p, lambda t, ans, x: mul(t, mul(scalar_like(ans, math.sqrt(math.pi) / 2),
                                               exp(mul(ans, ans)))),
       residuals=(True, (False,)))
_rules(ndtri_p, lambda t, ans, x: mul(t, mul(scalar_like(ans, math.sqrt(2 * math.pi)),
                                             exp(mul(scalar_like(ans, 0.5), mul(ans, ans))))),
       residuals=(True, (False,)))
_rules(log_ndtr_p, lambda t, ans, x: div(mul(t, scalar_like(x, math.sqrt(2 / math.pi))),
                                         erfcx(mul(x, scalar_like(x, -math.sqrt(0.5))))),
       residuals=(False, (True,)))

# -- the gamma function and its derivatives -----------------------------------------------------

lgamma_p = _special("lgamma", kernels.lgamma)
gamma_p = _special("gamma", kernels.gamma)
digamma_p = _special("digamma", kernels.digamma)
polygamma_p = _special("polygamma", kernels.polygamma)
zeta_p = _special("zeta", kernels.zeta)


def lgamma(x: Any) -> Any:
    """``log |Gamma(x)|`` (``inf`` at the poles, the non-positive integers)."""
    return lgamma_p.bind1(x)


def gamma(x: Any) -> Any:
    """The gamma function, with its sign (``scipy.special.gamma``'s values at the poles)."""
    return gamma_p.bind1(x)


def digamma(x: Any) -> Any:
    """The digamma function, the derivative of ``lgamma``."""
    return digamma_p.bind1(x)


def polygamma(m: Any, x: Any) -> Any:
    """The ``m``-th derivative of ``digamma`` (``m`` a non-negative integer, as a float)."""
    return polygamma_p.bind1(m, x)


def zeta(s: Any, q: Any) -> Any:
    """The Hurwitz zeta function, the sum of ``(k + q)^-s`` over ``k >= 0``."""
    return zeta_p.bind1(s, q)


_rules(lgamma_p, lambda t, ans, x: mul(t, digamma(x)), residuals=(False, (True,)))
_rules(gamma_p, lambda t, ans, x: mul(t, mul(ans, digamma(x))))
_rules(digamma_p, lambda t, ans, x: mul(t, polygamma(scalar_like(x, 1), x)),
       residuals=(False, (True,)))
_rules(polygamma_p, _no_derivative("polygamma", "m"),
       lambda t, ans, m, x: mul(t, polygamma(add(m, scalar_like(m, 1)), x)),
       residuals=(False, (True,)))
_rules(zeta_p, _no_derivative("zeta", "s"),
       lambda t, ans, s, q: mul(t, neg(mul(s, zeta(add(s, scalar_like(s, 1)), q)))),
       residuals=(False, (True,)))

# -- exponentially scaled modified Bessel functions ----------------------------------------------

bessel_i0e_p = _special("bessel_i0e", kernels.i0e)
bessel_i1e_p = _special("bessel_i1e", kernels.i1e)


def bessel_i0e(x: Any) -> Any:
    """``exp(-|x|) I0(x)``, the modified Bessel function of order 0, scaled."""
    return bessel_i0e_p.bind1(x)


def bessel_i1e(x: Any) -> Any:
    """``exp(-|x|) I1(x)``, the modified Bessel function of order 1, scaled."""
    return bessel_i1e_p.bind1(x)


def _i1e_slope(ans: Any, x: Any) -> Any:
    # i0e(x) - i1e(x) (sign(x) + 1/x), whose limit at 0 is 1/2; the formula is evaluated at a
    # safe point there, so that the branch not taken has no 1/0 (whose zero cotangent would
    # make a second derivative NaN).
    tiny = np.finfo(get_aval(x).dtype).eps
    away = gt_p.bind1(ew.abs(x), scalar_like(x, tiny))
    safe = select_n(away, full_like(x, tiny), x)
    slope = sub(bessel_i0e(safe), mul(bessel_i1e(safe),
                                      add(sign(safe), div(scalar_like(x, 1), safe))))
    return select_n(away, full_like(x, 0.5), slope)


_rules(bessel_i0e_p, lambda t, ans, x: mul(t, sub(bessel_i1e(x), mul(sign(x), ans))))
_rules(bessel_i1e_p, lambda t, ans, x: mul(t, _i1e_slope(ans, x)), residuals=(False, (True,)))

# -- incomplete gamma and beta functions ------------------------------------------------------

igamma_p = _special("igamma", incomplete.gammainc)
igammac_p = _special("igammac", incomplete.gammaincc)
igamma_grad_a_p = _special("igamma_grad_a", incomplete.gammainc_da)
regularized_incomplete_beta_p = _special("regularized_incomplete_beta", incomplete.betainc)


def igamma(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma function ``P(a, x)``."""
    return igamma_p.bind1(a, x)


def igammac(a: Any, x: Any) -> Any:
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``, accurate
    where it is small."""
    return igammac_p.bind1(a, x)


def igamma_grad_a(a: Any, x: Any) -> Any:
    """``dP(a, x) / da``."""
    return igamma_grad_a_p.bind1(a, x)


def betainc(a: Any, b: Any, x: Any) -> Any:
    """The regularized incomplete beta function ``I_x(a, b)``."""
    return regularized_incomplete_beta_p.bind1(a, b, x)


def _gamma_density(a: Any, x: Any) -> Any:
    """``dP/dx = x^(a-1) exp(-x) / Gamma(a)``, through logarithms."""
    return exp(sub(sub(mul(sub(a, scalar_like(a, 1)), log(x)), x), lgamma(a)))


_rules(igamma_p, lambda t, ans, a, x: mul(t, igamma_grad_a(a, x)),
       lambda t, ans, a, x: mul(t, _gamma_density(a, x)), residuals=(False, (True,)))
_rules(igammac_p, lambda t, ans, a, x: neg(mul(t, igamma_grad_a(a, x))),
       lambda t, ans, a, x: neg(mul(t, _gamma_density(a, x))), residuals=(False, (True,)))
# d/dx dP/da = d/da dP/dx = dP/dx (log x - digamma(a)); the second derivative in ``a`` has no
# kernel, so it raises (JAX's igamma_grad_a has no derivative at all).
_rules(igamma_grad_a_p, _no_derivative("igamma_grad_a", "a"),
       lambda t, ans, a, x: mul(t, mul(_gamma_density(a, x), sub(log(x), digamma(a)))),
       residuals=(False, (True,)))
_rules(regularized_incomplete_beta_p, _no_derivative("betainc", "a"),
       _no_derivative("betainc", "b"),
       lambda t, ans, a, b, x: mul(t, exp(sub(add(
           mul(sub(a, scalar_like(a, 1)), log(x)), mul(sub(b, scalar_like(b, 1)), log1p(neg(x)))),
           sub(add(lgamma(a), lgamma(b)), lgamma(add(a, b)))))),
       residuals=(False, (True,)))


# -- exponential, Dawson, Fresnel and dilogarithm integrals -----------------------------------
# (primitives because each is one kernel of series and continued fractions; as compositions of
# functrace operations they would be loops in the IR.)

expi_p = _special("expi", integral.expi)
exp1_p = _special("exp1", integral.exp1)
expn_p = _special("expn", integral.expn)
dawsn_p = _special("dawsn", integral.dawsn)
fresnel_s_p = _special("fresnel_s", integral.fresnel_s)
fresnel_c_p = _special("fresnel_c", integral.fresnel_c)
si_p = _special("si", integral.sin_integral)
ci_p = _special("ci", integral.cos_integral)
spence_p = _special("spence", integral.spence)
owens_t_p = _special("owens_t", integral.owens_t)
hyp1f1_p = _special("hyp1f1", integral.hyp1f1)
hyp2f1_p = _special("hyp2f1", integral.hyp2f1)


def expi(x: Any) -> Any:
    """The exponential integral ``Ei(x)`` (``-E1(-x)`` for ``x < 0``)."""
    return expi_p.bind1(x)


def exp1(x: Any) -> Any:
    """The exponential integral ``E1(x)`` for ``x >= 0`` (NaN below)."""
    return exp1_p.bind1(x)


def expn(n: Any, x: Any) -> Any:
    """The generalized exponential integral ``E_n(x)``, ``n`` an integer (as a float) of any
    sign."""
    return expn_p.bind1(n, x)


def dawsn(x: Any) -> Any:
    """Dawson's integral ``exp(-x^2)`` times the integral of ``exp(t^2)`` from 0 to ``x``."""
    return dawsn_p.bind1(x)


def fresnel_s(x: Any) -> Any:
    """The Fresnel integral ``S(x)``, the integral of ``sin(pi t^2 / 2)`` from 0 to ``x``."""
    return fresnel_s_p.bind1(x)


def fresnel_c(x: Any) -> Any:
    """The Fresnel integral ``C(x)``, the integral of ``cos(pi t^2 / 2)`` from 0 to ``x``."""
    return fresnel_c_p.bind1(x)


def si(x: Any) -> Any:
    """The sine integral ``Si(x)``, the integral of ``sin(t) / t`` from 0 to ``x``."""
    return si_p.bind1(x)


def ci(x: Any) -> Any:
    """The cosine integral ``Ci(x)``, Euler's constant plus ``log|x|`` plus the integral of
    ``(cos(t) - 1) / t`` from 0 to ``|x|`` (-inf at 0)."""
    return ci_p.bind1(x)


def spence(z: Any) -> Any:
    """Spence's function, the integral of ``log(t) / (1 - t)`` from 1 to ``z`` (SciPy's)."""
    return spence_p.bind1(z)


def owens_t(h: Any, a: Any) -> Any:
    """Owen's T function ``T(h, a)``, the integral of
    ``exp(-h^2 (1 + x^2) / 2) / (2 pi (1 + x^2))`` from 0 to ``a``."""
    return owens_t_p.bind1(h, a)


def hyp1f1(a: Any, b: Any, x: Any) -> Any:
    """Kummer's confluent hypergeometric function ``1F1(a; b; x)``."""
    return hyp1f1_p.bind1(a, b, x)


def hyp2f1(a: Any, b: Any, c: Any, x: Any) -> Any:
    """Gauss's hypergeometric function ``2F1(a, b; c; x)`` for real ``x <= 1``."""
    return hyp2f1_p.bind1(a, b, c, x)


def _half_pi_square(x: Any) -> Any:
    return mul(scalar_like(x, math.pi / 2), mul(x, x))


def _spence_slope(z: Any) -> Any:
    # log(z) / (1 - z) = -log1p(d) / d with d = z - 1; within 1e-3 of z = 1 its Taylor series
    # -(1 - d/2 + d^2/3 - d^3/4 + d^4/5 - d^5/6) (next term d^6/7 < 2e-19), so that the value
    # and its derivatives are right at z = 1 and the branch not taken has no 0/0.
    d = sub(z, scalar_like(z, 1))
    away = gt_p.bind1(ew.abs(d), scalar_like(z, 1e-3))
    safe_d = select_n(away, full_like(z, 1.0), d)
    far = neg(div(log1p(safe_d), safe_d))
    near_d = select_n(away, d, full_like(z, 0.0))
    series = scalar_like(z, -1.0 / 6.0)
    for k in range(5, 0, -1):
        series = add(scalar_like(z, (-1.0) ** (k - 1) / k), mul(near_d, series))
    return select_n(away, neg(series), far)


def _sinc(x: Any) -> Any:
    # sin(x) / x; below 0.1 its Taylor polynomial 1 - x^2/3! + ... + x^8/9! (next term
    # < 3e-18), so that derivatives of every order are right at 0 and the branch not taken
    # has no 0/0.
    small = ew.lt_p.bind1(ew.abs(x), scalar_like(x, 0.1))
    safe = select_n(small, x, full_like(x, 1.0))
    x2 = mul(x, x)
    taylor = scalar_like(x, 1.0)
    for k in (9, 7, 5, 3):
        taylor = sub(scalar_like(x, 1.0), mul(x2, mul(taylor, scalar_like(x, 1.0 / (k * (k - 1))))))
    return select_n(small, div(sin(safe), safe), taylor)


_rules(expi_p, lambda t, ans, x: mul(t, div(exp(x), x)), residuals=(False, (True,)))
_rules(exp1_p, lambda t, ans, x: neg(mul(t, div(exp(neg(x)), x))), residuals=(False, (True,)))
_rules(expn_p, _no_derivative("expn", "n"),
       lambda t, ans, n, x: neg(mul(t, expn(sub(n, scalar_like(n, 1)), x))),
       residuals=(False, (True,)))
_rules(dawsn_p, lambda t, ans, x: mul(t, sub(scalar_like(x, 1), mul(scalar_like(x, 2),
                                                                     mul(x, ans)))))
_rules(fresnel_s_p, lambda t, ans, x: mul(t, sin(_half_pi_square(x))), residuals=(False, (True,)))
_rules(fresnel_c_p, lambda t, ans, x: mul(t, cos(_half_pi_square(x))), residuals=(False, (True,)))
_rules(si_p, lambda t, ans, x: mul(t, _sinc(x)), residuals=(False, (True,)))
_rules(ci_p, lambda t, ans, x: mul(t, div(cos(x), x)), residuals=(False, (True,)))
_rules(spence_p, lambda t, ans, z: mul(t, _spence_slope(z)), residuals=(False, (True,)))
# dT/dh = -exp(-h^2 / 2) erf(a h / sqrt 2) / (2 sqrt(2 pi)) (the integral of the h-derivative of
# the integrand is a Gaussian one); dT/da is the integrand at a.
_rules(owens_t_p,
       lambda t, ans, h, a: mul(t, mul(scalar_like(h, -0.5 / math.sqrt(2 * math.pi)),
                                       mul(exp(mul(scalar_like(h, -0.5), mul(h, h))),
                                           erf(mul(scalar_like(h, math.sqrt(0.5)), mul(a, h)))))),
       lambda t, ans, h, a: mul(t, div(exp(mul(scalar_like(a, -0.5),
                                               mul(mul(h, h), add(scalar_like(a, 1), mul(a, a))))),
                                       mul(scalar_like(a, 2 * math.pi),
                                           add(scalar_like(a, 1), mul(a, a))))),
       residuals=(False, (True, True)))
# d/dx 1F1(a; b; x) = (a / b) 1F1(a + 1; b + 1; x); none in a and b (as betainc's parameters).
_rules(hyp1f1_p, _no_derivative("hyp1f1", "a"), _no_derivative("hyp1f1", "b"),
       lambda t, ans, a, b, x: mul(t, mul(div(a, b), hyp1f1(add(a, scalar_like(a, 1)),
                                                            add(b, scalar_like(b, 1)), x))),
       residuals=(False, (True,)))

# d/dx 2F1(a, b; c; x) = (a b / c) 2F1(a + 1, b + 1; c + 1; x); none in a, b and c.
_rules(hyp2f1_p, _no_derivative("hyp2f1", "a"), _no_derivative("hyp2f1", "b"),
       _no_derivative("hyp2f1", "c"),
       lambda t, ans, a, b, c, x: mul(t, mul(div(mul(a, b), c),
                                             hyp2f1(add(a, scalar_like(a, 1)),
                                                    add(b, scalar_like(b, 1)),
                                                    add(c, scalar_like(c, 1)), x))),
       residuals=(False, (True,)))


# -- Bessel functions of integer order ----------------------------------------------------------
# (primitives because each is one kernel of series, recurrences and Hankel's expansion.)

bessel_j0_p = _special("bessel_j0", bessel.j0)
bessel_j1_p = _special("bessel_j1", bessel.j1)
bessel_y0_p = _special("bessel_y0", bessel.y0)
bessel_y1_p = _special("bessel_y1", bessel.y1)
bessel_jn_p = _special("bessel_jn", bessel.jn)
bessel_yn_p = _special("bessel_yn", bessel.yn)


def bessel_j0(x: Any) -> Any:
    """The Bessel function of the first kind of order 0."""
    return bessel_j0_p.bind1(x)


def bessel_j1(x: Any) -> Any:
    """The Bessel function of the first kind of order 1."""
    return bessel_j1_p.bind1(x)


def bessel_y0(x: Any) -> Any:
    """The Bessel function of the second kind of order 0 (-inf at 0, NaN for ``x < 0``)."""
    return bessel_y0_p.bind1(x)


def bessel_y1(x: Any) -> Any:
    """The Bessel function of the second kind of order 1 (-inf at 0, NaN for ``x < 0``)."""
    return bessel_y1_p.bind1(x)


def bessel_jn(n: Any, x: Any) -> Any:
    """``J_n(x)`` for an integer order ``n`` (as a float) of any sign."""
    return bessel_jn_p.bind1(n, x)


def bessel_yn(n: Any, x: Any) -> Any:
    """``Y_n(x)`` for an integer order ``n`` (as a float) of any sign."""
    return bessel_yn_p.bind1(n, x)


def _j1_slope(x: Any) -> Any:
    # j0(x) - j1(x) / x, whose limit at 0 is 1/2; evaluated at a safe point there, so that the
    # branch not taken has no 0/0 (see _i1e_slope).
    tiny = np.finfo(get_aval(x).dtype).eps
    away = gt_p.bind1(ew.abs(x), scalar_like(x, tiny))
    safe = select_n(away, full_like(x, 1.0), x)
    slope = sub(bessel_j0(safe), div(bessel_j1(safe), safe))
    return select_n(away, full_like(x, 0.5), slope)


def _order_step(bessel_fn: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    """d/dx f(n, x) = (f(n - 1, x) - f(n + 1, x)) / 2, for J_n and Y_n alike."""
    def rule(t: Any, ans: Any, n: Any, x: Any) -> Any:
        one = scalar_like(n, 1)
        return mul(t, mul(scalar_like(x, 0.5),
                          sub(bessel_fn(sub(n, one), x), bessel_fn(add(n, one), x))))

    return rule


_rules(bessel_j0_p, lambda t, ans, x: neg(mul(t, bessel_j1(x))), residuals=(False, (True,)))
_rules(bessel_j1_p, lambda t, ans, x: mul(t, _j1_slope(x)), residuals=(False, (True,)))
_rules(bessel_y0_p, lambda t, ans, x: neg(mul(t, bessel_y1(x))), residuals=(False, (True,)))
_rules(bessel_y1_p, lambda t, ans, x: mul(t, sub(bessel_y0(x), div(ans, x))))
_rules(bessel_jn_p, _no_derivative("bessel_jn", "n"), _order_step(bessel_jn),
       residuals=(False, (True,)))
_rules(bessel_yn_p, _no_derivative("bessel_yn", "n"), _order_step(bessel_yn),
       residuals=(False, (True,)))


# -- modified Bessel functions of the first kind, real order -----------------------------------
# (primitives because each is one kernel of a series, an expansion and Miller's recurrence.)

bessel_iv_p = _special("bessel_iv", bessel.iv)
bessel_ive_p = _special("bessel_ive", bessel.ive)


def bessel_iv(v: Any, x: Any) -> Any:
    """``I_v(x)`` for a real order ``v >= 0`` (or an integer of any sign) and real ``x``
    (``x >= 0`` unless ``v`` is an integer)."""
    return bessel_iv_p.bind1(v, x)


def bessel_ive(v: Any, x: Any) -> Any:
    """``exp(-|x|) I_v(x)``, finite for large ``x``."""
    return bessel_ive_p.bind1(v, x)


def _i_slope(bessel_fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    """d/dx I_v = I_(v+1) + (v / x) I_v, which needs no order below v; at x = 0, where v / x
    is 0/0, the other form (I_(v-1) + I_(v+1)) / 2, at orders whose values at 0 the kernel
    knows (1/2 at v = 1, 0 above and at v = 0, inf for 0 < v < 1).  Each branch is evaluated
    at a safe point of the other, so that the branch not taken has no 0/0 (see _i1e_slope)."""
    def slope(v: Any, x: Any, ans: Any) -> Any:
        one = scalar_like(v, 1)
        away = ew.ne_p.bind1(x, scalar_like(x, 0))
        far_x = select_n(away, full_like(x, 1.0), x)
        far_ans = select_n(away, full_like(x, 0.0), ans)
        far = add(bessel_fn(add(v, one), far_x), mul(div(v, far_x), far_ans))
        near_x = select_n(away, x, full_like(x, 0.0))
        near_v = select_n(away, v, full_like(v, 1.0))  # (infinite at 0 for 0 < v < 1)
        near = mul(scalar_like(x, 0.5), add(bessel_fn(sub(near_v, one), near_x),
                                            bessel_fn(add(near_v, one), near_x)))
        return select_n(away, near, far)

    return slope


_iv_slope = _i_slope(bessel_iv)
_ive_slope = _i_slope(bessel_ive)
_rules(bessel_iv_p, _no_derivative("bessel_iv", "v"),
       lambda t, ans, v, x: mul(t, _iv_slope(v, x, ans)))
# exp(-|x|) I_v(x): the slope of I_v, scaled, less sign(x) times the value.
_rules(bessel_ive_p, _no_derivative("bessel_ive", "v"),
       lambda t, ans, v, x: mul(t, sub(_ive_slope(v, x, ans), mul(sign(x), ans))))


# -- the Faddeeva function ------------------------------------------------------------------------
# (a primitive because its kernel is a rational approximation and a continued fraction, chosen
# per element; complex operands.)

wofz_p = _special("wofz", complex_kernels.wofz, kind="c")


def wofz(z: Any) -> Any:
    """The Faddeeva function ``w(z) = exp(-z^2) erfc(-iz)`` of a complex ``z``."""
    return wofz_p.bind1(z)


_rules(wofz_p, lambda t, ans, z: mul(t, add(mul(scalar_like(z, -2), mul(z, ans)),
                                            scalar_like(z, 2j / math.sqrt(math.pi)))))
