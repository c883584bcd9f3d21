"""Tracing a Python function into a jaxpr.

A :class:`JaxprTrace` records every primitive applied to its tracers as an equation.  Each
tracer may also know its *value one level up* (``Tracer.val``): a concrete array when the parent
is the root, or a tracer of the parent trace.  Values are known when the traced function's
inputs were known (``grad``, ``jvp``, ``vjp`` trace with known inputs) and for anything computed
from constants only; they are unknown for the fresh abstract inputs that ``make_jaxpr``, ``jit``
and ``vmap`` trace with.  A known value is computed as the equation is recorded, by binding
the same primitive in the parent trace, so

* Python control flow on traced values works under ``grad`` (``bool()`` asks the value), and
* the recorded trace doubles as the tape of reverse mode: the values of every intermediate are
  at hand for the backward pass, with no second forward sweep.

Tracing nests: a function traced inside another transformation sees that transformation's
tracers as constants, and whatever it binds one level up is recorded in the outer trace.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from functrace.core import (
    Atom,
    ClosedJaxpr,
    Eqn,
    Jaxpr,
    Literal,
    Primitive,
    ShapedArray,
    ThreadSetting,
    Trace,
    Tracer,
    Var,
    _leak_message,
    _root,
    get_aval,
    get_current,
    has_effects,
    set_current,
)
from functrace.errors import TracerLeakError
from functrace.interpreters.jvp import zeros
from functrace.interpreters.vjp import backward_pass, vjp_residuals

_SCALAR_TYPES = (bool, int, float, complex, np.generic)

# Primitives whose derivative is zero (comparisons, sign, floor, stop_gradient...), registered
# by ``defzero``: a trace that folds constants also computes them one level up.
zero_derivative: set[Primitive] = set()

# How the tape of grad and vjp (a trace with ``residuals_only``) records some primitives
# differently: ``rewrite(trace, args, params)`` records its own equations and returns the
# tracers of the primitive's outputs, or returns None to let the trace record it as usual.
# ``jit`` registers one: it records a compiled forward pass that also returns the backward
# pass's residuals, so that the backward pass does not run the forward pass again.
TapeRewrite = Callable[["JaxprTrace", Sequence[Any], dict[str, Any]], "list[Any] | None"]
tape_rewrites: dict[Primitive, TapeRewrite] = {}

# How a trace computes, in a parent that is itself a trace, the known value of an equation of
# one of these primitives: ``rule(parent, in_vals, params)`` returns the outputs' values (by
# default the primitive is bound again in the parent). ``custom_vjp_call`` registers one: on
# the tape of grad / vjp its value is ``fwd``'s output, already computed in the parent; loops,
# branches and checkpoints compute theirs with bodies whose custom_vjp calls run ``fwd``.
ParentBind = Callable[[Trace, list[Any], dict[str, Any]], list[Any]]
parent_binds: dict[Primitive, ParentBind] = {}


# Set by ``ensure_compile_time_eval`` (in its thread): operations on concrete values only run
# now, at the root.
_compile_time_eval = ThreadSetting(False)


@contextmanager
def ensure_compile_time_eval() -> Iterator[None]:
    """JAX's ``ensure_compile_time_eval``: inside the block, an operation whose operands are
    all concrete (NumPy arrays, numbers: nothing traced) is computed now, and gives a NumPy
    array, instead of being recorded in the jaxpr of ``jit``, ``make_jaxpr`` or ``vmap``.
    Operations on traced values are recorded as usual.

    functrace already computes the *values* of such operations while tracing (so Python
    control flow on them works without this block); the block makes the results plain arrays,
    which NumPy functions accept and which the jaxpr does not contain.  Effectful primitives
    (``debug.print``, ``pure_callback``, collectives) are still recorded: they run when the
    function runs.

    >>> import numpy as np, functrace as ft, functrace.numpy as fnp
    >>> def f(x):
    ...     with ft.ensure_compile_time_eval():
    ...         table = fnp.cos(np.linspace(0.0, np.pi, 3))  # a NumPy array, computed now
    ...     return x * table
    >>> print(ft.make_jaxpr(f)(np.ones(3)))
    { lambda a:f64[3]; b:f64[3]. let
        c:f64[3] = mul b a
      in (c,) }
    """
    with _compile_time_eval.set(True):
        yield


class JaxprTrace(Trace):
    """Records equations over its tracers; computes known values in the parent trace."""

    __slots__ = ("eqns", "constvars", "consts", "invars", "_lifted", "_originals", "values",
                 "fold_constants", "residuals_only")

    # Whether the recorded function runs again later, on later calls (jit's trace sets it).
    stages_for_later = False
    # Whether the trace records independently of the enclosing ones (jit's and checkpoint's
    # call traces): its ``lift`` takes any live tracer as a constant, so a trace nested in it
    # (a loop body, a branch) may close over a tracer its parents do not reach.
    lifts_any_tracer = False

    def __init__(self, parent: Trace, fold_constants: bool = False,
                 residuals_only: bool = False):
        super().__init__(parent)
        # Whether operations on constants alone (and zero-derivative operations on known values)
        # run one level up instead of being recorded: set when tracing known values for grad,
        # vjp and jvp (as in JAX, work that carries no derivative is not part of their trace).
        self.fold_constants = fold_constants
        # Whether ``values`` keeps only what the vjp rules read (``vjp_residuals``): the tape
        # of grad and vjp, which only a backward pass reads.
        self.residuals_only = residuals_only
        self.eqns: list[Eqn] = []
        self.constvars: list[Var] = []
        self.consts: list[Any] = []
        self.invars: list[Var] = []
        self._lifted: dict[int, Tracer] = {}
        self._originals: list[Any] = []  # arrays whose copies are constants (see ``lift``)
        # Known values one level up, by variable: the tape that reverse mode reads.
        self.values: dict[Var, Any] = {}

    def new_arg(self, aval: ShapedArray, val: Any = None) -> Tracer:
        var = Var(aval)
        self.invars.append(var)
        if val is not None:
            self.values[var] = val
        return Tracer(self, aval, var, val)

    def process(self, prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> list[Any]:
        parent = self.parent
        assert parent is not None
        if (_compile_time_eval.overridden and _compile_time_eval.get() and not prim.effectful
                and not any(isinstance(x, Tracer) for x in args)):
            set_current(_root)
            try:
                return prim.impl(*args, **params)
            finally:
                set_current(self)
        if self.fold_constants:
            # Fold what carries no derivative: operations on constants alone, and
            # zero-derivative operations on known values. They run one level up, where the
            # parent still records them if it is a trace, so higher derivatives see them.
            zero = prim in zero_derivative
            for x in args:
                if type(x) is Tracer and x._trace is self and (not zero or x.val is None):
                    break
            else:
                set_current(parent)
                try:
                    return parent.process(
                        prim, [x.val if type(x) is Tracer and x._trace is self else x
                               for x in args], params)
                finally:
                    set_current(self)
        if self.residuals_only and prim in tape_rewrites:
            outs = tape_rewrites[prim](self, args, params)
            if outs is not None:
                return outs
        invars: list[Atom] = []
        in_avals: list[ShapedArray] = []
        in_vals: list[Any] = []
        known = True
        for x in args:
            if type(x) is Tracer and x._trace is self:
                invars.append(x.variable)
                in_avals.append(x.aval)
                in_vals.append(x.val)
                known = known and x.val is not None
            elif isinstance(x, _SCALAR_TYPES) or (isinstance(x, np.ndarray) and x.ndim == 0):
                atom = self.to_atom(x)  # a literal
                invars.append(atom)
                in_avals.append(atom.aval)
                in_vals.append(x)
            else:
                # A constant, with its value as the parent sees it (an outer tracer is lifted).
                lifted = self.lift(x)
                invars.append(lifted.variable)
                in_avals.append(lifted.aval)
                in_vals.append(lifted.val)
                known = known and lifted.val is not None  # (a cond branch's: see trace_body)
        avals_out = prim.shape_rule(*in_avals, **params)
        if known and not self.fold_constants and has_effects(prim, params):
            # A callback in a staged trace (jit, make_jaxpr) runs when it runs; a collective
            # (also one inside a loop or a jitted call) only means something under its vmap.
            known = False
        if known and parent is _root and prim.impl1 is not None:
            # At the root, the values are concrete (lifted constants were checked): skip the
            # root's check for leaked tracers. A single-output implementation is NumPy code
            # that binds nothing, so the current trace need not change around it.
            vals_out = [prim.impl1(*in_vals, **params)]
        elif known:
            set_current(parent)
            try:
                if parent is _root:
                    vals_out = prim.impl(*in_vals, **params)
                else:
                    rule = parent_binds.get(prim)
                    vals_out = (parent.process(prim, in_vals, params) if rule is None
                                else rule(parent, in_vals, params))
            finally:
                set_current(self)
        else:
            vals_out = [None] * len(avals_out)
        values = self.values
        keep_out = True
        if known and self.residuals_only:
            # Keep what this equation's vjp rule will read: its inputs' values now (they were
            # not kept when computed), its outputs' below.
            uses = vjp_residuals.get(prim)
            if uses is None:
                for v, val in zip(invars, in_vals, strict=True):
                    if type(v) is Var:
                        values[v] = val
            else:
                keep_out, keep_in = uses
                if True in keep_in:
                    last = len(keep_in) - 1  # arguments past the end are read as the last one
                    for i, v in enumerate(invars):
                        if type(v) is Var and keep_in[i if i < last else last]:
                            values[v] = in_vals[i]
        if len(avals_out) == 1:  # the common case, without the generic list building
            aval, val = avals_out[0], vals_out[0]
            var = Var(aval)
            self.eqns.append(Eqn(prim, invars, [var], params))
            if val is not None:
                # A value no vjp rule reads is stood for by its aval (a scalar is kept anyway:
                # it costs no memory).
                values[var] = val if keep_out or not aval.shape else aval
            return [Tracer(self, aval, var, val)]
        outvars = [Var(a) for a in avals_out]
        self.eqns.append(Eqn(prim, invars, outvars, params))
        tracers = []
        for var, aval, val in zip(outvars, avals_out, vals_out, strict=True):
            if val is not None:
                values[var] = val if keep_out or not aval.shape else aval
            tracers.append(Tracer(self, aval, var, val))
        return tracers

    def to_atom(self, x: Any) -> Atom:
        """The jaxpr atom for an argument: our own variable, a literal, or a constant."""
        if type(x) is Tracer and x._trace is self:
            return x.variable
        if isinstance(x, _SCALAR_TYPES):
            return Literal(x, get_aval(x))
        if isinstance(x, np.ndarray) and x.ndim == 0:
            return Literal(x[()], get_aval(x))  # its value now, as a NumPy scalar
        return self.lift(x).variable

    def lift(self, x: Any) -> Tracer:
        """A tracer of this trace standing for ``x``: a constant array or an outer tracer."""
        if isinstance(x, Tracer):
            if x._trace is self:
                return x
            self._check_reachable(x)
        tracer = self._lifted.get(id(x))
        if tracer is None:
            aval = get_aval(x)
            if isinstance(x, Tracer) and x._trace is not self.parent:
                parent = self.parent
                assert isinstance(parent, JaxprTrace)
                val: Any = parent.lift(x)
            else:
                val = x
            const = x
            if type(x) is np.ndarray and (x.flags.writeable or x.base is not None) \
                    and self._staged():
                # A function recorded for later calls sees the array as it is now, as in JAX:
                # writing into the array afterwards must not change some of the function's
                # results (those computed anew) but not others (those folded at compile time).
                const = val = x.copy()
                const.flags.writeable = False
                self._originals.append(x)  # keeps id(x), the key in _lifted, from reuse
            var = Var(aval)
            self.constvars.append(var)
            self.consts.append(const)
            # With residuals only, the value is kept when an equation's rule reads it.
            self.values[var] = aval if self.residuals_only else val
            tracer = self._lifted[id(x)] = Tracer(self, aval, var, val)
        return tracer

    def _staged(self) -> bool:
        """Whether this trace records (part of) a function that will run again later."""
        trace: Trace | None = self
        while isinstance(trace, JaxprTrace):
            if trace.stages_for_later:
                return True
            trace = trace.parent
        return False

    def _check_reachable(self, x: Tracer) -> None:
        trace: Trace | None = self.parent
        while trace is not None:
            if trace is x._trace:
                if trace.alive:
                    return
                break
            if isinstance(trace, JaxprTrace) and trace.lifts_any_tracer:
                return  # (its lift checks that x is alive)
            trace = trace.parent
        raise TracerLeakError(_leak_message(x, Primitive("lift")))

    def to_jaxpr(self, outs: Sequence[Any]) -> tuple[ClosedJaxpr, list[Any]]:
        """Finish tracing: the closed jaxpr and the known values of its outputs (or None)."""
        outvars = [self.to_atom(x) for x in outs]
        jaxpr = Jaxpr(self.constvars, self.invars, outvars, self.eqns)
        # (A lifted constant's tracer is found by to_atom above: lift returns it again.)
        out_vals = [x.val if type(x) is Tracer and x._trace is self
                    else v.val if isinstance(v, Literal) else self.lift(x).val
                    for v, x in zip(outvars, outs, strict=True)]
        self.alive = False
        return ClosedJaxpr(jaxpr, self.consts), out_vals


def trace_flat(
    fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray], in_vals: Sequence[Any],
    fold_constants: bool = False, residuals_only: bool = False,
    trace_type: type[JaxprTrace] | None = None,
) -> tuple[ClosedJaxpr, list[Any], JaxprTrace]:
    """Trace ``fun`` (flat lists in and out) into a closed jaxpr.

    ``in_vals`` gives each input's known value one level up, or None for an abstract input.
    ``fold_constants``: compute operations whose operands are all constants one level up
    instead of recording them (for the traces of grad, vjp and jvp, whose inputs are known).
    ``residuals_only``: keep in the trace's ``values`` only what the vjp rules read (for the
    traces of grad and vjp, which only a backward pass reads).
    Returns the jaxpr, the known values of its outputs, and the finished trace (whose
    ``values`` maps every known variable, or every residual, to its value: the tape of reverse
    mode).  ``trace_type``: a subclass of JaxprTrace to record with.
    """
    prev = get_current()
    trace = (trace_type or JaxprTrace)(prev, fold_constants, residuals_only)
    tracers = [trace.new_arg(a, v) for a, v in zip(in_avals, in_vals, strict=True)]
    set_current(trace)
    # Tracing allocates a few acyclic objects per equation; pausing the cyclic garbage collector
    # keeps the cost per equation flat instead of growing with the number of live objects.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        closed, out_vals = trace.to_jaxpr(list(fun(*tracers)))
    finally:
        set_current(prev)
        trace.alive = False
        # The lifted-constant tracers point back at the trace: drop them, so that the trace
        # (and the tape of values it holds) is freed as soon as it is unused, by reference
        # counting, instead of waiting for the cyclic collector.
        trace._lifted.clear()
        if gc_was_enabled:
            gc.enable()
    return closed, out_vals, trace


def trace_abstract(
    fun: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray]
) -> ClosedJaxpr:
    """Trace ``fun`` on abstract inputs of the given types (for make_jaxpr, jit, vmap)."""
    return trace_flat(fun, in_avals, [None] * len(in_avals))[0]


def trace_known(
    fun: Callable[..., Sequence[Any]], args: Sequence[Any]
) -> tuple[ClosedJaxpr, list[Any], dict[Var, Any]]:
    """Trace ``fun`` on known inputs (for grad, jvp, vjp): returns the jaxpr, the output values
    and the values of all its variables, each as seen by the caller's trace."""
    closed, out_vals, trace = trace_flat(fun, [get_aval(x) for x in args], args,
                                         fold_constants=True)
    return closed, out_vals, trace.values


class _LinearValues(dict):  # type: ignore[type-arg]
    """The tape of a function linear in its (unknown) inputs: the variables that depend on them
    are zero at the point of linearisation, which is all a linear function's vjp reads."""

    def __missing__(self, var: Any) -> Any:
        return zeros(var.aval.strong())


def transpose_linear(linear: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray],
                     cts: Sequence[Any]) -> list[Any]:
    """The cotangents of the inputs of ``linear`` (flat lists in and out, linear in its inputs
    of types ``in_avals``) given its outputs' cotangents ``cts`` (None for a zero): ``linear``
    traced on abstract inputs and pulled back, in JAX's convention (a transpose, not an adjoint,
    for complex values).  What ``linear`` closes over may be traced: the transpose is then
    recorded in the enclosing trace, so it can be differentiated again."""
    closed, _, trace = trace_flat(linear, in_avals, [None] * len(in_avals))
    return backward_pass(closed.jaxpr, _LinearValues(trace.values), cts, [True] * len(in_avals))
