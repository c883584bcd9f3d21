"""Linear algebra of ``functrace.numpy``: dot, matmul, tensordot, outer, inner, vdot, einsum,
vecdot, matvec, vecmat, the diagonal functions (diagonal, trace, diag, diagflat), and the 1-d
convolutions and polynomials (convolve, correlate, vander, polyval).

Every contraction lowers to the one ``dot_general`` primitive."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from functrace.core import Tracer, get_aval
from functrace.numpy import _reductions
from functrace.numpy._base import (
    as_operand,
    aval,
    broadcast_shapes,
    broadcast_to_shape,
    check_cast,
    convert,
    no_out,
    result_dtype,
)
from functrace.numpy._elementwise import (
    _loop_cast,
    add,
    conjugate,
    multiply,
    negative,
    power,
    subtract,
    where,
)
from functrace.numpy._reductions import normalize_axis
from functrace.numpy._shapes import asarray, ravel, reshape, zeros_like
from functrace.primitives import indexing as ix
from functrace.primitives import shape as sh
from functrace.primitives.linalg import dot_general


def _contraction_error(name: str, a: Any, b: Any) -> ValueError:
    return ValueError(f"{name}: shapes {aval(a).shape} and {aval(b).shape} are not aligned "
                      "(the contracted axes differ in length).")


def _preferred(a: Any, b: Any, preferred_element_type: Any) -> tuple[Any, Any]:
    """JAX's ``preferred_element_type``: the product computed (and returned) in that dtype."""
    if preferred_element_type is None:
        return a, b
    dtype = np.dtype(preferred_element_type)
    return convert(as_operand(a), dtype), convert(as_operand(b), dtype)


# (``precision`` and ``preferred_element_type`` are JAX's keywords: the first is a hint,
# accepted and ignored; NumPy computes at full precision.)


def dot(a: Any, b: Any, out: None = None, *, precision: Any = None,
        preferred_element_type: Any = None) -> Any:
    """``numpy.dot``: products of scalars, inner product of vectors, otherwise a sum over the
    last axis of ``a`` and the second-to-last of ``b``."""
    no_out("dot", out)
    a, b = _preferred(a, b, preferred_element_type)
    if aval(a).ndim == 0 or aval(b).ndim == 0:
        return multiply(a, b)
    a, b = _same_dtype(a, b)
    na, nb = aval(a).ndim, aval(b).ndim
    b_axis = 0 if nb == 1 else nb - 2
    if aval(a).shape[-1] != aval(b).shape[b_axis]:
        raise _contraction_error("dot", a, b)
    return dot_general(a, b, (((na - 1,), (b_axis,)), ((), ())))


def _same_dtype(a: Any, b: Any) -> list[Any]:
    a, b = as_operand(a), as_operand(b)
    dtype = result_dtype(aval(a), aval(b))
    return [convert(a, dtype), convert(b, dtype)]


def _in_loop_dtype(name: str, fn: Any, args: tuple[Any, ...], dtype: Any, casting: str,
                   **kwargs: Any) -> Any:
    """``fn(*args)`` for NumPy's gufunc ``name`` with its ``dtype=`` and ``casting=``: the
    operands cast to the loop NumPy would run (its ``TypeError`` where ``casting`` forbids),
    the result in the loop's output dtype."""
    operands, out_dtype = _loop_cast(name, args, dtype, casting)
    return convert(fn(*operands, **kwargs), out_dtype)


def matmul(a: Any, b: Any, /, out: None = None, *, dtype: Any = None,
           casting: str = "same_kind", precision: Any = None,
           preferred_element_type: Any = None) -> Any:
    """``numpy.matmul`` (``@``): matrix products broadcast over leading batch axes (NumPy's
    ``dtype=`` and ``casting=`` choose the loop, as for the elementwise ufuncs)."""
    no_out("matmul", out)
    if dtype is not None or casting != "same_kind":
        return _in_loop_dtype("matmul", matmul, (a, b), dtype, casting)
    if preferred_element_type is not None:
        a, b = _preferred(a, b, preferred_element_type)
    if isinstance(a, (Tracer, np.ndarray)) and isinstance(b, (Tracer, np.ndarray)):
        aa, ab = get_aval(a), get_aval(b)
        if (aa.dtype == ab.dtype and len(aa.shape) == 2 and len(ab.shape) == 2
                and aa.shape[1] == ab.shape[0]):
            # The commonest case (x @ w in a layer), without the general path's bookkeeping.
            return dot_general(a, b, (((1,), (0,)), ((), ())))
    a, b = _same_dtype(a, b)
    na, nb = aval(a).ndim, aval(b).ndim
    if na == 0 or nb == 0:
        raise ValueError("matmul: input operand does not have enough dimensions (use * for "
                         "scalars)")
    if aval(a).shape[-1] != aval(b).shape[0 if nb == 1 else -2]:
        raise _contraction_error("matmul", a, b)
    if na <= 2 and nb <= 2:
        return dot(a, b)  # without batch axes matmul is dot: one dot_general equation
    a2 = reshape(a, (1, -1)) if na == 1 else a
    b2 = reshape(b, (-1, 1)) if nb == 1 else b
    sa, sb = aval(a2).shape, aval(b2).shape
    if sa[-1] != sb[-2]:
        raise _contraction_error("matmul", a, b)
    batch = broadcast_shapes("matmul", sa[:-2], sb[:-2])
    if not batch:
        out = dot_general(a2, b2, (((1,), (0,)), ((), ())))
    else:
        a2 = broadcast_to_shape(a2, (*batch, *sa[-2:]))
        b2 = broadcast_to_shape(b2, (*batch, *sb[-2:]))
        nbatch = tuple(range(len(batch)))
        out = dot_general(a2, b2, (((len(batch) + 1,), (len(batch),)), (nbatch, nbatch)))
    out_shape = aval(out).shape
    if na == 1:
        out_shape = out_shape[:-2] + out_shape[-1:]
    if nb == 1:
        out_shape = out_shape[:-1]
    return reshape(out, out_shape)


def tensordot(a: Any, b: Any, axes: int | Sequence[Any] = 2, *, precision: Any = None,
              preferred_element_type: Any = None) -> Any:
    """``numpy.tensordot``: sum over the given axes of ``a`` and ``b``."""
    a, b = _same_dtype(*_preferred(a, b, preferred_element_type))
    na, nb = aval(a).ndim, aval(b).ndim
    if isinstance(axes, int):
        a_axes, b_axes = list(range(na - axes, na)), list(range(axes))
    else:
        a_axes, b_axes = axes  # type: ignore[misc]
        a_axes = [a_axes] if isinstance(a_axes, int) else list(a_axes)
        b_axes = [b_axes] if isinstance(b_axes, int) else list(b_axes)
    a_axes = [normalize_axis(i, na, "tensordot") for i in a_axes]
    b_axes = [normalize_axis(i, nb, "tensordot") for i in b_axes]
    if len(a_axes) != len(b_axes) or any(
            aval(a).shape[i] != aval(b).shape[j] for i, j in zip(a_axes, b_axes, strict=True)):
        raise _contraction_error("tensordot", a, b)
    return dot_general(a, b, ((tuple(a_axes), tuple(b_axes)), ((), ())))


def outer(a: Any, b: Any, out: None = None) -> Any:
    """``numpy.outer``: ``a[i] * b[j]`` of the flattened arrays."""
    no_out("outer", out)
    a, b = _same_dtype(ravel(a), ravel(b))
    return dot_general(a, b, (((), ()), ((), ())))


def inner(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Any:
    a, b = _same_dtype(*_preferred(a, b, preferred_element_type))
    na, nb = aval(a).ndim, aval(b).ndim
    if na == 0 or nb == 0:
        return multiply(a, b)
    if aval(a).shape[-1] != aval(b).shape[-1]:
        raise _contraction_error("inner", a, b)
    return dot_general(a, b, (((na - 1,), (nb - 1,)), ((), ())))


def vdot(a: Any, b: Any, *, precision: Any = None, preferred_element_type: Any = None) -> Any:
    """``numpy.vdot``: the dot product of the flattened arrays, conjugating ``a``."""
    return dot(ravel(conjugate(a)), ravel(b), preferred_element_type=preferred_element_type)


# -- diagonals ----------------------------------------------------------------------------------


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """``numpy.diagonal``: the entries ``a[..., i, i + offset, ...]`` of the two axes, which
    are removed; the diagonal becomes the last axis (one gather)."""
    a = as_operand(a)
    shape = aval(a).shape
    if len(shape) < 2:
        raise ValueError("diagonal: the array must have at least two dimensions")
    ax1, ax2 = normalize_axis(axis1, len(shape), "diagonal"), normalize_axis(
        axis2, len(shape), "diagonal")
    if ax1 == ax2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    rows, cols = max(-offset, 0), max(offset, 0)
    k = max(0, min(shape[ax1] - rows, shape[ax2] - cols))
    out = ix.gather(a, [np.arange(rows, rows + k), np.arange(cols, cols + k)], (ax1, ax2))
    return sh.moveaxis(out, 0, len(shape) - 2)


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None,
          out: None = None) -> Any:
    """``numpy.trace``: the sum of the diagonal."""
    no_out("trace", out)
    return _reductions.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def diag(v: Any, k: int = 0) -> Any:
    """``numpy.diag``: the ``k``-th diagonal of a 2-d array, or a square 2-d array with the
    1-d ``v`` on its ``k``-th diagonal and zeros elsewhere."""
    v = as_operand(v)
    v_aval = aval(v)
    if v_aval.ndim == 2:
        return diagonal(v, k)
    if v_aval.ndim != 1:
        raise ValueError("diag: input must be 1- or 2-d.")
    n = v_aval.shape[0]
    size = n + abs(k)
    # Flattened, the diagonal is every (size + 1)-th entry from `first`: an interior pad.
    first = k if k >= 0 else -k * size
    used = n + max(n - 1, 0) * size
    flat = ix.pad(v, np.zeros((), v_aval.dtype), [(first, size * size - first - used, size)])
    return reshape(flat, (size, size))


def diagflat(v: Any, k: int = 0) -> Any:
    """``numpy.diagflat``: a 2-d array with the flattened ``v`` on its ``k``-th diagonal."""
    return diag(ravel(v), k)


def kron(a: Any, b: Any) -> Any:
    """``numpy.kron``: the Kronecker product (blocks ``a[i, j] * b``)."""
    a, b = _same_dtype(a, b)
    nd = max(aval(a).ndim, aval(b).ndim)
    a = reshape(a, (1,) * (nd - aval(a).ndim) + aval(a).shape)
    b = reshape(b, (1,) * (nd - aval(b).ndim) + aval(b).shape)
    sa, sb = aval(a).shape, aval(b).shape
    # Interleave the axes: a's axis i becomes (i, 1) and b's becomes (1, i); one broadcast
    # product, then merge each pair.
    a_ex = reshape(a, tuple(d for n in sa for d in (n, 1)))
    b_ex = reshape(b, tuple(d for n in sb for d in (1, n)))
    return reshape(multiply(a_ex, b_ex), tuple(m * n for m, n in zip(sa, sb, strict=True)))


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Any:
    """``numpy.cross``: cross products of 3-vectors (or 2-vectors, whose third component is 0)
    along ``axisa`` of ``a`` and ``axisb`` of ``b``, broadcasting the other axes; the result's
    vectors lie along ``axisc``.  ``axis``, if given, sets all three.  Two 2-vectors give the
    scalar z component, as NumPy's."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _same_dtype(a, b)
    a = sh.moveaxis(a, normalize_axis(axisa, aval(a).ndim, "cross"), aval(a).ndim - 1)
    b = sh.moveaxis(b, normalize_axis(axisb, aval(b).ndim, "cross"), aval(b).ndim - 1)
    na, nb = aval(a).shape[-1], aval(b).shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("cross: incompatible dimensions for cross product (dimension must be "
                         f"2 or 3), got {na} and {nb}.")

    def parts(x: Any, n: int) -> list[Any]:
        ps = [ix.slice_in_dim(x, i, i + 1, aval(x).ndim - 1) for i in range(n)]
        return ps + [None] * (3 - n)  # None: a zero third component

    def mul(x: Any, y: Any) -> Any:
        return None if x is None or y is None else multiply(x, y)

    def sub(x: Any, y: Any) -> Any:
        if y is None:
            return x
        return negative(y) if x is None else subtract(x, y)

    (a0, a1, a2), (b0, b1, b2) = parts(a, na), parts(b, nb)
    z = sub(mul(a0, b1), mul(a1, b0))
    if na == nb == 2:
        return sh.squeeze(z, (aval(z).ndim - 1,))
    out = _concat_last([sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)), z])
    return sh.moveaxis(out, aval(out).ndim - 1, normalize_axis(axisc, aval(out).ndim, "cross"))


def _concat_last(parts: list[Any]) -> Any:
    shape = broadcast_shapes("cross", *[aval(p).shape for p in parts])
    return ix.concatenate([broadcast_to_shape(p, shape) for p in parts], len(shape) - 1)


def _triangle(name: str, m: Any, k: int, lower: bool) -> Any:
    m = as_operand(m)
    shape = aval(m).shape
    if not shape:
        raise TypeError(f"{name}: input must be at least 1-d, got a scalar.")
    # A 1-d m is a row, broadcast against the square mask (an (n, n) result, as NumPy's).
    rows, cols = shape[-2:] if len(shape) > 1 else shape * 2
    # Which entries to keep is known from the shape alone: a constant mask.
    offset = np.arange(cols)[None, :] - np.arange(rows)[:, None]
    keep = offset <= k if lower else offset >= k
    return where(keep, m, np.zeros((), aval(m).dtype))


def tril(m: Any, k: int = 0) -> Any:
    """``numpy.tril``: zeros above the ``k``-th diagonal of the last two axes (a 1-d array
    is a row repeated: an (n, n) result, as NumPy's and JAX's)."""
    return _triangle("tril", m, k, lower=True)


def triu(m: Any, k: int = 0) -> Any:
    """``numpy.triu``: zeros below the ``k``-th diagonal of the last two axes (a 1-d array
    is a row repeated: an (n, n) result, as NumPy's and JAX's)."""
    return _triangle("triu", m, k, lower=False)


# -- the array-API products: vecdot, matvec, vecmat --------------------------------------------


def _conj_complex(x: Any) -> Any:
    """``x`` conjugated if complex (``conjugate`` would make booleans int8)."""
    return conjugate(x) if aval(x).dtype.kind == "c" else x


def vecdot(x1: Any, x2: Any, /, out: None = None, *, axis: int = -1, dtype: Any = None,
           casting: str = "same_kind") -> Any:
    """``numpy.vecdot``: the dot product of vectors along ``axis``, broadcast over the other
    axes, conjugating ``x1``."""
    no_out("vecdot", out)
    if dtype is not None or casting != "same_kind":
        return _in_loop_dtype("vecdot", vecdot, (x1, x2), dtype, casting, axis=axis)
    x1, x2 = _same_dtype(_conj_complex(x1), x2)
    s1, s2 = aval(x1).shape, aval(x2).shape
    if not s1 or not s2:
        raise ValueError("vecdot: both inputs must be at least 1-d")
    nd = max(len(s1), len(s2))
    ax = normalize_axis(axis, nd, "vecdot")
    # The core axis, counted from the end, must have one length in both (no broadcasting).
    from_end = nd - ax
    if from_end > min(len(s1), len(s2)) or s1[-from_end] != s2[-from_end]:
        raise _contraction_error("vecdot", x1, x2)
    prod_ = multiply(x1, x2)
    return _reductions.sum(prod_, ax, dtype=aval(prod_).dtype)


def matvec(x1: Any, x2: Any, /, out: None = None, *, dtype: Any = None,
           casting: str = "same_kind") -> Any:
    """``numpy.matvec``: matrix-vector products ``x1 @ x2`` over broadcast batch axes
    (``x1``: (..., m, n), ``x2``: (..., n); the result (..., m))."""
    no_out("matvec", out)
    if dtype is not None or casting != "same_kind":
        return _in_loop_dtype("matvec", matvec, (x1, x2), dtype, casting)
    x1, x2 = as_operand(x1), as_operand(x2)
    if aval(x1).ndim < 2 or aval(x2).ndim < 1:
        raise ValueError(f"matvec: expected a matrix and a vector, got shapes "
                         f"{aval(x1).shape} and {aval(x2).shape}")
    out = matmul(x1, sh.expand_dims(x2, (aval(x2).ndim,)))
    return sh.squeeze(out, (aval(out).ndim - 1,))


def vecmat(x1: Any, x2: Any, /, out: None = None, *, dtype: Any = None,
           casting: str = "same_kind") -> Any:
    """``numpy.vecmat``: vector-matrix products over broadcast batch axes (``x1``: (..., n),
    ``x2``: (..., n, m); the result (..., m)), conjugating the vector."""
    no_out("vecmat", out)
    if dtype is not None or casting != "same_kind":
        return _in_loop_dtype("vecmat", vecmat, (x1, x2), dtype, casting)
    x1, x2 = _conj_complex(as_operand(x1)), as_operand(x2)
    if aval(x1).ndim < 1 or aval(x2).ndim < 2:
        raise ValueError(f"vecmat: expected a vector and a matrix, got shapes "
                         f"{aval(x1).shape} and {aval(x2).shape}")
    out = matmul(sh.expand_dims(x1, (aval(x1).ndim - 1,)), x2)
    return sh.squeeze(out, (aval(out).ndim - 2,))


# -- 1-d convolution and polynomials -----------------------------------------------------------


def convolve(a: Any, v: Any, mode: str = "full") -> Any:
    """``numpy.convolve`` of 1-d arrays, modes ``full``, ``same`` and ``valid``: the windows of
    the zero-padded longer array (one ``gather``) times the reversed shorter one (one
    ``dot_general``)."""
    a, v = _same_dtype(a, v)
    if aval(a).ndim != 1 or aval(v).ndim != 1:
        raise ValueError(f"convolve: object too deep for desired array (expected 1-d inputs, "
                         f"got shapes {aval(a).shape} and {aval(v).shape})")
    n, m = aval(a).size, aval(v).size
    if n == 0:
        raise ValueError("convolve: a cannot be empty")
    if m == 0:
        raise ValueError("convolve: v cannot be empty")
    if m > n:
        a, v, n, m = v, a, m, n
    if mode == "full":
        lo, size = 0, n + m - 1
    elif mode == "same":
        lo, size = (m - 1) // 2, n
    elif mode == "valid":
        lo, size = m - 1, n - m + 1
    else:
        raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")
    padded = ix.pad(a, np.zeros((), aval(a).dtype), [(m - 1, m - 1, 0)])
    windows = ix.gather(padded, [np.arange(lo, lo + size)[:, None] + np.arange(m)], (0,))
    return dot_general(windows, ix.rev(v, (0,)), (((1,), (0,)), ((), ())))


def correlate(a: Any, v: Any, mode: str = "valid") -> Any:
    """``numpy.correlate`` of 1-d arrays: ``c[k] = sum_n a[n + k] * conj(v[n])``, modes
    ``valid`` (the default), ``same`` and ``full``."""
    a, v = as_operand(a), as_operand(v)
    if aval(v).ndim == 1 and aval(a).ndim == 1 and aval(v).size > aval(a).size:
        # NumPy correlates the longer with the shorter: correlate(a, v)[k] is
        # conj(correlate(v, a)[-k]).
        return conjugate(ix.rev(correlate(v, a, mode), (0,)))
    if aval(v).ndim != 1:
        raise ValueError(f"correlate: expected 1-d inputs, got shape {aval(v).shape}")
    return convolve(a, ix.rev(conjugate(v), (0,)), mode)


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:
    """``numpy.vander``: the columns are powers of the 1-d ``x`` (decreasing unless
    ``increasing``), each an ``integer_pow``."""
    x = as_operand(x)
    if aval(x).ndim != 1:
        raise ValueError("vander: x must be a one-dimensional array or sequence.")
    n = aval(x).size if N is None else int(N)
    if n < 0:
        raise ValueError("vander: N must be non-negative")
    dtype = np.promote_types(aval(x).dtype, np.int64)  # as NumPy: small integers widen
    x = convert(x, dtype)
    columns = [power(x, k) if k else np.ones(aval(x).shape, dtype) for k in range(n)]
    if not increasing:
        columns = columns[::-1]
    if not columns:
        return np.zeros((aval(x).size, 0), dtype)
    return ix.concatenate([reshape(c, (-1, 1)) for c in columns], 1)


def polyval(p: Any, x: Any) -> Any:
    """``numpy.polyval``: ``p[0] * x**(n-1) + ... + p[n-1]`` by Horner's scheme (``p`` 1-d,
    its length known while tracing)."""
    p, x = asarray(p), as_operand(x)
    if aval(p).ndim != 1:
        raise ValueError(f"polyval: p must be 1-d, got shape {aval(p).shape}")
    y: Any = zeros_like(x)
    for k in range(aval(p).size):
        y = add(multiply(y, x), sh.squeeze(ix.slice_in_dim(p, k, k + 1, 0), (0,)))
    return y


# -- einsum -------------------------------------------------------------------------------------


def einsum(subscripts: Any, *operands: Any, out: None = None, optimize: Any = None,
           dtype: Any = None, casting: str = "safe", precision: Any = None,
           preferred_element_type: Any = None) -> Any:
    """``numpy.einsum`` with string subscripts, ``...`` and the implicit output, or in NumPy's
    interleaved form ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (integer labels, ``...`` as
    ``Ellipsis``).

    Repeated labels of one operand take a diagonal (a gather); labels used by one operand only
    and not in the output are summed first; then operands are contracted pairwise, left to
    right, each pair one ``dot_general`` (shared labels still needed later are batch axes);
    a final ``transpose`` orders the output.  ``optimize`` is accepted and ignored.  NumPy's
    ``dtype=`` casts the operands under ``casting`` (``"safe"`` by default, as NumPy's:
    float operands with ``dtype=np.int32`` raise ``TypeError``); JAX's
    ``preferred_element_type`` casts them without the check.

    >>> import numpy as np
    >>> einsum("ij,jk->ik", np.eye(2), np.arange(4.0).reshape(2, 2))
    array([[0., 1.],
           [2., 3.]])
    """
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved_einsum((subscripts, *operands))
    if not operands:
        raise ValueError("einsum: at least one operand is required")
    no_out("einsum", out)
    arrays = [as_operand(o) for o in operands]
    if dtype is not None:
        check_cast([aval(x) for x in arrays], np.dtype(dtype), casting)
    else:
        dtype = preferred_element_type  # JAX's name for the same choice, unchecked
    target = np.dtype(dtype) if dtype is not None else result_dtype(*[aval(x) for x in arrays])
    arrays = [convert(x, target) for x in arrays]
    inputs, output = _parse_einsum(subscripts, [aval(x).shape for x in arrays])
    sizes = _label_sizes(subscripts, inputs, [aval(x).shape for x in arrays])
    terms = [_prepare_operand(x, labels, sizes, inputs[:k] + inputs[k + 1:], output)
             for k, (x, labels) in enumerate(zip(arrays, inputs, strict=True))]
    result, labels = terms[0]
    for k, (x, x_labels) in enumerate(terms[1:], start=1):
        later = set(output).union(*[inputs[j] for j in range(k + 1, len(inputs))])
        shared = [c for c in labels if c in x_labels]
        batch = [c for c in shared if c in later]
        contract = [c for c in shared if c not in later]
        dims = ((tuple(labels.index(c) for c in contract),
                 tuple(x_labels.index(c) for c in contract)),
                (tuple(labels.index(c) for c in batch), tuple(x_labels.index(c) for c in batch)))
        result = dot_general(result, x, dims)
        labels = (batch + [c for c in labels if c not in shared]
                  + [c for c in x_labels if c not in shared])
    result, labels = _sum_labels(result, labels, set(output))
    perm = tuple(labels.index(c) for c in output)
    return result if perm == tuple(range(len(perm))) else sh.transpose(result, perm)


_EINSUM_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _interleaved_einsum(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """NumPy's ``einsum(op0, sublist0, op1, sublist1, ..., [sublistout])`` as a subscripts
    string and the operands."""

    def letters(sublist: Any) -> str:
        if isinstance(sublist, str) or not isinstance(sublist, (list, tuple)):
            raise TypeError(f"einsum: a sublist must be a list of integer labels (or Ellipsis), "
                            f"got {sublist!r}")
        out = []
        for label in sublist:
            if label is Ellipsis:
                out.append("...")
            elif isinstance(label, (int, np.integer)) and 0 <= label < len(_EINSUM_LETTERS):
                out.append(_EINSUM_LETTERS[label])
            else:
                raise TypeError(f"einsum: sublist labels must be integers in [0, 52) or "
                                f"Ellipsis, got {label!r}")
        return "".join(out)

    pairs = len(args) // 2
    operands, terms = args[0:2 * pairs:2], args[1:2 * pairs:2]
    spec = ",".join(letters(t) for t in terms)
    if len(args) % 2:  # the last item is the output sublist
        spec += "->" + letters(args[-1])
    return spec, operands


def _parse_einsum(subscripts: str, shapes: list[tuple[int, ...]]
                  ) -> tuple[list[list[str]], list[str]]:
    """Each operand's labels and the output's; ``...`` becomes labels of its own (characters
    that cannot be letters), right-aligned across operands as NumPy broadcasts them."""
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts '{subscripts}' name {len(terms)} operands, but "
                         f"{len(shapes)} were given")
    n_ellipsis = 0
    for term, shp in zip(terms, shapes, strict=True):
        if "..." in term:
            n_ellipsis = max(n_ellipsis, len(shp) - len(term.replace("...", "")))
    ellipsis = [chr(0x2460 + i) for i in range(n_ellipsis)]  # circled digits: never letters
    inputs = []
    for k, (term, shp) in enumerate(zip(terms, shapes, strict=True)):
        named = term.replace("...", "")
        if not named.isalpha() and named or term.count("...") > 1 or "." in named:
            raise ValueError(f"einsum: invalid subscripts '{term}' (letters and one '...')")
        extra = len(shp) - len(named)
        if ("..." in term and extra < 0) or ("..." not in term and extra != 0):
            raise ValueError(f"einsum: operand {k} has {len(shp)} dimensions, but its "
                             f"subscripts '{term}' name {len(named)}")
        head, _, tail = term.partition("...")
        inputs.append([*head, *(ellipsis[n_ellipsis - extra:] if "..." in term else []),
                       *tail])
    if arrow:
        if not rhs.replace("...", "").isalpha() and rhs.replace("...", ""):
            raise ValueError(f"einsum: invalid output subscripts '{rhs}'")
        head, _, tail = rhs.partition("...")
        output = [*head, *(ellipsis if "..." in rhs else []), *tail]
        used = set().union(*inputs)
        for c in output:
            if c not in used or output.count(c) > 1:
                raise ValueError(f"einsum: output label '{c}' must appear exactly once in the "
                                 "output and in some input")
    else:
        letters = [c for labels in inputs for c in labels if c not in ellipsis]
        output = ellipsis + sorted(c for c in set(letters) if letters.count(c) == 1)
    return inputs, output


def _label_sizes(subscripts: str, inputs: list[list[str]], shapes: list[tuple[int, ...]]
                 ) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for labels, shp in zip(inputs, shapes, strict=True):
        for c, n in zip(labels, shp, strict=True):
            known = sizes.get(c, 1)
            if known == 1:  # a length-1 axis broadcasts (a length-0 one does not)
                sizes[c] = n
            elif n not in (1, known):
                raise ValueError(f"einsum: size of label '{c}' in '{subscripts}' is {n} in one "
                                 f"operand and {known} in another")
    return sizes


def _prepare_operand(x: Any, labels: list[str], sizes: dict[str, int],
                     others: list[list[str]], output: list[str]) -> tuple[Any, list[str]]:
    """One operand with its repeated labels reduced to diagonals, its length-1 axes broadcast
    to the labels' sizes, and the labels no one else uses summed out."""
    labels = list(labels)
    for c in dict.fromkeys(labels):
        while labels.count(c) > 1:
            i = labels.index(c)
            j = labels.index(c, i + 1)
            n = aval(x).shape[i]
            x = ix.gather(x, [np.arange(n), np.arange(n)], (i, j))
            labels = [c] + [d for k, d in enumerate(labels) if k not in (i, j)]
    full = tuple(sizes[c] for c in labels)
    if aval(x).shape != full:
        x = broadcast_to_shape(x, full)
    return _sum_labels(x, labels, set(output).union(*others))


def _sum_labels(x: Any, labels: list[str], keep: set[str]) -> tuple[Any, list[str]]:
    axes = tuple(k for k, c in enumerate(labels) if c not in keep)
    if not axes:
        return x, labels
    return sh.reduce_sum(x, axes), [c for c in labels if c in keep]
