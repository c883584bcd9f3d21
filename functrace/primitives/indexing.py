"""Indexing primitives: concatenate, slice (binder ``static_slice``), rev, pad, dynamic_slice,
dynamic_update_slice, gather, scatter_add and scatter.

The static ones (``slice``, ``pad``, ``rev``, ``concatenate``) are linear maps with static
params: their vjps are each other (the vjp of a slice pads the cotangent with zeros, the vjp of
a pad slices it).  The dynamic ones take traced integer scalars as start indices and clamp them
into range, as JAX does.  ``gather`` is integer-array (advanced) indexing and ``scatter_add``
its transpose.  Out-of-range indices of ``gather`` and the scatters are clipped into range,
so a derivative never reads or writes outside the array; ``functrace.numpy`` raises
``IndexError`` for out-of-range indices it can see.

``gather(x, indices, axes)`` indexes the axes ``axes`` of ``x`` with integer arrays of one
common shape ``B``; the result has shape ``B + (the other axes of x, in order)``::

    gather(x, [i, j], axes=(0, 2))[b, r] == x[i[b], r, j[b]]        # x of rank 3

That is ``np.moveaxis(x, axes, range(len(axes)))[tuple(indices)]``.  Batching a gather with
batched indices only prepends an axis to ``B`` (and indexes the batched operand's batch axis
with ``0..n-1``), so every gather stays a gather; ``dynamic_slice`` with batched starts becomes
one too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters.jvp import deflinear_jvp, instantiate, jvp_rules
from functrace.interpreters.vjp import defvjp, vjp_residuals, vjp_rules
from functrace.interpreters.vmap import batch_rules
from functrace.primitives.elementwise import (
    add,
    convert_element_type,
    div,
    eq,
    full_like,
    maximum,
    minimum,
    mul,
    select_n,
    sub,
)
from functrace.primitives.shape import (
    _front_batch,
    bdim_to_front,
    broadcast_batch,
    broadcast_in_dim,
    moveaxis,
    reduce_sum,
    shape_of,
)

PaddingConfig = tuple[tuple[int, int, int], ...]  # (low, high, interior) per axis

INDEX_DTYPE = np.dtype(np.int64)


def _types(*avals: ShapedArray) -> str:
    return ", ".join(a.str_short() for a in avals)


def iota(size: int, shape: tuple[int, ...], dimension: int, dtype: Any = INDEX_DTYPE) -> Any:
    """``0, 1, ..., size - 1`` laid along ``dimension`` of an array of ``shape``."""
    return broadcast_in_dim(np.arange(size, dtype=dtype), shape, (dimension,))


def zeros_like(x: Any) -> Any:
    """A zero array of ``x``'s shape and dtype."""
    return full_like(x, 0)


# -- concatenate --------------------------------------------------------------------------------

# Joining arrays (concatenate, stack, roll...): JAX's primitive; its vjp slices.
concatenate_p = Primitive("concatenate")


def concatenate(operands: Sequence[Any], dimension: int) -> Any:
    """Join arrays of equal dtype and shape (except along ``dimension``) end to end."""
    return concatenate_p.bind1(*operands, dimension=dimension)


def _concatenate_shape(*avals: ShapedArray, dimension: int) -> list[ShapedArray]:
    first = avals[0] if avals else None
    if first is None or not 0 <= dimension < first.ndim or any(
        a.dtype != first.dtype or a.ndim != first.ndim
        or any(n != m for i, (n, m) in enumerate(zip(a.shape, first.shape, strict=True))
               if i != dimension)
        for a in avals
    ):
        raise ValueError(
            f"concatenate: cannot join operands of types ({_types(*avals)}) along dimension "
            f"{dimension}: it needs at least one operand, and all must have the same dtype and "
            "rank, and equal shapes except along that dimension."
        )
    shape = list(first.shape)
    shape[dimension] = sum(a.shape[dimension] for a in avals)
    return [ShapedArray(tuple(shape), first.dtype, all(a.weak_type for a in avals))]


def _concatenate_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
                     dimension: int) -> list[Any]:
    ct, out, start = cts[0], [], 0
    for x, need in zip(args, needed, strict=True):
        stop = start + shape_of(x)[dimension]
        out.append(slice_in_dim(ct, start, stop, dimension) if need else None)
        start = stop
    return out


def _concatenate_batch(size: int, args: list[Any], bdims: list[int | None], *,
                       dimension: int) -> Any:
    xs = [bdim_to_front(x, d, size) for x, d in zip(args, bdims, strict=True)]
    return [concatenate(xs, dimension + 1)], [0]


concatenate_p.impl = lambda *xs, dimension: [np.concatenate(xs, axis=dimension)]
concatenate_p.shape_rule = _concatenate_shape
deflinear_jvp(concatenate_p)
vjp_rules[concatenate_p] = _concatenate_vjp
vjp_residuals[concatenate_p] = (False, (False,))
batch_rules[concatenate_p] = _concatenate_batch

# -- slice: a static strided window (the IR name is JAX's ``slice``) ---------------------------

# x[a:b:c] with static bounds: JAX's primitive; its vjp pads.
slice_p = Primitive("slice")


def static_slice(x: Any, start_indices: Sequence[int], limit_indices: Sequence[int],
                 strides: Sequence[int] | None = None) -> Any:
    """``x[start:limit:stride, ...]`` with static, in-range bounds and positive strides."""
    strides = (1,) * len(start_indices) if strides is None else strides
    return slice_p.bind1(x, start_indices=tuple(int(s) for s in start_indices),
                         limit_indices=tuple(int(s) for s in limit_indices),
                         strides=tuple(int(s) for s in strides))


def slice_in_dim(x: Any, start: int, limit: int, axis: int, stride: int = 1) -> Any:
    """``static_slice`` along one axis (the others kept whole)."""
    shape = shape_of(x)
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    starts[axis], limits[axis], strides[axis] = start, limit, stride
    return static_slice(x, starts, limits, strides)


def _slice_impl(x: Any, *, start_indices: tuple[int, ...], limit_indices: tuple[int, ...],
                strides: tuple[int, ...]) -> list[Any]:
    window = tuple(slice(*b) for b in zip(start_indices, limit_indices, strides, strict=True))
    return [np.asarray(x)[window]]


def _slice_shape(x: ShapedArray, *, start_indices: tuple[int, ...],
                 limit_indices: tuple[int, ...], strides: tuple[int, ...]) -> list[ShapedArray]:
    shape = []
    if len(start_indices) == len(limit_indices) == len(strides) == len(x.shape):
        for lo, hi, st, n in zip(start_indices, limit_indices, strides, x.shape):  # noqa: B905
            if not 0 <= lo <= hi <= n or st < 1:
                break
            shape.append((hi - lo + st - 1) // st)
    if len(shape) != len(x.shape) or len(start_indices) != len(x.shape):
        raise ValueError(
            f"slice: invalid window start_indices={start_indices}, limit_indices="
            f"{limit_indices}, strides={strides} for an operand of type {x.str_short()} "
            "(expected one entry per axis with 0 <= start <= limit <= size and strides >= 1)."
        )
    return [ShapedArray(tuple(shape), x.dtype, x.weak_type)]


def _slice_vjp(ct: Any, ans: Any, x: Any, *, start_indices: tuple[int, ...],
               limit_indices: tuple[int, ...], strides: tuple[int, ...]) -> Any:
    # Put the cotangent back where the window read it: zeros before, between and after.
    config = []
    for lo, st, n, m in zip(start_indices, strides, shape_of(x), shape_of(ct), strict=True):
        config.append((lo, n - lo - _dilated(m, st - 1), st - 1))
    return pad(ct, np.zeros((), get_aval(ct).dtype), tuple(config))


def _dilated(n: int, interior: int) -> int:
    """The length of ``n`` entries with ``interior`` padding between consecutive ones."""
    return n + max(n - 1, 0) * interior


slice_p.impl = _slice_impl
slice_p.shape_rule = _slice_shape
deflinear_jvp(slice_p)
defvjp(slice_p, _slice_vjp, residuals=(False, (False,)))
_front_batch(slice_p, lambda size, start_indices, limit_indices, strides: dict(
    start_indices=(0, *start_indices), limit_indices=(size, *limit_indices),
    strides=(1, *strides)))

# -- rev: reverse the order along some axes (negative-step slices) ------------------------------

# Negative-step slices and flip: a reversal is not a strided slice.
rev_p = Primitive("rev")


def rev(x: Any, dimensions: Sequence[int]) -> Any:
    """``x`` with the order of its entries reversed along ``dimensions``."""
    return rev_p.bind1(x, dimensions=tuple(dimensions))


def _rev_shape(x: ShapedArray, *, dimensions: tuple[int, ...]) -> list[ShapedArray]:
    if any(not 0 <= d < x.ndim for d in dimensions) or len(set(dimensions)) != len(dimensions):
        raise ValueError(f"rev: invalid dimensions {dimensions} for an operand of type "
                         f"{x.str_short()} (expected distinct axes in [0, {x.ndim})).")
    return [x]


rev_p.impl = lambda x, *, dimensions: [np.flip(x, dimensions)]
rev_p.shape_rule = _rev_shape
deflinear_jvp(rev_p)
defvjp(rev_p, lambda ct, ans, x, *, dimensions: rev(ct, dimensions))
_front_batch(rev_p, lambda size, dimensions: dict(dimensions=tuple(d + 1 for d in dimensions)))

# -- pad: low / high edges (negative ones crop) and interior padding, as lax.pad ---------------

# The transpose of slice (and a shift, with negative edges): JAX's primitive.
pad_p = Primitive("pad")


def pad(x: Any, padding_value: Any, padding_config: Sequence[tuple[int, int, int]]) -> Any:
    """``x`` with ``padding_value`` added before (low), after (high) and between (interior) the
    entries of each axis; negative low / high remove entries instead."""
    config = tuple((int(lo), int(hi), int(i)) for lo, hi, i in padding_config)
    return pad_p.bind1(x, padding_value, padding_config=config)


def _pad_impl(x: Any, padding_value: Any, *, padding_config: PaddingConfig) -> list[Any]:
    x = np.asarray(x)
    grown = [max(lo, 0) + max(hi, 0) + _dilated(n, i)
             for (lo, hi, i), n in zip(padding_config, x.shape, strict=True)]
    out = np.full(grown, padding_value, dtype=x.dtype)
    out[tuple(slice(max(lo, 0), max(lo, 0) + _dilated(n, i), i + 1)
              for (lo, _, i), n in zip(padding_config, x.shape, strict=True))] = x
    # Negative edges crop what was grown.
    return [out[tuple(slice(max(-lo, 0), size - max(-hi, 0))
                      for (lo, hi, _), size in zip(padding_config, grown, strict=True))]]


def _pad_shape(x: ShapedArray, padding_value: ShapedArray, *,
               padding_config: PaddingConfig) -> list[ShapedArray]:
    shape = tuple(lo + hi + _dilated(n, i)
                  for (lo, hi, i), n in zip(padding_config, x.shape, strict=False))
    if (len(padding_config) != x.ndim or padding_value.shape != () or padding_value.dtype !=
            x.dtype or any(i < 0 for _, _, i in padding_config) or any(n < 0 for n in shape)):
        raise ValueError(
            f"pad: cannot pad an operand of type {x.str_short()} with a padding value of type "
            f"{padding_value.str_short()} by padding_config={padding_config} (expected a "
            "scalar of the operand's dtype, one (low, high, interior) triple per axis with "
            "interior >= 0, and a result of non-negative size)."
        )
    return [ShapedArray(shape, x.dtype, x.weak_type)]


def _pad_operand_vjp(ct: Any, ans: Any, x: Any, padding_value: Any, *,
                     padding_config: PaddingConfig) -> Any:
    # Undo the edges (a pad by their negatives), then step over the interior padding.
    unpadded = pad(ct, np.zeros((), get_aval(ct).dtype),
                   tuple((-lo, -hi, 0) for lo, hi, _ in padding_config))
    shape = shape_of(unpadded)
    return static_slice(unpadded, (0,) * len(shape), shape,
                        tuple(i + 1 for _, _, i in padding_config))


def _pad_value_vjp(ct: Any, ans: Any, x: Any, padding_value: Any, *,
                   padding_config: PaddingConfig) -> Any:
    # Every entry of the result that is not an entry of x is the padding value.
    t_x = _pad_operand_vjp(ct, ans, x, padding_value, padding_config=padding_config)
    return sub(_total(ct), _total(t_x))


def _total(x: Any) -> Any:
    return reduce_sum(x, tuple(range(len(shape_of(x)))))


def _pad_batch(size: int, args: list[Any], bdims: list[int | None], *,
               padding_config: PaddingConfig) -> Any:
    x, padding_value = args
    x_bdim, value_bdim = bdims
    x = bdim_to_front(x, x_bdim, size)
    config = ((0, 0, 0), *padding_config)
    if value_bdim is None:
        return [pad(x, padding_value, config)], [0]
    # One padding value per batch member: pad with zeros, then select the padded positions.
    padded = pad(x, np.zeros((), get_aval(x).dtype), config)
    shape = shape_of(padded)
    is_x = pad(np.ones(shape_of(x), bool), np.array(False), config)
    values = broadcast_in_dim(padding_value, shape, (0,))
    return [select_n(is_x, values, padded)], [0]


pad_p.impl = _pad_impl
pad_p.shape_rule = _pad_shape
deflinear_jvp(pad_p)
defvjp(pad_p, _pad_operand_vjp, _pad_value_vjp, residuals=(False, (False,)))
batch_rules[pad_p] = _pad_batch

# -- dynamic_slice: a window at traced start indices, clamped into range ------------------------

# x[i] with a traced i: the window's position is data, its shape static.
dynamic_slice_p = Primitive("dynamic_slice")


def dynamic_slice(x: Any, start_indices: Sequence[Any], slice_sizes: Sequence[int]) -> Any:
    """The window of ``x`` of ``slice_sizes`` starting at ``start_indices`` (traced integer
    scalars); starts are clamped so the window fits, as in JAX."""
    return dynamic_slice_p.bind1(x, *start_indices, slice_sizes=tuple(slice_sizes))


def _clamped_window(shape: tuple[int, ...], starts: Sequence[Any],
                    sizes: Sequence[int]) -> tuple[slice, ...]:
    clamped = [min(max(int(s), 0), n - z) for s, n, z in zip(starts, shape, sizes, strict=True)]
    return tuple(slice(s, s + z) for s, z in zip(clamped, sizes, strict=True))


def _dynamic_slice_impl(x: Any, *starts: Any, slice_sizes: tuple[int, ...]) -> list[Any]:
    x = np.asarray(x)
    return [x[_clamped_window(x.shape, starts, slice_sizes)]]


def _check_starts(name: str, x: ShapedArray, starts: Sequence[ShapedArray]) -> None:
    if len(starts) != x.ndim or any(s.shape != () or s.dtype.kind not in "iu" for s in starts):
        raise ValueError(f"{name}: expected {x.ndim} integer scalar start indices for an "
                         f"operand of type {x.str_short()}, got ({_types(*starts)}).")


def _dynamic_slice_shape(x: ShapedArray, *starts: ShapedArray,
                         slice_sizes: tuple[int, ...]) -> list[ShapedArray]:
    _check_starts("dynamic_slice", x, starts)
    if len(slice_sizes) != x.ndim or any(
            not 0 <= z <= n for z, n in zip(slice_sizes, x.shape, strict=True)):
        raise ValueError(f"dynamic_slice: slice_sizes={slice_sizes} do not fit in an operand "
                         f"of type {x.str_short()}.")
    return [ShapedArray(slice_sizes, x.dtype, x.weak_type)]


def _dynamic_slice_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
                       slice_sizes: tuple[int, ...]) -> list[Any]:
    x_dot = tangents[0]
    return [None if x_dot is None else dynamic_slice(x_dot, primals[1:], slice_sizes)]


def _dynamic_slice_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
                       slice_sizes: tuple[int, ...]) -> list[Any]:
    x, *starts = args
    x_bar = dynamic_update_slice(zeros_like(x), cts[0], starts) if needed[0] else None
    return [x_bar] + [None] * len(starts)


def _window_indices(shape: tuple[int, ...], starts: list[Any], start_bdims: list[int | None],
                    sizes: tuple[int, ...], size: int) -> list[Any]:
    """Index arrays of shape ``(size, *sizes)`` reading each batch member's clamped window."""
    grid = (size, *sizes)
    out = []
    for d, (s, bd, n, z) in enumerate(zip(starts, start_bdims, shape, sizes, strict=True)):
        s = convert_element_type(bdim_to_front(s, bd, size), INDEX_DTYPE)
        s = minimum(maximum(s, full_like(s, 0)), full_like(s, n - z))
        out.append(add(broadcast_in_dim(s, grid, (0,)), iota(z, grid, d + 1)))
    return out


def _dynamic_slice_batch(size: int, args: list[Any], bdims: list[int | None], *,
                         slice_sizes: tuple[int, ...]) -> Any:
    x, *starts = args
    x_bdim, *start_bdims = bdims
    if all(d is None for d in start_bdims):
        x = moveaxis(x, x_bdim, 0)  # type: ignore[arg-type]
        return [dynamic_slice(x, [0, *starts], (size, *slice_sizes))], [0]
    # Each batch member reads its own window: a gather.
    shape = shape_of(x) if x_bdim is None else _drop(shape_of(x), x_bdim)
    indices = _window_indices(shape, starts, start_bdims, slice_sizes, size)
    return [_batched_gather(x, x_bdim, indices, tuple(range(len(shape))), size)], [0]


def _drop(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return shape[:axis] + shape[axis + 1:]


dynamic_slice_p.impl = _dynamic_slice_impl
dynamic_slice_p.shape_rule = _dynamic_slice_shape
jvp_rules[dynamic_slice_p] = _dynamic_slice_jvp
vjp_rules[dynamic_slice_p] = _dynamic_slice_vjp
batch_rules[dynamic_slice_p] = _dynamic_slice_batch

# -- dynamic_update_slice: overwrite a window at traced start indices ---------------------------

# The transpose of dynamic_slice, and x.at[i].set(v) with a traced i.
dynamic_update_slice_p = Primitive("dynamic_update_slice")


def dynamic_update_slice(x: Any, update: Any, start_indices: Sequence[Any]) -> Any:
    """``x`` with the window at ``start_indices`` (clamped to fit) replaced by ``update``."""
    return dynamic_update_slice_p.bind1(x, update, *start_indices)


def _dynamic_update_slice_impl(x: Any, update: Any, *starts: Any) -> list[Any]:
    out = np.array(x, copy=True)
    out[_clamped_window(out.shape, starts, np.shape(update))] = update
    return [out]


def _dynamic_update_slice_shape(x: ShapedArray, update: ShapedArray,
                                *starts: ShapedArray) -> list[ShapedArray]:
    _check_starts("dynamic_update_slice", x, starts)
    if update.dtype != x.dtype or update.ndim != x.ndim or any(
            u > n for u, n in zip(update.shape, x.shape, strict=True)):
        raise ValueError(f"dynamic_update_slice: an update of type {update.str_short()} does "
                         f"not fit in an operand of type {x.str_short()} (same dtype and rank, "
                         "no larger along any axis).")
    return [ShapedArray(x.shape, x.dtype, x.weak_type)]


def _dynamic_update_slice_jvp(primals: list[Any], tangents: list[Any],
                              ans: list[Any]) -> list[Any]:
    x, update, *starts = primals
    x_dot, update_dot = tangents[:2]
    if x_dot is None and update_dot is None:
        return [None]
    return [dynamic_update_slice(instantiate(x_dot, x), instantiate(update_dot, update), starts)]


def _dynamic_update_slice_vjp(cts: list[Any], ans: list[Any], args: list[Any],
                              needed: list[bool]) -> list[Any]:
    x, update, *starts = args
    ct = cts[0]
    x_bar = dynamic_update_slice(ct, zeros_like(update), starts) if needed[0] else None
    update_bar = dynamic_slice(ct, starts, shape_of(update)) if needed[1] else None
    return [x_bar, update_bar] + [None] * len(starts)


def _dynamic_update_slice_batch(size: int, args: list[Any], bdims: list[int | None]) -> Any:
    x, update, *starts = args
    x_bdim, update_bdim, *start_bdims = bdims
    x, update = bdim_to_front(x, x_bdim, size), bdim_to_front(update, update_bdim, size)
    if all(d is None for d in start_bdims):
        return [dynamic_update_slice(x, update, [0, *starts])], [0]
    # Each batch member writes its own window: a scatter.
    shape = shape_of(x)[1:]
    indices = _window_indices(shape, starts, start_bdims, shape_of(update)[1:], size)
    ids = iota(size, shape_of(indices[0]), 0)
    return [scatter(x, update, [ids, *indices], tuple(range(len(shape) + 1)))], [0]


dynamic_update_slice_p.impl = _dynamic_update_slice_impl
dynamic_update_slice_p.shape_rule = _dynamic_update_slice_shape
jvp_rules[dynamic_update_slice_p] = _dynamic_update_slice_jvp
vjp_rules[dynamic_update_slice_p] = _dynamic_update_slice_vjp
batch_rules[dynamic_update_slice_p] = _dynamic_update_slice_batch

# -- gather: integer-array indexing along some axes (see the module docstring) ------------------

# Integer-array (advanced) indexing, take, diagonals.
gather_p = Primitive("gather")


def gather(x: Any, indices: Sequence[Any], axes: Sequence[int]) -> Any:
    """``x`` indexed along ``axes`` by integer arrays of one shape ``B``; the result's shape is
    ``B`` followed by the other axes of ``x``.  Indices are clipped into range."""
    return gather_p.bind1(x, *indices, axes=tuple(axes))


def _clipped(x_shape: tuple[int, ...], indices: Sequence[Any],
             axes: tuple[int, ...]) -> tuple[Any, ...]:
    # Two ufunc calls: np.clip's Python wrapper costs more than the clipping of a small index.
    return tuple(np.minimum(np.maximum(i, 0), x_shape[a] - 1)
                 for i, a in zip(indices, axes, strict=True))


def _indexed_axes_first(x: Any, axes: tuple[int, ...]) -> Any:
    """``x`` with the indexed axes moved to the front, in order (a view)."""
    return x if axes == tuple(range(len(axes))) else np.moveaxis(x, axes, range(len(axes)))


def _flat_positions(x_shape: tuple[int, ...], indices: Sequence[Any], axes: tuple[int, ...]
                    ) -> np.ndarray | None:
    """For indices into the leading axes of a C-contiguous array: the clipped positions in
    those axes flattened into one (a single C call, where clipping each index costs two), or
    None where that does not apply."""
    if axes != tuple(range(len(axes))) or not all(x_shape[a] for a in axes):
        return None
    indices = [np.asarray(i) for i in indices]
    if not all(i.dtype.kind == "i" or (i.dtype.kind == "u" and i.dtype.itemsize < 8)
               for i in indices):
        return None
    return np.ravel_multi_index(indices, x_shape[:len(axes)], mode="clip")


def _gather_impl(x: Any, *indices: Any, axes: tuple[int, ...]) -> Any:
    x = np.asarray(x)
    if x.flags.c_contiguous:
        flat = _flat_positions(x.shape, indices, axes)
        if flat is not None:
            return x.reshape((math.prod(x.shape[:len(axes)]), *x.shape[len(axes):]))[flat]
    return np.asarray(_indexed_axes_first(x, axes)[_clipped(x.shape, indices, axes)])


def _index_shape(name: str, x: ShapedArray, indices: Sequence[ShapedArray],
                 axes: tuple[int, ...]) -> tuple[int, ...]:
    """The common shape ``B`` of the index arrays, after checking them against ``x``."""
    shape = indices[0].shape if indices else ()
    ok = bool(indices) and len(indices) == len(axes) and len(set(axes)) == len(axes)
    for i, a in zip(indices, axes) if ok else ():  # noqa: B905 (lengths checked)
        if not (0 <= a < x.ndim and i.shape == shape and i.dtype.kind in "iu") or (
                x.shape[a] == 0 and 0 not in shape):
            ok = False
            break
    if not ok:
        raise ValueError(
            f"{name}: cannot index an operand of type {x.str_short()} along axes={axes} with "
            f"indices of types ({_types(*indices)}): expected one integer index array per "
            "axis (distinct axes, at least one), all of one shape, and no non-empty index "
            "into an axis of length 0."
        )
    return shape


def _rest_shape(x_shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for a, n in enumerate(x_shape) if a not in axes)


def _gather_shape(x: ShapedArray, *indices: ShapedArray,
                  axes: tuple[int, ...]) -> list[ShapedArray]:
    shape = _index_shape("gather", x, indices, axes) + _rest_shape(x.shape, axes)
    return [ShapedArray(shape, x.dtype, x.weak_type)]


def _gather_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
                axes: tuple[int, ...]) -> list[Any]:
    x_dot = tangents[0]
    return [None if x_dot is None else gather(x_dot, primals[1:], axes)]


def _gather_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
                axes: tuple[int, ...]) -> list[Any]:
    x, *indices = args
    x_bar = scatter_add(zeros_like(x), cts[0], indices, axes) if needed[0] else None
    return [x_bar] + [None] * len(indices)


def _batched_gather(x: Any, x_bdim: int | None, indices: list[Any], axes: tuple[int, ...],
                    size: int) -> Any:
    """A gather with batch-leading ``indices``: a batched ``x`` has its batch axis indexed by
    ``0..size-1``, so member ``n`` reads from its own slice of ``x``."""
    if x_bdim is None:
        return gather(x, indices, axes)
    ids = iota(size, shape_of(indices[0]), 0)
    return gather(moveaxis(x, x_bdim, 0), [ids, *indices], (0, *(a + 1 for a in axes)))


def _gather_batch(size: int, args: list[Any], bdims: list[int | None], *,
                  axes: tuple[int, ...]) -> Any:
    x, *indices = args
    x_bdim, *index_bdims = bdims
    if all(d is None for d in index_bdims):
        assert x_bdim is not None
        x = moveaxis(x, x_bdim, 0)  # the batch axis becomes the first of the other axes
        return [gather(x, indices, tuple(a + 1 for a in axes))], [len(shape_of(indices[0]))]
    indices = [bdim_to_front(i, d, size) for i, d in zip(indices, index_bdims, strict=True)]
    return [_batched_gather(x, x_bdim, indices, axes, size)], [0]


gather_p.def_impl1(_gather_impl)
gather_p.shape_rule = _gather_shape
jvp_rules[gather_p] = _gather_jvp
vjp_rules[gather_p] = _gather_vjp
vjp_residuals[gather_p] = (False, (False, True))  # x: its shape only
batch_rules[gather_p] = _gather_batch

# -- scatter_add: gather's transpose (np.add.at: repeated indices accumulate) -------------------

# The transpose of gather, and x.at[index].add(v).
scatter_add_p = Primitive("scatter_add")


def scatter_add(x: Any, updates: Any, indices: Sequence[Any], axes: Sequence[int]) -> Any:
    """``x`` plus ``updates`` added at the positions ``gather(x, indices, axes)`` reads;
    repeated positions accumulate (``np.add.at``)."""
    return scatter_add_p.bind1(x, updates, *indices, axes=tuple(axes))


def _scatter_add_impl(x: Any, updates: Any, *indices: Any, axes: tuple[int, ...]) -> Any:
    out = np.array(x, copy=True)
    flat = _flat_positions(out.shape, indices, axes) if out.flags.c_contiguous else None
    if flat is not None:  # (the reshape is a view: out is C-contiguous)
        np.add.at(out.reshape((math.prod(out.shape[:len(axes)]), *out.shape[len(axes):])),
                  flat, updates)
    else:
        np.add.at(_indexed_axes_first(out, axes), _clipped(out.shape, indices, axes), updates)
    return out


def _scatter_shape(name: str) -> Any:
    def rule(x: ShapedArray, updates: ShapedArray, *indices: ShapedArray,
             axes: tuple[int, ...]) -> list[ShapedArray]:
        expected = _index_shape(name, x, indices, axes) + _rest_shape(x.shape, axes)
        if updates.shape != expected or updates.dtype != x.dtype:
            raise ValueError(f"{name}: updates of type {updates.str_short()} do not match "
                             f"the indexed positions of an operand of type {x.str_short()}: "
                             f"expected shape {expected} and dtype {x.dtype}.")
        return [ShapedArray(x.shape, x.dtype, x.weak_type)]

    return rule


def _scatter_jvp(prim: Primitive) -> None:
    """A scatter is linear in (operand, updates) jointly, for fixed indices."""

    def rule(primals: list[Any], tangents: list[Any], ans: list[Any], **params: Any
             ) -> list[Any]:
        x, updates, *indices = primals
        x_dot, updates_dot = tangents[:2]
        if x_dot is None and updates_dot is None:
            return [None]
        return prim.bind(instantiate(x_dot, x), instantiate(updates_dot, updates), *indices,
                         **params)

    jvp_rules[prim] = rule


def _scatter_batch(prim: Primitive) -> None:
    """Batch a scatter: the operand's batch axis is one more updated axis, or, when the
    indices are batched, an axis indexed by ``0..size-1`` as in ``_batched_gather``."""

    def rule(size: int, args: list[Any], bdims: list[int | None], **params: Any) -> Any:
        x, updates, *indices = args
        x_bdim, updates_bdim, *index_bdims = bdims
        axes = params["axes"]
        x = bdim_to_front(x, x_bdim, size)
        if all(d is None for d in index_bdims):
            n_index = len(shape_of(indices[0]))
            updates = (broadcast_batch(updates, size, n_index) if updates_bdim is None
                       else moveaxis(updates, updates_bdim, n_index))
            return prim.bind(x, updates, *indices, axes=tuple(a + 1 for a in axes)), [0]
        indices = [bdim_to_front(i, d, size) for i, d in zip(indices, index_bdims, strict=True)]
        ids = iota(size, shape_of(indices[0]), 0)
        updates = bdim_to_front(updates, updates_bdim, size)
        return prim.bind(x, updates, ids, *indices, axes=(0, *(a + 1 for a in axes))), [0]

    batch_rules[prim] = rule


def _scatter_add_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
                     axes: tuple[int, ...]) -> list[Any]:
    ct, indices = cts[0], args[2:]
    updates_bar = gather(ct, indices, axes) if needed[1] else None
    return [ct if needed[0] else None, updates_bar] + [None] * len(indices)


scatter_add_p.def_impl1(_scatter_add_impl)
scatter_add_p.shape_rule = _scatter_shape("scatter_add")
_scatter_jvp(scatter_add_p)
vjp_rules[scatter_add_p] = _scatter_add_vjp
_scatter_batch(scatter_add_p)

# -- scatter: overwrite the indexed positions; of repeated positions the last update wins ------
# (A primitive because ``x.at[i].set(v)`` cannot be built from scatter_add when i repeats.)

scatter_p = Primitive("scatter")


def scatter(x: Any, updates: Any, indices: Sequence[Any], axes: Sequence[int]) -> Any:
    """``x`` with ``updates`` written at the positions ``gather(x, indices, axes)`` reads; of
    repeated positions the last update (in C order of the indices) is kept."""
    return scatter_p.bind1(x, updates, *indices, axes=tuple(axes))


def _scatter_impl(x: Any, updates: Any, *indices: Any, axes: tuple[int, ...]) -> list[Any]:
    out = np.array(x, copy=True)
    index = [i.ravel() for i in np.broadcast_arrays(*_clipped(out.shape, indices, axes))]
    dims = tuple(out.shape[a] for a in axes)
    updates = np.reshape(updates, (index[0].size, *_rest_shape(out.shape, axes)))
    if index[0].size:
        # Write each position once, from its last occurrence, so the winner is well defined.
        flat = np.ravel_multi_index(index, dims)[::-1]
        last = flat.size - 1 - np.unique(flat, return_index=True)[1]
        _indexed_axes_first(out, axes)[tuple(i[last] for i in index)] = updates[last]
    return [out]


def _scatter_winners(updates: Any, indices: Sequence[Any], x: Any,
                     axes: tuple[int, ...]) -> Any:
    """1 where an update is the one that lands (not overwritten by a later repeat), else 0."""
    index_shape = shape_of(indices[0])
    size = math.prod(index_shape)
    ids = np.arange(size, dtype=INDEX_DTYPE).reshape(index_shape)
    marks = np.full(tuple(shape_of(x)[a] for a in axes), -1, INDEX_DTYPE)
    positions = tuple(range(len(axes)))
    landed = gather(scatter(marks, ids, indices, positions), indices, positions)
    won = convert_element_type(eq(landed, ids), get_aval(updates).dtype)
    return broadcast_in_dim(won, shape_of(updates), tuple(range(len(index_shape))))


def _scatter_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
                 axes: tuple[int, ...]) -> list[Any]:
    ct, (x, updates, *indices) = cts[0], args
    # The overwritten entries of x get no cotangent; the landing updates get theirs.
    x_bar = scatter(ct, zeros_like(updates), indices, axes) if needed[0] else None
    updates_bar = mul(gather(ct, indices, axes), _scatter_winners(updates, indices, x, axes)) \
        if needed[1] else None
    return [x_bar, updates_bar] + [None] * len(indices)


scatter_p.impl = _scatter_impl
scatter_p.shape_rule = _scatter_shape("scatter")
_scatter_jvp(scatter_p)
vjp_rules[scatter_p] = _scatter_vjp
_scatter_batch(scatter_p)

# -- scatter_mul, scatter_min, scatter_max: updates combined into the indexed positions -----------
# (np.multiply.at, np.minimum.at, np.maximum.at: repeated positions combine every update.)  What
# x.at[index].multiply/min/max are with traced index arrays; concrete indices take a table
# of each position's updates instead (``functrace.numpy._indexing``).


def _combining_impl(ufunc: np.ufunc) -> Any:
    def impl(x: Any, updates: Any, *indices: Any, axes: tuple[int, ...]) -> Any:
        out = np.array(x, copy=True)
        ufunc.at(_indexed_axes_first(out, axes), _clipped(out.shape, indices, axes), updates)
        return out

    return impl


def _combining_primitive(name: str, ufunc: np.ufunc) -> Primitive:
    prim = Primitive(name)
    prim.def_impl1(_combining_impl(ufunc))
    prim.shape_rule = _scatter_shape(name)
    _scatter_batch(prim)
    return prim


scatter_mul_p = _combining_primitive("scatter_mul", np.multiply)
scatter_min_p = _combining_primitive("scatter_min", np.minimum)
scatter_max_p = _combining_primitive("scatter_max", np.maximum)


def scatter_mul(x: Any, updates: Any, indices: Sequence[Any], axes: Sequence[int]) -> Any:
    """``x`` with the positions ``gather(x, indices, axes)`` reads multiplied by ``updates``
    (every one of a repeated position's: ``np.multiply.at``)."""
    return scatter_mul_p.bind1(x, updates, *indices, axes=tuple(axes))


def scatter_min(x: Any, updates: Any, indices: Sequence[Any], axes: Sequence[int]) -> Any:
    """``x`` with each indexed position the minimum of its entry and its updates."""
    return scatter_min_p.bind1(x, updates, *indices, axes=tuple(axes))


def scatter_max(x: Any, updates: Any, indices: Sequence[Any], axes: Sequence[int]) -> Any:
    """``x`` with each indexed position the maximum of its entry and its updates."""
    return scatter_max_p.bind1(x, updates, *indices, axes=tuple(axes))


def _extremum_shares(x: Any, updates: Any, indices: Sequence[Any], ans: Any,
                     axes: tuple[int, ...]) -> tuple[Any, Any, Any]:
    """For scatter_min/max: which entries of ``x`` and of ``updates`` equal the result at
    their position (1 or 0), and how many do at each position.  The derivative is split
    equally among them, as JAX's (and as max's ties); a NaN result has no share-holder."""
    dtype = get_aval(x).dtype
    x_tie = convert_element_type(eq(x, ans), dtype)
    u_tie = convert_element_type(eq(updates, gather(ans, indices, axes)), dtype)
    count = add(x_tie, scatter_add(zeros_like(x), u_tie, indices, axes))
    return x_tie, u_tie, count


def _define_extremum_rules(prim: Primitive) -> None:
    def jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
            axes: tuple[int, ...]) -> list[Any]:
        x, updates, *indices = primals
        x_dot, u_dot = tangents[:2]
        if x_dot is None and u_dot is None:
            return [None]
        x_tie, u_tie, count = _extremum_shares(x, updates, indices, ans[0], axes)
        total = scatter_add(mul(instantiate(x_dot, x), x_tie),
                            mul(instantiate(u_dot, updates), u_tie), indices, axes)
        return [div(total, count)]

    def vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
            axes: tuple[int, ...]) -> list[Any]:
        x, updates, *indices = args
        x_tie, u_tie, count = _extremum_shares(x, updates, indices, ans[0], axes)
        share = div(cts[0], count)
        x_bar = mul(share, x_tie) if needed[0] else None
        u_bar = mul(gather(share, indices, axes), u_tie) if needed[1] else None
        return [x_bar, u_bar] + [None] * len(indices)

    jvp_rules[prim] = jvp
    vjp_rules[prim] = vjp


_define_extremum_rules(scatter_min_p)
_define_extremum_rules(scatter_max_p)


def _others_products(updates: Any, indices: Sequence[Any], x: Any,
                     axes: tuple[int, ...]) -> tuple[Any, Any]:
    """For scatter_mul: the product ``P`` of the updates at each position of ``x`` (1 where
    none), and for each update the product of the other updates at its position, without
    dividing by zero: with ``Z`` zeros at a position and ``Q`` the product of its nonzero
    updates, an update's others give ``Q / u`` (``u != 0``, ``Z == 0``), ``Q`` (``u == 0``,
    ``Z == 1``) or 0."""
    dtype = get_aval(updates).dtype
    ones = full_like(x, 1)
    is_zero = eq(updates, np.zeros((), dtype))
    nonzero = select_n(is_zero, updates, full_like(updates, 1))
    q_at = gather(scatter_mul(ones, nonzero, indices, axes), indices, axes)
    zero_count = scatter_add(zeros_like(x), convert_element_type(is_zero, dtype), indices, axes)
    zeros_at = gather(zero_count, indices, axes)
    none = eq(zeros_at, np.zeros((), dtype))
    one = eq(zeros_at, np.ones((), dtype))
    zero = full_like(updates, 0)
    others = select_n(is_zero, select_n(none, zero, div(q_at, nonzero)), select_n(one, zero, q_at))
    return scatter_mul(ones, updates, indices, axes), others


def _scatter_mul_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
                     axes: tuple[int, ...]) -> list[Any]:
    x, updates, *indices = primals
    x_dot, u_dot = tangents[:2]
    if x_dot is None and u_dot is None:
        return [None]
    product, others = _others_products(updates, indices, x, axes)
    out = None if x_dot is None else mul(x_dot, product)
    if u_dot is not None:
        spread = mul(x, scatter_add(zeros_like(x), mul(u_dot, others), indices, axes))
        out = spread if out is None else add(out, spread)
    return [out]


def _scatter_mul_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
                     axes: tuple[int, ...]) -> list[Any]:
    x, updates, *indices = args
    product, others = _others_products(updates, indices, x, axes)
    x_bar = mul(cts[0], product) if needed[0] else None
    u_bar = mul(gather(mul(cts[0], x), indices, axes), others) if needed[1] else None
    return [x_bar, u_bar] + [None] * len(indices)


jvp_rules[scatter_mul_p] = _scatter_mul_jvp
vjp_rules[scatter_mul_p] = _scatter_mul_vjp
