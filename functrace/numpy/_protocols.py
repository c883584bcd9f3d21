"""Plain NumPy on tracers: ``__array_ufunc__``, ``__array_function__`` and the operators.

``np.sin(t)``, ``np.sum(t, axis=0)``, ``np.dot(t, w)`` and ``t @ w`` on a tracer land here and
are traced as their ``functrace.numpy`` twins.  A NumPy function functrace does not support
raises ``TypeError`` naming it, never a silently wrong (untraced) result.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from functrace.core import Tracer
from functrace.numpy._base import check_cast, convert
from functrace.numpy._indexing import _IndexUpdateHelper

# What a Tracer's binary operators accept; for anything else they return NotImplemented, so
# Python gives the other operand's reflected operator a chance.
_OPERAND_TYPES = (Tracer, np.ndarray, np.generic, int, float, complex)


def _unsupported(what: str) -> TypeError:
    return TypeError(
        f"{what} is not supported on traced arrays by functrace. Use an equivalent from "
        "functrace.numpy, or compute it outside the transformed function."
    )


@functools.cache
def _keywords(fn: Callable[..., Any]) -> frozenset[str]:
    """The keyword arguments ``fn`` accepts (by name)."""
    params = inspect.signature(fn).parameters.values()
    return frozenset(p.name for p in params
                     if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


def _astype_method(self: Any, dtype: Any, order: str = "K", casting: str = "unsafe",
                   subok: bool = True, copy: bool = True) -> Any:
    """``ndarray.astype`` on a tracer: NumPy's keywords (``order``, ``subok`` and ``copy``
    change nothing for an immutable traced value); a cast ``casting`` forbids raises NumPy's
    ``TypeError``."""
    check_cast([self.aval], np.dtype(dtype), casting)
    return convert(self, np.dtype(dtype))


def install(fnp: ModuleType) -> None:
    """Register NumPy's protocols and the Python operators on tracers, given the namespace."""
    ufuncs: dict[str, Callable[..., Any]] = {}
    # NumPy's namespace as it is: ``getattr`` over ``dir(np)`` would import every lazily
    # loaded submodule (numpy.f2py, numpy.ma, ...), a quarter of a second of import time.
    for obj in list(vars(np).values()):
        if isinstance(obj, np.ufunc) and hasattr(fnp, obj.__name__):
            ufuncs[obj.__name__] = getattr(fnp, obj.__name__)
    ufunc_aliases = {"absolute": "abs", "divide": "true_divide", "conjugate": "conj"}
    for np_name, ours in ufunc_aliases.items():
        if np_name not in ufuncs and hasattr(fnp, ours):
            ufuncs[np_name] = getattr(fnp, ours)
    functions: dict[Any, Callable[..., Any]] = {}
    for name in fnp.__all__:
        np_obj = getattr(np, name, None)
        if callable(np_obj) and not isinstance(np_obj, (np.ufunc, type)):
            functions[np_obj] = getattr(fnp, name)
    for name in fnp.linalg.__all__:
        functions[getattr(np.linalg, name)] = getattr(fnp.linalg, name)
    for name in fnp.fft.__all__:
        functions[getattr(np.fft, name)] = getattr(fnp.fft, name)

    def array_ufunc(self: Any, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if getattr(np, ufunc.__name__, None) is not ufunc:  # another library's (scipy.special)
            raise _unsupported(f"The ufunc {ufunc.__name__!r}, which is not NumPy's,")
        fn = ufuncs.get(ufunc.__name__)
        if method == "at":
            raise TypeError(f"numpy.{ufunc.__name__}.at writes into its argument, and traced "
                            "arrays are immutable: use functrace.numpy."
                            f"{ufunc.__name__}.at(..., inplace=False), or x.at[index], which "
                            "return the updated array.")
        if method in ("reduce", "accumulate", "outer", "reduceat") and isinstance(fn, fnp.ufunc):
            # np.add.reduce(x), np.maximum.accumulate(x), np.multiply.outer(x, y)...
            return getattr(fn, method)(*inputs, **kwargs)
        if fn is None or method != "__call__":
            label = f"numpy.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
            raise _unsupported(label)
        if kwargs.get("out") is not None:
            raise TypeError(f"numpy.{ufunc.__name__}(..., out=...) cannot write into a traced "
                            "array: functrace values are immutable; use the returned value.")
        kwargs.pop("out", None)
        unknown = set(kwargs) - _keywords(fn)
        if unknown:
            raise TypeError(f"numpy.{ufunc.__name__}: keyword arguments {sorted(unknown)} are "
                            "not supported on traced arrays.")
        return fn(*inputs, **kwargs)  # e.g. the axis of a gufunc such as np.vecdot

    def array_function(self: Any, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        fn = functions.get(func)
        if fn is None:
            module = getattr(func, "__module__", None) or "numpy"
            raise _unsupported(f"{module}.{getattr(func, '__name__', func)}")
        return fn(*args, **kwargs)

    def binary(fn: Callable[[Any, Any], Any], reflected: bool = False) -> Callable[..., Any]:
        fn = getattr(fn, "_fn", fn)  # a ufunc object's function itself: one call fewer

        def op(self: Any, other: Any) -> Any:
            if not isinstance(other, _OPERAND_TYPES):
                return NotImplemented
            return fn(other, self) if reflected else fn(self, other)

        return op

    def shaped(fn: Callable[..., Any]) -> Callable[..., Any]:
        """``x.reshape(2, 3)`` as well as ``x.reshape((2, 3))``."""

        def method(self: Any, *shape: Any, **kwargs: Any) -> Any:
            if not shape:
                return fn(self, **kwargs)
            if len(shape) == 1 and not isinstance(shape[0], int):
                shape = shape[0]  # x.reshape((2, 3)), x.reshape(()) ...
            return fn(self, shape, **kwargs)

        return method

    methods: dict[str, Any] = {}
    operators = {
        "add": fnp.add, "sub": fnp.subtract, "mul": fnp.multiply, "truediv": fnp.true_divide,
        "floordiv": fnp.floor_divide, "mod": fnp.remainder, "pow": fnp.power,
        "matmul": fnp.matmul, "and": fnp.bitwise_and, "or": fnp.bitwise_or,
        "xor": fnp.bitwise_xor, "divmod": fnp.divmod, "lshift": fnp.left_shift,
        "rshift": fnp.right_shift,
    }
    for name, fn in operators.items():
        methods[f"__{name}__"] = binary(fn)
        methods[f"__r{name}__"] = binary(fn, reflected=True)
    comparisons = {"lt": fnp.less, "le": fnp.less_equal, "gt": fnp.greater,
                   "ge": fnp.greater_equal, "eq": fnp.equal, "ne": fnp.not_equal}
    for name, fn in comparisons.items():
        methods[f"__{name}__"] = binary(fn)
    methods.update({
        "__array_ufunc__": array_ufunc,
        "__array_function__": array_function,
        "__neg__": fnp.negative._fn,  # (the ufunc object's function: a method binds it)
        "__pos__": fnp.positive,
        "__abs__": fnp.abs,
        "__invert__": fnp.invert,
        "__getitem__": fnp.getitem,
        "at": property(_IndexUpdateHelper),
        "T": property(fnp.transpose),
        "mT": property(lambda x: fnp.swapaxes(x, -1, -2)),
        "reshape": shaped(fnp.reshape),
        "transpose": lambda self, *axes: fnp.transpose(
            self, (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes) or None),
        "astype": _astype_method,
        "ravel": fnp.ravel,
        "flatten": fnp.ravel,
        "squeeze": fnp.squeeze,
        "swapaxes": fnp.swapaxes,
        "dot": fnp.dot,
        "clip": fnp.clip,
        "round": fnp.round,
        "conj": fnp.conjugate,
        "conjugate": fnp.conjugate,
        "real": property(fnp.real),
        "imag": property(fnp.imag),
        "copy": lambda self: self,  # traced values are immutable: a copy is the value itself
        # A sorted copy, as JAX's arrays (NumPy's ndarray.sort sorts in place, which an
        # immutable traced value cannot).
        "sort": lambda self, axis=-1, kind=None: fnp.sort(self, axis),
        "repeat": lambda self, repeats, axis=None: fnp.repeat(self, repeats, axis),
        "take": lambda self, indices, axis=None, out=None, mode=None: fnp.take(
            self, indices, axis, out, mode=mode),
        "diagonal": lambda self, offset=0, axis1=0, axis2=1: fnp.diagonal(self, offset,
                                                                           axis1, axis2),
        "searchsorted": lambda self, v, side="left", sorter=None: fnp.searchsorted(
            self, v, side, sorter),
        "trace": lambda self, offset=0, axis1=0, axis2=1, dtype=None, out=None: fnp.trace(
            self, offset, axis1, axis2, dtype, out),
        "nonzero": lambda self, *, size=None, fill_value=None: fnp.nonzero(
            self, size=size, fill_value=fill_value),
        "compress": lambda self, condition, axis=None, out=None: fnp.compress(condition, self,
                                                                             axis, out),
        "choose": lambda self, choices, out=None, mode="raise": fnp.choose(self, choices, out,
                                                                           mode=mode),
        "argpartition": lambda self, kth, axis=-1: fnp.argpartition(self, kth, axis),
        "nbytes": property(lambda self: self.aval.size * self.aval.dtype.itemsize),
        "itemsize": property(lambda self: self.aval.dtype.itemsize),
    })
    for name in ("sum", "mean", "prod", "max", "min", "var", "std", "argmax", "argmin",
                 "argsort", "cumsum", "cumprod", "all", "any", "ptp"):
        if hasattr(fnp, name):
            methods[name] = getattr(fnp, name)
    # Set on the class itself, so that ``x * y`` calls ``op`` directly (no forwarding table).
    for name, method in methods.items():
        setattr(Tracer, name, method)
