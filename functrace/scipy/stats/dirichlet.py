"""The Dirichlet distribution (``jax.scipy.stats.dirichlet``). ``x``'s first axis holds the
``K`` components (or ``K - 1``, the last being ``1 - sum``); ``alpha`` is a ``K``-vector."""

from __future__ import annotations

from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.numpy._base import aval
from functrace.primitives import special as sp
from functrace.scipy.special import xlogy

__all__ = ["logpdf", "pdf"]


def logpdf(x: Any, alpha: Any) -> Any:
    """``sum((alpha - 1) log x) - log B(alpha)`` on the simplex (entries positive, summing to
    1 within 1e-6), else ``-inf``."""
    x, alpha = _operands(x, alpha)
    k = aval(alpha).shape[0]
    if aval(x).shape[0] == k - 1:
        x = fnp.concatenate([x, 1.0 - fnp.sum(x, axis=0, keepdims=True)], axis=0)
    normalizer = fnp.sum(sp.lgamma(alpha)) - sp.lgamma(fnp.sum(alpha))
    if aval(x).ndim > 1:
        alpha = fnp.reshape(alpha, (k,) + (1,) * (aval(x).ndim - 1))
    log_prob = fnp.sum(xlogy(alpha - 1.0, x), axis=0) - normalizer
    simplex = fnp.logical_and(fnp.all(fnp.greater(x, 0.0), axis=0),
                              fnp.less(fnp.abs(fnp.sum(x, axis=0) - 1.0), 1e-6))
    return fnp.where(simplex, log_prob, -np.inf)


def _operands(x: Any, alpha: Any) -> tuple[Any, Any]:
    """``x`` and ``alpha`` at their common floating dtype, with the shapes checked."""
    x, alpha = fnp.asarray(x), fnp.asarray(alpha)
    if aval(alpha).ndim != 1:
        raise ValueError(f"dirichlet: alpha must be one-dimensional, got shape "
                         f"{aval(alpha).shape}.")
    k = aval(alpha).shape[0]
    if aval(x).ndim == 0 or aval(x).shape[0] not in (k, k - 1):
        raise ValueError(f"dirichlet: x's first axis must have {k} (or {k - 1}) entries, as "
                         f"alpha has, got x of shape {aval(x).shape}.")
    dtype = np.result_type(aval(x).dtype, aval(alpha).dtype)
    if dtype.kind == "c":
        raise TypeError(f"dirichlet: expected real arguments, got {dtype}.")
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    return fnp.asarray(x, dtype=dtype), fnp.asarray(alpha, dtype=dtype)


def pdf(x: Any, alpha: Any) -> Any:
    """The density, ``exp(logpdf)``."""
    return fnp.exp(logpdf(x, alpha))
