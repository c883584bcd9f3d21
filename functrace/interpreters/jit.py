"""jit: trace a function once per input signature, optimise its jaxpr, compile it to NumPy.

``jit(f)(*args)`` flattens the arguments, looks up the signature (pytree structure, each
leaf's shape, dtype and weak type, the static arguments' values) in a cache and, on a miss,
traces ``f`` on abstract inputs into a jaxpr.  At the root the jaxpr is optimised
(``optimize.py``) and compiled into one generated Python function (``codegen.py``), which
then runs on every call with the same signature.

Under another transformation the call is recorded as one equation of the ``jit`` call
primitive, whose ``jaxpr`` param is the traced function.  Its rules transform that jaxpr
(``jvp_jaxpr``, ``backward_pass``, ``vmap_jaxpr``), trace the result into a new jaxpr and
bind ``jit`` again, so ``grad(jit(f))`` and ``vmap(jit(f))`` run compiled code too; each
transformed jaxpr is cached on the one it came from.

Tracing for jit is *closed*: the trace's parent is the root, not the current trace, so work
on constants is done concretely while tracing (and folded), and the jaxpr depends only on the
signature.  A tracer of an enclosing transformation that ``f`` closes over becomes an
explicit extra input of the call (closure conversion); such a jaxpr is not cached.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import gc
import inspect
import weakref
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, overload

import numpy as np

from functrace.core import (
    ClosedJaxpr,
    Eqn,
    EvalTrace,
    Jaxpr,
    Primitive,
    ShapedArray,
    ThreadSetting,
    Tracer,
    Var,
    current_trace,
    get_aval,
    has_effects,
    new_current,
)
from functrace.errors import StaticArgumentError, TracerLeakError
from functrace.interpreters import optimize as opt
from functrace.interpreters.codegen import Compiled, compile_jaxpr
from functrace.interpreters.eval import read
from functrace.interpreters.jvp import jvp_jaxpr, jvp_rules, zeros
from functrace.interpreters.vjp import backward_pass, forward_sweep, forward_sweeps, vjp_rules
from functrace.interpreters.vmap import batch_rules, vmap_jaxpr
from functrace.tracing import JaxprTrace, tape_rewrites
from functrace.tree_util import PyTreeDef, tree_flatten, tree_map, tree_structure, tree_unflatten

__all__ = ["CompiledCall", "Jitted", "Lowered", "disable_jit", "jit", "jit_p", "trace_to_jaxpr"]

# ---------------------------------------------------------------------------------------------
# Closed tracing


class _CallTrace(JaxprTrace):
    """Records a function for a call primitive, independently of the current trace.

    The parent is a root trace, so equations on constants only are computed concretely while
    tracing; a tracer of an enclosing trace is lifted as a constant of *unknown* value, so
    that what the function does with it is recorded here (and ``bool()`` on it raises, as
    on any traced value under jit).
    """

    __slots__ = ()
    stages_for_later = True
    lifts_any_tracer = True
    what = "a jitted function"  # for the message about a leaked tracer

    def process(self, prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> list[Any]:
        args = [self.lift(x) if type(x) is Tracer and x._trace is not self else x for x in args]
        return super().process(prim, args, params)

    def lift(self, x: Any) -> Tracer:
        if type(x) is not Tracer or x._trace is self:
            return super().lift(x)
        if not x._trace.alive:
            raise TracerLeakError(
                f"A tracer of type {x.aval.str_short()} was used inside {self.what} after the "
                "transformation that created it returned (it was probably stored in a global "
                "or a closure). Pass it to the function as an argument instead."
            )
        tracer = self._lifted.get(id(x))
        if tracer is None:
            var = Var(x.aval)
            self.constvars.append(var)
            self.consts.append(x)
            val = self.outer_value(x)
            if val is not None:
                self.values[var] = val
            tracer = self._lifted[id(x)] = Tracer(self, x.aval, var, val)
        return tracer

    def outer_value(self, x: Tracer) -> Any:
        """The value this trace knows for a tracer of an enclosing trace: none."""
        return None


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Tracing, optimising and compiling allocate many small acyclic objects; as in
    ``trace_flat``, pausing the cyclic collector keeps their cost linear in the size."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def trace_to_jaxpr(fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray]
                   ) -> tuple[ClosedJaxpr, list[Tracer]]:
    """Trace ``fun`` (flat lists in and out) on abstract inputs, closure-converted.

    Returns the jaxpr, whose constants are all concrete, and the tracers of enclosing
    transformations that ``fun`` closed over: they are the jaxpr's *first* inputs, before
    ``in_avals``.
    """
    trace = _CallTrace(EvalTrace(None))
    tracers = [trace.new_arg(a) for a in in_avals]
    try:
        with _gc_paused(), new_current(trace):
            closed, _ = trace.to_jaxpr(list(fun(*tracers)))
    finally:
        trace.alive = False
        # Its lifted-constant tracers point back at the trace, which holds the constants:
        # dropping them lets the cached jaxpr's constants go with the jitted function, by
        # reference counting (as in trace_flat).
        trace._lifted.clear()
    outer = [i for i, c in enumerate(closed.consts) if type(c) is Tracer]
    if not outer:
        return closed, []
    jaxpr, consts = closed.jaxpr, closed.consts
    inner = [i for i in range(len(consts)) if i not in set(outer)]
    converted = Jaxpr([jaxpr.constvars[i] for i in inner],
                      [*[jaxpr.constvars[i] for i in outer], *jaxpr.invars],
                      jaxpr.outvars, jaxpr.eqns)
    return ClosedJaxpr(converted, [consts[i] for i in inner]), [consts[i] for i in outer]


# ---------------------------------------------------------------------------------------------
# The call primitive

jit_p = Primitive("jit", multiple_results=True)  # a call of a compiled jaxpr; prints nested


class _CallInfo:
    """What jit derives from one ``jaxpr`` param, computed once: the optimised jaxpr, the
    compiled function, and the jaxprs of its transformations (keyed by which inputs carry
    tangents, cotangents or batch dimensions)."""

    __slots__ = ("closed", "name", "_optimized", "_compiled", "derived")

    def __init__(self, closed: ClosedJaxpr, name: str):
        self.closed, self.name = closed, name
        self._optimized: ClosedJaxpr | None = None
        self._compiled: Compiled | None = None
        self.derived: dict[Hashable, tuple[ClosedJaxpr, tuple[Any, ...]]] = {}

    def optimized(self) -> ClosedJaxpr:
        if self._optimized is None:
            with _gc_paused():
                self._optimized = opt.optimize(self.closed)
        return self._optimized

    def compiled(self) -> Compiled:
        if self._compiled is None:
            optimized = self.optimized()
            with _gc_paused():
                self._compiled = compile_jaxpr(optimized, self.name)
        return self._compiled


def _info(closed: ClosedJaxpr, name: str) -> _CallInfo:
    info = closed.jaxpr.cache.get("jit")
    if info is None:
        info = closed.jaxpr.cache["jit"] = _CallInfo(closed, name)
    return info  # type: ignore[no-any-return]


def _jit_impl(*args: Any, jaxpr: ClosedJaxpr, name: str) -> list[Any]:
    return list(_info(jaxpr, name).compiled().fn(*args))


def _jit_shape(*avals: ShapedArray, jaxpr: ClosedJaxpr, name: str) -> list[ShapedArray]:
    expected = jaxpr.in_avals
    if len(avals) != len(expected) or any(
            a.shape != e.shape or a.dtype != e.dtype for a, e in zip(avals, expected, strict=True)):
        raise ValueError(
            f"jit({name}): called with arguments of types "
            f"({', '.join(a.str_short() for a in avals)}) but was traced for "
            f"({', '.join(e.str_short() for e in expected)})."
        )
    return jaxpr.out_avals


def _derive(info: _CallInfo, key: Hashable, make: Callable[[], tuple[ClosedJaxpr, Any]]
            ) -> tuple[ClosedJaxpr, Any]:
    derived = info.derived.get(key)
    if derived is None:
        derived = info.derived[key] = make()
    return derived


def _trace_derived(fun: Callable[..., list[Any]], avals: Sequence[ShapedArray]) -> ClosedJaxpr:
    closed, outer = trace_to_jaxpr(fun, avals)
    assert not outer, "a transformed jit jaxpr closed over a tracer"
    return closed


def _fill(mask: Sequence[bool], present: Iterable[Any]) -> list[Any]:
    """Put the present values at the True positions of ``mask`` and None elsewhere."""
    it = iter(present)
    return [next(it) if m else None for m in mask]


def _pick(mask: Sequence[bool], xs: Sequence[Any]) -> list[Any]:
    """The entries of ``xs`` at the True positions of ``mask`` (the inverse of ``_fill``)."""
    return [x for x, m in zip(xs, mask, strict=True) if m]


def _bind(closed: ClosedJaxpr, args: Sequence[Any], name: str) -> list[Any]:
    """Call ``closed`` through ``jit_p`` in the current trace (a call without outputs,
    e.g. the vjp of a function of integers only, is no call at all)."""
    if not closed.jaxpr.outvars:
        return []
    return jit_p.bind(*args, jaxpr=closed, name=name)


def _jvp_of(closed: ClosedJaxpr, mask: tuple[bool, ...]) -> tuple[ClosedJaxpr, tuple[bool, ...]]:
    """A jaxpr from (primals, nonzero tangents) to the nonzero output tangents."""
    n, out_mask = len(mask), list[bool]()
    avals = [*closed.in_avals, *[a.strong() for a in _pick(mask, closed.in_avals)]]

    def fun(*xs: Any) -> list[Any]:
        _, dots = jvp_jaxpr(closed.jaxpr, closed.consts, xs[:n], _fill(mask, xs[n:]))
        out_mask[:] = [d is not None for d in dots]
        return [d for d in dots if d is not None]

    return _trace_derived(fun, avals), tuple(out_mask)


def _jit_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *, jaxpr: ClosedJaxpr,
             name: str) -> list[Any]:
    mask = tuple(t is not None for t in tangents)
    derived, out_mask = _derive(_info(jaxpr, name), ("jvp", mask),
                                lambda: _jvp_of(jaxpr, mask))
    return _fill(out_mask, _bind(derived, [*primals, *_pick(mask, tangents)], f"jvp_{name}"))


def _vjp_of(closed: ClosedJaxpr, ct_mask: tuple[bool, ...], needed: tuple[bool, ...]
            ) -> tuple[ClosedJaxpr, tuple[bool, ...]]:
    """A jaxpr from (inputs, nonzero output cotangents) to the nonzero input cotangents: the
    forward pass (keeping every value) then the backward pass.  Compiled, dead-code
    elimination keeps only the forward values the backward pass reads."""
    n, out_mask = len(needed), list[bool]()
    avals = [*closed.in_avals, *[a.strong() for a in _pick(ct_mask, closed.out_avals)]]

    def fun(*xs: Any) -> list[Any]:
        jaxpr, values = forward_sweep(closed.jaxpr, closed.consts, *xs[:n])
        cts_in = backward_pass(jaxpr, values, _fill(ct_mask, xs[n:]), needed)
        out_mask[:] = [ct is not None for ct in cts_in]
        return [ct for ct in cts_in if ct is not None]

    return _trace_derived(fun, avals), tuple(out_mask)


class _Split:
    """What the vjp rule needs of a forward pass that also returns residuals: the backward
    pass that reads them.

    Derived from a call's jaxpr for the tape of ``grad`` / ``vjp``: the jaxpr of
    (inputs, output cotangents) -> input cotangents is split by partial evaluation into the
    equations that depend on the inputs only (the forward pass: the call's outputs, then the
    residuals, the values the rest reads) and those that depend on the cotangents (the
    backward pass: (residuals, cotangents) -> input cotangents).  Stored in the forward
    jaxpr's cache under ``"split"``, so the ``jit`` vjp rule can recognise it.
    """

    __slots__ = ("bwd", "n_out", "ct_mask", "wrt")

    def __init__(self, bwd: ClosedJaxpr, n_out: int, ct_mask: tuple[bool, ...],
                 wrt: tuple[bool, ...]):
        self.bwd, self.n_out, self.ct_mask, self.wrt = bwd, n_out, ct_mask, wrt


def _split_vjp(closed: ClosedJaxpr, wrt: tuple[bool, ...]) -> tuple[ClosedJaxpr, _Split]:
    n, out_avals = len(wrt), closed.out_avals
    ct_mask = tuple(a.dtype.kind in "fc" for a in out_avals)
    in_avals = closed.in_avals
    avals = [*in_avals, *[a.strong() for a in _pick(ct_mask, out_avals)]]

    def fun(*xs: Any) -> list[Any]:
        jaxpr, values = forward_sweep(closed.jaxpr, closed.consts, *xs[:n])
        outs = [read(values, v) for v in jaxpr.outvars]
        cts_in = backward_pass(jaxpr, values, _fill(ct_mask, xs[n:]), list(wrt))
        # A zero cotangent is a value too: the backward pass has one output per input in wrt.
        return [*outs, *[ct if ct is not None else zeros(a.strong())
                         for ct, a in zip(_pick(wrt, cts_in), _pick(wrt, in_avals),
                                          strict=True)]]

    full = _trace_derived(fun, avals)
    jaxpr, n_out = full.jaxpr, len(out_avals)
    known: set[Var] = {*jaxpr.constvars, *jaxpr.invars[:n]}
    fwd_eqns, bwd_eqns = [], []
    for eqn in jaxpr.eqns:
        if all(type(v) is not Var or v in known for v in eqn.invars):
            fwd_eqns.append(eqn)
            known.update(eqn.outvars)
        else:
            bwd_eqns.append(eqn)
    consts = set(jaxpr.constvars)
    residuals = list(dict.fromkeys(
        v for v in [*[u for e in bwd_eqns for u in e.invars], *jaxpr.outvars[n_out:]]
        if type(v) is Var and v in known and v not in consts))
    fwd = ClosedJaxpr(Jaxpr(jaxpr.constvars, jaxpr.invars[:n],
                            [*jaxpr.outvars[:n_out], *residuals], fwd_eqns), full.consts)
    bwd = ClosedJaxpr(Jaxpr(jaxpr.constvars, [*residuals, *jaxpr.invars[n:]],
                            jaxpr.outvars[n_out:], bwd_eqns), full.consts)
    split = _Split(bwd, n_out, ct_mask, wrt)
    fwd.jaxpr.cache["split"] = split
    return fwd, split


def _jit_on_tape(trace: JaxprTrace, args: Sequence[Any], params: dict[str, Any]
                 ) -> list[Any] | None:
    """Record a call on the tape of grad / vjp as its forward pass with residuals (the
    backward pass then reads them instead of running the forward pass again)."""
    closed, name = params["jaxpr"], params["name"]
    if "split" in closed.jaxpr.cache:  # already a forward pass with residuals
        return None
    wrt = tuple(type(x) is Tracer and x._trace is trace and x.aval.dtype.kind in "fc"
                for x in args)
    if not any(wrt) or any(type(x) is Tracer and x._trace is trace and x.val is None
                           for x in args):
        return None
    fwd, split = _derive(_info(closed, name), ("tape", wrt), lambda: _split_vjp(closed, wrt))
    return trace.process(jit_p, args, {"jaxpr": fwd, "name": name})[:split.n_out]


def _jit_forward_sweep(eqn: Eqn, in_vals: list[Any]) -> tuple[list[Any], Eqn]:
    """A call in the forward sweep of a traced vjp (an enclosing call's): its forward pass
    with residuals, as ``_jit_on_tape`` records it on the eager tape, so that what it calls
    (``custom_vjp`` functions) sweeps forward the same way."""
    closed, name = eqn.params["jaxpr"], eqn.params["name"]
    wrt = tuple(get_aval(x).dtype.kind in "fc" for x in in_vals)
    if "split" in closed.jaxpr.cache or not any(wrt):
        return eqn.primitive.bind(*in_vals, **eqn.params), eqn
    fwd, split = _derive(_info(closed, name), ("tape", wrt), lambda: _split_vjp(closed, wrt))
    residuals = [Var(v.aval) for v in fwd.jaxpr.outvars[split.n_out:]]
    return _bind(fwd, in_vals, name), Eqn(jit_p, eqn.invars, [*eqn.outvars, *residuals],
                                          {"jaxpr": fwd, "name": name})


def _jit_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
             jaxpr: ClosedJaxpr, name: str) -> list[Any]:
    split = jaxpr.jaxpr.cache.get("split")
    if (split is not None and all(ct is None for ct in cts[split.n_out:])
            and all(w or not nd for w, nd in zip(split.wrt, needed, strict=True))):
        # A forward pass recorded with its residuals: only the backward pass is left to run.
        out_avals = jaxpr.out_avals[:split.n_out]
        dense = [ct if ct is not None else zeros(a.strong())
                 for ct, a in zip(_pick(split.ct_mask, cts[:split.n_out]),
                                  _pick(split.ct_mask, out_avals), strict=True)]
        in_cts = _fill(split.wrt, _bind(split.bwd, [*ans[split.n_out:], *dense],
                                        f"vjp_{name}"))
        return [ct if nd else None for ct, nd in zip(in_cts, needed, strict=True)]
    ct_mask, need = tuple(ct is not None for ct in cts), tuple(needed)
    derived, out_mask = _derive(_info(jaxpr, name), ("vjp", ct_mask, need),
                                lambda: _vjp_of(jaxpr, ct_mask, need))
    return _fill(out_mask, _bind(derived, [*args, *_pick(ct_mask, cts)], f"vjp_{name}"))


def _vmap_of(closed: ClosedJaxpr, bdims: tuple[int | None, ...], size: int
             ) -> tuple[ClosedJaxpr, tuple[int | None, ...]]:
    """A jaxpr on inputs batched along ``bdims``; also returns the outputs' batch dims."""
    out_bdims: list[int | None] = []
    avals = [a if d is None else ShapedArray((*a.shape[:d], size, *a.shape[d:]), a.dtype,
                                             a.weak_type)
             for a, d in zip(closed.in_avals, bdims, strict=True)]

    def fun(*xs: Any) -> list[Any]:
        outs, out_bdims[:] = vmap_jaxpr(closed.jaxpr, closed.consts, xs, bdims, size)
        return outs

    return _trace_derived(fun, avals), tuple(out_bdims)


def _jit_batch(size: int, args: list[Any], bdims: list[int | None], *, jaxpr: ClosedJaxpr,
               name: str) -> tuple[list[Any], list[int | None]]:
    key = tuple(bdims)
    derived, out_bdims = _derive(_info(jaxpr, name), ("vmap", key, size),
                                 lambda: _vmap_of(jaxpr, key, size))
    return _bind(derived, args, f"vmap_{name}"), list(out_bdims)


jit_p.impl = _jit_impl
jit_p.shape_rule = _jit_shape
jvp_rules[jit_p] = _jit_jvp
vjp_rules[jit_p] = _jit_vjp
tape_rewrites[jit_p] = _jit_on_tape
forward_sweeps[jit_p] = _jit_forward_sweep
batch_rules[jit_p] = _jit_batch
opt.inlinable.add(jit_p)

# ---------------------------------------------------------------------------------------------
# The user-facing wrapper

_PY_SCALARS = (bool, int, float, complex)


def _stand_in(x: Any) -> Any:
    """An array of ``x``'s shape and dtype if ``x`` is an abstract one (anything with
    ``.shape`` and ``.dtype`` that is not an array or a tracer), else ``x``."""
    if isinstance(x, (Tracer, np.ndarray, np.generic)) or not (
            hasattr(x, "shape") and hasattr(x, "dtype")):
        return x
    return np.broadcast_to(np.zeros((), np.dtype(x.dtype)), tuple(x.shape))


def _leaf(x: Any) -> Any:
    if isinstance(x, (Tracer, np.ndarray, np.generic, *_PY_SCALARS)):
        if isinstance(x, np.ma.MaskedArray):  # (its mask would be dropped: a wrong answer)
            raise ValueError(f"jit: numpy masked arrays are not supported, got {x!r}. Pass "
                             "the data and the mask as two arrays.")
        return x
    try:
        array = np.asarray(x)
    except Exception:
        array = None
    if array is None or array.dtype.kind not in "biufc":
        raise TypeError(
            f"jit: argument {x!r} of type {type(x).__name__} is not a valid functrace value: "
            "expected arrays, numbers, or pytrees (tuples, lists, dicts) of them. Mark "
            "configuration arguments static with static_argnums / static_argnames."
        )
    return array


def _scalar_type(t: type) -> bool:
    return t in _PY_SCALARS or issubclass(t, np.generic)


def _runner(fn: Callable[..., tuple[Any, ...]], out_tree: PyTreeDef) -> Callable[..., Any]:
    """``fn`` (flat outputs) returning the output pytree; ``fn`` itself when the output is a
    flat tuple, so the commonest calls cost nothing extra."""
    if out_tree == tree_structure((0,) * out_tree.num_leaves):
        return fn
    if out_tree == tree_structure(0):
        return lambda *args: fn(*args)[0]
    return lambda *args: tree_unflatten(out_tree, fn(*args))


class _Entry:
    """One cached trace: the jaxpr, the outer tracers it reads, the output structure, and
    (once compiled) the function running it."""

    __slots__ = ("closed", "outer", "out_tree", "run", "effects")

    def __init__(self, closed: ClosedJaxpr, outer: list[Tracer], out_tree: PyTreeDef):
        self.closed, self.outer, self.out_tree = closed, outer, out_tree
        self.run: Callable[..., Any] | None = None
        # Whether it holds a callback or a collective: then, called with concrete arguments
        # inside a transformation, it is still bound there (a collective means something only
        # under its vmap; a staged callback runs when the staged code runs).
        self.effects = has_effects(jit_p, {"jaxpr": closed})


class Lowered:
    """What ``jit`` makes of a function for one signature (``jitted.lower(*args)``).

    Attributes:
      traced: the jaxpr as traced (the ``jaxpr`` param of the ``jit`` equation).
      jaxpr: the optimised jaxpr that was compiled.
      in_tree: the pytree structure of the dynamic arguments, ``(args, kwargs)``.
      in_avals: their types, in that structure (as JAX's ``Lowered.in_avals``).
    """

    def __init__(self, traced: ClosedJaxpr, jaxpr: ClosedJaxpr, source: str,
                 in_tree: PyTreeDef, in_avals: list[ShapedArray], out_tree: PyTreeDef,
                 compiled: Compiled | None, name: str):
        self.traced, self.jaxpr, self._source = traced, jaxpr, source
        self.in_tree, self._in_avals, self._out_tree = in_tree, in_avals, out_tree
        self._compiled, self._name = compiled, name

    @property
    def in_avals(self) -> Any:
        return tree_unflatten(self.in_tree, self._in_avals)

    def as_text(self) -> str:
        """The generated Python source of the compiled function."""
        return self._source

    def compile(self) -> CompiledCall:
        """The compiled function for exactly this signature (JAX's ``Lowered.compile``):
        call it with the dynamic arguments only (static ones were fixed by ``lower``)."""
        if self._compiled is None:
            raise TypeError(f"jit({self._name}).lower(...).compile(): the function closes over "
                            "values of an enclosing transformation; it cannot be compiled "
                            "ahead of time.")
        return CompiledCall(self, _runner(self._compiled.fn, self._out_tree))

    def __repr__(self) -> str:
        return f"Lowered(\n{self.jaxpr}\n)"


class CompiledCall:
    """``jit(f).lower(*args).compile()``: ``f`` compiled for one signature. Calls with another
    pytree structure or other argument types, or under a transformation, are a ``TypeError``
    (as JAX's ``Compiled``)."""

    def __init__(self, lowered: Lowered, run: Callable[..., Any]):
        self.lowered, self._run = lowered, run
        self.in_tree = lowered.in_tree

    @property
    def in_avals(self) -> Any:
        return self.lowered.in_avals

    def as_text(self) -> str:
        return self.lowered.as_text()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        leaves, tree = tree_flatten((args, kwargs))
        if tree != self.in_tree:
            raise TypeError("Function compiled with input pytree does not match the input "
                            f"pytree it was called with: compiled for {self.in_tree}, called "
                            f"with {tree}.")
        leaves = [_leaf(x) for x in leaves]
        if any(isinstance(x, Tracer) for x in leaves):
            raise TypeError("Cannot apply transformations to a function lowered and compiled "
                            "for a particular signature (an argument is traced): transform "
                            "the function first, then jit(...).lower(...).compile() it.")
        for k, (x, a) in enumerate(zip(leaves, self.lowered._in_avals, strict=True)):
            b = get_aval(x)
            if b.shape != a.shape or b.dtype != a.dtype:
                raise TypeError("Argument types differ from the types for which this "
                                f"computation was compiled: argument {k} compiled with "
                                f"{a.str_short()} and called with {b.str_short()}.")
        return self._run(*leaves)


# Every jitted function alive, for clear_caches.
_LIVE: weakref.WeakSet[Jitted] = weakref.WeakSet()


class _Traces:
    """The traces of one Python function for one choice of static arguments, shared by every
    ``jit`` of that function (as JAX's cache is keyed on the function): ``jit(f)(x)`` inside a
    loop traces ``f`` once, not once per call."""

    __slots__ = ("cache", "by_type", "count")

    def __init__(self) -> None:
        self.cache: dict[Hashable, _Entry] = {}
        # Calls with Python or NumPy scalars only (and no static args), by argument types.
        self.by_type: dict[tuple[type, ...], Callable[..., Any]] = {}
        self.count = 0


# Function -> {(static_argnums, static_argnames): its traces}, held only while the function
# lives (a cached trace keeps the arrays the function closes over).
_TRACES: weakref.WeakKeyDictionary[Any, dict[Hashable, _Traces]] = weakref.WeakKeyDictionary()


def _traces_of(fun: Callable[..., Any], statics: Hashable) -> _Traces:
    try:
        per_fun = _TRACES.setdefault(fun, {})
    except TypeError:  # an unhashable callable, or one that takes no weak reference
        return _Traces()
    return per_fun.setdefault(statics, _Traces())


def clear_caches() -> None:
    """Forget the traces of every jitted function (``jax.clear_caches``): each traces again
    on its next call, as it did on its first.

    >>> import functrace as ft
    >>> f = ft.jit(lambda x: x + 1.0)
    >>> _ = f(1.0); ft.clear_caches(); _ = f(2.0)
    >>> f.trace_count
    2
    """
    for jitted in list(_LIVE):
        jitted.clear_cache()


class Jitted:
    """A function compiled by :func:`jit`; call it like the original.

    Attributes:
      trace_count: how many times the function has been traced (once per new signature;
        every ``jit`` of one function with the same static arguments shares its traces).
    """

    def __init__(self, fun: Callable[..., Any], static_argnums: tuple[int, ...],
                 static_argnames: tuple[str, ...]):
        functools.update_wrapper(self, fun)
        self._fun = fun
        self._name = getattr(fun, "__name__", type(fun).__name__)
        self._static_nums, self._static_names = _static_args(fun, static_argnums,
                                                             static_argnames)
        self._traces = _traces_of(fun, (self._static_nums, self._static_names))
        self._cache = self._traces.cache
        self._by_type = self._traces.by_type
        _LIVE.add(self)

    @property
    def trace_count(self) -> int:
        return self._traces.count

    def clear_cache(self) -> None:
        """Forget every trace: the next call traces again."""
        self._cache.clear()
        self._by_type.clear()

    def __repr__(self) -> str:
        return f"<jitted function {self._name}>"

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        return self if obj is None else functools.partial(self, obj)  # as a method

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        disabled = _jit_disabled
        if (disabled.overridden or disabled.default) and disabled.get():  # (get() is slower)
            return self._fun(*args, **kwargs)
        if not kwargs:  # fast path: Python or NumPy scalars seen before
            run = self._by_type.get(tuple(map(type, args)))
            if run is not None:
                return run(*args)
        entry, leaves = self._lookup(args, kwargs)
        if entry.outer or any(type(x) is Tracer for x in leaves) or (
                entry.effects and not isinstance(current_trace(), EvalTrace)):
            outs = _bind(entry.closed, [*entry.outer, *leaves], self._name)
            return tree_unflatten(entry.out_tree, outs)
        run = entry.run
        if run is None:
            fn = _info(entry.closed, self._name).compiled().fn
            run = entry.run = _runner(fn, entry.out_tree)
            if (not kwargs and not self._static_nums and not self._static_names
                    and not entry.effects and all(_scalar_type(type(a)) for a in args)):
                self._by_type[tuple(map(type, args))] = run
        return run(*leaves)

    def lower(self, *args: Any, **kwargs: Any) -> Lowered:
        """Trace (if needed), optimise and compile for these arguments; return the result.

        >>> import numpy as np, functrace as ft, functrace.numpy as fnp
        >>> w = np.arange(3.0)
        >>> f = ft.jit(lambda x, y: fnp.sin(x) * y + w)
        >>> lowered = f.lower(np.ones(3), np.ones(3))
        >>> print(lowered.jaxpr)
        { lambda a:f64[3]; b:f64[3] c:f64[3]. let
            d:f64[3] = sin b
            e:f64[3] = mul d c
            f:f64[3] = add e a
          in (f,) }
        >>> print(lowered.as_text())
        def _lambda_(b, c):
            d = np.sin(b)
            e = np.multiply(d, c, out=d)
            f = np.add(e, a, out=e)
            return (f,)
        """
        # Abstract arguments (``ShapeDtypeStruct``, ``ShapedArray``) stand for arrays of their
        # type: a broadcast zero of it (no memory) is traced in their place.
        args, kwargs = tree_map(_stand_in, (args, kwargs))
        entry, leaves = self._lookup(args, kwargs)
        info = _info(entry.closed, self._name)
        static_pos, static_kw = self._split_static(args, kwargs)
        _, in_tree = tree_flatten((tuple(a for i, a in enumerate(args) if i not in static_pos),
                                   {k: v for k, v in kwargs.items() if k not in static_kw}))
        compiled = info.compiled()
        return Lowered(entry.closed, info.optimized(), compiled.source, in_tree,
                       [get_aval(x) for x in leaves], entry.out_tree,
                       None if entry.outer else compiled, self._name)

    # -- signature and cache

    def _lookup(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[_Entry, list[Any]]:
        static_pos, static_kw = self._split_static(args, kwargs)
        dyn_args = tuple(a for i, a in enumerate(args) if i not in static_pos)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_kw}
        leaves, in_tree = tree_flatten((dyn_args, dyn_kwargs))
        leaves = [_leaf(x) for x in leaves]
        key = (in_tree, tuple(map(get_aval, leaves)),
               tuple((i, type(v), v) for i, v in static_pos.items()),
               tuple((k, type(v), v) for k, v in sorted(static_kw.items())))
        try:
            entry = self._cache.get(key)
        except Exception as e:  # a static argument's __eq__ failed on a cached one
            raise StaticArgumentError(
                f"jit({self._name}): static arguments should be comparable using __eq__; "
                f"comparing one with a cached value raised {type(e).__name__}: {e}") from e
        if entry is None:
            entry = self._trace(leaves, in_tree, static_pos, static_kw)
            if not entry.outer:
                self._cache[key] = entry
        return entry, leaves

    def _split_static(self, args: tuple[Any, ...], kwargs: dict[str, Any]
                      ) -> tuple[dict[int, Any], dict[str, Any]]:
        static_pos = {i % len(args): None for i in self._static_nums if -len(args) <= i < len(args)}
        for i in static_pos:
            static_pos[i] = self._check_hashable(args[i], f"argument {i}")
        static_kw = {k: self._check_hashable(v, f"argument {k!r}")
                     for k, v in kwargs.items() if k in self._static_names}
        return static_pos, static_kw

    def _check_hashable(self, value: Any, where: str) -> Any:
        try:
            hash(value)
        except TypeError:
            raise StaticArgumentError(
                f"jit({self._name}): static {where} has the unhashable type "
                f"{type(value).__name__}. Static arguments are part of the cache key, so they "
                "must be hashable: pass a tuple instead of a list, or pass arrays as ordinary "
                "(traced) arguments instead of static ones."
            ) from None
        return value

    def _trace(self, leaves: list[Any], in_tree: PyTreeDef, static_pos: dict[int, Any],
               static_kw: dict[str, Any]) -> _Entry:
        out_trees: list[PyTreeDef] = []

        def flat_fun(*tracers: Any) -> list[Any]:
            dyn_args, dyn_kwargs = tree_unflatten(in_tree, tracers)
            it = iter(dyn_args)
            n = len(dyn_args) + len(static_pos)
            args = [static_pos[i] if i in static_pos else next(it) for i in range(n)]
            out_leaves, out_tree = tree_flatten(self._fun(*args, **dyn_kwargs, **static_kw))
            out_trees.append(out_tree)
            return out_leaves

        self._traces.count += 1
        closed, outer = trace_to_jaxpr(flat_fun, [get_aval(x) for x in leaves])
        return _Entry(closed, outer, out_trees[0])


def _static_args(fun: Callable[..., Any], static_argnums: int | Iterable[int],
                 static_argnames: str | Iterable[str]) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Static positions and names, each completed from the other through ``fun``'s signature
    (as JAX does: a parameter marked static by name is static when passed by position)."""
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    if not all(isinstance(i, int) for i in nums) or not all(isinstance(k, str) for k in names):
        raise TypeError(f"jit: static_argnums must be ints and static_argnames strings, got "
                        f"{static_argnums!r} and {static_argnames!r}.")
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return nums, names
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    kinds = {p.kind for p in params}
    n_pos = sum(p.kind in positional for p in params)
    if inspect.Parameter.VAR_POSITIONAL not in kinds and any(
            not -n_pos <= i < n_pos for i in nums):
        raise ValueError(f"jit: static_argnums={nums} is out of range for a function that "
                         f"accepts {n_pos} positional argument{'s' if n_pos != 1 else ''}.")
    by_name = {p.name: p for p in params}
    for k in names:
        if k in by_name and by_name[k].kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                inspect.Parameter.VAR_POSITIONAL):
            raise ValueError(f"jit: static_argnames names {k!r}, which is a positional-only "
                             "or *args parameter and cannot be passed by name; mark it with "
                             "static_argnums instead.")
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        unknown = set(names) - {p.name for p in params if p.kind != p.VAR_POSITIONAL}
        if unknown:
            raise ValueError(f"jit: static_argnames={names} names {sorted(unknown)}, which the "
                             "function does not take.")
    for i, p in enumerate(params):
        if p.kind not in positional:
            continue
        if p.name in names and i not in nums:
            nums += (i,)
        if i in nums and p.name not in names and (
                p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD):
            names += (p.name,)
    return nums, names


# Its default is ``config.update("jax_disable_jit", ...)``'s; ``disable_jit`` sets it per thread.
_jit_disabled = ThreadSetting(False)


@contextlib.contextmanager
def disable_jit(disable: bool = True) -> Iterator[None]:
    """JAX's ``disable_jit``: inside the ``with`` block, jitted functions run their Python
    code eagerly (so ``print`` shows values and Python control flow sees them).  As JAX's, it
    holds for the thread that opens the block."""
    with _jit_disabled.set(disable):
        yield


class _Missing(enum.Enum):
    """The type of ``jit``'s default ``fun``: told apart from ``None``, which is an error."""

    MISSING = enum.auto()


@overload
def jit(fun: Callable[..., Any], static_argnums: int | Sequence[int] = (),
        static_argnames: str | Sequence[str] = (), *,
        donate_argnums: int | Sequence[int] = (), donate_argnames: str | Sequence[str] = (),
        keep_unused: bool = False, inline: bool = False) -> Jitted: ...


@overload
def jit(*, static_argnums: int | Sequence[int] = (), static_argnames: str | Sequence[str] = (),
        donate_argnums: int | Sequence[int] = (), donate_argnames: str | Sequence[str] = (),
        keep_unused: bool = False, inline: bool = False
        ) -> Callable[[Callable[..., Any]], Jitted]: ...


def jit(fun: Callable[..., Any] | _Missing = _Missing.MISSING,
        static_argnums: int | Sequence[int] = (), static_argnames: str | Sequence[str] = (), *,
        donate_argnums: int | Sequence[int] = (), donate_argnames: str | Sequence[str] = (),
        keep_unused: bool = False, inline: bool = False
        ) -> Jitted | Callable[[Callable[..., Any]], Jitted]:
    """Compile ``fun``: trace it once per input signature, optimise, run generated NumPy code.

    The cache key is the arguments' pytree structure, each leaf's shape and dtype (a Python
    scalar is *weakly typed*, so ``f(1.0)`` and ``f(np.float64(1.0))`` trace separately, as in
    JAX), and the values of the static arguments.  Python side effects in ``fun`` (printing,
    appending to a list) happen while tracing only, not on cached calls.

    Args:
      fun: the function to compile. Arguments and results are pytrees of arrays and numbers.
        Without it, ``jit(**options)`` returns a decorator, as in JAX:
        ``@jit(static_argnums=1)`` is ``jit(f, static_argnums=1)``.
      static_argnums: positions of arguments passed to ``fun`` as Python values (part of the
        cache key, so they must be hashable); ``fun`` may branch on them.
      static_argnames: the same, by parameter name.
      donate_argnums, donate_argnames, keep_unused, inline: JAX's hints about buffers and
        inlining, accepted and ignored (NumPy arrays are not donated: a donated argument stays
        valid, which JAX does not promise).

    Returns:
      A :class:`Jitted` function: call it like ``fun``; ``.lower(*args)`` shows the optimised
      jaxpr and generated source; ``.trace_count`` counts traces.  Without ``fun``, a
      decorator that returns one.

    Raises:
      ConcretizationError: ``fun`` needs the value of a traced argument (``if x > 0:``);
        mark it static or use ``functrace.lax.cond`` / ``functrace.numpy.where``.
      TypeError: ``fun`` is not callable, or is a generator function or a staticmethod.
      StaticArgumentError: a static argument is not hashable, or not comparable with a
        cached one (a ``ValueError`` as in JAX, and a ``TypeError``).
      ValueError: an argument is a NumPy masked array (its mask would be lost).

    >>> import functrace as ft, functrace.numpy as fnp
    >>> f = ft.jit(lambda x, y: x * y + fnp.exp(x * y))
    >>> float(f(0.0, 2.0))
    1.0
    >>> power = ft.jit(lambda x, n: x ** n, static_argnums=1)
    >>> float(power(2.0, 3)), power.trace_count
    (8.0, 1)
    >>> @ft.jit(static_argnames="n")
    ... def repeat(x, n):
    ...     return fnp.concatenate([x] * n)
    >>> repeat(fnp.ones(2), n=2).shape
    (4,)
    """
    if fun is _Missing.MISSING:
        def decorate(f: Callable[..., Any]) -> Jitted:
            return jit(f, static_argnums, static_argnames)  # the hints are ignored anyway

        return decorate
    if not callable(fun):
        raise TypeError(f"Expected a callable value, got {fun!r}: jit compiles a function "
                        "(to pass only options, name them: jit(static_argnums=...)).")
    if isinstance(fun, staticmethod):
        raise TypeError(f"jit: staticmethod arguments are not supported, got {fun!r} (as in "
                        "JAX): apply @staticmethod on top of @jit instead.")
    if inspect.isgeneratorfunction(fun):
        raise TypeError(f"Expected a function, got a generator function: {fun!r}. jit traces "
                        "a function once and caches its result; a generator's body runs lazily, "
                        "outside the trace (as in JAX).")
    return Jitted(fun, (static_argnums,) if isinstance(static_argnums, int)
                  else tuple(static_argnums),
                  (static_argnames,) if isinstance(static_argnames, str)
                  else tuple(static_argnames))
