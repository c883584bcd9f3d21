"""autograd's tests/test_scipy.py, ported to functrace.scipy (stats, special, signal,
integrate, linalg).

autograd checks these in reverse mode only ("fwd mode not yet implemented for scipy
functions"); functrace has both, so rows use both modes, to second order as autograd's
``combo_check`` does, unless they say otherwise.  Each row crosses every value autograd lists.

Left out, with no functrace (nor jax.scipy) equivalent: autograd's own ``convolve`` signature
(``axes=``/``dot_axes=`` arguments: ``test_convolve_generalization``, ``test_convolve_ignore``,
``test_convolve_ignore_dot``), ``multivariate_normal.entropy`` and ``linalg.solve_banded``.
``erf``/``erfc`` of complex arguments are refused with a ``TypeError`` (as JAX's), where
autograd differentiates them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
from autograd_port import combo_check, transform, unary_ufunc_check

import functrace.numpy as fnp
import functrace.scipy.linalg as spla
import functrace.scipy.signal as signal
from functrace.scipy import integrate, special, stats

rng = np.random.default_rng(1)
mvn = stats.multivariate_normal


def R(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def U(lo: float, hi: float, shape: Any = ()) -> Any:
    return rng.uniform(lo, hi, shape)


def symmetrized(fun: Callable[..., Any], argnum: int) -> Callable[..., Any]:
    """``fun`` with argument ``argnum`` replaced by its symmetric part (a covariance)."""
    def sym_fun(*args: Any, **kwargs: Any) -> Any:
        args_list = list(args)
        X = args_list[argnum]
        args_list[argnum] = 0.5 * (X + fnp.swapaxes(X, -1, -2)) if fnp.ndim(X) > 1 else X
        return fun(*args_list, **kwargs)

    return sym_fun


def make_psd(mat: np.ndarray) -> np.ndarray:
    return mat.T @ mat + np.eye(mat.shape[0])


def _pos(*shape: int) -> np.ndarray:
    return R(*shape) ** 2 + 1.1


def _pos2(*shape: int) -> np.ndarray:
    return R(*shape) ** 2 + 2.1


def _mvn_sing_cov() -> None:
    # autograd differentiates the density of a singular covariance (allow_singular=True);
    # functrace, as JAX, refuses it.
    x, cov = np.concatenate((R(2), np.zeros(2))), np.diag([1.0, 1.0, 0.0, 0.0])
    for f in (mvn.pdf, mvn.logpdf):
        with pytest.raises(NotImplementedError, match="allow_singular"):
            f(x, x, cov, allow_singular=True)
_ALPHA = rng.random(4) ** 2 + 1.2
_DIRICHLET_X = rng.dirichlet(_ALPHA)


def _normalize(x: Any) -> Any:
    # central differences must stay on the simplex: the pdf sees x / sum(x)
    return x / fnp.sum(x)


def _ode_func(y: Any, t: Any, arg1: Any, arg2: Any) -> Any:
    return -fnp.sqrt(t) - y + arg1 - fnp.mean((y + arg2) ** 2)


def _odeint(y0: Any, t: Any, arg1: Any, arg2: Any) -> Any:
    return integrate.odeint(_ode_func, y0, t, (arg1, arg2), rtol=1e-10, atol=1e-10)


unary = partial(unary_ufunc_check, rng=rng, test_complex=False)
NORM = stats.norm

SCIPY: dict[str, Callable[[], Any]] = {
    # stats
    "chi2_pdf": lambda: combo_check(stats.chi2.pdf, [0], [_pos(4)], [1, 2, 3]),
    "chi2_cdf": lambda: combo_check(stats.chi2.cdf, [0], [_pos(4)], [1, 2, 3]),
    "chi2_logpdf": lambda: combo_check(stats.chi2.logpdf, [0], [_pos(4)], [1, 2, 3]),
    "beta_cdf": lambda: combo_check(stats.beta.cdf, [0], [U(0.0, 1.0, 4)], [_pos(4)],
                                    [_pos(4)]),
    "beta_pdf": lambda: combo_check(stats.beta.pdf, [0, 1, 2], [U(0.0, 1.0, 4)], [_pos(4)],
                                    [_pos(4)]),
    "beta_logpdf": lambda: combo_check(stats.beta.logpdf, [0, 1, 2], [U(0.0, 1.0, 4)],
                                       [_pos(4)], [_pos(4)]),
    "gamma_cdf": lambda: combo_check(stats.gamma.cdf, [0], [_pos(4)], [_pos(4)]),
    "gamma_pdf": lambda: combo_check(stats.gamma.pdf, [0, 1], [_pos(4)], [_pos(4)]),
    "gamma_logpdf": lambda: combo_check(stats.gamma.logpdf, [0, 1], [_pos(4)], [_pos(4)]),
    **{f"norm_{f}": partial(lambda f: combo_check(getattr(NORM, f), [0, 1, 2], [R(4)], [R(4)],
                                                  [_pos(4)]), f)
       for f in ("pdf", "cdf", "sf", "logpdf", "logcdf", "logsf")},
    **{f"norm_{f}": partial(lambda f: combo_check(getattr(NORM, f), [0, 1, 2],
                                                  [U(0.05, 0.95, 4)], [R(4)], [_pos(4)]), f)
       for f in ("ppf", "isf")},
    **{f"norm_{f}_broadcast": partial(lambda f: combo_check(
        getattr(NORM, f), [0, 1, 2], [R(4, 3)], [R(1, 3)], [_pos(4, 1)]), f)
       for f in ("pdf", "cdf", "sf", "logpdf", "logcdf", "logsf")},
    **{f"norm_{f}_broadcast": partial(lambda f: combo_check(
        getattr(NORM, f), [0, 1, 2], [U(0.05, 0.95, (4, 3))], [R(1, 3)], [_pos(4, 1)]), f)
       for f in ("ppf", "isf")},
    **{f"poisson_{f}": partial(lambda f: combo_check(
        getattr(stats.poisson, f), [1], [np.round(R(4) ** 2)], [_pos(4)]), f)
       for f in ("cdf", "logpmf", "pmf")},
    **{f"poisson_{f}_broadcast": partial(lambda f: combo_check(
        getattr(stats.poisson, f), [1], [np.round(R(4, 3) ** 2)], [_pos(4, 1)]), f)
       for f in ("cdf", "logpmf", "pmf")},
    "t_pdf": lambda: combo_check(stats.t.pdf, [0, 1, 2, 3], [R(4)], [_pos2(4)], [R(4)],
                                 [_pos2(4)]),
    "t_cdf": lambda: combo_check(stats.t.cdf, [0, 2], [R(4)], [_pos2(4)], [R(4)], [_pos2(4)]),
    "t_logpdf": lambda: combo_check(stats.t.logpdf, [0, 1, 2, 3], [R(4)], [_pos2(4)], [R(4)],
                                    [_pos2(4)]),
    "t_logcdf": lambda: combo_check(stats.t.logcdf, [0, 2], [R(4)], [_pos2(4)], [R(4)],
                                    [_pos2(4)]),
    "t_pdf_broadcast": lambda: combo_check(stats.t.pdf, [0, 1, 2, 3], [R(4, 3)], [_pos2(1, 3)],
                                           [R(4, 3)], [_pos2(4, 1)]),
    "t_cdf_broadcast": lambda: combo_check(stats.t.cdf, [0, 2], [R(4, 3)], [_pos2(1, 3)],
                                           [R(4, 3)], [_pos2(4, 1)]),
    "t_logpdf_broadcast": lambda: combo_check(stats.t.logpdf, [0, 1, 2, 3], [R(4, 3)],
                                              [_pos2(1, 3)], [R(4, 3)], [_pos2(4, 1)]),
    "t_logcdf_broadcast": lambda: combo_check(stats.t.logcdf, [0, 2], [R(4, 3)], [_pos2(1, 3)],
                                              [R(4, 3)], [_pos2(4, 1)]),
    "mvn_pdf": lambda: combo_check(symmetrized(mvn.pdf, 2), [0, 1, 2], [R(4)], [R(4)],
                                   [make_psd(R(4, 4))], allow_singular=[False]),
    "mvn_logpdf": lambda: combo_check(symmetrized(mvn.logpdf, 2), [0, 1, 2], [R(4)], [R(4)],
                                      [make_psd(R(4, 4))], allow_singular=[False]),
    "mvn_sing_cov": lambda: _mvn_sing_cov(),
    "mvn_pdf_broadcast": lambda: combo_check(symmetrized(mvn.pdf, 2), [0, 1, 2], [R(5, 4)],
                                             [R(4)], [make_psd(R(4, 4))]),
    "mvn_logpdf_broadcast": lambda: combo_check(symmetrized(mvn.logpdf, 2), [0, 1, 2],
                                                [R(5, 4)], [R(4)], [make_psd(R(4, 4))]),
    "dirichlet_pdf_x": lambda: combo_check(lambda x, a: stats.dirichlet.pdf(_normalize(x), a),
                                           [0], [_DIRICHLET_X], [_ALPHA]),
    "dirichlet_pdf_alpha": lambda: combo_check(stats.dirichlet.pdf, [1], [_DIRICHLET_X],
                                               [_ALPHA]),
    "dirichlet_logpdf_x": lambda: combo_check(
        lambda x, a: stats.dirichlet.logpdf(_normalize(x), a), [0], [_DIRICHLET_X], [_ALPHA]),
    "dirichlet_logpdf_alpha": lambda: combo_check(stats.dirichlet.logpdf, [1], [_DIRICHLET_X],
                                                  [_ALPHA]),
    # misc
    "logsumexp1": lambda: combo_check(special.logsumexp, [0], [np.array([1.1]), R(4), R(3, 4)],
                                      axis=[None, 0], keepdims=[True, False]),
    "logsumexp2": lambda: combo_check(special.logsumexp, [0], [R(3, 4), R(4, 5, 6), R(1, 5)],
                                      axis=[None, 0, 1], keepdims=[True, False]),
    "logsumexp3": lambda: combo_check(special.logsumexp, [0], [R(4)], b=[np.exp(R(4))],
                                      axis=[None, 0], keepdims=[True, False]),
    "logsumexp4": lambda: combo_check(special.logsumexp, [0], [R(3, 4)], b=[np.exp(R(3, 4))],
                                      axis=[None, 0, 1], keepdims=[True, False]),
    "logsumexp5": lambda: combo_check(special.logsumexp, [0], [R(2, 3, 4)],
                                      b=[np.exp(R(2, 3, 4))], axis=[None, 0, 1],
                                      keepdims=[True, False]),
    "logsumexp6": lambda: combo_check(
        lambda a: special.logsumexp(a, axis=1, keepdims=True), [0], [R(1, 5)], order=3),
    # signal
    "convolve": lambda: combo_check(signal.convolve, [0, 1], [R(4), R(5), R(6)],
                                    [R(2), R(3), R(4)], mode=["full", "valid", "same"]),
    # (sampled: autograd crosses 3 first and 4 second operands, 36 combinations with the
    # modes; here each second operand meets one first operand, 12 combinations)
    "convolve_2d": lambda: [combo_check(signal.convolve, [0, 1], [a], [b],
                                        mode=["full", "valid", "same"])
                            for a, b in zip([R(4, 3), R(5, 4), R(6, 7), R(4, 3)],
                                            [R(2, 2), R(3, 2), R(4, 2), R(4, 1)],
                                            strict=True)],
    # special
    "beta": lambda: combo_check(special.beta, [0, 1], [_pos(4)], [_pos(4)]),
    "betainc": lambda: combo_check(special.betainc, [2], [_pos(4)], [_pos(4)],
                                   [U(0.0, 1.0, 4)]),
    "betaln": lambda: combo_check(special.betaln, [0, 1], [_pos(4)], [_pos(4)]),
    # (autograd passes the array itself as the value list: each entry is one scalar point;
    # jn and yn, slow, are sampled at 2 of the 4)
    "gammainc": lambda: combo_check(special.gammainc, [1], [1], R(4) ** 2 + 1.3),
    "gammaincc": lambda: combo_check(special.gammaincc, [1], [1], R(4) ** 2 + 1.3),
    "polygamma": lambda: combo_check(special.polygamma, [1], [0], R(4) ** 2 + 1.3),
    "jn": lambda: combo_check(special.jn, [1], [2], R(2) ** 2 + 1.3),
    "yn": lambda: combo_check(special.yn, [1], [2], R(2) ** 2 + 1.3),
    "psi": lambda: unary(special.psi, lims=[0.3, 2.0]),
    "digamma": lambda: unary(special.digamma, lims=[0.3, 2.0]),
    "gamma": lambda: unary(special.gamma, lims=[0.3, 2.0]),
    "gammaln": lambda: unary(special.gammaln, lims=[0.3, 2.0]),
    "gammasgn": lambda: unary(special.gammasgn, lims=[0.3, 2.0]),
    "rgamma": lambda: unary(special.rgamma, lims=[0.3, 2.0]),
    "multigammaln": lambda: combo_check(special.multigammaln, [0],
                                        [U(4.0, 5.0), U(4.0, 5.0, (2, 3))], [1, 2, 3]),
    # Sampled (the Bessel functions' checks are slow, ~0.1 s each): for these elementwise
    # functions a scalar and a matrix stand for autograd's four input shapes, and iv / ive
    # take 2 of autograd's 16 (order, argument) pairs.
    **{name: partial(lambda f: combo_check(f, [0], [transform([0.2, 20.0], 0.4),
                                                    transform([0.2, 20.0], rng.random((3, 2)))]),
                     getattr(special, name))
       for name in ("j0", "j1", "y0", "y1", "i0", "i1")},
    **{name: partial(lambda f: [combo_check(f, [1], [v], [x]) for v, x in
                                zip(U(1.0, 50.0, 2), R(2) ** 2 + 1.3, strict=True)],
                     getattr(special, name))
       for name in ("iv", "ive")},
    "erf": lambda: unary(special.erf, lims=[-3.0, 3.0]),
    "erfc": lambda: unary(special.erfc, lims=[-3.0, 3.0]),
    "erfinv": lambda: unary(special.erfinv, lims=[-0.95, 0.95]),
    "erfcinv": lambda: unary(special.erfcinv, lims=[0.05, 1.95]),
    "logit": lambda: unary(special.logit, lims=[0.10, 0.90]),
    "expit": lambda: unary(special.expit, lims=[-4.05, 4.95]),
    # ODE integrator (order 1: each evaluation is a full adjoint solve)
    "odeint": lambda: combo_check(_odeint, [0, 1, 2, 3], [R(3)], [np.linspace(0.1, 0.2, 4)],
                                  [R(3)], [R(3)], modes=["rev"], order=1),
    # linalg
    "sqrtm": lambda: combo_check(symmetrized(spla.sqrtm, 0), [0], [R(3, 3)]),
    "solve_sylvester": lambda: combo_check(spla.solve_sylvester, [0, 1, 2], [R(3, 3)],
                                           [R(3, 3)], [R(3, 3)]),
}


@pytest.mark.parametrize("name", list(SCIPY))
def test_scipy(name: str) -> None:
    SCIPY[name]()


@pytest.mark.parametrize("fun", [special.erf, special.erfc], ids=["erf", "erfc"])
def test_complex_erf_is_refused(fun: Callable[[Any], Any]) -> None:
    with pytest.raises(TypeError, match="complex"):
        fun(0.4 + 0.1j)
