"""The gamma distribution (``jax.scipy.stats.gamma``) with shape ``a``: density only."""

from __future__ import annotations

from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.primitives import special as sp
from functrace.scipy.special import xlogy
from functrace.scipy.stats._common import args, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``(a - 1) log z - z - log Gamma(a) - log(scale)`` for ``z >= 0``, else ``-inf``."""
    (a,) = args("gamma.logpdf", a)
    z, log_scale = standardize("gamma.logpdf", x, loc, scale)
    outside = fnp.less(z, 0.0)
    z = fnp.where(outside, 1.0, z)  # (no log of a negative number in the branch not taken)
    log_prob = xlogy(a - 1.0, z) - z - sp.lgamma(a) - log_scale
    return fnp.where(outside, -np.inf, log_prob)


def pdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, a, loc, scale))


def cdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``P(a, z)``, the regularized lower incomplete gamma function (0 for ``z <= 0``)."""
    (a,) = args("gamma.cdf", a)
    z, _ = standardize("gamma.cdf", x, loc, scale)
    outside = fnp.less_equal(z, 0.0)
    return fnp.where(outside, 0.0, sp.igamma(a, fnp.where(outside, 1.0, z)))


def sf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``Q(a, z) = 1 - P(a, z)``, accurate in the upper tail (1 for ``z <= 0``)."""
    (a,) = args("gamma.sf", a)
    z, _ = standardize("gamma.sf", x, loc, scale)
    outside = fnp.less_equal(z, 0.0)
    return fnp.where(outside, 1.0, sp.igammac(a, fnp.where(outside, 1.0, z)))


def logcdf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log P(a, z)``."""
    return fnp.log(cdf(x, a, loc, scale))


def logsf(x: Any, a: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log Q(a, z)``."""
    return fnp.log(sf(x, a, loc, scale))
