"""Reductions of ``functrace.numpy``: sum, mean, prod, max, min, var, std, logsumexp, argmax,
argmin, all, any, the cumulative sums and products, their NaN-ignoring versions, and the
whole-array comparisons (allclose, array_equal)."""

from __future__ import annotations

import builtins  # this module defines sum, max, min, all and any, NumPy's names
import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from functrace.numpy._base import (
    as_operand,
    aval,
    broadcast_to_shape,
    convert,
    no_out,
    promote,
)
from functrace.numpy._elementwise import (
    add,
    conjugate,
    equal,
    exp,
    greater,
    imag,
    isclose,
    isfinite,
    isnan,
    less,
    log,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    not_equal,
    real,
    sqrt,
    stop_gradient,
    subtract,
    true_divide,
    where,
)
from functrace.primitives import indexing as ix
from functrace.primitives import reductions as red
from functrace.primitives.shape import expand_dims, reduce_sum, reshape, squeeze

Axis = int | Sequence[int] | None
_select = where  # for functions whose ``where=`` keyword (NumPy's) shadows it

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
    """One axis, made non-negative.  A tuple or list raises ``TypeError``, as NumPy's
    single-axis functions (``argmax``, ``cumsum``, ``argsort`` ...) do: it used to pick the
    smallest of its axes."""
    if isinstance(axis, (tuple, list)):
        raise TypeError(f"{name}: axis must be an integer, got {type(axis).__name__} {axis!r} "
                        f"('{type(axis).__name__}' object cannot be interpreted as an integer).")
    return normalize_axes(axis, ndim, name)[0]


def _keepdims(x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    return expand_dims(x, axes) if keepdims and axes else x


def _masked(name: str, a: Any, selected: Any, fill: Any) -> Any:
    """``a`` with ``fill`` wherever the mask ``selected`` (broadcast to ``a``'s shape) is
    False: NumPy's ``where=`` of a reduction, which leaves those entries out."""
    selected = as_operand(selected)
    if aval(selected).dtype != np.dtype(bool):
        raise TypeError(f"{name}: where= must be a boolean array, got dtype "
                        f"{aval(selected).dtype}")
    mask = broadcast_to_shape(selected, aval(a).shape)
    return where(mask, a, np.asarray(fill, dtype=aval(a).dtype))


def _count(a_aval: Any, axes: tuple[int, ...], where: Any, keepdims: bool, like: Any,
           selected: Any = None) -> Any:
    """How many entries each reduction over ``axes`` takes: a Python int, or with a
    ``where=`` mask (or a mask ``selected`` of the entries that count, such as the non-NaN
    ones) an array of counts, of the real dtype of the sum ``like`` if that is inexact (the
    dtype the mean is divided in), else ``intp``."""
    masks = [as_operand(m) for m in (where, selected) if m is not None]
    if not masks:
        return math.prod([a_aval.shape[i] for i in axes])
    mask = masks[0] if len(masks) == 1 else logical_and(*masks)
    kind = aval(like).dtype.kind
    dtype = np.finfo(aval(like).dtype).dtype if kind in "fc" else np.dtype(np.intp)
    return sum(broadcast_to_shape(mask, a_aval.shape), axes, dtype=dtype, keepdims=keepdims)


def _divide(total: Any, count: Any, ddof: float = 0) -> Any:
    """``total / max(count - ddof, 0)`` in ``total``'s dtype, as NumPy's ``mean`` and ``var``
    divide (an integer ``total``, from an integer ``dtype=``, is divided in float64 and cast
    back, truncating, as NumPy's unsafe cast does)."""
    if isinstance(count, int):
        denominator: Any = builtins.max(count - ddof, 0)  # a Python number: weakly typed
    elif ddof:
        denominator = maximum(subtract(count, ddof), 0)
    else:
        denominator = count
    return convert(true_divide(total, denominator), aval(total).dtype)


def _accumulator(a_aval: Any, dtype: Any) -> Any:
    """The dtype NumPy's ``mean`` and ``var`` accumulate in: ``dtype`` (integer ones too: the
    sums wrap and the quotients truncate, as NumPy's), else float64 for integer and boolean
    ``a``, else None (``a``'s own)."""
    if dtype is not None:
        return np.dtype(dtype)
    return np.dtype(np.float64) if a_aval.dtype.kind in "biu" else None


def _operand(name: str, a: Any) -> Any:
    """The array a reduction reads; a Python number becomes a NumPy one, so that the result is
    strongly typed, as NumPy's reductions' results are (``fnp.sum(2.0)`` is a float64)."""
    (a,) = promote(name, a)
    return np.asarray(a) if type(a) in (bool, int, float, complex) else a


@functools.cache
def _sum_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype NumPy sums ``dtype`` in (booleans and small integers as the platform int)."""
    return np.add.reduce(np.zeros(1, dtype)).dtype


def sum(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,  # noqa: A001
        keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """``numpy.sum`` (booleans and small integers are summed as int64, as NumPy does), with
    NumPy's ``initial`` (added to each sum) and ``where`` (a mask of the entries to sum)."""
    no_out("sum", out)
    a = _operand("sum", a)
    axes = normalize_axes(axis, aval(a).ndim, "sum")
    a = convert(a, _sum_dtype(aval(a).dtype) if dtype is None else np.dtype(dtype))
    if where is not None:
        a = _masked("sum", a, where, 0)
    total = _keepdims(reduce_sum(a, axes) if axes else a, axes, keepdims)
    return total if initial is None else add(total, np.asarray(initial, dtype=aval(a).dtype))


def mean(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
         keepdims: bool = False, *, where: Any = None) -> Any:
    """``numpy.mean``: the sum in ``dtype`` divided by the count.  Integers and booleans are
    averaged in float64, float16 in float32 (the result float16), as NumPy's; an integer
    ``dtype`` gives NumPy's integer mean (the sum in that dtype, the quotient truncated).
    ``where`` masks the entries to average (a slice with none selected gives NaN)."""
    no_out("mean", out)
    a = _operand("mean", a)
    a_aval = aval(a)
    axes = normalize_axes(axis, a_aval.ndim, "mean")
    acc = _accumulator(a_aval, dtype)
    if acc is None and a_aval.dtype == np.float16:  # NumPy sums float16 in float32
        total = sum(a, axes, dtype=np.float32, keepdims=keepdims, where=where)
        count = _count(a_aval, axes, where, keepdims, total)
        return convert(_divide(total, count), a_aval.dtype)
    total = sum(a, axes, dtype=acc, keepdims=keepdims, where=where)
    return _divide(total, _count(a_aval, axes, where, keepdims, total))


def _extremum(name: str, prim_fn: Any, a: Any, axis: Axis, out: Any, keepdims: bool,
              initial: Any, where: Any) -> Any:
    no_out(name, out)
    a = _operand(name, a)
    a_aval = aval(a)
    axes = normalize_axes(axis, a_aval.ndim, name)
    if where is not None:
        if initial is None:
            raise ValueError(f"{name}: the reduction has no identity, so to use a where mask "
                             "one has to specify 'initial' (as NumPy requires).")
        a = _masked(name, a, where, initial)
    if builtins.any(a_aval.shape[i] == 0 for i in axes):
        if initial is None:
            raise ValueError(f"{name}: zero-size array to reduction operation, which has no "
                             "identity")
        a = _initial_only(a, axes, initial)
    result = _keepdims(prim_fn(a, axes) if axes else a, axes, keepdims)
    if initial is None:
        return result
    other = maximum if name == "max" else minimum
    return other(result, np.asarray(initial, dtype=aval(a).dtype))


def _initial_only(a: Any, axes: tuple[int, ...], initial: Any) -> Any:
    """An empty reduction with ``initial``: the reduction of a single ``initial`` entry."""
    shape = tuple(1 if i in axes else n for i, n in enumerate(aval(a).shape))
    return np.full(shape, initial, dtype=aval(a).dtype)


def max(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False,  # noqa: A001
        initial: Any = None, where: Any = None) -> Any:
    """``numpy.max``; the gradient is split equally among tied maxima.  ``initial`` takes
    part in every maximum; ``where`` (which needs ``initial``) masks the entries."""
    return _extremum("max", red.reduce_max, a, axis, out, keepdims, initial, where)


def min(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False,  # noqa: A001
        initial: Any = None, where: Any = None) -> Any:
    """``numpy.min``; the gradient is split equally among tied minima.  ``initial`` takes
    part in every minimum; ``where`` (which needs ``initial``) masks the entries."""
    return _extremum("min", red.reduce_min, a, axis, out, keepdims, initial, where)


amax, amin = max, min


def var(a: Any, axis: Axis = None, dtype: Any = None, out: None = None, ddof: float = 0,
        keepdims: bool = False, *, where: Any = None, mean: Any = None,
        correction: float | None = None) -> Any:
    """``numpy.var``: the mean squared deviation from the mean, divided by ``n - ddof``
    (``correction`` is NumPy 2's name for ``ddof``).  ``where`` masks the entries; ``mean``,
    if given, is used as the mean (with ``keepdims=True``'s shape, as NumPy's).  As NumPy's,
    the mean and the sum of squares are computed in ``dtype`` (float64 for integers) and the
    result has that dtype (an integer ``dtype`` truncates)."""
    no_out("var", out)
    ddof = _ddof("var", ddof, correction)
    a = _operand("var", a)
    a_aval = aval(a)
    axes = normalize_axes(axis, a_aval.ndim, "var")
    acc = _accumulator(a_aval, dtype)
    center = mean
    if center is None:
        total = sum(a, axes, dtype=acc, keepdims=True, where=where)
        center = _divide(total, _count(a_aval, axes, where, True, total))
    squares = abs_squared(subtract(a, center))
    total = sum(squares, axes, dtype=acc, keepdims=keepdims, where=where)
    # NumPy divides by max(n - ddof, 0): inf (or NaN) where ddof >= n, not a negative variance.
    return _divide(total, _count(a_aval, axes, where, keepdims, total), ddof)


def _ddof(name: str, ddof: float, correction: float | None) -> float:
    """``ddof``, or NumPy 2's ``correction`` (not both)."""
    if correction is None:
        return ddof
    if ddof != 0:
        raise ValueError(f"{name}: ddof and correction can't be provided simultaneously.")
    return correction


def _sqrt_result(name: str, v: Any) -> Any:
    """``sqrt(v)`` in ``v``'s dtype, as NumPy's ``std`` takes it: an integer variance (from
    an integer ``dtype=``) is truncated if it is a scalar; an integer array refuses the
    float square root, with NumPy's ``TypeError``."""
    dtype = aval(v).dtype
    root = sqrt(v)  # (of integers in the float dtype NumPy's sqrt gives them: int8's float16)
    if dtype.kind in "fc":
        return root
    if aval(v).ndim:
        raise TypeError(f"{name}: Cannot cast ufunc 'sqrt' output from {aval(root).dtype!r} "
                        f"to {dtype!r} with casting rule 'same_kind'")
    return convert(root, dtype)


def abs_squared(x: Any) -> Any:
    """``|x|**2``, real: ``x * x``, or ``real(x * conj(x))`` for complex ``x`` (smooth at 0,
    where ``abs(x)**2`` has no second derivative)."""
    if aval(x).dtype.kind == "c":
        return real(multiply(x, conjugate(x)))
    return multiply(x, x)


def std(a: Any, axis: Axis = None, dtype: Any = None, out: None = None, ddof: float = 0,
        keepdims: bool = False, *, where: Any = None, mean: Any = None,
        correction: float | None = None) -> Any:
    """``numpy.std``: the square root of :func:`var` (same arguments), in its dtype."""
    variance = var(a, axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims, where=where,
                   mean=mean, correction=correction)
    a_aval = aval(_operand("std", a))
    count = math.prod(a_aval.shape[ax] for ax in normalize_axes(axis, a_aval.ndim, "std"))
    if (count == 1 and where is None and mean is None and (correction or ddof) < 1
            and aval(variance).dtype.kind in "fc"):
        # The deviation of a single entry from its own mean is exactly zero whatever the
        # entry: the variance is that constant zero with a zero derivative, which sqrt's
        # derivative at 0 would turn into NaN (JAX gives NaN; autograd and the function, 0).
        return variance
    return _sqrt_result("std", variance)


def logsumexp(a: Any, axis: Axis = None, keepdims: bool = False, *, b: Any = None,
              return_sign: bool = False) -> Any:
    """``log(sum(exp(a)))`` computed stably by shifting by the (gradient-free) maximum: for
    real floats one ``reduce_logsumexp`` primitive, whose derivative is the softmax.

    As ``jax.nn.logsumexp`` (and scipy's): ``b`` scales each ``exp(a)`` (broadcast against
    ``a``), and with ``return_sign`` the result is ``(log|s|, sign(s))`` for the sum ``s``
    (for complex ``a``, the sign is ``s / |s|``); without it a negative real sum gives NaN.
    The derivative with respect to a zero weight is ``exp(a) / s``, as the formula has it (JAX
    drops such entries and gives 0)."""
    a = _operand("logsumexp", a)
    if b is not None:
        a, b = promote("logsumexp", a, b)
    if aval(a).dtype.kind not in "fc":
        a = convert(a, np.dtype(np.float64))
        b = None if b is None else convert(b, np.dtype(np.float64))
    axes = normalize_axes(axis, aval(a).ndim, "logsumexp")
    if b is None and not return_sign and aval(a).dtype.kind == "f":
        out = red.reduce_logsumexp(a, axes)  # one primitive (see primitives.reductions)
        return expand_dims(out, axes) if keepdims and axes else out
    # With weights, the sign, or complex values: the composite, log|sum(b exp(a - m))| + m for
    # the gradient-free shift m (the largest finite entry where b is nonzero, else 0), as JAX's.
    held = stop_gradient(a)
    if b is not None:  # entries with b == 0 do not count (nor decide the shift)
        held = where(equal(stop_gradient(b), 0), np.asarray(-np.inf, aval(a).dtype), held)
    empty = builtins.any(aval(a).shape[i] == 0 for i in axes)
    shift = np.zeros((), aval(a).dtype) if empty else max(held, axes, keepdims=True)
    shift = where(isfinite(shift), shift, np.zeros((), aval(a).dtype))
    terms = exp(subtract(a, shift))
    if b is not None:
        terms = multiply(terms, b)
    total = sum(terms, axes, keepdims=True)
    if aval(total).dtype.kind == "c":
        out = add(log(total), shift)
        if return_sign:  # log|s| and the phase of s, as JAX's
            sign = stop_gradient(exp(multiply(1j, imag(out))))
            out = real(out)
    else:
        sign = stop_gradient(where(greater(total, 0), 1.0, where(less(total, 0), -1.0, 0.0)))
        sign = convert(sign, aval(total).dtype)
        out = add(log(multiply(total, sign)), shift)
        if not return_sign:
            out = where(less(sign, 0), np.asarray(np.nan, aval(out).dtype), out)
    if not return_sign:
        return squeeze(out, axes) if axes and not keepdims else out
    if axes and not keepdims:
        out, sign = squeeze(out, axes), squeeze(sign, axes)
    return out, sign


def ptp(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False) -> Any:
    """``numpy.ptp``: the range, ``max - min``, along ``axis``."""
    no_out("ptp", out)
    return subtract(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


def average(a: Any, axis: Axis = None, weights: Any = None, returned: bool = False,
            keepdims: bool = False) -> Any:
    """``numpy.average``: the mean, or the ``weights``-weighted mean, along ``axis``.

    ``weights`` has ``a``'s shape, or (with a single int ``axis``) is 1-d along that axis.
    With ``returned=True`` the sum of the weights comes back too.
    """
    if weights is None:
        out = mean(a, axis, keepdims=keepdims)
        if not returned:
            return out
        a = _operand("average", a)
        count = math.prod(aval(a).shape) // builtins.max(math.prod(aval(out).shape), 1)
        return out, np.full(aval(out).shape, count, dtype=aval(out).dtype)
    a = _operand("average", a)
    (w,) = promote("average", weights)
    a_shape, w_shape = aval(a).shape, aval(w).shape
    if w_shape != a_shape:
        if not isinstance(axis, int) or len(w_shape) != 1:
            raise TypeError("average: weights must have the shape of a, or be 1-d along a single "
                            f"axis; got weights of shape {w_shape} for a of shape {a_shape} and "
                            f"axis={axis!r}.")
        ax = normalize_axis(axis, len(a_shape), "average")
        if w_shape[0] != a_shape[ax]:
            raise ValueError("average: the length of weights differs from that of the axis.")
        w = reshape(w, tuple(n if i == ax else 1 for i, n in enumerate(a_shape)))
    total = sum(multiply(a, w), axis, keepdims=keepdims)
    w_sum = sum(broadcast_to_shape(w, a_shape), axis, keepdims=keepdims)
    out = true_divide(total, w_sum)
    return (out, w_sum) if returned else out


def _accumulator_dtype(np_fn: Any, dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype NumPy accumulates ``dtype`` in (booleans and small integers widen to the
    default integer, as in ``numpy.sum``)."""
    return np.dtype(np_fn(np.zeros(1, dtype)).dtype)


def prod(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
         keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """``numpy.prod``, with NumPy's ``initial`` (a factor of every product) and ``where`` (a
    mask of the entries to multiply).  Its derivative is exact where entries are zero: the
    derivative by one entry is the product of the others, computed without division."""
    no_out("prod", out)
    a = _operand("prod", a)
    axes = normalize_axes(axis, aval(a).ndim, "prod")
    a = convert(a, np.dtype(dtype) if dtype is not None else _accumulator_dtype(np.prod,
                                                                               aval(a).dtype))
    if where is not None:
        a = _masked("prod", a, where, 1)
    result = _keepdims(red.reduce_prod(a, axes) if axes else a, axes, keepdims)
    return result if initial is None else multiply(result,
                                                   np.asarray(initial, dtype=aval(a).dtype))


def _flat_or_axis(name: str, a: Any, axis: int | None) -> tuple[Any, int]:
    """``a`` and a normalized ``axis``; ``axis=None`` means the flattened array."""
    if axis is None:
        a_aval = aval(a)
        return (reshape(a, (a_aval.size,)) if a_aval.ndim != 1 else a), 0
    return a, normalize_axis(axis, aval(a).ndim, name)


def _cumulative(name: str, np_fn: Any, prim_fn: Any, a: Any, axis: int | None,
                dtype: Any) -> Any:
    a = _operand(name, a)
    a, ax = _flat_or_axis(name, a, axis)
    a = convert(a, np.dtype(dtype) if dtype is not None else _accumulator_dtype(np_fn,
                                                                               aval(a).dtype))
    return prim_fn(a, ax)


def cumsum(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """``numpy.cumsum``: running sums along ``axis`` (of the flattened array if None)."""
    no_out("cumsum", out)
    return _cumulative("cumsum", np.cumsum, red.cumsum, a, axis, dtype)


def cumprod(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """``numpy.cumprod``: running products along ``axis`` (of the flattened array if None);
    the derivative is exact where entries are zero."""
    no_out("cumprod", out)
    return _cumulative("cumprod", np.cumprod, red.cumprod, a, axis, dtype)


def _arg_extremum(name: str, prim_fn: Any, a: Any, axis: int | None, keepdims: bool) -> Any:
    a = _operand(name, a)
    nd = aval(a).ndim
    flat, ax = _flat_or_axis(name, a, axis)
    if aval(flat).shape[ax] == 0:
        raise ValueError(f"attempt to get {name} of an empty sequence")
    out = prim_fn(flat, ax, np.dtype(np.intp))
    if keepdims:
        return reshape(out, (1,) * nd) if axis is None else expand_dims(out, (ax,))
    return out


def argmax(a: Any, axis: int | None = None, out: None = None, *, keepdims: bool = False
           ) -> Any:
    """``numpy.argmax``: the index of the first largest entry (of the flattened array if
    ``axis`` is None).  An integer result: no derivative."""
    no_out("argmax", out)
    return _arg_extremum("argmax", red.argmax, a, axis, keepdims)


def argmin(a: Any, axis: int | None = None, out: None = None, *, keepdims: bool = False
           ) -> Any:
    """``numpy.argmin``: the index of the first smallest entry (of the flattened array if
    ``axis`` is None).  An integer result: no derivative."""
    no_out("argmin", out)
    return _arg_extremum("argmin", red.argmin, a, axis, keepdims)


def _logical_reduction(name: str, prim_fn: Any, empty: bool, a: Any, axis: Axis, out: Any,
                       keepdims: bool, where: Any) -> Any:
    no_out(name, out)
    a = _operand(name, a)
    a = convert(a, np.dtype(bool))
    if where is not None:
        a = _masked(name, a, where, empty)
    a_aval = aval(a)
    axes = normalize_axes(axis, a_aval.ndim, name)
    if builtins.any(a_aval.shape[i] == 0 for i in axes):
        # An empty reduction: the identity (True for all, False for any), as NumPy.
        kept = tuple(1 if i in axes else n for i, n in enumerate(a_aval.shape))
        shape = kept if keepdims else tuple(n for i, n in enumerate(a_aval.shape)
                                            if i not in axes)
        return np.full(shape, empty)
    return _keepdims(prim_fn(a, axes) if axes else a, axes, keepdims)


def all(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False,  # noqa: A001
        *, where: Any = None) -> Any:
    """``numpy.all``: whether every entry is true (nonzero) along ``axis`` (of those selected
    by ``where``)."""
    return _logical_reduction("all", red.reduce_min, True, a, axis, out, keepdims, where)


def any(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False,  # noqa: A001
        *, where: Any = None) -> Any:
    """``numpy.any``: whether some entry is true (nonzero) along ``axis`` (of those selected
    by ``where``)."""
    return _logical_reduction("any", red.reduce_max, False, a, axis, out, keepdims, where)


# -- NaN-ignoring reductions: NaNs replaced by the reduction's identity ------------------------


def _without_nans(name: str, a: Any, fill: float) -> tuple[Any, Any]:
    """``a`` with its NaNs replaced by ``fill``, and the NaN mask (None for non-floats)."""
    a = _operand(name, a)
    if aval(a).dtype.kind not in "fc":
        return a, None
    nan = isnan(a)
    return where(nan, np.asarray(fill, aval(a).dtype), a), nan


def _nan_extremum(name: str, reduce: Any, fill: float, a: Any, axis: Axis, keepdims: bool,
                  all_nan_value: float = np.nan, **kwargs: Any) -> Any:
    """``reduce`` of ``a`` with its NaNs replaced by ``fill`` (which never wins), and
    ``all_nan_value`` for an all-NaN slice: NaN as NumPy's nanmax (which also warns), or -1 as
    JAX's nanargmax (where NumPy raises).  ``kwargs``: ``reduce``'s ``initial`` and ``where``
    (with ``initial``, a slice without a number gives ``initial``, as NumPy's)."""
    filled, nan = _without_nans(name, a, fill)
    out = reduce(filled, axis, keepdims=keepdims, **kwargs)
    if nan is None or kwargs.get("initial") is not None:
        return out
    where_ = kwargs.get("where")
    missing = nan if where_ is None else logical_or(nan, logical_not(
        broadcast_to_shape(as_operand(where_), aval(nan).shape)))
    all_nan = all(missing, axis, keepdims=keepdims)
    return where(all_nan, np.asarray(all_nan_value, aval(out).dtype), out)


def nansum(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
           keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """``numpy.nansum``: :func:`sum` with NaNs counted as zero (NumPy's keywords)."""
    no_out("nansum", out)
    filled, _ = _without_nans("nansum", a, 0.0)
    return sum(filled, axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where)


def nanprod(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
            keepdims: bool = False, initial: Any = None, where: Any = None) -> Any:
    """``numpy.nanprod``: :func:`prod` with NaNs counted as one (NumPy's keywords)."""
    no_out("nanprod", out)
    filled, _ = _without_nans("nanprod", a, 1.0)
    return prod(filled, axis, dtype=dtype, keepdims=keepdims, initial=initial, where=where)


def _nan_dtype(name: str, dtype: Any) -> Any:
    """``dtype`` for a NaN-ignoring statistic of an inexact array: inexact, as NumPy checks."""
    if dtype is not None and not np.issubdtype(np.dtype(dtype), np.inexact):
        raise TypeError(f"{name}: If a is inexact, then dtype must be inexact (got {dtype!r}).")
    return dtype


def nanmean(a: Any, axis: Axis = None, dtype: Any = None, out: None = None,
            keepdims: bool = False, *, where: Any = None) -> Any:
    """``numpy.nanmean``: the mean of the entries that are not NaN (NaN for a slice without
    any), with NumPy's keywords; integer arrays are :func:`mean`'s."""
    no_out("nanmean", out)
    filled, nan = _without_nans("nanmean", a, 0.0)
    if nan is None:
        return mean(filled, axis, dtype=dtype, keepdims=keepdims, where=where)
    dtype = _nan_dtype("nanmean", dtype)
    a_aval = aval(filled)
    axes = normalize_axes(axis, a_aval.ndim, "nanmean")
    total = sum(filled, axes, dtype=dtype, keepdims=keepdims, where=where)
    return _divide(total, _count(a_aval, axes, where, keepdims, total, logical_not(nan)))


def nanvar(a: Any, axis: Axis = None, dtype: Any = None, out: None = None, ddof: float = 0,
           keepdims: bool = False, *, where: Any = None, mean: Any = None,
           correction: float | None = None) -> Any:
    """``numpy.nanvar``: the variance of the entries that are not NaN, divided by
    ``count - ddof`` (NaN where that is not positive), with NumPy's keywords (``mean``: the
    mean with ``keepdims=True``'s shape); integer arrays are :func:`var`'s."""
    no_out("nanvar", out)
    ddof = _ddof("nanvar", ddof, correction)
    filled, nan = _without_nans("nanvar", a, 0.0)
    if nan is None:
        return var(filled, axis, dtype=dtype, ddof=ddof, keepdims=keepdims, where=where,
                   mean=mean)
    dtype = _nan_dtype("nanvar", dtype)
    a_aval = aval(filled)
    axes = normalize_axes(axis, a_aval.ndim, "nanvar")
    keep = logical_not(nan)
    center = mean
    if center is None:
        total = sum(filled, axes, dtype=dtype, keepdims=True, where=where)
        center = _divide(total, _count(a_aval, axes, where, True, total, keep))
    # NaN entries deviate by 0; NumPy's subtraction writes back into the array's dtype.
    centered = _select(keep, convert(subtract(filled, center), a_aval.dtype), 0.0)
    total = sum(abs_squared(centered), axes, dtype=dtype, keepdims=keepdims, where=where)
    count = _count(a_aval, axes, where, keepdims, total, keep)
    dof = subtract(count, ddof) if ddof else count
    out = _divide(total, dof)
    return _select(greater(dof, 0), out, np.asarray(np.nan, aval(out).dtype))


def nanstd(a: Any, axis: Axis = None, dtype: Any = None, out: None = None, ddof: float = 0,
           keepdims: bool = False, *, where: Any = None, mean: Any = None,
           correction: float | None = None) -> Any:
    """``numpy.nanstd``: the square root of :func:`nanvar` (same arguments), in its dtype."""
    return _sqrt_result("nanstd", nanvar(a, axis, dtype=dtype, out=out, ddof=ddof,
                                         keepdims=keepdims, where=where, mean=mean,
                                         correction=correction))


def nanmax(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """``numpy.nanmax``: the maximum ignoring NaNs (NaN for an all-NaN slice, without
    NumPy's warning); ``initial`` and ``where`` as :func:`max`'s."""
    no_out("nanmax", out)
    return _nan_extremum("nanmax", max, -np.inf, a, axis, keepdims, initial=initial,
                         where=where)


def nanmin(a: Any, axis: Axis = None, out: None = None, keepdims: bool = False,
           initial: Any = None, where: Any = None) -> Any:
    """``numpy.nanmin``: the minimum ignoring NaNs (NaN for an all-NaN slice, without
    NumPy's warning); ``initial`` and ``where`` as :func:`min`'s."""
    no_out("nanmin", out)
    return _nan_extremum("nanmin", min, np.inf, a, axis, keepdims, initial=initial,
                         where=where)


def nancumsum(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """``numpy.nancumsum``: running sums with NaNs counted as zero."""
    no_out("nancumsum", out)
    return cumsum(_without_nans("nancumsum", a, 0.0)[0], axis, dtype=dtype)


def nancumprod(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Any:
    """``numpy.nancumprod``: running products with NaNs counted as one."""
    no_out("nancumprod", out)
    return cumprod(_without_nans("nancumprod", a, 1.0)[0], axis, dtype=dtype)


def nanargmax(a: Any, axis: int | None = None, out: None = None, *,
              keepdims: bool = False) -> Any:
    """``numpy.nanargmax``: the index of the largest entry that is not NaN.  Deviation (as
    JAX): an all-NaN slice gives -1 where NumPy raises ``ValueError``."""
    no_out("nanargmax", out)
    return _nan_extremum("nanargmax", argmax, -np.inf, a, axis, keepdims, all_nan_value=-1)


def nanargmin(a: Any, axis: int | None = None, out: None = None, *,
              keepdims: bool = False) -> Any:
    """``numpy.nanargmin``: the index of the smallest entry that is not NaN.  Deviation (as
    JAX): an all-NaN slice gives -1 where NumPy raises ``ValueError``."""
    no_out("nanargmin", out)
    return _nan_extremum("nanargmin", argmin, np.inf, a, axis, keepdims, all_nan_value=-1)


# -- counting, the array-API cumulative functions, whole-array comparisons -----------------------


def count_nonzero(a: Any, axis: Axis = None, *, keepdims: bool = False) -> Any:
    """``numpy.count_nonzero``: how many entries are nonzero (an ``intp`` array; NumPy gives
    a Python int for ``axis=None``)."""
    a = _operand("count_nonzero", a)
    return sum(not_equal(a, 0), axis, dtype=np.intp, keepdims=keepdims)


def _cumulative_api(name: str, fn: Any, initial: float, x: Any, axis: int | None,
                    dtype: Any, include_initial: bool) -> Any:
    (x,) = promote(name, x)
    nd = aval(x).ndim
    if axis is None:
        if nd > 1:
            raise ValueError(f"{name}: axis must be given for arrays of more than one "
                             f"dimension, got shape {aval(x).shape}")
        axis = 0
    if nd == 0:
        raise ValueError(f"{name}: the input must be at least one-dimensional")
    ax = normalize_axis(axis, nd, name)
    out = fn(x, ax, dtype=dtype)
    if not include_initial:
        return out
    edge = tuple(1 if d == ax else n for d, n in enumerate(aval(out).shape))
    first = np.full(edge, initial, aval(out).dtype)
    return ix.concatenate([first, out], ax)


def cumulative_sum(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                   out: None = None, include_initial: bool = False) -> Any:
    """``numpy.cumulative_sum`` (the array-API cumsum): ``axis`` may be omitted only for 1-d
    arrays; ``include_initial`` puts a leading 0."""
    no_out("cumulative_sum", out)
    return _cumulative_api("cumulative_sum", cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                    out: None = None, include_initial: bool = False) -> Any:
    """``numpy.cumulative_prod`` (the array-API cumprod): ``axis`` may be omitted only for
    1-d arrays; ``include_initial`` puts a leading 1."""
    no_out("cumulative_prod", out)
    return _cumulative_api("cumulative_prod", cumprod, 1, x, axis, dtype, include_initial)


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> Any:
    """``numpy.allclose``: whether :func:`isclose` holds everywhere (a 0-d boolean array;
    ``bool()`` of it inside ``jit`` raises ``ConcretizationError``, as in JAX)."""
    return all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> Any:
    """``numpy.array_equal``: same shape and equal entries (a 0-d boolean array; False when
    the shapes differ)."""
    a1, a2 = as_operand(a1), as_operand(a2)
    if aval(a1).shape != aval(a2).shape:
        return np.asarray(False)
    return _all_equal("array_equal", a1, a2, equal_nan)


def array_equiv(a1: Any, a2: Any) -> Any:
    """``numpy.array_equiv``: broadcastable and equal everywhere (a 0-d boolean array)."""
    a1, a2 = as_operand(a1), as_operand(a2)
    try:
        np.broadcast_shapes(aval(a1).shape, aval(a2).shape)
    except ValueError:
        return np.asarray(False)
    return _all_equal("array_equiv", a1, a2, False)


def _all_equal(name: str, a1: Any, a2: Any, equal_nan: bool) -> Any:
    a1, a2 = promote(name, a1, a2)
    same = equal(a1, a2)
    if equal_nan and aval(a1).dtype.kind in "fc":
        same = logical_or(same, logical_and(isnan(a1), isnan(a2)))
    return all(same)
