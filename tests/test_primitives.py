"""The primitive table (``tests/cases.py``) crossed with the checks.

Each row of ``ALL_CASES`` (one per primitive, or per way of reaching one) runs through:

* ``test_value``: the eager call equals the NumPy reference, in value, shape and dtype;
* ``test_jaxpr``: ``make_jaxpr`` then ``eval_jaxpr`` equals the reference, and the jaxpr
  contains the row's primitive;
* ``test_grads``: ``check_grads(order=2, modes=("fwd", "rev"))`` in float64 and float32;
* ``test_vmap``: ``vmap`` over a leading axis, over other axes (with ``out_axes=-1``), and
  with some arguments unbatched (``None``), each equal to a Python loop;
* ``test_rules_are_traceable``: ``grad``, forward-over-reverse, ``jvp`` and ``vmap`` of each
  row traced by ``make_jaxpr`` and evaluated give the eager results: the rules are written
  with functrace operations, never raw NumPy (STYLE.md rule 7).

and every primitive in ``functrace.primitives`` must have every rule and a row
(``test_every_primitive_has_every_rule``, ``test_every_primitive_has_a_row``).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from cases import ALL_CASES, Case, Sample, ids
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
import functrace.primitives
from functrace.core import ClosedJaxpr, Jaxpr, Primitive
from functrace.interpreters.eval import eval_jaxpr
from functrace.interpreters.jvp import jvp_rules
from functrace.interpreters.vjp import vjp_rules
from functrace.interpreters.vmap import batch_rules
from functrace.testing import check_grads

seeds = st.integers(0, 2**32 - 1)


def _by_dtype(cases: list[Case], floats_only: bool = False) -> list[Any]:
    """pytest params (case, dtype) with readable ids."""
    out = []
    for case, case_id in zip(cases, ids(cases), strict=True):
        for dtype in case.dtypes:
            if floats_only and dtype.kind != "f":
                continue
            out.append(pytest.param(case, dtype, id=f"{case_id}-{dtype.name}"))
    return out


VALUE_PARAMS = _by_dtype(ALL_CASES)
GRAD_PARAMS = _by_dtype([c for c in ALL_CASES if c.differentiable], floats_only=True)
VMAP_PARAMS = _by_dtype([c for c in ALL_CASES if c.vmappable])
TRACE_PARAMS = [pytest.param(c, id=i) for c, i in zip(ALL_CASES, ids(ALL_CASES), strict=True)
                if c.differentiable and any(d.kind == "f" for d in c.dtypes)]


# ---------------------------------------------------------------------------------------------
# Helpers


def leaves(x: Any) -> list[Any]:
    """A primitive's result as a list of outputs (multi-output rows return tuples)."""
    return list(x) if isinstance(x, (tuple, list)) else [x]


def assert_same(got: Any, expected: Any, tol: tuple[float, float], what: str) -> None:
    """Equal values, shapes and dtypes; floats within ``tol`` = (atol, rtol)."""
    got_l, exp_l = leaves(got), leaves(expected)
    assert len(got_l) == len(exp_l), f"{what}: {len(got_l)} outputs, expected {len(exp_l)}"
    for k, (g, e) in enumerate(zip(got_l, exp_l, strict=True)):
        assert isinstance(g, (np.ndarray, np.generic)), f"{what}: output {k} is {type(g)}"
        g, e = np.asarray(g), np.asarray(e)
        assert g.shape == e.shape, f"{what}: output {k} has shape {g.shape}, expected {e.shape}"
        assert g.dtype == e.dtype, f"{what}: output {k} has dtype {g.dtype}, expected {e.dtype}"
        if e.dtype.kind in "fc":
            np.testing.assert_allclose(g, e, atol=tol[0], rtol=tol[1], err_msg=what)
        else:
            np.testing.assert_array_equal(g, e, err_msg=what)


def draw(case: Case, dtype: np.dtype[Any], seed: int) -> tuple[Sample, np.random.Generator]:
    rng = np.random.default_rng(seed)
    return case.make(rng, dtype), rng


def primitive_names(jaxpr: Jaxpr) -> set[str]:
    """Names of the primitives of ``jaxpr`` and of the jaxprs nested in its params."""
    names = set()
    for eqn in jaxpr.eqns:
        names.add(eqn.primitive.name)
        for p in eqn.params.values():
            if isinstance(p, (Jaxpr, ClosedJaxpr)):
                names |= primitive_names(p.jaxpr if isinstance(p, ClosedJaxpr) else p)
    return names


def differentiable_part(case: Case, sample: Sample
                        ) -> tuple[Callable[..., Any], list[np.ndarray]]:
    """``case.fn`` as a function of its floating-point, differentiable args only."""
    args = sample.args
    argnums = [i for i, a in enumerate(args)
               if a.dtype.kind == "f" and i not in case.nondiff_argnums]

    def f(*diff_args: Any) -> Any:
        full = list(args)
        for i, a in zip(argnums, diff_args, strict=True):
            full[i] = a
        return case.fn(*full, **sample.params)

    return f, [args[i] for i in argnums]


# ---------------------------------------------------------------------------------------------
# Values


@pytest.mark.parametrize("case,dtype", VALUE_PARAMS)
@settings(max_examples=8)
@given(seed=seeds)
def test_value(case: Case, dtype: np.dtype[Any], seed: int) -> None:
    sample, _ = draw(case, dtype, seed)
    expected = case.ref(*sample.args, **sample.params)
    got = case.fn(*sample.args, **sample.params)
    assert_same(got, expected, case.value_tol(dtype), f"{case.id} eager")


@pytest.mark.parametrize("case,dtype", VALUE_PARAMS)
@settings(max_examples=5)
@given(seed=seeds)
def test_jaxpr(case: Case, dtype: np.dtype[Any], seed: int) -> None:
    sample, _ = draw(case, dtype, seed)
    closed = ft.make_jaxpr(functools.partial(case.fn, **sample.params))(*sample.args)
    assert case.name in primitive_names(closed.jaxpr), (
        f"row {case.id} should exercise '{case.name}', but its jaxpr is\n{closed}")
    got = eval_jaxpr(closed.jaxpr, closed.consts, *sample.args)
    expected = leaves(case.ref(*sample.args, **sample.params))
    assert_same(got, expected, case.value_tol(dtype), f"{case.id} eval_jaxpr")
    out_avals = [(a.shape, a.dtype) for a in closed.out_avals]
    assert out_avals == [(np.shape(e), np.asarray(e).dtype) for e in expected]


# ---------------------------------------------------------------------------------------------
# Derivatives


@pytest.mark.parametrize("case,dtype", GRAD_PARAMS)
@settings(max_examples=4)
@given(seed=seeds)
def test_grads(case: Case, dtype: np.dtype[Any], seed: int) -> None:
    sample, _ = draw(case, dtype, seed)
    f, diff_args = differentiable_part(case, sample)
    assert diff_args, f"row {case.id} is marked differentiable but has no float argument"
    atol, rtol = case.derivative_tol(dtype)
    check_grads(f, diff_args, order=2, modes=("fwd", "rev"), atol=atol, rtol=rtol, seed=seed)


def _scalarized(f: Callable[..., Any], out: Any, rng: np.random.Generator
                ) -> Callable[..., Any]:
    """``sum(f(x) * w)`` for a fixed random ``w``: a scalar function with f's derivatives."""
    ws = [rng.standard_normal(np.shape(o)).astype(np.asarray(o).dtype) for o in leaves(out)]

    def g(*args: Any) -> Any:
        terms = [fnp.sum(fnp.multiply(o, w)) for o, w in zip(leaves(f(*args)), ws, strict=True)]
        return functools.reduce(fnp.add, terms)

    return g


@pytest.mark.parametrize("case", TRACE_PARAMS)
@settings(max_examples=3)
@given(seed=seeds)
def test_rules_are_traceable(case: Case, seed: int) -> None:
    """The jvp, vjp and batching rules run on abstract tracers (make_jaxpr) and the traced
    derivative computations evaluate to the eager ones: no rule computes with raw NumPy."""
    dtype = np.dtype(np.float64) if np.float64 in case.dtypes else case.dtypes[0]
    sample, rng = draw(case, dtype, seed)
    f, diff_args = differentiable_part(case, sample)
    n = len(diff_args)
    tol = case.derivative_tol(dtype)
    g = _scalarized(f, f(*diff_args), rng)
    tangents = [rng.standard_normal(a.shape).astype(a.dtype) for a in diff_args]

    def grad_g(*args: Any) -> Any:
        return ft.grad(g, argnums=tuple(range(n)))(*args)

    def hvp(*args: Any) -> Any:  # forward over reverse: second order through traced rules
        return ft.jvp(grad_g, tuple(args), tuple(tangents))[1]

    def push(*args: Any) -> Any:
        return ft.jvp(f, tuple(args), tuple(tangents))

    for fun in (grad_g, hvp, push):
        eager = ft.tree_util.tree_leaves(fun(*diff_args))
        closed = ft.make_jaxpr(fun)(*diff_args)
        traced = eval_jaxpr(closed.jaxpr, closed.consts, *diff_args)
        assert_same(traced, eager, tol, f"{case.id}: make_jaxpr({fun.__name__}) evaluated")

    # Batching rules on abstract values too: make_jaxpr(vmap(f)).
    batched = [np.stack([a, a * 0.5]) for a in diff_args]
    eager = leaves(ft.vmap(f)(*batched))
    closed = ft.make_jaxpr(ft.vmap(f))(*batched)
    traced = eval_jaxpr(closed.jaxpr, closed.consts, *batched)
    assert_same(traced, eager, case.value_tol(dtype), f"{case.id}: make_jaxpr(vmap) evaluated")


def test_stop_gradient_has_zero_derivative() -> None:
    x = np.array([0.5, -1.0, 2.0])
    g = ft.grad(lambda x: fnp.sum(fnp.stop_gradient(x) * x))(x)
    np.testing.assert_allclose(g, x)  # d/dx sum(c * x) with c = x held constant
    out, x_dot = ft.jvp(fnp.stop_gradient, (x,), (np.ones(3),))
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(x_dot, np.zeros(3))


# Ties: the derivative is split equally among tied extrema (functrace.numpy.max's docstring),
# which makes the derivative right wherever the tie is structural (the same value twice).
TIES: list[tuple[str, Callable[[Any], Any], Any, Any]] = [
    ("max over a broadcast axis", lambda x: fnp.max(fnp.broadcast_to(x, (3,))), 0.7, 1.0),
    ("maximum(x, x)", lambda x: fnp.maximum(x, x), 0.7, 1.0),
    ("minimum(x, x)", lambda x: fnp.minimum(x, x), -0.7, 1.0),
    ("two tied maxima", lambda x: fnp.max(x * np.array([1.0, 1.0, 0.5])), 2.0, 1.0),
    ("max of a vector with a tie", fnp.max, np.array([1.0, 1.0, 0.0]), [0.5, 0.5, 0.0]),
    ("min of a matrix along an axis", lambda x: fnp.sum(fnp.min(x, axis=0)),
     np.array([[0.0, 1.0], [0.0, 2.0]]), [[0.5, 1.0], [0.5, 0.0]]),
    ("clip at the bound", lambda x: fnp.clip(x, 0.0, 1.0), 1.0, 0.5),
]


@pytest.mark.parametrize("f,x,expected", [pytest.param(f, x, e, id=i) for i, f, x, e in TIES])
def test_ties_split_the_derivative(f: Callable[[Any], Any], x: Any, expected: Any) -> None:
    np.testing.assert_allclose(ft.grad(f)(x), expected, rtol=1e-12)
    x_dot = np.ones(np.shape(x))
    np.testing.assert_allclose(ft.jvp(f, (x,), (x_dot,))[1], np.sum(expected), rtol=1e-12)


@pytest.mark.parametrize("fn", [fnp.fmax, fnp.fmin])
def test_fmax_fmin_derivative_goes_to_the_selected_operand(fn: Callable[..., Any]) -> None:
    # As JAX's: y's at ties, the operand that is not NaN, and x's where both are NaN.
    x = np.array([1.0, np.nan, 2.0, np.nan])
    y = np.array([1.0, 3.0, np.nan, np.nan])
    gx, gy = ft.grad(lambda a, b: fnp.sum(fn(a, b)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(gy, [1.0, 1.0, 0.0, 0.0])


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maximum_minimum_shares_at_special_values(dtype: Any, mode: str) -> None:
    # Each operand's share of the cotangent, as JAX's ct * select-weight: 1 where selected, 1/2
    # at ties (-0.0 ties 0.0, inf ties inf), 0 where either operand is NaN.
    x = np.array([1.0, -1.0, 0.0, -0.0, np.inf, np.nan, 2.0, np.nan], dtype)
    y = np.array([0.0, 0.0, 0.0, 0.0, np.inf, 1.0, np.nan, np.nan], dtype)
    for fn, x_share in ((fnp.maximum, [1, 0, 0.5, 0.5, 0.5, 0, 0, 0]),
                        (fnp.minimum, [0, 1, 0.5, 0.5, 0.5, 0, 0, 0])):
        grad = ft.grad(lambda a, b, fn=fn: fnp.sum(fn(a, b) * np.arange(1.0, 9.0, dtype=dtype)),
                       argnums=(0, 1))
        gx, gy = (ft.jit(grad) if mode == "jit" else grad)(x, y)
        weights = np.arange(1.0, 9.0)
        np.testing.assert_array_equal(gx, np.asarray(x_share) * weights)
        y_share = [0.5 if s == 0.5 else (0 if np.isnan(a) or np.isnan(b) else 1 - s)
                   for s, a, b in zip(x_share, x, y, strict=True)]
        np.testing.assert_array_equal(gy, np.asarray(y_share) * weights)
        assert gx.dtype == dtype


# ---------------------------------------------------------------------------------------------
# Batching


def _batch(rng: np.random.Generator, x: np.ndarray, size: int) -> np.ndarray:
    """``size`` examples like ``x``: each a permutation of x's values (so each stays in the
    row's domain, and index arguments stay in range)."""
    return np.stack([rng.permutation(x.reshape(-1)).reshape(x.shape) for _ in range(size)])


@pytest.mark.parametrize("variant", ["leading", "other axes", "unbatched"])
@pytest.mark.parametrize("case,dtype", VMAP_PARAMS)
@settings(max_examples=3)
@given(seed=seeds)
def test_vmap(case: Case, dtype: np.dtype[Any], variant: str, seed: int) -> None:
    sample, rng = draw(case, dtype, seed)
    args, n = sample.args, len(sample.args)
    size = int(rng.integers(1, 4))
    fn = functools.partial(case.fn, **sample.params)
    batched = [True] * n
    if variant == "unbatched":
        # Some (for a single argument: all, with an explicit axis_size) arguments unbatched.
        unbatched = rng.choice(n, size=int(rng.integers(1, n)) if n > 1 else 1, replace=False)
        batched = [i not in unbatched for i in range(n)]
    stacks = [_batch(rng, a, size) if b else a for a, b in zip(args, batched, strict=True)]
    expected = [np.stack(outs) for outs in zip(*[
        leaves(fn(*[s[i] if b else s for s, b in zip(stacks, batched, strict=True)]))
        for i in range(size)], strict=True)]

    if variant == "other axes":
        in_axes = []
        for k, s in enumerate(stacks):
            axis = int(rng.integers(0, s.ndim))
            stacks[k] = np.moveaxis(s, 0, axis)
            in_axes.append(axis if rng.random() < 0.5 else axis - s.ndim)  # negative too
        got = ft.vmap(fn, in_axes=tuple(in_axes), out_axes=-1)(*stacks)
        expected = [np.moveaxis(e, 0, -1) for e in expected]
    elif variant == "unbatched":
        in_axes = tuple(0 if b else None for b in batched)
        got = ft.vmap(fn, in_axes=in_axes, axis_size=size)(*stacks)
    else:
        got = ft.vmap(fn)(*stacks)
    tol = case.value_tol(dtype)
    assert_same(got, expected, (tol[0] * 10, tol[1] * 10), f"{case.id} vmap ({variant})")


# ---------------------------------------------------------------------------------------------
# Coverage of the table and of the rules


def all_primitives() -> list[Primitive]:
    """Every Primitive object defined at the top level of a functrace.primitives module."""
    found: dict[int, Primitive] = {}
    for info in pkgutil.iter_modules(functrace.primitives.__path__):
        module = importlib.import_module(f"functrace.primitives.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Primitive):
                found[id(value)] = value
    return sorted(found.values(), key=lambda p: p.name)


# (primitive name, rule) -> why it is legitimately missing.  Keep this short.
RULE_EXEMPTIONS: dict[tuple[str, str], str] = {
    ("nextafter", "jvp"): "not differentiable, as JAX's: differentiating through it raises",
    ("nextafter", "vjp"): "not differentiable, as JAX's: differentiating through it raises",
    ("schur", "jvp"): "no derivative, as JAX's schur: differentiating through it raises",
    ("schur", "vjp"): "no derivative, as JAX's schur: differentiating through it raises",
}

# primitive name -> why it has no row in the table.
ROW_EXEMPTIONS: dict[str, str] = {
    "debug_callback": "run for its effect (a debug print), with a token output and no value to "
                      "compare: tests/test_debug.py checks it under every transformation",
    "pure_callback": "an opaque user function with no derivative (as JAX's): "
                     "tests/test_jax_compat.py checks it under jit, vmap and its errors",
    **{name: "a collective: it has a value only inside a vmap naming its axis, which the "
             "table's checks (eager value, vmap over an unnamed axis) do not provide; "
             "tests/test_collectives.py checks values, nesting, jit and derivatives"
       for name in ("psum", "pmax", "pmin", "all_gather", "axis_index", "ppermute")},
}


def _has_rule(prim: Primitive, rule: str) -> bool:
    if rule in ("impl", "shape_rule"):
        # Unset rules are the placeholders made by core._no_rule.
        return "_no_rule" not in getattr(getattr(prim, rule), "__qualname__", "")
    table = {"jvp": jvp_rules, "vjp": vjp_rules, "batch": batch_rules}[rule]
    return prim in table


def test_primitives_are_found() -> None:
    names = {p.name for p in all_primitives()}
    assert {"add", "sin", "reduce_sum", "dot_general", "broadcast_in_dim"} <= names


@pytest.mark.parametrize("prim", all_primitives(), ids=lambda p: p.name)
def test_every_primitive_has_every_rule(prim: Primitive) -> None:
    missing = [rule for rule in ("impl", "shape_rule", "jvp", "vjp", "batch")
               if not _has_rule(prim, rule) and (prim.name, rule) not in RULE_EXEMPTIONS]
    assert not missing, (f"primitive '{prim.name}' has no {', '.join(missing)} rule; add it "
                         "beside the primitive or to RULE_EXEMPTIONS with a reason")


def test_exemptions_are_current() -> None:
    names = {p.name for p in all_primitives()}
    for name, rule in RULE_EXEMPTIONS:
        assert name in names, f"RULE_EXEMPTIONS names an unknown primitive '{name}'"
        assert not _has_rule(next(p for p in all_primitives() if p.name == name), rule), (
            f"'{name}' now has its {rule} rule: remove it from RULE_EXEMPTIONS")
    for name in ROW_EXEMPTIONS:
        assert name not in {c.name for c in ALL_CASES}, f"'{name}' has a row: unexempt it"


@pytest.mark.parametrize("prim", all_primitives(), ids=lambda p: p.name)
def test_every_primitive_has_a_row(prim: Primitive) -> None:
    rows = [c for c in ALL_CASES if c.name == prim.name]
    assert rows or prim.name in ROW_EXEMPTIONS, (
        f"primitive '{prim.name}' has no row in tests/cases.py (or cases_structural.py)")
    if rows and any(d.kind == "f" for r in rows for d in r.dtypes):
        # Every primitive with a real derivative has a row that checks it.
        assert any(r.differentiable for r in rows) or prim.name in _NOT_DIFFERENTIABLE, (
            f"no row checks the derivative of '{prim.name}'")


# Primitives whose outputs are booleans or whose derivative is zero/undefined by design.
_NOT_DIFFERENTIABLE = {"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor", "not",
                       "stop_gradient", "argmax", "argmin", "nextafter",
                       "bitcast_convert_type", "schur"}
