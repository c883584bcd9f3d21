"""Transformation-API behaviours checked against JAX's (outputs, pytree structure, dtypes and
error types), found by comparing functrace and JAX side by side; one row per behaviour."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp

x3 = np.array([1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------------------------
# has_aux: traced aux leaves are arrays, other aux leaves come back as they are (as JAX)

AUX_CASES: list[tuple[str, Callable[[], Any]]] = [
    ("grad", lambda: ft.grad(lambda x: (fnp.sum(x ** 2), {"s": "hi", "x": x}),
                             has_aux=True)(x3)[1]),
    ("value_and_grad", lambda: ft.value_and_grad(
        lambda x: (fnp.sum(x ** 2), {"s": "hi", "x": x}), has_aux=True)(x3)[0][1]),
    ("vjp", lambda: ft.vjp(lambda x: (x * 2.0, {"s": "hi", "x": x}), x3, has_aux=True)[2]),
    ("jacrev", lambda: ft.jacrev(lambda x: (x * 2.0, {"s": "hi", "x": x}), has_aux=True)(x3)[1]),
    ("jacfwd", lambda: ft.jacfwd(lambda x: (x * 2.0, {"s": "hi", "x": x}), has_aux=True)(x3)[1]),
]


@pytest.mark.parametrize("name,aux", AUX_CASES, ids=[c[0] for c in AUX_CASES])
def test_has_aux_passes_non_array_leaves_through(name: str, aux: Callable[[], Any]) -> None:
    out = aux()
    assert out["s"] == "hi"
    assert isinstance(out["x"], np.ndarray)
    np.testing.assert_array_equal(out["x"], x3)


def test_has_aux_constant_numbers_are_arrays() -> None:
    _, aux = ft.grad(lambda x: (x * x, (3.0, None, [np.float32(1.0)])), has_aux=True)(2.0)
    assert isinstance(aux[0], np.ndarray) and aux[0] == 3.0
    assert aux[1] is None
    assert aux[2][0].dtype == np.float32


def test_hessian_has_aux() -> None:
    h, aux = ft.hessian(lambda x: (fnp.sum(x ** 3), {"x": x}), has_aux=True)(x3)
    np.testing.assert_allclose(h, np.diag(6.0 * x3))
    np.testing.assert_array_equal(aux["x"], x3)


# ---------------------------------------------------------------------------------------------
# Tangent and cotangent checks


ERROR_CASES: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("jvp tangent of another dtype",
     lambda: ft.jvp(lambda x: -x, (np.float16(2),), (np.float32(4),)), TypeError, "dtype"),
    ("jvp tangent array of another dtype",
     lambda: ft.jvp(lambda x: -x, (x3,), (x3.astype(np.float32),)), TypeError, "float32"),
    ("jvp tangents of another structure",
     lambda: ft.jvp(lambda x: -x, (1.0,), (1.0, 2.0)), TypeError, "tree structure"),
    ("vjp cotangent of another dtype",
     lambda: ft.vjp(lambda x: x * 2.0, x3)[1](x3.astype(np.float32)), ValueError, "dtype"),
    ("linearize tangent of another dtype",
     lambda: ft.linearize(lambda x: x * 2.0, x3)[1](x3.astype(np.float32)), ValueError,
     "dtype"),
    ("grad of a complex output", lambda: ft.grad(lambda x: x * (1.0 + 1.0j))(1.0), TypeError,
     "real-valued"),
    ("grad of a string argument", lambda: ft.grad(lambda x: x)("foo"), TypeError,
     "not a valid"),
    ("jvp of a string argument", lambda: ft.jvp(lambda x: x, ("foo",), ("foo",)), TypeError,
     "not a valid"),
    ("vmap of a string argument", lambda: ft.vmap(lambda x: x)("foo"), TypeError,
     "not a valid"),
    ("vmap in_axes a dict (not one entry per argument)",
     lambda: ft.vmap(lambda x: x["a"], in_axes={"a": 0}), TypeError, "in_axes"),
    ("vmap in_axes with an array leaf",
     lambda: ft.vmap(lambda x: x, in_axes=(np.array([1.0, 2.0]),)), TypeError, "in_axes"),
    ("vmap out_axes with an array leaf",
     lambda: ft.vmap(lambda x: x, out_axes=(np.array([1.0, 2.0]),)), TypeError, "out_axes"),
    ("vmap in_axes of the wrong length",
     lambda: ft.vmap(lambda x: x, in_axes=(0, 0))(x3), ValueError, "len(in_axes)=2"),
]
ERROR_CASES += [
    (f"{name} of a non-callable", lambda t=t: t(3), TypeError, "callable")
    for name, t in [("grad", ft.grad), ("value_and_grad", ft.value_and_grad),
                    ("jacfwd", ft.jacfwd), ("jacrev", ft.jacrev), ("hessian", ft.hessian),
                    ("vmap", ft.vmap), ("make_jaxpr", ft.make_jaxpr),
                    ("jvp", lambda f: ft.jvp(f, (1.0,), (1.0,))),
                    ("vjp", lambda f: ft.vjp(f, 1.0)),
                    ("linearize", lambda f: ft.linearize(f, 1.0))]
]


@pytest.mark.parametrize("name,thunk,error,words", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors(name: str, thunk: Callable[[], Any], error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        thunk()


def test_python_scalar_tangents_take_the_primal_dtype() -> None:
    out, out_dot = ft.jvp(lambda x: x * 2.0, (np.float32(1.0),), (1.0,))
    assert out.dtype == out_dot.dtype == np.float32
    _, vjp_fn = ft.vjp(lambda x: x * 2.0, np.ones(3, np.float32))
    assert vjp_fn(np.ones(3, np.float32))[0].dtype == np.float32


# ---------------------------------------------------------------------------------------------
# vmap


def test_vmap_maps_keyword_arguments_over_axis_0() -> None:
    a, b = ft.vmap(lambda a, b: (2 * a, 3 * b))(a=np.array([1.0]), b=np.array([2.0]))
    np.testing.assert_array_equal(a, [2.0])
    np.testing.assert_array_equal(b, [6.0])
    out = ft.vmap(lambda x, k: x * k, in_axes=1)(np.ones((2, 3)), k=np.arange(3.0))
    np.testing.assert_array_equal(out, np.tile(np.arange(3.0)[:, None], (1, 2)))


def test_vmap_passes_unbatched_objects_through() -> None:
    out = ft.vmap(lambda f, x: f(x), (None, 0))(lambda x: x + 1, np.arange(3))
    np.testing.assert_array_equal(out, [1, 2, 3])
    out = ft.vmap(lambda x, mode: x * 2 if mode == "double" else x, (0, None))(x3, "double")
    np.testing.assert_array_equal(out, 2 * x3)


def test_vmap_passes_unbatched_values_as_they_are() -> None:
    def power(x: Any, n: int) -> Any:
        for _ in range(n):  # Python control flow on an unbatched argument
            x = x * 2.0
        return x

    jitted = ft.jit(power, static_argnums=1)  # a static argument of a jitted callee
    np.testing.assert_array_equal(ft.vmap(jitted, in_axes=(0, None))(x3, 3), 8.0 * x3)
    np.testing.assert_array_equal(ft.vmap(power, in_axes=(0, None))(x3, 2), 4.0 * x3)
    g = ft.grad(lambda w: ft.vmap(lambda x, w: fnp.dot(x, w), in_axes=(0, None))(
        np.ones((2, 3)), w).sum())(x3)
    np.testing.assert_array_equal(g, [2.0, 2.0, 2.0])


def test_vmap_accepts_numpy_integer_axes() -> None:
    out = ft.vmap(lambda x: x.sum(), in_axes=np.int64(1), out_axes=np.int64(0))(np.ones((2, 3)))
    np.testing.assert_array_equal(out, [2.0, 2.0, 2.0])


# ---------------------------------------------------------------------------------------------
# make_jaxpr


def test_make_jaxpr_traces_keyword_arguments() -> None:
    closed = ft.make_jaxpr(lambda a, *, k: a * k)(1.0, k=2.0)
    assert len(closed.jaxpr.invars) == 2
    assert str(closed).startswith("{ lambda ; a:f64[] b:f64[]. let")


# ---------------------------------------------------------------------------------------------
# lax: JAX's signatures


def test_cond_float_pred_is_compared_with_zero() -> None:
    assert ft.lax.cond(0.5, lambda x: x, lambda x: -x, 2.0) == 2.0
    assert ft.lax.cond(0.0, lambda x: x, lambda x: -x, 2.0) == -2.0
    f = ft.jit(lambda p, x: ft.lax.cond(p, lambda x: x, lambda x: -x, x))
    assert f(0.0, 2.0) == -2.0 and f(-1.5, 2.0) == 2.0


def test_cond_and_switch_take_operand_by_keyword() -> None:
    assert ft.lax.cond(True, lambda x: x * 2.0, lambda x: x, operand=3.0) == 6.0
    assert ft.lax.switch(1, [lambda x: x, lambda x: -x], operand=3.0) == -3.0
    with pytest.raises(TypeError, match="operand"):
        ft.lax.cond(True, lambda x: x, lambda x: x, 1.0, operand=2.0)


@pytest.mark.parametrize("pred", [None, (1.0, 1.0), "foo", lambda: True])
def test_cond_bad_pred_is_a_type_error(pred: Any) -> None:
    with pytest.raises(TypeError):
        ft.lax.cond(pred, lambda x: x, lambda x: x, 1.0)


def test_cond_branches_must_be_callable() -> None:
    with pytest.raises(TypeError, match="callable"):
        ft.lax.cond(True, 2.0, lambda x: x, 1.0)  # type: ignore[arg-type]


def test_scan_and_fori_loop_accept_unroll() -> None:
    carry, ys = ft.lax.scan(lambda c, x: (c + x, 2.0 * x), 0.0, x3, unroll=2)
    assert carry == 6.0
    np.testing.assert_array_equal(ys, 2.0 * x3)
    assert ft.lax.fori_loop(0, 3, lambda i, c: c + 1.0, 0.0, unroll=True) == 3.0


def test_lax_map() -> None:
    out = ft.lax.map(lambda p: {"s": p["a"] * 2.0, "t": p["a"].sum()}, {"a": np.ones((3, 2))})
    np.testing.assert_array_equal(out["s"], 2.0 * np.ones((3, 2)))
    np.testing.assert_array_equal(out["t"], [2.0, 2.0, 2.0])
    g = ft.grad(lambda w: ft.lax.map(lambda x: x * w, x3).sum())(2.0)
    assert g == 6.0
    out = ft.vmap(lambda w: ft.lax.map(lambda x: x * w, x3))(np.arange(2.0))
    np.testing.assert_array_equal(out, np.outer(np.arange(2.0), x3))
    out = ft.lax.map(lambda x: x + 1.0, x3, batch_size=2)
    np.testing.assert_array_equal(out, x3 + 1.0)


# ---------------------------------------------------------------------------------------------
# jit


@pytest.mark.parametrize("make", [
    lambda: ft.jit(lambda x: x, static_argnums=3),
    lambda: ft.jit(lambda x: x, static_argnums=-2),
    lambda: ft.jit(lambda x: x, static_argnames="zz"),
], ids=["argnums past the end", "negative argnums past the start", "unknown argname"])
def test_jit_static_args_must_name_parameters(make: Callable[[], Any]) -> None:
    with pytest.raises(ValueError, match="static_argn"):
        make()


def test_jit_static_args_unchecked_for_varargs() -> None:
    assert ft.jit(lambda *a: a[0] * a[1], static_argnums=1)(2.0, 3) == 6.0
    assert ft.jit(lambda x, **kw: x * kw["k"], static_argnames="k")(2.0, k=3) == 6.0


def test_jit_of_a_non_callable() -> None:
    with pytest.raises(TypeError, match="callable"):
        ft.jit(3)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# custom_jvp.defjvps


def _sin_times() -> Any:
    f = ft.custom_jvp(lambda x, y: fnp.sin(x) * y)
    # Deliberately scaled rules, so the test sees that they (not autodiff) are used.
    f.defjvps(lambda x_dot, ans, x, y: fnp.cos(x) * x_dot * y * 2.0,
              lambda y_dot, ans, x, y: fnp.sin(x) * y_dot * 3.0)
    return f


def test_defjvps_rules_are_used_by_every_transformation() -> None:
    f = _sin_times()
    gx, gy = ft.grad(lambda x, y: f(x, y).sum(), argnums=(0, 1))(x3, 2.0)
    np.testing.assert_allclose(gx, 4.0 * np.cos(x3))
    np.testing.assert_allclose(gy, 3.0 * np.sin(x3).sum())
    _, out_dot = ft.jvp(f, (x3, 2.0), (np.ones(3), 0.0))
    np.testing.assert_allclose(out_dot, 4.0 * np.cos(x3))
    np.testing.assert_allclose(ft.vmap(ft.grad(f))(x3, np.full(3, 2.0)), 4.0 * np.cos(x3))
    np.testing.assert_allclose(ft.jit(ft.grad(f, argnums=1))(1.0, 2.0), 3.0 * np.sin(1.0))


def test_defjvps_none_and_pytree_outputs() -> None:
    f = ft.custom_jvp(lambda x, y: fnp.sin(x) * y)
    f.defjvps(None, lambda y_dot, ans, x, y: fnp.sin(x) * y_dot)
    assert ft.grad(f)(1.0, 2.0) == 0.0
    g = ft.custom_jvp(lambda x: (x * 2.0, x * 3.0))
    g.defjvps(lambda x_dot, ans, x: (x_dot * 5.0, x_dot * 7.0))
    jac = ft.jacrev(g)(x3)
    np.testing.assert_allclose(jac[0], 5.0 * np.eye(3))
    np.testing.assert_allclose(jac[1], 7.0 * np.eye(3))


# ---------------------------------------------------------------------------------------------
# jvp and linearize with has_aux


def test_jvp_has_aux() -> None:
    out, out_dot, aux = ft.jvp(lambda x: (fnp.sin(x), {"x2": x * 2.0, "tag": "k"}), (x3,),
                               (np.ones(3),), has_aux=True)
    np.testing.assert_allclose(out, np.sin(x3))
    np.testing.assert_allclose(out_dot, np.cos(x3))
    np.testing.assert_array_equal(aux["x2"], 2.0 * x3)
    assert aux["tag"] == "k"
    with pytest.raises(TypeError, match="pair"):
        ft.jvp(fnp.sin, (x3,), (x3,), has_aux=True)


def test_linearize_has_aux() -> None:
    out, f_jvp, aux = ft.linearize(lambda x: (fnp.sin(x), x * 2.0), x3, has_aux=True)
    np.testing.assert_allclose(out, np.sin(x3))
    np.testing.assert_allclose(f_jvp(np.ones(3)), np.cos(x3))
    np.testing.assert_array_equal(aux, 2.0 * x3)
