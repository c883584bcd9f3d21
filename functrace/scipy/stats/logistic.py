"""The logistic distribution (``jax.scipy.stats.logistic``)."""

from __future__ import annotations

from typing import Any

import functrace.numpy as fnp
from functrace.scipy.special import expit, logit
from functrace.scipy.stats._common import args, standardize

__all__ = ["cdf", "isf", "logpdf", "pdf", "ppf", "sf"]


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``-|z| - 2 log(1 + exp(-|z|)) - log(scale)`` (symmetric, so no overflow)."""
    z, log_scale = standardize("logistic.logpdf", x, loc, scale)
    a = fnp.abs(z)
    return -a - 2.0 * fnp.log1p(fnp.exp(-a)) - log_scale


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``expit(z)``."""
    z, _ = standardize("logistic.cdf", x, loc, scale)
    return expit(z)


def sf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``expit(-z)``."""
    z, _ = standardize("logistic.sf", x, loc, scale)
    return expit(-z)


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``loc + scale logit(q)``."""
    q, loc, scale = args("logistic.ppf", q, loc, scale)
    return loc + scale * logit(q)


def isf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``loc - scale logit(q)``."""
    q, loc, scale = args("logistic.isf", q, loc, scale)
    return loc - scale * logit(q)
