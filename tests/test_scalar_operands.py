"""Scalar operands of elementwise primitives: ``mul a 2.0:f64[]``, as JAX's ``lax`` takes them.

A scalar (rank 0) operand may meet an array of any shape.  The rules take scalars as they come;
the backward pass sums a scalar operand's cotangent and ``defjvp`` broadcasts a tangent that only
scalars contributed to.  These tests check the rules against central differences, batching
against a loop, and the IR against JAX's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace.primitives import elementwise as ew
from functrace.testing import check_grads

# (name, binder, domain of x, domain of y): smooth where the values are drawn.
BINARY: list[tuple[str, Callable[[Any, Any], Any], tuple[float, float], tuple[float, float]]] = [
    ("add", ew.add, (-2, 2), (-2, 2)),
    ("sub", ew.sub, (-2, 2), (-2, 2)),
    ("mul", ew.mul, (-2, 2), (-2, 2)),
    ("div", ew.div, (-2, 2), (0.5, 2)),
    ("pow", ew.pow, (0.5, 2), (-2, 2)),
    ("arctan2", ew.arctan2, (0.5, 2), (0.5, 2)),
    ("max", ew.maximum, (-2, -1), (1, 2)),  # separated: no ties
    ("min", ew.minimum, (-2, -1), (1, 2)),
]


def _draw(rng: np.random.Generator, lo: float, hi: float, shape: tuple[int, ...]) -> np.ndarray:
    return rng.uniform(lo, hi, size=shape)


@pytest.mark.parametrize("name,op,xd,yd", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("scalar_first", [False, True], ids=["array-scalar", "scalar-array"])
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rank=st.integers(1, 3))
def test_rules_with_a_scalar_operand(name: str, op: Callable[[Any, Any], Any],
                                     xd: tuple[float, float], yd: tuple[float, float],
                                     scalar_first: bool, seed: int, rank: int) -> None:
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(1, 4, size=rank))
    # The first operand is drawn from xd and the second from yd; one of them is a scalar.
    x, y = _draw(rng, *xd, () if scalar_first else shape), _draw(rng, *yd, shape if scalar_first
                                                                      else ())
    args = (x, y)
    np.testing.assert_allclose(op(*args), getattr(np, {"add": "add", "sub": "subtract",
                                                       "mul": "multiply", "div": "divide",
                                                       "pow": "power", "arctan2": "arctan2",
                                                       "max": "maximum", "min": "minimum"}[name])(
        *args), rtol=1e-14)
    check_grads(op, args, order=2, modes=("fwd", "rev"))
    # The scalar's gradient is a scalar: its cotangents are summed.
    g = ft.grad(lambda *a: fnp.sum(op(*a)), argnums=(0, 1))(*args)
    assert [np.shape(t) for t in g] == [np.shape(a) for a in args]
    # Batching: the scalar batched or not, the array batched or not, at any axis.
    batch = 3
    xs = _draw(rng, *xd, (batch, *(() if scalar_first else shape)))
    ys = _draw(rng, *yd, (batch, *(shape if scalar_first else ())))
    bargs = (xs, ys)
    for axes in [(0, 0), (0, None), (None, 0)]:
        got = ft.vmap(op, in_axes=axes)(*[b if a == 0 else u for b, u, a in
                                          zip(bargs, args, axes, strict=True)])
        expected = np.stack([op(*[b[i] if a == 0 else u for b, u, a in
                                  zip(bargs, args, axes, strict=True)]) for i in range(batch)])
        np.testing.assert_allclose(got, expected, rtol=1e-14)
    # The array batched at its last axis.
    moved = (xs, np.moveaxis(ys, 0, -1)) if scalar_first else (np.moveaxis(xs, 0, -1), ys)
    got = ft.vmap(op, in_axes=(0, -1) if scalar_first else (-1, 0))(*moved)
    expected = np.stack([op(xs[i], ys[i]) for i in range(batch)])
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    # Under jit, with the generated NumPy code.
    np.testing.assert_allclose(ft.jit(op)(*args), op(*args), rtol=1e-14)
    np.testing.assert_allclose(ft.jit(ft.grad(lambda *a: fnp.sum(op(*a)), argnums=1))(*args),
                               g[1], rtol=1e-12)


def test_the_ir_takes_scalars_as_jax_does() -> None:
    closed = ft.make_jaxpr(lambda x: fnp.maximum(x * 2.0, 0.0) + 1)(np.ones((2, 3)))
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["mul", "max", "add"]
    assert str(closed) == """\
{ lambda ; a:f64[2,3]. let
    b:f64[2,3] = mul a 2.0:f64[]
    c:f64[2,3] = max b 0.0:f64[]
    d:f64[2,3] = add c 1.0:f64[]
  in (d,) }"""
    # A traced scalar is an operand as it is; a vector still needs a broadcast.
    closed = ft.make_jaxpr(lambda x, s, v: x * s + v)(np.ones((2, 3)), 2.0, np.ones(3))
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["mul", "broadcast_in_dim", "add"]


def test_jvp_of_a_scalar_tangent_alone_has_the_output_shape() -> None:
    x = np.arange(3.0)
    out, t = ft.jvp(lambda s: x + s, (2.0,), (1.0,))
    np.testing.assert_array_equal(out, x + 2.0)
    np.testing.assert_array_equal(t, np.ones(3))
    _, t = ft.jvp(lambda s: ew.add(x, s), (np.float64(2.0),), (np.float64(1.0),))
    assert np.shape(t) == (3,)


def test_ties_with_a_scalar_split_the_gradient() -> None:
    x = np.array([1.0, 2.0, 3.0])
    g = ft.grad(lambda s: fnp.sum(fnp.maximum(x, s)))(2.0)
    assert float(g) == 1.0 + 0.5  # 1 wins below 2, the tie at 2 splits
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(fnp.maximum(x, 2.0)))(x),
                                  [0.0, 0.5, 1.0])


def test_shape_rule_still_rejects_other_mismatches() -> None:
    def trace(x: Any, y: Any) -> Any:
        return ft.make_jaxpr(ew.add)(x, y)

    with pytest.raises(ValueError, match="add"):
        trace(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="add"):
        trace(np.ones((2, 3)), np.ones(3))  # broadcasting beyond scalars is explicit
    with pytest.raises(ValueError, match="dtypes"):
        trace(np.float32(1.0), np.ones(3))


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "ptp", "nansum"])
def test_reductions_of_python_numbers_are_strongly_typed(name: str) -> None:
    # As NumPy's: np.sum(2.0) is a float64, which a float32 array promotes to.
    x = np.ones(3, np.float32)
    fn, ref = getattr(fnp, name), getattr(np, name)
    assert (x + fn(2.0)).dtype == (x + ref(2.0)).dtype == np.float64
    assert ft.jit(lambda x: x + fn(2.0))(x).dtype == np.float64


_SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 5e-324, 1e-40, 3.5]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("prim", [ew.max_p, ew.min_p])
def test_extremum_with_a_scalar_of_a_large_array_is_bitwise_numpys(dtype: type,
                                                                 prim: Any) -> None:
    """max/min of a large float array and a scalar fill an array with the scalar (NumPy's fast
    loops need two arrays): the bits must be NumPy's, NaNs and signed zeros included, in either
    operand order, eagerly and in jit's generated code (also when it writes in place)."""
    ufunc = np.maximum if prim is ew.max_p else np.minimum
    size = ew.FILLED_MIN_SIZE + 3
    x = np.resize(np.array(_SPECIAL, dtype), size)
    np.random.default_rng(0).shuffle(x)
    bits = np.uint32 if dtype == np.float32 else np.uint64
    for s in np.array(_SPECIAL, dtype):
        for args in ((x, s), (s, x)):
            want = ufunc(*args).view(bits)
            assert np.array_equal(np.asarray(prim.impl1(*args)).view(bits), want)
            f = ft.jit(lambda a, _s=s, _first=args[0] is s:
                       prim.bind1(_s, a) if _first else prim.bind1(a, _s))
            assert np.array_equal(np.asarray(f(x)).view(bits), want)
            # The operand is dead afterwards, so the generated code writes into its buffer.
            g = ft.jit(lambda a, _s=s: prim.bind1(ew.neg(a), _s))
            assert np.array_equal(np.asarray(g(x)).view(bits), ufunc(-x, s).view(bits))
