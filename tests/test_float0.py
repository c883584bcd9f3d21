"""Integer and boolean values' derivatives: ``float0`` tangents and cotangents, ``allow_int``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace.dtypes import float0, float0_zeros


def scale(x: Any, n: Any) -> Any:
    return x * n


def is_float0_of(x: Any, shape: tuple[int, ...]) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == float0 and x.shape == shape


def test_float0_is_a_zero_byte_dtype() -> None:
    assert ft.float0 is ft.dtypes.float0
    assert float0.itemsize == 0
    z = float0_zeros((2, 3))
    assert is_float0_of(z, (2, 3)) and z.nbytes == 0


@pytest.mark.parametrize("n", [3, True, np.arange(3), np.array([True, False])],
                         ids=["int", "bool", "int array", "bool array"])
def test_vjp_gives_float0_for_integer_and_boolean_primals(n: Any) -> None:
    out, vjp_fn = ft.vjp(scale, 2.0, n)
    ct_x, ct_n = vjp_fn(np.ones(np.shape(out)))
    np.testing.assert_allclose(ct_x, np.sum(n))
    assert is_float0_of(ct_n, np.shape(n))


def test_jvp_takes_float0_tangents_for_integers_and_returns_them_for_integer_outputs() -> None:
    out, out_dot = ft.jvp(scale, (2.0, 3), (1.0, float0_zeros(())))
    assert float(out) == 6.0 and float(out_dot) == 3.0

    def with_int_output(x: Any) -> Any:
        return x * 2.0, fnp.floor(x).astype(np.int64) * fnp.arange(3)

    (y, k), (y_dot, k_dot) = ft.jvp(with_int_output, (2.5,), (1.0,))
    assert float(y_dot) == 2.0 and k.tolist() == [0, 2, 4]
    assert is_float0_of(k_dot, (3,))


@pytest.mark.parametrize("tangent", [0, 0.0, np.zeros((), np.int64)], ids=["int", "float", "array"])
def test_jvp_refuses_other_tangents_for_integer_primals(tangent: Any) -> None:
    with pytest.raises(TypeError, match="float0"):
        ft.jvp(scale, (2.0, 3), (1.0, tangent))


def test_float0_tangent_must_match_an_integer_primal() -> None:
    with pytest.raises(TypeError, match="float0"):
        ft.jvp(scale, (2.0, 3), (float0_zeros(()), float0_zeros(())))  # x is a float
    with pytest.raises(TypeError, match="float0"):
        ft.jvp(scale, (2.0, np.arange(3)), (1.0, float0_zeros((2,))))  # wrong shape


def test_linearize_takes_float0_and_refuses_integer_tangents() -> None:
    _, f_jvp = ft.linearize(scale, 2.0, 3)
    assert float(f_jvp(1.0, float0_zeros(()))) == 3.0
    with pytest.raises(ValueError, match="float0"):
        f_jvp(1.0, 0)


def test_vjp_ignores_the_cotangent_of_an_integer_output() -> None:
    def f(x: Any) -> Any:
        return x * 3.0, (x * 3.0).astype(np.int64)

    _, vjp_fn = ft.vjp(f, 2.0)
    for ct in (5, float0_zeros(())):
        (g,) = vjp_fn((1.0, ct))
        assert float(g) == 3.0


def test_grad_allow_int() -> None:
    def loss(x: Any, n: Any) -> Any:
        return fnp.sum(x * n)

    with pytest.raises(TypeError, match="allow_int"):
        ft.grad(loss, argnums=1)(2.0, np.arange(3))
    g = ft.grad(loss, argnums=1, allow_int=True)(2.0, np.arange(3))
    assert is_float0_of(g, (3,))
    value, (g_x, g_n) = ft.value_and_grad(loss, argnums=(0, 1), allow_int=True)(2.0,
                                                                              np.arange(3))
    assert float(value) == 6.0 and float(g_x) == 3.0 and is_float0_of(g_n, (3,))
    # Floating arguments are unaffected, and so is a pytree mixing both kinds.
    params = {"w": np.ones(2), "k": np.array([1, 2])}
    grads = ft.grad(lambda p: fnp.sum(p["w"] * p["k"]), allow_int=True)(params)
    np.testing.assert_allclose(grads["w"], [1.0, 2.0])
    assert is_float0_of(grads["k"], (2,))
    # Under jit and vmap too.
    g_n = ft.jit(lambda x: ft.grad(loss, argnums=(0, 1), allow_int=True)(x, 3)[1])(2.0)
    assert is_float0_of(g_n, ())


def test_jacrev_allow_int_gives_zeros_of_the_input_dtype() -> None:
    with pytest.raises(TypeError, match="allow_int"):
        ft.jacrev(scale, argnums=1)(np.ones(2), np.arange(2))
    j_x, j_n = ft.jacrev(scale, argnums=(0, 1), allow_int=True)(np.ones(2), np.arange(2))
    np.testing.assert_allclose(j_x, np.diag([0.0, 1.0]))
    assert j_n.shape == (2, 2) and j_n.dtype == np.arange(2).dtype and not j_n.any()


def test_check_grads_with_an_integer_argument_and_output() -> None:
    def f(x: Any, n: Any) -> Any:
        return fnp.sin(x) * n, n * 2

    ft.testing.check_grads(f, (np.array([0.3, 0.7]), np.array([2, 3])), order=2)


def test_agrees_with_jax() -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    assert np.dtype(jax.dtypes.float0) == float0
    n = np.arange(3)
    _, jax_vjp = jax.vjp(lambda x, k: x * k, 2.0, n)
    _, ft_vjp = ft.vjp(lambda x, k: x * k, 2.0, n)
    for a, b in zip(jax_vjp(np.ones(3)), ft_vjp(np.ones(3)), strict=True):
        assert np.asarray(a).dtype == np.asarray(b).dtype and np.shape(a) == np.shape(b)
    with pytest.raises(TypeError):
        jax.jvp(lambda x, k: x * k, (2.0, 3), (1.0, 0))


def test_custom_jvp_rules_see_float0_tangents_for_integer_arguments() -> None:
    seen: list[Any] = []

    @ft.custom_jvp
    def f(x: Any, n: Any) -> Any:
        return x * n

    @f.defjvp
    def f_jvp(primals: Any, tangents: Any) -> Any:
        (x, n), (x_dot, n_dot) = primals, tangents
        seen.append(n_dot)
        return x * n, x_dot * n

    assert float(ft.grad(f)(2.0, 3)) == 3.0
    assert seen and all(is_float0_of(t, ()) for t in seen)
