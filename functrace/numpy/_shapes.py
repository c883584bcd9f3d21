"""Shape functions of ``functrace.numpy`` and array creation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from functrace.core import Tracer
from functrace.numpy._base import as_operand, aval, broadcast_to_shape, convert
from functrace.numpy._reductions import normalize_axes, normalize_axis
from functrace.primitives import shape as sh


def asarray(a: Any, dtype: Any = None) -> Any:
    """An array from ``a``: traced values stay traced (converted to ``dtype`` if given);
    lists may mix traced values and numbers."""
    if isinstance(a, (list, tuple)) and _contains_tracer(a):
        from functrace.numpy._indexing import stack

        a = stack([asarray(x) for x in a])
    if isinstance(a, Tracer):
        return convert(a, np.dtype(dtype)) if dtype is not None else a
    return np.asarray(a, dtype=dtype)


array = asarray


def _contains_tracer(a: Any) -> bool:
    if isinstance(a, (list, tuple)):
        return any(_contains_tracer(x) for x in a)
    return isinstance(a, Tracer)


def shape(a: Any) -> tuple[int, ...]:
    return aval(a).shape


def ndim(a: Any) -> int:
    return aval(a).ndim


def size(a: Any) -> int:
    return aval(a).size


def reshape(a: Any, newshape: int | Sequence[int], order: str = "C") -> Any:
    """``numpy.reshape`` (C order; one axis may be -1)."""
    if order != "C":
        raise NotImplementedError("functrace.numpy.reshape supports only order='C'")
    a = as_operand(a)
    a_aval = aval(a)
    dims = [int(newshape)] if isinstance(newshape, (int, np.integer)) else [int(d) for d in newshape]
    if dims.count(-1) > 1:
        raise ValueError("reshape: can only specify one unknown dimension (-1)")
    if -1 in dims:
        known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        if known == 0 or a_aval.size % known:
            raise ValueError(f"reshape: cannot reshape an array of shape {a_aval.shape} "
                             f"into {tuple(dims)}")
        dims[dims.index(-1)] = a_aval.size // known
    new = tuple(dims)
    return a if new == a_aval.shape else sh.reshape(a, new)


def ravel(a: Any) -> Any:
    return reshape(a, -1)


def transpose(a: Any, axes: Sequence[int] | None = None) -> Any:
    """``numpy.transpose``: reverse the axes, or permute them as ``axes`` says."""
    a = as_operand(a)
    nd = aval(a).ndim
    perm = tuple(range(nd))[::-1] if axes is None else tuple(
        normalize_axis(int(i), nd, "transpose") for i in axes)
    if sorted(perm) != list(range(nd)):
        raise ValueError(f"transpose: axes {axes} don't match an array of {nd} dimensions")
    return a if perm == tuple(range(nd)) else sh.transpose(a, perm)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    nd = aval(a).ndim
    perm = list(range(nd))
    i, j = normalize_axis(axis1, nd, "swapaxes"), normalize_axis(axis2, nd, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def moveaxis(a: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Any:
    nd = aval(a).ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of axes")
    src = [normalize_axis(s, nd, "moveaxis") for s in src]
    dst = [normalize_axis(d, nd, "moveaxis") for d in dst]
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def expand_dims(a: Any, axis: int | Sequence[int]) -> Any:
    """``numpy.expand_dims``: new axes of length 1 at ``axis`` (positions in the result)."""
    a = as_operand(a)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    dims = normalize_axes(axes, aval(a).ndim + len(axes), "expand_dims")
    return sh.expand_dims(a, dims)


def squeeze(a: Any, axis: int | Sequence[int] | None = None) -> Any:
    """``numpy.squeeze``: remove length-1 axes (all of them, or those in ``axis``)."""
    a = as_operand(a)
    a_shape = aval(a).shape
    if axis is None:
        dims = tuple(i for i, n in enumerate(a_shape) if n == 1)
    else:
        dims = normalize_axes(axis, len(a_shape), "squeeze")
        if any(a_shape[d] != 1 for d in dims):
            raise ValueError("squeeze: cannot select an axis to squeeze out which has size "
                             "not equal to one")
    return sh.squeeze(a, dims) if dims else a


def broadcast_to(a: Any, shape: int | Sequence[int]) -> Any:
    """``numpy.broadcast_to``."""
    target = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
    return broadcast_to_shape(as_operand(a), target)


def atleast_1d(a: Any) -> Any:
    return reshape(a, (1,)) if aval(a).ndim == 0 else as_operand(a)


def atleast_2d(a: Any) -> Any:
    a = atleast_1d(a)
    return expand_dims(a, 0) if aval(a).ndim == 1 else a


# -- creation: constants, independent of any traced value ---------------------------------------


def zeros_like(a: Any, dtype: Any = None) -> np.ndarray:
    """Zeros of ``a``'s shape and dtype (a constant: it does not depend on ``a``'s values)."""
    a_aval = aval(a)
    return np.zeros(a_aval.shape, dtype or a_aval.dtype)


def ones_like(a: Any, dtype: Any = None) -> np.ndarray:
    a_aval = aval(a)
    return np.ones(a_aval.shape, dtype or a_aval.dtype)


def full_like(a: Any, fill_value: Any, dtype: Any = None) -> Any:
    a_aval = aval(a)
    if isinstance(fill_value, Tracer):
        return broadcast_to(convert(fill_value, np.dtype(dtype or a_aval.dtype)), a_aval.shape)
    return np.full(a_aval.shape, fill_value, dtype or a_aval.dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    if isinstance(fill_value, Tracer):
        fill = convert(fill_value, np.dtype(dtype)) if dtype is not None else fill_value
        return broadcast_to(fill, shape)
    return np.full(shape, fill_value, dtype)


zeros, ones, empty, eye, identity, arange, linspace = (
    np.zeros, np.ones, np.zeros, np.eye, np.identity, np.arange, np.linspace)
