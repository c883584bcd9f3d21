"""``functrace.lax.linalg`` (``functrace/lax/linalg.py``) against ``jax.lax.linalg``: values
(LAPACK's packed formats bit for bit up to rounding; eigenvectors and singular vectors up to
sign or phase), gradients against JAX's where JAX has them, ``check_grads`` to second order
in both modes everywhere, ``vmap`` and ``jit`` against the eager values, and the errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.lax.linalg as L
import functrace.numpy as fnp
from functrace.testing import check_grads

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy
JL = jax.lax.linalg

rng = np.random.default_rng(0)


def _matrix(shape: tuple[int, ...], dtype: Any = np.float64, seed: int = 0) -> np.ndarray:
    r = np.random.default_rng(seed)
    x = r.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * r.standard_normal(shape)
    return x.astype(dtype)


def _spd(shape: tuple[int, ...], dtype: Any = np.float64, seed: int = 0) -> np.ndarray:
    a = _matrix(shape, dtype, seed)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def _close(ours: Any, theirs: Any, tol: float = 1e-10) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


def _sign_free(x: Any) -> Any:
    """Columns with their phase (sign) removed: each divided by the phase of its largest
    entry, so that LAPACK's arbitrary choice does not matter."""
    x = np.asarray(x)
    top = np.take_along_axis(x, np.argmax(np.abs(x), axis=-2)[..., None, :], axis=-2)
    return x * (np.conj(top) / np.abs(top))


# ---------------------------------------------------------------------------------------------
# Values against jax.lax.linalg, real and complex, single matrices and stacks

DTYPES = [np.float64, np.complex128, np.float32]
BATCHES = [(), (2, 1)]  # a single matrix, and a stack with a length-1 axis


def _tol(dtype: Any) -> float:
    return 2e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-9


# name, function of the module (ours or JAX's) and the arguments, the arguments
VALUE_CASES: list[tuple[str, Callable[..., Any], Callable[..., tuple[Any, ...]]]] = [
    ("cholesky", lambda m, a: m.cholesky(a), lambda s, d: (_spd((*s, 4, 4), d) + 0.3
                                                           * _matrix((*s, 4, 4), d, 1),)),
    ("cholesky unsymmetrized", lambda m, a: m.cholesky(a, symmetrize_input=False),
     lambda s, d: (_spd((*s, 4, 4), d) + np.triu(_matrix((*s, 4, 4), d, 1), 1),)),
    ("eigh values", lambda m, a: m.eigh(a)[1], lambda s, d: (_matrix((*s, 4, 4), d),)),
    ("eigh vectors", lambda m, a: _sign_free(m.eigh(a, symmetrize_input=False, lower=False)[0]),
     lambda s, d: (_matrix((*s, 4, 4), d),)),
    ("eig values", lambda m, a: m.eig(a, compute_left_eigenvectors=False,
                                      compute_right_eigenvectors=False)[0],
     lambda s, d: (_matrix((*s, 4, 4), d),)),
    ("eig vectors", lambda m, a: [_sign_free(v) for v in m.eig(a)[1:]],
     lambda s, d: (_matrix((*s, 4, 4), d),)),
    ("lu", lambda m, a: m.lu(a), lambda s, d: (_matrix((*s, 4, 4), d),)),
    ("lu wide", lambda m, a: m.lu(a), lambda s, d: (_matrix((*s, 3, 5), d),)),
    ("lu tall", lambda m, a: m.lu(a), lambda s, d: (_matrix((*s, 5, 3), d),)),
    ("lu_pivots_to_permutation", lambda m, p: m.lu_pivots_to_permutation(p, 6),
     lambda s, d: (np.random.default_rng(3).integers(0, 6, (*s, 4)).astype(np.int32)
                   + np.arange(4, dtype=np.int32) * 0,)),
    ("qr", lambda m, a: [np.abs(x) for x in m.qr(a)], lambda s, d: (_matrix((*s, 5, 3), d),)),
    ("qr reduced", lambda m, a: [np.abs(x) for x in m.qr(a, full_matrices=False)],
     lambda s, d: (_matrix((*s, 5, 3), d),)),
    ("qr pivoting", lambda m, a: [np.abs(x) for x in m.qr(a, pivoting=True)],
     lambda s, d: (_matrix((*s, 3, 5), d),)),
    ("svd values", lambda m, a: m.svd(a, compute_uv=False), lambda s, d: (_matrix((*s, 5, 3), d),)),
    ("svd", lambda m, a: [np.abs(x) for x in m.svd(a)], lambda s, d: (_matrix((*s, 3, 5), d),)),
    ("svd reduced", lambda m, a: [np.abs(x) for x in m.svd(a, full_matrices=False)],
     lambda s, d: (_matrix((*s, 5, 3), d),)),
    ("tridiagonal", lambda m, a: m.tridiagonal(a), lambda s, d: (_matrix((*s, 5, 5), d),)),
    ("tridiagonal upper", lambda m, a: m.tridiagonal(a, lower=False),
     lambda s, d: (_matrix((*s, 5, 5), d),)),
    ("hessenberg", lambda m, a: m.hessenberg(a), lambda s, d: (_matrix((*s, 5, 5), d),)),
    ("householder_product", lambda m, a, t: m.householder_product(a, t),
     lambda s, d: (_matrix((*s, 5, 3), d), _matrix((*s, 2), d, 1))),
    ("ormqr", lambda m, a, t, c: m.ormqr(a, t, c),
     lambda s, d: (_matrix((*s, 5, 3), d), _matrix((*s, 3), d, 1), _matrix((*s, 5, 2), d, 2))),
    ("ormqr right transposed", lambda m, a, t, c: m.ormqr(a, t, c, left=False, transpose=True),
     lambda s, d: (_matrix((*s, 5, 3), d), _matrix((*s, 2), d, 1), _matrix((*s, 2, 5), d, 2))),
    ("tridiagonal_solve", lambda m, dl, dd, du, b: m.tridiagonal_solve(dl, dd, du, b),
     lambda s, d: (_matrix((*s, 4), d, 1), _matrix((*s, 4), d, 2) + 4, _matrix((*s, 4), d, 3),
                   _matrix((*s, 4, 2), d, 4))),
    ("qdwh", lambda m, a: m.qdwh(a)[:2], lambda s, d: (_matrix((*s, 5, 3), d)
                                                       if not s else _matrix((5, 3), d),)),
]
# JAX's CPU backend takes only real matrices for symmetric_product and cholesky_update.
REAL_CASES: list[tuple[str, Callable[..., Any], Callable[..., tuple[Any, ...]]]] = [
    ("symmetric_product", lambda m, a, c: m.symmetric_product(a, c, alpha=2.0, beta=0.5),
     lambda s, d: (_matrix((*s, 4, 3), d), _matrix((*s, 4, 4), d, 1))),
    ("symmetric_product symmetrized",
     lambda m, a, c: m.symmetric_product(a, c, alpha=-1.0, beta=3.0, symmetrize_output=True),
     lambda s, d: (_matrix((*s, 4, 3), d), _matrix((*s, 4, 4), d, 1))),
    ("cholesky_update", lambda m, r, w: m.cholesky_update(r, w),
     lambda s, d: (np.linalg.cholesky(_spd((4, 4), d)).T, _matrix((4,), d, 1))),
]
TRIANGULAR = [(left, lower, trans, conj, unit) for left in (False, True) for lower in (False, True)
              for trans in (False, True) for conj in (False, True) for unit in (False, True)]


def _flat(x: Any) -> list[np.ndarray]:
    return [np.asarray(y) for y in (x if isinstance(x, (list, tuple)) else [x])]


def _compared(case: Any, dtype: Any) -> bool:
    """Whether JAX's result is a reference for ``case`` in ``dtype``: its CPU backend takes
    only real matrices for the REAL_CASES, and eigenvectors of float32 matrices are too
    ill-conditioned to compare."""
    if np.dtype(dtype).kind == "c" and case in REAL_CASES:
        return False
    return not (case[0].startswith("eig ") and np.dtype(dtype) == np.float32)


@pytest.mark.parametrize("batch", BATCHES, ids=str)
@pytest.mark.parametrize(("case", "dtype"), [
    pytest.param(case, dtype, id=f"{case[0]}-{np.dtype(dtype).name}")
    for case in VALUE_CASES + REAL_CASES for dtype in DTYPES if _compared(case, dtype)])
def test_values_match_jax(case: Any, dtype: Any, batch: tuple[int, ...]) -> None:
    name, fn, make = case
    args = make(batch, dtype)
    ours, theirs = _flat(fn(L, *args)), _flat(fn(JL, *args))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs, strict=True):
        _close(o, t, _tol(dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.complex128], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("opts", TRIANGULAR, ids=str)
def test_triangular_solve_matches_jax(opts: tuple[bool, ...], dtype: Any) -> None:
    left, lower, trans, conj, unit = opts
    a = _matrix((2, 4, 4), dtype) + 4 * np.eye(4)
    b = _matrix((2, 4, 3) if left else (2, 3, 4), dtype, 1)
    kw = dict(left_side=left, lower=lower, transpose_a=trans, conjugate_a=conj,
              unit_diagonal=unit)
    _close(L.triangular_solve(a, b, **kw), JL.triangular_solve(a, b, **kw))
    # the other triangle (and, with unit_diagonal, the diagonal) is not read
    junk = np.triu(np.full((4, 4), np.nan), 1 if unit else 1) if lower else np.tril(
        np.full((4, 4), np.nan), -1)
    if unit:
        junk = junk + np.diag(np.full(4, np.nan))
    assert np.all(np.isfinite(L.triangular_solve(np.where(np.isnan(junk), np.nan, a), b, **kw)))


def test_eigenvector_identities() -> None:
    a = _matrix((3, 4, 4), np.complex128)
    w, vl, vr = L.eig(a)
    np.testing.assert_allclose(a @ vr, vr * w[..., None, :], atol=1e-12)
    vl_h = np.conj(np.swapaxes(vl, -1, -2))
    np.testing.assert_allclose(vl_h @ a, w[..., :, None] * vl_h, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(vl, axis=-2), 1.0)
    h = _matrix((4, 4)) + _matrix((4, 4)).T
    v, w = L.eigh(h, subset_by_index=(1, 3))
    assert v.shape == (4, 2) and w.shape == (2,)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(h)[1:3])
    u, s, vh = L.svd(_matrix((5, 3)), full_matrices=False, subset_by_index=(0, 2))
    assert u.shape == (5, 2) and s.shape == (2,) and vh.shape == (2, 3)


def test_reflector_formats_reconstruct() -> None:
    """tridiagonal and hessenberg's reflectors, through householder_product, give q with
    q^H a q equal to the reduced matrix."""
    for dtype in (np.float64, np.complex128):
        a = _matrix((5, 5), dtype)
        h = np.tril(a) + np.conj(np.tril(a, -1)).T
        h = h - 1j * np.diag(np.diag(h).imag) if np.dtype(dtype).kind == "c" else h
        arr, d, e, taus = L.tridiagonal(a)
        q = L.householder_product(np.concatenate([arr[1:], np.zeros((1, 5))])[:, :4], taus)
        q = np.block([[np.ones((1, 1)), np.zeros((1, 4))], [np.zeros((4, 1)), q[:4]]])
        t = np.diag(d) + np.diag(e, -1) + np.diag(e, 1)
        np.testing.assert_allclose(np.conj(q).T @ h @ q, t, atol=1e-12)
        arr, taus = L.hessenberg(a)
        sub = L.householder_product(arr[1:, :4], taus)
        q = np.block([[np.ones((1, 1)), np.zeros((1, 4))], [np.zeros((4, 1)), sub]])
        np.testing.assert_allclose(np.conj(q).T @ a @ q, np.triu(arr, -1), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Derivatives: against JAX's where JAX defines them, check_grads everywhere

A = _matrix((4, 4), seed=5)
SPD = _spd((4, 4), seed=6)
B = _matrix((4, 3), seed=7)
W = rng.standard_normal((4, 4))  # weights: a scalar function of every output


# name, function of the module and one matrix, the point
GRAD_VS_JAX: list[tuple[str, Callable[..., Any], np.ndarray]] = [
    ("cholesky", lambda m, a: m.cholesky(a), SPD),
    ("eigh values", lambda m, a: m.eigh(a)[1], A),
    ("eigh projector", lambda m, a: m.eigh(a)[0][:, :2] @ m.eigh(a)[0][:, :2].T, A),
    ("eig values", lambda m, a: m.eig(a, compute_left_eigenvectors=False,
                                      compute_right_eigenvectors=False)[0].real, A),
    ("lu", lambda m, a: m.lu(a)[0], A),
    ("qr reduced", lambda m, a: m.qr(a[:, :3], full_matrices=False)[0][:, :3] ** 2, A),
    ("qr pivoting r", lambda m, a: m.qr(a, pivoting=True)[1] ** 2, A),
    ("svd values", lambda m, a: m.svd(a, compute_uv=False), A),
    ("svd u vh", lambda m, a: (lambda u, s, vh: u @ vh)(*m.svd(a)), A),
    ("triangular_solve a", lambda m, a: m.triangular_solve(a + 4 * np.eye(4), B.T, lower=True),
     A),
    ("triangular_solve b", lambda m, b: m.triangular_solve(A + 4 * np.eye(4), b, left_side=True,
                                                           transpose_a=True), B),
    ("tridiagonal_solve", lambda m, a: m.tridiagonal_solve(a[0], a[1] + 4, a[2], a[:, :2]), A),
]


def _scalar(m: Any, fn: Callable[..., Any], np_mod: Any) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        out = fn(m, x)
        w = W[tuple(slice(0, n) for n in np.shape(out))]
        return np_mod.sum(out * w)

    return f


@pytest.mark.parametrize("case", GRAD_VS_JAX, ids=lambda c: c[0])
def test_gradients_match_jax(case: Any) -> None:
    name, fn, x = case
    ours = ft.grad(_scalar(L, fn, fnp))(x)
    theirs = jax.grad(_scalar(JL, fn, jnp))(x)
    _close(ours, theirs, 1e-8)


def test_qdwh_forward_derivative_matches_jax() -> None:
    x = _matrix((5, 3), seed=8)
    t = _matrix((5, 3), seed=9)
    _, ours = ft.jvp(lambda x: L.qdwh(x)[:2], (x,), (t,))
    _, theirs = jax.jvp(lambda x: JL.qdwh(x)[:2], (x,), (t,))
    for o, th in zip(ours, theirs, strict=True):
        _close(o, th, 1e-7)


# name, function of the module and its arguments, the point
CHECK_GRADS: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("cholesky", lambda a: L.cholesky(a), (SPD,)),
    ("eigh", lambda a: L.eigh(a)[1], (A,)),
    ("eig", lambda a: L.eig(a)[1].real ** 2 + L.eig(a)[2].imag ** 2, (A,)),
    ("lu", lambda a: L.lu(a)[0], (A,)),
    ("qr pivoting", lambda a: L.qr(a, pivoting=True, full_matrices=False)[1], (A,)),
    ("svd", lambda a: L.svd(a, compute_uv=False), (A[:, :3],)),
    ("triangular_solve", lambda a, b: L.triangular_solve(a + 4 * np.eye(4), b, lower=True),
     (A, B.T)),
    ("tridiagonal_solve", lambda dl, d, du, b: L.tridiagonal_solve(dl, d + 4, du, b),
     (A[0], A[1], A[2], B)),
    ("tridiagonal", lambda a: L.tridiagonal(a)[0] + L.tridiagonal(a, lower=False)[0], (A,)),
    ("hessenberg", lambda a: L.hessenberg(a)[0], (A,)),
    ("householder_product", lambda a, t: L.householder_product(a, t), (B, A[0, :2])),
    ("ormqr", lambda a, t, c: L.ormqr(a, t, c, transpose=True), (B, A[0, :2], A)),
    ("cholesky_update", lambda r, w: L.cholesky_update(r, w),
     (np.linalg.cholesky(SPD).T, A[0])),
    ("symmetric_product", lambda a, c: L.symmetric_product(a, c, alpha=2.0, beta=0.5,
                                                           symmetrize_output=True), (B, A)),
    ("qdwh", lambda a: L.qdwh(a)[:2], (B,)),
]


@pytest.mark.parametrize("case", CHECK_GRADS, ids=lambda c: c[0])
def test_check_grads(case: Any) -> None:
    _, fn, args = case
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


# ---------------------------------------------------------------------------------------------
# vmap and jit against the eager values

TRANSFORMED: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("cholesky", lambda a: L.cholesky(a), (_spd((3, 4, 4)),)),
    ("eigh", lambda a: L.eigh(a, subset_by_index=(0, 2))[1], (_matrix((3, 4, 4)),)),
    ("eig", lambda a: L.eig(a)[0], (_matrix((3, 4, 4)),)),
    ("lu", lambda a: L.lu(a), (_matrix((3, 4, 5)),)),
    ("lu_pivots_to_permutation", lambda p: L.lu_pivots_to_permutation(p, 5),
     (np.array([[2, 2, 3], [1, 4, 4], [0, 1, 2]], np.int32),)),
    ("qr", lambda a: L.qr(a, pivoting=True), (_matrix((3, 4, 5)),)),
    ("svd", lambda a: L.svd(a, compute_uv=False), (_matrix((3, 4, 5)),)),
    ("triangular_solve", lambda a, b: L.triangular_solve(a, b), (_matrix((3, 4, 4)) + 4 * np.eye(4),
                                                                 _matrix((3, 2, 4), seed=1))),
    ("tridiagonal_solve", lambda dl, d, du, b: L.tridiagonal_solve(dl, d, du, b),
     (_matrix((3, 4)), _matrix((3, 4), seed=1) + 4, _matrix((3, 4), seed=2),
      _matrix((3, 4, 2), seed=3))),
    ("tridiagonal", lambda a: L.tridiagonal(a, lower=False), (_matrix((3, 4, 4)),)),
    ("hessenberg", lambda a: L.hessenberg(a), (_matrix((3, 4, 4), np.complex128),)),
    ("householder_product", lambda a, t: L.householder_product(a, t),
     (_matrix((3, 4, 3)), _matrix((3, 3), seed=1))),
    ("cholesky_update", lambda r, w: L.cholesky_update(r, w),
     (np.linalg.cholesky(_spd((3, 4, 4))).transpose(0, 2, 1), _matrix((3, 4), seed=1))),
    ("symmetric_product", lambda a, c: L.symmetric_product(a, c, beta=1.0),
     (_matrix((3, 4, 2)), _matrix((3, 4, 4), seed=1))),
    ("qdwh", lambda a: L.qdwh(a)[:2], (_matrix((3, 4, 3)),)),
]


@pytest.mark.parametrize("case", TRANSFORMED, ids=lambda c: c[0])
def test_vmap_and_jit(case: Any) -> None:
    _, fn, args = case
    eager = _flat(fn(*args))
    per_example = [_flat(fn(*[x[i] for x in args])) for i in range(3)]
    for k, value in enumerate(eager):
        np.testing.assert_allclose(value, np.stack([p[k] for p in per_example]), atol=1e-12)
    for transformed in (ft.vmap(fn), ft.jit(fn), ft.jit(ft.vmap(fn))):
        for o, e in zip(_flat(transformed(*args)), eager, strict=True):
            assert np.asarray(o).dtype == e.dtype
            np.testing.assert_allclose(o, e, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Errors, and the module's shape


ERRORS: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: L.cholesky(np.ones((2, 3))), ValueError, "square matrices"),
    (lambda: L.eigh(np.ones(3)), ValueError, "square matrices"),
    (lambda: L.eigh(np.eye(3), subset_by_index=(2, 1)), ValueError, "start < end"),
    (lambda: L.svd(np.eye(3), subset_by_index=(0, 1)), ValueError, "full_matrices"),
    (lambda: L.triangular_solve(np.eye(3), np.ones((2, 3)), left_side=True), ValueError,
     "left_side=True"),
    (lambda: L.triangular_solve(np.eye(3)[None].repeat(2, 0), np.ones((3, 3))), ValueError,
     "leading axes"),
    (lambda: L.tridiagonal_solve(np.ones(3), np.ones(3), np.ones(2), np.ones((3, 1))),
     ValueError, "tridiagonal_solve"),
    (lambda: L.householder_product(np.ones((3, 2)), np.ones(3)), ValueError, "m >= n >= k"),
    (lambda: L.ormqr(np.ones((4, 2)), np.ones(2), np.ones((3, 3))), ValueError, "k <= min"),
    (lambda: L.lu_pivots_to_permutation(np.array([0, 1, 2]), 2), ValueError, "do not fit"),
    (lambda: L.lu_pivots_to_permutation(np.array([0.0]), 2), TypeError, "integer"),
    (lambda: L.qdwh(np.ones((2, 3))), ValueError, "m >= n"),
    (lambda: L.cholesky_update(np.eye(3), np.ones(2)), ValueError, "w_vector"),
    (lambda: L.symmetric_product(np.ones((3, 2)), np.ones((2, 2))), ValueError, "c_matrix"),
    (lambda: L.hessenberg(np.ones((2, 2), np.float16)), ValueError, "float16"),
]


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: c[2])
def test_errors(case: Any) -> None:
    call, error, match = case
    with pytest.raises(error, match=match):
        call()


def test_module_names_match_jax() -> None:
    import functrace.lax

    assert functrace.lax.linalg is L
    theirs = {n for n in dir(JL) if not n.startswith("_") and not n.endswith("_p")}
    assert theirs <= set(L.__all__), theirs - set(L.__all__)
    for name in L.__all__:
        assert hasattr(L, name)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128], ids=lambda d: np.dtype(d).name)
def test_schur_as_jax(dtype: Any) -> None:
    # JAX's output: [t, vs] (real Schur form for real input), [t] without the vectors; the
    # eigenvalue order along t's diagonal may differ from LAPACK's, so compare invariants.
    x = _matrix((2, 5, 5), dtype)
    t, vs = L.schur(x)
    assert t.dtype == vs.dtype == np.dtype(dtype)
    _close(vs @ t @ np.conj(np.swapaxes(vs, -1, -2)), x, 1e-12)
    _close(np.conj(np.swapaxes(vs, -1, -2)) @ vs, np.broadcast_to(np.eye(5, dtype=dtype), x.shape),
           1e-12)
    below = np.tril(t, -1 if np.dtype(dtype).kind == "c" else -2)
    assert not below.any()
    tj = JL.schur(x[0])[0]
    _close(np.sort_complex(np.linalg.eigvals(t[0])).astype(complex),
           np.sort_complex(np.linalg.eigvals(np.asarray(tj))).astype(complex), 1e-10)
    (t_only,) = L.schur(x, compute_schur_vectors=False)
    _close(t_only, t, 0.0)
    _close(ft.jit(lambda a: L.schur(a)[0])(x), t, 1e-12)
    with pytest.raises(NotImplementedError, match="sort_eig_vals"):
        L.schur(x, sort_eig_vals=True)
