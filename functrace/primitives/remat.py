"""Rematerialisation: the ``remat2`` primitive (``functrace.checkpoint``, JAX's remat, under
JAX's primitive name) and ``name`` (``ad_checkpoint.checkpoint_name``).

``remat2[jaxpr, prevent_cse, differentiated, policy]`` runs its inner jaxpr.  What makes it
more than a call is reverse mode: on the tape of ``grad`` / ``vjp`` a checkpoint equation
keeps only its *inputs* (``vjp_residuals``), not its intermediates, and its vjp rule recomputes
the inner forward pass from them before pulling back through it.  Memory for a chain of
checkpointed blocks is then the blocks' inputs plus one block's intermediates, at the price of
a second forward pass.  A ``policy`` (see :mod:`functrace.checkpoint_policies`) names inner
values to *save* instead: the tape then records the equation with those values as extra
outputs (a ``tape_rewrites`` entry), and the recomputation reads them instead of computing them
(and skips whatever only they needed).

The other rules transform the inner jaxpr and stay checkpoints: ``jvp`` is a checkpoint of the
jvp of the inner jaxpr, ``vmap`` one of its batched version; outside the eager root, the vjp is
a checkpoint with ``differentiated=True`` of "recompute, then pull back" (so under ``jit`` and
at higher orders the recomputation stays a unit: ``jit`` inlines it only with
``prevent_cse=False``, where its optimiser may then merge it with the forward pass).

:func:`checkpoint_call` traces the user's function for the primitive.  Where the caller's values
are known (under ``grad``, ``vjp``, ``jvp`` on concrete inputs) it traces *with* them, as the
rest of functrace does, so Python control flow on values works inside the checkpointed
function, and the values computed while tracing are the forward pass (they are handed to the
impl instead of being computed twice).  Under ``jit``, ``vmap`` and ``make_jaxpr`` it traces on
abstract values, as JAX always does.

``name[name=...]`` is the identity, under every transformation; it marks a value for the
name-based policies.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functrace.core import (
    ClosedJaxpr,
    Eqn,
    EvalTrace,
    Jaxpr,
    Primitive,
    ShapedArray,
    Tracer,
    Var,
    _root,
    current_trace,
    get_aval,
    new_current,
)
from functrace.interpreters import optimize as opt
from functrace.interpreters.eval import eval_jaxpr, read
from functrace.interpreters.jit import _CallTrace
from functrace.interpreters.jvp import instantiate, jvp_jaxpr, jvp_rules
from functrace.interpreters.vjp import (
    active_vars,
    backward_pass,
    defvjp,
    forward_sweeps,
    vjp_residuals,
    vjp_rules,
)
from functrace.interpreters.vmap import batch_rules
from functrace.primitives.control_flow import (
    _pick,
    _place,
    _transform,
    _vmap_transform,
    sweep_by_value,
)
from functrace.tracing import JaxprTrace, tape_rewrites, zero_derivative

__all__ = ["checkpoint_call", "checkpoint_p", "name_p"]

# ---------------------------------------------------------------------------------------------
# Tracing the checkpointed function


def _concrete(x: Any) -> Any:
    """The concrete value behind ``x`` (walking tracers' known values down to the root), or
    None where some level does not know it."""
    while type(x) is Tracer:
        if not x._trace.alive:
            return None
        x = x.val
    return x


class _RematTrace(_CallTrace):
    """Records the checkpointed function, independently of the current trace (its parent is
    the root, so known values are computed concretely).  A tracer of an enclosing trace becomes
    a constant that :func:`checkpoint_call` turns into an explicit input (closure conversion),
    known here when its concrete value is."""

    __slots__ = ("staged",)
    stages_for_later = False  # unless ``staged`` says so: see ``_staged``
    what = "a checkpointed function"

    def __init__(self, staged: bool):
        super().__init__(_root)
        self.staged = staged  # the checkpoint is recorded for later calls (under jit)

    def _staged(self) -> bool:
        return self.staged

    def outer_value(self, x: Tracer) -> Any:
        return _concrete(x)


def checkpoint_call(fun: Callable[..., Sequence[Any]], args: Sequence[Any], *,
                    prevent_cse: bool, policy: Callable[..., bool] | None) -> list[Any]:
    """Bind ``checkpoint`` on ``fun`` (flat lists in and out) applied to ``args``.

    ``fun`` is traced with the concrete values of ``args`` where they are known (Python
    control flow on them then works), on abstract values otherwise.
    """
    outer_trace = current_trace()
    trace = _RematTrace(isinstance(outer_trace, JaxprTrace) and outer_trace._staged())
    in_vals = [_concrete(x) for x in args]
    tracers = [trace.new_arg(get_aval(x), v) for x, v in zip(args, in_vals, strict=True)]
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with new_current(trace):
            closed, out_vals = trace.to_jaxpr(list(fun(*tracers)))
    finally:
        trace.alive = False
        trace._lifted.clear()
        if gc_was_enabled:
            gc.enable()
    # Closure conversion: the enclosing traces' tracers become the first inputs.
    jaxpr, consts = closed.jaxpr, closed.consts
    outer = [i for i, c in enumerate(consts) if type(c) is Tracer]
    if outer:
        inner = [i for i in range(len(consts)) if i not in set(outer)]
        jaxpr = Jaxpr([jaxpr.constvars[i] for i in inner],
                      [*[jaxpr.constvars[i] for i in outer], *jaxpr.invars],
                      jaxpr.outvars, jaxpr.eqns)
        closed = ClosedJaxpr(jaxpr, [consts[i] for i in inner])
    operands = [*[consts[i] for i in outer], *args]
    if all(v is not None for v in out_vals) and not any(
            e.primitive.effectful for e in jaxpr.eqns):
        # The forward pass is done: the impl reads its results instead of computing them.
        keep = [*jaxpr.outvars, *(_saved_vars(closed, policy) if policy is not None else ())]
        values = trace.values
        closed.jaxpr.cache["known"] = (
            [_concrete(x) for x in operands],
            {v: values[v] for v in keep if type(v) is Var and v in values})
    try:
        return checkpoint_p.bind(*operands, jaxpr=closed, prevent_cse=prevent_cse,
                                 differentiated=False, policy=policy)
    finally:
        closed.jaxpr.cache.pop("known", None)


# ---------------------------------------------------------------------------------------------
# checkpoint: a call of ``jaxpr`` whose intermediates reverse mode recomputes

checkpoint_p = Primitive("remat2", multiple_results=True)  # JAX's name; prints nested


def _checkpoint_impl(*args: Any, jaxpr: ClosedJaxpr, prevent_cse: bool, differentiated: bool,
                     policy: Callable[..., bool] | None) -> list[Any]:
    known = jaxpr.jaxpr.cache.pop("known", None)
    if known is not None and len(known[0]) == len(args) and all(
            a is b for a, b in zip(known[0], args, strict=True)):
        # Computed while tracing (see checkpoint_call), on these very arguments.
        values = known[1]
        if all(type(v) is not Var or v in values for v in jaxpr.jaxpr.outvars):
            return [read(values, v) for v in jaxpr.jaxpr.outvars]
    with new_current(_root):
        return eval_jaxpr(jaxpr.jaxpr, jaxpr.consts, *args)


def _checkpoint_shape(*avals: ShapedArray, jaxpr: ClosedJaxpr, prevent_cse: bool,
                      differentiated: bool, policy: Callable[..., bool] | None
                      ) -> list[ShapedArray]:
    expected = jaxpr.in_avals
    if len(avals) != len(expected) or any(
            a.shape != e.shape or a.dtype != e.dtype for a, e in zip(avals, expected, strict=True)):
        raise ValueError(
            f"checkpoint: called with operands of types "
            f"({', '.join(a.str_short() for a in avals)}) but its jaxpr takes "
            f"({', '.join(e.str_short() for e in expected)}).")
    return jaxpr.out_avals


def _cached(closed: ClosedJaxpr, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """A transformation of ``closed``, built once and kept in its jaxpr's cache."""
    cache: dict[tuple[Any, ...], Any] = closed.jaxpr.cache.setdefault("remat", {})
    if key not in cache:
        cache[key] = build()
    return cache[key]


def _checkpoint_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
                    jaxpr: ClosedJaxpr, **params: Any) -> list[Any]:
    nz = tuple(t is not None for t in tangents)

    def build() -> tuple[ClosedJaxpr, tuple[bool, ...]]:
        n, out_nz = len(nz), list[bool]()

        def fun(*xs: Any) -> list[Any]:
            _, dots = jvp_jaxpr(jaxpr.jaxpr, jaxpr.consts, xs[:n], _place(xs[n:], nz))
            out_nz[:] = [d is not None for d in dots]
            return [d for d in dots if d is not None]

        avals = [*jaxpr.in_avals, *[a.strong() for a in _pick(jaxpr.in_avals, nz)]]
        # Only the tangents are returned: the primal outputs the jvp computed are dropped, so
        # the checkpoint (run again by linearize's f_jvp) computes only what they need.
        return opt.dce(_transform(fun, avals)), tuple(out_nz)

    derived, out_nz = _cached(jaxpr, ("jvp", nz), build)
    if not any(out_nz):
        return [None] * len(ans)
    dots = checkpoint_p.bind(*primals, *_pick(tangents, nz), jaxpr=derived, **params)
    return _place(dots, out_nz)


# -- reverse mode


def _saved_vars(closed: ClosedJaxpr, policy: Callable[..., bool]) -> tuple[Var, ...]:
    """The inner variables ``policy`` saves: the outputs of the equations it accepts."""

    def build() -> tuple[Var, ...]:
        saved: list[Var] = []
        for eqn in closed.jaxpr.eqns:
            if policy(eqn.primitive, *[v.aval for v in eqn.invars], **eqn.params):
                saved += [v for v in eqn.outvars if v.aval.dtype.kind in "fc"]
        outs = {v for v in closed.jaxpr.outvars if type(v) is Var}
        return tuple(v for v in saved if v not in outs)

    return _cached(closed, ("saved", policy), build)  # type: ignore[no-any-return]


def _saving(params: dict[str, Any]) -> ClosedJaxpr | None:
    """The checkpoint's jaxpr returning, after its outputs, the values its policy saves (the
    number of outputs proper is in its cache under ``"n_out"``); None if it saves nothing."""
    closed, policy = params["jaxpr"], params["policy"]
    if policy is None or "n_out" in closed.jaxpr.cache:
        return None
    saved = _saved_vars(closed, policy)
    if not saved:
        return None
    j = closed.jaxpr

    def build() -> ClosedJaxpr:
        fwd = ClosedJaxpr(Jaxpr(j.constvars, j.invars, [*j.outvars, *saved], j.eqns),
                          closed.consts)
        fwd.jaxpr.cache["n_out"] = len(j.outvars)
        return fwd

    return _cached(closed, ("fwd", policy), build)  # type: ignore[no-any-return]


def _checkpoint_on_tape(trace: JaxprTrace, args: Sequence[Any], params: dict[str, Any]
                        ) -> list[Any] | None:
    """Record a checkpoint whose policy saves values on the tape of grad / vjp as a checkpoint
    also returning those values, and keep them (the inputs are kept as for any checkpoint)."""
    fwd = _saving(params)
    if fwd is None:
        return None
    j = params["jaxpr"].jaxpr
    known = j.cache.pop("known", None)
    if known is not None:
        fwd.jaxpr.cache["known"] = known
    try:
        outs = trace.process(checkpoint_p, args, {**params, "jaxpr": fwd})
    finally:
        fwd.jaxpr.cache.pop("known", None)
    n = len(j.outvars)
    for t in outs[n:]:
        if t.val is not None:
            trace.values[t.variable] = t.val
    return outs[:n]


def _checkpoint_forward_sweep(eqn: Eqn, in_vals: list[Any]) -> tuple[list[Any], Eqn]:
    """A checkpoint in the forward sweep of a traced vjp (the forward pass that ``jit``
    compiles for ``grad(jit(f))``): as on the eager tape, one whose policy saves values also
    returns them, and the equation the backward pass reads has them as extra outputs, so they
    become residuals instead of being recomputed."""
    fwd = _saving(eqn.params)
    if fwd is not None:
        saved = [Var(v.aval) for v in fwd.jaxpr.outvars[len(eqn.outvars):]]
        eqn = Eqn(checkpoint_p, eqn.invars, [*eqn.outvars, *saved], {**eqn.params, "jaxpr": fwd})
    return _sweep_by_value(eqn, in_vals)  # (custom_vjp calls inside run their fwd)


class _Tape(dict):  # type: ignore[type-arg]
    """Recomputed values; a value that no vjp rule reads is stood for by its aval, as on the
    tape of grad."""

    def __missing__(self, var: Var) -> ShapedArray:
        return var.aval


def _recompute(j: Jaxpr, consts: Sequence[Any], args: Sequence[Any], n_out: int,
               saved: Sequence[Any], wrt: tuple[bool, ...], ct_nz: tuple[bool, ...]
               ) -> dict[Var, Any]:
    """The inner values that the backward pass reads, computed again from the inputs (and the
    saved values, the outputs of ``j`` past the first ``n_out``).  Equations whose results
    only saved values needed, or that the backward pass does not read, are not run again."""
    saved_vars = j.outvars[n_out:]
    env: dict[Var, Any] = _Tape(zip(j.constvars, consts, strict=True))
    env.update(zip(j.invars, args, strict=True))
    env.update(zip(saved_vars, saved, strict=True))  # type: ignore[arg-type]
    for eqn, run in zip(j.eqns, _to_recompute(j, wrt, n_out, ct_nz), strict=True):
        if run:
            outs = eqn.primitive.bind(*[read(env, v) for v in eqn.invars], **eqn.params)
            env.update(zip(eqn.outvars, outs, strict=True))
    return env


def _to_recompute(j: Jaxpr, wrt: tuple[bool, ...], n_out: int, ct_nz: tuple[bool, ...]
                  ) -> list[bool]:
    """For each equation of ``j``, whether the backward pass needs it run again: the rule of
    an equation pulled back (one that depends on the inputs ``wrt`` and that a cotangent can
    reach from the outputs marked ``ct_nz``, not through a zero-derivative primitive) reads
    one of its outputs
    (``vjp_residuals``), or an equation run again does."""
    cache: dict[tuple[Any, ...], Any] = j.cache.setdefault("remat", {})
    key = ("to_recompute", wrt, n_out, ct_nz)
    cached = cache.get(key)
    if cached is None:
        saved = set(j.outvars[n_out:])
        active = active_vars(j, wrt)
        reached = {v for v, nz in zip(j.outvars, ct_nz, strict=True) if nz and type(v) is Var}
        need: set[Var] = set()
        cached = []
        for eqn in reversed(j.eqns):
            if any(v in active and v in reached for v in eqn.outvars):
                # Pulled back: its rule reads values, and passes cotangents on.
                if eqn.primitive not in zero_derivative:
                    reached.update(v for v in eqn.invars if type(v) is Var)
                reads = vjp_residuals.get(eqn.primitive)
                if reads is None or reads[0]:
                    need.update(eqn.outvars)
                last = len(reads[1]) - 1 if reads is not None else 0
                need.update(v for i, v in enumerate(eqn.invars) if type(v) is Var and (
                    reads is None or reads[1][min(i, last)]))
            run = any(v in need and v not in saved for v in eqn.outvars)
            if run:
                need.update(v for v in eqn.invars if type(v) is Var)
            cached.append(run)
        cached.reverse()
        cache[key] = cached
    return cached  # type: ignore[no-any-return]


def _checkpoint_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
                    jaxpr: ClosedJaxpr, **params: Any) -> list[Any]:
    j = jaxpr.jaxpr
    n_out = j.cache.get("n_out", len(j.outvars))
    wrt = tuple(nd and a.dtype.kind in "fc" for nd, a in zip(needed, jaxpr.in_avals, strict=True))
    if not any(wrt):
        return [None] * len(args)
    # The saved values are outputs too: an outer derivative may send them cotangents.
    saved = ans[n_out:]
    ct_nz = tuple(ct is not None for ct in cts)
    if isinstance(current_trace(), EvalTrace):
        # Eager: recompute the forward pass, then pull back through it.
        values = _recompute(j, jaxpr.consts, args, n_out, saved, wrt, ct_nz)
        return backward_pass(j, values, cts, wrt, consume=True)
    # Traced (a higher derivative, jit, a loop body): one checkpoint doing both.

    def build() -> ClosedJaxpr:
        n, n_saved = len(args), len(j.outvars) - n_out

        def fun(*xs: Any) -> list[Any]:
            values = _recompute(j, jaxpr.consts, xs[:n], n_out, xs[n:n + n_saved], wrt, ct_nz)
            cts_in = backward_pass(j, values, _place(xs[n + n_saved:], ct_nz), wrt)
            return [instantiate(ct, x) for ct, x, w in zip(cts_in, xs[:n], wrt, strict=True)
                    if w]

        avals = [*jaxpr.in_avals, *[v.aval for v in j.outvars[n_out:]],
                 *[a.strong() for a in _pick(jaxpr.out_avals, ct_nz)]]
        return opt.dce(_transform(fun, avals))  # (no primal output: see the jvp's)

    derived = _cached(jaxpr, ("vjp", wrt, ct_nz), build)
    outs = checkpoint_p.bind(*args, *saved, *_pick(cts, ct_nz), jaxpr=derived,
                             **{**params, "differentiated": True})
    return _place(outs, wrt)


def _checkpoint_batch(size: int, args: list[Any], bdims: list[int | None], *,
                      jaxpr: ClosedJaxpr, **params: Any) -> tuple[list[Any], list[int | None]]:
    none = (False,) * len(jaxpr.out_avals)
    batched, out_b = _vmap_transform(jaxpr, tuple(bdims), size, none)
    outs = checkpoint_p.bind(*args, jaxpr=batched, **params)
    return outs, [0 if b else None for b in out_b]


def _keep_call(eqn: Any) -> bool:
    """jit inlines checkpoints, except a recomputation that must not be merged with the forward
    pass it repeats (``differentiated`` and ``prevent_cse``)."""
    return bool(eqn.params["differentiated"] and eqn.params["prevent_cse"])


checkpoint_p.impl = _checkpoint_impl
checkpoint_p.shape_rule = _checkpoint_shape
jvp_rules[checkpoint_p] = _checkpoint_jvp
vjp_rules[checkpoint_p] = _checkpoint_vjp
vjp_residuals[checkpoint_p] = (False, (True,))  # the inputs only: the rest is recomputed
tape_rewrites[checkpoint_p] = _checkpoint_on_tape
sweep_by_value(checkpoint_p)  # custom_vjp calls inside, under second order
_sweep_by_value = forward_sweeps[checkpoint_p]
forward_sweeps[checkpoint_p] = _checkpoint_forward_sweep  # and what the policy saves
batch_rules[checkpoint_p] = _checkpoint_batch
opt.inlinable.add(checkpoint_p)
opt.keep_calls[checkpoint_p] = _keep_call


# ---------------------------------------------------------------------------------------------
# name: the identity, naming a value for checkpoint's name-based policies
# (a primitive because the IR must carry the name, as JAX's does)

name_p = Primitive("name")


def _name_impl(x: Any, *, name: str) -> Any:
    return x


def _name_shape(aval: ShapedArray, *, name: str) -> list[ShapedArray]:
    return [aval]


def _name_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *, name: str
              ) -> list[Any]:
    return [tangents[0]]


def _name_batch(size: int, args: list[Any], bdims: list[int | None], *, name: str
                ) -> tuple[list[Any], list[int | None]]:
    return [name_p.bind1(args[0], name=name)], [bdims[0]]


name_p.def_impl1(_name_impl)
name_p.shape_rule = _name_shape
jvp_rules[name_p] = _name_jvp
defvjp(name_p, lambda ct, ans, x, *, name: ct, residuals=(False, (False,)))
batch_rules[name_p] = _name_batch
opt.trivial_rules["name"] = lambda eqn, uniform: eqn.invars[0]


def checkpoint_name(x: Any, name: str) -> Any:
    """``x`` (an array or tracer) named ``name``: an equation ``name[name=...]`` where ``x`` is
    traced, ``x`` itself (as an array) otherwise."""
    if type(x) is Tracer:
        return name_p.bind1(x, name=name)
    return np.asarray(x)

