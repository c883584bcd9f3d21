"""The beta distribution (``jax.scipy.stats.beta``): density only."""

from __future__ import annotations

from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.primitives import special as sp
from functrace.scipy.special import betaln, xlog1py, xlogy
from functrace.scipy.stats._common import args, standardize

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def logpdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``(a-1) log z + (b-1) log(1-z) - log B(a, b) - log(scale)`` on ``[0, 1]``, else
    ``-inf``."""
    a, b = args("beta.logpdf", a, b)
    z, log_scale = standardize("beta.logpdf", x, loc, scale)
    outside = fnp.logical_or(fnp.less(z, 0.0), fnp.greater(z, 1.0))
    z = fnp.where(outside, 0.5, z)  # (no log of a negative number in the branch not taken)
    log_prob = xlogy(a - 1.0, z) + xlog1py(b - 1.0, -z) - betaln(a, b) - log_scale
    return fnp.where(outside, -np.inf, log_prob)


def pdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, a, b, loc, scale))


def cdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``I_z(a, b)``, the regularized incomplete beta function (0 below the support, 1 above)."""
    a, b = args("beta.cdf", a, b)
    z, _ = standardize("beta.cdf", x, loc, scale)
    below, above = fnp.less_equal(z, 0.0), fnp.greater_equal(z, 1.0)
    inside = fnp.where(fnp.logical_or(below, above), 0.5, z)
    return fnp.where(below, 0.0, fnp.where(above, 1.0, sp.betainc(a, b, inside)))


def sf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``1 - cdf`` as ``I_(1-z)(b, a)``, accurate in the upper tail."""
    a, b = args("beta.sf", a, b)
    z, _ = standardize("beta.sf", x, loc, scale)
    below, above = fnp.less_equal(z, 0.0), fnp.greater_equal(z, 1.0)
    inside = fnp.where(fnp.logical_or(below, above), 0.5, z)
    return fnp.where(below, 1.0, fnp.where(above, 0.0, sp.betainc(b, a, 1.0 - inside)))


def logcdf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log cdf``."""
    return fnp.log(cdf(x, a, b, loc, scale))


def logsf(x: Any, a: Any, b: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``log sf``."""
    return fnp.log(sf(x, a, b, loc, scale))
