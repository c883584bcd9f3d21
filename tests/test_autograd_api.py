"""autograd's tests of its differential operators and containers, ported to functrace:
test_direct.py, test_graphs.py, test_wrappers.py, test_jacobian.py, test_logic.py,
test_complex.py, test_builtins.py, test_misc.py, test_dict.py, test_list.py, test_tuple.py,
test_flatten.py, test_forward.py, test_complexity.py, test_tests.py (check_grads must catch
wrong rules), test_thread_safety.py and test_ufunc_dispatch.py.

autograd's operators map to functrace's (JAX's): ``elementwise_grad`` is ``vmap(grad(f))``,
``jacobian`` is ``jacobian``/``jacrev``, ``make_jvp`` is ``jvp``, ``make_vjp`` and
``tensor_jacobian_product`` are ``vjp``, ``hessian_tensor_product`` and ``make_hvp`` are a
``jvp`` of ``grad`` (``linearize`` for the reusable form), ``grad_and_aux`` is
``grad(..., has_aux=True)``, ``holomorphic_grad`` is ``grad(..., holomorphic=True)``,
``grad(f, argnum=[3, 1])`` is ``grad(f, argnums=(3, 1))``; autograd's ``dict``/``list``/
``tuple`` boxes are pytrees, and its ``primitive`` + ``defvjp`` is ``custom_vjp``.

Left out, with no functrace equivalent: autograd's names and docstrings of wrapped functions
(``grad_of_foo_wrt_argnum_1``), ``quick_grad_check`` and ``defgrad`` (deprecated autograd
spellings, ported as ``custom_vjp``), ``const_graph`` with a side-effecting ``primitive``
(``const_graph`` itself is ported as ``jit``, which caches a trace the same way), removing a
primitive's registered vjp at run time (``test_unimplemented_falseyness``), ``longdouble``
inputs (JAX has no
such dtype), the keyword forms ``where(condition=..., x=..., y=...)`` (NumPy's ``where`` takes
positional arguments only) and autograd's ``where`` returning Python scalars for Python scalars
(NumPy, and functrace, return 0-d arrays).
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
from autograd_port import check

import functrace as ft
import functrace.numpy as fnp

rng = np.random.default_rng(42)


def R(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


def to_scalar(x: Any) -> Any:
    """Old autograd's ``to_scalar``: a real scalar that depends on every entry of ``x``."""
    return fnp.sum(fnp.real(fnp.sin(x)))


def close(a: Any, b: Any) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-8)


def nd(f: Callable[[float], Any], x: float, eps: float = 1e-6) -> float:
    return float((f(x + eps / 2) - f(x - eps / 2)) / eps)


# -- test_direct.py ------------------------------------------------------------------------------

def _direct() -> None:
    def fun(x: Any) -> Any:
        return (x + fnp.sin(x**2)) * x

    assert abs(ft.grad(fun)(1.3) - 3.190948746871) < 1e-6
    assert abs(ft.jvp(fun, (1.3,), (1.0,))[1] - 3.190948746871) < 1e-6  # autograd's deriv
    with pytest.raises(TypeError):  # grad of a complex output
        ft.grad(lambda x: x * (1.0 + 0.2j))(1.0)
    g = ft.grad(lambda x: x * (1.0 + 0.2j), holomorphic=True)(1.0 + 0.0j)
    assert abs(g - (1.0 + 0.2j)) < 1e-4


# -- test_graphs.py ------------------------------------------------------------------------------

def _fanout(x: Any) -> Any:
    return fnp.sin(fnp.sin(x) + fnp.sin(x))


def _graphs_fanout_and_third_derivatives() -> None:
    check(_fanout, _r())
    check(ft.grad(_fanout), _u())
    check(ft.grad(ft.grad(_fanout)), _u())
    check(ft.grad(ft.grad(ft.grad(_fanout))), _u())
    two = lambda x, y: fnp.sin(fnp.sin(x) + fnp.sin(y))  # noqa: E731
    for first, second in ((0, 1), (1, 0)):
        df = ft.grad(two, first)
        ddf = ft.grad(df, second)
        dddf = ft.grad(ddf, first)
        for f in (two, df, ddf, dddf):
            check(f, _r(), _r())


def _graphs_constants_and_identity() -> None:
    assert ft.grad(lambda x: 1.0)(2.0) == 0.0
    assert ft.grad(lambda x: x)(2.0) == 1.0
    assert ft.grad(ft.grad(lambda x: x))(2.0) == 0.0


def _graphs_hess_vector_prod() -> None:
    randv = R(10)

    def fun(x: Any) -> Any:
        return fnp.sin(fnp.dot(x, randv))

    def vector_product(x: Any, v: Any) -> Any:
        return fnp.sin(fnp.dot(v, ft.grad(fun)(x)))

    check(fun, R(10))
    check(vector_product, R(10), R(10))


def _graphs_enclosing_scope() -> None:
    check(lambda x: x * ft.grad(lambda y: x * y)(2.0), 1.0)
    check(lambda x: x * ft.grad(lambda y: y * x)(2.0), 1.0)


def _graphs_mutating_outgrad() -> None:
    def fun(a: Any) -> Any:
        b = a + 1.0
        return (a + b) + (b + 1.5)

    def from_indexing(a: Any) -> Any:
        b = a + 1.0
        return (a + b) + (b[0] + 1.5)

    def complex_from_indexing(a: Any) -> Any:
        b = a + 1.0j
        return (a + b) + (b[0] + 1.5)

    check(fun, R(5))
    check(from_indexing, R(5))
    check(complex_from_indexing, R(5))
    check(lambda x: to_scalar(ft.grad(lambda a: to_scalar(complex_from_indexing(a)))(x)), R(5))


def _graphs_complex_separate_real_and_imaginary() -> None:
    def fun(a: Any) -> Any:
        r, i = fnp.real(a), fnp.imag(a)
        return to_scalar(fnp.abs(r) ** 1.4 + fnp.abs(i) ** 1.3)

    A = R(5, 3) + 0.1j * R(5, 3)
    check(fun, A)
    check(lambda x: to_scalar(ft.grad(fun)(x)), A)


def _graphs_singleton_outputs() -> None:
    for axis, keepdims, shape in ((None, True, (3, 3)), (0, False, (3, 1)), (1, False, (1, 3)),
                                  (0, True, (3, 1)), (1, True, (1, 3))):
        def fun(x: Any, axis: Any = axis, keepdims: bool = keepdims) -> Any:
            return fnp.sum(fnp.sin(x), axis=axis, keepdims=keepdims)

        check(fun, R(*shape))
        # grad needs a scalar: a one-element output of a reduction is summed first, as JAX
        # wants (autograd accepts any one-element output)
        check(lambda x, fun=fun: fnp.sum(ft.grad(lambda y: fnp.sum(fun(y)))(x)), R(*shape))
        with pytest.raises(TypeError):
            ft.grad(fun)(R(*shape))  # shape (1,) or (1, 1): not a scalar


def _graphs_errors() -> None:
    def assign(A: Any, b: Any) -> Any:
        A[1] = b  # traced arrays are immutable, as JAX's
        return to_scalar(A)

    with pytest.raises(TypeError):
        ft.grad(assign)(R(5), 3.0)
    with pytest.raises(TypeError):
        ft.grad(lambda x: x * 2)(np.zeros(2))


# -- test_wrappers.py ----------------------------------------------------------------------------

def _wrappers_value_and_grad() -> None:
    fun = lambda x: 3.0 * x**3.2  # noqa: E731
    f, d = ft.value_and_grad(fun)(1.7)
    assert f == fun(1.7)
    assert d == ft.grad(fun)(1.7)

    fun2 = lambda x: fnp.sum(fnp.sin(x) ** 2)  # noqa: E731
    x = R(5)
    value, g = ft.value_and_grad(fun2)(x)
    assert type(value) is np.ndarray  # a plain array: no tracer leaks out
    close(value, fun2(x))
    close(g, ft.grad(fun2)(x))
    check(lambda x: ft.value_and_grad(fun2)(x)[0], x)


def _wrappers_hessian() -> None:
    H = R(5, 5)
    close(ft.hessian(lambda x: fnp.dot(fnp.dot(x, H), x))(R(5)), H + H.T)


def _complicated(a: Any, b: Any, c: Any, d: Any, e: Any, f: Any = 1.1, g: Any = 9.0) -> Any:
    return a + fnp.sin(b) + fnp.cosh(c) + fnp.cos(d) + fnp.tan(e) + f + g


def _wrappers_multigrad() -> None:
    A, B, C, D, E, F, G = 0.5, -0.3, 0.2, -1.1, 0.7, 0.6, -0.1
    wrapped = ft.grad(_complicated, argnums=(3, 1))(A, B, C, D, E, f=F, g=G)
    explicit = ft.grad(lambda d_b: _complicated(A, d_b[1], C, d_b[0], E, f=F, g=G))((D, B))
    close(wrapped, explicit)
    value, grads = ft.value_and_grad(_complicated, argnums=(3, 1))(A, B, C, D, E, f=F, g=G)
    close(value, _complicated(A, B, C, D, E, f=F, g=G))
    close(grads, wrapped)

    fun = lambda x, y: fnp.sum(x + fnp.sin(y))  # noqa: E731
    packed = lambda xy: fnp.sum(xy[0] + fnp.sin(xy[1]))  # noqa: E731
    A2, B2 = R(3), R(3)
    close(ft.grad(fun, argnums=(0,))(A2, B2), (ft.grad(packed)((A2, B2))[0],))


def _wrappers_elementwise_grad() -> None:
    def simple(a: Any) -> Any:
        return a + fnp.sin(a) + fnp.cosh(a)

    A = R(10)
    close(ft.vmap(ft.grad(simple))(A), np.array([ft.grad(simple)(a) for a in A]))

    def two(a: Any, b: Any) -> Any:
        return a + fnp.sin(a) + fnp.cosh(b)

    B = R(10)
    close(ft.vmap(ft.grad(two, 1), in_axes=(None, 0))(0.9, B),
          np.array([ft.grad(two, 1)(0.9, b) for b in B]))


def _hvp(fun: Callable[[Any], Any], a: Any, v: Any) -> Any:
    return ft.jvp(ft.grad(fun), (a,), (v,))[1]


def _wrappers_hessian_products() -> None:
    fun = lambda a: fnp.sum(fnp.sin(a))  # noqa: E731
    for shape in ((5,), (5, 4), (5, 4, 3)):
        a, V = R(*shape), R(*shape)
        H = ft.hessian(fun)(a)
        close(np.tensordot(H, V, axes=V.ndim), _hvp(fun, a, V))
        _, hvp = ft.linearize(ft.grad(fun), a)  # autograd's make_hvp: reusable
        close(np.tensordot(H, V, axes=V.ndim), hvp(V))


def _wrappers_tensor_jacobian_products() -> None:
    fun = lambda a: fnp.roll(fnp.sin(a), 1)  # noqa: E731  (an asymmetric Jacobian)
    for a_shape, v_shape in (((5,), (5,)), ((5, 4), (5, 4)), ((5, 4, 3), (5, 4))):
        a, V = R(*a_shape), R(*v_shape)
        J = ft.jacobian(fun)(a)
        _, vjp_fn = ft.vjp(fun, a)
        # autograd contracts V with J's leading axes: with V shaped as the output that is one
        # vjp; with fewer axes, one vjp per remaining output index, batched with vmap
        if V.shape == a.shape:
            close(np.tensordot(V, J, axes=V.ndim), vjp_fn(V)[0])
        else:
            rows = ft.vmap(lambda e, V=V, vjp_fn=vjp_fn: vjp_fn(V[..., None] * e)[0])
            close(np.tensordot(V, J, axes=V.ndim), rows(np.eye(a.shape[-1])))


def _wrappers_custom_vjp_mul() -> None:
    # autograd's primitive + defvjp (and its deprecated defgrad spelling)
    @ft.custom_vjp
    def new_mul(x: Any, y: Any) -> Any:
        return x * y

    new_mul.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (res[1] * g, res[0] * g))
    check(new_mul, R(2, 2), R(2, 2), modes=("rev",))

    # defvjp_is_zero: a rule returning zeros
    @ft.custom_vjp
    def zero_mul(x: Any, y: Any) -> Any:
        return 0 * x * y

    zero_mul.defvjp(lambda x, y: (zero_mul(x, y), None),
                    lambda res, g: (fnp.zeros_like(g), fnp.zeros_like(g)))
    check(zero_mul, R(2, 2), R(2, 2), modes=("rev",))


def _wrappers_partial_and_dtypes() -> None:
    def f(x: Any, y: Any) -> Any:
        return x

    ft.grad(partial(f, y=1))
    g = lambda x: fnp.real(fnp.sum(x**2))  # noqa: E731
    assert ft.grad(g)(R(10, 10).astype(np.float32)).dtype.type is np.float32
    assert ft.grad(g)(R(10, 10).astype(np.float16)).dtype.type is np.float16


def _wrappers_where() -> None:
    # autograd's custom where: NumPy's dtypes (0-d arrays for Python scalars)
    for condition, x, y in ((True, 1, 2), (True, 3.0, 4.0), (False, 1, 2.0),
                            (True, [1, 2], [3, 4]),
                            (True, np.array([1.0], np.float32), np.array([2.0], np.float32)),
                            (False, np.array([1.0]), np.array([2.0])),
                            (False, np.array([1.0]), np.array([2.0], np.float32))):
        res = fnp.where(condition, x, y)
        assert np.asarray(res).dtype == np.where(condition, x, y).dtype
    x, y = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    condition = [True, False, True]
    close(fnp.where(condition, x, y), [1.0, 5.0, 3.0])
    np.testing.assert_array_equal(fnp.where(condition)[0], [0, 2])


def _wrappers_checkpoint() -> None:
    bar = lambda x, y: 2 * x + y + 5  # noqa: E731
    bar2 = ft.checkpoint(bar)
    foo = lambda x: bar(x, x / 3.0) + bar(x, x**2)  # noqa: E731
    foo2 = lambda x: bar2(x, x / 3.0) + bar2(x, x**2)  # noqa: E731
    close(foo(3.0), foo2(3.0))
    close(ft.grad(foo)(3.0), ft.grad(foo2)(3.0))
    baz = lambda *args: sum(args)  # noqa: E731
    baz2 = ft.checkpoint(baz)
    close(ft.grad(lambda x: baz(x, x / 3.0))(3.0), ft.grad(lambda x: baz2(x, x / 3.0))(3.0))


def _wrappers_make_jvp_and_ggnvp() -> None:
    A, x, v = R(3, 5), R(5), R(5)
    fun = lambda x: fnp.tanh(fnp.dot(A, x))  # noqa: E731
    close(ft.jvp(fun, (x,), (v,))[1], ft.jacobian(fun)(x) @ v)

    # autograd's make_ggnvp(f, g)(x)(v): J^T H_g J v, by jvp, hvp of g and vjp
    def ggnvp(f: Callable[[Any], Any], g: Callable[[Any], Any], x: Any, v: Any) -> Any:
        y, Jv = ft.jvp(f, (x,), (v,))
        HJv = _hvp(g, y, Jv)
        return ft.vjp(f, x)[1](HJv)[0]

    def explicit(f: Callable[[Any], Any], g: Callable[[Any], Any], x: Any, v: Any) -> Any:
        J, H = ft.jacobian(f)(x), ft.hessian(g)(f(x))
        return J.T @ (H @ (J @ v))

    B, x, v = R(5, 4), R(4), R(4)
    for g in (lambda y: 0.5 * fnp.dot(y, y), lambda y: fnp.sum(2.0 * y**2 + y**4)):
        for f in (lambda x: fnp.dot(B, x), lambda x: fnp.tanh(fnp.dot(B, x))):
            close(ggnvp(f, g, x, v), explicit(f, g, x, v))


def _wrappers_grad_and_aux() -> None:
    A, x = R(5, 4), R(4)
    g, aux = ft.grad(lambda x: (fnp.sum(fnp.dot(A, x)), x**2), has_aux=True)(x)
    close(g, ft.grad(lambda x: fnp.sum(fnp.dot(A, x)))(x))
    close(aux, x**2)


# -- test_jacobian.py ----------------------------------------------------------------------------

def _jacobian() -> None:
    fun = lambda x: fnp.sum(fnp.sin(x), axis=1, keepdims=True)  # noqa: E731
    A = R(1, 3)
    close(ft.grad(lambda x: fun(x)[0, 0])(A), ft.jacobian(fun)(A)[0, 0])

    val = _r()
    close(ft.jacobian(lambda x: fnp.array([x, x**2, x**3]))(val), [1.0, 2 * val, 3 * val**2])

    scalar_funs = [
        lambda x: fnp.sum(x**3),
        lambda x: fnp.prod(fnp.sin(x) + fnp.sin(x)),
        lambda x: ft.grad(lambda y: fnp.exp(y) * fnp.tanh(x[0]))(x[1]),
    ]
    x = R(5)
    close(ft.jacobian(lambda x: fnp.array([f(x) for f in scalar_funs]))(x),
          np.vstack([ft.grad(f)(x) for f in scalar_funs]))

    fun3 = lambda x: fnp.sin(fnp.outer(x, x)) + fnp.cos(fnp.dot(x, x))  # noqa: E731
    assert ft.jacobian(fun3)(R(2)).shape == (2, 2, 2)
    assert ft.jacobian(ft.jacobian(fun3))(R(2)).shape == (2, 2, 2, 2)
    check(lambda x: fnp.sum(fnp.sin(ft.jacobian(fun3)(x))), R(2))
    check(lambda x: fnp.sum(fnp.sin(ft.jacobian(ft.jacobian(fun3))(x))), R(2))


# -- test_logic.py -------------------------------------------------------------------------------

def _logic() -> None:
    def fun(x: Any) -> Any:
        assert fnp.allclose(x, (x * 3.0) / 3.0)  # Python logic on known values
        return fnp.sum(x)

    check(fun, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError):  # a boolean output has no gradient
        ft.grad(lambda x: fnp.allclose(x, (x * 3.0) / 3.0))(np.array([1.0, 2.0, 3.0]))
    # a primitive with no derivative rule: custom_vjp / custom_jvp without their rules
    with pytest.raises(AttributeError, match="No VJP defined"):
        ft.grad(ft.custom_vjp(lambda x: 2.0 * x))(1.0)
    with pytest.raises(AttributeError, match="No JVP defined"):
        ft.jvp(ft.custom_jvp(lambda x: 2.0 * x), (1.0,), (1.0,))

    falsey = lambda x: fnp.real(x**2 if fnp.iscomplex(x) else fnp.sum(x))  # noqa: E731
    check(falsey, 2.0)
    check(falsey, 2.0 + 1j)


# -- test_complex.py -----------------------------------------------------------------------------

def _complex() -> None:
    df = ft.grad(lambda x: fnp.sum(fnp.real(x)))
    assert np.isrealobj(df(2.0))
    assert np.iscomplexobj(df(1.0j))
    angle, absolute = fnp.angle, fnp.abs
    check(angle, _u())
    check(ft.grad(angle), _u())
    check(angle, _u() + 1j * _u())
    check(ft.grad(angle), _u() + 1j * _u())
    check(absolute, 1.1)
    check(ft.grad(absolute), 2.1)
    check(absolute, 1.1 + 1.2j)
    check(ft.grad(absolute), 1.1 + 1.3j)


# -- test_builtins.py ----------------------------------------------------------------------------

def _builtins_isinstance() -> None:
    def checker(ex: Any, type_: Any, truthval: bool) -> float:
        assert isinstance(ex, type_) == truthval
        return 1.0

    examples = [
        (list, [[]], [()]),
        (fnp.ndarray, [np.zeros(1)], [[]]),  # a traced array is a functrace.numpy.ndarray
        ((tuple, list), [[], ()], [np.zeros(1)]),
    ]
    for type_, positive, negative in examples:
        for ex in positive:
            checker(ex, type_, True)
            ft.grad(checker)(ex, type_, True)
        for ex in negative:
            checker(ex, type_, False)
            ft.grad(checker)(ex, type_, False)


# -- test_misc.py --------------------------------------------------------------------------------

def _misc_const_graph() -> None:
    # autograd's const_graph caches the trace of a function: jit does the same
    traces: list[None] = []

    def foo(x: Any, y: Any) -> Any:
        traces.append(None)
        return ft.grad(lambda x: fnp.sin(x) + x * 2)(x * y)

    wrapped = ft.jit(foo)
    assert traces == []
    close(foo(0.0, 0.0), wrapped(0.0, 0.0))
    assert len(traces) == 2
    close(foo(1.0, 0.5), wrapped(1.0, 0.5))
    assert len(traces) == 3
    close(foo(1.0, 0.5), wrapped(1.0, 0.5))
    assert len(traces) == 4


def _misc_flatten() -> None:
    # autograd's flatten (test_misc.py, test_flatten.py) is ravel_pytree
    ravel = ft.flatten_util.ravel_pytree
    x = (1.0, R(2, 3), [R(1, 4), {"x": 2.0, "y": R(4, 2)}])
    x_flat, unflatten = ravel(x)
    assert x_flat.shape == (20,)
    assert x_flat[0] == 1.0
    np.testing.assert_array_equal(x_flat, ravel(unflatten(x_flat))[0])
    y = (1.0, 2.0, [3.0, {"x": 2.0, "y": 4.0}])
    y_flat, unflatten = ravel(y)
    assert y_flat.shape == (5,)
    assert y == unflatten(y_flat)
    for val in ((R(4), [R(3, 4), 2.5], (), (2.0, [1.0, R(2)])),
                {"k": rng.random((4, 4)), "k2": rng.random((3, 3)), "k3": 3.0,
                 "k4": [1.0, 4.0, 7.0, 9.0]}):
        vect, unflatten = ravel(val)
        np.testing.assert_array_equal(vect, ravel(unflatten(vect))[0])
    vect, unflatten = ravel(2 + 3j)
    np.testing.assert_array_equal(vect, [2 + 3j])
    assert unflatten(vect) == 2 + 3j
    # and it traces: a loss of the flat vector is differentiated through unflatten
    params = {"w": R(3, 2), "b": R(2)}
    flat, unflatten = ravel(params)
    loss = lambda p: fnp.sum(fnp.tanh(fnp.ones(3) @ p["w"] + p["b"]) ** 2)  # noqa: E731
    close(ft.grad(lambda v: loss(unflatten(v)))(flat), ravel(ft.grad(loss)(params))[0])


# -- test_forward.py: forward mode, and forward and reverse mixed -----------------------------

def _forward() -> None:
    def f(x: Any, y: Any) -> Any:
        return x**3 + x * y + y**4

    def forward_grad(f: Callable[..., Any], argnum: int) -> Callable[..., Any]:
        # autograd's forward_mode_grad: the jvp along the argument's unit direction
        def df(*args: Any) -> Any:
            tangents = tuple(np.ones_like(a) if i == argnum else np.zeros_like(a)
                             for i, a in enumerate(args))
            return ft.jvp(f, args, tangents)[1]

        return df

    check(f, 1.23, 4.56, modes=("fwd",))
    for argnum in (0, 1):
        check(forward_grad(f, argnum), 1.23, 4.56, modes=("fwd",))  # forward over forward
        check(forward_grad(f, argnum), 1.23, 4.56, modes=("rev",))  # reverse over forward
        check(ft.grad(f, argnum), 1.23, 4.56, modes=("fwd",))  # forward over reverse


# -- test_complexity.py: derivatives whose graphs grow linearly ------------------------------
# autograd times grad at sizes N and 10 N (a ratio in [5, 20]); on a shared machine a time is
# noise, so the size of the derivative's jaxpr, which the time follows, is compared instead.

def _complexity() -> None:
    def eqns(f: Callable[..., Any], *args: Any) -> int:
        return len(ft.make_jaxpr(f)(*args).jaxpr.eqns)

    def array_creation(x: Any, N: int) -> Any:
        return fnp.sum(fnp.array([x for _ in range(N)]))

    def indexing(x: Any) -> Any:
        return sum([x[i] for i in range(len(x))])

    sizes: dict[str, Callable[[int], int]] = {
        "array_creation": lambda N: eqns(lambda x: ft.grad(array_creation)(x, 20 * N), 1.0),
        "array_indexing": lambda N: eqns(ft.grad(indexing), np.zeros(20 * N)),
        "list_indexing": lambda N: eqns(ft.grad(indexing), [0.0] * (5 * N)),
        "list_creation": lambda N: eqns(
            lambda x: ft.jvp(lambda y: [y * 1.0 for _ in range(5 * N)], (x,), (1.0,))[1], 0.0),
    }
    for name, size in sizes.items():
        small, large = size(1), size(10)
        assert 5 * small < large < 20 * small, (name, small, large)


# -- test_dict.py, test_list.py, test_tuple.py ---------------------------------------------------

def _containers(make: Callable[[list[Any]], Any], keys: list[Any]) -> None:
    k1, k2, kx = keys
    inputs = make([R(5, 6), R(4, 3), R(2, 4)])

    def getter(c: Any) -> Any:
        return fnp.sum(c[k1]) + fnp.sum(c[k2]) + fnp.sum(c[k2])

    result = ft.grad(getter)(inputs)
    close(result[k1], np.ones((5, 6)))
    close(result[k2], 2 * np.ones((4, 3)))
    close(result[kx], np.zeros((2, 4)))

    def fun(c: Any) -> Any:
        return fnp.sum(fnp.sin(c[k1])) + fnp.sum(fnp.cos(c[k2]))

    def d_fun(c: Any) -> Any:
        g = ft.grad(fun)(c)
        return fnp.sum(g[k1]) + fnp.sum(fnp.sin(g[k1])) + fnp.sum(fnp.sin(g[k2]))

    check(fun, inputs)
    check(d_fun, inputs)


def _dict_iteration() -> None:
    def iterate(d: Any) -> Any:
        A, B = 0.0, 0.0
        for i, k in enumerate(sorted(d)):
            A = A + fnp.sum(fnp.sin(d[k])) * (i + 1.0)
            B = B + fnp.sum(fnp.cos(d[k]))
        return A + B

    def items_values_keys(d: Any) -> Any:
        A, B = 0.0, 0.0
        for i, (_, v) in enumerate(sorted(d.items(), key=operator.itemgetter(0))):
            A = A + fnp.sum(fnp.sin(v)) * (i + 1.0)
            B = B + fnp.sum(fnp.cos(v))
        for v in d.values():
            A = A + fnp.sum(fnp.sin(v))
        for k in sorted(d.keys()):
            A = A + fnp.sum(fnp.cos(d[k]))
        return A + B

    d = {"item_1": R(5, 6), "item_2": R(4, 3), "item_X": R(2, 4)}
    for fun in (iterate, items_values_keys):
        def d_fun(d: Any, fun: Callable[[Any], Any] = fun) -> Any:
            g = ft.grad(fun)(d)
            return (fnp.sum(g["item_1"]) + fnp.sum(fnp.sin(g["item_1"]))
                    + fnp.sum(fnp.sin(g["item_2"])))

        check(fun, d)
        check(d_fun, d)

    def get(d: Any, x: Any) -> Any:
        return d.get("item_1", x) ** 2

    for d0 in ({"item_1": 3.0}, {"item_2": 4.0}, {}):
        check(get, d0, 2.0)
    # building dicts (autograd's ag_dict) in the output
    check(lambda x: dict([("a", x)], b=x), 1.0, modes=("rev",))
    check(lambda x: dict({"a": x}), 1.0, modes=("rev",))

    def is_dict(x: Any) -> Any:
        assert isinstance(x, dict)
        return x["x"]

    assert ft.grad(is_dict)({"x": 1.0}) == {"x": 1.0}


def _tuple_nested_higher_order() -> None:
    def outer_fun(x: Any) -> Any:
        def inner_fun(y: Any) -> Any:
            return y[0] * y[1]

        return fnp.sum(fnp.sin(fnp.array(ft.grad(inner_fun)((x, x)))))

    check(outer_fun, 5.0)
    check(ft.grad(outer_fun), 10.0)
    check(ft.grad(ft.grad(outer_fun)), 10.0)

    def is_tuple(x: Any) -> Any:
        assert isinstance(x, tuple)
        return x[0]

    assert ft.grad(is_tuple)((1.0, 2.0, 3.0)) == (1.0, 0.0, 0.0)


# -- test_tests.py: check_grads catches wrong rules, at first and at second order -------------

def _tests_check_grads_fails() -> None:
    @ft.custom_vjp
    def foo(x: Any) -> Any:
        return x * 2.0

    foo.defvjp(lambda x: (x * 2.0, None), lambda res, g: (g * 2.001,))
    with pytest.raises(AssertionError, match="vjp does not match"):
        check(foo, 1.0, modes=("rev",), order=1)

    # a right first derivative whose own derivative (in the cotangent) is wrong
    @ft.custom_vjp
    def bar(x: Any) -> Any:
        return x

    bar.defvjp(lambda x: (x, None), lambda res, g: (g * 1.001,))

    @ft.custom_vjp
    def foo2(x: Any) -> Any:
        return x * 2.0

    foo2.defvjp(lambda x: (x * 2.0, None), lambda res, g: (bar(g) * 2,))
    check(foo2, 1.0, modes=("rev",), order=1)
    with pytest.raises(AssertionError, match="vjp does not match"):
        check(foo2, 1.0, modes=("rev",), order=2)


# -- test_thread_safety.py -----------------------------------------------------------------------

def _run_threaded(worker: Callable[[int], None], n_threads: int = 8) -> None:
    barrier = threading.Barrier(n_threads)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait()
            worker(i)
        except Exception as e:  # a thread's failure is re-raised in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _concurrently(fun: Callable[[Any], Any], inputs: list[Any], repeats: int = 10) -> None:
    """Each of 8 threads evaluates ``fun`` at its own input (autograd's rows repeat 50 times;
    10 here) and must get the serial answer: each thread has its own current trace."""
    expected = [fun(x) for x in inputs]
    results: list[Any] = [None] * len(inputs)

    def worker(i: int) -> None:
        for _ in range(repeats):
            results[i] = fun(inputs[i])

    _run_threaded(worker, n_threads=len(inputs))
    for got, want in zip(results, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def _thread_safety() -> None:
    _concurrently(ft.grad(lambda x: fnp.sum(fnp.sin(x) ** 2 + fnp.exp(x))),
                  [np.linspace(0.1, 1.0, 6) + i for i in range(8)])
    _concurrently(ft.grad(ft.grad(ft.grad(fnp.sin))), [0.1 + 0.1 * i for i in range(8)])
    _concurrently(ft.jacobian(lambda x: fnp.dot(x, x) * fnp.sin(x)),
                  [np.linspace(0.1, 1.0, 4) + i for i in range(8)])
    _concurrently(ft.vmap(ft.grad(lambda x: fnp.sin(x) * x)),
                  [np.linspace(0.1, 1.0, 4) + i for i in range(8)])
    # autograd's const_graph (a cached trace): first calls of a jitted function race on its
    # cache
    fun = lambda x: fnp.sum(fnp.sin(x) + x * 2)  # noqa: E731
    inputs = [np.linspace(0.1, 1.0, 5) + i for i in range(8)]
    _concurrently(ft.jit(fun), inputs, repeats=1)


# -- test_ufunc_dispatch.py: plain NumPy ufuncs on traced values (its xarray rows need xarray,
# which functrace has no business with) ----------------------------------------------------------

def _ufunc_dispatch() -> None:
    coeffs = np.array([1.0, 2.0, 3.0])
    for f in (lambda x: np.sum(x * coeffs), lambda x: np.sum(coeffs * x)):
        assert f(2.0) == np.sum(2.0 * coeffs)
        assert ft.grad(f)(2.0) == np.sum(coeffs)
        check(f, 2.0)
    coeffs = np.array([2.0, 3.0, 4.0])
    x0 = np.array([1.0, -1.0, 0.5])
    close(ft.grad(lambda x: np.sum(x * coeffs))(x0), coeffs)
    check(lambda x: np.sum(x * coeffs), x0)
    x = np.array([1.0, 2.0, 3.0])
    close(ft.grad(lambda v: np.sum(np.multiply(v, v)))(x), 2.0 * x)
    check(lambda v: np.sum(np.sin(v) + 2.0 * v), np.array([0.1, 0.2, 0.3]))


def _r() -> float:
    return float(rng.standard_normal())


def _u() -> float:
    return float(rng.random())


API: dict[str, Callable[[], None]] = {
    "direct": _direct,
    "graphs_fanout_and_third_derivatives": _graphs_fanout_and_third_derivatives,
    "graphs_constants_and_identity": _graphs_constants_and_identity,
    "graphs_hess_vector_prod": _graphs_hess_vector_prod,
    "graphs_enclosing_scope": _graphs_enclosing_scope,
    "graphs_mutating_outgrad": _graphs_mutating_outgrad,
    "graphs_complex_separate_real_and_imaginary": _graphs_complex_separate_real_and_imaginary,
    "graphs_singleton_outputs": _graphs_singleton_outputs,
    "graphs_errors": _graphs_errors,
    "wrappers_value_and_grad": _wrappers_value_and_grad,
    "wrappers_hessian": _wrappers_hessian,
    "wrappers_multigrad": _wrappers_multigrad,
    "wrappers_elementwise_grad": _wrappers_elementwise_grad,
    "wrappers_hessian_products": _wrappers_hessian_products,
    "wrappers_tensor_jacobian_products": _wrappers_tensor_jacobian_products,
    "wrappers_custom_vjp_mul": _wrappers_custom_vjp_mul,
    "wrappers_partial_and_dtypes": _wrappers_partial_and_dtypes,
    "wrappers_where": _wrappers_where,
    "wrappers_checkpoint": _wrappers_checkpoint,
    "wrappers_make_jvp_and_ggnvp": _wrappers_make_jvp_and_ggnvp,
    "wrappers_grad_and_aux": _wrappers_grad_and_aux,
    "jacobian": _jacobian,
    "logic": _logic,
    "complex": _complex,
    "builtins_isinstance": _builtins_isinstance,
    "misc_const_graph": _misc_const_graph,
    "misc_flatten": _misc_flatten,
    "forward": _forward,
    "complexity": _complexity,
    "list": partial(_containers, list, [0, 1, 2]),
    "tuple": partial(_containers, tuple, [0, 1, 2]),
    "dict": partial(_containers, lambda xs: dict(zip(["item_1", "item_2", "item_X"], xs,
                                                     strict=True)),
                    ["item_1", "item_2", "item_X"]),
    "dict_iteration_get_and_construction": _dict_iteration,
    "tuple_nested_higher_order": _tuple_nested_higher_order,
    "tests_check_grads_fails": _tests_check_grads_fails,
    "thread_safety": _thread_safety,
    "ufunc_dispatch": _ufunc_dispatch,
}


@pytest.mark.parametrize("name", list(API))
def test_api(name: str) -> None:
    API[name]()
