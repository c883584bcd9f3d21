"""Matrix decompositions: cholesky, eigh, svd, qr, lu (with partial pivoting) and eig, and
pinv, for stacks of real or complex matrices; qr_pivots, the column order of a
rank-revealing QR; and schur (the QR algorithm in NumPy, without derivative, as JAX's).

Each one is a primitive because the IR names it and its derivative is not that of any program
of other primitives (NumPy computes it by an iterative LAPACK routine; lu's pivots depend on
the values, so its impl eliminates in NumPy, NumPy having no LU).  ``pinv`` is one too,
so that its derivative exists where the SVD's does not (repeated or zero singular values).
The derivative rules are the standard ones (Murray 2016 for cholesky; Giles 2008 for eigh;
Townsend 2016 for svd; Walter & Lehmann 2018 for qr; de Hoog, Anderssen & Lukas 2011 for
lu; Golub & Pereyra 1973 for pinv), written with functrace primitives so that they can be
differentiated again.  ``docs/linalg.md`` says
them in words.

Every rule works on stacks ``(..., m, n)``: batching moves the batch axis to the front and
binds the primitive again, since NumPy's linalg functions take stacks.

Complex matrices take the same formulas with conjugate transposes (``^H``), plus a term for
the phase of each singular vector (svd), or of ``r``'s real diagonal (qr), as JAX's rules have.
Their vjps are not written out: they are the transposes of the jvps, traced and pulled back
(:func:`~functrace.tracing.transpose_linear`), so they follow JAX's convention for complex
cotangents by construction.  Eigenvectors and singular vectors of complex matrices are unique
up to a phase each; the derivatives keep ``v^H dv`` with a zero diagonal, as JAX's (LAPACK fixes
the phases differently, so only phase-invariant functions of them, such as ``|v|``, agree with
finite differences of NumPy's results).

``cholesky`` and ``eigh`` read one triangle of their input, as NumPy does (the lower one, or
the upper one for ``eigh(lower=False)``); they are functions of the symmetric matrix that
triangle describes.  Their derivatives symmetrize the input perturbation the same way: the
read triangle is mirrored onto the other, so that the jvp is the exact derivative of the
function computed, for any perturbation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters.jvp import defjvp, jvp_rules
from functrace.interpreters.vjp import defvjp, vjp_residuals, vjp_rules
from functrace.interpreters.vmap import batch_rules
from functrace.primitives._schur_kernel import schur as schur_kernel
from functrace.primitives.elementwise import abs as abs_
from functrace.primitives.elementwise import (
    add,
    conj,
    convert_element_type,
    defzero,
    div,
    eq,
    imag,
    mul,
    neg,
    real,
    real_dtype,
    select_n,
    sub,
)
from functrace.primitives.indexing import concatenate, pad, slice_in_dim
from functrace.primitives.linalg import (
    _mT,
    adjugate_p,
    batched_matmul,
    det,
    solve,
)
from functrace.primitives.reductions import argmax, reduce_prod
from functrace.primitives.shape import broadcast_in_dim, moveaxis, reduce_sum, shape_of
from functrace.tracing import transpose_linear

_mm = batched_matmul


_LAPACK_DTYPES = tuple(np.dtype(t) for t in (np.float32, np.float64, np.complex64,
                                              np.complex128))


def check_matrices(name: str, a: ShapedArray, square: bool) -> None:
    """The shape rules' common check: a stack of (square) float32/float64/complex64/complex128
    matrices (also called by ``functrace.numpy.linalg`` before binding, so that eager calls,
    whose impls run without the shape rule, fail the same way)."""
    if a.ndim < 2 or (square and a.shape[-1] != a.shape[-2]):
        what = "square matrices (..., n, n)" if square else "matrices (..., m, n)"
        raise ValueError(f"{name}: expected a stack of {what}, got {a.str_short()}.")
    if a.dtype not in _LAPACK_DTYPES:
        raise ValueError(f"{name}: expected a float32, float64, complex64 or complex128 array, "
                         f"got {a.str_short()}; convert it first (float16 matrices are not "
                         "supported).")


def _front_batch_all(prim: Primitive) -> None:
    """Batch a one-operand primitive on stacks: the batch axis becomes one more stack axis."""

    def rule(size: int, args: list[Any], bdims: list[int | None], **params: Any) -> Any:
        outs = prim.bind(moveaxis(args[0], bdims[0], 0), **params)  # type: ignore[arg-type]
        return outs, [0] * len(outs)

    batch_rules[prim] = rule


# -- constants and small helpers on stacks of matrices ------------------------------------------


def _is_complex(x: Any) -> bool:
    return bool(get_aval(x).dtype.kind == "c")


def _mH(x: Any) -> Any:
    """The conjugate transpose of each matrix (the transpose, for real ones)."""
    return _mT(conj(x)) if _is_complex(x) else _mT(x)


def _like(x: Any, y: Any) -> Any:
    """``x`` (real) in the dtype of ``y`` (a complex ``y`` makes it complex)."""
    dtype = get_aval(y).dtype
    return x if get_aval(x).dtype == dtype else convert_element_type(x, dtype)


def _real_part(x: Any) -> Any:
    """The real part of a complex ``x``; a real ``x`` itself."""
    return real(x) if _is_complex(x) else x


def _imag_part_i(x: Any) -> Any:
    """``i Im(x)``, complex (``x - Re(x)``)."""
    return sub(x, _like(real(x), x))


def _vjp_by_transposing(jvp: Any, args: list[Any], cts: list[Any], ans: list[Any],
                        **params: Any) -> list[Any]:
    """The vjp of a one-operand decomposition, as the transpose of its jvp rule
    ``jvp(primals, tangents, ans, **params)`` (the complex matrices' rules)."""
    (a,) = args

    def linear(a_dot: Any) -> list[Any]:
        return list(jvp([a], [a_dot], ans, **params))

    return transpose_linear(linear, [get_aval(a).strong()], cts)


def _stacked(matrix: np.ndarray, lead: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray:
    """``matrix`` in ``dtype``, broadcast over the stack axes ``lead`` (a constant)."""
    return np.broadcast_to(matrix.astype(dtype), (*lead, *matrix.shape))


def _const(x: Any, matrix: np.ndarray) -> np.ndarray:
    """``matrix`` stacked like the matrices ``x`` and in their dtype."""
    return _stacked(matrix, shape_of(x)[:-2], get_aval(x).dtype)


def _eye(x: Any, n: int) -> np.ndarray:
    """The ``n x n`` identity, stacked like the matrices ``x``."""
    return _const(x, np.eye(n))


def _tril(x: Any, k: int = 0) -> Any:
    """The lower triangle of each matrix (``np.tril``), as a product with a constant mask."""
    n, m = shape_of(x)[-2:]
    return mul(x, _const(x, np.tri(n, m, k)))


def _diag_part(x: Any) -> Any:
    """The diagonals ``(..., n)`` of square matrices ``(..., n, n)``."""
    return reduce_sum(mul(x, _eye(x, shape_of(x)[-1])), (len(shape_of(x)) - 1,))


def _along(v: Any, shape: tuple[int, ...], axis: int) -> Any:
    """Vectors ``v: (..., k)`` laid along ``axis`` (-1: rows ``v[j]``, -2: columns ``v[i]``)
    of matrices of ``shape``."""
    nb = len(shape) - 2
    return broadcast_in_dim(v, shape, (*range(nb), nb + 2 + axis))


def _scale_cols(x: Any, v: Any) -> Any:
    """``x @ diag(v)``: column ``j`` of each matrix times ``v[j]``."""
    return mul(x, _along(v, shape_of(x), -1))


def _scale_rows(x: Any, v: Any) -> Any:
    """``diag(v) @ x``: row ``i`` of each matrix times ``v[i]``."""
    return mul(x, _along(v, shape_of(x), -2))


def _diag_embed(v: Any) -> Any:
    """Diagonal matrices ``(..., k, k)`` with diagonals ``v: (..., k)``."""
    *lead, k = shape_of(v)
    eye = _stacked(np.eye(k), tuple(lead), get_aval(v).dtype)
    return mul(_along(v, eye.shape, -2), eye)


def _gap_reciprocals(v: Any) -> Any:
    """``F[i, j] = 1 / (v[j] - v[i])`` off the diagonal and 0 on it: the divided differences
    of eigenvector and singular vector derivatives (inf where two entries of ``v`` tie)."""
    k = shape_of(v)[-1]
    shape = (*shape_of(v), k)
    gaps = sub(_along(v, shape, -1), _along(v, shape, -2))
    eye = _eye(gaps, k)
    # Adding the identity keeps 1/0 off the diagonal, which is then zeroed.
    return sub(div(_const(gaps, np.ones((k, k))), add(gaps, eye)), eye)


def _solve_right(x: Any, r: Any) -> Any:
    """``x @ r^-1`` for square ``r``: ``(r^-T x^T)^T``."""
    return _mT(solve(_mT(r), _mT(x)))


def _mirror(x: Any, lower: bool) -> Any:
    """The symmetric (Hermitian) matrix whose lower (upper) triangle is that of ``x``: what
    cholesky and eigh decompose.  LAPACK takes the real part of a complex diagonal.  Linear
    in ``x``, so it also maps input perturbations."""
    if not lower:
        x = _mH(x)
    if _is_complex(x):
        strict = _tril(x, -1)
        diagonal = _like(real(mul(x, _eye(x, shape_of(x)[-1]))), x)
        return add(add(strict, _mH(strict)), diagonal)
    return add(_tril(x), _mT(_tril(x, -1)))


def _mirror_transpose(g: Any, lower: bool) -> Any:
    """The transpose of :func:`_mirror`: the cotangent of ``x`` given that of the symmetric
    matrix.  An off-diagonal pair's cotangents both land on the read triangle."""
    out = add(_tril(g), _tril(_mT(g), -1))
    return out if lower else _mT(out)


def _sum_terms(*terms: Any) -> Any:
    """The sum of the terms that are not None (symbolic zeros)."""
    present = [t for t in terms if t is not None]
    out = present[0]
    for t in present[1:]:
        out = add(out, t)
    return out


# -- cholesky -----------------------------------------------------------------------------------

cholesky_p = Primitive("cholesky")


def cholesky(a: Any) -> Any:
    """The lower Cholesky factors ``l`` (``a = l l^H``) of a stack of symmetric (Hermitian)
    positive definite matrices, read from their lower triangles (``np.linalg.cholesky``)."""
    return cholesky_p.bind1(a)


def _cholesky_shape(a: ShapedArray) -> list[ShapedArray]:
    check_matrices("cholesky", a, square=True)
    return [ShapedArray(a.shape, a.dtype, a.weak_type)]


def _phi(x: Any) -> Any:
    """The lower triangle of ``x`` with its diagonal halved."""
    return sub(_tril(x), mul(x, _const(x, 0.5 * np.eye(shape_of(x)[-1]))))


def _cholesky_jvp(a_dot: Any, ans: Any, a: Any) -> Any:
    # a = l l^H:  l^-1 da l^-H = phi^-1(l^-1 dl) with l^-1 dl lower triangular (and a real
    # diagonal), so dl = l phi(l^-1 da l^-H), phi taking the lower triangle with the diagonal
    # halved.
    x = _solve_right(solve(ans, _mirror(a_dot, True)), _mH(ans))
    return _mm(ans, _phi(x))


def _cholesky_vjp(ct: Any, ans: Any, a: Any) -> Any:
    if _is_complex(ans):
        return _vjp_by_transposing(lambda p, t, out: [_cholesky_jvp(t[0], out[0], p[0])], [a],
                                   [ct], [ans])[0]
    # The transpose of the jvp: phi is a mask (its own transpose), the solves transpose.
    p = _phi(_mm(_mT(ans), ct))
    g = _solve_right(solve(_mT(ans), p), ans)
    return _mirror_transpose(g, True)


cholesky_p.impl = lambda a: [np.linalg.cholesky(a)]
cholesky_p.shape_rule = _cholesky_shape
defjvp(cholesky_p, _cholesky_jvp)
defvjp(cholesky_p, _cholesky_vjp, residuals=(True, (False,)))  # reads l, not a
_front_batch_all(cholesky_p)


# -- eigh ---------------------------------------------------------------------------------------

eigh_p = Primitive("eigh", multiple_results=True)


def eigh(a: Any, lower: bool = True) -> tuple[Any, Any]:
    """Eigenvalues (ascending, real) and eigenvectors (columns) of a stack of symmetric
    (Hermitian) matrices, read from their lower (or upper) triangles:
    ``np.linalg.eigh(a, UPLO="L" or "U")``."""
    w, v = eigh_p.bind(a, lower=bool(lower))
    return w, v


def _eigh_shape(a: ShapedArray, *, lower: bool) -> list[ShapedArray]:
    check_matrices("eigh", a, square=True)
    return [ShapedArray(a.shape[:-1], real_dtype(a.dtype), a.weak_type),
            ShapedArray(a.shape, a.dtype, a.weak_type)]


def _eigh_impl(a: Any, *, lower: bool) -> list[Any]:
    w, v = np.linalg.eigh(a, UPLO="L" if lower else "U")
    return [w, v]


def _eigh_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
              lower: bool) -> list[Any]:
    # a v = v diag(w) with v orthogonal (unitary): in the eigenbasis the perturbation is
    # p = v^H da v; dw = diag(p) (real), and dv = v (F o p) with F[i, j] = 1 / (w[j] - w[i])
    # off the diagonal.
    w, v = ans
    p = _mm(_mH(v), _mm(_mirror(tangents[0], lower), v))
    return [_real_part(_diag_part(p)), _mm(v, mul(_like(_gap_reciprocals(w), p), p))]


def _eigh_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
              lower: bool) -> list[Any]:
    if _is_complex(ans[1]):
        return _vjp_by_transposing(_eigh_jvp, args, cts, ans, lower=lower)
    # The transpose of the jvp: g = v (diag(w_bar) + F o (v^T v_bar)) v^T.
    w_bar, v_bar = cts
    w, v = ans
    inner = _sum_terms(None if w_bar is None else _diag_embed(w_bar),
                       None if v_bar is None else mul(_gap_reciprocals(w), _mm(_mT(v), v_bar)))
    return [_mirror_transpose(_mm(v, _mm(inner, _mT(v))), lower)]


eigh_p.impl = _eigh_impl
eigh_p.shape_rule = _eigh_shape
jvp_rules[eigh_p] = _eigh_jvp
vjp_rules[eigh_p] = _eigh_vjp
vjp_residuals[eigh_p] = (True, (False,))  # reads w and v, not a
_front_batch_all(eigh_p)


# -- svd ----------------------------------------------------------------------------------------

svd_p = Primitive("svd", multiple_results=True)


def svd(a: Any, full_matrices: bool = False) -> tuple[Any, Any, Any]:
    """``u, s, vh`` with ``a = u diag(s) vh`` and ``s`` descending, for a stack of matrices
    ``(..., m, n)`` (``np.linalg.svd``).  ``u``: ``(..., m, k)``, ``vh``: ``(..., k, n)`` with
    ``k = min(m, n)``, or square with ``full_matrices`` (whose derivative, when ``m != n``,
    exists only for ``s``: the extra columns are any basis of a complement)."""
    u, s, vh = svd_p.bind(a, full_matrices=bool(full_matrices))
    return u, s, vh


def _svd_shape(a: ShapedArray, *, full_matrices: bool) -> list[ShapedArray]:
    check_matrices("svd", a, square=False)
    *lead, m, n = a.shape
    k = min(m, n)
    u_cols, vh_rows = (m, n) if full_matrices else (k, k)
    return [ShapedArray((*lead, m, u_cols), a.dtype, a.weak_type),
            ShapedArray((*lead, k), real_dtype(a.dtype), a.weak_type),
            ShapedArray((*lead, vh_rows, n), a.dtype, a.weak_type)]


def _svd_impl(a: Any, *, full_matrices: bool) -> list[Any]:
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return [u, s, vh]


def _no_full_derivative(a: Any, what: str) -> NotImplementedError:
    m, n = shape_of(a)[-2:]
    return NotImplementedError(
        f"svd: the {what} of u and vh with full_matrices=True is not defined for non-square "
        f"matrices (got {m}x{n}: the extra singular vectors are any basis of a complement); "
        "use full_matrices=False, or only the singular values.")


def _svd_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
             full_matrices: bool) -> list[Any]:
    (a,), (a_dot,) = primals, tangents
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n:
        raise _no_full_derivative(a, "derivative")
    u, s, vh = ans  # the reduced factors: full_matrices changes nothing for square a
    v = _mH(vh)
    # In the singular bases the perturbation is p = u^H da v; ds = Re(diag(p)), and the
    # rotations of the bases are u^H du = F o (p S + S p^H), v^H dv = F o (S p + p^H S) with
    # F[i, j] = 1 / (s[j]^2 - s[i]^2).  A tall (wide) matrix's u (v) also turns out of its
    # span: (I - u u^H) da v S^-1 (resp. (I - v v^H) da^H u S^-1).  For complex matrices
    # the imaginary part of diag(p) turns the phases: u^H du gets i Im(diag(p)) / S (a zero
    # singular value turns nothing), v^H dv none, as JAX's rule.
    p = _mm(_mH(u), _mm(a_dot, v))
    sc = _like(s, p)
    f = _like(_gap_reciprocals(mul(s, s)), p)
    u_inner = mul(f, add(_scale_cols(p, sc), _scale_rows(_mH(p), sc)))
    if _is_complex(p):
        rdt, cdt = get_aval(s).dtype, get_aval(p).dtype
        zero = eq(s, np.zeros((), rdt))
        s_safe = select_n(zero, s, np.ones(shape_of(s), rdt))
        turn = div(_imag_part_i(_diag_part(p)), _like(s_safe, p))
        u_inner = add(u_inner, _diag_embed(select_n(zero, turn, np.zeros(shape_of(s), cdt))))
    u_dot = _mm(u, u_inner)
    v_dot = _mm(v, mul(f, add(_scale_rows(p, sc), _scale_cols(_mH(p), sc))))
    if m > n:
        a_dot_v = _mm(a_dot, v)
        u_dot = add(u_dot, div(sub(a_dot_v, _mm(u, _mm(_mH(u), a_dot_v))),
                               _along(sc, shape_of(a_dot_v), -1)))
    if n > m:
        a_dot_u = _mm(_mH(a_dot), u)
        v_dot = add(v_dot, div(sub(a_dot_u, _mm(v, _mm(_mH(v), a_dot_u))),
                               _along(sc, shape_of(a_dot_u), -1)))
    return [u_dot, _real_part(_diag_part(p)), _mH(v_dot)]


def _svd_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
             full_matrices: bool) -> list[Any]:
    u_bar, s_bar, vh_bar = cts
    (a,) = args
    m, n = shape_of(a)[-2:]
    if full_matrices and m != n and (u_bar is not None or vh_bar is not None):
        raise _no_full_derivative(a, "gradient")
    u, s, vh = ans
    if full_matrices and m != n:
        # Only s has a cotangent: pull it back through the reduced factors, bound anew so
        # that higher derivatives go through their rules.
        u, s, vh = svd(a, full_matrices=False)
    if _is_complex(a):
        if u_bar is None and vh_bar is None:  # s alone: finite at repeated singular values
            v = _mH(vh)
            return transpose_linear(lambda a_dot: [_real_part(_diag_part(
                _mm(_mH(u), _mm(a_dot, v))))], [get_aval(a).strong()], [s_bar])
        return _vjp_by_transposing(_svd_jvp, [a], cts, [u, s, vh], full_matrices=False)
    v = _mT(vh)
    v_bar = None if vh_bar is None else _mT(vh_bar)
    # The transpose of the jvp: a_bar = u (diag(s_bar) + (J + J^T) S + S (K + K^T)) v^T with
    # J = F o (u^T u_bar), K = F o (v^T v_bar), plus the tall / wide terms.  F is formed only
    # when u or v has a cotangent, so the gradient of s alone is finite at repeated values.
    f = None if u_bar is None and v_bar is None else _gap_reciprocals(mul(s, s))
    inner_terms = [None if s_bar is None else _diag_embed(s_bar)]
    if u_bar is not None:
        j = mul(f, _mm(_mT(u), u_bar))
        inner_terms.append(_scale_cols(add(j, _mT(j)), s))
    if v_bar is not None:
        k = mul(f, _mm(_mT(v), v_bar))
        inner_terms.append(_scale_rows(add(k, _mT(k)), s))
    terms = [_mm(u, _mm(_sum_terms(*inner_terms), _mT(v)))]
    if u_bar is not None and m > n:
        out_of_span = sub(u_bar, _mm(u, _mm(_mT(u), u_bar)))
        terms.append(_mm(div(out_of_span, _along(s, shape_of(u_bar), -1)), _mT(v)))
    if v_bar is not None and n > m:
        out_of_span = sub(v_bar, _mm(v, _mm(_mT(v), v_bar)))
        terms.append(_mm(u, _mT(div(out_of_span, _along(s, shape_of(v_bar), -1)))))
    return [_sum_terms(*terms)]


svd_p.impl = _svd_impl
svd_p.shape_rule = _svd_shape
jvp_rules[svd_p] = _svd_jvp
vjp_rules[svd_p] = _svd_vjp
_front_batch_all(svd_p)


# -- qr -----------------------------------------------------------------------------------------

qr_p = Primitive("qr", multiple_results=True)


def qr(a: Any, full_matrices: bool = False) -> tuple[Any, Any]:
    """``q, r`` with ``a = q r``, ``q`` orthonormal columns and ``r`` upper triangular, for a
    stack of matrices ``(..., m, n)``: ``np.linalg.qr(a, mode="reduced")``, or ``"complete"``
    with ``full_matrices`` (whose derivative, when ``m > n``, is not defined)."""
    q, r = qr_p.bind(a, full_matrices=bool(full_matrices))
    return q, r


def _qr_shape(a: ShapedArray, *, full_matrices: bool) -> list[ShapedArray]:
    check_matrices("qr", a, square=False)
    *lead, m, n = a.shape
    k = m if full_matrices else min(m, n)
    return [ShapedArray((*lead, m, k), a.dtype, a.weak_type),
            ShapedArray((*lead, k, n), a.dtype, a.weak_type)]


def _qr_impl(a: Any, *, full_matrices: bool) -> list[Any]:
    q, r = np.linalg.qr(a, mode="complete" if full_matrices else "reduced")
    return [q, r]


def _check_qr_derivative(a: Any, full_matrices: bool) -> None:
    m, n = shape_of(a)[-2:]
    if full_matrices and m > n:
        raise NotImplementedError(
            f"qr: the derivative of mode='complete' is not defined for tall matrices (got "
            f"{m}x{n}: the extra columns of q are any basis of a complement); use "
            "mode='reduced'.")


def _qr_tall_jvp(q: Any, r: Any, a_dot: Any) -> tuple[Any, Any]:
    """``dq, dr`` for ``a = q r`` with ``r`` square (``m >= n``).  With c = da r^-1 and
    x = q^H c, q^H dq is the skew(-Hermitian) matrix o built from x's strict lower triangle
    (dr r^-1 is upper triangular; its diagonal is real, as LAPACK keeps r's, so for complex
    matrices o's diagonal is i Im(diag(x))), so dq = q (o - x) + c and dr = (x - o) r."""
    c = _solve_right(a_dot, r)
    x = _mm(_mH(q), c)
    low = _tril(x, -1)
    o = sub(low, _mH(low))
    if _is_complex(x):
        o = add(o, mul(_imag_part_i(x), _eye(x, shape_of(x)[-1])))
    return add(_mm(q, sub(o, x)), c), _mm(sub(x, o), r)


def _qr_tall_vjp(q: Any, r: Any, q_bar: Any, r_bar: Any) -> Any:
    """The transpose of :func:`_qr_tall_jvp`: with m = q^T q_bar - r_bar r^T,
    a_bar = (q_bar + q (tril(m - m^T, -1) - m)) r^-T."""
    m = _sum_terms(None if q_bar is None else _mm(_mT(q), q_bar),
                   None if r_bar is None else neg(_mm(r_bar, _mT(r))))
    n = sub(_tril(sub(m, _mT(m)), -1), m)
    b = _sum_terms(q_bar, _mm(q, n))
    return _solve_right(b, _mT(r))


def _qr_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
            full_matrices: bool) -> list[Any]:
    (a,), (a_dot,) = primals, tangents
    _check_qr_derivative(a, full_matrices)
    q, r = ans
    m, n = shape_of(a)[-2:]
    if m >= n:
        return list(_qr_tall_jvp(q, r, a_dot))
    # Wide: a = [a1 a2] with a1 square, q r1 = a1 and r2 = q^T a2.
    last = len(shape_of(a)) - 1
    a2, a_dot1, a_dot2 = (slice_in_dim(a, m, n, last), slice_in_dim(a_dot, 0, m, last),
                          slice_in_dim(a_dot, m, n, last))
    q_dot, r1_dot = _qr_tall_jvp(q, slice_in_dim(r, 0, m, last), a_dot1)
    r2_dot = add(_mm(_mH(q), a_dot2), _mm(_mH(q_dot), a2))
    return [q_dot, concatenate([r1_dot, r2_dot], last)]


def _qr_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
            full_matrices: bool) -> list[Any]:
    (a,), (q_bar, r_bar) = args, cts
    _check_qr_derivative(a, full_matrices)
    if _is_complex(a):
        return _vjp_by_transposing(_qr_jvp, args, cts, ans, full_matrices=full_matrices)
    q, r = ans
    m, n = shape_of(a)[-2:]
    if m >= n:
        return [_qr_tall_vjp(q, r, q_bar, r_bar)]
    last = len(shape_of(a)) - 1
    a2 = slice_in_dim(a, m, n, last)
    r1_bar = r2_bar = None
    if r_bar is not None:
        r1_bar, r2_bar = slice_in_dim(r_bar, 0, m, last), slice_in_dim(r_bar, m, n, last)
    # r2 = q^T a2 sends its cotangent to q (a2 r2_bar^T) and to a2 (q r2_bar).
    q_bar = _sum_terms(q_bar, None if r2_bar is None else _mm(a2, _mT(r2_bar)))
    a1_bar = _qr_tall_vjp(q, slice_in_dim(r, 0, m, last), q_bar, r1_bar)
    a2_bar = (_mm(q, r2_bar) if r2_bar is not None
              else _const(a2, np.zeros(shape_of(a2)[-2:])))
    return [concatenate([a1_bar, a2_bar], last)]


qr_p.impl = _qr_impl
qr_p.shape_rule = _qr_shape
jvp_rules[qr_p] = _qr_jvp
vjp_rules[qr_p] = _qr_vjp
_front_batch_all(qr_p)


# -- lu -----------------------------------------------------------------------------------------
# LU with partial pivoting, as LAPACK's getrf and jax.lax.linalg.lu: ``a[..., perm, :] = l u``
# with ``l`` unit lower triangular (m x k) and ``u`` upper triangular (k x n), k = min(m, n),
# packed in one m x n matrix (the unit diagonal of ``l`` is implied).  The pivots depend on the
# values, so they are chosen in the impl: the IR names the factorization, and jit and vmap need
# nothing special.  They are integers, without derivative.  With the row order held fixed,
# l' u + l u' = P a' gives l^-1 l' + u' u^-1 = l^-1 P a' u^-1, whose strict lower triangle is
# l^-1 l' and whose upper triangle is u' u^-1 (de Hoog, Anderssen & Lukas; JAX's rule).  For
# rectangular matrices l is padded to m x m and u to n x n with the identity.
lu_p = Primitive("lu", multiple_results=True)


def lu(a: Any) -> tuple[Any, Any, Any]:
    """``lu, pivots, permutation`` of a stack of matrices ``(..., m, n)``: ``lu`` holds ``l``
    below its diagonal and ``u`` on and above it, ``pivots`` (int32, ``(..., k)``) LAPACK's row
    interchanges (row ``i`` swapped with row ``pivots[i]``, 0-based) and ``permutation`` (int32,
    ``(..., m)``) their product: ``a[..., permutation, :] == l @ u``."""
    lu_, pivots, permutation = lu_p.bind(a)
    return lu_, pivots, permutation


def _lu_shape(a: ShapedArray) -> list[ShapedArray]:
    check_matrices("lu", a, square=False)
    *lead, m, n = a.shape
    int32 = np.dtype(np.int32)
    return [ShapedArray(a.shape, a.dtype, a.weak_type),
            ShapedArray((*lead, min(m, n)), int32), ShapedArray((*lead, m), int32)]


def _lu_impl(a: Any) -> list[Any]:
    # Right-looking elimination, one column at a time for the whole stack (NumPy has no LU).
    # The pivot is the first entry of largest |Re| + |Im| (LAPACK's i?amax), the modulus for
    # real matrices.  A zero pivot column is left as it is (LAPACK reports it and goes on), so
    # singular matrices factor too.
    a = np.asarray(a)
    *lead, m, n = a.shape
    count, k = math.prod(lead), min(m, n)
    x = a.reshape(count, m, n).copy()
    perm = np.tile(np.arange(m, dtype=np.int32), (count, 1))
    pivots = np.empty((count, k), np.int32)
    rows = np.arange(count)
    for j in range(k):
        column = x[:, j:, j]
        p = j + np.argmax(np.abs(column.real) + np.abs(column.imag), axis=1)
        pivots[:, j] = p
        x[rows, j], x[rows, p] = x[rows, p], x[rows, j]
        perm[rows, j], perm[rows, p] = perm[rows, p], perm[rows, j]
        d = x[:, j, j]
        x[:, j + 1:, j] /= np.where(d == 0, 1, d)[:, None]
        x[:, j + 1:, j + 1:] -= x[:, j + 1:, j, None] * x[:, j, None, j + 1:]
    return [x.reshape(a.shape), pivots.reshape((*lead, k)), perm.reshape((*lead, m))]


def _triu(x: Any) -> Any:
    """The upper triangle of each matrix (``np.triu``), as a product with a constant mask."""
    n, m = shape_of(x)[-2:]
    return mul(x, _const(x, 1 - np.tri(n, m, -1)))


def _lu_square_factors(lu_: Any) -> tuple[Any, Any]:
    """``l`` padded to ``m x m`` and ``u`` to ``n x n`` with the identity (invertible)."""
    *lead, m, n = shape_of(lu_)
    k, nd = min(m, n), len(shape_of(lu_))
    zero = np.zeros((), get_aval(lu_).dtype)
    keep = [(0, 0, 0)] * (nd - 2)
    low = _tril(slice_in_dim(lu_, 0, k, nd - 1), -1)
    if m > k:
        low = pad(low, zero, [*keep, (0, 0, 0), (0, m - k, 0)])
    up = _triu(slice_in_dim(lu_, 0, k, nd - 2))
    if n > k:
        up = add(pad(up, zero, [*keep, (0, n - k, 0), (0, 0, 0)]),
                 _const(lu_, np.diag((np.arange(n) >= k).astype(float))))
    return add(low, _eye(lu_, m)), up


def permutation_matrix(perm: Any, dtype: Any) -> Any:
    """The matrices ``p`` (of ``dtype``) with ``p @ x == x[..., perm, :]``: ``p[i, j] = 1``
    where ``perm[i] == j``."""
    *lead, m = shape_of(perm)
    columns = _stacked(np.broadcast_to(np.arange(m), (m, m)), tuple(lead), get_aval(perm).dtype)
    return convert_element_type(eq(_along(perm, (*lead, m, m), -2), columns), np.dtype(dtype))


def _lu_jvp(primals: list[Any], tangents: list[Any], ans: list[Any]) -> list[Any]:
    lu_, _, perm = ans
    l, u = _lu_square_factors(lu_)
    x = _mm(permutation_matrix(perm, get_aval(lu_).dtype), tangents[0])
    lau = _solve_right(solve(l, x), u)  # l^-1 P da u^-1
    return [add(_mm(l, _tril(lau, -1)), _mm(_triu(lau), u)), None, None]


def _lu_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool]) -> list[Any]:
    if cts[0] is None:  # the pivots and the permutation carry no cotangent
        return [None]
    return transpose_linear(lambda a_dot: [_lu_jvp(args, [a_dot], ans)[0]],
                            [get_aval(args[0]).strong()], [cts[0]])


lu_p.impl = _lu_impl
lu_p.shape_rule = _lu_shape
jvp_rules[lu_p] = _lu_jvp
vjp_rules[lu_p] = _lu_vjp
vjp_residuals[lu_p] = (True, (False,))  # reads the factors and the permutation, not a
_front_batch_all(lu_p)


# -- qr_pivots ----------------------------------------------------------------------------------
# The column order of a rank-revealing QR (LAPACK's geqp3; Businger and Golub): at each step the
# remaining column of largest norm, after projecting out the columns already taken, comes next.
# Only the order is a primitive (integers, whose derivative is zero): the factors are those of
# qr(a[..., order]), so their derivative is qr's with the order held fixed.
qr_pivots_p = Primitive("qr_pivots")


def qr_pivots(a: Any) -> Any:
    """The column order ``p`` (int32, ``(..., n)``) of a stack of matrices ``(..., m, n)``
    for which ``qr(a[..., p])`` has a non-increasing ``|diag(r)|`` (column pivoting)."""
    return qr_pivots_p.bind1(a)


def _qr_pivots_shape(a: ShapedArray) -> list[ShapedArray]:
    check_matrices("qr_pivots", a, square=False)
    return [ShapedArray((*a.shape[:-2], a.shape[-1]), np.dtype(np.int32))]


def _qr_pivots_impl(a: Any) -> list[Any]:
    # Gram-Schmidt on the remaining columns, for the whole stack: each step takes the first
    # column of largest remaining norm and projects its direction out of the others.
    a = np.asarray(a)
    *lead, m, n = a.shape
    count = math.prod(lead)
    x = a.reshape(count, m, n).copy()
    order = np.tile(np.arange(n, dtype=np.int32), (count, 1))
    rows = np.arange(count)
    for j in range(min(m, n)):
        norms = np.sum(np.abs(x[:, :, j:]) ** 2, axis=1)
        p = j + np.argmax(norms, axis=1)
        x[rows, :, j], x[rows, :, p] = x[rows, :, p], x[rows, :, j]
        order[rows, j], order[rows, p] = order[rows, p], order[rows, j]
        norm = np.sqrt(norms[rows, p - j])
        q = x[:, :, j] / np.where(norm == 0, 1, norm)[:, None]
        x[:, :, j + 1:] -= q[:, :, None] * np.sum(np.conj(q)[:, :, None] * x[:, :, j + 1:],
                                                   axis=1)[:, None, :]
    return [order.reshape((*lead, n))]


qr_pivots_p.impl = _qr_pivots_impl
qr_pivots_p.shape_rule = _qr_pivots_shape
defzero(qr_pivots_p)
_front_batch_all(qr_pivots_p)


# -- pinv ---------------------------------------------------------------------------------------

pinv_p = Primitive("pinv")


def pinv(a: Any, rcond: float) -> Any:
    """The Moore-Penrose pseudo-inverses ``(..., n, m)`` of a stack of matrices ``(..., m, n)``,
    singular values up to ``rcond`` times the largest taken as zero (``np.linalg.pinv``)."""
    return pinv_p.bind1(a, rcond=float(rcond))


def _pinv_shape(a: ShapedArray, *, rcond: float) -> list[ShapedArray]:
    check_matrices("pinv", a, square=False)
    return [ShapedArray((*a.shape[:-2], a.shape[-1], a.shape[-2]), a.dtype, a.weak_type)]


def _pinv_jvp(a_dot: Any, ans: Any, a: Any, *, rcond: float) -> Any:
    # Where the rank is locally constant (Golub & Pereyra):
    # dp = -p da p + p p^H da^H (I - a p) + (I - p a) da^H p^H p.
    p, a_dot_h = ans, _mH(a_dot)
    m, n = shape_of(a)[-2:]
    term1 = neg(_mm(p, _mm(a_dot, p)))
    term2 = _mm(_mm(p, _mH(p)), _mm(a_dot_h, sub(_eye(a, m), _mm(a, p))))
    term3 = _mm(sub(_eye(a, n), _mm(p, a)), _mm(a_dot_h, _mm(_mH(p), p)))
    return add(add(term1, term2), term3)


def _pinv_vjp(ct: Any, ans: Any, a: Any, *, rcond: float) -> Any:
    if _is_complex(a):
        return _vjp_by_transposing(lambda p, t, out, **k: [_pinv_jvp(t[0], out[0], p[0], **k)],
                                   [a], [ct], [ans], rcond=rcond)[0]
    # The transpose of the jvp:
    # a_bar = -p^T ct p^T + (I - a p) ct^T p p^T + p^T p ct^T (I - p a).
    p, ct_t = ans, _mT(ct)
    m, n = shape_of(a)[-2:]
    term1 = neg(_mm(_mT(p), _mm(ct, _mT(p))))
    term2 = _mm(sub(_eye(a, m), _mm(a, p)), _mm(ct_t, _mm(p, _mT(p))))
    term3 = _mm(_mm(_mT(p), p), _mm(ct_t, sub(_eye(a, n), _mm(p, a))))
    return add(add(term1, term2), term3)


pinv_p.impl = lambda a, *, rcond: [np.linalg.pinv(a, rcond)]
pinv_p.shape_rule = _pinv_shape
defjvp(pinv_p, _pinv_jvp)
defvjp(pinv_p, _pinv_vjp)
_front_batch_all(pinv_p)

# -- the adjugate's derivative, through the SVD ---------------------------------------------------
# ``linalg`` declares the adjugate (det's gradient); its derivative rules live here because they
# use the SVD.  With a = u diag(s) vh and sign = det(u) det(vh), adj(a) = sign vh^T adj(diag(s))
# u^T, so d adj(a)[e] = sign vh^T G(u^T e vh^T) u^T, where G is the derivative of the adjugate at
# the diagonal matrix diag(s):
#     G(f)[i, i] = sum_{k != i} f[k, k] q[i, k],    G(f)[i, j] = -f[i, j] q[i, j]  (i != j),
# with q[i, j] the product of the singular values other than s[i] and s[j].  Nothing is
# inverted, so the rule holds at singular matrices: det has a second derivative there (JAX's
# too).  G is self-adjoint, so the vjp is the same sandwich the other way round.


def _pair_products(s: Any) -> Any:
    """``q[..., i, j]``: the product of ``s[..., m]`` over ``m`` other than ``i`` and ``j``,
    for ``i != j``; 0 on the diagonal."""
    *lead, n = shape_of(s)
    dtype = get_aval(s).dtype
    m = np.arange(n)
    others = (m != m[:, None, None]) & (m != m[None, :, None])  # [i, j, m]
    full = (*lead, n, n, n)
    s_ijm = broadcast_in_dim(s, full, (*range(len(lead)), len(lead) + 2))
    ones = np.ones(full, dtype)
    q = reduce_prod(select_n(np.broadcast_to(others, full), ones, s_ijm), (len(full) - 1,))
    return mul(q, _stacked(1 - np.eye(n), tuple(lead), dtype))


def _adjugate_sandwich(a: Any, e: Any, transpose: bool) -> Any:
    """``d adj(a)[e]`` (``transpose=False``) or its transpose applied to ``e``."""
    n = shape_of(a)[-1]
    if n == 0:
        return e
    u, s, vh = svd(a)
    sign = mul(det(u), det(vh))
    # jvp: f = u^T e vh^T, out = vh^T G(f) u^T;  vjp: f = vh e u, out = u G(f) vh.  (Complex
    # matrices: the jvp with ^H; the vjp is its traced transpose, see below.)
    left, right = (u, vh) if transpose else (_mH(vh), _mH(u))
    f = _mm(right, _mm(e, left))
    q = _like(_pair_products(s), f)
    g = add(neg(mul(f, q)), _diag_embed(reduce_sum(mul(q, _along(_diag_part(f), shape_of(q),
                                                                 -1)), (len(shape_of(q)) - 1,))))
    out = _mm(left, _mm(g, right))
    lead = shape_of(sign)
    return mul(broadcast_in_dim(sign, shape_of(out), tuple(range(len(lead)))), out)


def _adjugate_vjp(ct: Any, ans: Any, a: Any) -> Any:
    if _is_complex(a):
        return transpose_linear(lambda e: [_adjugate_sandwich(a, e, transpose=False)],
                                [get_aval(a).strong()], [ct])[0]
    return _adjugate_sandwich(a, ct, transpose=True)


defjvp(adjugate_p, lambda a_dot, ans, a: _adjugate_sandwich(a, a_dot, transpose=False))
defvjp(adjugate_p, _adjugate_vjp)

# -- eig and eigvals: the eigendecomposition of a general (non-symmetric) real matrix -------------
# Complex results, always (NumPy returns real arrays when every eigenvalue is real, a dtype that
# depends on values, which a trace cannot know; JAX's are complex too).
#
# Derivatives, with p = v^-1 da v:  dw = diag(p), and the eigenvectors turn by
# dv0 = v (F o p), F[i, j] = 1 / (w[j] - w[i]) off the diagonal (infinite at repeated
# eigenvalues).  That is one of many first-order solutions: each column may also be scaled.
# LAPACK's columns have unit norm and their largest entry real, so the scaling is fixed as
# NumPy's eig fixes it: dv1 = dv0 - v diag(Re(diag(v^H dv0))) keeps each norm, and
# dv = dv1 - i v diag(Im(dv1[k, j] / v[k, j])), k the row of column j's largest entry, keeps
# that entry real.  (JAX leaves the eigenvectors' derivative undefined.)  The vjp is the
# transpose of these steps in JAX's convention; a is real, so its cotangent is the real part.
eig_p = Primitive("eig", multiple_results=True)
eigvals_p = Primitive("eigvals")


def eig(a: Any) -> tuple[Any, Any]:
    """``w, v`` with ``a @ v == v * w``: unit-norm eigenvector columns whose largest entry is
    real (LAPACK's, as NumPy's)."""
    w, v = eig_p.bind(a)
    return w, v


def eigvals(a: Any) -> Any:
    """The eigenvalues of each matrix of a stack (complex), in LAPACK's order."""
    return eigvals_p.bind1(a)


def _eig_complex(a: ShapedArray) -> np.dtype[Any]:
    return np.dtype(np.complex64 if a.dtype in (np.float32, np.complex64) else np.complex128)


def _eig_shape(a: ShapedArray) -> list[ShapedArray]:
    check_matrices("eig", a, square=True)
    c = _eig_complex(a)
    return [ShapedArray(a.shape[:-1], c, a.weak_type), ShapedArray(a.shape, c, a.weak_type)]


def _eig_impl(a: Any) -> list[Any]:
    a = np.asarray(a)
    w, v = np.linalg.eig(a)
    c = _eig_complex(get_aval(a))
    return [w.astype(c, copy=False), v.astype(c, copy=False)]


def _eigvals_shape(a: ShapedArray) -> list[ShapedArray]:
    check_matrices("eigvals", a, square=True)
    return [ShapedArray(a.shape[:-1], _eig_complex(a), a.weak_type)]


def _eig_gaps(w: Any) -> Any:
    """F[..., i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    n = shape_of(w)[-1]
    diff = sub(_along(w, (*shape_of(w), n), -1), _along(w, (*shape_of(w), n), -2))
    eye = _stacked(np.eye(n), shape_of(w)[:-1], get_aval(w).dtype)
    return sub(div(_stacked(np.ones((n, n)), shape_of(w)[:-1], get_aval(w).dtype),
                   add(diff, eye)), eye)


def _largest_entries(v: Any) -> Any:
    """A mask of each column's largest entry (by modulus), in ``v``'s dtype."""
    *lead, n, m = shape_of(v)
    rows = argmax(abs_(v), len(lead))  # (..., m): piecewise constant, no derivative
    iota = _stacked(np.arange(n, dtype=get_aval(rows).dtype)[:, None] * np.ones((1, m), int),
                    tuple(lead), get_aval(rows).dtype)
    return convert_element_type(eq(iota, _along(rows, shape_of(v), -1)), get_aval(v).dtype)


def _column_entries(x: Any, mask: Any) -> Any:
    """The entries of each column of ``x`` that ``mask`` marks (one per column)."""
    return reduce_sum(mul(x, mask), (len(shape_of(x)) - 2,))


def _eig_jvp(primals: list[Any], tangents: list[Any], ans: list[Any]) -> list[Any]:
    a_dot = tangents[0]
    w, v = ans
    c = get_aval(v).dtype
    p = solve(v, _mm(convert_element_type(a_dot, c), v))
    dv0 = _mm(v, mul(_eig_gaps(w), p))
    norms = real(_diag_part(_mm(conj(_mT(v)), dv0)))
    dv1 = sub(dv0, _scale_cols(v, convert_element_type(norms, c)))
    largest = _largest_entries(v)
    phase = imag(div(_column_entries(dv1, largest), _column_entries(v, largest)))
    i = np.asarray(1j, c)
    dv = sub(dv1, mul(i, _scale_cols(v, convert_element_type(phase, c))))
    return [_diag_part(p), dv]


def _eig_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool]
             ) -> list[Any]:
    if _is_complex(args[0]):
        return _vjp_by_transposing(_eig_jvp, args, cts, ans)
    w_bar, v_bar = cts
    w, v = ans
    c = get_aval(v).dtype
    inner = [] if w_bar is None else [_diag_embed(w_bar)]
    if v_bar is not None:
        i = np.asarray(1j, c)
        # Through the phase fix: dv1_bar = v_bar + at (k_j, j): -i Re(-i sum_i v v_bar) / v_kj.
        largest = _largest_entries(v)
        phase_bar = real(mul(neg(i), reduce_sum(mul(v, v_bar), (len(shape_of(v)) - 2,))))
        at_k = div(mul(neg(i), convert_element_type(phase_bar, c)), _column_entries(v, largest))
        dv1_bar = add(v_bar, mul(largest, _along(at_k, shape_of(v), -1)))
        # Through the norm fix: dv0_bar = dv1_bar + conj(v) Re(-sum_i v dv1_bar).
        norm_bar = real(neg(reduce_sum(mul(v, dv1_bar), (len(shape_of(v)) - 2,))))
        dv0_bar = add(dv1_bar, _scale_cols(conj(v), convert_element_type(norm_bar, c)))
        inner.append(mul(_eig_gaps(w), _mm(_mT(v), dv0_bar)))
    if not inner:
        return [None]
    p_bar = inner[0] if len(inner) == 1 else add(inner[0], inner[1])
    return [real(solve(_mT(v), _mm(p_bar, _mT(v))))]


def _eigvals_jvp(a_dot: Any, ans: Any, a: Any) -> Any:
    _, v = eig(a)
    return _diag_part(solve(v, _mm(convert_element_type(a_dot, get_aval(v).dtype), v)))


def _eigvals_vjp(ct: Any, ans: Any, a: Any) -> Any:
    # v^-T diag(ct) v^T, solved rather than inverted, and its real part for a real a.
    _, v = eig(a)
    out = solve(_mT(v), _mm(_diag_embed(ct), _mT(v)))
    return out if _is_complex(a) else real(out)


eig_p.impl = _eig_impl
eig_p.shape_rule = _eig_shape
jvp_rules[eig_p] = _eig_jvp
vjp_rules[eig_p] = _eig_vjp
_front_batch_all(eig_p)
eigvals_p.impl = lambda a: [_eig_impl(a)[0]]
eigvals_p.shape_rule = _eigvals_shape
defjvp(eigvals_p, _eigvals_jvp)
defvjp(eigvals_p, _eigvals_vjp, residuals=(False, (True,)))
_front_batch_all(eigvals_p)


# -- schur --------------------------------------------------------------------------------------
# The Schur decomposition a = z t z^H (the QR algorithm in NumPy, functrace/primitives/
# _schur_kernel.py): the real Schur form of a real matrix, the complex one of a complex
# matrix.  No derivative rule, as JAX's schur (differentiating through it raises
# NotImplementedError); batched by moving the batch axis to the front of the stack.
schur_p = Primitive("schur", multiple_results=True)


def schur(a: Any) -> tuple[Any, Any]:
    """``(t, z)`` with ``a = z t z^H`` for each square matrix of a stack: ``t`` quasi-upper
    triangular with 2x2 blocks in LAPACK's standard form (real ``a``) or upper triangular
    (complex ``a``), ``z`` orthogonal (unitary)."""
    t, z = schur_p.bind(a)
    return t, z


def _schur_shape(a: ShapedArray) -> list[ShapedArray]:
    check_matrices("schur", a, square=True)
    return [ShapedArray(a.shape, a.dtype), ShapedArray(a.shape, a.dtype)]


def _schur_impl(a: Any) -> list[Any]:
    t, z = schur_kernel(np.asarray(a))
    return [t, z]


schur_p.impl = _schur_impl
schur_p.shape_rule = _schur_shape
_front_batch_all(schur_p)
