"""``jax.scipy.integrate`` / ``scipy.integrate``: the trapezoidal rule on sampled values, on
traced or concrete arrays (differentiable in ``y``, ``x`` and ``dx``, under every
transformation).

>>> import numpy as np
>>> from functrace.scipy import integrate
>>> float(integrate.trapezoid(np.array([0.0, 1.0, 4.0]), dx=0.5))   # x**2 on [0, 1]
1.5
"""

from __future__ import annotations

from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.numpy._base import as_operand, aval
from functrace.scipy._inexact import inexact

__all__ = ["cumulative_trapezoid", "trapezoid"]


def _samples(name: str, y: Any, x: Any, dx: Any, axis: int) -> tuple[Any, Any, int]:
    """``y`` (inexact: integers and booleans as float64), the spacings along ``axis`` (``dx``, or
    the differences of ``x``: 1-d, or ``y``'s shape) shaped to broadcast against the pairs of
    neighbouring samples, and the axis as a non-negative number."""
    (y,) = inexact(y)
    nd = aval(y).ndim
    if nd == 0:
        raise ValueError(f"scipy.integrate.{name}: y must have at least one dimension, got a "
                         "scalar.")
    if not -nd <= axis < nd:
        raise ValueError(f"scipy.integrate.{name}: axis {axis} is out of bounds for y of shape "
                         f"{aval(y).shape}.")
    axis %= nd
    n = aval(y).shape[axis]
    if x is None:
        return y, as_operand(dx), axis
    x = as_operand(x)
    if aval(x).ndim == 1:
        if aval(x).shape[0] != n:
            raise ValueError(f"scipy.integrate.{name}: x of shape {aval(x).shape} does not match "
                             f"y of shape {aval(y).shape} along axis {axis}.")
        return y, fnp.reshape(fnp.diff(x), [-1 if k == axis else 1 for k in range(nd)]), axis
    if aval(x).ndim != nd or aval(x).shape[axis] != n:
        raise ValueError(f"scipy.integrate.{name}: x of shape {aval(x).shape} must be 1-d or "
                         f"have y's dimensions, {aval(y).shape}.")
    return y, fnp.diff(x, axis=axis), axis


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """``scipy.integrate.trapezoid``: the integral of ``y`` along ``axis`` by the trapezoidal
    rule, ``sum(d * (y[1:] + y[:-1]) / 2)``, with spacings ``d`` the differences of the sample
    points ``x`` (1-d along ``axis``, or of ``y``'s shape) or the constant ``dx``.  Integers
    become float64; an axis of length 0 or 1 integrates to 0.

    >>> import numpy as np
    >>> float(trapezoid(np.array([1.0, 2.0, 3.0]), x=np.array([0.0, 1.0, 3.0])))
    6.5
    """
    y, d, axis = _samples("trapezoid", y, x, dx, axis)
    n = aval(y).shape[axis]
    ends = (fnp.take(y, np.arange(1, n), axis=axis)
            + fnp.take(y, np.arange(max(n - 1, 0)), axis=axis))
    return fnp.sum(d * ends / 2.0, axis=axis)


def cumulative_trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1,
                         initial: Any = None) -> Any:
    """``scipy.integrate.cumulative_trapezoid``: the running integrals of :func:`trapezoid`
    along ``axis`` (one fewer than ``y`` has samples), or with ``initial=0`` that value first
    (SciPy accepts only 0 there).

    >>> import numpy as np
    >>> cumulative_trapezoid(np.array([0.0, 1.0, 2.0, 3.0]), initial=0)
    array([0. , 0.5, 2. , 4.5])
    """
    y, d, axis = _samples("cumulative_trapezoid", y, x, dx, axis)
    n = aval(y).shape[axis]
    ends = (fnp.take(y, np.arange(1, n), axis=axis)
            + fnp.take(y, np.arange(max(n - 1, 0)), axis=axis))
    out = fnp.cumsum(d * ends / 2.0, axis=axis)
    if initial is None:
        return out
    if np.ndim(initial) != 0 or initial != 0:
        raise ValueError("scipy.integrate.cumulative_trapezoid: initial must be None or 0 (as "
                         f"SciPy), got {initial!r}.")
    shape = list(aval(out).shape)
    shape[axis] = 1
    return fnp.concatenate([fnp.zeros(shape, aval(out).dtype), out], axis=axis)
