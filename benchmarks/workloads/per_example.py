"""Per-example gradients: ``vmap(grad(loss), in_axes=(None, 0, 0))`` over a batch of 128.

A small MLP 64-128-128-10 (tanh, float32) with a squared-error loss per example. Each
per-example row returns the gradient of every example's loss, a pytree whose leaves have a
leading batch axis of 128; the baseline is the hand-written NumPy version (one batched forward
and backward pass, with the weight gradients formed as per-example outer products).

For comparison every library also computes one batched gradient of the mean loss (checked
against the hand-written batched gradient). The ``× own batched grad`` column divides each row
by its own library's batched-gradient row: per-example gradients should cost a small multiple
of one batched ``grad`` (the outer products are B times larger than their sum).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.core import Config, Extra, Impls, Workload, register

SIZES = (64, 128, 128, 10)
BATCH = 128

Params = list[dict[str, Any]]


def init(seed: int = 0) -> tuple[Params, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params: Params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        w = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
        b = rng.standard_normal(n_out) * 0.1
        params.append({"w": w.astype(np.float32), "b": b.astype(np.float32)})
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.standard_normal((BATCH, SIZES[-1])).astype(np.float32)
    return params, x, y


def make_losses(tanh: Callable[[Any], Any], total: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``(loss, mean_loss)``: one example's squared error, and the batch mean of it."""

    def predict(params: Params, x: Any) -> Any:
        h = x
        for layer in params[:-1]:
            h = tanh(h @ layer["w"] + layer["b"])
        return h @ params[-1]["w"] + params[-1]["b"]

    def loss(params: Params, x: Any, y: Any) -> Any:
        d = predict(params, x) - y
        return total(d * d)

    def mean_loss(params: Params, xs: Any, ys: Any) -> Any:
        d = predict(params, xs) - ys
        return total(d * d) / xs.shape[0]

    return loss, mean_loss


def _numpy_backward(params: Params, x: np.ndarray, y: np.ndarray) -> tuple[list[Any], Any]:
    """Activations of the batched forward pass and d(per-example loss)/d(output)."""
    acts = [x]
    h = x
    for layer in params[:-1]:
        h = np.tanh(h @ layer["w"] + layer["b"])
        acts.append(h)
    out = h @ params[-1]["w"] + params[-1]["b"]
    return acts, 2.0 * (out - y)


def numpy_per_example(params: Params, x: np.ndarray, y: np.ndarray) -> Params:
    acts, d = _numpy_backward(params, x, y)
    grads: Params = []
    for i in range(len(params) - 1, -1, -1):
        grads.append({"w": np.einsum("bi,bj->bij", acts[i], d), "b": d})
        if i > 0:
            d = (d @ params[i]["w"].T) * (1.0 - acts[i] * acts[i])
    grads.reverse()
    return grads


def numpy_batched(params: Params, x: np.ndarray, y: np.ndarray) -> Params:
    acts, d = _numpy_backward(params, x, y)
    d = d / len(x)
    grads: Params = []
    for i in range(len(params) - 1, -1, -1):
        grads.append({"w": acts[i].T @ d, "b": np.sum(d, axis=0)})
        if i > 0:
            d = (d @ params[i]["w"].T) * (1.0 - acts[i] * acts[i])
    grads.reverse()
    return grads


NP_PER, NP_BATCHED = "numpy per-example (hand)", "numpy batched grad (hand)"
FT_BATCHED, FT_JIT_BATCHED = "functrace grad(mean loss)", "functrace jit(grad(mean loss))"
JAX_BATCHED, JAX_JIT_BATCHED = "jax grad(mean loss)", "jax jit(grad(mean loss))"
TORCH_BATCHED = "torch.func grad(mean loss)"


def make(config: Config) -> Impls:
    params, x, y = init()
    impls = Impls()
    impls.add(NP_PER, lambda: numpy_per_example(params, x, y), unit=NP_BATCHED)
    impls.add(NP_BATCHED, lambda: numpy_batched(params, x, y), check_against="", unit=NP_BATCHED)

    def ft_losses() -> tuple[Any, Any, Any]:
        ft, fnp = peers.functrace()
        return (ft, *make_losses(fnp.tanh, fnp.sum))

    @impls.setup("functrace vmap(grad)", unit=FT_BATCHED)
    def _ft_vmap() -> Callable[[], Any]:
        ft, loss, _ = ft_losses()
        per_example = ft.vmap(ft.grad(loss), in_axes=(None, 0, 0))
        return lambda: per_example(params, x, y)

    @impls.setup("functrace jit(vmap(grad))", unit=FT_JIT_BATCHED)
    def _ft_jit_vmap() -> Callable[[], Any]:
        ft, loss, _ = ft_losses()
        per_example = ft.jit(ft.vmap(ft.grad(loss), in_axes=(None, 0, 0)))
        return lambda: per_example(params, x, y)

    @impls.setup(FT_BATCHED, check_against=NP_BATCHED, unit=FT_BATCHED)
    def _ft_batched() -> Callable[[], Any]:
        ft, _, mean_loss = ft_losses()
        g = ft.grad(mean_loss)
        return lambda: g(params, x, y)

    @impls.setup(FT_JIT_BATCHED, check_against=NP_BATCHED, unit=FT_JIT_BATCHED)
    def _ft_jit_batched() -> Callable[[], Any]:
        ft, _, mean_loss = ft_losses()
        g = ft.jit(ft.grad(mean_loss))
        return lambda: g(params, x, y)

    def jax_setup() -> tuple[Any, Any, Any, tuple[Any, Any, Any]]:
        jax, jnp = peers.jax()
        loss, mean_loss = make_losses(jnp.tanh, jnp.sum)
        data = (jax.device_put(params), jax.device_put(x), jax.device_put(y))
        return jax, loss, mean_loss, data

    @impls.setup("jax vmap(grad)", unit=JAX_BATCHED)
    def _jax_vmap() -> Callable[[], Any]:
        jax, loss, _, data = jax_setup()
        per_example = jax.vmap(jax.grad(loss), in_axes=(None, 0, 0))
        return lambda: jax.block_until_ready(per_example(*data))

    @impls.setup("jax jit(vmap(grad))", unit=JAX_JIT_BATCHED)
    def _jax_jit_vmap() -> Callable[[], Any]:
        jax, loss, _, data = jax_setup()
        per_example = jax.jit(jax.vmap(jax.grad(loss), in_axes=(None, 0, 0)))
        return lambda: jax.block_until_ready(per_example(*data))

    @impls.setup(JAX_BATCHED, check_against=NP_BATCHED, unit=JAX_BATCHED)
    def _jax_batched() -> Callable[[], Any]:
        jax, _, mean_loss, data = jax_setup()
        g = jax.grad(mean_loss)
        return lambda: jax.block_until_ready(g(*data))

    @impls.setup(JAX_JIT_BATCHED, check_against=NP_BATCHED, unit=JAX_JIT_BATCHED)
    def _jax_jit_batched() -> Callable[[], Any]:
        jax, _, mean_loss, data = jax_setup()
        g = jax.jit(jax.grad(mean_loss))
        return lambda: jax.block_until_ready(g(*data))

    def torch_setup() -> tuple[Any, Any, Any, tuple[Any, Any, Any]]:
        torch = peers.torch()
        loss, mean_loss = make_losses(torch.tanh, torch.sum)
        tparams = [{k: torch.from_numpy(v) for k, v in layer.items()} for layer in params]
        return torch, loss, mean_loss, (tparams, torch.from_numpy(x), torch.from_numpy(y))

    @impls.setup("torch.func vmap(grad)", unit=TORCH_BATCHED)
    def _torch_vmap() -> Callable[[], Any]:
        torch, loss, _, data = torch_setup()
        per_example = torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0, 0))
        return lambda: per_example(*data)

    @impls.setup(TORCH_BATCHED, check_against=NP_BATCHED, unit=TORCH_BATCHED)
    def _torch_batched() -> Callable[[], Any]:
        torch, _, mean_loss, data = torch_setup()
        g = torch.func.grad(mean_loss)
        return lambda: g(*data)

    return impls


register(
    Workload(
        name="per_example_grads",
        family="per_example",
        description="per-example gradients vmap(grad(loss), in_axes=(None, 0, 0)), "
        "MLP 64-128-128-10 tanh, batch 128, f32",
        make=make,
        baseline=NP_PER,
        extra=Extra("× own batched grad", fmt="{:.2f}"),
    )
)
