"""``jax.lax.linalg``: JAX's low-level matrix decompositions, with JAX's signatures, result
orders and output formats (LAPACK's packed reflectors for ``tridiagonal``, ``hessenberg`` and
``householder_product``).

None of them is a new primitive.  The decompositions are the primitives of
``functrace.primitives.decompositions`` (``cholesky``, ``eigh``, ``eig``, ``svd``, ``qr``,
``qr_pivots``, ``lu``) with JAX's options around them; the solvers are the ``solve``
primitive on the triangle (``triangular_solve``) or on the assembled tridiagonal matrix
(``tridiagonal_solve``); the Householder reductions (``tridiagonal``, ``hessenberg``,
``householder_product``, ``ormqr``) run LAPACK's unblocked algorithms (``?sytd2``/``?hetd2``,
``?gehd2``, ``?org2r``, ``?orm2r``) as a Python loop over the columns (the sizes are static)
of ``functrace.numpy`` operations.  So every function works on stacks ``(..., m, n)``, under
``vmap`` and ``jit``, and is differentiable wherever its pieces are, to any order.
``docs/linalg.md`` lists the differences from JAX.

This module is a submodule of ``functrace.lax``: ``import functrace.lax.linalg`` and
``functrace.lax.linalg.cholesky`` both work, as in JAX.
"""

from __future__ import annotations

import enum
import operator
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.numpy._base import as_operand, aval, convert, result_dtype
from functrace.primitives import decompositions as dc
from functrace.primitives import linalg as la

__all__ = ["EigImplementation", "EighImplementation", "SvdAlgorithm", "cholesky",
           "cholesky_update", "eig", "eigh", "hessenberg", "householder_product", "lu",
           "lu_pivots_to_permutation", "ormqr", "qdwh", "qr", "schur", "svd",
           "symmetric_product", "triangular_solve", "tridiagonal", "tridiagonal_solve"]


class EighImplementation(enum.Enum):
    """``jax.lax.linalg.EighImplementation``: accepted and ignored (LAPACK's, through NumPy)."""

    QR = "qr"
    JACOBI = "jacobi"
    QDWH = "qdwh"


class EigImplementation(enum.Enum):
    """``jax.lax.linalg.EigImplementation``: accepted and ignored (LAPACK's, through NumPy)."""

    LAPACK = "lapack"
    MAGMA = "magma"
    CUSOLVER = "cusolver"


class SvdAlgorithm(enum.Enum):
    """``jax.lax.linalg.SvdAlgorithm``: accepted and ignored (LAPACK's, through NumPy)."""

    DEFAULT = "default"
    QR = "QR"
    JACOBI = "Jacobi"
    POLAR = "polar"


# -- helpers ------------------------------------------------------------------------------------


def _floats(*args: Any) -> list[Any]:
    """The operands in one floating dtype (integers and booleans become float64)."""
    ops = [as_operand(x) for x in args]
    dtype = result_dtype(*[aval(x) for x in ops])
    if dtype.kind not in "fc":
        dtype = np.dtype(np.float64)
    return [convert(x, dtype) for x in ops]


def _matrices(name: str, x: Any, square: bool = False) -> Any:
    (x,) = _floats(x)
    dc.check_matrices(f"lax.linalg.{name}", aval(x), square)
    return x


def _is_complex(x: Any) -> bool:
    return bool(aval(x).dtype.kind == "c")


def _mT(x: Any) -> Any:
    return fnp.swapaxes(x, -1, -2)


def _mH(x: Any) -> Any:
    return fnp.conj(_mT(x)) if _is_complex(x) else _mT(x)


def _symmetrize(x: Any) -> Any:
    """``(x + x^H) / 2``, as JAX's ``symmetrize_input=True``."""
    return (x + _mH(x)) / 2


def _eye(x: Any, n: int, m: int | None = None, k: int = 0) -> np.ndarray:
    return np.eye(n, m, k, dtype=aval(x).dtype)


def _subset(name: str, subset_by_index: Any, n: int) -> tuple[int, int] | None:
    if subset_by_index is None:
        return None
    try:
        start, end = (operator.index(i) for i in subset_by_index)
    except (TypeError, ValueError):
        raise TypeError(f"lax.linalg.{name}: subset_by_index must be None or a pair of "
                        f"integers (start, end), got {subset_by_index!r}.") from None
    if not 0 <= start < end <= n:
        raise ValueError(f"lax.linalg.{name}: subset_by_index {(start, end)} must satisfy "
                         f"0 <= start < end <= {n}.")
    return start, end


# -- the decompositions -------------------------------------------------------------------------


def cholesky(x: Any, *, symmetrize_input: bool = True) -> Any:
    """``jax.lax.linalg.cholesky``: the lower triangular ``l`` with ``x = l @ l^H`` for each
    matrix of a stack ``(..., n, n)``.

    With ``symmetrize_input`` (the default) ``x`` is first replaced by ``(x + x^H) / 2``, so the
    gradient is symmetric, as JAX's; otherwise only the lower triangle is read.  A matrix that
    is not positive definite raises NumPy's ``LinAlgError`` (JAX returns NaNs).

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
    array([[2., 0.],
           [1., 2.]])
    """
    x = _matrices("cholesky", x, square=True)
    return dc.cholesky(_symmetrize(x) if symmetrize_input else x)


def eigh(x: Any, *, lower: bool = True, symmetrize_input: bool = True,
         sort_eigenvalues: bool = True, subset_by_index: tuple[int, int] | None = None,
         implementation: EighImplementation | None = None) -> tuple[Any, Any]:
    """``jax.lax.linalg.eigh``: ``(v, w)`` (eigenvectors first, as JAX's) of each Hermitian
    matrix of a stack ``(..., n, n)``: ``x @ v == v * w``, ``w`` real and ascending.

    Args:
      x: the matrices.
      lower: without ``symmetrize_input``, read the lower (or upper) triangle.
      symmetrize_input: first replace ``x`` by ``(x + x^H) / 2`` (JAX's default).
      sort_eigenvalues: accepted; the eigenvalues are always ascending (LAPACK's).
      subset_by_index: ``(start, end)``: only the eigenpairs ``start <= i < end`` in ascending
        order (JAX's CPU backend refuses it; here it slices the full decomposition).
      implementation: accepted and ignored.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> v, w = linalg.eigh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    >>> w
    array([1., 3.])
    """
    del sort_eigenvalues, implementation
    x = _matrices("eigh", x, square=True)
    subset = _subset("eigh", subset_by_index, aval(x).shape[-1])
    w, v = dc.eigh(_symmetrize(x) if symmetrize_input else x, lower=bool(lower))
    if subset is not None:
        w, v = w[..., subset[0]:subset[1]], v[..., subset[0]:subset[1]]
    return v, w


def eig(x: Any, *, compute_left_eigenvectors: bool = True,
        compute_right_eigenvectors: bool = True, enable_eigvec_derivs: bool = False,
        implementation: EigImplementation | None = None, use_magma: bool | None = None
        ) -> list[Any]:
    """``jax.lax.linalg.eig``: ``[w, vl, vr]`` (without ``vl`` or ``vr`` if not computed) for
    each square matrix of a stack: complex eigenvalues ``w`` (LAPACK's order), right
    eigenvectors ``x @ vr == vr * w`` and left eigenvectors ``vl^H @ x == w[:, None] * vl^H``,
    each column of unit norm with its largest entry real.

    The left eigenvectors are the columns of ``inv(vr)^H``, normalised, so they pair with the
    eigenvalues in the same order.  Every output is differentiable (JAX differentiates only
    ``w`` unless ``enable_eigvec_derivs``, which is accepted and ignored, as are
    ``implementation`` and ``use_magma``).  A column's phase is LAPACK's choice for ``vr``, and
    for ``vl`` its largest entry is made real and positive.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> w, vr = linalg.eig(np.array([[2.0, 0.0], [0.0, 3.0]]), compute_left_eigenvectors=False)
    >>> w
    array([2.+0.j, 3.+0.j])
    """
    del enable_eigvec_derivs, implementation, use_magma
    x = _matrices("eig", x, square=True)
    w, vr = dc.eig(x)
    out = [w]
    if compute_left_eigenvectors:
        out.append(_unit_columns(_mH(fnp.linalg.inv(vr))))
    if compute_right_eigenvectors:
        out.append(vr)
    return out


def _unit_columns(v: Any) -> Any:
    """Each column scaled to unit norm, with its largest entry (the first such) real and
    positive."""
    v = v / fnp.sqrt(fnp.sum(fnp.real(v * fnp.conj(v)), axis=-2, keepdims=True))
    top = fnp.take_along_axis(v, fnp.argmax(fnp.abs(v), axis=-2)[..., None, :], axis=-2)
    return v * (fnp.conj(top) / fnp.abs(top))


def lu(x: Any) -> tuple[Any, Any, Any]:
    """``jax.lax.linalg.lu``: ``(lu, pivots, permutation)`` of each matrix ``(m, n)`` of a
    stack, with partial pivoting (LAPACK's ``getrf``).  ``lu`` holds the unit lower triangular
    factor below its diagonal and the upper one on and above it; ``pivots`` (int32, ``(..., k)``,
    ``k = min(m, n)``) says row ``i`` was swapped with row ``pivots[i]``; ``permutation``
    (int32, ``(..., m)``) is their product: ``x[..., permutation, :] == l @ u``.  ``lu`` is
    differentiable, with the row order held fixed.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> packed, pivots, perm = linalg.lu(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> pivots, perm
    (array([1, 1], dtype=int32), array([1, 0], dtype=int32))
    """
    return dc.lu(_matrices("lu", x))


def lu_pivots_to_permutation(pivots: Any, permutation_size: int) -> Any:
    """``jax.lax.linalg.lu_pivots_to_permutation``: the row order (int32,
    ``(..., permutation_size)``) that LAPACK's row swaps ``pivots`` (``(..., k)``, row ``i``
    swapped with row ``pivots[i]``, in order) make of ``0, 1, ..., permutation_size - 1``.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> linalg.lu_pivots_to_permutation(np.array([2, 2, 3], np.int32), 5)
    array([2, 0, 3, 1, 4], dtype=int32)
    """
    pivots = as_operand(pivots)
    size = operator.index(permutation_size)
    a = aval(pivots)
    if a.dtype.kind not in "iu" or a.ndim < 1:
        raise TypeError("lax.linalg.lu_pivots_to_permutation: pivots must be an integer array "
                        f"(..., k), got {a.str_short()}.")
    k = a.shape[-1]
    if k > size:
        raise ValueError(f"lax.linalg.lu_pivots_to_permutation: {k} pivots do not fit a "
                         f"permutation of size {size} (k <= permutation_size).")
    pivots = convert(pivots, np.dtype(np.int32))
    iota = np.arange(size, dtype=np.int32)
    perm: Any = np.broadcast_to(iota, (*a.shape[:-1], size))
    for i in range(k):  # swap entries i and pivots[i], one swap at a time
        j = pivots[..., i:i + 1]
        at_i, at_j = perm[..., i:i + 1], fnp.take_along_axis(perm, j, axis=-1)
        perm = fnp.where(iota == i, at_j, fnp.where(iota == j, at_i, perm))
    return fnp.asarray(perm, np.int32)


def qr(x: Any, *, pivoting: bool = False, full_matrices: bool = True,
       use_magma: bool | None = None) -> tuple[Any, ...]:
    """``jax.lax.linalg.qr``: ``(q, r)`` with ``x == q @ r`` for each matrix ``(m, n)`` of a
    stack; ``full_matrices`` (the default): ``q`` is ``(m, m)`` and ``r`` ``(m, n)``, else
    ``(m, k)`` and ``(k, n)``, ``k = min(m, n)``.  With ``pivoting``, ``(q, r, p)``:
    ``x[..., p] == q @ r`` with ``p`` (int32) LAPACK's ``geqp3`` column order, which makes
    ``|diag(r)|`` non-increasing.

    Differentiable as ``functrace.numpy.linalg.qr`` (the order held fixed), except ``q`` of a
    tall matrix with ``full_matrices``, whose extra columns are any basis of a complement
    (``NotImplementedError``).  ``use_magma`` is ignored.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> q, r = linalg.qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
    >>> np.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]])
    True
    """
    del use_magma
    x = _matrices("qr", x)
    if not pivoting:
        return dc.qr(x, full_matrices=bool(full_matrices))
    p = dc.qr_pivots(x)
    q, r = dc.qr(fnp.take_along_axis(x, p[..., None, :], axis=-1),
                 full_matrices=bool(full_matrices))
    return q, r, p


def svd(x: Any, *, full_matrices: bool = True, compute_uv: bool = True,
        subset_by_index: tuple[int, int] | None = None, algorithm: SvdAlgorithm | None = None
        ) -> Any:
    """``jax.lax.linalg.svd``: ``(u, s, vh)`` with ``x == u @ diag(s) @ vh`` (``s`` real and
    descending), or ``s`` alone without ``compute_uv``, for each matrix ``(m, n)`` of a stack.

    ``full_matrices``: ``u`` is ``(m, m)`` and ``vh`` ``(n, n)`` (their derivative exists only
    for square matrices, as JAX's), else ``(m, k)``, ``(k, n)``.  ``subset_by_index=(start,
    end)`` keeps the singular triplets ``start <= i < end`` (needs ``full_matrices=False``, as
    JAX; JAX's CPU backend refuses it).  ``algorithm`` is ignored.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> linalg.svd(np.array([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False)
    array([4., 3.])
    """
    del algorithm
    x = _matrices("svd", x)
    m, n = aval(x).shape[-2:]
    subset = _subset("svd", subset_by_index, min(m, n))
    if subset is not None and full_matrices and compute_uv:
        raise ValueError("lax.linalg.svd: full_matrices and subset_by_index cannot both be "
                         "set; pass full_matrices=False.")
    u, s, vh = dc.svd(x, full_matrices=bool(full_matrices and compute_uv))
    if subset is not None:
        start, end = subset
        u, s, vh = u[..., start:end], s[..., start:end], vh[..., start:end, :]
    return (u, s, vh) if compute_uv else s


# -- triangular and tridiagonal systems ---------------------------------------------------------


def _triangle(a: Any, lower: bool, unit_diagonal: bool) -> Any:
    """The triangle that LAPACK reads (a ``where``, so the other triangle's NaNs stay out)."""
    n = aval(a).shape[-1]
    if not unit_diagonal:
        return fnp.tril(a) if lower else fnp.triu(a)
    return (fnp.tril(a, -1) if lower else fnp.triu(a, 1)) + _eye(a, n)


def triangular_solve(a: Any, b: Any, *, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False) -> Any:
    """``jax.lax.linalg.triangular_solve``: ``x`` with ``op(t) @ x == b`` (``left_side``) or
    ``x @ op(t) == b`` (the default, as JAX's), ``t`` the lower (or upper, the default)
    triangle of ``a`` and ``op`` the identity, the transpose (``transpose_a``), the conjugate
    (``conjugate_a``) or the conjugate transpose (both).  With ``unit_diagonal`` the diagonal
    is taken as ones and not read.

    ``a`` is ``(..., m, m)`` and ``b`` ``(..., m, n)`` (left side) or ``(..., n, m)`` (right
    side) with the same leading axes, as JAX requires.  Solved by the ``solve`` primitive on
    the triangle, so the entries not read have zero derivative.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> t = np.array([[2.0, 0.0], [1.0, 4.0]])
    >>> linalg.triangular_solve(t, np.array([[2.0], [9.0]]), left_side=True, lower=True)
    array([[1.],
           [2.]])
    """
    a, b = _floats(a, b)
    dc.check_matrices("lax.linalg.triangular_solve", aval(a), square=True)
    sa, sb = aval(a).shape, aval(b).shape
    m = sa[-1]
    if len(sb) < 2 or sb[:-2] != sa[:-2] or sb[-2 if left_side else -1] != m:
        side = "(..., m, n) for left_side=True" if left_side else "(..., n, m)"
        raise ValueError(f"lax.linalg.triangular_solve: b must be {side}, with the leading "
                         f"axes of a; got a of shape {sa} and b of shape {sb}.")
    t = _triangle(a, bool(lower), bool(unit_diagonal))
    if transpose_a:
        t = _mT(t)
    if conjugate_a and _is_complex(t):
        t = fnp.conj(t)
    if left_side:
        return la.solve(t, b)
    return _mT(la.solve(_mT(t), _mT(b)))  # x t = b  <=>  t^T x^T = b^T


def tridiagonal_solve(dl: Any, d: Any, du: Any, b: Any, *, perturb_singular: bool = False
                      ) -> Any:
    """``jax.lax.linalg.tridiagonal_solve``: ``x`` with ``t @ x == b``, ``t`` the tridiagonal
    matrix with sub-diagonal ``dl[1:]``, diagonal ``d`` and super-diagonal ``du[:-1]``
    (``dl[0]`` and ``du[-1]`` are not read).  ``dl``, ``d``, ``du`` are ``(..., m)`` and ``b``
    ``(..., m, n)``, with the same leading axes.

    ``t`` is assembled as a dense matrix and solved by the ``solve`` primitive (``O(m^3)``,
    not LAPACK's ``gtsv``), so the result is differentiable in all four arguments.  A singular
    ``t`` raises NumPy's ``LinAlgError``; ``perturb_singular`` is accepted and ignored.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> linalg.tridiagonal_solve(np.array([0.0, 1.0]), np.array([2.0, 2.0]),
    ...                          np.array([1.0, 0.0]), np.array([[3.0], [3.0]]))
    array([[1.],
           [1.]])
    """
    del perturb_singular
    dl, d, du, b = _floats(dl, d, du, b)
    sd, sb = aval(d).shape, aval(b).shape
    if (len(sd) < 1 or aval(dl).shape != sd or aval(du).shape != sd or len(sb) < 2
            or sb[:-1] != sd):
        raise ValueError("lax.linalg.tridiagonal_solve: dl, d and du must be (..., m) and b "
                         f"(..., m, n) with the same leading axes; got dl {aval(dl).shape}, "
                         f"d {sd}, du {aval(du).shape} and b {sb}.")
    m = sd[-1]
    # Row i holds dl[i] at column i - 1 and du[i] at column i + 1: rows of shifted identities.
    t = (d[..., :, None] * _eye(d, m) + dl[..., :, None] * _eye(dl, m, k=-1)
         + du[..., :, None] * _eye(du, m, k=1))
    return la.solve(t, b)


# -- Householder reductions (LAPACK's packed reflectors) ----------------------------------------


def _reflector(alpha: Any, x: Any) -> tuple[Any, Any, Any]:
    """LAPACK's ``?larfg``: ``beta, tau, v`` with ``H^H [alpha; x] = [beta; 0]`` for
    ``H = I - tau [1; v] [1; v]^H``, ``beta`` real.  ``alpha``: ``(...)``; ``x``: ``(..., r)``.
    Where nothing is to be annihilated (``x == 0`` and ``alpha`` real), ``tau = 0``."""
    sq = fnp.sum(fnp.real(x * fnp.conj(x)), axis=-1)
    re = fnp.real(alpha)
    im = fnp.imag(alpha) if _is_complex(alpha) else fnp.zeros_like(re)
    trivial = (sq == 0) & (im == 0)
    norm = fnp.sqrt(fnp.where(trivial, 1.0, re * re + im * im + sq))
    beta = fnp.where(re >= 0, -norm, norm).astype(aval(alpha).dtype)  # -sign(re) * norm
    tau = fnp.where(trivial, 0.0, (beta - alpha) / fnp.where(trivial, 1.0, beta))
    v = x / fnp.where(trivial, 1.0, alpha - beta)[..., None]
    return fnp.where(trivial, alpha, beta), tau, v


def _unit_vector(v: Any, start: int, n: int) -> Any:
    """``[0] * start + [1] + v`` along the last axis (length ``n``): a reflector's vector."""
    lead = aval(v).shape[:-1]
    dtype = aval(v).dtype
    return fnp.concatenate([np.zeros((*lead, start), dtype), np.ones((*lead, 1), dtype), v],
                           axis=-1)


def _outer(u: Any, w: Any) -> Any:
    """``u w^H`` for stacks of vectors."""
    return u[..., :, None] * fnp.conj(w)[..., None, :]


def _hermitian(a: Any, lower: bool) -> Any:
    """The Hermitian matrix whose lower (upper) triangle is ``a``'s (a real diagonal)."""
    strict = fnp.tril(a, -1) if lower else fnp.triu(a, 1)
    diagonal = fnp.real(fnp.diagonal(a, axis1=-2, axis2=-1)).astype(aval(a).dtype)
    return strict + _mH(strict) + diagonal[..., None] * _eye(a, aval(a).shape[-1])


def _tridiagonal_lower(h: Any) -> tuple[Any, Any, Any, Any]:
    """``?hetd2`` with ``uplo='L'`` on the Hermitian ``h``: ``d, e, taus`` and the matrix of
    reflector vectors below the sub-diagonal."""
    n = aval(h).shape[-1]
    rows = np.arange(n)
    e, taus, columns = [], [], []
    for i in range(n - 1):
        beta, tau, v = _reflector(h[..., i + 1, i], h[..., i + 2:, i])
        u = _unit_vector(v, i + 1, n)
        # The reflector acts on the trailing block h[i+1:, i+1:]: p = tau h22 u,
        # w = p - tau/2 (p^H u) u, h22 -= u w^H + w u^H (the rows above are masked out).
        p = tau[..., None] * fnp.where(rows > i, fnp.matmul(h, u[..., None])[..., 0], 0.0)
        w = p - (tau / 2 * fnp.sum(fnp.conj(p) * u, axis=-1))[..., None] * u
        h = h - _outer(u, w) - _outer(w, u)
        e.append(fnp.real(beta))
        taus.append(tau)
        columns.append(fnp.concatenate([np.zeros((*aval(v).shape[:-1], i + 2), aval(v).dtype),
                                        v], axis=-1))
    lead = aval(h).shape[:-2]
    dtype = aval(h).dtype
    d = fnp.real(fnp.diagonal(h, axis1=-2, axis2=-1))
    columns.append(np.zeros((*lead, n), dtype))
    vectors = fnp.stack(columns, axis=-1)
    if n == 1:
        return d, np.zeros((*lead, 0), d.dtype), np.zeros((*lead, 0), dtype), vectors
    return d, fnp.stack(e, axis=-1), fnp.stack(taus, axis=-1), vectors


def tridiagonal(a: Any, *, lower: bool = True) -> tuple[Any, Any, Any, Any]:
    """``jax.lax.linalg.tridiagonal``: the reduction of each Hermitian matrix of a stack
    ``(..., n, n)`` (read from its lower or upper triangle) to real symmetric tridiagonal form,
    ``q^H a q = t``, in LAPACK's ``?sytrd``/``?hetrd`` format: ``(arr, d, e, taus)``.

    ``d`` (``(..., n)``) and ``e`` (``(..., n - 1)``) are ``t``'s diagonal and off-diagonal
    (real); ``q`` is the product of ``n - 1`` reflectors ``I - taus[i] v v^H`` whose vectors
    ``v`` are stored in ``arr`` below the sub-diagonal (``lower``, with ``v[i + 1] = 1``) or
    above the super-diagonal (with ``v[i] = 1``); ``arr`` holds ``d`` and ``e`` on its diagonals
    and ``a``'s other triangle unchanged.  Differentiable (JAX's has no derivative).

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> arr, d, e, taus = linalg.tridiagonal(np.diag([1.0, 2.0, 3.0]))
    >>> d, e
    (array([1., 2., 3.]), array([0., 0.]))
    """
    a = _matrices("tridiagonal", a, square=True)
    n = aval(a).shape[-1]
    h = _hermitian(a, bool(lower))
    if lower:
        d, e, taus, vectors = _tridiagonal_lower(h)
    else:
        # ?hetd2 with uplo='U' works from the last column up: it is the lower algorithm on the
        # matrix with rows and columns reversed, whose results come out reversed.
        d, e, taus, vectors = _tridiagonal_lower(fnp.flip(h, (-2, -1)))
        d, e, taus, vectors = (fnp.flip(d, -1), fnp.flip(e, -1), fnp.flip(taus, -1),
                               fnp.flip(vectors, (-2, -1)))
    dtype = aval(a).dtype
    band = fnp.asarray(d, dtype)[..., None] * _eye(a, n)
    if n > 1:
        sub = fnp.concatenate([np.zeros((*aval(a).shape[:-2], 1), dtype),
                               fnp.asarray(e, dtype)], axis=-1)
        off = (sub[..., :, None] * _eye(a, n, k=-1) if lower
               else sub[..., None, :] * _eye(a, n, k=1))
        band = band + off
    other = fnp.triu(a, 1) if lower else fnp.tril(a, -1)
    return other + band + vectors, d, e, taus


def schur(x: Any, *, compute_schur_vectors: bool = True, sort_eig_vals: bool = False,
          select_callable: Any = None) -> list[Any]:
    """``jax.lax.linalg.schur``: ``[t, vs]`` with ``x = vs t vs^H`` for each square matrix of a
    stack (``[t]`` without ``compute_schur_vectors``): the real Schur form of a real matrix
    (2x2 blocks in LAPACK's standard form), the complex one of a complex matrix.  The
    ``schur`` primitive (the QR algorithm in NumPy, as ``functrace.scipy.linalg.schur``), with
    no derivative, as JAX's.  Ordering the eigenvalues (``sort_eig_vals``,
    ``select_callable``) is not supported: ``NotImplementedError``.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> t, vs = linalg.schur(np.array([[0.0, 2.0], [-2.0, 0.0]]))
    >>> t
    array([[ 0.,  2.],
           [-2.,  0.]])
    """
    if sort_eig_vals or select_callable is not None:
        raise NotImplementedError("lax.linalg.schur: ordering the eigenvalues (sort_eig_vals, "
                                  "select_callable) is not supported.")
    x = _matrices("schur", x, square=True)
    t, vs = dc.schur(x)
    return [t, vs] if compute_schur_vectors else [t]


def hessenberg(a: Any) -> tuple[Any, Any]:
    """``jax.lax.linalg.hessenberg``: the reduction of each square matrix of a stack to upper
    Hessenberg form, ``q^H a q = h``, in LAPACK's ``?gehrd`` format: ``(arr, taus)``.

    ``arr`` holds ``h`` on and above its sub-diagonal and, below it, the vectors of the
    ``n - 1`` reflectors ``I - taus[i] v v^H`` whose product is ``q`` (``v[:i + 1] = 0``,
    ``v[i + 1] = 1``).  Differentiable (JAX's has no derivative).

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> arr, taus = linalg.hessenberg(np.triu(np.ones((3, 3))))
    >>> taus
    array([0., 0.])
    """
    a = _matrices("hessenberg", a, square=True)
    n = aval(a).shape[-1]
    rows = np.arange(n)
    taus = []
    for i in range(n - 1):
        beta, tau, v = _reflector(a[..., i + 1, i], a[..., i + 2:, i])
        u = _unit_vector(v, i + 1, n)
        # a := a H (columns i+1:), then H^H a on rows i+1: and columns i+1: (column i, which
        # keeps the reflector, excluded), as ?gehd2.
        a = a - tau[..., None, None] * _outer(fnp.matmul(a, u[..., None])[..., 0], u)
        left = fnp.matmul(fnp.conj(u)[..., None, :], a)  # u^H a
        left = fnp.where(rows > i, left, 0.0)
        a = a - fnp.conj(tau)[..., None, None] * u[..., :, None] * left
        column = fnp.concatenate([a[..., :i + 1, i], beta[..., None], v], axis=-1)
        a = fnp.where(rows == i, column[..., :, None], a)
        taus.append(tau)
    if n == 1:
        return a, np.zeros((*aval(a).shape[:-2], 0), aval(a).dtype)
    return a, fnp.stack(taus, axis=-1)


def householder_product(a: Any, taus: Any) -> Any:
    """``jax.lax.linalg.householder_product``: the first ``n`` columns of
    ``H(0) H(1) ... H(k-1)``, ``H(i) = I - taus[i] v v^H`` with ``v`` column ``i`` of ``a``
    below the diagonal and ``v[i] = 1`` (LAPACK's ``?orgqr``/``?ungqr``), for ``a``
    ``(..., m, n)`` and ``taus`` ``(..., k)``, ``m >= n >= k``.  Differentiable in both.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> linalg.householder_product(np.zeros((2, 2)), np.array([2.0, 0.0]))
    array([[-1.,  0.],
           [ 0.,  1.]])
    """
    a, taus = _floats(a, taus)
    dc.check_matrices("lax.linalg.householder_product", aval(a), square=False)
    *lead, m, n = aval(a).shape
    k = aval(taus).shape[-1] if aval(taus).ndim else -1
    if aval(taus).shape[:-1] != tuple(lead) or not m >= n >= k:
        raise ValueError("lax.linalg.householder_product: expected a (..., m, n) and taus "
                         "(..., k) with the same leading axes and m >= n >= k; got a of shape "
                         f"{aval(a).shape} and taus of shape {aval(taus).shape}.")
    q: Any = np.broadcast_to(_eye(a, m, n), (*lead, m, n))
    for i in reversed(range(k)):
        u = _unit_vector(a[..., i + 1:, i], i, m)
        q = q - taus[..., i, None, None] * u[..., :, None] * fnp.matmul(
            fnp.conj(u)[..., None, :], q)
    return q


def ormqr(a: Any, taus: Any, c: Any, *, left: bool = True, transpose: bool = False) -> Any:
    """``jax.lax.linalg.ormqr``: ``q @ c`` (``left``) or ``c @ q``, or with ``q^H`` in place of
    ``q`` (``transpose``), for ``q = H(0) ... H(k-1)`` the ``m x m`` product of the reflectors
    stored as in :func:`householder_product` (``a`` ``(..., m, n)``, ``taus`` ``(..., k)``);
    ``q`` is never formed: each reflector is applied to ``c`` in turn (LAPACK's ``?orm2r``).
    Differentiable in all three arguments.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> linalg.ormqr(np.zeros((2, 1)), np.array([2.0]), np.array([[1.0], [5.0]]))
    array([[-1.],
           [ 5.]])
    """
    a, taus, c = _floats(a, taus, c)
    dc.check_matrices("lax.linalg.ormqr", aval(a), square=False)
    *lead, m, n = aval(a).shape
    k = aval(taus).shape[-1] if aval(taus).ndim else -1
    cs = aval(c).shape
    if (aval(taus).shape[:-1] != tuple(lead) or not 0 <= k <= min(m, n) or len(cs) < 2
            or cs[-2 if left else -1] != m):
        side = "(..., m, p)" if left else "(..., p, m)"
        raise ValueError(f"lax.linalg.ormqr: expected a (..., m, n), taus (..., k) with k <= "
                         f"min(m, n) and c {side}; got a of shape {aval(a).shape}, taus of "
                         f"shape {aval(taus).shape} and c of shape {cs}.")
    # q c applies H(k-1) first; q^H c applies H(0)^H first; c q applies H(0) first.
    order = range(k) if left == transpose else reversed(range(k))
    for i in order:
        u = _unit_vector(a[..., i + 1:, i], i, m)
        tau = fnp.conj(taus[..., i]) if transpose else taus[..., i]
        if left:
            c = c - tau[..., None, None] * u[..., :, None] * fnp.matmul(
                fnp.conj(u)[..., None, :], c)
        else:
            c = c - tau[..., None, None] * fnp.matmul(c, u[..., :, None]) * fnp.conj(
                u)[..., None, :]
    return c


# -- products, updates and the polar decomposition ----------------------------------------------


def cholesky_update(r_matrix: Any, w_vector: Any) -> Any:
    """``jax.lax.linalg.cholesky_update``: the upper triangular Cholesky factor ``r'`` of
    ``r^T r + w w^T``, given that of ``r^T r`` (``r`` ``(n, n)`` upper triangular, ``w``
    ``(n,)``; stacks too).  Computed as the Cholesky factor of the updated matrix (``O(n^3)``,
    not JAX's ``O(n^2)`` rotations), so it is differentiable.

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> linalg.cholesky_update(np.eye(2), np.array([0.0, np.sqrt(3.0)]))
    array([[1., 0.],
           [0., 2.]])
    """
    r, w = _floats(r_matrix, w_vector)
    dc.check_matrices("lax.linalg.cholesky_update", aval(r), square=True)
    if aval(w).shape != aval(r).shape[:-1]:
        raise ValueError("lax.linalg.cholesky_update: w_vector must be (..., n) for r_matrix "
                         f"(..., n, n); got {aval(w).shape} and {aval(r).shape}.")
    r = fnp.triu(r)
    updated = fnp.matmul(_mH(r), r) + _outer(w, w)
    return _mH(dc.cholesky(updated))


def symmetric_product(a_matrix: Any, c_matrix: Any, *, alpha: float = 1.0, beta: float = 0.0,
                      symmetrize_output: bool = False) -> Any:
    """``jax.lax.linalg.symmetric_product``: ``alpha a a^T + beta c`` (BLAS's ``syrk``), for
    ``a`` ``(..., m, k)`` and ``c`` ``(..., m, m)``.  With ``symmetrize_output``, the lower
    triangle is mirrored onto the upper one (JAX's: ``syrk`` computes one triangle).

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> linalg.symmetric_product(np.array([[1.0], [2.0]]), np.eye(2), beta=1.0)
    array([[2., 2.],
           [2., 5.]])
    """
    a, c = _floats(a_matrix, c_matrix)
    dc.check_matrices("lax.linalg.symmetric_product", aval(a), square=False)
    m = aval(a).shape[-2]
    if aval(c).shape != (*aval(a).shape[:-2], m, m):
        raise ValueError("lax.linalg.symmetric_product: c_matrix must be (..., m, m) for "
                         f"a_matrix (..., m, k); got {aval(c).shape} and {aval(a).shape}.")
    out = alpha * fnp.matmul(a, _mT(a)) + beta * c
    if symmetrize_output:
        out = fnp.tril(out) + _mT(fnp.tril(out, -1))
    return out


def qdwh(x: Any, *, is_hermitian: bool = False, max_iterations: int | None = None,
         eps: float | None = None, dynamic_shape: tuple[int, int] | None = None
         ) -> tuple[Any, Any, Any, Any]:
    """``jax.lax.linalg.qdwh``: the polar decomposition ``x = u h`` of each matrix ``(m, n)``,
    ``m >= n``, of a stack: ``u`` with orthonormal columns, ``h`` Hermitian positive
    semi-definite; returned as JAX's ``(u, h, num_iters, is_converged)``.

    Computed from the SVD ``x = w diag(s) vh`` (``u = w vh``, ``h = vh^H diag(s) vh``), not by
    JAX's QDWH iteration: ``num_iters`` is 0 and ``is_converged`` True, and ``is_hermitian``,
    ``max_iterations``, ``eps`` and ``dynamic_shape`` are ignored.  Differentiable through the
    SVD (so not where singular values repeat, although the polar factors are smooth there).

    >>> import numpy as np
    >>> from functrace.lax import linalg
    >>> u, h, num_iters, is_converged = linalg.qdwh(np.array([[0.0, 2.0], [3.0, 0.0]]))
    >>> u
    array([[0., 1.],
           [1., 0.]])
    """
    del is_hermitian, max_iterations, eps, dynamic_shape
    x = _matrices("qdwh", x)
    m, n = aval(x).shape[-2:]
    if m < n:
        raise ValueError(f"lax.linalg.qdwh: the input matrix of shape {m} x {n} must have "
                         "m >= n.")
    w, s, vh = dc.svd(x, full_matrices=False)
    u = fnp.matmul(w, vh)
    h = fnp.matmul(_mH(vh), s.astype(aval(x).dtype)[..., :, None] * vh)
    return u, (h + _mH(h)) / 2, np.int64(0), np.bool_(True)

