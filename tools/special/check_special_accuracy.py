"""Accuracy and speed check of functrace/primitives/_special_kernels.py against mpmath and scipy.special.

* Accuracy: every function is evaluated on dense grids (linear and log
  spaced, both signs, near edges/poles/roots, tiny and huge arguments) and
  compared with mpmath at 40 digits.  Reference values are stored as
  double-double pairs in .refcache/ (delete it to recompute).  Errors are
  reported in ulps of the exact result (np.spacing of the exact value; for
  subnormal results that is 2^-1074), or as absolute errors in ranges where
  the function crosses zero.
* Special values: nan/inf/+-0/poles/domain edges compared with scipy.special
  (class of the value: nan, +-inf, +-0, sign and, for finite values,
  agreement to 1e-12); differences are printed.
* Calling conventions: shapes (0-d, empty, 2-D, broadcasting), float64
  output, and no floating-point warnings (checked with np.seterr(all='raise')).
* Timing: 1e6 float64 elements, best of 3, next to scipy.special.

Usage: python check_accuracy.py [--quick] [--no-time] [func ...]
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
import warnings

import mpmath as mp
import numpy as np
import scipy.special as sc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from functrace.primitives import _special_kernels as K  # noqa: E402

mp.mp.dps = 40
CACHE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '.refcache')
QUICK = '--quick' in sys.argv
RNG = np.random.default_rng(12345)
X0 = 1.4616321449683623  # positive root of digamma


# ------------------------------------------------------------- references
def dd(v) -> tuple[float, float]:
    """mpf -> (hi, lo) double-double (hi may be +-inf or 0 on overflow/underflow)."""
    if isinstance(v, mp.mpc):
        v = v.real
    if mp.isnan(v):
        return np.nan, 0.0
    if mp.isinf(v):
        return (np.inf if v > 0 else -np.inf), 0.0
    hi = float(v)
    if not np.isfinite(hi) or hi == 0.0:
        return hi, 0.0
    return hi, float(v - mp.mpf(hi))


def reference(name: str, f, *args: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    key = hashlib.sha1(name.encode() + b''.join(np.ascontiguousarray(a).tobytes() for a in args)).hexdigest()[:16]
    path = os.path.join(CACHE, f'{name}_{key}.npz')
    if os.path.exists(path):
        z = np.load(path)
        return z['hi'], z['lo']
    hi = np.empty(args[0].shape)
    lo = np.empty(args[0].shape)
    for j in range(args[0].size):
        try:
            v = f(*[mp.mpf(float(a[j])) for a in args])
        except (ValueError, ZeroDivisionError):
            v = mp.nan
        hi[j], lo[j] = dd(v)
    os.makedirs(CACHE, exist_ok=True)
    np.savez(path, hi=hi, lo=lo)
    return hi, lo


def ulp_err(got: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """|got - exact| in ulps of exact; inf where the classes (inf/nan) differ."""
    with np.errstate(all='ignore'):
        err = np.abs((got - hi) - lo) / np.spacing(np.abs(hi))
    same = (got == hi) | (np.isnan(got) & np.isnan(hi))
    err = np.where(same, 0.0, err)
    return np.where(np.isfinite(hi) | same, err, np.inf)


def abs_err(got: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    with np.errstate(all='ignore'):
        e = np.abs((got - hi) - lo)
    return np.where((got == hi), 0.0, e)


def rel_err(got: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    with np.errstate(all='ignore'):
        e = np.abs(((got - hi) - lo) / hi)
    return np.where((got == hi), 0.0, e)


# ------------------------------------------------------------- grids
def lin(a: float, b: float, n: int) -> np.ndarray:
    return np.linspace(a, b, n if not QUICK else max(n // 10, 50))


def logs(a: float, b: float, n: int) -> np.ndarray:
    return np.logspace(a, b, n if not QUICK else max(n // 10, 50))


def both(v: np.ndarray) -> np.ndarray:
    return np.concatenate([-v[::-1], v])


def jitter(v: np.ndarray) -> np.ndarray:
    """Add random perturbations so grid points are not all 'nice' doubles."""
    return v * (1 + RNG.uniform(-1e-3, 1e-3, v.shape))


RESULTS: list[tuple[str, str, str, str]] = []   # (function, range, metric, value)


def report(fname: str, label: str, x: np.ndarray, err: np.ndarray, kind: str = 'ulp',
           xs: np.ndarray | None = None, pair: str = 'n,x') -> float:
    if err.size == 0:
        return 0.0
    j = int(np.nanargmax(err))
    m = float(err[j])
    where = f'x={x[j]:.6g}' if xs is None else f'({pair})=({xs[j]:g},{x[j]:.6g})'
    val = f'{m:.2f} ulp' if kind == 'ulp' else f'{m:.2e}'
    metric = {'ulp': 'max err', 'abs': 'max abs err', 'rel': 'max rel err'}[kind]
    print(f'  {fname:10s} {label:38s} {metric:12s} {val:>12s}  at {where}')
    RESULTS.append((fname, label, metric, val))
    return m


def check1(fname: str, kfun, mfun, ranges: list[tuple[str, np.ndarray, str]]) -> None:
    """ranges: (label, x, kind) with kind 'ulp' / 'abs' / 'rel'."""
    allx = np.unique(np.concatenate([r[1] for r in ranges]))
    hi, lo = reference(fname, mfun, allx)
    got = kfun(allx)
    for label, x, kind in ranges:
        pos = np.searchsorted(allx, x)
        g, h, l = got[pos], hi[pos], lo[pos]
        err = {'ulp': ulp_err, 'abs': abs_err, 'rel': rel_err}[kind](g, h, l)
        report(fname, label, x, err, kind)


# ------------------------------------------------------------- mp wrappers
def mp_erfcx(x):
    if x > 1e6:   # asymptotic series (mpmath's erfc fails for huge x); error < 1e-70
        u = 1 / (2 * x * x)
        s = mp.fsum((-1) ** k * mp.fac2(2 * k - 1) * u ** k for k in range(8))
        return s / (x * mp.sqrt(mp.pi))
    return mp.exp(x * x) * mp.erfc(x)


def mp_ndtr(x):
    return mp.erfc(-x / mp.sqrt(2)) / 2


def mp_log_ndtr(x):
    if x < -1e6:
        return -x * x / 2 + mp.log(mp_erfcx(-x / mp.sqrt(2)) / 2)
    if x > 0:
        return mp.log1p(-mp_ndtr(-x))
    return mp.log(mp_ndtr(x))


def mp_erfinv(y):
    if abs(y) >= 1:
        return mp.inf * mp.sign(y) if abs(y) == 1 else mp.nan
    if abs(y) < mp.mpf('1e-100'):
        return y * mp.sqrt(mp.pi) / 2
    return mp.erfinv(y)


def mp_erfcinv(w):
    if w <= 0 or w >= 2:
        return mp.inf if w == 0 else (-mp.inf if w == 2 else mp.nan)
    if w > mp.mpf('1e-30') and w < 2 - mp.mpf('1e-30'):
        with mp.workdps(80):
            return mp.erfinv(1 - w)
    if w >= 1:
        return -mp_erfcinv(2 - w)
    x0 = mp.sqrt(-mp.log(w))
    return mp.findroot(lambda x: mp.log(mp.erfc(x)) - mp.log(w), x0)


def mp_ndtri(p):
    return -mp.sqrt(2) * mp_erfcinv(2 * p)


def mp_lgamma(x):
    if x <= 0 and x == mp.floor(x):
        return mp.inf
    return mp.re(mp.loggamma(x))


def mp_gamma(x):
    if x <= 0 and x == mp.floor(x):
        return mp.nan
    return mp.gamma(x)


def mp_digamma(x):
    if x <= 0 and x == mp.floor(x):
        return mp.nan
    return mp.digamma(x)


def mp_polygamma(n, x):
    return mp.polygamma(int(n), x)


_BERN = None


def mp_zeta(s, q):
    """Hurwitz zeta by direct summation + 30-term Euler-Maclaurin tail at
    a >= 2s + 40 (error < 1e-45).  mpmath.zeta(s, q) itself was found to be
    wrong by up to 1e-9 relative for large s and q (e.g. s=55.27, q=655.1)."""
    global _BERN
    if _BERN is None:
        _BERN = [mp.bernoulli(2 * j) / mp.factorial(2 * j) for j in range(31)]
    with mp.workdps(60):
        if q <= 0 and q == mp.floor(q):
            return mp.inf
        n = int(max(0, mp.ceil(2 * s + 40 - q)))
        a = q + n
        tot = mp.fsum((q + k) ** (-s) for k in range(n))
        tail = a ** (1 - s) / (s - 1) + a ** (-s) / 2
        f = s * a ** (-s - 1)
        for j in range(1, 31):
            tail += _BERN[j] * f
            f *= (s + 2 * j - 1) * (s + 2 * j) / (a * a)
        return tot + tail


def mp_polygamma_ref(n, x):
    if n >= 1 and x > 0:
        return (-1) ** (int(n) + 1) * mp.factorial(int(n)) * mp_zeta(n + 1, x)
    return mp.polygamma(int(n), x)


def mp_i0e(x):
    return mp.besseli(0, x) * mp.exp(-abs(x))


def mp_i1e(x):
    return mp.besseli(1, x) * mp.exp(-abs(x))


def mp_i1(x):
    return mp.besseli(1, x)


# ------------------------------------------------------------- accuracy
def acc_erf() -> None:
    tiny = logs(-320, -0.31, 3000)
    check1('erf', K.erf, mp.erf, [
        ('|x| < 0.5 (incl. subnormal)', both(tiny), 'ulp'),
        ('0.5 <= |x| <= 7', both(lin(0.5, 7, 30000)), 'ulp'),
        ('|x| in [1e-3, 1e3] log', both(logs(-3, 3, 3000)), 'ulp'),
    ])


def acc_erfc() -> None:
    check1('erfc', K.erfc, mp.erfc, [
        ('-7 <= x <= 0.5', np.concatenate([lin(-7, 0.5, 20000), both(logs(-320, -0.31, 1000))]), 'ulp'),
        ('0.5 <= x <= 26.5 (normal result)', lin(0.5, 26.5, 40000), 'ulp'),
        ('26.5 < x < 27.3 (subnormal result)', lin(26.5001, 27.3, 3000), 'ulp'),
    ])


def acc_erfcx() -> None:
    check1('erfcx', K.erfcx, mp_erfcx, [
        ('0 <= x <= 10', np.concatenate([lin(0, 10, 30000), logs(-320, -1, 1000)]), 'ulp'),
        ('x >= 10 (log, to 1e300)', logs(1, 300, 5000), 'ulp'),
        ('-26.6 <= x < 0', np.concatenate([lin(-26.62, 0, 20000), -logs(-320, -1, 1000)]), 'ulp'),
    ])


def acc_ndtr() -> None:
    check1('ndtr', K.ndtr, mp_ndtr, [
        ('-37.5 <= x <= -0.7 (lower tail)', np.concatenate([lin(-37.5, -0.7, 40000), -logs(-0.16, 1.574, 3000)]), 'ulp'),
        ('-0.7 < x < 0.7', np.concatenate([lin(-0.7, 0.7, 5000), both(logs(-320, -1, 500))]), 'ulp'),
        ('0.7 <= x <= 9', lin(0.7, 9, 10000), 'ulp'),
        ('-38.5 < x < -37.5 (subnormal)', lin(-38.5, -37.5, 2000), 'ulp'),
    ])


def acc_log_ndtr() -> None:
    check1('log_ndtr', K.log_ndtr, mp_log_ndtr, [
        ('x <= 0 (to -1e150)', np.concatenate([lin(-60, 0, 30000), -logs(-320, 150, 4000)]), 'ulp'),
        ('0 < x <= 38 (incl. ~ -ndtr(-x))', np.concatenate([lin(0, 38, 30000), logs(-320, 1.57, 3000)]), 'ulp'),
    ])


def acc_erfinv() -> None:
    y = lin(-1, 1, 40001)[1:-1]
    near1 = 1 - logs(-16, -0.31, 4000)
    check1('erfinv', K.erfinv, mp_erfinv, [
        ('|y| <= 0.5', np.concatenate([y[np.abs(y) <= 0.5], both(logs(-320, -0.31, 2000))]), 'ulp'),
        ('0.5 < |y| < 1', np.concatenate([y[np.abs(y) > 0.5], both(near1)]), 'ulp'),
    ])


def acc_erfcinv() -> None:
    w = lin(0, 2, 40001)[1:-1]
    check1('erfcinv', K.erfcinv, mp_erfcinv, [
        ('1e-323 <= y <= 0.5 (tail)', np.concatenate([logs(-323.3, -0.31, 8000), w[w <= 0.5]]), 'ulp'),
        ('0.5 < y < 1.5', w[(w > 0.5) & (w < 1.5)], 'ulp'),
        ('1.5 <= y < 2', np.concatenate([w[w >= 1.5], 2 - logs(-15.5, -0.31, 3000)]), 'ulp'),
    ])


def acc_ndtri() -> None:
    p = lin(0, 1, 40001)[1:-1]
    check1('ndtri', K.ndtri, mp_ndtri, [
        ('1e-323 <= p <= 0.25', np.concatenate([logs(-323.3, -0.61, 8000), p[p <= 0.25]]), 'ulp'),
        ('0.25 < p < 0.75', p[(p > 0.25) & (p < 0.75)], 'ulp'),
        ('0.75 <= p < 1', np.concatenate([p[p >= 0.75], 1 - logs(-16, -0.61, 3000)]), 'ulp'),
    ])


def acc_lgamma() -> None:
    x = lin(-30, 30, 60001)
    x = x[x != np.round(x)]
    near = np.concatenate([1 + both(logs(-16, -1, 1500)), 2 + both(logs(-16, -1, 1500))])
    neg = x[x < 0]
    check1('lgamma', K.lgamma, mp_lgamma, [
        ('0 < x <= 30 (excl. 0.9-1.1, 1.9-2.1)', np.concatenate([x[(x > 0) & ~((np.abs(x - 1) < 0.1) | (np.abs(x - 2) < 0.1))], logs(-320, -0.5, 2000)]), 'ulp'),
        ('|x-1|, |x-2| < 0.1 (relative)', np.concatenate([near, lin(0.9, 1.1, 3000), lin(1.9, 2.1, 3000)]), 'ulp'),
        ('|x-1|, |x-2| < 0.1 (absolute)', np.concatenate([near, lin(0.9, 1.1, 3000), lin(1.9, 2.1, 3000)]), 'abs'),
        ('x >= 30 (log, to 1e305)', logs(1.48, 305, 5000), 'ulp'),
        ('-30 < x < 0, |lgamma| >= 0.5', neg[np.abs(sc.gammaln(neg)) >= 0.5], 'ulp'),
        ('-30 < x < 0, |lgamma| < 0.5 (absolute)', neg[np.abs(sc.gammaln(neg)) < 0.5], 'abs'),
        ('-1e15 < x < -30', -jitter(logs(1.48, 15, 3000)), 'ulp'),
        ('-0.1 < x < 0 (tiny negative)', -logs(-320, -1, 1000), 'ulp'),
    ])
    # on the negative axis: error in ulps of the larger reflection term
    xn = np.concatenate([neg, -jitter(logs(1.48, 15, 3000))])
    hi, lo = reference('lgamma', mp_lgamma, np.unique(np.concatenate([xn])))
    xs = np.unique(xn)
    with np.errstate(all='ignore'):
        scale = np.maximum(np.abs(sc.gammaln(-xs)), np.abs(np.log(np.pi / np.abs(xs * np.sin(np.pi * (xs - np.round(xs)))))))
        e = abs_err(K.lgamma(xs), hi, lo) / np.spacing(scale)
    report('lgamma', 'x < 0: err in ulps of larger refl. term', xs, e, 'ulp')


def acc_gamma() -> None:
    x = lin(-185, 171.6, 60001)
    x = x[x != np.round(x)]
    check1('gamma', K.gamma, mp_gamma, [
        ('0 < x <= 171.6', np.concatenate([x[x > 0], logs(-307, -0.5, 2000)]), 'rel'),
        ('-170 <= x < 0', np.concatenate([x[(x < 0) & (x >= -170)], -logs(-307, -0.5, 2000)]), 'rel'),
        ('-185 < x < -170 (tiny/subnormal, ulp)', x[x < -170], 'ulp'),
    ])


def acc_digamma() -> None:
    x = lin(-30, 30, 60001)
    x = x[x != np.round(x)]
    root = X0 + both(logs(-16, -1, 3000))
    neg = np.concatenate([x[x < 0], -jitter(logs(1.48, 15, 3000))])
    dneg = sc.digamma(neg)
    check1('digamma', K.digamma, mp_digamma, [
        ('0 < x <= 30 (excl. |x-x0|<0.1)', np.concatenate([x[(x > 0) & (np.abs(x - X0) > 0.1)], logs(-320, -0.5, 2000)]), 'ulp'),
        ('|x - x0| < 0.1 (relative)', np.concatenate([root, lin(X0 - 0.1, X0 + 0.1, 3000)]), 'ulp'),
        ('|x - x0| < 0.1 (absolute)', np.concatenate([root, lin(X0 - 0.1, X0 + 0.1, 3000)]), 'abs'),
        ('x >= 30 (log, to 1e300)', logs(1.48, 300, 3000), 'ulp'),
        ('-30 < x < 0, |psi| >= 0.5', neg[(np.abs(dneg) >= 0.5) & (neg > -30)], 'ulp'),
        ('-1e15 < x < 0, |psi| < 0.5 (absolute)', neg[np.abs(dneg) < 0.5], 'abs'),
        ('-0.1 < x < 0 (tiny negative)', -logs(-320, -1, 1000), 'ulp'),
    ])
    xs = np.unique(neg)
    hi, lo = reference('digamma_negscale', mp_digamma, xs)
    with np.errstate(all='ignore'):
        scale = np.maximum(np.abs(sc.digamma(1 - xs)), np.abs(np.pi / np.tan(np.pi * (xs - np.round(xs)))))
        e = abs_err(K.digamma(xs), hi, lo) / np.spacing(scale)
    report('digamma', 'x < 0: err in ulps of larger refl. term', xs, e, 'ulp')


def acc_polygamma() -> None:
    nmax = 10
    xs = np.concatenate([logs(-8, 6, 600 if not QUICK else 600), lin(0.01, 5, 200)])
    n = np.repeat(np.arange(1, nmax + 1), xs.size).astype(float)
    x = np.tile(xs, nmax)
    hi, lo = reference('polygamma', mp_polygamma_ref, n, x)
    got = K.polygamma(n, x)
    report('polygamma', 'n=1..10, 1e-8 <= x <= 1e6', x, rel_err(got, hi, lo), 'rel', n)
    report('polygamma', 'n=1..10, 1e-8 <= x <= 1e6', x, ulp_err(got, hi, lo), 'ulp', n)
    xn = lin(-20, -0.005, 1200 if not QUICK else 1200)
    xn = xn[np.abs(xn - np.round(xn)) > 0.01]
    n = np.repeat(np.arange(1, nmax + 1), xn.size).astype(float)
    x = np.tile(xn, nmax)
    hi, lo = reference('polygamma_neg', mp_polygamma, n, x)
    got = K.polygamma(n, x)
    odd = n % 2 == 1
    report('polygamma', 'odd n, -20<x<0 (dist. to pole >0.01)', x[odd], rel_err(got, hi, lo)[odd], 'rel', n[odd])
    # even n has zeros on the negative axis: relative error away from them
    ev = ~odd
    far = ev & (np.abs(hi) > 1e-3 * K.gamma(n + 1))
    report('polygamma', 'even n, -20<x<0, |psi_n|>1e-3 n!', x[far], rel_err(got, hi, lo)[far], 'rel', n[far])
    scale = np.abs(hi) + K.gamma(n + 1)
    with np.errstate(all='ignore'):
        e = abs_err(got, hi, lo) / scale
    report('polygamma', 'even n, -20<x<0: |err|/(|psi_n|+n!)', x[ev], e[ev], 'rel', n[ev])
    x0 = np.concatenate([lin(-20, 20, 400), logs(-8, 6, 200)])
    x0 = x0[x0 != np.round(x0)]
    hi0, lo0 = reference('polygamma0', mp_polygamma, np.zeros_like(x0), x0)
    big = np.abs(hi0) >= 0.5
    report('polygamma', 'n=0 (digamma), |psi| >= 0.5', x0[big], ulp_err(K.polygamma(0, x0), hi0, lo0)[big], 'ulp')


def acc_zeta() -> None:
    svals = np.concatenate([1 + np.logspace(-12, -0.01, 50), lin(2, 60, 59), [1.5, 2.5, 3.5, 7.25, 15.5, 33.3, 59.9]])
    qvals = np.concatenate([logs(-6, 6, 60), [0.5, 1, 1.5, 2, 3, 7.5, 10.25, 33.3, 50, 99.9]])
    s = np.repeat(svals, qvals.size)
    q = np.tile(qvals, svals.size)
    hi, lo = reference('zeta', mp_zeta, s, q)
    got = K.zeta(s, q)
    ok = np.isfinite(hi) & (np.abs(hi) > 1e-300) & (np.abs(hi) < 1e300)
    report('zeta', 's in (1,60], q in [1e-6,1e6] (normal)', q[ok], rel_err(got, hi, lo)[ok], 'rel', s[ok], 's,q')
    report('zeta', 's in (1,60], q in [1e-6,1e6] (normal)', q[ok], ulp_err(got, hi, lo)[ok], 'ulp', s[ok], 's,q')
    sn = np.repeat(np.arange(2.0, 12.0), 200)
    qn = np.tile(np.linspace(-15, -0.01, 200), 10)
    keep = np.abs(qn - np.round(qn)) > 0.01
    hi, lo = reference('zeta_negq', mp_zeta, sn[keep], qn[keep])
    got = K.zeta(sn[keep], qn[keep])
    with np.errstate(all='ignore'):
        e = abs_err(got, hi, lo) / (np.abs(hi) + 1.0)
    report('zeta', 'integer s 2..11, q<0: |err|/(|z|+1)', qn[keep], e, 'rel', sn[keep], 's,q')


def acc_bessel() -> None:
    x = both(np.concatenate([lin(0, 60, 30000), logs(-320, -1, 1000), logs(1.78, 300, 3000)]))
    check1('i0e', K.i0e, mp_i0e, [('all x', x, 'ulp'), ('|x| <= 8', x[np.abs(x) <= 8], 'ulp'), ('|x| > 8', x[np.abs(x) > 8], 'ulp')])
    check1('i1e', K.i1e, mp_i1e, [('all x', x, 'ulp'), ('|x| <= 8', x[np.abs(x) <= 8], 'ulp'), ('|x| > 8', x[np.abs(x) > 8], 'ulp')])
    x1 = both(np.concatenate([lin(0, 60, 20000), logs(-320, -1, 1000), lin(60, 713.98, 5000)]))
    check1('i1', K.i1, mp_i1, [('|x| <= 713.98', x1, 'ulp')])


# ------------------------------------------------------------- special values vs scipy
SPEC = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 1e-310, -1e-310, 1e-300, -1e-300,
                 1e-20, -1e-20, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0, 3.0, -3.0, 6.0, -6.0,
                 26.5, 27.0, 27.3, 28.0, -26.6, -26.7, 37.5, -37.5, 38.5, -38.5, 40.0, -40.0,
                 171.6, 171.7, -171.5, -180.5, -190.5, 700.0, 713.9, 714.0, -714.0, 1e5, -1e5,
                 1e20, -1e20, 1e300, -1e300, 1.7976931348623157e308, -1.7976931348623157e308])
UNIT = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, 1e-310, 1e-300, 0.25, 0.5, 0.75,
                 1 - 2 ** -53, 1.0, 1 + 2 ** -52, 1.5, 2 - 2 ** -52, 2.0, 2.5, -0.5, -1.0, -1 - 2 ** -52, -2.0])


def same_class(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all='ignore'):
        ok = (np.isnan(a) & np.isnan(b)) | ((a == b) & (np.signbit(a) == np.signbit(b)))
        fin = np.isfinite(a) & np.isfinite(b) & (a != 0) & (b != 0) & (np.sign(a) == np.sign(b))
        ok |= fin & (np.abs(a - b) <= 1e-12 * np.abs(b))
    return ok


def special_values() -> None:
    print('\nSpecial values vs scipy.special (differences only):')
    pairs = [('erf', K.erf, sc.erf, SPEC), ('erfc', K.erfc, sc.erfc, SPEC), ('erfcx', K.erfcx, sc.erfcx, SPEC),
             ('ndtr', K.ndtr, sc.ndtr, SPEC), ('log_ndtr', K.log_ndtr, sc.log_ndtr, SPEC),
             ('erfinv', K.erfinv, sc.erfinv, np.concatenate([UNIT, -UNIT])), ('erfcinv', K.erfcinv, sc.erfcinv, UNIT),
             ('ndtri', K.ndtri, sc.ndtri, np.concatenate([UNIT, UNIT / 2])),
             ('lgamma', K.lgamma, sc.gammaln, SPEC), ('gamma', K.gamma, sc.gamma, SPEC),
             ('gammasgn', K.gammasgn, sc.gammasgn, SPEC), ('digamma', K.digamma, sc.digamma, SPEC),
             ('i0e', K.i0e, sc.i0e, SPEC), ('i1e', K.i1e, sc.i1e, SPEC), ('i1', K.i1, sc.i1, SPEC)]
    ndiff = 0
    for name, kf, sf, v in pairs:
        with np.errstate(all='ignore'):
            a, b = kf(v), sf(v)
        bad = ~same_class(a, b)
        for j in np.flatnonzero(bad):
            ndiff += 1
            print(f'  DIFF {name}({v[j]!r}) = {a[j]!r}  scipy: {b[j]!r}')
    nv = np.array([-1.0, 0.0, 1.0, 2.0, 3.0, 10.0, 1.5, np.nan, np.inf])
    xv = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, -1.0, -2.5, -0.5, 1.0, 1e300, -1e20])
    nn, xx = np.meshgrid(nv, xv)
    with np.errstate(all='ignore'), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        a, b = K.polygamma(nn, xx), sc.polygamma(nn, xx)
    for j in np.flatnonzero(~same_class(a, b).ravel()):
        ndiff += 1
        print(f'  DIFF polygamma({nn.ravel()[j]!r}, {xx.ravel()[j]!r}) = {a.ravel()[j]!r}  scipy: {b.ravel()[j]!r}')
    sv = np.array([np.nan, -np.inf, -1.0, 0.0, 0.5, 1.0, 1.0 + 2 ** -52, 2.0, 2.5, 3.0, 60.0, 1e5, np.inf])
    qv = np.array([np.nan, -np.inf, -2.0, -1.5, -0.5, -0.0, 0.0, 1e-300, 0.5, 1.0, 2.0, 1e10, 1e300, np.inf])
    ss, qq = np.meshgrid(sv, qv)
    with np.errstate(all='ignore'):
        a, b = K.zeta(ss, qq), sc.zeta(ss, qq)
    for j in np.flatnonzero(~same_class(a, b).ravel()):
        ndiff += 1
        print(f'  DIFF zeta({ss.ravel()[j]!r}, {qq.ravel()[j]!r}) = {a.ravel()[j]!r}  scipy: {b.ravel()[j]!r}')
    print(f'  {ndiff} difference(s)')


def conventions() -> None:
    print('\nCalling conventions (shapes, dtype, no floating-point warnings):')
    old = np.seterr(all='raise')
    problems = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            one = [K.erf, K.erfc, K.erfcx, K.erfinv, K.erfcinv, K.ndtr, K.ndtri, K.log_ndtr, K.lgamma,
                   K.gamma, K.gammasgn, K.digamma, K.i0e, K.i1e, K.i1]
            for f in one:
                for arg in [np.float64(0.3), np.array(0.3), np.empty(0), np.empty((0, 3)),
                            np.arange(-3.0, 3.0).reshape(2, 3), SPEC, SPEC[::-3], [1, 2, 3]]:
                    r = f(arg)
                    shp = np.shape(arg)
                    if not (isinstance(r, np.ndarray) and r.dtype == np.float64 and r.shape == shp):
                        problems += 1
                        print(f'  problem: {f.__name__} on shape {shp} -> {type(r)} {getattr(r, "shape", None)}')
            for f in [K.polygamma, K.zeta]:
                a = np.array([[1.0], [2.0], [3.0]])
                b = np.array([0.5, -1.5, 2.0, np.inf, np.nan, -np.inf, 0.0])
                r = f(a, b)
                if r.shape != (3, 7) or r.dtype != np.float64:
                    problems += 1
                    print(f'  problem: {f.__name__} broadcast -> {r.shape}')
                r = f(2.0, 3.0)
                if not (isinstance(r, np.ndarray) and r.shape == ()):
                    problems += 1
                f(np.empty(0), np.empty(0))
                f(SPEC[:, None], SPEC[None, :])
    except (FloatingPointError, RuntimeWarning) as exc:
        problems += 1
        print('  problem: warning/exception raised:', exc)
    finally:
        np.seterr(**old)
    print(f'  {problems} problem(s)')


# ------------------------------------------------------------- timing
def timeit(f, *args) -> float:
    best = np.inf
    for _ in range(3):
        t = time.perf_counter()
        f(*args)
        best = min(best, time.perf_counter() - t)
    return best * 1e3


TIMINGS: list[tuple[str, str, float, float]] = []


def timing() -> None:
    n = 10 ** 6
    r = np.random.default_rng(1)
    u = lambda a, b: r.uniform(a, b, n)  # noqa: E731
    cases = [
        ('erf', 'U(-6, 6)', K.erf, sc.erf, (u(-6, 6),)),
        ('erfc', 'U(-6, 28)', K.erfc, sc.erfc, (u(-6, 28),)),
        ('erfcx', 'U(-20, 50)', K.erfcx, sc.erfcx, (u(-20, 50),)),
        ('ndtr', 'U(-40, 10)', K.ndtr, sc.ndtr, (u(-40, 10),)),
        ('log_ndtr', 'U(-50, 40)', K.log_ndtr, sc.log_ndtr, (u(-50, 40),)),
        ('erfinv', 'U(-1, 1)', K.erfinv, sc.erfinv, (u(-1, 1),)),
        ('erfcinv', 'U(0, 2)', K.erfcinv, sc.erfcinv, (u(0, 2),)),
        ('ndtri', 'U(0, 1)', K.ndtri, sc.ndtri, (u(0, 1),)),
        ('ndtri', '10^U(-300, 0)', K.ndtri, sc.ndtri, (10 ** u(-300, 0),)),
        ('lgamma', 'U(-10, 50)', K.lgamma, sc.gammaln, (u(-10, 50),)),
        ('gamma', 'U(-10, 170)', K.gamma, sc.gamma, (u(-10, 170),)),
        ('gammasgn', 'U(-10, 10)', K.gammasgn, sc.gammasgn, (u(-10, 10),)),
        ('digamma', 'U(-10, 50)', K.digamma, sc.digamma, (u(-10, 50),)),
        ('polygamma', 'n in 1..10, x ~ U(0, 50)', K.polygamma, sc.polygamma, (r.integers(1, 11, n).astype(float), u(0, 50))),
        ('zeta', 's ~ U(1, 60), q ~ U(0, 50)', K.zeta, sc.zeta, (u(1, 60), u(0, 50))),
        ('zeta', 's ~ U(1, 60), q ~ U(0, 1e6)', K.zeta, sc.zeta, (u(1, 60), u(0, 1e6))),
        ('i0e', 'U(-50, 50)', K.i0e, sc.i0e, (u(-50, 50),)),
        ('i1e', 'U(-50, 50)', K.i1e, sc.i1e, (u(-50, 50),)),
        ('i1', 'U(-700, 700)', K.i1, sc.i1, (u(-700, 700),)),
    ]
    print('\nTiming, 1e6 float64 elements, best of 3 (ms):')
    print(f'  {"function":10s} {"input":28s} {"kernels":>9s} {"scipy":>9s} {"ratio":>7s}')
    for name, dist, kf, sf, args in cases:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            tk, ts = timeit(kf, *args), timeit(sf, *args)
        TIMINGS.append((name, dist, tk, ts))
        print(f'  {name:10s} {dist:28s} {tk:9.1f} {ts:9.1f} {tk / ts:7.1f}')


ALL = {'erf': acc_erf, 'erfc': acc_erfc, 'erfcx': acc_erfcx, 'ndtr': acc_ndtr, 'log_ndtr': acc_log_ndtr,
       'erfinv': acc_erfinv, 'erfcinv': acc_erfcinv, 'ndtri': acc_ndtri, 'lgamma': acc_lgamma,
       'gamma': acc_gamma, 'digamma': acc_digamma, 'polygamma': acc_polygamma, 'zeta': acc_zeta,
       'bessel': acc_bessel}


def main() -> None:
    names = [a for a in sys.argv[1:] if not a.startswith('--')] or list(ALL)
    print('Accuracy vs mpmath (40 digits):')
    for nm in names:
        if nm in ALL:
            ALL[nm]()
    if not [a for a in sys.argv[1:] if not a.startswith('--')]:
        special_values()
        conventions()
    if '--no-time' not in sys.argv:
        timing()


if __name__ == '__main__':
    main()
