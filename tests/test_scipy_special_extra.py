"""``functrace.scipy.special``'s ``sici``, ``wofz``, ``hyp2f1`` and ``sph_harm_y``: values
against 40-digit mpmath (in ulps), SciPy and JAX, special values, dtypes and shapes, ``jit``
and ``vmap``, and derivatives (central differences to second order, closed forms, JAX).

Their primitives are rows of the primitive table (``tests/cases_special.py``) too."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import functrace as ft
from functrace.scipy import special
from functrace.testing import check_grads


def close(got: object, expected: object, rtol: float = 1e-13, atol: float = 0.0) -> None:
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=rtol, atol=atol)


def ulps(got: Any, exact: Any) -> float:
    """The largest error relative to the exact value, in units of 2**-52."""
    got, exact = np.asarray(got), np.asarray(exact)
    return float(np.max(np.abs(got - exact) / (np.abs(exact) * 2.0**-52)))


def _jax() -> Any:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


# -- sici ----------------------------------------------------------------------------------------


def test_sici_against_mpmath_in_ulps() -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(3)
    zeros = (0.6165054856207163, 3.3841804225511862)
    x = np.concatenate([10.0 ** rng.uniform(-300, 300, 80), rng.uniform(0, 4, 120),
                        rng.uniform(4, 60, 80), [z + d for z in zeros for d in (-1e-9, 1e-12)]])
    si, ci = special.sici(x)
    want_si = np.array([float(mp.si(mp.mpf(v))) for v in x])
    want_ci = np.array([float(mp.ci(mp.mpf(v))) for v in x])
    assert ulps(si, want_si) < 4
    assert ulps(-special.sici(-x)[0], want_si) < 4
    series = x <= 4  # (relative accuracy there, also next to Ci's two zeros)
    assert ulps(ci[series], want_ci[series]) < 8
    # Above 4, Ci oscillates with the envelope 1/x: its error relative to that envelope.
    envelope = np.maximum(np.abs(want_ci), 1 / np.maximum(x, 1))
    assert np.max(np.abs(ci - want_ci) / envelope) < 4 * 2.0**-52
    close(special.sici(-x)[1], ci, rtol=0)


def test_sici_special_values_dtypes_and_scipy() -> None:
    edge = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, 5e-324, 1e300])
    si, ci = special.sici(edge)
    close(si, [0.0, -0.0, np.pi / 2, -np.pi / 2, np.nan, 1e-300, 5e-324, np.pi / 2])
    assert np.signbit(si[1])
    close(ci[:5], [-np.inf, -np.inf, 0.0, np.nan, np.nan])
    close(ci[5], np.euler_gamma + math.log(1e-300), rtol=1e-15)
    assert abs(ci[7]) < 1e-300
    scipy_special = pytest.importorskip("scipy.special")
    x = np.concatenate([np.linspace(-30, 30, 241), [1e-8, 1e5, -7e12]])
    for ours, theirs in zip(special.sici(x), scipy_special.sici(x), strict=True):
        close(ours, theirs, rtol=1e-13, atol=1e-15)
    s32, c32 = special.sici(np.float32(2.5))
    assert s32.dtype == c32.dtype == np.float32
    np.testing.assert_array_equal([s32, c32], np.array(special.sici(2.5), dtype=np.float32))
    assert special.sici(3)[0].dtype == np.float64
    with pytest.raises(TypeError, match="sici.*complex"):
        special.sici(1.0 + 1.0j)


def test_sici_shapes_jit_vmap_and_derivatives() -> None:
    x = np.array([[-3.0, 0.05], [0.5, 7.0]])
    si, ci = ft.jit(special.sici)(x)
    assert si.shape == ci.shape == (2, 2)
    close(ft.vmap(special.sici)(x)[1], ci, rtol=0)
    close(ft.vmap(ft.grad(lambda t: special.sici(t)[0]))(x.ravel()), np.sinc(x.ravel() / np.pi),
          rtol=1e-15)
    close(ft.vmap(ft.grad(lambda t: special.sici(t)[1]))(x.ravel()), np.cos(x).ravel() / x.ravel(),
          rtol=1e-15)
    check_grads(special.sici, (x,), order=2, modes=("fwd", "rev"))
    # sin(x)/x at 0: its derivatives are 1, 0, -1/3, 0, 1/5 (x^2k/(2k+1)! Taylor coefficients).
    d = lambda t: special.sici(t)[0]  # noqa: E731
    for order, want in enumerate((1.0, 0.0, -1 / 3, 0.0), start=1):
        d = ft.grad(d)
        assert float(d(0.0)) == pytest.approx(want, abs=1e-15), order
    jax = _jax()
    jsp = pytest.importorskip("jax.scipy.special")
    v = np.array([-6.0, -0.3, 0.2, 2.0, 15.0])
    for k in (0, 1):
        close(special.sici(v)[k], np.asarray(jsp.sici(v)[k]), rtol=1e-13)
        close(ft.vmap(ft.grad(lambda t, k=k: special.sici(t)[k]))(v),
              np.asarray(jax.vmap(jax.grad(lambda t, k=k: jsp.sici(t)[k]))(v)), rtol=1e-13)
        close(ft.vmap(ft.grad(ft.grad(lambda t, k=k: special.sici(t)[k])))(v),
              np.asarray(jax.vmap(jax.grad(jax.grad(lambda t, k=k: jsp.sici(t)[k])))(v)),
              rtol=1e-12)


# -- wofz ----------------------------------------------------------------------------------------


def _faddeeva_exact(z: np.ndarray) -> np.ndarray:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    return np.array([complex(mp.exp(-mp.mpc(v) ** 2) * mp.erfc(-1j * mp.mpc(v))) for v in z])


def test_wofz_against_mpmath_in_ulps() -> None:
    rng = np.random.default_rng(5)
    r = np.concatenate([rng.uniform(0, 12, 200), 10.0 ** rng.uniform(-8, 4, 60)])
    theta = np.where(r < 12, rng.uniform(-np.pi, np.pi, r.size), rng.uniform(0, np.pi, r.size))
    theta[:40] = rng.choice([0.0, np.pi, np.pi / 2, 1e-7, np.pi - 1e-7, -1e-7], 40)
    z = r * np.exp(1j * theta)
    want = _faddeeva_exact(z)
    got = special.wofz(z)
    # Relative to |w|, in both half planes (the lower one, through 2 exp(-z^2) - w(-z), to
    # |z| = 12: it overflows beyond; the zeros of w are not on this grid).
    assert ulps(got, want) < 10
    # On the real axis both parts keep their relative accuracy (exp(-x^2) and Dawson's).
    x = np.concatenate([rng.uniform(-26, 26, 60), [0.5, 7.0, 20.0]])
    want = _faddeeva_exact(x)
    got = special.wofz(x)
    assert ulps(got.real, want.real) < 4
    assert ulps(got.imag, want.imag) < 10


def test_wofz_special_values_dtypes_shapes_and_scipy() -> None:
    assert special.wofz(0.0) == 1.0
    edge = np.array([np.inf, -np.inf, complex(0.0, np.inf), complex(3.0, np.inf),
                     complex(0, -np.inf), complex(np.nan, 1.0), complex(1.0, np.nan),
                     complex(0.0, -40.0)])
    got = special.wofz(edge)
    np.testing.assert_array_equal(got[:4], 0.0)
    assert got[4] == np.inf and got[7].real == np.inf
    assert np.isnan(got[5]) and np.isnan(got[6])
    assert special.wofz(1).dtype == special.wofz(1.0).dtype == np.complex128
    assert special.wofz(np.float32(1.0)).dtype == special.wofz(np.complex64(1)).dtype \
        == np.complex64
    z64 = np.array([0.3 + 0.2j, -2.0 + 1.0j, 5.0 - 0.5j], dtype=np.complex64)
    close(special.wofz(z64), special.wofz(z64.astype(np.complex128)).astype(np.complex64),
          rtol=0)
    scipy_special = pytest.importorskip("scipy.special")
    x, y = np.meshgrid(np.linspace(-10, 10, 41), np.linspace(-4, 10, 29))
    z = x + 1j * y
    assert special.wofz(z).shape == z.shape
    close(special.wofz(z), scipy_special.wofz(z), rtol=2e-14)
    close(ft.jit(special.wofz)(z), special.wofz(z), rtol=0)
    close(ft.vmap(special.wofz)(z), special.wofz(z), rtol=0)
    with pytest.raises(TypeError, match="wofz requires complex"):
        from functrace.primitives import special as sp
        sp.wofz(np.float64(1.0))


def test_wofz_derivatives_holomorphic_and_jax() -> None:
    z = np.array([0.3 + 0.2j, -2.0 + 1.0j, 1.5 - 0.7j, 9.0 + 1.0j, -0.5 - 3.0j])
    w = special.wofz(z)
    slope = -2 * z * w + 2j / np.sqrt(np.pi)
    close(ft.jvp(special.wofz, (z,), (np.ones_like(z),))[1], slope, rtol=1e-14)
    # The vjp is the transpose of multiplying by w'(z) (JAX's convention: no conjugate).
    close(ft.vjp(special.wofz, z)[1](np.ones_like(z))[0], slope, rtol=1e-14)
    check_grads(special.wofz, (z,), order=2, modes=("fwd", "rev"))
    check_grads(lambda x: special.wofz(x).imag, (np.array([-1.0, 0.2, 3.0]),), order=2)
    jax = _jax()
    jsp = pytest.importorskip("jax.scipy.special")
    small = z[:3]  # (JAX's N = 32 approximation is good to ~1e-12 there)
    close(special.wofz(small), np.asarray(jsp.wofz(small)), rtol=1e-11)
    for part in (np.real, np.imag):
        ours = ft.vmap(ft.grad(lambda v, p=part: p(special.wofz(v))))(small)
        theirs = jax.vmap(jax.grad(lambda v, p=part: p(jsp.wofz(v))))(small)
        close(ours, np.asarray(theirs), rtol=1e-10)
    close(ft.vmap(ft.grad(lambda x: special.wofz(x).real))(np.array([0.5, 2.0])),
          np.asarray(jax.vmap(jax.grad(lambda x: jsp.wofz(x).real))(np.array([0.5, 2.0]))),
          rtol=1e-10)


# -- hyp2f1 --------------------------------------------------------------------------------------


def test_hyp2f1_against_mpmath_scipy_and_closed_forms() -> None:
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(0)
    n = 160
    a, b = rng.uniform(-3, 3, n), rng.uniform(-3, 3, n)
    c = rng.uniform(0.2, 5, n)
    x = np.concatenate([rng.uniform(-1, 1, n // 2), -(10.0 ** rng.uniform(0, 3, n // 4)),
                        1 - 10.0 ** rng.uniform(-6, -1, n // 4)])
    want = np.array([float(mp.hyp2f1(*(mp.mpf(float(v)) for v in args)))
                     for args in zip(a, b, c, x, strict=True)])
    err = np.abs(special.hyp2f1(a, b, c, x) - want) / (np.abs(want) * 2.0**-52)
    assert np.median(err) < 4 and np.percentile(err, 90) < 32 and err.max() < 2000
    inside = (np.abs(x) <= 0.9) & (a > 0) & (b > 0)  # (the series, no cancellation)
    assert err[inside].max() < 16
    v = np.array([-50.0, -3.0, -0.5, 0.3, 0.95, 0.999])
    close(special.hyp2f1(1.0, 1.0, 2.0, v[:5]), -np.log1p(-v[:5]) / v[:5], rtol=1e-13)
    # (c - a - b an integer and x near 1: the connection formula at c +- h, extrapolated.)
    close(special.hyp2f1(1.0, 1.0, 2.0, v[5]), -np.log1p(-v[5]) / v[5], rtol=1e-10)
    close(special.hyp2f1(0.5, 1.0, 1.5, -v[2:4] ** 2), np.arctan(v[2:4]) / v[2:4], rtol=1e-14)
    close(special.hyp2f1(-2.0, 1.0, 3.0, np.array([5.0, -4.0])), 1 - 2 / 3 * np.array([5.0, -4])
          + np.array([5.0, -4]) ** 2 / 6, rtol=1e-14)  # a polynomial, any x
    scipy_special = pytest.importorskip("scipy.special")
    close(special.hyp2f1(a, b, c, x), scipy_special.hyp2f1(a, b, c, x), rtol=1e-9)


def test_hyp2f1_special_values_dtypes_and_shapes() -> None:
    args = [(1.0, 1.0, 2.0, 2.0), (1.0, 1.0, 2.0, 1.0), (1.0, 1.0, 3.0, 1.0),
            (0.5, 0.5, 1.5, 1.0), (1.0, 2.0, 0.0, 0.5), (1.0, 2.0, -2.0, 0.5),
            (-2.0, 1.0, -3.0, 0.5), (1.0, 1.0, 2.0, 0.0), (np.nan, 1.0, 2.0, 0.5),
            (1.0, 1.0, 2.0, -np.inf)]
    got = [float(special.hyp2f1(*v)) for v in args]
    close(got, [np.inf, np.inf, 2.0, np.pi / 2, np.inf, np.inf, 17 / 12, 1.0, np.nan, np.nan],
          rtol=1e-15)
    assert special.hyp2f1(np.float32(1), np.float32(1), np.float32(2), np.float32(0.5)).dtype \
        == np.float32
    assert special.hyp2f1(1, 1, 2, 0).dtype == np.float64
    x = np.linspace(-2, 0.9, 12).reshape(3, 4)
    out = special.hyp2f1(np.array([0.5, 1.5, 2.5, 3.0]), 1.0, 2.5, x)
    assert out.shape == (3, 4)
    close(ft.jit(special.hyp2f1)(np.array([0.5, 1.5, 2.5, 3.0]), 1.0, 2.5, x), out, rtol=0)
    close(ft.vmap(special.hyp2f1, in_axes=(None, None, None, 0))(1.5, 1.0, 2.5, x[:, 0]),
          special.hyp2f1(1.5, 1.0, 2.5, x[:, 0]), rtol=0)


def test_hyp2f1_derivatives_and_jax() -> None:
    a, b, c = np.array([0.5, 1.0, 2.5, 1.2]), np.array([1.5, 2.0, 0.7, -0.4]), \
        np.array([2.0, 3.0, 4.0, 1.7])
    x = np.array([-3.0, -0.4, 0.5, 0.97])
    close(ft.jit(ft.vmap(ft.grad(special.hyp2f1, argnums=3)))(a, b, c, x),
          a * b / c * special.hyp2f1(a + 1, b + 1, c + 1, x), rtol=1e-15)
    check_grads(lambda t: special.hyp2f1(a, b, c, t), (x,), order=2, modes=("fwd", "rev"))
    for argnums, name in ((0, "a"), (1, "b"), (2, "c")):
        with pytest.raises(ValueError, match=f"hyp2f1.*respect to {name}"):
            ft.grad(special.hyp2f1, argnums=argnums)(1.0, 2.0, 3.0, 0.5)
    jax = _jax()
    jsp = pytest.importorskip("jax.scipy.special")
    # (JAX sums the divergent series for x < -1, and at x = 0.97 is off by 2e-7: ours agrees
    # with mpmath and SciPy there to 1e-15.)
    inside = slice(1, 3)
    args = (a[inside], b[inside], c[inside], x[inside])
    close(special.hyp2f1(*args), np.asarray(jsp.hyp2f1(*args)), rtol=1e-11)
    close(ft.vmap(ft.grad(special.hyp2f1, argnums=3))(*args),
          np.asarray(jax.vmap(jax.grad(jsp.hyp2f1, argnums=3))(*args)), rtol=1e-11)


# -- sph_harm_y ----------------------------------------------------------------------------------


def _harmonic_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (n, m) with n <= 20 and |m| <= n, at theta in [0, pi] (both poles included) and
    phi in [0, 2 pi), as four arrays of one shape (pairs, thetas, phis)."""
    pairs = np.array([(n, m) for n in range(21) for m in range(-n, n + 1)])
    theta = np.concatenate([np.linspace(0, np.pi, 25), [1e-9, np.pi - 1e-9, np.pi / 2]])
    phi = np.linspace(0, 2 * np.pi, 17, endpoint=False)
    i, t, p = np.meshgrid(np.arange(len(pairs)), theta, phi, indexing="ij")
    return pairs[i, 0], pairs[i, 1], t, p


def test_sph_harm_y_against_scipy_jax_and_closed_forms() -> None:
    n, m, theta, phi = _harmonic_grid()
    got = special.sph_harm_y(n, m, theta, phi)
    assert got.shape == n.shape and got.dtype == np.complex128
    scipy_special = pytest.importorskip("scipy.special")
    want = scipy_special.sph_harm_y(n, m, theta, phi)
    err = np.abs(got - want)
    assert err.max() < 5e-14  # (|Y| <= sqrt((2n + 1) / (4 pi)) <= 1.83)
    scale = np.sqrt((2 * n + 1) / (4 * np.pi))
    large = np.abs(want) > 1e-2 * scale
    assert np.max(err[large] / np.abs(want[large])) < 1e-12
    # Closed forms, independent of SciPy (Condon-Shortley phase in Y_1^1 and Y_2^1).
    t, p = theta[0, :, 0], 0.7
    c, s, e = np.cos(t), np.sin(t), np.exp(1j * p)
    forms = {(0, 0): 0.5 / np.sqrt(np.pi) + 0 * t, (1, 0): np.sqrt(3 / (4 * np.pi)) * c,
             (1, 1): -np.sqrt(3 / (8 * np.pi)) * s * e, (1, -1): np.sqrt(3 / (8 * np.pi)) * s / e,
             (2, 1): -np.sqrt(15 / (8 * np.pi)) * s * c * e,
             (2, -2): np.sqrt(15 / (32 * np.pi)) * s**2 / e**2,
             (3, 3): -np.sqrt(35 / (64 * np.pi)) * s**3 * e**3}
    for (deg, order), form in forms.items():
        close(special.sph_harm_y(deg, order, t, p), form, rtol=0, atol=1e-15)
    jax = _jax()
    jsp = pytest.importorskip("jax.scipy.special")
    del jax
    # (JAX's table is (n_max + 1)**2 values per point: a sample of the grid. Not next to the
    # poles: JAX's sin(theta) = sqrt(1 - cos(theta)**2) is 0 at theta = 1e-9, so its Y_n^m
    # there is 0 for m != 0 instead of about 1e-9**|m|; ours keeps SciPy's relative accuracy.)
    near_pole = (theta == 1e-9) | (theta == np.pi - 1e-9)
    sample = np.flatnonzero(~near_pole)[::5]
    theirs = jsp.sph_harm_y(n.flat[sample], m.flat[sample], theta.flat[sample],
                            phi.flat[sample], n_max=20)
    assert np.abs(got.flat[sample] - np.asarray(theirs)).max() < 5e-14
    tiny = near_pole & (m != 0)
    assert np.max(err[tiny] / np.abs(want[tiny])) < 1e-13


def test_sph_harm_y_shapes_dtypes_and_edges() -> None:
    scipy_special = pytest.importorskip("scipy.special")
    ref = scipy_special.sph_harm_y
    # A 0-d theta is a vector of one (JAX's rule), also with every argument a scalar.
    assert special.sph_harm_y(2, 1, 0.3, 0.5).shape == (1,)
    assert special.sph_harm_y(np.array([2, 3, 4]), 1, np.float64(0.3), 0.5).shape == (3,)
    close(special.sph_harm_y(2, 1, 0.3, 0.5)[0], ref(2, 1, 0.3, 0.5))
    # Otherwise the four arguments broadcast (integer arrays of any integer dtype).
    n = np.array([[2], [5], [7]], dtype=np.int32)
    m = np.array([-2, 0, 1, 2], dtype=np.int16)
    theta = np.array([0.1, 0.9, 2.0, 3.0])
    phi = np.array([[[0.2]], [[4.0]]])
    got = special.sph_harm_y(n, m, theta, phi)
    assert got.shape == (2, 3, 4)
    close(got, ref(n, m, theta, phi), rtol=1e-13, atol=1e-15)
    close(special.sph_harm_y(list(n.ravel()), 1, theta[:3], 0.5), ref(n.ravel(), 1, theta[:3], 0.5))
    # dtypes: float64 and integer angles give complex128, float32 complex64.
    assert special.sph_harm_y(2, 1, 1, 0).dtype == np.complex128
    y32 = special.sph_harm_y(np.arange(6), 1, np.float32(0.4), np.float32(1.5))
    assert y32.dtype == np.complex64
    close(y32, ref(np.arange(6), 1, 0.4, 1.5), rtol=2e-6, atol=1e-7)
    # The poles: only m = 0 survives, sqrt((2n + 1) / (4 pi)) times 1 (theta = 0) or (-1)**n.
    deg = np.repeat(np.arange(8), 3)
    order = np.tile([-1, 0, 1], 8) * (deg > 0)
    for pole, parity in ((0.0, 1.0), (np.pi, -1.0)):
        got = special.sph_harm_y(deg, order, pole, 0.3)
        want = np.where(order == 0, parity**deg * np.sqrt((2 * deg + 1) / (4 * np.pi)), 0.0)
        close(got, want, rtol=1e-15, atol=1e-15)
        close(got, ref(deg, order, pole, 0.3), rtol=1e-14, atol=1e-15)
    assert np.all(special.sph_harm_y(deg, order, 0.0, 0.3)[order != 0] == 0)
    # |m| > n and n < 0 give 0, as SciPy (JAX's values there are undefined).
    odd = (np.array([2, 2, 0, -1, -3]), np.array([3, -5, 1, 0, 2]))
    np.testing.assert_array_equal(special.sph_harm_y(*odd, 0.7, 1.1), 0)
    np.testing.assert_array_equal(ref(*odd, 0.7, 1.1), 0)
    # Outside [0, pi], the point on the sphere: (-theta, phi) is (theta, phi + pi). (SciPy's
    # and JAX's use |sin(theta)|, so theirs differ in sign for odd m.)
    close(special.sph_harm_y(deg, order, -0.4, 0.3), special.sph_harm_y(deg, order, 0.4,
                                                                         0.3 + np.pi),
          rtol=1e-13, atol=1e-15)
    # Degrees above n_max are clipped to it, as JAX.
    close(special.sph_harm_y(np.array([10, 4]), 2, 0.3, 0.5, n_max=6),
          ref(np.array([6, 4]), 2, 0.3, 0.5), rtol=1e-14)
    # diff_n: None (JAX's default) and 0 (SciPy's) give the values; anything else is refused.
    close(special.sph_harm_y(3, 1, 0.3, 0.5, diff_n=0), special.sph_harm_y(3, 1, 0.3, 0.5),
          rtol=0)
    for bad in (1, 2, True):
        with pytest.raises(NotImplementedError, match="diff_n"):
            special.sph_harm_y(3, 1, 0.3, 0.5, diff_n=bad)
    with pytest.raises(TypeError, match="the n must be an integer"):
        special.sph_harm_y(2.0, 1, 0.3, 0.5)
    with pytest.raises(TypeError, match="the m must be an integer"):
        special.sph_harm_y(2, np.array([1.0]), 0.3, 0.5)
    with pytest.raises(TypeError, match="complex"):
        special.sph_harm_y(2, 1, 0.3 + 0j, 0.5)
    with pytest.raises(ValueError, match="n_max must be >= 0"):
        special.sph_harm_y(2, 1, 0.3, 0.5, n_max=-1)
    with pytest.raises(TypeError, match="n_max must be an integer"):
        special.sph_harm_y(2, 1, 0.3, 0.5, n_max=2.5)


def test_sph_harm_y_jit_and_vmap() -> None:
    n, m = np.array([0, 3, 5, 5]), np.array([0, -2, 5, -4])
    theta, phi = np.array([0.2, 1.0, 2.5, np.pi]), np.array([0.0, 1.0, 3.0, 6.0])
    want = special.sph_harm_y(n, m, theta, phi)
    close(ft.jit(lambda a, b: special.sph_harm_y(n, m, a, b))(theta, phi), want, rtol=0)
    # A traced degree needs n_max (static), as in JAX.
    f = ft.jit(special.sph_harm_y, static_argnames=("n_max",))
    close(f(n, m, theta, phi, n_max=5), want, rtol=0)
    with pytest.raises(ft.errors.ConcretizationError, match="n_max"):
        f(n, m, theta, phi)
    with pytest.raises(ft.errors.ConcretizationError, match="n_max"):
        ft.vmap(lambda k: special.sph_harm_y(k, 0, 0.3, 0.5))(n)
    close(ft.vmap(lambda k, j: special.sph_harm_y(k, j, 0.3, 0.5, n_max=5))(n, m),
          special.sph_harm_y(n, m, 0.3, 0.5)[:, None], rtol=0)
    # Mapped over a scalar theta: each call returns shape (1,), so (batch, 1), as in JAX.
    out = ft.vmap(lambda t, p: special.sph_harm_y(n, m, t, p))(theta, phi)
    assert out.shape == (4, 4)
    close(out, special.sph_harm_y(n[None], m[None], theta[:, None], phi[:, None]), rtol=0)
    one = ft.vmap(lambda t: special.sph_harm_y(3, 1, t, 0.5))(theta)
    assert one.shape == (4, 1)
    jax = _jax()
    jsp = pytest.importorskip("jax.scipy.special")
    close(np.asarray(jax.vmap(lambda t: jsp.sph_harm_y(np.array([3]), np.array([1]), t, 0.5))(
        theta)), one, rtol=1e-13, atol=1e-15)  # (at pi, JAX's sin is 0, ours 1.2e-16)


def test_sph_harm_y_derivatives_and_jax() -> None:
    n, m = np.array([1, 2, 3, 4, 6]), np.array([1, -1, 2, 0, -5])
    theta = np.array([0.0, 0.4, 1.3, 2.9, np.pi])
    phi = np.array([0.0, 1.0, 2.5, 4.0, 6.0])
    for t in (theta, theta[::-1]):  # (every harmonic at every pole, and inside)
        check_grads(lambda a, b: special.sph_harm_y(n, m, a, b), (t, phi), order=2,
                    modes=("fwd", "rev"))
    # d/dphi Y = i m Y; at theta = 0, d/dtheta Y_1^1 = -sqrt(3 / (8 pi)) e^{i phi} (one-sided
    # into [0, pi]: it is the derivative of the harmonic on the sphere, through the pole).
    y = special.sph_harm_y(n, m, theta, phi)
    close(ft.jvp(lambda b: special.sph_harm_y(n, m, theta, b), (phi,), (np.ones(5),))[1],
          1j * m * y, rtol=1e-14, atol=1e-15)
    d = ft.jvp(lambda a: special.sph_harm_y(1, 1, a, 0.8), (0.0,), (1.0,))[1]
    close(d, [-np.sqrt(3 / (8 * np.pi)) * np.exp(0.8j)], rtol=1e-15)
    # The third derivative exists too: d^3/dtheta^3 of -c sin(theta) cos(phi) is c cos(theta).
    g3 = ft.grad(ft.grad(ft.grad(lambda a: special.sph_harm_y(1, 1, a, 0.8)[0].real)))
    close(g3(0.5), np.sqrt(3 / (8 * np.pi)) * np.cos(0.5) * np.cos(0.8), rtol=1e-14)
    jax = _jax()
    jsp = pytest.importorskip("jax.scipy.special")
    inside = slice(1, 4)  # (JAX's derivative in theta is NaN at the poles: sqrt(1 - cos^2))
    deg, order = n[inside], m[inside]
    weights = np.array([1 + 2j, -0.5 + 1j, 2 - 1j])  # (real and imaginary parts, mixed)
    ours = ft.grad(lambda a, b: (special.sph_harm_y(deg, order, a, b) * weights).real.sum(),
                   argnums=(0, 1))(theta[inside], phi[inside])
    theirs = jax.grad(lambda a, b: (jsp.sph_harm_y(deg, order, a, b, n_max=6) * weights).real
                      .sum(), argnums=(0, 1))(theta[inside], phi[inside])
    for o, t in zip(ours, theirs, strict=True):
        close(o, np.asarray(t), rtol=1e-12, atol=1e-14)
