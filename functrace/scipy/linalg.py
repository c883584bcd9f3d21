"""``jax.scipy.linalg`` / ``scipy.linalg``: solves, factorizations, matrix functions and
special matrices, on traced or concrete arrays.

Everything is written on :mod:`functrace.numpy` and :mod:`functrace.numpy.linalg` (and the
``lu`` primitive, whose pivots depend on the values), so every function works under ``grad``,
``jvp``, ``vjp``, ``vmap`` and ``jit`` and their compositions.  Matrices may be stacks
``(..., m, n)``; integer and boolean arguments become float64 and float16 float32, as SciPy
converts them; float32 stays float32 and complex matrices are supported.

Functions that read one triangle of a matrix (:func:`solve_triangular`, :func:`cholesky`,
:func:`cho_solve`, :func:`eigh`, :func:`solve` with ``assume_a`` symmetric, Hermitian, positive
definite or triangular) ignore the other one, as LAPACK does, and their derivative with
respect to its entries is zero.  ``overwrite_*`` and ``check_finite`` are accepted and ignored,
as in JAX (a trace cannot check values).

>>> import numpy as np
>>> import functrace as ft
>>> from functrace.scipy import linalg
>>> a = np.array([[2.0, 0.0], [1.0, 4.0]])
>>> linalg.solve_triangular(a, np.array([2.0, 9.0]), lower=True)
array([1., 2.])
>>> np.round(linalg.expm(np.array([[0.0, 1.0], [-1.0, 0.0]])), 12)  # a rotation by 1 radian
array([[ 0.54030231,  0.84147098],
       [-0.84147098,  0.54030231]])
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.api import jvp
from functrace.core import Tracer
from functrace.custom_rules import custom_jvp
from functrace.lax import fori_loop
from functrace.lax import linalg as lax_linalg
from functrace.numpy._base import as_operand, aval, convert, result_dtype
from functrace.primitives import decompositions as dc
from functrace.scipy._inexact import inexact

__all__ = [
    "block_diag", "cho_factor", "cho_solve", "cholesky", "circulant", "companion",
    "convolution_matrix", "det", "dft", "eigh", "eigh_tridiagonal", "expm", "expm_frechet",
    "fiedler", "fiedler_companion", "funm", "hadamard", "hankel", "helmert", "hessenberg",
    "hilbert", "inv", "invhilbert", "invpascal", "leslie", "lu", "lu_factor", "lu_solve",
    "pascal", "polar", "qr", "qr_multiply", "rsf2csf", "schur", "solve", "solve_sylvester",
    "solve_triangular", "sqrtm", "svd", "toeplitz",
]


def _square(name: str, a: Any, what: str = "a") -> None:
    shape = aval(a).shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"scipy.linalg.{name}: expected {what} to be a square matrix or a stack "
                         f"of them (..., n, n), got shape {shape}.")


def _matrix(name: str, a: Any) -> None:
    if aval(a).ndim < 2:
        raise ValueError(f"scipy.linalg.{name}: expected a matrix or a stack of them (..., m, n), "
                         f"got shape {aval(a).shape}.")


def _mH(x: Any) -> Any:
    """The conjugate transpose of each matrix of a stack."""
    x = fnp.swapaxes(x, -1, -2)
    return fnp.conj(x) if aval(x).dtype.kind == "c" else x


def _as_columns(name: str, a: Any, b: Any) -> tuple[Any, bool]:
    """``b`` as a stack of matrices ``(..., n, k)`` matching the matrices ``a`` (a vector
    ``(n,)`` becomes ``(n, 1)``: the flag says so), as ``numpy.linalg.solve`` reads it."""
    n, shape = aval(a).shape[-1], aval(b).shape
    vector = len(shape) == 1
    if vector:
        b = fnp.reshape(b, (*shape, 1))
    if aval(b).ndim < 2 or aval(b).shape[-2] != n:
        raise ValueError(f"scipy.linalg.{name}: b of shape {shape} does not match a of shape "
                         f"{aval(a).shape} (expected (n,) or (..., n, k) with n = {n}).")
    return b, vector


def _from_columns(x: Any, vector: bool) -> Any:
    return x[..., 0] if vector else x


def _read_triangle(a: Any, lower: bool, unit_diagonal: bool = False) -> Any:
    """The triangular matrix that LAPACK reads from ``a``: the other triangle as zeros (a
    ``where``, so NaNs there do not leak), and ones on the diagonal if ``unit_diagonal``."""
    if not unit_diagonal:
        return fnp.tril(a) if lower else fnp.triu(a)
    n = aval(a).shape[-1]
    strict = fnp.tril(a, -1) if lower else fnp.triu(a, 1)
    return strict + np.eye(n, dtype=aval(a).dtype)


def _hermitian(a: Any, lower: bool, conjugate: bool = True) -> Any:
    """The symmetric (``conjugate=False``) or Hermitian matrix whose lower (upper) triangle is
    that of ``a``; LAPACK takes the real part of a Hermitian matrix's diagonal."""
    strict = fnp.tril(a, -1) if lower else fnp.triu(a, 1)
    mirrored = fnp.swapaxes(strict, -1, -2)
    if conjugate and aval(a).dtype.kind == "c":
        mirrored = fnp.conj(mirrored)
        diagonal = fnp.real(fnp.diagonal(a, axis1=-2, axis2=-1))
    else:
        diagonal = fnp.diagonal(a, axis1=-2, axis2=-1)
    eye = np.eye(aval(a).shape[-1], dtype=aval(a).dtype)
    return strict + mirrored + fnp.expand_dims(diagonal, -1) * eye


# -- triangular solves and the Cholesky factorization --------------------------------------------

_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}


def solve_triangular(a: Any, b: Any, trans: int | str = 0, lower: bool = False,
                     unit_diagonal: bool = False, overwrite_b: bool = False, debug: Any = None,
                     check_finite: bool = True) -> Any:
    """``scipy.linalg.solve_triangular``: ``x`` with ``op(t) @ x == b``, ``t`` the lower (or
    upper) triangle of ``a`` and ``op`` the identity (``trans=0`` or ``'N'``), the transpose
    (``1``, ``'T'``) or the conjugate transpose (``2``, ``'C'``).  With ``unit_diagonal`` the
    diagonal is taken as ones and not read.

    ``a`` is ``(..., n, n)``; ``b`` is ``(n,)`` or ``(..., n, k)``, its leading axes broadcast
    against ``a``'s (JAX's rule; SciPy 1.17 reads the same shapes).  Solved by
    :func:`functrace.numpy.linalg.solve` on the triangle, so the derivative with respect to the
    entries not read is zero.

    >>> import numpy as np
    >>> solve_triangular(np.array([[2.0, 1.0], [7.0, 4.0]]), np.array([4.0, 8.0]))  # 7 unread
    array([1., 2.])
    """
    del overwrite_b, debug, check_finite
    if isinstance(trans, bool) or trans not in _TRANS:
        raise ValueError(f"scipy.linalg.solve_triangular: trans must be 0, 1, 2, 'N', 'T' or "
                         f"'C', got {trans!r}.")
    a, b = inexact(a, b)
    _square("solve_triangular", a)
    b, vector = _as_columns("solve_triangular", a, b)
    t = _read_triangle(a, lower, unit_diagonal)
    op = _TRANS[trans]
    if op:
        t = _mH(t) if op == 2 else fnp.swapaxes(t, -1, -2)
    return _from_columns(fnp.linalg.solve(t, b), vector)


def cholesky(a: Any, lower: bool = False, overwrite_a: bool = False,
             check_finite: bool = True) -> Any:
    """``scipy.linalg.cholesky``: the upper triangular ``u`` with ``a = u^H @ u`` (SciPy's
    default, read from ``a``'s upper triangle), or with ``lower=True`` the lower triangular
    ``l`` with ``a = l @ l^H`` (read from the lower triangle), for each Hermitian positive
    definite matrix of a stack.  A matrix that is not positive definite raises NumPy's
    ``LinAlgError``.

    >>> import numpy as np
    >>> cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
    array([[2., 1.],
           [0., 2.]])
    """
    del overwrite_a, check_finite
    (a,) = inexact(a)
    _square("cholesky", a)
    return fnp.linalg.cholesky(a, upper=not lower)


def cho_factor(a: Any, lower: bool = False, overwrite_a: bool = False,
               check_finite: bool = True) -> tuple[Any, bool]:
    """``scipy.linalg.cho_factor``: ``(c, lower)`` for :func:`cho_solve`, ``c`` the Cholesky
    factor of :func:`cholesky`.  The triangle of ``c`` that is not the factor holds zeros, as in
    JAX (SciPy leaves ``a``'s entries there); :func:`cho_solve` does not read it."""
    del overwrite_a, check_finite
    return cholesky(a, lower=lower), bool(lower)


def cho_solve(c_and_lower: tuple[Any, bool], b: Any, overwrite_b: bool = False,
              check_finite: bool = True) -> Any:
    """``scipy.linalg.cho_solve``: ``x`` with ``a @ x == b`` from ``(c, lower) =
    cho_factor(a)``, by two triangular solves; only the factor's triangle of ``c`` is read.
    ``b`` is ``(n,)`` or ``(..., n, k)``.

    >>> import numpy as np
    >>> a = np.array([[4.0, 2.0], [2.0, 5.0]])
    >>> cho_solve(cho_factor(a), a @ np.array([1.0, -1.0]))
    array([ 1., -1.])
    """
    del overwrite_b, check_finite
    if not isinstance(c_and_lower, (tuple, list)) or len(c_and_lower) != 2:
        raise TypeError("scipy.linalg.cho_solve: expected c_and_lower = (c, lower), as "
                        f"cho_factor returns, got {type(c_and_lower).__name__}.")
    c, lower = c_and_lower
    c, b = inexact(c, b)
    _square("cho_solve", c, "c")
    b, vector = _as_columns("cho_solve", c, b)
    # a = l l^H: x = l^-H (l^-1 b);  a = u^H u: x = u^-1 (u^-H b).
    first, second = (0, 2) if lower else (2, 0)
    y = solve_triangular(c, b, trans=first, lower=lower)
    return _from_columns(solve_triangular(c, y, trans=second, lower=lower), vector)


# -- the LU factorization ------------------------------------------------------------------------


def lu_factor(a: Any, overwrite_a: bool = False, check_finite: bool = True
              ) -> tuple[Any, Any]:
    """``scipy.linalg.lu_factor``: ``(lu, piv)`` for :func:`lu_solve`.  ``lu`` holds the unit
    lower triangular ``l`` below its diagonal and ``u`` on and above it; ``piv`` (int32,
    0-based) says that row ``i`` was swapped with row ``piv[i]``, in order.  Partial pivoting,
    as LAPACK's ``getrf``; the pivots are chosen on the values when the ``lu`` primitive runs,
    so this works under ``jit`` and ``vmap`` too.  ``lu`` is differentiable (through the fixed
    row order); ``piv`` is an integer array without derivative."""
    del overwrite_a, check_finite
    (a,) = inexact(a)
    _matrix("lu_factor", a)
    packed, pivots, _ = dc.lu(a)
    return packed, pivots


def lu_solve(lu_and_piv: tuple[Any, Any], b: Any, trans: int = 0, overwrite_b: bool = False,
             check_finite: bool = True) -> Any:
    """``scipy.linalg.lu_solve``: ``x`` with ``a @ x == b`` (``trans=0``), ``a^T @ x == b``
    (``1``) or ``a^H @ x == b`` (``2``), from ``(lu, piv) = lu_factor(a)``.  ``b`` is ``(n,)``
    or ``(..., n, k)``.

    >>> import numpy as np
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> lu_solve(lu_factor(a), np.array([5.0, 11.0]))
    array([1., 2.])
    """
    del overwrite_b, check_finite
    if not isinstance(lu_and_piv, (tuple, list)) or len(lu_and_piv) != 2:
        raise TypeError("scipy.linalg.lu_solve: expected lu_and_piv = (lu, piv), as lu_factor "
                        f"returns, got {type(lu_and_piv).__name__}.")
    if isinstance(trans, bool) or trans not in (0, 1, 2):
        raise ValueError(f"scipy.linalg.lu_solve: trans must be 0, 1 or 2, got {trans!r}.")
    packed, pivots = lu_and_piv
    packed, b = inexact(packed, b)
    _square("lu_solve", packed, "lu")
    pivots = as_operand(pivots)
    n = aval(packed).shape[-1]
    if aval(pivots).dtype.kind not in "iu" or aval(pivots).shape[-1:] != (n,):
        raise ValueError(f"scipy.linalg.lu_solve: piv must be integers of shape (..., {n}) for lu "
                         f"of shape {aval(packed).shape}, got {aval(pivots).str_short()}.")
    b, vector = _as_columns("lu_solve", packed, b)
    # a[perm] = l u, i.e. a = p^T l u with p @ x = x[perm].
    p = dc.permutation_matrix(lax_linalg.lu_pivots_to_permutation(pivots, n), aval(packed).dtype)
    if trans == 0:
        y = solve_triangular(packed, fnp.matmul(p, b), lower=True, unit_diagonal=True)
        x = solve_triangular(packed, y)
    else:
        y = solve_triangular(packed, b, trans=trans)
        x = fnp.matmul(fnp.swapaxes(p, -1, -2),
                       solve_triangular(packed, y, trans=trans, lower=True, unit_diagonal=True))
    return _from_columns(x, vector)


def lu(a: Any, permute_l: bool = False, overwrite_a: bool = False, check_finite: bool = True,
       p_indices: bool = False) -> tuple[Any, ...]:
    """``scipy.linalg.lu``: ``(p, l, u)`` with ``a = p @ l @ u`` for each matrix ``(m, n)`` of a
    stack: ``p`` a permutation matrix ``(m, m)`` (real, in ``a``'s real dtype), ``l`` unit
    lower triangular ``(m, k)``, ``u`` upper triangular ``(k, n)``, ``k = min(m, n)``.  With
    ``p_indices=True``, ``p`` is the row indices (int32) with ``a == (l @ u)[p]``; with
    ``permute_l=True`` the result is ``(p @ l, u)``.  Partial pivoting, as LAPACK's ``getrf``
    (see :func:`lu_factor`); ``l`` and ``u`` are differentiable, through the row order chosen
    at the point.

    >>> import numpy as np
    >>> p, l, u = lu(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> p
    array([[0., 1.],
           [1., 0.]])
    >>> u
    array([[3.        , 4.        ],
           [0.        , 0.66666667]])
    """
    del overwrite_a, check_finite
    (a,) = inexact(a)
    _matrix("lu", a)
    packed, _, perm = dc.lu(a)
    m, n = aval(a).shape[-2:]
    k = builtins.min(m, n)
    dtype = aval(a).dtype
    l_ = fnp.tril(packed[..., :, :k], -1) + np.eye(m, k, dtype=dtype)
    u = fnp.triu(packed[..., :k, :])
    if permute_l:  # p @ l: the rows of l in the inverse order
        inverse = fnp.argsort(perm, axis=-1)
        return fnp.take_along_axis(l_, inverse[..., None], axis=-2), u
    if p_indices:
        return fnp.argsort(perm, axis=-1).astype(np.int32), l_, u
    # p[i, j] = 1 where perm[j] == i: the transpose of the matrix that applies perm.
    p = fnp.swapaxes(dc.permutation_matrix(perm, np.finfo(dtype).dtype), -1, -2)
    return p, l_, u


# -- numpy.linalg's functions with SciPy's arguments ---------------------------------------------

_ASSUME_A = {None: "gen", "gen": "gen", "general": "gen", "banded": "gen",
             "sym": "sym", "symmetric": "sym", "her": "her", "hermitian": "her",
             "pos": "pos", "positive definite": "pos", "diagonal": "diagonal",
             "tridiagonal": "tridiagonal", "upper triangular": "upper",
             "lower triangular": "lower"}


def solve(a: Any, b: Any, lower: bool = False, overwrite_a: bool = False,
          overwrite_b: bool = False, check_finite: bool = True, assume_a: str | None = None,
          transposed: bool = False) -> Any:
    """``scipy.linalg.solve``: ``x`` with ``a @ x == b`` (``a.T @ x == b`` if ``transposed``).

    ``assume_a`` says what to read of ``a``, as SciPy's LAPACK drivers do: ``'gen'`` (or
    ``'general'``, ``'banded'``, None) all of it; ``'sym'`` / ``'her'`` / ``'pos'`` (or
    ``'symmetric'``, ``'hermitian'``, ``'positive definite'``) one triangle (the lower one if
    ``lower``, else the upper one), mirrored, ``'pos'`` by a Cholesky factorization (which
    raises ``LinAlgError`` if the matrix is not positive definite); ``'upper triangular'`` /
    ``'lower triangular'`` that triangle; ``'diagonal'`` and ``'tridiagonal'`` those
    diagonals.  The entries not read have a zero derivative.  ``b`` is ``(n,)`` or
    ``(..., n, k)``, its leading axes broadcast against ``a``'s.  Unlike SciPy, ``transposed``
    works for complex ``a`` too (the transpose, not the conjugate transpose); None does not
    look for structure in the values (the result is the same).

    >>> import numpy as np
    >>> solve(np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([9.0, 8.0]))
    array([2., 3.])
    """
    del overwrite_a, overwrite_b, check_finite
    if assume_a not in _ASSUME_A:
        raise ValueError(f"scipy.linalg.solve: {assume_a!r} is not a recognized matrix structure "
                         f"(use one of {sorted(k for k in _ASSUME_A if k)}).")
    kind = _ASSUME_A[assume_a]
    a, b = inexact(a, b)
    _square("solve", a)
    b, vector = _as_columns("solve", a, b)
    if kind in ("sym", "her", "pos"):
        a = _hermitian(a, lower, conjugate=kind != "sym")
    elif kind in ("upper", "lower"):
        a = _read_triangle(a, kind == "lower")
    elif kind in ("diagonal", "tridiagonal"):
        band = np.abs(np.subtract.outer(np.arange(aval(a).shape[-1]),
                                        np.arange(aval(a).shape[-1]))) <= (kind == "tridiagonal")
        a = fnp.where(band, a, np.zeros((), aval(a).dtype))
    if transposed:
        a = fnp.swapaxes(a, -1, -2)
    if kind == "pos":
        x = cho_solve(cho_factor(a, lower=True), b)
    else:
        x = fnp.linalg.solve(a, b)
    return _from_columns(x, vector)


def inv(a: Any, overwrite_a: bool = False, check_finite: bool = True, *,
        assume_a: str | None = None, lower: bool = False) -> Any:
    """``scipy.linalg.inv``: the inverse of each square matrix of a stack, reading ``a`` as
    :func:`solve`'s ``assume_a`` and ``lower`` say.  A singular matrix raises NumPy's
    ``LinAlgError``."""
    del overwrite_a, check_finite
    (a,) = inexact(a)
    _square("inv", a)
    if assume_a in (None, "gen", "general"):
        return fnp.linalg.inv(a)
    n = aval(a).shape[-1]
    eye = np.broadcast_to(np.eye(n, dtype=aval(a).dtype), aval(a).shape)
    return solve(a, eye, lower=lower, assume_a=assume_a)


def det(a: Any, overwrite_a: bool = False, check_finite: bool = True) -> Any:
    """``scipy.linalg.det``: the determinant of each square matrix of a stack (differentiable
    twice everywhere, singular matrices included: see :func:`functrace.numpy.linalg.det`)."""
    del overwrite_a, check_finite
    (a,) = inexact(a)
    _square("det", a)
    return fnp.linalg.det(a)


_EIGH_DRIVERS = (None, "ev", "evd", "evr", "evx", "gv", "gvd", "gvx")


def eigh(a: Any, b: Any = None, lower: bool = True, eigvals_only: bool = False,
         overwrite_a: bool = False, overwrite_b: bool = False, type: int = 1,  # noqa: A002
         check_finite: bool = True, subset_by_index: Sequence[int] | None = None,
         subset_by_value: Any = None, driver: str | None = None) -> Any:
    """``scipy.linalg.eigh``: ascending eigenvalues ``w`` and eigenvectors ``v`` (columns) of
    each Hermitian matrix ``a`` of a stack, read from its lower (``lower=True``) or upper
    triangle; ``w`` alone with ``eigvals_only``.

    With ``b`` (Hermitian positive definite, read from the same triangle), the generalized
    problem: ``a v = w b v`` (``type=1``), ``a b v = w v`` (``2``) or ``b a v = w v`` (``3``),
    reduced to a standard one through the Cholesky factor ``l`` of ``b`` (as LAPACK's
    ``hegv``), the eigenvectors normalized as SciPy's: ``v^H b v = I`` (types 1, 2),
    ``v^H b^-1 v = I`` (3).  ``subset_by_index=(lo, hi)`` keeps eigenvalues ``lo..hi``
    (inclusive).  ``subset_by_value`` would give a number of eigenvalues that depends on the
    values: ``NotImplementedError``.  ``driver`` is accepted and ignored.  Derivatives as
    :func:`functrace.numpy.linalg.eigh` (the eigenvectors' are undefined at repeated
    eigenvalues).  Each eigenvector's sign (phase) is LAPACK's choice.

    >>> import numpy as np
    >>> eigh(np.array([[2.0, 1.0], [1.0, 2.0]]), eigvals_only=True)
    array([1., 3.])
    """
    del overwrite_a, overwrite_b, check_finite
    if driver not in _EIGH_DRIVERS:
        raise ValueError(f"scipy.linalg.eigh: driver must be one of {_EIGH_DRIVERS[1:]}, got "
                         f"{driver!r}.")
    if subset_by_value is not None:
        raise NotImplementedError("scipy.linalg.eigh: subset_by_value is not supported (the "
                                  "number of eigenvalues kept would depend on the values).")
    if type not in (1, 2, 3):
        raise ValueError(f"scipy.linalg.eigh: type must be 1, 2 or 3, got {type!r}.")
    operands = [a] if b is None else [a, b]
    ops = inexact(*operands)
    a = ops[0]
    _square("eigh", a)
    uplo = "L" if lower else "U"
    if b is None:
        w, v = fnp.linalg.eigh(a, UPLO=uplo)
    else:
        b = ops[1]
        _square("eigh", b, "b")
        if aval(b).shape[-1] != aval(a).shape[-1]:
            raise ValueError(f"scipy.linalg.eigh: a of shape {aval(a).shape} and b of shape "
                             f"{aval(b).shape} differ in size.")
        l_ = fnp.linalg.cholesky(b, upper=not lower)
        if not lower:
            l_ = _mH(l_)  # b = l l^H, l lower triangular
        full = _hermitian(a, lower)
        if type == 1:  # l^-1 a l^-H y = w y, v = l^-H y
            c = solve_triangular(l_, _mH(solve_triangular(l_, full, lower=True)), lower=True)
        else:  # l^H a l y = w y; v = l^-H y (type 2) or l y (type 3)
            c = fnp.matmul(_mH(l_), fnp.matmul(full, l_))
        w, y = fnp.linalg.eigh(c)
        v = solve_triangular(l_, y, trans=2, lower=True) if type < 3 else fnp.matmul(l_, y)
    if subset_by_index is not None:
        lo, hi = (int(i) for i in subset_by_index)
        n = aval(a).shape[-1]
        if not 0 <= lo <= hi < n:
            raise ValueError(f"scipy.linalg.eigh: subset_by_index must be (lo, hi) with "
                             f"0 <= lo <= hi < {n}, got {tuple(subset_by_index)!r}.")
        w, v = w[..., lo:hi + 1], v[..., lo:hi + 1]
    return w if eigvals_only else (w, v)


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True, overwrite_a: bool = False,
        check_finite: bool = True, lapack_driver: str = "gesdd") -> Any:
    """``scipy.linalg.svd``: ``(u, s, vh)`` with ``a = u @ diag(s) @ vh`` and ``s``
    descending, or ``s`` alone with ``compute_uv=False``, for each matrix of a stack (see
    :func:`functrace.numpy.linalg.svd` for the derivatives; ``lapack_driver`` is accepted and
    ignored).

    >>> import numpy as np
    >>> svd(np.array([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False)
    array([4., 3.])
    """
    del overwrite_a, check_finite
    if lapack_driver not in ("gesdd", "gesvd"):
        raise ValueError(f"scipy.linalg.svd: lapack_driver must be 'gesdd' or 'gesvd', got "
                         f"{lapack_driver!r}.")
    (a,) = inexact(a)
    _matrix("svd", a)
    if not compute_uv:
        return fnp.linalg.svd(a, compute_uv=False)
    return tuple(fnp.linalg.svd(a, full_matrices=full_matrices))


def qr(a: Any, overwrite_a: bool = False, lwork: Any = None, mode: str = "full",
       pivoting: bool = False, check_finite: bool = True) -> Any:
    """``scipy.linalg.qr``: ``(q, r)`` with ``a = q @ r`` for each matrix ``(m, n)`` of a stack.
    ``mode``: ``'full'`` (``q: (m, m)``, ``r: (m, n)``), ``'economic'`` (``q: (m, k)``,
    ``r: (k, n)``, ``k = min(m, n)``) or ``'r'`` (the tuple ``(r,)``, ``r: (m, n)``, as SciPy).
    ``'full'`` has no derivative for tall matrices (the extra columns of ``q`` are any basis of
    a complement: ``NotImplementedError``); ``'r'`` and ``'economic'`` have.  ``'raw'`` raises
    ``NotImplementedError``.  The signs of ``r``'s diagonal are LAPACK's.

    ``pivoting=True`` also returns the column order ``p`` (int32) of a rank-revealing QR,
    ``a[..., p] = q @ r`` with ``|diag(r)|`` non-increasing (LAPACK's ``geqp3``): ``p`` comes
    from the ``qr_pivots`` primitive (chosen on the values, so under ``jit`` too; among columns
    whose remaining norms tie, as in rank-deficient matrices, the order may differ from
    LAPACK's), and the derivative is that of the QR of the reordered columns.

    >>> import numpy as np
    >>> (r,) = qr(np.array([[3.0], [4.0]]), mode="r")
    >>> np.abs(r)
    array([[5.],
           [0.]])
    >>> q, r, p = qr(np.array([[1.0, 3.0], [0.0, 4.0]]), pivoting=True)
    >>> p, np.abs(np.diag(r))
    (array([1, 0], dtype=int32), array([5. , 0.8]))
    """
    del overwrite_a, lwork, check_finite
    if mode not in ("full", "economic", "r"):
        if mode == "raw":
            raise NotImplementedError("scipy.linalg.qr: mode='raw' (LAPACK's Householder "
                                      "reflectors) is not supported.")
        raise ValueError(f"scipy.linalg.qr: mode must be 'full', 'economic', 'r' or 'raw', got "
                         f"{mode!r}.")
    (a,) = inexact(a)
    _matrix("qr", a)
    order: tuple[Any, ...] = ()
    if pivoting:
        order = (dc.qr_pivots(a),)
        a = fnp.take_along_axis(a, order[0][..., None, :], axis=-1)
    if mode == "r":
        r = fnp.linalg.qr(a, mode="r")
        m, n = aval(a).shape[-2:]
        if m > n:  # SciPy's r has m rows: pad the reduced one with zero rows (differentiable)
            r = fnp.concatenate([r, fnp.zeros((*aval(r).shape[:-2], m - n, n),
                                              aval(r).dtype)], axis=-2)
        return (r, *order)
    return (*fnp.linalg.qr(a, mode="complete" if mode == "full" else "reduced"), *order)


# -- matrix functions --------------------------------------------------------------------------

# Padé approximants r_m = (V - U)^-1 (V + U) of exp, U odd and V even in A (Higham 2005): the
# coefficients b_0..b_m, and theta_m, the largest 1-norm for which r_m(A) = exp(A + E) with
# |E| <= unit roundoff |A|: m = 13 for float64 / complex128, m = 7 for float32 / complex64.
_PADE13: tuple[float, ...] = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
    129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
    40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_PADE7: tuple[float, ...] = (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0)
_THETA = {13: 5.371920351148152, 7: 3.925724783138660}


def _pade(a: Any, order: int) -> tuple[Any, Any]:
    """``(U, V)`` of the order-13 or order-7 approximant, by Higham's evaluation schemes."""
    mm = fnp.matmul
    eye = np.eye(aval(a).shape[-1], dtype=aval(a).dtype)
    a2 = mm(a, a)
    a4 = mm(a2, a2)
    a6 = mm(a4, a2)
    if order == 7:
        b = _PADE7
        u = mm(a, a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)  # b[7] = 1
        return u, b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    b = _PADE13
    u = mm(a, mm(a6, a6 + b[11] * a4 + b[9] * a2)  # b[13] = 1
           + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = mm(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2
    return u, v + b[0] * eye


def expm(A: Any, *, upper_triangular: bool = False,  # noqa: N803 - SciPy's name
         max_squarings: int | None = None) -> Any:
    """``scipy.linalg.expm``: the matrix exponential of each square matrix of a stack.

    Scaling and squaring (Higham 2005): ``A / 2**s``, its 1-norm at most ``theta_m``, goes
    through the Padé approximant of order ``m = 13`` (float64, complex128; ``m = 7`` for
    float32, complex64), ``exp(A / 2**s)`` is solved for, then squared ``s`` times.  ``s``
    depends on the values: it is computed from a ``stop_gradient`` of ``A`` (so it has no
    derivative, as a locally constant choice) and the squarings are a
    :func:`functrace.lax.fori_loop`, a ``while`` loop under ``jit`` and ``vmap``.  Everything
    is a functrace operation: the derivatives of every order are those of the approximation
    (Al-Mohy and Higham show they approximate the exponential's as well), under every
    transformation.  In float64 the values were within 6e-15 of the largest entry of 40- and
    50-digit references on the random matrices we tried (SciPy's, by Al-Mohy and Higham 2009,
    which can square fewer times, within 1e-13).

    ``upper_triangular=True`` (JAX's option) reads only the upper triangle.  ``max_squarings``
    (JAX's, default 16 there): None (SciPy's behaviour) squares as often as needed; an integer
    caps ``s`` and gives NaN where more squarings were needed, as JAX.

    >>> import numpy as np
    >>> expm(np.array([[1.0, 1.0], [0.0, 1.0]]))  # e * [[1, 1], [0, 1]]
    array([[2.71828183, 2.71828183],
           [0.        , 2.71828183]])
    """
    (a,) = inexact(A)
    _square("expm", a, "A")
    if upper_triangular:
        a = fnp.triu(a)
    shape, dtype = aval(a).shape, aval(a).dtype
    n = shape[-1]
    if n == 0 or 0 in shape:
        return fnp.zeros(shape, dtype)
    if n == 1:
        return fnp.exp(a)
    order = 13 if np.finfo(dtype).bits == 64 else 7
    real = np.finfo(dtype).dtype
    norm = fnp.max(fnp.sum(fnp.abs(fnp.stop_gradient(a)), axis=-2), axis=-1)
    # s = ceil(log2(|A|_1 / theta)), at least 0 (0 also for NaN or inf entries: the result is
    # then NaN either way).
    s = fnp.ceil(fnp.log2(fnp.maximum(norm, _THETA[order]) / _THETA[order]))
    s = fnp.where(fnp.isfinite(s), s, 0.0)
    if max_squarings is not None:
        too_many = s > max_squarings
        s = fnp.minimum(s, float(max_squarings))
    scale = fnp.exp2(-s).astype(real)
    u, v = _pade(a * scale[..., None, None], order)
    r = fnp.linalg.solve(v - u, v + u)
    steps = s.astype(np.int32)
    if len(shape) == 2:
        r = fori_loop(0, steps, lambda i, x: fnp.matmul(x, x), r)
    else:  # each matrix of the stack squared its own number of times
        more = steps[..., None, None]
        r = fori_loop(0, fnp.max(steps),
                      lambda i, x: fnp.where(i < more, fnp.matmul(x, x), x), r)
    if max_squarings is not None:
        r = fnp.where(too_many[..., None, None], np.asarray(np.nan, dtype), r)
    return r


def expm_frechet(A: Any, E: Any, method: str | None = None,  # noqa: N803 - SciPy's names
                 compute_expm: bool = True, check_finite: bool = True) -> Any:
    """``scipy.linalg.expm_frechet``: the Fréchet derivative of :func:`expm` at ``A`` in the
    direction ``E`` (the jvp of :func:`expm`, as in JAX), with ``expm(A)`` first if
    ``compute_expm``.  ``method`` is accepted and ignored.

    >>> import numpy as np
    >>> e, d = expm_frechet(np.zeros((2, 2)), np.eye(2))
    >>> d
    array([[1., 0.],
           [0., 1.]])
    """
    del check_finite
    if method not in (None, "SPS", "blockEnlarge"):
        raise ValueError(f"scipy.linalg.expm_frechet: unknown method {method!r} (None, 'SPS' "
                         "or 'blockEnlarge').")
    a, e = inexact(A, E)
    _square("expm_frechet", a, "A")
    if aval(a).shape != aval(e).shape:
        raise ValueError(f"scipy.linalg.expm_frechet: A of shape {aval(a).shape} and E of shape "
                         f"{aval(e).shape} must have the same shape.")
    value, derivative = jvp(expm, (a,), (e,))
    return (value, derivative) if compute_expm else derivative


def polar(a: Any, side: str = "right") -> tuple[Any, Any]:
    """``scipy.linalg.polar``: ``(u, p)`` with ``a = u @ p`` (``side='right'``) or
    ``a = p @ u`` (``'left'``), ``u`` with orthonormal columns (rows, for a wide ``a``) and
    ``p`` Hermitian positive semidefinite, for each matrix ``(m, n)`` of a stack.  From the
    reduced SVD ``a = w diag(s) vh``: ``u = w @ vh``, ``p = vh^H diag(s) vh`` (right) or
    ``w diag(s) w^H`` (left), so its derivative is the SVD's: undefined where singular values
    repeat (an orthogonal ``a``, say), as JAX's ``method='svd'``.

    >>> import numpy as np
    >>> u, p = polar(np.array([[0.0, 2.0], [3.0, 0.0]]))
    >>> u
    array([[0., 1.],
           [1., 0.]])
    >>> p
    array([[3., 0.],
           [0., 2.]])
    """
    if side not in ("right", "left"):
        raise ValueError(f"scipy.linalg.polar: side must be 'right' or 'left', got {side!r}.")
    (a,) = inexact(a)
    _matrix("polar", a)
    w, s, vh = fnp.linalg.svd(a, full_matrices=False)
    u = fnp.matmul(w, vh)
    s = s.astype(aval(a).dtype)[..., None, :]
    p = fnp.matmul(_mH(vh) * s, vh) if side == "right" else fnp.matmul(w * s, _mH(w))
    return u, p


def _kron_sylvester(a: Any, b: Any, q: Any) -> Any:
    """``x`` with ``a @ x + x @ b == q`` for stacks ``a: (..., m, m)``, ``b: (..., n, n)``,
    ``q: (..., m, n)``, as one linear system of size ``m n``: with ``x`` flattened row-major,
    ``(a kron I_n + I_m kron b^T) vec(x) = vec(q)``."""
    m, n = aval(a).shape[-1], aval(b).shape[-1]
    lead = aval(q).shape[:-2]
    eye_m, eye_n = np.eye(m, dtype=aval(a).dtype), np.eye(n, dtype=aval(b).dtype)
    # big[..., (i, j), (k, l)] = a[i, k] delta[j, l] + delta[i, k] b[l, j]
    big = (fnp.einsum("...ik,jl->...ijkl", a, eye_n)
           + fnp.einsum("ik,...lj->...ijkl", eye_m, b)).reshape((*lead, m * n, m * n))
    x = fnp.linalg.solve(big, fnp.reshape(q, (*lead, m * n, 1)))
    return fnp.reshape(x, (*lead, m, n))


def solve_sylvester(a: Any, b: Any, q: Any) -> Any:
    """``scipy.linalg.solve_sylvester``: ``x`` with ``a @ x + x @ b == q`` (``a: (m, m)``,
    ``b: (n, n)``, ``q: (m, n)``, or stacks of them).  Solved as one linear system of size
    ``m n`` (Kronecker products) rather than by SciPy's Bartels-Stewart (Schur) method: exact
    derivatives of every order through ``solve``, for ``O(m^3 n^3)`` work, meant for small
    matrices.  Singular when ``a`` and ``-b`` share an eigenvalue (``LinAlgError``).

    >>> import numpy as np
    >>> solve_sylvester(np.diag([1.0, 2.0]), np.array([[3.0]]), np.array([[4.0], [10.0]]))
    array([[1.],
           [2.]])
    """
    a, b, q = inexact(a, b, q)
    _square("solve_sylvester", a)
    _square("solve_sylvester", b, "b")
    m, n = aval(a).shape[-1], aval(b).shape[-1]
    if aval(q).ndim < 2 or aval(q).shape[-2:] != (m, n):
        raise ValueError(f"scipy.linalg.solve_sylvester: q must be (..., {m}, {n}) for a of shape "
                         f"{aval(a).shape} and b of shape {aval(b).shape}, got "
                         f"{aval(q).shape}.")
    lead = np.broadcast_shapes(aval(a).shape[:-2], aval(b).shape[:-2], aval(q).shape[:-2])
    a, b, q = (fnp.broadcast_to(x, (*lead, *aval(x).shape[-2:])) for x in (a, b, q))
    return _kron_sylvester(a, b, q)


@custom_jvp
def _sqrtm(a: Any) -> Any:
    w, v = fnp.linalg.eig(a)
    return fnp.matmul(v * fnp.sqrt(w)[..., None, :], fnp.linalg.inv(v))


@_sqrtm.defjvp
def _sqrtm_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
    # X X = A gives X dX + dX X = dA, a Sylvester equation in dX: solved on X alone, so every
    # order of derivative exists wherever X is a (nonsingular) principal square root, repeated
    # eigenvalues included.
    (a,), (a_dot,) = primals, tangents
    x = _sqrtm(a)
    return x, _kron_sylvester(x, x, a_dot.astype(aval(x).dtype))


def sqrtm(A: Any, disp: Any = None, blocksize: Any = None) -> Any:  # noqa: N803 - SciPy's name
    """``scipy.linalg.sqrtm``: the principal square root ``x`` (``x @ x == A``, eigenvalues
    with positive real part) of each square matrix of a stack, always complex, as JAX's (SciPy
    returns a real array when the root is real: a dtype that depends on the values).

    The value is ``v diag(sqrt(w)) v^-1`` from :func:`functrace.numpy.linalg.eig`: accurate to
    about ``cond(v)`` units in the last place, so for diagonalizable matrices with
    well-conditioned eigenvectors (SciPy's Schur method also handles defective ones).  The
    derivative solves ``x dx + dx x = dA`` (a custom jvp; ``O(n^6)``, for small matrices), so
    it exists to every order, also at repeated eigenvalues.  ``disp`` and ``blocksize`` are
    accepted and ignored.

    >>> import numpy as np
    >>> sqrtm(np.array([[4.0, 0.0], [0.0, 9.0]])).real
    array([[2., 0.],
           [0., 3.]])
    """
    del disp, blocksize
    (a,) = inexact(A)
    _square("sqrtm", a, "A")
    return _sqrtm(a)


# -- Hessenberg and QR products ---------------------------------------------------------------


def hessenberg(a: Any, *, calc_q: bool = False, overwrite_a: bool = False,
               check_finite: bool = True) -> Any:
    """``jax.scipy.linalg.hessenberg``: the upper Hessenberg form ``h`` (zero below the first
    sub-diagonal) of each square matrix of a stack, ``a = q @ h @ q^H`` with ``q`` unitary;
    ``(h, q)`` with ``calc_q``.

    Built on :func:`functrace.lax.linalg.hessenberg` (LAPACK's ``?gehrd`` reflectors, so ``h``
    and ``q`` are LAPACK's, sign for sign) and :func:`functrace.lax.linalg.householder_product`
    (``q``'s first row and column are those of the identity), as JAX's.  Differentiable to any
    order (JAX's is not).  ``overwrite_a`` and ``check_finite`` are accepted and ignored.

    >>> import numpy as np
    >>> h, q = hessenberg(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [0.0, 8.0, 9.0]]),
    ...                   calc_q=True)
    >>> np.allclose(q @ h @ q.T, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [0.0, 8.0, 9.0]])
    True
    >>> float(h[2, 0])
    0.0
    """
    del overwrite_a, check_finite
    (a,) = inexact(a)
    _square("hessenberg", a)
    shape, dtype = aval(a).shape, aval(a).dtype
    n = shape[-1]
    if n == 0:
        return (fnp.zeros(shape, dtype), fnp.zeros(shape, dtype)) if calc_q else fnp.zeros(
            shape, dtype)
    packed, taus = lax_linalg.hessenberg(a)
    h = fnp.triu(packed, -1)
    if not calc_q:
        return h
    # The reflectors act on rows and columns 1..n-1: q = diag(1, q1).
    q1 = lax_linalg.householder_product(packed[..., 1:, :-1], taus)
    corner = np.zeros((n, n), dtype)
    corner[0, 0] = 1
    q = fnp.pad(q1, [(0, 0)] * (len(shape) - 2) + [(1, 0), (1, 0)]) + corner
    return h, q


def qr_multiply(a: Any, c: Any, mode: str = "right", pivoting: bool = False,
                conjugate: bool = False, overwrite_a: bool = False,
                overwrite_c: bool = False) -> tuple[Any, ...]:
    """``jax.scipy.linalg.qr_multiply``: the QR decomposition of ``a`` (``(..., m, n)``,
    ``k = min(m, n)``) with ``q`` applied to ``c``: ``(q @ c, r)`` for ``mode='left'`` (``c``
    ``(..., k, p)``, result ``(..., m, p)``) or ``(c @ q, r)`` for ``mode='right'`` (``c``
    ``(..., p, m)``, result ``(..., p, k)``), ``q`` the ``(m, k)`` factor and ``r`` the ``(k,
    n)`` one.  ``conjugate`` uses ``conj(q)`` instead.  A 1-d ``c`` is a column (``'left'``)
    or a row (``'right'``) and the result is raveled, as JAX's.  With ``pivoting``, ``(result,
    r, p)`` for the column order ``p`` of :func:`qr`'s ``pivoting``.  The leading axes of
    ``a`` and ``c`` broadcast.

    Computed as the reduced :func:`functrace.lax.linalg.qr` and a product (only ``q``'s first
    ``k`` columns ever reach the result), so it is differentiable to any order (JAX's is not);
    ``q`` and ``r`` have LAPACK's signs.  ``overwrite_a`` and ``overwrite_c`` are ignored.

    >>> import numpy as np
    >>> a = np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [1.0, 4.0]])
    >>> qtb, r = qr_multiply(a, np.array([2.0, 4.0, 5.0, 4.0]))
    >>> np.round(solve_triangular(r, qtb), 12)  # the least-squares line through the points
    array([2. , 0.7])
    """
    del overwrite_a, overwrite_c
    if mode not in ("right", "left"):
        raise ValueError(f"scipy.linalg.qr_multiply: mode must be 'right' or 'left', got "
                         f"{mode!r}.")
    a, c = inexact(a, c)
    _matrix("qr_multiply", a)
    m, n = aval(a).shape[-2:]
    k = builtins.min(m, n)
    onedim = aval(c).ndim == 1
    if onedim:
        c = c[:, None] if mode == "left" else c[None, :]
    if aval(c).ndim < 2:
        raise ValueError(f"scipy.linalg.qr_multiply: c must be 1-d or a stack of matrices, "
                         f"got shape {aval(c).shape}.")
    if mode == "left" and aval(c).shape[-2] != k:
        raise ValueError(f"scipy.linalg.qr_multiply: a has shape {aval(a).shape}, so q has {k} "
                         f"columns, but c has {aval(c).shape[-2]} rows (mode='left' computes "
                         "q @ c).")
    if mode == "right" and aval(c).shape[-1] != m:
        raise ValueError(f"scipy.linalg.qr_multiply: a has shape {aval(a).shape}, so q has {m} "
                         f"rows, but c has {aval(c).shape[-1]} columns (mode='right' computes "
                         "c @ q).")
    batch = np.broadcast_shapes(aval(a).shape[:-2], aval(c).shape[:-2])
    a = fnp.broadcast_to(a, (*batch, m, n))
    c = fnp.broadcast_to(c, (*batch, *aval(c).shape[-2:]))
    q, r, *order = lax_linalg.qr(a, pivoting=bool(pivoting), full_matrices=False)
    if conjugate and aval(q).dtype.kind == "c":
        q = fnp.conj(q)
    out = fnp.matmul(q, c) if mode == "left" else fnp.matmul(c, q)
    if onedim:
        out = fnp.ravel(out)
    return (out, r, *order)


def eigh_tridiagonal(d: Any, e: Any, *, eigvals_only: bool = False, select: str = "a",
                     select_range: tuple[float, float] | None = None, tol: float | None = None,
                     key: Any = None) -> Any:
    """``jax.scipy.linalg.eigh_tridiagonal``: the eigenvalues ``w`` (ascending, real) and,
    unless ``eigvals_only``, the eigenvectors ``v`` (columns, ``(n, k)``) of the Hermitian
    tridiagonal matrix with diagonal ``d`` (``(n,)``, its real part) and off-diagonal ``e``
    (``(n - 1,)``): ``t[i, i + 1] = e[i]``, ``t[i + 1, i] = conj(e[i])``, as JAX's.

    ``select='a'`` gives all eigenpairs, ``select='i'`` those with indices ``lo <= i <= hi``
    for ``select_range=(lo, hi)``; ``'v'`` (a number of eigenvalues that depends on the
    values) raises ``NotImplementedError``, as JAX.  Computed by the dense
    :func:`functrace.numpy.linalg.eigh` of the assembled matrix (``O(n^3)``; JAX bisects with
    Sturm sequences and inverse-iterates from random vectors), so it is differentiable to any
    order in ``d`` and ``e`` (the eigenvectors' derivative is undefined at repeated
    eigenvalues); JAX's reverse mode raises and its forward mode is not the derivative.
    ``tol`` and ``key`` (JAX's seed for inverse iteration) are accepted and ignored; each
    eigenvector's sign (phase) is LAPACK's choice.  Integer inputs become float64.

    >>> import numpy as np
    >>> eigh_tridiagonal(np.array([2.0, 2.0]), np.array([1.0]), eigvals_only=True)
    array([1., 3.])
    """
    del tol, key
    if select == "v":
        raise NotImplementedError("scipy.linalg.eigh_tridiagonal: select='v' is not supported "
                                  "(the number of eigenvalues would depend on the values).")
    if select not in ("a", "i"):
        raise ValueError(f"scipy.linalg.eigh_tridiagonal: select must be 'a', 'i' or 'v', got "
                         f"{select!r}.")
    d, e = inexact(d, e)
    n = aval(d).shape[0] if aval(d).ndim == 1 else -1
    if n < 0 or aval(e).shape != (builtins.max(n - 1, 0),):
        raise ValueError("scipy.linalg.eigh_tridiagonal: expected d of shape (n,) and e of "
                         f"shape (n - 1,), got {aval(d).shape} and {aval(e).shape}.")
    subset = None
    if select == "i":
        if select_range is None:
            raise ValueError("scipy.linalg.eigh_tridiagonal: select='i' needs select_range="
                             "(lo, hi).")
        lo, hi = (int(i) for i in select_range)
        if lo > hi:
            raise ValueError(f"scipy.linalg.eigh_tridiagonal: select_range {(lo, hi)} is an "
                             "empty index range.")
        if lo < 0 or hi >= builtins.max(n, 1):
            raise ValueError(f"scipy.linalg.eigh_tridiagonal: select_range {(lo, hi)} must "
                             f"satisfy 0 <= lo <= hi < {n}.")
        subset = (lo, hi + 1)
    dtype = aval(d).dtype
    real = np.finfo(dtype).dtype
    diagonal = fnp.real(d) if dtype.kind == "c" else d
    if n == 0:
        w = fnp.zeros((0,), real)
        return w if eigvals_only else (w, fnp.zeros((0, 0), dtype))
    # t = diag(d) + e above the diagonal + conj(e) below it: eigh reads the lower triangle.
    t = (diagonal.astype(dtype)[:, None] * np.eye(n, dtype=dtype)
         + fnp.pad(fnp.conj(e) if dtype.kind == "c" else e, (1, 0))[:, None]
         * np.eye(n, k=-1, dtype=dtype))
    w, v = fnp.linalg.eigh(t)
    if subset is not None:
        w, v = w[subset[0]:subset[1]], v[:, subset[0]:subset[1]]
    return w if eigvals_only else (w, v)


# -- the Schur decomposition and functions of matrices ------------------------------------------


def schur(a: Any, output: str = "real") -> tuple[Any, Any]:
    """``jax.scipy.linalg.schur``: ``(t, z)`` with ``a = z @ t @ z^H`` for each square matrix
    of a stack, ``z`` orthogonal (unitary) and ``t`` the Schur form: with ``output='real'``
    (real ``a``) quasi-upper triangular, its 2x2 diagonal blocks (one per pair of complex
    conjugate eigenvalues) in LAPACK's standard form (equal diagonal entries, off-diagonal
    entries of opposite signs); with ``output='complex'`` (or a complex ``a``) upper triangular.

    The ``schur`` primitive: the QR algorithm written in NumPy (Hessenberg reduction, then
    Francis's double-shift steps for real matrices or Wilkinson single-shift steps for complex
    ones, with deflation), since NumPy exposes no Schur routine.  It runs under ``jit`` and
    ``vmap`` (matrix by matrix) but has no derivative, as JAX's (``NotImplementedError``).
    The eigenvalues appear along the diagonal in the order the iteration finds them, which may
    differ from LAPACK's.  Integers become float64; float32 is computed in float64 and
    rounded.

    >>> import numpy as np
    >>> a = np.array([[0.0, 2.0], [-2.0, 0.0]])
    >>> t, z = schur(a)
    >>> t                       # the rotation's eigenvalues +-2i, as one 2x2 block
    array([[ 0.,  2.],
           [-2.,  0.]])
    >>> np.allclose(z @ t @ z.T, a)
    True
    """
    if output not in ("real", "complex"):
        raise ValueError(f"scipy.linalg.schur: output must be 'real' or 'complex', got "
                         f"{output!r}.")
    (a,) = inexact(a)
    _square("schur", a)
    if output == "complex" and aval(a).dtype.kind != "c":
        a = a.astype(np.result_type(aval(a).dtype, np.complex64))
    return dc.schur(a)


def rsf2csf(T: Any, Z: Any, check_finite: bool = True) -> tuple[Any, Any]:  # noqa: N803
    """``jax.scipy.linalg.rsf2csf``: the complex Schur form ``(t, z)`` (``t`` upper
    triangular, ``z`` unitary, ``z @ t @ z^H`` unchanged) from a real one ``(T, Z)`` (or a
    stack of them, their leading axes broadcast), always complex.

    Each 2x2 block, from the bottom up, is split by a complex Givens rotation built from its
    first eigenvalue (as SciPy and JAX: the order of ``eigvals``), applied to the rows and
    columns of ``t`` and to ``z``; a sub-diagonal entry below ``eps`` times its diagonal
    neighbours counts as zero.  Written with functrace operations (the choice at each block a
    ``where``), so it runs under ``jit`` and ``vmap`` and is differentiable wherever the
    blocks' eigenvalues are distinct.  ``check_finite`` is ignored.

    >>> import numpy as np
    >>> t, z = rsf2csf(np.array([[0.0, 2.0], [-2.0, 0.0]]), np.eye(2))
    >>> np.round(np.diag(t), 12)
    array([0.+2.j, 0.-2.j])
    """
    del check_finite
    t, z = inexact(T, Z)
    if aval(t).ndim < 2 or aval(t).shape[-1] != aval(t).shape[-2]:
        raise ValueError(f"scipy.linalg.rsf2csf: T must be a square matrix or a stack of them, "
                         f"got shape {aval(t).shape}.")
    if aval(z).ndim < 2 or aval(z).shape[-1] != aval(z).shape[-2]:
        raise ValueError(f"scipy.linalg.rsf2csf: Z must be a square matrix or a stack of them, "
                         f"got shape {aval(z).shape}.")
    if aval(t).shape[-1] != aval(z).shape[-1]:
        raise ValueError(f"scipy.linalg.rsf2csf: T of shape {aval(t).shape} and Z of shape "
                         f"{aval(z).shape} differ in size.")
    dtype = np.result_type(aval(t).dtype, np.complex64)
    n = aval(t).shape[-1]
    batch = np.broadcast_shapes(aval(t).shape[:-2], aval(z).shape[:-2])
    t = fnp.broadcast_to(t.astype(dtype), (*batch, n, n))
    z = fnp.broadcast_to(z.astype(dtype), (*batch, n, n))
    eps = float(np.finfo(dtype).eps)
    index = np.arange(n)
    for m in range(n - 1, 0, -1):
        sub = t[..., m, m - 1]
        split = fnp.abs(sub) > eps * (fnp.abs(t[..., m - 1, m - 1]) + fnp.abs(t[..., m, m]))
        mu = dc.eigvals(t[..., m - 1:m + 1, m - 1:m + 1])[..., 0] - t[..., m, m]
        r = fnp.sqrt(fnp.abs(mu) ** 2 + fnp.abs(sub) ** 2)
        r = fnp.where(split & (r > 0), r, 1.0).astype(dtype)
        c, s = mu / r, sub / r
        # rows m-1, m (columns m-1 on) times G = [[conj(c), s], [-s, c]]
        row0, row1 = t[..., m - 1, :], t[..., m, :]
        new0 = fnp.conj(c)[..., None] * row0 + s[..., None] * row1
        new1 = -s[..., None] * row0 + c[..., None] * row1
        cols = index >= m - 1
        rotated = fnp.where((index == m - 1)[:, None] & cols, new0[..., None, :],
                            fnp.where((index == m)[:, None] & cols, new1[..., None, :], t))
        # columns m-1, m (rows up to m) times G^H, and z's columns too
        col0, col1 = rotated[..., :, m - 1], rotated[..., :, m]
        new0 = col0 * c[..., None] + col1 * fnp.conj(s)[..., None]
        new1 = -col0 * fnp.conj(s)[..., None] + col1 * fnp.conj(c)[..., None]
        rows = (index <= m)[:, None]
        rotated = fnp.where(rows & (index == m - 1), new0[..., :, None],
                            fnp.where(rows & (index == m), new1[..., :, None], rotated))
        z0, z1 = z[..., :, m - 1], z[..., :, m]
        zn0 = z0 * c[..., None] + z1 * fnp.conj(s)[..., None]
        zn1 = -z0 * fnp.conj(s)[..., None] + z1 * fnp.conj(c)[..., None]
        zrot = fnp.where(index == m - 1, zn0[..., :, None],
                         fnp.where(index == m, zn1[..., :, None], z))
        t = fnp.where(split[..., None, None], rotated, t)
        z = fnp.where(split[..., None, None], zrot, z)
        t = fnp.where((index == m)[:, None] & (index == m - 1), np.zeros((), dtype), t)
    return t, z


def funm(A: Any, func: Callable[[Any], Any], disp: bool = True) -> Any:  # noqa: N803
    """``jax.scipy.linalg.funm``: the matrix function ``f(A)`` of a square matrix ``A``
    (2-d, as JAX's), for ``func`` a function applied elementwise to an array of eigenvalues.
    Always complex, as JAX's (SciPy returns a real array when the imaginary part vanishes).
    With ``disp=False``, ``(f(A), errest)``, JAX's estimate of the relative error.

    As SciPy and JAX: the complex Schur form ``A = z t z^H`` (:func:`schur` and
    :func:`rsf2csf`), ``func`` on ``t``'s diagonal, then Parlett's recurrence (Golub and Van
    Loan, algorithm 11.1.1) for the rest of ``f(t)``, one superdiagonal at a time
    (``f(t) t - t f(t) = 0`` solved for it), and ``z f(t) z^H``.  The recurrence divides by
    differences of eigenvalues: inaccurate when they are close, and where two are equal the
    entry is left undivided, as SciPy's.  No derivative (``schur`` has none, as in JAX);
    ``jit`` and ``vmap`` work.

    >>> import numpy as np
    >>> f = funm(np.array([[1.0, 1.0], [0.0, 2.0]]), np.exp)  # [[e, e^2 - e], [0, e^2]]
    >>> np.round(f.real, 8)
    array([[2.71828183, 4.67077427],
           [0.        , 7.3890561 ]])
    """
    (a,) = inexact(A)
    if aval(a).ndim != 2 or aval(a).shape[0] != aval(a).shape[1]:
        raise ValueError(f"scipy.linalg.funm: expected a square matrix (n, n), got shape "
                         f"{aval(a).shape}.")
    t, z = rsf2csf(*schur(a))
    dtype = aval(t).dtype
    n = aval(t).shape[-1]
    diagonal = fnp.diagonal(t)
    f = fnp.asarray(func(diagonal)).astype(dtype)[:, None] * np.eye(n, dtype=dtype)
    minden = fnp.abs(t[0, 0]) if n else np.zeros((), np.finfo(dtype).dtype)
    for p in range(1, n):
        # With the superdiagonals below p filled, (t f - f t)[i, i + p] is the numerator of
        # Parlett's recurrence for f[i, i + p].
        s = fnp.diagonal(fnp.matmul(t, f) - fnp.matmul(f, t), offset=p)
        den = diagonal[p:] - diagonal[:-p]
        entry = fnp.where(den != 0, s / fnp.where(den != 0, den, 1.0), s)
        f = f + fnp.pad(entry, (0, p))[:, None] * np.eye(n, k=p, dtype=dtype)
        minden = fnp.minimum(minden, fnp.min(fnp.abs(den)))
    f = fnp.matmul(fnp.matmul(z, f), _mH(z))
    if disp:
        return f
    tol = float(np.finfo(np.float32 if dtype == np.complex64 else np.float64).eps)
    minden = fnp.where(minden == 0, tol, minden)
    err = fnp.where(fnp.any(fnp.isinf(f)), np.inf, fnp.minimum(1.0, fnp.maximum(
        tol, (tol / minden) * fnp.linalg.norm(fnp.triu(t, 1), 1))))
    return f, err


# -- special matrices ----------------------------------------------------------------------------


def block_diag(*arrs: Any) -> Any:
    """``scipy.linalg.block_diag``: the arrays (at most 2-d; a scalar is ``1 x 1``, a vector a
    row) as the blocks of a block diagonal matrix, in their common dtype; ``(1, 0)`` for none.

    >>> import numpy as np
    >>> block_diag(np.ones((1, 2)), 3.0)
    array([[1., 1., 0.],
           [0., 0., 3.]])
    """
    if not arrs:
        return np.zeros((1, 0))
    ops = [as_operand(x) for x in arrs]
    bad = [i for i, x in enumerate(ops) if aval(x).ndim > 2]
    if bad:
        raise ValueError(f"scipy.linalg.block_diag: arguments must have at most 2 dimensions, "
                         f"got shapes {[aval(ops[i]).shape for i in bad]} at positions {bad}.")
    dtype = result_dtype(*[aval(x).strong() for x in ops])  # Python scalars as arrays (SciPy)
    blocks = [fnp.atleast_2d(convert(x, dtype)) for x in ops]
    widths = [aval(x).shape[1] for x in blocks]
    total = builtins.sum(widths)
    rows, left = [], 0
    for x, w in zip(blocks, widths, strict=True):
        rows.append(fnp.pad(x, ((0, 0), (left, total - left - w))))
        left += w
    return fnp.concatenate(rows, axis=0)


def _vectors(name: str, *args: Any) -> list[Any]:
    """The arguments at their common dtype, at least 1-d, their leading (batch) axes
    broadcast: JAX's vectorized signature ``(m), (n) -> (m, n)``."""
    ops = [fnp.atleast_1d(as_operand(x)) for x in args]
    dtype = result_dtype(*[aval(x).strong() for x in ops])
    try:
        lead = np.broadcast_shapes(*[aval(x).shape[:-1] for x in ops])
    except ValueError:
        raise ValueError(f"scipy.linalg.{name}: the leading (batch) axes of the inputs, shapes "
                         f"{[aval(x).shape for x in ops]}, do not broadcast.") from None
    return [fnp.broadcast_to(convert(x, dtype), (*lead, aval(x).shape[-1])) for x in ops]


def toeplitz(c: Any, r: Any = None) -> Any:
    """``scipy.linalg.toeplitz``: the Toeplitz matrix with first column ``c`` and first row
    ``r`` (default ``conj(c)``; ``r[0]`` is ignored), ``t[i, j] = c[i - j]`` for ``i >= j``,
    ``r[j - i]`` otherwise.  Leading axes of ``c`` and ``r`` are batch axes (as JAX and SciPy
    1.17); the dtype is theirs.

    >>> toeplitz([1, 2, 3], [1, 4, 5])
    array([[1, 4, 5],
           [2, 1, 4],
           [3, 2, 1]])
    """
    c = as_operand(c)
    if r is None:
        r = fnp.conj(c) if aval(c).dtype.kind == "c" else c
    c, r = _vectors("toeplitz", c, r)
    m, n = aval(c).shape[-1], aval(r).shape[-1]
    # vals = [r[n-1], ..., r[1], c[0], ..., c[m-1]]: t[i, j] = vals[n - 1 + i - j].
    vals = fnp.concatenate([fnp.flip(r[..., 1:], axis=-1), c], axis=-1)
    return fnp.take(vals, n - 1 + np.subtract.outer(np.arange(m), np.arange(n)), axis=-1)


def hankel(c: Any, r: Any = None) -> Any:
    """``scipy.linalg.hankel``: the Hankel matrix with first column ``c`` and last row ``r``
    (default zeros; ``r[0]`` is ignored), ``h[i, j] = c[i + j]`` for ``i + j < m``,
    ``r[i + j - m + 1]`` otherwise.  Leading axes are batch axes.

    >>> hankel([1, 2, 3], [3, 4, 5])
    array([[1, 2, 3],
           [2, 3, 4],
           [3, 4, 5]])
    """
    c = as_operand(c)
    if r is None:
        r = fnp.zeros_like(c)
    c, r = _vectors("hankel", c, r)
    m, n = aval(c).shape[-1], aval(r).shape[-1]
    vals = fnp.concatenate([c, r[..., 1:]], axis=-1)
    return fnp.take(vals, np.add.outer(np.arange(m), np.arange(n)), axis=-1)


def circulant(c: Any) -> Any:
    """``scipy.linalg.circulant``: the circulant matrix with first column ``c``,
    ``C[i, j] = c[(i - j) mod n]``.  Leading axes are batch axes.

    >>> circulant([1, 2, 3])
    array([[1, 3, 2],
           [2, 1, 3],
           [3, 2, 1]])
    """
    (c,) = _vectors("circulant", c)
    n = aval(c).shape[-1]
    return fnp.take(c, np.subtract.outer(np.arange(n), np.arange(n)) % builtins.max(n, 1),
                    axis=-1)


def companion(a: Any) -> Any:
    """``scipy.linalg.companion``: the companion matrix ``(n-1, n-1)`` of the polynomial with
    coefficients ``a`` (highest degree first, ``n >= 2``): first row ``-a[1:] / a[0]``, ones
    below the diagonal; its eigenvalues are the polynomial's roots.  Leading axes are batch
    axes; integers become float64.  A zero ``a[0]`` raises ``ValueError`` where the value is
    known (SciPy's check), and gives infinities under ``jit`` and ``vmap`` (JAX's).

    >>> companion([1.0, -3.0, 2.0])  # x**2 - 3 x + 2 = (x - 1)(x - 2)
    array([[ 3., -2.],
           [ 1.,  0.]])
    """
    (a,) = _vectors("companion", a)
    if aval(a).dtype.kind not in "fc":
        a = convert(a, np.dtype(np.float64))
    n = aval(a).shape[-1]
    if n < 2:
        raise ValueError(f"scipy.linalg.companion: the length of a must be at least 2, got "
                         f"shape {aval(a).shape}.")
    first = a[..., :1]
    if not isinstance(first, Tracer) and np.any(np.asarray(first) == 0):
        raise ValueError("scipy.linalg.companion: the first coefficient in a must not be zero.")
    top = -a[..., 1:] / first
    lead = aval(a).shape[:-1]
    below = np.broadcast_to(np.eye(n - 2, n - 1, dtype=aval(a).dtype), (*lead, n - 2, n - 1))
    return fnp.concatenate([top[..., None, :], below], axis=-2)


def hilbert(n: int) -> np.ndarray:
    """``scipy.linalg.hilbert``: the ``n x n`` Hilbert matrix ``1 / (i + j + 1)``, float64 (a
    constant).

    >>> hilbert(2)
    array([[1.        , 0.5       ],
           [0.5       , 0.33333333]])
    """
    i = np.arange(int(n), dtype=np.float64)
    return 1.0 / (i[:, None] + i[None, :] + 1.0)


def pascal(n: int, kind: str = "symmetric", exact: bool = True) -> np.ndarray:
    """``scipy.linalg.pascal``: the ``n x n`` Pascal matrix of binomial coefficients, a
    constant: ``kind='symmetric'`` (``C(i + j, i)``), ``'lower'`` (``C(i, j)``) or ``'upper'``
    (its transpose); uint64 if ``exact`` (``n <= 34``: SciPy switches to Python integers
    beyond, which NumPy arrays of numbers cannot hold: ``ValueError``), float64 otherwise.

    >>> pascal(3)
    array([[1, 1, 1],
           [1, 2, 3],
           [1, 3, 6]], dtype=uint64)
    """
    if kind not in ("symmetric", "lower", "upper"):
        raise ValueError(f"scipy.linalg.pascal: kind must be 'symmetric', 'lower' or 'upper', got "
                         f"{kind!r}.")
    n = int(n)
    if exact and n > 34:
        raise ValueError(f"scipy.linalg.pascal: exact=True needs n <= 34 (uint64), got n = {n}; "
                         "use exact=False for floats.")
    if kind == "symmetric":
        table = [[math.comb(i + j, i) for j in range(n)] for i in range(n)]
    else:
        table = [[math.comb(i, j) for j in range(n)] for i in range(n)]
    out = np.array(table, dtype=np.uint64 if exact else np.float64).reshape(n, n)
    return out.T.copy() if kind == "upper" else out



# -- more special matrices (jax.scipy.linalg's): written on functrace.numpy, so those built
# from an input array are differentiable in it; those of a size alone are constants ----------


def convolution_matrix(a: Any, n: int, mode: str = "full") -> Any:
    """``scipy.linalg.convolution_matrix``: the Toeplitz matrix ``A`` with ``A @ v ==
    np.convolve(a, v, mode)`` for every ``v`` of length ``n``: ``A[i, j] = a[i + s - j]`` (0
    outside ``a``), ``s`` the first row ``mode`` keeps (``'full'``: all ``m + n - 1``;
    ``'same'``: ``max(m, n)`` rows centred; ``'valid'``: the ``max(m, n) - min(m, n) + 1``
    rows of full overlap).  Differentiable in ``a``.

    >>> convolution_matrix(np.array([1.0, 2.0, 3.0]), 2)
    array([[1., 0.],
           [2., 1.],
           [3., 2.],
           [0., 3.]])
    """
    a = as_operand(a)
    if len(aval(a).shape) != 1:
        raise ValueError(f"scipy.linalg.convolution_matrix: a must be 1-d, got shape "
                         f"{aval(a).shape}.")
    n = int(n)
    m = aval(a).shape[0]
    if n <= 0 or m == 0:
        raise ValueError(f"scipy.linalg.convolution_matrix: n must be positive and a "
                         f"non-empty, got n = {n} and a of length {m}.")
    if mode == "full":
        start, rows = 0, m + n - 1
    elif mode == "same":
        rows = builtins.max(m, n)
        start = (builtins.min(m, n) - 1) // 2 if m >= n else (m - 1) // 2
    elif mode == "valid":
        start, rows = builtins.min(m, n) - 1, builtins.max(m, n) - builtins.min(m, n) + 1
    else:
        raise ValueError(f"scipy.linalg.convolution_matrix: mode must be 'full', 'same' or "
                         f"'valid', got {mode!r}.")
    index = np.subtract.outer(np.arange(start, start + rows), np.arange(n))
    inside = (index >= 0) & (index < m)
    padded = fnp.concatenate([a, fnp.zeros((1,), aval(a).dtype)])
    return fnp.take(padded, np.where(inside, index, m))


def dft(n: int, scale: str | None = None, *, dtype: Any = None) -> np.ndarray:
    """``scipy.linalg.dft``: the ``n x n`` discrete Fourier transform matrix
    ``exp(-2 pi i j k / n)``, divided by ``sqrt(n)`` (``scale='sqrtn'``) or ``n``
    (``'n'``); complex128 by default (a constant).

    >>> np.round(dft(2), 12)
    array([[ 1.+0.j,  1.+0.j],
           [ 1.+0.j, -1.-0.j]])
    """
    if scale not in (None, "sqrtn", "n"):
        raise ValueError(f"scipy.linalg.dft: scale must be None, 'sqrtn' or 'n', got {scale!r}.")
    n = int(n)
    # the exponent j k reduced mod n first, so that large products keep their accuracy
    jk = np.outer(np.arange(n), np.arange(n)) % builtins.max(n, 1)
    m = np.exp(-2j * np.pi * jk / builtins.max(n, 1))
    if scale == "sqrtn":
        m = m / math.sqrt(n)
    elif scale == "n":
        m = m / n
    return m.astype(np.complex128 if dtype is None else dtype)


def fiedler(a: Any) -> Any:
    """``scipy.linalg.fiedler``: the symmetric Fiedler matrix ``F[i, j] = |a[i] - a[j]|``;
    leading axes of ``a`` are batch axes.  Differentiable in ``a`` (``|x|`` has derivative 0
    at 0, functrace's ``abs``).

    >>> fiedler(np.array([1.0, 2.0, 4.0]))
    array([[0., 1., 3.],
           [1., 0., 2.],
           [3., 2., 0.]])
    """
    (a,) = _vectors("fiedler", a)
    return fnp.abs(a[..., :, None] - a[..., None, :])


def fiedler_companion(a: Any) -> Any:
    """``scipy.linalg.fiedler_companion``: the Fiedler companion matrix of the polynomial
    with coefficients ``a`` (highest degree first, ``a[0] != 0``), a pentadiagonal matrix with
    the polynomial's roots as eigenvalues; ``(0, 0)`` for a constant polynomial.
    Differentiable in ``a``.

    >>> fiedler_companion(np.array([1.0, -3.0, 2.0]))
    array([[ 3., -2.],
           [ 1.,  0.]])
    """
    a = as_operand(a)
    if len(aval(a).shape) != 1:
        raise ValueError(f"scipy.linalg.fiedler_companion: a must be 1-d, got shape "
                         f"{aval(a).shape}.")
    if aval(a).dtype.kind not in "fc":
        a = convert(a, np.dtype(np.float64))
    size = aval(a).shape[0]
    if size <= 1:
        return fnp.zeros((0, 0), aval(a).dtype)
    a = a / a[0]
    n = size - 1
    # c = -sum_k a[k] E_k + the constant ones: E_k marks where -a[k] goes (SciPy's layout).
    coef = np.zeros((size, n, n))
    ones = np.zeros((n, n))
    coef[1, 0, 0] = 1.0
    if n > 1:
        ones[1, 0] = 1.0
    for i, j in zip(range(3, n, 2), range(1, n - 2, 2), strict=False):
        ones[i, j] = 1.0
    for k, (i, j) in enumerate(zip(range(2, n, 2), range(1, n - 1, 2), strict=False)):
        coef[3 + 2 * k, i, j] = 1.0
    for i, j in zip(range(0, n - 2, 2), range(2, n, 2), strict=False):
        ones[i, j] = 1.0
    for k, (i, j) in enumerate(zip(range(0, n - 1, 2), range(1, n, 2), strict=False)):
        coef[2 + 2 * k, i, j] = 1.0
    dtype = aval(a).dtype
    return fnp.tensordot(-a, coef.astype(dtype), axes=1) + ones.astype(dtype)


def hadamard(n: int, dtype: Any = int) -> np.ndarray:
    """``scipy.linalg.hadamard``: Sylvester's ``n x n`` Hadamard matrix of +-1 (``n`` a power
    of 2), int64 by default (a constant).

    >>> hadamard(2)
    array([[ 1,  1],
           [ 1, -1]])
    """
    n = int(n)
    if n < 1 or n & (n - 1):
        raise ValueError(f"scipy.linalg.hadamard: n must be a positive power of 2, got {n}.")
    h = np.ones((1, 1), dtype=dtype)
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    return h


def helmert(n: int, full: bool = False) -> np.ndarray:
    """``scipy.linalg.helmert``: the Helmert matrix, orthogonal ``n x n`` (``full``) with
    first row ``1 / sqrt(n)``, else its last ``n - 1`` rows (rows orthonormal, orthogonal to
    the ones vector); float64 (a constant).

    >>> np.round(helmert(2, full=True), 4)
    array([[ 0.7071,  0.7071],
           [ 0.7071, -0.7071]])
    """
    n = int(n)
    h = np.tril(np.ones((n, n)), -1) - np.diag(np.arange(n))
    d = np.arange(n) * np.arange(1, n + 1)
    h[0] = 1
    d[0] = n
    out = h / np.sqrt(d)[:, None]
    return out if full else out[1:]


def invhilbert(n: int) -> np.ndarray:
    """``scipy.linalg.invhilbert``: the exact inverse of :func:`hilbert`, float64 (its
    integer entries from binomial coefficients, so exact while they fit in 53 bits).

    >>> invhilbert(2)
    array([[ 4., -6.],
           [-6., 12.]])
    """
    n = int(n)
    out = np.empty((n, n))
    for i in range(n):
        for j in range(i + 1):
            v = ((-1) ** (i + j) * (i + j + 1) * math.comb(n + i, n - j - 1)
                 * math.comb(n + j, n - i - 1) * math.comb(i + j, i) ** 2)
            out[i, j] = out[j, i] = float(v)
    return out


def invpascal(n: int, kind: str | None = None) -> np.ndarray:
    """``scipy.linalg.invpascal``: the inverse of :func:`pascal`, ``kind`` ``'symmetric'``
    (the default), ``'lower'`` or ``'upper'``; float64, as JAX's (a constant).

    >>> invpascal(3)
    array([[ 3., -3.,  1.],
           [-3.,  5., -2.],
           [ 1., -2.,  1.]])
    """
    kind = "symmetric" if kind is None else kind
    if kind not in ("symmetric", "lower", "upper"):
        raise ValueError(f"scipy.linalg.invpascal: kind must be 'symmetric', 'lower' or "
                         f"'upper', got {kind!r}.")
    n = int(n)
    # The lower Pascal matrix's inverse is C(i, j) with alternating signs, exactly.
    lower = np.array([[(-1) ** (i - j) * math.comb(i, j) for j in range(n)] for i in range(n)],
                     dtype=object).reshape(n, n)
    if kind == "lower":
        out = lower
    elif kind == "upper":
        out = lower.T
    else:  # P = L L^T, so inv(P) = inv(L)^T inv(L), in exact integers
        out = lower.T.dot(lower)
    return np.asarray(out, dtype=np.float64).reshape(n, n) + 0.0


def leslie(f: Any, s: Any) -> Any:
    """``scipy.linalg.leslie``: the Leslie matrix of fecundities ``f`` (length ``n``, the
    first row) and survival rates ``s`` (length ``n - 1``, the subdiagonal); leading axes are
    batch axes; integers become float64.  Differentiable in ``f`` and ``s``.

    >>> leslie(np.array([0.1, 2.0, 1.0]), np.array([0.2, 0.8]))
    array([[0.1, 2. , 1. ],
           [0.2, 0. , 0. ],
           [0. , 0.8, 0. ]])
    """
    f, s = _vectors("leslie", f, s)
    if aval(f).dtype.kind not in "fc":
        f, s = convert(f, np.dtype(np.float64)), convert(s, np.dtype(np.float64))
    n = aval(f).shape[-1]
    if n < 1 or aval(s).shape[-1] != n - 1:
        raise ValueError(f"scipy.linalg.leslie: f must have length n >= 1 and s length "
                         f"n - 1; got {aval(f).shape[-1]} and {aval(s).shape[-1]}.")
    below = s[..., :, None] * np.eye(n - 1, n, dtype=aval(f).dtype)
    return fnp.concatenate([f[..., None, :], below], axis=-2)
