"""Structured control flow that every transformation understands, with JAX's signatures.

``cond``, ``switch``, ``while_loop``, ``fori_loop`` and ``scan`` trace their branches and
bodies on abstract values (shapes and dtypes) into jaxprs and bind one control-flow primitive
(``functrace/primitives/control_flow.py``) that carries them.  So, unlike Python ``if`` and
``for``, they stay in the IR under ``jit``, ``vmap`` and ``make_jaxpr``, and every derivative
rule applies.  Beyond JAX, ``while_loop`` (and so ``fori_loop`` with traced bounds) supports
reverse mode, with optional checkpointing.  See docs/control_flow.md.

Each function is flatten -> bind on flat lists -> unflatten; pytrees appear only here.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import functrace.numpy as fnp
from functrace import _lax_gather, _lax_ops
from functrace._lax_solvers import custom_linear_solve, custom_root
from functrace.api import vmap as _vmap
from functrace.core import ClosedJaxpr, Jaxpr, ShapedArray, Tracer, Var, current_trace, get_aval
from functrace.lax import linalg
from functrace.numpy import clip, not_equal, stop_gradient
from functrace.primitives.control_flow import (
    cond_p,
    convert_outputs,
    scan_p,
    scan_with_residuals,
    trace_body,
    while_p,
)
from functrace.primitives.elementwise import convert_element_type as _convert
from functrace.tracing import JaxprTrace
from functrace.tree_util import PyTreeDef, tree_flatten, tree_unflatten

__all__ = ["cond", "custom_linear_solve", "custom_root", "fori_loop", "linalg", "map", "scan",
           "scatter_apply", "stop_gradient", "switch", "while_loop", *_lax_ops.__all__]
# (stop_gradient is also here, as jax.lax.stop_gradient is: the same function as
# functrace.stop_gradient.)  jax.lax's other operations live in functrace/_lax_ops.py and are
# attributes of this module through __getattr__ (below), so that their names (max, min,
# abs, round, slice...) do not shadow Python's builtins in this module's own code.

_SCALARS = (bool, int, float, complex)


# ---------------------------------------------------------------------------------------------
# Helpers: flattening, tracing user functions, reconciling types


def _leaves(tree: Any, what: str) -> tuple[list[Any], PyTreeDef]:
    leaves, treedef = tree_flatten(tree)
    out = []
    for leaf in leaves:
        x = leaf
        if not isinstance(x, (Tracer, np.ndarray, np.generic, *_SCALARS)):
            try:
                x = np.asarray(x)
            except Exception:
                x = None
            if x is None or x.dtype.kind not in "biufc":
                raise TypeError(f"{what} must be arrays, numbers or pytrees of them; got a "
                                f"value of type {type(leaf).__name__}.")
        out.append(x)
    return out, treedef


def _to_output(x: Any) -> Any:
    return x if isinstance(x, Tracer) else np.asarray(x)


def _name(f: Any) -> str:
    return str(getattr(f, "__name__", type(f).__name__))


def check_callable(what: str, **funs: Any) -> None:
    """A TypeError naming the argument of ``what`` that is not callable (as JAX checks)."""
    for name, f in funs.items():
        if not callable(f):
            raise TypeError(f"lax.{what}: {name} argument should be callable, got a value of "
                            f"type {type(f).__name__}.")


class _Traced:
    """A user function traced on flat leaves: its jaxpr (the traced values it closes over are
    its leading inputs, ``consts``) and its output tree(s)."""

    def __init__(self, fun: Callable[..., Any], in_trees: Sequence[PyTreeDef],
                 avals: Sequence[ShapedArray], what: str, pair: bool = False,
                 branch: bool = False):
        self.out_trees: list[PyTreeDef] = []
        sizes = [t.num_leaves for t in in_trees]

        def flat(*leaves: Any) -> list[Any]:
            args, start = [], 0
            for tree, n in zip(in_trees, sizes, strict=True):
                args.append(tree_unflatten(tree, leaves[start:start + n]))
                start += n
            out = fun(*args)
            parts = [out]
            if pair:
                if not (isinstance(out, (tuple, list)) and len(out) == 2):
                    got = (f"a {type(out).__name__} of length {len(out)}"
                           if isinstance(out, (tuple, list)) else f"a {type(out).__name__}")
                    raise TypeError(f"{what} must return a pair (carry, y), but it returned "
                                    f"{got}.")
                parts = list(out)
            flat_out = []
            for part in parts:
                leaves_out, tree = _leaves(part, f"the outputs of {what}")
                self.out_trees.append(tree)
                flat_out += leaves_out
            return flat_out

        self.jaxpr, self.consts = trace_body(flat, avals, branch)


def _describe(avals: Sequence[ShapedArray]) -> str:
    return ", ".join(a.str_short() for a in avals)


def _join_branch_types(traced: Sequence[_Traced], names: Sequence[str], what: str
                       ) -> list[ClosedJaxpr]:
    """The branches' jaxprs with output types made equal: weakly typed outputs (Python
    scalars) take the dtype of the others; any other difference is a TypeError."""
    first = traced[0]
    for t, name in zip(traced[1:], names[1:], strict=True):
        if t.out_trees != first.out_trees:
            raise TypeError(f"{what}: the branches must return the same pytree structure, but "
                            f"{names[0]} returned {first.out_trees[0]} and {name} returned "
                            f"{t.out_trees[0]}.")
    outs = [t.jaxpr.out_avals for t in traced]
    targets: list[list[Any]] = [[None] * len(outs[0]) for _ in traced]
    for k, avals in enumerate(zip(*outs, strict=True)):
        a0 = avals[0]
        for a, name in zip(avals, names, strict=True):
            if a.shape != a0.shape or (a.dtype != a0.dtype and not (a.weak_type or a0.weak_type)):
                raise TypeError(
                    f"{what}: the branches must return the same types, but output {k} "
                    f"(of the structure {first.out_trees[0]}) is {a0.str_short()} in "
                    f"{names[0]} and {a.str_short()} in {name}. Convert one of them "
                    "(e.g. with .astype()) so that shapes and dtypes match.")
        if all(a.dtype == a0.dtype for a in avals):
            continue
        strong = {a.dtype for a in avals if not a.weak_type}
        target = strong.pop() if strong else np.result_type(*[a.dtype for a in avals])
        for b, a in enumerate(avals):
            if a.dtype != target:
                targets[b][k] = target
    return [convert_outputs(t.jaxpr, d) if any(x is not None for x in d) else t.jaxpr
            for t, d in zip(traced, targets, strict=True)]


def _carry_types(in_avals: Sequence[ShapedArray], out_avals: Sequence[ShapedArray],
                 what: str, tree: PyTreeDef) -> tuple[list[Any], list[ShapedArray | None]]:
    """How to make a loop body's carry output types equal to its input types: output dtypes
    to convert to (weakly typed outputs), and input types to promote (weakly typed inputs,
    such as a Python ``0.0`` init, take the body's dtype).  Other mismatches: TypeError."""
    convert: list[Any] = []
    promote: list[ShapedArray | None] = []
    for k, (a, o) in enumerate(zip(in_avals, out_avals, strict=True)):
        same = o.shape == a.shape and o.dtype == a.dtype
        convert.append(None)
        promote.append(None)
        if same:
            continue
        if o.shape == a.shape and a.weak_type:
            promote[-1] = ShapedArray(a.shape, o.dtype)
        elif o.shape == a.shape and o.weak_type:
            convert[-1] = a.dtype
        else:
            raise TypeError(
                f"{what} must return a carry of the same type as its input, but carry leaf {k} "
                f"(of the structure {tree}) is {a.str_short()} on input and {o.str_short()} "
                "on output. A loop's carry keeps a fixed shape and dtype: convert the output "
                "(e.g. with .astype()) or give the initial value the dtype you need.")
    return convert, promote


def _retype(x: Any, aval: ShapedArray) -> Any:
    if get_aval(x).dtype == aval.dtype:
        return x
    if isinstance(x, Tracer):
        return _convert(x, aval.dtype)
    return np.asarray(x, dtype=aval.dtype)


def _trace_loop_body(fun: Callable[..., Any], init: list[Any], init_tree: PyTreeDef,
                     extra_trees: Sequence[PyTreeDef], extra_avals: Sequence[ShapedArray],
                     what: str, pair: bool) -> tuple[_Traced, list[Any]]:
    """Trace a loop body whose first argument is the carry, making the carry's type a fixed
    point (promoting weakly typed initial values); returns it and the retyped init."""
    avals = [get_aval(x) for x in init]
    for _ in range(len(avals) + 1):
        body = _Traced(fun, [init_tree, *extra_trees], [*avals, *extra_avals], what, pair)
        if body.out_trees[0] != init_tree:
            raise TypeError(f"{what} must return a carry with the structure of its input, "
                            f"{init_tree}, but it returned {body.out_trees[0]}.")
        nh = len(avals)
        convert, promote = _carry_types(avals, body.jaxpr.out_avals[:nh], what, init_tree)
        if not any(p is not None for p in promote):
            if any(c is not None for c in convert):
                dtypes = [*convert, *[None] * (len(body.jaxpr.out_avals) - nh)]
                body.jaxpr = convert_outputs(body.jaxpr, dtypes)
            return body, [_retype(x, a) for x, a in zip(init, avals, strict=True)]
        avals = [p or a for p, a in zip(promote, avals, strict=True)]
    raise AssertionError("loop carry types did not reach a fixed point")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# cond and switch


def _index_scalar(x: Any, what: str) -> ShapedArray:
    aval = get_aval(x)
    if aval.shape != ():
        raise TypeError(f"{what} must be a scalar, got an array of shape {aval.shape}.")
    return aval


_NO_OPERAND = object()


def _operands(operands: tuple[Any, ...], operand: Any, what: str) -> tuple[Any, ...]:
    if operand is _NO_OPERAND:
        return operands
    if operands:
        raise TypeError(f"{what}: if the operand keyword is passed, no positional operands can "
                        f"be passed; got operand={operand!r} and operands {operands!r}.")
    return (operand,)


def cond(pred: Any, true_fun: Callable[..., Any], false_fun: Callable[..., Any],
         *operands: Any, operand: Any = _NO_OPERAND) -> Any:
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``, as one IR equation.

    Both branches are traced (on the operands' shapes and dtypes) and must return the same
    pytree structure, shapes and dtypes; only the chosen one runs.  Under ``vmap`` with a
    batched ``pred`` both run and a ``select_n`` picks each example's result.

    Args:
      pred: a boolean (or number: nonzero is true) scalar.
      true_fun, false_fun: functions of ``*operands``.  They may close over other values.
      *operands: pytrees of arrays passed to the chosen branch.
      operand: the single operand, by keyword (JAX's older signature).

    Returns:
      The chosen branch's output.

    Raises:
      TypeError: ``pred`` is not a boolean or numeric scalar, a branch is not callable, or the
        branches' outputs differ in structure, shape or dtype.

    >>> import functrace as ft, functrace.numpy as fnp
    >>> from functrace import lax
    >>> float(lax.cond(True, lambda x: x + 1.0, lambda x: x - 1.0, 2.0))
    3.0
    >>> f = lambda x: lax.cond(x > 0, fnp.sin, fnp.cos, x)
    >>> round(float(ft.grad(f)(0.5)), 6), round(float(ft.jit(ft.grad(f))(-0.5)), 6)
    (0.877583, 0.479426)
    """
    if not (callable(true_fun) and callable(false_fun)):
        raise TypeError("cond: true_fun and false_fun arguments should be callable, got "
                        f"{type(true_fun).__name__} and {type(false_fun).__name__}.")
    operands = _operands(operands, operand, "cond")
    if pred is None or isinstance(pred, (tuple, list)):
        raise TypeError(f"cond: pred must be a boolean or numeric scalar, got {pred!r}.")
    aval = _index_scalar(pred, "cond: pred")
    if aval.dtype.kind not in "biuf":
        raise TypeError(f"cond: pred must be a boolean or numeric scalar, got dtype "
                        f"{aval.dtype}. Compare explicitly, e.g. `x > 0`.")
    if aval.dtype.kind != "b":
        pred = not_equal(pred, 0)
    index = (np.int32(bool(pred)) if isinstance(pred, (bool, np.bool_))
             else _convert(pred, np.int32))
    names = (f"false_fun ({_name(false_fun)})", f"true_fun ({_name(true_fun)})")
    return _switch(index, (false_fun, true_fun), operands, "cond", names)


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any,
           operand: Any = _NO_OPERAND) -> Any:
    """``branches[index](*operands)``, with ``index`` clamped to ``[0, len(branches) - 1]``.

    Every branch is traced and must return the same structure, shapes and dtypes; only the
    chosen one runs (under ``vmap`` with a batched index, all run and ``select_n`` picks).

    Args:
      index: an integer scalar.  Out-of-range values are clamped, as in JAX.
      branches: a sequence of functions of ``*operands``.
      *operands: pytrees of arrays passed to the chosen branch.
      operand: the single operand, by keyword (JAX's older signature).

    Raises:
      TypeError: ``index`` is not an integer scalar, or the branches' outputs differ.
      ValueError: ``branches`` is empty.

    >>> from functrace import lax
    >>> fs = [lambda x: x * 10.0, lambda x: x + 1.0, lambda x: -x]
    >>> [float(lax.switch(i, fs, 2.0)) for i in (-5, 0, 1, 2, 7)]
    [20.0, 20.0, 3.0, -2.0, -2.0]
    """
    operands = _operands(operands, operand, "switch")
    branches = tuple(branches)
    if not branches:
        raise ValueError("switch: branches must be a non-empty sequence of functions.")
    for k, br in enumerate(branches):
        if not callable(br):
            raise TypeError(f"switch: branches[{k}] is not callable (got a value of type "
                            f"{type(br).__name__}).")
    aval = _index_scalar(index, "switch: index")
    if aval.dtype.kind not in "iu":
        raise TypeError(f"switch: index must be an integer scalar, got dtype {aval.dtype}.")
    hi = len(branches) - 1
    if isinstance(index, Tracer):
        index = clip(_convert(index, np.int32), 0, hi)
    else:
        index = np.int32(min(max(operator.index(index), 0), hi))
    names = [f"branches[{k}] ({_name(br)})" for k, br in enumerate(branches)]
    return _switch(index, branches, operands, "switch", names)


def _switch(index: Any, branches: Sequence[Callable[..., Any]], operands: tuple[Any, ...],
            what: str, names: Sequence[str]) -> Any:
    leaves, in_tree = _leaves(operands, f"{what}: the operands")
    avals = [get_aval(x) for x in leaves]
    traced = [_Traced(lambda ops, br=br: br(*ops), [in_tree], avals, f"{what}: {name}",
                      branch=True)
              for br, name in zip(branches, names, strict=True)]
    jaxprs = _join_branch_types(traced, names, what)
    # Each branch takes every branch's consts (ignoring the others'): one operand list.
    consts = [c for t in traced for c in t.consts]
    const_avals = [get_aval(c) for c in consts]
    widened, start = [], 0
    for t, closed in zip(traced, jaxprs, strict=True):
        j, n = closed.jaxpr, len(t.consts)
        invars = [*[Var(a) for a in const_avals[:start]], *j.invars[:n],
                  *[Var(a) for a in const_avals[start + n:]], *j.invars[n:]]
        widened.append(ClosedJaxpr(Jaxpr(j.constvars, invars, j.outvars, j.eqns), closed.consts))
        start += n
    outs = cond_p.bind(index, *consts, *leaves, branches=tuple(widened))
    # An output that every branch passes through from one operand is that operand, as in JAX:
    # under vmap it then stays unbatched when only the index is batched.
    operands_flat = [*consts, *leaves]
    for k in range(len(outs)):
        sources = {b.jaxpr.invars.index(v) if v in b.jaxpr.invars else -1
                   for b in widened for v in (b.jaxpr.outvars[k],)}
        if len(sources) == 1 and (p := sources.pop()) >= 0:
            outs[k] = operands_flat[p]
    return tree_unflatten(traced[0].out_trees[0], [_to_output(o) for o in outs])


# ---------------------------------------------------------------------------------------------
# Loops


def _check_checkpoint(k: Any, what: str) -> int | None:
    if k is None:
        return None
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{what}: checkpoint_every must be a positive int or None, got {k!r}.")
    return int(k)


def while_loop(cond_fun: Callable[[Any], Any], body_fun: Callable[[Any], Any], init_val: Any,
               *, checkpoint_every: int | None = None) -> Any:
    """Repeat ``val = body_fun(val)`` while ``cond_fun(val)``, starting from ``init_val``.

    The semantics are those of::

        val = init_val
        while cond_fun(val):
            val = body_fun(val)
        return val

    but the loop is one IR equation, so it works under ``jit`` and ``vmap`` (a batched
    predicate runs until every example is done, finished examples keeping their value) and is
    differentiable in both modes.  Reverse mode -- which JAX refuses -- records the trip count
    and each step's residuals while running the loop forward, then runs the body's backward
    pass in reverse; the derivative treats the trip count as fixed (as the Python loop would).

    Args:
      cond_fun: the carry -> a boolean scalar.
      body_fun: the carry -> the next carry, of the same structure, shapes and dtypes.
      init_val: the initial carry, a pytree of arrays.
      checkpoint_every: for reverse mode, keep only every k-th carry and recompute the steps
        in between during the backward pass: memory O(n/k + k) instead of O(n) for n steps,
        for about one extra forward pass.  ``k ~ sqrt(n)`` minimises memory.

    Returns:
      The final carry.

    Raises:
      TypeError: ``cond_fun`` does not return a boolean scalar, or ``body_fun`` changes the
        carry's structure, shapes or dtypes.

    Newton's iteration for a square root, and its derivative 1 / (2 sqrt(x)):

    >>> import functrace as ft
    >>> from functrace import lax
    >>> def newton_sqrt(x):
    ...     return lax.while_loop(lambda y: abs(y * y - x) > 1e-12,
    ...                           lambda y: 0.5 * (y + x / y), x + 1.0)
    >>> float(newton_sqrt(4.0)), round(float(ft.grad(newton_sqrt)(4.0)), 9)
    (2.0, 0.25)
    """
    check_callable("while_loop", cond_fun=cond_fun, body_fun=body_fun)
    k = _check_checkpoint(checkpoint_every, "while_loop")
    init, init_tree = _leaves(init_val, "while_loop: init_val")
    body, init = _trace_loop_body(lambda c: body_fun(c), init, init_tree, [], [],
                                  f"while_loop: body_fun ({_name(body_fun)})", pair=False)
    avals = body.jaxpr.in_avals[len(body.consts):]
    cond = _Traced(lambda c: cond_fun(c), [init_tree], avals,
                   f"while_loop: cond_fun ({_name(cond_fun)})")
    pred = cond.jaxpr.out_avals
    if len(pred) != 1 or pred[0].shape != () or pred[0].dtype != np.dtype(bool):
        raise TypeError(f"while_loop: cond_fun ({_name(cond_fun)}) must return a boolean "
                        f"scalar, but it returned ({_describe(pred)}).")
    outs = while_p.bind(*cond.consts, *body.consts, *init, cond_jaxpr=cond.jaxpr,
                        body_jaxpr=body.jaxpr, cond_nconsts=len(cond.consts),
                        body_nconsts=len(body.consts), checkpoint_every=k)
    return tree_unflatten(init_tree, [_to_output(o) for o in outs])


def _is_static_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def fori_loop(lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any,
              *, unroll: int | bool | None = None, checkpoint_every: int | None = None) -> Any:
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``, starting from
    ``init_val``.

    With Python (or NumPy) integer bounds the loop lowers to ``scan`` (fixed trip count);
    with traced bounds, or with ``checkpoint_every``, to ``while_loop``.  Both are
    differentiable in both modes.  ``upper <= lower`` runs no iterations.

    Args:
      lower, upper: integer scalars (floats work too, as in JAX: the index counts from
        ``lower`` in steps of 1, in their dtype); of equal dtypes unless one is a Python
        number.
      body_fun: ``(i, val) -> val`` of the same structure, shapes and dtypes.
      init_val: the initial value, a pytree of arrays.
      unroll: accepted for JAX compatibility (the loop runs step by step either way); as in
        JAX, an unroll factor other than 1 needs static bounds (else ``ValueError``).
      checkpoint_every: see :func:`while_loop`.

    Raises:
      TypeError: a bound is not a real scalar, the bounds' types differ, or ``body_fun``
        changes the carry's type.
      ValueError: ``unroll`` with bounds that are not static.

    >>> import functrace as ft
    >>> from functrace import lax
    >>> float(lax.fori_loop(0, 5, lambda i, x: x * 2.0, 1.0))
    32.0
    >>> float(ft.grad(lambda x: lax.fori_loop(0, 3, lambda i, y: y * x, 1.0))(2.0))  # d x^3
    12.0
    """
    check_callable("fori_loop", body_fun=body_fun)
    avals = []
    for name, bound in (("lower", lower), ("upper", upper)):
        aval = _index_scalar(bound, f"fori_loop: {name}")
        if aval.dtype.kind not in "iuf":
            raise TypeError(f"fori_loop: {name} must be an integer (or float) scalar, got "
                            f"dtype {aval.dtype}.")
        avals.append(aval)
    lo, up = avals
    # As JAX: equal types, or a Python number of the same kind as the other bound.
    if lo.dtype != up.dtype and not ((lo.weak_type or up.weak_type)
                                     and lo.dtype.kind == up.dtype.kind):
        raise TypeError(f"fori_loop: lower and upper must have equal types, got {lo.dtype} "
                        f"and {up.dtype}.")
    k = _check_checkpoint(checkpoint_every, "fori_loop")
    static = _is_static_int(lower) and _is_static_int(upper)
    if unroll not in (None, False, True, 1) and not static:
        raise ValueError("fori_loop: can only use `unroll` if the loop bounds are statically "
                         "known (Python or NumPy integers).")
    if static and k is None:
        def step(carry: Any, _: Any) -> Any:
            i, x = carry
            return (i + 1, body_fun(i, x)), None

        (_, out), _ = scan(step, (lower, init_val), None, length=max(int(upper) - int(lower), 0))
        return out

    def body(carry: Any) -> Any:
        i, x = carry
        return i + 1, body_fun(i, x)

    return while_loop(lambda carry: carry[0] < upper, body, (lower, init_val),
                      checkpoint_every=k)[1]


def scan(f: Callable[[Any, Any], Any], init: Any, xs: Any = None, length: int | None = None,
         reverse: bool = False, unroll: int | bool = 1) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``, stacking the ``y``.

    The semantics are those of::

        carry, ys = init, []
        for x in xs:                      # reversed(xs) if reverse
            carry, y = f(carry, x)
            ys.append(y)
        return carry, np.stack(ys)        # ys in the order of xs

    with pytrees for ``carry``, ``xs`` (scanned leaf by leaf) and ``y`` (stacked leaf by
    leaf).  Reverse mode stores each step's residuals and runs the body's backward pass as a
    second scan in the opposite direction.

    Args:
      f: ``(carry, x) -> (carry, y)``; the carry keeps its structure, shapes and dtypes.
      init: the initial carry.
      xs: a pytree of arrays with equal leading axes, or None (then ``x`` is None).
      length: the number of steps; required when ``xs`` is None, checked otherwise.
      reverse: scan from the end of ``xs`` to its start.
      unroll: accepted for JAX compatibility (a compiler hint there); no effect here.

    Returns:
      ``(final carry, stacked ys)``.

    Raises:
      ValueError: leading axes differ, neither ``xs`` nor ``length`` gives the length, or
        ``unroll`` is not a bool or a non-negative int (as JAX checks it).
      TypeError: ``f`` does not return a pair, or changes the carry's type.

    >>> import numpy as np
    >>> from functrace import lax
    >>> total, partial_sums = lax.scan(lambda c, x: (c + x, c + x), 0.0, np.arange(1.0, 5.0))
    >>> float(total), partial_sums
    (10.0, array([ 1.,  3.,  6., 10.]))
    """
    check_callable("scan", f=f)
    if not isinstance(unroll, (bool, np.bool_)) and not (
            isinstance(unroll, (int, np.integer)) and unroll >= 0):
        raise ValueError(f"scan: `unroll` must be a `bool` or a non-negative `int`, got "
                         f"{unroll!r}.")
    init_leaves, init_tree = _leaves(init, "scan: init")
    xs_leaves, xs_tree = _leaves(xs, "scan: xs")
    x_avals = []
    lengths: dict[int, list[tuple[int, ...]]] = {}
    for x in xs_leaves:
        aval = get_aval(x)
        if not aval.shape:
            raise ValueError("scan: every leaf of xs must have a leading axis to scan over, "
                             "got a scalar.")
        lengths.setdefault(aval.shape[0], []).append(aval.shape)
        x_avals.append(ShapedArray(aval.shape[1:], aval.dtype))
    if length is not None:
        length = operator.index(length)
        if length < 0:
            raise ValueError(f"scan: length must be non-negative, got {length}.")
    if len(lengths) > 1 or (length is not None and lengths and length not in lengths):
        detail = "; ".join(f"length {n}: shapes {s}" for n, s in lengths.items())
        raise ValueError(f"scan: the leaves of xs must have equal leading axes"
                         f"{f' (equal to length={length})' if length is not None else ''}, "
                         f"got {detail}.")
    if length is None:
        if not lengths:
            raise ValueError("scan: xs is None (or has no leaves), so `length` must be given.")
        length = next(iter(lengths))
    body, init_leaves = _trace_loop_body(f, init_leaves, init_tree, [xs_tree], x_avals,
                                         f"scan: f ({_name(f)})", pair=True)
    nc, nh = len(body.consts), len(init_leaves)
    jaxpr = body.jaxpr
    if _recording_tape([*body.consts, *init_leaves, *xs_leaves]):
        jaxpr = scan_with_residuals(jaxpr, nc, nh)
    outs = scan_p.bind(*body.consts, *init_leaves, *xs_leaves, jaxpr=jaxpr, length=length,
                       reverse=bool(reverse), num_consts=nc, num_carry=nh)
    outs = outs[:len(body.jaxpr.out_avals)]  # without the residuals kept for reverse mode
    carry = tree_unflatten(init_tree, [_to_output(o) for o in outs[:nh]])
    return carry, tree_unflatten(body.out_trees[1], [_to_output(o) for o in outs[nh:]])


def _recording_tape(operands: Sequence[Any]) -> bool:
    """Whether we are tracing with known values (``grad``, ``vjp``, ``jvp``): then the trace is
    the forward pass of reverse mode, and a loop should keep its per-step residuals on it."""
    trace = current_trace()
    if not isinstance(trace, JaxprTrace):
        return False
    mine = [x for x in operands if isinstance(x, Tracer) and x._trace is trace]
    return bool(mine) and all(x.val is not None for x in mine)


def map(f: Callable[[Any], Any], xs: Any, *, batch_size: int | None = None  # noqa: A001 - JAX's name
        ) -> Any:
    """``f`` applied to each slice of ``xs`` along its leading axis, the results stacked: a
    ``scan`` with no carry, so ``f`` is traced once and the loop is one IR equation.

    Args:
      f: a function of one slice (a pytree, like ``xs`` without its leading axis).
      xs: a pytree of arrays with equal leading axes.
      batch_size: accepted for JAX compatibility; the result is the same.

    >>> import numpy as np
    >>> from functrace import lax
    >>> lax.map(lambda x: x * 2.0, np.arange(3.0))
    array([0., 2., 4.])
    """
    check_callable("map", f=f)
    _, ys = scan(lambda _, x: (None, f(x)), None, xs)
    return ys


def scatter_apply(operand: Any, scatter_indices: Any, func: Callable[[Any], Any],
                  dimension_numbers: Any, *, update_shape: Sequence[int] = (),
                  indices_are_sorted: bool = False, unique_indices: bool = False,
                  mode: Any = None) -> Any:
    """``jax.lax.scatter_apply``: ``operand`` with ``func`` applied to the entries that a
    scatter of updates of shape ``update_shape`` would write; an entry written ``k`` times
    gets ``func`` applied ``k`` times, as in JAX.

    ``func`` maps a scalar to a scalar (it is mapped over the entries with ``vmap``); its
    result is cast to ``operand``'s dtype.  ``dimension_numbers`` and ``mode`` are a
    scatter's (see ``lax.scatter``; by default windows not wholly in bounds are dropped).  The
    repeated applications run as a ``while_loop`` of ``max(k)`` rounds, each applying ``func``
    where the count is not yet reached, so the result is differentiable in ``operand`` (JAX's
    is not).

    >>> import numpy as np
    >>> from functrace import lax
    >>> dn = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
    ...                                  scatter_dims_to_operand_dims=(0,))
    >>> lax.scatter_apply(np.arange(5.0), np.array([[1], [1], [3]]), lambda v: 2 * v + 1, dn,
    ...                   update_shape=(3,))
    array([0., 7., 2., 7., 4.])
    """
    x = fnp.asarray(operand)
    aval = get_aval(x)
    counts = _lax_gather.scatter_counts(x, scatter_indices, dimension_numbers, update_shape,
                                        mode)
    n = int(np.prod(aval.shape, dtype=np.int64))
    if n == 0:
        return x
    counts, flat = fnp.reshape(counts, (n,)), fnp.reshape(x, (n,))
    apply = _vmap(lambda v: fnp.asarray(func(v), aval.dtype))

    def body(carry: tuple[Any, Any]) -> tuple[Any, Any]:
        r, y = carry
        return r + 1, fnp.where(fnp.greater(counts, r), apply(y), y)

    rounds = _lax_ops.reduce_max(counts, (0,))
    _, out = while_loop(lambda carry: carry[0] < rounds, body, (np.int64(0), flat))
    return fnp.reshape(out, aval.shape)


def __getattr__(name: str) -> Any:
    """``jax.lax``'s operations (``lax.add``, ``lax.dynamic_slice``...): see ``_lax_ops``."""
    if name in _lax_ops.__all__:
        return getattr(_lax_ops, name)
    raise AttributeError(f"module 'functrace.lax' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_lax_ops.__all__})
