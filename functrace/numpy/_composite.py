"""NumPy functions written on the other ``functrace.numpy`` functions: polynomial arithmetic,
membership and binning, selecting, deleting and filling by concrete positions, value-dependent
results (``nonzero`` with JAX's ``size=`` under ``jit``; ``unique`` and the set operations
need known values), and applying Python functions along axes (``vectorize``,
``apply_along_axis``, ``piecewise``).

Positions that decide a result's shape (``delete``'s ``obj``, ``compress``'s condition) must be
concrete, as in JAX; values may be traced everywhere else.
"""

from __future__ import annotations

import builtins
import functools
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functrace.core import Tracer
from functrace.errors import ConcretizationError
from functrace.numpy import linalg as _linalg_mod
from functrace.numpy._base import (
    as_operand,
    aval,
    broadcast_shapes,
    broadcast_to_shape,
    convert,
    no_out,
    refuse_complex,
    result_dtype,
)
from functrace.numpy._elementwise import (
    absolute,
    add,
    clip,
    equal,
    floor_divide,
    greater,
    imag,
    isnan,
    less,
    logical_and,
    logical_not,
    logical_xor,
    minimum,
    multiply,
    not_equal,
    remainder,
    sqrt,
    subtract,
    true_divide,
    where,
)
from functrace.numpy._indexing import (
    _update,
    argsort,
    getitem,
    searchsorted,
    sort,
    take,
    take_along_axis,
)
from functrace.numpy._linalg import convolve, dot, outer, vander
from functrace.numpy._reductions import any as _any
from functrace.numpy._reductions import cumsum, normalize_axes, normalize_axis
from functrace.numpy._reductions import max as _reductions_max
from functrace.numpy._reductions import min as _reductions_min
from functrace.numpy._reductions import sum as _reductions_sum
from functrace.numpy._shapes import (
    asarray,
    concatenate,
    diff,
    expand_dims,
    flip,
    linspace,
    moveaxis,
    ravel,
    reshape,
    stack,
    tile,
    transpose,
)
from functrace.primitives import decompositions as dc
from functrace.primitives import indexing as ix

# -- polynomials (1-d coefficient arrays, highest power first, as numpy.poly*) ------------------


def _poly(p: Any, name: str) -> Any:
    p = asarray(p)
    if aval(p).ndim != 1:
        raise ValueError(f"{name}: the coefficients must be 1-d, got shape {aval(p).shape}")
    return p


def _pad_front(p: Any, n: int) -> Any:
    missing = n - aval(p).size
    return p if missing <= 0 else concatenate([np.zeros(missing, aval(p).dtype), p])


def _aligned(a1: Any, a2: Any, name: str) -> tuple[Any, Any]:
    """Two polynomials padded at the front (the high powers) to one length."""
    a1, a2 = _poly(a1, name), _poly(a2, name)
    n = max(aval(a1).size, aval(a2).size)
    return _pad_front(a1, n), _pad_front(a2, n)


def polyadd(a1: Any, a2: Any) -> Any:
    """``numpy.polyadd``: the sum of two polynomials."""
    return add(*_aligned(a1, a2, "polyadd"))


def polysub(a1: Any, a2: Any) -> Any:
    """``numpy.polysub``: the difference of two polynomials."""
    return subtract(*_aligned(a1, a2, "polysub"))


def polymul(a1: Any, a2: Any) -> Any:
    """``numpy.polymul``: the product of two polynomials (a convolution).  As NumPy's (through
    ``poly1d``), concrete coefficients lose their leading zeros first and an empty polynomial
    is ``[0]``; traced ones keep theirs (their values are not known)."""
    return convolve(_trimmed(_poly(a1, "polymul")), _trimmed(_poly(a2, "polymul")))


def _trimmed(p: Any) -> Any:
    if isinstance(p, Tracer):
        return p if aval(p).size else np.zeros(1, aval(p).dtype)
    nonzero_at = np.flatnonzero(p)
    return p[nonzero_at[0]:] if nonzero_at.size else np.zeros(1, p.dtype)


def polyder(p: Any, m: int = 1) -> Any:
    """``numpy.polyder``: the ``m``-th derivative of a polynomial."""
    p = _poly(p, "polyder")
    if m < 0:
        raise ValueError("polyder: order of derivative must be positive (see polyint)")
    for _ in range(m):  # (past the degree, the coefficients run out: an empty array)
        n = max(aval(p).size - 1, 0)
        # (an int64 array of powers, as NumPy's: float32 or bool coefficients are promoted)
        p = multiply(getitem(p, slice(0, n)), np.arange(n, 0, -1))
    return p


def polyint(p: Any, m: int = 1, k: Any = None) -> Any:
    """``numpy.polyint``: the ``m``-th antiderivative, with integration constants ``k`` (a
    scalar for all, or one per integration; zero by default)."""
    p = _poly(p, "polyint")
    if m < 0:
        raise ValueError("polyint: order of integral must be positive (see polyder)")
    if k is None:
        ks: list[Any] = [0.0] * m
    elif isinstance(k, (list, tuple)) or (isinstance(k, np.ndarray) and k.ndim):
        ks = list(k)
    else:
        ks = [k] * m  # one constant for every integration
    if len(ks) != m:
        raise ValueError("polyint: k must be a scalar or a sequence of length m")
    for i in range(m):
        n = aval(p).size
        # divided by an int64 array of powers, as NumPy's: the result is float64 (complex128)
        scaled = true_divide(p, np.arange(n, 0, -1))
        dtype = aval(scaled).dtype
        p = concatenate([scaled, reshape(convert(asarray(ks[i]), dtype), (1,))])
    return p


def roots(p: Any, *, strip_zeros: bool = True) -> Any:
    """``numpy.roots``: the roots of the polynomial ``p`` (highest power first), the
    eigenvalues of its companion matrix (``linalg.eigvals``, differentiable).

    Complex, always, as JAX's (NumPy returns real arrays when every root is real, which a
    trace cannot know), except for concrete ``p``, which gets NumPy's answer.  Leading zeros
    are stripped and trailing ones give zero roots, so with ``strip_zeros`` (the default, as
    JAX's) the values of ``p`` must be known; ``strip_zeros=False`` keeps every coefficient
    (a leading zero then gives infinite or NaN roots).  Traced, the roots come in LAPACK's
    order, trailing zero coefficients giving zero roots among them."""
    if not isinstance(p, Tracer):
        return np.roots(p)
    p = _poly(p, "roots")
    p = convert(p, np.result_type(aval(p).dtype, np.float64))
    if strip_zeros:
        value = _concrete(p, "roots", "coefficients (with strip_zeros=True, the number of "
                          "roots depends on which are zero; pass strip_zeros=False)")
        nonzero = np.flatnonzero(value)
        if not nonzero.size:
            return np.zeros(0, np.result_type(aval(p).dtype, np.complex64))
        # Leading zeros only: a trailing zero coefficient is a zero root, which the companion
        # matrix gives too, with its derivative (NumPy appends it as a constant).
        p = p[int(nonzero[0]):]
    n = aval(p).size
    if n < 2:
        return np.zeros(0, np.result_type(aval(p).dtype, np.complex64))
    # The companion matrix: -p[1:] / p[0] on the first row, ones below the diagonal.
    first = reshape(true_divide(-p[1:], p[0]), (1, n - 1))
    below = np.eye(n - 2, n - 1, dtype=aval(p).dtype)
    return dc.eigvals(concatenate([first, below]))


def polyfit(x: Any, y: Any, deg: int, rcond: float | None = None, full: bool = False,
            w: Any = None, cov: bool | str = False) -> Any:
    """``numpy.polyfit``: the least-squares polynomial of degree ``deg`` through ``(x, y)``
    (``y`` 1-d, or 2-d with one fit per column), highest power first, NumPy's algorithm: the
    Vandermonde matrix (rows weighted by ``w``), its columns scaled to unit norm, and
    ``linalg.lstsq``.  ``full=True`` also returns the residuals, rank, singular values and
    ``rcond``; ``cov=True`` (or ``"unscaled"``) the coefficients' covariance.  Differentiable
    in ``x``, ``y`` and ``w`` through the least-squares solution."""
    deg = int(deg)
    if deg < 0:
        raise ValueError("polyfit: expected deg >= 0")
    x, y = asarray(x), asarray(y)
    # NumPy: x + 0.0 (float32 stays float32, and sets rcond's default), computed in float64.
    x_float = np.result_type(aval(x).dtype, 0.0)
    x = convert(x, np.dtype(np.float64))
    y = convert(y, np.result_type(aval(y).dtype, np.float64))
    if aval(x).ndim != 1:
        raise TypeError("polyfit: expected 1D vector for x")
    if aval(x).size == 0:
        raise TypeError("polyfit: expected non-empty vector for x")
    if aval(y).ndim not in (1, 2):
        raise TypeError("polyfit: expected 1D or 2D array for y")
    if aval(x).shape[0] != aval(y).shape[0]:
        raise TypeError("polyfit: expected x and y to have same length")
    order = deg + 1
    m = aval(x).shape[0]
    if rcond is None:
        rcond = x_float.type(m * np.finfo(x_float).eps)
    lhs, rhs = vander(x, order), y
    if w is not None:
        w = convert(asarray(w), np.dtype(np.float64))
        if aval(w).ndim != 1 or aval(w).shape[0] != m:
            raise TypeError("polyfit: expected a 1-d w with the length of x")
        lhs = multiply(lhs, reshape(w, (m, 1)))
        rhs = multiply(rhs, w if aval(rhs).ndim == 1 else reshape(w, (m, 1)))
    scale = sqrt(_reductions_sum(multiply(lhs, lhs), axis=0))
    lhs = true_divide(lhs, scale)
    if full:  # (lstsq's residuals need its rank's value: eagerly or under grad/jvp only)
        c_scaled, resids, rank, s = _linalg_mod.lstsq(lhs, rhs, rcond)
    else:  # lstsq's solution, pinv(lhs, rcond) @ rhs, without the residuals
        c_scaled = dot(dc.pinv(lhs, rcond), rhs)
    c = true_divide(c_scaled, scale if aval(rhs).ndim == 1 else reshape(scale, (order, 1)))
    if full:
        return c, resids, rank, s, rcond
    if cov:
        base = true_divide(_linalg_mod.inv(dot(transpose(lhs), lhs)), outer(scale, scale))
        if cov == "unscaled":
            factor: Any = 1.0
        else:
            if m <= order:
                raise ValueError("polyfit: the number of data points must exceed order to "
                                 "scale the covariance matrix")
            residuals = subtract(rhs, dot(lhs, c_scaled))
            factor = true_divide(_reductions_sum(multiply(residuals, residuals), axis=0),
                                 m - order)
        if aval(y).ndim == 1:
            return c, multiply(base, factor)
        return c, multiply(expand_dims(base, 2), reshape(factor, (1, 1, -1)))
    return c


# -- membership and binning ---------------------------------------------------------------------


def isin(element: Any, test_elements: Any, assume_unique: bool = False,
         invert: bool = False, *, kind: str | None = None) -> Any:
    """``numpy.isin``: whether each entry of ``element`` equals some entry of
    ``test_elements`` (compared all against all)."""
    element, tests = as_operand(element), ravel(test_elements)
    if aval(tests).size == 0:
        found: Any = np.zeros(aval(element).shape, bool)
    else:
        found = _any(equal(expand_dims(element, -1), tests), axis=-1)
    return logical_not(found) if invert else found


def digitize(x: Any, bins: Any, right: bool = False) -> Any:
    """``numpy.digitize``: the index of the bin each ``x`` falls in, for monotonically
    increasing or decreasing ``bins`` (checked when they are concrete)."""
    x, bins = as_operand(x), asarray(bins)
    refuse_complex("digitize", x, "x may not be complex")
    refuse_complex("digitize", bins, "bins may not be complex")
    if aval(bins).ndim != 1:
        raise ValueError("digitize: bins must be 1-dimensional")
    side = "left" if right else "right"
    n = aval(bins).size
    increasing = searchsorted(bins, x, side=side)
    decreasing = subtract(np.asarray(n, aval(increasing).dtype),
                          searchsorted(flip(bins), x, side=side))
    if not isinstance(bins, Tracer):
        diffs = np.diff(bins)
        if np.all(diffs >= 0):
            return increasing
        if np.all(diffs <= 0):
            return decreasing
        raise ValueError("digitize: bins must be monotonically increasing or decreasing")
    if n < 2:
        return increasing
    return where(getitem(bins, -1) >= getitem(bins, 0), increasing, decreasing)


def histogram_bin_edges(a: Any, bins: Any = 10, range: tuple[Any, Any] | None = None,  # noqa: A002
                        weights: Any = None) -> Any:
    """``numpy.histogram_bin_edges`` for a number of equal bins (between ``range``, or the
    smallest and largest entry of ``a``, widened by 0.5 each way when they are equal) or given
    edges.  Traceable: the edges are computed from ``a`` (and differentiable in it)."""
    a = ravel(as_operand(a))
    if isinstance(bins, str):
        raise NotImplementedError(f"histogram: bins={bins!r} (an estimator name) is not "
                                  "implemented; pass a number of bins or the edges.")
    if not isinstance(bins, (int, np.integer)):
        edges = asarray(bins)
        if aval(edges).ndim != 1:
            raise ValueError("histogram: bins must be 1d, when an array")
        if not isinstance(edges, Tracer) and np.any(np.diff(np.asarray(edges)) < 0):
            raise ValueError("histogram: bins must increase monotonically, when an array")
        return edges
    if bins < 1:
        raise ValueError("histogram: bins must be positive, when an integer")
    dtype = np.result_type(aval(a).dtype, np.float64) if aval(a).dtype.kind != "f" \
        else aval(a).dtype
    a = convert(a, dtype)
    if range is not None:
        first, last = (convert(asarray(r), dtype) for r in range)
        if not isinstance(first, Tracer) and not isinstance(last, Tracer) and first > last:
            raise ValueError("histogram: max must be larger than min in range parameter.")
    elif aval(a).size == 0:
        first, last = np.zeros((), dtype), np.ones((), dtype)
    else:
        first, last = _reductions_min(a), _reductions_max(a)
    same = equal(first, last)
    first = where(same, subtract(first, 0.5), first)
    last = where(same, add(last, 0.5), last)
    return linspace(first, last, int(bins) + 1)


def _bin_index(a: Any, edges: Any) -> tuple[Any, Any]:
    """The bin of each entry of ``a`` between ``edges`` (each bin holds its left edge, the last
    one its right edge too) and whether it falls inside them at all."""
    n_bins = aval(edges).size - 1
    # Compared in their common dtype (integer edges must not truncate float data).
    common = np.result_type(aval(a).dtype, aval(edges).dtype)
    a_c, edges_c = convert(a, common), convert(edges, common)
    index = subtract(searchsorted(edges_c, a_c, side="right"), 1)
    index = where(equal(a_c, getitem(edges_c, -1)), n_bins - 1, index)  # the last bin is closed
    return index, logical_and(greater(index, -1), less(index, n_bins))


def histogramdd(sample: Any, bins: Any = 10, range: Sequence[Any] | None = None,  # noqa: A002
                density: bool | None = None, weights: Any = None) -> tuple[Any, list[Any]]:
    """``numpy.histogramdd``: the counts (or summed ``weights``) of the points of ``sample``
    (``(N, D)``, or a sequence of ``D`` coordinate arrays) in each cell of a ``D``-dimensional
    grid of bins, and the ``D`` arrays of edges.  ``bins``: one number of bins, one per
    dimension, or the edges of each; ``range``: a ``(min, max)`` per dimension (or None).  The
    bins of each dimension are :func:`histogram`'s; the counts are float64, as NumPy's
    (``density=True``: divided by the total and each cell's volume).  Traceable, and
    differentiable in ``weights``."""
    if isinstance(sample, (list, tuple)):
        sample = stack([ravel(as_operand(s)) for s in sample], axis=1)
    sample = as_operand(sample)
    if aval(sample).ndim == 1:
        sample = reshape(sample, (aval(sample).shape[0], 1))
    if aval(sample).ndim != 2:
        raise ValueError(f"histogramdd: sample must be (N, D), got shape {aval(sample).shape}.")
    n, d = aval(sample).shape
    per_dim = [bins] * d if isinstance(bins, (int, np.integer)) else list(bins)
    if len(per_dim) != d:
        raise ValueError("histogramdd: the dimension of bins must be equal to the dimension of "
                         "the sample x.")
    ranges = [None] * d if range is None else list(range)
    if len(ranges) != d:
        raise ValueError("histogramdd: range argument must have one entry per dimension")
    edges, flat, inside = [], None, None
    for k in builtins.range(d):
        column = getitem(sample, (slice(None), k))
        e = histogram_bin_edges(column, per_dim[k], ranges[k])
        index, ok = _bin_index(column, e)
        size = aval(e).size - 1
        index = convert(where(ok, index, 0), np.dtype(np.intp))
        flat = index if flat is None else add(multiply(flat, size), index)
        inside = ok if inside is None else logical_and(inside, ok)
        edges.append(e)
    shape = tuple(aval(e).size - 1 for e in edges)
    if weights is None:
        w: Any = convert(inside, np.dtype(np.float64))
    else:
        w = ravel(as_operand(weights))
        if aval(w).shape != (n,):
            raise ValueError("histogramdd: weights must have one entry per sample point.")
        w = where(inside, convert(w, np.result_type(aval(w).dtype, np.float64)), 0.0)
    counts = ix.scatter_add(np.zeros(math.prod(shape), aval(w).dtype), w, [flat], (0,))
    counts = reshape(counts, shape)
    if density:
        counts = true_divide(counts, _reductions_sum(counts))
        for k, e in enumerate(edges):
            widths = reshape(diff(e), tuple(-1 if j == k else 1 for j in builtins.range(d)))
            counts = true_divide(counts, widths)
    return counts, edges


def histogram2d(x: Any, y: Any, bins: Any = 10, range: Sequence[Any] | None = None,  # noqa: A002
                density: bool | None = None, weights: Any = None) -> tuple[Any, Any, Any]:
    """``numpy.histogram2d``: :func:`histogramdd` of the points ``(x, y)``; ``bins`` is one
    number or edge array for both axes, or a pair.  Returns the counts and the two edge
    arrays."""
    if not isinstance(bins, (int, np.integer)) and not (
            isinstance(bins, (list, tuple)) and len(bins) == 2):
        bins = [bins, bins]  # one edge array for both
    counts, (x_edges, y_edges) = histogramdd([x, y], bins, range, density, weights)
    return counts, x_edges, y_edges


def histogram(a: Any, bins: Any = 10, range: tuple[Any, Any] | None = None,  # noqa: A002
              density: bool | None = None, weights: Any = None) -> tuple[Any, Any]:
    """``numpy.histogram``: the counts (or summed ``weights``) of ``a``'s entries in each bin,
    and the bin edges (see :func:`histogram_bin_edges`).  Each bin includes its left edge, the
    last also its right one; entries outside are not counted.  Counts are int64 (NumPy's
    ``intp``), weighted sums have the weights' dtype, ``density=True`` divides by the total
    and the bin widths.  Differentiable in ``weights`` (and, through the edges, in ``a`` when
    they are computed from it: as JAX's)."""
    a = ravel(as_operand(a))
    edges = histogram_bin_edges(a, bins, range)
    n_bins = aval(edges).size - 1
    index, inside = _bin_index(a, edges)
    if weights is None:
        w: Any = convert(inside, np.dtype(np.intp))
    else:
        w = ravel(as_operand(weights))
        if aval(w).shape != aval(a).shape:
            raise ValueError("histogram: weights should have the same shape as a.")
        w = where(inside, w, np.zeros((), aval(w).dtype))
    index = where(inside, index, 0)
    counts = ix.scatter_add(np.zeros(n_bins, aval(w).dtype), w,
                            [convert(index, np.dtype(np.intp))], (0,))
    if density:
        widths = diff(edges)
        counts = true_divide(true_divide(counts, _reductions_sum(counts)), widths)
    return counts, edges


def iscomplex(x: Any) -> Any:
    """``numpy.iscomplex``: whether each entry has a nonzero imaginary part."""
    x = as_operand(x)
    if aval(x).dtype.kind != "c":
        return np.zeros(aval(x).shape, bool)
    if not isinstance(x, Tracer):
        return np.iscomplex(x)
    return not_equal(imag(x), np.zeros((), np.finfo(aval(x).dtype).dtype))


# -- selecting, deleting and filling by position ------------------------------------------------


def choose(a: Any, choices: Sequence[Any], out: None = None, mode: str = "raise") -> Any:
    """``numpy.choose``: ``choices[a]`` elementwise, all broadcast together. ``mode``:
    ``"raise"`` (indices out of range raise, when known; traced ones are clipped),
    ``"wrap"`` or ``"clip"``."""
    if out is not None:
        raise TypeError("choose: out= is not supported (functrace arrays are immutable).")
    a = as_operand(a)
    if aval(a).dtype.kind not in "iub":
        raise TypeError(f"choose: the index array must be integer, got {aval(a).dtype}")
    options = [as_operand(c) for c in choices]
    n = len(options)
    if n == 0:
        raise ValueError("choose: choices must not be empty")
    shape = broadcast_shapes("choose", aval(a).shape, *[aval(c).shape for c in options])
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if mode == "raise" and not isinstance(a, Tracer):
        if np.size(a) and (np.min(a) < 0 or np.max(a) >= n):
            raise ValueError("choose: invalid entry in choice array")
    elif mode == "wrap":
        a = remainder(a, np.asarray(n, aval(a).dtype))
    else:  # clip, or traced indices that cannot be checked
        a = clip(a, 0, n - 1)
    stacked = stack([broadcast_to_shape(c, shape) for c in options])
    index = broadcast_to_shape(a, shape)
    return reshape(take_along_axis(stacked, expand_dims(index, 0), 0), shape)


def compress(condition: Any, a: Any, axis: int | None = None, out: None = None) -> Any:
    """``numpy.compress``: the slices of ``a`` along ``axis`` (of the flattened ``a`` if
    None) where the concrete 1-d ``condition`` is true."""
    no_out("compress", out)
    condition = _concrete(condition, "compress", "condition")
    if condition.ndim != 1:
        raise ValueError("compress: condition must be a 1-d array")
    a = as_operand(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, aval(a).ndim, "compress")
    kept = np.nonzero(condition)[0]
    if kept.size and kept[-1] >= aval(a).shape[axis]:
        raise IndexError(f"compress: index {kept[-1]} is out of bounds for axis {axis} with "
                         f"size {aval(a).shape[axis]}")
    return take(a, kept, axis=axis)


def delete(arr: Any, obj: Any, axis: int | None = None, *,
           assume_unique_indices: bool = False) -> Any:
    """``numpy.delete``: ``arr`` without the entries (or slices along ``axis``; of the
    flattened array if None) at ``obj``: concrete integers, a slice, or a boolean mask."""
    arr = as_operand(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    axis = normalize_axis(axis, aval(arr).ndim, "delete")
    n = aval(arr).shape[axis]
    keep = np.ones(n, bool)
    if isinstance(obj, slice):
        keep[obj] = False
    else:
        index = _concrete(obj, "delete", "obj")
        if index.dtype == bool:
            if index.shape != (n,):
                raise ValueError(f"delete: boolean array argument obj to delete must be "
                                 f"one dimensional and match the axis length of {n}")
            keep = ~index
        elif index.size:
            if index.dtype.kind not in "iu":
                raise IndexError("delete: arrays used as indices must be of integer type")
            if index.min() < -n or index.max() >= n:
                raise IndexError(f"delete: index {int(index.ravel()[0])} is out of bounds for "
                                 f"axis {axis} with size {n}")
            keep[index] = False
    return take(arr, np.nonzero(keep)[0], axis=axis)


def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> Any:
    """``numpy.insert``: ``values`` inserted along ``axis`` (of the flattened ``arr`` if None)
    before the concrete positions ``obj``: an integer (``values`` form a block there), a slice
    or a sequence of integers (one slice of ``values`` each).  One gather from ``arr`` and the
    broadcast ``values``, so both are differentiable."""
    arr = as_operand(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    shape = aval(arr).shape
    axis = normalize_axis(axis, len(shape), "insert")
    n = shape[axis]
    if isinstance(obj, slice):
        index = np.arange(*obj.indices(n))
    else:
        index = _concrete(obj, "insert", "obj")
        if index.dtype.kind not in "iu":
            raise IndexError("insert: index arrays to insert must be integers")
    if index.size and (index.min() < -n or index.max() > n):
        raise IndexError(f"index {int(index.ravel()[0])} is out of bounds for axis {axis} with "
                         f"size {n}")
    index = np.where(index < 0, index + n, index)
    values = convert(as_operand(values), aval(arr).dtype)
    if index.ndim == 0 or index.size == 1:
        # A block before one position; a scalar obj lays values' first axis along ``axis``.
        v_shape = aval(values).shape
        values = reshape(values, (1,) * (len(shape) - len(v_shape)) + v_shape)
        if index.ndim == 0 and len(shape) > 1:
            values = moveaxis(values, 0, axis)
        count = aval(values).shape[axis] if aval(values).ndim == len(shape) else 1
        at = int(index.ravel()[0])
        src = np.concatenate([np.arange(at), n + np.arange(count), np.arange(at, n)])
    else:
        count = index.size
        position = index.ravel().copy()
        position[np.argsort(position, kind="stable")] += np.arange(count)
        src = np.empty(n + count, np.intp)
        old = np.ones(n + count, bool)
        old[position] = False
        src[old] = np.arange(n)
        src[position] = n + np.arange(count)
    block = tuple(count if d == axis else m for d, m in enumerate(shape))
    values = broadcast_to_shape(values, block)
    return take(concatenate([arr, values], axis=axis), src, axis=axis)


def resize(a: Any, new_shape: int | Sequence[int]) -> Any:
    """``numpy.resize``: ``a``'s entries, flattened and repeated as often as needed, in the
    shape ``new_shape``."""
    shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    if any(int(d) < 0 for d in shape):
        raise ValueError("resize: all elements of new_shape must be non-negative")
    flat = ravel(a)
    if math.prod(shape) == 0 or aval(flat).size == 0:
        return np.zeros(shape, aval(flat).dtype)
    return reshape(_cyclic(flat, math.prod(shape)), shape)


def _cyclic(values: Any, count: int) -> Any:
    """The non-empty ``values``, flattened, repeated or cut to ``count`` entries (as
    ``numpy.put`` and ``numpy.resize``)."""
    flat = ravel(values)
    size = aval(flat).size
    return getitem(tile(flat, -(-count // size)), slice(0, count)) if size != count else flat


def _refuse_inplace(name: str, inplace: bool) -> None:
    if inplace:
        raise ValueError(f"functrace.numpy.{name} cannot modify arrays in place: pass "
                         "inplace=False and use the returned array.")


def put(a: Any, ind: Any, v: Any, mode: str | None = None, *, inplace: bool = True) -> Any:
    """``numpy.put`` as JAX's: ``inplace=False`` is required (arrays are immutable) and the
    updated copy is returned; ``v`` repeats over ``ind``; repeated indices keep the last."""
    _refuse_inplace("put", inplace)
    a = as_operand(a)
    n = aval(a).size
    index = np.asarray(_concrete(ind, "put", "ind")).ravel()
    if index.dtype.kind not in "iu":
        raise IndexError("put: indices must be integers")
    if mode in (None, "raise"):
        if index.size and (index.min() < -n or index.max() >= n):
            raise IndexError(f"put: index {int(index[0])} is out of bounds for size {n}")
        pos = np.where(index < 0, index + n, index)
    elif mode in ("wrap", "clip"):
        pos = index % n if mode == "wrap" else np.clip(index, 0, n - 1)
    else:
        raise ValueError(f"put: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if pos.size == 0 or aval(as_operand(v)).size == 0:  # nothing to put (as NumPy)
        return a
    values = _cyclic(convert(as_operand(v), aval(a).dtype), pos.size)
    return reshape(ix.scatter(ravel(a), values, [pos], (0,)), aval(a).shape)


def fill_diagonal(a: Any, val: Any, wrap: bool = False, *, inplace: bool = True) -> Any:
    """``numpy.fill_diagonal`` as JAX's: ``inplace=False`` is required and the filled copy is
    returned. ``val`` repeats along the diagonal; ``wrap`` continues it below a tall matrix."""
    _refuse_inplace("fill_diagonal", inplace)
    a = as_operand(a)
    shape = aval(a).shape
    if len(shape) < 2:
        raise ValueError("array must be at least 2-d")
    if len(shape) == 2:
        step, end = shape[1] + 1, (None if wrap else shape[1] * shape[1])
    else:
        if len(set(shape)) != 1:
            raise ValueError("All dimensions of input must be of equal length")
        step, end = 1 + int(np.cumprod(shape[:-1]).sum()), None
    pos = np.arange(math.prod(shape))[:end:step]
    if pos.size == 0 or aval(as_operand(val)).size == 0:  # nothing to fill (as NumPy)
        return a
    values = _cyclic(convert(as_operand(val), aval(a).dtype), pos.size)
    return reshape(ix.scatter(ravel(a), values, [pos], (0,)), shape)


def _concrete(x: Any, name: str, what: str) -> np.ndarray:
    """``x``'s value, which decides the shape of a result (a traced value must be known)."""
    if isinstance(x, Tracer):
        return np.asarray(x.concrete(f"functrace.numpy.{name}'s {what}"))
    return np.asarray(x)


# -- value-dependent shapes: the values must be known --------------------------------------------


def _known(a: Any, name: str) -> np.ndarray:
    return _concrete(as_operand(a), name, "argument (the result's shape depends on its values)")


def _sized(result: np.ndarray, size: int | None, fill_value: Any, axis: int = -1) -> np.ndarray:
    """``result`` cut or padded with ``fill_value`` to ``size`` along ``axis`` (JAX's
    ``size=``; the padding defaults to 0)."""
    if size is None:
        return result
    result = np.moveaxis(result, axis, -1)
    n = result.shape[-1]
    if n >= size:
        out = result[..., :size]
    else:
        pad = np.full(result.shape[:-1] + (size - n,), 0 if fill_value is None else fill_value,
                      result.dtype)
        out = np.concatenate([result, pad], axis=-1)
    return np.moveaxis(out, -1, axis)


def nonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> tuple[Any, ...]:
    """``numpy.nonzero``: the indices of the nonzero entries, one array per axis.  Known values
    (eagerly, under ``grad``) give NumPy's result, cut or padded to ``size`` with
    ``fill_value`` (0) as JAX's; unknown ones (under ``jit``/``vmap``) need ``size``."""
    a = as_operand(a)
    if aval(a).ndim == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use "
                         "np.atleast_1d(scalar).nonzero() instead.")
    value = _value_or_none(a, size, "nonzero")
    if value is not None:
        indices = np.nonzero(value)
        fills = fill_value if isinstance(fill_value, (tuple, list)) else [fill_value] * len(
            indices)  # JAX's fill_value: one for all, or one per axis
        return tuple(_sized(i, size, f) for i, f in zip(indices, fills, strict=True))
    assert size is not None
    flat, valid = _traced_flatnonzero(a, size)
    coords = _unravel(flat, aval(a).shape) if aval(a).ndim > 1 else (flat,)
    fill = np.asarray(0 if fill_value is None else fill_value, np.intp)
    per_axis = list(fill) if fill.ndim else [fill] * len(coords)
    return tuple(where(valid, c, f) for c, f in zip(coords, per_axis, strict=True))


def flatnonzero(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """``numpy.flatnonzero``: the indices of the nonzero entries of the flattened ``a`` (see
    :func:`nonzero` for ``size``)."""
    return nonzero(ravel(a), size=size, fill_value=fill_value)[0]


def argwhere(a: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """``numpy.argwhere``: the indices of the nonzero entries, one row each (see
    :func:`nonzero` for ``size``)."""
    a = as_operand(a)
    value = _value_or_none(a, size, "argwhere")
    if value is not None:
        return _sized(np.argwhere(value), size, fill_value, axis=0)
    assert size is not None
    if aval(a).ndim == 0:  # as NumPy's: rows with no coordinates
        return np.zeros((size, 0), np.intp)
    return stack(nonzero(a, size=size, fill_value=fill_value), axis=1)


def _value_or_none(a: Any, size: int | None, name: str) -> np.ndarray | None:
    """``a``'s value if known; None if unknown and ``size`` allows computing without it."""
    if isinstance(a, Tracer) and size is not None:
        try:
            return _known(a, name)
        except ConcretizationError:
            return None
    return _known(a, name)


def _traced_flatnonzero(a: Any, size: int) -> tuple[Any, Any]:
    """The flat indices of the first ``size`` nonzero entries of ``a`` (in order), and which of
    the ``size`` slots hold one."""
    flat = ravel(a)
    mask = flat if aval(flat).dtype.kind == "b" else not_equal(flat, np.zeros((), aval(flat).dtype))
    first, valid, _ = _compact(mask, np.arange(aval(flat).size, dtype=np.intp), size)
    return first, valid


def _compact(mask: Any, values: Any, size: int) -> tuple[Any, Any, Any]:
    """The first ``size`` entries of the integer ``values`` where ``mask`` holds, in order (a
    static shape for a traced mask): each marked entry is scattered to its rank among them,
    the others to a slot past the end, which is dropped.  Also returns which slots hold one,
    and each entry's rank (its count of marked entries so far, less one)."""
    rank = subtract(cumsum(convert(mask, np.dtype(np.intp))), np.ones((), np.intp))
    limit = np.asarray(size, np.intp)
    slot = where(mask, minimum(rank, limit), limit)
    slots = ix.scatter(np.zeros(size + 1, np.intp), values, [slot], (0,))
    count = _reductions_sum(convert(mask, np.dtype(np.intp)))
    return getitem(slots, slice(0, size)), less(np.arange(size, dtype=np.intp), count), rank


def _unravel(flat: Any, shape: tuple[int, ...]) -> tuple[Any, ...]:
    out = []
    for n in reversed(shape):
        out.append(remainder(flat, np.asarray(n, np.intp)))
        flat = floor_divide(flat, np.asarray(n, np.intp))
    return tuple(reversed(out))


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True,
           size: int | None = None, fill_value: Any = None,
           sorted: bool = True) -> Any:  # noqa: A002 - NumPy's name
    """``numpy.unique``: the sorted distinct entries (or slices along ``axis``), and as asked
    the index of each one's first occurrence, the inverse map and the counts.  The values must
    be known; the unique values are taken from ``ar`` (a gather), so that derivatives reach the
    first occurrence of each.  ``size``/``fill_value`` cut or pad the unique values, indices
    and counts as JAX's.  ``sorted=False`` (NumPy 2.3) allows any order: they come sorted."""
    del sorted  # a sorted result is one of the orders sorted=False allows
    ar = as_operand(ar)
    if axis is None and size is not None:
        value = _value_or_none(ar, size, "unique")
        if value is None:  # under jit/vmap: JAX's sort-based algorithm, of static size
            return _traced_unique(ar, size, fill_value, equal_nan, return_index,
                                  return_inverse, return_counts)
    value = _known(ar, "unique")
    _, first, inverse, counts = np.unique(
        value, return_index=True, return_inverse=True, return_counts=True, axis=axis,
        equal_nan=equal_nan)
    if axis is None:
        out = take(ravel(ar), first)
    else:
        out = take(ar, first, axis=axis)
    if size is not None:
        n = first.size
        if n >= size:
            out = take(out, np.arange(size), axis=0 if axis is None else axis)
        else:
            pad_axis = 0 if axis is None else normalize_axis(axis, aval(out).ndim, "unique")
            if fill_value is None and n:  # the first unique value (slice), as JAX's
                padding = take(out, np.zeros(size - n, np.intp), axis=pad_axis)
            else:
                pad_shape = list(aval(out).shape)
                pad_shape[pad_axis] = size - n
                padding = np.full(pad_shape, 0 if fill_value is None else fill_value,
                                  aval(out).dtype)
            out = concatenate([out, padding], axis=pad_axis)
        first = _sized(first, size, first[0] if first.size else 0)
        counts = _sized(counts, size, 0)
    results = [out]
    if return_index:
        results.append(first)
    if return_inverse:
        results.append(inverse)  # shaped as this NumPy version's
    if return_counts:
        results.append(counts)
    return results[0] if len(results) == 1 else tuple(results)


# Whether this NumPy version's unique(..., return_inverse=True) keeps the input's shape.
_INVERSE_KEEPS_SHAPE = np.unique(np.zeros((2, 2)), return_inverse=True)[1].shape == (2, 2)


def _traced_unique(ar: Any, size: int, fill_value: Any, equal_nan: bool, return_index: bool,
                   return_inverse: bool, return_counts: bool) -> Any:
    """``unique`` of the flattened ``ar`` with unknown values: a stable sort, the first entry
    of each run of equal values scattered to its rank (the first ``size`` of them kept), and
    the values gathered from ``ar`` at their first occurrence."""
    flat = ravel(ar)
    n = aval(flat).size
    if n == 0:
        raise ValueError("unique: size= needs a non-empty array when the values are unknown")
    order = argsort(flat)  # stable: a run's first entry is the value's first occurrence
    ordered = take(flat, order)
    head, tail = getitem(ordered, slice(1, None)), getitem(ordered, slice(0, -1))
    differs = not_equal(head, tail)
    if equal_nan and aval(flat).dtype.kind in "fc":
        differs = logical_and(differs, logical_not(logical_and(isnan(head), isnan(tail))))
    starts = concatenate([np.ones(1, bool), differs])  # each run's first entry
    first, valid, rank = _compact(starts, order, size)
    values = take(flat, first)
    fill = getitem(values, 0) if fill_value is None else np.asarray(fill_value, aval(flat).dtype)
    results = [where(valid, values, fill)]
    if return_index:  # (padded with the first unique value's index, as JAX's)
        results.append(where(valid, first, getitem(first, 0)))
    if return_inverse:
        inverse = ix.scatter(np.zeros(n, np.intp), rank, [order], (0,))
        results.append(reshape(inverse, aval(ar).shape) if _INVERSE_KEEPS_SHAPE else inverse)
    if return_counts:
        counts = ix.scatter_add(np.zeros(size + 1, np.intp), np.ones(n, np.intp),
                                [minimum(rank, np.asarray(size, np.intp))], (0,))
        results.append(getitem(counts, slice(0, size)))
    return results[0] if len(results) == 1 else tuple(results)


# -- applying Python functions ------------------------------------------------------------------


def _vmap() -> Callable[..., Any]:
    from functrace.api import vmap  # noqa: PLC0415 - functrace.api imports this package

    return vmap


def apply_along_axis(func1d: Callable[..., Any], axis: int, arr: Any, *args: Any,
                     **kwargs: Any) -> Any:
    """``numpy.apply_along_axis``: ``func1d`` on every 1-d slice along ``axis``, batched in
    one ``vmap`` pass (not a Python loop); its result's axes take ``axis``'s place."""
    arr = as_operand(arr)
    nd = aval(arr).ndim
    axis = normalize_axis(axis, nd, "apply_along_axis")
    fn: Callable[..., Any] = lambda v: func1d(v, *args, **kwargs)  # noqa: E731
    for _ in range(nd - 1):
        fn = _vmap()(fn)
    out = as_operand(fn(moveaxis(arr, axis, -1)))
    extra = aval(out).ndim - (nd - 1)
    # out: the other axes, then func1d's; put func1d's where ``axis`` was.
    return moveaxis(out, list(range(nd - 1, nd - 1 + extra)),
                    list(range(axis, axis + extra))) if extra else out


def apply_over_axes(func: Callable[[Any, int], Any], a: Any, axes: int | Sequence[int]) -> Any:
    """``numpy.apply_over_axes``: ``func(a, axis)`` for each axis in turn, keeping the
    dimensions (a reduced axis comes back with length 1)."""
    a = as_operand(a)
    for axis in ([axes] if isinstance(axes, (int, np.integer)) else axes):
        nd = aval(a).ndim
        res = as_operand(func(a, int(axis)))
        if aval(res).ndim == nd - 1:
            res = expand_dims(res, normalize_axis(int(axis), nd, "apply_over_axes"))
        elif aval(res).ndim != nd:
            raise ValueError("function is not returning an array of the correct shape")
        a = res
    return a


class vectorize:  # noqa: N801 - NumPy's name
    """``numpy.vectorize`` as JAX's: ``pyfunc`` applied to every entry of its broadcast array
    arguments in one batched pass (``vmap``), not a Python loop.

    ``excluded``: positions or names of arguments passed through whole.  ``signature``, such
    as ``"(m,n),(n)->(m)"``, gives the core dimensions of each positional argument and output:
    ``pyfunc`` then sees slices with those trailing dimensions, and the others (broadcast
    together) are the loop; keyword arguments are passed through whole.

    >>> import numpy as np
    >>> vectorize(lambda a, b: a @ b, signature="(m,n),(n)->(m)")(np.ones((4, 2, 3)),
    ...                                                            np.ones(3)).shape
    (4, 2)
    """

    def __init__(self, pyfunc: Callable[..., Any], *, excluded: Any = frozenset(),
                 signature: str | None = None):
        self.pyfunc, self.excluded = pyfunc, frozenset(excluded)
        self.signature = None if signature is None else _parse_signature(signature)
        functools.update_wrapper(self, pyfunc)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        positions = [i for i in range(len(args)) if i not in self.excluded]
        names = [] if self.signature is not None else [
            k for k in kwargs if k not in self.excluded]
        values = [as_operand(args[i]) for i in positions] + [as_operand(kwargs[k]) for k in names]

        def call(*vs: Any) -> Any:
            full = list(args)
            for i, v in zip(positions, vs, strict=False):
                full[i] = v
            kw = dict(kwargs)
            for k, v in zip(names, vs[len(positions):], strict=True):
                kw[k] = v
            return self.pyfunc(*full, **kw)

        if self.signature is None:  # every axis is a loop axis
            shape = broadcast_shapes("vectorize", *[aval(v).shape for v in values]) \
                if values else ()
            fn: Callable[..., Any] = call
            for _ in range(len(shape)):
                fn = _vmap()(fn)
            return fn(*[broadcast_to_shape(v, shape) for v in values])
        return self._call_with_signature(call, values)

    def _call_with_signature(self, call: Callable[..., Any], values: list[Any]) -> Any:
        assert self.signature is not None
        in_specs, out_specs = self.signature
        if len(values) != len(in_specs):
            raise TypeError(f"vectorize: wrong number of positional arguments: expected "
                            f"{len(in_specs)}, got {len(values)}")
        sizes: dict[str, int] = {}
        loops = []
        for v, spec in zip(values, in_specs, strict=True):
            shape = aval(v).shape
            if len(shape) < len(spec):
                raise ValueError(f"vectorize: input with shape {shape} has fewer dimensions "
                                 f"than its core dimensions {spec}")
            split = len(shape) - len(spec)
            for name, n in zip(spec, shape[split:], strict=True):
                if sizes.setdefault(name, n) != n:
                    raise ValueError(f"vectorize: inconsistent size for core dimension "
                                     f"{name!r}: {sizes[name]} vs {n}")
            loops.append(shape[:split])
        loop = broadcast_shapes("vectorize", *loops)
        values = [broadcast_to_shape(v, loop + aval(v).shape[len(shp):])
                  for v, shp in zip(values, loops, strict=True)]
        if not loop:
            return call(*values)
        count = math.prod(loop)
        if count == 0:
            raise NotImplementedError("vectorize: an empty loop dimension is not supported.")
        flat = [reshape(v, (count,) + aval(v).shape[len(loop):]) for v in values]
        out = _vmap()(call)(*flat)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if len(outs) != len(out_specs):
            raise ValueError(f"vectorize: the function returned {len(outs)} output(s), the "
                             f"signature has {len(out_specs)}")
        outs = [reshape(o, loop + aval(o).shape[1:]) for o in outs]
        return tuple(outs) if len(out_specs) > 1 else outs[0]


def _parse_signature(signature: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """``"(m,n),(n)->(m)"`` as the core dimension names of the inputs and outputs."""
    if signature.count("->") != 1:
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
    parts = signature.replace(" ", "").split("->")
    specs = []
    for part in parts:
        groups = re.findall(r"\(([^()]*)\)", part)
        if "".join(f"({g})" for g in groups).replace(",", "") != part.replace(",", ""):
            raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
        specs.append([tuple(d for d in g.split(",") if d) for g in groups])
    return specs[0], specs[1]


def piecewise(x: Any, condlist: Any, funclist: Sequence[Any], *args: Any, **kw: Any) -> Any:
    """``numpy.piecewise``: ``funclist[i](x)`` (or the constant ``funclist[i]``) where
    ``condlist[i]`` holds, later conditions taking precedence, and ``funclist[-1]`` (or 0)
    where none does when there is one more function than conditions.  Every function is
    evaluated on all of ``x``, and the results are selected."""
    x = as_operand(x)
    if isinstance(condlist, (bool, np.bool_)) or (
            not isinstance(condlist, (list, tuple)) and aval(as_operand(condlist)).ndim
            == aval(x).ndim):
        condlist = [condlist]
    conds = [broadcast_to_shape(as_operand(c), aval(x).shape) for c in condlist]
    funcs = list(funclist)
    if len(funcs) not in (len(conds), len(conds) + 1):
        raise ValueError(f"with {len(conds)} condition(s), either {len(conds)} or "
                         f"{len(conds) + 1} functions are expected")

    def value(f: Any) -> Any:
        out = f(x, *args, **kw) if callable(f) else f
        return broadcast_to_shape(convert(as_operand(out), aval(x).dtype), aval(x).shape)

    result: Any = value(funcs[-1]) if len(funcs) == len(conds) + 1 else \
        np.zeros(aval(x).shape, aval(x).dtype)
    for c, f in zip(conds, funcs[:len(conds)], strict=True):
        result = where(c, value(f), result)
    return result


# -- more: partitions, counts, selection by position, set operations, windows -------------------


def partition(a: Any, kth: int | Sequence[int], axis: int = -1, kind: str = "introselect",
              order: None = None) -> Any:
    """``numpy.partition``: ``a`` with the ``kth`` entries where a full sort would put them and
    smaller (larger) entries before (after) them: here a full, stable sort, which is one such
    arrangement (NumPy's order within the parts is unspecified)."""
    _check_kth(a, kth, axis, "partition", kind, order)
    return sort(a, axis)


def argpartition(a: Any, kth: int | Sequence[int], axis: int = -1, kind: str = "introselect",
                 order: None = None) -> Any:
    """``numpy.argpartition``: the indices that :func:`partition` ``a`` (here: that sort it)."""
    _check_kth(a, kth, axis, "argpartition", kind, order)
    return argsort(a, axis)


def _check_kth(a: Any, kth: int | Sequence[int], axis: int, name: str, kind: str,
               order: None) -> None:
    if kind != "introselect":  # NumPy's only selection algorithm
        raise ValueError(f"{name}: select kind must be 'introselect' (got {kind!r})")
    if order is not None:
        raise ValueError(f"{name}: order= names fields of a structured array; functrace arrays "
                         "have none")
    shape = aval(as_operand(a)).shape
    n = shape[normalize_axis(axis, len(shape), name)] if shape else 1
    for k in np.atleast_1d(np.asarray(kth)):
        if not -n <= int(k) < n:
            raise ValueError(f"{name}: kth(={int(k)}) out of bounds ({n})")


def bincount(x: Any, weights: Any = None, minlength: int = 0, *,
             length: int | None = None) -> Any:
    """``numpy.bincount``: how often each non-negative integer occurs in the 1-d ``x`` (the sum
    of its ``weights``).  The number of bins is ``max(x) + 1`` (at least ``minlength``) when
    ``x`` is known; JAX's ``length=`` fixes it (then, as JAX's, larger values are dropped and
    negative ones counted in bin 0)."""
    x = as_operand(x)
    if aval(x).dtype.kind not in "iub":  # NumPy's TypeError: it casts x to intp safely
        raise TypeError(f"bincount: x must be an array of non-negative integers, got dtype "
                        f"{aval(x).dtype} (which cannot be cast to intp under the 'safe' rule).")
    if aval(x).ndim != 1:
        raise ValueError("bincount: x must be a 1-d array of non-negative integers")
    fixed_length = length is not None
    if length is None:
        value = _concrete(x, "bincount", "argument (the number of bins depends on its values)")
        if value.size and value.min() < 0:
            raise ValueError("bincount: the first argument must be non-negative")
        length = max(int(value.max()) + 1 if value.size else 0, int(minlength))
    if weights is None:
        updates: Any = np.ones(aval(x).shape, np.intp)
    else:
        updates = as_operand(weights)
        refuse_complex("bincount", updates, "weights may not be complex")
        if aval(updates).shape != aval(x).shape:
            raise ValueError("bincount: the weights and list don't have the same length.")
        if aval(updates).dtype.kind != "c":
            updates = convert(updates, np.dtype(np.float64))  # as NumPy: sums in float64
    zeros = np.zeros(length, aval(updates).dtype)
    if not length:
        return zeros
    x = convert(x, np.dtype(np.intp))
    if fixed_length:  # as JAX's: values past the last bin are dropped (negative ones: bin 0)
        updates = where(less(x, np.asarray(length, np.intp)), updates,
                        np.zeros((), aval(as_operand(updates)).dtype))
    return ix.scatter_add(zeros, updates, [x], (0,))


def put_along_axis(arr: Any, indices: Any, values: Any, axis: int | None, *,
                   inplace: bool = True, mode: str | None = None) -> Any:
    """``numpy.put_along_axis`` as JAX's: ``inplace=False`` is required and the updated copy
    is returned (``arr.at[...]`` along ``axis``; repeated indices keep the last value)."""
    _refuse_inplace("put_along_axis", inplace)
    if mode not in (None, "promise_in_bounds"):
        raise NotImplementedError(f"put_along_axis: mode={mode!r} is not implemented.")
    arr, indices = as_operand(arr), as_operand(indices)
    if axis is None:
        return reshape(_update(ravel(arr), (ravel(indices),), values, "set"), aval(arr).shape)
    nd = aval(arr).ndim
    axis = normalize_axis(axis, nd, "put_along_axis")
    if aval(indices).ndim != nd:
        raise ValueError("put_along_axis: indices and arr must have the same number of "
                         "dimensions")
    shape = broadcast_shapes("put_along_axis", aval(indices).shape,
                             tuple(n if d != axis else aval(indices).shape[axis]
                                   for d, n in enumerate(aval(arr).shape)))
    index = tuple(broadcast_to_shape(indices, shape) if d == axis else
                  np.arange(shape[d]).reshape([-1 if e == d else 1 for e in range(nd)])
                  for d in range(nd))
    values = broadcast_to_shape(convert(as_operand(values), aval(arr).dtype), shape)
    return _update(arr, index, values, "set")


def extract(condition: Any, arr: Any) -> Any:
    """``numpy.extract``: the entries of the flattened ``arr`` where the concrete
    ``condition`` (flattened) is nonzero."""
    kept = np.flatnonzero(_concrete(condition, "extract", "condition"))
    return take(ravel(arr), kept)


def trim_zeros(filt: Any, trim: str = "fb", axis: int | Sequence[int] | None = None) -> Any:
    """``numpy.trim_zeros``: ``filt`` without its leading (``"f"``) and/or trailing (``"b"``)
    zeros along ``axis`` (every axis by default: the smallest box holding every nonzero
    entry; an all-zero array becomes empty); its values must be known."""
    value = np.asarray(_known(filt, "trim_zeros"))
    axes = (range(value.ndim) if axis is None
            else normalize_axes(axis if isinstance(axis, Sequence) else (axis,), value.ndim,
                                "trim_zeros"))
    index: list[slice] = [slice(None)] * value.ndim
    for ax in axes:
        others = tuple(a for a in range(value.ndim) if a != ax)
        nonzero_at = np.flatnonzero(np.any(value != 0, axis=others))
        if nonzero_at.size == 0:
            index[ax] = slice(0, 0)
            continue
        start = int(nonzero_at[0]) if "f" in trim.lower() else 0
        stop = int(nonzero_at[-1]) + 1 if "b" in trim.lower() else value.shape[ax]
        index[ax] = slice(start, stop)
    return getitem(as_operand(filt), tuple(index))


def unwrap(p: Any, discont: Any = None, axis: int = -1, *, period: float = 2 * np.pi) -> Any:
    """``numpy.unwrap``: ``p`` with jumps larger than ``discont`` (default ``period / 2``)
    along ``axis`` replaced by their complements modulo ``period`` (NumPy's algorithm, in
    NumPy's dtype: integers stay integers with an integer period)."""
    p = as_operand(p)
    axis = normalize_axis(axis, aval(p).ndim, "unwrap")
    weak_period = period if type(period) in (int, float) else np.asarray(period)
    dtype = np.result_type(aval(p).dtype, weak_period)
    p = convert(p, dtype)
    if aval(p).shape[axis] < 2:
        return p  # nothing to unwrap
    high: float
    if dtype.kind in "iu":
        high, rest = divmod(int(period), 2)
        ambiguous = rest == 0
    else:
        high, ambiguous = period / 2, True
    low, high_ = np.asarray(-high, dtype), np.asarray(high, dtype)
    discont = period / 2 if discont is None else discont
    dd = diff(p, axis=axis)
    ddmod = add(remainder(subtract(dd, low), np.asarray(period, dtype)), low)
    if ambiguous:  # a jump of exactly half a period keeps its sign
        ddmod = where(logical_and(equal(ddmod, low), greater(dd, np.zeros((), dtype))), high_,
                      ddmod)
    correction = where(less(absolute(dd), discont), np.zeros((), dtype), subtract(ddmod, dd))
    first = np.zeros(tuple(1 if d == axis else n for d, n in enumerate(aval(p).shape)), dtype)
    return add(p, concatenate([first, cumsum(correction, axis=axis)], axis=axis))


def _unique_where(values: Any, mask: np.ndarray) -> Any:
    """``unique(values)``, keeping the entries where ``mask`` (over the unique values) holds."""
    return take(unique(values), np.flatnonzero(mask))


def _fit(values: Any, size: int | None, fill_value: Any) -> Any:
    """A set operation's result cut or padded to ``size`` (JAX's ``size=``): padded with
    ``fill_value``, or by default the first value (0 for an empty result)."""
    if size is None:
        return values
    n = aval(values).shape[0]
    if n >= size:
        return getitem(values, slice(0, size))
    dtype = aval(values).dtype
    fill = (np.asarray(fill_value, dtype) if fill_value is not None
            else getitem(values, 0) if n else np.zeros((), dtype))
    return concatenate([values, broadcast_to_shape(reshape(as_operand(fill), (1,)),
                                                   (size - n,))])


def _traced_set(name: str, source: Any, keep: Callable[[Any], Any], size: int,
                fill_value: Any) -> Any:
    """A set operation with unknown values under ``size=`` (JAX's algorithm): the distinct
    values of ``source``, sorted, that ``keep(values)`` marks, compacted into ``size`` slots
    (padding as :func:`_fit`).  The values are gathered from ``source``."""
    flat = ravel(source)
    n = aval(flat).size
    if n == 0:
        return _fit(np.zeros(0, aval(flat).dtype), size, fill_value)
    order = argsort(flat)
    ordered = take(flat, order)
    starts = concatenate([np.ones(1, bool), not_equal(getitem(ordered, slice(1, None)),
                                                      getitem(ordered, slice(0, -1)))])
    chosen, valid, _ = _compact(logical_and(starts, keep(ordered)), order, size)
    values = take(flat, chosen)
    if fill_value is None:  # the first value, or 0 when there is none (as _fit)
        fill = where(getitem(valid, 0), getitem(values, 0), np.zeros((), aval(flat).dtype))
    else:
        fill = np.asarray(fill_value, aval(flat).dtype)
    return where(valid, values, fill)


def _known_or_none(name: str, size: int | None, *arrays: Any) -> list[np.ndarray] | None:
    """The arrays' values, or None if one is unknown (only allowed with ``size``)."""
    values = [_value_or_none(as_operand(a), size, name) for a in arrays]
    return None if any(v is None for v in values) else values  # type: ignore[return-value]


def _size(size: int | None) -> int:
    assert size is not None  # unknown values are only allowed with size=
    return size


def union1d(ar1: Any, ar2: Any, *, size: int | None = None, fill_value: Any = None) -> Any:
    """``numpy.union1d``: the sorted distinct entries of both (values known, or JAX's
    ``size=`` and ``fill_value=``; derivatives reach each value's first occurrence)."""
    return unique(concatenate([ravel(ar1), ravel(ar2)]), size=size, fill_value=fill_value)


def intersect1d(ar1: Any, ar2: Any, assume_unique: bool = False,
                return_indices: bool = False, *, size: int | None = None,
                fill_value: Any = None) -> Any:
    """``numpy.intersect1d``: the sorted distinct entries of ``ar1`` that are in ``ar2``
    (taken from ``ar1``), and with ``return_indices`` the index of each one's first
    occurrence in either input.  Values known, or JAX's ``size=``/``fill_value=`` (then
    without ``return_indices``)."""
    ar1, ar2 = as_operand(ar1), as_operand(ar2)
    dtype = result_dtype(aval(ar1), aval(ar2))
    known = _known_or_none("intersect1d", size, ar1, ar2)
    if known is None:
        if return_indices:
            raise NotImplementedError("intersect1d: return_indices=True needs the values "
                                      "known (not under jit or vmap).")
        return _traced_set("intersect1d", convert(ar1, dtype),
                           lambda v: isin(v, convert(ar2, dtype)), _size(size), fill_value)
    a1, a2 = known
    values, i1, i2 = np.intersect1d(a1, a2, return_indices=True)
    out = _fit(convert(take(ravel(ar1), i1), dtype), size, fill_value)
    if not return_indices:
        return out
    # Indices pad with one past the end, as JAX's (not a valid index).
    return out, _sized(i1, size, a1.size), _sized(i2, size, a2.size)


def setdiff1d(ar1: Any, ar2: Any, assume_unique: bool = False, *, size: int | None = None,
              fill_value: Any = None) -> Any:
    """``numpy.setdiff1d``: the sorted distinct entries of ``ar1`` not in ``ar2`` (taken from
    ``ar1``; values known, or JAX's ``size=``/``fill_value=``, padding with 0 by default, as
    JAX's).  With ``assume_unique``, the entries of ``ar1`` not in ``ar2`` in their order,
    neither sorted nor made distinct, as NumPy and JAX give them."""
    known = _known_or_none("setdiff1d", size, ar1, ar2)
    if fill_value is None and size is not None:
        fill_value = 0  # JAX's default here (the other set operations pad with the first value)
    if assume_unique:
        flat = ravel(ar1)
        if known is not None:
            kept = np.flatnonzero(~np.isin(np.ravel(known[0]), known[1]))
            return _fit(take(flat, kept), size, fill_value)
        n = aval(flat).size
        chosen, valid, _ = _compact(isin(flat, ar2, invert=True), np.arange(n), _size(size))
        values = take(flat, chosen) if n else np.zeros(_size(size), aval(flat).dtype)
        return where(valid, values, np.asarray(fill_value, aval(flat).dtype))
    if known is None:
        return _traced_set("setdiff1d", ar1, lambda v: isin(v, ar2, invert=True), _size(size),
                           fill_value)
    a1, a2 = known
    return _fit(_unique_where(ravel(ar1), ~np.isin(np.unique(a1), a2)), size, fill_value)


def setxor1d(ar1: Any, ar2: Any, assume_unique: bool = False, *, size: int | None = None,
             fill_value: Any = None) -> Any:
    """``numpy.setxor1d``: the sorted distinct entries in exactly one of the two (taken from
    the inputs; values known, or JAX's ``size=``/``fill_value=``)."""
    known = _known_or_none("setxor1d", size, ar1, ar2)
    if known is None:
        both = concatenate([ravel(ar1), ravel(ar2)])
        return _traced_set("setxor1d", both, lambda v: logical_xor(isin(v, ar1), isin(v, ar2)),
                           _size(size), fill_value)
    # NumPy's algorithm: the unique values of each, sorted together; a value is kept where it
    # differs from both neighbours (so NaN, equal to nothing, is kept).
    u1, u2 = unique(ar1), unique(ar2)
    values = np.concatenate([_known(u1, "setxor1d"), _known(u2, "setxor1d")])
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    flag = np.concatenate([[True], ordered[1:] != ordered[:-1], [True]])
    return _fit(take(concatenate([u1, u2]), order[flag[1:] & flag[:-1]]), size, fill_value)


def unravel_index(indices: Any, shape: Sequence[int]) -> tuple[Any, ...]:
    """``numpy.unravel_index``: the coordinates in an array of ``shape`` of flat ``indices``
    (integer arithmetic, so traced indices work; known ones out of range raise)."""
    indices = convert(as_operand(indices), np.dtype(np.intp))
    size = math.prod(shape)
    if not isinstance(indices, Tracer):
        value = np.asarray(indices)
        if value.size and (value.min() < -size or value.max() >= size):
            raise ValueError(f"index {int(value.max())} is out of bounds for array with size "
                             f"{size}")
        if value.size and value.min() < 0:
            raise ValueError("unravel_index: negative indices are not supported (as NumPy)")
    else:  # unknown: as JAX's, negative indices wrap and the others are clipped into range
        size_ = np.asarray(size, np.intp)
        indices = where(less(indices, np.zeros((), np.intp)), add(indices, size_), indices)
        indices = clip(indices, 0, size - 1)
    return _unravel(indices, tuple(shape))


def ravel_multi_index(multi_index: Sequence[Any], dims: Sequence[int], mode: str = "raise",
                      order: str = "C") -> Any:
    """``numpy.ravel_multi_index``: flat indices of coordinates in an array of shape ``dims``
    (C order; ``mode`` ``"raise"`` (checked when known), ``"wrap"`` or ``"clip"``)."""
    if order != "C":
        raise NotImplementedError("ravel_multi_index: only order='C' is implemented.")
    if len(multi_index) != len(dims):
        raise ValueError("parameter multi_index must be a sequence of length "
                         f"{len(dims)}")
    flat: Any = None
    for coords, n in zip(multi_index, dims, strict=True):
        coords = convert(as_operand(coords), np.dtype(np.intp))
        if mode == "raise" and isinstance(coords, Tracer):
            coords = np.asarray(_concrete(coords, "ravel_multi_index", "coordinates (with "
                                          "mode='raise'; use mode='wrap' or 'clip')"))
        if mode == "wrap":
            coords = remainder(coords, np.asarray(n, aval(coords).dtype))
        elif mode == "clip":
            coords = clip(coords, 0, n - 1)
        else:  # raise: the coordinates are known here
            value = np.asarray(coords)
            if value.size and (value.min() < 0 or value.max() >= n):
                raise ValueError("invalid entry in coordinates array")
        flat = coords if flat is None else add(multiply(flat, np.asarray(n, aval(flat).dtype)),
                                               coords)
    return flat


def _window(np_fn: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    @functools.wraps(np_fn)
    def window(*args: Any) -> np.ndarray:
        return np_fn(*[np.asarray(_concrete(a, np_fn.__name__, "argument")) for a in args])

    window.__doc__ = f"``numpy.{np_fn.__name__}``: a window of concrete parameters (NumPy's)."
    return window


bartlett, blackman, hamming, hanning, kaiser = (
    _window(f) for f in (np.bartlett, np.blackman, np.hamming, np.hanning, np.kaiser))
