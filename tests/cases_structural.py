"""The structural primitives' rows of the primitive table (format: ``tests/cases.py``).

Indexing (concatenate, slice, rev, pad, dynamic_slice, dynamic_update_slice, gather,
scatter_add, scatter), products and scans (reduce_prod, cumsum, cumprod), and the integer
valued argmax, argmin, argsort; each at the binder level and through the ``functrace.numpy``
functions that lower to it.  References are NumPy, written independently of the impls
(``pad`` by stacking and ``np.pad``, ``scatter`` by a Python loop).

Use the rows through ``cases.ALL_CASES``: ``cases`` imports this module at its end (importing
this one first would be a circular import).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from cases import (
    BOOL,
    FLOATS,
    I32,
    I64,
    NUMERIC,
    Case,
    Sample,
    distinct,
    shape,
    subset,
    uniform,
)

import functrace.numpy as fnp
from functrace.primitives import indexing as ix
from functrace.primitives import reductions as red

Make = Callable[[np.random.Generator, np.dtype[Any]], Sample]
ALL_DTYPES = (*NUMERIC, BOOL)


def _index(rng: np.random.Generator, n: int, shp: tuple[int, ...] = (),
           dtype: Any = I64) -> np.ndarray:
    """Integer indices in [0, n) (an array of shape ``shp``)."""
    return rng.integers(0, n, size=shp).astype(dtype)


# -- concatenate --------------------------------------------------------------------------------


def concatenate_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    base = shape(rng, min_rank=1, max_rank=3)
    dim = int(rng.integers(0, len(base)))
    args = []
    for _ in range(int(rng.integers(1, 4))):
        s = list(base)
        s[dim] = int(rng.integers(0, 3))  # empty operands too
        args.append(uniform(rng, tuple(s), dtype))
    return Sample(tuple(args), {"dimension": dim})


def fnp_stack_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    s = shape(rng)
    k = int(rng.integers(2, 4))
    return Sample(tuple(uniform(rng, s, dtype) for _ in range(k)),
                  {"axis": int(rng.integers(-len(s) - 1, len(s) + 1))})


# -- slice and rev ------------------------------------------------------------------------------


def slice_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, max_rank=3, min_dim=0, max_dim=5)
    starts, limits, strides = [], [], []
    for n in x_shape:
        lo = int(rng.integers(0, n + 1))
        starts.append(lo)
        limits.append(int(rng.integers(lo, n + 1)))
        strides.append(int(rng.integers(1, 4)))
    return Sample((uniform(rng, x_shape, dtype),), {
        "start_indices": tuple(starts), "limit_indices": tuple(limits), "strides": tuple(strides)})


def slice_ref(x: np.ndarray, start_indices: tuple[int, ...], limit_indices: tuple[int, ...],
              strides: tuple[int, ...]) -> np.ndarray:
    return x[tuple(slice(*b) for b in zip(start_indices, limit_indices, strides, strict=True))]


def basic_index_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """A NumPy basic index: ints (negative too), slices with any step, None and ``...``."""
    x_shape = shape(rng, min_rank=1, max_rank=3, min_dim=1, max_dim=5)
    x_shape = (*x_shape[:-1], max(x_shape[-1], 2))  # the int on it is not the whole axis
    items: list[Any] = []
    for d, n in enumerate(x_shape):
        kind = rng.integers(0, 3)
        if kind == 0 or d == len(x_shape) - 1:  # one int at least: a slice equation
            items.append(int(rng.integers(-n, n)))
        else:
            bounds = [None if rng.random() < 0.3 else int(rng.integers(-n - 1, n + 2))
                      for _ in range(2)]
            step = int(rng.choice([-3, -2, -1, 1, 2, 3])) if rng.random() < 0.7 else None
            items.append(slice(bounds[0], bounds[1], step))
    if len(items) > 1 and rng.random() < 0.4:  # a run of items (not the last) becomes ...
        k = int(rng.integers(0, len(items) - 1))
        items[k:min(k + int(rng.integers(0, 3)), len(items) - 1)] = [Ellipsis]
    # New axes go in last, so that the int on the last axis (the slice) always stays.
    for _ in range(int(rng.integers(0, 2))):
        items.insert(int(rng.integers(0, len(items) + 1)), None)
    return Sample((uniform(rng, x_shape, dtype),), {"index": tuple(items)})


def getitem_ref(x: np.ndarray, *indices: np.ndarray, index: tuple[Any, ...]) -> np.ndarray:
    return np.asarray(x[_fill(index, indices)])


def _fill(index: tuple[Any, ...], arrays: tuple[Any, ...]) -> tuple[Any, ...]:
    """``index`` with its placeholders ``"i0"``, ``"i1"``... replaced by ``arrays``."""
    return tuple(arrays[int(item[1:])] if isinstance(item, str) else item for item in index)


def fnp_getitem(x: Any, *indices: Any, index: tuple[Any, ...]) -> Any:
    return fnp.getitem(x, _fill(index, indices))


def rev_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, max_rank=3, min_dim=0)
    return Sample((uniform(rng, x_shape, dtype),), {"dimensions": subset(rng, len(x_shape))})


# -- pad ----------------------------------------------------------------------------------------


def pad_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, max_rank=3, min_dim=0)
    config = []
    for n in x_shape:
        interior = int(rng.integers(0, 3))
        size = n + max(n - 1, 0) * interior
        lo = int(rng.integers(-min(size, 2), 3))
        hi = int(rng.integers(-min(size + lo, 2) if size + lo > 0 else 0, 3))
        config.append((lo, hi, interior))
    return Sample((uniform(rng, x_shape, dtype), uniform(rng, (), dtype)),
                  {"padding_config": tuple(config)})


def pad_ref(x: np.ndarray, value: np.ndarray, padding_config: Any) -> np.ndarray:
    """lax.pad with NumPy: interior padding by stacking, edges by np.pad or slicing."""
    for axis, (lo, hi, interior) in enumerate(padding_config):
        n = x.shape[axis]
        if interior and n > 1:
            moved = np.moveaxis(x, axis, -1)
            filler = np.full(moved.shape + (interior,), value, x.dtype)
            spread = np.concatenate([moved[..., None], filler], axis=-1)
            spread = spread.reshape(moved.shape[:-1] + (n * (interior + 1),))[..., :-interior]
            x = np.moveaxis(spread, -1, axis)
        widths = [(0, 0)] * x.ndim
        widths[axis] = (max(lo, 0), max(hi, 0))
        x = np.pad(x, widths, constant_values=value)
        stop = x.shape[axis] - max(-hi, 0)
        x = np.moveaxis(np.moveaxis(x, axis, 0)[max(-lo, 0):stop], 0, axis)
    return x


def diag_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    return Sample((uniform(rng, (int(rng.integers(0, 4)),), dtype),),
                  {"k": int(rng.integers(-2, 3))})


# -- dynamic_slice, dynamic_update_slice --------------------------------------------------------


def _starts(rng: np.random.Generator, x_shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Start indices, some out of range (they are clamped), of mixed integer dtypes."""
    return tuple(np.asarray(rng.integers(-2, n + 3), dtype=rng.choice([I64, I32]))
                 for n in x_shape)


def dynamic_slice_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, max_rank=3, max_dim=4)
    sizes = tuple(int(rng.integers(0, n + 1)) for n in x_shape)
    return Sample((uniform(rng, x_shape, dtype), *_starts(rng, x_shape)),
                  {"slice_sizes": sizes})


def _window(shp: tuple[int, ...], starts: Any, sizes: Any) -> tuple[slice, ...]:
    out = []
    for n, s, z in zip(shp, starts, sizes, strict=True):
        s = int(np.clip(s, 0, n - z))
        out.append(slice(s, s + z))
    return tuple(out)


def dynamic_slice_ref(x: np.ndarray, *starts: np.ndarray, slice_sizes: Any) -> np.ndarray:
    return x[_window(x.shape, starts, slice_sizes)]


def dynamic_update_slice_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, max_rank=3, max_dim=4)
    u_shape = tuple(int(rng.integers(0, n + 1)) for n in x_shape)
    return Sample((uniform(rng, x_shape, dtype), uniform(rng, u_shape, dtype),
                   *_starts(rng, x_shape)))


def dynamic_update_slice_ref(x: np.ndarray, update: np.ndarray, *starts: np.ndarray
                             ) -> np.ndarray:
    out = x.copy()
    out[_window(x.shape, starts, update.shape)] = update
    return out


def traced_scalar_index_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3)
    n = x_shape[0]
    return Sample((uniform(rng, x_shape, dtype), np.asarray(rng.integers(-n, n))))


# -- gather and the scatters --------------------------------------------------------------------


def gather_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3)
    k = int(rng.integers(1, len(x_shape) + 1))
    axes = tuple(int(a) for a in rng.permutation(len(x_shape))[:k])
    b_shape = shape(rng, max_rank=2, min_dim=0)
    indices = tuple(_index(rng, x_shape[a], b_shape) for a in axes)
    return Sample((uniform(rng, x_shape, dtype), *indices), {"axes": axes})


def gather_ref(x: np.ndarray, *indices: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    return np.moveaxis(x, axes, range(len(axes)))[indices]


def scatter_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    sample = gather_sample(rng, dtype)
    x, *indices = sample.args
    # Repeated positions are likely: few distinct indices for many updates.
    indices = [_index(rng, min(x.shape[a], 2), i.shape) for i, a in
               zip(indices, sample.params["axes"], strict=True)]
    updates = uniform(rng, gather_ref(x, *indices, **sample.params).shape, dtype)
    return Sample((x, updates, *indices), sample.params)


def scatter_add_ref(x: np.ndarray, updates: np.ndarray, *indices: np.ndarray,
                    axes: tuple[int, ...]) -> np.ndarray:
    out = x.copy()
    np.add.at(np.moveaxis(out, axes, range(len(axes))), indices, updates)
    return out


def combining_ref(ufunc: np.ufunc) -> Any:
    """The reference of scatter_mul/min/max: ``ufunc.at`` (repeated positions combine)."""

    def ref(x: np.ndarray, updates: np.ndarray, *indices: np.ndarray,
            axes: tuple[int, ...]) -> np.ndarray:
        out = x.copy()
        ufunc.at(np.moveaxis(out, axes, range(len(axes))), indices, updates)
        return out

    return ref


def scatter_ref(x: np.ndarray, updates: np.ndarray, *indices: np.ndarray,
                axes: tuple[int, ...]) -> np.ndarray:
    """Writes in C order of the indices, one at a time: the last repeat wins."""
    out = x.copy()
    moved = np.moveaxis(out, axes, range(len(axes)))
    for b in np.ndindex(*indices[0].shape):
        moved[tuple(int(i[b]) for i in indices)] = updates[b]
    return out


def advanced_index_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """A NumPy index mixing integer arrays ("i0", "i1": args), ints, slices, None, ``...``."""
    x_shape = shape(rng, min_rank=1, max_rank=3, max_dim=4)
    b_shape = shape(rng, min_rank=1, max_rank=2)
    items: list[Any] = []
    arrays = []
    forced = int(rng.integers(0, len(x_shape)))  # one integer array at least: a gather
    for d, n in enumerate(x_shape):
        kind = rng.integers(0, 3)
        if kind == 0 or d == forced:
            from_end = rng.random() < 0.3
            # Index arrays broadcast together (suffixes of one shape); the forced one is not
            # 0-d (a lone 0-d index is a scalar index, a dynamic_slice).
            idx = _index(rng, n, b_shape[int(rng.integers(0, len(b_shape) + (d != forced))):])
            arrays.append(idx - n if from_end else idx)
            items.append(f"i{len(arrays) - 1}")
        elif kind == 1:
            items.append(int(rng.integers(-n, n)))
        else:
            items.append(slice(None, None, int(rng.choice([-1, 1, 2]))))
    if rng.random() < 0.3:
        items.insert(int(rng.integers(0, len(items) + 1)), None)
    return Sample((uniform(rng, x_shape, dtype), *arrays), {"index": tuple(items)})


def take_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3)
    axis = int(rng.integers(0, len(x_shape)))
    # (a 0-d index would be a scalar index: a dynamic_slice, not a gather)
    idx = rng.integers(-x_shape[axis], x_shape[axis], size=shape(rng, min_rank=1, max_rank=2))
    return Sample((uniform(rng, x_shape, dtype), idx), {"axis": axis})


def take_along_axis_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3)
    axis = int(rng.integers(0, len(x_shape)))
    i_shape = [1 if rng.random() < 0.3 else n for n in x_shape]
    i_shape[axis] = int(rng.integers(0, 4))
    return Sample((uniform(rng, x_shape, dtype), _index(rng, x_shape[axis], tuple(i_shape))),
                  {"axis": axis})


def diagonal_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=2, max_rank=3)
    a1, a2 = (int(a) for a in rng.permutation(len(x_shape))[:2])
    return Sample((uniform(rng, x_shape, dtype),),
                  {"offset": int(rng.integers(-2, 3)), "axis1": a1, "axis2": a2})


_EINSUM_SPECS = [
    ("ij,jk->ik", [(2, 3), (3, 2)]), ("ij,jk", [(2, 3), (3, 1)]), ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("...i,...i->...", [(2, 3), (3,)]), ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("ijk,kj->i", [(2, 3, 2), (2, 3)]), ("i,i", [(1,), (3,)]), ("ij,kj->", [(2, 3), (1, 3)]),
]
_EINSUM_SUM_SPECS = [("ij->", [(2, 3)]), ("ijk->ki", [(2, 3, 2)]), ("i...->...", [(3, 2)])]
_EINSUM_DIAGONAL_SPECS = [("ii->i", [(3, 3)]), ("ii", [(2, 2)]), ("...ii->...i", [(2, 3, 3)]),
                          ("bii,bi->b", [(2, 3, 3), (2, 3)]), ("iij->ji", [(2, 2, 3)])]


def einsum_sample(specs: list[tuple[str, list[tuple[int, ...]]]]) -> Make:
    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        spec, shapes = specs[int(rng.integers(0, len(specs)))]
        return Sample(tuple(uniform(rng, s, dtype) for s in shapes), {"subscripts": spec})

    return make


def fnp_einsum(*operands: Any, subscripts: str) -> Any:
    return fnp.einsum(subscripts, *operands)


def np_einsum(*operands: Any, subscripts: str) -> Any:
    return np.einsum(subscripts, *operands).astype(np.result_type(*operands))


# -- products, scans, arg-reductions ------------------------------------------------------------


def with_zeros(rng: np.random.Generator, shp: tuple[int, ...], dtype: np.dtype[Any]
               ) -> np.ndarray:
    """Values in [-1.5, 1.5] with about a third exactly zero (products' derivative there)."""
    x = uniform(rng, shp, dtype, -1.5, 1.5)
    return np.where(rng.random(shp) < 0.3, np.zeros((), dtype), x).astype(dtype)


def axes_sample(domain: Callable[..., np.ndarray], key: str = "axes") -> Make:
    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        x_shape = shape(rng, max_rank=3)
        return Sample((domain(rng, x_shape, dtype),), {key: subset(rng, len(x_shape))})

    return make


def scan_sample(domain: Callable[..., np.ndarray]) -> Make:
    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        x_shape = shape(rng, min_rank=1, max_rank=3, max_dim=5)
        return Sample((domain(rng, x_shape, dtype),), {
            "axis": int(rng.integers(0, len(x_shape))), "reverse": bool(rng.random() < 0.5)})

    return make


def scan_ref(np_fn: Any) -> Callable[..., np.ndarray]:
    def ref(x: np.ndarray, axis: int, reverse: bool) -> np.ndarray:
        if reverse:
            return np.flip(np_fn(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
        return np_fn(x, axis=axis, dtype=x.dtype)

    return ref


def fnp_axis_sample(domain: Callable[..., np.ndarray], keepdims: bool = False) -> Make:
    """An array and an ``axis`` of NumPy's kind: an int (negative too) or None."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        x_shape = shape(rng, min_rank=1, max_rank=3)
        axis = None if rng.random() < 0.3 else int(rng.integers(-len(x_shape), len(x_shape)))
        params: dict[str, Any] = {"axis": axis}
        if keepdims:
            params["keepdims"] = bool(rng.random() < 0.5)
        return Sample((domain(rng, x_shape, dtype),), params)

    return make


def arg_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3)
    return Sample((distinct(rng, x_shape, dtype),), {"axis": int(rng.integers(0, len(x_shape)))})


def argsort_ref(x: np.ndarray, axis: int) -> np.ndarray:
    return np.argsort(x, axis=axis, kind="stable")


def fnp_prod_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3)
    axis = subset(rng, len(x_shape), min_size=1)
    return Sample((with_zeros(rng, x_shape, dtype),),
                  {"axis": axis if rng.random() < 0.7 else None,
                   "keepdims": bool(rng.random() < 0.5)})


# -- joining, splitting, repeating --------------------------------------------------------------


def split_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3, max_dim=5)
    axis = int(rng.integers(0, len(x_shape)))
    n = x_shape[axis]
    cuts: Any = (int(rng.integers(1, n + 1)) if rng.random() < 0.5
                 else tuple(int(c) for c in rng.integers(-n, n + 2, size=int(rng.integers(1, 3)))))
    return Sample((uniform(rng, x_shape, dtype),), {"indices_or_sections": cuts, "axis": axis})


def roll_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """A shift that moves something (not a multiple of the length), negative or beyond n."""
    x_shape = list(shape(rng, min_rank=1, max_rank=3, max_dim=4))
    axis: Any = int(rng.integers(0, len(x_shape)))
    x_shape[axis] = max(x_shape[axis], 2)
    n = x_shape[axis]
    if rng.random() < 0.3:
        axis, n = None, int(np.prod(x_shape))
    shift = int(rng.integers(1, n)) + n * int(rng.integers(-1, 2))
    return Sample((uniform(rng, tuple(x_shape), dtype),), {"shift": shift, "axis": axis})


def tile_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, max_rank=2)
    reps = tuple(int(r) for r in rng.integers(1, 3, size=int(rng.integers(1, 4))))
    if all(r == 1 for r in reps):
        reps = (*reps[:-1], 2)
    return Sample((uniform(rng, x_shape, dtype),), {"reps": reps})


def repeat_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=2)
    axis = int(rng.integers(0, len(x_shape)))
    return Sample((uniform(rng, x_shape, dtype),), {
        "repeats": tuple(int(r) for r in rng.integers(0, 3, size=x_shape[axis])), "axis": axis})


def _listed(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(list_of_args, **params)`` called as ``fn(*args, **params)`` (table form)."""
    return lambda *xs, **params: fn(list(xs), **params)


STRUCTURAL_CASES: list[Case] = [
    # -- joining --
    Case("concatenate", lambda *xs, dimension: ix.concatenate(xs, dimension),
         lambda *xs, dimension: np.concatenate(xs, axis=dimension), concatenate_sample,
         dtypes=ALL_DTYPES),
    Case("concatenate", _listed(fnp.stack), _listed(np.stack), fnp_stack_sample,
         label="fnp.stack"),
    Case("concatenate", lambda x, shift, axis: fnp.roll(x, shift, axis),
         lambda x, shift, axis: np.roll(x, shift, axis), roll_sample, dtypes=(*FLOATS, I32),
         label="fnp.roll"),
    # -- static windows --
    Case("slice", ix.static_slice, slice_ref, slice_sample, dtypes=ALL_DTYPES),
    Case("slice", fnp_getitem, getitem_ref, basic_index_sample, dtypes=(*FLOATS, I64),
         label="x[basic index]"),
    Case("slice", lambda x, indices_or_sections, axis: fnp.array_split(x, indices_or_sections,
                                                                     axis),
         lambda x, indices_or_sections, axis: np.array_split(x, indices_or_sections, axis),
         split_sample, label="fnp.array_split"),
    Case("rev", ix.rev, lambda x, dimensions: np.flip(x, dimensions), rev_sample,
         dtypes=ALL_DTYPES),
    Case("rev", lambda x, axis: fnp.flip(x, axis), lambda x, axis: np.flip(x, axis),
         fnp_axis_sample(uniform), label="fnp.flip"),
    Case("pad", ix.pad, pad_ref, pad_sample, dtypes=ALL_DTYPES),
    Case("pad", fnp.diag, np.diag, diag_sample, dtypes=(*FLOATS, I64), label="fnp.diag"),
    # -- dynamic windows --
    Case("dynamic_slice", lambda x, *starts, slice_sizes: ix.dynamic_slice(x, starts,
                                                                           slice_sizes),
         dynamic_slice_ref, dynamic_slice_sample, dtypes=ALL_DTYPES),
    Case("dynamic_slice", fnp.getitem, lambda x, i: x[int(i)], traced_scalar_index_sample,
         label="x[traced int]"),
    Case("dynamic_update_slice", lambda x, update, *starts: ix.dynamic_update_slice(
        x, update, starts), dynamic_update_slice_ref, dynamic_update_slice_sample,
         dtypes=ALL_DTYPES),
    # -- integer-array indexing --
    Case("gather", lambda x, *indices, axes: ix.gather(x, indices, axes), gather_ref,
         gather_sample, dtypes=ALL_DTYPES),
    Case("gather", fnp_getitem, getitem_ref, advanced_index_sample, dtypes=(*FLOATS, I64),
         label="x[advanced index]"),
    Case("gather", lambda x, i, axis: fnp.take(x, i, axis),
         lambda x, i, axis: np.take(x, i, axis), take_sample, label="fnp.take"),
    Case("gather", lambda x, i, axis: fnp.take_along_axis(x, i, axis),
         lambda x, i, axis: np.take_along_axis(x, i, axis), take_along_axis_sample,
         label="fnp.take_along_axis"),
    Case("gather", lambda x, offset, axis1, axis2: fnp.diagonal(x, offset, axis1, axis2),
         lambda x, offset, axis1, axis2: np.diagonal(x, offset, axis1, axis2),
         diagonal_sample, dtypes=(*FLOATS, I64), label="fnp.diagonal"),
    Case("gather", lambda x, offset, axis1, axis2: fnp.trace(x, offset, axis1, axis2),
         lambda x, offset, axis1, axis2: np.trace(x, offset, axis1, axis2), diagonal_sample,
         dtypes=(*FLOATS, I32), label="fnp.trace"),
    Case("gather", fnp_einsum, np_einsum, einsum_sample(_EINSUM_DIAGONAL_SPECS),
         label="fnp.einsum diagonal"),
    Case("gather", lambda x, repeats, axis: fnp.repeat(x, list(repeats), axis),
         lambda x, repeats, axis: np.repeat(x, list(repeats), axis), repeat_sample,
         label="fnp.repeat"),
    Case("scatter_add", lambda x, u, *indices, axes: ix.scatter_add(x, u, indices, axes),
         scatter_add_ref, scatter_sample, dtypes=NUMERIC),
    Case("scatter", lambda x, u, *indices, axes: ix.scatter(x, u, indices, axes), scatter_ref,
         scatter_sample, dtypes=ALL_DTYPES),
    Case("scatter_mul", lambda x, u, *indices, axes: ix.scatter_mul(x, u, indices, axes),
         combining_ref(np.multiply), scatter_sample, dtypes=NUMERIC,
         tol={"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}),
    Case("scatter_min", lambda x, u, *indices, axes: ix.scatter_min(x, u, indices, axes),
         combining_ref(np.minimum), scatter_sample, dtypes=NUMERIC),
    Case("scatter_max", lambda x, u, *indices, axes: ix.scatter_max(x, u, indices, axes),
         combining_ref(np.maximum), scatter_sample, dtypes=NUMERIC),
    Case("dot_general", fnp_einsum, np_einsum, einsum_sample(_EINSUM_SPECS), dtypes=NUMERIC,
         label="fnp.einsum", tol={"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}),
    Case("reduce_sum", fnp_einsum, np_einsum, einsum_sample(_EINSUM_SUM_SPECS), dtypes=NUMERIC,
         label="fnp.einsum one operand",
         tol={"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}),
    Case("broadcast_in_dim", lambda x, reps: fnp.tile(x, reps),
         lambda x, reps: np.tile(x, reps), tile_sample, dtypes=(*FLOATS, I64),
         label="fnp.tile"),
    # -- products and scans --
    Case("reduce_prod", red.reduce_prod, lambda x, axes: np.prod(x, axis=axes, dtype=x.dtype),
         axes_sample(with_zeros), dtypes=NUMERIC,
         tol={"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}),
    Case("reduce_prod", fnp.prod, np.prod, fnp_prod_sample, dtypes=(*NUMERIC, BOOL),
         label="fnp.prod", tol={"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}),
    Case("cumsum", red.cumsum, scan_ref(np.cumsum), scan_sample(uniform), dtypes=NUMERIC,
         tol={"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}),
    Case("cumsum", fnp.cumsum, np.cumsum, fnp_axis_sample(uniform), dtypes=(*NUMERIC, BOOL),
         label="fnp.cumsum", tol={"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}),
    Case("cumprod", red.cumprod, scan_ref(np.cumprod), scan_sample(with_zeros), dtypes=NUMERIC,
         tol={"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}),
    Case("cumprod", fnp.cumprod, np.cumprod, fnp_axis_sample(with_zeros), dtypes=NUMERIC,
         label="fnp.cumprod", tol={"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}),
    # -- integer results --
    Case("argmax", red.argmax, np.argmax, arg_sample, dtypes=NUMERIC, differentiable=False),
    Case("argmin", red.argmin, np.argmin, arg_sample, dtypes=NUMERIC, differentiable=False),
    Case("argmax", fnp.argmax, np.argmax, fnp_axis_sample(distinct, keepdims=True),
         dtypes=NUMERIC, differentiable=False, label="fnp.argmax"),
    Case("argmin", fnp.argmin, np.argmin, fnp_axis_sample(distinct, keepdims=True),
         dtypes=NUMERIC, differentiable=False, label="fnp.argmin"),
    Case("argsort", red.argsort, argsort_ref, arg_sample, dtypes=NUMERIC, differentiable=False),
    # sort = a gather by argsort: differentiable along the permutation (distinct values).
    Case("argsort", fnp.sort, np.sort, fnp_axis_sample(distinct), dtypes=NUMERIC,
         label="fnp.sort"),
]
