"""Scalar latency: the gradient of the chapter's two-input function at one point.

f(x1, x2) = x1·x2 + exp(x1·x2) − sin(x2), written as its evaluation trace v1 … v7 (SPEC §1).
Every row returns (∂f/∂x1, ∂f/∂x2) at (1.5, 0.5). At this size the numbers measure pure
per-call overhead: tracing, dispatch, caching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.core import Config, Impls, Workload, register

X1, X2 = 1.5, 0.5


def chapter_f(m: Any) -> Callable[[Any, Any], Any]:
    """The chapter's f written against the array namespace ``m`` (fnp, jnp, anp, torch)."""

    def f(x1: Any, x2: Any) -> Any:
        v3 = x1 * x2
        v4 = m.sin(x2)
        v5 = m.exp(v3)
        v6 = v3 - v4
        return v5 + v6

    return f


def hand_grad(x1: np.float64, x2: np.float64) -> tuple[np.float64, np.float64]:
    """∂f/∂x1 = x2·(1 + e^(x1·x2)), ∂f/∂x2 = x1·(1 + e^(x1·x2)) − cos(x2)."""
    e1 = 1.0 + np.exp(x1 * x2)
    return x2 * e1, x1 * e1 - np.cos(x2)


def make(config: Config) -> Impls:
    impls = Impls()
    x1, x2 = np.float64(X1), np.float64(X2)
    impls.add("numpy (hand)", lambda: hand_grad(x1, x2))

    @impls.setup("functrace grad")
    def _ft_grad() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        g = ft.grad(chapter_f(fnp), argnums=(0, 1))
        return lambda: g(X1, X2)

    @impls.setup("functrace jit(grad)")
    def _ft_jit_grad() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        g = ft.jit(ft.grad(chapter_f(fnp), argnums=(0, 1)))
        return lambda: g(X1, X2)

    @impls.setup("jax grad")
    def _jax_grad() -> Callable[[], Any]:
        jax, jnp = peers.jax()
        g = jax.grad(chapter_f(jnp), argnums=(0, 1))
        return lambda: jax.block_until_ready(g(X1, X2))

    @impls.setup("jax jit(grad)")
    def _jax_jit_grad() -> Callable[[], Any]:
        jax, jnp = peers.jax()
        g = jax.jit(jax.grad(chapter_f(jnp), argnums=(0, 1)))
        return lambda: jax.block_until_ready(g(X1, X2))

    @impls.setup("autograd grad")
    def _autograd_grad() -> Callable[[], Any]:
        ag, anp = peers.autograd()
        g = ag.grad(chapter_f(anp), argnum=(0, 1))
        return lambda: g(X1, X2)

    @impls.setup("torch.autograd")
    def _torch_autograd() -> Callable[[], Any]:
        torch = peers.torch()
        f = chapter_f(torch)
        t1 = torch.tensor(X1, dtype=torch.float64, requires_grad=True)
        t2 = torch.tensor(X2, dtype=torch.float64, requires_grad=True)
        return lambda: torch.autograd.grad(f(t1, t2), (t1, t2))

    return impls


register(
    Workload(
        name="scalar_grad",
        family="scalar",
        description="grad of f(x1,x2)=x1*x2+exp(x1*x2)-sin(x2) w.r.t. (x1, x2) at (1.5, 0.5)",
        make=make,
        baseline="numpy (hand)",
    )
)
