"""Shape functions of ``functrace.numpy``: reshaping, joining, splitting, reordering, and
array creation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from functrace.core import Tracer
from functrace.errors import ConcretizationError
from functrace.numpy import _reductions
from functrace.numpy._base import (
    as_operand,
    aval,
    broadcast_shapes,
    broadcast_to_shape,
    check_cast,
    convert,
    no_out,
    result_dtype,
)
from functrace.numpy._elementwise import (
    add,
    less_equal,
    log10,
    minimum,
    multiply,
    power,
    remainder,
    sign,
    subtract,
    true_divide,
)
from functrace.numpy._reductions import normalize_axes, normalize_axis
from functrace.primitives import indexing as ix
from functrace.primitives import shape as sh


def check_device(name: str, device: Any) -> None:
    """The ``device=`` keyword of the creation functions: None, the one device
    (``functrace.devices()[0]``, as jax.numpy takes) or ``"cpu"`` (as NumPy's)."""
    if device is not None and device != "cpu":
        from functrace._devices import Device  # (imports functrace.api: not at load time)

        if not isinstance(device, Device):
            raise ValueError(f"{name}: device must be None, 'cpu' or the CPU device "
                             f"(functrace.devices()[0]), got {device!r}.")


Order = Literal["K", "A", "C", "F"]


def asarray(a: Any, dtype: Any = None, order: Order | None = None, *,
            copy: bool | None = None, device: Any = None) -> Any:
    """An array from ``a`` (``numpy.asarray``; ``copy``, ``order`` as NumPy's): traced values
    stay traced (converted to ``dtype`` if given); (nested) lists may mix traced values and
    numbers, and are stacked."""
    check_device("asarray", device)
    if isinstance(a, (list, tuple)) and _contains_tracer(a):
        a = stack([asarray(x) for x in a])
    if isinstance(a, Tracer):  # immutable: copies and memory order are not observable
        return convert(a, np.dtype(dtype)) if dtype is not None else a
    return np.asarray(a, dtype=dtype, order=order, copy=copy)


def array(object: Any, dtype: Any = None, *, copy: bool = True,  # noqa: A002 - NumPy's name
          order: Order | None = "K", ndmin: int = 0, device: Any = None) -> Any:
    """``numpy.array``: as :func:`asarray`, but a NumPy array is copied (unless
    ``copy=False``), and the result has at least ``ndmin`` axes (ones in front)."""
    check_device("array", device)
    if isinstance(object, Tracer) or (isinstance(object, (list, tuple))
                                      and _contains_tracer(object)):
        out = asarray(object, dtype)
        missing = ndmin - aval(out).ndim
        return reshape(out, (1,) * missing + aval(out).shape) if missing > 0 else out
    return np.array(object, dtype=dtype, copy=copy, order=order, ndmin=ndmin)


def _contains_tracer(a: Any) -> bool:
    if isinstance(a, (list, tuple)):
        return any(_contains_tracer(x) for x in a)
    return isinstance(a, Tracer)


def shape(a: Any) -> tuple[int, ...]:
    return aval(a).shape


def ndim(a: Any) -> int:
    return aval(a).ndim


def size(a: Any) -> int:
    return aval(a).size


_NO_SHAPE: Any = object()


def reshape(a: Any, newshape: Any = _NO_SHAPE, order: str = "C", *, shape: Any = _NO_SHAPE,
            copy: bool | None = None) -> Any:
    """``numpy.reshape``: one axis may be -1; ``order`` 'C' (rows first) or 'F' (columns
    first: the C-order reshape of the reversed axes, reversed back).  The new shape is the
    second argument or ``shape=`` (NumPy 2.1's name); ``copy`` is accepted (traced values are
    immutable, so a reshape never aliases anything that can change)."""
    if shape is not _NO_SHAPE:
        if newshape is not _NO_SHAPE:
            raise TypeError("reshape: pass the new shape once (positionally or as shape=).")
        newshape = shape
    if newshape is _NO_SHAPE:
        raise TypeError("reshape() missing the new shape")
    if order == "F":
        shape = ([int(newshape)] if isinstance(newshape, (int, np.integer))
                 else [int(d) for d in newshape])
        return transpose(reshape(transpose(a), shape[::-1]))
    if order != "C":
        raise NotImplementedError(f"functrace.numpy.reshape: order={order!r} is not supported "
                                  "(only 'C' and 'F').")
    a = as_operand(a)
    a_aval = aval(a)
    dims = ([int(newshape)] if isinstance(newshape, (int, np.integer))
            else [int(d) for d in newshape])
    if dims.count(-1) > 1:
        raise ValueError("reshape: can only specify one unknown dimension (-1)")
    if -1 in dims:
        known = math.prod([d for d in dims if d != -1])
        if known == 0 or a_aval.size % known:
            raise ValueError(f"reshape: cannot reshape an array of shape {a_aval.shape} "
                             f"into {tuple(dims)}")
        dims[dims.index(-1)] = a_aval.size // known
    new = tuple(dims)
    return a if new == a_aval.shape else sh.reshape(a, new)


def ravel(a: Any, order: str = "C") -> Any:
    """``numpy.ravel``: the entries as one axis, in C (rows first) or F (columns first) order."""
    return reshape(a, -1, order=order)


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """``numpy.rollaxis``: ``axis`` moved to just before position ``start``."""
    nd = aval(as_operand(a)).ndim
    axis = normalize_axis(axis, nd, "rollaxis")
    if not -nd <= start <= nd:
        raise ValueError(f"rollaxis: start {start} is out of range for {nd} dimensions")
    start = start + nd if start < 0 else start
    return moveaxis(a, axis, start - 1 if axis < start else start)


def transpose(a: Any, axes: Sequence[int] | None = None) -> Any:
    """``numpy.transpose``: reverse the axes, or permute them as ``axes`` says."""
    a = as_operand(a)
    nd = aval(a).ndim
    perm = tuple(range(nd))[::-1] if axes is None else tuple(
        normalize_axis(int(i), nd, "transpose") for i in axes)
    if sorted(perm) != list(range(nd)):
        raise ValueError(f"transpose: axes {axes} don't match an array of {nd} dimensions")
    return a if perm == tuple(range(nd)) else sh.transpose(a, perm)


def swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    nd = aval(a).ndim
    perm = list(range(nd))
    i, j = normalize_axis(axis1, nd, "swapaxes"), normalize_axis(axis2, nd, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def moveaxis(a: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Any:
    nd = aval(a).ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of axes")
    src = [normalize_axis(s, nd, "moveaxis") for s in src]
    dst = [normalize_axis(d, nd, "moveaxis") for d in dst]
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        order.insert(d, s)
    return transpose(a, order)


def expand_dims(a: Any, axis: int | Sequence[int]) -> Any:
    """``numpy.expand_dims``: new axes of length 1 at ``axis`` (positions in the result)."""
    a = as_operand(a)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    dims = normalize_axes(axes, aval(a).ndim + len(axes), "expand_dims")
    return sh.expand_dims(a, dims)


def squeeze(a: Any, axis: int | Sequence[int] | None = None) -> Any:
    """``numpy.squeeze``: remove length-1 axes (all of them, or those in ``axis``)."""
    a = as_operand(a)
    a_shape = aval(a).shape
    if axis is None:
        dims = tuple(i for i, n in enumerate(a_shape) if n == 1)
    else:
        dims = normalize_axes(axis, len(a_shape), "squeeze")
        if any(a_shape[d] != 1 for d in dims):
            raise ValueError("squeeze: cannot select an axis to squeeze out which has size "
                             "not equal to one")
    return sh.squeeze(a, dims) if dims else a


def broadcast_to(a: Any, shape: int | Sequence[int]) -> Any:
    """``numpy.broadcast_to``."""
    target = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
    return broadcast_to_shape(as_operand(a), target)


def _atleast(nd: int, a: Any) -> Any:
    a = as_operand(a)
    shape_ = aval(a).shape
    if len(shape_) >= nd:
        return a
    # NumPy's placement of the new axes: (N,) -> (1, N) -> (1, N, 1); (M, N) -> (M, N, 1).
    new = {0: (1,) * nd, 1: ((1,) + shape_ + (1,))[:nd] if nd == 3 else (1,) + shape_,
           2: shape_ + (1,)}[len(shape_)]
    return reshape(a, new)


def atleast_1d(*arys: Any) -> Any:
    """``numpy.atleast_1d``: 0-d arrays become shape (1,); a tuple for several arguments."""
    out = tuple(_atleast(1, a) for a in arys)
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys: Any) -> Any:
    """``numpy.atleast_2d``: (N,) becomes (1, N); a tuple for several arguments."""
    out = tuple(_atleast(2, a) for a in arys)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys: Any) -> Any:
    """``numpy.atleast_3d``: (N,) becomes (1, N, 1) and (M, N) becomes (M, N, 1); a tuple for
    several arguments."""
    out = tuple(_atleast(3, a) for a in arys)
    return out[0] if len(out) == 1 else out


def broadcast_arrays(*args: Any) -> tuple[Any, ...]:
    """``numpy.broadcast_arrays``: the arguments broadcast to their common shape."""
    operands = [as_operand(a) for a in args]
    target = broadcast_shapes("broadcast_arrays", *[aval(a).shape for a in operands])
    return tuple(broadcast_to_shape(a, target) for a in operands)


def permute_dims(a: Any, /, axes: Sequence[int] | None = None) -> Any:
    """``numpy.permute_dims``, the array-API name of :func:`transpose`."""
    return transpose(a, axes)


def matrix_transpose(x: Any, /) -> Any:
    """``numpy.matrix_transpose``: swap the last two axes."""
    x = as_operand(x)
    if aval(x).ndim < 2:
        raise ValueError(f"matrix_transpose: input array must be at least 2-dimensional, got "
                         f"shape {aval(x).shape}")
    return swapaxes(x, -1, -2)


def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Any:
    """``numpy.rot90``: rotate by 90 degrees ``k`` times, from the first of ``axes`` towards
    the second (a ``rev`` and a ``transpose``)."""
    m = as_operand(m)
    nd = aval(m).ndim
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == nd:
        raise ValueError(f"rot90: axes must be different, got {axes}.")
    ax0, ax1 = (normalize_axis(a, nd, "rot90") for a in axes)
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(m, (ax0, ax1))
    perm = list(range(nd))
    perm[ax0], perm[ax1] = perm[ax1], perm[ax0]
    return transpose(flip(m, ax1), perm) if k == 1 else flip(transpose(m, perm), ax1)


# -- creation: constants, independent of any traced value ---------------------------------------


def zeros_like(a: Any, dtype: Any = None, shape: Any = None, *, device: Any = None
               ) -> np.ndarray:
    """Zeros of ``a``'s shape (or ``shape``) and dtype (a constant: it does not depend on
    ``a``'s values)."""
    check_device("zeros_like", device)
    a_aval = aval(a)
    return np.zeros(a_aval.shape if shape is None else shape, dtype or a_aval.dtype)


def ones_like(a: Any, dtype: Any = None, shape: Any = None, *, device: Any = None
              ) -> np.ndarray:
    """Ones of ``a``'s shape (or ``shape``) and dtype (a constant)."""
    check_device("ones_like", device)
    a_aval = aval(a)
    return np.ones(a_aval.shape if shape is None else shape, dtype or a_aval.dtype)


def full_like(a: Any, fill_value: Any, dtype: Any = None, shape: Any = None, *,
              device: Any = None) -> Any:
    """``fill_value`` at ``a``'s shape (or ``shape``) and dtype; a traced ``fill_value`` is
    broadcast (and differentiable)."""
    check_device("full_like", device)
    a_aval = aval(a)
    out_shape = a_aval.shape if shape is None else shape
    if isinstance(fill_value, Tracer):
        return broadcast_to(convert(fill_value, np.dtype(dtype or a_aval.dtype)), out_shape)
    return np.full(out_shape, fill_value, dtype or a_aval.dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None, *, device: Any = None) -> Any:
    """``numpy.full``; a traced ``fill_value`` is broadcast (and differentiable)."""
    check_device("full", device)
    if isinstance(fill_value, Tracer):
        fill = convert(fill_value, np.dtype(dtype)) if dtype is not None else fill_value
        return broadcast_to(fill, shape)
    return np.full(shape, fill_value, dtype)


def empty_like(prototype: Any, dtype: Any = None, shape: Any = None, *, device: Any = None
               ) -> np.ndarray:
    """``numpy.empty_like``: zeros of ``prototype``'s shape and dtype (functrace has no
    uninitialised memory; a constant)."""
    check_device("empty_like", device)
    p_aval = aval(prototype)
    return np.zeros(p_aval.shape if shape is None else shape, dtype or p_aval.dtype)


def copy(a: Any, order: Order | None = "K") -> Any:
    """``numpy.copy``: traced values are immutable, so a tracer is its own copy."""
    if isinstance(a, Tracer):
        return a
    return np.array(as_operand(a), copy=True, order=order)


def astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    """``numpy.astype``: ``x`` converted to ``dtype`` (one ``convert_element_type``)."""
    check_device("astype", device)
    del copy  # traced values are immutable: a copy is never observable
    return convert(as_operand(x), np.dtype(dtype))


zeros, ones, empty, eye, identity, arange = (
    np.zeros, np.ones, np.zeros, np.eye, np.identity, np.arange)
tri, indices = np.tri, np.indices
tril_indices, triu_indices, diag_indices = np.tril_indices, np.triu_indices, np.diag_indices


def tril_indices_from(arr: Any, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.tril_indices_from``: the indices of the lower triangle of a 2-d array (only its
    shape is used, so it may be traced)."""
    rows, cols = _matrix_shape("tril_indices_from", arr)
    return np.tril_indices(rows, k, cols)


def triu_indices_from(arr: Any, k: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``numpy.triu_indices_from``: the indices of the upper triangle of a 2-d array (only its
    shape is used, so it may be traced)."""
    rows, cols = _matrix_shape("triu_indices_from", arr)
    return np.triu_indices(rows, k, cols)


def diag_indices_from(arr: Any) -> tuple[np.ndarray, ...]:
    """``numpy.diag_indices_from``: the indices of the main diagonal of an array with equal
    axes (only its shape is used)."""
    shape_ = aval(arr).shape
    if len(shape_) < 2 or len(set(shape_)) != 1:
        raise ValueError(f"diag_indices_from: the array must be at least 2-d with all axes of "
                         f"equal length, got shape {shape_}")
    return np.diag_indices(shape_[0], len(shape_))


def _matrix_shape(name: str, arr: Any) -> tuple[int, int]:
    shape_ = aval(arr).shape
    if len(shape_) != 2:
        raise ValueError(f"{name}: input array must be 2-d, got shape {shape_}")
    return shape_[0], shape_[1]


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False,
             indexing: str = "xy") -> tuple[Any, ...]:
    """``numpy.meshgrid``: coordinate arrays from 1-d coordinate vectors (``indexing`` "xy":
    the first two axes swapped, as NumPy; ``sparse``: broadcastable, not broadcast)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: valid values for `indexing` are 'xy' and 'ij'.")
    nd = len(xi)
    out = [reshape(x, (1,) * i + (-1,) + (1,) * (nd - i - 1)) for i, x in enumerate(xi)]
    if indexing == "xy" and nd > 1:
        out[0] = reshape(out[0], (1, -1) + (1,) * (nd - 2))
        out[1] = reshape(out[1], (-1, 1) + (1,) * (nd - 2))
    return tuple(out) if sparse else broadcast_arrays(*out)


def ix_(*args: Any) -> tuple[Any, ...]:
    """``numpy.ix_``: 1-d index arrays reshaped to index an open mesh (``x[ix_(rows,
    cols)]``); boolean arrays must be concrete (their ``nonzero`` sets the shape)."""
    out = []
    nd = len(args)
    for k, a in enumerate(args):
        a = as_operand(a)
        if not isinstance(a, Tracer):
            a = np.asarray(a)
            if a.size == 0:
                a = a.astype(np.intp)
            elif a.dtype.kind == "b":
                a = np.nonzero(a)[0]
        if aval(a).ndim != 1:
            raise ValueError("ix_: cross index must be 1 dimensional")
        if aval(a).dtype.kind not in "iu":
            raise TypeError(f"ix_: index arrays must be integers (or concrete booleans), got "
                            f"{aval(a).str_short()}")
        out.append(reshape(a, (1,) * k + (-1,) + (1,) * (nd - k - 1)))
    return tuple(out)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0, *,
             device: Any = None) -> Any:
    """``numpy.linspace``.  Concrete ``start`` / ``stop`` give NumPy's (constant) result;
    traced ones give ``start + i * step`` (``stop`` exactly at the end), as NumPy computes
    it, with derivatives in ``start`` and ``stop``."""
    check_device("linspace", device)
    if not (isinstance(start, Tracer) or isinstance(stop, Tracer)):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)  # type: ignore
    if num < 0:
        raise ValueError(f"linspace: number of samples, {num}, must be non-negative.")
    start, stop = as_operand(start), as_operand(stop)
    dt = result_dtype(aval(start), aval(stop), aval(float(num)))
    start, stop = convert(start, dt), convert(stop, dt)
    bshape = broadcast_shapes("linspace", aval(start).shape, aval(stop).shape)
    start, stop = broadcast_to_shape(start, bshape), broadcast_to_shape(stop, bshape)
    div = num - 1 if endpoint else num
    step = true_divide(subtract(stop, start), float(div if div > 0 else 1))
    steps = np.arange(num, dtype=dt).reshape((num,) + (1,) * len(bshape))
    y = add(multiply(steps, sh.expand_dims(step, (0,))), sh.expand_dims(start, (0,)))
    if endpoint and num > 1:
        y = ix.concatenate([ix.slice_in_dim(y, 0, num - 1, 0), sh.expand_dims(stop, (0,))], 0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = convert(y, np.dtype(dtype))
    return (y, step if div > 0 else np.nan) if retstep else y


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: Any = 10.0,
             dtype: Any = None, axis: int = 0) -> Any:
    """``numpy.logspace``: ``base ** linspace(start, stop)`` (traceable in ``start``,
    ``stop`` and ``base``)."""
    if not any(isinstance(v, Tracer) for v in (start, stop, base)):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    y = linspace(start, stop, num, endpoint, axis=axis)
    base = as_operand(base)
    if aval(base).ndim:
        base = expand_dims(base, normalize_axis(axis, aval(y).ndim, "logspace"))
    out = power(base, y)
    return convert(out, np.dtype(dtype)) if dtype is not None else out


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Any:
    """``numpy.geomspace``: a geometric progression from ``start`` to ``stop`` (traceable in
    both; real values of one sign, as NumPy requires: zero endpoints raise when concrete).
    Traced complex endpoints are not supported."""
    if not (isinstance(start, Tracer) or isinstance(stop, Tracer)):
        return np.geomspace(start, stop, num, endpoint, dtype, axis)
    start, stop = as_operand(start), as_operand(stop)
    # As NumPy: float64 at least, whatever the endpoints' dtype (without ``dtype``).
    dt = result_dtype(aval(start), aval(stop), aval(float(num)), aval(np.zeros((), dtype)))
    if dt.kind == "c":
        raise NotImplementedError("geomspace: traced complex endpoints are not supported "
                                  "(NumPy's spiral between them is not implemented).")
    start, stop = convert(start, dt), convert(stop, dt)
    bshape = broadcast_shapes("geomspace", aval(start).shape, aval(stop).shape)
    start, stop = broadcast_to_shape(start, bshape), broadcast_to_shape(stop, bshape)
    out_sign = sign(start)
    log_start = log10(multiply(start, out_sign))
    log_stop = log10(multiply(stop, out_sign))
    y = power(10.0, linspace(log_start, log_stop, num, endpoint))
    # The ends exactly, as NumPy sets them.
    if num > 0:
        parts = [sh.expand_dims(multiply(start, out_sign), (0,))]
        middle = num - 2 if endpoint and num > 1 else num - 1
        if middle > 0:
            parts.append(ix.slice_in_dim(y, 1, 1 + middle, 0))
        if endpoint and num > 1:
            parts.append(sh.expand_dims(multiply(stop, out_sign), (0,)))
        y = ix.concatenate(parts, 0) if len(parts) > 1 else parts[0]
    y = multiply(y, sh.expand_dims(out_sign, (0,)))
    if axis != 0:
        y = moveaxis(y, 0, axis)
    return convert(y, np.dtype(dtype)) if dtype is not None else y


# -- joining and splitting ----------------------------------------------------------------------


def concatenate(arrays: Sequence[Any], axis: int | None = 0, out: None = None,
                dtype: Any = None, casting: str = "same_kind") -> Any:
    """``numpy.concatenate``: join arrays along an existing axis (``axis=None`` flattens
    them first); dtypes are promoted as NumPy does.  Each array is cast to ``dtype`` (or the
    promoted dtype) under the ``casting`` rule: ``TypeError``, as NumPy's, where the rule
    forbids it (``concatenate([f64, f64], dtype=np.int32)`` needs ``casting="unsafe"``)."""
    no_out("concatenate", out)
    arrays = [as_operand(a) for a in arrays]
    if not arrays:
        raise ValueError("concatenate: need at least one array to concatenate")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    avals = [aval(a) for a in arrays]
    if any(a.ndim == 0 for a in avals):
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
    nd = avals[0].ndim
    if any(a.ndim != nd for a in avals):
        raise ValueError(f"concatenate: all the input arrays must have the same number of "
                         f"dimensions, got shapes {[a.shape for a in avals]}")
    ax = normalize_axis(axis, nd, "concatenate")
    if any(a.shape[:ax] + a.shape[ax + 1:] != avals[0].shape[:ax] + avals[0].shape[ax + 1:]
           for a in avals):
        raise ValueError(f"concatenate: the input shapes {[a.shape for a in avals]} must match "
                         f"except along the concatenation axis {ax}")
    target = np.dtype(dtype) if dtype is not None else result_dtype(*avals)
    check_cast(avals, target, casting)
    arrays = [convert(a, target) for a in arrays]
    if len(arrays) == 1:
        return arrays[0]
    return ix.concatenate(arrays, ax)


def stack(arrays: Sequence[Any], axis: int = 0, out: None = None, *, dtype: Any = None,
          casting: str = "same_kind") -> Any:
    """``numpy.stack``: join arrays of one shape along a new axis (``dtype`` and ``casting``
    as in :func:`concatenate`)."""
    no_out("stack", out)
    arrays = [as_operand(a) for a in arrays]
    if not arrays:
        raise ValueError("stack: need at least one array to stack")
    shapes = {aval(a).shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"stack: all input arrays must have the same shape, got "
                         f"{[aval(a).shape for a in arrays]}")
    ax = normalize_axis(axis, aval(arrays[0]).ndim + 1, "stack")
    return concatenate([sh.expand_dims(a, (ax,)) for a in arrays], ax, dtype=dtype,
                       casting=casting)


def hstack(tup: Sequence[Any], dtype: Any = None, *, casting: str = "same_kind") -> Any:
    """``numpy.hstack``: along axis 1 (axis 0 for 1-d arrays)."""
    arrays = [atleast_1d(a) for a in tup]
    axis = 0 if arrays and aval(arrays[0]).ndim == 1 else 1
    return concatenate(arrays, axis, dtype=dtype, casting=casting)


def vstack(tup: Sequence[Any], dtype: Any = None, *, casting: str = "same_kind") -> Any:
    """``numpy.vstack``: along axis 0, 1-d arrays becoming rows."""
    return concatenate([atleast_2d(a) for a in tup], 0, dtype=dtype, casting=casting)


row_stack = vstack  # NumPy's (deprecated) name for vstack


def dstack(tup: Sequence[Any]) -> Any:
    """``numpy.dstack``: along axis 2, after :func:`atleast_3d`."""
    return concatenate([_atleast(3, a) for a in tup], 2)


def column_stack(tup: Sequence[Any]) -> Any:
    """``numpy.column_stack``: 1-d arrays become columns, then joined along axis 1."""
    arrays = []
    for a in tup:
        a = as_operand(a)
        if aval(a).ndim < 2:
            a = reshape(a, (-1, 1))
        arrays.append(a)
    return concatenate(arrays, 1)


def concat(arrays: Sequence[Any], /, axis: int | None = 0, out: None = None, *,
           dtype: Any = None, casting: str = "same_kind") -> Any:
    """``numpy.concat``, the array-API name of :func:`concatenate`."""
    return concatenate(arrays, axis, out, dtype=dtype, casting=casting)


def append(arr: Any, values: Any, axis: int | None = None) -> Any:
    """``numpy.append``: ``values`` after ``arr`` along ``axis`` (both flattened if None)."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], 0)
    return concatenate([arr, values], axis)


def block(arrays: Any) -> Any:
    """``numpy.block``: assemble an array from nested lists of blocks; the innermost lists
    join along the last axis, the next ones along the second-to-last, and so on."""
    depth = _block_depth(arrays, ())
    leaves: list[Any] = []
    _block_leaves(arrays, leaves)
    nd = max([depth, *[aval(a).ndim for a in leaves]])

    def build(x: Any, level: int) -> Any:
        if level == depth:
            x = asarray(x)
            return reshape(x, (1,) * (nd - aval(x).ndim) + aval(x).shape)
        return concatenate([build(e, level + 1) for e in x], nd - (depth - level))

    return build(arrays, 0)


def _block_depth(x: Any, index: tuple[int, ...]) -> int:
    if isinstance(x, tuple):
        raise TypeError(f"block: arrays is a tuple (at index {list(index)}); only lists can "
                        "be used to arrange blocks, and np.block does not allow implicit "
                        "conversion from tuple to ndarray.")
    if not isinstance(x, list):
        return 0
    if not x:
        raise ValueError(f"block: list at index {list(index)} cannot be empty")
    depths = {_block_depth(e, (*index, k)) for k, e in enumerate(x)}
    if len(depths) != 1:
        raise ValueError(f"block: list depths are mismatched under index {list(index)}")
    return 1 + depths.pop()


def _block_leaves(x: Any, out: list[Any]) -> None:
    if isinstance(x, list):
        for e in x:
            _block_leaves(e, out)
    else:
        out.append(x)


def unstack(x: Any, /, *, axis: int = 0) -> tuple[Any, ...]:
    """``numpy.unstack``: the slices along ``axis``, as a tuple (the inverse of ``stack``)."""
    x = as_operand(x)
    nd = aval(x).ndim
    if nd == 0:
        raise ValueError("unstack: input array must be at least 1-d.")
    ax = normalize_axis(axis, nd, "unstack")
    return tuple(sh.squeeze(ix.slice_in_dim(x, i, i + 1, ax), (ax,))
                 for i in range(aval(x).shape[ax]))


def hsplit(ary: Any, indices_or_sections: int | Sequence[int]) -> list[Any]:
    """``numpy.hsplit``: split along axis 1 (axis 0 for 1-d arrays)."""
    nd = aval(ary).ndim
    if nd == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if nd > 1 else 0)


def vsplit(ary: Any, indices_or_sections: int | Sequence[int]) -> list[Any]:
    """``numpy.vsplit``: split along axis 0 (the array must be at least 2-d)."""
    if aval(ary).ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: int | Sequence[int]) -> list[Any]:
    """``numpy.dsplit``: split along axis 2 (the array must be at least 3-d)."""
    if aval(ary).ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


def split(ary: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Any]:
    """``numpy.split``: equal sections (which must divide the axis) or cuts at indices."""
    if isinstance(indices_or_sections, (int, np.integer)):
        n = aval(ary).shape[normalize_axis(axis, aval(ary).ndim, "split")]
        if indices_or_sections <= 0 or n % int(indices_or_sections):
            raise ValueError("split: array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def array_split(ary: Any, indices_or_sections: int | Sequence[int], axis: int = 0
                ) -> list[Any]:
    """``numpy.array_split``: like ``split``, but sections need not divide the axis evenly
    (the first ``n % sections`` parts get one more entry)."""
    ary = as_operand(ary)
    shape_ = aval(ary).shape
    ax = normalize_axis(axis, len(shape_), "array_split")
    n = shape_[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("array_split: number sections must be larger than 0.")
        each, extra = divmod(n, sections)
        sizes = [each + 1] * extra + [each] * (sections - extra)
        cuts = [int(c) for c in np.cumsum([0, *sizes])]
    else:
        # Cuts are clipped into [0, n] and may decrease (giving empty parts), as in NumPy.
        inner = [min(max(int(i) + (n if int(i) < 0 else 0), 0), n) for i in indices_or_sections]
        cuts = [0, *inner, n]
    return [ix.slice_in_dim(ary, lo, max(lo, hi), ax)
            for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)]


# -- reordering and repeating -------------------------------------------------------------------


def flip(m: Any, axis: int | Sequence[int] | None = None) -> Any:
    """``numpy.flip``: reverse the order of entries along ``axis`` (all axes if None)."""
    m = as_operand(m)
    axes = normalize_axes(axis, aval(m).ndim, "flip")
    return ix.rev(m, axes) if axes else m


def flipud(m: Any) -> Any:
    """``numpy.flipud``: reverse the first axis."""
    return flip(m, 0)


def fliplr(m: Any) -> Any:
    """``numpy.fliplr``: reverse the second axis."""
    if aval(as_operand(m)).ndim < 2:
        raise ValueError("fliplr: input must be at least 2-d.")
    return flip(m, 1)


def roll(a: Any, shift: Any, axis: int | Sequence[int] | None = None) -> Any:
    """``numpy.roll``: entries shifted along ``axis``, those falling off one end coming back
    at the other (``axis=None``: over the flattened array).  ``shift`` may be traced."""
    a = as_operand(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), aval(a).shape)
    shift_ndim = aval(shift).ndim if isinstance(shift, Tracer) else np.ndim(shift)
    shifts: tuple[Any, ...] = (shift,) if shift_ndim == 0 else tuple(shift)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    elif len(axes) == 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError("roll: 'shift' and 'axis' should be scalars or 1D sequences of the "
                         "same length")
    nd = aval(a).ndim
    for s, ax in zip(shifts, axes, strict=True):
        ax = normalize_axis(ax, nd, "roll")
        n = aval(a).shape[ax]
        if isinstance(s, Tracer) and _static_or_none(s) is None:
            a = _roll_traced(a, s, ax)
            continue
        k = int(s) % n if n else 0
        if k:
            a = ix.concatenate([ix.slice_in_dim(a, n - k, n, ax),
                                ix.slice_in_dim(a, 0, n - k, ax)], ax)
    return a


def _static_or_none(x: Any) -> Any:
    """``x`` itself if not traced, its known value if traced and known, else None."""
    if not isinstance(x, Tracer):
        return x
    try:
        return x.concrete("a static argument")
    except ConcretizationError:
        return None


def _roll_traced(a: Any, shift: Any, ax: int) -> Any:
    """``a`` rolled by a shift known only when run (under ``jit``, in a loop): rolling by
    ``k`` in ``[0, n)`` reads the window ``[n - k, 2n - k)`` of ``a`` joined to itself."""
    shape_ = aval(a).shape
    n = shape_[ax]
    if n == 0:
        return a
    if aval(shift).ndim:
        raise ValueError(f"roll: a traced shift must be a scalar or a 1-d sequence, got "
                         f"{aval(shift).str_short()}.")
    if aval(shift).dtype.kind not in "iu":
        shift = convert(shift, np.dtype(np.intp))  # a float shift is truncated, as JAX's
    start = subtract(n, remainder(shift, n))
    zero = np.zeros((), aval(start).dtype)
    starts = [start if d == ax else zero for d in range(len(shape_))]
    return ix.dynamic_slice(ix.concatenate([a, a], ax), starts, shape_)


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """``numpy.diff``: the ``n``-th forward difference along ``axis``, after putting
    ``prepend`` before and ``append`` after ``a`` along it (scalars are broadcast to one
    slice, as NumPy's)."""
    a = as_operand(a)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    nd = aval(a).ndim
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = normalize_axis(axis, nd, "diff")
    if prepend is not None or append is not None:
        def edge(v: Any) -> Any:
            v = as_operand(v)
            if aval(v).ndim == 0:
                shape = list(aval(a).shape)
                shape[ax] = 1
                v = broadcast_to(v, tuple(shape))
            return v

        parts = [edge(prepend)] if prepend is not None else []
        parts.append(a)
        if append is not None:
            parts.append(edge(append))
        a = concatenate(parts, ax)
    for _ in range(n):
        length = aval(a).shape[ax]
        if length == 0:
            break
        a = subtract(ix.slice_in_dim(a, 1, length, ax), ix.slice_in_dim(a, 0, length - 1, ax))
    return a


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Any:
    """``numpy.ediff1d``: differences of the flattened array, with ``to_begin`` and
    ``to_end`` (flattened, cast to its dtype) put before and after."""
    ary = ravel(ary)
    dtype = aval(ary).dtype
    parts = [ravel(convert(as_operand(to_begin), dtype))] if to_begin is not None else []
    parts.append(diff(ary))
    if to_end is not None:
        parts.append(ravel(convert(as_operand(to_end), dtype)))
    return concatenate(parts, 0)


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """``numpy.trapezoid``: the integral of ``y`` by the trapezoidal rule along ``axis``, at
    sample points ``x`` (1-d, or ``y``'s shape) or spaced ``dx`` apart."""
    y = as_operand(y)
    nd = aval(y).ndim
    ax = normalize_axis(axis, nd, "trapezoid")
    if x is None:
        d = dx
    else:
        x = as_operand(x)
        if aval(x).ndim == 1:
            d = reshape(diff(x), tuple(-1 if k == ax else 1 for k in range(nd)))
        else:
            d = diff(x, axis=ax)
    n = aval(y).shape[ax]
    ends = add(ix.slice_in_dim(y, 1, n, ax), ix.slice_in_dim(y, 0, max(n - 1, 0), ax))
    return _reductions.sum(true_divide(multiply(d, ends), 2.0), ax)


def gradient(f: Any, *varargs: Any, axis: int | Sequence[int] | None = None,
             edge_order: int = 1) -> Any:
    """``numpy.gradient``: central differences inside, one-sided (first or second order)
    differences at the edges, along each axis; the spacings are scalars or 1-d coordinates.
    One array for one axis, else a tuple."""
    f = as_operand(f)
    nd = aval(f).ndim
    if axis is None:
        axes: tuple[int, ...] = tuple(range(nd))
    elif isinstance(axis, (int, np.integer)):
        axes = (normalize_axis(int(axis), nd, "gradient"),)
    else:
        axes = tuple(normalize_axis(a, nd, "gradient") for a in axis)  # in the order given
    if not varargs:
        spacings: list[Any] = [1.0] * len(axes)
    elif len(varargs) == 1 and aval(varargs[0]).ndim == 0:
        spacings = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise TypeError(f"gradient: expected 0, 1 or {len(axes)} spacings, got {len(varargs)}")
    if edge_order not in (1, 2):
        raise ValueError("gradient: 'edge_order' greater than 2 not supported")
    if aval(f).dtype.kind not in "fc":
        f = convert(f, np.dtype(np.float64))
    # NumPy writes the result into an array of f's (float) dtype, whatever the spacings'.
    out = tuple(convert(_gradient_1d(f, ax, h, edge_order), aval(f).dtype)
                for ax, h in zip(axes, spacings, strict=True))
    return out[0] if len(out) == 1 else out


def _gradient_1d(f: Any, ax: int, h: Any, edge_order: int) -> Any:
    n = aval(f).shape[ax]
    if n < edge_order + 1:
        raise ValueError("gradient: shape of the array too small to calculate a numerical "
                         "gradient, at least (edge_order + 1) elements are required.")

    def part(lo: int, hi: int) -> Any:
        return ix.slice_in_dim(f, lo, hi, ax)

    h = as_operand(h)
    if not isinstance(h, Tracer) and aval(h).ndim == 1 and n > 1:
        steps = np.diff(np.asarray(h, dtype=np.result_type(h, np.float64)
                                   if aval(h).dtype.kind in "iub" else None))
        if np.ptp(steps) == 0:
            h = steps[0]  # evenly spaced coordinates: NumPy's uniform formulas
    if aval(h).ndim == 0:
        interior = true_divide(subtract(part(2, n), part(0, n - 2)), multiply(2.0, h))
        if edge_order == 1:
            first = true_divide(subtract(part(1, 2), part(0, 1)), h)
            last = true_divide(subtract(part(n - 1, n), part(n - 2, n - 1)), h)
        else:
            first = true_divide(add(add(multiply(-1.5, part(0, 1)), multiply(2.0, part(1, 2))),
                                    multiply(-0.5, part(2, 3))), h)
            last = true_divide(add(add(multiply(0.5, part(n - 3, n - 2)),
                                       multiply(-2.0, part(n - 2, n - 1))),
                                   multiply(1.5, part(n - 1, n))), h)
        return concatenate([first, interior, last], ax)
    if aval(h).shape != (n,):
        raise ValueError(f"gradient: when 1d, distances must match the length of the "
                         f"corresponding dimension ({n}), got shape {aval(h).shape}")
    dx = diff(h if aval(h).dtype.kind in "fc" else convert(h, np.dtype(np.float64)))
    nd = aval(f).ndim

    def along(v: Any) -> Any:  # a 1-d coefficient vector, broadcast along ``ax``
        return reshape(v, tuple(-1 if k == ax else 1 for k in range(nd)))

    def coef(lo: int, hi: int) -> Any:
        return ix.slice_in_dim(dx, lo, hi, 0)

    # Second-order accurate weights on a non-uniform grid (NumPy's formulas).
    dx1, dx2 = coef(0, n - 2), coef(1, n - 1)
    a = _negative_div(dx2, multiply(dx1, add(dx1, dx2)))
    b = true_divide(subtract(dx2, dx1), multiply(dx1, dx2))
    c = true_divide(dx1, multiply(dx2, add(dx1, dx2)))
    interior = add(add(multiply(along(a), part(0, n - 2)), multiply(along(b), part(1, n - 1))),
                   multiply(along(c), part(2, n)))
    if edge_order == 1:
        first = true_divide(subtract(part(1, 2), part(0, 1)), along(coef(0, 1)))
        last = true_divide(subtract(part(n - 1, n), part(n - 2, n - 1)), along(coef(n - 2,
                                                                                   n - 1)))
    else:
        d1, d2 = coef(0, 1), coef(1, 2)
        a0 = _negative_div(add(multiply(2.0, d1), d2), multiply(d1, add(d1, d2)))
        b0 = true_divide(add(d1, d2), multiply(d1, d2))
        c0 = _negative_div(d1, multiply(d2, add(d1, d2)))
        first = add(add(multiply(along(a0), part(0, 1)), multiply(along(b0), part(1, 2))),
                    multiply(along(c0), part(2, 3)))
        d1, d2 = coef(n - 3, n - 2), coef(n - 2, n - 1)
        a1 = true_divide(d2, multiply(d1, add(d1, d2)))
        b1 = _negative_div(add(d2, d1), multiply(d1, d2))
        c1 = true_divide(add(multiply(2.0, d2), d1), multiply(d2, add(d1, d2)))
        last = add(add(multiply(along(a1), part(n - 3, n - 2)),
                       multiply(along(b1), part(n - 2, n - 1))), multiply(along(c1),
                                                                          part(n - 1, n)))
    return concatenate([first, interior, last], ax)


def _negative_div(x: Any, y: Any) -> Any:  # -x / y
    return true_divide(subtract(0.0, x), y)


def tile(A: Any, reps: int | Sequence[int]) -> Any:
    """``numpy.tile``: ``A`` repeated ``reps`` times along each axis (one broadcast and one
    reshape)."""
    A = as_operand(A)
    reps_t = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    nd = max(len(reps_t), aval(A).ndim)
    reps_t = (1,) * (nd - len(reps_t)) + reps_t
    shape_ = (1,) * (nd - aval(A).ndim) + aval(A).shape
    A = reshape(A, shape_)
    # Interleave (rep, size) pairs, broadcast along the rep axes, then merge each pair.
    pairs = tuple(n for pair in zip(reps_t, shape_, strict=True) for n in pair)
    spread = sh.broadcast_in_dim(A, pairs, tuple(range(1, 2 * nd, 2)))
    return reshape(spread, tuple(r * n for r, n in zip(reps_t, shape_, strict=True)))


def repeat(a: Any, repeats: Any, axis: int | None = None, *,
           total_repeat_length: int | None = None) -> Any:
    """``numpy.repeat``: each entry repeated ``repeats`` times along ``axis`` (flattened if
    None); ``repeats`` may be one count for all or an array of counts.  JAX's
    ``total_repeat_length`` fixes the result's length along ``axis`` (cut, or padded with the
    last entry), which lets the counts be traced."""
    a = as_operand(a)
    if axis is None or aval(a).ndim == 0:  # (a scalar repeats as a 1-d array, as in NumPy)
        a, axis = ravel(a), 0 if axis is None else axis
    ax = normalize_axis(axis, aval(a).ndim, "repeat")
    if total_repeat_length is not None:
        return _repeat_to_length(a, repeats, ax, int(total_repeat_length))
    shape_ = aval(a).shape
    counts = _static_or_none(repeats)  # known counts (under grad, jacfwd...) are as NumPy's
    if counts is None:
        raise ConcretizationError(
            "repeat: with traced repeats the result's length is not known while tracing; "
            "pass total_repeat_length.")
    counts = np.asarray(counts)
    if counts.dtype.kind not in "iu" or np.any(counts < 0):
        raise ValueError(f"repeat: repeats must be non-negative integers, got {repeats!r}")
    if counts.ndim == 0:
        # (.., n, ..) -> (.., n, r, ..) by broadcasting, then merge the two axes.
        r = int(counts)
        wide = shape_[:ax + 1] + (r,) + shape_[ax + 1:]
        dims = tuple(i if i <= ax else i + 1 for i in range(len(shape_)))
        return reshape(sh.broadcast_in_dim(a, wide, dims),
                       shape_[:ax] + (shape_[ax] * r,) + shape_[ax + 1:])
    if counts.shape != (shape_[ax],):
        raise ValueError(f"repeat: got {counts.size} repeat counts for an axis of length "
                         f"{shape_[ax]}")
    index = np.repeat(np.arange(shape_[ax]), counts)
    return sh.moveaxis(ix.gather(a, [index], (ax,)), 0, ax)


def _repeat_to_length(a: Any, repeats: Any, ax: int, length: int) -> Any:
    """``repeat`` with ``length`` entries along ``ax``: entry ``j`` comes from the source
    entry whose cumulative count first exceeds ``j`` (past the total: the last entry)."""
    n = aval(a).shape[ax]
    if length < 0:
        raise ValueError(f"repeat: total_repeat_length must be non-negative, got {length}.")
    if n == 0 or length == 0:
        return reshape(sh.moveaxis(ix.gather(a, [np.zeros(0, np.intp)], (ax,)), 0, ax)
                       if n else a, (*aval(a).shape[:ax], 0, *aval(a).shape[ax + 1:]))
    counts = broadcast_to(convert(as_operand(repeats), np.dtype(np.intp)), (n,))
    ends = _reductions.cumsum(counts)
    positions = np.arange(length, dtype=np.intp)
    # The source of position j: how many cumulative counts are <= j (a count per query).
    source = _reductions.sum(
        less_equal(sh.broadcast_in_dim(ends, (length, n), (1,)),
                      sh.broadcast_in_dim(positions, (length, n), (0,))),
        axis=1, dtype=np.intp)
    source = minimum(source, np.asarray(n - 1, np.intp))
    return sh.moveaxis(ix.gather(a, [source], (ax,)), 0, ax)
