"""Compare functrace.random with jax.random, bit for bit, on many keys, shapes and dtypes.

Usage (needs jax):  python tools/random/compare_with_jax.py [substring ...]

Prints each comparison that is not bit-identical and a summary; with substrings, runs only the
cases whose names contain one of them.  Also sweeps the XLA:CPU kernels of
functrace.primitives.xla_math over a million arguments each against JAX's functions.
docs/random.md reports its results.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

import functrace.random as fr
from functrace.primitives import xla_math

jax.config.update("jax_enable_x64", True)
jr = jax.random

SEEDS = (0, 1, 42, 2 ** 40 + 7, -3)
SHAPES = ((), (1,), (7,), (3, 5), (1000,))
FLOATS = (np.float32, np.float64)


def _same(a: Any, b: Any) -> str | None:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"shape/dtype {a.shape}{a.dtype} vs {b.shape}{b.dtype}"
    eq = (a == b) | ((a != a) & (b != b))
    if a.dtype.kind == "f":
        eq &= np.signbit(a) == np.signbit(b)
    return None if eq.all() else f"{(~eq).sum()} of {a.size} entries differ"


def cases() -> dict[str, Callable[[Any, Any], Any]]:
    out: dict[str, Callable[[Any, Any], Any]] = {}
    for s in SHAPES:
        out[f"split{s}"] = lambda m, k, s=s: m.split(k, s if s else 2)
        for dt in ("uint8", "uint16", "uint32", "uint64"):
            out[f"bits{s}{dt}"] = lambda m, k, s=s, dt=dt: m.bits(k, s, dt)
        for dt in FLOATS:
            n = np.dtype(dt).name
            out[f"uniform{s}{n}"] = lambda m, k, s=s, dt=dt: m.uniform(k, s, dt)
            out[f"uniform_range{s}{n}"] = lambda m, k, s=s, dt=dt: m.uniform(k, s, dt, -2.5, 3.7)
            out[f"normal{s}{n}"] = lambda m, k, s=s, dt=dt: m.normal(k, s, dt)
            out[f"exponential{s}{n}"] = lambda m, k, s=s, dt=dt: m.exponential(k, s, dt)
            out[f"gumbel{s}{n}"] = lambda m, k, s=s, dt=dt: m.gumbel(k, s, dt)
            out[f"gumbel_high{s}{n}"] = lambda m, k, s=s, dt=dt: m.gumbel(k, s, dt, mode="high")
            out[f"laplace{s}{n}"] = lambda m, k, s=s, dt=dt: m.laplace(k, s, dt)
            out[f"logistic{s}{n}"] = lambda m, k, s=s, dt=dt: m.logistic(k, s, dt)
            out[f"cauchy{s}{n}"] = lambda m, k, s=s, dt=dt: m.cauchy(k, s, dt)
            out[f"truncated_normal{s}{n}"] = lambda m, k, s=s, dt=dt: m.truncated_normal(
                k, -1.5, 0.7, s, dt)
            out[f"truncated_normal_tail{s}{n}"] = lambda m, k, s=s, dt=dt: m.truncated_normal(
                k, 2.0, 9.0, s, dt)
            out[f"rayleigh{s}{n}"] = lambda m, k, s=s, dt=dt: m.rayleigh(k, 1.5, s, dt)
            out[f"bernoulli{s}{n}"] = lambda m, k, s=s, dt=dt: m.bernoulli(k, dt(0.3), s)
            out[f"bernoulli_high{s}{n}"] = lambda m, k, s=s, dt=dt: m.bernoulli(
                k, dt(0.3), s, mode="high")
            out[f"geometric{s}{n}"] = lambda m, k, s=s, dt=dt: m.geometric(k, dt(0.3), s)
        for dt in ("int8", "uint8", "int16", "int32", "uint32", "int64", "uint64"):
            lo = -5 if dt[0] == "i" else 3
            out[f"randint{s}{dt}"] = lambda m, k, s=s, dt=dt, lo=lo: m.randint(k, s, lo, 100, dt)
            hi = 255 if "8" in dt else 2 ** 31
            out[f"randint_wide{s}{dt}"] = lambda m, k, s=s, dt=dt, hi=hi: m.randint(k, s, 0, hi,
                                                                                    dt)
        out[f"rademacher{s}"] = lambda m, k, s=s: m.rademacher(k, s)
        out[f"choice{s}"] = lambda m, k, s=s: m.choice(k, 10, s)
        out[f"choice_p{s}"] = lambda m, k, s=s: m.choice(k, 4, s, p=np.array([.1, .2, .3, .4]))
        out[f"categorical{s}"] = lambda m, k, s=s: m.categorical(
            k, np.log(np.array([0.1, 0.2, 0.3, 0.4])), shape=s)
        out[f"poisson{s}"] = lambda m, k, s=s: m.poisson(k, 4.5, s)
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 3))
    p1000 = rng.random(1000)
    out.update({
        "randint_int64_full": lambda m, k: m.randint(k, (50,), -2 ** 63, 2 ** 63 - 1),
        "fold_in": lambda m, k: m.fold_in(k, 123456),
        "fold_in_max": lambda m, k: m.fold_in(k, 2 ** 32 - 1),
        "permutation_2000": lambda m, k: m.permutation(k, 2000),
        "permutation_axis1": lambda m, k: m.permutation(k, np.arange(12.0).reshape(3, 4), 1),
        "choice_no_replace_axis1": lambda m, k: m.choice(k, np.arange(12.0).reshape(3, 4), (3,),
                                                         replace=False, axis=1),
        "choice_p_1000": lambda m, k: m.choice(k, 1000, (100,), p=p1000),
        "categorical_axis0": lambda m, k: m.categorical(k, logits, axis=0),
        "categorical_no_replace": lambda m, k: m.categorical(k, logits[:2], shape=(3, 2),
                                                             replace=False),
    })
    for n, m, batch in ((3, None, ()), (4, None, (2,)), (3, 5, ()), (8, None, ())):
        out[f"orthogonal{n}x{m}{batch}"] = lambda mod, k, n=n, m=m, b=batch: mod.orthogonal(
            k, n, b, m=m)
    for seed_dtype in (np.int8, np.int16, np.uint8, np.int32, np.uint32, np.uint64):
        out[f"PRNGKey_{np.dtype(seed_dtype).name}"] = lambda m, k, t=seed_dtype: m.split(
            m.PRNGKey(t(-3 if np.dtype(t).kind == "i" else 200)))
    for d in (2, 3):
        a = np.random.default_rng(d).standard_normal((d, d))
        cov, mean = a @ a.T + d * np.eye(d), np.arange(d, dtype=float)
        for method in ("cholesky", "eigh", "svd"):
            out[f"mvn{d}_{method}"] = lambda m, k, c=cov, mu=mean, me=method: \
                m.multivariate_normal(k, mu, c, (4,), method=me)
    return out


def kernels() -> tuple[int, int]:
    """Each kernel on a million arguments per dtype: (mismatching entries, entries)."""
    rng = np.random.default_rng(7)
    pairs = {"log": (xla_math.xla_log, jax.numpy.log, lambda u: u ** 4 * 1e3),
             "log1p": (xla_math.xla_log1p, jax.numpy.log1p, lambda u: u * 3 - 1),
             "erf": (xla_math.xla_erf, jax.lax.erf, lambda u: (u - 0.5) * 8),
             "erf_inv": (xla_math.xla_erf_inv, jax.lax.erf_inv, lambda u: u * 2 - 1),
             "tan": (xla_math.xla_tan, jax.numpy.tan, lambda u: (u - 0.5) * 3.2)}
    bad = total = 0
    for name, (ours, theirs, make) in pairs.items():
        for dt in FLOATS:
            x = make(rng.random(10 ** 6)).astype(dt)
            msg = _same(ours(x), jax.jit(theirs)(x))
            total += x.size
            if msg:
                bad += int(msg.split()[0])
                print(f"FAIL kernel {name} {np.dtype(dt).name}: {msg}")
    return bad, total


def main(only: list[str]) -> None:
    fails = total = 0
    for name, case in cases().items():
        if only and not any(o in name for o in only):
            continue
        for seed in SEEDS:
            total += 1
            msg = _same(case(fr, fr.PRNGKey(seed)), case(jr, jr.PRNGKey(seed)))
            if msg:
                fails += 1
                print(f"FAIL {name} seed={seed}: {msg}")
    print(f"{total - fails} of {total} sampler comparisons bit-identical")
    if not only:
        bad, n = kernels()
        print(f"kernels: {n - bad} of {n} values bit-identical")


if __name__ == "__main__":
    main(sys.argv[1:])
