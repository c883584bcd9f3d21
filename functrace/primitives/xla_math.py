"""Elementwise primitives valued as XLA:CPU computes them, bit for bit: ``fma``, ``xla_log``,
``xla_log1p``, ``xla_erf``, ``xla_erf_inv`` and ``xla_tan``; ``reduce_precision``, XLA's
rounding of floats to fewer exponent and mantissa bits; and ``bitcast_convert_type``, the same
bits read as another dtype.

``functrace.random`` reproduces ``jax.random``'s numbers exactly, and those numbers go
through XLA's own floating-point code: fused multiply-adds and its ``log``, ``log1p``,
``erf_inv``... (see :mod:`functrace.primitives._xla_kernels` for what that code is and how it
is reproduced).  NumPy's ufuncs differ from it in the last bit now and then, hence these
primitives (a reason the IR must name: no composition of the other primitives rounds the same
way).  ``fma(a, b, c)`` is ``a * b + c`` rounded once, as ``math.fma``.

Operands are float32 or float64, one dtype (scalars may meet arrays, as for every elementwise
primitive).  The derivatives are the functions' own, written with the ordinary primitives:
``fma``'s is linear in each argument, ``log' = 1/x``, ``log1p' = 1/(1 + x)``,
``erf' = 2/sqrt(pi) exp(-x^2)``, ``erf_inv' = sqrt(pi)/2 exp(y^2)`` (from the output ``y``)
and ``tan' = 1 + y^2``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters.jvp import defjvp, deflinear_jvp
from functrace.interpreters.vjp import defvjp
from functrace.primitives import _xla_kernels as kernels
from functrace.primitives.elementwise import (
    add,
    defzero,
    div,
    elementwise,
    exp,
    mul,
    neg,
    scalar_like,
)
from functrace.primitives.shape import _front_batch


def _xla(name: str, kernel: Callable[..., np.ndarray]) -> Primitive:
    """An elementwise primitive of float32 or float64 operands, valued by ``kernel``."""

    def impl(*args: Any) -> Any:
        dtype = np.result_type(*args)
        return kernel(*(np.asarray(a, dtype=dtype) for a in args))

    prim = elementwise(name, impl)
    generic_shape = prim.shape_rule

    def shape_rule(*avals: ShapedArray, **params: Any) -> list[ShapedArray]:
        for a in avals:
            if a.dtype not in (np.float32, np.float64):
                raise TypeError(f"{name} requires float32 or float64 operands, got "
                                f"{a.str_short()}.")
        return generic_shape(*avals, **params)

    prim.shape_rule = shape_rule
    return prim


def _rules(prim: Primitive, *arg_rules: Callable[..., Any],
           residuals: tuple[bool, tuple[bool, ...]] | None = None) -> None:
    """One per-argument factor for both modes (an elementwise derivative is pointwise)."""
    defjvp(prim, *arg_rules)
    defvjp(prim, *arg_rules, residuals=residuals)


fma_p = _xla("fma", kernels.fma)
xla_log_p = _xla("xla_log", kernels.log)
xla_log1p_p = _xla("xla_log1p", kernels.log1p)
xla_erf_p = _xla("xla_erf", kernels.erf)
xla_erf_inv_p = _xla("xla_erf_inv", kernels.erf_inv)
xla_tan_p = _xla("xla_tan", kernels.tan)


def fma(a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` with one rounding."""
    return fma_p.bind1(a, b, c)


def xla_log(x: Any) -> Any:
    """The natural logarithm."""
    return xla_log_p.bind1(x)


def xla_log1p(x: Any) -> Any:
    """``log(1 + x)``."""
    return xla_log1p_p.bind1(x)


def xla_erf(x: Any) -> Any:
    """The error function."""
    return xla_erf_p.bind1(x)


def xla_erf_inv(x: Any) -> Any:
    """The inverse error function on [-1, 1]."""
    return xla_erf_inv_p.bind1(x)


def xla_tan(x: Any) -> Any:
    """The tangent."""
    return xla_tan_p.bind1(x)


_rules(fma_p, lambda t, ans, a, b, c: mul(t, b), lambda t, ans, a, b, c: mul(t, a),
       lambda t, ans, a, b, c: t, residuals=(False, (True, True, False)))
_rules(xla_log_p, lambda t, ans, x: div(t, x), residuals=(False, (True,)))
_rules(xla_log1p_p, lambda t, ans, x: div(t, add(x, scalar_like(x, 1))),
       residuals=(False, (True,)))
_rules(xla_erf_p, lambda t, ans, x: mul(t, mul(scalar_like(x, 2 / math.sqrt(math.pi)),
                                               exp(neg(mul(x, x))))),
       residuals=(False, (True,)))
_rules(xla_erf_inv_p, lambda t, ans, x: mul(t, mul(scalar_like(ans, math.sqrt(math.pi) / 2),
                                                   exp(mul(ans, ans)))),
       residuals=(True, (False,)))
_rules(xla_tan_p, lambda t, ans, x: mul(t, add(scalar_like(ans, 1), mul(ans, ans))),
       residuals=(True, (False,)))


# -- reduce_precision: a float rounded to fewer exponent and mantissa bits, as XLA does ----------
# (A primitive: the rounding works on the bits, which no other primitive reaches, and JAX's IR
# names it.  Like JAX's, it is linear for differentiation: the tangent is rounded the same way.)

reduce_precision_p = elementwise("reduce_precision", lambda x, *, exponent_bits, mantissa_bits:
                                 _reduce_precision_impl(x, exponent_bits, mantissa_bits))


def reduce_precision(x: Any, exponent_bits: int, mantissa_bits: int) -> Any:
    """``x`` rounded to the nearest float with ``exponent_bits`` exponent bits and
    ``mantissa_bits`` mantissa bits (ties to even); what overflows becomes +-inf, what falls
    below the smallest normal number becomes +-0 (no subnormals), NaN stays NaN."""
    _reduce_precision_check(get_aval(x), exponent_bits=exponent_bits,
                            mantissa_bits=mantissa_bits)  # (the root does not run shape rules)
    return reduce_precision_p.bind1(x, exponent_bits=exponent_bits, mantissa_bits=mantissa_bits)


def _reduce_precision_impl(x: Any, exponent_bits: int, mantissa_bits: int) -> np.ndarray:
    x = np.asarray(x)
    info = np.finfo(x.dtype)
    src_mantissa, src_exponent, nbits = info.nmant, info.nexp, 8 * x.dtype.itemsize
    uint = np.dtype(f"u{x.dtype.itemsize}")
    one = uint.type(1)
    bits = np.atleast_1d(x).view(uint).copy()
    if mantissa_bits < src_mantissa:
        # Round to nearest, ties to even: add half an ulp of the shorter mantissa, less one,
        # plus the last kept bit; then cut the dropped bits.  A carry into the exponent is the
        # correct rounding up to the next binade (or to infinity).
        shift = uint.type(src_mantissa - mantissa_bits)
        last = one << shift
        kept_bit = (bits & last) >> shift
        bits = (bits + kept_bit + ((last >> one) - one)) & ~(last - one)
    if exponent_bits < src_exponent:
        exponent_mask = uint.type(((1 << src_exponent) - 1) << src_mantissa)
        bias = (1 << (src_exponent - 1)) - 1
        reduced_bias = (1 << (exponent_bits - 1)) - 1
        exponent = bits & exponent_mask
        over = exponent > uint.type((bias + reduced_bias) << src_mantissa)
        under = exponent <= uint.type((bias - reduced_bias) << src_mantissa)
        signed_zero = bits & uint.type(1 << (nbits - 1))
        bits = np.where(over, signed_zero | exponent_mask, np.where(under, signed_zero, bits))
    out = bits.view(x.dtype).reshape(x.shape)
    return np.where(np.isnan(x), x, out)


_reduce_precision_shape = reduce_precision_p.shape_rule


def _reduce_precision_check(x: ShapedArray, *, exponent_bits: int,
                            mantissa_bits: int) -> list[ShapedArray]:
    if x.dtype.kind != "f":
        raise TypeError(f"reduce_precision requires a floating operand, got {x.str_short()}.")
    if exponent_bits < 1 or mantissa_bits < 0:
        raise ValueError(f"reduce_precision: exponent_bits must be >= 1 and mantissa_bits >= 0, "
                         f"got {exponent_bits} and {mantissa_bits}.")
    return _reduce_precision_shape(x, exponent_bits=exponent_bits, mantissa_bits=mantissa_bits)


reduce_precision_p.shape_rule = _reduce_precision_check
deflinear_jvp(reduce_precision_p)
defvjp(reduce_precision_p, lambda ct, ans, x, **params: reduce_precision(ct, **params),
       residuals=(False, (False,)))


# -- bitcast_convert_type: the same bits read as another dtype ----------------------------------
# (A primitive: reinterpreting bits is no arithmetic that other primitives compose, and JAX's IR
# names it.  Its derivative is zero, as JAX's: the bits of a tangent are not a tangent.)

bitcast_convert_type_p = Primitive("bitcast_convert_type")


def bitcast_convert_type(x: Any, new_dtype: Any) -> Any:
    """``x``'s bits as ``new_dtype`` (NumPy's ``view``, little-endian, as XLA:CPU).  A narrower
    ``new_dtype`` adds a trailing axis of ``old_size // new_size`` entries; a wider one needs
    the last axis to have ``new_size // old_size`` entries and removes it."""
    new_dtype = np.dtype(new_dtype)
    _bitcast_convert_type_shape(get_aval(x), new_dtype=new_dtype)  # eager calls check too
    return bitcast_convert_type_p.bind1(x, new_dtype=new_dtype)


def _bitcast_convert_type_impl(x: Any, *, new_dtype: np.dtype[Any]) -> np.ndarray:
    x = np.asarray(x, order="C")  # (ascontiguousarray would make a scalar 1-d)
    old, new = x.dtype.itemsize, new_dtype.itemsize
    if old > new:  # each entry becomes old // new entries along a new last axis
        return x.reshape(*x.shape, 1).view(new_dtype)
    out = x.view(new_dtype)  # old < new: the last axis (new // old entries) becomes one
    return out.reshape(x.shape[:-1]) if old < new else out


def _bitcast_convert_type_shape(x: ShapedArray, *, new_dtype: np.dtype[Any]
                                ) -> list[ShapedArray]:
    old, new = x.dtype, new_dtype
    if (old.kind in "bc" or new.kind in "bc") and old != new:
        raise TypeError("bitcast_convert_type does not convert booleans or complex numbers "
                        f"(unless the dtype is unchanged); got {x.str_short()} to {new}.")
    if old.itemsize == new.itemsize:
        shape = x.shape
    elif old.itemsize > new.itemsize:
        shape = (*x.shape, old.itemsize // new.itemsize)
    else:
        ratio = new.itemsize // old.itemsize
        if not x.shape or x.shape[-1] != ratio:
            raise ValueError(f"bitcast_convert_type: converting {x.str_short()} to the wider "
                             f"{new} needs a last axis of {ratio} entries (the entries that "
                             "make one), which it removes.")
        shape = x.shape[:-1]
    return [ShapedArray(shape, new)]


bitcast_convert_type_p.impl = lambda x, *, new_dtype: [
    _bitcast_convert_type_impl(x, new_dtype=new_dtype)]
bitcast_convert_type_p.shape_rule = _bitcast_convert_type_shape
defzero(bitcast_convert_type_p)
_front_batch(bitcast_convert_type_p, lambda size, **params: params)
