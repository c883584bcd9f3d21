"""Control flow: the gradient of a long ``lax.scan`` RNN, and checkpointed ``lax.while_loop``.

* ``scan_rnn_grad``: ``value_and_grad`` of an Elman RNN written with ``lax.scan`` over 1,000
  steps, h ← tanh(h W + x U + b) (batch 16, hidden 32, input 8, float64), loss = sum(h_T²),
  with respect to (W, U, b).  The baseline is hand-written backpropagation through time.  The
  ``× own fwd`` column divides each row by the same library's forward pass: the target for
  functrace is at most 4 (one forward scan that keeps its residuals, one backward scan).
* ``while_grad_10k``: ``value_and_grad`` of a 10,000-step ``lax.while_loop``,
  x ← sin(x)·w + x/2 on a float64 vector of 256, loss = sum(x_n²), w.r.t. (w, x0): without
  checkpointing and with ``checkpoint_every`` = 10, 100, 1000.  JAX refuses reverse mode
  through ``while_loop`` (the row says so).  The baseline is a hand-written reverse loop that
  keeps every carry.
* ``while_grad_memory_10k``: the peak memory (``tracemalloc``) of the same gradients: O(n)
  without checkpointing, O(n/k + k) with ``checkpoint_every=k`` (smallest near k = √n = 100).
* ``checkpoint_memory``: the peak memory of ``value_and_grad`` of a chain of 50 blocks of 20
  elementwise operations on a float64 vector of 20,000, each block wrapped in ``checkpoint``
  (``remat``) or not: the tape keeps every intermediate (O(blocks × ops)) without it, the
  blocks' inputs and one block's intermediates (O(blocks + ops)) with it.  JAX's memory is not
  visible to ``tracemalloc``; its row is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.core import Config, Extra, Impls, Workload, register

# -- the scan RNN --------------------------------------------------------------------------------

STEPS, BATCH, HIDDEN, INPUT = 1000, 16, 32, 8


def rnn_problem() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN),
              "u": rng.standard_normal((INPUT, HIDDEN)) / np.sqrt(INPUT),
              "b": rng.standard_normal(HIDDEN) * 0.1}
    return params, np.zeros((BATCH, HIDDEN)), rng.standard_normal((STEPS, BATCH, INPUT))


def numpy_rnn_loss(params: dict[str, np.ndarray], h0: np.ndarray, xs: np.ndarray) -> Any:
    h = h0
    for x in xs:
        h = np.tanh(h @ params["w"] + x @ params["u"] + params["b"])
    return np.sum(h * h)


def numpy_rnn_value_and_grad(params: dict[str, np.ndarray], h0: np.ndarray, xs: np.ndarray
                             ) -> tuple[Any, dict[str, np.ndarray]]:
    """Backpropagation through time: the forward loop keeps each step's input and output."""
    w, u, b = params["w"], params["u"], params["b"]
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(hs[-1] @ w + x @ u + b))
    h = hs[-1]
    g_h = 2.0 * h
    g_w, g_u, g_b = np.zeros_like(w), np.zeros_like(u), np.zeros_like(b)
    for t in range(len(xs) - 1, -1, -1):
        g_pre = g_h * (1.0 - hs[t + 1] * hs[t + 1])
        g_w += hs[t].T @ g_pre
        g_u += xs[t].T @ g_pre
        g_b += g_pre.sum(axis=0)
        g_h = g_pre @ w.T
    return np.sum(h * h), {"w": g_w, "u": g_u, "b": g_b}


def functrace_rnn_loss() -> tuple[Any, Callable[..., Any]]:
    ft, fnp = peers.functrace()
    lax = ft.lax

    def loss(params: dict[str, Any], h0: Any, xs: Any) -> Any:
        def step(h: Any, x: Any) -> Any:
            return fnp.tanh(h @ params["w"] + x @ params["u"] + params["b"]), None

        h, _ = lax.scan(step, h0, xs)
        return fnp.sum(h * h)

    return ft, loss


def jax_rnn_loss() -> tuple[Any, Callable[..., Any]]:
    jax, jnp = peers.jax()

    def loss(params: dict[str, Any], h0: Any, xs: Any) -> Any:
        def step(h: Any, x: Any) -> Any:
            return jnp.tanh(h @ params["w"] + x @ params["u"] + params["b"]), None

        h, _ = jax.lax.scan(step, h0, xs)
        return jnp.sum(h * h)

    return jax, loss


def make_rnn(config: Config) -> Impls:
    params, h0, xs = rnn_problem()
    impls = Impls()
    impls.add("numpy (hand BPTT)", lambda: numpy_rnn_value_and_grad(params, h0, xs),
              unit="numpy forward")
    impls.add("numpy forward", lambda: numpy_rnn_loss(params, h0, xs), check_against="")

    @impls.setup("functrace forward", check_against="")
    def _ft_fwd() -> Callable[[], Any]:
        ft, loss = functrace_rnn_loss()
        return lambda: loss(params, h0, xs)

    @impls.setup("functrace value_and_grad", unit="functrace forward")
    def _ft() -> Callable[[], Any]:
        ft, loss = functrace_rnn_loss()
        vg = ft.value_and_grad(loss)
        return lambda: vg(params, h0, xs)

    @impls.setup("functrace jit forward", check_against="")
    def _ft_jit_fwd() -> Callable[[], Any]:
        ft, loss = functrace_rnn_loss()
        f = ft.jit(loss)
        return lambda: f(params, h0, xs)

    @impls.setup("functrace jit(value_and_grad)", unit="functrace jit forward")
    def _ft_jit() -> Callable[[], Any]:
        ft, loss = functrace_rnn_loss()
        vg = ft.jit(ft.value_and_grad(loss))
        return lambda: vg(params, h0, xs)

    @impls.setup("jax jit forward", check_against="")
    def _jax_fwd() -> Callable[[], Any]:
        jax, loss = jax_rnn_loss()
        f = jax.jit(loss)
        args = jax.device_put((params, h0, xs))
        return lambda: jax.block_until_ready(f(*args))

    @impls.setup("jax jit(value_and_grad)", unit="jax jit forward")
    def _jax() -> Callable[[], Any]:
        jax, loss = jax_rnn_loss()
        vg = jax.jit(jax.value_and_grad(loss))
        args = jax.device_put((params, h0, xs))
        return lambda: jax.block_until_ready(vg(*args))

    return impls


register(
    Workload(
        name="scan_rnn_grad",
        family="control_flow",
        description=f"value_and_grad of a {STEPS}-step lax.scan RNN (batch {BATCH}, hidden "
        f"{HIDDEN}, input {INPUT}, f64) w.r.t. (W, U, b); target: functrace <= 4x its forward",
        make=make_rnn,
        baseline="numpy (hand BPTT)",
        extra=Extra("× own fwd", fmt="{:.2f}"),
    )
)

# -- the checkpointed while loop -----------------------------------------------------------------

WHILE_STEPS, WIDTH = 10_000, 256
CHECKPOINTS = (None, 10, 100, 1000)


def while_problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.standard_normal(WIDTH) * 0.5, rng.standard_normal(WIDTH)


def numpy_while_value_and_grad(w: np.ndarray, x0: np.ndarray) -> tuple[Any, tuple[Any, Any]]:
    """The loop run forward keeping every carry, then its adjoint run backward."""
    xs, x, i = [x0], x0, 0
    while i < WHILE_STEPS:
        x = np.sin(x) * w + x * 0.5
        xs.append(x)
        i += 1
    g_x, g_w = 2.0 * x, np.zeros_like(w)
    for x in reversed(xs[:-1]):
        g_w += g_x * np.sin(x)
        g_x = g_x * (np.cos(x) * w + 0.5)
    return np.sum(xs[-1] ** 2), (g_w, g_x)


def functrace_while_loss(checkpoint_every: int | None) -> tuple[Any, Callable[..., Any]]:
    ft, fnp = peers.functrace()
    lax = ft.lax

    def loss(w: Any, x0: Any) -> Any:
        def body(carry: Any) -> Any:
            i, x = carry
            return i + 1, fnp.sin(x) * w + x * 0.5

        _, x = lax.while_loop(lambda c: c[0] < WHILE_STEPS, body, (0, x0),
                              checkpoint_every=checkpoint_every)
        return fnp.sum(x * x)

    return ft, loss


def _label(k: int | None) -> str:
    return "no checkpointing" if k is None else f"checkpoint_every={k}"


def make_while(config: Config) -> Impls:
    w, x0 = while_problem()
    impls = Impls()
    impls.add("numpy (hand, every carry kept)", lambda: numpy_while_value_and_grad(w, x0))
    for k in CHECKPOINTS:

        @impls.setup(f"functrace value_and_grad, {_label(k)}")
        def _ft(k: int | None = k) -> Callable[[], Any]:
            ft, loss = functrace_while_loss(k)
            vg = ft.value_and_grad(loss, argnums=(0, 1))
            return lambda: vg(w, x0)

    @impls.setup("functrace jit(value_and_grad), checkpoint_every=100")
    def _ft_jit() -> Callable[[], Any]:
        ft, loss = functrace_while_loss(100)
        vg = ft.jit(ft.value_and_grad(loss, argnums=(0, 1)))
        return lambda: vg(w, x0)

    impls.skip("jax", "reverse-mode differentiation of while_loop is not supported by JAX")
    return impls


register(
    Workload(
        name="while_grad_10k",
        family="control_flow",
        description=f"value_and_grad of a {WHILE_STEPS}-step lax.while_loop on f64[{WIDTH}], "
        "with and without checkpointing",
        make=make_while,
        baseline="numpy (hand, every carry kept)",
    )
)
register(
    Workload(
        name="while_grad_memory_10k",
        family="control_flow",
        description=f"peak memory (tracemalloc) of value_and_grad of a {WHILE_STEPS}-step "
        f"lax.while_loop on f64[{WIDTH}]: O(n) without checkpointing, O(n/k + k) with k",
        make=make_while,
        baseline="numpy (hand, every carry kept)",
        kind="memory",
    )
)


# -- checkpoint (remat) of the blocks of a long elementwise chain ----------------------------------

BLOCKS, OPS, LENGTH = 50, 20, 20_000


def functrace_chain_loss(remat: bool, jit: bool = False) -> Callable[..., Any]:
    """sum(x_n) after ``BLOCKS`` blocks of ``OPS`` elementwise operations, each block wrapped
    in ``ft.checkpoint`` when ``remat``."""
    ft, fnp = peers.functrace()

    def block(x: Any) -> Any:
        for i in range(OPS):
            x = fnp.sin(x) * 0.9 + 0.1 if i % 2 else fnp.tanh(x) * 1.1
        return x

    step = ft.checkpoint(block) if remat else block

    def loss(x: Any) -> Any:
        for _ in range(BLOCKS):
            x = step(x)
        return fnp.sum(x)

    vg = ft.value_and_grad(loss)
    return ft.jit(vg) if jit else vg


def make_checkpoint(config: Config) -> Impls:
    x = np.linspace(-1.0, 1.0, LENGTH)
    impls = Impls()
    for label, remat, jit in (("no checkpoint", False, False),
                              ("checkpoint per block", True, False),
                              ("jit, checkpoint per block", True, True)):

        @impls.setup(f"functrace value_and_grad, {label}")
        def _ft(remat: bool = remat, jit: bool = jit) -> Callable[[], Any]:
            vg = functrace_chain_loss(remat, jit)
            return lambda: vg(x)

    impls.skip("jax", "XLA's buffers are not visible to tracemalloc")
    return impls


register(
    Workload(
        name="checkpoint_memory",
        family="control_flow",
        description=f"peak memory (tracemalloc) of value_and_grad of {BLOCKS} blocks of {OPS} "
        f"elementwise operations on f64[{LENGTH}], each block checkpointed or not",
        make=make_checkpoint,
        baseline="functrace value_and_grad, no checkpoint",
        kind="memory",
    )
)
