"""``functrace.random``: ``jax.random``'s API, and its numbers.

Random numbers are a function of a **key**: ``PRNGKey(seed)`` makes one, ``split`` and
``fold_in`` derive new ones, and a sampler such as ``normal(key, shape)`` turns a key into
an array.  The same key always gives the same array, so programs are reproducible and the
samplers are ordinary functions: they work under ``jit``, ``vmap`` and ``grad``.

The generator is JAX's default, Threefry-2x32 with ``jax_threefry_partitionable`` (JAX's
default since 0.5), and every sampler follows JAX's algorithm step for step, so the results
are JAX's, bit for bit, for the same key, shape and dtype (JAX with ``jax_enable_x64``, whose
default dtypes, float64 and int64, are NumPy's and functrace's).  Keys, bits, integers,
permutations and default-bound uniforms use integer arithmetic and exact float operations
only, and agree on every platform.  The samplers that go through ``log``, ``erf_inv``,
``tan``, multiply-adds... agree with JAX on the CPU (x86-64 with FMA, as measured with JAX
0.10), where XLA's own float code is reproduced operation by operation
(:mod:`functrace.primitives.xla_math`); JAX on a GPU rounds differently, and so disagrees with
itself.  The gamma family follows JAX's algorithm and draws but not all of its rounding.  See
``docs/random.md``, which lists what agrees and what does not.

Keys are JAX's *legacy* keys: ``uint32`` arrays of shape ``(2,)`` (``(..., 2)`` for an array
of keys, as ``split`` returns).  ``key(seed)`` returns the same form (JAX's typed key arrays
have no NumPy counterpart), so ``key_data`` and ``wrap_key_data`` return their argument.

>>> import functrace as ft
>>> from functrace import random
>>> key = random.PRNGKey(0)
>>> key
array([0, 0], dtype=uint32)
>>> k1, k2 = random.split(key)
>>> random.normal(k1, (3,))
array([ 1.88002989, -0.48121497,  0.41545723])
>>> ft.vmap(lambda k: random.uniform(k, (2,)))(random.split(key, 3)).shape
(3, 2)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace import lax
from functrace.api import vmap
from functrace.core import Tracer, get_aval
from functrace.custom_rules import custom_jvp
from functrace.errors import ConcretizationError
from functrace.numpy import linalg as fnp_linalg
from functrace.primitives.xla_math import fma, xla_erf, xla_erf_inv, xla_log, xla_log1p, xla_tan
from functrace.scipy.special import gammaln

__all__ = [
    "PRNGKey",
    "ball",
    "bernoulli",
    "binomial",
    "beta",
    "bits",
    "categorical",
    "cauchy",
    "chisquare",
    "choice",
    "clone",
    "dirichlet",
    "double_sided_maxwell",
    "exponential",
    "f",
    "fold_in",
    "gamma",
    "generalized_normal",
    "geometric",
    "gumbel",
    "key",
    "key_data",
    "laplace",
    "loggamma",
    "logistic",
    "lognormal",
    "maxwell",
    "multinomial",
    "multivariate_normal",
    "normal",
    "orthogonal",
    "pareto",
    "permutation",
    "poisson",
    "rademacher",
    "randint",
    "rayleigh",
    "split",
    "t",
    "triangular",
    "truncated_normal",
    "uniform",
    "wald",
    "weibull_min",
    "wrap_key_data",
]

Array = Any  # a NumPy array, or a tracer under a transformation
Shape = Sequence[int]
DTypeLike = Any

_U32 = np.dtype(np.uint32)
_UINTS: dict[int, np.dtype[Any]] = {8: np.dtype(np.uint8), 16: np.dtype(np.uint16), 32: _U32,
                                    64: np.dtype(np.uint64)}

# -- helpers ------------------------------------------------------------------------------------


def _aval_of(x: Any) -> tuple[tuple[int, ...], np.dtype[Any]]:
    aval = get_aval(x if isinstance(x, Tracer) else np.asarray(x))
    return aval.shape, aval.dtype


def _result(x: Any) -> Array:
    """Concrete results as NumPy arrays (0-d for scalars), tracers as they are."""
    return x if isinstance(x, Tracer) else np.asarray(x)


def _shape(name: str, shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) or not isinstance(shape, Sequence | np.ndarray):
        raise TypeError(f"{name}: shape must be a sequence of integers, got {shape!r}; "
                        f"write ({shape!r},) for a 1-d shape.")
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"{name}: shape must be a sequence of integers, got "
                        f"{shape!r}.") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"{name}: shape must not have negative dimensions, got {dims}.")
    return dims


def _float_dtype(name: str, dtype: DTypeLike) -> np.dtype[Any]:
    dt = np.dtype(np.float64 if dtype is None else dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"{name}: dtype must be float32 or float64, got {dt}.")
    return dt


def _check_shape(name: str, shape: tuple[int, ...], *param_shapes: tuple[int, ...]) -> None:
    """The parameters broadcast to ``shape`` (JAX's rule: ``shape`` is the result's shape)."""
    try:
        joined = np.broadcast_shapes(shape, *param_shapes)
    except ValueError:
        joined = None
    if joined != shape:
        raise ValueError(f"{name}: parameter shapes {', '.join(map(str, param_shapes))} must "
                         f"broadcast to the shape argument {shape}.")


def _broadcast_shapes(name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"{name}: parameter shapes {', '.join(map(str, shapes))} do not "
                         "broadcast together.") from None


def _convert(x: Any, dtype: np.dtype[Any]) -> Array:
    """``x`` in ``dtype`` (``lax.convert_element_type``); Python numbers become constants."""
    if isinstance(x, Tracer):
        return x if x.dtype == dtype else lax.convert_element_type(x, dtype)
    return np.asarray(x).astype(dtype)


# -- keys ---------------------------------------------------------------------------------------


def _check_key(name: str, key: Any, batched: bool = False) -> Array:
    """``key`` as a uint32 array of shape (2,) (or (..., 2) when ``batched``)."""
    if not isinstance(key, Tracer):
        key = np.asarray(key)
    shape, dtype = _aval_of(key)
    if dtype != _U32 or shape[-1:] != (2,):
        raise TypeError(f"{name}: expected a PRNG key, a uint32 array of shape (2,) as made by "
                        f"PRNGKey, split or fold_in, got {dtype}{list(shape)}.")
    if not batched and len(shape) > 1:
        raise ValueError(f"{name} accepts a single key, but was given an array of keys of shape "
                         f"{shape[:-1]} != (). Use functrace.vmap for batching.")
    return key


def PRNGKey(seed: int | Array) -> Array:  # noqa: N802 - JAX's name
    """A key from an integer seed, as ``jax.random.PRNGKey`` makes it.

    The seed's 64 bits become the key's two words (high, low); a narrower seed is the low
    word, sign-extended to 32 bits (the high word is 0), as in JAX.

    Args:
      seed: a Python int (within int64) or an integer scalar (traced values too).

    Returns:
      A ``uint32`` array of shape ``(2,)``.

    Raises:
      TypeError: the seed is not an integer scalar.

    >>> from functrace import random
    >>> random.PRNGKey(42)
    array([ 0, 42], dtype=uint32)
    >>> random.PRNGKey(-1)
    array([4294967295, 4294967295], dtype=uint32)
    """
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"PRNGKey: the seed must be an integer, got {seed!r}.")
    if isinstance(seed, int):
        if not -(2 ** 63) <= seed < 2 ** 63:
            raise OverflowError(f"PRNGKey: the seed {seed} does not fit in int64.")
        seed = np.asarray(seed, np.int64)
    elif not isinstance(seed, Tracer):
        seed = np.asarray(seed)
    shape, dtype = _aval_of(seed)
    if shape:
        raise TypeError(f"PRNGKey: the seed must be a scalar, got an array of shape {shape}. "
                        "Use functrace.vmap for batching.")
    if dtype.kind not in "iu":
        raise TypeError(f"PRNGKey: the seed must be an integer, got dtype {dtype}.")
    if dtype.itemsize == 8:
        unsigned = lax.convert_element_type(seed, np.dtype(np.uint64))
        hi = lax.convert_element_type(fnp.right_shift(unsigned, np.uint64(32)), _U32)
    else:
        # A narrower seed is zero-padded above 32 bits, and sign-extended to 32 bits (JAX
        # widens it to int64 before taking the low word).
        hi = np.zeros((), _U32)
        unsigned = lax.convert_element_type(seed, np.dtype(np.int64))
    lo = lax.convert_element_type(fnp.bitwise_and(unsigned, np.asarray(0xFFFFFFFF,
                                                                        unsigned.dtype)), _U32)
    return _result(fnp.stack([hi, lo]))


def key(seed: int | Array) -> Array:
    """A key from an integer seed: the same ``uint32[2]`` array as :func:`PRNGKey`.

    JAX's ``jax.random.key`` returns a typed key array; functrace has no such dtype, so this
    is the legacy form, which every function here takes.

    >>> from functrace import random
    >>> random.key(7)
    array([0, 7], dtype=uint32)
    """
    return PRNGKey(seed)


def key_data(keys: Array) -> Array:
    """The ``uint32`` data of a key or array of keys: the keys themselves here.

    >>> from functrace import random
    >>> random.key_data(random.split(random.PRNGKey(0), 2)).shape
    (2, 2)
    """
    return _result(_check_key("key_data", keys, batched=True))


def wrap_key_data(key_bits_array: Array) -> Array:
    """A key array from its ``uint32`` data (trailing axis of length 2): the data itself.

    >>> import numpy as np
    >>> from functrace import random
    >>> random.wrap_key_data(np.array([0, 42], np.uint32))
    array([ 0, 42], dtype=uint32)
    """
    return _result(_check_key("wrap_key_data", key_bits_array, batched=True))


def clone(key: Array) -> Array:
    """The key itself (JAX's ``clone`` matters only to its key-reuse checker).

    >>> from functrace import random
    >>> random.clone(random.PRNGKey(1))
    array([0, 1], dtype=uint32)
    """
    return _result(_check_key("clone", key, batched=True))


# -- Threefry-2x32 ------------------------------------------------------------------------------

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_KEY_PARITY = 0x1BD11BDA


def _u32(value: int) -> np.ndarray:
    return np.asarray(value, _U32)


def _rotate_left(x: Array, d: int) -> Array:
    return fnp.bitwise_or(fnp.left_shift(x, _u32(d)), fnp.right_shift(x, _u32(32 - d)))


def _threefry2x32(k1: Array, k2: Array, x1: Array, x2: Array) -> tuple[Array, Array]:
    """The Threefry-2x32 block cipher (20 rounds) of the counters ``(x1, x2)`` under the key
    ``(k1, k2)``: Salmon et al., "Parallel random numbers: as easy as 1, 2, 3" (2011)."""
    ks = (k1, k2, fnp.bitwise_xor(fnp.bitwise_xor(k1, k2), _u32(_KEY_PARITY)))
    x1 = fnp.add(x1, k1)
    x2 = fnp.add(x2, k2)
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x1 = fnp.add(x1, x2)
            x2 = fnp.bitwise_xor(_rotate_left(x2, r), x1)
        # Key injection: the key schedule rotates by one word each time, plus a counter.
        x1 = fnp.add(x1, ks[(i + 1) % 3])
        x2 = fnp.add(fnp.add(x2, ks[(i + 2) % 3]), _u32(i + 1))
    return x1, x2


def _counters(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The indices of an array of ``shape`` as 64-bit counters split into (high, low) words."""
    index = np.arange(math.prod(shape), dtype=np.uint64).reshape(shape)
    return (index >> np.uint64(32)).astype(_U32), index.astype(_U32)


def _hash_counters(key: Array, shape: tuple[int, ...]) -> tuple[Array, Array]:
    hi, lo = _counters(shape)
    return _threefry2x32(key[0], key[1], hi, lo)


def _random_bits(key: Array, bit_width: int, shape: tuple[int, ...]) -> Array:
    """``bit_width``-bit unsigned random integers of ``shape`` (JAX's partitionable scheme:
    each element hashes its own index; the two output words are combined)."""
    if math.prod(shape) >= 2 ** 64:
        raise NotImplementedError("random bits for arrays of 2**64 elements or more")
    bits1, bits2 = _hash_counters(key, shape)
    dtype = _UINTS[bit_width]
    if bit_width == 64:
        hi = fnp.left_shift(fnp.asarray(bits1, dtype), np.asarray(32, dtype))
        return fnp.bitwise_or(hi, fnp.asarray(bits2, dtype))
    out = fnp.bitwise_xor(bits1, bits2)
    return out if bit_width == 32 else fnp.asarray(out, dtype)


def _split(key: Array, shape: tuple[int, ...]) -> Array:
    bits1, bits2 = _hash_counters(key, shape)
    return fnp.stack([bits1, bits2], axis=len(shape))


def split(key: Array, num: int | Sequence[int] = 2) -> Array:
    """New keys from ``key``, along new leading axes.

    Args:
      key: a key (``uint32[2]``).
      num: the number of keys (default 2), or a shape tuple.

    Returns:
      ``uint32`` keys of shape ``(num, 2)`` (``(*num, 2)`` for a tuple).

    Raises:
      TypeError / ValueError: ``key`` is not a single key, ``num`` not a count or shape.

    >>> from functrace import random
    >>> random.split(random.PRNGKey(0))
    array([[1797259609, 2579123966],
           [ 928981903, 3453687069]], dtype=uint32)
    >>> random.split(random.PRNGKey(0), (2, 3)).shape
    (2, 3, 2)
    """
    key = _check_key("split", key)
    shape = _shape("split", num) if isinstance(num, Sequence) else _shape("split", (num,))
    return _result(_split(key, shape))


def fold_in(key: Array, data: int | Array) -> Array:
    """A new key that depends on ``key`` and the 32-bit integer ``data``.

    Args:
      key: a key.
      data: a non-negative Python int below ``2**32``, or an integer scalar (its low 32
        bits); traced values too (``vmap`` over ``data`` gives one key per value).

    Returns:
      A key (``uint32[2]``).

    >>> from functrace import random
    >>> random.fold_in(random.PRNGKey(0), 1)
    array([ 928981903, 3453687069], dtype=uint32)
    """
    key = _check_key("fold_in", key)
    if isinstance(data, int) and not isinstance(data, bool):
        if not 0 <= data < 2 ** 32:
            raise OverflowError(f"fold_in: data {data} does not fit in uint32.")
        data = np.asarray(data, _U32)
    elif not isinstance(data, Tracer):
        data = np.asarray(data)
    shape, dtype = _aval_of(data)
    if shape:
        raise TypeError(f"fold_in accepts a scalar, but was given an array of shape {shape} != "
                        "(). Use functrace.vmap for batching.")
    if dtype.kind not in "iub":
        raise TypeError(f"fold_in: data must be an integer, got dtype {dtype}.")
    # The seed of ``data`` is the counter pair (0, data), hashed under ``key``.
    y1, y2 = _threefry2x32(key[0], key[1], _u32(0), lax.convert_element_type(data, _U32))
    return _result(fnp.stack([y1, y2]))


# -- bits and uniform floats --------------------------------------------------------------------


def bits(key: Array, shape: Shape = (), dtype: DTypeLike = None) -> Array:
    """Uniform random bits as unsigned integers.

    Args:
      key: a key.
      shape: the result's shape (default ``()``).
      dtype: ``uint8``, ``uint16``, ``uint32`` or ``uint64`` (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.bits(random.PRNGKey(0), (2,), "uint32")
    array([4070199207, 4202968722], dtype=uint32)
    """
    key = _check_key("bits", key)
    dt = np.dtype(np.uint64 if dtype is None else dtype)
    if dt.kind != "u":
        raise ValueError(f"bits: dtype must be an unsigned integer dtype, got {dt}.")
    return _result(_random_bits(key, 8 * dt.itemsize, _shape("bits", shape)))


def _unit_floats(key: Array, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
    """Floats in [0, 1) from the top mantissa-width bits of random words: JAX's
    ``bitcast(bits >> k | bits(1.0)) - 1``, which is exactly ``(bits >> k) * 2**-nmant``."""
    info = np.finfo(dtype)
    nbits = 8 * dtype.itemsize
    word = fnp.right_shift(_random_bits(key, nbits, shape), np.asarray(nbits - info.nmant,
                                                                        _UINTS[nbits]))
    return fnp.multiply(lax.convert_element_type(word, dtype),
                        np.asarray(2.0 ** -info.nmant, dtype))


def _uniform(key: Array, shape: tuple[int, ...], dtype: np.dtype[Any], minval: Any,
             maxval: Any) -> Array:
    minval = _convert(minval, dtype)
    maxval = _convert(maxval, dtype)
    _check_shape("uniform", shape, _aval_of(minval)[0], _aval_of(maxval)[0])
    floats = _unit_floats(key, shape, dtype)
    scaled = fma(*fnp.broadcast_arrays(floats, fnp.subtract(maxval, minval), minval))
    return fnp.maximum(minval, scaled)


def uniform(key: Array, shape: Shape = (), dtype: DTypeLike = None, minval: Any = 0.0,
            maxval: Any = 1.0) -> Array:
    """Uniform floats in ``[minval, maxval)``.

    Args:
      key: a key.
      shape: the result's shape (default ``()``); ``minval`` and ``maxval`` broadcast to it.
      dtype: float32 or float64 (the default).
      minval, maxval: the bounds (arrays or traced values too: the result is differentiable
        in them).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.uniform(random.PRNGKey(0), (3,))
    array([0.41845711, 0.21629545, 0.96532146])
    >>> random.uniform(random.PRNGKey(0), (2,), "float32", minval=-1.0, maxval=1.0)
    array([0.895334  , 0.95715976], dtype=float32)
    """
    key = _check_key("uniform", key)
    dt = _float_dtype("uniform", dtype)
    return _result(_uniform(key, _shape("uniform", shape), dt, minval, maxval))


# -- integers -----------------------------------------------------------------------------------


def _convert_and_clip_integer(val: Array, dtype: np.dtype[Any]) -> Array:
    """``val`` in the integer ``dtype``, clipped into its range rather than wrapped."""
    src = _aval_of(val)[1]
    lo = max(np.iinfo(dtype).min, np.iinfo(src).min)
    hi = min(np.iinfo(dtype).max, np.iinfo(src).max)
    return fnp.asarray(fnp.clip(val, np.asarray(lo, src), np.asarray(hi, src)), dtype)


def _int_array(x: Any) -> Array:
    """``jnp.asarray`` of an integer bound: Python ints are int64, floats are truncated."""
    if not isinstance(x, Tracer):
        x = np.asarray(x)
    dtype = _aval_of(x)[1]
    if dtype.kind == "b" or dtype.kind not in "iu":
        return lax.convert_element_type(x, np.dtype(np.int64))
    return x


def _urem(x: Array, span: Array) -> Array:
    """XLA's unsigned remainder: ``x % 0 == x``."""
    zero = fnp.equal(span, 0)
    return fnp.where(zero, x, fnp.remainder(x, fnp.where(zero, np.ones((), span.dtype), span)))


def randint(key: Array, shape: Shape, minval: Any, maxval: Any,
            dtype: DTypeLike = None) -> Array:
    """Uniform integers in ``[minval, maxval)``.

    As JAX's: two random words per value, reduced modulo ``maxval - minval`` (a bias of about
    ``span**2 / 2**(2 nbits)``, nil for powers of two); integer types narrower than 32 bits are
    sampled in int32.  ``maxval <= minval`` gives ``minval``; bounds beyond the dtype's range
    are clipped into it (``maxval`` may be one past its maximum).

    Args:
      key: a key.
      shape: the result's shape; ``minval`` and ``maxval`` broadcast to it.
      minval, maxval: integer bounds (arrays too).
      dtype: an integer dtype (default int64).

    Returns:
      An integer array of ``shape`` and ``dtype``.

    Raises:
      TypeError: ``dtype`` is not an integer dtype.

    >>> from functrace import random
    >>> random.randint(random.PRNGKey(0), (5,), 0, 10)
    array([5, 1, 5, 7, 3])
    """
    key = _check_key("randint", key)
    dt = np.dtype(np.int64 if dtype is None else dtype)
    if dt.kind not in "iu":
        raise TypeError(f"randint only accepts integer dtypes, got {dt}.")
    shape = _shape("randint", shape)
    sample_dtype = dt
    if dt.itemsize < 4:  # sample in 32 bits (less bias), clipped to the narrow range
        sample_dtype = np.dtype(np.int32)
        info = np.iinfo(dt)
        minval = fnp.clip(fnp.asarray(_int_array(minval), np.int32), int(info.min),
                          int(info.max))
        maxval = fnp.clip(fnp.asarray(_int_array(maxval), np.int32), int(info.min),
                          int(info.max) + 1)
    out = _randint(key, shape, sample_dtype, _int_array(minval), _int_array(maxval))
    return _result(fnp.asarray(out, dt))


def _randint(key: Array, shape: tuple[int, ...], dtype: np.dtype[Any], minval: Array,
             maxval: Array) -> Array:
    _check_shape("randint", shape, _aval_of(minval)[0], _aval_of(maxval)[0])
    info = np.iinfo(dtype)
    top = _convert_and_clip_integer(np.asarray(info.max, dtype), _aval_of(maxval)[1])
    maxval_out_of_range = fnp.greater(maxval, top)
    minval = _convert_and_clip_integer(minval, dtype)
    maxval = _convert_and_clip_integer(maxval, dtype)
    nbits = info.bits
    unsigned = _UINTS[nbits]
    keys = _split(key, (2,))
    higher = _random_bits(keys[0], nbits, shape)
    lower = _random_bits(keys[1], nbits, shape)
    span = lax.convert_element_type(fnp.subtract(maxval, minval), unsigned)
    span = fnp.where(fnp.less_equal(maxval, minval), np.ones((), unsigned), span)
    # One past the dtype's maximum: a span one larger (wrapping to 0 = the whole range).
    span = fnp.where(fnp.logical_and(maxval_out_of_range, fnp.greater(maxval, minval)),
                     fnp.add(span, np.ones((), unsigned)), span)
    # (hi * 2**nbits + lo) % span, without 2*nbits-bit integers: 2**nbits % span squared.
    multiplier = _urem(np.asarray(2 ** (nbits // 2), unsigned), span)
    multiplier = _urem(fnp.multiply(multiplier, multiplier), span)
    offset = fnp.add(fnp.multiply(_urem(higher, span), multiplier), _urem(lower, span))
    offset = _urem(offset, span)
    return fnp.add(minval, lax.convert_element_type(offset, dtype))


# -- permutations and choices -------------------------------------------------------------------


def _concrete_int(name: str, x: Any) -> int:
    if isinstance(x, Tracer):
        try:
            return int(x)
        except ConcretizationError:
            raise ConcretizationError(
                f"{name}: the integer {x.aval.str_short()} must be concrete (it sets the "
                "result's shape); pass it as a Python int or a static argument.") from None
    return int(x)


def _shuffle(key: Array, x: Array, axis: int) -> Array:
    """``x`` permuted along ``axis`` by sorting it on random 32-bit keys, in as many rounds
    as make repeated sort keys unlikely (JAX's: ``ceil(3 ln(n) / ln(2**32 - 1))``)."""
    size = math.prod(_aval_of(x)[0])
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        keys = _split(key, (2,))
        key, subkey = keys[0], keys[1]
        sort_keys = _random_bits(subkey, 32, _aval_of(x)[0])
        _, x = lax.sort_key_val(sort_keys, x, axis)
    return x


def permutation(key: Array, x: int | Array, axis: int = 0, independent: bool = False) -> Array:
    """A random permutation of ``arange(x)``, or of an array along ``axis``.

    Args:
      key: a key.
      x: an int ``n`` (permute ``arange(n)``) or an array.
      axis: the axis to permute (default 0).
      independent: permute each slice along ``axis`` independently (default: permute the
        slices as a whole).

    Returns:
      The permuted array (int64 for an int ``x``).

    >>> from functrace import random
    >>> random.permutation(random.PRNGKey(0), 5)
    array([0, 1, 4, 3, 2])
    """
    key = _check_key("permutation", key)
    if not isinstance(x, Tracer):
        x = np.asarray(x)
    shape, dtype = _aval_of(x)
    if not shape:
        if dtype.kind not in "iu":
            raise TypeError("permutation: x must be an integer or at least 1-dimensional, got "
                            f"dtype {dtype}.")
        n = _concrete_int("permutation", x)
        return _result(_shuffle(key, np.arange(n), 0))
    return _result(_permute(key, x, _axis("permutation", axis, len(shape)), independent))


def _permute(key: Array, x: Array, axis: int, independent: bool) -> Array:
    shape = _aval_of(x)[0]
    if independent or len(shape) == 1:
        return _shuffle(key, x, axis)
    order = _shuffle(key, np.arange(shape[axis]), 0)
    return fnp.take(x, order, axis=axis)


def _axis(name: str, axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of bounds for an array of dimension "
                         f"{ndim}.")
    return axis % ndim


def choice(key: Array, a: int | Array, shape: Shape = (), replace: bool = True,
           p: Any = None, axis: int = 0, mode: str | None = None) -> Array:
    """A random sample of the entries of ``a`` (or of ``arange(a)``) along ``axis``.

    As JAX's: with replacement and no ``p``, uniform indices from :func:`randint`; without
    replacement, the first entries of a :func:`permutation`; with ``p``, inverse-CDF sampling
    (``searchsorted`` of the cumulative sum) with replacement, and the Gumbel top-k trick
    without.

    Args:
      key: a key.
      a: an int ``n`` or an array.
      shape: the sample's shape (default ``()``).
      replace: sample with replacement (default True).
      p: optional probabilities of the entries (a 1-d array of length ``a.shape[axis]``).
      axis: the axis to sample along (default 0).
      mode: ``"low"`` or ``"high"``: the Gumbel sampler's precision (see :func:`gumbel`).

    Returns:
      The samples: ``shape`` for an int ``a``, else ``a.shape`` with ``a.shape[axis]``
      replaced by ``shape``.

    Raises:
      ValueError: more samples than entries without replacement, a bad ``p``.

    >>> from functrace import random
    >>> random.choice(random.PRNGKey(0), 5, (3,), replace=False)
    array([0, 1, 4])
    """
    key = _check_key("choice", key)
    if not isinstance(shape, Sequence):
        raise TypeError(f"choice: shape must be a sequence, got {shape!r}.")
    shape = _shape("choice", shape)
    arr = a if isinstance(a, Tracer) else np.asarray(a)
    a_shape, a_dtype = _aval_of(arr)
    if not a_shape:
        n_inputs = _concrete_int("choice", a)
    else:
        axis = _axis("choice", axis, len(a_shape))
        n_inputs = a_shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return np.zeros(shape, a_dtype)
    if n_inputs <= 0:
        raise ValueError("choice: a must be greater than 0 unless no samples are taken.")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"choice: cannot take a larger sample (size {n_draws}) than the "
                         f"population (size {n_inputs}) when replace=False.")
    if p is None:
        if replace:
            ind = _randint(key, shape, np.dtype(np.int64), np.asarray(0), np.asarray(n_inputs))
            result = ind if not a_shape else fnp.take(arr, ind, axis=axis)
        else:
            permuted = _permute(key, np.arange(n_inputs) if not a_shape else arr,
                                0 if not a_shape else axis, False)
            result = lax.slice_in_dim(permuted, 0, n_draws, axis=0 if not a_shape else axis)
    else:
        p_arr = p if isinstance(p, Tracer) else np.asarray(p)
        p_shape, p_dtype = _aval_of(p_arr)
        if p_dtype.kind not in "fc":
            p_dtype = np.dtype(np.float64)
            p_arr = _convert(p_arr, p_dtype)
        if p_shape != (n_inputs,):
            raise ValueError("choice: p must be None or a 1-d vector with the same size as "
                             f"a.shape[axis]; p has shape {p_shape} and a.shape[axis] is "
                             f"{n_inputs}.")
        if replace:
            p_cuml = fnp.cumsum(p_arr)
            u = _uniform(key, shape, p_dtype, 0.0, 1.0)
            r = fnp.multiply(p_cuml[-1], fnp.subtract(np.asarray(1, p_dtype), u))
            ind = fnp.asarray(fnp.searchsorted(p_cuml, r), np.int64)
        else:
            g = fnp.add(_gumbel(key, (n_inputs,), p_dtype, mode), xla_log(p_arr))
            ind = fnp.asarray(lax.top_k(g, n_draws)[1], np.int64)
        result = ind if not a_shape else fnp.take(arr, ind, axis=axis)
    out_shape = shape if not a_shape else a_shape[:axis] + shape + a_shape[axis + 1:]
    return _result(fnp.reshape(result, out_shape))


# -- Bernoulli and signs ------------------------------------------------------------------------


def bernoulli(key: Array, p: Any = 0.5, shape: Shape | None = None, mode: str = "low") -> Array:
    """Booleans that are True with probability ``p``: ``uniform(key, shape) < p``.

    Args:
      key: a key.
      p: the probability (a float or a float array; its dtype is the uniform's).
      shape: the result's shape (default: ``p``'s); ``p`` broadcasts to it.
      mode: ``"low"`` (default) or ``"high"``: ``"high"`` compares with two uniforms' worth
        of bits, right for ``p`` below ``2**-nmant`` too.

    Returns:
      A boolean array.

    >>> from functrace import random
    >>> random.bernoulli(random.PRNGKey(0), 0.5, (4,))
    array([ True,  True, False, False])
    """
    key = _check_key("bernoulli", key)
    if mode not in ("high", "low"):
        raise ValueError(f"bernoulli: got mode={mode!r}, expected 'high' or 'low'.")
    if not isinstance(p, Tracer):
        p = np.asarray(p)
    p_shape, dtype = _aval_of(p)
    if dtype.kind != "f":
        raise TypeError(f"bernoulli: the probability p must have a floating dtype, got {dtype}.")
    dt = _float_dtype("bernoulli", dtype)
    if shape is None:
        shape = p_shape
    else:
        shape = _shape("bernoulli", shape)
        _check_shape("bernoulli", shape, p_shape)
    if mode == "high":
        u = _uniform(key, (2, *shape), dt, 0.0, 1.0)
        u2 = fnp.multiply(u[1], np.asarray(2.0 ** -np.finfo(dt).nmant, dt))
        return _result(fnp.less(u2, fnp.subtract(p, u[0])))
    return _result(fnp.less(_uniform(key, shape, dt, 0.0, 1.0), p))


def rademacher(key: Array, shape: Shape = (), dtype: DTypeLike = None) -> Array:
    """Random signs, -1 or +1 with equal probability.

    Args:
      key: a key.
      shape: the result's shape.
      dtype: the result's dtype (default int64).

    >>> from functrace import random
    >>> random.rademacher(random.PRNGKey(0), (4,))
    array([ 1,  1, -1, -1])
    """
    key = _check_key("rademacher", key)
    dt = np.dtype(np.int64 if dtype is None else dtype)
    shape = _shape("rademacher", shape)
    b = fnp.asarray(fnp.less(_uniform(key, shape, np.dtype(np.float64), 0.0, 1.0),
                             np.asarray(0.5)), dt)
    return _result(fnp.asarray(fnp.subtract(fnp.multiply(np.asarray(2, dt), b),
                                            np.asarray(1, dt)), dt))


# -- continuous distributions -------------------------------------------------------------------


def _normal(key: Array, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Array:
    lo = np.nextafter(np.asarray(-1.0, dtype), np.asarray(0.0, dtype))
    u = _uniform(key, shape, dtype, lo, np.asarray(1.0, dtype))
    return fnp.multiply(np.asarray(np.sqrt(2), dtype), xla_erf_inv(u))


def normal(key: Array, shape: Shape = (), dtype: DTypeLike = None) -> Array:
    """Standard normal samples: ``sqrt(2) erf_inv(u)`` of uniforms ``u`` in (-1, 1).

    For a complex dtype, ``(x + 1j y) / sqrt(2)`` for independent standard normals ``x`` and
    ``y`` drawn with the two halves of ``split(key)``, as JAX's (variance 1 in all).

    Args:
      key: a key.
      shape: the result's shape (default ``()``).
      dtype: float32 or float64 (the default), or complex64 or complex128.

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.normal(random.PRNGKey(0), (3,))
    array([-0.20584214, -0.78476578,  1.81608667])
    """
    key = _check_key("normal", key)
    shape = _shape("normal", shape)
    if dtype is not None and np.dtype(dtype) in (np.complex64, np.complex128):
        dt = np.dtype(dtype)
        real = np.dtype(np.float32 if dt == np.complex64 else np.float64)
        key_re, key_im = _split(key, (2,))
        z = lax.complex(_normal(key_re, shape, real), _normal(key_im, shape, real))
        return _result(fnp.divide(z, np.asarray(np.sqrt(2), dt)))
    return _result(_normal(key, shape, _float_dtype("normal", dtype)))


def _gumbel(key: Array, shape: tuple[int, ...], dtype: np.dtype[Any],
            mode: str | None) -> Array:
    mode = "low" if mode is None else mode
    info = np.finfo(dtype)
    if mode == "low":
        u = _uniform(key, shape, dtype, np.asarray(info.tiny, dtype), np.asarray(1.0, dtype))
        return fnp.negative(xla_log(fnp.negative(xla_log(u))))
    if mode == "high":
        # Two uniforms make one with 2 nmant bits: high + 2**-nmant low, away from 0.
        u = _uniform(key, (2, *shape), dtype, 0.0, 1.0)
        high, low = u[0], u[1]
        finer = fnp.add(fma(np.asarray(2.0 ** -info.nmant, dtype), low, high),
                        np.asarray(info.tiny, dtype))
        x = fnp.where(fnp.greater_equal(high, np.asarray(0.5, dtype)), high, finer)
        return fnp.negative(xla_log(fnp.negative(xla_log1p(fnp.negative(x)))))
    raise ValueError(f"gumbel: mode must be 'low' or 'high', got {mode!r}.")


def gumbel(key: Array, shape: Shape = (), dtype: DTypeLike = None, mode: str | None = None
           ) -> Array:
    """Standard Gumbel samples, ``-log(-log(u))``.

    Args:
      key: a key.
      shape: the result's shape.
      dtype: float32 or float64 (the default).
      mode: ``"low"`` (default, one uniform per sample) or ``"high"`` (two, for a finer tail).

    >>> from functrace import random
    >>> random.gumbel(random.PRNGKey(0), (2,))
    array([ 0.13790566, -0.42599294])
    """
    key = _check_key("gumbel", key)
    return _result(_gumbel(key, _shape("gumbel", shape), _float_dtype("gumbel", dtype), mode))


def categorical(key: Array, logits: Any, axis: int = -1, shape: Shape | None = None,
                replace: bool = True, mode: str | None = None) -> Array:
    """Samples of categorical distributions given by unnormalised log-probabilities.

    The Gumbel-max trick, as JAX's: ``argmax(logits + gumbel)`` along ``axis`` (with
    replacement), or the indices of the ``k`` largest ``logits + gumbel`` (without).

    Args:
      key: a key.
      logits: log-probabilities up to a constant, one distribution per slice along ``axis``.
      axis: the categories' axis (default -1).
      shape: the result's shape (default: ``logits.shape`` without ``axis``); its trailing
        axes are the distributions' batch, its leading ones repeat the sampling.
      replace: sample with replacement (default True); without, the leading axes of
        ``shape`` may hold at most as many samples as there are categories.
      mode: the Gumbel sampler's precision, ``"low"`` (default) or ``"high"``.

    Returns:
      int64 indices (int32 without replacement, as JAX's ``top_k`` gives).

    Raises:
      ValueError: ``shape`` does not end with the batch shape, too many samples without
        replacement.

    >>> import numpy as np
    >>> from functrace import random
    >>> random.categorical(random.PRNGKey(0), np.log(np.array([0.1, 0.2, 0.7])), shape=(5,))
    array([2, 2, 2, 1, 1])
    """
    key = _check_key("categorical", key)
    logits = logits if isinstance(logits, Tracer) else np.asarray(logits)
    logits_shape, logits_dtype = _aval_of(logits)
    if logits_dtype.kind != "f":
        logits = _convert(logits, np.dtype(np.float64))
        logits_dtype = np.dtype(np.float64)
    dt = _float_dtype("categorical", logits_dtype)
    ndim = len(logits_shape)
    axis = _axis("categorical", axis, ndim)
    batch_shape = logits_shape[:axis] + logits_shape[axis + 1:]
    if shape is None:
        shape = batch_shape
    else:
        shape = _shape("categorical", shape)
        try:
            ok = np.broadcast_shapes(shape, batch_shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"categorical: shape {shape} must end with (a broadcast of) the "
                             f"batch shape of logits, its shape without axis {axis}: "
                             f"{batch_shape}.")
    prefix = shape[:len(shape) - len(batch_shape)]
    if replace:
        noise_shape = prefix + shape[len(prefix):axis + len(prefix)] + (logits_shape[axis],) \
            + shape[axis + len(prefix):]
        scores = fnp.add(_gumbel(key, noise_shape, dt, mode),
                         fnp.expand_dims(logits, tuple(range(len(prefix)))))
        return _result(fnp.argmax(scores, axis=axis + len(prefix)))
    k = math.prod(prefix)
    if k > logits_shape[axis]:
        raise ValueError(f"categorical: the number of samples without replacement ({k}) cannot "
                         f"exceed the number of categories ({logits_shape[axis]}).")
    scores = fnp.add(logits, _gumbel(key, logits_shape, dt, mode))
    _, indices = lax.top_k(fnp.moveaxis(scores, axis, -1), k)  # batch_shape + (k,)
    indices = fnp.moveaxis(indices, -1, 0)
    return _result(fnp.reshape(indices, shape))


def exponential(key: Array, shape: Shape = (), dtype: DTypeLike = None) -> Array:
    """Standard exponential samples, ``-log1p(-u)``.

    Args:
      key: a key.
      shape: the result's shape (default ``()``).
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.exponential(random.PRNGKey(0), (2,))
    array([0.54207056, 0.24372319])
    """
    key = _check_key("exponential", key)
    dt = _float_dtype("exponential", dtype)
    u = _uniform(key, _shape("exponential", shape), dt, 0.0, 1.0)
    return _result(fnp.negative(xla_log1p(fnp.negative(u))))


def laplace(key: Array, shape: Shape = (), dtype: DTypeLike = None) -> Array:
    """Standard Laplace samples, ``sign(u) log1p(-|u|)`` for ``u`` in (-1, 1).

    Args:
      key: a key.
      shape: the result's shape (default ``()``).
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.laplace(random.PRNGKey(0), (2,))
    array([0.17803369, 0.83796278])
    """
    key = _check_key("laplace", key)
    dt = _float_dtype("laplace", dtype)
    u = _uniform(key, _shape("laplace", shape), dt,
                 np.asarray(-1.0 + np.finfo(dt).epsneg, dt), np.asarray(1.0, dt))
    return _result(fnp.multiply(fnp.sign(u), xla_log1p(fnp.negative(fnp.abs(u)))))


def logistic(key: Array, shape: Shape = (), dtype: DTypeLike = None) -> Array:
    """Standard logistic samples, ``log(u) - log1p(-u)``.

    Args:
      key: a key.
      shape: the result's shape (default ``()``).
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.logistic(random.PRNGKey(0), (2,))
    array([-0.32911032, -1.28738678])
    """
    key = _check_key("logistic", key)
    dt = _float_dtype("logistic", dtype)
    u = _uniform(key, _shape("logistic", shape), dt, np.asarray(np.finfo(dt).tiny, dt),
                 np.asarray(1.0, dt))
    return _result(fnp.subtract(xla_log(u), xla_log1p(fnp.negative(u))))


def cauchy(key: Array, shape: Shape = (), dtype: DTypeLike = None) -> Array:
    """Standard Cauchy samples, ``tan(pi (u - 1/2))``.

    Args:
      key: a key.
      shape: the result's shape (default ``()``).
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.cauchy(random.PRNGKey(0), (2,))
    array([-0.26192951, -1.23784602])
    """
    key = _check_key("cauchy", key)
    dt = _float_dtype("cauchy", dtype)
    u = _uniform(key, _shape("cauchy", shape), dt, np.asarray(np.finfo(dt).eps, dt),
                 np.asarray(1.0, dt))
    return _result(xla_tan(fnp.multiply(np.asarray(np.pi, dt),
                                        fnp.subtract(u, np.asarray(0.5, dt)))))


def truncated_normal(key: Array, lower: Any, upper: Any, shape: Shape | None = None,
                     dtype: DTypeLike = None) -> Array:
    """Standard normal samples conditioned on ``lower < x < upper``, by inverting the CDF.

    Args:
      key: a key.
      lower, upper: the bounds (arrays too); the samples are differentiable in them.
      shape: the result's shape (default: the bounds' broadcast shape).
      dtype: float32 or float64 (the default).

    Returns:
      Samples in the open interval ``(lower, upper)``.

    >>> from functrace import random
    >>> random.truncated_normal(random.PRNGKey(0), -1.0, 1.0, (3,))
    array([-0.13999612, -0.50631466,  0.90652156])
    """
    key = _check_key("truncated_normal", key)
    dt = _float_dtype("truncated_normal", dtype)
    lower = _convert(lower, dt)
    upper = _convert(upper, dt)
    bound_shapes = (_aval_of(lower)[0], _aval_of(upper)[0])
    if shape is None:
        shape = _broadcast_shapes("truncated_normal", *bound_shapes)
    else:
        shape = _shape("truncated_normal", shape)
        _check_shape("truncated_normal", shape, *bound_shapes)
    sqrt2 = np.asarray(np.sqrt(2), dt)
    # XLA divides by a constant as it multiplies by the constant's (rounded) reciprocal.
    inv_sqrt2 = np.asarray(1, dt) / sqrt2
    a = xla_erf(fnp.multiply(lower, inv_sqrt2))
    b = xla_erf(fnp.multiply(upper, inv_sqrt2))
    u = _uniform(key, shape, dt, a, b)
    out = fnp.multiply(sqrt2, xla_erf_inv(u))
    # Rounding may land on a bound (or outside): keep to the open interval, as JAX does.
    inf = np.asarray(np.inf, dt)
    lo = fnp.nextafter(fnp.stop_gradient(lower), inf)
    hi = fnp.nextafter(fnp.stop_gradient(upper), -inf)
    return _result(fnp.minimum(hi, fnp.maximum(lo, out)))


def multivariate_normal(key: Array, mean: Any, cov: Any, shape: Shape | None = None,
                        dtype: DTypeLike = None, method: str = "cholesky") -> Array:
    """Multivariate normal samples, ``mean + factor @ z`` with ``factor factor^T = cov``.

    Args:
      key: a key.
      mean: the mean, shape ``(..., n)``.
      cov: the covariance, shape ``(..., n, n)``, positive definite for ``"cholesky"``.
      shape: the batch shape of the result (default: ``mean``'s and ``cov``'s broadcast).
      dtype: the samples' dtype (default: ``mean``'s, float64 for integers).
      method: ``"cholesky"`` (default), ``"eigh"`` or ``"svd"`` (for singular ``cov``).

    Returns:
      An array of shape ``shape + (n,)``, differentiable in ``mean`` and ``cov``.

    >>> import numpy as np
    >>> from functrace import random
    >>> random.multivariate_normal(random.PRNGKey(0), np.zeros(2), np.eye(2))
    array([-0.20584214, -0.78476578])
    """
    key = _check_key("multivariate_normal", key)
    if method not in ("svd", "eigh", "cholesky"):
        raise ValueError(f"multivariate_normal: method must be one of 'svd', 'eigh', "
                         f"'cholesky', got {method!r}.")
    mean = mean if isinstance(mean, Tracer) else np.asarray(mean)
    cov = cov if isinstance(cov, Tracer) else np.asarray(cov)
    (mean_shape, mean_dtype), (cov_shape, cov_dtype) = _aval_of(mean), _aval_of(cov)
    common = np.result_type(mean_dtype, cov_dtype)
    if common.kind not in "fc":
        common = np.dtype(np.float64)
    mean, cov = _convert(mean, common), _convert(cov, common)
    dt = _float_dtype("multivariate_normal", common if dtype is None else dtype)
    if len(mean_shape) < 1:
        raise ValueError("multivariate_normal requires mean.ndim >= 1, got mean.ndim == 0.")
    if len(cov_shape) < 2:
        raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == "
                         f"{len(cov_shape)}.")
    n = mean_shape[-1]
    if cov_shape[-2:] != (n, n):
        raise ValueError(f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, "
                         f"but got cov.shape == {cov_shape}.")
    if shape is None:
        batch = _broadcast_shapes("multivariate_normal", mean_shape[:-1], cov_shape[:-2])
    else:
        batch = _shape("multivariate_normal", shape)
        _check_shape("multivariate_normal", batch, mean_shape[:-1], cov_shape[:-2])
    if method == "svd":
        u, s, _ = fnp_linalg.svd(cov)
        factor = fnp.multiply(u, fnp.sqrt(fnp.expand_dims(s, -2)))
    elif method == "eigh":
        w, v = fnp_linalg.eigh(cov)
        factor = fnp.multiply(v, fnp.sqrt(fnp.expand_dims(w, -2)))
    else:
        factor = fnp_linalg.cholesky(cov)
    z = _normal(key, batch + (n,), dt)
    return _result(fnp.add(mean, _matvec(factor, z)))


def _matvec(factor: Array, z: Array) -> Array:
    """``einsum('...ij,...j->...i')`` as XLA:CPU's dot computes it: the products summed in
    order along ``j`` with fused multiply-adds."""
    n = _aval_of(z)[0][-1]
    dtype = np.result_type(_aval_of(factor)[1], _aval_of(z)[1])
    factor = _convert(factor, dtype)
    z = _convert(z, dtype)
    out_shape = np.broadcast_shapes(_aval_of(factor)[0][:-1], _aval_of(z)[0][:-1] + (1,))
    acc = fnp.zeros(out_shape, dtype)
    for j in range(n):
        column = fnp.broadcast_to(factor[..., j], out_shape)
        zj = fnp.broadcast_to(fnp.expand_dims(z[..., j], -1), out_shape)
        acc = fma(column, zj, acc)
    return acc


def orthogonal(key: Array, n: int, shape: Shape = (), dtype: DTypeLike = None,
               m: int | None = None) -> Array:
    """Random orthogonal matrices, uniform (Haar) on O(n): the Q of a QR factorisation of a
    normal matrix, its columns' signs fixed by R's diagonal (Mezzadri, 2007).  For ``m != n``,
    semi-orthogonal: orthonormal rows (``n <= m``) or columns.  The factorisation is NumPy's
    (LAPACK); JAX's gives the same values as far as tested (``docs/random.md``).

    Args:
      key: a key.
      n: the number of rows.
      shape: the batch shape (default ``()``).
      dtype: float32 or float64 (the default).
      m: the number of columns (default ``n``).

    Returns:
      An array of shape ``(*shape, n, m)``.

    >>> import numpy as np
    >>> from functrace import random
    >>> q = random.orthogonal(random.PRNGKey(0), 3)
    >>> np.allclose(q @ q.T, np.eye(3))
    True
    """
    key = _check_key("orthogonal", key)
    dt = _float_dtype("orthogonal", dtype)
    cols = n if m is None else m
    n, cols = operator.index(n), operator.index(cols)
    if n < 0 or cols < 0:
        raise ValueError(f"orthogonal: n and m must be non-negative, got n={n}, m={cols}.")
    batch = _shape("orthogonal", shape)
    z = _normal(key, batch + (max(n, cols), min(n, cols)), dt)
    q, r = fnp_linalg.qr(z)
    signs = fnp.sign(fnp.diagonal(r, axis1=-2, axis2=-1))
    x = fnp.multiply(q, fnp.expand_dims(signs, -2))
    return _result(fnp.swapaxes(x, -1, -2) if n < cols else x)


# -- more distributions built on the above ------------------------------------------------------


def rayleigh(key: Array, scale: Any = 1.0, shape: Shape | None = None,
             dtype: DTypeLike = None) -> Array:
    """Rayleigh samples, ``scale sqrt(-2 log u)``.

    Args:
      key: a key.
      scale: the scale (arrays too; differentiable).
      shape: the result's shape (default ``scale``'s); ``scale`` broadcasts to it.
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.rayleigh(random.PRNGKey(0), 2.0, (2,))
    array([2.63997102, 3.49983995])
    """
    key = _check_key("rayleigh", key)
    dt = _float_dtype("rayleigh", dtype)
    scale = _convert(scale, dt)
    shape = _aval_of(scale)[0] if shape is None else _shape("rayleigh", shape)
    _check_shape("rayleigh", shape, _aval_of(scale)[0])
    u = _uniform(key, shape, dt, 0.0, 1.0)
    root = fnp.sqrt(fnp.multiply(xla_log(u), np.asarray(-2, dt)))
    return _result(fnp.multiply(fnp.broadcast_to(scale, shape), root))


def geometric(key: Array, p: Any, shape: Shape | None = None, dtype: DTypeLike = None) -> Array:
    """Geometric samples (trials until the first success, probability ``p``):
    ``floor(log u / log1p(-p)) + 1``.

    Args:
      key: a key.
      p: the success probability (a float or an array; its dtype is the uniforms').
      shape: the result's shape (default ``p``'s); ``p`` broadcasts to it.
      dtype: an integer dtype (default int64).

    Returns:
      Integers >= 1, of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.geometric(random.PRNGKey(0), 0.5, (4,))
    array([2, 3, 1, 1])
    """
    key = _check_key("geometric", key)
    dt = np.dtype(np.int64 if dtype is None else dtype)
    p = p if isinstance(p, Tracer) else np.asarray(p)
    p_shape, p_dtype = _aval_of(p)
    if p_dtype.kind not in "f":
        p = _convert(p, np.dtype(np.float64))
        p_dtype = np.dtype(np.float64)
    p_dtype = _float_dtype("geometric", p_dtype)
    shape = p_shape if shape is None else _shape("geometric", shape)
    _check_shape("geometric", shape, p_shape)
    u = _uniform(key, shape, p_dtype, 0.0, 1.0)
    u = fnp.where(fnp.equal(u, 0), np.asarray(1, p_dtype), u)  # as JAX: log(0) avoided
    g = fnp.add(fnp.floor(fnp.divide(xla_log(u), fnp.broadcast_to(xla_log1p(fnp.negative(p)),
                                                                  shape))),
                np.asarray(1, p_dtype))
    return _result(fnp.asarray(g, dt))


def maxwell(key: Array, shape: Shape = (), dtype: DTypeLike = None) -> Array:
    """Maxwell samples: the length of a standard normal 3-vector.

    Args:
      key: a key.
      shape: the result's shape (default ``()``).
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.maxwell(random.PRNGKey(0), (2,)).shape
    (2,)
    """
    key = _check_key("maxwell", key)
    dt = _float_dtype("maxwell", dtype)
    z = _normal(key, _shape("maxwell", shape) + (3,), dt)
    # The norm as a chain of fused multiply-adds (XLA's own order varies with the shape).
    z0, z1, z2 = z[..., 0], z[..., 1], z[..., 2]
    return _result(fnp.sqrt(fma(z2, z2, fma(z1, z1, fnp.multiply(z0, z0)))))


# -- the gamma family ---------------------------------------------------------------------------
#
# JAX's gamma sampler, step for step: one key per element (``split(key, size)``), and for each
# Marsaglia and Tsang's rejection method, "A simple method for generating gamma variables"
# (2000), in a while loop (batched with vmap, as JAX's).  One step differs: XLA computes
# ``1/3 / sqrt(d)`` with the CPU's approximate reciprocal square root refined by Newton steps,
# which no portable code can reproduce, and this computes it correctly rounded; the samples
# agree with JAX's in most entries and to the last bits in the others (see docs/random.md).


def _gamma_one(key: Array, alpha: Array, log_space: bool) -> Array:
    dtype = _aval_of(alpha)[1]

    def const(v: float) -> np.ndarray:
        return np.asarray(v, dtype)

    zero, one = const(0), const(1)
    # alpha < 1: sample Gamma(alpha + 1) and scale by U**(1/alpha) (in log space if asked).
    boost_mask = fnp.greater_equal(alpha, one)
    alpha_orig = alpha
    alpha = fnp.where(boost_mask, alpha, fnp.add(alpha, one))
    d = fnp.subtract(alpha, const(1 / 3))
    c = fnp.divide(const(1 / 3), fnp.sqrt(d))

    def rejected(state: tuple[Array, ...]) -> Array:
        _, x2, v3, u = state
        squeeze = fnp.greater_equal(u, fma(const(-0.0331), fnp.multiply(x2, x2), one))
        bound = fma(x2, const(0.5), fnp.multiply(d, fnp.add(fnp.subtract(one, v3), xla_log(v3))))
        return fnp.logical_and(squeeze, fnp.greater_equal(xla_log(u), bound))

    def propose(state: tuple[Array, ...]) -> tuple[Array, ...]:
        keys = _split(state[0], (3,))

        def draw_normal(kxv: tuple[Array, ...]) -> tuple[Array, ...]:
            ks = _split(kxv[0], (2,))
            x = _normal(ks[1], (), dtype)
            return ks[0], x, fma(x, c, one)

        _, x, v = lax.while_loop(lambda kxv: fnp.less_equal(kxv[2], zero), draw_normal,
                                 (keys[1], zero, const(-1)))
        u = _uniform(keys[2], (), dtype, 0.0, 1.0)
        return keys[0], fnp.multiply(x, x), fnp.multiply(fnp.multiply(v, v), v), u

    keys = _split(key, (2,))
    # (x2, v3, u) = (0, 1, 2) satisfies the loop's condition: one proposal at least.
    _, _, v3, _ = lax.while_loop(rejected, propose, (keys[0], zero, one, const(2)))
    if log_space:
        # log U as JAX's -exponential(): -(-log1p(-u)), the same bits as log1p(-u)
        log_u = xla_log1p(fnp.negative(_uniform(keys[1], (), dtype, 0.0, 1.0)))
        log_boost = fnp.where(fnp.logical_or(boost_mask, fnp.equal(log_u, zero)), zero,
                              fnp.multiply(log_u, fnp.divide(one, alpha_orig)))
        return fnp.add(fnp.add(xla_log(d), xla_log(v3)), log_boost)
    u = fnp.subtract(one, _uniform(keys[1], (), dtype, 0.0, 1.0))
    boost = fnp.where(boost_mask, one, fnp.power(u, fnp.divide(one, alpha_orig)))
    return fnp.multiply(fnp.multiply(d, v3), boost)


def _gamma_samples(key: Array, a: Array, log_space: bool) -> Array:
    shape = _aval_of(a)[0]
    n = math.prod(shape)
    if n == 0:
        return fnp.zeros(shape, _aval_of(a)[1])
    keys = _split(key, (n,))
    flat = vmap(lambda k, alpha: _gamma_one(k, alpha, log_space))(keys, fnp.reshape(a, (n,)))
    return fnp.reshape(flat, shape)


# The samples, with their derivative in ``a`` given by the rule below (the key and the flag
# are not differentiated).
_gamma_sampler = custom_jvp(_gamma_samples, nondiff_argnums=(0, 2))


def _gamma_sampler_jvp(key: Array, log_space: bool, primals: tuple[Array, ...],
                       tangents: tuple[Array, ...]) -> tuple[Array, Array]:
    """The implicit reparameterisation derivative (as JAX's ``random_gamma_grad``): the sample
    x moves with ``a`` so that its quantile stays put, ``dx/da = -dF/da / dF/dx`` for the
    regularised incomplete gamma ``F(a, x)``, whose x-derivative is the density."""
    (a,), (a_dot,) = primals, tangents
    ans = _gamma_sampler(key, a, log_space)
    x = fnp.exp(ans) if log_space else ans
    x = fnp.maximum(x, np.asarray(np.finfo(_aval_of(a)[1]).tiny, _aval_of(a)[1]))
    log_x = fnp.log(x)
    dF_da = lax.igamma_grad_a(a, x)  # noqa: N806 - the math's name
    # log of the density times x (d log x / da) or of the density alone (dx / da)
    log_density = fnp.subtract(fnp.subtract(fnp.multiply(a if log_space else a - 1, log_x), x),
                               gammaln(a))
    return ans, fnp.multiply(a_dot, fnp.negative(fnp.divide(dF_da, fnp.exp(log_density))))


_gamma_sampler.defjvp(_gamma_sampler_jvp)


def _shape_param(name: str, key: Array, a: Any, shape: Shape | None, dtype: DTypeLike
                 ) -> tuple[Array, np.dtype[Any], Array]:
    """The key checked, the dtype, and the parameter ``a`` converted and broadcast to the
    result's shape (``a``'s own by default)."""
    key = _check_key(name, key)
    dt = _float_dtype(name, dtype)
    a = _convert(a, dt)
    a_shape = _aval_of(a)[0]
    out_shape = a_shape if shape is None else _shape(name, shape)
    _check_shape(name, out_shape, a_shape)
    return key, dt, fnp.broadcast_to(a, out_shape)


def gamma(key: Array, a: Any, shape: Shape | None = None, dtype: DTypeLike = None) -> Array:
    """Gamma samples of shape parameter ``a`` (unit scale), by JAX's algorithm.

    Marsaglia and Tsang's rejection method, one key per element as in JAX; the values agree
    with JAX's in most entries and otherwise in the last bits (XLA's approximate ``rsqrt``,
    see ``docs/random.md``).  Differentiable in ``a`` by implicit reparameterisation (JAX's
    rule): ``dx/da = -(dF/da) / (dF/dx)`` with ``F`` the gamma CDF.

    Args:
      key: a key.
      a: the shape parameter (> 0), an array or a traced value.
      shape: the result's shape (default ``a``'s); ``a`` broadcasts to it.
      dtype: float32 or float64 (the default).

    >>> from functrace import random
    >>> random.gamma(random.PRNGKey(0), 2.0, (3,))
    array([1.3520308 , 1.12435945, 3.73240416])
    """
    key, _, a = _shape_param("gamma", key, a, shape, dtype)
    return _result(_gamma_sampler(key, a, False))


def loggamma(key: Array, a: Any, shape: Shape | None = None, dtype: DTypeLike = None) -> Array:
    """Logarithms of gamma samples, computed in log space (accurate for small ``a``, where
    the samples themselves underflow); as :func:`gamma`, JAX's algorithm.

    Args:
      key: a key.
      a: the gamma shape parameter (> 0) (arrays too; differentiable).
      shape: the result's shape (default ``a``'s); ``a`` broadcasts to it.
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.loggamma(random.PRNGKey(0), 0.01, (2,))
    array([-111.95421555, -228.98216108])
    """
    key, _, a = _shape_param("loggamma", key, a, shape, dtype)
    return _result(_gamma_sampler(key, a, True))


def chisquare(key: Array, df: Any, shape: Shape | None = None, dtype: DTypeLike = None) -> Array:
    """Chi-square samples with ``df`` degrees of freedom: ``2 Gamma(df / 2)``.

    Args:
      key: a key.
      df: the degrees of freedom (> 0) (arrays too; differentiable).
      shape: the result's shape (default ``df``'s); ``df`` broadcasts to it.
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.chisquare(random.PRNGKey(0), 3.0, (2,))
    array([1.81389348, 1.44835385])
    """
    key, dt, df = _shape_param("chisquare", key, df, shape, dtype)
    half = fnp.divide(df, np.asarray(2, dt))
    return _result(fnp.multiply(fnp.exp(_gamma_sampler(key, half, True)), np.asarray(2, dt)))


def t(key: Array, df: Any, shape: Shape | None = None, dtype: DTypeLike = None) -> Array:
    """Student's t samples with ``df`` degrees of freedom: ``z sqrt(df/2 / Gamma(df/2))``.

    Args:
      key: a key.
      df: the degrees of freedom (> 0) (arrays too; differentiable).
      shape: the result's shape (default ``df``'s); ``df`` broadcasts to it.
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.t(random.PRNGKey(0), 5.0, (2,))
    array([ 1.46806694, -0.55869328])
    """
    key, dt, df = _shape_param("t", key, df, shape, dtype)
    keys = _split(key, (2,))
    z = _normal(keys[0], _aval_of(df)[0], dt)
    half = fnp.divide(df, np.asarray(2, dt))
    g = _gamma_sampler(keys[1], half, False)
    return _result(fnp.multiply(z, fnp.sqrt(fnp.divide(half, g))))


def beta(key: Array, a: Any, b: Any, shape: Shape | None = None,
         dtype: DTypeLike = None) -> Array:
    """Beta samples, ``Ga / (Ga + Gb)`` for gamma samples drawn in log space (so that small
    ``a`` and ``b`` keep their precision), as JAX's.

    Args:
      key: a key.
      a, b: the shape parameters (> 0) (arrays too; differentiable).
      shape: the result's shape (default: the parameters' broadcast shape).
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.beta(random.PRNGKey(0), 2.0, 3.0, (2,))
    array([0.32795607, 0.61380901])
    """
    key = _check_key("beta", key)
    dt = _float_dtype("beta", dtype)
    a, b = _convert(a, dt), _convert(b, dt)
    params = _broadcast_shapes("beta", _aval_of(a)[0], _aval_of(b)[0])
    out_shape = params if shape is None else _shape("beta", shape)
    _check_shape("beta", out_shape, _aval_of(a)[0], _aval_of(b)[0])
    keys = _split(key, (2,))
    log_a = _gamma_sampler(keys[0], fnp.broadcast_to(a, out_shape), True)
    log_b = _gamma_sampler(keys[1], fnp.broadcast_to(b, out_shape), True)
    log_max = fnp.maximum(log_a, log_b)
    ga = fnp.exp(fnp.subtract(log_a, log_max))
    gb = fnp.exp(fnp.subtract(log_b, log_max))
    return _result(fnp.divide(ga, fnp.add(ga, gb)))


def dirichlet(key: Array, alpha: Any, shape: Shape | None = None,
              dtype: DTypeLike = None) -> Array:
    """Dirichlet samples: normalised gamma samples (drawn in log space, as JAX's).

    Args:
      key: a key.
      alpha: the concentrations, shape ``(..., k)``.
      shape: the batch shape (default ``alpha.shape[:-1]``); the result is ``shape + (k,)``.
      dtype: float32 or float64 (the default).

    >>> import numpy as np
    >>> from functrace import random
    >>> random.dirichlet(random.PRNGKey(0), np.array([1.0, 2.0, 3.0]))
    array([0.07065346, 0.16705569, 0.76229085])
    """
    key = _check_key("dirichlet", key)
    dt = _float_dtype("dirichlet", dtype)
    alpha = _convert(alpha, dt)
    a_shape = _aval_of(alpha)[0]
    if len(a_shape) < 1:
        raise ValueError("dirichlet requires alpha.ndim >= 1, got alpha.ndim == 0.")
    batch = a_shape[:-1] if shape is None else _shape("dirichlet", shape)
    _check_shape("dirichlet", batch, a_shape[:-1])
    log_g = _gamma_sampler(key, fnp.broadcast_to(alpha, batch + a_shape[-1:]), True)
    # softmax: the gamma samples normalised, without leaving log space before the ratio
    e = fnp.exp(fnp.subtract(log_g, fnp.max(log_g, axis=-1, keepdims=True)))
    return _result(fnp.divide(e, fnp.sum(e, axis=-1, keepdims=True)))


def f(key: Array, dfnum: Any, dfden: Any, shape: Shape | None = None,
      dtype: DTypeLike = None) -> Array:
    """F-distribution samples, ``(X1 / dfnum) / (X2 / dfden)`` for chi-square ``X1``, ``X2``.

    Args:
      key: a key.
      dfnum, dfden: the numerator's and the denominator's degrees of freedom (> 0;
        arrays too; differentiable).
      shape: the result's shape (default: the parameters' broadcast shape).
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.f(random.PRNGKey(0), 3.0, 5.0, (2,))
    array([1.54798047, 0.35745633])
    """
    key = _check_key("f", key)
    dt = _float_dtype("f", dtype)
    dfnum, dfden = _convert(dfnum, dt), _convert(dfden, dt)
    params = _broadcast_shapes("f", _aval_of(dfnum)[0], _aval_of(dfden)[0])
    out_shape = params if shape is None else _shape("f", shape)
    _check_shape("f", out_shape, _aval_of(dfnum)[0], _aval_of(dfden)[0])
    keys = _split(key, (2,))
    two = np.asarray(2, dt)

    def chi2(k: Array, df: Array) -> Array:
        half = fnp.divide(fnp.broadcast_to(df, out_shape), two)
        return fnp.multiply(fnp.exp(_gamma_sampler(k, half, True)), two)

    num = fnp.divide(chi2(keys[1], dfnum), dfnum)
    den = fnp.divide(chi2(keys[0], dfden), dfden)
    return _result(fnp.divide(num, den))


# -- Poisson ------------------------------------------------------------------------------------


def _poisson_knuth(key: Array, lam: Array, shape: tuple[int, ...], dtype: np.dtype[Any]
                   ) -> Array:
    """Knuth's method: count float32 uniforms until their product drops below exp(-lam)."""

    def more(state: tuple[Array, ...]) -> Array:
        return fnp.any(fnp.greater(_convert(state[3], lam.dtype), fnp.negative(lam)))

    def step(state: tuple[Array, ...]) -> tuple[Array, ...]:
        i, k, key, log_prod = state
        keys = _split(key, (2,))
        k = fnp.where(fnp.greater(_convert(log_prod, lam.dtype), fnp.negative(lam)),
                      fnp.add(k, np.asarray(1, dtype)), k)
        u = _uniform(keys[1], shape, np.dtype(np.float32), 0.0, 1.0)
        return fnp.add(i, 1), k, keys[0], fnp.add(log_prod, xla_log(u))

    init = (np.asarray(0), fnp.zeros(shape, dtype), key, fnp.zeros(shape, np.float32))
    k = lax.while_loop(more, step, init)[1]
    return fnp.subtract(k, np.asarray(1, dtype))


def _poisson_rejection(key: Array, lam: Array, shape: tuple[int, ...], dtype: np.dtype[Any]
                       ) -> Array:
    """Hormann's transformed rejection ("The transformed rejection method for generating
    Poisson random variables", 1993), for large ``lam``."""
    ftype = lam.dtype
    log_lam = xla_log(lam)
    b = fnp.add(np.asarray(0.931, ftype), fnp.multiply(np.asarray(2.53, ftype), fnp.sqrt(lam)))
    a = fnp.add(np.asarray(-0.059, ftype), fnp.multiply(np.asarray(0.02483, ftype), b))
    inv_alpha = fnp.add(np.asarray(1.1239, ftype),
                        fnp.divide(np.asarray(1.1328, ftype), fnp.subtract(b, 3.4)))
    v_r = fnp.subtract(np.asarray(0.9277, ftype),
                       fnp.divide(np.asarray(3.6224, ftype), fnp.subtract(b, 2)))

    def more(state: tuple[Array, ...]) -> Array:
        return fnp.any(fnp.logical_not(state[2]))

    def step(state: tuple[Array, ...]) -> tuple[Array, ...]:
        i, k_out, accepted, key = state
        keys = _split(key, (3,))
        u = fnp.subtract(_uniform(keys[1], shape, ftype, 0.0, 1.0), np.asarray(0.5, ftype))
        v = _uniform(keys[2], shape, ftype, 0.0, 1.0)
        u_shifted = fnp.subtract(np.asarray(0.5, ftype), fnp.abs(u))
        k = fnp.floor(fnp.add(fnp.add(fnp.multiply(fnp.add(fnp.divide(fnp.multiply(2, a),
                                                                       u_shifted), b), u),
                                      lam), np.asarray(0.43, ftype)))
        s = xla_log(fnp.divide(fnp.multiply(v, inv_alpha),
                               fnp.add(fnp.divide(a, fnp.multiply(u_shifted, u_shifted)), b)))
        t_ = fnp.subtract(fnp.add(fnp.negative(lam), fnp.multiply(k, log_lam)),
                          gammaln(fnp.add(k, np.asarray(1, ftype))))
        accept1 = fnp.logical_and(fnp.greater_equal(u_shifted, 0.07), fnp.less_equal(v, v_r))
        reject = fnp.logical_or(fnp.less(k, 0), fnp.logical_and(fnp.less(u_shifted, 0.013),
                                                               fnp.greater(v, u_shifted)))
        accept = fnp.logical_or(accept1, fnp.logical_and(fnp.logical_not(reject),
                                                         fnp.less_equal(s, t_)))
        k_out = fnp.where(accept, k, k_out)
        return fnp.add(i, 1), k_out, fnp.logical_or(accepted, accept), keys[0]

    init = (np.asarray(0), fnp.full(shape, -1, ftype), fnp.zeros(shape, bool), key)
    return fnp.asarray(lax.while_loop(more, step, init)[1], dtype)


def poisson(key: Array, lam: Any, shape: Shape | None = None, dtype: DTypeLike = None) -> Array:
    """Poisson samples of rate ``lam``, by JAX's algorithm (in float32, as JAX's): Knuth's
    product of uniforms for ``lam < 10`` (JAX's values bit for bit there), Hormann's
    transformed rejection above (JAX's draws; ``lgamma`` may round differently from XLA's, so
    an accept/reject decision, and the sample, may differ).

    Args:
      key: a key.
      lam: the rate (>= 0), an array too.
      shape: the result's shape (default ``lam``'s); ``lam`` broadcasts to it.
      dtype: an integer dtype (default int64).

    >>> from functrace import random
    >>> random.poisson(random.PRNGKey(0), 3.0, (5,))
    array([0, 0, 4, 4, 1])
    """
    key = _check_key("poisson", key)
    dt = np.dtype(np.int64 if dtype is None else dtype)
    if dt.kind not in "iu":
        raise TypeError(f"poisson: dtype must be an integer dtype, got {dt}.")
    # As JAX's: the rate in float32, whatever its dtype (so are the uniforms).
    lam = _convert(lam if isinstance(lam, Tracer) else np.asarray(lam), np.dtype(np.float32))
    lam_shape = _aval_of(lam)[0]
    out_shape = lam_shape if shape is None else _shape("poisson", shape)
    _check_shape("poisson", out_shape, lam_shape)
    lam = fnp.broadcast_to(fnp.stop_gradient(lam), out_shape)
    knuth = fnp.logical_or(fnp.isnan(lam), fnp.less(lam, 10))
    lam_knuth = fnp.where(knuth, lam, np.zeros((), lam.dtype))
    lam_rejection = fnp.where(knuth, np.asarray(1e5, lam.dtype), lam)
    out = fnp.where(knuth, _poisson_knuth(key, lam_knuth, out_shape, dt),
                    _poisson_rejection(key, lam_rejection, out_shape, dt))
    return _result(fnp.where(fnp.equal(lam, 0), np.zeros((), dt), out))


# -- transformations of the above (float functions from NumPy: not bit-exact) -------------------


def lognormal(key: Array, sigma: Any = 1.0, shape: Shape | None = None,
              dtype: DTypeLike = None) -> Array:
    """Log-normal samples, ``exp(sigma z)`` (``exp`` is NumPy's, so the last bits may differ
    from JAX's).

    Args:
      key: a key.
      sigma: the log's standard deviation (arrays too; differentiable).
      shape: the result's shape (default ``sigma``'s); ``sigma`` broadcasts to it.
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.lognormal(random.PRNGKey(0), 0.5, (2,))
    array([0.90219818, 0.67544544])
    """
    key, dt, sigma = _shape_param("lognormal", key, sigma, shape, dtype)
    return _result(fnp.exp(fnp.multiply(_normal(key, _aval_of(sigma)[0], dt), sigma)))


def pareto(key: Array, b: Any, shape: Shape | None = None, dtype: DTypeLike = None) -> Array:
    """Pareto samples of shape ``b``, ``exp(E / b)`` for exponential ``E`` (``exp`` is
    NumPy's: the last bits may differ from JAX's).

    Args:
      key: a key.
      b: the shape (> 0) (arrays too; differentiable).
      shape: the result's shape (default ``b``'s); ``b`` broadcasts to it.
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.pareto(random.PRNGKey(0), 3.0, (2,))
    array([1.19804395, 1.08463233])
    """
    key, dt, b = _shape_param("pareto", key, b, shape, dtype)
    u = _uniform(key, _aval_of(b)[0], dt, 0.0, 1.0)
    e = fnp.negative(xla_log1p(fnp.negative(u)))
    return _result(fnp.exp(fnp.divide(e, b)))


def weibull_min(key: Array, scale: Any, concentration: Any, shape: Shape | None = None,
                dtype: DTypeLike = None) -> Array:
    """Weibull samples, ``scale (-log1p(-u)) ** (1 / concentration)`` (the power is NumPy's:
    the last bits may differ from JAX's).

    Args:
      key: a key.
      scale, concentration: the scale and the shape (> 0) (arrays too; differentiable).
      shape: the result's shape (default: the parameters' broadcast shape).
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.weibull_min(random.PRNGKey(0), 2.0, 1.5, (2,))
    array([1.32963939, 0.78035921])
    """
    key = _check_key("weibull_min", key)
    dt = _float_dtype("weibull_min", dtype)
    scale, concentration = _convert(scale, dt), _convert(concentration, dt)
    params = _broadcast_shapes("weibull_min", _aval_of(scale)[0], _aval_of(concentration)[0])
    out_shape = params if shape is None else _shape("weibull_min", shape)
    _check_shape("weibull_min", out_shape, params)
    u = _uniform(key, out_shape, dt, 0.0, 1.0)
    e = fnp.negative(xla_log1p(fnp.negative(u)))
    return _result(fnp.multiply(fnp.power(e, fnp.divide(np.asarray(1, dt), concentration)),
                                scale))


# -- the rest of jax.random's distributions -----------------------------------------------------
#
# Each follows JAX's algorithm and draws step for step (the same keys, split the same way), so
# the results are JAX's where the float code is exact or XLA's (xla_log...), and agree to
# rounding where a power, exp or sum is NumPy's (docs/random.md says which).


def _float_params(name: str, dtype: DTypeLike, *params: Any
                  ) -> tuple[np.dtype[Any], list[Array]]:
    """The float dtype and the parameters converted to it."""
    dt = _float_dtype(name, dtype)
    return dt, [_convert(p, dt) for p in params]


def _out_shape(name: str, shape: Shape | None, *param_shapes: tuple[int, ...]
               ) -> tuple[int, ...]:
    """``shape``, checked against the parameters', or their broadcast when None."""
    if shape is None:
        return _broadcast_shapes(name, *param_shapes)
    out = _shape(name, shape)
    _check_shape(name, out, *param_shapes)
    return out


def wald(key: Array, mean: Any, shape: Shape | None = None, dtype: DTypeLike = None) -> Array:
    """Wald (inverse Gaussian) samples of mean ``mean`` and shape 1, by Michael, Schucany and
    Haas's transformation of a chi-square(1) draw, as JAX's.

    Args:
      key: a key.
      mean: the mean (> 0) (arrays too; differentiable).
      shape: the result's shape (default ``mean``'s); ``mean`` broadcasts to it.
      dtype: float32 or float64 (the default).

    Returns:
      Positive samples of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.wald(random.PRNGKey(0), 2.0, (3,))
    array([0.22327945, 3.90085525, 3.56995724])
    """
    key = _check_key("wald", key)
    dt, (mean,) = _float_params("wald", dtype, mean)
    shape = _out_shape("wald", shape, _aval_of(mean)[0])
    keys = _split(key, (2,))
    mean = fnp.broadcast_to(mean, shape)
    v = _normal(keys[0], shape, dt)
    z = _uniform(keys[1], shape, dt, 0.0, 1.0)
    y = fnp.multiply(v, v)
    mean_sq = fnp.multiply(mean, mean)
    # the smaller root x of the quadratic, then x or mean**2 / x with probabilities
    # mean / (mean + x) and x / (mean + x)
    root = fnp.sqrt(fnp.add(fnp.multiply(fnp.multiply(mean, np.asarray(4, dt)), y),
                            fnp.multiply(mean_sq, fnp.multiply(y, y))))
    x = fnp.subtract(fnp.add(mean, fnp.divide(fnp.multiply(mean_sq, y), np.asarray(2, dt))),
                     fnp.multiply(fnp.divide(mean, np.asarray(2, dt)), root))
    small = fnp.less_equal(z, fnp.divide(mean, fnp.add(mean, x)))
    return _result(fnp.where(small, x, fnp.divide(mean_sq, x)))


def triangular(key: Array, left: Any, mode: Any, right: Any, shape: Shape | None = None,
               dtype: DTypeLike = None) -> Array:
    """Triangular samples on ``[left, right]`` with peak ``mode``, by inverting the CDF.

    Args:
      key: a key.
      left, mode, right: the bounds and the peak, ``left <= mode <= right`` and
        ``left < right`` (arrays too; differentiable).
      shape: the result's shape (default: the parameters' broadcast shape).
      dtype: float32 or float64 (the default).

    Returns:
      An array of ``shape`` and ``dtype``.

    >>> from functrace import random
    >>> random.triangular(random.PRNGKey(0), 0.0, 0.5, 2.0, (3,))
    array([0.67915608, 0.46507575, 1.67745447])
    """
    key = _check_key("triangular", key)
    dt, (left, mode, right) = _float_params("triangular", dtype, left, mode, right)
    shape = _out_shape("triangular", shape, *(_aval_of(a)[0] for a in (left, mode, right)))
    left, mode, right = (fnp.broadcast_to(a, shape) for a in (left, mode, right))
    width = fnp.subtract(right, left)
    u = _uniform(key, shape, dt, 0.0, 1.0)
    below = fnp.add(left, fnp.sqrt(fnp.multiply(fnp.multiply(u, width),
                                                fnp.subtract(mode, left))))
    above = fnp.subtract(right, fnp.sqrt(fnp.multiply(
        fnp.multiply(fnp.subtract(np.asarray(1, dt), u), width), fnp.subtract(right, mode))))
    cut = fnp.divide(fnp.subtract(mode, left), width)  # the CDF at the peak
    return _result(fnp.where(fnp.less(u, cut), below, above))


def double_sided_maxwell(key: Array, loc: Any, scale: Any, shape: Shape = (),
                         dtype: DTypeLike = None) -> Array:
    """Double-sided Maxwell samples, density proportional to ``z**2 exp(-z**2 / 2)`` for
    ``z = (x - loc) / scale``: a Maxwell sample with a random sign.

    As JAX's, ``shape`` is put *in front of* the parameters' broadcast shape, and an empty
    ``shape`` counts as that broadcast shape: ``loc`` of shape ``(3,)`` gives samples of
    shape ``(3, 3)`` by default and ``(2, 3)`` for ``shape=(2,)``.

    Args:
      key: a key.
      loc, scale: the centre and the scale (arrays too; differentiable).
      shape: the leading shape (above).
      dtype: float32 or float64 (the default).

    >>> from functrace import random
    >>> random.double_sided_maxwell(random.PRNGKey(0), 0.0, 1.0, (3,))
    array([ 1.98461204, -2.4782074 , -1.6334815 ])
    """
    key = _check_key("double_sided_maxwell", key)
    dt, (loc, scale) = _float_params("double_sided_maxwell", dtype, loc, scale)
    params = _broadcast_shapes("double_sided_maxwell", _aval_of(loc)[0], _aval_of(scale)[0])
    lead = _shape("double_sided_maxwell", shape) or params
    full = lead + params
    keys = _split(key, (2,))
    magnitude = maxwell(keys[0], full, dt)
    sign = rademacher(keys[1], full, dt)
    return _result(fnp.add(fnp.multiply(fnp.multiply(sign, magnitude), scale), loc))


def _reciprocal(p: Any, dt: np.dtype[Any]) -> Array:
    """``1 / p`` in ``dt``; a concrete ``p`` divided with NumPy's promotion first (a Python
    float in double precision), as JAX computes ``1 / p`` before the sampler sees it."""
    if isinstance(p, Tracer):
        return fnp.divide(np.asarray(1, dt), _convert(p, dt))
    return _convert(np.divide(1, np.asarray(p)), dt)


def _generalized_normal(key: Array, p: Any, shape: tuple[int, ...], dt: np.dtype[Any]
                        ) -> Array:
    keys = _split(key, (2,))
    inv_p = _reciprocal(p, dt)
    g = gamma(keys[0], inv_p, shape, dt)
    r = rademacher(keys[1], shape, dt)
    return fnp.multiply(r, fnp.power(g, inv_p))


def generalized_normal(key: Array, p: Any, shape: Shape = (), dtype: DTypeLike = None
                       ) -> Array:
    """Generalized normal samples, density proportional to ``exp(-|x|**p)``: ``G**(1/p)``
    with a random sign, for ``G`` gamma-distributed of shape ``1/p`` (``p = 2`` is a normal
    of variance 1/2, ``p = 1`` a Laplace).

    Args:
      key: a key.
      p: the shape parameter (> 0) (an array broadcasting to ``shape`` too; differentiable,
        through the gamma sampler's implicit derivative).
      shape: the result's shape (default ``()``).
      dtype: float32 or float64 (the default).

    >>> from functrace import random
    >>> random.generalized_normal(random.PRNGKey(0), 2.0, (3,))
    array([ 0.85279566, -1.33199983, -0.1654544 ])
    """
    key = _check_key("generalized_normal", key)
    dt = _float_dtype("generalized_normal", dtype)
    return _result(_generalized_normal(key, p, _shape("generalized_normal", shape), dt))


def ball(key: Array, d: int, p: float = 2, shape: Shape = (), dtype: DTypeLike = None
         ) -> Array:
    """Points uniform in the unit ``p``-norm ball of dimension ``d`` (Barthe, Guedon,
    Mendelson and Naor, 2005): generalized-normal coordinates divided by
    ``(sum |g|**p + E)**(1/p)`` for an exponential ``E``.

    Args:
      key: a key.
      d: the dimension (a concrete non-negative int).
      p: the norm's exponent (> 0; differentiable).
      shape: the batch shape (default ``()``).
      dtype: float32 or float64 (the default).

    Returns:
      An array of shape ``(*shape, d)``.

    >>> import numpy as np
    >>> from functrace import random
    >>> x = random.ball(random.PRNGKey(0), 3, shape=(1000,))
    >>> x.shape, bool((np.linalg.norm(x, axis=-1) < 1).all())
    ((1000, 3), True)
    """
    key = _check_key("ball", key)
    dt = _float_dtype("ball", dtype)
    d = _concrete_int("ball", d)
    if d < 0:
        raise ValueError(f"ball: the dimension d must be non-negative, got {d}.")
    batch = _shape("ball", shape)
    keys = _split(key, (2,))
    g = _generalized_normal(keys[0], p, batch + (d,), dt)
    e = exponential(keys[1], batch, dt)
    p_dt = _convert(p, dt)
    total = fnp.add(fnp.sum(fnp.power(fnp.abs(g), p_dt), axis=-1), e)
    return _result(fnp.divide(g, fnp.expand_dims(fnp.power(total, _reciprocal(p, dt)), -1)))


# Binomial: JAX's (TensorFlow's) algorithm: inversion by sums of geometric draws when
# n * min(p, 1-p) <= 10, Hormann's BTRS transformed rejection above, both on min(p, 1 - p).

# log(k!) - Stirling's approximation's, for k = 0..9 (as JAX's table; a series above)
_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _stirling_tail(k: Array) -> Array:
    dt = k.dtype
    table = np.asarray(_STIRLING_TAIL, dt)
    k_clamped = fnp.clip(k, np.asarray(0, dt), np.asarray(9, dt))
    kp1 = fnp.add(k_clamped, np.asarray(1, dt))
    kp1sq = fnp.multiply(kp1, kp1)
    series = fnp.divide(fnp.subtract(np.asarray(1 / 12, dt), fnp.divide(
        fnp.subtract(np.asarray(1 / 360, dt), fnp.divide(np.asarray(1 / 1260, dt), kp1sq)),
        kp1sq)), kp1)
    index = fnp.asarray(fnp.floor(k_clamped), np.int32)
    return fnp.where(fnp.less_equal(k, np.asarray(9, dt)), fnp.take(table, index), series)


def _binomial_inversion(key: Array, count: Array, prob: Array, shape: tuple[int, ...],
                        dtype: np.dtype[Any]) -> Array:
    """The number of geometric(prob) waiting times that fit in ``count`` trials."""
    ftype = prob.dtype
    # A success probability of 0 waits forever: its waiting time is +inf, which ends the loop
    # at once (JAX's log(u) / log1p(-0.0) = log(u) / -0.0), without dividing by zero.
    never = fnp.equal(prob, 0)
    log1m_prob = fnp.where(never, np.asarray(-1, ftype), xla_log1p(fnp.negative(prob)))

    def more(state: tuple[Array, ...]) -> Array:
        return fnp.any(fnp.less_equal(state[2], count))

    def step(state: tuple[Array, ...]) -> tuple[Array, ...]:
        i, num_geom, geom_sum, key = state
        keys = _split(key, (2,))
        num_geom = fnp.where(fnp.less_equal(geom_sum, count),
                             fnp.add(num_geom, np.asarray(1, ftype)), num_geom)
        u = _uniform(keys[0], shape, ftype, 0.0, 1.0)
        geom = fnp.where(never, np.asarray(np.inf, ftype),
                         fnp.ceil(fnp.divide(xla_log(u), log1m_prob)))
        return fnp.add(i, 1), num_geom, fnp.add(geom_sum, geom), keys[1]

    init = (np.asarray(0), fnp.zeros(shape, ftype), fnp.zeros(shape, ftype), key)
    k = lax.while_loop(more, step, init)[1]
    return fnp.asarray(fnp.subtract(k, np.asarray(1, ftype)), dtype)


def _binomial_btrs(key: Array, count: Array, prob: Array, shape: tuple[int, ...],
                   dtype: np.dtype[Any]) -> Array:
    """Hormann's BTRS ("The generation of binomial random variates", 1993)."""
    ftype = prob.dtype

    def c(v: float) -> np.ndarray:
        return np.asarray(v, ftype)

    stddev = fnp.sqrt(fnp.multiply(fnp.multiply(count, prob), fnp.subtract(c(1), prob)))
    b = fnp.add(c(1.15), fnp.multiply(c(2.53), stddev))
    a = fnp.add(fnp.add(c(-0.0873), fnp.multiply(c(0.0248), b)), fnp.multiply(c(0.01), prob))
    cc = fnp.add(fnp.multiply(count, prob), c(0.5))
    v_r = fnp.subtract(c(0.92), fnp.divide(c(4.2), b))
    r = fnp.divide(prob, fnp.subtract(c(1), prob))
    alpha = fnp.multiply(fnp.add(c(2.83), fnp.divide(c(5.1), b)), stddev)
    m = fnp.floor(fnp.multiply(fnp.add(count, c(1)), prob))

    def more(state: tuple[Array, ...]) -> Array:
        return fnp.any(fnp.logical_not(state[2]))

    def step(state: tuple[Array, ...]) -> tuple[Array, ...]:
        i, k_out, accepted, key = state
        keys = _split(key, (3,))
        u = fnp.subtract(_uniform(keys[1], shape, ftype, 0.0, 1.0), c(0.5))
        v = _uniform(keys[2], shape, ftype, 0.0, 1.0)
        us = fnp.subtract(c(0.5), fnp.abs(u))
        accept1 = fnp.logical_and(fnp.greater_equal(us, c(0.07)), fnp.less_equal(v, v_r))
        k = fnp.floor(fnp.add(fnp.multiply(fnp.add(fnp.divide(fnp.multiply(c(2), a), us), b),
                                           u), cc))
        reject = fnp.logical_or(fnp.less(k, c(0)), fnp.greater(k, count))
        log_v = xla_log(fnp.divide(fnp.multiply(v, alpha),
                                   fnp.add(fnp.divide(a, fnp.multiply(us, us)), b)))
        n_m1 = fnp.add(fnp.subtract(count, m), c(1))
        n_k1 = fnp.add(fnp.subtract(count, k), c(1))
        bound = fnp.add(fnp.add(
            fnp.multiply(fnp.add(m, c(0.5)),
                         xla_log(fnp.divide(fnp.add(m, c(1)), fnp.multiply(r, n_m1)))),
            fnp.multiply(fnp.add(count, c(1)), xla_log(fnp.divide(n_m1, n_k1)))),
            fnp.multiply(fnp.add(k, c(0.5)),
                         xla_log(fnp.divide(fnp.multiply(r, n_k1), fnp.add(k, c(1))))))
        bound = fnp.subtract(fnp.subtract(
            fnp.add(fnp.add(bound, _stirling_tail(m)), _stirling_tail(fnp.subtract(count, m))),
            _stirling_tail(k)), _stirling_tail(fnp.subtract(count, k)))
        accept = fnp.logical_or(accept1, fnp.logical_and(fnp.logical_not(reject),
                                                         fnp.less_equal(log_v, bound)))
        return (fnp.add(i, 1), fnp.where(accept, k, k_out), fnp.logical_or(accepted, accept),
                keys[0])

    init = (np.asarray(0), fnp.full(shape, -1, ftype), fnp.zeros(shape, bool), key)
    return fnp.asarray(lax.while_loop(more, step, init)[1], dtype)


def _binomial(key: Array, count: Any, prob: Any, shape: Shape | None, dtype: np.dtype[Any]
              ) -> Array:
    prob = prob if isinstance(prob, Tracer) else np.asarray(prob)
    if _aval_of(prob)[1].kind != "f":
        prob = _convert(prob, np.dtype(np.float64))
    # Counts, not derivatives: the parameters are held constant (JAX's derivative is 0).
    prob = fnp.stop_gradient(prob)
    ftype = _float_dtype("binomial", _aval_of(prob)[1])
    count = fnp.stop_gradient(_convert(count, ftype))
    out_shape = _out_shape("binomial", shape, _aval_of(count)[0], _aval_of(prob)[0])
    count = fnp.broadcast_to(count, out_shape)
    prob = fnp.broadcast_to(prob, out_shape)

    def c(v: float) -> np.ndarray:
        return np.asarray(v, ftype)

    p_lt_half = fnp.less(prob, c(0.5))
    q = fnp.where(p_lt_half, prob, fnp.subtract(c(1), prob))
    count_bad = fnp.logical_or(fnp.isnan(count), fnp.less(count, c(0)))
    count_inf = fnp.isinf(count)
    q_nan = fnp.isnan(q)
    q_neg = fnp.less(q, c(0))
    q = fnp.where(fnp.logical_or(q_nan, q_neg), c(0.01), q)
    use_inversion = fnp.logical_or(count_bad, fnp.less_equal(fnp.multiply(count, q), c(10)))
    count = fnp.floor(count)  # as NumPy, for a float count
    count_inv = fnp.where(use_inversion, count, c(0))
    count_btrs = fnp.where(use_inversion, c(1e4), count)
    q_btrs = fnp.where(use_inversion, c(0.5), q)
    samples = fnp.where(use_inversion,
                        _binomial_inversion(key, count_inv, q, out_shape, dtype),
                        _binomial_btrs(key, count_btrs, q_btrs, out_shape, dtype))
    invalid = fnp.logical_or(fnp.logical_or(q_neg, q_nan), count_bad)
    samples = fnp.where(invalid, np.asarray(np.nan, dtype), samples)
    samples = fnp.where(fnp.logical_and(count_inf, fnp.logical_not(invalid)),
                        np.asarray(np.inf, dtype), samples)
    keep = fnp.logical_or(fnp.logical_or(p_lt_half, count_bad), fnp.logical_or(q_nan, count_inf))
    return fnp.where(keep, samples, fnp.subtract(fnp.asarray(count, dtype), samples))


def binomial(key: Array, n: Any, p: Any, shape: Shape | None = None, dtype: DTypeLike = None
             ) -> Array:
    """Binomial samples, the number of successes in ``n`` trials of probability ``p``, by
    JAX's algorithm (TensorFlow's): inversion for ``n min(p, 1-p) <= 10``, Hormann's BTRS
    rejection above.  The counts are floats, as JAX's; a NaN or negative ``n`` or a NaN or
    negative ``p`` gives NaN, an infinite ``n`` gives inf.  The samples are not
    differentiable in ``n`` and ``p`` (their derivative is 0, as JAX's).

    Args:
      key: a key.
      n: the number of trials (a float or an array; a fractional ``n`` is floored).
      p: the success probability (its float dtype is the computation's).
      shape: the result's shape (default: the broadcast of ``n``'s and ``p``'s shapes).
      dtype: float32 or float64 (the default), the samples' dtype.

    >>> from functrace import random
    >>> random.binomial(random.PRNGKey(0), 10, 0.3, (5,))
    array([4., 1., 3., 4., 3.])
    """
    key = _check_key("binomial", key)
    dt = _float_dtype("binomial", dtype)
    return _result(_binomial(key, n, p, shape, dt))


def multinomial(key: Array, n: Any, p: Any, *, shape: Shape | None = None,
                dtype: DTypeLike = None, unroll: int | bool = 1) -> Array:
    """Multinomial samples: the counts of ``n`` trials among the outcomes of probabilities
    ``p`` (along the last axis), drawn one outcome at a time as a binomial of the trials left
    (JAX's algorithm, a ``scan`` over the outcomes).

    Args:
      key: a key.
      n: the number of trials, broadcasting to ``p.shape[:-1]`` (the batch).
      p: the outcome probabilities, summing to 1 along the last axis.
      shape: the result's shape, batch and outcomes (default ``p.shape``); ``p`` broadcasts
        to it.
      dtype: float32 or float64 (the default), the counts' dtype.
      unroll: accepted for JAX's signature (the scan is not unrolled).

    Returns:
      Float counts of ``shape``, summing to ``n`` along the last axis.

    >>> import numpy as np
    >>> from functrace import random
    >>> random.multinomial(random.PRNGKey(0), 10, np.array([0.2, 0.3, 0.5]))
    array([1., 4., 5.])
    """
    del unroll
    key = _check_key("multinomial", key)
    dt = _float_dtype("multinomial", dtype)
    n = n if isinstance(n, Tracer) else np.asarray(n)
    p = p if isinstance(p, Tracer) else np.asarray(p)
    common = np.result_type(_aval_of(n)[1], _aval_of(p)[1])
    common = _float_dtype("multinomial", common if common.kind == "f" else np.float64)
    n, p = fnp.stop_gradient(_convert(n, common)), fnp.stop_gradient(_convert(p, common))
    p_shape = _aval_of(p)[0]
    if len(p_shape) < 1:
        raise ValueError("multinomial requires p.ndim >= 1 (outcomes along the last axis), "
                         "got a scalar p.")
    out_shape = p_shape if shape is None else _shape("multinomial", shape)
    _check_shape("multinomial", out_shape, p_shape)
    if len(out_shape) < 1:
        raise ValueError("multinomial: shape must end with the outcomes' axis, got ().")
    _check_shape("multinomial", out_shape[:-1], _aval_of(n)[0])
    n = fnp.broadcast_to(n, out_shape[:-1])
    p = fnp.moveaxis(fnp.broadcast_to(p, out_shape), -1, 0)
    # The probability of each outcome given that none of the earlier ones happened.
    left = fnp.flip(fnp.cumsum(fnp.flip(p, 0), axis=0), 0)
    ratios = fnp.divide(p, fnp.where(fnp.equal(left, 0), np.asarray(1, common), left))
    keys = _split(key, (out_shape[-1],))

    def draw(remainder: Array, ratio_key: tuple[Array, Array]) -> tuple[Array, Array]:
        ratio, k = ratio_key
        count = _binomial(k, remainder, fnp.clip(ratio, 0, 1), None, common)
        return fnp.subtract(remainder, count), count

    _, counts = lax.scan(draw, n, (ratios, keys))
    return _result(fnp.asarray(fnp.moveaxis(counts, 0, -1), dt))
