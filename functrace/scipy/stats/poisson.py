"""The Poisson distribution (``jax.scipy.stats.poisson``): the mass function."""

from __future__ import annotations

from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.primitives import special as sp
from functrace.scipy.special import xlogy
from functrace.scipy.stats._common import args

__all__ = ["cdf", "logpmf", "pmf"]


def logpmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``k log(mu) - log(k!) - mu`` for integer ``k - loc >= 0``, else ``-inf``."""
    k, mu, loc = args("poisson.logpmf", k, mu, loc)
    k = k - loc
    log_prob = xlogy(k, mu) - sp.lgamma(k + 1.0) - mu
    invalid = fnp.logical_or(fnp.less(k, 0.0), fnp.not_equal(k, fnp.floor(k)))
    return fnp.where(invalid, -np.inf, log_prob)


def pmf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """The mass, ``exp(logpmf)``."""
    return fnp.exp(logpmf(k, mu, loc))


def cdf(k: Any, mu: Any, loc: Any = 0) -> Any:
    """``P(K <= k) = Q(floor(k - loc) + 1, mu)``, 0 for ``k - loc < 0``."""
    k, mu, loc = args("poisson.cdf", k, mu, loc)
    k = k - loc
    below = fnp.less(k, 0.0)
    return fnp.where(below, 0.0, sp.igammac(fnp.floor(fnp.where(below, 0.0, k)) + 1.0, mu))
