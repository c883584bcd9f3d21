"""``functrace.numpy.ufunc``: NumPy's ufunc methods (``reduce``, ``accumulate``, ``outer``,
``at``, ``reduceat``) on traced and concrete arrays, as ``jax.numpy.ufunc``.

The same 14 functions as in ``jax.numpy`` are ufunc objects (``add``, ``multiply``,
``subtract``, ``maximum``, ``minimum``, ``logaddexp``, ``logaddexp2``, the ``logical_*`` and
``bitwise_*`` pairs, and the unary ``negative``); :func:`frompyfunc` makes one of any function of
scalars.  A method maps to the matching reduction or scan where there is one (``add.reduce`` is
``sum``, ``maximum.accumulate`` is ``lax.cummax``, ``add.at`` is ``a.at[i].add``), so its
derivative is that function's; otherwise it folds the function along the axis with ``lax.scan``,
which every transformation understands.  Results are new arrays: ``at`` needs
``inplace=False``, as in JAX (traced arrays are immutable).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from functrace.core import Tracer, get_aval
from functrace.errors import ConcretizationError
from functrace.numpy._base import no_out
from functrace.numpy._indexing import _IndexUpdateRef
from functrace.numpy._reductions import normalize_axes, normalize_axis

Fn = Callable[..., Any]


class ufunc:  # noqa: N801 - NumPy's and JAX's name
    """A function of ``nin`` arrays, elementwise with broadcasting, with NumPy's ufunc methods.

    ``reduction`` / ``accumulation`` / ``scatter``, when given, are the dedicated functions
    (``sum``, ``cumsum``, the name of the ``.at`` method) its methods use; without them the
    methods fold ``fn`` itself.  ``idempotent``: ``fn(x, x) == x`` (max, min, logical and/or),
    so masked entries of a ``reduce`` may be filled with its ``initial``.  ``reorderable``:
    associative and commutative, so that ``reduce`` may take several axes at once (not
    ``subtract``; ``axis=None`` is the fold over the flattened array, as JAX's).
    """

    def __init__(self, fn: Fn, nin: int, nout: int = 1, *, name: str | None = None,
                 identity: Any = None, reduction: Fn | None = None,
                 accumulation: Fn | None = None, scatter: str | None = None,
                 idempotent: bool = False, reorderable: bool = True):
        self._fn = fn
        self.nin, self.nout, self.nargs = nin, nout, nin + nout
        self.identity = identity
        self.__name__: str = name or str(getattr(fn, "__name__", "ufunc"))
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__signature__ = inspect.signature(fn)
        self._reduction, self._accumulation, self._scatter = reduction, accumulation, scatter
        self._idempotent = idempotent  # fn(x, x) == x: max, min, logical and / or
        self._reorderable = reorderable  # associative and commutative: not subtract

    def __repr__(self) -> str:
        return f"<functrace.numpy.ufunc '{self.__name__}'>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._fn(*args, **kwargs)

    def _binary_only(self, method: str) -> None:
        if self.nin != 2 or self.nout != 1:
            raise ValueError(f"{self.__name__}.{method} is only defined for functions of two "
                             f"arguments with one output; {self.__name__} takes {self.nin} and "
                             f"returns {self.nout}.")

    # -- reduce ----------------------------------------------------------------------------

    def reduce(self, a: Any, axis: int | tuple[int, ...] | None = 0, dtype: Any = None,
               out: None = None, keepdims: bool = False, initial: Any = None,
               where: Any = None) -> Any:
        """Combine the entries of ``a`` along ``axis`` (several axes, or all with None) with
        this function: ``add.reduce`` is ``sum``.  ``initial`` starts the fold; ``where`` masks
        entries out (it needs ``initial`` when the function has no identity)."""
        from functrace import numpy as fnp

        self._binary_only("reduce")
        no_out(f"{self.__name__}.reduce", out)
        a = fnp.asarray(a, dtype=dtype)
        axes = normalize_axes(axis, a.ndim, f"{self.__name__}.reduce")
        if axis is None and not self._reorderable and a.ndim != 1:
            # The fold over the entries in order (C order), as JAX's.
            flat_where = None if where is None else fnp.reshape(
                fnp.broadcast_to(where, a.shape), (-1,))
            result = self.reduce(fnp.reshape(a, (-1,)), 0, None, None, False, initial,
                                 flat_where)
            return fnp.reshape(result, (1,) * a.ndim) if keepdims else result
        if len(axes) > 1 and not self._reorderable:
            raise ValueError(f"reduction operation '{self.__name__}' is not reorderable, so at "
                             "most one axis may be specified.")
        if where is not None:
            # Masked entries are filled with what leaves the result unchanged: the identity,
            # or for max/min (idempotent) the initial value.
            fill = self.identity if self.identity is not None else (
                initial if self._idempotent else None)
            if fill is None:
                raise ValueError(f"{self.__name__}.reduce with where= needs "
                                 + ("initial= (the function has no identity)."
                                    if self._idempotent else "a function with an identity."))
            a = fnp.where(where, a, fnp.asarray(fill, dtype=a.dtype))
        if any(a.shape[i] == 0 for i in axes):
            fill = initial if initial is not None else self.identity
            if fill is None:
                raise ValueError(f"zero-size reduction with {self.__name__}.reduce, which has "
                                 "no identity: pass initial=.")
            shape = tuple(1 if i in axes else n for i, n in enumerate(a.shape) if keepdims
                          or i not in axes)
            return fnp.full(shape, fill, dtype=a.dtype)
        if self._reduction is not None:
            result = self._reduction(a, axis=axes, keepdims=keepdims)
        else:
            result = self._fold_axes(a, axes, keepdims)
        if initial is not None:
            result = self._fn(fnp.asarray(initial, dtype=result.dtype), result)
        return result

    def _fold_axes(self, a: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
        """The reduction over ``axes`` as a sequential fold of ``fn`` (non-empty axes)."""
        from functrace import numpy as fnp

        moved = fnp.moveaxis(a, axes, tuple(range(len(axes))))
        rest = moved.shape[len(axes):]
        flat = fnp.reshape(moved, (-1, *rest))
        result = _fold(self._fn, flat[0], flat[1:])
        if keepdims:
            result = fnp.expand_dims(result, axes)
        return result

    # -- accumulate ------------------------------------------------------------------------

    def accumulate(self, a: Any, axis: int = 0, dtype: Any = None, out: None = None) -> Any:
        """The running reduction along ``axis``: ``add.accumulate`` is ``cumsum``."""
        from functrace import lax
        from functrace import numpy as fnp

        self._binary_only("accumulate")
        no_out(f"{self.__name__}.accumulate", out)
        a = fnp.asarray(a, dtype=dtype)
        if a.ndim == 0:
            raise ValueError(f"{self.__name__}.accumulate needs an array of at least one "
                             "dimension, got a scalar.")
        axis = normalize_axis(axis, a.ndim, f"{self.__name__}.accumulate")
        if self._accumulation is not None:
            return self._accumulation(a, axis=axis)
        moved = fnp.moveaxis(a, axis, 0)
        if moved.shape[0] == 0:
            return a

        def step(carry: Any, x: Any) -> tuple[Any, Any]:
            new = self._fn(carry, x)
            return new, new

        _, tail = lax.scan(step, moved[0], moved[1:])
        return fnp.moveaxis(fnp.concatenate([moved[:1], tail.astype(moved.dtype)]), 0, axis)

    # -- outer -----------------------------------------------------------------------------

    def outer(self, A: Any, B: Any, /) -> Any:  # noqa: N803 - NumPy's names
        """``fn(A[i..., None...], B[None..., j...])``: every pair, shape ``A.shape + B.shape``."""
        from functrace import numpy as fnp

        self._binary_only("outer")
        A, B = fnp.asarray(A), fnp.asarray(B)
        return self._fn(fnp.reshape(A, (*A.shape, *(1,) * B.ndim)), B)

    # -- at --------------------------------------------------------------------------------

    def at(self, a: Any, indices: Any, b: Any = None, /, *, inplace: bool = True) -> Any:
        """``a`` with ``fn`` applied at ``indices`` (with ``b``), unbuffered: a repeated index
        is applied once per occurrence.  Returns the new array; ``inplace=False`` is required
        (functrace arrays are immutable), as in JAX."""
        from functrace import lax
        from functrace import numpy as fnp

        if inplace:
            raise NotImplementedError(
                f"{self.__name__}.at(..., inplace=True) would write into its argument; "
                "functrace arrays are immutable. Pass inplace=False and use the returned array.")
        if (b is None) != (self.nin == 1):
            raise TypeError(f"{self.__name__}.at takes {'no' if self.nin == 1 else 'one'} "
                            f"operand b for a function of {self.nin} argument(s).")
        a = fnp.asarray(a)
        if self._scatter is not None:
            assert b is not None
            return getattr(_IndexUpdateRef(a, indices), self._scatter)(b)
        # Unbuffered in general: the flat positions selected, in order, updated one by one.
        # (fnp.getitem, not [], so that traced indices into the concrete position table work)
        selected = fnp.getitem(np.arange(a.size).reshape(a.shape), indices)
        positions = fnp.reshape(selected, (-1,))
        if b is None:
            operands: Any = positions
        else:
            operands = (positions, fnp.reshape(fnp.broadcast_to(b, np.shape(selected)), (-1,)))

        def step(flat: Any, item: Any) -> tuple[Any, None]:
            if b is None:
                return _IndexUpdateRef(flat, item).set(self._fn(flat[item])), None
            pos, value = item
            return _IndexUpdateRef(flat, pos).set(self._fn(flat[pos], value)), None

        flat, _ = lax.scan(step, fnp.reshape(a, (-1,)), operands)
        return fnp.reshape(flat, a.shape)

    # -- reduceat --------------------------------------------------------------------------

    def reduceat(self, a: Any, indices: Any, axis: int = 0, dtype: Any = None,
                 out: None = None) -> Any:
        """Reductions over the slices ``a[indices[i]:indices[i+1]]`` along ``axis`` (the last
        to the end; where ``indices[i] >= indices[i+1]``, just ``a[indices[i]]``), as NumPy's.
        ``indices`` must be known (not traced)."""
        from functrace import numpy as fnp

        self._binary_only("reduceat")
        no_out(f"{self.__name__}.reduceat", out)
        if isinstance(indices, Tracer):
            try:  # known under grad, jacfwd... of concrete inputs
                indices = indices.concrete(f"{self.__name__}.reduceat's indices")
            except ConcretizationError:
                raise TypeError(f"{self.__name__}.reduceat needs known indices: their values "
                                "decide the result's slices, so they cannot be traced.") from None
        idx = np.asarray(indices)
        if idx.ndim != 1 or idx.dtype.kind not in "iu":
            raise TypeError(f"{self.__name__}.reduceat: indices must be a 1-d sequence of "
                            f"integers, got {indices!r}.")
        a = fnp.asarray(a, dtype=dtype)
        axis = normalize_axis(axis, a.ndim, f"{self.__name__}.reduceat")
        n = a.shape[axis]
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise IndexError(f"{self.__name__}.reduceat: index out of bounds for axis {axis} "
                             f"of length {n}: {idx.tolist()}.")
        moved = fnp.moveaxis(a, axis, 0)
        pieces = []
        for k, start in enumerate(idx.tolist()):
            stop = idx[k + 1] if k + 1 < idx.size else n
            if start < stop:
                pieces.append(self.reduce(moved[start:stop], axis=0))
            else:
                pieces.append(moved[start])
        if not pieces:
            return fnp.moveaxis(moved[:0], 0, axis)
        return fnp.moveaxis(fnp.stack(pieces), 0, axis)


def _fold(fn: Fn, first: Any, rest: Any) -> Any:
    """``fn(...fn(fn(first, rest[0]), rest[1])..., rest[-1])``, as a ``lax.scan``."""
    from functrace import lax

    if rest.shape[0] == 0:
        return first

    def step(carry: Any, x: Any) -> tuple[Any, None]:
        return fn(carry, x).astype(get_aval(carry).dtype), None

    result, _ = lax.scan(step, first, rest)
    return result


def frompyfunc(func: Fn, /, nin: int, nout: int, *, identity: Any = None) -> ufunc:
    """A :class:`ufunc` of ``func``, a function of ``nin`` scalars returning ``nout`` values
    written with functrace operations, as ``jax.numpy.frompyfunc``: called on arrays it
    broadcasts them and maps ``func`` over their entries with ``vmap``.

    >>> import functrace.numpy as fnp
    >>> hyp = fnp.frompyfunc(lambda x, y: fnp.sqrt(x * x + y * y), nin=2, nout=1)
    >>> hyp.outer(fnp.array([3.0, 5.0]), fnp.array([4.0, 12.0])).tolist()
    [[5.0, 12.36931687685298], [6.4031242374328485, 13.0]]
    """
    from functrace import numpy as fnp
    from functrace.api import vmap

    if not callable(func):
        raise TypeError(f"frompyfunc: func must be callable, got {func!r}.")
    if nin < 1 or nout < 1:
        raise ValueError(f"frompyfunc: nin and nout must be positive, got {nin} and {nout}.")

    def elementwise(*args: Any) -> Any:
        if len(args) != nin:
            raise TypeError(f"{getattr(func, '__name__', 'ufunc')} takes {nin} argument(s), got "
                            f"{len(args)}.")
        arrays = fnp.broadcast_arrays(*[fnp.asarray(x) for x in args])
        shape = arrays[0].shape
        flat = [fnp.reshape(x, (-1,)) for x in arrays]
        out = vmap(func)(*flat)
        if nout == 1:
            return fnp.reshape(out, shape)
        return tuple(fnp.reshape(o, shape) for o in out)

    elementwise.__name__ = getattr(func, "__name__", "ufunc")
    # Folds of an arbitrary function go in order: one axis at a time, as NumPy's.
    return ufunc(elementwise, nin, nout, identity=identity, reorderable=False)
