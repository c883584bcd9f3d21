"""JAX's smaller top-level names, for code written against ``jax``: ``jacobian``,
``custom_gradient``, ``disable_jit``, ``ShapeDtypeStruct``, ``device_put``/``device_get``,
``named_call``/``named_scope`` and the ``tree`` namespace; and options of the larger names
that JAX has (``make_jaxpr``'s ``return_shape`` and ``axis_env``...), compared with JAX itself
where it is installed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import functrace as ft
import functrace.lax as lax
import functrace.numpy as fnp
from functrace.interpreters.eval import eval_jaxpr


@pytest.fixture(scope="module")
def jax() -> Any:
    """JAX, with 64-bit types as functrace's defaults (skips the test without JAX)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def test_jacobian_is_jacrev() -> None:
    f = lambda x: fnp.sin(x) * x[::-1]  # noqa: E731
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_array_equal(ft.jacobian(f)(x), ft.jacrev(f)(x))
    jac, aux = ft.jacobian(lambda x: (f(x), x.sum()), has_aux=True)(x)
    np.testing.assert_array_equal(jac, ft.jacrev(f)(x))
    assert float(aux) == pytest.approx(x.sum())


@ft.custom_gradient
def clipped_log(x):
    return fnp.log(x), lambda g: (fnp.clip(g / x, -10.0, 10.0),)


def test_custom_gradient_replaces_the_derivative() -> None:
    assert float(clipped_log(2.0)) == pytest.approx(np.log(2.0))
    assert float(ft.grad(clipped_log)(0.01)) == 10.0  # clipped, where 1/x is 100
    assert float(ft.grad(clipped_log)(0.5)) == 2.0
    assert float(ft.jit(ft.grad(clipped_log))(0.01)) == 10.0
    np.testing.assert_array_equal(ft.vmap(ft.grad(clipped_log))(np.array([0.01, 0.5])),
                                  [10.0, 2.0])
    # The custom derivative g / x is itself differentiated: -g / x**2.
    assert float(ft.grad(ft.grad(clipped_log))(0.5)) == pytest.approx(-4.0)
    assert clipped_log.__name__ == "clipped_log"


def test_custom_gradient_with_several_arguments_and_a_bare_cotangent() -> None:
    @ft.custom_gradient
    def f(x, y):
        return x * y, lambda g: (g * y, 2 * g * x)  # a deliberately "wrong" y-derivative

    gx, gy = ft.grad(f, argnums=(0, 1))(2.0, 3.0)
    assert (float(gx), float(gy)) == (3.0, 4.0)

    @ft.custom_gradient
    def double(x):
        return 2 * x, lambda g: 5 * g  # one argument: the cotangent may come bare

    assert float(ft.grad(double)(1.0)) == 5.0


def test_custom_gradient_has_no_forward_mode() -> None:
    with pytest.raises(TypeError, match="forward-mode"):
        ft.jvp(clipped_log, (0.5,), (1.0,))


def test_disable_jit_runs_the_python_code() -> None:
    traces = []

    @ft.jit
    def f(x):
        traces.append(type(x).__name__)
        return x * 2

    with ft.disable_jit():
        assert float(f(1.0)) == 2.0
        assert float(f(2.0)) == 4.0
        with ft.disable_jit(False):  # nested: jit again inside
            f(3.0)
    assert traces == ["float", "float", "Tracer"]
    f(4.0)
    assert traces == ["float", "float", "Tracer"]  # cached: the setting was restored
    with pytest.raises(ZeroDivisionError), ft.disable_jit():
        raise ZeroDivisionError
    f(np.ones(2))
    assert traces[-1] == "Tracer"  # restored after an exception too


def test_shape_dtype_struct() -> None:
    s = ft.ShapeDtypeStruct((3, 2), np.float32)
    assert (s.shape, s.dtype, s.ndim, s.size) == ((3, 2), np.dtype(np.float32), 2, 6)
    assert s == ft.ShapeDtypeStruct([3, 2], "float32") and len({s, ft.ShapeDtypeStruct((3, 2),
                                                                                     "f4")}) == 1
    assert repr(s) == "ShapeDtypeStruct(shape=(3, 2), dtype=float32)"
    weak = ft.ShapeDtypeStruct((), "int64", weak_type=True)
    assert repr(weak) == "ShapeDtypeStruct(shape=(), dtype=int64, weak_type=True)"
    assert weak != ft.ShapeDtypeStruct((), "int64") and weak.weak_type
    out = ft.eval_shape(lambda x: x @ x.T, s)
    assert (out.shape, out.dtype) == ((3, 3), np.dtype(np.float32))
    text = ft.jit(lambda x: fnp.sin(x) + 1).lower(s).as_text()
    assert "np.sin" in text


def test_device_put_and_get_give_numpy_arrays() -> None:
    tree = {"a": 1.0, "b": [np.float32(2), (3,)]}
    out = ft.device_put(tree)
    assert isinstance(out["a"], np.ndarray) and out["b"][0].dtype == np.float32
    assert ft.tree_util.tree_structure(out) == ft.tree_util.tree_structure(tree)
    # device_get leaves what is already on the host as it is: a Python number stays one,
    # as in JAX (its APITest.test_device_get_scalar).
    out = ft.device_get(tree)
    assert out == tree and type(out["a"]) is float and out["b"][0].dtype == np.float32
    assert float(ft.grad(lambda x: ft.device_put(x) ** 2)(3.0)) == 6.0


def test_named_call_and_named_scope_change_nothing() -> None:
    f = ft.named_call(fnp.sin, name="sine")
    assert f is fnp.sin
    with ft.named_scope("layer1"):
        assert float(ft.grad(f)(0.0)) == 1.0
    with pytest.raises(TypeError, match="string"), ft.named_scope(3):  # type: ignore[arg-type]
        pass


def test_tree_namespace() -> None:
    tree = {"a": 1, "b": (2, 3)}
    assert ft.tree.map(lambda x: x * 2, tree) == {"a": 2, "b": (4, 6)}
    assert ft.tree.leaves(tree) == [1, 2, 3]
    leaves, treedef = ft.tree.flatten(tree)
    assert ft.tree.unflatten(treedef, leaves) == tree
    assert ft.tree.structure(tree) == treedef
    assert ft.tree.reduce(lambda a, b: a + b, tree) == 6
    assert ft.tree.all({"x": True, "y": [True, 1]}) and not ft.tree.all([True, 0])
    outer, inner = ft.tree.structure([0, 0]), ft.tree.structure((0, 0, 0))
    assert ft.tree.transpose(outer, inner, [(1, 2, 3), (4, 5, 6)]) == ([1, 4], [2, 5], [3, 6])


def sin_callback(x):
    return ft.pure_callback(np.sin, ft.ShapeDtypeStruct(x.shape, x.dtype), x)


def test_pure_callback_under_jit_with_pytrees_and_dtypes() -> None:
    x = np.array([0.5, 1.0])
    np.testing.assert_array_equal(sin_callback(x), np.sin(x))
    np.testing.assert_array_equal(ft.jit(sin_callback)(x), np.sin(x))
    out = ft.pure_callback(lambda a, scale: {"a": a * scale, "b": (a.sum(),)},
                           {"a": ft.ShapeDtypeStruct((2,), np.float32),
                            "b": (ft.ShapeDtypeStruct((), np.float64),)},
                           np.ones(2, np.float32), scale=3.0)
    assert out["a"].dtype == np.float32 and out["b"][0].dtype == np.float64
    np.testing.assert_array_equal(out["a"], [3.0, 3.0])
    closed = ft.make_jaxpr(sin_callback)(x)
    assert [e.primitive.name for e in closed.jaxpr.eqns] == ["pure_callback"]
    # Its value feeds differentiable code that does not differentiate through it.
    g = ft.grad(lambda w: fnp.sum(w * ft.stop_gradient(sin_callback(x))))(np.ones(2))
    np.testing.assert_allclose(g, np.sin(x))


@pytest.mark.parametrize("method", ["sequential", "sequential_unrolled", "expand_dims",
                                    "broadcast_all", "legacy_vectorized"])
def test_pure_callback_vmap_methods(method: str) -> None:
    calls = []

    def product(a, b):
        calls.append(a.shape)
        return a * b

    def f(x, y):
        shape = np.broadcast_shapes(x.shape, y.shape)
        return ft.pure_callback(product, ft.ShapeDtypeStruct(shape, x.dtype), x, y,
                                vmap_method=method)

    xs, y = np.arange(6.0).reshape(3, 2), np.array([1.0, 10.0])
    np.testing.assert_array_equal(ft.vmap(f, in_axes=(0, None))(xs, y), xs * y)
    np.testing.assert_array_equal(ft.jit(ft.vmap(f, in_axes=(0, None)))(xs, y), xs * y)
    np.testing.assert_array_equal(ft.vmap(f, in_axes=(1, None), out_axes=1)(xs.T.copy(), y[:1]),
                                  xs.T * y[:1])
    sequential = method.startswith("sequential")
    assert calls[0] == ((2,) if sequential else (3, 2))


def test_pure_callback_errors() -> None:
    x = np.ones(2)
    with pytest.raises(NotImplementedError, match="vmap_method"):
        ft.vmap(sin_callback)(np.ones((3, 2)))
    with pytest.raises(ValueError, match="do not support"):
        ft.grad(lambda v: fnp.sum(sin_callback(v)))(x)
    with pytest.raises(ValueError, match="do not support"):
        ft.jvp(sin_callback, (x,), (x,))
    with pytest.raises(ValueError, match="shape"):
        ft.pure_callback(lambda v: np.ones(3), ft.ShapeDtypeStruct((2,), np.float64), x)
    with pytest.raises(ValueError, match="returned"):
        ft.pure_callback(lambda v: (v, v), ft.ShapeDtypeStruct((2,), np.float64), x)
    with pytest.raises(ValueError, match="vmap_method"):
        ft.pure_callback(np.sin, ft.ShapeDtypeStruct((2,), np.float64), x, vmap_method="loop")
    with pytest.raises(TypeError, match="ShapeDtypeStruct"):
        ft.pure_callback(np.sin, (2,), x)


def test_pure_callback_with_a_custom_jvp() -> None:
    @ft.custom_jvp
    def sin(x):
        return sin_callback(x)

    sin.defjvp(lambda primals, tangents: (sin(primals[0]),
                                          fnp.cos(primals[0]) * tangents[0]))
    np.testing.assert_allclose(ft.grad(lambda v: fnp.sum(sin(v)))(np.array([0.3, 1.0])),
                               np.cos([0.3, 1.0]))


# ---------------------------------------------------------------------------------------------
# make_jaxpr's return_shape and axis_env


def _tree_fn(x: Any) -> Any:
    return {"a": x * 2.0, "b": (x.sum(), 3, x[:2].astype(np.float32))}


def test_make_jaxpr_return_shape() -> None:
    closed, shapes = ft.make_jaxpr(_tree_fn, return_shape=True)(np.ones(3))
    assert str(closed) == str(ft.make_jaxpr(_tree_fn)(np.ones(3)))
    S = ft.ShapeDtypeStruct
    assert shapes == {"a": S((3,), np.float64),
                      "b": (S((), np.float64), S((), np.int64, weak_type=True),
                            S((2,), np.float32))}
    # With static arguments and keyword arguments.
    closed, shape = ft.make_jaxpr(lambda n, x, *, y: fnp.tile(x, n) + y, static_argnums=0,
                                  return_shape=True)(2, np.ones(3), y=1.0)
    assert shape == S((6,), np.float64) and len(closed.jaxpr.invars) == 2


def test_make_jaxpr_return_shape_as_jax(jax: Any) -> None:
    _, ours = ft.make_jaxpr(_tree_fn, return_shape=True)(np.ones(3))
    _, theirs = jax.make_jaxpr(_tree_fn, return_shape=True)(jax.numpy.ones(3))
    flat = jax.tree_util.tree_leaves(theirs)
    assert ft.tree_util.tree_structure(ours) == ft.tree_util.tree_structure(
        jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(theirs), [0] * len(flat)))
    assert [(s.shape, s.dtype, s.weak_type) for s in ft.tree_util.tree_leaves(ours)] == [
        (s.shape, s.dtype, s.weak_type) for s in flat]


def test_make_jaxpr_axis_env_records_collectives() -> None:
    closed = ft.make_jaxpr(lambda x: lax.psum(x, "i") + lax.axis_index("i"),
                           axis_env=[("i", 4)])(1.0)
    assert [e.primitive.name for e in closed.jaxpr.eqns] == [
        "psum", "axis_index", "convert_element_type", "add"]
    # Sizes are known: pmean divides by them, all_gather's result has them.
    closed, shape = ft.make_jaxpr(lambda x: lax.all_gather(lax.pmean(x, "j"), "i"),
                                  axis_env=[("i", 4), ("j", 3)], return_shape=True)(np.ones(2))
    assert shape == ft.ShapeDtypeStruct((4, 2), np.float64)
    assert "div b 3.0:f64[]" in str(closed)
    # The jaxpr runs under a vmap that names its axes.
    closed = ft.make_jaxpr(lambda x: lax.psum(x, "i") * x, axis_env=[("i", 4)])(1.0)
    run = ft.vmap(lambda x: eval_jaxpr(closed.jaxpr, closed.consts, x)[0], axis_name="i")
    np.testing.assert_array_equal(run(np.arange(4.0)), [0.0, 6.0, 12.0, 18.0])


@pytest.mark.parametrize("env", [["i"], [("i", -1)], [("i", 2.0)], [(["i"], 2)], [("i", 2, 3)]])
def test_make_jaxpr_axis_env_errors(env: Any) -> None:
    with pytest.raises(TypeError, match=r"axis_env must be a sequence of \(name, size\) pairs"):
        ft.make_jaxpr(lambda x: x, axis_env=env)


def test_make_jaxpr_unbound_axis_name_is_a_name_error() -> None:
    with pytest.raises(NameError, match="unbound axis name: 'i'"):
        ft.make_jaxpr(lambda x: lax.psum(x, "i"))(1.0)
    with pytest.raises(NameError, match="unbound axis name: 'k'"):
        ft.make_jaxpr(lambda x: lax.psum(x, "k"), axis_env=[("i", 2)])(1.0)


# ---------------------------------------------------------------------------------------------
# checkpoint / remat options


def _steps(x: Any, n: int, mode: str = "sin") -> Any:
    for _ in range(n):  # Python control flow on the static arguments
        x = fnp.sin(x) if mode == "sin" else fnp.cos(x)
    return x


@pytest.mark.parametrize("options", [
    {}, {"static_argnums": 1}, {"static_argnums": (1, 2)}, {"static_argnames": "n"},
    {"static_argnames": ("n", "mode")}, {"prevent_cse": False}, {"prevent_cse": (True, False)},
    {"prevent_cse": [True, (False,)]}, {"policy": lambda *a, **k: True},
])
@pytest.mark.parametrize("remat", [ft.checkpoint, ft.remat], ids=["checkpoint", "remat"])
def test_checkpoint_options_are_accepted(remat: Any, options: dict[str, Any]) -> None:
    g = remat(_steps, **options)
    assert g is not _steps and g.__wrapped__ is _steps  # type: ignore[attr-defined]
    assert float(ft.grad(g)(0.0, 2)) == 1.0  # sin(sin(x))' at 0
    assert float(ft.grad(g)(0.0, n=1, mode="cos")) == 0.0
    assert float(ft.jit(ft.grad(g), static_argnames=("n", "mode"))(0.5, n=1, mode="cos")) == \
        pytest.approx(-np.sin(0.5))


@pytest.mark.parametrize(("options", "match"), [
    ({"prevent_cse": None}, r"prevent_cse must be a bool or a tuple of bools.*got None"),
    ({"prevent_cse": "yes"}, r"prevent_cse must be a bool.*got 'yes'"),
    ({"prevent_cse": (True, 1)}, r"prevent_cse must be a bool.*got \(True, 1\)"),
    ({"policy": "dots"}, r"policy must be None or a callable.*got 'dots'"),
    ({"static_argnums": "n"}, r"static_argnums must be an int or a tuple of ints, got 'n'"),
    ({"static_argnames": 1}, r"static_argnames must be a string or a tuple of strings, got 1"),
])
def test_checkpoint_option_errors(options: dict[str, Any], match: str) -> None:
    with pytest.raises(TypeError, match=match):
        ft.checkpoint(_steps, **options)
    with pytest.raises(TypeError, match="Expected a callable value, got 3"):
        ft.checkpoint(3)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# typeof


def test_typeof_of_values() -> None:
    SA = ft.ShapedArray
    assert ft.typeof(np.ones((2, 3), np.float32)) == SA((2, 3), np.dtype(np.float32))
    assert ft.typeof(np.int8(3)) == SA((), np.dtype(np.int8))
    assert repr(ft.typeof(1.0)) == "ShapedArray(f64[], weak_type=True)"
    assert repr(ft.typeof(2)) == "ShapedArray(i64[], weak_type=True)"
    assert repr(ft.typeof(1j)) == "ShapedArray(c128[], weak_type=True)"
    assert repr(ft.typeof(True)) == "ShapedArray(bool[])"


def test_typeof_of_tracers() -> None:
    seen: list[str] = []

    def f(x: Any) -> Any:
        seen.append(repr(ft.typeof(x)))
        return x * 2.0

    ft.jit(f)(np.ones(3, np.float32))
    ft.vmap(f)(np.ones((4, 2)))
    ft.grad(lambda x: f(x).sum())(np.ones(5))
    ft.jit(f)(1.0)
    assert seen == ["ShapedArray(f32[3])", "ShapedArray(f64[2])", "ShapedArray(f64[5])",
                    "ShapedArray(f64[], weak_type=True)"]


def test_typeof_as_jax(jax: Any) -> None:
    for x in [1.0, 2, True, 1j, np.float32(1.0), np.ones((2, 3)), np.arange(4, dtype=np.int16)]:
        ours, theirs = ft.typeof(x), jax.typeof(x)
        assert (ours.shape, ours.dtype, ours.weak_type) == (theirs.shape, theirs.dtype,
                                                            theirs.weak_type), x


@pytest.mark.parametrize("x", ["s", [1.0, 2.0], None, np.array(["a"]), object()])
def test_typeof_of_a_non_value_is_a_clear_error(x: Any) -> None:
    with pytest.raises(TypeError, match=r"typeof: .* of type \w+ is not a valid functrace value"):
        ft.typeof(x)
