"""Generate the polynomial coefficients used in functrace/primitives/_special_kernels.py.

Every approximation is a polynomial in a (possibly transformed) variable,
obtained by interpolating the target function at Chebyshev nodes in high
precision (mpmath, 50 digits), converting the Chebyshev series to powers of
``v - center`` and rounding to float64.  The script then evaluates the rounded
polynomial in float64 (Horner) on a dense grid and reports the maximum error
relative to the target, in units of 2**-52.

Usage:  python tools/special/gen_special_coeffs.py            # prints all tables
        python tools/special/gen_special_coeffs.py NAME ...   # only the named tables

Needs mpmath and numpy (not needed by functrace/primitives/_special_kernels.py at run time).
"""
from __future__ import annotations

import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 50
E = mp.mpf
EPS = 2.0 ** -52


def cheb_interp(f, a, b, deg):
    """Chebyshev coefficients of the degree-`deg` interpolant of f on [a, b]."""
    n = deg + 1
    a, b = E(a), E(b)
    th = [mp.pi * (j + E(0.5)) / n for j in range(n)]
    vals = [f((b - a) / 2 * mp.cos(t) + (a + b) / 2) for t in th]
    return [2 * mp.fsum(v * mp.cos(k * t) for v, t in zip(vals, th, strict=True)) / n
            for k in range(n)]


def cheb_to_shifted_monomial(c, a, b, center):
    """Convert sum c_k T_k(tau), tau = (v - mid)/h, to powers of d = v - center."""
    a, b, center = E(a), E(b), E(center)
    mid, h = (a + b) / 2, (b - a) / 2
    n = len(c)
    # monomial coefficients in tau (ascending)
    T = [[E(1)], [E(0), E(1)]]
    for k in range(2, n):
        nxt = [E(0)] + [2 * x for x in T[k - 1]]
        for i, x in enumerate(T[k - 2]):
            nxt[i] -= x
        T.append(nxt)
    p = [E(0)] * n
    p[0] -= c[0] / 2
    for k in range(n):
        for i, x in enumerate(T[k]):
            p[i] += c[k] * x
    # tau = alpha*d + beta
    alpha, beta = 1 / h, (center - mid) / h
    out = [E(0)] * n
    for coef in reversed(p):                 # Horner in polynomial arithmetic
        new = [E(0)] * n
        for i in range(n - 1):
            new[i + 1] += out[i] * alpha
        for i in range(n):
            new[i] += out[i] * beta
        new[0] += coef
        out = new
    return out                               # ascending powers of d


def fit(f, a, b, deg, center):
    c = cheb_interp(f, a, b, deg)
    mono = cheb_to_shifted_monomial(c, a, b, center)
    return [float(x) for x in reversed(mono)]  # highest degree first


def horner(coeffs, d):
    r = np.full_like(d, coeffs[0])
    for c in coeffs[1:]:
        r = r * d + c
    return r


def max_err(coeffs, f, a, b, center, npts=2000):
    """Max |p(v) - f(v)| / |f(v)| in units of 2^-52 over a grid of doubles."""
    v = np.linspace(a, b, npts)
    d = v - center
    p = horner(coeffs, d)
    worst = 0.0
    for vi, pi in zip(v, p, strict=True):
        ex = f(E(float(vi)))
        worst = max(worst, float(abs((E(float(pi)) - ex) / ex)) / EPS)
    return worst


# ---------------------------------------------------------------- targets
def erfcx(x):
    return mp.exp(x * x) * mp.erfc(x)


def erf_over_x(u):                     # erf(x)/x, u = x^2
    return mp.erf(mp.sqrt(u)) / mp.sqrt(u) if u > 0 else 2 / mp.sqrt(mp.pi)


def erfcx_asym(u):                     # x*erfcx(x), u = 1/x^2
    if u == 0:
        return 1 / mp.sqrt(mp.pi)
    x = 1 / mp.sqrt(u)
    return x * erfcx(x)


def erfinv_over_y(u):                  # erfinv(y)/y, u = y^2
    return mp.erfinv(mp.sqrt(u)) / mp.sqrt(u) if u > 0 else mp.sqrt(mp.pi) / 2


def erfcinv_of_s(s):                   # erfcinv(exp(-s^2))
    w = mp.exp(-s * s)
    if w > E('1e-20'):
        return mp.erfinv(1 - w)
    return mp.findroot(lambda x: mp.log(mp.erfc(x)) + s * s, s)


def lgamma1_over_t(t):                 # lgamma(1+t)/t
    return mp.loggamma(1 + t) / t if abs(t) > E('1e-30') else -mp.euler


def lgamma2_over_t(t):                 # lgamma(2+t)/t
    return mp.loggamma(2 + t) / t if abs(t) > E('1e-30') else 1 - mp.euler


def stirling_resid(u):                 # x*(lgamma(x) - (x-1/2)log x + x - log(2pi)/2), u=1/x^2
    if u == 0:
        return E(1) / 12
    x = 1 / mp.sqrt(u)
    return x * (mp.loggamma(x) - ((x - E(0.5)) * mp.log(x) - x + mp.log(2 * mp.pi) / 2))


X0 = mp.findroot(mp.digamma, E('1.4616321449683623'))
U0 = X0 - 1
U0_HI = float(U0)
U0_LO = float(U0 - E(U0_HI))


def digamma1_over_root(u):             # psi(1+u)/(u - u0)
    if abs(u - U0) < E('1e-30'):
        return mp.psi(1, 1 + u)
    return mp.digamma(1 + u) / (u - U0)


def digamma_resid(u):                  # x^2*(psi(x) - log x + 1/(2x)), u = 1/x^2
    if u == 0:
        return -E(1) / 12
    x = 1 / mp.sqrt(u)
    return x * x * (mp.digamma(x) - mp.log(x) + 1 / (2 * x))


def i0_of_u(u):
    return mp.besseli(0, mp.sqrt(u))


def i1_over_x(u):
    return mp.besseli(1, mp.sqrt(u)) / mp.sqrt(u) if u > 0 else E(0.5)


def i0e_asym(v):                       # sqrt(x)*exp(-x)*I0(x), v = 1/x
    if v == 0:
        return 1 / mp.sqrt(2 * mp.pi)
    x = 1 / v
    return mp.sqrt(x) * mp.exp(-x) * mp.besseli(0, x)


def i1e_asym(v):
    if v == 0:
        return 1 / mp.sqrt(2 * mp.pi)
    x = 1 / v
    return mp.sqrt(x) * mp.exp(-x) * mp.besseli(1, x)


# name: (function, a, b, degree, center, comment)
TABLES = {
    'ERF_SMALL': (erf_over_x, 0, 0.25, 9, 0, 'erf(x)/x in u = x^2, |x| <= 0.5'),
    'ERFCX_A': (erfcx, 0, 1, 18, 0.5, 'erfcx(x) in d = x - 0.5, x in [0, 1]'),
    'ERFCX_B': (erfcx, 1, 2, 17, 1.5, 'erfcx(x) in d = x - 1.5, x in [1, 2]'),
    'ERFCX_C': (erfcx, 2, 4, 19, 3.0, 'erfcx(x) in d = x - 3, x in [2, 4]'),
    'ERFCX_ASY': (erfcx_asym, 0, 1 / 16, 14, 0, 'x*erfcx(x) in u = 1/x^2, x >= 4'),
    'ERFINV_SMALL': (erfinv_over_y, 0, 0.25, 15, 0, 'erfinv(y)/y in u = y^2, |y| <= 0.5'),
    'ERFCINV_GA': (erfcinv_of_s, 0.8325, 4, 16, 2.4, 'guess erfcinv(exp(-s^2)) in d = s - 2.4, s in [0.8325, 4]'),
    'ERFCINV_GB': (erfcinv_of_s, 4, 27.3, 14, 15.625, 'guess erfcinv(exp(-s^2)) in d = s - 15.625, s in [4, 27.3]'),
    'LGAMMA1': (lgamma1_over_t, -0.25, 0.5, 22, 0.125, 'lgamma(1+t)/t in d = t - 0.125, t in [-0.25, 0.5]'),
    'LGAMMA2': (lgamma2_over_t, -0.5, 0.5, 18, 0, 'lgamma(2+t)/t, t in [-0.5, 0.5]'),
    'STIRLING': (stirling_resid, 0, 1 / 64, 7, 0, 'x*(lgamma(x) - Stirling main part) in u = 1/x^2, x >= 8'),
    'DIGAMMA1': (digamma1_over_root, 0, 1, 22, 0.5, 'psi(1+u)/(u - u0) in d = u - 0.5, u in [0, 1]'),
    'DIGAMMA2': (mp.digamma, 2, 3, 18, 2.5, 'psi(x) in d = x - 2.5, x in [2, 3]'),
    'DIGAMMA_ASY': (digamma_resid, 0, 1 / 100, 7, 0, 'x^2*(psi(x) - log x + 1/(2x)) in u = 1/x^2, x >= 10'),
    'I0_SMALL': (i0_of_u, 0, 64, 17, 0, 'I0(x) in u = x^2, |x| <= 8'),
    'I1_SMALL': (i1_over_x, 0, 64, 17, 0, 'I1(x)/x in u = x^2, |x| <= 8'),
    'I0E_ASY': (i0e_asym, 0, 1 / 8, 23, 0, 'sqrt(x)*i0e(x) in v = 1/x, x >= 8'),
    'I1E_ASY': (i1e_asym, 0, 1 / 8, 23, 0, 'sqrt(x)*i1e(x) in v = 1/x, x >= 8'),
}


def main(names):
    print(f'_DIGAMMA_U0_HI = {U0_HI!r}')
    print(f'_DIGAMMA_U0_LO = {U0_LO!r}')
    for name in names:
        f, a, b, deg, center, comment = TABLES[name]
        co = fit(f, a, b, deg, center)
        err = max_err(co, f, a, b, center)
        print(f'# {comment}; degree {deg}; float64 Horner max rel err {err:.2f} x 2^-52')
        body = ',\n    '.join('%.17g' % c for c in co)
        print(f'_{name} = (\n    {body},\n)')
        sys.stdout.flush()


if __name__ == '__main__':
    main(sys.argv[1:] or list(TABLES))
