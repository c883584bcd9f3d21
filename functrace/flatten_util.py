"""JAX's ``jax.flatten_util``: a pytree of arrays as one flat vector, and back.

>>> import numpy as np, functrace as ft
>>> flat, unravel = ft.flatten_util.ravel_pytree({"w": np.ones((2, 2)), "b": 0.5})
>>> flat
array([0.5, 1. , 1. , 1. , 1. ])
>>> unravel(flat)["w"].shape
(2, 2)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace.numpy._base import aval
from functrace.tree_util import tree_flatten, tree_unflatten

__all__ = ["ravel_pytree"]


def ravel_pytree(pytree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """The leaves of ``pytree`` raveled and concatenated into one 1-D array, and its inverse.

    The leaves are taken in ``tree_flatten``'s order and converted to their common dtype
    (NumPy's promotion; float64 for a tree with no leaves).  ``unravel(vector)`` splits such a
    vector into pieces of the leaves' shapes, converts each back to its leaf's dtype and
    rebuilds the tree.  Both work on traced values, so a function of the flat vector can be
    differentiated (``grad(lambda v: loss(unravel(v)))``).

    Args:
      pytree: a pytree whose leaves are arrays or scalars.

    Returns:
      ``(flat, unravel)``.

    Raises:
      ValueError: ``unravel`` given a vector of another shape than ``flat``'s.
      TypeError: ``unravel`` of a tree with leaves of several dtypes given a vector of
        another dtype than ``flat``'s (with one dtype, the vector's dtype is kept, as JAX's).

    >>> import numpy as np
    >>> flat, unravel = ravel_pytree((1.0, [np.arange(3.0), {"x": 2.0}]))
    >>> flat
    array([1., 0., 1., 2., 2.])
    >>> unravel(flat * 10)
    (array(10.), [array([ 0., 10., 20.]), {'x': array(20.)}])
    """
    raw_leaves, treedef = tree_flatten(pytree)
    # (Python scalars are weakly typed here, as in NumPy's promotion: 2.0 with float32 arrays
    # raveled is float32)
    dtype = np.dtype(fnp.result_type(*raw_leaves)) if raw_leaves else np.dtype(np.float64)
    leaves = [fnp.asarray(x, dtype=dtype) if _weak_of_kind(x, dtype) else fnp.asarray(x)
              for x in raw_leaves]
    avals = [aval(x) for x in leaves]
    # One dtype throughout: unravel keeps its vector's dtype (a float32 step for a float64
    # tree stays float32), as JAX's does
    one_dtype = all(a.dtype == dtype for a in avals)
    sizes = [math.prod(a.shape) for a in avals]
    flat = (fnp.concatenate([fnp.ravel(x).astype(dtype) for x in leaves]) if leaves
            else fnp.zeros((0,), dtype))

    def unravel(vector: Any) -> Any:
        vector = fnp.asarray(vector)
        v_aval = aval(vector)
        if v_aval.shape != (sum(sizes),):
            raise ValueError(f"unravel_pytree: expected a vector of shape ({sum(sizes)},), the "
                             f"raveled tree's, got shape {v_aval.shape}.")
        if not one_dtype and v_aval.dtype != dtype:
            raise TypeError(f"unravel_pytree: expected a vector of dtype {dtype}, the raveled "
                            f"tree's, got {v_aval.dtype}; convert it with .astype({dtype}).")
        pieces = fnp.split(vector, np.cumsum(sizes)[:-1].tolist()) if leaves else []
        return tree_unflatten(treedef, [
            fnp.reshape(piece, a.shape) if one_dtype else
            _cast(fnp.reshape(piece, a.shape), a.dtype)
            for piece, a in zip(pieces, avals, strict=True)])

    return flat, unravel


def _weak_of_kind(x: Any, dtype: np.dtype[Any]) -> bool:
    """A Python scalar of ``dtype``'s kind (2.0 in a float32 tree): it takes that dtype, as a
    weakly typed value does, and comes back in it."""
    kinds = {bool: "b", int: "i", float: "f", complex: "c"}
    return type(x) in kinds and kinds[type(x)] == dtype.kind


def _cast(x: Any, dtype: np.dtype[Any]) -> Any:
    """``x`` in a leaf's dtype; a complex vector's real leaves take the real parts."""
    if aval(x).dtype.kind == "c" and dtype.kind != "c":
        x = fnp.real(x)
    return x.astype(dtype)
