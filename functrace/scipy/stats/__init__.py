"""``jax.scipy.stats``: probability distributions as modules of functions on traced or
concrete arrays (``norm.logpdf(x, loc, scale)``...), each differentiable in every argument
where the function is."""

from functrace.scipy.stats import (
    bernoulli,
    beta,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    laplace,
    logistic,
    multivariate_normal,
    norm,
    poisson,
    t,
    uniform,
)

__all__ = ["bernoulli", "beta", "cauchy", "chi2", "dirichlet", "expon", "gamma", "laplace",
           "logistic", "multivariate_normal", "norm", "poisson", "t", "uniform"]
