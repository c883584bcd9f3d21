"""Rows of the primitive table (format: ``tests/cases.py``) for ``lax``'s convolutions and
windowed reductions (``functrace/_lax_conv.py``), which are composites of existing primitives.

The references are NumPy loops written from the definitions, independently of the
implementation: :func:`conv_reference` dilates and pads the input explicitly and sums each
output entry's window against the kernel, group by group; :func:`reduce_window_reference`
folds ``computation`` over the in-bounds entries of each window, starting from
``init_value`` (XLA's definition: padding and dilation holes are skipped).

Shapes are small (the table runs every row through second-order derivative checks and vmap).
Max and min pooling draw distinct values and no window that holds padding only, so no
maximum ties and none is infinite; products draw values in [0.5, 1.5].
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from cases import FLOATS, NUMERIC, Case, Sample, distinct, uniform

from functrace import lax

Make = Callable[[np.random.Generator, np.dtype[Any]], Sample]

# Sums of a few dozen products: float32 rounds differently from the reference's order.
CONV_TOL = {"float32": (1e-4, 1e-4)}


# -- references --------------------------------------------------------------------------------


def layout_permutations(dimension_numbers: Any, ndim: int) -> list[list[int]]:
    """The axes of (batch, feature, spatial...) for lhs and out, (out feature, in feature,
    spatial...) for rhs; spatial axes ordered as in the kernel's layout string."""
    if dimension_numbers is None:
        return [list(range(ndim))] * 3
    if not isinstance(dimension_numbers[0], str):
        return [list(spec) for spec in dimension_numbers]
    lhs, rhs, out = dimension_numbers
    spatial = [c for c in rhs if c not in "OI"]
    return [[s.index(a), s.index(b), *(s.index(c) for c in spatial)]
            for s, (a, b) in ((lhs, "NC"), (rhs, "OI"), (out, "NC"))]


def same_pads(in_sizes: Sequence[int], windows: Sequence[int], strides: Sequence[int],
              padding: str) -> list[tuple[int, int]]:
    """'SAME' pads to ceil(in / stride) windows, the odd entry at the end ('SAME_LOWER': at
    the start); 'VALID' pads nothing."""
    if padding == "VALID":
        return [(0, 0)] * len(in_sizes)
    pads = []
    for n, k, s in zip(in_sizes, windows, strides, strict=True):
        total = max((int(np.ceil(n / s)) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2) if padding == "SAME"
                    else (total - total // 2, total // 2))
    return pads


def dilate_and_pad(x: np.ndarray, axes: Sequence[int], dilation: Sequence[int],
                   pads: Sequence[tuple[int, int]], fill: Any) -> np.ndarray:
    """``x`` with ``d - 1`` entries of ``fill`` between its entries and ``pads`` of ``fill`` at
    the ends of ``axes`` (negative pads remove entries)."""
    for a, d, (lo, hi) in zip(axes, dilation, pads, strict=True):
        n = x.shape[a]
        shape = list(x.shape)
        shape[a] = (n - 1) * d + 1 if n else 0
        spread = np.full(shape, fill, x.dtype)
        index = [slice(None)] * x.ndim
        index[a] = slice(None, None, d)
        spread[tuple(index)] = x
        widths = [(0, 0)] * x.ndim
        widths[a] = (max(lo, 0), max(hi, 0))
        x = np.pad(spread, widths, constant_values=fill)
        index[a] = slice(max(-lo, 0), x.shape[a] - max(-hi, 0))
        x = x[tuple(index)]
    return x


def conv_reference(lhs: np.ndarray, rhs: np.ndarray, window_strides: Sequence[int],
                   padding: Any, lhs_dilation: Sequence[int] | None = None,
                   rhs_dilation: Sequence[int] | None = None, dimension_numbers: Any = None,
                   feature_group_count: int = 1, batch_group_count: int = 1) -> np.ndarray:
    """jax.lax.conv_general_dilated, one output entry at a time."""
    lp, rp, op = layout_permutations(dimension_numbers, lhs.ndim)
    x, w = lhs.transpose(lp), rhs.transpose(rp)  # (N, C, spatial...), (O, I, spatial...)
    n = x.ndim - 2
    lhs_dilation = lhs_dilation or (1,) * n
    rhs_dilation = rhs_dilation or (1,) * n
    spans = [(k - 1) * r + 1 for k, r in zip(w.shape[2:], rhs_dilation, strict=True)]
    pads = (same_pads(x.shape[2:], spans, window_strides, padding)
            if isinstance(padding, str) else list(padding))
    xp = dilate_and_pad(x, range(2, n + 2), lhs_dilation, pads, 0)
    out_sizes = [max((p - k) // s + 1, 0)
                 for p, k, s in zip(xp.shape[2:], spans, window_strides, strict=True)]
    batch, _ = x.shape[:2]
    o_count, i_count = w.shape[:2]
    fg, bg = feature_group_count, batch_group_count
    out = np.zeros((batch // bg, o_count, *out_sizes), x.dtype)
    for pos in itertools.product(*(range(m) for m in out_sizes)):
        window = xp[(slice(None), slice(None), *(
            slice(p * s, p * s + k, r)
            for p, s, k, r in zip(pos, window_strides, spans, rhs_dilation, strict=True)))]
        for o in range(o_count):
            rows = np.arange(batch)
            chans = np.arange(i_count)
            if fg > 1:  # output feature o reads input features of its group
                chans = chans + (o // (o_count // fg)) * i_count
            if bg > 1:  # output feature o reads the batch group it belongs to
                rows = np.arange(batch // bg) + (o // (o_count // bg)) * (batch // bg)
            patch = window[rows][:, chans]
            out[(slice(None), o, *pos)] = np.sum(patch * w[o], axis=tuple(range(1, n + 2)))
    return out.transpose(np.argsort(op))


_UFUNCS: dict[Any, Callable[[Any, Any], Any]] = {
    lax.add: np.add, lax.max: np.maximum, lax.min: np.minimum, lax.mul: np.multiply,
    operator.add: np.add, operator.mul: np.multiply, max: np.maximum, min: np.minimum}


def reduce_window_reference(operand: np.ndarray, init_value: Any,
                            computation: Callable[[Any, Any], Any],
                            window_dimensions: Sequence[int],
                            window_strides: Sequence[int] | None = None, padding: Any = "VALID",
                            base_dilation: Sequence[int] | None = None,
                            window_dilation: Sequence[int] | None = None) -> np.ndarray:
    """XLA's ReduceWindow: ``init_value`` combined with each in-bounds entry of the window."""
    combine = _UFUNCS.get(computation, computation)
    nd = operand.ndim
    strides = window_strides or (1,) * nd
    base = base_dilation or (1,) * nd
    wdil = window_dilation or (1,) * nd
    spans = [(k - 1) * d + 1 for k, d in zip(window_dimensions, wdil, strict=True)]
    pads = (same_pads(operand.shape, spans, strides, padding) if isinstance(padding, str)
            else list(padding))
    # Which entries of the padded, dilated operand are entries of the operand, and which.
    index = np.arange(operand.size).reshape(operand.shape)
    where = dilate_and_pad(index, range(nd), base, pads, -1)
    out_sizes = [max((p - k) // s + 1, 0) for p, k, s in zip(where.shape, spans, strides,
                                                             strict=True)]
    out = np.empty(out_sizes, operand.dtype)
    flat = operand.reshape(-1)
    for pos in itertools.product(*(range(m) for m in out_sizes)):
        acc = np.asarray(init_value, operand.dtype)
        for offset in itertools.product(*(range(k) for k in window_dimensions)):
            i = where[tuple(p * s + o * d for p, s, o, d in zip(pos, strides, offset, wdil,
                                                                   strict=True))]
            if i >= 0:
                acc = np.asarray(combine(acc, flat[i]), operand.dtype)
        out[pos] = acc
    return out


# -- samples -----------------------------------------------------------------------------------


def _canonical_shapes(rng: np.random.Generator, n: int, groups: tuple[int, int] = (1, 1),
                      max_size: int = 5) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(N, C, spatial...) and (O, I, spatial...) for ``n`` spatial axes and (feature, batch)
    group counts."""
    fg, bg = groups
    i = int(rng.integers(1, 3))
    o = int(rng.integers(1, 3)) * max(fg, bg)
    batch = int(rng.integers(1, 3)) * bg
    spatial = tuple(int(rng.integers(2, max_size + 1)) for _ in range(n))
    kernel = tuple(int(rng.integers(1, 4)) for _ in range(n))
    return (batch, i * fg, *spatial), (o, i, *kernel)


def _in_layout(canonical: tuple[int, ...], perm: Sequence[int]) -> tuple[int, ...]:
    """The shape whose axes ``perm`` lists in canonical order."""
    shape = [0] * len(canonical)
    for size, axis in zip(canonical, perm, strict=True):
        shape[axis] = size
    return tuple(shape)


def conv_sample(n: int, padding: str = "string", dilation: bool = False,
                groups: str | None = None, layout: Any = None, max_size: int = 5) -> Make:
    """A convolution with ``n`` spatial axes: random strides, and padding drawn as 'SAME',
    'VALID' or 'SAME_LOWER' (``"string"``), as (low, high) pairs of -1..2 (``"pairs"``);
    with ``dilation``, lhs and rhs dilations; ``groups`` "feature" or "batch"."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        while True:  # until the result has entries (an empty one has no equation to check)
            sample = draw(rng, dtype)
            if conv_reference(*sample.args, **sample.params).size:
                return sample

    def draw(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        fg = int(rng.integers(2, 4)) if groups == "feature" else 1
        bg = int(rng.integers(2, 4)) if groups == "batch" else 1
        lhs_c, rhs_c = _canonical_shapes(rng, n, (fg, bg), max_size)
        lp, rp, _ = layout_permutations(layout, n + 2)
        lhs = uniform(rng, _in_layout(lhs_c, lp), dtype)
        rhs = uniform(rng, _in_layout(rhs_c, rp), dtype)
        params: dict[str, Any] = {
            "window_strides": tuple(int(s) for s in rng.integers(1, 3, n)),
            "dimension_numbers": layout, "feature_group_count": fg, "batch_group_count": bg}
        if dilation:
            params["lhs_dilation"] = tuple(int(d) for d in rng.integers(1, 3, n))
            params["rhs_dilation"] = tuple(int(d) for d in rng.integers(1, 3, n))
        if padding == "string" and not dilation:
            params["padding"] = str(rng.choice(["SAME", "VALID", "SAME_LOWER"]))
        else:
            params["padding"] = tuple((int(lo), int(hi)) for lo, hi in rng.integers(-1, 3, (n, 2)))
        return Sample((lhs, rhs), params)

    return make


def conv_transpose_sample(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """conv_transpose in its default layout (NHWC, HWIO), 'SAME' or 'VALID'."""
    n = int(rng.integers(1, 3))
    (batch, c, *spatial), (o, _, *kernel) = _canonical_shapes(rng, n, max_size=4)
    transpose_kernel = bool(rng.random() < 0.5)
    lhs = uniform(rng, (batch, *spatial, c), dtype)
    rhs = uniform(rng, (*kernel, o, c) if transpose_kernel else (*kernel, c, o), dtype)
    return Sample((lhs, rhs), {"strides": tuple(int(s) for s in rng.integers(1, 3, n)),
                               "padding": str(rng.choice(["SAME", "VALID"])),
                               "transpose_kernel": transpose_kernel})


def conv_transpose_reference(lhs: np.ndarray, rhs: np.ndarray, strides: Sequence[int],
                             padding: str, transpose_kernel: bool) -> np.ndarray:
    """A convolution of the input dilated by ``strides``, padded as JAX's conv_transpose
    documents ('SAME': k + s - 2 in all, k - 1 before when s > k - 1; 'VALID': k + s - 2 +
    max(k - s, 0), k - 1 before)."""
    n = lhs.ndim - 2
    kernel = rhs.shape[:n]
    if transpose_kernel:
        rhs = np.swapaxes(np.flip(rhs, tuple(range(n))), n, n + 1)
    pads = []
    for k, s in zip(kernel, strides, strict=True):
        if padding == "SAME":
            total = k + s - 2
            lo = k - 1 if s > k - 1 else int(np.ceil(total / 2))
        else:
            total, lo = k + s - 2 + max(k - s, 0), k - 1
        pads.append((lo, total - lo))
    spatial = "HWD"[:n]
    layout = (f"N{spatial}C", f"{spatial}IO", f"N{spatial}C")
    return conv_reference(lhs, rhs, (1,) * n, pads, tuple(strides), None, layout)


def pooling_sample(kind: str) -> Make:
    """An operand of rank 1 to 3 and a window over it.  ``max``/``min``: distinct values, no
    dilation holes, padding smaller than the window (no window of padding only); ``mul``:
    values in [0.5, 1.5]; ``add``: dilations and any padding."""

    def make(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        while True:  # until the result has entries
            sample = draw(rng, dtype)
            if reduce_window_reference(sample.args[0], 0, operator.add, **sample.params).size:
                return sample

    def draw(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
        nd = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(2, 5, nd))
        dims = [int(k) for k in rng.integers(1, 4, nd)]
        dims[int(rng.integers(nd))] = int(rng.integers(2, 4))  # a window of several entries
        if kind in ("max", "min"):
            x = distinct(rng, shape, dtype)
        elif kind == "mul":
            x = uniform(rng, shape, dtype, 0.5, 1.5)
        else:
            x = uniform(rng, shape, dtype)
        params: dict[str, Any] = {"window_dimensions": tuple(dims),
                                  "window_strides": tuple(int(s) for s in rng.integers(1, 3, nd))}
        if kind in ("add", "generic"):
            params["base_dilation"] = tuple(int(d) for d in rng.integers(1, 3, nd))
            params["window_dilation"] = tuple(int(d) for d in rng.integers(1, 3, nd))
            params["padding"] = tuple((int(lo), int(hi)) for lo, hi in rng.integers(-1, 3, (nd, 2)))
        elif rng.random() < 0.5:
            params["padding"] = str(rng.choice(["SAME", "VALID", "SAME_LOWER"]))
        else:  # at most k - 1 entries of padding: every window holds an entry
            params["padding"] = tuple((int(rng.integers(0, k)), int(rng.integers(0, k)))
                                      for k in dims)
        return Sample((x,), params)

    return make


def _pool(computation: Callable[[Any, Any], Any], init: Any) -> Callable[..., Any]:
    def fn(x: Any, **params: Any) -> Any:
        return lax.reduce_window(x, init, computation, **params)

    return fn


def _pool_reference(computation: Callable[[Any, Any], Any], init: Any) -> Callable[..., Any]:
    def ref(x: np.ndarray, **params: Any) -> np.ndarray:
        return reduce_window_reference(x, init, computation, **params)

    return ref


def _weighted(a: Any, b: Any) -> Any:
    """A computation reduce_window does not know: folded over the window in order."""
    return a * 0.5 + b


def _average_pool(x: Any, **params: Any) -> Any:
    size = int(np.prod(params["window_dimensions"]))
    return lax.div(lax.reduce_window(x, 0.0, lax.add, **params), np.asarray(size, x.dtype))


def _average_pool_reference(x: np.ndarray, **params: Any) -> np.ndarray:
    size = int(np.prod(params["window_dimensions"]))
    return reduce_window_reference(x, 0.0, lax.add, **params) / np.asarray(size, x.dtype)


def _conv(x: Any, w: Any, **params: Any) -> Any:
    return lax.conv_general_dilated(x, w, **params)


CONV_CASES: list[Case] = [
    Case("dot_general", _conv, conv_reference, conv_sample(1), dtypes=NUMERIC, tol=CONV_TOL,
         label="lax.conv_general_dilated 1-d"),
    Case("dot_general", _conv, conv_reference, conv_sample(2), tol=CONV_TOL,
         label="lax.conv_general_dilated 2-d"),
    Case("pad", _conv, conv_reference, conv_sample(2, padding="pairs"), tol=CONV_TOL,
         label="lax.conv_general_dilated explicit padding"),
    Case("pad", _conv, conv_reference, conv_sample(2, dilation=True), tol=CONV_TOL,
         label="lax.conv_general_dilated lhs and rhs dilation"),
    Case("dot_general", _conv, conv_reference, conv_sample(3, max_size=3), tol=CONV_TOL,
         label="lax.conv_general_dilated 3-d"),
    Case("dot_general", _conv, conv_reference, conv_sample(2, groups="feature"), tol=CONV_TOL,
         label="lax.conv_general_dilated feature groups"),
    Case("dot_general", _conv, conv_reference, conv_sample(1, groups="batch"), tol=CONV_TOL,
         label="lax.conv_general_dilated batch groups"),
    Case("dot_general", _conv, conv_reference,
         conv_sample(2, layout=("NHWC", "HWIO", "NHWC")), tol=CONV_TOL,
         label="lax.conv_general_dilated NHWC HWIO"),
    Case("transpose", _conv, conv_reference,
         conv_sample(2, padding="pairs", layout=("HWCN", "OHWI", "CNWH")), tol=CONV_TOL,
         label="lax.conv_general_dilated mixed layouts"),
    Case("dot_general", lax.conv_transpose, conv_transpose_reference, conv_transpose_sample,
         tol=CONV_TOL, label="lax.conv_transpose"),
    Case("reduce_max", _pool(lax.max, -np.inf), _pool_reference(lax.max, -np.inf),
         pooling_sample("max"), label="lax.reduce_window max"),
    Case("reduce_min", _pool(lax.min, np.inf), _pool_reference(lax.min, np.inf),
         pooling_sample("min"), label="lax.reduce_window min"),
    Case("reduce_sum", _pool(lax.add, 0.0), _pool_reference(lax.add, 0.0), pooling_sample("add"),
         dtypes=NUMERIC, label="lax.reduce_window add, dilations"),
    Case("reduce_prod", _pool(operator.mul, 1.0), _pool_reference(operator.mul, 1.0),
         pooling_sample("mul"), label="lax.reduce_window mul"),
    Case("mul", _pool(_weighted, 0.5), _pool_reference(_weighted, 0.5), pooling_sample("generic"),
         label="lax.reduce_window other computation"),
    Case("div", _average_pool, _average_pool_reference, pooling_sample("avg"), dtypes=FLOATS,
         label="average pooling"),
]

