"""Rows of the primitive table (same format as ``tests/cases.py``) for the matrix
decompositions: cholesky, eigh, svd, qr, lu, qr_pivots and pinv (the primitives
of ``functrace.primitives.decompositions``), each at the binder level and through the
``functrace.numpy.linalg`` functions built on them (eigvalsh, svdvals, matrix_rank, cond,
lstsq, the spectral and nuclear norms), and matrix_power and multi_dot.

Keeping the functions smooth.  The vmap checks build batches by permuting a sample's values,
so a domain restriction such as "symmetric positive definite" cannot live in ``make``: the
rows' functions build it from any matrix instead, the same way in ``fn`` and ``ref``:

* :func:`spd`: ``a a^T + I`` is symmetric positive definite for every ``a``;
* :func:`ladder`: entries in [-0.5, 0.5] plus ``4, 8, 12`` down the diagonal.  By Weyl's
  inequality (the perturbation's 2-norm is at most 1.5 for 3x3) the eigenvalues and singular
  values stay within 1.5 of the ladder's: distinct (gaps >= 1) and nonzero, whatever the
  permutation.  The eigenvectors and singular vectors then stay close to the identity's
  columns, so their signs are well defined.

Sign ambiguity.  Eigenvectors, singular vector pairs and the rows of ``R`` / columns of ``Q``
are defined up to sign; :func:`fix_columns` makes the diagonal of each positive, in ``fn`` and
``ref`` alike (the sign factor has a zero derivative, so the rows stay smooth).

The helpers are written with plain NumPy calls, which trace on functrace's tracers
(``functrace.numpy._protocols``), so one helper serves ``fn`` and ``ref``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from cases import FLOATS, NUMERIC, Case, Sample, shape, uniform

import functrace.numpy as fnp
from functrace.primitives import decompositions as dc

Make = Callable[[np.random.Generator, np.dtype[Any]], Sample]
F32_LOOSE = {"float32": (1e-4, 1e-4)}


# -- building smooth inputs from any matrix -----------------------------------------------------


def _mT(a: Any) -> Any:
    return np.swapaxes(a, -1, -2)


def spd(a: Any) -> Any:
    """``a a^T + I``: symmetric positive definite for every square ``a``."""
    n = a.shape[-1]
    return a @ _mT(a) + np.eye(n, dtype=a.dtype)


def ladder(a: Any, step: float = 4.0) -> Any:
    """``a`` plus ``step * (k, k-1, ..., 1)`` down its diagonal (``k = min(m, n)``): distinct,
    nonzero singular values (and eigenvalues), in the order of the diagonal."""
    m, n = a.shape[-2:]
    k = min(m, n)
    d = np.zeros((m, n))
    d[range(k), range(k)] = step * np.arange(k, 0, -1)
    return a + d.astype(a.dtype)


def ladder_up(a: Any) -> Any:
    """:func:`ladder` ascending (``4, 8, 12``), the order of ``eigh``'s eigenvalues."""
    m, n = a.shape[-2:]
    d = np.zeros((m, n))
    d[range(min(m, n)), range(min(m, n))] = 4.0 * np.arange(1, min(m, n) + 1)
    return a + d.astype(a.dtype)


def _signs(x: Any) -> Any:
    """The signs of the diagonals of a stack of matrices."""
    return np.sign(np.diagonal(x, axis1=-2, axis2=-1))


def fix_columns(x: Any, signs: Any) -> Any:
    """Column ``j`` of each matrix times ``signs[j]``."""
    return x * np.expand_dims(signs, -2)


def fix_rows(x: Any, signs: Any) -> Any:
    """Row ``i`` of each matrix times ``signs[i]``."""
    return x * np.expand_dims(signs, -1)


# -- samples ------------------------------------------------------------------------------------


def matrices(square: bool = False, max_batch_rank: int = 1) -> Make:
    """A stack of matrices with entries in [-0.5, 0.5] (square, or any of 1..3 x 1..3)."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        batch = shape(rng, max_rank=max_batch_rank)
        m = int(rng.integers(1, 4))
        n = m if square else int(rng.integers(1, 4))
        return Sample((uniform(rng, (*batch, m, n), dtype, lo=-0.5, hi=0.5),))

    return make


def shaped(m_range: tuple[int, int], n_range: tuple[int, int]) -> Make:
    """Like :func:`matrices`, with ``m`` and ``n`` drawn from the given (inclusive) ranges."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        batch = shape(rng, max_rank=1)
        m, n = int(rng.integers(*m_range, endpoint=True)), int(rng.integers(*n_range,
                                                                            endpoint=True))
        return Sample((uniform(rng, (*batch, m, n), dtype, lo=-0.5, hi=0.5),))

    return make


def with_params(make: Make, **choices: list[Any]) -> Make:
    """``make``'s sample with params drawn from ``choices``."""

    def wrapped(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        sample = make(rng, dtype)
        params = {k: v[int(rng.integers(len(v)))] for k, v in choices.items()}
        return Sample(sample.args, params)

    return wrapped


def matrix_power_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """A square matrix and an exponent (2..6; integers get small entries to stay in range)."""
    n = int(rng.integers(1, 4))
    batch = shape(rng, max_rank=1)
    lo, hi = (-2, 2) if np.dtype(dtype).kind in "iu" else (-0.5, 0.5)
    return Sample((uniform(rng, (*batch, n, n), dtype, lo=lo, hi=hi),),
                  {"n": int(rng.integers(2, 7))})


def multi_dot_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """3 to 5 chained arrays; the first may be a row vector and the last a column vector."""
    count = int(rng.integers(3, 6))
    dims = [int(d) for d in rng.integers(1, 5, size=count + 1)]
    shapes: list[tuple[int, ...]] = [(dims[i], dims[i + 1]) for i in range(count)]
    if rng.random() < 0.4:
        shapes[0] = (dims[1],)
    if rng.random() < 0.4:
        shapes[-1] = (dims[-2],)
    return Sample(tuple(uniform(rng, s, dtype) for s in shapes))


def low_rank_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """Factors ``x: (m, r)``, ``y: (r, n)`` with ``r < min(m, n)``, each 2 I plus entries in
    [-0.5, 0.5] (well conditioned): ``x @ y`` has rank r, its nonzero singular values >= 1."""
    r = int(rng.integers(1, 3))
    m, n = (int(d) for d in rng.integers(r + 1, 4, size=2))
    x = uniform(rng, (m, r), dtype, lo=-0.5, hi=0.5) + 2 * np.eye(m, r, dtype=dtype)
    y = uniform(rng, (r, n), dtype, lo=-0.5, hi=0.5) + 2 * np.eye(r, n, dtype=dtype)
    return Sample((x, y), {"rcond": 1e-4})


def lstsq_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """``a: (m, n)`` with ``m <= n`` and a right-hand side ``(m,)`` or ``(m, k)``.  (A tall
    ``a``'s residuals are empty or not by the rank's value: not traceable, see lstsq.)"""
    m = int(rng.integers(1, 4))
    n = int(rng.integers(m, 4))
    b_shape = (m,) if rng.random() < 0.5 else (m, int(rng.integers(1, 3)))
    return Sample((uniform(rng, (m, n), dtype, lo=-0.5, hi=0.5), uniform(rng, b_shape, dtype)))


def norm_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """An array of rank 2 or 3, two of its axes (in random order), an ord and keepdims."""
    x = uniform(rng, shape(rng, min_rank=2, max_rank=3), dtype, lo=-0.5, hi=0.5)
    axes = tuple(int(a) for a in rng.permutation(x.ndim)[:2])
    return Sample((x,), {"ord": [2, -2, "nuc"][int(rng.integers(3))], "axis": axes,
                         "keepdims": bool(rng.random() < 0.5)})


def norm_of_ladder(norm: Callable[..., Any]) -> Callable[..., Any]:
    """``norm`` of ``x`` plus a ladder on the two normed axes (distinct singular values)."""

    def fn(x: Any, ord: Any, axis: tuple[int, int], keepdims: bool) -> Any:  # noqa: A002
        moved = np.moveaxis(x, axis, (-2, -1))
        shifted = np.moveaxis(ladder(moved), (-2, -1), axis)
        return norm(shifted, ord, axis, keepdims)

    return fn


def np_lu(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Textbook Gaussian elimination with partial pivoting (LAPACK's pivot: largest
    ``|Re| + |Im|``), matrix by matrix: ``lu`` (``l`` below the diagonal, ``u`` on and above),
    the row swaps (int32) and the permutation with ``a[perm] = l @ u``."""
    *lead, m, n = a.shape
    k = min(m, n)
    out = np.array(a, copy=True)
    pivots = np.zeros((*lead, k), np.int32)
    perms = np.zeros((*lead, m), np.int32)
    for index in np.ndindex(*lead):
        x, perm = out[index], list(range(m))
        for j in range(k):
            p = j + int(np.argmax(np.abs(x[j:, j].real) + np.abs(x[j:, j].imag)))
            pivots[index + (j,)] = p
            x[[j, p]] = x[[p, j]]
            perm[j], perm[p] = perm[p], perm[j]
            if x[j, j] != 0:
                x[j + 1:, j] /= x[j, j]
            x[j + 1:, j + 1:] -= np.outer(x[j + 1:, j], x[j, j + 1:])
        perms[index] = perm
    return out, pivots, perms


def np_qr_pivots(a: np.ndarray) -> np.ndarray:
    """The column order of a QR with column pivoting, matrix by matrix: at step ``j`` the
    column (among those not yet taken, in their current order) whose part orthogonal to the
    columns taken has the largest norm is swapped into place ``j``."""
    *lead, m, n = a.shape
    out = np.zeros((*lead, n), np.int32)
    for index in np.ndindex(*lead):
        order = list(range(n))
        for j in range(min(m, n)):
            cols = a[index][:, order]
            rest = cols[:, j:]
            if j:
                q = np.linalg.qr(cols[:, :j])[0]
                rest = rest - q @ (q.conj().T @ rest)
            p = j + int(np.argmax(np.linalg.norm(rest, axis=0)))
            order[j], order[p] = order[p], order[j]
        out[index] = order
    return out


def np_schur(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A Schur decomposition from NumPy's: ``t = z^H a z`` for ``z`` the unitary factor of
    the QR decomposition of the (complex) eigenvectors; only the parts that
    :func:`schur_parts` keeps are compared."""
    z = np.linalg.qr(np.linalg.eig(a)[1])[0]
    return z.conj().swapaxes(-1, -2) @ a @ z, z


def schur_parts(tz: Any) -> tuple[Any, Any]:
    """``z t z^H`` (the input again) and the sum of ``|t|^2`` (the Frobenius norm of ``a``),
    the same for every Schur form, real or complex, in any eigenvalue order."""
    t, z = tz
    zh = np.conj(np.swapaxes(z, -1, -2))
    return np.real(z @ t @ zh), np.sum(np.abs(t) ** 2, axis=(-2, -1))


def pivoted_r(pivots: Callable[[Any], Any], xp: Any) -> Callable[[Any], Any]:
    """``r`` of the QR of a laddered matrix's columns (reversed, so that the pivoting reorders
    them) taken in ``pivots``' order, with the signs of its rows fixed."""

    def fn(a: Any) -> Any:
        b = ladder(a)[..., ::-1]
        r = xp.linalg.qr(xp.take_along_axis(b, pivots(b)[..., None, :], axis=-1), mode="r")
        return fix_rows(r, _signs(r))

    return fn


# -- the functions of the rows, for functrace (fnp) and NumPy (np) alike ------------------------


def eigh_fixed(eigh: Callable[..., Any], **kw: Any) -> Callable[[Any], Any]:
    def fn(a: Any) -> Any:
        w, v = eigh(ladder_up(a), **kw)
        return w, fix_columns(v, _signs(v))

    return fn


def eig_fixed(eig: Callable[..., Any], xp: Any) -> Callable[[Any], Any]:
    """``eig``'s ``(w, v)`` with each column's largest entry (real, LAPACK's choice of sign)
    made positive: continuous where LAPACK flips a column's sign; real parts, as a real
    matrix with distinct real eigenvalues has real eigenvectors (NumPy returns those as real
    arrays, functrace always complex ones)."""

    def f(a: Any) -> Any:
        w, v = eig(a)
        largest = xp.take_along_axis(v, xp.argmax(xp.abs(v), axis=-2)[..., None, :], axis=-2)
        return xp.real(w), xp.real(v * xp.sign(xp.real(largest)))

    return f


def svd_fixed(svd: Callable[..., Any], **kw: Any) -> Callable[[Any], Any]:
    # u's columns and vh's rows each by the signs of their own diagonal (square with
    # full_matrices: then the extra columns are fixed too).
    def fn(a: Any) -> Any:
        u, s, vh = svd(ladder(a), **kw)
        return fix_columns(u, _signs(u)), s, fix_rows(vh, _signs(vh))

    return fn


def qr_fixed(qr: Callable[..., Any], **kw: Any) -> Callable[[Any], Any]:
    # q's columns and r's rows by the signs of q's diagonal (q has as many columns as r rows).
    def fn(a: Any) -> Any:
        q, r = qr(ladder(a), **kw)
        signs = _signs(q)
        return fix_columns(q, signs), fix_rows(r, signs)

    return fn


def qr_r_fixed(qr: Callable[..., Any]) -> Callable[[Any], Any]:
    def fn(a: Any) -> Any:
        r = qr(ladder(a), mode="r")
        return fix_rows(r, _signs(r))

    return fn


def _np_qr(a: Any, full_matrices: bool = False) -> Any:
    return np.linalg.qr(a, mode="complete" if full_matrices else "reduced")


def _np_svd(a: Any, full_matrices: bool = False) -> Any:
    return np.linalg.svd(a, full_matrices=full_matrices)


def _lstsq_parts(lstsq: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    """lstsq's solution, residuals (empty here), rank and singular values of a laddered a."""

    def fn(a: Any, b: Any) -> Any:
        return lstsq(ladder(a), b)

    return fn


def _lstsq_smooth(lstsq: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    """lstsq's differentiable outputs: the solution and the singular values."""

    def fn(a: Any, b: Any) -> Any:
        x, _, _, s = lstsq(ladder(a), b)
        return x, s

    return fn


DECOMPOSITION_CASES: list[Case] = [
    # cholesky: of a a^T + I, at the binder and through fnp.linalg (lower and upper)
    Case("cholesky", lambda a: dc.cholesky(spd(a)), lambda a: np.linalg.cholesky(spd(a)),
         matrices(square=True)),
    Case("cholesky", lambda a: fnp.linalg.cholesky(spd(a)),
         lambda a: np.linalg.cholesky(spd(a)), matrices(square=True),
         label="fnp.linalg.cholesky"),
    Case("cholesky", lambda a: fnp.linalg.cholesky(spd(a), upper=True),
         lambda a: np.linalg.cholesky(spd(a), upper=True), matrices(square=True),
         label="fnp.linalg.cholesky upper"),
    # cholesky reads the lower triangle of a non-symmetric matrix, and so does its derivative
    Case("cholesky", lambda a: fnp.linalg.cholesky(ladder(a)),
         lambda a: np.linalg.cholesky(ladder(a)), matrices(square=True),
         label="fnp.linalg.cholesky lower triangle"),
    # eigh: eigenvectors with the signs of their diagonals fixed
    Case("eigh", eigh_fixed(dc.eigh), eigh_fixed(np.linalg.eigh), matrices(square=True)),
    Case("eigh", eigh_fixed(fnp.linalg.eigh), eigh_fixed(np.linalg.eigh),
         matrices(square=True), label="fnp.linalg.eigh"),
    Case("eigh", eigh_fixed(fnp.linalg.eigh, UPLO="U"), eigh_fixed(np.linalg.eigh, UPLO="U"),
         matrices(square=True), label="fnp.linalg.eigh upper"),
    Case("eigh", lambda a: fnp.linalg.eigvalsh(ladder_up(a)),
         lambda a: np.linalg.eigvalsh(ladder_up(a)), matrices(square=True),
         label="fnp.linalg.eigvalsh"),
    # eig, eigvals (non-symmetric): distinct real eigenvalues (ladder) compared as real parts,
    # and a symmetric function of possibly complex ones for the derivative
    Case("eig", lambda a: eig_fixed(dc.eig, fnp)(ladder(a)),
         lambda a: eig_fixed(np.linalg.eig, np)(ladder(a)), matrices(square=True)),
    Case("eig", lambda a: eig_fixed(fnp.linalg.eig, fnp)(ladder(a)),
         lambda a: eig_fixed(np.linalg.eig, np)(ladder(a)), matrices(square=True),
         label="fnp.linalg.eig"),
    Case("eigvals", lambda a: fnp.real(dc.eigvals(ladder(a))),
         lambda a: np.real(np.linalg.eigvals(ladder(a))), matrices(square=True)),
    Case("eigvals", lambda a: fnp.real(fnp.sum(fnp.linalg.eigvals(a) ** 3, axis=-1)),
         lambda a: np.real(np.sum(np.linalg.eigvals(a).astype(
             np.result_type(a.dtype, np.complex64)) ** 3, axis=-1)),
         matrices(square=True), tol=F32_LOOSE, label="fnp.linalg.eigvals complex"),
    # svd: singular vector pairs with the signs of u's diagonal fixed
    Case("svd", svd_fixed(dc.svd), svd_fixed(_np_svd), matrices()),
    Case("svd", svd_fixed(fnp.linalg.svd, full_matrices=False),
         svd_fixed(np.linalg.svd, full_matrices=False), matrices(), label="fnp.linalg.svd"),
    Case("svd", svd_fixed(fnp.linalg.svd), svd_fixed(np.linalg.svd), matrices(square=True),
         label="fnp.linalg.svd full square"),
    # full_matrices=True on non-square matrices: values only (u and vh's extra columns are any
    # basis of a complement: no derivative, NotImplementedError as in JAX)
    Case("svd", svd_fixed(fnp.linalg.svd), svd_fixed(np.linalg.svd), matrices(),
         differentiable=False, label="fnp.linalg.svd full"),
    Case("svd", lambda a: fnp.linalg.svd(ladder(a), compute_uv=False),
         lambda a: np.linalg.svd(ladder(a), compute_uv=False), matrices(),
         label="fnp.linalg.svd compute_uv=False"),
    Case("svd", lambda a: fnp.linalg.svdvals(ladder(a)),
         lambda a: np.linalg.svd(ladder(a), compute_uv=False), matrices(),
         label="fnp.linalg.svdvals"),
    # qr: tall, square and wide, with the signs of r's diagonal fixed
    Case("qr", qr_fixed(dc.qr), qr_fixed(_np_qr), matrices()),
    Case("qr", qr_fixed(fnp.linalg.qr), qr_fixed(np.linalg.qr), matrices(),
         label="fnp.linalg.qr"),
    Case("qr", qr_r_fixed(fnp.linalg.qr), qr_r_fixed(np.linalg.qr), matrices(),
         label="fnp.linalg.qr r"),
    Case("qr", qr_fixed(fnp.linalg.qr, mode="complete"), qr_fixed(np.linalg.qr, mode="complete"),
         shaped((1, 3), (3, 4)), label="fnp.linalg.qr complete wide"),
    # mode="complete" of a tall matrix: values only (no derivative, as in JAX)
    Case("qr", qr_fixed(fnp.linalg.qr, mode="complete"), qr_fixed(np.linalg.qr, mode="complete"),
         shaped((2, 4), (1, 2)), differentiable=False, label="fnp.linalg.qr complete tall"),
    # lu: partial pivoting (the pivots are integers without derivative); tall, square and wide
    Case("lu", lambda a: dc.lu(a), np_lu, matrices(), differentiable=False),
    Case("lu", lambda a: dc.lu(a)[0], lambda a: np_lu(a)[0], matrices()),
    # qr_pivots: the column order of a rank-revealing QR (integers), and qr of the columns in
    # that order (its derivative: qr's, with the order held fixed)
    Case("qr_pivots", lambda a: dc.qr_pivots(a), np_qr_pivots, matrices(), differentiable=False),
    Case("qr_pivots", pivoted_r(dc.qr_pivots, fnp), pivoted_r(np_qr_pivots, np), matrices(),
         label="qr of the pivoted columns"),
    # schur: no derivative (as JAX's); its value compared through what is unique about it, the
    # reconstruction z t z^H and t's zeros below the (sub-)diagonal
    Case("schur", lambda a: schur_parts(dc.schur(a)), lambda a: schur_parts(np_schur(a)),
         matrices(square=True), differentiable=False, tol=F32_LOOSE),
    # pinv: full rank, and rank deficient (x @ y of rank r: the rank stays r when x, y move)
    Case("pinv", lambda a: dc.pinv(ladder(a), 1e-15), lambda a: np.linalg.pinv(ladder(a)),
         matrices()),
    Case("pinv", lambda a: fnp.linalg.pinv(ladder(a)), lambda a: np.linalg.pinv(ladder(a)),
         matrices(), label="fnp.linalg.pinv"),
    Case("pinv", lambda x, y, rcond: fnp.linalg.pinv(x @ y, rcond),
         lambda x, y, rcond: np.linalg.pinv(x @ y, rcond), low_rank_sample,
         tol=F32_LOOSE, vmappable=False, label="fnp.linalg.pinv rank deficient"),
    # (not vmappable: a batch of permuted factors need not keep the products' rank below
    # rcond's cutoff in float32; vmap of pinv is checked by the rows above)
    Case("pinv", _lstsq_parts(fnp.linalg.lstsq), _lstsq_parts(np.linalg.lstsq), lstsq_sample,
         differentiable=False, tol=F32_LOOSE, label="fnp.linalg.lstsq"),
    Case("pinv", _lstsq_smooth(fnp.linalg.lstsq), _lstsq_smooth(np.linalg.lstsq), lstsq_sample,
         tol=F32_LOOSE, label="fnp.linalg.lstsq x and s"),
    # functions of the singular values
    Case("svd", fnp.linalg.matrix_rank, np.linalg.matrix_rank, matrices(), differentiable=False,
         label="fnp.linalg.matrix_rank"),
    Case("svd", lambda a, p: fnp.linalg.cond(ladder(a), p), lambda a, p: np.linalg.cond(
        ladder(a), p), with_params(matrices(), p=[None, 2, -2]), label="fnp.linalg.cond svd"),
    Case("solve", lambda a, p: fnp.linalg.cond(ladder(a), p), lambda a, p: np.linalg.cond(
        ladder(a), p), with_params(matrices(square=True), p=["fro", "nuc"]),
         label="fnp.linalg.cond fro/nuc"),
    Case("svd", norm_of_ladder(fnp.linalg.norm), norm_of_ladder(np.linalg.norm), norm_sample,
         label="fnp.linalg.norm 2/-2/nuc"),
    # matrix_power (by repeated squaring, integers too) and multi_dot
    Case("dot_general", lambda a, n: fnp.linalg.matrix_power(a, n),
         lambda a, n: np.linalg.matrix_power(a, n), matrix_power_sample, dtypes=NUMERIC,
         label="fnp.linalg.matrix_power"),
    Case("solve", lambda a, n: fnp.linalg.matrix_power(ladder(a), -n),
         lambda a, n: np.linalg.matrix_power(ladder(a), -n), matrix_power_sample,
         dtypes=FLOATS, label="fnp.linalg.matrix_power negative"),
    Case("dot_general", lambda *arrays: fnp.linalg.multi_dot(arrays),
         lambda *arrays: np.linalg.multi_dot(arrays), multi_dot_sample, dtypes=NUMERIC,
         tol=F32_LOOSE, label="fnp.linalg.multi_dot"),
]
