"""NumPy indexing on traced arrays: ``x[index]``, ``x.at[index]``, and NumPy's joining,
splitting and contraction functions called on tracers.

Index expressions are drawn by hypothesis (ints, slices with any step, ``None``, ``...``,
integer arrays and lists, boolean masks) and every one is checked against NumPy eagerly, as a
traced jaxpr, under ``grad`` (against a scatter of the output weights by ``np.bincount``),
and under ``vmap``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace.errors import ConcretizationError
from functrace.interpreters.eval import eval_jaxpr
from functrace.testing import check_grads

# ---------------------------------------------------------------------------------------------
# Index expressions


def random_index(rng: np.random.Generator) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    """A shape and a NumPy index for it: ints, slices (any step, bounds beyond the ends), None,
    ``...``, integer arrays and lists (of one broadcastable family) and boolean masks."""
    low = 0 if rng.random() < 0.15 else 1  # sometimes empty axes
    shape = tuple(int(n) for n in rng.integers(low, 5, size=int(rng.integers(0, 5))))
    b_shape = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(0, 3))))
    items: list[Any] = []
    d, ellipsis_at = 0, int(rng.integers(0, len(shape) + 1)) if rng.random() < 0.3 else -1
    while d < len(shape) and rng.random() > 0.1:
        if d == ellipsis_at:
            items.append(Ellipsis)
            d += int(rng.integers(0, len(shape) - d + 1))
            ellipsis_at = -1
            continue
        n = shape[d]
        kind = rng.choice(["int", "slice", "array", "list", "mask", "new", "bool"],
                          p=[0.2, 0.3, 0.2, 0.1, 0.1, 0.06, 0.04])
        if kind in ("int", "array", "list") and n == 0:
            kind = "slice"
        if kind in ("new", "bool"):  # no axis used (a bool scalar is a 0-d mask: a new axis)
            items.append(None if kind == "new" else bool(rng.random() < 0.5))
            continue
        if kind == "int":
            items.append(int(rng.integers(-n, n)))
        elif kind == "slice":
            lo, hi = (None if rng.random() < 0.3 else int(rng.integers(-n - 2, n + 3))
                      for _ in range(2))
            items.append(slice(lo, hi, None if rng.random() < 0.3 else int(
                rng.choice([-3, -2, -1, 1, 2, 3]))))
        elif kind == "mask":
            k = int(rng.integers(1, len(shape) - d + 1))
            items.append(rng.random(shape[d:d + k]) < 0.5)
            d += k
            continue
        else:
            idx = rng.integers(-n, n, size=b_shape[int(rng.integers(0, len(b_shape) + 1)):])
            items.append(idx.tolist() if kind == "list" and idx.ndim == 1 else idx)
        d += 1
    if rng.random() < 0.3:
        items.insert(int(rng.integers(0, len(items) + 1)), None)
    index = tuple(items)
    try:
        np.empty(shape)[index]
    except IndexError:  # the arrays and masks do not broadcast together: slices instead
        index = tuple(sub for item in index for sub in _as_slices(item))
    return shape, index


def _as_slices(item: Any) -> list[Any]:
    """An array or mask item replaced by full slices over the axes it indexes."""
    if isinstance(item, (np.ndarray, list)):
        a = np.asarray(item)
        return [slice(None)] * (a.ndim if a.dtype == bool else 1)
    return [item]


index_expressions = st.integers(0, 2**32 - 1).map(lambda seed: random_index(
    np.random.default_rng(seed)))


def _values(shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    return (np.arange(int(np.prod(shape))) * 0.5 - 3.0).astype(dtype).reshape(shape)


def _grad_reference(shape: tuple[int, ...], index: tuple[Any, ...], w: np.ndarray
                    ) -> np.ndarray:
    """d/dx sum(x[index] * w): each output weight added to the entry it was read from."""
    size = int(np.prod(shape))
    positions = np.arange(size).reshape(shape)[index]
    return np.bincount(np.ravel(positions), weights=np.ravel(w), minlength=size).reshape(shape)


@settings(max_examples=40)
@given(index_expressions)
def test_getitem_matches_numpy(case: tuple[tuple[int, ...], tuple[Any, ...]]) -> None:
    shape, index = case
    x = _values(shape)
    expected = x[index]
    got = fnp.getitem(x, index)
    assert isinstance(got, np.ndarray) and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    # Traced: make_jaxpr then eval, and the plain operator on a tracer.
    closed = ft.make_jaxpr(lambda a: a[index])(x)
    (traced,) = eval_jaxpr(closed.jaxpr, closed.consts, x)
    np.testing.assert_array_equal(traced, expected)
    assert closed.out_avals[0].shape == expected.shape
    # Integer arrays keep their dtype.
    xi = x.astype(np.int32)
    np.testing.assert_array_equal(ft.jit(lambda a: a[index])(xi), xi[index])


@settings(max_examples=30)
@given(index_expressions)
def test_getitem_gradient(case: tuple[tuple[int, ...], tuple[Any, ...]]) -> None:
    shape, index = case
    x = _values(shape)
    w = np.random.default_rng(0).standard_normal(np.shape(x[index]))
    g = ft.grad(lambda a: fnp.sum(a[index] * w))(x)
    np.testing.assert_allclose(g, _grad_reference(shape, index, w), atol=1e-12)


def random_basic_index(rng: np.random.Generator) -> tuple[tuple[int, ...], Any]:
    """A shape and an index of static integers (Python or NumPy, some out of range) and
    slices only: what ``getitem``'s shortcut (``_basic_window``) handles."""
    shape = tuple(int(n) for n in rng.integers(0, 5, size=int(rng.integers(0, 4))))
    items: list[Any] = []
    for n in shape[:int(rng.integers(0, len(shape) + 1))]:
        if rng.random() < 0.4:
            i = int(rng.integers(-n - 1, n + 1))
            items.append(np.int32(i) if rng.random() < 0.2 else i)
        else:
            lo, hi = (None if rng.random() < 0.3 else int(rng.integers(-n - 2, n + 3))
                      for _ in range(2))
            items.append(slice(lo, hi, rng.choice([None, 1, 2, 3, -1, -2])))
    return shape, (items[0] if len(items) == 1 and rng.random() < 0.5 else tuple(items))


@settings(max_examples=60)
@given(st.integers(0, 2**32 - 1).map(lambda seed: random_basic_index(
    np.random.default_rng(seed))))
def test_basic_index_shortcut_records_the_general_plan(case: tuple[tuple[int, ...], Any]
                                                       ) -> None:
    """Integers and slices take a shortcut past the general plan: the same equations (or
    the same IndexError), the same values as NumPy's and the same gradient."""
    from functrace.numpy import _indexing

    shape, index = case
    x = _values(shape)

    def record() -> str:
        try:
            return str(ft.make_jaxpr(lambda a: a[index])(x))
        except IndexError as e:
            return f"IndexError: {e}"

    shortcut = record()
    basic_window = _indexing._basic_window
    _indexing._basic_window = lambda shape, index: None  # the general plan only
    try:
        assert record() == shortcut
    finally:
        _indexing._basic_window = basic_window
    try:
        expected = x[index]
    except IndexError:
        assert shortcut.startswith("IndexError")
        return
    np.testing.assert_array_equal(ft.jit(lambda a: a[index])(x), expected)
    w = np.random.default_rng(0).standard_normal(expected.shape)
    g = ft.grad(lambda a: fnp.sum(a[index] * w))(x)
    np.testing.assert_allclose(g, _grad_reference(shape, index, w), atol=1e-12)


@settings(max_examples=25)
@given(index_expressions, st.integers(1, 3), st.sampled_from([0, 1, -1]))
def test_getitem_vmap(case: tuple[tuple[int, ...], tuple[Any, ...]], size: int,
                      in_axis: int) -> None:
    shape, index = case
    xs = np.stack([_values(shape) * (k + 1) for k in range(size)], axis=0)
    axis = in_axis % xs.ndim
    xs = np.moveaxis(xs, 0, axis)
    got = ft.vmap(lambda a: a[index], in_axes=axis - xs.ndim if in_axis < 0 else axis)(xs)
    expected = np.stack([np.take(xs, k, axis=axis)[index] for k in range(size)])
    np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------------------------------------
# Traced indices


X = np.arange(24.0).reshape(4, 3, 2)

# (description, f(x, i), i): i is traced wherever f is transformed.
TRACED_INDEX_CASES: list[tuple[str, Callable[[Any, Any], Any], Any]] = [
    ("scalar", lambda x, i: x[i], np.int64(2)),
    ("negative scalar", lambda x, i: x[i], np.int64(-1)),
    ("scalar, later axis", lambda x, i: x[:, i], np.int32(1)),
    ("two scalars", lambda x, i: x[i, i - 1, 1], np.int64(1)),
    ("scalar with slice and None", lambda x, i: x[1:, None, i], np.int64(0)),
    ("scalar with an array", lambda x, i: x[i, :, [1, 0, 1]], np.int64(3)),
    ("array", lambda x, i: x[i], np.array([[0, 3], [-1, 1]])),
    ("array, later axis", lambda x, i: x[..., i], np.array([1, 0, 1])),
    ("array and slice between", lambda x, i: x[i, :, i % 2], np.array([0, 2])),
    ("list of traced scalars", lambda x, i: x[[i, i + 1]], np.int64(1)),
]


@pytest.mark.parametrize("f,i", [pytest.param(f, i, id=d) for d, f, i in TRACED_INDEX_CASES])
def test_traced_index(f: Callable[[Any, Any], Any], i: Any) -> None:
    expected = f(X, i)
    np.testing.assert_array_equal(ft.jit(f)(X, i), expected)
    closed = ft.make_jaxpr(f)(X, i)
    np.testing.assert_array_equal(eval_jaxpr(closed.jaxpr, closed.consts, X, i)[0], expected)
    # Gradient with respect to x, the index traced alongside.
    w = np.random.default_rng(1).standard_normal(np.shape(expected))
    g = ft.grad(lambda x: fnp.sum(f(x, i) * w))(X)
    assert g.shape == X.shape and np.isclose(g.sum(), w.sum())
    check_grads(lambda x: f(x, i), (X,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("f,i", [pytest.param(f, i, id=d) for d, f, i in TRACED_INDEX_CASES])
@pytest.mark.parametrize("in_axes", [(None, 0), (0, 0), (2, 0)])
def test_vmap_batched_index(f: Callable[[Any, Any], Any], i: Any, in_axes: tuple[Any, ...]
                            ) -> None:
    """vmap of x[i] with i batched (a dynamic_slice or gather with batched indices)."""
    batch = np.stack([np.asarray(i) - k % 2 for k in range(3)])  # different indices per member
    xs = X if in_axes[0] is None else np.moveaxis(np.stack([X, -X, 2 * X]), 0, in_axes[0])
    got = ft.vmap(f, in_axes=in_axes)(xs, batch)
    members = [X if in_axes[0] is None else np.take(xs, k, axis=in_axes[0]) for k in range(3)]
    expected = np.stack([f(m, b) for m, b in zip(members, batch, strict=True)])
    np.testing.assert_array_equal(got, expected)


def test_traced_scalar_index_is_clamped() -> None:
    """Out-of-range traced starts are clamped into range, as in JAX (NumPy would raise)."""
    f = ft.jit(lambda x, i: x[i])
    np.testing.assert_array_equal(f(X, np.int64(7)), X[3])
    np.testing.assert_array_equal(f(X, np.int64(-9)), X[0])


# ---------------------------------------------------------------------------------------------
# Errors


ERROR_CASES: list[tuple[str, Callable[[Any], Any], type[Exception], str]] = [
    ("int out of range", lambda x: x[4], IndexError, "index 4 is out of bounds for axis 0"),
    ("negative out of range", lambda x: x[:, -4], IndexError, "out of bounds for axis 1"),
    ("array out of range", lambda x: x[:, :, [0, 2]], IndexError, "index 2 is out of bounds"),
    ("too many indices", lambda x: x[0, 0, 0, 0], IndexError, "too many indices"),
    ("two ellipses", lambda x: x[..., 0, ...], IndexError, "single ellipsis"),
    ("float index", lambda x: x[1.0], IndexError, "only integers"),
    ("mask shape", lambda x: x[np.ones(3, bool)], IndexError, "boolean index did not match"),
    ("traced mask", lambda x: x[x > 3.0], IndexError, "traced boolean mask"),
    ("traced float index", lambda x: x[fnp.sum(x)], IndexError, "only integers"),
    ("arrays that do not broadcast", lambda x: x[[0, 1], [0, 1, 2]], IndexError,
     "could not be broadcast together"),
    # Concrete index arrays for the leading axes take a shorter path (_gather_leading).
    ("leading arrays out of range", lambda x: x[np.array([0, 1]), np.array([0, -4])],
     IndexError, "index -4 is out of bounds for axis 1"),
    ("leading arrays that do not broadcast", lambda x: x[np.array([0, 1]), np.array([0, 1, 2])],
     IndexError, "could not be broadcast together"),
]


LEADING_ARRAYS = [
    (np.array([0, 1, 0]),),
    (np.array([1, 0]), np.array([-1, 2])),
    (np.array([[0], [1]]), np.array([0, 2, -3])),
    (np.array([1, 1]), np.array([0, 0]), np.array([1, -2])),
    (np.array([0, 1], dtype=np.uint8), np.array([2, 1], dtype=np.int32)),
]


@pytest.mark.parametrize("index", LEADING_ARRAYS)
def test_leading_index_arrays(index: tuple[np.ndarray, ...]) -> None:
    # Repeated and negative indices, broadcasting index shapes, unsigned dtypes: as NumPy, in
    # value and gradient (repeats accumulate).
    np.testing.assert_array_equal(ft.jit(lambda a: a[index])(X), X[index])
    w = np.arange(float(np.size(X[index]))).reshape(np.shape(X[index]))
    g = ft.grad(lambda a: fnp.sum(a[index] * w))(X)
    np.testing.assert_allclose(g, _grad_reference(X.shape, index, w))


@pytest.mark.parametrize("f,error,match",
                         [pytest.param(f, e, m, id=d) for d, f, e, m in ERROR_CASES])
def test_index_errors(f: Callable[[Any], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        ft.make_jaxpr(f)(X)


def test_traced_slice_bound_needs_a_concrete_value() -> None:
    with pytest.raises(ConcretizationError):
        ft.make_jaxpr(lambda x, i: x[i:])(X, 1)
    # Under grad the bound is known, so it works.
    g = ft.grad(lambda x: fnp.sum(x[fnp.argmax(x[:, 0, 0]) - 1:]))(X)
    np.testing.assert_array_equal(g, np.where(np.arange(4)[:, None, None] >= 2, 1.0, 0.0)
                                  * np.ones_like(X))


# ---------------------------------------------------------------------------------------------
# x.at[index]


def _np_set(x: np.ndarray, index: Any, v: Any) -> np.ndarray:
    out = x.copy()
    out[index] = v
    return out


def _np_add(x: np.ndarray, index: Any, v: Any) -> np.ndarray:
    out = x.copy()
    np.add.at(out, index, v)
    return out


# (description, index, values): the index may be a function of a traced scalar i (= 1).
AT_CASES: list[tuple[str, Any, Any]] = [
    ("int", 2, 7.0),
    ("traced int", lambda i: i, np.arange(6.0).reshape(3, 2)),
    ("traced int and slice", lambda i: (slice(None), i), -1.0),
    ("int pair with ellipsis", (1, Ellipsis, 0), np.array([5.0, 6.0, 7.0])),
    ("slice with step", np.s_[::-2, 1:], 3.0),
    ("repeated array", ([0, 2, 0], 1), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])),
    ("mask", X[:, :, 0] > 7, 0.5),
    ("list of traced ints", lambda i: ([i, i, 0],), 1.5),  # (1.5: no tie with X)
]


def _np_combined(ufunc: np.ufunc) -> Callable[[np.ndarray, Any, Any], np.ndarray]:
    def update(x: np.ndarray, index: Any, v: Any) -> np.ndarray:
        out = x.copy()
        ufunc.at(out, index, v)
        return out

    return update


_NP_AT = {
    "set": _np_set, "add": _np_add, "get": lambda x, i, v: x[i],
    "multiply": _np_combined(np.multiply), "min": _np_combined(np.minimum),
    "max": _np_combined(np.maximum),
    # JAX's: x / ones.at[idx].multiply(v) and x ** ones.at[idx].multiply(v)
    "divide": lambda x, i, v: x / _np_combined(np.multiply)(np.ones_like(x), i, v),
    "power": lambda x, i, v: x ** _np_combined(np.multiply)(np.ones_like(x), i, v),
}


@pytest.mark.parametrize("index,values", [pytest.param(i, v, id=d) for d, i, v in AT_CASES])
@pytest.mark.parametrize("mode", list(_NP_AT))
def test_at(index: Any, values: Any, mode: str) -> None:
    def resolve(i: Any) -> Any:
        return index(i) if callable(index) else index

    def f(x: Any, i: Any, v: Any) -> Any:
        ref = x.at[resolve(i)]
        return ref.get() if mode == "get" else getattr(ref, mode)(v)

    x = X + 1.0 if mode == "power" else X  # the exponent's derivative needs log(x): x > 0
    if mode in ("divide", "power"):
        values = np.abs(values) + 0.5  # away from 0 (divide) and from exponents near 0
    concrete = resolve(np.int64(1))
    concrete = tuple(np.asarray(c) if isinstance(c, np.ndarray) else c for c in concrete) \
        if isinstance(concrete, tuple) else concrete
    expected = _NP_AT[mode](x, concrete, values)
    # (The last case is traced index arrays with a repeat: the combining updates are then the
    # scatter_mul/min/max primitives.)
    got = ft.jit(f)(x, np.int64(1), values)
    np.testing.assert_array_equal(got, expected)
    if mode != "get":  # (jit: check_grads also calls f on NumPy arrays, which have no .at)
        check_grads(ft.jit(lambda x, v: f(x, np.int64(1), v)), (x, np.asarray(values, float)),
                    order=2)


def test_at_unknown_update_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'mull'"):
        ft.jit(lambda x: x.at[1:3].mull(2.0))(np.ones(4))


def test_at_keyword_arguments() -> None:
    # JAX's hints are accepted; unknown keywords and modes are refused.
    x = np.arange(4.0)
    got = ft.jit(lambda x: x.at[np.array([0, 2])].set(
        1.0, indices_are_sorted=True, unique_indices=True, mode="promise_in_bounds"))(x)
    np.testing.assert_array_equal(got, [1.0, 1.0, 1.0, 3.0])
    with pytest.raises(ValueError, match="mode must be one of"):
        ft.jit(lambda x: x.at[1].add(1.0, mode="wrap"))(x)
    with pytest.raises(TypeError, match="unexpected keyword argument 'sorted'"):
        ft.jit(lambda x: x.at[1].max(1.0, sorted=True))(x)
    with pytest.raises(TypeError, match="unexpected keyword argument 'fill_value'"):
        ft.jit(lambda x: x.at[1].set(1.0, fill_value=0.0))(x)


X5 = np.arange(5.0)
X23 = np.arange(6.0).reshape(2, 3)
NAN = np.nan
# (what, update, operand, JAX's result): integer indices out of range follow JAX's modes:
# updates drop them (or clamp them with mode="clip"), get clamps them (or reads fill_value
# with mode="fill"/"drop").  Each expected value is what jax.numpy gives.
AT_OUT_OF_RANGE: list[tuple[str, Callable[[Any], Any], np.ndarray, list[Any]]] = [
    ("set drops", lambda x: x.at[7].set(9.0), X5, [0, 1, 2, 3, 4]),
    ("set drops negative", lambda x: x.at[-7].set(9.0), X5, [0, 1, 2, 3, 4]),
    ("set drops one of an array", lambda x: x.at[np.array([1, 7, -6])].set(9.0), X5,
     [0, 9, 2, 3, 4]),
    ("set clip", lambda x: x.at[7].set(9.0, mode="clip"), X5, [0, 1, 2, 3, 9]),
    ("set clip negative", lambda x: x.at[-9].set(9.0, mode="clip"), X5, [9, 1, 2, 3, 4]),
    ("set mode fill drops", lambda x: x.at[7].set(9.0, mode="fill"), X5, [0, 1, 2, 3, 4]),
    ("add repeats and drops", lambda x: x.at[np.array([1, 7, 1, -6])].add(1.0), X5,
     [0, 3, 2, 3, 4]),
    ("multiply drops", lambda x: x.at[np.array([1, 9])].multiply(2.0), X5, [0, 2, 2, 3, 4]),
    ("min drops", lambda x: x.at[np.array([1, 9])].min(-2.0), X5, [0, -2, 2, 3, 4]),
    ("max clip", lambda x: x.at[np.array([1, 9])].max(20.0, mode="clip"), X5,
     [0, 20, 2, 3, 20]),
    ("apply drops", lambda x: x.at[np.array([1, 9])].apply(lambda t: t + 10.0), X5,
     [0, 11, 2, 3, 4]),
    ("divide drops", lambda x: x.at[np.array([2, 9])].divide(2.0), X5, [0, 1, 1, 3, 4]),
    ("get clamps", lambda x: x.at[np.array([1, 7, -7])].get(), X5, [1, 4, 0]),
    ("get fill", lambda x: x.at[np.array([1, 7, -7])].get(mode="fill"), X5, [1, NAN, NAN]),
    ("get fill value", lambda x: x.at[np.array([1, 7])].get(mode="fill", fill_value=-1.0), X5,
     [1, -1]),
    ("get fill_value alone clamps", lambda x: x.at[7].get(fill_value=-1.0), X5, 4.0),
    ("get drop fills", lambda x: x.at[np.array([7])].get(mode="drop"), X5, [NAN]),
    ("2-d element drops", lambda x: x.at[1, 5].set(1.0), X23, [[0, 1, 2], [3, 4, 5]]),
    ("2-d row drops", lambda x: x.at[5].set(1.0), X23, [[0, 1, 2], [3, 4, 5]]),
    ("2-d arrays drop", lambda x: x.at[np.array([0, 5, 1]), np.array([2, 1, 7])].set(-1.0),
     X23, [[0, 1, -1], [3, 4, 5]]),
    ("2-d get fill", lambda x: x.at[:, np.array([0, 5, -1])].get(mode="fill", fill_value=7.0),
     X23, [[0, 7, 2], [3, 7, 5]]),
    ("ellipsis", lambda x: x.at[..., 7].set(1.0), X23, [[0, 1, 2], [3, 4, 5]]),
    ("new axis", lambda x: x.at[None, 1, 9].set(1.0), X23, [[0, 1, 2], [3, 4, 5]]),
]


@pytest.mark.parametrize("what,update,x,expected", AT_OUT_OF_RANGE,
                         ids=[c[0] for c in AT_OUT_OF_RANGE])
def test_at_out_of_range_follows_jax_modes(what: str, update: Callable[[Any], Any],
                                           x: np.ndarray, expected: Any) -> None:
    for run in (ft.jit(update), lambda x: ft.vjp(update, x)[0]):
        np.testing.assert_array_equal(run(x), np.asarray(expected, x.dtype))


def test_at_out_of_range_with_traced_indices() -> None:
    # Traced indices follow the same modes (their values are known only when run).
    set_at = ft.jit(lambda x, i: x.at[i].set(9.0))
    np.testing.assert_array_equal(set_at(X5, np.int64(7)), X5)
    np.testing.assert_array_equal(set_at(X5, np.int64(-2)), [0, 1, 2, 9, 4])
    np.testing.assert_array_equal(set_at(X5, np.array([1, 7, -7, -1])), [0, 9, 2, 3, 9])
    add_at = ft.jit(lambda x, i: x.at[i].add(1.0))
    np.testing.assert_array_equal(add_at(X5, np.array([1, 7, 1, -1])), [0, 3, 2, 3, 5])
    get = ft.jit(lambda x, i, mode: x.at[i].get(mode=mode), static_argnums=2)
    np.testing.assert_array_equal(get(X5, np.array([1, 7, -7]), None), [1, 4, 0])
    np.testing.assert_array_equal(get(X5, np.array([1, 7, -7]), "fill"), [1, NAN, NAN])
    np.testing.assert_array_equal(ft.jit(lambda x, i: x.at[i, 1].set(9.0))(X23, np.int64(3)),
                                  X23)
    ints = ft.jit(lambda x, i: x.at[i].get(mode="fill"))(np.arange(5), np.array([1, 7]))
    np.testing.assert_array_equal(ints, [1, np.iinfo(np.int64).min])


def test_at_out_of_range_derivatives() -> None:
    # A dropped update contributes no derivative; a filled read has none (values from JAX).
    x = np.arange(5.0)
    g = ft.grad(lambda x: fnp.sum(x.at[np.array([1, 7])].set(x[0] * 3.0) ** 2))(x + 1.0)
    np.testing.assert_array_equal(g, [20.0, 0.0, 6.0, 8.0, 10.0])
    g = ft.grad(lambda x: fnp.sum(x.at[np.array([1, 7])].get(mode="fill", fill_value=2.0)
                                  * x[2]))(x)
    np.testing.assert_array_equal(g, [0.0, 2.0, 3.0, 0.0, 0.0])
    check_grads(ft.jit(lambda x: x.at[np.array([1, 9, 3])].multiply(x[::-1][:3])), (x + 1.0,),
                order=2)  # (jit: a NumPy array has no .at)


def test_at_repeats_combine_every_update() -> None:
    # Repeated positions: multiply by each, min/max over all; divide and power by the product
    # (JAX's semantics); apply once per occurrence.
    x = np.array([1.0, 2.0, 3.0, 4.0])
    i, v = np.array([0, 0, 2, 0]), np.array([2.0, 3.0, 0.5, -1.0])
    at = ft.jit(lambda x, v, op: getattr(x.at[i], op)(v), static_argnums=2)
    np.testing.assert_array_equal(at(x, v, "multiply"), [-6.0, 2.0, 1.5, 4.0])
    np.testing.assert_array_equal(at(x, v, "mul"), [-6.0, 2.0, 1.5, 4.0])
    np.testing.assert_array_equal(at(x, v, "min"), [-1.0, 2.0, 0.5, 4.0])
    np.testing.assert_array_equal(at(x, v, "max"), [3.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(at(x, v, "divide"), [-1 / 6, 2.0, 6.0, 4.0])
    np.testing.assert_array_equal(at(x, v, "power"), [1.0, 2.0, 3.0 ** 0.5, 4.0])
    applied = ft.jit(lambda x: x.at[i].apply(lambda t: 2.0 * t + 1.0))(x)
    np.testing.assert_array_equal(applied, [15.0, 2.0, 7.0, 4.0])  # 1 -> 3 -> 7 -> 15
    ints = ft.jit(lambda x: x.at[np.array([1, 1])].max(np.array([5, 9])))(np.arange(4))
    assert ints.dtype == np.arange(4).dtype and list(ints) == [0, 9, 2, 3]
    assert ft.jit(lambda x: x.at[1].divide(2))(np.arange(4)).dtype == np.float64


def test_at_min_max_split_ties_among_all_contributors() -> None:
    # As JAX: the entry and the tied updates share the cotangent equally.
    x, i = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 1, 3])
    w = np.arange(1.0, 5.0)
    for op in ("min", "max"):
        g = ft.grad(lambda x, v, op=op: fnp.sum(getattr(x.at[i], op)(v) * w),
                    argnums=(0, 1))(x, np.array([2.0, 2.0, 4.0]))
        np.testing.assert_allclose(g[0], [1.0, 2 / 3, 3.0, 2.0])
        np.testing.assert_allclose(g[1], [2 / 3, 2 / 3, 2.0])


def test_at_min_max_shares_at_infinities_and_nans() -> None:
    # As JAX's scatter_max: the padding of repeated indices never takes a share (an infinite
    # result would tie with it), and a NaN result passes no derivative.
    idx = np.array([1, 1, 0])
    g = ft.grad(lambda x, v: fnp.sum(x.at[idx].max(v)), argnums=(0, 1))(
        np.array([-np.inf, 0.0]), np.full(3, -np.inf))
    np.testing.assert_array_equal(g[0], [0.5, 1.0])
    np.testing.assert_array_equal(g[1], [0.0, 0.0, 0.5])
    g = ft.grad(lambda x, v: fnp.sum(x.at[np.array([0, 0])].min(v)), argnums=(0, 1))(
        np.array([np.nan]), np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g[0], [0.0])
    np.testing.assert_array_equal(g[1], [0.0, 0.0])


def test_at_combines_in_the_promoted_dtype() -> None:
    # As JAX: an integer array updated with floats combines in float, then casts back.
    xi = np.array([1, 5, 3], np.int32)
    assert list(ft.jit(lambda x: x.at[1].multiply(2.5))(xi)) == [1, 12, 3]
    twice = np.array([1, 1])
    assert list(ft.jit(lambda x: x.at[twice].multiply(np.array([2.5, 2.5])))(xi)) == [1, 31, 3]
    got = ft.jit(lambda x: x.at[twice].add(np.array([2.5, 2.5])))(xi)
    assert list(got) == [1, 10, 3] and got.dtype == np.int32


@pytest.mark.parametrize("op", ["multiply", "divide", "power", "min", "max", "apply"])
def test_at_repeats_derivatives(op: str) -> None:
    x = np.array([[0.7, 1.3], [1.1, 0.6], [1.9, 1.4]])
    i = np.array([0, 2, 0])
    v = np.array([[1.2, 0.8], [0.9, 1.6], [1.5, 0.75]])

    def f(x: Any, v: Any) -> Any:
        if op == "apply":
            return x.at[i].apply(lambda t: fnp.sin(t) * fnp.sum(v))
        return getattr(x.at[i], op)(v)

    check_grads(ft.jit(f), (x, v), order=2)
    vmapped = ft.vmap(f, in_axes=(0, None))(np.stack([x, 2.0 * x]), v)
    np.testing.assert_allclose(vmapped[1], ft.jit(f)(2.0 * x, v))


def test_at_set_last_repeat_wins_and_add_accumulates() -> None:
    x, v = np.zeros(4), np.array([1.0, 2.0, 3.0])
    idx = np.array([1, 1, 3])
    set_, add_ = ft.jit(lambda x, v: (x.at[idx].set(v), x.at[idx].add(v)))(x, v)
    np.testing.assert_array_equal(set_, [0.0, 2.0, 0.0, 3.0])
    np.testing.assert_array_equal(add_, [0.0, 3.0, 0.0, 3.0])
    # Only the landing update of a repeated position has a derivative; overwritten entries of
    # x have none.
    g_x, g_v = ft.grad(lambda x, v: fnp.sum(x.at[idx].set(v)), argnums=(0, 1))(x, v)
    np.testing.assert_array_equal(g_x, [1.0, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(g_v, [0.0, 1.0, 1.0])


@pytest.mark.parametrize("in_axes", [(0, 0, 0), (None, 0, 0), (0, 0, None), (1, 0, None)])
def test_at_vmap(in_axes: tuple[Any, ...]) -> None:
    """vmap of x.at[i].set(v) / .add(v) with batched i: dynamic_update_slice and scatter with
    batched indices."""
    x = X[:, :, 0]
    xs = np.stack([x, x + 100.0]) if in_axes[0] == 0 else (
        np.stack([x, x + 100.0], axis=1) if in_axes[0] == 1 else x)
    i = np.array([1, -1])
    v = np.array([[5.0, 6.0, 7.0], [8.0, 9.0, 10.0]]) if in_axes[2] == 0 else np.ones(3)

    def f(x: Any, i: Any, v: Any) -> Any:
        return x.at[i].set(v), x.at[[i, 0]].add(1.0)

    got_set, got_add = ft.vmap(f, in_axes=in_axes)(xs, i, v)
    for k in range(2):
        xk = x if in_axes[0] is None else np.take(xs, k, axis=in_axes[0])
        vk = v[k] if in_axes[2] == 0 else v
        np.testing.assert_array_equal(got_set[k], _np_set(xk, i[k], vk))
        np.testing.assert_array_equal(got_add[k], _np_add(xk, np.array([i[k], 0]), 1.0))


# ---------------------------------------------------------------------------------------------
# Plain NumPy functions on tracers (through __array_function__), against NumPy

A = np.arange(12.0).reshape(3, 4) / 4 - 1
B = np.arange(8.0).reshape(4, 2) / 3

NUMPY_ON_TRACERS: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("concatenate", lambda a, b: np.concatenate([a, b.T, a[:1]], axis=0), (A, B)),
    ("stack", lambda a, b: np.stack([a, 2 * a], axis=-1), (A, B)),
    ("hstack", lambda a, b: np.hstack([a, b.T[:, :3].T]), (A, B)),
    ("vstack", lambda a, b: np.vstack([a[0], a]), (A, B)),
    ("split", lambda a, b: np.split(a, [1, 3], axis=1)[1], (A, B)),
    ("array_split", lambda a, b: np.array_split(b, 3)[0], (A, B)),
    ("einsum", lambda a, b: np.einsum("ij,jk->ik", a, b), (A, B)),
    ("einsum trace", lambda a, b: np.einsum("ii", a[:, :3]), (A, B)),
    ("take", lambda a, b: np.take(a, [2, 0, 2], axis=1), (A, B)),
    ("take_along_axis", lambda a, b: np.take_along_axis(a, np.argsort(A, axis=1), axis=1),
     (A, B)),
    ("prod", lambda a, b: np.prod(a, axis=0), (A, B)),
    ("cumsum", lambda a, b: np.cumsum(a, axis=1), (A, B)),
    ("cumprod", lambda a, b: np.cumprod(b), (A, B)),
    ("argmax", lambda a, b: np.argmax(a, axis=1), (A, B)),
    ("argmin", lambda a, b: np.argmin(b), (A, B)),
    ("sort", lambda a, b: np.sort(-a, axis=0), (A, B)),
    ("argsort", lambda a, b: np.argsort(-b, axis=0), (A, B)),
    ("all/any", lambda a, b: (np.all(a > -1, axis=0), np.any(b > 2)), (A, B)),
    ("flip", lambda a, b: np.flip(a, 1), (A, B)),
    ("roll", lambda a, b: np.roll(a, -1, axis=0), (A, B)),
    ("tile", lambda a, b: np.tile(b, (2, 1)), (A, B)),
    ("repeat", lambda a, b: np.repeat(b, 2, axis=0), (A, B)),
    ("diagonal", lambda a, b: np.diagonal(a, 1), (A, B)),
    ("trace", lambda a, b: np.trace(a), (A, B)),
    ("diag", lambda a, b: np.diag(b[:, 0], -1), (A, B)),
    ("method .prod/.cumsum/.argmax", lambda a, b: (a.prod(1), a.cumsum(0), a.argmax(0)), (A, B)),
]


@pytest.mark.parametrize("f,args", [pytest.param(f, a, id=d) for d, f, a in NUMPY_ON_TRACERS])
def test_numpy_functions_on_tracers(f: Callable[..., Any], args: tuple[Any, ...]) -> None:
    expected = f(*args)
    closed = ft.make_jaxpr(f)(*args)
    got = eval_jaxpr(closed.jaxpr, closed.consts, *args)
    expected_l = list(expected) if isinstance(expected, tuple) else [expected]
    for g, e in zip(got, expected_l, strict=True):
        assert np.shape(g) == np.shape(e) and np.asarray(g).dtype == np.asarray(e).dtype
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_asarray_stacks_traced_entries() -> None:
    def f(x: Any) -> Any:
        return fnp.sum(fnp.asarray([[x[0], 2.0], [x[1] * x[0], x[2]]]) ** 2)

    x = np.array([1.0, 2.0, 3.0])
    closed = ft.make_jaxpr(f)(x)
    assert "concatenate" in {e.primitive.name for e in closed.eqns}
    np.testing.assert_allclose(ft.grad(f)(x), [2.0 + 2 * 2 * 2, 2 * 2 * 1, 6.0])


@pytest.mark.parametrize("mode", ["multiply", "min", "max"])
def test_at_combining_with_traced_index_arrays_equals_the_static_path(mode: str) -> None:
    """The scatter_mul/min/max primitives (traced indices) against the table of each
    position's updates (concrete indices): values, gradients (with repeats, zero factors and
    ties) and second derivatives, eagerly, jitted and batched."""
    x = np.array([1.0, 3.0, 0.0, 4.0, 5.0])
    idx = np.array([0, 2, 0, 4, 2, 2, 1])
    u = np.array([2.0, 0.5, 3.0, 0.0, -1.0, 2.0, 3.0])  # a zero factor; 3.0 ties x[1]
    w = np.arange(1.0, 6.0)

    def traced(x: Any, u: Any, i: Any) -> Any:
        return getattr(x.at[i], mode)(u)

    def static(x: Any, u: Any) -> Any:
        return getattr(x.at[idx], mode)(u)

    want = _NP_AT[mode](x, idx, u)
    np.testing.assert_array_equal(ft.jit(traced)(x, u, idx), want)
    loss_t = lambda x, u, i: fnp.sum(fnp.sin(traced(x, u, i)) * w)  # noqa: E731
    loss_s = lambda x, u: fnp.sum(fnp.sin(static(x, u)) * w)  # noqa: E731
    for g_t, g_s in ((ft.jit(ft.grad(loss_t, argnums=(0, 1)))(x, u, idx),
                      ft.grad(loss_s, argnums=(0, 1))(x, u)),
                     (ft.hessian(lambda x, u: loss_t(x, u, idx))(x, u),
                      ft.hessian(loss_s)(x, u))):
        for a, b in zip(g_t, g_s, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    if mode == "multiply":  # smooth everywhere: against central differences too
        check_grads(ft.jit(lambda x, u: traced(x, u, idx)), (x, u), order=2)
    xs, us, ids = np.stack([x, 2 * x]), np.stack([u, -u]), np.stack([idx, idx[::-1]])
    np.testing.assert_array_equal(ft.vmap(traced)(xs, us, ids),
                                  np.stack([_NP_AT[mode](a, i, b)
                                            for a, b, i in zip(xs, us, ids, strict=True)]))


def test_at_apply_with_traced_index_arrays_applies_once_per_occurrence() -> None:
    x = np.array([0.5, 1.0, 1.5, 2.0, 2.5])
    idx = np.array([1, 3, 1, 1, -1])  # position 1 three times

    def traced(x: Any, i: Any) -> Any:
        return x.at[i].apply(fnp.sin)

    want = x.copy()
    for k in idx:
        want[k] = np.sin(want[k])
    np.testing.assert_allclose(ft.jit(traced)(x, idx), want, rtol=1e-15)
    static = ft.jit(lambda x: x.at[idx].apply(fnp.sin))
    w = np.arange(5.0)
    np.testing.assert_allclose(
        ft.jit(ft.grad(lambda x, i: fnp.sum(traced(x, i) * w)))(x, idx),
        ft.grad(lambda x: fnp.sum(static(x) * w))(x), rtol=1e-13)
    check_grads(ft.jit(lambda x: traced(x, idx)), (x,), order=2)
    np.testing.assert_allclose(  # dropped out of range, as the static path
        ft.jit(lambda x, i: x.at[i].apply(fnp.sin, mode="drop"))(x, np.array([1, 9])),
        [0.5, np.sin(1.0), 1.5, 2.0, 2.5])
