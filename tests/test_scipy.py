"""``functrace.scipy.special`` and ``functrace.scipy.stats``: values against independent
references and closed forms, SciPy's values at the edges (poles, infinities, zeros of the
domain), derivatives against central differences, composition with jit/vmap, and errors.

The primitives themselves are rows of the primitive table (``tests/cases_special.py``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import special_reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace import nn
from functrace.scipy import special, stats
from functrace.testing import check_grads

EULER = 0.57721566490153286061


def close(got: object, expected: object, rtol: float = 1e-13, atol: float = 1e-14) -> None:
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=rtol, atol=atol)


# -- values ----------------------------------------------------------------------------------


def test_error_function_values_and_tails() -> None:
    x = np.linspace(-6, 6, 241)
    close(special.erf(x), ref.erf(x))
    close(special.erfc(x), ref.erfc(x))
    # Far tails: erfc keeps full relative precision until it underflows near x = 27.
    big = np.array([10.0, 20.0, 26.0])
    close(special.erfc(big), [math.erfc(v) for v in big], rtol=1e-13, atol=0)
    # erfcx = exp(x^2) erfc(x) stays finite, ~ 1 / (x sqrt(pi)) for large x.
    close(special.erfcx(np.array([1e3, 1e8])),
          [1 / (v * math.sqrt(math.pi)) * (1 - 1 / (2 * v * v)) for v in (1e3, 1e8)],
          rtol=1e-12)
    assert special.erfcx(-30.0) == np.inf


def test_inverse_error_functions_round_trip_and_tails() -> None:
    y = np.linspace(-0.999, 0.999, 101)
    close(special.erf(special.erfinv(y)), y, rtol=1e-14, atol=1e-15)
    close(special.erfinv(np.array([-1.0, 1.0, 1.5, -2.0])), [-np.inf, np.inf, np.nan, np.nan])
    tiny = np.array([1e-10, 1e-100, 1e-300])
    close(special.erfc(special.erfcinv(tiny)), tiny, rtol=1e-12, atol=0)
    p = np.array([1e-300, 1e-20, 1e-5, 0.3, 0.5, 0.9, 1 - 1e-12])
    close(special.ndtr(special.ndtri(p)), p, rtol=1e-11, atol=0)
    close(special.ndtri(np.array([0.0, 1.0])), [-np.inf, np.inf])


def test_log_ndtr_deep_in_the_lower_tail() -> None:
    # Phi(x) = phi(x) / -x * (1 - 1/x^2 + 3/x^4 - 15/x^6 + 105/x^8 - ...) for x -> -inf.
    x = np.array([-40.0, -1e3, -1e5])
    u = 1 / x**2
    asymptotic = (-x**2 / 2 - np.log(-x) - 0.5 * np.log(2 * np.pi)
                  + np.log1p(-u + 3 * u**2 - 15 * u**3 + 105 * u**4))
    close(special.log_ndtr(x), asymptotic, rtol=1e-12)
    x = np.linspace(-5, 5, 41)
    close(special.log_ndtr(x), ref.log_ndtr(x), rtol=1e-13)
    assert special.log_ndtr(40.0) == pytest.approx(-math.erfc(40 / math.sqrt(2)) / 2, rel=1e-12,
                                                   abs=0)


def test_gamma_family_values() -> None:
    x = np.concatenate([np.linspace(0.05, 30, 200), -np.linspace(0.05, 4.95, 50) - 0.0123])
    close(special.gammaln(x), ref.lgamma(x), rtol=1e-13, atol=1e-14)
    small = x[np.abs(x) < 20]
    close(special.gamma(small), ref.gamma(small), rtol=1e-12)
    positive = x[x > 0]
    close(special.digamma(positive), ref.digamma(positive), rtol=1e-13, atol=1e-14)
    for n in range(1, 6):
        close(special.polygamma(n, positive), ref.polygamma(n, positive), rtol=1e-12)
    assert float(special.digamma(1.0)) == pytest.approx(-EULER, abs=1e-15)
    assert float(special.polygamma(1, 1.0)) == pytest.approx(math.pi**2 / 6, rel=1e-14)
    assert float(special.zeta(2.0)) == pytest.approx(math.pi**2 / 6, rel=1e-14)
    assert float(special.zeta(4.0, 1.0)) == pytest.approx(math.pi**4 / 90, rel=1e-14)
    close(special.zeta(3.0, np.array([0.5, 2.0, 10.0])), ref.zeta(3.0, np.array([0.5, 2, 10])),
          rtol=1e-13)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 50.0), st.floats(-4.9, -0.01).filter(lambda v: abs(v - round(v)) > 1e-3))
def test_gamma_identities(x: float, negative: float) -> None:
    # Recurrences and reflection, at random points (positive and negative non-integer).
    close(special.gammaln(x + 1) - special.gammaln(x), math.log(x), rtol=1e-11, atol=1e-12)
    close(special.digamma(x + 1) - special.digamma(x), 1 / x, rtol=1e-11, atol=1e-12)
    close(special.polygamma(2, x + 1) - special.polygamma(2, x), 2 / x**3, rtol=1e-9, atol=1e-12)
    close(special.digamma(1 - negative) - special.digamma(negative),
          math.pi / math.tan(math.pi * negative), rtol=1e-9, atol=1e-10)
    close(special.gamma(negative) * special.gamma(1 - negative),
          math.pi / math.sin(math.pi * negative), rtol=1e-11)
    close(special.zeta(3.0, x) - special.zeta(3.0, x + 1), x**-3.0, rtol=1e-10, atol=1e-15)


def test_gamma_family_at_poles_and_infinities() -> None:
    edge = np.array([0.0, -0.0, -1.0, -2.0, np.inf, -np.inf, np.nan])
    close(special.gammaln(edge), [np.inf, np.inf, np.inf, np.inf, np.inf, -np.inf, np.nan])
    close(special.gamma(edge), [np.inf, -np.inf, np.nan, np.nan, np.inf, np.nan, np.nan])
    close(special.gammasgn(np.array([0.0, -0.0, -1.0, -0.5, -1.5, -2.5, np.inf, -np.inf, np.nan,
                                     3.0])),
          [1, -1, np.nan, -1, 1, -1, 1, np.nan, np.nan, 1])
    assert special.gamma(172.0) == np.inf


def test_bessel_values() -> None:
    x = np.linspace(-9, 9, 73)
    close(special.i0e(x), ref.i0e(x), rtol=1e-13)
    close(special.i1e(x), ref.i1e(x), rtol=1e-13, atol=1e-15)
    close(special.i0(x), np.i0(x), rtol=1e-13)
    close(special.i1(x), ref.i1e(x) * np.exp(np.abs(x)), rtol=1e-13, atol=1e-15)
    close(special.i0e(np.array([1e4, np.inf])), [1 / math.sqrt(2 * math.pi * 1e4) * (1 + 1 / 8e4
                                                                                   + 9 / 2 / 64e8),
                                                   0.0], rtol=1e-12)


def test_beta_poch_factorial_multigammaln() -> None:
    a, b = np.array([0.5, 2.0, 7.5, -0.5]), np.array([1.5, 3.0, 0.25, 2.0])
    expected = [math.gamma(u) * math.gamma(v) / math.gamma(u + v)
                for u, v in zip(a, b, strict=True)]
    close(special.beta(a, b), expected, rtol=1e-12)
    close(special.betaln(a[:3], b[:3]), np.log(expected[:3]), rtol=1e-12)
    close(special.poch(np.array([2.5, -1.5]), 3.0),
          [2.5 * 3.5 * 4.5, -1.5 * -0.5 * 0.5], rtol=1e-12)
    close(special.factorial(np.array([0, 1, 5, 10, -1])), [1, 1, 120, 3628800, 0], rtol=1e-12)
    with pytest.raises(NotImplementedError):
        special.factorial(3, exact=True)
    d = 3
    expected_mv = d * (d - 1) / 4 * math.log(math.pi) + sum(math.lgamma(4.2 - j / 2)
                                                          for j in range(d))
    close(special.multigammaln(4.2, d), expected_mv, rtol=1e-13)


def test_loggamma_rgamma_comb_boxcox() -> None:
    x = np.array([-2.5, -1.0, 0.0, -0.0, 0.5, 3.0, 171.2, np.inf, -np.inf, np.nan])
    close(special.loggamma(x), [np.nan, np.nan, np.inf, np.inf, math.lgamma(0.5), math.log(2),
                                math.lgamma(171.2), np.inf, np.nan, np.nan])
    y = np.array([-2.5, -1.5, -1.0, 0.0, -0.0, 0.5, 3.0, np.inf, -np.inf, np.nan, -170.5])
    close(special.rgamma(y), [1 / math.gamma(v) if v % 1 or v > 0 else 0.0 for v in y[:7]]
          + [0.0, 0.0, np.nan, 1 / math.gamma(-170.5)], rtol=1e-13)
    assert np.signbit(special.rgamma(-0.0))
    n = np.array([5.0, 5.0, -1.0, 3.5, 5.0, 0.0, 30.0])
    k = np.array([2.0, 6.0, 2.0, 1.5, -1.0, 0.0, 12.0])
    comb_35 = math.gamma(4.5) / (math.gamma(2.5) * math.gamma(3.0))
    close(special.comb(n, k), [10, 0, 0, comb_35, 0, 1, math.comb(30, 12)], rtol=1e-13)
    close(special.comb(n[:3], k[:3], repetition=True), [15, 210, 0], rtol=1e-13)
    assert special.comb(np.int32(5), 2).dtype == np.float64
    assert special.comb(np.float32(5), np.float32(2)).dtype == np.float32
    # boxcox: the power branch, lambda = 0, tiny lambda (the series), and the edges.
    u = np.array([2.0, 2.0, 2.0, 3.0, 0.0, 0.0, 0.0, -1.0, np.inf])
    lam = np.array([0.5, 0.0, 1e-9, -2e-4, 0.5, 0.0, -0.5, 0.5, 1.0])
    expected = [2 * (math.sqrt(2) - 1), math.log(2), math.log(2) * (1 + 1e-9 * math.log(2) / 2),
                math.expm1(-2e-4 * math.log(3)) / -2e-4, -2.0, -np.inf, -np.inf, np.nan, np.inf]
    close(special.boxcox(u, lam), expected, rtol=1e-15)
    close(special.boxcox1p(u - 1.0, lam), expected, rtol=1e-15)
    close(special.boxcox1p(1e-12, 0.7), 1e-12 * (1 - 0.3e-12 / 2), rtol=1e-15)
    # Smooth in lambda through 0: d/dl = log(x)^2 / 2, d2/dl2 = log(x)^3 / 3 at l = 0.
    assert ft.grad(special.boxcox, argnums=1)(2.0, 0.0) == pytest.approx(math.log(2)**2 / 2)
    assert ft.grad(ft.grad(special.boxcox, argnums=1), argnums=1)(2.0, 0.0) == pytest.approx(
        math.log(2)**3 / 3)
    with np.errstate(all="raise"):
        special.boxcox(u, lam)
        special.boxcox1p(u - 1.0, lam)
        special.loggamma(x)
        special.rgamma(y)
        special.comb(n, k)


def test_exponential_dawson_fresnel_spence_values() -> None:
    x = np.linspace(0.5, 4.0, 36)
    close(special.expi(x), ref.expi(x), rtol=1e-14)
    small = np.linspace(0.05, 2.5, 50)
    close(special.exp1(small), ref.exp1(small), rtol=1e-14)
    close(special.expi(-small), -ref.exp1(small), rtol=1e-14)
    for n in range(5):
        close(special.expn(n, small), ref.expn(np.full(50, float(n)), small), rtol=1e-13)
    u = np.linspace(-2.0, 2.0, 41)
    close(special.dawsn(u), ref.dawsn(u), rtol=1e-14, atol=1e-300)
    v = np.linspace(-1.5, 1.5, 31)
    s, c = special.fresnel(v)
    close(s, ref.fresnel_s(v), rtol=1e-14, atol=1e-300)
    close(c, ref.fresnel_c(v), rtol=1e-14, atol=1e-300)
    z = np.linspace(0.3, 1.7, 29)
    close(special.spence(z), ref.spence(z), rtol=1e-14, atol=1e-300)
    # Identities and tails: E_n recurrence; Ei next to its zero keeps relative precision (the
    # slope there is e^x0 / x0); the asymptotic forms far out.
    w = np.array([0.7, 3.0, 30.0])
    for n in range(1, 4):
        close(n * special.expn(n + 1, w) + w * special.expn(n, w), np.exp(-w), rtol=1e-14)
    x0 = 0.37250741078136663446
    assert special.expi(x0 + 1e-10) == pytest.approx(1e-10 * math.exp(x0) / x0, rel=1e-8)
    big = np.array([200.0, 500.0])
    close(special.exp1(big) * big * np.exp(big),
          1 - 1 / big + 2 / big**2 - 6 / big**3 + 24 / big**4 - 120 / big**5 + 720 / big**6
          - 5040 / big**7, rtol=1e-12)
    close(special.dawsn(np.array([1e4, 1e150])), [1 / 2e4 * (1 + 1 / 2e8), 0.5e-150], rtol=1e-15)
    s, c = special.fresnel(np.array([1e4, 1e8 + 0.5]))
    # Far out C ~ 1/2 + sin(pi x^2/2) / (pi x) - cos(pi x^2/2) / (pi^2 x^3): with x^2 / 2 an
    # even integer (1e4), 1/2 - 1/(pi^2 x^3); for 1e8 + 1/2, x^2 / 2 = 5e15 + 2.5e7 + 1/8.
    close(c, [0.5 - 1 / (math.pi**2 * 1e12),
              0.5 + math.sin(math.pi / 8) / (math.pi * (1e8 + 0.5))], rtol=1e-15)
    close(s, [0.5 - 1 / (math.pi * 1e4), 0.5 - math.cos(math.pi / 8) / (math.pi * (1e8 + 0.5))],
          rtol=1e-15)
    close(special.spence(np.array([0.0, 1.0, 2.0, 1e10])),
          [math.pi**2 / 6, 0.0, -math.pi**2 / 12,
           -math.pi**2 / 6 - math.log(1e10 - 1) ** 2 / 2 + 1e-10 + 1e-20 / 4], rtol=1e-15)
    # Edges, as scipy.special.
    edge = np.array([-1.0, -0.0, 0.0, np.inf, -np.inf, np.nan])
    close(special.exp1(edge), [np.nan, np.inf, np.inf, 0.0, np.nan, np.nan])
    close(special.expi(edge), [-0.21938393439552029, -np.inf, -np.inf, np.inf, 0.0, np.nan])
    close(special.dawsn(edge), [-0.53807950691276842, 0.0, 0.0, 0.0, 0.0, np.nan])
    close(special.fresnel(edge)[1], [-0.77989340037682282, 0.0, 0.0, 0.5, -0.5, np.nan])
    close(special.spence(edge), [np.nan, math.pi**2 / 6, math.pi**2 / 6, np.nan, np.nan, np.nan])
    close(special.expn(np.array([0, 1, 2, 3, -1]), np.array([0.0, 0.0, 0.0, 0.0, 1.0])),
          [np.inf, np.inf, 1.0, 0.5, np.nan])
    assert special.expi(720.0) == np.inf
    assert special.fresnel(np.float32(0.5))[0].dtype == np.float32
    assert special.expn(2, np.float32(1.0)).dtype == np.float32
    assert special.expn(2, 1).dtype == np.float64
    with pytest.raises(ValueError, match="expn: the order n must be an integer"):
        special.expn(1.5, 2.0)
    with np.errstate(all="raise"):
        for fn in (special.exp1, special.expi, special.dawsn, special.fresnel, special.spence):
            fn(edge)


def test_integral_derivatives() -> None:
    x = np.array([0.3, 1.7, 9.0])
    close(ft.vmap(ft.grad(special.expi))(x), np.exp(x) / x, rtol=1e-14)
    close(ft.vmap(ft.grad(special.exp1))(x), -np.exp(-x) / x, rtol=1e-14)
    close(ft.vmap(ft.grad(lambda v: special.expn(3, v)))(x), -special.expn(2, x), rtol=1e-14)
    # At n = 0 the derivative is -E_(-1)(x) = -e^-x (x + 1) / x^2 (the kernel takes n < 0).
    close(ft.vmap(ft.grad(lambda v: special.expn(0, v)))(x), -np.exp(-x) * (x + 1) / x**2,
          rtol=1e-14)
    close(ft.vmap(ft.grad(special.dawsn))(x), 1 - 2 * x * special.dawsn(x), rtol=1e-14)
    close(ft.vmap(ft.grad(lambda v: special.fresnel(v)[0]))(x), np.sin(np.pi * x**2 / 2),
          rtol=1e-13)
    assert ft.grad(special.spence)(1.0) == -1.0
    assert ft.grad(ft.grad(special.spence))(1.0) == pytest.approx(0.5, rel=1e-15)
    with pytest.raises(ValueError, match="expn.*respect to n"):
        ft.grad(lambda n: special.expn(n, 2.0))(1.0)
    close(ft.jit(ft.vmap(ft.grad(special.spence)))(x), np.log(x) / (1 - x), rtol=1e-14)


def test_integrals_against_mpmath_in_ulps() -> None:
    # Wide grids with the tails; the kernels' own check (tools/special/) runs denser ones.
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(7)
    x = np.concatenate([10.0 ** rng.uniform(-300, 2.8, 60), rng.uniform(0, 4, 60)])

    def ulps(got: np.ndarray, fn: object, args: np.ndarray) -> float:
        exact = np.array([float(fn(mp.mpf(float(a)))) for a in args])  # type: ignore[operator]
        normal = np.abs(exact) > 1e-300  # (S(x) ~ pi x^3 / 6 underflows for tiny x)
        return float(np.max(np.abs(got - exact)[normal] / (np.abs(exact[normal]) * 2.0**-52)))

    assert ulps(special.exp1(x), mp.e1, x) < 8
    assert ulps(special.expi(x), mp.ei, x) < 8
    assert ulps(special.expi(-x), mp.ei, -x) < 8
    assert ulps(special.expn(5, x), lambda v: mp.expint(5, v), x) < 8
    assert ulps(special.dawsn(x * 3), lambda v: mp.sqrt(mp.pi) / 2 * mp.exp(-v * v) * mp.erfi(v),
                x * 3) < 16
    assert ulps(special.fresnel(x)[0], mp.fresnels, x) < 8
    assert ulps(special.fresnel(x)[1], mp.fresnelc, x) < 8
    assert ulps(special.spence(x), lambda v: mp.polylog(2, 1 - v), x) < 8


def test_integrals_against_jax() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jsp = pytest.importorskip("jax.scipy.special")
    x = np.array([0.3, 1.0, 2.5, 7.0])
    for ours, theirs in [(special.exp1, jsp.exp1), (special.expi, jsp.expi),
                         (special.dawsn, jsp.dawsn), (special.spence, jsp.spence),
                         (lambda v: special.fresnel(v)[0], lambda v: jsp.fresnel(v)[0]),
                         (lambda v: special.fresnel(v)[1], lambda v: jsp.fresnel(v)[1]),
                         (lambda v: special.expn(3, v), lambda v: jsp.expn(3, v))]:
        close(ours(x), np.asarray(theirs(x)), rtol=1e-12)
    # Derivatives where JAX's are right: its exp1/expn have no second derivative, and its
    # spence' is 0 at z = 1 (the limit of log(z) / (1 - z) is -1) and NaN at 1.4 (JAX 0.10.2).
    for ours, theirs in [(special.expi, jsp.expi), (special.dawsn, jsp.dawsn)]:
        close(ft.vmap(ft.grad(ours))(x), np.asarray(jax.vmap(jax.grad(theirs))(x)), rtol=1e-12)
        close(ft.vmap(ft.grad(ft.grad(ours)))(x),
              np.asarray(jax.vmap(jax.grad(jax.grad(theirs)))(x)), rtol=1e-10)
    close(ft.vmap(ft.grad(special.exp1))(x), np.asarray(jax.vmap(jax.grad(jsp.exp1))(x)),
          rtol=1e-12)


def test_bessel_values_edges_and_dtypes() -> None:
    x = np.linspace(0.05, 8.0, 60)
    close(special.j0(x), ref.j0(x), rtol=1e-13, atol=1e-15)
    close(special.j1(-x), -ref.j1(x), rtol=1e-13, atol=1e-15)
    close(special.y0(x), ref.y0(x), rtol=1e-12, atol=1e-15)
    close(special.y1(x), ref.y1(x), rtol=1e-12, atol=1e-15)
    for n in (-4, -1, 2, 3, 7, 12):
        nn = np.full(x.size, float(n))
        close(special.jn(n, x), ref.jn(nn, x), rtol=1e-12, atol=1e-15)
        close(special.jn(n, -x), ref.jn(nn, -x), rtol=1e-12, atol=1e-15)
        close(special.yn(n, x), ref.yn(nn, x), rtol=1e-12, atol=1e-15)
    # Identities: the Wronskian J1 Y0 - J0 Y1 = 2 / (pi x) (also far out, where both are
    # Hankel's), the recurrence, and Neumann's sum J0^2 + 2 sum J_k^2 = 1.
    w = np.array([0.3, 2.2, 9.0, 24.9, 25.1, 400.0, 1e5, 1e9])
    close(special.j1(w) * special.y0(w) - special.j0(w) * special.y1(w), 2 / (np.pi * w),
          rtol=1e-14)
    for n in (1, 5, 40):
        close(special.jn(n - 1, w) + special.jn(n + 1, w), 2 * n / w * special.jn(n, w),
              rtol=1e-11, atol=1e-15)
    v = np.array([0.5, 7.0, 30.0])
    total = special.j0(v) ** 2 + 2 * sum(special.jn(k, v) ** 2 for k in range(1, 80))
    close(total, np.ones(3), rtol=1e-14)
    # Miller's method far below the turning point: J_n(x) = (x/2)^n / n! (1 - (x/2)^2 / (n+1)
    # + ...), also where it underflows.
    close(special.jn(np.array([30, 100, 200]), 1e-3),
          [(5e-4) ** 30 / math.factorial(30) * (1 - 2.5e-7 / 31), 0.0, 0.0], rtol=1e-14, atol=0)
    # Edges, as scipy.special (but 0 at +-inf, the limit, where SciPy 1.17 returns NaN).
    edge = np.array([-1.0, -0.0, 0.0, np.inf, -np.inf, np.nan])
    close(special.j0(edge), [0.76519768655796655, 1.0, 1.0, 0.0, 0.0, np.nan])
    close(special.j1(edge), [-0.44005058574493352, 0.0, 0.0, 0.0, 0.0, np.nan])
    close(special.y0(edge), [np.nan, -np.inf, -np.inf, 0.0, np.nan, np.nan])
    close(special.y1(edge), [np.nan, -np.inf, -np.inf, 0.0, np.nan, np.nan])
    close(special.jn(np.array([0, 2, -3, 3]), 0.0), [1.0, 0.0, 0.0, 0.0])
    close(special.yn(np.array([0, 2, -3, -2, 3]), np.array([0.0, 0.0, 0.0, 0.0, -1.0])),
          [-np.inf, -np.inf, np.inf, -np.inf, np.nan])
    assert special.yn(400, 1.0) == -np.inf  # overflow, as SciPy
    assert special.j0(np.float32(2.0)).dtype == np.float32
    assert special.jn(2, np.float32(2.0)).dtype == np.float32
    assert special.y1(3).dtype == np.float64
    with pytest.raises(ValueError, match="jn: the order n must be an integer"):
        special.jn(1.5, 2.0)
    with pytest.raises(ValueError, match="yn: the order n must be an integer"):
        special.yn(np.inf, 2.0)
    with np.errstate(all="raise"):
        for fn in (special.j0, special.j1, special.y0, special.y1):
            fn(edge)
        special.jn(5, edge)
        special.yn(5, edge)


def test_bessel_jn_stacks_orders_as_jax() -> None:
    z = np.array([[0.5, 3.0, 12.0]])
    out = special.bessel_jn(z, v=4)
    assert out.shape == (5, 1, 3) and out.dtype == np.float64
    close(out, [special.jn(k, z) for k in range(5)], rtol=1e-15, atol=0)
    assert special.bessel_jn(np.float32(1.5), v=2).dtype == np.float32
    assert special.bessel_jn(2, v=1).dtype == np.float64
    assert special.bessel_jn(1.0, v=-1).shape == (0,)
    close(special.bessel_jn(0.0, v=2), [1.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="bessel_jn: the order v must be an integer"):
        special.bessel_jn(1.0, v=1.5)  # type: ignore[arg-type]
    close(ft.jacfwd(lambda t: special.bessel_jn(t, v=2))(1.5),
          [-special.j1(1.5), (special.j0(1.5) - special.jn(2, 1.5)) / 2,
           (special.j1(1.5) - special.jn(3, 1.5)) / 2], rtol=1e-15)


def test_bessel_derivatives() -> None:
    x = np.array([0.4, 3.0, 11.0, 60.0])
    close(ft.vmap(ft.grad(special.j0))(x), -special.j1(x), rtol=1e-15)
    close(ft.vmap(ft.grad(special.y0))(x), -special.y1(x), rtol=1e-15)
    close(ft.vmap(ft.grad(special.j1))(x), special.j0(x) - special.j1(x) / x, rtol=1e-14)
    close(ft.vmap(ft.grad(special.y1))(x), special.y0(x) - special.y1(x) / x, rtol=1e-14)
    # J0'' = -J1' and Bessel's equation x^2 y'' + x y' + (x^2 - n^2) y = 0 for n = 3.
    close(ft.vmap(ft.grad(ft.grad(special.j0)))(x), special.j1(x) / x - special.j0(x),
          rtol=1e-13, atol=1e-16)
    for fn in (lambda v: special.jn(3, v), lambda v: special.yn(3, v)):
        d1 = ft.vmap(ft.grad(fn))(x)
        d2 = ft.vmap(ft.grad(ft.grad(fn)))(x)
        close(x**2 * d2 + x * d1, (9 - x**2) * fn(x), rtol=1e-13, atol=1e-13)
    # j1' is 1/2 at 0, and j1'' is 0 there (j1 = x/2 - x^3/16 + ...).
    assert ft.grad(special.j1)(0.0) == 0.5
    assert ft.grad(ft.grad(special.j1))(0.0) == 0.0
    assert ft.grad(special.j1)(1e-9) == pytest.approx(0.5, rel=1e-15)
    for name, fn in (("jn", special.jn), ("yn", special.yn)):
        with pytest.raises(ValueError, match=f"bessel_{name}.*respect to n"):
            ft.grad(lambda n, f=fn: f(n, 2.0))(1.0)
    close(ft.jit(ft.vmap(ft.grad(special.y1)))(x), ft.vmap(ft.grad(special.y1))(x), rtol=0)
    n = np.array([0.0, 1.0, 2.0, -3.0])
    close(ft.vmap(special.jn)(n, x), [special.jn(int(k), v) for k, v in zip(n, x, strict=True)],
          rtol=0)


def test_bessel_against_mpmath() -> None:
    # Relative error in ulps over 1e-5 ... 1e6, also within 1e-9 of zeros (the Taylor series
    # around the zeros below x = 25, the reduced phase above); for integer orders, the error
    # relative to the envelope max(|f|, sqrt(2 / (pi max(x, n)))).
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(11)
    # (Above 25 the phase's O(x^-3) part carries a rounding of about 1e-23, so the relative
    # error stays small only a little further from the zeros: 1e-6 there.)
    near = [(float(mp.besseljzero(0, 3)), 1e-9), (float(mp.besseljzero(1, 30)), 1e-6),
            (float(mp.besselyzero(0, 1)), 1e-9), (float(mp.besselyzero(1, 300)), 1e-6)]
    x = np.concatenate([10.0 ** rng.uniform(-5, 6, 60), rng.uniform(0, 30, 60),
                        [z + s * d for z, d in near for s in (-1, 1)]])

    def ulps(got: np.ndarray, fn: object, args: np.ndarray) -> float:
        exact = np.array([float(fn(mp.mpf(float(a)))) for a in args])  # type: ignore[operator]
        return float(np.max(np.abs(got - exact) / (np.abs(exact) * 2.0**-52)))

    assert ulps(special.j0(x), mp.j0, x) < 8
    assert ulps(special.j1(x), mp.j1, x) < 8
    assert ulps(special.y0(x), lambda v: mp.bessely(0, v), x) < 8
    assert ulps(special.y1(x), lambda v: mp.bessely(1, v), x) < 8
    for n in (2, 7, 30):
        v = np.concatenate([10.0 ** rng.uniform(-1, 3, 40), n + rng.uniform(-2, 2, 10)])
        for ours, theirs in ((special.jn, mp.besselj), (special.yn, mp.bessely)):
            exact = np.array([float(theirs(n, mp.mpf(float(a)))) for a in v])
            scale = np.maximum(np.abs(exact), np.sqrt(2 / (np.pi * np.maximum(v, n))))
            assert np.max(np.abs(ours(n, v) - exact) / scale) < 32 * 2.0**-52


def test_bessel_against_autograd_and_jax() -> None:
    ag = pytest.importorskip("autograd")
    asp = pytest.importorskip("autograd.scipy.special")
    x = np.array([0.3, 2.0, 7.5, 40.0])
    for ours, theirs in [(special.j0, asp.j0), (special.j1, asp.j1), (special.y0, asp.y0),
                         (special.y1, asp.y1), (lambda v: special.jn(3, v), lambda v: asp.jn(3, v)),
                         (lambda v: special.yn(2, v), lambda v: asp.yn(2, v))]:
        close(ours(x), theirs(x), rtol=1e-12, atol=1e-15)
        close(ft.vmap(ft.grad(ours))(x), ag.elementwise_grad(theirs)(x), rtol=1e-12, atol=1e-15)
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jsp = pytest.importorskip("jax.scipy.special")
    z = np.array([0.3, 2.0, 7.5])
    theirs = np.asarray(jsp.bessel_jn(z, v=3))
    assert special.bessel_jn(z, v=3).shape == theirs.shape
    close(special.bessel_jn(z, v=3), theirs, rtol=1e-10, atol=1e-14)
    close(ft.grad(lambda t: special.bessel_jn(t, v=3)[3])(1.5),
          jax.grad(lambda t: jsp.bessel_jn(t, v=3)[3])(1.5), rtol=1e-10)


def test_iv_values_edges_and_dtypes() -> None:
    v = np.array([0.0, 0.5, 1.0, 2.5, 3.0, 3.7])
    x = np.array([0.0, 0.7, 3.0, 6.0, 9.5, 2.0])
    close(special.iv(v, x), ref.iv(v, x), rtol=1e-13)
    close(special.ive(v, x), ref.ive(v, x), rtol=1e-13)
    # Orders 0 and 1 share the kernels of i0e, i1e and i1.
    w = np.array([-30.0, -2.0, 0.0, 0.3, 7.0, 100.0])
    close(special.ive(0, w), special.i0e(w), rtol=0, atol=0)
    close(special.ive(1, w), special.i1e(w), rtol=0, atol=0)
    close(special.iv(0, w), special.i0(w), rtol=0, atol=0)
    close(special.iv(1, w), special.i1(w), rtol=0, atol=0)
    # Integer orders: I_-n = I_n, I_n(-x) = (-1)^n I_n(x); the recurrence
    # I_(v-1) - I_(v+1) = (2v / x) I_v for real orders, on all three ranges.
    close(special.iv(-3, 2.0), special.iv(3, 2.0), rtol=0, atol=0)
    close(special.iv(3, -2.0), -special.iv(3, 2.0), rtol=0, atol=0)
    close(special.ive(2, -2.0), special.ive(2, 2.0), rtol=0, atol=0)
    for order, arg in ((2.3, 4.0), (7.5, 60.0), (40.2, 90.0), (1.5, 400.0)):
        close(special.ive(order - 1, arg) - special.ive(order + 1, arg),
              2 * order / arg * special.ive(order, arg), rtol=1e-13)
    # I_(1/2)(x) = sqrt(2 / (pi x)) sinh(x), in closed form.
    t = np.array([0.1, 5.0, 30.0, 700.0])
    close(special.ive(0.5, t), np.sqrt(2 / (np.pi * t)) * -np.expm1(-2 * t) / 2, rtol=1e-14)
    # I_v overflows only with its value (I_2(712) ~ 1e307), not with exp(x) at 709.8.
    assert np.isfinite(special.iv(2.0, 712.0)) and special.iv(2.0, 715.0) == np.inf
    close(special.iv(np.array([0.0, 1.0, 2.0, 0.5]), 0.0), [1.0, 0.0, 0.0, 0.0])
    close(special.ive(2.0, np.array([np.inf, np.nan])), [0.0, np.nan])
    assert np.isnan(special.iv(0.5, -1.0)) and np.isnan(special.iv(-0.5, 1.0))
    assert special.iv(np.float32(2.0), np.float32(1.5)).dtype == np.float32
    assert special.ive(2, 3).dtype == np.float64
    with pytest.raises(TypeError, match="iv: complex"):
        special.iv(1.0, 1j)


def test_iv_derivatives() -> None:
    v = np.array([0.0, 0.5, 1.0, 2.0, 3.7])
    x = np.array([1.3, 0.4, 5.0, 30.0, 2.0])
    grad_x = ft.vmap(ft.grad(special.iv, argnums=1))
    close(grad_x(v, x), special.iv(v + 1, x) + v / x * special.iv(v, x), rtol=1e-13)
    w, y = v[2:], x[2:]
    close(grad_x(w, y), (special.iv(w - 1, y) + special.iv(w + 1, y)) / 2, rtol=1e-13)
    grad2 = ft.vmap(ft.grad(ft.grad(special.iv, argnums=1), argnums=1))
    # I_v'' = (1 + v^2 / x^2) I_v - I_v' / x, the modified Bessel equation.
    close(grad2(v, x), (1 + v**2 / x**2) * special.iv(v, x) - grad_x(v, x) / x, rtol=1e-12)
    scaled = ft.vmap(ft.grad(special.ive, argnums=1))
    close(scaled(v, x), grad_x(v, x) * np.exp(-x) - special.ive(v, x), rtol=1e-11)
    close(ft.grad(special.ive, argnums=1)(2.0, -1.5), ft.grad(special.ive, argnums=1)(2.0, 1.5)
          * -1, rtol=1e-14)
    # At x = 0: 1/2 at v = 1, 0 at v = 0 and v > 1, and the second derivative I_0''(0) = 1/2.
    close(grad_x(np.array([0.0, 1.0, 2.0]), np.zeros(3)), [0.0, 0.5, 0.0])
    close(ft.grad(ft.grad(special.i0))(0.0), 0.5)
    close(ft.jit(ft.vmap(special.ive))(v, x), special.ive(v, x), rtol=0, atol=0)
    for fn in (special.iv, special.ive):
        with pytest.raises(ValueError, match="bessel_iv.*respect to v"):
            ft.grad(fn)(1.0, 2.0)


def test_iv_against_mpmath() -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(5)
    v = np.concatenate([rng.uniform(0, 5, 60), rng.uniform(5, 100, 60), [0.0, 1.0, 2.0]])
    x = np.concatenate([10.0 ** rng.uniform(-3, 3, 120), [3.0, 40.0, 700.0]])
    exact = np.array([float(mp.besseli(a, b) * mp.exp(-b)) for a, b in zip(v, x, strict=True)])
    ok = exact > 1e-290
    errors = np.abs(special.ive(v, x) - exact)[ok] / (exact[ok] * 2.0**-52)
    assert np.max(errors) < 8


def test_iv_against_autograd() -> None:
    ag = pytest.importorskip("autograd")
    asp = pytest.importorskip("autograd.scipy.special")
    v = np.array([0.0, 0.5, 1.0, 2.5, 7.0])
    x = np.array([0.3, 2.0, 7.5, 40.0, 12.0])
    for ours, theirs in ((special.iv, asp.iv), (special.ive, asp.ive)):
        close(ours(v, x), theirs(v, x), rtol=1e-12, atol=0)
        close(ft.vmap(ft.grad(ours, argnums=1))(v, x),
              ag.elementwise_grad(theirs, argnum=1)(v, x), rtol=1e-11, atol=0)


def test_logistic_and_entropy_functions() -> None:
    x = np.array([-800.0, -3.0, 0.0, 2.0, 800.0])
    close(special.expit(x), [0.0, 1 / (1 + math.exp(3)), 0.5, 1 / (1 + math.exp(-2)), 1.0])
    close(special.logit(special.expit(x[1:4])), x[1:4], rtol=1e-13)
    close(special.xlogy(np.array([0.0, 0.0, 2.0, 0.0]), np.array([0.0, 3.0, 3.0, np.nan])),
          [0.0, 0.0, 2 * math.log(3), np.nan])
    close(special.xlog1py(np.array([0.0, 2.0]), np.array([-1.0, 0.5])), [0.0, 2 * math.log1p(0.5)])
    close(special.entr(np.array([0.0, 0.5, -1.0, np.inf])), [0.0, 0.5 * math.log(2), -np.inf,
                                                             -np.inf])
    close(special.rel_entr(np.array([0.0, 0.5, 1.0, -1.0]), np.array([0.0, 0.25, 0.0, 1.0])),
          [0.0, 0.5 * math.log(2), np.inf, np.inf])
    close(special.kl_div(np.array([0.0, 0.5, 1.0]), np.array([2.0, 0.25, 0.0])),
          [2.0, 0.5 * math.log(2) - 0.25, np.inf])
    z = np.array([[1.0, 2.0], [3.0, 0.5]])
    close(special.logsumexp(z), math.log(np.exp(z).sum()))
    close(special.softmax(z), np.exp(z) / np.exp(z).sum())
    close(special.log_softmax(z, axis=1), z - np.log(np.exp(z).sum(1, keepdims=True)))


def test_dtypes_follow_numpy() -> None:
    assert special.erf(np.float32(0.5)).dtype == np.float32
    assert special.gammaln(np.arange(1, 4)).dtype == np.float64
    assert special.zeta(np.float32(2.0), np.float32(1.0)).dtype == np.float32
    assert special.xlogy(np.float32(2.0), 3.0).dtype == np.float32
    assert special.erf(np.float16(0.5)).dtype == np.float32
    assert special.erf(True).dtype == np.float64
    close(special.erf(np.float32(0.5)), np.float32(math.erf(0.5)), rtol=1e-7)


def test_no_warnings_at_edges() -> None:
    with np.errstate(all="raise"):
        special.xlogy(np.array([0.0, 1.0]), np.array([0.0, 2.0]))
        special.gammasgn(np.array([np.inf, -np.inf, -2.0]))
        special.entr(np.array([0.0, -1.0]))
        special.erfinv(np.array([1.0, 2.0]))
        special.gammaln(np.array([0.0, -1.0]))


# -- derivatives -------------------------------------------------------------------------------


@pytest.mark.parametrize("fn, x", [
    (special.erf, [-1.5, 0.2, 2.0]), (special.erfc, [-1.5, 0.2, 2.0]),
    (special.erfcx, [-1.0, 0.5, 4.0]), (special.erfinv, [-0.9, 0.1, 0.7]),
    (special.erfcinv, [0.1, 1.0, 1.9]), (special.ndtr, [-3.0, 0.0, 2.0]),
    (special.ndtri, [0.01, 0.5, 0.8]), (special.log_ndtr, [-30.0, -2.0, 3.0]),
    (special.gammaln, [0.3, 2.5, -1.5]), (special.gamma, [0.7, 3.5, -0.5]),
    (special.digamma, [0.4, 5.0]), (lambda x: special.polygamma(2, x), [0.6, 4.0]),
    (lambda q: special.zeta(2.5, q), [0.6, 4.0]), (special.i0e, [-2.0, 0.5]),
    (special.i1e, [-2.0, 0.5]), (special.i0, [-2.0, 0.5]), (special.i1, [-2.0, 0.5]),
    (special.expit, [-3.0, 0.5]), (special.logit, [0.1, 0.7]), (special.entr, [0.2, 1.5]),
    (lambda x: special.beta(x, 2.5), [0.5, 3.0]), (lambda x: special.poch(x, 2.5), [0.5, 3.0]),
    (lambda x: special.multigammaln(x, 3), [2.0, 4.5]), (special.factorial, [0.5, 3.2]),
    (lambda x: nn.gelu(x, approximate=False), [-3.0, 0.1, 2.0]),
    (special.loggamma, [0.3, 2.5]), (special.rgamma, [-1.5, 0.4, 3.0]),
    (lambda x: special.comb(x, 2.5), [3.0, 6.5]), (lambda k: special.comb(7.5, k), [1.5, 4.0]),
    (lambda x: special.boxcox(x, 0.3), [0.5, 2.0]),
    (lambda lam: special.boxcox(2.5, lam), [-0.5, 0.0, 1e-4, 0.7]),
    (lambda x: special.boxcox1p(x, -0.4), [-0.5, 2.0]),
    (lambda lam: special.boxcox1p(1.5, lam), [-0.5, 0.0, 1e-4, 0.7]),
    (special.expi, [-2.0, 0.2, 3.0]), (special.exp1, [0.2, 3.0]),
    (lambda x: special.expn(2, x), [0.2, 3.0]), (special.dawsn, [-2.0, 0.5, 8.0]),
    (lambda x: special.fresnel(x)[0], [-2.0, 0.5, 3.0]),
    (lambda x: special.fresnel(x)[1], [-2.0, 0.5, 3.0]), (special.spence, [0.2, 0.9995, 4.0]),
    (special.j0, [-3.0, 0.5, 30.0]), (special.j1, [-3.0, 0.5, 30.0]),
    (special.y0, [0.5, 3.0, 30.0]), (special.y1, [0.5, 3.0, 30.0]),
    (lambda x: special.jn(4, x), [0.5, 3.0, 30.0]), (lambda x: special.yn(-3, x), [0.7, 3.0, 30.0]),
], ids=lambda v: getattr(v, "__name__", None))
def test_second_derivatives_match_central_differences(fn: object, x: list[float]) -> None:
    check_grads(fn, (np.array(x),), order=2, modes=("fwd", "rev"))
    check_grads(fn, (np.array(x, np.float32),), order=1, modes=("fwd", "rev"),
                atol=5e-2, rtol=5e-2)


def test_closed_form_derivatives() -> None:
    x = 0.7
    assert ft.grad(special.erf)(x) == pytest.approx(2 / math.sqrt(math.pi) * math.exp(-x * x))
    assert ft.grad(ft.grad(special.erf))(x) == pytest.approx(
        -4 * x / math.sqrt(math.pi) * math.exp(-x * x))
    assert ft.grad(special.gammaln)(1.0) == pytest.approx(-EULER, abs=1e-15)
    assert ft.grad(ft.grad(special.gammaln))(1.0) == pytest.approx(math.pi**2 / 6, rel=1e-13)
    assert ft.grad(ft.grad(ft.grad(special.gammaln)))(1.0) == pytest.approx(
        -2 * 1.2020569031595942, rel=1e-13)  # psi''(1) = -2 zeta(3)
    y = float(special.erfinv(0.3))
    assert ft.grad(special.erfinv)(0.3) == pytest.approx(math.sqrt(math.pi) / 2 * math.exp(y * y))
    # d/dx log Phi(x) = phi(x) / Phi(x) ~ -x far in the lower tail, with no 0/0 there.
    assert ft.grad(special.log_ndtr)(-1e4) == pytest.approx(1e4, rel=1e-7)
    assert ft.grad(special.i1e)(0.0) == 0.5
    # xlogy's derivative is JAX's custom one: (log y, x / y), also at x = 0.
    gx, gy = ft.grad(special.xlogy, argnums=(0, 1))(0.0, 2.0)
    assert (float(gx), float(gy)) == (math.log(2.0), 0.0)


def test_non_differentiable_arguments_raise() -> None:
    with pytest.raises(ValueError, match="polygamma.*respect to m"):
        ft.grad(lambda m: special.polygamma(m, 2.0))(1.0)
    with pytest.raises(ValueError, match="zeta.*respect to s"):
        ft.grad(lambda s: special.zeta(s, 2.0))(3.0)
    assert ft.grad(lambda x: special.polygamma(1, x))(2.0) == pytest.approx(
        float(special.polygamma(2, 2.0)))


def test_compositions_with_jit_and_vmap() -> None:
    x = np.linspace(0.2, 3.0, 7)
    f = lambda v: special.gammaln(v) * special.erf(v) + special.digamma(v)  # noqa: E731
    close(ft.jit(f)(x), f(x))
    close(ft.vmap(ft.grad(f))(x), [ft.grad(f)(v) for v in x])
    close(ft.jit(ft.vmap(ft.grad(f)))(x), ft.vmap(ft.grad(f))(x))
    close(ft.jacfwd(f)(x), ft.jacrev(f)(x))
    close(ft.hessian(lambda v: fnp.sum(special.gammaln(v)))(x),
          np.diag(special.polygamma(1, x)))
    m = np.array([0.0, 1.0, 2.0])
    close(ft.vmap(special.polygamma)(m, x[:3]), [special.polygamma(int(k), v)
                                               for k, v in zip(m, x[:3], strict=True)])


def test_errors() -> None:
    with pytest.raises(TypeError, match="complex"):
        special.erf(1j)
    with pytest.raises(ValueError, match="non-negative integer"):
        special.polygamma(-1, 2.0)
    with pytest.raises(ValueError, match="non-negative integer"):
        special.polygamma(1.5, 2.0)
    with pytest.raises(ValueError, match="positive integer"):
        special.multigammaln(2.0, 0)
    from functrace.primitives import special as prims
    with pytest.raises(TypeError, match="floating"):
        prims.erf(np.array([1, 2]))
    with pytest.raises(TypeError, match="floating"):
        ft.make_jaxpr(prims.lgamma)(np.array([1, 2]))


# -- stats -------------------------------------------------------------------------------------


def test_norm() -> None:
    x, loc, scale = np.array([-3.0, 0.2, 4.0]), 0.5, 2.0
    z = (x - loc) / scale
    close(stats.norm.logpdf(x, loc, scale), -z**2 / 2 - math.log(scale) - math.log(2 * math.pi) / 2)
    close(stats.norm.pdf(x), np.exp(-x**2 / 2) / math.sqrt(2 * math.pi))
    close(stats.norm.cdf(x, loc, scale), ref.ndtr(z))
    close(stats.norm.sf(x, loc, scale), ref.ndtr(-z))
    close(stats.norm.logcdf(x), ref.log_ndtr(x))
    close(stats.norm.logsf(x), ref.log_ndtr(-x))
    q = np.array([0.01, 0.5, 0.9])
    close(stats.norm.cdf(stats.norm.ppf(q, loc, scale), loc, scale), q)
    close(stats.norm.isf(q, loc, scale), stats.norm.ppf(1 - q, loc, scale), rtol=1e-12)
    assert stats.norm.logcdf(-40.0) == pytest.approx(float(special.log_ndtr(-40.0)))
    check_grads(lambda m, s: stats.norm.logpdf(x, m, s), (0.5, 2.0), order=2)
    check_grads(lambda v: stats.norm.logcdf(v, 0.5, 2.0), (x,), order=2)


def test_densities_against_closed_forms() -> None:
    x = np.array([0.3, 1.2, 2.5])
    close(stats.t.logpdf(x, 3.0, 0.1, 1.5),
          [math.lgamma(2) - math.lgamma(1.5) - 0.5 * math.log(3 * math.pi) - math.log(1.5)
           - 2 * math.log1p(((v - 0.1) / 1.5) ** 2 / 3) for v in x])
    close(stats.gamma.logpdf(x, 2.5, 0.0, 2.0),
          [1.5 * math.log(v / 2) - v / 2 - math.lgamma(2.5) - math.log(2) for v in x])
    close(stats.gamma.logpdf(-1.0, 2.5), -np.inf)
    close(stats.chi2.logpdf(x, 3.0), stats.gamma.logpdf(x, 1.5, 0.0, 2.0))
    u = np.array([0.1, 0.5, 0.9])
    close(stats.beta.logpdf(u, 2.5, 1.5),
          [1.5 * math.log(v) + 0.5 * math.log1p(-v) - (math.lgamma(2.5) + math.lgamma(1.5)
                                                       - math.lgamma(4.0)) for v in u])
    close(stats.beta.logpdf(np.array([-0.1, 1.1]), 2.0, 2.0), [-np.inf, -np.inf])
    k = np.array([0.0, 3.0, -1.0, 1.5])
    close(stats.poisson.logpmf(k, 2.0), [-2.0, 3 * math.log(2) - math.log(6) - 2, -np.inf,
                                         -np.inf])
    close(stats.poisson.pmf(0.0, 0.0), 1.0)
    close(stats.bernoulli.logpmf(np.array([0.0, 1.0, 2.0]), 0.3),
          [math.log(0.7), math.log(0.3), -np.inf])
    close(stats.expon.logpdf(np.array([-1.0, 2.0]), 0.0, 2.0), [-np.inf, -1 - math.log(2)])
    close(stats.expon.cdf(np.array([-1.0, 2.0])), [0.0, 1 - math.exp(-2)])
    close(stats.expon.ppf(stats.expon.cdf(x)), x)
    close(stats.laplace.logpdf(x, 1.0, 2.0), -np.abs(x - 1) / 2 - math.log(4))
    close(stats.laplace.cdf(np.array([-1.0, 3.0])), [0.5 * math.exp(-1), 1 - 0.5 * math.exp(-3)])
    close(stats.logistic.logpdf(x), -x - 2 * np.log1p(np.exp(-x)))
    close(stats.logistic.ppf(stats.logistic.cdf(x)), x, rtol=1e-12)
    close(stats.cauchy.logpdf(x, 0.0, 2.0), -np.log(np.pi * 2 * (1 + (x / 2) ** 2)))
    close(stats.cauchy.ppf(stats.cauchy.cdf(x)), x, rtol=1e-12)
    close(stats.uniform.logpdf(np.array([-1.0, 0.5, 3.0]), 0.0, 2.0),
          [-np.inf, -math.log(2), -np.inf])
    close(stats.uniform.ppf(np.array([0.25, 1.5]), 1.0, 2.0), [1.5, np.nan])


def test_multivariate_normal_and_dirichlet() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    cov = a @ a.T + 3 * np.eye(3)
    mean = rng.standard_normal(3)
    x = rng.standard_normal((5, 3))
    diff = x - mean
    expected = (-0.5 * np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff)
                - 0.5 * np.linalg.slogdet(cov)[1] - 1.5 * math.log(2 * math.pi))
    close(stats.multivariate_normal.logpdf(x, mean, cov), expected, rtol=1e-12)
    close(stats.multivariate_normal.pdf(x[0], mean, cov), np.exp(expected[0]), rtol=1e-12)
    close(stats.multivariate_normal.logpdf(0.3, 0.1, 2.0),
          float(stats.norm.logpdf(0.3, 0.1, math.sqrt(2.0))))
    check_grads(lambda m, c: stats.multivariate_normal.logpdf(x, m, c @ c.T), (mean, cov),
                order=2)
    g = ft.grad(lambda c: fnp.sum(stats.multivariate_normal.logpdf(x, mean, c)))(cov)
    np.testing.assert_allclose(g, g.T, rtol=1e-13)  # the symmetric part is used, as JAX's
    diff_cov = np.einsum("ni,nj->ij", diff, diff)
    inv = np.linalg.inv(cov)
    np.testing.assert_allclose(g, 0.5 * (inv @ diff_cov @ inv) - 2.5 * inv, rtol=1e-10)
    with pytest.raises(NotImplementedError):
        stats.multivariate_normal.logpdf(x, mean, cov, allow_singular=True)
    with pytest.raises(ValueError, match="dimension"):
        stats.multivariate_normal.logpdf(x, mean[:2], cov)

    alpha = np.array([1.5, 2.0, 3.0])
    p = np.array([0.2, 0.3, 0.5])
    expected_d = (sum((u - 1) * math.log(v) for u, v in zip(alpha, p, strict=True))
                  + math.lgamma(alpha.sum()) - sum(math.lgamma(u) for u in alpha))
    close(stats.dirichlet.logpdf(p, alpha), expected_d, rtol=1e-13)
    close(stats.dirichlet.logpdf(p[:2], alpha), expected_d, rtol=1e-13)
    columns = np.stack([p, p[::-1]], axis=1)  # two points, components along axis 0
    close(stats.dirichlet.pdf(columns, alpha)[0], math.exp(expected_d), rtol=1e-13)
    close(stats.dirichlet.logpdf(np.array([0.5, 0.6, 0.1]), alpha), -np.inf)
    check_grads(lambda al: stats.dirichlet.logpdf(p, al), (alpha,), order=2)
    with pytest.raises(ValueError, match="first axis"):
        stats.dirichlet.logpdf(np.ones(5) / 5, alpha)


# -- incomplete gamma and beta functions ---------------------------------------------------------


def test_incomplete_gamma_values_tails_and_edges() -> None:
    a = np.array([0.5, 1.3, 2.5, 4.0])
    x = np.array([0.1, 1.0, 2.5, 5.0])
    close(special.gammainc(a, x), ref.igamma(a, x), rtol=1e-13)
    close(special.gammaincc(a, x), ref.igammac(a, x), rtol=1e-13)
    close(special.gammainc(a, x) + special.gammaincc(a, x), np.ones(4), rtol=1e-15)
    # P(1, x) = 1 - exp(-x); Q(1, x) = exp(-x) keeps its precision far in the tail.
    close(special.gammaincc(1.0, np.array([50.0, 700.0])), np.exp([-50.0, -700.0]), rtol=1e-13)
    close(special.gammainc(1.0, 1e-10), -np.expm1(-1e-10), rtol=1e-14)
    # P(1/2, x) = erf(sqrt x).
    close(special.gammainc(0.5, np.array([0.01, 2.0])), ref.erf(np.sqrt([0.01, 2.0])), rtol=1e-14)
    close(special.gammainc(np.array([2.0, 2.0]), np.array([0.0, np.inf])), [0.0, 1.0])
    b = np.array([0.7, 2.0, 3.5, 1.2])
    u = np.array([0.1, 0.4, 0.6, 0.75])
    close(special.betainc(a, b, u), ref.betainc(a, b, u), rtol=1e-13)
    close(special.betainc(a, b, u), 1 - special.betainc(b, a, 1 - u), rtol=1e-13)
    close(special.betainc(2.0, 3.0, np.array([0.0, 1.0])), [0.0, 1.0])
    close(special.betainc(1.0, 1.0, 0.3), 0.3, rtol=1e-15)  # the uniform distribution's CDF


def test_incomplete_gamma_derivatives() -> None:
    a, x = np.array([0.5, 1.3, 2.5, 4.0]), np.array([0.1, 1.0, 2.5, 5.0])
    check_grads(special.gammainc, (a, x), order=1)
    check_grads(special.gammaincc, (a, x), order=1)
    check_grads(lambda x: special.gammainc(a, x), (x,), order=2)
    check_grads(lambda x: special.betainc(2.0, 3.0, x), (np.array([0.2, 0.6]),), order=2)
    # dP/da against the term-by-term derivative of the series.
    close(ft.vmap(ft.grad(special.gammainc))(a, x), ref.igamma_grad_a(a, x), rtol=1e-12)
    # dP/dx is the gamma density.
    close(ft.grad(special.gammainc, argnums=1)(2.5, 1.5),
          1.5**1.5 * math.exp(-1.5) / math.gamma(2.5), rtol=1e-13)
    with pytest.raises(ValueError, match="respect to a"):
        ft.hessian(lambda a: special.gammainc(a, 2.0))(1.5)
    with pytest.raises(ValueError, match="betainc.*respect to a"):
        ft.grad(lambda a: special.betainc(a, 2.0, 0.5))(1.5)


def test_cdfs_of_the_gamma_beta_t_and_poisson_distributions() -> None:
    x = np.array([-1.0, 0.0, 0.3, 1.7, 4.0])
    pos = x[2:]
    close(stats.gamma.cdf(x, 2.5, 0.0, 1.3),
          np.concatenate([[0.0, 0.0], ref.igamma(np.full(3, 2.5), pos / 1.3)]), rtol=1e-13)
    close(stats.gamma.sf(pos, 2.5), ref.igammac(np.full(3, 2.5), pos), rtol=1e-13)
    close(stats.gamma.logcdf(pos, 2.5), np.log(ref.igamma(np.full(3, 2.5), pos)), rtol=1e-13)
    close(stats.chi2.cdf(pos, 3.0), ref.igamma(np.full(3, 1.5), pos / 2), rtol=1e-13)
    close(stats.chi2.sf(pos, 3.0), 1 - ref.igamma(np.full(3, 1.5), pos / 2), rtol=1e-12)
    k = np.array([-1.0, 0.0, 2.5, 7.0])
    expected = [0.0] + [math.exp(-2) * sum(2.0**j / math.factorial(j) for j in range(int(v) + 1))
                        for v in k[1:]]
    close(stats.poisson.cdf(k, 2.0), expected, rtol=1e-13)
    u = np.array([-0.1, 0.2, 0.7, 1.2])
    inside = ref.betainc(np.full(2, 2.5), np.full(2, 1.5), u[1:3])
    close(stats.beta.cdf(u, 2.5, 1.5), [0.0, *inside, 1.0], rtol=1e-13)
    close(stats.beta.sf(u, 2.5, 1.5), [1.0, *(1 - inside), 0.0], rtol=1e-12)
    # t with df = 1 is the Cauchy distribution; with df = 2 the CDF is 1/2 + t / (2 sqrt(2 + t^2)).
    t = np.array([-3.0, -0.5, 0.0, 0.8, 5.0])
    close(stats.t.cdf(t, 1.0), stats.cauchy.cdf(t), rtol=1e-13)
    close(stats.t.cdf(t, 2.0, 0.0, 1.0), 0.5 + t / (2 * np.sqrt(2 + t**2)), rtol=1e-13)
    close(stats.t.cdf(t, 2.0, 0.1, 1.2), stats.t.cdf((t - 0.1) / 1.2, 2.0), rtol=1e-13)
    check_grads(lambda v: stats.t.cdf(v, 3.5, 0.1, 1.2), (t,), order=2)
    check_grads(lambda v: stats.gamma.cdf(v, 2.5), (pos,), order=2)
    check_grads(lambda a: stats.gamma.cdf(1.7, a), (np.array([0.8, 2.5]),), order=1)
    check_grads(lambda v: stats.beta.cdf(v, 2.5, 1.5), (u[1:3],), order=2)
    close(stats.bernoulli.cdf(np.array([-1.0, 0.0, 0.5, 1.0]), 0.3), [0.0, 0.7, 0.7, 1.0])
    close(stats.bernoulli.ppf(np.array([0.0, 0.5, 0.8, 1.0, 1.5]), 0.3), [0, 0, 1, 1, np.nan])
    close(stats.cauchy.logcdf(t), np.log(stats.cauchy.cdf(t)))
    with np.errstate(all="raise"):  # no warnings from the branches not taken
        stats.gamma.cdf(x, 0.5)
        stats.beta.cdf(u, 0.5, 0.5)
        stats.poisson.cdf(k, 2.0)


# -- bernoulli, owens_t, hyp1f1 --------------------------------------------------------------


def test_bernoulli_numbers() -> None:
    from fractions import Fraction

    b = special.bernoulli(12)
    assert b.dtype == np.float64 and b.shape == (13,)
    exact = [Fraction(1), Fraction(-1, 2), Fraction(1, 6), 0, Fraction(-1, 30), 0, Fraction(1, 42),
             0, Fraction(-1, 30), 0, Fraction(5, 66), 0, Fraction(-691, 2730)]
    assert list(b) == [float(v) for v in exact]
    assert list(special.bernoulli(0)) == [1.0]
    assert list(special.bernoulli(1)) == [1.0, -0.5]
    # sum over k <= m of C(m+1, k) B_k = 0, in float64 up to m = 30; B_30 = 8615841276005/14322.
    many = special.bernoulli(300)
    assert many[30] == 8615841276005 / 14322
    for m in range(2, 31):
        terms = [math.comb(m + 1, k) * many[k] for k in range(m + 1)]
        assert abs(math.fsum(terms)) < 1e-12 * max(abs(t) for t in terms)
    # The even ones alternate in sign; from B_260 on they are beyond float64 (signed infinity).
    even = many[2:259:2]
    assert np.all(np.sign(even) == np.where(np.arange(1, 130) % 2 == 1, 1.0, -1.0))
    assert np.all(np.isfinite(many[:260])) and np.all(many[3::2] == 0.0)
    assert list(many[260:266]) == [-np.inf, 0.0, np.inf, 0.0, -np.inf, 0.0]
    with pytest.raises(ValueError, match="bernoulli: n must be a non-negative integer"):
        special.bernoulli(-1)
    with pytest.raises(TypeError):
        special.bernoulli(2.5)  # type: ignore[arg-type]
    scipy_special = pytest.importorskip("scipy.special")
    close(many, scipy_special.bernoulli(300), rtol=1e-11, atol=0)
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jsp = pytest.importorskip("jax.scipy.special")
    # JAX's come from a 50-term zeta sum: B_4 is 2.5e-6 off (0.10.2), the later ones closer.
    close(special.bernoulli(40), np.asarray(jsp.bernoulli(40)), rtol=3e-6, atol=1e-300)
    close(special.bernoulli(40)[10:], np.asarray(jsp.bernoulli(40))[10:], rtol=1e-12, atol=0)


def test_owens_t_values_symmetries_and_edges() -> None:
    # T(0, a) = arctan(a) / (2 pi); T(h, 1) = Phi(h) (1 - Phi(h)) / 2; T(h, inf) = Q(|h|) / 2.
    a = np.array([1e-8, 0.3, 1.0, 2.5, 1e6])
    close(special.owens_t(0.0, a), np.arctan(a) / (2 * np.pi), rtol=1e-15, atol=0)
    h = np.array([0.1, 1.3, 4.0, 12.0])
    phi, q = special.ndtr(h), special.ndtr(-h)
    close(special.owens_t(h, 1.0), phi * q / 2, rtol=2e-15, atol=0)
    close(special.owens_t(h, np.inf), special.ndtr(-h) / 2, rtol=2e-15, atol=0)
    # Even in h, odd in a; the reflection T(h, a) + T(a h, 1/a) = (Phi(h) + Phi(a h)) / 2
    # - Phi(h) Phi(a h) at points on both sides of |a| = 1.
    hs, as_ = np.meshgrid([0.2, 0.9, 2.2], [0.4, 0.95, 1.7, 3.0])
    hs, as_ = hs.ravel(), as_.ravel()
    t = special.owens_t(hs, as_)
    close(special.owens_t(-hs, as_), t, rtol=0, atol=0)
    close(special.owens_t(hs, -as_), -t, rtol=0, atol=0)
    ph, pah = special.ndtr(hs), special.ndtr(as_ * hs)
    close(t + special.owens_t(as_ * hs, 1 / as_), (ph + pah) / 2 - ph * pah, rtol=1e-14)
    edge_h = np.array([0.0, 0.0, 1.0, np.inf, -np.inf, np.nan, 1.0, 40.0])
    edge_a = np.array([np.inf, -np.inf, 0.0, 1.0, -2.0, 1.0, np.nan, 1.0])
    close(special.owens_t(edge_h, edge_a), [0.25, -0.25, 0.0, 0.0, -0.0, np.nan, np.nan, 0.0])
    assert special.owens_t(np.float32(1.0), np.float32(0.5)).dtype == np.float32
    assert special.owens_t(1, 2).dtype == np.float64
    with np.errstate(all="raise"):
        special.owens_t(edge_h, edge_a)


def test_owens_t_against_mpmath_in_ulps() -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(11)
    h = np.concatenate([10.0 ** rng.uniform(-5, 1.55, 60), rng.uniform(0, 5, 60)])
    a = rng.permutation(np.concatenate([10.0 ** rng.uniform(-5, 5, 60), rng.uniform(0, 3, 60)]))

    def exact(hv: float, av: float) -> float:
        hm, am = mp.mpf(hv), mp.mpf(av)
        # Breakpoints on the scale 1/h of the Gaussian, so that quad resolves it.
        pts = sorted({mp.mpf(0), am, *(c / hm for c in (0.5, 1, 2, 4, 8, 16, 32) if c / hm < am),
                      *([mp.mpf(1)] if am > 1 else [])})
        return float(mp.exp(-hm * hm / 2) / (2 * mp.pi)
                     * mp.quad(lambda x: mp.exp(-hm * hm * x * x / 2) / (1 + x * x), pts))

    want = np.array([exact(hv, av) for hv, av in zip(h, a, strict=True)])
    got = special.owens_t(h, a)
    normal = np.abs(want) > 1e-300
    assert np.max(np.abs(got - want)[normal] / (np.abs(want[normal]) * 2.0**-52)) < 8


def test_owens_t_derivatives_and_jax() -> None:
    h = np.array([-2.0, 0.0, 0.3, 1.0, 3.0])
    a = np.array([0.5, -2.0, 1.0, 7.0, 0.2])
    close(ft.vmap(ft.grad(special.owens_t, argnums=1))(h, a),
          np.exp(-h**2 * (1 + a**2) / 2) / (2 * np.pi * (1 + a**2)), rtol=1e-14)
    close(ft.jit(ft.vmap(ft.grad(special.owens_t)))(h, a),
          -np.exp(-h**2 / 2) * special.erf(a * h / np.sqrt(2)) / (2 * np.sqrt(2 * np.pi)),
          rtol=1e-14)
    check_grads(special.owens_t, (h, a), order=2)
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jsp = pytest.importorskip("jax.scipy.special")
    close(special.owens_t(h, a), np.asarray(jsp.owens_t(h, a)), rtol=1e-12)
    for argnums in (0, 1):
        close(ft.vmap(ft.grad(special.owens_t, argnums=argnums))(h, a),
              np.asarray(jax.vmap(jax.grad(jsp.owens_t, argnums=argnums))(h, a)), rtol=1e-12)


def test_hyp1f1_values_derivative_and_jax() -> None:
    a = np.array([0.5, 1.0, 2.5, 3.0, 1.0, 0.3])
    b = np.array([1.5, 2.0, 0.7, 4.0, 3.0, 5.0])
    x = np.array([-3.0, 3.0, 10.0, -40.0, 200.0, 0.0])
    # Closed forms: 1F1(1; 2; x) = (e^x - 1) / x; 1F1(a; a; x) = e^x; 1F1(1/2; 3/2; -x^2)
    # = sqrt(pi) erf(x) / (2 x).
    v = np.array([-5.0, -0.5, 0.7, 30.0])
    close(special.hyp1f1(1.0, 2.0, v), np.expm1(v) / v, rtol=1e-14)
    close(special.hyp1f1(2.5, 2.5, v), np.exp(v), rtol=1e-14)
    w = v[:3]  # (at x = -900 the series of Kummer's transformation overflows: NaN, see docs)
    close(special.hyp1f1(0.5, 1.5, -w**2), np.sqrt(np.pi) * special.erf(w) / (2 * w), rtol=1e-14)
    assert special.hyp1f1(np.float32(1.0), np.float32(2.0), np.float32(1.0)).dtype == np.float32
    assert special.hyp1f1(1, 2, 3).dtype == np.float64
    close(ft.jit(ft.vmap(ft.grad(special.hyp1f1, argnums=2)))(a, b, x),
          a / b * special.hyp1f1(a + 1, b + 1, x), rtol=1e-15)
    check_grads(lambda t: special.hyp1f1(a[:3], b[:3], t), (np.array([-1.2, 0.4, 2.0]),), order=2)
    with pytest.raises(ValueError, match="hyp1f1.*respect to a"):
        ft.grad(special.hyp1f1)(1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match="hyp1f1.*respect to b"):
        ft.grad(special.hyp1f1, argnums=1)(1.0, 2.0, 3.0)
    assert np.isnan(special.hyp1f1(1.0, -2.0, 0.5))  # (a pole of the series)
    scipy_special = pytest.importorskip("scipy.special")
    close(special.hyp1f1(a, b, x), scipy_special.hyp1f1(a, b, x), rtol=1e-14)
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jsp = pytest.importorskip("jax.scipy.special")
    # (JAX 0.10.2 gives -0.104 for 1F1(3; 4; -40), whose value is 9.375e-5 as SciPy's.)
    close(special.hyp1f1(a[:3], b[:3], x[:3]), np.asarray(jsp.hyp1f1(a[:3], b[:3], x[:3])),
          rtol=1e-11)


def test_ndtr_is_accurate_in_the_lower_tail() -> None:
    # 25-digit values (mpmath.ncdf at 40 digits). Rounding -x / sqrt(2) alone would cost about
    # z**2 ulp here (~70 at x = -12); the correction keeps ndtr within a few ulp.
    exact = {-1.5: 0.06680720126885806600449404, -5.5: 1.898956246588771938385127e-8,
             -12.0: 1.776482112077678997696171e-33, -20.0: 2.753624118606233695075623e-89,
             -30.0: 4.906713927148187059533809e-198, -37.5: 4.605353009581954843827969e-308}
    x = np.array(list(exact))
    want = np.array(list(exact.values()))
    for got in (special.ndtr(x), ft.jit(special.ndtr)(x)):
        assert np.all(np.abs(np.asarray(got) - want) <= 4 * np.spacing(want)), got
    # float32 is computed through float64: correctly rounded here.
    np.testing.assert_array_equal(special.ndtr(x[:2].astype(np.float32)),
                                  want[:2].astype(np.float32))
    # The derivative is the normal density.
    np.testing.assert_allclose(ft.grad(special.ndtr)(-12.0),
                               np.exp(-72.0) / np.sqrt(2 * np.pi), rtol=1e-13)
