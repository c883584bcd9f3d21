"""functrace.lax: cond, switch, while_loop, fori_loop, scan under every transformation.

A table of programs, each written twice -- with ``lax`` and with Python control flow (which
works eagerly and under ``grad``, where tracers know their values) -- is crossed with a table
of transformations, each paired with an eager reference transformation (``jit`` -> none,
``vmap`` -> a Python loop over the batch, ...).  Then: ``check_grads`` to second order in both
modes for every program (reverse mode through ``while_loop`` included), and dedicated tests
(Newton's square root, an RNN against its unrolled twin, checkpointing's memory, pytrees,
dtypes, errors, the printed IR).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace import lax
from functrace.interpreters.eval import eval_jaxpr
from functrace.testing import check_grads

seeds = st.integers(0, 2**32 - 1)
Fn = Callable[..., Any]


def _away_from_zero(rng: np.random.Generator, n: int) -> np.ndarray:
    """Entries in [-1.5, -0.3] u [0.3, 1.5]: branch predicates on signs stay put under the
    small perturbations of numerical differentiation."""
    return rng.choice([-1.0, 1.0], n) * rng.uniform(0.3, 1.5, n)


# ---------------------------------------------------------------------------------------------
# The programs: (lax version, Python version), each a function of one vector x -> scalar.


def cond_lax(x: Any) -> Any:
    return lax.cond(x[0] > 0, lambda v: fnp.sin(v).sum() * v[1], lambda v: (v * v).sum(), x)


def cond_py(x: Any) -> Any:
    return fnp.sin(x).sum() * x[1] if x[0] > 0 else (x * x).sum()


def _switch_index(x: Any) -> Any:
    return (x[0] > 0).astype(np.int32) + (x[1] > 0).astype(np.int32)


_BRANCHES = [lambda v: fnp.tanh(v).sum(), lambda v: (v * v * v).sum(), lambda v: fnp.exp(v)[2]]


def switch_lax(x: Any) -> Any:
    return lax.switch(_switch_index(x), _BRANCHES, x)


def switch_py(x: Any) -> Any:
    return _BRANCHES[int(_switch_index(x))](x)


def _while_step(x: Any) -> Callable[[Any], Any]:
    return lambda v: fnp.sin(v) * 0.9 + v * x[0]


def while_count_lax(x: Any) -> Any:
    step = _while_step(x)
    _, v = lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, step(c[1])), (0, x))
    return v.sum()


def while_count_py(x: Any) -> Any:
    v = x
    for _ in range(3):
        v = _while_step(x)(v)
    return v.sum()


def _grow(v: Any, x: Any) -> Any:
    # Every entry grows by at least 0.2 per step, so the loop below always ends.
    return v + 0.5 + 0.3 * fnp.tanh(v * x[1])


def while_data_lax(x: Any) -> Any:  # the trip count depends on the data
    return lax.while_loop(lambda v: (v * v).sum() < 20.0, lambda v: _grow(v, x), x).sum()


def while_data_py(x: Any) -> Any:
    v = x
    while (v * v).sum() < 20.0:
        v = _grow(v, x)
    return v.sum()


def newton_sqrt(x: Any) -> Any:
    """Newton's iteration y <- (y + x / y) / 2 from y = x + 1, until y * y is x to 1e-12.

    (Starting from y = x would make x = 1 take zero steps: the program's derivative there is
    then honestly 1, that of y = x.)"""
    return lax.while_loop(lambda y: fnp.max(abs(y * y - x)) > 1e-12 * fnp.max(x),
                          lambda y: 0.5 * (y + x / y), x + 1.0)


def newton_lax(x: Any) -> Any:
    return newton_sqrt(x * x + 1.0).sum()


def newton_py(x: Any) -> Any:
    return fnp.sqrt(x * x + 1.0).sum()


def _fori_body(x: Any) -> Callable[[Any, Any], Any]:
    return lambda i, c: fnp.sin(c) * x[0] + c * (i + 1) * 0.25


def fori_static_lax(x: Any) -> Any:
    return lax.fori_loop(0, 4, _fori_body(x), x).sum()


def fori_py(x: Any) -> Any:
    c = x
    for i in range(4):
        c = _fori_body(x)(i, c)
    return c.sum()


def fori_traced_lax(x: Any) -> Any:  # an array bound: a while loop
    return lax.fori_loop(0, np.asarray(4), _fori_body(x), x).sum()


def fori_checkpoint_lax(x: Any) -> Any:
    return lax.fori_loop(0, 4, _fori_body(x), x, checkpoint_every=3).sum()


def _rnn_step(x: Any) -> Callable[[Any, Any], Any]:
    return lambda h, xt: (fnp.tanh(h * x[0] + xt), h * xt)


def scan_lax(x: Any) -> Any:
    h, ys = lax.scan(_rnn_step(x), x[1], x)
    return h + ys.sum()


def scan_py(x: Any) -> Any:
    h, total = x[1], 0.0
    for i in range(x.shape[0]):
        h, y = _rnn_step(x)(h, x[i])
        total = total + y
    return h + total


def scan_reverse_lax(x: Any) -> Any:
    h, ys = lax.scan(_rnn_step(x), x[1], x, reverse=True)
    return h + (ys * np.arange(1.0, 4.0)).sum()


def scan_reverse_py(x: Any) -> Any:
    h, total = x[1], 0.0
    for i in reversed(range(x.shape[0])):
        h, y = _rnn_step(x)(h, x[i])
        total = total + y * (i + 1.0)
    return h + total


def scan_length_lax(x: Any) -> Any:  # xs=None: a loop of `length` steps over the carry
    c, ys = lax.scan(lambda c, _: (fnp.cos(c) * x, c.sum()), x, None, length=3)
    return c.sum() * ys[1]


def scan_length_py(x: Any) -> Any:
    c, ys = x, []
    for _ in range(3):
        c, y = fnp.cos(c) * x, c.sum()
        ys.append(y)
    return c.sum() * ys[1]


class Program(NamedTuple):
    name: str
    lax_fn: Fn
    py_fn: Fn


PROGRAMS = [
    Program("cond", cond_lax, cond_py),
    Program("switch", switch_lax, switch_py),
    Program("while_count", while_count_lax, while_count_py),
    Program("while_data", while_data_lax, while_data_py),
    Program("while_newton", newton_lax, newton_py),
    Program("fori_static", fori_static_lax, fori_py),
    Program("fori_traced", fori_traced_lax, fori_py),
    Program("fori_checkpoint", fori_checkpoint_lax, fori_py),
    Program("scan", scan_lax, scan_py),
    Program("scan_reverse", scan_reverse_lax, scan_reverse_py),
    Program("scan_length", scan_length_lax, scan_length_py),
]
PROGRAM_PARAMS = [pytest.param(p, id=p.name) for p in PROGRAMS]


# ---------------------------------------------------------------------------------------------
# The transformations: (functrace transformation, eager reference transformation)


def _eval_traced(f: Fn, x: Any) -> Any:
    closed = ft.make_jaxpr(f)(x)
    return eval_jaxpr(closed.jaxpr, closed.consts, x)[0]


def _loop(f: Fn) -> Fn:
    """The reference of ``vmap``: a Python loop over the batch."""
    return lambda xs: np.stack([np.asarray(f(x)) for x in xs])


def _batch_sum_grad(t: Callable[[Fn], Fn]) -> Callable[[Fn], Fn]:
    """grad of the batch sum, computed through transformation ``t`` of the batched function."""
    return lambda f: ft.grad(lambda xs: t(f)(xs).sum())


def _ref_batch_sum_grad(f: Fn) -> Fn:
    return lambda xs: np.stack([np.asarray(ft.grad(f)(x)) for x in xs])


jit, grad, vmap = ft.jit, ft.grad, ft.vmap
TRANSFORMS: dict[str, tuple[Callable[[Fn], Fn], Callable[[Fn], Fn], bool]] = {
    # name: (transformation, reference transformation, takes a batch)
    "eager": (lambda f: f, lambda f: f, False),
    "jit": (jit, lambda f: f, False),
    "make_jaxpr": (lambda f: lambda x: _eval_traced(f, x), lambda f: f, False),
    "grad": (grad, grad, False),
    "jit(grad)": (lambda f: jit(grad(f)), grad, False),
    "grad(jit)": (lambda f: grad(jit(f)), grad, False),
    "jvp": (lambda f: lambda x: ft.jvp(f, (x,), (np.cos(x),))[1],
            lambda f: lambda x: ft.jvp(f, (x,), (np.cos(x),))[1], False),
    "vmap": (vmap, _loop, True),
    "jit(vmap)": (lambda f: jit(vmap(f)), _loop, True),
    "vmap(jit)": (lambda f: vmap(jit(f)), _loop, True),
    "vmap(grad)": (lambda f: vmap(grad(f)), lambda f: _loop(grad(f)), True),
    "grad(vmap)": (_batch_sum_grad(vmap), _ref_batch_sum_grad, True),
    "jacrev": (ft.jacrev, grad, False),
    "jacfwd": (ft.jacfwd, grad, False),
    "hessian": (ft.hessian, ft.hessian, False),
    "jit(hessian)": (lambda f: jit(ft.hessian(f)), ft.hessian, False),
}


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("program", PROGRAM_PARAMS)
@settings(max_examples=2)
@given(seed=seeds)
def test_program_under_transformation(program: Program, transform: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    t, ref_t, batched = TRANSFORMS[transform]
    x = np.stack([_away_from_zero(rng, 3) for _ in range(4)]) if batched else \
        _away_from_zero(rng, 3)
    got = t(program.lax_fn)(x)
    expected = ref_t(program.py_fn)(x)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9,
                               err_msg=f"{program.name} under {transform}")


@pytest.mark.parametrize("program", PROGRAM_PARAMS)
@settings(max_examples=3)
@given(seed=seeds)
def test_check_grads_second_order(program: Program, seed: int) -> None:
    x = _away_from_zero(np.random.default_rng(seed), 3)
    check_grads(program.lax_fn, (x,), order=2, modes=("fwd", "rev"))


# ---------------------------------------------------------------------------------------------
# Newton's square root, the RNN, checkpointing


@settings(max_examples=10)
@given(st.floats(0.01, 1e4))
def test_newton_sqrt_differentiates_to_one_over_two_sqrt_x(x: float) -> None:
    expected = 1.0 / (2.0 * np.sqrt(x))
    np.testing.assert_allclose(newton_sqrt(x), np.sqrt(x), rtol=1e-12)
    np.testing.assert_allclose(grad(newton_sqrt)(x), expected, rtol=1e-8)
    np.testing.assert_allclose(jit(grad(newton_sqrt))(x), expected, rtol=1e-8)
    # Second order: d^2/dx^2 sqrt(x) = -1 / (4 x^1.5), by reverse-over-reverse.
    np.testing.assert_allclose(grad(grad(newton_sqrt))(x), -0.25 * x ** -1.5, rtol=1e-6)


def test_jit_grad_of_while_has_a_run_time_trip_count() -> None:
    g = jit(grad(newton_sqrt))
    jaxpr = str(ft.make_jaxpr(grad(newton_sqrt))(2.0))
    assert "while_vjp[" in jaxpr
    for x in (0.5, 4.0, 1e6):  # very different numbers of iterations, one compiled function
        np.testing.assert_allclose(g(x), 0.5 / np.sqrt(x), rtol=1e-8)


def rnn_params(rng: np.random.Generator, n_in: int, n_hidden: int) -> dict[str, np.ndarray]:
    return {"w": rng.normal(size=(n_hidden, n_hidden)) / np.sqrt(n_hidden),
            "u": rng.normal(size=(n_in, n_hidden)) / np.sqrt(n_in),
            "b": rng.normal(size=n_hidden) * 0.1}


def rnn_scan(params: dict[str, Any], h0: Any, xs: Any) -> Any:
    def step(h: Any, x: Any) -> Any:
        h = fnp.tanh(h @ params["w"] + x @ params["u"] + params["b"])
        return h, (h * h).sum()

    h, energies = lax.scan(step, h0, xs)
    return (h * h).sum() + energies.mean()


def rnn_unrolled(params: dict[str, Any], h0: Any, xs: Any) -> Any:
    h, energies = h0, []
    for x in xs:
        h = fnp.tanh(h @ params["w"] + x @ params["u"] + params["b"])
        energies.append((h * h).sum())
    return (h * h).sum() + sum(energies) / len(energies)


@settings(max_examples=3)
@given(seeds)
def test_rnn_scan_matches_the_unrolled_rnn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    params, h0 = rnn_params(rng, 3, 5), rng.normal(size=(2, 5))
    xs = rng.normal(size=(12, 2, 3))
    np.testing.assert_allclose(rnn_scan(params, h0, xs), rnn_unrolled(params, h0, xs),
                               rtol=1e-12)
    got = grad(rnn_scan, argnums=(0, 1, 2))(params, h0, xs)
    expected = grad(rnn_unrolled, argnums=(0, 1, 2))(params, h0, xs)
    for g, e in zip(ft.tree_util.tree_leaves(got), ft.tree_util.tree_leaves(expected),
                    strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
    jitted = jit(grad(rnn_scan))(params, h0, xs)
    for g, e in zip(ft.tree_util.tree_leaves(jitted), ft.tree_util.tree_leaves(expected[0]),
                    strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def test_grad_of_scan_runs_the_loop_forward_once() -> None:
    # Traced with known values (the forward pass of reverse mode), scan keeps its per-step
    # residuals as extra stacked outputs: grad is one forward scan and one backward scan.
    rng = np.random.default_rng(0)
    params, h0, xs = rnn_params(rng, 3, 4), rng.normal(size=(2, 4)), rng.normal(size=(5, 2, 3))
    jaxpr = str(ft.make_jaxpr(grad(rnn_scan))(params, h0, xs))
    assert jaxpr.count("scan[") == 2 and "reverse=True" in jaxpr
    # Traced abstractly (jit), the scan has no residual outputs: its vjp runs the forward pass
    # again, keeping them.  Same gradients either way.
    abstract = str(ft.make_jaxpr(grad(jit(rnn_scan)))(params, h0, xs))
    assert abstract.count("scan[") >= 3
    for a, b in zip(ft.tree_util.tree_leaves(grad(rnn_scan)(params, h0, xs)),
                    ft.tree_util.tree_leaves(grad(jit(rnn_scan))(params, h0, xs)), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_long_loops_run_compiled_bodies() -> None:
    # Past COMPILE_AFTER steps a body runs as NumPy code generated by jit: same values.
    def f(x: Any, n: Any) -> Any:
        return lax.fori_loop(0, n, lambda i, y: fnp.sin(y) * x + y * 0.5, x)

    x = np.linspace(-1.0, 1.0, 5)
    y, g = x, np.ones(5)
    for _ in range(100):
        g = g * (np.cos(y) * x + 0.5) + np.sin(y)
        y = np.sin(y) * x + y * 0.5
    np.testing.assert_allclose(f(x, 100), y, rtol=1e-12)
    np.testing.assert_allclose(f(x, np.asarray(100)), y, rtol=1e-12)
    np.testing.assert_allclose(grad(lambda x: f(x, 100).sum())(x), g, rtol=1e-10)
    np.testing.assert_allclose(grad(lambda x: f(x, np.asarray(100)).sum())(x), g, rtol=1e-10)


def test_short_loops_run_many_times_get_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    # A while_loop of 3 steps inside a 20-step scan: the steps count over all the loop's
    # runs, so its body is compiled too (not interpreted 60 times), with the same values.
    from functrace.primitives import control_flow

    compiled: list[list[str]] = []
    original = control_flow.compile_jaxpr

    def counting(closed: Any, name: str = "jitted") -> Any:
        compiled.append([e.primitive.name for e in closed.jaxpr.eqns])
        return original(closed, name)

    monkeypatch.setattr(control_flow, "compile_jaxpr", counting)

    def f(x: Any) -> Any:
        def outer(c: Any, _: Any) -> Any:
            inner = lax.while_loop(lambda s: s[1] < 3, lambda s: (s[0] * 1.01 + 0.5, s[1] + 1),
                                   (c, 0))
            return inner[0], None
        return lax.scan(outer, x, None, length=20)[0]

    ft.jit(f)(np.array(1.0))  # (compiles the jitted function; the loop bodies run inside)
    expected = 1.0
    for _ in range(60):
        expected = expected * 1.01 + 0.5
    np.testing.assert_allclose(f(np.array(1.0)), expected, rtol=1e-13)
    assert any("while" not in names and "scan" not in names and "mul" in names
               for names in compiled), compiled


def _long_loop(checkpoint_every: int | None) -> Fn:
    def f(w: Any, x0: Any) -> Any:
        def body(i: Any, x: Any) -> Any:
            return fnp.sin(x) * w + x * 0.5
        return lax.fori_loop(0, 600, body, x0, checkpoint_every=checkpoint_every).sum()
    return f


def _peak_bytes(f: Fn, *args: Any) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        out = f(*args)
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checkpointing_gives_the_same_gradients_with_less_memory() -> None:
    rng = np.random.default_rng(0)
    w, x0 = rng.normal(size=2000) * 0.5, rng.normal(size=2000)
    g_full, peak_full = _peak_bytes(grad(_long_loop(None), argnums=(0, 1)), w, x0)
    g_ckpt, peak_ckpt = _peak_bytes(grad(_long_loop(25), argnums=(0, 1)), w, x0)
    for a, b in zip(g_full, g_ckpt, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # Without checkpointing every step keeps its residuals (16 kB arrays): ~600 x 2 x 16 kB;
    # with k = 25, 24 carries plus one segment of 25 steps' residuals.
    assert peak_ckpt < peak_full / 5, (peak_full, peak_ckpt)
    g_jit = jit(grad(_long_loop(25), argnums=(0, 1)))(w, x0)
    for a, b in zip(g_full, g_jit, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 7, 100])
def test_checkpoint_segments_cover_every_trip_count(k: int) -> None:
    def f(x: Any, n: Any) -> Any:
        return lax.fori_loop(0, n, lambda i, y: fnp.sin(y) * x + y, x, checkpoint_every=k)

    for n in (0, 1, 6, 7):
        expected = grad(lambda x: lax.fori_loop(0, n, lambda i, y: fnp.sin(y) * x + y, x))(0.3)
        np.testing.assert_allclose(grad(f)(0.3, np.asarray(n)), expected, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Higher derivatives, batching details, pytrees, dtypes


def power_loop(x: Any, n: Any) -> Any:
    """x ** n by a while loop with a traced trip count."""
    return lax.fori_loop(0, n, lambda i, y: y * x, 1.0)


def test_third_derivative_through_while_loop() -> None:
    n = np.asarray(5)
    d3 = grad(grad(grad(power_loop)))(1.3, n)
    np.testing.assert_allclose(d3, 5 * 4 * 3 * 1.3 ** 2, rtol=1e-10)
    mixed = ft.jacfwd(grad(grad(power_loop)))(1.3, n)
    np.testing.assert_allclose(mixed, 5 * 4 * 3 * 1.3 ** 2, rtol=1e-10)


def test_hessians_through_while_loop_all_ways() -> None:
    def f(x: Any) -> Any:
        return lax.while_loop(lambda c: c[0] < 4,
                              lambda c: (c[0] + 1, fnp.sin(c[1]) * x[::-1] + c[1]), (0, x))[1].sum()

    x = np.array([0.3, -0.5, 0.8])
    h_fr = ft.hessian(f)(x)
    h_rr = ft.jacrev(ft.jacrev(f))(x)
    h_ff = ft.jacfwd(ft.jacfwd(f))(x)
    np.testing.assert_allclose(h_fr, h_rr, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_fr, h_ff, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_fr, h_fr.T, rtol=1e-10, atol=1e-12)


def test_vmap_of_cond_with_unbatched_predicate_stays_a_cond() -> None:
    def f(flag: Any, x: Any) -> Any:
        return lax.cond(flag, fnp.sin, fnp.cos, x)

    xs = np.linspace(0, 1, 4)
    unbatched = ft.make_jaxpr(vmap(f, in_axes=(None, 0)))(True, xs)
    batched = ft.make_jaxpr(vmap(f))(np.array([True, False, True, False]), xs)
    assert "cond[" in str(unbatched) and "select_n" not in str(unbatched)
    assert "cond[" not in str(batched) and "select_n" in str(batched)
    np.testing.assert_allclose(vmap(f, in_axes=(None, 0))(True, xs), np.sin(xs))
    np.testing.assert_allclose(vmap(f)(np.array([True, False, True, False]), xs),
                               [np.sin(xs[0]), np.cos(xs[1]), np.sin(xs[2]), np.cos(xs[3])])


def test_vmap_of_while_with_batched_trip_counts_and_unbatched_parts() -> None:
    def f(n: Any, scale: Any, x0: Any) -> Any:
        def body(c: Any) -> Any:
            i, x, total = c
            return i + 1, x * scale, total + x
        return lax.while_loop(lambda c: c[0] < n, body, (0, x0, fnp.zeros_like(x0)))[1:]

    ns, scale, x0 = np.array([0, 3, 1, 5]), 1.5, np.array([1.0, 2.0])
    got = vmap(f, in_axes=(0, None, None))(ns, scale, x0)
    for k, n in enumerate(ns):
        e = f(n, scale, x0)
        np.testing.assert_allclose(got[0][k], e[0])
        np.testing.assert_allclose(got[1][k], e[1])
    # Per-example gradients through the batched loop (vmap of while_vjp).
    g = vmap(grad(lambda s, n: f(n, s, x0)[0].sum()), in_axes=(None, 0))(scale, ns)
    for k, n in enumerate(ns):
        np.testing.assert_allclose(g[k], grad(lambda s: f(n, s, x0)[0].sum())(scale))


def test_vmap_of_scan_over_batched_xs_on_another_axis() -> None:
    def f(h0: Any, xs: Any) -> Any:
        return lax.scan(lambda h, x: (h * 0.5 + x, h * x), h0, xs)

    xs = np.random.default_rng(1).normal(size=(6, 3))  # scan axis 0, batch axis 1
    h, ys = vmap(f, in_axes=(None, 1))(0.2, xs)
    for k in range(3):
        e_h, e_ys = f(0.2, xs[:, k])
        np.testing.assert_allclose(h[k], e_h)
        np.testing.assert_allclose(ys[k], e_ys)


def test_pytrees_everywhere() -> None:
    def step(carry: dict[str, Any], x: tuple[Any, Any]) -> Any:
        a, b = x
        new = {"s": carry["s"] + a * b, "p": carry["p"] * a}
        return new, {"sum": new["s"], "pair": (a, None)}

    xs = (np.arange(1.0, 5.0), np.arange(4.0)[::-1].copy())
    carry, ys = lax.scan(step, {"s": 0.0, "p": 1.0}, xs)
    assert set(carry) == {"s", "p"} and set(ys) == {"sum", "pair"}
    assert ys["pair"][1] is None
    np.testing.assert_allclose(carry["p"], 24.0)
    np.testing.assert_allclose(ys["sum"], np.cumsum(xs[0] * xs[1]))
    np.testing.assert_allclose(ys["pair"][0], xs[0])

    out = lax.cond(False, lambda p: {"x": p[0] * 2.0}, lambda p: {"x": p[1]}, (1.0, 5.0))
    assert out == {"x": 5.0}
    loop = lax.while_loop(lambda s: s["i"] < 3, lambda s: {"i": s["i"] + 1, "v": [s["v"][0] * 2]},
                          {"i": 0, "v": [1.0]})
    assert int(loop["i"]) == 3 and float(loop["v"][0]) == 8.0


def test_zero_trip_loops_are_identities() -> None:
    assert float(lax.while_loop(lambda x: x > 10.0, lambda x: x * 2.0, 1.5)) == 1.5
    assert float(lax.fori_loop(3, 1, lambda i, x: x * 2.0, 1.5)) == 1.5
    c, ys = lax.scan(lambda c, x: (c + x, c), 2.0, np.zeros((0,)))
    assert float(c) == 2.0 and ys.shape == (0,)
    assert float(grad(lambda x: lax.while_loop(lambda y: y > 10.0, fnp.sin, x))(1.5)) == 1.0
    assert float(grad(lambda x: lax.scan(lambda c, _: (c * c, c), x, None, length=0)[0])(
        1.5)) == 1.0


def test_dtypes_are_preserved_and_weak_types_promoted() -> None:
    x32 = np.float32(1.5)
    assert lax.fori_loop(0, 3, lambda i, x: x * 2.0 + i, x32).dtype == np.float32
    assert lax.while_loop(lambda x: x < 10.0, lambda x: x * 2.0, x32).dtype == np.float32
    # A Python-scalar init takes the body's dtype.
    one32 = np.ones((), np.float32)
    assert lax.fori_loop(0, 3, lambda i, x: x * one32, 1.0).dtype == np.float32
    # A Python-scalar branch output takes the other branch's dtype.
    assert lax.cond(True, lambda x: 0.0, lambda x: x, x32).dtype == np.float32
    assert grad(lambda x: lax.fori_loop(0, 3, lambda i, y: y * x, x))(x32).dtype == np.float32
    n = lax.fori_loop(0, 4, lambda i, s: s + i, 0)
    assert int(n) == 6 and n.dtype.kind == "i"


def test_fori_loop_lowering() -> None:
    static = str(ft.make_jaxpr(lambda x: lax.fori_loop(0, 3, lambda i, y: y * x, x))(1.0))
    traced = str(ft.make_jaxpr(lambda x, n: lax.fori_loop(0, n, lambda i, y: y * x, x))(
        1.0, 3))
    assert "scan[" in static and "while[" not in static
    assert "while[" in traced and "scan[" not in traced


def test_switch_clamps_the_index() -> None:
    fs = [lambda x: x - 1.0, lambda x: x * 10.0]
    for i, e in [(-3, 1.0), (0, 1.0), (1, 20.0), (9, 20.0)]:
        assert float(lax.switch(i, fs, 2.0)) == e
        assert float(jit(lambda i: lax.switch(i, fs, 2.0))(i)) == e
    assert float(lax.switch(0, [lambda: 4.0])) == 4.0


def test_closures_over_traced_values_and_integer_carries() -> None:
    def f(x: Any, y: Any) -> Any:  # the body closes over y; x enters through the carry
        return lax.fori_loop(0, np.asarray(3), lambda i, c: (c[0] * y + i, c[1] + 1), (x, 0))[0]

    gx, gy = grad(f, argnums=(0, 1))(0.5, 2.0)  # f = x y^3 + y + 2
    np.testing.assert_allclose([gx, gy], [2.0 ** 3, 3 * 0.5 * 2.0 ** 2 + 1])
    np.testing.assert_allclose(jit(grad(f, argnums=(0, 1)))(0.5, 2.0), [8.0, 7.0])


@pytest.mark.parametrize("upper", [4, np.asarray(4)], ids=["scan", "while"])
def test_traced_indexing_and_at_updates_inside_loops(upper: Any) -> None:
    def horner(coeffs: Any, x: Any) -> Any:  # an element at a traced index
        # (NumPy's own indexing of a NumPy array cannot take a traced index: fnp.take can.)
        return lax.fori_loop(0, upper, lambda i, acc: acc * x + fnp.take(coeffs, 3 - i), 0.0)

    def fill(x: Any) -> Any:  # functional updates of a carried array
        return lax.fori_loop(0, upper, lambda i, o: o.at[i].set(fnp.sin(x * i)), fnp.zeros(4))

    c = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(horner(c, 0.7), np.polyval(c[::-1], 0.7))
    np.testing.assert_allclose(fill(0.3), np.sin(0.3 * np.arange(4)))
    check_grads(horner, (c, 0.7), order=2)
    check_grads(fill, (0.3,), order=2)
    np.testing.assert_allclose(jit(ft.jacrev(fill))(0.3), np.arange(4) * np.cos(0.3 * np.arange(4)))
    np.testing.assert_allclose(vmap(horner, in_axes=(None, 0))(c, np.array([0.1, 0.7])),
                               [np.polyval(c[::-1], 0.1), np.polyval(c[::-1], 0.7)])


def test_make_jaxpr_prints_nested_bodies() -> None:
    def f(x: Any) -> Any:
        y = lax.cond(x > 0, fnp.sin, fnp.cos, x)
        return lax.scan(lambda c, _: (c * y, c), x, None, length=2)[0]

    text = str(ft.make_jaxpr(f)(1.0))
    assert "cond[\n      branches=(\n        { lambda ; " in text
    assert "scan[\n      jaxpr={ lambda ; " in text
    assert "length=2" in text and "num_carry=1" in text


# ---------------------------------------------------------------------------------------------
# Errors


def test_errors_name_the_mismatch() -> None:
    with pytest.raises(TypeError, match="same types.*f64\\[\\] in false_fun.*f64\\[2\\] in true"):
        lax.cond(True, lambda x: x, lambda x: x.sum(), np.ones(2))
    with pytest.raises(TypeError, match="same pytree structure"):
        lax.cond(True, lambda x: (x, x), lambda x: x, 1.0)
    with pytest.raises(TypeError, match="f64\\[2\\] in false_fun.*f32\\[2\\] in true_fun"):
        lax.cond(True, lambda x: x.astype(np.float32), lambda x: x, np.ones(2))
    with pytest.raises(TypeError, match="pred must be a boolean or numeric scalar"):
        lax.cond(1.0j, lambda: 1.0, lambda: 2.0)  # a float pred is compared with 0, as in JAX
    with pytest.raises(TypeError, match="scalar"):
        lax.cond(np.array([True, False]), lambda: 1.0, lambda: 2.0)
    with pytest.raises(TypeError, match="carry leaf 0.*f64\\[\\] on input and f64\\[2\\]"):
        lax.while_loop(lambda x: x < 3.0, lambda x: np.ones(2) * x, 1.0)
    with pytest.raises(TypeError, match="structure of its input"):
        lax.fori_loop(0, 2, lambda i, x: (x, x), 1.0)
    with pytest.raises(TypeError, match="boolean scalar"):
        lax.while_loop(lambda x: x, lambda x: x * 2.0, 1.0)
    with pytest.raises(TypeError, match="pair"):
        lax.scan(lambda c, x: c + x, 0.0, np.ones(3))
    with pytest.raises(ValueError, match="equal leading axes"):
        lax.scan(lambda c, x: (c, None), 0.0, (np.ones(3), np.ones(4)))
    with pytest.raises(ValueError, match="length"):
        lax.scan(lambda c, x: (c, None), 0.0, None)
    with pytest.raises(ValueError, match="non-empty"):
        lax.switch(0, [], 1.0)
    with pytest.raises(ValueError, match="checkpoint_every"):
        lax.while_loop(lambda x: x < 3.0, lambda x: x + 1.0, 0.0, checkpoint_every=0)
    with pytest.raises(TypeError, match="equal types"):  # (JAX: and float bounds are allowed)
        lax.fori_loop(0, 3.0, lambda i, x: x, 1.0)


def test_a_loop_index_stays_weakly_typed_through_arithmetic() -> None:
    # fori_loop's index is a weakly typed int, as a Python int is: arithmetic with Python
    # numbers keeps it weak (i * 0.5, i / 2, sin(i) are weak float64), so a float32 carry
    # stays float32, as in JAX and in a plain Python loop with NumPy.
    x32 = np.ones(3, np.float32)
    bodies = [lambda i, c: c + i * 0.5, lambda i, c: c * (i * 0.5), lambda i, c: c + i / 2,
              lambda i, c: c * 0.8 + fnp.sin(c + i * 0.1) * 0.3]
    for body in bodies:
        want = x32
        for i in range(3):
            want = body(i, want)
        assert want.dtype == np.float32
        for run in (lambda x: lax.fori_loop(0, 3, body, x),
                    ft.jit(lambda x: lax.fori_loop(0, 3, body, x))):
            got = run(x32)
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, want, rtol=1e-6)
        assert ft.grad(lambda x: fnp.sum(lax.fori_loop(0, 3, body, x)))(x32).dtype == np.float32
    # sin of the index is weak too, as in JAX (NumPy's sin of a Python int is a strong
    # float64 scalar: there the plain loop would promote).
    assert lax.fori_loop(0, 3, lambda i, c: c + fnp.sin(i), x32).dtype == np.float32
    # A strongly typed int64 index (not a loop's) still promotes as NumPy does.
    assert ft.jit(lambda i: i * 0.5)(np.int64(3)).dtype == np.float64
