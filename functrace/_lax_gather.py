"""``jax.lax``'s general gather and scatter (XLA's semantics), written on the ``gather`` and
scatter primitives of ``functrace/primitives/indexing.py``; no new primitive.

XLA's gather takes, for each index vector of ``start_indices`` (its last axis), a window of
``slice_sizes`` out of ``operand``; the dimension numbers say which operand axes the index
vector addresses (``start_index_map``), which window axes are dropped (``collapsed_slice_dims``)
and where the kept ones land in the result (``offset_dims``).  Scatter is its mirror image.

Both are reduced here to one flat position per result (or update) entry: the operand is
reshaped to one axis, the window starts are computed with integer ``functrace.numpy``
arithmetic (clamped, or checked for the fill / drop modes), the static offsets inside a window
are added, and one 1-D ``gather`` or scatter primitive does the data movement.  An update that
mode ``FILL_OR_DROP`` drops is sent to one extra "trash" entry appended to the flat operand and
cut off afterwards, so every scatter flavour (overwrite, add, multiply, min, max) drops the
same way.  Because everything is ordinary operations on primitives, ``jvp``, ``vjp``, ``vmap``
and ``jit`` apply unchanged and derivatives go to any order.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

import functrace.numpy as fnp
from functrace.core import Tracer, get_aval
from functrace.primitives import indexing as ix
from functrace.primitives import shape as sh

_INDEX = np.dtype(np.int64)
_PY_SCALARS = (bool, int, float, complex)


class GatherScatterMode(enum.Enum):
    """``jax.lax.GatherScatterMode``: what gather and scatter do with out-of-bounds indices.

    * ``CLIP``: window starts are clamped so that the whole window is in bounds.
    * ``FILL_OR_DROP``: a gathered window that is not wholly in bounds is filled with
      ``fill_value``; a scattered window that is not wholly in bounds is dropped.
    * ``PROMISE_IN_BOUNDS``: the caller promises in-bounds indices.  As with XLA on CPU, a
      gather then clamps and a scatter drops.
    * ``ONE_HOT``: used by ``jax.numpy``'s one-hot indexing; ``lax.gather`` refuses it and the
      scatters drop, as JAX's do.

    ``from_any`` accepts a mode, ``None`` (``FILL_OR_DROP``), or the strings ``'clip'``,
    ``'fill'``, ``'drop'``, ``'promise_in_bounds'`` and ``'one_hot'``.
    """

    CLIP = enum.auto()
    FILL_OR_DROP = enum.auto()
    PROMISE_IN_BOUNDS = enum.auto()
    ONE_HOT = enum.auto()

    @staticmethod
    def from_any(s: str | GatherScatterMode | None) -> GatherScatterMode:
        """The mode named by ``s`` (``None``, ``'fill'`` and ``'drop'`` are ``FILL_OR_DROP``)."""
        if isinstance(s, GatherScatterMode):
            return s
        named = {"clip": GatherScatterMode.CLIP, "fill": GatherScatterMode.FILL_OR_DROP,
                 "drop": GatherScatterMode.FILL_OR_DROP,
                 "promise_in_bounds": GatherScatterMode.PROMISE_IN_BOUNDS,
                 "one_hot": GatherScatterMode.ONE_HOT}
        if s is None:
            return GatherScatterMode.FILL_OR_DROP
        if isinstance(s, str) and s in named:
            return named[s]
        raise ValueError(f'Unknown gather mode "{s}": expected a GatherScatterMode, None, or '
                         f"one of {', '.join(repr(k) for k in named)}.")


class GatherDimensionNumbers(NamedTuple):
    """``jax.lax.GatherDimensionNumbers``: how ``gather``'s operand, indices and result relate.

    Attributes:
      offset_dims: the result axes (sorted) that hold the window axes kept, in the order of
        the operand axes they come from.
      collapsed_slice_dims: operand axes (sorted, slice size 1) left out of the result.
      start_index_map: for each entry of an index vector, the operand axis it starts.
      operand_batching_dims: operand axes (sorted) matched one-to-one with
        ``start_indices_batching_dims``: batch member ``b`` reads entry ``b`` of each.
      start_indices_batching_dims: the matching axes of ``start_indices``.

    The index vector is always the last axis of ``start_indices``.
    """

    offset_dims: tuple[int, ...]
    collapsed_slice_dims: tuple[int, ...]
    start_index_map: tuple[int, ...]
    operand_batching_dims: tuple[int, ...] = ()
    start_indices_batching_dims: tuple[int, ...] = ()


class ScatterDimensionNumbers(NamedTuple):
    """``jax.lax.ScatterDimensionNumbers``: how a scatter's operand, indices and updates
    relate.

    Attributes:
      update_window_dims: the axes of ``updates`` (sorted) that are window axes, in the order
        of the operand axes they write.
      inserted_window_dims: operand axes (sorted) that a window covers with size 1 and that
        have no axis in ``updates``.
      scatter_dims_to_operand_dims: for each entry of an index vector, the operand axis it
        starts.
      operand_batching_dims: operand axes (sorted) matched one-to-one with
        ``scatter_indices_batching_dims``.
      scatter_indices_batching_dims: the matching axes of ``scatter_indices``.

    The index vector is always the last axis of ``scatter_indices``; the axes of ``updates``
    that are not window axes match the other axes of ``scatter_indices``, in order.
    """

    update_window_dims: Sequence[int]
    inserted_window_dims: Sequence[int]
    scatter_dims_to_operand_dims: Sequence[int]
    operand_batching_dims: Sequence[int] = ()
    scatter_indices_batching_dims: Sequence[int] = ()


# -- checks (the rules of XLA's shape inference, with JAX's TypeErrors) --------------------------


def _ints(dims: Any, op: str, name: str) -> tuple[int, ...]:
    try:
        return tuple(int(d) for d in dims)
    except TypeError:
        raise TypeError(f"{name} in {op} op must be a sequence of ints; got {dims!r}.") from None


def _sorted_unique_in_range(dims: tuple[int, ...], rank: int, op: str, name: str) -> None:
    if list(dims) != sorted(dims):
        raise TypeError(f"{name} in {op} op must be sorted; got {dims}.")
    if len(set(dims)) != len(dims):
        raise TypeError(f"{name} in {op} op must not repeat; got: {dims}.")
    for d in dims:
        if not 0 <= d < rank:
            raise TypeError(f"Invalid {name} set in {op} op; valid range is [0, {rank}); got: "
                            f"{d}.")


def _check_index_map(index_map: tuple[int, ...], indices_shape: tuple[int, ...], rank: int,
                     op: str, name: str) -> None:
    if len(index_map) != indices_shape[-1]:
        raise TypeError(f"{op.capitalize()} op has {len(index_map)} elements in {name} and the "
                        f"bound of the last dimension of indices (the index vector) is "
                        f"{indices_shape[-1]}. These two numbers must be equal.")
    for k, d in enumerate(index_map):
        if not 0 <= d < rank:
            raise TypeError(f"Invalid {name}; domain is [0, {rank}), got: {k}->{d}.")
    if len(set(index_map)) != len(index_map):
        raise TypeError(f"{name} in {op} op must not repeat; got: {index_map}.")


def _check_batching(operand_dims: tuple[int, ...], index_dims: tuple[int, ...],
                    dropped: tuple[int, ...], index_map: tuple[int, ...],
                    operand_shape: tuple[int, ...], indices_shape: tuple[int, ...], op: str,
                    names: tuple[str, str, str, str]) -> None:
    """The batching dimension numbers: disjoint from the dropped axes and the index map,
    matched in number and size with axes of the indices other than the index vector."""
    operand_name, index_name, dropped_name, map_name = names
    _sorted_unique_in_range(operand_dims, len(operand_shape), op, operand_name)
    for other, other_name in ((dropped, dropped_name), (index_map, map_name)):
        if set(other) & set(operand_dims):
            raise TypeError(f"{other_name} and {operand_name} in {op} op must be disjoint; "
                            f"got: {other} and {operand_dims}.")
    if len(set(index_dims)) != len(index_dims):
        raise TypeError(f"{index_name} in {op} op must not repeat; got: {index_dims}.")
    for d in index_dims:
        if not 0 <= d < len(indices_shape):
            raise TypeError(f"Invalid {index_name} set in {op} op; valid range is "
                            f"[0, {len(indices_shape)}); got: {d}.")
    if len(indices_shape) - 1 in index_dims:
        raise TypeError(f"{op.capitalize()} op cannot have the index vector dimension as a "
                        f"batching dimension; got {index_dims}.")
    if len(operand_dims) != len(index_dims):
        raise TypeError(f"{op.capitalize()} op requires equal numbers of {operand_name} and "
                        f"{index_name}, got {operand_dims} and {index_dims}.")
    operand_sizes = tuple(operand_shape[d] for d in operand_dims)
    index_sizes = tuple(indices_shape[d] for d in index_dims)
    if operand_sizes != index_sizes:
        raise TypeError(f"{op.capitalize()} op requires operand batching dimensions and "
                        f"indices batching dimensions to have the same shape, got "
                        f"{operand_sizes} and {index_sizes}.")


def _as_array(x: Any) -> Any:
    return x if isinstance(x, Tracer) else fnp.asarray(x)


def _as_indices(indices: Any, op: str) -> Any:
    indices = _as_array(indices)
    aval = get_aval(indices)
    if aval.dtype.kind not in "iu":
        raise ValueError(f"{op}: indices must have an integer type, got {aval.dtype}.")
    if aval.ndim == 0:
        raise TypeError(f"{op}: indices must have rank >= 1 (the last axis is the index "
                        "vector), got a scalar.")
    return indices


# -- flat positions ------------------------------------------------------------------------------


def _index_entries(indices: Any) -> Any:
    """``indices`` as int64 (huge unsigned values stay huge: they are capped before the cast)."""
    dtype = get_aval(indices).dtype
    if dtype.kind == "u" and dtype.itemsize == 8:
        indices = fnp.minimum(indices, np.asarray(2 ** 62, dtype))
    return fnp.asarray(indices, _INDEX)


def _windows(operand_shape: tuple[int, ...], indices: Any, index_map: tuple[int, ...],
             operand_batching_dims: tuple[int, ...], indices_batching_dims: tuple[int, ...],
             sizes: tuple[int, ...], window_operand_dims: tuple[int, ...],
             window_positions: tuple[int, ...], layout: tuple[int, ...],
             check: bool) -> tuple[Any, Any]:
    """The flat operand position of every entry of ``layout`` (a gather's result shape, or a
    scatter's updates shape), and, with ``check``, whether its window is in bounds.

    An entry's position is the start of its window -- from its index vector, clamped so that
    the window of ``sizes`` fits, and from its batch member along the batching axes -- plus
    its offset inside the window.  The layout's axes ``window_positions`` run along the
    operand axes ``window_operand_dims``; its other axes are the batch axes of ``indices``
    (all but the last), in order."""
    rank = len(operand_shape)
    batch_shape = get_aval(indices).shape[:-1]
    strides = [math.prod(operand_shape[d + 1:]) for d in range(rank)]
    idx = _index_entries(indices)
    start: Any = np.zeros(batch_shape, _INDEX)
    ok: Any = np.ones(batch_shape, bool)
    for k, d in enumerate(index_map):
        s = fnp.squeeze(ix.slice_in_dim(idx, k, k + 1, len(batch_shape)), -1)
        hi = np.asarray(operand_shape[d] - sizes[d], _INDEX)
        if check:
            ok = fnp.logical_and(ok, fnp.logical_and(fnp.greater_equal(s, 0),
                                                     fnp.less_equal(s, hi)))
        s = fnp.minimum(fnp.maximum(s, np.zeros((), _INDEX)), hi)
        start = fnp.add(start, fnp.multiply(s, np.asarray(strides[d], _INDEX)))
    for d, j in zip(operand_batching_dims, indices_batching_dims, strict=True):
        ramp = np.arange(batch_shape[j], dtype=_INDEX) * strides[d]
        start = fnp.add(start, np.broadcast_to(
            ramp.reshape([-1 if a == j else 1 for a in range(len(batch_shape))]), batch_shape))
    # The offsets inside a window: static, one per window entry.
    window_shape = tuple(sizes[d] for d in window_operand_dims)
    offsets = np.zeros(window_shape, _INDEX)
    for k, d in enumerate(window_operand_dims):
        offsets = offsets + (np.arange(sizes[d], dtype=_INDEX) * strides[d]).reshape(
            [-1 if a == k else 1 for a in range(len(window_shape))])
    batch_positions = tuple(p for p in range(len(layout)) if p not in window_positions)
    flat = fnp.add(sh.broadcast_in_dim(_as_array(start), layout, batch_positions),
                   sh.broadcast_in_dim(offsets, layout, window_positions))
    in_bounds = sh.broadcast_in_dim(_as_array(ok), layout, batch_positions) if check else None
    return flat, in_bounds


# -- gather --------------------------------------------------------------------------------------


def _fill_value(dtype: np.dtype[Any], fill_value: Any) -> np.ndarray:
    """JAX's default fill: NaN for inexact types, the most negative signed integer, the largest
    unsigned one, True for booleans."""
    if fill_value is not None:
        return np.asarray(fill_value).astype(dtype)
    if dtype.kind in "fc":
        return np.asarray(np.nan, dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.asarray(info.min if dtype.kind == "i" else info.max, dtype)
    if dtype.kind == "b":
        return np.asarray(True)
    raise ValueError(f"Unsupported dtype for gather fill_value {dtype}")


def _gather_layout(operand_shape: tuple[int, ...], indices_shape: tuple[int, ...],
                   dnums: GatherDimensionNumbers, sizes: tuple[int, ...]
                   ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Check ``gather``'s dimension numbers as XLA does; return the operand axes that keep a
    result axis, and the result's shape."""
    rank = len(operand_shape)
    offset_dims, collapsed, index_map = (dnums.offset_dims, dnums.collapsed_slice_dims,
                                         dnums.start_index_map)
    out_rank = len(offset_dims) + len(indices_shape) - 1
    if list(offset_dims) != sorted(offset_dims):
        raise TypeError(f"offset_dims in gather op must be sorted; got {offset_dims}.")
    if len(set(offset_dims)) != len(offset_dims):
        raise TypeError(f"offset_dims in gather op must not repeat; got: {offset_dims}.")
    for k, d in enumerate(offset_dims):
        if not 0 <= d < out_rank:
            raise TypeError(f"Offset dimension {k} in gather op is out of bounds; got {d}, but "
                            f"should have been in [0, {out_rank})")
    _check_index_map(index_map, indices_shape, rank, "gather", "start_index_map")
    _sorted_unique_in_range(collapsed, rank, "gather", "collapsed_slice_dims")
    _check_batching(dnums.operand_batching_dims, dnums.start_indices_batching_dims, collapsed,
                    index_map, operand_shape, indices_shape, "gather",
                    ("operand_batching_dims", "start_indices_batching_dims",
                     "collapsed_slice_dims", "start_index_map"))
    if len(sizes) != rank:
        raise TypeError(f"Gather op must have one slice size for every input dimension; got: "
                        f"len(slice_sizes)={len(sizes)}, input_shape.rank={rank}")
    batching = dnums.operand_batching_dims
    if rank != len(offset_dims) + len(collapsed) + len(batching):
        raise TypeError(
            "All components of the offset index in a gather op must either be a offset "
            f"dimension or explicitly collapsed/batching; got len(slice_sizes)={len(sizes)}, "
            f"output_slice_sizes={offset_dims}, collapsed_slice_dims={collapsed}, "
            f"operand_batching_dims={batching}.")
    if math.prod(indices_shape):
        for d, (z, n) in enumerate(zip(sizes, operand_shape, strict=True)):
            if not 0 <= z <= n:
                raise TypeError(f"Slice size at index {d} in gather op is out of range, must "
                                f"be within [0, {n} + 1), got {z}.")
    for k, d in enumerate(collapsed):
        if sizes[d] != 1:
            raise TypeError(f"Gather op can only collapse slice dims with bound 1, but bound "
                            f"is {sizes[d]} for index {d} at position {k}.")
    for k, d in enumerate(batching):
        if sizes[d] > 1:
            raise TypeError(f"Gather op can only have operand batching dims with bound 0/1, "
                            f"but bound is {sizes[d]} for index {d} at position {k}.")
    kept = tuple(d for d in range(rank) if d not in collapsed and d not in batching)
    batch = iter(indices_shape[:-1])
    windows = iter(sizes[d] for d in kept)
    out_shape = tuple(next(windows) if p in offset_dims else next(batch)
                      for p in range(out_rank))
    return kept, out_shape


def _gather_dnums(dnums: Any) -> GatherDimensionNumbers:
    if not isinstance(dnums, GatherDimensionNumbers):
        if not isinstance(dnums, tuple) or not 3 <= len(dnums) <= 5:
            raise TypeError("gather: dimension_numbers must be a lax.GatherDimensionNumbers, "
                            f"got {dnums!r}.")
        dnums = GatherDimensionNumbers(*dnums)
    return GatherDimensionNumbers(*(_ints(v, "gather", k)
                                    for k, v in zip(dnums._fields, dnums, strict=True)))


def gather(operand: Any, start_indices: Any, dimension_numbers: GatherDimensionNumbers,
           slice_sizes: Sequence[int], *, unique_indices: bool = False,
           indices_are_sorted: bool = False, mode: str | GatherScatterMode | None = None,
           fill_value: Any = None) -> Any:
    """``jax.lax.gather``: windows of ``operand`` at the positions ``start_indices`` gives.

    For each index vector (the last axis of ``start_indices``), a window of ``slice_sizes``
    starts at the position the vector gives along the axes ``start_index_map`` (and at 0, or at
    the batch member's entry along the batching axes, elsewhere).  The windows' axes
    ``collapsed_slice_dims`` and batching axes (size 1) are dropped; the others land at the
    result axes ``offset_dims``; the result's other axes are the batch axes of the indices.

    Args:
      operand: the array to read.
      start_indices: integer array; its last axis is the index vector.
      dimension_numbers: a :class:`GatherDimensionNumbers`.
      slice_sizes: the window's size along each operand axis.
      unique_indices, indices_are_sorted: hints for XLA; accepted and ignored.
      mode: out-of-bounds windows (see :class:`GatherScatterMode`).  The default, ``None``,
        is ``PROMISE_IN_BOUNDS``, which clamps the start so the window fits, as ``'clip'``.
        ``'fill'`` returns ``fill_value`` for the whole of a window not wholly in bounds.
        Negative indices are out of bounds (no wrap-around).
      fill_value: for ``'fill'``; defaults to NaN for inexact dtypes, the most negative
        signed integer, the largest unsigned one, True for booleans.

    Returns:
      An array of ``operand``'s dtype.

    Raises:
      TypeError: dimension numbers or slice sizes that do not fit the operand and indices
        (the checks of XLA's shape inference).
      ValueError: non-integer indices, an unknown mode, or mode ``ONE_HOT``.

    Row 2, then rows 0 and 5 (clamped to 2), of a 3 x 2 array:

    >>> import numpy as np
    >>> from functrace import lax
    >>> x = np.arange(6.0).reshape(3, 2)
    >>> dn = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,),
    ...                                 start_index_map=(0,))
    >>> lax.gather(x, np.array([[2], [0], [5]]), dn, slice_sizes=(1, 2))
    array([[4., 5.],
           [0., 1.],
           [4., 5.]])
    >>> lax.gather(x, np.array([[2], [5]]), dn, (1, 2), mode="fill")
    array([[ 4.,  5.],
           [nan, nan]])
    """
    parsed = (GatherScatterMode.PROMISE_IN_BOUNDS if mode is None
              else GatherScatterMode.from_any(mode))
    if parsed is GatherScatterMode.ONE_HOT:
        raise ValueError("gather: mode ONE_HOT is for jax.numpy's one-hot indexing and is not "
                         "supported by lax.gather; use 'clip', 'fill' or 'promise_in_bounds'.")
    operand = _as_array(operand)
    indices = _as_indices(start_indices, "gather")
    dnums = _gather_dnums(dimension_numbers)
    sizes = _ints(slice_sizes, "gather", "slice_sizes")
    shape, dtype = get_aval(operand).shape, get_aval(operand).dtype
    kept, out_shape = _gather_layout(shape, get_aval(indices).shape, dnums, sizes)
    fill = parsed is GatherScatterMode.FILL_OR_DROP
    if fill:
        filler = _fill_value(dtype, fill_value)  # (checked first: JAX's order of errors)
    flat, in_bounds = _windows(shape, indices, dnums.start_index_map,
                               dnums.operand_batching_dims, dnums.start_indices_batching_dims,
                               sizes, kept, dnums.offset_dims, out_shape, check=fill)
    out = ix.gather(fnp.reshape(operand, (math.prod(shape),)), [flat], (0,))
    return fnp.where(in_bounds, out, filler) if fill else out


def index_take(src: Any, idxs: Sequence[Any], axes: Sequence[int]) -> Any:
    """``jax.lax.index_take``: ``src`` indexed along ``axes`` by the 1-D integer arrays
    ``idxs`` (one per axis, of one length ``n``, negative ones counting from the end): the
    result has shape ``(n, *the other axes of src)``.  ``axes`` must be sorted.

    >>> import numpy as np
    >>> from functrace import lax
    >>> x = np.arange(12).reshape(3, 4)
    >>> lax.index_take(x, (np.array([0, 2, -1]), np.array([1, 1, 3])), (0, 1))
    array([ 1,  9, 11])
    """
    src = _as_array(src)
    axes = _ints(axes, "index_take", "axes")
    shape = get_aval(src).shape
    columns = [fnp.expand_dims(_as_indices(i, "index_take"), 1) for i in idxs]
    if not columns:
        raise TypeError("index_take: idxs must hold one index array per axis, got none.")
    indices = fnp.concatenate(columns, axis=1)
    bounds = np.asarray([shape[a] for a in axes], get_aval(indices).dtype)
    indices = fnp.remainder(indices, bounds)
    sizes = tuple(1 if d in axes else n for d, n in enumerate(shape))
    dnums = GatherDimensionNumbers(
        offset_dims=tuple(range(1, len(shape) - get_aval(indices).shape[1] + 1)),
        collapsed_slice_dims=axes, start_index_map=axes)
    return gather(src, indices, dnums, sizes)


# -- scatters ------------------------------------------------------------------------------------


def _scatter_dnums(dnums: Any, name: str) -> ScatterDimensionNumbers:
    if not isinstance(dnums, ScatterDimensionNumbers):
        if not isinstance(dnums, tuple) or not 3 <= len(dnums) <= 5:
            raise TypeError(f"{name}: dimension_numbers must be a lax.ScatterDimensionNumbers, "
                            f"got {dnums!r}.")
        dnums = ScatterDimensionNumbers(*dnums)
    return ScatterDimensionNumbers(*(_ints(v, "scatter", k)
                                     for k, v in zip(dnums._fields, dnums, strict=True)))


def _scatter_layout(operand_shape: tuple[int, ...], indices_shape: tuple[int, ...],
                    updates_shape: tuple[int, ...], dnums: ScatterDimensionNumbers
                    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Check a scatter's dimension numbers as XLA does; return the window's size along each
    operand axis and the operand axes the updates' window axes write."""
    rank = len(operand_shape)
    window_dims = tuple(dnums.update_window_dims)
    inserted = tuple(dnums.inserted_window_dims)
    batching = tuple(dnums.operand_batching_dims)
    index_map = tuple(dnums.scatter_dims_to_operand_dims)
    expected = len(indices_shape) - 1 + len(window_dims)
    if len(updates_shape) != expected:
        raise TypeError(f"Updates tensor must be of rank {expected}; got {len(updates_shape)}.")
    _sorted_unique_in_range(window_dims, len(updates_shape), "scatter", "update_window_dims")
    _sorted_unique_in_range(inserted, rank, "scatter", "inserted_window_dims")
    _check_batching(batching, tuple(dnums.scatter_indices_batching_dims), inserted, index_map,
                    operand_shape, indices_shape, "scatter",
                    ("operand_batching_dims", "scatter_indices_batching_dims",
                     "inserted_window_dims", "scatter_dims_to_operand_dims"))
    if rank != len(window_dims) + len(inserted) + len(batching):
        raise TypeError(f"Scatter op has window of size "
                        f"{len(window_dims) + len(inserted) + len(batching)}; doesn't match "
                        f"operand of rank {rank}.")
    _check_index_map(index_map, indices_shape, rank, "scatter",
                     "scatter_dims_to_operand_dims")
    kept = tuple(d for d in range(rank) if d not in inserted and d not in batching)
    for p, d in zip(window_dims, kept, strict=True):
        if updates_shape[p] > operand_shape[d]:
            raise TypeError(f"Bounds of the window dimensions of updates must not exceed the "
                            f"bounds of the corresponding dimensions of operand. For dimension "
                            f"{p}, updates bound is {updates_shape[p]}, operand bound is "
                            f"{operand_shape[d]}.")
    scatter_positions = [p for p in range(len(updates_shape)) if p not in window_dims]
    for p, n in zip(scatter_positions, indices_shape[:-1], strict=True):
        if updates_shape[p] != n:
            raise TypeError(f"Bounds of the scatter dimensions of updates must be the same as "
                            f"the bounds of the corresponding dimensions of scatter indices. "
                            f"For scatter dimension {p}, updates bound is {updates_shape[p]}, "
                            f"indices bound is {n}.")
    window_size = dict(zip(kept, (updates_shape[p] for p in window_dims), strict=True))
    return tuple(window_size.get(d, 1) for d in range(rank)), kept


Combine = Callable[[Any, Any, Sequence[Any], Sequence[int]], Any]


def _scatter(name: str, combine: Combine, operand: Any, scatter_indices: Any, updates: Any,
             dimension_numbers: Any, mode: str | GatherScatterMode | None) -> Any:
    """Every scatter: the updates' flat positions, dropped ones sent to a trash entry past the
    end of the flattened operand, one 1-D scatter primitive ``combine``."""
    parsed = GatherScatterMode.from_any(mode)
    operand = _as_array(operand)
    dtype = get_aval(operand).dtype
    if isinstance(updates, _PY_SCALARS):
        updates = np.asarray(updates, dtype)
    updates = _as_array(updates)
    if get_aval(updates).dtype != dtype:
        raise TypeError(f"lax.{name} requires arguments to have the same dtypes, got {dtype}, "
                        f"{get_aval(updates).dtype}.")
    indices = _as_indices(scatter_indices, name)
    dnums = _scatter_dnums(dimension_numbers, name)
    shape, updates_shape = get_aval(operand).shape, get_aval(updates).shape
    sizes, kept = _scatter_layout(shape, get_aval(indices).shape, updates_shape, dnums)
    # XLA drops an out-of-bounds window unless the indices are clamped first ('clip').
    drop = parsed is not GatherScatterMode.CLIP
    flat, in_bounds = _windows(shape, indices, tuple(dnums.scatter_dims_to_operand_dims),
                               tuple(dnums.operand_batching_dims),
                               tuple(dnums.scatter_indices_batching_dims), sizes, kept,
                               tuple(dnums.update_window_dims), updates_shape, check=drop)
    n = math.prod(shape)
    x = fnp.reshape(operand, (n,))
    if drop:
        x = fnp.concatenate([x, np.zeros((1,), dtype)])
        flat = fnp.where(in_bounds, flat, np.asarray(n, _INDEX))
    out = combine(x, updates, [flat], (0,))
    if drop:
        out = ix.slice_in_dim(out, 0, n, 0)
    return fnp.reshape(out, shape)


def _scatter_function(name: str, combine: Combine, verb: str) -> Callable[..., Any]:
    def op(operand: Any, scatter_indices: Any, updates: Any,
           dimension_numbers: ScatterDimensionNumbers, *, indices_are_sorted: bool = False,
           unique_indices: bool = False, mode: str | GatherScatterMode | None = None) -> Any:
        return _scatter(name, combine, operand, scatter_indices, updates, dimension_numbers,
                        mode)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"""``jax.lax.{name}``: ``operand`` with ``updates`` {verb} the windows that
    ``scatter_indices`` (its last axis the index vector) and ``dimension_numbers`` (a
    :class:`ScatterDimensionNumbers`) give; repeated positions combine every update.

    ``mode`` (see :class:`GatherScatterMode`): the default, ``None``, is ``FILL_OR_DROP``: a
    window that is not wholly in bounds is dropped whole (negative indices are out of
    bounds); ``'clip'`` clamps its start so that it fits.  ``indices_are_sorted`` and
    ``unique_indices`` are hints for XLA, accepted and ignored.  Differentiable in
    ``operand`` and ``updates``.

    Raises:
      TypeError: dimension numbers or shapes that do not fit (XLA's checks), or ``updates``
        of another dtype than ``operand``.
      ValueError: non-integer indices or an unknown mode.
    """
    return op


def _subtract(x: Any, updates: Any, indices: Sequence[Any], axes: Sequence[int]) -> Any:
    return ix.scatter_add(x, fnp.negative(updates), indices, axes)


scatter_add = _scatter_function("scatter_add", ix.scatter_add, "added into")
scatter_sub = _scatter_function("scatter_sub", _subtract, "subtracted from")
scatter_mul = _scatter_function("scatter_mul", ix.scatter_mul, "multiplying")
scatter_min = _scatter_function("scatter_min", ix.scatter_min, "taking the minimum with")
scatter_max = _scatter_function("scatter_max", ix.scatter_max, "taking the maximum with")


def scatter(operand: Any, scatter_indices: Any, updates: Any,
            dimension_numbers: ScatterDimensionNumbers, *, indices_are_sorted: bool = False,
            unique_indices: bool = False, mode: str | GatherScatterMode | None = None) -> Any:
    """``jax.lax.scatter``: ``operand`` with the windows that ``scatter_indices`` and
    ``dimension_numbers`` give overwritten by ``updates``.

    Of updates to one position the last one (in the order of the updates' entries) is kept,
    as on XLA:CPU (JAX leaves the order unspecified).  The derivative sends the result's
    cotangent to the updates that landed and to the entries of ``operand`` left unchanged.

    Args:
      operand: the array to update.
      scatter_indices: integer array; its last axis is the index vector.
      updates: an array of ``operand``'s dtype: the scatter axes (those of the indices but
        the last, in order) and the window axes ``update_window_dims``.
      dimension_numbers: a :class:`ScatterDimensionNumbers`.
      indices_are_sorted, unique_indices: hints for XLA; accepted and ignored.
      mode: the default, ``None``, drops a window not wholly in bounds (``FILL_OR_DROP``);
        ``'clip'`` clamps its start so that it fits.

    Raises:
      TypeError: dimension numbers or shapes that do not fit (XLA's checks), or ``updates``
        of another dtype than ``operand``.
      ValueError: non-integer indices or an unknown mode.

    >>> import numpy as np
    >>> from functrace import lax
    >>> dn = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
    ...                                  scatter_dims_to_operand_dims=(0,))
    >>> lax.scatter(np.zeros(4), np.array([[1], [3], [9]]), np.array([5.0, 6.0, 7.0]), dn)
    array([0., 5., 0., 6.])
    >>> lax.scatter_add(np.zeros(4), np.array([[1], [1], [9]]), np.ones(3), dn, mode="clip")
    array([0., 2., 0., 1.])
    """
    return _scatter("scatter", ix.scatter, operand, scatter_indices, updates,
                    dimension_numbers, mode)


def scatter_counts(operand: Any, scatter_indices: Any, dimension_numbers: Any,
                   update_shape: Sequence[int], mode: str | GatherScatterMode | None) -> Any:
    """How many updates of shape ``update_shape`` land on each entry of ``operand`` (an
    int64 array of its shape): what ``scatter_apply`` needs."""
    ones = np.ones(tuple(update_shape), _INDEX)
    zeros = fnp.zeros(get_aval(_as_array(operand)).shape, _INDEX)
    return _scatter("scatter_apply", ix.scatter_add, zeros, scatter_indices, ones,
                    dimension_numbers, mode)


__all__ = ["GatherDimensionNumbers", "GatherScatterMode", "ScatterDimensionNumbers", "gather",
           "index_take", "scatter", "scatter_add", "scatter_max", "scatter_min", "scatter_mul",
           "scatter_sub"]
