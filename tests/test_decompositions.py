"""The matrix decompositions of ``functrace.numpy.linalg`` beyond the table's random checks.

The rows of ``tests/cases_decompositions.py`` run through every check of
``tests/test_primitives.py`` and ``tests/test_jit.py``; here: the identities the factors
satisfy, closed-form derivatives (the trace, log det, the nuclear norm), ``jacfwd`` against
``jacrev``, batched stacks against NumPy's, the semantics of the read triangle, the
pseudo-inverse at rank-deficient matrices, and the errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cases  # noqa: F401 - first: it imports cases_decompositions once it is complete
import numpy as np
import pytest
from cases_decompositions import eigh_fixed, ladder, qr_fixed, spd, svd_fixed
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace.errors import ConcretizationError
from functrace.primitives import decompositions as dc
from functrace.testing import check_grads

seeds = st.integers(0, 2**32 - 1)
la = fnp.linalg


def _mT(x: Any) -> Any:
    return np.swapaxes(x, -1, -2)


def _stack(rng: np.random.Generator, m: int, n: int, batch: tuple[int, ...] = ()) -> np.ndarray:
    return rng.uniform(-0.5, 0.5, (*batch, m, n))


# ---------------------------------------------------------------------------------------------
# The factors' identities, on stacks of every shape


@settings(max_examples=20)
@given(seed=seeds)
def test_factors_reconstruct_their_matrix(seed: int) -> None:
    rng = np.random.default_rng(seed)
    batch = tuple(int(d) for d in rng.integers(1, 3, size=int(rng.integers(0, 3))))
    m, n = (int(d) for d in rng.integers(1, 5, size=2))
    a = ladder(_stack(rng, m, n, batch))
    s_pd = spd(_stack(rng, n, n, batch))
    close = dict(atol=1e-12, rtol=1e-12)

    low = la.cholesky(s_pd)
    np.testing.assert_allclose(low @ _mT(low), s_pd, **close)
    np.testing.assert_array_equal(low, np.tril(low))

    w, v = la.eigh(s_pd)
    np.testing.assert_allclose((v * w[..., None, :]) @ _mT(v), s_pd, **close)
    assert np.all(np.diff(w, axis=-1) >= 0)

    for full in (False, True):
        u, s, vh = la.svd(a, full_matrices=full)
        k = min(m, n)
        np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a, **close)
        np.testing.assert_allclose(_mT(u) @ u, np.broadcast_to(np.eye(u.shape[-1]), u.shape[:-2]
                                                               + (u.shape[-1],) * 2), **close)

    for mode in ("reduced", "complete"):
        q, r = la.qr(a, mode=mode)
        np.testing.assert_allclose(q @ r, a, **close)
        np.testing.assert_array_equal(r, np.triu(r))

    p = la.pinv(a)
    np.testing.assert_allclose(a @ p @ a, a, **close)
    np.testing.assert_allclose(p @ a @ p, p, **close)


STACKED: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any], Callable[..., Any]]] = [
    ("cholesky", la.cholesky, np.linalg.cholesky, lambda a: spd(a)),
    ("eigvalsh", la.eigvalsh, np.linalg.eigvalsh, lambda a: a),
    ("eigh", eigh_fixed(la.eigh), eigh_fixed(np.linalg.eigh), lambda a: a),
    ("svd", svd_fixed(la.svd), svd_fixed(np.linalg.svd), lambda a: a),
    ("svdvals", la.svdvals, lambda a: np.linalg.svd(a, compute_uv=False), lambda a: a),
    ("qr", qr_fixed(la.qr), qr_fixed(np.linalg.qr), lambda a: a),
    ("pinv", la.pinv, np.linalg.pinv, ladder),
    ("inv power", lambda a: la.matrix_power(a, -3), lambda a: np.linalg.matrix_power(a, -3),
     ladder),
]


@pytest.mark.parametrize("name,fn,ref,prepare", STACKED, ids=[s[0] for s in STACKED])
def test_vmap_of_a_stack_equals_numpys_stack(name: str, fn: Callable[[Any], Any],
                                             ref: Callable[[Any], Any],
                                             prepare: Callable[[Any], Any]) -> None:
    # Batched over two axes by nested vmaps (the outer one over axis 1), against NumPy's own
    # stacked call.
    a = prepare(_stack(np.random.default_rng(0), 3, 3, (2, 4)))
    got = ft.vmap(ft.vmap(fn), in_axes=1)(np.swapaxes(a, 0, 1))
    for g, e in zip(ft.tree_util.tree_leaves(got), ft.tree_util.tree_leaves(ref(a)),
                    strict=True):
        np.testing.assert_allclose(g, e, atol=1e-12, rtol=1e-12, err_msg=name)


# ---------------------------------------------------------------------------------------------
# Derivatives in closed form


def test_gradient_of_the_eigenvalues_sum_is_the_identity() -> None:
    a = spd(_stack(np.random.default_rng(1), 4, 4))
    np.testing.assert_allclose(ft.grad(lambda a: fnp.sum(la.eigvalsh(a)))(a), np.eye(4),
                               atol=1e-12)
    # d w_i = v_i^T dA v_i: the largest eigenvalue's gradient is v v^T (symmetrized).
    w, v = np.linalg.eigh(a)
    g = ft.grad(lambda a: la.eigvalsh(a)[-1])(a)
    np.testing.assert_allclose((g + g.T) / 2, np.outer(v[:, -1], v[:, -1]), atol=1e-12)


def test_log_det_through_cholesky_matches_slogdet() -> None:
    x = _stack(np.random.default_rng(2), 3, 3)

    def via_cholesky(x: Any) -> Any:
        return 2 * fnp.sum(fnp.log(fnp.diagonal(la.cholesky(spd(x)))))

    def via_slogdet(x: Any) -> Any:
        return la.slogdet(spd(x))[1]

    np.testing.assert_allclose(via_cholesky(x), via_slogdet(x), rtol=1e-13)
    np.testing.assert_allclose(ft.grad(via_cholesky)(x), ft.grad(via_slogdet)(x), atol=1e-12)
    np.testing.assert_allclose(ft.hessian(via_cholesky)(x), ft.hessian(via_slogdet)(x),
                               atol=1e-11)
    # At a symmetric matrix, the symmetrized gradient of log det is the inverse.
    a = spd(x)
    g = ft.grad(lambda a: 2 * fnp.sum(fnp.log(fnp.diagonal(la.cholesky(a)))))(a)
    np.testing.assert_allclose((g + g.T) / 2, np.linalg.inv(a), atol=1e-12)


def test_derivatives_read_the_triangle_that_is_read() -> None:
    # cholesky and eigh read one triangle, so the gradient has no weight on the other; its
    # symmetric part is JAX's gradient (of the symmetrized input).
    a = spd(_stack(np.random.default_rng(3), 3, 3))
    w = np.random.default_rng(4).standard_normal((3, 3))
    for uplo, other in (("L", np.triu), ("U", np.tril)):
        g = ft.grad(lambda a, uplo=uplo: fnp.sum(la.eigh(a, UPLO=uplo)[1] ** 2 * w))(a)
        np.testing.assert_array_equal(other(g, 1 if uplo == "L" else -1), 0.0)
    g = ft.grad(lambda a: fnp.sum(fnp.sin(la.cholesky(a))))(a)
    np.testing.assert_array_equal(np.triu(g, 1), 0.0)
    upset = a + np.triu(np.ones((3, 3)), 1)  # the upper triangle is ignored
    np.testing.assert_array_equal(la.cholesky(upset), np.linalg.cholesky(a))


def test_singular_values_differentiate_at_repeated_values() -> None:
    # The singular values' gradient is u v^T, finite where the singular vectors' is not.
    eye = np.eye(3)
    np.testing.assert_allclose(ft.grad(lambda a: la.norm(a, "nuc"))(eye), eye)
    np.testing.assert_allclose(ft.grad(lambda a: fnp.sum(la.svdvals(a)))(eye), eye)
    # Repeated eigenvalues: the eigenvalues' gradient is fine, the eigenvectors' is not (JAX
    # gives NaN as well).
    np.testing.assert_allclose(ft.grad(lambda a: la.eigvalsh(a)[2])(eye), np.diag([0, 0, 1.0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(ft.grad(lambda a: fnp.sum(la.eigh(a)[1]))(eye)).any()


JACOBIANS: list[tuple[str, Callable[[Any], Any], tuple[int, int]]] = [
    ("cholesky", lambda a: la.cholesky(spd(a)), (3, 3)),
    ("eigh", eigh_fixed(la.eigh), (3, 3)),
    ("svd tall", svd_fixed(la.svd, full_matrices=False), (4, 2)),
    ("svd wide", svd_fixed(la.svd, full_matrices=False), (2, 3)),
    ("qr tall", qr_fixed(la.qr), (3, 2)),
    ("qr wide", qr_fixed(la.qr), (2, 4)),
    ("pinv", lambda a: la.pinv(ladder(a)), (3, 2)),
    ("cond", lambda a: la.cond(ladder(a)), (2, 3)),
]


@pytest.mark.parametrize("name,fn,shape", JACOBIANS, ids=[j[0] for j in JACOBIANS])
def test_jacfwd_equals_jacrev(name: str, fn: Callable[[Any], Any], shape: tuple[int, int]
                              ) -> None:
    a = _stack(np.random.default_rng(5), *shape)
    fwd, rev = ft.jacfwd(fn)(a), ft.jacrev(fn)(a)
    for f, r in zip(ft.tree_util.tree_leaves(fwd), ft.tree_util.tree_leaves(rev), strict=True):
        np.testing.assert_allclose(f, r, atol=1e-12, err_msg=name)


def test_pinv_differentiates_at_rank_deficient_matrices() -> None:
    # x @ y keeps rank 2 as x and y move: the derivative is the pseudo-inverse's along it.
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((4, 2)), rng.standard_normal((2, 3))
    check_grads(lambda x, y: la.pinv(x @ y, rtol=1e-8), [x, y], order=2)


def test_lstsq_matches_numpy() -> None:
    rng = np.random.default_rng(7)
    tall, b = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    deficient = tall[:, [0, 1, 1]]
    for a in (tall, deficient, tall[:2]):
        rhs = b[: a.shape[0]]
        for got, expected in zip(la.lstsq(a, rhs), np.linalg.lstsq(a, rhs), strict=True):
            assert np.shape(got) == np.shape(expected)
            np.testing.assert_allclose(got, expected, atol=1e-12)
    check_grads(lambda a, b: la.lstsq(a, b)[1], [tall, b], order=2)
    # Under jit the rank is unknown: the residuals are JAX's default, |b - a x|^2 summed over
    # rows whatever the rank (NumPy's are empty for the deficient tall matrix).
    for a in (tall, deficient):
        x, res, rank, s = ft.jit(la.lstsq)(a, b)
        np.testing.assert_allclose(x, np.linalg.lstsq(a, b)[0], atol=1e-12)
        np.testing.assert_allclose(res, ((b - a @ x) ** 2).sum(0), atol=1e-12)
    assert ft.jit(la.lstsq)(deficient, b)[1].shape == (2,) and la.lstsq(deficient, b)[1].size == 0
    np.testing.assert_allclose(la.lstsq(tall[:2], b[:2], numpy_resid=False)[1], 0.0, atol=1e-20)
    with pytest.raises(ConcretizationError, match="residuals"):
        ft.jit(lambda a, b: la.lstsq(a, b, numpy_resid=True))(tall, b)


def test_matrix_power_zero_negative_and_integers() -> None:
    a = ladder(_stack(np.random.default_rng(8), 3, 3, (2,)))
    np.testing.assert_array_equal(la.matrix_power(a, 0), np.broadcast_to(np.eye(3), a.shape))
    np.testing.assert_allclose(la.matrix_power(a, -2), np.linalg.matrix_power(a, -2))
    ints = np.array([[1, 2], [3, 4]])
    assert la.matrix_power(ints, 7).dtype == ints.dtype
    np.testing.assert_array_equal(la.matrix_power(ints, 7), np.linalg.matrix_power(ints, 7))
    np.testing.assert_allclose(ft.grad(lambda a: fnp.sum(la.matrix_power(a, 0) * a))(a[0]),
                               np.eye(3))


def test_matrix_rank_of_empty_matrices_is_zero() -> None:
    # As recent NumPy 2's (older ones raise on the empty maximum).
    for shape in ((0, 0), (2, 0, 0), (3, 0), (0, 3)):
        np.testing.assert_array_equal(la.matrix_rank(np.zeros(shape)),
                                      np.zeros(shape[:-2], np.int64))


def test_matrix_rank_and_cond() -> None:
    rng = np.random.default_rng(9)
    low = rng.standard_normal((4, 2)) @ rng.standard_normal((2, 5))
    assert int(la.matrix_rank(low)) == np.linalg.matrix_rank(low) == 2
    np.testing.assert_array_equal(la.matrix_rank(np.stack([low, low * 0])), [2, 0])
    assert int(la.matrix_rank(np.zeros(3))) == 0 and int(la.matrix_rank(np.ones(3))) == 1
    # No derivative flows through the rank.
    np.testing.assert_allclose(ft.grad(lambda a: fnp.sum(a) * la.matrix_rank(a))(low),
                               np.full(low.shape, 2.0))
    a = ladder(_stack(rng, 3, 3))
    for p in (None, 1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"):
        np.testing.assert_allclose(la.cond(a, p), np.linalg.cond(a, p), rtol=1e-12)


def test_multi_dot_multiplies_in_the_cheapest_order() -> None:
    a, b, c = np.ones((10, 1)), np.ones((1, 10)), np.ones((10, 1))
    eqns = ft.make_jaxpr(lambda a, b, c: la.multi_dot([a, b, c]))(a, b, c).eqns
    # (b @ c) first: 10 + 10 multiplications instead of 100 + 100.
    assert [e.outvars[0].aval.shape for e in eqns] == [(1, 1), (10, 1)]


def test_numpy_linalg_on_tracers_lands_here() -> None:
    a = spd(_stack(np.random.default_rng(10), 3, 3))
    g = ft.grad(lambda a: np.sum(np.linalg.eigvalsh(a)) + np.linalg.norm(a, 2))(a)
    assert g.shape == (3, 3)
    u, s, vh = ft.jit(np.linalg.svd)(a)
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), rtol=1e-12)
    np.testing.assert_allclose(  # eig lands here too: its eigenvalues' sum is the trace
        ft.grad(lambda a: np.real(np.sum(np.linalg.eig(a)[0])))(a), np.eye(len(a)), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Errors


ERRORS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("cholesky of a non-square matrix", lambda: la.cholesky(np.ones((2, 3))), ValueError,
     "square"),
    ("eigh of a vector", lambda: la.eigh(np.ones(3)), ValueError, "square"),
    ("eigh's UPLO", lambda: la.eigh(np.eye(2), UPLO="X"), ValueError, "UPLO"),
    ("svd of a vector", lambda: la.svd(np.ones(3)), ValueError, "matrices"),
    ("integer matrices at the primitive",
     lambda: ft.make_jaxpr(dc.cholesky)(np.eye(2, dtype=int)),
     ValueError, "float32, float64, complex64 or complex128"),
    ("float16", lambda: la.svd(np.eye(2, dtype=np.float16)), ValueError, "float16"),
    ("qr's raw mode", lambda: la.qr(np.eye(2), mode="raw"), NotImplementedError, "raw"),
    ("qr's unknown mode", lambda: la.qr(np.eye(2), mode="full"), ValueError, "mode"),
    ("pinv's rcond and rtol", lambda: la.pinv(np.eye(2), 1e-3, rtol=1e-3), ValueError, "rtol"),
    ("pinv's rcond per matrix", lambda: la.pinv(np.ones((2, 2, 2)), np.ones(2)),
     NotImplementedError, "rcond"),
    ("matrix_power's exponent", lambda: la.matrix_power(np.eye(2), 1.5), TypeError, "integer"),
    ("multi_dot of one array", lambda: la.multi_dot([np.eye(2)]), ValueError, "two"),
    ("multi_dot of a 3-d array", lambda: la.multi_dot([np.eye(2), np.ones((2, 2, 2)),
                                                       np.eye(2)]), ValueError, "dimensions"),
    ("svd full_matrices gradient of u, not square",
     lambda: ft.grad(lambda a: fnp.sum(la.svd(a)[0]))(np.ones((3, 2))), NotImplementedError,
     "full_matrices=False"),
    ("qr complete derivative, tall",
     lambda: ft.jacfwd(lambda a: la.qr(a, mode="complete")[0])(ladder(np.zeros((3, 2)))),
     NotImplementedError, "reduced"),
]


@pytest.mark.parametrize("what,call,error,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(what: str, call: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_full_matrices_singular_values_still_differentiate() -> None:
    # Only u and vh's derivatives are undefined with full_matrices=True (non-square).
    a = ladder(np.zeros((3, 2)))
    check_grads(lambda a: la.svd(a)[1], [a], order=2, modes=("rev",))


# -- eig: general real matrices, complex results ------------------------------------------------


def _phase_fixed(eig: Any) -> Any:
    """eig's (w, v) with each column's largest entry made positive real (continuous where
    LAPACK flips a column's sign)."""

    def f(a: Any) -> Any:
        w, v = eig(a)
        largest = fnp.take_along_axis(v, fnp.argmax(fnp.abs(v), axis=-2)[..., None, :], axis=-2)
        return w, v * fnp.conj(largest) / fnp.abs(largest)

    return f


def test_eig_values_and_dtypes() -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 4, 4))
    for dtype, cdtype in ((np.float64, np.complex128), (np.float32, np.complex64)):
        for f in (fnp.linalg.eig, ft.jit(fnp.linalg.eig), ft.vmap(fnp.linalg.eig)):
            w, v = f(a.astype(dtype))
            assert w.dtype == v.dtype == cdtype  # complex even where NumPy would give real
            np.testing.assert_allclose(a @ v, v * w[..., None, :], atol=1e-4)
            np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, rtol=1e-5)
        np.testing.assert_array_equal(ft.jit(lambda a: np.linalg.eigvals(a))(a.astype(dtype)),
                                      np.linalg.eigvals(a.astype(dtype)).astype(cdtype))


@pytest.mark.parametrize("seed", range(4))
def test_eig_derivatives_with_complex_eigenvalues(seed: int) -> None:
    # A random 4x4 matrix has (almost surely) distinct eigenvalues, often complex pairs.  The
    # eigenvectors' derivative keeps NumPy's normalisation (unit norm, largest entry real):
    # checked against central differences with a small step (LAPACK's sign of a column may
    # flip between the two evaluations at larger ones, hence the phase-fixed function).
    a = np.random.default_rng(seed).standard_normal((4, 4))
    f = _phase_fixed(fnp.linalg.eig)
    t = np.random.default_rng(seed + 10).standard_normal((4, 4))
    h = 1e-7
    for g in (f, fnp.linalg.eig):  # (unfixed: the norm and phase rule itself; no flip here)
        plus, minus = g(a + h * t), g(a - h * t)
        for k in range(2):
            numeric = (plus[k] - minus[k]) / (2 * h)
            np.testing.assert_allclose(ft.jvp(g, (a,), (t,))[1][k], numeric, atol=2e-6)
    check_grads(f, (a,), order=1, modes=("rev",), eps=1e-7, atol=1e-5, rtol=1e-5)
    # Eigenvalues: twice differentiable; the unnormalised symmetric functions are smooth.
    check_grads(lambda a: fnp.sum(fnp.linalg.eigvals(a) ** 2), (a,), order=2)
    np.testing.assert_allclose(ft.grad(lambda a: fnp.real(fnp.sum(fnp.linalg.eigvals(a))))(a),
                               np.eye(4), atol=1e-10)  # the trace


# -- complex matrices ---------------------------------------------------------------------------
# The same primitives, with conjugate transposes: values as NumPy's, derivatives JAX's (their
# vjps are the traced transposes of the jvps).  Eigenvectors and singular vectors of complex
# matrices carry an arbitrary phase each, fixed by LAPACK in a way that no formula follows, so
# derivatives are checked on phase-invariant functions of them (|v|, u @ vh), as autograd's
# tests do.


def _complex_stack(rng: np.random.Generator, m: int, n: int, batch: tuple[int, ...] = (),
                   dtype: type = np.complex128) -> np.ndarray:
    return (_stack(rng, m, n, batch) + 1j * _stack(rng, m, n, batch)).astype(dtype)


def _mH(x: Any) -> Any:
    return np.conj(np.swapaxes(x, -1, -2))


def hpd(a: Any) -> Any:
    """``a a^H + I``: Hermitian positive definite for every square ``a``."""
    return a @ fnp.conj(_mT(a)) + np.eye(a.shape[-1], dtype=a.dtype)


@settings(max_examples=20, deadline=None)
@given(seed=seeds, dtype=st.sampled_from([np.complex128, np.complex64]))
def test_complex_factors_reconstruct_and_match_numpy(seed: int, dtype: type) -> None:
    rng = np.random.default_rng(seed)
    batch = tuple(int(d) for d in rng.integers(1, 3, size=int(rng.integers(0, 3))))
    m, n = (int(d) for d in rng.integers(1, 5, size=2))
    a = ladder(_complex_stack(rng, m, n, batch, dtype))
    h = hpd(_complex_stack(rng, n, n, batch, dtype))
    real = np.float64 if dtype == np.complex128 else np.float32
    tol = dict(atol=1e-10, rtol=1e-10) if dtype == np.complex128 else dict(atol=1e-4, rtol=1e-4)

    low = la.cholesky(h)
    np.testing.assert_allclose(low @ _mH(low), h, **tol)
    np.testing.assert_allclose(low, np.linalg.cholesky(h), **tol)
    np.testing.assert_allclose(la.cholesky(h, upper=True), np.linalg.cholesky(h, upper=True),
                               **tol)
    w, v = la.eigh(h)
    assert w.dtype == real and v.dtype == dtype
    np.testing.assert_allclose((v * w[..., None, :]) @ _mH(v), h, **tol)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(h), **tol)
    u, s, vh = la.svd(a, full_matrices=False)
    assert s.dtype == real and u.dtype == vh.dtype == dtype
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, **tol)
    np.testing.assert_allclose(s, np.linalg.svd(a, compute_uv=False), **tol)
    q, r = la.qr(a)
    np.testing.assert_allclose(q @ r, a, **tol)
    np.testing.assert_allclose(r, np.linalg.qr(a)[1], **tol)
    np.testing.assert_allclose(la.pinv(a), np.linalg.pinv(a), **tol)
    g = ladder(_complex_stack(rng, n, n, batch, dtype))
    ew, ev = la.eig(g)
    np.testing.assert_allclose(ew, np.linalg.eig(g)[0], **tol)
    np.testing.assert_allclose(np.abs(ev), np.abs(np.linalg.eig(g)[1]), **tol)
    np.testing.assert_allclose(la.eigvals(g), ew, **tol)


def _abs_all(outs: Any) -> Any:
    return tuple(fnp.abs(o) for o in outs)


# Phase-invariant functions of each complex decomposition (the inputs come from ``ladder``:
# distinct, nonzero eigenvalues and singular values; ``hpd`` for cholesky).
COMPLEX_DERIVATIVES: list[tuple[str, Callable[[Any], Any], tuple[int, int], bool]] = [
    ("cholesky", lambda a: la.cholesky(hpd(a)), (3, 3), False),
    ("cholesky upper", lambda a: la.cholesky(hpd(a), upper=True), (3, 3), False),
    ("cholesky of the read triangle", la.cholesky, (3, 3), True),
    ("eigh", lambda a: (la.eigh(a)[0], fnp.abs(la.eigh(a)[1])), (3, 3), True),
    ("eigh upper", lambda a: (la.eigvalsh(a, "U"), fnp.abs(la.eigh(a, "U")[1])), (3, 3), True),
    ("svd tall", lambda a: _abs_all(la.svd(a, full_matrices=False)), (4, 3), False),
    ("svd wide", lambda a: _abs_all(la.svd(a, full_matrices=False)), (3, 4), False),
    ("svd square", lambda a: _abs_all(la.svd(a)), (3, 3), False),
    ("u @ vh", lambda a: (lambda u, s, vh: u @ vh)(*la.svd(a, full_matrices=False)), (4, 3),
     False),
    ("svdvals", la.svdvals, (3, 4), False),
    ("qr tall", la.qr, (4, 3), False),
    ("qr wide", la.qr, (3, 4), False),
    ("qr square, complete", lambda a: la.qr(a, mode="complete"), (3, 3), False),
    ("pinv", la.pinv, (3, 4), False),
    ("eig", la.eig, (3, 3), False),
    ("eigvals", la.eigvals, (3, 3), False),
    ("nuclear and spectral norms", lambda a: la.norm(a, "nuc") + la.norm(a, 2), (4, 3), False),
    ("cond", la.cond, (3, 3), False),
    ("lstsq", lambda a: la.lstsq(a, fnp.ones(4, dtype=a.dtype))[0], (4, 3), False),
]


@pytest.mark.parametrize("name,f,shape,hermitian_diag", COMPLEX_DERIVATIVES,
                         ids=[c[0] for c in COMPLEX_DERIVATIVES])
@settings(max_examples=4, deadline=None)
@given(seed=seeds)
def test_complex_derivatives_against_central_differences(
        name: str, f: Callable[[Any], Any], shape: tuple[int, int], hermitian_diag: bool,
        seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = ladder(_complex_stack(rng, *shape))
    if hermitian_diag:  # eigh and cholesky read a Hermitian (positive definite) matrix
        a = hpd(a) + 3 * np.eye(shape[0])
    check_grads(f, (a,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name,f,shape,hermitian_diag",
                         [c for c in COMPLEX_DERIVATIVES if c[0] in ("eigh", "svd tall",
                                                                      "qr wide", "cholesky")],
                         ids=["eigh", "svd tall", "qr wide", "cholesky"])
def test_complex64_derivatives(name: str, f: Callable[[Any], Any], shape: tuple[int, int],
                               hermitian_diag: bool) -> None:
    a = ladder(_complex_stack(np.random.default_rng(5), *shape, dtype=np.complex64))
    if hermitian_diag:
        a = hpd(a) + np.complex64(3) * np.eye(shape[0], dtype=np.complex64)
    check_grads(f, (a,), order=1, modes=("fwd", "rev"), atol=5e-2, rtol=5e-2)


def test_complex_derivatives_batch_and_compile() -> None:
    """vmap of the gradient equals a loop over the stack, jit of it the eager one, and a stack
    through the primitive equals the loop too."""
    rng = np.random.default_rng(6)
    xs = np.stack([ladder(_complex_stack(rng, 3, 3)) for _ in range(3)])

    def loss(a: Any) -> Any:
        u, s, vh = la.svd(a)
        w, v = la.eigh(hpd(a))
        q, r = la.qr(a)
        return (fnp.sum(fnp.abs(u) ** 3) + fnp.sum(s * w) + fnp.sum(fnp.abs(v) * fnp.real(r))
                + fnp.sum(fnp.imag(la.cholesky(hpd(a)))) + fnp.sum(fnp.abs(la.pinv(a))))

    loop = np.stack([ft.grad(loss)(x) for x in xs])
    np.testing.assert_allclose(ft.vmap(ft.grad(loss))(xs), loop, atol=1e-12)
    np.testing.assert_allclose(ft.jit(ft.vmap(ft.grad(loss)))(xs), loop, atol=1e-12)
    np.testing.assert_allclose(ft.grad(lambda a: fnp.sum(ft.vmap(loss)(a)))(xs), loop,
                               atol=1e-12)


def test_complex_closed_forms() -> None:
    a = ladder(_complex_stack(np.random.default_rng(7), 4, 3))
    # The nuclear norm: d||a||_* = Re tr(u^H da v), whose gradient in JAX's convention
    # (df/dx - i df/dy) is conj(u @ vh).
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(ft.grad(lambda a: la.norm(a, "nuc"))(a), np.conj(u @ vh),
                               atol=1e-12)
    # The trace through eigh: d sum(w) = Re tr(da) on the read triangle: the gradient is I.
    h = hpd(ladder(_complex_stack(np.random.default_rng(8), 3, 3)))
    np.testing.assert_allclose(ft.grad(lambda h: fnp.sum(la.eigvalsh(h)))(h), np.eye(3),
                               atol=1e-12)
    # log det through cholesky equals slogdet's, along Hermitian directions.
    t = _complex_stack(np.random.default_rng(9), 3, 3)
    t = t + _mH(t)
    _, via_chol = ft.jvp(lambda h: 2 * fnp.sum(fnp.log(fnp.real(fnp.diagonal(la.cholesky(h))))),
                         (h,), (t,))
    _, via_slogdet = ft.jvp(lambda h: la.slogdet(h)[1], (h,), (t,))
    np.testing.assert_allclose(via_chol, via_slogdet, rtol=1e-12)
    # The imaginary part of the read diagonal is ignored (LAPACK's), so it has no derivative;
    # nor has the unread triangle.
    g = ft.grad(lambda h: fnp.sum(fnp.abs(la.cholesky(h)) ** 2 * np.arange(9).reshape(3, 3)))(h)
    assert np.all(np.diag(g).imag == 0) and np.all(np.triu(g, 1) == 0)
    # A real matrix as a complex one differentiates as the real one does.
    r = spd(_stack(np.random.default_rng(10), 3, 3))
    for f in (lambda a: la.eigvalsh(a), lambda a: la.svdvals(a), lambda a: fnp.abs(la.qr(a)[1])):
        _, real_t = ft.jvp(f, (r,), (r * 0.5,))
        _, complex_t = ft.jvp(f, (r.astype(complex),), ((r * 0.5).astype(complex),))
        np.testing.assert_allclose(complex_t, real_t, atol=1e-12)


def test_complex_singular_values_differentiate_at_repeated_values() -> None:
    eye = np.eye(3, dtype=complex)
    with np.errstate(all="raise"):  # no 1/0 computed on the way
        np.testing.assert_allclose(ft.grad(lambda a: la.norm(a, "nuc"))(eye), eye)
        np.testing.assert_allclose(ft.grad(lambda a: fnp.sum(la.svdvals(a)))(1j * eye),
                                   -1j * eye)  # conj(u @ vh) with u @ vh = i I


def test_complex_lstsq_matches_numpy() -> None:
    rng = np.random.default_rng(11)
    a, b = _complex_stack(rng, 5, 3), _complex_stack(rng, 5, 2)
    for got, want in zip(la.lstsq(a, b), np.linalg.lstsq(a, b), strict=True):
        np.testing.assert_allclose(got, want, atol=1e-12)
        assert np.asarray(got).dtype == np.asarray(want).dtype  # real residuals, as NumPy's


def test_tensorinv_and_tensorsolve_match_numpy() -> None:
    rng = np.random.default_rng(12)
    a = rng.standard_normal((4, 6, 8, 3))
    for f in (la.tensorinv, ft.jit(la.tensorinv, static_argnums=(1,))):
        np.testing.assert_allclose(f(a, 2), np.linalg.tensorinv(a, 2), rtol=1e-10, atol=1e-10)
    a2, b2 = rng.standard_normal((6, 2, 3)), rng.standard_normal(6)
    np.testing.assert_allclose(la.tensorsolve(a2, b2), np.linalg.tensorsolve(a2, b2), rtol=1e-10)
    a3 = rng.standard_normal((2, 3, 6))
    np.testing.assert_allclose(ft.jit(lambda a, b: la.tensorsolve(a, b, axes=(0, 1)))(a3, b2),
                               np.linalg.tensorsolve(a3, b2, axes=(0, 1)), rtol=1e-10)
    check_grads(lambda a: la.tensorinv(a, 1), (a2,), order=2)
    check_grads(la.tensorsolve, (a2, b2), order=2)
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        la.tensorinv(np.ones((2, 3)), 1)
