"""The primitive table: one row per primitive (or per way of reaching one), fed to every check.

``tests/test_primitives.py`` crosses this table with the checks (eager value and dtype against
NumPy, ``make_jaxpr`` + ``eval_jaxpr``, ``check_grads`` to second order in float64 and float32,
``vmap`` against a Python loop, traceability of the rules) and checks that every primitive
defined in ``functrace.primitives`` has a row here.

Row format (:class:`Case`)
--------------------------

``Case(name, fn, ref, make, dtypes=FLOATS, differentiable=True, label="", tol=None,
grad_tol=None, nondiff_argnums=(), vmappable=True)``

* ``name``: the ``Primitive.name`` the row exercises.  The checks assert that the traced jaxpr
  of ``fn`` contains an equation of that primitive, so a row cannot silently test something
  else.  Several rows may share a name (binder-level and ``functrace.numpy``-level, say): give
  them different ``label`` s.
* ``fn``: the functrace function: a binder (``functrace.primitives.elementwise.sin``) or a
  ``functrace.numpy`` function.  Called as ``fn(*sample.args, **sample.params)``.
* ``ref``: the NumPy reference, called the same way.  Its result (an array, or a tuple of
  arrays for a multi-output primitive) must match ``fn``'s in value, shape and dtype.
* ``make(rng, dtype) -> Sample``: draws one set of arguments of ``dtype`` (from a
  ``np.random.Generator`` seeded by hypothesis).  ``Sample(args, params)``: ``args`` is a tuple
  of NumPy arrays (0-d arrays for scalars; never Python numbers, so that every arg can be
  batched by ``vmap``): the data, which is differentiated and batched.  ``params`` is a dict of
  static keyword arguments (axes, shapes, permutations...), shared by every example of a batch.
  ``make`` is where shapes and the domain restriction live: draw shapes with :func:`shape`
  (including 0-d) and, for NumPy-level functions that broadcast, :func:`broadcastable`;
  keep arguments where the function is smooth (``log`` needs x > 0, ``abs`` |x| >= 0.1,
  ``max`` no ties: see :func:`uniform`, :func:`away_from_zero`, :func:`distinct`).
  The domain restriction must be *elementwise* (any value of the array may sit anywhere in it):
  the vmap checks build batches by permuting the values of a sample.
* ``dtypes``: the dtypes to test (``FLOATS`` = float64, float32; add ints/bool where the
  primitive is meaningful on them).  ``make`` receives each in turn; an argument that is
  always an integer (an index) or boolean (a predicate) ignores ``dtype``.
* ``differentiable``: False for primitives whose output is not floating point or whose
  derivative is not the numerical one by design (``stop_gradient``).  Derivative checks run on
  the floating-point dtypes of ``dtypes`` only, w.r.t. the floating-point args that are not in
  ``nondiff_argnums``.
* ``tol``: ``{dtype_name: (atol, rtol)}`` for value checks (default: exact up to a few ulps,
  see ``VALUE_TOL``).  ``grad_tol``: the same for ``check_grads`` (default ``GRAD_TOL``).
* ``vmappable``: False to leave the row out of the batching checks (say why in a comment).

Adding a primitive: add its row(s) to ``CASES`` (or to ``tests/cases_structural.py``'s
``STRUCTURAL_CASES``, same format); ``ALL_CASES`` is what the tests iterate over.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

import functrace as ft
import functrace.numpy as fnp
from functrace import lax
from functrace.primitives import elementwise as ew
from functrace.primitives import linalg as la
from functrace.primitives import reductions as red
from functrace.primitives import shape as sh

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
I64, I32 = np.dtype(np.int64), np.dtype(np.int32)
BOOL = np.dtype(bool)
FLOATS = (F64, F32)
NUMERIC = (F64, F32, I64, I32)
INTS = (I64, I32)

# Default tolerances, by dtype name: (atol, rtol).
VALUE_TOL = {"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}
GRAD_TOL = {"float64": (1e-5, 1e-5), "float32": (3e-2, 3e-2)}

Tol = dict[str, tuple[float, float]]


class Sample(NamedTuple):
    args: tuple[np.ndarray, ...]
    params: dict[str, Any] = {}


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    make: Callable[[np.random.Generator, np.dtype[Any]], Sample]
    dtypes: tuple[np.dtype[Any], ...] = FLOATS
    differentiable: bool = True
    label: str = ""
    tol: Tol | None = None
    grad_tol: Tol | None = None
    nondiff_argnums: tuple[int, ...] = ()
    vmappable: bool = True

    @property
    def id(self) -> str:
        return f"{self.name}[{self.label}]" if self.label else self.name

    def value_tol(self, dtype: np.dtype[Any]) -> tuple[float, float]:
        return {**VALUE_TOL, **(self.tol or {})}.get(np.dtype(dtype).name, (0.0, 0.0))

    def derivative_tol(self, dtype: np.dtype[Any]) -> tuple[float, float]:
        return {**GRAD_TOL, **(self.grad_tol or {})}[np.dtype(dtype).name]


# ---------------------------------------------------------------------------------------------
# Shapes and values


def shape(rng: np.random.Generator, min_rank: int = 0, max_rank: int = 3, min_dim: int = 1,
          max_dim: int = 3) -> tuple[int, ...]:
    """A random shape; rank 0 (a scalar) is drawn as often as any other rank."""
    rank = int(rng.integers(min_rank, max_rank + 1))
    return tuple(int(n) for n in rng.integers(min_dim, max_dim + 1, size=rank))


def broadcastable(rng: np.random.Generator, target: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts against ``target``: drop some leading axes, set some to 1."""
    lead = int(rng.integers(0, len(target) + 1))
    return tuple(1 if rng.random() < 0.4 else n for n in target[lead:])


def broadcast_pair(rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast together, in random order (either may be 0-d)."""
    s = shape(rng)
    t = broadcastable(rng, s)
    return (s, t) if rng.random() < 0.5 else (t, s)


def uniform(rng: np.random.Generator, shp: tuple[int, ...], dtype: np.dtype[Any],
            lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
    """Values in [lo, hi] (integers in [lo, hi] for integer dtypes, random bits for bool)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.asarray(rng.random(shp) < 0.5)  # (a 0-d array, not a NumPy bool, for shape ())
    if dtype.kind in "iu":
        return rng.integers(int(np.ceil(lo)), int(np.floor(hi)) + 1, size=shp).astype(dtype)
    return np.asarray(rng.uniform(lo, hi, size=shp)).astype(dtype)


def away_from_zero(rng: np.random.Generator, shp: tuple[int, ...], dtype: np.dtype[Any],
                   lo: float = 0.2, hi: float = 2.0) -> np.ndarray:
    """Values with lo <= |x| <= hi, either sign (integers: nonzero)."""
    sign = np.where(rng.random(shp) < 0.5, -1, 1)
    return (sign * uniform(rng, shp, dtype, max(lo, 1) if np.dtype(dtype).kind in "iu" else lo,
                           hi)).astype(dtype)


def distinct(rng: np.random.Generator, shp: tuple[int, ...], dtype: np.dtype[Any],
             gap: float = 0.25) -> np.ndarray:
    """Values no two of which are within ``gap`` of each other (no ties: max/min/sort)."""
    n = int(np.prod(shp, dtype=np.int64))
    vals = rng.permutation(n) - n // 2
    if np.dtype(dtype).kind == "f":
        vals = vals * gap + rng.uniform(0, gap / 4, size=n)
    return np.asarray(vals).reshape(shp).astype(dtype)


def ties(rng: np.random.Generator, shp: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
    """Small integers (as ``dtype``): comparisons see equal operands often."""
    return rng.integers(-2, 3, size=shp).astype(dtype)


def halves(rng: np.random.Generator, shp: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
    """n + 1/2: where rounding ties (NumPy rounds half to even)."""
    return (rng.integers(-4, 4, size=shp) + 0.5).astype(dtype)


def subset(rng: np.random.Generator, n: int, min_size: int = 0) -> tuple[int, ...]:
    """A sorted random subset of range(n) with at least ``min_size`` elements."""
    k = int(rng.integers(min(min_size, n), n + 1))
    return tuple(sorted(int(i) for i in rng.choice(n, size=k, replace=False)))


# ---------------------------------------------------------------------------------------------
# Generators ("make") for families of rows


def unary(domain: Callable[..., np.ndarray] = uniform, **bounds: float
          ) -> Callable[[np.random.Generator, np.dtype[Any]], Sample]:
    """One argument of a random shape from ``domain``."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        return Sample((domain(rng, shape(rng), dtype, **bounds),))

    return make


def binary(x_domain: Callable[..., np.ndarray] = uniform,
           y_domain: Callable[..., np.ndarray] = uniform, broadcast: bool = False,
           x_bounds: dict[str, float] | None = None, y_bounds: dict[str, float] | None = None
           ) -> Callable[[np.random.Generator, np.dtype[Any]], Sample]:
    """Two arguments: equal shapes (primitive level) or NumPy-broadcastable ones."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        if broadcast:
            xs, ys = broadcast_pair(rng)
        else:
            xs = ys = shape(rng)
        return Sample((x_domain(rng, xs, dtype, **(x_bounds or {})),
                       y_domain(rng, ys, dtype, **(y_bounds or {}))))

    return make


def separated(broadcast: bool = False) -> Callable[[np.random.Generator, np.dtype[Any]], Sample]:
    """(x, y) with |x - y| >= 0.2 everywhere: maximum/minimum are smooth there (no ties)."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        xs, ys = broadcast_pair(rng) if broadcast else (shape(rng),) * 2
        x = uniform(rng, xs, dtype)
        y = uniform(rng, ys, dtype)
        full = np.broadcast_shapes(xs, ys)
        gap = np.broadcast_to(y, full) - np.broadcast_to(x, full)
        if np.dtype(dtype).kind == "f" and np.any(np.abs(gap) < 0.2):
            # Push y off x: y = x +- (0.2 .. 2), elementwise (broadcasting y to x's shape).
            x = np.broadcast_to(x, full).copy()
            y = (x + away_from_zero(rng, full, dtype)).astype(dtype)
        return Sample((x, y))

    return make


def balanced_mul_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """(ct, x, other) tying often, for max (greater=True) or min."""
    shp = shape(rng)
    x, other = ties(rng, shp, dtype), ties(rng, shp, dtype)
    return Sample((uniform(rng, shp, dtype), x, other), {"greater": bool(rng.random() < 0.5)})


def balanced_mul_ref(ct: np.ndarray, x: np.ndarray, other: np.ndarray, greater: bool
                     ) -> np.ndarray:
    """ct times 1 where max (greater) or min selects x, 1/2 where x and other tie, else 0."""
    ans = np.maximum(x, other) if greater else np.minimum(x, other)
    weight = (x == ans) / (1.0 + (other == ans))
    return ct * weight.astype(ct.dtype)


def _vectors(count: int = 1) -> Callable[[np.random.Generator, np.dtype[Any]], Sample]:
    """``count`` arrays of one random shape of rank 1 to 3 (a transform needs an axis)."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        shp = shape(rng, min_rank=1)
        return Sample(tuple(uniform(rng, shp, dtype) for _ in range(count)))

    return make


def _between_powers_of_two(rng: np.random.Generator, shp: tuple[int, ...],
                           dtype: np.dtype[Any]) -> np.ndarray:
    """+-(1.1 .. 1.9) * 2**k: away from the jumps of frexp's mantissa."""
    sign = np.where(rng.random(shp) < 0.5, -1.0, 1.0)
    return (sign * rng.uniform(1.1, 1.9, shp) * 2.0 ** rng.integers(-3, 4, shp)).astype(dtype)


def _c(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x + i y in NumPy (complex64 parts stay complex64)."""
    return x + 1j * y


def not_integer(rng: np.random.Generator, shp: tuple[int, ...], dtype: np.dtype[Any],
                lo: float = 0.15, hi: float = 0.85) -> np.ndarray:
    """n + f with f in [lo, hi]: away from the jumps of floor (lo=0.15) or round (lo=-0.35)."""
    return (rng.integers(-3, 3, size=shp) + rng.uniform(lo, hi, size=shp)).astype(dtype)


def select_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    shp = shape(rng)
    n = int(rng.integers(2, 4))
    which = rng.random(shp) < 0.5 if n == 2 else rng.integers(0, n, size=shp).astype(np.int32)
    return Sample((which, *(uniform(rng, shp, dtype) for _ in range(n))))


def select_ref(which: np.ndarray, *cases: np.ndarray) -> np.ndarray:
    return np.choose(np.asarray(which, dtype=np.intp), cases)


def where_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    s = shape(rng)
    shapes = [s, broadcastable(rng, s), broadcastable(rng, s)]
    rng.shuffle(shapes)
    return Sample((rng.random(shapes[0]) < 0.5, uniform(rng, shapes[1], dtype),
                   uniform(rng, shapes[2], dtype)))


def convert_sample(to: np.dtype[Any], domain: Callable[..., np.ndarray] = uniform
                   ) -> Callable[[np.random.Generator, np.dtype[Any]], Sample]:
    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        return Sample((domain(rng, shape(rng), dtype),), {"new_dtype": np.dtype(to)})

    return make


def convert_ref(x: np.ndarray, new_dtype: np.dtype[Any]) -> np.ndarray:
    return np.asarray(x).astype(new_dtype)


def integer_pow_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    if np.dtype(dtype).kind in "iu":
        y = int(rng.integers(0, 4))
        return Sample((uniform(rng, shape(rng), dtype, -3, 3),), {"y": y})
    y = int(rng.choice([-2, -1, 0, 1, 2, 3, 5]))
    x = away_from_zero(rng, shape(rng), dtype, 0.3, 2.0) if y < 0 else uniform(
        rng, shape(rng), dtype)
    return Sample((x,), {"y": y})


def integer_pow_ref(x: np.ndarray, y: int) -> np.ndarray:
    return np.power(x, np.array(y, dtype=x.dtype))


def pow_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    shp = shape(rng)
    if np.dtype(dtype).kind in "iu":
        return Sample((uniform(rng, shp, dtype, -3, 3), uniform(rng, shp, dtype, 0, 3)))
    return Sample((uniform(rng, shp, dtype, 0.3, 2.0), uniform(rng, shp, dtype, -2.0, 2.0)))


def arctan2_sample(rng: np.random.Generator, dtype: np.dtype[Any], broadcast: bool = False
                   ) -> Sample:
    # y away from 0: away from the origin and from the branch cut (x < 0, y = 0).
    ys, xs = broadcast_pair(rng) if broadcast else (shape(rng),) * 2
    return Sample((away_from_zero(rng, ys, dtype, 0.2, 2.0), uniform(rng, xs, dtype)))


# -- shape primitives --


def broadcast_in_dim_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    out = shape(rng, max_rank=4)
    dims = subset(rng, len(out))
    x_shape = tuple(1 if rng.random() < 0.3 else out[d] for d in dims)
    return Sample((uniform(rng, x_shape, dtype),),
                  {"shape": out, "broadcast_dimensions": dims})


def broadcast_in_dim_ref(x: np.ndarray, shape: tuple[int, ...],
                         broadcast_dimensions: tuple[int, ...]) -> np.ndarray:
    missing = tuple(d for d in range(len(shape)) if d not in broadcast_dimensions)
    return np.broadcast_to(np.expand_dims(x, missing), shape)


def broadcast_to_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    out = shape(rng, max_rank=4)
    x_shape = broadcastable(rng, out)
    if x_shape == out:  # something to broadcast (else there is no equation)
        out = (int(rng.integers(1, 4)), *out)
    return Sample((uniform(rng, x_shape, dtype),), {"shape": out})


def reshape_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, max_rank=4)
    # Regroup the factors of the size into a random new shape (with random 1s inserted).
    factors = [f for n in x_shape for f in _factors(n)]
    rng.shuffle(factors)
    cuts = sorted(int(c) for c in rng.integers(0, len(factors) + 1, size=int(rng.integers(0, 3))))
    groups = [factors[i:j] for i, j in zip([0, *cuts], [*cuts, len(factors)], strict=True)]
    new = [int(np.prod(g, dtype=np.int64)) for g in groups]
    if tuple(new) == x_shape:  # something to reshape (a same-shape reshape binds nothing)
        new.append(1)
    return Sample((uniform(rng, x_shape, dtype),), {"new_sizes": tuple(new)})


def _factors(n: int) -> list[int]:
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


def fnp_reshape_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    sample = reshape_sample(rng, dtype)
    new = list(sample.params["new_sizes"])
    if tuple(new) == sample.args[0].shape:  # something to reshape (else there is no equation)
        new.append(1)
    if new and rng.random() < 0.5:
        new[int(rng.integers(0, len(new)))] = -1
    return Sample(sample.args, {"newshape": tuple(new)})


def transpose_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, max_rank=4)
    while len(x_shape) < 2:  # something to permute (an identity transpose binds nothing)
        x_shape = (*x_shape, int(rng.integers(1, 4)))
    perm = tuple(int(p) for p in rng.permutation(len(x_shape)))
    if perm == tuple(range(len(x_shape))):
        perm = perm[::-1]
    return Sample((uniform(rng, x_shape, dtype),), {"permutation": perm})


def squeeze_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = list(shape(rng, max_rank=4))
    ones = subset(rng, len(x_shape))
    for i in ones:
        x_shape[i] = 1
    return Sample((uniform(rng, tuple(x_shape), dtype),), {"dimensions": ones})


def expand_dims_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng)
    k = int(rng.integers(0, 3))
    dims = tuple(sorted(int(d) for d in rng.choice(len(x_shape) + k, size=k, replace=False)))
    return Sample((uniform(rng, x_shape, dtype),), {"dimensions": dims})


# -- reductions --


def reduction_sample(domain: Callable[..., np.ndarray] = uniform, nonempty_axes: bool = False,
                     numpy_style: bool = False
                     ) -> Callable[[np.random.Generator, np.dtype[Any]], Sample]:
    """An array and a random subset of its axes: the primitive's ``axes`` param, or (with
    ``numpy_style``) NumPy's ``axis`` (a tuple, an int, maybe negative, or None) and
    ``keepdims``."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        x_shape = shape(rng, min_rank=int(nonempty_axes), max_rank=3)
        axes = subset(rng, len(x_shape), min_size=int(nonempty_axes))
        x = domain(rng, x_shape, dtype)
        if not numpy_style:
            return Sample((x,), {"axes": axes})
        axis: Any = axes
        if x_shape and rng.random() < 0.3:
            axis = None if rng.random() < 0.5 else int(rng.integers(-len(x_shape), len(x_shape)))
        return Sample((x,), {"axis": axis, "keepdims": bool(rng.random() < 0.5)})

    return make


def distinct_reduction(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3)
    return Sample((distinct(rng, x_shape, dtype),),
                  {"axes": subset(rng, len(x_shape), min_size=1)})


def std_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    # At least two distinct values per reduced group: sqrt is smooth away from variance 0.
    x_shape = shape(rng, min_rank=1, max_rank=3, min_dim=2)
    axes = subset(rng, len(x_shape), min_size=1)
    return Sample((distinct(rng, x_shape, dtype, gap=0.3),),
                  {"axis": axes, "keepdims": bool(rng.random() < 0.5)})


# -- linear algebra --


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def dot_general_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """Random batch, contracting and free axes, laid out in random orders in both operands."""
    nb, nc = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    nlf, nrf = int(rng.integers(0, 3)), int(rng.integers(0, 3))
    batch = [("b", i) for i in range(nb)]
    contract = [("c", i) for i in range(nc)]
    lhs_axes = batch + contract + [("l", i) for i in range(nlf)]
    rhs_axes = batch + contract + [("r", i) for i in range(nrf)]
    rng.shuffle(lhs_axes)
    rng.shuffle(rhs_axes)
    dim = {ax: int(rng.integers(1, 4)) for ax in lhs_axes + rhs_axes}
    lhs = uniform(rng, tuple(dim[a] for a in lhs_axes), dtype)
    rhs = uniform(rng, tuple(dim[a] for a in rhs_axes), dtype)
    numbers = ((tuple(lhs_axes.index(a) for a in contract),
                tuple(rhs_axes.index(a) for a in contract)),
               (tuple(lhs_axes.index(a) for a in batch), tuple(rhs_axes.index(a) for a in batch)))
    return Sample((lhs, rhs), {"dimension_numbers": numbers})


def dot_general_ref(lhs: np.ndarray, rhs: np.ndarray, dimension_numbers: Any) -> np.ndarray:
    """``dot_general`` as an ``einsum``: batch axes, then lhs free, then rhs free."""
    (lc, rc), (lb, rb) = dimension_numbers
    letters = iter(_LETTERS)
    lhs_sub = [next(letters) for _ in range(lhs.ndim)]
    rhs_sub = [next(letters) for _ in range(rhs.ndim)]
    for a, b in zip(lc + lb, rc + rb, strict=True):
        rhs_sub[b] = lhs_sub[a]
    out = ([lhs_sub[a] for a in lb]
           + [s for i, s in enumerate(lhs_sub) if i not in lc and i not in lb]
           + [s for i, s in enumerate(rhs_sub) if i not in rc and i not in rb])
    spec = f"{''.join(lhs_sub)},{''.join(rhs_sub)}->{''.join(out)}"
    return np.einsum(spec, lhs, rhs).astype(np.result_type(lhs, rhs))


def dot_sample(scalar: bool) -> Callable[[np.random.Generator, np.dtype[Any]], Sample]:
    """numpy.dot operands: one of them 0-d (``scalar``: a ``mul``) or ranks 1..3 aligned."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        if scalar:
            shapes = [(), shape(rng)]
            rng.shuffle(shapes)
            return Sample(tuple(uniform(rng, s, dtype) for s in shapes))
        na, nb = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        a_shape, b_shape = list(shape(rng, na, na)), list(shape(rng, nb, nb))
        b_shape[0 if nb == 1 else nb - 2] = a_shape[-1]
        return Sample((uniform(rng, tuple(a_shape), dtype),
                       uniform(rng, tuple(b_shape), dtype)))

    return make


def matmul_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """numpy.matmul operands: vectors or (broadcasting batches of) matrices."""
    k = int(rng.integers(1, 4))
    batch = shape(rng, max_rank=2)
    shapes = []
    for side in range(2):
        if rng.random() < 0.25:
            shapes.append((k,))
        else:
            other = int(rng.integers(1, 4))
            shapes.append((*broadcastable(rng, batch), *((other, k) if side == 0 else (k, other))))
    return Sample(tuple(uniform(rng, s, dtype) for s in shapes))


def tensordot_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    n = int(rng.integers(0, 3))
    common = shape(rng, n, n)
    a_shape = (*shape(rng, max_rank=2), *common)
    b_shape = (*common, *shape(rng, max_rank=2))
    return Sample((uniform(rng, a_shape, dtype), uniform(rng, b_shape, dtype)), {"axes": n})


def inner_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    k = int(rng.integers(1, 4))
    a_shape = (*shape(rng, max_rank=2), k)
    b_shape = (*shape(rng, max_rank=2), k)
    return Sample((uniform(rng, a_shape, dtype), uniform(rng, b_shape, dtype)))


def outer_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    return Sample((uniform(rng, shape(rng, max_rank=2), dtype),
                   uniform(rng, shape(rng, max_rank=2), dtype)))


# ---------------------------------------------------------------------------------------------
# The table


def _same_dtype_ref(np_fn: Callable[..., Any]) -> Callable[..., Any]:
    """A NumPy reference whose result keeps the inputs' dtype (as the IR's primitives do)."""

    def ref(*args: Any, **params: Any) -> Any:
        return np.asarray(np_fn(*args, **params)).astype(np.result_type(*args))

    return ref


# A NumPy-level reduction's arguments: an array of rank >= 1, ``axis`` (None, an int or a
# tuple) and ``keepdims``.
NP_REDUCTION = reduction_sample(nonempty_axes=True, numpy_style=True)

UNARY_MATH: list[tuple[str, Callable[..., Any], Callable[..., Any], Any]] = [
    # name, binder, numpy, make
    ("exp", ew.exp, np.exp, unary(uniform, lo=-3, hi=3)),
    ("log", ew.log, np.log, unary(uniform, lo=0.2, hi=3)),
    ("log1p", ew.log1p, np.log1p, unary(uniform, lo=-0.7, hi=3)),
    ("expm1", ew.expm1, np.expm1, unary(uniform, lo=-3, hi=3)),
    ("sin", ew.sin, np.sin, unary(uniform, lo=-4, hi=4)),
    ("cos", ew.cos, np.cos, unary(uniform, lo=-4, hi=4)),
    ("tan", ew.tan, np.tan, unary(uniform, lo=-1.2, hi=1.2)),
    ("tanh", ew.tanh, np.tanh, unary(uniform, lo=-3, hi=3)),
    ("sinh", ew.sinh, np.sinh, unary(uniform, lo=-3, hi=3)),
    ("cosh", ew.cosh, np.cosh, unary(uniform, lo=-3, hi=3)),
    ("arcsin", ew.arcsin, np.arcsin, unary(uniform, lo=-0.9, hi=0.9)),
    ("arccos", ew.arccos, np.arccos, unary(uniform, lo=-0.9, hi=0.9)),
    ("arctan", ew.arctan, np.arctan, unary(uniform, lo=-3, hi=3)),
    ("arcsinh", ew.arcsinh, np.arcsinh, unary(uniform, lo=-3, hi=3)),
    ("arccosh", ew.arccosh, np.arccosh, unary(uniform, lo=2.2, hi=5)),  # halved: still > 1
    ("arctanh", ew.arctanh, np.arctanh, unary(uniform, lo=-0.8, hi=0.8)),
    ("sqrt", ew.sqrt, np.sqrt, unary(uniform, lo=0.2, hi=3)),
]

_FNP_UNARY = {"exp": fnp.exp, "log": fnp.log, "log1p": fnp.log1p, "expm1": fnp.expm1,
              "sin": fnp.sin, "cos": fnp.cos, "tan": fnp.tan, "tanh": fnp.tanh,
              "sinh": fnp.sinh, "cosh": fnp.cosh, "arcsin": fnp.arcsin, "arccos": fnp.arccos,
              "arctan": fnp.arctan, "arcsinh": fnp.arcsinh, "arccosh": fnp.arccosh,
              "arctanh": fnp.arctanh, "sqrt": fnp.sqrt}

CASES: list[Case] = []

for _name, _binder, _np_fn, _make in UNARY_MATH:
    CASES.append(Case(_name, _binder, _np_fn, _make))
    CASES.append(Case(_name, _FNP_UNARY[_name], _np_fn, _make, label="fnp"))

CASES += [
    # -- arithmetic --
    Case("add", ew.add, np.add, binary(), dtypes=NUMERIC),
    Case("add", fnp.add, np.add, binary(broadcast=True), dtypes=NUMERIC, label="fnp broadcast"),
    Case("sub", ew.sub, np.subtract, binary(), dtypes=NUMERIC),
    Case("sub", fnp.subtract, np.subtract, binary(broadcast=True), dtypes=NUMERIC,
         label="fnp broadcast"),
    Case("mul", ew.mul, np.multiply, binary(), dtypes=NUMERIC),
    Case("mul", fnp.multiply, np.multiply, binary(broadcast=True), dtypes=NUMERIC,
         label="fnp broadcast"),
    Case("div", ew.div, np.divide, binary(uniform, away_from_zero)),
    Case("div", ew.div, np.floor_divide, binary(uniform, away_from_zero), dtypes=INTS,
         differentiable=False, label="int floor"),
    Case("div", fnp.true_divide, np.true_divide, binary(uniform, away_from_zero, broadcast=True),
         label="fnp broadcast"),
    Case("neg", ew.neg, np.negative, unary(), dtypes=NUMERIC),
    Case("neg", fnp.negative, np.negative, unary(), dtypes=NUMERIC, label="fnp"),
    Case("max", ew.maximum, np.maximum, separated(), dtypes=NUMERIC),
    Case("max", fnp.maximum, np.maximum, separated(broadcast=True), dtypes=NUMERIC,
         label="fnp broadcast"),
    Case("min", ew.minimum, np.minimum, separated(), dtypes=NUMERIC),
    Case("min", fnp.minimum, np.minimum, separated(broadcast=True), dtypes=NUMERIC,
         label="fnp broadcast"),
    # The max/min cotangent share (relu's backward pass): linear in ct, piecewise constant in the
    # others, so only ct is differentiated.
    Case("balanced_mul", ew.balanced_mul, balanced_mul_ref, balanced_mul_sample,
         nondiff_argnums=(1, 2)),
    Case("pow", ew.pow, np.power, pow_sample, dtypes=NUMERIC),
    Case("pow", fnp.power, np.power,
         binary(uniform, uniform, broadcast=True, x_bounds={"lo": 0.3, "hi": 2.0}),
         label="fnp broadcast"),
    Case("integer_pow", ew.integer_pow, integer_pow_ref, integer_pow_sample, dtypes=NUMERIC),
    Case("integer_pow", lambda x, y: fnp.power(x, y), integer_pow_ref, integer_pow_sample,
         dtypes=NUMERIC, label="fnp.power int exponent"),
    # -- transcendental with two arguments --
    Case("arctan2", ew.arctan2, np.arctan2, arctan2_sample),
    Case("arctan2", fnp.arctan2, np.arctan2,
         lambda rng, dtype: arctan2_sample(rng, dtype, broadcast=True), label="fnp broadcast"),
    Case("hypot", ew.hypot, np.hypot, binary(away_from_zero, away_from_zero)),
    Case("cbrt", ew.cbrt, np.cbrt, unary(away_from_zero)),
    # -- kinks: abs, sign, rounding (zero derivative away from the jumps) --
    Case("abs", ew.abs, np.abs, unary(away_from_zero, lo=0.1), dtypes=NUMERIC),
    Case("abs", fnp.abs, np.abs, unary(away_from_zero, lo=0.1), dtypes=NUMERIC, label="fnp"),
    Case("sign", ew.sign, np.sign, unary(away_from_zero, lo=0.1), dtypes=NUMERIC),
    Case("sign", ew.sign, np.sign, unary(ties), dtypes=NUMERIC, differentiable=False,
         label="at zero"),
    # -- complex numbers: built from real parts (x, y) and taken back to a real output, so that
    #    the derivative checks (on real arguments) see the complex rules: JAX's convention,
    #    checked against JAX itself in tests/test_complex.py --
    Case("complex", lambda x, y: ew.real(ew.mul(ew.make_complex(x, y), ew.make_complex(x, y))),
         lambda x, y: np.real(_c(x, y) ** 2), binary()),
    Case("real", lambda x, y: ew.real(ew.exp(ew.make_complex(x, y))),
         lambda x, y: np.real(np.exp(_c(x, y))), binary()),
    Case("imag", lambda x, y: ew.imag(ew.sin(ew.make_complex(x, y))),
         lambda x, y: np.imag(np.sin(_c(x, y))), binary()),
    Case("conj", lambda x, y: ew.imag(ew.mul(ew.conj(ew.make_complex(x, y)),
                                             ew.exp(ew.make_complex(x, y)))),
         lambda x, y: np.imag(np.conj(_c(x, y)) * np.exp(_c(x, y))), binary()),
    Case("abs", lambda x, y: ew.abs(ew.make_complex(x, y)), lambda x, y: np.abs(_c(x, y)),
         binary(away_from_zero, away_from_zero), label="complex"),
    Case("real", lambda x, y: fnp.angle(fnp.exp(x + 1j * y)),
         lambda x, y: np.angle(np.exp(x + 1j * y)),
         binary(uniform, away_from_zero, y_bounds={"lo": 0.2, "hi": 2.5}),
         label="fnp.angle complex"),
    Case("dot_general", lambda x, y: fnp.real(fnp.vdot(x + 1j * y, (x + 1j * y) ** 2)),
         lambda x, y: np.real(np.vdot(x + 1j * y, (x + 1j * y) ** 2)), binary(),
         label="fnp.vdot complex"),
    # -- Fourier transforms (the fft primitive: rfft on real input, fft / ifft / irfft on the
    #    complex x + i y, back to real outputs for the derivative checks) --
    Case("fft", lambda x: fnp.real(fnp.fft.rfft(x) * (1 - 2j)),
         lambda x: np.real(np.fft.rfft(x) * (1 - 2j)), _vectors(), label="rfft"),
    Case("fft", lambda x: fnp.fft.irfftn(fnp.fft.rfftn(x) ** 2, s=x.shape,
                                         axes=range(x.ndim)),
         lambda x: np.fft.irfftn(np.fft.rfftn(x) ** 2, s=x.shape, axes=range(x.ndim)),
         _vectors(), label="irfftn"),
    Case("fft", lambda x, y: fnp.real(fnp.fft.fft(x + 1j * y) * fnp.fft.ifft(x - 2j * y)),
         lambda x, y: np.real(np.fft.fft(_c(x, y)) * np.fft.ifft(_c(x, -2 * y))),
         _vectors(2), label="fft ifft"),
    # -- floating-point representation --
    Case("nextafter", ew.nextafter, np.nextafter, binary(), differentiable=False),
    Case("nextafter", fnp.spacing, np.spacing, unary(), differentiable=False,
         label="fnp.spacing"),
    Case("frexp", ew.frexp, np.frexp, unary(_between_powers_of_two)),
    Case("frexp", fnp.frexp, np.frexp, unary(uniform, lo=-40.0, hi=40.0), dtypes=NUMERIC,
         differentiable=False, label="fnp any values"),
    Case("floor", ew.floor_p.bind1, np.floor, unary(not_integer)),
    Case("ceil", ew.ceil_p.bind1, np.ceil, unary(not_integer)),
    Case("round", ew.round_p.bind1, np.round, unary(not_integer, lo=-0.35, hi=0.35)),
    Case("round", fnp.round, np.round, unary(halves), differentiable=False,
         label="fnp half to even"),
    # -- comparisons and logic --
    *[Case(_n, _p.bind1, _np, binary(ties, ties), dtypes=NUMERIC, differentiable=False)
      for _n, _p, _np in [("eq", ew.eq_p, np.equal), ("ne", ew.ne_p, np.not_equal),
                          ("lt", ew.lt_p, np.less), ("le", ew.le_p, np.less_equal),
                          ("gt", ew.gt_p, np.greater), ("ge", ew.ge_p, np.greater_equal)]],
    Case("lt", lambda x, y: x < y, np.less, binary(ties, ties, broadcast=True), dtypes=NUMERIC,
         differentiable=False, label="operator broadcast"),
    Case("eq", fnp.equal, np.equal, binary(ties, ties, broadcast=True), dtypes=NUMERIC,
         differentiable=False, label="fnp broadcast"),
    *[Case(_n, _p.bind1, _np, binary(), dtypes=(BOOL, I64, I32), differentiable=False)
      for _n, _p, _np in [("and", ew.and_p, np.bitwise_and), ("or", ew.or_p, np.bitwise_or),
                          ("xor", ew.xor_p, np.bitwise_xor)]],
    Case("not", ew.not_p.bind1, np.invert, unary(), dtypes=(BOOL, I64, I32),
         differentiable=False),
    *[Case(_n, _f, _np, binary(y_bounds={"lo": 0, "hi": 6}, broadcast=_label != "primitive"),
           dtypes=INTS, differentiable=False, label=_label)
      for _n, _f, _np, _label in [
          ("shift_left", ew.shift_left_p.bind1, np.left_shift, "primitive"),
          ("shift_right", ew.shift_right_p.bind1, np.right_shift, "primitive"),
          ("shift_left", fnp.left_shift, np.left_shift, "fnp.left_shift"),
          ("shift_right", lambda x, y: x >> y, np.right_shift, "operator >>")]],
    *[Case(_n, _f, _np, binary(broadcast=_label != "primitive"), dtypes=INTS,
           differentiable=False, label=_label)
      for _n, _f, _np, _label in [
          ("gcd", ew.gcd_p.bind1, np.gcd, "primitive"),
          ("lcm", ew.lcm_p.bind1, np.lcm, "primitive"),
          ("gcd", fnp.gcd, np.gcd, "fnp.gcd"), ("lcm", fnp.lcm, np.lcm, "fnp.lcm")]],
    Case("and", fnp.logical_and, np.logical_and, binary(broadcast=True), dtypes=(BOOL, F64),
         differentiable=False, label="fnp.logical_and"),
    # -- select --
    Case("select_n", ew.select_n, select_ref, select_sample, dtypes=NUMERIC),
    Case("select_n", fnp.where, np.where, where_sample, dtypes=NUMERIC, label="fnp.where"),
    # -- dtype conversion --
    Case("convert_element_type", ew.convert_element_type, convert_ref, convert_sample(F32),
         dtypes=(F64,), label="f64->f32", grad_tol={"float64": (3e-2, 3e-2)},
         tol={"float64": (0.0, 0.0)}),
    Case("convert_element_type", ew.convert_element_type, convert_ref, convert_sample(F64),
         dtypes=(F32,), label="f32->f64"),
    Case("convert_element_type", ew.convert_element_type, convert_ref, convert_sample(I32),
         dtypes=FLOATS, differentiable=False, label="float->int"),
    Case("convert_element_type", ew.convert_element_type, convert_ref, convert_sample(F64),
         dtypes=(I32, BOOL), differentiable=False, label="int->float"),
    Case("convert_element_type", lambda x: fnp.add(x, np.ones((), np.float64)),
         lambda x: np.add(x, np.ones((), np.float64)), unary(), dtypes=(F32, I32),
         label="promotion", nondiff_argnums=()),
    # stop_gradient: identity value, zero derivative by design (checked in test_primitives).
    Case("stop_gradient", ew.stop_gradient, lambda x: x, unary(), differentiable=False),
    # -- shapes --
    Case("broadcast_in_dim", sh.broadcast_in_dim, broadcast_in_dim_ref, broadcast_in_dim_sample,
         dtypes=(*NUMERIC, BOOL)),
    Case("broadcast_in_dim", fnp.broadcast_to, np.broadcast_to, broadcast_to_sample,
         label="fnp.broadcast_to"),
    Case("reshape", sh.reshape, lambda x, new_sizes: np.reshape(x, new_sizes), reshape_sample,
         dtypes=(*NUMERIC, BOOL)),
    Case("reshape", fnp.reshape, lambda x, newshape: np.reshape(x, newshape),
         fnp_reshape_sample, label="fnp -1"),
    Case("transpose", sh.transpose, lambda x, permutation: np.transpose(x, permutation),
         transpose_sample, dtypes=(*NUMERIC, BOOL)),
    Case("squeeze", sh.squeeze, lambda x, dimensions: np.squeeze(x, dimensions), squeeze_sample,
         dtypes=(*NUMERIC, BOOL)),
    Case("expand_dims", sh.expand_dims, lambda x, dimensions: np.expand_dims(x, dimensions),
         expand_dims_sample, dtypes=(*NUMERIC, BOOL)),
    # -- reductions --
    Case("reduce_sum", sh.reduce_sum, lambda x, axes: np.sum(x, axis=axes, dtype=x.dtype),
         reduction_sample(), dtypes=NUMERIC),
    Case("reduce_sum", fnp.sum, np.sum, NP_REDUCTION,
         dtypes=NUMERIC, label="fnp.sum keepdims"),
    Case("reduce_sum", fnp.mean, np.mean, NP_REDUCTION, dtypes=NUMERIC, label="fnp.mean"),
    Case("reduce_sum", fnp.var, np.var, NP_REDUCTION,
         label="fnp.var"),
    Case("sqrt", fnp.std, np.std, std_sample, label="fnp.std"),
    Case("reduce_max", red.reduce_max, lambda x, axes: np.max(x, axis=axes), distinct_reduction,
         dtypes=NUMERIC),
    Case("reduce_min", red.reduce_min, lambda x, axes: np.min(x, axis=axes), distinct_reduction,
         dtypes=NUMERIC),
    Case("reduce_max", lambda x, axes: fnp.max(x, axis=axes, keepdims=True),
         lambda x, axes: np.max(x, axis=axes, keepdims=True), distinct_reduction,
         label="fnp.max keepdims"),
    Case("reduce_logsumexp", red.reduce_logsumexp,
         lambda x, axes: np.log(np.sum(np.exp(x), axis=axes)),
         reduction_sample(nonempty_axes=True)),
    Case("reduce_logsumexp", lambda x, axes: fnp.logsumexp(x, axis=axes, keepdims=True),
         lambda x, axes: np.log(np.sum(np.exp(x), axis=axes, keepdims=True)),
         reduction_sample(nonempty_axes=True), label="fnp.logsumexp keepdims"),
    # -- linear algebra --
    Case("dot_general", la.dot_general, dot_general_ref, dot_general_sample, dtypes=NUMERIC),
    Case("dot_general", fnp.dot, np.dot, dot_sample(scalar=False), dtypes=NUMERIC,
         label="fnp.dot"),
    Case("mul", fnp.dot, np.dot, dot_sample(scalar=True), label="fnp.dot scalar"),
    Case("dot_general", fnp.matmul, np.matmul, matmul_sample, dtypes=NUMERIC,
         label="fnp.matmul broadcast"),
    Case("dot_general", lambda a, b: a @ b, np.matmul, matmul_sample, label="operator @"),
    Case("dot_general", fnp.tensordot, np.tensordot, tensordot_sample, dtypes=NUMERIC,
         label="fnp.tensordot"),
    Case("dot_general", fnp.inner, np.inner, inner_sample, label="fnp.inner"),
    Case("dot_general", fnp.outer, np.outer, outer_sample, label="fnp.outer"),
]


# ---------------------------------------------------------------------------------------------
# Control flow (higher-order primitives): each row's body is elementwise, so the references are
# short NumPy loops.


def _cond_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    return Sample((away_from_zero(rng, (), dtype), uniform(rng, shape(rng), dtype)))


def _switch_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    return Sample((np.asarray(rng.integers(0, 3), np.int32), uniform(rng, shape(rng), dtype)))


def _switch_ref(i: np.ndarray, x: np.ndarray) -> np.ndarray:
    return [np.sin(x), np.cos(x), x * x][int(i)]


def _grow(x: Any) -> Any:
    return x * 1.5 + 0.1 * fnp.sin(x)


def _small(x: Any) -> Any:
    return fnp.max(fnp.abs(x)) < 2.0 if np.ndim(x) else fnp.abs(x) < 2.0


def _while_fn(x: Any) -> Any:
    """Grow x until max |x| >= 2: a trip count that depends on the data."""
    return lax.while_loop(_small, _grow, x)


def _while_ref(x: np.ndarray) -> np.ndarray:
    while np.max(np.abs(x)) < 2.0:
        x = (x * 1.5 + 0.1 * np.sin(x)).astype(x.dtype)
    return x


def _while_grad_fn(x: Any) -> Any:
    """The gradient of a while loop: reverse mode through ``while`` binds ``while_vjp``."""
    return ft.grad(lambda x: fnp.sum(fnp.sin(_while_fn(x))))(x)


def _while_grad_ref(x: np.ndarray) -> np.ndarray:
    dx = np.ones_like(x)  # the body is elementwise: d x_K / d x_0 is a product of slopes
    while np.max(np.abs(x)) < 2.0:
        dx = dx * (1.5 + 0.1 * np.cos(x))
        x = (x * 1.5 + 0.1 * np.sin(x)).astype(x.dtype)
    return (np.cos(x) * dx).astype(x.dtype)


def _while_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """Inputs whose trip count does not change under small perturbations: the loop's last two
    iterates keep a margin from the threshold |x| = 2 (the derivative is discontinuous there)."""
    while True:
        x = away_from_zero(rng, shape(rng), dtype, 0.3, 1.5)
        prev, y = np.max(np.abs(x)), x.astype(np.float64)
        while np.max(np.abs(y)) < 2.0:
            prev, y = np.max(np.abs(y)), y * 1.5 + 0.1 * np.sin(y)
        if prev < 1.95 and np.max(np.abs(y)) > 2.05:
            return Sample((x,))


def _scan_fn(c: Any, xs: Any) -> Any:
    return lax.scan(lambda c, x: (0.5 * c + fnp.sin(x), c * x), c, xs)


def _scan_ref(c: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ys = []
    for x in xs:
        c, y = (0.5 * c + np.sin(x)).astype(c.dtype), c * x
        ys.append(y)
    return c, np.stack(ys)


def _scan_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    s = shape(rng, max_rank=2)
    return Sample((uniform(rng, s, dtype), uniform(rng, (int(rng.integers(1, 4)), *s), dtype)))


CASES += [
    Case("cond", lambda p, x: lax.cond(p > 0, lambda x: fnp.sin(x) * x, fnp.cos, x),
         lambda p, x: np.where(p > 0, np.sin(x) * x, np.cos(x)), _cond_sample),
    Case("cond", lambda i, x: lax.switch(i, [fnp.sin, fnp.cos, lambda x: x * x], x),
         _switch_ref, _switch_sample, label="switch"),
    Case("while", _while_fn, _while_ref, _while_sample),
    Case("while_vjp", _while_grad_fn, _while_grad_ref, _while_sample, label="grad of while"),
    Case("scan", _scan_fn, _scan_ref, _scan_sample),
    Case("remat2", ft.checkpoint(lambda x, y: fnp.sin(x * y) * x),
         lambda x, y: (np.sin(x * y) * x).astype(x.dtype), binary()),
    Case("remat2", ft.checkpoint(lambda x: fnp.tanh(x) ** 2,
                                     policy=ft.checkpoint_policies.everything_saveable),
         lambda x: (np.tanh(x) ** 2).astype(x.dtype), unary(), label="everything_saveable"),
    Case("name", lambda x: ft.ad_checkpoint.checkpoint_name(fnp.sin(x), "s") * x,
         lambda x: (np.sin(x) * x).astype(x.dtype), unary()),
]


# ---------------------------------------------------------------------------------------------
# The structural primitives' rows, when that table exists (same format).


# -- NumPy functions composed of the primitives above ---------------------------------------------


def diff_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3, min_dim=2)
    return Sample((uniform(rng, x_shape, dtype),),
                  {"n": int(rng.integers(1, 3)), "axis": int(rng.integers(-len(x_shape),
                                                                          len(x_shape)))})


def triangle_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    return Sample((uniform(rng, shape(rng, min_rank=2, max_rank=3), dtype),),
                  {"k": int(rng.integers(-2, 3))})


def ptp_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3)
    axis = None if rng.random() < 0.3 else int(rng.integers(-len(x_shape), len(x_shape)))
    return Sample((distinct(rng, x_shape, dtype),), {"axis": axis})


def average_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3)
    axis = int(rng.integers(0, len(x_shape)))
    w_shape = x_shape if rng.random() < 0.5 else (x_shape[axis],)
    return Sample((uniform(rng, x_shape, dtype), uniform(rng, w_shape, dtype, lo=0.5, hi=2.0)),
                  {"axis": axis})


def norm_sample(ords: list[Any], matrix: bool = False
                ) -> Callable[[np.random.Generator, np.dtype[Any]], Sample]:
    """An array away from the kinks of |x| and without ties, an ``ord`` and an ``axis``."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        x_shape = shape(rng, min_rank=2 if matrix else 1, max_rank=3)
        ndim = len(x_shape)
        ord_ = ords[int(rng.integers(len(ords)))]
        if matrix:
            axis: Any = tuple(int(a) for a in rng.permutation(ndim)[:2])
        else:
            axis = int(rng.integers(-ndim, ndim)) if ndim > 1 or rng.random() < 0.5 else None
        x = distinct(rng, x_shape, dtype, gap=0.3)
        x = np.where(np.abs(x) < 0.15, x + 0.3, x)  # |x| >= 0.15: abs is smooth
        if not matrix and ord_ in (np.inf, -np.inf):
            # The vector inf norms pick the largest (smallest) |x|: distinct values can still
            # tie in |x| (0.5 and -0.5), so draw distinct magnitudes and random signs.
            mags = 0.2 + 0.3 * rng.permutation(x.size).reshape(x_shape)
            x = np.where(rng.random(x_shape) < 0.5, -mags, mags)
        if matrix and ord_ in (1, -1, np.inf, -np.inf):
            # The 1 and inf norms pick the largest (smallest) column / row sum of |x|: push the
            # columns / rows apart by distinct multiples of 10 in |x|, so that no two sums tie
            # within the difference step and the derivative is that of one smooth piece.
            picked = axis[1] if ord_ in (1, -1) else axis[0]
            steps = 10.0 * rng.permutation(x_shape[picked]).reshape(
                [-1 if d == picked else 1 for d in range(ndim)])
            x = np.sign(x) * (np.abs(x) + steps)
        x = x.astype(dtype)
        return Sample((x,), {"ord": ord_, "axis": axis, "keepdims": bool(rng.random() < 0.5)})

    return make


def kron_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    return Sample((uniform(rng, shape(rng, max_rank=2), dtype),
                   uniform(rng, shape(rng, max_rank=2), dtype)))


def np_cross(a: np.ndarray, b: np.ndarray, axisa: int = -1, axisb: int = -1, axisc: int = -1,
             axis: int | None = None) -> np.ndarray:
    """``np.cross``, with 2-vectors taken as 3-vectors whose third component is 0, as NumPy
    did before 2.5 (which refuses them) and as JAX does."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = np.moveaxis(a, axisa, -1), np.moveaxis(b, axisb, -1)
    planar = a.shape[-1] == b.shape[-1] == 2

    def as_3d(v: np.ndarray) -> np.ndarray:
        return v if v.shape[-1] == 3 else np.concatenate([v, np.zeros_like(v[..., :1])], -1)

    out = np.cross(as_3d(a), as_3d(b))
    return out[..., 2] if planar else np.moveaxis(out, -1, axisc)


def cross_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """Two arrays of 3-vectors (or a 2-vector among them) along ``axis``, or along their own
    ``axisa`` / ``axisb`` with the result's along ``axisc``."""
    batch = shape(rng, max_rank=2)
    n = len(batch) + 1

    def axis() -> int:
        return int(rng.integers(-n, n))

    sizes = (3, 3) if rng.random() < 0.6 else (2, 3) if rng.random() < 0.5 else (3, 2)
    if rng.random() < 0.5:
        ax = axis()
        a = np.moveaxis(uniform(rng, (*batch, sizes[0]), dtype), -1, ax)
        b = np.moveaxis(uniform(rng, (*batch, sizes[1]), dtype), -1, ax)
        return Sample((a, b), {"axis": ax})
    axa, axb, axc = axis(), axis(), axis()
    a = np.moveaxis(uniform(rng, (*batch, sizes[0]), dtype), -1, axa)
    b = np.moveaxis(uniform(rng, (*batch, sizes[1]), dtype), -1, axb)
    return Sample((a, b), {"axisa": axa, "axisb": axb, "axisc": axc})


def matrix_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    return Sample((uniform(rng, shape(rng, min_rank=2, max_rank=3), dtype),))


def nan_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1, max_rank=3)
    x = uniform(rng, x_shape, dtype)
    axis = None if rng.random() < 0.3 else int(rng.integers(-len(x_shape), len(x_shape)))
    return Sample((x,), {"axis": axis})


def square_sample(with_b: str = "") -> Callable[[np.random.Generator, np.dtype[Any]], Sample]:
    """Well-conditioned square matrices (a stack, maybe), and a right-hand side if asked:
    ``"matrix"`` (..., n, k) or ``"vector"`` (n,)."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        n = int(rng.integers(1, 4))
        batch = shape(rng, max_rank=1)
        a = uniform(rng, (*batch, n, n), dtype, lo=-0.5, hi=0.5) + 2.0 * np.eye(n, dtype=dtype)
        if not with_b:
            return Sample((a.astype(dtype),))
        b_shape = (n,) if with_b == "vector" else (*batch, n, int(rng.integers(1, 3)))
        return Sample((a.astype(dtype), uniform(rng, b_shape, dtype)))

    return make


CASES += [
    Case("solve", la.solve, np.linalg.solve, square_sample("matrix")),
    Case("solve", fnp.linalg.solve, np.linalg.solve, square_sample("vector"),
         label="fnp.linalg.solve vector"),
    Case("solve", fnp.linalg.inv, np.linalg.inv, square_sample(), label="fnp.linalg.inv"),
    Case("det", la.det, np.linalg.det, square_sample()),
    Case("det", fnp.linalg.det, np.linalg.det, square_sample(), label="fnp.linalg.det"),
    Case("adjugate", la.adjugate,
         lambda a: np.linalg.det(a)[..., None, None] * np.linalg.inv(a), square_sample(),
         tol={"float64": (1e-12, 1e-12), "float32": (1e-5, 1e-5)}),
    Case("det_sign", la.det_sign, lambda a: np.linalg.slogdet(a)[0], square_sample()),
    Case("logabsdet", la.logabsdet, lambda a: np.linalg.slogdet(a)[1], square_sample()),
    Case("logabsdet", lambda a: fnp.linalg.slogdet(a)[1], lambda a: np.linalg.slogdet(a)[1],
         square_sample(), label="fnp.linalg.slogdet"),
    Case("mul", fnp.kron, np.kron, kron_sample, dtypes=NUMERIC, label="fnp.kron"),
    Case("sub", fnp.cross, np_cross, cross_sample, dtypes=NUMERIC, label="fnp.cross"),
    Case("reduce_sum", fnp.nansum, np.nansum, nan_sample, label="fnp.nansum"),
    Case("div", fnp.nanmean, np.nanmean, nan_sample, label="fnp.nanmean"),
    Case("rev", fnp.fliplr, np.fliplr, matrix_sample, dtypes=NUMERIC, label="fnp.fliplr"),
    Case("rev", fnp.flipud, np.flipud, matrix_sample, dtypes=NUMERIC, label="fnp.flipud"),
    Case("sqrt", fnp.linalg.norm, np.linalg.norm, norm_sample([None, 2]),
         label="fnp.linalg.norm 2"),
    Case("reduce_sum", fnp.linalg.norm, np.linalg.norm, norm_sample([1, 3, 0.5]),
         label="fnp.linalg.norm p"),
    Case("reduce_max", fnp.linalg.norm, np.linalg.norm, norm_sample([np.inf]),
         label="fnp.linalg.norm inf"),
    Case("sqrt", fnp.linalg.norm, np.linalg.norm, norm_sample([None, "fro"], matrix=True),
         label="fnp.linalg.norm fro"),
    Case("reduce_max", fnp.linalg.norm, np.linalg.norm, norm_sample([1, np.inf], matrix=True),
         label="fnp.linalg.norm matrix 1/inf"),
    Case("hypot", fnp.hypot, np.hypot, binary(away_from_zero, away_from_zero, broadcast=True),
         label="fnp.hypot"),
    Case("log", fnp.log2, np.log2, unary(uniform, lo=0.2, hi=3), label="fnp.log2"),
    Case("log", fnp.log10, np.log10, unary(uniform, lo=0.2, hi=3), label="fnp.log10"),
    Case("pow", fnp.exp2, np.exp2, unary(uniform, lo=-3, hi=3), label="fnp.exp2"),
    Case("cbrt", fnp.cbrt, np.cbrt, unary(away_from_zero), label="fnp.cbrt"),
    Case("mul", fnp.deg2rad, np.deg2rad, unary(), label="fnp.deg2rad"),
    Case("mul", fnp.rad2deg, np.rad2deg, unary(), label="fnp.rad2deg"),
    Case("select_n", fnp.trunc, np.trunc, unary(not_integer), label="fnp.trunc"),
    Case("select_n", fnp.fmax, np.fmax, separated(broadcast=True), label="fnp.fmax"),
    Case("select_n", fnp.fmin, np.fmin, separated(broadcast=True), label="fnp.fmin"),
    Case("log1p", fnp.logaddexp2, np.logaddexp2, binary(broadcast=True), label="fnp.logaddexp2"),
    Case("sub", fnp.diff, np.diff, diff_sample, dtypes=NUMERIC, label="fnp.diff"),
    Case("select_n", fnp.tril, np.tril, triangle_sample, dtypes=NUMERIC, label="fnp.tril"),
    Case("select_n", fnp.triu, np.triu, triangle_sample, dtypes=NUMERIC, label="fnp.triu"),
    Case("reduce_max", fnp.ptp, np.ptp, ptp_sample, label="fnp.ptp"),
    Case("reduce_sum", lambda a, w, axis: fnp.average(a, axis=axis, weights=w),
         lambda a, w, axis: np.average(a, axis=axis, weights=w), average_sample,
         label="fnp.average weights"),
]


# More rows, same format, kept in their own files (each imports its helpers from this module,
# so they are imported here, at the end, once everything above exists).
from cases_conv import CONV_CASES  # noqa: E402
from cases_decompositions import DECOMPOSITION_CASES  # noqa: E402
from cases_numpy_extra import NUMPY_EXTRA_CASES  # noqa: E402
from cases_special import SPECIAL_CASES  # noqa: E402
from cases_structural import STRUCTURAL_CASES  # noqa: E402
from cases_xla_math import XLA_MATH_CASES  # noqa: E402

ALL_CASES: list[Case] = (CASES + STRUCTURAL_CASES + DECOMPOSITION_CASES + NUMPY_EXTRA_CASES
                         + SPECIAL_CASES + CONV_CASES + XLA_MATH_CASES)


def ids(cases: list[Case]) -> list[str]:
    """Unique, readable test ids for a list of rows."""
    seen: dict[str, itertools.count[int]] = {}
    out = []
    for case in cases:
        n = next(seen.setdefault(case.id, itertools.count()))
        out.append(case.id if n == 0 else f"{case.id}#{n}")
    return out
