"""Optimisation passes over closed jaxprs, run by ``jit`` before compiling.

Each pass is a small function ``ClosedJaxpr -> ClosedJaxpr`` (passes that fold or inline need
the constants, so every pass takes and returns the closed form).  A pass never mutates its
input: it builds a new jaxpr, reusing the ``Var`` and ``Eqn`` objects it does not change.  All
passes are one linear sweep over the equations.

* :func:`inline_calls`: splice nested ``jit`` calls into the caller.
* :func:`fold_constants`: evaluate equations whose inputs are all constants, once, now.
* :func:`forward_trivial`: drop equations that return an input unchanged (``x*1``, ``x+0``,
  a reshape to the same shape, ...).
* :func:`cse`: common-subexpression elimination (same primitive, params and inputs).
* :func:`dce`: dead-code elimination.
* :func:`transpose_products`: compute ``(a @ b).T`` as ``b.T @ a.T``.

Every pass preserves derivatives as well as values (``stop_gradient`` is never forwarded), so
an optimised jaxpr may itself be differentiated.  :func:`optimize` runs them in order.
Primitives are recognised by name, so this module does not depend on ``functrace.primitives``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    Var,
    has_effects,
)

Pass = Callable[[ClosedJaxpr], ClosedJaxpr]

# Call primitives whose ``jaxpr`` param (a ClosedJaxpr) may be inlined; jit registers its own.
inlinable: set[Primitive] = set()
# Equations of an inlinable primitive that stay calls when the test holds (a checkpoint's
# recomputation, which must not be merged with the forward pass it repeats).
keep_calls: dict[Primitive, Callable[[Eqn], bool]] = {}

# Folding an equation costs memory for its result for as long as the jaxpr lives, so results
# bigger than this (in elements) stay computed at run time, unless the primitive only makes a
# view (broadcast_to, reshape, ...), which costs no memory.
FOLD_LIMIT = 1 << 16
_VIEW_PRIMS = frozenset({"broadcast_in_dim", "reshape", "transpose", "squeeze", "expand_dims"})
_COMMUTATIVE = frozenset({"add", "mul", "max", "min", "eq", "ne", "and", "or", "xor"})


def _closed(constvars: list[Var], consts: list[Any], invars: list[Var], outvars: list[Atom],
            eqns: list[Eqn]) -> ClosedJaxpr:
    return ClosedJaxpr(Jaxpr(constvars, invars, outvars, eqns), consts)


def _renamed(eqn: Eqn, invars: list[Atom]) -> Eqn:
    """``eqn`` reading ``invars`` (the same object when nothing changed)."""
    if all(a is b for a, b in zip(invars, eqn.invars, strict=True)):
        return eqn
    return Eqn(eqn.primitive, invars, eqn.outvars, eqn.params)


def _sub(env: dict[Var, Atom], v: Atom) -> Atom:
    return env.get(v, v) if type(v) is Var else v  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Dead-code elimination


def dce(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Remove equations and constants that no output depends on.

    Inputs are kept (the signature does not change).  Every primitive but the effectful ones
    (``Primitive.effectful``: debug callbacks) is pure, so an equation none of whose outputs
    is used can go.

    >>> import functrace as ft
    >>> closed = ft.make_jaxpr(lambda x: (ft.numpy.sin(x), x * 2.0)[1])(1.0)
    >>> print(dce(closed))
    { lambda ; a:f64[]. let
        b:f64[] = mul a 2.0:f64[]
      in (b,) }
    """
    jaxpr = closed.jaxpr
    live = {v for v in jaxpr.outvars if type(v) is Var}
    kept = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars) or has_effects(eqn.primitive, eqn.params):
            kept.append(eqn)
            live.update(v for v in eqn.invars if type(v) is Var)  # type: ignore[misc]
    kept.reverse()
    pairs = [(v, c) for v, c in zip(jaxpr.constvars, closed.consts, strict=True) if v in live]
    return _closed([v for v, _ in pairs], [c for _, c in pairs], jaxpr.invars, jaxpr.outvars,
                   kept)


# ---------------------------------------------------------------------------------------------
# Common-subexpression elimination


def _atom_key(v: Atom) -> Any:
    if isinstance(v, Var):
        return v
    # Literals compare by dtype and bits: 0.0 and -0.0 differ, equal NaNs merge.
    return ("literal", v.aval.dtype, np.asarray(v.val, v.aval.dtype).tobytes())


def _eqn_key(eqn: Eqn, invars: list[Atom]) -> Any:
    if has_effects(eqn.primitive, eqn.params):
        return None  # two prints of one value are two prints
    try:
        params = tuple(sorted(eqn.params.items()))
        hash(params)
    except TypeError:
        return None  # unhashable params: leave the equation alone
    keys = [_atom_key(v) for v in invars]
    if eqn.primitive.name in _COMMUTATIVE and len(keys) == 2:
        keys.sort(key=lambda k: (1, k[2]) if isinstance(k, tuple) else (0, id(k)))
    return (eqn.primitive, params, tuple(keys))


def cse(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Compute each distinct (primitive, params, inputs) once; later copies reuse the result.

    Inputs of commutative primitives (``add``, ``mul``, ...) are compared as a set;
    literals compare by value.

    >>> import functrace as ft, functrace.numpy as fnp
    >>> closed = ft.make_jaxpr(lambda x: fnp.sin(x) + fnp.sin(x))(1.0)
    >>> print(cse(closed))
    { lambda ; a:f64[]. let
        b:f64[] = sin a
        c:f64[] = add b b
      in (c,) }
    """
    jaxpr = closed.jaxpr
    env: dict[Var, Atom] = {}
    seen: dict[Any, list[Var]] = {}
    eqns = []
    for eqn in jaxpr.eqns:
        invars = [_sub(env, v) for v in eqn.invars]
        key = _eqn_key(eqn, invars)
        prev = seen.get(key) if key is not None else None
        if prev is not None:
            env.update(zip(eqn.outvars, prev, strict=True))
            continue
        if key is not None:
            seen[key] = eqn.outvars
        eqns.append(_renamed(eqn, invars))
    outvars = [_sub(env, v) for v in jaxpr.outvars]
    return _closed(jaxpr.constvars, closed.consts, jaxpr.invars, outvars, eqns)


# ---------------------------------------------------------------------------------------------
# Constant folding


def _read_only(x: Any) -> Any:
    """A folded value the compiled code shares between calls: protect it from writes."""
    if isinstance(x, np.ndarray) and x.flags.writeable:
        x = x.view()
        x.flags.writeable = False
    return x


def _foldable(eqn: Eqn) -> bool:
    if has_effects(eqn.primitive, eqn.params):
        return False  # (run at every call, never once at compile time)
    if eqn.primitive.name in _VIEW_PRIMS:
        return True
    return all(v.aval.size <= FOLD_LIMIT for v in eqn.outvars)


def fold_constants(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Evaluate, once, every equation whose inputs are all constants or literals.

    Folded 0-d results become literals, others constants (made read-only, as the compiled
    code shares them between calls).  Results larger than ``FOLD_LIMIT`` elements are left
    to run time unless the primitive only makes a view, so a broadcast of a scalar to a huge
    shape stays a cheap view and is never materialised.

    >>> import numpy as np, functrace as ft, functrace.numpy as fnp
    >>> w = np.array([1.0, 2.0])
    >>> closed = ft.make_jaxpr(lambda x: x * fnp.exp(w))(np.zeros(2))
    >>> print(fold_constants(closed))
    { lambda a:f64[2]; b:f64[2]. let
        c:f64[2] = mul b a
      in (c,) }
    """
    jaxpr = closed.jaxpr
    known: dict[Var, Any] = dict(zip(jaxpr.constvars, closed.consts, strict=True))
    eqns = []
    for eqn in jaxpr.eqns:
        if all(type(v) is Literal or v in known for v in eqn.invars) and _foldable(eqn):
            args = [v.val if isinstance(v, Literal) else known[v] for v in eqn.invars]
            try:
                outs = eqn.primitive.impl(*args, **eqn.params)
            except Exception:  # leave the error (if any) to run time, where it belongs
                eqns.append(eqn)
                continue
            known.update((v, _read_only(o)) for v, o in zip(eqn.outvars, outs, strict=True))
        else:
            eqns.append(eqn)
    # The known values still read become constants (arrays) or literals (0-d values).
    env: dict[Var, Atom] = {}
    constvars, consts = [], []
    original = set(jaxpr.constvars)

    def use(v: Atom) -> Atom:
        if type(v) is not Var or v not in known:
            return v
        new = env.get(v)
        if new is None:
            val = known[v]
            if np.ndim(val) == 0 and v not in original:
                new = Literal(np.asarray(val, v.aval.dtype)[()], v.aval)
            else:
                new = v
                constvars.append(v)
                consts.append(val)
            env[v] = new
        return new

    eqns = [_renamed(e, [use(v) for v in e.invars]) for e in eqns]
    outvars = [use(v) for v in jaxpr.outvars]
    return _closed(constvars, consts, jaxpr.invars, outvars, eqns)


# ---------------------------------------------------------------------------------------------
# Forwarding of trivial equations


def _uniform(val: Any) -> Any:
    """The single value of an array all of whose entries are equal (a scalar or a broadcast
    view, recognised by its zero strides), else None."""
    if isinstance(val, np.ndarray) and val.size and (val.size == 1 or not any(val.strides)):
        return val.reshape(-1)[0]
    return None


def _is(v: Atom, value: int, uniform: dict[Var, Any]) -> bool:
    u = np.asarray(v.val) if isinstance(v, Literal) else uniform.get(v)
    return u is not None and bool(u == value)


# name -> rule(eqn, uniform): the input atom the equation returns unchanged, or None;
# ``uniform`` maps variables known to hold one repeated value to that value.
TrivialRule = Callable[[Eqn, dict[Var, Any]], Atom | None]


def _identity_if(test: Callable[..., bool]) -> TrivialRule:
    """The first input, when ``test(**params, aval=<input aval>)`` holds."""
    return lambda eqn, uniform: eqn.invars[0] if test(eqn.invars[0].aval, **eqn.params) else None


def _unit_rule(unit: int, commutative: bool) -> TrivialRule:
    """``x op unit -> x`` (and ``unit op x -> x`` when ``op`` commutes)."""

    def rule(eqn: Eqn, uniform: dict[Var, Any]) -> Atom | None:
        x, y = eqn.invars
        if _is(y, unit, uniform):
            return x
        if commutative and _is(x, unit, uniform):
            return y
        return None

    return rule


trivial_rules: dict[str, TrivialRule] = {
    "add": _unit_rule(0, commutative=True),
    "sub": _unit_rule(0, commutative=False),
    "mul": _unit_rule(1, commutative=True),
    "div": _unit_rule(1, commutative=False),
    "integer_pow": _identity_if(lambda aval, y: y == 1),
    "reshape": _identity_if(lambda aval, new_sizes: tuple(new_sizes) == aval.shape),
    "convert_element_type": _identity_if(lambda aval, new_dtype, weak_type=False:
                                         aval.dtype == new_dtype),
    "transpose": _identity_if(lambda aval, permutation: tuple(permutation) ==
                              tuple(range(aval.ndim))),
    "broadcast_in_dim": _identity_if(lambda aval, shape, broadcast_dimensions: (
        tuple(shape) == aval.shape and tuple(broadcast_dimensions) == tuple(range(aval.ndim)))),
    "squeeze": _identity_if(lambda aval, dimensions: not dimensions),
    "expand_dims": _identity_if(lambda aval, dimensions: not dimensions),
    "reduce_sum": _identity_if(lambda aval, axes: not axes),
    "reduce_max": _identity_if(lambda aval, axes: not axes),
    "reduce_min": _identity_if(lambda aval, axes: not axes),
}


def _same_type(a: ShapedArray, b: ShapedArray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype


def forward_trivial(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Drop equations that return one of their inputs unchanged, reading that input instead:
    ``x*1``, ``1*x``, ``x+0``, ``x-0``, ``x/1``, ``x**1``, a reshape / transpose / broadcast /
    convert to what ``x`` already is, a reduction over no axes.

    >>> import numpy as np, functrace as ft
    >>> closed = ft.make_jaxpr(lambda x: (x * 1.0 + 0.0).reshape(3))(np.ones(3))
    >>> print(dce(forward_trivial(closed)))
    { lambda ; a:f64[3]. let
      in (a,) }
    """
    jaxpr = closed.jaxpr
    uniform = {v: u for v, c in zip(jaxpr.constvars, closed.consts, strict=True)
               if (u := _uniform(c)) is not None}
    env: dict[Var, Atom] = {}
    eqns = []
    for eqn in jaxpr.eqns:
        eqn = _renamed(eqn, [_sub(env, v) for v in eqn.invars])
        name = eqn.primitive.name
        rule = trivial_rules.get(name)
        same = rule(eqn, uniform) if rule is not None and len(eqn.outvars) == 1 else None
        if same is not None and _same_type(same.aval, eqn.outvars[0].aval):
            env[eqn.outvars[0]] = same
            continue
        eqns.append(eqn)
        if name in _VIEW_PRIMS:  # a broadcast of a scalar stays one value
            x = eqn.invars[0]
            u = np.asarray(x.val) if isinstance(x, Literal) else uniform.get(x)
            if u is not None:
                uniform[eqn.outvars[0]] = u
    outvars = [_sub(env, v) for v in jaxpr.outvars]
    return _closed(jaxpr.constvars, closed.consts, jaxpr.invars, outvars, eqns)


# ---------------------------------------------------------------------------------------------
# Transposed products


def transpose_products(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Rewrite ``transpose(dot_general(a, b))`` as ``dot_general(b, a)`` when the transpose
    just swaps the two operands' free axes and nothing else reads the product.

    Reverse mode produces this pattern for every weight gradient (``(x.T @ ct).T``); the
    rewrite computes the product directly in the layout it is used in, so the elementwise
    operations after it (an optimizer update, say) see contiguous arrays.

    >>> import numpy as np, functrace as ft
    >>> closed = ft.make_jaxpr(lambda a, b: (a @ b).T)(np.ones((2, 3)), np.ones((3, 4)))
    >>> print(transpose_products(closed))
    { lambda ; a:f64[2,3] b:f64[3,4]. let
        c:f64[4,2] = dot_general[dimension_numbers=(((0,), (1,)), ((), ()))] b a
      in (c,) }
    """
    jaxpr = closed.jaxpr
    uses: dict[Var, int] = {v: 1 for v in jaxpr.outvars if type(v) is Var}
    producer: dict[Var, Eqn] = {}
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            if type(v) is Var:
                uses[v] = uses.get(v, 0) + 1
        if eqn.primitive.name == "dot_general" and len(eqn.outvars) == 1:
            producer[eqn.outvars[0]] = eqn
    swapped: dict[Eqn, Eqn] = {}  # the dot equation -> its replacement
    dropped: set[Eqn] = set()
    for eqn in jaxpr.eqns:
        if eqn.primitive.name != "transpose" or type(eqn.invars[0]) is not Var:
            continue
        dot = producer.get(eqn.invars[0])  # type: ignore[arg-type]
        if dot is None or uses.get(eqn.invars[0], 0) != 1:  # type: ignore[arg-type]
            continue
        (lc, rc), (lb, rb) = dot.params["dimension_numbers"]
        n_lhs = dot.invars[0].aval.ndim - len(lc)
        n_rhs = dot.invars[1].aval.ndim - len(rc)
        swap = (*range(n_lhs, n_lhs + n_rhs), *range(n_lhs))
        if lb or rb or tuple(eqn.params["permutation"]) != swap:
            continue
        params = dict(dot.params, dimension_numbers=((tuple(rc), tuple(lc)), ((), ())))
        swapped[dot] = Eqn(dot.primitive, [dot.invars[1], dot.invars[0]], eqn.outvars, params)
        dropped.add(eqn)
    if not swapped:
        return closed
    eqns = [swapped.get(e, e) for e in jaxpr.eqns if e not in dropped]
    return _closed(jaxpr.constvars, closed.consts, jaxpr.invars, jaxpr.outvars, eqns)


# ---------------------------------------------------------------------------------------------
# Inlining of nested calls


def inline_calls(closed: ClosedJaxpr) -> ClosedJaxpr:
    """Replace each call of an ``inlinable`` primitive by the equations of its inner jaxpr
    (recursively), renaming the inner variables; the inner constants join the outer ones.

    >>> import functrace as ft
    >>> inner = ft.jit(lambda x: x * 2.0)
    >>> closed = ft.make_jaxpr(lambda x: inner(x) + 1.0)(1.0)
    >>> print(inline_calls(closed))
    { lambda ; a:f64[]. let
        b:f64[] = mul a 2.0:f64[]
        c:f64[] = add b 1.0:f64[]
      in (c,) }
    """
    jaxpr = closed.jaxpr
    if not any(e.primitive in inlinable for e in jaxpr.eqns):
        return closed
    constvars, consts = list(jaxpr.constvars), list(closed.consts)
    env: dict[Var, Atom] = {}
    eqns: list[Eqn] = []
    for eqn in jaxpr.eqns:
        invars = [_sub(env, v) for v in eqn.invars]
        keep = keep_calls.get(eqn.primitive)
        if eqn.primitive not in inlinable or (keep is not None and keep(eqn)):
            eqns.append(_renamed(eqn, invars))
            continue
        inner = inline_calls(eqn.params["jaxpr"])
        # Fresh variables for each inlined copy: the same jaxpr may be called twice.
        inner_env: dict[Var, Atom] = dict(zip(inner.jaxpr.invars, invars, strict=True))
        for v, c in zip(inner.jaxpr.constvars, inner.consts, strict=True):
            inner_env[v] = new = Var(v.aval)
            constvars.append(new)
            consts.append(c)
        for e in inner.jaxpr.eqns:
            outs = [Var(v.aval) for v in e.outvars]
            inner_env.update(zip(e.outvars, outs, strict=True))
            eqns.append(Eqn(e.primitive, [_sub(inner_env, v) for v in e.invars], outs, e.params))
        env.update(zip(eqn.outvars, [_sub(inner_env, v) for v in inner.jaxpr.outvars],
                       strict=True))
    outvars = [_sub(env, v) for v in jaxpr.outvars]
    return _closed(constvars, consts, jaxpr.invars, outvars, eqns)


# ---------------------------------------------------------------------------------------------

PASSES: tuple[Pass, ...] = (inline_calls, fold_constants, forward_trivial, cse, forward_trivial,
                            dce, transpose_products)


def optimize(closed: ClosedJaxpr, passes: Sequence[Pass] = PASSES) -> ClosedJaxpr:
    """Run the passes in order (by default: inline, fold, forward, CSE, forward, DCE, then
    the transposed-product rewrite).

    >>> import functrace as ft, functrace.numpy as fnp
    >>> f = lambda x1, x2: x1 * x2 + fnp.exp(x1 * x2) - fnp.sin(x2)
    >>> print(optimize(ft.make_jaxpr(f)(1.5, 0.5)))
    { lambda ; a:f64[] b:f64[]. let
        c:f64[] = mul a b
        d:f64[] = exp c
        e:f64[] = add c d
        f:f64[] = sin b
        g:f64[] = sub e f
      in (g,) }
    """
    for p in passes:
        closed = p(closed)
    return closed
