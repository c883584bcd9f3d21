"""``sici`` (``_integral_kernels.py``) and ``wofz`` (``_complex_kernels.py``) against mpmath
(40 and 30 digits) on random grids, in ulps, next to ``scipy.special``'s errors; prints the
zeros of Ci below 4 and Ci there, the constants of ``_ci_series``.  Run from the repository
root: ``PYTHONPATH=. python tools/special/check_sici_wofz_accuracy.py``."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import scipy.special as ss

from functrace.primitives import _complex_kernels, _integral_kernels


def rel_ulps(got: np.ndarray, exact: np.ndarray) -> np.ndarray:
    return np.abs(got - exact) / np.abs(exact) / 2.0**-52


def sici() -> None:
    mp.mp.dps = 40
    for guess in (0.6165, 3.3842):
        root = float(mp.findroot(mp.ci, guess))
        print(f"Ci zero {root!r}, Ci there {float(mp.ci(mp.mpf(root)))!r}, "
              f"log {float(mp.log(mp.mpf(root)))!r}")
    rng = np.random.default_rng(1)
    zeros = (0.6165054856207163, 3.3841804225511862)
    x = np.concatenate([10.0 ** rng.uniform(-300, 300, 300), rng.uniform(0, 5, 1500),
                        rng.uniform(4, 60, 500), 10.0 ** rng.uniform(-3, 1, 400),
                        *(z + rng.uniform(-1e-3, 1e-3, 50) for z in zeros)])
    si, ci = _integral_kernels.sin_integral(x), _integral_kernels.cos_integral(x)
    ssi, sci = ss.sici(x)
    want_si = np.array([float(mp.si(mp.mpf(v))) for v in x])
    want_ci = np.array([float(mp.ci(mp.mpf(v))) for v in x])
    print(f"Si: {rel_ulps(si, want_si).max():.2f} ulp (scipy {rel_ulps(ssi, want_si).max():.2f})")
    low = x <= 4
    print(f"Ci, x <= 4: {rel_ulps(ci, want_ci)[low].max():.2f} ulp "
          f"(scipy {rel_ulps(sci, want_ci)[low].max():.3g})")
    envelope = np.maximum(np.abs(want_ci), 1 / np.maximum(x, 1))
    high = x > 4
    print(f"Ci, x > 4: {(np.abs(ci - want_ci) / envelope)[high].max() / 2**-52:.2f} ulp of the "
          f"envelope (scipy {(np.abs(sci - want_ci) / envelope)[high].max() / 2**-52:.2f})")


def wofz() -> None:
    mp.mp.dps = 30
    rng = np.random.default_rng(5)
    r = np.concatenate([rng.uniform(0, 12, 1500), 10.0 ** rng.uniform(-8, 4, 400)])
    theta = np.where(r < 12, rng.uniform(-np.pi, np.pi, r.size), rng.uniform(0, np.pi, r.size))
    theta[:200] = rng.choice([0, np.pi, np.pi / 2, 1e-7, np.pi - 1e-7, -1e-7], 200)
    z = r * np.exp(1j * theta)
    want = np.array([complex(mp.exp(-mp.mpc(v) ** 2) * mp.erfc(-1j * mp.mpc(v))) for v in z])
    ours, theirs = rel_ulps(_complex_kernels.wofz(z), want), rel_ulps(ss.wofz(z), want)
    for name, part in (("upper", z.imag >= 0), ("lower", z.imag < 0)):
        print(f"wofz, {name} half plane: {ours[part].max():.2f} ulp of |w| "
              f"(scipy {theirs[part].max():.2f})")


if __name__ == "__main__":
    sici()
    wofz()
