"""``lax.gather`` and the ``lax.scatter*`` family (``functrace/_lax_gather.py``): values against
JAX over random and hand-picked dimension numbers (batching axes, windows, out-of-bounds
indices in every mode), XLA's errors, derivatives (against central differences and against
JAX's), and ``jit`` / ``vmap`` / ``grad(jit)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace import lax
from functrace.testing import check_grads

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jlax = jax.lax
jnp = jax.numpy

MODES = [None, "clip", "fill", "promise_in_bounds"]
SCATTERS = ["scatter", "scatter_add", "scatter_sub", "scatter_mul", "scatter_min",
            "scatter_max"]


class Case(NamedTuple):
    """A gather (and, mirrored, a scatter): operand shape, indices, dimension numbers."""

    shape: tuple[int, ...]
    indices: np.ndarray
    offset_dims: tuple[int, ...]
    collapsed: tuple[int, ...]
    index_map: tuple[int, ...]
    operand_batching: tuple[int, ...]
    indices_batching: tuple[int, ...]
    slice_sizes: tuple[int, ...]

    def gather_dnums(self, mod: Any) -> Any:
        return mod.GatherDimensionNumbers(self.offset_dims, self.collapsed, self.index_map,
                                          self.operand_batching, self.indices_batching)

    def scatter_dnums(self, mod: Any) -> Any:
        return mod.ScatterDimensionNumbers(self.offset_dims, self.collapsed, self.index_map,
                                           self.operand_batching, self.indices_batching)

    def out_shape(self) -> tuple[int, ...]:
        kept = [d for d in range(len(self.shape))
                if d not in self.collapsed and d not in self.operand_batching]
        batch = iter(self.indices.shape[:-1])
        window = iter(self.slice_sizes[d] for d in kept)
        rank = len(self.indices.shape) - 1 + len(kept)
        return tuple(next(window) if p in self.offset_dims else next(batch)
                     for p in range(rank))


def random_case(seed: int, oob: bool = True) -> Case:
    """Random dimension numbers of every kind XLA allows: batching axes, collapsed axes that
    the index vector does or does not address, windows of any size (0 included), index
    vectors of any length and order, indices out of bounds on both sides."""
    rng = np.random.default_rng(seed)
    rank = int(rng.integers(1, 4))
    shape = tuple(int(n) for n in rng.integers(1, 5, rank))
    dims = list(range(rank))
    operand_batching = tuple(sorted(d for d in dims if rng.random() < 0.2))
    free = [d for d in dims if d not in operand_batching]
    collapsed = tuple(sorted(d for d in free if rng.random() < 0.4))
    index_map = tuple(int(d) for d in rng.permutation(free)[:int(rng.integers(0, len(free) + 1))])
    sizes = []
    for d in dims:
        if d in collapsed or d in operand_batching:
            sizes.append(1)
        else:
            sizes.append(int(rng.integers(0, shape[d] + 1)) if rng.random() < 0.3
                         else int(rng.integers(1, shape[d] + 1)))
    # The indices' batch axes: some free ones, and one per operand batching axis.
    batch = [int(n) for n in rng.integers(1, 4, int(rng.integers(0, 3)))]
    indices_batching = []
    for d in operand_batching:
        at = int(rng.integers(0, len(batch) + 1))
        indices_batching = [j + (j >= at) for j in indices_batching]
        batch.insert(at, shape[d])
        indices_batching.append(at)
    ishape = (*batch, len(index_map))
    lo = -2 if oob else 0
    hi = np.array([shape[d] - sizes[d] + (3 if oob else 1) for d in index_map], np.int64)
    indices = (rng.integers(lo, np.maximum(hi, lo + 1), ishape) if index_map
               else np.zeros(ishape, np.int64))
    kept = len([d for d in dims if d not in collapsed and d not in operand_batching])
    out_rank = len(batch) + kept
    offset_dims = tuple(sorted(int(p) for p in rng.permutation(out_rank)[:kept]))
    dtype = rng.choice([np.int32, np.int64, np.uint8])
    return Case(shape, indices.astype(dtype) if lo == 0 or dtype != np.uint8
                else indices.astype(np.int64), offset_dims, collapsed, index_map,
                operand_batching, tuple(indices_batching), tuple(sizes))


def windows_overlap(case: Case, mode: str | None) -> bool:
    """Whether two updates of the case's scatter write one entry of the operand."""
    hits = lax.scatter_add(np.zeros(case.shape), case.indices, np.ones(case.out_shape()),
                           case.scatter_dnums(lax), mode=mode)
    return bool(np.any(hits > 1))


def operand(case: Case, seed: int = 0, dtype: Any = np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.shape)
    return x.astype(dtype) if np.dtype(dtype).kind == "f" else (x * 10).astype(dtype)


def updates(case: Case, seed: int = 1, dtype: Any = np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(case.out_shape())
    return u.astype(dtype) if np.dtype(dtype).kind == "f" else (u * 10).astype(dtype)


def jax_value(f: Callable[..., Any], *args: Any) -> np.ndarray:
    return np.asarray(f(*args))


def assert_same(ours: Any, theirs: Any) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, (ours, theirs)
    np.testing.assert_array_equal(ours, theirs)


# -- values --------------------------------------------------------------------------------------


@settings(max_examples=50)
@given(seed=st.integers(0, 2 ** 32 - 1), mode=st.sampled_from(MODES))
def test_gather_matches_jax(seed: int, mode: str | None) -> None:
    case = random_case(seed)
    x = operand(case, seed)
    ours = lax.gather(x, case.indices, case.gather_dnums(lax), case.slice_sizes, mode=mode)
    theirs = jlax.gather(x, case.indices, case.gather_dnums(jlax), case.slice_sizes, mode=mode)
    assert_same(ours, theirs)


@settings(max_examples=50)
@given(seed=st.integers(0, 2 ** 32 - 1), mode=st.sampled_from(MODES),
       name=st.sampled_from(SCATTERS))
def test_scatter_matches_jax(seed: int, mode: str | None, name: str) -> None:
    case = random_case(seed)
    assume(case.index_map)  # XLA:CPU keeps only the last update for an empty index vector
    x, u = operand(case, seed), updates(case, seed + 1)
    ours = getattr(lax, name)(x, case.indices, u, case.scatter_dnums(lax), mode=mode)
    theirs = getattr(jlax, name)(x, case.indices, u, case.scatter_dnums(jlax), mode=mode)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-13, atol=1e-13)
    assert np.asarray(ours).dtype == np.asarray(theirs).dtype


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8, np.int8, np.bool_,
                                   np.complex64])
@pytest.mark.parametrize("mode", MODES)
def test_gather_dtypes_and_fill_values(dtype: Any, mode: str | None) -> None:
    x = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    idx = np.array([[0], [2], [3], [-1]], np.int32)
    dn = (lax.GatherDimensionNumbers((1,), (0,), (0,)),
          jlax.GatherDimensionNumbers((1,), (0,), (0,)))
    assert_same(lax.gather(x, idx, dn[0], (1, 4), mode=mode),
                jlax.gather(x, idx, dn[1], (1, 4), mode=mode))
    if mode == "fill":
        assert_same(lax.gather(x, idx, dn[0], (1, 4), mode=mode, fill_value=1),
                    jlax.gather(x, idx, dn[1], (1, 4), mode=mode, fill_value=1))


@pytest.mark.parametrize("name", ["scatter_add", "scatter_mul", "scatter_min", "scatter_max",
                                  "scatter"])
@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.float32])
def test_scatter_dtypes(name: str, dtype: Any) -> None:
    x = np.arange(8, dtype=dtype).reshape(4, 2)
    idx = np.array([[1], [1], [3], [7]], np.uint8)
    u = (np.arange(8).reshape(4, 2) % 5 + 1).astype(dtype)
    dn = lambda m: m.ScatterDimensionNumbers((1,), (0,), (0,))  # noqa: E731
    assert_same(getattr(lax, name)(x, idx, u, dn(lax)), getattr(jlax, name)(x, idx, u, dn(jlax)))


# Hand-picked configurations from the kinds JAX's own lax tests exercise.
GATHER_CASES = [
    # (operand shape, indices, offset_dims, collapsed, start_index_map, batching, slice_sizes)
    ((5,), [[0], [2]], (), (0,), (0,), ((), ()), (1,)),
    ((10,), [[0], [0], [0]], (1,), (), (0,), ((), ()), (2,)),
    ((10, 5), [[0], [2], [1]], (1,), (0,), (0,), ((), ()), (1, 3)),
    ((10, 5), [[0, 2], [1, 0]], (1,), (0,), (0, 1), ((), ()), (1, 3)),
    ((2, 5), [[[0], [2]], [[1], [1]]], (), (1,), (1,), ((0,), (1,)), (1, 1)),
    ((2, 3, 10), [[[0], [1]], [[2], [3]], [[4], [5]]], (2,), (), (2,), ((0, 1), (1, 0)),
     (1, 1, 3)),
    ((3, 4, 5), [[[0, 1], [2, 3]], [[-1, 9], [1, 1]]], (0, 3), (1,), (2, 1),
     ((), ()), (3, 1, 2)),
    ((3, 4), np.zeros((0, 2), np.int64), (1,), (0,), (0, 1), ((), ()), (1, 2)),
    ((3, 4), np.zeros((2, 0), np.int64), (1, 2), (), (), ((), ()), (3, 4)),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", GATHER_CASES, ids=[str(c[0]) + str(c[2:5]) for c in GATHER_CASES])
def test_gather_handpicked(case: Any, mode: str | None) -> None:
    shape, idx, offset, collapsed, index_map, (ob, ib), sizes = case
    x = np.random.default_rng(0).standard_normal(shape)
    idx = np.asarray(idx, np.int64)
    ours = lax.gather(x, idx, lax.GatherDimensionNumbers(offset, collapsed, index_map, ob, ib),
                      sizes, mode=mode)
    theirs = jlax.gather(x, idx, jlax.GatherDimensionNumbers(offset, collapsed, index_map, ob,
                                                             ib), sizes, mode=mode)
    assert_same(ours, theirs)
    u = np.random.default_rng(1).standard_normal(np.shape(ours))
    for name in SCATTERS:
        ours = getattr(lax, name)(x, idx, u, lax.ScatterDimensionNumbers(
            offset, collapsed, index_map, ob, ib), mode=mode)
        theirs = getattr(jlax, name)(x, idx, u, jlax.ScatterDimensionNumbers(
            offset, collapsed, index_map, ob, ib), mode=mode)
        np.testing.assert_allclose(ours, theirs, rtol=1e-14, err_msg=name)


def test_index_take() -> None:
    x = np.arange(60.0).reshape(3, 4, 5)
    for axes, idxs in [((0,), (np.array([0, 2, -1]),)),
                       ((0, 2), (np.array([0, -3, 1]), np.array([4, -5, 7]))),
                       ((1, 2), (np.array([1, 3]), np.array([0, 0])))]:
        assert_same(lax.index_take(x, idxs, axes), jlax.index_take(x, idxs, axes))


def test_scatter_apply() -> None:
    x = np.arange(6.0).reshape(3, 2)
    idx = np.array([[1], [1], [2], [7]])
    dn = lambda m: m.ScatterDimensionNumbers((1,), (0,), (0,))  # noqa: E731
    for mode in MODES:
        ours = lax.scatter_apply(x, idx, lambda v: v * 2 + 1, dn(lax), update_shape=(4, 2),
                                 mode=mode)
        theirs = jlax.scatter_apply(x, idx, lambda v: v * 2 + 1, dn(jlax),
                                    update_shape=(4, 2), mode=mode)
        assert_same(ours, theirs)
    # differentiable in the operand (JAX's is not): d/dx of (x^2)^2 at the twice-hit row
    g = ft.grad(lambda x: lax.scatter_apply(x, idx, lambda v: v * v, dn(lax),
                                            update_shape=(4, 2)).sum())(x)
    np.testing.assert_allclose(g, [[1, 1], [4 * 2.0 ** 3, 4 * 3.0 ** 3], [8, 10]])


def test_modes() -> None:
    m = lax.GatherScatterMode
    assert [k.name for k in m] == [k.name for k in jlax.GatherScatterMode]
    for s in [None, "clip", "fill", "drop", "promise_in_bounds", "one_hot"]:
        assert m.from_any(s).name == jlax.GatherScatterMode.from_any(s).name
    assert m.from_any(m.CLIP) is m.CLIP
    with pytest.raises(ValueError, match="Unknown gather mode"):
        m.from_any("wrap")
    dn = lax.GatherDimensionNumbers((), (0,), (0,))
    with pytest.raises(ValueError, match="ONE_HOT"):
        lax.gather(np.zeros(3), np.array([[0]]), dn, (1,), mode="one_hot")
    assert lax.GatherDimensionNumbers._fields == jlax.GatherDimensionNumbers._fields
    assert lax.ScatterDimensionNumbers._fields == jlax.ScatterDimensionNumbers._fields
    assert lax.GatherDimensionNumbers((), (), ()).operand_batching_dims == ()
    assert lax.ScatterDimensionNumbers((), (), ()).scatter_indices_batching_dims == ()


# -- errors --------------------------------------------------------------------------------------

BAD_GATHERS = [
    # (operand shape, indices shape, dnums, slice_sizes, what the message says)
    ((4, 5), (2, 1), ((1, 0), (), (0,)), (1, 5), "sorted"),
    ((4, 5), (2, 1), ((1, 1), (), (0,)), (1, 5), "repeat"),
    ((4, 5), (2, 1), ((3,), (0,), (0,)), (1, 5), "out of bounds"),
    ((4, 5), (2, 2), ((1,), (0,), (0,)), (1, 5), "start_index_map"),
    ((4, 5), (2, 1), ((1,), (0,), (2,)), (1, 5), "start_index_map"),
    ((4, 5), (2, 2), ((1,), (0,), (0, 0)), (1, 5), "repeat"),
    ((4, 5), (2, 1), ((1,), (3,), (0,)), (1, 5), "collapsed_slice_dims"),
    ((4, 5), (2, 1), ((1,), (0,), (0,)), (1,), "one slice size"),
    ((4, 5), (2, 1), ((1,), (0,), (0,)), (1, 6), "out of range"),
    ((4, 5), (2, 1), ((1,), (0,), (0,)), (2, 5), "collapse slice dims with bound 1"),
    ((4, 5), (2, 1), ((1,), (), (0,)), (1, 5), "explicitly collapsed"),
    ((2, 5), (2, 1), ((), (1,), (1,), (0,), (1,)), (1, 1), "index vector"),
    ((2, 5), (3, 1), ((), (1,), (1,), (0,), (0,)), (1, 1), "same shape"),
    ((2, 5), (2, 1), ((), (1,), (1,), (0,), ()), (1, 1), "equal numbers"),
    ((2, 5), (2, 1), ((), (0,), (1,), (0,), (0,)), (1, 1), "disjoint"),
]


@pytest.mark.parametrize("bad", BAD_GATHERS, ids=[b[-1] for b in BAD_GATHERS])
def test_gather_errors_as_jax(bad: Any) -> None:
    shape, ishape, dnums, sizes, message = bad
    x, idx = np.zeros(shape), np.zeros(ishape, np.int32)
    with pytest.raises(TypeError):
        jlax.gather(x, idx, jlax.GatherDimensionNumbers(*dnums), sizes)
    with pytest.raises(TypeError, match=message):
        lax.gather(x, idx, lax.GatherDimensionNumbers(*dnums), sizes)


BAD_SCATTERS = [
    # (operand shape, indices shape, updates shape, dnums, what the message says)
    ((4, 5), (2, 1), (2, 5, 1), ((1,), (0,), (0,)), "rank"),
    ((4, 5), (2, 1), (2, 5), ((1,), (), (0,)), "window of size"),
    ((4, 5), (2, 1), (2, 6), ((1,), (0,), (0,)), "window dimensions"),
    ((4, 5), (2, 1), (3, 5), ((1,), (0,), (0,)), "scatter dimensions"),
    ((4, 5), (2, 1), (2,), ((), (1, 0), (0,)), "sorted"),
    ((2, 5), (2, 1), (2,), ((), (1,), (0,), (0,), (0,)), "disjoint"),
    ((4, 5), (2, 2), (2, 5), ((1,), (0,), (0,)), "scatter_dims_to_operand_dims"),
    ((4, 5), (2, 1), (2, 5), ((1,), (0,), (5,)), "scatter_dims_to_operand_dims"),
    ((2, 5), (3, 1), (3,), ((), (1,), (1,), (0,), (0,)), "same shape"),
]


@pytest.mark.parametrize("bad", BAD_SCATTERS, ids=[b[-1] for b in BAD_SCATTERS])
def test_scatter_errors_as_jax(bad: Any) -> None:
    shape, ishape, ushape, dnums, message = bad
    x, idx, u = np.zeros(shape), np.zeros(ishape, np.int32), np.zeros(ushape)
    with pytest.raises(TypeError):
        jlax.scatter_add(x, idx, u, jlax.ScatterDimensionNumbers(*dnums))
    with pytest.raises(TypeError, match=message):
        lax.scatter_add(x, idx, u, lax.ScatterDimensionNumbers(*dnums))


def test_other_errors() -> None:
    dn = lax.GatherDimensionNumbers((), (0,), (0,))
    with pytest.raises(ValueError, match="integer"):
        lax.gather(np.zeros(3), np.array([[0.0]]), dn, (1,))
    sdn = lax.ScatterDimensionNumbers((), (0,), (0,))
    with pytest.raises(TypeError, match="same dtypes"):
        lax.scatter_add(np.zeros(3), np.array([[0]]), np.zeros(1, np.float32), sdn)
    with pytest.raises(TypeError, match="GatherDimensionNumbers"):
        lax.gather(np.zeros(3), np.array([[0]]), "dn", (1,))  # type: ignore[arg-type]


# -- derivatives ---------------------------------------------------------------------------------


@settings(max_examples=12)
@given(seed=st.integers(0, 2 ** 32 - 1), mode=st.sampled_from(["clip", "fill"]))
def test_gather_derivatives(seed: int, mode: str) -> None:
    case = random_case(seed)
    x = operand(case, seed)
    f = lambda x: lax.gather(x, case.indices, case.gather_dnums(lax),  # noqa: E731
                             case.slice_sizes, mode=mode, fill_value=0.5)
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))
    # against JAX's reverse mode, through a weighted sum (a scatter_add: see test_scatter_...)
    assume(case.index_map)
    w = updates(case, seed)
    ours = ft.grad(lambda x: fnp.sum(f(x) * w))(x)
    theirs = jax.grad(lambda x: jnp.sum(jlax.gather(
        x, case.indices, case.gather_dnums(jlax), case.slice_sizes, mode=mode,
        fill_value=0.5) * w))(x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-14)


@settings(max_examples=15)
@given(seed=st.integers(0, 2 ** 32 - 1), mode=st.sampled_from(MODES),
       name=st.sampled_from(SCATTERS))
def test_scatter_derivatives(seed: int, mode: str | None, name: str) -> None:
    case = random_case(seed, oob=mode != "promise_in_bounds")
    x, u = operand(case, seed), updates(case, seed + 1)
    if name in ("scatter_min", "scatter_max"):  # keep ties away from central differences
        u = u + 0.1 * np.sign(u)
    f = lambda x, u: getattr(lax, name)(x, case.indices, u,  # noqa: E731
                                        case.scatter_dnums(lax), mode=mode)
    check_grads(f, (x, u), order=2, modes=("fwd", "rev"))


@settings(max_examples=8)
@given(seed=st.integers(0, 2 ** 32 - 1), mode=st.sampled_from(["clip", "fill", None]),
       name=st.sampled_from(SCATTERS))
def test_scatter_grads_match_jax(seed: int, mode: str | None, name: str) -> None:
    unique = name in ("scatter", "scatter_mul")  # JAX's rules need unique indices for these
    # JAX's scatter_min/max rule counts the updates with scatters of the default mode (drop)
    # whatever the mode, so its clip-mode derivative is off for out-of-bounds windows; ours is
    # checked against central differences in test_scatter_derivatives.
    extremum_clip = mode == "clip" and name in ("scatter_min", "scatter_max")
    case = random_case(seed, oob=not (unique or extremum_clip))
    assume(case.index_map and not (unique and windows_overlap(case, mode)))
    x, u = operand(case, seed), updates(case, seed + 1)
    if name in ("scatter_min", "scatter_max"):  # ties: the equal split of JAX too
        u = np.round(u)
        x = np.round(x)
    w = operand(case, seed + 2)

    def loss(m: Any, fsum: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
        return lambda x, u: fsum(getattr(m, name)(
            x, case.indices, u, case.scatter_dnums(m), mode=mode,
            unique_indices=unique) * w)

    ours = ft.grad(loss(lax, fnp.sum), argnums=(0, 1))(x, u)
    theirs = jax.grad(loss(jlax, jnp.sum), argnums=(0, 1))(x, u)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# -- transformations -----------------------------------------------------------------------------


@settings(max_examples=12)
@given(seed=st.integers(0, 2 ** 32 - 1), mode=st.sampled_from(MODES),
       name=st.sampled_from(["gather", *SCATTERS]))
def test_jit_and_vmap(seed: int, mode: str | None, name: str) -> None:
    case = random_case(seed)
    assume(case.index_map or name == "gather")
    xs = np.stack([operand(case, seed + k) for k in range(3)])
    us = np.stack([updates(case, seed + 7 + k) for k in range(3)])
    rng = np.random.default_rng(seed)
    idxs = np.stack([case.indices, case.indices[::-1] if case.indices.ndim > 1
                     else case.indices, case.indices])
    if case.index_map:
        idxs = (idxs + rng.integers(-1, 2, idxs.shape)).astype(np.int64)

    def ours(x: Any, i: Any, u: Any) -> Any:
        if name == "gather":
            return lax.gather(x, i, case.gather_dnums(lax), case.slice_sizes, mode=mode)
        return getattr(lax, name)(x, i, u, case.scatter_dnums(lax), mode=mode)

    def theirs(x: Any, i: Any, u: Any) -> Any:
        if name == "gather":
            return jlax.gather(x, i, case.gather_dnums(jlax), case.slice_sizes, mode=mode)
        return getattr(jlax, name)(x, i, u, case.scatter_dnums(jlax), mode=mode)

    expected = jax.vmap(theirs)(xs, idxs, us)
    np.testing.assert_allclose(ft.vmap(ours)(xs, idxs, us), expected, rtol=1e-13)
    np.testing.assert_allclose(ft.jit(ft.vmap(ours))(xs, idxs, us), expected, rtol=1e-13)
    # vmap over the indices only, and over the operand only
    np.testing.assert_allclose(ft.vmap(ours, (None, 0, None))(xs[0], idxs, us[0]),
                               jax.vmap(theirs, (None, 0, None))(xs[0], idxs, us[0]),
                               rtol=1e-13)
    np.testing.assert_allclose(ft.vmap(ours, (0, None, None))(xs, idxs[0], us[0]),
                               jax.vmap(theirs, (0, None, None))(xs, idxs[0], us[0]),
                               rtol=1e-13)


def test_grad_of_jit_and_hessian() -> None:
    x = np.random.default_rng(0).standard_normal((4, 3))
    idx = np.array([[0, 1], [3, 0], [5, 5], [-1, 2]])
    gdn = lax.GatherDimensionNumbers((1,), (0,), (0, 1))

    def f(x: Any) -> Any:
        g = lax.gather(x, idx, gdn, (1, 2), mode="clip")
        s = lax.scatter_mul(x, idx, g, lax.ScatterDimensionNumbers((1,), (0,), (0, 1)),
                            mode="clip")
        return fnp.sum(fnp.sin(s) * g[0, 0])

    eager = ft.grad(f)(x)
    np.testing.assert_allclose(ft.grad(ft.jit(f))(x), eager, rtol=1e-13)
    np.testing.assert_allclose(ft.jit(ft.grad(f))(x), eager, rtol=1e-13)
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))
    assert ft.hessian(f)(x).shape == (4, 3, 4, 3)


def test_traced_indices_under_jit() -> None:
    x = np.arange(12.0).reshape(3, 4)
    dn = lax.GatherDimensionNumbers((1,), (0,), (0,))
    f = ft.jit(lambda x, i: lax.gather(x, i, dn, (1, 2), mode="fill", fill_value=-1.0))
    for i in ([[0], [2]], [[3], [-1]]):
        i = np.array(i)
        assert_same(f(x, i), jlax.gather(x, i, jlax.GatherDimensionNumbers((1,), (0,), (0,)),
                                         (1, 2), mode="fill", fill_value=-1.0))
    jaxpr = str(ft.make_jaxpr(lambda x, i: lax.gather(x, i, dn, (1, 2)))(x, np.array([[0]])))
    assert "gather" in jaxpr
