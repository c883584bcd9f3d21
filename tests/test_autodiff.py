"""Forward and reverse mode end to end (issue 3's acceptance tests, benchmarks aside).

Higher-order derivatives against closed forms, Hessian-vector products four ways, Python
control flow under differentiation, symbolic zeros (exact zeros, and no work done for them),
stop_gradient, float32, the jvp/vjp transposition identity on random programs, and
check_grads' own behaviour.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace.interpreters.jvp import jvp_rules
from functrace.interpreters.vjp import vjp_rules
from functrace.primitives import elementwise as ew
from functrace.testing import check_grads, numerical_jacobian

# -- third-order derivatives against closed forms ------------------------------------------------

Scalar = Callable[[Any], Any]

# name -> (f, [f', f'', f'''] as NumPy functions, domain)
CLOSED_FORMS: dict[str, tuple[Scalar, list[Scalar], tuple[float, float]]] = {
    "sin": (fnp.sin, [np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)], (-3, 3)),
    "exp": (fnp.exp, [np.exp, np.exp, np.exp], (-3, 3)),
    "log": (fnp.log, [lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3], (0.2, 5)),
    "x**4": (lambda x: x**4, [lambda x: 4 * x**3, lambda x: 12 * x**2, lambda x: 24 * x],
             (-2, 2)),
    "sqrt": (fnp.sqrt, [lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5,
                        lambda x: 0.375 * x**-2.5], (0.2, 5)),
    "1/x": (lambda x: 1.0 / x, [lambda x: -1 / x**2, lambda x: 2 / x**3, lambda x: -6 / x**4],
            (0.3, 4)),
    "tanh": (fnp.tanh, [lambda x: 1 - np.tanh(x)**2,
                        lambda x: -2 * np.tanh(x) * (1 - np.tanh(x)**2),
                        lambda x: (6 * np.tanh(x)**2 - 2) * (1 - np.tanh(x)**2)], (-2, 2)),
    "x*sin(x)": (lambda x: x * fnp.sin(x),
                 [lambda x: np.sin(x) + x * np.cos(x), lambda x: 2 * np.cos(x) - x * np.sin(x),
                  lambda x: -3 * np.sin(x) - x * np.cos(x)], (-3, 3)),
    "exp(sin(x))": (lambda x: fnp.exp(fnp.sin(x)),
                    [lambda x: np.cos(x) * np.exp(np.sin(x)),
                     lambda x: (np.cos(x)**2 - np.sin(x)) * np.exp(np.sin(x)),
                     lambda x: np.cos(x) * (np.cos(x)**2 - 3 * np.sin(x) - 1)
                     * np.exp(np.sin(x))], (-3, 3)),
    "arctan": (fnp.arctan, [lambda x: 1 / (1 + x**2), lambda x: -2 * x / (1 + x**2)**2,
                            lambda x: (6 * x**2 - 2) / (1 + x**2)**3], (-3, 3)),
    "plain numpy sin(x)*x": (lambda x: np.sin(x) * x,
                             [lambda x: np.sin(x) + x * np.cos(x),
                              lambda x: 2 * np.cos(x) - x * np.sin(x),
                              lambda x: -3 * np.sin(x) - x * np.cos(x)], (-3, 3)),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
@settings(max_examples=15)
@given(u=st.floats(0.0, 1.0))
def test_grad_to_third_order_matches_closed_forms(name: str, u: float) -> None:
    f, derivatives, (lo, hi) = CLOSED_FORMS[name]
    x = lo + u * (hi - lo)
    g = f
    for order, closed_form in enumerate(derivatives, start=1):
        g = ft.grad(g)
        np.testing.assert_allclose(g(x), closed_form(x), rtol=1e-10, atol=1e-12,
                                   err_msg=f"order {order} of {name} at x={x}")


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_mixed_modes_to_third_order(name: str) -> None:
    """jvp(grad(grad)), grad(jvp(grad)) and jvp(jvp(jvp)) all give f'''."""
    f, derivatives, (lo, hi) = CLOSED_FORMS[name]
    x = lo + 0.37 * (hi - lo)
    d3 = derivatives[2](x)

    def fwd(h: Scalar) -> Scalar:
        return lambda x: ft.jvp(h, (x,), (1.0,))[1]

    for label, third in [("fwd-rev-rev", fwd(ft.grad(ft.grad(f)))),
                         ("rev-fwd-rev", ft.grad(fwd(ft.grad(f)))),
                         ("fwd-fwd-fwd", fwd(fwd(fwd(f))))]:
        np.testing.assert_allclose(third(x), d3, rtol=1e-10, atol=1e-12, err_msg=label)


# -- Hessian-vector products --------------------------------------------------------------------

A = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 3.0]])


def energy(x: Any) -> Any:
    return fnp.sum(fnp.sin(x) * x**2) + x @ A @ x + fnp.logsumexp(x * 1.5) + fnp.prod(
        fnp.cos(x))


@settings(max_examples=20)
@given(st.lists(st.floats(-2, 2), min_size=6, max_size=6))
def test_hessian_vector_products_four_ways(values: list[float]) -> None:
    x, v = np.array(values[:3]), np.array(values[3:])
    expected = numerical_jacobian(ft.grad(energy), x) @ v
    fwd_over_rev = ft.jvp(ft.grad(energy), (x,), (v,))[1]
    rev_over_fwd = ft.grad(lambda x: ft.jvp(energy, (x,), (v,))[1])(x)
    rev_over_rev = ft.grad(lambda x: fnp.vdot(ft.grad(energy)(x), v))(x)
    linearized = ft.linearize(ft.grad(energy), x)[1](v)
    for label, got in [("fwd-over-rev", fwd_over_rev), ("rev-over-fwd", rev_over_fwd),
                       ("rev-over-rev", rev_over_rev), ("linearize(grad)", linearized)]:
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6, err_msg=label)
    np.testing.assert_allclose(ft.hessian(energy)(x) @ v, fwd_over_rev, rtol=1e-12, atol=1e-12)


def test_grad_of_a_jvp() -> None:
    f = lambda x: fnp.exp(fnp.sin(x)) * x  # noqa: E731
    x = 0.4
    derivative = lambda x: ft.jvp(f, (x,), (1.0,))[1]  # noqa: E731
    second = np.exp(np.sin(x)) * ((np.cos(x) ** 2 - np.sin(x)) * x + 2 * np.cos(x))
    np.testing.assert_allclose(ft.grad(derivative)(x), second, rtol=1e-12)
    # and of a jvp along a direction, with respect to the tangent (it is linear in it)
    g = lambda t: ft.jvp(f, (x,), (t,))[1]  # noqa: E731
    np.testing.assert_allclose(ft.grad(g)(3.0), ft.grad(f)(x), rtol=1e-12)


# -- Python control flow under grad / jvp / vjp -------------------------------------------------


def piecewise(x: Any) -> Any:
    if x > 0:  # bool() of a tracer: its value is known under grad, jvp, vjp
        return x**2
    return fnp.sin(x)


def newton_sqrt(a: Any, tol: float = 1e-13) -> Any:
    """sqrt(a) by Newton's method: a data-dependent Python `while` loop."""
    y = a
    err = 1.0
    while err > tol:
        y_next = 0.5 * (y + a / y)
        err = fnp.abs(y_next - y) / y_next
        y = y_next
    return y


DERIVATIVE_OF: dict[str, Callable[[Scalar, float], Any]] = {
    "grad": lambda f, x: ft.grad(f)(x),
    "jvp": lambda f, x: ft.jvp(f, (x,), (1.0,))[1],
    "vjp": lambda f, x: ft.vjp(f, x)[1](1.0)[0],
    "jacfwd": lambda f, x: ft.jacfwd(f)(x),
    "jacrev": lambda f, x: ft.jacrev(f)(x),
}


@pytest.mark.parametrize("mode", sorted(DERIVATIVE_OF))
def test_python_if_on_traced_values(mode: str) -> None:
    d = DERIVATIVE_OF[mode]
    np.testing.assert_allclose(d(piecewise, 1.5), 3.0)
    np.testing.assert_allclose(d(piecewise, -0.5), np.cos(-0.5))


@pytest.mark.parametrize("mode", sorted(DERIVATIVE_OF))
def test_python_while_loop_newton_iteration(mode: str) -> None:
    a = 2.0
    assert np.isclose(newton_sqrt(a), np.sqrt(a))
    np.testing.assert_allclose(DERIVATIVE_OF[mode](newton_sqrt, a), 0.5 / np.sqrt(a),
                               rtol=1e-10)


@pytest.mark.parametrize("mode", sorted(DERIVATIVE_OF))
def test_float_of_a_tracer_for_logging(mode: str) -> None:
    log: list[float] = []

    def f(x: Any) -> Any:
        y = fnp.sin(x) * x
        log.append(float(y))  # e.g. print(f"loss {float(y):.3f}")
        log.append(int(x > 0))
        return y

    np.testing.assert_allclose(DERIVATIVE_OF[mode](f, 0.5), np.sin(0.5) + 0.5 * np.cos(0.5))
    assert log[0] == np.sin(0.5) * 0.5 and log[1] == 1


def test_grad_of_grad_through_a_python_loop() -> None:
    np.testing.assert_allclose(ft.grad(ft.grad(newton_sqrt))(2.0), -0.25 * 2.0**-1.5,
                               rtol=1e-8)
    np.testing.assert_allclose(ft.grad(ft.grad(piecewise))(-0.5), -np.sin(-0.5))


def test_control_flow_on_unknown_values_is_refused_where_values_are_unknown() -> None:
    with pytest.raises(ft.ConcretizationError, match="bool"):
        ft.make_jaxpr(piecewise)(1.0)
    with pytest.raises(ft.ConcretizationError):
        ft.vmap(piecewise)(np.ones(3))


# -- symbolic zeros -------------------------------------------------------------------------------


def test_unused_input_gets_an_exact_zero_gradient() -> None:
    def f(x: Any, y: Any, z: Any) -> Any:
        return fnp.sum(fnp.sin(x) * 2.0) + 0.0 * fnp.sum(z)

    x, y, z = np.ones(3), np.full((2, 2), 5.0, np.float32), np.ones(2)
    gx, gy, gz = ft.grad(f, argnums=(0, 1, 2))(x, y, z)
    assert gy.shape == (2, 2) and gy.dtype == np.float32
    np.testing.assert_array_equal(gy, 0.0)
    np.testing.assert_array_equal(gz, 0.0)
    np.testing.assert_allclose(gx, 2 * np.cos(x))
    out, out_dot = ft.jvp(lambda x, y: (x * 2.0, fnp.exp(y)), (1.0, 2.0), (1.0, 0.0))
    assert out_dot[1] == 0.0
    _, vjp_fn = ft.vjp(lambda x, y: x * 3.0, 1.0, 2.0)
    assert vjp_fn(1.0) == (3.0, 0.0)


@contextmanager
def counting(table: dict[Any, Any], prim: Any) -> Iterator[list[int]]:
    """Count the calls of ``table[prim]`` (a jvp or vjp rule) inside the block."""
    calls = [0]
    rule = table[prim]

    def counted(*args: Any, **params: Any) -> Any:
        calls[0] += 1
        return rule(*args, **params)

    table[prim] = counted
    try:
        yield calls
    finally:
        table[prim] = rule


def chain(y: Any, n: int = 20) -> Any:
    for _ in range(n):
        y = fnp.sin(y) * 0.9 + 0.1
    return y


def test_backward_pass_skips_equations_that_do_not_reach_differentiated_inputs() -> None:
    f = lambda x, y: x * chain(y)  # noqa: E731
    with counting(vjp_rules, ew.sin_p) as calls:
        ft.grad(f, argnums=0)(1.0, 2.0)
    assert calls[0] == 0  # the chain on y is never visited
    with counting(vjp_rules, ew.sin_p) as calls:
        ft.grad(f, argnums=1)(1.0, 2.0)
    assert calls[0] == 20
    # The recorded program: the forward pass plus one equation for the backward pass.
    n_forward = len(ft.make_jaxpr(f)(1.0, 2.0).eqns)
    assert len(ft.make_jaxpr(ft.grad(f, argnums=0))(1.0, 2.0).eqns) <= n_forward + 1
    assert len(ft.make_jaxpr(ft.grad(f, argnums=1))(1.0, 2.0).eqns) > n_forward + 40


def test_forward_pass_skips_equations_without_tangents() -> None:
    f = lambda x, y: x * chain(y)  # noqa: E731
    with counting(jvp_rules, ew.sin_p) as calls:
        ft.jvp(lambda x: f(x, 2.0), (1.0,), (1.0,))
    assert calls[0] == 0  # a constant's tangent is a symbolic zero: its chain costs nothing
    with counting(jvp_rules, ew.sin_p) as calls:
        ft.jvp(lambda y: f(2.0, y), (1.0,), (1.0,))
    assert calls[0] == 20
    with counting(jvp_rules, ew.sin_p) as calls:
        ft.grad(ft.grad(lambda x: f(x, 2.0)))(1.0)
    assert calls[0] == 0


def _recorded_forward(f: Callable[..., Any], *args: Any) -> list[str]:
    """The primitives recorded by ``vjp``'s trace of ``f`` (the tape of its backward pass)."""
    _, pullback = ft.vjp(f, *args)
    return [eqn.primitive.name for eqn in pullback.closed.jaxpr.eqns]  # type: ignore[attr-defined]


def test_grad_does_not_record_work_on_constants() -> None:
    # As in JAX, what does not involve the differentiated inputs runs as plain NumPy: the
    # chain on a constant, the index arithmetic on integer labels, the stop_gradient-ed shift
    # of a logsumexp (one primitive) and what is computed from it are not on the tape.
    labels = np.array([1, -1, 0])
    f = lambda x: (x * chain(np.float64(2.0))).sum()  # noqa: E731
    assert _recorded_forward(f, np.ones(3)) == ["mul", "reduce_sum"]
    g = lambda z: z[np.arange(3), labels].sum()  # noqa: E731
    assert _recorded_forward(g, np.ones((3, 2))) == ["gather", "reduce_sum"]
    names = _recorded_forward(lambda z: fnp.logsumexp(z, axis=1), np.ones((3, 2)))
    assert "stop_gradient" not in names and "select_n" not in names and "lt" not in names
    # Comparisons of traced values are computed, not recorded: their derivative is zero.
    assert _recorded_forward(lambda x: fnp.where(x > 0, x, 0.0 * x), np.ones(2)).count("gt") == 0
    # ... and the values and derivatives are unchanged, to higher order and under jit.
    z = np.array([[0.5, -1.0], [2.0, 3.0], [-np.inf, 1.0]])
    h = lambda z: (fnp.logsumexp(z, axis=1) ** 2).sum()  # noqa: E731
    np.testing.assert_allclose(ft.grad(h)(z), ft.jit(ft.grad(h))(z))
    np.testing.assert_allclose(ft.hessian(h)(z[:2]), numerical_jacobian(ft.grad(h), z[:2]),
                               rtol=1e-6, atol=1e-6)


def test_logsumexp_is_one_primitive_with_jax_values_at_the_edges() -> None:
    # One equation on the tape; the derivative is the softmax, JAX's values included at
    # infinite, NaN and huge entries (a huge result's rounding must not bias the softmax).
    assert _recorded_forward(lambda z: fnp.logsumexp(z, axis=1), np.ones((3, 2))) == [
        "reduce_logsumexp"]
    z = np.array([[np.inf, 1.0], [-np.inf, -np.inf], [np.nan, 1.0], [-np.inf, 2.0],
                  [1e300, 1e300]])
    nan, inf = np.nan, np.inf
    f = lambda z: fnp.logsumexp(z, axis=1)  # noqa: E731
    g = lambda z: fnp.sum(f(z) * 1.5)  # noqa: E731
    with np.errstate(invalid="ignore"):  # inf - inf, as NumPy computes it, warns
        for run in (f, ft.jit(f)):
            np.testing.assert_array_equal(run(z), [inf, -inf, nan, 2.0, 1e300])
        want = [[nan, 0.0], [nan, nan], [nan, nan], [0.0, 1.5], [0.75, 0.75]]  # JAX's
        for grad in (ft.grad(g), ft.jit(ft.grad(g)), ft.grad(ft.jit(g))):
            np.testing.assert_array_equal(grad(z), want)
    for scalar in (3.0, np.array(3.0), np.float32(3.0)):  # 0-d: nothing to reduce
        assert fnp.logsumexp(scalar) == ft.jit(fnp.logsumexp)(scalar) == 3.0
        assert ft.grad(fnp.logsumexp)(scalar) == 1.0
    big = np.array([1e8, 1e8, 1e8 - 64], np.float32)  # the result rounds to 1e8 in float32
    np.testing.assert_allclose(ft.grad(fnp.logsumexp)(big), [0.5, 0.5, 0.0], atol=1e-7)
    check_grads(lambda z: fnp.logsumexp(z, axis=0, keepdims=True), (z[3:4, 1:] + z[:1, 1:],),
                order=3)


def test_folded_zero_derivative_work_is_still_seen_by_outer_transformations() -> None:
    # stop_gradient folded by the inner grad is still applied one level up.
    f = lambda x: x * ft.stop_gradient(x)  # noqa: E731
    assert ft.grad(ft.grad(f))(3.0) == 0.0
    assert ft.jvp(ft.grad(f), (3.0,), (1.0,)) == (3.0, 0.0)
    jaxpr = ft.make_jaxpr(ft.grad(f))(3.0)
    assert "stop_gradient" in str(jaxpr)
    # A comparison folded by the inner grad: Python control flow on it still works.
    g = lambda x: x ** 3 if x > 0 else -x  # noqa: E731
    assert ft.grad(ft.grad(g))(2.0) == 12.0 and ft.grad(ft.grad(g))(-2.0) == 0.0


def test_a_finished_trace_and_its_tape_are_freed_by_reference_counting() -> None:
    # The tape holds every intermediate array: it must go when grad returns, not whenever the
    # cyclic garbage collector next runs.
    import gc

    from functrace.tracing import JaxprTrace

    w = np.ones((4, 2))
    f = lambda x: fnp.sum(fnp.tanh(x @ w) + w.sum())  # noqa: E731 - w is a lifted constant
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    def traces() -> set[int]:
        return {id(o) for o in gc.get_objects() if isinstance(o, JaxprTrace)}

    try:
        before = traces()  # other tests may keep leaked tracers (and their traces) alive
        for transform in (ft.grad(f), ft.jacrev(f), lambda x: ft.jvp(f, (x,), (x,))):
            transform(np.ones((3, 4)))
            assert traces() <= before
    finally:
        if was_enabled:
            gc.enable()


def test_the_tape_of_vjp_keeps_only_what_the_vjp_rules_read() -> None:
    # exp's and tanh's vjps read their outputs; add's reads nothing: exp(x) + 1 is not kept.
    x = np.linspace(-1.0, 1.0, 5)
    out, pullback = ft.vjp(lambda x: fnp.tanh(fnp.exp(x) + 1.0), x)
    # The values the tape keeps; the others are stood for by their avals.
    kept = [v for v in pullback.values.values() if not isinstance(v, ft.ShapedArray)]
    assert len(kept) == 3  # the input, exp(x) and the output
    assert any(np.array_equal(v, np.exp(x)) for v in kept)
    assert any(np.array_equal(v, out) for v in kept)
    assert not any(np.array_equal(v, np.exp(x) + 1.0) for v in kept)
    # A rule that needs an operand's shape only gets its aval, and that is enough.
    g = lambda x: fnp.sum(fnp.reshape(x[1:], (2, 2)) * 3.0)  # noqa: E731
    np.testing.assert_array_equal(ft.grad(g)(x), [0.0, 3.0, 3.0, 3.0, 3.0])
    # The pullback can run again (its tape is intact); grad's backward pass frees it as it goes.
    (g1,) = pullback(np.ones(5))
    (g2,) = pullback(np.ones(5))
    np.testing.assert_array_equal(g1, g2)
    np.testing.assert_allclose(g1, np.exp(x) * (1.0 - np.tanh(np.exp(x) + 1.0) ** 2))


# -- stop_gradient ---------------------------------------------------------------------------------


def test_stop_gradient_of_a_pytree_stops_every_leaf() -> None:
    x = np.array([1.0, 2.0])
    f = lambda p: fnp.sum(p["a"] * ft.stop_gradient(p)["a"] + ft.stop_gradient(p)["b"])  # noqa: E731
    g = ft.grad(f)({"a": x, "b": x})
    np.testing.assert_array_equal(g["a"], x)
    np.testing.assert_array_equal(g["b"], np.zeros(2))


def test_stop_gradient() -> None:
    f = lambda x: x * ft.stop_gradient(x)  # noqa: E731
    assert f(3.0) == 9.0
    assert ft.grad(f)(3.0) == 3.0
    assert ft.jvp(f, (3.0,), (1.0,)) == (9.0, 3.0)
    assert ft.grad(ft.grad(f))(3.0) == 0.0
    g = lambda x: fnp.sum(ft.stop_gradient(fnp.exp(x)) * x)  # noqa: E731
    np.testing.assert_allclose(ft.grad(g)(np.arange(3.0)), np.exp(np.arange(3.0)))
    np.testing.assert_allclose(ft.vmap(ft.grad(f))(np.arange(3.0)), np.arange(3.0))
    assert ft.grad(lambda x: ft.stop_gradient(x) ** 2)(3.0) == 0.0


# -- derivatives at special points ---------------------------------------------------------------


def test_abs_has_derivative_sign_zero_at_zero() -> None:
    # The central-difference value (and autograd's); JAX takes +1 (docs/design.md).
    x = np.array([-2.0, 0.0, 3.0])
    expected = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(ft.vmap(ft.grad(fnp.abs))(x), expected)
    np.testing.assert_array_equal(ft.jvp(fnp.abs, (x,), (np.ones(3),))[1], expected)
    np.testing.assert_array_equal(ft.jacrev(fnp.abs)(x), np.diag(expected))
    np.testing.assert_array_equal(ft.hessian(lambda x: fnp.sum(fnp.abs(x)))(x), np.zeros((3, 3)))
    check_grads(lambda x: 3.0 * fnp.abs(x), (0.0,), order=1, modes=("fwd", "rev"))


@pytest.mark.parametrize("y", [0.0, 1.0, 2.0])
def test_power_at_zero_has_finite_higher_derivatives_in_both_modes(y: float) -> None:
    # x**y at x == 0: d/dx is 0 for y == 0 (and y == 2), 1 for y == 1; d2/dx2 is 0, 0, 2.
    f = lambda x: fnp.power(x, y)  # noqa: E731
    d1, d2 = {0.0: (0.0, 0.0), 1.0: (1.0, 0.0), 2.0: (0.0, 2.0)}[y]
    assert ft.grad(f)(0.0) == d1
    for second in (ft.grad(ft.grad(f)), ft.jacfwd(ft.grad(f)), ft.jacrev(ft.jacfwd(f)),
                   ft.jit(ft.hessian(f))):
        assert second(0.0) == d2
    assert ft.grad(ft.grad(ft.grad(f)))(0.0) == 0.0


@pytest.mark.parametrize("x", [1.5, 0.3, 4.0])
def test_power_mixed_second_derivative_at_exponent_zero(x: float) -> None:
    # d/dx x**y = y x**(y-1) is 0 at y == 0, but its derivative in y there is 1/x.
    f = lambda x, y: fnp.power(x, y)  # noqa: E731
    y, exact = 0.0, 1.0 / x
    for h in (ft.hessian(f, (0, 1)), ft.jit(ft.hessian(f, (0, 1))),
              ft.jacrev(ft.jacfwd(f, (0, 1)), (0, 1))):
        (_, dxdy), (dydx, _) = h(x, y)
        np.testing.assert_allclose([dxdy, dydx], [exact, exact], rtol=1e-14)
    np.testing.assert_allclose(ft.grad(ft.grad(f, 0), 1)(x, y), exact, rtol=1e-14)


@pytest.mark.parametrize("x,y", [(1.5, 1.5), (-1.5, 1.5), (0.3, -2.0), (2.0, 0.0)])
def test_hypot_hessian_is_exact_at_ties_too(x: float, y: float) -> None:
    r = np.hypot(x, y)
    expected = np.array([[y * y, -x * y], [-x * y, x * x]]) / r**3
    h = ft.hessian(lambda v: fnp.hypot(v[0], v[1]))(np.array([x, y]))
    np.testing.assert_allclose(h, expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(ft.grad(fnp.hypot, (0, 1))(x, y), (x / r, y / r), rtol=1e-15)


def test_hypot_at_the_origin_and_near_overflow() -> None:
    assert ft.grad(fnp.hypot, (0, 1))(0.0, 0.0) == (0.0, 0.0)
    along_x = lambda x: fnp.hypot(x, 0.0)  # noqa: E731 - |x|: abs's derivatives at 0
    assert ft.grad(ft.grad(along_x))(0.0) == 0.0 == ft.jacfwd(ft.grad(along_x))(0.0)
    big = 1e300
    assert np.isclose(fnp.hypot(big, big), np.sqrt(2) * big)
    np.testing.assert_allclose(ft.grad(fnp.hypot, (0, 1))(big, big), (0.5**0.5, 0.5**0.5))


def test_cbrt_has_an_infinite_derivative_at_zero_and_exact_ones_elsewhere() -> None:
    # The vertical tangent of x**(1/3) at 0 (JAX's value), not sign(x)*|x|**(1/3)'s 0 * inf.
    x = np.array([0.0, 8.0, -27.0])
    expected = np.array([np.inf, 1.0 / 12.0, 1.0 / 27.0])
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(ft.vmap(ft.grad(fnp.cbrt))(x), expected, rtol=1e-15)
        np.testing.assert_allclose(ft.jvp(fnp.cbrt, (x,), (np.ones(3),))[1], expected,
                                   rtol=1e-15)
    check_grads(fnp.cbrt, (x[1:],), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("a,adjugate", [
    (np.array([[1.0, 2.0], [2.0, 4.0]]), np.array([[4.0, -2.0], [-2.0, 1.0]])),  # rank 1 of 2
    (np.arange(1.0, 10.0).reshape(3, 3),  # rank 2 of 3: a nonzero adjugate
     np.array([[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]])),
    (np.ones((3, 3)), np.zeros((3, 3))),  # rank 1 of 3: every cofactor is 0
])
def test_det_gradient_at_singular_matrices_is_the_adjugate_transposed(
        a: np.ndarray, adjugate: np.ndarray) -> None:
    for g in (ft.grad(fnp.linalg.det), ft.jit(ft.grad(fnp.linalg.det)), ft.jacrev(fnp.linalg.det)):
        np.testing.assert_allclose(g(a), adjugate.T, atol=1e-12)
    t = np.random.default_rng(0).standard_normal(a.shape)
    np.testing.assert_allclose(ft.jvp(fnp.linalg.det, (a,), (t,))[1],
                               np.sum(adjugate.T * t), atol=1e-12)
    batch = np.stack([a, a + np.eye(len(a))])
    np.testing.assert_allclose(ft.vmap(ft.grad(fnp.linalg.det))(batch)[0], adjugate.T,
                               atol=1e-12)


def _cofactor_adjugate(a: np.ndarray) -> np.ndarray:
    """adj(a) from its definition, a determinant of a minor per entry (any rank)."""
    n = len(a)
    return np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, j, 0), i, 1))
                      for j in range(n)] for i in range(n)])


@pytest.mark.parametrize("rank", [5, 4, 3, 1, 0])
def test_det_second_derivative_at_any_rank(rank: int) -> None:
    # hessian(det)[i, j, k, l] = d adj(a)[j, i] / d a[k, l]: checked along a direction against
    # central differences of the cofactor definition, which holds at singular matrices too.
    rng = np.random.default_rng(rank)
    a = rng.standard_normal((5, rank)) @ rng.standard_normal((rank, 5))
    e = rng.standard_normal((5, 5))
    h = 1e-6
    expected = (_cofactor_adjugate(a + h * e) - _cofactor_adjugate(a - h * e)).T / (2 * h)
    for hess in (ft.hessian(fnp.linalg.det), ft.jit(ft.hessian(fnp.linalg.det)),
                 ft.jacrev(ft.jacrev(fnp.linalg.det))):
        got = np.einsum("ijkl,kl->ij", hess(a), e)
        np.testing.assert_allclose(got, expected, atol=1e-7 * max(1.0, np.abs(expected).max()))
    # Forward over reverse, through the vjp rule's transpose.
    hvp = ft.jvp(ft.grad(fnp.linalg.det), (a,), (e,))[1]
    np.testing.assert_allclose(hvp, expected, atol=1e-7 * max(1.0, np.abs(expected).max()))
    if rank == 5:
        check_grads(fnp.linalg.det, (a,), order=3)


def test_nan_to_num_replaces_infinities_and_stops_their_gradient() -> None:
    x = np.array([np.inf, -np.inf, np.nan, 1.5])
    for kwargs in ({}, {"nan": 2.0, "posinf": 5.0, "neginf": -3.0}):
        np.testing.assert_array_equal(fnp.nan_to_num(x, **kwargs), np.nan_to_num(x, **kwargs))
        np.testing.assert_array_equal(ft.jit(lambda x: fnp.nan_to_num(x, **kwargs))(x),
                                      np.nan_to_num(x, **kwargs))
    x32 = x.astype(np.float32)
    np.testing.assert_array_equal(fnp.nan_to_num(x32), np.nan_to_num(x32))
    assert fnp.nan_to_num(x32).dtype == np.float32
    np.testing.assert_array_equal(fnp.nan_to_num(np.arange(3)), np.arange(3))
    g = ft.grad(lambda x: fnp.sum(fnp.nan_to_num(x) * 0.5))(x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 0.5])


# -- float32 ---------------------------------------------------------------------------------------


def test_float32_stays_float32_with_looser_tolerances() -> None:
    x32 = np.linspace(-1.0, 1.0, 5, dtype=np.float32)
    g32 = ft.grad(energy_like)(x32)
    assert g32.dtype == np.float32
    g64 = ft.grad(energy_like)(x32.astype(np.float64))
    np.testing.assert_allclose(g32, g64, rtol=1e-5, atol=1e-6)
    h32 = ft.hessian(energy_like)(x32)
    assert h32.dtype == np.float32
    np.testing.assert_allclose(h32, ft.hessian(energy_like)(x32.astype(np.float64)),
                               rtol=1e-4, atol=1e-5)
    hvp = ft.jvp(ft.grad(energy_like), (x32,), (np.ones(5, np.float32),))[1]
    assert hvp.dtype == np.float32
    check_grads(energy_like, (x32,), order=2)  # float32 defaults: larger steps, looser tolerance


def energy_like(x: Any) -> Any:
    return fnp.sum(fnp.tanh(x) * x**2) + fnp.logsumexp(2.0 * x)


# -- jvp / vjp transposition on random programs --------------------------------------------------

UNARY: list[Callable[[Any], Any]] = [fnp.sin, fnp.tanh, lambda x: x * x, fnp.exp,
                                     lambda x: fnp.log1p(x * x), lambda x: fnp.cumsum(x),
                                     lambda x: x[::-1], lambda x: fnp.sum(x) * x]
BINARY: list[Callable[[Any, Any], Any]] = [fnp.add, fnp.multiply, fnp.subtract,
                                           lambda a, b: fnp.maximum(a, b) * 0.5 + a,
                                           lambda a, b: a * fnp.sum(b)]


def random_program(ops: list[tuple[int, int, int]]) -> Callable[[Any, Any], Any]:
    """A straight-line program over a pool of vectors, built from a list of draws."""

    def program(x: Any, y: Any) -> Any:
        pool = [x, y]
        for kind, i, j in ops:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            if kind < len(UNARY):
                pool.append(UNARY[kind](a) * 0.5)
            else:
                pool.append(BINARY[kind - len(UNARY)](a, b) * 0.5)
        return fnp.stack([pool[-1], pool[-2] + pool[0]])

    return program


@settings(max_examples=30)
@given(st.lists(st.tuples(st.integers(0, len(UNARY) + len(BINARY) - 1), st.integers(0, 20),
                          st.integers(0, 20)), min_size=1, max_size=12),
       st.integers(0, 2**32 - 1))
def test_jvp_and_vjp_are_transposes_on_random_programs(ops: list[tuple[int, int, int]],
                                                       seed: int) -> None:
    rng = np.random.default_rng(seed)
    f = random_program(ops)
    x, y = rng.uniform(-1, 1, 4), rng.uniform(-1, 1, 4)
    vx, vy, u = rng.normal(size=4), rng.normal(size=4), rng.normal(size=(2, 4))
    _, jv = ft.jvp(f, (x, y), (vx, vy))
    _, vjp_fn = ft.vjp(f, x, y)
    ux, uy = vjp_fn(u)
    lhs, rhs = np.vdot(u, jv), np.vdot(ux, vx) + np.vdot(uy, vy)
    assert np.isclose(lhs, rhs, rtol=1e-10, atol=1e-10), (lhs, rhs)


# -- check_grads' own behaviour --------------------------------------------------------------------


def _sin_with_rule(rule: Callable[[Any, Any], Any]) -> Any:
    @ft.custom_jvp
    def f(x: Any) -> Any:
        return fnp.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), rule(p[0], t[0])))
    return f


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_check_grads_reports_the_worst_entry_of_a_wrong_rule(mode: str) -> None:
    wrong = _sin_with_rule(lambda x, t: t * fnp.cos(x) * fnp.where(x > 1.0, 1.5, 1.0))
    x = np.array([0.1, 0.5, 2.0, 0.3])
    with pytest.raises(AssertionError) as info:
        check_grads(wrong, (x,), order=1, modes=(mode,))
    message = str(info.value)
    assert "expected" in message and "got" in message
    if mode == "fwd":
        assert "worst entry at index (2,)" in message
    right = _sin_with_rule(lambda x, t: t * fnp.cos(x))
    check_grads(right, (x,), order=2, modes=(mode,))


def test_check_grads_order_two_catches_a_wrong_second_derivative() -> None:
    # The rule's value is right, but it is opaque to differentiation (stop_gradient): first
    # order passes, second order must not.
    opaque = _sin_with_rule(lambda x, t: t * ft.stop_gradient(fnp.cos(x)))
    x = np.array([0.3, 1.1])
    check_grads(opaque, (x,), order=1)
    with pytest.raises(AssertionError):
        check_grads(opaque, (x,), order=2, modes=("fwd",))
    with pytest.raises(AssertionError):
        check_grads(opaque, (x,), order=2, modes=("rev",))


def test_check_grads_defaults_depend_on_the_dtype() -> None:
    x32 = np.array([0.3, -1.2, 2.0], np.float32)
    f = lambda x: fnp.exp(fnp.sin(x)) * 3.0  # noqa: E731
    check_grads(f, (x32,), order=2)  # float32 defaults: a larger step and looser tolerances
    with pytest.raises(AssertionError):  # float64's defaults are too strict for float32
        check_grads(f, (x32,), order=1, modes=("fwd",), eps=1e-5, atol=1e-5, rtol=1e-5)
    check_grads(f, (x32.astype(np.float64),), order=2)


def test_check_grads_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError, match="modes"):
        check_grads(fnp.sin, (0.5,), modes=("forward",))
