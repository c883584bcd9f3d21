"""The IR: abstract values, variables, equations, jaxprs, primitives and ``bind``.

A jaxpr is a list of equations ``outvars = primitive[params] invars`` over typed variables.
Every operation on a traced value ends in :meth:`Primitive.bind`, which hands the primitive to
the *current trace*: the root :class:`EvalTrace` runs the primitive's NumPy implementation,
a tracing trace (``functrace.tracing``) records an equation.  Interpreters (``interpreters/``)
walk jaxprs and apply primitives through the same ``bind``, which is how transformations nest.
"""

from __future__ import annotations

import abc
import dis
import itertools
import linecache
import math
import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

import numpy as np

from functrace.errors import ConcretizationError, TracerLeakError

# ---------------------------------------------------------------------------------------------
# Abstract values


@dataclass(frozen=True)
class ShapedArray:
    """The abstract value of an array: its shape and dtype.

    ``weak_type`` marks values that came from Python scalars: as in NumPy (NEP 50) and JAX,
    they take the dtype of the array they are combined with.
    """

    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    weak_type: bool = False

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def strong(self) -> ShapedArray:
        return ShapedArray(self.shape, self.dtype) if self.weak_type else self

    def str_short(self) -> str:
        return f"{dtype_short_name(self.dtype)}[{','.join(map(str, self.shape))}]"

    def __repr__(self) -> str:
        return f"ShapedArray({self.str_short()}{', weak_type=True' if self.weak_type else ''})"


_SHORT_KIND = {"f": "f", "i": "i", "u": "u", "c": "c"}


def dtype_short_name(dtype: np.dtype[Any]) -> str:
    """``float64`` -> ``f64``, ``int32`` -> ``i32``, ``bool`` -> ``bool``."""
    if dtype.kind == "b":
        return "bool"
    kind = _SHORT_KIND.get(dtype.kind)
    return f"{kind}{dtype.itemsize * 8}" if kind else str(dtype)


_PY_SCALAR_DTYPES: dict[type, np.dtype[Any]] = {
    bool: np.dtype(bool),
    int: np.dtype(np.int64),
    float: np.dtype(np.float64),
    complex: np.dtype(np.complex128),
}


# Avals are immutable: those of Python scalars, and of the arrays seen recently, are shared
# (building a frozen dataclass costs more than a dict lookup, and get_aval runs per operation).
_PY_SCALAR_AVALS: dict[type, ShapedArray] = {
    t: ShapedArray((), d, weak_type=t is not bool) for t, d in _PY_SCALAR_DTYPES.items()}
_ARRAY_AVALS: dict[tuple[tuple[int, ...], np.dtype[Any]], ShapedArray] = {}


def _array_aval(shape: tuple[int, ...], dtype: np.dtype[Any]) -> ShapedArray:
    aval = _ARRAY_AVALS.get((shape, dtype))
    if aval is None:
        if len(_ARRAY_AVALS) >= 4096:
            _ARRAY_AVALS.clear()
        aval = _ARRAY_AVALS[(shape, dtype)] = ShapedArray(shape, dtype)
    return aval


def get_aval(x: Any) -> ShapedArray:
    """The abstract value of a concrete value or tracer (Python scalars are weakly typed)."""
    if type(x) is Tracer:
        return x.aval
    if type(x) is np.ndarray:
        return _array_aval(x.shape, x.dtype)
    if type(x) is ShapedArray:
        # An abstract value stands for itself: the backward pass hands a vjp rule the aval of
        # an operand whose value the tape did not keep (a rule that needs only its shape).
        return x
    aval = _PY_SCALAR_AVALS.get(type(x))
    if aval is not None:
        return aval
    if isinstance(x, (np.ndarray, np.generic)):
        return _array_aval(x.shape, x.dtype)
    if isinstance(x, (bool, int, float, complex)):  # subclasses such as np.float64 are np.generic
        return get_aval(type(x).__mro__[1](x))
    raise TypeError(
        f"Value {x!r} of type {type(x).__name__} is not a valid functrace array: expected a "
        "NumPy array, a NumPy scalar or a Python number."
    )


# ---------------------------------------------------------------------------------------------
# Jaxprs


class Var:
    """A variable of a jaxpr.  Compared by identity; named only when printed."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var({self.aval.str_short()})"


class Literal:
    """A scalar constant written inline in an equation (``2.0:f64[]``)."""

    __slots__ = ("val", "aval")

    def __init__(self, val: Any, aval: ShapedArray):
        self.val = val
        self.aval = aval

    def __repr__(self) -> str:
        return f"Literal({self.val})"


Atom = Var | Literal


class Eqn:
    """One equation: ``outvars = primitive[params] invars``."""

    __slots__ = ("primitive", "invars", "outvars", "params")

    def __init__(
        self, primitive: Primitive, invars: list[Atom], outvars: list[Var], params: dict[str, Any]
    ):
        self.primitive = primitive
        self.invars = invars
        self.outvars = outvars
        self.params = params

    def __repr__(self) -> str:
        return pp_eqn(self, _Namer(), "")


@dataclass(eq=False)
class Jaxpr:
    """Input variables (constants first), equations and outputs."""

    constvars: list[Var]
    invars: list[Var]
    outvars: list[Atom]
    eqns: list[Eqn]
    # Derived facts (e.g. each variable's last use) cached by interpreters; not part of the IR.
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        return pp_jaxpr(self, _Namer(), "")

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.outvars]


@dataclass(eq=False)
class ClosedJaxpr:
    """A jaxpr together with the values of its constant variables."""

    jaxpr: Jaxpr
    consts: list[Any]
    # The pytree structure of the traced function's outputs, when it came from make_jaxpr.
    out_tree: Any = field(default=None, repr=False)

    def __str__(self) -> str:
        return str(self.jaxpr)

    __repr__ = __str__

    @property
    def in_avals(self) -> list[ShapedArray]:
        return self.jaxpr.in_avals

    @property
    def out_avals(self) -> list[ShapedArray]:
        return self.jaxpr.out_avals

    @property
    def eqns(self) -> list[Eqn]:
        return self.jaxpr.eqns


def has_effects(prim: Primitive, params: dict[str, Any]) -> bool:
    """Whether an equation must run where it is recorded, never computed ahead or dropped: its
    primitive is effectful (a callback, a collective), or a jaxpr among its params (a loop body,
    a branch, a jitted function) holds such an equation."""
    return prim.effectful or any(holds(j, "effects", _effectful) for j in inner_jaxprs(params))


def _effectful(eqn: Eqn) -> bool:
    return eqn.primitive.effectful


def holds(jaxpr: Jaxpr, key: str, test: Callable[[Eqn], bool]) -> bool:
    """Whether an equation of ``jaxpr``, or of a jaxpr among its equations' params at any
    depth, passes ``test``; cached in each jaxpr's cache under ``key`` (one key per test)."""
    found = jaxpr.cache.get(key)
    if found is None:
        found = jaxpr.cache[key] = any(
            test(e) or any(holds(j, key, test) for j in inner_jaxprs(e.params))
            for e in jaxpr.eqns)
    return bool(found)


def inner_jaxprs(params: dict[str, Any]) -> Iterator[Jaxpr]:
    """The jaxprs among an equation's params (a body, the branches of a cond, a call's)."""
    for p in params.values():
        for j in (p if type(p) is tuple else (p,)):
            if type(j) is ClosedJaxpr:
                yield j.jaxpr
            elif type(j) is Jaxpr:
                yield j


def last_uses(jaxpr: Jaxpr) -> list[list[Var]]:
    """For each equation, the variables read there for the last time (so interpreters free them)."""
    cached = jaxpr.cache.get("last_uses")
    if cached is None:
        seen: set[Var] = {v for v in jaxpr.outvars if isinstance(v, Var)}
        cached = []
        for eqn in reversed(jaxpr.eqns):
            dead = [v for v in eqn.invars if isinstance(v, Var) and v not in seen]
            seen.update(dead)
            cached.append(list(dict.fromkeys(dead)))
        cached.reverse()
        jaxpr.cache["last_uses"] = cached
    return cached


# ---------------------------------------------------------------------------------------------
# Printing (SPEC §4)


class _Namer:
    """Names variables a, b, ..., z, ba, bb, ... in order of first appearance."""

    def __init__(self) -> None:
        self.names: dict[Var, str] = {}

    def __call__(self, v: Atom) -> str:
        if isinstance(v, Literal):
            return f"{_format_literal(v.val)}:{v.aval.str_short()}"
        name = self.names.get(v)
        if name is None:
            i, name = len(self.names), ""
            while True:
                name = chr(ord("a") + i % 26) + name
                i //= 26
                if i == 0:
                    break
            self.names[v] = name
        return name

    def binder(self, v: Var) -> str:
        return f"{self(v)}:{v.aval.str_short()}"


def _format_literal(val: Any) -> str:
    val = np.asarray(val).item()
    return repr(val) if not isinstance(val, float) else np.format_float_positional(val, trim="0")


def pp_jaxpr(jaxpr: Jaxpr, namer: _Namer, indent: str) -> str:
    consts = " ".join(namer.binder(v) for v in jaxpr.constvars)
    args = " ".join(namer.binder(v) for v in jaxpr.invars)
    head = f"{{ lambda {consts}; {args}. let"
    body = [pp_eqn(eqn, namer, indent + "    ") for eqn in jaxpr.eqns]
    outs = ", ".join(namer(v) for v in jaxpr.outvars)
    tail = f"{indent}  in ({outs}{',' if len(jaxpr.outvars) == 1 else ''}) }}"
    return "\n".join([head, *body, tail])


def pp_eqn(eqn: Eqn, namer: _Namer, indent: str) -> str:
    outs = " ".join(namer.binder(v) for v in eqn.outvars)
    ins = " ".join(namer(v) for v in eqn.invars)
    return f"{indent}{outs} = {eqn.primitive.name}{_pp_params(eqn.params, namer, indent)} {ins}"


def _pp_params(params: dict[str, Any], namer: _Namer, indent: str) -> str:
    if not params:
        return ""
    nested = [_is_jaxprs(v) for v in params.values()]
    if not any(nested):
        return "[" + " ".join(f"{k}={_pp_value(v)}" for k, v in params.items()) + "]"
    lines = []
    for k, v in params.items():
        if isinstance(v, (Jaxpr, ClosedJaxpr)):
            v = pp_jaxpr(_open(v), namer, indent + "  ")
        elif _is_jaxprs(v):  # a tuple of jaxprs (cond's branches), one per line
            inner = [f"{indent}    {pp_jaxpr(_open(j), namer, indent + '    ')}" for j in v]
            v = "(\n" + "\n".join(inner) + f"\n{indent}  )"
        else:
            v = _pp_value(v)
        lines.append(f"{indent}  {k}={v}")
    return "[\n" + "\n".join(lines) + f"\n{indent}]"


def _is_jaxprs(v: Any) -> bool:
    """A jaxpr param, or a non-empty tuple of them."""
    if isinstance(v, tuple):
        return bool(v) and all(isinstance(j, (Jaxpr, ClosedJaxpr)) for j in v)
    return isinstance(v, (Jaxpr, ClosedJaxpr))


def _open(v: Jaxpr | ClosedJaxpr) -> Jaxpr:
    return v.jaxpr if isinstance(v, ClosedJaxpr) else v


def _pp_value(v: Any) -> str:
    if isinstance(v, np.dtype):
        return dtype_short_name(v)
    if isinstance(v, type) and issubclass(v, np.generic):
        return dtype_short_name(np.dtype(v))
    if callable(v) and hasattr(v, "__name__"):
        return str(v.__name__)
    return repr(v)


# ---------------------------------------------------------------------------------------------
# Primitives, traces and bind


class Primitive:
    """A named operation.  Its NumPy implementation and shape rule are set where it is declared
    (``functrace/primitives/``); its jvp, vjp and batching rules live in the interpreters' tables.
    """

    __slots__ = ("name", "multiple_results", "effectful", "impl", "impl1", "shape_rule")

    def __init__(self, name: str, multiple_results: bool = False, effectful: bool = False):
        self.name = name
        self.multiple_results = multiple_results
        # Run for its effect (a debug callback), or with a value only where it is carried out
        # (a collective, inside the vmap naming its axis): interpreters and jit's passes
        # never skip, remove, merge or pre-compute its equations, and a staging trace records
        # them even on known values.
        self.effectful = effectful
        self.impl: Callable[..., list[Any]] = _no_rule(name, "impl")
        # The same implementation returning its single output, where the primitive has one
        # (set by ``elementwise``): ``bind1`` at the root calls it without building a list.
        self.impl1: Callable[..., Any] | None = None
        self.shape_rule: Callable[..., list[ShapedArray]] = _no_rule(name, "shape rule")

    def __repr__(self) -> str:
        return self.name

    def def_impl1(self, impl1: Callable[..., Any]) -> None:
        """Set the NumPy implementation of a single-output primitive, as a function returning
        that output (``impl`` is derived from it)."""
        self.impl1 = impl1
        self.impl = lambda *args, **params: [impl1(*args, **params)]

    def bind(self, *args: Any, **params: Any) -> list[Any]:
        """Apply the primitive in the current trace; returns the list of outputs."""
        return get_current().process(self, args, params)

    def bind1(self, *args: Any, **params: Any) -> Any:
        """Apply a single-output primitive in the current trace; returns its output."""
        trace = get_current()
        if trace is _root and self.impl1 is not None:  # eager NumPy, the backward pass's case
            _check_no_tracers(self, args)
            return self.impl1(*args, **params)
        return trace.process(self, args, params)[0]


def _no_rule(name: str, what: str) -> Callable[..., Any]:
    def missing(*args: Any, **params: Any) -> Any:
        raise NotImplementedError(f"primitive '{name}' has no {what}")

    return missing


class Trace:
    """Where ``bind`` sends primitives.  Traces form a chain through ``parent``."""

    __slots__ = ("parent", "alive")

    def __init__(self, parent: Trace | None):
        self.parent = parent
        self.alive = True

    def process(self, prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> list[Any]:
        raise NotImplementedError


class EvalTrace(Trace):
    """The root trace: applies each primitive's NumPy implementation to concrete values."""

    __slots__ = ()

    def process(self, prim: Primitive, args: Sequence[Any], params: dict[str, Any]) -> list[Any]:
        _check_no_tracers(prim, args)
        return prim.impl(*args, **params)


def _check_no_tracers(prim: Primitive, args: Sequence[Any]) -> None:
    """The root computes on concrete values only: a tracer reaching it has leaked."""
    for x in args:
        if isinstance(x, Tracer):
            raise TracerLeakError(_leak_message(x, prim))


# Calls that turn a traced value into a Python number on purpose: ``float(x)`` to log it or
# to use it as a constant, and predicates whose results carry no derivative anyway.
_EXPLICIT_CONVERSION = re.compile(
    r"\s*((builtins\.)?(float|complex)|math\.(isnan|isinf|isfinite|isclose|floor|ceil|trunc))"
    r"\s*\(")


def _check_conversion_is_explicit(frame: FrameType, what: str) -> None:
    """Refuse a conversion of a traced value to a Python number that its caller did not ask
    for: C code that calls ``float()`` on its argument (``math.sin(x)``, or ``y[i] = x`` into
    a NumPy array) would silently return a result without the derivative.

    ``frame`` is the Python code that needs the number; the instruction it is running tells
    how: a call (allowed if the called expression is ``float(...)`` or another of
    ``_EXPLICIT_CONVERSION``), string formatting (``"%.3f" % x``, allowed), or a store into a
    container (refused).  The call's text comes from its source (Python 3.11+: instruction
    positions); where no source is available, and on Python 3.10, calls are allowed.
    """
    code, lasti = frame.f_code, frame.f_lasti
    op = dis.opname[code.co_code[lasti]]
    if op in ("BINARY_OP", "BINARY_MODULO"):  # "%f" % x
        return
    if op.startswith(("CALL", "PRECALL")):  # (3.11 runs some calls in PRECALL)
        text = _source_text(code, lasti)
        if text is None or _EXPLICIT_CONVERSION.match(text):
            return
        text = text.strip()
        math_fn = re.match(r"math\.(\w+)", text)
        raise ConcretizationError(
            f"{text} converts a traced value to a Python number (it calls {what} on it), "
            "which would drop its derivative. Use functrace.numpy on traced values"
            + (f" (fnp.{math_fn[1]} for math.{math_fn[1]})" if math_fn else "")
            + "; write float(x) to use the value as a constant."
        )
    raise ConcretizationError(
        f"Python asked for a traced value as a number ({what}, to store it in a NumPy array or "
        "another container of numbers?), which would drop its derivative. Build arrays from "
        "traced values with functrace.numpy (fnp.stack, fnp.where, x.at[i].set(v)); write "
        "float(x) to use the value as a constant."
    )


def _source_text(code: CodeType, lasti: int) -> str | None:
    """The source of the expression that instruction ``lasti`` of ``code`` evaluates."""
    if not hasattr(code, "co_positions"):  # Python 3.10
        return None
    start, end, col, end_col = next(itertools.islice(code.co_positions(), lasti // 2, None))
    if start is None or end is None or col is None or end_col is None:
        return None
    lines = [line.encode() for line in linecache.getlines(code.co_filename)[start - 1:end]]
    if len(lines) != end - start + 1:
        return None
    lines[-1] = lines[-1][:end_col]  # positions count bytes of the UTF-8 source
    lines[0] = lines[0][col:]
    return b"".join(lines).decode(errors="replace")


def _leak_message(x: Tracer, prim: Primitive) -> str:
    return (
        f"A tracer of type {x.aval.str_short()} was used by '{prim.name}' outside the "
        "transformation that created it (it was probably stored in a global variable or a "
        "closure and used after the transformed function returned). Return traced values "
        "from the transformed function instead of keeping them."
    )


class ThreadSetting:
    """A setting with a process-wide ``default`` that a ``with set(value):`` block changes for
    its own thread only, as JAX's ``disable_jit`` and ``ensure_compile_time_eval`` do.  While
    no thread is in such a block (``overridden`` is 0), reading it costs one attribute read."""

    __slots__ = ("default", "overridden", "_local", "_lock")

    def __init__(self, default: bool):
        self.default = default
        self.overridden = 0  # blocks open in any thread
        self._local = threading.local()
        self._lock = threading.Lock()

    def get(self) -> bool:
        if not self.overridden:
            return self.default
        return bool(getattr(self._local, "value", self.default))

    @contextmanager
    def set(self, value: bool) -> Iterator[None]:
        local, unset = self._local, object()
        previous = getattr(local, "value", unset)
        local.value = bool(value)
        with self._lock:
            self.overridden += 1
        try:
            yield
        finally:
            with self._lock:
                self.overridden -= 1
            if previous is unset:
                del local.value
            else:
                local.value = previous


_root = EvalTrace(None)
# The current trace, one per thread (and per asyncio task), as JAX's trace state: functions
# transformed in several threads at once each see their own trace.  A context variable rather
# than a ``threading.local``: every ``bind`` reads it, and its ``get`` is about four times
# faster than a thread-local attribute.
_current: ContextVar[Trace] = ContextVar("functrace_current_trace", default=_root)
get_current, set_current = _current.get, _current.set


def current_trace() -> Trace:
    return get_current()


@contextmanager
def new_current(trace: Trace) -> Iterator[Trace]:
    """Make ``trace`` the current trace for the duration of the block."""
    prev = get_current()
    set_current(trace)
    try:
        yield trace
    finally:
        set_current(prev)


# ---------------------------------------------------------------------------------------------
# Tracers


class Tracer:
    """A value being traced: an abstract value, the variable that names it in its trace and,
    when known, its value one level up (a concrete array, or a tracer of the parent trace).
    """

    __slots__ = ("_trace", "aval", "variable", "val", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, trace: Trace, aval: ShapedArray, var: Var, val: Any):
        self._trace = trace  # (underscored: ``x.trace()`` is NumPy's method)
        self.aval = aval
        self.variable = var
        self.val = val

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: len(self.aval.shape))
    size = property(lambda self: self.aval.size)

    def __len__(self) -> int:
        if not self.aval.shape:
            raise TypeError("len() of unsized object (a 0-d traced array)")
        return self.aval.shape[0]

    def __repr__(self) -> str:
        return f"Tracer<{self.aval.str_short()}>"

    def __iter__(self) -> Iterator[Any]:
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(self.aval.shape[0]))

    def __hash__(self) -> int:
        raise TypeError(f"unhashable type: traced array {self.aval.str_short()}")

    # A traced value never changes, so a copy is the value itself (``copy.copy`` would
    # otherwise build a tracer outside any trace).
    def __copy__(self) -> Tracer:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Tracer:
        return self

    # -- values that Python needs now: known under grad/jvp, unknown under jit/vmap/make_jaxpr

    def concrete(self, operation: str) -> Any:
        """The concrete NumPy value of this tracer, or ``ConcretizationError`` if unknown."""
        val: Any = self
        while isinstance(val, Tracer):
            if not val._trace.alive:
                raise TracerLeakError(
                    f"{operation} was applied to a tracer ({self.aval.str_short()}) whose "
                    "transformation has already returned."
                )
            if val.val is None:
                raise ConcretizationError(
                    f"{operation} needs the concrete value of a traced array "
                    f"({self.aval.str_short()}), but its value is not known while tracing "
                    "(under jit, vmap or make_jaxpr only shapes and dtypes are known). "
                    "If the value does not depend on the function's array inputs, mark that "
                    "input static with `static_argnums`; to branch on a traced value use "
                    "`functrace.lax.cond` or `functrace.numpy.where`."
                )
            val = val.val
        return val

    def __bool__(self) -> bool:
        return bool(self.concrete("bool() (e.g. a Python `if` or `while`)"))

    def __int__(self) -> int:
        return int(self.concrete("int()"))

    def __float__(self) -> float:
        value = self.concrete("float()")
        _check_conversion_is_explicit(sys._getframe(1), "float()")
        return float(value)

    def __complex__(self) -> complex:
        value = self.concrete("complex()")
        _check_conversion_is_explicit(sys._getframe(1), "complex()")
        return complex(value)

    def __index__(self) -> int:
        return int(np.asarray(self.concrete("__index__ (using a traced value as an index)")))

    def item(self) -> Any:
        return np.asarray(self.concrete(".item()")).item()

    def tolist(self) -> Any:
        return np.asarray(self.concrete(".tolist()")).tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        value = self.concrete("np.asarray() (converting a traced array to a NumPy array)")
        if self.aval.dtype.kind in "biu":
            # An integer or boolean value has no derivative to drop: a known one converts
            # (NumPy indexing a constant array with an index computed by functrace from
            # constants, under vmap or jacfwd, where JAX would compute it eagerly).
            return np.asarray(value, dtype=dtype)
        if dtype is not None and np.dtype(dtype).kind in "biu":
            # A cast to integers (``np.int64(x)``, ``np.asarray(x, dtype=int)``) has a zero
            # derivative, so converting a known value to one drops nothing either.
            return np.asarray(value, dtype=dtype)
        raise ConcretizationError(
            "np.asarray() / np.array() on a traced array would drop its derivative, so it is "
            f"refused (value {value!r}). Use functrace.numpy functions on traced values, "
            "`float(x)` to log a scalar, or `functrace.stop_gradient(x)` for a constant."
        )

    # The operators (``+``, ``@``, ``<``...), NumPy's protocols (``__array_ufunc__``,
    # ``__array_function__``) and the array methods (``.sum()``, ``.T``, ``.at``...) are set on
    # this class by ``functrace.numpy._protocols.install``: they are NumPy semantics, written
    # with functrace.numpy, which core must not import.  Setting them on the class (rather than
    # forwarding through a table) keeps ``x * y`` one Python call away from functrace.numpy.
    # The two used inside functrace are declared here for the type checker.
    __getitem__: Callable[..., Any]
    astype: Callable[..., Any]


class Array(abc.ABC):  # noqa: B024 (a virtual base: its members are registered)
    """The type of functrace's arrays, for annotations and ``isinstance`` checks, as
    ``jax.Array``: a NumPy array (a concrete value, as functrace returns them) or a
    :class:`Tracer` (a value being traced, inside a transformation).

    >>> import numpy as np, functrace as ft
    >>> isinstance(np.ones(2), ft.Array), isinstance(2.0, ft.Array)
    (True, False)
    >>> ft.grad(lambda x: float(isinstance(x, ft.Array)) * x)(1.0)
    array(1.)
    """


Array.register(np.ndarray)
Array.register(Tracer)
