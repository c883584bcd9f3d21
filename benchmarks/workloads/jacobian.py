"""Jacobians both ways of F: R^D → R^K, F(x) = tanh(W @ x) with a fixed K×D matrix W (float64).

The chapter's prediction: forward mode gives one column of J per pass (D passes), reverse mode
one row (K passes), so jacrev is the cheap direction for (D, K) = (1000, 10) and jacfwd for
(10, 1000). The ``F evals`` column divides each row's time by one NumPy evaluation of F (the
``numpy F(x)`` row), which is the cost model the chapter uses: the cheap direction should cost
about min(D, K) + 1 evaluations' worth, done as one batched pass.

The baseline is the hand-written Jacobian ``(1 - tanh(Wx)²)[:, None] * W``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.core import Config, Extra, Impls, Workload, register

SHAPES = ((1000, 10), (10, 1000))  # (D, K)


def problem(d: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((k, d)) / np.sqrt(d)
    x = rng.standard_normal(d)
    return w, x


def numpy_jacobian(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    y = np.tanh(w @ x)
    return (1.0 - y * y)[:, None] * w


def make(config: Config, d: int, k: int) -> Impls:
    w, x = problem(d, k)
    impls = Impls()
    impls.add("numpy (hand)", lambda: numpy_jacobian(w, x))
    impls.add("numpy F(x)", lambda: np.tanh(w @ x), check_against="")

    def ft_f() -> tuple[Any, Callable[[Any], Any]]:
        ft, fnp = peers.functrace()
        return ft, lambda v: fnp.tanh(fnp.matmul(w, v))

    for mode in ("jacfwd", "jacrev"):

        @impls.setup(f"functrace {mode}")
        def _ft(mode: str = mode) -> Callable[[], Any]:
            ft, f = ft_f()
            jac = getattr(ft, mode)(f)
            return lambda: jac(x)

        @impls.setup(f"functrace jit({mode})")
        def _ft_jit(mode: str = mode) -> Callable[[], Any]:
            ft, f = ft_f()
            jac = ft.jit(getattr(ft, mode)(f))
            return lambda: jac(x)

    for mode in ("jacfwd", "jacrev"):

        @impls.setup(f"jax {mode}")
        def _jax(mode: str = mode) -> Callable[[], Any]:
            jax, jnp = peers.jax()
            wj, xj = jax.device_put(w), jax.device_put(x)
            jac = getattr(jax, mode)(lambda v: jnp.tanh(wj @ v))
            return lambda: jax.block_until_ready(jac(xj))

        @impls.setup(f"jax jit({mode})")
        def _jax_jit(mode: str = mode) -> Callable[[], Any]:
            jax, jnp = peers.jax()
            wj, xj = jax.device_put(w), jax.device_put(x)
            jac = jax.jit(getattr(jax, mode)(lambda v: jnp.tanh(wj @ v)))
            return lambda: jax.block_until_ready(jac(xj))

    for mode in ("jacfwd", "jacrev"):

        @impls.setup(f"torch.func {mode}")
        def _torch(mode: str = mode) -> Callable[[], Any]:
            torch = peers.torch()
            wt, xt = torch.from_numpy(w), torch.from_numpy(x)
            jac = getattr(torch.func, mode)(lambda v: torch.tanh(wt @ v))
            return lambda: jac(xt)

    @impls.setup("autograd jacobian")
    def _autograd() -> Callable[[], Any]:
        ag, anp = peers.autograd()
        jac = ag.jacobian(lambda v: anp.tanh(anp.dot(w, v)))
        return lambda: jac(x)

    return impls


for _d, _k in SHAPES:
    register(
        Workload(
            name=f"jacobian_d{_d}_k{_k}",
            family="jacobian",
            description=f"Jacobian of F(x)=tanh(W @ x): R^{_d} -> R^{_k}, f64 "
            f"(cheap direction: {'jacrev' if _k < _d else 'jacfwd'})",
            make=functools.partial(make, d=_d, k=_k),
            baseline="numpy (hand)",
            extra=Extra("F evals", unit="numpy F(x)", fmt="{:.1f}"),
        )
    )
