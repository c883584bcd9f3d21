"""examples/seed_example.py, the chapter in code: it runs, prints SPEC §4's jaxpr, passes its
own checks, and fails (exit status 1) when a check does."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import functrace as ft

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "seed_example.py"

SPEC_JAXPR = """\
{ lambda ; a:f64[] b:f64[]. let
    c:f64[] = mul a b
    d:f64[] = sin b
    e:f64[] = exp c
    f:f64[] = sub c d
    g:f64[] = add e f
  in (g,) }"""


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seed_example", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_runs_and_prints_the_spec_jaxpr() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert SPEC_JAXPR in result.stdout
    assert "FAILED" not in result.stdout
    assert "checks passed" in result.stdout
    for line in ["f(1.5, 0.5) = 2.387574478008", "v̄2 = v̄3·v1 + v̄4·cos(v2)",
                 "six equations: mul mul exp add sin sub"]:
        assert line in result.stdout


def test_a_wrong_closed_form_fails_the_script(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    module = load()
    # The chapter's v̄2 line as printed (v̄2 = v̄2·v1 + ...) is a typo: using it must fail.
    right = module.chapter_adjoints

    def with_typo(v: list[float]) -> list[float]:
        bars = right(v)
        bars[1] = 0.0 * v[0] + bars[3] * np.cos(v[1])  # v̄2 := v̄2·v1 + ... with v̄2 = 0
        return bars

    monkeypatch.setattr(module, "chapter_adjoints", with_typo)
    assert module.main() == 1
    out = capsys.readouterr().out
    assert "[FAILED] adjoints" in out


def test_the_chapter_closed_forms_match_functrace_directly() -> None:
    module = load()
    v = module.chapter_primals(1.5, 0.5)
    bars = ft.grad(module.f_perturbed, argnums=2)(1.5, 0.5, np.zeros(7))
    np.testing.assert_allclose(bars, module.chapter_adjoints(v), rtol=1e-13)
    _, dots = ft.jvp(module.primal_trace, (1.5, 0.5), (0.0, 1.0))
    np.testing.assert_allclose(dots, module.chapter_tangents(v, 0.0, 1.0), rtol=1e-13)
