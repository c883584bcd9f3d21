"""A 2-d convolution layer: ``lax.conv_general_dilated`` of a batch of 32 16-channel 28x28
images with 32 3x3 kernels, 'SAME' padding, float32; forward, and ``value_and_grad`` of
``sum(tanh(conv(x, w)))`` with respect to both the images and the kernels.

The baseline is NumPy's ``einsum`` over ``sliding_window_view`` windows of the padded input
(forward), and the same with the backward pass written out (the kernel gradient as an einsum
of the windows with the upstream gradient, the input gradient as the convolution of the padded
upstream gradient with the flipped kernel).  functrace's convolution is an im2col: strided
slices of the padded input joined into the patch matrix, and one ``dot_general``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.core import Config, Impls, Workload, register

SHAPE, KERNEL = (32, 16, 28, 28), (32, 16, 3, 3)  # NCHW, OIHW


def init(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    w = (rng.standard_normal(KERNEL) / 12.0).astype(np.float32)
    return x, w


def _windows(x: np.ndarray) -> np.ndarray:
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    return np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))


def numpy_forward(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.einsum("nchwij,ocij->nohw", _windows(x), w, optimize=True)


def numpy_value_and_grad(x: np.ndarray, w: np.ndarray) -> tuple[Any, tuple[Any, Any]]:
    windows = _windows(x)
    t = np.tanh(np.einsum("nchwij,ocij->nohw", windows, w, optimize=True))
    g = 1 - t * t
    w_bar = np.einsum("nchwij,nohw->ocij", windows, g, optimize=True)
    x_bar = np.einsum("nohwij,ocij->nchw", _windows(g), w[:, :, ::-1, ::-1], optimize=True)
    return t.sum(), (x_bar, w_bar)


def _losses(lax: Any, tanh: Callable[[Any], Any], total: Callable[[Any], Any]
            ) -> tuple[Any, Any]:
    def forward(x: Any, w: Any) -> Any:
        return lax.conv_general_dilated(x, w, (1, 1), "SAME")

    def loss(x: Any, w: Any) -> Any:
        return total(tanh(forward(x, w)))

    return forward, loss


def make_forward(config: Config) -> Impls:
    x, w = init()
    impls = Impls()
    impls.add("numpy einsum", lambda: numpy_forward(x, w))

    @impls.setup("functrace")
    def _ft() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        forward, _ = _losses(ft.lax, fnp.tanh, fnp.sum)
        return lambda: forward(x, w)

    @impls.setup("functrace jit")
    def _ft_jit() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        forward = ft.jit(_losses(ft.lax, fnp.tanh, fnp.sum)[0])
        return lambda: forward(x, w)

    @impls.setup("jax jit")
    def _jax_jit() -> Callable[[], Any]:
        jax, jnp = peers.jax()
        forward = jax.jit(_losses(jax.lax, jnp.tanh, jnp.sum)[0])
        data = (jax.device_put(x), jax.device_put(w))
        return lambda: jax.block_until_ready(forward(*data))

    @impls.setup("torch conv2d")
    def _torch() -> Callable[[], Any]:
        torch = peers.torch()
        data = (torch.from_numpy(x), torch.from_numpy(w))
        return lambda: torch.nn.functional.conv2d(*data, padding=1)

    return impls


# The kernel's gradient sums 25,088 float32 products per entry: summation orders differ by
# about 1e-4 relative (NumPy's einsum, BLAS, XLA and PyTorch alike).
GRAD_TOL = dict(rtol=2e-3, atol=2e-3)


def make_grad(config: Config) -> Impls:
    x, w = init()
    impls = Impls()
    impls.add("numpy einsum (hand backward)", lambda: numpy_value_and_grad(x, w))

    @impls.setup("functrace value_and_grad", **GRAD_TOL)
    def _ft() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        vg = ft.value_and_grad(_losses(ft.lax, fnp.tanh, fnp.sum)[1], argnums=(0, 1))
        return lambda: vg(x, w)

    @impls.setup("functrace jit(value_and_grad)", **GRAD_TOL)
    def _ft_jit() -> Callable[[], Any]:
        ft, fnp = peers.functrace()
        vg = ft.jit(ft.value_and_grad(_losses(ft.lax, fnp.tanh, fnp.sum)[1], argnums=(0, 1)))
        return lambda: vg(x, w)

    @impls.setup("jax jit(value_and_grad)", **GRAD_TOL)
    def _jax_jit() -> Callable[[], Any]:
        jax, jnp = peers.jax()
        vg = jax.jit(jax.value_and_grad(_losses(jax.lax, jnp.tanh, jnp.sum)[1], argnums=(0, 1)))
        data = (jax.device_put(x), jax.device_put(w))
        return lambda: jax.block_until_ready(vg(*data))

    @impls.setup("torch autograd", **GRAD_TOL)
    def _torch() -> Callable[[], Any]:
        torch = peers.torch()

        def value_and_grad() -> Any:
            tx = torch.from_numpy(x).requires_grad_()
            tw = torch.from_numpy(w).requires_grad_()
            value = torch.tanh(torch.nn.functional.conv2d(tx, tw, padding=1)).sum()
            value.backward()
            return value.detach(), (tx.grad, tw.grad)

        return value_and_grad

    return impls


_SIZE = "N=32, C=16, 28x28, O=32, 3x3, 'SAME', f32"
register(Workload(name="conv2d", family="conv", description=f"lax.conv_general_dilated, {_SIZE}",
                  make=make_forward, baseline="numpy einsum"))
register(Workload(name="conv2d_grad", family="conv",
                  description=f"value_and_grad of sum(tanh(conv)) w.r.t. x and w, {_SIZE}",
                  make=make_grad, baseline="numpy einsum (hand backward)"))
