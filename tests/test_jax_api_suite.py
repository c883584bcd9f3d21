"""JAX's transformation API tests (tests/api_test.py: APITest, JaxprTest, the remat tests,
CustomJVPTest, CustomVJPTest), ported to functrace's API.

Each test keeps the inputs and the expected behaviour of the JAX test it is named after and
compares against closed forms or NumPy. Where a JAX test expects an error, the error is the one
SPEC §3 names. Left out: device placement, XLA computations and compile counting, buffer
donation, pmap, lazy device constants, the C++ dispatch path and tests of JAX's exact jaxpr text
(functrace prints SPEC §4's IR).
"""

from __future__ import annotations

import collections
import concurrent.futures
import copy
import functools
import math
import operator
import types
import weakref
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.lax as lax
import functrace.numpy as fnp
from functrace.errors import ConcretizationError, TracerLeakError
from functrace.interpreters.eval import eval_jaxpr
from functrace.testing import check_grads
from functrace.tree_util import tree_leaves, tree_map, tree_structure


def assert_tree_close(actual: Any, expected: Any, rtol: float = 1e-7, atol: float = 0.0) -> None:
    """Same tree structure (containers only) and close leaves."""
    assert tree_structure(actual) == tree_structure(expected), (actual, expected)
    for a, e in zip(tree_leaves(actual), tree_leaves(expected), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=atol)


# --------------------------------------------------------------------------------------------
# APITest: argnums, static arguments, caching


def _linear3(x: Any, y: Any, z: Any, flag: bool = False) -> Any:
    assert flag
    return 1.0 * x + 2.0 * y + 3.0 * z


def test_grad_argnums() -> None:
    assert ft.grad(_linear3)(1.0, 1.0, 1.0, flag=True) == 1.0
    assert ft.grad(_linear3, argnums=1)(1.0, 1.0, 1.0, flag=True) == 2.0
    assert ft.grad(_linear3, argnums=(2, 0))(1.0, 1.0, 1.0, flag=True) == (3.0, 1.0)


def test_value_and_grad_argnums() -> None:
    y = _linear3(1.0, 1.0, 1.0, flag=True)
    assert ft.value_and_grad(_linear3)(1.0, 1.0, 1.0, flag=True) == (y, 1.0)
    assert ft.value_and_grad(_linear3, argnums=1)(1.0, 1.0, 1.0, flag=True) == (y, 2.0)
    assert ft.value_and_grad(_linear3, argnums=(2, 0))(1.0, 1.0, 1.0, flag=True) == (
        y, (3.0, 1.0))


def test_jit_static_args() -> None:
    side: list[None] = []

    def f(x: Any, y: Any, z: Any, flag: bool = False, flag2: bool = False) -> Any:
        assert flag
        side.append(None)
        return 100 * x + 10 * y + z

    f1 = ft.jit(f, static_argnums=(3, 4))
    assert f1(1, 2, 3, True, False) == 123
    assert len(side) == 1
    assert f1(2, 1, 3, True, False) == 213
    assert len(side) == 1
    assert f1(2, 1, 3, True, True) == 213
    assert len(side) == 2

    side[:] = []
    f2 = ft.jit(f, static_argnums=(0, 2, 3, 4))
    for args, expected, traces in [((1, 2, 3, True, False), 123, 1),
                                   ((1, 3, 3, True, False), 133, 1),
                                   ((2, 2, 3, True, False), 223, 2),
                                   ((2, 4, 3, True, False), 243, 2),
                                   ((2, 4, 3, True, True), 243, 3),
                                   ((2, 5, 3, True, True), 253, 3)]:
        assert f2(*args) == expected
        assert len(side) == traces


def test_jit_kwargs() -> None:
    side: list[None] = []

    @ft.jit
    def f(x: Any, y: Any, z: Any) -> Any:
        side.append(None)
        return 100 * x + 10 * y + z

    assert f(1, 2, 3) == 123
    assert f(1, 2, 3) == 123
    assert len(side) == 1
    assert f(1, 2, z=3) == 123
    assert f(1, 2, z=3) == 123
    assert len(side) <= 2  # JAX traces again for the keyword; never a third time
    np.testing.assert_array_equal(f(1, 2, z=np.zeros(3)), np.full(3, 120.0))


def test_jit_with_many_args() -> None:
    f = ft.jit(lambda args: sum(args))
    assert f(list(range(500))) == sum(range(500))


def test_grad_of_jit_traces_once() -> None:
    side: list[None] = []

    @ft.jit
    def f(x: Any) -> Any:
        side.append(None)
        return x * x

    assert ft.grad(f)(1.0) == 2.0
    assert ft.grad(f)(2.0) == 4.0
    assert len(side) == 1


def test_jit_of_grad_traces_once() -> None:
    side: list[None] = []

    @ft.jit
    def f(x: Any) -> Any:
        side.append(None)
        return x * x

    g = ft.jit(ft.grad(f))
    assert g(1.0) == 2.0
    assert g(2.0) == 4.0
    assert len(side) == 1


def test_jit_global_cache() -> None:
    # Two jit wrappers of one function share its traces, as in JAX.
    executing = [True]

    def f(x: Any) -> Any:
        assert executing[0]
        return x

    ft.jit(f)(2)
    executing[0] = False
    assert ft.jit(f)(3) == 3


def test_jit_shallow_and_deep_copy() -> None:
    assert ft.jit(lambda x: copy.copy(x))(1) == 1
    assert ft.jit(lambda x: copy.deepcopy(x))(1) == 1


def test_jit_reference_dropping() -> None:
    x = np.ones(10)
    f = (lambda x: lambda: x)(x)  # x lives in f's closure
    g = ft.jit(f)
    ref = weakref.ref(x)
    del x
    f()
    g()
    g()
    del f
    assert ref() is not None
    g()
    del g
    assert ref() is None


def test_jit_of_noncallable() -> None:
    with pytest.raises(TypeError, match="callable"):
        ft.jit(3)  # type: ignore[call-overload]


def test_disable_jit() -> None:
    effects: list[int] = []

    @ft.jit
    def f(x: Any) -> Any:
        effects.append(1)
        return x

    with ft.disable_jit():
        f(2)
        f(2)
    assert len(effects) == 2
    f(2)
    f(2)
    assert len(effects) == 3


def test_jvp_jit_cached() -> None:
    # Two calls of a jitted closure over a jvp tracer: the second must not reuse a trace that
    # closed over another tracer.
    def func(x: Any) -> Any:
        def inner(y: Any) -> Any:
            return y * x

        return ft.jit(inner)(4.0) + ft.jit(inner)(5.0)

    assert_tree_close(ft.jvp(func, (5.0,), (1.0,)), (45.0, 9.0))


def test_arange_jit() -> None:
    # fnp.arange returns a NumPy array, and NumPy's own indexing cannot take a traced index
    # (docs/numpy.md, "Creation and constants"): the traced index goes through fnp.take.
    def fun(x: Any) -> Any:
        return fnp.take(fnp.arange(x.shape[0]), x)

    np.testing.assert_array_equal(ft.jit(fun)(np.array([0, 1, 2], np.int32)), [0, 1, 2])


def test_make_jaxpr_static_argnums() -> None:
    jaxpr = ft.make_jaxpr(lambda x, y: x + y, static_argnums=(1,))(2, 3)
    assert "3" in str(jaxpr)


# --------------------------------------------------------------------------------------------
# APITest: errors (SPEC §3)


def test_bad_input() -> None:
    for transform in (ft.grad, ft.jit):
        with pytest.raises(TypeError, match="str"):
            transform(lambda x: x)("foo")


@pytest.mark.parametrize("f, x", [(lambda x: (x, x), 1.0),
                                  (lambda x: (), np.zeros(3)),
                                  (lambda x: x, np.zeros(3))],
                         ids=["tuple", "unit", "nonscalar"])
def test_grad_of_non_scalar_output(f: Any, x: Any) -> None:
    with pytest.raises(TypeError):
        ft.grad(f)(x)


def test_unwrapped_numpy() -> None:
    # JAX refuses np.exp on a tracer; functrace traces it (SPEC §2, "Plain NumPy works too").
    np.testing.assert_allclose(ft.grad(lambda x: np.sum(np.exp(x)))(np.zeros(3)), np.ones(3))


def test_binop_mismatch() -> None:
    # JAX raises TypeError; SPEC §3 names ValueError for shapes that do not broadcast.
    add = lambda x, y: x + y  # noqa: E731
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        ft.grad(lambda x, y: fnp.sum(add(x, y)))(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError):
        ft.jit(add)(np.zeros(3), np.zeros(4))


def test_dot_mismatch() -> None:
    with pytest.raises(ValueError, match="dot"):
        ft.grad(lambda x, y: fnp.dot(x, y))(np.zeros(3), np.zeros(4))


@pytest.mark.parametrize("cast", [float, complex, int, hex, oct])
def test_casts_under_jit(cast: Any) -> None:
    with pytest.raises(ConcretizationError):
        ft.jit(lambda x: cast(x))(0 if cast in (hex, oct) else 1.0)


def test_switch_value_jit() -> None:
    def f(x: Any) -> Any:
        if x > 0:
            return x
        return -x

    assert ft.grad(f)(1.0) == 1.0
    assert ft.grad(f)(-1.0) == -1.0
    with pytest.raises(ConcretizationError, match="static_argnums|cond"):
        ft.jit(f)(1)


def test_range_err() -> None:
    def f(x: Any, n: Any) -> Any:
        for i in range(n):
            x = x + i
        return x

    assert ft.jit(f, static_argnums=(1,))(0, 5) == 10
    with pytest.raises(TypeError):
        ft.jit(f)(0, 5)


def test_grad_of_int_errors() -> None:
    with pytest.raises(TypeError, match="int"):
        ft.grad(lambda x: x ** 2)(3)


def test_grad_of_bool_and_int_argnum_named() -> None:
    with pytest.raises(TypeError, match="bool"):
        ft.grad(lambda x, y: x * 2.0, argnums=0)(True, 1.0)
    with pytest.raises(TypeError, match="argnum"):
        ft.grad(lambda x, y: x * y, argnums=1)(2.0, 3)


def test_grad_complex_result_errors() -> None:
    with pytest.raises(TypeError, match="complex"):
        ft.grad(lambda x: x ** 2 + 1j)(3.0)


def test_complex_grad_raises_error() -> None:
    with pytest.raises(TypeError):
        ft.grad(lambda x: fnp.sin(x))(1 + 2j)


def test_holomorphic_of_float_errors() -> None:
    for transform in (ft.grad, ft.jacrev, ft.jacfwd):
        with pytest.raises(TypeError, match="holomorphic"):
            transform(lambda x: x ** 2, holomorphic=True)(3.0)


def test_complex_output_jacrev_and_input_jacfwd_raise() -> None:
    with pytest.raises(TypeError):
        ft.jacrev(lambda x: fnp.sin(x))(1 + 2j)
    with pytest.raises(TypeError):
        ft.jacfwd(lambda x: fnp.sin(x))(1 + 2j)
    with pytest.raises(TypeError, match="complex"):
        ft.jacfwd(lambda x: x ** 2)(3.0 + 1j)


def test_grad_argnums_out_of_range() -> None:
    with pytest.raises(ValueError):
        ft.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_grad_without_enough_args() -> None:
    # JAX raises TypeError; SPEC §3 names ValueError for argnums out of range of the call.
    df = ft.grad(lambda x, y: x + y, argnums=0)
    with pytest.raises(ValueError, match="argnums"):
        functools.partial(df, x=0.0)(y=1.0)


def test_has_aux_not_a_pair() -> None:
    with pytest.raises(TypeError):
        ft.grad(lambda x: x ** 2, has_aux=True)(2.0)


def test_jvp_mismatched_arguments() -> None:
    with pytest.raises(TypeError):
        ft.jvp(lambda x, y: x * y, (np.float32(2),), ())
    with pytest.raises(TypeError):
        ft.jvp(lambda x, y: x * y, (np.float32(2),), [np.float32(2)])
    with pytest.raises(TypeError):
        ft.jvp(lambda x: -x, (np.float16(2),), (np.float32(4),))
    with pytest.raises(ValueError):
        ft.jvp(lambda x: -x, (np.zeros(3),), (np.zeros(4),))


def test_jvp_non_tuple_arguments() -> None:
    f = lambda x, y: x + y  # noqa: E731
    with pytest.raises(TypeError, match="tuple"):
        ft.jvp(f, 0.0, (1.0,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tuple"):
        ft.jvp(f, (0.0,), np.array([1.0, 2.0]))


def test_vjp_mismatched_arguments() -> None:
    _, pullback = ft.vjp(lambda x, y: x * y, np.float32(3), np.float32(4))
    with pytest.raises((TypeError, ValueError)):
        pullback((np.float32(7), np.float32(100)))
    with pytest.raises((TypeError, ValueError)):
        pullback(np.float16(42))


def test_linearize_tangents_inconsistent_with_primals() -> None:
    t = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    x = np.array([1.0, 2.0, 3.0])
    for f in (fnp.sum, ft.jit(fnp.sum)):
        _, f_jvp = ft.linearize(f, x)
        with pytest.raises(ValueError):
            f_jvp(t)


# --------------------------------------------------------------------------------------------
# APITest: Jacobians, Hessians, has_aux


def test_jacobian() -> None:
    rng = np.random.RandomState(0)
    a, x = rng.randn(4, 3), rng.randn(3)
    np.testing.assert_allclose(ft.jacfwd(lambda x: fnp.dot(a, x))(x), a)
    np.testing.assert_allclose(ft.jacrev(lambda x: fnp.dot(a, x))(x), a)
    f = lambda x: fnp.tanh(fnp.dot(a, x))  # noqa: E731
    np.testing.assert_allclose(ft.jacfwd(f)(x), ft.jacrev(f)(x))
    np.testing.assert_allclose(ft.jacfwd(f)(x), (1 - np.tanh(a @ x) ** 2)[:, None] * a)


def test_hessian() -> None:
    rng = np.random.RandomState(0)
    a, x = rng.randn(4, 4), rng.randn(4)
    np.testing.assert_allclose(ft.hessian(lambda x: fnp.dot(x, fnp.dot(a, x)))(x), a + a.T)


@pytest.mark.parametrize("jacfun", [ft.jacfwd, ft.jacrev])
def test_jacobian_on_pytrees(jacfun: Any) -> None:
    assert_tree_close(jacfun(lambda x, y: (x, y))(0.0, 1.0), (1.0, 0.0))
    assert_tree_close(jacfun(lambda x, y: (x, y), 1)(0.0, 1.0), (0.0, 1.0))
    assert_tree_close(jacfun(lambda x, y: (x, y), (0, 1))(0.0, 1.0),
                      ((1.0, 0.0), (0.0, 1.0)))
    assert_tree_close(jacfun(lambda x: x[:2])((1.0, 2.0, 3.0)),
                      ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)))
    rng = np.random.RandomState(0)
    x, y = rng.randn(2), rng.randn(3)
    ans = jacfun(lambda x, y: {"x": x, "xy": fnp.outer(x, y)})(x, y)
    assert_tree_close(ans, {"x": np.eye(2),
                            "xy": np.kron(np.eye(2), y[:, None]).reshape(2, 3, 2)})


def test_hessian_on_pytrees() -> None:
    ans = ft.hessian(lambda x: fnp.array(x) ** 2)((1.0, 2.0))
    expected = ((np.array([2.0, 0.0]), np.array([0.0, 0.0])),
                (np.array([0.0, 0.0]), np.array([0.0, 2.0])))
    assert_tree_close(ans, expected)


def test_mixed_jacobian_shapes_issue1372() -> None:
    def f(x: Any, u: Any) -> Any:
        return fnp.dot(x, x) + fnp.dot(u, u)

    x, u = np.ones(5), np.ones(2)
    sizes = {0: 5, 1: 2}
    for outer in (ft.jacrev, ft.jacfwd):
        for inner in (ft.jacrev, ft.jacfwd):
            for i in (0, 1):
                for j in (0, 1):
                    h = outer(inner(f, i), j)(x, u)
                    assert h.shape == (sizes[i], sizes[j])
                    np.testing.assert_allclose(h, 2 * np.eye(sizes[i]) if i == j else 0.0)


def test_grad_and_aux_basic() -> None:
    g, aux = ft.grad(lambda x: (x ** 3, [x ** 2]), has_aux=True)(3.0)
    np.testing.assert_allclose(g, 27.0)
    assert isinstance(aux, list)
    np.testing.assert_allclose(aux, [9.0])


def test_grad_and_aux_nested() -> None:
    def f(x: Any) -> Any:
        _, aux = ft.grad(lambda x: (x ** 3, [x ** 3]), has_aux=True)(x)
        return aux[0]

    def g(x: Any) -> Any:
        _, aux = ft.grad(lambda x: (x ** 3, [x ** 3]), has_aux=True)(x)
        return aux[0] * fnp.sin(x)

    for fun, expected in [(f, 3 * 4.0 ** 2),
                          (g, 3 * 4.0 ** 2 * np.sin(4.0) + 4.0 ** 3 * np.cos(4.0))]:
        for d in (ft.grad(fun), ft.jit(ft.grad(fun)), ft.jit(ft.grad(ft.jit(fun)))):
            np.testing.assert_allclose(d(4.0), expected)


def test_grad_and_aux_constant() -> None:
    g, aux = ft.grad(lambda x: (x ** 3, [4.0]), has_aux=True)(4.0)
    np.testing.assert_allclose(g, 48.0)
    assert_tree_close(aux, [4.0])
    g, aux = ft.grad(lambda x: (x ** 3, [x ** 2, 4.0]), has_aux=True)(4.0)
    np.testing.assert_allclose(g, 48.0)
    assert_tree_close(aux, [16.0, 4.0])


def test_grad_and_aux_no_tracers() -> None:
    _, aux = ft.grad(lambda x: (x ** 2, {"identity": x, "p1": x + 1}), has_aux=True)(3.0)
    assert isinstance(aux, dict)
    for val in aux.values():
        assert isinstance(val, np.ndarray)


def test_holomorphic_grad() -> None:
    out = ft.grad(lambda x: fnp.sin(x), holomorphic=True)(1 + 2j)
    np.testing.assert_allclose(out, np.cos(1 + 2j))


def test_nonholomorphic_grad() -> None:
    zs = 0.5j * np.arange(5) + np.arange(5)
    ans = ft.grad(lambda z: fnp.sum(fnp.cos(fnp.abs(z))))(zs)
    # JAX's convention: the gradient of a real function of z is conj(df/dz) ... = d/dx - i d/dy
    # of the real function, here -sin(|z|) z / |z|, and 0 at the origin.
    r = np.abs(zs)
    expected = np.where(r > 0, -np.sin(r) * np.conj(zs) / np.where(r > 0, r, 1.0), 0.0)
    np.testing.assert_allclose(ans, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ans[1], -0.80430663 + 0.40215331j, rtol=1e-8)  # JAX's value


def test_nonholomorphic_jacrev() -> None:
    zs = 0.5j * np.arange(5) + np.arange(5)
    f = lambda z: fnp.cos(fnp.linalg.norm(2 * z))  # noqa: E731
    np.testing.assert_allclose(ft.jacrev(f)(zs), ft.grad(f)(zs))


# --------------------------------------------------------------------------------------------
# APITest: pytrees, eval_shape, ShapeDtypeStruct, device_put / device_get


def test_namedtuple_transparency() -> None:
    point = collections.namedtuple("point", ["x", "y"])
    f = lambda pt: fnp.sqrt(pt.x ** 2 + pt.y ** 2)  # noqa: E731
    pt = point(1.0, 2.0)
    g = ft.grad(f)(pt)
    assert isinstance(g, point)
    np.testing.assert_allclose([g.x, g.y], np.array([1.0, 2.0]) / np.sqrt(5.0))
    np.testing.assert_allclose(ft.jit(f)(pt), f(pt))


def test_namedtuple_subclass_transparency() -> None:
    point = collections.namedtuple("point", ["x", "y"])

    class ZeroPoint(point):  # type: ignore[misc, valid-type]
        def is_zero(self) -> bool:
            return bool((self.x == 0) and (self.y == 0))

    pt = ZeroPoint(0.0, 0.0)
    f = lambda pt: 0.0 if pt.is_zero() else fnp.sqrt(pt.x ** 2 + pt.y ** 2)  # noqa: E731
    g = ft.grad(f)(pt)
    assert isinstance(g, ZeroPoint)
    assert_tree_close(tuple(g), (0.0, 0.0))


@pytest.mark.parametrize("i", [1, 2, 3])
def test_shape_dtype_struct(i: int) -> None:
    s = ft.ShapeDtypeStruct(shape=(i, 2, 3), dtype=np.float32)
    assert s.shape == (i, 2, 3)
    assert s.dtype == np.float32
    assert s.ndim == 3
    assert s.size == i * 2 * 3
    assert len(s) == i
    for f in (str, repr):
        assert f(s) == f"ShapeDtypeStruct(shape=({i}, 2, 3), dtype=float32)"


def test_shape_dtype_struct_scalar() -> None:
    s = ft.ShapeDtypeStruct(shape=(), dtype=np.float32)
    assert s.shape == ()
    assert s.size == 1
    assert s.ndim == 0
    with pytest.raises(TypeError, match="unsized"):
        len(s)


def test_eval_shape() -> None:
    def fun(x: Any, y: Any) -> Any:
        return fnp.tanh(fnp.dot(x, y) + 3.0)

    assert ft.eval_shape(fun, np.ones((2, 3)), np.ones((3, 4))).shape == (2, 4)
    assert ft.eval_shape(lambda: fun(np.ones((2, 3)), np.ones((3, 4)))).shape == (2, 4)
    with pytest.raises(ValueError):  # SPEC §3: shapes that do not contract
        ft.eval_shape(fun, np.ones((3, 3)), np.ones((4, 4)))


def test_eval_shape_tuples_and_dicts() -> None:
    x = (np.ones(2), np.ones(2))

    def unpack(x: Any, y: Any) -> Any:
        a, b = x
        return a + b + y

    assert ft.eval_shape(unpack, x, 3.0).shape == (2,)
    assert ft.eval_shape(lambda x, y: x[0] + x[1] + y, x, 3.0).shape == (2,)
    out = ft.eval_shape(lambda x, y: {"hi": x[0] + x[1] + y}, x, 3.0)
    assert tree_map(np.shape, out) == {"hi": (2,)}


def test_eval_shape_duck_typing() -> None:
    class MyArgArray:
        def __init__(self, shape: tuple[int, ...], dtype: Any):
            self.shape = shape
            self.dtype = dtype

    a = MyArgArray((3, 4), np.float32)
    b = MyArgArray((5,), np.float32)
    x = MyArgArray((4, 5), np.float32)
    out = ft.eval_shape(lambda a, b, x: fnp.dot(a, x) + b, a, b, x)
    assert out.shape == (3, 5)
    assert out.dtype == np.float32


def test_device_put_and_get() -> None:
    x = np.arange(12.0).reshape((3, 4)).astype("float32")
    x2 = ft.device_get(ft.device_put(x))
    assert isinstance(x2, np.ndarray)
    np.testing.assert_array_equal(x2, x)
    y = ft.device_get([x, 2])
    assert isinstance(y[0], np.ndarray) and type(y[1]) is int  # (test_device_get_scalar)
    y2 = ft.device_get(ft.device_put([x, (2 * x, 3 * x)]))
    assert isinstance(y2, list) and isinstance(y2[1], tuple)
    for leaf, expected in zip(tree_leaves(y2), [x, 2 * x, 3 * x], strict=True):
        assert isinstance(leaf, np.ndarray)
        np.testing.assert_array_equal(leaf, expected)


# --------------------------------------------------------------------------------------------
# APITest: vmap's arguments


def test_vmap_in_axes_list() -> None:
    dictionary = {"a": 5.0, "b": np.ones(2)}
    x, y = np.zeros(3), np.arange(3.0)
    f = lambda dct, x, y: dct["a"] + dct["b"] + x + y  # noqa: E731
    out1 = ft.vmap(lambda d, x, y: f(d, x, y)[0], (None, 0, 0))(dictionary, x, y)
    out2 = ft.vmap(lambda d, x, y: f(d, x, y)[0], [None, 0, 0])(dictionary, x, y)
    np.testing.assert_allclose(out1, out2)
    np.testing.assert_allclose(out1, 6.0 + y)


def test_vmap_in_axes_tree_prefix_error() -> None:
    with pytest.raises(ValueError, match="prefix|in_axes"):
        ft.vmap(lambda x: x, in_axes=(0, 0))(np.ones(3))


def test_vmap_axes_leaf_types() -> None:
    with pytest.raises(TypeError, match="in_axes"):
        ft.vmap(lambda x: x, in_axes=(np.array([1.0, 2.0]),))(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="out_axes"):
        ft.vmap(lambda x: x, out_axes=(np.array([1.0, 2.0]),))(np.array([1.0, 2.0]))


def test_vmap_unbatched_object_passthrough() -> None:
    vfun = ft.vmap(lambda f, x: f(x), (None, 0))
    np.testing.assert_array_equal(vfun(lambda x: x + 1, np.arange(3)), np.arange(1, 4))


def test_vmap_mismatched_axis_sizes_error_messages() -> None:
    h = lambda a, b: fnp.sum(a) + fnp.sum(b)  # noqa: E731
    rng = np.random.RandomState(0)
    x, u = rng.randn(10, 4), rng.randn(10, 2)
    with pytest.raises(ValueError, match="size"):
        ft.vmap(h, in_axes=(0, 1))(x, u)
    with pytest.raises(ValueError, match="size"):
        ft.vmap(lambda x, y, z: x, in_axes=(0, 1, 0))(x, u, x)
    with pytest.raises(ValueError, match="size"):
        ft.vmap(h, in_axes=(0, 1))(x, [u, u])
    with pytest.raises(ValueError):  # a mapped scalar
        ft.vmap(lambda x: x)(1.0)
    with pytest.raises(ValueError):  # nothing mapped and no axis_size
        ft.vmap(lambda x: x, in_axes=None)(np.array([1.0, 2.0]))
    with pytest.raises(ValueError):  # axis 1 of a rank-1 argument
        ft.vmap(lambda x: x, in_axes=1)(np.array([1.0, 2.0]))
    with pytest.raises(ValueError):  # out_axes not a prefix of the output
        ft.vmap(lambda x: x, in_axes=0, out_axes=(2, 3))(np.array([1.0, 2.0]))
    with pytest.raises(ValueError):  # a mapped output with out_axes None
        ft.vmap(lambda x: x, out_axes=None)(np.array([1.0, 2.0]))


def test_vmap_structured_in_axes() -> None:
    k = 6
    x = np.ones((k, 2, 3))
    y = np.ones((3, k, 4))
    z = np.ones((4, 5, k))

    def foo(tree_arg: Any) -> Any:
        x, (y, z) = tree_arg
        return fnp.dot(x, fnp.dot(y, z))

    assert ft.vmap(foo, in_axes=((0, (1, 2)),))((x, (y, z))).shape == (6, 2, 5)
    point = collections.namedtuple("point", ["x", "y"])
    out = ft.vmap(foo, in_axes=((0, point(1, 2)),))((x, point(y, z)))
    assert out.shape == (6, 2, 5)
    np.testing.assert_allclose(out, np.full((6, 2, 5), 12.0))

    def bar(tree_arg: Any) -> Any:
        x, dct = tree_arg
        return fnp.dot(x, fnp.dot(dct["a"], dct["b"]))

    assert ft.vmap(bar, in_axes=((0, {"a": 1, "b": 2}),))(
        (x, {"a": y, "b": z})).shape == (6, 2, 5)
    ordered = collections.OrderedDict([("a", y), ("b", z)])
    axes = collections.OrderedDict([("a", 1), ("b", 2)])
    assert ft.vmap(bar, in_axes=((0, axes),))((x, ordered)).shape == (6, 2, 5)


# --------------------------------------------------------------------------------------------
# APITest: leaked tracers (SPEC §3: TracerLeakError)


class _Saver:
    def __init__(self) -> None:
        self.tracer: Any = None

    def save(self, x: Any) -> Any:
        self.tracer = x
        return x


def test_escaped_tracer_different_top_level_traces() -> None:
    s = _Saver()
    ft.jit(s.save)(0.0)
    with pytest.raises(TracerLeakError):
        ft.jit(lambda x: s.tracer)(0.0)


def test_escaped_tracer_passed_as_argument() -> None:
    s = _Saver()
    ft.jit(s.save)(0.0)
    with pytest.raises(TracerLeakError):
        ft.jit(lambda x: x)(s.tracer)


def test_escaped_tracer_from_grad() -> None:
    s = _Saver()
    ft.grad(s.save)(0.0)
    with pytest.raises(TracerLeakError):
        ft.grad(lambda x: x * 2.0)(s.tracer)  # JAX 0.10 lets grad of the identity through


def test_escaped_tracer_used_inside_outer_jit() -> None:
    s = _Saver()

    def func1(x: Any) -> Any:
        ft.jit(s.save)(0.0)
        return x + s.tracer

    with pytest.raises(TracerLeakError):
        ft.jit(func1)(2.0)


def test_escaped_tracer_used_inside_outer_grad() -> None:
    s = _Saver()

    def func1(x: Any) -> Any:
        ft.grad(s.save)(0.0)
        return x + s.tracer

    with pytest.raises(TracerLeakError):
        ft.grad(func1)(2.0)


def test_escaped_tracer_of_inner_grad_over_outer_tracer() -> None:
    s = _Saver()

    def func1(x: Any) -> Any:
        ft.grad(s.save)(x)
        return x + s.tracer

    with pytest.raises(TracerLeakError):
        ft.jit(func1)(2.0)


# --------------------------------------------------------------------------------------------
# JaxprTest (structure, not JAX's text)


def test_jaxpr_scalar_literals() -> None:
    jaxpr = ft.make_jaxpr(lambda x: x + 2)(42)
    assert len(jaxpr.jaxpr.constvars) == 0
    assert jaxpr.consts == []


def test_jaxpr_const() -> None:
    # JAX prints { lambda b ; a. let in (a, 1.0, b) }: no equation, the array a constant.
    closed = ft.make_jaxpr(lambda x: (x, 1.0, fnp.zeros(1)))(0.0)
    assert closed.jaxpr.eqns == []
    assert len(closed.jaxpr.constvars) == 1
    assert_tree_close(eval_jaxpr(closed.jaxpr, closed.consts, 5.0), [5.0, 1.0, np.zeros(1)])


def test_jaxpr_cond_names_its_branches() -> None:
    def f(x: Any) -> Any:
        return lax.cond(x >= 0.0, lambda xt: xt + x, lambda xf: xf - x, x + 1.0)

    jaxpr = ft.make_jaxpr(f)(3.0)
    names = [e.primitive.name for e in jaxpr.jaxpr.eqns]
    assert "cond" in names
    text = str(jaxpr)
    assert " add " in text and " sub " in text


# --------------------------------------------------------------------------------------------
# remat (api.remat / checkpoint)


def _counting(monkeypatch: Any, name: str) -> list[int]:
    """Count the NumPy evaluations of the primitive ``name`` (JAX's tests swap sin_p's impl)."""
    prim = _primitive(name)
    calls: list[int] = []
    impl, impl1 = prim.impl, prim.impl1
    monkeypatch.setattr(prim, "impl", lambda *a, **p: calls.append(1) or impl(*a, **p))
    if impl1 is not None:
        monkeypatch.setattr(prim, "impl1", lambda *a, **p: calls.append(1) or impl1(*a, **p))
    return calls


def _primitive(name: str) -> Any:
    jaxpr = ft.make_jaxpr(getattr(fnp, name))(1.0)
    (eqn,) = jaxpr.jaxpr.eqns
    return eqn.primitive


def test_remat_basic(monkeypatch: Any) -> None:
    @ft.remat
    def g(x: Any) -> Any:
        return fnp.sin(fnp.sin(x)), 3.0

    def f(x: Any) -> Any:
        return g(x)[0]

    np.testing.assert_allclose(f(2.0), np.sin(np.sin(2.0)))
    ans, f_lin = ft.linearize(f, 2.0)
    np.testing.assert_allclose(ans, np.sin(np.sin(2.0)))
    np.testing.assert_allclose(f_lin(3.0), np.cos(np.sin(2.0)) * np.cos(2.0) * 3.0)
    # The linearized function evaluates the checkpointed residuals again: one sin, two cos.
    sin_calls, cos_calls = _counting(monkeypatch, "sin"), _counting(monkeypatch, "cos")
    f_lin(3.0)
    assert (len(sin_calls), len(cos_calls)) == (1, 2)


def test_remat_freevars() -> None:
    def f1(x: Any) -> Any:
        y = 2 * fnp.sin(x)
        return fnp.cos(x) * fnp.sin(y)

    def f2(x: Any) -> Any:
        y = 2 * fnp.sin(x)
        return ft.remat(lambda x: fnp.cos(x) * fnp.sin(y))(x)

    ans, f_lin = ft.linearize(f2, 2.0)
    expected, f_lin_expected = ft.linearize(f1, 2.0)
    np.testing.assert_allclose(ans, expected)
    np.testing.assert_allclose(f_lin(3.0), f_lin_expected(3.0))


def test_remat_grad_python_control_flow() -> None:
    # JAX's remat(concrete=True); functrace's checkpoint under grad knows values (SPEC §3).
    @ft.remat
    def g(x: Any) -> Any:
        if x > 0:
            return fnp.sin(x), 3.0
        return fnp.cos(x), 4.0

    f = lambda x: g(x)[0]  # noqa: E731
    np.testing.assert_allclose(f(2.0), np.sin(2.0))
    np.testing.assert_allclose(ft.grad(f)(2.0), np.cos(2.0))
    np.testing.assert_allclose(ft.grad(f)(-2.0), -np.sin(-2.0))


def test_remat_jit() -> None:
    g = ft.remat(lambda x: fnp.sin(fnp.sin(x)))
    f = ft.jit(lambda x: g(x))
    expected = np.cos(np.sin(2.0)) * np.cos(2.0)
    np.testing.assert_allclose(f(2.0), np.sin(np.sin(2.0)))
    np.testing.assert_allclose(ft.grad(f)(2.0), expected)
    np.testing.assert_allclose(ft.jit(ft.grad(lambda x: g(x)))(2.0), expected)


def test_remat_vmap() -> None:
    g = ft.remat(lambda x: fnp.sin(fnp.sin(x)))
    x = np.arange(3.0)
    np.testing.assert_allclose(ft.vmap(g)(x), np.sin(np.sin(x)))
    expected = np.diag(np.cos(np.sin(x)) * np.cos(x))
    np.testing.assert_allclose(ft.jacfwd(g)(x), expected)
    np.testing.assert_allclose(ft.jacrev(g)(x), expected)


def test_remat_higher_order_autodiff() -> None:
    f = lambda x: fnp.cos(fnp.sin(x))  # noqa: E731
    np.testing.assert_allclose(ft.grad(ft.grad(ft.remat(f)))(3.0), ft.grad(ft.grad(f))(3.0))


def test_remat_scan() -> None:
    to_scan = lambda c, x: (fnp.sin(c), None)  # noqa: E731
    f_noremat = lambda x: lax.scan(to_scan, x, np.arange(3.0))[0]  # noqa: E731
    f_yesremat = lambda x: lax.scan(ft.remat(to_scan), x, np.arange(3.0))[0]  # noqa: E731
    np.testing.assert_allclose(f_yesremat(4.0), f_noremat(4.0))
    np.testing.assert_allclose(ft.grad(f_yesremat)(4.0), ft.grad(f_noremat)(4.0))
    # The linearized and transposed scans recompute cos from the carry.
    for fun in (ft.linearize(f_yesremat, 4.0)[1], ft.vjp(f_yesremat, 4.0)[1]):
        text = str(ft.make_jaxpr(fun)(1.0))
        assert " cos " in text


def test_remat_no_redundant_flops() -> None:
    # JAX counts sin's eager evaluations; under functrace's jit the compiled code does not go
    # through impl, so the count is of sin equations in the traced gradient: sin(2.0) does not
    # depend on x, and is computed once, not again for the backward pass.
    @ft.remat
    def f(x: Any, y: Any) -> Any:
        return fnp.sin(x) * y

    g = ft.jit(lambda x: f(2.0, x))
    np.testing.assert_allclose(ft.grad(g)(3.0), np.sin(2.0))
    assert str(ft.make_jaxpr(ft.grad(g))(3.0)).count(" sin ") <= 1


def test_remat_binomial_checkpointing() -> None:
    def binom_checkpoint(funs: list[Any]) -> Any:
        if len(funs) == 1:
            return funs[0]
        f1 = binom_checkpoint(funs[:len(funs) // 2])
        f2 = binom_checkpoint(funs[len(funs) // 2:])
        return ft.remat(lambda x: f1(f2(x)))

    f1 = binom_checkpoint([fnp.sin] * 4)
    f2 = lambda x: fnp.sin(fnp.sin(fnp.sin(fnp.sin(x))))  # noqa: E731
    np.testing.assert_allclose(f1(4.0), f2(4.0))
    np.testing.assert_allclose(ft.grad(f1)(4.0), ft.grad(f2)(4.0))


def test_remat_symbolic_zeros() -> None:
    key = ft.random.PRNGKey(0)
    _, split = ft.random.split(key)

    def func(d0: Any) -> Any:
        r_init = ft.random.uniform(split, (5, 3), minval=0.0, maxval=5.0, dtype=np.float32)

        def move(r: Any, i: Any) -> Any:
            return r + 0.001 * (d0 * r), fnp.array([0.0])

        r, _ = lax.scan(ft.remat(move), r_init, fnp.arange(2))
        return r[0, 0]

    r0 = ft.random.uniform(split, (5, 3), minval=0.0, maxval=5.0, dtype=np.float32)[0, 0]
    # r_2 = r_0 (1 + 0.001 d0)**2, so d r_2 / d d0 = 2 * 0.001 * r_0 * (1 + 0.001 d0).
    np.testing.assert_allclose(ft.grad(func)(5.0), 2e-3 * r0 * 1.005, rtol=1e-5)


def test_remat_jit2() -> None:
    @ft.jit
    def f(x: Any) -> Any:
        y = 2 * x
        return ft.remat(lambda: y)()

    assert f(3) == 6


def test_remat_nontrivial_env() -> None:
    @ft.remat
    def foo(state: Any, dt: Any = 0.5, c: Any = 1) -> Any:
        u, u_t = state
        return u, u_t + c ** 2 * u * dt

    @functools.partial(ft.jit, static_argnums=(1,))
    def multi_step(state: Any, count: int, dt: Any, c: Any) -> Any:
        return lax.scan(lambda s, _: (foo(s, dt, c), _), state, None, count)

    def loss(u0: Any, target: Any, steps: int) -> Any:
        (uf, _), _ = multi_step((u0, fnp.zeros_like(u0)), steps, 1 / fnp.sqrt(2.0), 1)
        return ((uf - target) ** 2).mean()

    target = np.zeros((8, 8))
    u0 = np.ones_like(target)
    np.testing.assert_allclose(loss(u0, target, 10), 1.0)  # u never changes, only u_t does
    np.testing.assert_allclose(ft.grad(loss)(u0, target, 10), 2 * u0 / u0.size)


def test_remat_jit3() -> None:
    def f(w: Any, x: Any) -> Any:
        a = fnp.dot(x, w)
        b = fnp.einsum("btd,bTd->btT", a, a)
        c = fnp.einsum("btT,btd->btd", b, a)
        return fnp.sum(c)

    # f = sum(x**3 w**3) for 1x1 shapes: d/dw = 3 w**2 x**3.
    np.testing.assert_allclose(ft.grad(ft.remat(f))(np.full((1, 1), 2.0), np.ones((1, 1, 1))),
                               [[12.0]])

    mul = ft.jit(lambda a, b: a * b)

    def g(w: Any, x: Any) -> Any:
        a = mul(w, x)
        return mul(a, a)

    np.testing.assert_allclose(ft.grad(ft.remat(g))(3.0, 2.0), 2 * 3.0 * 2.0 ** 2)


def test_remat_scan2() -> None:
    def scan_bug(x0: Any) -> Any:
        f = lambda x, _: (x + 1, None)  # noqa: E731

        def scanned_f(x: Any, _: Any) -> Any:
            return lax.scan(f, x, xs=None, length=1)[0], None

        return ft.remat(scanned_f)(x0, None)[0]

    assert ft.grad(scan_bug)(1.0) == 1.0


def test_remat_jit_static_argnum() -> None:
    def f(a_bool: bool, y: Any) -> Any:
        return y + 1 if a_bool else y

    assert ft.jit(ft.remat(f, static_argnums=0), static_argnums=0)(True, 1) == 2


# --------------------------------------------------------------------------------------------
# CustomJVPTest


def _custom_sin() -> Any:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (g,) = primals, tangents
        return f(x), 2 * fnp.cos(x) * g

    return f


def test_custom_jvp_basic() -> None:
    f = _custom_sin()
    x = 3.0
    np.testing.assert_allclose(f(x), np.sin(x))
    assert_tree_close(ft.jvp(f, (x,), (1.0,)), (np.sin(x), 2 * np.cos(x)))
    np.testing.assert_allclose(ft.grad(f)(x), 2 * np.cos(x))


def test_custom_jvp_invariance() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return fnp.cos(2 * x) / 2.0

    f.defjvp(lambda primals, tangents: (f(primals[0]), 3 * tangents[0]))

    def f2(x: Any) -> Any:
        return ft.jvp(f, (x,), (x,))[0]

    def f3(x: Any) -> Any:
        return ft.jvp(f2, (x,), (x,))[0]

    assert_tree_close(ft.jvp(f, (1.0,), (1.0,)), ft.jvp(f2, (1.0,), (1.0,)))
    assert_tree_close(ft.jvp(f, (1.0,), (1.0,)), ft.jvp(f3, (1.0,), (1.0,)))


def test_custom_jvp_python_control_flow() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return fnp.sin(x) if x > 0 else fnp.cos(x)

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (g,) = primals, tangents
        return f(x), (2 * g if x > 0 else 3 * g)

    assert_tree_close(ft.jvp(f, (2.0,), (1.0,)), (np.sin(2.0), 2.0))
    assert_tree_close(ft.jvp(f, (-2.0,), (1.0,)), (np.cos(-2.0), 3.0))
    assert ft.grad(f)(2.0) == 2.0
    assert ft.grad(f)(-2.0) == 3.0


def test_custom_jvp_vmap() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        assert fnp.ndim(x) == 0
        return fnp.sin(x)

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (g,) = primals, tangents
        assert fnp.ndim(x) == fnp.ndim(g) == 0
        return f(x), 2 * fnp.cos(x) * g

    x = np.arange(3.0)
    xx = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ft.vmap(f)(x), np.sin(x))
    np.testing.assert_allclose(ft.vmap(ft.vmap(f))(xx), np.sin(xx))
    jvp_of = lambda x: ft.jvp(f, (x,), (x,))  # noqa: E731
    assert_tree_close(ft.vmap(jvp_of)(x), (np.sin(x), 2 * np.cos(x) * x))
    assert_tree_close(ft.vmap(ft.vmap(jvp_of))(xx), (np.sin(xx), 2 * np.cos(xx) * xx))
    assert_tree_close(ft.jvp(ft.vmap(f), (x,), (x,)), (np.sin(x), 2 * np.cos(x) * x))
    assert_tree_close(ft.jvp(ft.vmap(ft.vmap(f)), (xx,), (xx,)),
                      (np.sin(xx), 2 * np.cos(xx) * xx))
    assert_tree_close(ft.vmap(lambda x: ft.jvp(ft.vmap(f), (x,), (x,)))(xx),
                      (np.sin(xx), 2 * np.cos(xx) * xx))


def test_custom_jvp_jit() -> None:
    f = _custom_sin()
    x = 3.0
    np.testing.assert_allclose(ft.jit(f)(x), np.sin(x))
    np.testing.assert_allclose(ft.jit(ft.jit(f))(x), np.sin(x))
    expected = (np.sin(x), 2 * np.cos(x) * x)
    assert_tree_close(ft.jit(lambda x: ft.jvp(f, (x,), (x,)))(x), expected)
    assert_tree_close(ft.jvp(ft.jit(f), (x,), (x,)), expected)


def test_custom_jvp_pytrees() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return {"b": fnp.sin(x["a"])}

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (g,) = primals, tangents
        return f(x), {"b": 2 * fnp.cos(x["a"]) * g["a"]}

    x = {"a": 3.0}
    assert_tree_close(ft.jvp(f, (x,), (x,)), ({"b": np.sin(3.0)}, {"b": 6 * np.cos(3.0)}))


def test_custom_jvp_kwargs() -> None:
    @ft.custom_jvp
    def my_fun(x: Any, y: Any, c: Any = 1.0) -> Any:
        return c * (x + y)

    @my_fun.defjvp
    def my_jvp(primals: Any, tangents: Any) -> Any:
        x, y, c = primals
        _, _, t_c = tangents
        return my_fun(x, y, c), t_c

    f = lambda x, y: fnp.square(my_fun(x, y, c=2.0)).sum()  # noqa: E731
    np.testing.assert_allclose(f(10.0, 5.0), 900.0)
    # The rule's tangent for c (not differentiated: zero) flows through square: 2 * 30 * 0.
    assert_tree_close(ft.jvp(f, (10.0, 5.0), (1.0, 1.0)), (900.0, 0.0))


def test_custom_jvp_initial_style() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return 3 * x

    f.defjvp(lambda primals, tangents: (f(primals[0]), 2 * tangents[0]))
    foo = lambda x: lax.scan(lambda c, _: (f(c), None), x, None, length=1)[0]  # noqa: E731
    assert ft.grad(foo)(3.0) == 2.0
    assert ft.grad(ft.grad(foo))(3.0) == 0.0
    np.testing.assert_allclose(ft.vmap(foo)(np.ones(3)), 3.0 * np.ones(3))
    np.testing.assert_allclose(ft.grad(lambda x: ft.vmap(foo)(x).sum())(np.ones(3)),
                               2.0 * np.ones(3))


def test_custom_jvp_nondiff_arg() -> None:
    @functools.partial(ft.custom_jvp, nondiff_argnums=(0,))
    def app(f: Any, x: Any) -> Any:
        return f(x)

    @app.defjvp
    def app_jvp(f: Any, primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        return app(f, x), 3 * t

    assert app(lambda x: 2 * x, 1) == 2
    assert_tree_close(ft.jvp(lambda x: app(lambda y: 2 * y, x), (1.0,), (1.0,)), (2.0, 3.0))


def test_custom_jvp_nondiff_arg_tracer_under_jit() -> None:
    @functools.partial(ft.custom_jvp, nondiff_argnums=(0,))
    def f(x: Any, y: Any) -> Any:
        return x * y

    @f.defjvp
    def f_jvp(x: Any, primals: Any, tangents: Any) -> Any:
        (y,), (t_y,) = primals, tangents
        return f(x, y), 5 * t_y

    g = ft.jit(lambda x, y: f(x, y))
    assert_tree_close(ft.jvp(lambda y: g(2.0, y), (3.0,), (1.0,)), (6.0, 5.0))


def test_custom_jvp_missing_rule_error() -> None:
    @ft.custom_jvp
    def foo(x: Any) -> Any:
        return x ** 2

    with pytest.raises(AttributeError, match="foo"):
        foo(2)
    with pytest.raises(AttributeError, match="foo"):
        ft.jvp(foo, (2.0,), (1.0,))
    with pytest.raises(AttributeError, match="foo"):
        ft.grad(foo)(2.0)


def test_custom_jvp_rule_inconsistent_pytree_structures() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return (x ** 2,)

    @f.defjvp
    def foo_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        return f(x), [2 * x * t, x]

    f(2.0)
    with pytest.raises(TypeError, match="structure"):
        ft.jvp(f, (2.0,), (1.0,))


def test_custom_jvp_primal_tangent_aval_disagreement() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return x ** 2

    @f.defjvp
    def foo_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        return f(x), fnp.reshape(t, (1,))

    f(2.0)
    with pytest.raises(TypeError, match=r"shape|\[1\]"):
        ft.jvp(f, (np.float32(2.0),), (np.float32(1.0),))


def test_custom_jvp_rule_doesnt_return_pair() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return x ** 2

    f.defjvp(lambda primals, tangents: tangents[0])
    f(2.0)
    with pytest.raises(TypeError, match="pair"):
        ft.jvp(f, (2.0,), (1.0,))


def test_custom_jvp_multiple_rule_invocations() -> None:
    @ft.custom_jvp
    def expit(x: Any) -> Any:
        return 1 / (1 + fnp.exp(-x))

    @expit.defjvp
    def _expit_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        ans = expit(x)
        return ans, t * ans * (1 - ans)

    def scanned_fun(c: Any, _: Any) -> Any:
        return [expit(c[0])] + [c[i - 1] + c[i] for i in range(1, len(c))], None

    def foo(x: Any) -> Any:
        c, _ = lax.scan(scanned_fun, [x, 0.0, 0.0, 0.0, 0.0], None, length=10)
        return c[-1]

    def reference(x: float) -> float:
        c = [x, 0.0, 0.0, 0.0, 0.0]
        for _ in range(10):
            c = [1 / (1 + math.exp(-c[0]))] + [c[i - 1] + c[i] for i in range(1, 5)]
        return c[-1]

    np.testing.assert_allclose(foo(3.0), reference(3.0))
    np.testing.assert_allclose(ft.grad(foo)(3.0),
                               (reference(3.0 + 1e-6) - reference(3.0 - 1e-6)) / 2e-6,
                               rtol=1e-6)
    g = ft.grad(lambda x: ft.vmap(foo)(x).sum())(np.arange(3.0))
    np.testing.assert_allclose(g, [ft.grad(foo)(float(v)) for v in range(3)])


def test_custom_jvp_hard_stuff() -> None:
    arr = np.ones((5, 2, 2))
    np.testing.assert_allclose(ft.jit(ft.vmap(fnp.linalg.det))(arr), np.zeros(5))


def test_custom_jvp_hard_stuff2() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return fnp.zeros(x.shape, x.dtype)

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        return f(primals[0]), tangents[0]

    x = np.arange(3.0)
    np.testing.assert_array_equal(ft.jit(ft.vmap(f))(x), np.zeros(3))
    np.testing.assert_array_equal(ft.jit(ft.vmap(ft.grad(f)))(x), np.ones(3))
    np.testing.assert_array_equal(ft.jit(ft.grad(lambda x: ft.vmap(f)(x).sum()))(x), np.ones(3))
    np.testing.assert_array_equal(ft.grad(lambda x: ft.vmap(f)(x).sum())(x), np.ones(3))
    assert_tree_close(ft.jvp(ft.vmap(f), (x,), (np.ones(3),)), (np.zeros(3), np.ones(3)))


def test_custom_jvp_hard_stuff3() -> None:
    @ft.custom_jvp
    def relu(x: Any) -> Any:
        return fnp.maximum(x, 0)

    @relu.defjvp
    def _relu_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        return relu(x), lax.select(x > 0, t, lax.full_like(t, 0))

    def scanned_fun(c: Any, _: Any) -> Any:
        return [relu(c[0])] + [c[i - 1] + c[i] for i in range(1, len(c))], None

    def f(x: Any) -> Any:
        c, _ = lax.scan(scanned_fun, [x, 0.0, 0.0, 0.0, 0.0], None, length=10)
        return c[-1]

    # c[0] becomes relu(x) and stays; c[4] after 10 steps is C(10, 4) relu(x) = 210 relu(x),
    # plus the path where the first step adds the initial x itself into c[1] (C(9, 3) = 84
    # ways on to c[4]): the slope is 210 for x > 0 and 84 at x = 0, where relu's is 0.
    x = np.arange(3.0)
    np.testing.assert_allclose(ft.jit(ft.vmap(f))(x), 210 * x)
    slope = np.where(x > 0, 210.0, 84.0)
    np.testing.assert_allclose(ft.jit(ft.vmap(ft.grad(f)))(x), slope)
    np.testing.assert_allclose(ft.jit(ft.grad(lambda x: ft.vmap(f)(x).sum()))(x), slope)
    np.testing.assert_allclose(ft.grad(lambda x: ft.vmap(f)(x).sum())(x), slope)
    assert_tree_close(ft.jvp(ft.jit(ft.vmap(f)), (x,), (np.ones(3),)), (210 * x, slope))


def test_custom_jvp_eval_shape() -> None:
    @ft.custom_jvp
    def expit(x: Any) -> Any:
        return 1 / (1 + fnp.exp(-x))

    @expit.defjvp
    def _expit_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (t,) = primals, tangents
        ans = expit(x)
        return ans, t * ans * (1 - ans)

    assert ft.eval_shape(expit, np.ones((2, 3))).shape == (2, 3)
    assert ft.eval_shape(ft.grad(lambda x: expit(x).sum()), np.ones((2, 3))).shape == (2, 3)


def test_custom_jvp_jaxpr_zeros() -> None:
    @ft.custom_jvp
    def f(a: Any, b: Any) -> Any:
        return a @ b

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        (a, b), (da, db) = primals, tangents
        return f(a, b), a @ db + da @ b

    def experiment(theta: Any) -> Any:
        def step(q: Any, _: Any) -> Any:
            q = q + f(fnp.eye(3), fnp.ones(3) * theta)[0]
            return q, q

        return lax.scan(step, 0.0, None, 4)[0]

    np.testing.assert_allclose(ft.grad(experiment)(1.0), 4.0)


def test_custom_jvp_linear_in_scan() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return -x

    f.defjvp(lambda primals, tangents: (f(primals[0]), f(tangents[0])))
    foo = lambda x: lax.scan(lambda c, _: (f(c), None), x, None, length=1)[0]  # noqa: E731
    assert ft.grad(foo)(3.0) == -1.0


def test_custom_jvps_first_rule_is_none() -> None:
    @ft.custom_jvp
    def f(x: Any, y: Any) -> Any:
        return x ** 2 * y

    f.defjvps(None, lambda x_dot, primal_out, x, y: 2 * x * y * x_dot)
    np.testing.assert_allclose(ft.grad(f, 1)(2.0, 3.0), 12.0)


# --------------------------------------------------------------------------------------------
# CustomVJPTest


def _custom_vjp_sin() -> Any:
    @ft.custom_vjp
    def f(x: Any) -> Any:
        return fnp.sin(x)

    f.defvjp(lambda x: (f(x), fnp.cos(x)), lambda cos_x, g: (2 * cos_x * g,))
    return f


def test_custom_vjp_basic() -> None:
    f = _custom_vjp_sin()
    x = 3.0
    np.testing.assert_allclose(f(x), np.sin(x))
    np.testing.assert_allclose(ft.grad(f)(x), 2 * np.cos(x))
    assert_tree_close(ft.value_and_grad(f)(x), (np.sin(x), 2 * np.cos(x)))


def test_custom_vjp_invariance() -> None:
    @ft.custom_vjp
    def f(x: Any) -> Any:
        return fnp.cos(2 * x) / 2.0

    f.defvjp(lambda x: (f(x), x), lambda x, g: (g * 3,))
    f2 = lambda x: ft.value_and_grad(f)(x)[0]  # noqa: E731
    f3 = lambda x: ft.value_and_grad(f2)(x)[0]  # noqa: E731
    np.testing.assert_allclose(f(1.0), f2(1.0))
    np.testing.assert_allclose(f(1.0), f3(1.0))
    np.testing.assert_allclose(ft.grad(f)(1.0), ft.grad(f2)(1.0))
    np.testing.assert_allclose(ft.grad(f)(1.0), ft.grad(f3)(1.0))


def test_custom_vjp_python_control_flow() -> None:
    @ft.custom_vjp
    def f(x: Any) -> Any:
        return fnp.sin(x) if x > 0 else fnp.cos(x)

    f.defvjp(lambda x: (f(x), x), lambda x, g: ((2 * g,) if x > 0 else (3 * g,)))
    assert_tree_close(ft.value_and_grad(f)(2.0), (np.sin(2.0), 2.0))
    assert_tree_close(ft.value_and_grad(f)(-2.0), (np.cos(-2.0), 3.0))


def test_custom_vjp_vmap() -> None:
    @ft.custom_vjp
    def f(x: Any) -> Any:
        assert fnp.ndim(x) == 0
        return fnp.sin(x)

    def f_fwd(x: Any) -> Any:
        assert fnp.ndim(x) == 0
        return f(x), fnp.cos(x)

    f.defvjp(f_fwd, lambda cos_x, g: (2 * cos_x * g,))
    x = np.arange(3.0)
    xx = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ft.vmap(f)(x), np.sin(x))
    np.testing.assert_allclose(ft.vmap(ft.vmap(f))(xx), np.sin(xx))
    np.testing.assert_allclose(ft.vmap(ft.grad(f))(x), 2 * np.cos(x))
    assert_tree_close(ft.vmap(ft.value_and_grad(f))(x), (np.sin(x), 2 * np.cos(x)))
    np.testing.assert_allclose(ft.vmap(ft.vmap(ft.grad(f)))(xx), 2 * np.cos(xx))
    assert_tree_close(ft.vmap(ft.vmap(ft.value_and_grad(f)))(xx), (np.sin(xx), 2 * np.cos(xx)))
    np.testing.assert_allclose(ft.grad(lambda x: ft.vmap(f)(x).sum())(x), 2 * np.cos(x))
    np.testing.assert_allclose(ft.grad(lambda x: ft.vmap(ft.vmap(f))(x).sum())(xx),
                               2 * np.cos(xx))
    np.testing.assert_allclose(ft.vmap(ft.grad(lambda x: ft.vmap(f)(x).sum()))(xx),
                               2 * np.cos(xx))


def test_custom_vjp_jit() -> None:
    f = _custom_vjp_sin()
    x = 3.0
    np.testing.assert_allclose(ft.jit(f)(x), np.sin(x))
    np.testing.assert_allclose(ft.jit(ft.jit(f))(x), np.sin(x))
    np.testing.assert_allclose(ft.jit(ft.grad(f))(x), 2 * np.cos(x))
    np.testing.assert_allclose(ft.grad(ft.jit(f))(x), 2 * np.cos(x))


def test_custom_vjp_pytrees() -> None:
    @ft.custom_vjp
    def f(x: Any) -> Any:
        return {"b": fnp.sin(x["a"])}

    f.defvjp(lambda x: (f(x), {"r": fnp.cos(x["a"])}),
             lambda res, g: ({"a": 2 * res["r"] * g["b"]},))
    x = {"a": 3.0}
    np.testing.assert_allclose(f(x)["b"], np.sin(3.0))
    assert_tree_close(ft.grad(lambda x: f(x)["b"])(x), {"a": 2 * np.cos(3.0)})


def test_custom_vjp_jvp_error() -> None:
    f = _custom_vjp_sin()
    with pytest.raises(TypeError, match="custom_vjp"):
        ft.jvp(f, (3.0,), (1.0,))
    with pytest.raises(TypeError, match="custom_vjp"):
        ft.jvp(ft.vmap(f), (np.arange(3.0),), (np.ones(3),))


def test_custom_vjp_kwargs() -> None:
    @ft.custom_vjp
    def my_fun(x: Any, y: Any, c: Any = 1.0) -> Any:
        return c * (x + y)

    my_fun.defvjp(lambda x, y, c=1.0: (my_fun(c, y, c), None), lambda _, g: (g, g, g))
    f = lambda x, y: fnp.square(my_fun(x, y, c=2.0)).sum()  # noqa: E731
    np.testing.assert_allclose(f(10.0, 5.0), 900.0)
    # fwd returns my_fun(c, y, c) = 2 * (2 + 5) = 14, so d square / d out = 28, passed on as is.
    np.testing.assert_allclose(ft.grad(f)(10.0, 5.0), 28.0)


def test_custom_vjp_initial_style() -> None:
    f = _custom_vjp_sin()
    foo = lambda x: lax.scan(lambda c, _: (f(c), None), x, None, length=1)[0]  # noqa: E731
    np.testing.assert_allclose(ft.grad(foo)(3.0), 2.0 * np.cos(3.0))
    np.testing.assert_allclose(ft.grad(ft.grad(foo))(3.0), -2.0 * np.sin(3.0))


def test_custom_vjp_initial_style_vmap() -> None:
    @ft.custom_vjp
    def f(x: Any) -> Any:
        assert fnp.ndim(x) == 0
        return 3 * x

    f.defvjp(lambda x: (f(x), fnp.cos(x)), lambda cos_x, g: (2 * cos_x * g,))
    foo = lambda x: lax.scan(lambda c, _: (f(c), None), x, None, length=1)[0]  # noqa: E731
    np.testing.assert_allclose(ft.vmap(foo)(np.arange(3.0)), 3.0 * np.arange(3.0))
    np.testing.assert_allclose(ft.grad(lambda x: ft.vmap(foo)(x).sum())(np.arange(3.0)),
                               2.0 * np.cos(np.arange(3.0)))


def test_custom_vjp_nondiff_arg() -> None:
    @functools.partial(ft.custom_vjp, nondiff_argnums=(0,))
    def app(f: Any, x: Any) -> Any:
        return f(x)

    app.defvjp(lambda f, x: (app(f, x), fnp.cos(x)), lambda f, cos_x, g: (cos_x * g,))
    assert app(lambda x: 2 * x, 1) == 2
    assert_tree_close(ft.value_and_grad(lambda x: app(lambda y: 2 * y, x))(1.0),
                      (2.0, np.cos(1.0)))


def test_custom_vjp_nondiff_arg_tracer() -> None:
    @functools.partial(ft.custom_vjp, nondiff_argnums=(0,))
    def f(x: Any, y: Any) -> Any:
        return x * y

    f.defvjp(lambda x, y: (f(x, y), fnp.cos(y)), lambda x, cos_y, g: (cos_y * g,))
    g = ft.jit(lambda x, y: f(x, y))
    assert g(2, 3.0) == 6.0
    np.testing.assert_allclose(ft.grad(g, 1)(2.0, 3.0), np.cos(3.0))


def test_custom_vjp_missing_rule_error() -> None:
    @ft.custom_vjp
    def foo(x: Any) -> Any:
        return x ** 2

    with pytest.raises(AttributeError, match="foo"):
        foo(2)
    with pytest.raises(AttributeError, match="foo"):
        ft.grad(foo)(2.0)


def test_custom_vjp_rule_inconsistent_pytree_structures() -> None:
    @ft.custom_vjp
    def f(x: Any) -> Any:
        return x

    f.defvjp(lambda x: (x, None), lambda _, g: g)  # returns g, not (g,)
    f(2)
    with pytest.raises(TypeError, match="structure|tuple"):
        ft.grad(f)(2.0)


def test_custom_vjp_vmap_det_under_jit() -> None:
    arr = np.ones((5, 2, 2))
    np.testing.assert_allclose(ft.jit(lambda x: ft.vmap(fnp.linalg.det, (0,))(x))(arr),
                               np.zeros(5))


def test_custom_vjp_lowering_out_of_traces() -> None:
    class F(collections.namedtuple("F", ["a"])):
        def __call__(self, x: Any) -> Any:
            return ft.nn.relu(self.a) * x

    g = ft.jit(lambda f, x: f(x))
    (gx,) = ft.grad(g, argnums=(1,))(F(2.0), 0.0)
    assert gx == 2.0


def test_custom_vjp_nondiff_argnums_stop_gradient() -> None:
    @functools.partial(ft.custom_vjp, nondiff_argnums=(0, 1))
    def _clip_gradient(lo: Any, hi: Any, x: Any) -> Any:
        return x

    _clip_gradient.defvjp(lambda lo, hi, x: (x, (hi,)),
                          lambda lo, hi, _, g: (fnp.clip(g, lo, hi),))

    # A traced value passed through nondiff_argnums is refused, as JAX now does (its
    # UnexpectedTracerError is a TypeError); a constant one works.
    with pytest.raises(TypeError, match="nondiff_argnums"):
        ft.grad(lambda x: _clip_gradient(-1, x + 1, x))(1.0)
    assert ft.grad(lambda x: 5.0 * _clip_gradient(-1, 2.0, x))(1.0) == 2.0


def test_custom_gradient() -> None:
    @ft.custom_gradient
    def f(x: Any) -> Any:
        return x ** 2, lambda g: (g * x,)

    np.testing.assert_allclose(f(3.0), 9.0)
    np.testing.assert_allclose(ft.grad(f)(3.0), 3.0)


# --------------------------------------------------------------------------------------------
# lax_autodiff_test: the regressions that are about transformations


def test_stop_gradient() -> None:
    f = lambda x: lax.sin(x) * lax.cos(lax.stop_gradient(x))  # noqa: E731
    f2 = lambda x, y: lax.sin(x) * lax.cos(y)  # noqa: E731
    np.testing.assert_allclose(ft.grad(f)(3.14), ft.grad(f2)(3.14, 3.14))
    np.testing.assert_allclose(ft.grad(ft.grad(f))(3.14), ft.grad(ft.grad(f2))(3.14, 3.14))
    assert ft.grad(lambda x: lax.stop_gradient({"foo": x})["foo"])(3.0) == 0.0
    with pytest.raises(TypeError):
        lax.stop_gradient(lambda x: x)


def test_remainder_grads() -> None:
    rng = np.random.RandomState(0)
    for xs, ys in [((5, 8), (1, 8)), ((1, 8), (5, 8))]:
        x = rng.uniform(-9, 9, size=xs)
        y = rng.uniform(0.1, 5, size=ys) * rng.choice([-1, 1], size=ys)
        check_grads(lax.rem, (x, y), 2, ["fwd", "rev"])


def test_higher_order_gradient_of_reciprocal() -> None:
    inv = lambda x: 1 / x  # noqa: E731 - deliberately 1/x, not x ** -1
    grad_fn = ft.grad(ft.grad(ft.grad(ft.grad(ft.grad(ft.grad(inv))))))
    np.testing.assert_allclose(grad_fn(np.float32(4.0)), 720 / 4.0 ** 7, rtol=1e-6)


def test_linear_transpose_real_and_imag() -> None:
    (actual,) = ft.linear_transpose(lambda x: x.real, 1.0j)(1.0)
    assert actual == 1.0
    (actual,) = ft.linear_transpose(lambda x: x.imag, 1.0j)(1.0)
    assert actual == -1.0j


def test_pow_shape_mismatch() -> None:
    x = np.arange(4.0)
    actual = ft.jacrev(ft.jit(lax.pow))(x, 2)
    np.testing.assert_array_equal(actual, np.diag(2 * x))


def test_scatter_grad_symbolic_zero_update() -> None:
    # JAX's test calls device_put(x).at[...]: functrace's concrete arrays are NumPy arrays
    # (SPEC §2), without .at, so the update runs under jit, where x is traced.
    @ft.jit
    def f(x: Any) -> Any:
        n = x.shape[0]
        return x.at[np.diag_indices(n)].set(np.arange(n, dtype=x.dtype))

    x = np.random.RandomState(0).randn(5, 5)
    check_grads(f, (x,), 2, ["fwd", "rev"])
    np.testing.assert_array_equal(ft.grad(lambda x: f(x).sum())(x), 1.0 - np.eye(5))


# --------------------------------------------------------------------------------------------
# JitTest (the parts that apply to a pure-Python jit)


def test_jit_of_generator() -> None:
    def gen(x: Any) -> Any:
        yield x

    with pytest.raises(TypeError, match="generator"):
        ft.jit(gen)


def test_jit_unhashable_static_argument() -> None:
    f = ft.jit(lambda x, y: x + y, static_argnums=1)
    with pytest.raises(ValueError, match="hashable"):  # as JAX's
        f(1, np.ones(2))


def test_jit_static_argnums_and_argnames_out_of_range() -> None:
    f = lambda x, y: x + y  # noqa: E731
    with pytest.raises(ValueError):
        ft.jit(f, static_argnums=3)
    with pytest.raises(ValueError):
        ft.jit(f, static_argnames="z")


def test_jit_static_argnames_retrace() -> None:
    side: list[None] = []

    def f(x: Any, y: Any) -> Any:
        side.append(None)
        return x * y

    g = ft.jit(f, static_argnames="y")
    assert g(2.0, y=3) == 6.0
    assert g(4.0, y=3) == 12.0
    assert len(side) == 1
    assert g(2.0, y=4) == 8.0
    assert len(side) == 2
    assert ft.jit(f, static_argnums=1)(1, y=2) == 2


# --------------------------------------------------------------------------------------------
# APITest: integer inputs (float0 tangents and cotangents), pytrees through jvp / vjp


def test_vjp_of_int_index() -> None:
    out, pullback = ft.vjp(lambda x, i: x[i], np.ones(2) * 2, 1)
    assert out == 2.0
    ct_x, ct_i = pullback(1.0)
    np.testing.assert_array_equal(ct_x, [0.0, 1.0])
    assert ct_i.dtype == ft.float0


def test_jvp_of_int_identity() -> None:
    out, out_dot = ft.jvp(lambda x: x, (1,), (np.zeros((), ft.float0),))
    assert out == 1
    assert out_dot.dtype == ft.float0


def test_grad_of_int_with_allow_int() -> None:
    gx, gi = ft.grad(lambda x, i: x * i, argnums=(0, 1), allow_int=True)(2.0, 3)
    assert gx == 3.0
    assert gi.dtype == ft.float0 and gi.shape == ()


def test_jvp_and_vjp_of_pytrees() -> None:
    def f(d: Any) -> Any:
        return {"s": fnp.sin(d["a"]) * d["b"][0], "t": (d["b"][1] ** 2,)}

    d = {"a": np.array([0.5, 1.0]), "b": [2.0, 3.0]}
    t = {"a": np.array([1.0, 0.0]), "b": [0.0, 1.0]}
    out, out_dot = ft.jvp(f, (d,), (t,))
    assert_tree_close(out, {"s": np.sin(d["a"]) * 2.0, "t": (9.0,)})
    assert_tree_close(out_dot, {"s": np.cos(d["a"]) * t["a"] * 2.0, "t": (6.0,)})
    _, pullback = ft.vjp(f, d)
    (ct,) = pullback({"s": np.ones(2), "t": (1.0,)})
    assert_tree_close(ct, {"a": np.cos(d["a"]) * 2.0, "b": [np.sin(d["a"]).sum(), 6.0]})


def test_linearize_has_aux() -> None:
    out, f_jvp, aux = ft.linearize(lambda x: (fnp.sin(x), x ** 2), 1.0, has_aux=True)
    np.testing.assert_allclose((out, f_jvp(2.0), aux), (np.sin(1.0), 2 * np.cos(1.0), 1.0))


# --------------------------------------------------------------------------------------------
# custom_api_test (today's CustomJVPTest): more compositions


def test_custom_jvp_initial_style_under_jit_and_vmap() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return 3 * x

    f.defjvp(lambda primals, tangents: (f(primals[0]), 2 * tangents[0]))
    foo = lambda x: lax.scan(lambda c, _: (f(c), None), x, None, length=1)[0]  # noqa: E731
    for d in (ft.grad(ft.jit(foo)), ft.jit(ft.grad(foo))):
        assert d(3.0) == 2.0
    for d in (ft.grad(ft.grad(ft.jit(foo))), ft.grad(ft.jit(ft.grad(foo))),
              ft.jit(ft.grad(ft.grad(foo)))):
        assert d(3.0) == 0.0
    ones = np.ones(3)
    for v in (ft.vmap(ft.jit(foo)), ft.jit(ft.vmap(foo))):
        np.testing.assert_array_equal(v(ones), 3.0 * ones)
    for loss in (lambda x: ft.vmap(ft.jit(foo))(x).sum(), lambda x: ft.jit(ft.vmap(foo))(x).sum()):
        np.testing.assert_array_equal(ft.grad(loss)(ones), 2.0 * ones)
        np.testing.assert_array_equal(ft.jit(ft.grad(loss))(ones), 2.0 * ones)
        np.testing.assert_array_equal(ft.grad(ft.jit(loss))(ones), 2.0 * ones)


def test_custom_jvp_nondiff_argnames() -> None:
    @functools.partial(ft.custom_jvp, nondiff_argnames=("f",))
    def app(f: Any, x: Any) -> Any:
        return f(x)

    app.defjvp(lambda f, primals, tangents: (app(f, primals[0]), 3 * tangents[0]))
    assert app(lambda x: 2 * x, 1) == 2
    assert_tree_close(ft.jvp(lambda x: app(lambda y: 2 * y, x), (1.0,), (1.0,)), (2.0, 3.0))


def test_custom_jvp_nondiff_arg_vmap_tracer() -> None:
    @functools.partial(ft.custom_jvp, nondiff_argnums=(0,))
    def f(x: Any, y: Any) -> Any:
        return x * y

    f.defjvp(lambda x, primals, tangents: (f(x, primals[0]), 5 * tangents[0]))
    ans = ft.jvp(lambda y: ft.vmap(f)(np.array([2.0]), y), (np.array([3.0]),), (np.array([1.0]),))
    assert_tree_close(ans, (np.array([6.0]), np.array([5.0])))


def test_custom_jvp_nondiff_arg_hiding_jvp_tracer() -> None:
    # JAX's UnexpectedTracerError is a TypeError; functrace names the closure.
    def f(x: Any) -> Any:
        @functools.partial(ft.custom_jvp, nondiff_argnums=(0,))
        def g(h: Any, x: Any) -> Any:
            return h(x)

        g.defjvp(lambda h, primals, tangents: (g(h, primals[0]), 2.0 * tangents[0]))
        return g(lambda y: x + y, x)

    with pytest.raises(TypeError):
        ft.jvp(f, (2.0,), (1.0,))


def test_custom_jvp_rule_primal_out_type_mismatch() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return x

    f.defjvp(lambda primals, tangents: ((primals[0], primals[0]),
                                        (tangents[0], tangents[0])))
    scan_apply = lambda x: lax.scan(lambda x, _: (f(x), None), x, None, length=1)[0]  # noqa: E731
    with pytest.raises(TypeError, match="structure"):
        ft.jvp(scan_apply, (np.float32(1.0),), (np.float32(1.0),))
    f.defjvp(lambda primals, tangents: (fnp.zeros((3,), primals[0].dtype), tangents[0]))
    with pytest.raises(TypeError, match=r"\[3\]"):
        ft.jvp(scan_apply, (np.float32(1.0),), (np.float32(1.0),))


def test_custom_jvp_concurrent_initial_style() -> None:
    # Functions transformed in several threads at once (JAX's trace state is per thread).
    def unroll(param: Any, sequence: Any) -> Any:
        return fnp.sum(lax.scan(lambda s, i: (s, ft.nn.sigmoid(param * i)), None, sequence)[1])

    def run() -> Any:
        return ft.grad(unroll)(np.array(1.0), np.array([1.0, 2.0]))

    expected = run()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = [pool.submit(run) for _ in range(48)]
        for r in results:
            np.testing.assert_allclose(r.result(), expected)
    s = 1 / (1 + np.exp(-np.array([1.0, 2.0])))
    np.testing.assert_allclose(expected, np.sum(s * (1 - s) * np.array([1.0, 2.0])))


def test_custom_jvp_nondiff_argnums_random_keys() -> None:
    @functools.partial(ft.custom_jvp, nondiff_argnums=(0, 2))
    def sample(shape: Any, param: Any, seed: Any) -> Any:
        return ft.random.uniform(key=seed, shape=shape, minval=param)

    @sample.defjvp
    def sample_jvp(shape: Any, seed: Any, primals: Any, tangents: Any) -> Any:
        samples = sample(shape, primals[0], seed)
        return samples, samples * fnp.broadcast_to(tangents[0], shape)

    keys = ft.random.split(ft.random.key(1), 10)
    out = ft.vmap(lambda seed: sample((2, 3), 1.0, seed))(keys)
    np.testing.assert_array_equal(out[3], sample((2, 3), 1.0, keys[3]))
    primal, tangent = ft.jvp(lambda x: sample((2, 3), x, ft.random.key(1)), (1.0,), (1.0,))
    np.testing.assert_array_equal(tangent, primal)


def test_custom_jvp_fun_with_nested_calls() -> None:
    def call(f: Any, *args: Any) -> Any:
        f = ft.custom_jvp(f)
        f.defjvp(lambda primals, tangents: (f(*primals), sum(tangents)))
        return f(*args)

    def fun(x: Any) -> Any:
        def bar(y: Any) -> Any:
            def baz(w: Any) -> Any:
                q = call(lambda x: y, x)
                q = q + call(lambda: y)
                q = q + call(lambda y: w + y, y)
                return call(lambda w: call(fnp.sin, x) * y, 1.0) + q
            return ft.jit(baz)(x)
        return call(bar, x)

    # y = w = x: q = 3 x + x, plus sin(x) * x.
    np.testing.assert_allclose(ft.jit(fun)(3.0), 4 * 3.0 + np.sin(3.0) * 3.0)
    np.testing.assert_allclose(fun(3.0), 4 * 3.0 + np.sin(3.0) * 3.0)
    x = np.arange(3.0)
    np.testing.assert_allclose(ft.vmap(fun)(x), 4 * x + np.sin(x) * x)


def test_custom_jvp_under_checkpoint_higher_order() -> None:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return fnp.sin(x)

    f.defjvp(lambda primals, tangents: (f(primals[0]), 2 * fnp.cos(primals[0]) * tangents[0]))
    g = lambda x: f(f(x))  # noqa: E731
    np.testing.assert_allclose(ft.grad(ft.remat(g))(2.0),
                               4.0 * np.cos(np.sin(2.0)) * np.cos(2.0))
    expected = ft.grad(ft.grad(g))(2.0)
    np.testing.assert_allclose(ft.grad(ft.grad(ft.checkpoint(g)))(2.0), expected)
    np.testing.assert_allclose(ft.grad(ft.checkpoint(ft.grad(g)))(2.0), expected)
    np.testing.assert_allclose(ft.grad(ft.grad(ft.grad(ft.checkpoint(g))))(2.0),
                               ft.grad(ft.grad(ft.grad(g)))(2.0))


# --------------------------------------------------------------------------------------------
# custom_api_test (today's CustomVJPTest): rule contracts and compositions


def test_custom_vjp_rule_contract_errors() -> None:
    @ft.custom_vjp
    def f(x: Any) -> Any:
        return x

    f.defvjp(lambda x: (x, None), lambda _, g: g)  # bwd returns g, not (g,)
    with pytest.raises(TypeError, match="tuple"):
        ft.grad(f)(2.0)
    f.defvjp(lambda x: ((x, x), None), lambda _, g: (g,))  # fwd's primal is not f's output
    with pytest.raises(TypeError, match="structure"):
        ft.grad(lambda x: lax.scan(lambda c, _: (f(c), None), x, None, length=1)[0])(2.0)
    f.defvjp(lambda x: (x, None), lambda _, g: (fnp.ones(3),))  # a cotangent of the wrong shape
    with pytest.raises(ValueError, match="shape"):
        ft.grad(f)(2.0)


def test_custom_vjp_bwd_rule_can_produce_list_or_tuple() -> None:
    @ft.custom_vjp
    def f(x: Any, y: Any) -> Any:
        return x * y

    f.defvjp(lambda x, y: (f(x, y), (x, y)), lambda res, g: [res[1] * g, res[0] * g])
    assert_tree_close(ft.grad(f, (0, 1))(2.0, 3.0), (3.0, 2.0))


def test_custom_vjp_clip_gradient() -> None:
    @ft.custom_vjp
    def clip_gradient(x: Any) -> Any:
        return x

    clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (fnp.clip(g, -1.0, 1.0),))
    assert ft.grad(lambda x: 5.0 * clip_gradient(x))(2.0) == 1.0
    assert ft.jit(ft.grad(lambda x: 0.5 * clip_gradient(x)))(2.0) == 0.5


def test_custom_vjp_float0_cotangent_and_pytree_residuals() -> None:
    @ft.custom_vjp
    def f(x: Any, n: Any) -> Any:
        return x * n

    f.defvjp(lambda x, n: (f(x, n), n), lambda n, g: (n * g, np.zeros((), ft.float0)))
    assert ft.grad(lambda x: f(x, 3))(2.0) == 3.0

    @ft.custom_vjp
    def h(x: Any) -> Any:
        return x ** 2

    h.defvjp(lambda x: (h(x), {"a": (x, [x * 2])}), lambda r, g: (g * r["a"][1][0],))
    assert ft.grad(h)(3.0) == 6.0


def test_custom_vjp_nestable_vjp() -> None:
    def f(x: Any) -> Any:
        @ft.custom_vjp
        def g(y: Any) -> Any:
            return fnp.sin(y)

        g.defvjp(lambda y: (g(y), y), lambda y, ct: (ft.vjp(fnp.sin, y)[1](ct)[0] * 2,))
        return g(x)

    np.testing.assert_allclose(ft.grad(f)(1.0), 2 * np.cos(1.0))
    np.testing.assert_allclose(ft.grad(ft.grad(f))(1.0), -2 * np.sin(1.0))


def test_custom_vjp_closed_over_vmap_tracer() -> None:
    def outer(x: Any) -> Any:
        @ft.custom_vjp
        def f(y: Any) -> Any:
            return x * y

        f.defvjp(lambda y: (f(y), fnp.cos(y)), lambda cos_y, g: (cos_y * x,))
        return f

    x = np.arange(3.0)
    np.testing.assert_allclose(ft.vmap(lambda x: outer(x)(3.0))(x), 3.0 * x)
    np.testing.assert_allclose(ft.vmap(lambda x: ft.grad(outer(x))(3.0))(x), np.cos(3.0) * x)


def test_custom_vjp_jacrev_and_vjp_of_vmap() -> None:
    f = _custom_vjp_sin()
    x = np.arange(3.0)
    np.testing.assert_allclose(ft.jacrev(f)(x), np.diag(2 * np.cos(x)))
    (ct,) = ft.vjp(ft.vmap(f), x)[1](np.ones(3))
    np.testing.assert_allclose(ct, 2 * np.cos(x))


def test_jit_argnums_overflow_error() -> None:
    def f(a: Any, b: Any, c: Any) -> None: ...
    def g(a: Any, /, b: Any, *, c: Any) -> None: ...
    def h(a: Any, *args: Any) -> None: ...
    def i() -> None: ...

    ft.jit(f, static_argnums=(0, 1))
    ft.jit(g, static_argnums=(0, 1))
    ft.jit(f, static_argnums=(0, 1, -3))
    for fun, nums in [(f, (0, 1, 3)), (f, (0, 1, -4)), (g, (0, 1, 3)), (g, (0, 1, -3))]:
        with pytest.raises(ValueError):
            ft.jit(fun, static_argnums=nums)
    ft.jit(h, static_argnums=(0, 999))
    ft.jit(h, static_argnums=(0, -999))
    ft.jit(i, static_argnums=())


def test_jit_argnames_validation() -> None:
    def f(a: Any, b: Any, c: Any) -> None: ...
    def g(a: Any, b: Any, **kwargs: Any) -> None: ...
    def h(a: Any, /, b: Any, c: Any, *args: Any, **kwargs: Any) -> None: ...

    ft.jit(f, static_argnames=("b", "c"))
    with pytest.raises(ValueError):
        ft.jit(f, static_argnames=("b", "c", "not_defined"))
    ft.jit(g, static_argnames=("a", "b", "not_defined"))
    ft.jit(h, static_argnames=("b", "c", "not_defined"))
    with pytest.raises(ValueError):  # positional-only
        ft.jit(h, static_argnames=("a", "c"))
    with pytest.raises(ValueError):  # *args
        ft.jit(h, static_argnames=("args", "c"))


def test_jit_static_args_equality() -> None:
    class A:
        def __hash__(self) -> int:
            return 1

        def __eq__(self, other: object) -> bool:
            return isinstance(other, A)

    side: list[None] = []

    def f(x: Any, static_arg: Any) -> Any:
        side.append(None)
        return x * 100

    f1 = ft.jit(f, static_argnums=(1,))
    assert f1(1, A()) == 100
    assert f1(1, A()) == 100
    assert len(side) == 1


def test_jit_complex_support_and_int32_kwargs() -> None:
    assert ft.jit(lambda x: x + 1)(1 + 1j) == 2 + 1j
    side: list[None] = []

    @ft.jit
    def f(x: Any, y: Any, z: Any) -> Any:
        side.append(None)
        return 100 * x + 10 * y + z.astype(y.dtype)

    one, two, three = (np.asarray(v, np.int32) for v in (1, 2, 3))
    assert f(one, two, three) == 123
    assert f(one, two, three) == 123
    assert len(side) == 1
    assert f(one, two, z=three) == 123
    assert f(one, two, z=three) == 123
    assert len(side) == 2
    np.testing.assert_array_equal(f(one, two, z=np.zeros(3)), [120, 120, 120])
    assert len(side) == 3


def test_jit_on_methods() -> None:
    class A:
        @functools.partial(ft.jit, static_argnums=(0,))
        def my_func_jit(self, x: Any) -> Any:
            return x + 2

    assert A().my_func_jit(3) == 5
    with pytest.raises(TypeError, match="callable"):
        ft.jit(classmethod(lambda cls, x: x))  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="staticmethod"):
        ft.jit(staticmethod(lambda x: x))  # type: ignore[call-overload]


def test_jit_bad_inputs() -> None:
    f = ft.jit(lambda x: x)
    with pytest.raises(TypeError):
        f("foo")
    with pytest.raises(TypeError):
        f(np.int32)
    with pytest.raises(ValueError, match="masked"):
        f(np.ma.array([1, 2, 3], mask=[True, False, True]))


def test_jit_static_argument_comparison_errors() -> None:
    class HashableWithoutEq:
        def __hash__(self) -> int:
            return 1

        def __eq__(self, other: object) -> bool:
            raise NotImplementedError("no comparison")

    f = ft.jit(lambda x, y: x + 3, static_argnums=[1])
    with pytest.raises(ValueError, match="__eq__"):
        f(1, HashableWithoutEq())
        f(1, HashableWithoutEq())

    class HashRaises:
        def __hash__(self) -> int:
            raise ValueError

    with pytest.raises(ValueError):
        ft.jit(lambda x: x + 1, static_argnums=(0,))(HashRaises())


def test_concurrent_jit() -> None:
    f = ft.jit(lambda x: x + x - 3.0)
    xs = [np.random.RandomState(i).randn(i) for i in range(10)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        ys = [r.result() for r in [pool.submit(f, x) for x in xs]]
    for x, y in zip(xs, ys, strict=True):
        np.testing.assert_allclose(y, x * 2 - 3.0)


def test_jit_wrapped_attributes_and_builtins() -> None:
    def f(x: int) -> int:
        """docstring of f."""
        return x + 1

    f.some_value = 4  # type: ignore[attr-defined]
    jf = ft.jit(f)
    for attr in ["doc", "name", "module", "qualname", "annotations"]:
        assert getattr(f, f"__{attr}__") == getattr(jf, f"__{attr}__")
    assert jf.some_value == 4
    np.testing.assert_array_equal(ft.jit(operator.add, static_argnums=(1,))(np.array([1, 2]), 1),
                                  [2, 3])


def test_jit_static_argnums_by_keyword_and_default() -> None:
    def f(x: Any) -> Any:
        assert x == "foo"
        return 1

    for g in (ft.jit(f, static_argnums=0), ft.jit(f, static_argnames="x")):
        assert g("foo") == 1
        assert g(x="foo") == 1
    assert ft.jit(lambda x: x, static_argnums=0)(x=4) == 4
    assert ft.jit(lambda x=4: x, static_argnums=0)() == 4


def test_jit_omnistaging_leaks_a_tracer_into_a_global() -> None:
    key_list = [ft.random.key(0)]

    def init() -> Any:
        key, subkey = ft.random.split(key_list[0])
        key_list[0] = key
        return ft.random.normal(subkey, ())

    init()
    ft.jit(init)()
    assert isinstance(key_list[0], ft.core.Tracer)
    with pytest.raises(TracerLeakError):
        init()


def test_jit_lower_compile() -> None:
    f_jit = ft.jit(lambda x: fnp.sqrt(x ** 2) + 1.0)
    lowered = f_jit.lower(1.0)
    compiled = lowered.compile()
    assert compiled(1.0) == 2.0
    (aval,), kwargs = lowered.in_avals
    assert (aval.shape, aval.dtype, kwargs) == ((), np.float64, {})
    assert lowered.in_tree == ft.tree_util.tree_structure(((0,), {}))
    assert isinstance(lowered.as_text(), str)
    with pytest.raises(TypeError, match="pytree"):
        compiled([1.0])
    with pytest.raises(TypeError, match="types differ"):
        ft.jit(lambda x: x + 1).lower(np.float32(1)).compile()(np.int32(1))
    with pytest.raises(TypeError, match="transformations"):
        ft.vmap(lambda x: ft.jit(lambda x: x + 4).lower(1.0).compile()(x) + 2)(np.ones(3))


def test_jit_lower_duck_typing_multi_arg_and_statics() -> None:
    exe = ft.jit(lambda x: 2 * x).lower(ft.ShapeDtypeStruct((), "float32")).compile()
    assert exe(np.float32(1.0)) == np.float32(2.0)
    assert ft.jit(lambda *args: args[0]).lower(1.0, 1.0).compile()(1.0, 1.0) == 1.0
    c = ft.jit(lambda x, n: x * n, static_argnums=1).lower(1.0, 3).compile()
    assert c(2.0) == 6.0  # static arguments are fixed by lower
    with pytest.raises(TypeError, match="pytree"):
        c(2.0, 3)


def test_jit_static_argnums_requires_type_equality() -> None:
    side: list[Any] = []

    @functools.partial(ft.jit, static_argnums=(0,))
    def f(k: Any) -> Any:
        side.append(k)
        return k

    for x in [1, True, 1.0]:  # equal values of different types: no cache hit
        assert f(x) == x
        assert f(x) == x
    assert len(side) == 3


def test_jit_nan_times_zero_and_item() -> None:
    f = lambda x: 1 + x * 0  # noqa: E731
    assert np.isnan(f(np.nan)) and np.isnan(ft.jit(f)(np.nan))
    assert ft.grad(lambda x: x ** 2 if x.astype(bool).item() else x)(2.0) == 4.0
    with pytest.raises(ConcretizationError):
        ft.jit(lambda x: x.item())(np.array(1.0))


@pytest.mark.parametrize("transform", [ft.grad, ft.jacfwd, ft.jacrev])
def test_grad_wrap(transform: Any) -> None:
    # A transformed function keeps the signature of the function it transforms, so that jit
    # finds its static argument by name.
    @functools.partial(ft.jit, static_argnames=["flag"])
    @transform
    def my_function(x: Any, flag: bool) -> Any:
        return x if flag else fnp.zeros_like(x)

    assert my_function(1.0, False) == 0.0
    assert my_function(1.0, True) == 1.0


def test_vmap_inconsistent_sizes_messages() -> None:
    with pytest.raises(ValueError, match="inconsistent sizes"):
        ft.vmap(lambda x1, x2, g: g(x1, x2), (0, 0, None))(np.ones(2), np.ones(3), fnp.add)
    with pytest.raises(ValueError, match="inconsistent sizes"):
        ft.vmap(lambda x1, x2, a3: x1 + x2 + a3)(np.ones(2), a3=np.ones(1), x2=np.ones(2))


def test_hessian_holomorphic_and_aux() -> None:
    rng = np.random.RandomState(0)
    a, x = rng.randn(4, 4), rng.randn(4)
    z = x.astype(complex) * (1 + 2j)
    h = ft.hessian(lambda x: fnp.dot(x, fnp.dot(a.astype(x.dtype), x)), holomorphic=True)(z)
    np.testing.assert_allclose(h, a + a.T)
    h, aux = ft.hessian(lambda x: (fnp.dot(x, fnp.dot(a, x)), x), has_aux=True)(x)
    np.testing.assert_allclose(h, a + a.T)
    np.testing.assert_array_equal(aux, x)


def test_list_index_and_casts_under_jit() -> None:
    lst = [1, 2, 3]
    assert ft.jit(lambda n: lst[n], static_argnums=(0,))(0) == 1
    with pytest.raises(ConcretizationError, match="__index__"):
        ft.jit(lambda n: lst[n])(0)


def test_linear_transpose_abstract_integer_complex_and_zeros() -> None:
    x = types.SimpleNamespace(shape=(3,), dtype=np.dtype(np.float32))
    y = np.arange(3, dtype=np.float32)
    (z,) = ft.linear_transpose(lambda x: 2 * x, x)(y)
    np.testing.assert_array_equal(z, 2 * y)
    assert z.dtype == np.float32
    (actual,) = ft.linear_transpose(lambda x: 2 * x, 1)(3)
    assert actual == 6 and actual.dtype.kind == "i"
    jf = ft.jit(lambda x: (2 * x, x > 0))
    assert ft.linear_transpose(lambda x: jf(x)[0], 1.0)(1.0) == (2.0,)
    (actual,) = ft.linear_transpose(lambda x: (1 + 2j) * x, 1j)(3 + 4j)
    assert actual == -5 + 10j
    (actual,) = ft.linear_transpose(lambda x: x[0], [1.0, 2.0])(3.0)
    assert_tree_close(actual, [3.0, 0.0])


def test_linear_transpose_errors() -> None:
    with pytest.raises(TypeError, match="linear_transpose only supports"):
        ft.linear_transpose(lambda x: 2.0 * x, 1)
    with pytest.raises(TypeError, match="cotangent tree does not match"):
        ft.linear_transpose(lambda x: [x, x], 1.0)(1.0)
    for f, ct in [(lambda x: fnp.stack([x, x]), 1.0), (lambda x: 1j * x, 1.0),
                  (lambda x: x, 1j)]:
        with pytest.raises(TypeError, match="cotangent type does not match"):
            ft.linear_transpose(f, 1.0)(ct)


def test_grad_and_aux_errors_and_jac_aux() -> None:
    for bad in (lambda x: (1, 2, 3), lambda x: x, lambda x: (x,)):
        with pytest.raises(TypeError, match="pair"):
            ft.grad(bad, has_aux=True)(1.0)
    for jac in (ft.jacfwd, ft.jacrev):
        j, aux = jac(lambda x: (x ** 3, [x ** 2]), has_aux=True)(3.0)
        assert j == 27.0
        assert_tree_close(aux, [9.0])

        def f(x: Any, jac: Any = jac) -> Any:
            _, aux = jac(lambda x: (x ** 3, [x ** 3]), has_aux=True)(x)
            return aux[0] * fnp.sin(x)

        expected = 3 * 4.0 ** 2 * np.sin(4.0) + 4.0 ** 3 * np.cos(4.0)
        for d in (jac(f), ft.jit(jac(f)), ft.jit(jac(ft.jit(f)))):
            np.testing.assert_allclose(d(4.0), expected)
    primal, tangent, aux = ft.jvp(lambda x: (x ** 3, [x ** 2]), (3.0,), (4.0,), has_aux=True)
    assert (primal, tangent) == (27.0, 108.0)
    assert_tree_close(aux, [9.0])


def test_jvp_and_vjp_shape_and_type_mismatches() -> None:
    fun = lambda x: x + 1  # noqa: E731
    for p, t in [(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])),
                 (np.float32(10.0), np.array([1.0, 2.0, 3.0], np.float32)),
                 (np.array([1.0, 2.0, 3.0], np.float32), np.float32(20.0)),
                 (np.array([1.0, 2.0, 3.0]), 20.0)]:
        with pytest.raises(ValueError, match="shape"):
            ft.jvp(fun, (p,), (t,))
    _, pullback = ft.vjp(lambda x, y: x * y, np.float32(3), np.float32(4))
    with pytest.raises(ValueError, match="structure"):
        pullback((np.float32(7), np.float32(100)))
    with pytest.raises(ValueError, match="dtype"):
        pullback(np.float16(42))
    _, pullback = ft.vjp(lambda x, y: x @ y, np.ones((2, 5), np.float32),
                         np.ones((5, 3), np.float32))
    with pytest.raises(ValueError, match="shape"):
        pullback(np.ones((2, 4), np.float32))


def test_heterogeneous_jacobians_and_grad() -> None:
    a = (np.array([2.0], np.float16), np.array([3.0], np.float32))
    f = lambda tup: (tup[0], tup[1], tup[0] + tup[1])  # noqa: E731
    fwd = ft.jacfwd(f)(a)
    assert [[v.dtype for v in row] for row in fwd] == [[np.float16, np.float16],
                                                      [np.float32, np.float32],
                                                      [np.float32, np.float32]]
    rev = ft.jacrev(f)(a)
    assert [[v.dtype for v in row] for row in rev] == [[np.float16, np.float32]] * 3
    one, zero = np.ones((1, 1)), np.zeros((1, 1))
    for jac in (fwd, rev):
        assert_tree_close(jac, ((one, zero), (zero, one), (one, one)))
    g = ft.grad(lambda tup: fnp.square(fnp.abs(tup[0])) + tup[1])((np.array(1.0 + 1j),
                                                                   np.array(2.0)))
    assert_tree_close(g, (2 - 2j, 1.0))


def test_shape_dtype_struct_hash_and_errors() -> None:
    s1 = ft.ShapeDtypeStruct(shape=(2, 3), dtype=np.float32)
    s2 = ft.ShapeDtypeStruct(shape=(2, 3), dtype=np.float32)
    s3 = ft.ShapeDtypeStruct(shape=(2, 4), dtype=np.float32)
    assert hash(s1) == hash(s2) and hash(s1) != hash(s3)
    with pytest.raises(TypeError, match="not iterable"):
        ft.ShapeDtypeStruct(shape=4, dtype="float32")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dtype must be specified"):
        ft.ShapeDtypeStruct(shape=(), dtype=None)


def test_eval_shape_duck_typing_broadcast_and_dict_subclass() -> None:
    class MyArgArray:
        def __init__(self, shape: tuple[int, ...], dtype: Any):
            self.shape, self.dtype = shape, np.dtype(dtype)

    out = ft.eval_shape(lambda a, b, x: fnp.dot(a, x) + b, MyArgArray((3, 4), np.float32),
                        MyArgArray((1, 5), np.float32), MyArgArray((4, 5), np.float32))
    assert out.shape == (3, 5)

    class EasyDict(dict):  # type: ignore[type-arg]
        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.__dict__ = self

    assert ft.eval_shape(lambda x: x, EasyDict(shape=(3,), dtype=np.dtype("float32"))).shape == (3,)


def test_block_until_ready_mixed() -> None:
    tree = ft.block_until_ready((ft.device_put(1.0), np.ones(3), 4))
    assert_tree_close(tree, (1.0, np.ones(3), 4))


def test_integer_inputs_through_jvp_vjp_grad() -> None:
    f0 = np.zeros((), ft.float0)
    for f in (lambda x: x + 1, ft.jit(lambda x: x + 1)):
        out, out_dot = ft.jvp(f, (2,), (f0,))
        assert out == 3 and out_dot.dtype == ft.float0
    primal, tangent = ft.jvp(lambda x: x.astype(np.int32) + 1, (2.0,), (1.0,))
    assert primal == np.int32(3) and tangent.dtype == ft.float0
    (ct,) = ft.vjp(lambda x: lax.reshape(x, (2, 2)), np.ones((4, 1), int))[1](
        np.zeros((2, 2), ft.float0))
    assert ct.shape == (4, 1) and ct.dtype == ft.float0
    cts = ft.jit(ft.vjp(lambda x, y: x + y, 2, 1)[1])(f0)
    assert [c.dtype for c in cts] == [ft.float0, ft.float0]
    out, pullback = ft.vjp(lax.full_like, np.zeros((2, 2)), 1)
    ct_x, ct_y = pullback(out)
    np.testing.assert_array_equal(ct_x, np.zeros((2, 2)))
    assert ct_y.dtype == ft.float0
    value, g = ft.value_and_grad(lambda p: lax.cond(p, lambda _: 1.0, lambda _: 2.0, 1.0),
                                 allow_int=True)(True)
    assert value == 1.0 and g.dtype == ft.float0
    gx, gi = ft.jit(ft.grad(lambda x, i: x[i], argnums=(0, 1), allow_int=True))(np.ones(2), 1)
    np.testing.assert_array_equal(gx, [0.0, 1.0])
    assert gi.dtype == ft.float0


def test_float0_arrays() -> None:
    g = ft.grad(lambda x: fnp.sum(x + 0.0), allow_int=True)(np.ones((2, 4), dtype=int))
    assert g.reshape((4, 2)).dtype == ft.float0 and g.transpose().shape == (4, 2)
    g0 = ft.grad(lambda x: x + 0.0, allow_int=True)(1)
    for op in (lambda: g0 + np.zeros(()), lambda: lax.add(g0, np.zeros(())),
               lambda: fnp.add(g0, np.zeros(()))):
        with pytest.raises(TypeError):  # float0 values support no arithmetic
            op()


def test_vmap_preserves_docstr() -> None:
    def superfun(a: Any) -> None:
        """Does things with stuff."""

    doc = ft.vmap(superfun).__doc__
    assert doc is not None
    lines = doc.split("\n")
    assert lines[0].startswith("Vectorized version of superfun")
    assert lines[1:] == ["", "Original documentation:", "", "Does things with stuff."]


def test_vmap_argument_errors() -> None:
    with pytest.raises(TypeError, match="in_axes must be an int"):
        ft.vmap(lambda x: x["a"], in_axes={"a": 0})
    with pytest.raises(ValueError, match=r"len\(in_axes\)=2, len\(args\)=1"):
        ft.vmap(lambda x: x["a"], in_axes=(0, {"a": 0}))({"a": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="tree prefix"):
        ft.vmap(lambda x: x, in_axes=([0],))(np.ones(3))
    with pytest.raises(ValueError, match="inconsistent sizes"):
        ft.vmap(lambda x, y: x + y)(np.array([1], "int32"), y=np.array([1, 2], "int32"))
    with pytest.raises(ValueError, match="out_axes"):
        ft.vmap(lambda x: x, out_axes=None, axis_name="foo")(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="must be an int"):
        ft.vmap(lambda x: x, in_axes=False)(np.zeros(3))
    with pytest.raises(ValueError):
        ft.vmap(lambda x: x)({})


def test_grad_object_array_and_custom_nodes_with_none() -> None:
    with pytest.raises(TypeError, match="object"):
        ft.grad(lambda x: x)(np.array([1, 2, 3], dtype=object))

    class CustomNode(list):  # type: ignore[type-arg]
        pass

    def unflatten(aux: Any, children: Any) -> CustomNode:
        assert children[0] is not None  # never rebuilt with None leaves
        return CustomNode(children)

    ft.tree_util.register_pytree_node(CustomNode, lambda x: (x, None), unflatten)
    assert_tree_close(list(ft.grad(lambda x: x[0])(CustomNode([0.0]))), [1.0])
    assert_tree_close(list(ft.device_put(CustomNode([0.1]))), [0.1])


def test_nested_jit_results() -> None:
    f = ft.jit(lambda x, y: (y + 2 * x, 3))
    g = ft.jit(lambda x: f(2, x))
    assert g(3) == (7, 3)
