"""The normal distribution (``jax.scipy.stats.norm``), with location ``loc`` and scale
``scale``. The tails use ``log_ndtr`` and ``ndtri``, so ``logcdf(-40)`` and ``ppf(1e-300)``
are accurate."""

from __future__ import annotations

import math
from typing import Any

import functrace.numpy as fnp
from functrace.primitives import special as sp
from functrace.scipy.stats._common import args, standardize

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``-z**2 / 2 - log(scale) - log(2 pi) / 2`` with ``z = (x - loc) / scale``."""
    z, log_scale = standardize("norm.logpdf", x, loc, scale)
    return -0.5 * z * z - log_scale - _HALF_LOG_2PI


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``P(X <= x)``, ``erfc(-z / sqrt 2) / 2``."""
    z, _ = standardize("norm.cdf", x, loc, scale)
    return 0.5 * sp.erfc(z * -math.sqrt(0.5))


def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log P(X <= x)``."""
    z, _ = standardize("norm.logcdf", x, loc, scale)
    return sp.log_ndtr(z)


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``P(X > x)``, accurate in the upper tail."""
    z, _ = standardize("norm.sf", x, loc, scale)
    return 0.5 * sp.erfc(z * math.sqrt(0.5))


def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log P(X > x)``."""
    z, _ = standardize("norm.logsf", x, loc, scale)
    return sp.log_ndtr(-z)


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The quantile function, the inverse of :func:`cdf`."""
    q, loc, scale = args("norm.ppf", q, loc, scale)
    return loc + scale * sp.ndtri(q)


def isf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The inverse of :func:`sf`."""
    q, loc, scale = args("norm.isf", q, loc, scale)
    return loc - scale * sp.ndtri(q)
