"""``functrace.lax``'s operations beyond control flow (``functrace/_lax_ops.py``): jax.lax's
semantics where they differ from NumPy's (C-style integer division, rounding half away from
zero, logical shifts, strict dtypes and shapes), against NumPy references; derivatives against
central differences; jit and vmap against eager."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace import lax
from functrace.testing import check_grads

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4))
Y = np.abs(rng.standard_normal((3, 4))) + 0.5
I = np.array([7, -7, 3, -3])
J = np.array([2, 2, -2, -2])

# name, lax call, NumPy reference
VALUES: list[tuple[str, Callable[[], Any], Any]] = [
    ("add scalar", lambda: lax.add(X, 1.0), X + 1.0),
    ("div ints: toward zero", lambda: lax.div(I, J), np.trunc(I / J).astype(int)),
    ("rem ints: sign of the dividend", lambda: lax.rem(I, J), np.fmod(I, J)),
    ("div floats", lambda: lax.div(X, Y), X / Y),
    ("round: halves away from zero", lambda: lax.round(np.array([0.5, 1.5, -0.5, -2.5, 2.4])),
     np.array([1.0, 2.0, -1.0, -3.0, 2.0])),
    ("round to even", lambda: lax.round(np.array([0.5, 1.5, -2.5]),
                                        lax.RoundingMethod.TO_NEAREST_EVEN), [0.0, 2.0, -2.0]),
    ("shift right logical", lambda: lax.shift_right_logical(np.array([-8, 8], np.int8),
                                                            np.array([1, 1], np.int8)),
     np.array([124, 4], np.int8)),
    ("shift right arithmetic", lambda: lax.shift_right_arithmetic(np.array([-8, 8]), 1),
     np.array([-4, 4])),
    ("population count: two's complement", lambda: lax.population_count(
        np.array([-1, 7], np.int8)), np.array([8, 3], np.int8)),
    ("clamp", lambda: lax.clamp(-0.5, X, 0.5), np.clip(X, -0.5, 0.5)),
    ("select", lambda: lax.select(X > 0, X, Y), np.where(X > 0, X, Y)),
    ("select_n", lambda: lax.select_n(np.array([0, 1, 2, 1]), X[0], Y[0], X[1]),
     np.choose([0, 1, 2, 1], [X[0], Y[0], X[1]])),
    ("integer_pow", lambda: lax.integer_pow(X, 3), X ** 3),
    ("logistic", lambda: lax.logistic(X), 1 / (1 + np.exp(-X))),
    ("rsqrt", lambda: lax.rsqrt(Y), 1 / np.sqrt(Y)),
    ("broadcast", lambda: lax.broadcast(X, (2,)), np.broadcast_to(X, (2, 3, 4))),
    ("reshape with dimensions", lambda: lax.reshape(X, (4, 3), (1, 0)), X.T.reshape(4, 3)),
    ("rev", lambda: lax.rev(X, (0, 1)), X[::-1, ::-1]),
    ("pad with interior", lambda: lax.pad(np.array([1.0, 2.0, 3.0]), 0.0, ((1, -1, 1),)),
     np.array([0.0, 1.0, 0.0, 2.0, 0.0])),
    ("slice with strides", lambda: lax.slice(X, (0, 1), (3, 4), (2, 2)), X[0:3:2, 1:4:2]),
    ("index_in_dim", lambda: lax.index_in_dim(X, -1, axis=1, keepdims=False), X[:, -1]),
    ("dynamic_slice: clamped", lambda: lax.dynamic_slice(X, (np.int32(1), np.int32(3)), (2, 2)),
     X[1:3, 2:4]),
    ("dynamic_index_in_dim", lambda: lax.dynamic_index_in_dim(X, np.int32(1), 0, False), X[1]),
    ("dynamic_update_slice: clamped", lambda: lax.dynamic_update_slice(
        X, np.zeros((2, 2)), (np.int32(2), np.int32(1))),
     np.concatenate([X[:1], np.concatenate([X[1:, :1], np.zeros((2, 2)), X[1:, 3:]], 1)])),
    ("dynamic_update_index_in_dim", lambda: lax.dynamic_update_index_in_dim(
        X, np.zeros(4), np.int32(1), 0), np.concatenate([X[:1], np.zeros((1, 4)), X[2:]])),
    ("broadcasted_iota", lambda: lax.broadcasted_iota(np.int32, (2, 3), 1),
     np.array([[0, 1, 2], [0, 1, 2]], np.int32)),
    ("dot_general with batch", lambda: lax.dot_general(X[None], Y[None],
                                                       (((2,), (2,)), ((0,), (0,)))),
     (X @ Y.T)[None]),
    ("argmax", lambda: lax.argmax(X, 1, np.int32), np.argmax(X, 1).astype(np.int32)),
    ("reduce by add", lambda: lax.reduce(X, 0.0, lax.add, (1,)), X.sum(1)),
    ("reduce by max, 7 entries", lambda: lax.reduce(np.arange(7.0), -np.inf, lax.max, (0,)),
     6.0),
    ("reduce, empty", lambda: lax.reduce(np.zeros((2, 0)), 1.0, lax.mul, (1,)), np.ones(2)),
    ("reduce keeps the order (a non-commuting computation)", lambda: lax.reduce(
        (np.arange(1.0, 6.0), np.arange(5.0)), (1.0, 0.0),
        lambda p, q: (p[0] * q[0], p[1] * q[0] + q[1]), (0,))[1],
     # the affine maps h -> a h + b composed in order: h5 from h0 = 0
     np.float64((((0 * 2 + 1) * 3 + 2) * 4 + 3) * 5 + 4)),
    ("cumsum reversed", lambda: lax.cumsum(X, axis=1, reverse=True),
     np.cumsum(X[:, ::-1], 1)[:, ::-1]),
    ("cummax", lambda: lax.cummax(X, axis=1), np.maximum.accumulate(X, 1)),
    ("cummin reversed", lambda: lax.cummin(X, axis=0, reverse=True),
     np.minimum.accumulate(X[::-1], 0)[::-1]),
    ("cumlogsumexp", lambda: lax.cumlogsumexp(X, axis=1), np.logaddexp.accumulate(X, 1)),
    ("associative_scan, 11 entries", lambda: lax.associative_scan(lax.add, np.arange(1.0, 12.0)),
     np.cumsum(np.arange(1.0, 12.0))),
    ("associative_scan of pairs", lambda: lax.associative_scan(
        lambda a, b: (a[0] * b[0], a[1] * b[0] + b[1]), (X + 2, Y), axis=1)[1],
     # the linear recurrence h_t = a_t h_{t-1} + b_t
     np.stack([np.array([np.sum([Y[r, k] * np.prod(X[r, k + 1:t + 1] + 2) for k in range(t + 1)])
                         for t in range(4)]) for r in range(3)])),
    ("sort several, one key", lambda: lax.sort((np.array([2, 1, 2, 1]),
                                                np.array([4.0, 3.0, 2.0, 1.0])), num_keys=1)[1],
     np.array([3.0, 1.0, 4.0, 2.0])),
    ("top_k: ties lower index first", lambda: lax.top_k(np.array([1.0, 3.0, 3.0, 2.0]), 3)[1],
     np.array([1, 2, 3], np.int32)),
    # Found by comparing with jax.lax (helper fuzzing): negative starts count from the end,
    ("dynamic_slice: negative start", lambda: lax.dynamic_slice(
        np.arange(24.0).reshape(2, 3, 4), (np.int32(-1), 0, 0), (1, 2, 2)).ravel(),
     np.array([12.0, 13.0, 16.0, 17.0])),
    ("dynamic_update_slice: negative start", lambda: lax.dynamic_update_slice(
        np.zeros(4), np.ones(1), (np.int32(-1),)), np.array([0.0, 0.0, 0.0, 1.0])),
    # float-to-integer conversion saturates (NaN to 0),
    ("convert saturates", lambda: lax.convert_element_type(
        np.array([-1.7, 300.0, np.nan, np.inf, -np.inf, 2.0**63]), np.int8),
     np.array([-1, 127, 0, 127, -128, 127], np.int8)),
    ("convert saturates, int64 top", lambda: lax.convert_element_type(
        np.array([2.0**63, -2.0**64, 1e300]), np.int64),
     np.array([2**63 - 1, -2**63, 2**63 - 1], np.int64)),
    # reductions keep the dtype (wrapping), reduce empty axes to the identity, and are
    # bitwise on integers,
    ("reduce_sum wraps", lambda: lax.reduce_sum(np.full(4, 100, np.int8), (0,)), np.int8(-112)),
    ("cumprod keeps uint8", lambda: lax.cumprod(np.array([200, 2], np.uint8)),
     np.array([200, 144], np.uint8)),
    ("reduce_max of nothing", lambda: lax.reduce_max(np.zeros((0, 3)), (0,)), np.full(3, -np.inf)),
    ("reduce_min of nothing, int8", lambda: lax.reduce_min(np.zeros((0, 2), np.int8), (0,)),
     np.array([127, 127], np.int8)),
    ("reduce_and bitwise", lambda: lax.reduce_and(np.array([[6, 3]], np.int32), (1,)),
     np.array([2], np.int32)),
    ("reduce_or bitwise", lambda: lax.reduce_or(np.array([[6, 3]], np.int32), (1,)),
     np.array([7], np.int32)),
    # the arithmetic shift sign-extends unsigned bit patterns,
    ("shift right arithmetic, uint8", lambda: lax.shift_right_arithmetic(
        np.uint8([200, 100, 200]), np.uint8([1, 9, 9])), np.array([228, 0, 255], np.uint8)),
    # conj of a real array is complex, and pow takes an integer exponent.
    ("conj of reals", lambda: lax.conj(np.array([1.0, 2.0])), np.array([1.0, 2.0], complex)),
    ("pow float ** int", lambda: lax.pow(np.float32([2.0, 3.0]), np.int32([3, 2])),
     np.float32([8.0, 9.0])),
    ("sort_key_val", lambda: lax.sort_key_val(np.array([3, 1, 2]), np.array([10.0, 20.0, 30.0]))[1],
     np.array([20.0, 30.0, 10.0])),
]


@pytest.mark.parametrize("call,want", [pytest.param(c, w, id=n) for n, c, w in VALUES])
def test_values_match_numpy_eagerly_and_under_jit(call: Callable[[], Any], want: Any) -> None:
    for got in (call(), ft.jit(call)()):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        assert np.asarray(got).dtype == np.asarray(want).dtype


def test_strict_dtypes_and_shapes() -> None:
    with pytest.raises(TypeError, match="same dtypes"):
        lax.add(np.ones(3, np.float32), np.ones(3))
    with pytest.raises(TypeError, match="incompatible shapes"):
        lax.mul(np.ones(3), np.ones(4))
    assert lax.add(np.ones(3, np.float32), 1.0).dtype == np.float32  # a number takes the dtype
    assert lax.max is not max and "dynamic_slice" in dir(lax)
    with pytest.raises(AttributeError, match="no_such_op"):
        lax.no_such_op  # noqa: B018


DERIVATIVES: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("associative_scan mul", lambda v: lax.associative_scan(lax.mul, v), (np.arange(1.0, 8.0),)),
    ("associative_scan reversed pairs", lambda a, b: lax.associative_scan(
        lambda p, q: (p[0] * q[0], p[1] * q[0] + q[1]), (a, b), reverse=True), (X[0], Y[0])),
    ("reduce mul", lambda v: lax.reduce(v, 1.0, lax.mul, (0,)), (np.arange(1.0, 6.0),)),
    ("cummax", lambda v: lax.cummax(v, axis=1), (X,)),
    ("cumlogsumexp", lambda v: lax.cumlogsumexp(v, axis=0, reverse=True), (X,)),
    ("dynamic_update_slice", lambda x, u: lax.dynamic_update_slice(x, u, (np.int32(1), 2)),
     (X, Y[:2, :2])),
    ("pad", lambda x, v: lax.pad(x, v, ((1, 2, 1), (0, -1, 0))), (X, 0.5)),
    ("dot_general", lambda a, b: lax.dot_general(a, b, (((0,), (0,)), ((), ()))), (X, Y)),
    ("clamp", lambda x: lax.clamp(-0.5, x, 0.5), (X,)),
    ("top_k values", lambda x: lax.top_k(x, 2)[0], (X,)),
    ("div and rem of floats", lambda x, y: lax.div(x, y) + lax.rem(x, y) * 0.0, (X, Y)),
]


@pytest.mark.parametrize("f,args", [pytest.param(f, a, id=n) for n, f, a in DERIVATIVES])
def test_derivatives_against_central_differences(f: Callable[..., Any],
                                                 args: tuple[Any, ...]) -> None:
    check_grads(f, args, order=2, modes=("fwd", "rev"))


def test_associative_scan_matches_a_sequential_scan_under_vmap_and_jit() -> None:
    xs = rng.standard_normal((5, 9))

    def running_max_and_sum(v: Any) -> Any:
        return lax.associative_scan(lambda a, b: (lax.max(a[0], b[0]), a[1] + b[1]), (v, v))

    want = (np.maximum.accumulate(xs, 1), np.cumsum(xs, 1))
    for got in (ft.vmap(running_max_and_sum)(xs), ft.jit(ft.vmap(running_max_and_sum))(xs)):
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-12)
    g = ft.grad(lambda v: fnp.sum(lax.associative_scan(lax.add, v) * np.arange(9.0)))(xs[0])
    np.testing.assert_allclose(g, np.cumsum(np.arange(9.0)[::-1])[::-1])
