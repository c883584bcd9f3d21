"""The public transformations: thin wrappers that flatten pytrees, trace, interpret, unflatten.

Each follows the same shape: flatten the arguments to a list of leaves, run a ``*_flat``
function on flat lists (tracing and interpreting jaxprs), and rebuild the output trees.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, Literal, overload

import numpy as np

from functrace.core import ClosedJaxpr, EvalTrace, ShapedArray, Tracer, current_trace, get_aval
from functrace.custom_rules import custom_vjp
from functrace.dtypes import float0_zeros, is_float0
from functrace.errors import AxisSpecError
from functrace.interpreters.eval import eval_jaxpr
from functrace.interpreters.jvp import jvp_jaxpr, zeros
from functrace.interpreters.vjp import backward_pass
from functrace.interpreters.vmap import vmap_jaxpr
from functrace.primitives import callback as callbacks
from functrace.primitives.collectives import axis_frame
from functrace.primitives.remat import checkpoint_call
from functrace.primitives.shape import broadcast_batch, moveaxis, reshape
from functrace.tracing import trace_abstract, trace_flat, trace_known
from functrace.tree_util import (
    PyTreeDef,
    broadcast_prefix,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_structure,
    tree_unflatten,
)

AxisSpec = Any  # an int, None, or a pytree prefix of them

_LEAF = tree_structure(0)  # the structure of a single array: grad's output


# ---------------------------------------------------------------------------------------------
# Flattening helpers


class _OutStore:
    """Where a flattened function leaves its output tree (known only after it runs)."""

    __slots__ = ("tree",)

    def __init__(self) -> None:
        self.tree: PyTreeDef | None = None


def _wraps(wrapper: Callable[..., Any], f: Callable[..., Any]) -> None:
    """Give a transformed function ``f``'s name, docstring and signature (``__wrapped__``, as
    JAX's transformations do), so ``jit(grad(f), static_argnames=...)`` finds ``f``'s
    parameters."""
    try:
        functools.update_wrapper(wrapper, f)
    except (AttributeError, TypeError):  # a callable without the usual attributes
        pass


def _check_callable(f: Any, name: str) -> None:
    if not callable(f):
        raise TypeError(f"Expected a callable value, got {f!r}: {name} transforms a function.")


def _is_value(x: Any) -> bool:
    """Whether ``x`` is an array, a number, or converts to a numeric array."""
    if isinstance(x, (Tracer, np.ndarray, np.generic, bool, int, float, complex)):
        return True
    try:
        return np.asarray(x).dtype.kind in "biufc"
    except Exception:
        return False


def _leaf_value(x: Any) -> Any:
    if isinstance(x, (Tracer, np.ndarray, np.generic, bool, int, float, complex)):
        return x
    if not _is_value(x):
        raise TypeError(
            f"Argument {x!r} of type {type(x)} is not a valid functrace value: expected "
            "arrays, numbers, or pytrees (tuples, lists, dicts) of them."
        )
    return np.asarray(x)


def _flatten_args(args: Any) -> tuple[list[Any], PyTreeDef]:
    leaves, tree = tree_flatten(args)
    return [_leaf_value(x) for x in leaves], tree


def _split_static(leaves: list[Any], may_be_static: Sequence[bool]
                  ) -> tuple[list[Any], dict[int, Any]]:
    """The leaves to trace, and (by position) the ones passed through untraced: those allowed
    to be static that are not arrays or numbers (a function, a string, any Python object)."""
    dyn, static = [], {}
    for i, (x, ok) in enumerate(zip(leaves, may_be_static, strict=True)):
        if ok and not _is_value(x):
            static[i] = x
        else:
            dyn.append(_leaf_value(x))
    return dyn, static


class _Aux:
    """The ``aux`` output of a ``has_aux`` function: its traced leaves go through the trace
    as extra outputs; other leaves (constants, strings, any Python object) are kept here and
    returned as they are, as in JAX."""

    __slots__ = ("tree", "traced", "consts")

    def __init__(self, aux: Any):
        leaves, self.tree = tree_flatten(aux)
        self.traced = [isinstance(x, Tracer) for x in leaves]
        self.consts = [None if t else x for x, t in zip(leaves, self.traced, strict=True)]

    def tracers(self, aux: Any) -> list[Any]:
        return [x for x, t in zip(tree_leaves(aux), self.traced, strict=True) if t]

    def rebuild(self, traced_vals: Sequence[Any]) -> Any:
        it = iter(traced_vals)
        leaves = [_to_output(next(it)) if t else (_to_output(c) if _is_value(c) else c)
                  for t, c in zip(self.traced, self.consts, strict=True)]
        return tree_unflatten(self.tree, leaves)


def _flat_fun(f: Callable[..., Any], in_tree: PyTreeDef, store: _OutStore,
              has_aux: bool = False, name: str = "f",
              static: dict[int, Any] | None = None) -> Callable[..., list[Any]]:
    """``f`` on flat leaves: unflatten the inputs, flatten the outputs (and aux, if any).
    ``static``: leaves (by position) passed to ``f`` as they are, not traced."""

    def flat(*leaves: Any) -> list[Any]:
        if static:
            it = iter(leaves)
            leaves = tuple(static[i] if i in static else next(it)
                           for i in range(len(leaves) + len(static)))
        out = f(*tree_unflatten(in_tree, leaves))
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(
                    f"{name}(..., has_aux=True) requires the function to return a pair "
                    f"(output, aux), but it returned {type(out).__name__}"
                    f"{'' if not isinstance(out, (tuple, list)) else f' of length {len(out)}'}."
                )
            out_leaves, out_tree = tree_flatten(out[0])
            aux = _Aux(out[1])
            store.tree = (out_tree, aux, len(out_leaves))  # type: ignore[assignment]
            return [*out_leaves, *aux.tracers(out[1])]
        out_leaves, store.tree = tree_flatten(out)
        return out_leaves

    return flat


def _to_output(x: Any) -> Any:
    """Concrete results are NumPy arrays (0-d for scalars); traced results stay traced."""
    return x if isinstance(x, Tracer) else np.asarray(x)


def _owned_outputs(xs: Sequence[Any]) -> list[Any]:
    """Derivatives (and batched results) as arrays the caller owns: writable, and sharing no
    memory with one another.  A rule may hand one array to two inputs (``add`` passes its
    cotangent to both operands) or return a read-only broadcast (``sum``'s cotangent): without
    a copy, writing into the gradient of one parameter would change another's, or fail."""
    out = []
    seen: dict[int, list[np.ndarray]] = {}  # the arrays returned so far, by their memory's owner
    for x in xs:
        if not isinstance(x, Tracer):
            x = root = np.asarray(x)
            while isinstance(root.base, np.ndarray):
                root = root.base
            if not x.flags.writeable or any(np.may_share_memory(x, y)
                                            for y in seen.get(id(root), ())):
                x = root = x.copy()
            seen.setdefault(id(root), []).append(x)
        out.append(x)
    return out


def _normalize_argnums(argnums: int | Sequence[int], nargs: int, name: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums or not all(isinstance(i, int) for i in nums):
        raise TypeError(f"{name}: argnums must be an int or a non-empty tuple of ints, "
                        f"got {argnums!r}.")
    out = []
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(
                f"{name}: argnums={argnums!r} is out of range for a function called with "
                f"{nargs} positional argument{'s' if nargs != 1 else ''} (valid: 0..{nargs - 1})."
            )
        out.append(i % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: argnums={argnums!r} names an argument more than once (after "
                         f"negative indices are resolved): each argument can be differentiated "
                         f"once.")
    return tuple(out)


def _check_differentiable(avals: Sequence[ShapedArray], args: tuple[Any, ...],
                          argnums: tuple[int, ...], name: str, allow_int: bool = False) -> None:
    """Refuse non-floating differentiated leaves (``avals``, of ``args[i] for i in argnums``);
    ``allow_int`` lets integer and boolean leaves through (their derivatives are zeros)."""
    for k, aval in enumerate(avals):
        if aval.dtype.kind not in "fc" and not (allow_int and aval.dtype.kind in "biu"):
            # The argument each leaf came from, worked out only for the message.
            argnum_of = [i for i in argnums for _ in tree_flatten(args[i])[0]]
            raise TypeError(
                f"{name} requires real- or complex-valued (floating point) inputs, but argument "
                f"{argnum_of[k]} has dtype {aval.dtype}. Convert it with .astype(float), pass "
                "it as a non-differentiated argument (leave it out of argnums)"
                + (", or pass allow_int=True to get a zero (float0) derivative for it."
                   if name in ("grad", "jacrev") else ".")
            )


def _diff_partial(f: Callable[..., Any], args: tuple[Any, ...], argnums: tuple[int, ...],
                  kwargs: dict[str, Any]) -> Callable[..., Any]:
    """``f`` as a function of the arguments in ``argnums`` only."""

    def partial(*diff_args: Any) -> Any:
        full = list(args)
        for i, a in zip(argnums, diff_args, strict=True):
            full[i] = a
        return f(*full, **kwargs)

    return partial


def _diff_leaves(args: tuple[Any, ...], argnums: tuple[int, ...], name: str,
                 holomorphic: bool = False, complex_ok: bool = True, allow_int: bool = False
                 ) -> tuple[list[Any], PyTreeDef, list[ShapedArray]]:
    """The leaves of the differentiated arguments, their tree and their avals (all floating,
    or with ``allow_int`` also integer or boolean).

    ``holomorphic``: every floating leaf must be complex.  ``complex_ok=False`` (jacfwd's):
    without ``holomorphic``, complex leaves are refused, as in JAX."""
    leaves, tree = _flatten_args(tuple(args[i] for i in argnums))
    avals = [get_aval(x) for x in leaves]
    _check_differentiable(avals, args, argnums, name, allow_int)
    for aval in avals:
        if aval.dtype.kind in "biu":
            continue  # (let through by allow_int)
        if holomorphic and aval.dtype.kind != "c":
            raise TypeError(f"{name} with holomorphic=True requires inputs with a complex "
                            f"dtype, but got {aval.dtype}.")
        if not holomorphic and not complex_ok and aval.dtype.kind == "c":
            raise TypeError(f"{name} requires real-valued inputs (a floating point dtype), but "
                            f"got {aval.dtype}. For holomorphic differentiation, pass "
                            "holomorphic=True.")
    return leaves, tree, avals


def _check_output_dtype(dtype: np.dtype[Any], holomorphic: bool, name: str) -> None:
    """grad's and jacrev's outputs: real floating point, or complex with ``holomorphic``."""
    if holomorphic:
        if dtype.kind != "c":
            raise TypeError(f"{name} with holomorphic=True requires outputs with a complex "
                            f"dtype, but got {dtype}.")
        return
    if dtype.kind != "f":
        raise TypeError(
            f"{name} requires real-valued outputs (a floating point dtype), but got {dtype}. "
            + ("Take the real part or the absolute value of a complex output, or for "
               "holomorphic differentiation pass holomorphic=True." if dtype.kind == "c" else
               "Integer and boolean outputs have no derivative"
               + (" (jacfwd gives their zero Jacobian)." if name == "jacrev" else ".")))


# ---------------------------------------------------------------------------------------------
# make_jaxpr


@overload
def make_jaxpr(f: Callable[..., Any], static_argnums: int | Sequence[int] = (),
               axis_env: Sequence[tuple[Hashable, int]] | None = None,
               return_shape: Literal[False] = False) -> Callable[..., ClosedJaxpr]: ...


@overload
def make_jaxpr(f: Callable[..., Any], static_argnums: int | Sequence[int] = (),
               axis_env: Sequence[tuple[Hashable, int]] | None = None, *,
               return_shape: Literal[True]) -> Callable[..., tuple[ClosedJaxpr, Any]]: ...


def make_jaxpr(f: Callable[..., Any], static_argnums: int | Sequence[int] = (),
               axis_env: Sequence[tuple[Hashable, int]] | None = None,
               return_shape: bool = False) -> Callable[..., Any]:
    """The jaxpr that ``f`` traces to on arguments of the given shapes and dtypes.

    Args:
      f: the function to trace.  Its arguments may be pytrees of arrays and numbers.
      static_argnums: positions of arguments passed to ``f`` as plain Python values.
      axis_env: ``(name, size)`` pairs naming axes as an enclosing ``vmap(...,
        axis_name=name)`` would, so that ``f`` may use collectives on them (``lax.psum``,
        ``lax.axis_index``...), which are recorded as equations.
      return_shape: also return the output's types: a pytree, with the output's structure,
        of :class:`ShapeDtypeStruct`.

    Returns:
      A function of ``f``'s arguments returning the ``ClosedJaxpr`` (``str()`` prints it),
      or with ``return_shape`` the pair ``(closed_jaxpr, out_shapes)``.

    Raises:
      TypeError: ``f`` is not callable, or ``axis_env`` is not a sequence of
        ``(name, size)`` pairs.

    >>> import functrace as ft, functrace.numpy as fnp
    >>> print(ft.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(1.0))
    { lambda ; a:f64[]. let
        b:f64[] = sin a
        c:f64[] = mul b 2.0:f64[]
      in (c,) }
    >>> ft.make_jaxpr(lambda x: {"y": x[:2]}, return_shape=True)(fnp.ones(3))[1]
    {'y': ShapeDtypeStruct(shape=(2,), dtype=float64)}
    """
    _check_callable(f, "make_jaxpr")
    static = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    axes = _axis_env(axis_env)

    def make(*args: Any, **kwargs: Any) -> Any:
        nums = tuple(i % len(args) for i in static) if args else ()
        dyn = tuple(a for i, a in enumerate(args) if i not in nums)

        def g(dyn_args: tuple[Any, ...], dyn_kwargs: dict[str, Any]) -> Any:
            it = iter(dyn_args)
            return f(*[args[i] if i in nums else next(it) for i in range(len(args))],
                     **dyn_kwargs)

        # Keyword arguments are traced inputs too (after the positional ones), as in JAX;
        # leaves that are not arrays or numbers are passed to ``f`` untraced.
        raw, in_tree = tree_flatten((dyn, kwargs))
        leaves, passed = _split_static(raw, [True] * len(raw))
        store = _OutStore()
        with contextlib.ExitStack() as frames:
            for name, size in axes:
                frames.enter_context(axis_frame(name, size))
            closed, _, _ = trace_flat(_flat_fun(g, in_tree, store, static=passed),
                                      [get_aval(x) for x in leaves], [None] * len(leaves))
        closed.out_tree = store.tree
        if not return_shape:
            return closed
        assert store.tree is not None
        shapes = [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
                  for a in closed.out_avals]
        return closed, tree_unflatten(store.tree, shapes)

    return make


def _axis_env(axis_env: Sequence[tuple[Hashable, int]] | None) -> list[tuple[Hashable, int]]:
    """make_jaxpr's ``axis_env``, checked: (name, size) pairs with a hashable name and a size
    that is a non-negative int."""
    pairs = list(axis_env) if axis_env is not None else []
    for pair in pairs:
        ok = (isinstance(pair, (tuple, list)) and len(pair) == 2
              and isinstance(pair[1], (int, np.integer)) and not isinstance(pair[1], bool)
              and pair[1] >= 0)
        try:
            ok = ok and hash(pair[0]) is not None
        except TypeError:
            ok = False
        if not ok:
            raise TypeError(f"make_jaxpr: axis_env must be a sequence of (name, size) pairs, "
                            f"with a hashable name and a non-negative int size, but it has "
                            f"{pair!r}: e.g. axis_env=[('i', 4)].")
    return [(name, int(size)) for name, size in pairs]


# ---------------------------------------------------------------------------------------------
# Forward mode


def _jvp_flat(flat_f: Callable[..., list[Any]], primals: list[Any], tangents: list[Any]
              ) -> tuple[list[Any], list[Any]]:
    closed, _, values = trace_known(flat_f, primals)
    outs, dots = jvp_jaxpr(closed.jaxpr, closed.consts, primals, tangents, values)
    return outs, [zeros(get_aval(o).strong()) if t is None else t
                  for t, o in zip(dots, outs, strict=True)]


def _check_tangents(primals: list[Any], tangents: list[Any], name: str,
                    dtype_error: type[Exception] = TypeError,
                    int_tangents: str = "float0") -> list[Any]:
    """Tangents (or cotangents) checked against their primals: same shape, and the same dtype
    unless the tangent is a Python scalar (converted, as NumPy does with Python scalars).

    Tangents of integer and boolean primals are dropped (None): with ``int_tangents="float0"``
    (jvp's and linearize's, as JAX) they must be ``float0`` arrays; with ``"any"`` (vjp's
    cotangents of integer outputs, as JAX) any array of the right shape is taken."""
    out: list[Any] = []
    for p, t in zip(primals, tangents, strict=True):
        pa = get_aval(p)
        if is_float0(t):
            if pa.dtype.kind in "fc" or np.shape(t) != pa.shape:
                raise dtype_error(
                    f"{name}: a float0 tangent of shape {np.shape(t)} was given for a primal "
                    f"of type {pa.str_short()}; float0 tangents stand for integer and boolean "
                    "primals, with their shape.")
            out.append(None)
            continue
        t = _leaf_value(t)
        ta = get_aval(t)
        if pa.shape != ta.shape:
            raise ValueError(f"{name}: a tangent of shape {ta.shape} was given for a primal of "
                             f"shape {pa.shape}; they must match.")
        if pa.dtype.kind not in "fc":
            if int_tangents == "float0":
                raise dtype_error(
                    f"{name}: primal and tangent arguments do not match: the tangent of a "
                    f"primal of dtype {pa.dtype} must have dtype float0 (integer and boolean "
                    f"values have no derivative), but one of dtype {ta.dtype} was given. Pass "
                    f"functrace.dtypes.float0_zeros({pa.shape}).")
            out.append(None)
            continue
        if ta.dtype != pa.dtype:
            if not ta.weak_type:
                raise dtype_error(
                    f"{name}: primal and tangent arguments do not match: dtypes must be equal, "
                    f"but a tangent of dtype {ta.dtype} was given for a primal of dtype "
                    f"{pa.dtype}. Convert it with .astype({pa.dtype}).")
            t = np.asarray(t, pa.dtype) if not isinstance(t, Tracer) else t.astype(pa.dtype)
        out.append(t)
    return out


def _tangent_outputs(dots: Sequence[Any], avals: Sequence[ShapedArray]) -> list[Any]:
    """Output tangents (or input cotangents) handed to the user, each an array it owns:
    ``float0`` zeros where the primal (of type ``avals[i]``) is an integer or boolean value."""
    return [float0_zeros(a.shape) if a.dtype.kind not in "fc" else t
            for t, a in zip(_owned_outputs(dots), avals, strict=True)]


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple[Any, ...]:
    """Forward mode: ``f(*primals)`` and its directional derivative along ``tangents``.

    Args:
      f: the function to differentiate.
      primals: a tuple (or list) of ``f``'s arguments, each a pytree of arrays.
      tangents: a tuple of the same structure, shapes and dtypes: the input direction.
      has_aux: if True, ``f`` returns ``(output, aux)`` and ``aux`` is returned
        undifferentiated.

    Returns:
      ``(out, out_dot)`` (``(out, out_dot, aux)`` with ``has_aux``), where ``out_dot`` is the
      Jacobian of ``f`` applied to ``tangents``.

    >>> import functrace as ft, functrace.numpy as fnp
    >>> out, out_dot = ft.jvp(lambda x: fnp.sin(x), (0.0,), (1.0,))
    >>> float(out), float(out_dot)
    (0.0, 1.0)
    """
    _check_callable(f, "jvp")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples (or lists) of arguments, got "
                        f"{type(primals).__name__} and {type(tangents).__name__}.")
    p_leaves, in_tree = _flatten_args(tuple(primals))
    t_leaves, t_tree = tree_flatten(tuple(tangents))
    if t_tree != in_tree:
        raise TypeError(f"jvp: primal and tangent arguments must have the same tree "
                        f"structure, got {in_tree} and {t_tree}.")
    t_leaves = _check_tangents(p_leaves, t_leaves, "jvp")
    store = _OutStore()
    outs, dots = _jvp_flat(_flat_fun(lambda *a: f(*a), in_tree, store, has_aux, "jvp"),
                           p_leaves, t_leaves)
    out_tree, aux = _split_aux(store, outs, has_aux)
    n = out_tree.num_leaves
    out = tree_unflatten(out_tree, [_to_output(o) for o in outs[:n]])
    out_dot = tree_unflatten(out_tree, _tangent_outputs(dots[:n], [get_aval(o) for o in outs[:n]]))
    return (out, out_dot, aux) if has_aux else (out, out_dot)


def linearize(f: Callable[..., Any], *primals: Any, has_aux: bool = False
              ) -> tuple[Any, ...]:
    """``f(*primals)`` and a function computing its jvp at ``primals``, reusing the forward pass.

    The returned ``f_jvp(*tangents)`` evaluates only the linear tangent computation: the primal
    values are computed once, here, and kept.  With ``has_aux``, ``f`` returns
    ``(output, aux)`` and the result is ``(out, f_jvp, aux)``.

    >>> import functrace as ft, functrace.numpy as fnp
    >>> y, f_jvp = ft.linearize(fnp.sin, 0.0)
    >>> float(f_jvp(2.0))
    2.0
    """
    _check_callable(f, "linearize")
    p_leaves, in_tree = _flatten_args(primals)
    store = _OutStore()
    closed, out_vals, values = trace_known(_flat_fun(f, in_tree, store, has_aux, "linearize"),
                                           p_leaves)
    out_tree, aux = _split_aux(store, out_vals, has_aux)
    out_vals = out_vals[:out_tree.num_leaves]

    def tangent_fn(*t_leaves: Any) -> list[Any]:
        _, dots = jvp_jaxpr(closed.jaxpr, closed.consts, p_leaves, list(t_leaves), values)
        return [zeros(get_aval(o).strong()) if t is None else t
                for t, o in zip(dots, out_vals, strict=False)]  # aux dots (past the end) unused

    # Trace the tangent computation once; primal-only work folds into constants.
    t_avals = [get_aval(x).strong() for x in p_leaves]
    linear, _, lin_trace = trace_flat(tangent_fn, t_avals, [None] * len(t_avals))

    def f_jvp(*tangents: Any) -> Any:
        t_leaves, t_tree = tree_flatten(tangents)
        if t_tree != in_tree:
            raise ValueError(f"linearize: tangents must have the structure of the primals, "
                             f"{in_tree}, got {t_tree}.")
        t_leaves = _check_tangents(p_leaves, t_leaves, "linearize", ValueError)
        t_leaves = [zeros(get_aval(p).strong()) if t is None else t
                    for t, p in zip(t_leaves, p_leaves, strict=True)]
        outs = eval_jaxpr(linear.jaxpr, linear.consts, *t_leaves, known=lin_trace.values)
        return tree_unflatten(out_tree, _tangent_outputs(outs, out_avals))

    out_avals = [get_aval(o) for o in out_vals]
    out = tree_unflatten(out_tree, [_to_output(o) for o in out_vals])
    return (out, f_jvp, aux) if has_aux else (out, f_jvp)


# ---------------------------------------------------------------------------------------------
# Reverse mode


class _Pullback:
    """The ``vjp_fn`` of a traced function: a backward pass over its recorded trace."""

    def __init__(self, closed: ClosedJaxpr, values: dict[Any, Any], wrt: list[bool],
                 in_avals: list[ShapedArray], in_tree: PyTreeDef, out_tree: PyTreeDef,
                 outs: list[Any]):
        self.closed, self.values, self.wrt = closed, values, wrt
        self.in_avals, self.in_tree, self.out_tree, self.outs = in_avals, in_tree, out_tree, outs

    def flat(self, *cts: Any, last: bool = False) -> list[Any]:
        """The input cotangents, flat; ``last``: this is the pullback's last use (grad's), so
        the backward pass may free the tape as it goes."""
        # Outputs past ``self.outs`` are has_aux extras: they get no cotangent.
        n_aux = len(self.closed.jaxpr.outvars) - len(self.outs)
        cts_out = [*cts, *[None] * n_aux]
        cts_in = backward_pass(self.closed.jaxpr, self.values, cts_out, self.wrt, consume=last)
        return [zeros(a.strong()) if ct is None else ct
                for ct, a in zip(cts_in, self.in_avals, strict=True)]

    def __call__(self, ct: Any) -> tuple[Any, ...]:
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != self.out_tree:
            raise ValueError(f"vjp: the cotangent must have the structure of the output, "
                             f"{self.out_tree}, got {ct_tree}.")
        ct_leaves = _check_tangents(self.outs, ct_leaves, "vjp", ValueError, int_tangents="any")
        cts_in = self.flat(*ct_leaves)
        return tuple(tree_unflatten(self.in_tree, _tangent_outputs(cts_in, self.in_avals)))


def _vjp(f: Callable[..., Any], p_leaves: list[Any], in_tree: PyTreeDef,
         avals: list[ShapedArray], has_aux: bool, name: str) -> tuple[list[Any], _Pullback, Any]:
    """Trace ``f`` on the flattened primals (leaves ``p_leaves`` of avals ``avals``)."""
    store = _OutStore()
    closed, out_vals, trace = trace_flat(_flat_fun(f, in_tree, store, has_aux, name), avals,
                                         p_leaves, fold_constants=True, residuals_only=True)
    aux = None
    out_tree: Any = store.tree
    if has_aux:
        out_tree, aux_store, n = store.tree  # type: ignore[misc]
        aux = aux_store.rebuild(out_vals[n:])
        out_vals = out_vals[:n]
    wrt = [a.dtype.kind in "fc" for a in avals]
    pullback = _Pullback(closed, trace.values, wrt, avals, in_tree, out_tree, out_vals)
    return out_vals, pullback, aux


def vjp(f: Callable[..., Any], *primals: Any, has_aux: bool = False) -> tuple[Any, ...]:
    """Reverse mode: ``f(*primals)`` and a function pulling output cotangents back to inputs.

    Args:
      f: the function to differentiate.
      *primals: its arguments, pytrees of arrays.
      has_aux: if True, ``f`` returns ``(output, aux)`` and ``aux`` is returned undifferentiated.

    Returns:
      ``(out, vjp_fn)`` or ``(out, vjp_fn, aux)``; ``vjp_fn(ct)`` returns a tuple with one
      cotangent per primal: ``ct`` multiplied by the Jacobian of ``f`` from the left.

    >>> import functrace as ft
    >>> out, vjp_fn = ft.vjp(lambda x, y: x * y, 2.0, 3.0)
    >>> [float(g) for g in vjp_fn(1.0)]
    [3.0, 2.0]
    """
    _check_callable(f, "vjp")
    p_leaves, in_tree = _flatten_args(primals)
    outs, pullback, aux = _vjp(f, p_leaves, in_tree, [get_aval(x) for x in p_leaves], has_aux,
                               "vjp")
    out = tree_unflatten(pullback.out_tree, [_to_output(o) for o in outs])
    return (out, pullback, aux) if has_aux else (out, pullback)


def value_and_grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
                   has_aux: bool = False, holomorphic: bool = False, allow_int: bool = False
                   ) -> Callable[..., Any]:
    """A function returning ``f``'s value and its gradient with respect to ``argnums``.

    Args:
      f: a function with a scalar (0-d) floating-point output.
      argnums: which positional argument(s) to differentiate: an int, or a tuple of ints (the
        gradient is then a tuple).
      has_aux: if True, ``f`` returns ``(output, aux)``; the result is ``((value, aux), grad)``.
      holomorphic: ``f`` is a holomorphic function of complex inputs with a complex output;
        the gradient is its complex derivative ``f'(z)``.  Without it, complex inputs are
        allowed (the output must be real) and the gradient is ``df/dx - i df/dy``, as in JAX.
      allow_int: let integer and boolean arguments be differentiated: their gradient is
        ``float0`` zeros of their shape (see :mod:`functrace.dtypes`), as in JAX.

    Raises:
      TypeError: the output is not a scalar, or a differentiated input is not floating point
        (integer or boolean, without ``allow_int``).
      ValueError: ``argnums`` is out of range.

    >>> import functrace as ft
    >>> value, g = ft.value_and_grad(lambda x: x ** 3)(2.0)
    >>> float(value), float(g)
    (8.0, 12.0)
    """
    name = "grad"
    _check_callable(f, "value_and_grad")

    def value_and_grad_f(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums(argnums, len(args), name)
        leaves, diff_tree, avals = _diff_leaves(args, nums, name, holomorphic,
                                                allow_int=allow_int)
        outs, pullback, aux = _vjp(_diff_partial(f, args, nums, kwargs), leaves, diff_tree,
                                   avals, has_aux, name)
        out_tree = pullback.out_tree
        if out_tree != _LEAF or get_aval(outs[0]).shape != ():
            shape = get_aval(outs[0]).shape if out_tree.num_leaves == 1 else None
            raise TypeError(
                "grad requires a function with a scalar output (a 0-d array), but the output "
                + (f"has shape {shape}" if shape is not None else f"is a pytree {out_tree}")
                + ". Use jacrev / jacfwd for non-scalar outputs, or reduce the output "
                "(e.g. with .sum())."
            )
        out_dtype = get_aval(outs[0]).dtype
        _check_output_dtype(out_dtype, holomorphic, name)
        grads = pullback.flat(np.ones((), out_dtype), last=True)
        grads_tree = tree_unflatten(diff_tree, _tangent_outputs(grads, avals))
        grad_out = grads_tree[0] if isinstance(argnums, int) else grads_tree
        value = _to_output(outs[0])
        return ((value, aux) if has_aux else value), grad_out

    _wraps(value_and_grad_f, f)
    return value_and_grad_f


def grad(f: Callable[..., Any], argnums: int | Sequence[int] = 0,
         has_aux: bool = False, holomorphic: bool = False, allow_int: bool = False
         ) -> Callable[..., Any]:
    """The gradient of a scalar function, by reverse mode.

    Args:
      f: a function with a scalar (0-d) floating-point output.
      argnums: an int, or a tuple of ints (the gradient is then a tuple, one per argument).
      has_aux: if True, ``f`` returns ``(output, aux)`` and the result is ``(grad, aux)``.
      holomorphic: ``f`` is holomorphic, from complex inputs to a complex output (see
        :func:`value_and_grad`).
      allow_int: integer and boolean arguments get ``float0`` zeros as their gradient instead
        of a ``TypeError`` (see :func:`value_and_grad`).

    Returns:
      A function with ``f``'s arguments returning the gradient, shaped like the argument(s).

    Raises:
      TypeError: the output is not a scalar, or a differentiated input is not floating point.
      ValueError: ``argnums`` is out of range.

    >>> import functrace as ft, functrace.numpy as fnp
    >>> float(ft.grad(fnp.sin)(0.0))
    1.0
    """
    _check_callable(f, "grad")
    vg = value_and_grad(f, argnums, has_aux, holomorphic, allow_int)

    def grad_f(*args: Any, **kwargs: Any) -> Any:
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    _wraps(grad_f, f)
    return grad_f


# ---------------------------------------------------------------------------------------------
# Batching


def _check_axis_spec(spec: Any, name: str) -> None:
    # in_axes is matched against the tuple of positional arguments, so its top level is an
    # int, None, or a tuple (list) with one entry per argument; out_axes is any prefix of the
    # output tree.  Either way every leaf is an int or None.
    top = (tuple, list) if name == "in_axes" else (tuple, list, dict)
    if not (spec is None or isinstance(spec, (int, np.integer, *top))) or any(
            not isinstance(a, (int, np.integer)) or isinstance(a, bool)
            for a in tree_leaves(spec)):
        raise AxisSpecError(
            f"vmap {name} must be an int, None, or a "
            + ("tuple of entries corresponding to the positional arguments passed to the "
               "function (each an int, None, or a pytree prefix of the argument)"
               if name == "in_axes" else "pytree prefix of the output with int or None leaves")
            + f", but got {spec!r}.")


def vmap(f: Callable[..., Any], in_axes: AxisSpec = 0, out_axes: AxisSpec = 0,
         axis_size: int | None = None, axis_name: Hashable | None = None
         ) -> Callable[..., Any]:
    """Vectorize ``f`` over an axis of its inputs, in one batched pass (no Python loop).

    Args:
      f: the function to vectorize.
      in_axes: which axis of each input is the batch axis: an int for all, None for
        unbatched, or a tuple (one entry per positional argument) / pytree prefix of them.
        Keyword arguments are always batched along axis 0, as in JAX.  Leaves with
        ``in_axes`` None that are not arrays (a function, a string) are passed through.
      out_axes: where the batch axis goes in each output (same forms).
      axis_size: the batch size, needed only when no input is batched.
      axis_name: a name for the batch axis, for the collectives inside ``f``
        (``lax.psum(x, axis_name)``, ``lax.pmean``, ``lax.all_gather``, ``lax.axis_index``...),
        as in JAX.

    Raises:
      ValueError: batched inputs disagree on the batch size, or an axis is out of range.

    >>> import numpy as np, functrace as ft
    >>> ft.vmap(lambda x: x.sum())(np.ones((3, 4))).shape
    (3,)
    """
    _check_callable(f, "vmap")
    _check_axis_spec(in_axes, "in_axes")
    _check_axis_spec(out_axes, "out_axes")

    def vmapped(*args: Any, **kwargs: Any) -> Any:
        axes_spec = tuple(in_axes) if isinstance(in_axes, list) else in_axes
        if isinstance(axes_spec, tuple) and len(axes_spec) != len(args):
            raise ValueError(
                f"vmap in_axes must have one entry per positional argument: got "
                f"len(in_axes)={len(axes_spec)}, len(args)={len(args)} (in_axes={in_axes!r})."
            )
        raw, in_tree = tree_flatten((args, kwargs))
        try:
            axes = broadcast_prefix(axes_spec, args) + broadcast_prefix(0, kwargs)
        except ValueError as e:
            raise ValueError(f"vmap in_axes specification must be a tree prefix of the "
                             f"corresponding value: in_axes={in_axes!r} does not match the "
                             f"arguments' structure: {e}") from None
        # Unbatched leaves (in_axes None) are not batch tracers in JAX.  Here, scalars and
        # non-array objects reach ``f`` as they are (a jitted callee can take them as static
        # arguments); unbatched arrays are traced with their values known, so they keep the
        # tracer methods (``x[traced_index]``, ``x.at``).  Either way Python control flow on
        # them works, and what depends on them alone is computed once, while tracing.
        static = {i: x for i, (x, a) in enumerate(zip(raw, axes, strict=True))
                  if a is None and not isinstance(x, (np.ndarray, Tracer))}
        leaves = [_leaf_value(x) for i, x in enumerate(raw) if i not in static]
        axes = [a for i, a in enumerate(axes) if i not in static]
        size, bdims = _batch_size(leaves, axes, axis_size)
        store = _OutStore()
        avals = [_unbatched_aval(x, d) for x, d in zip(leaves, bdims, strict=True)]
        known = [x if d is None else None for x, d in zip(leaves, bdims, strict=True)]
        with axis_frame(axis_name, size):
            closed, _, trace = trace_flat(
                _flat_fun(lambda a, kw: f(*a, **kw), in_tree, store, static=static), avals,
                known)
            outs, out_bdims = vmap_jaxpr(closed.jaxpr, closed.consts, leaves, bdims, size,
                                         trace.values, axis_name)
        out_tree = store.tree
        assert out_tree is not None
        out_spec = tree_unflatten(out_tree, [0] * out_tree.num_leaves) if out_axes == 0 else None
        try:
            o_axes = broadcast_prefix(out_axes, out_spec if out_spec is not None else
                                      tree_unflatten(out_tree, outs))
        except ValueError as e:
            raise ValueError(f"vmap out_axes specification must be a tree prefix of the "
                             f"corresponding value: out_axes={out_axes!r} does not match the "
                             f"outputs' structure: {e}") from None
        results = [_place_batch_axis(o, b, a, size)
                   for o, b, a in zip(outs, out_bdims, o_axes, strict=True)]
        return tree_unflatten(out_tree, _owned_outputs(results))

    _wraps(vmapped, f)
    name = getattr(f, "__name__", type(f).__name__)
    # As JAX's: the docstring says what vmapped is, then quotes f's own.
    vmapped.__doc__ = (f"Vectorized version of {name}: {name} mapped over an axis of its array "
                       "arguments (vmap's in_axes), the results stacked along out_axes.\n\n"
                       f"Original documentation:\n\n{f.__doc__ or ''}")
    return vmapped


def _batch_size(leaves: list[Any], axes: list[Any], axis_size: int | None
                ) -> tuple[int, list[int | None]]:
    bdims: list[int | None] = []
    sizes: dict[int, list[tuple[int, ...]]] = {}
    for x, a in zip(leaves, axes, strict=True):
        if a is None:
            bdims.append(None)
            continue
        a = int(a)
        shape = get_aval(x).shape
        if not -len(shape) <= a < len(shape):
            raise ValueError(
                f"vmap in_axes={a} is out of range for an argument of shape {shape} "
                f"(rank {len(shape)}): it must be in [-{len(shape)}, {len(shape)})."
            )
        d = a % len(shape)
        bdims.append(d)
        sizes.setdefault(shape[d], []).append(shape)
    if axis_size is not None:
        sizes.setdefault(axis_size, [])
    if len(sizes) > 1:
        detail = "; ".join(f"size {n}: shapes {shapes}" for n, shapes in sizes.items())
        raise ValueError(f"vmap got inconsistent sizes for array axes to be mapped: {detail}.")
    if not sizes:
        raise ValueError("vmap needs at least one batched input (an in_axes entry that is not "
                         "None) or an explicit axis_size.")
    return next(iter(sizes)), bdims


def _unbatched_aval(x: Any, bdim: int | None) -> ShapedArray:
    aval = get_aval(x)
    if bdim is None:
        return aval
    return ShapedArray(aval.shape[:bdim] + aval.shape[bdim + 1:], aval.dtype, aval.weak_type)


def _place_batch_axis(x: Any, bdim: int | None, out_axis: Any, size: int) -> Any:
    if out_axis is None:
        if bdim is not None:
            raise ValueError("vmap out_axes=None was given for an output that depends on the "
                             "batched inputs (only unbatched outputs can have out_axes=None).")
        return x
    ndim = len(get_aval(x).shape) + (bdim is None)
    if not -ndim <= out_axis < ndim:
        raise ValueError(f"vmap out_axes={out_axis} is out of range for an output of rank {ndim}.")
    out_axis %= ndim
    if bdim is None:
        return broadcast_batch(x, size, out_axis)
    return moveaxis(x, bdim, out_axis)


# ---------------------------------------------------------------------------------------------
# Jacobians


def _basis(leaves: list[Any]) -> list[np.ndarray]:
    """The standard basis of the flattened leaves, split per leaf: leaf i gets shape
    ``(N, *leaf.shape)`` where N is the total size."""
    avals = [get_aval(x) for x in leaves]
    total = sum(a.size for a in avals)
    out, start = [], 0
    for a in avals:
        block = np.zeros((total, a.size), a.dtype)
        block[start:start + a.size] = np.eye(a.size, dtype=a.dtype)
        out.append(block.reshape((total, *a.shape)))
        start += a.size
    return out


def _split_rows(x: Any, sizes: list[int], shapes: list[tuple[int, ...]], front: bool
                ) -> list[Any]:
    """Split the leading axis of ``x`` into blocks of ``sizes`` rows, each reshaped to its
    shape and placed after x's other axes (jacfwd: columns, layout ``out.shape + in.shape``)
    or, with ``front``, before them (jacrev: rows)."""
    out, start = [], 0
    rest = get_aval(x).shape[1:]
    for n, shape in zip(sizes, shapes, strict=True):
        block = x if n == get_aval(x).shape[0] else x[start:start + n]
        if front:
            out.append(reshape(block, (*shape, *rest)))
        else:
            out.append(reshape(moveaxis(block, 0, len(rest)), (*rest, *shape)))
        start += n
    return out


def _jacobian_tree(out_tree: PyTreeDef, in_tree: PyTreeDef, blocks: list[list[Any]],
                   single_argnum: bool) -> Any:
    owned = iter(_owned_outputs([b for row in blocks for b in row]))
    rows = []
    for row in blocks:
        inner = tree_unflatten(in_tree, [next(owned) for _ in row])
        rows.append(inner[0] if single_argnum else inner)
    return tree_unflatten(out_tree, rows)


def jacfwd(f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable[..., Any]:
    """The Jacobian of ``f`` by forward mode: one jvp per input column, batched by ``vmap``.

    The result has shape ``out.shape + in.shape`` (pytrees: the output tree of input trees).
    Cheap when inputs are few and outputs many.  Inputs are real; with ``holomorphic=True``
    they are complex and the result is the complex derivative of a holomorphic ``f``.

    >>> import numpy as np, functrace as ft
    >>> ft.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    _check_callable(f, "jacfwd")

    def jac(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums(argnums, len(args), "jacfwd")
        leaves, in_tree, _ = _diff_leaves(args, nums, "jacfwd", holomorphic, complex_ok=False)
        store = _OutStore()
        flat_f = _flat_fun(_diff_partial(f, args, nums, kwargs), in_tree, store, has_aux,
                           "jacfwd")

        def pushfwd(*t_leaves: Any) -> tuple[list[Any], list[Any]]:
            outs, dots = _jvp_flat(flat_f, leaves, list(t_leaves))
            return dots, outs  # the primal outputs (for aux) are the same for every column

        dots, outs = vmap(pushfwd, out_axes=(0, None))(*_basis(leaves))
        out_tree, aux = _split_aux(store, outs, has_aux)
        dots = dots[:out_tree.num_leaves]
        if holomorphic:
            for o in outs[:out_tree.num_leaves]:
                _check_output_dtype(get_aval(o).dtype, True, "jacfwd")
        sizes = [get_aval(x).size for x in leaves]
        shapes = [get_aval(x).shape for x in leaves]
        blocks = [_split_rows(d, sizes, shapes, front=False) for d in dots]
        result = _jacobian_tree(out_tree, in_tree, blocks, isinstance(argnums, int))
        return (result, aux) if has_aux else result

    _wraps(jac, f)
    return jac


def _split_aux(store: _OutStore, outs: list[Any], has_aux: bool) -> tuple[PyTreeDef, Any]:
    if not has_aux:
        assert store.tree is not None
        return store.tree, None
    out_tree, aux, n = store.tree  # type: ignore[misc]
    return out_tree, aux.rebuild(outs[n:])


def jacrev(f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, allow_int: bool = False) -> Callable[..., Any]:
    """The Jacobian of ``f`` by reverse mode: one vjp per output row, batched by ``vmap``.

    The result has shape ``out.shape + in.shape`` (pytrees: the output tree of input trees).
    Cheap when outputs are few and inputs many.  Outputs are real (inputs may be complex, as
    for ``grad``); with ``holomorphic=True`` inputs and outputs are complex and the result is
    the complex derivative of a holomorphic ``f``.  With ``allow_int=True``, integer and
    boolean inputs are accepted and their blocks are zeros of the input's dtype, as in JAX.

    >>> import numpy as np, functrace as ft
    >>> ft.jacrev(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    _check_callable(f, "jacrev")

    def jac(*args: Any, **kwargs: Any) -> Any:
        nums = _normalize_argnums(argnums, len(args), "jacrev")
        leaves, in_tree, avals = _diff_leaves(args, nums, "jacrev", holomorphic,
                                              allow_int=allow_int)
        outs, pullback, aux = _vjp(_diff_partial(f, args, nums, kwargs), leaves, in_tree, avals,
                                   has_aux, "jacrev")
        for o in outs:
            _check_output_dtype(get_aval(o).dtype, holomorphic, "jacrev")
        cts = vmap(pullback.flat)(*_basis(outs))
        sizes = [get_aval(o).size for o in outs]
        shapes = [get_aval(o).shape for o in outs]
        # cts[i] has shape (M, *in_i.shape): rows grouped by output; regroup per output.
        per_in = [_split_rows(c, sizes, shapes, front=True) for c in cts]
        blocks = [[per_in[i][o] for i in range(len(leaves))] for o in range(len(outs))]
        result = _jacobian_tree(pullback.out_tree, in_tree, blocks, isinstance(argnums, int))
        return (result, aux) if has_aux else result

    _wraps(jac, f)
    return jac


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable[..., Any]:
    """The Hessian of a scalar function: ``jacfwd(jacrev(f))`` (forward over reverse).

    With ``has_aux``, ``f`` returns ``(output, aux)`` and the result is ``(hessian, aux)``.

    >>> import numpy as np, functrace as ft
    >>> ft.hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    _check_callable(f, "hessian")
    return jacfwd(jacrev(f, argnums, has_aux, holomorphic), argnums, has_aux, holomorphic)


# ---------------------------------------------------------------------------------------------
# Smaller parts of JAX's API


def typeof(x: Any) -> ShapedArray:
    """The abstract value of an array, a number or a tracer: its ``ShapedArray`` (shape, dtype,
    and ``weak_type`` for a Python number), as JAX's ``typeof``.  Under a transformation it is
    the type the function sees (under ``vmap``, without the batch axis).

    Raises:
      TypeError: ``x`` is not an array, a number or a tracer (``typeof`` takes one value,
        not a pytree: map it over one with ``tree_map(ft.typeof, tree)``).

    >>> import numpy as np, functrace as ft
    >>> ft.typeof(np.ones((2, 3), np.float32)), ft.typeof(1.0)
    (ShapedArray(f32[2,3]), ShapedArray(f64[], weak_type=True))
    >>> ft.vmap(lambda x: print(ft.typeof(x)) or x)(np.ones((4, 2)))[0]
    ShapedArray(f64[2])
    array([1., 1.])
    """
    if isinstance(x, (Tracer, np.ndarray, np.generic, bool, int, float, complex)):
        aval = get_aval(x)
        if aval.dtype.kind in "biufc":
            return aval
    raise TypeError(f"typeof: {x!r} of type {type(x).__name__} is not a valid functrace value: "
                    "expected an array, a NumPy scalar, a Python number or a tracer (for a "
                    "pytree of them, use tree_map(typeof, tree)).")


def eval_shape(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The types ``f`` would return, without computing it: a pytree of ``ShapedArray`` (with
    ``.shape`` and ``.dtype``), as JAX's ``eval_shape`` (arguments may be arrays or anything
    with ``.shape`` and ``.dtype``, such as ``ShapedArray``).

    >>> import numpy as np, functrace as ft
    >>> ft.eval_shape(lambda x: x @ x.T, np.ones((3, 2)))
    ShapedArray(f64[3,3])
    """
    _check_callable(f, "eval_shape")
    leaves, in_tree = tree_flatten(args)
    avals = [ShapedArray(tuple(x.shape), np.dtype(x.dtype))
             if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, Tracer)
             and not isinstance(x, (np.ndarray, np.generic)) else get_aval(x) for x in leaves]
    store = _OutStore()
    closed = trace_abstract(_flat_fun(lambda *a: f(*a, **kwargs), in_tree, store, False,
                                      "eval_shape"), avals)
    assert store.tree is not None
    return tree_unflatten(store.tree, [v.aval for v in closed.jaxpr.outvars])


def linear_transpose(f: Callable[..., Any], *primals: Any) -> Callable[..., Any]:
    """The transpose of the linear function ``f``, at arguments shaped like ``primals``: a
    function from an output cotangent to the tuple of input cotangents (JAX's
    ``linear_transpose``).  For a linear ``f`` the vjp is the transpose at every point; it is
    taken at zero.  ``primals`` may be abstract (anything with ``.shape`` and ``.dtype``); as in
    JAX, ``f`` maps floats (or complex numbers) to floats, or integers to integers.

    Raises:
      TypeError: ``f`` is not linear: ``f(0)`` is not 0, or its vjp at random arguments
        differs from its vjp at zero (checked once, with a random cotangent); ``f`` mixes
        integer and floating-point types; or (from the returned function) a cotangent whose
        structure, shape or dtype is not that of ``f``'s output.

    >>> import numpy as np, functrace as ft
    >>> t = ft.linear_transpose(lambda x: 2.0 * x[::-1], np.zeros(3))
    >>> t(np.array([1.0, 2.0, 3.0]))
    (array([6., 4., 2.]),)
    """
    _check_callable(f, "linear_transpose")
    rng = np.random.default_rng(0)

    def aval_of(x: Any) -> ShapedArray:
        if not _is_value(x) and hasattr(x, "shape") and hasattr(x, "dtype"):
            return ShapedArray(tuple(x.shape), np.dtype(x.dtype))  # an abstract argument
        return get_aval(x)

    in_leaves, in_tree = tree_flatten(primals)
    in_avals = [aval_of(x) for x in in_leaves]
    # Integer functions are transposed in float64, their cotangents cast back.
    integer = bool(in_avals) and all(a.dtype.kind in "iu" for a in in_avals)
    work = [ShapedArray(a.shape, np.dtype(np.float64)) if integer else a for a in in_avals]

    def filled(avals: list[ShapedArray], draw: Callable[[ShapedArray], np.ndarray]) -> Any:
        return tree_unflatten(in_tree, [draw(a) for a in avals])

    def zero(a: ShapedArray) -> np.ndarray:
        return np.zeros(a.shape, a.dtype)

    def random(a: ShapedArray) -> np.ndarray:
        if a.dtype.kind not in "fc":
            return zero(a)
        return rng.standard_normal(a.shape).astype(a.dtype)

    out, pullback = vjp(f, *filled(work, zero))
    out_leaves, out_tree = tree_flatten(out)
    out_avals = [get_aval(o) for o in out_leaves]
    # The output types f gives on the arguments' own types (integers stay integers).
    true_out = tree_leaves(eval_shape(f, *filled(in_avals, zero))) if integer else out_avals
    out_kinds = {"i" if a.dtype.kind in "iu" else a.dtype.kind for a in true_out}
    if any(a.dtype.kind not in "iufc" for a in [*in_avals, *true_out]) or (
            out_kinds != {"i"} if integer else "i" in out_kinds):
        raise TypeError("linear_transpose only supports [float or complex] -> [float or "
                        "complex], and integer -> integer functions, got "
                        f"{[a.str_short() for a in in_avals]} -> "
                        f"{[ShapedArray(a.shape, a.dtype).str_short() for a in true_out]}.")
    ct = tree_unflatten(out_tree, [random(a) for a in out_avals])
    at_zero = pullback(ct)
    at_random = vjp(f, *filled(work, random))[1](ct)
    for got, want in zip(tree_leaves(at_random), tree_leaves(at_zero), strict=True):
        got, want = np.asarray(got), np.asarray(want)
        scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-6, atol=1e-9 * scale):
            raise TypeError("linear_transpose: f is not linear in its arguments (its vjp "
                            "depends on the point where it is taken).")
    if any(np.any(np.asarray(o) != 0) for o in out_leaves):
        raise TypeError("linear_transpose: f is not linear in its arguments (f(0) is not 0).")

    def transpose(ct: Any) -> tuple[Any, ...]:
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree:
            raise TypeError(f"linear_transpose: cotangent tree does not match the function "
                            f"output: expected {out_tree}, got {ct_tree}.")
        cast = []
        for c, a in zip(ct_leaves, out_avals, strict=True):
            b = get_aval(c)
            kind = "i" if integer and b.dtype.kind in "iu" else b.dtype.kind
            want = "i" if integer and a.dtype.kind in "iuf" else a.dtype.kind
            if b.shape != a.shape or (kind != want or (b.dtype != a.dtype and not b.weak_type
                                                       and not integer)):
                raise TypeError(f"linear_transpose: cotangent type does not match the function "
                                f"output: expected {a.str_short()}, got {b.str_short()}.")
            cast.append(np.asarray(c, a.dtype) if not isinstance(c, Tracer) else c)
        cts = pullback(tree_unflatten(out_tree, cast))
        if not integer:
            return cts  # type: ignore[no-any-return]
        ct_in, _ = tree_flatten(cts)
        return tuple(tree_unflatten(in_tree, [
            np.asarray(np.rint(np.asarray(c)), a.dtype) for c, a in zip(ct_in, in_avals,
                                                                        strict=True)]))

    return transpose


def closure_convert(fun: Callable[..., Any], *example_args: Any
                    ) -> tuple[Callable[..., Any], list[Any]]:
    """JAX's ``closure_convert``: ``fun`` with the traced floating values it closes over made
    explicit arguments.

    ``fun`` is traced on the shapes and dtypes of ``example_args``.  The traced values it
    reads from its enclosing scope (tracers of an outer ``grad``, ``jvp``, ``jit``...) whose
    dtype is floating or complex, the ones a derivative can flow through, are returned as
    ``hoisted_consts``; ``converted_fun(*args, *hoisted_consts)`` computes ``fun(*args)``.
    Concrete values and integer or boolean tracers stay closed over.  Outside any
    transformation nothing is traced, so ``hoisted_consts`` is empty.  This is what a
    ``custom_vjp`` or ``custom_jvp`` rule needs to differentiate with respect to a closure.

    Args:
      fun: the function; its arguments and outputs are pytrees of arrays.
      example_args: arguments with the structure, shapes and dtypes of later calls.

    Returns:
      ``(converted_fun, hoisted_consts)``, ``hoisted_consts`` a list of tracers.

    Raises:
      TypeError: ``converted_fun`` is called with arguments of another pytree structure.

    >>> import functrace as ft
    >>> def outer(w):
    ...     g, consts = ft.closure_convert(lambda x: w * x, 1.0)
    ...     return g(3.0, *consts), len(consts)
    >>> outer(2.0)[1], float(ft.grad(lambda w: outer(w)[0])(2.0))
    (0, 3.0)
    """
    _check_callable(fun, "closure_convert")
    leaves, in_tree = tree_flatten(example_args)
    store = _OutStore()
    closed = trace_abstract(_flat_fun(fun, in_tree, store, False, "closure_convert"),
                            [get_aval(_leaf_value(x)) for x in leaves])
    hoist = [isinstance(c, Tracer) and get_aval(c).dtype.kind in "fc" for c in closed.consts]
    hoisted = [c for c, h in zip(closed.consts, hoist, strict=True) if h]
    out_tree = store.tree
    assert out_tree is not None
    n_consts = len(hoisted)

    def converted_fun(*args_and_consts: Any) -> Any:
        n_args = len(args_and_consts) - n_consts
        args, moved = args_and_consts[:n_args], iter(args_and_consts[n_args:])
        arg_leaves, tree = tree_flatten(tuple(args))
        if tree != in_tree:
            raise TypeError(f"closure_convert: the converted function was traced for arguments "
                            f"of structure {in_tree} (then its {n_consts} hoisted constants), "
                            f"but it was called with {tree}.")
        consts = [next(moved) if h else c for c, h in zip(closed.consts, hoist, strict=True)]
        outs = eval_jaxpr(closed.jaxpr, consts, *arg_leaves)
        return tree_unflatten(out_tree, [_to_output(o) for o in outs])

    functools.update_wrapper(converted_fun, fun)
    return converted_fun, hoisted


def checkpoint(f: Callable[..., Any], *, prevent_cse: bool | Sequence[bool] = True,
               policy: Callable[..., bool] | None = None,
               static_argnums: int | Sequence[int] = (),
               static_argnames: str | Sequence[str] = ()) -> Callable[..., Any]:
    """JAX's ``checkpoint`` (``remat``): ``f``, whose intermediates reverse mode recomputes
    instead of storing them.

    Under a transformation, a call is one ``checkpoint`` equation carrying ``f``'s jaxpr (it
    prints nested).  ``grad`` and ``vjp`` keep only its inputs on their tape, plus the values
    ``policy`` saves, and the backward pass runs ``f``'s forward pass again from them before
    pulling back through it: memory for the intermediates of ``f`` is needed one checkpoint at
    a time.  Values and derivatives are those of ``f``; ``jit``, ``vmap``, ``jvp`` and higher
    derivatives see a checkpoint of the transformed function.  Outside any transformation
    ``f`` is just called.

    Where the arguments' values are known (``grad``, ``vjp``, ``jvp`` on concrete inputs),
    ``f`` is traced with them, so Python control flow on values works in ``f`` (JAX traces
    ``f`` abstractly and refuses it); under ``jit``, ``vmap`` and ``make_jaxpr`` it raises
    ``ConcretizationError``, as in JAX: mark such arguments static.

    Args:
      f: the function; its arguments and outputs are pytrees of arrays.
      prevent_cse: a bool, or (as JAX) a sequence with one per argument (pytree prefixes
        of the arguments, with bool leaves).  While any is True, ``jit`` keeps the backward
        pass's recomputation a call of its own, so that its optimiser does not merge it with
        the forward pass (which would keep the intermediates alive again).
      policy: None (save nothing) or a saving policy, ``policy(prim, *avals, **params) ->
        bool``, such as the entries of :mod:`functrace.checkpoint_policies`: the outputs of
        the equations of ``f`` it accepts are kept by the forward pass, not recomputed.
      static_argnums, static_argnames: arguments passed to ``f`` as Python values, untraced
        (``f`` may branch on them under ``jit`` too).  Arguments that are not traced (numbers,
        NumPy arrays) are passed as they are anyway.

    Raises:
      TypeError: an option has the wrong type.

    >>> import functrace as ft, functrace.numpy as fnp
    >>> g = ft.checkpoint(lambda x, n: fnp.sin(x) * n, static_argnames="n")
    >>> float(ft.grad(g)(0.0, n=3))
    3.0
    >>> print(ft.make_jaxpr(ft.checkpoint(lambda x: fnp.sin(fnp.sin(x))))(1.0))
    { lambda ; a:f64[]. let
        b:f64[] = remat2[
          jaxpr={ lambda ; c:f64[]. let
              d:f64[] = sin c
              e:f64[] = sin d
            in (e,) }
          prevent_cse=True
          differentiated=False
          policy=None
        ] a
      in (b,) }
    """
    _check_callable(f, "checkpoint")
    cse_leaves = ([prevent_cse] if isinstance(prevent_cse, bool) else
                  tree_leaves(list(prevent_cse)) if isinstance(prevent_cse, (tuple, list))
                  else None)
    if cse_leaves is None or not all(isinstance(b, bool) for b in cse_leaves):
        raise TypeError(f"checkpoint: prevent_cse must be a bool or a tuple of bools (one per "
                        f"argument), got {prevent_cse!r}.")
    if policy is not None and not callable(policy):
        raise TypeError(f"checkpoint: policy must be None or a callable (a "
                        f"checkpoint_policies entry), got {policy!r}.")
    nums = (static_argnums,) if isinstance(static_argnums, int) else static_argnums
    names = (static_argnames,) if isinstance(static_argnames, str) else static_argnames
    if not isinstance(nums, (tuple, list)) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in nums):
        raise TypeError(f"checkpoint: static_argnums must be an int or a tuple of ints, got "
                        f"{static_argnums!r}.")
    if not isinstance(names, (tuple, list)) or not all(isinstance(k, str) for k in names):
        raise TypeError(f"checkpoint: static_argnames must be a string or a tuple of strings, "
                        f"got {static_argnames!r}.")
    keep_cse = any(cse_leaves)

    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        static_pos = {i % len(args) for i in nums if -len(args) <= i < len(args)}
        dyn = tuple(a for i, a in enumerate(args) if i not in static_pos)
        dyn_kwargs = {k: v for k, v in kwargs.items() if k not in names}
        raw, in_tree = tree_flatten((dyn, dyn_kwargs))
        if isinstance(current_trace(), EvalTrace) and not any(
                isinstance(x, Tracer) for x in raw):
            return f(*args, **kwargs)  # nothing to differentiate: just run it

        def g(dyn_args: tuple[Any, ...], traced_kwargs: dict[str, Any]) -> Any:
            it = iter(dyn_args)
            full = [args[i] if i in static_pos else next(it) for i in range(len(args))]
            return f(*full, **traced_kwargs,
                     **{k: v for k, v in kwargs.items() if k in names})

        # Only traced leaves are inputs of the checkpoint: the rest (numbers, arrays, any
        # Python object) reach ``f`` as they are, constants of its jaxpr.
        passed = {i: x for i, x in enumerate(raw) if not isinstance(x, Tracer)}
        leaves = [x for x in raw if isinstance(x, Tracer)]
        store = _OutStore()
        outs = checkpoint_call(_flat_fun(g, in_tree, store, static=passed), leaves,
                                     prevent_cse=keep_cse, policy=policy)
        assert store.tree is not None
        return tree_unflatten(store.tree, [_to_output(o) for o in outs])

    functools.update_wrapper(checkpointed, f)
    return checkpointed


remat = checkpoint


def jacobian(f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False,
             holomorphic: bool = False, allow_int: bool = False) -> Callable[..., Any]:
    """JAX's ``jacobian``: :func:`jacrev` (``allow_int`` is accepted and ignored)."""
    return jacrev(f, argnums=argnums, has_aux=has_aux, holomorphic=holomorphic)


def custom_gradient(fun: Callable[..., Any]) -> Callable[..., Any]:
    """JAX's ``custom_gradient``: ``fun(*args)`` returns ``(value, vjp_fn)``, where
    ``vjp_fn(ct)`` returns the tuple of cotangents of ``args`` (a single one may be returned
    bare).  The function computes ``value``; its derivative is ``vjp_fn``.

    Built on :class:`custom_vjp`: the forward pass keeps the arguments, and the backward pass
    calls ``fun`` again on them to get ``vjp_fn`` (so ``vjp_fn`` may close over anything, and
    the result composes with every transformation).

    >>> import functrace as ft, functrace.numpy as fnp
    >>> @ft.custom_gradient
    ... def clipped_log(x):
    ...     return fnp.log(x), lambda g: (fnp.clip(g / x, -10.0, 10.0),)
    >>> float(ft.grad(clipped_log)(0.01)), float(ft.grad(clipped_log)(0.5))
    (10.0, 2.0)
    """
    _check_callable(fun, "custom_gradient")

    @custom_vjp
    def wrapped(*args: Any) -> Any:
        return fun(*args)[0]

    def fwd(*args: Any) -> tuple[Any, tuple[Any, ...]]:
        return fun(*args)[0], args

    def bwd(args: tuple[Any, ...], ct: Any) -> tuple[Any, ...]:
        cts = fun(*args)[1](ct)
        return tuple(cts) if isinstance(cts, (tuple, list)) else (cts,)

    wrapped.defvjp(fwd, bwd)
    functools.update_wrapper(wrapped, fun)
    return wrapped


def pure_callback(callback: Callable[..., Any], result_shape_dtypes: Any, *args: Any,
                  vmap_method: str | None = None, **kwargs: Any) -> Any:
    """JAX's ``pure_callback``: call the Python function ``callback(*args, **kwargs)`` on the
    NumPy values of its arguments from traced code (``jit``, ``vmap``, ``grad``'s forward
    pass), with outputs of the types ``result_shape_dtypes`` declares (a pytree of anything with
    ``.shape`` and ``.dtype``, such as ``ShapeDtypeStruct``).

    ``callback`` must be pure: ``jit`` may drop it when its outputs are unused. It has no
    derivative (wrap it in ``custom_jvp`` to give it one). ``vmap_method`` says how ``vmap``
    batches it: ``"sequential"`` (a call per member), ``"expand_dims"`` (one call; unbatched
    arguments get a leading axis of length 1), ``"broadcast_all"`` (one call; every argument
    broadcast to the batch); without one, ``vmap`` raises ``NotImplementedError``, as in JAX.

    >>> import numpy as np, functrace as ft
    >>> f = ft.jit(lambda x: ft.pure_callback(np.sinc, ft.ShapeDtypeStruct(x.shape, x.dtype), x))
    >>> f(np.array([0.0, 0.5]))
    array([1.        , 0.63661977])
    """
    _check_callable(callback, "pure_callback")
    if vmap_method is not None and vmap_method not in callbacks.VMAP_METHODS:
        choices = ", ".join(repr(m) for m in callbacks.VMAP_METHODS)
        raise ValueError(f"pure_callback: vmap_method must be None or one of {choices}, got "
                         f"{vmap_method!r}.")
    result_leaves, result_tree = tree_flatten(result_shape_dtypes)
    if not all(hasattr(r, "shape") and hasattr(r, "dtype") for r in result_leaves):
        raise TypeError("pure_callback: result_shape_dtypes must be a pytree of objects with "
                        f".shape and .dtype (ShapeDtypeStruct), got {result_shape_dtypes!r}.")
    result_avals = [ShapedArray(tuple(r.shape), np.dtype(r.dtype)) for r in result_leaves]
    leaves, in_tree = tree_flatten((args, kwargs))

    def flat_callback(*values: Any) -> list[Any]:
        call_args, call_kwargs = tree_unflatten(in_tree, list(values))
        out_leaves, out_tree = tree_flatten(callback(*call_args, **call_kwargs))
        if out_tree != result_tree:
            raise ValueError(f"pure_callback: the callback returned a {out_tree}, but "
                             f"result_shape_dtypes is a {result_tree}.")
        return out_leaves

    outs = callbacks.pure_callback(flat_callback, result_avals, *leaves, vmap_method=vmap_method)
    return tree_unflatten(result_tree, [_to_output(o) for o in outs])


def named_call(fun: Callable[..., Any], *, name: str | None = None) -> Callable[..., Any]:
    """JAX's ``named_call``: ``fun`` itself (functrace's IR has no name scopes)."""
    _check_callable(fun, "named_call")
    return fun


@contextlib.contextmanager
def named_scope(name: str) -> Iterator[None]:
    """JAX's ``named_scope``: a context manager that does nothing here."""
    if not isinstance(name, str):
        raise TypeError(f"named_scope: the name must be a string, got {type(name).__name__}.")
    yield


class ShapeDtypeStruct:
    """JAX's ``ShapeDtypeStruct``: a shape and a dtype standing for an array, for
    :func:`eval_shape` and ``jit(f).lower``; ``weak_type`` marks the type of a Python scalar
    (as :func:`make_jaxpr` with ``return_shape=True`` reports it)."""

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape: Sequence[int], dtype: Any, weak_type: bool = False):
        if dtype is None:  # (np.dtype(None) would be float64)
            raise ValueError("ShapeDtypeStruct: dtype must be specified.")
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object (a 0-d ShapeDtypeStruct)")
        return self.shape[0]

    def __repr__(self) -> str:
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self) -> int:
        return hash((self.shape, self.dtype, self.weak_type))


def device_put(x: Any, device: Any = None, **kwargs: Any) -> Any:
    """JAX's ``device_put``: ``x`` with its leaves as NumPy arrays (there is one device, the
    host)."""
    return tree_map(lambda v: v if isinstance(v, Tracer) else np.asarray(v), x)


def device_get(x: Any) -> Any:
    """JAX's ``device_get``: ``x`` with its arrays on the host, which is where functrace's
    arrays are: the leaves are returned as they are (a Python number stays one, as in JAX)."""
    return tree_map(lambda v: v, x)


def block_until_ready(x: Any) -> Any:
    """``x``: NumPy computes eagerly, so there is nothing to wait for (JAX's
    ``block_until_ready``, for code written for both)."""
    return x
