"""functrace.numpy's functions written on the others (functrace/numpy/_composite.py) and NumPy
2's array-API names in functrace.numpy.linalg: values against NumPy, eagerly and under jit,
derivatives against central differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace.errors import ConcretizationError
from functrace.testing import check_grads

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
P, Q = np.array([1.0, -2.0, 0.5]), np.array([3.0, 0.25])

# (description, functrace function, NumPy function, args): compared eagerly and under jit.
VALUE_CASES: list[tuple[str, Callable[..., Any], Callable[..., Any], tuple[Any, ...]]] = [
    ("polyadd", fnp.polyadd, np.polyadd, (P, Q)),
    ("polysub", fnp.polysub, np.polysub, (Q, P)),
    ("polymul", fnp.polymul, np.polymul, (P, Q)),
    ("polyder", fnp.polyder, np.polyder, (P,)),
    ("polyder m=2", lambda p: fnp.polyder(p, 2), lambda p: np.polyder(p, 2), (P,)),
    ("polyder past the degree", lambda p: fnp.polyder(p, 5), lambda p: np.polyder(p, 5), (P,)),
    ("polyint", fnp.polyint, np.polyint, (P,)),
    ("polyint m=2 k", lambda p: fnp.polyint(p, 2, [1.0, 2.0]),
     lambda p: np.polyint(p, 2, [1.0, 2.0]), (P,)),
    ("isin", lambda a: fnp.isin(a, [2.0, 3.0]), lambda a: np.isin(a, [2.0, 3.0]),
     (np.array([[1.0, 2.0], [3.0, 4.0]]),)),
    ("isin invert", lambda a: fnp.isin(a, np.array([2, 7]), invert=True),
     lambda a: np.isin(a, np.array([2, 7]), invert=True), (np.arange(5),)),
    ("digitize", lambda x: fnp.digitize(x, np.array([0.0, 1.0, 2.5])),
     lambda x: np.digitize(x, np.array([0.0, 1.0, 2.5])), (np.array([-1.0, 0.0, 1.2, 3.0]),)),
    ("digitize right decreasing", lambda x: fnp.digitize(x, np.array([2.5, 1.0, 0.0]), True),
     lambda x: np.digitize(x, np.array([2.5, 1.0, 0.0]), True),
     (np.array([-1.0, 0.0, 1.0, 3.0]),)),
    ("iscomplex", fnp.iscomplex, np.iscomplex, (np.array([1.0 + 0j, 2.0 + 1j]),)),
    ("iscomplex real", fnp.iscomplex, np.iscomplex, (A,)),
    ("choose", lambda i, a, b: fnp.choose(i, [a, b]), lambda i, a, b: np.choose(i, [a, b]),
     (np.array([[0, 1, 1, 0]]), A, 2.0 * A)),
    ("choose wrap", lambda i, a: fnp.choose(i, [a, -a, 2 * a], mode="wrap"),
     lambda i, a: np.choose(i, [a, -a, 2 * a], mode="wrap"), (np.array([0, 4, -1, 2]), A)),
    ("choose clip", lambda i, a: fnp.choose(i, [a, -a], mode="clip"),
     lambda i, a: np.choose(i, [a, -a], mode="clip"), (np.array([-3, 0, 1, 5]), A)),
    ("compress", lambda a: fnp.compress([True, False, True], a, axis=0),
     lambda a: np.compress([True, False, True], a, axis=0), (A,)),
    ("compress flat", lambda a: fnp.compress(np.array([0, 1, 1]), a),
     lambda a: np.compress(np.array([0, 1, 1]), a), (A,)),
    ("delete", lambda a: fnp.delete(a, [0, -1], axis=1), lambda a: np.delete(a, [0, -1], 1), (A,)),
    ("delete slice flat", lambda a: fnp.delete(a, slice(1, 8, 3)),
     lambda a: np.delete(a, slice(1, 8, 3)), (A,)),
    ("delete mask", lambda a: fnp.delete(a, np.array([True, False, True]), axis=0),
     lambda a: np.delete(a, np.array([True, False, True]), axis=0), (A,)),
    ("resize", lambda a: fnp.resize(a, (5, 3)), lambda a: np.resize(a, (5, 3)), (A,)),
    ("insert scalar", lambda a: fnp.insert(a, 2, [7.0, 8.0, 9.0], axis=1),
     lambda a: np.insert(a, 2, [7.0, 8.0, 9.0], axis=1), (A,)),
    ("insert block", lambda a: fnp.insert(a, 1, np.ones((2, 4)), axis=0),
     lambda a: np.insert(a, 1, np.ones((2, 4)), axis=0), (A,)),
    ("insert several", lambda a: fnp.insert(a, [0, 4, 1, 1], [5.0, 6.0, 7.0, 8.0], axis=1),
     lambda a: np.insert(a, [0, 4, 1, 1], [5.0, 6.0, 7.0, 8.0], axis=1), (A,)),
    ("insert flat slice", lambda a: fnp.insert(a, slice(0, 12, 5), -1.0),
     lambda a: np.insert(a, slice(0, 12, 5), -1.0), (A,)),
    ("insert int", lambda a: fnp.insert(a, -1, 2.7), lambda a: np.insert(a, -1, 2.7),
     (np.arange(4),)),
    ("resize smaller", lambda a: fnp.resize(a, 7), lambda a: np.resize(a, 7), (A,)),
    ("gcd", fnp.gcd, np.gcd, (np.array([12, -18, 0]), np.array([8, 12, 5]))),
    ("lcm", fnp.lcm, np.lcm, (np.array([4, 6, 0]), np.array([6, -4, 3]))),
    ("bitwise_not", fnp.bitwise_not, np.bitwise_not, (np.array([0, 5, -3]),)),
    ("linalg.vector_norm", lambda a: fnp.linalg.vector_norm(a, axis=(0, 1), ord=3),
     lambda a: np.linalg.vector_norm(a, axis=(0, 1), ord=3), (A,)),
    ("linalg.matrix_norm", lambda a: fnp.linalg.matrix_norm(a, ord=1, keepdims=True),
     lambda a: np.linalg.matrix_norm(a, ord=1, keepdims=True), (A,)),
    ("linalg.trace", lambda a: fnp.linalg.trace(a, offset=1),
     lambda a: np.linalg.trace(a, offset=1), (A,)),
    ("linalg.diagonal", fnp.linalg.diagonal, np.linalg.diagonal, (A,)),
    ("linalg.outer", fnp.linalg.outer, np.linalg.outer, (P, Q)),
    ("linalg.vecdot", fnp.linalg.vecdot, np.linalg.vecdot, (A, A)),
    ("linalg.cross", fnp.linalg.cross, np.linalg.cross, (A[:, :3], A[:, 1:])),
    ("linalg.tensordot", lambda a, b: fnp.linalg.tensordot(a, b, axes=1),
     lambda a, b: np.linalg.tensordot(a, b, axes=1), (A, A.T)),
    ("linalg.matrix_transpose", fnp.linalg.matrix_transpose, np.linalg.matrix_transpose, (A,)),
]


def _check_values(f: Callable[..., Any], ref: Callable[..., Any], args: tuple[Any, ...],
                  jit: bool) -> None:
    expected = ref(*args)
    got = f(*args)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    if jit and not any(np.iscomplexobj(a) for a in args):  # (complex values are not traced)
        np.testing.assert_allclose(ft.jit(f)(*args), expected, rtol=1e-12)


@pytest.mark.parametrize("f,ref,args", [pytest.param(f, r, a, id=d) for d, f, r, a in VALUE_CASES])
def test_values_match_numpy(f: Callable[..., Any], ref: Callable[..., Any],
                            args: tuple[Any, ...]) -> None:
    _check_values(f, ref, args, jit=True)


# (description, function of float arrays, args): derivatives to second order, both modes.
GRAD_CASES: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("polyadd", fnp.polyadd, (P, Q)),
    ("polymul", fnp.polymul, (P, Q)),
    ("polyder", lambda p: fnp.polyder(p, 1), (P,)),
    ("polyint", lambda p: fnp.polyint(p, 1, 0.5), (P,)),
    ("choose", lambda a, b: fnp.choose(np.array([[0, 1, 1, 0]]), [a, b]), (A, 2.0 * A)),
    ("compress", lambda a: fnp.compress([True, False, True], a, axis=0), (A,)),
    ("delete", lambda a: fnp.delete(a, [0, 2], axis=1), (A,)),
    ("resize", lambda a: fnp.resize(a, (5, 3)), (A,)),
    ("insert", lambda a, v: fnp.insert(a, [0, 2, 2], v, axis=1), (A, np.array([1.0, 2.0, 3.0]))),
    ("put", lambda a, v: fnp.put(a, [0, 5, 5], v, inplace=False), (A, np.array([1.0, 2.0]))),
    ("fill_diagonal", lambda a, v: fnp.fill_diagonal(a, v, inplace=False), (A, P)),
    ("piecewise", lambda x: fnp.piecewise(x, [x < 0, x > 1], [lambda t: t ** 2, fnp.sin, 0.5]),
     (np.array([-1.5, 0.3, 1.7, 2.2]),)),
    ("apply_along_axis", lambda a: fnp.apply_along_axis(lambda v: v * fnp.sum(v ** 2), 1, a),
     (A,)),
    ("vectorize", lambda a, b: fnp.vectorize(lambda s, t: s * fnp.sin(t))(a, b), (A, P[:1])),
    ("unique", lambda a: fnp.unique(a) * np.arange(3.0), (np.array([2.0, 1.0, 3.0]),)),
    ("linalg.vector_norm", lambda a: fnp.linalg.vector_norm(a, axis=0), (A,)),
]


@pytest.mark.parametrize("f,args", [pytest.param(f, a, id=d) for d, f, a in GRAD_CASES])
def test_derivatives(f: Callable[..., Any], args: tuple[Any, ...]) -> None:
    check_grads(f, args, order=2)


def test_put_and_fill_diagonal_match_numpy() -> None:
    a = A.copy()
    np.put(a, [0, 5, 5, -1], [1.0, 2.0])
    np.testing.assert_array_equal(fnp.put(A, [0, 5, 5, -1], [1.0, 2.0], inplace=False), a)
    for mode in ("wrap", "clip"):
        a = A.copy()
        np.put(a, [-20, 3, 40], 9.0, mode=mode)
        np.testing.assert_array_equal(fnp.put(A, [-20, 3, 40], 9.0, mode=mode, inplace=False), a)
    for shape, wrap in (((3, 4), False), ((7, 3), True), ((7, 3), False), ((3, 3, 3), False)):
        a = np.zeros(shape)
        np.fill_diagonal(a, [1.0, 2.0], wrap=wrap)
        np.testing.assert_array_equal(
            fnp.fill_diagonal(np.zeros(shape), [1.0, 2.0], wrap=wrap, inplace=False), a)
    with pytest.raises(ValueError, match="inplace=False"):
        fnp.put(A, [0], 1.0)
    with pytest.raises(ValueError, match="inplace=False"):
        fnp.fill_diagonal(A, 1.0)


def test_apply_along_axis_and_over_axes_match_numpy() -> None:
    # func1d returning an array of the slice's shape, a scalar, and a matrix.
    x = RNG.standard_normal((2, 3, 4))
    funcs = [(lambda v: v ** 2, lambda v: v ** 2), (fnp.sum, np.sum),
             (lambda v: fnp.outer(v, v), lambda v: np.outer(v, v))]
    for axis in (0, 1, 2, -1):
        for fn, np_fn in funcs:
            np.testing.assert_allclose(fnp.apply_along_axis(fn, axis, x),
                                       np.apply_along_axis(np_fn, axis, x), rtol=1e-12)
    np.testing.assert_allclose(fnp.apply_over_axes(fnp.sum, x, [0, 2]),
                               np.apply_over_axes(np.sum, x, [0, 2]))


def test_vectorize_and_piecewise_match_numpy() -> None:
    def f(a: Any, b: Any, scale: float = 1.0) -> Any:
        return (a * b + 1.0) * scale

    x, y = RNG.standard_normal((3, 1)), RNG.standard_normal(4)
    np.testing.assert_allclose(fnp.vectorize(f)(x, y, scale=2.0),
                               np.vectorize(f)(x, y, scale=2.0))
    np.testing.assert_allclose(fnp.vectorize(f, excluded={1})(x, 3.0), f(x, 3.0))
    # signature=: core dimensions, the rest a broadcast loop (checked against NumPy's)
    a, b = RNG.standard_normal((4, 2, 3)), RNG.standard_normal((5, 1, 3))
    matvec = fnp.vectorize(lambda m, v: m @ v, signature="(m,n),(n)->(m)")
    expected = np.vectorize(lambda m, v: m @ v, signature="(m,n),(n)->(m)")(a[0], b)
    np.testing.assert_allclose(ft.jit(matvec)(a[0], b), expected)
    total, top = fnp.vectorize(lambda v: (fnp.sum(v), fnp.max(v)), signature="(n)->(),()")(a)
    np.testing.assert_allclose(total, a.sum(-1))
    np.testing.assert_allclose(top, a.max(-1))
    check_grads(fnp.vectorize(lambda m: m @ m.T, signature="(m,n)->(m,m)"), (a,), order=2)
    with pytest.raises(ValueError, match="inconsistent size for core dimension 'n'"):
        matvec(a, np.ones(4))
    with pytest.raises(ValueError, match="not a valid gufunc signature"):
        fnp.vectorize(f, signature="(n)")
    z = np.linspace(-2.0, 2.0, 9)
    conds = [z < -1, (z >= 0) & (z < 1), z > 0.5]
    funcs: list[Any] = [lambda t: -t, np.cos, 7.0, lambda t: t * 10]
    expected = np.piecewise(z, conds, funcs)
    np.testing.assert_allclose(fnp.piecewise(z, conds, [funcs[0], fnp.cos, 7.0, funcs[3]]),
                               expected)
    np.testing.assert_allclose(fnp.piecewise(z, z > 0, [fnp.sin]),
                               np.piecewise(z, z > 0, [np.sin]))


def test_value_dependent_results() -> None:
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for got, expected in zip(fnp.nonzero(x), np.nonzero(x), strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(fnp.argwhere(x), np.argwhere(x))
    np.testing.assert_array_equal(fnp.flatnonzero(x), np.flatnonzero(x))
    np.testing.assert_array_equal(fnp.flatnonzero(x, size=5, fill_value=-1), [1, 3, 5, -1, -1])
    np.testing.assert_array_equal(fnp.argwhere(x, size=2), np.argwhere(x)[:2])
    u = np.array([3.0, 1.0, 3.0, 2.0, 1.0])
    for got, expected in zip(fnp.unique(u, True, True, True), np.unique(u, True, True, True),
                             strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(fnp.unique(u, size=5, fill_value=0.0), [1.0, 2.0, 3.0, 0.0, 0.0])
    np.testing.assert_array_equal(fnp.unique(x, axis=1), np.unique(x, axis=1))
    # Under grad the values are known: the indices come out, derivatives pass through unique.
    g = ft.grad(lambda v: fnp.sum(fnp.unique(v) * np.array([1.0, 10.0, 100.0])))(u)
    np.testing.assert_array_equal(g, [100.0, 1.0, 0.0, 10.0, 0.0])
    g = ft.grad(lambda v: fnp.sum(v[fnp.nonzero(v > 1.5)]))(u)
    np.testing.assert_array_equal(g, [1.0, 0.0, 1.0, 1.0, 0.0])
    with pytest.raises(ConcretizationError):
        ft.jit(fnp.nonzero)(x)
    # Under jit and vmap, JAX's size= makes the shape static: the first `size` nonzeros, then
    # fill_value (one for all, or one per axis).
    for size, fill in ((2, None), (5, -1), (0, None), (5, (7, 8))):
        got = ft.jit(lambda a, size=size, fill=fill: fnp.nonzero(a, size=size, fill_value=fill))(x)
        for g, e in zip(got, fnp.nonzero(x, size=size, fill_value=fill), strict=True):
            np.testing.assert_array_equal(g, e)
    np.testing.assert_array_equal(ft.jit(lambda a: fnp.argwhere(a, size=4, fill_value=-1))(x),
                                  fnp.argwhere(x, size=4, fill_value=-1))
    np.testing.assert_array_equal(ft.vmap(lambda r: fnp.flatnonzero(r, size=2))(x),
                                  [[1, 0], [0, 2]])
    # where(condition) is nonzero(condition), as NumPy's and JAX's
    for got, expected in zip(fnp.where(x > 0), np.where(x > 0), strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(
        ft.jit(lambda a: fnp.where(a != 0, size=4, fill_value=-1)[1])(x), [1, 0, 2, -1])
    with pytest.raises(ValueError, match="both or neither"):
        fnp.where(x > 0, x)
    with pytest.raises(ConcretizationError):
        ft.jit(fnp.unique)(u)
    # With size= (JAX's), unique works under jit and vmap too: a stable sort and a scatter.
    for size, fill in ((2, None), (5, None), (5, -7.0)):
        traced = ft.jit(lambda v, size=size, fill=fill: fnp.unique(
            v, True, True, True, size=size, fill_value=fill))(u)
        eager = fnp.unique(u, True, True, True, size=size, fill_value=fill)
        for got, expected in zip(traced, eager, strict=True):
            np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(fnp.unique(u, return_index=True, size=4)[1], [1, 3, 0, 1])
    np.testing.assert_array_equal(ft.vmap(lambda r: fnp.unique(r, size=2))(x), [[0.0, 1.5],
                                                                               [-1.0, 0.0]])
    with_nans = np.array([np.nan, 1.0, np.nan])
    np.testing.assert_array_equal(ft.jit(lambda v: fnp.unique(v, size=2))(with_nans),
                                  np.unique(with_nans))


def test_errors() -> None:
    with pytest.raises(TypeError, match="integer operands"):
        fnp.gcd(np.array([1.5]), np.array([2.0]))
    with pytest.raises(ValueError, match="invalid entry"):
        fnp.choose(np.array([0, 2]), [A[0, :2], A[1, :2]])
    with pytest.raises(IndexError, match="out of bounds"):
        fnp.delete(A, [5], axis=0)
    with pytest.raises(ValueError, match="monotonically"):
        fnp.digitize(np.array([1.0]), np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ConcretizationError):
        ft.jit(lambda a, c: fnp.compress(c, a, axis=0))(A, np.array([True, False, True]))


# -- the second batch: partitions, counts, positions, set operations, windows -------------------

MORE_VALUE_CASES: list[tuple[str, Callable[..., Any], Callable[..., Any], tuple[Any, ...]]] = [
    ("bincount", lambda x: fnp.bincount(x, minlength=7), lambda x: np.bincount(x, minlength=7),
     (np.array([0, 3, 3, 1]),)),
    ("bincount weights", lambda x, w: fnp.bincount(x, w), np.bincount,
     (np.array([0, 3, 3, 1]), np.array([0.5, 1.0, 2.0, -1.0]))),
    ("extract", lambda a: fnp.extract(a > 0, a), lambda a: np.extract(a > 0, a), (A,)),
    ("trim_zeros", fnp.trim_zeros, np.trim_zeros, (np.array([0.0, 0.0, 1.0, 0.0, 2.0, 0.0]),)),
    ("trim_zeros f", lambda a: fnp.trim_zeros(a, "f"), lambda a: np.trim_zeros(a, "f"),
     (np.array([0.0, 1.0, 0.0]),)),
    ("unwrap", fnp.unwrap, np.unwrap, (np.array([0.0, 3.0, 6.5, 1.0, -2.0, 9.0]),)),
    ("unwrap axis 0 discont", lambda p: fnp.unwrap(p, discont=4.0, axis=0),
     lambda p: np.unwrap(p, discont=4.0, axis=0), (5.0 * A,)),
    ("union1d", fnp.union1d, np.union1d, (np.array([3.0, 1.0, 3.0]), np.array([2.0, 1.0]))),
    ("intersect1d", fnp.intersect1d, np.intersect1d,
     (np.array([3.0, 1.0, 3.0, 5.0]), np.array([5.0, 3.0, 0.0]))),
    ("setdiff1d", fnp.setdiff1d, np.setdiff1d, (np.array([3.0, 1.0, 3.0, 5.0]), np.array([5.0]))),
    ("setxor1d", fnp.setxor1d, np.setxor1d,
     (np.array([3.0, 1.0, 3.0, 5.0]), np.array([5.0, 2.0]))),
    ("ravel_multi_index", lambda i, j: fnp.ravel_multi_index((i, j), (3, 4)),
     lambda i, j: np.ravel_multi_index((i, j), (3, 4)), (np.array([0, 2, 1]), np.array([3, 0, 1]))),
    ("ravel_multi_index wrap", lambda i, j: fnp.ravel_multi_index((i, j), (3, 4), mode="wrap"),
     lambda i, j: np.ravel_multi_index((i, j), (3, 4), mode="wrap"),
     (np.array([-1, 5]), np.array([7, 0]))),
]


@pytest.mark.parametrize("f,ref,args",
                         [pytest.param(f, r, a, id=d) for d, f, r, a in MORE_VALUE_CASES])
def test_more_values_match_numpy(f: Callable[..., Any], ref: Callable[..., Any],
                                 args: tuple[Any, ...]) -> None:
    _check_values(f, ref, args, jit=False)  # (several need concrete values or length=)


def test_unravel_index_partition_and_windows() -> None:
    flat = np.array([0, 5, 11, 7])
    for got, expected in zip(fnp.unravel_index(flat, (3, 4)), np.unravel_index(flat, (3, 4)),
                             strict=True):
        np.testing.assert_array_equal(got, expected)
    got = ft.jit(lambda i: fnp.unravel_index(i, (3, 4)))(flat)
    np.testing.assert_array_equal(got[1], flat % 4)
    x = RNG.standard_normal((3, 7))
    part = fnp.partition(x, 3, axis=1)
    np.testing.assert_array_equal(np.sort(part[:, :3], 1), np.sort(np.partition(x, 3, 1)[:, :3], 1))
    np.testing.assert_array_equal(part[:, 3], np.partition(x, 3, 1)[:, 3])
    idx = fnp.argpartition(x, (1, 4), axis=1)
    np.testing.assert_array_equal(np.take_along_axis(x, idx, 1)[:, [1, 4]],
                                  np.partition(x, (1, 4), 1)[:, [1, 4]])
    with pytest.raises(ValueError, match="out of bounds"):
        fnp.partition(x, 7)
    for name in ("bartlett", "blackman", "hamming", "hanning"):
        np.testing.assert_array_equal(getattr(fnp, name)(6), getattr(np, name)(6))
    np.testing.assert_array_equal(fnp.kaiser(5, 2.0), np.kaiser(5, 2.0))


def test_put_along_axis_matches_numpy() -> None:
    x = RNG.standard_normal((3, 4))
    idx = np.array([[1], [0], [3]])
    expected = x.copy()
    np.put_along_axis(expected, idx, -1.0, axis=1)
    np.testing.assert_array_equal(fnp.put_along_axis(x, idx, -1.0, 1, inplace=False), expected)
    expected = x.copy()
    np.put_along_axis(expected, np.array([[2, 0, 1, 1]]), np.arange(4.0), axis=0)
    np.testing.assert_array_equal(
        ft.jit(lambda a: fnp.put_along_axis(a, np.array([[2, 0, 1, 1]]), np.arange(4.0), 0,
                                            inplace=False))(x), expected)
    check_grads(lambda a, v: fnp.put_along_axis(a, idx, v, 1, inplace=False),
                (x, np.array([[1.0], [2.0], [3.0]])), order=2)
    with pytest.raises(ValueError, match="inplace=False"):
        fnp.put_along_axis(x, idx, 1.0, 1)


def test_more_derivatives() -> None:
    check_grads(lambda w: fnp.bincount(np.array([0, 2, 2]), w), (np.array([0.5, 1.5, -1.0]),),
                order=2)
    check_grads(fnp.unwrap, (np.array([0.0, 3.0, 6.5, 1.0]),), order=2)
    check_grads(lambda a: fnp.union1d(a, np.array([10.0])), (np.array([2.0, 1.0, 3.0]),),
                order=1)
    g = ft.grad(lambda a: fnp.sum(fnp.setdiff1d(a, np.array([1.0])) * np.array([1.0, 10.0])))(
        np.array([3.0, 1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(g, [10.0, 0.0, 1.0, 0.0])
    # bincount under jit needs length=, as JAX's
    got = ft.jit(lambda x: fnp.bincount(x, length=5))(np.array([0, 3, 3, 1]))
    np.testing.assert_array_equal(got, [1, 1, 0, 2, 0])
    with pytest.raises(ConcretizationError):
        ft.jit(fnp.bincount)(np.array([0, 3]))


def test_edge_cases_found_by_fuzzing_against_jax() -> None:
    # logsumexp over an empty axis is log(0) = -inf, as JAX's and scipy's
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(fnp.logsumexp(np.zeros((2, 0)), axis=1), [-np.inf] * 2)
        assert fnp.logsumexp(np.zeros(0)) == -np.inf
        assert ft.jit(lambda a: fnp.logsumexp(a, axis=0))(np.zeros((0, 3))).shape == (3,)
    # booleans to an integer power are NumPy's integers, not booleans
    b = np.array([True, False])
    assert fnp.power(b, 2).dtype == np.power(b, 2).dtype
    assert fnp.power(b, np.int8(2)).dtype == np.int8
    np.testing.assert_array_equal(ft.jit(lambda a: a ** 3)(b), [1, 0])


def test_boolean_subtract_and_negative_raise_as_numpy() -> None:
    b = np.array([True, False])
    for f in (lambda a: a - False, lambda a: a - a, lambda a: -a, fnp.negative):
        with pytest.raises(TypeError, match="numpy boolean"):
            ft.jit(f)(b)
    np.testing.assert_array_equal(ft.jit(lambda a: a - 1)(b), b - 1)  # promoted: allowed


def test_fixes_from_fuzzing_the_composites_against_numpy_and_jax() -> None:
    np.testing.assert_array_equal(fnp.unwrap(np.array([[1.0], [5.0]])), [[1.0], [5.0]])
    np.testing.assert_array_equal(fnp.unwrap(np.array([3.0])), [3.0])
    with np.errstate(invalid="ignore"):  # a non-finite first entry stays as it is
        np.testing.assert_array_equal(fnp.unwrap(np.array([np.inf, 1.0, 2.0])),
                                      np.unwrap(np.array([np.inf, 1.0, 2.0])))
    ints = np.array([0, 7, 1, 9, -4])  # integers with an integer period stay integers
    got = fnp.unwrap(ints, period=6)
    np.testing.assert_array_equal(got, np.unwrap(ints, period=6))
    assert got.dtype == np.unwrap(ints, period=6).dtype
    x32 = np.array([0.0, 5.0, -1.0], np.float32)
    assert fnp.unwrap(x32).dtype == np.unwrap(x32).dtype
    # unique's padding is the first unique value, gathered: its derivative flows as under jit
    w = np.array([1.0, 10.0, 100.0])

    def f(v: Any) -> Any:
        return fnp.sum(fnp.unique(v, size=3) * w)

    x = np.array([0.0, 2.0])
    np.testing.assert_array_equal(ft.grad(f)(x), [101.0, 10.0])
    np.testing.assert_array_equal(ft.jit(ft.grad(f))(x), [101.0, 10.0])
    np.testing.assert_array_equal(fnp.unique(np.array([[1, 0], [0, 2]]), axis=0, size=3),
                                  [[0, 2], [1, 0], [0, 2]])
    np.testing.assert_array_equal(fnp.setxor1d(np.array([np.nan, 1.0]), np.array([2.0])),
                                  np.setxor1d(np.array([np.nan, 1.0]), np.array([2.0])))
    assert fnp.intersect1d(np.array([1, 2]), np.array([2.0, 3.5])).dtype == np.float64
    # bincount with JAX's length=: past the last bin dropped, negatives in bin 0
    np.testing.assert_array_equal(fnp.bincount(np.array([0, 5, -1, 1]), length=3), [2, 1, 0])
    np.testing.assert_array_equal(
        ft.jit(lambda a: fnp.bincount(a, length=3))(np.array([0, 5, -1, 1])), [2, 1, 0])
    np.testing.assert_array_equal(
        ft.grad(lambda v: fnp.sum(fnp.bincount(np.array([True, False]), v)))(np.ones(2)),
        [1.0, 1.0])
    # unknown indices: unravel_index wraps negatives and clips, as JAX's; ravel_multi_index
    # with mode='raise' needs known coordinates
    got = ft.jit(lambda i: fnp.unravel_index(i, (2, 3)))(np.array([-1, 7, -8]))
    np.testing.assert_array_equal(got[0], [1, 1, 0])
    np.testing.assert_array_equal(got[1], [2, 2, 0])
    assert fnp.unravel_index(np.array([1], np.int32), (2, 3))[0].dtype == np.intp
    with pytest.raises(ConcretizationError):
        ft.jit(lambda i: fnp.ravel_multi_index((i, i), (2, 3)))(np.array([0, 5]))
    assert ft.jit(lambda v: fnp.argwhere(v, size=2))(np.array(1.0)).shape == (2, 0)
    # empty positions or values: nothing to do, as NumPy
    np.testing.assert_array_equal(fnp.delete(np.arange(3.0), []), np.arange(3.0))
    np.testing.assert_array_equal(fnp.put(np.arange(3.0), [0], np.array([]), inplace=False),
                                  np.arange(3.0))
    np.testing.assert_array_equal(
        fnp.fill_diagonal(np.zeros((2, 2)), np.array([]), inplace=False), np.zeros((2, 2)))


# -- roots, polyfit, histogram -------------------------------------------------------------------


def test_roots() -> None:
    p = np.array([0.0, 1.0, -3.0, 2.0, 0.0])  # x (x - 1)(x - 2), with a leading zero
    np.testing.assert_array_equal(fnp.roots(p), np.roots(p))  # concrete: NumPy's answer
    # Traced (known values, as under grad/jvp): complex always, zeros stripped as NumPy's.
    traced = ft.jvp(fnp.roots, (p,), (np.ones(5),))[0]
    assert traced.dtype == np.complex128
    np.testing.assert_allclose(np.sort_complex(traced), np.sort_complex(np.roots(p)),
                               atol=1e-12)
    np.testing.assert_allclose(
        np.sort_complex(ft.jit(lambda p: fnp.roots(p, strip_zeros=False))(np.array([1.0, 0,
                                                                                     1.0]))),
        [-1j, 1j], atol=1e-12)
    with pytest.raises(ConcretizationError, match="strip_zeros"):
        ft.jit(fnp.roots)(p)
    # The roots' sum is -b/a and the sum of their squares (b/a)^2 - 2c/a: closed forms.
    q = np.array([2.0, -3.0, 0.5])
    np.testing.assert_allclose(ft.grad(lambda q: fnp.real(fnp.sum(fnp.roots(q))))(q),
                               [q[1] / q[0] ** 2, -1 / q[0], 0.0], rtol=1e-12)
    a, b, c = q
    np.testing.assert_allclose(
        ft.grad(lambda q: fnp.real(fnp.sum(fnp.roots(q) ** 2)))(q),
        [-2 * b ** 2 / a ** 3 + 2 * c / a ** 2, 2 * b / a ** 2, -2 / a], rtol=1e-10)
    # A trailing zero coefficient is a zero root that moves with it (JAX's derivative):
    # for x^3 - 3x^2 + 2x + e, d(sum of roots^2 + roots^3)/de is -3 (central differences).
    p3 = np.array([1.0, -3.0, 2.0, 0.0])
    g = ft.grad(lambda q: fnp.sum(fnp.real(fnp.roots(q)) ** 2 + fnp.real(fnp.roots(q)) ** 3))
    np.testing.assert_allclose(g(p3), [-59.0, -27.0, -11.0, -3.0], rtol=1e-9)


@pytest.mark.parametrize("kwargs", [{}, {"w": np.linspace(1.0, 2.0, 9)}, {"cov": True},
                                    {"cov": "unscaled"}, {"rcond": 1e-3}],
                         ids=["plain", "weights", "cov", "cov unscaled", "rcond"])
def test_polyfit_is_numpys(kwargs: dict[str, Any]) -> None:
    x = np.linspace(-1.0, 2.0, 9)
    for y in (np.sin(2 * x), np.stack([np.sin(2 * x), x ** 3], axis=1)):
        want = np.polyfit(x, y, 3, **kwargs)
        for f in (lambda x, y: fnp.polyfit(x, y, 3, **kwargs),
                  ft.jit(lambda x, y: fnp.polyfit(x, y, 3, **kwargs))):
            got = f(x, y)
            for g, w in zip(got if isinstance(got, tuple) else (got,),
                            want if isinstance(want, tuple) else (want,), strict=True):
                np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12)
    for xx in (x, x.astype(np.float32)):  # (float32 x: rcond from float32's eps, as NumPy)
        full = fnp.polyfit(xx, np.sin(2 * xx), 2, full=True)
        for g, w in zip(full, np.polyfit(xx, np.sin(2 * xx), 2, full=True), strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-6)
            assert np.asarray(g).dtype == np.asarray(w).dtype
    check_grads(lambda y: fnp.polyfit(x, y, 2, **kwargs), (np.sin(2 * x),), order=2)
    check_grads(lambda x: fnp.polyfit(x, np.sin(2 * x), 2), (x,), order=1)


HISTOGRAM_CASES = [{}, {"bins": 5}, {"bins": 5, "range": (-1.0, 1.0)},
                   {"bins": np.array([-2.0, -0.5, 0.0, 0.3, 2.5])}, {"bins": 4, "density": True},
                   {"bins": [-1, 0, 1, 2]}, {"bins": [-1, 0, 1, 2], "range": (5.0, 6.0)},
                   {"bins": 3, "weights": True}, {"bins": 3, "weights": True, "density": True}]


@pytest.mark.parametrize("kwargs", HISTOGRAM_CASES, ids=[str(k) for k in HISTOGRAM_CASES])
@pytest.mark.parametrize("data", ["normal", "integers", "float32", "constant"])
def test_histogram_is_numpys(kwargs: dict[str, Any], data: str) -> None:
    rng = np.random.default_rng(0)
    a = {"normal": rng.standard_normal(40), "integers": rng.integers(-3, 4, 40),
         "float32": rng.standard_normal(40).astype(np.float32),
         "constant": np.full(40, 1.5)}[data]
    kwargs = dict(kwargs)
    if kwargs.pop("weights", False):
        kwargs["weights"] = rng.uniform(size=40)
    want = np.histogram(a, **kwargs)
    for f in (fnp.histogram, ft.jit(lambda a: fnp.histogram(a, **kwargs))):
        got = f(a, **kwargs) if f is fnp.histogram else f(a)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=1e-6)
    np.testing.assert_allclose(fnp.histogram_bin_edges(a, kwargs.get("bins", 10),
                                                       kwargs.get("range")),
                               np.histogram_bin_edges(a, kwargs.get("bins", 10),
                                                      kwargs.get("range")), rtol=1e-6)


def test_histogram_derivatives_reach_the_weights() -> None:
    a = np.random.default_rng(1).standard_normal(30)
    w = np.linspace(0.5, 1.5, 30)
    counts = lambda w: fnp.histogram(a, bins=4, weights=w)[0]  # noqa: E731
    check_grads(counts, (w,), order=2)
    # d counts[k] / d w[i] = 1 where a[i] is in bin k.
    edges = np.histogram_bin_edges(a, 4)
    bins = np.clip(np.searchsorted(edges, a, side="right") - 1, 0, 3)
    np.testing.assert_array_equal(ft.jacrev(counts)(w), (bins == np.arange(4)[:, None]) * 1.0)
    with pytest.raises(NotImplementedError, match="estimator"):
        fnp.histogram(a, bins="auto")


def test_logsumexp_with_weights_and_sign() -> None:
    # jax.nn.logsumexp's (and scipy's) b= and return_sign=: log|sum(b exp(a))| and its sign;
    # a negative sum without return_sign is NaN.
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for axis in (None, 0, 1):
        s = np.sum(b * np.exp(a), axis=axis)
        out, sign = fnp.logsumexp(a, axis=axis, b=b, return_sign=True)
        np.testing.assert_allclose(out, np.log(np.abs(s)), rtol=1e-12)
        np.testing.assert_array_equal(sign, np.sign(s))
        jitted = ft.jit(lambda a, b: fnp.logsumexp(a, axis=axis, b=b, keepdims=True))(a, b)
        np.testing.assert_allclose(jitted, np.where(s < 0, np.nan, np.log(np.abs(s)))
                                   .reshape(np.shape(jitted)), rtol=1e-12)
    z = a + 1j * b  # complex: the sign is the phase of the sum, log|s| is real
    s = np.sum(np.exp(z), axis=1)
    out, sign = ft.jit(lambda z: fnp.logsumexp(z, axis=1, return_sign=True))(z)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, np.log(np.abs(s)), rtol=1e-12)
    np.testing.assert_allclose(sign, s / np.abs(s), rtol=1e-12)
    np.testing.assert_allclose(fnp.logsumexp(z, axis=1), np.log(s), rtol=1e-12)
    big = np.array([1000.0, 1000.0])  # the shift keeps it finite
    np.testing.assert_allclose(fnp.logsumexp(big, b=np.array([0.5, 0.25])),
                               1000.0 + np.log(0.75), rtol=1e-12)
    check_grads(lambda a, b: fnp.logsumexp(a, axis=1, b=b), (a, np.abs(b) + 0.1), order=2)
