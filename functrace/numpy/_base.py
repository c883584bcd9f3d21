"""NumPy semantics made explicit: type promotion and broadcasting as IR equations.

Every ``functrace.numpy`` function that combines arrays calls :func:`promote` first, so the
primitives it binds see operands of equal shape and dtype, as in JAX.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from functrace.core import ShapedArray, Tracer, get_aval
from functrace.primitives.elementwise import convert_element_type
from functrace.primitives.shape import broadcast_in_dim

# A Python scalar of each kind: NumPy's promotion treats these as "weak" (NEP 50).
WEAK_PROXY = {"b": False, "i": 0, "u": 0, "f": 0.0, "c": 0j}
_PY_SCALARS = (bool, int, float, complex)


def aval(x: Any) -> ShapedArray:
    """The abstract value of an array-like argument (lists and tuples become arrays)."""
    if isinstance(x, (list, tuple)):
        x = as_operand(x)
    return get_aval(x)


def as_operand(x: Any) -> Any:
    """An argument ready to bind: tracers, NumPy values and Python scalars pass through; lists
    and tuples become arrays (as NumPy functions accept them): NumPy arrays, or, if they hold
    traced values, a traced stack of them (``functrace.numpy.asarray``), so that
    ``fnp.sum([x, 2 * x])`` is differentiable as autograd's is."""
    if isinstance(x, (Tracer, np.ndarray, np.generic, *_PY_SCALARS)):
        return x
    if isinstance(x, (list, tuple)):
        from functrace.numpy._shapes import asarray  # noqa: PLC0415 - _shapes imports this module

        return asarray(x)
    raise TypeError(
        f"functrace.numpy: expected an array, a number or a traced value, got "
        f"{type(x).__name__}: {x!r}"
    )


def result_dtype(*avals: ShapedArray) -> np.dtype[Any]:
    """NumPy's result dtype, with weakly typed (Python scalar) operands as weak."""
    return np.result_type(*[WEAK_PROXY[a.dtype.kind] if a.weak_type else a.dtype for a in avals])


def broadcast_shapes(name: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return _broadcast_shapes(shapes)
    except ValueError:
        raise ValueError(
            f"{name}: operands of shapes {', '.join(map(str, shapes))} do not broadcast "
            "together (NumPy broadcasting: trailing axes must be equal or 1)."
        ) from None


@functools.lru_cache(maxsize=4096)
def _broadcast_shapes(shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
    # Cached: NumPy's broadcast_shapes costs more than a traced operation's other bookkeeping.
    return tuple(np.broadcast_shapes(*shapes))


def convert(x: Any, dtype: np.dtype[Any], weak: bool = False) -> Any:
    """``x`` as ``dtype``: an equation for traced values (weakly typed with ``weak``), an
    eager cast for constants."""
    if isinstance(x, Tracer):
        return x if x.aval.dtype == dtype else convert_element_type(x, dtype, weak)
    if type(x) in _PY_SCALARS:
        if get_aval(x).dtype == dtype:
            return x  # keep Python scalars weakly typed
        if weak and dtype == np.float64 and type(x) in (bool, int):
            return float(x)  # a weak int made float stays weak (i / 2)
    return np.asarray(x, dtype=dtype)


def refuse_complex(name: str, x: Any, message: str) -> None:
    """NumPy's ``TypeError`` for a complex ``x`` where NumPy needs real numbers (it has no
    order to bin, interpolate or take quantiles by)."""
    if aval(x).dtype.kind == "c":
        raise TypeError(f"{name}: {message} (got dtype {aval(x).dtype}).")


def no_out(name: str, out: Any) -> None:
    """NumPy's ``out=`` may be given as None (its default), or a tuple of Nones (for
    ``divmod``, ``modf`` and ``frexp``); an array to write into is refused, functrace's arrays
    being immutable, as JAX's."""
    if out is not None and not (isinstance(out, tuple) and all(o is None for o in out)):
        raise TypeError(f"{name}: out= is not supported (functrace arrays are immutable, as "
                        "JAX's): use the returned value.")


def broadcast_to_shape(x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` broadcast to ``shape`` with NumPy's rules (one ``broadcast_in_dim`` equation,
    which maps ``x``'s axes to the trailing ones and stretches its length-1 axes)."""
    x_shape = get_aval(x).shape
    if x_shape == shape:
        return x
    lead = len(shape) - len(x_shape)
    if lead < 0 or any(n not in (1, shape[lead + i]) for i, n in enumerate(x_shape)):
        raise ValueError(f"broadcast_to: cannot broadcast an array of shape {x_shape} to {shape}.")
    return broadcast_in_dim(x, shape, tuple(range(lead, len(shape))))


def promote(name: str, *args: Any, dtype: Any = None, scalars: bool = False) -> list[Any]:
    """Operands converted to their common dtype (or ``dtype``) and broadcast to a common shape;
    with ``scalars``, scalar operands stay scalars (for elementwise primitives, which take
    them as JAX's ``lax`` operations do: ``mul a 2.0:f64[]``)."""
    operands = [as_operand(x) for x in args]
    avals = [get_aval(x) for x in operands]
    first = avals[0]
    if dtype is None:
        same_dtype = same_shape = True
        for a in avals:
            same_dtype = same_dtype and a.dtype == first.dtype
            same_shape = same_shape and a.shape == first.shape
        if same_dtype and same_shape:
            return operands  # the common case: nothing to promote or broadcast
        # Operands of one dtype keep it, weakly typed or not (NEP 50).
        target = first.dtype if same_dtype else result_dtype(*avals)
        # Weak operands only (a loop index and a Python float): the result stays weak, so a
        # strongly typed operand met later decides the dtype, as in JAX.
        weak = all(a.weak_type for a in avals)
    else:
        target, weak = np.dtype(dtype), False
    shape = broadcast_shapes(name, *[a.shape for a in avals])
    out = []
    for x, a in zip(operands, avals, strict=True):
        if a.dtype != target:
            x = convert(x, target, weak)
        if a.shape != shape and (a.shape or not scalars):
            x = broadcast_to_shape(x, shape)
        out.append(x)
    return out


# What NumPy's ufunc type resolution sees for a weakly typed operand: the Python scalar type.
_WEAK_TYPE = {"b": np.dtype(bool), "i": int, "u": int, "f": float, "c": complex}


def loop_key(a: ShapedArray) -> Any:
    """An operand of type ``a`` as NumPy's ufunc loop selection takes it: its dtype, or for a
    weakly typed value the Python scalar type (NEP 50: ``arctan2(int8, 2)`` is float16)."""
    return _WEAK_TYPE[a.dtype.kind] if a.weak_type else a.dtype


@functools.cache
def ufunc_loop(ufunc: np.ufunc, keys: tuple[Any, ...], dtype: np.dtype[Any] | None = None,
               casting: str = "same_kind") -> tuple[np.dtype[Any], ...]:
    """The dtypes of the loop NumPy's ``ufunc`` runs for operands of these types (from
    :func:`loop_key`): one per input, then one per output.  NumPy picks the first loop that
    the inputs cast to safely, from the inputs' own dtypes, not from their promoted type:
    ``arctan2(int8, uint8)`` runs in float16 though int8 and uint8 promote to int16.
    ``dtype`` fixes the output's dtype (the ``dtype=`` keyword); a cast ``casting`` forbids
    raises NumPy's ``TypeError``."""
    signature = (None,) * ufunc.nin + (dtype,) * ufunc.nout
    loop = ufunc.resolve_dtypes((*keys, *(None,) * ufunc.nout), signature=signature,
                                casting=casting)  # type: ignore[arg-type]
    return tuple(np.dtype(d) for d in loop)


def ufunc_dtype(ufunc: np.ufunc, *avals: ShapedArray) -> np.dtype[Any]:
    """The output dtype NumPy's ``ufunc`` gives for operands of these types (e.g. sin(int8)
    is float16, sin(int64) is float64, true_divide of ints is float64)."""
    return ufunc_loop(ufunc, tuple(loop_key(a) for a in avals))[-1]


def check_cast(avals: Any, dtype: np.dtype[Any], casting: str) -> None:
    """NumPy's ``TypeError`` where the ``casting`` rule forbids casting an array of one of
    ``avals`` to ``dtype`` (``"same_kind"`` refuses float64 to int32)."""
    for a in avals:
        if not np.can_cast(a.dtype, dtype, casting):  # type: ignore[arg-type]
            raise TypeError(f"Cannot cast array data from {a.dtype!r} to {dtype!r} according "
                            f"to the rule {casting!r}")
