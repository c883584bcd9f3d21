"""Tests of ``functrace.random``.

* Bit-exactness: every case of ``tests/random_cases.py`` (keys, ``split``, ``fold_in``, each
  sampler, several dtypes and shapes) against the values ``jax.random`` gave for four seeds
  (``tests/random_jax_values.py``, written by ``tools/random/gen_jax_values.py``; JAX is not
  needed here), large results through digests, and the XLA:CPU kernels on dense grids.
* The distributions: moments of large samples.
* Transformations: ``jit`` and ``vmap`` give the eager values; derivatives through the
  parameters (``check_grads``); keys are not differentiable.
* Properties (hypothesis): determinism of ``split``/``fold_in``, bounds of ``uniform`` and
  ``randint``, permutations permute.
* Errors: bad keys, shapes, dtypes and parameters.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from random_cases import (
    CASES,
    CLOSE_CASES,
    DIGEST_CASES,
    KERNELS,
    SEEDS,
    canonical_bytes,
    kernel_grid,
)
from random_jax_values import DIGESTS, KERNEL_DIGESTS, VALUES

import functrace as ft
import functrace.numpy as fnp
from functrace import random
from functrace.errors import ConcretizationError
from functrace.primitives import xla_math
from functrace.testing import check_grads

KEY = random.PRNGKey(1701)


def assert_identical(got: Any, dtype: str, shape: tuple[int, ...], values: list[Any]) -> None:
    got = np.asarray(got)
    assert (got.dtype.name, got.shape) == (dtype, shape)
    want = np.asarray(values, dtype=dtype).reshape(shape)
    same = got == want
    if got.dtype.kind == "f":
        same |= np.isnan(got) & np.isnan(want)
        same &= np.signbit(got) == np.signbit(want)
    assert same.all(), f"{np.sum(~same)} entries differ: {got[~same][:4]} vs {want[~same][:4]}"


# -- bit for bit, as JAX --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("seed", SEEDS)
def test_matches_jax(name: str, seed: int) -> None:
    out = CASES[name](random, random.PRNGKey(seed))
    assert isinstance(out, np.ndarray)
    assert_identical(out, *VALUES[name, seed])


@pytest.mark.parametrize("name", list(CLOSE_CASES))
@pytest.mark.parametrize("seed", SEEDS)
def test_close_to_jax(name: str, seed: int) -> None:
    case, rtol32, rtol64 = CLOSE_CASES[name]
    out = case(random, random.PRNGKey(seed))
    dtype, shape, values = VALUES[name, seed]
    assert (out.dtype.name, out.shape) == (dtype, shape)
    rtol = rtol32 if dtype == "float32" else rtol64
    np.testing.assert_allclose(out, np.asarray(values, dtype).reshape(shape), rtol=rtol)


@pytest.mark.parametrize("name", list(DIGEST_CASES))
@pytest.mark.parametrize("seed", SEEDS)
def test_matches_jax_large(name: str, seed: int) -> None:
    out = DIGEST_CASES[name](random, random.PRNGKey(seed))
    dtype, shape, digest = DIGESTS[name, seed]
    assert (out.dtype.name, out.shape) == (dtype, shape)
    assert hashlib.sha256(canonical_bytes(out)).hexdigest() == digest


_KERNELS = {"log": xla_math.xla_log, "log1p": xla_math.xla_log1p, "erf": xla_math.xla_erf,
            "erf_inv": xla_math.xla_erf_inv, "tan": xla_math.xla_tan}


@pytest.mark.parametrize("name", KERNELS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernels_match_xla(name: str, dtype: str) -> None:
    out = np.asarray(_KERNELS[name](kernel_grid(name, dtype)))
    assert out.dtype == np.dtype(dtype)
    assert hashlib.sha256(canonical_bytes(out)).hexdigest() == KERNEL_DIGESTS[name, dtype]


def test_fma_rounds_once() -> None:
    # (1 + 2**-30)**2 - 1 = 2**-29 + 2**-60: a*b rounds the 2**-60 away, fma keeps it.
    a = np.float64(1 + 2.0 ** -30)
    assert xla_math.fma(a, a, np.float64(-1)) == 2.0 ** -29 + 2.0 ** -60
    assert a * a - 1 == 2.0 ** -29
    a32 = np.float32(1 + 2.0 ** -12)
    assert xla_math.fma(a32, a32, np.float32(-1)) == np.float32(2.0 ** -11 + 2.0 ** -24)


def test_fma_matches_exact_arithmetic() -> None:
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        a, b, c = (rng.standard_normal(300) * 10.0 ** rng.integers(-8, 8, 300) for _ in range(3))
        a, b, c = a.astype(dtype), b.astype(dtype), c.astype(dtype)
        c[:100] = -(a[:100] * b[:100])  # cancellation
        got = np.asarray(xla_math.fma(a, b, c))
        for i in range(300):
            exact = Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i]))
            near = got[i]
            # correctly rounded: no float of the dtype is closer (ties: the even one)
            for other in (np.nextafter(near, dtype(-np.inf)), np.nextafter(near, dtype(np.inf))):
                assert abs(Fraction(float(near)) - exact) <= abs(Fraction(float(other)) - exact)


# -- keys ---------------------------------------------------------------------------------------


def test_keys_are_uint32_pairs() -> None:
    assert random.PRNGKey(0).dtype == np.uint32
    np.testing.assert_array_equal(random.key(5), random.PRNGKey(5))
    np.testing.assert_array_equal(random.PRNGKey(np.int32(-1)), [0, 2 ** 32 - 1])
    np.testing.assert_array_equal(random.PRNGKey(np.int8(-1)), [0, 2 ** 32 - 1])  # as JAX's
    np.testing.assert_array_equal(random.PRNGKey(np.uint8(200)), [0, 200])
    np.testing.assert_array_equal(random.PRNGKey(np.uint64(2 ** 64 - 1)), [2 ** 32 - 1] * 2)
    keys = random.split(KEY, 4)
    assert random.key_data(keys) is not None and random.key_data(keys).shape == (4, 2)
    np.testing.assert_array_equal(random.wrap_key_data(keys), keys)
    np.testing.assert_array_equal(random.clone(KEY), KEY)


def test_fold_in_is_split_by_index() -> None:
    # Partitionable Threefry: fold_in(k, i) hashes the counter (0, i), as split's i-th key does.
    keys = random.split(KEY, 5)
    for i in range(5):
        np.testing.assert_array_equal(random.fold_in(KEY, i), keys[i])


def test_outputs_are_numpy_arrays() -> None:
    for out in (random.normal(KEY), random.randint(KEY, (), 0, 3), random.bernoulli(KEY),
                random.split(KEY), random.bits(KEY)):
        assert isinstance(out, np.ndarray)
    assert random.normal(KEY).shape == ()


# -- distributions ------------------------------------------------------------------------------

N = 40000
_K = random.PRNGKey(2024)

_WEIBULL = (2 * math.gamma(1 + 1 / 1.5),
            4 * (math.gamma(1 + 2 / 1.5) - math.gamma(1 + 1 / 1.5) ** 2))

# name, draw N samples, expected mean, variance and excess kurtosis (which sets the tolerance)
MOMENTS: list[tuple[str, Callable[[], Any], float, float, float]] = [
    ("uniform", lambda: random.uniform(_K, (N,)), 0.5, 1 / 12, -1.2),
    ("uniform_range", lambda: random.uniform(_K, (N,), minval=-2.0, maxval=4.0), 1.0, 3.0, -1.2),
    ("normal", lambda: random.normal(_K, (N,)), 0.0, 1.0, 0.0),
    ("normal_f32", lambda: random.normal(_K, (N,), np.float32), 0.0, 1.0, 0.0),
    ("exponential", lambda: random.exponential(_K, (N,)), 1.0, 1.0, 6.0),
    ("gumbel", lambda: random.gumbel(_K, (N,)), np.euler_gamma, np.pi ** 2 / 6, 2.4),
    ("gumbel_high", lambda: random.gumbel(_K, (N,), mode="high"), np.euler_gamma,
     np.pi ** 2 / 6, 2.4),
    ("laplace", lambda: random.laplace(_K, (N,)), 0.0, 2.0, 3.0),
    ("logistic", lambda: random.logistic(_K, (N,)), 0.0, np.pi ** 2 / 3, 1.2),
    ("truncated_normal", lambda: random.truncated_normal(_K, 0.0, np.inf, (N,)),
     math.sqrt(2 / math.pi), 1 - 2 / math.pi, 0.9),
    ("bernoulli", lambda: random.bernoulli(_K, 0.3, (N,)), 0.3, 0.21, -1.2),
    ("rademacher", lambda: random.rademacher(_K, (N,)), 0.0, 1.0, -1.5),
    ("randint", lambda: random.randint(_K, (N,), -3, 7), 1.5, (10 ** 2 - 1) / 12, -1.2),
    ("choice_p", lambda: random.choice(_K, 4, (N,), p=np.array([0.1, 0.2, 0.3, 0.4])), 2.0,
     1.0, 0.0),
    ("categorical", lambda: random.categorical(_K, np.log(np.array([0.1, 0.2, 0.3, 0.4])),
                                               shape=(N,)), 2.0, 1.0, 0.0),
    ("rayleigh", lambda: random.rayleigh(_K, 2.0, (N,)), 2.0 * math.sqrt(math.pi / 2),
     (4 - math.pi) / 2 * 4, 0.3),
    ("geometric", lambda: random.geometric(_K, 0.25, (N,)), 4.0, 0.75 / 0.0625, 6.1),
    ("maxwell", lambda: random.maxwell(_K, (N,)), 2 * math.sqrt(2 / math.pi),
     (3 * math.pi - 8) / math.pi, 0.1),
    ("gamma", lambda: random.gamma(_K, 2.5, (N,)), 2.5, 2.5, 2.4),
    ("gamma_small", lambda: random.gamma(_K, 0.5, (N,)), 0.5, 0.5, 12.0),
    ("gamma_f32", lambda: random.gamma(_K, 4.0, (N,), np.float32), 4.0, 4.0, 1.5),
    ("loggamma", lambda: np.exp(random.loggamma(_K, 1.5, (N,))), 1.5, 1.5, 4.0),
    ("beta", lambda: random.beta(_K, 2.0, 3.0, (N,)), 0.4, 0.04, -0.6),
    ("chisquare", lambda: random.chisquare(_K, 3.0, (N,)), 3.0, 6.0, 4.0),
    ("t", lambda: random.t(_K, 10.0, (N,)), 0.0, 1.25, 1.0),
    ("f", lambda: random.f(_K, 5.0, 20.0, (N,)), 20 / 18, 18400 / 25920, 8.8),
    ("poisson", lambda: random.poisson(_K, 3.5, (N,)), 3.5, 3.5, 1 / 3.5),
    ("poisson_large", lambda: random.poisson(_K, 50.0, (N,)), 50.0, 50.0, 0.02),
    ("lognormal", lambda: random.lognormal(_K, 0.5, (N,)), math.exp(0.125),
     (math.exp(0.25) - 1) * math.exp(0.25), 5.9),
    ("pareto", lambda: random.pareto(_K, 10.0, (N,)), 10 / 9, 10 / (81 * 8), 14.8),
    ("weibull_min", lambda: random.weibull_min(_K, 2.0, 1.5, (N,)), *_WEIBULL, 1.0),
    ("wald", lambda: random.wald(_K, 2.0, (N,)), 2.0, 8.0, 30.0),  # IG(mu, 1): var mu**3
    ("triangular", lambda: random.triangular(_K, 0.0, 1.0, 4.0, (N,)), 5 / 3,
     (16 + 1 - 4) / 18, -0.6),
    ("double_sided_maxwell", lambda: random.double_sided_maxwell(_K, 1.0, 2.0, (N,)), 1.0,
     12.0, -1 / 3),
    ("generalized_normal_2", lambda: random.generalized_normal(_K, 2.0, (N,)), 0.0, 0.5, 0.0),
    ("generalized_normal_1", lambda: random.generalized_normal(_K, 1.0, (N,)), 0.0, 2.0, 3.0),
    ("generalized_normal_4", lambda: random.generalized_normal(_K, 4.0, (N,)), 0.0,
     math.gamma(0.75) / math.gamma(0.25), -0.81),
    ("binomial", lambda: random.binomial(_K, 20, 0.3, (N,)), 6.0, 4.2, -0.07),
    ("binomial_btrs", lambda: random.binomial(_K, 400.0, 0.7, (N,)), 280.0, 84.0, 0.0),
    ("binomial_float32", lambda: random.binomial(_K, 60.0, np.float32(0.4), (N,), np.float32),
     24.0, 14.4, 0.0),
    ("multinomial_first", lambda: random.multinomial(_K, 30, np.array([0.2, 0.3, 0.5]),
                                                     shape=(N, 3))[:, 0], 6.0, 4.8, 0.0),
    ("multinomial_last", lambda: random.multinomial(_K, 30, np.array([0.2, 0.3, 0.5]),
                                                    shape=(N, 3))[:, 2], 15.0, 7.5, 0.0),
]


def _ks_statistic(x: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> float:
    x = np.sort(x)
    f = cdf(x)
    n = len(x)
    return float(max((np.arange(1, n + 1) / n - f).max(), (f - np.arange(n) / n).max()))


def _wald_cdf(x: np.ndarray, mu: float) -> np.ndarray:
    from math import erfc, exp, sqrt  # noqa: PLC0415

    def phi(z: float) -> float:
        return 0.5 * erfc(-z / sqrt(2))
    return np.array([phi(sqrt(1 / v) * (v / mu - 1)) + exp(2 / mu) * phi(-sqrt(1 / v) *
                                                                          (v / mu + 1))
                     for v in x])


def _triangular_cdf(x: np.ndarray, a: float, c: float, b: float) -> np.ndarray:
    return np.where(x <= c, (x - a) ** 2 / ((b - a) * (c - a)),
                    1 - (b - x) ** 2 / ((b - a) * (b - c)))


# Kolmogorov-Smirnov: the largest CDF gap of N samples; 1.95 / sqrt(N) is the 0.1% level.
KS: list[tuple[str, Callable[[], Any], Callable[[np.ndarray], np.ndarray]]] = [
    ("wald", lambda: random.wald(_K, 1.5, (N // 4,)), lambda x: _wald_cdf(x, 1.5)),
    ("triangular", lambda: random.triangular(_K, -1.0, 0.5, 2.0, (N,)),
     lambda x: _triangular_cdf(x, -1.0, 0.5, 2.0)),
    ("generalized_normal_1", lambda: random.generalized_normal(_K, 1.0, (N,)),
     lambda x: np.where(x < 0, 0.5 * np.exp(np.minimum(x, 0)), 1 - 0.5 * np.exp(-np.abs(x)))),
    ("ball_radius", lambda: np.linalg.norm(random.ball(_K, 3, 2, (N,)), axis=-1),
     lambda r: np.clip(r, 0, 1) ** 3),  # uniform in the 3-ball: P(|x| < r) = r**3
    ("ball_l1_radius", lambda: np.abs(random.ball(_K, 2, 1.0, (N,))).sum(-1),
     lambda r: np.clip(r, 0, 1) ** 2),
]


@pytest.mark.parametrize("name, draw, cdf", KS, ids=[k[0] for k in KS])
def test_kolmogorov_smirnov(name: str, draw: Callable[[], Any],
                            cdf: Callable[[np.ndarray], np.ndarray]) -> None:
    x = np.asarray(draw(), np.float64)
    assert _ks_statistic(x, cdf) < 1.95 / math.sqrt(len(x))


def test_multinomial_counts_sum_to_n() -> None:
    n = np.array([5.0, 50.0])
    c = random.multinomial(_K, n, np.array([0.1, 0.0, 0.6, 0.3]), shape=(2, 4))
    assert c.shape == (2, 4)
    np.testing.assert_array_equal(c.sum(-1), [5.0, 50.0])
    assert (c[:, 1] == 0).all() and (c >= 0).all() and (c == np.floor(c)).all()


def test_binomial_support_and_edges() -> None:
    x = random.binomial(_K, np.array([[3.0], [300.0]]), np.array([0.0, 0.2, 1.0]), (2, 3))
    np.testing.assert_array_equal(x[:, 0], 0)
    np.testing.assert_array_equal(x[:, 2], [3.0, 300.0])
    assert (x >= 0).all() and (x <= [[3.0], [300.0]]).all()
    nan_inf = random.binomial(_K, np.array([np.nan, -1.0, np.inf, 3.0]),
                              np.array([0.5, 0.5, 0.5, np.nan]))
    assert np.isnan(nan_inf[[0, 1, 3]]).all() and nan_inf[2] == np.inf


def test_ball_inside_and_dims() -> None:
    for p in (0.5, 1.0, 2.0, 5.0):
        x = random.ball(_K, 4, p, (500,))
        assert x.shape == (500, 4)
        assert (np.sum(np.abs(x) ** p, axis=-1) < 1).all()
    assert random.ball(_K, 0, 2, (3,)).shape == (3, 0)


def test_complex_normal_matches_jax() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    for dtype, rtol in ((np.complex128, 1e-15), (np.complex64, 1e-6)):
        got = random.normal(KEY, (50,), dtype)
        want = np.asarray(jax.random.normal(jax.numpy.asarray(KEY), (50,), dtype))
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=rtol)
    z = random.normal(_K, (N,), np.complex128)
    assert abs(np.mean(np.abs(z) ** 2) - 1) < 0.03 and abs(z.real.var() - 0.5) < 0.02


def test_new_samplers_reproducible_per_key() -> None:
    for f in (lambda k: random.wald(k, 1.0, (3,)), lambda k: random.binomial(k, 30, 0.4, (3,)),
              lambda k: random.ball(k, 2, 2, (3,)),
              lambda k: random.multinomial(k, 9, np.ones(3) / 3)):
        np.testing.assert_array_equal(f(KEY), f(KEY))
        assert not np.array_equal(f(KEY), f(random.PRNGKey(7)))


@pytest.mark.parametrize("name, draw, mean, var, kurtosis", MOMENTS, ids=[m[0] for m in MOMENTS])
def test_moments(name: str, draw: Callable[[], Any], mean: float, var: float,
                 kurtosis: float) -> None:
    x = np.asarray(draw(), dtype=np.float64)
    assert x.shape == (N,)
    # Five standard errors of the sample mean and of the sample variance.
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / N)
    assert abs(x.var() - var) < 5 * var * math.sqrt((kurtosis + 2) / N)


def test_dirichlet_means() -> None:
    alpha = np.array([0.5, 2.0, 3.5])
    x = random.dirichlet(_K, alpha, (N,))
    np.testing.assert_allclose(x.sum(-1), 1.0)
    np.testing.assert_allclose(x.mean(0), alpha / alpha.sum(), atol=0.01)


def test_cauchy_quartiles() -> None:
    x = random.cauchy(_K, (N,))
    np.testing.assert_allclose(np.quantile(x, [0.25, 0.5, 0.75]), [-1, 0, 1], atol=0.05)


def test_multivariate_normal_covariance() -> None:
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    x = random.multivariate_normal(_K, np.array([1.0, -1.0]), cov, (N,))
    np.testing.assert_allclose(x.mean(0), [1.0, -1.0], atol=0.05)
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.06)


def test_permutation_and_choice_without_replacement() -> None:
    x = random.permutation(_K, 100)
    np.testing.assert_array_equal(np.sort(x), np.arange(100))
    assert not np.array_equal(x, np.arange(100))
    c = random.choice(_K, 50, (50,), replace=False)
    np.testing.assert_array_equal(np.sort(c), np.arange(50))
    counts = np.bincount(random.choice(_K, 5, (N,)), minlength=5)
    assert np.all(np.abs(counts / N - 0.2) < 0.02)


@pytest.mark.parametrize("n, m", [(4, None), (3, 5), (5, 2)])
def test_orthogonal_is_orthonormal(n: int, m: int | None) -> None:
    q = random.orthogonal(_K, n, (3,), m=m)
    assert q.shape == (3, n, n if m is None else m)
    small = min(q.shape[-2:])
    gram = q @ np.swapaxes(q, -1, -2) if n <= q.shape[-1] else np.swapaxes(q, -1, -2) @ q
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(small), (3, small, small)),
                               atol=1e-12)


def test_truncated_normal_stays_inside() -> None:
    for lo, hi in [(-0.1, 0.1), (3.0, 3.5), (-np.inf, -4.0)]:
        x = random.truncated_normal(_K, lo, hi, (2000,), np.float32)
        assert np.all((x > lo) & (x < hi))


# -- transformations ----------------------------------------------------------------------------

SAMPLERS: dict[str, Callable[[Any], Any]] = {
    "split": lambda k: random.split(k, 3),
    "fold_in": lambda k: random.fold_in(k, 7),
    "bits": lambda k: random.bits(k, (3,)),
    "uniform": lambda k: random.uniform(k, (2, 2), minval=-1.0, maxval=2.0),
    "normal": lambda k: random.normal(k, (3,)),
    "normal_f32": lambda k: random.normal(k, (3,), np.float32),
    "randint": lambda k: random.randint(k, (4,), 0, 10),
    "randint_u8": lambda k: random.randint(k, (4,), 0, 256, np.uint8),
    "bernoulli": lambda k: random.bernoulli(k, 0.3, (4,)),
    "rademacher": lambda k: random.rademacher(k, (4,)),
    "permutation": lambda k: random.permutation(k, 6),
    "permutation_array": lambda k: random.permutation(k, np.arange(8.0).reshape(4, 2)),
    "choice": lambda k: random.choice(k, 5, (3,)),
    "choice_p": lambda k: random.choice(k, 5, (3,), p=np.full(5, 0.2)),
    "choice_no_replace": lambda k: random.choice(k, 5, (3,), replace=False),
    "categorical": lambda k: random.categorical(k, np.zeros((2, 3))),
    "categorical_no_replace": lambda k: random.categorical(k, np.zeros((2, 3)), shape=(2, 2),
                                                           replace=False),
    "gumbel": lambda k: random.gumbel(k, (3,)),
    "exponential": lambda k: random.exponential(k, (3,)),
    "laplace": lambda k: random.laplace(k, (3,)),
    "logistic": lambda k: random.logistic(k, (3,)),
    "cauchy": lambda k: random.cauchy(k, (3,)),
    "truncated_normal": lambda k: random.truncated_normal(k, -1.0, 2.0, (3,)),
    "multivariate_normal": lambda k: random.multivariate_normal(k, np.zeros(2), np.eye(2), (3,)),
    "rayleigh": lambda k: random.rayleigh(k, 1.0, (3,)),
    "geometric": lambda k: random.geometric(k, 0.3, (3,)),
    "maxwell": lambda k: random.maxwell(k, (3,)),
    "gamma": lambda k: random.gamma(k, np.array([0.5, 2.0, 7.0])),
    "loggamma": lambda k: random.loggamma(k, 0.1, (3,)),
    "beta": lambda k: random.beta(k, 2.0, 3.0, (3,)),
    "dirichlet": lambda k: random.dirichlet(k, np.array([1.0, 2.0, 3.0])),
    "chisquare": lambda k: random.chisquare(k, 4.0, (3,)),
    "t": lambda k: random.t(k, 5.0, (3,)),
    "f": lambda k: random.f(k, 3.0, 5.0, (3,)),
    "poisson": lambda k: random.poisson(k, np.array([0.5, 4.0, 30.0])),
    "lognormal": lambda k: random.lognormal(k, 0.5, (3,)),
    "pareto": lambda k: random.pareto(k, 3.0, (3,)),
    "weibull_min": lambda k: random.weibull_min(k, 2.0, 1.5, (3,)),
    "orthogonal": lambda k: random.orthogonal(k, 3, (2,)),
    "normal_complex": lambda k: random.normal(k, (3,), np.complex128),
    "wald": lambda k: random.wald(k, np.array([0.5, 2.0, 4.0])),
    "triangular": lambda k: random.triangular(k, 0.0, np.array([0.2, 0.5]), 1.0),
    "double_sided_maxwell": lambda k: random.double_sided_maxwell(k, 0.0, np.ones(2)),
    "generalized_normal": lambda k: random.generalized_normal(k, 1.5, (3,)),
    "ball": lambda k: random.ball(k, 3, 1.5, (2,)),
    "binomial": lambda k: random.binomial(k, np.array([5.0, 200.0]), 0.4),
    "multinomial": lambda k: random.multinomial(k, 12, np.array([0.3, 0.3, 0.4])),
}


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_jit_and_vmap_give_the_eager_values(name: str) -> None:
    f = SAMPLERS[name]
    keys = random.split(KEY, 4)
    eager = np.stack([f(k) for k in keys])
    for got in (ft.vmap(f)(keys), ft.jit(ft.vmap(f))(keys), ft.vmap(ft.jit(f))(keys),
                np.stack([ft.jit(f)(k) for k in keys])):
        assert got.dtype == eager.dtype
        np.testing.assert_array_equal(got, eager)


def test_vmap_over_seeds_and_data() -> None:
    seeds = np.arange(-2, 3)
    np.testing.assert_array_equal(ft.vmap(random.PRNGKey)(seeds),
                                  np.stack([random.PRNGKey(int(s)) for s in seeds]))
    data = np.arange(4, dtype=np.uint32)
    np.testing.assert_array_equal(ft.vmap(lambda d: random.fold_in(KEY, d))(data),
                                  np.stack([random.fold_in(KEY, int(d)) for d in data]))


def test_vmap_over_parameters() -> None:
    lows = np.array([-1.0, 0.0, 2.0])
    got = ft.vmap(lambda lo: random.uniform(KEY, (2,), minval=lo, maxval=lo + 1))(lows)
    np.testing.assert_array_equal(got, np.stack([random.uniform(KEY, (2,), minval=lo,
                                                                maxval=lo + 1) for lo in lows]))


GRADS: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("uniform", lambda lo, hi: random.uniform(KEY, (5,), minval=lo, maxval=hi), (-1.0, 2.0)),
    ("uniform_arrays", lambda lo, hi: random.uniform(KEY, (2, 3), minval=lo, maxval=hi),
     (np.array([-1.0, 0.0, 1.0]), np.array([[2.0], [3.0]]))),
    ("normal_reparam", lambda mu, sigma: mu + sigma * random.normal(KEY, (4,)), (0.5, 2.0)),
    ("exponential_rate", lambda rate: random.exponential(KEY, (4,)) / rate, (1.5,)),
    ("gumbel_loc", lambda loc, scale: loc + scale * random.gumbel(KEY, (4,)), (0.0, 1.0)),
    ("truncated_normal", lambda lo, hi: random.truncated_normal(KEY, lo, hi, (5,)),
     (-1.0, 1.5)),
    ("multivariate_normal", lambda m, a: random.multivariate_normal(
        KEY, m, a @ a.T + np.eye(2), (3,)), (np.array([1.0, -1.0]),
                                             np.array([[1.0, 0.2], [0.1, 0.8]]))),
    ("multivariate_normal_eigh", lambda m, a: random.multivariate_normal(
        KEY, m, a @ a.T + np.eye(2), (3,), method="eigh"),
     (np.array([1.0, -1.0]), np.array([[1.0, 0.2], [0.1, 0.8]]))),
    ("rayleigh", lambda s: random.rayleigh(KEY, s, (4,)), (2.0,)),
    ("wald", lambda m: random.wald(KEY, m, (6,)), (np.array([0.7, 1.5, 3.0, 0.7, 1.5, 3.0]),)),
    ("triangular", lambda a, c, b: random.triangular(KEY, a, c, b, (6,)), (-1.0, 0.3, 2.0)),
    ("double_sided_maxwell", lambda loc, scale: random.double_sided_maxwell(KEY, loc, scale,
                                                                            (4,)), (0.5, 2.0)),
]


@pytest.mark.parametrize("name, f, args", GRADS, ids=[g[0] for g in GRADS])
def test_derivatives_through_parameters(name: str, f: Callable[..., Any],
                                        args: tuple[Any, ...]) -> None:
    order = 2 if name.startswith(("uniform", "rayleigh", "wald", "triangular", "double")) else 1
    check_grads(f, args, order=order)


def test_new_samplers_derivatives_match_jax() -> None:
    # generalized_normal and ball differentiate through the gamma sampler's implicit
    # derivative (test_gamma_derivative_is_implicit), not through its rejection loop: compared
    # with JAX's rather than with central differences.
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jkey = jax.numpy.asarray(KEY)
    for ours, theirs, x in (
            (lambda p: random.generalized_normal(KEY, p, ()),
             lambda p: jax.random.generalized_normal(jkey, p, ()), 1.5),
            (lambda m: random.wald(KEY, m, ()), lambda m: jax.random.wald(jkey, m, ()), 1.5),
            (lambda m: random.triangular(KEY, 0.0, m, 2.0),
             lambda m: jax.random.triangular(jkey, 0.0, m, 2.0), 0.5),
            (lambda p: fnp.sum(random.ball(KEY, 3, p)),
             lambda p: jax.numpy.sum(jax.random.ball(jkey, 3, p)), 1.5),
            (lambda p: random.binomial(KEY, 10.0, p), lambda p: jax.random.binomial(jkey, 10.0, p),
             0.3)):
        np.testing.assert_allclose(ft.grad(ours)(x), jax.grad(theirs)(x), rtol=1e-9)


def test_gamma_derivative_is_implicit() -> None:
    # d x / d a keeps the sample's quantile F(a, x) fixed (implicit reparameterisation).
    a = np.array([0.4, 1.0, 3.0, 20.0])
    for sampler in (random.gamma, random.loggamma):
        jac = np.diagonal(ft.jacfwd(lambda a, s=sampler: s(KEY, a))(a))
        grads = [ft.grad(lambda a, s=sampler, i=i: s(KEY, a)[i])(a)[i] for i in range(4)]
        np.testing.assert_allclose(grads, jac, rtol=1e-12)
        x, dx = sampler(KEY, a), jac
        if sampler is random.loggamma:  # d log x / da
            x = np.exp(x)
            dx = dx * x
        h = 1e-5
        cdf = ft.scipy.special.gammainc
        np.testing.assert_allclose(cdf(a + h, x + h * dx), cdf(a - h, x - h * dx), atol=1e-9)


def test_uniform_derivative_is_the_position() -> None:
    u = random.uniform(KEY, (), minval=0.0, maxval=1.0)
    g_lo, g_hi = ft.grad(lambda lo, hi: random.uniform(KEY, (), minval=lo, maxval=hi),
                         argnums=(0, 1))(-3.0, 5.0)
    np.testing.assert_allclose([g_lo, g_hi], [1 - u, u])


def test_keys_have_no_derivative() -> None:
    with pytest.raises(TypeError, match="uint32"):
        ft.grad(lambda k: fnp.sum(random.normal(k, (2,))))(KEY)


# -- properties ---------------------------------------------------------------------------------

seeds = st.integers(-(2 ** 63), 2 ** 63 - 1)


@given(seeds, st.integers(0, 2 ** 32 - 1))
def test_split_and_fold_in_are_deterministic(seed: int, data: int) -> None:
    key = random.PRNGKey(seed)
    np.testing.assert_array_equal(random.split(key, 3), random.split(key, 3))
    np.testing.assert_array_equal(random.fold_in(key, data), random.fold_in(key, data))
    # The first keys of a longer split are the keys of a shorter one (counters 0, 1, ...).
    np.testing.assert_array_equal(random.split(key, 5)[:3], random.split(key, 3))
    children = np.concatenate([random.split(key, 4), random.fold_in(key, data)[None]])
    assert len({tuple(k) for k in children[:4]}) == 4
    assert not np.array_equal(random.fold_in(key, data), key)


@given(seeds, st.floats(-1e6, 1e6), st.floats(1e-3, 1e6),
       st.sampled_from([np.float32, np.float64]))
def test_uniform_bounds(seed: int, lo: float, width: float, dtype: Any) -> None:
    lo_t = np.asarray(lo, dtype)
    hi_t = np.asarray(lo + width, dtype)
    x = random.uniform(random.PRNGKey(seed), (64,), dtype, lo_t, hi_t)
    assert x.dtype == dtype
    assert np.all(x >= lo_t) and np.all(x <= hi_t)


@given(seeds, st.integers(-(2 ** 40), 2 ** 40), st.integers(1, 2 ** 40),
       st.sampled_from([np.int32, np.int64, np.uint32, np.int8]))
def test_randint_bounds(seed: int, lo: int, span: int, dtype: Any) -> None:
    info = np.iinfo(dtype)
    lo = min(max(lo, int(info.min)), int(info.max))
    hi = min(lo + span, int(info.max) + 1)
    x = random.randint(random.PRNGKey(seed), (64,), lo, hi, dtype)
    assert x.dtype == dtype
    assert np.all(x >= lo) and np.all(x.astype(object) < hi)


@given(seeds, st.integers(1, 60))
def test_permutation_permutes(seed: int, n: int) -> None:
    x = random.permutation(random.PRNGKey(seed), n)
    np.testing.assert_array_equal(np.sort(x), np.arange(n))


# -- errors -------------------------------------------------------------------------------------

ERRORS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("key_dtype", lambda: random.normal(np.array([0, 1])), TypeError, "uint32 array of shape"),
    ("key_shape", lambda: random.normal(np.zeros(3, np.uint32)), TypeError, r"shape \(2,\)"),
    ("batched_key", lambda: random.normal(random.split(KEY, 3)), ValueError, "vmap"),
    ("split_batched", lambda: random.split(random.split(KEY, 2)), ValueError, "single key"),
    ("seed_float", lambda: random.PRNGKey(1.5), TypeError, "integer"),
    ("seed_array", lambda: random.PRNGKey(np.arange(2)), TypeError, "scalar"),
    ("seed_too_big", lambda: random.PRNGKey(2 ** 64), OverflowError, "int64"),
    ("fold_in_array", lambda: random.fold_in(KEY, np.arange(2)), TypeError, "scalar"),
    ("fold_in_negative", lambda: random.fold_in(KEY, -1), OverflowError, "uint32"),
    ("fold_in_float", lambda: random.fold_in(KEY, 1.5), TypeError, "integer"),
    ("shape_int", lambda: random.normal(KEY, 3), TypeError, r"\(3,\)"),
    ("shape_negative", lambda: random.uniform(KEY, (-1,)), ValueError, "negative"),
    ("uniform_int_dtype", lambda: random.uniform(KEY, (2,), np.int32), ValueError,
     "float32 or float64"),
    ("normal_f16", lambda: random.normal(KEY, (2,), np.float16), ValueError, "float32"),
    ("uniform_bounds_shape", lambda: random.uniform(KEY, (3,), minval=np.zeros(4)), ValueError,
     "broadcast"),
    ("bits_signed", lambda: random.bits(KEY, (2,), np.int32), ValueError, "unsigned"),
    ("randint_float_dtype", lambda: random.randint(KEY, (2,), 0, 5, np.float32), TypeError,
     "integer dtypes"),
    ("randint_shape", lambda: random.randint(KEY, (3,), np.zeros(2, int), 5), ValueError,
     "broadcast"),
    ("bernoulli_int_p", lambda: random.bernoulli(KEY, 1), TypeError, "floating"),
    ("bernoulli_mode", lambda: random.bernoulli(KEY, 0.5, mode="middle"), ValueError, "mode"),
    ("bernoulli_shape", lambda: random.bernoulli(KEY, np.full(3, 0.5), (2,)), ValueError,
     "broadcast"),
    ("gumbel_mode", lambda: random.gumbel(KEY, mode="highest"), ValueError, "mode"),
    ("choice_too_many", lambda: random.choice(KEY, 3, (4,), replace=False), ValueError,
     "larger sample"),
    ("choice_p_shape", lambda: random.choice(KEY, 3, (2,), p=np.ones(4) / 4), ValueError,
     "p must be"),
    ("choice_empty", lambda: random.choice(KEY, 0, (2,)), ValueError, "greater than 0"),
    ("choice_shape", lambda: random.choice(KEY, 3, 2), TypeError, "sequence"),
    ("permutation_float", lambda: random.permutation(KEY, 2.5), TypeError, "integer"),
    ("permutation_axis", lambda: random.permutation(KEY, np.zeros((2, 2)), axis=2), ValueError,
     "out of bounds"),
    ("categorical_shape", lambda: random.categorical(KEY, np.zeros((2, 3)), shape=(3,)),
     ValueError, "batch shape of logits"),
    ("categorical_too_many", lambda: random.categorical(KEY, np.zeros(3), shape=(4,),
                                                        replace=False), ValueError, "exceed"),
    ("truncated_normal_shapes", lambda: random.truncated_normal(KEY, np.zeros(2), np.ones(3)),
     ValueError, "broadcast"),
    ("mvn_method", lambda: random.multivariate_normal(KEY, np.zeros(2), np.eye(2),
                                                      method="qr"), ValueError, "method"),
    ("mvn_cov_shape", lambda: random.multivariate_normal(KEY, np.zeros(2), np.eye(3)),
     ValueError, r"cov.shape == \(..., n, n\)"),
    ("mvn_mean_scalar", lambda: random.multivariate_normal(KEY, 0.0, np.eye(1)), ValueError,
     "mean.ndim >= 1"),
    ("gamma_shape", lambda: random.gamma(KEY, np.ones(3), (2,)), ValueError, "broadcast"),
    ("beta_shapes", lambda: random.beta(KEY, np.ones(2), np.ones(3)), ValueError, "broadcast"),
    ("dirichlet_scalar", lambda: random.dirichlet(KEY, 1.0), ValueError, "alpha.ndim >= 1"),
    ("poisson_float_dtype", lambda: random.poisson(KEY, 1.0, dtype=np.float32), TypeError,
     "integer dtype"),
    ("wald_shape", lambda: random.wald(KEY, np.ones(3), (2,)), ValueError, "broadcast"),
    ("wald_int_dtype", lambda: random.wald(KEY, 1.0, dtype=np.int32), ValueError, "float32"),
    ("triangular_shapes", lambda: random.triangular(KEY, np.zeros(2), 0.5, np.ones(3)),
     ValueError, "broadcast"),
    ("ball_traced_d", lambda: ft.jit(lambda d: random.ball(KEY, d))(np.int64(2)),
     ConcretizationError, "concrete"),
    ("ball_negative_d", lambda: random.ball(KEY, -1), ValueError, "non-negative"),
    ("binomial_shape", lambda: random.binomial(KEY, np.ones(3), 0.5, (2,)), ValueError,
     "broadcast"),
    ("binomial_int_dtype", lambda: random.binomial(KEY, 3, 0.5, dtype=np.int64), ValueError,
     "float32"),
    ("multinomial_scalar_p", lambda: random.multinomial(KEY, 3, 0.5), ValueError, "p.ndim"),
    ("multinomial_n_shape", lambda: random.multinomial(KEY, np.ones(3), np.ones((2, 4)) / 4),
     ValueError, "broadcast"),
]


@pytest.mark.parametrize("name, call, error, match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name: str, call: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_traced_sizes_must_be_concrete() -> None:
    with pytest.raises(ConcretizationError, match="concrete"):
        ft.jit(lambda n: random.permutation(KEY, n))(np.int64(5))


def test_docs_name_every_function() -> None:
    page = (Path(__file__).parents[1] / "docs" / "random.md").read_text()
    missing = [name for name in random.__all__ if f"`{name}" not in page]
    assert not missing, f"docs/random.md does not list {missing}"


def test_fma_and_log1p_keep_the_sign_of_zero() -> None:
    # -0.5 * 0 + -0 is -0 in IEEE arithmetic, and XLA's log1p(-0) is -0 (binomial relies on it)
    assert np.signbit(xla_math.fma(np.array([-0.5]), np.array([0.0]), np.array([-0.0])))[0]
    assert np.signbit(xla_math.xla_log1p(np.array([-0.0, 0.0]))).tolist() == [True, False]
