"""Accuracy of iv and ive (functrace/primitives/_bessel_kernels.py) against 40-digit mpmath
references on random grids of (v, x), and scipy.special's error on the same grid.

    python tools/special/check_iv_accuracy.py [points per range, default 300]

Needs mpmath and scipy (the library does not).  Each line: the worst relative error in
units of 2^-52 over the grid's values above 1e-290 (below, gradual underflow), and where.
"""
from __future__ import annotations

import sys

import mpmath as mp
import numpy as np
import scipy.special as ss

from functrace.primitives import _bessel_kernels as bk

mp.mp.dps = 40
EPS = 2.0 ** -52
# (v range, x range): the series (x <= 25 or x^2 <= 16 (v + 1)), the large-x expansion
# (x >= 25, x >= v^2) and Miller's recurrence between them.
RANGES = [((0, 1), (0, 5)), ((0, 5), (0, 30)), ((0, 5), (20, 700)), ((1, 10), (0, 50)),
          ((5, 30), (20, 1000)), ((10, 100), (0, 200)), ((30, 200), (50, 5000)),
          ((100, 1000), (10, 2000)), ((0, 3), (700, 1e5))]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rng = np.random.default_rng(20261130)
    for (v_lo, v_hi), (x_lo, x_hi) in RANGES:
        v = rng.uniform(v_lo, v_hi, n)
        x = rng.uniform(x_lo, x_hi, n)
        for name, ours, theirs, scaled in (("iv", bk.iv, ss.iv, False),
                                           ("ive", bk.ive, ss.ive, True)):
            ref = np.array([float(mp.besseli(a, b) * (mp.exp(-b) if scaled else 1))
                            for a, b in zip(v, x, strict=True)])
            ok = np.isfinite(ref) & (ref > 1e-290)
            if not np.any(ok):
                continue
            err = np.abs(ours(v, x)[ok] - ref[ok]) / ref[ok] / EPS
            scipy_err = np.abs(theirs(v, x)[ok] - ref[ok]) / ref[ok] / EPS
            j = int(np.argmax(err))
            print(f"{name:4s} v in [{v_lo}, {v_hi}], x in [{x_lo}, {x_hi}]: max {err[j]:6.2f} "
                  f"(v={v[ok][j]:.5g}, x={x[ok][j]:.5g}); scipy {np.max(scipy_err):.3g}",
                  flush=True)


if __name__ == "__main__":
    main()
