"""The Laplace distribution (``jax.scipy.stats.laplace``)."""

from __future__ import annotations

import math
from typing import Any

import functrace.numpy as fnp
from functrace.scipy.stats._common import standardize

__all__ = ["cdf", "logpdf", "pdf"]


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``-|z| - log(2 scale)``."""
    z, log_scale = standardize("laplace.logpdf", x, loc, scale)
    return -fnp.abs(z) - log_scale - math.log(2.0)


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``exp(z) / 2`` below ``loc``, ``1 - exp(-z) / 2`` above."""
    z, _ = standardize("laplace.cdf", x, loc, scale)
    below = fnp.less(z, 0.0)
    half_tail = 0.5 * fnp.exp(-fnp.abs(z))
    return fnp.where(below, half_tail, 1.0 - half_tail)
