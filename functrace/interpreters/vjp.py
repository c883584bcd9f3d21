"""Reverse mode: pull cotangents back through a jaxpr, in reverse equation order.

The forward sweep is the trace itself (``tracing.trace_known`` keeps every value: the tape) or,
for a jaxpr without one, :func:`forward_sweep`.  The backward sweep visits equations last to
first; each primitive's vjp rule maps output cotangents ``ct`` to input cotangents, which are
summed over a variable's uses (fan-out).  ``None`` is a symbolic zero cotangent; equations
that do not depend on the differentiated inputs, or receive no cotangent, are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from functrace.core import Eqn, Jaxpr, Primitive, Var
from functrace.interpreters.eval import read
from functrace.interpreters.jvp import unset_hook

# rule(cts, ans, args, needed, **params) -> input cotangents (None where zero or not needed)
VjpRule = Callable[..., list[Any]]
vjp_rules: dict[Primitive, VjpRule] = {}
# The per-argument rules of primitives declared with ``defvjp``, beside the rule built from them
# for ``vjp_rules``: while that rule is still the one in ``vjp_rules``, the backward pass calls
# the per-argument rules directly.
vjp_arg_rules: dict[Primitive, tuple[VjpRule, tuple[Callable[..., Any] | None, ...]]] = {}

# What a primitive's vjp rule reads as values: ``(ans, (arg_0, arg_1, ...))``, True where the
# rule needs the value; an argument past the end of the tuple is read as its last entry says.
# A primitive not listed here reads everything.  The tape of ``grad``/``vjp`` keeps only the
# values that some rule reads (the residuals, as in JAX); a rule is handed the ``ShapedArray``
# of an operand whose value was not kept, which is enough for rules that need only its shape.
Residuals = tuple[bool, tuple[bool, ...]]
vjp_residuals: dict[Primitive, Residuals] = {}


# A scalar operand of an elementwise primitive with an array result (``mul a 2.0:f32[]``) gets
# the sum of its cotangent; the rules themselves return the cotangent at the result's shape.
# The sum is the ``reduce_sum`` primitive, which ``functrace.primitives.shape`` puts here.
sum_to_scalar: Callable[[Any], Any] = unset_hook


# How a forward sweep followed by a backward pass *in one trace* (the vjp of a ``jit`` call or of
# a ``cond`` branch, built by tracing) runs some primitives: ``rule(eqn, in_vals)`` returns the
# values of the outputs of the equation the backward pass reads in ``eqn``'s place, and that
# equation (it may have more outputs: residuals).  ``custom_vjp_call`` registers one: as on the
# eager tape, the forward sweep runs the user's ``fwd`` (so an outer transformation of the
# forward pass differentiates ``fwd``'s operations, as JAX does) and the equation handed to the
# backward pass carries ``fwd``'s residuals for ``bwd``; ``jit`` registers one that calls the
# forward pass of the call with its residuals, which applies the same to the calls inside.
ForwardSweep = Callable[[Eqn, list[Any]], tuple[list[Any], Eqn]]
forward_sweeps: dict[Primitive, ForwardSweep] = {}
# The primitives whose forward sweep differs from their evaluation (``custom_vjp_call``): a
# jaxpr without any, nested jaxprs included, sweeps forward as it evaluates.
sweep_sources: set[Primitive] = set()


def forward_sweep(jaxpr: Jaxpr, consts: Sequence[Any], *args: Any
                  ) -> tuple[Jaxpr, dict[Var, Any]]:
    """Evaluate ``jaxpr`` keeping every variable's value (the tape of a backward pass that
    follows in the same trace), applying :data:`forward_sweeps`; returns the jaxpr for that
    backward pass (``jaxpr`` itself unless a rule replaced an equation) and the values."""
    env: dict[Var, Any] = dict(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    eqns: list[Eqn] | None = None
    for k, eqn in enumerate(jaxpr.eqns):
        in_vals = [read(env, v) for v in eqn.invars]
        sweep = forward_sweeps.get(eqn.primitive)
        if sweep is None:
            env.update(zip(eqn.outvars, eqn.primitive.bind(*in_vals, **eqn.params), strict=True))
            continue
        outs, new = sweep(eqn, in_vals)
        if new is not eqn:
            eqns = list(jaxpr.eqns) if eqns is None else eqns
            eqns[k] = new
        env.update(zip(new.outvars, outs, strict=True))
    if eqns is not None:
        jaxpr = Jaxpr(jaxpr.constvars, jaxpr.invars, jaxpr.outvars, eqns)
    return jaxpr, env


def active_vars(jaxpr: Jaxpr, wrt: Sequence[bool]) -> set[Var]:
    """The variables that depend on the inputs marked in ``wrt``."""
    active = {v for v, w in zip(jaxpr.invars, wrt, strict=True) if w}
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            if v in active:  # literals are never in the set
                active.update(eqn.outvars)
                break
    return active


def backward_pass(
    jaxpr: Jaxpr,
    values: Mapping[Var, Any],
    cts_out: Sequence[Any],
    wrt: Sequence[bool],
    consume: bool = False,
) -> list[Any]:
    """Cotangents of ``jaxpr``'s inputs (None where zero), given its outputs' cotangents.

    ``values`` holds the primal values of the variables (the forward sweep's tape): of all of
    them, or of those that the vjp rules read (see :data:`vjp_residuals`; the others are
    stood for by their avals).  ``wrt`` marks the inputs whose cotangents are wanted.
    ``consume``: ``values`` is a dict used only this once; each equation's outputs are dropped
    from it once the equation is pulled back (nothing earlier reads them), so the tape is freed
    as the sweep goes instead of at its end.
    """
    pop = values.pop if consume and isinstance(values, dict) else None
    active = active_vars(jaxpr, wrt)
    ct_env: dict[Any, Any] = {}  # Var -> accumulated cotangent
    for v, ct in zip(jaxpr.outvars, cts_out, strict=True):
        if ct is not None and v in active:
            prev = ct_env.get(v)
            ct_env[v] = ct if prev is None else prev + ct
    get_arg_rules, get_rule = vjp_arg_rules.get, vjp_rules.get
    for eqn in reversed(jaxpr.eqns):
        outvars, invars, prim = eqn.outvars, eqn.invars, eqn.primitive
        declared = get_arg_rules(prim)
        if declared is not None and get_rule(prim) is declared[0]:
            arg_rules = declared[1]
            # A single-output primitive with per-argument rules (``defvjp``): the common case,
            # without the generic list building.
            out = outvars[0]
            ct = ct_env.pop(out, None)
            if ct is None:
                continue
            ans = values[out]
            args = [values[v] if type(v) is Var else v.val for v in invars]  # type: ignore
            for v, arg_rule in zip(invars, arg_rules, strict=True):
                if arg_rule is not None and v in active:
                    c = arg_rule(ct, ans, *args, **eqn.params)
                    if c is not None and not v.aval.shape and out.aval.shape and np.ndim(c):
                        c = sum_to_scalar(c)  # a scalar operand of an array result
                    if c is not None:  # fan-out: a variable's cotangents are summed
                        prev = ct_env.get(v)
                        ct_env[v] = c if prev is None else prev + c
            if pop is not None:
                pop(out, None)
            continue
        cts = [ct_env.pop(v, None) for v in outvars]
        if all(ct is None for ct in cts):
            continue
        needed = [v in active for v in invars]
        args = [values[v] if type(v) is Var else v.val for v in invars]  # type: ignore
        rule = get_rule(prim)
        if rule is None:
            raise NotImplementedError(f"no vjp rule for primitive '{prim.name}'")
        for v, c, need in zip(invars, rule(cts, [values[v] for v in outvars], args, needed,
                                           **eqn.params), needed, strict=True):
            if need and c is not None:  # fan-out: a variable's cotangents are summed
                if not v.aval.shape and np.ndim(c):
                    c = sum_to_scalar(c)  # a scalar operand of an array result
                prev = ct_env.get(v)
                ct_env[v] = c if prev is None else prev + c
        if pop is not None:
            for v in outvars:
                pop(v, None)
    return [ct_env.get(v) if w else None for v, w in zip(jaxpr.invars, wrt, strict=True)]


def defvjp(prim: Primitive, *arg_rules: Callable[..., Any] | None,
           residuals: Residuals | None = None) -> None:
    """Per-argument vjp rules for a single-output primitive.

    ``arg_rules[i](ct, ans, *args, **params)`` is the cotangent of argument ``i``; ``None``
    marks an argument that is not differentiable.  Only rules for needed arguments run.
    ``residuals``: which of ``ans`` and the args the rules read as values (see
    :data:`vjp_residuals`); by default, all of them.
    """
    if residuals is not None:
        if not residuals[1]:
            raise ValueError(f"defvjp({prim.name}): residuals=(ans, args) needs at least one "
                             "entry in args.")
        vjp_residuals[prim] = residuals

    def rule(
        cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], **params: Any
    ) -> list[Any]:
        ct = cts[0]
        return [
            arg_rule(ct, ans[0], *args, **params) if need and arg_rule is not None else None
            for arg_rule, need in zip(arg_rules, needed, strict=True)
        ]

    vjp_rules[prim] = rule
    vjp_arg_rules[prim] = (rule, arg_rules)
