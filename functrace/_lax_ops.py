"""``jax.lax``'s operations (beyond control flow), for code written against ``jax.lax``.

Each is a thin function over the primitives or ``functrace.numpy``, with lax's stricter rules
where they differ from NumPy's: the operands of a binary operation have one dtype (a Python
number takes the other operand's) and one shape (a scalar broadcasts), with ``TypeError``
otherwise; integer ``div`` and ``rem`` round toward zero (C's ``/`` and ``%``); ``round``
rounds half away from zero by default.  ``functrace.lax`` re-exports them.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace import nn
from functrace._lax_conv import (
    ConvDimensionNumbers,
    conv,
    conv_dimension_numbers,
    conv_general_dilated,
    conv_general_dilated_local,
    conv_general_dilated_patches,
    conv_general_permutations,
    conv_general_shape_tuple,
    conv_shape_tuple,
    conv_transpose,
    conv_transpose_shape_tuple,
    conv_with_general_padding,
    dtype_extreme,
    padtype_to_pads,
    reduce_window,
    reduce_window_shape_tuple,
)
from functrace._lax_gather import (
    GatherDimensionNumbers,
    GatherScatterMode,
    ScatterDimensionNumbers,
    gather,
    index_take,
    scatter,
    scatter_add,
    scatter_max,
    scatter_min,
    scatter_mul,
    scatter_sub,
)
from functrace._lax_misc import (
    ConvGeneralDilatedDimensionNumbers,
    DotDimensionNumbers,
    FftType,
    Precision,
    PrecisionLike,
    approx_max_k,
    approx_min_k,
    bitcast_convert_type,
    fft,
    shape_as_value,
)
from functrace.core import Tracer, get_aval
from functrace.numpy._reductions import normalize_axis
from functrace.primitives import collectives, special, xla_math
from functrace.primitives import elementwise as ew
from functrace.primitives import indexing as ix
from functrace.primitives import linalg as la
from functrace.primitives import shape as sh
from functrace.tree_util import tree_flatten, tree_map, tree_unflatten

_PY_SCALARS = (bool, int, float, complex)


def _operands(name: str, *args: Any) -> list[Any]:
    """lax's binary-operation rules: Python numbers take the dtype of the array operands,
    which must share one dtype and one rank; along each axis the sizes are equal or 1 (a
    size-1 axis broadcasts, as in JAX), and 0-d arrays broadcast."""
    arrays = [a for a in args if not isinstance(a, _PY_SCALARS)]
    if not arrays:
        return [fnp.asarray(a) for a in args]
    arrays = [a if isinstance(a, Tracer) else np.asarray(a) for a in arrays]
    dtypes = {get_aval(a).dtype for a in arrays}
    if len(dtypes) > 1:
        raise TypeError(f"lax.{name} requires arguments to have the same dtypes, got "
                        f"{', '.join(sorted(str(d) for d in dtypes))}.")
    dtype = dtypes.pop()
    shapes = {get_aval(a).shape for a in arrays if get_aval(a).shape}
    target: tuple[int, ...] | None = None
    if len(shapes) > 1:
        ranks = {len(s) for s in shapes}
        if len(ranks) > 1:
            raise TypeError(f"lax.{name}: arrays must have the same number of dimensions, "
                            f"got {sorted(ranks)}.")
        sizes = [{n for n in column if n != 1} for column in zip(*shapes, strict=True)]
        if any(len(c) > 1 for c in sizes):
            raise TypeError(f"lax.{name} got incompatible shapes for broadcasting: "
                            f"{', '.join(str(s) for s in sorted(shapes))}.")
        target = tuple(c.pop() if c else 1 for c in sizes)
    out = []
    for a in args:
        if isinstance(a, _PY_SCALARS):
            a = np.asarray(a, dtype)
        elif not isinstance(a, Tracer):
            a = np.asarray(a)
        if target is not None and get_aval(a).shape not in ((), target):
            a = fnp.broadcast_to(a, target)
        out.append(a)
    return out


def _binary(name: str, fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def op(x: Any, y: Any) -> Any:
        return fn(*_operands(name, x, y))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``jax.lax.{name}``: elementwise, on operands of one dtype and shape."
    return op


def _unary(name: str, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def op(x: Any) -> Any:
        return fn(x if isinstance(x, Tracer) else fnp.asarray(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``jax.lax.{name}``: elementwise."
    return op


def _div(x: Any, y: Any) -> Any:
    if get_aval(x).dtype.kind in "iu":  # C's division: the quotient rounded toward zero
        q = fnp.floor_divide(x, y)
        inexact = fnp.not_equal(fnp.remainder(x, y), 0)
        opposite = fnp.not_equal(fnp.less(x, 0), fnp.less(y, 0))
        return fnp.where(fnp.logical_and(inexact, opposite), q + 1, q)
    return fnp.true_divide(x, y)


add = _binary("add", fnp.add)
sub = _binary("sub", fnp.subtract)
mul = _binary("mul", fnp.multiply)
div = _binary("div", _div)
rem = _binary("rem", ew.rem)  # C's %: the sign of the dividend, exactly; integer x rem 0 is x
def pow(x: Any, y: Any) -> Any:  # noqa: A001 - lax's name
    """``jax.lax.pow``: ``x ** y``, of one dtype, or a float or complex ``x`` to an integer
    power ``y`` (the result in ``x``'s dtype)."""
    if not isinstance(y, _PY_SCALARS) and get_aval(fnp.asarray(y)).dtype.kind in "iu" \
            and get_aval(fnp.asarray(x)).dtype.kind in "fc":
        x = fnp.asarray(x)
        return fnp.asarray(fnp.power(x, y), get_aval(x).dtype)
    return fnp.power(*_operands("pow", x, y))
max = _binary("max", fnp.maximum)  # noqa: A001
min = _binary("min", fnp.minimum)  # noqa: A001
atan2 = _binary("atan2", fnp.arctan2)
nextafter = _binary("nextafter", fnp.nextafter)
eq = _binary("eq", fnp.equal)
ne = _binary("ne", fnp.not_equal)
lt = _binary("lt", fnp.less)
le = _binary("le", fnp.less_equal)
gt = _binary("gt", fnp.greater)
ge = _binary("ge", fnp.greater_equal)
bitwise_and = and_ = _binary("and_", fnp.bitwise_and)
bitwise_or = or_ = _binary("or_", fnp.bitwise_or)
bitwise_xor = xor = _binary("xor", fnp.bitwise_xor)
shift_left = _binary("shift_left", fnp.left_shift)
def _shift_right_arithmetic(x: Any, y: Any) -> Any:
    """The bits shifted right with copies of the top bit coming in, for unsigned integers too
    (their bits are shifted as a signed integer's); shifts past the width fill every bit."""
    dtype = get_aval(x).dtype
    signed = np.dtype(f"i{dtype.itemsize}")
    bits = 8 * dtype.itemsize
    shift = fnp.minimum(fnp.asarray(y, signed), np.asarray(bits - 1, signed))
    out = fnp.right_shift(fnp.asarray(x, signed), shift)
    return fnp.asarray(out, dtype)


shift_right_arithmetic = _binary("shift_right_arithmetic", _shift_right_arithmetic)
complex = _binary("complex", ew.make_complex)  # noqa: A001


def shift_right_logical(x: Any, y: Any) -> Any:
    """``jax.lax.shift_right_logical``: shifted right with zeros coming in (for signed
    integers too: the bits are shifted as an unsigned integer's)."""
    x, y = _operands("shift_right_logical", x, y)
    dtype = get_aval(x).dtype
    if dtype.kind != "i":
        return fnp.right_shift(x, y)
    unsigned = np.dtype(f"u{dtype.itemsize}")
    return fnp.asarray(fnp.right_shift(fnp.asarray(x, unsigned), fnp.asarray(y, unsigned)),
                       dtype)


neg = _unary("neg", fnp.negative)
sign = _unary("sign", fnp.sign)
floor = _unary("floor", fnp.floor)
ceil = _unary("ceil", fnp.ceil)
is_finite = _unary("is_finite", fnp.isfinite)
exp = _unary("exp", fnp.exp)
exp2 = _unary("exp2", fnp.exp2)
expm1 = _unary("expm1", fnp.expm1)
log = _unary("log", fnp.log)
log1p = _unary("log1p", fnp.log1p)
tanh = _unary("tanh", fnp.tanh)
logistic = _unary("logistic", nn.sigmoid)  # (nn's: stable for any input)
sin = _unary("sin", fnp.sin)
cos = _unary("cos", fnp.cos)
tan = _unary("tan", fnp.tan)
asin = _unary("asin", fnp.arcsin)
acos = _unary("acos", fnp.arccos)
atan = _unary("atan", fnp.arctan)
sinh = _unary("sinh", fnp.sinh)
cosh = _unary("cosh", fnp.cosh)
asinh = _unary("asinh", fnp.arcsinh)
acosh = _unary("acosh", fnp.arccosh)
atanh = _unary("atanh", fnp.arctanh)
sqrt = _unary("sqrt", fnp.sqrt)
erf = _unary("erf", special.erf)
erfc = _unary("erfc", special.erfc)
erf_inv = _unary("erf_inv", special.erf_inv)
lgamma = _unary("lgamma", special.lgamma)
digamma = _unary("digamma", special.digamma)
bessel_i0e = _unary("bessel_i0e", special.bessel_i0e)
bessel_i1e = _unary("bessel_i1e", special.bessel_i1e)
polygamma = _binary("polygamma", special.polygamma)
zeta = _binary("zeta", special.zeta)
igamma = _binary("igamma", special.igamma)
igammac = _binary("igammac", special.igammac)
igamma_grad_a = _binary("igamma_grad_a", special.igamma_grad_a)


def psum(x: Any, axis_name: Any) -> Any:
    """``jax.lax.psum``: the sum of ``x`` (a pytree) over the members of the batch axis
    ``axis_name`` of an enclosing ``vmap(..., axis_name=...)`` (a tuple: several axes)."""
    axes = collectives.normalize_axes(axis_name)
    return tree_map(lambda v: collectives.psum(fnp.asarray(v), axes), x)


def pmean(x: Any, axis_name: Any) -> Any:
    """``jax.lax.pmean``: the mean of ``x`` over the named batch axes."""
    axes = collectives.normalize_axes(axis_name)
    n = math.prod(collectives.axis_size(a) for a in axes)
    return tree_map(lambda v: fnp.true_divide(collectives.psum(fnp.asarray(v), axes), n), x)


def pmax(x: Any, axis_name: Any) -> Any:
    """``jax.lax.pmax``: the maximum of ``x`` over the named batch axes (no derivative)."""
    axes = collectives.normalize_axes(axis_name)
    return tree_map(lambda v: collectives.pmax_p.bind1(fnp.asarray(v), axes=axes), x)


def pmin(x: Any, axis_name: Any) -> Any:
    """``jax.lax.pmin``: the minimum of ``x`` over the named batch axes (no derivative)."""
    axes = collectives.normalize_axes(axis_name)
    return tree_map(lambda v: collectives.pmin_p.bind1(fnp.asarray(v), axes=axes), x)


def all_gather(x: Any, axis_name: Any, *, axis: int = 0, tiled: bool = False) -> Any:
    """``jax.lax.all_gather``: every member's ``x`` stacked along a new axis ``axis`` (with
    ``tiled``, concatenated along the existing axis ``axis``)."""
    axes = collectives.normalize_axes(axis_name)

    def gather(v: Any) -> Any:
        v = fnp.asarray(v)
        ndim = get_aval(v).ndim
        if not -ndim - 1 <= axis <= ndim:
            raise ValueError(f"all_gather: axis {axis} is out of range for an operand of "
                             f"rank {ndim}.")
        where = axis % (ndim + 1)
        out = collectives.all_gather(v, axes, where)
        if not tiled:
            return out
        if ndim == 0:
            raise ValueError("all_gather with tiled=True needs an operand of rank >= 1.")
        shape = get_aval(out).shape
        return fnp.reshape(out, shape[:where] + (shape[where] * shape[where + 1],)
                           + shape[where + 2:])

    return tree_map(gather, x)


def ppermute(x: Any, axis_name: Any, perm: Any) -> Any:
    """``jax.lax.ppermute``: for each ``(source, destination)`` pair of ``perm``, the member
    ``destination`` of the named batch axis gets member ``source``'s ``x`` (a pytree); members
    that no pair names as a destination get zeros. Linear: its transpose is the inverse
    permutation."""
    axes = collectives.normalize_axes(axis_name)
    pairs = tuple((int(s), int(d)) for s, d in np.asarray(perm, dtype=int).reshape(-1, 2))
    return tree_map(lambda v: collectives.ppermute(fnp.asarray(v), axes, pairs), x)


def pshuffle(x: Any, axis_name: Any, perm: Sequence[int]) -> Any:
    """``jax.lax.pshuffle``: member ``i`` of the named batch axis gets member ``perm[i]``'s
    ``x`` (``perm`` a permutation): :func:`ppermute` with the pairs ``(perm[i], i)``."""
    perm = [int(p) for p in perm]
    if sorted(perm) != list(range(len(perm))):
        raise ValueError(f"pshuffle: perm must be a permutation of range({len(perm)}), got "
                         f"{perm}.")
    return ppermute(x, axis_name, [(p, i) for i, p in enumerate(perm)])


def pbroadcast(x: Any, axis_name: Any, source: int) -> Any:
    """``jax.lax.pbroadcast``: every member of the named batch axis gets member ``source``'s
    ``x``."""
    n = axis_size(axis_name)
    if not 0 <= source < n:
        raise ValueError(f"pbroadcast: source {source} is not a member of an axis of size {n}.")
    return tree_map(lambda v: all_gather(v, axis_name)[source], x)


def _member_chunk(v: Any, axis: int, members: int, tiled: bool, name: str) -> tuple[int, int]:
    """The axis (normalised) that members split, and each member's chunk length along it."""
    shape = get_aval(v).shape
    axis = normalize_axis(axis, len(shape), name)
    if tiled:
        if shape[axis] % members:
            raise ValueError(f"{name}: the axis {axis} of length {shape[axis]} does not split "
                             f"evenly among {members} members (tiled=True).")
        return axis, shape[axis] // members
    if shape[axis] != members:
        raise ValueError(f"{name}: the axis {axis} has length {shape[axis]}, but the named axis "
                         f"has {members} members (it must match, or use tiled=True).")
    return axis, 1


def psum_scatter(x: Any, axis_name: Any, *, scatter_dimension: int = 0,
                 axis_index_groups: None = None, tiled: bool = False) -> Any:
    """``jax.lax.psum_scatter``: the sum of ``x`` over the named batch axis, of which member
    ``i`` keeps part ``i`` along ``scatter_dimension``: its entry ``i`` (that axis removed;
    the axis has one entry per member), or with ``tiled`` its ``i``-th equal chunk."""
    _no_groups("psum_scatter", axis_index_groups)
    n, me = axis_size(axis_name), axis_index(axis_name)

    def scatter(v: Any) -> Any:
        v = fnp.asarray(v)
        axis, chunk = _member_chunk(v, scatter_dimension, n, tiled, "psum_scatter")
        total = psum(v, axis_name)
        if tiled:
            return dynamic_slice_in_dim(total, me * chunk, chunk, axis)
        return dynamic_index_in_dim(total, me, axis, keepdims=False)

    return tree_map(scatter, x)


def all_to_all(x: Any, axis_name: Any, split_axis: int, concat_axis: int, *,
               axis_index_groups: None = None, tiled: bool = False) -> Any:
    """``jax.lax.all_to_all``: member ``i``'s part ``j`` along ``split_axis`` goes to member
    ``j``, which stacks the parts it gets, in member order, along a new axis ``concat_axis``
    of the result (``split_axis`` has one entry per member and is removed), or with ``tiled``
    splits ``split_axis`` into equal chunks and concatenates them along ``concat_axis``."""
    _no_groups("all_to_all", axis_index_groups)
    n, me = axis_size(axis_name), axis_index(axis_name)

    def exchange(v: Any) -> Any:
        v = fnp.asarray(v)
        axis, chunk = _member_chunk(v, split_axis, n, tiled, "all_to_all")
        everyone = all_gather(v, axis_name)  # (members, *v.shape)
        mine = dynamic_slice_in_dim(everyone, me * chunk, chunk, axis + 1)
        if not tiled:  # stack: the members' axis goes to concat_axis
            mine = fnp.squeeze(mine, axis + 1)
            return fnp.moveaxis(mine, 0, normalize_axis(concat_axis, get_aval(mine).ndim,
                                                        "all_to_all"))
        # concatenate: the members' chunks, in order, along concat_axis
        c = normalize_axis(concat_axis, get_aval(v).ndim, "all_to_all")
        mine = fnp.moveaxis(mine, 0, c)
        shape = list(get_aval(mine).shape)
        return fnp.reshape(mine, (*shape[:c], shape[c] * shape[c + 1], *shape[c + 2:]))

    return tree_map(exchange, x)


def pswapaxes(x: Any, axis_name: Any, axis: int, *, axis_index_groups: None = None) -> Any:
    """``jax.lax.pswapaxes``: the named batch axis and ``axis`` of ``x`` (of one entry per
    member) trade places: :func:`all_to_all` with ``split_axis = concat_axis = axis``."""
    return all_to_all(x, axis_name, axis, axis, axis_index_groups=axis_index_groups)


def _no_groups(name: str, axis_index_groups: Any) -> None:
    if axis_index_groups is not None:
        raise NotImplementedError(f"{name}: axis_index_groups is not supported (the members of "
                                  "a vmap axis form one group).")


def axis_index(axis_name: Any) -> Any:
    """``jax.lax.axis_index``: the position of the member along the named batch axis."""
    return collectives.axis_index(collectives.normalize_axes(axis_name))


def axis_size(axis_name: Any) -> int:
    """``jax.lax.axis_size``: the number of members along the named batch axis (a Python int;
    for a tuple of names, the product of their sizes)."""
    return math.prod(collectives.axis_size(name) for name in collectives.normalize_axes(axis_name))


def betainc(a: Any, b: Any, x: Any) -> Any:
    """``jax.lax.betainc``: the regularized incomplete beta function, elementwise, on operands
    of one dtype and shape."""
    return special.betainc(*_operands("betainc", a, b, x))
rsqrt = _unary("rsqrt", lambda x: 1 / fnp.sqrt(x))
cbrt = _unary("cbrt", fnp.cbrt)
abs = _unary("abs", fnp.abs)  # noqa: A001
square = _unary("square", fnp.square)
reciprocal = _unary("reciprocal", fnp.reciprocal)
real = _unary("real", fnp.real)
imag = _unary("imag", fnp.imag)
conj = _unary("conj", lambda x: fnp.conjugate(
    x if get_aval(x).dtype.kind == "c" else fnp.asarray(x, ew.complex_dtype(get_aval(x).dtype))))
bitwise_not = not_ = _unary("not_", fnp.invert)
population_count = _unary("population_count", lambda x: fnp.asarray(fnp.bitwise_count(
    # the bits of the two's complement, as JAX's (NumPy's bitwise_count takes |x|)
    fnp.asarray(x, np.dtype(f"u{get_aval(x).dtype.itemsize}"))
    if get_aval(x).dtype.kind == "i" else x), get_aval(x).dtype))


def integer_pow(x: Any, y: int) -> Any:
    """``jax.lax.integer_pow``: ``x ** y`` for a Python integer ``y``."""
    if not isinstance(y, (int, np.integer)):
        raise TypeError(f"lax.integer_pow: the exponent must be an integer, got {y!r}.")
    return fnp.power(x, int(y))


class RoundingMethod:
    """``jax.lax.RoundingMethod``: how :func:`round` breaks ties."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x: Any, rounding_method: int = RoundingMethod.AWAY_FROM_ZERO) -> Any:  # noqa: A001
    """``jax.lax.round``: to the nearest integer, halves away from zero (or to even)."""
    x = x if isinstance(x, Tracer) else fnp.asarray(x)
    if int(rounding_method) == RoundingMethod.TO_NEAREST_EVEN:
        return fnp.round(x)
    return fnp.sign(x) * fnp.floor(fnp.abs(x) + 0.5)


def clamp(min: Any, x: Any, max: Any) -> Any:  # noqa: A002 - lax's names
    """``jax.lax.clamp``: ``x`` clipped to ``[min, max]`` (bounds scalars or of ``x``'s
    shape)."""
    lo, x, hi = _operands("clamp", min, x, max)
    return fnp.minimum(fnp.maximum(x, lo), hi)


def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    """``jax.lax.select``: ``on_true`` where ``pred``, else ``on_false`` (one shape)."""
    on_true, on_false = _operands("select", on_true, on_false)
    return fnp.where(pred, on_true, on_false)


def select_n(which: Any, *cases: Any) -> Any:
    """``jax.lax.select_n``: ``cases[which]`` entry by entry (``which`` boolean for two cases,
    else an integer)."""
    if not cases:
        raise ValueError("lax.select_n: at least one case is required.")
    cases = tuple(_operands("select_n", *cases))
    if len(cases) == 1:
        return cases[0]
    out = cases[0]
    for k, case in enumerate(cases[1:], start=1):
        chosen = which if get_aval(fnp.asarray(which)).dtype == np.bool_ and len(cases) == 2 \
            else fnp.equal(which, k)
        out = fnp.where(chosen, case, out)
    return out


def convert_element_type(x: Any, new_dtype: Any) -> Any:
    """``jax.lax.convert_element_type``: ``x`` in ``new_dtype`` (complex to real keeps the
    real part).  Floats become integers as JAX's do: truncated, saturating at the integer
    type's range, NaN as 0 (NumPy's cast leaves those undefined)."""
    x = x if isinstance(x, Tracer) else fnp.asarray(x)
    new = np.dtype(new_dtype)
    if get_aval(x).dtype.kind in "fc" and new.kind in "iu":
        x = fnp.real(x)
        ftype = get_aval(x).dtype
        info = np.iinfo(new)
        # The largest float of x's dtype that the cast takes exactly into range (the range's
        # end itself may round up past it, as 2**31 - 1 does in float32).
        hi = np.asarray(info.max, ftype)
        if int(hi) > info.max:
            hi = np.nextafter(hi, np.zeros((), ftype))
        inside = fnp.asarray(fnp.clip(fnp.where(fnp.isnan(x), 0, x), np.asarray(info.min, ftype),
                                      hi), new)
        return fnp.where(fnp.greater(x, hi), np.asarray(info.max, new), inside)
    return fnp.asarray(x, new)


# -- shapes --------------------------------------------------------------------------------------


def broadcast(x: Any, sizes: Sequence[int]) -> Any:
    """``jax.lax.broadcast``: ``x`` with new leading axes of ``sizes``."""
    x = fnp.asarray(x)
    return fnp.broadcast_to(x, (*sizes, *get_aval(x).shape))


def broadcast_in_dim(x: Any, shape: Sequence[int], broadcast_dimensions: Sequence[int]) -> Any:
    """``jax.lax.broadcast_in_dim``: ``x``'s axis ``i`` placed at ``broadcast_dimensions[i]``
    of an array of ``shape``."""
    return sh.broadcast_in_dim(fnp.asarray(x), tuple(shape), tuple(broadcast_dimensions))


def reshape(x: Any, new_sizes: Sequence[int], dimensions: Sequence[int] | None = None) -> Any:
    """``jax.lax.reshape``: ``x`` (transposed by ``dimensions`` first) in ``new_sizes``."""
    x = fnp.asarray(x)
    if dimensions is not None:
        x = fnp.transpose(x, tuple(dimensions))
    return fnp.reshape(x, tuple(new_sizes))


def squeeze(x: Any, dimensions: Sequence[int]) -> Any:
    return fnp.squeeze(x, tuple(dimensions))


def expand_dims(x: Any, dimensions: Sequence[int]) -> Any:
    return fnp.expand_dims(x, tuple(dimensions))


def transpose(x: Any, permutation: Sequence[int]) -> Any:
    return fnp.transpose(x, tuple(permutation))


def rev(x: Any, dimensions: Sequence[int]) -> Any:
    """``jax.lax.rev``: ``x`` reversed along ``dimensions``."""
    return ix.rev(fnp.asarray(x), tuple(dimensions))


def concatenate(operands: Sequence[Any], dimension: int) -> Any:
    return fnp.concatenate(list(operands), axis=dimension)


def pad(x: Any, padding_value: Any, padding_config: Sequence[tuple[int, int, int]]) -> Any:
    """``jax.lax.pad``: ``padding_value`` before (low), after (high) and between (interior)
    the entries of each axis; negative low/high remove entries."""
    x, value = _operands("pad", x, padding_value)
    return ix.pad(x, value, padding_config)


def slice(x: Any, start_indices: Sequence[int], limit_indices: Sequence[int],  # noqa: A001
          strides: Sequence[int] | None = None) -> Any:
    """``jax.lax.slice``: a static window of ``x``."""
    return ix.static_slice(fnp.asarray(x), list(start_indices), list(limit_indices),
                           None if strides is None else list(strides))


def slice_in_dim(x: Any, start_index: int | None, limit_index: int | None, stride: int = 1,
                 axis: int = 0) -> Any:
    x = fnp.asarray(x)
    n = get_aval(x).shape[axis]
    start, limit, _ = builtins.slice(start_index, limit_index).indices(n)
    return ix.slice_in_dim(x, start, builtins.max(limit, start), axis % get_aval(x).ndim,
                           stride)


def index_in_dim(x: Any, index: int, axis: int = 0, keepdims: bool = True) -> Any:
    x = fnp.asarray(x)
    n = get_aval(x).shape[axis]
    index = index + n if index < 0 else index
    out = slice_in_dim(x, index, index + 1, 1, axis)
    return out if keepdims else fnp.squeeze(out, axis)


def _wrapped_starts(x: Any, start_indices: Sequence[Any]) -> list[Any]:
    """Start indices with negative ones counted from the end (JAX's default
    ``allow_negative_indices=True``); the window is then clamped to fit."""
    shape = get_aval(x).shape
    if len(start_indices) != len(shape):
        raise TypeError(f"lax: {len(start_indices)} start indices for an operand of rank "
                        f"{len(shape)}.")
    out = []
    for s, n in zip(start_indices, shape, strict=True):
        if isinstance(s, Tracer):
            out.append(fnp.where(fnp.less(s, 0), fnp.add(s, n), s))
        else:
            s = int(s)
            out.append(s + n if s < 0 else s)
    return out


def dynamic_slice(x: Any, start_indices: Sequence[Any], slice_sizes: Sequence[int]) -> Any:
    """``jax.lax.dynamic_slice``: the window of ``slice_sizes`` at ``start_indices`` (traced
    or not; negative ones count from the end; clamped so that the window fits, as JAX's)."""
    x = fnp.asarray(x)
    return ix.dynamic_slice(x, _wrapped_starts(x, start_indices), tuple(slice_sizes))


def dynamic_slice_in_dim(x: Any, start_index: Any, slice_size: int, axis: int = 0) -> Any:
    x = fnp.asarray(x)
    nd = get_aval(x).ndim
    axis %= nd
    starts = [start_index if d == axis else 0 for d in range(nd)]
    sizes = [slice_size if d == axis else n for d, n in enumerate(get_aval(x).shape)]
    return dynamic_slice(x, starts, sizes)


def dynamic_index_in_dim(x: Any, index: Any, axis: int = 0, keepdims: bool = True) -> Any:
    out = dynamic_slice_in_dim(x, index, 1, axis)
    return out if keepdims else fnp.squeeze(out, axis)


def dynamic_update_slice(x: Any, update: Any, start_indices: Sequence[Any]) -> Any:
    """``jax.lax.dynamic_update_slice``: ``x`` with ``update`` written at ``start_indices``
    (negative ones count from the end; clamped so that it fits)."""
    x, update = fnp.asarray(x), fnp.asarray(update)
    if get_aval(x).dtype != get_aval(update).dtype:
        raise TypeError("lax.dynamic_update_slice requires arguments to have the same dtypes, "
                        f"got {get_aval(x).dtype}, {get_aval(update).dtype}.")
    return ix.dynamic_update_slice(x, update, _wrapped_starts(x, start_indices))


def dynamic_update_slice_in_dim(x: Any, update: Any, start_index: Any, axis: int) -> Any:
    x = fnp.asarray(x)
    nd = get_aval(x).ndim
    axis %= nd
    return dynamic_update_slice(x, update, [start_index if d == axis else 0
                                            for d in range(nd)])


def dynamic_update_index_in_dim(x: Any, update: Any, index: Any, axis: int) -> Any:
    x = fnp.asarray(x)
    update = fnp.asarray(update)
    axis %= get_aval(x).ndim
    if get_aval(update).ndim == get_aval(x).ndim - 1:
        update = fnp.expand_dims(update, axis)
    return dynamic_update_slice_in_dim(x, update, index, axis)


# -- constants -----------------------------------------------------------------------------------


def iota(dtype: Any, size: int) -> np.ndarray:
    """``jax.lax.iota``: ``0, 1, ..., size - 1`` in ``dtype``."""
    return np.arange(size, dtype=np.dtype(dtype))


def broadcasted_iota(dtype: Any, shape: Sequence[int], dimension: int) -> np.ndarray:
    """``jax.lax.broadcasted_iota``: the index along ``dimension`` of an array of ``shape``."""
    shape = tuple(shape)
    ramp = np.arange(shape[dimension], dtype=np.dtype(dtype))
    return np.broadcast_to(ramp.reshape([-1 if d == dimension else 1
                                         for d in range(len(shape))]), shape).copy()


def full(shape: Sequence[int], fill_value: Any, dtype: Any = None) -> Any:
    return fnp.full(tuple(shape), fill_value, dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Any:
    return fnp.full_like(x, fill_value, dtype=dtype, shape=shape)


def zeros_like_array(x: Any) -> Any:
    return fnp.zeros_like(x)


# -- products and reductions ---------------------------------------------------------------------


def dot(lhs: Any, rhs: Any, precision: Any = None, preferred_element_type: Any = None) -> Any:
    """``jax.lax.dot``: vector and matrix products (``lhs``'s last axis with ``rhs``'s
    first)."""
    return fnp.dot(lhs, rhs, preferred_element_type=preferred_element_type)


def dot_general(lhs: Any, rhs: Any, dimension_numbers: Any, precision: Any = None,
                preferred_element_type: Any = None) -> Any:
    """``jax.lax.dot_general``: ``dimension_numbers = ((lhs_contract, rhs_contract),
    (lhs_batch, rhs_batch))``; the result is the batch axes, then ``lhs``'s free axes, then
    ``rhs``'s."""
    (lc, rc), (lb, rb) = dimension_numbers
    lhs, rhs = fnp.asarray(lhs), fnp.asarray(rhs)
    if preferred_element_type is not None:
        dtype = np.dtype(preferred_element_type)
        lhs, rhs = fnp.asarray(lhs, dtype), fnp.asarray(rhs, dtype)
    if get_aval(lhs).dtype != get_aval(rhs).dtype:
        raise TypeError("lax.dot_general requires arguments to have the same dtypes, got "
                        f"{get_aval(lhs).dtype}, {get_aval(rhs).dtype}.")
    return la.dot_general(lhs, rhs, ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb))))


def batch_matmul(lhs: Any, rhs: Any, precision: Any = None) -> Any:
    """``jax.lax.batch_matmul``: matrix products of stacks with equal leading axes."""
    return fnp.matmul(lhs, rhs)


def _axes(axes: Sequence[int]) -> tuple[int, ...]:
    return tuple(axes)


# lax's reductions keep the operand's dtype (integers wrap around, as in C), and reduce empty
# axes to the identity.


def _dtype(x: Any) -> np.dtype[Any]:
    return get_aval(fnp.asarray(x)).dtype


def reduce_sum(operand: Any, axes: Sequence[int]) -> Any:
    return fnp.sum(operand, axis=_axes(axes), dtype=_dtype(operand))


def reduce_prod(operand: Any, axes: Sequence[int]) -> Any:
    return fnp.prod(operand, axis=_axes(axes), dtype=_dtype(operand))


def reduce_max(operand: Any, axes: Sequence[int]) -> Any:
    return fnp.max(operand, axis=_axes(axes), initial=dtype_extreme(_dtype(operand), False))


def reduce_min(operand: Any, axes: Sequence[int]) -> Any:
    return fnp.min(operand, axis=_axes(axes), initial=dtype_extreme(_dtype(operand), True))


def reduce_and(operand: Any, axes: Sequence[int]) -> Any:
    """Logical for booleans; bitwise for integers (all bits set is the identity)."""
    if _dtype(operand).kind == "b":
        return fnp.all(operand, axis=_axes(axes))
    return reduce(operand, np.asarray(-1).astype(_dtype(operand)), bitwise_and, axes)


def reduce_or(operand: Any, axes: Sequence[int]) -> Any:
    """Logical for booleans; bitwise for integers."""
    if _dtype(operand).kind == "b":
        return fnp.any(operand, axis=_axes(axes))
    return reduce(operand, np.zeros((), _dtype(operand)), bitwise_or, axes)


def argmax(operand: Any, axis: int, index_dtype: Any) -> Any:
    return fnp.asarray(fnp.argmax(operand, axis=axis), np.dtype(index_dtype))


def argmin(operand: Any, axis: int, index_dtype: Any) -> Any:
    return fnp.asarray(fnp.argmin(operand, axis=axis), np.dtype(index_dtype))


def reduce(operands: Any, init_values: Any, computation: Callable[[Any, Any], Any],
           dimensions: Sequence[int]) -> Any:
    """``jax.lax.reduce``: ``operands`` (an array or a pytree of arrays) reduced over
    ``dimensions`` by the associative ``computation`` with identity ``init_values``: adjacent
    entries combined pairwise, in order (log n rounds of ``computation`` on whole slices),
    then the init."""
    leaves, tree = tree_flatten(operands)
    inits, init_tree = tree_flatten(init_values)
    if init_tree != tree:
        raise TypeError("lax.reduce: init_values must have the structure of operands.")
    leaves = [fnp.asarray(x) for x in leaves]

    def combine(a: list[Any], b: list[Any]) -> list[Any]:
        out = computation(tree_unflatten(tree, a), tree_unflatten(tree, b))
        return tree_flatten(out)[0]

    for axis in sorted((d % get_aval(leaves[0]).ndim for d in dimensions), reverse=True):
        while get_aval(leaves[0]).shape[axis] > 1:
            n = get_aval(leaves[0]).shape[axis]
            half = n // 2
            # Adjacent pairs (0, 1), (2, 3)...: the order of the operands is kept, so the
            # computation need not commute.
            low = [ix.slice_in_dim(x, 0, 2 * half, axis, 2) for x in leaves]
            high = [ix.slice_in_dim(x, 1, 2 * half, axis, 2) for x in leaves]
            merged = combine(low, high)
            if n % 2:
                rest = [ix.slice_in_dim(x, 2 * half, n, axis) for x in leaves]
                merged = [fnp.concatenate([m, r], axis=axis) for m, r in zip(merged, rest,
                                                                             strict=True)]
            leaves = merged
        size = get_aval(leaves[0]).shape[axis]
        if size == 0:
            leaves = [fnp.broadcast_to(fnp.asarray(i, get_aval(x).dtype),
                                       get_aval(x).shape[:axis] + get_aval(x).shape[axis + 1:])
                      for x, i in zip(leaves, inits, strict=True)]
        else:
            leaves = [fnp.squeeze(x, axis) for x in leaves]
            shaped_inits = [fnp.broadcast_to(fnp.asarray(i, get_aval(x).dtype), get_aval(x).shape)
                            for x, i in zip(leaves, inits, strict=True)]
            leaves = combine(shaped_inits, leaves)
    return tree_unflatten(tree, leaves)


# -- scans, sorting ------------------------------------------------------------------------------


def _interleave(even: list[Any], odd: list[Any], axis: int) -> list[Any]:
    """Entries ``even[0], odd[0], even[1], odd[1], ...`` along ``axis`` (``even`` may have one
    more)."""
    out = []
    for e, o in zip(even, odd, strict=True):
        ne, no = get_aval(e).shape[axis], get_aval(o).shape[axis]
        if ne > no:  # pad odd with a copy of its last... any entry, cut off below
            o = fnp.concatenate([o, ix.slice_in_dim(e, 0, 1, axis)], axis=axis)
        pairs = fnp.stack([e, o], axis=axis + 1)
        shape = list(get_aval(e).shape)
        shape[axis] = 2 * ne
        merged = fnp.reshape(pairs, tuple(shape))
        out.append(ix.slice_in_dim(merged, 0, ne + no, axis))
    return out


def associative_scan(fn: Callable[[Any, Any], Any], elems: Any, reverse: bool = False,
                     axis: int = 0) -> Any:
    """``jax.lax.associative_scan``: the inclusive prefix combination of ``elems`` (an array
    or pytree of arrays) along ``axis`` by the associative ``fn``, in ``O(log n)`` rounds of
    ``fn`` on whole slices (adjacent pairs combined, the half-length scan recursed on, the
    other entries filled in)."""
    if not callable(fn):
        raise TypeError(f"lax.associative_scan: fn argument should be callable, got a value of "
                        f"type {type(fn).__name__}.")
    leaves, tree = tree_flatten(elems)
    leaves = [fnp.asarray(x) for x in leaves]
    if not leaves:
        return elems
    axis %= get_aval(leaves[0]).ndim
    n = get_aval(leaves[0]).shape[axis]
    if any(get_aval(x).shape[axis] != n for x in leaves):
        raise ValueError("lax.associative_scan: every array needs the same length along axis.")
    if reverse:
        leaves = [ix.rev(x, (axis,)) for x in leaves]

    def combine(a: list[Any], b: list[Any]) -> list[Any]:
        return tree_flatten(fn(tree_unflatten(tree, a), tree_unflatten(tree, b)))[0]

    def part(xs: list[Any], start: int, stop: int, step: int = 1) -> list[Any]:
        return [ix.slice_in_dim(x, start, builtins.max(stop, start), axis, step) for x in xs]

    def scan(xs: list[Any]) -> list[Any]:
        m = get_aval(xs[0]).shape[axis]
        if m < 2:
            return xs
        pairs = combine(part(xs, 0, m - 1, 2), part(xs, 1, m, 2))  # entries 1, 3, 5, ...
        odd = scan(pairs)
        later_even = part(xs, 2, m, 2)
        if get_aval(later_even[0]).shape[axis]:
            filled = combine(part(odd, 0, get_aval(later_even[0]).shape[axis]), later_even)
            even = [fnp.concatenate([f, g], axis=axis)
                    for f, g in zip(part(xs, 0, 1), filled, strict=True)]
        else:
            even = part(xs, 0, 1)
        return _interleave(even, odd, axis)

    out = scan(leaves)
    if reverse:
        out = [ix.rev(x, (axis,)) for x in out]
    return tree_unflatten(tree, out)


def _cumulative(name: str, np_name: str) -> Callable[..., Any]:
    def op(operand: Any, axis: int = 0, reverse: bool = False) -> Any:
        x = fnp.asarray(operand)
        if name in ("cumsum", "cumprod"):
            if reverse:
                x = ix.rev(x, (axis % get_aval(x).ndim,))
            out = getattr(fnp, name)(x, axis=axis, dtype=get_aval(x).dtype)
            return ix.rev(out, (axis % get_aval(x).ndim,)) if reverse else out
        combine = {"cummax": fnp.maximum, "cummin": fnp.minimum,
                   "cumlogsumexp": fnp.logaddexp}[name]
        return associative_scan(combine, x, reverse=reverse, axis=axis)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"``jax.lax.{name}``: the running {np_name} along ``axis`` (from the end with " \
        "``reverse``)."
    return op


cumsum = _cumulative("cumsum", "sum")
cumprod = _cumulative("cumprod", "product")
cummax = _cumulative("cummax", "maximum")
cummin = _cumulative("cummin", "minimum")
cumlogsumexp = _cumulative("cumlogsumexp", "log-sum-exp")


def sort(operand: Any, dimension: int = -1, is_stable: bool = True, num_keys: int = 1) -> Any:
    """``jax.lax.sort``: one array sorted along ``dimension``, or a sequence of arrays sorted
    together by the first ``num_keys`` of them (lexicographically; stably)."""
    if not isinstance(operand, (list, tuple)):
        return fnp.sort(operand, axis=dimension)
    arrays = [fnp.asarray(x) for x in operand]
    if not 1 <= num_keys <= len(arrays):
        raise ValueError(f"lax.sort: num_keys={num_keys} out of range for {len(arrays)} "
                         "operands.")
    keys = arrays[:num_keys][::-1]  # lexsort's last key is the primary one
    order = fnp.lexsort(keys, axis=dimension)
    return tuple(fnp.take_along_axis(x, order, axis=dimension) for x in arrays)


def sort_key_val(keys: Any, values: Any, dimension: int = -1, is_stable: bool = True
                 ) -> tuple[Any, Any]:
    """``jax.lax.sort_key_val``: ``keys`` sorted along ``dimension``, ``values`` permuted
    with them."""
    return sort((keys, values), dimension, is_stable, num_keys=1)  # type: ignore[return-value]


def top_k(operand: Any, k: int) -> tuple[Any, Any]:
    """``jax.lax.top_k``: the ``k`` largest entries along the last axis, descending (ties: the
    lower index first), and their ``int32`` indices."""
    x = fnp.asarray(operand)
    n = get_aval(x).shape[-1]
    if not 0 <= k <= n:
        raise ValueError(f"lax.top_k: k={k} out of range for an axis of length {n}.")
    order = ix.slice_in_dim(fnp.argsort(x, axis=-1, descending=True), 0, k,
                            get_aval(x).ndim - 1)
    return fnp.take_along_axis(x, order, axis=-1), fnp.asarray(order, np.int32)


# -- shapes, dtypes and small utilities ----------------------------------------------------------


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """``jax.lax.broadcast_shapes``: the shape that ``shapes`` broadcast to (NumPy's rules).

    >>> from functrace import lax
    >>> lax.broadcast_shapes((2, 1), (3,))
    (2, 3)
    """
    if not shapes:
        raise ValueError("lax.broadcast_shapes needs at least one shape.")
    try:
        return tuple(int(n) for n in np.broadcast_shapes(*(tuple(s) for s in shapes)))
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting: shapes="
                         f"{[tuple(s) for s in shapes]}") from None


def broadcast_to_rank(x: Any, rank: int) -> Any:
    """``jax.lax.broadcast_to_rank``: ``x`` with leading axes of size 1 added up to ``rank``
    (unchanged if it has that many axes already)."""
    x = fnp.asarray(x)
    ndim = get_aval(x).ndim
    return x if ndim >= rank else fnp.reshape(x, (1,) * (rank - ndim) + get_aval(x).shape)


def broadcast_like(arr: Any, like_arr: Any) -> Any:
    """``jax.lax.broadcast_like``: ``arr`` broadcast to the shape of ``like_arr``."""
    return fnp.broadcast_to(fnp.asarray(arr), get_aval(fnp.asarray(like_arr)).shape)


def collapse(operand: Any, start_dimension: int, stop_dimension: int | None = None) -> Any:
    """``jax.lax.collapse``: the axes ``start_dimension`` to ``stop_dimension`` (excluded; by
    default the last) of ``operand`` merged into one.

    >>> import numpy as np
    >>> from functrace import lax
    >>> lax.collapse(np.zeros((2, 3, 4)), 1).shape
    (2, 12)
    """
    x = fnp.asarray(operand)
    shape = get_aval(x).shape
    lo, hi, _ = builtins.slice(start_dimension, stop_dimension).indices(len(shape))
    if hi < lo:
        raise ValueError(f"lax.collapse: start_dimension {start_dimension} is after "
                         f"stop_dimension {stop_dimension} for an operand of rank "
                         f"{len(shape)}.")
    return fnp.reshape(x, shape[:lo] + (math.prod(shape[lo:hi]),) + shape[hi:])


def split(operand: Any, sizes: Sequence[int], axis: int = 0) -> list[Any]:
    """``jax.lax.split``: ``operand`` cut along ``axis`` into pieces of ``sizes`` (which must
    add up to the axis' length).

    >>> import numpy as np
    >>> from functrace import lax
    >>> lax.split(np.arange(6), (2, 4))
    [array([0, 1]), array([2, 3, 4, 5])]
    """
    x = fnp.asarray(operand)
    shape = get_aval(x).shape
    axis = axis + len(shape) if -len(shape) <= axis < 0 else axis
    if not 0 <= axis < len(shape):
        raise ValueError(f"lax.split: axis {axis} is out of range for an operand of rank "
                         f"{len(shape)}.")
    sizes = [int(n) for n in sizes]
    if any(n < 0 for n in sizes) or sum(sizes) != shape[axis]:
        raise ValueError(f"Sum of sizes {sum(sizes)} must be equal to dimension {axis} of the "
                         f"operand shape {list(shape)} (and no size negative).")
    starts = np.cumsum([0, *sizes])
    return [ix.slice_in_dim(x, int(a), int(b), axis)
            for a, b in zip(starts[:-1], starts[1:], strict=True)]


def stack(operands: Sequence[Any], axis: int = 0) -> Any:
    """``jax.lax.stack``: arrays of one shape and dtype joined along a new axis ``axis``."""
    return fnp.stack([fnp.asarray(x) for x in operands], axis=axis)


def unstack(x: Any, axis: int = 0) -> tuple[Any, ...]:
    """``jax.lax.unstack``: the slices of ``x`` along ``axis``, as a tuple."""
    x = fnp.asarray(x)
    shape = get_aval(x).shape
    axis %= len(shape)
    return tuple(fnp.squeeze(ix.slice_in_dim(x, k, k + 1, axis), axis)
                 for k in range(shape[axis]))


def tile(operand: Any, reps: Sequence[int]) -> Any:
    """``jax.lax.tile``: ``operand`` repeated ``reps[i]`` times along axis ``i`` (one entry per
    axis)."""
    x = fnp.asarray(operand)
    if len(reps) != get_aval(x).ndim:
        raise TypeError(f"reps length must be equal to the ndim of x, got len(reps)={len(reps)} "
                        f"and x.ndim={get_aval(x).ndim}.")
    return fnp.tile(x, tuple(int(r) for r in reps))


def empty(shape: Sequence[int], dtype: Any, *, out_sharding: Any = None) -> Any:
    """``jax.lax.empty``: an array of ``shape`` and ``dtype`` whose values are not to be
    relied on (zeros here, as JAX's on CPU)."""
    return fnp.zeros(tuple(shape), np.dtype(dtype))


_DEFAULT_DTYPES = {bool: np.dtype(bool), int: np.dtype(np.int64), float: np.dtype(np.float64),
                   builtins.complex: np.dtype(np.complex128)}


def dtype(x: Any) -> np.dtype[Any]:
    """``jax.lax.dtype``: the dtype of an array, tracer or scalar (a Python number gets
    functrace's default dtype: int64, float64, complex128), or the dtype named by a dtype-like
    (``'float32'``, ``np.int8``)."""
    if x is None:
        raise ValueError(f"Invalid argument to dtype: {x}.")
    if type(x) in _DEFAULT_DTYPES:
        return _DEFAULT_DTYPES[type(x)]
    if isinstance(x, (Tracer, np.ndarray, np.generic)):
        return get_aval(x).dtype
    if isinstance(x, (str, type, np.dtype)):
        return np.dtype(x)
    if hasattr(x, "dtype"):
        return np.dtype(x.dtype)
    raise TypeError(f"Cannot determine dtype of {x}")


def optimization_barrier(operand: Any, /) -> Any:
    """``jax.lax.optimization_barrier``: ``operand`` (a pytree) unchanged.  In XLA it stops
    the compiler from moving work across it; functrace's ``jit`` does not reorder work
    across a Python call boundary, so here it is the identity, under every transformation."""
    return tree_map(lambda v: v if isinstance(v, Tracer) else np.asarray(v), operand)


def platform_dependent(*args: Any, default: Callable[..., Any] | None = None,
                       **per_platform: Callable[..., Any]) -> Any:
    """``jax.lax.platform_dependent``: ``per_platform['cpu'](*args)``, functrace's platform,
    or else ``default(*args)``."""
    branch = per_platform.get("cpu", default)
    if branch is None:
        raise NotImplementedError(f"lax.platform_dependent: no branch for platform 'cpu' "
                                  f"(got {sorted(per_platform)}) and no default.")
    return branch(*args)


# -- bits ----------------------------------------------------------------------------------------


def _integer_operand(name: str, x: Any) -> Any:
    x = fnp.asarray(x)
    if get_aval(x).dtype.kind not in "iu":
        raise TypeError(f"{name} does not accept dtype {get_aval(x).dtype}. Accepted dtypes "
                        "are subtypes of integer.")
    return x


def clz(x: Any) -> Any:
    """``jax.lax.clz``: the number of leading zero bits of each integer (of its two's
    complement: 0 for negative numbers).

    >>> import numpy as np
    >>> from functrace import lax
    >>> lax.clz(np.array([0, 1, 255, -1], np.int32))
    array([32,  31,  24,   0], dtype=int32)
    """
    x = _integer_operand("clz", x)
    dtype = get_aval(x).dtype
    bits = 8 * dtype.itemsize
    u = fnp.asarray(x, np.dtype(f"u{dtype.itemsize}"))
    shift = 1
    while shift < bits:  # every bit below the highest set one set too
        u = fnp.bitwise_or(u, fnp.right_shift(u, np.asarray(shift, get_aval(u).dtype)))
        shift *= 2
    return fnp.asarray(bits - fnp.asarray(fnp.bitwise_count(u), np.int64), dtype)


def mulhi(x: Any, y: Any, /) -> Any:
    """``jax.lax.mulhi``: the high half of the double-width product of integers of one dtype
    (signed or unsigned), as C's ``(x * (wide) y) >> bits``.

    >>> import numpy as np
    >>> from functrace import lax
    >>> lax.mulhi(np.array([2**31 - 1, -5], np.int32), np.array([7, 2**31 - 1], np.int32))
    array([ 3, -3], dtype=int32)
    """
    x, y = _operands("mulhi", _integer_operand("mulhi", x), _integer_operand("mulhi", y))
    dtype = get_aval(x).dtype
    bits = 8 * dtype.itemsize
    if dtype.itemsize <= 4:  # the product fits in 64 bits
        wide = np.dtype(np.int64 if dtype.kind == "i" else np.uint64)
        product = fnp.multiply(fnp.asarray(x, wide), fnp.asarray(y, wide))
        return fnp.asarray(fnp.right_shift(product, np.asarray(bits, wide)), dtype)
    # 64 bits: schoolbook multiplication on 32-bit halves, in uint64 (no partial sum overflows)
    u64 = np.dtype(np.uint64)
    a, b = fnp.asarray(x, u64), fnp.asarray(y, u64)
    half, low = np.uint64(32), np.uint64(0xFFFFFFFF)
    a_hi, a_lo = fnp.right_shift(a, half), fnp.bitwise_and(a, low)
    b_hi, b_lo = fnp.right_shift(b, half), fnp.bitwise_and(b, low)
    hi_lo = fnp.multiply(a_hi, b_lo)
    cross = fnp.add(fnp.add(fnp.right_shift(fnp.multiply(a_lo, b_lo), half),
                            fnp.bitwise_and(hi_lo, low)), fnp.multiply(a_lo, b_hi))
    high = fnp.add(fnp.add(fnp.multiply(a_hi, b_hi), fnp.right_shift(hi_lo, half)),
                   fnp.right_shift(cross, half))
    if dtype.kind == "i":  # a signed operand -2^63 <= v < 0 reads as v + 2^64 above
        zero = np.uint64(0)
        high = fnp.subtract(high, fnp.where(fnp.less(x, 0), b, zero))
        high = fnp.subtract(high, fnp.where(fnp.less(y, 0), a, zero))
    return fnp.asarray(high, dtype)


def reduce_xor(operand: Any, axes: Sequence[int]) -> Any:
    """``jax.lax.reduce_xor``: the bitwise exclusive or over ``axes`` (for booleans, the
    parity of the number of True entries)."""
    x = fnp.asarray(operand)
    if _dtype(x).kind not in "biu":
        raise TypeError(f"reduce_xor does not accept dtype {_dtype(x)}. Accepted dtypes are "
                        "booleans and integers.")
    return reduce(x, np.zeros((), _dtype(x)), fnp.bitwise_xor, axes)


def reduce_precision(operand: Any, exponent_bits: int, mantissa_bits: int) -> Any:
    """``jax.lax.reduce_precision``: ``operand`` rounded, as XLA does, to the nearest float
    with ``exponent_bits`` exponent bits and ``mantissa_bits`` mantissa bits (ties to even;
    overflow to +-inf; numbers below the smallest normal one to +-0; NaN kept).  Its
    derivative rounds the tangent the same way, as JAX's.

    >>> import numpy as np
    >>> from functrace import lax
    >>> float(lax.reduce_precision(np.float64(1 / 3), exponent_bits=8, mantissa_bits=23))
    0.3333333432674408
    """
    x = fnp.asarray(operand)
    return xla_math.reduce_precision(x, operator.index(exponent_bits),
                                     operator.index(mantissa_bits))


__all__ = [
    "abs", "acos", "acosh", "add", "all_gather", "and_", "argmax", "argmin", "asin", "asinh",
    "all_to_all", "associative_scan", "atan", "atan2", "atanh", "axis_index", "axis_size",
    "batch_matmul",
    "bessel_i0e", "bessel_i1e", "betainc", "bitwise_and", "bitwise_not", "bitwise_or",
    "bitwise_xor",
    "broadcast", "broadcast_in_dim", "broadcasted_iota", "cbrt", "ceil", "clamp", "complex",
    "concatenate", "conj", "conv", "conv_dimension_numbers", "conv_general_dilated",
    "conv_general_permutations", "conv_transpose", "conv_with_general_padding",
    "ConvDimensionNumbers", "convert_element_type", "cos", "cosh", "cumlogsumexp", "cummax",
    "cummin", "cumprod", "cumsum", "digamma", "div", "dot", "dot_general", "dynamic_index_in_dim",
    "dynamic_slice", "dynamic_slice_in_dim", "dynamic_update_index_in_dim", "dynamic_update_slice",
    "dynamic_update_slice_in_dim", "eq", "erf", "erf_inv", "erfc", "exp", "exp2", "expand_dims",
    "expm1", "floor", "full", "full_like", "ge", "gt", "igamma", "igamma_grad_a", "igammac",
    "imag", "index_in_dim", "integer_pow", "iota", "is_finite", "le", "lgamma", "log", "log1p",
    "logistic", "lt", "max", "min", "mul", "ne", "neg", "nextafter", "not_", "or_", "pad",
    "padtype_to_pads", "pbroadcast", "pmax", "pmean", "pmin", "polygamma", "population_count",
    "pow", "ppermute", "pshuffle", "psum", "psum_scatter", "pswapaxes",
    "real", "reciprocal", "reduce", "reduce_and", "reduce_max", "reduce_min", "reduce_or",
    "reduce_prod", "reduce_sum", "reduce_window", "rem", "reshape", "rev", "round",
    "RoundingMethod", "rsqrt", "select", "select_n", "shift_left", "shift_right_arithmetic",
    "shift_right_logical", "sign", "sin", "sinh", "slice", "slice_in_dim", "sort", "sort_key_val",
    "sqrt", "square", "squeeze", "sub", "tan", "tanh", "top_k", "transpose", "xor",
    "zeros_like_array", "zeta",
    "broadcast_like", "broadcast_shapes", "broadcast_to_rank", "clz", "collapse",
    "conv_general_dilated_patches", "dtype", "empty", "mulhi", "optimization_barrier",
    "platform_dependent", "reduce_precision", "reduce_xor", "split", "stack", "tile",
    "unstack",
    # functrace/_lax_gather.py
    "GatherDimensionNumbers", "GatherScatterMode", "ScatterDimensionNumbers", "gather",
    "index_take", "scatter", "scatter_add", "scatter_max", "scatter_min", "scatter_mul",
    "scatter_sub",
    # functrace/_lax_conv.py's shapes and unshared convolution; functrace/_lax_misc.py
    "conv_general_dilated_local", "conv_general_shape_tuple", "conv_shape_tuple",
    "conv_transpose_shape_tuple", "reduce_window_shape_tuple",
    "ConvGeneralDilatedDimensionNumbers", "DotDimensionNumbers", "FftType", "Precision",
    "PrecisionLike", "approx_max_k", "approx_min_k", "bitcast_convert_type", "fft",
    "shape_as_value",
]
