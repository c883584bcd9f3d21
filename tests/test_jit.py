"""jit: values, composition with every transformation, caching, static arguments, errors.

The tables are reused: random programs (``tests/programs.py``) crossed with the
transformations and the placement of ``jit`` (``tests/jit_variants.py``), and the primitive
table (``tests/cases.py``) run jitted, so every emitter of the code generator meets every
primitive.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import test_programs as program_properties
from cases import ALL_CASES, Case, ids
from hypothesis import given, settings
from hypothesis import strategies as st
from jit_variants import PLACEMENTS, jit_placement, place_jit  # noqa: F401 (fixture)
from programs import Program, programs
from test_autodiff import CLOSED_FORMS

import functrace as ft
import functrace.lax as lax
import functrace.numpy as fnp
from functrace import tracing
from functrace.errors import ConcretizationError, TracerLeakError
from functrace.interpreters import jit as jit_module

seeds = st.integers(0, 2**32 - 1)


def chapter_f(x1: Any, x2: Any) -> Any:
    v3 = x1 * x2
    v4 = fnp.sin(x2)
    v5 = fnp.exp(v3)
    v6 = v3 - v4
    return v5 + v6


def assert_tree_close(got: Any, expected: Any, rtol: float = 1e-9, what: str = "") -> None:
    g_leaves, g_tree = ft.tree_util.tree_flatten(got)
    e_leaves, e_tree = ft.tree_util.tree_flatten(expected)
    assert g_tree == e_tree, f"{what}: structure {g_tree}, expected {e_tree}"
    for g, e in zip(g_leaves, e_leaves, strict=True):
        assert isinstance(g, np.ndarray), f"{what}: a concrete output must be an ndarray: {g!r}"
        e = np.asarray(e)
        assert g.shape == e.shape, f"{what}: shape {g.shape}, expected {e.shape}"
        assert g.dtype == e.dtype, f"{what}: dtype {g.dtype}, expected {e.dtype}"
        finite = np.abs(e[np.isfinite(e)]) if e.dtype.kind in "fc" else np.zeros(0)
        scale = 1.0 + (float(np.max(finite)) if finite.size else 0.0)  # NaNs must match NaNs
        np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * scale, err_msg=what)


# ---------------------------------------------------------------------------------------------
# Values: random programs x transformations x placement of jit

# name -> (transformation, which function of the program it applies to, batched inputs?)
Transform = Callable[[Callable[..., Any]], Callable[..., Any]]


def _argnums(prog: Program) -> tuple[int, ...]:
    return tuple(range(len(prog.in_shapes)))


TRANSFORMS: dict[str, Callable[[Program], tuple[Transform, Callable[..., Any]]]] = {
    "identity": lambda p: (lambda f: f, p),
    "grad": lambda p: (lambda f: ft.grad(f, argnums=_argnums(p)), p.scalar),
    "value_and_grad": lambda p: (lambda f: ft.value_and_grad(f, argnums=_argnums(p)), p.scalar),
    "vmap": lambda p: (ft.vmap, p),
    "jacfwd": lambda p: (lambda f: ft.jacfwd(f, argnums=_argnums(p)), p),
    "jacrev": lambda p: (lambda f: ft.jacrev(f, argnums=_argnums(p)), p),
    "hessian": lambda p: (ft.hessian, p.scalar),
    "jit": lambda p: (ft.jit, p),
    "jvp": lambda p: (lambda f: lambda *xs: ft.jvp(f, xs, tuple(np.cos(x) for x in xs)), p),
    "vjp": lambda p: (lambda f: lambda *xs: ft.vjp(f, *xs)[1](np.ones(p.out_shape)), p),
}


@pytest.mark.parametrize("placement", PLACEMENTS[1:])
@pytest.mark.parametrize("name", list(TRANSFORMS))
@settings(max_examples=12)
@given(prog=programs(max_ops=5), seed=seeds)
def test_transformed_programs(name: str, placement: str, prog: Program, seed: int) -> None:
    rng = np.random.default_rng(seed)
    transform, f = TRANSFORMS[name](prog)
    xs = prog.inputs(rng, batch=(2,) if name == "vmap" else ())
    expected = transform(f)(*xs)
    got = place_jit(transform, f, placement)(*xs)
    assert_tree_close(got, expected, what=f"{placement}: {name} of {prog}")


@settings(max_examples=20)
@given(prog=programs(max_ops=6), seed=seeds)
def test_inputs_are_never_written(prog: Program, seed: int) -> None:
    """Buffer reuse never touches the caller's arrays, in any transformation."""
    xs = prog.inputs(np.random.default_rng(seed))
    copies = [x.copy() for x in xs]
    ft.jit(prog)(*xs)
    ft.jit(ft.grad(prog.scalar, argnums=_argnums(prog)))(*xs)
    ft.grad(ft.jit(prog.scalar), argnums=_argnums(prog))(*xs)
    for x, c in zip(xs, copies, strict=True):
        np.testing.assert_array_equal(x, c)


# The AD and vmap properties of tests/test_programs.py, reused (not copied) with jit placed
# inside every transformation (the program itself is jitted) or outside (each transformation
# the property calls is wrapped in jit).  name -> (property, its strategies).
PROGRAM_PROPERTIES: dict[str, tuple[Any, dict[str, Any]]] = {
    "jacfwd = jacrev = numerical": (program_properties.test_jacfwd_equals_jacrev_equals_numerical,
                                    dict(prog=programs(), seed=seeds)),
    "hessian": (program_properties.test_hessian_is_symmetric_and_matches_numerical,
                dict(prog=programs(), seed=seeds)),
    "vmap = loop": (program_properties.test_vmap_equals_loop,
                    dict(prog=programs(), seed=seeds,
                         variant=st.sampled_from(["leading", "other axes", "unbatched"]))),
    "jvp/vjp adjoint": (program_properties.test_jvp_and_vjp_are_adjoint,
                        dict(prog=programs(), seed=seeds)),
    "third order": (program_properties.test_scalar_derivatives_to_third_order,
                    dict(prog=programs(in_shapes=((),), max_ops=4), seed=seeds)),
    "make_jaxpr + eval": (program_properties.test_make_jaxpr_then_eval_equals_direct,
                          dict(prog=programs(), seed=seeds)),
}
_WRAPPED = ("grad", "value_and_grad", "jacfwd", "jacrev", "hessian", "vmap")


def _jit_placed(mp: pytest.MonkeyPatch, placement: str) -> None:
    if placement == "jit inside":
        call, scalar = Program.__call__, Program.scalar
        mp.setattr(Program, "__call__", lambda self, *xs: ft.jit(
            lambda *a: call(self, *a))(*xs))
        mp.setattr(Program, "scalar", lambda self, *xs: ft.jit(
            lambda *a: scalar(self, *a))(*xs))
        return
    for name in _WRAPPED:
        transform = getattr(ft, name)
        mp.setattr(ft, name, lambda f, *a, _t=transform, **k: ft.jit(_t(f, *a, **k)))
    jvp = ft.jvp
    mp.setattr(ft, "jvp", lambda f, primals, tangents: ft.jit(
        lambda p, t: jvp(f, p, t))(tuple(primals), tuple(tangents)))


@pytest.mark.parametrize("placement", PLACEMENTS[1:])
@pytest.mark.parametrize("name", list(PROGRAM_PROPERTIES))
@settings(max_examples=15)
@given(data=st.data())
def test_program_properties_with_jit(name: str, placement: str, data: st.DataObject) -> None:
    prop, strategies = PROGRAM_PROPERTIES[name]
    kwargs = {k: data.draw(s, label=k) for k, s in strategies.items()}
    with pytest.MonkeyPatch.context() as mp:
        _jit_placed(mp, placement)
        prop.hypothesis.inner_test(**kwargs)


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_third_order_with_jit_at_every_level(name: str) -> None:
    """jit(grad(jit(grad(jit(grad(jit(f))))))) and its forward-mode twin: closed forms."""
    f, derivatives, (lo, hi) = CLOSED_FORMS[name]
    x = lo + 0.37 * (hi - lo)
    rev, fwd = ft.jit(f), ft.jit(f)
    for order, closed_form in enumerate(derivatives, start=1):
        rev = ft.jit(ft.grad(rev))
        fwd = ft.jit(lambda x, h=fwd: ft.jvp(h, (x,), (1.0,))[1])
        for label, g in [("rev", rev), ("fwd", fwd)]:
            np.testing.assert_allclose(g(x), closed_form(x), rtol=1e-10, atol=1e-12,
                                       err_msg=f"{label} order {order} of {name} at {x}")


def test_fixture_places_jit(jit_placement: str) -> None:  # noqa: F811 (the fixture)
    g = place_jit(ft.grad, chapter_f, jit_placement, argnums=(0, 1))
    expected = ft.grad(chapter_f, argnums=(0, 1))(1.5, 0.5)
    assert_tree_close(g(1.5, 0.5), expected)


# ---------------------------------------------------------------------------------------------
# Values: the primitive table, jitted (every emitter, float32 and integer dtypes)


def _table() -> list[Any]:
    return [pytest.param(c, d, id=f"{i}-{d.name}")
            for c, i in zip(ALL_CASES, ids(ALL_CASES), strict=True) for d in c.dtypes]


@pytest.mark.parametrize("case,dtype", _table())
@settings(max_examples=4)
@given(seed=seeds)
def test_primitive_table(case: Case, dtype: np.dtype[Any], seed: int) -> None:
    sample = case.make(np.random.default_rng(seed), dtype)
    fn = lambda *args: case.fn(*args, **sample.params)  # noqa: E731
    expected = fn(*sample.args)
    got = ft.jit(fn)(*sample.args)
    atol, rtol = case.value_tol(dtype)
    assert_tree_close(got, expected, rtol=max(rtol, 1e-12), what=case.id)
    if case.differentiable and dtype.kind == "f" and dtype == np.float64:
        def loss(*args: Any) -> Any:
            outs = ft.tree_util.tree_leaves(fn(*args))
            return sum(fnp.sum(fnp.sin(o)) for o in outs if o.dtype.kind == "f")

        floats = tuple(i for i, a in enumerate(sample.args)
                       if a.dtype.kind == "f" and i not in case.nondiff_argnums)
        if floats:
            g_expected = ft.grad(loss, argnums=floats)(*sample.args)
            for placement in PLACEMENTS[1:]:
                g = place_jit(ft.grad, loss, placement, argnums=floats)(*sample.args)
                assert_tree_close(g, g_expected, rtol=1e-9, what=f"{placement} grad {case.id}")


# ---------------------------------------------------------------------------------------------
# The chapter's example


def test_chapter_grad_is_the_optimised_backward_pass() -> None:
    g = ft.jit(ft.grad(chapter_f, argnums=(0, 1)))
    assert_tree_close(g(1.5, 0.5), ft.grad(chapter_f, argnums=(0, 1))(1.5, 0.5))
    lowered = g.lower(1.5, 0.5)
    names = sorted(e.primitive.name for e in lowered.jaxpr.eqns)
    # x1*x2 once, exp once, cos once; f's own value (sin, sub, the final add) is dead code.
    assert names == ["add", "add", "cos", "exp", "mul", "mul", "mul", "mul"], lowered.jaxpr
    assert len(lowered.traced.eqns) > len(lowered.jaxpr.eqns)
    text = lowered.as_text()
    assert "_exp(" in text and "np.exp(" in text  # the math fast path and its NumPy fallback


def test_chapter_one_liner_is_deduplicated() -> None:
    f = lambda x1, x2: x1 * x2 + fnp.exp(x1 * x2) - fnp.sin(x2)  # noqa: E731
    assert len(ft.make_jaxpr(f)(1.5, 0.5).eqns) == 6
    assert [e.primitive.name for e in ft.jit(f).lower(1.5, 0.5).jaxpr.eqns].count("mul") == 1


# ---------------------------------------------------------------------------------------------
# Caching and retracing


def counting(f: Callable[..., Any]) -> tuple[Callable[..., Any], list[int]]:
    calls = [0]

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return f(*args, **kwargs)

    return wrapped, calls


def test_one_trace_per_signature() -> None:
    f, calls = counting(lambda x, y: fnp.sin(x) * y)
    jf = ft.jit(f)
    x3, x4 = np.ones(3), np.ones(4)
    for _ in range(3):
        jf(x3, 2.0)
    assert calls[0] == jf.trace_count == 1
    jf(x3 + 1.0, 5.0)  # new values, same signature
    assert calls[0] == 1
    jf(x4, 2.0)  # new shape
    jf(x3.astype(np.float32), 2.0)  # new dtype
    jf(x3, 2)  # Python int instead of float
    jf(x3, np.float64(2.0))  # strongly typed instead of weakly typed
    assert calls[0] == jf.trace_count == 5
    for args in [(x3, 2.0), (x4, 2.0), (x3.astype(np.float32), 2.0), (x3, 2),
                 (x3, np.float64(2.0))]:
        jf(*args)
    assert calls[0] == 5


def test_weak_types_follow_numpy_promotion() -> None:
    f = lambda x, y: x * y  # noqa: E731
    x32 = np.ones(3, np.float32)
    assert ft.jit(f)(x32, 2.0).dtype == f(x32, 2.0).dtype == np.float32
    assert ft.jit(f)(x32, np.float64(2.0)).dtype == np.float64
    assert ft.jit(f)(3, 4).dtype == np.int64
    assert ft.jit(f)(np.float32(1.5), 2.0).dtype == np.float32


def test_python_side_effects_happen_at_trace_time_only() -> None:
    log: list[str] = []

    def f(x: Any) -> Any:
        log.append("traced")
        return x * 2.0

    jf = ft.jit(f)
    for _ in range(3):
        jf(np.ones(2))
    assert log == ["traced"]


def test_pytrees_in_and_out() -> None:
    def f(params: dict[str, Any], xs: list[Any], scale: float = 1.0) -> Any:
        y = params["w"] * xs[0] + params["b"] * xs[1]
        return {"y": y * scale, "parts": (xs[0], None, [y.sum()])}

    params = {"w": np.arange(3.0), "b": np.ones(3)}
    xs = [np.ones(3), np.full(3, 2.0)]
    jf = ft.jit(f)
    assert_tree_close(jf(params, xs, scale=3.0), f(params, xs, scale=3.0))
    assert_tree_close(jf(params, xs, scale=3.0), f(params, xs, scale=3.0))
    assert jf.trace_count == 1
    jf({"w": np.arange(3.0), "b": np.ones(3)}, xs)  # kwargs differ: a new structure
    assert jf.trace_count == 2


def test_derived_jaxprs_are_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    traced = []
    original = jit_module.trace_to_jaxpr

    def spy(fun: Any, avals: Any) -> Any:
        traced.append(len(avals))
        return original(fun, avals)

    monkeypatch.setattr(jit_module, "trace_to_jaxpr", spy)
    jf = ft.jit(lambda x: fnp.sum(fnp.tanh(x) ** 3))
    x = np.linspace(-1, 1, 4)
    for transform, arg in [(ft.grad, x), (ft.jacfwd, x), (ft.hessian, x),
                           (ft.vmap, np.ones((2, 4)))]:
        before = len(traced)
        transform(jf)(arg)
        first = len(traced) - before
        transform(jf)(arg)
        assert len(traced) - before == first, f"{transform.__name__} retraced"
    assert jf.trace_count == 1


def test_clear_cache() -> None:
    jf = ft.jit(lambda x: x + 1.0)
    jf(1.0)
    jf.clear_cache()
    jf(1.0)
    assert jf.trace_count == 2


# ---------------------------------------------------------------------------------------------
# Static arguments


def test_static_argnums_and_argnames() -> None:
    def f(x: Any, n: int, mode: str = "sin") -> Any:
        y = fnp.sin(x) if mode == "sin" else fnp.cos(x)
        for _ in range(n):  # Python control flow on static values
            y = y * 2.0
        return y

    jf = ft.jit(f, static_argnums=1, static_argnames="mode")
    x = np.linspace(0, 1, 3)
    assert_tree_close(jf(x, 2), f(x, 2))
    assert_tree_close(jf(x, 3, mode="cos"), f(x, 3, mode="cos"))
    assert_tree_close(jf(x, 3, "cos"), f(x, 3, "cos"))  # static by name, passed by position
    assert_tree_close(jf(x, n=2), f(x, 2))  # static by position, passed by name
    jf(x, 2)
    assert jf.trace_count == 4
    assert ft.jit(f, static_argnums=(-1,))(x, 2).shape == (3,)  # counted from the last arg


def test_unhashable_static_argument_is_a_clear_error() -> None:
    jf = ft.jit(lambda x, shape: fnp.reshape(x, shape), static_argnums=1)
    assert jf(np.ones(6), (2, 3)).shape == (2, 3)
    with pytest.raises(TypeError, match=r"static argument 1 .*unhashable type list.*tuple"):
        jf(np.ones(6), [2, 3])
    with pytest.raises(TypeError, match="unhashable type ndarray"):
        ft.jit(lambda x, y: x, static_argnames="y")(1.0, y=np.ones(2))


def test_non_array_arguments_must_be_static() -> None:
    f = lambda x, mode: x * 2.0 if mode == "double" else x  # noqa: E731
    with pytest.raises(TypeError, match="'double' of type str is not a valid.*static_argnums"):
        ft.jit(f)(1.0, "double")
    assert float(ft.jit(f, static_argnums=1)(1.0, "double")) == 2.0


def test_static_args_must_be_ints_and_strings() -> None:
    with pytest.raises(TypeError, match="static_argnums must be ints"):
        ft.jit(lambda x: x, static_argnums=("x",))  # type: ignore[arg-type]


def test_jit_with_options_only_is_a_decorator() -> None:
    @ft.jit(static_argnums=1)
    def power(x: Any, n: int) -> Any:
        return x ** n

    @ft.jit(static_argnames="mode")
    def act(x: Any, mode: str = "relu") -> Any:
        return fnp.maximum(x, 0.0) if mode == "relu" else fnp.tanh(x)

    assert isinstance(power, jit_module.Jitted) and power.__name__ == "power"
    assert float(power(2.0, 3)) == 8.0 and float(power(2.0, 4)) == 16.0
    assert power.trace_count == 2
    np.testing.assert_allclose(act(np.array([-1.0, 2.0])), [0.0, 2.0])
    np.testing.assert_allclose(act(np.array([-1.0, 2.0]), mode="tanh"), np.tanh([-1.0, 2.0]))
    np.testing.assert_allclose(ft.jit()(fnp.sin)(np.pi / 2), 1.0)  # no options at all
    assert float(ft.jit(static_argnames="n")(lambda x, n: x * n)(3.0, n=2)) == 6.0
    assert float(ft.grad(power, argnums=0)(3.0, 2)) == 6.0


@pytest.mark.parametrize("bad", [None, 5, "f"])
def test_jit_of_a_non_callable_is_a_clear_error(bad: Any) -> None:
    with pytest.raises(TypeError, match=rf"Expected a callable value, got {bad!r}.*jit"):
        ft.jit(bad)
    with pytest.raises(TypeError, match=rf"Expected a callable value, got {bad!r}"):
        ft.jit(static_argnums=0)(bad)


# ---------------------------------------------------------------------------------------------
# Errors


def test_concretization_error_names_the_operation_and_the_fixes() -> None:
    def f(x: Any) -> Any:
        if x > 0:
            return x
        return -x

    with pytest.raises(ConcretizationError) as info:
        ft.jit(f)(1.0)
    message = str(info.value)
    assert "bool()" in message and "static_argnums" in message and "lax.cond" in message
    assert isinstance(info.value, TypeError)
    assert ft.jit(f, static_argnums=0)(-2.0) == 2.0  # the fix that works for constants


def test_control_flow_on_constants_works_inside_jit() -> None:
    w = np.array([1.0, -2.0])

    def f(x: Any) -> Any:
        s = fnp.sum(w * 2.0)  # known while tracing: computed from constants only
        return x * s if s < 0 else -x

    assert_tree_close(ft.jit(f)(np.ones(2)), f(np.ones(2)))


def test_leaked_tracer_is_detected() -> None:
    leaked = []

    def f(x: Any) -> Any:
        leaked.append(x)
        return x

    ft.grad(f)(1.0)
    with pytest.raises(TracerLeakError):
        ft.jit(lambda y: y + leaked[0])(1.0)


# ---------------------------------------------------------------------------------------------
# Closures over tracers of enclosing transformations


def test_closure_over_an_outer_tracer() -> None:
    def outer(y: Any) -> Any:
        return ft.jit(lambda x: fnp.sin(x * y))(2.0)

    assert_tree_close(ft.grad(outer)(0.3), ft.grad(lambda y: fnp.sin(2.0 * y))(0.3))
    assert_tree_close(ft.vmap(outer)(np.array([0.1, 0.2])), np.sin(2.0 * np.array([0.1, 0.2])))
    assert_tree_close(ft.jit(ft.grad(outer))(0.3), ft.grad(lambda y: fnp.sin(2.0 * y))(0.3))


def test_same_jitted_function_inside_and_outside_transformations() -> None:
    jf = ft.jit(lambda x: fnp.tanh(x) * x)
    x = np.linspace(-1, 1, 3)
    jf(x)
    ft.jacrev(jf)(x)
    ft.vmap(jf)(np.ones((2, 3)))
    assert jf.trace_count == 1  # tracers of the same type hit the same cache entry
    assert_tree_close(jf(x), np.tanh(x) * x)


# ---------------------------------------------------------------------------------------------
# The IR


def test_jit_prints_nested() -> None:
    inner = ft.jit(lambda x: fnp.sin(x) * 2.0)
    outer = ft.jit(lambda x: inner(x) + 1.0)
    text = str(ft.make_jaxpr(outer)(1.0))
    assert text.count("jit[") == 2, text
    assert "name='<lambda>'" in text
    lowered = outer.lower(1.0)
    assert "jit" not in {e.primitive.name for e in lowered.jaxpr.eqns}  # inlined when compiled


def test_lower_shows_source_and_jaxpr() -> None:
    lowered = ft.jit(lambda x, y: fnp.exp(x) * y).lower(np.ones(3), np.ones(3))
    text = lowered.as_text()
    assert text.startswith("def ") and "np.exp(" in text and "np.multiply(" in text
    assert "exp" in str(lowered.jaxpr) and "Lowered" in repr(lowered)


# ---------------------------------------------------------------------------------------------
# Scalars: the math fast path and its NumPy fallback


@pytest.mark.parametrize("f,x", [
    (fnp.log, 0.0), (fnp.log, -1.0), (fnp.sqrt, -1.0), (fnp.exp, 1000.0), (fnp.sin, np.inf),
    (lambda x: 1.0 / x, 0.0), (lambda x: x ** -1, 0.0), (lambda x: x ** 0.5, -4.0),
    (fnp.arcsin, 2.0), (lambda x: fnp.exp(x) * 0.0, 1000.0), (fnp.log1p, -1.0),
    (lambda x: x * x * 1e300, 1e10), (fnp.cosh, np.nan),
])
def test_scalar_edge_values_match_numpy(f: Callable[..., Any], x: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected, got = f(np.float64(x)), ft.jit(f)(x)
    assert_tree_close(got, np.asarray(expected))


def test_scalar_outputs_are_0d_arrays() -> None:
    out = ft.jit(lambda x, y: (x * y, fnp.sin(x), 2.0))(1.5, 0.5)
    assert all(isinstance(o, np.ndarray) and o.shape == () for o in out)
    assert ft.jit(lambda x: x)(1.5).dtype == np.float64


# ---------------------------------------------------------------------------------------------
# Odds and ends


def test_methods_and_attributes() -> None:
    class Model:
        scale = 3.0

        def __call__(self, x: Any) -> Any:
            return x * self.scale

        # As in JAX, ``self`` is an argument: static here (hashed by identity).
        jitted = ft.jit(__call__, static_argnums=0)

    model = Model()
    assert float(model.jitted(1.5)) == 4.5 and float(model.jitted(2.0)) == 6.0
    assert Model.jitted.trace_count == 1

    def documented(x: Any) -> Any:
        """Doubles."""
        return x * 2.0

    jf = ft.jit(documented)
    assert jf.__name__ == "documented" and jf.__doc__ == "Doubles."
    assert "documented" in repr(jf)


def test_arrays_closed_over_are_read_when_traced() -> None:
    # As in JAX, a jitted function sees a global array as it was when traced: writing into the
    # array afterwards changes none of its results (not only those folded at compile time).
    w, s = np.ones(3), np.array(1.0)

    def f(x: Any) -> Any:
        branch = lax.cond(x > 0, lambda x: x * w, lambda x: x * (w * 2.0), x)
        return x * (w * 2.0), x * w, x * s, branch

    jf = ft.jit(f)
    before = jf(1.0)
    w[:], s[()] = 5.0, 5.0
    for got, want in zip(jf(1.0), before, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(jf(-1.0)[3], -2.0 * np.ones(3))
    assert w.flags.writeable  # the caller's array is left alone


def test_constant_outputs_cannot_corrupt_the_cache() -> None:
    w = np.arange(3.0)
    jf = ft.jit(lambda x: (x, w * 2.0))
    _, c = jf(1.0)
    c[0] = 100.0  # each call returns its own copy of a folded constant
    np.testing.assert_array_equal(jf(1.0)[1], w * 2.0)


def test_no_arguments_and_integer_arguments() -> None:
    assert float(ft.jit(lambda: fnp.sin(0.5) * 2.0)()) == pytest.approx(2 * np.sin(0.5))
    out = ft.jit(lambda n, x: x * n)(2, np.arange(3))
    np.testing.assert_array_equal(out, np.arange(3) * 2)


# ---------------------------------------------------------------------------------------------
# grad(jit(f)): the tape records the forward pass with its residuals


def test_grad_of_jit_runs_the_forward_pass_once() -> None:
    # The recorded call computes f's output and the residuals; the backward pass is a second
    # call that reads them, with no sin of its own (the forward pass is not run again).
    jf = ft.jit(lambda x, y: fnp.sum(fnp.sin(x) * y + fnp.exp(x)))
    x, y = np.linspace(0.0, 1.0, 5), np.linspace(1.0, 2.0, 5)
    closed = ft.make_jaxpr(ft.grad(jf))(x, y)
    calls = [e for e in closed.jaxpr.eqns if e.primitive.name == "jit"]
    assert [c.params["name"] for c in calls] == ["<lambda>", "vjp_<lambda>"]
    fwd, bwd = (c.params["jaxpr"].jaxpr for c in calls)
    assert len(calls[0].outvars) > 1  # the output, then residuals
    assert [e.primitive.name for e in fwd.eqns].count("sin") == 1
    assert not any(e.primitive.name in ("sin", "exp") for e in bwd.eqns)
    np.testing.assert_allclose(ft.grad(jf)(x, y), y * np.cos(x) + np.exp(x), rtol=1e-14)


def _jitted_cases() -> list[tuple[str, Callable[..., Any], tuple[Any, ...]]]:
    x, y = np.linspace(-1.0, 1.0, 4), np.linspace(0.5, 2.0, 4)

    def two_outputs(x: Any, y: Any) -> Any:
        return fnp.tanh(x) * y, fnp.sum(x * x)

    def with_int(x: Any, n: Any) -> Any:
        return fnp.sin(x) ** 2 * n, fnp.argmax(x)

    return [
        ("nonlinear", lambda x, y: fnp.sum(fnp.exp(fnp.sin(x) * y)), (x, y)),
        ("linear: no residuals", lambda x, y: fnp.sum(2.0 * x - y), (x, y)),
        ("an input passed through", lambda x, y: (x, fnp.sum(x * y)), (x, y)),
        ("one of two outputs used", two_outputs, (x, y)),
        ("an integer input and output", with_int, (x, np.arange(4))),
    ]


@pytest.mark.parametrize("name,f,args", [pytest.param(*c, id=c[0]) for c in _jitted_cases()])
def test_reverse_mode_of_jit_agrees_with_reverse_mode(name: str, f: Callable[..., Any],
                                                      args: tuple[Any, ...]) -> None:
    jf = ft.jit(f)

    def scalar(g: Callable[..., Any]) -> Callable[..., Any]:
        def h(*a: Any) -> Any:
            leaves = [v for v in ft.tree_util.tree_leaves(g(*a)) if v.dtype.kind == "f"]
            return sum(fnp.sum(fnp.sin(v)) for v in leaves)
        return h

    x = args[0]
    rest = args[1:]
    for transform in (lambda g: ft.grad(scalar(g)),
                      lambda g: ft.jit(ft.grad(scalar(g))),
                      lambda g: ft.hessian(scalar(g)),
                      lambda g: ft.jacfwd(ft.grad(scalar(g))),
                      lambda g: ft.grad(lambda *a: fnp.sum(ft.grad(scalar(g))(*a) ** 2))):
        np.testing.assert_allclose(transform(jf)(x, *rest), transform(f)(x, *rest),
                                   rtol=1e-12, atol=1e-14)
    xs = np.stack([x, x[::-1] * 0.5])
    np.testing.assert_allclose(ft.vmap(ft.grad(scalar(jf)), in_axes=(0, None))(xs, *rest),
                               ft.vmap(ft.grad(scalar(f)), in_axes=(0, None))(xs, *rest),
                               rtol=1e-12, atol=1e-14)
    out, pullback = ft.vjp(jf, *args)
    expected_out, expected_pullback = ft.vjp(f, *args)
    cts = ft.tree_util.tree_map(lambda o: np.ones_like(o) if o.dtype.kind == "f" else
                                np.zeros_like(o), out)
    for _ in range(2):  # a pullback may be called more than once
        for g, e in zip(ft.tree_util.tree_leaves(pullback(cts)),
                        ft.tree_util.tree_leaves(expected_pullback(cts)), strict=True):
            if e.dtype == ft.dtypes.float0:  # an integer input's cotangent
                assert g.dtype == ft.dtypes.float0 and g.shape == e.shape
            else:
                np.testing.assert_allclose(g, e, rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------------------------------------
# ensure_compile_time_eval


def _with_table(x: Any) -> Any:
    with ft.ensure_compile_time_eval():
        table = fnp.cos(np.linspace(0.0, np.pi, 3))  # concrete operands only: computed now
        assert type(table) is np.ndarray
        idx = int(np.argmax(np.asarray(table)))  # NumPy accepts it (a tracer it refuses)
        y = fnp.sin(x) * 2.0  # traced operands: recorded as usual
    return y * table + x[idx]


def test_ensure_compile_time_eval_computes_constants_now() -> None:
    x = np.array([0.1, 0.2, 0.3])
    want = np.sin(x) * 2.0 * np.cos([0.0, np.pi / 2, np.pi]) + x[0]
    closed = ft.make_jaxpr(_with_table)(x)
    names = [e.primitive.name for e in closed.jaxpr.eqns]
    assert "cos" not in names and names.count("sin") == 1
    np.testing.assert_allclose(_with_table(x), want)
    np.testing.assert_allclose(ft.jit(_with_table)(x), want)
    np.testing.assert_allclose(ft.vmap(_with_table)(np.stack([x, x])), [want, want])
    # Derivatives of the traced part are unchanged.
    g = ft.grad(lambda x: _with_table(x).sum())
    want_grad = 2.0 * np.cos(x) * np.cos([0.0, np.pi / 2, np.pi]) + [3.0, 0.0, 0.0]
    np.testing.assert_allclose(g(x), want_grad)
    np.testing.assert_allclose(ft.jit(g)(x), want_grad)


def test_without_ensure_compile_time_eval_constants_are_recorded_tracers() -> None:
    def f(x: Any) -> Any:
        c = fnp.cos(np.ones(2))
        assert isinstance(c, ft.core.Tracer)
        with pytest.raises(ConcretizationError, match="np.asarray"):
            np.asarray(c)
        return x + c

    assert [e.primitive.name for e in ft.make_jaxpr(f)(np.ones(2)).jaxpr.eqns] == ["cos", "add"]


def test_ensure_compile_time_eval_is_scoped_and_nests() -> None:
    with ft.ensure_compile_time_eval():
        with ft.ensure_compile_time_eval():
            assert tracing._compile_time_eval.get()
        assert tracing._compile_time_eval.get()
    assert not tracing._compile_time_eval.get()
    with pytest.raises(ValueError, match="inside"), ft.ensure_compile_time_eval():
        raise ValueError("inside")
    assert not tracing._compile_time_eval.get()


def test_ensure_compile_time_eval_keeps_effectful_primitives_staged() -> None:
    seen: list[float] = []

    def f(x: Any) -> Any:
        with ft.ensure_compile_time_eval():
            ft.debug.callback(lambda v: seen.append(float(v)), np.float64(2.0))
            n = lax.psum(1.0, "i")  # carried out by the vmap that names the axis
        return x * n

    g = ft.jit(ft.vmap(f, axis_name="i"))
    np.testing.assert_array_equal(g(np.ones(3)), [3.0, 3.0, 3.0])
    g(np.ones(3))
    assert seen == [2.0, 2.0]  # at every call (its operand is not batched: once)


def test_ensure_compile_time_eval_as_jax() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)

    def make(np_: Any, ensure: Any) -> Any:
        def f(x: Any) -> Any:
            with ensure():
                table = np_.cos(np.linspace(0.0, np.pi, 3)) * 2.0
            return x * table
        return f

    ours = ft.make_jaxpr(make(fnp, ft.ensure_compile_time_eval))(np.ones(3))
    theirs = jax.make_jaxpr(make(jax.numpy, jax.ensure_compile_time_eval))(np.ones(3))
    assert [e.primitive.name for e in ours.jaxpr.eqns] == ["mul"]
    assert [e.primitive.name for e in theirs.jaxpr.eqns] == ["mul"]
    np.testing.assert_allclose(ours.consts[0], np.asarray(theirs.consts[0]))


def test_disable_jit_and_compile_time_eval_hold_for_their_thread() -> None:
    """As JAX's, the two blocks change their own thread only: another thread meanwhile still
    compiles (and traces) jitted functions and records constant operations."""
    import threading

    inside, done = threading.Event(), threading.Event()

    def hold(block: Any) -> None:
        with block():
            inside.set()
            done.wait(10)

    def other_thread_sees(block: Any, check: Any) -> Any:
        t = threading.Thread(target=hold, args=(block,))
        t.start()
        inside.wait(10)
        try:
            return check()
        finally:
            done.set()
            t.join()
            inside.clear()
            done.clear()

    f = ft.jit(lambda x: x * 2.0)
    before = f.trace_count
    other_thread_sees(ft.disable_jit, lambda: f(np.ones(2)))
    assert f.trace_count == before + 1  # traced here, though the other thread disabled jit
    jaxpr = other_thread_sees(ft.ensure_compile_time_eval,
                              lambda: ft.make_jaxpr(lambda x: x + fnp.cos(np.ones(2)))(1.0))
    assert "cos" in str(jaxpr)  # recorded here: the other thread's block is not this one's
    with ft.disable_jit():
        g = ft.jit(lambda x: x * 3.0)
        g(1.0)
        assert g.trace_count == 0
    assert not ft.config.jax_disable_jit
