"""The eval interpreter: run a jaxpr by binding each equation's primitive."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from functrace.core import Atom, ClosedJaxpr, Jaxpr, Literal, Var, last_uses


def read(env: Mapping[Var, Any], v: Atom) -> Any:
    """The value of an atom: a literal's own value, or the variable's value in ``env``."""
    return v.val if isinstance(v, Literal) else env[v]


def eval_jaxpr(jaxpr: Jaxpr, consts: Sequence[Any], *args: Any,
               known: Mapping[Var, Any] | None = None) -> list[Any]:
    """Evaluate ``jaxpr`` on ``args`` in the current trace; returns the list of outputs.

    ``known`` gives values already computed for some variables (work on constants done while
    tracing); their equations are skipped.
    """
    env: dict[Var, Any] = dict(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    for eqn, dead in zip(jaxpr.eqns, last_uses(jaxpr), strict=True):
        if known and eqn.outvars[0] in known:
            outs = [known[v] for v in eqn.outvars]
        else:
            outs = eqn.primitive.bind(*[read(env, v) for v in eqn.invars], **eqn.params)
        env.update(zip(eqn.outvars, outs, strict=True))
        for v in dead:
            del env[v]
    return [read(env, v) for v in jaxpr.outvars]


def eval_closed(closed: ClosedJaxpr, *args: Any) -> list[Any]:
    return eval_jaxpr(closed.jaxpr, closed.consts, *args)
