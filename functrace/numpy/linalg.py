"""``functrace.numpy.linalg``: the parts of ``numpy.linalg`` that functrace supports.

:func:`solve`, :func:`inv`, :func:`det` and :func:`slogdet` are written on the ``solve``,
``det``, ``logabsdet`` and ``det_sign`` primitives (``functrace.primitives.linalg``), whose
derivatives are the textbook ones: ``d(a^-1 b) = a^-1 (db - da a^-1 b)`` and
``d det(a) = det(a) trace(a^-1 da)`` (``d log|det a| = trace(a^-1 da)``).  The decompositions
:func:`cholesky`, :func:`eigh`, :func:`svd` and :func:`qr`, and :func:`pinv`, are primitives of
``functrace.primitives.decompositions`` with exact derivatives (JAX's, see ``docs/linalg.md``);
:func:`eigvalsh`, :func:`svdvals`, :func:`lstsq`, :func:`matrix_rank`, :func:`cond` and the
spectral and nuclear norms are written on them, :func:`matrix_power` and :func:`multi_dot` on
matrix products, :func:`norm`'s other orders on the elementwise and reduction functions.

Everything works on stacks of matrices ``(..., m, n)`` (``lstsq`` and ``multi_dot``: single
matrices, as NumPy), inside every transformation, and ``np.linalg.<name>`` on tracers lands
here for every name in ``__all__``.  :func:`eig` and :func:`eigvals` have complex results
(both differentiable); :func:`tensorinv` and :func:`tensorsolve` reshape to :func:`inv` and
:func:`solve`.  Every function takes real
(float32, float64) and complex (complex64, complex128) matrices; complex ones are
differentiated in JAX's convention (see ``docs/autodiff.md``), and the eigenvalues of
:func:`eigh` and the singular values are real.
Where NumPy's result is not unique (eigenvector and singular vector signs or phases, the
signs of ``qr``'s ``R`` diagonal) it is LAPACK's choice, as in NumPy; the derivatives of
complex eigenvectors and singular vectors fix the phase as JAX's do (``v^H dv`` has a zero
diagonal), so only phase-invariant functions of them (``abs(v)``, ``u @ vh``) match finite
differences of NumPy's results.  Derivatives are undefined,
and come out infinite or NaN as in JAX, at repeated eigenvalues (eigenvectors) and repeated
or, for non-square matrices, zero singular values (singular vectors).  At an exactly singular
matrix ``solve`` and ``inv`` raise NumPy's ``LinAlgError``, as NumPy does; ``det`` is
differentiable twice at every matrix, real or complex, singular ones included (the
adjugate's derivative goes through the SVD); the 2-norm's derivative at the zero vector is NaN.
NumPy 2's array-API names (:func:`vector_norm`, :func:`matrix_norm`, :func:`outer`,
:func:`trace`, :func:`diagonal`, :func:`matrix_transpose`, :func:`tensordot`, :func:`vecdot`,
:func:`cross`) are here too.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from functrace.core import Tracer
from functrace.errors import ConcretizationError
from functrace.numpy import _linalg, _shapes
from functrace.numpy._base import (
    as_operand,
    aval,
    broadcast_shapes,
    broadcast_to_shape,
    convert,
    result_dtype,
)
from functrace.numpy._elementwise import (
    absolute,
    divide,
    greater,
    isnan,
    logical_and,
    logical_not,
    multiply,
    not_equal,
    power,
    sqrt,
    stop_gradient,
    subtract,
    where,
)
from functrace.numpy._linalg import dot
from functrace.numpy._reductions import abs_squared, any, max, min, normalize_axis, sum  # noqa: A004
from functrace.primitives import decompositions as dc
from functrace.primitives import indexing as ix
from functrace.primitives import linalg as la
from functrace.primitives import shape as sh

# NumPy's names only: functrace.numpy._protocols routes np.linalg.<name> on tracers here.
__all__ = ["cholesky", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh",
           "inv", "lstsq", "matmul",
           "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "multi_dot",
           "norm", "outer", "pinv", "qr", "slogdet", "solve", "svd", "tensordot", "tensorinv",
           "tensorsolve", "trace", "vecdot", "vector_norm"]
if hasattr(np.linalg, "svdvals"):  # NumPy >= 2.0
    __all__ += ["svdvals"]


def norm(x: Any, ord: Any = None, axis: int | Sequence[int] | None = None,  # noqa: A002
         keepdims: bool = False) -> Any:
    """``numpy.linalg.norm``: vector norms over one axis (``ord`` None/2, 1, inf, -inf, 0 or
    any p), matrix norms over two: Frobenius (None/'fro'), the largest or smallest absolute
    column (1, -1) or row (inf, -inf) sum, and through the singular values the spectral norm
    (2: the largest), the smallest singular value (-2) and the nuclear norm ('nuc': the sum).
    ``axis=None`` means all axes with ``ord=None`` (the 2-norm of the flattened array), and
    otherwise the array's one or two axes, as NumPy.

    >>> import numpy as np
    >>> float(norm(np.array([3.0, 4.0])))
    5.0
    """
    (x,) = _float_operands(x)
    ndim = aval(x).ndim
    if axis is None:
        if ord is None:
            return _two_norm(x, tuple(range(ndim)), keepdims)
        if ndim not in (1, 2):
            raise ValueError("norm: improper number of dimensions to norm (give axis).")
        axes = tuple(range(ndim))
    else:
        # In the caller's order: for matrix norms, (rows, columns) and (columns, rows) differ.
        axes = tuple(normalize_axis(a, ndim, "norm")
                     for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis))
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError("norm: improper number of dimensions to norm.")


def _two_norm(x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    return sqrt(sum(abs_squared(x), axes, keepdims=keepdims))


def _vector_norm(x: Any, ord: Any, axes: tuple[int, ...], keepdims: bool) -> Any:  # noqa: A002
    if ord is None or ord == 2:
        return _two_norm(x, axes, keepdims)
    if ord == np.inf:
        return max(absolute(x), axes, keepdims=keepdims)
    if ord == -np.inf:
        return min(absolute(x), axes, keepdims=keepdims)
    if ord == 0:  # the number of nonzero entries
        mag = absolute(x)
        return sum(convert(mag != 0, aval(mag).dtype), axes, keepdims=keepdims)
    if ord == 1:
        return sum(absolute(x), axes, keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors.")
    p = float(ord)
    return power(sum(power(absolute(x), p), axes, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x: Any, ord: Any, axes: tuple[int, ...], keepdims: bool) -> Any:  # noqa: A002
    row, col = axes
    if row == col:
        raise ValueError("norm: duplicate axes given.")
    if ord is None or ord == "fro":
        return _two_norm(x, axes, keepdims)
    if ord in (1, -1, np.inf, -np.inf):
        # 1 / -1: the largest / smallest column sum; inf / -inf: the same for rows.
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        sums = sum(absolute(x), summed, keepdims=True)
        pick = max if ord in (1, np.inf) else min
        out = pick(sums, other, keepdims=True)
        if not keepdims:
            out = sum(out, axes)  # drop both (now length-1) axes
        return out
    if ord in (2, -2, "nuc"):
        # The spectral norm, its reciprocal-like twin and the nuclear norm: the largest,
        # smallest and sum of the singular values.
        s = svdvals(sh.transpose(x, (*[i for i in range(aval(x).ndim) if i not in axes],
                                     row, col)))
        out = max(s, -1) if ord == 2 else min(s, -1) if ord == -2 else sum(s, -1)
        if keepdims:
            out = sh.expand_dims(out, tuple(sorted(axes)))
        return out
    raise ValueError(f"norm: invalid norm order {ord!r} for matrices (None, 'fro', 'nuc', "
                     "1, -1, 2, -2, inf or -inf).")


def _float_operands(*args: Any) -> list[Any]:
    ops = [as_operand(x) for x in args]
    dtype = result_dtype(*[aval(x) for x in ops])
    if dtype.kind not in "fc":
        dtype = np.dtype(np.float64)
    return [convert(x, dtype) for x in ops]


def _square(name: str, a: Any) -> None:
    shape = aval(a).shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{name}: expected square matrices (..., n, n), got shape {shape}.")


def solve(a: Any, b: Any) -> Any:
    """``numpy.linalg.solve``: ``x`` with ``a @ x == b``.  ``b`` is a vector ``(n,)`` or a
    stack of matrices ``(..., n, k)`` whose leading axes broadcast against ``a``'s.

    >>> import numpy as np
    >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, 2.0]))
    array([1. , 0.5])
    """
    a, b = _float_operands(a, b)
    _square("solve", a)
    n = aval(a).shape[-1]
    vector = aval(b).ndim == 1
    if vector:
        b = sh.reshape(b, (n, 1))
    if aval(b).ndim < 2 or aval(b).shape[-2] != n:
        raise ValueError(f"solve: b of shape {aval(b).shape} does not match a of shape "
                         f"{aval(a).shape}.")
    batch = broadcast_shapes("solve", aval(a).shape[:-2], aval(b).shape[:-2])
    a = broadcast_to_shape(a, (*batch, n, n))
    b = broadcast_to_shape(b, (*batch, *aval(b).shape[-2:]))
    x = la.solve(a, b)
    return sh.reshape(x, (*batch, n)) if vector else x


def inv(a: Any) -> Any:
    """``numpy.linalg.inv``: the inverse of each square matrix of a stack ``(..., n, n)``."""
    (a,) = _float_operands(a)
    _square("inv", a)
    shape = aval(a).shape
    return la.solve(a, np.broadcast_to(np.eye(shape[-1], dtype=aval(a).dtype), shape))


def det(a: Any) -> Any:
    """``numpy.linalg.det``: the determinant of each square matrix of a stack."""
    (a,) = _float_operands(a)
    _square("det", a)
    return la.det(a)


class SlogdetResult(NamedTuple):
    """``slogdet``'s result, as NumPy's and JAX's: ``det = sign * exp(logabsdet)``."""

    sign: Any
    logabsdet: Any


def slogdet(a: Any) -> SlogdetResult:
    """``numpy.linalg.slogdet``: ``(sign, log|det|)`` of each square matrix of a stack, the
    second computed without forming the determinant (no overflow or underflow).  The sign of a
    real matrix has a zero derivative; a complex matrix's sign (a unit complex number) turns
    with the phase of the determinant, as JAX's."""
    (a,) = _float_operands(a)
    _square("slogdet", a)
    return SlogdetResult(la.det_sign(a), la.logabsdet(a))


# -- decompositions (functrace.primitives.decompositions) ---------------------------------------


class EighResult(NamedTuple):
    """``eigh``'s result, as NumPy's: ascending eigenvalues and the eigenvectors (columns)."""

    eigenvalues: Any
    eigenvectors: Any


class SVDResult(NamedTuple):
    """``svd``'s result, as NumPy's: ``a = U @ (S[..., None] * Vh)``."""

    U: Any
    S: Any
    Vh: Any


class QRResult(NamedTuple):
    """``qr``'s result, as NumPy's: ``a = Q @ R``."""

    Q: Any
    R: Any


def _decomposable(name: str, a: Any, square: bool = False) -> Any:
    """``a`` as a floating array, checked as the decomposition primitives' shape rules do."""
    (a,) = _float_operands(a)
    dc.check_matrices(name, aval(a), square)
    return a


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """``numpy.linalg.cholesky``: the lower triangular ``L`` with ``a = L @ L^H`` for each
    symmetric (complex: Hermitian) positive definite matrix of a stack, read from its lower
    triangle (with ``upper=True``: the upper triangular ``U = L^H``, read from the upper
    triangle).  As LAPACK, a complex diagonal's imaginary part is ignored.

    The derivative is ``dL = L Phi(L^-1 dA L^-H)``, ``Phi`` taking the lower triangle with a
    halved diagonal, where ``dA`` is the perturbation of the read triangle mirrored onto the
    other (the symmetric or Hermitian matrix actually factored).

    >>> import numpy as np
    >>> cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
    array([[2., 0.],
           [1., 2.]])
    """
    a = _decomposable("cholesky", a, square=True)
    if upper:
        return la._mT(dc.cholesky(la._mT(a)))
    return dc.cholesky(a)


def eigh(a: Any, UPLO: str = "L") -> EighResult:  # noqa: N803 - NumPy's name
    """``numpy.linalg.eigh``: ascending (real) eigenvalues ``w`` and orthonormal eigenvectors
    ``v`` (``a @ v == v * w``) of each symmetric (complex: Hermitian) matrix of a stack, read
    from its lower triangle (``UPLO="L"``) or upper one (``"U"``).

    Derivatives: ``dw = Re(diag(v^H dA v))`` and ``dv = v (F * (v^H dA v))`` with
    ``F[i, j] = 1 / (w[j] - w[i])`` off the diagonal, ``dA`` the perturbation of the read
    triangle mirrored onto the other.  At repeated eigenvalues the eigenvectors' derivative is
    infinite or NaN (the eigenvalues' is fine), as in JAX.  Each eigenvector's sign (phase)
    is LAPACK's choice, as in NumPy.

    >>> import numpy as np
    >>> eigh(np.array([[2.0, 1.0], [1.0, 2.0]])).eigenvalues
    array([1., 3.])
    """
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}.")
    a = _decomposable("eigh", a, square=True)
    return EighResult(*dc.eigh(a, lower=UPLO == "L"))


class EigResult(NamedTuple):
    """``eig``'s result, as NumPy's: the eigenvalues and the eigenvectors (columns)."""

    eigenvalues: Any
    eigenvectors: Any


def eig(a: Any) -> EigResult:
    """``numpy.linalg.eig``: eigenvalues ``w`` and unit-norm eigenvectors ``v``
    (``a @ v == v * w``) of each square matrix of a stack, in LAPACK's order and phases.

    The results are complex even when every eigenvalue is real (NumPy then returns real
    arrays: a dtype that depends on the values, which a trace cannot know), as JAX's.  Both
    are differentiable: ``dw = diag(v^-1 dA v)``, and the eigenvectors' derivative keeps
    NumPy's normalisation (unit norm, largest entry real); JAX differentiates only the
    eigenvalues.  A column's sign is LAPACK's choice and may flip under a perturbation.

    >>> import numpy as np
    >>> eig(np.array([[0.0, -1.0], [1.0, 0.0]])).eigenvalues
    array([0.+1.j, 0.-1.j])
    """
    a = _decomposable("eig", a, square=True)
    return EigResult(*dc.eig(a))


def eigvals(a: Any) -> Any:
    """``numpy.linalg.eigvals``: the (complex) eigenvalues of each square matrix of a
    stack; their derivative is ``diag(v^-1 dA v)``, ``v`` the eigenvectors (undefined at
    repeated eigenvalues)."""
    a = _decomposable("eigvals", a, square=True)
    return dc.eigvals(a)


def eigvalsh(a: Any, UPLO: str = "L") -> Any:  # noqa: N803 - NumPy's name
    """``numpy.linalg.eigvalsh``: the ascending eigenvalues of each symmetric (Hermitian)
    matrix of a stack (see :func:`eigh`); their derivative is ``Re(diag(v^H dA v))``."""
    return eigh(a, UPLO).eigenvalues


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> Any:
    """``numpy.linalg.svd``: ``U, S, Vh`` with ``a = U @ (S[..., None] * Vh)``, ``S``
    descending, for each matrix of a stack; only ``S`` if ``compute_uv=False``.

    Derivatives follow the reduced factors: with ``P = U^H dA V``, ``dS = Re(diag(P))`` and the
    singular vectors turn by ``F * (P S + S P^H)`` (``U``) and ``F * (S P + P^H S)`` (``V``),
    ``F[i, j] = 1 / (S[j]^2 - S[i]^2)``, plus a turn out of their span for the longer side.
    They are infinite or NaN at repeated singular values, and at zero ones for non-square
    matrices (the singular values' own derivative is always fine).  For complex matrices
    ``U`` also turns its phases by ``i Im(diag(P)) / S``, as in JAX.  With
    ``full_matrices=True`` and ``a`` not square, the derivative of ``U`` and ``Vh`` raises
    ``NotImplementedError`` (their extra columns are any basis of a complement), as in JAX;
    ``compute_uv=False`` differentiates anywhere.  ``hermitian`` is accepted and ignored:
    the general SVD is computed (for a symmetric ``a`` it equals NumPy's up to the signs of
    singular vector pairs).  Signs of singular vector pairs are LAPACK's choice.

    >>> import numpy as np
    >>> svd(np.array([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False)
    array([4., 3.])
    """
    a = _decomposable("svd", a)
    if not compute_uv:
        return dc.svd(a)[1]
    return SVDResult(*dc.svd(a, full_matrices=full_matrices))


def svdvals(x: Any, /) -> Any:
    """``numpy.linalg.svdvals``: the singular values of each matrix of a stack, descending
    (``svd(x, compute_uv=False)``)."""
    return svd(x, compute_uv=False)


def qr(a: Any, mode: str = "reduced") -> Any:
    """``numpy.linalg.qr``: ``Q, R`` with ``a = Q @ R``, ``Q`` with orthonormal columns and
    ``R`` upper triangular, for each matrix ``(m, n)`` of a stack.  ``mode``: ``"reduced"``
    (``Q: (m, k), R: (k, n)``, ``k = min(m, n)``), ``"complete"`` (``Q: (m, m), R: (m, n)``) or
    ``"r"`` (``R`` alone).  ``"raw"`` is not supported.

    Derivatives (``m >= n``): with ``C = dA R^-1`` and ``X = Q^H C``, ``Q^H dQ`` is the
    antisymmetric (anti-Hermitian) ``O`` made from the strict lower triangle of ``X`` (with
    ``i Im(diag(X))`` on its diagonal: LAPACK's ``R`` has a real diagonal); ``dQ = Q (O - X) + C``
    and ``dR = (X - O) R``.  A wide matrix ``[A1 A2]`` splits as ``A1 = Q R1`` (square) and
    ``R2 = Q^H A2``.  ``"complete"`` for tall matrices has no derivative
    (``NotImplementedError``: the extra columns of ``Q`` are any basis of a complement).  The
    signs of ``R``'s diagonal are LAPACK's.

    >>> import numpy as np
    >>> q, r = qr(np.array([[3.0, 1.0], [4.0, 2.0]]))
    >>> np.allclose(q @ r, [[3.0, 1.0], [4.0, 2.0]])
    True
    """
    if mode not in ("reduced", "complete", "r"):
        if mode == "raw":
            raise NotImplementedError("qr: mode='raw' (LAPACK's Householder reflectors) is "
                                      "not supported; use 'reduced', 'complete' or 'r'.")
        raise ValueError(f"qr: unrecognized mode {mode!r} (use 'reduced', 'complete' or 'r').")
    a = _decomposable("qr", a)
    q, r = dc.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


_NO_VALUE: Any = object()  # "not given", where None means something (pinv's rtol)


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = _NO_VALUE) -> Any:
    """``numpy.linalg.pinv``: the Moore-Penrose pseudo-inverse of each matrix of a stack,
    singular values at most ``rcond`` (default ``1e-15``; or ``rtol``, whose ``None`` means
    ``max(m, n) * eps``) times the largest taken as zero.  ``rcond`` must be one number.
    ``hermitian`` is accepted and ignored (the result is the same).

    Its own primitive, so that the derivative is the pseudo-inverse's (Golub & Pereyra:
    ``dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P``), exact wherever the rank
    is locally constant, rank-deficient matrices included, unlike a derivative through the
    SVD.

    >>> import numpy as np
    >>> pinv(np.array([[2.0, 0.0], [0.0, 0.0]]))
    array([[0.5, 0. ],
           [0. , 0. ]])
    """
    a = _decomposable("pinv", a)
    if rcond is None:
        if rtol is _NO_VALUE:
            rcond = 1e-15
        elif rtol is None:
            rcond = builtins.max(aval(a).shape[-2:]) * np.finfo(aval(a).dtype).eps
        else:
            rcond = rtol
    elif rtol is not _NO_VALUE:
        raise ValueError("pinv: rtol and rcond can't be both set.")
    return dc.pinv(a, _static_float("pinv", "rcond", rcond))


def _static_float(name: str, what: str, value: Any) -> float:
    if isinstance(value, Tracer) or np.ndim(value) != 0:
        raise NotImplementedError(f"{name}: {what} must be one concrete number, got {value!r} "
                                  "(per-matrix or traced values are not supported).")
    return float(value)


def tensorinv(a: Any, ind: int = 2) -> Any:
    """``numpy.linalg.tensorinv``: the inverse of ``a`` as a map from its last axes
    (``a.shape[ind:]``) to its first ones: ``a`` reshaped to a square matrix, inverted, and
    shaped ``a.shape[ind:] + a.shape[:ind]``."""
    a = as_operand(a)
    if ind <= 0:
        raise ValueError("tensorinv: invalid ind argument (it must be positive).")
    shape = aval(a).shape
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise np.linalg.LinAlgError(f"tensorinv: a of shape {shape} is not square over its "
                                    f"first {ind} and its other axes ({rows} != {cols}).")
    return sh.reshape(inv(sh.reshape(a, (rows, cols))), (*shape[ind:], *shape[:ind]))


def tensorsolve(a: Any, b: Any, axes: Sequence[int] | None = None) -> Any:
    """``numpy.linalg.tensorsolve``: ``x`` with ``tensordot(a, x, x.ndim) == b``, ``x`` shaped
    as ``a``'s last axes (after moving ``axes`` of ``a`` to the end)."""
    a, b = _float_operands(a, b)
    if axes is not None:
        nd = aval(a).ndim
        moved = [normalize_axis(k, nd, "tensorsolve") for k in axes]
        a = sh.transpose(a, (*[k for k in range(nd) if k not in moved], *moved))
    x_shape = aval(a).shape[aval(b).ndim:]
    size = math.prod(x_shape)
    if math.prod(aval(a).shape[:aval(b).ndim]) != size:
        raise np.linalg.LinAlgError(f"tensorsolve: a of shape {aval(a).shape} is not square "
                                    f"for b of shape {aval(b).shape}.")
    x = solve(sh.reshape(a, (size, size)), sh.reshape(b, (size,)))
    return sh.reshape(x, x_shape)


def matrix_power(a: Any, n: int) -> Any:
    """``numpy.linalg.matrix_power``: ``a`` multiplied by itself ``n`` times (an integer; 0
    gives the identity, a negative ``n`` powers the inverse), by repeated squaring as NumPy.

    >>> import numpy as np
    >>> matrix_power(np.array([[1.0, 1.0], [0.0, 1.0]]), 3)
    array([[1., 3.],
           [0., 1.]])
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: the exponent must be an integer, got {n!r}.")
    a = as_operand(a)
    _square("matrix_power", a)
    if n == 0:
        shape = aval(a).shape
        return np.broadcast_to(np.eye(shape[-1], dtype=aval(a).dtype), shape).copy()
    if n < 0:
        a, n = inv(a), -n
    if n <= 3:
        out = a
        for _ in range(n - 1):
            out = matmul(out, a)
        return out
    square, out = a, None
    while n > 0:
        n, bit = divmod(n, 2)
        if bit:
            out = square if out is None else matmul(out, square)
        if n:
            square = matmul(square, square)
    return out


def multi_dot(arrays: Sequence[Any], *, out: Any = None) -> Any:
    """``numpy.linalg.multi_dot``: the product of two or more arrays, multiplied in the order
    that costs fewest scalar multiplications.  The first may be a row vector and the last a
    column vector (1-D); the others are matrices.

    >>> import numpy as np
    >>> multi_dot([np.ones(2), np.eye(2), np.ones(2)])
    array(2.)
    """
    if out is not None:
        raise TypeError("multi_dot: out= is not supported on traced arrays.")
    ops = [as_operand(x) for x in arrays]
    if len(ops) < 2:
        raise ValueError("multi_dot: expected at least two arrays.")
    if len(ops) == 2:
        return dot(*ops)
    first_vector, last_vector = aval(ops[0]).ndim == 1, aval(ops[-1]).ndim == 1
    if first_vector:
        ops[0] = sh.reshape(ops[0], (1, aval(ops[0]).shape[0]))
    if last_vector:
        ops[-1] = sh.reshape(ops[-1], (aval(ops[-1]).shape[0], 1))
    for i, x in enumerate(ops):
        if aval(x).ndim != 2:
            raise ValueError(f"multi_dot: array {i} has {aval(x).ndim} dimensions; expected 2 "
                             "(1 for the first and last).")
    dims = [aval(ops[0]).shape[0], *(aval(x).shape[1] for x in ops)]
    result = _chain(ops, _chain_order(dims), 0, len(ops) - 1)
    shape = aval(result).shape
    return sh.reshape(result, tuple(n for n, keep in zip(
        shape, (not first_vector, not last_vector), strict=True) if keep))


def _chain_order(dims: list[int]) -> list[list[int]]:
    """``split[i][j]``: where the cheapest product of matrices ``i..j`` splits (the textbook
    dynamic programme over the chain's ``dims``)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j], split[i][j] = builtins.min(
                (cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1], k)
                for k in range(i, j))
    return split


def _chain(ops: list[Any], split: list[list[int]], i: int, j: int) -> Any:
    if i == j:
        return ops[i]
    k = split[i][j]
    return dot(_chain(ops, split, i, k), _chain(ops, split, k + 1, j))


def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False, *,  # noqa: N803
                rtol: Any = None) -> Any:
    """``numpy.linalg.matrix_rank``: the number of singular values above ``tol`` (default
    ``max(m, n) * eps`` times the largest, or ``rtol`` times the largest), per matrix of a
    stack; for fewer than two axes, 1 unless all entries are zero.  An integer: it has no
    derivative (the input is held constant); 0 for an empty matrix.  ``hermitian`` is
    accepted and ignored.

    >>> import numpy as np
    >>> int(matrix_rank(np.ones((3, 3))))
    1
    """
    (A,) = _float_operands(A)
    A = stop_gradient(A)
    if aval(A).ndim < 2:
        return convert(any(not_equal(A, 0)), np.dtype(np.int64))
    if 0 in aval(A).shape[-2:]:  # no singular values: rank 0, as NumPy 2's
        return np.zeros(aval(A).shape[:-2], np.int64)
    s = svdvals(A)
    if tol is None:
        scale = (builtins.max(aval(A).shape[-2:]) * np.finfo(aval(A).dtype).eps if rtol is None
                 else _static_float("matrix_rank", "rtol", rtol))
        tol = multiply(max(s, -1, keepdims=True), scale)
    else:
        tol = _static_float("matrix_rank", "tol", tol)
    return sum(convert(greater(s, tol), np.dtype(np.int64)), -1)


def cond(x: Any, p: Any = None) -> Any:
    """``numpy.linalg.cond``: the condition number of each matrix of a stack in the norm
    ``p``: for None, 2 and -2 the ratio of the largest and smallest singular values (any
    matrix; infinite for a singular one), otherwise ``norm(x, p) * norm(inv(x), p)``
    (square matrices; a singular one raises ``LinAlgError``, where NumPy returns inf).

    >>> import numpy as np
    >>> float(cond(np.array([[2.0, 0.0], [0.0, 0.5]])))
    4.0
    """
    x = _decomposable("cond", x)
    if p is None or p in (2, -2):
        s = svdvals(x)
        last = aval(s).ndim - 1
        big = sh.squeeze(ix.slice_in_dim(s, 0, 1, last), (last,))
        k = aval(s).shape[-1]
        small = sh.squeeze(ix.slice_in_dim(s, k - 1, k, last), (last,))
        r = divide(small, big) if p == -2 else divide(big, small)
        # NumPy's: 0 / 0 (a zero matrix) is inf too, unless x holds NaNs.
        return where(logical_and(isnan(r), logical_not(any(isnan(x), axis=(-2, -1)))), np.inf, r)
    _square("cond", x)
    axes = (-2, -1)
    return multiply(norm(x, p, axes), norm(inv(x), p, axes))


def lstsq(a: Any, b: Any, rcond: Any = None, *, numpy_resid: bool | None = None
          ) -> tuple[Any, Any, Any, Any]:
    """``numpy.linalg.lstsq``: the least-squares solution ``x`` of ``a @ x ~ b`` (minimum norm
    where ``a: (m, n)`` is rank deficient), the sums of squared residuals, the rank of ``a``
    and its singular values.  Singular values at most ``rcond`` (default ``max(m, n) * eps``)
    times the largest count as zero.

    ``x = pinv(a, rcond) @ b``, so its derivative is the pseudo-inverse's (exact where the
    rank is locally constant).  The residuals are NumPy's when the rank is known (empty unless
    ``m > n`` and ``a`` has full rank).  Under ``jit``, ``vmap`` or ``make_jaxpr`` the rank of
    a tall ``a`` is not known, and they are JAX's default instead: ``|b - a x|**2`` summed
    over rows, whatever the rank.  JAX's ``numpy_resid`` chooses: True always NumPy's (then
    ``ConcretizationError`` where the rank is not known), False always JAX's (for every
    shape).  The rank is an ``int32`` without derivative.

    >>> import numpy as np
    >>> x, res, rank, s = lstsq(np.array([[1.0], [1.0]]), np.array([1.0, 3.0]))
    >>> x, res, int(rank)
    (array([2.]), array([2.]), 1)
    """
    a, b = _float_operands(a, b)
    dc.check_matrices("lstsq", aval(a), square=False)
    if aval(a).ndim != 2 or aval(b).ndim not in (1, 2):
        raise np.linalg.LinAlgError(f"lstsq: expected a: (m, n) and b: (m,) or (m, k), got "
                                    f"shapes {aval(a).shape} and {aval(b).shape}.")
    (m, n), vector = aval(a).shape, aval(b).ndim == 1
    if aval(b).shape[0] != m:
        raise np.linalg.LinAlgError(f"lstsq: incompatible dimensions: a: {aval(a).shape}, "
                                    f"b: {aval(b).shape}.")
    # NumPy computes in float64 whatever the input, so its default cutoff is float64's.
    cutoff = (np.finfo(np.float64).eps * builtins.max(m, n) if rcond is None
              else _static_float("lstsq", "rcond", rcond))
    b2 = sh.reshape(b, (m, 1)) if vector else b
    x = matmul(dc.pinv(a, cutoff), b2)
    s = svdvals(a)
    s_held = stop_gradient(s)
    rank = sum(greater(s_held, multiply(max(s_held), cutoff)), dtype=np.int32)
    residuals: Any = np.zeros((0,), np.finfo(aval(a).dtype).dtype)  # real, as NumPy's
    if numpy_resid is False or m > n:
        full_rank: bool | None = None
        if numpy_resid is not False:
            try:
                full_rank = bool(rank == n)
            except ConcretizationError:
                if numpy_resid:
                    raise ConcretizationError(
                        "lstsq(numpy_resid=True): whether the residuals are empty (NumPy: "
                        "unless a is tall with full rank) depends on the rank's value, which "
                        "is not known while tracing; leave numpy_resid unset for JAX's "
                        "residuals.") from None
        if full_rank is not False:
            residuals = sum(abs_squared(subtract(b2, matmul(a, x))), 0)
    return (sh.reshape(x, (n,)) if vector else x), residuals, rank, s


# -- NumPy 2's array-API functions of numpy.linalg ----------------------------------------------


def outer(x1: Any, x2: Any, /) -> Any:
    """``numpy.linalg.outer``: the outer product of two 1-d arrays."""
    if aval(as_operand(x1)).ndim != 1 or aval(as_operand(x2)).ndim != 1:
        raise ValueError("linalg.outer: both inputs must be 1-d")
    return _linalg.outer(x1, x2)


def trace(x: Any, /, *, offset: int = 0, dtype: Any = None) -> Any:
    """``numpy.linalg.trace``: the sums of the diagonals over the last two axes."""
    return _linalg.trace(x, offset, -2, -1, dtype=dtype)


def diagonal(x: Any, /, *, offset: int = 0) -> Any:
    """``numpy.linalg.diagonal``: the diagonals over the last two axes."""
    return _linalg.diagonal(x, offset, -2, -1)


def matrix_transpose(x: Any, /) -> Any:
    """``numpy.linalg.matrix_transpose``: the last two axes swapped."""
    return _shapes.matrix_transpose(x)


def matmul(x1: Any, x2: Any, /) -> Any:
    """``numpy.linalg.matmul``: :func:`functrace.numpy.matmul`."""
    return _linalg.matmul(x1, x2)


def tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
    """``numpy.linalg.tensordot``: ``numpy.tensordot`` with ``axes`` by keyword."""
    return _linalg.tensordot(x1, x2, axes)


def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """``numpy.linalg.vecdot``: dot products along ``axis`` (conjugating ``x1``)."""
    return _linalg.vecdot(x1, x2, axis=axis)


def cross(x1: Any, x2: Any, /, *, axis: int = -1) -> Any:
    """``numpy.linalg.cross``: cross products of 3-vectors along ``axis``."""
    if aval(as_operand(x1)).shape[axis] != 3 or aval(as_operand(x2)).shape[axis] != 3:
        raise ValueError("linalg.cross: both inputs must have length 3 along the axis")
    return _linalg.cross(x1, x2, axis=axis)


def vector_norm(x: Any, /, *, axis: int | Sequence[int] | None = None, keepdims: bool = False,
                ord: Any = 2) -> Any:  # noqa: A002 - NumPy's name
    """``numpy.linalg.vector_norm``: the ``ord``-norm of the entries over ``axis`` (all of them,
    flattened, if None), whatever the number of axes."""
    x = as_operand(x)
    if axis is None:
        out = norm(sh.reshape(x, (aval(x).size,)), ord)
        return sh.reshape(out, (1,) * aval(x).ndim) if keepdims else out
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(axes) == 1:
        return norm(x, ord, axes[0], keepdims=keepdims)
    # Several axes: moved last and merged into one.
    nd = aval(x).ndim
    axes = tuple(normalize_axis(a, nd, "vector_norm") for a in axes)
    rest = [i for i in range(nd) if i not in axes]
    moved = sh.transpose(x, (*rest, *axes))
    count = int(np.prod([aval(x).shape[i] for i in axes]))
    merged = sh.reshape(moved, tuple(aval(x).shape[i] for i in rest) + (count,))
    out = norm(merged, ord, -1)
    if keepdims:
        out = sh.reshape(out, tuple(1 if i in axes else n for i, n in enumerate(aval(x).shape)))
    return out


def matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:  # noqa: A002
    """``numpy.linalg.matrix_norm``: the ``ord`` matrix norm over the last two axes."""
    return norm(x, ord, (-2, -1), keepdims=keepdims)
