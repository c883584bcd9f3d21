"""``functrace.lax``'s small utilities (``functrace/_lax_ops.py``: shapes, bits, dtypes,
``reduce_precision``, ``optimization_barrier``, ``platform_dependent``...) and
``conv_general_dilated_patches`` (``functrace/_lax_conv.py``), against JAX: values, dtypes,
errors, and derivatives and transformations where they have any."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace import _lax_ops, lax
from functrace.testing import check_grads

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jlax = jax.lax
jnp = jax.numpy

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4))
INTS = {np.dtype(t): np.array([0, 1, 2, 3, 7, 8, 100, -1, -2, -100, 127, -128], np.int64)
        for t in (np.int8, np.int16, np.int32, np.int64)}
UINTS = {np.dtype(t): np.array([0, 1, 2, 3, 7, 8, 100, 255], np.uint64)
         for t in (np.uint8, np.uint16, np.uint32, np.uint64)}


def assert_same(ours: Any, theirs: Any) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, (ours, theirs)
    np.testing.assert_array_equal(ours, theirs)


# name, call taking the lax module
VALUES: list[tuple[str, Callable[[Any], Any]]] = [
    ("broadcast_shapes", lambda m: m.broadcast_shapes((2, 1), (3,), (1, 1, 3))),
    ("broadcast_shapes one", lambda m: m.broadcast_shapes((2, 3))),
    ("broadcast_to_rank", lambda m: m.broadcast_to_rank(X[0, 0], 3)),
    ("broadcast_to_rank, already", lambda m: m.broadcast_to_rank(X, 2)),
    ("broadcast_like", lambda m: m.broadcast_like(X[0, 0], X)),
    ("collapse", lambda m: m.collapse(X, 1)),
    ("collapse start stop", lambda m: m.collapse(X, 0, 2)),
    ("collapse negative", lambda m: m.collapse(X, -2, None)),
    ("collapse empty range", lambda m: m.collapse(X, 1, 1)),
    ("split", lambda m: m.split(X, (1, 0, 2), axis=1)),
    ("split negative axis", lambda m: m.split(X, (2, 2), axis=-1)),
    ("stack", lambda m: m.stack([X[0], X[1]], axis=1)),
    ("unstack", lambda m: m.unstack(X, axis=2)),
    ("tile", lambda m: m.tile(X[0], (2, 1))),
    ("empty", lambda m: m.empty((2, 3), np.float32)),
    ("reduce_xor ints", lambda m: m.reduce_xor(np.arange(24).reshape(2, 3, 4), (0, 2))),
    ("reduce_xor bools", lambda m: m.reduce_xor(X > 0, (1,))),
    ("reduce_xor empty", lambda m: m.reduce_xor(np.zeros((2, 0), np.uint8), (1,))),
    ("optimization_barrier", lambda m: m.optimization_barrier((X, 2.0))[0]),
    ("platform_dependent: cpu", lambda m: m.platform_dependent(
        X, cpu=lambda x: x * 3, tpu=lambda x: x * 4, default=lambda x: x * 5)),
    ("platform_dependent: default", lambda m: m.platform_dependent(
        X, tpu=lambda x: x * 4, default=lambda x: x * 5)),
    ("index_take", lambda m: m.index_take(X, (np.array([1, -1]), np.array([0, 3])), (0, 2))),
]


@pytest.mark.parametrize("name,call", VALUES, ids=[v[0] for v in VALUES])
def test_values_match_jax(name: str, call: Callable[[Any], Any]) -> None:
    ours, theirs = call(lax), call(jlax)
    if isinstance(theirs, (tuple, list)) and not np.isscalar(theirs[0]):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert_same(a, b)
    elif isinstance(theirs, tuple):
        assert ours == theirs
    else:
        assert_same(ours, theirs)


@pytest.mark.parametrize("dtype", [*INTS, *UINTS], ids=str)
def test_clz_and_mulhi_match_jax(dtype: np.dtype[Any]) -> None:
    values = (INTS.get(dtype, UINTS.get(dtype))).astype(dtype)
    info = np.iinfo(dtype)
    values = np.concatenate([values, np.array([info.min, info.max, info.max // 3], dtype)])
    assert_same(lax.clz(values), jlax.clz(values))
    a, b = np.meshgrid(values, values)
    assert_same(lax.mulhi(a, b), jlax.mulhi(a, b))


@settings(max_examples=60)
@given(st.integers(-2 ** 63, 2 ** 63 - 1), st.integers(-2 ** 63, 2 ** 63 - 1))
def test_mulhi_64_bits(a: int, b: int) -> None:
    x, y = np.array([a], np.int64), np.array([b], np.int64)
    assert int(lax.mulhi(x, y)[0]) == (a * b) >> 64
    ux, uy = x.astype(np.uint64), y.astype(np.uint64)
    assert int(lax.mulhi(ux, uy)[0]) == (int(ux[0]) * int(uy[0])) >> 64


def test_dtype() -> None:
    for v in [1.0, 1, True, 1j, np.float32(1), np.ones(2, np.int8), "float32", np.float16,
              np.dtype("uint16")]:
        assert lax.dtype(v) == jlax.dtype(v), v
    assert lax.dtype(ft.jit(lambda x: x)(np.ones(2, np.float32))) == np.float32
    seen = []
    ft.jit(lambda x: seen.append(lax.dtype(x)) or x)(np.ones(2, np.int16))
    assert seen == [np.dtype(np.int16)]


# -- reduce_precision ----------------------------------------------------------------------------

FORMATS = [(8, 23), (5, 10), (8, 7), (11, 52), (4, 3), (5, 2), (1, 0), (2, 1), (3, 0),
           (11, 0), (6, 60), (15, 5)]


def _edge_values(dtype: Any) -> np.ndarray:
    fi = np.finfo(dtype)
    with np.errstate(over="ignore"):
        special = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, fi.max, -fi.max,
                            fi.tiny, fi.smallest_subnormal, 65504, 65520, 3.4028235e38,
                            1.1754942e-38, 1.5, 2.5, 0.75]).astype(dtype)
    spread = rng.standard_normal(500) * np.exp(rng.uniform(-80, 80, 500))
    with np.errstate(over="ignore"):
        return np.concatenate([special, spread.astype(dtype)])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64], ids=str)
@pytest.mark.parametrize("bits", FORMATS, ids=str)
def test_reduce_precision_bit_exact(dtype: Any, bits: tuple[int, int]) -> None:
    x = _edge_values(dtype)
    ours = np.asarray(lax.reduce_precision(x, *bits))
    theirs = np.asarray(jlax.reduce_precision(x, *bits))
    uint = f"u{x.itemsize}"
    np.testing.assert_array_equal(ours.view(uint), theirs.view(uint))  # NaN payloads too


def test_reduce_precision_to_float32_and_float16() -> None:
    x = rng.standard_normal(1000) * 100
    np.testing.assert_array_equal(lax.reduce_precision(x, 8, 23), x.astype(np.float32))
    np.testing.assert_array_equal(lax.reduce_precision(x, 5, 10), x.astype(np.float16))
    assert float(lax.reduce_precision(1 / 3, 8, 23)) == float(np.float32(1 / 3))


def test_reduce_precision_derivatives_and_transformations() -> None:
    x = rng.standard_normal(5)
    f = lambda x: lax.reduce_precision(x, 5, 10)  # noqa: E731
    jf = lambda x: jlax.reduce_precision(x, 5, 10)  # noqa: E731
    # linear for differentiation, as JAX's: the tangent is rounded too
    np.testing.assert_array_equal(ft.jvp(f, (x,), (x,))[1], jax.jvp(jf, (x,), (x,))[1])
    np.testing.assert_array_equal(ft.grad(lambda x: fnp.sum(f(x) * x))(x),
                                  jax.grad(lambda x: jnp.sum(jf(x) * x))(x))
    # with a format at least as wide as the operand's it is the identity
    check_grads(lambda x: lax.reduce_precision(x, 11, 52), (x,), order=2)
    np.testing.assert_array_equal(ft.vmap(f)(x[:, None]), f(x)[:, None])
    np.testing.assert_array_equal(ft.jit(f)(x), f(x))
    assert "reduce_precision" in str(ft.make_jaxpr(f)(x))


def test_reduce_precision_errors() -> None:
    with pytest.raises(TypeError, match="floating"):
        lax.reduce_precision(np.arange(3), 8, 23)
    with pytest.raises(ValueError, match="exponent_bits"):
        lax.reduce_precision(np.ones(3), 0, 23)
    with pytest.raises(TypeError):
        lax.reduce_precision(np.ones(3), 8.0, 23)  # type: ignore[arg-type]


# -- errors --------------------------------------------------------------------------------------

ERRORS: list[tuple[str, Callable[[Any], Any], type[Exception]]] = [
    ("broadcast_shapes", lambda m: m.broadcast_shapes((2,), (3,)), ValueError),
    ("split sizes", lambda m: m.split(X, (1, 2), axis=0), ValueError),
    ("tile reps", lambda m: m.tile(X, (2,)), TypeError),
    ("clz float", lambda m: m.clz(X), TypeError),
    ("mulhi float", lambda m: m.mulhi(X, X), TypeError),
    ("dtype None", lambda m: m.dtype(None), ValueError),
    ("dtype list", lambda m: m.dtype([1, 2]), TypeError),
]


@pytest.mark.parametrize("name,call,error", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_jax(name: str, call: Callable[[Any], Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        call(jlax)
    with pytest.raises(error):
        call(lax)


def test_platform_dependent_without_cpu_or_default() -> None:
    with pytest.raises(NotImplementedError, match="cpu"):
        lax.platform_dependent(1.0, tpu=lambda x: x)


# -- transformations -----------------------------------------------------------------------------


def test_optimization_barrier_is_transparent() -> None:
    def f(x: Any) -> Any:
        a, b = lax.optimization_barrier((fnp.sin(x), x * 2))
        return fnp.sum(a * b)

    x = rng.standard_normal(4)
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(ft.jit(ft.grad(f))(x), jax.grad(
        lambda x: jnp.sum(jnp.sin(x) * x * 2))(x), rtol=1e-14)
    np.testing.assert_allclose(ft.vmap(ft.grad(f))(x[:, None]), ft.grad(
        lambda x: fnp.sum(fnp.sin(x) * x * 2))(x)[:, None], rtol=1e-14)


def test_shape_functions_differentiate_and_batch() -> None:
    def f(x: Any) -> Any:
        a, b = lax.split(x, (1, 2), axis=1)
        c = lax.collapse(lax.tile(a, (1, 2, 1)), 1)
        return fnp.sum(fnp.sin(c)) + fnp.sum(lax.stack(lax.unstack(b, 2), 0) ** 2)

    check_grads(f, (X,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(ft.vmap(f)(np.stack([X, 2 * X])), [f(X), f(2 * X)], rtol=1e-14)
    np.testing.assert_allclose(ft.jit(f)(X), f(X), rtol=1e-14)


def test_bits_under_jit_and_vmap() -> None:
    a = np.array([[5, -7, 2 ** 40], [3, 0, -1]], np.int64)
    b = np.array([[2 ** 62, 9, -(2 ** 33)], [1, 5, -1]], np.int64)
    assert_same(ft.jit(lax.mulhi)(a, b), jlax.mulhi(a, b))
    assert_same(ft.vmap(lax.mulhi)(a, b), jlax.mulhi(a, b))
    assert_same(ft.vmap(lax.clz)(a), jlax.clz(a))
    assert_same(ft.jit(lambda x: lax.reduce_xor(x, (1,)))(a), jlax.reduce_xor(a, (1,)))


# -- conv_general_dilated_patches ----------------------------------------------------------------

PATCHES = [
    # lhs shape, filter shape, strides, padding, lhs_dilation, rhs_dilation, dimension numbers
    ((2, 3, 5, 6), (2, 3), (1, 1), "VALID", None, None, None),
    ((2, 3, 5, 6), (2, 2), (2, 1), "SAME", None, (1, 2), None),
    ((1, 5, 6, 2), (3, 2), (1, 2), ((1, 0), (2, 1)), (2, 1), None, ("NHWC", "HWIO", "NHWC")),
    ((2, 4, 3), (2,), (1,), "VALID", None, None, ("NWC", "WIO", "CNW")),
    ((2, 1, 4, 5), (2, 3), (1, 1), "VALID", None, None, ("NCHW", "OIWH", "NHWC")),
    ((1, 2, 3, 3, 3), (2, 1, 2), (1, 1, 1), "SAME", None, None, None),
]


@pytest.mark.parametrize("case", PATCHES, ids=[str(c[6] or c[0]) for c in PATCHES])
def test_conv_general_dilated_patches(case: Any) -> None:
    shape, filt, strides, padding, lhs_dil, rhs_dil, dn = case
    x = np.random.default_rng(1).standard_normal(shape)
    ours = lax.conv_general_dilated_patches(x, filt, strides, padding, lhs_dil, rhs_dil, dn)
    theirs = jlax.conv_general_dilated_patches(x, filt, strides, padding, lhs_dil, rhs_dil, dn)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-15)
    assert np.asarray(ours).dtype == np.asarray(theirs).dtype
    f = lambda x: lax.conv_general_dilated_patches(  # noqa: E731
        x, filt, strides, padding, lhs_dil, rhs_dil, dn)
    w = np.random.default_rng(2).standard_normal(np.shape(ours))
    np.testing.assert_allclose(
        ft.grad(lambda x: fnp.sum(f(x) * w))(x),
        jax.grad(lambda x: jnp.sum(jlax.conv_general_dilated_patches(
            x, filt, strides, padding, lhs_dil, rhs_dil, dn) * w))(x), rtol=1e-13)
    np.testing.assert_allclose(ft.vmap(f)(np.stack([x, -x])), np.stack([ours, -ours]),
                               rtol=1e-14)


def test_conv_general_dilated_patches_float32_and_preferred_type() -> None:
    x = np.random.default_rng(3).standard_normal((1, 2, 4, 4)).astype(np.float32)
    for pet in (None, np.float64):
        ours = lax.conv_general_dilated_patches(x, (2, 2), (1, 1), "VALID",
                                                preferred_element_type=pet)
        theirs = jlax.conv_general_dilated_patches(x, (2, 2), (1, 1), "VALID",
                                                   preferred_element_type=pet)
        assert np.asarray(ours).dtype == np.asarray(theirs).dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_no_name_of_lax_ops_is_shadowed() -> None:
    """``functrace.lax`` serves ``_lax_ops``' names through ``__getattr__``: a module-level
    name of ``lax/__init__.py`` with the same spelling (an import, say) would hide one."""
    hidden = [n for n in _lax_ops.__all__ if getattr(lax, n) is not getattr(_lax_ops, n)]
    assert not hidden
