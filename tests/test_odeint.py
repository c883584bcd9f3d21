"""``functrace.experimental.ode.odeint`` and ``functrace.scipy.integrate.odeint``: values
against closed forms and SciPy, the adjoint gradients against closed forms, central
differences and JAX's ``odeint``, composition with jit / vmap / grad, and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.numpy as fnp
from functrace.experimental.ode import odeint
from functrace.scipy import integrate
from functrace.testing import numerical_jacobian


@pytest.fixture(scope="module")
def jax() -> Any:
    """JAX, with 64-bit types as functrace's defaults (skips the test without JAX)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def close(got: Any, expected: Any, rtol: float = 1e-7, atol: float = 1e-8) -> None:
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=rtol, atol=atol)


T = np.array([0.0, 0.3, 1.0, 2.5, 4.0])


# -- values: a table of problems with closed forms --------------------------------------------


def logistic(r: float, cap: float, y0: float, t: Any) -> Any:
    return cap / (1.0 + (cap / y0 - 1.0) * np.exp(-r * t))


# (name, func, y0, args, exact solution at T)
CLOSED_FORMS: list[tuple[str, Callable[..., Any], Any, tuple[Any, ...], Any]] = [
    ("decay", lambda y, t, k: -k * y, 2.0, (0.7,), 2.0 * np.exp(-0.7 * T)),
    ("oscillator", lambda y, t, w: fnp.stack([y[1], -w ** 2 * y[0]]), np.array([1.0, 0.0]),
     (1.5,), np.stack([np.cos(1.5 * T), -1.5 * np.sin(1.5 * T)], axis=1)),
    ("logistic", lambda y, t, r, cap: r * y * (1.0 - y / cap), 0.1, (1.3, 2.0),
     logistic(1.3, 2.0, 0.1, T)),
    ("forced", lambda y, t: fnp.cos(t) - y, 0.0, (),  # y = (cos t + sin t - e^-t) / 2
     (np.cos(T) + np.sin(T) - np.exp(-T)) / 2.0),
]


@pytest.mark.parametrize("name, func, y0, args, exact", CLOSED_FORMS,
                         ids=[c[0] for c in CLOSED_FORMS])
def test_values_match_closed_forms(name: str, func: Callable[..., Any], y0: Any,
                                   args: tuple[Any, ...], exact: Any) -> None:
    ys = odeint(func, y0, T, *args)
    assert ys.shape == np.shape(exact) and ys.dtype == np.float64
    close(ys, exact, rtol=1e-7, atol=1e-8)
    # Tighter tolerances give a more accurate answer.
    tight = odeint(func, y0, T, *args, rtol=1e-11, atol=1e-11)
    close(tight, exact, rtol=1e-10, atol=1e-11)


def test_values_match_scipy_solve_ivp() -> None:
    scipy_integrate = pytest.importorskip("scipy.integrate")

    def vdp(y: Any, t: Any, mu: float) -> Any:  # van der Pol, nonlinear and non-stiff here
        return fnp.stack([y[1], mu * (1.0 - y[0] ** 2) * y[1] - y[0]])

    t = np.linspace(0.0, 6.0, 13)
    ref = scipy_integrate.solve_ivp(lambda t, y: np.asarray(vdp(y, t, 0.8)), (0.0, 6.0),
                                    [2.0, 0.0], t_eval=t, rtol=1e-12, atol=1e-12,
                                    method="DOP853")
    ys = odeint(vdp, np.array([2.0, 0.0]), t, 0.8, rtol=1e-10, atol=1e-10)
    close(ys, ref.y.T, rtol=1e-8, atol=1e-8)


def test_pytree_state_keeps_structure_and_dtypes() -> None:
    def f(y: Any, t: Any) -> Any:
        return {"a": -y["a"], "b": (y["b"][0] * 0.5, -y["b"][1])}

    y0 = {"a": 1.0, "b": (np.ones((2, 3), np.float32), np.array([1.0, 2.0]))}
    ys = odeint(f, y0, T)
    assert ys["a"].shape == (5,) and ys["a"].dtype == np.float64
    assert ys["b"][0].shape == (5, 2, 3) and ys["b"][0].dtype == np.float32
    close(ys["a"], np.exp(-T))
    close(ys["b"][0], np.exp(0.5 * T)[:, None, None] * np.ones((2, 3)), rtol=1e-6)
    close(ys["b"][1], np.exp(-T)[:, None] * [1.0, 2.0])


def test_float32_stays_float32_at_float32_accuracy() -> None:
    t = T.astype(np.float32)
    ys = odeint(lambda y, t: -y, np.float32(1.0), t, rtol=1e-6, atol=1e-6)
    assert ys.dtype == np.float32
    close(ys, np.exp(-T), rtol=1e-5, atol=1e-6)
    # float32 state, float64 times: the state's dtype, as JAX.
    assert odeint(lambda y, t: -y, np.float32(1.0), T).dtype == np.float32


def test_repeated_and_single_times() -> None:
    f = lambda y, t: -y  # noqa: E731
    ys = odeint(f, 1.0, np.array([0.0, 0.0, 1.0, 1.0, 2.0]))
    # JAX returns NaN at a repeated t[0] (0 / 0 in its interpolation); here y0.
    close(ys, np.exp(-np.array([0.0, 0.0, 1.0, 1.0, 2.0])))
    single = odeint(f, np.array([1.0, 2.0]), np.array([0.5]))
    assert single.shape == (1, 2)
    close(single, [[1.0, 2.0]])


def test_mxstep_and_hmax() -> None:
    # Stopping short gives NaN from there on, never a silently wrong value.
    ys = odeint(lambda y, t: -y, 1.0, T, mxstep=5)
    assert np.isnan(ys[-1])
    reached = np.isfinite(ys)
    assert reached[:2].all()
    close(ys[reached], np.exp(-T[reached]))
    # hmax bounds the step: the answer stays right (and takes more steps).
    close(odeint(lambda y, t: -y, 1.0, T, hmax=0.05), np.exp(-T))


def test_errors() -> None:
    f = lambda y, t, *a: -y  # noqa: E731
    with pytest.raises(TypeError, match="args must be arrays or scalars"):
        odeint(f, 1.0, T, "not an array")
    with pytest.raises(TypeError, match="t must be an array of floats"):
        odeint(f, 1.0, np.arange(3))
    with pytest.raises(ValueError, match="nondecreasing"):
        odeint(f, 1.0, T[::-1])
    with pytest.raises(ValueError, match="1-d"):
        odeint(f, 1.0, np.zeros((2, 2)))
    with pytest.raises(TypeError, match="floating or complex"):
        odeint(f, np.array([1, 2]), T)
    with pytest.raises(TypeError, match="structure and shapes of y"):
        odeint(lambda y, t: (y, y), 1.0, T)


# -- gradients -------------------------------------------------------------------------------


def decay_at(k: Any, y0: Any, t: Any) -> Any:
    return odeint(lambda y, t, k: -k * y, y0, t, k)


def test_gradients_match_closed_forms() -> None:
    k, y0 = 0.7, 2.0
    big_t = T[-1]
    # y(T) = y0 exp(-k T): d/dy0 = exp(-k T), d/dk = -T y0 exp(-k T), d/dT = -k y(T), and
    # d/dt0 = +k y(T) (starting later leaves less time to decay).
    gk, gy0, gt = ft.grad(lambda k, y0, t: decay_at(k, y0, t)[-1], (0, 1, 2))(k, y0, T)
    close(gk, -big_t * y0 * np.exp(-k * big_t))
    close(gy0, np.exp(-k * big_t))
    close(gt, [k * y0 * np.exp(-k * big_t), 0.0, 0.0, 0.0, -k * y0 * np.exp(-k * big_t)])
    # The whole Jacobian of the trajectory in k, row by row through jacrev.
    close(ft.jacrev(decay_at)(k, y0, T), -T * y0 * np.exp(-k * T))
    # The oscillator: d y(T) / d y0 is the rotation matrix.
    osc = lambda y0: odeint(lambda y, t: fnp.stack([y[1], -y[0]]), y0, T)[-1]  # noqa: E731
    c, s = np.cos(T[-1]), np.sin(T[-1])
    close(ft.jacrev(osc)(np.array([1.0, 0.5])), [[c, s], [-s, c]])


def lotka(y: Any, t: Any, a: Any, b: Any) -> Any:
    # Lotka-Volterra with a time-dependent term, so that d/dt is not trivial.
    return fnp.stack([a * y[0] - b * y[0] * y[1],
                      -y[1] + 0.5 * y[0] * y[1] * fnp.cos(t)])


Y0 = np.array([1.0, 0.5])
T_LV = np.array([0.0, 0.5, 1.3, 2.0])


def lotka_loss(y0: Any, t: Any, a: Any, b: Any) -> Any:
    return fnp.sum(odeint(lotka, y0, t, a, b, rtol=1e-10, atol=1e-10) ** 2)


def test_gradients_match_central_differences() -> None:
    args = (Y0, T_LV, 1.1, 0.4)
    grads = ft.grad(lotka_loss, argnums=(0, 1, 2, 3))(*args)
    numeric = numerical_jacobian(lotka_loss, *args, argnums=(0, 1, 2, 3), eps=1e-5)
    for g, n in zip(grads, numeric, strict=True):
        close(g, n, rtol=1e-6, atol=1e-6)


def test_gradients_match_jax(jax: Any) -> None:
    from jax.experimental.ode import odeint as jax_odeint
    jnp = jax.numpy

    def jax_lotka(y: Any, t: Any, a: Any, b: Any) -> Any:
        return jnp.stack([a * y[0] - b * y[0] * y[1],
                          -y[1] + 0.5 * y[0] * y[1] * jnp.cos(t)])

    def jax_loss(y0: Any, t: Any, a: Any, b: Any) -> Any:
        return jnp.sum(jax_odeint(jax_lotka, y0, t, a, b, rtol=1e-10, atol=1e-10) ** 2)

    args = (Y0, T_LV, 1.1, 0.4)
    close(odeint(lotka, Y0, T_LV, 1.1, 0.4, rtol=1e-10, atol=1e-10),
          jax_odeint(jax_lotka, Y0, T_LV, 1.1, 0.4, rtol=1e-10, atol=1e-10), rtol=1e-9)
    ours = ft.grad(lotka_loss, argnums=(0, 1, 2, 3))(*args)
    theirs = jax.grad(jax_loss, argnums=(0, 1, 2, 3))(*args)
    for g, j in zip(ours, theirs, strict=True):
        close(g, j, rtol=1e-8, atol=1e-8)
    # Second order, which JAX's adjoint also supports: d2 y(1) / dk2 = e^-k at k = 1.
    second = ft.grad(ft.grad(lambda k: decay_at(k, 1.0, np.array([0.0, 1.0]))[-1]))(1.0)
    jax_second = jax.grad(jax.grad(lambda k: jax_odeint(lambda y, t, k: -k * y, 1.0,
                                                        jnp.array([0.0, 1.0]), k)[-1]))(1.0)
    close(second, np.exp(-1.0), rtol=1e-6)
    close(second, jax_second, rtol=1e-6)


def test_gradient_of_a_pytree_state_and_pytree_args() -> None:
    def f(y: Any, t: Any, p: Any) -> Any:
        return {"x": p["w"] * y["v"], "v": -p["w"] * y["x"] - p["c"] * y["v"]}

    def loss(p: Any) -> Any:
        ys = odeint(f, {"x": 1.0, "v": 0.0}, T, p)
        return fnp.sum(ys["x"] ** 2) + fnp.sum(ys["v"])

    p = {"w": 1.2, "c": 0.3}
    g = ft.grad(loss)(p)
    num = numerical_jacobian(lambda w, c: loss({"w": w, "c": c}), 1.2, 0.3, argnums=(0, 1),
                             eps=1e-5)
    close([g["w"], g["c"]], num, rtol=1e-6, atol=1e-7)


def test_integer_args_get_no_gradient() -> None:
    def loss(y0: Any, n: Any) -> Any:
        return odeint(lambda y, t, n: -n * y, y0, T, n)[-1]

    close(ft.grad(loss)(1.0, np.int64(2)), np.exp(-2.0 * T[-1]))


def test_closures_are_differentiated() -> None:
    # A value func closes over is passed to the adjoint as an extra argument (as JAX's
    # closure_convert does), so its gradient is right.
    def closed(k: Any) -> Any:
        return odeint(lambda y, t: -k * y, 1.0, np.array([0.0, 1.0]))[-1]

    close(ft.grad(closed)(0.5), -np.exp(-0.5))
    close(ft.jit(ft.grad(closed))(0.5), -np.exp(-0.5))


def test_forward_mode_raises() -> None:
    with pytest.raises(TypeError, match="forward-mode"):
        ft.jvp(lambda k: decay_at(k, 1.0, T), (0.5,), (1.0,))


# -- transformations -------------------------------------------------------------------------


def test_jit_and_vmap() -> None:
    ys = odeint(lotka, Y0, T_LV, 1.1, 0.4)
    jitted = ft.jit(lambda y0, a: odeint(lotka, y0, T_LV, a, 0.4))
    close(jitted(Y0, 1.1), ys, rtol=1e-14, atol=0.0)
    batch = np.array([[1.0, 0.5], [0.8, 0.3], [1.5, 1.0]])
    out = ft.vmap(lambda y0: odeint(lotka, y0, T_LV, 1.1, 0.4))(batch)
    assert out.shape == (3, 4, 2)
    for y0, row in zip(batch, out, strict=True):
        close(row, odeint(lotka, y0, T_LV, 1.1, 0.4), rtol=1e-14, atol=0.0)
    # A batch of parameters and times as well.
    ks = np.array([0.5, 1.0, 2.0])
    close(ft.vmap(lambda k: decay_at(k, 1.0, T))(ks), np.exp(-ks[:, None] * T))


def test_grad_composes_with_jit_and_vmap() -> None:
    g = ft.grad(lotka_loss, argnums=(0, 2))(Y0, T_LV, 1.1, 0.4)
    for gg in (ft.grad(ft.jit(lotka_loss), argnums=(0, 2))(Y0, T_LV, 1.1, 0.4),
               ft.jit(ft.grad(lotka_loss, argnums=(0, 2)))(Y0, T_LV, 1.1, 0.4)):
        close(gg[0], g[0], rtol=1e-12, atol=0.0)
        close(gg[1], g[1], rtol=1e-12, atol=0.0)
    batch = np.array([[1.0, 0.5], [0.8, 0.3]])
    per_example = ft.vmap(ft.grad(lotka_loss), in_axes=(0, None, None, None))(
        batch, T_LV, 1.1, 0.4)
    for y0, row in zip(batch, per_example, strict=True):
        close(row, ft.grad(lotka_loss)(y0, T_LV, 1.1, 0.4), rtol=1e-9, atol=1e-12)


def test_fitting_parameters_with_grad_and_adam() -> None:
    # The docs' example: recover the damping and frequency of an oscillator from data.
    t = np.linspace(0.0, 3.0, 7)

    def model(p: Any, t: Any) -> Any:
        def f(y: Any, t: Any, p: Any) -> Any:
            return fnp.stack([y[1], -p["w"] ** 2 * y[0] - p["c"] * y[1]])
        return odeint(f, np.array([1.0, 0.0]), t, p, rtol=1e-6, atol=1e-6)[:, 0]

    data = model({"w": 2.0, "c": 0.5}, t)

    @ft.jit
    def step(p: Any, state: Any) -> Any:
        loss, g = ft.value_and_grad(lambda p: fnp.mean((model(p, t) - data) ** 2))(p)
        updates, state = opt.update(g, state, p)
        return ft.optim.apply_updates(p, updates), state, loss

    opt = ft.optim.adam(0.05)
    p = {"w": 1.5, "c": 0.2}
    state = opt.init(p)
    losses = []
    for _ in range(150):
        p, state, loss = step(p, state)
        losses.append(float(loss))
    assert losses[-1] < 1e-3 * losses[0]
    close([p["w"], p["c"]], [2.0, 0.5], rtol=0.05, atol=0.02)


# -- the SciPy convention --------------------------------------------------------------------


def test_scipy_odeint_matches_scipy() -> None:
    scipy_integrate = pytest.importorskip("scipy.integrate")
    f = lambda y, t, k: [y[1], -k * y[0] - 0.1 * y[1]]  # noqa: E731
    t = np.array([0.0, 0.5, 1.0, 3.0])
    for times in (t, t[::-1].copy(), np.array([0.0, 1.0, 1.0, 2.0])):
        ours = integrate.odeint(f, [1.0, 0.0], times, args=(2.0,), rtol=1e-11, atol=1e-11)
        ref = scipy_integrate.odeint(f, [1.0, 0.0], times, args=(2.0,), rtol=1e-12,
                                     atol=1e-12)
        assert ours.shape == ref.shape == (4, 2)
        close(ours, ref, rtol=1e-9, atol=1e-9)
    # A scalar state is a state of length 1; tfirst swaps func's arguments; ints -> float64.
    assert integrate.odeint(lambda y, t: -y, 1.0, t).shape == (4, 1)
    close(integrate.odeint(lambda t, y: -y * t, np.array([1]), t, tfirst=True)[:, 0],
          np.exp(-t ** 2 / 2))


def test_scipy_odeint_gradients_match_autograd_and_differences() -> None:
    t = np.array([0.0, 0.5, 1.0, 3.0])
    y0 = np.array([1.0, 0.0])

    def loss(y0: Any, t: Any, k: Any) -> Any:
        f = lambda y, t, k: fnp.stack([y[1], -k * y[0] - 0.1 * y[1]])  # noqa: E731
        return fnp.sum(integrate.odeint(f, y0, t, args=(k,), rtol=1e-10, atol=1e-10) ** 2)

    grads = ft.grad(loss, argnums=(0, 1, 2))(y0, t, 2.0)
    numeric = numerical_jacobian(loss, y0, t, 2.0, argnums=(0, 1, 2), eps=1e-5)
    for g, n in zip(grads, numeric, strict=True):
        close(g, n, rtol=1e-6, atol=1e-6)
    # Decreasing times are differentiated too.
    rev = lambda y0, t, k: loss(y0, t[::-1], k)  # noqa: E731
    close(ft.grad(rev, 1)(y0, t, 2.0), numerical_jacobian(rev, y0, t, 2.0, argnums=1,
                                                          eps=1e-5), rtol=1e-6, atol=1e-6)
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    from autograd.scipy.integrate import odeint as autograd_odeint

    def autograd_loss(y0: Any, t: Any) -> Any:
        f = lambda y, t, k: anp.array([y[1], -k * y[0] - 0.1 * y[1]])  # noqa: E731
        return anp.sum(autograd_odeint(f, y0, t, (2.0,), rtol=1e-10, atol=1e-10) ** 2)

    for i in (0, 1):
        close(grads[i], autograd.grad(autograd_loss, i)(y0, t), rtol=1e-6, atol=1e-6)


def test_scipy_odeint_errors() -> None:
    f = lambda y, t, *a: -y  # noqa: E731
    with pytest.raises(TypeError, match="tuple"):
        integrate.odeint(f, [1.0], T, args=2.0)
    with pytest.raises(ValueError, match="monotonically"):
        integrate.odeint(f, [1.0], np.array([0.0, 1.0, 0.5]))
    with pytest.raises(NotImplementedError, match="full_output"):
        integrate.odeint(f, [1.0], T, full_output=1)
