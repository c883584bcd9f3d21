"""The Bernoulli distribution (``jax.scipy.stats.bernoulli``): the mass function."""

from __future__ import annotations

from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.scipy.special import xlog1py, xlogy
from functrace.scipy.stats._common import args

__all__ = ["cdf", "logpmf", "pmf", "ppf"]


def logpmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """``k log p + (1 - k) log(1 - p)`` for ``k - loc`` in {0, 1}, else ``-inf``."""
    k, p, loc = args("bernoulli.logpmf", k, p, loc)
    k = k - loc
    log_prob = xlogy(k, p) + xlog1py(1.0 - k, -p)
    valid = fnp.logical_or(fnp.equal(k, 0.0), fnp.equal(k, 1.0))
    return fnp.where(valid, log_prob, -np.inf)


def pmf(k: Any, p: Any, loc: Any = 0) -> Any:
    """The mass, ``exp(logpmf)``."""
    return fnp.exp(logpmf(k, p, loc))


def cdf(k: Any, p: Any) -> Any:
    """``P(K <= k)``: 0 below 0, ``1 - p`` on ``[0, 1)``, 1 from 1 on."""
    k, p = args("bernoulli.cdf", k, p)
    return fnp.where(fnp.less(k, 0.0), 0.0, fnp.where(fnp.less(k, 1.0), 1.0 - p, 1.0))


def ppf(q: Any, p: Any) -> Any:
    """The smallest ``k`` with ``cdf(k) >= q``: 0 for ``q <= 1 - p``, else 1 (NaN outside
    ``[0, 1]``)."""
    q, p = args("bernoulli.ppf", q, p)
    inside = fnp.logical_and(fnp.greater_equal(q, 0.0), fnp.less_equal(q, 1.0))
    return fnp.where(inside, fnp.where(fnp.less_equal(q, 1.0 - p), 0.0, 1.0), np.nan)
