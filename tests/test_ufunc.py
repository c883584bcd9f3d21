"""``functrace.numpy.ufunc``: NumPy's ufunc methods on traced and concrete arrays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace.testing import check_grads

UFUNCS = ["add", "multiply", "subtract", "maximum", "minimum", "logaddexp", "logaddexp2"]


def arrays(draw: Any, ndim: int = 2) -> np.ndarray:
    shape = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).uniform(0.5, 1.5, shape)


@pytest.mark.parametrize("name", UFUNCS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_methods_match_numpy(name: str, data: Any) -> None:
    x = arrays(data.draw)
    axis = data.draw(st.sampled_from([0, 1, -1, None, (0, 1)]))
    ours, theirs = getattr(fnp, name), getattr(np, name)
    if name == "subtract" and axis == (0, 1):  # not reorderable: one axis at a time
        with pytest.raises(ValueError, match="reorderable"):
            ours.reduce(x, axis=axis)
    elif name == "subtract" and axis is None:  # the fold in C order, as JAX's
        np.testing.assert_allclose(ours.reduce(x, axis=None), theirs.reduce(x.ravel()),
                                   rtol=1e-12)
        assert ours.reduce(x, axis=None, keepdims=True).shape == (1, 1)
    else:
        np.testing.assert_allclose(ours.reduce(x, axis=axis), theirs.reduce(x, axis=axis),
                                   rtol=1e-12)
        keep = ours.reduce(x, axis=axis, keepdims=True)
        np.testing.assert_allclose(keep, theirs.reduce(x, axis=axis, keepdims=True),
                                   rtol=1e-12)
    ax = data.draw(st.sampled_from([0, 1, -1]))
    np.testing.assert_allclose(ours.accumulate(x, axis=ax), theirs.accumulate(x, axis=ax),
                               rtol=1e-12)
    y = arrays(data.draw, ndim=1)
    np.testing.assert_allclose(ours.outer(x, y), theirs.outer(x, y), rtol=1e-12)
    idx = data.draw(st.lists(st.integers(0, x.shape[0] - 1), min_size=1, max_size=5))
    expected = x.copy()
    theirs.at(expected, np.array(idx), 0.75)  # in place, repeated indices applied each time
    np.testing.assert_allclose(ours.at(x, np.array(idx), 0.75, inplace=False), expected,
                               rtol=1e-12)
    starts = sorted(data.draw(st.lists(st.integers(0, x.shape[0] - 1), min_size=1,
                                       max_size=4)))
    np.testing.assert_allclose(ours.reduceat(x, starts), theirs.reduceat(x, starts),
                               rtol=1e-12)


def test_boolean_and_integer_ufuncs_match_numpy() -> None:
    b = np.array([[True, False, True], [True, True, True]])
    n = np.array([[5, 3, 1], [7, 2, 8]])
    for name in ("logical_and", "logical_or", "logical_xor"):
        np.testing.assert_array_equal(getattr(fnp, name).reduce(b, axis=1),
                                      getattr(np, name).reduce(b, axis=1))
        np.testing.assert_array_equal(getattr(fnp, name).accumulate(b, axis=1),
                                      getattr(np, name).accumulate(b, axis=1))
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        np.testing.assert_array_equal(getattr(fnp, name).reduce(n, axis=1),
                                      getattr(np, name).reduce(n, axis=1))
        assert getattr(fnp, name).identity == getattr(np, name).identity
    np.testing.assert_array_equal(fnp.negative.at(np.arange(4.0), np.array([1, 1, 2]),
                                                  inplace=False), [0.0, 1.0, -2.0, 3.0])


def test_identities_initial_and_where() -> None:
    x = np.arange(1.0, 7.0).reshape(2, 3)
    assert (fnp.add.identity, fnp.multiply.identity, fnp.maximum.identity) == (0, 1, None)
    assert fnp.logaddexp.identity == -np.inf and fnp.subtract.identity is None
    np.testing.assert_allclose(fnp.add.reduce(x, axis=0, where=x > 2, initial=1.0),
                               np.add.reduce(x, axis=0, where=x > 2, initial=1.0))
    np.testing.assert_allclose(fnp.maximum.reduce(x, axis=1, where=x > 2, initial=0.0),
                               np.maximum.reduce(x, axis=1, where=x > 2, initial=0.0))
    np.testing.assert_allclose(fnp.maximum.reduce(np.zeros((0, 3)), axis=0, initial=-5.0),
                               [-5.0, -5.0, -5.0])
    np.testing.assert_allclose(fnp.add.reduce(np.zeros((0, 3)), axis=0), [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="identity"):
        fnp.maximum.reduce(np.zeros((0, 3)), axis=0)
    with pytest.raises(ValueError, match="initial"):
        fnp.maximum.reduce(x, where=x > 2)
    with pytest.raises(ValueError, match="identity"):
        fnp.subtract.reduce(x, where=x > 2, initial=0.0)


@pytest.mark.parametrize("name", UFUNCS)
def test_derivatives(name: str) -> None:
    u = getattr(fnp, name)
    x = np.random.default_rng(0).uniform(0.5, 1.5, (3, 4))
    y = np.random.default_rng(1).uniform(0.5, 1.5, 4)
    idx = np.array([0, 2, 0])
    methods: list[tuple[Callable[..., Any], tuple[Any, ...]]] = [
        (lambda a: u.reduce(a, axis=1), (x,)),
        (lambda a: u.reduce(a, axis=None), (x,)),
        (lambda a: u.accumulate(a, axis=0), (x,)),
        (lambda a, b: u.outer(a, b), (x, y)),
        (lambda a, b: u.at(a, idx, b, inplace=False), (x, y)),
        (lambda a: u.reduceat(a, [0, 2, 1], axis=1), (x,)),
    ]
    for f, args in methods:
        check_grads(f, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["add", "subtract", "maximum", "logaddexp"])
def test_under_jit_and_vmap(name: str) -> None:
    u = getattr(fnp, name)
    x = np.random.default_rng(0).uniform(0.5, 1.5, (5, 3, 4))

    def f(a: Any) -> Any:
        return (u.reduce(a, axis=0) + u.accumulate(a, axis=1)[-1]
                + fnp.sum(u.at(a, np.array([1, 1]), 0.5, inplace=False), axis=0))

    expected = np.stack([f(a) for a in x])
    np.testing.assert_allclose(ft.vmap(f)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(ft.jit(ft.vmap(f))(x), expected, rtol=1e-12)
    np.testing.assert_allclose(ft.jit(f)(x[0]), expected[0], rtol=1e-12)


def test_numpy_ufunc_methods_on_tracers() -> None:
    x = np.array([0.5, 1.0, 2.0])
    assert float(ft.grad(lambda a: np.logaddexp.reduce(a))(x)[0]) == pytest.approx(
        np.exp(0.5) / np.exp(x).sum())
    np.testing.assert_allclose(ft.grad(lambda a: np.add.accumulate(a).sum())(x), [3, 2, 1])
    np.testing.assert_allclose(ft.grad(lambda a: np.multiply.outer(a, a).sum())(x),
                               2 * x.sum() * np.ones(3))
    np.testing.assert_allclose(ft.grad(lambda a: np.add.reduceat(a, [0, 2]).prod())(x),
                               [2.0, 2.0, 1.5])
    with pytest.raises(TypeError, match="inplace=False"):
        ft.grad(lambda a: np.add.at(a, [0], 1.0))(x)


def test_at_requires_inplace_false_and_reduceat_known_indices() -> None:
    with pytest.raises(NotImplementedError, match="inplace=False"):
        fnp.add.at(np.zeros(3), np.array([0]), 1.0)
    with pytest.raises(TypeError, match="known"):
        ft.jit(lambda i: fnp.add.reduceat(np.arange(4.0), i))(np.array([0, 2]))
    with pytest.raises(ValueError, match="two arguments"):
        fnp.negative.reduce(np.ones(3))


def test_frompyfunc() -> None:
    def f(a: Any, b: Any) -> Any:
        return a * b + 1.0

    uf = fnp.frompyfunc(f, nin=2, nout=1)
    assert isinstance(uf, fnp.ufunc) and uf.nin == 2 and uf.identity is None
    a, b = np.arange(1.0, 4.0), np.array([[2.0], [3.0]])
    np.testing.assert_allclose(uf(a, b), a * b + 1.0)
    assert float(uf.reduce(a)) == (1.0 * 2.0 + 1.0) * 3.0 + 1.0
    np.testing.assert_allclose(uf.accumulate(a), [1.0, 3.0, 10.0])
    np.testing.assert_allclose(uf.outer(a, a), np.multiply.outer(a, a) + 1.0)
    np.testing.assert_allclose(ft.grad(lambda x: uf.reduce(x))(a), [6.0, 3.0, 3.0])
    two = fnp.frompyfunc(lambda x: (x + 1.0, x * 2.0), nin=1, nout=2)
    lo, hi = two(a)
    np.testing.assert_allclose(lo, a + 1.0)
    np.testing.assert_allclose(hi, a * 2.0)


def test_agrees_with_jax() -> None:
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    assert sorted(n for n in dir(jnp) if isinstance(getattr(jnp, n), jnp.ufunc)) == sorted(
        n for n in dir(fnp) if isinstance(getattr(fnp, n), fnp.ufunc))
    x = np.random.default_rng(2).uniform(0.5, 1.5, (3, 4))
    for name in UFUNCS:
        for method in (lambda u: u.reduce(x, axis=1), lambda u: u.accumulate(x, axis=1),
                       lambda u: u.at(x, np.array([0, 0, 2]), 0.3, inplace=False)):
            np.testing.assert_allclose(method(getattr(fnp, name)), method(getattr(jnp, name)),
                                       rtol=1e-12)


def test_at_with_traced_indices() -> None:
    idx = np.array([[0, 0], [1, 2]])
    for name in ("add", "logaddexp", "subtract"):
        u, ref = getattr(fnp, name), getattr(np, name)
        expected = []
        for row in idx:
            out = np.zeros(3)
            ref.at(out, row, 1.0)
            expected.append(out)
        np.testing.assert_allclose(ft.vmap(lambda i, u=u: u.at(np.zeros(3), i, 1.0,
                                                                inplace=False))(idx), expected)
        np.testing.assert_allclose(ft.jit(lambda i, u=u: u.at(np.zeros(3), i, 1.0,
                                                               inplace=False))(idx[0]),
                                   expected[0])
    np.testing.assert_allclose(
        ft.vmap(lambda i: fnp.negative.at(np.arange(3.0), i, inplace=False))(idx),
        [[0.0, 1.0, 2.0], [0.0, -1.0, -2.0]])
