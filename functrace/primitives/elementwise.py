"""Elementwise primitives: arithmetic, math functions, comparisons, select, dtype conversion.

Every operand of an elementwise primitive has the same dtype, and the same shape or none (a
scalar may meet an array, as with JAX's ``lax``): ``functrace.numpy`` makes the rest of NumPy's
broadcasting and type promotion explicit (``broadcast_in_dim`` and ``convert_element_type``
equations) before binding.  The rules below take scalar operands as they come (the
interpreters broadcast a scalar operand's tangent and sum its cotangent).
Derivative rules are one line per argument and reuse the primal output ``ans`` where they can.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters.jvp import defjvp, deflinear_jvp, instantiate, jvp_rules
from functrace.interpreters.vjp import defvjp, vjp_residuals, vjp_rules
from functrace.interpreters.vmap import batch_rules
from functrace.primitives.shape import (
    broadcast_batch,
    broadcast_in_dim,
    moveaxis,
    shape_of,
)
from functrace.tracing import zero_derivative


def _elementwise_batch(prim: Primitive) -> None:
    """Batch by aligning every operand's batch axis with that of the first batched array.

    Scalar operands (see :func:`elementwise`) keep broadcasting: an unbatched one stays a
    scalar, a batched one (one scalar per member) is broadcast along the batch axis."""

    def rule(size: int, args: list[Any], bdims: list[int | None], **params: Any) -> Any:
        # Each operand's shape without its batch axis; the arrays among them share one shape.
        inner = [s if b is None else s[:b] + s[b + 1:]
                 for s, b in ((shape_of(x), b) for x, b in zip(args, bdims, strict=True))]
        arrays = [i for i, s in enumerate(inner) if s]
        d = next((bdims[i] for i in arrays if bdims[i] is not None), 0)
        assert d is not None
        if not arrays:  # scalars only: each member's is a scalar
            return prim.bind(*[broadcast_batch(x, size, 0) if b is None else x
                               for x, b in zip(args, bdims, strict=True)], **params), [0]
        out_shape = inner[arrays[0]][:d] + (size,) + inner[arrays[0]][d:]
        aligned = []
        for x, b, s in zip(args, bdims, inner, strict=True):
            if b is None:
                x = broadcast_batch(x, size, d) if s else x  # an unbatched scalar stays one
            elif not s:
                x = broadcast_in_dim(x, out_shape, (d,))
            elif b != d:
                x = moveaxis(x, b, d)
            aligned.append(x)
        return prim.bind(*aligned, **params), [d]

    batch_rules[prim] = rule


def elementwise(name: str, impl: Callable[..., Any], out_dtype: Any = None) -> Primitive:
    """Declare an elementwise primitive: its impl, its shape rule and its batching rule.

    Operands have one dtype and one shape, except that scalars (rank 0) may be combined with
    arrays of any shape, as with JAX's ``lax`` operations (``mul a 2.0:f32[]``).
    ``out_dtype`` fixes the output dtype (``bool`` for comparisons); by default it is the
    operands' common dtype.
    """
    prim = Primitive(name)
    fixed = None if out_dtype is None else np.dtype(out_dtype)

    def shape_rule(*avals: ShapedArray, **params: Any) -> list[ShapedArray]:
        out = avals[0]  # the result's shape is that of the operands that are not scalars
        weak = True
        for a in avals:
            if a.dtype != out.dtype or (a.shape != out.shape and a.shape and out.shape):
                raise ValueError(
                    f"{name}: operands must have equal shapes (or be scalars) and equal "
                    f"dtypes, got {', '.join(a.str_short() for a in avals)}."
                )
            if a.shape:
                out = a
            weak = weak and a.weak_type
        if fixed is not None:
            return [ShapedArray(out.shape, fixed)]
        # Avals are immutable, so an operand's can be the result's when it matches
        # (this runs once per traced operation; building a frozen dataclass is not free).
        return [out if weak == out.weak_type else ShapedArray(out.shape, out.dtype, weak)]

    prim.def_impl1(impl)
    prim.shape_rule = shape_rule
    _elementwise_batch(prim)
    return prim


def full_like(x: Any, value: Any) -> Any:
    """An array of ``x``'s shape and dtype filled with ``value`` (a literal or a broadcast)."""
    aval = get_aval(x)
    scalar = np.array(value, dtype=aval.dtype)
    return scalar if not aval.shape else broadcast_in_dim(scalar, aval.shape, ())


def scalar_like(x: Any, value: Any) -> Any:
    """``value`` as a scalar of ``x``'s dtype: an operand of an elementwise primitive with
    ``x`` (a literal in the IR, as JAX's rules write ``1 - ans**2``)."""
    return np.array(value, dtype=get_aval(x).dtype)


def defzero(prim: Primitive) -> None:
    """A primitive whose derivative is zero everywhere it exists (comparisons, sign, floor...)."""
    jvp_rules[prim] = lambda primals, tangents, ans, **params: [None] * len(ans)
    vjp_rules[prim] = lambda cts, ans, args, needed, **params: [None] * len(args)
    zero_derivative.add(prim)


# -- arithmetic ---------------------------------------------------------------------------------

add_p = elementwise("add", np.add)


def add(x: Any, y: Any) -> Any:
    return add_p.bind1(x, y)


defjvp(add_p, lambda x_dot, ans, x, y: x_dot, lambda y_dot, ans, x, y: y_dot)
defvjp(add_p, lambda ct, ans, x, y: ct, lambda ct, ans, x, y: ct, residuals=(False, (False,)))

sub_p = elementwise("sub", np.subtract)


def sub(x: Any, y: Any) -> Any:
    return sub_p.bind1(x, y)


defjvp(sub_p, lambda x_dot, ans, x, y: x_dot, lambda y_dot, ans, x, y: neg(y_dot))
defvjp(sub_p, lambda ct, ans, x, y: ct, lambda ct, ans, x, y: neg(ct),
       residuals=(False, (False,)))

mul_p = elementwise("mul", np.multiply)


def mul(x: Any, y: Any) -> Any:
    return mul_p.bind1(x, y)


defjvp(mul_p, lambda x_dot, ans, x, y: mul(x_dot, y), lambda y_dot, ans, x, y: mul(x, y_dot))
defvjp(mul_p, lambda ct, ans, x, y: mul(ct, y), lambda ct, ans, x, y: mul(x, ct),
       residuals=(False, (True,)))


def _div_impl(x: Any, y: Any) -> Any:
    # On integers the IR's div is NumPy's floor division (functrace.numpy follows NumPy);
    # true division of integers converts them to floats first.
    if np.result_type(x).kind in "iub":
        return np.floor_divide(x, y)
    return np.divide(x, y)


div_p = elementwise("div", _div_impl)


def div(x: Any, y: Any) -> Any:
    return div_p.bind1(x, y)


defjvp(div_p, lambda x_dot, ans, x, y: div(x_dot, y),
       lambda y_dot, ans, x, y: neg(mul(y_dot, div(ans, y))))
defvjp(div_p, lambda ct, ans, x, y: div(ct, y), lambda ct, ans, x, y: neg(mul(ct, div(ans, y))),
       residuals=(True, (False, True)))

neg_p = elementwise("neg", np.negative)


def neg(x: Any) -> Any:
    return neg_p.bind1(x)


deflinear_jvp(neg_p)
defvjp(neg_p, lambda ct, ans, x: neg(ct), residuals=(False, (False,)))

# NumPy's vectorised loops for maximum and minimum run on two arrays only: with a scalar operand
# (relu's ``max x 0.0``) float32 and float64 take a scalar loop that is 2-3x slower (NumPy 2.x,
# from about 4096 elements on).  Filling an array with the scalar and taking the extremum into
# it gives bit-identical results (NaNs and signed zeros included) in less time.
FILLED_MIN_SIZE = 4096
FILLED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def filled_extremum(ufunc: np.ufunc, x: Any, y: Any, out: np.ndarray | None = None) -> Any:
    """``ufunc(x, y)`` (``np.maximum`` or ``np.minimum``), with a scalar operand of a large
    float array first broadcast into an array of its own (into ``out`` when ``out`` is given and
    does not overlap the array operand)."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0:
        scalar, array = x, y
    elif y.ndim == 0:
        scalar, array = y, x
    else:
        return ufunc(x, y, out=out)
    if array.size < FILLED_MIN_SIZE or array.dtype not in FILLED_DTYPES \
            or scalar.dtype != array.dtype:
        return ufunc(x, y, out=out)
    if out is None or np.may_share_memory(out, array):
        out = np.empty(array.shape, array.dtype)
    out.fill(scalar)
    return ufunc(out, array, out=out) if x.ndim == 0 else ufunc(array, out, out=out)


def _extremum_impl(ufunc: np.ufunc) -> Callable[[Any, Any], Any]:
    def impl(x: Any, y: Any) -> Any:
        if getattr(x, "size", 0) >= FILLED_MIN_SIZE or getattr(y, "size", 0) >= FILLED_MIN_SIZE:
            return filled_extremum(ufunc, x, y)
        return ufunc(x, y)

    return impl


max_p = elementwise("max", _extremum_impl(np.maximum))


def maximum(x: Any, y: Any) -> Any:
    return max_p.bind1(x, y)


min_p = elementwise("min", _extremum_impl(np.minimum))


def minimum(x: Any, y: Any) -> Any:
    return min_p.bind1(x, y)


def _balanced_eq(x: Any, other: Any, greater: bool, dtype: np.dtype[Any]) -> Any:
    """1 where ``x`` is the operand that ``max`` (``greater``) or ``min`` selects over
    ``other``, 0.5 where they tie (gradients split), else 0 (also where either is NaN)."""
    x_wins = convert_element_type((ge_p if greater else le_p).bind1(x, other), dtype)
    tie = convert_element_type(eq(x, other), dtype)
    return div(x_wins, add(np.array(1, dtype=dtype), tie))


# ``ct * _balanced_eq(x, other, greater)`` as one primitive, for real floating dtypes: relu
# (``maximum(x, 0)``) pulls back through it on every layer, and the formula above makes four
# full-size float temporaries where this makes one.  It is linear in ``ct`` and constant in the
# others (the weight is piecewise constant), so it has its own jvp, vjp and batching rules.
# It compares the operands themselves, not the result: the tape keeps only ``x`` (relu's
# pre-activation), and the pullback reads one array fewer.
balanced_mul_p = Primitive("balanced_mul")


def _balanced_mul_impl(ct: Any, x: Any, other: Any, *, greater: bool) -> Any:
    # x >= other (x <= other for min) is where x is selected or ties; False where either is NaN.
    x_wins = np.greater_equal(x, other) if greater else np.less_equal(x, other)
    # ct * 1 is ct and ct * 0 is what multiplying by the float weight 0 gives (NaN for inf/NaN).
    out = np.asarray(np.multiply(ct, x_wins, dtype=get_aval(ct).dtype))
    tie = np.equal(x, other)
    if tie.any():  # a tie is exactly where the weight is 1/2: ct * 1/2, in place
        np.multiply(out, out.dtype.type(0.5), out=out, where=tie)
    return out


def _balanced_mul_shape(ct: ShapedArray, x: ShapedArray, other: ShapedArray, *,
                        greater: bool) -> list[ShapedArray]:
    shape = next((a.shape for a in (ct, x, other) if a.shape), ())
    if any(a.shape not in (shape, ()) or a.dtype != ct.dtype for a in (ct, x, other)):
        raise ValueError(
            "balanced_mul: operands must have equal shapes (or be scalars) and dtypes, got "
            f"{', '.join(a.str_short() for a in (ct, x, other))}."
        )
    return [ShapedArray(shape, ct.dtype)]  # as mul(ct, weight): the weight is not weak


def balanced_mul(ct: Any, x: Any, other: Any, greater: bool) -> Any:
    """``ct * _balanced_eq(x, other, greater)``, exactly: the cotangent share of ``x`` in
    ``max(x, other)`` (``greater``) or ``min(x, other)``."""
    dtype = get_aval(ct).dtype
    if dtype.kind != "f":
        return mul(ct, _balanced_eq(x, other, greater, dtype))
    return balanced_mul_p.bind1(ct, x, other, greater=bool(greater))


balanced_mul_p.def_impl1(_balanced_mul_impl)
balanced_mul_p.shape_rule = _balanced_mul_shape
_elementwise_batch(balanced_mul_p)
defjvp(balanced_mul_p, lambda ct_dot, out, ct, x, other, *, greater:
       balanced_mul(ct_dot, x, other, greater), None, None)
defvjp(balanced_mul_p, lambda c, out, ct, x, other, *, greater: balanced_mul(c, x, other, greater),
       None, None, residuals=(False, (False, True)))

for _p, _greater in ((max_p, True), (min_p, False)):
    defjvp(_p, lambda x_dot, ans, x, y, _g=_greater: balanced_mul(x_dot, x, y, _g),
           lambda y_dot, ans, x, y, _g=_greater: balanced_mul(y_dot, y, x, _g))
    defvjp(_p, lambda ct, ans, x, y, _g=_greater: balanced_mul(ct, x, y, _g),
           lambda ct, ans, x, y, _g=_greater: balanced_mul(ct, y, x, _g),
           residuals=(False, (True,)))


pow_p = elementwise("pow", np.power)


def pow(x: Any, y: Any) -> Any:  # noqa: A001 - the primitive's name
    return pow_p.bind1(x, y)


def _as_shape_of(x: Any, ans: Any) -> Any:
    """A scalar operand ``x`` broadcast to the output's shape (select_n wants equal shapes)."""
    shape = shape_of(ans)
    return broadcast_in_dim(x, shape, ()) if shape and not shape_of(x) else x


def _pow_jvp_rhs(y_dot: Any, ans: Any, x: Any, y: Any) -> Any:
    # d/dy x**y = log(x) x**y; at x == 0 take the limit 0 (as JAX) instead of 0 * -inf.
    x = _as_shape_of(x, ans)
    zero = eq(x, full_like(x, 0))
    safe_log = log(select_n(zero, x, full_like(x, 1)))
    return mul(y_dot, mul(ans, safe_log))


def _pow_dx(x: Any, y: Any) -> Any:
    # d/dx x**y = y x**(y-1), with x == y == 0 giving 0.  Only there is the formula replaced
    # (elsewhere it stays, so that its derivative in y, x**(y-1) (1 + y log x), is exact: at
    # y == 0 it is 1/x), and the power is taken of 1 rather than x, so that the branch not
    # taken has no 0**-1 = inf, whose zero cotangent would make a reverse-mode second
    # derivative 0 * inf = nan.
    both_zero = and_p.bind1(eq(y, scalar_like(y, 0)), eq(x, scalar_like(x, 0)))
    x_safe = select_n(both_zero, x, full_like(x, 1))
    return select_n(both_zero, mul(y, pow(x_safe, sub(y, scalar_like(y, 1)))), full_like(x, 0))


defjvp(pow_p, lambda x_dot, ans, x, y: mul(x_dot, _pow_dx(_as_shape_of(x, ans),
                                                         _as_shape_of(y, ans))),
       _pow_jvp_rhs)
defvjp(pow_p, lambda ct, ans, x, y: mul(ct, _pow_dx(_as_shape_of(x, ans), _as_shape_of(y, ans))),
       lambda ct, ans, x, y: _pow_jvp_rhs(ct, ans, x, y))

integer_pow_p = elementwise("integer_pow", lambda x, *, y: _integer_pow_impl(x, y))


def _integer_pow_impl(x: Any, y: int) -> Any:
    if y == 2:
        return np.multiply(x, x)
    return np.power(x, np.array(y, dtype=np.result_type(x)))


def integer_pow(x: Any, y: int) -> Any:
    return integer_pow_p.bind1(x, y=y)


def _integer_pow_dx(x: Any, y: int) -> Any:
    if y == 0:
        return full_like(x, 0)
    return mul(scalar_like(x, y), x if y == 2 else scalar_like(x, 1) if y == 1 else
               integer_pow(x, y - 1))


defjvp(integer_pow_p, lambda x_dot, ans, x, *, y: mul(x_dot, _integer_pow_dx(x, y)))
defvjp(integer_pow_p, lambda ct, ans, x, *, y: mul(ct, _integer_pow_dx(x, y)))

# -- transcendental functions -------------------------------------------------------------------

exp_p = elementwise("exp", np.exp)


def exp(x: Any) -> Any:
    return exp_p.bind1(x)


defjvp(exp_p, lambda x_dot, ans, x: mul(x_dot, ans))
defvjp(exp_p, lambda ct, ans, x: mul(ct, ans), residuals=(True, (False,)))

log_p = elementwise("log", np.log)


def log(x: Any) -> Any:
    return log_p.bind1(x)


defjvp(log_p, lambda x_dot, ans, x: div(x_dot, x))
defvjp(log_p, lambda ct, ans, x: div(ct, x), residuals=(False, (True,)))

log1p_p = elementwise("log1p", np.log1p)


def log1p(x: Any) -> Any:
    return log1p_p.bind1(x)


defjvp(log1p_p, lambda x_dot, ans, x: div(x_dot, add(x, scalar_like(x, 1))))
defvjp(log1p_p, lambda ct, ans, x: div(ct, add(x, scalar_like(x, 1))))

expm1_p = elementwise("expm1", np.expm1)


def expm1(x: Any) -> Any:
    return expm1_p.bind1(x)


defjvp(expm1_p, lambda x_dot, ans, x: mul(x_dot, add(ans, scalar_like(ans, 1))))
defvjp(expm1_p, lambda ct, ans, x: mul(ct, add(ans, scalar_like(ans, 1))),
       residuals=(True, (False,)))

sin_p = elementwise("sin", np.sin)


def sin(x: Any) -> Any:
    return sin_p.bind1(x)


cos_p = elementwise("cos", np.cos)


def cos(x: Any) -> Any:
    return cos_p.bind1(x)


defjvp(sin_p, lambda x_dot, ans, x: mul(x_dot, cos(x)))
defvjp(sin_p, lambda ct, ans, x: mul(ct, cos(x)))
defjvp(cos_p, lambda x_dot, ans, x: neg(mul(x_dot, sin(x))))
defvjp(cos_p, lambda ct, ans, x: neg(mul(ct, sin(x))))

tan_p = elementwise("tan", np.tan)


def tan(x: Any) -> Any:
    return tan_p.bind1(x)


# d tan = 1 + tan^2
defjvp(tan_p, lambda x_dot, ans, x: mul(x_dot, add(scalar_like(ans, 1), mul(ans, ans))))
defvjp(tan_p, lambda ct, ans, x: mul(ct, add(scalar_like(ans, 1), mul(ans, ans))),
       residuals=(True, (False,)))

tanh_p = elementwise("tanh", np.tanh)


def tanh(x: Any) -> Any:
    return tanh_p.bind1(x)


# d tanh = 1 - tanh^2
defjvp(tanh_p, lambda x_dot, ans, x: mul(x_dot, sub(scalar_like(ans, 1), mul(ans, ans))))
defvjp(tanh_p, lambda ct, ans, x: mul(ct, sub(scalar_like(ans, 1), mul(ans, ans))),
       residuals=(True, (False,)))

sinh_p = elementwise("sinh", np.sinh)


def sinh(x: Any) -> Any:
    return sinh_p.bind1(x)


cosh_p = elementwise("cosh", np.cosh)


def cosh(x: Any) -> Any:
    return cosh_p.bind1(x)


defjvp(sinh_p, lambda x_dot, ans, x: mul(x_dot, cosh(x)))
defvjp(sinh_p, lambda ct, ans, x: mul(ct, cosh(x)))
defjvp(cosh_p, lambda x_dot, ans, x: mul(x_dot, sinh(x)))
defvjp(cosh_p, lambda ct, ans, x: mul(ct, sinh(x)))


def _one_minus_sq(x: Any) -> Any:
    return sub(scalar_like(x, 1), mul(x, x))


arcsin_p = elementwise("arcsin", np.arcsin)


def arcsin(x: Any) -> Any:
    return arcsin_p.bind1(x)


# d arcsin = 1 / sqrt(1 - x^2)
defjvp(arcsin_p, lambda x_dot, ans, x: div(x_dot, sqrt(_one_minus_sq(x))))
defvjp(arcsin_p, lambda ct, ans, x: div(ct, sqrt(_one_minus_sq(x))))

arccos_p = elementwise("arccos", np.arccos)


def arccos(x: Any) -> Any:
    return arccos_p.bind1(x)


# d arccos = -1 / sqrt(1 - x^2)
defjvp(arccos_p, lambda x_dot, ans, x: neg(div(x_dot, sqrt(_one_minus_sq(x)))))
defvjp(arccos_p, lambda ct, ans, x: neg(div(ct, sqrt(_one_minus_sq(x)))))

arctan_p = elementwise("arctan", np.arctan)


def arctan(x: Any) -> Any:
    return arctan_p.bind1(x)


# d arctan = 1 / (1 + x^2)
defjvp(arctan_p, lambda x_dot, ans, x: div(x_dot, add(scalar_like(x, 1), mul(x, x))))
defvjp(arctan_p, lambda ct, ans, x: div(ct, add(scalar_like(x, 1), mul(x, x))))

arcsinh_p = elementwise("arcsinh", np.arcsinh)


def arcsinh(x: Any) -> Any:
    return arcsinh_p.bind1(x)


# d arcsinh = 1 / sqrt(x^2 + 1)
defjvp(arcsinh_p, lambda x_dot, ans, x: div(x_dot, sqrt(add(mul(x, x), scalar_like(x, 1)))))
defvjp(arcsinh_p, lambda ct, ans, x: div(ct, sqrt(add(mul(x, x), scalar_like(x, 1)))))

arccosh_p = elementwise("arccosh", np.arccosh)


def arccosh(x: Any) -> Any:
    return arccosh_p.bind1(x)


# d arccosh = 1 / sqrt(x^2 - 1), for x > 1
defjvp(arccosh_p, lambda x_dot, ans, x: div(x_dot, sqrt(sub(mul(x, x), scalar_like(x, 1)))))
defvjp(arccosh_p, lambda ct, ans, x: div(ct, sqrt(sub(mul(x, x), scalar_like(x, 1)))))

arctanh_p = elementwise("arctanh", np.arctanh)


def arctanh(x: Any) -> Any:
    return arctanh_p.bind1(x)


# d arctanh = 1 / (1 - x^2), for |x| < 1
defjvp(arctanh_p, lambda x_dot, ans, x: div(x_dot, _one_minus_sq(x)))
defvjp(arctanh_p, lambda ct, ans, x: div(ct, _one_minus_sq(x)))

arctan2_p = elementwise("arctan2", np.arctan2)


def arctan2(y: Any, x: Any) -> Any:
    return arctan2_p.bind1(y, x)


def _sq_norm(y: Any, x: Any) -> Any:
    return add(mul(x, x), mul(y, y))


# d atan2(y, x) = (x dy - y dx) / (x^2 + y^2)
defjvp(arctan2_p, lambda y_dot, ans, y, x: mul(y_dot, div(x, _sq_norm(y, x))),
       lambda x_dot, ans, y, x: neg(mul(x_dot, div(y, _sq_norm(y, x)))))
defvjp(arctan2_p, lambda ct, ans, y, x: mul(ct, div(x, _sq_norm(y, x))),
       lambda ct, ans, y, x: neg(mul(ct, div(y, _sq_norm(y, x)))))

cbrt_p = elementwise("cbrt", np.cbrt)


def cbrt(x: Any) -> Any:
    """The real cube root (NumPy's ``cbrt``), defined for negative ``x`` too."""
    return cbrt_p.bind1(x)


def _cbrt_dx(ans: Any) -> Any:
    # d cbrt(x) = dx / (3 cbrt(x)**2): +inf at 0, as the function's vertical tangent (JAX's).
    return div(scalar_like(ans, 1.0 / 3.0), mul(ans, ans))


defjvp(cbrt_p, lambda x_dot, ans, x: mul(x_dot, _cbrt_dx(ans)))
defvjp(cbrt_p, lambda ct, ans, x: mul(ct, _cbrt_dx(ans)), residuals=(True, (False,)))

hypot_p = elementwise("hypot", np.hypot)


def hypot(x: Any, y: Any) -> Any:
    """``sqrt(x**2 + y**2)`` without overflow in the squares (NumPy's ``hypot``)."""
    return hypot_p.bind1(x, y)


def _hypot_partial(x: Any, ans: Any) -> Any:
    # d hypot(x, y) / dx = x / hypot(x, y); 0 at the origin, where both are 0.  Written with
    # ``ans`` so that higher derivatives are exact everywhere, ties |x| == |y| included.
    x = _as_shape_of(x, ans)
    at_origin = eq(ans, scalar_like(ans, 0))
    # At the origin 0, by a select (not x / 1, whose own derivative 1 would be the second
    # derivative there): hypot(x, 0) = |x| then has abs's derivatives, 0 and 0, at 0.
    return select_n(at_origin, div(x, select_n(at_origin, ans, full_like(ans, 1))),
                    full_like(ans, 0))


defjvp(hypot_p, lambda x_dot, ans, x, y: mul(x_dot, _hypot_partial(x, ans)),
       lambda y_dot, ans, x, y: mul(y_dot, _hypot_partial(y, ans)))
defvjp(hypot_p, lambda ct, ans, x, y: mul(ct, _hypot_partial(x, ans)),
       lambda ct, ans, x, y: mul(ct, _hypot_partial(y, ans)), residuals=(True, (True, True)))

sqrt_p = elementwise("sqrt", np.sqrt)


def sqrt(x: Any) -> Any:
    return sqrt_p.bind1(x)


defjvp(sqrt_p, lambda x_dot, ans, x: div(x_dot, add(ans, ans)))
defvjp(sqrt_p, lambda ct, ans, x: div(ct, add(ans, ans)), residuals=(True, (False,)))

abs_p = elementwise("abs", np.abs)


def abs(x: Any) -> Any:  # noqa: A001 - the primitive's name
    return abs_p.bind1(x)


sign_p = elementwise("sign", np.sign)


def sign(x: Any) -> Any:
    return sign_p.bind1(x)


# d|x| = sign(x) dx: 0 at x == 0, the symmetric (central-difference) value, as autograd's.  JAX
# takes +1 there (x >= 0); see docs/design.md.  For complex z, d|z| = real(conj(z) dz) / |z|,
# and 0 at z == 0 (see the complex numbers below).
defjvp(abs_p, lambda x_dot, ans, x: _complex_abs_jvp(x_dot, ans, x) if _is_complex(x)
       else mul(x_dot, sign(x)))
defvjp(abs_p, lambda ct, ans, x: _complex_abs_vjp(ct, ans, x) if _is_complex(x)
       else mul(ct, sign(x)))
defzero(sign_p)

# rem: C's remainder (fmod), x - trunc(x / y) * y with the sign of x, computed exactly (the
# composite loses the last bits of x / y: 1.0 - trunc(1.0 / 0.1) * 0.1 is 0, fmod is 0.0999...).
# Integers: x rem 0 is x, as XLA's (JAX's lax.rem); functrace.numpy.fmod makes it NumPy's 0.
def _rem_impl(x: Any, y: Any) -> Any:
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind in "iu":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y == 0, x, np.fmod(x, np.where(y == 0, 1, y)).astype(x.dtype))
    with np.errstate(invalid="ignore"):  # fmod(inf, y) and fmod(x, 0) are NaN
        return np.fmod(x, y)


rem_p = elementwise("rem", _rem_impl)


def rem(x: Any, y: Any) -> Any:
    return rem_p.bind1(x, y)


def _trunc_quotient(x: Any, y: Any) -> Any:
    """trunc(x / y), the multiple of y that rem takes off (piecewise constant)."""
    q = div(x, y)
    return mul(sign(q), floor_p.bind1(abs(q)))


# d rem(x, y) = dx - trunc(x / y) dy, as JAX's rule.
defjvp(rem_p, lambda x_dot, ans, x, y: x_dot,
       lambda y_dot, ans, x, y: neg(mul(y_dot, _trunc_quotient(x, y))))
defvjp(rem_p, lambda ct, ans, x, y: ct,
       lambda ct, ans, x, y: neg(mul(ct, _trunc_quotient(x, y))),
       residuals=(False, (True, True)))

# nextafter: the next representable number after x towards y.  No derivative rule, as in JAX:
# differentiating through it raises.
nextafter_p = elementwise("nextafter", np.nextafter)


def nextafter(x: Any, y: Any) -> Any:
    return nextafter_p.bind1(x, y)


# frexp: x = mantissa * 2**exponent with 0.5 <= |mantissa| < 1 (0, inf and NaN are their own
# mantissa, with exponent 0).  The exponent is piecewise constant, so d mantissa = dx 2**-e.
frexp_p = Primitive("frexp", multiple_results=True)


def frexp(x: Any) -> tuple[Any, Any]:
    mantissa, exponent = frexp_p.bind(x)
    return mantissa, exponent


def _frexp_shape(x: ShapedArray) -> list[ShapedArray]:
    if x.dtype.kind != "f":
        raise ValueError(f"frexp: the operand must be real floating point, got "
                         f"{x.str_short()}.")
    return [x, ShapedArray(x.shape, np.dtype(np.int32))]


def _frexp_scale(ans: list[Any], x: Any) -> Any:
    """2**-exponent, in x's dtype."""
    dtype = get_aval(x).dtype
    return pow_p.bind1(full_like(ans[0], 2), neg(convert_element_type(ans[1], dtype)))


frexp_p.impl = lambda x: list(np.frexp(x))
frexp_p.shape_rule = _frexp_shape
jvp_rules[frexp_p] = lambda primals, tangents, ans: [
    None if tangents[0] is None else mul(tangents[0], _frexp_scale(ans, primals[0])), None]
vjp_rules[frexp_p] = lambda cts, ans, args, needed: [
    None if cts[0] is None or not needed[0] else mul(cts[0], _frexp_scale(ans, args[0]))]
batch_rules[frexp_p] = lambda size, args, bdims: (
    frexp_p.bind(moveaxis(args[0], bdims[0], 0)), [0, 0])

# Rounding: piecewise constant, zero derivative.
floor_p = elementwise("floor", np.floor)
ceil_p = elementwise("ceil", np.ceil)
round_p = elementwise("round", np.round)
for _p in (floor_p, ceil_p, round_p):
    defzero(_p)

# -- comparisons and logic (boolean results, no derivative) -------------------------------------

eq_p = elementwise("eq", np.equal, out_dtype=bool)
ne_p = elementwise("ne", np.not_equal, out_dtype=bool)
lt_p = elementwise("lt", np.less, out_dtype=bool)
le_p = elementwise("le", np.less_equal, out_dtype=bool)
gt_p = elementwise("gt", np.greater, out_dtype=bool)
ge_p = elementwise("ge", np.greater_equal, out_dtype=bool)
and_p = elementwise("and", np.bitwise_and)
or_p = elementwise("or", np.bitwise_or)
xor_p = elementwise("xor", np.bitwise_xor)
not_p = elementwise("not", np.invert)
# Bit shifts of integers, as NumPy's ufuncs (an arithmetic right shift for signed integers).
shift_left_p = elementwise("shift_left", np.left_shift)
shift_right_p = elementwise("shift_right", np.right_shift)
# Greatest common divisor and least common multiple of integers, as NumPy's ufuncs.
gcd_p = elementwise("gcd", np.gcd)
lcm_p = elementwise("lcm", np.lcm)
for _p in (eq_p, ne_p, lt_p, le_p, gt_p, ge_p, and_p, or_p, xor_p, not_p, shift_left_p,
           shift_right_p, gcd_p, lcm_p):
    defzero(_p)


def eq(x: Any, y: Any) -> Any:
    return eq_p.bind1(x, y)


# -- select_n: pick among cases by an integer or boolean predicate ------------------------------

select_n_p = Primitive("select_n")


def select_n(which: Any, *cases: Any) -> Any:
    """``cases[which]`` elementwise (``which`` False/True picks case 0/1, as ``lax.select_n``)."""
    return select_n_p.bind1(which, *cases)


def _select_n_shape(which: ShapedArray, *cases: ShapedArray) -> list[ShapedArray]:
    first = cases[0]
    if any(c.shape != first.shape or c.dtype != first.dtype for c in cases) or (
        which.shape != first.shape
    ) or which.dtype.kind not in "biu":
        raise ValueError(
            "select_n: the predicate must be boolean or integer and every operand must have "
            f"the same shape; got {which.str_short()} and "
            f"{', '.join(c.str_short() for c in cases)}."
        )
    return [ShapedArray(first.shape, first.dtype, all(c.weak_type for c in cases))]


def _select_n_impl(which: Any, *cases: Any) -> Any:
    if len(cases) == 2:
        return np.where(which, cases[1], cases[0])
    return np.choose(np.asarray(which, dtype=np.intp), cases)


def _select_n_jvp(primals: list[Any], tangents: list[Any], ans: list[Any]) -> list[Any]:
    which, *cases = primals
    dots = [instantiate(t, c) for t, c in zip(tangents[1:], cases, strict=True)]
    return [select_n(which, *dots)]


def _select_n_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool]) -> list[Any]:
    which, *cases = args
    ct = cts[0]
    zero = full_like(ct, 0)
    return [None] + [
        select_n(which, *[ct if j == i else zero for j in range(len(cases))]) if need else None
        for i, need in enumerate(needed[1:])
    ]


select_n_p.def_impl1(_select_n_impl)
select_n_p.shape_rule = _select_n_shape
jvp_rules[select_n_p] = _select_n_jvp
vjp_rules[select_n_p] = _select_n_vjp
vjp_residuals[select_n_p] = (False, (True, False))
_elementwise_batch(select_n_p)

# -- dtype conversion and stop_gradient ---------------------------------------------------------

convert_element_type_p = Primitive("convert_element_type")


def convert_element_type(x: Any, new_dtype: Any, weak_type: bool = False) -> Any:
    """``x`` as ``new_dtype``.  ``weak_type``: the result stays weakly typed (NumPy's
    promotion of a weak operand with another weak one, such as a loop index times a Python
    float); the param is recorded only when set."""
    new_dtype = np.dtype(new_dtype)
    if get_aval(x).dtype == new_dtype and not isinstance(x, (int, float, complex)):
        return x
    if weak_type:
        return convert_element_type_p.bind1(x, new_dtype=new_dtype, weak_type=True)
    return convert_element_type_p.bind1(x, new_dtype=new_dtype)


def _is_float(dtype: np.dtype[Any]) -> bool:
    return dtype.kind in "fc"


def _convert_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
                 new_dtype: np.dtype[Any], weak_type: bool = False) -> list[Any]:
    if not (_is_float(new_dtype) and _is_float(get_aval(primals[0]).dtype)):
        return [None]
    return [convert_element_type_p.bind1(tangents[0], new_dtype=new_dtype)]


def _convert_vjp(ct: Any, ans: Any, x: Any, *, new_dtype: np.dtype[Any],
                 weak_type: bool = False) -> Any:
    old = get_aval(x).dtype
    if not (_is_float(new_dtype) and _is_float(old)):
        return None
    return convert_element_type_p.bind1(ct, new_dtype=old)


def _convert_impl(x: Any, *, new_dtype: np.dtype[Any], weak_type: bool = False) -> Any:
    x = np.asarray(x)
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        # Through the real part, as JAX's conversion (NumPy's too, less its warning): a copy,
        # as a conversion's result is, not a view of the complex array.
        return x.real.astype(new_dtype)
    return np.asarray(x, dtype=new_dtype)


convert_element_type_p.def_impl1(_convert_impl)
convert_element_type_p.shape_rule = lambda x, *, new_dtype, weak_type=False: [
    ShapedArray(x.shape, new_dtype, weak_type)]
jvp_rules[convert_element_type_p] = _convert_jvp
defvjp(convert_element_type_p, _convert_vjp, residuals=(False, (False,)))
_elementwise_batch(convert_element_type_p)

# -- complex numbers ---------------------------------------------------------------------------
# real, imag, conj and complex are linear, and abs of a complex array is real.  The derivative
# rules follow JAX's convention: a vjp rule is the transpose of the jvp, which is linear over
# the reals, with no conjugation added, so the gradient of a real function f of z = x + iy is
# df/dx - i df/dy (2 * conj(z) for |z|**2), and for holomorphic functions the vjp multiplies by
# f'(z) exactly as the jvp does: the rules of the other primitives hold for complex arrays as
# written.


def _is_complex(x: Any) -> bool:
    return bool(get_aval(x).dtype.kind == "c")


def real_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The real dtype of a complex dtype's parts (complex64 -> float32); others unchanged."""
    return np.dtype(np.finfo(dtype).dtype) if dtype.kind == "c" else dtype


def complex_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The complex dtype with parts of a float dtype (float32 -> complex64)."""
    return np.result_type(dtype, np.complex64)


def _require_complex(name: str, x: ShapedArray) -> None:
    if x.dtype.kind != "c":
        raise ValueError(f"{name}: the operand must be complex, got {x.str_short()}.")


def _complex_part_shape(name: str) -> Callable[..., list[ShapedArray]]:
    def rule(x: ShapedArray) -> list[ShapedArray]:
        _require_complex(name, x)
        return [ShapedArray(x.shape, real_dtype(x.dtype), x.weak_type)]

    return rule


real_p = Primitive("real")
imag_p = Primitive("imag")
conj_p = elementwise("conj", np.conjugate)
complex_p = Primitive("complex")


def real(x: Any) -> Any:
    """The real part of a complex array."""
    return real_p.bind1(x)


def imag(x: Any) -> Any:
    """The imaginary part of a complex array."""
    return imag_p.bind1(x)


def conj(x: Any) -> Any:
    """The complex conjugate of a complex array."""
    return conj_p.bind1(x)


def make_complex(x: Any, y: Any) -> Any:
    """``x + i y`` of two real arrays of one dtype (float32 parts make complex64)."""
    return complex_p.bind1(x, y)


def _complex_impl(x: Any, y: Any) -> Any:
    # Assigned part by part: x + 1j * y would turn an infinite y into a NaN real part.
    x, y = np.asarray(x), np.asarray(y)
    out = np.empty(np.broadcast_shapes(x.shape, y.shape), complex_dtype(x.dtype))
    out.real, out.imag = x, y
    return out


def _complex_shape(x: ShapedArray, y: ShapedArray) -> list[ShapedArray]:
    if x.dtype.kind != "f" or x.dtype != y.dtype or (x.shape != y.shape and x.shape and y.shape):
        raise ValueError("complex: the parts must be real floating arrays of one dtype and one "
                         f"shape (or scalars), got {x.str_short()} and {y.str_short()}.")
    shape = x.shape or y.shape
    return [ShapedArray(shape, complex_dtype(x.dtype), x.weak_type and y.weak_type)]


def _conj_shape(x: ShapedArray) -> list[ShapedArray]:
    _require_complex("conj", x)
    return [x]


real_p.def_impl1(lambda x: np.asarray(np.real(x)))
real_p.shape_rule = _complex_part_shape("real")
imag_p.def_impl1(lambda x: np.asarray(np.imag(x)))
imag_p.shape_rule = _complex_part_shape("imag")
conj_p.shape_rule = _conj_shape
complex_p.def_impl1(_complex_impl)
complex_p.shape_rule = _complex_shape
for _p in (real_p, imag_p, conj_p, complex_p):
    deflinear_jvp(_p)
    _elementwise_batch(_p)
# The transposes: real's is ct + 0i, imag's is -i ct, conj's is conj, complex's is the pair of
# parts (real(ct), -imag(ct)).
defvjp(real_p, lambda ct, ans, x: make_complex(ct, full_like(ct, 0)), residuals=(False, (False,)))
defvjp(imag_p, lambda ct, ans, x: make_complex(full_like(ct, 0), neg(ct)),
       residuals=(False, (False,)))
defvjp(conj_p, lambda ct, ans, x: conj(ct), residuals=(False, (False,)))
defvjp(complex_p, lambda ct, ans, x, y: real(ct), lambda ct, ans, x, y: neg(imag(ct)),
       residuals=(False, (False, False)))


def _abs_direction(ans: Any, x: Any) -> Any:
    """conj(x) / |x| as a complex array, with 0 where x == 0 (|x| is replaced by 1 there)."""
    magnitude = select_n(eq(ans, full_like(ans, 0)), ans, full_like(ans, 1))
    return div(conj(x), convert_element_type(magnitude, get_aval(x).dtype))


def _complex_abs_jvp(x_dot: Any, ans: Any, x: Any) -> Any:
    return real(mul(x_dot, _abs_direction(ans, x)))


def _complex_abs_vjp(ct: Any, ans: Any, x: Any) -> Any:
    return mul(convert_element_type(ct, get_aval(x).dtype), _abs_direction(ans, x))


_elementwise_abs_shape = abs_p.shape_rule


def _abs_shape(x: ShapedArray) -> list[ShapedArray]:
    """The elementwise shape rule, with a real result for a complex operand."""
    (out,) = _elementwise_abs_shape(x)
    return [ShapedArray(out.shape, real_dtype(out.dtype), out.weak_type)
            if out.dtype.kind == "c" else out]


abs_p.shape_rule = _abs_shape

# stop_gradient: the identity whose derivative is zero.
stop_gradient_p = elementwise("stop_gradient", lambda x: x)


def stop_gradient(x: Any) -> Any:
    return stop_gradient_p.bind1(x)


defzero(stop_gradient_p)
