"""Batching: run a jaxpr on values that carry an extra batch dimension.

Every value travels with its batch dimension ``bdim`` (an axis index, or ``None`` when it is
the same for the whole batch).  Equations whose inputs are all unbatched are bound as they
are; the others go through the primitive's batching rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from functrace.core import Jaxpr, Literal, Primitive, Var
from functrace.interpreters.eval import read

# rule(axis_size, args, bdims, **params) -> (outputs, output bdims)
BatchRule = Callable[..., tuple[list[Any], list[int | None]]]
batch_rules: dict[Primitive, BatchRule] = {}


def vmap_jaxpr(
    jaxpr: Jaxpr,
    consts: Sequence[Any],
    args: Sequence[Any],
    bdims: Sequence[int | None],
    axis_size: int,
    values: Mapping[Var, Any] | None = None,
) -> tuple[list[Any], list[int | None]]:
    """Outputs of ``jaxpr`` and their batch dimensions; ``values`` are known unbatched values."""
    env: dict[Var, Any] = dict(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    dims: dict[Var, int | None] = dict(zip(jaxpr.invars, bdims, strict=True))
    known = values or {}
    for eqn in jaxpr.eqns:
        xs = [read(env, v) for v in eqn.invars]
        ds = [None if isinstance(v, Literal) else dims.get(v) for v in eqn.invars]
        if all(d is None for d in ds):
            first = eqn.outvars[0]
            outs = ([known[v] for v in eqn.outvars] if first in known
                    else eqn.primitive.bind(*xs, **eqn.params))
            out_dims: list[int | None] = [None] * len(outs)
        else:
            rule = batch_rules.get(eqn.primitive)
            if rule is None:
                raise NotImplementedError(f"no batching rule for primitive '{eqn.primitive.name}'")
            outs, out_dims = rule(axis_size, xs, ds, **eqn.params)
        env.update(zip(eqn.outvars, outs, strict=True))
        dims.update(zip(eqn.outvars, out_dims, strict=True))
    outs = [read(env, v) for v in jaxpr.outvars]
    return outs, [None if isinstance(v, Literal) else dims.get(v) for v in jaxpr.outvars]
