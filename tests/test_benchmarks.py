"""The benchmark runner itself (``benchmarks/``): checking rows and timing them side by side."""

from __future__ import annotations

import functools
import itertools
from typing import Any

import numpy as np
import pytest

from benchmarks import core, timing

QUICK = timing.TimerConfig(repeat=4, min_repeat=4, target=0.001, budget=0.01, warmup=1)


def test_interleave_rotates_and_drops_finished_rows() -> None:
    plans = {"a": 3, "b": 1, "c": 2}
    assert timing.interleave(plans, 0) == ["a", "b", "c"]
    assert timing.interleave(plans, 1) == ["c", "a"]  # b is done; the order rotates
    assert timing.interleave(plans, 2) == ["a"]
    assert timing.interleave(plans, 3) == []


def _workload(make: Any) -> core.Workload:
    return core.Workload(name="toy", family="toy", description="", make=make, baseline="base")


def test_rows_are_checked_then_timed_in_rounds() -> None:
    calls: list[str] = []

    def logged(name: str, value: float) -> np.ndarray:
        calls.append(name)
        return np.array(value)

    def make(config: core.Config) -> core.Impls:
        impls = core.Impls()
        for name in ("base", "same", "wrong"):
            impls.add(name, functools.partial(logged, name, 2.0 if name == "wrong" else 1.0))

        @impls.setup("broken")
        def _broken() -> Any:
            raise RuntimeError("no such feature")

        return impls

    result = core.run_workload(_workload(make), core.Config(), QUICK)
    rows = {row.name: row for row in result.rows}
    assert [rows[n].status for n in ("base", "same", "wrong", "broken")] == [
        "baseline", "ok", "mismatch", "error"]
    assert "no such feature" in rows["broken"].message
    for name in ("base", "same"):
        timed = rows[name].timing
        assert timed is not None and timed.repeats == 4 and timed.median > 0
    assert rows["wrong"].timing is None and rows["broken"].timing is None
    same, base = rows["same"].value, rows["base"].value
    assert same is not None and base is not None
    assert rows["same"].ratio == pytest.approx(same / base)
    # After the three checked first calls, the two timed rows took turns: their calls form
    # alternating runs (timed one after the other, they would be 2 runs).
    assert calls[:3] == ["base", "same", "wrong"] and "wrong" not in calls[3:]
    runs = [name for name, _ in itertools.groupby(calls[3:])]
    assert len(runs) >= 5


def test_a_row_failing_while_timed_is_an_error_and_leaves_the_rounds() -> None:
    count = {"n": 0}

    def flaky() -> np.ndarray:
        count["n"] += 1
        if count["n"] > 3:
            raise ValueError("broke on call 4")
        return np.array(1.0)

    def make(config: core.Config) -> core.Impls:
        impls = core.Impls()
        impls.add("base", lambda: np.array(1.0))
        impls.add("flaky", flaky)
        return impls

    result = core.run_workload(_workload(make), core.Config(), QUICK)
    rows = {row.name: row for row in result.rows}
    assert rows["base"].status == "baseline" and rows["base"].timing is not None
    assert rows["flaky"].status == "error" and "broke on call 4" in rows["flaky"].message
    assert rows["flaky"].timing is None
