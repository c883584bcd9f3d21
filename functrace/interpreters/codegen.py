"""Compile a jaxpr into one generated Python function that calls NumPy directly.

Each equation becomes one line of Python, produced by the emitter registered for its primitive
(by name) in :data:`emitters`: ``mul`` becomes ``c = np.multiply(a, b)``.  The source is built
as text and ``exec``'d once, so a call runs no interpreter loop: no environment dict, no rule
lookup, no ``bind``.  Primitives without an emitter (control flow, say) are called through
their ``impl``, bound as a global of the generated module.

Two refinements make the generated code fast:

* **Buffer reuse.**  An elementwise ufunc whose result has the shape and dtype of an array
  that is dead by then writes into it with ``out=``.  Only buffers that the generated code
  itself allocated are reused, and only once nothing else can see them: never an input, a
  constant or a literal, never a view (``reshape``, ``transpose`` and ``broadcast_in_dim``
  results alias their operand, and a broadcast is read-only), never an array a live value
  aliases, never a buffer an opaque ``impl`` call received (it might have kept it).
* **Scalars.**  An equation whose operands are all ``f64[]`` is written with Python operators
  and the ``math`` module (``c = a * b``, ``d = _exp(c)``): NumPy's per-call overhead on 0-d
  values is about a microsecond, Python's float arithmetic tens of nanoseconds.  ``math``
  raises where NumPy returns ``inf``/``nan`` (``math.log(0.0)``), so the function catches
  ``ArithmeticError``/``ValueError`` and reruns the all-NumPy version, which gives NumPy's
  answer (and warnings).

``Compiled.source`` holds the generated text (``jit(f).lower(*args).as_text()`` shows it).
"""

from __future__ import annotations

import functools
import keyword
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from functrace.core import Atom, ClosedJaxpr, Eqn, Literal, ShapedArray, Var, last_uses
from functrace.primitives import elementwise as ew
from functrace.primitives.linalg import outer_by_gemm, outer_product, outer_product_sublists


class Compiled:
    """A compiled jaxpr: ``fn(*args)`` returns the tuple of outputs (0-d ones as arrays).

    ``source`` is the generated text; when the scalar fast path is used, it includes the
    all-NumPy fallback, which is otherwise generated only the first time it is needed.
    """

    def __init__(self, fn: Callable[..., tuple[Any, ...]], main_source: str,
                 fallback: _Fallback | None):
        self.fn, self.main_source, self.fallback = fn, main_source, fallback

    @property
    def source(self) -> str:
        if self.fallback is None:
            return self.main_source
        return f"{self.main_source}\n\n\n{self.fallback.compiled().main_source}"


class _Fallback:
    """The all-NumPy version of a function, compiled on its first call (``math`` raised)."""

    def __init__(self, closed: ClosedJaxpr, name: str, globals_: dict[str, Any]):
        self.closed, self.name, self.globals = closed, name, globals_
        self._compiled: Compiled | None = None

    def compiled(self) -> Compiled:
        if self._compiled is None:
            self._compiled = _exec(self.closed, self.name, use_math=False)
        return self._compiled

    def __call__(self, *args: Any) -> tuple[Any, ...]:
        fn = self.compiled().fn
        self.globals[self.name] = fn  # later calls go straight to it
        return fn(*args)


# emitter(eqn, operand expressions, context, out buffer name or None) -> an expression,
# or None to fall back to calling the primitive's impl.
Emitter = Callable[[Eqn, list[str], "_Module", "str | None"], "str | None"]

# -- NumPy emitters ----------------------------------------------------------------------------

# Elementwise primitives that are NumPy ufuncs: they accept ``out=``.
UFUNCS: dict[str, str] = {
    "add": "add", "sub": "subtract", "mul": "multiply", "neg": "negative", "max": "maximum",
    "min": "minimum", "pow": "power", "exp": "exp", "log": "log", "log1p": "log1p",
    "expm1": "expm1", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "sinh": "sinh",
    "cosh": "cosh", "arcsin": "arcsin", "arccos": "arccos", "arctan": "arctan",
    "arcsinh": "arcsinh", "arccosh": "arccosh", "arctanh": "arctanh", "arctan2": "arctan2",
    "hypot": "hypot", "cbrt": "cbrt",
    "sqrt": "sqrt", "abs": "absolute", "sign": "sign", "floor": "floor",
    "ceil": "ceil", "eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
    "gt": "greater", "ge": "greater_equal", "and": "bitwise_and", "or": "bitwise_or",
    "xor": "bitwise_xor", "not": "invert", "shift_left": "left_shift",
    "shift_right": "right_shift",
}
# Ufuncs that keep an integer dtype (others, like floor, turn integers into floats).
_INT_PRESERVING = frozenset({"add", "sub", "mul", "neg", "max", "min", "abs", "sign", "and", "or",
                             "xor", "not", "div", "integer_pow", "shift_left", "shift_right"})


def _ints(xs: Any) -> tuple[int, ...]:
    """A shape or axes as a tuple of Python ints (which print as plain numbers)."""
    return tuple(int(x) for x in xs)


def _call(fn: str, args: list[str], out: str | None) -> str:
    return f"{fn}({', '.join(args)}{f', out={out}' if out else ''})"


def _ufunc(name: str) -> Emitter:
    return lambda eqn, ins, mod, out: _call(f"np.{name}", ins, out)


def _div(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str:
    # As the impl: division of integers is floor division.
    kind = eqn.invars[0].aval.dtype.kind
    return _call("np.floor_divide" if kind in "iub" else "np.divide", ins, out)


def _integer_pow(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str:
    y = eqn.params["y"]
    if y == 2:
        return _call("np.multiply", [ins[0], ins[0]], out)
    dtype = eqn.invars[0].aval.dtype
    return _call("np.power", [ins[0], mod.glob(np.asarray(y, dtype)[()], f"_{y}")], out)


def _round(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str | None:
    # np.round on floats is the ufunc rint (half to even); other dtypes go through the impl.
    return _call("np.rint", ins, out) if eqn.invars[0].aval.dtype.kind == "f" else None


def _convert(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str:
    # As the impl: a complex array converts to a real dtype through its real part, copied (the
    # real part is a view of the complex buffer, which the generated code may write into).
    new_dtype = eqn.params["new_dtype"]
    if eqn.invars[0].aval.dtype.kind == "c" and new_dtype.kind != "c":
        return f"np.real({ins[0]}).astype({mod.dtype(new_dtype)})"
    return f"np.asarray({ins[0]}, dtype={mod.dtype(new_dtype)})"


def _extremum(ufunc: str) -> Emitter:
    """max/min: a large float array with a scalar goes through ``filled_extremum`` (NumPy's
    fast loops need two arrays; see ``functrace.primitives.elementwise``)."""

    def emit(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str:
        (res,) = eqn.outvars
        if (res.aval.dtype in ew.FILLED_DTYPES and res.aval.size >= ew.FILLED_MIN_SIZE
                and any(v.aval.ndim == 0 for v in eqn.invars)):
            fn = mod.glob(ew.filled_extremum, "_filled_extremum")
            return f"{fn}(np.{ufunc}, {', '.join(ins)}{f', {out}' if out else ''})"
        return _call(f"np.{ufunc}", ins, out)

    return emit


def _broadcast_in_dim(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str:
    in_shape = eqn.invars[0].aval.shape
    shape, dims = eqn.params["shape"], eqn.params["broadcast_dimensions"]
    expanded = [1] * len(shape)
    for src, dst in enumerate(dims):
        expanded[dst] = in_shape[src]
    x = ins[0]
    if len(in_shape) and tuple(expanded) != in_shape:
        x = f"np.reshape({x}, {_ints(expanded)})"
    return f"np.broadcast_to({x}, {_ints(shape)})"


def _reshape_to_out(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str:
    return f"np.reshape({ins[0]}, {_ints(eqn.outvars[0].aval.shape)})"


def _reduce(ufunc: str) -> Emitter:
    def emit(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str:
        dtype = eqn.invars[0].aval.dtype
        # np.add.reduce would promote small integers to the platform integer; the IR keeps dtype.
        keep = f", dtype={mod.dtype(dtype)}" if dtype.kind in "iub" and ufunc == "add" else ""
        return f"np.{ufunc}.reduce({ins[0]}, axis={_ints(eqn.params['axes'])}{keep})"

    return emit


def _select_n(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str | None:
    return f"np.where({ins[0]}, {ins[2]}, {ins[1]})" if len(ins) == 3 else None


def _dot_general(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str:
    """Every contraction as one BLAS call on 2-D (or batched 3-D) operands: NumPy's own
    ``dot`` on N-d arrays and batched ``matmul`` of thin matrices are far slower."""
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lhs, rhs = eqn.invars[0].aval, eqn.invars[1].aval
    if not lb and len(lc) == 1 and 1 <= lhs.ndim <= 2 and 1 <= rhs.ndim <= 2:
        # Matrix and vector products: transposes are free views for BLAS.
        a = ins[0] if lhs.ndim == 1 or tuple(lc) == (1,) else f"{ins[0]}.T"
        b = ins[1] if rhs.ndim == 1 or tuple(rc) == (0,) else f"{ins[1]}.T"
        return f"np.dot({a}, {b})"
    lf = [i for i in range(lhs.ndim) if i not in lc and i not in lb]
    rf = [i for i in range(rhs.ndim) if i not in rc and i not in rb]
    batch = [lhs.shape[i] for i in lb]
    m_shape, n_shape = [lhs.shape[i] for i in lf], [rhs.shape[i] for i in rf]
    k = math.prod(lhs.shape[i] for i in lc)
    a = _transposed(ins[0], (*lb, *lf, *lc))
    b = _transposed(ins[1], (*rb, *rc, *rf))
    out_shape = _ints(eqn.outvars[0].aval.shape)
    if k == 1:  # (batched) outer products: see outer_product
        if outer_by_gemm(lhs.dtype, rhs.dtype, math.prod(batch), math.prod(m_shape),
                         math.prod(n_shape)):
            fn = mod.glob(outer_product, "_outer_product")
            return f"{fn}({ins[0]}, {ins[1]}, {eqn.params['dimension_numbers']!r})"
        lhs_axes, rhs_axes, out_axes, perm = outer_product_sublists(
            lhs.shape, rhs.shape, eqn.params["dimension_numbers"])
        product = f"np.einsum({ins[0]}, {lhs_axes}, {ins[1]}, {rhs_axes}, {out_axes})"
        return product if perm is None else f"np.transpose({product}, {_ints(perm)})"
    m, n = math.prod(m_shape), math.prod(n_shape)
    a = f"np.reshape({a}, {_ints([*batch, m, k])})"
    b = f"np.reshape({b}, {_ints([*batch, k, n])})"
    product = f"np.matmul({a}, {b})" if batch else f"np.dot({a}, {b})"
    return f"np.reshape({product}, {out_shape})"


def _transposed(x: str, perm: tuple[int, ...]) -> str:
    return x if perm == tuple(range(len(perm))) else f"np.transpose({x}, {_ints(perm)})"


emitters: dict[str, Emitter] = {name: _ufunc(uf) for name, uf in UFUNCS.items()}
emitters.update({
    "div": _div,
    "max": _extremum("maximum"),
    "min": _extremum("minimum"),
    "integer_pow": _integer_pow,
    "round": _round,
    "select_n": _select_n,
    "convert_element_type": _convert,
    "stop_gradient": lambda eqn, ins, mod, out: ins[0],
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": _reshape_to_out,
    "squeeze": _reshape_to_out,
    "expand_dims": _reshape_to_out,
    "transpose": lambda eqn, ins, mod, out:
        f"np.transpose({ins[0]}, {_ints(eqn.params['permutation'])})",
    "reduce_sum": _reduce("add"),
    "reduce_max": _reduce("maximum"),
    "reduce_min": _reduce("minimum"),
    "dot_general": _dot_general,
})
# Emitters whose result is a view of (or is) their first operand.
VIEWS = frozenset({"broadcast_in_dim", "reshape", "squeeze", "expand_dims", "transpose",
                   "stop_gradient"})

# -- scalar emitters: operands and result all f64[] --------------------------------------------


def _infix(op: str) -> Emitter:
    return lambda eqn, ins, mod, out: f"{ins[0]} {op} {ins[1]}"


def _math(fn: str) -> Emitter:
    return lambda eqn, ins, mod, out: f"{mod.glob(getattr(math, fn), '_' + fn)}({', '.join(ins)})"


def _scalar_integer_pow(eqn: Eqn, ins: list[str], mod: _Module, out: str | None) -> str:
    y = eqn.params["y"]
    return f"{ins[0]} * {ins[0]}" if y == 2 else f"{ins[0]} ** {int(y)}"


scalar_emitters: dict[str, Emitter] = {
    "add": _infix("+"), "sub": _infix("-"), "mul": _infix("*"), "div": _infix("/"),
    "neg": lambda eqn, ins, mod, out: f"-{ins[0]}",
    "integer_pow": _scalar_integer_pow,
    "pow": _math("pow"), "exp": _math("exp"), "log": _math("log"), "log1p": _math("log1p"),
    "expm1": _math("expm1"), "sin": _math("sin"), "cos": _math("cos"), "tan": _math("tan"),
    "tanh": _math("tanh"), "sinh": _math("sinh"), "cosh": _math("cosh"),
    "arcsin": _math("asin"), "arccos": _math("acos"), "arctan": _math("atan"),
    "arcsinh": _math("asinh"), "arccosh": _math("acosh"), "arctanh": _math("atanh"),
    "arctan2": _math("atan2"), "hypot": _math("hypot"), "sqrt": _math("sqrt"), "abs": _math("fabs"),
    "stop_gradient": lambda eqn, ins, mod, out: ins[0],
}
_F64 = np.dtype(np.float64)


# ---------------------------------------------------------------------------------------------
# Generating the module


class _Buffer:
    """Memory the generated code holds: which variable names see it, how many live
    variables do."""

    __slots__ = ("base", "names", "aval", "refs", "holds", "owned", "external", "pending_del")

    def __init__(self, base: str, aval: ShapedArray, owned: bool, holds: list[_Buffer],
                 deletable: bool = True):
        self.base = base  # the variable holding the base array (the one to write into)
        self.names = [base] if deletable and aval.ndim else []  # to ``del`` when it dies
        self.aval = aval
        self.refs = 0
        self.holds = holds  # buffers kept alive while this one lives (opaque impl results)
        self.owned = owned  # allocated here, writable, nobody else sees it
        self.external = not deletable  # an input or a constant: the caller's memory
        self.pending_del: list[str] | None = None


class _Module:
    """The generated source's globals and variable names."""

    def __init__(self) -> None:
        self.globals: dict[str, Any] = {"np": np}
        self._by_id: dict[int, str] = {}
        self.names: dict[Var, str] = {}
        self._count = 0

    def glob(self, value: Any, hint: str) -> str:
        """The name of a global holding ``value`` (one per distinct object)."""
        name = self._by_id.get(id(value))
        if name is None:
            hint = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in hint)
            name, i = hint, 0
            while name in self.globals:
                i += 1
                name = f"{hint}_{i}"
            self.globals[name] = value
            self._by_id[id(value)] = name
        return name

    def dtype(self, dtype: Any) -> str:
        dtype = np.dtype(dtype)
        return self.glob(getattr(np, dtype.name, dtype), f"_{dtype.name}")

    def name(self, v: Var) -> str:
        """Variables are named a, b, ..., z, ba, ... as the jaxpr printer names them."""
        name = self.names.get(v)
        if name is None:
            while True:
                i, name = self._count, ""
                self._count += 1
                while True:
                    name = chr(ord("a") + i % 26) + name
                    i //= 26
                    if i == 0:
                        break
                if not keyword.iskeyword(name) and name != "np":
                    break
            self.names[v] = name
        return name

    def atom(self, v: Atom) -> str:
        return self.name(v) if type(v) is Var else self.literal(v)  # type: ignore[arg-type]

    def literal(self, lit: Literal) -> str:
        dtype, val = lit.aval.dtype, np.asarray(lit.val)
        if dtype == np.float64 and np.isfinite(val):
            return repr(float(val))
        if dtype == np.int64:
            return repr(int(val))
        if dtype == np.bool_:
            return repr(bool(val))
        return self.glob(np.asarray(val, dtype)[()], "_literal")


def _out_ok(eqn: Eqn) -> bool:
    """Can this equation write its result into an existing buffer with ``out=``?"""
    if eqn.primitive.name not in UFUNCS and eqn.primitive.name not in ("div", "integer_pow"):
        return False
    (out,) = eqn.outvars
    if out.aval.ndim == 0 or any(v.aval.dtype != out.aval.dtype for v in eqn.invars):
        return False
    return out.aval.dtype.kind in "fc" or eqn.primitive.name in _INT_PRESERVING


def _is_view(eqn: Eqn, expr: str, ins: list[str]) -> bool:
    """Is the emitted result a view of (or the same object as) the first operand?"""
    if eqn.primitive.name in VIEWS or expr in ins:
        return True
    return (eqn.primitive.name == "convert_element_type"
            and eqn.invars[0].aval.dtype == eqn.outvars[0].aval.dtype)


def _is_f64_scalar(eqn: Eqn) -> bool:
    return all(v.aval.shape == () and v.aval.dtype == _F64 for v in (*eqn.invars, *eqn.outvars))


class _Body:
    """The statements of the generated function (strings, or pending ``del`` lists filled in
    once buffer reuse is known), whether any of them used the ``math`` fast path, and what
    each variable's array is: which buffer it lives in, and whether it is read-only (a
    broadcast, or a view of one) or the result of an opaque ``impl`` call."""

    def __init__(self) -> None:
        self.lines: list[Any] = []
        self.used_math = False
        self.buffers: dict[Var, _Buffer] = {}
        self.read_only: set[Var] = set()
        self.opaque: set[Var] = set()


def _body(closed: ClosedJaxpr, mod: _Module, use_math: bool) -> _Body:
    jaxpr = closed.jaxpr
    body = _Body()
    buffers, lines = body.buffers, body.lines
    pool: dict[tuple[Any, ...], list[_Buffer]] = {}
    for v in (*jaxpr.constvars, *jaxpr.invars):  # never written, never deleted
        buffers[v] = b = _Buffer(mod.name(v), v.aval, owned=False, holds=[], deletable=False)
        b.refs = 1
    pinned = {v for v in jaxpr.outvars if type(v) is Var}

    def release(b: _Buffer) -> None:
        b.refs -= 1
        if b.refs == 0:
            for h in b.holds:
                release(h)
            # Drop every name of the dead memory (a pooled buffer's only if it is not reused).
            b.pending_del = list(b.names)
            lines.append(b.pending_del)
            if b.owned:
                pool.setdefault((b.aval.shape, b.aval.dtype), []).append(b)

    for eqn, dead in zip(jaxpr.eqns, last_uses(jaxpr), strict=True):
        name = eqn.primitive.name
        ins = [mod.atom(v) for v in eqn.invars]
        scalar = use_math and name in scalar_emitters and _is_f64_scalar(eqn)
        emitter = scalar_emitters[name] if scalar else emitters.get(name)
        target = None
        if emitter is not None and not scalar and _out_ok(eqn):
            target = _take_buffer(eqn, dead, buffers, pool)
        expr = emitter(eqn, ins, mod, target.base if target else None) if emitter else None
        outs = [mod.name(v) for v in eqn.outvars]
        if target is not None and target.pending_del is not None:
            target.pending_del.clear()  # the buffer is reused, so it must not be deleted
            target.pending_del = None
        if expr is not None:
            body.used_math |= scalar
            lines.append(f"{outs[0]} = {expr}")
        else:
            impl = functools.partial(eqn.primitive.impl, **eqn.params)
            fn = mod.glob(impl, f"_{name}")
            targets = f"{', '.join(outs)}{',' if len(outs) == 1 else ''}"
            lines.append(f"{targets} = {fn}({', '.join(ins)})")
        # Record what each output's array is: the reused buffer, a view, fresh or opaque memory.
        in_bufs = [buffers[v] for v in eqn.invars if type(v) is Var]  # type: ignore[index]
        for v, out_name in zip(eqn.outvars, outs, strict=True):
            if target is not None:
                b, target.base = target, out_name
            elif expr is None:  # an impl may return (views of) its inputs, or keep them
                b = _Buffer(out_name, v.aval, owned=False, holds=in_bufs)
                for h in in_bufs:
                    h.refs += 1
                body.opaque.add(v)
            elif not _is_view(eqn, expr, ins):
                b = _Buffer(out_name, v.aval, owned=v.aval.ndim > 0, holds=[])
            elif type(eqn.invars[0]) is Var:
                b = buffers[eqn.invars[0]]  # type: ignore[index]
                if name == "broadcast_in_dim" or eqn.invars[0] in body.read_only:
                    body.read_only.add(v)
            else:  # a view of a literal: not writable
                b = _Buffer(out_name, v.aval, owned=False, holds=[])
                body.read_only.add(v)
            if out_name not in b.names and v.aval.ndim:
                b.names.append(out_name)
            b.refs += 1 + (v in pinned)
            buffers[v] = b
        for v in dead:
            release(buffers[v])
    return body


def _take_buffer(eqn: Eqn, dead: list[Var], buffers: dict[Var, _Buffer],
                 pool: dict[tuple[Any, ...], list[_Buffer]]) -> _Buffer | None:
    """A dead buffer of the output's shape and dtype to write into, if there is one."""
    aval = eqn.outvars[0].aval
    free = pool.get((aval.shape, aval.dtype))
    if free:
        return free.pop()
    # An operand whose last use is this equation: elementwise ufuncs may write in place.
    for v in dead:
        b = buffers[v]
        if (b.owned and b.refs == 1 and b.aval.shape == aval.shape
                and b.aval.dtype == aval.dtype):
            return b
    return None


def _render(name: str, args: list[str], lines: list[Any], outs: list[str],
            fallback: str | None) -> str:
    body = []
    for line in lines:
        if isinstance(line, list):
            if line:
                body.append(f"del {', '.join(line)}")
        else:
            body.append(line)
    head = f"def {name}({', '.join(args)}):"
    ret = f"return ({', '.join(outs)}{',' if len(outs) == 1 else ''})"
    if fallback is None:
        return "\n".join([head, *[f"    {s}" for s in body], f"    {ret}"])
    return "\n".join([head, "    try:", *[f"        {s}" for s in body],
                      "    except (ArithmeticError, ValueError):",
                      "        # math raised where NumPy returns inf or nan: let NumPy decide",
                      f"        return {fallback}({', '.join(args)})", f"    {ret}"])


def _outputs(outvars: list[Atom], body: _Body, consts: dict[Var, Any], mod: _Module
             ) -> list[str]:
    """The expressions returning the outputs: arrays the caller may write into, as without jit.
    An input (or a view of one) is returned as it is, as the function itself would.  A copy is
    returned of a constant (so that no caller can change what later calls return), of a
    broadcast (a read-only view), and of an output that may share memory made here with an
    earlier one (a value returned twice, two equal computations merged by the optimiser, one
    cotangent that a vjp rule handed to two inputs); an opaque ``impl``'s result is copied if
    it is read-only."""
    outs = []
    seen: set[int] = set()  # the buffers made here that earlier outputs may be (part of)
    for out in outvars:
        x = mod.atom(out)
        if type(out) is not Var:
            outs.append(f"{mod.glob(np.asarray, '_asarray')}({x})" if out.aval.ndim == 0 else x)
            continue
        held = _held(body.buffers[out])
        if out in consts or out in body.read_only or held & seen:
            outs.append(f"{mod.glob(np.array, '_copy')}({x})")
            continue
        seen |= held
        if out in body.opaque:
            outs.append(f"{mod.glob(_writable, '_writable')}({x})")
        else:
            outs.append(f"{mod.glob(np.asarray, '_asarray')}({x})" if out.aval.ndim == 0 else x)
    return outs


def _writable(x: Any) -> Any:
    x = np.asarray(x)
    return x if x.flags.writeable else x.copy()


def _held(b: _Buffer) -> set[int]:
    """The buffers made by the generated code that an array in ``b`` may be (part of)."""
    ids = set() if b.external else {id(b)}
    for h in b.holds:
        ids |= _held(h)
    return ids


def _source(closed: ClosedJaxpr, name: str, mod: _Module, use_math: bool,
            fallback: str | None) -> tuple[str, bool]:
    jaxpr = closed.jaxpr
    mod.names.clear()
    mod._count = 0
    consts = dict(zip(jaxpr.constvars, closed.consts, strict=True))
    for v, c in consts.items():
        mod.globals[mod.name(v)] = c
    args = [mod.name(v) for v in jaxpr.invars]
    body = _body(closed, mod, use_math)
    outs = _outputs(jaxpr.outvars, body, consts, mod)
    return (_render(name, args, body.lines, outs, fallback if body.used_math else None),
            body.used_math)


def compile_jaxpr(closed: ClosedJaxpr, name: str = "jitted") -> Compiled:
    """Generate, ``exec`` and return the Python function computing ``closed``.

    ``closed`` should be optimised first (``optimize.optimize``): the generator emits one line
    per equation as it is.  The function takes the jaxpr's inputs positionally and returns a
    tuple of its outputs; constants are globals of the generated module.

    >>> import functrace as ft, functrace.numpy as fnp
    >>> closed = ft.make_jaxpr(lambda x, y: fnp.sin(x) * y)(np.ones(3), np.ones(3))
    >>> print(compile_jaxpr(closed, "f").source)
    def f_(a, b):
        c = np.sin(a)
        d = np.multiply(c, b, out=c)
        return (d,)
    >>> compile_jaxpr(closed).fn(np.zeros(3), np.ones(3))
    (array([0., 0., 0.]),)
    """
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name) or "jitted"
    if not name.isidentifier():
        name = f"_{name}"
    if name.isalpha() and name.islower():  # could be a variable's name (a, b, ..., if)
        name = f"{name}_"
    return _exec(closed, name, use_math=True)


def _exec(closed: ClosedJaxpr, name: str, use_math: bool) -> Compiled:
    mod = _Module()
    fallback_name = f"{name}_numpy"
    source, used_math = _source(closed, name, mod, use_math, fallback_name)
    fallback = None
    if used_math:
        fallback = mod.globals[fallback_name] = _Fallback(closed, fallback_name, mod.globals)
    exec(compile(source, f"<functrace.jit {name}>", "exec"), mod.globals)
    return Compiled(mod.globals[name], source, fallback)
