"""Rows of the primitive table (same format as ``tests/cases.py``) for the special functions of
``functrace.primitives.special``, at the primitive level and through ``functrace.lax`` and
``functrace.scipy.special``.

References are ``tests/special_reference.py``'s plain-Python implementations.  Domains keep to
where the functions are smooth and the references accurate: away from the poles of the gamma
family, inside ``(-1, 1)`` for ``erf_inv``, away from 0 for ``bessel_i1e`` (whose second
derivative jumps there; ``bessel_j1`` too, whose slope is a select at 0).  The order ``m`` of
``polygamma``, the exponent ``s`` of ``zeta``, the order ``n`` of ``bessel_jn`` and
``bessel_yn``, the order ``v`` of ``bessel_iv`` and ``bessel_ive`` and the parameters ``a``,
``b`` of ``hyp1f1`` (``a``, ``b``, ``c`` of ``hyp2f1``) are integer-valued / fixed-range data
without a derivative (``nondiff_argnums``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import special_reference as ref
from cases import Case, Sample, away_from_zero, binary, shape, unary, uniform

import functrace.scipy.special as fsp
from functrace import lax
from functrace.primitives import elementwise as ew
from functrace.primitives import special as sp

Make = Callable[[np.random.Generator, np.dtype[Any]], Sample]


def _order_and_x(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """polygamma's (m, x): m in {0, 1, 2, 3} (as floats), x in [0.5, 4]."""
    shp = shape(rng)
    m = rng.integers(0, 4, size=shp).astype(dtype)
    return Sample((np.asarray(m), uniform(rng, shp, dtype, lo=0.5, hi=4.0)))


_SQ = binary(x_bounds={"lo": 2.0, "hi": 5.0}, y_bounds={"lo": 0.5, "hi": 3.0})
_AX = binary(x_bounds={"lo": 0.5, "hi": 4.0}, y_bounds={"lo": 0.2, "hi": 5.0})


def _expn_args(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """expn's (n, x): n in {0, 1, 2, 3} (as floats), x in [0.3, 2.5]."""
    shp = shape(rng)
    n = rng.integers(0, 4, size=shp).astype(dtype)
    return Sample((np.asarray(n), uniform(rng, shp, dtype, lo=0.3, hi=2.5)))


def _bessel_order_args(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """jn's and yn's (n, x): n in {-3, ..., 4} (as floats), x in [0.5, 7]."""
    shp = shape(rng)
    n = rng.integers(-3, 5, size=shp).astype(dtype)
    return Sample((np.asarray(n), uniform(rng, shp, dtype, lo=0.5, hi=7.0)))


def _real_order_args(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """iv's and ive's (v, x): v in [0, 4] (real), x in [0.3, 6]."""
    shp = shape(rng)
    return Sample((uniform(rng, shp, dtype, lo=0.0, hi=4.0),
                   uniform(rng, shp, dtype, lo=0.3, hi=6.0)))


def _hyp1f1_args(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """hyp1f1's (a, b, x): a, b in [0.5, 3], x in [-2, 2]."""
    shp = shape(rng)
    return Sample((uniform(rng, shp, dtype, lo=0.5, hi=3.0),
                   uniform(rng, shp, dtype, lo=0.5, hi=3.0),
                   uniform(rng, shp, dtype, lo=-2.0, hi=2.0)))


def _hyp2f1_args(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """hyp2f1's (a, b, c, x): a, b in [0.5, 3], c in [1, 4], x in [-0.6, 0.6]."""
    shp = shape(rng)
    return Sample((uniform(rng, shp, dtype, lo=0.5, hi=3.0),
                   uniform(rng, shp, dtype, lo=0.5, hi=3.0),
                   uniform(rng, shp, dtype, lo=1.0, hi=4.0),
                   uniform(rng, shp, dtype, lo=-0.6, hi=0.6)))


_OWENS = binary(x_bounds={"lo": -2.0, "hi": 2.0}, y_bounds={"lo": 0.2, "hi": 2.0})


def _betainc_args(rng: np.random.Generator, dtype: np.dtype[Any]) -> Sample:
    """betainc's (a, b, x): a, b in [0.5, 4], x in [0.05, 0.75]."""
    shp = shape(rng)
    return Sample((uniform(rng, shp, dtype, lo=0.5, hi=4.0),
                   uniform(rng, shp, dtype, lo=0.5, hi=4.0),
                   uniform(rng, shp, dtype, lo=0.05, hi=0.75)))


SPECIAL_CASES: list[Case] = [
    Case("erf", sp.erf, ref.erf, unary(uniform, lo=-2.5, hi=2.5)),
    Case("erfc", sp.erfc, ref.erfc, unary(uniform, lo=-2.5, hi=2.5)),
    Case("erfcx", sp.erfcx, ref.erfcx, unary(uniform, lo=-1.5, hi=3.0)),
    Case("erf_inv", sp.erf_inv, ref.erf_inv, unary(uniform, lo=-0.9, hi=0.9)),
    Case("ndtri", sp.ndtri, ref.ndtri, unary(uniform, lo=0.05, hi=0.95)),
    Case("log_ndtr", sp.log_ndtr, ref.log_ndtr, unary(uniform, lo=-4.0, hi=4.0)),
    Case("lgamma", sp.lgamma, ref.lgamma, unary(uniform, lo=0.3, hi=6.0)),
    Case("lgamma", sp.lgamma, ref.lgamma, unary(uniform, lo=-2.9, hi=-2.1), label="negative"),
    Case("gamma", sp.gamma, ref.gamma, unary(uniform, lo=0.3, hi=5.0)),
    Case("gamma", sp.gamma, ref.gamma, unary(uniform, lo=-1.9, hi=-1.1), label="negative"),
    Case("digamma", sp.digamma, ref.digamma, unary(uniform, lo=0.3, hi=6.0)),
    Case("polygamma", sp.polygamma, ref.polygamma, _order_and_x, nondiff_argnums=(0,)),
    Case("zeta", sp.zeta, ref.zeta, _SQ, nondiff_argnums=(0,)),
    Case("bessel_i0e", sp.bessel_i0e, ref.i0e, unary(uniform, lo=-4.0, hi=4.0)),
    Case("bessel_i1e", sp.bessel_i1e, ref.i1e, unary(away_from_zero, lo=0.1, hi=4.0)),
    # The derivative in ``a`` is checked to first order in tests/test_scipy.py (its own
    # derivative in ``a`` has no kernel); the table differentiates in x to second order.
    Case("igamma", sp.igamma, ref.igamma, _AX, nondiff_argnums=(0,)),
    Case("igammac", sp.igammac, ref.igammac, _AX, nondiff_argnums=(0,)),
    # Its derivative in ``a`` (a second derivative of P) has no kernel: differentiated in x.
    Case("igamma_grad_a", sp.igamma_grad_a, ref.igamma_grad_a, _AX, nondiff_argnums=(0,),
         tol={"float64": (1e-12, 1e-10)}),
    Case("regularized_incomplete_beta", sp.betainc, ref.betainc, _betainc_args,
         nondiff_argnums=(0, 1)),
    Case("expi", sp.expi, ref.expi, unary(uniform, lo=0.5, hi=4.0)),
    Case("exp1", sp.exp1, ref.exp1, unary(uniform, lo=0.2, hi=2.5)),
    Case("expn", sp.expn, ref.expn, _expn_args, nondiff_argnums=(0,)),
    Case("dawsn", sp.dawsn, ref.dawsn, unary(uniform, lo=-2.0, hi=2.0)),
    Case("fresnel_s", sp.fresnel_s, ref.fresnel_s, unary(uniform, lo=-1.5, hi=1.5)),
    Case("fresnel_c", sp.fresnel_c, ref.fresnel_c, unary(uniform, lo=-1.5, hi=1.5)),
    Case("spence", sp.spence, ref.spence, unary(uniform, lo=0.3, hi=1.7)),
    Case("si", sp.si, ref.si, unary(uniform, lo=-7.0, hi=7.0)),
    Case("ci", sp.ci, ref.ci, unary(away_from_zero, lo=0.2, hi=7.0)),
    # (j1's second derivative is smooth through 0, but its slope has a select there.)
    Case("bessel_j0", sp.bessel_j0, ref.j0, unary(uniform, lo=-7.0, hi=7.0)),
    Case("bessel_j1", sp.bessel_j1, ref.j1, unary(away_from_zero, lo=0.1, hi=7.0)),
    Case("bessel_y0", sp.bessel_y0, ref.y0, unary(uniform, lo=0.5, hi=7.0)),
    Case("bessel_y1", sp.bessel_y1, ref.y1, unary(uniform, lo=0.5, hi=7.0)),
    Case("bessel_jn", sp.bessel_jn, ref.jn, _bessel_order_args, nondiff_argnums=(0,)),
    Case("bessel_yn", sp.bessel_yn, ref.yn, _bessel_order_args, nondiff_argnums=(0,)),
    Case("bessel_iv", sp.bessel_iv, ref.iv, _real_order_args, nondiff_argnums=(0,)),
    Case("bessel_ive", sp.bessel_ive, ref.ive, _real_order_args, nondiff_argnums=(0,)),
    Case("owens_t", sp.owens_t, ref.owens_t, _OWENS),
    Case("hyp1f1", sp.hyp1f1, ref.hyp1f1, _hyp1f1_args, nondiff_argnums=(0, 1)),
    Case("hyp2f1", sp.hyp2f1, ref.hyp2f1, _hyp2f1_args, nondiff_argnums=(0, 1, 2)),
    # The Faddeeva function of x + i y (both half planes), taken back to real outputs so that
    # the derivative checks (on real arguments) see its complex rule (see tests/cases.py).
    Case("wofz", lambda x, y: ew.real(sp.wofz(ew.make_complex(x, y))), ref.wofz_real,
         binary(x_bounds={"lo": -2.0, "hi": 2.0}, y_bounds={"lo": -1.5, "hi": 1.5})),
    Case("wofz", lambda x, y: ew.imag(sp.wofz(ew.make_complex(x, y))), ref.wofz_imag,
         binary(x_bounds={"lo": -2.0, "hi": 2.0}, y_bounds={"lo": -1.5, "hi": 1.5}),
         label="imag"),
    # Through the public namespaces.
    Case("erf", lax.erf, ref.erf, unary(uniform, lo=-2.5, hi=2.5), label="lax"),
    Case("lgamma", lax.lgamma, ref.lgamma, unary(uniform, lo=0.3, hi=6.0), label="lax"),
    Case("erf_inv", fsp.erfinv, ref.erf_inv, unary(uniform, lo=-0.9, hi=0.9),
         label="scipy.special.erfinv"),
    Case("erfc", fsp.ndtr, ref.ndtr, unary(uniform, lo=-3.0, hi=3.0), label="scipy.special.ndtr"),
    Case("lgamma", fsp.gammaln, ref.lgamma, unary(uniform, lo=0.3, hi=6.0),
         label="scipy.special.gammaln"),
    Case("digamma", fsp.digamma, ref.digamma, unary(uniform, lo=0.3, hi=6.0),
         label="scipy.special.digamma"),
    Case("polygamma", fsp.polygamma, ref.polygamma, _order_and_x, nondiff_argnums=(0,),
         label="scipy.special.polygamma"),
    Case("zeta", fsp.zeta, ref.zeta, _SQ, nondiff_argnums=(0,), label="scipy.special.zeta"),
    Case("igamma", fsp.gammainc, ref.igamma, _AX, nondiff_argnums=(0,),
         label="scipy.special.gammainc"),
    Case("igammac", fsp.gammaincc, ref.igammac, _AX, nondiff_argnums=(0,),
         label="scipy.special.gammaincc"),
    Case("regularized_incomplete_beta", fsp.betainc, ref.betainc, _betainc_args,
         nondiff_argnums=(0, 1), label="scipy.special.betainc"),
    Case("igamma", lax.igamma, ref.igamma, _AX, nondiff_argnums=(0,), label="lax"),
    Case("expn", fsp.expn, ref.expn, _expn_args, nondiff_argnums=(0,),
         label="scipy.special.expn"),
    Case("expi", fsp.expi, ref.expi, unary(uniform, lo=0.5, hi=4.0), label="scipy.special.expi"),
    Case("bessel_j1", fsp.j1, ref.j1, unary(away_from_zero, lo=0.1, hi=7.0),
         label="scipy.special.j1"),
    Case("bessel_y0", fsp.y0, ref.y0, unary(uniform, lo=0.5, hi=7.0), label="scipy.special.y0"),
    Case("bessel_jn", fsp.jn, ref.jn, _bessel_order_args, nondiff_argnums=(0,),
         label="scipy.special.jn"),
    Case("bessel_yn", fsp.yn, ref.yn, _bessel_order_args, nondiff_argnums=(0,),
         label="scipy.special.yn"),
    Case("bessel_iv", fsp.iv, ref.iv, _real_order_args, nondiff_argnums=(0,),
         label="scipy.special.iv"),
    Case("bessel_ive", fsp.ive, ref.ive, _real_order_args, nondiff_argnums=(0,),
         label="scipy.special.ive"),
    Case("owens_t", fsp.owens_t, ref.owens_t, _OWENS, label="scipy.special.owens_t"),
    Case("hyp1f1", fsp.hyp1f1, ref.hyp1f1, _hyp1f1_args, nondiff_argnums=(0, 1),
         label="scipy.special.hyp1f1"),
    Case("si", lambda x: fsp.sici(x)[0], ref.si, unary(uniform, lo=-7.0, hi=7.0),
         label="scipy.special.sici"),
    Case("ci", lambda x: fsp.sici(x)[1], ref.ci, unary(away_from_zero, lo=0.2, hi=7.0),
         label="scipy.special.sici"),
    Case("wofz", lambda x, y: ew.imag(fsp.wofz(x + 1j * y)), ref.wofz_imag,
         binary(x_bounds={"lo": -2.0, "hi": 2.0}, y_bounds={"lo": -1.5, "hi": 1.5}),
         label="scipy.special.wofz"),
    Case("hyp2f1", fsp.hyp2f1, ref.hyp2f1, _hyp2f1_args, nondiff_argnums=(0, 1, 2),
         label="scipy.special.hyp2f1"),
    Case("fresnel_s", lambda x: fsp.fresnel(x)[0], ref.fresnel_s,
         unary(uniform, lo=-1.5, hi=1.5), label="scipy.special.fresnel"),
]
