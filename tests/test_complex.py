"""Complex numbers under every transformation, with JAX's conventions.

JAX's vjp of a complex function is the transpose of its jvp with no conjugation added, so

* ``grad`` of a real function of ``z = x + iy`` is ``df/dx - i df/dy`` (``2 conj(z)`` for
  ``|z|**2``; autograd agrees),
* with ``holomorphic=True``, ``grad``/``jacfwd``/``jacrev``/``hessian`` give the complex
  derivatives ``f'(z)``, ``f''(z)``,
* without it, ``jacfwd`` refuses complex inputs and ``grad``/``jacrev`` complex outputs.

The closed forms below are those conventions; ``check_grads`` checks the rules against central
differences in random complex directions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace.interpreters import vjp as vjp_interp
from functrace.primitives import elementwise as ew
from functrace.testing import check_grads

Z = np.array([1.0 + 2.0j, 0.5 - 1.0j, -1.5 + 0.25j])


# -- the conventions, in closed form -------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_grad_of_a_real_function_is_df_dx_minus_i_df_dy(dtype: type) -> None:
    z = Z.astype(dtype)
    tol = 1e-12 if dtype == np.complex128 else 1e-5
    cases: list[tuple[Callable[[Any], Any], Any]] = [
        (lambda z: fnp.sum(fnp.abs(z) ** 2), 2 * np.conj(z)),
        (lambda z: fnp.sum(fnp.real(z * z)), 2 * z),          # x^2 - y^2
        (lambda z: fnp.sum(fnp.imag(z * z)), -2j * z),        # 2xy
        (lambda z: fnp.sum(fnp.abs(z)), np.conj(z) / np.abs(z)),
        (lambda z: fnp.sum(fnp.angle(z)), -1j / z),  # d/dx - i d/dy of atan2(y, x)
        (lambda z: fnp.real(fnp.vdot(z, z)), 2 * np.conj(z)),  # sum |z|^2: conj(z) . z
    ]
    for f, want in cases:
        for g in (ft.grad(f), ft.jit(ft.grad(f)), ft.grad(ft.jit(f))):
            got = g(z)
            assert got.dtype == z.dtype
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_grad_through_complex_intermediates_of_a_real_argument() -> None:
    r = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(ft.grad(lambda r: fnp.sum(fnp.real(fnp.exp(1j * r))))(r),
                               -np.sin(r), rtol=1e-12)
    np.testing.assert_allclose(ft.grad(lambda r: fnp.sum(fnp.abs(r + 2j * r ** 2)))(r),
                               (r + 8 * r ** 3) / np.abs(r + 2j * r ** 2), rtol=1e-12)
    np.testing.assert_allclose(
        ft.hessian(lambda r: fnp.sum(fnp.imag(fnp.exp(1j * r))))(r), np.diag(-np.sin(r)),
        rtol=1e-12, atol=1e-15)
    # Real arguments made complex: the backward pass takes real parts of complex cotangents,
    # which jit's generated code must copy out of buffers it reuses.
    x, y = np.array([0.3, -1.2]), np.array([0.5, 0.7])

    def f(x: Any, y: Any) -> Any:  # (z made twice: a buffer pattern that showed the bug)
        return fnp.sin(fnp.real(fnp.vdot(x + 1j * y, (x + 1j * y) ** 2)))

    want = ft.grad(f, argnums=(0, 1))(x, y)
    for g in (ft.jit(ft.grad(f, argnums=(0, 1))), ft.grad(ft.jit(f), argnums=(0, 1))):
        for got, w in zip(g(x, y), want, strict=True):
            np.testing.assert_allclose(got, w, rtol=1e-12)


def test_holomorphic_derivatives_are_the_complex_derivative() -> None:
    f = lambda z: fnp.sin(z) * z  # noqa: E731
    df = np.cos(Z) * Z + np.sin(Z)
    d2f = 2 * np.cos(Z) - np.sin(Z) * Z
    for jac in (ft.jacfwd, ft.jacrev):
        np.testing.assert_allclose(jac(f, holomorphic=True)(Z), np.diag(df), rtol=1e-12)
    np.testing.assert_allclose(ft.grad(lambda z: fnp.sum(f(z)), holomorphic=True)(Z), df,
                               rtol=1e-12)
    np.testing.assert_allclose(ft.hessian(lambda z: fnp.sum(f(z)), holomorphic=True)(Z),
                               np.diag(d2f), rtol=1e-12)
    value, g = ft.value_and_grad(lambda z: z ** 3, holomorphic=True)(Z[0])
    np.testing.assert_allclose([value, g], [Z[0] ** 3, 3 * Z[0] ** 2], rtol=1e-12)
    # Forward mode needs no flag: the jvp of a holomorphic function multiplies by f'(z).
    t = np.array([1.0, 1j, -2.0 + 0.5j])
    np.testing.assert_allclose(ft.jvp(f, (Z,), (t,))[1], df * t, rtol=1e-12)


def test_holomorphic_flags_and_complex_dtypes_are_checked() -> None:
    x = Z.real
    with pytest.raises(TypeError, match="holomorphic=True"):
        ft.jacfwd(lambda z: z * z)(Z)  # complex inputs need the flag, as in JAX
    with pytest.raises(TypeError, match="holomorphic=True"):
        ft.hessian(lambda z: fnp.sum(fnp.abs(z) ** 2))(Z)
    with pytest.raises(TypeError, match="holomorphic=True"):
        ft.grad(lambda z: fnp.sum(z * z))(Z)  # a complex output
    with pytest.raises(TypeError, match="holomorphic=True"):
        ft.jacrev(lambda z: z * z)(Z)
    for transform in (ft.grad, ft.jacfwd, ft.jacrev, ft.hessian):
        with pytest.raises(TypeError, match="complex dtype"):
            transform(lambda z: fnp.sum(z * z), holomorphic=True)(x)
    with pytest.raises(TypeError, match="complex dtype"):
        ft.grad(lambda z: fnp.sum(fnp.abs(z)), holomorphic=True)(Z)  # a real output
    # jacrev of a real function of complex inputs needs no flag (grad's convention, per row).
    np.testing.assert_allclose(ft.jacrev(fnp.abs)(Z), np.diag(np.conj(Z) / np.abs(Z)),
                               rtol=1e-12)


# -- the primitives: types, values, errors -------------------------------------------------------


@pytest.mark.parametrize("cdtype,rdtype", [(np.complex128, "f64"), (np.complex64, "f32")])
def test_parts_and_magnitude_are_real_in_the_ir(cdtype: type, rdtype: str) -> None:
    z = Z.astype(cdtype)
    text = str(ft.make_jaxpr(lambda z: (fnp.abs(z), fnp.real(z), fnp.imag(z), fnp.conj(z)))(z))
    for prim in ("abs", "real", "imag"):
        assert f"{rdtype}[3] = {prim} a" in text
    assert f"c{2 * int(rdtype[1:])}[3] = conj a" in text
    for f, ref in [(fnp.abs, np.abs), (fnp.real, np.real), (fnp.imag, np.imag),
                   (fnp.conj, np.conj), (fnp.angle, np.angle)]:
        for g in (f, ft.jit(f), ft.vmap(f)):
            got = g(z)
            assert got.dtype == ref(z).dtype
            np.testing.assert_array_equal(got, ref(z))


def test_tracer_methods_and_conversions() -> None:
    def f(z: Any) -> Any:
        return z.real * 2 + z.imag + (z.conj() * z).real + z.conjugate().imag

    want = Z.real * 2 + Z.imag + np.abs(Z) ** 2 - Z.imag
    np.testing.assert_allclose(ft.jit(f)(Z), want, rtol=1e-12)
    np.testing.assert_allclose(ft.grad(lambda z: fnp.sum(f(z)))(Z), 2 + 2 * np.conj(Z),
                               rtol=1e-12)
    # A complex array converted to a real dtype keeps its real part (JAX's conversion), and
    # the real part's cotangent comes back as a complex one.
    conv = ft.jit(lambda z: ew.convert_element_type(z, np.float64))(Z)
    np.testing.assert_array_equal(conv, Z.real)
    np.testing.assert_allclose(
        ft.grad(lambda z: fnp.sum(ew.convert_element_type(z, np.float64) ** 2))(Z), 2 * Z.real)
    # real/imag/conj of real arrays are the identity, a constant zero and the identity.
    x = np.array([1.0, -2.0])
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(fnp.real(x) + fnp.imag(x)
                                                            + fnp.conj(x)))(x), [2.0, 2.0])


def test_complex_assembles_its_parts_exactly() -> None:
    x = np.array([1.0, np.inf, -0.0, np.nan])
    y = np.array([np.inf, 2.0, -0.0, 1.0])
    out = ft.jit(ew.make_complex)(x, y)
    assert out.dtype == np.complex128
    np.testing.assert_array_equal(out.real, x)  # x + 1j * y would make NaN of inf * 0
    np.testing.assert_array_equal(out.imag, y)
    assert np.signbit(out[2].real) and np.signbit(out[2].imag)
    assert ft.jit(ew.make_complex)(np.float32(1), np.float32(2)).dtype == np.complex64
    with pytest.raises(ValueError, match="complex"):
        ft.make_jaxpr(ew.make_complex)(np.float32(1), np.float64(2))
    with pytest.raises(ValueError, match="complex"):
        ft.make_jaxpr(ew.real)(np.float64(1))


def test_abs_at_zero_has_zero_derivative() -> None:
    z = np.array([0j, 1 + 1j])
    np.testing.assert_allclose(ft.grad(lambda z: fnp.sum(fnp.abs(z)))(z),
                               [0, (1 - 1j) / np.sqrt(2)], rtol=1e-12)
    np.testing.assert_allclose(ft.jvp(fnp.abs, (z,), (np.array([1 + 1j, 1.0]),))[1],
                               [0, 1 / np.sqrt(2)], rtol=1e-12)


# -- check_grads in random complex directions ---------------------------------------------------

FUNCTIONS: list[tuple[str, Callable[[Any], Any]]] = [
    ("abs", fnp.abs),
    ("abs squared", lambda z: fnp.abs(z) ** 2),
    ("conj times exp", lambda z: fnp.conj(z) * fnp.exp(z)),
    ("real times imag", lambda z: fnp.real(z) * fnp.imag(z)),
    ("angle", fnp.angle),
    ("sin over z", lambda z: fnp.sin(z) / z),
    ("sqrt", fnp.sqrt),
    ("log", fnp.log),
    ("tanh", fnp.tanh),
    ("power 3", lambda z: z ** 3),
    ("reciprocal", lambda z: 1 / z),
    ("sum and mean", lambda z: fnp.sum(z * z) + fnp.mean(fnp.conj(z))),
    ("vdot", lambda z: fnp.vdot(z, fnp.exp(z))),
    ("outer matmul", lambda z: fnp.outer(z, fnp.conj(z)) @ z),
    ("cumsum", fnp.cumsum),
    ("where on the real part", lambda z: fnp.where(fnp.real(z) > 0, z * z, fnp.conj(z))),
    ("indexing", lambda z: z[::-1] * z[0]),
]


def _complex_array(draw: Any, dtype: type) -> np.ndarray:
    n = draw(st.integers(1, 4))
    parts = st.floats(0.3, 2.0) | st.floats(-2.0, -0.3)  # away from 0 and the cut of log/sqrt
    re = np.array(draw(st.lists(parts, min_size=n, max_size=n)))
    im = np.array(draw(st.lists(parts, min_size=n, max_size=n)))
    return (re + 1j * im).astype(dtype)


@pytest.mark.parametrize("name,f", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_check_grads_in_complex_directions(name: str, f: Callable[[Any], Any], dtype: type,
                                           data: Any) -> None:
    z = _complex_array(data.draw, dtype)
    kw = {} if dtype == np.complex128 else {"atol": 5e-2, "rtol": 5e-2}
    check_grads(f, (z,), order=2, modes=("fwd", "rev"), **kw)
    # jit (its generated code reuses buffers: a real part is a view of a complex one) and vmap
    # agree with the eager values and gradients.
    np.testing.assert_allclose(ft.jit(f)(z), f(z), rtol=1e-5)
    np.testing.assert_allclose(ft.vmap(f)(np.stack([z, 2 * z])), np.stack([f(z), f(2 * z)]),
                               rtol=1e-5)
    loss = lambda z: fnp.sum(fnp.sin(fnp.real(f(z))) + fnp.abs(f(z)) ** 2)  # noqa: E731
    want = ft.grad(loss)(z)
    for g in (ft.jit(ft.grad(loss)), ft.grad(ft.jit(loss))):
        np.testing.assert_allclose(g(z), want, rtol=1e-4)


def test_check_grads_catches_a_conjugated_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule that conjugates where JAX's convention does not (conj's vjp as the identity) is
    caught by the reverse-mode check, and only there: forward mode is unaffected."""
    f = lambda z: fnp.conj(z) * z * z  # noqa: E731
    check_grads(f, (Z,), order=1)
    monkeypatch.setitem(vjp_interp.vjp_rules, ew.conj_p,
                        lambda cts, ans, args, needed: [cts[0]])
    monkeypatch.delitem(vjp_interp.vjp_arg_rules, ew.conj_p)
    check_grads(f, (Z,), order=1, modes=("fwd",))
    with pytest.raises(AssertionError, match="vjp"):
        check_grads(f, (Z,), order=1, modes=("rev",))


# -- functions whose complex case conjugates or splits parts (found by fuzzing against JAX) -----


def test_numpy_functions_that_conjugate() -> None:
    x = np.array([[1 + 1j, 2 - 1j, 0.5j], [1, 1j, -1]])
    a, v = np.array([1, 2j, 3]), np.array([1j, 1])
    cases: list[tuple[Callable[..., Any], Callable[..., Any], tuple[Any, ...]]] = [
        (fnp.cov, np.cov, (x,)),
        (fnp.corrcoef, np.corrcoef, (x,)),
        (lambda a, v: fnp.correlate(a, v, "full"), lambda a, v: np.correlate(a, v, "full"),
         (a, v)),
        (lambda a, v: fnp.correlate(v, a, "same"), lambda a, v: np.correlate(v, a, "same"),
         (a, v)),
        (fnp.vecmat, np.vecmat, (np.array([1j, 1]), np.eye(2) + 1j)),
        (fnp.vdot, np.vdot, (a, a[::-1])),
        (lambda p: fnp.interp(0.5, [0.0, 1.0], p, right=2 - 1j),
         lambda p: np.interp(0.5, [0.0, 1.0], p, right=2 - 1j), (np.array([0j, 2j]),)),
        (fnp.nanvar, np.nanvar, (np.array([1 + 1j, -1j, 2, np.nan]),)),
        (fnp.nanstd, np.nanstd, (np.array([1 + 1j, -1j, 2, np.nan]),)),
    ]
    for ours, theirs, args in cases:
        want = theirs(*args)
        for f in (ours, ft.jit(ours)):
            got = f(*args)
            assert np.asarray(got).dtype == np.asarray(want).dtype
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_squared_magnitudes_are_smooth_at_zero() -> None:
    # var, std and the 2-norm square |z| as real(z conj(z)), not abs(z)**2: second derivatives
    # are right where an entry (or its deviation) is exactly 0 (JAX's values).
    v = np.array([0j, 1 + 1j])
    h = ft.hessian(lambda p: fnp.linalg.norm(p[0] + 1j * p[1]))(np.stack([v.real, v.imag]))
    assert abs(h[0, 0, 0, 0] - 1 / np.sqrt(2)) < 1e-12
    z = np.array([1 + 1j, -1 - 1j, 0])
    h = ft.hessian(lambda p: fnp.var(p[0] + 1j * p[1]))(np.stack([z.real, z.imag]))
    np.testing.assert_allclose(np.diagonal(h.reshape(6, 6)), 4 / 9, rtol=1e-12)


def test_determinants_of_complex_matrices() -> None:
    a = np.array([[1 + 1j, 2.0], [0.5j, 1 - 1j]])
    # det(a t) = t^2 det(a): its second derivative in t is 2 det(a).
    d2 = ft.grad(ft.grad(lambda s: fnp.linalg.det(a * s), holomorphic=True),
                 holomorphic=True)(1 + 0j)
    np.testing.assert_allclose(d2, 2 * np.linalg.det(a), rtol=1e-12)
    np.testing.assert_allclose(ft.hessian(lambda t: fnp.real(fnp.linalg.det(a * t)))(1.0),
                               2 * np.linalg.det(a).real, rtol=1e-12)
    # slogdet: log|det| is real; the sign turns with the phase of det.
    sign, logabs = ft.jit(fnp.linalg.slogdet)(a)
    assert logabs.dtype == np.float64 and sign.dtype == np.complex128
    np.testing.assert_allclose(  # angle(det(a (1 + i t))) = angle(det a) + 2 atan(t)
        ft.grad(lambda t: fnp.angle(fnp.linalg.slogdet(a * (1 + 1j * t))[0]))(0.3),
        2 / (1 + 0.3 ** 2), rtol=1e-12)
    np.testing.assert_allclose(ft.jit(ft.grad(lambda t: fnp.linalg.slogdet(a * t)[1]))(1.5),
                               2 / 1.5, rtol=1e-12)
    c = np.random.default_rng(0).standard_normal((3, 3, 2)) @ np.array([1, 1j])
    check_grads(fnp.linalg.slogdet, (c,), order=2)
    check_grads(fnp.linalg.det, (c,), order=3)
    # At a singular complex matrix too: the adjugate's derivative goes through the SVD.
    rng = np.random.default_rng(1)
    rank2 = (rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))) @ (
        rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3)))
    check_grads(fnp.linalg.det, (rank2,), order=2)


def test_jacfwd_holomorphic_needs_complex_outputs() -> None:
    with pytest.raises(TypeError, match="complex dtype"):
        ft.jacfwd(fnp.abs, holomorphic=True)(Z)
