"""Linear algebra: dot_general, the one contraction primitive (dot, matmul, tensordot and
einsum all lower to it)."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters.jvp import defjvp
from functrace.interpreters.vjp import defvjp
from functrace.interpreters.vmap import batch_rules
from functrace.primitives.elementwise import (
    convert_element_type,
    imag,
    mul,
    neg,
    real,
    real_dtype,
)
from functrace.primitives.shape import (
    _front_batch,
    broadcast_batch,
    broadcast_in_dim,
    inverse_permutation,
    moveaxis,
    reduce_sum,
    shape_of,
    transpose,
)

# ((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))
DimensionNumbers = tuple[tuple[tuple[int, ...], tuple[int, ...]],
                         tuple[tuple[int, ...], tuple[int, ...]]]

dot_general_p = Primitive("dot_general")


def dot_general(lhs: Any, rhs: Any, dimension_numbers: DimensionNumbers) -> Any:
    """Contract ``lhs`` and ``rhs``; the result's axes are batch, lhs free, then rhs free."""
    (lc, rc), (lb, rb) = dimension_numbers
    dims = ((tuple(lc), tuple(rc)), (tuple(lb), tuple(rb)))
    return dot_general_p.bind1(lhs, rhs, dimension_numbers=dims)


def _free(ndim: int, contract: tuple[int, ...], batch: tuple[int, ...]) -> list[int]:
    return [i for i in range(ndim) if i not in contract and i not in batch]


def _dot_general_shape(lhs: ShapedArray, rhs: ShapedArray, *,
                       dimension_numbers: DimensionNumbers) -> list[ShapedArray]:
    return [_dot_general_aval(lhs, rhs, dimension_numbers)]


@functools.lru_cache(maxsize=4096)
def _dot_general_aval(lhs: ShapedArray, rhs: ShapedArray,
                      dimension_numbers: DimensionNumbers) -> ShapedArray:
    # Cached: a layer's product has the same types on every call of a training loop.
    (lc, rc), (lb, rb) = dimension_numbers
    ok = (len(lc) == len(rc) and len(lb) == len(rb)
          and all(lhs.shape[a] == rhs.shape[b] for a, b in zip(lc + lb, rc + rb, strict=True))
          and all(0 <= a < lhs.ndim for a in lc + lb) and all(0 <= b < rhs.ndim for b in rc + rb))
    if not ok or lhs.dtype != rhs.dtype:
        raise ValueError(
            f"dot_general: cannot contract {lhs.str_short()} with {rhs.str_short()} over "
            f"dimension_numbers={dimension_numbers} (contracted and batch axes must have equal "
            "lengths and the operands equal dtypes)."
        )
    shape = ([lhs.shape[i] for i in lb] + [lhs.shape[i] for i in _free(lhs.ndim, lc, lb)]
             + [rhs.shape[i] for i in _free(rhs.ndim, rc, rb)])
    return ShapedArray(tuple(shape), lhs.dtype, lhs.weak_type and rhs.weak_type)


def _dot_general_impl(lhs: Any, rhs: Any, *, dimension_numbers: DimensionNumbers) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    lhs, rhs = np.asarray(lhs), np.asarray(rhs)
    if not lb and len(lc) == 1 and lhs.ndim <= 2 and rhs.ndim <= 2:
        # A matrix product, maybe of transposes: BLAS reads transposed views without the
        # copy that tensordot would make (the backward pass's ct @ w.T and x.T @ ct).
        a = lhs if lc[0] == lhs.ndim - 1 else lhs.T
        b = rhs if rc[0] == 0 else rhs.T
        return np.dot(a, b)
    lf, rf = _free(lhs.ndim, lc, lb), _free(rhs.ndim, rc, rb)
    k = math.prod([lhs.shape[i] for i in lc])
    if k == 1:
        return outer_product(lhs, rhs, dimension_numbers)
    if not lb:
        return np.tensordot(lhs, rhs, (lc, rc))
    # Batched: (batch, free, contract) @ (batch, contract, free) through matmul.
    batch_shape = [lhs.shape[i] for i in lb]
    lf_shape, rf_shape = [lhs.shape[i] for i in lf], [rhs.shape[i] for i in rf]
    a = np.transpose(lhs, (*lb, *lf, *lc)).reshape(
        (*batch_shape, math.prod(lf_shape), k))
    b = np.transpose(rhs, (*rb, *rc, *rf)).reshape(
        (*batch_shape, k, math.prod(rf_shape)))
    return np.matmul(a, b).reshape((*batch_shape, *lf_shape, *rf_shape))


def outer_product(lhs: np.ndarray, rhs: np.ndarray, dimension_numbers: DimensionNumbers
                  ) -> np.ndarray:
    """A contraction whose contracted axes all have length 1: (batched) outer products, such
    as the per-example weight gradients of ``vmap(grad(f))``.

    NumPy has no fast kernel for these. ``matmul`` with an inner length of 1 takes its slow
    non-BLAS loop, and a broadcasting multiply makes one inner-loop call per output row. For
    float matrices that are not tiny, the contraction is padded to length 2 with zeros, so that
    BLAS's gemm writes the products (each entry is ``a*b + 0*0``, which is exactly ``a*b``):
    2-3x faster than ``np.einsum`` at per-example MLP sizes. Otherwise ``np.einsum``.
    """
    (lc, rc), (lb, rb) = dimension_numbers
    lf, rf = _free(lhs.ndim, lc, lb), _free(rhs.ndim, rc, rb)
    batch = [lhs.shape[i] for i in lb]
    m_shape, n_shape = [lhs.shape[i] for i in lf], [rhs.shape[i] for i in rf]
    if outer_by_gemm(lhs.dtype, rhs.dtype, math.prod(batch), math.prod(m_shape),
                     math.prod(n_shape)):
        return _padded_matmul(np.transpose(lhs, (*lb, *lf, *lc)),
                              np.transpose(rhs, (*rb, *rf, *rc)), batch, m_shape, n_shape)
    lhs_axes, rhs_axes, out_axes, perm = outer_product_sublists(lhs.shape, rhs.shape,
                                                                dimension_numbers)
    out = np.einsum(lhs, lhs_axes, rhs, rhs_axes, out_axes)
    return out if perm is None else out.transpose(perm)


def outer_by_gemm(lhs_dtype: np.dtype, rhs_dtype: np.dtype, batch: int, m: int, n: int
                  ) -> bool:
    """Whether :func:`outer_product` pads to a gemm: BLAS floats, and ``batch`` outer products
    of an ``m``- and an ``n``-vector big enough for BLAS to beat einsum (measured: at least
    8 by 8, and 8192 entries in all)."""
    return (lhs_dtype == rhs_dtype and lhs_dtype in _BLAS_FLOATS and min(m, n) >= 8
            and batch * m * n >= 8192)


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _padded_matmul(lhs: np.ndarray, rhs: np.ndarray, batch: list[int], m_shape: list[int],
                   n_shape: list[int]) -> np.ndarray:
    """Outer products of ``lhs``, whose elements are laid out as ``(*batch, *m_shape)``, and
    ``rhs``, laid out as ``(*batch, *n_shape)``, through a matmul of inner length 2 whose
    second slot holds zeros. Returns ``(*batch, *m_shape, *n_shape)``."""
    a = np.zeros((*batch, math.prod(m_shape), 2), lhs.dtype)
    b = np.zeros((*batch, 2, math.prod(n_shape)), rhs.dtype)
    a[..., 0] = lhs.reshape((*batch, -1))
    b[..., 0, :] = rhs.reshape((*batch, -1))
    return np.matmul(a, b).reshape((*batch, *m_shape, *n_shape))


def outer_product_sublists(lhs_shape: tuple[int, ...], rhs_shape: tuple[int, ...],
                           dimension_numbers: DimensionNumbers
                           ) -> tuple[list[int], list[int], list[int], tuple[int, ...] | None]:
    """How to compute, with ``np.einsum``'s sublist form, a contraction whose contracted axes
    all have length 1: (batched) outer products, such as per-example weight gradients.

    Returns the axis labels of lhs, rhs and the einsum output, and the permutation that takes
    the einsum output to dot_general's axis order (None if it is already in that order).
    einsum's sum-of-products loop writes outer products about 1.5x faster than a broadcasting
    multiply (whose stride-0 inner loop NumPy does not vectorize) and far faster than a matmul
    with an inner length of 1; its inner loop runs along the output's last axis, so the longest
    free axis is put last and the result comes back as a transposed view.
    """
    (lc, rc), (lb, rb) = dimension_numbers
    lhs_ndim, rhs_ndim = len(lhs_shape), len(rhs_shape)
    lhs_axes = list(range(lhs_ndim))
    rhs_axes = list(range(lhs_ndim, lhs_ndim + rhs_ndim))
    for a, b in zip((*lb, *lc), (*rb, *rc), strict=True):
        rhs_axes[b] = lhs_axes[a]
    lf, rf = _free(lhs_ndim, lc, lb), _free(rhs_ndim, rc, rb)
    out_axes = [*lb, *lf, *[rhs_axes[i] for i in rf]]
    sizes = [*[lhs_shape[i] for i in lb], *[lhs_shape[i] for i in lf],
             *[rhs_shape[i] for i in rf]]
    longest = max(range(len(lb), len(sizes)), key=lambda i: sizes[i], default=None)
    if longest is None or sizes[longest] <= 2 * sizes[-1]:
        return lhs_axes, rhs_axes, out_axes, None
    order = [i for i in range(len(sizes)) if i != longest] + [longest]
    return (lhs_axes, rhs_axes, [out_axes[i] for i in order],
            tuple(int(i) for i in np.argsort(order)))


@functools.lru_cache(maxsize=1024)
def _lhs_vjp_dims(dimension_numbers: DimensionNumbers, lhs_ndim: int, rhs_ndim: int
                  ) -> tuple[DimensionNumbers, tuple[int, ...] | None]:
    """How the lhs cotangent is computed: ``ct``'s rhs-free axes contracted with rhs's free
    axes, batching over the batch axes, then the permutation back to lhs's axis order."""
    (lc, rc), (lb, rb) = dimension_numbers
    nb, lf, rf = len(lb), _free(lhs_ndim, lc, lb), _free(rhs_ndim, rc, rb)
    ct_rf = tuple(range(nb + len(lf), nb + len(lf) + len(rf)))
    dims = ((ct_rf, tuple(rf)), (tuple(range(nb)), rb))
    # The product's axes are: batch, lhs free, then rhs's leftover (= contracted) axes in rhs
    # order.
    src = [*lb, *lf, *[lc[rc.index(r)] for r in sorted(rc)]]
    return dims, _undo(src)


@functools.lru_cache(maxsize=1024)
def _rhs_vjp_dims(dimension_numbers: DimensionNumbers, lhs_ndim: int, rhs_ndim: int
                  ) -> tuple[DimensionNumbers, tuple[int, ...] | None]:
    """How the rhs cotangent is computed: lhs's free axes contracted with ``ct``'s lhs-free
    axes, batching over the batch axes, then the permutation back to rhs's axis order. lhs
    goes first so that the common layout (x @ w: w's contracted axes before its free ones)
    needs no transpose: the weight gradient x.T @ ct comes out C-contiguous, as w is."""
    (lc, rc), (lb, rb) = dimension_numbers
    nb, lf, rf = len(lb), _free(lhs_ndim, lc, lb), _free(rhs_ndim, rc, rb)
    ct_lf = tuple(range(nb, nb + len(lf)))
    dims = ((tuple(lf), ct_lf), (lb, tuple(range(nb))))
    # The product's axes are: batch, lhs's leftover (= contracted) axes in lhs order, then rhs
    # free.
    src = [*rb, *[rc[lc.index(a)] for a in sorted(lc)], *rf]
    return dims, _undo(src)


def _undo(permutation: list[int]) -> tuple[int, ...] | None:
    """The transpose that undoes ``permutation``, or None for the identity (none needed)."""
    inverse = inverse_permutation(permutation)
    return None if inverse == tuple(range(len(inverse))) else inverse


def _dot_lhs_vjp(ct: Any, ans: Any, lhs: Any, rhs: Any, *,
                 dimension_numbers: DimensionNumbers) -> Any:
    dims, perm = _lhs_vjp_dims(dimension_numbers, len(shape_of(lhs)), len(shape_of(rhs)))
    out = dot_general_p.bind1(ct, rhs, dimension_numbers=dims)
    return out if perm is None else transpose(out, perm)


def _dot_rhs_vjp(ct: Any, ans: Any, lhs: Any, rhs: Any, *,
                 dimension_numbers: DimensionNumbers) -> Any:
    dims, perm = _rhs_vjp_dims(dimension_numbers, len(shape_of(lhs)), len(shape_of(rhs)))
    out = dot_general_p.bind1(lhs, ct, dimension_numbers=dims)
    return out if perm is None else transpose(out, perm)


def _dot_general_batch(size: int, args: list[Any], bdims: list[int | None], *,
                       dimension_numbers: DimensionNumbers) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    lhs, rhs = args
    lbd, rbd = bdims

    def shift(axes: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(a + 1 for a in axes)

    if lbd is not None and rbd is not None:  # a new shared batch axis, first
        lhs, rhs = moveaxis(lhs, lbd, 0), moveaxis(rhs, rbd, 0)
        dims = ((shift(lc), shift(rc)), ((0, *shift(lb)), (0, *shift(rb))))
        return [dot_general(lhs, rhs, dims)], [0]
    if lbd is not None:  # an extra free axis of lhs, placed first among lhs's free axes
        lhs = moveaxis(lhs, lbd, 0)
        dims = ((shift(lc), rc), (shift(lb), rb))
        return [dot_general(lhs, rhs, dims)], [len(lb)]
    assert rbd is not None
    rhs = moveaxis(rhs, rbd, 0)
    dims = ((lc, shift(rc)), (lb, shift(rb)))
    lf = _free(len(shape_of(lhs)), lc, lb)
    return [dot_general(lhs, rhs, dims)], [len(lb) + len(lf)]


dot_general_p.def_impl1(_dot_general_impl)
dot_general_p.shape_rule = _dot_general_shape
defjvp(dot_general_p,
       lambda x_dot, ans, x, y, *, dimension_numbers: dot_general(x_dot, y, dimension_numbers),
       lambda y_dot, ans, x, y, *, dimension_numbers: dot_general(x, y_dot, dimension_numbers))
defvjp(dot_general_p, _dot_lhs_vjp, _dot_rhs_vjp, residuals=(False, (True,)))
batch_rules[dot_general_p] = _dot_general_batch


# -- solve and det: the linear-system primitives of functrace.numpy.linalg ----------------------


def _mT(x: Any) -> Any:
    """``x`` with its last two axes swapped (the matrix transpose of a stack of matrices)."""
    nd = len(shape_of(x))
    return transpose(x, (*range(nd - 2), nd - 1, nd - 2))


def batched_matmul(x: Any, y: Any) -> Any:
    """Matrix products of stacks ``(..., m, k) @ (..., k, n)`` with equal leading axes."""
    nd = len(shape_of(x))
    batch = tuple(range(nd - 2))
    return dot_general(x, y, (((nd - 1,), (nd - 2,)), (batch, batch)))


solve_p = Primitive("solve")


def solve(a: Any, b: Any) -> Any:
    """``x`` with ``a @ x == b``, for stacks ``a: (..., n, n)`` and ``b: (..., n, k)``."""
    return solve_p.bind1(a, b)


def _solve_shape(a: ShapedArray, b: ShapedArray) -> list[ShapedArray]:
    if (a.ndim < 2 or a.shape[-1] != a.shape[-2] or b.ndim != a.ndim
            or b.shape[:-1] != a.shape[:-1] or a.dtype != b.dtype or a.dtype.kind not in "fc"):
        raise ValueError(f"solve: expected a: (..., n, n) and b: (..., n, k) of one floating "
                         f"dtype with the same leading axes, got {a.str_short()} and "
                         f"{b.str_short()}.")
    return [ShapedArray(b.shape, b.dtype, a.weak_type and b.weak_type)]


def _solve_batch(size: int, args: list[Any], bdims: list[int | None]) -> Any:
    a, b = (moveaxis(x, d, 0) if d is not None else broadcast_batch(x, size, 0)
            for x, d in zip(args, bdims, strict=True))
    return [solve(a, b)], [0]


solve_p.impl = lambda a, b: [np.linalg.solve(a, b)]
solve_p.shape_rule = _solve_shape
batch_rules[solve_p] = _solve_batch
# x = a^-1 b:  dx = a^-1 (db - da x);  the cotangent of b is a^-T ct, that of a is -(a^-T ct) x^T.
defjvp(solve_p, lambda a_dot, ans, a, b: solve(a, neg(batched_matmul(a_dot, ans))),
       lambda b_dot, ans, a, b: solve(a, b_dot))
defvjp(solve_p, lambda ct, ans, a, b: neg(batched_matmul(solve(_mT(a), ct), _mT(ans))),
       lambda ct, ans, a, b: solve(_mT(a), ct))

det_p = Primitive("det")


def det(a: Any) -> Any:
    """The determinants of a stack of square matrices ``(..., n, n)``."""
    return det_p.bind1(a)


def _det_shape(a: ShapedArray) -> list[ShapedArray]:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or a.dtype.kind not in "fc":
        raise ValueError(f"det: expected floating square matrices (..., n, n), got "
                         f"{a.str_short()}.")
    return [ShapedArray(a.shape[:-2], a.dtype, a.weak_type)]


def _inverse_transpose(a: Any) -> Any:
    """``a^-T`` for a stack of matrices, as a solve against the identity."""
    shape = shape_of(a)
    eye = np.broadcast_to(np.eye(shape[-1], dtype=get_aval(a).dtype), shape)
    return solve(_mT(a), eye)


def _trace_of_product(x: Any, y: Any) -> Any:
    """``trace(x^T y)`` over the last two axes: the sum of the elementwise product."""
    nd = len(shape_of(x))
    return reduce_sum(mul(x, y), (nd - 2, nd - 1))


def _expand_last_two(x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` of shape ``shape[:-2]`` broadcast to ``shape``."""
    return broadcast_in_dim(x, shape, tuple(range(len(shape) - 2)))


det_p.impl = lambda a: [np.asarray(np.linalg.det(a))]
det_p.shape_rule = _det_shape
_front_batch(det_p, lambda size: {})
# d det(a) = trace(adj(a) da) = <adj(a)^T, da>, with the adjugate adj(a) = det(a) a^-1, which
# exists for singular matrices too (the gradient of det at a rank n-1 matrix is not zero).
defjvp(det_p, lambda a_dot, ans, a: _trace_of_product(_mT(adjugate(a)), a_dot))
defvjp(det_p, lambda ct, ans, a: mul(_expand_last_two(ct, shape_of(a)), _mT(adjugate(a))),
       residuals=(False, (True,)))

adjugate_p = Primitive("adjugate")


def adjugate(a: Any) -> Any:
    """The adjugates (transposed cofactor matrices) of a stack of square matrices:
    ``det(a) a^-1`` where ``a`` is invertible, and its continuous extension where not."""
    return adjugate_p.bind1(a)


def _adjugate_impl(a: Any) -> list[Any]:
    a = np.asarray(a)
    if a.shape[-1] == 0:
        return [np.zeros(a.shape, a.dtype)]
    with np.errstate(all="ignore"):
        try:
            adj = np.linalg.det(a)[..., None, None] * np.linalg.inv(a)
            if np.all(np.isfinite(adj)):
                return [adj]
        except np.linalg.LinAlgError:
            pass
        # Singular (or nearly): from the SVD a = u diag(s) vh, adj(a) = det(u) det(vh)
        # vh^T diag(prod of the other singular values) u^T, with no division by zero.
        u, sv, vh = np.linalg.svd(a)
        ones = np.ones(sv.shape[:-1] + (1,), sv.dtype)
        before = np.cumprod(np.concatenate([ones, sv[..., :-1]], axis=-1), axis=-1)
        after = np.cumprod(np.concatenate([ones, sv[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = before * after  # each singular value's product of the others
        sign = np.linalg.det(u) * np.linalg.det(vh)
        adj = sign[..., None, None] * np.matmul(
            vh.conj().swapaxes(-1, -2) * others[..., None, :], u.conj().swapaxes(-1, -2))
        return [adj.astype(a.dtype, copy=False)]


def _adjugate_shape(a: ShapedArray) -> list[ShapedArray]:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or a.dtype.kind not in "fc":
        raise ValueError(f"adjugate: expected floating square matrices (..., n, n), got "
                         f"{a.str_short()}.")
    return [a]


adjugate_p.impl = _adjugate_impl
adjugate_p.shape_rule = _adjugate_shape
_front_batch(adjugate_p, lambda size: {})
# The adjugate's jvp and vjp rules use the SVD: they are declared with it, in decompositions.py.


# slogdet as two single-output primitives: the sign (a zero derivative) and log |det|, whose
# derivative is trace(a^-1 da) = <a^-T, da>, without det's overflow or underflow.
det_sign_p = Primitive("det_sign")
logabsdet_p = Primitive("logabsdet")


def det_sign(a: Any) -> Any:
    """The sign of the determinants of a stack of square matrices (0 where singular)."""
    return det_sign_p.bind1(a)


def logabsdet(a: Any) -> Any:
    """``log |det a|`` for a stack of square matrices, computed without forming ``det a``."""
    return logabsdet_p.bind1(a)


def _logabsdet_shape(a: ShapedArray) -> list[ShapedArray]:
    (out,) = _det_shape(a)
    return [ShapedArray(out.shape, real_dtype(out.dtype), out.weak_type)]


for _p, _i in ((det_sign_p, 0), (logabsdet_p, 1)):
    _p.impl = lambda a, _i=_i: [np.asarray(np.linalg.slogdet(a)[_i])]
    _front_batch(_p, lambda size: {})
det_sign_p.shape_rule = _det_shape
logabsdet_p.shape_rule = _logabsdet_shape


def _log_det_tangent(a_dot: Any, a: Any) -> Any:
    """``trace(a^-1 da)``: the tangent of ``log det a`` (complex for complex ``a``)."""
    return _trace_of_product(_inverse_transpose(a), a_dot)


def _log_det_transpose(ct: Any, a: Any) -> Any:
    """The transpose of :func:`_log_det_tangent`: ``ct a^-T``."""
    ct = convert_element_type(ct, get_aval(a).dtype)
    return mul(_expand_last_two(ct, shape_of(a)), _inverse_transpose(a))


def _det_sign_jvp(a_dot: Any, ans: Any, a: Any) -> Any:
    """The sign of a real determinant is piecewise constant; a complex one (a unit complex
    number) turns by i Im(trace(a^-1 da))."""
    if get_aval(a).dtype.kind != "c":
        return None
    c = get_aval(ans).dtype
    turn = convert_element_type(imag(_log_det_tangent(a_dot, a)), c)
    return mul(ans, mul(np.asarray(1j, c), turn))


def _det_sign_vjp(ct: Any, ans: Any, a: Any) -> Any:
    """The transpose of :func:`_det_sign_jvp` in JAX's convention: the imaginary part's
    transpose is -i times its real cotangent, so ``i Im(sign ct)`` is pulled back."""
    if get_aval(a).dtype.kind != "c":
        return None
    c = get_aval(ans).dtype
    turn_bar = mul(np.asarray(1j, c), convert_element_type(imag(mul(ans, ct)), c))
    return _log_det_transpose(turn_bar, a)


# log |det a| moves by the real part of trace(a^-1 da).
defjvp(logabsdet_p, lambda a_dot, ans, a: real(_log_det_tangent(a_dot, a))
       if get_aval(a).dtype.kind == "c" else _log_det_tangent(a_dot, a))
defvjp(logabsdet_p, lambda ct, ans, a: _log_det_transpose(ct, a))
defjvp(det_sign_p, _det_sign_jvp)
defvjp(det_sign_p, _det_sign_vjp)
