"""The ``functrace.numpy`` functions that are not table rows (``tests/cases_numpy_extra.py``
holds those): utilities of integer, boolean or dtype output, constant index constructors,
plain NumPy calls on tracers routed to ``functrace.numpy``, derivatives at special points,
and error cases."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace.errors import ConcretizationError
from functrace.testing import check_grads

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4))
V = np.sort(rng.standard_normal(5))

# ---------------------------------------------------------------------------------------------
# Plain NumPy on tracers is traced as functrace.numpy (SPEC: "Plain NumPy works too").

ROUTED: list[tuple[str, Callable[[Any], Any]]] = [
    ("sinc", np.sinc),
    ("fabs", np.fabs),
    ("copysign", lambda x: np.copysign(x, -1.0)),
    ("heaviside", lambda x: np.heaviside(x, 0.5)),
    ("fmod", lambda x: np.fmod(x, 0.7)),
    ("modf", np.modf),
    ("divmod", lambda x: np.divmod(x, 0.7)),
    ("float_power", lambda x: np.float_power(np.abs(x), 1.5)),
    ("isclose", lambda x: np.isclose(x, x + 1e-9)),
    ("signbit", np.signbit),
    ("rint", np.rint),
    ("angle", np.angle),
    ("real", np.real),
    ("median", lambda x: np.median(x, axis=0)),
    ("quantile", lambda x: np.quantile(x, [0.25, 0.5], axis=1)),
    ("percentile", lambda x: np.percentile(x, 30)),
    ("nanmax", lambda x: np.nanmax(x, axis=1)),
    ("nanvar", np.nanvar),
    ("nancumsum", np.nancumsum),
    ("count_nonzero", lambda x: np.count_nonzero(x > 0, axis=0)),
    ("cov", np.cov),
    ("corrcoef", np.corrcoef),
    ("trapezoid", np.trapezoid),
    ("gradient", np.gradient),
    ("pad", lambda x: np.pad(x, 2, mode="reflect")),
    ("rot90", np.rot90),
    ("append", lambda x: np.append(x, 1.0)),
    ("atleast_3d", np.atleast_3d),
    ("column_stack", lambda x: np.column_stack([x[0], x[1]])),
    ("broadcast_arrays", lambda x: np.broadcast_arrays(x, x[0])),
    ("interp", lambda x: np.interp(x, [-1.0, 0.0, 1.0], [0.0, 2.0, 1.0])),
    ("searchsorted", lambda x: np.searchsorted(V, x)),
    ("convolve", lambda x: np.convolve(x[0], x[1])),
    ("vander", lambda x: np.vander(x[0])),
    ("polyval", lambda x: np.polyval(x[0], x[1])),
    ("vecdot", lambda x: np.vecdot(x, x)),
    ("matvec", lambda x: np.matvec(x, x[0])),
    ("cumulative_sum", lambda x: np.cumulative_sum(x, axis=1)),
    ("select", lambda x: np.select([x > 0.5, x < -0.5], [x, 2 * x], 0.0)),
    ("ediff1d", np.ediff1d),
]


@pytest.mark.parametrize("name,f", ROUTED, ids=[n for n, _ in ROUTED])
def test_numpy_calls_on_tracers_are_traced(name: str, f: Callable[[Any], Any]) -> None:
    expected = f(X)
    closed = ft.make_jaxpr(f)(X)  # abstract tracers: NumPy could not compute these itself
    assert closed.jaxpr.eqns or name == "real", f"np.{name} on a tracer recorded nothing"
    got = ft.jit(f)(X)
    for g, e in zip(ft.tree_util.tree_leaves(got), ft.tree_util.tree_leaves(expected),
                    strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
        assert np.asarray(g).dtype == np.asarray(e).dtype


def test_numpy_ufunc_keywords_reach_the_functrace_function() -> None:
    # np.vecdot is a gufunc: its axis arrives through __array_ufunc__'s keywords.
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ft.jit(lambda x: np.vecdot(x, x, axis=0))(x),
                               np.vecdot(x, x, axis=0))
    np.testing.assert_allclose(ft.grad(lambda x: np.vecdot(x, x, axis=0).sum())(x), 2 * x)
    with pytest.raises(TypeError, match="where"):  # a keyword the functrace function lacks
        ft.grad(lambda x: np.add(x, x, where=True).sum())(x)
    # named with its module:
    with pytest.raises(TypeError, match="numpy.lib.stride_tricks.sliding_window_view"):
        ft.grad(lambda x: np.lib.stride_tricks.sliding_window_view(x, 2).sum())(np.eye(2))


def test_rollaxis_and_fortran_order_match_numpy() -> None:
    a = np.arange(24.0).reshape(2, 3, 4)
    for axis in range(-3, 3):
        for start in range(-3, 4):
            np.testing.assert_array_equal(fnp.rollaxis(a, axis, start),
                                          np.rollaxis(a, axis, start))
    for shape in [(4, 6), (4, -1), (24,), (3, 2, 4)]:
        np.testing.assert_array_equal(fnp.reshape(a, shape, order="F"),
                                      np.reshape(a, shape, order="F"))
    np.testing.assert_array_equal(fnp.ravel(a, order="F"), np.ravel(a, order="F"))
    w = np.arange(24.0).reshape(4, 6)
    g = ft.grad(lambda x: fnp.sum(np.ravel(x, order="F") * np.ravel(w)))(a)
    np.testing.assert_array_equal(g, np.reshape(np.ravel(w), a.shape, order="F"))
    with pytest.raises(NotImplementedError, match="order"):
        fnp.reshape(a, (4, 6), order="A")


def test_array_methods_on_tracers_match_numpy() -> None:
    x = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, -1.0]])
    methods: dict[str, Callable[[Any], Any]] = {
        "sort": lambda x: x.sort(axis=1) if isinstance(x, ft.core.Tracer) else np.sort(x, 1),
        "argsort": lambda x: x.argsort(axis=0),
        "repeat": lambda x: x.repeat(2, axis=1),
        "take": lambda x: x.take([2, 0], axis=1),
        "diagonal": lambda x: x.diagonal(1),
        "cumprod": lambda x: x.cumprod(axis=1),
        "ptp": lambda x: x.ptp(axis=0) if isinstance(x, ft.core.Tracer) else np.ptp(x, 0),
        "copy": lambda x: x.copy(),
        "conjugate": lambda x: x.conjugate(),
        "searchsorted": lambda x: x[0].take([1, 2, 0]).searchsorted(np.array([1.5, 9.0])),
        "trace": lambda x: x.trace(),
        "trace offset": lambda x: x.trace(1),
        "compress": lambda x: x.compress([False, True], axis=0),
        "choose": lambda x: (x > 1).astype(np.int64).choose([x, -x]),
        "argpartition": lambda x: x.argpartition(0, axis=1)[:, 0],
        "nbytes itemsize": lambda x: x * (x.nbytes // x.itemsize),
    }
    for name, f in methods.items():
        np.testing.assert_array_equal(ft.jit(f)(x), f(x), err_msg=name)
    g = ft.grad(lambda x: fnp.sum(x.sort(axis=1)[:, -1] + x.repeat(2).take([0, 5])))(x)
    np.testing.assert_array_equal(g, [[2.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    np.testing.assert_array_equal(ft.jit(lambda x: x.nonzero(size=4)[1])(x > 1),
                                  [0, 2, 1, 0])  # padded with 0, as JAX's
    np.testing.assert_array_equal(ft.grad(lambda x: x.trace())(x), np.eye(2, 3))


def test_numpy_dtype_queries_on_tracers() -> None:
    def f(x: Any, n: Any) -> Any:
        assert np.result_type(x, n) == np.float32
        assert fnp.result_type(x, 1.0) == np.float32
        assert np.can_cast(x, np.float64) and not np.can_cast(x, np.int32)
        assert fnp.finfo(x).eps == np.finfo(np.float32).eps
        assert fnp.iinfo(n).max == np.iinfo(np.int16).max
        assert np.isrealobj(x) and not np.iscomplexobj(x)
        assert fnp.isrealobj(x) and not fnp.iscomplexobj(x) and not fnp.isscalar(x)
        return x

    ft.jit(f)(np.float32(1.0), np.int16(2))


def test_python_scalars_stay_weak_in_result_type() -> None:
    # Under jit a Python float argument is a weakly typed float64 tracer, like the float.
    assert ft.jit(lambda x, y: fnp.zeros((), fnp.result_type(x, y)))(2.0, np.float32(1)) \
        .dtype == np.float32


def test_reexported_dtype_functions() -> None:
    assert fnp.issubdtype(np.float32, np.floating)
    assert fnp.promote_types(np.int8, np.float32) == np.float32
    assert fnp.isscalar(1.0) and not fnp.isscalar(np.ones(1))


# ---------------------------------------------------------------------------------------------
# Utilities with boolean, integer or constant results


def test_allclose_array_equal_array_equiv() -> None:
    a = np.array([1.0, np.nan, np.inf])
    assert bool(fnp.allclose(a, a + 1e-9, equal_nan=True))
    assert not bool(fnp.allclose(a, a, equal_nan=False))
    assert bool(fnp.array_equal(a, a, equal_nan=True)) and not bool(fnp.array_equal(a, a))
    assert not bool(fnp.array_equal(a, a[:2]))
    assert bool(fnp.array_equiv([1, 2], [[1, 2], [1, 2]]))
    assert not bool(fnp.array_equiv([1, 2], [1, 2, 3]))
    # Traced: a 0-d boolean; bool() of it needs its value.
    assert ft.jit(lambda x: fnp.allclose(x, x))(X).dtype == np.bool_
    with pytest.raises(ConcretizationError):
        ft.jit(lambda x: 1.0 if fnp.allclose(x, 0.0) else 0.0)(X)


def test_isclose_matches_numpy_on_special_values() -> None:
    a = np.array([0.0, 1.0, np.inf, -np.inf, np.nan, 1e-9, np.inf])
    b = np.array([1e-9, 1.0 + 1e-6, np.inf, np.inf, np.nan, 0.0, 1e300])
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.0, "atol": 1e-12}):
        np.testing.assert_array_equal(fnp.isclose(a, b, **kw), np.isclose(a, b, **kw))


def test_constant_index_constructors_match_numpy() -> None:
    for got, expected in [
        (fnp.tri(3, 4, -1), np.tri(3, 4, -1)),
        (fnp.indices((2, 3)), np.indices((2, 3))),
        (fnp.tril_indices(4, 1), np.tril_indices(4, 1)),
        (fnp.triu_indices(3, 0, 5), np.triu_indices(3, 0, 5)),
        (fnp.diag_indices(3, 3), np.diag_indices(3, 3)),
        (fnp.empty_like(X).shape, X.shape),
    ]:
        for g, e in zip(np.atleast_1d(*got) if isinstance(got, tuple) else [got],
                        np.atleast_1d(*expected) if isinstance(expected, tuple)
                        else [expected], strict=False):
            np.testing.assert_array_equal(g, e)

    def from_traced(x: Any) -> Any:  # only the shape is used: works on abstract tracers
        rows, cols = fnp.triu_indices_from(x, 1)
        r2, c2 = fnp.tril_indices_from(x)
        d = fnp.diag_indices_from(x[:, :3])
        return x[rows, cols], x[r2, c2], x[d]

    got = ft.jit(from_traced)(X)
    np.testing.assert_array_equal(got[0], X[np.triu_indices_from(X, 1)])
    np.testing.assert_array_equal(got[1], X[np.tril_indices_from(X)])
    np.testing.assert_array_equal(got[2], X[:, :3][np.diag_indices(3)])


def test_ix_and_meshgrid() -> None:
    rows, cols = np.array([2, 0]), np.array([True, False, True, True])
    np.testing.assert_array_equal(ft.jit(lambda x, r: x[fnp.ix_(r, cols)])(X, rows),
                                  X[np.ix_(rows, cols)])
    with pytest.raises(TypeError, match="integers"):
        ft.jit(lambda m: fnp.ix_(m))(cols)
    for kw in ({"sparse": True}, {"indexing": "ij"}):
        for g, e in zip(fnp.meshgrid(V, V[:3], **kw), np.meshgrid(V, V[:3], **kw), strict=True):
            np.testing.assert_array_equal(g, e)


def test_copy_astype_and_real_parts() -> None:
    out = ft.jit(lambda x: (fnp.copy(x), fnp.astype(x, np.float32), fnp.real(x),
                            fnp.imag(x), fnp.conj(x), fnp.conjugate(x), fnp.isreal(x)))(X)
    np.testing.assert_array_equal(out[0], X)
    assert out[1].dtype == np.float32
    np.testing.assert_array_equal(out[2], X)
    np.testing.assert_array_equal(out[3], np.zeros_like(X))
    np.testing.assert_array_equal(out[4], X)
    np.testing.assert_array_equal(out[5], X)
    assert out[6].dtype == np.bool_ and out[6].all()
    z = np.array([1 + 2j, -1j])  # concrete complex arrays: NumPy's answer
    np.testing.assert_array_equal(fnp.real(z), np.real(z))
    np.testing.assert_array_equal(fnp.imag(z), np.imag(z))
    np.testing.assert_array_equal(fnp.conj(z), np.conj(z))
    np.testing.assert_array_equal(fnp.angle(z), np.angle(z))


def test_nanargmax_all_nan_is_minus_one() -> None:
    x = np.array([[np.nan, np.nan], [1.0, np.nan]])
    np.testing.assert_array_equal(fnp.nanargmax(x, axis=1), [-1, 0])
    np.testing.assert_array_equal(fnp.nanargmin(x, axis=1), [-1, 0])


def test_linspace_family_concrete_is_numpy() -> None:
    assert isinstance(fnp.linspace(0.0, 1.0, 5), np.ndarray)
    np.testing.assert_array_equal(fnp.logspace(0, 2, 3, base=2.0), np.logspace(0, 2, 3, base=2.0))
    np.testing.assert_array_equal(fnp.geomspace(1, 8, 4), np.geomspace(1, 8, 4))
    y, step = ft.jit(lambda a: fnp.linspace(a, 1.0, 5, retstep=True))(0.0)
    np.testing.assert_allclose(y, np.linspace(0.0, 1.0, 5))
    np.testing.assert_allclose(step, 0.25)


# ---------------------------------------------------------------------------------------------
# Derivatives the table does not reach


def test_sinc_derivatives_at_zero() -> None:
    d1 = ft.grad(fnp.sinc)(0.0)
    d2 = ft.grad(ft.grad(fnp.sinc))(0.0)
    d4 = ft.grad(ft.grad(ft.grad(ft.grad(fnp.sinc))))(0.0)
    np.testing.assert_allclose([d1, d2, d4], [0.0, -np.pi**2 / 3, np.pi**4 / 5], rtol=1e-12)


def test_median_derivative_goes_to_the_middle_entries() -> None:
    x = np.array([3.0, 1.0, 4.0, 2.0])
    np.testing.assert_allclose(ft.grad(fnp.median)(x), [0.5, 0.0, 0.0, 0.5])
    np.testing.assert_allclose(ft.grad(fnp.median)(x[:3]), [1.0, 0.0, 0.0])
    # quantile 0.25 of 4 values: position 0.75 between the two smallest.
    np.testing.assert_allclose(ft.grad(lambda v: fnp.quantile(v, 0.25))(x), [0, 0.25, 0, 0.75])


def test_interp_is_differentiable_in_the_sample_points() -> None:
    x, xp, fp = np.array([-0.4, 0.3, 1.6]), np.array([-1.0, 0.0, 1.0, 2.0]), V[:4]
    check_grads(lambda xp: fnp.interp(x, xp, fp), (xp,), order=2, modes=("fwd", "rev"))
    check_grads(lambda x, fp: fnp.interp(x, xp, fp, period=2.5), (x, fp), order=2,
                modes=("fwd", "rev"))


def test_gradient_in_traced_coordinates() -> None:
    f, xs = X[0], np.array([0.0, 0.7, 1.1, 2.0])
    check_grads(lambda f, xs: fnp.gradient(f, xs, edge_order=2), (f, xs), order=2,
                modes=("fwd", "rev"))


def test_integer_outputs_have_zero_derivative_under_grad() -> None:
    def f(x: Any) -> Any:
        k = fnp.searchsorted(V, x) + fnp.count_nonzero(x > 0) + fnp.nanargmax(x)
        return fnp.sum(x * k)

    x = np.array([0.1, -0.2, 0.3])
    k = np.searchsorted(V, x) + np.count_nonzero(x > 0) + np.nanargmax(x)
    np.testing.assert_allclose(ft.grad(f)(x), k)


def test_cov_weights_may_be_traced() -> None:
    m = rng.standard_normal((2, 5))
    w = rng.uniform(0.5, 2.0, size=5)
    np.testing.assert_allclose(ft.jit(lambda m, w: fnp.cov(m, aweights=w))(m, w),
                               np.cov(m, aweights=w), rtol=1e-12)
    check_grads(lambda w: fnp.cov(m, aweights=w), (w,), order=2, modes=("fwd", "rev"))


# ---------------------------------------------------------------------------------------------
# Errors


ERRORS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("pad mode", lambda: fnp.pad(X, 1, mode="median"), NotImplementedError, "median"),
    ("pad stat_length", lambda: fnp.pad(X, 1, mode="maximum", stat_length=0), ValueError,
     "stat_length"),
    ("pad odd", lambda: fnp.pad(X, 1, mode="reflect", reflect_type="odd"),
     NotImplementedError, "even"),
    ("pad kwargs", lambda: fnp.pad(X, 1, mode="edge", constant_values=1), ValueError,
     "constant_values"),
    ("pad negative", lambda: fnp.pad(X, -1), ValueError, "negative"),
    ("quantile q", lambda: fnp.quantile(X, 1.5), ValueError, r"\[0, 1\]"),
    ("percentile q", lambda: fnp.percentile(X, -1), ValueError, r"\[0, 100\]"),
    ("quantile method", lambda: fnp.quantile(X, 0.5, method="hazzen"), ValueError, "hazzen"),
    ("median out", lambda: fnp.median(X, out=np.zeros(())), TypeError, "immutable"),
    ("convolve empty", lambda: fnp.convolve(np.zeros(0), V), ValueError, "empty"),
    ("convolve mode", lambda: fnp.convolve(V, V, mode="circular"), ValueError, "mode"),
    ("block tuple", lambda: fnp.block((X, X)), TypeError, "tuple"),
    ("block depth", lambda: fnp.block([[X], X]), ValueError, "depths"),
    ("matrix_transpose", lambda: fnp.matrix_transpose(V), ValueError, "2-dimensional"),
    ("cumulative_sum axis", lambda: fnp.cumulative_sum(X), ValueError, "axis"),
    ("ldexp exponent", lambda: fnp.ldexp(X, 2.0), TypeError, "integer"),
    ("select lengths", lambda: fnp.select([X > 0], [X, X]), ValueError, "same length"),
    ("select condition", lambda: fnp.select([X], [X]), TypeError, "boolean"),
    ("rot90 axes", lambda: fnp.rot90(X, axes=(0, 0)), ValueError, "different"),
    ("vsplit 1-d", lambda: fnp.vsplit(V, 5), ValueError, "2 or more"),
    ("searchsorted side", lambda: fnp.searchsorted(V, 0.0, side="middle"), ValueError, "side"),
    ("interp lengths", lambda: fnp.interp(0.0, V, V[:3]), ValueError, "same length"),
    ("gradient short", lambda: fnp.gradient(V[:2], edge_order=2), ValueError, "edge_order"),
]


@pytest.mark.parametrize("what,f,error,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(what: str, f: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        f()


def test_docs_page_names_every_function() -> None:
    page = (Path(__file__).parent.parent / "docs" / "numpy.md").read_text()
    missing = [name for name in fnp.__all__ if f"`{name}`" not in page]
    assert not missing, f"docs/numpy.md does not list {missing}"


@pytest.mark.parametrize("name,f", [
    ("mean", lambda x: fnp.mean([x, x + 2.0])),
    ("std", lambda x: fnp.std((x, 2.0 * x, 3.0))),
    ("sum of sin", lambda x: fnp.sum(fnp.sin([x, 2.0 * x]))),
    ("nested", lambda x: fnp.sum(fnp.dot([[x, 1.0], [2.0, x * x]], [x, 3.0]))),
    ("max", lambda x: fnp.max([x, 0.5 * x, -1.0])),
])
def test_lists_of_traced_values_are_stacked_as_operands(name: str, f: Callable[[Any], Any]
                                                       ) -> None:
    # NumPy functions accept lists; a list holding traced values is a traced stack (autograd
    # differentiates these), never an np.asarray that would drop the derivative.
    x = 0.7
    expected = f(x)
    got = ft.jit(f)(x)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))


_X = np.random.default_rng(3).standard_normal((3, 4))
_MASK = np.array([[False, False, False, False], [True, False, True, True],
                  [True, True, False, True]])
_ROWS = _MASK[[1, 2, 2]]  # every row selects something (a mean of nothing is NaN)


@pytest.mark.parametrize("name,f", [
    ("sum where", lambda m, x: m.sum(x, axis=1, where=_MASK)),
    ("sum initial", lambda m, x: m.sum(x, axis=0, initial=2.5)),
    ("sum where broadcast keepdims", lambda m, x: m.sum(x, 0, where=_MASK[1], keepdims=True)),
    ("prod where initial", lambda m, x: m.prod(x, axis=1, where=_MASK, initial=2.0)),
    ("max where initial", lambda m, x: m.max(x, axis=1, where=_MASK, initial=-1.0)),
    ("min initial", lambda m, x: m.min(x, axis=0, initial=0.0)),
    ("max of an empty axis with initial", lambda m, x: m.max(x[:, :0], axis=1, initial=3.0)),
    ("mean where", lambda m, x: m.mean(x, axis=1, where=_ROWS)),
    ("mean where, all axes", lambda m, x: m.mean(x, where=_MASK)),
    ("var where", lambda m, x: m.var(x, axis=1, where=_ROWS)),
    ("std where ddof keepdims", lambda m, x: m.std(x, 1, ddof=1, where=_ROWS, keepdims=True)),
    ("var correction", lambda m, x: m.var(x, axis=0, correction=1)),
    ("var given mean", lambda m, x: m.var(x, axis=1, mean=m.mean(x, 1, keepdims=True))),
    ("all where", lambda m, x: m.all(x > 0, axis=1, where=_MASK)),
    ("any where", lambda m, x: m.any(x > 0, axis=1, where=_MASK)),
    ("diff prepend scalar", lambda m, x: m.diff(x, prepend=0.0)),
    ("diff append and prepend, n=2", lambda m, x: m.diff(x, n=2, prepend=1.0, append=x[:, :1])),
    ("diff axis 0 prepend row", lambda m, x: m.diff(x, axis=0, prepend=np.ones((1, 4)))),
])
def test_reduction_where_initial_and_diff_edges_match_numpy(name: str, f: Callable[..., Any]
                                                            ) -> None:
    expected = f(np, _X)
    for got in (f(fnp, _X), ft.jit(lambda x: f(fnp, x))(_X)):
        assert np.shape(got) == np.shape(expected)
        assert np.asarray(got).dtype == np.asarray(expected).dtype
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-15)
    if np.asarray(expected).dtype.kind == "f" and np.size(expected):
        check_grads(lambda x: f(fnp, x), (_X,), order=2, modes=("fwd", "rev"))


def test_reduction_where_selects_the_gradient_and_max_needs_initial() -> None:
    np.testing.assert_array_equal(ft.grad(lambda x: np.sum(x, where=_MASK))(_X), _MASK)
    with pytest.raises(ValueError, match="initial"):
        fnp.max(_X, where=_MASK)
    with pytest.raises(TypeError, match="out="):
        fnp.sum(_X, out=np.empty(()))
    with pytest.raises(TypeError, match="boolean"):
        fnp.sum(_X, where=np.ones((3, 4)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_floating_point_representation_functions(dtype: type) -> None:
    # frexp, nextafter and spacing at the special values: NumPy's bits, in every placement.
    x = np.array([0.0, -0.0, 1.5, -3.25, 1e-40, -1e-40, np.inf, -np.inf, np.nan, 3e38, 1e-45],
                 dtype)
    toward = np.asarray(1.0, dtype)
    for ours, theirs in [(fnp.spacing, np.spacing),
                         (lambda x: fnp.nextafter(x, toward), lambda x: np.nextafter(x, toward)),
                         (lambda x: fnp.frexp(x)[0], lambda x: np.frexp(x)[0]),
                         (lambda x: fnp.frexp(x)[1], lambda x: np.frexp(x)[1])]:
        with np.errstate(all="ignore"):
            want = theirs(x)
            for f in (ours, ft.jit(ours), ft.vmap(ours)):
                got = f(x)
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got, want)
    # frexp's mantissa has derivative 2**-exponent; nextafter (and so spacing) has none, as
    # in JAX.
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(fnp.frexp(x)[0]))(
        np.array([1.5, 40.0, -0.3])), [0.5, 2.0 ** -6, 2.0])
    with pytest.raises(NotImplementedError, match="nextafter"):
        ft.grad(fnp.spacing)(1.0)


def test_ndarray_is_the_type_of_arrays_traced_or_not() -> None:
    seen: list[bool] = []

    def f(x: Any) -> Any:
        seen.append(isinstance(x, fnp.ndarray) and not isinstance(x, float))
        return fnp.sum(x * x)

    for transform in (ft.grad, ft.jit, ft.vmap, lambda f: f):
        transform(f)(np.ones(3))
    assert seen == [True] * 4
    assert isinstance(np.float64(1.0) * np.ones(2), fnp.ndarray)
    assert not isinstance(1.0, fnp.ndarray) and not isinstance([1.0], fnp.ndarray)
    assert issubclass(np.ndarray, fnp.ndarray) and not issubclass(list, fnp.ndarray)
    with pytest.raises(TypeError, match="isinstance"):
        fnp.ndarray((2,))


# ---------------------------------------------------------------------------------------------
# The array API's unique_*, lexsort, sort_complex, poly, polydiv, bitwise_count and the rest
# of functrace/numpy/_more.py


def test_unique_family_matches_numpy_eagerly_and_jax_under_jit() -> None:
    x = np.array([[3, 1, 7], [1, 2, 3]])
    np.testing.assert_array_equal(fnp.unique_values(x), [1, 2, 3, 7])  # sorted, as JAX's
    values, counts = fnp.unique_counts(x)
    np.testing.assert_array_equal(counts, [2, 1, 2, 1])
    inv = fnp.unique_inverse(x)
    assert inv.inverse_indices.shape == x.shape  # the input's shape (NumPy 2)
    np.testing.assert_array_equal(inv.values[inv.inverse_indices], x)
    every = fnp.unique_all(x)
    np.testing.assert_array_equal(every.indices, [1, 4, 0, 2])
    np.testing.assert_array_equal(every.values, x.reshape(-1)[every.indices])
    # Under jit, with a static size (padded with the first value, counts with 0, as JAX's).
    jitted = ft.jit(lambda x: fnp.unique_all(x, size=5))(x)
    np.testing.assert_array_equal(jitted.values, [1, 2, 3, 7, 1])
    np.testing.assert_array_equal(jitted.counts, [2, 1, 2, 1, 0])
    np.testing.assert_array_equal(jitted.inverse_indices, inv.inverse_indices)


def test_lexsort_and_sort_complex() -> None:
    keys = np.random.default_rng(1).integers(0, 3, (3, 4, 6))
    for axis in (-1, 0, 1):
        want = np.lexsort(keys, axis=axis)
        np.testing.assert_array_equal(fnp.lexsort(keys, axis=axis), want)
        np.testing.assert_array_equal(ft.jit(lambda k, a=axis: fnp.lexsort(k, axis=a))(keys),
                                      want)
    pair = (np.array([1, 2, 1, 2, 1]), np.array([3, 3, 1, 1, 3]))
    np.testing.assert_array_equal(ft.jit(fnp.lexsort)(pair), np.lexsort(pair))
    c = np.array([1 + 2j, 1 - 1j, 0.5 + 3j, 1 + 0j, -2 + 0j])
    np.testing.assert_array_equal(ft.jit(fnp.sort_complex)(c), np.sort_complex(c))
    for dtype in (np.int16, np.int32, np.float32, np.complex64):
        a = np.array([3, 1, 2], dtype)
        got = ft.jit(fnp.sort_complex)(a)
        assert got.dtype == np.sort_complex(a).dtype  # NumPy's dtype rule
        np.testing.assert_array_equal(got, np.sort_complex(a))
    # The sort's derivative follows each entry to its place.
    np.testing.assert_allclose(ft.grad(lambda c: fnp.real(fnp.sort_complex(c)[0]))(c),
                               [0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match="same shape"):
        fnp.lexsort((np.ones(2), np.ones(3)))


def test_poly_and_polydiv() -> None:
    r = np.array([1.0, 2.0, 3.0])
    for f in (fnp.poly, ft.jit(fnp.poly)):
        np.testing.assert_allclose(f(r), np.poly(r))
    # Traced, a matrix's characteristic polynomial is complex (its eigenvalues are), as JAX's.
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(ft.jit(fnp.poly)(m), np.poly(m).astype(complex), atol=1e-12)
    check_grads(lambda r: fnp.poly(r), (r,), order=2)
    u, v = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 1.0])
    q, rem = ft.jit(fnp.polydiv)(u, v)
    nq, nr = np.polydiv(u, v)
    np.testing.assert_allclose(q, nq)
    np.testing.assert_allclose(rem, np.concatenate([np.zeros(3), nr]))  # u's length, as JAX's
    np.testing.assert_allclose(fnp.polydiv(u, v, trim_leading_zeros=True)[1], nr)
    np.testing.assert_allclose(np.polyadd(np.polymul(q, v), rem), u, atol=1e-12)
    check_grads(lambda u, v: fnp.polydiv(u, v), (u, v), order=2)
    q, rem = ft.jit(fnp.polydiv)(np.array([1.0, 2.0]), np.array([2.0, 1.0, 3.0]))
    np.testing.assert_allclose(q, [0.0])
    np.testing.assert_allclose(rem, [1.0, 2.0])


def test_bitwise_count_matches_numpy_for_every_integer_dtype() -> None:
    gen = np.random.default_rng(2)
    for dtype in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
                  np.uint64):
        info = np.iinfo(dtype)
        x = np.concatenate([gen.integers(info.min, info.max, 40, dtype=dtype, endpoint=True),
                            np.array([info.min, info.max, 0, 1], dtype)])
        for f in (fnp.bitwise_count, ft.jit(fnp.bitwise_count), ft.vmap(fnp.bitwise_count)):
            got = f(x)
            assert got.dtype == np.uint8
            np.testing.assert_array_equal(got, np.bitwise_count(x))
    np.testing.assert_array_equal(fnp.bitwise_count(np.array([True, False])), [1, 0])
    with pytest.raises(TypeError, match="integer"):
        fnp.bitwise_count(np.ones(2))


def test_fromfunction_place_mask_indices_einsum_path_isdtype() -> None:
    np.testing.assert_array_equal(fnp.fromfunction(lambda i, j: i * 10 + j, (2, 3), dtype=int),
                                  np.fromfunction(lambda i, j: i * 10 + j, (2, 3), dtype=int))
    mask = np.array([True, False, True, True])
    placed = ft.jit(lambda a: fnp.place(a, mask, np.array([9.0, 8.0]), inplace=False))(
        np.zeros(4))
    want = np.zeros(4)
    np.place(want, mask, [9.0, 8.0])
    np.testing.assert_array_equal(placed, want)
    np.testing.assert_allclose(ft.grad(lambda v: fnp.sum(fnp.place(
        np.zeros(4), mask, v, inplace=False) * np.arange(4.0)))(np.array([1.0, 1.0])),
        [0 + 3, 2])  # v[0] lands at 0 and 3, v[1] at 2
    with pytest.raises(ValueError, match="inplace"):
        fnp.place(np.zeros(4), mask, 1.0)
    for k in (0, 1, -1):
        for f, g in ((fnp.triu, np.triu), (fnp.tril, np.tril)):
            for got, want in zip(fnp.mask_indices(4, f, k), np.mask_indices(4, g, k),
                                 strict=True):
                np.testing.assert_array_equal(got, want)
    a, b = np.ones((2, 3)), np.ones((3, 4))
    assert ft.jit(lambda a, b: (fnp.einsum_path("ij,jk->ik", a, b)[0], a)[1])(a, b).shape == (2, 3)
    assert fnp.einsum_path("ij,jk->ik", a, b)[0] == np.einsum_path("ij,jk->ik", a, b)[0]
    assert fnp.isdtype(np.float32, "real floating") and not fnp.isdtype(np.int8, "bool")
    assert fnp.issubdtype(fnp.uint32, fnp.unsignedinteger) and fnp.issubdtype(fnp.single,
                                                                            fnp.floating)
    assert fnp.mgrid[0:2, 0:3].shape == (2, 2, 3) and fnp.s_[1:2] == slice(1, 2)


def test_roots_of_complex_coefficients() -> None:
    p = np.array([1.0, -(1 + 2j), 2j])  # (x - 1)(x - 2i)
    got = ft.jit(lambda p: fnp.roots(p, strip_zeros=False))(p)
    np.testing.assert_allclose(np.sort_complex(got), [2j, 1], atol=1e-12)
    np.testing.assert_allclose(np.sort_complex(fnp.roots(p)), np.sort_complex(np.roots(p)))
    # d root / d p at a simple root r: -(dp(r)) / p'(r), here for the constant coefficient.
    g = ft.grad(lambda c: fnp.real(fnp.sum(fnp.roots(
        fnp.stack([1.0 + 0j, -(1 + 2j), c]), strip_zeros=False))))(2j)
    np.testing.assert_allclose(g, 0.0, atol=1e-12)  # the roots' sum is -p[1] / p[0]


def test_histogramdd_and_histogram2d_match_numpy() -> None:
    gen = np.random.default_rng(3)
    sample, w = gen.standard_normal((60, 3)), gen.random(60)
    cases: list[tuple[Any, dict[str, Any]]] = [
        ((3, 4, 5), {}), (4, {"range": [(-1, 1)] * 3, "density": True}),
        ([np.linspace(-2, 2, 4), 3, np.array([-3.0, 0.0, 3.0])], {"weights": w}),
    ]
    for bins, kw in cases:
        want, want_edges = np.histogramdd(sample, bins=bins, **kw)
        for f in (fnp.histogramdd, ft.jit(fnp.histogramdd, static_argnums=(1,))
                  if isinstance(bins, tuple) else fnp.histogramdd):
            got, edges = f(sample, bins, **kw)
            assert got.dtype == want.dtype
            np.testing.assert_allclose(got, want)
            for e, we in zip(edges, want_edges, strict=True):
                np.testing.assert_allclose(e, we)
    x, y = sample[:, 0], sample[:, 1]
    for bins in (5, [3, 4], np.linspace(-2, 2, 5), [np.linspace(-2, 2, 5), np.linspace(-1, 1, 3)]):
        got = ft.jit(lambda x, y, w, b=bins: fnp.histogram2d(x, y, bins=b, weights=w))(x, y, w)
        for g, want in zip(got, np.histogram2d(x, y, bins=bins, weights=w), strict=True):
            np.testing.assert_allclose(g, want)
    # Each weight lands in its point's cell: the derivative of one cell's sum is its indicator.
    counts, xe, ye = np.histogram2d(x, y, bins=3)
    g = ft.grad(lambda w: fnp.histogram2d(x, y, bins=3, weights=w)[0][1, 2])(w)
    inside = ((x >= xe[1]) & (x < xe[2])) & ((y >= ye[2]) & (y <= ye[3]))
    np.testing.assert_array_equal(g, inside.astype(float))
    assert g.sum() == counts[1, 2]


R_CASES: list[Callable[[Any, Any, Any], Any]] = [
    lambda L, a, x: L.r_[a, 0, a],
    lambda L, a, x: L.r_[0:3, a, 5.0],
    lambda L, a, x: L.r_[-1:1:5j, a],
    lambda L, a, x: L.r_["0,2", a, a],
    lambda L, a, x: L.r_["0,2,0", a, a],
    lambda L, a, x: L.r_["1,2,0", a, a],
    lambda L, a, x: L.r_["-1", x, x],
    lambda L, a, x: L.r_[x, x],
    lambda L, a, x: L.c_[a, a],
    lambda L, a, x: L.c_[x, x],
    lambda L, a, x: L.c_[a, 0:2],
    lambda L, a, x: L.r_[np.array(3), a],
]


@pytest.mark.parametrize("case", range(len(R_CASES)))
def test_r_and_c_match_numpy(case: int) -> None:
    f = R_CASES[case]
    a, x = np.array([1.0, 2.0]), np.arange(6.0).reshape(2, 3)
    want = f(np, a, x)
    for got in (f(fnp, a, x), ft.jit(lambda a, x: f(fnp, a, x))(a, x)):
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_r_and_c_differentiate_and_refuse_what_they_cannot_do() -> None:
    a = np.array([1.0, 2.0])
    np.testing.assert_array_equal(ft.grad(lambda a: fnp.sum(fnp.r_[a, 2 * a] ** 2))(a),
                                  [10.0, 20.0])
    assert fnp.r_[np.array([1, 2], np.int32), 3].dtype == np.int32  # NumPy's promotion
    with pytest.raises(NotImplementedError, match="matrix"):
        fnp.r_["r", a]
    with pytest.raises(ValueError, match="first"):
        fnp.r_[a, "0"]
    with pytest.raises(TypeError, match="concrete"):
        ft.jit(lambda n: fnp.r_[0:n])(3)


def test_packbits_and_unpackbits_match_numpy() -> None:
    gen = np.random.default_rng(4)
    for shape, axis in [((13,), None), ((3, 10), 1), ((3, 10), 0), ((2, 3, 17), -1)]:
        for dtype in (bool, np.int32):
            a = gen.integers(0, 3, shape).astype(dtype)  # nonzero entries are 1 bits
            for order in ("big", "little"):
                want = np.packbits(a, axis=axis, bitorder=order)
                got = ft.jit(lambda a, ax=axis, o=order: fnp.packbits(a, axis=ax, bitorder=o))(a)
                assert got.dtype == np.uint8
                np.testing.assert_array_equal(got, want)
                for count in (None, 3, -2, 40):
                    np.testing.assert_array_equal(
                        fnp.unpackbits(want, axis=axis, count=count, bitorder=order),
                        np.unpackbits(want, axis=axis, count=count, bitorder=order))
    with pytest.raises(TypeError, match="unsigned byte"):
        fnp.unpackbits(np.ones(3, np.int32))
    with pytest.raises(ValueError, match="bitorder"):
        fnp.packbits(np.ones(3, bool), bitorder="middle")


def test_numpy_2_and_jax_keyword_forms() -> None:
    x = np.arange(12.0).reshape(3, 4) - 5
    np.testing.assert_array_equal(fnp.clip(x, min=-1, max=2), np.clip(x, -1, 2))
    with pytest.raises(TypeError, match="not both"):
        fnp.clip(x, -1, min=-2)
    np.testing.assert_array_equal(fnp.reshape(x, shape=(4, 3), copy=None), x.reshape(4, 3))
    np.testing.assert_array_equal(fnp.zeros_like(x, shape=(2,)), np.zeros(2))
    np.testing.assert_array_equal(fnp.full_like(x, 7, shape=(1, 2)), np.full((1, 2), 7.0))
    # Descending sorts keep ties in their original order; NaNs come first.
    v = np.array([1.0, 2.0, 1.0, np.nan, 2.0])
    np.testing.assert_array_equal(fnp.argsort(v, descending=True), [3, 1, 4, 0, 2])
    np.testing.assert_array_equal(ft.jit(lambda v: fnp.sort(v, descending=True, stable=True))(v),
                                  [np.nan, 2.0, 2.0, 1.0, 1.0])
    np.testing.assert_array_equal(fnp.sort(x, axis=0, descending=True), np.sort(x, axis=0)[::-1])
    # take(mode="fill"): out of range reads fill_value (NaN by default), as JAX's.
    got = ft.jit(lambda a, i: fnp.take(a, i, mode="fill", fill_value=-7.0))(
        np.arange(5.0), np.array([0, 7, -1, -9]))
    np.testing.assert_array_equal(got, [0.0, -7.0, 4.0, -7.0])
    assert np.isnan(fnp.take(np.arange(5.0), np.array([7]), mode="fill")[0])
    np.testing.assert_array_equal(fnp.searchsorted(np.arange(5.0), 2.5, method="sort"), 3)
    # precision (a hint) and preferred_element_type (the dtype the product is computed in).
    assert fnp.matmul(x, x.T, precision="highest", preferred_element_type=np.float32).dtype \
        == np.float32
    i = np.ones(3, np.int32)
    assert fnp.dot(i, i, preferred_element_type=np.float64).dtype == np.float64
    assert fnp.einsum("i,i->", i, i, preferred_element_type=np.float32).dtype == np.float32
    assert fnp.tensordot(x, x.T, 1, preferred_element_type=np.float32).dtype == np.float32


def test_repeat_with_total_repeat_length() -> None:
    a = np.array([10.0, 20.0, 30.0])
    # JAX's: cut to the length, or padded with the last entry; the counts may be traced.
    for counts, length, want in (([1, 2, 0], 5, [10, 20, 20, 30, 30]), ([1, 2, 0], 2, [10, 20]),
                                 (2, 8, [10, 10, 20, 20, 30, 30, 30, 30]), ([0, 0, 3], 3, [30] * 3),
                                 ([1, 1, 1], 0, [])):
        np.testing.assert_array_equal(fnp.repeat(a, np.array(counts), total_repeat_length=length),
                                      want)
        np.testing.assert_array_equal(ft.jit(lambda r, n=length: fnp.repeat(
            a, r, total_repeat_length=n))(np.array(counts)), want)
    m = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(
        ft.jit(lambda r: fnp.repeat(m, r, axis=1, total_repeat_length=4))(np.array([2, 0, 2])),
        np.repeat(m, [2, 0, 2], axis=1))
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(fnp.repeat(
        x, np.array([1, 3, 0]), total_repeat_length=6) * np.arange(6.0)))(np.ones(3)),
        [0.0, 6.0, 9.0])  # positions 4 and 5 pad with the last entry
    with pytest.raises(ConcretizationError, match="total_repeat_length"):
        ft.jit(lambda r: fnp.repeat(a, r))(np.array([1, 2, 0]))


SET_OPS = ["union1d", "intersect1d", "setdiff1d", "setxor1d"]


@pytest.mark.parametrize("name", SET_OPS)
def test_set_operations_with_size_under_jit(name: str) -> None:
    a, b = np.array([3, 1, 4, 1, 5, 9, 2, 6]), np.array([1, 5, 7, 9, 9])
    exact = getattr(np, name)(a, b)
    first = 0 if name == "setdiff1d" else exact[0]  # JAX's default padding
    for size, fill in ((3, None), (8, None), (8, -1)):
        pad = first if fill is None else fill
        want = np.concatenate([exact, np.full(max(size - exact.size, 0), pad)])[:size]
        np.testing.assert_array_equal(getattr(fnp, name)(a, b, size=size, fill_value=fill), want)
        np.testing.assert_array_equal(
            ft.jit(lambda a, b, s=size, f=fill: getattr(fnp, name)(a, b, size=s, fill_value=f))(
                a, b), want)
    # Values are gathered from the inputs: derivatives reach each value's first occurrence.
    x, y = np.array([3.0, 1.0, 4.0, 1.0]), np.array([1.0, 4.5])
    g_eager = ft.grad(lambda x: fnp.sum(getattr(fnp, name)(x, y, size=4) * np.arange(1.0, 5.0)))(x)
    g_jit = ft.jit(ft.grad(lambda x: fnp.sum(getattr(fnp, name)(x, y, size=4)
                                             * np.arange(1.0, 5.0))))(x)
    np.testing.assert_allclose(g_jit, g_eager)


def test_setdiff1d_assume_unique_keeps_the_order_of_ar1() -> None:
    # NumPy and JAX: with assume_unique, ar1's entries not in ar2 in their order, repeats kept
    # (it was sorted and made distinct; found by differential testing against NumPy).
    a, b = np.array([3, 1, 2, 5, 3]), np.array([2])
    np.testing.assert_array_equal(fnp.setdiff1d(a, b, assume_unique=True), [3, 1, 5, 3])
    jitted = ft.jit(lambda a, b: fnp.setdiff1d(a, b, assume_unique=True, size=6))
    np.testing.assert_array_equal(jitted(a, b), [3, 1, 5, 3, 0, 0])  # JAX's padding
    np.testing.assert_array_equal(fnp.setdiff1d(a, b, assume_unique=True, size=2), [3, 1])
    g = ft.grad(lambda x: fnp.sum(fnp.setdiff1d(x, np.array([2.0]), assume_unique=True)
                                  * np.array([1.0, 2.0, 3.0])))(np.array([3.0, 2.0, 1.0, 5.0]))
    np.testing.assert_array_equal(g, [1.0, 0.0, 2.0, 3.0])


def test_intersect1d_return_indices() -> None:
    a, b = np.array([3, 1, 5, 1]), np.array([1, 3, 7])
    for got, want in zip(fnp.intersect1d(a, b, return_indices=True),
                         np.intersect1d(a, b, return_indices=True), strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(NotImplementedError, match="return_indices"):
        ft.jit(lambda a, b: fnp.intersect1d(a, b, return_indices=True, size=2))(a, b)


def test_fixes_from_comparing_with_jax() -> None:
    """What a differential test against JAX found in this session's functions."""
    # take's clip and wrap modes on traced indices (they were wrapped-then-clamped).
    t, i = np.arange(5.0) * 10, np.array([-1, -6, 7, 2], np.int32)
    for mode in ("clip", "wrap"):
        np.testing.assert_array_equal(ft.jit(lambda t, i, m=mode: fnp.take(t, i, mode=m))(t, i),
                                      np.take(t, i, mode=mode))
    # polydiv trims remainders that are zero up to rounding, and keeps float32.
    u = np.array([-0.08369619, -1.16322597, -0.62928809, -0.48800582, -0.71331337])
    v = np.array([0.55337847, -0.06308597, -0.58943126])
    np.testing.assert_allclose(fnp.polydiv(u, v, trim_leading_zeros=True)[1],
                               np.polydiv(u, v)[1], rtol=1e-12)
    assert fnp.polydiv(u.astype(np.float32), v.astype(np.float32))[0].dtype == np.float32
    # poly of no roots is the scalar 1, traced too; float32 stays float32.
    assert ft.jit(fnp.poly)(np.zeros(0)).shape == () and ft.jit(fnp.poly)(np.zeros(0)) == 1.0
    assert ft.jit(fnp.poly)(np.float32([1.0, 2.0])).dtype == np.float32
    # An empty set result pads with 0 under jit as eagerly (not with an input's entry).
    a, b = np.float32([5.0, 2.0, 7.0]), np.float32([3.0, 9.0])
    for f in (fnp.intersect1d, ft.jit(lambda a, b: fnp.intersect1d(a, b, size=3))):
        got = f(a, b, size=3) if f is fnp.intersect1d else f(a, b)
        np.testing.assert_array_equal(got, [0.0, 0.0, 0.0])
    # intersect1d's padded indices point one past the end, as JAX's.
    _, i1, i2 = fnp.intersect1d(np.array([3, 1, 5]), np.array([1, 7]), return_indices=True, size=3)
    np.testing.assert_array_equal(i1, [1, 3, 3])
    np.testing.assert_array_equal(i2, [0, 2, 2])


def test_i0_values_are_numpys_and_its_derivatives_are_bessel_functions() -> None:
    x = np.concatenate([np.linspace(-30.0, 30.0, 121), [0.0, 8.0, -8.0, 700.0]])
    for f in (fnp.i0, ft.jit(fnp.i0), ft.jit(lambda x: np.i0(x))):
        np.testing.assert_array_equal(f(x), np.i0(x))  # NumPy's approximation, bit for bit
    small = np.float32([0.5, 9.0])
    assert fnp.i0(small).dtype == np.float32 and fnp.i0(np.array([1, 2])).dtype == np.float64
    np.testing.assert_array_equal(fnp.i0(small), np.i0(small))
    # I0' = I1 (odd, I1(0) = 0) and I0'' = (I0 + I2) / 2 (1/2 at 0): at 0 too, to rounding.
    np.testing.assert_allclose(ft.grad(ft.grad(fnp.i0))(0.0), 0.5, rtol=1e-12)
    assert abs(ft.grad(fnp.i0)(0.0)) < 1e-15
    d1 = ft.vmap(ft.grad(fnp.i0))(x[:121])
    np.testing.assert_allclose(d1, -d1[::-1], atol=1e-9)  # odd
    check_grads(fnp.i0, (np.array([-9.0, -2.0, 0.3, 5.0, 12.0]),), order=2)
    with pytest.raises(TypeError, match="complex"):
        fnp.i0(np.array([1j]))


def test_repeat_of_a_scalar_along_axis_0() -> None:
    # NumPy (and JAX) repeat a 0-d array along axis 0 or -1 as a 1-d one.
    for axis in (0, -1):
        np.testing.assert_array_equal(fnp.repeat(np.array(1.5), 2, axis=axis),
                                      np.repeat(np.array(1.5), 2, axis=axis))
    assert float(ft.grad(lambda s: fnp.sum(fnp.repeat(s, 3, axis=0)))(2.0)) == 3.0
    with pytest.raises(np.exceptions.AxisError):
        fnp.repeat(np.array(1.5), 2, axis=1)


def test_pad_statistic_and_ramp_modes_match_numpy() -> None:
    """Axis by axis as NumPy's (corners from the axes before), integer means rounded and
    integer ramps floored as NumPy's; differentiable in the array."""
    a = np.array([[0.3, -1.2, 2.0, 0.7], [1.1, 0.4, -0.6, 1.5], [-0.8, 2.2, 0.1, 0.9]])
    widths = ((2, 1), (1, 3))
    cases: list[dict[str, Any]] = [
        {"mode": "maximum"}, {"mode": "minimum", "stat_length": ((1, 2), (3, 1))},
        {"mode": "mean", "stat_length": 2}, {"mode": "linear_ramp"},
        {"mode": "linear_ramp", "end_values": ((1.5, -2.0), (0.5, 3.0))}]
    for kw in cases:
        for x in (a, np.round(a * 3).astype(np.int32)):
            want = np.pad(x, widths, **kw)
            got = ft.jit(lambda x, kw=kw: fnp.pad(x, widths, **kw))(x)
            assert got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        check_grads(lambda x, kw=kw: fnp.pad(x, widths, **kw), (a,), order=1)


def test_pad_of_a_scalar_is_the_scalar() -> None:
    for mode in ("constant", "edge", "reflect", "symmetric", "wrap"):
        out = fnp.pad(np.array(1.5), 1, mode=mode)
        assert out.shape == () and float(out) == float(np.pad(np.array(1.5), 1, mode=mode))
    assert float(ft.grad(lambda s: fnp.pad(s, 2) * 3.0)(2.0)) == 3.0


def _assert_numpy_values(np_fn: Callable[..., Any], fnp_fn: Callable[..., Any],
                         *args: Any) -> None:
    """``fnp_fn`` eagerly and under ``jit`` gives ``np_fn``'s values and dtypes (NaN where
    NumPy's is, and the sign of its zeros)."""
    with np.errstate(all="ignore"):
        expected = np_fn(*args)
    for f in (fnp_fn, ft.jit(fnp_fn)):
        got = f(*args)
        for e, g in zip(*(r if isinstance(r, tuple) else (r,) for r in (expected, got)),
                        strict=True):
            assert np.asarray(g).dtype == e.dtype, (np_fn, args, e, g)
            np.testing.assert_array_equal(g, e, strict=False)
            if e.dtype.kind == "f":  # the sign of zeros (not of NaNs)
                np.testing.assert_array_equal(np.signbit(g)[~np.isnan(e)],
                                              np.signbit(e)[~np.isnan(e)])


def test_integer_division_by_zero_and_infinite_divisors_follow_numpy() -> None:
    # Found by differential fuzzing against NumPy: integer x % 0 is 0 (it was x), x % inf
    # and fmod(x, inf) are x (they were NaN), -3 // inf is -1 (was -0.0) and inf // 2 is NaN.
    i, j = np.array([5, -3, 4, 0], np.int32), np.array([0, 0, 2, 0], np.int32)
    x = np.array([5.0, -5.0, 0.0, -0.0, np.inf, -3.0, 2.0, 1.0])
    y = np.array([np.inf, np.inf, np.inf, -np.inf, 2.0, np.inf, -np.inf, 0.0])
    for name in ("remainder", "fmod", "divmod", "floor_divide"):
        _assert_numpy_values(getattr(np, name), getattr(fnp, name), i, j)
        _assert_numpy_values(getattr(np, name), getattr(fnp, name), x, y)
    _assert_numpy_values(np.fmod, fnp.fmod, np.array([3, -3], np.int16), np.uint8(0))
    check_grads(lambda a, b: fnp.remainder(a, b), (np.array([5.3, -2.2]), np.array([2.0, 1.5])))


def test_float_remainder_and_floor_division_are_exact_as_numpy() -> None:
    # floor(x / y) loses the last bits of x / y: 1.0 // 0.1 was 10 and 1.0 % 0.1 was 0.0, where
    # NumPy (and JAX) give 9 and 0.0999... from the exact fmod (the rem primitive).  Random
    # operands near multiples, and zeros, infinities and NaNs, with their signs.
    rng = np.random.default_rng(0)
    y = rng.choice([0.1, 0.3, -0.7, 1e-3, 3.0, -2.5], 400) * rng.uniform(0.5, 2.0, 400)
    x = y * rng.integers(-50, 50, 400) + rng.choice([0.0, 1e-17, -1e-16], 400)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0])
    xs, ys = np.meshgrid(specials, specials)
    for a, b in ((x, y), (xs.ravel(), ys.ravel()), (x.astype(np.float32), y.astype(np.float32))):
        for name in ("remainder", "fmod", "floor_divide", "divmod"):
            with np.errstate(all="ignore"):  # (x / 0 warns, as NumPy's does)
                _assert_numpy_values(getattr(np, name), getattr(fnp, name), a, b)
    assert float(fnp.floor_divide(1.0, 0.1)) == 9.0
    assert float(fnp.remainder(1.0, 0.1)) == np.fmod(1.0, 0.1)


def test_lax_rem_is_cs_remainder_exactly() -> None:
    # lax.rem: the exact fmod, and as JAX (XLA) an integer x rem 0 is x; d/dy = -trunc(x / y).
    assert float(ft.lax.rem(1.0, 0.1)) == np.fmod(1.0, 0.1)
    np.testing.assert_array_equal(ft.lax.rem(np.array([5, -5, 7]), np.array([0, 3, -2])),
                                  [5, -2, 1])
    gx, gy = ft.grad(ft.lax.rem, argnums=(0, 1))(-7.5, 2.0)
    assert (float(gx), float(gy)) == (1.0, 3.0)
    check_grads(ft.lax.rem, (np.array([7.5, -7.5, 0.3]), np.array([2.0, 2.0, -0.7])), order=2)


def test_integer_reciprocal_truncates_as_numpy() -> None:
    # NumPy's integer 1 / x truncates towards 0: reciprocal(-2) is 0 (it was -1, floored);
    # booleans compute in int8.
    _assert_numpy_values(np.reciprocal, fnp.reciprocal, np.array([1, -1, 2, -2, 7], np.int8))
    _assert_numpy_values(np.reciprocal, fnp.reciprocal, np.array([1, 3], np.uint32))
    _assert_numpy_values(np.reciprocal, fnp.reciprocal, np.array([True]))


def test_integer_and_boolean_dtypes_of_exp2_sinc_square_conj_round() -> None:
    # NumPy's dtypes (found by differential fuzzing): exp2(int8) is float16 (it was float64),
    # sinc of integers float64 (NumPy's Python code; it was float16/float32), square and
    # conj of booleans int8, round of integers keeps the integer dtype (it was float64) and
    # of booleans float16.
    i8 = np.array([-3, 0, 2], np.int8)
    b = np.array([True, False])
    _assert_numpy_values(np.exp2, fnp.exp2, i8)
    _assert_numpy_values(np.exp2, fnp.exp2, np.array([1, 2], np.int16))
    _assert_numpy_values(np.sinc, fnp.sinc, i8)
    _assert_numpy_values(np.sinc, fnp.sinc, np.array([1, 2], np.int16))
    _assert_numpy_values(np.square, fnp.square, b)
    _assert_numpy_values(np.conj, fnp.conj, b)
    _assert_numpy_values(np.round, fnp.round, b)
    ints = np.array([15, 25, -15, -25, 14, 5, 149], np.int64)
    for decimals in (-2, -1, 0, 2):
        _assert_numpy_values(lambda x: np.round(x, decimals), lambda x: fnp.round(x, decimals),
                             ints)
    with pytest.raises(TypeError):
        fnp.round(b, 1)


def test_variances_with_ddof_at_least_the_count_follow_numpy() -> None:
    # Found by differential fuzzing: var divided by n - ddof < 0 gave a negative variance
    # (var([1, 2, 4], ddof=4) was -4.67; NumPy's divisor is max(n - ddof, 0): inf), cov
    # likewise, and nanvar of floats is NaN there (NumPy's). modf of integers is NumPy's float.
    x = np.array([1.0, 2.0, 4.0])
    for ddof in (3, 4):
        _assert_numpy_values(lambda a: np.var(a, ddof=ddof), lambda a: fnp.var(a, ddof=ddof), x)
        _assert_numpy_values(lambda a: np.std(a, ddof=ddof), lambda a: fnp.std(a, ddof=ddof), x)
        for a in (x, np.array([1.0, np.nan, 3.0]), np.array([1, 2, 3])):
            _assert_numpy_values(lambda a: np.nanvar(a, ddof=ddof),
                                 lambda a: fnp.nanvar(a, ddof=ddof), a)
        _assert_numpy_values(lambda a: np.cov(a, ddof=ddof), lambda a: fnp.cov(a, ddof=ddof),
                             x[None])
    masked = np.array([3.0, 1.0])
    _assert_numpy_values(lambda a: np.var(a, ddof=1, where=np.array([True, False])),
                         lambda a: fnp.var(a, ddof=1, where=np.array([True, False])), masked)
    _assert_numpy_values(np.modf, fnp.modf, np.array([3, -2], np.int16))
    _assert_numpy_values(np.modf, fnp.modf, np.array([3, 2], np.uint32))


def test_condition_number_of_a_zero_matrix_is_inf() -> None:
    # NumPy turns cond's 0 / 0 into inf unless the matrix holds NaNs (it was NaN).
    for p in (None, 2, -2):
        for a in (np.zeros((2, 1)), np.zeros((3, 2, 2)), np.diag([1.0, 0.0])):
            _assert_numpy_values(lambda m: np.linalg.cond(m, p),
                                 lambda m: fnp.linalg.cond(m, p), a)


@pytest.mark.parametrize("call", [
    lambda x: fnp.argmax(x, axis=(1, 0)), lambda x: fnp.argsort(x, axis=(1, 0)),
    lambda x: fnp.cumsum(x, axis=(1, 0)), lambda x: fnp.cumulative_prod(x, axis=(0,)),
    lambda x: fnp.diff(x, axis=(1, 0)), lambda x: fnp.repeat(x, 2, axis=(1, 0)),
    lambda x: fnp.argpartition(x, 1, axis=(1, 0)), lambda x: fnp.append(x, x, axis=(1, 0)),
    lambda x: fnp.unwrap(x, axis=[1, 0]), lambda x: fnp.fft.fft(x, axis=(1, 0)),
    lambda x: fnp.cross(x, x, axis=(1, 0)),
])
def test_single_axis_functions_refuse_a_tuple_of_axes(call: Callable[[Any], Any]) -> None:
    # Found by differential fuzzing: NumPy raises TypeError; these took the smallest axis.
    x = np.arange(9.0).reshape(3, 3)
    with pytest.raises(TypeError):
        call(x)
    with pytest.raises(TypeError):
        ft.jit(call)(x)


def test_every_public_name_of_jax_numpy() -> None:
    """Code written against jax.numpy finds its names here; the exceptions are dtypes NumPy
    lacks (bfloat16, the 8-, 6-, 4- and 2-bit formats)."""
    jnp = pytest.importorskip("jax.numpy")
    no_numpy_dtype = {"bfloat16", "int1", "int2", "int4", "uint1", "uint2", "uint4"}
    missing = [name for name in dir(jnp) if not name.startswith("_")
               and not hasattr(fnp, name) and name not in no_numpy_dtype
               and not name.startswith("float8_") and not name.startswith("float4_")
               and not name.startswith("float6_")]
    assert not missing, f"functrace.numpy lacks {missing}"
