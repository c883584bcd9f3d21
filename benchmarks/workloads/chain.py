"""Long elementwise chains: ``value_and_grad`` of sum(chain(x)) on a float64 vector.

The chain is 200 elementwise operations (20 repeats of a 10-operation pattern mixing sin, cos,
tanh, exp, multiplication and addition by constants, and one x·x) chosen to stay numerically tame:
its values converge to a narrow band and its derivative neither explodes nor underflows.
Each operation is a full pass over memory, so at n = 10⁵ … 10⁶ these workloads measure how close
an implementation's per-operation cost (forward + backward) comes to NumPy's own.

``chain_fwd_*`` times the forward pass alone, so "value_and_grad / forward" can be read off; the
``× numpy fwd`` column of ``chain_vg_*`` gives each row's cost in NumPy forward passes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.core import Config, Extra, Impls, Workload, register

PATTERN: tuple[tuple[str, float], ...] = (
    ("sin", 0.0),
    ("mul", 1.3),
    ("tanh", 0.0),
    ("add", 0.2),
    ("cos", 0.0),
    ("mul", 0.7),
    ("exp", 0.0),
    ("add", -1.0),
    ("square", 0.0),
    ("tanh", 0.0),
)
OPS = PATTERN * 20
assert len(OPS) == 200

SIZES = {"1e5": 100_000, "1e6": 1_000_000}


def chain(x: Any, m: Any) -> Any:
    """Apply the 200 operations to ``x`` with the namespace ``m`` (np, fnp, jnp, anp, torch)."""
    for kind, c in OPS:
        if kind == "sin":
            x = m.sin(x)
        elif kind == "cos":
            x = m.cos(x)
        elif kind == "tanh":
            x = m.tanh(x)
        elif kind == "exp":
            x = m.exp(x)
        elif kind == "mul":
            x = x * c
        elif kind == "add":
            x = x + c
        elif kind == "square":
            x = x * x
        else:  # pragma: no cover - PATTERN is fixed
            raise ValueError(kind)
    return x


def loss(m: Any) -> Callable[[Any], Any]:
    return lambda x: m.sum(chain(x, m))


def numpy_value_and_grad(x: np.ndarray) -> tuple[np.float64, np.ndarray]:
    """Hand-written reverse mode: the forward pass keeps what each backward step needs."""
    saved: list[np.ndarray | None] = []
    for kind, c in OPS:
        if kind == "sin":
            saved.append(x)
            x = np.sin(x)
        elif kind == "cos":
            saved.append(x)
            x = np.cos(x)
        elif kind == "tanh":
            x = np.tanh(x)
            saved.append(x)
        elif kind == "exp":
            x = np.exp(x)
            saved.append(x)
        elif kind == "mul":
            saved.append(None)
            x = x * c
        elif kind == "add":
            saved.append(None)
            x = x + c
        else:  # square
            saved.append(x)
            x = x * x
    value = np.sum(x)
    g = np.ones_like(x)
    for (kind, c), r in zip(reversed(OPS), reversed(saved), strict=True):
        if kind == "sin":
            g = g * np.cos(r)
        elif kind == "cos":
            g = -g * np.sin(r)
        elif kind == "tanh":
            g = g * (1.0 - r * r)
        elif kind == "exp":
            g = g * r
        elif kind == "mul":
            g = g * c
        elif kind == "square":
            g = g * (2.0 * r)
        # add: the adjoint passes through unchanged
    return value, g


def _input(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1.0, 1.0, n)


def make_value_and_grad(config: Config, n: int) -> Impls:
    x = _input(n)
    impls = Impls()
    impls.add("numpy (hand)", lambda: numpy_value_and_grad(x))
    impls.add("numpy forward", lambda: np.sum(chain(x, np)), check_against="")

    @impls.setup("functrace value_and_grad")
    def _ft() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        vg = ft.value_and_grad(loss(fnp))
        return lambda: vg(x)

    @impls.setup("functrace jit(value_and_grad)")
    def _ft_jit() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        vg = ft.jit(ft.value_and_grad(loss(fnp)))
        return lambda: vg(x)

    @impls.setup("jax value_and_grad")
    def _jax() -> Callable[[], Any]:
        jax, jnp = peers.jax()
        vg = jax.value_and_grad(loss(jnp))
        xj = jax.device_put(x)
        return lambda: jax.block_until_ready(vg(xj))

    @impls.setup("jax jit(value_and_grad)")
    def _jax_jit() -> Callable[[], Any]:
        jax, jnp = peers.jax()
        vg = jax.jit(jax.value_and_grad(loss(jnp)))
        xj = jax.device_put(x)
        return lambda: jax.block_until_ready(vg(xj))

    @impls.setup("autograd value_and_grad")
    def _autograd() -> Callable[[], Any]:
        ag, anp = peers.autograd()
        vg = ag.value_and_grad(loss(anp))
        return lambda: vg(x)

    @impls.setup("torch.autograd")
    def _torch() -> Callable[[], Any]:
        torch = peers.torch()
        xt = torch.from_numpy(x.copy()).requires_grad_(True)

        def run() -> Any:
            value = torch.sum(chain(xt, torch))
            (g,) = torch.autograd.grad(value, (xt,))
            return value.detach(), g

        return run

    return impls


def make_forward(config: Config, n: int) -> Impls:
    x = _input(n)
    impls = Impls()
    impls.add("numpy", lambda: np.sum(chain(x, np)))

    @impls.setup("functrace eager")
    def _ft() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        f = loss(fnp)
        return lambda: f(x)

    @impls.setup("functrace jit")
    def _ft_jit() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        f = ft.jit(loss(fnp))
        return lambda: f(x)

    @impls.setup("jax eager")
    def _jax() -> Callable[[], Any]:
        jax, jnp = peers.jax()
        f = loss(jnp)
        xj = jax.device_put(x)
        return lambda: jax.block_until_ready(f(xj))

    @impls.setup("jax jit")
    def _jax_jit() -> Callable[[], Any]:
        jax, jnp = peers.jax()
        f = jax.jit(loss(jnp))
        xj = jax.device_put(x)
        return lambda: jax.block_until_ready(f(xj))

    @impls.setup("autograd (autograd.numpy)")
    def _autograd() -> Callable[[], Any]:
        ag, anp = peers.autograd()
        f = loss(anp)
        return lambda: f(x)

    @impls.setup("torch")
    def _torch() -> Callable[[], Any]:
        torch = peers.torch()
        f = loss(torch)
        xt = torch.from_numpy(x.copy())
        return lambda: f(xt)

    return impls


for _label, _n in SIZES.items():
    register(
        Workload(
            name=f"chain_vg_{_label}",
            family="chain",
            description=f"value_and_grad of sum(200-op elementwise chain(x)), x: f64[{_n}]",
            make=functools.partial(make_value_and_grad, n=_n),
            baseline="numpy (hand)",
            in_quick=_n <= 100_000,
            extra=Extra("× numpy fwd", unit="numpy forward"),
        )
    )
    register(
        Workload(
            name=f"chain_fwd_{_label}",
            family="chain",
            description=f"forward only: sum(200-op elementwise chain(x)), x: f64[{_n}]",
            make=functools.partial(make_forward, n=_n),
            baseline="numpy",
            in_quick=_n <= 100_000,
        )
    )
