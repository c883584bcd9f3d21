"""Rows of the primitive table (same format as ``tests/cases.py``) for the ``functrace.numpy``
functions written on existing primitives (composites).

Each row names a primitive its function's jaxpr contains.  Order statistics (median, quantile)
draw distinct values (no ties), piecewise functions (fmod, modf, interp) keep their inputs away
from the jumps and kinks, and arguments that must stay sorted (``searchsorted``'s and
``interp``'s sample points) are static params, since the vmap checks permute an argument's
values.  Functions of integer or boolean output are rows with ``differentiable=False``; the
utilities (dtype queries, index constructors, ``allclose``) are tested in
``tests/test_numpy_extra.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from cases import (
    BOOL,
    INTS,
    NUMERIC,
    Case,
    Sample,
    away_from_zero,
    binary,
    broadcast_pair,
    broadcastable,
    distinct,
    not_integer,
    shape,
    ties,
    unary,
    uniform,
)

import functrace.numpy as fnp

Make = Callable[[np.random.Generator, np.dtype[Any]], Sample]


# -- elementwise --


def fmod_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """(x, y) with y away from 0 and x / y away from the integers (where fmod jumps)."""
    xs, ys = broadcast_pair(rng)
    full = np.broadcast_shapes(xs, ys)
    y = away_from_zero(rng, ys, dtype, lo=0.5)
    if np.dtype(dtype).kind in "iu":
        return Sample((uniform(rng, xs, dtype, -9, 9), y))
    x = (np.broadcast_to(y, full) * not_integer(rng, full, dtype)).astype(dtype)
    return Sample((x, y))


def ldexp_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    xs, ns = broadcast_pair(rng)
    return Sample((uniform(rng, xs, dtype), rng.integers(-3, 4, size=ns).astype(np.int32)))


def isclose_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """b near a (within the tolerances or not), with some infinities and NaNs."""
    a = uniform(rng, shape(rng), dtype, -5, 5)
    offsets = np.asarray(rng.choice([0.0, 1e-9, 1e-6, 1e-3], size=a.shape))
    b = (a + offsets).astype(dtype) if np.dtype(dtype).kind == "f" else a.copy()
    if np.dtype(dtype).kind == "f" and a.size:
        specials = rng.random(a.shape) < 0.2
        a = np.where(specials, rng.choice([np.inf, -np.inf, np.nan], size=a.shape), a)
    return Sample((a.astype(dtype), b.astype(dtype)))


def specials_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x = uniform(rng, shape(rng), dtype)
    pick = rng.random(x.shape)
    x = np.where(pick < 0.2, np.inf, np.where(pick < 0.4, -np.inf, np.where(pick < 0.5, np.nan,
                                                                             x)))
    return Sample((x.astype(dtype),))


def select_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    s = shape(rng)
    return Sample((rng.random(broadcastable(rng, s)) < 0.4, rng.random(s) < 0.5,
                   uniform(rng, broadcastable(rng, s), dtype), uniform(rng, s, dtype)))


def select_fn(c1: Any, c2: Any, x: Any, y: Any) -> Any:
    return fnp.select([c1, c2], [x, y], 0.5)


def select_ref(c1: Any, c2: Any, x: Any, y: Any) -> Any:
    return np.select([c1, c2], [x, y], 0.5)


# -- reductions and statistics --


def axis_sample(domain: Callable[..., np.ndarray] = uniform, min_dim: int = 1,
                tuple_axes: bool = True, none: bool = True, keepdims: bool = True) -> Make:
    """An array of rank >= 1 and NumPy's ``axis`` (an int, maybe negative; a tuple; None) and
    ``keepdims``."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        x_shape = shape(rng, min_rank=1, min_dim=min_dim)
        x = domain(rng, x_shape, dtype)
        nd = len(x_shape)
        r = rng.random()
        axis: Any = int(rng.integers(-nd, nd))
        if none and r < 0.25:
            axis = None
        elif tuple_axes and r < 0.5:
            axis = tuple(int(a) for a in rng.choice(nd, size=int(rng.integers(1, nd + 1)),
                                                    replace=False))
        params: dict[str, Any] = {"axis": axis}
        if keepdims:
            params["keepdims"] = bool(rng.random() < 0.5)
        return Sample((x,), params)

    return make


def with_nans(rng: np.random.Generator, shp: tuple[int, ...], dtype: np.dtype[Any]
              ) -> np.ndarray:
    """Distinct values with about a quarter NaNs (floats; integers have none)."""
    x = distinct(rng, shp, dtype)
    if np.dtype(dtype).kind == "f":
        x = np.where(rng.random(shp) < 0.25, np.nan, x).astype(dtype)
    return x


def cumulative_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1)
    axis = None if len(x_shape) == 1 and rng.random() < 0.5 else int(
        rng.integers(-len(x_shape), len(x_shape)))
    return Sample((uniform(rng, x_shape, dtype, -1.5, 1.5),),
                  {"axis": axis, "include_initial": bool(rng.random() < 0.5)})


def quantile_sample(method: str = "linear", nan: bool = False) -> Make:
    """Distinct values, ``q`` (a scalar or a vector, static) and NumPy's axis / keepdims.
    With NaNs, ``q`` is a scalar: for an all-NaN array and a vector ``q`` NumPy's nan
    functions return the input's dtype instead of the promoted one."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        domain = with_nans if nan else distinct
        sample = axis_sample(domain)(rng, dtype)
        q: Any = float(rng.uniform(0, 1)) if nan or rng.random() < 0.5 else tuple(
            float(v) for v in rng.uniform(0, 1, size=int(rng.integers(1, 4))))
        return Sample(sample.args, {**sample.params, "q": q, "method": method})

    return make


def percent(q: Any) -> Any:
    """A quantile as a percentage (Python floats: weakly typed, like ``q``)."""
    return q * 100.0 if isinstance(q, float) else tuple(v * 100.0 for v in q)


def traced_q_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """``q`` as an argument, with q * (n - 1) away from the integers (where the derivative in
    q jumps)."""
    n = int(rng.integers(2, 6))
    batch = shape(rng, max_rank=1)
    x = distinct(rng, (*batch, n), dtype)
    q = not_integer(rng, shape(rng, max_rank=1), np.dtype(np.float64)) % 1.0
    q = (q + rng.integers(0, n - 1, size=q.shape)) / (n - 1)
    return Sample((x, q.astype(dtype)), {"axis": -1})


def cov_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    n_obs = int(rng.integers(3, 6))
    n_var = int(rng.integers(1, 4))
    rowvar = bool(rng.random() < 0.5)
    m = distinct(rng, (n_var, n_obs) if rowvar else (n_obs, n_var), dtype, gap=0.3)
    params: dict[str, Any] = {"rowvar": rowvar}
    r = rng.random()
    if r < 0.25:
        params["bias"] = True
    elif r < 0.5:
        params["aweights"] = rng.uniform(0.5, 2.0, size=n_obs)
    elif r < 0.75:
        params["fweights"] = rng.integers(1, 4, size=n_obs)
    return Sample((m,), params)


def corrcoef_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    n_obs, n_var = int(rng.integers(3, 6)), int(rng.integers(1, 4))
    return Sample((distinct(rng, (n_var, n_obs), dtype, gap=0.3),))


def trapezoid_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    y_shape = shape(rng, min_rank=1)
    axis = int(rng.integers(-len(y_shape), len(y_shape)))
    y = uniform(rng, y_shape, dtype)
    if rng.random() < 0.5:
        return Sample((y,), {"axis": axis, "dx": float(rng.uniform(0.1, 2.0))})
    x = uniform(rng, (y_shape[axis],), dtype)
    return Sample((y, x), {"axis": axis})


def trapezoid_fn(y: Any, x: Any = None, **params: Any) -> Any:
    return fnp.trapezoid(y, x, **params)


def trapezoid_ref(y: Any, x: Any = None, **params: Any) -> Any:
    return np.trapezoid(y, x, **params)


def gradient_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    edge_order = int(rng.integers(1, 3))
    f_shape = shape(rng, min_rank=1, min_dim=edge_order + 1, max_dim=4)
    nd = len(f_shape)
    axis = int(rng.integers(-nd, nd))
    r = rng.random()
    params: dict[str, Any] = {"axis": axis, "edge_order": edge_order}
    if r < 0.3:
        params["spacing"] = float(rng.uniform(0.2, 2.0))
    elif r < 0.6:  # uneven coordinates
        params["spacing"] = np.cumsum(rng.uniform(0.3, 1.0, size=f_shape[axis]))
    return Sample((uniform(rng, f_shape, dtype),), params)


def gradient_fn(f: Any, axis: int, edge_order: int, spacing: Any = None) -> Any:
    spacings = () if spacing is None else (spacing,)
    return fnp.gradient(f, *spacings, axis=axis, edge_order=edge_order)


def gradient_ref(f: Any, axis: int, edge_order: int, spacing: Any = None) -> Any:
    spacings = () if spacing is None else (spacing,)
    return np.gradient(f, *spacings, axis=axis, edge_order=edge_order)


def ediff1d_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x = uniform(rng, shape(rng, min_rank=1), dtype)
    params: dict[str, Any] = {}
    if rng.random() < 0.5:
        params["to_begin"] = (-1, 1)
    if rng.random() < 0.5:
        params["to_end"] = 3
    return Sample((x,), params)


# -- searching and interpolating --

KNOTS = (-1.5, -0.5, 0.25, 1.0, 1.75)


def between_knots(rng: np.random.Generator, shp: tuple[int, ...], dtype: np.dtype[Any]
                  ) -> np.ndarray:
    """Values at least 0.1 away from every knot (interp's kinks), some outside the knots."""
    edges = np.array([-2.5, *KNOTS, 2.5])
    k = rng.integers(0, len(edges) - 1, size=shp)
    lo, hi = edges[k] + 0.1, edges[k + 1] - 0.1
    return (lo + (hi - lo) * rng.random(shp)).astype(dtype)


def interp_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    params: dict[str, Any] = {"xp": np.array(KNOTS, dtype)}
    if rng.random() < 0.3:
        params.update(left=-3.0, right=4.0)
    return Sample((between_knots(rng, shape(rng), dtype), uniform(rng, (len(KNOTS),), dtype)),
                  params)


def interp_fn(x: Any, fp: Any, xp: Any, **params: Any) -> Any:
    return fnp.interp(x, xp, fp, **params)


def interp_ref(x: Any, fp: Any, xp: Any, **params: Any) -> Any:
    return np.interp(x, xp, fp, **params)


def searchsorted_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    a = np.sort(ties(rng, (int(rng.integers(1, 6)),), dtype))
    side = "left" if rng.random() < 0.5 else "right"
    return Sample((ties(rng, shape(rng), dtype),), {"a": a, "side": side})


def searchsorted_fn(v: Any, a: Any, side: str) -> Any:
    return fnp.searchsorted(a, v, side)


def searchsorted_ref(v: Any, a: Any, side: str) -> Any:
    return np.searchsorted(a, v, side)


# -- shapes --


def low_rank_sample(max_rank: int) -> Make:
    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        return Sample((uniform(rng, shape(rng, max_rank=max_rank), dtype),))

    return make


def broadcast_arrays_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    s = shape(rng, min_rank=1)
    t = broadcastable(rng, s)
    if t == s:
        t = s[1:]  # something to broadcast
    shapes = [s, t, broadcastable(rng, s)]
    rng.shuffle(shapes)
    return Sample(tuple(uniform(rng, sh_, dtype) for sh_ in shapes))


def stack_sample(min_rank: int, max_rank: int, axis: int) -> Make:
    """2 or 3 arrays of one rank that match except along ``axis`` (when they have it)."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        base = list(shape(rng, min_rank=min_rank, max_rank=max_rank))
        out = []
        for _ in range(int(rng.integers(2, 4))):
            s = list(base)
            if len(s) > axis:
                s[axis] = int(rng.integers(1, 4))
            out.append(uniform(rng, tuple(s), dtype))
        return Sample(tuple(out))

    return make


def split_sample(axis: int, min_rank: int) -> Make:
    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        x_shape = list(shape(rng, min_rank=min_rank, max_rank=max(min_rank, 3)))
        n = int(rng.integers(2, 4))  # at least two parts: a cut, so a slice
        ax = axis if len(x_shape) > 1 or axis == 0 else 0
        x_shape[ax] = n * int(rng.integers(1, 3))
        sections: Any = n if rng.random() < 0.5 else tuple(sorted(
            int(i) for i in rng.integers(0, x_shape[ax] + 1, size=2)))
        return Sample((uniform(rng, tuple(x_shape), dtype),), {"indices_or_sections": sections})

    return make


def rot90_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=2, max_rank=4)
    nd = len(x_shape)
    a, b = (int(v) for v in rng.choice(nd, size=2, replace=False))
    axes = (a - nd if rng.random() < 0.3 else a, b)
    k = int(rng.choice([-1, 1, 2, 3, 5]))
    return Sample((uniform(rng, x_shape, dtype),), {"k": k, "axes": axes})


def unstack_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    x_shape = shape(rng, min_rank=1)
    return Sample((uniform(rng, x_shape, dtype),),
                  {"axis": int(rng.integers(-len(x_shape), len(x_shape)))})


def matrix_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    return Sample((uniform(rng, shape(rng, min_rank=2, max_rank=4), dtype),))


def append_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    a_shape = list(shape(rng, min_rank=1))
    if rng.random() < 0.5:
        return Sample((uniform(rng, tuple(a_shape), dtype), uniform(rng, shape(rng), dtype)),
                      {"axis": None})
    axis = int(rng.integers(0, len(a_shape)))
    b_shape = list(a_shape)
    b_shape[axis] = int(rng.integers(1, 3))
    return Sample((uniform(rng, tuple(a_shape), dtype), uniform(rng, tuple(b_shape), dtype)),
                  {"axis": axis})


def block_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """A 2 x 2 grid of blocks: rows of heights (r1, r2), columns of widths (c1, c2)."""
    r1, r2, c1, c2 = (int(v) for v in rng.integers(1, 4, size=4))
    return Sample(tuple(uniform(rng, s, dtype) for s in [(r1, c1), (r1, c2), (r2, c1),
                                                         (r2, c2)]))


def block_fn(a: Any, b: Any, c: Any, d: Any) -> Any:
    return fnp.block([[a, b], [c, d]])


def block_ref(a: Any, b: Any, c: Any, d: Any) -> Any:
    return np.block([[a, b], [c, d]])


def pad_sample(modes: tuple[str, ...]) -> Make:
    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        x_shape = shape(rng, min_rank=1)
        widths = tuple((int(rng.integers(0, 5)), int(rng.integers(0, 5))) for _ in x_shape)
        if not any(lo or hi for lo, hi in widths):
            widths = ((1, 0), *widths[1:])  # something to pad
        params: dict[str, Any] = {"pad_width": widths, "mode": str(rng.choice(modes))}
        if params["mode"] == "constant" and rng.random() < 0.5:
            params["constant_values"] = ((1, -2),) * len(x_shape)
        return Sample((uniform(rng, x_shape, dtype),), params)

    return make


def meshgrid_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    n = int(rng.integers(2, 4))
    xs = tuple(uniform(rng, (int(rng.integers(2, 4)),), dtype) for _ in range(n))
    return Sample(xs, {"indexing": "xy" if rng.random() < 0.5 else "ij"})


def space_sample(positive: bool) -> Make:
    """``start`` and ``stop`` (broadcastable, maybe arrays) for linspace-like functions."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        s, t = broadcast_pair(rng)
        lo, hi = (0.3, 3.0) if positive else (-2.0, 2.0)
        params = {"num": int(rng.integers(1, 6)), "endpoint": bool(rng.random() < 0.7)}
        return Sample((uniform(rng, s, dtype, lo, hi), uniform(rng, t, dtype, lo, hi)), params)

    return make


# -- linear algebra helpers --


def vecdot_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    xs, ys = broadcast_pair(rng)
    k = int(rng.integers(1, 4))
    return Sample((uniform(rng, (*xs, k), dtype), uniform(rng, (*ys, k), dtype)))


def matvec_sample(vector_first: bool) -> Make:
    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        ms, vs = broadcast_pair(rng)
        m, n = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        if vector_first:
            return Sample((uniform(rng, (*vs, n), dtype), uniform(rng, (*ms, n, m), dtype)))
        return Sample((uniform(rng, (*ms, m, n), dtype), uniform(rng, (*vs, n), dtype)))

    return make


def convolve_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    a = uniform(rng, (int(rng.integers(1, 6)),), dtype)
    v = uniform(rng, (int(rng.integers(1, 6)),), dtype)
    return Sample((a, v), {"mode": str(rng.choice(["full", "same", "valid"]))})


def vander_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    # At least two columns: a power to compute.
    x = uniform(rng, (int(rng.integers(2, 5)),), dtype)
    n = None if rng.random() < 0.4 else int(rng.integers(2, 5))
    return Sample((x,), {"N": n, "increasing": bool(rng.random() < 0.5)})


def polyval_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    return Sample((uniform(rng, (int(rng.integers(1, 5)),), dtype),
                   uniform(rng, shape(rng), dtype, -1.5, 1.5)))


def diagflat_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    return Sample((uniform(rng, shape(rng, min_rank=1, max_rank=2), dtype),),
                  {"k": int(rng.integers(-2, 3))})


# ---------------------------------------------------------------------------------------------
# The rows

_NO_NAN_AXIS = axis_sample(distinct)
# Rows whose integer inputs give float outputs: compare those as floats, not exactly.
INT_TO_FLOAT = {"int64": (1e-12, 1e-12), "int32": (1e-12, 1e-12)}

NUMPY_EXTRA_CASES: list[Case] = [
    # -- elementwise --
    Case("sin", fnp.sinc, np.sinc, unary(uniform, lo=-3, hi=3), label="fnp.sinc"),
    # Near 0 the Taylor polynomial takes over: derivatives must still be right.
    Case("mul", fnp.sinc, np.sinc, unary(uniform, lo=-0.03, hi=0.03), label="fnp.sinc near 0"),
    Case("abs", fnp.fabs, np.fabs, unary(away_from_zero, lo=0.1), dtypes=NUMERIC,
         label="fnp.fabs", tol=INT_TO_FLOAT),
    Case("round", fnp.rint, np.rint, unary(not_integer, lo=-0.35, hi=0.35), dtypes=NUMERIC,
         label="fnp.rint", tol=INT_TO_FLOAT),
    Case("lt", fnp.signbit, np.signbit, unary(ties), dtypes=NUMERIC, differentiable=False,
         label="fnp.signbit"),
    Case("select_n", fnp.copysign, np.copysign,
         binary(away_from_zero, away_from_zero, broadcast=True), dtypes=NUMERIC,
         label="fnp.copysign", tol=INT_TO_FLOAT),
    Case("select_n", fnp.heaviside, np.heaviside, binary(away_from_zero, broadcast=True),
         dtypes=NUMERIC, label="fnp.heaviside", tol=INT_TO_FLOAT),
    Case("select_n", fnp.heaviside, np.heaviside, binary(ties, ties, broadcast=True),
         dtypes=NUMERIC, differentiable=False, label="fnp.heaviside at zero"),
    Case("rem", fnp.fmod, np.fmod, fmod_sample, dtypes=NUMERIC, label="fnp.fmod"),
    Case("rem", fnp.remainder, np.remainder, fmod_sample,
         label="fnp.remainder"),
    Case("rem", fnp.floor_divide, np.floor_divide, fmod_sample,
         differentiable=False, label="fnp.floor_divide"),
    Case("floor", fnp.divmod, np.divmod, fmod_sample, label="fnp.divmod"),
    Case("div", fnp.divmod, np.divmod, fmod_sample, dtypes=INTS, differentiable=False,
         label="fnp.divmod int"),
    Case("pow", fnp.float_power, np.float_power,
         binary(uniform, uniform, broadcast=True, x_bounds={"lo": 0.3, "hi": 2.0}),
         label="fnp.float_power"),
    Case("pow", fnp.ldexp, np.ldexp, ldexp_sample, label="fnp.ldexp"),
    Case("le", fnp.isclose, np.isclose, isclose_sample, dtypes=NUMERIC, differentiable=False,
         label="fnp.isclose"),
    Case("eq", fnp.isposinf, np.isposinf, specials_sample, differentiable=False,
         label="fnp.isposinf"),
    Case("eq", fnp.isneginf, np.isneginf, specials_sample, differentiable=False,
         label="fnp.isneginf"),
    Case("sub", fnp.modf, np.modf, unary(not_integer), label="fnp.modf"),
    Case("arctan2", fnp.angle, np.angle, unary(away_from_zero), dtypes=NUMERIC,
         label="fnp.angle", tol=INT_TO_FLOAT),
    Case("select_n", select_fn, select_ref, select_sample, dtypes=NUMERIC, label="fnp.select",
         tol=INT_TO_FLOAT),
    # -- NaN-ignoring reductions: values with NaNs; derivatives where there are none --
    Case("reduce_max", fnp.nanmax, np.nanmax, axis_sample(with_nans, tuple_axes=False),
         differentiable=False, label="fnp.nanmax nans"),
    Case("reduce_max", fnp.nanmax, np.nanmax, _NO_NAN_AXIS, label="fnp.nanmax"),
    Case("reduce_min", fnp.nanmin, np.nanmin, axis_sample(with_nans, tuple_axes=False),
         differentiable=False, label="fnp.nanmin nans"),
    Case("reduce_min", fnp.nanmin, np.nanmin, _NO_NAN_AXIS, dtypes=NUMERIC, label="fnp.nanmin"),
    Case("reduce_prod", fnp.nanprod, np.nanprod, axis_sample(with_nans), differentiable=False,
         label="fnp.nanprod nans"),
    Case("reduce_prod", fnp.nanprod, np.nanprod, axis_sample(uniform), dtypes=NUMERIC,
         label="fnp.nanprod"),
    Case("reduce_sum", fnp.nanvar, np.nanvar, axis_sample(with_nans, min_dim=2),
         differentiable=False, label="fnp.nanvar nans"),
    Case("reduce_sum", fnp.nanvar, np.nanvar, axis_sample(uniform), label="fnp.nanvar"),
    Case("sqrt", fnp.nanstd, np.nanstd, axis_sample(distinct, min_dim=2), label="fnp.nanstd"),
    Case("cumsum", fnp.nancumsum, np.nancumsum, axis_sample(with_nans, tuple_axes=False,
                                                            keepdims=False),
         dtypes=NUMERIC, label="fnp.nancumsum"),
    Case("cumprod", fnp.nancumprod, np.nancumprod, axis_sample(with_nans, tuple_axes=False,
                                                               keepdims=False),
         dtypes=NUMERIC, label="fnp.nancumprod"),
    Case("argmax", fnp.nanargmax, np.nanargmax, axis_sample(distinct, tuple_axes=False),
         dtypes=NUMERIC, differentiable=False, label="fnp.nanargmax"),
    Case("argmin", fnp.nanargmin, np.nanargmin, axis_sample(distinct, tuple_axes=False),
         dtypes=NUMERIC, differentiable=False, label="fnp.nanargmin"),
    Case("ne", fnp.count_nonzero, np.count_nonzero, axis_sample(ties),
         dtypes=(*NUMERIC, BOOL), differentiable=False, label="fnp.count_nonzero"),
    Case("cumsum", fnp.cumulative_sum, np.cumulative_sum, cumulative_sample, dtypes=NUMERIC,
         label="fnp.cumulative_sum"),
    Case("cumprod", fnp.cumulative_prod, np.cumulative_prod, cumulative_sample, dtypes=NUMERIC,
         label="fnp.cumulative_prod"),
    # -- order statistics (distinct values: the derivative follows the sort) --
    Case("argsort", fnp.median, np.median, _NO_NAN_AXIS, dtypes=NUMERIC, label="fnp.median",
         tol=INT_TO_FLOAT),
    Case("argsort", fnp.median, np.median, axis_sample(with_nans), differentiable=False,
         label="fnp.median nans"),
    Case("argsort", fnp.nanmedian, np.nanmedian, axis_sample(with_nans), differentiable=False,
         label="fnp.nanmedian nans"),
    Case("argsort", fnp.nanmedian, np.nanmedian, _NO_NAN_AXIS, label="fnp.nanmedian"),
    Case("argsort", fnp.quantile, np.quantile, quantile_sample(), dtypes=NUMERIC,
         label="fnp.quantile", tol=INT_TO_FLOAT),
    *[Case("argsort", fnp.quantile, np.quantile, quantile_sample(m), dtypes=NUMERIC,
           label=f"fnp.quantile {m}") for m in ("lower", "higher", "nearest", "midpoint")],
    Case("argsort", fnp.quantile, np.quantile, traced_q_sample, label="fnp.quantile traced q"),
    Case("argsort", fnp.nanquantile, np.nanquantile, quantile_sample(nan=True),
         differentiable=False, label="fnp.nanquantile nans"),
    Case("argsort", fnp.nanquantile, np.nanquantile, quantile_sample(), label="fnp.nanquantile"),
    Case("argsort", lambda x, q, **p: fnp.percentile(x, percent(q), **p),
         lambda x, q, **p: np.percentile(x, percent(q), **p), quantile_sample(),
         label="fnp.percentile"),
    Case("argsort", lambda x, q, **p: fnp.nanpercentile(x, percent(q), **p),
         lambda x, q, **p: np.nanpercentile(x, percent(q), **p),
         quantile_sample(nan=True), differentiable=False, label="fnp.nanpercentile nans"),
    Case("dot_general", fnp.cov, np.cov, cov_sample, dtypes=NUMERIC, label="fnp.cov",
         tol=INT_TO_FLOAT),
    Case("dot_general", fnp.corrcoef, np.corrcoef, corrcoef_sample, label="fnp.corrcoef"),
    Case("reduce_sum", trapezoid_fn, trapezoid_ref, trapezoid_sample, dtypes=NUMERIC,
         label="fnp.trapezoid", tol=INT_TO_FLOAT),
    Case("concatenate", gradient_fn, gradient_ref, gradient_sample, dtypes=NUMERIC,
         label="fnp.gradient", tol=INT_TO_FLOAT),
    Case("sub", fnp.ediff1d, np.ediff1d, ediff1d_sample, dtypes=NUMERIC, label="fnp.ediff1d"),
    # -- searching and interpolating --
    Case("reduce_sum", searchsorted_fn, searchsorted_ref, searchsorted_sample, dtypes=NUMERIC,
         differentiable=False, label="fnp.searchsorted"),
    Case("div", interp_fn, interp_ref, interp_sample, label="fnp.interp"),
    # -- shapes --
    Case("reshape", fnp.atleast_3d, np.atleast_3d, low_rank_sample(2), dtypes=NUMERIC,
         label="fnp.atleast_3d"),
    Case("broadcast_in_dim", fnp.broadcast_arrays, np.broadcast_arrays,
         broadcast_arrays_sample, dtypes=NUMERIC, label="fnp.broadcast_arrays"),
    Case("concatenate", lambda *xs: fnp.column_stack(xs), lambda *xs: np.column_stack(xs),
         stack_sample(1, 2, 1), dtypes=NUMERIC, label="fnp.column_stack"),
    Case("concatenate", lambda *xs: fnp.dstack(xs), lambda *xs: np.dstack(xs),
         stack_sample(3, 3, 2), dtypes=NUMERIC, label="fnp.dstack"),
    Case("concatenate", lambda *xs: fnp.concat(xs, axis=0), lambda *xs: np.concat(xs, axis=0),
         stack_sample(1, 3, 0), label="fnp.concat"),
    Case("slice", fnp.hsplit, np.hsplit, split_sample(1, 1), dtypes=NUMERIC, label="fnp.hsplit"),
    Case("slice", fnp.vsplit, np.vsplit, split_sample(0, 2), label="fnp.vsplit"),
    Case("slice", fnp.dsplit, np.dsplit, split_sample(2, 3), label="fnp.dsplit"),
    Case("rev", fnp.rot90, np.rot90, rot90_sample, dtypes=NUMERIC, label="fnp.rot90"),
    Case("slice", fnp.unstack, np.unstack, unstack_sample, label="fnp.unstack"),
    Case("transpose", fnp.matrix_transpose, np.matrix_transpose, matrix_sample,
         label="fnp.matrix_transpose"),
    Case("concatenate", fnp.append, np.append, append_sample, dtypes=NUMERIC,
         label="fnp.append"),
    Case("concatenate", block_fn, block_ref, block_sample, label="fnp.block"),
    Case("pad", fnp.pad, np.pad, pad_sample(("constant",)), dtypes=NUMERIC,
         label="fnp.pad constant"),
    Case("gather", fnp.pad, np.pad, pad_sample(("edge", "reflect", "symmetric", "wrap")),
         dtypes=NUMERIC, label="fnp.pad edge/reflect/symmetric/wrap"),
    Case("broadcast_in_dim", fnp.meshgrid, np.meshgrid, meshgrid_sample, label="fnp.meshgrid"),
    Case("mul", fnp.linspace, np.linspace, space_sample(positive=False),
         label="fnp.linspace traced"),
    Case("pow", fnp.logspace, np.logspace, space_sample(positive=False),
         label="fnp.logspace traced"),
    Case("log", fnp.geomspace, np.geomspace, space_sample(positive=True),
         label="fnp.geomspace traced"),
    Case("pad", fnp.diagflat, np.diagflat, diagflat_sample, dtypes=NUMERIC,
         label="fnp.diagflat"),
    # -- products, convolutions, polynomials --
    Case("reduce_sum", fnp.vecdot, np.vecdot, vecdot_sample, dtypes=NUMERIC,
         label="fnp.vecdot"),
    Case("dot_general", fnp.matvec, np.matvec, matvec_sample(vector_first=False),
         dtypes=NUMERIC, label="fnp.matvec"),
    Case("dot_general", fnp.vecmat, np.vecmat, matvec_sample(vector_first=True),
         dtypes=NUMERIC, label="fnp.vecmat"),
    Case("dot_general", fnp.convolve, np.convolve, convolve_sample, dtypes=NUMERIC,
         label="fnp.convolve"),
    Case("dot_general", fnp.correlate, np.correlate, convolve_sample, dtypes=NUMERIC,
         label="fnp.correlate"),
    Case("integer_pow", fnp.vander, np.vander, vander_sample, dtypes=NUMERIC,
         label="fnp.vander"),
    Case("mul", fnp.polyval, np.polyval, polyval_sample, dtypes=NUMERIC, label="fnp.polyval"),
]
