"""``jax.scipy.integrate`` / ``scipy.integrate``: the trapezoidal rule on sampled values, on
traced or concrete arrays (differentiable in ``y``, ``x`` and ``dx``, under every
transformation), and ``odeint`` with SciPy's calling convention on the solver of
:mod:`functrace.experimental.ode` (differentiable in reverse mode, as autograd's).

>>> import numpy as np
>>> from functrace.scipy import integrate
>>> float(integrate.trapezoid(np.array([0.0, 1.0, 4.0]), dx=0.5))   # x**2 on [0, 1]
1.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.core import Tracer
from functrace.experimental import ode
from functrace.numpy._base import as_operand, aval
from functrace.scipy._inexact import inexact

__all__ = ["cumulative_trapezoid", "odeint", "trapezoid"]


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


# SciPy's (LSODA's) default tolerances.
_SCIPY_TOL = 1.49012e-8


def odeint(func: Callable[..., Any], y0: Any, t: Any, args: tuple[Any, ...] = (),
           Dfun: Any = None, col_deriv: int = 0, full_output: int = 0, ml: Any = None,  # noqa: N803
           mu: Any = None, rtol: float | None = None, atol: float | None = None,
           tcrit: Any = None, h0: float = 0.0, hmax: float = 0.0, hmin: float = 0.0,
           ixpr: int = 0, mxstep: int = 0, mxhnil: int = 0, mxordn: int = 12, mxords: int = 5,
           printmessg: int = 0, tfirst: bool = False) -> Any:
    """``scipy.integrate.odeint`` (and autograd's differentiable version of it): the solution
    of ``dy/dt = func(y, t, *args)`` at the times ``t``, an array of shape
    ``(len(t), len(y0))``.

    The solver is :func:`functrace.experimental.ode.odeint`'s adaptive Dormand--Prince 5(4),
    not LSODA: results agree with SciPy's to the tolerances, stiff problems take many small
    steps.  Differentiable in reverse mode (``grad``, ``vjp``, ``jacrev``) with respect to
    ``y0``, ``t`` and ``args`` by the adjoint method; runs under ``jit`` and ``vmap``.

    Args:
      func: ``func(y, t, *args)`` (``func(t, y, *args)`` with ``tfirst=True``) returns
        ``dy/dt``, an array (or a list of scalars) of ``y``'s shape.
      y0: the initial state, a 1-d array (a scalar is a state of length 1, as SciPy; n-d
        states are accepted too).  Integers become float64; float32 stays float32.
      t: the output times, monotonically increasing or decreasing (repeats allowed), with
        ``t[0]`` the initial time.
      args: a tuple of extra arguments of ``func``.
      rtol, atol: scalar error tolerances (``None``: SciPy's 1.49012e-8).
      hmax: the largest step (0: unbounded).
      mxstep: the most steps per output interval (0: unbounded); past it the outputs are NaN.
      tfirst: ``func`` takes the time first.
      Dfun, col_deriv, ml, mu, ixpr, mxhnil, mxordn, mxords, printmessg: LSODA's Jacobian and
        method settings, accepted and ignored (an explicit method needs no Jacobian).

    Raises:
      TypeError: ``args`` is not a tuple.
      ValueError: ``t`` is not monotonic (when known).
      NotImplementedError: ``full_output``, ``tcrit``, ``h0`` or ``hmin`` is set.

    >>> import numpy as np
    >>> ys = odeint(lambda y, t: [y[1], -y[0]], [1.0, 0.0], np.array([0.0, np.pi]))
    >>> np.round(ys, 6) + 0.0
    array([[ 1.,  0.],
           [-1.,  0.]])
    """
    del Dfun, col_deriv, ml, mu, ixpr, mxhnil, mxordn, mxords, printmessg
    if not isinstance(args, tuple):
        raise TypeError(f"scipy.integrate.odeint: extra arguments must be in a tuple, got "
                        f"args={args!r}; write args=({args!r},).")
    for name, value, default in (("full_output", full_output, 0), ("tcrit", tcrit, None),
                                 ("h0", h0, 0.0), ("hmin", hmin, 0.0)):
        if value is not default and value != default:
            raise NotImplementedError(f"scipy.integrate.odeint: {name}={value!r} is not "
                                      "supported (LSODA's option; the solver here is "
                                      "Dormand-Prince).")
    (y0,) = inexact(y0)
    if aval(y0).ndim == 0:
        y0 = fnp.reshape(y0, (1,))
    (t,) = inexact(t)
    if aval(t).ndim != 1 or aval(t).shape[0] == 0:
        raise ValueError(f"scipy.integrate.odeint: t must be a nonempty 1-d array, got shape "
                         f"{aval(t).shape}.")
    if not isinstance(t, Tracer):
        steps = np.diff(t)
        if np.any(steps < 0) and np.any(steps > 0):
            raise ValueError("scipy.integrate.odeint: the values in t must be monotonically "
                             "increasing or monotonically decreasing; repeated values are "
                             "allowed.")
    # Decreasing times: solve in s = -t, where they increase.  `direction` is +-1, a traced
    # value under jit, so one program covers both.
    direction = fnp.where(t[-1] < t[0], -1.0, 1.0).astype(aval(t).dtype)

    def rhs(y: Any, s: Any, direction: Any, *args: Any) -> Any:
        tt = direction * s
        dy = func(tt, y, *args) if tfirst else func(y, tt, *args)
        dy = fnp.asarray(dy).astype(aval(y).dtype)
        return direction.astype(aval(y).dtype) * fnp.reshape(dy, aval(y).shape)

    return ode.odeint(rhs, y0, direction * t, direction, *args,
                      rtol=_SCIPY_TOL if rtol is None else rtol,
                      atol=_SCIPY_TOL if atol is None else atol,
                      mxstep=mxstep if mxstep > 0 else np.inf,
                      hmax=hmax if hmax > 0 else np.inf)
