"""custom_jvp and custom_vjp: the classic examples, every transformation honouring the rule,
pytrees, nondiff_argnums / nondiff_argnames, and the errors for rules that break their contract."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace.testing import check_grads

jit: Any = getattr(ft, "jit", None)  # functrace.jit, once it lands


def sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


# -- the classic custom_jvp: a numerically stable log(1 + exp(x)) ------------------------------


@ft.custom_jvp
def log1pexp(x: Any) -> Any:
    return fnp.log1p(fnp.exp(x))


@log1pexp.defjvp
def log1pexp_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
    (x,), (x_dot,) = primals, tangents
    return log1pexp(x), x_dot / (1.0 + fnp.exp(-x))  # x_dot * sigmoid(x)


def naive_log1pexp(x: Any) -> Any:
    return fnp.log1p(fnp.exp(x))


@pytest.fixture(autouse=True)
def _quiet_overflow() -> Any:
    with np.errstate(over="ignore", invalid="ignore"):
        yield


def test_log1pexp_gradient_is_stable_where_the_naive_one_is_nan() -> None:
    assert np.isnan(ft.grad(naive_log1pexp)(1000.0))  # the problem the rule solves
    assert ft.grad(log1pexp)(1000.0) == 1.0
    assert ft.grad(log1pexp)(-1000.0) == 0.0
    out, out_dot = ft.jvp(log1pexp, (1000.0,), (2.0,))
    assert out_dot == 2.0


@given(st.floats(-30.0, 30.0))
def test_log1pexp_values_and_derivatives(x: float) -> None:
    assert np.isclose(log1pexp(x), np.log1p(np.exp(x)), rtol=1e-12)
    assert np.isclose(ft.grad(log1pexp)(x), sigmoid(x), rtol=1e-12, atol=1e-300)
    s = sigmoid(x)
    assert np.isclose(ft.grad(ft.grad(log1pexp))(x), s * (1 - s), rtol=1e-9, atol=1e-15)


def test_untransformed_call_runs_the_function() -> None:
    calls = []

    @ft.custom_jvp
    def f(x: Any) -> Any:
        calls.append(type(x))
        return x * 2.0

    f.defjvp(lambda p, t: (f(*p), t[0] * 2.0))
    assert f(np.float64(3.0)) == 6.0
    assert calls == [np.float64]  # a plain call: no tracing at all


def test_make_jaxpr_prints_the_nested_jaxpr_and_the_rule() -> None:
    text = str(ft.make_jaxpr(log1pexp)(1.0))
    assert text == """\
{ lambda ; a:f64[]. let
    b:f64[] = custom_jvp_call[
      call_jaxpr={ lambda ; c:f64[]. let
          d:f64[] = exp c
          e:f64[] = log1p d
        in (e,) }
      jvp=log1pexp_jvp
      num_consts=0
    ] a
  in (b,) }"""


def test_grad_of_grad_differentiates_the_rule() -> None:
    # The rule says d sin = 2 cos (deliberately not the truth): higher derivatives must come
    # from differentiating the rule, not the function's own code.
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return fnp.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), 2.0 * fnp.cos(p[0]) * t[0]))
    x = 0.7
    assert np.isclose(ft.grad(f)(x), 2 * np.cos(x))
    assert np.isclose(ft.grad(ft.grad(f))(x), -2 * np.sin(x))
    assert np.isclose(ft.grad(ft.grad(ft.grad(f)))(x), -2 * np.cos(x))
    assert np.isclose(ft.jvp(ft.grad(f), (x,), (1.0,))[1], -2 * np.sin(x))
    assert np.isclose(ft.grad(lambda x: ft.jvp(f, (x,), (1.0,))[1])(x), -2 * np.sin(x))


# -- every transformation honours the rule -------------------------------------------------------
# f = sin with a rule claiming f' = 2 cos: each transformation must report 2 cos(x).


@ft.custom_jvp
def sin_jvp2(x: Any) -> Any:
    return fnp.sin(x)


@sin_jvp2.defjvp
def _sin_jvp2_rule(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
    return sin_jvp2(primals[0]), 2.0 * fnp.cos(primals[0]) * tangents[0]


@ft.custom_vjp
def sin_vjp2(x: Any) -> Any:
    return fnp.sin(x)


def _sin_vjp2_fwd(x: Any) -> tuple[Any, Any]:
    return sin_vjp2(x), fnp.cos(x)


def _sin_vjp2_bwd(cos_x: Any, ct: Any) -> tuple[Any]:
    return (2.0 * cos_x * ct,)


sin_vjp2.defvjp(_sin_vjp2_fwd, _sin_vjp2_bwd)


def _diag(jac: Any) -> Any:
    return np.diagonal(np.asarray(jac))


# name -> (derivative of f at a vector x, elementwise; whether forward mode is used)
DERIVATIVES: dict[str, tuple[Callable[[Callable[..., Any], Any], Any], bool]] = {
    "grad_of_sum": (lambda f, x: ft.grad(lambda x: fnp.sum(f(x)))(x), False),
    "vjp": (lambda f, x: ft.vjp(f, x)[1](np.ones_like(x))[0], False),
    "jacrev": (lambda f, x: _diag(ft.jacrev(f)(x)), False),
    "vmap_grad": (lambda f, x: ft.vmap(ft.grad(f))(x), False),
    "grad_vmap": (lambda f, x: ft.grad(lambda x: fnp.sum(ft.vmap(f)(x)))(x), False),
    "vmap_vmap_grad": (lambda f, x: ft.vmap(ft.vmap(ft.grad(f)))(x.reshape(1, -1))[0], False),
    "jvp": (lambda f, x: ft.jvp(f, (x,), (np.ones_like(x),))[1], True),
    "linearize": (lambda f, x: ft.linearize(f, x)[1](np.ones_like(x)), True),
    "jacfwd": (lambda f, x: _diag(ft.jacfwd(f)(x)), True),
    "vmap_jvp": (lambda f, x: ft.vmap(lambda x: ft.jvp(f, (x,), (1.0,))[1])(x), True),
}
if jit is not None:
    DERIVATIVES["grad_jit"] = (lambda f, x: ft.grad(lambda x: fnp.sum(jit(f)(x)))(x), False)
    DERIVATIVES["jit_grad"] = (lambda f, x: jit(ft.vmap(ft.grad(f)))(x), False)
    DERIVATIVES["jit_jvp"] = (lambda f, x: jit(lambda x: ft.jvp(f, (x,), (x * 0 + 1,))[1])(x),
                              True)


@pytest.mark.parametrize("name", sorted(DERIVATIVES))
@pytest.mark.parametrize("kind", ["custom_jvp", "custom_vjp"])
def test_every_transformation_uses_the_rule(name: str, kind: str) -> None:
    derivative, forward = DERIVATIVES[name]
    f = sin_jvp2 if kind == "custom_jvp" else sin_vjp2
    x = np.linspace(-1.0, 2.0, 4)
    if kind == "custom_vjp" and forward:
        with pytest.raises(TypeError, match="forward-mode autodiff"):
            derivative(f, x)
        return
    np.testing.assert_allclose(derivative(f, x), 2 * np.cos(x), rtol=1e-12)


@pytest.mark.parametrize("f", [sin_jvp2, sin_vjp2], ids=["custom_jvp", "custom_vjp"])
def test_values_are_the_functions_under_every_transformation(f: Any) -> None:
    x = np.linspace(-1.0, 2.0, 4)
    np.testing.assert_allclose(f(x), np.sin(x))
    np.testing.assert_allclose(ft.vmap(f)(x), np.sin(x))
    np.testing.assert_allclose(ft.vjp(f, x)[0], np.sin(x))
    np.testing.assert_allclose(ft.value_and_grad(lambda x: fnp.sum(f(x)))(x)[0],
                               np.sin(x).sum())
    if jit is not None:
        np.testing.assert_allclose(jit(f)(x), np.sin(x))


def test_log1pexp_under_jit() -> None:
    if jit is None:
        pytest.skip("functrace.jit is not available yet")
    assert jit(ft.grad(log1pexp))(1000.0) == 1.0
    assert ft.grad(jit(log1pexp))(1000.0) == 1.0
    assert "custom_jvp_call" in str(ft.make_jaxpr(jit(log1pexp))(1.0))


def test_custom_jvp_hessian_and_jacobians_of_vectors() -> None:
    x = np.array([-2.0, 0.0, 3.0])
    s = sigmoid(x)
    total = lambda x: fnp.sum(ft.vmap(log1pexp)(x))  # noqa: E731
    np.testing.assert_allclose(ft.hessian(total)(x), np.diag(s * (1 - s)), rtol=1e-12)
    np.testing.assert_allclose(ft.jacfwd(log1pexp)(x), np.diag(s), rtol=1e-12)
    np.testing.assert_allclose(ft.jacrev(log1pexp)(x), np.diag(s), rtol=1e-12)


def test_check_grads_passes_on_correct_rules() -> None:
    check_grads(log1pexp, (np.array([-1.0, 0.5, 2.0]),), order=2)
    check_grads(sin_times_two, (0.5,), order=2, modes=("rev",))


# -- the classic custom_vjp examples -------------------------------------------------------------


@ft.custom_vjp
def clip_gradient(lo: float, hi: float, x: Any) -> Any:
    return x  # the identity on the way forward ...


def clip_gradient_fwd(lo: float, hi: float, x: Any) -> tuple[Any, Any]:
    return x, (lo, hi)


def clip_gradient_bwd(res: Any, ct: Any) -> tuple[Any, Any, Any]:
    lo, hi = res
    return None, None, fnp.clip(ct, lo, hi)  # ... the cotangent clipped on the way back


clip_gradient.defvjp(clip_gradient_fwd, clip_gradient_bwd)


def test_clipped_gradient() -> None:
    f = lambda x: fnp.sum(np.array([3.0, 0.5, -2.0]) * clip_gradient(-1.0, 1.0, x))  # noqa: E731
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ft.grad(f)(x), [1.0, 0.5, -1.0])
    np.testing.assert_array_equal(clip_gradient(-1.0, 1.0, x), x)
    assert ft.grad(lambda x: 3.0 * clip_gradient(-1.0, 1.0, x))(2.0) == 1.0
    # no clipping without the rule
    assert ft.grad(lambda x: 3.0 * x)(2.0) == 3.0


@ft.custom_vjp
def cube_root(x: Any) -> Any:
    return fnp.sign(x) * fnp.abs(x) ** (1.0 / 3.0)


def cube_root_fwd(x: Any) -> tuple[Any, Any]:
    # Non-differentiable forward code: raw NumPy on the concrete value (np.asarray of a
    # tracer is refused) and a Python Newton loop on floats.
    a = np.asarray(x, dtype=np.float64)
    y = np.where(a == 0, 0.0, np.sign(a))
    for _ in range(60):
        y = np.where(a == 0, 0.0, y - (y ** 3 - a) / (3 * y ** 2 + (a == 0)))
    return y, {"y": y}


def cube_root_bwd(res: dict[str, Any], ct: Any) -> tuple[Any]:
    return (ct / (3.0 * res["y"] ** 2),)


cube_root.defvjp(cube_root_fwd, cube_root_bwd)


def test_custom_vjp_of_non_differentiable_forward_code() -> None:
    x = np.array([8.0, 27.0, -0.125])
    expected = 1.0 / (3.0 * np.cbrt(x) ** 2)
    np.testing.assert_allclose(ft.grad(lambda x: fnp.sum(cube_root(x)))(x), expected)
    np.testing.assert_allclose(ft.vjp(cube_root, x)[1](np.ones(3))[0], expected)
    np.testing.assert_allclose(ft.jacrev(cube_root)(x), np.diag(expected))
    assert np.isclose(ft.grad(cube_root)(8.0), 1.0 / 12.0)


calls: list[str] = []


@ft.custom_vjp
def solver_cbrt(x: Any) -> Any:
    """A raw-NumPy solver: np.asarray and a Python loop on values, in the function itself."""
    calls.append("solver_cbrt")
    a = np.asarray(x, dtype=np.float64)
    y = np.sign(a)
    while np.max(np.abs(y**3 - a)) > 1e-14 * np.max(np.abs(a)):
        y = y - (y**3 - a) / (3 * y**2)
    return y


def _solver_cbrt_fwd(x: Any) -> tuple[Any, Any]:
    y = solver_cbrt(x)  # x is concrete here: a plain call
    return y, y


solver_cbrt.defvjp(_solver_cbrt_fwd, lambda y, ct: (ct / (3 * y**2),))


def test_custom_vjp_whose_function_is_raw_numpy_runs_on_concrete_values() -> None:
    x = np.array([8.0, 27.0, -1.0])
    expected = 1.0 / (3.0 * np.cbrt(x) ** 2)
    calls.clear()
    np.testing.assert_allclose(ft.grad(lambda x: fnp.sum(solver_cbrt(x) * 2.0))(x),
                               2 * expected)
    # one failed attempt to trace it, one run for the output (reused as the value), one in fwd
    assert calls == ["solver_cbrt"] * 3
    np.testing.assert_allclose(ft.jacrev(solver_cbrt)(x), np.diag(expected))
    np.testing.assert_allclose(ft.value_and_grad(lambda x: solver_cbrt(x)[0])(x)[0], 2.0)
    # where values are unknown, the function must be traceable: the error says why
    with pytest.raises(ft.ConcretizationError, match="np.asarray"):
        ft.vmap(solver_cbrt)(x)
    with pytest.raises(ft.ConcretizationError):
        ft.make_jaxpr(solver_cbrt)(x)


@ft.custom_jvp
def leaky(x: Any) -> Any:
    if x > 0:  # Python control flow on the value, inside the decorated function
        return x * 2.0
    return x * 0.5


leaky.defjvp(lambda p, t: (leaky(p[0]), t[0] * (2.0 if p[0] > 0 else 0.5) * 10.0))


def test_custom_jvp_with_python_control_flow_on_values() -> None:
    assert ft.grad(leaky)(1.0) == 20.0 and ft.grad(leaky)(-1.0) == 5.0
    assert ft.jvp(leaky, (1.0,), (1.0,)) == (2.0, 20.0)
    assert ft.jacfwd(leaky)(3.0) == 20.0
    # f = leaky(x) x: f' = 20 x + leaky(x) and f'' = 20 + 20 by the rule
    assert ft.grad(ft.grad(lambda x: leaky(x) * x))(1.0) == 40.0


@ft.custom_vjp
def round_ste(x: Any) -> Any:
    return fnp.round(x)  # zero derivative almost everywhere


round_ste.defvjp(lambda x: (fnp.round(x), None), lambda res, ct: (ct,))  # straight through


def test_straight_through_estimator() -> None:
    x = np.array([0.2, 1.7, -2.4])
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(fnp.round(x) * x))(x), fnp.round(x))
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(round_ste(x) * x))(x),
                                  np.round(x) + x)


@ft.custom_vjp
def sin_times(x: Any, y: Any) -> Any:
    return fnp.sin(x) * y


def _sin_times_fwd(x: Any, y: Any) -> tuple[Any, Any]:
    return sin_times(x, y), (fnp.cos(x), fnp.sin(x), y)


def _sin_times_bwd(res: Any, ct: Any) -> tuple[Any, Any]:
    cos_x, sin_x, y = res
    return cos_x * ct * y, sin_x * ct


sin_times.defvjp(_sin_times_fwd, _sin_times_bwd)


def sin_times_two(x: Any) -> Any:
    return sin_times(x, 2.0)


def test_custom_vjp_higher_order_through_fwd_and_bwd() -> None:
    x, y = 0.7, 2.0
    gx, gy = ft.grad(sin_times, argnums=(0, 1))(x, y)
    assert np.isclose(gx, np.cos(x) * y) and np.isclose(gy, np.sin(x))
    assert np.isclose(ft.grad(ft.grad(sin_times))(x, y), -np.sin(x) * y)
    assert np.isclose(ft.grad(ft.grad(sin_times), argnums=1)(x, y), np.cos(x))


def test_custom_vjp_under_forward_over_reverse() -> None:
    # jacfwd(jacrev(f)) differentiates fwd and bwd forward; the primal custom_vjp_call it also
    # records feeds no output, so it is never asked for a tangent.
    x = np.array([0.1, 0.5, -1.2])
    np.testing.assert_allclose(ft.hessian(lambda x: fnp.sum(sin_vjp2(x)))(x),
                               np.diag(-2 * np.sin(x)), rtol=1e-12)
    assert np.isclose(ft.hessian(sin_times)(0.7, 2.0), -np.sin(0.7) * 2.0)
    hvp = ft.jvp(ft.grad(sin_times_two), (0.7,), (1.0,))[1]
    assert np.isclose(hvp, -2.0 * np.sin(0.7))


@ft.custom_vjp
def _scaled_exp(x: Any) -> Any:
    return fnp.exp(x)


_scaled_exp.defvjp(lambda x: (fnp.exp(x), fnp.exp(x)),
                   lambda y, ct: (2.0 * ct * y,))  # twice the true derivative, deliberately


def test_custom_vjp_output_used_nonlinearly_under_second_order() -> None:
    # As in JAX, the outer derivative of a custom_vjp call's *output* differentiates fwd (the
    # inner grad ran fwd to get it), it does not apply the custom rule once more, and forward
    # over reverse works when the output feeds the gradient (found by fuzzing against JAX).
    f = lambda x: fnp.sin(_scaled_exp(x))  # noqa: E731
    x = 0.3
    y = np.exp(x)
    # d/dx [cos(y) * 2y] with dy/dx = y (fwd's own derivative): JAX's value
    expected = -np.sin(y) * y * 2 * y + np.cos(y) * 2 * y
    assert np.isclose(ft.grad(ft.grad(f))(x), expected, rtol=1e-12)
    assert np.isclose(ft.hessian(f)(x), expected, rtol=1e-12)
    assert np.isclose(ft.jit(ft.grad(ft.grad(f)))(x), expected, rtol=1e-12)
    assert np.isclose(ft.jvp(ft.grad(f), (x,), (1.0,))[1], expected, rtol=1e-12)
    xs = np.array([0.3, -0.2])
    np.testing.assert_allclose(
        ft.hessian(lambda v: fnp.sum(fnp.sin(_scaled_exp(v))))(xs),
        np.diag(-np.sin(np.exp(xs)) * 2 * np.exp(2 * xs) + np.cos(np.exp(xs)) * 2 * np.exp(xs)),
        rtol=1e-12)


@pytest.mark.parametrize("wrap", [
    pytest.param(lambda g: ft.jit(g), id="jit"),
    pytest.param(lambda g: ft.jit(lambda v: ft.jit(g)(v) * 1.0), id="nested-jit"),
    pytest.param(lambda g: lambda v: ft.lax.cond(fnp.sum(v) > -10.0, g, lambda u: u, v),
                 id="cond"),
    pytest.param(lambda g: lambda v: ft.lax.scan(lambda c, z: (c, g(z * c)), 1.0, v)[1],
                 id="scan"),
    pytest.param(lambda g: lambda v: ft.lax.fori_loop(0, 1, lambda i, u: g(u), v),
                 id="fori_loop"),
    pytest.param(lambda g: ft.jit(lambda v: ft.lax.cond(True, g, lambda u: u, v)),
                 id="cond-in-jit"),
    pytest.param(lambda g: ft.checkpoint(g), id="checkpoint"),
    pytest.param(lambda g: ft.checkpoint(g, policy=ft.checkpoint_policies.dots_saveable),
                 id="checkpoint-policy"),
])
def test_custom_vjp_inside_a_staged_call_under_second_order(wrap: Callable[..., Any]) -> None:
    # The forward pass that reverse mode builds for a jit call, and the value of a loop, a
    # branch or a checkpoint on grad's tape, run fwd for the call (as the eager tape does), so
    # an outer derivative differentiates fwd's operations, as JAX's, and forward over reverse
    # (hessian) works.
    f = lambda v: fnp.sum(fnp.sin(wrap(_scaled_exp)(v)))  # noqa: E731
    xs = np.array([0.3, -0.2])
    y = np.exp(xs)
    expected = -np.sin(y) * 2 * y * y + np.cos(y) * 2 * y
    np.testing.assert_allclose(ft.grad(lambda v: fnp.sum(ft.grad(f)(v)))(xs), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(ft.hessian(f)(xs), np.diag(expected), rtol=1e-12)
    np.testing.assert_allclose(ft.grad(f)(xs), np.cos(y) * 2 * y, rtol=1e-12)


@ft.custom_vjp
def _scaled_mul(a: Any, b: Any) -> Any:
    return a * b


_scaled_mul.defvjp(lambda a, b: (a * b, (a, b)),
                   lambda res, ct: (2.0 * ct * res[1], 3.0 * ct * res[0]))  # scaled on purpose


def test_custom_vjp_argument_differentiated_only_by_the_outer_transformation() -> None:
    # y is differentiated by the inner grad, x only by the outer one: fwd still runs in the
    # outer trace, as in JAX (found by fuzzing: the values differed, and jacfwd refused).
    f = lambda x, y: fnp.sin(_scaled_mul(y, x))  # noqa: E731
    x, y = 0.3, 0.7
    # d/dx [cos(y x) * 2 x], the product's derivative in x being fwd's own (y), not 3 y
    expected = -np.sin(y * x) * y * 2 * x + 2 * np.cos(y * x)
    assert np.isclose(ft.grad(lambda x: ft.grad(f, 1)(x, y))(x), expected, rtol=1e-12)
    assert np.isclose(ft.jacfwd(ft.jacrev(f, 1), 0)(x, y), expected, rtol=1e-12)


# -- pytrees and nondiff_argnums -------------------------------------------------------------------


@ft.custom_jvp
def tree_fn(d: dict[str, Any], pair: tuple[Any, Any]) -> dict[str, Any]:
    return {"s": d["a"] * pair[0], "t": (fnp.sin(d["a"]), pair[1] * 2.0)}


@tree_fn.defjvp
def _tree_fn_jvp(primals: Any, tangents: Any) -> tuple[Any, Any]:
    (d, (p0, p1)), (dt, (p0_dot, p1_dot)) = primals, tangents
    out_dot = {"s": dt["a"] * p0 + d["a"] * p0_dot,
               "t": (fnp.cos(d["a"]) * dt["a"], p1_dot * 2.0)}
    return tree_fn(d, (p0, p1)), out_dot


@ft.custom_vjp
def tree_vjp_fn(d: dict[str, Any], pair: tuple[Any, Any]) -> dict[str, Any]:
    return {"s": d["a"] * pair[0], "t": (fnp.sin(d["a"]), pair[1] * 2.0)}


def _tree_vjp_fwd(d: Any, pair: Any) -> tuple[Any, Any]:
    return tree_vjp_fn(d, pair), {"cos": fnp.cos(d["a"]), "saved": [d["a"], (pair[0],)]}


def _tree_vjp_bwd(res: Any, ct: Any) -> tuple[Any, Any]:
    a, (p0,) = res["saved"]
    return ({"a": ct["s"] * p0 + ct["t"][0] * res["cos"]},
            (fnp.sum(ct["s"] * a), ct["t"][1] * 2.0))


tree_vjp_fn.defvjp(_tree_vjp_fwd, _tree_vjp_bwd)


def _tree_loss(f: Any) -> Callable[..., Any]:
    def loss(d: Any, pair: Any) -> Any:
        out = f(d, pair)
        return fnp.sum(out["s"] ** 2) + fnp.sum(out["t"][0]) + out["t"][1] * 3.0

    return loss


@pytest.mark.parametrize("f", [tree_fn, tree_vjp_fn], ids=["custom_jvp", "custom_vjp"])
def test_pytree_arguments_outputs_and_residuals(f: Any) -> None:
    d = {"a": np.array([0.5, -1.0])}
    pair = (np.array(1.5), np.array(0.25))
    reference = _tree_loss(lambda d, p: tree_fn.fun(d, p))  # plain autodiff of the same code
    got = ft.grad(_tree_loss(f), argnums=(0, 1))(d, pair)
    want = ft.grad(reference, argnums=(0, 1))(d, pair)
    np.testing.assert_allclose(got[0]["a"], want[0]["a"])
    np.testing.assert_allclose(got[1][0], want[1][0])
    np.testing.assert_allclose(got[1][1], want[1][1])
    assert set(got[0]) == {"a"} and isinstance(got[1], tuple)


def test_pytree_jvp_of_custom_jvp() -> None:
    d = {"a": np.array([0.5, -1.0])}
    pair = (np.array(1.5), np.array(0.25))
    tangents = ({"a": np.array([1.0, 2.0])}, (np.array(-1.0), np.array(3.0)))
    out, out_dot = ft.jvp(tree_fn, (d, pair), tangents)
    ref_out, ref_dot = ft.jvp(tree_fn.fun, (d, pair), tangents)
    for k in ("s",):
        np.testing.assert_allclose(out[k], ref_out[k])
        np.testing.assert_allclose(out_dot[k], ref_dot[k])
    np.testing.assert_allclose(out_dot["t"][0], ref_dot["t"][0])
    np.testing.assert_allclose(out_dot["t"][1], ref_dot["t"][1])


@partial(ft.custom_jvp, nondiff_argnums=(0,))
def apply_jvp(fn: Callable[[Any], Any], x: Any) -> Any:
    return fn(x)


@apply_jvp.defjvp
def _apply_jvp_rule(fn: Callable[[Any], Any], primals: Any, tangents: Any) -> tuple[Any, Any]:
    return apply_jvp(fn, primals[0]), 10.0 * tangents[0]


@partial(ft.custom_vjp, nondiff_argnums=(0,))
def apply_vjp(fn: Callable[[Any], Any], x: Any) -> Any:
    return fn(x)


apply_vjp.defvjp(lambda fn, x: (fn(x), None), lambda fn, res, ct: (10.0 * ct,))


@pytest.mark.parametrize("f", [apply_jvp, apply_vjp], ids=["custom_jvp", "custom_vjp"])
def test_nondiff_argnums_with_a_function_argument(f: Any) -> None:
    assert f(fnp.sin, 0.5) == np.sin(0.5)
    assert ft.grad(lambda x: f(fnp.sin, x))(0.5) == 10.0
    np.testing.assert_array_equal(ft.vmap(ft.grad(lambda x: f(fnp.sin, x)))(np.ones(3)),
                                  [10.0] * 3)


@partial(ft.custom_jvp, nondiff_argnums=(1,))
def scale(x: Any, s: Any) -> Any:
    return x * s


@scale.defjvp
def _scale_jvp(s: Any, primals: Any, tangents: Any) -> tuple[Any, Any]:
    return scale(primals[0], s), tangents[0] * s


def test_nondiff_array_argument_batched_by_vmap() -> None:
    x, s = np.arange(3.0), np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ft.vmap(scale)(x, s), x * s)
    np.testing.assert_array_equal(ft.vmap(ft.grad(scale))(x, s), s)
    np.testing.assert_array_equal(ft.jacfwd(lambda x: scale(x, s))(x), np.diag(s))
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(scale(x, s)))(x), s)


def test_keyword_arguments_are_resolved_to_positions() -> None:
    assert scale(2.0, s=3.0) == 6.0
    assert ft.grad(lambda x: scale(x=x, s=3.0))(2.0) == 3.0
    assert ft.grad(lambda x: sin_times(x, y=2.0))(0.0) == 2.0


@partial(ft.custom_jvp, nondiff_argnames=("n",))
def power_jvp(x: Any, n: int, y: Any) -> Any:
    return x ** n * y


@power_jvp.defjvp
def _power_jvp_rule(n: int, primals: Any, tangents: Any) -> tuple[Any, Any]:
    (x, y), (x_dot, y_dot) = primals, tangents
    return power_jvp(x, n, y), 10.0 * n * x ** (n - 1) * y * x_dot + x ** n * y_dot


# ``bwd`` receives the nondiff arguments in the order of their positions, the ones named by
# argnums and by argnames together; ``fwd`` receives every argument.
@partial(ft.custom_vjp, nondiff_argnums=(0,), nondiff_argnames="n")
def power_vjp(m: float, x: Any, n: int, y: Any) -> Any:
    return m * x ** n * y


def _power_fwd(m: float, x: Any, n: int, y: Any) -> tuple[Any, Any]:
    return power_vjp(m, x, n, y), (x, y)


def _power_bwd(m: float, n: int, res: Any, ct: Any) -> tuple[Any, Any]:
    x, y = res
    return 10.0 * m * n * x ** (n - 1) * y * ct, m * x ** n * ct


power_vjp.defvjp(_power_fwd, _power_bwd)


def test_nondiff_argnames_become_positions() -> None:
    assert power_jvp.nondiff_argnums == (1,)
    assert power_vjp.nondiff_argnums == (0, 2)
    both = ft.custom_jvp(lambda x, n: x, nondiff_argnums=(1,), nondiff_argnames=["n"])
    assert both.nondiff_argnums == (1,)


# The rule's derivative for x is 10 times the true one (30 at x=1, n=3, y=2 for power_jvp).
@pytest.mark.parametrize("call", [
    lambda f, x, y: f(x, 3, y),
    lambda f, x, y: f(x, n=3, y=y),
    lambda f, x, y: f(y=y, n=3, x=x),
], ids=["positional", "n by keyword", "all by keyword"])
def test_nondiff_argnames_of_custom_jvp(call: Any) -> None:
    f = partial(call, power_jvp)
    assert float(f(2.0, 3.0)) == 24.0
    out, out_dot = ft.jvp(f, (1.0, 2.0), (1.0, 0.0))
    assert (float(out), float(out_dot)) == (2.0, 60.0)
    assert ft.grad(f, argnums=(0, 1))(1.0, 2.0) == (60.0, 1.0)
    assert float(ft.jit(ft.grad(f))(1.0, 2.0)) == 60.0
    assert float(ft.grad(ft.jit(f))(1.0, 2.0)) == 60.0
    np.testing.assert_array_equal(ft.vmap(ft.grad(f))(np.array([1.0, 2.0]), np.ones(2)),
                                  [30.0, 120.0])
    np.testing.assert_array_equal(ft.vmap(f)(np.array([1.0, 2.0]), np.ones(2)), [1.0, 8.0])


@pytest.mark.parametrize("call", [
    lambda f, x, y: f(2.0, x, 3, y),
    lambda f, x, y: f(2.0, x, n=3, y=y),
    lambda f, x, y: f(y=y, n=3, x=x, m=2.0),
], ids=["positional", "n by keyword", "all by keyword"])
def test_nondiff_argnames_of_custom_vjp(call: Any) -> None:
    f = partial(call, power_vjp)
    assert float(f(2.0, 3.0)) == 48.0
    assert ft.grad(f, argnums=(0, 1))(1.0, 2.0) == (120.0, 2.0)
    assert float(ft.jit(ft.grad(f))(1.0, 2.0)) == 120.0
    assert float(ft.grad(ft.jit(f))(1.0, 2.0)) == 120.0
    np.testing.assert_array_equal(ft.vmap(ft.grad(f))(np.array([1.0, 2.0]), np.ones(2)),
                                  [60.0, 240.0])
    np.testing.assert_array_equal(ft.jit(ft.vmap(f))(np.array([1.0, 2.0]), np.ones(2)),
                                  [2.0, 16.0])


def test_nondiff_argnames_as_jax() -> None:
    jax = pytest.importorskip("jax")
    seen: list[tuple[str, Any]] = []

    def make(custom_jvp: Any) -> Any:
        @partial(custom_jvp, nondiff_argnames=("n",), nondiff_argnums=(0,))
        def f(m: float, x: Any, n: int) -> Any:
            return m * x ** n

        @f.defjvp
        def f_jvp(m: float, n: int, primals: Any, tangents: Any) -> tuple[Any, Any]:
            seen.append((type(m).__name__, n))
            (x,), (x_dot,) = primals, tangents
            return f(m, x, n), m * n * x ** (n - 1) * x_dot

        return f

    ours = ft.grad(lambda x: make(ft.custom_jvp)(2.0, x, n=3))(1.5)
    theirs = jax.grad(lambda x: make(jax.custom_jvp)(2.0, x, n=3))(1.5)
    assert float(ours) == pytest.approx(float(theirs)) == 13.5
    assert seen == [("float", 3), ("float", 3)]


@pytest.mark.parametrize(("fun", "names", "error", "match"), [
    (lambda x, *, n: x, "n", ValueError, "names 'n', but <lambda>\\(x, \\*, n\\) has it as a "
     "keyword-only parameter"),
    (lambda x, n: x, ("m",), ValueError, "names 'm', but <lambda>\\(x, n\\) has no such"),
    (lambda x, /, n: x, "x", ValueError, "'x'.*positional-only parameter.*nondiff_argnums"),
    (lambda x, n: x, (1,), TypeError, "nondiff_argnames must be a string or a sequence of str"),
])
@pytest.mark.parametrize("kind", [ft.custom_jvp, ft.custom_vjp], ids=["custom_jvp", "custom_vjp"])
def test_bad_nondiff_argnames_are_clear_errors(kind: Any, fun: Any, names: Any,
                                               error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        kind(fun, nondiff_argnames=names)


# -- errors ---------------------------------------------------------------------------------------


def test_custom_vjp_under_forward_mode_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"can't apply forward-mode autodiff \(jvp\) to a "
                                        r"custom_vjp function"):
        ft.jvp(sin_times_two, (0.5,), (1.0,))
    with pytest.raises(TypeError, match="forward-mode"):
        ft.jacfwd(sin_times_two)(0.5)


def _bwd_returning(cts: Any) -> Any:
    @ft.custom_vjp
    def f(x: Any, y: Any) -> Any:
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, ct: cts(res, ct))
    return f


@pytest.mark.parametrize("cts, error, match", [
    (lambda res, ct: (ct * res[1],), TypeError, r"one cotangent per differentiated argument"
                                                r".*\(2\).*tuple of length 1"),
    (lambda res, ct: (ct, ct, ct), TypeError, "tuple of length 3"),
    (lambda res, ct: ct, TypeError, "a value of type"),
    (lambda res, ct: (np.ones(3), ct), ValueError, r"cotangent 0 has shape \(3,\)"),
    (lambda res, ct: ((ct,), ct), TypeError, "cotangent for argument 0 has structure"),
])
def test_bad_bwd_outputs_are_clear_errors(cts: Any, error: type, match: str) -> None:
    f = _bwd_returning(cts)
    with pytest.raises(error, match=match):
        ft.grad(f)(2.0, 3.0)


def test_bwd_may_return_none_for_a_zero_cotangent() -> None:
    f = _bwd_returning(lambda res, ct: (None, ct * res[0]))
    assert ft.grad(f, argnums=(0, 1))(2.0, 3.0) == (0.0, 2.0)


def _dict_rule(bwd_b: Any) -> Any:
    @ft.custom_vjp
    def f(x: Any, p: Any) -> Any:
        return x * p["a"] + fnp.sum(p["b"]["c"]) + fnp.sum(p["b"]["d"])

    f.defvjp(lambda x, p: (f(x, p), (x, p)),
             lambda res, g: (g * res[1]["a"], {"a": g * res[0], "b": bwd_b(g)}))
    return f


@pytest.mark.parametrize("bwd_b", [
    lambda g: None,  # zeros for a whole subtree
    lambda g: {"c": None, "d": None},  # or for each leaf
])
def test_bwd_may_return_none_for_any_subtree(bwd_b: Any) -> None:
    # As in JAX: None in a cotangent stands for zeros, for an argument or any part of it.
    x = np.array([0.5, -1.0])
    p = {"a": np.array([1.0, 2.0]), "b": {"c": np.array([0.3, 0.1]), "d": np.ones(3)}}
    f = _dict_rule(bwd_b)
    gx, gp = ft.grad(lambda x, p: fnp.sum(f(x, p)), argnums=(0, 1))(x, p)
    np.testing.assert_array_equal(gx, p["a"])
    np.testing.assert_array_equal(gp["a"], x)
    np.testing.assert_array_equal(gp["b"]["c"], np.zeros(2))
    np.testing.assert_array_equal(gp["b"]["d"], np.zeros(3))


def test_bwd_cannot_cover_a_subtree_with_one_array() -> None:
    f = _dict_rule(lambda g: np.zeros(2))
    with pytest.raises(TypeError, match="cotangent for argument 1 has structure"):
        ft.grad(lambda x, p: fnp.sum(f(x, p)), argnums=(0, 1))(
            np.ones(2), {"a": np.ones(2), "b": {"c": np.ones(2), "d": np.ones(2)}})


def _jvp_returning(rule: Any) -> Any:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return fnp.sin(x) * np.ones(2)

    f.defjvp(rule)
    return f


@pytest.mark.parametrize("rule, error, match", [
    (lambda p, t: fnp.sin(p[0]), TypeError, "must return a pair"),
    (lambda p, t: (fnp.sin(p[0]) * np.ones(2), (t[0], t[0])), TypeError, "structure"),
    (lambda p, t: (fnp.sin(p[0]) * np.ones(2), t[0] * np.ones(3)), TypeError,  # as JAX
     r"tangent output 0 has shape \(3,\)"),
    (lambda p, t: (fnp.sin(p[0]) * np.ones(3), t[0] * np.ones(2)), TypeError,
     r"primal output 0 is f64\[3\], the function's is f64\[2\]"),
    (lambda p, t: ((fnp.sin(p[0]) * np.ones(2)).astype(np.float32), t[0] * np.ones(2)),
     TypeError, r"primal output 0 is f32\[2\]"),
])
def test_bad_jvp_rule_outputs_are_clear_errors(rule: Any, error: type, match: str) -> None:
    f = _jvp_returning(rule)
    with pytest.raises(error, match=match):
        ft.jvp(f, (1.0,), (1.0,))


def test_closing_over_a_differentiated_value_is_refused() -> None:
    def g(w: Any) -> Any:
        @ft.custom_jvp
        def inner(x: Any) -> Any:
            return x * w

        inner.defjvp(lambda p, t: (inner(*p), t[0] * w))
        return inner(w)

    with pytest.raises(TypeError, match="closes over a value that is being differentiated"):
        ft.grad(g)(3.0)
    with pytest.raises(TypeError, match="closes over a value that is being differentiated"):
        ft.jvp(g, (3.0,), (1.0,))


def test_closing_over_constants_is_fine() -> None:
    w = np.array([1.0, 2.0])

    @ft.custom_jvp
    def f(x: Any) -> Any:
        return x * w

    f.defjvp(lambda p, t: (f(*p), 3.0 * t[0] * w))
    np.testing.assert_array_equal(ft.jacrev(f)(np.ones(2)), np.diag(3.0 * w))


def test_calling_without_a_rule_is_an_error() -> None:
    f = ft.custom_jvp(lambda x: x)
    with pytest.raises(AttributeError, match="No JVP defined"):
        f(1.0)
    g = ft.custom_vjp(lambda x: x)
    with pytest.raises(AttributeError, match="No VJP defined"):
        g(1.0)


def test_rules_are_honoured_inside_lax_control_flow() -> None:
    lax = pytest.importorskip("functrace.lax")
    x = 0.5

    def branchy(x: Any) -> Any:
        return lax.cond(x > 0, lambda x: sin_vjp2(x), lambda x: sin_jvp2(x) * 3.0, x)

    assert np.isclose(ft.grad(branchy)(x), 2 * np.cos(x))
    assert np.isclose(ft.grad(branchy)(-x), 6 * np.cos(-x))
    np.testing.assert_allclose(ft.vmap(ft.grad(branchy))(np.array([x, -x])),
                               [2 * np.cos(x), 6 * np.cos(-x)])

    def loop(x: Any) -> Any:
        return lax.fori_loop(0, 3, lambda i, c: sin_jvp2(c), x)

    # chain rule through three applications of the rule's 2 cos
    c1 = np.sin(x)
    c2 = np.sin(c1)
    assert np.isclose(ft.grad(loop)(x), 8 * np.cos(x) * np.cos(c1) * np.cos(c2))


def _counted_sin() -> tuple[Any, dict[str, int]]:
    counts = {"fwd": 0, "bwd": 0}

    @ft.custom_vjp
    def f(x: Any) -> Any:
        return fnp.sin(x)

    def fwd(x: Any) -> Any:
        counts["fwd"] += 1
        return f(x), fnp.cos(x)

    def bwd(cos_x: Any, g: Any) -> Any:
        counts["bwd"] += 1
        return (cos_x * g,)

    f.defvjp(fwd, bwd)
    return f, counts


def test_eager_grad_runs_fwd_once_in_the_forward_pass() -> None:
    # As in JAX: the forward pass runs fwd (keeping its residuals), the backward pass bwd only.
    f, counts = _counted_sin()
    x = np.linspace(0.1, 1.0, 3)
    np.testing.assert_allclose(ft.grad(lambda x: fnp.sum(f(x) * 2.0))(x), 2.0 * np.cos(x))
    assert counts == {"fwd": 1, "bwd": 1}
    out, pullback = ft.vjp(f, x)
    assert counts == {"fwd": 2, "bwd": 1}  # fwd ran in the forward pass
    np.testing.assert_allclose(out, np.sin(x))
    for scale in (1.0, 2.0):  # the kept residuals serve every call of the pullback
        np.testing.assert_allclose(pullback(scale * np.ones(3))[0], scale * np.cos(x))
    assert counts == {"fwd": 2, "bwd": 3}


@pytest.mark.parametrize("transform", ["jit(grad)", "vmap(grad)", "grad(jit)", "grad(grad)"])
def test_fwd_and_bwd_under_other_transformations(transform: str) -> None:
    f, _ = _counted_sin()
    g = {"jit(grad)": lambda h: ft.jit(ft.grad(h)), "vmap(grad)": lambda h: ft.vmap(ft.grad(h)),
         "grad(jit)": lambda h: ft.grad(ft.jit(h)),
         "grad(grad)": lambda h: ft.grad(lambda x: ft.grad(h)(x) * x)}[transform]
    x = np.float64(0.7) if transform != "vmap(grad)" else np.linspace(0.1, 1.0, 3)
    got = g(lambda x: f(x) * 2.0)(x)
    expected = g(lambda x: fnp.sin(x) * 2.0)(x)
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_fwd_output_of_the_wrong_shape_is_a_clear_error() -> None:
    @ft.custom_vjp
    def f(x: Any) -> Any:
        return fnp.sin(x)

    f.defvjp(lambda x: (fnp.sin(x) * np.ones(2), None), lambda r, g: (g,))
    with pytest.raises(TypeError, match=r"output 0 is f64\[2\], the function's is f64\[\]"):
        ft.grad(f)(0.5)
