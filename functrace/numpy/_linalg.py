"""Linear algebra of ``functrace.numpy``: dot, matmul, tensordot, outer, inner, vdot.

All lower to the one ``dot_general`` primitive."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from functrace.numpy._base import (
    as_operand,
    aval,
    broadcast_shapes,
    broadcast_to_shape,
    convert,
    result_dtype,
)
from functrace.numpy._elementwise import multiply
from functrace.numpy._reductions import normalize_axis
from functrace.numpy._shapes import ravel, reshape
from functrace.primitives.linalg import dot_general


def _contraction_error(name: str, a: Any, b: Any) -> ValueError:
    return ValueError(f"{name}: shapes {aval(a).shape} and {aval(b).shape} are not aligned "
                      "(the contracted axes differ in length).")


def dot(a: Any, b: Any) -> Any:
    """``numpy.dot``: products of scalars, inner product of vectors, otherwise a sum over the
    last axis of ``a`` and the second-to-last of ``b``."""
    if aval(a).ndim == 0 or aval(b).ndim == 0:
        return multiply(a, b)
    a, b = _same_dtype(a, b)
    na, nb = aval(a).ndim, aval(b).ndim
    b_axis = 0 if nb == 1 else nb - 2
    if aval(a).shape[-1] != aval(b).shape[b_axis]:
        raise _contraction_error("dot", a, b)
    return dot_general(a, b, (((na - 1,), (b_axis,)), ((), ())))


def _same_dtype(a: Any, b: Any) -> list[Any]:
    a, b = as_operand(a), as_operand(b)
    dtype = result_dtype(aval(a), aval(b))
    return [convert(a, dtype), convert(b, dtype)]


def matmul(a: Any, b: Any) -> Any:
    """``numpy.matmul`` (``@``): matrix products broadcast over leading batch axes."""
    a, b = _same_dtype(a, b)
    na, nb = aval(a).ndim, aval(b).ndim
    if na == 0 or nb == 0:
        raise ValueError("matmul: input operand does not have enough dimensions (use * for "
                         "scalars)")
    if na == 1 and nb == 1:
        return dot(a, b)
    a2 = reshape(a, (1, -1)) if na == 1 else a
    b2 = reshape(b, (-1, 1)) if nb == 1 else b
    sa, sb = aval(a2).shape, aval(b2).shape
    if sa[-1] != sb[-2]:
        raise _contraction_error("matmul", a, b)
    batch = broadcast_shapes("matmul", sa[:-2], sb[:-2])
    if not batch:
        out = dot_general(a2, b2, (((1,), (0,)), ((), ())))
    else:
        a2 = broadcast_to_shape(a2, (*batch, *sa[-2:]))
        b2 = broadcast_to_shape(b2, (*batch, *sb[-2:]))
        nbatch = tuple(range(len(batch)))
        out = dot_general(a2, b2, (((len(batch) + 1,), (len(batch),)), (nbatch, nbatch)))
    out_shape = aval(out).shape
    if na == 1:
        out_shape = out_shape[:-2] + out_shape[-1:]
    if nb == 1:
        out_shape = out_shape[:-1]
    return reshape(out, out_shape)


def tensordot(a: Any, b: Any, axes: int | Sequence[Any] = 2) -> Any:
    """``numpy.tensordot``: sum over the given axes of ``a`` and ``b``."""
    a, b = _same_dtype(a, b)
    na, nb = aval(a).ndim, aval(b).ndim
    if isinstance(axes, int):
        a_axes, b_axes = list(range(na - axes, na)), list(range(axes))
    else:
        a_axes, b_axes = axes  # type: ignore[misc]
        a_axes = [a_axes] if isinstance(a_axes, int) else list(a_axes)
        b_axes = [b_axes] if isinstance(b_axes, int) else list(b_axes)
    a_axes = [normalize_axis(i, na, "tensordot") for i in a_axes]
    b_axes = [normalize_axis(i, nb, "tensordot") for i in b_axes]
    if len(a_axes) != len(b_axes) or any(
            aval(a).shape[i] != aval(b).shape[j] for i, j in zip(a_axes, b_axes)):
        raise _contraction_error("tensordot", a, b)
    return dot_general(a, b, ((tuple(a_axes), tuple(b_axes)), ((), ())))


def outer(a: Any, b: Any) -> Any:
    a, b = _same_dtype(ravel(a), ravel(b))
    return dot_general(a, b, (((), ()), ((), ())))


def inner(a: Any, b: Any) -> Any:
    a, b = _same_dtype(a, b)
    na, nb = aval(a).ndim, aval(b).ndim
    if na == 0 or nb == 0:
        return multiply(a, b)
    if aval(a).shape[-1] != aval(b).shape[-1]:
        raise _contraction_error("inner", a, b)
    return dot_general(a, b, (((na - 1,), (nb - 1,)), ((), ())))


def vdot(a: Any, b: Any) -> Any:
    return dot(ravel(a), ravel(b))
