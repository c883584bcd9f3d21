"""NumPy's semantics in corners a differential test of ``functrace.numpy`` found: the loop
dtypes of float-valued ufuncs on mixed integers, ``dtype=`` / ``casting=`` / ``out=None``,
integer ``dtype=`` in ``mean``/``var``/``std``, the nan-reductions' keywords, complex special
values, and the complex input NumPy refuses.  Every check compares with NumPy directly, eagerly
and (where tracing could change the answer) under ``jit``."""

from __future__ import annotations

import inspect
import itertools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace.testing import check_grads

INTS = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
        np.uint64]


def outcome(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn``'s result as an array (or a tuple of them), or the exception it raised."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return e
    return tuple(map(np.asarray, out)) if isinstance(out, tuple) else np.asarray(out)


def assert_agrees(ours: Any, theirs: Any, rtol: float = 1e-12) -> None:
    """The same exception family (TypeError / ValueError ...), or the same dtypes, shapes and
    values (NaN equal to NaN)."""
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"NumPy raised {theirs!r}; functrace gave {ours!r}"
        base = next(t for t in (TypeError, ValueError, IndexError, type(theirs))
                    if isinstance(theirs, t))
        assert isinstance(ours, base), f"NumPy raised {theirs!r}; functrace {ours!r}"
        return
    assert not isinstance(ours, Exception), f"NumPy gave {theirs!r}; functrace raised {ours!r}"
    for o, t in zip(ours, theirs, strict=True) if isinstance(theirs, tuple) else [(ours, theirs)]:
        assert o.dtype == t.dtype and o.shape == t.shape, (o, t)
        tol = rtol if t.dtype.itemsize >= 8 and t.dtype.kind != "c" else 2e-3
        np.testing.assert_allclose(o.astype(t.dtype), t, rtol=tol, equal_nan=True)


def both(name: str, *args: Any, jit: bool = False, **kwargs: Any) -> None:
    """``fnp.name`` agrees with ``np.name`` on these arguments (also under ``jit``, tracing
    the array arguments)."""
    theirs = outcome(getattr(np, name), *args, **kwargs)
    assert_agrees(outcome(getattr(fnp, name), *args, **kwargs), theirs)
    if jit:
        arrays = [k for k, a in enumerate(args) if isinstance(a, np.ndarray)]

        def traced(*xs: Any) -> Any:
            full = list(args)
            for k, x in zip(arrays, xs, strict=True):
                full[k] = x
            return getattr(fnp, name)(*full, **kwargs)

        assert_agrees(outcome(ft.jit(traced), *[args[k] for k in arrays]), theirs)


# -- 1. float-valued ufuncs: the loop NumPy selects from the operands' own dtypes ---------------

FLOAT_BINARY = ["arctan2", "hypot", "copysign", "heaviside", "nextafter", "logaddexp",
                "logaddexp2", "true_divide", "float_power"]
FLOAT_UNARY = ["sin", "exp", "log", "sqrt", "cbrt", "log2", "log10", "exp2", "arctanh",
               "deg2rad", "spacing", "fabs", "rint", "floor"]


def sample(dtype: Any) -> np.ndarray:
    return np.array([1, 0, 1, 1], dtype)


@pytest.mark.parametrize("name", FLOAT_BINARY)
def test_float_binary_ufunc_dtypes_on_every_integer_pair(name: str) -> None:
    for d1, d2 in itertools.product(INTS, INTS):
        both(name, sample(d1), sample(d2), jit=(d1, d2) in ((np.int8, np.uint8),
                                                             (np.uint16, np.int16)))
    for d in INTS:  # with weakly typed Python scalars (NEP 50)
        both(name, sample(d), 2)
        both(name, 3, sample(d))
        both(name, sample(d), 2.5)


@pytest.mark.parametrize("name", FLOAT_UNARY)
def test_float_unary_ufunc_dtypes_on_every_integer(name: str) -> None:
    for d in INTS:
        both(name, sample(d))
    both(name, sample(np.uint8), jit=True)


def test_mixed_integer_loops_under_vmap() -> None:
    x, y = np.array([[1, 2], [3, 4]], np.int8), np.array([5, 6], np.uint8)
    out = ft.vmap(fnp.arctan2, in_axes=(0, None))(x, y)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, np.arctan2(x, y), rtol=1e-3)


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_triangles_of_a_vector(name: str) -> None:
    for k in (-1, 0, 2):
        both(name, np.array([1.0, 2.0, 3.0]), k, jit=True)
    both(name, np.array(2.0))


def test_bool_only_loops() -> None:
    a, b = np.array([True, False]), np.array([[True, True], [False, True]])
    both("positive", a)  # NumPy has no boolean loop: TypeError
    both("vecdot", b, b)  # booleans stay boolean
    both("vecdot", b, b.astype(np.uint8))
    both("vecmat", a, b)


# -- 4 and 7. dtype=, casting= and out=None ------------------------------------------------------

I8, F64 = np.array([1, 2, -3], np.int8), np.array([1.5, 2.5, -3.5])
UFUNC_KEYWORDS = [dict(dtype=np.float32), dict(dtype=np.int32), dict(dtype=np.int32,
                  casting="unsafe"), dict(casting="no"), dict(casting="equiv"), dict(out=None)]


@pytest.mark.parametrize("name", ["add", "multiply", "maximum", "arctan2", "true_divide",
                                  "power", "copysign", "fmod", "sin", "exp", "square",
                                  "negative", "logaddexp", "isnan", "gcd", "matmul",
                                  "vecdot"])
def test_ufunc_dtype_and_casting_keywords(name: str) -> None:
    nin = getattr(np, name).nin
    for kwargs, operands in itertools.product(UFUNC_KEYWORDS, [(I8, I8), (F64, F64),
                                                                (I8, F64)]):
        both(name, *operands[:nin], **kwargs)
    both(name, *(I8, F64)[:nin], jit=True, dtype=np.float32)


JOINS = [("concatenate", {}), ("stack", {}), ("hstack", {}), ("vstack", {}), ("concat", {})]


@pytest.mark.parametrize(("name", "extra"), JOINS)
def test_join_casting(name: str, extra: dict[str, Any]) -> None:
    arrays = [F64, F64.astype(np.float32)]
    for kwargs in [dict(dtype=np.int32), dict(dtype=np.int32, casting="unsafe"),
                   dict(casting="no"), dict(casting="same_kind"), dict(dtype=np.float32),
                   dict(dtype=np.float16, casting="safe")]:
        both(name, arrays, **kwargs, **extra)
    both(name, [I8, I8], dtype=np.float64)


def test_einsum_dtype_is_checked_safe_as_numpy() -> None:
    both("einsum", "i,i", F64, F64, dtype=np.int32)
    both("einsum", "i,i", F64, F64, dtype=np.int32, casting="unsafe")
    both("einsum", "i,i", I8, I8, dtype=np.float64)


@pytest.mark.parametrize("kwargs", [{}, dict(casting="same_kind"), dict(casting="safe"),
                                    dict(casting="unsafe", copy=False, order="C")])
def test_astype_method_casting(kwargs: dict[str, Any]) -> None:
    for dtype in (np.int32, np.float32, np.complex64):
        theirs = outcome(lambda x: x.astype(dtype, **kwargs), F64)  # noqa: B023
        assert_agrees(outcome(ft.jit(lambda x: x.astype(dtype, **kwargs)), F64), theirs)  # noqa: B023


def _takes_out(fn: Any) -> bool:
    if isinstance(fn, np.ufunc):
        return True
    try:
        return "out" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def test_every_function_with_numpys_out_takes_out_none() -> None:
    missing = [name for name in dir(fnp) if not name.startswith("_") and hasattr(np, name)
               and callable(getattr(fnp, name)) and not isinstance(getattr(np, name), type)
               and _takes_out(getattr(np, name)) and not _takes_out(getattr(fnp, name))]
    assert missing == []


def test_every_ufunc_takes_dtype_and_casting() -> None:
    missing = [name for name in dir(fnp) if isinstance(getattr(np, name, None), np.ufunc)
               and not {"dtype", "casting"} <= set(inspect.signature(getattr(fnp, name))
                                                   .parameters)]
    assert missing == []


OUT_CALLS = [("sum", (F64,), {}), ("argmax", (F64,), {}), ("cumsum", (F64,), {}),
             ("clip", (F64, 0, 1), {}), ("round", (F64,), {}), ("dot", (F64, F64), {}),
             ("matmul", (F64, F64), {}), ("outer", (F64, F64), {}), ("take", (F64, [0]), {}),
             ("compress", ([True, False, True], F64), {}), ("isposinf", (F64,), {}),
             ("nansum", (F64,), {}), ("nanargmin", (F64,), {}), ("ptp", (F64,), {}),
             ("add", (F64, 1.0), {}),
             ("concatenate", ([F64, F64],), {}), ("einsum", ("i->", F64), {})]


@pytest.mark.parametrize(("name", "args", "kwargs"), OUT_CALLS, ids=[c[0] for c in OUT_CALLS])
def test_out_none_is_accepted_and_an_array_refused(name: str, args: tuple[Any, ...],
                                                   kwargs: dict[str, Any]) -> None:
    both(name, *args, out=None, **kwargs)
    with pytest.raises(TypeError, match="out="):
        getattr(fnp, name)(*args, out=np.empty(3), **kwargs)


METHOD_OUT_CALLS = [("sum", ()), ("mean", ()), ("max", ()), ("argmax", ()), ("cumsum", ()),
                    ("clip", (0, 1)), ("round", ()), ("take", ([0],)), ("trace", ()),
                    ("compress", ([True, False],)), ("dot", (np.ones(3),)), ("std", ())]


@pytest.mark.parametrize(("name", "args"), METHOD_OUT_CALLS, ids=[c[0] for c in METHOD_OUT_CALLS])
def test_array_methods_take_out_none(name: str, args: tuple[Any, ...]) -> None:
    x = np.arange(6.0).reshape(2, 3)
    theirs = outcome(lambda v: getattr(v, name)(*args, out=None), x)
    assert_agrees(outcome(ft.jit(lambda v: getattr(v, name)(*args, out=None)), x), theirs)


@pytest.mark.parametrize(("name", "args"), [("divmod", (F64, 2.0)), ("modf", (F64,)),
                                             ("frexp", (F64,))])
def test_out_of_two_output_ufuncs(name: str, args: tuple[Any, ...]) -> None:
    both(name, *args, out=(None, None))
    assert_agrees(outcome(getattr(fnp, name), *args, out=None), outcome(getattr(np, name), *args))
    with pytest.raises(TypeError, match="out="):
        getattr(fnp, name)(*args, out=(np.empty(3), None))


# -- 2 and 6. mean / var / std with dtype=, and the nan-reductions' keywords --------------------

X_INT = np.array([[1, 2, 4, 7], [3, -5, 6, 100]], np.int32)
X_NAN = np.array([[1.5, np.nan, 4.0, 7.9], [np.nan, np.nan, np.nan, np.nan],
                  [3.0, -2.5, 1e3, 2.0]])
MASK = np.array([[True, False, True, True], [False, True, True, True],
                 [True, True, False, False]])
STAT_DTYPES = [None, np.int32, np.int8, np.uint8, np.bool_, np.float16, np.float32,
               np.complex64]


@pytest.mark.parametrize("name", ["mean", "var", "std", "nanmean", "nanvar", "nanstd"])
def test_statistics_with_dtype(name: str) -> None:
    inputs = [X_INT, X_NAN[[0, 2]], X_NAN[[0, 2]] + 1j, np.array([1, 2, 3, 6e4], np.float16)]
    for a, dtype in itertools.product(inputs, STAT_DTYPES):
        for kwargs in [{}, {"axis": -1}, {"axis": 0, "keepdims": True}]:
            both(name, a, dtype=dtype, **kwargs)
    both(name, X_INT, jit=True, dtype=np.int8)
    both(name, X_INT, jit=True, dtype=np.int8, axis=1)  # std: NumPy's TypeError
    both(name, X_NAN[[0, 2]], jit=True, dtype=np.float32, where=MASK[[0, 2]])
    rows = outcome(ft.vmap(lambda row: getattr(fnp, name)(row, dtype=np.int8)), X_INT)
    assert_agrees(rows, np.array([outcome(getattr(np, name), r, dtype=np.int8) for r in X_INT]))


NAN_KEYWORDS = {
    "nansum": [dict(where=MASK), dict(initial=2.0), dict(dtype=np.float32, keepdims=True,
                                                         axis=1)],
    "nanprod": [dict(where=MASK), dict(initial=2.0, axis=0), dict(dtype=np.float32)],
    "nanmax": [dict(where=MASK, initial=-5.0), dict(initial=100.0, axis=1), dict(where=MASK),
               dict(axis=1, keepdims=True)],
    "nanmin": [dict(where=MASK, initial=50.0, axis=1), dict(initial=-100.0)],
    "nanmean": [dict(where=MASK, axis=1), dict(dtype=np.float32), dict(dtype=np.int32)],
    "nanvar": [dict(where=MASK, axis=1), dict(ddof=1, axis=1), dict(correction=1, axis=0),
               dict(mean=np.zeros((3, 1)), axis=1), dict(dtype=np.float32, axis=1),
               dict(ddof=1, correction=1)],
    "nanstd": [dict(where=MASK, axis=1), dict(correction=1.5, axis=0)],
    "nanargmax": [dict(axis=0, keepdims=True)],
    "nancumsum": [dict(axis=1, dtype=np.float32)],
    "nancumprod": [dict(axis=0)],
    "nanmedian": [dict(axis=1, keepdims=True, overwrite_input=True)],
    "nanquantile": [dict(q=0.3, axis=1, method="lower", keepdims=True)],
    "nanpercentile": [dict(q=30, axis=0, method="nearest")],
}


@pytest.mark.parametrize("name", list(NAN_KEYWORDS))
def test_nan_reductions_take_numpys_keywords(name: str) -> None:
    for kwargs in NAN_KEYWORDS[name]:
        args = (X_NAN, kwargs.pop("q")) if "q" in kwargs else (X_NAN,)
        both(name, *args, jit=True, **kwargs)
        if "where" not in kwargs and "mean" not in kwargs:  # integer input
            both(name, X_INT[:, :3], *args[1:], **kwargs)


QUANTILE_METHODS = ["inverted_cdf", "averaged_inverted_cdf", "closest_observation",
                    "interpolated_inverted_cdf", "hazen", "weibull", "linear", "median_unbiased",
                    "normal_unbiased", "lower", "higher", "midpoint", "nearest"]
Q = np.array([0.0, 0.01, 0.125, 0.2, 0.25, 1 / 3, 0.5, 0.6, 0.75, 0.99, 1.0])


@pytest.mark.parametrize("method", QUANTILE_METHODS)
def test_every_quantile_method(method: str) -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 4, 7):
        for a in (rng.normal(size=(2, n)), rng.integers(0, 9, size=(2, n))):
            both("quantile", a, Q, axis=1, method=method)
            both("nanpercentile", np.where(rng.random((2, n)) < 0.3, np.nan, a), 100 * Q,
                 axis=1, method=method)
    both("nanquantile", X_NAN, Q, jit=True, axis=1, method=method)


def test_masked_nan_statistics_are_differentiable() -> None:
    x = np.array([[1.5, np.nan, 4.0, 7.9], [3.0, -2.5, 1.0, 2.0]])
    mask = np.array([[True, True, True, False], [True, False, True, True]])
    for fn in (fnp.nanmean, fnp.nanvar, fnp.nanstd):
        def f(y: Any, fn: Any = fn) -> Any:
            return fn(fnp.where(fnp.isnan(x), np.nan, y), axis=1, where=mask, ddof=0) \
                if fn is not fnp.nanmean else fn(fnp.where(fnp.isnan(x), np.nan, y), axis=1,
                                                 where=mask)
        check_grads(f, (np.nan_to_num(x),), order=1)


# -- 3. complex functions at special values ------------------------------------------------------

_SPECIAL = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan]
GRID = np.array([complex(r, i) for r in _SPECIAL for i in _SPECIAL])
GRID.real, GRID.imag = [r for r in _SPECIAL for _ in _SPECIAL], [i for _ in _SPECIAL
                                                                   for i in _SPECIAL]
COMPLEX_FUNCTIONS = ["log", "log2", "log10", "log1p", "exp", "expm1", "exp2", "sqrt", "sin",
                     "cos", "tan", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan",
                     "arcsinh", "arccosh", "arctanh", "reciprocal", "sign", "abs", "square"]


def assert_same_specials(ours: np.ndarray, theirs: np.ndarray) -> None:
    """Equal parts, infinities and NaNs (a NaN's sign is not compared, nor a zero's)."""
    for o, t in ((ours.real, theirs.real), (ours.imag, theirs.imag)):
        same = (np.isnan(o) & np.isnan(t)) | (o == t) | np.isclose(o, t, rtol=1e-12, atol=0)
        assert same.all(), (GRID[~same] if o.shape == GRID.shape else ~same, o[~same],
                            t[~same])


@pytest.mark.parametrize("name", COMPLEX_FUNCTIONS)
def test_complex_special_values(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = np.asarray(getattr(np, name)(GRID), complex)
        assert_same_specials(np.asarray(getattr(fnp, name)(GRID), complex), theirs)
        assert_same_specials(np.asarray(ft.jit(getattr(fnp, name))(GRID), complex), theirs)


def test_complex_power_special_values() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = np.power(GRID[:, None], GRID[None, :])
        assert_same_specials(fnp.power(GRID[:, None], GRID[None, :]), theirs)


# -- 5. complex input NumPy refuses --------------------------------------------------------------

Z = np.array([1 + 2j, -3 + 0.5j, 2 - 1j])
R = np.array([0.1, 0.5, 0.9])
REFUSED = [("digitize", (Z, R)), ("digitize", (R, Z)), ("quantile", (Z, 0.5)),
           ("quantile", (R, 0.5 + 0j)), ("percentile", (Z, 50)), ("nanquantile", (Z, 0.5)),
           ("nanpercentile", (Z, 50)), ("interp", (Z, R, R)), ("interp", (R, Z, R)),
           ("isposinf", (Z,)), ("isneginf", (Z,)), ("bincount", (np.array([0, 1, 1]), Z)),
           ("bincount", (R,)),
           # ... and those NumPy accepts: the same answers
           ("median", (Z,)), ("nanmedian", (Z,)), ("interp", (R, R, Z)),
           ("searchsorted", (np.sort_complex(Z), Z)), ("sort", (Z,))]


@pytest.mark.parametrize(("name", "args"), REFUSED, ids=[r[0] for r in REFUSED])
def test_complex_input_as_numpy(name: str, args: tuple[Any, ...]) -> None:
    both(name, *args, jit=name in ("quantile", "digitize"))


# -- creation functions: copies, ndmin, order, device= --------------------------------------------


def test_array_copies_and_asarray_does_not() -> None:
    x = np.arange(3.0)
    y = fnp.array(x)
    y[0] = 9.0  # NumPy's array copies: the caller's array is untouched
    assert x[0] == 0.0
    assert fnp.asarray(x) is x and fnp.array(x, copy=False) is x
    assert fnp.array(x, ndmin=3).shape == (1, 1, 3)
    assert fnp.array(np.ones((2, 3)), order="F").flags.f_contiguous
    assert fnp.copy(x) is not x and fnp.copy(np.ones((2, 2)), order="F").flags.f_contiguous
    # traced: ndmin adds leading axes, the derivative passes through
    assert ft.jit(lambda t: fnp.array([t, 2.0], ndmin=3))(1.0).shape == (1, 1, 2)
    assert ft.grad(lambda t: fnp.sum(fnp.array(t, ndmin=2) * 3.0))(1.0) == 3.0


@pytest.mark.parametrize("make", [
    lambda d: fnp.array([1.0], device=d), lambda d: fnp.asarray([1.0], device=d),
    lambda d: fnp.zeros_like(np.ones(2), device=d), lambda d: fnp.ones_like(np.ones(2), device=d),
    lambda d: fnp.full_like(np.ones(2), 3.0, device=d), lambda d: fnp.full(2, 1.0, device=d),
    lambda d: fnp.empty_like(np.ones(2), device=d), lambda d: fnp.linspace(0, 1, 3, device=d),
    lambda d: fnp.astype(np.ones(2), np.float32, device=d)])
def test_creation_functions_take_the_device(make: Any) -> None:
    for device in (None, "cpu", ft.devices()[0]):
        make(device)
    with pytest.raises(ValueError, match="device must be None, 'cpu' or the CPU device"):
        make("gpu")


def test_creation_functions_take_jax_numpy_keywords() -> None:
    import inspect

    jnp = pytest.importorskip("jax.numpy")
    names = ["array", "asarray", "zeros_like", "ones_like", "full_like", "empty_like", "full",
             "linspace", "astype", "copy"]
    for name in names:
        theirs = inspect.signature(getattr(jnp, name)).parameters
        ours = inspect.signature(getattr(fnp, name)).parameters
        missing = [p for p in theirs if p not in ours and p != "out_sharding"
                   and theirs[p].kind is not inspect.Parameter.VAR_POSITIONAL]
        assert not missing, f"fnp.{name} lacks {missing}"


_BOX = np.array([[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("a, kwargs", [
    (_BOX, {}), (_BOX, {"axis": 0}), (_BOX, {"trim": "f", "axis": 1}), (_BOX, {"trim": "b"}),
    (_BOX, {"axis": -1}), (np.zeros((2, 3)), {}),
    (np.zeros((2, 3)), {"axis": 1}), (np.array([0.0, 3.0, 0.0, 4.0, 0.0]), {"trim": "F"})])
def test_trim_zeros_along_axes(a: np.ndarray, kwargs: dict[str, Any]) -> None:
    want = np.trim_zeros(a, **kwargs)
    got = fnp.trim_zeros(a, **kwargs)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    # the kept entries carry the derivative
    g = ft.grad(lambda x: fnp.sum(fnp.trim_zeros(x, **kwargs) ** 2))(a)
    np.testing.assert_array_equal(g, 2 * a)


def test_trim_zeros_along_a_tuple_of_axes() -> None:
    # (NumPy takes a tuple from 2.4 on; every axis of a 2-d array is the default's box)
    np.testing.assert_array_equal(fnp.trim_zeros(_BOX, axis=(0, 1)), np.trim_zeros(_BOX))
    np.testing.assert_array_equal(fnp.trim_zeros(_BOX, axis=(1,)), np.trim_zeros(_BOX, axis=1))


def test_partition_and_unique_keywords() -> None:
    x = np.array([3.0, 1.0, 2.0])
    np.testing.assert_array_equal(fnp.partition(x, 1, kind="introselect"), [1.0, 2.0, 3.0])
    for fn in (fnp.partition, fnp.argpartition):
        with pytest.raises(ValueError, match="select kind must be 'introselect'"):
            fn(x, 1, kind="quicksort")
        with pytest.raises(ValueError, match="order="):
            fn(x, 1, order="f")
    np.testing.assert_array_equal(fnp.unique(x, sorted=False), [1.0, 2.0, 3.0])
