"""More of NumPy's (and ``jax.numpy``'s) functions, composed from the others: the array API's
``unique_*`` family, ``lexsort`` and ``sort_complex``, ``poly`` and ``polydiv``,
``fromfunction``, ``bitwise_count``, ``place``, ``mask_indices``, ``einsum_path``,
``isdtype``, ``packbits`` and ``unpackbits``, ``i0``, and the index-syntax concatenators
``r_`` and ``c_``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from functrace.core import Tracer
from functrace.numpy._base import as_operand, aval, convert
from functrace.numpy._composite import _cyclic, _known, _poly, _refuse_inplace, unique
from functrace.numpy._dtypes import result_type
from functrace.numpy._elementwise import (
    _ufunc_keywords,
    absolute,
    add,
    bitwise_and,
    exp,
    greater_equal,
    imag,
    less_equal,
    multiply,
    negative,
    not_equal,
    real,
    right_shift,
    sqrt,
    subtract,
    true_divide,
    where,
)
from functrace.numpy._indexing import argsort, getitem, pad, take_along_axis
from functrace.numpy._linalg import convolve
from functrace.numpy._reductions import normalize_axis
from functrace.numpy._reductions import sum as sum_
from functrace.numpy._shapes import (
    concatenate,
    expand_dims,
    indices,
    moveaxis,
    reshape,
    stack,
    transpose,
)
from functrace.primitives import decompositions as dc
from functrace.primitives import indexing as ix

# -- the array API's unique_* (NumPy 2): named results, the inverse shaped as the input ----------


class UniqueAllResult(NamedTuple):
    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


class UniqueCountsResult(NamedTuple):
    values: Any
    counts: Any


class UniqueInverseResult(NamedTuple):
    values: Any
    inverse_indices: Any


def _inverse_shaped(x: Any, inverse: Any) -> Any:
    return reshape(inverse, aval(as_operand(x)).shape)


def unique_values(x: Any, /, *, size: int | None = None, fill_value: Any = None) -> Any:
    """``numpy.unique_values``: the sorted distinct entries of ``x`` (flattened)."""
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x: Any, /, *, size: int | None = None, fill_value: Any = None
                  ) -> UniqueCountsResult:
    """``numpy.unique_counts``: the distinct entries and how often each occurs."""
    values, counts = unique(x, return_counts=True, size=size, fill_value=fill_value)
    return UniqueCountsResult(values, counts)


def unique_inverse(x: Any, /, *, size: int | None = None, fill_value: Any = None
                   ) -> UniqueInverseResult:
    """``numpy.unique_inverse``: the distinct entries, and for each entry of ``x`` the index
    of its value among them (shaped as ``x``)."""
    values, inverse = unique(x, return_inverse=True, size=size, fill_value=fill_value)
    return UniqueInverseResult(values, _inverse_shaped(x, inverse))


def unique_all(x: Any, /, *, size: int | None = None, fill_value: Any = None
               ) -> UniqueAllResult:
    """``numpy.unique_all``: the distinct entries, the index of each one's first occurrence,
    the inverse map (shaped as ``x``) and the counts."""
    values, first, inverse, counts = unique(x, return_index=True, return_inverse=True,
                                            return_counts=True, size=size,
                                            fill_value=fill_value)
    return UniqueAllResult(values, first, _inverse_shaped(x, inverse), counts)


# -- sorting by several keys ---------------------------------------------------------------------


def lexsort(keys: Any, axis: int = -1) -> Any:
    """``numpy.lexsort``: the indices that sort by the last key, ties broken by the one before
    it, and so on (stable sorts from the first key to the last).  ``keys`` is a sequence of
    arrays of one shape, or a 2-d (or more) array whose first axis indexes the keys."""
    if isinstance(keys, (list, tuple)):
        keys = [as_operand(k) for k in keys]
    else:
        keys = as_operand(keys)
        if aval(keys).ndim == 0:
            raise TypeError("lexsort: need a sequence of keys, got a 0-d array.")
        keys = [getitem(keys, i) for i in range(aval(keys).shape[0])]
    if not keys:
        raise TypeError("lexsort: need a sequence of keys with length >= 1.")
    shape = aval(keys[0]).shape
    if any(aval(k).shape != shape for k in keys):
        raise ValueError("lexsort: all keys need to be the same shape.")
    if not shape:
        return np.asarray(0, np.intp)
    axis = axis % len(shape)
    order = argsort(keys[0], axis=axis)
    for key in keys[1:]:
        # Sort the permuted key stably, and compose the permutations.
        order = take_along_axis(order, argsort(take_along_axis(key, order, axis), axis=axis),
                                axis)
    return order


def sort_complex(a: Any) -> Any:
    """``numpy.sort_complex``: sorted by the real part, then the imaginary part, as a complex
    array (NumPy's dtype: complex64 for integers of at most 16 bits, complex128 otherwise,
    the input's complex dtype for complex input)."""
    a = as_operand(a)
    dtype = aval(a).dtype
    if dtype.kind != "c":
        dtype = np.dtype(np.complex64 if dtype.char in "bhBH?" else np.complex128)
    a = convert(a, dtype)
    if aval(a).ndim == 0:
        return a
    return take_along_axis(a, lexsort((imag(a), real(a)), axis=-1), aval(a).ndim - 1)


# -- polynomials -------------------------------------------------------------------------------


def _inexact(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The floating dtype NumPy computes in: float and complex dtypes kept, the others
    float64."""
    return dtype if dtype.kind in "fc" else np.dtype(np.float64)


def poly(seq_of_zeros: Any) -> Any:
    """``numpy.poly``: the coefficients (highest power first, leading 1) of the monic
    polynomial with the given roots, or the characteristic polynomial of a square matrix
    (from its ``eigvals``).

    Concrete input gets NumPy's answer.  Traced, the dtype is JAX's: complex for complex roots
    and for matrices (whose eigenvalues are complex), where NumPy returns real coefficients
    when the roots come in conjugate pairs (a question about values)."""
    if not isinstance(seq_of_zeros, Tracer):
        return np.poly(seq_of_zeros)
    z = as_operand(seq_of_zeros)
    shape = aval(z).shape
    if len(shape) == 2 and shape[0] == shape[1] and shape[0] != 0:
        z = dc.eigvals(convert(z, _inexact(aval(z).dtype)))
    elif len(shape) != 1:
        raise ValueError("poly: input must be 1d or non-empty square 2d array.")
    z = convert(z, _inexact(aval(z).dtype))
    if aval(z).shape[0] == 0:
        return np.ones((), aval(z).dtype)  # NumPy's 1.0 for no roots, in the input's dtype
    out: Any = np.ones(1, aval(z).dtype)
    for k in range(aval(z).shape[0]):
        root = reshape(getitem(z, k), (1,))
        out = convolve(out, concatenate([np.ones(1, aval(z).dtype), -root]))
    return out


def polydiv(u: Any, v: Any, *, trim_leading_zeros: bool = False) -> tuple[Any, Any]:
    """``numpy.polydiv``: the quotient and remainder of dividing the polynomial ``u`` by
    ``v`` (highest power first), by long division.

    As JAX's, the remainder has ``u``'s length, its leading entries zero (NumPy drops them,
    a shape that depends on values: it would differ between eager and traced calls);
    ``trim_leading_zeros=True`` drops them (those below ``sqrt(eps)`` in magnitude, as JAX's),
    and then the values must be known.  Computed in the inputs' floating dtype."""
    u, v = _poly(u, "polydiv"), _poly(v, "polydiv")
    dtype = _inexact(np.result_type(aval(u).dtype, aval(v).dtype))
    u, v = convert(u, dtype), convert(v, dtype)
    m, n = aval(u).shape[0] - 1, aval(v).shape[0] - 1
    scale = true_divide(np.ones((), dtype), getitem(v, 0))
    q: list[Any] = []
    r = u
    for k in range(max(m - n + 1, 0)):
        coef = multiply(scale, getitem(r, k))
        q.append(coef)
        # r[k:k+n+1] -= coef * v
        window = subtract(getitem(r, slice(k, k + n + 1)), multiply(coef, v))
        r = ix.dynamic_update_slice(r, window, [np.asarray(k)])
    quotient = stack(q) if q else np.zeros(1, dtype)
    if trim_leading_zeros:
        # Zeros up to rounding, as JAX's (below sqrt(eps) in magnitude).
        value = np.abs(_known(r, "polydiv(trim_leading_zeros=True)"))
        nonzero = np.flatnonzero(value >= np.sqrt(np.finfo(dtype).eps))
        start = int(nonzero[0]) if nonzero.size else aval(r).shape[0] - 1
        r = getitem(r, slice(start, None))
    return quotient, r


# -- arrays from functions and indices -----------------------------------------------------------


def fromfunction(function: Callable[..., Any], shape: Sequence[int], *, dtype: Any = float,
                 **kwargs: Any) -> Any:
    """``numpy.fromfunction``: ``function`` called once with one index array per axis
    (``indices(shape, dtype)``), its result returned as it is."""
    return function(*indices(tuple(shape), dtype=dtype), **kwargs)


def mask_indices(n: int, mask_func: Callable[..., Any], k: Any = 0) -> tuple[Any, ...]:
    """``numpy.mask_indices``: the indices where ``mask_func(ones((n, n)), k)`` (``triu``,
    ``tril``...) is nonzero; concrete, since they depend only on ``n``, ``k`` and the
    function."""
    mask = mask_func(np.ones((n, n), int), k)
    return tuple(np.nonzero(_known(mask, "mask_indices") != 0))


def place(arr: Any, mask: Any, vals: Any, *, inplace: bool = True) -> Any:
    """``numpy.place`` as ``jax.numpy``'s: a new array with the entries where ``mask`` is True
    replaced by ``vals``, repeated in order as often as needed (``inplace=False`` is
    required: traced arrays are immutable).  The mask must be known."""
    _refuse_inplace("place", inplace)
    arr = as_operand(arr)
    where = np.flatnonzero(_known(as_operand(mask), "place"))
    flat = reshape(arr, (aval(arr).size,))
    if not where.size:
        return arr
    values = reshape(convert(as_operand(vals), aval(arr).dtype), (-1,))
    if aval(values).size == 0:
        raise ValueError("place: cannot place values from an empty vals into a non-empty mask.")
    out = ix.scatter(flat, _cyclic(values, where.size), [where], (0,))
    return reshape(out, aval(arr).shape)


# -- bits ----------------------------------------------------------------------------------------

# The masks of the parallel bit count (pairs, nibbles, bytes), for 8-byte words.
_M1, _M2, _M4 = 0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F


@_ufunc_keywords
def bitwise_count(x: Any, /) -> Any:
    """``numpy.bitwise_count``: the number of 1 bits in the absolute value of each integer
    (``uint8``, as NumPy's), by a parallel bit count on 64-bit words."""
    x = as_operand(x)
    dtype = aval(x).dtype
    if dtype.kind not in "iub":
        raise TypeError(f"bitwise_count: integer operands are required, got {dtype}.")
    if dtype.kind == "b":
        return convert(x, np.dtype(np.uint8))
    if dtype.kind == "i":  # |x| as the unsigned type of its width (|-128| of int8 is 128)
        x = convert(absolute(x), np.dtype(f"u{dtype.itemsize}"))
    w = convert(x, np.dtype(np.uint64))
    u64 = np.dtype(np.uint64)

    def c(value: int) -> np.ndarray:
        return np.asarray(value, u64)

    w = subtract(w, bitwise_and(right_shift(w, c(1)), c(_M1)))
    w = add(bitwise_and(w, c(_M2)), bitwise_and(right_shift(w, c(2)), c(_M2)))
    w = bitwise_and(add(w, right_shift(w, c(4))), c(_M4))
    for shift in (8, 16, 32):  # the bytes' counts summed into the lowest byte
        w = add(w, right_shift(w, c(shift)))
    return convert(bitwise_and(w, c(0x7F)), np.dtype(np.uint8))


# -- shapes only ---------------------------------------------------------------------------------


def einsum_path(subscripts: str, *operands: Any, optimize: Any = "greedy",
                einsum_call: bool = False) -> Any:
    """``numpy.einsum_path``: NumPy's contraction order for operands of these shapes (it
    depends on shapes only, so traced operands are fine)."""
    if einsum_call:
        raise NotImplementedError("einsum_path: einsum_call=True is NumPy-internal.")
    avals = [aval(as_operand(o)) for o in operands]
    stand_ins = [np.broadcast_to(np.zeros((), a.dtype), a.shape) for a in avals]
    return np.einsum_path(subscripts, *stand_ins, optimize=optimize)


def isdtype(dtype: Any, kind: Any) -> bool:
    """``numpy.isdtype``: whether ``dtype`` is of ``kind`` (a dtype, a kind name such as
    ``"real floating"``, or a tuple of them); dtypes only, as NumPy's."""
    return bool(np.isdtype(np.dtype(dtype), kind))



# -- r_ and c_: concatenation by index syntax ----------------------------------------------------


class _AxisConcatenator:
    """NumPy's ``r_``/``c_`` on traced arrays: ``x[a, b, ...]`` concatenates its entries along
    ``axis``.  A slice ``start:stop:step`` stands for ``arange`` (``linspace`` with ``num`` points
    for an imaginary step ``num * 1j``), a number for a one-entry array; every entry is raised
    to ``ndmin`` dimensions, a 1-d one placed along ``trans1d``.  A leading string changes them:
    ``"axis"``, ``"axis,ndmin"`` or ``"axis,ndmin,trans1d"`` (NumPy's ``"r"``/``"c"`` matrix
    directives are not supported)."""

    def __init__(self, axis: int, ndmin: int, trans1d: int):
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key: Any) -> Any:
        items = list(key) if isinstance(key, tuple) else [key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if items and isinstance(items[0], str):
            directive = items.pop(0)
            if directive in ("r", "c"):
                raise NotImplementedError(f"the {directive!r} directive (a matrix result) is not "
                                          "supported by functrace.")
            try:
                parts = [int(p) for p in directive.split(",")]
            except ValueError:
                raise ValueError(f"unknown special directive {directive!r}") from None
            axis, ndmin, trans1d = (parts + [ndmin, trans1d][len(parts) - 1:])[:3]
        if not items:
            return np.zeros(0)
        raw = []
        for item in items:
            if isinstance(item, str):
                raise ValueError("special directives must be the first entry.")
            if isinstance(item, slice):
                raw.append(self._range(item, ndmin, trans1d))
            else:
                raw.append(item)
        dtype = result_type(*raw)
        arrays = []
        for item, original in zip(raw, items, strict=True):
            if isinstance(original, slice):
                arrays.append(convert(item, dtype))
                continue
            x = convert(as_operand(item), dtype)
            arrays.append(_raised(x, ndmin, trans1d if aval(x).ndim else -1))
        return concatenate(arrays, axis=axis)

    @staticmethod
    def _range(item: slice, ndmin: int, trans1d: int) -> Any:
        start = 0 if item.start is None else item.start
        step = 1 if item.step is None else item.step
        if any(isinstance(v, Tracer) for v in (start, item.stop, step)):
            raise TypeError("r_/c_: slice bounds must be concrete numbers.")
        if isinstance(step, complex):
            out = np.linspace(start, item.stop, int(abs(step)))
        else:
            out = np.arange(start, item.stop, step)
        if ndmin > 1:
            out = np.array(out, ndmin=ndmin)
            if trans1d != -1:
                out = out.swapaxes(-1, trans1d)
        return out


def _raised(x: Any, ndmin: int, trans1d: int) -> Any:
    """``x`` with leading axes added up to ``ndmin``, its own axes moved to start at
    ``trans1d`` (NumPy's rule for the entries of ``r_``/``c_``)."""
    nd = aval(x).ndim
    if nd >= ndmin:
        return x
    x = reshape(x, (1,) * (ndmin - nd) + aval(x).shape)
    if trans1d == -1:
        return x
    k1, k2 = trans1d, ndmin - nd
    if k1 < 0:
        k1 += k2 + 1
    axes = list(range(ndmin))
    return transpose(x, axes[:k1] + axes[k2:] + axes[k1:k2])


r_ = _AxisConcatenator(0, 1, -1)
c_ = _AxisConcatenator(-1, 2, 0)


# -- packing bits into bytes ---------------------------------------------------------------------


def _bit_weights(bitorder: str, name: str) -> np.ndarray:
    if bitorder not in ("big", "little"):
        raise ValueError(f"{name}: bitorder must be 'big' or 'little', got {bitorder!r}.")
    weights = 1 << np.arange(8, dtype=np.uint8)
    return weights[::-1] if bitorder == "big" else weights


def packbits(a: Any, /, axis: int | None = None, bitorder: str = "big") -> Any:
    """``numpy.packbits``: the entries of ``a`` (nonzero or not) packed 8 to a ``uint8``
    along ``axis`` (the flattened array for None), the last byte padded with zero bits."""
    a = as_operand(a)
    if aval(a).dtype.kind not in "iub":
        raise TypeError("packbits: expected an input array of integer or boolean data type, "
                        f"got {aval(a).dtype}.")
    weights = _bit_weights(bitorder, "packbits")
    if axis is None:
        a, axis = reshape(a, (aval(a).size,)), 0
    axis = normalize_axis(axis, aval(a).ndim, "packbits")
    bits = convert(not_equal(moveaxis(a, axis, -1), 0), np.dtype(np.uint8))
    n = aval(bits).shape[-1]
    padding = -n % 8
    if padding:
        bits = pad(bits, [(0, 0)] * (aval(bits).ndim - 1) + [(0, padding)])
    grouped = reshape(bits, (*aval(bits).shape[:-1], (n + padding) // 8, 8))
    packed = sum_(multiply(grouped, weights), axis=-1, dtype=np.uint8)
    return moveaxis(packed, -1, axis)


def unpackbits(a: Any, /, axis: int | None = None, count: int | None = None,
               bitorder: str = "big") -> Any:
    """``numpy.unpackbits``: each ``uint8`` of ``a`` as its 8 bits (``uint8`` 0/1) along
    ``axis`` (the flattened array for None); ``count`` keeps that many bits (from the end if
    negative)."""
    a = as_operand(a)
    if aval(a).dtype != np.uint8:
        raise TypeError(f"unpackbits: expected an input array of unsigned byte data type, got "
                        f"{aval(a).dtype}.")
    weights = _bit_weights(bitorder, "unpackbits")
    if axis is None:
        a, axis = reshape(a, (aval(a).size,)), 0
    axis = normalize_axis(axis, aval(a).ndim, "unpackbits")
    x = moveaxis(a, axis, -1)
    bits = convert(not_equal(bitwise_and(expand_dims(x, -1), weights), 0), np.dtype(np.uint8))
    bits = reshape(bits, (*aval(x).shape[:-1], aval(x).shape[-1] * 8))
    if count is not None:
        total = aval(bits).shape[-1]
        keep = count if count >= 0 else max(total + count, 0)
        if keep <= total:
            bits = getitem(bits, (..., slice(0, keep)))
        else:
            bits = pad(bits, [(0, 0)] * (aval(bits).ndim - 1) + [(0, keep - total)])
    return moveaxis(bits, -1, axis)


# -- i0: the modified Bessel function of the first kind, order 0 ---------------------------------


def _i0_coefficients() -> tuple[np.ndarray, np.ndarray]:
    """NumPy's Chebyshev coefficients for ``i0`` (Cephes's, on ``|x| <= 8`` and above)."""
    try:
        from numpy.lib import _function_base_impl as impl

        return np.asarray(impl._i0A), np.asarray(impl._i0B)  # type: ignore[attr-defined]
    except (ImportError, AttributeError):  # pragma: no cover - a NumPy that moved them
        raise NotImplementedError("i0: this NumPy version does not expose the coefficients "
                                  "functrace.numpy.i0 evaluates.") from None


def _chebyshev(x: Any, coefficients: np.ndarray) -> Any:
    """The Chebyshev series ``coefficients`` at ``x`` (Clenshaw's recurrence, in NumPy's
    order of operations)."""
    b0: Any = coefficients[0]
    b1: Any = 0.0
    b2: Any = 0.0
    for c in coefficients[1:]:
        b2, b1 = b1, b0
        b0 = add(subtract(multiply(x, b1), b2), c)
    return multiply(0.5, subtract(b0, b2))


def i0(x: Any) -> Any:
    """``numpy.i0``: the modified Bessel function of the first kind of order 0, by NumPy's
    (Cephes's) Chebyshev approximations on ``|x| <= 8`` and above, so the values are NumPy's.
    Differentiable to any order (the derivative is the approximation's, which agrees with
    ``I1`` to rounding, about 1e-13 of ``i0``).  Integers become float64, float32 stays
    float32; complex input is refused, as NumPy's."""
    x = as_operand(x)
    dtype = aval(x).dtype
    if dtype.kind == "c":
        raise TypeError("i0 not supported for complex values")
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
        x = convert(x, dtype)
    # |x| as a select, whose slope at 0 is 1 (not abs's 0): i0 is even, and the chain rule
    # through a slope of 0 would lose its second derivative there (1/2).
    a = where(greater_equal(x, 0.0), x, negative(x))
    small = less_equal(a, 8.0)
    low_a, high_a = where(small, a, 0.0), where(small, 8.0, a)  # each branch's safe inputs
    coef_a, coef_b = (c.astype(dtype) for c in _i0_coefficients())
    low = multiply(exp(low_a), _chebyshev(subtract(true_divide(low_a, 2.0), 2.0), coef_a))
    high = true_divide(multiply(exp(high_a), _chebyshev(
        subtract(true_divide(32.0, high_a), 2.0), coef_b)), sqrt(high_a))
    return where(small, low, high)
