"""The Schur decomposition in NumPy: ``a = z t z^H`` with ``z`` orthogonal (unitary) and ``t``
quasi-upper triangular (real matrices: 1x1 and 2x2 diagonal blocks, LAPACK's real Schur form)
or upper triangular (complex matrices).  NumPy exposes no Schur routine, so this is the QR
algorithm (Golub and Van Loan, *Matrix Computations*, 4th ed., sections 7.4 and 7.5):

1. reduction to upper Hessenberg form by Householder reflectors (``_hessenberg``);
2. real matrices: Francis's implicit double-shift QR step, chasing a 3x3 bulge with
   Householder reflectors; complex matrices: the implicit single-shift step with a Wilkinson
   shift, chasing with Givens rotations.  A sub-diagonal entry below ``eps`` times its two
   diagonal neighbours is set to zero (deflation), and the steps work on the trailing
   unreduced block; exceptional shifts at the 10th and 20th step without deflation break
   cycles;
3. each 2x2 block of a real form is put in LAPACK's standard form (``dlanv2``): an upper
   triangular block for real eigenvalues, otherwise equal diagonal entries and off-diagonal
   entries of opposite signs.

Every transformation is applied to the whole of ``t`` and accumulated in ``z``, so ``t`` is
the Schur form of ``a`` itself.  The work is ``O(n^3)`` in Python loops of NumPy row and
column operations (about ``10 n^3`` flops); it is meant for the moderate sizes a user calls
``schur`` on.  Float32 and complex64 matrices are computed in double precision and rounded.
"""

from __future__ import annotations

import math

import numpy as np

_EPS = np.finfo(np.float64).eps


class SchurConvergenceError(np.linalg.LinAlgError):
    """The QR algorithm took more than ``30 n`` steps (LAPACK's limit) without finishing."""


def schur(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(t, z)`` for each square matrix of the stack ``a`` (real: the real Schur form;
    complex: the complex one), in ``a``'s dtype.  Non-finite matrices give NaN results."""
    a = np.asarray(a)
    work = np.complex128 if a.dtype.kind == "c" else np.float64
    t = np.empty(a.shape, work)
    z = np.empty(a.shape, work)
    for index in np.ndindex(*a.shape[:-2]):
        m = a[index].astype(work)
        if not np.all(np.isfinite(m)):
            t[index] = z[index] = np.nan
            continue
        t[index], z[index] = _complex_schur(m) if a.dtype.kind == "c" else _real_schur(m)
    return t.astype(a.dtype), z.astype(a.dtype)


def _hessenberg(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(h, q)`` with ``a = q h q^H`` and ``h`` upper Hessenberg (Householder reflectors)."""
    h = a.copy()
    n = h.shape[0]
    q = np.eye(n, dtype=h.dtype)
    for k in range(n - 2):
        x = h[k + 1:, k]
        alpha = np.linalg.norm(x)
        if alpha == 0 or alpha == abs(x[0]) and np.all(x[1:] == 0):
            continue
        v = x.copy()
        phase = x[0] / abs(x[0]) if x[0] != 0 else 1.0
        v[0] += phase * alpha
        v /= np.linalg.norm(v)
        # P = I - 2 v v^H on rows / columns k+1..n-1.
        h[k + 1:, k:] -= 2 * np.outer(v, np.conj(v) @ h[k + 1:, k:])
        h[:, k + 1:] -= 2 * np.outer(h[:, k + 1:] @ v, np.conj(v))
        q[:, k + 1:] -= 2 * np.outer(q[:, k + 1:] @ v, np.conj(v))
        h[k + 2:, k] = 0
    return h, q


def _deflate(h: np.ndarray, hi: int) -> int:
    """The start ``l`` of the unreduced block ending at row ``hi``: ``h[l, l-1]`` is zero
    (set so when negligible) or ``l == 0``."""
    norm = 0.0
    for l_ in range(hi, 0, -1):
        scale = abs(h[l_ - 1, l_ - 1]) + abs(h[l_, l_])
        if scale == 0:
            if norm == 0:
                norm = float(np.linalg.norm(h[:hi + 1, :hi + 1]))
            scale = norm
        if abs(h[l_, l_ - 1]) <= _EPS * scale:
            h[l_, l_ - 1] = 0
            return l_
    return 0


def _reflector(x: np.ndarray) -> np.ndarray | None:
    """The unit ``v`` with ``(I - 2 v v^T) x`` a multiple of ``e_1``; None if ``x`` is."""
    alpha = np.linalg.norm(x)
    if alpha == 0 or np.all(x[1:] == 0):
        return None
    v = x.copy()
    v[0] += math.copysign(alpha, x[0])
    return v / np.linalg.norm(v)


def _real_schur(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, z = _hessenberg(a)
    n = h.shape[0]
    hi = n - 1
    steps, since = 0, 0
    while hi >= 1:
        l_ = _deflate(h, hi)
        if l_ == hi:  # a 1x1 block
            hi -= 1
            since = 0
            continue
        if l_ == hi - 1:  # a 2x2 block: standard form
            _standardize(h, z, hi - 1)
            hi -= 2
            since = 0
            continue
        steps += 1
        since += 1
        if steps > 30 * n:
            raise SchurConvergenceError("schur: the QR algorithm did not converge.")
        if since in (10, 20):  # exceptional shifts (EISPACK's hqr)
            s = abs(h[hi, hi - 1]) + abs(h[hi - 1, hi - 2])
            total = 2 * h[hi, hi] + 1.5 * s
            product = h[hi, hi] ** 2 + 1.5 * s * h[hi, hi] + s * s
        else:  # the eigenvalues of the trailing 2x2 block
            total = h[hi - 1, hi - 1] + h[hi, hi]
            product = h[hi - 1, hi - 1] * h[hi, hi] - h[hi - 1, hi] * h[hi, hi - 1]
        # The first column of (H - s1)(H - s2), three nonzero entries.
        x = h[l_, l_] * h[l_, l_] + h[l_, l_ + 1] * h[l_ + 1, l_] - total * h[l_, l_] + product
        y = h[l_ + 1, l_] * (h[l_, l_] + h[l_ + 1, l_ + 1] - total)
        w = h[l_ + 1, l_] * h[l_ + 2, l_ + 1]
        for k in range(l_, hi - 1):
            v = _reflector(np.array([x, y, w]))
            if v is not None:
                r = max(l_, k - 1)
                h[k:k + 3, r:] -= 2 * np.outer(v, v @ h[k:k + 3, r:])
                rows = min(k + 3, hi) + 1
                h[:rows, k:k + 3] -= 2 * np.outer(h[:rows, k:k + 3] @ v, v)
                z[:, k:k + 3] -= 2 * np.outer(z[:, k:k + 3] @ v, v)
                if k > l_:
                    h[k + 1:k + 3, k - 1] = 0
            x = h[k + 1, k]
            y = h[k + 2, k]
            if k < hi - 2:
                w = h[k + 3, k]
        v = _reflector(np.array([x, y]))
        if v is not None:
            h[hi - 1:hi + 1, hi - 2:] -= 2 * np.outer(v, v @ h[hi - 1:hi + 1, hi - 2:])
            h[:hi + 1, hi - 1:hi + 1] -= 2 * np.outer(h[:hi + 1, hi - 1:hi + 1] @ v, v)
            z[:, hi - 1:hi + 1] -= 2 * np.outer(z[:, hi - 1:hi + 1] @ v, v)
            h[hi, hi - 2] = 0
    return np.triu(h, -1), z


def _standardize(h: np.ndarray, z: np.ndarray, i: int) -> None:
    """Rotate rows and columns ``i, i+1`` so that the 2x2 block there is in standard form."""
    a, b, c, d, cs, sn = _lanv2(h[i, i], h[i, i + 1], h[i + 1, i], h[i + 1, i + 1])
    rot = np.array([[cs, -sn], [sn, cs]])
    h[i:i + 2, i + 2:] = rot.T @ h[i:i + 2, i + 2:]
    h[:i, i:i + 2] = h[:i, i:i + 2] @ rot
    z[:, i:i + 2] = z[:, i:i + 2] @ rot
    h[i, i], h[i, i + 1], h[i + 1, i], h[i + 1, i + 1] = a, b, c, d


def _sign(x: float) -> float:
    return math.copysign(1.0, x)


def _lanv2(a: float, b: float, c: float, d: float
           ) -> tuple[float, float, float, float, float, float]:
    """LAPACK's ``dlanv2``: ``(a', b', c', d', cs, sn)`` with
    ``[[a, b], [c, d]] = R [[a', b'], [c', d']] R^T``, ``R = [[cs, -sn], [sn, cs]]``, and the
    new block upper triangular (real eigenvalues) or with ``a' == d'`` and ``b' c' < 0``."""
    if c == 0:
        return a, b, c, d, 1.0, 0.0
    if b == 0:  # swap the rows and columns
        return d, -c, 0.0, a, 0.0, 1.0
    if a - d == 0 and _sign(b) != _sign(c):
        return a, b, c, d, 1.0, 0.0
    temp = a - d
    p = 0.5 * temp
    bcmax = max(abs(b), abs(c))
    bcmis = min(abs(b), abs(c)) * _sign(b) * _sign(c)
    scale = max(abs(p), bcmax)
    zz = p / scale * p + bcmax / scale * bcmis
    if zz >= 4 * _EPS:  # real eigenvalues: an upper triangular block
        zz = p + math.copysign(math.sqrt(scale) * math.sqrt(zz), p)
        a = d + zz
        d = d - bcmax / zz * bcmis
        tau = math.hypot(c, zz)
        return a, b - c, 0.0, d, zz / tau, c / tau
    # Complex (or nearly equal real) eigenvalues: make the diagonal entries equal.
    sigma = b + c
    tau = math.hypot(sigma, temp)
    cs = math.sqrt(0.5 * (1 + abs(sigma) / tau))
    sn = -(p / (tau * cs)) * _sign(sigma)
    aa, bb = a * cs + b * sn, -a * sn + b * cs
    cc, dd = c * cs + d * sn, -c * sn + d * cs
    a, b = aa * cs + cc * sn, bb * cs + dd * sn
    c, d = -aa * sn + cc * cs, -bb * sn + dd * cs
    temp = 0.5 * (a + d)
    a = d = temp
    if c != 0:
        if b != 0:
            if _sign(b) == _sign(c):  # real after all: triangularize
                sab, sac = math.sqrt(abs(b)), math.sqrt(abs(c))
                p = math.copysign(sab * sac, c)
                tau = 1 / math.sqrt(abs(b + c))
                a, d = temp + p, temp - p
                b, c = b - c, 0.0
                cs1, sn1 = sab * tau, sac * tau
                cs, sn = cs * cs1 - sn * sn1, cs * sn1 + sn * cs1
        else:
            b, c = -c, 0.0
            cs, sn = -sn, cs
    return a, b, c, d, cs, sn


def _complex_schur(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, z = _hessenberg(a)
    n = h.shape[0]
    hi = n - 1
    steps, since = 0, 0
    while hi >= 1:
        l_ = _deflate(h, hi)
        if l_ == hi:
            hi -= 1
            since = 0
            continue
        steps += 1
        since += 1
        if steps > 30 * n:
            raise SchurConvergenceError("schur: the QR algorithm did not converge.")
        if since in (10, 20):  # an exceptional shift
            mu = h[hi, hi] + 1.5 * abs(h[hi, hi - 1])
        else:  # Wilkinson's: the eigenvalue of the trailing 2x2 block nearer h[hi, hi]
            p, q, r, s = h[hi - 1, hi - 1], h[hi - 1, hi], h[hi, hi - 1], h[hi, hi]
            half = (p - s) / 2
            root = np.sqrt(half * half + q * r)
            mu = s - q * r / (half + root) if abs(half + root) >= abs(half - root) else (
                s - q * r / (half - root) if half - root != 0 else s)
        x, y = h[l_, l_] - mu, h[l_ + 1, l_]
        for k in range(l_, hi):
            norm = math.hypot(abs(x), abs(y))
            if norm != 0:
                g = np.array([[np.conj(x), np.conj(y)], [-y, x]]) / norm
                r0 = max(l_, k - 1)
                h[k:k + 2, r0:] = g @ h[k:k + 2, r0:]
                rows = min(k + 2, hi) + 1
                gh = np.conj(g.T)
                h[:rows, k:k + 2] = h[:rows, k:k + 2] @ gh
                z[:, k:k + 2] = z[:, k:k + 2] @ gh
                if k > l_:
                    h[k + 1, k - 1] = 0
            if k < hi - 1:
                x, y = h[k + 1, k], h[k + 2, k]
    return np.triu(h), z
