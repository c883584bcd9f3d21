"""Reductions and scans: reduce_max, reduce_min, reduce_prod, argmax, argmin, cumsum,
cumprod, argsort.

(``reduce_sum`` lives in ``shape.py`` beside ``broadcast_in_dim``, its transpose.)

Products are differentiated without dividing by the operand, so zeros are handled exactly:
the derivative of ``x_0 * ... * x_{n-1}`` by ``x_j`` is the product of the entries left of
``j`` times the product of those right of it (two exclusive cumulative products), and the
derivatives of ``cumprod`` are first-order linear recurrences, run as log-depth scans built
from ``pad``, ``mul`` and ``add`` (so they can be differentiated again).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters.jvp import defjvp, deflinear_jvp
from functrace.interpreters.vjp import defvjp
from functrace.interpreters.vmap import batch_rules
from functrace.primitives.elementwise import abs as abs_
from functrace.primitives.elementwise import (
    add,
    convert_element_type,
    defzero,
    div,
    eq,
    exp,
    full_like,
    lt_p,
    mul,
    select_n,
    sub,
)
from functrace.primitives.indexing import INDEX_DTYPE, pad
from functrace.primitives.shape import (
    broadcast_in_dim,
    moveaxis,
    reduce_batch,
    reduce_sum,
    reduced_aval,
    reduced_shape,
    reshape,
    shape_of,
    transpose,
)


def _keep_axes(x: Any, y: Any, axes: tuple[int, ...]) -> Any:
    """Broadcast the reduced ``y`` back to ``x``'s shape."""
    shape = shape_of(x)
    return broadcast_in_dim(y, shape, tuple(i for i in range(len(shape)) if i not in axes))


# -- reduce_max / reduce_min: the derivative flows to the extremal entries, split among ties ----


def _extremum_weights(x: Any, ans: Any, axes: tuple[int, ...]) -> Any:
    hit = convert_element_type(eq(x, _keep_axes(x, ans, axes)), get_aval(ans).dtype)
    return div(hit, _keep_axes(x, reduce_sum(hit, axes), axes))


def _extremum(name: str, np_fn: Any) -> Primitive:
    prim = Primitive(name)
    prim.def_impl1(lambda x, *, axes: np_fn(x, axis=axes))
    prim.shape_rule = lambda x, *, axes: reduced_aval(x, axes, name)
    defjvp(prim, lambda x_dot, ans, x, *, axes:
           reduce_sum(mul(x_dot, _extremum_weights(x, ans, axes)), axes))
    defvjp(prim, lambda ct, ans, x, *, axes:
           mul(_keep_axes(x, ct, axes), _extremum_weights(x, ans, axes)))
    reduce_batch(prim)
    return prim


reduce_max_p = _extremum("reduce_max", np.maximum.reduce)
reduce_min_p = _extremum("reduce_min", np.minimum.reduce)


def reduce_max(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_max_p.bind1(x, axes=tuple(axes))


def reduce_min(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_min_p.bind1(x, axes=tuple(axes))


# -- reduce_logsumexp: log(sum(exp(x))) over axes, stably -----------------------------------------
# One primitive rather than the composite (max, shift, exp, sum, log, add): a softmax
# cross-entropy's tape holds one equation instead of eight, and its pullback is the softmax
# times the cotangent.  The value shifts by the (finite) maximum, as JAX's composite
# does; rows of -inf only give -inf, and the derivative there is NaN (0 / 0) as in JAX.
reduce_logsumexp_p = Primitive("reduce_logsumexp")


def reduce_logsumexp(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_logsumexp_p.bind1(x, axes=tuple(axes))


def _logsumexp_impl(x: Any, *, axes: tuple[int, ...]) -> Any:
    x = np.asarray(x)
    if any(x.shape[a] == 0 for a in axes):  # an empty sum: log(0)
        return np.full(reduced_shape(get_aval(x), axes, "reduce_logsumexp"), -np.inf, x.dtype)
    shift = np.maximum.reduce(x, axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, np.zeros((), x.dtype))
    with np.errstate(divide="ignore"):  # log(0) = -inf where every entry is -inf
        out = np.log(np.add.reduce(np.exp(x - shift), axis=axes, keepdims=True)) + shift
    return out.reshape(reduced_shape(get_aval(x), axes, "reduce_logsumexp"))


def _softmax(x: Any, ans: Any, axes: tuple[int, ...]) -> Any:
    """exp(x - logsumexp(x)), the weights of the derivative, normalised to sum to 1: where
    ``ans`` is huge its rounding scales every ``exp(x - ans)`` of a slice by one factor, which
    the normalisation removes (``[1e300, 1e300]`` gives 1/2 each).  A slice whose sum is not
    finite (an inf or NaN entry) is left as it is: NaN at inf, 0 elsewhere, as JAX's."""
    weights = exp(sub(x, _keep_axes(x, ans, axes)))
    if type(weights) is np.ndarray:  # a constant (the eager backward pass): NumPy directly
        total = np.add.reduce(weights, axis=axes, keepdims=True)
        return weights / np.where(np.isfinite(total), total, np.ones((), total.dtype))
    total = reduce_sum(weights, axes)
    finite = lt_p.bind1(abs_(total), np.asarray(np.inf, get_aval(total).dtype))
    total = select_n(finite, full_like(total, 1), total)
    return div(weights, _keep_axes(x, total, axes))


def _logsumexp_shape(x: ShapedArray, *, axes: tuple[int, ...]) -> list[ShapedArray]:
    if x.dtype.kind != "f":
        raise ValueError(f"reduce_logsumexp: expected a real floating operand, got "
                         f"{x.str_short()}.")
    return reduced_aval(x, axes, "reduce_logsumexp")


reduce_logsumexp_p.def_impl1(_logsumexp_impl)
reduce_logsumexp_p.shape_rule = _logsumexp_shape
defjvp(reduce_logsumexp_p, lambda x_dot, ans, x, *, axes:
       reduce_sum(mul(x_dot, _softmax(x, ans, axes)), axes))
defvjp(reduce_logsumexp_p, lambda ct, ans, x, *, axes:
       mul(_keep_axes(x, ct, axes), _softmax(x, ans, axes)))
reduce_batch(reduce_logsumexp_p)


# -- reduce_prod --------------------------------------------------------------------------------

# prod: a primitive so its derivative can avoid dividing by the operand (zeros).
reduce_prod_p = Primitive("reduce_prod")


def reduce_prod(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_prod_p.bind1(x, axes=tuple(axes))


def _others_product(x: Any, axes: tuple[int, ...]) -> Any:
    """For each entry, the product of the other entries of its reduced group (no division)."""
    shape = shape_of(x)
    kept = [i for i in range(len(shape)) if i not in axes]
    perm = (*kept, *axes)
    group = math.prod([shape[i] for i in axes])
    grouped = reshape(_permute(x, perm), (*[shape[i] for i in kept], group))
    last = len(kept)
    left = _shift(cumprod(grouped, last), 1, last, 1)  # product of the entries before
    right = _shift(cumprod(grouped, last, reverse=True), -1, last, 1)  # ... and after
    others = reshape(mul(left, right), tuple(shape[i] for i in perm))
    return _permute(others, tuple(np.argsort(perm)))


def _permute(x: Any, perm: tuple[int, ...]) -> Any:
    return x if perm == tuple(range(len(perm))) else transpose(x, perm)


reduce_prod_p.impl = lambda x, *, axes: [np.prod(x, axis=axes, dtype=x.dtype)]
reduce_prod_p.shape_rule = lambda x, *, axes: [
    ShapedArray(reduced_shape(x, axes, "reduce_prod"), x.dtype, x.weak_type)]
defjvp(reduce_prod_p, lambda x_dot, ans, x, *, axes:
       reduce_sum(mul(x_dot, _others_product(x, axes)), axes))
defvjp(reduce_prod_p, lambda ct, ans, x, *, axes:
       mul(_keep_axes(x, ct, axes), _others_product(x, axes)))
reduce_batch(reduce_prod_p)


# -- primitives over one axis (argmax, cumsum, ...): batched with the batch axis first ----------


def _axis_shape(name: str, x: ShapedArray, axis: int) -> None:
    if not 0 <= axis < x.ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for an operand of type "
                         f"{x.str_short()}.")


def _axis_batch(prim: Primitive) -> None:
    """Batch a primitive with an ``axis`` param by moving the batch axis first."""

    def rule(size: int, args: list[Any], bdims: list[int | None], **params: Any) -> Any:
        x = moveaxis(args[0], bdims[0], 0)  # type: ignore[arg-type]
        return prim.bind(x, **dict(params, axis=params["axis"] + 1)), [0]

    batch_rules[prim] = rule


# -- argmax / argmin: integer results, zero derivative -------------------------------------------


def _arg_extremum(name: str, np_fn: Any) -> Primitive:
    """argmax / argmin: integer results, so primitives of their own (JAX's)."""
    prim = Primitive(name)

    def shape_rule(x: ShapedArray, *, axis: int, index_dtype: np.dtype[Any]
                   ) -> list[ShapedArray]:
        _axis_shape(name, x, axis)
        if x.shape[axis] == 0:
            raise ValueError(f"{name}: the axis {axis} of an operand of type {x.str_short()} "
                             "is empty, so it has no extremum.")
        return [ShapedArray(reduced_shape(x, (axis,), name), index_dtype)]

    prim.impl = lambda x, *, axis, index_dtype: [np_fn(x, axis=axis).astype(index_dtype)]
    prim.shape_rule = shape_rule
    defzero(prim)
    _axis_batch(prim)
    return prim


argmax_p = _arg_extremum("argmax", np.argmax)
argmin_p = _arg_extremum("argmin", np.argmin)


def argmax(x: Any, axis: int, index_dtype: Any = INDEX_DTYPE) -> Any:
    """The index of the first largest entry along ``axis`` (NaN counts as largest)."""
    return argmax_p.bind1(x, axis=axis, index_dtype=np.dtype(index_dtype))


def argmin(x: Any, axis: int, index_dtype: Any = INDEX_DTYPE) -> Any:
    """The index of the first smallest entry along ``axis`` (NaN counts as smallest)."""
    return argmin_p.bind1(x, axis=axis, index_dtype=np.dtype(index_dtype))


# -- cumsum: linear; its transpose is the cumulative sum in the other direction -----------------


def _scan_impl(np_fn: Any) -> Any:
    def impl(x: Any, *, axis: int, reverse: bool) -> list[Any]:
        x = np.asarray(x)
        if not reverse:
            return [np_fn(x, axis=axis, dtype=x.dtype)]
        return [np.flip(np_fn(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)]

    return impl


def _scan_shape(name: str) -> Any:
    def rule(x: ShapedArray, *, axis: int, reverse: bool) -> list[ShapedArray]:
        _axis_shape(name, x, axis)
        return [x]

    return rule


# Running sums: linear, one equation (and one for its transpose).
cumsum_p = Primitive("cumsum")


def cumsum(x: Any, axis: int, reverse: bool = False) -> Any:
    """Running sums along ``axis`` (from the end when ``reverse``)."""
    return cumsum_p.bind1(x, axis=axis, reverse=reverse)


cumsum_p.impl = _scan_impl(np.cumsum)
cumsum_p.shape_rule = _scan_shape("cumsum")
deflinear_jvp(cumsum_p)
defvjp(cumsum_p, lambda ct, ans, x, *, axis, reverse: cumsum(ct, axis, not reverse))
_axis_batch(cumsum_p)

# -- cumprod -------------------------------------------------------------------------------------

# Running products: as reduce_prod, a derivative without division.
cumprod_p = Primitive("cumprod")


def cumprod(x: Any, axis: int, reverse: bool = False) -> Any:
    """Running products along ``axis`` (from the end when ``reverse``)."""
    return cumprod_p.bind1(x, axis=axis, reverse=reverse)


def _shift(x: Any, k: int, axis: int, fill: Any) -> Any:
    """``x`` moved ``k`` places along ``axis`` (towards the end if k > 0), filled with
    ``fill``: one pad whose negative edge drops what moves out."""
    config = [(0, 0, 0)] * len(shape_of(x))
    config[axis] = (k, -k, 0)
    return pad(x, np.array(fill, get_aval(x).dtype), config)


def _linear_recurrence(a: Any, b: Any, axis: int, reverse: bool) -> Any:
    """``s`` with ``s[i] = a[i] * s[i-1] + b[i]`` along ``axis`` (``s[i+1]`` if ``reverse``),
    starting from 0, by recursive doubling: after the step of offset ``k``, ``(a[i], b[i])``
    is the composition of the affine maps ``i-2k+1 .. i``."""
    n, step, k = shape_of(a)[axis], -1 if reverse else 1, 1
    while k < n:
        b = add(mul(a, _shift(b, step * k, axis, 0)), b)
        if 2 * k < n:
            a = mul(a, _shift(a, step * k, axis, 1))
        k *= 2
    return b


def _cumprod_jvp(x_dot: Any, ans: Any, x: Any, *, axis: int, reverse: bool) -> Any:
    # y[i] = x[i] y[i-1], so y_dot[i] = x[i] y_dot[i-1] + x_dot[i] y[i-1].
    before = _shift(ans, -1 if reverse else 1, axis, 1)
    return _linear_recurrence(x, mul(x_dot, before), axis, reverse)


def _cumprod_vjp(ct: Any, ans: Any, x: Any, *, axis: int, reverse: bool) -> Any:
    # x_bar[j] = y[j-1] * s[j] with s[j] = ct[j] + x[j+1] s[j+1]: the transposed recurrence.
    step = -1 if reverse else 1
    s = _linear_recurrence(_shift(x, -step, axis, 0), ct, axis, not reverse)
    return mul(_shift(ans, step, axis, 1), s)


cumprod_p.impl = _scan_impl(np.cumprod)
cumprod_p.shape_rule = _scan_shape("cumprod")
defjvp(cumprod_p, _cumprod_jvp)
defvjp(cumprod_p, _cumprod_vjp)
_axis_batch(cumprod_p)

# -- argsort: the sorting permutation (sort = gather by it, so its vjp scatters back) ------------

# The sorting permutation: an integer result (sort is a gather by it).
argsort_p = Primitive("argsort")


def argsort(x: Any, axis: int, index_dtype: Any = INDEX_DTYPE) -> Any:
    """The indices that sort ``x`` along ``axis`` (stable: ties keep their order; NaN last)."""
    return argsort_p.bind1(x, axis=axis, index_dtype=np.dtype(index_dtype))


def _argsort_shape(x: ShapedArray, *, axis: int, index_dtype: np.dtype[Any]
                   ) -> list[ShapedArray]:
    _axis_shape("argsort", x, axis)
    return [ShapedArray(x.shape, index_dtype)]


argsort_p.impl = lambda x, *, axis, index_dtype: [
    np.argsort(x, axis=axis, kind="stable").astype(index_dtype)]
argsort_p.shape_rule = _argsort_shape
defzero(argsort_p)
_axis_batch(argsort_p)
