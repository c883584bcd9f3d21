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
@pytest.mark.parametrize("n", [1, 2, 7, 12])
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


# -- derivatives, jit and vmap ------------------------------------------------------------------

A3 = _matrix((3, 3), seed=7)
A4C = _matrix((4, 4), np.complex128, seed=8)
TALL = _matrix((4, 3), seed=9)
WIDE = _matrix((3, 4), seed=10)

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
