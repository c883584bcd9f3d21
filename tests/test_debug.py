"""``functrace.debug``: ``print`` and ``callback`` see values inside every transformation, run
once per call of compiled code, and change nothing in the computation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace import lax


def printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


def noisy_sin(x: Any) -> Any:
    ft.debug.print("x={} twice={t}", x, t=x * 2)
    return fnp.sin(x)


def test_eager_and_under_grad_jvp_vmap(capsys: pytest.CaptureFixture[str]) -> None:
    assert float(noisy_sin(1.0)) == pytest.approx(np.sin(1.0))
    assert printed(capsys) == ["x=1.0 twice=2.0"]
    assert float(ft.grad(noisy_sin)(1.0)) == pytest.approx(np.cos(1.0))
    assert printed(capsys) == ["x=1.0 twice=2.0"]  # the primal value, once
    out, dot = ft.jvp(noisy_sin, (1.0,), (1.0,))
    assert float(dot) == pytest.approx(np.cos(1.0))
    assert printed(capsys) == ["x=1.0 twice=2.0"]
    np.testing.assert_allclose(ft.vmap(noisy_sin)(np.array([1.0, 2.0])), np.sin([1.0, 2.0]))
    assert printed(capsys) == ["x=1.0 twice=2.0", "x=2.0 twice=4.0"]  # once per member
    assert float(ft.hessian(noisy_sin)(1.0)) == pytest.approx(-np.sin(1.0))
    assert printed(capsys) == ["x=1.0 twice=2.0"]


def test_under_jit_it_runs_at_every_call_not_at_tracing(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    f = ft.jit(noisy_sin)
    f(1.0)
    f(2.0)
    assert printed(capsys) == ["x=1.0 twice=2.0", "x=2.0 twice=4.0"]
    g = ft.jit(ft.grad(ft.jit(noisy_sin)))
    g(1.0)
    g(3.0)
    assert printed(capsys) == ["x=1.0 twice=2.0", "x=3.0 twice=6.0"]
    # Constant arguments: not evaluated while tracing, not folded away by jit's passes.
    h = ft.jit(lambda x: (ft.debug.print("c={}", np.arange(2)), x)[1])
    h(1.0)
    h(2.0)
    assert printed(capsys) == ["c=[0 1]", "c=[0 1]"]
    # The value is unused: dead-code elimination keeps the callback anyway; cse keeps both.
    twice = ft.jit(lambda x: (ft.debug.print("a {}", x), ft.debug.print("a {}", x), x * 2)[2])
    assert float(twice(1.5)) == 3.0
    assert printed(capsys) == ["a 1.5", "a 1.5"]


def test_make_jaxpr_records_it_without_running_it(capsys: pytest.CaptureFixture[str]) -> None:
    closed = ft.make_jaxpr(lambda x: (ft.debug.print("c {}", 3.0), x)[1])(1.0)
    assert printed(capsys) == []
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["debug_callback"]
    assert "debug_callback" in str(closed)


def test_inside_control_flow(capsys: pytest.CaptureFixture[str]) -> None:
    def body(i: Any, c: Any) -> Any:
        ft.debug.print("i={} c={}", i, c)
        return c * 2

    assert float(ft.jit(lambda c: lax.fori_loop(0, 2, body, c))(1.0)) == 4.0
    assert printed(capsys) == ["i=0 c=1.0", "i=1 c=2.0"]
    assert float(ft.grad(lambda c: lax.fori_loop(0, 2, body, c))(1.0)) == 4.0
    assert printed(capsys) == ["i=0 c=1.0", "i=1 c=2.0"]

    def step(c: Any) -> Any:
        ft.debug.print("c={}", c)
        return c * 3

    assert float(ft.jit(lambda c: lax.while_loop(lambda c: c < 5, step, c))(1.0)) == 9.0
    assert printed(capsys) == ["c=1.0", "c=3.0"]
    cond = ft.jit(lambda x: lax.cond(x > 0, lambda x: (ft.debug.print("pos"), x)[1],
                                     lambda x: -x, x))
    cond(2.0)
    cond(-2.0)
    assert printed(capsys) == ["pos"]


def test_callback_receives_numpy_values_and_pytrees() -> None:
    seen: list[Any] = []
    f = ft.jit(lambda p: (ft.debug.callback(lambda tree, scale: seen.append((tree, scale)),
                                            p, scale=p["w"] * 2), p["w"].sum())[1])
    f({"w": np.ones(3), "b": np.float32(1)})
    tree, scale = seen[0]
    assert isinstance(tree["w"], np.ndarray) and tree["b"].dtype == np.float32
    np.testing.assert_array_equal(scale, [2.0, 2.0, 2.0])
    assert ft.debug.callback(lambda: None) is None


def test_errors() -> None:
    with pytest.raises(TypeError, match="callable"):
        ft.debug.callback(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="format"):
        ft.debug.print(3)  # type: ignore[arg-type]
