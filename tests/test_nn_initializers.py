"""Tests of ``functrace.nn.initializers``.

* Against ``jax.nn.initializers`` (when JAX is installed, with ``jax_enable_x64``): one table
  of builders crossed with shapes and dtypes; bit for bit on real dtypes (functrace.random
  draws JAX's numbers), to rounding for ``orthogonal`` and complex dtypes.
* Statistics of large draws: mean, variance (the variance-scaling formula for every mode and
  distribution, conv shapes and explicit axes), bounds; orthonormality.
* ``jit`` and ``vmap`` over keys give the eager values; errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functrace as ft
from functrace import random
from functrace.nn import initializers as init

KEY = random.PRNGKey(1701)

# name -> builder, applied to the module (functrace's or JAX's): their APIs agree.
BUILDERS: dict[str, Callable[[Any], Any]] = {
    "zeros": lambda m: m.zeros,
    "ones": lambda m: m.ones,
    "constant": lambda m: m.constant(-2.5),
    "uniform": lambda m: m.uniform(),
    "uniform_scale": lambda m: m.uniform(3.0),
    "normal": lambda m: m.normal(),
    "normal_stddev": lambda m: m.normal(0.5),
    "truncated_normal": lambda m: m.truncated_normal(2.0),
    "truncated_normal_bounds": lambda m: m.truncated_normal(1.0, lower=-0.5, upper=1.5),
    "glorot_uniform": lambda m: m.glorot_uniform(),
    "glorot_normal": lambda m: m.glorot_normal(),
    "xavier_uniform": lambda m: m.xavier_uniform(),
    "xavier_normal": lambda m: m.xavier_normal(),
    "lecun_uniform": lambda m: m.lecun_uniform(),
    "lecun_normal": lambda m: m.lecun_normal(),
    "he_uniform": lambda m: m.he_uniform(),
    "he_normal": lambda m: m.he_normal(),
    "kaiming_uniform": lambda m: m.kaiming_uniform(),
    "kaiming_normal": lambda m: m.kaiming_normal(),
    "vs_fan_out_normal": lambda m: m.variance_scaling(3.0, "fan_out", "normal"),
    "vs_geo_uniform": lambda m: m.variance_scaling(0.5, "fan_geo_avg", "uniform"),
    "vs_axes": lambda m: m.variance_scaling(1.0, "fan_avg", "truncated_normal", in_axis=0,
                                            out_axis=(1, 2), batch_axis=3),
    "glorot_axes": lambda m: m.glorot_uniform(in_axis=-1, out_axis=-2),
    "orthogonal": lambda m: m.orthogonal(),
    "orthogonal_axis0": lambda m: m.orthogonal(2.0, column_axis=0),
    "delta_orthogonal": lambda m: m.delta_orthogonal(),
}
# Builders that need a particular number of dimensions.
SHAPES: dict[str, list[tuple[int, ...]]] = {
    "vs_axes": [(3, 4, 5, 2)],
    "delta_orthogonal": [(3, 4, 5), (2, 3, 2, 2), (3, 1, 3, 2, 4)],
}
DEFAULT_SHAPES = [(4, 3), (3, 3, 2, 6)]  # a matrix and a convolution kernel
INEXACT = ("orthogonal", "orthogonal_axis0", "delta_orthogonal")  # a QR factorisation
REAL_ONLY = ("uniform", "uniform_scale", "truncated_normal", "truncated_normal_bounds",
             "orthogonal", "orthogonal_axis0", "delta_orthogonal")


def _jax() -> Any:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def _cases() -> list[tuple[str, tuple[int, ...], str]]:
    cases = []
    for name in BUILDERS:
        first, *others = SHAPES.get(name, DEFAULT_SHAPES)
        # every dtype on the first shape, float64 on the others (each case compiles with XLA)
        for dtype in ("float64", "float32", "complex128"):
            if dtype == "complex128" and name in REAL_ONLY:
                continue
            cases.append((name, first, dtype))
        cases.extend((name, shape, "float64") for shape in others)
    return cases


@pytest.mark.parametrize(("name", "shape", "dtype"), _cases())
def test_matches_jax(name: str, shape: tuple[int, ...], dtype: str) -> None:
    jax = _jax()
    got = BUILDERS[name](init)(KEY, shape, dtype)
    want = np.asarray(BUILDERS[name](jax.nn.initializers)(jax.numpy.asarray(KEY), shape,
                                                          dtype))
    assert isinstance(got, np.ndarray)
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
    if name in INEXACT or dtype == "complex128":
        np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12,
                                   atol=1e-6 if dtype == "float32" else 1e-13)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_default_dtype_is_float64(name: str) -> None:
    shape = SHAPES.get(name, DEFAULT_SHAPES)[0]
    out = BUILDERS[name](init)(KEY, shape)
    assert out.dtype == np.float64 and out.shape == shape
    # the builder's dtype is the initialiser's default
    if name not in ("zeros", "ones"):
        assert BUILDERS[name](init).__defaults__ == (None,)


def test_builder_dtype_is_default() -> None:
    assert init.normal(1.0, dtype=np.float32)(KEY, (3,)).dtype == np.float32
    assert init.glorot_uniform(dtype=np.float32)(KEY, (3, 2)).dtype == np.float32
    assert init.constant(1, dtype=np.float32)(KEY, (2,)).dtype == np.float32
    assert init.glorot_uniform(dtype=np.float32)(KEY, (3, 2), np.float64).dtype == np.float64


def test_reproducible_and_key_dependent() -> None:
    a = init.he_normal()(KEY, (50, 40))
    np.testing.assert_array_equal(a, init.he_normal()(KEY, (50, 40)))
    assert not np.array_equal(a, init.he_normal()(random.PRNGKey(1), (50, 40)))


# -- statistics -----------------------------------------------------------------------------------

FANS = {  # shape, (in_axis, out_axis, batch_axis) -> (fan_in, fan_out)
    ((400, 300), (-2, -1, ())): (400, 300),
    ((3, 3, 64, 32), (-2, -1, ())): (9 * 64, 9 * 32),
    ((5, 40, 60), (1, 2, 0)): (40, 60),
    ((20, 6, 30), (0, (1, 2), ())): (20, 180),
    ((16, 3, 30, 20), (-1, -2, (0,))): (3 * 20, 3 * 30),
}


@pytest.mark.parametrize("distribution", ["normal", "truncated_normal", "uniform"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize(("shape", "axes"), list(FANS))
def test_variance_scaling_variance(distribution: str, mode: str, shape: tuple[int, ...],
                                   axes: tuple[Any, Any, Any]) -> None:
    fan_in, fan_out = FANS[shape, axes]
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
         "fan_geo_avg": (fan_in * fan_out) ** 0.5}[mode]
    scale = 2.0
    w = init.variance_scaling(scale, mode, distribution, *axes)(KEY, shape)  # type: ignore[arg-type]
    var = scale / n
    size = w.size
    # the sample variance of `size` draws has relative standard error about sqrt(2 / size)
    assert abs(w.var() / var - 1) < 6 * (2 / size) ** 0.5
    assert abs(w.mean()) < 6 * (var / size) ** 0.5
    if distribution == "uniform":
        assert np.abs(w).max() <= (3 * var) ** 0.5
    if distribution == "truncated_normal":
        assert np.abs(w).max() < 2 * (var ** 0.5) / 0.87962566103423978


@pytest.mark.parametrize("distribution", ["normal", "truncated_normal", "uniform"])
def test_complex_variance(distribution: str) -> None:
    w = init.variance_scaling(1.0, "fan_in", distribution)(KEY, (200, 300), np.complex128)  # type: ignore[arg-type]
    assert w.dtype == np.complex128
    assert abs(np.mean(np.abs(w) ** 2) * 200 - 1) < 0.03
    assert abs(w.real.var() - w.imag.var()) < 0.03 / 200  # circular
    assert abs(np.mean(w.real * w.imag)) < 0.02 / 200


def test_plain_distributions() -> None:
    u = init.uniform(3.0)(KEY, (100000,))
    assert 0 <= u.min() and u.max() < 3.0 and abs(u.mean() - 1.5) < 0.02
    z = init.normal(0.5)(KEY, (100000,))
    assert abs(z.std() - 0.5) < 0.005
    t = init.truncated_normal(2.0, lower=-1.0, upper=0.5)(KEY, (100000,))
    assert -2.0 < t.min() and t.max() < 1.0
    np.testing.assert_array_equal(init.constant(np.array([1.0, 2.0]))(KEY, (3, 2)),
                                  np.tile([1.0, 2.0], (3, 1)))


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (2, 3, 8), (4, 3, 2)])
@pytest.mark.parametrize("column_axis", [-1, 0])
def test_orthogonal(shape: tuple[int, ...], column_axis: int) -> None:
    w = init.orthogonal(1.5, column_axis=column_axis)(KEY, shape)
    assert w.shape == shape
    m = np.moveaxis(w, column_axis, -1).reshape(-1, shape[column_axis]) / 1.5
    small = min(m.shape)
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_orthogonal_is_haar() -> None:
    # The diagonal entries of a Haar-random orthogonal n x n matrix have mean 0, variance 1/n.
    ws = ft.vmap(lambda k: init.orthogonal()(k, (4, 4)))(random.split(KEY, 4000))
    np.testing.assert_allclose(ws.mean(0), 0, atol=0.05)
    np.testing.assert_allclose(ws.var(0), 0.25, atol=0.03)


def test_delta_orthogonal() -> None:
    w = init.delta_orthogonal(2.0)(KEY, (3, 4, 3, 5))
    centre = w[1, 1]
    np.testing.assert_allclose(centre @ centre.T, 4.0 * np.eye(3), atol=1e-12)
    w[1, 1] = 0
    assert not w.any()


def test_empty_shapes() -> None:
    assert init.orthogonal()(KEY, (0, 3)).shape == (0, 3)
    assert init.normal()(KEY, (0,)).shape == (0,)
    assert init.zeros(KEY, 4).shape == (4,)  # a bare int, as JAX accepts


# -- transformations ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["normal", "uniform", "glorot_normal", "he_uniform",
                                  "orthogonal", "delta_orthogonal", "constant", "zeros"])
def test_jit_and_vmap(name: str) -> None:
    shape = SHAPES.get(name, DEFAULT_SHAPES)[0]
    f = BUILDERS[name](init)
    keys = random.split(KEY, 3)
    eager = np.stack([f(k, shape) for k in keys])
    np.testing.assert_allclose(ft.vmap(lambda k: f(k, shape))(keys), eager, rtol=1e-13,
                               atol=1e-15)
    np.testing.assert_allclose(ft.jit(lambda k: f(k, shape))(keys[0]), eager[0], rtol=1e-13,
                               atol=1e-15)


def test_submodule_paths() -> None:
    import functrace.nn.initializers as by_import  # noqa: PLC0415 - the import is the test

    assert by_import is init is ft.nn.initializers
    assert isinstance(init.glorot_normal(), init.Initializer)


# -- errors ---------------------------------------------------------------------------------------


def test_errors() -> None:
    with pytest.raises(ValueError, match="default in_axis"):
        init.glorot_normal()(KEY, (5,))
    with pytest.raises(ValueError, match="mode"):
        init.variance_scaling(1.0, "fan_max", "normal")(KEY, (2, 2))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="distribution"):
        init.variance_scaling(1.0, "fan_in", "cauchy")(KEY, (2, 2))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="out of range"):
        init.variance_scaling(1.0, "fan_in", "normal", in_axis=3)(KEY, (2, 2))
    with pytest.raises(ValueError, match="at least 2"):
        init.orthogonal()(KEY, (3,))
    with pytest.raises(ValueError, match="3-, 4- or 5-dimensional"):
        init.delta_orthogonal()(KEY, (3, 3))
    with pytest.raises(ValueError, match="fan_in"):
        init.delta_orthogonal()(KEY, (3, 5, 4))
    with pytest.raises(ValueError, match="float32 or float64"):
        init.uniform()(KEY, (2,), np.complex64)
    with pytest.raises(ValueError, match="dtype"):
        init.normal()(KEY, (2,), np.int32)
    with pytest.raises(ValueError, match="negative"):
        init.ones(KEY, (2, -1))
    with pytest.raises(TypeError, match="PRNG key"):
        init.normal()(np.zeros(3), (2,))
