"""Student's t distribution (``jax.scipy.stats.t``): density only."""

from __future__ import annotations

import math
from typing import Any

import functrace.numpy as fnp
from functrace.primitives import special as sp
from functrace.scipy.stats._common import args, standardize

__all__ = ["cdf", "logpdf", "pdf"]


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


def cdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``P(T <= x)``: with ``w = df / (df + z**2)``, the tail ``I_w(df/2, 1/2) / 2`` below
    ``loc`` and one minus it above (differentiable in ``x``, ``loc`` and ``scale``; not in
    ``df``, whose derivative would need ``betainc``'s in its parameters)."""
    (df,) = args("t.cdf", df)
    z, _ = standardize("t.cdf", x, loc, scale)
    tail = 0.5 * sp.betainc(0.5 * df, fnp.full_like(z, 0.5), df / (df + z * z))
    return fnp.where(fnp.less(z, 0.0), tail, 1.0 - tail)
