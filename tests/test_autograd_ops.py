"""autograd's tests/test_binary_ops.py, test_truediv.py, test_scalar_ops.py and test_core.py,
ported to functrace.

``BINARY`` crosses each binary operation with every pair of autograd's operands (a scalar, a
vector, a matrix and a one-row matrix: 16 pairs, all checked); ``SCALAR`` is test_scalar_ops.py
(``3 * f(x)`` at one point each); ``CORE`` is test_core.py (derivatives of Python's operators
at ``x, y = 0.7, 1.8`` against a central difference).
"""

from __future__ import annotations

import itertools
import operator as op
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import numpy as np
import pytest
from autograd_port import check, describe

import functrace as ft
import functrace.numpy as fnp

rs = np.random.default_rng(0)


def arg_pairs() -> Iterator[tuple[Any, Any]]:
    scalar, vector, mat, mat2 = 2.0, rs.standard_normal(4), rs.standard_normal((3, 4)), \
        rs.standard_normal((1, 4))
    yield from itertools.product([scalar, vector, mat, mat2], repeat=2)


PAIRS = list(arg_pairs())


def _gap_from_zero(x: Any) -> Any:
    return np.sqrt(np.square(x) + 0.5)


def _positive(x: Any) -> Any:
    return np.abs(x) + 1.1  # central differences of x ** y fail near x = 0


# (name, function, operand transform, modes); mod skips the pairs where both operands are the
# same object (no derivative where x == y), as autograd's row does.
BINARY: list[tuple[str, Callable[..., Any], Callable[[Any, Any], tuple[Any, Any]], tuple[str, ...]]]
BINARY = [
    ("mul", op.mul, lambda x, y: (x, y), ("fwd", "rev")),
    ("add", op.add, lambda x, y: (x, y), ("fwd", "rev")),
    ("sub", op.sub, lambda x, y: (x, y), ("fwd", "rev")),
    ("div", op.truediv, lambda x, y: (_gap_from_zero(x), _gap_from_zero(y)), ("fwd", "rev")),
    ("mod", op.mod, lambda x, y: (_gap_from_zero(x), _gap_from_zero(y)), ("fwd", "rev")),
    ("pow", op.pow, lambda x, y: (_positive(x), y), ("fwd", "rev")),
    ("arctan2", fnp.arctan2, lambda x, y: (x, y), ("fwd", "rev")),
    ("hypot", fnp.hypot, lambda x, y: (x, y), ("rev",)),
    # test_truediv.py: the same as div, written as true division
    ("truediv", lambda x, y: x / y, lambda x, y: (_gap_from_zero(x), _gap_from_zero(y)),
     ("fwd", "rev")),
]


@pytest.mark.parametrize("fun, prepare, modes", [pytest.param(f, p, m, id=n)
                                                 for n, f, p, m in BINARY])
def test_binary_ops(fun: Callable[..., Any], prepare: Callable[[Any, Any], tuple[Any, Any]],
                    modes: tuple[str, ...]) -> None:
    for x, y in PAIRS:
        if fun is op.mod and x is y:
            continue
        x, y = prepare(x, y)
        try:
            check(fun, x, y, modes=modes)
        except AssertionError as e:
            raise AssertionError(f"at {describe((x, y))}: {e}") from e


COMPARISONS = [
    lambda x, y: fnp.sum(x < x) + 0.0,
    lambda x, y: fnp.sum(x <= y) + 0.0,
    lambda x, y: fnp.sum(x > y) + 0.0,
    lambda x, y: fnp.sum(x >= y) + 0.0,
    lambda x, y: fnp.sum(x == y) + 0.0,
    lambda x, y: fnp.sum(x != y) + 0.0,
]


@pytest.mark.parametrize("k", range(len(COMPARISONS)))
def test_comparison_grads_and_values(k: int) -> None:
    fun = COMPARISONS[k]
    for x, y in PAIRS:
        for argnums, arg in ((0, x), (1, y)):
            g = ft.grad(fun, argnums)(x, y)
            assert np.shape(g) == np.shape(arg)
            np.testing.assert_array_equal(g, np.zeros_like(arg))
        value, _ = ft.value_and_grad(fun)(x, y)
        assert value == fun(x, y)


# -- test_scalar_ops.py --------------------------------------------------------------------------

def _r() -> float:
    return float(rs.standard_normal())


def _u() -> float:
    return float(rs.random())


SCALAR: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("abs_+", lambda x: 3.0 * fnp.abs(x), (1.1,)),
    ("abs_-", lambda x: 3.0 * fnp.abs(x), (-1.1,)),
    ("sin", lambda x: 3.0 * fnp.sin(x), (_r(),)),
    ("sign_+", lambda x: 3.0 * fnp.sign(x), (1.1,)),
    ("sign_-", lambda x: 3.0 * fnp.sign(x), (-1.1,)),
    ("exp", lambda x: 3.0 * fnp.exp(x), (_r(),)),
    ("log", lambda x: 3.0 * fnp.log(x), (abs(_r()),)),
    ("log2", lambda x: 3.0 * fnp.log2(x), (abs(_r()),)),
    ("log10", lambda x: 3.0 * fnp.log10(x), (abs(_r()),)),
    ("log1p", lambda x: 3.0 * fnp.log1p(x), (abs(_r()),)),
    ("expm1", lambda x: 3.0 * fnp.expm1(x), (abs(_r()),)),
    ("exp2", lambda x: 3.0 * fnp.exp2(x), (abs(_r()),)),
    ("neg", lambda x: 3.0 * -x, (_r(),)),
    ("cos", lambda x: 3.0 * fnp.cos(x), (_r(),)),
    ("tan", lambda x: 3.0 * fnp.tan(x), (_r(),)),
    ("cosh", lambda x: 3.0 * fnp.cosh(x), (_r(),)),
    ("sinh", lambda x: 3.0 * fnp.sinh(x), (_r(),)),
    ("tanh", lambda x: 3.0 * fnp.tanh(x), (_r(),)),
    ("arccos", lambda x: 3.0 * fnp.arccos(x), (0.1,)),
    ("arcsin", lambda x: 3.0 * fnp.arcsin(x), (0.1,)),
    ("arctan", lambda x: 3.0 * fnp.arctan(x), (0.2,)),
    ("arccosh", lambda x: 3.0 * fnp.arccosh(x), (_r() ** 2 + 1.2,)),
    ("arcsinh", lambda x: 3.0 * fnp.arcsinh(x), (_r(),)),
    ("arctanh", lambda x: 3.0 * fnp.arctanh(x), (0.2,)),
    ("sqrt", lambda x: 3.0 * fnp.sqrt(x), (10.0 * _u(),)),
    ("power_arg0", partial(lambda x, y: fnp.power(x, y), y=_r() ** 2 + 1.0), (_u() ** 2 + 1.0,)),
    ("power_arg1", partial(lambda y, x: fnp.power(x, y), x=_r() ** 2), (_u() ** 2,)),
    ("power_arg1_zero", lambda y: fnp.power(0.0, y), (_u() ** 2,)),
    ("mod", fnp.mod, (_u(), _u())),
    ("divide", fnp.divide, (_u(), _u())),
    ("multiply", fnp.multiply, (_u(), _u())),
    ("true_divide", fnp.true_divide, (_u(), _u())),
    ("reciprocal", fnp.reciprocal, (_u(),)),
    ("negative", fnp.negative, (_u(),)),
    ("rad2deg", lambda x: 3.0 * fnp.rad2deg(x), (10.0 * _u(),)),
    ("deg2rad", lambda x: 3.0 * fnp.deg2rad(x), (10.0 * _u(),)),
    ("radians", lambda x: 3.0 * fnp.radians(x), (10.0 * _u(),)),
    ("degrees", lambda x: 3.0 * fnp.degrees(x), (10.0 * _u(),)),
    ("sinc", lambda x: 3.0 * fnp.sinc(x), (10.0 * _u(),)),
]


@pytest.mark.parametrize("fun, args", [pytest.param(f, a, id=n) for n, f, a in SCALAR])
def test_scalar_ops(fun: Callable[..., Any], args: tuple[Any, ...]) -> None:
    check(fun, *args)


def test_scalar_special_points() -> None:
    # |x| at 0: the (symmetric) central difference, 0, to first order
    check(lambda x: 3.0 * fnp.abs(x), 0.0, order=1)
    # x ** 0 is the constant 1, so its derivatives at x = 0 are 0 (autograd issue #116)
    assert ft.grad(lambda x: fnp.power(x, 0.0))(0.0) == 0.0
    assert ft.grad(ft.grad(lambda x: fnp.power(x, 0.0)))(0.0) == 0.0


# -- test_core.py --------------------------------------------------------------------------------

def _nd(f: Callable[[float], Any], x: float, eps: float = 1e-4) -> float:
    return float((f(x + eps / 2) - f(x - eps / 2)) / eps)


CORE: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("add", op.add), ("sub", op.sub), ("div", op.truediv), ("mul", op.mul), ("pow", op.pow),
    ("mod", op.mod),
]


@pytest.mark.parametrize("fun", [pytest.param(f, id=n) for n, f in CORE])
def test_core(fun: Callable[[Any, Any], Any]) -> None:
    x, y = 0.7, 1.8
    for argnum, partial_f, at in ((0, lambda t: fun(t, y), x), (1, lambda t: fun(x, t), y)):
        np.testing.assert_allclose(ft.grad(fun, argnum)(x, y), _nd(partial_f, at),
                                   atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("fun", [op.eq, op.ne, op.le, op.ge, op.lt, op.gt],
                         ids=["eq", "ne", "le", "ge", "lt", "gt"])
def test_core_comparisons(fun: Callable[[Any, Any], Any]) -> None:
    # autograd gives a comparison's boolean output a zero gradient (with a warning); functrace
    # follows JAX: grad needs a floating-point output, and a comparison made one has a zero
    # derivative in both arguments.
    x, y = 0.7, 1.8
    with pytest.raises(TypeError, match="bool"):
        ft.grad(fun)(x, y)
    assert ft.grad(lambda a, b: fun(a, b) + 0.0, (0, 1))(x, y) == (0.0, 0.0)
