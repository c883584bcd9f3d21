"""Shape functions of ``functrace.numpy``: reshaping, joining, splitting, reordering, and
array creation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from functrace.core import Tracer
from functrace.numpy._base import as_operand, aval, broadcast_to_shape, convert, result_dtype
from functrace.numpy._elementwise import subtract
from functrace.numpy._reductions import normalize_axes, normalize_axis
from functrace.primitives import indexing as ix
from functrace.primitives import shape as sh


def asarray(a: Any, dtype: Any = None) -> Any:
    """An array from ``a``: traced values stay traced (converted to ``dtype`` if given);
    (nested) lists may mix traced values and numbers, and are stacked."""
    if isinstance(a, (list, tuple)) and _contains_tracer(a):
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
    dims = ([int(newshape)] if isinstance(newshape, (int, np.integer))
            else [int(d) for d in newshape])
    if dims.count(-1) > 1:
        raise ValueError("reshape: can only specify one unknown dimension (-1)")
    if -1 in dims:
        known = math.prod([d for d in dims if d != -1])
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
    for d, s in sorted(zip(dst, src, strict=True)):
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


# -- joining and splitting ----------------------------------------------------------------------


def concatenate(arrays: Sequence[Any], axis: int | None = 0, dtype: Any = None) -> Any:
    """``numpy.concatenate``: join arrays along an existing axis (``axis=None`` flattens
    them first); dtypes are promoted as NumPy does."""
    arrays = [as_operand(a) for a in arrays]
    if not arrays:
        raise ValueError("concatenate: need at least one array to concatenate")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    avals = [aval(a) for a in arrays]
    if any(a.ndim == 0 for a in avals):
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
    nd = avals[0].ndim
    if any(a.ndim != nd for a in avals):
        raise ValueError(f"concatenate: all the input arrays must have the same number of "
                         f"dimensions, got shapes {[a.shape for a in avals]}")
    ax = normalize_axis(axis, nd, "concatenate")
    if any(a.shape[:ax] + a.shape[ax + 1:] != avals[0].shape[:ax] + avals[0].shape[ax + 1:]
           for a in avals):
        raise ValueError(f"concatenate: the input shapes {[a.shape for a in avals]} must match "
                         f"except along the concatenation axis {ax}")
    target = np.dtype(dtype) if dtype is not None else result_dtype(*avals)
    arrays = [convert(a, target) for a in arrays]
    if len(arrays) == 1:
        return arrays[0]
    return ix.concatenate(arrays, ax)


def stack(arrays: Sequence[Any], axis: int = 0, dtype: Any = None) -> Any:
    """``numpy.stack``: join arrays of one shape along a new axis."""
    arrays = [as_operand(a) for a in arrays]
    if not arrays:
        raise ValueError("stack: need at least one array to stack")
    shapes = {aval(a).shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"stack: all input arrays must have the same shape, got "
                         f"{[aval(a).shape for a in arrays]}")
    ax = normalize_axis(axis, aval(arrays[0]).ndim + 1, "stack")
    return concatenate([sh.expand_dims(a, (ax,)) for a in arrays], ax, dtype=dtype)


def hstack(tup: Sequence[Any], dtype: Any = None) -> Any:
    """``numpy.hstack``: along axis 1 (axis 0 for 1-d arrays)."""
    arrays = [atleast_1d(a) for a in tup]
    axis = 0 if arrays and aval(arrays[0]).ndim == 1 else 1
    return concatenate(arrays, axis, dtype=dtype)


def vstack(tup: Sequence[Any], dtype: Any = None) -> Any:
    """``numpy.vstack``: along axis 0, 1-d arrays becoming rows."""
    return concatenate([atleast_2d(a) for a in tup], 0, dtype=dtype)


def split(ary: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Any]:
    """``numpy.split``: equal sections (which must divide the axis) or cuts at indices."""
    if isinstance(indices_or_sections, (int, np.integer)):
        n = aval(ary).shape[normalize_axis(axis, aval(ary).ndim, "split")]
        if indices_or_sections <= 0 or n % int(indices_or_sections):
            raise ValueError("split: array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def array_split(ary: Any, indices_or_sections: int | Sequence[int], axis: int = 0
                ) -> list[Any]:
    """``numpy.array_split``: like ``split``, but sections need not divide the axis evenly
    (the first ``n % sections`` parts get one more entry)."""
    ary = as_operand(ary)
    shape_ = aval(ary).shape
    ax = normalize_axis(axis, len(shape_), "array_split")
    n = shape_[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("array_split: number sections must be larger than 0.")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        cuts = [int(c) for c in np.cumsum([0, *sizes])]
    else:
        # Cuts are clipped into [0, n] and may decrease (giving empty parts), as in NumPy.
        inner = [min(max(int(i) + (n if int(i) < 0 else 0), 0), n) for i in indices_or_sections]
        cuts = [0, *inner, n]
    return [ix.slice_in_dim(ary, lo, max(lo, hi), ax)
            for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)]


# -- reordering and repeating -------------------------------------------------------------------


def flip(m: Any, axis: int | Sequence[int] | None = None) -> Any:
    """``numpy.flip``: reverse the order of entries along ``axis`` (all axes if None)."""
    m = as_operand(m)
    axes = normalize_axes(axis, aval(m).ndim, "flip")
    return ix.rev(m, axes) if axes else m


def flipud(m: Any) -> Any:
    """``numpy.flipud``: reverse the first axis."""
    return flip(m, 0)


def fliplr(m: Any) -> Any:
    """``numpy.fliplr``: reverse the second axis."""
    if aval(as_operand(m)).ndim < 2:
        raise ValueError("fliplr: input must be at least 2-d.")
    return flip(m, 1)


def roll(a: Any, shift: int | Sequence[int], axis: int | Sequence[int] | None = None) -> Any:
    """``numpy.roll``: entries shifted along ``axis``, those falling off one end coming back
    at the other (``axis=None``: over the flattened array)."""
    a = as_operand(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), aval(a).shape)
    shifts = (shift,) if isinstance(shift, (int, np.integer)) else tuple(shift)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    elif len(axes) == 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError("roll: 'shift' and 'axis' should be scalars or 1D sequences of the "
                         "same length")
    nd = aval(a).ndim
    for s, ax in zip(shifts, axes, strict=True):
        ax = normalize_axis(ax, nd, "roll")
        n = aval(a).shape[ax]
        k = int(s) % n if n else 0
        if k:
            a = ix.concatenate([ix.slice_in_dim(a, n - k, n, ax),
                                ix.slice_in_dim(a, 0, n - k, ax)], ax)
    return a


def diff(a: Any, n: int = 1, axis: int = -1) -> Any:
    """``numpy.diff``: the ``n``-th forward difference along ``axis``."""
    a = as_operand(a)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    nd = aval(a).ndim
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = normalize_axis(axis, nd, "diff")
    for _ in range(n):
        length = aval(a).shape[ax]
        if length == 0:
            break
        a = subtract(ix.slice_in_dim(a, 1, length, ax), ix.slice_in_dim(a, 0, length - 1, ax))
    return a


def tile(A: Any, reps: int | Sequence[int]) -> Any:
    """``numpy.tile``: ``A`` repeated ``reps`` times along each axis (one broadcast and one
    reshape)."""
    A = as_operand(A)
    reps_t = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    nd = max(len(reps_t), aval(A).ndim)
    reps_t = (1,) * (nd - len(reps_t)) + reps_t
    shape_ = (1,) * (nd - aval(A).ndim) + aval(A).shape
    A = reshape(A, shape_)
    # Interleave (rep, size) pairs, broadcast along the rep axes, then merge each pair.
    pairs = tuple(n for pair in zip(reps_t, shape_, strict=True) for n in pair)
    spread = sh.broadcast_in_dim(A, pairs, tuple(range(1, 2 * nd, 2)))
    return reshape(spread, tuple(r * n for r, n in zip(reps_t, shape_, strict=True)))


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Any:
    """``numpy.repeat``: each entry repeated ``repeats`` times along ``axis`` (flattened if
    None); ``repeats`` may be one count for all or a concrete array of counts."""
    a = as_operand(a)
    if axis is None:
        a, axis = ravel(a), 0
    ax = normalize_axis(axis, aval(a).ndim, "repeat")
    shape_ = aval(a).shape
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iu" or np.any(counts < 0):
        raise ValueError(f"repeat: repeats must be non-negative integers, got {repeats!r}")
    if counts.ndim == 0:
        # (.., n, ..) -> (.., n, r, ..) by broadcasting, then merge the two axes.
        r = int(counts)
        wide = shape_[:ax + 1] + (r,) + shape_[ax + 1:]
        dims = tuple(i if i <= ax else i + 1 for i in range(len(shape_)))
        return reshape(sh.broadcast_in_dim(a, wide, dims),
                       shape_[:ax] + (shape_[ax] * r,) + shape_[ax + 1:])
    if counts.shape != (shape_[ax],):
        raise ValueError(f"repeat: got {counts.size} repeat counts for an axis of length "
                         f"{shape_[ax]}")
    index = np.repeat(np.arange(shape_[ax]), counts)
    return sh.moveaxis(ix.gather(a, [index], (ax,)), 0, ax)
