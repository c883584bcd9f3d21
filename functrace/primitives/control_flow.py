"""Control flow as higher-order primitives: ``cond``, ``while``, ``scan``, and ``while_vjp``.

Each carries its bodies as closed jaxprs in its params (hashable by identity, printed nested).
Its operands are data: first the traced values the bodies close over ("consts"), then the
branch operands or the loop carry (and, for ``scan``, the scanned-over arrays).

The rules transform a body by *tracing an interpreter over it* -- ``jvp_jaxpr``,
``vmap_jaxpr``, ``backward_pass`` -- into a new jaxpr (cached on the body), and bind a
control-flow primitive on the result.  So every rule is itself made of binds, and
transformations compose: ``grad(grad(f))``, ``jit(grad(f))``, ``vmap(grad(f))``.

Reverse mode through ``while`` (which JAX refuses) is the primitive ``while_vjp``: its impl
runs the loop forward, keeping each step's residuals (or only every k-th carry, with
``checkpoint_every=k``, recomputing the rest), then the body's backward pass in reverse, with
a trip count known only at run time.  ``while_vjp`` has jvp, vjp and batching rules of its
own (derived in :func:`_while_vjp_jvp`), so second derivatives work too.

``lax/__init__.py`` is the public face; docs/control_flow.md explains the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

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
    get_aval,
    holds,
    new_current,
)
from functrace.interpreters.codegen import compile_jaxpr
from functrace.interpreters.eval import eval_jaxpr
from functrace.interpreters.jvp import instantiate, jvp_jaxpr, jvp_rules, zeros
from functrace.interpreters.optimize import optimize
from functrace.interpreters.vjp import (
    backward_pass,
    forward_sweep,
    forward_sweeps,
    sweep_sources,
    vjp_rules,
)
from functrace.interpreters.vmap import batch_rules, vmap_jaxpr
from functrace.primitives.elementwise import (
    add,
    convert_element_type,
    eq,
    select_n,
    stop_gradient,
)
from functrace.primitives.reductions import reduce_max
from functrace.primitives.shape import bdim_to_front, broadcast_in_dim, moveaxis
from functrace.tracing import JaxprTrace, parent_binds, trace_flat

Mask = tuple[bool, ...]
BDims = tuple[int | None, ...]

# ---------------------------------------------------------------------------------------------
# Tracing and transforming bodies


def _fold(closed: ClosedJaxpr, known: Mapping[Var, Any]) -> ClosedJaxpr:
    """Drop the equations whose values tracing already computed (they depend on constants only)
    and make those values constants: a loop body then does not recompute them at every step."""
    jaxpr = closed.jaxpr
    keep = [e for e in jaxpr.eqns if not all(v in known for v in e.outvars)]
    if len(keep) == len(jaxpr.eqns):
        return closed
    used = {v for e in keep for v in e.invars if isinstance(v, Var)}
    used.update(v for v in jaxpr.outvars if isinstance(v, Var))
    pairs = [(v, c) for v, c in zip(jaxpr.constvars, closed.consts, strict=True) if v in used]
    kept = set(map(id, keep))
    pairs += [(v, known[v]) for e in jaxpr.eqns if id(e) not in kept
              for v in e.outvars if v in used]
    new = Jaxpr([v for v, _ in pairs], jaxpr.invars, jaxpr.outvars, keep)
    return ClosedJaxpr(new, [c for _, c in pairs])


class _BranchTrace(JaxprTrace):
    """The trace of a ``cond`` branch: the values of enclosing traces' tracers are not known
    here, so what the branch does with them stays in the branch, run only where it is taken
    (as in JAX), instead of being hoisted before the cond. Under a batched predicate every
    branch runs on every example, and an untaken ``sqrt(x)`` at ``x = 0`` would then give the
    gradient a NaN (its infinite derivative times a zero cotangent)."""

    __slots__ = ()

    def lift(self, x: Any) -> Tracer:
        tracer = super().lift(x)
        if isinstance(x, Tracer) and tracer.val is not None:
            tracer.val = None
            self.values.pop(tracer.variable, None)
        return tracer


def trace_body(fun: Callable[..., Sequence[Any]], avals: Sequence[ShapedArray],
               branch: bool = False) -> tuple[ClosedJaxpr, list[Any]]:
    """Trace a user's branch or loop body on abstract inputs, in the caller's trace.

    Returns the closed jaxpr and the traced values it closes over: those become leading inputs
    of the jaxpr (and operands of the control-flow equation), so the enclosing trace sees them
    and every interpreter passes their current values.  Concrete constants stay in the jaxpr.
    Work on constants only is hoisted out of the body (see :func:`_fold`); for a ``branch``
    of a cond only work on concrete constants is (see :class:`_BranchTrace`).
    """
    closed, _, trace = trace_flat(fun, avals, [None] * len(avals),
                                  trace_type=_BranchTrace if branch else None)
    closed = _fold(closed, trace.values)
    jaxpr = closed.jaxpr
    traced = [isinstance(c, Tracer) for c in closed.consts]
    consts = [(v, c) for v, c, t in zip(jaxpr.constvars, closed.consts, traced, strict=True)
              if not t]
    moved = [(v, c) for v, c, t in zip(jaxpr.constvars, closed.consts, traced, strict=True) if t]
    new = Jaxpr([v for v, _ in consts], [*[v for v, _ in moved], *jaxpr.invars],
                jaxpr.outvars, jaxpr.eqns)
    return ClosedJaxpr(new, [c for _, c in consts]), [c for _, c in moved]


_ROOT = EvalTrace(None)


def _transform(fun: Callable[..., Sequence[Any]], avals: Sequence[ShapedArray]) -> ClosedJaxpr:
    """Trace a transformation of a body (``fun`` runs an interpreter over it).

    The trace hangs off a root of its own, not the caller's trace: the result depends on the
    body only, so it can be cached on the body and reused under any transformation.
    """
    with new_current(_ROOT):
        closed, _, trace = trace_flat(fun, avals, [None] * len(avals))
    return _fold(closed, trace.values)


def _cached(closed: ClosedJaxpr, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    """A transformation of ``closed``, built once and kept in its jaxpr's cache."""
    cache: dict[tuple[Any, ...], Any] = closed.jaxpr.cache.setdefault("control_flow", {})
    if key not in cache:
        cache[key] = build()
    return cache[key]


def _needs_sweep(closed: ClosedJaxpr) -> bool:
    """Whether ``closed`` (or a jaxpr in its equations' params) calls a primitive whose
    forward sweep differs from its evaluation (a ``custom_vjp`` function)."""
    return holds(closed.jaxpr, "needs_sweep", _sweep_source)


def _sweep_source(eqn: Eqn) -> bool:
    return eqn.primitive in sweep_sources


def swept(closed: ClosedJaxpr) -> ClosedJaxpr:
    """``closed`` computed by its forward sweep: the same function, whose ``custom_vjp`` calls
    are computed by their ``fwd`` (``forward_sweeps``).  The value a loop or a branch gives
    on the tape of ``grad`` is computed so one level up, where an outer transformation then
    differentiates ``fwd``, as JAX's does; ``closed`` itself where nothing differs."""
    if not _needs_sweep(closed):
        return closed

    def build() -> ClosedJaxpr:
        def outputs(*xs: Any) -> list[Any]:
            jaxpr, values = forward_sweep(closed.jaxpr, closed.consts, *xs)
            return [values[v] if isinstance(v, Var) else v.val for v in jaxpr.outvars]

        return _transform(outputs, closed.in_avals)

    return _cached(closed, ("swept",), build)  # type: ignore[no-any-return]


def _swept_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: swept(v) if isinstance(v, ClosedJaxpr) else
            tuple(swept(b) if isinstance(b, ClosedJaxpr) else b for b in v)
            if isinstance(v, tuple) else v for k, v in params.items()}


def sweep_by_value(prim: Primitive) -> None:
    """Let ``prim`` (a loop or a branch) compute by its bodies' forward sweeps where it is
    swept forward (in a traced vjp) or its value is computed in an outer trace; the equation
    the backward pass reads keeps the bodies themselves, whose vjp applies the custom rules."""

    def sweep(eqn: Any, in_vals: list[Any]) -> tuple[list[Any], Any]:
        return prim.bind(*in_vals, **_swept_params(eqn.params)), eqn

    def in_parent(parent: Any, in_vals: list[Any], params: dict[str, Any]) -> list[Any]:
        return parent.process(prim, in_vals, _swept_params(params))

    forward_sweeps[prim] = sweep
    parent_binds[prim] = in_parent


def _eval(closed: ClosedJaxpr, *args: Any) -> list[Any]:
    return eval_jaxpr(closed.jaxpr, closed.consts, *args)


# Compiling a body costs about a millisecond and makes each step several times cheaper than
# interpreting it: loops switch to the compiled body after this many steps.
COMPILE_AFTER = 16


class _Stepper:
    """Runs a loop body step after step in an impl (concrete values, at the root): by the
    eval interpreter for the first ``COMPILE_AFTER`` steps, then as straight-line NumPy made
    by jit's code generator (cached on the body, so a jitted loop compiles it once).  Steps
    are counted on the body, over all the loop's runs: a short loop run many times (a
    ``while_loop`` inside a ``scan`` or a training loop) gets compiled too."""

    __slots__ = ("closed", "cache", "fn")

    def __init__(self, closed: ClosedJaxpr):
        self.closed = closed
        self.cache: dict[Any, Any] = closed.jaxpr.cache.setdefault("control_flow", {})
        self.fn: Callable[..., Sequence[Any]] | None = self.cache.get(("compiled",))

    def __call__(self, *args: Any) -> list[Any]:
        if self.fn is None:
            steps = self.cache[("steps",)] = self.cache.get(("steps",), 0) + 1
            if steps <= COMPILE_AFTER:
                return _eval(self.closed, *args)
            self.fn = _cached(self.closed, ("compiled",),
                              lambda: compile_jaxpr(optimize(self.closed), "body").fn)
        return list(self.fn(*args))


def convert_outputs(closed: ClosedJaxpr, dtypes: Sequence[Any]) -> ClosedJaxpr:
    """``closed`` with output ``i`` converted to ``dtypes[i]`` (None: left as it is)."""

    def fun(*args: Any) -> list[Any]:
        outs = _eval(closed, *args)
        return [o if d is None else convert_element_type(o, d)
                for o, d in zip(outs, dtypes, strict=True)]

    return _transform(fun, closed.in_avals)


def _permute(closed: ClosedJaxpr, in_order: Sequence[int], out_order: Sequence[int]
             ) -> ClosedJaxpr:
    """``closed`` with its inputs and outputs reordered (no equation changes)."""
    j = closed.jaxpr
    new = Jaxpr(j.constvars, [j.invars[i] for i in in_order], [j.outvars[i] for i in out_order],
                j.eqns)
    return ClosedJaxpr(new, closed.consts)


def _pad_inputs(closed: ClosedJaxpr, avals: Sequence[ShapedArray]) -> ClosedJaxpr:
    """``closed`` taking extra, unused trailing inputs of the given types."""
    j = closed.jaxpr
    new = Jaxpr(j.constvars, [*j.invars, *[Var(a) for a in avals]], j.outvars, j.eqns)
    return ClosedJaxpr(new, closed.consts)


def _grouped(sizes: Sequence[int], dot_sizes: Sequence[int]) -> list[int]:
    """Positions of ``[*primals, *tangents]`` regrouped group by group: each group of primals
    followed by its tangents (``p0 t0 p1 t1 ...``)."""
    order: list[int] = []
    p, t = 0, sum(sizes)
    for s, d in zip(sizes, dot_sizes, strict=True):
        order += [*range(p, p + s), *range(t, t + d)]
        p, t = p + s, t + d
    return order


def _is_float(aval: ShapedArray) -> bool:
    return aval.dtype.kind in "fc"


def _batched_aval(aval: ShapedArray, bdim: int | None, size: int) -> ShapedArray:
    if bdim is None:
        return aval
    return ShapedArray((*aval.shape[:bdim], size, *aval.shape[bdim:]), aval.dtype, aval.weak_type)


def _pick(values: Sequence[Any], mask: Sequence[bool]) -> list[Any]:
    return [x for x, m in zip(values, mask, strict=True) if m]


def _place(values: Sequence[Any], mask: Sequence[bool]) -> list[Any]:
    """The inverse of :func:`_pick`: ``values`` at the True positions of ``mask``, else None."""
    it = iter(values)
    return [next(it) if m else None for m in mask]


def _instantiated(ts: Sequence[Any], primals: Sequence[Any], mask: Sequence[bool]) -> list[Any]:
    """The tangents (or cotangents) at the True positions of ``mask``, zeros made explicit."""
    return [instantiate(t, x) for t, x, m in zip(ts, primals, mask, strict=True) if m]


def _split(xs: Sequence[Any], *sizes: int) -> list[list[Any]]:
    out, start = [], 0
    for n in sizes:
        out.append(list(xs[start:start + n]))
        start += n
    out.append(list(xs[start:]))
    return out


def _jvp_transform(closed: ClosedJaxpr, nonzeros: Mask, inst: Mask) -> tuple[ClosedJaxpr, Mask]:
    """The jvp of ``closed``: ``(*primals, *tangents[nonzeros]) -> (*outs, *out_tangents)``.

    Returns the jaxpr and the mask of its nonzero (floating-point) output tangents, which
    includes the outputs forced by ``inst``.
    """

    def build() -> tuple[ClosedJaxpr, Mask]:
        n = len(nonzeros)
        out_nz: list[bool] = []

        def fun(*args: Any) -> list[Any]:
            outs, dots = jvp_jaxpr(closed.jaxpr, closed.consts, args[:n],
                                   _place(args[n:], nonzeros))
            res = []
            for o, t, force in zip(outs, dots, inst, strict=True):
                aval = get_aval(o)
                t = None if not _is_float(aval) else instantiate(t, o) if force else t
                out_nz.append(t is not None)
                res += [t] if t is not None else []
            return [*outs, *res]

        avals = [*closed.in_avals, *[a.strong() for a in _pick(closed.in_avals, nonzeros)]]
        return _transform(fun, avals), tuple(out_nz)

    return _cached(closed, ("jvp", nonzeros, inst), build)  # type: ignore[no-any-return]


def _loop_nonzeros(body: ClosedJaxpr, const_nz: Mask, carry_nz: Mask, xs_nz: Mask = ()) -> Mask:
    """The carry tangents that are nonzero at some step: the fixpoint of the body's jvp."""
    none = (False,) * len(body.out_avals)
    while True:
        _, out_nz = _jvp_transform(body, (*const_nz, *carry_nz, *xs_nz), none)
        new = tuple(a or b for a, b in zip(carry_nz, out_nz, strict=False))
        if new == carry_nz:
            return carry_nz
        carry_nz = new


def _vmap_transform(closed: ClosedJaxpr, bdims: BDims, size: int, force: Mask
                    ) -> tuple[ClosedJaxpr, Mask]:
    """``closed`` batched: input ``i`` has its batch axis at ``bdims[i]`` (None: unbatched);
    outputs that are batched (or forced by ``force``) have it first, the others none.
    Returns the jaxpr and the mask of its batched outputs."""

    def build() -> tuple[ClosedJaxpr, Mask]:
        out_b: list[bool] = []

        def fun(*args: Any) -> list[Any]:
            outs, dims = vmap_jaxpr(closed.jaxpr, closed.consts, args, bdims, size)
            res = []
            for o, d, f in zip(outs, dims, force, strict=True):
                out_b.append(d is not None or f)
                res.append(bdim_to_front(o, d, size) if d is not None or f else o)
            return res

        avals = [_batched_aval(a, d, size) for a, d in zip(closed.in_avals, bdims, strict=True)]
        return _transform(fun, avals), tuple(out_b)

    return _cached(closed, ("vmap", bdims, size, force), build)  # type: ignore[no-any-return]


def _loop_batched(body: ClosedJaxpr, const_bdims: BDims, carry_b: Mask, xs_bdims: BDims,
                  size: int) -> Mask:
    """The carries that are batched at some step: the fixpoint of the body's batching."""
    none = (False,) * len(body.out_avals)
    while True:
        bdims = (*const_bdims, *[0 if b else None for b in carry_b], *xs_bdims)
        _, out_b = _vmap_transform(body, bdims, size, none)
        new = tuple(a or b for a, b in zip(carry_b, out_b, strict=False))
        if new == carry_b:
            return carry_b
        carry_b = new


class _VjpSplit(NamedTuple):
    """A body's backward pass, split from its forward pass (partial evaluation, by tracing).

    ``bwd`` maps ``(*residuals, *cts[ct_nz])`` to the cotangents of the inputs marked ``wrt``.
    The residuals are the body's variables that the backward pass reads: ``residuals`` holds
    their positions among ``[*invars, *outvars of each equation]`` and ``res_vars`` the
    variables themselves, which a forward pass returns as extra outputs.
    """

    bwd: ClosedJaxpr
    residuals: tuple[int, ...]
    res_vars: tuple[Var, ...]


def _vjp_split(closed: ClosedJaxpr, wrt: Mask, ct_nz: Mask) -> _VjpSplit:
    def build() -> _VjpSplit:
        j = closed.jaxpr
        all_vars = [*j.invars, *[v for e in j.eqns for v in e.outvars]]
        n = len(all_vars)

        def fun(*args: Any) -> list[Any]:
            values: dict[Var, Any] = dict(zip(j.constvars, closed.consts, strict=True))
            values.update(zip(all_vars, args[:n], strict=True))
            cts_in = backward_pass(j, values, _place(args[n:], ct_nz), wrt)
            return _instantiated(cts_in, [values[v] for v in j.invars], wrt)

        avals = [v.aval for v in all_vars]
        avals += [a.strong() for a in _pick(closed.out_avals, ct_nz)]
        traced = _transform(fun, avals)
        b = traced.jaxpr
        used = {v for e in b.eqns for v in e.invars if isinstance(v, Var)}
        used.update(v for v in b.outvars if isinstance(v, Var))
        res = tuple(i for i in range(n) if b.invars[i] in used)
        bwd = Jaxpr(b.constvars, [*[b.invars[i] for i in res], *b.invars[n:]], b.outvars, b.eqns)
        return _VjpSplit(ClosedJaxpr(bwd, traced.consts), res, tuple(all_vars[i] for i in res))

    return _cached(closed, ("vjp_split", wrt, ct_nz), build)  # type: ignore[no-any-return]


def _with_outputs(closed: ClosedJaxpr, extra: Sequence[Var]) -> ClosedJaxpr:
    """``closed`` also returning the values of the variables ``extra`` (the residuals)."""
    j = closed.jaxpr
    return ClosedJaxpr(Jaxpr(j.constvars, j.invars, [*j.outvars, *extra], j.eqns), closed.consts)


def _same_types(xs: Sequence[ShapedArray], ys: Sequence[ShapedArray]) -> bool:
    """Equal shapes and dtypes, position by position (weak types aside)."""
    return len(xs) == len(ys) and all(
        x.shape == y.shape and x.dtype == y.dtype for x, y in zip(xs, ys, strict=True))


def _check_inputs(name: str, what: str, expected: Sequence[ShapedArray],
                  got: Sequence[ShapedArray]) -> None:
    if not _same_types(expected, got):
        raise ValueError(
            f"{name}: {what} takes inputs of types "
            f"({', '.join(a.str_short() for a in expected)}), but the operands have types "
            f"({', '.join(a.str_short() for a in got)}).")


# ---------------------------------------------------------------------------------------------
# cond: run one of ``branches`` (closed jaxprs of the same type), chosen by an integer index

cond_p = Primitive("cond", multiple_results=True)


def _cond_impl(index: Any, *ops: Any, branches: tuple[ClosedJaxpr, ...]) -> list[Any]:
    i = min(max(int(index), 0), len(branches) - 1)
    with new_current(_ROOT):
        return [np.asarray(o) for o in _eval(branches[i], *ops)]


def _cond_shape(index: ShapedArray, *ops: ShapedArray,
                branches: tuple[ClosedJaxpr, ...]) -> list[ShapedArray]:
    if index.shape != () or index.dtype.kind not in "iu":
        raise ValueError(f"cond: the index must be an integer scalar, got {index.str_short()}.")
    for k, br in enumerate(branches):
        _check_inputs("cond", f"branch {k}", br.in_avals, ops)
    outs = [br.out_avals for br in branches]
    for k, avals in enumerate(outs[1:], 1):
        if not _same_types(outs[0], avals):
            raise ValueError(f"cond: branch {k} returns types that differ from branch 0's.")
    return [ShapedArray(a.shape, a.dtype, all(o[i].weak_type for o in outs))
            for i, a in enumerate(outs[0])]


def _cond_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
              branches: tuple[ClosedJaxpr, ...]) -> list[Any]:
    index, *ops = primals
    nz = tuple(t is not None and _is_float(get_aval(x))
               for t, x in zip(tangents[1:], ops, strict=True))
    none = (False,) * len(ans)
    out_nz = tuple(map(any, zip(*[_jvp_transform(br, nz, none)[1] for br in branches],
                                strict=True)))
    jvp_branches = tuple(_jvp_transform(br, nz, out_nz)[0] for br in branches)
    outs = cond_p.bind(index, *ops, *_pick(tangents[1:], nz), branches=jvp_branches)
    return _place(outs[len(ans):], out_nz)


def _cond_vjp_branch(branch: ClosedJaxpr, wrt: Mask, ct_nz: Mask) -> ClosedJaxpr:
    """``(*ops, *cts[ct_nz]) -> cotangents of ops[wrt]``: the branch's forward pass (for its
    residuals) then its backward pass."""

    def build() -> ClosedJaxpr:
        j, n = branch.jaxpr, len(branch.in_avals)

        def fun(*args: Any) -> list[Any]:
            swept, values = forward_sweep(j, branch.consts, *args[:n])
            cts_in = backward_pass(swept, values, _place(args[n:], ct_nz), wrt)
            return _instantiated(cts_in, args[:n], wrt)

        avals = [*branch.in_avals, *[a.strong() for a in _pick(branch.out_avals, ct_nz)]]
        return _transform(fun, avals)

    return _cached(branch, ("cond_vjp", wrt, ct_nz), build)  # type: ignore[no-any-return]


def _cond_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
              branches: tuple[ClosedJaxpr, ...]) -> list[Any]:
    index, *ops = args
    wrt = tuple(n and _is_float(get_aval(x)) for n, x in zip(needed[1:], ops, strict=True))
    if not any(wrt):
        return [None] * len(args)
    ct_nz = tuple(ct is not None for ct in cts)
    vjp_branches = tuple(_cond_vjp_branch(br, wrt, ct_nz) for br in branches)
    outs = cond_p.bind(index, *ops, *_pick(cts, ct_nz), branches=vjp_branches)
    return [None, *_place(outs, wrt)]


def _cond_batch(size: int, args: list[Any], bdims: list[int | None], *,
                branches: tuple[ClosedJaxpr, ...]) -> tuple[list[Any], list[int | None]]:
    index, *ops = args
    index_bdim, op_bdims = bdims[0], tuple(bdims[1:])
    if index_bdim is None:  # the same branch for the whole batch: a cond of batched branches
        none = (False,) * len(branches[0].out_avals)
        out_b = tuple(map(any, zip(*[_vmap_transform(br, op_bdims, size, none)[1]
                                     for br in branches], strict=True)))
        batched = tuple(_vmap_transform(br, op_bdims, size, out_b)[0] for br in branches)
        return cond_p.bind(index, *ops, branches=batched), [0 if b else None for b in out_b]
    # A batched index: every branch runs on the whole batch, select_n picks per example.
    index = moveaxis(index, index_bdim, 0)
    per_branch = []
    for k, br in enumerate(branches):
        # As JAX does: a branch sees its float operands through stop_gradient for the examples
        # that do not take it, so that its derivative there (sqrt's at 0, say: inf), though
        # multiplied by a zero cotangent, cannot turn the gradient into NaN.
        taken = eq(index, np.int32(k))
        ops_k, dims_k = [], []
        for x, d in zip(ops, op_bdims, strict=True):
            if get_aval(x).dtype.kind in "fc":
                x = bdim_to_front(x, d, size)
                x, d = select_n(broadcast_in_dim(taken, get_aval(x).shape, (0,)),
                                stop_gradient(x), x), 0
            ops_k.append(x)
            dims_k.append(d)
        outs, dims = vmap_jaxpr(br.jaxpr, br.consts, ops_k, dims_k, size)
        per_branch.append([bdim_to_front(o, d, size) for o, d in zip(outs, dims, strict=True)])
    results = []
    for cases in zip(*per_branch, strict=True):
        shape = get_aval(cases[0]).shape
        results.append(select_n(broadcast_in_dim(index, shape, (0,)), *cases))
    return results, [0] * len(results)


cond_p.impl = _cond_impl
cond_p.shape_rule = _cond_shape
jvp_rules[cond_p] = _cond_jvp
vjp_rules[cond_p] = _cond_vjp
batch_rules[cond_p] = _cond_batch


# ---------------------------------------------------------------------------------------------
# while: ``while cond(carry): carry = body(carry)``.  Operands: cond consts, body consts, carry.

while_p = Primitive("while", multiple_results=True)


class _Loop(NamedTuple):
    """The params of ``while`` and ``while_vjp``."""

    cond_jaxpr: ClosedJaxpr
    body_jaxpr: ClosedJaxpr
    cond_nconsts: int
    body_nconsts: int
    checkpoint_every: int | None

    def split(self, args: Sequence[Any]) -> list[list[Any]]:
        """``[cond consts, body consts, carry (and the rest)]``."""
        return _split(args, self.cond_nconsts, self.body_nconsts)

    def params(self) -> dict[str, Any]:
        return self._asdict()


def _while_impl(*args: Any, **params: Any) -> list[Any]:
    loop = _Loop(**params)
    cond_consts, body_consts, carry = loop.split(args)
    cond, body = _Stepper(loop.cond_jaxpr), _Stepper(loop.body_jaxpr)
    with new_current(_ROOT):
        while cond(*cond_consts, *carry)[0]:
            carry = body(*body_consts, *carry)
    return [np.asarray(c) for c in carry]


def _while_shape(*avals: ShapedArray, **params: Any) -> list[ShapedArray]:
    loop = _Loop(**params)
    cond_consts, body_consts, carry = loop.split(avals)
    _check_inputs("while", "body_jaxpr", loop.body_jaxpr.in_avals, [*body_consts, *carry])
    _check_inputs("while", "cond_jaxpr", loop.cond_jaxpr.in_avals, [*cond_consts, *carry])
    k = loop.checkpoint_every
    if k is not None and (not isinstance(k, int) or k < 1):
        raise ValueError(f"while: checkpoint_every must be a positive int or None, got {k!r}.")
    return loop.body_jaxpr.in_avals[loop.body_nconsts:]


def _jvp_loop(loop: _Loop, const_nz: Mask, carry_nz: Mask) -> _Loop:
    """The loop carrying tangents alongside its carry: body consts ``[*consts, *const_dots]``,
    carry ``[*carry, *carry_dots]`` (``carry_nz`` must be a fixpoint: see _loop_nonzeros)."""
    body = loop.body_jaxpr

    def build() -> _Loop:
        nb, nh = loop.body_nconsts, len(carry_nz)
        jvp, _ = _jvp_transform(body, (*const_nz, *carry_nz), (*carry_nz,))
        in_order = _grouped([nb, nh], [sum(const_nz), sum(carry_nz)])
        out_order = _grouped([nh], [sum(carry_nz)])
        carry_avals = body.in_avals[nb:]
        cond = _pad_inputs(loop.cond_jaxpr, [a.strong() for a in _pick(carry_avals, carry_nz)])
        return loop._replace(cond_jaxpr=cond, body_jaxpr=_permute(jvp, in_order, out_order),
                             body_nconsts=nb + sum(const_nz))

    key = ("jvp_loop", loop.cond_jaxpr, const_nz, carry_nz, loop.checkpoint_every)
    return _cached(body, key, build)  # type: ignore[no-any-return]


def _while_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], **params: Any
               ) -> list[Any]:
    loop = _Loop(**params)
    cond_consts, body_consts, init = loop.split(primals)
    _, const_dots, init_dots = loop.split(tangents)
    const_nz = tuple(t is not None and _is_float(get_aval(x))
                     for t, x in zip(const_dots, body_consts, strict=True))
    init_nz = tuple(t is not None and _is_float(get_aval(x))
                    for t, x in zip(init_dots, init, strict=True))
    carry_nz = _loop_nonzeros(loop.body_jaxpr, const_nz, init_nz)
    if not any(carry_nz):
        return [None] * len(ans)
    jloop = _jvp_loop(loop, const_nz, carry_nz)
    dots = _instantiated(init_dots, init, carry_nz)
    outs = while_p.bind(*cond_consts, *body_consts, *_pick(const_dots, const_nz), *init, *dots,
                        **jloop.params())
    return _place(outs[len(init):], carry_nz)


def _while_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool],
                    **params: Any) -> list[Any]:
    loop = _Loop(**params)
    cond_consts, body_consts, init = loop.split(args)
    cts = [instantiate(ct, x) for ct, x in zip(cts, ans, strict=True)]
    outs = while_vjp_p.bind(*cond_consts, *body_consts, *init, *cts, **params)
    keep = needed[len(cond_consts):]
    fl = [_is_float(get_aval(x)) for x in (*body_consts, *init)]
    return [None] * len(cond_consts) + [
        ct if k and f else None for ct, k, f in zip(outs, keep, fl, strict=True)]


class _BatchedLoop(NamedTuple):
    """A loop batched by :func:`_batched_loop`.  With a batched predicate (``select``), the
    body also takes the cond consts, first, and every carry is batched."""

    cond: ClosedJaxpr
    body: ClosedJaxpr
    select: bool
    carry_b: Mask


def _batched_loop(loop: _Loop, cond_bdims: BDims, body_bdims: BDims, carry_b: Mask,
                  size: int) -> _BatchedLoop:
    cond, body = loop.cond_jaxpr, loop.body_jaxpr

    def build() -> _BatchedLoop:
        b = _loop_batched(body, body_bdims, carry_b, (), size)
        h_bdims = tuple(0 if x else None for x in b)
        vcond, (pred_b,) = _vmap_transform(cond, (*cond_bdims, *h_bdims), size, (False,))
        if not pred_b:  # every example takes the same number of steps
            vbody, _ = _vmap_transform(body, (*body_bdims, *h_bdims), size, b)
            return _BatchedLoop(vcond, vbody, False, b)
        # Run while any example's predicate holds; a finished example keeps its carry.
        nc, nb, nh = len(cond_bdims), len(body_bdims), len(b)
        h0, every = (0,) * nh, (True,) * nh
        vcond, _ = _vmap_transform(cond, (*cond_bdims, *h0), size, (True,))
        vbody, _ = _vmap_transform(body, (*body_bdims, *h0), size, every)

        def any_fun(*args: Any) -> list[Any]:
            return [reduce_max(_eval(vcond, *args)[0], (0,))]

        def select_fun(*args: Any) -> list[Any]:
            cc, bc, carry = _split(args, nc, nb)
            pred = _eval(vcond, *cc, *carry)[0]
            new = _eval(vbody, *bc, *carry)
            return [select_n(broadcast_in_dim(pred, get_aval(x).shape, (0,)), x, y)
                    for x, y in zip(carry, new, strict=True)]

        carry_avals = [_batched_aval(a, 0, size) for a in body.in_avals[nb:]]
        cond_avals = [*vcond.in_avals[:nc], *carry_avals]
        body_avals = [*cond_avals[:nc], *vbody.in_avals[:nb], *carry_avals]
        return _BatchedLoop(_transform(any_fun, cond_avals), _transform(select_fun, body_avals),
                            True, every)

    key = ("batched_loop", cond, cond_bdims, body_bdims, carry_b, size)
    return _cached(body, key, build)  # type: ignore[no-any-return]


def _while_batch(size: int, args: list[Any], bdims: list[int | None], **params: Any
                 ) -> tuple[list[Any], list[int | None]]:
    loop = _Loop(**params)
    cond_consts, body_consts, init = loop.split(args)
    cond_bdims, body_bdims, init_bdims = (tuple(d) for d in loop.split(bdims))
    b = _batched_loop(loop, cond_bdims, body_bdims,
                      tuple(d is not None for d in init_bdims), size)
    init = [bdim_to_front(x, d, size) if batched else x
            for x, d, batched in zip(init, init_bdims, b.carry_b, strict=True)]
    extra = cond_consts if b.select else []
    outs = while_p.bind(*cond_consts, *extra, *body_consts, *init,
                        **loop._replace(cond_jaxpr=b.cond, body_jaxpr=b.body,
                                        body_nconsts=len(extra) + len(body_consts)).params())
    return outs, [0 if x else None for x in b.carry_b]


while_p.impl = _while_impl
while_p.shape_rule = _while_shape
jvp_rules[while_p] = _while_jvp
vjp_rules[while_p] = _while_vjp
batch_rules[while_p] = _while_batch


# ---------------------------------------------------------------------------------------------
# while_vjp: the backward pass of ``while``, a loop of its own with a run-time trip count.
# Operands: cond consts, body consts, initial carry, cotangent of the final carry.  Outputs: the
# cotangents of the body consts and of the initial carry (zeros where not floating point).

while_vjp_p = Primitive("while_vjp", multiple_results=True)


def _while_vjp_impl(*args: Any, **params: Any) -> list[Any]:
    loop = _Loop(**params)
    body = loop.body_jaxpr
    cond_consts, body_consts, rest = loop.split(args)
    nb, nh = len(body_consts), len(rest) // 2
    carry, ct_final = rest[:nh], rest[nh:]
    wrt = tuple(_is_float(a) for a in body.in_avals)
    split = _vjp_split(body, wrt, wrt[nb:])
    # Residuals that are body consts are the same at every step: passed, not stored.
    const_res = [body_consts[i] for i in split.residuals if i < nb]
    fwd = _cached(body, ("fwd_res", wrt), lambda: _with_outputs(
        body, [v for i, v in zip(split.residuals, split.res_vars, strict=True) if i >= nb]))
    acc: list[Any] = [None] * sum(wrt[:nb])
    ct: list[Any] = _pick(ct_final, wrt[nb:])

    cond, step, fwd_step, bwd_step = map(_Stepper, (loop.cond_jaxpr, body, fwd, split.bwd))

    def forward(c: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        outs = fwd_step(*body_consts, *c)
        return outs[:nh], outs[nh:]

    def backward(res: Sequence[Any]) -> None:
        nonlocal ct
        cts = bwd_step(*const_res, *res, *ct)
        for i, c in enumerate(cts[:len(acc)]):
            acc[i] = c if acc[i] is None else acc[i] + c
        ct = list(cts[len(acc):])

    def more(c: Sequence[Any]) -> bool:
        return bool(cond(*cond_consts, *c)[0])

    k = loop.checkpoint_every
    with new_current(_ROOT):
        if k is None:  # keep every step's residuals
            tape = []
            while more(carry):
                carry, res = forward(carry)
                tape.append(res)
            for res in reversed(tape):
                backward(res)
        else:  # keep every k-th carry; recompute one segment's residuals at a time
            checkpoints, n = [], 0
            while more(carry):
                if n % k == 0:
                    checkpoints.append(carry)
                carry = step(*body_consts, *carry)
                n += 1
            for s in reversed(range(len(checkpoints))):
                carry, segment = checkpoints.pop(), []
                for _ in range(min(k, n - s * k)):
                    carry, res = forward(carry)
                    segment.append(res)
                for res in reversed(segment):
                    backward(res)
    cts_b = _place(acc, wrt[:nb])
    cts_h = _place(ct, wrt[nb:])
    return [np.asarray(c) if c is not None else np.zeros(a.shape, a.dtype)
            for c, a in zip([*cts_b, *cts_h], body.in_avals, strict=True)]


def _while_vjp_shape(*avals: ShapedArray, **params: Any) -> list[ShapedArray]:
    loop = _Loop(**params)
    cond_consts, body_consts, rest = loop.split(avals)
    nh = len(rest) // 2
    _while_shape(*cond_consts, *body_consts, *rest[:nh], **params)
    _check_inputs("while_vjp", "the carry cotangents", [a.strong() for a in rest[:nh]],
                  [a.strong() for a in rest[nh:]])
    return [a.strong() for a in loop.body_jaxpr.in_avals]


# Derivatives of the backward pass.  Write F for the loop (body consts and initial carry x ->
# final carry) and G(x, ct) = ct^T F'(x) for what while_vjp computes.  Take the jvp'd loop
# H(x, x_dot) = (F(x), F'(x) x_dot), itself a while loop.  Its vjp with cotangent (a, b) is
#   x:     a^T F'(x) + b^T F''(x)[x_dot, .]
#   x_dot: b^T F'(x)
# so (symmetry of F'') the jvp of G along (x_dot, ct_dot) is the x-part of H's vjp with
# (a, b) = (ct_dot, ct), and the vjp of G with cotangent w is: w.r.t. ct, F'(x) w (H's tangent
# output at x_dot = w); w.r.t. x, the x-part of H's vjp at x_dot = w with (a, b) = (0, ct).


def _vjp_operands(loop: _Loop, args: Sequence[Any]) -> list[list[Any]]:
    """``[cond consts, body consts, initial carry, final-carry cotangent]``."""
    cond_consts, body_consts, rest = loop.split(args)
    nh = len(rest) // 2
    return [cond_consts, body_consts, rest[:nh], rest[nh:]]


def _while_vjp_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], **params: Any
                   ) -> list[Any]:
    loop = _Loop(**params)
    cond_consts, body_consts, init, ct = _vjp_operands(loop, primals)
    _, const_dots, init_dots, ct_dots = _vjp_operands(loop, tangents)
    const_nz = tuple(t is not None and _is_float(get_aval(x))
                     for t, x in zip(const_dots, body_consts, strict=True))
    init_nz = tuple(t is not None and _is_float(get_aval(x))
                    for t, x in zip(init_dots, init, strict=True))
    carry_nz = _loop_nonzeros(loop.body_jaxpr, const_nz, init_nz)
    jloop = _jvp_loop(loop, const_nz, carry_nz)
    dots = _instantiated(init_dots, init, carry_nz)
    a = [instantiate(t, c) for t, c in zip(ct_dots, ct, strict=True)]
    outs = while_vjp_p.bind(*cond_consts, *body_consts, *_pick(const_dots, const_nz), *init,
                            *dots, *a, *_pick(ct, carry_nz), **jloop.params())
    nb, nbd = len(body_consts), sum(const_nz)
    dots_out = [*outs[:nb], *outs[nb + nbd:nb + nbd + len(init)]]
    return [t if _is_float(get_aval(t)) else None for t in dots_out]


def _while_vjp_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool],
                   **params: Any) -> list[Any]:
    loop = _Loop(**params)
    cond_consts, body_consts, init, ct = _vjp_operands(loop, args)
    nc, nb, nh = len(cond_consts), len(body_consts), len(init)
    w_b, w_h = cts[:nb], cts[nb:]
    const_nz = tuple(w is not None and _is_float(get_aval(x))
                     for w, x in zip(w_b, body_consts, strict=True))
    init_nz = tuple(w is not None and _is_float(get_aval(x))
                    for w, x in zip(w_h, init, strict=True))
    carry_nz = _loop_nonzeros(loop.body_jaxpr, const_nz, init_nz)
    out: list[Any] = [None] * len(args)
    if not any(carry_nz):  # the loop's outputs do not depend on the direction w
        return out
    jloop = _jvp_loop(loop, const_nz, carry_nz)
    operands = [*cond_consts, *body_consts, *_pick(w_b, const_nz), *init,
                *_instantiated(w_h, init, carry_nz)]
    if any(needed[nc + nb + nh:]):  # F'(x) w: the tangent output of the jvp'd loop
        outs = while_p.bind(*operands, **jloop.params())
        out[nc + nb + nh:] = _place(outs[nh:], carry_nz)
    if any(needed[nc:nc + nb + nh]):  # ct^T F''(x)[w, .]
        zero_a = [zeros(get_aval(x).strong()) for x in init]
        outs = while_vjp_p.bind(*operands, *zero_a, *_pick(ct, carry_nz), **jloop.params())
        nbd = sum(const_nz)
        out[nc:nc + nb] = outs[:nb]
        out[nc + nb:nc + nb + nh] = outs[nb + nbd:nb + nbd + nh]
    return [o if n and _is_float(get_aval(x)) else None
            for o, n, x in zip(out, needed, args, strict=True)]


def _while_vjp_batch(size: int, args: list[Any], bdims: list[int | None], **params: Any
                     ) -> tuple[list[Any], list[int | None]]:
    # vmap of a vjp is the vjp of the vmapped loop, where every body const is batched: each
    # example's cotangent for a const differs, even when the const is shared.
    loop = _Loop(**params)
    cond_consts, body_consts, init, ct = _vjp_operands(loop, args)
    cond_bdims, body_bdims, init_bdims, ct_bdims = _vjp_operands(loop, bdims)
    nb, nh = len(body_consts), len(init)
    front = [bdim_to_front(x, d, size) for x, d in zip(
        [*body_consts, *init, *ct], [*body_bdims, *init_bdims, *ct_bdims], strict=True)]
    b = _batched_loop(loop, tuple(cond_bdims), (0,) * nb, (True,) * nh, size)
    extra = cond_consts if b.select else []
    outs = while_vjp_p.bind(*cond_consts, *extra, *front, **loop._replace(
        cond_jaxpr=b.cond, body_jaxpr=b.body, body_nconsts=len(extra) + nb).params())
    outs = outs[len(extra):]
    return outs, [0] * len(outs)


while_vjp_p.impl = _while_vjp_impl
while_vjp_p.shape_rule = _while_vjp_shape
jvp_rules[while_vjp_p] = _while_vjp_jvp
vjp_rules[while_vjp_p] = _while_vjp_vjp
batch_rules[while_vjp_p] = _while_vjp_batch


# ---------------------------------------------------------------------------------------------
# scan: ``carry, y = f(carry, x)`` over the leading axis of ``xs``, stacking the ys.
# Operands: consts (num_consts), carry (num_carry), xs.  Outputs: final carry, stacked ys.

scan_p = Primitive("scan", multiple_results=True)


class _Scan(NamedTuple):
    """The params of ``scan``."""

    jaxpr: ClosedJaxpr
    length: int
    reverse: bool
    num_consts: int
    num_carry: int

    def split(self, args: Sequence[Any]) -> list[list[Any]]:
        """``[consts, carry, xs]`` (or, for outputs, ``[[], carry, ys]``)."""
        return _split(args, self.num_consts, self.num_carry)

    def params(self) -> dict[str, Any]:
        return self._asdict()


def _scan_impl(*args: Any, **params: Any) -> list[Any]:
    s = _Scan(**params)
    consts, carry, xs = s.split(args)
    ys = [np.empty((s.length, *a.shape), a.dtype) for a in s.jaxpr.out_avals[s.num_carry:]]
    steps = range(s.length - 1, -1, -1) if s.reverse else range(s.length)
    body = _Stepper(s.jaxpr)
    with new_current(_ROOT):
        for i in steps:
            outs = body(*consts, *carry, *[x[i] for x in xs])
            carry = outs[:s.num_carry]
            for y, o in zip(ys, outs[s.num_carry:], strict=True):
                y[i] = o
    return [*[np.asarray(c) for c in carry], *ys]


def _scan_shape(*avals: ShapedArray, **params: Any) -> list[ShapedArray]:
    s = _Scan(**params)
    consts, carry, xs = s.split(avals)
    if any(x.shape[:1] != (s.length,) for x in xs):
        raise ValueError(f"scan: every scanned-over operand must have leading axis length "
                         f"{s.length}, got {', '.join(x.str_short() for x in xs)}.")
    x_avals = [ShapedArray(x.shape[1:], x.dtype) for x in xs]
    _check_inputs("scan", "jaxpr", s.jaxpr.in_avals, [*consts, *carry, *x_avals])
    ys = [ShapedArray((s.length, *a.shape), a.dtype) for a in s.jaxpr.out_avals[s.num_carry:]]
    return [*s.jaxpr.in_avals[s.num_consts:s.num_consts + s.num_carry], *ys]


def _scan_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], **params: Any
              ) -> list[Any]:
    s = _Scan(**params)
    nz = [t is not None and _is_float(get_aval(x)) for t, x in zip(tangents, primals,
                                                                    strict=True)]
    const_nz, init_nz, xs_nz = (tuple(m) for m in s.split(nz))
    carry_nz = _loop_nonzeros(s.jaxpr, const_nz, init_nz, xs_nz)
    ny = len(ans) - s.num_carry

    def build() -> tuple[ClosedJaxpr, Mask]:
        jvp, out_nz = _jvp_transform(s.jaxpr, (*const_nz, *carry_nz, *xs_nz),
                                     (*carry_nz, *(False,) * ny))
        ys_nz = out_nz[s.num_carry:]
        in_order = _grouped([len(const_nz), len(carry_nz), len(xs_nz)],
                            [sum(const_nz), sum(carry_nz), sum(xs_nz)])
        out_order = _grouped([s.num_carry, ny], [sum(carry_nz), sum(ys_nz)])
        return _permute(jvp, in_order, out_order), ys_nz

    jvp, ys_nz = _cached(s.jaxpr, ("scan_jvp", const_nz, carry_nz, xs_nz), build)
    if not any(carry_nz) and not any(ys_nz):
        return [None] * len(ans)
    consts, init, xs = s.split(primals)
    const_dots, init_dots, xs_dots = s.split(tangents)
    init_dots = [instantiate(t, x) for t, x in zip(init_dots, init, strict=True)]
    outs = scan_p.bind(*consts, *_pick(const_dots, const_nz), *init, *_pick(init_dots, carry_nz),
                       *xs, *_pick(xs_dots, xs_nz), **s._replace(
                           jaxpr=jvp, num_consts=len(consts) + sum(const_nz),
                           num_carry=s.num_carry + sum(carry_nz)).params())
    nh, nhd = s.num_carry, sum(carry_nz)
    return [*_place(outs[nh:nh + nhd], carry_nz), *_place(outs[nh + nhd + ny:], ys_nz)]


class _ScanVjp(NamedTuple):
    """The scans of a scan's vjp.  ``bwd`` is the body's backward pass, run in the opposite
    direction over the stacked per-step residuals.  Each residual is found where it already is
    -- a const (``const_res``: passed whole), a scanned-over input (``("xs", k)``), one of the
    body's own ys (``("ys", k)``) -- or else computed by ``fwd``, the body also returning it
    (``("fwd", k)``; ``fwd`` is None when nothing is missing)."""

    fwd: ClosedJaxpr | None
    bwd: ClosedJaxpr
    const_res: tuple[int, ...]
    sources: tuple[tuple[str, int], ...]


def _scan_vjp_jaxprs(s: _Scan, wrt: Mask, ct_nz: Mask) -> _ScanVjp:
    def build() -> _ScanVjp:
        nc, nh = s.num_consts, s.num_carry
        j = s.jaxpr.jaxpr
        split = _vjp_split(s.jaxpr, wrt, ct_nz)
        ys_at: dict[Var, int] = {}
        for k, v in enumerate(j.outvars[nh:]):
            if isinstance(v, Var):
                ys_at.setdefault(v, k)
        const_res = tuple(i for i in split.residuals if i < nc)
        sources: list[tuple[str, int]] = []
        missing: list[Var] = []
        for i, v in zip(split.residuals, split.res_vars, strict=True):
            if i < nc:
                continue
            if nc + nh <= i < len(j.invars):
                sources.append(("xs", i - nc - nh))
            elif v in ys_at:
                sources.append(("ys", ys_at[v]))
            else:
                sources.append(("fwd", len(missing)))
                missing.append(v)
        n_cr, n_acc, n_cth = len(const_res), sum(wrt[:nc]), sum(wrt[nc:nc + nh])
        n_sr = len(sources)

        # bwd body: consts = const residuals; carry = (const-cotangent sums, carry cotangents);
        # xs = (stacked residuals, ys' cotangents); ys = the xs' cotangents.
        def bwd_body(*args: Any) -> list[Any]:
            cres, acc, ct_h, sres, ct_y = _split(args, n_cr, n_acc, n_cth, n_sr)
            cts = _eval(split.bwd, *cres, *sres, *ct_h, *ct_y)
            ct_c, ct_h, ct_x = _split(cts, n_acc, n_cth)
            return [*[add(a, c) for a, c in zip(acc, ct_c, strict=True)], *ct_h, *ct_x]

        in_avals = s.jaxpr.in_avals
        avals = [*[in_avals[i] for i in const_res],
                 *[a.strong() for a in _pick(in_avals[:nc + nh], wrt[:nc + nh])],
                 *[v.aval for i, v in zip(split.residuals, split.res_vars, strict=True)
                   if i >= nc],
                 *[a.strong() for a in _pick(s.jaxpr.out_avals[nh:], ct_nz[nh:])]]
        fwd = _with_outputs(s.jaxpr, missing) if missing else None
        return _ScanVjp(fwd, _transform(bwd_body, avals), const_res, tuple(sources))

    return _cached(s.jaxpr, ("scan_vjp", wrt, ct_nz), build)  # type: ignore[no-any-return]


def scan_with_residuals(closed: ClosedJaxpr, num_consts: int, num_carry: int) -> ClosedJaxpr:
    """A scan body that also returns, as extra ys, the per-step residuals its backward pass
    reads (for every floating-point input and output): a scan of it keeps its tape.

    ``lax.scan`` uses it when traced with known values (under ``grad``, ``vjp``...): the
    trace is then the forward pass of reverse mode, and the loop's residuals belong on its
    tape; the vjp rule finds them among the ys instead of running the loop forward again.
    """
    floats_in = tuple(_is_float(a) for a in closed.in_avals)
    floats_out = tuple(_is_float(a) for a in closed.out_avals)
    s = _Scan(closed, 0, False, num_consts, num_carry)
    return _scan_vjp_jaxprs(s, floats_in, floats_out).fwd or closed


def _scan_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool],
              **params: Any) -> list[Any]:
    s = _Scan(**params)
    nc, nh = s.num_consts, s.num_carry
    fl = [_is_float(get_aval(x)) for x in args]
    need_c, _, need_x = s.split([n and f for n, f in zip(needed, fl, strict=True)])
    carry_f = tuple(fl[nc:nc + nh])
    wrt = (*need_c, *carry_f, *need_x)
    if not any(wrt):
        return [None] * len(args)
    ct_ys_nz = tuple(ct is not None for ct in cts[nh:])
    v = _scan_vjp_jaxprs(s, wrt, (*carry_f, *ct_ys_nz))
    consts, init, xs = s.split(args)
    found = {"xs": xs, "ys": ans[nh:], "fwd": []}
    if v.fwd is not None:
        found["fwd"] = scan_p.bind(*consts, *init, *xs, **s._replace(jaxpr=v.fwd).params()
                                   )[len(ans):]
    stacked = [found[where][k] for where, k in v.sources]
    acc = [zeros(get_aval(c).strong()) for c in _pick(consts, need_c)]
    ct_h = _instantiated(cts[:nh], ans[:nh], carry_f)
    outs = scan_p.bind(*[consts[i] for i in v.const_res], *acc, *ct_h, *stacked,
                       *_pick(cts[nh:], ct_ys_nz), jaxpr=v.bwd, length=s.length,
                       reverse=not s.reverse, num_consts=len(v.const_res),
                       num_carry=len(acc) + len(ct_h))
    ct_c, ct_h, ct_x = _split(outs, len(acc), len(ct_h))
    return [*_place(ct_c, need_c), *_place(ct_h, carry_f), *_place(ct_x, need_x)]


def _scan_batch(size: int, args: list[Any], bdims: list[int | None], **params: Any
                ) -> tuple[list[Any], list[int | None]]:
    s = _Scan(**params)
    consts, init, xs = s.split(args)
    const_bdims, init_bdims, xs_bdims = (tuple(d) for d in s.split(bdims))
    # Inside the body, a batched x has its batch axis first (the scan axis is taken off).
    x_bdims = tuple(None if d is None else 0 for d in xs_bdims)
    carry_b = _loop_batched(s.jaxpr, const_bdims, tuple(d is not None for d in init_bdims),
                            x_bdims, size)
    ny = len(s.jaxpr.out_avals) - s.num_carry
    body, out_b = _vmap_transform(s.jaxpr, (*const_bdims, *[0 if b else None for b in carry_b],
                                            *x_bdims), size, (*carry_b, *(False,) * ny))
    init = [bdim_to_front(x, d, size) if b else x
            for x, d, b in zip(init, init_bdims, carry_b, strict=True)]
    xs = [x if d is None else moveaxis(x, d, 1) for x, d in zip(xs, xs_bdims, strict=True)]
    outs = scan_p.bind(*consts, *init, *xs, **s._replace(jaxpr=body).params())
    return outs, [*[0 if b else None for b in carry_b],
                  *[1 if b else None for b in out_b[s.num_carry:]]]


scan_p.impl = _scan_impl
scan_p.shape_rule = _scan_shape
jvp_rules[scan_p] = _scan_jvp
vjp_rules[scan_p] = _scan_vjp
batch_rules[scan_p] = _scan_batch

for _prim in (cond_p, while_p, scan_p):
    sweep_by_value(_prim)
