"""Accuracy of functrace/primitives/_integral_kernels.py against
40-digit mpmath references on random grids that span each function's range, tails included,
in ulps of the exact result; and the largest difference from scipy.special on the same grid.

    python tools/special/check_integral_accuracy.py [points per function, default 3000]

Needs mpmath and scipy (the library does not).  Prints one line per function: the worst error
in ulps against mpmath, where it occurred, and the worst relative difference from SciPy.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

import mpmath as mp
import numpy as np
import scipy.special as ss

from functrace.primitives import _integral_kernels as ik

mp.mp.dps = 40
EPS = 2.0 ** -52


def _grid(rng: np.random.Generator, n: int, lo: float, hi: float, log: bool) -> np.ndarray:
    if log:
        return np.asarray(10.0 ** rng.uniform(np.log10(lo), np.log10(hi), n))
    return np.asarray(rng.uniform(lo, hi, n))


def _ulps(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """|got - ref| in units of the spacing of doubles at ref (relative error / 2^-52)."""
    scale = np.maximum(np.abs(ref), np.finfo(np.float64).tiny)
    return np.asarray(np.abs(got - ref) / (scale * EPS))


def report(name: str, got: np.ndarray, mp_fn: Callable[..., object], args: tuple[np.ndarray, ...],
           scipy_vals: np.ndarray | None) -> None:
    ref = np.array([float(mp_fn(*[mp.mpf(float(a[j])) for a in args]))  # type: ignore[arg-type]
                    for j in range(args[0].size)])
    ok = np.isfinite(ref) & (ref != 0)
    err = _ulps(got[ok], ref[ok])
    j = int(np.argmax(err))
    where = ", ".join(f"{a[ok][j]:.6g}" for a in args)
    line = f"{name:12s} max {err[j]:6.2f} ulp at ({where}), median {np.median(err):.2f}"
    if scipy_vals is not None:
        d = np.abs(got[ok] - scipy_vals[ok]) / np.abs(ref[ok])
        line += f"; vs scipy max rel diff {np.nanmax(d):.2e}"
    print(line, flush=True)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rng = np.random.default_rng(20261129)

    x = np.concatenate([_grid(rng, n // 2, 1e-300, 700.0, True), _grid(rng, n // 2, 0, 5, False)])
    report("exp1", ik.exp1(x), mp.e1, (x,), ss.exp1(x))
    xe = np.concatenate([x[x < 716], -x, [0.3725074107813666, 0.37250741078136664]])
    report("expi", ik.expi(xe), mp.ei, (xe,), ss.expi(xe))
    for order in (0, 1, 2, 3, 7, 30, 200):
        m = np.full(x.size, float(order))
        report(f"expn n={order}", ik.expn(m, x), lambda v, u: mp.expint(int(v), u), (m, x),
               ss.expn(order, x))
    xd = np.concatenate([_grid(rng, n // 2, 1e-300, 1e300, True), _grid(rng, n // 2, 0, 12, False)])
    report("dawsn", ik.dawsn(xd),
           lambda v: mp.sqrt(mp.pi) / 2 * mp.exp(-v * v) * mp.erfi(v), (xd,), ss.dawsn(xd))
    xf = np.concatenate([_grid(rng, n // 2, 1e-300, 1e18, True), _grid(rng, n // 2, 0, 6, False)])
    s, c = ss.fresnel(xf)
    report("fresnel S", ik.fresnel_s(xf), mp.fresnels, (xf,), s)
    report("fresnel C", ik.fresnel_c(xf), mp.fresnelc, (xf,), c)
    xs = np.concatenate([_grid(rng, n // 2, 1e-300, 1e300, True), _grid(rng, n // 2, 0, 4, False),
                         1.0 + _grid(rng, 200, 1e-15, 1e-3, True)])
    report("spence", ik.spence(xs), lambda v: mp.polylog(2, 1 - v), (xs,), ss.spence(xs))


if __name__ == "__main__":
    main()
