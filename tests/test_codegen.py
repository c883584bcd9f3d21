"""The code generator: values, buffer reuse safety, the scalar fast path, names, emitters.

Buffer reuse (``out=``) is checked where it could go wrong: every test computes the expected
values *without* jit, runs the compiled function (twice, to catch state kept between calls)
and checks that inputs and constants are untouched; the source text is checked to show that
the protected arrays are not ``out=`` targets, and that reuse does happen where it is safe.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from programs import Program, programs

import functrace as ft
import functrace.lax as lax
import functrace.numpy as fnp
from functrace.core import ClosedJaxpr, Primitive
from functrace.interpreters import optimize as opt
from functrace.interpreters.codegen import compile_jaxpr
from functrace.interpreters.eval import eval_jaxpr
from functrace.primitives import linalg as la

seeds = st.integers(0, 2**32 - 1)


def compiled(f: Callable[..., Any], *args: Any, optimize: bool = True) -> tuple[Any, str]:
    closed = ft.make_jaxpr(f)(*args)
    if optimize:
        closed = opt.optimize(closed)
    c = compile_jaxpr(closed, "f")
    return c.fn, c.source


def out_targets(source: str) -> set[str]:
    return set(re.findall(r"out=(\w+)", source))


def check(f: Callable[..., Any], *args: Any) -> str:
    """Compiled ``f`` equals eager ``f``, twice over, and leaves its arguments alone."""
    expected = ft.tree_util.tree_leaves(f(*args))
    copies = [np.copy(a) for a in args]
    fn, source = compiled(f, *args)
    assert "def f_(" in source
    first = fn(*args)
    second = fn(*args)
    for got in (first, second):
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-13, err_msg=source)
    for g, e in zip(first, expected, strict=True):  # the second call did not write into the first's
        np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-13, err_msg=source)
    for a, c in zip(args, copies, strict=True):
        np.testing.assert_array_equal(a, c, err_msg=f"an input was written:\n{source}")
    return source


# ---------------------------------------------------------------------------------------------
# Buffer reuse


def test_elementwise_chain_reuses_its_buffers() -> None:
    x = np.linspace(-1, 1, 5)
    source = check(lambda x: fnp.exp(fnp.tanh(fnp.sin(x) * 2.0) + 1.0), x)
    assert len(out_targets(source)) >= 1 and source.count("out=") >= 3, source
    assert "a" not in out_targets(source)  # the input


def test_inputs_and_constants_are_never_written() -> None:
    w = np.arange(1.0, 6.0)
    w_copy = w.copy()
    source = check(lambda x: fnp.sin(fnp.cos(x * w) * w), np.ones(5))
    np.testing.assert_array_equal(w, w_copy)
    assert "a" not in out_targets(source) and "b" not in out_targets(source)  # w, x
    assert "out=" not in compiled(lambda x: fnp.sin(x), np.ones(5))[1]


def test_a_value_still_live_is_not_overwritten() -> None:
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        z = fnp.cos(y)  # y is read again below: cos must not write into it
        return y * z + y

    check(f, np.linspace(0, 1, 4))


def test_outputs_are_never_overwritten() -> None:
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        return y, fnp.exp(y), fnp.exp(y) * 2.0

    source = check(f, np.linspace(0, 1, 4))
    assert "c" not in out_targets(source)  # y, an output


def test_views_alias_their_base() -> None:
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        r = fnp.reshape(y, (2, 3))  # a view of y, returned: y's memory stays untouched
        return r, fnp.cos(y) + 1.0

    check(f, np.linspace(0, 1, 6))

    def g(x: Any) -> Any:
        y = fnp.sin(x)
        t = y.T  # a transposed view of the same shape (square)
        return fnp.exp(t) + fnp.cos(t)

    check(g, np.arange(9.0).reshape(3, 3) / 9)


def test_broadcast_views_are_never_written() -> None:
    def f(x: Any, s: Any) -> Any:
        b = fnp.broadcast_to(fnp.sin(s), (4,))  # read-only view of a 0-d value
        return fnp.exp(b) * x + fnp.zeros_like(x) + 2.0

    check(f, np.ones(4), np.array(0.5))

    def g(x: Any) -> Any:
        b = fnp.broadcast_to(fnp.sin(x), (3, 4))  # a view of an intermediate
        return fnp.exp(b) * 2.0, fnp.cos(x)

    check(g, np.linspace(0, 1, 4))


def test_dtype_or_shape_mismatch_prevents_reuse() -> None:
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        z = y.astype(np.float32)
        return fnp.exp(z) * np.float32(2), fnp.sum(fnp.cos(y), axis=0)

    check(f, np.ones((3, 2)))


# An "opaque" primitive: its impl returns its input itself (as a control-flow impl may).
passthrough_p = Primitive("passthrough")
passthrough_p.impl = lambda x: [x]
passthrough_p.shape_rule = lambda x: [x]


def test_results_of_impl_calls_hold_their_inputs() -> None:
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        z = passthrough_p.bind1(y)  # z *is* y: y's buffer must outlive z
        return z, fnp.cos(y) * 2.0

    source = check(f, np.linspace(0, 1, 5))
    assert "_passthrough(" in source


def test_control_flow_runs_through_its_impl() -> None:
    def f(x: Any) -> Any:
        y = fnp.sin(x)
        return lax.cond(fnp.sum(x) > 0, lambda v: v * 2.0, lambda v: -v, y) + fnp.cos(y)

    source = check(f, np.linspace(0, 1, 3))
    check(f, -np.linspace(0, 1, 3))
    assert "_cond(" in source


@settings(max_examples=60)
@given(prog=programs(max_ops=8), seed=seeds)
def test_random_programs_and_their_gradients(prog: Program, seed: int) -> None:
    xs = prog.inputs(np.random.default_rng(seed))
    argnums = tuple(range(len(xs)))
    check(prog, *xs)
    check(lambda *a: ft.grad(prog.scalar, argnums=argnums)(*a), *xs)
    check(lambda *a: ft.value_and_grad(prog.scalar, argnums=argnums)(*a), *xs)


# ---------------------------------------------------------------------------------------------
# Scalars


def test_float64_scalars_use_python_arithmetic() -> None:
    _, source = compiled(lambda x, y: fnp.exp(x * y) + fnp.sin(y), 1.5, 0.5)
    body = source.split("\n\n")[0]
    assert "_exp(" in body and " * " in body and "np." not in body.replace("_numpy(", "")
    assert "except (ArithmeticError, ValueError)" in source  # with a NumPy fallback


def test_float32_scalars_stay_numpy() -> None:
    fn, source = compiled(lambda x: fnp.exp(x) * np.float32(2), np.float32(1.5))
    assert "_exp(" not in source and "np.exp(" in source
    (out,) = fn(np.float32(1.5))
    assert out.dtype == np.float32 and out.shape == ()


def test_mixed_scalars_and_arrays() -> None:
    def f(x: Any, s: Any) -> Any:
        t = fnp.exp(s) * 2.0  # scalar work
        return fnp.sum(fnp.sin(x) * t) * t

    check(f, np.linspace(0, 1, 4), 0.25)


# ---------------------------------------------------------------------------------------------
# Names, emitters, constants


def test_long_jaxprs_skip_reserved_names() -> None:
    """600 variables pass 'if', 'in', 'is', 'or', 'np' in the printer's naming order."""

    def f(x: Any) -> Any:
        for _ in range(600):
            x = fnp.sin(x)
        return x

    source = check(f, np.array([0.1, 0.2]))
    for word in ["if", "in", "is", "or", "np"]:
        assert f"\n    {word} = " not in source


@pytest.mark.parametrize("dims", [
    (((1,), (0,)), ((), ())), (((0,), (0,)), ((), ())), (((1,), (1,)), ((), ())),
    (((0,), (1,)), ((), ())),
])
def test_dot_general_emitter(dims: Any) -> None:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    b = rng.standard_normal((3, 3))
    source = check(lambda a, b: la.dot_general(a, b, dims), a, b)
    assert "np.dot(" in source
    v = rng.standard_normal(3)
    check(lambda a, v: la.dot_general(a, v, (((1,), (0,)), ((), ()))), a, v)
    check(lambda v, a: la.dot_general(v, a, (((0,), (1,)), ((), ()))), v, a)


@pytest.mark.parametrize("lhs,rhs,dims,call", [
    ((2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,))), "np.matmul("),  # batched
    ((4, 2, 3), (3, 4, 5), (((0, 2), (1, 0)), ((), ())), "np.dot("),  # N-d, two axes
    ((3, 1, 4), (4, 5), (((2,), (0,)), ((), ())), "np.dot("),  # N-d lhs (vmap makes these)
    ((6, 1, 3), (6, 1, 4), (((1,), (1,)), ((0,), (0,))), "np.einsum("),  # batched outer
    ((6, 3), (4, 6), (((), ()), ((0,), (1,))), "np.einsum("),  # per-example gradients
    ((6, 8), (6, 2), (((), ()), ((0,), (0,))), "np.transpose(np.einsum("),  # long axis last
    ((3,), (4,), (((), ()), ((), ())), "np.einsum("),  # outer product
    ((32, 16), (32, 24), (((), ()), ((0,), (0,))), "_outer_product("),  # big: padded gemm
])
def test_contractions_become_one_numpy_call(lhs: tuple[int, ...], rhs: tuple[int, ...],
                                           dims: Any, call: str) -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(lhs), rng.standard_normal(rhs)
    source = check(lambda a, b: la.dot_general(a, b, dims), a, b)
    assert call in source and "_dot_general" not in source


def test_constant_outputs_are_copies() -> None:
    w = np.arange(3.0)
    closed = ClosedJaxpr(ft.make_jaxpr(lambda x: (x, w))(1.0).jaxpr, [w])
    fn = compile_jaxpr(closed).fn
    (_, out) = fn(1.0)
    assert out.flags.writeable and not np.shares_memory(out, w)
    out[0] = 100.0
    np.testing.assert_array_equal(fn(1.0)[1], w)


@pytest.mark.parametrize("f", [
    lambda x: (x + 1.0).reshape(3, 1),  # y's cotangent is a view of x's
    lambda x: x[0] + x,  # the gradient of a broadcast ...
    lambda x: fnp.broadcast_to(fnp.sin(x[0]), (3,)) * x,  # ... and a broadcast output
])
def test_outputs_are_writable_and_separate_under_jit_and_eagerly(f: Any) -> None:
    # Gradients of two arguments (or two parameters of a pytree) never share memory: add's
    # rule hands one cotangent to both operands, and sum's is a read-only broadcast.
    x, y = np.linspace(0.5, 1.5, 3), np.linspace(-1.0, 1.0, 3).reshape(3, 1)
    loss = lambda p: fnp.sum((f(p["x"]) + p["y"]) ** 2)  # noqa: E731
    for g in (ft.grad(loss), ft.jit(ft.grad(loss))):
        grads = g({"x": x, "y": y})
        for a in grads.values():
            assert a.flags.writeable
        assert not np.shares_memory(grads["x"], grads["y"])
    lin = lambda x: 2.0 * x  # noqa: E731
    for out in (ft.jit(lambda x: fnp.broadcast_to(x[0], (3,)))(x), ft.grad(fnp.sum)(x),
                ft.jit(ft.grad(lambda x: fnp.sum(lin(x))))(x), ft.jacrev(lin)(x),
                ft.vmap(lambda _: fnp.ones(2))(x)):
        assert out.flags.writeable


@pytest.mark.parametrize("f", [
    lambda x: (fnp.sin(x) * 2, fnp.sin(x) * 2),  # merged by the optimiser
    lambda x: (fnp.sin(x),) * 2,  # one value returned twice
    lambda x: (x + 1.0, x + 1.0, fnp.sum(x), fnp.sum(x)),
])
def test_each_output_slot_is_its_own_array(f: Any) -> None:
    # Writing into one output must not change another, as without jit.
    x = np.linspace(0.0, 1.0, 3)
    outs = ft.jit(f)(x)
    assert len({id(o) for o in outs}) == len(outs)
    expected = [np.array(o, copy=True) for o in outs]
    outs[0][...] = 7.0
    for o, e in zip(outs[1:], expected[1:], strict=True):
        np.testing.assert_array_equal(o, e)


def test_unoptimised_jaxprs_compile_too() -> None:
    x = np.linspace(0, 1, 3)
    f = lambda x: (x * 1.0 + fnp.sin(x) + fnp.sin(x)).reshape(3)  # noqa: E731
    fn, _ = compiled(f, x, optimize=False)
    np.testing.assert_allclose(fn(x)[0], f(x))
    closed = ft.make_jaxpr(f)(x)
    np.testing.assert_allclose(compile_jaxpr(closed).fn(x)[0],
                               eval_jaxpr(closed.jaxpr, closed.consts, x)[0])


def test_outer_products_with_a_short_last_axis_compute_along_the_long_one() -> None:
    # (B, 8, 2): einsum runs along the axis of length 8 and returns a transposed view; the
    # values, eager and compiled, are the broadcasting product's, and later in-place work on
    # the view (the compiled code's buffer reuse) is still correct.
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((5, 8)), rng.standard_normal((5, 2))
    dims = (((), ()), ((0,), (0,)))
    expected = a[:, :, None] * b[:, None, :]
    np.testing.assert_array_equal(la.dot_general(a, b, dims), expected)
    check(lambda a, b: fnp.tanh(la.dot_general(a, b, dims)) * 2.0 + 1.0, a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("lhs,rhs,dims", [
    ((32, 16), (32, 24), (((), ()), ((0,), (0,)))),  # per-example weight gradients
    ((16, 32), (24, 32), (((), ()), ((1,), (1,)))),  # batch axes last
    ((16, 8, 1, 8), (1, 16, 10), (((2,), (0,)), ((0,), (1,)))),  # contracted length-1 axes
    ((96, 9), (100,), (((), ()), ((), ()))),  # unbatched, a matrix and a vector
    ((2, 3, 40), (3, 2, 40), (((), ()), ((0, 1), (1, 0)))),  # two batch axes, swapped
])
def test_big_float_outer_products_are_exact(lhs: tuple[int, ...], rhs: tuple[int, ...],
                                            dims: Any, dtype: type) -> None:
    # Float outer products of 8192 entries or more go through a gemm padded with zeros
    # (outer_by_gemm); the result must equal the plain product exactly, eager and compiled.
    rng = np.random.default_rng(2)
    a = (rng.standard_normal(lhs) * 10).astype(dtype)
    b = (rng.standard_normal(rhs) * 10).astype(dtype)
    (lc, rc), (lb, rb) = dims
    letters = "abcdefgh"
    la_ = letters[:len(lhs)]
    rb_ = list(letters[len(lhs):len(lhs) + len(rhs)])
    for i, j in zip(lb + lc, rb + rc, strict=True):
        rb_[j] = la_[i]
    free_l = [la_[i] for i in range(len(lhs)) if i not in lb + lc]
    free_r = [rb_[j] for j in range(len(rhs)) if j not in rb + rc]
    spec = f"{la_},{''.join(rb_)}->{''.join([la_[i] for i in lb] + free_l + free_r)}"
    expected = np.einsum(spec, a, b)
    got = la.dot_general(a, b, dims)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    check(lambda a, b: la.dot_general(a, b, dims) * 2, a, b)
