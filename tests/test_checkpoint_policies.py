"""checkpoint_policies, ad_checkpoint.checkpoint_name, closure_convert and the config shim:
JAX's names and signatures, values and gradients unchanged."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace import checkpoint_policies as cp
from functrace.ad_checkpoint import checkpoint_name

W = np.random.default_rng(0).standard_normal((3, 3))


def layer(w: Any, x: Any) -> Any:
    h = checkpoint_name(fnp.tanh(x @ w), "hidden")
    return fnp.sum(fnp.sin(h @ w))


POLICIES = [cp.everything_saveable, cp.nothing_saveable, cp.dots_saveable, cp.checkpoint_dots,
            cp.dots_with_no_batch_dims_saveable, cp.checkpoint_dots_with_no_batch_dims,
            cp.save_only_these_names("hidden"), cp.save_any_names_but_these("hidden"),
            cp.save_anything_except_these_names("hidden"),
            cp.save_from_both_policies(cp.dots_saveable, cp.save_only_these_names("hidden")),
            cp.offload_dot_with_no_batch_dims("device", "pinned_host"),
            cp.save_and_offload_only_these_names(names_which_can_be_saved=["hidden"],
                                                 names_which_can_be_offloaded=[],
                                                 offload_src="device", offload_dst="pinned_host"),
            None]


@pytest.mark.parametrize("policy", POLICIES)
def test_checkpoint_with_every_policy_keeps_values_and_gradients(policy: Any) -> None:
    x = np.arange(3.0)
    want = ft.grad(layer)(W, x)
    for f in (ft.checkpoint(layer, policy=policy), ft.remat(layer, policy=policy),
              ft.ad_checkpoint.checkpoint(layer, policy=policy)):
        np.testing.assert_allclose(f(W, x), layer(W, x))
        np.testing.assert_allclose(ft.grad(f)(W, x), want)
        np.testing.assert_allclose(ft.jit(ft.grad(f))(W, x), want)


def test_policy_decisions_match_jax() -> None:
    jax = pytest.importorskip("jax")

    dot = ft.make_jaxpr(lambda a, b: a @ b)(W, W).jaxpr.eqns[0]
    batched = ft.make_jaxpr(lambda a, b: fnp.einsum("bij,bjk->bik", a, b))(
        np.ones((2, 3, 3)), np.ones((2, 3, 3))).jaxpr.eqns
    bdot = next(e for e in batched if e.primitive.name == "dot_general")
    sin = ft.make_jaxpr(fnp.sin)(1.0).jaxpr.eqns[0]
    for eqn, saved in ((dot, True), (bdot, False), (sin, False)):
        avals = [v.aval for v in eqn.invars]
        assert cp.dots_with_no_batch_dims_saveable(eqn.primitive, *avals, **eqn.params) is saved
        assert cp.dots_saveable(eqn.primitive, *avals, **eqn.params) is (eqn is not sin)
    assert sorted(n for n in dir(jax.checkpoint_policies) if not n.startswith("_")) == sorted(
        cp.__all__)


def test_checkpoint_name_is_the_identity_on_pytrees() -> None:
    tree = {"a": 1.0, "b": [np.arange(2.0)]}
    out = checkpoint_name(tree, "t")
    assert isinstance(out["a"], np.ndarray) and float(out["a"]) == 1.0
    np.testing.assert_array_equal(out["b"][0], np.arange(2.0))
    np.testing.assert_allclose(ft.vmap(lambda x: checkpoint_name(x * 2.0, "d"))(np.arange(3.0)),
                               2.0 * np.arange(3.0))
    with pytest.raises(TypeError, match="name must be a string"):
        checkpoint_name(1.0, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="policy must be None or a callable"):
        ft.checkpoint(layer, policy="dots")  # type: ignore[arg-type]


def test_closure_convert() -> None:
    def outer(w: Any, x: Any) -> Any:
        f, consts = ft.closure_convert(lambda y: fnp.sin(w * y) + x, 1.0)
        assert len(consts) == (1 if isinstance(w, ft.core.Tracer) else 0) + (
            1 if isinstance(x, ft.core.Tracer) else 0)
        return f(2.0, *consts)

    np.testing.assert_allclose(outer(0.5, 1.0), np.sin(1.0) + 1.0)
    g = ft.grad(outer, argnums=(0, 1))(0.5, 1.0)
    np.testing.assert_allclose(g, (2.0 * np.cos(1.0), 1.0))
    np.testing.assert_allclose(ft.jit(outer)(0.5, 1.0), np.sin(1.0) + 1.0)
    np.testing.assert_allclose(ft.vmap(outer, (0, None))(np.arange(3.0), 1.0),
                               np.sin(2.0 * np.arange(3.0)) + 1.0)
    # Integer tracers stay closed over (no derivative can flow through them), as in JAX.
    def with_int(n: Any) -> Any:
        f, consts = ft.closure_convert(lambda y: y * n, 1.0)
        assert consts == []
        return f(3.0)

    assert float(ft.jit(with_int)(2)) == 6.0
    f, consts = ft.closure_convert(lambda y: y * 2.0, 1.0)
    with pytest.raises(TypeError, match="structure"):
        f((1.0, 2.0))


def test_closure_convert_matches_jax_for_grad() -> None:
    jax = pytest.importorskip("jax")

    def make(cc: Any) -> Any:
        def outer(w: Any) -> Any:
            f, consts = cc(lambda y: y * w * w, 1.0)
            return f(3.0, *consts), len(consts)

        return outer

    assert make(ft.closure_convert)(2.0)[1] == make(jax.closure_convert)(2.0)[1] == 0
    np.testing.assert_allclose(ft.grad(lambda w: make(ft.closure_convert)(w)[0])(2.0),
                               jax.grad(lambda w: make(jax.closure_convert)(w)[0])(2.0))


def test_config_shim() -> None:
    ft.config.update("jax_enable_x64", True)
    assert ft.config.jax_enable_x64 is True and ft.config.read("jax_enable_x64") is True
    assert ft.grad(lambda x: x * x)(np.float64(1.0)).dtype == np.float64
    with pytest.raises(ValueError, match="NumPy's dtypes"):
        ft.config.update("jax_enable_x64", False)
    ft.config.update("jax_platform_name", "cpu")
    with pytest.raises(ValueError, match="CPU"):
        ft.config.update("jax_platforms", "gpu")
    with pytest.raises(AttributeError, match="Unrecognized config option"):
        ft.config.update("jax_no_such_option", 1)
    traced = []

    @ft.jit
    def f(x: Any) -> Any:
        traced.append(type(x))
        return x + 1.0

    ft.config.update("jax_disable_jit", True)
    try:
        assert ft.config.jax_disable_jit
        assert float(f(1.0)) == 2.0 and traced[-1] is float  # ran as Python
    finally:
        ft.config.update("jax_disable_jit", False)
    assert float(f(1.0)) == 2.0 and traced[-1] is not float
