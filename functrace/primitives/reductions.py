"""Reductions: reduce_max, reduce_min.

(``reduce_sum`` lives in ``shape.py`` beside ``broadcast_in_dim``, its transpose.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functrace.core import Primitive, ShapedArray, get_aval
from functrace.interpreters.jvp import defjvp
from functrace.interpreters.vjp import defvjp
from functrace.primitives.elementwise import convert_element_type, div, eq, mul
from functrace.primitives.shape import (
    broadcast_in_dim,
    reduce_batch,
    reduce_sum,
    reduced_shape,
    shape_of,
)


def _keep_axes(x: Any, y: Any, axes: tuple[int, ...]) -> Any:
    """Broadcast the reduced ``y`` back to ``x``'s shape."""
    shape = shape_of(x)
    return broadcast_in_dim(y, shape, tuple(i for i in range(len(shape)) if i not in axes))


# -- reduce_max / reduce_min: the derivative flows to the extremal entries, split among ties ----


def _extremum_weights(x: Any, ans: Any, axes: tuple[int, ...]) -> Any:
    hit = convert_element_type(eq(x, _keep_axes(x, ans, axes)), get_aval(ans).dtype)
    return div(hit, _keep_axes(x, reduce_sum(hit, axes), axes))


def _extremum(name: str, np_fn: Any) -> Primitive:
    prim = Primitive(name)
    prim.impl = lambda x, *, axes: [np_fn(x, axis=axes)]
    prim.shape_rule = lambda x, *, axes: [
        ShapedArray(reduced_shape(x, axes, name), x.dtype, x.weak_type)]
    defjvp(prim, lambda x_dot, ans, x, *, axes:
           reduce_sum(mul(x_dot, _extremum_weights(x, ans, axes)), axes))
    defvjp(prim, lambda ct, ans, x, *, axes:
           mul(_keep_axes(x, ct, axes), _extremum_weights(x, ans, axes)))
    reduce_batch(prim)
    return prim


reduce_max_p = _extremum("reduce_max", np.max)
reduce_min_p = _extremum("reduce_min", np.min)


def reduce_max(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_max_p.bind1(x, axes=tuple(axes))


def reduce_min(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_min_p.bind1(x, axes=tuple(axes))
