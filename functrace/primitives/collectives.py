"""Collectives over named batch axes: ``psum``, ``pmax``, ``pmin``, ``all_gather`` and
``axis_index``, as in JAX.

``vmap(f, axis_name="i")`` names its batch axis; inside ``f``, ``psum(x, "i")`` is the sum of
``x`` over the members of that batch (the same value for every member), ``all_gather(x, "i")``
stacks every member's ``x``, ``axis_index("i")`` is the member's position.  Each is an
equation whose ``axes`` param names the axes it reduces over.  The ``vmap`` that owns a name
carries it out with the collective's rule in ``collective_rules`` (called for every equation
of the primitive, batched or not: the sum of an unbatched value over ``n`` members is ``n``
times it); a name owned by an enclosing ``vmap`` is passed on by binding the same equation on
the batched values.  Outside any ``vmap`` naming it, a name is unbound: ``NameError``, as JAX's.

The sizes of the named axes, which ``all_gather``'s result type needs, come from
:func:`axis_frame`, which ``vmap`` enters while it traces and batches.  The primitives are
*effectful* (``Primitive.effectful``), so that no trace computes them before the batching
that gives them a meaning, and no ``jit`` pass folds them.

Derivatives: ``psum`` is linear, its own transpose (each member's input reaches every
member's output); ``all_gather``'s transpose sums the cotangents over the members and gives
each member its own slice.  ``pmax``, ``pmin`` and ``axis_index`` have no derivative.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters.jvp import deflinear_jvp, jvp_rules
from functrace.interpreters.vjp import vjp_rules
from functrace.interpreters.vmap import batch_rules, collective_rules
from functrace.primitives.elementwise import mul
from functrace.primitives.indexing import INDEX_DTYPE, dynamic_slice
from functrace.primitives.linalg import dot_general
from functrace.primitives.reductions import reduce_max, reduce_min
from functrace.primitives.shape import broadcast_in_dim, moveaxis, reduce_sum, shape_of, squeeze

Axes = tuple[Hashable, ...]

class _AxisEnv(threading.local):
    """The named axes of the enclosing vmaps, innermost last: (name, size); one list per
    thread, as the current trace is."""

    def __init__(self) -> None:
        self.pairs: list[tuple[Hashable, int]] = []


_env = _AxisEnv()


@contextmanager
def axis_frame(name: Hashable | None, size: int) -> Iterator[None]:
    """Name a batch axis of ``size`` members for the duration of the block (no-op for None)."""
    if name is None:
        yield
        return
    _env.pairs.append((name, size))
    try:
        yield
    finally:
        _env.pairs.pop()


def axis_size(name: Hashable) -> int:
    """The size of the named axis of the innermost enclosing ``vmap`` that names it."""
    for bound, size in reversed(_env.pairs):
        if bound == name:
            return size
    raise NameError(f"unbound axis name: {name!r}. Collectives (psum, pmean, all_gather, "
                    "axis_index, ...) name the batch axis of an enclosing "
                    "vmap(..., axis_name=...).")


def normalize_axes(axis_name: Any) -> Axes:
    names = tuple(axis_name) if isinstance(axis_name, (tuple, list)) else (axis_name,)
    for name in names:
        axis_size(name)  # raises for an unbound name
    return names


def _unbound(prim: str) -> Any:
    def impl(*args: Any, axes: Axes, **params: Any) -> Any:
        axis_size(axes[0])  # raises
        raise NameError(f"{prim}: the axis {axes[0]!r} has no vmap to carry it out.")

    return impl


def _same_type(x: ShapedArray, *, axes: Axes) -> list[ShapedArray]:
    for name in axes:
        axis_size(name)
    return [x]


def _split(axes: Axes, name: Hashable | None) -> tuple[bool, Axes]:
    """Whether ``axes`` names ``name``, and the other names."""
    return name in axes, tuple(a for a in axes if a != name)


# -- psum, pmax, pmin ----------------------------------------------------------------------------

psum_p = Primitive("psum", effectful=True)
pmax_p = Primitive("pmax", effectful=True)
pmin_p = Primitive("pmin", effectful=True)


def psum(x: Any, axes: Axes) -> Any:
    return psum_p.bind1(x, axes=axes)


def _reducer(prim: Primitive, reduce: Any, unbatched: Any) -> None:
    def rule(name: Hashable | None, size: int, args: list[Any], bdims: list[int | None], *,
             axes: Axes) -> tuple[list[Any], list[int | None]]:
        (x,), (d,) = args, bdims
        mine, rest = _split(axes, name)
        if mine:
            x = unbatched(x, size) if d is None else reduce(x, (d,))
            d = None
        if rest:
            x = prim.bind1(x, axes=rest)
        return [x], [d]

    prim.impl = _unbound(prim.name)
    prim.shape_rule = _same_type
    collective_rules[prim] = rule


_reducer(psum_p, reduce_sum,
         lambda x, n: mul(x, np.asarray(n, dtype=get_aval(x).dtype)))
_reducer(pmax_p, reduce_max, lambda x, n: x)
_reducer(pmin_p, reduce_min, lambda x, n: x)
deflinear_jvp(psum_p)
vjp_rules[psum_p] = lambda cts, ans, args, needed, *, axes: [psum(cts[0], axes)]


def _no_derivative(name: str) -> Any:
    def rule(*args: Any, **params: Any) -> Any:
        raise NotImplementedError(f"{name} has no derivative (as in JAX).")

    return rule


for _p in (pmax_p, pmin_p):
    jvp_rules[_p] = _no_derivative(_p.name)
    vjp_rules[_p] = _no_derivative(_p.name)

def _one_axis_size(name: str, verb: str, axes: Axes) -> int:
    """The size of the one named axis of a collective that takes one name only."""
    if len(axes) != 1:
        raise NotImplementedError(f"{name} over several axis names {axes} is not supported: "
                                  f"{verb} over one name at a time.")
    return axis_size(axes[0])


# -- all_gather ------------------------------------------------------------------------------------

all_gather_p = Primitive("all_gather", effectful=True)


def all_gather(x: Any, axes: Axes, axis: int) -> Any:
    return all_gather_p.bind1(x, axes=axes, axis=axis)


def _all_gather_shape(x: ShapedArray, *, axes: Axes, axis: int) -> list[ShapedArray]:
    n = _one_axis_size("all_gather", "gather", axes)
    if not 0 <= axis <= x.ndim:
        raise ValueError(f"all_gather: axis {axis} is out of range for an operand of rank "
                         f"{x.ndim}.")
    return [ShapedArray(x.shape[:axis] + (n,) + x.shape[axis:], x.dtype)]


def _all_gather_rule(name: Hashable | None, size: int, args: list[Any],
                     bdims: list[int | None], *, axes: Axes, axis: int
                     ) -> tuple[list[Any], list[int | None]]:
    (x,), (d,) = args, bdims
    mine = name in axes
    if d is not None:
        x = moveaxis(x, d, 0)  # the batch axis first, the gathered one after it
    if mine:
        if d is None:
            shape = shape_of(x)
            x = broadcast_in_dim(x, shape[:axis] + (size,) + shape[axis:],
                                 tuple(i for i in range(len(shape) + 1) if i != axis))
        else:
            x = moveaxis(x, 0, axis)
        return [x], [None]
    return [all_gather(x, axes, axis + (0 if d is None else 1))], [None if d is None else 0]


def _all_gather_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
                    axes: Axes, axis: int) -> list[Any]:
    # Member k's input is slice k of every member's output: its cotangent is slice k of the
    # sum of the cotangents over the members.
    total = psum(cts[0], axes)
    shape = shape_of(total)
    start = [np.zeros((), INDEX_DTYPE)] * len(shape)
    start[axis] = axis_index(axes)
    sizes = list(shape)
    sizes[axis] = 1
    return [squeeze(dynamic_slice(total, start, sizes), (axis,))]


all_gather_p.impl = _unbound("all_gather")
all_gather_p.shape_rule = _all_gather_shape
collective_rules[all_gather_p] = _all_gather_rule
deflinear_jvp(all_gather_p)
vjp_rules[all_gather_p] = _all_gather_vjp

# -- axis_index ------------------------------------------------------------------------------------

axis_index_p = Primitive("axis_index", effectful=True)


def axis_index(axes: Axes) -> Any:
    """The member's position along ``axes`` (several names: row-major over them)."""
    return axis_index_p.bind1(axes=axes)


def _axis_index_rule(name: Hashable | None, size: int, args: list[Any],
                     bdims: list[int | None], *, axes: Axes) -> tuple[list[Any], list[int | None]]:
    mine, rest = _split(axes, name)
    if not mine:
        return [axis_index(axes)], [None]
    # Row-major over the names in ``axes``: each axis' index times the sizes after it (the
    # other names' indices come from their own vmaps, one name at a time).
    strides = {a: math.prod(axis_size(b) for b in axes[k + 1:]) for k, a in enumerate(axes)}
    index = mul(np.arange(size, dtype=INDEX_DTYPE), np.asarray(strides[name], INDEX_DTYPE))
    for other in rest:
        part = mul(axis_index((other,)), np.asarray(strides[other], INDEX_DTYPE))
        index = index + broadcast_in_dim(part, (size,), ())
    return [index], [0]


def _axis_index_shape(*, axes: Axes) -> list[ShapedArray]:
    for name in axes:
        axis_size(name)
    return [ShapedArray((), np.dtype(INDEX_DTYPE))]


axis_index_p.impl = _unbound("axis_index")
axis_index_p.shape_rule = _axis_index_shape
collective_rules[axis_index_p] = _axis_index_rule
jvp_rules[axis_index_p] = lambda primals, tangents, ans, **params: [None]
vjp_rules[axis_index_p] = lambda cts, ans, args, needed, **params: []

# -- ppermute ------------------------------------------------------------------------------------

ppermute_p = Primitive("ppermute", effectful=True)
Perm = tuple[tuple[int, int], ...]


def ppermute(x: Any, axes: Axes, perm: Perm) -> Any:
    """Member ``dst`` receives member ``src``'s ``x`` for each ``(src, dst)`` of ``perm``;
    a member that receives nothing gets zeros (JAX's ``ppermute``)."""
    return ppermute_p.bind1(x, axes=axes, perm=perm)


def _ppermute_shape(x: ShapedArray, *, axes: Axes, perm: Perm) -> list[ShapedArray]:
    n = _one_axis_size("ppermute", "permute", axes)
    srcs, dsts = [s for s, _ in perm], [d for _, d in perm]
    if (len(set(srcs)) != len(srcs) or len(set(dsts)) != len(dsts)
            or not all(0 <= i < n for i in (*srcs, *dsts))):
        raise ValueError(f"ppermute: perm must be (source, destination) pairs of distinct "
                         f"members of the axis {axes[0]!r} (of size {n}), got {perm}.")
    return [x]


def _ppermute_rule(name: Hashable | None, size: int, args: list[Any], bdims: list[int | None],
                   *, axes: Axes, perm: Perm) -> tuple[list[Any], list[int | None]]:
    (x,), (d,) = args, bdims
    if name not in axes:
        return [ppermute(x, axes, perm)], [d]
    x = moveaxis(x, d, 0) if d is not None else broadcast_in_dim(
        x, (size, *shape_of(x)), tuple(range(1, len(shape_of(x)) + 1)))
    # One product with the permutation matrix: linear, so its derivatives come for free.
    matrix = np.zeros((size, size), get_aval(x).dtype)
    for src, dst in perm:
        matrix[dst, src] = 1
    return [dot_general(matrix, x, (((1,), (0,)), ((), ())))], [0]


ppermute_p.impl = _unbound("ppermute")
ppermute_p.shape_rule = _ppermute_shape
collective_rules[ppermute_p] = _ppermute_rule
deflinear_jvp(ppermute_p)
# Its transpose sends each cotangent back: the inverse permutation.
vjp_rules[ppermute_p] = lambda cts, ans, args, needed, *, axes, perm: [
    ppermute(cts[0], axes, tuple((dst, src) for src, dst in perm))]

# The vmap interpreter calls ``collective_rules`` for these; as plain batching rules they batch
# along an unnamed axis (the names they reduce over belong to enclosing vmaps).
for _p in (psum_p, pmax_p, pmin_p, all_gather_p, axis_index_p, ppermute_p):
    batch_rules[_p] = (lambda rule: lambda size, args, bdims, **params:
                       rule(None, size, args, bdims, **params))(collective_rules[_p])
