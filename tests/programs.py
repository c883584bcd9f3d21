"""Random programs: a hypothesis strategy for small NumPy-style functions of one or two arrays.

A :class:`Program` is a straight-line list of :class:`Node` s over its inputs (``v0``, ``v1``)
and earlier nodes, each made by one *op spec* from :data:`OPS`: elementwise math, arithmetic
with NumPy broadcasting (between nodes, and with captured constants and Python scalars),
reductions with axes and ``keepdims``, reshapes, transposes, ``matmul`` / ``dot`` /
``tensordot``, ``where``.  Some nodes call plain ``np.`` functions instead of
``functrace.numpy`` (``spec.numpy``), which exercises the NumPy protocols on tracers.
Programs print as their code, so a failing example reads::

    Program(inputs=[(2, 3)], v1 = tanh(v0); v2 = sum(v1, axis=(1,), keepdims=False) ...)

Every op is smooth where the inputs fall (``log`` sees ``1 + x**2``, division divides by
``1 + y**2``, ``exp`` sees ``tanh(x)``), so the derivative properties hold; kinks (``abs``,
``maximum``, ``max``) are only met with probability ~0 on random inputs, and ties from
identical operands are split evenly, which is the correct derivative.

Adding an op
------------

Write ``make(rng, *shapes) -> Made | None``: given the operands' shapes (``arity`` of them,
picked among earlier nodes), draw any parameters from ``rng`` (a ``np.random.Generator``;
see :func:`coin`, :func:`integer`, :func:`choice`), and return
``Made(fn, text, out_shape)`` where ``fn(*operands)`` computes the node with
``functrace.numpy`` (or ``np.``, on tracers) and ``text`` is how it prints; return ``None`` if
the operands do not fit (e.g. matmul of unaligned shapes: the generator then picks another
op).  Append ``OpSpec(name, arity, make)`` to ``OPS``.  Every property in
``tests/test_programs.py`` picks it up.  Keep the op smooth on the whole real line (compose
with ``tanh`` or ``1 + x**2`` where needed) and keep its values moderate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from hypothesis import strategies as st

import functrace.numpy as fnp

Shape = tuple[int, ...]
Rng = np.random.Generator


class Made(NamedTuple):
    fn: Callable[..., Any]
    text: str
    shape: Shape


@dataclass(frozen=True)
class OpSpec:
    name: str
    arity: int
    make: Callable[..., Made | None]


class Node(NamedTuple):
    args: tuple[int, ...]  # operand indices into [inputs..., nodes...]
    made: Made


@dataclass(frozen=True)
class Program:
    """A straight-line program over ``len(in_shapes)`` array inputs; returns its last node."""

    in_shapes: tuple[Shape, ...]
    nodes: tuple[Node, ...]

    def __call__(self, *xs: Any) -> Any:
        env = list(xs)
        for node in self.nodes:
            env.append(node.made.fn(*[env[i] for i in node.args]))
        return env[-1]

    @property
    def out_shape(self) -> Shape:
        return self.nodes[-1].made.shape

    def scalar(self, *xs: Any) -> Any:
        """A scalar function with the program's derivatives (and some curvature)."""
        return fnp.sum(fnp.sin(self(*xs)))

    def inputs(self, rng: np.random.Generator, batch: tuple[int, ...] = ()) -> list[np.ndarray]:
        return [rng.uniform(-1.5, 1.5, size=batch + s) for s in self.in_shapes]

    def __repr__(self) -> str:
        n = len(self.in_shapes)
        lines = [f"v{n + k} = {node.made.text.format(*[f'v{i}' for i in node.args])}"
                 for k, node in enumerate(self.nodes)]
        return f"Program(inputs={list(self.in_shapes)}, " + "; ".join(lines) + ")"


# ---------------------------------------------------------------------------------------------
# Drawing helpers


def coin(rng: Rng, p: float = 0.5) -> bool:
    return bool(rng.random() < p)


def integer(rng: Rng, lo: int, hi: int) -> int:
    """A random integer in [lo, hi]."""
    return int(rng.integers(lo, hi + 1))


def choice(rng: Rng, options: list[Any]) -> Any:
    return options[int(rng.integers(len(options)))]


dims = st.integers(1, 3)


def shapes(min_rank: int = 0, max_rank: int = 3) -> st.SearchStrategy[Shape]:
    return st.lists(dims, min_size=min_rank, max_size=max_rank).map(tuple)


def broadcastable_to(rng: Rng, target: Shape) -> Shape:
    """A shape that broadcasts against ``target`` (trailing axes, some set to 1)."""
    lead = integer(rng, 0, len(target))
    return tuple(1 if coin(rng) else n for n in target[lead:])


def axes_of(rng: Rng, ndim: int) -> Any:
    """A NumPy ``axis`` argument: None, an int (maybe negative) or a tuple of axes."""
    kind = choice(rng, ["none", "int", "tuple"])
    if kind == "none":
        return None
    if kind == "int":
        return integer(rng, -ndim, ndim - 1)
    k = integer(rng, 1, ndim)
    return tuple(sorted(int(a) for a in rng.choice(ndim, size=k, replace=False)))


def reduced(shape: Shape, axis: Any, keepdims: bool) -> Shape:
    axes = range(len(shape)) if axis is None else (
        [axis % len(shape)] if isinstance(axis, int) else axis)
    return tuple(1 if i in axes else n for i, n in enumerate(shape) if keepdims or i not in axes)


def constant(rng: Rng, shape: Shape) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=shape)


# ---------------------------------------------------------------------------------------------
# Op specs: unary elementwise


def _unary(name: str, fn: Callable[[Any], Any], text: str) -> OpSpec:
    return OpSpec(name, 1, lambda rng, s: Made(fn, text, s))


UNARY = [
    _unary("sin", fnp.sin, "sin({0})"),
    _unary("np.cos", np.cos, "np.cos({0})"),
    _unary("tanh", fnp.tanh, "tanh({0})"),
    _unary("np.tanh", np.tanh, "np.tanh({0})"),
    _unary("exp", lambda x: fnp.exp(fnp.tanh(x)), "exp(tanh({0}))"),
    _unary("np.exp", lambda x: np.exp(np.tanh(x)), "np.exp(np.tanh({0}))"),
    _unary("log", lambda x: fnp.log(1.0 + x * x), "log(1 + {0}*{0})"),
    _unary("np.log1p", lambda x: np.log1p(x ** 2), "np.log1p({0}**2)"),
    _unary("sqrt", lambda x: fnp.sqrt(x * x + 0.5), "sqrt({0}*{0} + 0.5)"),
    _unary("square", lambda x: x ** 2, "{0}**2"),
    _unary("cube", lambda x: fnp.power(x, 3), "power({0}, 3)"),
    _unary("neg", lambda x: -x, "-{0}"),
    _unary("recip", lambda x: 1.0 / (1.0 + x * x), "1 / (1 + {0}*{0})"),
    _unary("arctan", fnp.arctan, "arctan({0})"),
    _unary("arcsin", lambda x: fnp.arcsin(0.9 * fnp.tanh(x)), "arcsin(0.9 * tanh({0}))"),
    _unary("cosh", lambda x: fnp.cosh(fnp.tanh(x)), "cosh(tanh({0}))"),
    _unary("expm1", lambda x: fnp.expm1(fnp.sin(x)), "expm1(sin({0}))"),
    _unary("abs", fnp.abs, "abs({0})"),
    _unary("logsumexp_pair", lambda x: fnp.logaddexp(x, 0.5 * x), "logaddexp({0}, 0.5*{0})"),
]

# ---------------------------------------------------------------------------------------------
# Binary elementwise (NumPy broadcasting between nodes)


def _broadcast(name: str, fn: Callable[[Any, Any], Any], text: str) -> OpSpec:
    def make(rng: Rng, a: Shape, b: Shape) -> Made | None:
        try:
            out = tuple(np.broadcast_shapes(a, b))
        except ValueError:
            return None
        return Made(fn, text, out)

    return OpSpec(name, 2, make)


BINARY = [
    _broadcast("add", fnp.add, "add({0}, {1})"),
    _broadcast("+", lambda x, y: x + y, "{0} + {1}"),
    _broadcast("sub", lambda x, y: x - y, "{0} - {1}"),
    _broadcast("mul", fnp.multiply, "multiply({0}, {1})"),
    _broadcast("np.multiply", np.multiply, "np.multiply({0}, {1})"),
    _broadcast("div", lambda x, y: x / (1.0 + y * y), "{0} / (1 + {1}*{1})"),
    _broadcast("maximum", fnp.maximum, "maximum({0}, {1})"),
    _broadcast("np.minimum", np.minimum, "np.minimum({0}, {1})"),
    _broadcast("pow", lambda x, y: fnp.power(1.0 + x * x, fnp.tanh(y)),
               "power(1 + {0}*{0}, tanh({1}))"),
    _broadcast("arctan2", lambda y, x: fnp.arctan2(y, 2.0 + fnp.tanh(x)),
               "arctan2({0}, 2 + tanh({1}))"),
    _broadcast("where", lambda x, y: fnp.where(x > 0, x * y, y - x),
               "where({0} > 0, {0}*{1}, {1} - {0})"),
]

# ---------------------------------------------------------------------------------------------
# Constants: broadcasting against captured arrays and Python scalars


def _with_constant(rng: Rng, s: Shape) -> Made:
    """Arithmetic with a captured array (a jaxpr const) that broadcasts against the node;
    sometimes the constant has an extra leading axis, so the node itself is broadcast."""
    if len(s) < 3 and coin(rng):
        c_shape: Shape = (integer(rng, 1, 3), *s)
    else:
        c_shape = broadcastable_to(rng, s)
    c = constant(rng, c_shape)
    op = choice(rng, ["+", "*", "-r", "np.add"])
    out = tuple(np.broadcast_shapes(s, c.shape))
    fns = {"+": lambda x: x + c, "*": lambda x: x * c, "-r": lambda x: c - x,
           "np.add": lambda x: np.add(x, c)}
    texts = {"+": "{0} + c", "*": "{0} * c", "-r": "c - {0}", "np.add": "np.add({0}, c)"}
    return Made(fns[op], texts[op] + f" (c: {c.shape})", out)


def _with_scalar(rng: Rng, s: Shape) -> Made:
    c = choice(rng, [0.5, 2.0, -1.5, 3])
    op = choice(rng, ["*", "+", "r-", "/"])
    fns = {"*": lambda x: x * c, "+": lambda x: c + x, "r-": lambda x: c - x,
           "/": lambda x: x / c}
    texts = {"*": f"{{0}} * {c}", "+": f"{c} + {{0}}", "r-": f"{c} - {{0}}", "/": f"{{0}} / {c}"}
    return Made(fns[op], texts[op], s)


CONSTANTS = [OpSpec("const", 1, _with_constant), OpSpec("scalar", 1, _with_scalar)]

# ---------------------------------------------------------------------------------------------
# Reductions


def _reduction(name: str, fn: Callable[..., Any], text: str) -> OpSpec:
    def make(rng: Rng, s: Shape) -> Made | None:
        if not s:
            return None
        axis = axes_of(rng, len(s))
        keepdims = coin(rng)
        return Made(lambda x: fn(x, axis=axis, keepdims=keepdims),
                    f"{text}({{0}}, axis={axis}, keepdims={keepdims})", reduced(s, axis, keepdims))

    return OpSpec(name, 1, make)


REDUCTIONS = [
    _reduction("sum", fnp.sum, "sum"),
    _reduction("np.sum", np.sum, "np.sum"),
    _reduction("mean", fnp.mean, "mean"),
    _reduction("np.mean", np.mean, "np.mean"),
    _reduction("max", fnp.max, "max"),
    _reduction("np.min", np.min, "np.min"),
    _reduction("var", fnp.var, "var"),
    _reduction("logsumexp", fnp.logsumexp, "logsumexp"),
    OpSpec("x.sum()", 1, lambda rng, s: Made(lambda x: x.sum(), "{0}.sum()", ())),
]

# ---------------------------------------------------------------------------------------------
# Shapes


def _reshape(rng: Rng, s: Shape) -> Made:
    factors = [f for n in s for f in _prime_factors(n)]
    order = [factors[i] for i in rng.permutation(len(factors))]
    cuts = sorted(integer(rng, 0, len(order)) for _ in range(integer(rng, 0, 2)))
    new = tuple(int(np.prod(order[i:j], dtype=np.int64))
                for i, j in zip([0, *cuts], [*cuts, len(order)], strict=True))
    if coin(rng) and new:
        spec = list(new)
        spec[integer(rng, 0, len(new) - 1)] = -1
        if coin(rng):
            return Made(lambda x: np.reshape(x, spec), f"np.reshape({{0}}, {tuple(spec)})", new)
        return Made(lambda x: x.reshape(spec), f"{{0}}.reshape({tuple(spec)})", new)
    return Made(lambda x: fnp.reshape(x, new), f"reshape({{0}}, {new})", new)


def _prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


def _transpose(rng: Rng, s: Shape) -> Made | None:
    if len(s) < 2:
        return None
    if coin(rng):
        return Made(lambda x: x.T, "{0}.T", s[::-1])
    perm = tuple(int(p) for p in rng.permutation(len(s)))
    return Made(lambda x: np.transpose(x, perm), f"np.transpose({{0}}, {perm})",
                tuple(s[p] for p in perm))


def _moveaxis(rng: Rng, s: Shape) -> Made | None:
    """A cyclic permutation for rank 3 (not its own inverse, unlike .T)."""
    if len(s) < 2:
        return None
    src, dst = choice(rng, [(0, -1), (-1, 0)])
    new = list(s)
    new.insert(dst % len(s), new.pop(src))
    if coin(rng):
        return Made(lambda x: np.moveaxis(x, src, dst), f"np.moveaxis({{0}}, {src}, {dst})",
                    tuple(new))
    return Made(lambda x: fnp.moveaxis(x, src, dst), f"moveaxis({{0}}, {src}, {dst})", tuple(new))


def _expand_dims(rng: Rng, s: Shape) -> Made | None:
    if len(s) >= 4:
        return None
    axis = integer(rng, 0, len(s))
    return Made(lambda x: fnp.expand_dims(x, axis), f"expand_dims({{0}}, {axis})",
                s[:axis] + (1,) + s[axis:])


def _squeeze(rng: Rng, s: Shape) -> Made | None:
    if 1 not in s:
        return None
    return Made(lambda x: np.squeeze(x), "np.squeeze({0})", tuple(n for n in s if n != 1))


def _broadcast_to(rng: Rng, s: Shape) -> Made | None:
    if len(s) >= 3:
        return None
    new = (integer(rng, 1, 3), *s)
    return Made(lambda x: fnp.broadcast_to(x, new), f"broadcast_to({{0}}, {new})", new)


SHAPES = [OpSpec("reshape", 1, _reshape), OpSpec("transpose", 1, _transpose),
          OpSpec("moveaxis", 1, _moveaxis),
          OpSpec("expand_dims", 1, _expand_dims), OpSpec("squeeze", 1, _squeeze),
          OpSpec("broadcast_to", 1, _broadcast_to)]

# ---------------------------------------------------------------------------------------------
# Linear algebra


def _matmul_const(rng: Rng, s: Shape) -> Made | None:
    """``x @ W`` with a captured weight matrix (a layer)."""
    if not s:
        return None
    w = constant(rng, (s[-1], integer(rng, 1, 3)))
    style = choice(rng, ["@", "np.dot", "matmul"])
    fn = {"@": lambda x: x @ w, "np.dot": lambda x: np.dot(x, w),
          "matmul": lambda x: fnp.matmul(x, w)}[style]
    text = {"@": "{0} @ W", "np.dot": "np.dot({0}, W)", "matmul": "matmul({0}, W)"}[style]
    return Made(fn, text + f" (W: {w.shape})", (*s[:-1], w.shape[1]))


def _matmul(rng: Rng, a: Shape, b: Shape) -> Made | None:
    """Node @ node: matrices with an aligned inner axis (batch axes broadcast)."""
    if len(a) < 1 or len(b) < 1 or a[-1] != b[max(len(b) - 2, 0)]:
        return None
    if len(a) >= 2 and len(b) >= 2:
        try:
            batch = tuple(np.broadcast_shapes(a[:-2], b[:-2]))
        except ValueError:
            return None
        out = (*batch, a[-2], b[-1])
    elif len(a) == 1 and len(b) <= 2:  # vector @ matrix or vector @ vector
        out = b[1:]
    elif len(b) == 1:  # (batch of) matrix @ vector
        out = a[:-1]
    else:
        return None
    return Made(lambda x, y: x @ y, "{0} @ {1}", out)


def _tensordot(rng: Rng, a: Shape, b: Shape) -> Made | None:
    n = 0
    while n < min(len(a), len(b)) and a[len(a) - 1 - n:] == b[:n + 1]:
        n += 1
    k = integer(rng, 0, n)
    if len(a) + len(b) - 2 * k > 4:
        return None
    return Made(lambda x, y: fnp.tensordot(x, y, k), f"tensordot({{0}}, {{1}}, {k})",
                a[:len(a) - k] + b[k:])


def _self_gram(rng: Rng, s: Shape) -> Made | None:
    """``x.T @ x`` or ``x @ x.T``: the same node on both sides."""
    if len(s) != 2:
        return None
    if coin(rng):
        return Made(lambda x: x.T @ x, "{0}.T @ {0}", (s[1], s[1]))
    return Made(lambda x: fnp.dot(x, fnp.transpose(x)), "dot({0}, transpose({0}))", (s[0], s[0]))


LINALG = [OpSpec("matmul_const", 1, _matmul_const), OpSpec("matmul", 2, _matmul),
          OpSpec("tensordot", 2, _tensordot), OpSpec("gram", 1, _self_gram)]

OPS: list[OpSpec] = [*UNARY, *BINARY, *CONSTANTS, *REDUCTIONS, *SHAPES, *LINALG]

# ---------------------------------------------------------------------------------------------
# The strategy


def random_program(rng: Rng, in_shapes: tuple[Shape, ...], n_ops: int,
                   ops: list[OpSpec] | None = None, max_size: int = 24) -> Program:
    """A program of ``n_ops`` nodes drawn with ``rng``; intermediate arrays have at most
    ``max_size`` elements."""
    ops = OPS if ops is None else ops
    node_shapes = list(in_shapes)
    nodes: list[Node] = []
    while len(nodes) < n_ops:
        spec = choice(rng, ops)
        # Operands: mostly the newest value (so programs are deep), sometimes an earlier one.
        args = [len(node_shapes) - 1 if coin(rng, 0.7) else integer(rng, 0, len(node_shapes) - 1)
                for _ in range(spec.arity)]
        made = spec.make(rng, *[node_shapes[i] for i in args])
        if made is None or int(np.prod(made.shape, dtype=np.int64)) > max_size:
            continue  # the op does not fit these operands: draw another
        nodes.append(Node(tuple(args), made))
        node_shapes.append(made.shape)
    return Program(tuple(in_shapes), tuple(nodes))


@st.composite
def programs(draw: Callable[[st.SearchStrategy[Any]], Any], n_inputs: int | None = None,
             max_ops: int = 6, in_shapes: tuple[Shape, ...] | None = None,
             ops: list[OpSpec] | None = None) -> Program:
    """A hypothesis strategy of random programs.

    Hypothesis draws (and shrinks) the number of inputs, their shapes and the number of
    nodes; the nodes themselves come from a seeded generator (hypothesis' preference for
    "simple" draws would otherwise make most programs ``sin(sin(x))``).  ``in_shapes`` fixes
    the inputs, e.g. ``((),)`` for a function of one scalar.
    """
    if in_shapes is None:
        n = draw(st.integers(1, 2)) if n_inputs is None else n_inputs
        in_shapes = tuple(draw(shapes()) for _ in range(n))
    n_ops = draw(st.integers(1, max_ops))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return random_program(rng, in_shapes, n_ops, ops)
