"""The exponential distribution (``jax.scipy.stats.expon``)."""

from __future__ import annotations

from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.scipy.stats._common import args, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``-z - log(scale)`` for ``z >= 0``, else ``-inf``."""
    z, log_scale = standardize("expon.logpdf", x, loc, scale)
    return fnp.where(fnp.less(z, 0.0), -np.inf, -z - log_scale)


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``1 - exp(-z)`` for ``z >= 0``, else 0."""
    z, _ = standardize("expon.cdf", x, loc, scale)
    return fnp.where(fnp.less(z, 0.0), 0.0, -fnp.expm1(-fnp.maximum(z, 0.0)))


def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log(1 - exp(-z))``."""
    return fnp.log(cdf(x, loc, scale))


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``exp(-z)`` for ``z >= 0``, else 1."""
    return fnp.exp(logsf(x, loc, scale))


def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``-z`` for ``z >= 0``, else 0."""
    z, _ = standardize("expon.logsf", x, loc, scale)
    return fnp.where(fnp.less(z, 0.0), 0.0, -z)


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``loc - scale log(1 - q)`` on ``[0, 1]``, else NaN."""
    q, loc, scale = args("expon.ppf", q, loc, scale)
    inside = fnp.logical_and(fnp.greater_equal(q, 0.0), fnp.less_equal(q, 1.0))
    return fnp.where(inside, loc - scale * fnp.log1p(-q), np.nan)
