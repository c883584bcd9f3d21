"""Student's t distribution (``jax.scipy.stats.t``, with SciPy's ``cdf``, ``sf``, ``logcdf``
and ``logsf`` besides)."""

from __future__ import annotations

import math
from typing import Any

import functrace.numpy as fnp
from functrace.primitives import special as sp
from functrace.scipy.stats._common import args, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log Gamma((df+1)/2) - log Gamma(df/2) - log(df pi)/2 - log(scale)
    - (df+1)/2 log(1 + z**2/df)``."""
    (df,) = args("t.logpdf", df)
    z, log_scale = standardize("t.logpdf", x, loc, scale)
    half = 0.5 * (df + 1.0)
    return (sp.lgamma(half) - sp.lgamma(0.5 * df) - 0.5 * fnp.log(df * math.pi) - log_scale
            - half * fnp.log1p(z * z / df))


def pdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, df, loc, scale))


def _tail(name: str, x: Any, df: Any, loc: Any, scale: Any) -> tuple[Any, Any]:
    """``z`` and the tail probability ``P(T > |z|) = I_w(df/2, 1/2) / 2``, ``w = df / (df +
    z**2)``, broadcast to the arguments' common shape."""
    (df,) = args(name, df)
    z, _ = standardize(name, x, loc, scale)
    df, z = fnp.broadcast_arrays(df, z)  # betainc's operands have one shape
    return z, 0.5 * sp.betainc(0.5 * df, fnp.full_like(z, 0.5), df / (df + z * z))


def cdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``P(T <= x)``: the tail below ``loc`` and one minus it above (differentiable in ``x``,
    ``loc`` and ``scale``; not in ``df``, whose derivative would need ``betainc``'s in its
    parameters)."""
    z, tail = _tail("t.cdf", x, df, loc, scale)
    return fnp.where(fnp.less(z, 0.0), tail, 1.0 - tail)


def sf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``P(T > x)`` = ``cdf`` at ``x`` reflected about ``loc``."""
    z, tail = _tail("t.sf", x, df, loc, scale)
    return fnp.where(fnp.less(z, 0.0), 1.0 - tail, tail)


def logcdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log cdf``: ``log(tail)`` below ``loc``, ``log1p(-tail)`` above (accurate in both
    tails)."""
    z, tail = _tail("t.logcdf", x, df, loc, scale)
    return fnp.where(fnp.less(z, 0.0), fnp.log(tail), fnp.log1p(-tail))


def logsf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log sf``, as :func:`logcdf` reflected."""
    z, tail = _tail("t.logsf", x, df, loc, scale)
    return fnp.where(fnp.less(z, 0.0), fnp.log1p(-tail), fnp.log(tail))
