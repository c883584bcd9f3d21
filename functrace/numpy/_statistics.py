"""Order statistics and covariances of ``functrace.numpy``: median, quantile, percentile (and
their NaN-ignoring versions), cov and corrcoef.

The order statistics sort along the reduced axes (``argsort`` and a gather) and then read one
or two entries of the sorted array, so, as in JAX, the derivative flows to the entries
selected (and, between two entries, is shared by the interpolation weights).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functrace.core import Tracer
from functrace.numpy import _reductions
from functrace.numpy._base import (
    as_operand,
    aval,
    broadcast_to_shape,
    convert,
    refuse_complex,
    result_dtype,
)
from functrace.numpy._elementwise import (
    add,
    clip,
    conjugate,
    equal,
    floor,
    greater,
    greater_equal,
    imag,
    isnan,
    less,
    logical_and,
    logical_not,
    maximum,
    minimum,
    multiply,
    real,
    round,  # noqa: A004 - NumPy's name
    sqrt,
    subtract,
    true_divide,
    where,
)
from functrace.numpy._indexing import sort, take_along_axis
from functrace.numpy._linalg import diagonal, dot
from functrace.numpy._reductions import Axis, average, normalize_axes
from functrace.numpy._shapes import atleast_2d, concatenate, reshape, transpose
from functrace.primitives import indexing as ix
from functrace.primitives import shape as sh

# NumPy's continuous methods (Hyndman and Fan's): the virtual index of quantile q among n
# sorted entries is n q + alpha + q (1 - alpha - beta) - 1, between two entries interpolated.
_ALPHA_BETA = {"interpolated_inverted_cdf": (0.0, 1.0), "hazen": (0.5, 0.5),
               "weibull": (0.0, 0.0), "median_unbiased": (1 / 3, 1 / 3),
               "normal_unbiased": (3 / 8, 3 / 8)}
# These pick an entry: the input's dtype is kept.
_DISCRETE = ("lower", "higher", "nearest", "inverted_cdf", "closest_observation")
_METHODS = ("linear", "midpoint", "averaged_inverted_cdf", *_DISCRETE, *_ALPHA_BETA)


def _check_unsupported(name: str, out: Any, weights: Any = None) -> None:
    if out is not None:
        raise TypeError(f"{name}(..., out=...) cannot write into an array: functrace values "
                        "are immutable; use the returned value.")
    if weights is not None:
        raise NotImplementedError(f"{name}: weights are not supported by functrace.")


def _sorted_lanes(name: str, a: Any, axis: Axis) -> tuple[Any, tuple[int, ...], tuple[int, ...]]:
    """``a`` with the reduced axes moved last, merged into one and sorted; the shape of the
    kept axes, and the shape that ``keepdims`` gives them."""
    a = as_operand(a)
    shape = aval(a).shape
    axes = normalize_axes(axis, len(shape), name)
    kept = [d for d in range(len(shape)) if d not in axes]
    batch = tuple(shape[d] for d in kept)
    n = math.prod(shape[d] for d in axes)
    if n == 0:
        raise ValueError(f"{name}: cannot take an order statistic of an empty slice")
    lanes = reshape(transpose(a, kept + list(axes)), (*batch, n))
    keep_shape = tuple(1 if d in axes else m for d, m in enumerate(shape))
    return sort(lanes, axis=-1), batch, keep_shape


def _read(lanes: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """``lanes[..., index]`` lane by lane, ``index`` of ``shape`` (q's shape + the lanes')."""
    lanes = broadcast_to_shape(lanes, (*shape, aval(lanes).shape[-1]))
    index = sh.expand_dims(index, (len(shape),)) if isinstance(index, Tracer) else \
        np.asarray(index)[..., None]
    return sh.squeeze(take_along_axis(lanes, index, -1), (len(shape),))


def _real_quantile(name: str, a: Any, q: Any, axis: Axis, method: str, keepdims: bool,
                   ignore_nan: bool) -> Any:
    """:func:`_quantile` of real ``a`` at real ``q``: NumPy's quantile functions refuse
    complex numbers (``median`` and ``nanmedian`` do not)."""
    refuse_complex(name, a, "a must be an array of real numbers")
    refuse_complex(name, q, "q must be real")
    return _quantile(name, a, q, axis, method, keepdims, ignore_nan)


def _quantile(name: str, a: Any, q: Any, axis: Axis, method: str, keepdims: bool,
              ignore_nan: bool) -> Any:
    if method not in _METHODS:
        raise ValueError(f"{name}: {method!r} is not a valid method; use one of "
                         f"{', '.join(_METHODS)}.")
    q = as_operand(q)
    if not isinstance(q, Tracer):
        q = np.asarray(q) if not isinstance(q, (float, int)) else q
        if np.any(np.asarray(q) < 0) or np.any(np.asarray(q) > 1):
            raise ValueError("Quantiles must be in the range [0, 1]")
    lanes, batch, keep_shape = _sorted_lanes(name, a, axis)
    a_dtype = aval(lanes).dtype
    if method in _DISCRETE:
        dtype = a_dtype
    else:
        float_a = a_dtype if a_dtype.kind in "fc" else np.dtype(np.float64)
        dtype = result_dtype(aval(np.zeros((), float_a)), aval(q))
        lanes = convert(lanes, dtype)
    n = aval(lanes).shape[-1]
    q_shape = aval(q).shape
    shape = (*q_shape, *batch)
    q_b = reshape(q, (*q_shape, *(1,) * len(batch)))
    if ignore_nan and a_dtype.kind in "fc":
        nan = isnan(lanes)  # sorted last: the first `count` entries are the numbers
        count = _reductions.sum(logical_not(nan), -1, dtype=np.float64)
    else:
        count = float(n)
    # The virtual index (in float64, as NumPy) and the two entries around it.
    pos = _virtual_index(method, convert(q_b, np.dtype(np.float64)), count)
    below = floor(pos)
    top = subtract(count, 1.0) if ignore_nan and a_dtype.kind in "fc" else float(n - 1)
    lo = clip(below, 0.0, top)  # (NaNs sort last: the entries past `top` are NaNs)
    hi = where(less(pos, 0.0), lo, minimum(add(lo, 1.0), top))  # one entry outside [0, top]
    fraction = subtract(pos, below)
    if method == "lower":
        hi = lo
    elif method == "higher":
        lo = hi = where(greater(pos, below), hi, lo)
    elif method == "nearest":  # NumPy rounds half to even
        lo = hi = where(greater(round(pos), below), hi, lo)
    elif method == "inverted_cdf":  # the entry at n q - 1 if a whole number, else the next
        lo = hi = clip(where(equal(fraction, 0.0), below, add(below, 1.0)), 0.0, top)
    elif method == "closest_observation":  # at n q - 1.5; at a tie the even order statistic
        odd = equal(subtract(below, multiply(floor(multiply(below, 0.5)), 2.0)), 1.0)
        pick_below = logical_and(equal(fraction, 0.0), odd)  # (odd 0-based: even 1-based)
        lo = hi = clip(where(pick_below, below, add(below, 1.0)), 0.0, top)
    lo_i, hi_i = (broadcast_to_shape(convert(i, np.dtype(np.intp)), shape) for i in (lo, hi))
    out = _read(lanes, lo_i, shape)
    if method not in _DISCRETE:
        if method == "midpoint":
            gamma = where(greater(pos, below), 0.5, 0.0)
        elif method == "averaged_inverted_cdf":  # the mean of two entries at a whole n q
            gamma = where(equal(fraction, 0.0), 0.5, 1.0)
        else:
            gamma = fraction
        gamma = convert(broadcast_to_shape(gamma, shape), dtype)
        upper = _read(lanes, hi_i, shape)
        # NumPy's lerp: from the nearer end, so that gamma = 1 gives `upper` exactly.
        step = subtract(upper, out)
        out = where(greater_equal(gamma, 0.5), subtract(upper, multiply(step, subtract(
            1.0, gamma))), add(out, multiply(step, gamma)))
    if a_dtype.kind in "fc":
        if ignore_nan:
            empty = equal(count, 0.0)
            out = where(broadcast_to_shape(empty, shape), np.asarray(np.nan, aval(out).dtype),
                        out)
        else:
            has_nan = _reductions.any(isnan(lanes), -1)
            out = where(broadcast_to_shape(has_nan, shape), np.asarray(np.nan,
                                                                      aval(out).dtype), out)
    return reshape(out, (*q_shape, *keep_shape)) if keepdims else out


def _virtual_index(method: str, q: Any, count: Any) -> Any:
    """Where quantile ``q`` falls among ``count`` sorted entries, as NumPy's ``method``
    places it: a fractional index, between two entries (and outside ``[0, count - 1]`` for
    some methods at extreme ``q``: the first or last entry is taken there)."""
    if method in ("linear", "lower", "higher", "nearest", "midpoint"):
        return multiply(q, subtract(count, 1.0))
    if method in ("inverted_cdf", "averaged_inverted_cdf"):
        return subtract(multiply(q, count), 1.0)
    if method == "closest_observation":
        return subtract(multiply(q, count), 1.5)
    alpha, beta = _ALPHA_BETA[method]
    return add(multiply(q, count), subtract(multiply(q, 1.0 - alpha - beta), 1.0 - alpha))


def quantile(a: Any, q: Any, axis: Axis = None, out: Any = None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False, *, weights: Any = None) -> Any:
    """``numpy.quantile``: the ``q``-th quantiles (``q`` in [0, 1], a scalar or an array,
    traced or not) along ``axis``; ``method`` any of NumPy's 13 (linear, the default, lower,
    higher, nearest, midpoint, inverted_cdf, averaged_inverted_cdf, closest_observation,
    interpolated_inverted_cdf, hazen, weibull, median_unbiased, normal_unbiased).
    Differentiable in ``a`` (and ``q`` for the interpolating methods), as JAX's.

    >>> quantile(np.array([3.0, 1.0, 4.0, 2.0]), 0.5)
    array(2.5)
    """
    _check_unsupported("quantile", out, weights)
    return _real_quantile("quantile", a, q, axis, method, keepdims, ignore_nan=False)


def percentile(a: Any, q: Any, axis: Axis = None, out: Any = None,
               overwrite_input: bool = False, method: str = "linear", keepdims: bool = False,
               *, weights: Any = None) -> Any:
    """``numpy.percentile``: :func:`quantile` with ``q`` in [0, 100]."""
    _check_unsupported("percentile", out, weights)
    refuse_complex("percentile", q, "q must be real")
    return _real_quantile("percentile", a, _percent(q), axis, method, keepdims,
                          ignore_nan=False)


def nanquantile(a: Any, q: Any, axis: Axis = None, out: Any = None,
                overwrite_input: bool = False, method: str = "linear", keepdims: bool = False,
                *, weights: Any = None) -> Any:
    """``numpy.nanquantile``: :func:`quantile` of the entries that are not NaN (NaN for an
    all-NaN slice)."""
    _check_unsupported("nanquantile", out, weights)
    return _real_quantile("nanquantile", a, q, axis, method, keepdims, ignore_nan=True)


def nanpercentile(a: Any, q: Any, axis: Axis = None, out: Any = None,
                  overwrite_input: bool = False, method: str = "linear",
                  keepdims: bool = False, *, weights: Any = None) -> Any:
    """``numpy.nanpercentile``: :func:`percentile` of the entries that are not NaN."""
    _check_unsupported("nanpercentile", out, weights)
    refuse_complex("nanpercentile", q, "q must be real")
    return _real_quantile("nanpercentile", a, _percent(q), axis, method, keepdims,
                          ignore_nan=True)


def _percent(q: Any) -> Any:
    if isinstance(q, (int, float)) and not isinstance(q, bool):
        if not 0 <= q <= 100:
            raise ValueError("Percentiles must be in the range [0, 100]")
        return q / 100  # a Python float stays weakly typed (float32 data stays float32)
    q = as_operand(q)
    if not isinstance(q, Tracer) and (np.any(np.asarray(q) < 0) or np.any(np.asarray(q) > 100)):
        raise ValueError("Percentiles must be in the range [0, 100]")
    return true_divide(q, 100)


def median(a: Any, axis: Axis = None, out: Any = None, overwrite_input: bool = False,
           keepdims: bool = False) -> Any:
    """``numpy.median``: the middle entry, or the mean of the two middle entries, along
    ``axis`` (NaN if the slice holds a NaN); the derivative goes to those entries.

    >>> median(np.array([[1.0, 7.0, 3.0], [4.0, 2.0, 6.0]]), axis=1)
    array([3., 4.])
    """
    _check_unsupported("median", out)
    lanes, _, keep_shape = _sorted_lanes("median", a, axis)
    n = aval(lanes).shape[-1]
    last = aval(lanes).ndim - 1
    middle = ix.slice_in_dim(lanes, (n - 1) // 2, n // 2 + 1, last)
    out_ = _reductions.mean(middle, last)
    if aval(lanes).dtype.kind in "fc":
        has_nan = _reductions.any(isnan(lanes), -1)
        out_ = where(has_nan, np.asarray(np.nan, aval(out_).dtype), out_)
    return reshape(out_, keep_shape) if keepdims else out_


def nanmedian(a: Any, axis: Axis = None, out: Any = None, overwrite_input: bool = False,
              keepdims: bool = False) -> Any:
    """``numpy.nanmedian``: the median of the entries that are not NaN (NaN for an all-NaN
    slice, without NumPy's warning)."""
    _check_unsupported("nanmedian", out)
    return _quantile("nanmedian", a, 0.5, axis, "linear", keepdims, ignore_nan=True)


# -- covariance and correlation ----------------------------------------------------------------


def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False, ddof: int | None = None,
        fweights: Any = None, aweights: Any = None, *, dtype: Any = None) -> Any:
    """``numpy.cov``: the covariance matrix of the variables in the rows (``rowvar``) or
    columns of ``m`` (and ``y``), with optional frequency and analytic weights; float64 (or
    ``dtype``) as NumPy.

    >>> cov(np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    m = as_operand(m)
    if aval(m).ndim > 2:
        raise ValueError("cov: m has more than 2 dimensions")
    if dtype is None:
        dtype = result_dtype(aval(m), *([aval(y)] if y is not None else []),
                             aval(np.zeros((), np.float64)))
    x = atleast_2d(convert(m, np.dtype(dtype)))
    if not rowvar and aval(x).shape[0] != 1:
        x = transpose(x)
    if aval(x).shape[0] == 0:
        return np.zeros((0, 0), dtype)
    if y is not None:
        y = as_operand(y)
        if aval(y).ndim > 2:
            raise ValueError("cov: y has more than 2 dimensions")
        y = atleast_2d(convert(y, np.dtype(dtype)))
        if not rowvar and aval(y).shape[0] != 1:
            y = transpose(y)
        x = concatenate([x, y], 0)
    if ddof is None:
        ddof = 0 if bias else 1
    n_obs = aval(x).shape[1]
    w = None
    if fweights is not None:
        w = _weights("fweights", fweights, n_obs, integral=True)
    if aweights is not None:
        aw = _weights("aweights", aweights, n_obs, integral=False)
        w = aw if w is None else multiply(w, aw)
    avg, w_sum = average(x, axis=1, weights=w, returned=True)
    if w is None:
        fact: Any = float(max(n_obs - ddof, 0))  # NumPy's: 0 (inf or NaN) where ddof >= n
    elif ddof == 0:
        fact = w_sum
    elif aweights is None:
        fact = subtract(w_sum, ddof)
    else:
        fact = subtract(w_sum, true_divide(multiply(ddof, _reductions.sum(multiply(w, aw))),
                                           w_sum))
    if w is not None and ddof != 0:
        fact = maximum(fact, 0.0)
    centered = subtract(x, sh.expand_dims(avg, (1,)))
    weighted = centered if w is None else multiply(centered, w)
    c = true_divide(dot(centered, transpose(conjugate(weighted))), fact)
    return reshape(c, ()) if aval(c).shape == (1, 1) else c


def _weights(name: str, w: Any, n: int, integral: bool) -> Any:
    w = as_operand(w)
    if aval(w).ndim != 1 or aval(w).shape[0] != n:
        raise ValueError(f"cov: {name} must be 1-d with one entry per observation ({n}), got "
                         f"shape {aval(w).shape}")
    if not isinstance(w, Tracer):
        w = np.asarray(w)
        if integral and np.any(w != np.around(w)):
            raise TypeError("cov: fweights must be integer")
        if np.any(w < 0):
            raise ValueError(f"cov: {name} cannot be negative")
    return convert(w, np.dtype(np.float64)) if aval(w).dtype.kind not in "fc" else w


def corrcoef(x: Any, y: Any = None, rowvar: bool = True, *, dtype: Any = None) -> Any:
    """``numpy.corrcoef``: Pearson correlation coefficients, the covariance matrix scaled by
    the standard deviations (clipped to [-1, 1], as NumPy)."""
    c = cov(x, y, rowvar, dtype=dtype)
    if aval(c).ndim == 0:
        return true_divide(c, c)
    stddev = sqrt(real(diagonal(c)))
    c = true_divide(c, sh.expand_dims(stddev, (1,)))
    c = true_divide(c, sh.expand_dims(stddev, (0,)))
    if aval(c).dtype.kind == "c":  # NumPy clips the real and imaginary parts apart
        return add(clip(real(c), -1, 1), multiply(1j, clip(imag(c), -1, 1)))
    return clip(c, -1, 1)

