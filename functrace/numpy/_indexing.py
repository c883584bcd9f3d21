"""Indexing: ``x[index]`` with NumPy's rules, ``x.at[index]`` updates, take, sort, and what
is built on them: pad, searchsorted, interp.

``getitem`` lowers an index expression to at most one equation of each kind, in this order:
``rev`` (for negative steps), ``slice`` (static ints and slices), ``dynamic_slice`` (traced
integer scalars), ``squeeze`` (the axes that ints remove), ``gather`` (integer and boolean
arrays: NumPy's advanced indexing), ``transpose`` (where NumPy puts the advanced axes) and
``expand_dims`` (``None``).  Out-of-range indices that are known while tracing raise
``IndexError`` as in NumPy; traced indices cannot be checked, so, as in JAX, a traced scalar
start is clamped into range and traced index arrays are clipped (after negative indices wrap).
A boolean mask must be a concrete NumPy array: a traced mask would make the result's shape
depend on traced values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from functrace.core import Tracer
from functrace.custom_rules import custom_jvp
from functrace.errors import ConcretizationError
from functrace.numpy import _reductions
from functrace.numpy._base import (
    as_operand,
    aval,
    broadcast_to_shape,
    convert,
    no_out,
    refuse_complex,
    result_dtype,
)
from functrace.numpy._elementwise import (
    add,
    equal,
    floor,
    greater,
    greater_equal,
    imag,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    power,
    real,
    remainder,
    rint,
    subtract,
    true_divide,
    where,
)
from functrace.numpy._reductions import normalize_axis
from functrace.numpy._shapes import asarray, concatenate, ravel, reshape
from functrace.primitives import elementwise as ew
from functrace.primitives import indexing as ix
from functrace.primitives import reductions as red
from functrace.primitives import shape as sh

_BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and "
              "integer or boolean arrays are valid indices")


@dataclass
class _Plan:
    """What an index expression does, axis by axis of the operand (see ``getitem``)."""

    shape: tuple[int, ...]  # the operand's shape (with axes for boolean scalars inserted)
    starts: list[int] = field(init=False)  # the static window, for ``slice``
    limits: list[int] = field(init=False)
    strides: list[int] = field(init=False)
    reversed_axes: list[int] = field(default_factory=list)
    dynamic: dict[int, Any] = field(default_factory=dict)  # axis -> traced start
    dropped: list[int] = field(default_factory=list)  # axes removed by integer indices
    advanced: list[tuple[int, Any]] = field(default_factory=list)  # (axis, index array)
    # The result's layout, item by item: ("axis", operand axis), ("new",), ("advanced",), and
    # ("ellipsis",) marking where ``...`` was.
    layout: list[tuple[Any, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.shape)
        self.starts, self.limits, self.strides = [0] * n, list(self.shape), [1] * n

    def windowed(self) -> bool:
        """Whether the static window is not the whole operand."""
        return _windowed(self.shape, self.starts, self.limits, self.strides)


def _windowed(shape: tuple[int, ...], starts: list[int], limits: list[int],
              strides: list[int]) -> bool:
    """Whether a static window of an operand of ``shape`` is not the whole of it."""
    return starts != [0] * len(shape) or limits != list(shape) or strides != [1] * len(shape)


def getitem(a: Any, index: Any) -> Any:
    """``a[index]`` with NumPy's basic and advanced indexing rules.

    Supports integers, slices (any step), ``None``, ``...``, integer arrays and lists
    (advanced indexing: the indexed axes are replaced by the broadcast shape of the index
    arrays, placed where the first of them was if they are adjacent, else first), concrete
    boolean masks, and traced integers (scalars become a ``dynamic_slice``, arrays a
    ``gather``).

    Raises:
      IndexError: an index out of range (when known), too many indices, a traced boolean
        mask, or an index of an unsupported type.

    >>> import numpy as np
    >>> x = np.arange(12.0).reshape(3, 4)
    >>> getitem(x, (slice(None, None, -2), [0, 3]))  # x[::-2, [0, 3]]
    array([[ 8., 11.],
           [ 0.,  3.]])
    """
    a = as_operand(a)
    if type(index) is tuple and _leading_index_arrays(a, index):
        return _gather_leading(a, index)
    window = _basic_window(aval(a).shape, index)
    if window is not None:
        return _apply_window(a, *window)
    items = _index_items(index)
    a, plan = _plan(a, items)
    return _apply(a, plan)


Window = tuple[list[int], list[int], list[int], list[int]]


def _basic_window(shape: tuple[int, ...], index: Any) -> Window | None:
    """For the commonest indices, static integers and slices with positive steps (``x[0]``,
    ``x[:, 1:3]``, ``x[i, ::2]``): the window ``(starts, limits, strides, dropped axes)``
    that the general plan would build, without building it; None for any other index (and
    for out-of-range integers, whose error the general path raises)."""
    items = index if type(index) is tuple else (index,)
    if len(items) > len(shape):
        return None
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    dropped = []
    for d, item in enumerate(items):
        if type(item) is slice:
            start, stop, step = item.indices(shape[d])
            m = len(range(start, stop, step))
            if step < 0 and m > 1:
                return None  # a reversal: the general path's ``rev``
            if m == 0:
                start, step = 0, 1
            elif m == 1:
                step = 1
            starts[d], strides[d] = start, step
            limits[d] = start + (m - 1) * step + 1 if m else 0
        elif type(item) is int or isinstance(item, np.integer):
            n = shape[d]
            if not -n <= item < n:
                return None
            starts[d] = int(item) % n
            limits[d] = starts[d] + 1
            dropped.append(d)
        else:
            return None
    return starts, limits, strides, dropped


def _apply_window(a: Any, starts: list[int], limits: list[int], strides: list[int],
                  dropped: list[int]) -> Any:
    """``a`` read through a static window (a ``slice`` equation unless it is the whole of
    ``a``), with the ``dropped`` axes (of integer indices) squeezed out."""
    if _windowed(aval(a).shape, starts, limits, strides):
        a = ix.static_slice(a, starts, limits, strides)
    return sh.squeeze(a, tuple(dropped)) if dropped else a


def _leading_index_arrays(a: Any, index: tuple[Any, ...]) -> bool:
    """Whether ``index`` is concrete integer arrays for the leading axes of ``a`` only (as in
    ``logp[rows, labels]``): the case that :func:`_gather_leading` computes directly."""
    return 0 < len(index) <= aval(a).ndim and all(
        type(item) is np.ndarray and item.ndim > 0 and item.dtype.kind in "iu" for item in index)


def _gather_leading(a: Any, index: tuple[np.ndarray, ...]) -> Any:
    """``a[index]`` for concrete integer arrays indexing the leading axes: one ``gather``, whose
    layout (the broadcast index shape, then the other axes) is NumPy's for this case."""
    shape = aval(a).shape
    try:
        b_shape = np.broadcast_shapes(*[item.shape for item in index])
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together "
                         f"with shapes {' '.join(str(item.shape) for item in index)}") from None
    indices = [_index_arrays(item, shape[k:k + 1], k)[0] for k, item in enumerate(index)]
    indices = [i if i.shape == b_shape else np.broadcast_to(i, b_shape) for i in indices]
    return ix.gather(a, indices, tuple(range(len(index))))


def _index_items(index: Any) -> list[Any]:
    """The index as a list of items; lists become arrays, as in NumPy."""
    items = list(index) if isinstance(index, tuple) else [index]
    out = []
    for item in items:
        if isinstance(item, (list, tuple)):
            item = asarray(item)  # stacks traced entries
            if aval(item).size == 0:
                item = np.zeros(aval(item).shape, np.intp)
        if isinstance(item, Tracer) and item.dtype.kind == "b":
            item = _known_mask(item)
        if isinstance(item, np.ndarray) and item.ndim == 0 and item.dtype.kind == "b":
            item = bool(item)
        out.append(item)
    if sum(item is Ellipsis for item in out) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    return out


def _known_mask(mask: Tracer) -> Any:
    """A traced boolean mask's value where it is known (under ``grad``, ``jvp``, ``jacfwd``... of
    concrete inputs, as JAX's), since the result's shape depends on it; else the tracer, which
    the plan refuses with ``IndexError``."""
    try:
        return np.asarray(mask.concrete("a boolean mask index"))
    except ConcretizationError:
        return mask


def _is_bool_scalar(item: Any) -> bool:
    return isinstance(item, (bool, np.bool_))


def _is_advanced(item: Any) -> bool:
    if isinstance(item, np.ndarray):
        return item.ndim > 0 or item.dtype.kind == "b"
    return isinstance(item, Tracer) and item.ndim > 0 or _is_bool_scalar(item)


def _consumed(item: Any) -> int:
    """How many operand axes ``item`` indexes."""
    if item is None or item is Ellipsis or _is_bool_scalar(item):
        return 0
    if isinstance(item, np.ndarray) and item.dtype.kind == "b":
        return item.ndim
    return 1


def _plan(a: Any, items: list[Any]) -> tuple[Any, _Plan]:
    shape = aval(a).shape
    used = sum(_consumed(item) for item in items)
    if used > len(shape):
        raise IndexError(f"too many indices for array: array is {len(shape)}-dimensional, "
                         f"but {used} were indexed")
    if not any(item is Ellipsis for item in items):
        items = [*items, Ellipsis]
    # A boolean scalar indexes a new length-1 axis (NumPy: a 0-d mask); insert those axes.
    bool_axes, d = [], 0
    for item in items:
        if _is_bool_scalar(item):
            bool_axes.append(d)
        d += len(shape) - used if item is Ellipsis else _consumed(item) + _is_bool_scalar(item)
    if bool_axes:
        a = sh.expand_dims(a, tuple(bool_axes))
    plan = _Plan(aval(a).shape)
    has_advanced = any(_is_advanced(item) for item in items)
    d, src_axis = 0, 0  # operand axis here, and in the array as the user passed it
    for item in items:
        if item is None:
            plan.layout.append(("new",))
        elif item is Ellipsis:
            plan.layout.append(("ellipsis",))  # separates advanced indices, even if empty
            for _ in range(len(shape) - used):
                plan.layout.append(("axis", d))
                d, src_axis = d + 1, src_axis + 1
        elif isinstance(item, slice):
            _plan_slice(plan, d, item)
            plan.layout.append(("axis", d))
            d, src_axis = d + 1, src_axis + 1
        elif _is_bool_scalar(item):
            plan.advanced.append((d, np.zeros(int(item), np.intp)))
            plan.layout.append(("advanced",))
            d += 1
        elif has_advanced:
            k = _consumed(item)
            for axis, idx in zip(range(d, d + k), _index_arrays(item, plan.shape[d:d + k],
                                                                 src_axis), strict=True):
                plan.advanced.append((axis, idx))
            plan.layout.append(("advanced",))
            d, src_axis = d + k, src_axis + k
        else:
            _plan_scalar(plan, d, item, src_axis)
            d, src_axis = d + 1, src_axis + 1
    return a, plan


def _plan_slice(plan: _Plan, d: int, item: slice) -> None:
    n = plan.shape[d]
    start, stop, step = item.indices(n)
    m = len(range(start, stop, step))
    if m == 0:
        start, step = 0, 1
    elif step < 0 and m > 1:
        # Read the reversed axis forwards: x[start - k|s|] == rev(x)[n - 1 - start + k|s|].
        plan.reversed_axes.append(d)
        start, step = n - 1 - start, -step
    elif m == 1:
        step = 1
    plan.starts[d], plan.strides[d] = start, step
    plan.limits[d] = start + (m - 1) * step + 1 if m else 0


def _plan_scalar(plan: _Plan, d: int, item: Any, src_axis: int) -> None:
    n = plan.shape[d]
    if isinstance(item, Tracer):
        if item.dtype.kind not in "iu":
            raise IndexError(_traced_index_message(item))
        plan.dynamic[d] = _wrap_negative(item, n)
    else:
        i = _static_int(item)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of bounds for axis {src_axis} with size {n}")
        i %= n
        plan.starts[d], plan.limits[d] = i, i + 1
    plan.dropped.append(d)


def _static_int(item: Any) -> int:
    if isinstance(item, (int, np.integer)) or (
            isinstance(item, np.ndarray) and item.ndim == 0 and item.dtype.kind in "iu"):
        return int(item)
    raise IndexError(_BAD_INDEX)


def _traced_index_message(item: Tracer) -> str:
    if item.dtype.kind == "b":
        return (f"a traced boolean mask ({item.aval.str_short()}) cannot be used as an index: "
                "the result's shape would depend on its values, which are not known while "
                "tracing. Use functrace.numpy.where(mask, x, 0) (and sum) instead, or pass "
                "the mask as a concrete NumPy array.")
    return f"{_BAD_INDEX}; got a traced array of type {item.aval.str_short()}"


def _wrap_negative(i: Any, n: int) -> Any:
    """A traced index with negative values counted from the end (as NumPy)."""
    return where(less(i, 0), add(i, n), i)


def _index_arrays(item: Any, dims: tuple[int, ...], src_axis: int) -> list[Any]:
    """The integer index arrays an advanced item stands for (a mask: one per axis)."""
    if isinstance(item, Tracer):
        if item.dtype.kind not in "iu":
            raise IndexError(_traced_index_message(item))
        return [_wrap_negative(item, dims[0])]
    item = np.asarray(item) if isinstance(item, (int, np.integer)) else item
    if not isinstance(item, np.ndarray):
        raise IndexError(_BAD_INDEX)
    if item.dtype.kind == "b":
        for k, (n, m) in enumerate(zip(dims, item.shape, strict=True)):
            if n != m:
                raise IndexError(
                    f"boolean index did not match indexed array along axis {src_axis + k}; "
                    f"size of axis is {n} but size of corresponding boolean axis is {m}")
        return list(np.nonzero(item))
    if item.dtype.kind not in "iu":
        raise IndexError(_BAD_INDEX)
    n = dims[0]
    if not item.size:
        return [item]
    # The extremes tell whether any index is out of range or negative: two reductions instead
    # of elementwise masks (indexing with label arrays runs on every training step).
    low, high = np.minimum.reduce(item, axis=None), np.maximum.reduce(item, axis=None)
    if low < -n or high >= n:
        bad = (item < -n) | (item >= n)
        raise IndexError(f"index {int(item[bad].flat[0])} is out of bounds for axis "
                         f"{src_axis} with size {n}")
    return [np.where(item < 0, item + n, item) if low < 0 else item]


def _apply(a: Any, plan: _Plan) -> Any:
    if plan.reversed_axes:
        a = ix.rev(a, plan.reversed_axes)
    if plan.windowed():
        a = ix.static_slice(a, plan.starts, plan.limits, plan.strides)
    if plan.dynamic:
        sizes = tuple(1 if d in plan.dynamic else n for d, n in enumerate(aval(a).shape))
        a = ix.dynamic_slice(a, [plan.dynamic.get(d, 0) for d in range(len(sizes))], sizes)
    if plan.dropped:
        a = sh.squeeze(a, tuple(plan.dropped))
    n_index = 0
    if plan.advanced:
        axes = tuple(d for d, _ in plan.advanced)
        shapes = [aval(i).shape for _, i in plan.advanced]
        try:
            b_shape = np.broadcast_shapes(*shapes)
        except ValueError:
            raise IndexError("shape mismatch: indexing arrays could not be broadcast together "
                             f"with shapes {' '.join(map(str, shapes))}") from None
        indices = [broadcast_to_shape(i, b_shape) for _, i in plan.advanced]
        a = ix.gather(a, indices, axes)
        n_index = len(b_shape)
    return _arrange(a, plan, n_index)


def _arrange(a: Any, plan: _Plan, n_index: int) -> Any:
    """Move the axes of the gather's layout (index axes, then the remaining axes in order) to
    where NumPy puts them, and add the new axes of ``None``."""
    advanced = [k for k, item in enumerate(plan.layout) if item[0] == "advanced"]
    adjacent = advanced == list(range(advanced[0], advanced[0] + len(advanced))) \
        if advanced else True
    index_axes = list(range(n_index))
    rest = iter(range(n_index, len(aval(a).shape)))
    target: list[int | None] = [] if adjacent else list(index_axes)  # None: a new axis
    for k, item in enumerate(plan.layout):
        if item[0] == "axis":
            target.append(next(rest))
        elif item[0] == "new":
            target.append(None)
        elif item[0] == "advanced" and adjacent and k == advanced[0]:
            target.extend(index_axes)
    perm = [t for t in target if t is not None]
    if perm != list(range(len(perm))):
        a = sh.transpose(a, perm)
    new_axes = tuple(k for k, t in enumerate(target) if t is None)
    return sh.expand_dims(a, new_axes) if new_axes else a


# -- take, take_along_axis, sort ----------------------------------------------------------------


def take(a: Any, indices: Any, axis: int | None = None, out: None = None,
         mode: str | None = None, *, unique_indices: bool = False,
         indices_are_sorted: bool = False, fill_value: Any = None) -> Any:
    """``numpy.take``: entries of ``a`` at ``indices`` along ``axis`` (of the flattened array
    if None).  ``mode`` is NumPy's: ``"raise"`` (the default), ``"wrap"`` or ``"clip"``; traced
    indices are clipped whatever the mode.  JAX's ``mode="fill"`` reads ``fill_value`` (NaN,
    or the dtype's extreme, by default) at indices out of range (negative ones count from the
    end); its hints ``unique_indices`` and ``indices_are_sorted`` are accepted and ignored."""
    no_out("take", out)
    a = as_operand(a)
    if axis is None:
        a, axis = ravel(a), 0
    ax = normalize_axis(axis, aval(a).ndim, "take")
    if isinstance(indices, (list, tuple)):
        indices = asarray(indices)  # stacks traced entries
    if mode == "fill":
        index = (slice(None),) * ax + (indices,)
        return _IndexUpdateRef(a, index).get(mode="fill", fill_value=fill_value)
    n = aval(a).shape[ax]
    if isinstance(indices, Tracer) and mode in ("wrap", "clip") and n:
        # NumPy's modes on traced indices: modulo the length, or clamped (negative ones to 0).
        limit = np.asarray(n, aval(indices).dtype)
        indices = (remainder(indices, limit) if mode == "wrap"
                   else minimum(maximum(indices, 0), subtract(limit, 1)))
    if not isinstance(indices, Tracer):
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu":
            raise IndexError(f"take: indices must be integers, got dtype {indices.dtype}")
        if mode == "wrap" and n:
            indices = np.mod(indices, n)
        elif mode == "clip":
            indices = np.clip(indices, 0, max(n - 1, 0))
        elif mode not in (None, "raise", "wrap"):
            raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    return getitem(a, (slice(None),) * ax + (indices,))


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Any:
    """``numpy.take_along_axis``: ``arr`` indexed along ``axis`` by an array of indices of the
    same rank (its other axes broadcast against ``arr``'s), as ``argsort``'s result."""
    arr = as_operand(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    nd = aval(arr).ndim
    ax = normalize_axis(axis, nd, "take_along_axis")
    if aval(indices).ndim != nd:
        raise ValueError(f"take_along_axis: `indices` and `arr` must have the same number of "
                         f"dimensions, got {aval(indices).ndim} and {nd}")
    # An open mesh: arange along every other axis, the indices along ``axis``.
    index = tuple(indices if d == ax else np.arange(n).reshape([-1 if k == d else 1
                                                                 for k in range(nd)])
                  for d, n in enumerate(aval(arr).shape))
    return getitem(arr, index)


def argsort(a: Any, axis: int | None = -1, kind: str | None = None, order: None = None, *,
            stable: bool | None = True, descending: bool = False) -> Any:
    """``numpy.argsort``: the indices that sort ``a`` along ``axis`` (flattened if None).
    Always stable (ties keep their order; ``stable`` is accepted); NaNs sort last.  With
    ``descending`` (NumPy 2's array API, JAX), the order is reversed, ties still in their
    original order (NaNs first)."""
    if order is not None:
        raise NotImplementedError("argsort: order= (structured arrays) is not supported.")
    a = as_operand(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, aval(a).ndim, "argsort")
    if not descending:
        return red.argsort(a, axis, np.intp)
    # Stable descending: sort the reversed array ascending, reverse the result, and map the
    # positions back (equal entries then keep their original order).
    n = aval(a).shape[axis]
    flipped = red.argsort(ix.rev(a, (axis,)), axis, np.intp)
    return subtract(np.asarray(n - 1, np.intp), ix.rev(flipped, (axis,)))


def sort(a: Any, axis: int | None = -1, kind: str | None = None, order: None = None, *,
         stable: bool | None = True, descending: bool = False) -> Any:
    """``numpy.sort``: ``a`` sorted along ``axis`` (flattened if None; ``descending`` as in
    :func:`argsort`).  The derivative follows the sorting permutation (a gather by
    ``argsort``; its vjp scatters back)."""
    a = as_operand(a)
    if axis is None:
        a, axis = ravel(a), 0
    return take_along_axis(a, argsort(a, axis, order=order, descending=descending), axis)


# -- x.at[index]: functional updates -------------------------------------------------------------


class _IndexUpdateHelper:
    """``x.at``: indexing it gives an :class:`_IndexUpdateRef` (as ``jax.numpy``'s)."""

    __slots__ = ("array",)

    def __init__(self, array: Any):
        self.array = array

    def __getitem__(self, index: Any) -> _IndexUpdateRef:
        return _IndexUpdateRef(self.array, index)

    def __repr__(self) -> str:
        return f"_IndexUpdateHelper({self.array!r})"


class _IndexUpdateRef:
    """``x.at[index]``: JAX's functional updates, each returning a new array (traced values are
    immutable): ``get()``, ``set``, ``add``, ``multiply`` (``mul``), ``divide``, ``power``,
    ``min``, ``max`` and ``apply``.

    ``values`` broadcast to the shape of ``x[index]`` and are cast to ``x``'s dtype.  When an
    index repeats, ``set`` keeps the last value, ``add``, ``multiply``, ``min`` and ``max``
    combine every one (as ``np.add.at``, ``np.multiply.at``...), ``divide`` and ``power`` use
    their product (as JAX's: ``x / ones.at[idx].multiply(values)``), and ``apply`` applies its
    function once per occurrence.  With traced index arrays the combining updates are the
    ``scatter_mul``/``scatter_min``/``scatter_max`` primitives, and ``apply`` runs its
    (elementwise) function on the whole array once per index entry, keeping the results where
    a position has occurred that often.

    Integer indices out of range (static or traced) follow JAX's ``mode``, not NumPy's
    ``IndexError``: an update drops them (``mode=None``, ``"drop"``, ``"fill"``,
    ``"promise_in_bounds"``) or clamps them into range (``"clip"``); ``get`` clamps them
    (``None``, ``"clip"``, ``"promise_in_bounds"``) or reads ``fill_value`` there (``"fill"``,
    ``"drop"``; by default NaN, the smallest signed or largest unsigned integer, or True).

    Derivatives: ``min``/``max`` split the cotangent equally among every tied contributor (the
    original entry and the updates), as JAX's; ``multiply`` differentiates with repeated
    indices too (JAX's raises there).

    >>> import numpy as np, functrace as ft
    >>> ft.jit(lambda x: x.at[1:].set(2.0).at[[0, 0]].add(1.0))(np.zeros(3))
    array([2., 2., 2.])
    >>> ft.jit(lambda x: x.at[[0, 0, 3]].multiply(np.array([2.0, 3.0, 0.5])))(np.arange(1.0, 5.0))
    array([6., 2., 3., 2.])
    """

    __slots__ = ("array", "index")

    def __init__(self, array: Any, index: Any):
        self.array, self.index = array, index

    def get(self, **options: Any) -> Any:
        """``x[index]``, with out-of-range indices clamped or filled (see the class)."""
        mode, fill_value = _check_options("get", options)
        x = as_operand(self.array)
        index, padded = _bounded_index(aval(x).shape, self.index, mode)
        if padded:
            fill = _default_fill(aval(x).dtype) if fill_value is None else fill_value
            x = _pad_axes(x, padded, fill)
        return getitem(x, index)

    def _updated(self, name: str, values: Any, options: dict[str, Any]) -> Any:
        mode, _ = _check_options(name, options)
        kind = "multiply" if name in ("divide", "power") else name
        x = as_operand(self.array)
        if name in ("divide", "power"):  # the factors: ones updated by multiplying
            x = np.ones(aval(x).shape, aval(x).dtype)
        shape = aval(x).shape
        index, padded = _bounded_index(shape, self.index, mode)
        if not padded:
            return _update(x, index, values, kind)
        # Dropped updates land in one extra slot at the end of each axis they index, which
        # is then cut off.
        out = _update(_pad_axes(x, padded, 0), index, values, kind)
        return getitem(out, tuple(slice(0, n) for n in shape))

    def set(self, values: Any, **options: Any) -> Any:  # noqa: A003 - JAX's name
        """``x`` with ``x[index]`` replaced by ``values``."""
        return self._updated("set", values, options)

    def add(self, values: Any, **options: Any) -> Any:
        """``x`` with ``values`` added at ``x[index]`` (repeated indices accumulate)."""
        return self._updated("add", values, options)

    def multiply(self, values: Any, **options: Any) -> Any:
        """``x`` with ``x[index]`` multiplied by ``values`` (repeated indices: by each)."""
        return self._updated("multiply", values, options)

    mul = multiply

    def min(self, values: Any, **options: Any) -> Any:  # noqa: A003 - JAX's name
        """``x`` with ``x[index]`` replaced by ``minimum(x[index], values)``."""
        return self._updated("min", values, options)

    def max(self, values: Any, **options: Any) -> Any:  # noqa: A003 - JAX's name
        """``x`` with ``x[index]`` replaced by ``maximum(x[index], values)``."""
        return self._updated("max", values, options)

    def divide(self, values: Any, **options: Any) -> Any:
        """``x / ones.at[index].multiply(values)``: ``x[index] /= values`` (true division, so
        integer arrays give floats, as JAX's)."""
        return true_divide(self.array, self._updated("divide", values, options))

    def power(self, values: Any, **options: Any) -> Any:
        """``x ** ones.at[index].multiply(values)``: ``x[index] **= values``."""
        return power(self.array, self._updated("power", values, options))

    def apply(self, func: Callable[[Any], Any], **options: Any) -> Any:
        """``x`` with ``x[index]`` replaced by ``func(x[index])``, elementwise (``func`` maps
        an array to one of its shape); applied once per occurrence of a repeated index."""
        if not callable(func):
            raise TypeError(f"x.at[...].apply() takes a function, got {func!r}.")
        return self._updated("apply", func, options)


# JAX's keyword arguments of the updates: hints, accepted and ignored (functrace needs
# neither), ``mode`` (what becomes of integer indices out of range) and get's ``fill_value``.
_HINTS = frozenset({"indices_are_sorted", "unique_indices", "out_sharding",
                    "wrap_negative_indices"})
# JAX's modes, by what they do: updates drop out-of-range indices unless clipping; get clamps
# them unless filling.
_UPDATE_MODES = {None: "drop", "promise_in_bounds": "drop", "drop": "drop", "fill": "drop",
                 "clip": "clip"}
_GET_MODES = {None: "clip", "promise_in_bounds": "clip", "clip": "clip", "fill": "fill",
              "drop": "fill"}


def _check_options(name: str, options: dict[str, Any]) -> tuple[str, Any]:
    """The mode (``"drop"``, ``"clip"`` or ``"fill"``) and get's fill value, from JAX's
    keyword arguments."""
    modes = _GET_MODES if name == "get" else _UPDATE_MODES
    mode, fill_value = modes[None], None
    for key, value in options.items():
        if key == "mode":
            if not isinstance(value, (str, type(None))) or value not in modes:
                raise ValueError(f"x.at[...].{name}(): mode must be one of "
                                 f"{', '.join(repr(m) for m in modes if m)} or None, got "
                                 f"{value!r}.")
            mode = modes[value]
        elif key == "fill_value" and name == "get":
            fill_value = value  # used by mode="fill" (and "drop"), ignored otherwise, as JAX
        elif key == "wrap_negative_indices" and value is False:
            raise NotImplementedError(
                f"x.at[...].{name}(wrap_negative_indices=False) is not implemented in "
                "functrace: negative indices count from the end, as in NumPy.")
        elif key not in _HINTS:
            raise TypeError(f"x.at[...].{name}() got an unexpected keyword argument {key!r}")
    return mode, fill_value


def _is_integer_index(item: Any) -> bool:
    if isinstance(item, (bool, np.bool_)):
        return False
    if isinstance(item, (int, np.integer)):
        return True
    return isinstance(item, (np.ndarray, Tracer)) and item.dtype.kind in "iu"


def _bounded_index(shape: tuple[int, ...], index: Any, mode: str
                   ) -> tuple[tuple[Any, ...], list[int]]:
    """``index`` with its integer items brought into range as ``mode`` says, and the axes
    that need an extra slot at the end: ``"clip"`` clamps (negative indices counted from the
    end first), ``"drop"``/``"fill"`` send out-of-range indices to the slot past the end (the
    axis is then padded by one).  Static indices in range are left as they are."""
    items = _index_items(index)
    used = sum(_consumed(item) for item in items)
    out: list[Any] = []
    padded: list[int] = []
    d = 0
    for item in items:
        k = len(shape) - used if item is Ellipsis else _consumed(item)
        if k == 1 and _is_integer_index(item) and d < len(shape) and shape[d]:
            item, pad_axis = _bounded_item(item, shape[d], mode)
            if pad_axis:
                padded.append(d)
        out.append(item)
        d += k
    return tuple(out), padded


def _bounded_item(item: Any, n: int, mode: str) -> tuple[Any, bool]:
    if isinstance(item, Tracer):
        wrapped = _wrap_negative(item, n)
        if mode == "clip":
            return minimum(maximum(wrapped, 0), n - 1), False
        valid = logical_and(greater_equal(item, -n), less(item, n))
        return where(valid, wrapped, n), True
    i = np.asarray(item)
    wrapped = np.where(i < 0, i + n, i)
    if mode == "clip":
        out = np.clip(wrapped, 0, n - 1)
    else:
        valid = (i >= -n) & (i < n)
        if valid.all():
            return item, False
        out = np.where(valid, wrapped, n)
    return (int(out) if out.ndim == 0 else out), mode != "clip"


def _default_fill(dtype: np.dtype[Any]) -> Any:
    """What ``get(mode="fill")`` reads out of range by default (JAX's choice)."""
    if dtype.kind in "fc":
        return np.nan
    if dtype.kind == "b":
        return True
    info = np.iinfo(dtype)
    return info.min if dtype.kind == "i" else info.max


def _pad_axes(x: Any, axes: list[int], value: Any) -> Any:
    """``x`` with one entry ``value`` appended along each of ``axes``."""
    widths = [(0, 1) if d in axes else (0, 0) for d in range(aval(x).ndim)]
    return pad(x, widths, constant_values=np.asarray(value, aval(x).dtype))


# The scatter primitive of each update, for indices whose positions are traced.
_SCATTER: dict[str, Callable[..., Any]] = {
    "set": ix.scatter, "add": ix.scatter_add, "multiply": ix.scatter_mul,
    "min": ix.scatter_min, "max": ix.scatter_max}
# How each combining update merges an entry with an update (elementwise), and the value that
# leaves an entry unchanged (padding for indices that repeat fewer times than others).
_COMBINE: dict[str, Callable[[Any, Any], Any]] = {
    "add": add, "multiply": multiply, "min": minimum, "max": maximum}
# The same, as a reduction over the entry and its updates (with repeated indices).
_REDUCE: dict[str, Callable[..., Any]] = {
    "multiply": _reductions.prod, "min": _reductions.min, "max": _reductions.max}


def _identity(mode: str, dtype: np.dtype[Any]) -> Any:
    if mode == "multiply":
        return np.ones((), dtype)
    if dtype.kind == "f":
        return np.asarray(np.inf if mode == "min" else -np.inf, dtype)
    if dtype.kind == "b":
        return np.asarray(mode == "min")
    info = np.iinfo(dtype)
    return np.asarray(info.max if mode == "min" else info.min, dtype)


def _update(x: Any, index: Any, values: Any, mode: str) -> Any:
    x = as_operand(x)
    x_aval = aval(x)
    func = values if mode == "apply" else None
    if func is None:
        values = as_operand(values)
        promoted = result_dtype(x_aval, aval(values))
        if mode != "set" and promoted != x_aval.dtype:
            # As JAX: combined in the promoted dtype, then cast back (x.at[i].multiply(2.5) of
            # an integer 5 is 12, not 10).
            return convert(_update(convert(x, promoted), index, values, mode), x_aval.dtype)
        values = convert(values, x_aval.dtype)
    window = _scalar_window(x_aval.shape, index)
    if window is not None:  # x[i, j], x[i, :], ...: one dynamic_update_slice
        starts, sizes, region = window
        if func is not None:
            update = convert(func(ix.dynamic_slice(x, starts, sizes)), x_aval.dtype)
        else:
            update = reshape(broadcast_to_shape(values, region), sizes)
            if mode != "set":
                update = convert(_COMBINE[mode](ix.dynamic_slice(x, starts, sizes), update),
                                 x_aval.dtype)
        return ix.dynamic_update_slice(x, update, starts)
    # In general: scatter into the flat positions that x[index] reads (an iota, indexed).
    iota = np.arange(x_aval.size).reshape(x_aval.shape)
    flat_x = reshape(x, (x_aval.size,))
    if mode in ("set", "add") or (mode != "apply" and _has_tracers(index)):
        positions = getitem(iota, index)  # traced where the index is
        count = aval(positions).size
        updates = reshape(broadcast_to_shape(values, aval(positions).shape), (count,))
        out = _SCATTER[mode](flat_x, updates, [reshape(positions, (count,))], (0,))
        return reshape(out, x_aval.shape)
    if _has_tracers(index):
        assert func is not None
        positions = getitem(iota, index)
        count = aval(positions).size
        out = _traced_apply_at(flat_x, reshape(positions, (count,)), func, x_aval.dtype)
        return reshape(out, x_aval.shape)
    positions = iota[index]  # concrete: NumPy's indexing, which getitem follows
    pos = positions.reshape(-1)
    if func is not None:
        out = _apply_at(flat_x, pos, func, x_aval.dtype)
    else:
        updates = reshape(broadcast_to_shape(values, positions.shape), (pos.size,))
        out = _combine_at(flat_x, pos, updates, mode, x_aval.dtype)
    return reshape(out, x_aval.shape)


def _has_tracers(index: Any) -> bool:
    """Whether an index expression holds traced values (in arrays, lists or slice bounds)."""
    if isinstance(index, Tracer):
        return True
    if isinstance(index, (tuple, list)):
        return any(_has_tracers(item) for item in index)
    if isinstance(index, slice):
        return any(isinstance(b, Tracer) for b in (index.start, index.stop, index.step))
    return False


def _combine_at(flat_x: Any, pos: np.ndarray, updates: Any, mode: str,
                dtype: np.dtype[Any]) -> Any:
    """``flat_x`` with each entry at ``pos`` combined with every update aimed at it."""
    uniq, inverse, counts = np.unique(pos, return_inverse=True, return_counts=True)
    if not uniq.size:
        return flat_x
    if counts.max() == 1:  # no repeats: one elementwise combination, set in place
        new = convert(_COMBINE[mode](getitem(flat_x, (pos,)), updates), dtype)
        return ix.scatter(flat_x, new, [pos], (0,))
    # Repeats: a table with a row per position, the entry then its updates in order (padded
    # with the identity), reduced along its rows: min/max split ties among all of a row.
    rank = np.zeros(pos.size, np.intp)  # the occurrence number of each update at its position
    order = np.argsort(inverse, kind="stable")
    starts = np.cumsum(counts) - counts
    rank[order] = np.arange(pos.size) - np.repeat(starts, counts)
    table_index = np.zeros((uniq.size, int(counts.max())), np.intp)
    present = np.zeros(table_index.shape, bool)
    table_index[inverse.reshape(-1), rank] = np.arange(pos.size)
    present[inverse.reshape(-1), rank] = True
    column, table = getitem(flat_x, (uniq,)), getitem(updates, (table_index,))
    reduce = _grouped_extremum if mode in ("min", "max") and dtype.kind in "fc" else _rows
    return ix.scatter(flat_x, convert(reduce(mode, present, column, table), dtype), [uniq],
                      (0,))


def _rows(mode: str, present: np.ndarray, column: Any, table: Any) -> Any:
    """Per row: ``column``'s entry combined (by ``mode``) with the ``present`` entries of
    ``table`` (the others padded with the identity)."""
    padded = where(present, table, _identity(mode, aval(table).dtype))
    full = concatenate([reshape(column, (aval(column).size, 1)), padded], axis=1)
    return _REDUCE[mode](full, axis=1)


@functools.partial(custom_jvp, nondiff_argnums=(0, 1))
def _grouped_extremum(mode: str, present: np.ndarray, column: Any, table: Any) -> Any:
    """:func:`_rows` for ``min``/``max``, whose derivative is split equally among the entries
    equal to the result, as JAX's scatter_max/min: the padding takes no share (at an infinite
    result it would tie), and a NaN result (equal to nothing) passes no derivative."""
    return _rows(mode, present, column, table)


def _grouped_extremum_jvp(mode: str, present: np.ndarray, primals: tuple[Any, Any],
                          tangents: tuple[Any, Any]) -> tuple[Any, Any]:
    column, table = primals
    column_dot, table_dot = tangents
    ans = _rows(mode, present, column, table)
    dtype = aval(ans).dtype
    at_column = equal(column, ans)
    at_table = logical_and(equal(table, reshape(ans, (aval(ans).size, 1))), present)
    count = add(convert(at_column, dtype), _reductions.sum(convert(at_table, dtype), axis=1))
    zero = np.zeros((), dtype)
    share = add(where(at_column, column_dot, zero),
                _reductions.sum(where(at_table, table_dot, zero), axis=1))
    return ans, true_divide(share, where(greater(count, zero), count, np.ones((), dtype)))


_grouped_extremum.defjvp(_grouped_extremum_jvp)


def _apply_at(flat_x: Any, pos: np.ndarray, func: Callable[[Any], Any],
              dtype: np.dtype[Any]) -> Any:
    """``flat_x`` with ``func`` applied at ``pos``, once per occurrence: in rounds, round
    ``r`` applying it to the positions that occur more than ``r`` times."""
    uniq, counts = np.unique(pos, return_counts=True)
    out = flat_x
    for r in range(int(counts.max()) if counts.size else 0):
        at = uniq[counts > r]
        out = ix.scatter(out, convert(func(getitem(out, (at,))), dtype), [at], (0,))
    return out


def _traced_apply_at(flat_x: Any, pos: Any, func: Callable[[Any], Any],
                     dtype: np.dtype[Any]) -> Any:
    """:func:`_apply_at` for traced positions, whose repeats are unknown: each position's
    occurrences counted (a scatter_add), then ``len(pos)`` rounds that apply ``func`` where the
    count exceeds the round (so, once per occurrence; ``func`` runs on the whole array in each
    round, elementwise)."""
    n = aval(flat_x).size
    occurrences = ix.scatter_add(np.zeros(n, np.intp), np.ones(aval(pos).size, np.intp), [pos],
                                 (0,))
    out = flat_x
    for r in range(aval(pos).size):
        out = where(greater(occurrences, r), convert(func(out), dtype), out)
    return out


def _scalar_window(shape: tuple[int, ...], index: Any
                   ) -> tuple[list[Any], tuple[int, ...], tuple[int, ...]] | None:
    """For an index of integer scalars (static or traced), full slices and ``...``: the
    window it selects, as (starts, window sizes, shape of x[index]); None for other indices."""
    items = list(index) if isinstance(index, tuple) else [index]
    ellipsis = [k for k, item in enumerate(items) if item is Ellipsis]
    if len(ellipsis) > 1:
        return None
    if ellipsis:
        k = ellipsis[0]
        items[k:k + 1] = [slice(None)] * (len(shape) - len(items) + 1)
    if len(items) > len(shape):
        return None
    items += [slice(None)] * (len(shape) - len(items))
    starts: list[Any] = []
    sizes, region = [], []
    for d, (item, n) in enumerate(zip(items, shape, strict=True)):
        if isinstance(item, slice) and item == slice(None):
            starts.append(0)
            sizes.append(n)
            region.append(n)
        elif isinstance(item, Tracer) and item.ndim == 0 and item.dtype.kind in "iu":
            starts.append(_wrap_negative(item, n))
            sizes.append(1)
        elif isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_)):
            if not -n <= item < n:
                raise IndexError(f"index {item} is out of bounds for axis {d} with size {n}")
            starts.append(int(item) % n)
            sizes.append(1)
        else:
            return None
    return starts, tuple(sizes), tuple(region)


# -- pad, searchsorted, interp -------------------------------------------------------------------

_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap", "empty", "maximum", "minimum",
              "mean", "linear_ramp")


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    """``numpy.pad`` with modes ``constant`` (``constant_values``), ``edge``, ``reflect``,
    ``symmetric``, ``wrap``, ``empty`` (zeros), ``maximum``, ``minimum`` and ``mean``
    (``stat_length``) and ``linear_ramp`` (``end_values``).  Constant padding is one ``pad``
    equation per distinct fill value; ``edge`` to ``wrap`` read each axis through a constant
    index map (a ``gather``, whose derivative adds the copies back); the statistic and ramp
    modes join computed blocks to each axis in turn, as NumPy.  Not supported: ``median``, a
    callable mode, ``reflect_type="odd"``.

    >>> pad(np.array([1.0, 2.0, 3.0]), (2, 1), mode="reflect")
    array([3., 2., 1., 2., 3., 2.])
    """
    array = as_operand(array)
    shape = aval(array).shape
    nd = len(shape)
    if nd == 0 and isinstance(mode, str) and mode in _PAD_MODES:
        return array  # a 0-d array has no axis to pad (NumPy returns it as it is)
    if not isinstance(mode, str) or mode not in _PAD_MODES:
        raise NotImplementedError(f"pad: mode {mode!r} is not supported by functrace; the "
                                  f"supported modes are {', '.join(_PAD_MODES)}.")
    allowed = {"constant": {"constant_values"}, "reflect": {"reflect_type"},
               "symmetric": {"reflect_type"}, "maximum": {"stat_length"},
               "minimum": {"stat_length"}, "mean": {"stat_length"},
               "linear_ramp": {"end_values"}}.get(mode, set())
    if set(kwargs) - allowed:
        raise ValueError(f"pad: unsupported keyword arguments for mode '{mode}': "
                         f"{sorted(set(kwargs) - allowed)}")
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu":
        raise TypeError("pad: `pad_width` must be of integral type.")
    try:
        widths = np.broadcast_to(widths, (nd, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not broadcast to ({nd}, 2) for "
                         f"an array of shape {shape}") from None
    if np.any(widths < 0):
        raise ValueError("pad: index can't contain negative values")
    if mode in ("constant", "empty"):
        return _pad_constant(array, widths, kwargs.get("constant_values", 0))
    if mode in ("maximum", "minimum", "mean", "linear_ramp"):
        return _pad_computed(array, widths, mode, kwargs)
    if kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError("pad: only reflect_type='even' is supported by functrace.")
    for ax, (before, after) in enumerate(widths.tolist()):
        if not before and not after:
            continue
        n = shape[ax]
        if n == 0:
            raise ValueError(f"pad: can't extend empty axis {ax} using modes other than "
                             "'constant' or 'empty'")
        i = np.arange(-before, n + after)
        if mode == "edge":
            j = np.clip(i, 0, n - 1)
        elif mode == "wrap":
            j = i % n
        elif mode == "reflect":  # mirror about the end entries: period 2n - 2
            j = i % (2 * n - 2) if n > 1 else np.zeros_like(i)
            j = np.where(j >= n, 2 * n - 2 - j, j)
        else:  # symmetric: mirror including the end entries, period 2n
            j = i % (2 * n)
            j = np.where(j >= n, 2 * n - 1 - j, j)
        array = sh.moveaxis(ix.gather(array, [j], (ax,)), 0, ax)
    return array


def _pad_constant(array: Any, widths: np.ndarray, constant_values: Any) -> Any:
    dtype = aval(array).dtype
    nd = len(widths)
    if isinstance(constant_values, Tracer):
        if constant_values.ndim:
            raise NotImplementedError("pad: a traced constant_values must be a scalar.")
        config = [(int(lo), int(hi), 0) for lo, hi in widths.tolist()]
        return ix.pad(array, convert(constant_values, dtype), config)
    values = np.broadcast_to(np.asarray(constant_values), (nd, 2)).astype(dtype)
    if np.all(values == values.flat[0]):  # one value: one pad equation
        return ix.pad(array, values.flat[0], [(int(lo), int(hi), 0) for lo, hi in widths])
    # Axis by axis, as NumPy: a later axis's values fill the corners.
    for ax, ((lo, hi), (lo_value, hi_value)) in enumerate(zip(widths.tolist(),
                                                             values, strict=True)):
        for width, value, before in ((lo, lo_value, True), (hi, hi_value, False)):
            if width:
                config = [(0, 0, 0)] * nd
                config[ax] = (width, 0, 0) if before else (0, width, 0)
                array = ix.pad(array, value, config)
    return array


def _pad_computed(array: Any, widths: np.ndarray, mode: str, kwargs: dict[str, Any]) -> Any:
    """``pad``'s statistic modes and ``linear_ramp``: axis by axis, as NumPy (so a later axis
    reads the entries padded along the earlier ones), a block computed from the entries along
    the axis is joined before and after them."""
    nd = len(widths)
    dtype = aval(array).dtype
    if mode == "linear_ramp":
        ends = np.broadcast_to(np.asarray(kwargs.get("end_values", 0)), (nd, 2))
    else:
        stat_length = kwargs.get("stat_length")
        lengths = np.broadcast_to(np.asarray(-1 if stat_length is None else stat_length),
                                  (nd, 2))
        if stat_length is not None and np.any(lengths < 0):
            raise ValueError("pad: stat_length can't contain negative values")
    for ax, (before, after) in enumerate(widths.tolist()):
        if not before and not after:
            continue
        n = aval(array).shape[ax]
        if n == 0:
            raise ValueError(f"pad: can't extend empty axis {ax} using modes other than "
                             "'constant' or 'empty'")
        blocks = []
        for side, width in ((0, before), (1, after)):
            if not width:
                continue
            if mode == "linear_ramp":
                edge = ix.slice_in_dim(array, n - 1 if side else 0, n if side else 1, ax)
                # NumPy's ramp: from the end value to the edge, the edge itself excluded.
                steps = np.arange(width)[::-1 if side else 1] / width
                shape = [1] * nd
                shape[ax] = width
                end = np.asarray(ends[ax, side]).astype(np.result_type(dtype, np.float64))
                block = add(end, multiply(subtract(edge, end), steps.reshape(shape)))
                if dtype.kind in "iu":
                    block = floor(block)  # as NumPy's linspace to an integer dtype
            else:
                k = int(lengths[ax, side])
                k = n if k < 0 or k > n else k
                if k == 0 and mode != "mean":  # (a mean of nothing is NaN, as NumPy's)
                    raise ValueError(f"pad: stat_length of 0 yields no value for padding along "
                                     f"axis {ax}")
                window = ix.slice_in_dim(array, n - k if side else 0, n if side else k, ax)
                if mode == "maximum":
                    stat = _reductions.max(window, axis=ax, keepdims=True)
                elif mode == "minimum":
                    stat = _reductions.min(window, axis=ax, keepdims=True)
                else:
                    stat = _reductions.mean(window, axis=ax, keepdims=True)
                    if dtype.kind in "iu":
                        stat = rint(stat)  # NumPy rounds an integer array's mean
                shape = list(aval(stat).shape)
                shape[ax] = width
                block = broadcast_to_shape(stat, tuple(shape))
            blocks.append(convert(block, dtype))
        cut = 1 if before else 0  # blocks: the one before (if any), then the one after (if any)
        array = concatenate(blocks[:cut] + [array] + blocks[cut:], axis=ax)
    return array


def _nan_last_less(x: Any, y: Any, or_equal: bool) -> Any:
    """``x < y`` (or ``<=``) in NumPy's sort order, where NaN is larger than any number."""
    out = less_equal(x, y) if or_equal else less(x, y)
    if aval(x).dtype.kind not in "fc":
        return out
    return logical_or(out, logical_and(isnan(y), logical_not(isnan(x))))


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None, *,
                 method: str = "scan") -> Any:
    """``numpy.searchsorted``: where to insert ``v`` into the sorted 1-d ``a`` to keep it
    sorted (``side="left"``: before equal entries).  Computed by counting comparisons
    (``len(a)`` per query; NaNs sort last), so ``a`` and ``v`` may be traced; an integer
    result (``intp``), without derivative.  JAX's ``method`` hint is accepted and ignored."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right' (got {side!r})")
    a = as_operand(a)
    if aval(a).ndim != 1:
        raise ValueError(f"searchsorted: a must be 1-d, got shape {aval(a).shape}")
    if sorter is not None:
        a = take(a, sorter)
    dtype = result_dtype(aval(a), aval(v))
    a, v = convert(a, dtype), convert(as_operand(v), dtype)
    n = aval(a).size
    v_shape = aval(v).shape
    table = broadcast_to_shape(a, (*v_shape, n))
    queries = broadcast_to_shape(sh.expand_dims(v, (len(v_shape),)), (*v_shape, n))
    before = _nan_last_less(table, queries, or_equal=side == "right")
    return _reductions.sum(before, axis=-1, dtype=np.intp) if n else np.zeros(v_shape, np.intp)


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Any:
    """``numpy.interp``: the piecewise-linear interpolant through ``(xp, fp)`` (``xp``
    increasing) at ``x``; ``left`` / ``right`` (default ``fp[0]`` / ``fp[-1]``) outside.
    Differentiable in ``x``, ``xp`` and ``fp`` (as JAX's); the result is float64 (complex128
    for complex ``fp``, each part interpolated), as NumPy's.

    >>> interp(np.array([0.5, 2.0]), np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 6.0]))
    array([1., 4.])
    """
    x, xp, fp = as_operand(x), as_operand(xp), as_operand(fp)
    refuse_complex("interp", x, "x may not be complex")
    refuse_complex("interp", xp, "xp may not be complex")
    if aval(fp).dtype.kind == "c":
        parts = [interp(x, xp, part(fp), None if end is None else part(end),
                        None if end2 is None else part(end2), period)
                 for part, end, end2 in ((real, left, right), (imag, left, right))]
        return ew.make_complex(*parts)
    if aval(xp).ndim != 1 or aval(fp).ndim != 1:
        raise ValueError("interp: data points must be 1-D sequences")
    if aval(xp).shape != aval(fp).shape:
        raise ValueError("interp: fp and xp are not of the same length.")
    if aval(xp).size == 0:
        raise ValueError("interp: array of sample points is empty")
    f64 = np.dtype(np.float64)
    x, xp, fp = convert(x, f64), convert(xp, f64), convert(fp, f64)
    if period is not None:
        if period == 0:
            raise ValueError("interp: period must be a non-zero value")
        period = abs(period)
        left = right = None
        x, xp = remainder(x, period), remainder(xp, period)
        order = argsort(xp)
        xp, fp = take(xp, order), take(fp, order)
        xp = concatenate([subtract(xp[-1:], period), xp, add(xp[0:1], period)])
        fp = concatenate([fp[-1:], fp, fp[0:1]])
    n = aval(xp).size
    if n == 1:
        inside = broadcast_to_shape(fp, aval(x).shape) if aval(x).ndim else reshape(fp, ())
    else:
        # The interval [xp[j], xp[j + 1]] holding x, and NumPy's slope formula on it.
        above_count = searchsorted(xp, x, side="right")
        j = where(less(above_count, 1), 1, where(greater(above_count, n - 1), n - 1,
                                                 above_count))
        x0, x1 = take(xp, subtract(j, 1)), take(xp, j)
        f0, f1 = take(fp, subtract(j, 1)), take(fp, j)
        dx = subtract(x1, x0)
        flat = equal(dx, 0)
        slope = where(flat, 0.0, true_divide(subtract(f1, f0), where(flat, 1.0, dx)))
        inside = add(multiply(slope, subtract(x, x0)), f0)
        inside = where(equal(x, xp[-1]), fp[-1], inside)
    below = fp[0] if left is None else convert(as_operand(left), f64)
    above = fp[-1] if right is None else convert(as_operand(right), f64)
    out = where(less(x, xp[0]), below, where(greater(x, xp[-1]), above, inside))
    return where(isnan(x), x, out)
