"""Tracing cost: ``make_jaxpr`` of a function doing N scalar elementwise operations.

The function applies N operations (cycling through mul, sin, add, tanh with Python-float
constants) to one float64 scalar, so its jaxpr has exactly N equations. Every call builds a fresh
Python function, so no tracing cache can be hit. Rows:

* ``numpy eval`` (baseline): the same function run once on a NumPy float64 — what the Python
  code itself costs;
* ``functrace make_jaxpr``: tracing alone (the result must have N equations);
* ``functrace jit (trace+compile+run)``: a fresh ``ft.jit`` called once — trace, optimise,
  compile and run;
* ``jax make_jaxpr``: JAX's tracing, for N ≤ 10k.

The ``µs / op`` column is the median divided by N.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.core import Config, Extra, Impls, Mismatch, Workload, register

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
JAX_MAX = 10_000
X0 = 0.3


def build(n: int, m: Any) -> Callable[[Any], Any]:
    """A new function applying ``n`` scalar operations, written with the namespace ``m``."""

    def f(x: Any) -> Any:
        for i in range(n):
            k = i % 4
            if k == 0:
                x = x * 0.999
            elif k == 1:
                x = m.sin(x)
            elif k == 2:
                x = x + 0.25
            else:
                x = m.tanh(x)
        return x

    return f


def equation_count(n: int) -> Callable[[Any], str | None]:
    def check(closed: Any) -> str | None:
        count = len(closed.jaxpr.eqns)
        if count != n:
            raise Mismatch(f"{count} equations, expected {n}")
        return None

    return check


def make(config: Config, n: int) -> Impls:
    impls = Impls()
    x = np.float64(X0)
    impls.add("numpy eval", lambda: build(n, np)(x))

    @impls.setup("functrace make_jaxpr", checker=equation_count(n))
    def _ft_trace() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        return lambda: ft.make_jaxpr(build(n, fnp))(X0)

    @impls.setup("functrace jit (trace+compile+run)")
    def _ft_jit() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        return lambda: ft.jit(build(n, fnp))(X0)

    if n <= JAX_MAX:

        @impls.setup("jax make_jaxpr", checker=equation_count(n))
        def _jax_trace() -> Callable[[], Any]:
            jax, jnp = peers.jax()
            return lambda: jax.make_jaxpr(build(n, jnp))(X0)

    else:
        impls.skip("jax make_jaxpr", f"N > {JAX_MAX // 1000}k (too slow to repeat)")
    return impls


for _label, _n in SIZES.items():
    register(
        Workload(
            name=f"trace_cost_{_label}",
            family="tracing",
            description=f"make_jaxpr of a function of {_n} scalar elementwise operations",
            make=functools.partial(make, n=_n),
            baseline="numpy eval",
            in_quick=_n <= 10_000,
            extra=Extra("µs / op", count=_n, scale=1e6, fmt="{:.2f}"),
        )
    )
