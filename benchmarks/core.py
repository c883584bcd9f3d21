"""The workload registry, result checking and the per-workload runner.

A *workload* is one problem (say, ``scalar_grad``) solved by several *implementations* (hand
NumPy, functrace eager, ``ft.jit``, JAX, autograd, PyTorch …). A workload module registers
workloads with :func:`register`; each workload's ``make(config)`` returns an :class:`Impls`: an
ordered collection of rows, each a zero-argument callable returning the result to check (or a
*setup* function building that callable, so that a library that is missing or broken costs one
row, not the whole workload).

For each row of a workload in turn, baseline first, the runner (:func:`run_workload`)

1. builds the row, turning :class:`~benchmarks.peers.Unavailable` into "skipped" and any other
   exception into ERROR;
2. calls it once (which also compiles what it jits) and compares its result with its reference
   row (the baseline unless the row says otherwise) with ``np.allclose`` at a dtype-appropriate
   tolerance — a row that raises is ERROR, one that disagrees is MISMATCH, and neither is timed;
3. measures the row's peak memory, for ``kind="memory"``.

Then it times the checked rows side by side (``kind="time"``): each row is warmed up and
calibrated, and their repeats are taken in rounds, one repeat of each row per round (see
:mod:`benchmarks.timing`).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from benchmarks.peers import Unavailable, to_numpy
from benchmarks.timing import (
    TimerConfig,
    Timing,
    interleave,
    measure_peak_memory,
    plan,
    repeat_once,
    summarize,
)

__all__ = [
    "REGISTRY",
    "Config",
    "Extra",
    "Impl",
    "Impls",
    "Mismatch",
    "Row",
    "Workload",
    "WorkloadResult",
    "compare",
    "register",
    "run_workload",
]

Status = Literal["ok", "baseline", "unit", "skipped", "error", "mismatch"]
Kind = Literal["time", "memory"]


@dataclass(frozen=True)
class Config:
    """Run-wide settings a workload may read when it builds its rows."""

    quick: bool = False


class Mismatch(Exception):
    """A result that does not agree with its reference."""


# --------------------------------------------------------------------------- rows


@dataclass
class Impl:
    """One row of a workload.

    ``setup()`` returns the zero-argument callable to check and time. ``check_against`` names the
    row whose result is the reference (``None``: the workload's baseline; ``""``: not checked,
    e.g. a forward-only row shown as a unit of cost). ``checker``, when given, replaces the
    numerical comparison: it receives the result and raises :class:`Mismatch` (or returns a note).
    ``unit`` names the row that the workload's extra column divides by, when it differs per row
    (see :class:`Extra`).
    """

    name: str
    setup: Callable[[], Callable[[], Any]]
    check_against: str | None = None
    rtol: float | None = None
    atol: float | None = None
    checker: Callable[[Any], str | None] | None = None
    unit: str | None = None


class Impls:
    """An ordered collection of rows, filled by a workload's ``make``."""

    def __init__(self) -> None:
        self._rows: dict[str, Impl] = {}

    def add(self, name: str, fn: Callable[[], Any], **options: Any) -> None:
        """Add a row whose callable is ready (no setup that could fail)."""
        self._put(Impl(name, lambda: fn, **options))

    def setup(
        self, name: str, **options: Any
    ) -> Callable[[Callable[[], Callable[[], Any]]], Callable[[], Callable[[], Any]]]:
        """Decorator: add a row built by the decorated setup function.

        The setup function imports what it needs (``peers.jax()`` …), builds the transformed
        function and returns the zero-argument callable; it runs inside the runner's error
        handling, so a missing library or a missing functrace feature costs only this row.
        """

        def decorate(build: Callable[[], Callable[[], Any]]) -> Callable[[], Callable[[], Any]]:
            self._put(Impl(name, build, **options))
            return build

        return decorate

    def skip(self, name: str, reason: str) -> None:
        """Add a row that is shown as skipped, with its reason."""

        def build() -> Callable[[], Any]:
            raise Unavailable(reason)

        self._put(Impl(name, build))

    def _put(self, impl: Impl) -> None:
        if impl.name in self._rows:
            raise ValueError(f"duplicate implementation name {impl.name!r}")
        self._rows[impl.name] = impl

    def __iter__(self) -> Iterator[Impl]:
        return iter(self._rows.values())

    def __contains__(self, name: object) -> bool:
        return name in self._rows

    def __len__(self) -> int:
        return len(self._rows)


# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Extra:
    """An optional extra column.

    Either a cost in units of another row — this row's value / the ``unit`` row's value (a row
    may name its own unit, see :class:`Impl`), e.g. "cost in evaluations of F" — or a cost per
    item — value / ``count`` × ``scale``, e.g. µs per traced equation.
    """

    label: str
    unit: str | None = None
    count: float | None = None
    scale: float = 1.0
    fmt: str = "{:.1f}"

    def compute(self, value: float, unit_value: float | None) -> str:
        if self.count is not None:
            return self.fmt.format(value / self.count * self.scale)
        if unit_value:
            return self.fmt.format(value / unit_value)
        return ""


@dataclass(frozen=True)
class Workload:
    """A registered benchmark problem.

    ``baseline`` is the row every other row's time is divided by (the "× baseline" column) and,
    unless a row says otherwise, the row whose result the others must match. ``extra`` describes
    an optional extra column (see :class:`Extra`). Workloads with ``in_quick=False`` are left out
    of ``--quick`` runs unless named by ``--only``.
    """

    name: str
    family: str
    description: str
    make: Callable[[Config], Impls]
    baseline: str
    kind: Kind = "time"
    in_quick: bool = True
    extra: Extra | None = None


REGISTRY: dict[str, Workload] = {}


def register(workload: Workload) -> Workload:
    if workload.name in REGISTRY:
        raise ValueError(f"workload {workload.name!r} registered twice")
    REGISTRY[workload.name] = workload
    return workload


# --------------------------------------------------------------------------- checking

# (rtol, atol) by the lower precision of the two sides. Float64 allows for different math
# libraries (XLA's vs NumPy's sin) and different summation orders, amplified through long chains.
_TOLERANCES: dict[str, tuple[float, float]] = {
    "float16": (1e-2, 1e-3),
    "bfloat16": (2e-2, 1e-2),
    "float32": (1e-4, 1e-5),
    "float64": (1e-7, 1e-9),
}


def _leaves(tree: Any, path: str = "") -> list[tuple[str, Any]]:
    """Flatten nested tuples / lists / dicts (sorted keys) into ``(path, leaf)`` pairs."""
    if isinstance(tree, dict):
        out: list[tuple[str, Any]] = []
        for key in sorted(tree, key=str):
            out.extend(_leaves(tree[key], f"{path}[{key!r}]"))
        return out
    if isinstance(tree, (tuple, list)):
        out = []
        for i, item in enumerate(tree):
            out.extend(_leaves(item, f"{path}[{i}]"))
        return out
    return [(path or "result", tree)]


def _tolerance(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    names = []
    for arr in (a, b):
        if np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.complexfloating):
            names.append(np.finfo(arr.dtype).dtype.name)
    if not names:
        return (0.0, 0.0)  # integers and booleans: exact
    return max((_TOLERANCES.get(n, (1e-7, 1e-9)) for n in names), key=lambda t: t[0])


def _num(x: Any) -> str:
    v = np.asarray(x).item()
    return f"{v:.8g}" if isinstance(v, float) else repr(v)


def compare(
    result: Any, reference: Any, *, rtol: float | None = None, atol: float | None = None
) -> str | None:
    """Raise :class:`Mismatch` unless ``result`` agrees with ``reference``; return a note or None.

    Both are pytrees (tuples, lists, dicts) of arrays, scalars, JAX arrays or torch tensors, with
    the same structure. The note reports float leaves whose dtype differs from the reference's.
    """
    got, want = _leaves(result), _leaves(reference)
    if len(got) != len(want):
        raise Mismatch(f"{len(got)} output leaves, expected {len(want)}")
    notes: list[str] = []
    for (path, g), (_, w) in zip(got, want, strict=True):
        ga, wa = to_numpy(g), to_numpy(w)
        if ga.shape != wa.shape:
            raise Mismatch(f"{path}: shape {ga.shape}, expected {wa.shape}")
        r, a = _tolerance(ga, wa)
        r = r if rtol is None else rtol
        a = a if atol is None else atol
        if ga.dtype.kind in "fc" or wa.dtype.kind in "fc":
            bad = ~np.isclose(ga, wa, rtol=r, atol=a, equal_nan=True)
        else:  # integers and booleans compare exactly
            bad = np.asarray(ga != wa)
        if bad.any():
            diff = np.abs(ga.astype(np.complex128) - wa.astype(np.complex128))
            diff = np.where(np.isnan(diff), np.inf, diff)  # a NaN on one side is the worst
            diff = np.where(bad, diff, -1.0)
            worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape))
            where = f"{path}{list(worst)}" if worst else path
            raise Mismatch(
                f"{where}: {_num(ga[worst])} vs {_num(wa[worst])} "
                f"({int(bad.sum())} of {bad.size} entries differ, rtol={r:g}, atol={a:g})"
            )
        if ga.dtype != wa.dtype and ga.dtype.kind in "fc" and not notes:
            notes.append(f"dtype {ga.dtype} (reference {wa.dtype})")
    return "; ".join(notes) or None


# --------------------------------------------------------------------------- running


class RowTimeout(Exception):
    """A row ran past the per-row time limit."""


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`RowTimeout` in the block after ``seconds`` (main thread, Unix only).

    Pure-Python code (functrace, autograd) is interrupted at once; a long C call (a NumPy kernel)
    at its end. Elsewhere, or with ``seconds`` None, there is no limit.
    """
    if (
        seconds is None
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        raise RowTimeout(f"timed out after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Row:
    """One implementation's outcome in one workload."""

    name: str
    status: Status
    message: str = ""
    timing: Timing | None = None
    peak_bytes: int | None = None
    ratio: float | None = None
    extra: str = ""

    @property
    def value(self) -> float | None:
        """The measured quantity: median seconds, or peak bytes for memory workloads."""
        if self.timing is not None:
            return self.timing.median
        if self.peak_bytes is not None:
            return float(self.peak_bytes)
        return None


@dataclass
class WorkloadResult:
    workload: Workload
    rows: list[Row] = field(default_factory=list)
    error: str = ""


def _short(exc: BaseException, limit: int = 160) -> str:
    text = str(exc) if isinstance(exc, RowTimeout) else f"{type(exc).__name__}: {exc}"
    text = text.replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _build_and_check(
    impl: Impl,
    row: Row,
    workload: Workload,
    results: dict[str, Any],
    needed: set[str],
    row_timeout: float | None,
    fail: Callable[[BaseException], str],
) -> Callable[[], Any] | None:
    """Set ``impl`` up, call it once (compiling what it jits) and check the result.

    Returns the callable to measure, or None after recording why the row is not measured.
    Results that other rows are checked against are kept in ``results``.
    """
    stage = "setup: "
    try:
        with time_limit(row_timeout):
            fn = impl.setup()
            stage = ""
            result = fn()
    except Unavailable as exc:
        row.status, row.message = "skipped", str(exc)
        return None
    except Exception as exc:
        row.status, row.message = "error", stage + fail(exc)
        return None
    if impl.name in needed:
        results[impl.name] = result
    ref_name = workload.baseline if impl.check_against is None else impl.check_against
    try:
        if impl.checker is not None:
            row.message = impl.checker(result) or ""
        elif ref_name == "":
            row.status = "unit"
        elif ref_name == impl.name:
            pass
        elif ref_name not in results:
            row.status, row.message = "error", f"reference row {ref_name!r} has no result"
            return None
        else:
            row.message = compare(result, results[ref_name], rtol=impl.rtol, atol=impl.atol) or ""
    except Mismatch as exc:
        row.status, row.message = "mismatch", str(exc)
        return None
    except Exception as exc:
        row.status, row.message = "error", "check: " + fail(exc)
        return None
    if impl.name == workload.baseline:
        row.status = "baseline"
    return fn


def settle_allocator() -> None:
    """Put the C allocator in the state any long-running NumPy program reaches, before timing.

    glibc's malloc returns the top of its heap to the system whenever more than a threshold is
    free there, and raises that threshold (up to 64 MiB) the first time it frees a block it
    had to map on its own (up to 32 MiB).  Until a program has freed such a block, a workload
    whose temporaries span a few MiB gives its heap back at the end of every call and
    page-faults it in again at the start of the next: on this kind of VM that is a few ms per
    call, and whether a row pays it depended on what earlier rows happened to allocate (the MLP
    step ran 2x slower alone than in the full suite).  Allocating and freeing one such block
    (never touched, so it costs no page faults) settles the thresholds once for every row.
    Other allocators ignore it.
    """
    block = np.empty(32 * 2**20 - 2**16, dtype=np.uint8)
    del block


def run_workload(
    workload: Workload,
    config: Config,
    timer: TimerConfig,
    *,
    log: Callable[[str], None] = lambda _: None,
    verbose_errors: bool = False,
    row_timeout: float | None = None,
) -> WorkloadResult:
    """Build, check and measure every row of ``workload``.

    ``row_timeout`` bounds, separately, each row's setup + first call and each row's
    measurement; a row that runs past it is reported as ERROR.
    """
    gc.collect()
    gc.freeze()  # what exists now (imported libraries…) is not re-scanned by every gc.collect()
    try:
        return _run_workload(workload, config, timer, log, verbose_errors, row_timeout)
    finally:
        gc.unfreeze()


def _run_workload(
    workload: Workload,
    config: Config,
    timer: TimerConfig,
    log: Callable[[str], None],
    verbose_errors: bool,
    row_timeout: float | None,
) -> WorkloadResult:
    out = WorkloadResult(workload)

    def fail(exc: BaseException) -> str:
        if verbose_errors:
            log(traceback.format_exc())
        return _short(exc)

    try:
        impls = workload.make(config)
    except Exception as exc:  # a workload that cannot even be set up
        out.error = fail(exc)
        return out
    if workload.baseline not in impls:
        out.error = f"baseline row {workload.baseline!r} missing"
        return out

    # The baseline goes first (it is everyone's reference); rows that another row checks
    # against must come before it in the workload (checked below).
    order = sorted(impls, key=lambda i: i.name != workload.baseline)
    needed = {workload.baseline} | {i.check_against for i in impls if i.check_against}
    results: dict[str, Any] = {}
    rows: dict[str, Row] = {}
    fns: dict[str, Callable[[], Any]] = {}
    for impl in order:
        row = rows[impl.name] = Row(impl.name, "ok")
        start = time.perf_counter()
        fn = _build_and_check(impl, row, workload, results, needed, row_timeout, fail)
        first = time.perf_counter() - start
        if fn is None:
            log(f"  {impl.name}: {row.status}")
            continue
        if workload.kind == "memory":
            gc.collect()
            try:
                with time_limit(row_timeout):
                    row.peak_bytes = measure_peak_memory(fn)
            except Exception as exc:
                row.status, row.message = "error", "while measuring: " + fail(exc)
            del fn
        else:
            fns[impl.name] = fn
        log(f"  {impl.name}: {row.status} (first call {first:.2f} s)")
    results.clear()
    if fns:
        _time_rows(fns, rows, timer, log, row_timeout, fail)
        fns.clear()
    rows = {impl.name: rows[impl.name] for impl in impls}  # back to display order

    # Ratios and the extra column.
    base = rows[workload.baseline].value
    extra = workload.extra
    for impl in impls:
        row = rows[impl.name]
        value = row.value
        if value is None:
            continue
        if base:
            row.ratio = value / base
        if extra is not None:
            unit = impl.unit or extra.unit
            row.extra = extra.compute(value, rows[unit].value if unit in rows else None)
    out.rows = list(rows.values())
    return out


def _time_rows(
    fns: dict[str, Callable[[], Any]],
    rows: dict[str, Row],
    timer: TimerConfig,
    log: Callable[[str], None],
    row_timeout: float | None,
    fail: Callable[[BaseException], str],
) -> None:
    """Time the checked rows side by side: plan each, then take their repeats in rounds.

    ``row_timeout`` bounds each row's warm-up and calibration, and each of its repeats; a row
    that fails or runs past it is ERROR and leaves the rounds.
    """
    gc.collect()
    gc.freeze()  # libraries imported and caches filled by the first calls, as above
    start = time.perf_counter()
    plans: dict[str, tuple[int, int]] = {}  # name -> (calls per repeat, repeats)
    samples: dict[str, list[float]] = {}

    def guarded(name: str, action: Callable[[], Any]) -> Any:
        """``action()``, or None after marking the row as ERROR."""
        try:
            with time_limit(row_timeout):
                return action()
        except Exception as exc:
            rows[name].status, rows[name].message = "error", "while measuring: " + fail(exc)
            plans.pop(name, None)
            return None

    for name, fn in fns.items():
        planned = guarded(name, functools.partial(plan, fn, timer))
        if planned is not None:
            plans[name], samples[name] = planned, []
    rounds = 0
    while turn := interleave({name: p[1] for name, p in plans.items()}, rounds):
        for name in turn:
            if name in plans:  # (not if it failed earlier in this round)
                per_call = guarded(name, functools.partial(repeat_once, fns[name], plans[name][0]))
                if per_call is not None:
                    samples[name].append(per_call)
        rounds += 1
    for name, (number, _) in plans.items():
        rows[name].timing = summarize(samples[name], number)
    log(f"  timed {len(plans)} row(s) in {rounds} interleaved rounds, "
        f"{time.perf_counter() - start:.1f} s")
