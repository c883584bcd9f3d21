"""The uniform distribution on ``[loc, loc + scale]`` (``jax.scipy.stats.uniform``)."""

from __future__ import annotations

from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.scipy.stats._common import args

__all__ = ["cdf", "logpdf", "pdf", "ppf"]


def logpdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``-log(scale)`` on ``[loc, loc + scale]``, else ``-inf``."""
    x, loc, scale = args("uniform.logpdf", x, loc, scale)
    inside = fnp.logical_and(fnp.greater_equal(x, loc), fnp.less_equal(x, loc + scale))
    return fnp.where(inside, -fnp.log(scale), -np.inf)


def pdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``(x - loc) / scale``, clipped to ``[0, 1]``."""
    x, loc, scale = args("uniform.cdf", x, loc, scale)
    return fnp.clip((x - loc) / scale, 0.0, 1.0)


def ppf(q: Any, loc: Any = 0, scale: Any = 1) -> Any:
    """``loc + q scale`` on ``[0, 1]``, else NaN."""
    q, loc, scale = args("uniform.ppf", q, loc, scale)
    inside = fnp.logical_and(fnp.greater_equal(q, 0.0), fnp.less_equal(q, 1.0))
    return fnp.where(inside, loc + q * scale, np.nan)
