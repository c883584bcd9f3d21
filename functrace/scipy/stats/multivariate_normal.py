"""The multivariate normal distribution (``jax.scipy.stats.multivariate_normal``): density
only. ``x`` is ``(..., d)``, ``mean`` a ``d``-vector (or a batch of them) and ``cov`` a
``(d, d)`` symmetric positive definite matrix (or a batch), of which the symmetric part is
used (so its gradient is symmetric, as JAX's); a scalar ``mean`` and ``cov`` give the
univariate density. The log density goes through the Cholesky factor ``L`` of ``cov``:
``-|L^-1 (x - mean)|**2 / 2 - sum(log diag L) - d log(2 pi) / 2``."""

from __future__ import annotations

import math
from typing import Any

import functrace.numpy as fnp
from functrace.numpy._base import aval
from functrace.scipy.stats._common import args

__all__ = ["logpdf", "pdf"]


def logpdf(x: Any, mean: Any, cov: Any, allow_singular: bool | None = None) -> Any:
    """The log density at ``x`` (see the module's docstring)."""
    if allow_singular:
        raise NotImplementedError("multivariate_normal.logpdf: allow_singular=True is not "
                                  "supported (as in JAX).")
    x, mean, cov = (fnp.asarray(v) for v in (x, mean, cov))
    if not aval(mean).shape:
        x, mean, cov = args("multivariate_normal.logpdf", x, mean, cov)
        diff = x - mean
        return -0.5 * diff * diff / cov - 0.5 * (math.log(2 * math.pi) + fnp.log(cov))
    if aval(cov).ndim < 2:
        raise ValueError("multivariate_normal.logpdf: cov must be a (d, d) matrix (or a batch "
                         f"of them) when mean is a vector, got shape {aval(cov).shape}.")
    d = aval(mean).shape[-1]
    if aval(cov).shape[-2:] != (d, d) or aval(x).shape[-1:] != (d,):
        raise ValueError(f"multivariate_normal.logpdf: x {aval(x).shape}, mean "
                         f"{aval(mean).shape} and cov {aval(cov).shape} do not agree on the "
                         "dimension d.")
    dtype = fnp.result_type(x, mean, cov, 0.0)
    x, mean, cov = (fnp.asarray(v, dtype=dtype) for v in (x, mean, cov))
    # The symmetric part of cov, as JAX's cholesky takes: the gradient with respect to cov is
    # then symmetric (cholesky alone reads only the lower triangle).
    chol = fnp.linalg.cholesky(0.5 * (cov + fnp.swapaxes(cov, -1, -2)))
    y = fnp.linalg.solve(chol, fnp.expand_dims(x - mean, -1))[..., 0]
    log_det_half = fnp.sum(fnp.log(fnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * fnp.sum(y * y, axis=-1) - log_det_half - 0.5 * d * math.log(2 * math.pi)


def pdf(x: Any, mean: Any, cov: Any, allow_singular: bool | None = None) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, mean, cov, allow_singular))
