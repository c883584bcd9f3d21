"""``functrace.numpy.linalg``: the parts of ``numpy.linalg`` that functrace supports.

:func:`norm` is written on the elementwise and reduction functions; :func:`solve`, :func:`inv`
and :func:`det` on the ``solve`` and ``det`` primitives (``functrace.primitives.linalg``),
whose derivatives are the textbook ones: ``d(a^-1 b) = a^-1 (db - da a^-1 b)`` and
``d det(a) = det(a) trace(a^-1 da)`` (and ``d log|det a| = trace(a^-1 da)`` for
:func:`slogdet`).  All of them work inside every transformation, and
``np.linalg.norm`` / ``solve`` / ``inv`` / ``det`` on tracers land here.  At an exactly
singular matrix ``solve`` and ``inv`` raise NumPy's ``LinAlgError``, as NumPy does, and so does
the derivative of ``det`` (JAX returns the adjugate there); the 2-norm's derivative at the zero
vector is NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from functrace.numpy._base import (
    as_operand,
    aval,
    broadcast_shapes,
    broadcast_to_shape,
    convert,
    result_dtype,
)
from functrace.numpy._elementwise import absolute, multiply, power, sqrt
from functrace.numpy._reductions import max, min, normalize_axis, sum  # noqa: A004
from functrace.primitives import linalg as la
from functrace.primitives import shape as sh

__all__ = ["det", "inv", "norm", "slogdet", "solve"]


def norm(x: Any, ord: Any = None, axis: int | Sequence[int] | None = None,  # noqa: A002
         keepdims: bool = False) -> Any:
    """``numpy.linalg.norm``: vector norms over one axis (``ord`` None/2, 1, inf, -inf, 0 or
    any p), matrix norms over two: Frobenius (None/'fro') and the largest or smallest absolute
    column (1, -1) or row (inf, -inf) sum.  The spectral and nuclear norms (2, -2, 'nuc') need
    an SVD and raise.  ``axis=None`` means all axes with ``ord=None`` (the 2-norm of the
    flattened array), and otherwise the array's one or two axes, as NumPy.

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
    mag = absolute(x) if aval(x).dtype.kind == "c" else x
    return sqrt(sum(multiply(mag, mag), axes, keepdims=keepdims))


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
    raise ValueError(f"norm: unsupported norm order {ord!r} for matrices (only None, 'fro', "
                     "1, -1, inf and -inf; the spectral and nuclear norms need an SVD).")


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


def slogdet(a: Any) -> tuple[Any, Any]:
    """``numpy.linalg.slogdet``: ``(sign, log|det|)`` of each square matrix of a stack, the
    second computed without forming the determinant (no overflow or underflow); the sign has a
    zero derivative."""
    (a,) = _float_operands(a)
    _square("slogdet", a)
    return la.det_sign(a), la.logabsdet(a)
