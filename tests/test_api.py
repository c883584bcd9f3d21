"""The public API's contract (SPEC §2-§4): errors, argument handling, pytrees, has_aux,
higher-order derivatives, linearize, Jacobian layout, dtypes, NumPy interop, printed jaxprs.

Tables first, then the tests that cross them.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace import lax
from functrace.errors import ConcretizationError, TracerLeakError
from functrace.interpreters.eval import eval_jaxpr
from functrace.testing import numerical_jacobian

Point = namedtuple("Point", ["x", "y"])


def _branchy(x: Any) -> Any:
    """Python control flow on a traced value."""
    if x > 0:
        return x * x
    return -x


def _branchy_vec(x: Any) -> Any:
    if fnp.sum(x) > 0:
        return fnp.sin(x) * 2.0
    return x * x


# ---------------------------------------------------------------------------------------------
# SPEC §3: bad input gets a clear error, never a wrong number.
# (id, thunk, error type, fragments the message must contain)

_leaked: list[Any] = []


class _ForeignUfunc:
    """Stands for a ufunc of another library with a NumPy ufunc's name (scipy.special.log1p):
    it must not be taken for NumPy's."""

    __name__ = "log1p"


def _store_in_numpy(x: Any) -> Any:
    y = np.zeros(3)
    y[0] = x[0]  # NumPy calls float(x[0]): refused, rather than a gradient missing 2 * x[0]
    return fnp.sum(y * x)


def _leak_then(use: Callable[[Any], Any]) -> Callable[[], Any]:
    def thunk() -> Any:
        _leaked.clear()
        ft.grad(lambda x: _leaked.append(x) or x * x)(1.0)
        return use(_leaked[0])

    return thunk


ERRORS: list[tuple[str, Callable[[], Any], type[BaseException], list[str]]] = [
    ("grad of a vector", lambda: ft.grad(lambda x: x * 2.0)(np.ones(3)),
     TypeError, ["scalar", "(3,)"]),
    ("grad of a matrix", lambda: ft.grad(lambda x: fnp.outer(x, x))(np.ones(2)),
     TypeError, ["scalar", "(2, 2)"]),
    ("grad of a pytree output", lambda: ft.grad(lambda x: (x, x))(1.0), TypeError, ["scalar"]),
    ("value_and_grad of a vector",
     lambda: ft.value_and_grad(lambda x: x * 2.0)(np.ones(3)), TypeError, ["(3,)"]),
    ("grad w.r.t. an int", lambda: ft.grad(lambda x: x * 2.0)(np.array(1)),
     TypeError, ["int64", "argument 0"]),
    ("grad w.r.t. a Python int", lambda: ft.grad(lambda x: x * 2.0)(3),
     TypeError, ["int", "argument 0"]),
    ("grad w.r.t. a bool, argnums=1",
     lambda: ft.grad(lambda x, y: x * y, argnums=1)(1.0, np.array(True)),
     TypeError, ["bool", "argument 1"]),
    ("grad w.r.t. int32 in a pytree",
     lambda: ft.grad(lambda p: p["a"] * 1.0)({"a": np.array(2, np.int32)}),
     TypeError, ["int32", "argument 0"]),
    ("jacfwd w.r.t. an int", lambda: ft.jacfwd(lambda x: x * 1.0)(np.arange(3)),
     TypeError, ["int64", "argument 0"]),
    ("jacrev w.r.t. an int", lambda: ft.jacrev(lambda x: x * 1.0)(np.arange(3)),
     TypeError, ["int64", "argument 0"]),
    ("if under make_jaxpr", lambda: ft.make_jaxpr(_branchy)(1.0),
     ConcretizationError, ["bool()", "static_argnums", "lax.cond"]),
    ("if under vmap", lambda: ft.vmap(_branchy)(np.ones(3)),
     ConcretizationError, ["bool()", "static_argnums", "lax.cond"]),
    ("if under jit", lambda: ft.jit(_branchy)(1.0),
     ConcretizationError, ["bool()", "static_argnums", "lax.cond"]),
    ("int() under make_jaxpr", lambda: ft.make_jaxpr(lambda x: x * int(x))(1.0),
     ConcretizationError, ["int()"]),
    ("float() under vmap", lambda: ft.vmap(lambda x: x * float(x))(np.ones(2)),
     ConcretizationError, ["float()"]),
    ("a traced value stored in a NumPy array", lambda: ft.grad(_store_in_numpy)(np.ones(3)),
     ValueError, ["array element"]),
    ("np.asarray under make_jaxpr", lambda: ft.make_jaxpr(lambda x: np.asarray(x))(1.0),
     ConcretizationError, ["np.asarray"]),
    ("leaked tracer in arithmetic", _leak_then(lambda t: t + 1.0), TracerLeakError, []),
    ("leaked tracer in a later grad",
     _leak_then(lambda t: ft.grad(lambda y: y * t)(2.0)), TracerLeakError, []),
    ("leaked tracer made concrete", _leak_then(float), TracerLeakError, []),
    ("leaked tracer under make_jaxpr",
     _leak_then(lambda t: ft.make_jaxpr(lambda y: fnp.sin(t) + y)(2.0)), TracerLeakError, []),
    ("shapes that do not broadcast",
     lambda: ft.make_jaxpr(lambda x, y: x + y)(np.ones((2, 3)), np.ones(4)),
     ValueError, ["add", "(2, 3)", "(4,)"]),
    ("broadcast under grad",
     lambda: ft.grad(lambda x: fnp.sum(x * np.ones(4)))(np.ones(3)),
     ValueError, ["(3,)", "(4,)"]),
    ("where that does not broadcast",
     lambda: ft.make_jaxpr(lambda x: fnp.where(x > 0, x, np.ones(2)))(np.ones(3)),
     ValueError, ["where", "(3,)", "(2,)"]),
    ("matmul that does not contract",
     lambda: ft.make_jaxpr(lambda x, y: x @ y)(np.ones((2, 3)), np.ones((4, 5))),
     ValueError, ["matmul", "(2, 3)", "(4, 5)"]),
    ("dot that does not contract",
     lambda: ft.make_jaxpr(lambda x: np.dot(x, np.ones(4)))(np.ones(3)),
     ValueError, ["dot", "(3,)", "(4,)"]),
    ("vmap with mismatched axis sizes",
     lambda: ft.vmap(lambda x, y: x + y)(np.ones(3), np.ones(4)),
     ValueError, ["size", "3", "4"]),
    ("vmap in_axes out of range", lambda: ft.vmap(lambda x: x, in_axes=2)(np.ones(3)),
     ValueError, ["in_axes", "(3,)"]),
    ("vmap in_axes of the wrong length",
     lambda: ft.vmap(lambda x: x, in_axes=(0, 0))(np.ones(3)), ValueError, ["in_axes"]),
    ("vmap in_axes that do not match the tree",
     lambda: ft.vmap(lambda p: p["a"], in_axes=({"b": 0},))({"a": np.ones(3)}),
     ValueError, ["in_axes"]),
    ("vmap of a scalar over axis 0", lambda: ft.vmap(lambda x: x)(1.0), ValueError, ["in_axes"]),
    ("vmap with nothing batched", lambda: ft.vmap(lambda x: x, in_axes=None)(np.ones(2)),
     ValueError, ["axis_size"]),
    ("argnums out of range", lambda: ft.grad(lambda x, y: x, argnums=2)(1.0, 2.0),
     ValueError, ["argnums", "2"]),
    ("negative argnums out of range",
     lambda: ft.grad(lambda x: x, argnums=-2)(1.0), ValueError, ["argnums"]),
    ("repeated argnums", lambda: ft.grad(lambda x, y: x * y, argnums=(0, 0))(2.0, 3.0),
     ValueError, ["argnums", "more than once"]),
    ("argnums repeated through a negative index",
     lambda: ft.jacfwd(lambda x, y: x * y, argnums=(1, -1))(2.0, 3.0), ValueError,
     ["more than once"]),
    ("vmap in_axes a dict at the top (ValueError)",
     lambda: ft.vmap(lambda x: x, in_axes={"a": 0})(np.ones(3)), ValueError, ["in_axes"]),
    ("vmap in_axes a float (TypeError, as JAX)",
     lambda: ft.vmap(lambda x: x, in_axes=1.0)(np.ones(3)), TypeError, ["in_axes"]),
    ("vmap out_axes a string", lambda: ft.vmap(lambda x: x, out_axes="a")(np.ones(3)),
     ValueError, ["out_axes"]),
    ("jacrev argnums out of range",
     lambda: ft.jacrev(lambda x: x, argnums=(0, 1))(np.ones(2)), ValueError, ["argnums"]),
    ("has_aux output not a pair", lambda: ft.grad(lambda x: x * x, has_aux=True)(1.0),
     TypeError, ["grad(..., has_aux=True) requires", "pair (output, aux)"]),
    ("has_aux output a triple",
     lambda: ft.value_and_grad(lambda x: (x, x, x), has_aux=True)(1.0), TypeError, ["pair"]),
    ("vjp has_aux not a pair", lambda: ft.vjp(lambda x: x, 1.0, has_aux=True),
     TypeError, ["pair"]),
    ("jacfwd has_aux not a pair", lambda: ft.jacfwd(lambda x: x, has_aux=True)(np.ones(2)),
     TypeError, ["pair"]),
    ("jacrev of an integer output", lambda: ft.jacrev(lambda x: fnp.argmax(x))(np.ones(3)),
     TypeError, ["jacrev", "real-valued", "int64"]),
    ("unsupported NumPy function",
     lambda: ft.grad(lambda x: np.lib.stride_tricks.sliding_window_view(x, 2).sum())(
         np.eye(2)), TypeError, ["numpy.lib.stride_tricks.sliding_window_view"]),
    ("unsupported NumPy ufunc", lambda: ft.grad(lambda x: np.bitwise_count(x))(1.0),
     TypeError, ["bitwise_count"]),
    ("another library's ufunc named as NumPy's",
     lambda: ft.grad(lambda x: x.__array_ufunc__(_ForeignUfunc(), "__call__", x))(1.0),
     TypeError, ["'log1p'", "not NumPy's"]),
    ("unsupported ufunc method",
     lambda: ft.make_jaxpr(lambda x: np.arctan2.accumulate(x))(np.ones(3)),
     TypeError, ["arctan2.accumulate"]),
    ("ufunc.at on a traced array",
     lambda: ft.make_jaxpr(lambda x: np.add.at(x, [0], 1.0))(np.ones(3)),
     TypeError, ["add.at", "inplace=False"]),
    ("unsupported NumPy function under vmap",
     lambda: ft.vmap(lambda x: np.real_if_close(x))(np.ones((2, 4))), TypeError,
     ["real_if_close"]),
]


@pytest.mark.parametrize("thunk,error,fragments",
                         [pytest.param(t, e, f, id=i) for i, t, e, f in ERRORS])
def test_errors(thunk: Callable[[], Any], error: type[BaseException],
                fragments: list[str]) -> None:
    with pytest.raises(error) as info:
        thunk()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from the message: {message}"


def test_error_classes_subclass_builtins() -> None:
    assert issubclass(ConcretizationError, TypeError)
    assert issubclass(TracerLeakError, RuntimeError)


# ---------------------------------------------------------------------------------------------
# Python control flow on values works where tracers know them (SPEC §3, last paragraph)

@pytest.mark.skipif(sys.version_info < (3, 11),
                    reason="Python 3.10 has no instruction positions: all calls are allowed")
@pytest.mark.parametrize("thunk,words", [
    (lambda: ft.grad(lambda x: math.sin(x) * x)(2.0), ["math.sin(x)", "derivative", "fnp.sin"]),
    (lambda: ft.jvp(lambda x: math.exp(2 * x), (1.0,), (1.0,)), ["math.exp(2 * x)", "fnp.exp"]),
    (lambda: ft.grad(lambda x: x * sum([x, 1.0], start=math.fsum([x])))(2.0), ["math.fsum"]),
])
def test_c_code_converting_a_tracer_to_a_number_raises(thunk: Callable[[], Any],
                                                       words: list[str]) -> None:
    # math.sin(x) calls float(x): it would return a number without the derivative.
    with pytest.raises(ConcretizationError) as info:
        thunk()
    for word in words:
        assert word in str(info.value)


CONTROL_FLOW: list[tuple[str, Callable[[], Any], Any]] = [
    ("grad, x > 0", lambda: ft.grad(_branchy)(3.0), 6.0),
    ("grad, x < 0", lambda: ft.grad(_branchy)(-3.0), -1.0),
    ("value_and_grad", lambda: ft.value_and_grad(_branchy)(2.0)[1], 4.0),
    ("jvp", lambda: ft.jvp(_branchy, (2.0,), (1.0,))[1], 4.0),
    ("vjp", lambda: ft.vjp(_branchy, -2.0)[1](1.0)[0], -1.0),
    ("jacfwd", lambda: ft.jacfwd(_branchy_vec)(np.array([0.5, 1.0])),
     np.diag(2.0 * np.cos([0.5, 1.0]))),
    ("jacrev", lambda: ft.jacrev(_branchy_vec)(np.array([-0.5, -1.0])),
     np.diag([-1.0, -2.0])),
    ("hessian", lambda: ft.hessian(lambda x: fnp.sum(_branchy_vec(x)))(np.array([1.0, 2.0])),
     np.diag(-2.0 * np.sin([1.0, 2.0]))),
    ("grad(grad)", lambda: ft.grad(ft.grad(_branchy))(3.0), 2.0),
    ("float() for logging", lambda: ft.grad(lambda x: x * float(x))(3.0), 3.0),
    ("float() and formatting for logging", lambda: ft.grad(_logged)(3.0), 6.0),
    ("float() in a hot loop", lambda: ft.grad(_float_in_a_loop)(3.0), 60.0),
    ("a while loop to tolerance", lambda: ft.grad(_newton_sqrt)(2.0), 0.5 / np.sqrt(2.0)),
]


def _logged(x: Any) -> Any:
    text = f"{float(x):.3f} " + "%.3f" % x + str(math.isfinite(x))  # noqa: UP031
    assert text == "3.000 3.000True"
    return x * x


def _float_in_a_loop(x: Any) -> Any:
    # Python 3.11 specialises a call run often enough and runs it in its PRECALL instruction.
    total = 0.0
    for _ in range(20):
        total += float(x)
    return x * total


def _newton_sqrt(a: Any) -> Any:
    """sqrt(a) by Newton's method, iterated while the error is large (a value-dependent loop)."""
    x = a
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


@pytest.mark.parametrize("thunk,expected",
                         [pytest.param(t, e, id=i) for i, t, e in CONTROL_FLOW])
def test_python_control_flow_on_known_values(thunk: Callable[[], Any], expected: Any) -> None:
    np.testing.assert_allclose(thunk(), expected, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# argnums, pytrees, has_aux


def test_argnums_int_and_tuple() -> None:
    def f(x, y, z):
        return x * y ** 2 + fnp.sin(z)

    x, y, z = 1.5, -2.0, 0.3
    assert np.allclose(ft.grad(f)(x, y, z), y ** 2)
    assert np.allclose(ft.grad(f, argnums=1)(x, y, z), 2 * x * y)
    assert np.allclose(ft.grad(f, argnums=-1)(x, y, z), np.cos(z))
    gx, gz = ft.grad(f, argnums=(0, 2))(x, y, z)
    assert np.allclose([gx, gz], [y ** 2, np.cos(z)])
    (g1,) = ft.grad(f, argnums=(1,))(x, y, z)  # a 1-tuple gives a 1-tuple
    assert np.allclose(g1, 2 * x * y)
    jx, jz = ft.jacfwd(f, argnums=(0, 2))(x, y, z)
    assert np.allclose([jx, jz], [y ** 2, np.cos(z)])
    jx, jz = ft.jacrev(f, argnums=(0, 2))(x, y, z)
    assert np.allclose([jx, jz], [y ** 2, np.cos(z)])


def test_pytrees_in_and_out() -> None:
    params = {"w": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([0.5, -0.5]),
              "extra": [Point(np.array(2.0), np.array([1.0, 1.0])), (np.array(3.0),)]}
    x = np.array([1.0, -1.0])

    def loss(p, x):
        h = fnp.tanh(x @ p["w"] + p["b"])
        pt, (s,) = p["extra"]
        return fnp.sum(h * pt.y) * pt.x + s ** 2

    g = ft.grad(loss)(params, x)
    assert set(g) == {"w", "b", "extra"} and isinstance(g["extra"][0], Point)
    assert isinstance(g["extra"][1], tuple)
    flat, tree = ft.tree_util.tree_flatten(g)
    p_flat, p_tree = ft.tree_util.tree_flatten(params)
    assert tree == p_tree
    for i, (gi, pi) in enumerate(zip(flat, p_flat, strict=True)):
        assert gi.shape == pi.shape

        def loss_i(leaf, i=i):
            leaves = list(p_flat)
            leaves[i] = leaf
            return loss(ft.tree_util.tree_unflatten(p_tree, leaves), x)

        np.testing.assert_allclose(gi, numerical_jacobian(loss_i, pi), rtol=1e-6, atol=1e-8)

    # Pytree outputs: jvp and vjp.
    def split(p):
        return {"sum": fnp.sum(p["b"]), "pair": (p["w"] * 2.0, p["b"] ** 2)}

    out, out_dot = ft.jvp(split, (params,), (ft.tree_util.tree_map(np.ones_like, params),))
    assert set(out_dot) == {"sum", "pair"}
    np.testing.assert_allclose(out_dot["pair"][1], 2 * params["b"])
    out, vjp_fn = ft.vjp(split, params)
    (ct,) = vjp_fn(ft.tree_util.tree_map(np.ones_like, out))
    np.testing.assert_allclose(ct["w"], 2 * np.ones((2, 2)))
    np.testing.assert_allclose(ct["b"], 1 + 2 * params["b"])
    np.testing.assert_allclose(ct["extra"][0].y, np.zeros(2))


def test_vmap_pytrees_and_in_axes_prefixes() -> None:
    batch = {"a": np.arange(6.0).reshape(3, 2), "b": np.arange(3.0)}
    w = np.array([1.0, 2.0])
    out = ft.vmap(lambda p, w: {"s": p["a"] @ w + p["b"]}, in_axes=({"a": 0, "b": 0}, None))(
        batch, w)
    np.testing.assert_allclose(out["s"], batch["a"] @ w + batch["b"])
    out = ft.vmap(lambda p: Point(p.x * 2.0, p.y), in_axes=(Point(1, None),))(
        Point(np.ones((2, 3)), np.array(5.0)))
    assert isinstance(out, Point) and out.x.shape == (3, 2) and out.y.shape == (3,)


HAS_AUX: list[tuple[str, Callable[[], Any], Any, Any]] = [
    # (id, thunk -> (derivative, aux), expected derivative, expected aux)
    ("grad", lambda: ft.grad(lambda x: (x ** 2, {"x": x, "n": 3}), has_aux=True)(3.0),
     6.0, {"x": 3.0, "n": 3}),
    ("value_and_grad",
     lambda: (lambda r: ((r[0][0], r[1]), r[0][1]))(
         ft.value_and_grad(lambda x: (x ** 3, x + 1.0), has_aux=True)(2.0)),
     (8.0, 12.0), 3.0),
    ("vjp", lambda: (lambda r: (r[1](1.0)[0], r[2]))(
        ft.vjp(lambda x: (fnp.sin(x), fnp.cos(x)), 0.5, has_aux=True)),
     np.cos(0.5), np.cos(0.5)),
    ("jacfwd", lambda: ft.jacfwd(lambda x: (x * 2.0, fnp.sum(x)), has_aux=True)(np.ones(2)),
     2.0 * np.eye(2), 2.0),
    ("jacrev", lambda: ft.jacrev(lambda x: (x * 2.0, [x]), has_aux=True)(np.ones(2)),
     2.0 * np.eye(2), [np.ones(2)]),
]


@pytest.mark.parametrize("thunk,expected,expected_aux",
                         [pytest.param(t, e, a, id=i) for i, t, e, a in HAS_AUX])
def test_has_aux(thunk: Callable[[], Any], expected: Any, expected_aux: Any) -> None:
    derivative, aux = thunk()
    np.testing.assert_allclose(derivative, expected, rtol=1e-12)
    got, exp = ft.tree_util.tree_leaves(aux), ft.tree_util.tree_leaves(expected_aux)
    assert ft.tree_util.tree_structure(aux) == ft.tree_util.tree_structure(expected_aux)
    for g, e in zip(got, exp, strict=True):
        assert isinstance(g, np.ndarray), f"aux leaves are concrete arrays, got {type(g)}"
        np.testing.assert_allclose(g, e)


# ---------------------------------------------------------------------------------------------
# Higher order: grad(grad(grad)) closed forms; Hessian-vector products

# (id, f, [f', f'', f''']) on scalars
CLOSED_FORMS: list[tuple[str, Callable[[Any], Any], list[Callable[[Any], Any]], float, float]] = [
    ("sin", fnp.sin, [np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)], -3.0, 3.0),
    ("x**3", lambda x: x ** 3, [lambda x: 3 * x ** 2, lambda x: 6 * x, lambda x: 6.0 + 0 * x],
     -2.0, 2.0),
    ("exp(2x)", lambda x: fnp.exp(2.0 * x),
     [lambda x: 2 * np.exp(2 * x), lambda x: 4 * np.exp(2 * x), lambda x: 8 * np.exp(2 * x)],
     -1.0, 1.0),
    ("x log x", lambda x: x * fnp.log(x),
     [lambda x: np.log(x) + 1, lambda x: 1 / x, lambda x: -1 / x ** 2], 0.2, 3.0),
    ("tanh", fnp.tanh,
     [lambda x: 1 - np.tanh(x) ** 2, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
      lambda x: -2 * (1 - np.tanh(x) ** 2) * (1 - 3 * np.tanh(x) ** 2)], -2.0, 2.0),
    ("1/(1+x^2)", lambda x: 1.0 / (1.0 + x * x),
     [lambda x: -2 * x / (1 + x * x) ** 2, lambda x: (6 * x * x - 2) / (1 + x * x) ** 3,
      lambda x: 24 * x * (1 - x * x) / (1 + x * x) ** 4], -2.0, 2.0),
    ("sqrt", fnp.sqrt,
     [lambda x: 0.5 * x ** -0.5, lambda x: -0.25 * x ** -1.5, lambda x: 0.375 * x ** -2.5],
     0.3, 4.0),
    ("x**2.5 via pow", lambda x: fnp.power(x, 2.5),
     [lambda x: 2.5 * x ** 1.5, lambda x: 3.75 * x ** 0.5, lambda x: 1.875 * x ** -0.5],
     0.3, 3.0),
    ("arctan", fnp.arctan,
     [lambda x: 1 / (1 + x * x), lambda x: -2 * x / (1 + x * x) ** 2,
      lambda x: (6 * x * x - 2) / (1 + x * x) ** 3], -2.0, 2.0),
    ("logsumexp pair", lambda x: fnp.logaddexp(x, 0.0),
     [lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2,
      lambda x: np.exp(-x) * (np.exp(-x) - 1) / (1 + np.exp(-x)) ** 3], -3.0, 3.0),
]


@pytest.mark.parametrize("f,derivatives,lo,hi",
                         [pytest.param(f, d, lo, hi, id=i) for i, f, d, lo, hi in CLOSED_FORMS])
@settings(max_examples=10)
@given(u=st.floats(0.0, 1.0))
@example(u=0.5)  # the middle of the range: 0 for most rows, a tie in logaddexp(x, 0)
def test_third_order_closed_forms(f: Callable[[Any], Any], derivatives: list[Any], lo: float,
                                  hi: float, u: float) -> None:
    x = lo + (hi - lo) * u
    df = ft.grad(f)
    ddf = ft.grad(df)
    dddf = ft.grad(ddf)
    for k, (fn, closed) in enumerate(zip([df, ddf, dddf], derivatives, strict=True)):
        np.testing.assert_allclose(fn(x), closed(x), rtol=1e-9, atol=1e-12,
                                   err_msg=f"derivative of order {k + 1}")
    # Other compositions reach the same third derivative.
    np.testing.assert_allclose(ft.jvp(ddf, (x,), (1.0,))[1], derivatives[2](x), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(ft.jacfwd(ft.jacrev(df))(x), derivatives[2](x), rtol=1e-9,
                               atol=1e-12)


_A = np.random.default_rng(0).standard_normal((4, 3))

HVP_FUNCTIONS: list[tuple[str, Callable[[Any], Any]]] = [
    ("sum sin(Ax)", lambda x: fnp.sum(fnp.sin(_A @ x))),
    ("logsumexp(Ax)", lambda x: fnp.logsumexp(_A @ x)),
    ("quartic", lambda x: fnp.sum(x ** 4) * fnp.sum(x * x)),
    ("mlp loss", lambda x: fnp.mean(fnp.tanh(_A @ x) ** 2) + fnp.var(x)),
    ("rosenbrock", lambda x: fnp.sum(100.0 * (fnp.dot(np.eye(3)[1:], x)
                                               - fnp.dot(np.eye(3)[:-1], x) ** 2) ** 2)),
]


@pytest.mark.parametrize("f", [pytest.param(f, id=i) for i, f in HVP_FUNCTIONS])
@settings(max_examples=8)
@given(seed=st.integers(0, 2**32 - 1))
def test_hessian_vector_products(f: Callable[[Any], Any], seed: int) -> None:
    """Forward-over-reverse jvp(grad(f)) equals the numerical Jacobian of grad(f) times v."""
    rng = np.random.default_rng(seed)
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    _, hvp = ft.jvp(ft.grad(f), (x,), (v,))
    h_num = numerical_jacobian(ft.grad(f), x)
    np.testing.assert_allclose(hvp, h_num @ v, rtol=1e-6, atol=1e-6 * (1 + np.abs(h_num).max()))
    h = ft.hessian(f)(x)
    np.testing.assert_allclose(h @ v, hvp, rtol=1e-9, atol=1e-9 * (1 + np.abs(h).max()))
    # Reverse-over-reverse and reverse-over-forward agree too.
    rr = ft.grad(lambda x: fnp.vdot(ft.grad(f)(x), v))(x)
    rf = ft.grad(lambda x: ft.jvp(f, (x,), (v,))[1])(x)
    np.testing.assert_allclose(rr, hvp, rtol=1e-9, atol=1e-9 * (1 + np.abs(h).max()))
    np.testing.assert_allclose(rf, hvp, rtol=1e-9, atol=1e-9 * (1 + np.abs(h).max()))


def test_linearize() -> None:
    def f(x, p):
        return {"y": fnp.sin(x) * p["a"], "z": fnp.sum(x ** 2) + p["b"]}

    x = np.array([0.1, 0.7, -1.2])
    p = {"a": np.array(2.0), "b": np.array(-1.0)}
    out, f_jvp = ft.linearize(f, x, p)
    direct = f(x, p)
    np.testing.assert_allclose(out["y"], direct["y"])
    np.testing.assert_allclose(out["z"], direct["z"])
    rng = np.random.default_rng(1)
    for _ in range(3):  # the same linear map, reused
        t = (rng.standard_normal(3), {"a": rng.standard_normal(()), "b": rng.standard_normal(())})
        lin = f_jvp(*t)
        _, expected = ft.jvp(f, (x, p), t)
        np.testing.assert_allclose(lin["y"], expected["y"], rtol=1e-12)
        np.testing.assert_allclose(lin["z"], expected["z"], rtol=1e-12)
        doubled = f_jvp(*ft.tree_util.tree_map(lambda a: 2 * a, t))
        np.testing.assert_allclose(doubled["y"], 2 * lin["y"], rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Jacobian layout: out.shape + in.shape; pytrees of pytrees

SHAPES = [(), (1,), (3,), (2, 3), (2, 1, 2)]


@pytest.mark.parametrize("in_shape", SHAPES, ids=str)
@pytest.mark.parametrize("out_kind", ["same", "scalar", "outer", "reshaped"])
@pytest.mark.parametrize("jac", [ft.jacfwd, ft.jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_layout(jac: Callable[..., Any], out_kind: str,
                         in_shape: tuple[int, ...]) -> None:
    fs = {"same": fnp.sin, "scalar": lambda x: fnp.sum(x ** 3),
          "outer": lambda x: fnp.tanh(fnp.reshape(x, (-1, 1)) * np.ones(2)),
          "reshaped": lambda x: fnp.reshape(x, (1, -1)) * 2.0}
    f = fs[out_kind]
    x = np.random.default_rng(0).standard_normal(in_shape)
    j = jac(f)(x)
    assert isinstance(j, np.ndarray)
    assert j.shape == np.shape(f(x)) + in_shape
    np.testing.assert_allclose(j, numerical_jacobian(f, x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("jac", [ft.jacfwd, ft.jacrev], ids=["jacfwd", "jacrev"])
def test_jacobian_of_pytrees(jac: Callable[..., Any]) -> None:
    def f(p):
        return (p["w"] @ p["x"], {"s": fnp.sum(p["w"]) * p["x"][0]})

    p = {"w": np.arange(6.0).reshape(2, 3), "x": np.array([1.0, -1.0, 0.5])}
    j = jac(f)(p)
    # The output tree (a tuple with a dict) of input trees (dicts).
    assert set(j[0]) == {"w", "x"} and set(j[1]) == {"s"} and set(j[1]["s"]) == {"w", "x"}
    assert j[0]["w"].shape == (2, 2, 3) and j[0]["x"].shape == (2, 3)
    assert j[1]["s"]["w"].shape == (2, 3) and j[1]["s"]["x"].shape == (3,)
    np.testing.assert_allclose(j[0]["x"], p["w"])
    np.testing.assert_allclose(j[1]["s"]["w"], np.full((2, 3), p["x"][0]))
    # argnums tuples: a tuple over arguments inside each output leaf.
    jj = jac(lambda w, x: w @ x, argnums=(0, 1))(p["w"], p["x"])
    assert isinstance(jj, tuple) and jj[0].shape == (2, 2, 3) and jj[1].shape == (2, 3)
    np.testing.assert_allclose(jj[1], p["w"])


def test_hessian_layout() -> None:
    x = np.arange(6.0).reshape(2, 3) / 6.0
    h = ft.hessian(lambda x: fnp.sum(fnp.sin(x) * x[0]))(x)
    assert h.shape == (2, 3, 2, 3)
    flat = h.reshape(6, 6)
    np.testing.assert_allclose(flat, flat.T, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# dtypes and output types


def _f32(*shape: int) -> np.ndarray:
    return np.linspace(-1.0, 1.0, int(np.prod(shape))).reshape(shape).astype(np.float32)


TRANSFORMS_F32: list[tuple[str, Callable[[], Any]]] = [
    ("grad", lambda: ft.grad(lambda x: fnp.sum(fnp.sin(x) * 2.0))(_f32(3))),
    ("grad with a Python-float constant", lambda: ft.grad(lambda x: fnp.sum(x * 0.5 + 1.0))(
        _f32(3))),
    ("value_and_grad", lambda: ft.value_and_grad(lambda x: fnp.mean(x ** 2))(_f32(2, 2))),
    ("jvp", lambda: ft.jvp(fnp.tanh, (_f32(3),), (_f32(3),))),
    ("vjp", lambda: ft.vjp(fnp.exp, _f32(3))[1](_f32(3))),
    ("jacfwd", lambda: ft.jacfwd(fnp.sin)(_f32(2))),
    ("jacrev", lambda: ft.jacrev(lambda x: x @ _f32(2, 2))(_f32(2))),
    ("hessian", lambda: ft.hessian(lambda x: fnp.sum(x ** 3))(_f32(2))),
    ("vmap", lambda: ft.vmap(lambda x: fnp.sum(x * x))(_f32(3, 2))),
    ("vmap(grad)", lambda: ft.vmap(ft.grad(lambda x: fnp.sum(fnp.cos(x))))(_f32(3, 2))),
    ("grad(grad)", lambda: ft.grad(ft.grad(lambda x: fnp.sin(x) * x))(np.float32(0.5))),
    ("linearize", lambda: ft.linearize(fnp.sin, _f32(2))[1](_f32(2))),
]


@pytest.mark.parametrize("thunk", [pytest.param(t, id=i) for i, t in TRANSFORMS_F32])
def test_float32_stays_float32(thunk: Callable[[], Any]) -> None:
    for leaf in ft.tree_util.tree_leaves(thunk()):
        assert isinstance(leaf, np.ndarray), f"outputs are NumPy arrays, got {type(leaf)}"
        assert leaf.dtype == np.float32, f"float32 in, {leaf.dtype} out"


OUTPUTS: list[tuple[str, Callable[[], Any], tuple[int, ...]]] = [
    ("grad of a scalar", lambda: ft.grad(fnp.sin)(1.0), ()),
    ("grad of a Python float arg", lambda: ft.grad(lambda x, y: x * y)(2.0, 3.0), ()),
    ("value", lambda: ft.value_and_grad(lambda x: x * x)(2.0)[0], ()),
    ("jvp out", lambda: ft.jvp(fnp.sin, (1.0,), (1.0,))[0], ()),
    ("jvp tangent", lambda: ft.jvp(fnp.sin, (1.0,), (1.0,))[1], ()),
    ("vjp out", lambda: ft.vjp(fnp.sin, 1.0)[0], ()),
    ("vjp cotangent", lambda: ft.vjp(fnp.sin, 1.0)[1](1.0)[0], ()),
    ("zero cotangent", lambda: ft.vjp(lambda x, y: x * 2.0, 1.0, 2.0)[1](1.0)[1], ()),
    ("jacfwd of scalars", lambda: ft.jacfwd(fnp.sin)(1.0), ()),
    ("jacrev", lambda: ft.jacrev(fnp.sin)(np.ones(2)), (2, 2)),
    ("vmap", lambda: ft.vmap(fnp.sin)(np.ones(2)), (2,)),
    ("vmap of a constant function", lambda: ft.vmap(lambda x: 1.0)(np.ones(2)), (2,)),
    ("grad of a constant function", lambda: ft.grad(lambda x: 1.0 + 0.0 * x)(2.0), ()),
    ("linearize", lambda: ft.linearize(fnp.sin, 1.0)[1](1.0), ()),
]


@pytest.mark.parametrize("thunk,shape", [pytest.param(t, s, id=i) for i, t, s in OUTPUTS])
def test_outputs_are_numpy_arrays(thunk: Callable[[], Any], shape: tuple[int, ...]) -> None:
    out = thunk()
    assert type(out) is np.ndarray, f"expected a NumPy array, got {type(out)}"
    assert out.shape == shape


def test_integer_inputs_pass_through_undifferentiated() -> None:
    f = lambda x, n: x ** n * 2.0  # noqa: E731
    assert np.allclose(ft.grad(f)(3.0, 2), 12.0)
    out, vjp_fn = ft.vjp(lambda x, i: x * i, np.ones(2), np.array([1, 2]))
    ct_x, ct_i = vjp_fn(np.ones(2))
    np.testing.assert_allclose(ct_x, [1.0, 2.0])
    assert ct_i.shape == (2,) and not np.any(ct_i)


# ---------------------------------------------------------------------------------------------
# Plain NumPy on tracers traces exactly like the functrace.numpy twins

_W = np.arange(12.0).reshape(3, 4) / 10.0

NUMPY_TWINS: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("np.sin", np.sin, fnp.sin),
    ("np.dot", lambda t: np.dot(t, _W), lambda t: fnp.dot(t, _W)),
    ("np.sum axis", lambda t: np.sum(t, axis=0), lambda t: fnp.sum(t, axis=0)),
    ("t @ w", lambda t: t @ _W, lambda t: fnp.matmul(t, _W)),
    ("np.matmul", lambda t: np.matmul(t, _W), lambda t: fnp.matmul(t, _W)),
    ("np.exp * 2", lambda t: np.exp(t) * 2, lambda t: fnp.multiply(fnp.exp(t), 2)),
    ("np.mean keepdims", lambda t: np.mean(t, axis=1, keepdims=True),
     lambda t: fnp.mean(t, axis=1, keepdims=True)),
    ("np.maximum", lambda t: np.maximum(t, 0.0), lambda t: fnp.maximum(t, 0.0)),
    ("np.tanh and np.add", lambda t: np.add(np.tanh(t), t), lambda t: fnp.add(fnp.tanh(t), t)),
    ("np.transpose", np.transpose, fnp.transpose),
    ("np.reshape", lambda t: np.reshape(t, (-1,)), lambda t: fnp.reshape(t, (-1,))),
    ("np.where", lambda t: np.where(t > 0, t, -t), lambda t: fnp.where(t > 0, t, -t)),
    ("np.max", lambda t: np.max(t, axis=-1), lambda t: fnp.max(t, axis=-1)),
    ("np.var", np.var, fnp.var),
    ("np.power", lambda t: np.power(t, 3), lambda t: fnp.power(t, 3)),
    ("t.sum() method", lambda t: t.sum(), fnp.sum),
    ("t.T", lambda t: t.T, fnp.transpose),
    ("np.log1p(t*t)", lambda t: np.log1p(t * t), lambda t: fnp.log1p(fnp.multiply(t, t))),
    ("divmod builtin", lambda t: divmod(t, 0.7)[1], lambda t: fnp.divmod(t, 0.7)[1]),
    ("reversed divmod builtin", lambda t: divmod(5.0, t + 3.0)[1],
     lambda t: fnp.divmod(5.0, fnp.add(t, 3.0))[1]),
    ("reversed operators", lambda t: 1.0 - 2.0 / (1.0 + t * t),
     lambda t: fnp.subtract(1.0, fnp.true_divide(2.0, fnp.add(1.0, fnp.multiply(t, t))))),
]


@pytest.mark.parametrize("np_fn,fnp_fn", [pytest.param(a, b, id=i) for i, a, b in NUMPY_TWINS])
def test_numpy_on_tracers_traces_like_fnp(np_fn: Callable[[Any], Any],
                                          fnp_fn: Callable[[Any], Any]) -> None:
    x = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    assert str(ft.make_jaxpr(np_fn)(x)) == str(ft.make_jaxpr(fnp_fn)(x))
    g = ft.grad(lambda x: fnp.sum(fnp.sin(np_fn(x))))(x)
    g_twin = ft.grad(lambda x: fnp.sum(fnp.sin(fnp_fn(x))))(x)
    np.testing.assert_allclose(g, g_twin, rtol=1e-12)
    np.testing.assert_allclose(np_fn(x), fnp_fn(x), rtol=1e-12)  # and eagerly, the same value


# ---------------------------------------------------------------------------------------------
# make_jaxpr golden tests (SPEC §4)


def _chapter(x1: Any, x2: Any) -> Any:
    v3 = x1 * x2
    v4 = fnp.sin(x2)
    v5 = fnp.exp(v3)
    v6 = v3 - v4
    return v5 + v6


_CAPTURED = np.array([1.0, 2.0, 3.0])

GOLDEN: list[tuple[str, Callable[..., Any], tuple[Any, ...], str]] = [
    ("the chapter's example (SPEC §4)", _chapter, (1.5, 0.5), """\
{ lambda ; a:f64[] b:f64[]. let
    c:f64[] = mul a b
    d:f64[] = sin b
    e:f64[] = exp c
    f:f64[] = sub c d
    g:f64[] = add e f
  in (g,) }"""),
    ("the one-liner: six equations", lambda x1, x2: x1 * x2 + fnp.exp(x1 * x2) - fnp.sin(x2),
     (1.5, 0.5), """\
{ lambda ; a:f64[] b:f64[]. let
    c:f64[] = mul a b
    d:f64[] = mul a b
    e:f64[] = exp d
    f:f64[] = add c e
    g:f64[] = sin b
    h:f64[] = sub f g
  in (h,) }"""),
    ("a broadcast", lambda x, y: x + y, (np.ones(3), np.ones((2, 3))), """\
{ lambda ; a:f64[3] b:f64[2,3]. let
    c:f64[2,3] = broadcast_in_dim[shape=(2, 3) broadcast_dimensions=(1,)] a
    d:f64[2,3] = add c b
  in (d,) }"""),
    ("a reduction with params", lambda x: fnp.sum(x, axis=0), (np.ones((2, 3)),), """\
{ lambda ; a:f64[2,3]. let
    b:f64[3] = reduce_sum[axes=(0,)] a
  in (b,) }"""),
    ("a captured constant", lambda x: x * _CAPTURED, (np.ones(3),), """\
{ lambda a:f64[3]; b:f64[3]. let
    c:f64[3] = mul b a
  in (c,) }"""),
    ("a scalar literal and float32", lambda x: fnp.sin(x) * 2.0, (np.float32(1.0),), """\
{ lambda ; a:f32[]. let
    b:f32[] = sin a
    c:f32[] = mul b 2.0:f32[]
  in (c,) }"""),
    ("pytree inputs and outputs", lambda p: (p["a"] * p["b"], p["a"]),
     ({"a": 1.0, "b": np.ones(2, np.int32)},), """\
{ lambda ; a:f64[] b:i32[2]. let
    c:f64[2] = convert_element_type[new_dtype=f64] b
    d:f64[2] = mul a c
  in (d, a) }"""),
]


@pytest.mark.parametrize("f,args,expected",
                         [pytest.param(f, a, e, id=i) for i, f, a, e in GOLDEN])
def test_make_jaxpr_golden(f: Callable[..., Any], args: tuple[Any, ...], expected: str) -> None:
    assert str(ft.make_jaxpr(f)(*args)) == expected


def test_make_jaxpr_structure() -> None:
    closed = ft.make_jaxpr(lambda x: x * _CAPTURED)(np.ones(3))
    assert isinstance(closed, ft.ClosedJaxpr)
    assert len(closed.consts) == 1 and closed.consts[0] is _CAPTURED
    jaxpr = closed.jaxpr
    assert len(jaxpr.invars) == 1 and len(jaxpr.outvars) == 1
    (eqn,) = jaxpr.eqns
    assert eqn.primitive.name == "mul" and eqn.params == {}
    assert eqn.outvars[0] is jaxpr.outvars[0]
    closed = ft.make_jaxpr(lambda x: fnp.sum(x, axis=(0,), keepdims=False))(np.ones((2, 3)))
    assert closed.jaxpr.eqns[0].params == {"axes": (0,)}
    # static_argnums: a Python value, not traced.
    closed = ft.make_jaxpr(lambda x, n: x ** n if n > 1 else x, static_argnums=1)(1.0, 3)
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["integer_pow"]


def _traced_sum(x: Any) -> Any:
    return fnp.sum(fnp.tanh(x) ** 2 * np.arange(1.0, 4.0))


_X = np.array([0.3, -0.2, 1.1])

COMPOSED: list[tuple[str, Callable[[Any], Any], Any]] = [
    ("grad", ft.grad(_traced_sum), _X),
    ("grad(grad)", ft.grad(ft.grad(lambda y: _traced_sum(y * _X))), np.float64(0.5)),
    ("jacfwd(grad)", ft.jacfwd(ft.grad(_traced_sum)), _X),
    ("vmap(grad)", ft.vmap(ft.grad(_traced_sum)), np.stack([_X, -_X])),
    ("jit(grad)", ft.jit(ft.grad(_traced_sum)), _X),
    ("grad(jit)", ft.grad(ft.jit(_traced_sum)), _X),
    ("grad(vmap)", ft.grad(lambda x: fnp.sum(ft.vmap(fnp.sin)(x))), _X),
]


@pytest.mark.parametrize("g,arg", [pytest.param(g, a, id=i) for i, g, a in COMPOSED])
def test_make_jaxpr_of_transformations(g: Callable[[Any], Any], arg: Any) -> None:
    """Transformations traced by make_jaxpr evaluate to their eager values."""
    closed = ft.make_jaxpr(g)(arg)
    (traced,) = eval_jaxpr(closed.jaxpr, closed.consts, arg)
    np.testing.assert_allclose(traced, g(arg), rtol=1e-12)


def test_control_flow_in_jaxprs() -> None:
    """lax.cond traces into one equation with nested branches (SPEC §4, higher-order)."""
    text = str(ft.make_jaxpr(lambda p, x: lax.cond(p > 0, fnp.sin, fnp.cos, x))(1.0, 2.0))
    assert "cond[" in text and "sin" in text and "cos" in text


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_logaddexp_at_infinities_and_nan_matches_numpy() -> None:
    a = np.array([-np.inf, np.inf, np.nan, -np.inf, np.inf, 1.0])
    b = np.array([-np.inf, np.inf, 1.0, 2.0, -np.inf, 1.0])
    np.testing.assert_array_equal(fnp.logaddexp(a, b), np.logaddexp(a, b))
    np.testing.assert_array_equal(ft.jit(fnp.logaddexp)(a, b), np.logaddexp(a, b))
    assert ft.grad(lambda x: fnp.logaddexp(x, 1.0))(1.0) == 0.5


def test_nan_reductions_skip_nans_in_value_and_gradient() -> None:
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0]])
    np.testing.assert_array_equal(fnp.nansum(x, axis=1), np.nansum(x, axis=1))
    np.testing.assert_array_equal(fnp.nanmean(x, axis=1), np.nanmean(x, axis=1))
    g = ft.grad(lambda x: fnp.nansum(x) + fnp.nanmean(x))(x)
    np.testing.assert_allclose(g, np.where(np.isnan(x), 0.0, 1.0 + 1.0 / 3.0))


def test_linalg_norm_through_numpy_matches_numpy() -> None:
    x = np.array([[3.0, -4.0], [1.0, 2.0]])
    for ord_ in (None, "fro", 1, -1, np.inf, -np.inf):
        assert float(ft.jit(lambda x, o=ord_: np.linalg.norm(x, o))(x)) == np.linalg.norm(x, ord_)
    v = np.array([3.0, -4.0, 1.0])
    np.testing.assert_allclose(ft.grad(np.linalg.norm)(v), v / np.linalg.norm(v))
    for ord_ in (2, -2, "nuc"):  # through the singular values
        np.testing.assert_allclose(ft.jit(lambda x, o=ord_: np.linalg.norm(x, o))(x),
                                   np.linalg.norm(x, ord_), rtol=1e-12)


def test_vmap_unbatched_inputs_keep_their_values_as_in_jax() -> None:
    def f(n: Any, x: Any) -> Any:
        return x * n if n > 0 else -x  # Python control flow on the unbatched input

    xs = np.arange(3.0)
    np.testing.assert_array_equal(ft.vmap(f, in_axes=(None, 0))(2.0, xs), 2.0 * xs)
    np.testing.assert_array_equal(ft.vmap(f, in_axes=(None, 0))(-1.0, xs), -xs)
    with pytest.raises(ft.ConcretizationError):  # on a batched value it cannot work
        ft.vmap(f, in_axes=(0, None))(xs, 1.0)
    with pytest.raises(ft.ConcretizationError):  # nor under jit, where n is abstract
        ft.jit(ft.vmap(f, in_axes=(None, 0)))(2.0, xs)
    np.testing.assert_array_equal(
        ft.jit(ft.vmap(f, in_axes=(None, 0)), static_argnums=0)(2.0, xs), 2.0 * xs)


def test_linalg_solve_inv_det_through_numpy() -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal(3)
    x = ft.jit(np.linalg.solve)(a, b)
    np.testing.assert_allclose(x, np.linalg.solve(a, b))
    # d det / d a = det(a) a^-T (Jacobi's formula), eager and jitted, and batched by vmap.
    expected = np.linalg.det(a) * np.linalg.inv(a).T
    np.testing.assert_allclose(ft.grad(np.linalg.det)(a), expected)
    np.testing.assert_allclose(ft.jit(ft.grad(np.linalg.det))(a), expected)
    stack = np.stack([a, 2 * a])
    np.testing.assert_allclose(ft.vmap(np.linalg.inv)(stack), np.linalg.inv(stack))
    # At a singular matrix the gradient is the transposed adjugate, which a^-1 cannot give.
    np.testing.assert_allclose(ft.grad(np.linalg.det)(np.array([[1.0, 2.0], [2.0, 4.0]])),
                               [[4.0, -2.0], [-2.0, 1.0]])


def test_smaller_parts_of_jax_api() -> None:
    # eval_shape: types only, from arrays or ShapedArrays (nothing computed).
    calls = []

    def f(x: Any, y: Any) -> Any:
        calls.append(1)
        return {"a": x @ y, "b": (x.sum(), y.astype(np.float32))}

    out = ft.eval_shape(f, np.ones((2, 3)), ft.ShapedArray((3, 4), np.dtype(np.float64)))
    assert out["a"].shape == (2, 4) and out["a"].dtype == np.float64
    assert out["b"][0].shape == () and out["b"][1].dtype == np.float32
    assert calls == [1]  # traced once, abstractly
    # linear_transpose: the transpose of a linear map, as a vjp.
    t = ft.linear_transpose(lambda x, y: (x + 2.0 * y, fnp.sum(x)), np.zeros(3), np.zeros(3))
    ct_x, ct_y = t((np.ones(3), 2.0))
    np.testing.assert_array_equal(ct_x, [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(ct_y, [2.0, 2.0, 2.0])
    for nonlinear in (lambda x: x * x, lambda x: x + 1.0, fnp.sin):
        with pytest.raises(TypeError, match="not linear"):
            ft.linear_transpose(nonlinear, np.ones(3))
    # checkpoint / remat change nothing; jit's donation and inlining hints are accepted.
    f2 = lambda x: fnp.sin(x) ** 2  # noqa: E731
    assert ft.grad(ft.checkpoint(f2))(1.0) == ft.grad(f2)(1.0) == ft.grad(ft.remat(f2))(1.0)
    g = ft.jit(lambda x: x * 2.0, donate_argnums=0, keep_unused=True, inline=True)
    x = np.ones(2)
    np.testing.assert_array_equal(ft.block_until_ready(g(x)), [2.0, 2.0])
    np.testing.assert_array_equal(x, [1.0, 1.0])  # a donated argument is still valid


def test_known_integer_tracers_convert_to_numpy() -> None:
    # Under jacfwd (vmap of jvp) an operation on constants is recorded, with its value known;
    # NumPy indexing a constant with it needs that value (JAX computes it eagerly there).
    y = np.array([[0.3, -0.2], [0.1, 0.9]])
    c = y[np.argmax(y, axis=0)].sum()

    def f(x: Any) -> Any:
        return fnp.sum(fnp.sin(x * 2.0 + y[fnp.argmax(y, axis=0)].sum()))

    x = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(ft.hessian(f)(x), np.diag(-4.0 * np.sin(2.0 * x + c)),
                               rtol=1e-12, atol=1e-15)
    # Floating tracers still refuse (their derivative would be dropped), and unknown values
    # cannot convert.
    with pytest.raises(ConcretizationError, match="derivative"):
        ft.grad(lambda a: np.asarray(a).sum())(1.0)
    with pytest.raises(ConcretizationError):
        ft.jit(lambda a: np.asarray(fnp.argmax(a)))(y)


def test_import_leaves_numpys_lazy_submodules_unloaded() -> None:
    """``import functrace`` reads NumPy's namespace without importing the submodules NumPy
    loads on first access (numpy.f2py alone pulls in argparse, subprocess and more)."""
    code = ("import sys, functrace; "
            "print(sorted(m for m in ('numpy.f2py', 'numpy.ma', 'numpy.ctypeslib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_array_is_the_type_of_arrays_and_tracers() -> None:
    """``ft.Array`` as ``jax.Array``: concrete results and tracers under every transformation
    are instances; Python numbers and NumPy scalars are not (they are ``ArrayLike``)."""
    seen: list[bool] = []

    def f(x: Any) -> Any:
        seen.append(isinstance(x, ft.Array))
        return fnp.sum(x * 2.0)

    x = np.arange(3.0)
    ft.grad(f)(x)
    ft.jit(f)(x)
    ft.vmap(f)(x[:, None])
    ft.jvp(f, (x,), (x,))
    assert seen == [True] * 4
    assert isinstance(ft.grad(f)(x), ft.Array)
    assert not isinstance(2.0, ft.Array) and not isinstance(np.float64(2.0), ft.Array)
    assert ft.typing.Array is ft.Array


def test_clear_caches_forgets_every_jitted_functions_traces() -> None:
    f, g = ft.jit(lambda x: x + 1.0), ft.jit(lambda x: x * 2.0)
    f(np.ones(2)), g(np.ones(2))
    f(np.ones(2)), g(np.ones(2))
    assert (f.trace_count, g.trace_count) == (1, 1)
    ft.clear_caches()
    f(np.ones(2)), g(np.ones(2))
    assert (f.trace_count, g.trace_count) == (2, 2)
