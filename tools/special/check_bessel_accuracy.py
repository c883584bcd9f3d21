"""Accuracy of functrace/primitives/_bessel_kernels.py against 40-digit mpmath references on
random grids, and the largest difference from scipy.special on the same grid.

    python tools/special/check_bessel_accuracy.py [points per range, default 1000]

Needs mpmath and scipy (the library does not).  An oscillating function's relative error
grows without bound at its zeros unless the kernel tracks them, so each line gives three
numbers, in units of 2^-52:

* ``rel``: the worst relative error over the whole grid, which includes points within 1e-9
  (below x = 25) and 1e-6 (above) of zeros, where |f| is down to 1e-10 of its envelope;
* ``rel away``: the same where |f| > 1e-3 of the envelope sqrt(2 / (pi max(x, n)));
* ``abs``: the worst error relative to max(|f|, envelope), the absolute accuracy near zeros.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

import mpmath as mp
import numpy as np
import scipy.special as ss

from functrace.primitives import _bessel_kernels as bk

mp.mp.dps = 40
EPS = 2.0 ** -52


def _exact(mp_fn: Callable[[float], object], v: float) -> float:
    """mpmath's value (NaN where its hypergeometric sum gives up: a few huge arguments)."""
    try:
        return float(mp.re(mp_fn(mp.mpf(v))))  # type: ignore[arg-type]
    except ValueError:
        return float("nan")


def report(name: str, got: np.ndarray, mp_fn: Callable[[float], object], x: np.ndarray,
           order: float, scipy_vals: np.ndarray) -> None:
    ref = np.array([_exact(mp_fn, float(v)) for v in x])
    ok = np.isfinite(ref) & (np.abs(ref) > 1e-290)
    got, ref, x, scipy_vals = got[ok], ref[ok], x[ok], scipy_vals[ok]
    env = np.sqrt(2.0 / (np.pi * np.maximum(x, max(order, 1e-300))))
    rel = np.abs(got - ref) / np.abs(ref) / EPS
    away = np.abs(ref) > 1e-3 * env
    absolute = np.abs(got - ref) / np.maximum(np.abs(ref), env) / EPS
    j = int(np.argmax(rel))
    k = int(np.argmax(np.where(away, rel, 0.0)))
    scipy_abs = np.abs(scipy_vals - ref) / np.maximum(np.abs(ref), env) / EPS
    print(f"{name:10s} rel {rel[j]:10.3g} (x={x[j]:.6g}), rel away {rel[k]:6.2f} "
          f"(x={x[k]:.6g}), abs {absolute.max():6.2f}; scipy: rel away "
          f"{np.max(np.where(away, np.abs(scipy_vals - ref) / np.abs(ref), 0)) / EPS:.3g}, "
          f"abs {np.max(scipy_abs):.3g}", flush=True)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rng = np.random.default_rng(20261129)
    zeros = [float(z) for k in range(1, 60, 3)
             for z in (mp.besseljzero(0, k), mp.besseljzero(1, k), mp.besselyzero(0, k),
                       mp.besselyzero(1, k))]
    near = np.array([z + s * (1e-9 if z < 25 else 1e-6) for z in zeros for s in (-1, 1)])
    x = np.concatenate([10.0 ** rng.uniform(-8, 4, n), rng.uniform(0, 30, n),
                        10.0 ** rng.uniform(4, 14.5, n // 4), near])
    for name, ours, theirs, ref, order in (
            ("j0", bk.j0, ss.j0, mp.j0, 0), ("j1", bk.j1, ss.j1, mp.j1, 1),
            ("y0", bk.y0, ss.y0, lambda v: mp.bessely(0, v), 0),
            ("y1", bk.y1, ss.y1, lambda v: mp.bessely(1, v), 1)):
        report(name, ours(x), ref, x, order, theirs(x))
    for order in (2, 5, 10, 30, 100, 1000):
        v = np.concatenate([10.0 ** rng.uniform(-2, 4, n // 4),
                            order * rng.uniform(0.5, 2.0, n // 4)])
        m = np.full(v.size, float(order))
        report(f"jn n={order}", bk.jn(m, v), lambda u, o=order: mp.besselj(o, u), v, order,
               ss.jn(order, v))
        report(f"yn n={order}", bk.yn(m, v), lambda u, o=order: mp.bessely(o, u), v, order,
               ss.yn(order, v))


if __name__ == "__main__":
    main()
