"""Properties of the transformations on random programs (``tests/programs.py``).

Every op spec in ``programs.OPS`` joins every property: Jacobians both ways agree with each
other and with central differences, Hessians are symmetric and match differences of the
gradient, jvp and vjp are adjoint, vmap equals a Python loop, derivatives compose to third
order, and ``make_jaxpr`` + ``eval_jaxpr`` reproduces direct evaluation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from programs import Program, programs

import functrace as ft
from functrace.interpreters.eval import eval_jaxpr
from functrace.testing import numerical_jacobian

seeds = st.integers(0, 2**32 - 1)


def close_to_numerical(got: Any, numeric: Any, what: str) -> None:
    """Central differences are exact to ~1e-9 relative at eps=1e-5 on these smooth programs."""
    got, numeric = np.asarray(got), np.asarray(numeric)
    assert got.shape == numeric.shape, f"{what}: shape {got.shape}, expected {numeric.shape}"
    scale = 1.0 + (np.max(np.abs(numeric)) if numeric.size else 0.0)
    np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-5 * scale, err_msg=what)


def extrapolated_derivative(f: Any, x: Any, eps: float = 1e-5) -> Any:
    """The central difference with Richardson extrapolation, ``(4 D(eps/2) - D(eps)) / 3``:
    its truncation error is O(eps**4) instead of O(eps**2), which steep programs (``sin(x**12)``
    has a third derivative of 10**7 near x = 1.3) need for a 1e-5 relative check."""
    coarse = numerical_jacobian(f, x, eps=eps)
    fine = numerical_jacobian(f, x, eps=eps / 2)
    return (4.0 * np.asarray(fine) - np.asarray(coarse)) / 3.0


def close(got: Any, expected: Any, what: str) -> None:
    """Two exact computations of the same thing, up to rounding."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype}, expected {expected.dtype}"
    scale = 1.0 + (np.max(np.abs(expected)) if expected.size else 0.0)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12 * scale, err_msg=what)


@settings(max_examples=250)
@given(programs(), seeds)
def test_jacfwd_equals_jacrev_equals_numerical(prog: Program, seed: int) -> None:
    xs = prog.inputs(np.random.default_rng(seed))
    argnums = tuple(range(len(xs)))
    j_fwd = ft.jacfwd(prog, argnums=argnums)(*xs)
    j_rev = ft.jacrev(prog, argnums=argnums)(*xs)
    j_num = numerical_jacobian(prog, *xs, argnums=argnums)
    for i, x in enumerate(xs):
        assert np.shape(j_fwd[i]) == prog.out_shape + x.shape, "jacobian layout out + in"
        close(j_rev[i], j_fwd[i], f"jacrev vs jacfwd, argument {i}")
        close_to_numerical(j_fwd[i], j_num[i], f"jacfwd vs central differences, argument {i}")


@settings(max_examples=150)
@given(programs(), seeds)
def test_hessian_is_symmetric_and_matches_numerical(prog: Program, seed: int) -> None:
    xs = prog.inputs(np.random.default_rng(seed))
    h = ft.hessian(prog.scalar)(*xs)
    n = xs[0].size
    assert h.shape == xs[0].shape * 2
    flat = h.reshape(n, n)
    np.testing.assert_allclose(flat, flat.T, rtol=1e-9, atol=1e-10 * (1 + np.abs(flat).max()),
                               err_msg="the Hessian is not symmetric")
    close_to_numerical(h, numerical_jacobian(ft.grad(prog.scalar), *xs), "hessian vs "
                       "central differences of grad")


@settings(max_examples=250)
@given(programs(), seeds, st.sampled_from(["leading", "other axes", "unbatched"]))
def test_vmap_equals_loop(prog: Program, seed: int, variant: str) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 4))
    xs = prog.inputs(rng, batch=(size,))
    batched = [True] * len(xs)
    if variant == "unbatched":  # the last input (or, with one input, the only one) unbatched
        batched[-1] = False
        xs[-1] = xs[-1][0]
    expected = np.stack([prog(*[x[i] if b else x for x, b in zip(xs, batched, strict=True)])
                         for i in range(size)])
    if variant == "other axes":
        axes = [int(rng.integers(0, x.ndim)) for x in xs]
        xs = [np.moveaxis(x, 0, a) for x, a in zip(xs, axes, strict=True)]
        got = ft.vmap(prog, in_axes=tuple(axes), out_axes=-1)(*xs)
        expected = np.moveaxis(expected, 0, -1)
    elif variant == "unbatched":
        got = ft.vmap(prog, in_axes=tuple(0 if b else None for b in batched),
                      axis_size=size)(*xs)
    else:
        got = ft.vmap(prog)(*xs)
    close(got, expected, f"vmap ({variant}) vs a Python loop")


@settings(max_examples=250)
@given(programs(), seeds)
def test_jvp_and_vjp_are_adjoint(prog: Program, seed: int) -> None:
    """<u, J v> = <J^T u, v> for random u, v."""
    rng = np.random.default_rng(seed)
    xs = prog.inputs(rng)
    vs = [rng.standard_normal(x.shape) for x in xs]
    out, j_v = ft.jvp(prog, tuple(xs), tuple(vs))
    out2, vjp_fn = ft.vjp(prog, *xs)
    close(out2, out, "vjp's primal output vs jvp's")
    u = rng.standard_normal(np.shape(out))
    jt_u = vjp_fn(u)
    assert isinstance(jt_u, tuple) and len(jt_u) == len(xs)
    lhs = float(np.vdot(u, j_v))
    rhs = float(sum(np.vdot(g, v) for g, v in zip(jt_u, vs, strict=True)))
    scale = 1 + float(np.abs(u).sum() * np.abs(j_v).max() if np.size(j_v) else 0)
    assert abs(lhs - rhs) <= 1e-10 * scale, f"<u, J v> = {lhs} but <J^T u, v> = {rhs}"


@settings(max_examples=100)
@given(programs(in_shapes=((),), max_ops=4), seeds)
def test_scalar_derivatives_to_third_order(prog: Program, seed: int) -> None:
    """grad(grad(grad(f))) on f: R -> R, each order against differences of the one before."""
    x = prog.inputs(np.random.default_rng(seed))[0]
    g = prog.scalar
    d1, d2, d3 = ft.grad(g), ft.grad(ft.grad(g)), ft.grad(ft.grad(ft.grad(g)))
    close_to_numerical(d1(x), extrapolated_derivative(g, x), "grad")
    close_to_numerical(d2(x), extrapolated_derivative(d1, x), "grad(grad)")
    close_to_numerical(d3(x), extrapolated_derivative(d2, x), "grad(grad(grad))")
    # Other routes to the same second derivative.
    close(ft.jvp(d1, (x,), (np.ones(()),))[1], d2(x), "jvp(grad) vs grad(grad)")
    close(ft.jacfwd(ft.jacrev(g))(x), d2(x), "jacfwd(jacrev) vs grad(grad)")
    close(ft.jacrev(ft.jacfwd(g))(x), d2(x), "jacrev(jacfwd) vs grad(grad)")


@settings(max_examples=200)
@given(programs(), seeds)
def test_make_jaxpr_then_eval_equals_direct(prog: Program, seed: int) -> None:
    xs = prog.inputs(np.random.default_rng(seed))
    closed = ft.make_jaxpr(prog)(*xs)
    (out,) = eval_jaxpr(closed.jaxpr, closed.consts, *xs)
    close(out, prog(*xs), f"eval of\n{closed}")
    # ...and the same for the traced gradient (a jaxpr of the backward pass).
    grad_fn = ft.grad(prog.scalar, argnums=tuple(range(len(xs))))
    closed = ft.make_jaxpr(grad_fn)(*xs)
    for got, expected in zip(eval_jaxpr(closed.jaxpr, closed.consts, *xs), grad_fn(*xs),
                             strict=True):
        close(got, expected, "eval of make_jaxpr(grad)")
