"""Reductions of ``functrace.numpy``: sum, mean, max, min, var, std, logsumexp."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from functrace.numpy._base import aval, convert, promote
from functrace.numpy._elementwise import (
    absolute,
    add,
    isfinite,
    log,
    multiply,
    exp,
    sqrt,
    stop_gradient,
    subtract,
    true_divide,
    where,
)
from functrace.primitives import reductions as red
from functrace.primitives.shape import expand_dims, reduce_sum, squeeze

Axis = int | Sequence[int] | None

AxisError = np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError  # type: ignore


def normalize_axes(axis: Axis, ndim: int, name: str) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (None means all), as NumPy checks it."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise AxisError(f"{name}: axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(a % ndim if ndim else a)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: repeated axis in {axis}")
    return tuple(sorted(out))


def normalize_axis(axis: int, ndim: int, name: str) -> int:
    return normalize_axes(axis, ndim, name)[0]


def _keepdims(x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    return expand_dims(x, axes) if keepdims and axes else x


def sum(a: Any, axis: Axis = None, dtype: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    """``numpy.sum`` (booleans and small integers are summed as int64, as NumPy does)."""
    (a,) = promote("sum", a)
    axes = normalize_axes(axis, aval(a).ndim, "sum")
    if dtype is None:
        dtype = np.add.reduce(np.zeros(1, aval(a).dtype)).dtype
    a = convert(a, np.dtype(dtype))
    return _keepdims(reduce_sum(a, axes) if axes else a, axes, keepdims)


def mean(a: Any, axis: Axis = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """``numpy.mean``: integers are averaged in float64."""
    (a,) = promote("mean", a)
    a_aval = aval(a)
    axes = normalize_axes(axis, a_aval.ndim, "mean")
    if dtype is None:
        dtype = a_aval.dtype if a_aval.dtype.kind in "fc" else np.dtype(np.float64)
    count = int(np.prod([a_aval.shape[i] for i in axes], dtype=np.int64))
    total = sum(convert(a, np.dtype(dtype)), axes, keepdims=keepdims)
    return true_divide(total, np.asarray(count, dtype=dtype))


def _extremum(name: str, prim_fn: Any, a: Any, axis: Axis, keepdims: bool) -> Any:
    (a,) = promote(name, a)
    a_aval = aval(a)
    axes = normalize_axes(axis, a_aval.ndim, name)
    if any(a_aval.shape[i] == 0 for i in axes):
        raise ValueError(f"{name}: zero-size array to reduction operation, which has no identity")
    return _keepdims(prim_fn(a, axes) if axes else a, axes, keepdims)


def max(a: Any, axis: Axis = None, keepdims: bool = False) -> Any:  # noqa: A001
    """``numpy.max``; the gradient is split equally among tied maxima."""
    return _extremum("max", red.reduce_max, a, axis, keepdims)


def min(a: Any, axis: Axis = None, keepdims: bool = False) -> Any:  # noqa: A001
    """``numpy.min``; the gradient is split equally among tied minima."""
    return _extremum("min", red.reduce_min, a, axis, keepdims)


amax, amin = max, min


def var(a: Any, axis: Axis = None, dtype: Any = None, ddof: int = 0,
        keepdims: bool = False) -> Any:
    """``numpy.var``: the mean squared deviation from the mean (divided by ``n - ddof``)."""
    (a,) = promote("var", a)
    a_aval = aval(a)
    axes = normalize_axes(axis, a_aval.ndim, "var")
    centered = subtract(a, mean(a, axes, dtype=dtype, keepdims=True))
    sq = multiply(centered, centered) if aval(centered).dtype.kind != "c" else \
        multiply(absolute(centered), absolute(centered))
    count = int(np.prod([a_aval.shape[i] for i in axes], dtype=np.int64))
    total = sum(sq, axes, keepdims=keepdims)
    return true_divide(total, np.asarray(count - ddof, dtype=aval(total).dtype))


def std(a: Any, axis: Axis = None, dtype: Any = None, ddof: int = 0,
        keepdims: bool = False) -> Any:
    """``numpy.std``: the square root of :func:`var`."""
    return sqrt(var(a, axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


def logsumexp(a: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """``log(sum(exp(a)))`` computed stably by shifting by the (gradient-free) maximum."""
    (a,) = promote("logsumexp", a)
    if aval(a).dtype.kind not in "fc":
        a = convert(a, np.dtype(np.float64))
    axes = normalize_axes(axis, aval(a).ndim, "logsumexp")
    shift = stop_gradient(max(a, axes, keepdims=True))
    shift = where(isfinite(shift), shift, np.zeros((), aval(a).dtype))
    out = log(sum(exp(subtract(a, shift)), axes, keepdims=True))
    out = add(out, shift)
    return squeeze(out, axes) if (axes and not keepdims) else out
