"""The Cauchy distribution (``jax.scipy.stats.cauchy``)."""

from __future__ import annotations

import math
from typing import Any

import functrace.numpy as fnp
from functrace.scipy.stats._common import args, standardize

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``-log(pi) - log(scale) - log(1 + z**2)``."""
    z, log_scale = standardize("cauchy.logpdf", x, loc, scale)
    return -math.log(math.pi) - log_scale - fnp.log1p(z * z)


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``1/2 + arctan(z) / pi``."""
    z, _ = standardize("cauchy.cdf", x, loc, scale)
    return 0.5 + fnp.arctan(z) / math.pi


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``1/2 - arctan(z) / pi``."""
    z, _ = standardize("cauchy.sf", x, loc, scale)
    return 0.5 - fnp.arctan(z) / math.pi


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``loc + scale tan(pi (q - 1/2))``."""
    q, loc, scale = args("cauchy.ppf", q, loc, scale)
    return loc + scale * fnp.tan(math.pi * (q - 0.5))


def isf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``loc - scale tan(pi (q - 1/2))``."""
    q, loc, scale = args("cauchy.isf", q, loc, scale)
    return loc - scale * fnp.tan(math.pi * (q - 0.5))


def logcdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log cdf``."""
    return fnp.log(cdf(x, loc, scale))


def logsf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log sf``."""
    return fnp.log(sf(x, loc, scale))
