"""dtype utilities of ``functrace.numpy``: NumPy's, with traced arrays standing for their
abstract values (a tracer's dtype and weak type are known while tracing, its values are not).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functrace.core import Tracer
from functrace.numpy._base import WEAK_PROXY

# Re-exported as they are: they take dtypes, never arrays.
issubdtype, promote_types = np.issubdtype, np.promote_types


def _dtype_like(x: Any) -> Any:
    """What NumPy's dtype functions accept in place of ``x``: a traced array's dtype."""
    return x.aval.dtype if isinstance(x, Tracer) else x


def result_type(*arrays_and_dtypes: Any) -> np.dtype[Any]:
    """``numpy.result_type``: the dtype NumPy's promotion gives these arrays, dtypes and
    scalars (a traced array from a Python scalar is weakly typed, as the scalar would be).

    >>> result_type(np.float32(1.0), 2.0)
    dtype('float32')
    """
    return np.result_type(*[_weak_proxy(x) if isinstance(x, Tracer) else x
                            for x in arrays_and_dtypes])


def _weak_proxy(x: Tracer) -> Any:
    """A NumPy stand-in with ``x``'s dtype and weak type (a Python scalar if weak)."""
    if x.aval.weak_type:
        return WEAK_PROXY[x.aval.dtype.kind]
    return x.aval.dtype


def can_cast(from_: Any, to: Any, casting: str = "safe") -> bool:
    """``numpy.can_cast``: whether values of ``from_`` (a dtype or an array, traced or not)
    can be cast to ``to`` under the ``casting`` rule."""
    return bool(np.can_cast(_dtype_like(from_), to, casting))  # type: ignore[arg-type]


def finfo(dtype: Any) -> np.finfo[Any]:
    """``numpy.finfo``: machine limits of a floating dtype (or of an array's, traced or not)."""
    return np.finfo(_dtype_like(dtype))


def iinfo(int_type: Any) -> np.iinfo[Any]:
    """``numpy.iinfo``: machine limits of an integer dtype (or of an array's)."""
    return np.iinfo(_dtype_like(int_type))


def isscalar(element: Any) -> bool:
    """``numpy.isscalar``: True for Python and NumPy scalars; False for arrays, traced ones
    included (as NumPy says for 0-d arrays; JAX says True for 0-d arrays)."""
    return False if isinstance(element, Tracer) else bool(np.isscalar(element))


def iscomplexobj(x: Any) -> bool:
    """``numpy.iscomplexobj``: whether ``x`` has a complex dtype (traced arrays too)."""
    if isinstance(x, Tracer):
        return x.aval.dtype.kind == "c"
    return bool(np.iscomplexobj(x))


def isrealobj(x: Any) -> bool:
    """``numpy.isrealobj``: whether ``x`` does not have a complex dtype."""
    return not iscomplexobj(x)


class _ArrayType(type):
    """``isinstance(x, ndarray)`` is True for NumPy arrays and for traced arrays."""

    def __instancecheck__(cls, x: Any) -> bool:
        return isinstance(x, (np.ndarray, Tracer))

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, (np.ndarray, Tracer))


class ndarray(metaclass=_ArrayType):  # noqa: N801 - NumPy's (and jax.numpy's) name
    """The array type of ``functrace.numpy``, for ``isinstance`` checks (as ``jax.numpy``'s
    ``ndarray``, ``jax.Array``): NumPy arrays, which functrace returns outside transformations,
    and traced arrays inside them.  Not constructible: build arrays with ``array``,
    ``asarray``, ``zeros``...

    >>> import numpy as np, functrace as ft
    >>> isinstance(np.zeros(2), ndarray), isinstance(1.0, ndarray)
    (True, False)
    >>> ft.grad(lambda x: (isinstance(x, ndarray) and x * x).sum())(np.ones(2))
    array([2., 2.])
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("functrace.numpy.ndarray is a type for isinstance checks; build arrays "
                        "with functrace.numpy.array, asarray, zeros, ...")
