"""custom_batching.custom_vmap and sequential_vmap: the rule is called with the right
in_batched, under vmap, nested vmap, jit and forward mode; reverse mode is refused, as in JAX."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace.custom_batching import custom_vmap, sequential_vmap

CALLS: list[tuple[int, Any]] = []


@custom_vmap
def f(x: Any, y: Any) -> Any:
    return fnp.sin(x) * y


@f.def_vmap
def f_rule(axis_size: int, in_batched: list[Any], xs: Any, ys: Any) -> tuple[Any, Any]:
    CALLS.append((axis_size, in_batched))
    return fnp.sin(xs) * ys, any(in_batched)  # (scalar arguments: broadcasting batches)


@pytest.fixture(autouse=True)
def _clear() -> None:
    CALLS.clear()


X = np.arange(3.0)


def test_unbatched_call_runs_the_function() -> None:
    assert float(f(1.0, 2.0)) == pytest.approx(2 * np.sin(1.0))
    assert float(ft.jit(f)(1.0, 2.0)) == pytest.approx(2 * np.sin(1.0))
    assert CALLS == []


@pytest.mark.parametrize("in_axes, batched", [((0, None), [True, False]),
                                              ((None, 0), [False, True]),
                                              ((0, 0), [True, True])])
def test_rule_sees_in_batched(in_axes: tuple[Any, Any], batched: list[bool]) -> None:
    x = X if in_axes[0] == 0 else 1.0
    y = X + 1.0 if in_axes[1] == 0 else 2.0
    out = ft.vmap(f, in_axes)(x, y)
    np.testing.assert_allclose(out, np.sin(x) * y)
    assert CALLS == [(3, batched)]


def test_the_rule_computes_the_batched_result() -> None:
    @custom_vmap
    def g(x: Any, y: Any) -> Any:
        return x + y

    @g.def_vmap
    def g_rule(axis_size: int, in_batched: list[bool], xs: Any, ys: Any) -> tuple[Any, Any]:
        assert all(in_batched) and xs.shape[0] == axis_size
        return xs * ys, True

    assert float(g(2.0, 3.0)) == 5.0
    np.testing.assert_allclose(ft.vmap(g)(X, X + 1.0), X * (X + 1.0))  # the rule, not x + y
    np.testing.assert_allclose(ft.jit(ft.vmap(g))(X, X + 1.0), X * (X + 1.0))
    np.testing.assert_allclose(ft.vmap(ft.jit(g))(X, X + 1.0), X * (X + 1.0))
    np.testing.assert_allclose(ft.vmap(g, out_axes=0, axis_size=3)(X, X), X * X)


def test_pytree_arguments_and_outputs() -> None:
    @custom_vmap
    def h(p: dict[str, Any], z: Any) -> tuple[Any, Any]:
        return p["a"] * z, p["b"]

    seen = []

    @h.def_vmap
    def h_rule(n: int, in_batched: list[Any], p: dict[str, Any], z: Any
               ) -> tuple[Any, Any]:
        seen.append(in_batched)
        a_b, b_b = in_batched[0]["a"], in_batched[0]["b"]
        return (p["a"] * z, p["b"]), (a_b or in_batched[1], b_b)

    p = {"a": X, "b": 7.0}
    out = ft.vmap(h, ({"a": 0, "b": None}, None))(p, 2.0)
    np.testing.assert_allclose(out[0], 2.0 * X)
    np.testing.assert_allclose(out[1], [7.0, 7.0, 7.0])
    assert seen == [[{"a": True, "b": False}, False]]


def test_nested_vmap() -> None:
    ones = np.ones((2, 3))
    np.testing.assert_allclose(ft.vmap(ft.vmap(f))(ones, ones), np.sin(ones))
    assert CALLS == [(3, [True, True])]  # the outer vmap batches the rule's own code (JAX too)
    CALLS.clear()
    out = ft.vmap(ft.vmap(f, (0, None)), (None, 0))(X, X)
    np.testing.assert_allclose(out, np.sin(X)[None, :] * X[:, None])
    assert CALLS == [(3, [True, False])]
    CALLS.clear()

    @custom_vmap
    def twice(x: Any) -> Any:
        return 2.0 * x

    @twice.def_vmap
    def twice_rule(n: int, in_batched: list[bool], xs: Any) -> tuple[Any, Any]:
        CALLS.append((n, in_batched))
        return twice(xs.sum(0)) * 0.0 + 2.0 * xs, True  # calls the function again, batched

    np.testing.assert_allclose(ft.vmap(ft.vmap(twice))(ones), 2.0 * ones)
    assert CALLS == [(3, [True]), (2, [True])]  # the rule's own call is batched by the outer


def test_forward_mode() -> None:
    out, out_dot = ft.jvp(f, (1.0, 2.0), (1.0, 0.0))
    np.testing.assert_allclose([out, out_dot], [2 * np.sin(1.0), 2 * np.cos(1.0)])
    assert CALLS == []
    out, out_dot = ft.vmap(lambda x: ft.jvp(f, (x, 2.0), (1.0, 0.0)))(X)
    np.testing.assert_allclose(out_dot, 2 * np.cos(X))
    # The primal call, then the tangent call, each through the rule.  (JAX makes one call
    # and passes [False, False], batching the rest of the tangent with an ordinary vmap.)
    assert CALLS == [(3, [True, False]), (3, [True, False])]
    CALLS.clear()
    np.testing.assert_allclose(ft.jacfwd(lambda x: f(x, 2.0))(X), np.diag(2 * np.cos(X)))
    assert CALLS == [(3, [True, False])]
    np.testing.assert_allclose(ft.jit(ft.jacfwd(lambda x: f(x, 2.0)))(X),
                               np.diag(2 * np.cos(X)))


def test_reverse_mode_is_refused_as_in_jax() -> None:
    with pytest.raises(ValueError, match="reverse-mode autodiff .* custom_vmap function f"):
        ft.grad(f)(1.0, 2.0)
    with pytest.raises(ValueError, match="custom_vmap"):
        ft.vmap(ft.grad(f), (0, None))(X, 2.0)
    # grad of vmap(f) differentiates the rule's computation, as in JAX.
    g = ft.grad(lambda x: ft.vmap(f, (0, None))(x, 2.0).sum())(X)
    np.testing.assert_allclose(g, 2 * np.cos(X))
    assert CALLS == [(3, [True, False])]


def test_custom_vjp_around_custom_vmap() -> None:
    @custom_vmap
    def inner(x: Any) -> Any:
        return fnp.sin(x)

    @inner.def_vmap
    def inner_rule(n: int, in_batched: list[bool], xs: Any) -> tuple[Any, Any]:
        CALLS.append((n, in_batched))
        return fnp.sin(xs), True

    @ft.custom_vjp
    def both(x: Any) -> Any:
        return inner(x)

    both.defvjp(lambda x: (inner(x), fnp.cos(x)), lambda c, g: (c * g,))
    np.testing.assert_allclose(ft.vmap(both)(X), np.sin(X))
    assert CALLS == [(3, [True])]
    np.testing.assert_allclose(ft.grad(both)(1.0), np.cos(1.0))
    np.testing.assert_allclose(ft.vmap(ft.grad(both))(X), np.cos(X))


def test_rule_errors() -> None:
    bare = custom_vmap(lambda x: x)
    with pytest.raises(AttributeError, match="No batching rule"):
        bare(1.0)

    def make(rule: Any) -> Any:
        g = custom_vmap(lambda x: (x, x))
        g.def_vmap(rule)
        return g

    with pytest.raises(ValueError, match="do not match"):
        ft.vmap(make(lambda n, b, x: ((x, x), True)))(X)
    with pytest.raises(ValueError, match="original custom-vmapped function"):
        ft.vmap(make(lambda n, b, x: ([x, x], [True, True])))(X)
    with pytest.raises(TypeError, match="must return a pair"):
        ft.vmap(make(lambda n, b, x: (x, x, True)))(X)
    with pytest.raises(ValueError, match="must have shape"):
        ft.vmap(make(lambda n, b, x: ((x, x[0]), (True, True))))(X)

    def closes_over(y: Any) -> Any:
        g = custom_vmap(lambda x: x * y)
        g.def_vmap(lambda n, b, x: (x * y, True))
        return g(1.0 + 0.0 * y)

    with pytest.raises(ValueError, match="closes over a value that is batched"):
        ft.vmap(closes_over)(X)


def test_sequential_vmap() -> None:
    @sequential_vmap
    def total(x: Any, scale: Any) -> Any:
        assert x.shape == (4,)  # one member at a time
        return x.sum() * scale

    xs = np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(total(xs[0], 2.0), xs[0].sum() * 2.0)
    np.testing.assert_allclose(ft.vmap(total, (0, None))(xs, 2.0), xs.sum(1) * 2.0)
    np.testing.assert_allclose(ft.vmap(total)(xs, np.arange(3.0)), xs.sum(1) * np.arange(3.0))
    np.testing.assert_allclose(ft.jit(ft.vmap(total, (0, None)))(xs, 2.0), xs.sum(1) * 2.0)
    jaxpr = str(ft.make_jaxpr(ft.vmap(total, (0, None)))(xs, 2.0))
    assert "scan" in jaxpr and "custom_vmap_call" in jaxpr
    np.testing.assert_allclose(ft.vmap(ft.vmap(total, (0, None)), (0, None))(
        np.stack([xs, xs]), 1.0), np.stack([xs.sum(1)] * 2))


def test_against_jax() -> None:
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    from jax.custom_batching import custom_vmap as jax_custom_vmap

    jax_calls = []

    @jax_custom_vmap
    def jf(x: Any, y: Any) -> Any:
        return jnp.sin(x) * y

    @jf.def_vmap
    def jf_rule(axis_size: int, in_batched: list[Any], xs: Any, ys: Any) -> tuple[Any, Any]:
        jax_calls.append((axis_size, in_batched))
        return jnp.sin(xs) * ys, any(in_batched)

    for in_axes in ((0, None), (None, 0), (0, 0)):
        CALLS.clear()
        jax_calls.clear()
        x = X if in_axes[0] == 0 else 1.0
        y = X + 1.0 if in_axes[1] == 0 else 2.0
        np.testing.assert_allclose(ft.vmap(f, in_axes)(x, y), jax.vmap(jf, in_axes)(x, y))
        assert CALLS == jax_calls
    CALLS.clear()
    jax_calls.clear()
    np.testing.assert_allclose(ft.vmap(ft.vmap(f, (0, None)), (None, 0))(X, X),
                               jax.vmap(jax.vmap(jf, (0, None)), (None, 0))(X, X))
    assert CALLS == jax_calls
    with pytest.raises(ValueError):
        jax.grad(jf)(1.0, 2.0)
