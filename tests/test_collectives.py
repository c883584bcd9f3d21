"""Collectives over named vmap axes: ``lax.psum``, ``pmean``, ``pmax``, ``pmin``,
``all_gather`` and ``axis_index`` inside ``vmap(..., axis_name=...)``, as in JAX: values against
NumPy, nesting, jit, control flow, derivatives, and unbound names."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace import lax
from functrace.testing import check_grads

X = np.arange(1.0, 7.0).reshape(3, 2)


def test_reductions_over_the_batch() -> None:
    def over(fn: Any) -> np.ndarray:
        return ft.vmap(fn, axis_name="i")(X)

    np.testing.assert_allclose(over(lambda v: lax.psum(v, "i")), np.tile(X.sum(0), (3, 1)))
    np.testing.assert_allclose(over(lambda v: lax.pmean(v, "i")), np.tile(X.mean(0), (3, 1)))
    np.testing.assert_allclose(over(lambda v: lax.pmax(v, "i")), np.tile(X.max(0), (3, 1)))
    np.testing.assert_allclose(over(lambda v: lax.pmin(v, "i")), np.tile(X.min(0), (3, 1)))
    np.testing.assert_allclose(over(lambda v: v / lax.psum(v, "i")), X / X.sum(0))
    np.testing.assert_array_equal(over(lambda v: lax.axis_index("i")), [0, 1, 2])
    np.testing.assert_allclose(over(lambda v: lax.all_gather(v, "i")), np.tile(X, (3, 1, 1)))
    np.testing.assert_allclose(over(lambda v: lax.all_gather(v, "i", axis=1)),
                               np.tile(X.T, (3, 1, 1)))
    np.testing.assert_allclose(over(lambda v: lax.all_gather(v, "i", tiled=True)),
                               np.tile(X.ravel(), (3, 1)))
    # An unbatched value summed over 3 members is 3 times it; a pytree is summed leafwise.
    out = ft.vmap(lambda v, w: lax.psum({"w": w, "v": v}, "i"), in_axes=(0, None),
                  axis_name="i")(X, np.ones(2))
    np.testing.assert_allclose(out["w"], np.full((3, 2), 3.0))
    np.testing.assert_allclose(out["v"], np.tile(X.sum(0), (3, 1)))
    assert ft.vmap(lambda v: lax.psum(1, "i"), axis_name="i")(X).tolist() == [3, 3, 3]


def test_nested_names_and_jit() -> None:
    inner_sum = ft.vmap(ft.vmap(lambda v: lax.psum(v, "i"), axis_name="j"), axis_name="i")
    np.testing.assert_allclose(inner_sum(X), np.tile(X.sum(0), (3, 1)))
    both = ft.vmap(ft.vmap(lambda v: lax.psum(v, ("i", "j")), axis_name="j"), axis_name="i")
    np.testing.assert_allclose(both(X), np.full((3, 2), X.sum()))
    index = ft.vmap(ft.vmap(lambda v: lax.axis_index(("i", "j")), axis_name="j"),
                    axis_name="i")
    np.testing.assert_array_equal(index(X), np.arange(6).reshape(3, 2))
    centred = ft.jit(ft.vmap(lambda v: v - lax.pmean(v, "i"), axis_name="i"))
    np.testing.assert_allclose(centred(X), X - X.mean(0))
    np.testing.assert_allclose(ft.vmap(ft.jit(lambda v: v - lax.pmean(v, "i")),
                                       axis_name="i")(X), X - X.mean(0))


def test_inside_control_flow() -> None:
    def running(v: Any) -> Any:
        return lax.fori_loop(0, 2, lambda k, c: c + lax.psum(v, "i"), fnp.zeros_like(v))

    np.testing.assert_allclose(ft.vmap(running, axis_name="i")(X), np.tile(2 * X.sum(0), (3, 1)))

    def scanned(v: Any) -> Any:
        return lax.scan(lambda c, x: (c + lax.pmax(x, "i"), None), 0.0, v)[0]

    np.testing.assert_allclose(ft.vmap(scanned, axis_name="i")(X), np.full(3, X.max(0).sum()))


def normalized_loss(x: Any) -> Any:
    return fnp.sum(ft.vmap(lambda v: v / lax.psum(v, "i"), axis_name="i")(x) ** 2)


def test_derivatives() -> None:
    check_grads(normalized_loss, (X,), order=2)
    gather = lambda x: fnp.sum(ft.vmap(lambda v: lax.all_gather(v, "i")[0] * v,  # noqa: E731
                                        axis_name="i")(x))
    check_grads(gather, (X,), order=2)
    index_weighted = lambda x: fnp.sum(ft.vmap(  # noqa: E731
        lambda v: v * lax.axis_index("i") + lax.pmean(v**2, "i"), axis_name="i")(x))
    check_grads(index_weighted, (X,), order=2)
    # Per-example gradients of a loss that reads the batch mean: as in JAX, the transpose of
    # pmean sums the members' cotangents (here they sum to zero), so member k gets
    # 2 w v_k (v_k - mean(v)), not the derivative of its own loss alone.
    w = np.array([1.0, 2.0])
    per_example = ft.vmap(ft.grad(lambda w, v: fnp.sum((v * w - lax.pmean(v * w, "i")) ** 2)),
                          in_axes=(None, 0), axis_name="i")(w, X)
    np.testing.assert_allclose(per_example, 2 * w * X * (X - X.mean(0)), rtol=1e-12)
    # pmax itself has no derivative (as in JAX) ...
    with pytest.raises(NotImplementedError, match="pmax has no derivative"):
        ft.vmap(ft.grad(lambda v: fnp.sum(lax.pmax(v, "i"))), axis_name="i")(X)
    # ... but a vmap differentiated from outside is batched first: pmax is then a reduce_max,
    # whose derivative goes to the maximum (JAX differentiates first, and raises).
    g = ft.grad(lambda x: fnp.sum(ft.vmap(lambda v: lax.pmax(v, "i"), axis_name="i")(x)))(X)
    np.testing.assert_array_equal(g, [[0, 0], [0, 0], [3, 3]])


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**31 - 1))
def test_psum_matches_the_sum_over_the_batch(n: int, m: int, seed: int) -> None:
    xs = np.random.default_rng(seed).standard_normal((n, m))
    out = ft.vmap(lambda v: lax.psum(v, "b") - v, axis_name="b")(xs)
    np.testing.assert_allclose(out, xs.sum(0) - xs, atol=1e-12)


def test_unbound_names_and_misuse() -> None:
    with pytest.raises(NameError, match="unbound axis name"):
        lax.psum(1.0, "i")
    with pytest.raises(NameError, match="unbound axis name: 'k'"):
        ft.vmap(lambda v: lax.psum(v, "k"), axis_name="i")(X)
    with pytest.raises(NameError, match="unbound"):
        ft.jit(lambda v: lax.axis_index("i"))(1.0)
    with pytest.raises(NotImplementedError, match="several axis names"):
        ft.vmap(ft.vmap(lambda v: lax.all_gather(v, ("i", "j")), axis_name="j"),
                axis_name="i")(X)
    with pytest.raises(ValueError, match="out of range"):
        ft.vmap(lambda v: lax.all_gather(v, "i", axis=3), axis_name="i")(X)
    # SPEC's signature keeps axis_size fourth; axis_name is a keyword after it.
    assert ft.vmap(lambda: lax.axis_index("i"), (), 0, 4, axis_name="i")().tolist() == [0, 1,
                                                                                       2, 3]


# -- the exchanges: all_to_all, psum_scatter, pswapaxes, pshuffle, pbroadcast --------------------

_R = np.random.default_rng(7)
_A, _B, _C = (_R.standard_normal(s) for s in ((3, 3, 4), (3, 4, 6), (3, 2, 3, 6)))
EXCHANGES: list[tuple[str, Any, np.ndarray]] = [
    ("all_to_all 0 1", lambda L: lambda v: L.all_to_all(v, "i", 0, 1), _A),
    ("all_to_all 0 0", lambda L: lambda v: L.all_to_all(v, "i", 0, 0), _A),
    ("all_to_all 1 2", lambda L: lambda v: L.all_to_all(v, "i", 1, 2), _C),
    ("all_to_all tiled 1 0", lambda L: lambda v: L.all_to_all(v, "i", 1, 0, tiled=True), _B),
    ("all_to_all tiled 2 1", lambda L: lambda v: L.all_to_all(v, "i", 2, 1, tiled=True), _C),
    ("psum_scatter", lambda L: lambda v: L.psum_scatter(v, "i"), _A),
    ("psum_scatter tiled", lambda L: lambda v: L.psum_scatter(
        v, "i", scatter_dimension=1, tiled=True), _B),
    ("pswapaxes", lambda L: lambda v: L.pswapaxes(v, "i", 0), _A),
    ("pshuffle", lambda L: lambda v: L.pshuffle(v, "i", [2, 0, 1]), _A),
]


@pytest.mark.parametrize("name, make, x", EXCHANGES, ids=[c[0] for c in EXCHANGES])
def test_exchanges_match_jax(name: str, make: Any, x: np.ndarray) -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    want = np.asarray(jax.vmap(make(jax.lax), axis_name="i")(x))
    got = ft.vmap(make(lax), axis_name="i")(x)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-14)
    w = np.random.default_rng(1).standard_normal(want.shape)
    np.testing.assert_allclose(
        ft.grad(lambda a: fnp.sum(ft.vmap(make(lax), axis_name="i")(a) * w))(x),
        jax.grad(lambda a: (jax.vmap(make(jax.lax), axis_name="i")(a) * w).sum())(x),
        rtol=1e-13)


def test_pbroadcast_and_exchange_errors() -> None:
    got = ft.vmap(lambda v: lax.pbroadcast(v, "i", 1), axis_name="i")(X)
    np.testing.assert_array_equal(got, np.tile(X[1], (3, 1)))
    g = ft.grad(lambda a: fnp.sum(ft.vmap(lambda v: lax.pbroadcast(v, "i", 1),
                                         axis_name="i")(a) * X))(X)
    np.testing.assert_array_equal(g, np.stack([np.zeros(2), X.sum(0), np.zeros(2)]))
    over = lambda fn: ft.vmap(fn, axis_name="i")(np.ones((3, 4)))  # noqa: E731
    with pytest.raises(ValueError, match="has 3 members"):
        over(lambda v: lax.all_to_all(v, "i", 0, 0))
    with pytest.raises(ValueError, match="does not split evenly"):
        over(lambda v: lax.psum_scatter(v, "i", tiled=True))
    with pytest.raises(ValueError, match="permutation"):
        over(lambda v: lax.pshuffle(v, "i", [0, 0, 1]))
    with pytest.raises(ValueError, match="not a member"):
        over(lambda v: lax.pbroadcast(v, "i", 3))
    with pytest.raises(NotImplementedError, match="axis_index_groups"):
        over(lambda v: lax.psum_scatter(v, "i", axis_index_groups=[[0, 1, 2]]))
