"""Numerical differentiation against reverse mode as the number of parameters W grows.

The loss L(w) = Σ tanh(a·w + b)² + 0.5·Σ w² over W float64 parameters. Central differences need
2W evaluations of L, so their cost grows linearly in W; reverse mode (``grad``) costs a small
constant number of evaluations whatever W is. The ``loss evals`` column divides each row's time by
one NumPy evaluation of L (the ``numpy L(w)`` row).

Rows: the hand-written gradient (baseline), a hand-written NumPy central-difference loop (the
reference for linear growth, independent of functrace), ``ft.testing.numerical_jacobian``,
``ft.grad`` and ``ft.jit(ft.grad)``. Numerical rows compare to the exact gradient at a loose
tolerance (rounding limits central differences to about 1e-7 here). Under ``--quick`` the
numerical rows stop at W = 1000.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.core import Config, Extra, Impls, Workload, register

WIDTHS = (10, 100, 1000, 10_000)
QUICK_NUMERICAL_MAX = 1000
NUMERICAL_TOL = {"rtol": 1e-5, "atol": 1e-5}


def problem(width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal(width), rng.standard_normal(width), rng.standard_normal(width)


def make_loss(m: Any, a: np.ndarray, b: np.ndarray) -> Callable[[Any], Any]:
    def loss(w: Any) -> Any:
        t = m.tanh(a * w + b)
        return m.sum(t * t) + 0.5 * m.sum(w * w)

    return loss


def numpy_grad(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    t = np.tanh(a * w + b)
    return 2.0 * t * (1.0 - t * t) * a + w


def numpy_central_differences(
    loss: Callable[[np.ndarray], Any], w: np.ndarray, eps: float = 1e-5
) -> np.ndarray:
    """One perturbed copy per parameter and side: 2W evaluations of the loss."""
    g = np.empty_like(w)
    wp = w.copy()
    for i in range(w.size):
        wi = wp[i]
        wp[i] = wi + eps
        hi = loss(wp)
        wp[i] = wi - eps
        lo = loss(wp)
        wp[i] = wi
        g[i] = (hi - lo) / (2.0 * eps)
    return g


def make(config: Config, width: int) -> Impls:
    w, a, b = problem(width)
    np_loss = make_loss(np, a, b)
    numerical = not config.quick or width <= QUICK_NUMERICAL_MAX
    impls = Impls()
    impls.add("numpy grad (hand)", lambda: numpy_grad(w, a, b))
    impls.add("numpy L(w)", lambda: np_loss(w), check_against="")
    if numerical:
        impls.add(
            "numpy central differences (hand)",
            lambda: numpy_central_differences(np_loss, w),
            **NUMERICAL_TOL,
        )

        @impls.setup("functrace numerical_jacobian", **NUMERICAL_TOL)
        def _ft_numerical() -> Callable[[], Any]:
            ft, fnp = peers.functrace()
            loss = make_loss(fnp, a, b)
            return lambda: ft.testing.numerical_jacobian(loss, w)

    else:
        reason = f"W > {QUICK_NUMERICAL_MAX} under --quick"
        impls.skip("numpy central differences (hand)", reason)
        impls.skip("functrace numerical_jacobian", reason)

    @impls.setup("functrace grad")
    def _ft_grad() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        g = ft.grad(make_loss(fnp, a, b))
        return lambda: g(w)

    @impls.setup("functrace jit(grad)")
    def _ft_jit_grad() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        g = ft.jit(ft.grad(make_loss(fnp, a, b)))
        return lambda: g(w)

    return impls


for _width in WIDTHS:
    register(
        Workload(
            name=f"numdiff_scaling_w{_width}",
            family="numdiff",
            description=f"gradient of a scalar loss of W={_width} f64 parameters: "
            "central differences (2W evaluations) vs reverse mode",
            make=functools.partial(make, width=_width),
            baseline="numpy grad (hand)",
            extra=Extra("loss evals", unit="numpy L(w)", fmt="{:.1f}"),
        )
    )
