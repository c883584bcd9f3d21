"""A small functional neural-network kit in the style of ``jax.example_libraries.stax``.

A multilayer perceptron is a pytree of parameters, a list with one ``{"w": (in, out),
"b": (out,)}`` dict per layer, and pure functions over it: :func:`init_mlp` builds one from an
explicit random generator, :func:`mlp` applies it, and the activations and losses below score
it. There are no classes and no hidden state, so every function here passes through ``grad``,
``vmap`` and ``jit``.

Everything is written with ``functrace.numpy`` and Python operators only (NumPy is used only to
draw the initial weights and to build constants). Each activation and loss is written so that
neither its value nor any of its derivatives overflows, even for inputs of +-1e4: where a
formula is split into two branches with ``where``, each branch is fed inputs on which it cannot
overflow, because ``where`` computes both branches and a ``0 * inf`` in the branch it drops
would still poison the gradient.

Example:
    >>> import numpy as np
    >>> import functrace as ft
    >>> from functrace import nn
    >>> params = nn.init_mlp(np.random.default_rng(0), [3, 5, 2])
    >>> [{k: v.shape for k, v in layer.items()} for layer in params]
    [{'w': (3, 5), 'b': (5,)}, {'w': (5, 2), 'b': (2,)}]
    >>> x, labels = np.ones((4, 3)), np.array([0, 1, 1, 0])
    >>> loss = lambda p: nn.softmax_cross_entropy(nn.mlp(p, x), labels)
    >>> grads = ft.grad(loss)(params)
    >>> grads[0]["w"].shape
    (3, 5)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np

import functrace.numpy as fnp

Array: TypeAlias = Any
"""An array, a number, or a functrace tracer standing for one."""

Layer: TypeAlias = Mapping[str, Array]
"""One dense layer's parameters: ``"w"`` of shape ``(in, out)`` and ``"b"`` of shape ``(out,)``."""

Params: TypeAlias = Sequence[Layer]
"""An MLP's parameters, one :data:`Layer` per layer (a pytree)."""

Activation: TypeAlias = Callable[[Array], Array]
"""An elementwise function such as :func:`relu` or :func:`tanh`."""


# ---------------------------------------------------------------------------------------------
# Initialisation and the network


def init_mlp(
    rng: np.random.Generator,
    sizes: Sequence[int],
    init: Literal["he", "glorot"] = "he",
    dtype: Any = np.float64,
) -> list[dict[str, np.ndarray]]:
    """Random parameters for a multilayer perceptron with the given layer sizes.

    Biases start at zero. The weights of a layer with ``fan_in`` inputs and ``fan_out`` outputs
    are drawn so that activations keep their scale from layer to layer:

    * ``"he"`` (He et al., 2015, for ReLU-like activations): normal with standard deviation
      ``sqrt(2 / fan_in)``;
    * ``"glorot"`` (Glorot & Bengio, 2010, for tanh and sigmoid): uniform on
      ``[-limit, limit]`` with ``limit = sqrt(6 / (fan_in + fan_out))``, so of variance
      ``2 / (fan_in + fan_out)``.

    Args:
      rng: the random generator to draw from, e.g. ``np.random.default_rng(0)``.
      sizes: the width of every layer, input first: ``[64, 128, 10]`` is one hidden layer of
        128 between 64 inputs and 10 outputs. At least two entries, all positive.
      init: the weight distribution, ``"he"`` or ``"glorot"``.
      dtype: the floating-point dtype of the parameters.

    Returns:
      A list with one ``{"w": (fan_in, fan_out), "b": (fan_out,)}`` dict per layer.

    Raises:
      ValueError: if ``sizes`` has fewer than two entries or a non-positive one, or ``init``
        is unknown.

    Example:
      >>> params = init_mlp(np.random.default_rng(0), [784, 256, 10], init="glorot")
      >>> [p["w"].shape for p in params], float(params[1]["b"].sum())
      ([(784, 256), (256, 10)], 0.0)
    """
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"init_mlp: sizes must list at least two positive layer widths (inputs first, "
            f"outputs last), got {sizes}; e.g. [64, 128, 10]."
        )
    if init not in ("he", "glorot"):
        raise ValueError(f"init_mlp: init must be 'he' or 'glorot', got {init!r}.")
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        if init == "he":
            w = rng.normal(0.0, math.sqrt(2.0 / fan_in), (fan_in, fan_out))
        else:
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            w = rng.uniform(-limit, limit, (fan_in, fan_out))
        params.append({"w": w.astype(dtype), "b": np.zeros(fan_out, dtype)})
    return params


def mlp(params: Params, x: Array, activation: Activation = fnp.tanh) -> Array:
    """Applies a multilayer perceptron: ``x @ w + b`` per layer, no activation after the last.

    Args:
      params: the layers, as :func:`init_mlp` returns them.
      x: one input of shape ``(in,)`` or a batch of shape ``(batch, in)``.
      activation: the elementwise function applied after every layer but the last.

    Returns:
      The last layer's outputs (e.g. logits), of shape ``(out,)`` or ``(batch, out)``.

    Example:
      >>> params = [{"w": np.array([[1.0, -1.0]]), "b": np.zeros(2)},
      ...           {"w": np.array([[1.0], [1.0]]), "b": np.array([0.5])}]
      >>> mlp(params, np.array([[2.0]]), activation=relu)  # relu([2, -2]) @ [1, 1] + 0.5
      array([[2.5]])
    """
    *hidden, last = params
    for layer in hidden:
        x = activation(x @ layer["w"] + layer["b"])
    return x @ last["w"] + last["b"]


# ---------------------------------------------------------------------------------------------
# Activations


def _abs(x: Array) -> Array:
    # |x| with derivative +1 at 0, matching the x >= 0 branches below: at 0 the formulas of
    # those branches are then differentiated as the smooth functions they are, to every order
    # (fnp.abs has derivative sign(0) = 0 there, which would lose the second derivative).
    return fnp.where(x >= 0, x, -x)


def relu(x: Array) -> Array:
    """The rectified linear unit, ``max(x, 0)``; its derivative at 0 is 0, as in JAX.

    Args:
      x: an array.

    Returns:
      ``x`` where positive, 0 elsewhere.

    Example:
      >>> relu(np.array([-2.0, 0.0, 3.0]))
      array([0., 0., 3.])
    """
    return fnp.where(x > 0, x, 0)


def tanh(x: Array) -> Array:
    """The hyperbolic tangent (``functrace.numpy.tanh``), for a uniform set of activations.

    Args:
      x: an array.

    Returns:
      ``tanh(x)``, in (-1, 1).

    Example:
      >>> tanh(np.array([0.0]))
      array([0.])
    """
    return fnp.tanh(x)


def sigmoid(x: Array) -> Array:
    """The logistic function ``1 / (1 + exp(-x))``, stable for any input.

    It is ``1 / (1 + z)`` for ``x >= 0`` and ``z / (1 + z)`` for ``x < 0`` with
    ``z = exp(-|x|) <= 1``, so nothing overflows, and small values keep full relative precision
    (``sigmoid(-40)`` is about ``4.2e-18``, not 0).

    Args:
      x: an array.

    Returns:
      ``sigmoid(x)``, in [0, 1].

    Example:
      >>> sigmoid(np.array([-1e4, 0.0, 1e4]))
      array([0. , 0.5, 1. ])
    """
    z = fnp.exp(-_abs(x))
    return fnp.where(x >= 0, 1 / (1 + z), z / (1 + z))


def softplus(x: Array) -> Array:
    """``log(1 + exp(x))``, a smooth ReLU, stable for any input.

    It is ``max(x, 0) + log1p(exp(-|x|))``: equal to ``logaddexp(x, 0)``, but written with a
    ``where`` so that its derivatives at 0 are right to every order (``softplus'' (0) = 1/4``).

    Args:
      x: an array.

    Returns:
      ``softplus(x)``, positive.

    Example:
      >>> softplus(np.array([-1e4, 0.0, 1e4]))
      array([0.00000000e+00, 6.93147181e-01, 1.00000000e+04])
    """
    return fnp.where(x >= 0, x, 0) + fnp.log1p(fnp.exp(-_abs(x)))


_GELU_C = math.sqrt(2.0 / math.pi)


def gelu(x: Array, approximate: bool = True) -> Array:
    """The Gaussian error linear unit (Hendrycks & Gimpel, 2016), as ``jax.nn.gelu``.

    By default (``approximate=True``) the tanh approximation
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))``; with
    ``approximate=False`` the exact ``x * Phi(x)``, where ``Phi`` is the standard normal CDF,
    computed as ``x * erfc(-x / sqrt(2)) / 2`` (accurate for negative ``x`` too, where
    ``1 + erf`` would cancel). The two differ by less than ``1e-3``.

    Args:
      x: an array.
      approximate: whether to use the tanh approximation.

    Returns:
      ``gelu(x)``.

    Example:
      >>> np.round(gelu(np.array([-1e4, 0.0, 1.0, 1e4])), 4)
      array([-0.000e+00,  0.000e+00,  8.412e-01,  1.000e+04])
      >>> np.round(gelu(np.array([-1e4, 0.0, 1.0, 1e4]), approximate=False), 4)
      array([-0.000e+00,  0.000e+00,  8.413e-01,  1.000e+04])
    """
    if not approximate:
        from functrace.scipy.special import ndtr  # noqa: PLC0415 - scipy.special imports nn

        return x * ndtr(x)
    return 0.5 * x * (1 + fnp.tanh(_GELU_C * (x + 0.044715 * x**3)))


# The rest of ``jax.nn``'s activations, with its values and its derivatives at the kinks
# (each ``where`` picks the branch whose derivative JAX gives there).


def relu6(x: Array) -> Array:
    """``min(max(x, 0), 6)``; derivative 0 at both kinks, as JAX's.

    Example:
      >>> relu6(np.array([-1.0, 3.0, 9.0]))
      array([0., 3., 6.])
    """
    return fnp.where(x >= 6, 6.0, fnp.where(x > 0, x, 0.0))


def leaky_relu(x: Array, negative_slope: float = 1e-2) -> Array:
    """``x`` where ``x >= 0``, ``negative_slope * x`` elsewhere (derivative 1 at 0).

    Example:
      >>> leaky_relu(np.array([-2.0, 3.0]), 0.5)
      array([-1.,  3.])
    """
    return fnp.where(x >= 0, x, negative_slope * x)


def elu(x: Array, alpha: float = 1.0) -> Array:
    """The exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Example:
      >>> np.round(elu(np.array([-1.0, 2.0])), 4)
      array([-0.6321,  2.    ])
    """
    safe = fnp.where(x > 0, 0.0, x)  # expm1 of large positive x would overflow unused
    return fnp.where(x > 0, x, alpha * fnp.expm1(safe))


def celu(x: Array, alpha: float = 1.0) -> Array:
    """The continuously differentiable ELU: ``max(x, 0) + alpha * min(exp(x / alpha) - 1, 0)``.

    Example:
      >>> np.round(celu(np.array([-1.0, 2.0]), 2.0), 4)
      array([-0.7869,  2.    ])
    """
    # As JAX's, with max and min: at 0 their ties split the derivatives (1, then 1/4).
    return fnp.maximum(x, 0.0) + alpha * fnp.expm1(fnp.minimum(x, 0.0) / alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Array) -> Array:
    """The scaled ELU of Klambauer et al. (2017): ``scale * elu(x, alpha)`` with their
    constants.

    Example:
      >>> np.round(selu(np.array([-1.0, 1.0])), 4)
      array([-1.1113,  1.0507])
    """
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def silu(x: Array) -> Array:
    """The sigmoid-weighted linear unit (swish), ``x * sigmoid(x)``.

    Example:
      >>> np.round(silu(np.array([-1.0, 0.0, 1.0])), 4)
      array([-0.2689,  0.    ,  0.7311])
    """
    return x * sigmoid(x)


swish = silu


def log_sigmoid(x: Array) -> Array:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for any input.

    Example:
      >>> np.round(log_sigmoid(np.array([-1e4, 0.0])), 4)
      array([-1.000e+04, -6.931e-01])
    """
    return -softplus(-x)


def soft_sign(x: Array) -> Array:
    """``x / (|x| + 1)``.

    Example:
      >>> soft_sign(np.array([-3.0, 1.0]))
      array([-0.75,  0.5 ])
    """
    return x / (_abs(x) + 1)


def hard_tanh(x: Array) -> Array:
    """``x`` clipped to ``[-1, 1]``; derivative 1 at the kinks, as JAX's.

    Example:
      >>> hard_tanh(np.array([-2.0, 0.5, 2.0]))
      array([-1. ,  0.5,  1. ])
    """
    return fnp.where(x > 1, 1.0, fnp.where(x < -1, -1.0, x))


def hard_sigmoid(x: Array) -> Array:
    """``relu6(x + 3) / 6``, a piecewise linear sigmoid.

    Example:
      >>> hard_sigmoid(np.array([-4.0, 0.0, 4.0]))
      array([0. , 0.5, 1. ])
    """
    return relu6(x + 3.0) / 6.0


def hard_silu(x: Array) -> Array:
    """``x * hard_sigmoid(x)`` (hard swish).

    Example:
      >>> hard_silu(np.array([-4.0, 0.0, 4.0]))
      array([-0.,  0.,  4.])
    """
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def squareplus(x: Array, b: float = 4.0) -> Array:
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU of Barron (2021).

    Example:
      >>> squareplus(np.array([0.0]))
      array([1.])
    """
    return (x + fnp.sqrt(x * x + b)) / 2


def mish(x: Array) -> Array:
    """``x * tanh(softplus(x))`` (Misra, 2019).

    Example:
      >>> np.round(mish(np.array([-1.0, 1.0])), 4)
      array([-0.3034,  0.8651])
    """
    return x * fnp.tanh(softplus(x))


def sparse_plus(x: Array) -> Array:
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` between.

    Example:
      >>> sparse_plus(np.array([-2.0, 0.0, 2.0]))
      array([0.  , 0.25, 2.  ])
    """
    return fnp.where(x <= -1, 0.0, fnp.where(x >= 1, x, (x + 1) ** 2 / 4))


def sparse_sigmoid(x: Array) -> Array:
    """``clip(x + 1, 0, 2) / 2``, the derivative of :func:`sparse_plus` (at the kinks, half
    the slope, as JAX's ``clip``).

    Example:
      >>> sparse_sigmoid(np.array([-2.0, 0.0, 2.0]))
      array([0. , 0.5, 1. ])
    """
    return 0.5 * fnp.clip(x + 1.0, 0.0, 2.0)


def log1mexp(x: Array) -> Array:
    """``log(1 - exp(-x))`` for ``x > 0``, accurate for small and large ``x`` (Maechler,
    2012: ``log(-expm1(-x))`` below ``log 2``, ``log1p(-exp(-x))`` above).

    Example:
      >>> np.round(log1mexp(np.array([1e-10, 50.0])), 4)
      array([-23.0259,  -0.    ])
    """
    big = x > math.log(2.0)
    # Each branch sees inputs it is finite on (where differentiates both: see the module).
    return fnp.where(big, fnp.log1p(-fnp.exp(-fnp.where(big, x, 1.0))),
                     fnp.log(-fnp.expm1(-fnp.where(big, 1.0, x))))


def identity(x: Array) -> Array:
    """``x`` itself (``jax.nn.identity``)."""
    return x


def glu(x: Array, axis: int = -1) -> Array:
    """The gated linear unit: ``x`` split in two halves ``a, b`` along ``axis``, ``a * sigmoid(b)``.

    Example:
      >>> glu(np.array([2.0, 0.0]))
      array([1.])
    """
    n = _shape(x)[axis]
    if n % 2:
        raise ValueError(f"glu: axis {axis} has odd length {n}; it must split into two halves.")
    a, b = fnp.split(x, 2, axis=axis)
    return a * sigmoid(b)


def one_hot(x: Array, num_classes: int, *, dtype: Any = np.float64, axis: int = -1) -> Array:
    """Integer class indices as one-hot vectors along a new ``axis`` of length
    ``num_classes`` (indices out of range give zero rows), as ``jax.nn.one_hot``; float64 by
    default (NumPy's float).

    Example:
      >>> one_hot(np.array([0, 2, 5]), 3)
      array([[1., 0., 0.],
             [0., 0., 1.],
             [0., 0., 0.]])
    """
    x = fnp.asarray(x)
    ndim = len(_shape(x)) + 1
    axis = axis % ndim if -ndim <= axis < ndim else _bad_axis(axis, ndim)
    classes = np.arange(num_classes).reshape([-1 if d == axis else 1 for d in range(ndim)])
    return fnp.asarray(fnp.expand_dims(x, axis) == classes, dtype=dtype)


def _bad_axis(axis: int, ndim: int) -> int:
    raise ValueError(f"one_hot: axis {axis} is out of range for a result of {ndim} dimensions.")


def standardize(x: Array, axis: int | Sequence[int] | None = -1, mean: Array | None = None,
                variance: Array | None = None, epsilon: float = 1e-5) -> Array:
    """``(x - mean) / sqrt(variance + epsilon)``, the mean and variance over ``axis`` unless
    given (the variance as ``mean(x**2) - mean**2``, as JAX's).

    Example:
      >>> np.round(standardize(np.array([1.0, 3.0])), 4)
      array([-1.,  1.])
    """
    axes = None if axis is None else axis if isinstance(axis, int) else tuple(axis)
    if mean is None:
        mean = fnp.mean(x, axis=axes, keepdims=True)
    if variance is None:
        variance = fnp.mean(x * x, axis=axes, keepdims=True) - mean * mean
    return (x - mean) / fnp.sqrt(variance + epsilon)


def logsumexp(a: Array, axis: Any = None, b: Array | None = None, keepdims: bool = False,
              return_sign: bool = False, where: Array | None = None) -> Any:
    """``jax.nn.logsumexp``: :func:`functrace.numpy.logsumexp`; ``where`` leaves the entries
    where it is False out (as if they were ``-inf``; no derivative reaches them)."""
    if where is not None:
        a = fnp.where(where, a, -np.inf)
    return fnp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)


def logmeanexp(x: Array, axis: Any = None, where: Array | None = None,
               keepdims: bool = False) -> Array:
    """``log(mean(exp(x)))`` over ``axis``, stably: ``logsumexp(x) - log(n)``, over the entries
    where ``where`` holds when it is given.

    Example:
      >>> float(logmeanexp(np.array([0.0, np.log(3.0)])))  # log(2)
      0.6931471805599453
    """
    x = fnp.asarray(x)
    if where is None:
        shape = _shape(x)
        axes = range(len(shape)) if axis is None else [axis] if isinstance(axis, int) else axis
        count: Any = math.prod(shape[a] for a in axes)
        return fnp.logsumexp(x, axis=axis, keepdims=keepdims) - math.log(count)
    count = fnp.sum(fnp.broadcast_to(where, _shape(x)), axis=axis, keepdims=keepdims)
    return logsumexp(x, axis=axis, keepdims=keepdims, where=where) - fnp.log(count)


def dot_product_attention(query: Array, key: Array, value: Array, bias: Array | None = None,
                          mask: Array | None = None, *, scale: float | None = None,
                          is_causal: bool = False, query_seq_lengths: Array | None = None,
                          key_value_seq_lengths: Array | None = None,
                          local_window_size: int | tuple[int, int] | None = None,
                          implementation: str | None = None) -> Array:
    """Scaled dot-product attention, ``softmax(q k^T * scale + bias) v`` per head, as
    ``jax.nn.dot_product_attention``.

    Shapes: ``query`` ``(B, T, N, H)`` (or ``(T, N, H)``), ``key`` and ``value``
    ``(B, S, K, H)`` with ``N`` a multiple of ``K`` (grouped-query attention: each key/value
    head serves ``N // K`` query heads).  ``bias`` and the boolean ``mask`` (True takes part)
    broadcast to ``(B, N, T, S)``; ``is_causal`` lets query ``t`` see keys ``s <= t``;
    ``query_seq_lengths`` / ``key_value_seq_lengths`` (one per batch entry) mask the padding
    (padded queries give zero rows);
    ``local_window_size`` ``(left, right)`` (or one number for both) lets ``t`` see
    ``t - left <= s <= t + right``.  ``scale`` defaults to ``1 / sqrt(H)``.  Masked logits
    become a large negative number, as JAX's, so a fully masked row attends uniformly.
    Returns ``(B, T, N, H)`` (or ``(T, N, H)``).

    Example:
      >>> q = k = v = np.ones((2, 3, 1, 4))
      >>> dot_product_attention(q, k, v, is_causal=True).shape
      (2, 3, 1, 4)
    """
    if implementation not in (None, "xla"):
        raise NotImplementedError(f"dot_product_attention: implementation={implementation!r} "
                                  "is not available (functrace computes with NumPy).")
    query, key, value = fnp.asarray(query), fnp.asarray(key), fnp.asarray(value)
    unbatched = len(_shape(query)) == 3
    if unbatched:
        query, key, value = (fnp.expand_dims(a, 0) for a in (query, key, value))
    b, t, n, h = _shape(query)
    s_len, k_heads = _shape(key)[1], _shape(key)[2]
    if _shape(key) != _shape(value) or _shape(key)[0] != b or _shape(key)[3] != h \
            or n % k_heads:
        raise ValueError(f"dot_product_attention: query {_shape(query)}, key {_shape(key)} "
                         f"and value {_shape(value)} do not fit (B, T, N, H), (B, S, K, H) "
                         "with N a multiple of K.")
    if k_heads != n:  # grouped-query attention: each key/value head repeated for its group
        key = fnp.repeat(key, n // k_heads, axis=2)
        value = fnp.repeat(value, n // k_heads, axis=2)
    dtype = _dtype(query)
    scale = 1.0 / math.sqrt(h) if scale is None else scale
    logits = fnp.einsum("btnh,bsnh->bnts", query, key) * scale
    if bias is not None:
        logits = logits + bias
    keep = None if mask is None else fnp.broadcast_to(fnp.asarray(mask, bool), (b, n, t, s_len))
    rows = np.arange(t)[:, None]
    cols = np.arange(s_len)[None, :]
    static = np.ones((t, s_len), bool)
    if is_causal:
        static &= cols <= rows
    if local_window_size is not None:
        left, right = ((local_window_size, local_window_size)
                       if isinstance(local_window_size, int) else local_window_size)
        static &= (cols >= rows - left) & (cols <= rows + right)
    if not static.all():
        keep = static if keep is None else keep & static
    for lengths, axis in ((query_seq_lengths, 2), (key_value_seq_lengths, 3)):
        if lengths is not None:
            size = t if axis == 2 else s_len
            within = fnp.expand_dims(np.arange(size), 0) < fnp.expand_dims(lengths, 1)  # (B, L)
            within = fnp.expand_dims(within, (1, 3) if axis == 2 else (1, 2))
            keep = within if keep is None else keep & within
    if keep is not None:
        logits = fnp.where(keep, logits, -0.7 * float(np.finfo(dtype).max))
    weights = softmax(logits, axis=-1)
    out = fnp.einsum("bnts,bsnh->btnh", weights, value)
    if query_seq_lengths is not None:  # padded queries give zero rows, as JAX's
        valid = fnp.expand_dims(np.arange(t), 0) < fnp.expand_dims(query_seq_lengths, 1)
        out = fnp.where(fnp.expand_dims(valid, (2, 3)), out, 0.0)
    return out[0] if unbatched else out


def log_softmax(x: Array, axis: int = -1, where: Array | None = None) -> Array:
    """The logarithm of :func:`softmax`, ``x - logsumexp(x)``, stable for any input.

    As in JAX, it is computed as ``shifted - log(sum(exp(shifted)))`` with ``shifted = x -
    max(x)``: subtracting the maximum first is exact for the largest entries, so float32 keeps
    ``log(1/3)`` to full precision even for logits near 1e4. The maximum is held constant for
    differentiation (``stop_gradient``), which is exact since the result does not depend on it.

    Args:
      x: an array of logits.
      axis: the axis the probabilities are normalised over.
      where: optional mask (broadcastable to ``x``): the entries where it is False take no
        part, and their result is ``-inf`` (JAX's ``where``).

    Returns:
      Log-probabilities, the shape of ``x``; ``exp`` of them sums to 1 along ``axis``.

    Example:
      >>> log_softmax(np.array([0.0, 1e4]))
      array([-10000.,      0.])
      >>> log_softmax(np.array([0.0, 1e4]), where=np.array([True, False]))
      array([  0., -inf])
    """
    if where is None:
        shifted = x - fnp.stop_gradient(fnp.max(x, axis=axis, keepdims=True))
        return shifted - fnp.log(fnp.sum(fnp.exp(shifted), axis=axis, keepdims=True))
    # Masked entries: out of the max and the sum, and -inf (a constant: no derivative) in
    # the result; a fully masked slice gives -inf throughout (softmax 0), as JAX's.
    low = fnp.stop_gradient(fnp.max(fnp.where(where, x, -np.inf), axis=axis, keepdims=True))
    shifted = x - fnp.where(fnp.isfinite(low), low, 0.0)
    total = fnp.sum(fnp.where(where, fnp.exp(fnp.where(where, shifted, 0.0)), 0.0), axis=axis,
                    keepdims=True)
    # (A fully masked slice sums to 0: its log is taken of 1 instead, so that neither the
    # value nor a derivative divides by 0 before the mask replaces them.)
    out = shifted - fnp.log(fnp.where(total > 0, total, 1.0))
    return fnp.where(where, out, -np.inf)


def softmax(x: Array, axis: int = -1, where: Array | None = None) -> Array:
    """Normalised exponentials, ``exp(x) / sum(exp(x))``, stable for any input.

    Args:
      x: an array of logits.
      axis: the axis the probabilities are normalised over.
      where: optional mask: the entries where it is False take no part and get 0.

    Returns:
      Probabilities, the shape of ``x``, summing to 1 along ``axis``.

    Example:
      >>> softmax(np.array([[0.0, np.log(3.0)], [-1e4, 1e4]]))
      array([[0.25, 0.75],
             [0.  , 1.  ]])
    """
    return fnp.exp(log_softmax(x, axis, where))


# ---------------------------------------------------------------------------------------------
# Losses and metrics


def mse(pred: Array, target: Array) -> Array:
    """The mean squared error, averaged over all elements.

    Args:
      pred: predictions.
      target: targets, broadcastable to ``pred``.

    Returns:
      A scalar, ``mean((pred - target) ** 2)``.

    Example:
      >>> float(mse(np.array([[1.0, 2.0]]), np.array([[1.0, 4.0]])))
      2.0
    """
    return fnp.mean((pred - target) ** 2)


def _dtype(x: Array) -> np.dtype:
    return fnp.asarray(x).dtype


def _shape(x: Array) -> tuple[int, ...]:
    return tuple(fnp.asarray(x).shape)


def _class_targets(name: str, logits: Array, labels: Array) -> Array:
    """Integer labels as one-hot rows of ``logits``' dtype; probability rows unchanged."""
    labels = fnp.asarray(labels)
    logits_shape, labels_shape = _shape(logits), _shape(labels)
    if _dtype(labels).kind in "iub":
        if labels_shape != logits_shape[:-1]:
            raise ValueError(
                f"{name}: integer labels must have shape logits.shape[:-1] = "
                f"{logits_shape[:-1]}, one class index per row of logits {logits_shape}; "
                f"got labels of shape {labels_shape}."
            )
        # Labels are data, never differentiated: a comparison against the class indices
        # builds the one-hot rows with no indexing primitive.
        classes = np.arange(logits_shape[-1])
        one_hot = fnp.expand_dims(labels, -1) == classes
        return fnp.asarray(one_hot, dtype=_dtype(logits))
    if labels_shape != logits_shape:
        raise ValueError(
            f"{name}: one-hot or probability labels must have the shape of the logits, "
            f"{logits_shape}; got {labels_shape}. Pass integer class indices of shape "
            f"{logits_shape[:-1]} instead."
        )
    return labels


def softmax_cross_entropy(logits: Array, labels: Array) -> Array:
    """The cross-entropy between ``softmax(logits)`` and the labels, averaged over the batch.

    Args:
      logits: unnormalised log-probabilities, shape ``(batch, classes)`` (or ``(classes,)``
        for one example).
      labels: integer class indices of shape ``(batch,)``, or one-hot or probability rows of
        the logits' shape.

    Returns:
      A scalar, the mean over the batch of ``-sum(labels * log_softmax(logits))``.

    Raises:
      ValueError: if the labels' shape does not fit the logits.

    Example:
      >>> logits = np.array([[0.0, 0.0], [0.0, 1e4]])
      >>> round(float(softmax_cross_entropy(logits, np.array([0, 1]))), 6)  # (log 2 + 0) / 2
      0.346574
      >>> round(float(softmax_cross_entropy(logits, np.array([[1.0, 0.0], [0.0, 1.0]]))), 6)
      0.346574
    """
    targets = _class_targets("softmax_cross_entropy", logits, labels)
    return -fnp.mean(fnp.sum(targets * log_softmax(logits), axis=-1))


def l2_penalty(params: Params) -> Array:
    """The sum of squares of the weights ``"w"`` of every layer; biases are not penalised.

    There is no factor 1/2: add ``0.5 * l2 * l2_penalty(params)`` to a loss for the usual
    weight decay of ``l2 * w`` in the gradient.

    Args:
      params: the layers, as :func:`init_mlp` returns them.

    Returns:
      A scalar.

    Example:
      >>> float(l2_penalty([{"w": np.array([[1.0, 2.0]]), "b": np.array([5.0, 5.0])},
      ...                   {"w": np.array([[3.0], [0.0]]), "b": np.array([5.0])}]))
      14.0
    """
    return sum(fnp.sum(layer["w"] * layer["w"]) for layer in params)


def accuracy(logits: Array, labels: Array) -> Array:
    """The fraction of rows whose largest logit is at the label's class.

    Args:
      logits: scores, shape ``(batch, classes)``.
      labels: integer class indices of shape ``(batch,)``, or one-hot (or probability) rows of
        the logits' shape, whose largest entry is the class.

    Returns:
      A scalar in [0, 1] (not differentiable: its gradient is zero).

    Example:
      >>> logits = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 4.0]])
      >>> float(accuracy(logits, np.array([0, 1, 1])))
      0.6666666666666666
    """
    labels = fnp.asarray(labels)
    if _dtype(labels).kind not in "iub":
        labels = fnp.argmax(labels, axis=-1)
    if _shape(labels) != _shape(logits)[:-1]:
        raise ValueError(
            f"accuracy: labels of shape {_shape(labels)} do not fit logits of shape "
            f"{_shape(logits)}; pass class indices of shape {_shape(logits)[:-1]} or rows "
            "of the logits' shape."
        )
    return fnp.mean(fnp.argmax(logits, axis=-1) == labels)


__all__ = [
    "Activation",
    "Params",
    "accuracy",
    "celu",
    "dot_product_attention",
    "elu",
    "gelu",
    "glu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "identity",
    "init_mlp",
    "l2_penalty",
    "leaky_relu",
    "log1mexp",
    "log_sigmoid",
    "log_softmax",
    "logmeanexp",
    "logsumexp",
    "mish",
    "mlp",
    "mse",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_sign",
    "softmax",
    "softmax_cross_entropy",
    "softplus",
    "sparse_plus",
    "sparse_sigmoid",
    "squareplus",
    "standardize",
    "swish",
    "tanh",
]
