"""``functrace.scipy.linalg``: values against NumPy references, closed forms and fixed numbers
(SciPy's, or 50-digit ones from mpmath, written here: SciPy and JAX are not test
dependencies), derivatives against central differences, ``jit`` and ``vmap`` against the plain
call, edge cases and errors.

The ``lu`` primitive itself is a row of the primitive table (``tests/cases_decompositions.py``).
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
from functrace.scipy import linalg
from functrace.testing import check_grads

RNG = np.random.default_rng(0)


def close(got: Any, expected: Any, rtol: float = 1e-13, atol: float = 1e-14) -> None:
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def well_conditioned(n: int, *, lead: tuple[int, ...] = (), complex_: bool = False,
                     rng: np.random.Generator = RNG) -> np.ndarray:
    a = rng.standard_normal((*lead, n, n)) + n * np.eye(n)
    if complex_:
        a = a + 1j * rng.standard_normal((*lead, n, n))
    return a


def spd(a: np.ndarray) -> np.ndarray:
    return a @ np.conj(np.swapaxes(a, -1, -2)) + np.eye(a.shape[-1])


# -- triangular solves and Cholesky --------------------------------------------------------------


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("unit", [False, True])
@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T", "C"])
def test_solve_triangular_against_numpy(trans: Any, unit: bool, lower: bool,
                                        complex_: bool) -> None:
    a = well_conditioned(4, complex_=complex_)
    b = RNG.standard_normal((4, 3))
    t = np.tril(a) if lower else np.triu(a)
    if unit:
        t = t - np.diag(np.diag(t)) + np.eye(4)
    op = {0: t, 1: t.T, 2: t.conj().T}[{"N": 0, "T": 1, "C": 2}.get(trans, trans)]
    close(linalg.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit),
          np.linalg.solve(op, b))
    close(linalg.solve_triangular(a, b[:, 0], trans=trans, lower=lower, unit_diagonal=unit),
          np.linalg.solve(op, b[:, 0]))


def test_solve_triangular_batches_and_ignores_the_other_triangle() -> None:
    a = well_conditioned(3, lead=(2,))
    b = RNG.standard_normal((5, 1, 3, 2))  # batch axes broadcast against a's
    expected = np.linalg.solve(np.tril(a), b)
    close(linalg.solve_triangular(a, b, lower=True), expected)
    junk = a + np.triu(np.full((3, 3), np.nan), 1)  # NaN where it is not read
    close(linalg.solve_triangular(junk, b, lower=True), expected)
    # The derivative with respect to the unread triangle (and the unit diagonal) is zero.
    g = ft.grad(lambda m: fnp.sum(linalg.solve_triangular(m, b[0, 0], lower=True,
                                                          unit_diagonal=True)))(a[0])
    assert np.all(np.triu(g) == 0) and np.any(g != 0)


def test_cholesky_cho_factor_cho_solve() -> None:
    for complex_ in (False, True):
        s = spd(well_conditioned(4, complex_=complex_))
        low = np.linalg.cholesky(s)
        close(linalg.cholesky(s, lower=True), low)
        close(linalg.cholesky(s), low.conj().T)  # SciPy's default: upper, u^H u = s
        b = RNG.standard_normal((4, 2))
        for lower in (False, True):
            # Only the factor's triangle is read: garbage in the other one changes nothing.
            garbage = s + (np.triu(np.full((4, 4), 7.0), 1) if lower
                           else np.tril(np.full((4, 4), 7.0), -1))
            c, flag = linalg.cho_factor(garbage, lower=lower)
            assert flag is lower
            close(c, low if lower else low.conj().T)
            close(linalg.cho_solve((c, lower), b), np.linalg.solve(s, b), rtol=1e-12)
            close(linalg.cho_solve((c + garbage - s, lower), b[:, 0]),
                  np.linalg.solve(s, b[:, 0]), rtol=1e-12)
    g = ft.grad(lambda m: fnp.sum(linalg.cholesky(m)))(spd(well_conditioned(3)))
    assert np.all(np.tril(g, -1) == 0)  # upper: the lower triangle is not read
    with pytest.raises(np.linalg.LinAlgError):
        linalg.cholesky(-np.eye(2))


# -- LU ------------------------------------------------------------------------------------------

M = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]])


def test_lu_fixed_values() -> None:
    # scipy.linalg.lu(M) and lu_factor(M)
    p, l, u = linalg.lu(M)
    close(p, [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    close(l, [[1.0, 0.0, 0.0], [1 / 7, 1.0, 0.0], [4 / 7, 0.5, 1.0]])
    close(u, [[7.0, 8.0, 10.0], [0.0, 6 / 7, 11 / 7], [0.0, 0.0, -0.5]])
    packed, piv = linalg.lu_factor(M)
    assert piv.dtype == np.int32 and piv.tolist() == [2, 2, 2]
    close(packed, np.tril(l, -1) + u)
    indices, l2, u2 = linalg.lu(M, p_indices=True)
    assert indices.dtype == np.int32
    close(l2[indices] @ u2, M)
    pl, u3 = linalg.lu(M, permute_l=True)
    close(pl @ u3, M)


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 3, 3), (1, 1), (0, 0), (3, 0)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_lu_reconstructs_with_partial_pivoting(shape: tuple[int, ...], dtype: Any) -> None:
    a = RNG.standard_normal(shape).astype(dtype)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * RNG.standard_normal(shape)
    p, l, u = linalg.lu(a)
    m, n = shape[-2:]
    k = min(m, n)
    assert p.shape == (*shape[:-2], m, m) and l.shape == (*shape[:-2], m, k)
    assert u.shape == (*shape[:-2], k, n) and l.dtype == u.dtype == a.dtype
    assert p.dtype == np.finfo(a.dtype).dtype
    tol = 1e-5 if np.finfo(a.dtype).bits == 32 else 1e-13
    close(p @ l @ u, a, rtol=tol, atol=tol)
    assert np.all(np.triu(l, 1) == 0) and np.all(np.tril(u, -1) == 0)
    if k:
        close(np.diagonal(l, axis1=-2, axis2=-1), np.ones((*shape[:-2], k)))
    # Partial pivoting: multipliers at most 1 in modulus (sqrt 2 for complex matrices, whose
    # pivot is the largest |Re| + |Im| of the column, as LAPACK's).
    assert np.all(np.abs(l) <= (np.sqrt(2) if np.iscomplexobj(l) else 1) + 1e-6)


@pytest.mark.parametrize("trans", [0, 1, 2])
def test_lu_solve(trans: int) -> None:
    for complex_ in (False, True):
        a = RNG.standard_normal((4, 4)) + (1j * RNG.standard_normal((4, 4)) if complex_ else 0)
        op = {0: a, 1: a.T, 2: a.conj().T}[trans]
        b = RNG.standard_normal((4, 2))
        factors = linalg.lu_factor(a)
        close(linalg.lu_solve(factors, b, trans=trans), np.linalg.solve(op, b), rtol=1e-12)
        close(linalg.lu_solve(factors, b[:, 1], trans=trans), np.linalg.solve(op, b[:, 1]),
              rtol=1e-12)
    # a stack of factorizations, and under jit (traced pivots)
    a = well_conditioned(3, lead=(2,))
    b = RNG.standard_normal((2, 3, 1))
    f = lambda a, b: linalg.lu_solve(linalg.lu_factor(a), b)  # noqa: E731
    close(f(a, b), np.linalg.solve(a, b), rtol=1e-12)
    close(ft.jit(f)(a, b), np.linalg.solve(a, b), rtol=1e-12)


# -- solve, inv, det, eigh, svd, qr --------------------------------------------------------------


@pytest.mark.parametrize("assume_a", [None, "gen", "sym", "her", "pos", "diagonal", "tridiagonal",
                                      "banded", "upper triangular", "lower triangular"])
@pytest.mark.parametrize("lower", [False, True])
def test_solve_reads_what_assume_a_says(assume_a: Any, lower: bool) -> None:
    a = spd(well_conditioned(4))
    junk = 3.0 * RNG.standard_normal((4, 4))
    if assume_a in ("sym", "her", "pos"):  # one triangle, the other is junk
        read = a
        given = np.tril(a) + np.triu(junk, 1) if lower else np.triu(a) + np.tril(junk, -1)
    elif assume_a == "diagonal":
        read = np.diag(np.diag(a))
        given = read + junk - np.diag(np.diag(junk))
    elif assume_a == "tridiagonal":
        band = np.abs(np.subtract.outer(range(4), range(4))) <= 1
        read, given = np.where(band, a, 0.0), np.where(band, a, junk)
    elif assume_a in ("upper triangular", "lower triangular"):
        read = np.tril(a) if assume_a.startswith("lower") else np.triu(a)
        given = read + (np.triu(junk, 1) if assume_a.startswith("lower") else np.tril(junk, -1))
    else:
        read = given = a
    b = RNG.standard_normal((4, 2))
    close(linalg.solve(given, b, lower=lower, assume_a=assume_a), np.linalg.solve(read, b),
          rtol=1e-12)
    close(linalg.solve(given, b[:, 0], lower=lower, assume_a=assume_a, transposed=True),
          np.linalg.solve(read.T, b[:, 0]), rtol=1e-12)
    close(linalg.inv(given, assume_a=assume_a, lower=lower), np.linalg.inv(read), rtol=1e-12)


def test_solve_complex_hermitian_and_symmetric() -> None:
    a = well_conditioned(3, complex_=True)
    b = RNG.standard_normal(3) + 0j
    her = np.triu(a) + np.triu(a, 1).conj().T
    her = her - 1j * np.diag(np.diag(her).imag)  # LAPACK ignores the diagonal's imaginary part
    close(linalg.solve(a, b, assume_a="her"), np.linalg.solve(her, b), rtol=1e-12)
    sym = np.triu(a) + np.triu(a, 1).T
    close(linalg.solve(a, b, assume_a="sym"), np.linalg.solve(sym, b), rtol=1e-12)
    close(linalg.det(a), np.linalg.det(a), rtol=1e-13)


@pytest.mark.parametrize("eig_type", [1, 2, 3])
@pytest.mark.parametrize("lower", [True, False])
def test_generalized_eigh(eig_type: int, lower: bool) -> None:
    for complex_ in (False, True):
        x = well_conditioned(4, complex_=complex_)
        a = x + x.conj().T
        b = spd(well_conditioned(4, complex_=complex_))
        w, v = linalg.eigh(a, b, lower=lower, type=eig_type)
        assert np.all(np.diff(w) > 0)
        if eig_type == 1:
            close(a @ v, b @ v * w, rtol=1e-10, atol=1e-10)
        elif eig_type == 2:
            close(a @ b @ v, v * w, rtol=1e-10, atol=1e-10)
        else:
            close(b @ a @ v, v * w, rtol=1e-10, atol=1e-10)
        # SciPy's normalisation
        metric = np.linalg.inv(b) if eig_type == 3 else b
        close(v.conj().T @ metric @ v, np.eye(4), atol=1e-10)
        close(linalg.eigh(a, b, lower=lower, type=eig_type, eigvals_only=True), w)


def test_eigh_svd_qr_follow_numpy() -> None:
    x = RNG.standard_normal((4, 4))
    h = x + x.T
    close(linalg.eigh(h)[0], np.linalg.eigh(h)[0])
    close(linalg.eigh(np.triu(h), lower=False, eigvals_only=True), np.linalg.eigvalsh(h))
    w, v = linalg.eigh(h, subset_by_index=(1, 2))
    close(w, np.linalg.eigvalsh(h)[1:3])
    assert v.shape == (4, 2)
    a = RNG.standard_normal((5, 3))
    u, s, vh = linalg.svd(a)
    assert (u.shape, s.shape, vh.shape) == ((5, 5), (3,), (3, 3))
    close(u[:, :3] * s @ vh, a)
    close(linalg.svd(a, compute_uv=False), np.linalg.svd(a, compute_uv=False))
    q, r = linalg.qr(a)
    assert (q.shape, r.shape) == ((5, 5), (5, 3))
    close(q @ r, a)
    q, r = linalg.qr(a, mode="economic")
    assert (q.shape, r.shape) == ((5, 3), (3, 3))
    (r_only,) = linalg.qr(a, mode="r")
    assert r_only.shape == (5, 3)
    close(np.abs(r_only[:3]), np.abs(r))
    assert np.all(r_only[3:] == 0)
    # mode='r' of a tall matrix is differentiable (through the reduced factorization)
    check_grads(lambda m: linalg.qr(m, mode="r")[0] ** 2, (a,), order=1, modes=("fwd", "rev"))


def test_qr_with_column_pivoting() -> None:
    m = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0], [1.0, 0.0, -1.0]])
    q, r, p = linalg.qr(m, mode="economic", pivoting=True)
    assert p.dtype == np.int32 and p.tolist() == [2, 0, 1]  # scipy.linalg.qr's
    close(np.abs(np.diag(r)), [12.08304597, 1.96893685, 0.25910965], rtol=3e-8)  # 8 digits
    close(q @ r, m[:, p])
    r_only, p_only = linalg.qr(m, mode="r", pivoting=True)
    assert r_only.shape == (4, 3) and p_only.tolist() == [2, 0, 1]
    # rank revealing: a rank-2 matrix's third diagonal entry is at rounding level, and a
    # stack pivots each matrix on its own (as jit does)
    low_rank = RNG.standard_normal((2, 5, 2)) @ RNG.standard_normal((2, 2, 4))
    for f in (linalg.qr, ft.jit(linalg.qr, static_argnames=("mode", "pivoting"))):
        q, r, p = f(low_rank, mode="economic", pivoting=True)
        close(q @ r, np.take_along_axis(low_rank, p[:, None, :], axis=-1))
        d = np.abs(np.diagonal(r, axis1=-2, axis2=-1))
        assert np.all(np.diff(d, axis=-1) <= 1e-12) and np.all(d[:, 2:] < 1e-12)
        assert sorted(p[0].tolist()) == [0, 1, 2, 3]


# -- expm and the matrix functions --------------------------------------------------------------

A = np.array([[1.0, 2.0, 0.5], [-1.5, 0.25, 3.0], [0.75, -2.0, 1.0]])
# expm(A) and expm(4 A), from mpmath with 50 digits
EXPM_A = np.array([[2.8349995455198, 0.3058393018799158, 4.02366973742591],
                   [0.6643284281838588, -1.3013757633572491, 0.9056129051167715],
                   [2.460672987763682, -0.00793666701531724, 1.0475837363322085]])
EXPM_4A = np.array([[482.3409369424661, 20.752964553133243, 464.2517695701724],
                    [88.37418868293629, 6.833470795003175, 83.09890287859297],
                    [280.6220059641138, 13.893339479462163, 274.46311274689367]])
C = np.array([[0.5, 1j], [2.0, -1 + 0.5j]])
EXPM_C = np.array([[1.360491086479538 + 1.0088217921182425j,
                    -0.41886181734325256 + 0.7472003859811909j],
                   [1.4944007719623817 + 0.8377236346865051j,
                    0.030259598836125435 + 0.7541292590939591j]])


def test_expm_values() -> None:
    close(linalg.expm(A), EXPM_A, rtol=2e-15, atol=0)
    close(linalg.expm(4 * A), EXPM_4A, rtol=1e-14, atol=0)  # norm 22: 3 squarings
    close(linalg.expm(C), EXPM_C, rtol=2e-15, atol=0)
    t = 2.5  # a rotation, and its generator times 50 (many squarings)
    close(linalg.expm(np.array([[0.0, t], [-t, 0.0]])),
          [[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    close(linalg.expm(np.array([[0.0, 50 * t], [-50 * t, 0.0]])),
          [[np.cos(50 * t), np.sin(50 * t)], [-np.sin(50 * t), np.cos(50 * t)]],
          atol=1e-12)
    nilpotent = np.triu(RNG.standard_normal((4, 4)), 1)
    expected = np.eye(4) + nilpotent + nilpotent @ nilpotent / 2 + np.linalg.matrix_power(
        nilpotent, 3) / 6
    close(linalg.expm(nilpotent), expected)
    # Hermitian: through NumPy's eigh; a stack with different numbers of squarings each
    x = RNG.standard_normal((3, 4, 4))
    h = (x + np.swapaxes(x, -1, -2)) * np.array([0.1, 1.0, 8.0])[:, None, None]
    w, v = np.linalg.eigh(h)
    close(linalg.expm(h), (v * np.exp(w)[:, None, :]) @ np.swapaxes(v, -1, -2), rtol=1e-12,
          atol=1e-12 * np.exp(w).max())
    close(linalg.expm(1j * h[0]), (v[0] * np.exp(1j * w[0])) @ v[0].T, atol=1e-13)


def test_expm_edges_and_dtypes() -> None:
    close(linalg.expm(np.array([[2.0]])), [[np.exp(2.0)]])
    assert linalg.expm(np.zeros((2, 0, 0))).shape == (2, 0, 0)
    close(linalg.expm(np.zeros((3, 3))), np.eye(3))
    out = linalg.expm(A.astype(np.float32))
    assert out.dtype == np.float32
    close(out, EXPM_A, rtol=1e-5, atol=1e-5)
    assert linalg.expm(C.astype(np.complex64)).dtype == np.complex64
    assert linalg.expm(np.eye(2, dtype=int)).dtype == np.float64
    close(linalg.expm(np.triu(A) + 100 * np.tril(A, -1), upper_triangular=True),
          linalg.expm(np.triu(A)))
    # JAX's max_squarings: NaN where more squarings would be needed
    assert np.all(np.isnan(linalg.expm(1000 * A, max_squarings=2)))
    close(linalg.expm(4 * A, max_squarings=16), EXPM_4A, rtol=1e-14, atol=0)
    assert np.all(np.isnan(linalg.expm(np.array([[np.nan, 0.0], [0.0, 1.0]]))[0]))


def test_expm_frechet() -> None:
    e = RNG.standard_normal((3, 3))
    value, derivative = linalg.expm_frechet(A, e)
    close(value, EXPM_A, rtol=2e-15, atol=0)
    # Mathias' block identity: expm([[A, E], [0, A]]) = [[expm A, L(A, E)], [0, expm A]].
    block = linalg.expm(np.block([[A, e], [np.zeros((3, 3)), A]]))
    close(derivative, block[:3, 3:], rtol=1e-13, atol=1e-13)
    close(linalg.expm_frechet(A, e, compute_expm=False), derivative)
    with pytest.raises(ValueError, match="expm_frechet.*same shape"):
        linalg.expm_frechet(A, np.eye(2))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.floats(0.01, 30.0), st.integers(0, 2**32 - 1))
def test_expm_of_a_and_minus_a_are_inverses(n: int, scale: float, seed: int) -> None:
    a = np.random.default_rng(seed).standard_normal((n, n))
    a *= scale / max(np.abs(a).sum(0).max(), 1e-300)  # 1-norm = scale
    product = linalg.expm(a) @ linalg.expm(-a)
    # exp(a) exp(-a) = I, to rounding times the conditioning of the exponential.
    bound = 1e-14 * np.exp(2 * scale)
    close(product, np.eye(n), rtol=0, atol=bound)


def test_polar_sqrtm_sylvester() -> None:
    a = RNG.standard_normal((4, 3))
    u, p = linalg.polar(a)
    close(u @ p, a)
    close(u.T @ u, np.eye(3))
    close(p, p.T)
    assert np.all(np.linalg.eigvalsh(p) > 0)
    u, p = linalg.polar(a.T, side="left")
    close(p @ u, a.T)
    assert p.shape == (3, 3)
    s = spd(well_conditioned(3))
    w, v = np.linalg.eigh(s)
    root = linalg.sqrtm(s)
    assert root.dtype == np.complex128  # always complex, as JAX
    close(root, (v * np.sqrt(w)) @ v.T, rtol=1e-13, atol=1e-13)
    close(linalg.sqrtm(np.array([[4.0, 1.0], [0.0, 9.0]])), [[2.0, 0.2], [0.0, 3.0]])
    x = linalg.sqrtm(np.array([[-4.0, 1.0], [0.0, 9.0]]))  # a complex principal root
    close(x @ x, [[-4.0, 1.0], [0.0, 9.0]])
    a, b = well_conditioned(3), well_conditioned(2)
    q = RNG.standard_normal((3, 2))
    x = linalg.solve_sylvester(a, b, q)
    close(a @ x + x @ b, q, rtol=1e-12, atol=1e-12)
    big = np.kron(a, np.eye(2)) + np.kron(np.eye(3), b.T)  # row-major vec
    close(x, np.linalg.solve(big, q.ravel()).reshape(3, 2))
    ac = well_conditioned(3, complex_=True)
    xc = linalg.solve_sylvester(ac, b, q)
    close(ac @ xc + xc @ b, q, rtol=1e-12, atol=1e-12)


# -- special matrices ----------------------------------------------------------------------------


def test_special_matrices() -> None:
    close(linalg.toeplitz([1, 2, 3], [1, 4, 5, 6]),
          [[1, 4, 5, 6], [2, 1, 4, 5], [3, 2, 1, 4]])
    close(linalg.toeplitz([1.0, 2j]), [[1.0, -2j], [2j, 1.0]])  # r = conj(c)
    assert linalg.toeplitz([1, 2]).dtype == np.int64
    close(linalg.toeplitz(np.array([[1, 2], [3, 4]])), [[[1, 2], [2, 1]], [[3, 4], [4, 3]]])
    close(linalg.hankel([1, 2, 3], [3, 4, 5, 6]), [[1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6]])
    close(linalg.hankel([1, 2, 3]), [[1, 2, 3], [2, 3, 0], [3, 0, 0]])
    close(linalg.circulant([1, 2, 3]), [[1, 3, 2], [2, 1, 3], [3, 2, 1]])
    close(linalg.companion([1, -10, 31, -30]), [[10.0, -31.0, 30.0], [1, 0, 0], [0, 1, 0]])
    close(np.sort(np.linalg.eigvals(linalg.companion([2.0, -6.0, 4.0]))), [1.0, 2.0])
    close(linalg.block_diag([[1, 2]], 3, [[4], [5]]),
          [[1, 2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 4], [0, 0, 0, 5]])
    assert linalg.block_diag().shape == (1, 0)
    assert linalg.block_diag(np.ones(2, np.float32), 1j).dtype == np.complex128
    close(linalg.hilbert(3), 1.0 / (np.arange(3)[:, None] + np.arange(3) + 1))
    close(linalg.pascal(4), [[1, 1, 1, 1], [1, 2, 3, 4], [1, 3, 6, 10], [1, 4, 10, 20]])
    assert linalg.pascal(4).dtype == np.uint64
    assert linalg.pascal(3, exact=False).dtype == np.float64
    close(linalg.pascal(3, "lower"), [[1, 0, 0], [1, 1, 0], [1, 2, 1]])
    close(linalg.pascal(3, "upper"), [[1, 1, 1], [0, 1, 2], [0, 0, 1]])
    close(linalg.pascal(34)[-1, -1], 7219428434016265740)  # C(66, 33), exact in uint64
    assert linalg.toeplitz(np.zeros(0)).shape == (0, 0)


# -- derivatives, jit and vmap -------------------------------------------------------------------

A3 = well_conditioned(3)
B3 = RNG.standard_normal((3, 2))
SPD3 = spd(A3)
A3C = well_conditioned(3, complex_=True)

# (name, function, arguments); each must be differentiable twice at its arguments.
DIFFERENTIABLE: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("solve_triangular", lambda a, b: linalg.solve_triangular(a, b, lower=True), (A3, B3)),
    ("solve_triangular trans unit",
     lambda a, b: linalg.solve_triangular(a, b, trans="T", unit_diagonal=True), (A3, B3)),
    ("solve_triangular complex", lambda a: linalg.solve_triangular(a, B3, trans=2), (A3C,)),
    ("cholesky", lambda a: linalg.cholesky(spd(a)), (A3,)),
    ("cho_solve", lambda a, b: linalg.cho_solve(linalg.cho_factor(spd(a), True), b), (A3, B3)),
    ("lu l", lambda a: linalg.lu(a)[1], (RNG.standard_normal((4, 3)),)),
    ("lu u", lambda a: linalg.lu(a)[2], (RNG.standard_normal((3, 4)),)),
    ("lu complex", lambda a: linalg.lu(a, permute_l=True)[0], (A3C,)),
    ("lu_solve", lambda a, b: linalg.lu_solve(linalg.lu_factor(a), b, trans=2), (A3, B3)),
    ("solve pos", lambda a, b: linalg.solve(a, b, assume_a="pos"), (SPD3, B3)),
    ("solve sym", lambda a, b: linalg.solve(a, b, assume_a="sym", lower=True), (A3, B3)),
    ("inv", linalg.inv, (A3,)),
    ("det", linalg.det, (A3,)),
    ("qr pivoting", lambda a: linalg.qr(a, mode="economic", pivoting=True)[1],
     (RNG.standard_normal((4, 3)),)),
    ("eigh generalized", lambda a, b: linalg.eigh(a + a.T, spd(b), eigvals_only=True),
     (A3, A3.T)),
    ("expm", linalg.expm, (A3,)),
    ("expm squarings", linalg.expm, (4 * A,)),
    ("expm complex", linalg.expm, (C,)),
    ("expm_frechet", lambda a, e: linalg.expm_frechet(a, e, compute_expm=False), (A, A3)),
    ("polar", lambda a: linalg.polar(a)[0], (RNG.standard_normal((4, 3)),)),
    ("sqrtm", lambda a: linalg.sqrtm(spd(a)), (A3,)),
    ("sqrtm at repeated eigenvalues", linalg.sqrtm, (4.0 * np.eye(3),)),
    ("solve_sylvester", linalg.solve_sylvester, (A3, A3.T, B3 @ B3.T)),
    ("toeplitz", lambda c, r: linalg.toeplitz(c, r) ** 2, (np.arange(1.0, 4.0), np.ones(2))),
    ("hankel", lambda c, r: linalg.hankel(c, r) ** 2, (np.arange(1.0, 4.0), np.ones(2))),
    ("circulant", lambda c: linalg.circulant(c) ** 2, (np.arange(1.0, 4.0),)),
    ("companion", linalg.companion, (np.array([2.0, -1.0, 3.0]),)),
    ("block_diag", lambda a, b: linalg.block_diag(a, b) ** 2, (A3, B3)),
]


@pytest.mark.parametrize("fn, args", [pytest.param(f, a, id=n) for n, f, a in DIFFERENTIABLE])
def test_second_derivatives(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("fn, args", [pytest.param(f, a, id=n) for n, f, a in DIFFERENTIABLE])
def test_jit_and_vmap_match_the_plain_call(fn: Callable[..., Any],
                                           args: tuple[Any, ...]) -> None:
    close(ft.jit(fn)(*args), fn(*args), rtol=1e-12, atol=1e-12)
    # a batch of two: the arguments and a perturbation of them (another pivot order for LU)
    other = tuple(np.asarray(x) * (1.0 + 0.3 * np.cos(np.arange(np.size(x)))).reshape(
        np.shape(x)) for x in args)
    stacked = tuple(np.stack([x, y]) for x, y in zip(args, other, strict=True))
    close(ft.vmap(fn)(*stacked), np.stack([fn(*args), fn(*other)]), rtol=1e-11, atol=1e-12)


def test_lu_derivative_through_the_pivots_under_jit() -> None:
    a = RNG.standard_normal((4, 4))
    f = lambda a: fnp.sum(linalg.lu(a)[2] ** 2)  # noqa: E731
    close(ft.jit(ft.grad(f))(a), ft.grad(f)(a), rtol=1e-12)
    close(ft.vmap(ft.grad(f))(np.stack([a, a.T])), np.stack([ft.grad(f)(a), ft.grad(f)(a.T)]),
          rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.booleans(), st.sampled_from([0, 1, 2]), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_solve_triangular_round_trip(n: int, lower: bool, trans: int, unit: bool,
                                     seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n)) + 2 * n * np.eye(n)
    x = rng.standard_normal((n, 2))
    t = np.tril(a) if lower else np.triu(a)
    if unit:
        t = t - np.diag(np.diag(t)) + np.eye(n)
    op = {0: t, 1: t.T, 2: t.conj().T}[trans]
    close(linalg.solve_triangular(a, op @ x, trans=trans, lower=lower, unit_diagonal=unit), x,
          rtol=1e-12, atol=1e-12)


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, match", [
    (lambda: linalg.solve_triangular(np.ones((2, 3)), np.ones(2)), ValueError,
     r"solve_triangular.*square.*\(2, 3\)"),
    (lambda: linalg.solve_triangular(np.eye(2), np.ones(3)), ValueError,
     r"solve_triangular: b of shape \(3,\).*\(2, 2\)"),
    (lambda: linalg.solve_triangular(np.eye(2), np.ones(2), trans=3), ValueError, "trans"),
    (lambda: linalg.cholesky(np.ones(3)), ValueError, r"cholesky.*\(3,\)"),
    (lambda: linalg.cho_solve(np.eye(2), np.ones(2)), TypeError, r"cho_solve.*\(c, lower\)"),
    (lambda: linalg.lu(np.ones(3)), ValueError, r"scipy.linalg.lu: .*\(3,\)"),
    (lambda: linalg.lu_solve((np.eye(2), np.zeros(3, int)), np.ones(2)), ValueError,
     r"lu_solve: piv.*\(\.\.\., 2\)"),
    (lambda: linalg.lu_solve((np.eye(2), np.zeros(2, int)), np.ones(2), trans=3), ValueError,
     "trans"),
    (lambda: linalg.solve(np.eye(2), np.ones(2), assume_a="foo"), ValueError, "structure"),
    (lambda: linalg.solve(np.eye(2), np.ones((3, 1))), ValueError, r"solve: b of shape"),
    (lambda: linalg.eigh(np.eye(2), subset_by_value=(0, 1)), NotImplementedError,
     "subset_by_value"),
    (lambda: linalg.eigh(np.eye(2), subset_by_index=(1, 5)), ValueError, "subset_by_index"),
    (lambda: linalg.eigh(np.eye(2), np.eye(3)), ValueError, "differ"),
    (lambda: linalg.eigh(np.eye(2), type=4), ValueError, "type"),
    (lambda: linalg.svd(np.eye(2), lapack_driver="x"), ValueError, "lapack_driver"),
    (lambda: linalg.qr(np.eye(2), mode="raw"), NotImplementedError, "raw"),
    (lambda: linalg.qr(np.eye(2), mode="x"), ValueError, "mode"),
    (lambda: linalg.expm(np.ones((2, 3))), ValueError, r"expm: .*\(2, 3\)"),
    (lambda: linalg.polar(np.eye(2), side="up"), ValueError, "side"),
    (lambda: linalg.solve_sylvester(np.eye(2), np.eye(3), np.ones((3, 2))), ValueError,
     r"solve_sylvester: q must be \(\.\.\., 2, 3\)"),
    (lambda: linalg.block_diag(np.ones((1, 1, 1))), ValueError, "at most 2 dimensions"),
    (lambda: linalg.companion([1.0]), ValueError, "at least 2"),
    (lambda: linalg.companion([0.0, 1.0]), ValueError, "must not be zero"),
    (lambda: linalg.pascal(3, "x"), ValueError, "kind"),
    (lambda: linalg.pascal(40), ValueError, "n <= 34"),
    (lambda: linalg.toeplitz(np.ones((2, 3)), np.ones((3, 3))), ValueError, "broadcast"),
    (lambda: linalg.solve(np.zeros((2, 2)), np.ones(2)), np.linalg.LinAlgError, "Singular"),
])
def test_errors(call: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()
