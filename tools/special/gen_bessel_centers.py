"""Generate the expansion centres of functrace/primitives/_bessel_kernels.py.

Between the power series at 0 and the Hankel expansion (x >= 25), J0/J1 and Y0/Y1 are
Taylor series of the Bessel equation around centres ``a`` whose coefficients the kernel
builds from J0(a) and J1(a) (Y0(a), Y1(a)) by the equation's recurrence.  The centres are
the zeros of J0 and J1 (of Y0 and Y1), so that each function is, next to its zero, a series
whose constant term is exactly 0 and keeps its relative accuracy; where two zeros are too far
apart for the series to converge fast (half-width over ``a`` above 0.4), midpoints are added.
Each centre is printed as (a_hi, a_lo, f0(a), f1(a)): a = a_hi + a_lo to about 1e-32, and the
function values rounded to double (exact zeros at the zeros).

    python tools/special/gen_bessel_centers.py

Needs mpmath (the library does not).
"""
from __future__ import annotations

from collections.abc import Callable

import mpmath as mp

mp.mp.dps = 50
RATIO = 0.4      # largest |x - a| / a inside a centre's interval
ASYMPTOTIC = 25  # the Hankel expansion takes over here


def _zeros(f: Callable[[object], object], lo: float, hi: float) -> list[object]:
    """The zeros of f in (lo, hi), bracketed on a grid of step 0.05 and refined."""
    out = []
    x = mp.mpf(lo)
    step = mp.mpf("0.05")
    while x < hi:
        if mp.sign(f(x)) != mp.sign(f(x + step)):
            out.append(mp.findroot(f, (x, x + step), solver="anderson"))
        x += step
    return out


def centres(f0: Callable[[object], object], f1: Callable[[object], object],
            lo: float) -> list[tuple[float, float, float, float]]:
    cs = sorted(_zeros(f0, lo, ASYMPTOTIC + 2) + _zeros(f1, lo, ASYMPTOTIC + 2))
    cs = [c for c in cs if c < ASYMPTOTIC + 1.6]
    while True:
        mids = [(p + q) / 2 for p, q in zip(cs[:-1], cs[1:], strict=True)]
        bounds = [mp.mpf(lo), *mids, mp.mpf(ASYMPTOTIC)]
        bad = [(i, side) for i, c in enumerate(cs)
               for side, b in ((0, bounds[i]), (1, bounds[i + 1])) if abs(b - c) / c > RATIO]
        if not bad:
            break
        i, side = bad[0]
        cs.insert(i + side, (cs[i] + (cs[i + 1] if side else bounds[i])) / 2)
    if (cs[-2] + cs[-1]) / 2 >= ASYMPTOTIC:  # a last centre past the Hankel range
        cs.pop()
    out = []
    for c in cs:
        hi = float(c)
        v0 = 0.0 if abs(f0(c)) < mp.mpf(10) ** -40 else float(f0(c))
        v1 = 0.0 if abs(f1(c)) < mp.mpf(10) ** -40 else float(f1(c))
        out.append((hi, float(c - hi), v0, v1))
    return out


def main() -> None:
    for name, f0, f1, lo in (("_J_CENTRES", mp.j0, mp.j1, 1.5),
                             ("_Y_CENTRES", lambda v: mp.bessely(0, v),
                              lambda v: mp.bessely(1, v), 0.6)):
        print(f"{name} = (")
        for row in centres(f0, f1, lo):
            print("    (" + ", ".join(repr(v) for v in row) + "),")
        print(")")


if __name__ == "__main__":
    main()
