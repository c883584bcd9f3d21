"""Timing and peak-memory helpers built on ``time.perf_counter`` and ``tracemalloc``.

``measure`` follows the ``timeit`` recipe: warm up, find an inner loop count ``number`` large
enough that one repeat lasts about ``target`` seconds (so that timer resolution does not matter
for microsecond-scale calls), then time ``repeats`` such loops and report the median, min and max
of the per-call time. The number of repeats shrinks for slow calls so that one implementation
spends about ``budget`` seconds, but never below ``min_repeat``.

The garbage collector stays enabled (unlike ``timeit``): libraries that allocate many small
Python objects pay for collecting them, as their users do. ``gc.collect()`` runs before each
repeat so that one implementation's garbage is not collected on another's clock. (The runner
``gc.freeze()``-s the objects that exist before a row is measured — imported libraries, compiled
caches — so that these collections scan only what the measured code allocates.)
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

__all__ = ["TimerConfig", "Timing", "measure", "measure_peak_memory"]


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


def measure(fn: Callable[[], Any], cfg: TimerConfig) -> Timing:
    """Time ``fn()``: warm-up, adaptive inner loop, median of repeats."""
    for _ in range(cfg.warmup):
        fn()
    number, per_call = _calibrate(fn, cfg)
    per_repeat = number * per_call
    repeats = int(min(cfg.repeat, max(cfg.min_repeat, cfg.budget // max(per_repeat, 1e-12))))
    samples: list[float] = []
    for _ in range(repeats):
        gc.collect()
        samples.append(_time_loop(fn, number) / number)
    return Timing(
        median=statistics.median(samples),
        min=min(samples),
        max=max(samples),
        repeats=repeats,
        number=number,
    )


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
