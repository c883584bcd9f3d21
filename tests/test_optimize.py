"""The optimisation passes, one at a time, then together on random programs.

Each pass must (a) do its job on a small hand-picked jaxpr, (b) leave a valid jaxpr (every
variable defined once, before it is read) and (c) preserve values and derivatives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from programs import Program, programs

import functrace as ft
import functrace.numpy as fnp
from functrace.core import ClosedJaxpr, Eqn, Jaxpr, Literal, Primitive, ShapedArray, Var
from functrace.interpreters import optimize as opt
from functrace.interpreters.eval import eval_jaxpr
from functrace.primitives import elementwise as ew
from functrace.primitives import shape as sh

seeds = st.integers(0, 2**32 - 1)
F64 = np.dtype(np.float64)


def names(closed: ClosedJaxpr) -> list[str]:
    return [e.primitive.name for e in closed.eqns]


def run(closed: ClosedJaxpr, *args: Any) -> list[Any]:
    return eval_jaxpr(closed.jaxpr, closed.consts, *args)


def assert_valid(closed: ClosedJaxpr) -> None:
    """SSA: each variable is defined once, before it is read; consts match constvars."""
    jaxpr = closed.jaxpr
    assert len(jaxpr.constvars) == len(closed.consts)
    defined = set(jaxpr.constvars) | set(jaxpr.invars)
    assert len(defined) == len(jaxpr.constvars) + len(jaxpr.invars)
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            assert type(v) is Literal or v in defined, f"{v} read before it is defined in {eqn}"
        for v in eqn.outvars:
            assert v not in defined, f"{v} defined twice"
            defined.add(v)
    for v in jaxpr.outvars:
        assert type(v) is Literal or v in defined


def test_dce_removes_unused_work_and_constants() -> None:
    w = np.arange(3.0)

    def f(x: Any, unused: Any) -> Any:
        fnp.sin(x * w)  # dead, with the constant it reads
        return fnp.cos(x)

    closed = ft.make_jaxpr(f)(np.ones(3), 1.0)
    out = opt.dce(closed)
    assert names(out) == ["cos"] and out.consts == [] and len(out.jaxpr.invars) == 2
    assert_valid(out)


def test_dce_keeps_a_multi_output_equation_if_one_output_is_used() -> None:
    two_p = Primitive("two_outputs", multiple_results=True)
    two_p.impl = lambda x: [x, x]
    two_p.shape_rule = lambda x: [x, x]
    a, b, c = (Var(ShapedArray((), F64)) for _ in range(3))
    jaxpr = Jaxpr([], [a], [c], [Eqn(two_p, [a], [b, c], {})])
    assert names(opt.dce(ClosedJaxpr(jaxpr, []))) == ["two_outputs"]


def test_cse_merges_repeats_commutative_operands_and_equal_literals() -> None:
    def f(x: Any, y: Any) -> Any:
        return (fnp.sin(x) + fnp.sin(x)) * (x * y + y * x) + (x * 2.0 + x * 2.0)

    closed = ft.make_jaxpr(f)(1.0, 2.0)
    out = opt.dce(opt.cse(closed))
    assert names(out).count("sin") == 1
    assert names(out).count("mul") == 3  # x*y once, x*2.0 once, the product
    assert_valid(out)
    np.testing.assert_allclose(run(out, 1.0, 2.0), run(closed, 1.0, 2.0))


def test_cse_keeps_distinct_params_and_signed_zeros_apart() -> None:
    x = np.ones((2, 3))
    closed = ft.make_jaxpr(lambda x: (fnp.sum(x, axis=0), fnp.sum(x, axis=1)))(x)
    assert names(opt.cse(closed)).count("reduce_sum") == 2
    closed = ft.make_jaxpr(lambda x: (x * 0.0, x * -0.0))(1.0)
    out = opt.cse(closed)
    assert names(out).count("mul") == 2
    assert [np.signbit(v) for v in run(out, 1.0)] == [False, True]


def test_fold_constants_evaluates_constant_work_once() -> None:
    w = np.array([0.5, 1.0])
    closed = ft.make_jaxpr(lambda x: x * fnp.exp(w) + fnp.sum(w) * 2.0)(np.ones(2))
    out = opt.fold_constants(closed)
    assert "exp" not in names(out) and "reduce_sum" not in names(out)
    assert_valid(out)
    np.testing.assert_allclose(run(out, np.ones(2))[0], np.exp(w) + w.sum() * 2.0)
    # Folded arrays are shared between calls, so they are read-only.
    assert all(not c.flags.writeable for c in out.consts)
    # Folded 0-d values become literals.
    closed = ft.make_jaxpr(lambda x: x * fnp.exp(fnp.sum(w)))(1.0)
    out = opt.fold_constants(closed)
    assert names(out) == ["mul"] and type(out.eqns[0].invars[1]) is Literal
    assert out.consts == []


def test_fold_constants_keeps_big_results_for_run_time() -> None:
    n = opt.FOLD_LIMIT * 4
    big = np.ones(n)
    closed = ft.make_jaxpr(lambda x: x * fnp.sin(big)
                           + fnp.broadcast_to(fnp.sum(big) * 2.0, (n,)))(np.ones(n))
    out = opt.fold_constants(closed)
    assert "sin" in names(out)  # a big result: computed per call, never stored
    assert "broadcast_in_dim" not in names(out)  # a view: folded, and still a view
    assert [c is big or not any(c.strides) for c in out.consts] == [True, True]


def test_fold_constants_leaves_errors_to_run_time() -> None:
    fail_p = Primitive("fail")

    def impl(x: Any) -> Any:
        raise RuntimeError("boom")

    fail_p.impl = impl
    fail_p.shape_rule = lambda x: [x]
    a, b = Var(ShapedArray((), F64)), Var(ShapedArray((), F64))
    jaxpr = Jaxpr([], [], [b], [Eqn(fail_p, [Literal(1.0, ShapedArray((), F64))], [b], {})])
    del a
    assert names(opt.fold_constants(ClosedJaxpr(jaxpr, []))) == ["fail"]


# name -> a function whose only work is one trivial equation (forwarded away).
TRIVIAL: dict[str, Callable[[Any], Any]] = {
    "x*1": lambda x: x * 1.0,
    "1*x": lambda x: 1.0 * x,
    "x+0": lambda x: x + 0.0,
    "0+x": lambda x: 0.0 + x,
    "x-0": lambda x: x - 0.0,
    "x/1": lambda x: x / 1.0,
    "x**1": lambda x: ew.integer_pow_p.bind1(x, y=1),
    # Bound directly: the binders themselves may already skip these.
    "reshape": lambda x: sh.reshape_p.bind1(x, new_sizes=(2, 3)),
    "transpose": lambda x: sh.transpose_p.bind1(x, permutation=(0, 1)),
    "broadcast": lambda x: sh.broadcast_in_dim_p.bind1(x, shape=(2, 3),
                                                       broadcast_dimensions=(0, 1)),
    "convert": lambda x: ew.convert_element_type_p.bind1(x, new_dtype=F64),
    "squeeze": lambda x: sh.squeeze_p.bind1(x, dimensions=()),
    "expand_dims": lambda x: sh.expand_dims_p.bind1(x, dimensions=()),
    "reduce_sum": lambda x: sh.reduce_sum_p.bind1(x, axes=()),
}


@pytest.mark.parametrize("name", list(TRIVIAL))
def test_forward_trivial(name: str) -> None:
    x = np.arange(6.0).reshape(2, 3)
    closed = ft.make_jaxpr(TRIVIAL[name])(x)
    assert len(closed.eqns) >= 1
    out = opt.dce(opt.forward_trivial(closed))
    assert names(out) == [], str(out)
    assert out.jaxpr.outvars[0] is out.jaxpr.invars[0]


@pytest.mark.parametrize("f", [
    lambda x: 0.0 - x, lambda x: 1.0 / x, lambda x: x * 2.0, lambda x: ft.stop_gradient(x),
    lambda x: sh.transpose(x, (1, 0)), lambda x: sh.reshape(x, (3, 2)),
    lambda x: ew.convert_element_type(x, np.float32),
], ids=["0-x", "1/x", "x*2", "stop_gradient", "transpose", "reshape", "convert"])
def test_forward_trivial_keeps_real_work(f: Callable[[Any], Any]) -> None:
    closed = ft.make_jaxpr(f)(np.arange(1.0, 7.0).reshape(2, 3))
    assert len(opt.forward_trivial(closed).eqns) == len(closed.eqns)


def test_inline_calls_gives_each_copy_fresh_variables() -> None:
    w = np.arange(3.0)
    inner = ft.jit(lambda x: fnp.sin(x) * w)
    closed = ft.make_jaxpr(lambda x: inner(inner(x)) + 1.0)(np.ones(3))
    assert names(closed).count("jit") == 2
    out = opt.inline_calls(closed)
    assert names(out) == ["sin", "mul", "sin", "mul", "add"]
    assert_valid(out)
    np.testing.assert_allclose(run(out, np.ones(3))[0], np.sin(np.sin(1.0) * w) * w + 1.0)


def test_inline_calls_is_recursive() -> None:
    a = ft.jit(lambda x: fnp.exp(x))
    b = ft.jit(lambda x: a(x) * 2.0)
    out = opt.inline_calls(ft.make_jaxpr(lambda x: b(x))(1.0))
    assert names(out) == ["exp", "mul"]


def test_transpose_products() -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    closed = ft.make_jaxpr(lambda a, b: (a @ b).T * 2.0)(a, b)
    out = opt.transpose_products(closed)
    assert names(out) == ["dot_general", "mul"]
    np.testing.assert_allclose(run(out, a, b)[0], (a @ b).T * 2.0)
    # Kept when the product itself is used too.
    closed = ft.make_jaxpr(lambda a, b: ((a @ b).T, a @ b))(a, b)
    shared = opt.cse(closed)
    assert names(opt.transpose_products(shared)).count("transpose") == 1


def test_optimize_keeps_stop_gradient() -> None:
    f = lambda x: x * ft.stop_gradient(x)  # noqa: E731
    closed = opt.optimize(ft.make_jaxpr(f)(2.0))
    assert "stop_gradient" in names(closed)
    assert float(ft.grad(ft.jit(f))(2.0)) == 2.0


PASSES = [opt.dce, opt.cse, opt.fold_constants, opt.forward_trivial, opt.inline_calls,
          opt.transpose_products, opt.optimize]


@pytest.mark.parametrize("p", PASSES, ids=[p.__name__ for p in PASSES])
@settings(max_examples=25)
@given(prog=programs(max_ops=6), seed=seeds)
def test_passes_preserve_values_and_gradients(p: Callable[[ClosedJaxpr], ClosedJaxpr],
                                              prog: Program, seed: int) -> None:
    xs = prog.inputs(np.random.default_rng(seed))
    argnums = tuple(range(len(xs)))
    for f in [prog, ft.grad(prog.scalar, argnums=argnums), ft.jit(prog)]:
        closed = ft.make_jaxpr(f)(*xs)
        out = p(closed)
        assert_valid(out)
        for got, expected in zip(run(out, *xs), run(closed, *xs), strict=True):
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # The optimised jaxpr is differentiated like the original (derivatives are preserved).
    closed = ft.make_jaxpr(prog.scalar)(*xs)
    out = p(closed)

    def through(c: ClosedJaxpr) -> Callable[..., Any]:
        return lambda *a: eval_jaxpr(c.jaxpr, c.consts, *a)[0]

    for got, expected in zip(ft.grad(through(out), argnums=argnums)(*xs),
                             ft.grad(through(closed), argnums=argnums)(*xs), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
