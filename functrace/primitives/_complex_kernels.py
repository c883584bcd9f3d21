"""Vectorized complex128 kernel of the Faddeeva function w(z) = exp(-z^2) erfc(-iz), in pure
NumPy.

The conventions of :mod:`functrace.primitives._special_kernels`: array-likes in, each formula
evaluated on the elements of its range only, no floating-point warnings.  No table is fitted:
Weideman's coefficients are computed at import from their definition (an FFT), and the
continued fraction is Laplace's.  The accuracy in the docstring is the maximum against
30-digit mpmath on random grids (``tools/special/check_sici_wofz_accuracy.py``).
"""
from __future__ import annotations

import math

import numpy as np

from functrace.primitives._integral_kernels import dawsn
from functrace.primitives._special_kernels import _idx, _quiet, _split_square

__all__ = ['wofz']

_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_WEIDEMAN_N = 40  # (N = 32, JAX's, is off by up to 1300 ulp; 40 by 4, as 64)
_CF_MIN = 8.0  # |z| from which Laplace's continued fraction takes over
_CF_DEPTH = 20  # (converged to 1 ulp from |z| = 7)


def _weideman_coefficients(n: int) -> tuple[float, np.ndarray]:
    """L and the coefficients a_1..a_n (highest power first) of Weideman's (1994) rational
    approximation w(z) ~ 2 p(Z) / (L - iz)^2 + 1 / (sqrt(pi) (L - iz)), Z = (L + iz) / (L - iz),
    p(Z) = sum a_k Z^(k-1), valid for Im z >= 0.  The a_k are the Fourier coefficients of
    exp(-t^2) (L^2 + t^2) at t = L tan(theta / 2), by an FFT of 4n points, L = sqrt(n / sqrt 2)."""
    m = 2 * n
    k = np.arange(-m + 1, m)
    scale = math.sqrt(n / math.sqrt(2.0))
    t = scale * np.tan(k * math.pi / (2 * m))
    f = np.concatenate([[0.0], np.exp(-t * t) * (scale * scale + t * t)])
    a = np.real(np.fft.fft(np.fft.fftshift(f))) / (2 * m)
    return scale, a[1:n + 1][::-1].copy()


_WEIDEMAN_L, _WEIDEMAN_A = _weideman_coefficients(_WEIDEMAN_N)


def _weideman(z: np.ndarray) -> np.ndarray:
    """w(z) for Im z >= 0, |z| < 8."""
    denom = _WEIDEMAN_L - 1j * z
    big_z = (_WEIDEMAN_L + 1j * z) / denom
    p = np.zeros_like(z)
    for a in _WEIDEMAN_A:
        p = p * big_z + a
    return 2.0 * p / (denom * denom) + _INV_SQRT_PI / denom


def _laplace(z: np.ndarray) -> np.ndarray:
    """w(z) for Im z >= 0, |z| >= 8: i / sqrt(pi) / (z - (1/2) / (z - 1 / (z - (3/2) / ...)))
    evaluated backwards."""
    t = z.copy()
    for k in range(_CF_DEPTH, 0, -1):
        t = z - (0.5 * k) / t
    return (1j * _INV_SQRT_PI) / t


def _exp_minus_square(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The real and imaginary parts of exp(-z^2), with x^2 - y^2 and the phase 2xy free of
    their roundings (which would cost about |z|^2 ulp): exact splits of the squares and
    Dekker's product for xy."""
    x, y = z.real, z.imag
    hx, rx = _split_square(x)
    hy, ry = _split_square(y)
    magnitude = np.exp(hy - hx) * np.exp(ry - rx)
    # xy = p + e exactly (Veltkamp's splits of x and y into 26-bit halves).
    p = x * y
    cx = x * 134217729.0
    xa = cx - (cx - x)
    xb = x - xa
    cy = y * 134217729.0
    ya = cy - (cy - y)
    yb = y - ya
    e = ((xa * ya - p) + xa * yb + xb * ya) + xb * yb
    phase = 2.0 * p
    c, s = np.cos(phase), np.sin(phase)
    # cos and sin of 2p + 2e, to first order in the tiny 2e; a zero part stays zero when the
    # magnitude overflows (inf * 0 would be NaN).
    re, im = c - 2.0 * e * s, -(s + 2.0 * e * c)
    return (np.where(re == 0.0, 0.0, magnitude * re), np.where(im == 0.0, 0.0, magnitude * im))


def _upper(z: np.ndarray) -> np.ndarray:
    """w(z) for Im z >= 0 (finite z)."""
    out = np.empty_like(z)
    far = np.abs(z) >= _CF_MIN
    i = _idx(far)
    out[i] = _laplace(z[i])
    i = _idx(~far)
    out[i] = _weideman(z[i])
    # On the real axis, w(x) = exp(-x^2) + 2i / sqrt(pi) dawsn(x): both parts to a few ulp
    # (the approximations above have a small absolute error there, where Re w = exp(-x^2) is
    # tiny next to Im w for large x).
    i = _idx(z.imag == 0.0)
    x = z.real[i]
    h, r = _split_square(x)  # (exp(-x*x) would carry the rounding of x*x: x^2 ulp)
    out[i] = np.exp(-h) * np.exp(-r) + (2j * _INV_SQRT_PI) * dawsn(x)
    return out


@_quiet
def wofz(z: np.ndarray) -> np.ndarray:
    """The Faddeeva function w(z) = exp(-z^2) erfc(-iz) for complex z.

    Im z >= 0: Weideman's rational approximation with N = 40 for |z| < 8, Laplace's continued
    fraction (depth 20) beyond, exp(-x^2) + 2i dawsn(x) / sqrt(pi) on the real axis;
    Im z < 0: w(z) = 2 exp(-z^2) - w(-z) (which overflows, as SciPy's, for large
    y^2 - x^2).  0 at infinity in the closed upper half plane, inf at -i inf, NaN at other
    infinities and for NaN parts.  Measured max relative error (of |w|) 8 ulp in the upper
    half plane (5.5 off the real axis, where Dawson's integral sets it), 4 ulp in the lower
    one to |z| = 12; SciPy's 118 and 65.
    """
    a = np.asarray(z, dtype=np.complex128)
    shape = a.shape
    z = a.ravel()
    out = np.full_like(z, complex(np.nan, np.nan))
    finite = np.isfinite(z)
    upper = finite & (z.imag >= 0.0)
    i = _idx(upper)
    out[i] = _upper(z[i])
    i = _idx(finite & ~upper)
    re, im = _exp_minus_square(z[i])
    reflected = _upper(-z[i])
    out.real[i] = 2.0 * re - reflected.real  # (by parts: inf + 0j times 2 would be NaN)
    out.imag[i] = 2.0 * im - reflected.imag
    infinite = np.isinf(z.real) | np.isinf(z.imag)
    both = ~(np.isnan(z.real) | np.isnan(z.imag))
    out[infinite & both & (z.imag >= 0.0)] = 0.0
    out[infinite & both & (z.imag == -np.inf) & (z.real == 0.0)] = complex(np.inf, 0.0)
    return out.reshape(shape)
