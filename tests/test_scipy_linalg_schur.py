"""``functrace.scipy.linalg``'s Hessenberg and Schur family: ``hessenberg``, ``qr_multiply``,
``eigh_tridiagonal``, ``schur``, ``rsf2csf`` and ``funm``.

Values against JAX 0.10 (``jax.scipy.linalg``, the oracle for signatures, formats and errors)
and SciPy (the reference for values where the result is unique), invariants where it is not
(a Schur form's eigenvalue order and the phases of its vectors), derivatives by
``check_grads`` where functrace has them, ``jit`` and ``vmap`` against the plain call, and the
errors.  JAX and SciPy are test-only dependencies: the module is skipped without them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace.scipy import linalg
from functrace.testing import check_grads

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy
jsl = jax.scipy.linalg
scipy_linalg = pytest.importorskip("scipy.linalg")


def _matrix(shape: tuple[int, ...], dtype: Any = np.float64, seed: int = 0) -> np.ndarray:
    r = np.random.default_rng(seed)
    x = r.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * r.standard_normal(shape)
    return x.astype(dtype)


def _close(ours: Any, theirs: Any, tol: float = 1e-10) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


def _tol(dtype: Any) -> float:
    return 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10


def _mH(x: Any) -> Any:
    return np.conj(np.swapaxes(x, -1, -2))


DTYPES = [np.float64, np.complex128, np.float32]
BATCHES = [(), (2,), (2, 1)]


# -- hessenberg ---------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", BATCHES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 2, 5])
def test_hessenberg_against_jax(n: int, dtype: Any, batch: tuple[int, ...]) -> None:
    a = _matrix((*batch, n, n), dtype, seed=n)
    h, q = linalg.hessenberg(a, calc_q=True)
    jh, jq = jsl.hessenberg(jnp.asarray(a), calc_q=True)
    tol = _tol(dtype)
    _close(h, jh, tol)
    _close(q, jq, tol)
    _close(linalg.hessenberg(a), jh, tol)
    assert np.all(np.tril(h, -2) == 0)
    np.testing.assert_allclose(q @ h @ _mH(q), a, atol=10 * tol)
    # SciPy's (LAPACK's) too, sign for sign; SciPy returns a matrix of size <= 2 unchanged
    # (JAX and functrace apply the one reflector, which makes h[1, 0] real)
    if not batch and dtype != np.float32 and n > 2:
        sh, sq = scipy_linalg.hessenberg(a, calc_q=True)
        _close(h, sh.astype(dtype), tol)
        _close(q, sq.astype(dtype), tol)


def test_hessenberg_edges() -> None:
    h, q = linalg.hessenberg(np.zeros((0, 0)), calc_q=True)
    assert h.shape == q.shape == (0, 0)
    _close(linalg.hessenberg(np.array([[1, 2], [3, 4]])), np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert linalg.hessenberg(np.eye(3, dtype=np.float32)).dtype == np.float32


# -- qr_multiply --------------------------------------------------------------------------------


QR_SHAPES = [(4, 3), (3, 4), (3, 3)]


@pytest.mark.parametrize("pivoting", [False, True])
@pytest.mark.parametrize("conjugate", [False, True])
@pytest.mark.parametrize("mode", ["left", "right"])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("shape", QR_SHAPES)
def test_qr_multiply_against_jax(shape: tuple[int, int], dtype: Any, mode: str,
                                 conjugate: bool, pivoting: bool) -> None:
    m, n = shape
    k = min(m, n)
    a = _matrix((2, m, n), dtype, seed=1)
    for c_shape in ([(2, k, 3), (k,)] if mode == "left" else [(2, 3, m), (m,)]):
        c = _matrix(c_shape, dtype, seed=2)
        ours = linalg.qr_multiply(a, c, mode=mode, conjugate=conjugate, pivoting=pivoting)
        theirs = jsl.qr_multiply(jnp.asarray(a), jnp.asarray(c), mode=mode,
                                 conjugate=conjugate, pivoting=pivoting)
        assert len(ours) == len(theirs) == (3 if pivoting else 2)
        for x, y in zip(ours, theirs, strict=True):
            _close(x, y)
    # SciPy (one matrix): the same numbers
    c = _matrix((k, 2) if mode == "left" else (2, m), dtype, seed=3)
    ours = linalg.qr_multiply(a[0], c, mode=mode, conjugate=conjugate, pivoting=pivoting)
    theirs = scipy_linalg.qr_multiply(a[0], c, mode=mode, conjugate=conjugate,
                                      pivoting=pivoting)
    _close(ours[0], theirs[0])
    _close(ours[1], theirs[1])


def test_qr_multiply_solves_least_squares_and_broadcasts() -> None:
    a = np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 4.0]])
    b = np.array([2.0, 4.0, 5.0, 4.0])
    qtb, r = linalg.qr_multiply(a, b)
    _close(linalg.solve_triangular(r, qtb), np.linalg.lstsq(a, b, rcond=None)[0])
    out, r = linalg.qr_multiply(_matrix((3, 4, 2)), np.ones((5, 1, 2, 2)), mode="left")
    assert out.shape == (5, 3, 4, 2) and r.shape == (5, 3, 2, 2)  # a broadcast too, as JAX
    out, _ = linalg.qr_multiply(np.eye(2, dtype=int), np.ones(2, dtype=int))
    assert out.dtype == np.float64



# -- eigh_tridiagonal ---------------------------------------------------------------------------


def _fixed_signs(v: Any) -> Any:
    """Eigenvectors with each column's first entry made real and positive (nonzero for an
    unreduced tridiagonal matrix); the factor's derivative is zero."""
    first = v[..., :1, :]
    return v * (np.conj(first) / np.abs(first))


@pytest.mark.parametrize("select", ["a", "i"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 7])
def test_eigh_tridiagonal_against_jax(n: int, dtype: Any, select: str) -> None:
    d = _matrix((n,), dtype, seed=n)
    e = _matrix((n - 1,), dtype, seed=n + 1)
    select_range = (0, 0) if n == 1 else (1, n - 1)
    kw: dict[str, Any] = {"select": select, "select_range": select_range}
    tol = _tol(dtype)
    w = linalg.eigh_tridiagonal(d, e, eigvals_only=True, **kw)
    jw = jsl.eigh_tridiagonal(jnp.asarray(d), jnp.asarray(e), eigvals_only=True, **kw)
    _close(w, jw, tol)
    w, v = linalg.eigh_tridiagonal(d, e, **kw)
    jw, jv = jsl.eigh_tridiagonal(jnp.asarray(d), jnp.asarray(e), **kw)
    _close(w, jw, tol)
    assert v.shape == jv.shape and v.dtype == jv.dtype
    _close(_fixed_signs(v), _fixed_signs(np.asarray(jv)), 10 * tol)
    t = np.diag(d.real).astype(dtype) + np.diag(e, 1) + np.diag(np.conj(e), -1)
    np.testing.assert_allclose(t @ v, v * w, atol=10 * tol * max(1, np.abs(w).max()))
    if dtype == np.float64 and n > 1:
        sw, sv = scipy_linalg.eigh_tridiagonal(d, e, select=select, select_range=select_range)
        _close(w, sw)
        _close(_fixed_signs(v), _fixed_signs(sv), 1e-9)


def test_eigh_tridiagonal_edges() -> None:
    w, v = linalg.eigh_tridiagonal(np.zeros(0), np.zeros(0))
    assert w.shape == (0,) and v.shape == (0, 0)
    _close(linalg.eigh_tridiagonal(np.array([2, 2]), np.array([1]), eigvals_only=True),
           np.array([1.0, 3.0]))
    # vmap over the diagonals (JAX's function takes one matrix too)
    ds = _matrix((3, 5))
    e = _matrix((4,), seed=1)
    got = ft.vmap(lambda d: linalg.eigh_tridiagonal(d, e, eigvals_only=True))(ds)
    _close(got, np.stack([linalg.eigh_tridiagonal(d, e, eigvals_only=True) for d in ds]))



# -- schur and rsf2csf --------------------------------------------------------------------------


def _schur_matrix(kind: str, n: int, seed: int) -> np.ndarray:
    r = np.random.default_rng(seed)
    a = r.standard_normal((n, n))
    if kind == "symmetric":
        return a + a.T
    if kind == "diagonal":
        return np.diag(r.standard_normal(n))
    if kind == "defective":  # a Jordan block, slightly perturbed
        return 2 * np.eye(n) + np.eye(n, k=1) + 1e-8 * a
    if kind == "rotation":  # only complex pairs
        return np.kron(np.eye(n // 2 + 1), np.array([[0.0, 1.0], [-1.0, 0.0]]))[:n, :n]
    if kind == "complex":
        return a + 1j * r.standard_normal((n, n))
    return a


def _check_schur(a: np.ndarray, t: np.ndarray, z: np.ndarray, real: bool,
                 tol: float = 1e-12, defective: bool = False) -> None:
    n = a.shape[-1]
    scale = max(np.abs(a).max(), 1.0)
    assert t.dtype == z.dtype
    np.testing.assert_allclose(_mH(z) @ z, np.eye(n), atol=tol)
    np.testing.assert_allclose(z @ t @ _mH(z), a, atol=tol * scale)
    eigenvalues: list[Any] = []
    if not real:
        assert np.all(np.tril(t, -1) == 0)
        eigenvalues = list(np.diag(t))
    else:
        assert np.all(np.tril(t, -2) == 0)
        i = 0
        while i < n:
            if i + 1 < n and t[i + 1, i] != 0:  # a 2x2 block in standard form
                block = t[i:i + 2, i:i + 2]
                assert block[0, 0] == block[1, 1] and block[0, 1] * block[1, 0] < 0
                assert i + 2 >= n or t[i + 2, i + 1] == 0  # blocks do not overlap
                eigenvalues += list(np.linalg.eigvals(block))
                i += 2
            else:
                eigenvalues.append(t[i, i])
                i += 1
    if defective:  # only their sum (the trace) is well conditioned
        np.testing.assert_allclose(np.sum(eigenvalues), np.trace(a), atol=1e-10 * n)
        return
    # each of NumPy's eigenvalues matched to the nearest remaining one of t's
    remaining = list(np.asarray(eigenvalues, complex))
    for e in np.linalg.eigvals(a):
        nearest = int(np.argmin(np.abs(np.asarray(remaining) - e)))
        assert abs(remaining.pop(nearest) - e) <= max(1e-10, 10 * tol) * scale, e


KINDS = ["random", "symmetric", "diagonal", "defective", "rotation", "complex"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 2, 3, 6, 13, 30])
def test_schur_invariants(n: int, kind: str) -> None:
    a = _schur_matrix(kind, n, seed=n)
    t, z = linalg.schur(a)
    defective = kind == "defective" and n > 1
    _check_schur(a, t, z, real=kind != "complex", defective=defective)
    tc, zc = linalg.schur(a, output="complex")
    assert tc.dtype == np.complex128
    _check_schur(a, tc, zc, real=False, defective=defective)
    if kind != "complex":
        tr, zr = linalg.rsf2csf(t, z)  # the complex form from the real one
        _check_schur(a, tr, zr, real=False, defective=defective)
        # rsf2csf is SciPy's and JAX's to rounding (the same rotations)
        st, sz = scipy_linalg.rsf2csf(t, z)
        _close(tr, st.astype(complex), 1e-12)
        _close(zr, sz.astype(complex), 1e-12)
        if n <= 6:  # (JAX compiles a loop unrolled over n)
            jt, jz = jsl.rsf2csf(jnp.asarray(t), jnp.asarray(z))
            _close(tr, jt, 1e-12)
            _close(zr, jz, 1e-12)
    # Where the form is unique (real eigenvalues in the same order), SciPy's t has the same
    # diagonal; compare the invariants in general: the eigenvalues and |t|'s Frobenius norm.
    st, _ = scipy_linalg.schur(a)
    np.testing.assert_allclose(np.linalg.norm(t), np.linalg.norm(st), rtol=1e-10)


def test_schur_dtypes_batches_jit_vmap_and_jax() -> None:
    a = _matrix((2, 3, 5, 5), seed=3)
    t, z = linalg.schur(a)
    for index in np.ndindex(2, 3):
        _check_schur(a[index], t[index], z[index], real=True)
    t32, z32 = linalg.schur(a.astype(np.float32))
    assert t32.dtype == z32.dtype == np.float32
    _check_schur(a[0, 0], t32[0, 0], z32[0, 0], real=True, tol=1e-5)
    tc, _ = linalg.schur(a.astype(np.float32), output="complex")
    assert tc.dtype == np.complex64
    assert linalg.schur(np.array([[1, 2], [3, 4]]))[0].dtype == np.float64
    jt, jz = ft.jit(linalg.schur)(a)
    _close(jt, t, 0)
    vt, vz = ft.vmap(ft.vmap(linalg.schur))(a)
    _close(vt, t, 0)
    # JAX's (LAPACK's) form of a symmetric matrix: the same eigenvalues on the diagonal, in
    # an order that may differ (here it does)
    b = np.array([[1.0, 2.0, 3.0], [1.0, 4.0, 2.0], [3.0, 2.0, 1.0]])
    jt, _ = jsl.schur(jnp.asarray(b))
    t, _ = linalg.schur(b)
    _close(np.sort(np.diag(t)), np.sort(np.diag(np.asarray(jt))), 1e-12)
    assert "schur" in str(ft.make_jaxpr(linalg.schur)(b))


def test_schur_has_no_derivative_as_in_jax() -> None:
    a = _matrix((3, 3))
    with pytest.raises(NotImplementedError, match="schur"):
        ft.grad(lambda a: linalg.schur(a)[0].sum())(a)
    with pytest.raises(NotImplementedError, match="schur"):
        ft.jvp(lambda a: linalg.schur(a)[0], (a,), (a,))
    with pytest.raises(NotImplementedError, match="schur"):
        ft.grad(lambda a: fnp.real(linalg.funm(a, fnp.exp)).sum())(a)


def test_schur_of_non_finite_input_is_nan() -> None:
    t, z = linalg.schur(np.array([[1.0, np.nan], [0.0, 1.0]]))
    assert np.all(np.isnan(t)) and np.all(np.isnan(z))


# -- funm ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["random", "symmetric", "complex", "rotation"])
@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_funm_against_scipy_and_jax(n: int, kind: str) -> None:
    a = _schur_matrix(kind, n, seed=n + 20)
    for ours, theirs in [(fnp.exp, np.exp), (fnp.sin, np.sin), (lambda x: x * x + 1, None)]:
        f = linalg.funm(a, ours)
        assert f.dtype == np.complex128
        expected = scipy_linalg.funm(a, theirs) if theirs is not None else a @ a + np.eye(n)
        np.testing.assert_allclose(f, expected, atol=1e-11 * max(1, np.abs(expected).max()))
        if theirs is not None:
            np.testing.assert_allclose(f, jsl.funm(jnp.asarray(a), getattr(jnp, theirs.__name__)),
                                       atol=1e-11 * max(1, np.abs(expected).max()))
    np.testing.assert_allclose(linalg.funm(a, fnp.exp), scipy_linalg.expm(a), atol=1e-11 * max(
        1, np.abs(scipy_linalg.expm(a)).max()))
    f, err = linalg.funm(a, fnp.exp, disp=False)
    _, jerr = jsl.funm(jnp.asarray(a), jnp.exp, disp=False)
    assert 0 < float(err) <= 1 and np.isclose(float(err), float(jerr), rtol=0.5)


def test_funm_jit_vmap_and_float32() -> None:
    a = _matrix((2, 4, 4), seed=5)
    expected = np.stack([linalg.funm(m, fnp.exp) for m in a])
    _close(ft.vmap(lambda m: linalg.funm(m, fnp.exp))(a), expected, 1e-12)
    _close(ft.jit(lambda m: linalg.funm(m, fnp.exp))(a[0]), expected[0], 1e-12)
    f32 = linalg.funm(a[0].astype(np.float32), fnp.exp)
    assert f32.dtype == np.complex64
    np.testing.assert_allclose(f32, expected[0], atol=1e-4)


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, match", [
    (lambda: linalg.hessenberg(np.ones((2, 3))), ValueError, "square"),
    (lambda: linalg.qr_multiply(np.ones((3, 2)), np.ones((3, 3)), mode="left"), ValueError,
     "2 columns"),
    (lambda: linalg.qr_multiply(np.ones((3, 2)), np.ones((2, 2))), ValueError, "3 rows"),
    (lambda: linalg.qr_multiply(np.ones((3, 2)), np.ones(3), mode="middle"), ValueError,
     "mode"),
    (lambda: linalg.qr_multiply(np.ones(3), np.ones(3)), ValueError, "matrix"),
    (lambda: linalg.eigh_tridiagonal(np.ones(3), np.ones(2), select="v",
                                     select_range=(0, 1)), NotImplementedError, "select='v'"),
    (lambda: linalg.eigh_tridiagonal(np.ones(3), np.ones(2), select="x"), ValueError,
     "select"),
    (lambda: linalg.eigh_tridiagonal(np.ones(3), np.ones(2), select="i"), ValueError,
     "select_range"),
    (lambda: linalg.eigh_tridiagonal(np.ones(3), np.ones(2), select="i",
                                     select_range=(2, 1)), ValueError, "empty"),
    (lambda: linalg.eigh_tridiagonal(np.ones(3), np.ones(2), select="i",
                                     select_range=(0, 3)), ValueError, "0 <= lo <= hi < 3"),
    (lambda: linalg.eigh_tridiagonal(np.ones(3), np.ones(3)), ValueError, r"\(n - 1,\)"),
    (lambda: linalg.eigh_tridiagonal(np.ones((2, 3)), np.ones((2, 2))), ValueError, "shape"),
    (lambda: linalg.schur(np.ones((2, 3))), ValueError, "square"),
    (lambda: linalg.schur(np.eye(2), output="imaginary"), ValueError, "output"),
    (lambda: linalg.schur(np.eye(2, dtype=np.float16))[0].dtype == np.float32 or 1 / 0,
     None, ""),
    (lambda: linalg.rsf2csf(np.ones((2, 3)), np.eye(2)), ValueError, "T must be a square"),
    (lambda: linalg.rsf2csf(np.eye(2), np.ones(2)), ValueError, "Z must be a square"),
    (lambda: linalg.rsf2csf(np.eye(2), np.eye(3)), ValueError, "differ in size"),
    (lambda: linalg.funm(np.ones((2, 2, 2)), fnp.exp), ValueError, "square matrix"),
])
def test_errors(call: Callable[[], Any], error: type[Exception] | None, match: str) -> None:
    if error is None:
        assert call()
        return
    with pytest.raises(error, match=match):
        call()


# -- derivatives, jit and vmap ------------------------------------------------------------------

A3 = _matrix((3, 3), seed=7)
A4C = _matrix((4, 4), np.complex128, seed=8)
TALL = _matrix((4, 3), seed=9)
WIDE = _matrix((3, 4), seed=10)

T5, Z5 = (np.asarray(x) for x in linalg.schur(_matrix((5, 5), seed=17)))

# functions of the factors that do not depend on LAPACK's sign choices are not needed here:
# hessenberg's and qr's signs are fixed by the algorithm (smooth near these matrices).
DIFFERENTIABLE: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("hessenberg", lambda a: linalg.hessenberg(a), (A3,)),
    ("hessenberg calc_q", lambda a: linalg.hessenberg(a, calc_q=True), (A3,)),
    ("hessenberg complex", lambda a: linalg.hessenberg(a, calc_q=True), (A4C,)),
    ("qr_multiply right", lambda a, c: linalg.qr_multiply(a, c), (TALL, _matrix((2, 4)))),
    ("qr_multiply left", lambda a, c: linalg.qr_multiply(a, c, mode="left"),
     (WIDE, _matrix((3, 2)))),
    ("eigh_tridiagonal eigenvalues",
     lambda d, e: linalg.eigh_tridiagonal(d, e, eigvals_only=True, select="i",
                                          select_range=(1, 3)),
     (_matrix((5,), seed=11), _matrix((4,), seed=12))),
    ("eigh_tridiagonal eigenvectors",
     lambda d, e: _fixed_signs(linalg.eigh_tridiagonal(d, e)[1]),
     (_matrix((4,), seed=13), _matrix((3,), seed=14))),
    ("eigh_tridiagonal complex",
     lambda d, e: linalg.eigh_tridiagonal(d, e, eigvals_only=True),
     (_matrix((4,), np.complex128, seed=15), _matrix((3,), np.complex128, seed=16))),
    # rsf2csf is smooth in the entries of the real Schur form that are not zero (a zero
    # sub-diagonal entry that moves would start a rotation): those are perturbed
    ("rsf2csf", lambda t, z: linalg.rsf2csf(T5 + (T5 != 0) * t, z), (np.zeros((5, 5)), Z5)),
    ("qr_multiply pivoting", lambda a, c: linalg.qr_multiply(a, c, pivoting=True)[:2],
     (TALL, _matrix((4,)))),
]


@pytest.mark.parametrize("fn, args", [pytest.param(f, a, id=n) for n, f, a in DIFFERENTIABLE])
def test_second_derivatives(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("fn, args", [pytest.param(f, a, id=n) for n, f, a in DIFFERENTIABLE])
def test_jit_and_vmap_match_the_plain_call(fn: Callable[..., Any],
                                           args: tuple[Any, ...]) -> None:
    expected = fn(*args)
    for x, y in zip(ft.tree_util.tree_leaves(ft.jit(fn)(*args)),
                    ft.tree_util.tree_leaves(expected), strict=True):
        _close(x, y, 1e-12)
    stacked = [np.stack([a, 1.5 * a]) for a in args]
    batched = ft.vmap(fn)(*stacked)
    for i, scale in enumerate([1.0, 1.5]):
        one = fn(*[scale * a for a in args])
        for x, y in zip(ft.tree_util.tree_leaves(batched), ft.tree_util.tree_leaves(one),
                        strict=True):
            _close(np.asarray(x)[i], y, 1e-12)
