"""``jax.experimental.ode``: :func:`odeint`, an adaptive Dormand--Prince 5(4) solver for
``dy/dt = func(y, t, *args)`` whose reverse-mode derivative is the adjoint method.

The solver is written with ``lax.while_loop`` and ``lax.scan``, so it runs eagerly and under
``jit`` and ``vmap``; its gradient is a ``custom_vjp`` that integrates the adjoint system
backwards in time with the same solver (so memory does not grow with the number of steps).
See docs/ode.md.

>>> import numpy as np
>>> from functrace.experimental.ode import odeint
>>> ys = odeint(lambda y, t, k: -k * y, 1.0, np.array([0.0, 1.0]), 2.0)
>>> round(float(ys[1]), 8), round(float(np.exp(-2.0)), 8)
(0.13533528, 0.13533528)
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace import lax
from functrace.api import closure_convert, vjp
from functrace.core import Tracer, get_aval
from functrace.custom_rules import custom_vjp
from functrace.tree_util import PyTreeDef, tree_flatten, tree_unflatten

__all__ = ["odeint"]

# A flat right-hand side: (state vector, time, *argument leaves) -> derivative vector.
FlatFun = Callable[..., Any]

# The Dormand--Prince 5(4) tableau (Hairer, Norsett & Wanner, Solving ODEs I, Table II.5.2):
# stage nodes, the stages' coefficients (the last row is the 5th-order solution, so the 7th
# stage is the derivative at the new point: "first same as last"), the difference between the
# 5th- and 4th-order weights (the error estimate), and the weights of the solution at the
# step's midpoint (Shampine's dense output), from which the 4th-order interpolant is fitted.
_NODES = (1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_STAGES = (
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_ERROR = (35 / 384 - 1951 / 21600, 0.0, 500 / 1113 - 22642 / 50085, 125 / 192 - 451 / 720,
          -2187 / 6784 + 12231 / 42400, 11 / 84 - 649 / 6300, -1 / 60)
_MID = (6025192743 / 30085553152 / 2, 0.0, 51252292925 / 65400821598 / 2,
        -2691868925 / 45128329728 / 2, 187940372067 / 1594534317056 / 2,
        -1776094331 / 19743644256 / 2, 11237099 / 235043384 / 2)

# Step-size control: h_new = h * clip(safety * err**(-1/5), shrink, grow), never growing after
# a rejected step (Hairer, Norsett & Wanner, Sec. II.4).
_SAFETY, _GROW, _SHRINK = 0.9, 10.0, 0.2


def odeint(func: Callable[..., Any], y0: Any, t: Any, *args: Any, rtol: float = 1.4e-8,
           atol: float = 1.4e-8, mxstep: float = np.inf, hmax: float = np.inf) -> Any:
    """Solve ``dy/dt = func(y, t, *args)`` from ``y(t[0]) = y0``, returning ``y`` at the times
    ``t``, as ``jax.experimental.ode.odeint``.

    Adaptive Dormand--Prince 5(4) steps, each accepted when the RMS of its error estimate
    relative to ``atol + rtol * |y|`` is at most 1; the outputs are read off the 4th-order
    interpolant of the step that covers each time.  Differentiable in reverse mode (``grad``,
    ``vjp``, ``jacrev``) with respect to ``y0``, ``t`` and every floating leaf of ``args`` by
    the adjoint method, and usable under ``jit`` and ``vmap``.

    Args:
      func: ``func(y, t, *args)`` returns ``dy/dt``, a pytree of the structure, shapes and
        dtypes of ``y``.  Values it closes over are treated as constants by the solver but
        are differentiated too (they are passed to the adjoint as extra arguments, as JAX's
        ``closure_convert`` does); passing them through ``args`` is clearer and cheaper.
      y0: the initial state, a pytree of floating (or complex) arrays.
      t: the output times, a 1-d floating array, nondecreasing; ``t[0]`` is the initial time.
      *args: extra arguments of ``func``: pytrees of arrays or scalars.
      rtol, atol: relative and absolute error tolerances of each step.
      mxstep: the most steps (accepted or rejected) between two output times; when it is
        reached the outputs from there on are NaN.
      hmax: the largest step.

    Returns:
      The solution at ``t``: ``y0``'s pytree with each leaf stacked along a new leading axis
      of length ``len(t)``.

    Raises:
      TypeError: an ``args`` leaf is not an array or scalar; ``t`` is not a floating array;
        ``y0`` has a non-floating leaf; ``func`` returns a different structure or shape.
      ValueError: ``t`` is not 1-d or empty, or (when known) decreases.

    >>> import numpy as np
    >>> import functrace as ft
    >>> def decay(k):
    ...     return odeint(lambda y, t, k: -k * y, 1.0, np.array([0.0, 2.0]), k)[1]
    >>> round(float(ft.grad(decay)(0.5)), 6), round(float(-2.0 * np.exp(-1.0)), 6)
    (-0.735759, -0.735759)
    """
    for leaf in tree_flatten(args)[0]:
        if not isinstance(leaf, (Tracer, np.ndarray, np.generic, bool, int, float, complex)):
            raise TypeError(f"odeint: the contents of *args must be arrays or scalars, but got "
                            f"{leaf!r} of type {type(leaf).__name__}; pass functions and other "
                            "static values by closing over them in func.")
    t = _check_times(t)
    y0_leaves, y_tree = tree_flatten(y0)
    y0_leaves = [x if isinstance(x, Tracer) else np.asarray(x) for x in y0_leaves]
    for x in y0_leaves:
        if get_aval(x).dtype.kind not in "fc":
            raise TypeError(f"odeint: y0 must have floating or complex leaves, got a leaf of "
                            f"dtype {get_aval(x).dtype}; convert it, e.g. y0 = "
                            "np.asarray(y0, float).")
    y0 = tree_unflatten(y_tree, y0_leaves)
    func, consts = closure_convert(func, y0, t[0], *args)
    arg_leaves, arg_tree = tree_flatten((*args, *consts))
    flat_y0, unravel, unravel_rows = _ravel(y0_leaves, y_tree)

    def flat_func(y: Any, t: Any, *leaves: Any) -> Any:
        dy = func(unravel(y), t, *tree_unflatten(arg_tree, leaves))
        dy_leaves, dy_tree = tree_flatten(dy)
        if dy_tree != y_tree or [get_aval(d).shape for d in dy_leaves] != [
                get_aval(x).shape for x in y0_leaves]:
            raise TypeError(
                f"odeint: func must return dy/dt with the structure and shapes of y, "
                f"{y_tree} {[get_aval(x).shape for x in y0_leaves]}, but it returned "
                f"{dy_tree} {[get_aval(d).shape for d in dy_leaves]}.")
        return _ravel(dy_leaves, y_tree, get_aval(flat_y0).dtype)[0]

    ys = _odeint(flat_func, float(rtol), float(atol), float(mxstep), float(hmax), flat_y0, t,
                 *arg_leaves)
    return unravel_rows(ys)


def _check_times(t: Any) -> Any:
    if not isinstance(t, Tracer):
        t = np.asarray(t)
    aval = get_aval(t)
    if aval.dtype.kind != "f":
        raise TypeError(f"odeint: t must be an array of floats, but got dtype {aval.dtype}.")
    if aval.ndim != 1 or aval.shape[0] == 0:
        raise ValueError(f"odeint: t must be a nonempty 1-d array of times, got shape "
                         f"{aval.shape}.")
    if not isinstance(t, Tracer) and np.any(np.diff(t) < 0):
        raise ValueError("odeint: the times t must be nondecreasing (the solver integrates "
                         "forwards from t[0]); to integrate backwards, substitute s = -t.")
    return t


def _ravel(leaves: Sequence[Any], tree: PyTreeDef, dtype: Any = None
           ) -> tuple[Any, Callable[[Any], Any], Callable[[Any], Any]]:
    """The leaves as one vector (of their common dtype, or ``dtype``), the inverse map, and
    the inverse map applied to each row of a stack of such vectors."""
    avals = [get_aval(x) for x in leaves]
    if dtype is None:
        dtype = np.result_type(*[a.dtype for a in avals])
    sizes = [int(np.prod(a.shape)) for a in avals]
    ends = np.cumsum([0, *sizes])
    flat = fnp.concatenate([fnp.ravel(x).astype(dtype) for x in leaves]) if leaves else (
        np.zeros(0, dtype))

    def unravel(v: Any) -> Any:
        return tree_unflatten(tree, [v[a:b].reshape(av.shape).astype(av.dtype) for a, b, av
                                     in zip(ends[:-1], ends[1:], avals, strict=True)])

    def unravel_rows(vs: Any) -> Any:
        n = get_aval(vs).shape[0]
        return tree_unflatten(tree, [vs[:, a:b].reshape((n, *av.shape)).astype(av.dtype)
                                     for a, b, av in zip(ends[:-1], ends[1:], avals,
                                                         strict=True)])

    return flat, unravel, unravel_rows


# ---------------------------------------------------------------------------------------------
# The solver, on a flat state vector


def _combine(coeffs: Sequence[float], ks: Sequence[Any]) -> Any:
    return functools.reduce(operator.add, [c * k for c, k in zip(coeffs, ks, strict=True)
                                                  if c != 0.0])


def _rms(x: Any) -> Any:
    return fnp.sqrt(fnp.mean(fnp.abs(x) ** 2))


def _initial_step(fun: Callable[[Any, Any], Any], t0: Any, y0: Any, f0: Any, rtol: float,
                  atol: float) -> Any:
    """Hairer, Norsett & Wanner's starting step (Solving ODEs I, Sec. II.4): the step whose
    Euler increment is 1% of the state, refined by an estimate of the second derivative, for
    an error estimator of order 4."""
    scale = atol + fnp.abs(y0) * rtol
    d0, d1 = _rms(y0 / scale), _rms(f0 / scale)
    tiny = (d0 < 1e-5) | (d1 < 1e-5)
    h0 = fnp.where(tiny, 1e-6, 0.01 * d0 / fnp.where(tiny, 1.0, d1))
    f1 = fun(y0 + h0.astype(get_aval(y0).dtype) * f0, t0 + h0.astype(get_aval(t0).dtype))
    d2 = _rms((f1 - f0) / scale) / h0
    dmax = fnp.maximum(d1, d2)
    flat = dmax <= 1e-15
    h1 = fnp.where(flat, fnp.maximum(1e-6, h0 * 1e-3),
                   (0.01 / fnp.where(flat, 1.0, dmax)) ** (1.0 / 5.0))
    return fnp.minimum(100.0 * h0, h1).astype(get_aval(t0).dtype)


def _dopri_step(fun: Callable[[Any, Any], Any], y0: Any, f0: Any, t0: Any, dt: Any
                ) -> tuple[Any, Any, Any, list[Any]]:
    """One Dormand--Prince step: the new state, its derivative, the error estimate, and the
    seven stages."""
    h = dt.astype(get_aval(y0).dtype)
    ks = [f0]
    y1 = y0
    for node, row in zip(_NODES, _STAGES, strict=True):
        y1 = y0 + h * _combine(row, ks)
        ks.append(fun(y1, t0 + node * dt))
    return y1, ks[-1], h * _combine(_ERROR, ks), ks


def _interpolant(y0: Any, y1: Any, ks: Sequence[Any], dt: Any) -> tuple[Any, ...]:
    """The coefficients, highest power first, of the quartic in s = (t - t0) / dt through
    y0, the midpoint estimate and y1 with slopes f0 and f1 at the ends."""
    h = dt.astype(get_aval(y0).dtype)
    y_mid = y0 + h * _combine(_MID, ks)
    dy0, dy1 = h * ks[0], h * ks[-1]
    a = -2.0 * dy0 + 2.0 * dy1 - 8.0 * y0 - 8.0 * y1 + 16.0 * y_mid
    b = 5.0 * dy0 - 3.0 * dy1 + 18.0 * y0 + 14.0 * y1 - 32.0 * y_mid
    c = -4.0 * dy0 + dy1 - 11.0 * y0 - 5.0 * y1 + 16.0 * y_mid
    return a, b, c, dy0, y0


def _polyval(coeffs: Sequence[Any], s: Any) -> Any:
    out = coeffs[0]
    for c in coeffs[1:]:
        out = out * s + c
    return out


def _error_ratio(err: Any, rtol: float, atol: float, y0: Any, y1: Any) -> Any:
    return _rms(err / (atol + rtol * fnp.maximum(fnp.abs(y0), fnp.abs(y1))))


def _next_step(dt: Any, ratio: Any) -> Any:
    shrink = fnp.where(ratio < 1.0, 1.0, _SHRINK)
    safe = fnp.where(ratio == 0.0, 1.0, ratio)
    factor = fnp.minimum(_GROW, fnp.maximum(_SAFETY * safe ** (-1.0 / 5.0), shrink))
    factor = fnp.where(ratio == 0.0, _GROW, factor)
    return dt * factor.astype(get_aval(dt).dtype)


def _solve(func: FlatFun, rtol: float, atol: float, mxstep: float, hmax: float, y0: Any,
           ts: Any, *args: Any) -> Any:
    """The states at the times ``ts``, stacked (a ``(len(ts), n)`` array)."""
    def fun(y: Any, t: Any) -> Any:
        return func(y, t, *args)

    t0 = ts[0]
    f0 = fun(y0, t0)
    dt = fnp.clip(_initial_step(fun, t0, y0, f0, rtol, atol), 0.0, hmax)
    zero = fnp.zeros_like(y0)
    # The carry: state, its derivative, time, next step, the last step's start and the
    # interpolant of the last step (a constant y0 before the first).
    init = (y0, f0, t0, dt, t0, (zero, zero, zero, zero, y0))

    def to_target(carry: Any, target: Any) -> tuple[Any, Any]:
        def cond_fun(state: Any) -> Any:
            i, _, _, t, dt, _, _ = state
            return (t < target) & (i < mxstep) & (dt > 0.0)

        def body_fun(state: Any) -> Any:
            i, y, f, t, dt, last_t, interp = state
            y1, f1, err, ks = _dopri_step(fun, y, f, t, dt)
            ratio = _error_ratio(err, rtol, atol, y, y1)
            dt_next = fnp.clip(_next_step(dt, ratio), 0.0, hmax)
            accepted = (i + 1, y1, f1, t + dt, dt_next, t, _interpolant(y, y1, ks, dt))
            rejected = (i + 1, y, f, t, dt_next, last_t, interp)
            leaves, tree = tree_flatten(accepted)
            return tree_unflatten(tree, [fnp.where(ratio <= 1.0, a, r) for a, r in zip(
                leaves, tree_flatten(rejected)[0], strict=True)])

        _, *state = lax.while_loop(cond_fun, body_fun, (np.int64(0), *carry))
        y, f, t, dt, last_t, interp = state
        span = t - last_t
        # Where no step was taken (a repeated t[0]) the interpolant is the constant y0.
        s = fnp.where(span > 0.0, (target - last_t) / fnp.where(span > 0.0, span, 1.0), 0.0)
        y_target = _polyval(interp, s.astype(get_aval(y).dtype))
        # Stopped short (mxstep reached, or the step underflowed): no value, rather than a
        # wrong one.
        y_target = fnp.where(t >= target, y_target, np.nan)
        return (y, f, t, dt, last_t, interp), y_target

    _, ys = lax.scan(to_target, init, ts[1:])
    return fnp.concatenate([y0[None], ys])


# ---------------------------------------------------------------------------------------------
# Reverse mode: the adjoint method


@functools.partial(custom_vjp, nondiff_argnums=(0, 1, 2, 3, 4))
def _odeint(func: FlatFun, rtol: float, atol: float, mxstep: float, hmax: float, y0: Any,
            ts: Any, *args: Any) -> Any:
    return _solve(func, rtol, atol, mxstep, hmax, y0, ts, *args)


def _odeint_fwd(func: FlatFun, rtol: float, atol: float, mxstep: float, hmax: float, y0: Any,
                ts: Any, *args: Any) -> tuple[Any, Any]:
    ys = _solve(func, rtol, atol, mxstep, hmax, y0, ts, *args)
    return ys, (ys, ts, args)


def _is_inexact(x: Any) -> bool:
    return get_aval(x).dtype.kind in "fc"


def _odeint_bwd(func: FlatFun, rtol: float, atol: float, mxstep: float, hmax: float,
                res: Any, g: Any) -> tuple[Any, ...]:
    """The adjoint method: between consecutive output times, from the last backwards, solve

        dy/ds = -f,  d y_bar/ds = y_bar . df/dy,  d t0_bar/ds = y_bar . df/dt,
        d args_bar/ds = y_bar . df/dargs

    in reversed time s = -t, starting from the forward solution and the output cotangent,
    and add each output time's cotangent on arrival.  Moving output time t_i moves y(t_i)
    by f(y_i, t_i), hence t_bar_i = g_i . f(y_i, t_i)."""
    ys, ts, args = res
    diff = [i for i, a in enumerate(args) if _is_inexact(a)]

    def aug_dynamics(state: Any, neg_t: Any, *args: Any) -> Any:
        y, y_bar, _, _ = state

        def f_diff(y: Any, t: Any, *diff_args: Any) -> Any:
            full = list(args)
            for i, a in zip(diff, diff_args, strict=True):
                full[i] = a
            return func(y, t, *full)

        y_dot, pullback = vjp(f_diff, y, -neg_t, *[args[i] for i in diff])
        y_ct, t_ct, *args_ct = pullback(y_bar)
        return -y_dot, y_ct, t_ct, args_ct

    def step_back(carry: Any, x: Any) -> tuple[Any, Any]:
        y_bar, t0_bar, args_bar = carry
        y_i, t_i, t_prev, g_i, g_prev = x
        t_bar = fnp.real(fnp.sum(func(y_i, t_i, *args) * g_i)).astype(get_aval(ts).dtype)
        t0_bar = t0_bar - t_bar
        _, y_bar, t0_bar, args_bar = odeint(
            aug_dynamics, (y_i, y_bar, t0_bar, args_bar), fnp.stack([-t_i, -t_prev]), *args,
            rtol=rtol, atol=atol, mxstep=mxstep, hmax=hmax)
        y_bar, t0_bar = y_bar[1] + g_prev, t0_bar[1]
        return (y_bar, t0_bar, [a[1] for a in args_bar]), t_bar

    init = (g[-1], fnp.zeros((), get_aval(ts).dtype), [fnp.zeros_like(args[i]) for i in diff])
    # From the last output interval back to the first.
    (y_bar, t0_bar, args_bar), ts_bar = lax.scan(
        step_back, init, (ys[1:], ts[1:], ts[:-1], g[1:], g[:-1]), reverse=True)
    ts_bar = fnp.concatenate([t0_bar[None], ts_bar])
    args_cts: list[Any] = [None] * len(args)
    for i, a in zip(diff, args_bar, strict=True):
        args_cts[i] = a
    return (y_bar, ts_bar, *args_cts)


_odeint.defvjp(_odeint_fwd, _odeint_bwd)
