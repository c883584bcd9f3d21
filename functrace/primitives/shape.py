"""Shape primitives: broadcast_in_dim, reshape, transpose, squeeze, expand_dims.

All are linear, so their jvp applies the primitive to the tangent and their vjp is the
"opposite" reshaping of the cotangent.  ``broadcast_in_dim`` is where NumPy broadcasting
shows up in the IR, and so its vjp is where cotangents are summed (the one other place: a
scalar operand of an elementwise primitive, summed by the backward pass with ``reduce_sum``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters import jvp as _jvp_interpreter
from functrace.interpreters import vjp as _vjp_interpreter
from functrace.interpreters.jvp import deflinear_jvp
from functrace.interpreters.vjp import defvjp
from functrace.interpreters.vmap import batch_rules


def shape_of(x: Any) -> tuple[int, ...]:
    return get_aval(x).shape


# -- batching helpers shared by every family ----------------------------------------------------


def moveaxis(x: Any, src: int, dst: int) -> Any:
    """``x`` with axis ``src`` moved to position ``dst`` (a transpose equation if needed)."""
    if src == dst:
        return x
    perm = [i for i in range(len(shape_of(x))) if i != src]
    perm.insert(dst, src)
    return transpose(x, tuple(perm))


def bdim_to_front(x: Any, bdim: int | None, size: int) -> Any:
    """``x`` with its batch dimension first, broadcasting an unbatched ``x`` to ``size``."""
    if bdim is None:
        return broadcast_batch(x, size, 0)
    return moveaxis(x, bdim, 0)


def broadcast_batch(x: Any, size: int, bdim: int) -> Any:
    """An unbatched ``x`` given a batch axis of length ``size`` at position ``bdim``."""
    shape = shape_of(x)
    dims = tuple(i for i in range(len(shape) + 1) if i != bdim)
    return broadcast_in_dim(x, shape[:bdim] + (size,) + shape[bdim:], dims)


def _front_batch(prim: Primitive, adjust: Any) -> None:
    """Batch a one-operand primitive by moving the batch axis first and adjusting its params."""

    def rule(size: int, args: list[Any], bdims: list[int | None], **params: Any) -> Any:
        x = moveaxis(args[0], bdims[0], 0)  # type: ignore[arg-type]
        return prim.bind(x, *args[1:], **adjust(size, **params)), [0]

    batch_rules[prim] = rule


# -- broadcast_in_dim ---------------------------------------------------------------------------

broadcast_in_dim_p = Primitive("broadcast_in_dim")


def broadcast_in_dim(x: Any, shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...]) -> Any:
    return broadcast_in_dim_p.bind1(x, shape=shape, broadcast_dimensions=broadcast_dimensions)


def _broadcast_in_dim_impl(x: Any, *, shape: tuple[int, ...],
                           broadcast_dimensions: tuple[int, ...]) -> Any:
    x = np.asarray(x)
    if x.flags.c_contiguous and x.size:
        # The read-only stride-0 view np.broadcast_to makes, built directly (a fifth of the
        # cost of its checks): kept axes step as in x, new and stretched axes step 0.
        strides = [0] * len(shape)
        for src, dst in enumerate(broadcast_dimensions):
            if x.shape[src] == shape[dst]:
                strides[dst] = x.strides[src]
        out = np.ndarray(shape, x.dtype, x, 0, tuple(strides))
        out.flags.writeable = False
        return out
    expanded = [1] * len(shape)
    for src, dst in enumerate(broadcast_dimensions):
        expanded[dst] = x.shape[src]
    return np.broadcast_to(x.reshape(expanded), shape)


def _broadcast_in_dim_shape(x: ShapedArray, *, shape: tuple[int, ...],
                            broadcast_dimensions: tuple[int, ...]) -> list[ShapedArray]:
    return [_broadcast_in_dim_aval(x, tuple(shape), tuple(broadcast_dimensions))]


@functools.lru_cache(maxsize=4096)
def _broadcast_in_dim_aval(x: ShapedArray, shape: tuple[int, ...],
                           broadcast_dimensions: tuple[int, ...]) -> ShapedArray:
    # Cached: broadcasting (a bias, a keepdims reduction) repeats with the same types.
    ok = len(broadcast_dimensions) == x.ndim and all(
        0 <= d < len(shape) and x.shape[i] in (1, shape[d])
        for i, d in enumerate(broadcast_dimensions)
    ) and list(broadcast_dimensions) == sorted(set(broadcast_dimensions))
    if not ok:
        raise ValueError(
            f"broadcast_in_dim: cannot broadcast an array of shape {x.shape} to {shape} with "
            f"broadcast_dimensions={broadcast_dimensions}."
        )
    return ShapedArray(shape, x.dtype, x.weak_type)


def _broadcast_in_dim_vjp(ct: Any, ans: Any, x: Any, *, shape: tuple[int, ...],
                          broadcast_dimensions: tuple[int, ...]) -> Any:
    x_shape = shape_of(x)
    axes, summed_shape = _summed_axes(x_shape, tuple(shape), tuple(broadcast_dimensions))
    summed = reduce_sum(ct, axes) if axes else ct
    return reshape(summed, x_shape) if summed_shape != x_shape else summed


@functools.lru_cache(maxsize=4096)
def _summed_axes(x_shape: tuple[int, ...], shape: tuple[int, ...],
                 broadcast_dimensions: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes of a broadcast's result that its cotangent is summed over (new axes and
    stretched length-1 axes), and the shape of that sum."""
    kept = set(broadcast_dimensions)
    axes = [d for d in range(len(shape)) if d not in kept]
    axes += [d for i, d in enumerate(broadcast_dimensions) if x_shape[i] == 1 and shape[d] != 1]
    summed = tuple(sorted(axes))
    return summed, tuple(n for d, n in enumerate(shape) if d not in summed)


broadcast_in_dim_p.def_impl1(_broadcast_in_dim_impl)
broadcast_in_dim_p.shape_rule = _broadcast_in_dim_shape
deflinear_jvp(broadcast_in_dim_p)
defvjp(broadcast_in_dim_p, _broadcast_in_dim_vjp, residuals=(False, (False,)))
_front_batch(broadcast_in_dim_p, lambda size, shape, broadcast_dimensions: dict(
    shape=(size, *shape), broadcast_dimensions=(0, *(d + 1 for d in broadcast_dimensions))))

# -- reshape ------------------------------------------------------------------------------------

reshape_p = Primitive("reshape")


def reshape(x: Any, new_sizes: tuple[int, ...]) -> Any:
    new_sizes = tuple(int(n) for n in new_sizes)
    if new_sizes == shape_of(x):
        return x  # already that shape: no equation
    return reshape_p.bind1(x, new_sizes=new_sizes)


def _reshape_shape(x: ShapedArray, *, new_sizes: tuple[int, ...]) -> list[ShapedArray]:
    if math.prod(new_sizes) != x.size or any(d < 0 for d in new_sizes):
        raise ValueError(f"reshape: cannot reshape an array of shape {x.shape} into {new_sizes}.")
    return [ShapedArray(new_sizes, x.dtype, x.weak_type)]


reshape_p.def_impl1(lambda x, *, new_sizes: np.asarray(x).reshape(new_sizes))
reshape_p.shape_rule = _reshape_shape
deflinear_jvp(reshape_p)
defvjp(reshape_p, lambda ct, ans, x, *, new_sizes: reshape(ct, shape_of(x)),
       residuals=(False, (False,)))
_front_batch(reshape_p, lambda size, new_sizes: dict(new_sizes=(size, *new_sizes)))

# -- transpose ----------------------------------------------------------------------------------

transpose_p = Primitive("transpose")


def transpose(x: Any, permutation: Sequence[int]) -> Any:
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x  # the identity permutation: no equation
    return transpose_p.bind1(x, permutation=permutation)


def _transpose_shape(x: ShapedArray, *, permutation: tuple[int, ...]) -> list[ShapedArray]:
    if sorted(permutation) != list(range(x.ndim)):
        raise ValueError(f"transpose: {permutation} is not a permutation of the axes of {x.shape}.")
    return [ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)]


def inverse_permutation(permutation: Sequence[int]) -> tuple[int, ...]:
    """The permutation that undoes ``permutation`` (as a transpose)."""
    return tuple(sorted(range(len(permutation)), key=permutation.__getitem__))


transpose_p.def_impl1(lambda x, *, permutation: np.asarray(x).transpose(permutation))
transpose_p.shape_rule = _transpose_shape
deflinear_jvp(transpose_p)
defvjp(transpose_p, lambda ct, ans, x, *, permutation: transpose(ct,
                                                                 inverse_permutation(permutation)),
       residuals=(False, (False,)))
_front_batch(transpose_p, lambda size, permutation: dict(
    permutation=(0, *(p + 1 for p in permutation))))

# -- squeeze and expand_dims --------------------------------------------------------------------

squeeze_p = Primitive("squeeze")


def squeeze(x: Any, dimensions: tuple[int, ...]) -> Any:
    return squeeze_p.bind1(x, dimensions=tuple(dimensions))


def _squeeze_shape(x: ShapedArray, *, dimensions: tuple[int, ...]) -> list[ShapedArray]:
    if any(not 0 <= d < x.ndim or x.shape[d] != 1 for d in dimensions):
        raise ValueError(f"squeeze: cannot remove axes {dimensions} from shape {x.shape}: "
                         "each must exist and have length 1.")
    shape = tuple(n for i, n in enumerate(x.shape) if i not in dimensions)
    return [ShapedArray(shape, x.dtype, x.weak_type)]


squeeze_p.def_impl1(lambda x, *, dimensions: np.asarray(x).squeeze(dimensions))
squeeze_p.shape_rule = _squeeze_shape
deflinear_jvp(squeeze_p)
defvjp(squeeze_p, lambda ct, ans, x, *, dimensions: reshape(ct, shape_of(x)),
       residuals=(False, (False,)))
_front_batch(squeeze_p, lambda size, dimensions: dict(dimensions=tuple(d + 1 for d in dimensions)))

expand_dims_p = Primitive("expand_dims")


def expand_dims(x: Any, dimensions: tuple[int, ...]) -> Any:
    return expand_dims_p.bind1(x, dimensions=tuple(dimensions))


def _expand_dims_shape(x: ShapedArray, *, dimensions: tuple[int, ...]) -> list[ShapedArray]:
    return [_expand_dims_aval(x, tuple(dimensions))]


@functools.lru_cache(maxsize=4096)
def _expand_dims_aval(x: ShapedArray, dimensions: tuple[int, ...]) -> ShapedArray:
    return ShapedArray(_expanded_shape(x.shape, dimensions), x.dtype, x.weak_type)


@functools.lru_cache(maxsize=4096)
def _expanded_shape(shape: tuple[int, ...], dimensions: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with length-1 axes inserted at ``dimensions`` (axes of the result)."""
    ndim = len(shape) + len(dimensions)
    if any(not 0 <= d < ndim for d in dimensions) or len(set(dimensions)) != len(dimensions):
        raise ValueError(f"expand_dims: invalid axes {dimensions} for an array of shape {shape}.")
    it = iter(shape)
    return tuple(1 if i in dimensions else next(it) for i in range(ndim))


expand_dims_p.def_impl1(lambda x, *, dimensions: np.asarray(x).reshape(
    _expanded_shape(np.shape(x), tuple(dimensions))))
expand_dims_p.shape_rule = _expand_dims_shape
deflinear_jvp(expand_dims_p)
defvjp(expand_dims_p, lambda ct, ans, x, *, dimensions: reshape(ct, shape_of(x)),
       residuals=(False, (False,)))
_front_batch(expand_dims_p, lambda size, dimensions: dict(
    dimensions=tuple(d + 1 for d in dimensions)))


# -- reduce_sum: broadcast_in_dim's transpose (each one's vjp is the other), so it lives here ----

reduce_sum_p = Primitive("reduce_sum")


def reduce_sum(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_sum_p.bind1(x, axes=tuple(axes))


def reduced_aval(x: ShapedArray, axes: tuple[int, ...], name: str) -> list[ShapedArray]:
    """The type of a reduction of ``x`` over ``axes`` (the shape rule of reductions)."""
    return [_reduced_aval(x, tuple(axes), name)]


@functools.lru_cache(maxsize=4096)
def _reduced_aval(x: ShapedArray, axes: tuple[int, ...], name: str) -> ShapedArray:
    # Cached: a training loop reduces values of the same types on every step.
    return ShapedArray(reduced_shape(x, axes, name), x.dtype, x.weak_type)


def reduced_shape(x: ShapedArray, axes: tuple[int, ...], name: str) -> tuple[int, ...]:
    if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise ValueError(f"{name}: invalid axes {axes} for an array of shape {x.shape}.")
    return tuple(n for i, n in enumerate(x.shape) if i not in axes)


def _reduce_sum_vjp(ct: Any, ans: Any, x: Any, *, axes: tuple[int, ...]) -> Any:
    shape = shape_of(x)
    return broadcast_in_dim(ct, shape, _kept_axes(len(shape), tuple(axes)))


@functools.lru_cache(maxsize=1024)
def _kept_axes(ndim: int, axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(i for i in range(ndim) if i not in axes)


def reduce_batch(prim: Primitive) -> None:
    """Batch a reduction over the ``axes`` param by renumbering the reduced axes."""

    def rule(size: int, args: list[Any], bdims: list[int | None], **params: Any) -> Any:
        bd = bdims[0]
        assert bd is not None
        axes = params["axes"]
        params = dict(params, axes=tuple(a + (a >= bd) for a in axes))
        return prim.bind(*args, **params), [bd - sum(a < bd for a in axes)]

    batch_rules[prim] = rule


reduce_sum_p.def_impl1(lambda x, *, axes: np.add.reduce(x, axis=axes, dtype=x.dtype))
reduce_sum_p.shape_rule = lambda x, *, axes: reduced_aval(x, axes, "reduce_sum")
deflinear_jvp(reduce_sum_p)
defvjp(reduce_sum_p, _reduce_sum_vjp, residuals=(False, (False,)))
reduce_batch(reduce_sum_p)

# The interpreters' two uses of these primitives (see their comments there): summing the
# cotangent of a scalar operand, broadcasting a tangent that only scalar operands contributed.
_vjp_interpreter.sum_to_scalar = lambda c: reduce_sum(c, tuple(range(len(shape_of(c)))))
_jvp_interpreter.broadcast_scalar = lambda t, shape: broadcast_in_dim(t, shape, ())
