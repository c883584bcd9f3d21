"""User-defined derivative rules: ``custom_jvp`` and ``custom_vjp``, as in JAX.

A decorated function is called through a higher-order primitive that carries the traced jaxpr
of the function (``call_jaxpr``, printed nested) and the user's rule:

* ``custom_jvp_call[call_jaxpr, jvp, num_consts]``: its jvp rule calls the user's jvp function
  with the primals and (instantiated) tangents; its vjp rule transposes that function, which is
  linear in the tangents; its batching rule batches both the jaxpr and the user's rule.
* ``custom_vjp_call[call_jaxpr, fwd_bwd, num_consts]``: its vjp rule runs the user's ``fwd`` on
  the primal values to get the residuals, then ``bwd(residuals, ct)``; forward mode is refused,
  as in JAX.

Everything the rules do goes through ``bind``, so rules are traced like any other code: a
``custom_jvp`` rule is differentiated again by ``grad(grad(f))``.  With no transformation
active the decorated function simply runs.  A function that cannot be traced with abstract
values (Python control flow on values, ``np.asarray``) is run as Python instead wherever its
arguments' values are known (``grad`` / ``jvp`` / ``vjp`` of concrete inputs), as JAX runs it
eagerly; the equation then carries that function (:class:`_PythonCall`) in place of a jaxpr.

The first ``num_consts`` operands of either primitive are traced values the function closes
over (or receives through ``nondiff_argnums``); the user's rules do not see them as inputs, so
differentiating with respect to them raises a ``TypeError`` instead of silently returning a
derivative that ignores them.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, ParamSpec, TypeVar

import numpy as np

from functrace.core import (
    ClosedJaxpr,
    Eqn,
    EvalTrace,
    Jaxpr,
    Primitive,
    ShapedArray,
    Trace,
    Tracer,
    current_trace,
    get_aval,
    new_current,
)
from functrace.dtypes import float0_zeros
from functrace.errors import ConcretizationError, TracerLeakError
from functrace.interpreters.eval import eval_jaxpr
from functrace.interpreters.jvp import instantiate, jvp_rules, zeros
from functrace.interpreters.vjp import forward_sweeps, sweep_sources, vjp_rules
from functrace.interpreters.vmap import batch_rules, vmap_jaxpr
from functrace.primitives.elementwise import add, convert_element_type
from functrace.primitives.shape import bdim_to_front
from functrace.tracing import (
    JaxprTrace,
    parent_binds,
    tape_rewrites,
    trace_abstract,
    trace_flat,
    transpose_linear,
)
from functrace.tree_util import (
    PyTreeDef,
    broadcast_prefix,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)

P = ParamSpec("P")
R = TypeVar("R")

# jvp_fn(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)
JvpFn = Callable[..., tuple[Any, Any]]
# fwd(*args) -> (out, residuals);  bwd(*nondiff_args, residuals, ct) -> tuple of cotangents
FwdFn = Callable[..., tuple[Any, Any]]
BwdFn = Callable[..., Sequence[Any]]


# ---------------------------------------------------------------------------------------------
# The decorators


class custom_jvp(Generic[P, R]):  # noqa: N801 - lower-case like a function, as JAX
    """A function with a user-defined forward-mode (jvp) derivative rule.

    The rule is defined with :meth:`defjvp`.  ``jvp``, ``grad`` / ``vjp`` (by transposing the
    rule), ``vmap`` and ``jit`` use it instead of differentiating the function's own code;
    higher derivatives differentiate the rule itself.

    Args:
      fun: the function.  Its arguments and outputs are pytrees of arrays.
      nondiff_argnums: positions of arguments that are not differentiated (Python values,
        functions, or arrays held constant).  They are passed to the rule first.
      nondiff_argnames: the same, by parameter name (a string or a sequence of them); as in
        JAX, each name is turned into its parameter's position and joins
        ``nondiff_argnums``, so the rule receives every nondiff argument first, in the order
        of the positions, however the caller passed it.

    Raises:
      ValueError: a name in ``nondiff_argnames`` is not a parameter of ``fun`` that can be
        passed by position and by name.

    Example: ``log(1 + exp(x))`` whose naive derivative ``exp(x) / (1 + exp(x))`` is
    ``inf / inf`` for large ``x``:

    >>> import numpy as np, functrace as ft, functrace.numpy as fnp
    >>> @ft.custom_jvp
    ... def log1pexp(x):
    ...     return fnp.log1p(fnp.exp(x))
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     (x,), (x_dot,) = primals, tangents
    ...     return log1pexp(x), x_dot * (1.0 - 1.0 / (1.0 + fnp.exp(x)))
    >>> with np.errstate(over="ignore"):
    ...     float(ft.grad(log1pexp)(1000.0))
    1.0
    """

    def __init__(self, fun: Callable[P, R], nondiff_argnums: Sequence[int] = (),
                 nondiff_argnames: str | Sequence[str] = ()):
        functools.update_wrapper(self, fun)
        self.fun: Callable[..., R] = fun
        self.nondiff_argnums = _nondiff_argnums(fun, nondiff_argnums, nondiff_argnames,
                                                "custom_jvp")
        self.jvp: JvpFn | None = None

    def defjvp(self, jvp: JvpFn) -> JvpFn:
        """Set the rule ``jvp(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)``.

        ``primals`` and ``tangents`` are tuples with one entry per differentiated argument;
        ``tangent_out`` has the structure, shapes and dtypes of ``primal_out``.  The rule must
        be linear in ``tangents`` (reverse mode transposes it) and written with functrace
        operations.  Returns ``jvp``, so it can be used as a decorator.
        """
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps: Callable[..., Any] | None) -> None:
        """Set the rule from one function per argument, ``jvp_i(x_dot_i, ans, *primals)``,
        returning that argument's contribution to the output tangent (``None``: the output
        does not depend on argument ``i``); the contributions are summed.  As JAX's.

        >>> import functrace as ft, functrace.numpy as fnp
        >>> f = ft.custom_jvp(lambda x, y: fnp.sin(x) * y)
        >>> f.defjvps(lambda x_dot, ans, x, y: fnp.cos(x) * x_dot * y,
        ...           lambda y_dot, ans, x, y: fnp.sin(x) * y_dot)
        >>> float(ft.grad(f, argnums=1)(0.0, 2.0))
        0.0
        """
        if self.nondiff_argnums:
            raise TypeError("custom_jvp: defjvps cannot be used with nondiff_argnums; use "
                            "defjvp.")

        def jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
            if len(jvps) != len(primals):
                raise TypeError(f"custom_jvp: defjvps got {len(jvps)} rules for a function "
                                f"of {len(primals)} arguments; give one per argument "
                                "(None for none).")
            fun: Callable[..., Any] = self  # the custom function, so higher orders use it
            ans = fun(*primals)
            parts = [rule(t, ans, *primals) for rule, t in zip(jvps, tangents, strict=True)
                     if rule is not None]
            if not parts:
                return ans, tree_map(lambda a: zeros(get_aval(a).strong()), ans)
            return ans, functools.reduce(lambda a, b: tree_map(add, a, b), parts)

        self.defjvp(jvp)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.jvp is None:
            raise AttributeError(
                f"No JVP defined for custom_jvp function {_name(self.fun)} using defjvp.")
        positional = _resolve_kwargs(self.fun, args, kwargs)
        call = _Call(self.fun, positional, self.nondiff_argnums, "custom_jvp")
        if call.untraced:
            return self.fun(*positional)
        rule = _JvpRule(self.jvp, call)
        outs = custom_jvp_call_p.bind(*call.consts, *call.leaves, call_jaxpr=call.jaxpr,
                                      jvp=rule, num_consts=len(call.consts))
        return tree_unflatten(call.out_tree, outs)  # type: ignore[no-any-return]


class custom_vjp(Generic[P, R]):  # noqa: N801 - lower-case like a function, as JAX
    """A function with a user-defined reverse-mode (vjp) derivative rule.

    The rule is a pair set with :meth:`defvjp`: ``fwd`` computes the output and the residuals
    the backward pass needs, ``bwd`` maps residuals and an output cotangent to input
    cotangents.  ``grad`` / ``vjp``, ``vmap`` and ``jit`` honour it.  Under an eager ``grad``
    or ``vjp``, ``fwd`` runs once in the forward pass and its residuals are kept for ``bwd``;
    elsewhere it runs on the primal values when the backward pass needs them.  Under a
    first-order ``grad`` it sees concrete arrays and may use raw NumPy.  Forward mode (``jvp``,
    ``jacfwd``) raises ``TypeError``, as in JAX.

    Args:
      fun: the function.  Its arguments and outputs are pytrees of arrays.
      nondiff_argnums: positions of arguments that are not differentiated; ``bwd`` receives
        them first and returns cotangents for the other arguments only.  ``fwd`` receives
        every argument, in the function's order.
      nondiff_argnames: the same, by parameter name (a string or a sequence of them), turned
        into positions that join ``nondiff_argnums``, as in JAX.

    Raises:
      ValueError: a name in ``nondiff_argnames`` is not a parameter of ``fun`` that can be
        passed by position and by name.

    Example: a gradient clipped to [-1, 1] on its way back:

    >>> import numpy as np, functrace as ft
    >>> @ft.custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> def clip_fwd(x):
    ...     return x, None
    >>> def clip_bwd(res, ct):
    ...     return (ft.numpy.clip(ct, -1.0, 1.0),)
    >>> clip_gradient.defvjp(clip_fwd, clip_bwd)
    >>> float(ft.grad(lambda x: 3.0 * clip_gradient(x))(2.0))
    1.0
    """

    def __init__(self, fun: Callable[P, R], nondiff_argnums: Sequence[int] = (),
                 nondiff_argnames: str | Sequence[str] = ()):
        functools.update_wrapper(self, fun)
        self.fun: Callable[..., R] = fun
        self.nondiff_argnums = _nondiff_argnums(fun, nondiff_argnums, nondiff_argnames,
                                                "custom_vjp")
        self.fwd: FwdFn | None = None
        self.bwd: BwdFn | None = None

    def defvjp(self, fwd: FwdFn, bwd: BwdFn) -> None:
        """Set ``fwd(*args) -> (out, residuals)`` and ``bwd(*nondiff_args, residuals, ct)``.

        ``residuals`` may be any pytree (or None).  ``bwd`` returns a tuple with one cotangent
        per differentiated argument, each shaped like that argument (``None`` for zero).
        """
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        if self.fwd is None or self.bwd is None:
            raise AttributeError(
                f"No VJP defined for custom_vjp function {_name(self.fun)} using defvjp.")
        positional = _resolve_kwargs(self.fun, args, kwargs)
        call = _Call(self.fun, positional, self.nondiff_argnums, "custom_vjp")
        if call.untraced:
            return self.fun(*positional)
        rule = _FwdBwd(self.fwd, self.bwd, call)
        outs = custom_vjp_call_p.bind(*call.consts, *call.leaves, call_jaxpr=call.jaxpr,
                                      fwd_bwd=rule, num_consts=len(call.consts))
        return tree_unflatten(call.out_tree, outs)  # type: ignore[no-any-return]


def _name(f: Any) -> str:
    return str(getattr(f, "__name__", type(f).__name__))


def _nondiff_argnums(fun: Callable[..., Any], nums: Sequence[int], names: str | Sequence[str],
                     kind: str) -> tuple[int, ...]:
    """``nums`` and the positions of the parameters ``names``, sorted without repeats (as
    JAX's ``custom_jvp`` / ``custom_vjp``, which also take names only of parameters that may be
    passed both ways; JAX ignores other names silently, functrace says so)."""
    names = (names,) if isinstance(names, str) else tuple(names)
    if not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in nums):
        raise TypeError(f"{kind}: nondiff_argnums must be a sequence of ints, got {nums!r}.")
    if not all(isinstance(k, str) for k in names):
        raise TypeError(f"{kind}: nondiff_argnames must be a string or a sequence of strings, "
                        f"got {names!r}.")
    positions = {int(i) for i in nums}
    if not names:
        return tuple(sorted(positions))
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        raise TypeError(f"{kind}: nondiff_argnames={names} needs the signature of "
                        f"{_name(fun)}, which inspect cannot read; use nondiff_argnums.") from None
    by_name = {p.name: (i, p) for i, p in enumerate(params)}
    for name in names:
        i, p = by_name.get(name, (-1, None))
        if p is None or p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            what = ("no such parameter" if p is None
                    else f"it as a {p.kind.description} parameter")
            raise ValueError(
                f"{kind}: nondiff_argnames names {name!r}, but {_name(fun)}"
                f"{inspect.signature(fun)} has {what}. Name a positional-or-keyword "
                "parameter (one its rules receive by position), or use nondiff_argnums.")
        positions.add(i)
    return tuple(sorted(positions))


def _resolve_kwargs(fun: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
                    ) -> tuple[Any, ...]:
    """Keyword arguments moved to their positions (rules take positional arguments only)."""
    if not kwargs:
        return args
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{_name(fun)}: {e}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(f"{_name(fun)}: keyword arguments {sorted(bound.kwargs)} of a custom_jvp "
                        "/ custom_vjp function could not be resolved to positions.")
    return tuple(bound.args)


class _Call:
    """One call of a decorated function: its arguments split and flattened, ``fun`` traced.

    ``leaves`` are the differentiated arguments' leaves; ``consts`` the traced values the
    function closes over (or receives through ``nondiff_argnums``), passed as leading operands.
    """

    def __init__(self, fun: Callable[..., Any], args: tuple[Any, ...],
                 nondiff_argnums: tuple[int, ...], kind: str):
        self.fun, self.nargs = fun, len(args)
        nums = {i % len(args) for i in nondiff_argnums} if args else set()
        for i in nondiff_argnums:
            if not -len(args) <= i < len(args):
                raise ValueError(f"{kind} function {_name(fun)}: nondiff_argnums={i} is out of "
                                 f"range for a call with {len(args)} positional arguments.")
        self.nondiff = {i: args[i] for i in sorted(nums)}
        self.diff_positions = [i for i in range(len(args)) if i not in nums]
        diff_args = tuple(args[i] for i in self.diff_positions)
        self.arg_trees = [tree_structure(a) for a in diff_args]
        leaves, self.in_tree = tree_flatten(diff_args)
        nondiff_leaves = tree_flatten(list(self.nondiff.values()))[0]
        self.untraced = isinstance(current_trace(), EvalTrace) or not any(
            isinstance(x, Tracer) for x in (*leaves, *nondiff_leaves))
        if self.untraced:
            return
        self.leaves = leaves
        self.in_avals = [get_aval(x) for x in leaves]
        self.out_tree: PyTreeDef = tree_structure(None)
        self.jaxpr: ClosedJaxpr | _PythonCall
        try:
            closed = trace_abstract(self._flat_fun(nondiff_leaves), self.in_avals)
        except ConcretizationError as error:
            # Python control flow on values, np.asarray...: run it as Python if we can.
            self.jaxpr = _PythonCall.when_concrete(self, nondiff_leaves, error)
            self.consts: list[Any] = []
        else:
            self.jaxpr, self.consts = _convert_closure(closed)
        # The traced constants as the caller passed them: rules substitute their current values.
        self.const_ids = [id(c) for c in self.consts]

    def run(self, leaves: Sequence[Any]) -> list[Any]:
        """The function on the differentiated arguments' leaves, as flat outputs."""
        diff_args = tree_unflatten(self.in_tree, leaves)
        out_leaves, self.out_tree = tree_flatten(self.fun(*self.full_args(diff_args,
                                                                          self.nondiff)))
        return out_leaves

    def full_args(self, diff_args: Sequence[Any], nondiff: dict[int, Any]) -> list[Any]:
        full = [None] * self.nargs
        for i, a in nondiff.items():
            full[i] = a
        for i, a in zip(self.diff_positions, diff_args, strict=True):
            full[i] = a
        return full

    def _flat_fun(self, nondiff_leaves: list[Any]) -> Callable[..., list[Any]]:
        def flat(*leaves: Any) -> list[Any]:
            # Traced nondiff arguments become constants of the jaxpr even when unused, so that
            # the rules can be handed their current values (see _Rule.nondiff_args).
            trace = current_trace()
            assert isinstance(trace, JaxprTrace)
            for x in nondiff_leaves:
                if isinstance(x, Tracer):
                    trace.lift(x)
            return self.run(leaves)

        return flat


class _PythonCall:
    """The decorated function run as Python on concrete values, in place of its jaxpr.

    A function that cannot be traced with abstract values (Python control flow on its
    arguments' values, ``np.asarray``, a raw-NumPy solver) still works where those values are
    known: under ``grad``, ``jvp``, ``vjp``, ``jacfwd``, ``jacrev`` with concrete inputs, as
    JAX runs such functions eagerly.  The equation's impl calls the function on the concrete
    arguments; under ``jit``, ``vmap`` or ``make_jaxpr`` the ``ConcretizationError`` stands.
    """

    def __init__(self, call: _Call, values: list[Any], outs: list[Any]):
        self.call = call
        self.__name__ = f"{_name(call.fun)} (run as Python on concrete values)"
        self.out_avals = [get_aval(o) for o in outs]
        # The run made to learn the output types; the equation's impl, called right after on
        # the same values, reuses it instead of running the function twice.
        self._first: tuple[list[Any], list[Any]] | None = (values, outs)

    @staticmethod
    def when_concrete(call: _Call, nondiff_leaves: list[Any], error: Exception
                      ) -> _PythonCall:
        """Run ``call``'s function on the concrete values of its arguments, or re-raise."""
        values = [_concrete(x) for x in call.leaves]
        if any(isinstance(x, Tracer) for x in nondiff_leaves) or any(
                v is _UNKNOWN for v in values):
            raise error
        root = current_trace()
        while root.parent is not None:
            root = root.parent
        try:
            with new_current(root):
                outs = [np.asarray(o) for o in call.run(values)]
        except TracerLeakError:  # it closes over traced values: it must be traceable
            raise error from None
        return _PythonCall(call, values, outs)

    def __call__(self, *args: Any) -> list[Any]:
        first, self._first = self._first, None
        if first is not None and len(args) == len(first[0]) and all(
                a is b for a, b in zip(args, first[0], strict=True)):
            return first[1]
        return [np.asarray(o) for o in self.call.run(args)]

    def __repr__(self) -> str:
        return self.__name__


_UNKNOWN = object()


def _concrete(x: Any) -> Any:
    """The concrete value of ``x`` (a tracer whose value is known), or ``_UNKNOWN``."""
    if not isinstance(x, Tracer):
        return x
    try:
        return x.concrete("custom function")
    except (ConcretizationError, TracerLeakError):
        return _UNKNOWN


def _convert_closure(closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list[Any]]:
    """Turn the traced values a jaxpr closes over into leading inputs (closure conversion).

    Concrete constants stay in the closed jaxpr; traced ones must be operands of the equation,
    so that the enclosing trace sees them and each interpreter passes their current values.
    """
    jaxpr = closed.jaxpr
    keep = [not isinstance(c, Tracer) for c in closed.consts]
    constvars = [v for v, k in zip(jaxpr.constvars, keep, strict=True) if k]
    consts = [c for c, k in zip(closed.consts, keep, strict=True) if k]
    moved_vars = [v for v, k in zip(jaxpr.constvars, keep, strict=True) if not k]
    moved = [c for c, k in zip(closed.consts, keep, strict=True) if not k]
    new = Jaxpr(constvars, [*moved_vars, *jaxpr.invars], jaxpr.outvars, jaxpr.eqns)
    return ClosedJaxpr(new, consts), moved


# ---------------------------------------------------------------------------------------------
# The user's rules on flat lists: rule(consts, primals, ...) -> list of leaves.


class _Rule:
    """Common part of the rule params: naming (for printing) and nondiff-argument values."""

    __name__: str

    def __init__(self, call: _Call):
        self.call = call

    def __repr__(self) -> str:
        return self.__name__

    def nondiff_args(self, consts: Sequence[Any]) -> dict[int, Any]:
        """The nondiff arguments, with traced leaves replaced by their values ``consts`` (the
        same values one level up, or batched slices, or the current tracers)."""
        call = self.call
        if not consts:
            return call.nondiff
        by_id = dict(zip(call.const_ids, consts, strict=True))
        out = {}
        for i, a in call.nondiff.items():
            leaves, tree = tree_flatten(a)
            out[i] = tree_unflatten(tree, [by_id.get(id(x), x) if isinstance(x, Tracer) else x
                                           for x in leaves])
        return out


def _is_float(x: Any) -> bool:
    return get_aval(x).dtype.kind in "fc"


def _same_type(aval: ShapedArray, like: ShapedArray) -> bool:
    """Whether a rule's output of type ``aval`` can stand for a value of type ``like``: the
    same shape, and the same dtype (or a Python scalar of the same kind)."""
    return aval.shape == like.shape and (aval.dtype == like.dtype or (
        aval.weak_type and aval.dtype.kind == like.dtype.kind))


def _check_outputs(leaves: Sequence[Any], like: Sequence[ShapedArray], what: str) -> None:
    """Raise ``TypeError`` unless each of a rule's outputs has :func:`_same_type` as the
    function's; ``what`` starts the message, and the output's index follows it."""
    for k, (leaf, a) in enumerate(zip(leaves, like, strict=True)):
        if not _same_type(get_aval(leaf), a):
            raise TypeError(f"{what} {k} is {get_aval(leaf).str_short()}, the function's is "
                            f"{a.str_short()}.")


def _match(x: Any, like: ShapedArray, what: str, error: type[Exception] = ValueError) -> Any:
    """``x`` converted to the dtype of ``like``, after checking that its shape matches (else
    ``error``: JAX raises TypeError for a jvp rule's tangent, ValueError for a cotangent)."""
    aval = get_aval(x)
    if aval.shape != like.shape:
        raise error(f"{what} has shape {aval.shape}, but it must have the primal's shape "
                         f"{like.shape} (dtype {like.dtype}).")
    return x if aval.dtype == like.dtype else convert_element_type(x, like.dtype)


class _JvpRule(_Rule):
    """``jvp(consts, primals, tangents) -> tangent_out`` leaves, from the user's jvp function."""

    def __init__(self, jvp: JvpFn, call: _Call):
        super().__init__(call)
        self.jvp = jvp
        self.__name__ = _name(jvp)

    def __call__(self, consts: Sequence[Any], primals: Sequence[Any], tangents: Sequence[Any]
                 ) -> list[Any]:
        call, name = self.call, self.__name__
        nondiff = self.nondiff_args(consts)
        # Integer and boolean primals' tangents are float0 zeros, as in JAX.
        tangents = [t if a.dtype.kind in "fc" else float0_zeros(a.shape)
                    for a, t in zip(map(get_aval, primals), tangents, strict=True)]
        out = self.jvp(*nondiff.values(), tree_unflatten(call.in_tree, primals),
                       tree_unflatten(call.in_tree, tangents))
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(f"custom_jvp rule {name} must return a pair (primal_out, "
                            f"tangent_out), but it returned {_describe(out)}.")
        p_leaves, p_tree = tree_flatten(out[0])
        t_leaves, t_tree = tree_flatten(out[1])
        if p_tree != call.out_tree or t_tree != call.out_tree:
            raise TypeError(
                f"custom_jvp rule {name} must return primal and tangent outputs with the "
                f"structure of {_name(call.fun)}'s output, {call.out_tree}; got {p_tree} and "
                f"{t_tree}.")
        _check_outputs(p_leaves, call.jaxpr.out_avals,
                       f"custom_jvp rule {name} must return a primal output with the shape and "
                       f"dtype of {_name(call.fun)}'s output: primal output")
        return [_match(t, a, f"custom_jvp rule {name}: tangent output {k}", TypeError)
                if a.dtype.kind in "fc" else zeros(a) for k, (t, a)
                in enumerate(zip(t_leaves, call.jaxpr.out_avals, strict=True))]


class _FwdBwd(_Rule):
    """``fwd_bwd(consts, primals, cts) -> input cotangent`` leaves: ``fwd`` then ``bwd``."""

    def __init__(self, fwd: FwdFn, bwd: BwdFn, call: _Call):
        super().__init__(call)
        self.fwd, self.bwd = fwd, bwd
        self.__name__ = f"({_name(fwd)}, {_name(bwd)})"

    def __call__(self, consts: Sequence[Any], primals: Sequence[Any], cts: Sequence[Any]
                 ) -> list[Any]:
        _, residuals = self.run_fwd(consts, primals)
        return self.run_bwd(consts, primals, residuals, cts)

    def run_fwd(self, consts: Sequence[Any], primals: Sequence[Any]) -> tuple[list[Any], Any]:
        """``fwd`` on the arguments: the output's leaves (checked against the function's
        output) and the residuals."""
        call = self.call
        diff_args = tree_unflatten(call.in_tree, primals)
        pair = self.fwd(*call.full_args(diff_args, self.nondiff_args(consts)))
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"custom_vjp fwd rule {_name(self.fwd)} must return a pair (out, "
                            f"residuals), but it returned {_describe(pair)}.")
        leaves, tree = tree_flatten(pair[0])
        if tree != call.out_tree:
            raise TypeError(
                f"custom_vjp fwd rule {_name(self.fwd)} must return as its first element the "
                f"output of {_name(call.fun)}, with structure {call.out_tree}; got {tree}.")
        _check_outputs(leaves, call.jaxpr.out_avals,
                       f"custom_vjp fwd rule {_name(self.fwd)} must return as its first element "
                       f"an output with the shape and dtype of {_name(call.fun)}'s: output")
        return leaves, pair[1]

    def run_bwd(self, consts: Sequence[Any], primals: Sequence[Any], residuals: Any,
                cts: Sequence[Any]) -> list[Any]:
        """``bwd`` on the residuals and the output cotangents: input cotangent leaves."""
        call = self.call
        nondiff = self.nondiff_args(consts)
        cts_in = self.bwd(*nondiff.values(), residuals, tree_unflatten(call.out_tree, cts))
        return self._flatten_cts(cts_in, primals)

    def _flatten_cts(self, cts_in: Any, primals: Sequence[Any]) -> list[Any]:
        call, name = self.call, _name(self.bwd)
        n = len(call.arg_trees)
        if not isinstance(cts_in, (tuple, list)) or len(cts_in) != n:
            got = (f"a {type(cts_in).__name__} of length {len(cts_in)}"
                   if isinstance(cts_in, (tuple, list)) else _describe(cts_in))
            raise TypeError(
                f"custom_vjp bwd rule {name} must return a tuple with one cotangent per "
                f"differentiated argument of {_name(call.fun)} ({n}), but it returned {got}.")
        flat: list[Any] = []
        for k, (ct, tree) in enumerate(zip(cts_in, call.arg_trees, strict=True)):
            arg = tree.unflatten(primals[len(flat):len(flat) + tree.num_leaves])
            flat.extend(_cotangent_leaves(ct, arg, tree,
                                          f"custom_vjp bwd rule {name}: the cotangent for "
                                          f"argument {k}"))
        return [instantiate(None, p) if ct is None or not _is_float(p) else
                _match(ct, get_aval(p).strong(), f"custom_vjp bwd rule {name}: cotangent {k}")
                for k, (ct, p) in enumerate(zip(flat, primals, strict=True))]


def _cotangent_leaves(ct: Any, arg: Any, tree: PyTreeDef, what: str) -> list[Any]:
    """The leaves of a cotangent returned for ``arg`` (of structure ``tree``), one per leaf of
    ``arg``; ``None`` stands for zeros, for the whole argument or any subtree of it (as JAX)."""
    def is_none(x: Any) -> bool:
        return x is None

    own = [x for x in tree_leaves(ct, is_leaf=is_none) if x is not None]
    try:
        leaves = broadcast_prefix(ct, arg, is_leaf=is_none)
    except ValueError:
        leaves = None
    # Each array must cover one leaf of the argument, not a subtree of several.
    if leaves is None or sum(x is not None for x in leaves) != len(own):
        raise TypeError(f"{what} has structure {tree_structure(ct, is_leaf=is_none)}, but the "
                        f"argument has {tree} (None may stand for zeros at any subtree).")
    return leaves


class _RecordedFwdBwd(_FwdBwd):
    """The rule of one call recorded on the eager tape of ``grad`` / ``vjp``, where ``fwd``
    already ran (as in JAX, the forward pass runs ``fwd``, not the function): its outputs are
    the equation's value, and its residuals wait here for the backward pass."""

    def __init__(self, rule: _FwdBwd, outs: list[Any], residuals: Any):
        super().__init__(rule.fwd, rule.bwd, rule.call)
        # Under an outer transformation the outputs are tracers of the parent trace.
        self.outs: list[Any] | None = [
            o if isinstance(o, Tracer) and o.aval.dtype == a.dtype
            else convert_element_type(o, a.dtype) if isinstance(o, Tracer)
            else np.asarray(o, dtype=a.dtype)
            for o, a in zip(outs, rule.call.jaxpr.out_avals, strict=True)]
        self.residuals = residuals

    def __call__(self, consts: Sequence[Any], primals: Sequence[Any], cts: Sequence[Any]
                 ) -> list[Any]:
        return self.run_bwd(consts, primals, self.residuals, cts)

    def take_outs(self) -> list[Any] | None:
        """The outputs of the forward run, once (the equation's value when it is recorded)."""
        outs, self.outs = self.outs, None
        return outs


def _custom_vjp_on_tape(trace: JaxprTrace, args: Sequence[Any], params: dict[str, Any]
                        ) -> list[Any] | None:
    """Record a call on the tape of grad / vjp by running ``fwd`` once, now, in the parent.

    As in JAX, the call's value is ``fwd``'s output: under an outer transformation (the
    parent is a trace: ``grad(grad(f))``, ``hessian``, ``jit(grad(f))``) the parent records
    ``fwd``'s operations, so it differentiates ``fwd`` (and the outer forward mode works),
    rather than meeting the custom rule again."""
    rule = params["fwd_bwd"]
    if type(rule) is not _FwdBwd:
        return None
    values, differentiated = [], False
    parent = trace.parent
    for x in args:
        if type(x) is Tracer and x._trace is trace:
            if x.val is None:
                return None
            values.append(x.val)
            differentiated = True
        elif type(x) is Tracer and isinstance(parent, EvalTrace):
            return None
        else:
            values.append(x)  # an outer tracer (an argument the outer trace differentiates)
    if not differentiated:
        return None
    assert parent is not None
    with new_current(parent):
        recorded = _run_fwd(rule, params["num_consts"], values)
    return trace.process(custom_vjp_call_p, args, {**params, "fwd_bwd": recorded})


def _run_fwd(rule: _FwdBwd, num_consts: int, values: Sequence[Any]) -> _RecordedFwdBwd:
    """``fwd`` run on a call's operands, in the current trace: its outputs (the call's value)
    and residuals (for ``bwd``), held by the rule that the recorded equation carries."""
    outs, residuals = rule.run_fwd(values[:num_consts], values[num_consts:])
    return _RecordedFwdBwd(rule, outs, residuals)


def _describe(x: Any) -> str:
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a value of type {type(x).__name__}"


class _BatchedRule(_Rule):
    """A rule applied to operands that all carry a batch axis 0 (``vmap`` of the rule)."""

    def __init__(self, rule: _JvpRule | _FwdBwd | _BatchedRule, size: int):
        super().__init__(rule.call)
        self.rule: Callable[..., list[Any]] = rule
        self.size = size
        self.__name__ = rule.__name__

    def __call__(self, *groups: Sequence[Any]) -> list[Any]:
        sizes = [len(g) for g in groups]

        def flat(*xs: Any) -> list[Any]:
            split, start = [], 0
            for n in sizes:
                split.append(list(xs[start:start + n]))
                start += n
            return self.rule(*split)

        return _vmap_flat(flat, self.size)(*[x for g in groups for x in g])


def _vmap_flat(fun: Callable[..., list[Any]], size: int) -> Callable[..., list[Any]]:
    """``fun`` mapped over axis 0 of every input, every output batched at axis 0."""

    def batched(*xs: Any) -> list[Any]:
        avals = [ShapedArray(get_aval(x).shape[1:], get_aval(x).dtype) for x in xs]
        closed, _, trace = trace_flat(fun, avals, [None] * len(xs))
        outs, dims = vmap_jaxpr(closed.jaxpr, closed.consts, xs, [0] * len(xs), size,
                                trace.values)
        return [bdim_to_front(o, d, size) for o, d in zip(outs, dims, strict=True)]

    return batched


def _batch_call(prim: Primitive, rule_name: str) -> None:
    """Batch a custom call by batching its jaxpr and its rule, every operand at axis 0 (as JAX
    batches a custom_jvp function together with its rule)."""

    def rule(size: int, args: list[Any], bdims: list[int | None], *,
             call_jaxpr: ClosedJaxpr | _PythonCall, num_consts: int, **params: Any
             ) -> tuple[list[Any], list[int | None]]:
        if isinstance(call_jaxpr, _PythonCall):  # only recorded where values are known
            raise TypeError(f"vmap cannot batch {call_jaxpr}: it needs concrete values.")
        xs = [bdim_to_front(x, d, size) for x, d in zip(args, bdims, strict=True)]
        fun = functools.partial(eval_jaxpr, call_jaxpr.jaxpr, call_jaxpr.consts)
        avals = [ShapedArray((size, *a.shape), a.dtype) for a in call_jaxpr.in_avals]
        batched, moved = _convert_closure(trace_abstract(_vmap_flat(fun, size), avals))
        assert not moved, "batching a jaxpr cannot capture traced values"
        new_rule = _BatchedRule(params[rule_name], size)
        outs = prim.bind(*xs, call_jaxpr=batched, num_consts=num_consts,
                         **{rule_name: new_rule})
        return outs, [0] * len(outs)

    batch_rules[prim] = rule


def _refuse_closure(differentiated: Sequence[bool], kind: str, rule: _Rule) -> None:
    if any(differentiated):
        raise TypeError(
            f"{kind} function {_name(rule.call.fun)} closes over a value that is being "
            "differentiated (or receives one through nondiff_argnums), but its custom rule "
            f"{rule.__name__} cannot account for it. Pass that value as a regular argument of "
            f"{_name(rule.call.fun)} instead.")


# ---------------------------------------------------------------------------------------------
# custom_jvp_call: the function's jaxpr and the user's jvp rule.

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True)


def _custom_call_impl(*args: Any, call_jaxpr: ClosedJaxpr | _PythonCall, **params: Any
                      ) -> list[Any]:
    rule = params.get("fwd_bwd")
    if isinstance(rule, _RecordedFwdBwd):
        outs = rule.take_outs()
        if outs is not None:
            return outs
    if isinstance(call_jaxpr, _PythonCall):
        return call_jaxpr(*args)
    return eval_jaxpr(call_jaxpr.jaxpr, call_jaxpr.consts, *args)


def _custom_call_shape(*avals: ShapedArray, call_jaxpr: ClosedJaxpr | _PythonCall,
                       **params: Any) -> list[ShapedArray]:
    return list(call_jaxpr.out_avals)


def _custom_jvp_call_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
                         call_jaxpr: Any, jvp: _JvpRule, num_consts: int) -> list[Any]:
    _refuse_closure([t is not None for t in tangents[:num_consts]], "custom_jvp", jvp)
    consts, xs = primals[:num_consts], primals[num_consts:]
    x_dots = [instantiate(t, x) for t, x in zip(tangents[num_consts:], xs, strict=True)]
    out_dots = jvp(consts, xs, x_dots)
    return [t if _is_float(a) else None for t, a in zip(out_dots, ans, strict=True)]


class _Transposing(threading.local):
    """The custom_jvp functions whose rules' linear maps are being transposed, in this thread
    (see _custom_jvp_call_vjp)."""

    def __init__(self) -> None:
        self.ids: set[int] = set()


_transposing = _Transposing()


def _custom_jvp_call_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool],
                         *, call_jaxpr: Any, jvp: _JvpRule, num_consts: int
                         ) -> list[Any]:
    # Reverse mode by transposition: the rule is linear in the tangents, so trace
    # t -> jvp(primals, t)[1] with abstract t and pull the cotangents back through it.
    _refuse_closure(needed[:num_consts], "custom_jvp", jvp)
    consts, xs = args[:num_consts], args[num_consts:]
    wanted = [i for i, need in enumerate(needed[num_consts:]) if need]
    x_dots = [zeros(get_aval(x).strong()) for x in xs]
    # A rule may apply the function itself to tangents (``f(x), f(x_dot)`` for a linear f):
    # transposing that equation through the rule again would never end. There the function
    # is linear in those arguments, and its own jaxpr is transposed, as JAX transposes a
    # custom_jvp_call met in a linear map.
    through_body = id(jvp.call.fun) in _transposing.ids

    def linear(*wanted_dots: Any) -> list[Any]:
        dots = list(x_dots if not through_body else xs)
        for i, t in zip(wanted, wanted_dots, strict=True):
            dots[i] = t
        if through_body:
            return _custom_call_impl(*consts, *dots, call_jaxpr=call_jaxpr)
        return jvp(consts, xs, dots)

    _transposing.ids.add(id(jvp.call.fun))
    try:
        cts_in = transpose_linear(linear, [get_aval(xs[i]).strong() for i in wanted], cts)
    finally:
        if not through_body:
            _transposing.ids.discard(id(jvp.call.fun))
    out: list[Any] = [None] * len(args)
    for i, ct in zip(wanted, cts_in, strict=True):
        out[num_consts + i] = ct
    return out


custom_jvp_call_p.impl = _custom_call_impl
custom_jvp_call_p.shape_rule = _custom_call_shape
jvp_rules[custom_jvp_call_p] = _custom_jvp_call_jvp
vjp_rules[custom_jvp_call_p] = _custom_jvp_call_vjp
_batch_call(custom_jvp_call_p, "jvp")

# ---------------------------------------------------------------------------------------------
# custom_vjp_call: the function's jaxpr and the user's fwd / bwd pair.

custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True)


def _custom_vjp_call_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
                         call_jaxpr: Any, fwd_bwd: _FwdBwd, num_consts: int
                         ) -> list[Any]:
    raise TypeError(
        f"can't apply forward-mode autodiff (jvp) to a custom_vjp function "
        f"({_name(fwd_bwd.call.fun)}). It defines only a reverse-mode rule: use grad / vjp / "
        "jacrev, or define it with custom_jvp instead.")


def _custom_vjp_call_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool],
                         *, call_jaxpr: Any, fwd_bwd: _FwdBwd, num_consts: int
                         ) -> list[Any]:
    # On the eager tape of grad / vjp, fwd ran in the forward pass and its residuals are kept
    # (_RecordedFwdBwd); elsewhere (under jit, vmap, or a transformation of grad) fwd runs
    # here, on the values the forward sweep recorded.
    _refuse_closure(needed[:num_consts], "custom_vjp", fwd_bwd)
    consts, xs = args[:num_consts], args[num_consts:]
    cts = [instantiate(ct, a) for ct, a in zip(cts, ans, strict=True)]
    cts_in = fwd_bwd(consts, xs, cts)
    return [None] * num_consts + [ct if need else None
                                  for ct, need in zip(cts_in, needed[num_consts:], strict=True)]


custom_vjp_call_p.impl = _custom_call_impl
custom_vjp_call_p.shape_rule = _custom_call_shape
jvp_rules[custom_vjp_call_p] = _custom_vjp_call_jvp
vjp_rules[custom_vjp_call_p] = _custom_vjp_call_vjp
tape_rewrites[custom_vjp_call_p] = _custom_vjp_on_tape


def _custom_vjp_in_parent(parent: Trace, args: list[Any], params: dict[str, Any]
                          ) -> list[Any]:
    """The value of a call recorded on a tape whose parent is a trace: ``fwd``'s output,
    computed there already (``_custom_vjp_on_tape``)."""
    rule = params["fwd_bwd"]
    if isinstance(rule, _RecordedFwdBwd):
        outs = rule.take_outs()
        if outs is not None:
            return outs
    return parent.process(custom_vjp_call_p, args, params)


parent_binds[custom_vjp_call_p] = _custom_vjp_in_parent


def _custom_vjp_forward_sweep(eqn: Eqn, in_vals: list[Any]) -> tuple[list[Any], Eqn]:
    """A call in the forward sweep of a traced vjp (a ``jit`` call's, a ``cond`` branch's):
    ``fwd`` runs, as on the eager tape, and the backward pass reads its residuals."""
    rule = eqn.params["fwd_bwd"]
    if type(rule) is not _FwdBwd:
        return eqn.primitive.bind(*in_vals, **eqn.params), eqn
    recorded = _run_fwd(rule, eqn.params["num_consts"], in_vals)
    return list(recorded.take_outs() or ()), Eqn(
        eqn.primitive, eqn.invars, eqn.outvars, {**eqn.params, "fwd_bwd": recorded})


forward_sweeps[custom_vjp_call_p] = _custom_vjp_forward_sweep
sweep_sources.add(custom_vjp_call_p)
_batch_call(custom_vjp_call_p, "fwd_bwd")
