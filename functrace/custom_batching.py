"""User-defined batching rules: ``custom_vmap`` and ``sequential_vmap``, as
``jax.custom_batching``.

A decorated function is called through a higher-order primitive,
``custom_vmap_call[call_jaxpr, rule, num_consts]``, that carries the traced jaxpr of the
function (run by the impl, by ``jit``, and wherever nothing is batched) and the user's rule:

* its batching rule calls ``rule(axis_size, in_batched, *args)`` on the arguments with their
  batch axes moved first, and takes the outputs' batch axes from the ``out_batched`` it returns;
* its jvp rule binds a second ``custom_vmap_call`` from (primals, tangents) to the output
  tangents, whose rule is the jvp of the user's rule, so ``vmap(jvp(f))`` and ``jacfwd`` still
  batch through the rule (as in JAX);
* reverse mode is refused, as in JAX: apply ``vmap`` first, or wrap the function in
  ``custom_vjp``.

The first ``num_consts`` operands are traced values the function closes over; they may not be
batched (pass them as arguments instead), nor differentiated.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functrace.api import jvp
from functrace.core import (
    ClosedJaxpr,
    EvalTrace,
    Primitive,
    ShapedArray,
    Tracer,
    current_trace,
    get_aval,
)
from functrace.custom_rules import _convert_closure, _resolve_kwargs
from functrace.interpreters.eval import eval_jaxpr
from functrace.interpreters.jvp import instantiate, jvp_jaxpr, jvp_rules
from functrace.interpreters.vjp import vjp_rules
from functrace.interpreters.vmap import batch_rules
from functrace.primitives.shape import bdim_to_front
from functrace.tracing import trace_abstract
from functrace.tree_util import PyTreeDef, tree_flatten, tree_map, tree_unflatten

__all__ = ["custom_vmap", "sequential_vmap"]

# rule(axis_size, in_batched, *args) -> (out, out_batched)
VmapRule = Callable[..., tuple[Any, Any]]


def _name(f: Any) -> str:
    return str(getattr(f, "__name__", type(f).__name__))


class custom_vmap:  # noqa: N801 - lower-case like a function, as JAX
    """A function with a user-defined ``vmap`` rule.

    Called unbatched, the function runs (or is traced, under ``jit`` / ``grad``...) as it is.
    Under ``vmap``, the rule set with :meth:`def_vmap` computes the batched result instead.
    ``jvp`` and ``jacfwd`` work and keep using the rule when their result is batched; reverse
    mode (``grad``, ``vjp``, ``jacrev``) of the unbatched function raises ``ValueError``, as in
    JAX (``grad`` of ``vmap(f)`` works: it differentiates the rule).  To give the function a
    reverse-mode rule too, wrap it in :class:`~functrace.custom_vjp`.

    Args:
      fun: the function; its arguments and outputs are pytrees of arrays.

    >>> import numpy as np, functrace as ft, functrace.numpy as fnp
    >>> from functrace.custom_batching import custom_vmap
    >>> @custom_vmap
    ... def f(x, y):
    ...     return x + y
    >>> @f.def_vmap
    ... def f_vmap_rule(axis_size, in_batched, xs, ys):
    ...     assert all(in_batched) and xs.shape[0] == axis_size
    ...     return xs * ys, True          # the batched output, and that it is batched
    >>> float(f(2.0, 3.0)), ft.vmap(f)(np.arange(3.0), np.arange(1.0, 4.0))
    (5.0, array([0., 2., 6.]))
    """

    def __init__(self, fun: Callable[..., Any]):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.vmap_rule: VmapRule | None = None

    def def_vmap(self, vmap_rule: VmapRule) -> VmapRule:
        """Set the rule ``vmap_rule(axis_size, in_batched, *args) -> (out, out_batched)``.

        ``in_batched`` is a list with one pytree of bools per argument (its structure):
        whether each leaf carries the batch axis, of length ``axis_size``, first.  The rule
        returns the batched output and a pytree of bools of the output's structure saying
        which output leaves carry the batch axis (first).  Returns ``vmap_rule``, so it can be
        used as a decorator.
        """
        self.vmap_rule = vmap_rule
        return vmap_rule

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.vmap_rule is None:
            raise AttributeError(f"No batching rule defined for custom_vmap function "
                                 f"{_name(self.fun)} using def_vmap.")
        args = _resolve_kwargs(self.fun, args, kwargs)
        leaves, in_tree = tree_flatten(args)
        if isinstance(current_trace(), EvalTrace) or not any(
                isinstance(x, Tracer) for x in leaves):
            return self.fun(*args)
        leaves = [x if isinstance(x, Tracer) else np.asarray(x) for x in leaves]
        out_trees: list[PyTreeDef] = []

        def flat(*xs: Any) -> list[Any]:
            outs, tree = tree_flatten(self.fun(*tree_unflatten(in_tree, xs)))
            out_trees.append(tree)
            return outs

        call_jaxpr, consts = _convert_closure(trace_abstract(flat, [get_aval(x) for x in leaves]))
        rule = _UserRule(self.vmap_rule, self.fun, in_tree, out_trees[0])
        outs = custom_vmap_call_p.bind(*consts, *leaves, call_jaxpr=call_jaxpr, rule=rule,
                                       num_consts=len(consts))
        return tree_unflatten(out_trees[0], [o if isinstance(o, Tracer) else np.asarray(o)
                                             for o in outs])


def sequential_vmap(f: Callable[..., Any]) -> custom_vmap:
    """``f`` as a :class:`custom_vmap` function whose batched version is a loop: under
    ``vmap`` it is called once per batch member (through ``lax.map``, one traced body),
    the unbatched arguments passed to every call.  For functions that cannot batch
    themselves (a ``pure_callback``, say).

    >>> import numpy as np, functrace as ft
    >>> from functrace.custom_batching import sequential_vmap
    >>> total = sequential_vmap(lambda x: x.sum())
    >>> ft.vmap(total)(np.ones((3, 4)))
    array([4., 4., 4.])
    """
    from functrace import lax  # (lax imports this package's modules)

    fun = custom_vmap(f)

    @fun.def_vmap
    def rule(axis_size: int, in_batched: list[Any], *args: Any) -> tuple[Any, Any]:
        mapped = tree_map(lambda b, x: x if b else None, in_batched, list(args))
        fixed = tree_map(lambda b, x: None if b else x, in_batched, list(args))

        def one(mapped_args: Any) -> Any:
            merged = tree_map(lambda b, m, c: m if b else c, in_batched, mapped_args, fixed,
                              is_leaf=lambda x: x is None)
            return fun(*merged)

        out = lax.map(one, mapped)
        return out, tree_map(lambda _: True, out)

    return fun


# ---------------------------------------------------------------------------------------------
# The rules carried by the equation, on flat lists.


class _Rule:
    """A batching rule on flat lists: ``batch(size, xs, batched) -> (outs, out_batched)``,
    where the batched ``xs`` carry the batch axis first."""

    __name__: str
    fun: Callable[..., Any]

    def __repr__(self) -> str:
        return self.__name__

    def batch(self, size: int, xs: list[Any], batched: list[bool]
              ) -> tuple[list[Any], list[bool]]:
        raise NotImplementedError


class _UserRule(_Rule):
    """The user's ``rule(axis_size, in_batched, *args)``, its output checked."""

    def __init__(self, rule: VmapRule, fun: Callable[..., Any], in_tree: PyTreeDef,
                 out_tree: PyTreeDef):
        self.rule, self.fun, self.in_tree, self.out_tree = rule, fun, in_tree, out_tree
        self.__name__ = _name(rule)

    def batch(self, size: int, xs: list[Any], batched: list[bool]
              ) -> tuple[list[Any], list[bool]]:
        args = tree_unflatten(self.in_tree, xs)
        in_batched = list(tree_unflatten(self.in_tree, batched))
        pair = self.rule(size, in_batched, *args)
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            got = (f"a {type(pair).__name__} of length {len(pair)}"
                   if isinstance(pair, (tuple, list)) else f"a {type(pair).__name__}")
            raise TypeError(f"custom_vmap rule {self.__name__} must return a pair (out, "
                            f"out_batched), but it returned {got}.")
        outs, tree = tree_flatten(pair[0])
        out_batched, batched_tree = tree_flatten(pair[1])
        if tree != batched_tree:
            raise ValueError(f"structure of output value and output batching specification "
                             f"returned by custom vmap rule ({self.__name__}) do not match.\n"
                             f"Output values: {tree}\nBatching spec: {batched_tree}")
        if tree != self.out_tree:
            raise ValueError(f"structure of output returned by custom vmap rule "
                             f"({self.__name__}) does not match that of original "
                             f"custom-vmapped function {_name(self.fun)}.\nOriginal output: "
                             f"{self.out_tree}\nRule output: {tree}")
        return list(outs), [bool(b) for b in out_batched]


class _JvpOfRule(_Rule):
    """The batching rule of the tangent call made by the jvp rule: the jvp of ``rule``.

    Its inputs are (primals, tangents).  A primal and its tangent are batched together: where
    only one of them is, the other is broadcast along the batch axis, so ``rule`` sees one
    ``in_batched`` for both; ``jvp`` then differentiates ``rule``'s batched computation."""

    def __init__(self, rule: _Rule, float_outs: list[bool]):
        self.rule, self.fun, self.float_outs = rule, rule.fun, float_outs
        self.__name__ = f"jvp({rule.__name__})"

    def batch(self, size: int, xs: list[Any], batched: list[bool]
              ) -> tuple[list[Any], list[bool]]:
        n = len(xs) // 2
        both = [p or t for p, t in zip(batched[:n], batched[n:], strict=True)]
        xs = [bdim_to_front(x, None, size) if b and not was else x
              for x, b, was in zip(xs, both + both, batched, strict=True)]
        out_batched: list[bool] = []

        def run(*primals: Any) -> list[Any]:
            outs, out_batched[:] = self.rule.batch(size, list(primals), both)
            return outs

        _, out_dots = jvp(run, tuple(xs[:n]), tuple(xs[n:]))
        picked = [(t, b) for t, b, f in zip(out_dots, out_batched, self.float_outs,
                                           strict=True) if f]
        return [t for t, _ in picked], [b for _, b in picked]


# ---------------------------------------------------------------------------------------------
# custom_vmap_call: the function's jaxpr and the user's batching rule.

custom_vmap_call_p = Primitive("custom_vmap_call", multiple_results=True)


def _custom_vmap_impl(*args: Any, call_jaxpr: ClosedJaxpr, rule: _Rule, num_consts: int
                      ) -> list[Any]:
    return eval_jaxpr(call_jaxpr.jaxpr, call_jaxpr.consts, *args)


def _custom_vmap_shape(*avals: ShapedArray, call_jaxpr: ClosedJaxpr, rule: _Rule,
                       num_consts: int) -> list[ShapedArray]:
    return list(call_jaxpr.out_avals)


def _custom_vmap_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
                     call_jaxpr: ClosedJaxpr, rule: _Rule, num_consts: int) -> list[Any]:
    if any(t is not None for t in tangents[:num_consts]):
        raise TypeError(f"custom_vmap function {_name(rule.fun)} closes over a value that is "
                        "being differentiated; pass it as an argument instead.")
    consts, xs = primals[:num_consts], primals[num_consts:]
    x_dots = [instantiate(t, x) for t, x in zip(tangents[num_consts:], xs, strict=True)]
    float_outs = [a.dtype.kind in "fc" for a in call_jaxpr.out_avals]
    n = len(xs)

    def tangent_call(*operands: Any) -> list[Any]:
        c, p, t = operands[:num_consts], operands[num_consts:num_consts + n], \
            operands[num_consts + n:]
        _, dots = jvp_jaxpr(call_jaxpr.jaxpr, call_jaxpr.consts, [*c, *p],
                            [None] * num_consts + list(t))
        return [instantiate(d, a) for d, a, f in zip(dots, call_jaxpr.out_avals, float_outs,
                                                       strict=True) if f]

    avals = [*call_jaxpr.in_avals, *[get_aval(t) for t in x_dots]]
    jvp_jaxpr_, moved = _convert_closure(trace_abstract(tangent_call, avals))
    assert not moved, "differentiating a jaxpr cannot capture traced values"
    dots = iter(custom_vmap_call_p.bind(*consts, *xs, *x_dots, call_jaxpr=jvp_jaxpr_,
                                        rule=_JvpOfRule(rule, float_outs),
                                        num_consts=num_consts))
    return [next(dots) if f else None for f in float_outs]


def _custom_vmap_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
                     call_jaxpr: ClosedJaxpr, rule: _Rule, num_consts: int) -> list[Any]:
    raise ValueError(
        f"can't apply reverse-mode autodiff (grad, vjp, jacrev) to the custom_vmap function "
        f"{_name(rule.fun)}, as in JAX: custom_vmap functions support forward mode only. "
        "Differentiate vmap(f) instead of f, use jvp / jacfwd, or wrap the function in "
        "custom_vjp to give it a reverse-mode rule.")


def _custom_vmap_batch(size: int, args: list[Any], bdims: list[int | None], *,
                       call_jaxpr: ClosedJaxpr, rule: _Rule, num_consts: int
                       ) -> tuple[list[Any], list[int | None]]:
    if any(d is not None for d in bdims[:num_consts]):
        raise ValueError(f"custom_vmap function {_name(rule.fun)} closes over a value that is "
                         "batched by vmap; pass it as an argument instead, so that its rule "
                         f"{rule.__name__} sees it.")
    xs = [x if d is None else bdim_to_front(x, d, size)
          for x, d in zip(args[num_consts:], bdims[num_consts:], strict=True)]
    outs, out_batched = rule.batch(size, xs, [d is not None for d in bdims[num_consts:]])
    _check_batched_outputs(outs, out_batched, call_jaxpr.out_avals, size, rule)
    return outs, [0 if b else None for b in out_batched]


def _check_batched_outputs(outs: Sequence[Any], out_batched: Sequence[bool],
                           avals: Sequence[ShapedArray], size: int, rule: _Rule) -> None:
    for k, (o, b, a) in enumerate(zip(outs, out_batched, avals, strict=True)):
        want = (size, *a.shape) if b else a.shape
        if tuple(get_aval(o).shape) != want:
            raise ValueError(f"custom_vmap rule {rule.__name__}: output leaf {k} has shape "
                             f"{tuple(get_aval(o).shape)}, but with out_batched={b} it must "
                             f"have shape {want} (the function's output is {a.str_short()}).")


custom_vmap_call_p.impl = _custom_vmap_impl
custom_vmap_call_p.shape_rule = _custom_vmap_shape
jvp_rules[custom_vmap_call_p] = _custom_vmap_jvp
vjp_rules[custom_vmap_call_p] = _custom_vmap_vjp
batch_rules[custom_vmap_call_p] = _custom_vmap_batch
