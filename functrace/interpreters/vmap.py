"""Batching: run a jaxpr on values that carry an extra batch dimension.

Every value travels with its batch dimension ``bdim`` (an axis index, or ``None`` when it is
the same for the whole batch).  Equations whose inputs are all unbatched are bound as they
are; the others go through the primitive's batching rule.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from functrace.core import Eqn, Jaxpr, Literal, Primitive, Var, holds, inner_jaxprs
from functrace.interpreters.eval import read

# rule(axis_size, args, bdims, **params) -> (outputs, output bdims)
BatchRule = Callable[..., tuple[list[Any], list[int | None]]]
batch_rules: dict[Primitive, BatchRule] = {}

# Collectives over named axes (``psum``...): rule(axis_name, axis_size, args, bdims, **params),
# called for every equation of the primitive, batched or not (a sum over the batch of an
# unbatched value is not that value); ``axis_name`` is the name of the axis being batched
# (None if it has none).  Filled by ``functrace.primitives.collectives``.
collective_rules: dict[Primitive, Callable[..., tuple[list[Any], list[int | None]]]] = {}

class _Names(threading.local):
    """The names of the batch axes being batched, innermost last (one list per thread): a
    batching rule that batches an inner jaxpr (a loop's body, a jit call) along the same axis
    batches it under the same name."""

    def __init__(self) -> None:
        self.stack: list[Hashable | None] = []


_names = _Names()
_INHERIT: Any = object()


def vmap_jaxpr(
    jaxpr: Jaxpr,
    consts: Sequence[Any],
    args: Sequence[Any],
    bdims: Sequence[int | None],
    axis_size: int,
    values: Mapping[Var, Any] | None = None,
    axis_name: Hashable | None = _INHERIT,
) -> tuple[list[Any], list[int | None]]:
    """Outputs of ``jaxpr`` and their batch dimensions; ``values`` are known unbatched values.

    ``axis_name`` names the batch axis for the collectives (``psum(x, name)``...); by default
    it is that of the enclosing batching (a rule batching an inner jaxpr along the same axis).
    """
    if axis_name is _INHERIT:
        axis_name = _names.stack[-1] if _names.stack else None
    _names.stack.append(axis_name)
    try:
        return _vmap_eqns(jaxpr, consts, args, bdims, axis_size, values, axis_name)
    finally:
        _names.stack.pop()


def _collective_inside(eqn: Eqn) -> bool:
    """Whether a loop body, branch or call among the equation's params holds a collective:
    even on unbatched operands it is batched, for the collective to meet this vmap's axis."""
    return any(holds(j, "collectives", _is_collective) for j in inner_jaxprs(eqn.params))


def _is_collective(eqn: Eqn) -> bool:
    return eqn.primitive in collective_rules


def _vmap_eqns(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any],
               bdims: Sequence[int | None], axis_size: int, values: Mapping[Var, Any] | None,
               axis_name: Hashable | None) -> tuple[list[Any], list[int | None]]:
    env: dict[Var, Any] = dict(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    dims: dict[Var, int | None] = dict(zip(jaxpr.invars, bdims, strict=True))
    known = values or {}
    for eqn in jaxpr.eqns:
        xs = [read(env, v) for v in eqn.invars]
        ds = [None if isinstance(v, Literal) else dims.get(v) for v in eqn.invars]
        out_dims: list[int | None]
        collective = collective_rules.get(eqn.primitive)
        if collective is not None:
            outs, out_dims = collective(axis_name, axis_size, xs, ds, **eqn.params)
        elif all(d is None for d in ds) and not _collective_inside(eqn):
            first = eqn.outvars[0]
            outs = ([known[v] for v in eqn.outvars] if first in known
                    else eqn.primitive.bind(*xs, **eqn.params))
            out_dims = [None] * len(outs)
        else:
            rule = batch_rules.get(eqn.primitive)
            if rule is None:
                raise NotImplementedError(f"no batching rule for primitive '{eqn.primitive.name}'")
            outs, out_dims = rule(axis_size, xs, ds, **eqn.params)
        env.update(zip(eqn.outvars, outs, strict=True))
        dims.update(zip(eqn.outvars, out_dims, strict=True))
    outs = [read(env, v) for v in jaxpr.outvars]
    return outs, [None if isinstance(v, Literal) else dims.get(v) for v in jaxpr.outvars]
