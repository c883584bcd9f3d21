"""A training step of an MLP 784-512-512-10 (ReLU), batch 128, float32.

The loss is the softmax cross-entropy on integer labels, mean over the batch, written the same
way for every library: ``logits - logsumexp(logits)`` picked at ``[arange(B), labels]``.

* ``mlp_step``: one ``value_and_grad`` + SGD step (lr 0.1); every row returns
  ``(loss, new_params)``. The baseline is hand-written NumPy forward + backward + update.
* ``mlp_fwd``: the loss alone (forward pass).
* ``mlp_matmuls``: only the eight matrix products of one step (three forward, two input
  cotangents, three weight cotangents), on the same arrays: what each library's matrix
  multiply costs. Every NumPy-based row of ``mlp_step`` pays NumPy's; torch pays its own BLAS's.
* ``mlp_memory``: peak memory (``tracemalloc``) of one ``value_and_grad`` (forward + backward)
  against the hand-written one. Only NumPy-based implementations are visible to tracemalloc;
  JAX and PyTorch allocate outside it and are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.core import Config, Impls, Workload, register

SIZES = (784, 512, 512, 10)
BATCH = 128
LR = 0.1

Params = list[dict[str, Any]]


def init(seed: int = 0) -> tuple[Params, np.ndarray, np.ndarray]:
    """He-initialised float32 parameters, a random batch and integer labels."""
    rng = np.random.default_rng(seed)
    params: Params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        w = rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)
        b = rng.standard_normal(n_out) * 0.01
        params.append({"w": w.astype(np.float32), "b": b.astype(np.float32)})
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH)
    return params, x, y


def make_loss(
    relu: Callable[[Any], Any],
    logsumexp: Callable[[Any], Any],
    mean: Callable[[Any], Any],
    rows: Any,
) -> Callable[[Params, Any, Any], Any]:
    """The loss written against one library's ops; ``logsumexp`` reduces axis 1, keeping it."""

    def loss(params: Params, x: Any, y: Any) -> Any:
        h = x
        for layer in params[:-1]:
            h = relu(h @ layer["w"] + layer["b"])
        logits = h @ params[-1]["w"] + params[-1]["b"]
        logp = logits - logsumexp(logits)
        return -mean(logp[rows, y])

    return loss


def _np_logsumexp(z: np.ndarray) -> np.ndarray:
    m = np.max(z, axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))


def numpy_loss(params: Params, x: np.ndarray, y: np.ndarray) -> Any:
    return make_loss(lambda z: np.maximum(z, 0.0), _np_logsumexp, np.mean, np.arange(len(y)))(
        params, x, y
    )


def numpy_value_and_grad(params: Params, x: np.ndarray, y: np.ndarray) -> tuple[Any, Params]:
    """Hand-written forward and backward pass."""
    rows = np.arange(len(y))
    acts = [x]
    h = x
    for layer in params[:-1]:
        h = np.maximum(h @ layer["w"] + layer["b"], 0.0)
        acts.append(h)
    logits = h @ params[-1]["w"] + params[-1]["b"]
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    e = np.exp(shifted)
    s = np.sum(e, axis=1, keepdims=True)
    loss = -np.mean((shifted - np.log(s))[rows, y])
    d = e / s  # d loss / d logits = (softmax - onehot) / B
    d[rows, y] -= 1.0
    d /= len(y)
    grads: Params = []
    for i in range(len(params) - 1, -1, -1):
        grads.append({"w": acts[i].T @ d, "b": np.sum(d, axis=0)})
        if i > 0:
            d = (d @ params[i]["w"].T) * (acts[i] > 0)
    grads.reverse()
    return loss, grads


def sgd(params: Params, grads: Params) -> Params:
    return [{k: p[k] - LR * g[k] for k in p} for p, g in zip(params, grads, strict=True)]


def numpy_step(params: Params, x: np.ndarray, y: np.ndarray) -> tuple[Any, Params]:
    loss, grads = numpy_value_and_grad(params, x, y)
    return loss, sgd(params, grads)


# ----------------------------------------------------------------------------- per library


def functrace_loss() -> tuple[Any, Callable[[Params, Any, Any], Any]]:
    ft, fnp = peers.functrace()
    loss = make_loss(
        lambda z: fnp.maximum(z, 0.0),
        lambda z: fnp.logsumexp(z, axis=1, keepdims=True),
        fnp.mean,
        np.arange(BATCH),
    )
    return ft, loss


def functrace_step() -> tuple[Any, Callable[[Params, Any, Any], Any]]:
    ft, loss = functrace_loss()
    vg = ft.value_and_grad(loss)

    def step(params: Params, x: Any, y: Any) -> Any:
        value, grads = vg(params, x, y)
        return value, ft.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)

    return ft, step


def jax_loss() -> tuple[Any, Callable[[Params, Any, Any], Any]]:
    jax, jnp = peers.jax()
    loss = make_loss(
        lambda z: jnp.maximum(z, 0.0),
        lambda z: jax.nn.logsumexp(z, axis=1, keepdims=True),
        jnp.mean,
        np.arange(BATCH),
    )
    return jax, loss


def jax_step() -> tuple[Any, Callable[[Params, Any, Any], Any]]:
    jax, loss = jax_loss()
    vg = jax.value_and_grad(loss)

    def step(params: Params, x: Any, y: Any) -> Any:
        value, grads = vg(params, x, y)
        return value, jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)

    return jax, step


def autograd_loss() -> tuple[Any, Callable[[Params, Any, Any], Any]]:
    ag, anp = peers.autograd()
    from autograd.scipy.special import logsumexp

    loss = make_loss(
        lambda z: anp.maximum(z, 0.0),
        lambda z: logsumexp(z, axis=1, keepdims=True),
        anp.mean,
        np.arange(BATCH),
    )
    return ag, loss


def torch_setup(params: Params, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any, Any, Any, Any]:
    torch = peers.torch()
    loss = make_loss(
        torch.relu,
        lambda z: torch.logsumexp(z, dim=1, keepdim=True),
        torch.mean,
        torch.arange(BATCH),
    )
    tparams = [
        {k: torch.from_numpy(v.copy()).requires_grad_(True) for k, v in layer.items()}
        for layer in params
    ]
    return torch, loss, tparams, torch.from_numpy(x), torch.from_numpy(y)


def _jax_data(jax: Any, params: Params, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any, Any]:
    return jax.device_put(params), jax.device_put(x), jax.device_put(y)


# ----------------------------------------------------------------------------- workloads


def make_step(config: Config) -> Impls:
    params, x, y = init()
    impls = Impls()
    impls.add("numpy (hand)", lambda: numpy_step(params, x, y))

    @impls.setup("functrace value_and_grad")
    def _ft() -> Callable[[], Any]:
        _, step = functrace_step()
        return lambda: step(params, x, y)

    @impls.setup("functrace jit(step)")
    def _ft_jit() -> Callable[[], Any]:
        ft, step = functrace_step()
        jstep = ft.jit(step)
        return lambda: jstep(params, x, y)

    @impls.setup("jax value_and_grad")
    def _jax() -> Callable[[], Any]:
        jax, step = jax_step()
        data = _jax_data(jax, params, x, y)
        return lambda: jax.block_until_ready(step(*data))

    @impls.setup("jax jit(step)")
    def _jax_jit() -> Callable[[], Any]:
        jax, step = jax_step()
        jstep = jax.jit(step)
        data = _jax_data(jax, params, x, y)
        return lambda: jax.block_until_ready(jstep(*data))

    @impls.setup("autograd value_and_grad")
    def _autograd() -> Callable[[], Any]:
        ag, loss = autograd_loss()
        vg = ag.value_and_grad(loss)

        def step() -> Any:
            value, grads = vg(params, x, y)
            return value, sgd(params, grads)

        return step

    @impls.setup("torch.autograd")
    def _torch() -> Callable[[], Any]:
        torch, loss, tparams, xt, yt = torch_setup(params, x, y)
        leaves = [layer[k] for layer in tparams for k in layer]

        def step() -> Any:
            value = loss(tparams, xt, yt)
            grads = iter(torch.autograd.grad(value, leaves))
            with torch.no_grad():
                new = [{k: p - LR * next(grads) for k, p in layer.items()} for layer in tparams]
            return value.detach(), new

        return step

    return impls


def _matmul_operands(seed: int = 1) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """A step's matrix operands: activations (inputs of each layer), weights and cotangents."""
    params, x, _ = init()
    rng = np.random.default_rng(seed)
    acts = [x] + [rng.standard_normal((BATCH, n)).astype(np.float32) for n in SIZES[1:-1]]
    cts = [rng.standard_normal((BATCH, n)).astype(np.float32) for n in SIZES[1:]]
    return acts, [layer["w"] for layer in params], cts


def make_matmuls(config: Config) -> Impls:
    acts, ws, cts = _matmul_operands()
    impls = Impls()

    def products(mm: Callable[[Any, Any], Any], t: Callable[[Any], Any], a: Any, w: Any, c: Any
                 ) -> list[Any]:
        out = [mm(a[i], w[i]) for i in range(3)]  # forward
        out += [mm(c[i], t(w[i])) for i in (1, 2)]  # cotangents of the hidden activations
        out += [mm(t(a[i]), c[i]) for i in range(3)]  # weight cotangents
        return out

    impls.add("numpy", lambda: products(np.matmul, np.transpose, acts, ws, cts))

    @impls.setup("torch")
    def _torch() -> Callable[[], Any]:
        torch = peers.torch()
        ta, tw, tc = ([torch.from_numpy(v) for v in vs] for vs in (acts, ws, cts))
        return lambda: products(torch.matmul, lambda v: v.T, ta, tw, tc)

    @impls.setup("jax jit")
    def _jax() -> Callable[[], Any]:
        jax, jnp = peers.jax()
        f = jax.jit(lambda a, w, c: products(jnp.matmul, jnp.transpose, a, w, c))
        data = jax.device_put((acts, ws, cts))
        return lambda: jax.block_until_ready(f(*data))

    return impls


def make_forward(config: Config) -> Impls:
    params, x, y = init()
    impls = Impls()
    impls.add("numpy", lambda: numpy_loss(params, x, y))

    @impls.setup("functrace eager")
    def _ft() -> Callable[[], Any]:
        _, loss = functrace_loss()
        return lambda: loss(params, x, y)

    @impls.setup("functrace jit")
    def _ft_jit() -> Callable[[], Any]:
        ft, loss = functrace_loss()
        jloss = ft.jit(loss)
        return lambda: jloss(params, x, y)

    @impls.setup("jax jit")
    def _jax_jit() -> Callable[[], Any]:
        jax, loss = jax_loss()
        jloss = jax.jit(loss)
        data = _jax_data(jax, params, x, y)
        return lambda: jax.block_until_ready(jloss(*data))

    @impls.setup("autograd (autograd.numpy)")
    def _autograd() -> Callable[[], Any]:
        _, loss = autograd_loss()
        return lambda: loss(params, x, y)

    @impls.setup("torch (no_grad)")
    def _torch() -> Callable[[], Any]:
        torch, loss, tparams, xt, yt = torch_setup(params, x, y)

        def run() -> Any:
            with torch.no_grad():
                return loss(tparams, xt, yt)

        return run

    return impls


def make_memory(config: Config) -> Impls:
    params, x, y = init()
    impls = Impls()
    impls.add("numpy (hand)", lambda: numpy_value_and_grad(params, x, y))

    @impls.setup("functrace value_and_grad")
    def _ft() -> Callable[[], Any]:
        ft, loss = functrace_loss()
        vg = ft.value_and_grad(loss)
        return lambda: vg(params, x, y)

    @impls.setup("functrace jit(value_and_grad)")
    def _ft_jit() -> Callable[[], Any]:
        ft, loss = functrace_loss()
        vg = ft.jit(ft.value_and_grad(loss))
        return lambda: vg(params, x, y)

    @impls.setup("autograd value_and_grad")
    def _autograd() -> Callable[[], Any]:
        ag, loss = autograd_loss()
        vg = ag.value_and_grad(loss)
        return lambda: vg(params, x, y)

    invisible = "allocates outside tracemalloc's view"
    impls.skip("jax", invisible)
    impls.skip("torch", invisible)
    return impls


register(
    Workload(
        name="mlp_step",
        family="mlp",
        description="MLP 784-512-512-10 relu, batch 128, f32: value_and_grad of softmax "
        "cross-entropy + SGD step (lr 0.1)",
        make=make_step,
        baseline="numpy (hand)",
    )
)
register(
    Workload(
        name="mlp_fwd",
        family="mlp",
        description="MLP 784-512-512-10 relu, batch 128, f32: the loss only (forward pass)",
        make=make_forward,
        baseline="numpy",
    )
)
register(
    Workload(
        name="mlp_matmuls",
        family="mlp",
        description="the 8 f32 matrix products of one MLP 784-512-512-10 step at batch 128 "
        "(3 forward, 2 input cotangents, 3 weight cotangents): each library's BLAS",
        make=make_matmuls,
        baseline="numpy",
    )
)
register(
    Workload(
        name="mlp_memory",
        family="mlp",
        description="peak memory (tracemalloc) of one value_and_grad of the MLP loss "
        "(forward + backward), result included",
        make=make_memory,
        baseline="numpy (hand)",
        kind="memory",
    )
)
