"""Timing and peak-memory helpers built on ``time.perf_counter`` and ``tracemalloc``.

Timing follows the ``timeit`` recipe: warm up, find an inner loop count ``number`` large enough
that one repeat lasts about ``target`` seconds (so that timer resolution does not matter for
microsecond-scale calls), then time ``repeats`` such loops and report the median, min and max of
the per-call time. The number of repeats shrinks for slow calls so that one implementation
spends about ``budget`` seconds, but never below ``min_repeat``.

``measure`` times one callable alone. The runner instead plans every row of a workload
(``plan``) and then takes their repeats in rounds, one repeat of each row per round
(``interleave``, ``repeat_once``): on a shared machine whose speed drifts over seconds, rows
timed one after the other in blocks of a few seconds each see different machines, while rows
taking turns see the same one, so their ratios are a side-by-side comparison.

The garbage collector stays enabled (unlike ``timeit``): libraries that allocate many small
Python objects pay for collecting them, as their users do. ``gc.collect()`` runs before each
repeat so that one implementation's garbage is not collected on another's clock. (The runner
``gc.freeze()``-s the objects that exist before the rows are measured — imported libraries,
compiled caches — so that these collections scan only what the measured code allocates.)
"""

from __future__ import annotations

import gc
import math
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TimerConfig",
    "Timing",
    "interleave",
    "measure",
    "measure_peak_memory",
    "plan",
    "repeat_once",
    "summarize",
]


@dataclass(frozen=True)
class TimerConfig:
    """How hard to try: ``repeat`` repeats of about ``target`` seconds, about ``budget`` in all."""

    repeat: int = 11
    min_repeat: int = 5
    target: float = 0.1
    budget: float = 3.0
    warmup: int = 1
    max_number: int = 1_000_000

    @classmethod
    def quick(cls) -> TimerConfig:
        return cls(repeat=5, min_repeat=3, target=0.01, budget=0.15, warmup=1)


@dataclass(frozen=True)
class Timing:
    """Per-call seconds over ``repeats`` repeats of ``number`` calls each."""

    median: float
    min: float
    max: float
    repeats: int
    number: int


def _time_loop(fn: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def _calibrate(fn: Callable[[], Any], cfg: TimerConfig) -> tuple[int, float]:
    """Return ``(number, seconds per call)`` with ``number`` calls lasting about ``cfg.target``."""
    number = 1
    while True:
        elapsed = _time_loop(fn, number)
        if elapsed >= 0.2 * cfg.target or number >= cfg.max_number:
            break
        # Grow geometrically, guided by the estimate, so a 1 µs call needs only a few rounds.
        guess = 0.2 * cfg.target / max(elapsed, 1e-9) * number
        number = min(cfg.max_number, max(number * 2, math.ceil(guess)))
    per_call = elapsed / number
    number = max(1, min(cfg.max_number, math.ceil(cfg.target / max(per_call, 1e-12))))
    return number, per_call


def plan(fn: Callable[[], Any], cfg: TimerConfig) -> tuple[int, int]:
    """Warm ``fn`` up and choose ``(number, repeats)``: calls per repeat and repeats."""
    for _ in range(cfg.warmup):
        fn()
    number, per_call = _calibrate(fn, cfg)
    per_repeat = number * per_call
    repeats = int(min(cfg.repeat, max(cfg.min_repeat, cfg.budget // max(per_repeat, 1e-12))))
    return number, repeats


def repeat_once(fn: Callable[[], Any], number: int) -> float:
    """One repeat: seconds per call over ``number`` calls, after a garbage collection."""
    gc.collect()
    return _time_loop(fn, number) / number


def summarize(samples: list[float], number: int) -> Timing:
    return Timing(
        median=statistics.median(samples),
        min=min(samples),
        max=max(samples),
        repeats=len(samples),
        number=number,
    )


def measure(fn: Callable[[], Any], cfg: TimerConfig) -> Timing:
    """Time ``fn()`` alone: warm-up, adaptive inner loop, median of repeats."""
    number, repeats = plan(fn, cfg)
    return summarize([repeat_once(fn, number) for _ in range(repeats)], number)


def interleave(plans: dict[str, int], rounds_done: int) -> list[str]:
    """The rows that take a repeat in round ``rounds_done``, given each row's number of repeats:
    those with repeats left, in an order rotated by one row each round, so that no row always
    runs first (or right after the same neighbour)."""
    names = [name for name, repeats in plans.items() if repeats > rounds_done]
    if not names:
        return names
    k = rounds_done % len(names)
    return names[k:] + names[:k]


def measure_peak_memory(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated (and visible to ``tracemalloc``) during one call of ``fn``.

    NumPy reports its array buffers to ``tracemalloc``; PyTorch and XLA do not, so this is only
    meaningful for NumPy-based implementations. The result of the call counts (it is alive at the
    end of the call); memory that existed before the call does not.
    """
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(0, peak - before)
