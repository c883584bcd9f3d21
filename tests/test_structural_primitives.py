"""The structural primitives at their edges: 0-d and empty operands, clamping, repeated
indices, zeros in products, batched indices under ``vmap``, and the shape rules' errors.

The random rows of ``tests/cases_structural.py`` already run through every check of
``tests/test_primitives.py``; the tables here pin down the cases random draws rarely reach.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace.primitives import indexing as ix
from functrace.primitives import reductions as red
from functrace.testing import check_grads

F64, F32 = np.float64, np.float32
i64 = np.int64


def arange(*shape: int, dtype: Any = F64) -> np.ndarray:
    return (np.arange(int(np.prod(shape))) - 2.5).astype(dtype).reshape(shape)


# ---------------------------------------------------------------------------------------------
# Values at the edges: (description, functrace call, NumPy result)

EDGE_VALUES: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("slice of a 0-d array", lambda: ix.static_slice(np.float32(2.0), (), (), ()),
     lambda: np.asarray(np.float32(2.0))),
    ("slice to an empty window", lambda: ix.static_slice(arange(3, 2), (3, 0), (3, 2)),
     lambda: arange(3, 2)[3:3, 0:2]),
    ("slice with strides", lambda: ix.static_slice(arange(5, 4), (1, 0), (5, 4), (3, 2)),
     lambda: arange(5, 4)[1:5:3, 0:4:2]),
    ("rev of nothing", lambda: ix.rev(arange(2, 3), ()), lambda: arange(2, 3)),
    ("pad a 0-d array", lambda: ix.pad(np.float64(1.5), np.float64(0.0), ()),
     lambda: np.asarray(1.5)),
    ("pad an empty axis", lambda: ix.pad(np.zeros((0, 2)), np.float64(7.0), [(1, 2, 3), (0, 0, 0)]),
     lambda: np.full((3, 2), 7.0)),
    ("pad cropping into interior", lambda: ix.pad(arange(3), np.float64(9.0), [(-2, -1, 1)]),
     lambda: np.array([-1.5, 9.0])),  # [-2.5, 9, -1.5, 9, -0.5] less 2 before, 1 after
    ("pad int", lambda: ix.pad(np.arange(3), np.int64(-1), [(1, 0, 1)]),
     lambda: np.array([-1, 0, -1, 1, -1, 2])),
    ("concatenate with an empty operand",
     lambda: ix.concatenate([arange(2, 0), arange(2, 3)], 1), lambda: arange(2, 3)),
    ("concatenate bools", lambda: ix.concatenate([np.array([True]), np.array([False])], 0),
     lambda: np.array([True, False])),
    ("dynamic_slice of a 0-d array", lambda: ix.dynamic_slice(np.float64(3.0), [], ()),
     lambda: np.asarray(3.0)),
    ("dynamic_slice clamps high starts",
     lambda: ix.dynamic_slice(arange(4, 3), [i64(10), i64(2)], (2, 2)),
     lambda: arange(4, 3)[2:4, 1:3]),
    ("dynamic_slice clamps negative starts",
     lambda: ix.dynamic_slice(arange(4), [np.int32(-3)], (3,)), lambda: arange(4)[0:3]),
    ("dynamic_slice of size 0", lambda: ix.dynamic_slice(arange(4), [i64(2)], (0,)),
     lambda: np.zeros(0)),
    ("dynamic_update_slice clamps",
     lambda: ix.dynamic_update_slice(np.zeros((3, 3)), np.ones((2, 2)), [i64(5), i64(-1)]),
     lambda: np.pad(np.ones((2, 2)), [(1, 0), (0, 1)])),
    ("gather with 0-d indices",
     lambda: ix.gather(arange(3, 4), [np.array(2), np.array(1)], (0, 1)),
     lambda: np.asarray(arange(3, 4)[2, 1])),
    ("gather with empty indices on an empty axis",
     lambda: ix.gather(np.zeros((0, 3)), [np.zeros((2, 0), int)], (0,)),
     lambda: np.zeros((2, 0, 3))),
    ("gather clips out-of-range indices",
     lambda: ix.gather(arange(3), [np.array([-5, 1, 9])], (0,)),
     lambda: arange(3)[[0, 1, 2]]),
    ("gather along a later axis keeps the other axes in order",
     lambda: ix.gather(arange(2, 3, 4), [np.array([[3, 0]])], (2,)),
     lambda: np.moveaxis(arange(2, 3, 4), 2, 0)[np.array([[3, 0]])]),
    ("scatter_add accumulates repeats",
     lambda: ix.scatter_add(np.zeros(3), np.ones(4), [np.array([0, 2, 0, 0])], (0,)),
     lambda: np.array([3.0, 0.0, 1.0])),
    ("scatter keeps the last repeat",
     lambda: ix.scatter(np.zeros(3), np.array([1.0, 2.0, 3.0]), [np.array([1, 1, 1])], (0,)),
     lambda: np.array([0.0, 3.0, 0.0])),
    ("scatter with no updates", lambda: ix.scatter(arange(2), np.zeros(0), [np.zeros(0, int)],
                                                   (0,)), lambda: arange(2)),
    ("reduce_prod over an empty axis", lambda: red.reduce_prod(np.zeros((2, 0)), (1,)),
     lambda: np.ones(2)),
    ("reduce_prod of a 0-d array over no axes", lambda: red.reduce_prod(np.float32(3.0), ()),
     lambda: np.asarray(np.float32(3.0))),
    ("reduce_prod int", lambda: red.reduce_prod(np.array([[2, 3], [4, 5]], np.int32), (0,)),
     lambda: np.array([8, 15], np.int32)),
    ("cumsum of an empty axis", lambda: red.cumsum(np.zeros((0, 2)), 0),
     lambda: np.zeros((0, 2))),
    ("cumprod reversed", lambda: red.cumprod(np.array([1.0, 2.0, 3.0]), 0, reverse=True),
     lambda: np.array([6.0, 6.0, 3.0])),
    ("argmax takes the first tie", lambda: red.argmax(np.array([1.0, 3.0, 3.0]), 0),
     lambda: np.asarray(1)),
    ("argmax sees NaN as largest", lambda: red.argmax(np.array([1.0, np.nan, 3.0]), 0),
     lambda: np.asarray(1)),
    ("argmin int32 index dtype", lambda: red.argmin(np.array([[3, 1], [0, 2]]), 1, np.int32),
     lambda: np.array([1, 0], np.int32)),
    ("argsort is stable", lambda: red.argsort(np.array([2.0, 1.0, 2.0, 1.0]), 0),
     lambda: np.array([1, 3, 0, 2])),
    ("fnp.prod of bools", lambda: fnp.prod(np.array([True, True])), lambda: np.asarray(1)),
    ("fnp.all of an empty axis", lambda: fnp.all(np.zeros((2, 0)), axis=1),
     lambda: np.ones(2, bool)),
    ("fnp.any keepdims", lambda: fnp.any(np.eye(2), axis=0, keepdims=True),
     lambda: np.ones((1, 2), bool)),
    ("fnp.concatenate promotes", lambda: fnp.concatenate([np.ones(1, np.int32), np.ones(1)]),
     lambda: np.ones(2)),
    ("fnp.concatenate axis=None", lambda: fnp.concatenate([arange(2, 2), arange(3)], None),
     lambda: np.concatenate([arange(2, 2), arange(3)], None)),
    ("fnp.hstack", lambda: fnp.hstack([arange(2), arange(3)]),
     lambda: np.hstack([arange(2), arange(3)])),
    ("fnp.vstack", lambda: fnp.vstack([arange(3), arange(2, 3)]),
     lambda: np.vstack([arange(3), arange(2, 3)])),
    ("fnp.split", lambda: fnp.split(arange(6, 2), 3), lambda: np.split(arange(6, 2), 3)),
    ("fnp.repeat scalar", lambda: fnp.repeat(arange(2, 2), 2, axis=1),
     lambda: np.repeat(arange(2, 2), 2, axis=1)),
    ("fnp.repeat flattened", lambda: fnp.repeat(arange(2, 2), 3),
     lambda: np.repeat(arange(2, 2), 3)),
    ("fnp.tile 0-d", lambda: fnp.tile(np.float64(2.0), 3), lambda: np.tile(np.float64(2.0), 3)),
    ("fnp.diag of an empty vector", lambda: fnp.diag(np.zeros(0), -2),
     lambda: np.diag(np.zeros(0), -2)),
    ("fnp.take modes", lambda: (fnp.take(arange(3), [5, -4], mode="wrap"),
                                fnp.take(arange(3), [5, -4], mode="clip")),
     lambda: (np.take(arange(3), [5, -4], mode="wrap"), np.take(arange(3), [5, -4], mode="clip"))),
    ("fnp.argmax keepdims, axis None", lambda: fnp.argmax(arange(2, 3), keepdims=True),
     lambda: np.argmax(arange(2, 3), keepdims=True)),
    ("fnp.sort axis None", lambda: fnp.sort(np.array([[3.0, 1.0], [2.0, 0.0]]), axis=None),
     lambda: np.array([0.0, 1.0, 2.0, 3.0])),
    ("fnp.einsum broadcast ellipsis",
     lambda: fnp.einsum("...i,...i", np.ones((3, 1, 4)), np.ones((2, 4))),
     lambda: np.full((3, 2), 4.0)),
    ("fnp.cross of 2-vectors", lambda: fnp.cross(arange(4, 2), arange(4, 2) ** 2),
     lambda: arange(4, 2)[:, 0] * arange(4, 2)[:, 1] ** 2
     - arange(4, 2)[:, 1] * arange(4, 2)[:, 0] ** 2),
    ("fnp.einsum length-0 axes",
     lambda: (fnp.einsum("ij,jk->ik", np.ones((0, 3)), np.ones((3, 4))),
              fnp.einsum("ij,jk->ik", np.ones((2, 0)), np.ones((0, 4))),
              fnp.einsum("i,i->", np.ones(0), np.ones(0))),
     lambda: (np.zeros((0, 4)), np.zeros((2, 4)), np.float64(0.0))),
    ("fnp.einsum interleaved sublists",
     lambda: (fnp.einsum(arange(2, 3), [0, 1], arange(3, 4), [1, 2], [0, 2]),
              fnp.einsum(arange(2, 3), [0, 1], arange(3, 4), [1, 2]),
              fnp.einsum(arange(2, 3, 4), [Ellipsis, 25], arange(4), [25], [Ellipsis]),
              fnp.einsum(arange(3, 3), [0, 0])),
     lambda: (np.einsum(arange(2, 3), [0, 1], arange(3, 4), [1, 2], [0, 2]),
              np.einsum(arange(2, 3), [0, 1], arange(3, 4), [1, 2]),
              np.einsum(arange(2, 3, 4), [Ellipsis, 25], arange(4), [25], [Ellipsis]),
              np.einsum(arange(3, 3), [0, 0]))),
]


@pytest.mark.parametrize("fn,ref", [pytest.param(f, r, id=d) for d, f, r in EDGE_VALUES])
def test_edge_values(fn: Callable[[], Any], ref: Callable[[], Any]) -> None:
    got, expected = fn(), ref()
    got_l = list(got) if isinstance(got, (list, tuple)) else [got]
    exp_l = list(expected) if isinstance(expected, (list, tuple)) else [expected]
    assert len(got_l) == len(exp_l)
    for g, e in zip(got_l, exp_l, strict=True):
        assert isinstance(g, (np.ndarray, np.generic))
        g, e = np.asarray(g), np.asarray(e)
        assert g.shape == e.shape and g.dtype == e.dtype, (g.shape, g.dtype, e.shape, e.dtype)
        np.testing.assert_array_equal(g, e)


# ---------------------------------------------------------------------------------------------
# Derivatives where they are delicate: zeros in products, repeats, clamping, negative pads

ZEROS = np.array([[1.5, 0.0, -2.0], [0.0, 0.0, 3.0], [0.5, -1.0, 2.0]])

# (description, f, args): checked by check_grads to second order in both modes.
DERIVATIVES: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("reduce_prod, one and two zeros per row", lambda x: red.reduce_prod(x, (1,)), (ZEROS,)),
    ("reduce_prod over all axes", lambda x: red.reduce_prod(x, (0, 1)), (ZEROS[::2],)),
    ("reduce_prod over the first axis", lambda x: red.reduce_prod(x, (0,)), (ZEROS,)),
    ("reduce_prod float32", lambda x: red.reduce_prod(x, (1,)), (ZEROS.astype(F32),)),
    ("cumprod with zeros", lambda x: red.cumprod(x, 1), (ZEROS,)),
    ("cumprod reversed with zeros", lambda x: red.cumprod(x, 0, reverse=True), (ZEROS,)),
    ("cumsum reversed", lambda x: red.cumsum(x, 1, reverse=True), (ZEROS,)),
    ("pad with negative edges and interior",
     lambda x, v: ix.pad(x, v, [(-1, 2, 1), (1, -2, 2)]), (ZEROS, np.float64(0.5))),
    ("slice with strides", lambda x: ix.static_slice(x, (0, 1), (3, 3), (2, 1)), (ZEROS,)),
    ("dynamic_slice clamped", lambda x: ix.dynamic_slice(x, [i64(5), i64(-1)], (2, 2)),
     (ZEROS,)),
    ("dynamic_update_slice", lambda x, u: ix.dynamic_update_slice(x, u, [i64(1), i64(2)]),
     (ZEROS, np.ones((2, 1)))),
    ("gather with repeats", lambda x: ix.gather(x, [np.array([[0, 2, 0]])], (1,)), (ZEROS,)),
    ("scatter with repeats",
     lambda x, u: ix.scatter(x, u, [np.array([2, 2, 0])], (0,)), (ZEROS, arange(3, 3))),
    ("scatter_add with repeats",
     lambda x, u: ix.scatter_add(x, u, [np.array([2, 2, 0])], (0,)), (ZEROS, arange(3, 3))),
    ("concatenate", lambda x, y: ix.concatenate([x, y, x], 0), (ZEROS, ZEROS[:1])),
    ("fnp.sort", lambda x: fnp.sort(x, axis=0), (ZEROS + np.arange(9).reshape(3, 3) / 10,)),
    ("fnp.einsum trace", lambda x: fnp.einsum("ii", x), (ZEROS,)),
    ("fnp.einsum chain", lambda x, y: fnp.einsum("ij,jk,k->i", x, y, y[0]), (ZEROS, ZEROS.T)),
    ("fnp.diag", lambda v: fnp.diag(v, 1), (ZEROS[0],)),
    ("fnp.roll", lambda x: fnp.roll(x, (1, -1), (0, 1)), (ZEROS,)),
    ("fnp.tile", lambda x: fnp.tile(x, (2, 1, 2)), (ZEROS,)),
    ("fnp.repeat", lambda x: fnp.repeat(x, [2, 0, 1], axis=1), (ZEROS,)),
]


@pytest.mark.parametrize("f,args", [pytest.param(f, a, id=d) for d, f, a in DERIVATIVES])
def test_derivatives(f: Callable[..., Any], args: tuple[Any, ...]) -> None:
    check_grads(f, args, order=2, modes=("fwd", "rev"))


def test_prod_gradient_at_zeros_is_the_product_of_the_others() -> None:
    g = ft.grad(lambda x: fnp.sum(fnp.prod(x, axis=1)))(ZEROS)
    others = np.array([[np.prod(np.delete(row, j)) for j in range(3)] for row in ZEROS])
    np.testing.assert_array_equal(g, others)
    # The Hessian of a product of two zeros is not zero: d2/dx0 dx1 (x0 x1 x2) = x2.
    h = ft.hessian(lambda x: fnp.prod(x))(np.array([0.0, 0.0, 3.0]))
    np.testing.assert_array_equal(h, [[0.0, 3.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


# ---------------------------------------------------------------------------------------------
# Batching with batched indices, against a Python loop over the batch

# (description, f, args): every argument may be batched, index arguments included.
BATCHED: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("dynamic_slice", lambda x, i, j: ix.dynamic_slice(x, [i, j], (2, 1)),
     (arange(4, 3), i64(1), i64(2))),
    ("dynamic_update_slice", lambda x, u, i, j: ix.dynamic_update_slice(x, u, [i, j]),
     (arange(4, 3), np.ones((2, 2)), i64(3), i64(-1))),
    ("gather", lambda x, i, j: ix.gather(x, [i, j], (1, 0)),
     (arange(4, 3, 2), np.array([0, 2, 1]), np.array([3, 3, 0]))),
    ("scatter", lambda x, u, i: ix.scatter(x, u, [i], (1,)),
     (arange(2, 3), np.ones((4, 2)), np.array([0, 2, 2, 1]))),
    ("scatter_add", lambda x, u, i: ix.scatter_add(x, u, [i], (1,)),
     (arange(2, 3), np.ones((4, 2)), np.array([0, 2, 2, 1]))),
    ("pad", lambda x, v: ix.pad(x, v, [(1, -1, 1)]), (arange(3), np.float64(4.0))),
    ("reduce_prod", lambda x: red.reduce_prod(x, (0,)), (ZEROS,)),
    ("cumprod", lambda x: red.cumprod(x, 1, reverse=True), (ZEROS,)),
    ("argsort", lambda x: red.argsort(x, 0), (ZEROS,)),
    ("argmax", lambda x: red.argmax(x, 1), (ZEROS,)),
]


def _members(rng: np.random.Generator, x: np.ndarray, size: int) -> np.ndarray:
    """``size`` variants of ``x``; integer (index) arguments move by -1, 0 or 1, sometimes out
    of range, where the loop and the batch both clamp or clip them alike."""
    if x.dtype.kind in "iu":
        return np.stack([x + rng.integers(-1, 2, size=x.shape) * (k % 2) for k in range(size)])
    return np.stack([x * (k + 1) - k for k in range(size)])


@pytest.mark.parametrize("f,args", [pytest.param(f, a, id=d) for d, f, a in BATCHED])
@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1))
def test_vmap_with_batched_indices(f: Callable[..., Any], args: tuple[Any, ...],
                                   seed: int) -> None:
    """Every pattern of batched and unbatched arguments, batch axes drawn at random."""
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 4))
    for batched in itertools.product([True, False], repeat=len(args)):
        if not any(batched):
            continue
        stacks, in_axes = [], []
        for a, b in zip(args, batched, strict=True):
            if not b:
                stacks.append(a)
                in_axes.append(None)
                continue
            s = _members(rng, np.asarray(a), size)
            axis = int(rng.integers(0, s.ndim))
            stacks.append(np.moveaxis(s, 0, axis))
            in_axes.append(axis)
        got = ft.vmap(f, in_axes=tuple(in_axes), axis_size=size)(*stacks)
        expected = np.stack([f(*[np.take(s, k, axis=a) if a is not None else s
                                 for s, a in zip(stacks, in_axes, strict=True)])
                             for k in range(size)])
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=f"in_axes={in_axes}")


# ---------------------------------------------------------------------------------------------
# Shape rules: bad operands raise ValueError naming the primitive, while tracing

SHAPE_ERRORS: list[tuple[str, Callable[[], Any]]] = [
    ("concatenate", lambda: ix.concatenate([np.ones((2, 3)), np.ones((3, 2))], 0)),
    ("concatenate", lambda: ix.concatenate([np.ones(2), np.ones(2, np.float32)], 0)),
    ("concatenate", lambda: ix.concatenate([], 0)),
    ("slice", lambda: ix.static_slice(np.ones(3), (2,), (1,))),
    ("slice", lambda: ix.static_slice(np.ones(3), (0,), (4,))),
    ("slice", lambda: ix.static_slice(np.ones(3), (0,), (3,), (0,))),
    ("rev", lambda: ix.rev(np.ones(3), (1,))),
    ("pad", lambda: ix.pad(np.ones(3), np.float64(0), [(-2, -2, 0)])),
    ("pad", lambda: ix.pad(np.ones(3), np.float32(0), [(0, 0, 0)])),
    ("pad", lambda: ix.pad(np.ones(3), np.float64(0), [(0, 0, -1)])),
    ("dynamic_slice", lambda: ix.dynamic_slice(np.ones(3), [i64(0)], (4,))),
    ("dynamic_slice", lambda: ix.dynamic_slice(np.ones(3), [np.float64(0)], (1,))),
    ("dynamic_update_slice",
     lambda: ix.dynamic_update_slice(np.ones(3), np.ones(4), [i64(0)])),
    ("gather", lambda: ix.gather(np.ones((2, 3)), [np.array([0]), np.array([0, 1])], (0, 1))),
    ("gather", lambda: ix.gather(np.ones((2, 3)), [np.array([0.0])], (0,))),
    ("gather", lambda: ix.gather(np.ones((0, 3)), [np.array([0])], (0,))),
    ("scatter_add", lambda: ix.scatter_add(np.ones(3), np.ones(2), [np.array([0])], (0,))),
    ("scatter", lambda: ix.scatter(np.ones(3), np.ones(1, np.int64), [np.array([0])], (0,))),
    ("reduce_prod", lambda: red.reduce_prod(np.ones(3), (1,))),
    ("argmax", lambda: red.argmax(np.ones((2, 0)), 1)),
    ("cumsum", lambda: red.cumsum(np.ones(3), 1)),
    ("argsort", lambda: red.argsort(np.ones(3), -1)),
]


@pytest.mark.parametrize("name,fn", [pytest.param(n, f, id=f"{n}-{k}")
                                     for k, (n, f) in enumerate(SHAPE_ERRORS)])
def test_shape_rule_errors(name: str, fn: Callable[[], Any]) -> None:
    # Shape rules run while tracing (eager calls go straight to NumPy).
    with pytest.raises(ValueError, match=f"^{name}:"):
        ft.make_jaxpr(lambda: fn())()


NUMPY_ERRORS: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: fnp.concatenate([np.float64(1.0)]), ValueError, "zero-dimensional"),
    (lambda: fnp.concatenate([np.ones(2), np.ones((2, 2))]), ValueError, "same number"),
    (lambda: fnp.stack([np.ones(2), np.ones(3)]), ValueError, "same shape"),
    (lambda: fnp.split(np.ones(5), 2), ValueError, "equal division"),
    (lambda: fnp.einsum("ij,jk->ik", np.ones((2, 3)), np.ones((2, 3))), ValueError, "label 'j'"),
    (lambda: fnp.einsum("ij->k", np.ones((2, 3))), ValueError, "output label 'k'"),
    (lambda: fnp.einsum("ijk", np.ones((2, 3))), ValueError, "dimensions"),
    (lambda: fnp.einsum("ij,j->i", np.ones((2, 0)), np.ones(3)), ValueError, "label 'j'"),
    (lambda: fnp.einsum(np.ones((2, 3)), [0, "a"]), TypeError, "sublist labels"),
    (lambda: fnp.einsum(np.ones((2, 3)), "ij"), TypeError, "list of integer labels"),
    (lambda: fnp.argmax(np.zeros(0)), ValueError, "empty sequence"),
    (lambda: fnp.diag(np.ones((2, 2, 2))), ValueError, "1- or 2-d"),
    (lambda: fnp.take(np.ones(3), [3]), IndexError, "out of bounds"),
    (lambda: fnp.take_along_axis(np.ones((2, 2)), np.zeros(2, int), 0), ValueError,
     "same number of dimensions"),
]


@pytest.mark.parametrize("fn,error,match", NUMPY_ERRORS)
def test_numpy_function_errors(fn: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        fn()
