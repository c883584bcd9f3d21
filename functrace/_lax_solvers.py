"""``jax.lax.custom_root`` and ``jax.lax.custom_linear_solve``: solvers differentiated
implicitly, at the solution, instead of through their iterations.

* ``custom_root`` is a :class:`~functrace.custom_jvp` function of the traced values that ``f``,
  ``solve`` and ``tangent_solve`` close over (made explicit with ``closure_convert``) and of
  the initial guess.  Its jvp rule is the implicit function theorem: at a root ``x*`` of
  ``f(x; p)``, ``dx* = -(d_x f)^{-1} d_p f [dp]``, the inverse applied by ``tangent_solve``.
  Reverse mode transposes that rule, as for every ``custom_jvp`` function.
* ``custom_linear_solve`` binds one higher-order primitive, ``linear_solve``, that carries the
  jaxprs of ``matvec``, its transpose ``vecmat``, ``solve`` and ``transpose_solve``.  Its jvp
  rule is ``dx = A^{-1} (db - dA x)`` (a second ``linear_solve``); its vjp rule solves the
  transposed system, ``b_bar = A^{-T} x_bar``, and pulls ``-b_bar`` back through ``matvec``
  to the values it closes over; its batching rule batches the four jaxprs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from functrace.api import closure_convert, jvp, linearize, vjp
from functrace.core import ClosedJaxpr, Primitive, ShapedArray, Tracer, get_aval
from functrace.custom_rules import _convert_closure, custom_jvp
from functrace.dtypes import is_float0
from functrace.interpreters.eval import eval_jaxpr
from functrace.interpreters.jvp import instantiate, jvp_rules
from functrace.interpreters.vjp import vjp_rules
from functrace.interpreters.vmap import batch_rules, vmap_jaxpr
from functrace.primitives.shape import bdim_to_front
from functrace.tracing import trace_abstract, transpose_linear
from functrace.tree_util import PyTreeDef, tree_flatten, tree_map, tree_unflatten

__all__ = ["custom_linear_solve", "custom_root"]


def _as_leaves(tree: Any) -> tuple[list[Any], PyTreeDef]:
    leaves, treedef = tree_flatten(tree)
    return [x if isinstance(x, Tracer) else np.asarray(x) for x in leaves], treedef


def _check_tree(fun_name: str, expected_name: str, actual: PyTreeDef, expected: PyTreeDef,
                has_aux: bool = False) -> PyTreeDef:
    """``actual`` (or its first child, with ``has_aux``) must be ``expected``, as JAX checks."""
    if has_aux:
        children = actual.children()
        if len(children) != 2:
            raise ValueError(f"{fun_name}() produced a pytree with structure {actual}, but a "
                             "pair (output, aux) was expected because has_aux=True.")
        actual = children[0]
    if actual != expected:
        raise TypeError(f"{fun_name}() output pytree structure must match {expected_name}, "
                        f"got {actual} and {expected}.")
    return actual


def _out_tree(fun: Callable[..., Any], *args: Any) -> PyTreeDef:
    """The output structure of ``fun(*args)``, traced on the arguments' types."""
    leaves, in_tree = tree_flatten(args)
    trees: list[PyTreeDef] = []

    def flat(*xs: Any) -> list[Any]:
        out, tree = tree_flatten(fun(*tree_unflatten(in_tree, xs)))
        trees.append(tree)
        return out

    trace_abstract(flat, [get_aval(x) for x in leaves])
    return trees[0]


# ---------------------------------------------------------------------------------------------
# custom_root


def custom_root(f: Callable[[Any], Any], initial_guess: Any,
                solve: Callable[[Callable[[Any], Any], Any], Any],
                tangent_solve: Callable[[Callable[[Any], Any], Any], Any],
                has_aux: bool = False) -> Any:
    """A root of ``f`` found by ``solve``, differentiated by the implicit function theorem.

    ``solve(f, initial_guess)`` returns ``x`` with ``f(x) == 0``; how it gets there (a
    ``while_loop``, bisection, anything traceable) is never differentiated.  Derivatives with
    respect to the values ``f`` closes over come from ``f(x*(p); p) = 0``:
    ``dx* = -(d_x f)^{-1} (d_p f)[dp]``, where ``tangent_solve(g, y)`` applies the inverse of
    the linear map ``g`` (``f``'s jvp in ``x`` at the root) to ``y``.  Forward and reverse mode
    work, to any order that ``tangent_solve`` itself can be differentiated to, under ``jit``
    and ``vmap``.  The initial guess gets no derivative.

    Args:
      f: the function whose root is sought, from a pytree like ``initial_guess`` to one of the
        same structure.  It may close over the values being differentiated.
      initial_guess: the starting point (its structure, shapes and dtypes are the
        solution's); ``solve`` may ignore it.
      solve: ``solve(f, initial_guess) -> solution`` (``(solution, aux)`` with ``has_aux``).
      tangent_solve: ``tangent_solve(g, y) -> x`` with ``g(x) == y`` for the linear ``g``;
        for a scalar, ``lambda g, y: y / g(1.0)``; for a vector, e.g.
        ``lambda g, y: fnp.linalg.solve(ft.jacobian(g)(y), y)``.
      has_aux: ``solve`` returns ``(solution, aux)``; ``aux`` is returned as it is, with a
        zero derivative.

    Returns:
      The solution (and ``aux``, as a pair, with ``has_aux``).

    Raises:
      TypeError: ``f``, ``solve`` or ``tangent_solve`` returns another structure than
        ``initial_guess``.
      ValueError: ``has_aux=True`` but ``solve`` does not return a pair.

    >>> import functrace as ft
    >>> from functrace import lax
    >>> def newton(f, x):
    ...     for _ in range(30):
    ...         x = x - f(x) / ft.grad(f)(x)
    ...     return x
    >>> def sqrt(a):
    ...     return lax.custom_root(lambda x: x ** 2 - a, 1.0, newton,
    ...                            lambda g, y: y / g(1.0))
    >>> round(float(sqrt(2.0)), 12), round(float(ft.grad(sqrt)(2.0)), 12)  # 1/(2 sqrt(2))
    (1.414213562373, 0.353553390593)
    """
    guess_leaves, guess_tree = _as_leaves(initial_guess)
    guess = tree_unflatten(guess_tree, guess_leaves)
    _check_tree("f", "initial_guess", _out_tree(f, guess), guess_tree)
    f_conv, f_consts = closure_convert(f, guess)
    solve_conv, solve_consts = closure_convert(lambda x: solve(f, x), guess)
    _check_tree("solve", "initial_guess", _out_tree(solve_conv, guess, *solve_consts),
                guess_tree, has_aux)

    def linearize_and_solve(x: Any, b: Any) -> Any:
        return tangent_solve(linearize(f, x)[1], b)

    ls_conv, ls_consts = closure_convert(linearize_and_solve, guess, guess)
    _check_tree("tangent_solve", "x", _out_tree(ls_conv, guess, guess, *ls_consts), guess_tree)

    @custom_jvp
    def root(f_args: list[Any], solve_args: list[Any], ls_args: list[Any], x0: Any) -> Any:
        return solve_conv(x0, *solve_args)

    @root.defjvp
    def root_jvp(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        f_args, solve_args, ls_args, x0 = primals
        out = root(f_args, solve_args, ls_args, x0)
        solution = out[0] if has_aux else out
        if f_args:  # d_p f [dp], at the solution
            _, rhs = jvp(lambda *p: f_conv(solution, *p), tuple(f_args), tuple(tangents[0]))
        else:
            rhs = tree_map(lambda x: 0.0 * x, solution)
        solution_dot = tree_map(lambda t: -t, ls_conv(solution, rhs, *ls_args))
        if has_aux:
            return out, (solution_dot, tree_map(lambda a: 0.0 * a, out[1]))
        return out, solution_dot

    return root(list(f_consts), list(solve_consts), list(ls_consts), guess)


# ---------------------------------------------------------------------------------------------
# custom_linear_solve


def custom_linear_solve(matvec: Callable[[Any], Any], b: Any,
                        solve: Callable[[Callable[[Any], Any], Any], Any],
                        transpose_solve: Callable[[Callable[[Any], Any], Any], Any] | None = None,
                        symmetric: bool = False, has_aux: bool = False) -> Any:
    """``solve(matvec, b)``, with derivatives defined by ``matvec(x) == b`` at the solution.

    The solver is never differentiated (it may iterate with a ``while_loop``, or call a
    factorisation).  Derivatives come from the linear system itself: with respect to ``b``
    and to the values ``matvec`` closes over (the matrix ``A``), ``dx = A^{-1} (db - dA x)``
    in forward mode, and ``b_bar = A^{-T} x_bar``, ``A_bar = -b_bar x^T`` (pulled back
    through ``matvec``) in reverse mode.  Reverse mode needs ``transpose_solve`` (or
    ``symmetric=True``).  The values that ``solve`` and ``transpose_solve`` close over get no
    derivative.  Works under ``jit`` and ``vmap``, to any order.

    Args:
      matvec: the linear map ``x -> A x``, from a pytree like ``b`` to one like ``b``.
      b: the right-hand side, a pytree of arrays.
      solve: ``solve(matvec, b) -> x`` with ``matvec(x) == b`` (``(x, aux)`` with
        ``has_aux``).
      transpose_solve: ``transpose_solve(vecmat, b) -> x`` with ``vecmat(x) == b``, where
        ``vecmat`` is the transpose of ``matvec``.  Needed for reverse mode.
      symmetric: ``matvec`` is its own transpose; ``transpose_solve`` defaults to ``solve``.
      has_aux: ``solve`` and ``transpose_solve`` return ``(x, aux)``; ``aux`` (solver
        diagnostics, say) is returned with a zero derivative.

    Returns:
      ``x`` (``(x, aux)`` with ``has_aux``).

    Raises:
      TypeError: an output has another structure than ``b``; reverse mode without
        ``transpose_solve``.
      ValueError: an output has other shapes than ``b``'s.

    >>> import numpy as np, functrace as ft, functrace.numpy as fnp
    >>> from functrace import lax
    >>> def solve_with(a, b):
    ...     return lax.custom_linear_solve(lambda x: a @ x, b,
    ...                                    lambda mv, r: fnp.linalg.solve(a, r), symmetric=True)
    >>> a = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> solve_with(a, np.array([1.0, 2.0]))
    array([0.2, 0.6])
    >>> ft.grad(lambda b: solve_with(a, b).sum())(np.array([1.0, 2.0]))
    array([0.4, 0.2])
    """
    if transpose_solve is None and symmetric:
        transpose_solve = solve
    b_leaves, tree = _as_leaves(b)
    b_avals = [get_aval(x).strong() for x in b_leaves]

    def flat(fun: Callable[[Any], Any], name: str, aux: bool) -> Callable[..., list[Any]]:
        def flat_fun(*xs: Any) -> list[Any]:
            out = fun(tree_unflatten(tree, xs))
            _check_tree(name, "b", tree_flatten(out)[1], tree, aux)
            x_part, aux_part = (out[0], out[1]) if aux else (out, ())
            x_leaves = tree_flatten(x_part)[0]
            got = [tuple(get_aval(x).shape) for x in x_leaves]
            if got != [a.shape for a in b_avals]:
                raise ValueError(f"{name}() output shapes must match b, got {got} and "
                                 f"{[a.shape for a in b_avals]}.")
            aux_trees.setdefault(name, tree_flatten(aux_part)[1])
            return [*x_leaves, *tree_flatten(aux_part)[0]]

        return flat_fun

    aux_trees: dict[str, PyTreeDef] = {}
    matvec_jaxpr, matvec_consts = _trace(flat(matvec, "matvec", False), b_avals)

    def matvec_fn(x: Any) -> Any:
        return tree_unflatten(tree, eval_jaxpr(matvec_jaxpr.jaxpr, matvec_jaxpr.consts,
                                               *matvec_consts, *tree_flatten(x)[0]))

    solve_jaxpr, solve_consts = _trace(flat(lambda r: solve(matvec_fn, r), "solve", has_aux),
                                       b_avals)
    vecmat_jaxpr: ClosedJaxpr | None = None
    tsolve_jaxpr: ClosedJaxpr | None = None
    vecmat_consts: list[Any] = []
    tsolve_consts: list[Any] = []
    if transpose_solve is not None:
        vecmat_fn: Callable[[Any], Any] = matvec_fn
        if symmetric:
            vecmat_jaxpr, vecmat_consts = matvec_jaxpr, matvec_consts
        else:
            def vecmat_flat(*ys: Any) -> list[Any]:
                return transpose_linear(lambda *xs: eval_jaxpr(
                    matvec_jaxpr.jaxpr, matvec_jaxpr.consts, *matvec_consts, *xs),
                    b_avals, list(ys))

            vecmat_jaxpr, vecmat_consts = _trace(vecmat_flat, b_avals)

            def transposed(y: Any) -> Any:
                assert vecmat_jaxpr is not None
                return tree_unflatten(tree, eval_jaxpr(vecmat_jaxpr.jaxpr, vecmat_jaxpr.consts,
                                                       *vecmat_consts, *tree_flatten(y)[0]))

            vecmat_fn = transposed

        tsolve = transpose_solve
        tsolve_jaxpr, tsolve_consts = _trace(
            flat(lambda r: tsolve(vecmat_fn, r), "transpose_solve", has_aux), b_avals)
    outs = linear_solve_p.bind(
        *matvec_consts, *vecmat_consts, *solve_consts, *tsolve_consts, *b_leaves,
        **_Jaxprs(matvec_jaxpr, vecmat_jaxpr, solve_jaxpr, tsolve_jaxpr).params(),
        const_lengths=(len(matvec_consts), len(vecmat_consts), len(solve_consts),
                       len(tsolve_consts)))
    outs = [o if isinstance(o, Tracer) else np.asarray(o) for o in outs]
    x = tree_unflatten(tree, outs[:len(b_leaves)])
    if has_aux:
        return x, tree_unflatten(aux_trees["solve"], outs[len(b_leaves):])
    return x


def _trace(fun: Callable[..., list[Any]], avals: Sequence[ShapedArray]
           ) -> tuple[ClosedJaxpr, list[Any]]:
    """``fun`` traced, the traced values it closes over made leading inputs."""
    return _convert_closure(trace_abstract(fun, avals))


class _Jaxprs:
    """The four jaxprs of a ``linear_solve`` (``vecmat`` and ``transpose_solve`` may be None),
    each taking its constants then the vector: the params of the equation."""

    def __init__(self, matvec: ClosedJaxpr, vecmat: ClosedJaxpr | None, solve: ClosedJaxpr,
                 transpose_solve: ClosedJaxpr | None):
        self.matvec, self.vecmat = matvec, vecmat
        self.solve, self.transpose_solve = solve, transpose_solve

    def all(self) -> list[ClosedJaxpr | None]:
        return [self.matvec, self.vecmat, self.solve, self.transpose_solve]

    def transpose(self) -> _Jaxprs:
        assert self.vecmat is not None and self.transpose_solve is not None
        return _Jaxprs(self.vecmat, self.matvec, self.transpose_solve, self.solve)

    def params(self) -> dict[str, ClosedJaxpr | None]:
        return {"matvec": self.matvec, "vecmat": self.vecmat, "solve": self.solve,
                "transpose_solve": self.transpose_solve}


def _split(args: Sequence[Any], const_lengths: tuple[int, ...]) -> tuple[list[list[Any]],
                                                                         list[Any]]:
    groups, start = [], 0
    for n in const_lengths:
        groups.append(list(args[start:start + n]))
        start += n
    return groups, list(args[start:])


def _transposed_lengths(const_lengths: tuple[int, ...]) -> tuple[int, ...]:
    m, v, s, t = const_lengths
    return (v, m, t, s)


# ---------------------------------------------------------------------------------------------
# linear_solve: solve's jaxpr run forwards; derivatives from the linear system.

linear_solve_p = Primitive("linear_solve", multiple_results=True)


def _linear_solve_impl(*args: Any, const_lengths: tuple[int, ...], **params: Any
                       ) -> list[Any]:
    jaxprs = _Jaxprs(**params)
    (_, _, solve_consts, _), b = _split(args, const_lengths)
    return eval_jaxpr(jaxprs.solve.jaxpr, jaxprs.solve.consts, *solve_consts, *b)


def _linear_solve_shape(*avals: ShapedArray, const_lengths: tuple[int, ...], **params: Any
                        ) -> list[ShapedArray]:
    jaxprs = _Jaxprs(**params)
    return list(jaxprs.solve.out_avals)


def _linear_solve_jvp(primals: list[Any], tangents: list[Any], ans: list[Any], *,
                      const_lengths: tuple[int, ...], **params: Any) -> list[Any]:
    # A x = b, so dA x + A dx = db and dx = A^{-1} (db - dA x): one more linear_solve.
    jaxprs = _Jaxprs(**params)
    (matvec_consts, *_), b = _split(primals, const_lengths)
    (matvec_dots, *_), b_dots = _split(tangents, const_lengths)
    n = len(b)
    x = ans[:n]
    has_matvec_dot = any(t is not None for t in matvec_dots)
    if not has_matvec_dot and all(t is None for t in b_dots):
        return [None] * len(ans)
    rhs = [instantiate(t, v) for t, v in zip(b_dots, b, strict=True)]
    if has_matvec_dot:
        def matvec_of_consts(*consts: Any) -> list[Any]:
            return eval_jaxpr(jaxprs.matvec.jaxpr, jaxprs.matvec.consts, *consts, *x)

        dots = tuple(instantiate(t, c) for t, c in zip(matvec_dots, matvec_consts, strict=True))
        _, dA_x = jvp(matvec_of_consts, tuple(matvec_consts), dots)
        rhs = [r - d for r, d in zip(rhs, dA_x, strict=True)]
    groups, _ = _split(primals, const_lengths)
    x_dot = linear_solve_p.bind(*[c for g in groups for c in g], *rhs, **jaxprs.params(),
                                const_lengths=const_lengths)
    return [*x_dot[:n], *[None] * (len(ans) - n)]


def _linear_solve_vjp(cts: list[Any], ans: list[Any], args: list[Any], needed: list[bool], *,
                      const_lengths: tuple[int, ...], **params: Any) -> list[Any]:
    # b_bar = A^{-T} x_bar; the matrix's cotangent -b_bar x^T, pulled back through matvec.
    jaxprs = _Jaxprs(**params)
    groups, b = _split(args, const_lengths)
    n = len(b)
    out: list[Any] = [None] * len(args)
    if all(ct is None for ct in cts[:n]):
        return out
    if jaxprs.transpose_solve is None:
        raise TypeError("transpose_solve required for backwards mode automatic "
                        "differentiation of custom_linear_solve: pass transpose_solve, or "
                        "symmetric=True if matvec is its own transpose.")
    x_bar = [instantiate(ct, x) for ct, x in zip(cts[:n], ans[:n], strict=True)]
    m, v, s, t = groups
    b_bar = linear_solve_p.bind(*v, *m, *t, *s, *x_bar, **jaxprs.transpose().params(),
                                const_lengths=_transposed_lengths(const_lengths))[:n]
    start = len(args) - n
    for i in range(n):
        if needed[start + i]:
            out[start + i] = b_bar[i]
    wanted = [i for i in range(len(m)) if needed[i]]
    if wanted:
        x = ans[:n]

        def matvec_of_consts(*consts: Any) -> list[Any]:
            full = list(m)
            for i, c in zip(wanted, consts, strict=True):
                full[i] = c
            return eval_jaxpr(jaxprs.matvec.jaxpr, jaxprs.matvec.consts, *full, *x)

        _, pullback = vjp(matvec_of_consts, *[m[i] for i in wanted])
        for i, ct in zip(wanted, pullback([-c for c in b_bar]), strict=True):
            out[i] = None if is_float0(ct) else ct
    return out


def _linear_solve_batch(size: int, args: list[Any], bdims: list[int | None], *,
                        const_lengths: tuple[int, ...], **params: Any
                        ) -> tuple[list[Any], list[int | None]]:
    # Each jaxpr batched on its constants' batch axes (moved first) and a batched vector; the
    # right-hand side is made batched, and so is every output.
    jaxprs = _Jaxprs(**params)
    n_consts = sum(const_lengths)
    args = [x if d is None else bdim_to_front(x, d, size) for x, d in zip(args, bdims,
                                                                          strict=True)]
    args[n_consts:] = [bdim_to_front(x, d, size) for x, d in zip(args[n_consts:],
                                                                  bdims[n_consts:], strict=True)]
    dims = [None if d is None else 0 for d in bdims[:n_consts]]
    const_dims, _ = _split(dims + [0] * (len(args) - n_consts), const_lengths)
    batched = [None if j is None else _batch_jaxpr(j, d, size)
               for j, d in zip(jaxprs.all(), const_dims, strict=True)]
    new = _Jaxprs(*batched)  # type: ignore[arg-type]
    outs = linear_solve_p.bind(*args, **new.params(), const_lengths=const_lengths)
    return outs, [0] * len(outs)


def _batch_jaxpr(closed: ClosedJaxpr, const_dims: list[int | None], size: int) -> ClosedJaxpr:
    """``closed`` (constants then a vector) on constants batched at ``const_dims`` (0 or None)
    and a vector batched at 0, every output batched at 0."""
    k = len(const_dims)
    dims = [*const_dims, *[0] * (len(closed.in_avals) - k)]
    avals = [a if d is None else ShapedArray((size, *a.shape), a.dtype)
             for a, d in zip(closed.in_avals, dims, strict=True)]

    def fun(*xs: Any) -> list[Any]:
        outs, out_dims = vmap_jaxpr(closed.jaxpr, closed.consts, xs, dims, size)
        return [bdim_to_front(o, d, size) for o, d in zip(outs, out_dims, strict=True)]

    batched, moved = _convert_closure(trace_abstract(fun, avals))
    assert not moved, "batching a jaxpr cannot capture traced values"
    return batched


linear_solve_p.impl = _linear_solve_impl
linear_solve_p.shape_rule = _linear_solve_shape
jvp_rules[linear_solve_p] = _linear_solve_jvp
vjp_rules[linear_solve_p] = _linear_solve_vjp
batch_rules[linear_solve_p] = _linear_solve_batch
