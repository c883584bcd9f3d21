"""lax.custom_root and lax.custom_linear_solve: values and implicit derivatives on the classic
examples of JAX's documentation and tests, in both modes, to second order, under jit and vmap,
compared with JAX where it is installed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace import lax
from functrace.testing import check_grads

# -- custom_root: a scalar root found by bisection (never differentiated) ----------------------


def scalar_solve(g: Callable[[Any], Any], y: Any) -> Any:
    return y / g(1.0)


def binary_search(func: Callable[[Any], Any], x0: Any, low: float = 0.0,
                  high: float = 100.0) -> Any:
    del x0  # unused: the bracket is the start

    def cond(state: Any) -> Any:
        lo, hi = state
        mid = 0.5 * (lo + hi)
        return (lo < mid) & (mid < hi)

    def body(state: Any) -> Any:
        lo, hi = state
        mid = 0.5 * (lo + hi)
        upper = func(mid) > 0
        return fnp.where(upper, lo, mid), fnp.where(upper, mid, hi)

    solution, _ = lax.while_loop(cond, body, (low, high))
    return solution


def sqrt_cubed(x: Any) -> Any:
    """x ** 1.5 as the root of y ** 2 - x ** 3, a NaN initial guess that solve ignores."""
    return lax.custom_root(lambda y: y ** 2 - x ** 3, np.nan, binary_search, scalar_solve)


def test_scalar_root_values_and_derivatives() -> None:
    value, grad = ft.value_and_grad(sqrt_cubed)(5.0)
    np.testing.assert_allclose(value, 5.0 ** 1.5, rtol=1e-12)
    np.testing.assert_allclose(grad, 1.5 * 5.0 ** 0.5, rtol=1e-12)
    _, tangent = ft.jvp(sqrt_cubed, (5.0,), (1.0,))
    np.testing.assert_allclose(tangent, 1.5 * 5.0 ** 0.5, rtol=1e-12)
    np.testing.assert_allclose(ft.grad(ft.grad(sqrt_cubed))(5.0), 0.75 * 5.0 ** -0.5,
                               rtol=1e-10)
    check_grads(sqrt_cubed, (5.0,), order=2, modes=("fwd", "rev"), rtol=1e-5)


def test_scalar_root_under_jit_and_vmap() -> None:
    xs = np.array([4.0, 5.0, 9.0])
    np.testing.assert_allclose(ft.vmap(sqrt_cubed)(xs), xs ** 1.5, rtol=1e-12)
    np.testing.assert_allclose(ft.jit(sqrt_cubed)(5.0), 5.0 ** 1.5, rtol=1e-12)
    want = 1.5 * xs ** 0.5
    for g in (ft.grad(ft.jit(sqrt_cubed)), ft.jit(ft.grad(sqrt_cubed))):
        np.testing.assert_allclose(g(5.0), 1.5 * 5.0 ** 0.5, rtol=1e-12)
    np.testing.assert_allclose(ft.vmap(ft.grad(sqrt_cubed))(xs), want, rtol=1e-12)
    np.testing.assert_allclose(ft.jit(ft.vmap(ft.grad(sqrt_cubed)))(xs), want, rtol=1e-12)
    np.testing.assert_allclose(ft.jacfwd(lambda v: ft.vmap(sqrt_cubed)(v))(xs),
                               np.diag(want), rtol=1e-12)


# -- custom_root: Newton's method for a square root, then a vector system -------------------


def newton(f: Callable[[Any], Any], x0: Any) -> Any:
    """Newton iteration with a fixed number of steps, through a while_loop."""
    def body(state: Any) -> Any:
        i, x = state
        return i + 1, x - f(x) / ft.grad(f)(x)

    return lax.while_loop(lambda s: s[0] < 40, body, (0, x0))[1]


def newton_sqrt(a: Any) -> Any:
    return lax.custom_root(lambda x: x ** 2 - a, 1.0, newton, scalar_solve)


def test_newton_sqrt() -> None:
    np.testing.assert_allclose(newton_sqrt(2.0), np.sqrt(2.0), rtol=1e-14)
    np.testing.assert_allclose(ft.grad(newton_sqrt)(2.0), 0.5 / np.sqrt(2.0), rtol=1e-13)
    np.testing.assert_allclose(ft.hessian(newton_sqrt)(2.0), -0.25 * 2.0 ** -1.5, rtol=1e-12)
    check_grads(newton_sqrt, (2.0,), order=2, modes=("fwd", "rev"))
    check_grads(ft.jit(newton_sqrt), (3.0,), order=2, modes=("fwd", "rev"))


def vector_solve(g: Callable[[Any], Any], y: Any) -> Any:
    return fnp.linalg.solve(ft.jacobian(g)(y), y)


def linear_root(a: Any, b: Any) -> Any:
    """The root of a x - b, found by a solve that closes over a."""
    def f(x: Any) -> Any:
        return a @ x - b

    return lax.custom_root(f, fnp.zeros_like(b), lambda _, x0: fnp.linalg.solve(a, b),
                           vector_solve)


RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 3)) + 3.0 * np.eye(3)
B = RNG.standard_normal(3)


def test_vector_root_with_solve_closure() -> None:
    np.testing.assert_allclose(linear_root(A, B), np.linalg.solve(A, B), rtol=1e-12)
    check_grads(linear_root, (A, B), order=2, modes=("fwd", "rev"))
    want = ft.jacrev(lambda a, b: fnp.linalg.solve(a, b), argnums=(0, 1))(A, B)
    for jac in (ft.jacrev, ft.jacfwd):
        got = jac(linear_root, argnums=(0, 1))(A, B)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ft.jit(ft.grad(lambda a: linear_root(a, B).sum()))(A),
                               ft.grad(lambda a: fnp.linalg.solve(a, B).sum())(A), rtol=1e-10)
    bs = RNG.standard_normal((4, 3))
    np.testing.assert_allclose(ft.vmap(linear_root, (None, 0))(A, bs),
                               np.linalg.solve(A, bs.T).T, rtol=1e-12)


def test_root_with_aux() -> None:
    def solve_aux(f: Callable[[Any], Any], x0: Any) -> Any:
        x = newton(f, x0)
        return x, {"residual": f(x), "steps": 40}

    def sqrt_aux(a: Any) -> Any:
        return lax.custom_root(lambda x: x ** 2 - a, 1.0, solve_aux, scalar_solve,
                               has_aux=True)

    x, aux = sqrt_aux(2.0)
    np.testing.assert_allclose(x, np.sqrt(2.0), rtol=1e-14)
    assert abs(float(aux["residual"])) < 1e-14 and int(aux["steps"]) == 40
    np.testing.assert_allclose(ft.grad(lambda a: sqrt_aux(a)[0])(2.0), 0.5 / np.sqrt(2.0))
    _, (x_dot, aux_dot) = ft.jvp(sqrt_aux, (2.0,), (1.0,))
    np.testing.assert_allclose(x_dot, 0.5 / np.sqrt(2.0))
    assert float(aux_dot["residual"]) == 0.0  # aux has a zero derivative, as in JAX
    check_grads(lambda a: sqrt_aux(a)[0], (2.0,), order=2, modes=("fwd", "rev"))


def test_root_errors() -> None:
    with pytest.raises(TypeError, match="f\\(\\) output pytree structure"):
        lax.custom_root(lambda x: (x, x), 1.0, newton, scalar_solve)
    with pytest.raises(TypeError, match="solve\\(\\) output pytree structure"):
        lax.custom_root(lambda x: x - 1.0, 1.0, lambda f, x: (x, x), scalar_solve)
    with pytest.raises(ValueError, match="has_aux"):
        lax.custom_root(lambda x: x - 1.0, 1.0, lambda f, x: x, scalar_solve, has_aux=True)
    with pytest.raises(TypeError, match="tangent_solve\\(\\) output pytree structure"):
        lax.custom_root(lambda x: x - 1.0, 1.0, lambda f, x: x, lambda g, y: [y])


# -- custom_linear_solve --------------------------------------------------------------------


def solve_matrix(a: Any, b: Any, symmetric: bool = False, transpose: bool = True) -> Any:
    """A x = b with the matrix closed over by matvec, solved by a factorisation."""
    def matvec(x: Any) -> Any:
        return a @ x

    return lax.custom_linear_solve(
        matvec, b, lambda mv, r: fnp.linalg.solve(a, r),
        (lambda vm, r: fnp.linalg.solve(a.T, r)) if transpose and not symmetric else None,
        symmetric=symmetric)


def test_linear_solve_values_and_derivatives() -> None:
    np.testing.assert_allclose(solve_matrix(A, B), np.linalg.solve(A, B), rtol=1e-12)
    check_grads(solve_matrix, (A, B), order=2, modes=("fwd", "rev"))
    want = ft.jacrev(lambda a, b: fnp.linalg.solve(a, b), argnums=(0, 1))(A, B)
    for jac in (ft.jacrev, ft.jacfwd):
        got = jac(solve_matrix, argnums=(0, 1))(A, B)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-10, atol=1e-12)


def test_linear_solve_symmetric_positive_definite() -> None:
    spd = A @ A.T + np.eye(3)

    def cg_like(a: Any, b: Any) -> Any:  # matvec builds the SPD matrix from its factor
        return solve_matrix(a @ a.T + np.eye(3), b, symmetric=True)

    np.testing.assert_allclose(cg_like(A, B), np.linalg.solve(spd, B), rtol=1e-12)
    check_grads(cg_like, (A, B), order=2, modes=("fwd", "rev"))
    g = ft.grad(lambda a, b: (cg_like(a, b) ** 2).sum(), argnums=(0, 1))(A, B)
    want = ft.grad(lambda a, b: (fnp.linalg.solve(a @ a.T + np.eye(3), b) ** 2).sum(),
                   argnums=(0, 1))(A, B)
    np.testing.assert_allclose(g[0], want[0], rtol=1e-10)
    np.testing.assert_allclose(g[1], want[1], rtol=1e-10)


def test_linear_solve_iterative_solver_and_pytrees() -> None:
    """A Richardson iteration in a while_loop, on a pair of vectors (a block-diagonal A)."""
    d1, d2 = np.array([2.0, 3.0]), np.array([4.0])

    def richardson(mv: Callable[[Any], Any], b: Any) -> Any:
        def body(state: Any) -> Any:
            i, x = state
            r = ft.tree_util.tree_map(lambda bi, ai: bi - ai, b, mv(x))
            return i + 1, ft.tree_util.tree_map(lambda xi, ri: xi + 0.2 * ri, x, r)

        x0 = ft.tree_util.tree_map(fnp.zeros_like, b)
        return lax.while_loop(lambda s: s[0] < 200, body, (0, x0))[1]

    def f(s: Any, b: Any) -> Any:
        return lax.custom_linear_solve(lambda x: (d1 * s * x[0], d2 * s * x[1]), b,
                                       richardson, symmetric=True)

    b = (np.array([1.0, 2.0]), np.array([3.0]))
    x = f(1.0, b)
    np.testing.assert_allclose(x[0], b[0] / d1, rtol=1e-12)
    np.testing.assert_allclose(x[1], b[1] / d2, rtol=1e-12)
    check_grads(f, (1.0, b), order=2, modes=("fwd", "rev"), atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(ft.grad(lambda s: f(s, b)[1].sum())(1.0), -0.75, rtol=1e-10)


def test_linear_solve_under_jit_and_vmap() -> None:
    bs = RNG.standard_normal((5, 3))
    as_ = RNG.standard_normal((5, 3, 3)) + 3.0 * np.eye(3)
    want = np.linalg.solve(as_, bs[..., None])[..., 0]
    np.testing.assert_allclose(ft.vmap(solve_matrix)(as_, bs), want, rtol=1e-12)
    np.testing.assert_allclose(ft.vmap(solve_matrix, (None, 0))(A, bs),
                               np.linalg.solve(A, bs.T).T, rtol=1e-12)
    np.testing.assert_allclose(ft.vmap(solve_matrix, (0, None))(as_, B),
                               np.linalg.solve(as_, B), rtol=1e-12)
    np.testing.assert_allclose(ft.jit(ft.vmap(solve_matrix))(as_, bs), want, rtol=1e-12)
    loss = lambda a, b: (solve_matrix(a, b) ** 2).sum()  # noqa: E731
    direct = lambda a, b: (fnp.linalg.solve(a, b) ** 2).sum()  # noqa: E731
    for g in (ft.grad(ft.jit(loss), argnums=(0, 1)), ft.jit(ft.grad(loss, argnums=(0, 1)))):
        got, expected = g(A, B), ft.grad(direct, argnums=(0, 1))(A, B)
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-10)
        np.testing.assert_allclose(got[1], expected[1], rtol=1e-10)
    got = ft.vmap(ft.grad(loss, argnums=(0, 1)))(as_, bs)
    expected = ft.vmap(ft.grad(direct, argnums=(0, 1)))(as_, bs)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-10)
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-10)


def test_linear_solve_has_aux() -> None:
    def solve_aux(mv: Callable[[Any], Any], r: Any) -> Any:
        x = fnp.linalg.solve(A, r)
        return x, fnp.sum((mv(x) - r) ** 2)

    def f(b: Any) -> Any:
        return lax.custom_linear_solve(
            lambda x: A @ x, b, solve_aux,
            lambda vm, r: (fnp.linalg.solve(A.T, r), 0.0 * fnp.sum(r)), has_aux=True)

    x, residual = f(B)
    np.testing.assert_allclose(x, np.linalg.solve(A, B), rtol=1e-12)
    assert float(residual) < 1e-20
    np.testing.assert_allclose(ft.jacrev(lambda b: f(b)[0])(B), np.linalg.inv(A), rtol=1e-12)
    np.testing.assert_allclose(ft.jacfwd(lambda b: f(b)[0])(B), np.linalg.inv(A), rtol=1e-12)
    assert float(ft.jvp(f, (B,), (B,))[1][1]) == 0.0


def test_linear_solve_errors() -> None:
    no_transpose = lambda a, b: solve_matrix(a, b, transpose=False)  # noqa: E731
    # Forward mode needs no transpose_solve; reverse mode does, as in JAX.
    np.testing.assert_allclose(ft.jacfwd(no_transpose, argnums=1)(A, B), np.linalg.inv(A),
                               rtol=1e-12)
    with pytest.raises(TypeError, match="transpose_solve required"):
        ft.grad(lambda b: no_transpose(A, b).sum())(B)
    with pytest.raises(TypeError, match="matvec\\(\\) output pytree structure"):
        lax.custom_linear_solve(lambda x: (x, x), B, lambda mv, r: r)
    with pytest.raises(ValueError, match="solve\\(\\) output shapes must match b"):
        lax.custom_linear_solve(lambda x: x, B, lambda mv, r: r[:2])


# -- against JAX ----------------------------------------------------------------------------


def test_against_jax() -> None:
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    jax.config.update("jax_enable_x64", True)

    def jax_newton(f: Callable[[Any], Any], x0: Any) -> Any:
        def body(state: Any) -> Any:
            i, x = state
            return i + 1, x - f(x) / jax.grad(f)(x)

        return jax.lax.while_loop(lambda s: s[0] < 40, body, (0, x0))[1]

    def jax_root(a: Any) -> Any:
        return jax.lax.custom_root(lambda x: x ** 3 - a * x - 1.0, 1.5, jax_newton,
                                   lambda g, y: y / g(1.0))

    def ft_root(a: Any) -> Any:
        return lax.custom_root(lambda x: x ** 3 - a * x - 1.0, 1.5, newton, scalar_solve)

    np.testing.assert_allclose(ft_root(0.5), jax_root(0.5), rtol=1e-13)
    np.testing.assert_allclose(ft.grad(ft_root)(0.5), jax.grad(jax_root)(0.5), rtol=1e-12)
    np.testing.assert_allclose(ft.grad(ft.grad(ft_root))(0.5),
                               jax.grad(jax.grad(jax_root))(0.5), rtol=1e-10)
    np.testing.assert_allclose(ft.jacfwd(ft.jacrev(ft_root))(0.5),
                               jax.jacfwd(jax.jacrev(jax_root))(0.5), rtol=1e-10)

    def jax_solve(a: Any, b: Any) -> Any:
        return jax.lax.custom_linear_solve(lambda x: a @ x, b,
                                           lambda mv, r: jnp.linalg.solve(a, r),
                                           lambda vm, r: jnp.linalg.solve(a.T, r))

    for argnums in (0, 1):
        np.testing.assert_allclose(ft.jacrev(solve_matrix, argnums)(A, B),
                                   jax.jacrev(jax_solve, argnums)(A, B), rtol=1e-10,
                                   atol=1e-13)
    np.testing.assert_allclose(
        ft.hessian(lambda a: solve_matrix(a, B).sum())(A),
        jax.hessian(lambda a: jax_solve(a, B).sum())(A), rtol=1e-9, atol=1e-12)
