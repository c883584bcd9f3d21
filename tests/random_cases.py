"""The calls whose results ``functrace.random`` must reproduce bit for bit from ``jax.random``.

Each case is ``name -> f(random, key)``, written once for both modules (their APIs agree):
``tools/random/gen_jax_values.py`` runs them with ``jax.random`` (``jax_enable_x64`` on) and
writes ``tests/random_jax_values.py``; ``tests/test_random.py`` runs them with
``functrace.random`` and compares, without JAX.  Small results are stored as values, large
ones (``DIGEST_CASES``) as a SHA-256 of their bytes.

Cases whose values depend on XLA:CPU's float code (``log``, ``erf_inv``, ``tan``...) are the
values of JAX 0.10 on an x86-64 CPU with FMA (see ``docs/random.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

SEEDS = (0, 42, 2 ** 40 + 7, -3)

Case = Callable[[Any, Any], Any]

_P4 = np.array([0.1, 0.2, 0.3, 0.4])
_LOGITS = np.array([[0.5, -1.0, 2.0], [0.0, 0.3, -0.7], [1.5, 1.5, -2.0],
                    [-0.2, 0.9, 0.1], [3.0, -3.0, 0.0]])
_COV3 = np.array([[2.0, 0.3, -0.5], [0.3, 1.0, 0.2], [-0.5, 0.2, 1.5]])
_MEAN3 = np.array([1.0, -2.0, 0.5])


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {
        "PRNGKey": lambda r, k: k,
        "split": lambda r, k: r.split(k),
        "split_shape": lambda r, k: r.split(k, (2, 3)),
        "fold_in": lambda r, k: r.fold_in(k, 123456789),
        "fold_in_max": lambda r, k: r.fold_in(k, 2 ** 32 - 1),
        "fold_in_split": lambda r, k: r.split(r.fold_in(k, 7), 3),
        "bits_u8": lambda r, k: r.bits(k, (6,), np.uint8),
        "bits_u16": lambda r, k: r.bits(k, (6,), np.uint16),
        "bits_u32": lambda r, k: r.bits(k, (2, 3), np.uint32),
        "bits_u64": lambda r, k: r.bits(k, (5,)),
        "bits_scalar": lambda r, k: r.bits(k, (), np.uint32),
        "randint": lambda r, k: r.randint(k, (8,), 0, 10),
        "randint_neg": lambda r, k: r.randint(k, (6,), -50, 50, np.int32),
        "randint_i8": lambda r, k: r.randint(k, (6,), -128, 128, np.int8),
        "randint_u8_full": lambda r, k: r.randint(k, (6,), 0, 256, np.uint8),
        "randint_u32": lambda r, k: r.randint(k, (6,), 3, 2 ** 32 - 5, np.uint32),
        "randint_i64_full": lambda r, k: r.randint(k, (6,), -2 ** 63, 2 ** 63 - 1),
        "randint_u64": lambda r, k: r.randint(k, (6,), 0, 2 ** 62, np.uint64),
        "randint_bcast": lambda r, k: r.randint(k, (2, 3), np.array([0, 5, -3]),
                                                np.array([[10], [7]])),
        "randint_empty_range": lambda r, k: r.randint(k, (4,), 5, 2),
        "bernoulli": lambda r, k: r.bernoulli(k, 0.3, (10,)),
        "bernoulli_f32": lambda r, k: r.bernoulli(k, np.float32(0.7), (10,)),
        "bernoulli_array_p": lambda r, k: r.bernoulli(k, np.array([0.1, 0.5, 0.9])),
        "bernoulli_high": lambda r, k: r.bernoulli(k, 0.4, (10,), mode="high"),
        "rademacher": lambda r, k: r.rademacher(k, (8,)),
        "rademacher_f32": lambda r, k: r.rademacher(k, (4,), np.float32),
        "triangular": lambda r, k: r.triangular(k, -1.0, np.array([-0.5, 0.0, 2.0]), 2.0,
                                                (2, 3)),
        "triangular_f32": lambda r, k: r.triangular(k, 0.0, 0.3, 1.0, (6,), np.float32),
        "wald_f32": lambda r, k: r.wald(k, 2.0, (6,), np.float32),
        "double_sided_maxwell": lambda r, k: r.double_sided_maxwell(k, 1.0, 2.0, (6,)),
        "double_sided_maxwell_params": lambda r, k: r.double_sided_maxwell(
            k, np.array([0.0, 1.0]), 0.5),
        "binomial_inversion": lambda r, k: r.binomial(k, 10, 0.3, (8,)),
        "binomial_btrs": lambda r, k: r.binomial(k, 1000.0, np.array([0.2, 0.5, 0.9]), (3, 3)),
        "binomial_f32": lambda r, k: r.binomial(k, np.float32(50), np.float32(0.6), (6,),
                                                np.float32),
        "binomial_edges": lambda r, k: r.binomial(
            k, np.array([0.0, 5.0, np.inf, -1.0, 7.5, 3.0]),
            np.array([0.5, 0.0, 0.5, 0.5, 0.5, np.nan])),
        "multinomial": lambda r, k: r.multinomial(k, 20, np.array([0.1, 0.2, 0.3, 0.4])),
        "multinomial_batch": lambda r, k: r.multinomial(
            k, np.array([10.0, 500.0]), np.array([0.5, 0.0, 0.5]), shape=(2, 3)),
        "permutation": lambda r, k: r.permutation(k, 10),
        "permutation_2000_head": lambda r, k: r.permutation(k, 2000)[:8],
        "permutation_rows": lambda r, k: r.permutation(k, np.arange(12.0).reshape(4, 3)),
        "permutation_axis1": lambda r, k: r.permutation(k, np.arange(12).reshape(3, 4), axis=1),
        "permutation_independent": lambda r, k: r.permutation(
            k, np.arange(12).reshape(3, 4), axis=1, independent=True),
        "choice": lambda r, k: r.choice(k, 10, (6,)),
        "choice_no_replace": lambda r, k: r.choice(k, 10, (4,), replace=False),
        "choice_p": lambda r, k: r.choice(k, 4, (8,), p=_P4),
        "choice_p_f32": lambda r, k: r.choice(k, 4, (8,), p=_P4.astype(np.float32)),
        "choice_p_no_replace": lambda r, k: r.choice(k, 4, (3,), replace=False, p=_P4),
        "choice_array_axis": lambda r, k: r.choice(k, np.arange(12.0).reshape(3, 4), (2,),
                                                   axis=1),
        "categorical": lambda r, k: r.categorical(k, _LOGITS),
        "categorical_axis0": lambda r, k: r.categorical(k, _LOGITS, axis=0),
        "categorical_shape": lambda r, k: r.categorical(k, _LOGITS, shape=(2, 5)),
        "categorical_f32": lambda r, k: r.categorical(k, _LOGITS.astype(np.float32)),
        "categorical_no_replace": lambda r, k: r.categorical(k, _LOGITS[:2], shape=(3, 2),
                                                            replace=False),
        "truncated_normal_arrays": lambda r, k: r.truncated_normal(
            k, np.array([-1.0, 0.0, 3.0]), np.array([[1.0], [5.0]])),
        "multivariate_normal": lambda r, k: r.multivariate_normal(k, _MEAN3, _COV3, (2,)),
        "multivariate_normal_f32": lambda r, k: r.multivariate_normal(
            k, _MEAN3.astype(np.float32), _COV3.astype(np.float32)),
        "multivariate_normal_eigh": lambda r, k: r.multivariate_normal(k, _MEAN3, _COV3, (2,),
                                                                       method="eigh"),
        "multivariate_normal_svd": lambda r, k: r.multivariate_normal(k, _MEAN3, _COV3, (2,),
                                                                      method="svd"),
        "uniform_bcast": lambda r, k: r.uniform(k, (2, 3), np.float32, np.array([0.0, 1.0, -5.0]),
                                                np.array([[1.0], [3.0]])),
        "geometric": lambda r, k: r.geometric(k, 0.3, (6,)),
        "geometric_array": lambda r, k: r.geometric(k, np.array([0.1, 0.5, 0.9])),
        "orthogonal": lambda r, k: r.orthogonal(k, 3, (2,)),
        "orthogonal_wide": lambda r, k: r.orthogonal(k, 2, m=4),
        "poisson": lambda r, k: r.poisson(k, 3.5, (8,)),
        "poisson_small": lambda r, k: r.poisson(k, np.array([0.0, 0.1, 1.0, 9.5]), dtype=np.int32),
    }
    floats = {
        "uniform": lambda r, k, dt: r.uniform(k, (5,), dt),
        "uniform_range": lambda r, k, dt: r.uniform(k, (5,), dt, -2.5, 3.75),
        "uniform_scalar": lambda r, k, dt: r.uniform(k, (), dt),
        "normal": lambda r, k, dt: r.normal(k, (2, 3), dt),
        "exponential": lambda r, k, dt: r.exponential(k, (5,), dt),
        "gumbel": lambda r, k, dt: r.gumbel(k, (5,), dt),
        "gumbel_high": lambda r, k, dt: r.gumbel(k, (5,), dt, mode="high"),
        "laplace": lambda r, k, dt: r.laplace(k, (5,), dt),
        "logistic": lambda r, k, dt: r.logistic(k, (5,), dt),
        "cauchy": lambda r, k, dt: r.cauchy(k, (5,), dt),
        "truncated_normal": lambda r, k, dt: r.truncated_normal(k, -1.5, 0.75, (5,), dt),
        "truncated_normal_tail": lambda r, k, dt: r.truncated_normal(k, 2.0, 9.0, (5,), dt),
        "rayleigh": lambda r, k, dt: r.rayleigh(k, 1.5, (5,), dt),
    }
    for name, f in floats.items():
        for dt in (np.float32, np.float64):
            cases[f"{name}_{np.dtype(dt).name}"] = (
                lambda r, k, f=f, dt=dt: f(r, k, dt))
    return cases


CASES: dict[str, Case] = _cases()

# Samplers that follow JAX's algorithm and draws but whose float code is not XLA's to the
# last bit (gamma: XLA's approximate rsqrt; exp, pow and sums: NumPy's or another order):
# compared with a relative tolerance (float32 rtol, float64 rtol).
CLOSE_CASES: dict[str, tuple[Case, float, float]] = {
    "gamma": (lambda r, k: r.gamma(k, np.array([0.3, 1.0, 2.5, 7.3]), (2, 4)), 0, 1e-13),
    "gamma_f32": (lambda r, k: r.gamma(k, 2.5, (5,), np.float32), 1e-5, 0),
    "loggamma": (lambda r, k: r.loggamma(k, np.array([0.01, 0.5, 3.0])), 0, 1e-12),
    "beta": (lambda r, k: r.beta(k, 2.0, np.array([0.5, 3.0]), (3, 2)), 0, 1e-13),
    "dirichlet": (lambda r, k: r.dirichlet(k, np.array([0.5, 2.0, 3.0]), (2,)), 0, 1e-13),
    "chisquare": (lambda r, k: r.chisquare(k, 3.0, (5,)), 0, 1e-13),
    "t": (lambda r, k: r.t(k, np.array([1.0, 5.0, 30.0])), 0, 1e-13),
    "f": (lambda r, k: r.f(k, 3.0, 7.0, (4,)), 0, 1e-13),
    "lognormal": (lambda r, k: r.lognormal(k, 0.5, (5,)), 0, 1e-14),
    "pareto": (lambda r, k: r.pareto(k, 3.0, (5,)), 0, 1e-14),
    "weibull_min": (lambda r, k: r.weibull_min(k, 2.0, 1.5, (5,)), 0, 1e-14),
    "maxwell": (lambda r, k: r.maxwell(k, (6,)), 0, 1e-14),
    "wald": (lambda r, k: r.wald(k, np.array([0.5, 1.0, 3.0]), (4, 3)), 0, 1e-14),
    "generalized_normal": (lambda r, k: r.generalized_normal(k, 1.5, (6,)), 0, 1e-14),
    "generalized_normal_p": (lambda r, k: r.generalized_normal(
        k, np.array([0.5, 2.0, 4.0]), (2, 3)), 0, 1e-14),
    "ball": (lambda r, k: r.ball(k, 3, 2, (4,)), 0, 1e-14),
    "ball_p1": (lambda r, k: r.ball(k, 2, 1.0, (3,)), 0, 1e-14),
    "maxwell_f32": (lambda r, k: r.maxwell(k, (6,), np.float32), 1e-6, 0),
    "orthogonal_f32": (lambda r, k: r.orthogonal(k, 3, (), np.float32), 1e-4, 0),
    "multivariate_normal_5": (lambda r, k: r.multivariate_normal(
        k, np.arange(5.0), np.eye(5) + 0.1, (3,)), 0, 1e-14),
}

# Large results, compared through a digest of their bytes.
DIGEST_CASES: dict[str, Case] = {
    "normal_f64_10000": lambda r, k: r.normal(k, (10000,)),
    "normal_f32_10000": lambda r, k: r.normal(k, (10000,), np.float32),
    "uniform_f64_10000": lambda r, k: r.uniform(k, (100, 100), minval=-3.0, maxval=5.0),
    "exponential_f32_10000": lambda r, k: r.exponential(k, (10000,), np.float32),
    "gumbel_f64_10000": lambda r, k: r.gumbel(k, (10000,)),
    "logistic_f32_10000": lambda r, k: r.logistic(k, (10000,), np.float32),
    "cauchy_f32_10000": lambda r, k: r.cauchy(k, (10000,), np.float32),
    "cauchy_f64_10000": lambda r, k: r.cauchy(k, (10000,)),
    "truncated_normal_f64_10000": lambda r, k: r.truncated_normal(k, -0.5, 2.5, (10000,)),
    "randint_10000": lambda r, k: r.randint(k, (10000,), -1000, 1000),
    "permutation_5000": lambda r, k: r.permutation(k, 5000),
    "choice_p_10000": lambda r, k: r.choice(k, 1000, (10000,),
                                            p=np.linspace(0.0, 1.0, 1000) ** 2),
}


def kernel_grid(name: str, dtype: Any) -> np.ndarray:
    """Arguments on which ``functrace.primitives.xla_math``'s kernels are compared with the
    same functions in JAX (``jnp.log``, ``jnp.log1p``, ``lax.erf``, ``lax.erf_inv``,
    ``jnp.tan``): dense in the ranges the samplers use, plus the edges and special values."""
    rng = np.random.default_rng(sum(map(ord, name)))
    u = rng.random(20000)
    grid = {
        "log": np.concatenate([u, u * 1e-30, np.geomspace(1e-300, 1e300, 2000), u * 1e6,
                               [0.0, 1.0, np.inf, np.nan, -1.0, 5e-324]]),
        "log1p": np.concatenate([u * 2 - 1, u * 1e-6, -u, u * 1e3, [-1.0, 0.0, np.inf]]),
        "erf": np.concatenate([rng.standard_normal(20000) * 3, [0.0, 5.0, -np.inf, np.nan]]),
        "erf_inv": np.concatenate([u * 2 - 1, 1 - u * 1e-6, 1 - u * 1e-12, [-1.0, 0.0, 1.0]]),
        "tan": np.concatenate([(u * 2 - 1) * 1.5707963, (u * 2 - 1) * 100, u * 1e-5,
                               [0.0, np.inf, np.nan]]),
    }[name]
    with np.errstate(all="ignore"):
        return grid.astype(dtype)


KERNELS = ("log", "log1p", "erf", "erf_inv", "tan")


def canonical_bytes(x: np.ndarray) -> bytes:
    """The bytes of ``x`` (C order) with every NaN as the same NaN: what the digests hash."""
    x = np.ascontiguousarray(x)
    if x.dtype.kind == "f":
        x = np.where(np.isnan(x), np.array(np.nan, x.dtype), x)
    return x.tobytes()
