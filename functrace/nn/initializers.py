"""``functrace.nn.initializers``: ``jax.nn.initializers``, weight initialisers on
:mod:`functrace.random` keys.

Each public function but :func:`zeros` and :func:`ones` *builds* an initialiser; an initialiser
is a function ``init(key, shape, dtype=None)`` that returns a fresh array of ``shape`` drawn
with ``key`` (a :func:`functrace.random.PRNGKey`).  ``zeros`` and ``ones`` are initialisers
themselves.  The default dtype is float64, NumPy's and functrace's float (JAX's default with
``jax_enable_x64``); pass ``dtype=`` to the builder (the initialiser's default) or to the
initialiser.  Float32, float64, complex64 and complex128 are accepted where JAX accepts them.

Because :mod:`functrace.random` draws JAX's numbers, an initialiser gives the array JAX's
gives for the same key, shape and dtype (with ``jax_enable_x64``): bit for bit for
``uniform``, ``normal``, ``truncated_normal`` and the variance-scaling family on real dtypes,
and to rounding for ``orthogonal`` (a QR factorisation) and complex dtypes.  Initialisers are
ordinary functions of the key, so they work under ``jit`` and ``vmap`` (over keys).

The variance-scaling family (``glorot_*``, ``lecun_*``, ``he_*``) reads a layer's fan-in and
fan-out from the weight's shape as JAX does: ``in_axis`` (default -2) and ``out_axis``
(default -1) name the input and output axes, ``batch_axis`` (default none) axes to ignore, and
every other axis is a convolution's receptive field, whose size multiplies both fans.

Example:
    >>> import functrace as ft
    >>> from functrace import random
    >>> init = ft.nn.initializers.glorot_normal()
    >>> w = init(random.PRNGKey(0), (784, 256))
    >>> w.shape, w.dtype
    ((784, 256), dtype('float64'))
    >>> ft.nn.initializers.zeros(random.PRNGKey(0), (2,))
    array([0., 0.])
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any, Literal, Protocol, TypeAlias, runtime_checkable

import numpy as np

import functrace.numpy as fnp
from functrace import random
from functrace.core import Tracer

__all__ = [
    "Initializer",
    "constant",
    "delta_orthogonal",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

Array: TypeAlias = Any
"""A NumPy array, or a functrace tracer standing for one."""

DTypeLike: TypeAlias = Any
"""Anything ``np.dtype`` accepts; ``None`` for the default, float64."""

Axes: TypeAlias = int | Sequence[int]
"""One axis or several."""


@runtime_checkable
class Initializer(Protocol):
    """What the builders return: ``init(key, shape, dtype=None) -> array`` (JAX's protocol,
    without its ``out_sharding``: functrace has one device)."""

    def __call__(self, key: Array, shape: Sequence[int], dtype: DTypeLike = None) -> Array:
        ...


# Standard deviations of a standard normal truncated to (-2, 2), and of a complex standard
# normal (variance 1) whose modulus is truncated to 2: the variance-scaling initialisers divide
# by them so that the truncated samples have the requested variance.
_TRUNCATED_STD = 0.87962566103423978
_COMPLEX_TRUNCATED_STD = 0.95311164380491208


def _shape(name: str, shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)  # jax.nn.initializers accepts a bare int too
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"{name}: shape must be a sequence of integers, got {shape!r}.") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"{name}: shape must not have negative dimensions, got {dims}.")
    return dims


def _dtype(name: str, dtype: DTypeLike, complex_ok: bool = True) -> np.dtype[Any]:
    dt = np.dtype(np.float64 if dtype is None else dtype)
    allowed = (np.float32, np.float64) + ((np.complex64, np.complex128) if complex_ok else ())
    if dt not in allowed:
        kinds = "float32, float64, complex64 or complex128" if complex_ok else \
            "float32 or float64"
        raise ValueError(f"{name}: dtype must be {kinds}, got {dt}.")
    return dt


def _real(dt: np.dtype[Any]) -> np.dtype[Any]:
    return np.dtype(np.float32) if dt == np.complex64 else \
        np.dtype(np.float64) if dt == np.complex128 else dt


def _result(x: Any) -> Array:
    """Concrete results as NumPy arrays (0-d for scalars), tracers as they are."""
    return x if isinstance(x, Tracer) else np.asarray(x)


def _complex_uniform(key: Array, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
    """Uniform on the disk of radius sqrt(2) (mean 0, variance 1), as JAX's: radius
    ``sqrt(2 u)`` (so that the area is uniform), angle ``2 pi v``."""
    key_r, key_theta = random.split(key)
    real = _real(dtype)
    r = fnp.asarray(fnp.sqrt(2 * random.uniform(key_r, shape, real)), dtype)
    theta = np.asarray(2 * np.pi, dtype) * fnp.asarray(random.uniform(key_theta, shape, real),
                                                      dtype)
    return r * fnp.exp(np.asarray(1j, dtype) * theta)


def _complex_truncated_normal(key: Array, upper: float, shape: tuple[int, ...],
                              dtype: np.dtype[Any]) -> Array:
    """Complex normal samples (variance 1 before truncation) whose modulus is below
    ``upper``, as JAX's: the squared modulus is exponential, so invert its CDF on the
    truncated range; the angle is uniform."""
    key_r, key_theta = random.split(key)
    real = _real(dtype)
    top = 1 - np.exp(np.asarray(-(upper ** 2), dtype))
    tail = top * fnp.asarray(random.uniform(key_r, shape, real), dtype)
    r = fnp.sqrt(-fnp.log(1 - tail))
    theta = np.asarray(2 * np.pi, dtype) * fnp.asarray(random.uniform(key_theta, shape, real),
                                                      dtype)
    return r * fnp.exp(np.asarray(1j, dtype) * theta)


# -- constants ----------------------------------------------------------------------------------


def zeros(key: Array, shape: Sequence[int], dtype: DTypeLike = None) -> Array:
    """An initialiser: an array of zeros (the key is not used).

    Example:
      >>> from functrace import random
      >>> zeros(random.PRNGKey(0), (2, 3), "float32")
      array([[0., 0., 0.],
             [0., 0., 0.]], dtype=float32)
    """
    return np.zeros(_shape("zeros", shape), _dtype("zeros", dtype))


def ones(key: Array, shape: Sequence[int], dtype: DTypeLike = None) -> Array:
    """An initialiser: an array of ones (the key is not used).

    Example:
      >>> from functrace import random
      >>> ones(random.PRNGKey(0), (3,))
      array([1., 1., 1.])
    """
    return np.ones(_shape("ones", shape), _dtype("ones", dtype))


def constant(value: Any, dtype: DTypeLike = None) -> Initializer:
    """Builds an initialiser of arrays filled with ``value``.

    Args:
      value: the constant (a number, or an array that broadcasts to the shape).
      dtype: the initialiser's default dtype (float64 when None).

    Returns:
      ``init(key, shape, dtype=dtype)``; the key is not used.

    Example:
      >>> from functrace import random
      >>> constant(-7)(random.PRNGKey(0), (2, 2))
      array([[-7., -7.],
             [-7., -7.]])
    """
    default = dtype

    def init(key: Array, shape: Sequence[int], dtype: DTypeLike = default) -> Array:
        dims = _shape("constant", shape)
        dt = _dtype("constant", dtype)
        if isinstance(value, Tracer):
            return fnp.broadcast_to(fnp.asarray(value, dt), dims)
        return np.full(dims, value, dt)

    return init


# -- plain distributions ------------------------------------------------------------------------


def uniform(scale: float = 1e-2, dtype: DTypeLike = None) -> Initializer:
    """Builds an initialiser of uniform samples in ``[0, scale)``.

    Args:
      scale: the upper bound.
      dtype: the initialiser's default dtype (float32 or float64, the default).

    Example:
      >>> from functrace import random
      >>> uniform(10.0)(random.PRNGKey(0), (3,))
      array([4.18457112, 2.16295455, 9.65321461])
    """
    default = dtype

    def init(key: Array, shape: Sequence[int], dtype: DTypeLike = default) -> Array:
        dt = _dtype("uniform", dtype, complex_ok=False)
        return _result(random.uniform(key, _shape("uniform", shape), dt) * np.asarray(scale, dt))

    return init


def normal(stddev: float = 1e-2, dtype: DTypeLike = None) -> Initializer:
    """Builds an initialiser of normal samples of mean 0 and standard deviation ``stddev``
    (complex dtypes: real and imaginary parts each of variance ``stddev**2 / 2``).

    Args:
      stddev: the standard deviation.
      dtype: the initialiser's default dtype (float64 when None; complex too).

    Example:
      >>> from functrace import random
      >>> normal(1.0)(random.PRNGKey(0), (3,))
      array([-0.20584214, -0.78476578,  1.81608667])
    """
    default = dtype

    def init(key: Array, shape: Sequence[int], dtype: DTypeLike = default) -> Array:
        dt = _dtype("normal", dtype)
        return _result(random.normal(key, _shape("normal", shape), dt) * np.asarray(stddev, dt))

    return init


def truncated_normal(stddev: float = 1e-2, dtype: DTypeLike = None, lower: float = -2.0,
                     upper: float = 2.0) -> Initializer:
    """Builds an initialiser of normal samples truncated to ``(lower, upper)`` and then
    multiplied by ``stddev`` (so within ``(lower * stddev, upper * stddev)``; ``stddev`` is
    the untruncated distribution's, as in JAX: no correction for the truncation).

    Args:
      stddev: the scale.
      dtype: the initialiser's default dtype (float32 or float64, the default).
      lower, upper: the truncation bounds, in units of ``stddev``.

    Example:
      >>> from functrace import random
      >>> w = truncated_normal(5.0)(random.PRNGKey(0), (1000,))
      >>> bool(abs(w).max() < 10.0)
      True
    """
    default = dtype

    def init(key: Array, shape: Sequence[int], dtype: DTypeLike = default) -> Array:
        dt = _dtype("truncated_normal", dtype, complex_ok=False)
        samples = random.truncated_normal(key, lower, upper, _shape("truncated_normal", shape),
                                          dt)
        return _result(samples * np.asarray(stddev, dt))

    return init


# -- variance scaling ---------------------------------------------------------------------------


def _axes_size(shape: tuple[int, ...], axes: Axes, role: str) -> int:
    ndim = len(shape)
    picked = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    for a in picked:
        if not -ndim <= a < ndim:
            raise ValueError(f"variance_scaling: {role} {a} is out of range for a weight of "
                             f"shape {shape} ({ndim} dimensions).")
    return math.prod(shape[a] for a in picked)


def _compute_fans(shape: tuple[int, ...], in_axis: Axes = -2, out_axis: Axes = -1,
                  batch_axis: Axes = ()) -> tuple[float, float]:
    """A layer's fan-in and fan-out: the sizes of the input and output axes, each times the
    receptive field (the product of the axes that are neither input, output nor batch)."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"variance_scaling: cannot tell the input and output sizes of a "
                         f"{len(shape)}-dimensional weight of shape {shape} with the default "
                         "in_axis=-2; use a shape of at least 2 dimensions, or pass in_axis "
                         "and out_axis.")
    in_size = _axes_size(shape, in_axis, "in_axis")
    out_size = _axes_size(shape, out_axis, "out_axis")
    batch_size = _axes_size(shape, batch_axis, "batch_axis")
    receptive_field = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive_field, out_size * receptive_field


_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")


def variance_scaling(scale: float,
                     mode: Literal["fan_in", "fan_out", "fan_avg", "fan_geo_avg"],
                     distribution: Literal["truncated_normal", "normal", "uniform"],
                     in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                     dtype: DTypeLike = None) -> Initializer:
    """Builds an initialiser whose samples have mean 0 and variance ``scale / n``, with ``n``
    read from the weight's shape according to ``mode``:

    * ``"fan_in"``: the number of inputs; ``"fan_out"``: the number of outputs;
    * ``"fan_avg"``: their mean; ``"fan_geo_avg"``: their geometric mean.

    ``distribution`` is ``"normal"``, ``"truncated_normal"`` (a normal cut at two standard
    deviations, rescaled so that the variance after the cut is ``scale / n``) or
    ``"uniform"`` (on ``[-sqrt(3 scale / n), sqrt(3 scale / n))``).  For complex dtypes the
    samples are circular: a complex normal, one whose modulus is truncated, or a uniform disk.

    Args:
      scale: the variance's numerator (positive).
      mode: which fan divides it (above).
      distribution: the distribution (above).
      in_axis, out_axis: the weight's input and output axes (one or several each).
      batch_axis: axes left out of both fans.
      dtype: the initialiser's default dtype (float64 when None).

    Returns:
      ``init(key, shape, dtype=dtype)``.

    Raises:
      ValueError: an unknown ``mode`` or ``distribution`` (when the initialiser is called, as
        in JAX), a weight of fewer than 2 dimensions with the default ``in_axis``, or an axis
        out of range.

    Example:
      >>> from functrace import random
      >>> init = variance_scaling(2.0, "fan_in", "normal")
      >>> w = init(random.PRNGKey(0), (500, 400))
      >>> round(float(w.var() * 500), 1)   # about scale = 2
      2.0
    """
    default = dtype

    def init(key: Array, shape: Sequence[int], dtype: DTypeLike = default) -> Array:
        dims = _shape("variance_scaling", shape)
        dt = _dtype("variance_scaling", dtype)
        fan_in, fan_out = _compute_fans(dims, in_axis, out_axis, batch_axis)
        if mode == "fan_in":
            denominator = fan_in
        elif mode == "fan_out":
            denominator = fan_out
        elif mode == "fan_avg":
            denominator = (fan_in + fan_out) / 2
        elif mode == "fan_geo_avg":
            denominator = (fan_in * fan_out) ** 0.5
        else:
            raise ValueError(f"variance_scaling: mode must be one of {_MODES}, got {mode!r}.")
        variance = np.asarray(scale / denominator, dt)
        is_complex = dt.kind == "c"
        if distribution == "truncated_normal":
            if is_complex:
                stddev = np.sqrt(variance) / np.asarray(_COMPLEX_TRUNCATED_STD, dt)
                return _result(_complex_truncated_normal(key, 2.0, dims, dt) * stddev)
            stddev = np.sqrt(variance) / np.asarray(_TRUNCATED_STD, dt)
            return _result(random.truncated_normal(key, -2, 2, dims, dt) * stddev)
        if distribution == "normal":
            return _result(random.normal(key, dims, dt) * np.sqrt(variance))
        if distribution == "uniform":
            if is_complex:
                return _result(_complex_uniform(key, dims, dt) * np.sqrt(variance))
            return _result(random.uniform(key, dims, dt, -1) * np.sqrt(3 * variance))
        raise ValueError(f"variance_scaling: distribution must be one of {_DISTRIBUTIONS}, "
                         f"got {distribution!r}.")

    return init


def glorot_uniform(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                   dtype: DTypeLike = None) -> Initializer:
    """Glorot (Xavier) uniform: ``variance_scaling(1.0, "fan_avg", "uniform")``, variance
    ``2 / (fan_in + fan_out)`` (Glorot & Bengio, 2010).

    Example:
      >>> from functrace import random
      >>> w = glorot_uniform()(random.PRNGKey(0), (30, 20))
      >>> bool(abs(w).max() <= (6 / 50) ** 0.5)
      True
    """
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                  dtype: DTypeLike = None) -> Initializer:
    """Glorot (Xavier) normal: ``variance_scaling(1.0, "fan_avg", "truncated_normal")``.

    Example:
      >>> from functrace import random
      >>> glorot_normal()(random.PRNGKey(0), (3, 3, 8, 16)).shape   # a 3x3 convolution
      (3, 3, 8, 16)
    """
    return variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def lecun_uniform(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                  dtype: DTypeLike = None) -> Initializer:
    """LeCun uniform: ``variance_scaling(1.0, "fan_in", "uniform")``, variance ``1 / fan_in``.

    Example:
      >>> from functrace import random
      >>> lecun_uniform()(random.PRNGKey(0), (4, 2), "float32").dtype
      dtype('float32')
    """
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
                 dtype: DTypeLike = None) -> Initializer:
    """LeCun normal: ``variance_scaling(1.0, "fan_in", "truncated_normal")``.

    Example:
      >>> from functrace import random
      >>> lecun_normal()(random.PRNGKey(0), (4, 2)).shape
      (4, 2)
    """
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


def he_uniform(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
               dtype: DTypeLike = None) -> Initializer:
    """He (Kaiming) uniform: ``variance_scaling(2.0, "fan_in", "uniform")``, variance
    ``2 / fan_in`` (He et al., 2015, for ReLU networks).

    Example:
      >>> from functrace import random
      >>> he_uniform()(random.PRNGKey(0), (4, 2)).shape
      (4, 2)
    """
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis: Axes = -2, out_axis: Axes = -1, batch_axis: Axes = (),
              dtype: DTypeLike = None) -> Initializer:
    """He (Kaiming) normal: ``variance_scaling(2.0, "fan_in", "truncated_normal")``.

    Example:
      >>> from functrace import random
      >>> he_normal()(random.PRNGKey(0), (4, 2)).shape
      (4, 2)
    """
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis,
                            dtype)


xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


# -- orthogonal ---------------------------------------------------------------------------------


def orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: DTypeLike = None
               ) -> Initializer:
    """Builds an initialiser of (scaled) random orthogonal matrices, uniform (Haar).

    The weight is read as a matrix whose columns lie along ``column_axis`` and whose rows are
    all the other axes flattened; that matrix has orthonormal columns when it is tall and
    orthonormal rows when it is wide (:func:`functrace.random.orthogonal`), times ``scale``.

    Args:
      scale: the factor applied to the orthogonal matrix.
      column_axis: the axis of the columns.
      dtype: the initialiser's default dtype (float32 or float64, the default).

    Raises:
      ValueError: a shape of fewer than 2 dimensions.

    Example:
      >>> import numpy as np
      >>> from functrace import random
      >>> w = orthogonal()(random.PRNGKey(0), (3, 5))
      >>> np.allclose(w @ w.T, np.eye(3))
      True
    """
    default = dtype

    def init(key: Array, shape: Sequence[int], dtype: DTypeLike = default) -> Array:
        dims = _shape("orthogonal", shape)
        dt = _dtype("orthogonal", dtype, complex_ok=False)
        if len(dims) < 2:
            raise ValueError(f"orthogonal: the initialiser needs a shape of at least 2 "
                             f"dimensions, got {dims}.")
        if not -len(dims) <= column_axis < len(dims):
            raise ValueError(f"orthogonal: column_axis {column_axis} is out of range for "
                             f"shape {dims}.")
        if 0 in dims:
            return np.zeros(dims, dt)
        n_cols = dims[column_axis]
        n_rows = math.prod(dims) // n_cols
        q = random.orthogonal(key, n_rows, (), dt, n_cols)
        rest = dims[:column_axis % len(dims)] + dims[column_axis % len(dims) + 1:]
        q = fnp.moveaxis(fnp.reshape(q, rest + (n_cols,)), -1, column_axis)
        return _result(np.asarray(scale, dt) * q)

    return init


def delta_orthogonal(scale: float = 1.0, column_axis: int = -1, dtype: DTypeLike = None
                     ) -> Initializer:
    """Builds an initialiser of delta-orthogonal convolution kernels (Xiao et al., 2018): zero
    everywhere but at the centre of the spatial window, which holds an orthogonal
    ``(in, out)`` matrix (:func:`orthogonal` of the last two axes).

    Args:
      scale: the factor applied to the orthogonal matrix.
      column_axis: the axis of the columns of that matrix.
      dtype: the initialiser's default dtype (float32 or float64, the default).

    Raises:
      ValueError: a shape of other than 3, 4 or 5 dimensions (1 to 3 spatial axes, then in
        and out), or more inputs than outputs.

    Example:
      >>> import numpy as np
      >>> from functrace import random
      >>> w = delta_orthogonal()(random.PRNGKey(0), (3, 2, 2))
      >>> np.allclose(w[1] @ w[1].T, np.eye(2)), float(abs(w[0]).sum() + abs(w[2]).sum())
      (True, 0.0)
    """
    default = dtype

    def init(key: Array, shape: Sequence[int], dtype: DTypeLike = default) -> Array:
        dims = _shape("delta_orthogonal", shape)
        dt = _dtype("delta_orthogonal", dtype, complex_ok=False)
        if len(dims) not in (3, 4, 5):
            raise ValueError(f"delta_orthogonal: the initialiser needs a 3-, 4- or "
                             f"5-dimensional shape (spatial axes, in, out), got {dims}.")
        if dims[-1] < dims[-2]:
            raise ValueError(f"delta_orthogonal: fan_in (shape[-2] = {dims[-2]}) must be at "
                             f"most fan_out (shape[-1] = {dims[-1]}).")
        matrix = orthogonal(scale, column_axis, dt)(key, dims[-2:])
        spatial = dims[:-2]
        # The matrix at index (k - 1) // 2 of every spatial axis of length k, zeros elsewhere.
        pads = [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in spatial] + [(0, 0), (0, 0)]
        block = fnp.reshape(matrix, (1,) * len(spatial) + dims[-2:])
        return _result(fnp.pad(block, pads))

    return init
