"""JAX's vmap tests (tests/batching_test.py, BatchingTest), ported to functrace's API.

Each test keeps the inputs and the expected behaviour of the JAX test it is named after and
compares against NumPy or a Python loop over the batch. Left out: pmap (and the collectives
functrace does not have: ``pdot``, ``all_to_all``, ``psum_scatter``, ``pargmax``), TPU
tolerances, the tests of JAX's internal batching-rule tables and of ``register_vmappable``.
"""

from __future__ import annotations

import functools
import itertools
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.lax as lax
import functrace.numpy as fnp
from functrace.interpreters.eval import eval_jaxpr
from functrace.tree_util import tree_leaves, tree_structure


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape)


def assert_tree_close(actual: Any, expected: Any, rtol: float = 1e-7, atol: float = 0.0) -> None:
    assert tree_structure(actual) == tree_structure(expected), (actual, expected)
    for a, e in zip(tree_leaves(actual), tree_leaves(expected), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=atol)


def test_constant_function() -> None:
    np.testing.assert_array_equal(ft.vmap(lambda x: 3)(np.ones(4)), 3 * np.ones(4))


def test_nested_batching_mat_mat() -> None:
    matvec = ft.vmap(fnp.vdot, in_axes=(0, None))
    matmat = ft.vmap(matvec, in_axes=(None, 1), out_axes=1)
    a, b = rand(4, 3), rand(3, 2, seed=1)
    np.testing.assert_allclose(matmat(a, b), a @ b)
    # JAX's jaxpr is one dot_general; functrace's batching of vdot may add a transpose or a
    # conversion, but the product stays a single dot_general.
    jaxpr = ft.make_jaxpr(matmat)(a, b)
    assert [e.primitive.name for e in jaxpr.jaxpr.eqns].count("dot_general") == 1


def test_per_example_gradients() -> None:
    def predict(params: Any, inputs: Any) -> Any:
        for w, b in params:
            outputs = fnp.dot(w, inputs) + b
            inputs = fnp.tanh(outputs)
        return outputs

    def loss(params: Any, data: Any) -> Any:
        inputs, targets = data
        return fnp.sum((predict(params, inputs) - targets) ** 2)

    rng = np.random.RandomState(0)
    sizes = [3, 2, 4]
    params = [(rng.randn(m, n), rng.randn(m)) for m, n in zip(sizes[1:], sizes[:-1], strict=True)]
    batch = (rng.randn(5, 3), rng.randn(5, 4))
    ans = ft.vmap(functools.partial(ft.grad(loss), params))(batch)
    for k in range(5):
        one = ft.grad(loss)(params, (batch[0][k], batch[1][k]))
        for (dw, db), (dw1, db1), (w, b) in zip(ans, one, params, strict=True):
            assert dw.shape == (5, *w.shape) and db.shape == (5, *b.shape)
            np.testing.assert_allclose(dw[k], dw1, rtol=1e-12)
            np.testing.assert_allclose(db[k], db1, rtol=1e-12)


def test_jacobians_by_hand() -> None:
    def jacbwd(f: Any, x: Any) -> Any:
        y, pullback = ft.vjp(f, x)
        basis = np.eye(np.size(y)).reshape((-1, *np.shape(y)))
        (jac_flat,) = ft.vmap(pullback, out_axes=np.ndim(y))(basis)
        return jac_flat.reshape(np.shape(y) + np.shape(x))

    def jacfwd(f: Any, x: Any) -> Any:
        basis = np.eye(np.size(x)).reshape((-1, *np.shape(x)))
        y, jac_flat = ft.vmap(lambda v: ft.jvp(f, (x,), (v,)), out_axes=(None, 0))(basis)
        return jac_flat.reshape(np.shape(y) + np.shape(x))

    a, b, x = rand(4, 3), rand(4, seed=1), rand(3, seed=2)
    f = lambda x: fnp.tanh(fnp.dot(a, x) + b)  # noqa: E731
    jac = (1 - np.tanh(a @ x + b) ** 2)[:, None] * a
    # Both helpers (as JAX's test writes them) stack the input index first and then reshape,
    # not transpose, to the output's shape: they agree, on the transposed Jacobian's entries.
    expected = jac.T.reshape(4, 3)
    np.testing.assert_allclose(jacfwd(f, x), expected, rtol=1e-12)
    np.testing.assert_allclose(jacbwd(f, x), expected, rtol=1e-12)


def test_batch_of_compile() -> None:
    side: list[None] = []

    @ft.jit
    def f(x: Any) -> Any:
        side.append(None)
        return x + x

    g = ft.jit(ft.vmap(f))
    np.testing.assert_array_equal(g(np.ones(2)), 2 * np.ones(2))
    assert len(side) == 1
    np.testing.assert_array_equal(g(2 * np.ones(2)), 4 * np.ones(2))
    assert len(side) == 1


def test_slice_lax_and_numpy() -> None:
    x = rand(5, 10)
    np.testing.assert_array_equal(ft.vmap(lambda x: lax.slice(x, (2,), (4,)))(x), x[:, 2:4])
    x = rand(10, 5, 3, 7)
    np.testing.assert_array_equal(ft.vmap(lambda x: x[:, 2])(x), x[:, :, 2])


def test_rev_lax() -> None:
    x = rand(2, 3)
    fun = lambda x: lax.rev(x, [0])  # noqa: E731
    np.testing.assert_array_equal(ft.vmap(fun)(x), x[:, ::-1])
    np.testing.assert_array_equal(ft.vmap(fun, (1,), 1)(x), x[::-1, :])


def test_rev_numpy() -> None:
    x = rand(3, 2, 4)
    fun = lambda x: x[:, ::-1]  # noqa: E731
    np.testing.assert_array_equal(ft.vmap(fun)(x), x[:, :, ::-1])
    np.testing.assert_array_equal(ft.vmap(fun, (1,), 1)(x), x[:, :, ::-1])
    np.testing.assert_array_equal(ft.vmap(fun, (2,), 2)(x), x[:, ::-1, :])


def test_np_maximum_and_greater() -> None:
    x = rand(10, 5, 3, 7)
    np.testing.assert_array_equal(ft.vmap(lambda x: fnp.maximum(x, 0.0))(x), np.maximum(x, 0.0))
    np.testing.assert_array_equal(ft.vmap(lambda x: x > 1.0)(x), x > 1.0)


def test_np_maximum_per_example_grad() -> None:
    x, w = rand(10, 5), rand(5, 5, seed=1)
    fun = lambda w, x: fnp.sum(fnp.maximum(fnp.dot(x, w), 0.0) ** 2)  # noqa: E731
    ans = ft.vmap(functools.partial(ft.grad(fun), w))(x)
    for i in range(10):
        x_ex = x[i:i + 1]
        expected = (2.0 * np.maximum(w.T @ x_ex.T, 0.0) @ x_ex).T
        np.testing.assert_allclose(ans[i], expected, rtol=1e-12)


@pytest.mark.parametrize("xshape, yshape, in_axes, dims", [
    ((10, 3, 4, 5), (10, 3, 5, 6), (0, 0), (((2,), (1,)), ((0,), (0,)))),
    ((3, 4, 10, 5), (3, 10, 5, 6), (2, 1), (((2,), (1,)), ((0,), (0,)))),
    ((3, 4, 5, 10), (3, 5, 6), (3, None), (((2,), (1,)), ((0,), (0,)))),
    ((3, 4, 5), (3, 5, 10, 6), (None, 2), (((2,), (1,)), ((0,), (0,)))),
    ((4,), (4, 10), (None, 1), (((0,), (0,)), ((), ()))),
])
def test_dot_general(xshape: tuple[int, ...], yshape: tuple[int, ...],
                     in_axes: tuple[int | None, int | None], dims: Any) -> None:
    x, y = rand(*xshape), rand(*yshape, seed=1)
    fun = lambda x, y: lax.dot_general(x, y, dims)  # noqa: E731
    ans = ft.vmap(fun, in_axes=in_axes)(x, y)
    take = lambda a, ax, i: a if ax is None else np.take(a, i, axis=ax)  # noqa: E731
    expected = np.stack([fun(take(x, in_axes[0], i), take(y, in_axes[1], i)) for i in range(10)])
    np.testing.assert_allclose(ans, expected, rtol=1e-12)


def test_dot_shapes() -> None:
    def vecvec(a: Any, b: Any) -> Any:
        dot = fnp.dot
        for ndim in range(1, max(a.ndim, b.ndim)):
            dot = ft.vmap(dot, in_axes=(0 if a.ndim > ndim else None,
                                        0 if b.ndim > ndim else None))
        return dot(a, b)

    assert vecvec(np.zeros((3,)), np.zeros((3,))).shape == ()
    assert vecvec(np.zeros((2, 3)), np.zeros((3,))).shape == (2,)
    assert vecvec(np.zeros((4, 2, 3)), np.zeros((3,))).shape == (4, 2)


def test_dot_variants() -> None:
    xs, ys = rand(10, 3), rand(10, 3, seed=1)
    np.testing.assert_allclose(ft.vmap(fnp.dot)(xs, ys), np.einsum("ni,ni->n", xs, ys))
    xs, ys = rand(5, 8, 10), rand(10, 1, seed=1)
    np.testing.assert_allclose(ft.vmap(fnp.dot, in_axes=(1, None))(xs, ys),
                               np.einsum("inj,jk->nik", xs, ys))
    xs, ys = rand(3, 2), rand(3, seed=1)
    np.testing.assert_allclose(ft.vmap(fnp.dot, in_axes=(1, None))(xs, ys),
                               np.einsum("ij,i->j", xs, ys))


def test_pad() -> None:
    for config, shape in [([(1, 2, 1)], (5, 10)), ([(1, 2, 1), (0, 1, 0)], (5, 10, 3))]:
        fun = functools.partial(lax.pad, padding_value=np.float32(0), padding_config=config)
        x = rand(*shape).astype(np.float32)
        np.testing.assert_array_equal(ft.vmap(fun)(x), np.stack([fun(r) for r in x]))


def test_concatenate() -> None:
    r = lambda *shape: rand(*shape).astype(np.float32)  # noqa: E731
    x, y, z = r(10, 2, 3), r(1, 10, 3), r(4, 3)
    ans = ft.vmap(lambda *a: lax.concatenate(a, dimension=0), in_axes=(0, 1, None))(x, y, z)
    expected = np.concatenate([x, np.swapaxes(y, 0, 1), np.broadcast_to(z, (10, 4, 3))], 1)
    np.testing.assert_array_equal(ans, expected)
    x, y, z = r(10, 2, 1), r(2, 3), r(2, 4, 10)
    ans = ft.vmap(lambda *a: lax.concatenate(a, dimension=1), in_axes=(0, None, 2))(x, y, z)
    expected = np.concatenate([x, np.broadcast_to(y, (10, 2, 3)), np.moveaxis(z, 2, 0)], 2)
    np.testing.assert_array_equal(ans, expected)


def test_jacobian_of_array_of_list_issue54() -> None:
    func = lambda xs: fnp.array(list(xs))  # noqa: E731
    xs = np.ones((5, 1))
    expected = np.eye(5).reshape(5, 1, 5, 1)
    np.testing.assert_array_equal(ft.jacrev(func)(xs), expected)
    np.testing.assert_array_equal(ft.jacfwd(func)(xs), expected)


def test_any() -> None:
    ans = ft.vmap(fnp.any)(np.array([[True, False], [False, False]]))
    np.testing.assert_array_equal(ans, [True, False])


def test_hessian_of_relu_square() -> None:
    fun = lambda x, t: fnp.sum(fnp.power(fnp.maximum(x, 0.0), 2)) + t  # noqa: E731
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    # At 0 the derivative of max(x, 0) is split between the tied arguments (docs/design.md).
    np.testing.assert_allclose(ft.hessian(lambda x: fun(x, 0.0))(x),
                               np.diag([0.0, 0.0, 0.5, 2.0, 2.0]))


def test_dynamic_slice_by_indexing() -> None:
    x = np.arange(30).reshape((10, 3))
    np.testing.assert_array_equal(ft.vmap(lambda x, i: x[i], in_axes=(0, None))(x, 1), x[:, 1])
    idx = np.array([0, 1, 2, 1, 0] * 2)
    np.testing.assert_array_equal(ft.vmap(lambda x, i: x[i], in_axes=(0, 0))(x, idx),
                                  x[np.arange(10), idx])
    x = np.arange(3)
    np.testing.assert_array_equal(ft.vmap(lambda x, i: x[i], in_axes=(None, 0))(x, idx), x[idx])


def test_dynamic_update_slice() -> None:
    rng = np.random.RandomState(0)
    x, y = rng.randn(10, 3), rng.randn(10)
    upd = lambda x, y, i: lax.dynamic_update_index_in_dim(x, y, i, axis=0)  # noqa: E731
    expected = x.copy()
    expected[:, 1] = y
    np.testing.assert_array_equal(ft.vmap(upd, in_axes=(0, 0, None))(x, y, 1), expected)
    x = rng.randn(3)
    idx = np.array([0, 1, 2, 1, 0] * 2)
    expected = np.broadcast_to(x, (10, 3)).copy()
    expected[np.arange(10), idx] = y
    np.testing.assert_array_equal(ft.vmap(upd, in_axes=(None, 0, 0))(x, y, idx), expected)


def test_random() -> None:
    seeds = ft.vmap(ft.random.PRNGKey)(np.arange(10))
    ans = ft.vmap(functools.partial(ft.random.normal, shape=(3, 2)))(seeds)
    expected = np.stack([ft.random.normal(ft.random.PRNGKey(seed), (3, 2))
                         for seed in range(10)])
    np.testing.assert_array_equal(ans, expected)
    assert len(np.unique(ans)) == 10 * 3 * 2


def test_sort() -> None:
    v = np.arange(12)[::-1].reshape(3, 4)
    np.testing.assert_array_equal(ft.vmap(functools.partial(lax.sort, dimension=0), (0,))(v),
                                  v[:, ::-1])
    np.testing.assert_array_equal(ft.vmap(functools.partial(lax.sort, dimension=-1), (0,))(v),
                                  v[:, ::-1])
    np.testing.assert_array_equal(ft.vmap(functools.partial(lax.sort, dimension=0), (1,))(v),
                                  v[::-1, :].T)
    np.testing.assert_array_equal(
        ft.vmap(functools.partial(lax.sort, dimension=0), (1,), 1)(v), v[::-1, :])


def test_sort_key_val() -> None:
    k = np.arange(12)[::-1].reshape(3, 4)
    v = np.random.RandomState(0).permutation(12).reshape(3, 4)
    skv = functools.partial(lax.sort_key_val, dimension=0)
    cases = [((0, 0), 0, (k, v), (k[:, ::-1], v[:, ::-1])),
             ((1, 1), 1, (k, v), (k[::-1, :], v[::-1, :])),
             ((0, 1), 0, (k, v.T), (k[:, ::-1], v[:, ::-1])),
             ((1, 0), 0, (k.T, v), (k[:, ::-1], v[:, ::-1])),
             ((None, 0), 0, (k[0], v), (np.broadcast_to(k[0, ::-1], (3, 4)), v[:, ::-1])),
             ((1, None), 0, (k.T, v[0]), (k[:, ::-1], np.broadcast_to(v[0, ::-1], (3, 4))))]
    for in_axes, out_axes, args, (ek, ev) in cases:
        sk, sv = ft.vmap(skv, in_axes, out_axes)(*args)
        np.testing.assert_array_equal(sk, ek)
        np.testing.assert_array_equal(sv, ev)


def _conv(params: Any, x: Any, dims: tuple[str, str, str] = ("NHWC", "HWIO", "NHWC")) -> Any:
    one = (1, 1)
    return lax.conv_general_dilated(x, params, one, "SAME", one, one, dims)


def _per_example_check(f: Any, w: np.ndarray, x: np.ndarray) -> None:
    """vmap over single examples of f and of its gradient equals the batched f and a loop."""
    grad_loss = ft.grad(lambda params, x: fnp.mean(f(params, x) ** 2))
    xs = x.reshape((x.shape[0], 1, *x.shape[1:]))
    per_example = ft.vmap(functools.partial(f, w))(xs).reshape(f(w, x).shape)
    np.testing.assert_allclose(per_example, f(w, x), rtol=1e-5, atol=1e-6)
    per_example = ft.vmap(functools.partial(grad_loss, w))(xs)
    direct = np.stack([grad_loss(w, xs[i]) for i in range(x.shape[0])])
    np.testing.assert_allclose(per_example, direct, rtol=1e-4, atol=1e-5)


def test_conv_general_dilated() -> None:
    rng = np.random.RandomState(0)
    w = rng.randn(3, 3, 1, 5).astype(np.float32)
    x = rng.randn(4, 5, 5, 1).astype(np.float32)
    _per_example_check(_conv, w, x)


def test_conv_general_dilated_batch_not_major() -> None:
    rng = np.random.RandomState(0)
    w = rng.randn(3, 3, 1, 4).astype(np.float32)
    x = rng.randn(3, 5, 7, 5, 1).astype(np.float32)
    f = lambda params, x: _conv(params, x, ("HNWC", "HWIO", "HWNC"))  # noqa: E731
    per_example = ft.vmap(functools.partial(f, w))(x)
    per_example = np.reshape(np.transpose(per_example, (1, 2, 0, 3, 4)), (5, 5, 21, 4))
    direct = f(w, np.reshape(np.transpose(x, (1, 0, 2, 3, 4)), (5, 21, 5, 1)))
    np.testing.assert_allclose(per_example, direct, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op, unit", [(lax.max, -np.inf), (lax.min, np.inf), (lax.add, 0.0)],
                         ids=["max", "min", "sum"])
def test_pooling(op: Any, unit: float) -> None:
    rng = np.random.RandomState(0)
    w = rng.randn(3, 3, 1, 5).astype(np.float32)
    x = rng.randn(4, 5, 5, 1).astype(np.float32)

    def f(params: Any, x: Any) -> Any:
        y = _conv(params, x)
        return lax.reduce_window(y, np.float32(unit), op, (1, 2, 2, 1), (1, 1, 1, 1), "SAME")

    _per_example_check(f, w, x)


def test_cumprod() -> None:
    x = np.arange(9).reshape(3, 3) + 1
    np.testing.assert_array_equal(ft.vmap(lambda x: fnp.cumprod(x, axis=-1))(x),
                                  np.cumprod(x, axis=1))


def test_select() -> None:
    cases = [
        ((0, 0, 0), 0, (np.array([True, False]), np.array([0, 1]), np.array([2, 3])),
         np.array([0, 3])),
        ((0, None, None), 0, (np.array([False, True]), np.array([0, 1]), np.array([2, 3])),
         np.array([[2, 3], [0, 1]])),
        ((None, 0, None), 0,
         (True, np.array([0, 1], np.float32), np.array(3, np.float32)),
         np.array([0, 1], np.float32)),
        ((0, 0, None), 0,
         (np.array([False, True]), np.array([0, 1], np.float32), np.array(3, np.float32)),
         np.array([3, 1], np.float32)),
        ((0, None, 1), 1,
         (np.array([False, True]), np.array([2], np.float32), np.array([[3, 4]], np.float32)),
         np.array([[3, 2]], np.float32)),
    ]
    for in_axes, out_axes, args, expected in cases:
        np.testing.assert_array_equal(ft.vmap(lax.select, in_axes, out_axes)(*args), expected)


def test_linalg_cholesky() -> None:
    a = rand(10, 5, 5).astype(np.float32)
    a = np.matmul(a, np.swapaxes(a, -1, -2))
    np.testing.assert_allclose(ft.vmap(lax.linalg.cholesky)(a), np.linalg.cholesky(a),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        ft.vmap(lax.linalg.cholesky, in_axes=1, out_axes=0)(np.swapaxes(a, 0, 1)),
        np.linalg.cholesky(a), rtol=1e-4, atol=1e-5)


def test_linalg_triangular_solve() -> None:
    a = rand(4, 10, 4).astype(np.float32) + np.eye(4, dtype=np.float32)[:, None, :]
    b = rand(5, 4, 10).astype(np.float32)
    ts = lax.linalg.triangular_solve
    for in_axes, get_a, get_b in [((1, 2), lambda i: a[:, i], lambda i: b[..., i]),
                                  ((None, 2), lambda i: a[:, 0], lambda i: b[..., i]),
                                  ((1, None), lambda i: a[:, i], lambda i: b[..., 0])]:
        aa = a[:, 0] if in_axes[0] is None else a
        bb = b[..., 0] if in_axes[1] is None else b
        expected = np.stack([ts(get_a(i), get_b(i)) for i in range(10)])
        np.testing.assert_allclose(ft.vmap(ts, in_axes=in_axes)(aa, bb), expected,
                                   rtol=1e-5, atol=1e-5)


_GATHER_CASES = [
    # (axis, shape, idxs, dnums, slice_sizes): the operand batched at axis
    (0, (3, 5), np.array([[0], [2]]),
     dict(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,)), (1,)),
    (1, (10, 3), np.array([[0], [0], [0]]),
     dict(offset_dims=(1,), collapsed_slice_dims=(), start_index_map=(0,)), (2,)),
    (1, (10, 3, 5), np.array([[0], [2], [1]]),
     dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,)), (1, 3)),
    (2, (10, 5, 3), np.array([[0, 2], [1, 0]]),
     dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0, 1)), (1, 3)),
]

_GATHER_INDEX_CASES = [
    # (axis, shape, idxs, dnums, slice_sizes): the indices batched at axis
    (0, (5,), np.array([[[0], [2]], [[1], [3]]]),
     dict(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,)), (1,)),
    (1, (10,), np.array([[0, 0, 0], [0, 2, 1]]).T[..., None],
     dict(offset_dims=(1,), collapsed_slice_dims=(), start_index_map=(0,)), (2,)),
    (1, (10, 5), np.array([[0, 2, 1], [0, 3, 3]]).T[..., None],
     dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,)), (1, 3)),
    (0, (10, 5), np.array([[[0, 1], [2, 0]], [[1, 0], [2, 3]]]),
     dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0, 1)), (1, 3)),
]

_GATHER_BOTH_CASES = [
    # (op_axis, idxs_axis, shape, idxs, dnums, slice_sizes)
    (0, 0, (2, 5), np.array([[[0], [2]], [[1], [3]]]),
     dict(offset_dims=(), collapsed_slice_dims=(0,), start_index_map=(0,)), (1,)),
    (1, 1, (10, 2), np.array([[0, 0, 0], [0, 2, 1]]).T[..., None],
     dict(offset_dims=(1,), collapsed_slice_dims=(), start_index_map=(0,)), (2,)),
    (0, 1, (2, 10, 5), np.array([[[0, 2, 1], [0, 3, 3]]]).T,
     dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,)), (1, 3)),
    (2, 0, (10, 5, 2), np.array([[[0, 2], [1, 0]], [[1, 0], [2, 0]]]),
     dict(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0, 1)), (1, 3)),
]


def _gather(dnums: dict[str, Any], slice_sizes: tuple[int, ...]) -> Any:
    return functools.partial(lax.gather, dimension_numbers=lax.GatherDimensionNumbers(**dnums),
                             slice_sizes=slice_sizes)


def _slice_at(a: np.ndarray, axis: int, i: int) -> np.ndarray:
    return a[(slice(None),) * axis + (i,)]


@pytest.mark.parametrize("case", range(len(_GATHER_CASES)))
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_gather_batched_operand(case: int, dtype: Any) -> None:
    axis, shape, idxs, dnums, slice_sizes = _GATHER_CASES[case]
    fun = _gather(dnums, slice_sizes)
    operand = (rand(*shape) * 3).astype(dtype)
    expected = np.stack([fun(_slice_at(operand, axis, i), idxs)
                         for i in range(shape[axis])])
    np.testing.assert_array_equal(ft.vmap(fun, (axis, None))(operand, idxs), expected)
    if dtype == np.float32:
        gfun = ft.grad(lambda x, idx: fnp.sum(fnp.sin(fun(x, idx))))
        expected = np.stack([gfun(_slice_at(operand, axis, i), idxs)
                             for i in range(shape[axis])])
        np.testing.assert_allclose(ft.vmap(gfun, (axis, None))(operand, idxs), expected,
                                   rtol=1e-6)


@pytest.mark.parametrize("case", range(len(_GATHER_INDEX_CASES)))
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_gather_batched_indices(case: int, dtype: Any) -> None:
    axis, shape, idxs, dnums, slice_sizes = _GATHER_INDEX_CASES[case]
    fun = _gather(dnums, slice_sizes)
    operand = (rand(*shape) * 3).astype(dtype)
    expected = np.stack([fun(operand, _slice_at(idxs, axis, i))
                         for i in range(idxs.shape[axis])])
    np.testing.assert_array_equal(ft.vmap(fun, (None, axis))(operand, idxs), expected)
    if dtype == np.float32:
        gfun = ft.grad(lambda x, idx: fnp.sum(fnp.sin(fun(x, idx))))
        expected = np.stack([gfun(operand, _slice_at(idxs, axis, i))
                             for i in range(idxs.shape[axis])])
        np.testing.assert_allclose(ft.vmap(gfun, (None, axis))(operand, idxs), expected,
                                   rtol=1e-6)


@pytest.mark.parametrize("case", range(len(_GATHER_BOTH_CASES)))
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_gather_batched_both(case: int, dtype: Any) -> None:
    op_axis, idxs_axis, shape, idxs, dnums, slice_sizes = _GATHER_BOTH_CASES[case]
    fun = _gather(dnums, slice_sizes)
    operand = (rand(*shape) * 3).astype(dtype)
    assert operand.shape[op_axis] == idxs.shape[idxs_axis]
    n = idxs.shape[idxs_axis]
    expected = np.stack([fun(_slice_at(operand, op_axis, i), _slice_at(idxs, idxs_axis, i))
                         for i in range(n)])
    np.testing.assert_array_equal(ft.vmap(fun, (op_axis, idxs_axis))(operand, idxs), expected)
    if dtype == np.float32:
        gfun = ft.grad(lambda x, idx: fnp.sum(fnp.sin(fun(x, idx))))
        expected = np.stack([gfun(_slice_at(operand, op_axis, i), _slice_at(idxs, idxs_axis, i))
                             for i in range(n)])
        np.testing.assert_allclose(ft.vmap(gfun, (op_axis, idxs_axis))(operand, idxs),
                                   expected, rtol=1e-6)


def test_numpy_indexing() -> None:
    a = np.arange(2 * 3 * 4).reshape((2, 3, 4))
    ind = np.array([[0, 1], [2, 0]])
    f = lambda a, ind: a[:, ind]  # noqa: E731
    np.testing.assert_array_equal(ft.vmap(f, (None, 0))(a, ind),
                                  np.stack([f(a, ind[i, :]) for i in range(2)]))
    g = lambda a: a[:, fnp.array([0, 2])]  # noqa: E731
    np.testing.assert_array_equal(ft.vmap(g)(a), np.stack([g(a[:, i, :]) for i in range(3)],
                                                          axis=1))


def test_transpose() -> None:
    x = np.arange(4 * 3 * 3).reshape((4, 3, 3))
    np.testing.assert_array_equal(ft.vmap(lambda x: x + x.T)(x), x + np.swapaxes(x, -1, -2))


def test_transpose_permutation() -> None:
    x = np.arange(6 * 3 * 4 * 5).reshape((6, 3, 4, 5))
    np.testing.assert_array_equal(ft.vmap(lambda x: fnp.transpose(x, (1, 0, 2)))(x),
                                  np.transpose(x, (0, 2, 1, 3)))
    np.testing.assert_array_equal(ft.vmap(lambda x: fnp.transpose(x, (1, 2, 0)))(x),
                                  np.transpose(x, (0, 2, 3, 1)))
    x = x.reshape((3, 4, 6, 5))
    np.testing.assert_array_equal(ft.vmap(lambda x: fnp.transpose(x, (1, 2, 0)), in_axes=2)(x),
                                  np.transpose(x, (2, 1, 3, 0)))


def test_issue354_grad_of_vmapped_cholesky() -> None:
    rng = np.random.RandomState(0)
    psd = rng.randn(20, 10)
    psd = psd.T @ psd
    vec = rng.randn(10)

    def f(scale: Any) -> Any:
        chol = fnp.linalg.cholesky(scale * psd)
        return -0.5 * fnp.sum(fnp.einsum("ij,j->i", chol, vec) ** 2)

    scales = np.array([[0.1], [0.2], [0.3], [0.4], [0.5]])
    ans = ft.grad(lambda x: fnp.sum(ft.vmap(f)(x)))(scales)
    # chol(s A) = sqrt(s) chol(A), so f(s) = s f(1) and the gradient is f(1) everywhere.
    np.testing.assert_allclose(ans, np.full((5, 1), f(1.0)), rtol=1e-10)


def test_issue387_hessian_of_jit() -> None:
    r = np.random.RandomState(0).rand(10, 2)

    def dist_sq(r: Any) -> Any:
        dr = r[:, fnp.newaxis, :] - r[fnp.newaxis, :, :]
        dr = dr - fnp.where(fnp.abs(dr) < 0.5, fnp.zeros_like(dr), 0.5 * fnp.sign(dr))
        return fnp.sum(dr ** 2, axis=2)

    @ft.jit
    def f(r: Any) -> Any:
        _ = dist_sq(r)
        return fnp.sum(r ** 2)

    np.testing.assert_allclose(ft.hessian(f)(r), 2 * np.eye(20).reshape(10, 2, 10, 2))


def test_issue489_while_loop_of_keys() -> None:
    def f(key: Any) -> Any:
        def body_fn(uk: Any) -> Any:
            key = uk[1]
            u = ft.random.uniform(key, ())
            key, _ = ft.random.split(key)
            return u, key

        return lax.while_loop(lambda uk: uk[0] > 0.5, body_fn, (1.0, key))[0]

    keys = ft.random.split(ft.random.PRNGKey(0), 2)
    np.testing.assert_array_equal(ft.vmap(f)(keys), [f(k) for k in keys])
    assert np.all(ft.vmap(f)(keys) <= 0.5)


def test_empty_tuples() -> None:
    np.testing.assert_array_equal(ft.vmap(lambda x, _: x + 1)(np.array([0, 1]), ()), [1, 2])
    result, empty = ft.vmap(lambda x: (x + 1, ()))(np.array([0, 1]))
    np.testing.assert_array_equal(result, [1, 2])
    assert empty == ()


def test_index_add_batched_indexes_only() -> None:
    f = lambda x, idx, y: fnp.asarray(x).at[idx].add(y)  # noqa: E731
    result = ft.vmap(f, (None, 0, None))(np.zeros((10,)), np.arange(10), 1.0)
    np.testing.assert_array_equal(result, np.eye(10))


def test_issue3883_scalar_dynamic_slices() -> None:
    xs = np.array([1, 2, 3, 4])
    f = lambda x: lax.dynamic_slice(x, [], [])  # noqa: E731
    np.testing.assert_array_equal(ft.vmap(f)(xs), xs)
    g = lambda x: lax.dynamic_update_slice(x, 7, [])  # noqa: E731
    np.testing.assert_array_equal(ft.vmap(g)(xs), [7, 7, 7, 7])


@pytest.mark.parametrize("collective, bulk_op", [(lax.psum, np.sum), (lax.pmax, np.max),
                                                 (lax.pmin, np.min)],
                         ids=["psum", "pmax", "pmin"])
@pytest.mark.parametrize("vmap_names", [("i",), ("i", "j"), ("j", "i")])
def test_comm_assoc_collective(collective: Any, bulk_op: Any,
                               vmap_names: tuple[str, ...]) -> None:
    x = np.arange(3 * 4 * 5, dtype=np.float32).reshape((3, 4, 5))
    for collective_names in itertools.permutations(vmap_names):
        f = lambda x, names=collective_names: x - collective(x, names)  # noqa: E731
        for axis_name in vmap_names:
            f = ft.vmap(f, axis_name=axis_name)
        np.testing.assert_allclose(f(x), x - bulk_op(x, axis=tuple(range(len(vmap_names)))))
        if collective is lax.psum:
            ft.testing.check_grads(f, (x.astype(np.float64),), 2, eps=1)


def test_negative_axes() -> None:
    x = np.arange(3 * 4 * 5).reshape(3, 4, 5)
    for ax, summed in [(-3, (1, 2)), (-2, (0, 2)), (-1, (0, 1))]:
        np.testing.assert_array_equal(ft.vmap(fnp.sum, in_axes=ax)(x), np.sum(x, axis=summed))
    with pytest.raises(ValueError):
        ft.vmap(fnp.sum, in_axes=-4)(x)
    ident = lambda y: y  # noqa: E731
    np.testing.assert_array_equal(ft.vmap(ident, in_axes=0, out_axes=-3)(x), x)
    np.testing.assert_array_equal(ft.vmap(ident, in_axes=0, out_axes=-2)(x), x.transpose(1, 0, 2))
    np.testing.assert_array_equal(ft.vmap(ident, in_axes=0, out_axes=-1)(x), x.transpose(1, 2, 0))
    with pytest.raises(ValueError):
        ft.vmap(ident, in_axes=0, out_axes=-4)(x)
    out = ft.vmap(lambda *xs: xs, in_axes=(0, None), out_axes=(0, -1))(np.arange(5), 7)
    np.testing.assert_array_equal(out[1], np.full((5,), 7))
    with pytest.raises(ValueError):
        ft.vmap(lambda *xs: xs, in_axes=(0, None), out_axes=(0, -2))(np.arange(5), 7)


def test_axis_index() -> None:
    x = np.arange(10)
    np.testing.assert_array_equal(
        ft.vmap(lambda x: x - lax.axis_index("i"), axis_name="i")(x), x - np.arange(10))


def test_vmap_kwargs() -> None:
    f = lambda a, b: (2 * a, 3 * b)  # noqa: E731
    x = ft.vmap(f)(np.array([1]), np.array([2]))
    y = ft.vmap(f)(a=np.array([1]), b=np.array([2]))
    assert_tree_close(x, y)
    assert_tree_close(x, (np.array([2]), np.array([6])))


def test_all_gather_to_unmapped() -> None:
    x = np.arange(15).reshape((3, 5))
    f = lambda x: lax.all_gather(x, axis_name="i")  # noqa: E731
    np.testing.assert_array_equal(ft.vmap(f, axis_name="i", in_axes=1, out_axes=None)(x), x.T)


def test_batched_all_gather() -> None:
    x = np.arange(15).reshape((3, 5))
    f = lambda x: lax.all_gather(x, axis_name="i")  # noqa: E731
    np.testing.assert_array_equal(
        ft.vmap(ft.vmap(f, axis_name="i", out_axes=None), axis_name="j")(x), x)
    np.testing.assert_array_equal(
        ft.vmap(ft.vmap(f, axis_name="j"), axis_name="i", out_axes=None)(x), x.T)


def test_all_gather_vjp() -> None:
    rng = np.random.RandomState(1)
    x, y_bar = rng.randn(3, 4), rng.randn(3, 3, 4)
    f = lambda x: lax.all_gather(x, axis_name="i")  # noqa: E731
    (x_bar,) = ft.vmap(lambda x, y_bar: ft.vjp(f, x)[1](y_bar), axis_name="i")(x, y_bar)
    np.testing.assert_allclose(x_bar, np.sum(y_bar, axis=0))


def test_all_gather_of_const() -> None:
    def f(x: Any) -> Any:
        a = lax.all_gather(fnp.ones_like(x), axis_name="i")
        b = lax.all_gather(1, axis_name="i")
        return a, b

    x = np.arange(15).reshape((3, 5))
    a, b = ft.vmap(f, axis_name="i", in_axes=1, out_axes=None)(x)
    np.testing.assert_array_equal(a, np.ones((5, 3), dtype=x.dtype))
    np.testing.assert_array_equal(b, np.ones((5,)))


@pytest.mark.parametrize("collective, bulk_op", [(lax.psum, np.sum), (lax.pmax, np.max),
                                                 (lax.pmin, np.min)],
                         ids=["psum", "pmax", "pmin"])
def test_comm_assoc_collective_nonzero_axes(collective: Any, bulk_op: Any) -> None:
    # Today's version of the test: the vmaps map axis i and put it back at i.
    x = np.arange(8, dtype=np.float32).reshape((2, 2, 2))
    for vmap_names in [("i",), ("i", "j"), ("j", "i")]:
        for collective_names in itertools.permutations(vmap_names):
            f = lambda x, names=collective_names: x - collective(x, names)  # noqa: E731
            for i, axis_name in enumerate(vmap_names):
                f = ft.vmap(f, axis_name=axis_name, in_axes=i, out_axes=i)
            pos = tuple(i for i, n in enumerate(vmap_names) if n in collective_names)
            np.testing.assert_allclose(f(x), x - bulk_op(x, axis=pos, keepdims=True))


def test_grad_of_psum_agrees_with_its_jaxpr() -> None:
    a = np.ones(5)
    f = ft.vmap(ft.grad(lambda x: -lax.psum(x, "i")), out_axes=None, axis_name="i")
    closed = ft.make_jaxpr(f)(a)
    np.testing.assert_array_equal(f(a), eval_jaxpr(closed.jaxpr, closed.consts, a)[0])


def test_all_gather_tiled() -> None:
    x = np.arange(60).reshape((4, 3, 5))
    expected = x.transpose((1, 0, 2)).reshape(-1, 5)
    f = lambda x: lax.all_gather(x, axis_name="i", tiled=True)  # noqa: E731
    np.testing.assert_array_equal(ft.vmap(f, axis_name="i", in_axes=(1,), out_axes=None)(x),
                                  expected)
    g = ft.vmap(ft.vmap(f, in_axes=1, out_axes=1), axis_name="i", in_axes=1, out_axes=None)
    np.testing.assert_array_equal(g(x), expected)


def test_non_array_output_and_betainc_issue6096() -> None:
    with pytest.raises(TypeError):
        ft.vmap(lambda x: "hello")(np.arange(5))
    f = lambda x: ft.scipy.special.betainc(fnp.ones(3), 1.0, x)  # noqa: E731
    x = np.linspace(0.1, 0.9, 6).reshape(2, 3)
    np.testing.assert_allclose(ft.vmap(f)(x), np.stack([f(r) for r in x]))
    np.testing.assert_allclose(ft.vmap(f)(x), x)  # I_x(1, 1) = x


def test_ppermute() -> None:
    x = np.arange(10)
    rng = np.random.RandomState(1)
    for _ in range(5):
        perm = np.arange(10)
        rng.shuffle(perm)
        pairs = np.stack([np.arange(10), perm], axis=-1)
        rng.shuffle(pairs)
        out = ft.vmap(lambda x, pairs=pairs: x - lax.ppermute(x, "i", pairs), axis_name="i")(x)
        np.testing.assert_array_equal(out, x - x[np.argsort(perm)])
    # Members that receive nothing get zeros.
    np.testing.assert_array_equal(
        ft.vmap(lambda x: lax.ppermute(x, "i", [(0, 1)]), axis_name="i")(np.array([5.0, 6.0, 7.0])),
        [0.0, 5.0, 0.0])


def test_ppermute_derivatives_and_batcher_trivial() -> None:
    grad_fn = ft.grad(lambda v: lax.ppermute(v, axis_name="i", perm=[[0, 1], [1, 0]]))
    np.testing.assert_array_equal(ft.vmap(grad_fn, axis_name="i")(np.array([1.0, 2.0])),
                                  np.ones(2))
    f = ft.vmap(lambda x: lax.ppermute(x, "i", [(0, 1), (1, 2), (2, 0)]) * x, axis_name="i")
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(f(x), [x[2] * x[0], x[0] * x[1], x[1] * x[2]])
    expected = np.array([[3.0, 0.0, 1.0], [2.0, 1.0, 0.0], [0.0, 3.0, 2.0]])
    np.testing.assert_array_equal(ft.jacrev(f)(x), expected)
    np.testing.assert_array_equal(ft.jacfwd(f)(x), expected)
    np.testing.assert_array_equal(ft.jit(f)(x), f(x))
    ft.testing.check_grads(f, (x,), 2)
    # A name owned by an enclosing vmap passes through an inner one.
    g = ft.vmap(ft.vmap(lambda x: lax.ppermute(x, "i", [(0, 1), (1, 0)]), axis_name="j"),
                axis_name="i", in_axes=1, out_axes=1)
    np.testing.assert_array_equal(g(np.arange(6.0).reshape(3, 2)), [[1, 0], [3, 2], [5, 4]])
