"""Elementwise functions of ``functrace.numpy``, with NumPy's broadcasting and promotion."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from functrace.core import Tracer, get_aval
from functrace.numpy._base import (
    as_operand,
    aval,
    broadcast_shapes,
    broadcast_to_shape,
    convert,
    loop_key,
    no_out,
    promote,
    refuse_complex,
    result_dtype,
    ufunc_dtype,
    ufunc_loop,
)
from functrace.primitives import elementwise as ew
from functrace.tree_util import tree_map


def _takes_scalars(a: Any) -> bool:
    """Whether Python ints and floats combined with a value of type ``a`` take its dtype."""
    return a.dtype.kind in "fc" and not a.weak_type


def _fits(a: np.ndarray, b: Any) -> bool:
    """Whether the constant array ``a`` needs no promotion against a value of type ``b``: the
    same dtype, and ``b``'s shape or a scalar (which elementwise primitives take as is)."""
    return a.dtype == b.dtype and (a.shape == b.shape or not a.shape)


def _loop_cast(name: str, args: tuple[Any, ...], dtype: Any, casting: str
               ) -> tuple[list[Any], np.dtype[Any]]:
    """The operands of NumPy's ``name`` ufunc cast to the loop it runs for ``dtype=`` and
    ``casting=`` (NumPy's ``TypeError`` if the rule forbids a cast), and the output dtype."""
    operands = [as_operand(x) for x in args]
    avals = [get_aval(x) for x in operands]
    dtype = None if dtype is None else np.dtype(dtype)
    # NumPy's TypeError, if any, names the ufunc, the operand, the dtypes and the rule.
    loop = ufunc_loop(getattr(np, name), tuple(loop_key(a) for a in avals), dtype, casting)
    return [convert(x, d) for x, d in zip(operands, loop, strict=False)], loop[-1]


def _ufunc_keywords(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, an elementwise function named after a NumPy ufunc, taking that ufunc's keywords
    too: ``out=None`` (an array to write into is refused), and ``dtype=`` and ``casting=``,
    which cast the operands to the loop NumPy would run (or raise NumPy's ``TypeError``) and
    the result to its output dtype."""
    name = fn.__name__
    np_ufunc = getattr(np, name)

    @functools.wraps(fn)
    def wrapped(*args: Any, out: Any = None, dtype: Any = None,
                casting: str = "same_kind") -> Any:
        args, extra = args[:np_ufunc.nin], args[np_ufunc.nin:]  # out may come positionally
        no_out(name, out if not extra else extra[0])
        if dtype is None and casting == "same_kind":
            return fn(*args)
        operands, out_dtype = _loop_cast(name, args, dtype, casting)
        result = fn(*operands)
        if isinstance(result, tuple):  # (divmod, modf, frexp: NumPy's dtype= fixes them all)
            return tuple(convert(r, out_dtype) for r in result)
        return convert(result, out_dtype)

    params = list(inspect.signature(fn).parameters.values())
    keywords = [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v)
                for k, v in (("out", None), ("dtype", None), ("casting", "same_kind"))]
    wrapped.__signature__ = inspect.Signature(params + keywords)  # type: ignore[attr-defined]
    return wrapped


def _one_float_dtype(x: Any, y: Any) -> bool:
    """Whether ``x`` and ``y`` are arrays (or tracers) of one real floating dtype, or one of them
    is and the other a Python number: the case where NumPy's loop is that dtype's."""
    tx, ty = type(x), type(y)
    dx = x.aval.dtype if tx is Tracer else x.dtype if tx is np.ndarray else None
    dy = y.aval.dtype if ty is Tracer else y.dtype if ty is np.ndarray else None
    if dx is None:
        return dy is not None and dy.kind == "f" and (tx is float or tx is int)
    if dy is None:
        return dx.kind == "f" and (ty is float or ty is int)
    return dx == dy and dx.kind == "f"


def _binary(name: str, prim_fn: Callable[[Any, Any], Any], ufunc: np.ufunc | None = None
            ) -> Callable[..., Any]:
    """A NumPy-style binary function: promote, broadcast, then bind one primitive.

    With ``ufunc`` the operands are first cast to the dtype of the loop NumPy's ufunc runs
    for them (true division of integers is float64, ``arctan2(int8, uint8)`` float16).  The
    keywords ``dtype=`` and ``casting=`` choose NumPy's loop as NumPy does."""

    def fn(x: Any, y: Any, /, out: None = None, *, dtype: Any = None,
           casting: str = "same_kind") -> Any:
        if out is not None:
            no_out(name, out)
        out_dtype = None
        if dtype is not None or casting != "same_kind":
            (x, y), out_dtype = _loop_cast(name, (x, y), dtype, casting)
        elif ufunc is not None and not _one_float_dtype(x, y):
            # (operands of one float dtype, or one and a Python number, run in that dtype)
            x, y = as_operand(x), as_operand(y)
            ax, ay = get_aval(x), get_aval(y)
            loop_dtype = ufunc_loop(ufunc, (loop_key(ax), loop_key(ay)))[0]
            weak = ax.weak_type and ay.weak_type  # (i / 2 of a loop index stays weak)
            x, y = convert(x, loop_dtype, weak), convert(y, loop_dtype, weak)
        # The common cases in a traced function skip promote's general path (this runs once
        # per traced operation): two tracers of one dtype (broadcast if their shapes differ),
        # a (strongly typed) floating tracer with a Python number, which takes its dtype
        # (NEP 50), and a tracer with a constant array of its dtype and shape (or a scalar);
        # outside transformations, a floating NumPy array with a Python number likewise.
        tx, ty = type(x), type(y)
        if tx is Tracer and ty is Tracer and x.aval.dtype == y.aval.dtype:
            sx, sy = x.aval.shape, y.aval.shape
            if sx != sy:
                shape = broadcast_shapes(name, sx, sy)
                if sx != shape and sx:  # scalar operands stay scalars, as in promote
                    x = broadcast_to_shape(x, shape)
                if sy != shape and sy:
                    y = broadcast_to_shape(y, shape)
        elif tx is Tracer and (ty is float or ty is int) and _takes_scalars(x.aval):
            y = convert(y, x.aval.dtype)
        elif ty is Tracer and (tx is float or tx is int) and _takes_scalars(y.aval):
            x = convert(x, y.aval.dtype)
        elif tx is np.ndarray and (ty is float or ty is int) and x.dtype.kind in "fc":
            y = convert(y, x.dtype)  # the same for a concrete array (outside transformations)
        elif ty is np.ndarray and (tx is float or tx is int) and y.dtype.kind in "fc":
            x = convert(x, y.dtype)
        elif not ((tx is Tracer and ty is np.ndarray and _fits(y, x.aval))
                  or (ty is Tracer and tx is np.ndarray and _fits(x, y.aval))):
            x, y = promote(name, x, y, scalars=True)
        result = prim_fn(x, y)
        return result if out_dtype is None else convert(result, out_dtype)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}`` on traced or concrete arrays (NumPy broadcasting and dtypes)."
    return fn


def _unary(name: str, prim_fn: Callable[[Any], Any], ufunc: np.ufunc | None = None
           ) -> Callable[..., Any]:
    """A NumPy-style unary function; with ``ufunc``, integer inputs become NumPy's float.
    The keywords ``dtype=`` and ``casting=`` choose NumPy's loop as NumPy does."""

    def fn(x: Any, /, out: None = None, *, dtype: Any = None, casting: str = "same_kind") -> Any:
        if out is not None:
            no_out(name, out)
        if dtype is not None or casting != "same_kind":
            (x,), out_dtype = _loop_cast(name, (x,), dtype, casting)
            return convert(prim_fn(x), out_dtype)
        if type(x) is not Tracer:  # a tracer is already an operand: nothing to promote
            (x,) = promote(name, x)
        if ufunc is not None:
            x_aval = get_aval(x)
            if x_aval.dtype.kind != "f":  # a float runs in its own dtype's loop
                x = convert(x, ufunc_dtype(ufunc, x_aval), x_aval.weak_type)
        return prim_fn(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}`` on traced or concrete arrays."
    return fn


def _no_bool(name: str, message: str, prim_fn: Callable[..., Any]) -> Callable[..., Any]:
    """``prim_fn`` refusing boolean operands (after promotion), with NumPy's message."""

    def checked(*args: Any) -> Any:
        if get_aval(args[0]).dtype.kind == "b":
            raise TypeError(f"numpy boolean {name}, the `-` operator, is not supported, {message}")
        return prim_fn(*args)

    return checked


add = _binary("add", ew.add)
subtract = _binary("subtract", _no_bool(
    "subtract", "use the bitwise_xor, the `^` operator, or the logical_xor function instead.",
    ew.sub))
multiply = _binary("multiply", ew.mul)
divide = true_divide = _binary("true_divide", ew.div, np.true_divide)
maximum = _binary("maximum", ew.maximum)
minimum = _binary("minimum", ew.minimum)
arctan2 = _binary("arctan2", ew.arctan2, np.arctan2)
equal = _binary("equal", lambda x, y: ew.eq_p.bind1(x, y))
not_equal = _binary("not_equal", lambda x, y: ew.ne_p.bind1(x, y))
less = _binary("less", lambda x, y: ew.lt_p.bind1(x, y))
less_equal = _binary("less_equal", lambda x, y: ew.le_p.bind1(x, y))
greater = _binary("greater", lambda x, y: ew.gt_p.bind1(x, y))
greater_equal = _binary("greater_equal", lambda x, y: ew.ge_p.bind1(x, y))
bitwise_and = _binary("bitwise_and", lambda x, y: ew.and_p.bind1(x, y))
bitwise_or = _binary("bitwise_or", lambda x, y: ew.or_p.bind1(x, y))
bitwise_xor = _binary("bitwise_xor", lambda x, y: ew.xor_p.bind1(x, y))


def _shift(name: str, prim: Any) -> Callable[[Any, Any], Any]:
    def bind(x: Any, y: Any) -> Any:
        if aval(x).dtype.kind not in "iub":
            raise TypeError(f"{name}: integer operands are required (NumPy's ufunc is not "
                            f"defined for {aval(x).dtype}).")
        return prim.bind1(x, y)

    return _binary(name, bind)


left_shift = bitwise_left_shift = _shift("left_shift", ew.shift_left_p)
right_shift = bitwise_right_shift = _shift("right_shift", ew.shift_right_p)


@_ufunc_keywords
def floor_divide(x: Any, y: Any, /) -> Any:
    """``numpy.floor_divide``: ``floor(x / y)`` (integer floor division on integers), for
    floats computed as NumPy does, from the exact remainder (``1.0 // 0.1`` is 9.0)."""
    x, y = promote("floor_divide", x, y)
    if aval(x).dtype.kind in "iub":
        return ew.div(x, y)
    if aval(x).dtype.kind != "f":
        return ew.floor_p.bind1(ew.div(x, y))
    return _float_divmod(x, y)[0]


@_ufunc_keywords
def remainder(x: Any, y: Any, /) -> Any:
    """``numpy.remainder`` (``%``): ``x - floor(x / y) * y``, with the sign of ``y``; for
    floats from the exact C remainder (``lax.rem``), as NumPy computes it."""
    x, y = promote("remainder", x, y)
    kind = aval(x).dtype.kind
    if kind == "f":
        return _float_divmod(x, y)[1]
    r = ew.sub(x, ew.mul(floor_divide(x, y), y))
    if kind in "iu":  # NumPy's integer x % 0 is 0
        return where(equal(y, 0), np.zeros((), aval(r).dtype), r)
    return r


def _float_divmod(x: Any, y: Any) -> tuple[Any, Any]:
    """NumPy's floor quotient and remainder of floats (its ``npy_divmod``): from the exact
    ``m = fmod(x, y)``, the quotient ``(x - m) / y`` is an integer up to rounding; where ``m``
    and ``y`` differ in sign, ``m + y`` and one less.  Zeros take the signs NumPy gives them;
    ``y == 0`` gives ``x / y`` and NaN."""
    m = ew.rem(x, y)
    q = ew.div(ew.sub(x, m), y)
    nonzero = not_equal(m, 0)
    fix = logical_and(nonzero, not_equal(less(y, 0), less(m, 0)))
    m = where(fix, ew.add(m, y), where(nonzero, m, copysign(0.0, y)))
    q = where(fix, subtract(q, 1.0), q)
    fq = ew.floor_p.bind1(q)
    fq = where(greater(subtract(q, fq), 0.5), add(fq, 1.0), fq)  # snap to the nearest integer
    ratio = ew.div(x, y)
    fq = where(equal(q, 0), copysign(0.0, ratio), fq)
    return where(equal(y, 0), ratio, fq), m


mod = remainder


@_ufunc_keywords
def power(x: Any, y: Any, /) -> Any:
    """``numpy.power``; a constant integer exponent becomes one ``integer_pow`` equation."""
    if isinstance(y, (int, np.integer)) and not isinstance(y, bool):
        (x,) = promote("power", x)
        if aval(x).dtype.kind == "b":  # booleans are raised as NumPy's integers
            x = convert(x, result_dtype(aval(x), get_aval(y)))
        if aval(x).dtype.kind in "fc" or y >= 0:
            return ew.integer_pow(x, int(y))
    x, y = promote("power", x, y)
    return ew.pow(x, y)


@_ufunc_keywords
def logical_and(x: Any, y: Any, /) -> Any:
    return ew.and_p.bind1(*promote("logical_and", x, y, dtype=bool))


@_ufunc_keywords
def logical_or(x: Any, y: Any, /) -> Any:
    return ew.or_p.bind1(*promote("logical_or", x, y, dtype=bool))


@_ufunc_keywords
def logical_xor(x: Any, y: Any, /) -> Any:
    return ew.xor_p.bind1(*promote("logical_xor", x, y, dtype=bool))


@_ufunc_keywords
def logical_not(x: Any, /) -> Any:
    return ew.not_p.bind1(*promote("logical_not", x, dtype=bool))


@_ufunc_keywords
def invert(x: Any, /) -> Any:
    return ew.not_p.bind1(*promote("invert", x))


def _integer_binary(name: str, prim: Any) -> Callable[[Any, Any], Any]:
    def fn(x: Any, y: Any, /) -> Any:
        x, y = promote(name, x, y)
        if aval(x).dtype.kind not in "iu":
            raise TypeError(f"{name}: integer operands are required, got {aval(x).dtype}")
        return prim.bind1(x, y)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``numpy.{name}`` of integers (no derivative)."
    return _ufunc_keywords(fn)


gcd = _integer_binary("gcd", ew.gcd_p)
lcm = _integer_binary("lcm", ew.lcm_p)


negative = _unary("negative", _no_bool(
    "negative", "use the `~` operator or the logical_not function instead.", ew.neg))
exp = _unary("exp", ew.exp, np.exp)
log = _unary("log", ew.log, np.log)
log1p = _unary("log1p", ew.log1p, np.log1p)
expm1 = _unary("expm1", ew.expm1, np.expm1)
sin = _unary("sin", ew.sin, np.sin)
cos = _unary("cos", ew.cos, np.cos)
tan = _unary("tan", ew.tan, np.tan)
tanh = _unary("tanh", ew.tanh, np.tanh)
sinh = _unary("sinh", ew.sinh, np.sinh)
cosh = _unary("cosh", ew.cosh, np.cosh)
arcsin = _unary("arcsin", ew.arcsin, np.arcsin)
arccos = _unary("arccos", ew.arccos, np.arccos)
arctan = _unary("arctan", ew.arctan, np.arctan)
arcsinh = _unary("arcsinh", ew.arcsinh, np.arcsinh)
arccosh = _unary("arccosh", ew.arccosh, np.arccosh)
arctanh = _unary("arctanh", ew.arctanh, np.arctanh)
sqrt = _unary("sqrt", ew.sqrt, np.sqrt)
absolute = abs = _unary("absolute", ew.abs)  # noqa: A001 - NumPy's name
sign = _unary("sign", ew.sign)
floor = _unary("floor", lambda x: ew.floor_p.bind1(x), np.floor)
ceil = _unary("ceil", lambda x: ew.ceil_p.bind1(x), np.ceil)


@_ufunc_keywords
def positive(x: Any, /) -> Any:
    """``numpy.positive``: ``+x`` (a copy); booleans are refused, as NumPy's."""
    (x,) = promote("positive", x)
    if aval(x).dtype.kind == "b":
        raise TypeError("positive: NumPy's ufunc 'positive' does not support boolean input.")
    return x


def round(a: Any, decimals: int = 0, out: None = None) -> Any:  # noqa: A001 - NumPy's name
    """``numpy.round`` (half to even)."""
    no_out("round", out)
    (x,) = promote("round", a)
    kind = aval(x).dtype.kind
    if kind == "b":  # NumPy rounds booleans in float16 (and refuses decimals != 0)
        if decimals != 0:
            raise TypeError("round: cannot round a boolean array to decimals != 0 (NumPy "
                            "cannot cast the result back to bool).")
        return convert(x, np.dtype(np.float16))
    if kind in "iu":  # integers stay integers: to a multiple of 10**-decimals, half to even
        if decimals >= 0:
            return x
        f = 10.0**-decimals
        rounded = ew.round_p.bind1(true_divide(convert(x, np.dtype(np.float64)), f))
        return convert(multiply(rounded, f), aval(x).dtype)
    if decimals == 0:
        return ew.round_p.bind1(x)
    scale = 10.0**decimals
    return true_divide(ew.round_p.bind1(multiply(x, scale)), scale)


around = round


@_ufunc_keywords
def square(x: Any, /) -> Any:
    if aval(x).dtype == np.bool_:  # NumPy squares booleans in int8
        x = convert(x, np.dtype(np.int8))
    return power(x, 2)


@_ufunc_keywords
def reciprocal(x: Any, /) -> Any:
    """``numpy.reciprocal``: ``1 / x``; integers truncate (``1`` and ``-1`` are their own
    reciprocals, the rest give 0), complex 0 gives ``nan + nanj``, as NumPy's.  Deviation: a
    zero part of the reciprocal of a complex infinity or a real or imaginary complex number
    may have the other sign than NumPy's (``1 / z`` here, NumPy's own division loop there)."""
    (x,) = promote("reciprocal", x)
    if aval(x).dtype.kind == "c":  # NumPy's complex reciprocal of 0 is nan+nanj (not inf+nanj)
        nan = np.asarray(complex(np.nan, np.nan), aval(x).dtype)
        return where(equal(x, 0), nan, true_divide(1.0, x))
    if aval(x).dtype.kind not in "iub":
        return true_divide(1.0, x)
    # NumPy's integer 1 / x truncates: 1 and -1 are their own reciprocals, the rest give 0
    # (booleans compute in int8, as NumPy's ufunc).
    x = convert(x, ufunc_dtype(np.reciprocal, aval(x)))
    return where(equal(absolute(x), 1), x, np.zeros((), aval(x).dtype))


@_ufunc_keywords
def exp2(x: Any, /) -> Any:
    (x,) = promote("exp2", x)
    x = convert(x, _float_dtype(np.exp2, x))  # exp2(int8) is float16
    if aval(x).dtype.kind == "c":  # exp(x log 2), the parts scaled apart: exp2(inf+0j) = inf+0j
        return exp(_scale(x, _LN2))
    return power(2.0, x)


_LN2 = math.log(2.0)


def _scale(x: Any, c: float) -> Any:
    """``x * c`` for a real number ``c``; a complex ``x`` has each part scaled, as NumPy's
    ``log2``, ``log10`` and ``exp2`` do (a complex product would give ``inf * 0 = nan`` in
    the imaginary part of ``log2(inf + 0j)``).  ``c`` is a Python float, weakly typed, so
    float32 stays float32."""
    if aval(x).dtype.kind == "c":
        return ew.make_complex(multiply(ew.real(x), c), multiply(ew.imag(x), c))
    return multiply(x, c)


@_ufunc_keywords
def log2(x: Any, /) -> Any:
    """``numpy.log2``: ``log(x) / log(2)`` (``inf + 0j`` for complex ``inf + 0j``)."""
    return _scale(log(x), 1 / _LN2)


@_ufunc_keywords
def log10(x: Any, /) -> Any:
    """``numpy.log10``: ``log(x) / log(10)`` (``inf + 0j`` for complex ``inf + 0j``)."""
    return _scale(log(x), 1 / math.log(10.0))


hypot = _binary("hypot", ew.hypot, np.hypot)
cbrt = _unary("cbrt", ew.cbrt, np.cbrt)
deg2rad = radians = _unary("deg2rad", lambda x: multiply(x, np.pi / 180.0), np.deg2rad)
rad2deg = degrees = _unary("rad2deg", lambda x: multiply(x, 180.0 / np.pi), np.rad2deg)
# log2(2**x + 2**y), through logaddexp in natural units.
logaddexp2 = _binary("logaddexp2", lambda x, y: true_divide(
    logaddexp(multiply(x, _LN2), multiply(y, _LN2)), _LN2), np.logaddexp2)


@_ufunc_keywords
def trunc(x: Any, /) -> Any:
    """Round towards zero (``numpy.trunc``; ``fix`` is the same)."""
    (x,) = promote("trunc", x)
    if aval(x).dtype.kind not in "fc":
        return x
    return where(less(x, 0), ew.ceil_p.bind1(x), ew.floor_p.bind1(x))


fix = trunc


@_ufunc_keywords
def fmax(x: Any, y: Any, /) -> Any:
    """``numpy.fmax``: the maximum, ignoring a NaN operand (NaN only if both are).  At ties
    the result, and its derivative, is ``y``'s, as in JAX (so ``fmax(-0.0, 0.0)`` is 0.0)."""
    x, y = promote("fmax", x, y)
    return where(logical_or(isnan(y), greater(x, y)), x, y)


@_ufunc_keywords
def fmin(x: Any, y: Any, /) -> Any:
    """``numpy.fmin``: the minimum, ignoring a NaN operand (NaN only if both are).  At ties
    the result, and its derivative, is ``y``'s, as in JAX (so ``fmin(0.0, -0.0)`` is -0.0)."""
    x, y = promote("fmin", x, y)
    return where(logical_or(isnan(y), less(x, y)), x, y)


@_ufunc_keywords
def logaddexp(x: Any, y: Any, /) -> Any:
    """``log(exp(x) + exp(y))`` without overflow: ``max + log1p(exp(-|x - y|))``."""
    x, y = _float_operands("logaddexp", np.logaddexp, x, y)
    # Pick one side at ties (x == y) rather than splitting maximum's and abs's derivatives:
    # the function is smooth there, and one side's formula has the right derivatives to every
    # order (a split gives d2/dx2 = 0 at x == y instead of 1/4).
    d = subtract(x, y)
    x_wins = greater_equal(d, 0)
    out = add(where(x_wins, x, y), log1p(exp(negative(where(x_wins, d, negative(d))))))
    # x - y is NaN where both are the same infinity (or either is NaN): there the answer is
    # x + y (-inf, inf or NaN), as NumPy and JAX give.
    return where(isnan(d), add(x, y), out)


def where(condition: Any, x: Any = None, y: Any = None, /, *, size: int | None = None,
          fill_value: Any = None) -> Any:
    """``numpy.where(condition, x, y)``: a ``select_n`` equation (both branches are computed).
    ``where(condition)`` is ``nonzero(condition)`` (with JAX's ``size`` and ``fill_value``)."""
    if x is None and y is None:
        from functrace.numpy._composite import nonzero  # noqa: PLC0415 - built on this module

        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    x, y = promote("where", x, y)
    cond = convert(as_operand(condition), np.dtype(bool))
    shape = broadcast_shapes("where", aval(cond).shape, aval(x).shape)
    cond, x, y = (broadcast_to_shape(v, shape) for v in (cond, x, y))
    return ew.select_n(cond, y, x)


def clip(a: Any, a_min: Any = None, a_max: Any = None, out: None = None, *,
         min: Any = None, max: Any = None) -> Any:  # noqa: A002 - NumPy 2's and JAX's names
    """``numpy.clip``: ``minimum(maximum(a, a_min), a_max)``; the bounds may also be given as
    ``min=``/``max=`` (NumPy 2.1, JAX), not both ways."""
    no_out("clip", out)
    if min is not None:
        if a_min is not None:
            raise TypeError("clip: pass the lower bound as a_min or min, not both.")
        a_min = min
    if max is not None:
        if a_max is not None:
            raise TypeError("clip: pass the upper bound as a_max or max, not both.")
        a_max = max
    if a_min is not None:
        a = maximum(a, a_min)
    if a_max is not None:
        a = minimum(a, a_max)
    return a


@_ufunc_keywords
def isfinite(x: Any, /) -> Any:
    (x,) = promote("isfinite", x)
    if aval(x).dtype.kind not in "fc":
        return ew.eq_p.bind1(x, x)
    return less(absolute(x), np.inf)


@_ufunc_keywords
def isnan(x: Any, /) -> Any:
    (x,) = promote("isnan", x)
    return ew.ne_p.bind1(x, x)


@_ufunc_keywords
def isinf(x: Any, /) -> Any:
    return equal(absolute(x), np.inf)


def nan_to_num(x: Any, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Any:
    """``x`` with NaN replaced by ``nan`` and infinities by ``posinf`` / ``neginf`` (by
    default the largest and most negative finite values of the dtype), as NumPy's.  Replaced
    entries have a zero derivative; ``copy`` is accepted for NumPy's signature (arrays here are
    never written in place).  Integer and boolean arrays come back unchanged."""
    (x,) = promote("nan_to_num", x)
    dtype = aval(x).dtype
    if dtype.kind not in "fc":
        return x
    info = np.finfo(dtype)
    big = info.max if posinf is None else posinf
    small = info.min if neginf is None else neginf
    out = where(isnan(x), nan, x)
    out = where(equal(x, np.inf), big, out)
    return where(equal(x, -np.inf), small, out)


def stop_gradient(x: Any) -> Any:
    """``x`` with a zero derivative: the value passes, the gradient stops.  ``x`` may be a
    pytree of arrays (as in JAX): each leaf is stopped."""
    def stop(leaf: Any) -> Any:
        (leaf,) = promote("stop_gradient", leaf)
        return ew.stop_gradient(leaf)

    return tree_map(stop, x)


# -- more NumPy elementwise functions, composed of the ones above ------------------------------


fabs = _unary("fabs", ew.abs, np.fabs)
rint = _unary("rint", lambda x: ew.round_p.bind1(x), np.rint)


def _float_dtype(ufunc: np.ufunc, *xs: Any) -> np.dtype[Any]:
    """The dtype NumPy's float-valued ``ufunc`` computes in for these operands (from their
    own dtypes: ``copysign(int8, uint8)`` is float16, though int8 and uint8 promote to int16)."""
    return ufunc_dtype(ufunc, *[aval(x) for x in xs])


def _float_operands(name: str, ufunc: np.ufunc, *xs: Any) -> list[Any]:
    """The operands of NumPy's float-valued ``ufunc``, cast to the dtype it computes in and
    broadcast together."""
    return promote(name, *xs, dtype=_float_dtype(ufunc, *xs))


@_ufunc_keywords
def signbit(x: Any, /) -> Any:
    """``numpy.signbit``: True where the sign bit is set (``x < 0``, and ``-0.0``).  Deviation:
    a NaN's sign bit is not seen (False)."""
    (x,) = promote("signbit", x)
    if aval(x).dtype.kind not in "fc":
        return less(x, 0)
    # -0.0 is the one zero with arctan2(x, -1) = -pi (+0.0 gives +pi); no division by zero.
    minus_zero = less(ew.arctan2(x, np.full(aval(x).shape, -1.0, aval(x).dtype)), 0)
    return where(equal(x, 0), minus_zero, less(x, 0))


@_ufunc_keywords
def copysign(x1: Any, x2: Any, /) -> Any:
    """``numpy.copysign``: ``|x1|`` with the sign of ``x2`` (derivative: zero in ``x2``)."""
    x1, x2 = _float_operands("copysign", np.copysign, x1, x2)
    magnitude = absolute(x1)
    return where(signbit(x2), negative(magnitude), magnitude)


@_ufunc_keywords
def heaviside(x1: Any, x2: Any, /) -> Any:
    """``numpy.heaviside``: 0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0``
    (NaN where ``x1`` is NaN)."""
    x1, x2 = _float_operands("heaviside", np.heaviside, x1, x2)
    dtype = aval(x1).dtype
    zero, one = np.zeros((), dtype), np.ones((), dtype)
    step = where(less(x1, 0), zero, where(greater(x1, 0), one, x2))
    return where(isnan(x1), x1, step)


@_ufunc_keywords
def fmod(x1: Any, x2: Any, /) -> Any:
    """``numpy.fmod``: the C remainder ``x1 - trunc(x1 / x2) * x2`` (exact, ``lax.rem``), with
    the sign of ``x1`` (``remainder``'s has the sign of ``x2``); integer ``fmod(x, 0)`` is 0, as
    NumPy's."""
    x1, x2 = promote("fmod", x1, x2)
    r = ew.rem(x1, x2)
    if aval(r).dtype.kind in "iu":
        return where(equal(x2, 0), np.zeros((), aval(r).dtype), r)
    return r


@_ufunc_keywords
def float_power(x1: Any, x2: Any, /) -> Any:
    """``numpy.float_power``: ``x1 ** x2`` computed in float64 (complex128 for complex)."""
    x1, x2 = promote("float_power", x1, x2)
    dtype = np.dtype(np.complex128 if aval(x1).dtype.kind == "c" else np.float64)
    return power(convert(x1, dtype), convert(x2, dtype))


@_ufunc_keywords
def ldexp(x1: Any, x2: Any, /) -> Any:
    """``numpy.ldexp``: ``x1 * 2**x2`` for integer ``x2`` (no derivative in ``x2``)."""
    x1, x2 = as_operand(x1), as_operand(x2)
    if aval(x2).dtype.kind not in "iub":
        raise TypeError(f"ldexp: the exponent x2 must be an integer array, got dtype "
                        f"{aval(x2).dtype}.")
    dtype = _float_dtype(np.ldexp, x1, x2)
    return multiply(convert(x1, dtype), power(np.asarray(2.0, dtype), convert(x2, dtype)))


@_ufunc_keywords
def nextafter(x1: Any, x2: Any, /) -> Any:
    """``numpy.nextafter``: the next representable number after ``x1`` towards ``x2``.  Not
    differentiable (as JAX's: differentiating through it raises)."""
    return ew.nextafter(*_float_operands("nextafter", np.nextafter, x1, x2))


@_ufunc_keywords
def spacing(x: Any, /) -> Any:
    """``numpy.spacing``: the distance from ``x`` to the next number away from zero, negative
    where ``x < 0`` (``-0.0`` counts as zero).  Not differentiable."""
    (x,) = promote("spacing", x)
    x = convert(x, _float_dtype(np.spacing, x))
    inf = np.asarray(np.inf, aval(x).dtype)
    return subtract(nextafter(x, where(less(x, 0), negative(inf), inf)), x)


@_ufunc_keywords
def frexp(x: Any, /) -> tuple[Any, Any]:
    """``numpy.frexp``: the mantissa (``0.5 <= |m| < 1``, or ``x`` itself at 0, inf and NaN)
    and the integer exponent (int32) with ``x = m * 2**e``; ``dm/dx = 2**-e``."""
    (x,) = promote("frexp", x)
    dtype = np.frexp.resolve_dtypes((aval(x).dtype, None, None))[0]  # integers: float64
    return ew.frexp(convert(x, np.dtype(dtype)))


def isposinf(x: Any, /, out: None = None) -> Any:
    """``numpy.isposinf``: True where ``x`` is +inf."""
    no_out("isposinf", out)
    refuse_complex("isposinf", as_operand(x), "the sign of a complex infinity is not defined")
    return equal(x, np.inf)


def isneginf(x: Any, /, out: None = None) -> Any:
    """``numpy.isneginf``: True where ``x`` is -inf."""
    no_out("isneginf", out)
    refuse_complex("isneginf", as_operand(x), "the sign of a complex infinity is not defined")
    return equal(x, -np.inf)


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Any:
    """``numpy.isclose``: ``|a - b| <= atol + rtol * |b|``, infinities equal only to
    themselves, NaN equal to NaN only with ``equal_nan``.  A boolean result."""
    a, b = promote("isclose", a, b)
    if aval(a).dtype.kind not in "fc":
        a, b = convert(a, np.dtype(np.float64)), convert(b, np.dtype(np.float64))
    finite = logical_and(isfinite(a), isfinite(b))
    # Infinities and NaNs are compared by equality; keep them out of the arithmetic.
    a_f, b_f = where(finite, a, 0.0), where(finite, b, 0.0)
    close = less_equal(absolute(subtract(a_f, b_f)), add(atol, multiply(rtol, absolute(b_f))))
    out = where(finite, close, equal(a, b))
    if equal_nan:
        out = logical_or(out, logical_and(isnan(a), isnan(b)))
    return out


def real(val: Any) -> Any:
    """``numpy.real``: the real part (a real array is its own real part)."""
    (x,) = promote("real", val)
    return ew.real(x) if aval(x).dtype.kind == "c" else x


def imag(val: Any) -> Any:
    """``numpy.imag``: the imaginary part (zeros for a real array: a constant)."""
    (x,) = promote("imag", val)
    if aval(x).dtype.kind == "c":
        return ew.imag(x)
    return np.zeros(aval(x).shape, aval(x).dtype)


@_ufunc_keywords
def conjugate(x: Any, /) -> Any:
    """``numpy.conjugate`` (``conj``): a real array is its own conjugate."""
    (x,) = promote("conjugate", x)
    if aval(x).dtype == np.bool_:  # NumPy's conjugate has no boolean loop: int8
        return convert(x, np.dtype(np.int8))
    return ew.conj(x) if aval(x).dtype.kind == "c" else x


conj = conjugate


def angle(z: Any, deg: bool = False) -> Any:
    """``numpy.angle``: ``arctan2(imag(z), real(z))``; for a real array 0 where ``z >= 0`` and
    pi where ``z < 0`` (and ``-0.0``), with zero derivative away from 0."""
    (z,) = promote("angle", z)
    if aval(z).dtype.kind == "c":
        out = ew.arctan2(ew.imag(z), ew.real(z))
    else:
        dtype = _float_dtype(np.arctan2, z, z)
        z = convert(z, dtype)
        out = ew.arctan2(np.zeros(aval(z).shape, dtype), z)
    return multiply(out, 180.0 / np.pi) if deg else out


def isreal(x: Any) -> Any:
    """``numpy.isreal``: True where the imaginary part is zero (everywhere, for real arrays)."""
    if not isinstance(x, Tracer) and aval(x).dtype.kind == "c":
        return np.isreal(x)
    (x,) = promote("isreal", x)
    if aval(x).dtype.kind == "c":
        return equal(ew.imag(x), np.zeros((), np.finfo(aval(x).dtype).dtype))
    return np.ones(aval(x).shape, bool)


@_ufunc_keywords
def modf(x: Any, /) -> tuple[Any, Any]:
    """``numpy.modf``: the fractional and integral parts, both with the sign of ``x``."""
    (x,) = promote("modf", x)
    x = convert(x, np.dtype(np.modf.resolve_dtypes((aval(x).dtype, None, None))[0]))  # int16: f32
    whole = trunc(x)
    if aval(x).dtype.kind not in "fc":
        return subtract(x, whole), whole
    # modf(+-inf) is (+-0.0, +-inf): keep inf - inf (NaN, with a warning) out of the sums.
    inf = isinf(x)
    finite_x = where(inf, 0.0, x)
    frac = subtract(finite_x, trunc(finite_x))
    frac = where(equal(frac, 0), multiply(finite_x, 0.0), frac)  # -0.0 for -0.0, -2.0, ...
    return where(inf, multiply(sign(x), 0.0), frac), whole


@_ufunc_keywords
def divmod(x1: Any, x2: Any, /) -> tuple[Any, Any]:  # noqa: A001 - NumPy's name
    """``numpy.divmod``: ``(floor_divide(x1, x2), remainder(x1, x2))``."""
    x1, x2 = promote("divmod", x1, x2)
    if aval(x1).dtype.kind == "f":
        return _float_divmod(x1, x2)  # both from one exact remainder
    return floor_divide(x1, x2), remainder(x1, x2)


def sinc(x: Any, /) -> Any:
    """``numpy.sinc``: ``sin(pi x) / (pi x)``, 1 at 0.  Near 0 its Taylor polynomial is used,
    so derivatives of every order tested (up to 4) are right there too, as JAX's."""
    (x,) = promote("sinc", x)
    x = convert(x, np.result_type(aval(x).dtype, 1.0))  # NumPy's Python code: int -> float64
    y = multiply(x, np.pi)
    small = less(absolute(y), 0.1)
    # sin(y)/y = 1 - y^2/3! + y^4/5! - y^6/7! + y^8/9! - ...; the next term is < 1e-17 here.
    safe = where(small, 1.0, y)
    y2 = multiply(y, y)
    taylor = 1.0
    for k in (9, 7, 5, 3):
        taylor = subtract(1.0, true_divide(multiply(y2, taylor), float(k * (k - 1))))
    return where(small, taylor, true_divide(sin(safe), safe))


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    """``numpy.select``: from each position, the entry of the first choice whose condition is
    true there, else ``default`` (a chain of ``where``: every choice is computed)."""
    conds, choices = list(condlist), list(choicelist)
    if len(conds) != len(choices):
        raise ValueError("select: list of cases must be same length as list of conditions")
    if not choices:
        raise ValueError("select with an empty condition list is not possible")
    for k, c in enumerate(conds):
        if aval(c).dtype != np.dtype(bool):
            raise TypeError(f"select: invalid entry {k} in condlist: should be boolean ndarray")
    choices = promote("select", *choices, default)
    out = choices[-1]
    for cond, choice in zip(conds[::-1], choices[-2::-1], strict=True):
        out = where(cond, choice, out)
    return out
