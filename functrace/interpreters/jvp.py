"""Forward mode: push tangents through a jaxpr alongside its primal values.

For each equation the primal outputs ``ans`` are taken from the tape when tracing already
computed them, otherwise bound anew; then the primitive's jvp rule maps the input tangents
``x_dot`` to output tangents.  ``None`` is a symbolic zero tangent: an equation none of whose
inputs carries a tangent costs nothing beyond its primal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from functrace.core import Jaxpr, Primitive, ShapedArray, Var, get_aval
from functrace.interpreters.eval import read

# rule(primals, tangents, ans, **params) -> output tangents (None for a zero tangent)
JvpRule = Callable[..., list[Any]]
jvp_rules: dict[Primitive, JvpRule] = {}


def zeros(aval: ShapedArray) -> np.ndarray:
    """A zero array of the given type (a broadcast view: no memory per element)."""
    return np.broadcast_to(np.zeros((), aval.dtype), aval.shape)


def instantiate(t: Any, primal: Any) -> Any:
    """A tangent or cotangent with symbolic zeros made explicit."""
    return zeros(get_aval(primal).strong()) if t is None else t


def live_eqns(jaxpr: Jaxpr) -> list[bool]:
    """For each equation, whether some output of ``jaxpr`` depends on it (or it is effectful)."""
    cached = jaxpr.cache.get("live_eqns")
    if cached is None:
        live = {v for v in jaxpr.outvars if type(v) is Var}
        cached = []
        for eqn in reversed(jaxpr.eqns):
            used = eqn.primitive.effectful or any(v in live for v in eqn.outvars)
            if used:
                live.update(v for v in eqn.invars if type(v) is Var)
            cached.append(used)
        cached.reverse()
        jaxpr.cache["live_eqns"] = cached
    return cached


def jvp_jaxpr(
    jaxpr: Jaxpr,
    consts: Sequence[Any],
    primals: Sequence[Any],
    tangents: Sequence[Any],
    values: Mapping[Var, Any] | None = None,
) -> tuple[list[Any], list[Any]]:
    """Primal and tangent outputs of ``jaxpr``; ``values`` is the tape of already known primals."""
    env: dict[Var, Any] = dict(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, primals, strict=True))
    known = values or {}
    dot: dict[Var, Any] = {
        v: t for v, t in zip(jaxpr.invars, tangents, strict=True) if t is not None}
    for eqn, live in zip(jaxpr.eqns, live_eqns(jaxpr), strict=True):
        if not live:  # no output depends on it (e.g. a primal value under jacfwd(jacrev(f)))
            continue
        xs = [read(env, v) for v in eqn.invars]
        first = eqn.outvars[0]
        if first in known:
            ans = [known[v] for v in eqn.outvars]
        else:
            ans = eqn.primitive.bind(*xs, **eqn.params)
        env.update(zip(eqn.outvars, ans, strict=True))
        ts = [dot.get(v) if type(v) is Var else None for v in eqn.invars]
        if any(t is not None for t in ts):
            rule = jvp_rules.get(eqn.primitive)
            if rule is None:
                raise NotImplementedError(f"no jvp rule for primitive '{eqn.primitive.name}'")
            for v, t in zip(eqn.outvars, rule(xs, ts, ans, **eqn.params), strict=True):
                if t is not None:
                    dot[v] = t
    outs = [read(env, v) for v in jaxpr.outvars]
    return outs, [dot.get(v) if type(v) is Var else None for v in jaxpr.outvars]


def unset_hook(*args: Any) -> Any:
    """What an interpreter's hook for a primitive (set by ``functrace.primitives``) is before
    the primitives are imported."""
    raise NotImplementedError("functrace.primitives is not imported")


# The tangent of an elementwise result that only scalar operands contributed to (``x + s``
# with ``x`` constant) is broadcast to the result's shape, by the ``broadcast_in_dim``
# primitive, which ``functrace.primitives.shape`` puts here.
broadcast_scalar: Callable[[Any, tuple[int, ...]], Any] = unset_hook


def defjvp(prim: Primitive, *arg_rules: Callable[..., Any] | None) -> None:
    """Per-argument jvp rules for a single-output primitive.

    ``arg_rules[i](x_dot, ans, *primals, **params)`` is the tangent that argument ``i``
    contributes; ``None`` marks an argument that is not differentiable.  Contributions are summed
    (and broadcast to the result's shape if only scalar operands contributed).
    """

    def rule(primals: list[Any], tangents: list[Any], ans: list[Any], **params: Any) -> list[Any]:
        out = None
        for arg_rule, t in zip(arg_rules, tangents, strict=True):
            if t is not None and arg_rule is not None:
                c = arg_rule(t, ans[0], *primals, **params)
                out = c if out is None else out + c
        if out is not None and ans[0].shape and not getattr(out, "shape", ()):
            out = broadcast_scalar(out, ans[0].shape)
        return [out]

    jvp_rules[prim] = rule


def deflinear_jvp(prim: Primitive) -> None:
    """The jvp of a primitive linear in all its arguments is the primitive applied to tangents."""

    def rule(primals: list[Any], tangents: list[Any], ans: list[Any], **params: Any) -> list[Any]:
        ts = [instantiate(t, x) for t, x in zip(tangents, primals, strict=True)]
        return prim.bind(*ts, **params)

    jvp_rules[prim] = rule
