"""checkpoint (remat): values and derivatives as without it, under every transformation, and the
recomputation itself (what the tape keeps, what runs again, the memory it saves)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace import checkpoint_policies as cp
from functrace import lax
from functrace.ad_checkpoint import checkpoint_name
from functrace.testing import check_grads

W = np.random.default_rng(0).standard_normal((4, 4)) / 2.0
X = np.linspace(-0.8, 0.9, 4)


# -- a table of functions, each written with a checkpoint wrapper ``c`` (identity or not) ---------

def chain(c: Callable[..., Any]) -> Callable[..., Any]:
    blk = c(lambda x: fnp.sin(fnp.tanh(x) * x) + x * x)
    return lambda x: fnp.sum(blk(blk(x)))


def layer(c: Callable[..., Any]) -> Callable[..., Any]:
    def lay(x: Any) -> Any:
        h = checkpoint_name(fnp.tanh(x @ W), "h")
        return fnp.cos(h @ W) * h
    blk = c(lay)
    return lambda x: fnp.sum(blk(blk(x)) ** 2)


def nested(c: Callable[..., Any]) -> Callable[..., Any]:
    inner = c(lambda x: fnp.exp(fnp.sin(x)))
    outer = c(lambda x: inner(x) * fnp.cos(inner(x * 0.5)))
    return lambda x: fnp.sum(outer(x))


def two_args_pytree(c: Callable[..., Any]) -> Callable[..., Any]:
    blk = c(lambda x, p: {"a": fnp.sin(x) * p["w"], "b": (x * p["w"]).sum()})
    def f(x: Any) -> Any:
        out = blk(x, {"w": x[::-1] + 1.0})
        return fnp.sum(out["a"] ** 2) + out["b"]
    return f


def closure(c: Callable[..., Any]) -> Callable[..., Any]:
    def f(x: Any) -> Any:
        scale = fnp.sum(x ** 2)  # a traced value the checkpointed function closes over
        return fnp.sum(c(lambda y: fnp.sin(y * scale))(x))
    return f


def in_scan(c: Callable[..., Any]) -> Callable[..., Any]:
    def f(x: Any) -> Any:
        def body(carry: Any, xi: Any) -> Any:
            carry = c(lambda h: fnp.tanh(h * xi + fnp.sin(h)))(carry)
            return carry, carry * xi
        last, ys = lax.scan(body, x, x)
        return fnp.sum(last) + fnp.sum(ys)
    return f


def in_cond(c: Callable[..., Any]) -> Callable[..., Any]:
    blk = c(lambda x: fnp.sin(x) ** 2)
    return lambda x: fnp.sum(lax.cond(fnp.sum(x) > 0, blk, lambda x: blk(x * 2.0), x))


def python_branch(c: Callable[..., Any]) -> Callable[..., Any]:
    def blk(x: Any) -> Any:
        if fnp.sum(x) > 0:  # Python control flow on values: works where they are known
            return fnp.sin(x) * x
        return fnp.cos(x)
    return lambda x: fnp.sum(c(blk)(x))


def with_policy(policy: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def build(c: Callable[..., Any]) -> Callable[..., Any]:
        return layer(lambda f: c(f, policy=policy) if c is ft.checkpoint else f)
    build.__name__ = f"layer_{getattr(policy, '__name__', 'policy')}"
    return build


def _identity(f: Callable[..., Any], **_: Any) -> Callable[..., Any]:
    return f


FUNCTIONS = [chain, layer, nested, two_args_pytree, closure, in_scan, in_cond,
             with_policy(cp.dots_saveable), with_policy(cp.save_only_these_names("h")),
             with_policy(cp.everything_saveable), with_policy(cp.nothing_saveable)]
# ``python_branch`` needs known values: not under jit or vmap of the whole function.
EAGER_FUNCTIONS = [*FUNCTIONS, python_branch]

TRANSFORMS: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    "value": lambda f: f,
    "grad": ft.grad,
    "jit(grad)": lambda f: ft.jit(ft.grad(f)),
    "grad(jit)": lambda f: ft.grad(ft.jit(f)),
    "jit": ft.jit,
    "vmap(grad)": lambda f: lambda xs: ft.vmap(ft.grad(f))(xs),
    "hessian": ft.hessian,
    "jacfwd(jacrev)": lambda f: ft.jacfwd(ft.jacrev(f)),
    "grad(grad(sum))": lambda f: ft.grad(lambda x: fnp.sum(ft.grad(f)(x) ** 2)),
    "jvp": lambda f: lambda x: ft.jvp(f, (x,), (np.ones_like(x),)),
    "linearize": lambda f: lambda x: ft.linearize(f, x)[1](np.cos(x)),
    "vjp": lambda f: lambda x: ft.vjp(f, x)[1](1.0),
}
STAGED = {"jit(grad)", "grad(jit)", "jit", "vmap(grad)"}


def _args(name: str) -> np.ndarray:
    return np.stack([X, -X[::-1], X * 0.5]) if name == "vmap(grad)" else X


@pytest.mark.parametrize("fn", EAGER_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("transform", list(TRANSFORMS))
def test_values_and_derivatives_match_the_unchecked_function(fn: Any, transform: str) -> None:
    t = TRANSFORMS[transform]
    if fn is python_branch and transform in STAGED:
        # Python control flow on traced values needs known values: refused under jit and
        # vmap, with or without the checkpoint (as in JAX).
        for wrap in (_identity, ft.checkpoint):
            with pytest.raises(ft.ConcretizationError):
                t(fn(wrap))(_args(transform))
        return
    want = t(fn(_identity))(_args(transform))
    got = t(fn(ft.checkpoint))(_args(transform))
    for g, w in zip(ft.tree_util.tree_leaves(got), ft.tree_util.tree_leaves(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn", EAGER_FUNCTIONS, ids=lambda f: f.__name__)
def test_check_grads_second_order(fn: Any) -> None:
    check_grads(fn(ft.checkpoint), (X,), order=2, modes=("fwd", "rev"))


def test_make_jaxpr_prints_a_nested_checkpoint_and_vmap_keeps_it() -> None:
    f = ft.checkpoint(lambda x: fnp.sin(fnp.sin(x)) * 2.0)
    text = str(ft.make_jaxpr(f)(1.0))
    assert "remat2[" in text and "differentiated=False" in text and "policy=None" in text
    batched = ft.make_jaxpr(ft.vmap(f))(np.ones(3))
    assert [e.primitive.name for e in batched.eqns] == ["remat2"]
    assert batched.eqns[0].params["jaxpr"].in_avals[0].shape == (3,)
    # The backward pass is a checkpoint with differentiated=True that takes the inputs.
    names = [(e.primitive.name, e.params.get("differentiated")) for e in
             ft.make_jaxpr(ft.grad(f))(1.0).eqns]
    assert names == [("remat2", False), ("remat2", True)]
    # jvp: a checkpoint of the jvp.
    jvp = ft.make_jaxpr(lambda x: ft.jvp(f, (x,), (1.0,))[1])(1.0)
    assert [e.primitive.name for e in jvp.eqns] == ["remat2", "remat2"]


def test_structure_and_gradients_match_jax() -> None:
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    jax.config.update("jax_enable_x64", True)
    cases = [
        (lambda m: lambda x: m.sum(m.sin(m.sin(x)) * x), None),
        (lambda m: lambda x: m.sum(m.tanh(m.dot(x, W)) ** 2), "dots"),
        (lambda m: lambda x: m.sum(m.exp(m.cos(x)) / (1.0 + x * x)), None),
    ]
    for build, policy in cases:
        ours = ft.checkpoint(build(fnp), policy=cp.dots_saveable if policy else None)
        theirs = jax.checkpoint(build(jnp), policy=jax.checkpoint_policies.dots_saveable
                                if policy else None)
        np.testing.assert_allclose(ft.grad(ours)(X), jax.grad(theirs)(X), rtol=1e-12)
        np.testing.assert_allclose(ft.hessian(ours)(X), jax.hessian(theirs)(X), rtol=1e-10,
                                   atol=1e-12)
        ours_eqn = ft.make_jaxpr(ours)(X).eqns[0]
        theirs_eqn = jax.make_jaxpr(theirs)(X).eqns[0]
        assert ours_eqn.primitive.name == theirs_eqn.primitive.name == "remat2"
        assert ours_eqn.params["differentiated"] is theirs_eqn.params["differentiated"] is False
        assert ours_eqn.params["prevent_cse"] is theirs_eqn.params["prevent_cse"] is True
        inner = [e.primitive.name for e in ours_eqn.params["jaxpr"].eqns]
        jax_inner = [e.primitive.name for e in theirs_eqn.params["jaxpr"].eqns]
        assert [n for n in inner if n != "broadcast_in_dim"] == [
            n for n in jax_inner if n != "broadcast_in_dim"]


def test_name_is_an_identity_equation() -> None:
    closed = ft.make_jaxpr(lambda x: checkpoint_name(x * 2.0, "a"))(1.0)
    assert [e.primitive.name for e in closed.eqns] == ["mul", "name"]
    assert closed.eqns[1].params == {"name": "a"}
    f = lambda x: fnp.sum(checkpoint_name(fnp.sin(x), "s") ** 2)  # noqa: E731
    check_grads(f, (X,), order=2)
    np.testing.assert_allclose(ft.vmap(ft.grad(f))(np.stack([X, X])), np.stack([ft.grad(f)(X)] * 2))
    # jit's optimiser drops it.
    assert "name" not in str(ft.jit(lambda x: checkpoint_name(x * 2.0, "a")).lower(1.0).jaxpr)


# -- the recomputation ---------------------------------------------------------------------------


def _tape(pullback: Any) -> list[np.ndarray]:
    """The arrays the pullback of ``vjp`` keeps (its residuals)."""
    return [v for v in pullback.values.values() if isinstance(v, np.ndarray) and v.shape]


def _block(x: Any) -> Any:
    h = checkpoint_name(fnp.tanh(x @ W), "h")
    return fnp.sin(h @ W) * fnp.cos(x)


@pytest.mark.parametrize("policy, kept", [
    (None, 1),                               # the input only
    (cp.nothing_saveable, 1),
    (cp.dots_saveable, 3),                   # + the two dot_general outputs
    (cp.save_only_these_names("h"), 2),      # + the named value
    (cp.everything_saveable, 1 + 6),         # + every floating intermediate but the output
])
def test_the_tape_keeps_the_inputs_and_what_the_policy_saves(policy: Any, kept: int) -> None:
    _, pullback = ft.vjp(ft.checkpoint(_block, policy=policy), X)
    tape = _tape(pullback)
    assert len(tape) == kept
    assert any(t is X or np.array_equal(t, X) for t in tape)
    _, plain = ft.vjp(_block, X)
    assert len(_tape(plain)) > 1
    np.testing.assert_allclose(pullback(np.ones(4))[0], plain(np.ones(4))[0], rtol=1e-12)
    if policy is cp.dots_saveable:
        want = [X @ W, np.tanh(X @ W) @ W]
        for w in want:
            assert any(np.allclose(t, w) for t in tape)


def _counting(counter: list[int]) -> Callable[..., Any]:
    def cb(x: np.ndarray) -> np.ndarray:
        counter.append(1)
        return np.sin(x)

    def blk(x: Any) -> Any:
        y = ft.pure_callback(cb, ft.ShapeDtypeStruct(x.shape, x.dtype), x)
        return fnp.cos(x) * ft.stop_gradient(checkpoint_name(y, "cb"))

    return blk


@pytest.mark.parametrize("transform", ["grad", "jit(grad)", "grad(jit)"])
def test_the_backward_pass_recomputes(transform: str) -> None:
    calls: list[int] = []
    blk = _counting(calls)
    t = TRANSFORMS[transform]
    plain = t(lambda x: fnp.sum(blk(x)))
    plain(X)
    plain_calls, calls[:] = len(calls), []
    remat = t(lambda x: fnp.sum(ft.checkpoint(blk)(x)))
    g = remat(X)
    # The forward pass, then again in the backward pass (jit(grad) drops the unused forward).
    assert len(calls) == plain_calls + (0 if transform == "jit(grad)" else 1)
    np.testing.assert_allclose(g, plain(X))
    # A saved value is not computed again, nor what only it needed (grad's tape saves it, and
    # so does the forward pass that jit compiles for grad(jit(f))).
    calls[:] = []
    saving = t(lambda x: fnp.sum(ft.checkpoint(blk, policy=cp.save_only_these_names("cb"))(x)))
    saving(X)
    assert len(calls) == plain_calls


def test_dots_saveable_does_not_recompute_dots(monkeypatch: pytest.MonkeyPatch) -> None:
    dot_p = ft.make_jaxpr(lambda a: a @ W)(X).eqns[0].primitive
    counts = {"n": 0}
    impl = dot_p.impl

    def counting_impl(*args: Any, **params: Any) -> Any:
        counts["n"] += 1
        return impl(*args, **params)

    monkeypatch.setattr(dot_p, "impl", counting_impl)
    monkeypatch.setattr(dot_p, "impl1", None)

    def run(policy: Any) -> int:
        counts["n"] = 0
        ft.grad(lambda x: fnp.sum(ft.checkpoint(_block, policy=policy)(x)))(X)
        return counts["n"]

    # Two forward products, recomputed without a policy, kept with dots_saveable.
    assert run(None) == run(cp.dots_saveable) + 2


def test_dots_saveable_under_grad_of_jit() -> None:
    """The forward pass that jit compiles for grad(jit(f)) returns what the policy saves as
    residuals, and the backward pass's recomputation leaves those products out."""

    def products(policy: Any) -> tuple[int, int]:
        f = ft.jit(lambda x: fnp.sum(ft.checkpoint(_block, policy=policy)(x)))
        fwd, bwd = ft.make_jaxpr(ft.grad(f))(X).eqns
        return str(fwd).count("dot_general"), str(bwd).count("dot_general")

    # The forward pass computes both products either way; the recomputation in the backward
    # pass repeats them only without the policy (the other two are the pullback's).
    assert products(None) == (2, 4)
    assert products(cp.dots_saveable) == (2, 2)
    g = ft.grad(lambda x: fnp.sum(_block(x)))(X)
    for policy in (None, cp.dots_saveable, cp.save_only_these_names("h")):
        got = ft.grad(ft.jit(lambda x: fnp.sum(ft.checkpoint(_block, policy=policy)(x))))(X)
        np.testing.assert_allclose(got, g, rtol=1e-12)


def test_python_control_flow_inside_checkpoint() -> None:
    f = ft.checkpoint(lambda x: fnp.sin(x) if x > 0 else fnp.cos(x))
    assert float(ft.grad(f)(1.0)) == pytest.approx(np.cos(1.0))
    assert float(ft.grad(f)(-1.0)) == pytest.approx(np.sin(1.0))
    assert float(ft.grad(ft.grad(f))(1.0)) == pytest.approx(-np.sin(1.0))
    with pytest.raises(ft.ConcretizationError):
        ft.jit(f)(1.0)
    with pytest.raises(ft.ConcretizationError):
        ft.make_jaxpr(f)(1.0)


def test_static_arguments_and_root_calls() -> None:
    def f(x: Any, n: int, mode: str = "sin") -> Any:
        y = x
        for _ in range(n):
            y = fnp.sin(y) if mode == "sin" else fnp.cos(y)
        return y

    by_num = ft.checkpoint(f, static_argnums=1)
    by_name = ft.checkpoint(f, static_argnames=("n", "mode"))
    want = ft.grad(f)(0.3, 3, mode="cos")
    assert ft.grad(by_num)(0.3, 3, mode="cos") == pytest.approx(want)
    assert ft.grad(by_name)(0.3, n=3, mode="cos") == pytest.approx(want)
    assert ft.jit(ft.grad(by_name), static_argnames=("n", "mode"))(0.3, n=3, mode="cos") == \
        pytest.approx(want)
    assert float(by_num(0.3, 2)) == pytest.approx(np.sin(np.sin(0.3)))  # outside any transform
    assert by_num.__name__ == "f"


def test_jit_keeps_the_recomputation_a_call_unless_cse_is_allowed() -> None:
    def loss(prevent_cse: bool) -> Callable[..., Any]:
        return ft.grad(lambda x: fnp.sum(ft.checkpoint(lambda y: fnp.sin(fnp.sin(y)),
                                                       prevent_cse=prevent_cse)(x)))

    kept = ft.jit(loss(True)).lower(X).jaxpr
    assert [e.primitive.name for e in kept.eqns] == ["remat2"]
    inlined = ft.jit(loss(False)).lower(X).jaxpr
    assert "remat2" not in str(inlined)
    np.testing.assert_allclose(ft.jit(loss(True))(X), ft.jit(loss(False))(X))


def test_checkpoint_leaks_and_option_errors() -> None:
    with pytest.raises(TypeError, match="prevent_cse"):
        ft.checkpoint(fnp.sin, prevent_cse="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="static_argnums"):
        ft.checkpoint(fnp.sin, static_argnums="0")  # type: ignore[arg-type]
    saved: list[Any] = []

    def keep(x: Any) -> Any:
        saved.append(x)
        return x * 2.0

    ft.grad(lambda x: x * 3.0)(1.0)
    ft.grad(keep)(1.0)
    with pytest.raises(ft.TracerLeakError):
        ft.grad(lambda y: ft.checkpoint(lambda z: z * saved[0])(y))(1.0)


def test_peak_memory_of_a_checkpointed_chain() -> None:
    def block(x: Any) -> Any:
        for i in range(20):
            x = fnp.sin(x) * 0.9 + 0.1 if i % 2 else fnp.tanh(x) * 1.1
        return x

    def loss(step: Callable[..., Any]) -> Callable[..., Any]:
        def f(x: Any) -> Any:
            for _ in range(20):
                x = step(x)
            return fnp.sum(x)
        return ft.value_and_grad(f)

    x = np.linspace(-1.0, 1.0, 10_000)

    def peak(fn: Callable[..., Any]) -> tuple[int, Any]:
        tracemalloc.start()
        try:
            out = fn(x)
            return tracemalloc.get_traced_memory()[1], out
        finally:
            tracemalloc.stop()

    plain, want = peak(loss(block))
    remat, got = peak(loss(ft.checkpoint(block)))
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    assert remat * 4 < plain, (remat, plain)
