"""The chi-squared distribution (``jax.scipy.stats.chi2``): a gamma distribution with shape
``df / 2`` and scale 2. Density only."""

from __future__ import annotations

from typing import Any

import functrace.numpy as fnp
from functrace.scipy.stats import gamma
from functrace.scipy.stats._common import args

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The gamma log density with ``a = df / 2`` and twice the scale."""
    df, scale = args("chi2.logpdf", df, scale)
    return gamma.logpdf(x, 0.5 * df, loc, 2.0 * scale)


def pdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, df, loc, scale))


def cdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The gamma CDF with ``a = df / 2`` and twice the scale."""
    df, scale = args("chi2.cdf", df, scale)
    return gamma.cdf(x, 0.5 * df, loc, 2.0 * scale)


def sf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The gamma survival function with ``a = df / 2`` and twice the scale."""
    df, scale = args("chi2.sf", df, scale)
    return gamma.sf(x, 0.5 * df, loc, 2.0 * scale)


def logcdf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log cdf``."""
    return fnp.log(cdf(x, df, loc, scale))


def logsf(x: Any, df: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log sf``."""
    return fnp.log(sf(x, df, loc, scale))
