"""autograd's tests/test_numpy.py and tests/test_systematic.py, ported to functrace.numpy.

Each autograd test is one row: ``NUMPY`` holds the plain ``check_grads(fun)(*args)`` tests of
test_numpy.py (order 2, both modes, as autograd's default), ``NUMPY_SPECIAL`` those with more
logic, ``SYSTEMATIC`` the ``combo_check`` tests of test_systematic.py with autograd's inputs.
Every combination autograd lists is checked (they are small: the largest, ``cross``, has 108),
except where a row says it samples.

Left out (no functrace equivalent): ``test_numpy_version`` (autograd re-exports NumPy's
version), ``make_diagonal`` (an autograd-only function; ``diagonal`` is ported), ``msort``
(removed from NumPy 2), ``real_if_close`` (not in jax.numpy; its dtype depends on the values).
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
from autograd_port import (
    binary_ufunc_check,
    check,
    combo_check,
    stat_check,
    unary_ufunc_check,
)

import functrace as ft
import functrace.numpy as fnp

rng = np.random.default_rng(1)


def R(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


# -- test_numpy.py: check_grads(fun)(*args) ------------------------------------------------------

_C32 = R(3, 2)
_C10 = R(10)
_COND = R(4, 5) > 0
_NAN_INF = np.array([0.0, np.nan, np.inf, -np.inf])

NUMPY: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("dot_mat_vec", fnp.dot, (R(10, 11), R(11))),
    ("dot_mat_mat", fnp.dot, (R(10, 11), R(11, 10))),
    ("dot_vec_mat", fnp.dot, (R(10), R(10, 11))),
    ("dot_vec_vec", fnp.dot, (R(11), R(11))),
    ("dot_mat_float", fnp.dot, (R(10, 11), float(R()))),
    ("dot_float_mat", fnp.dot, (float(R()), R(10, 11))),
    ("dot_vec_float", fnp.dot, (R(10), float(R()))),
    ("dot_float_vec", fnp.dot, (float(R()), R(10))),
    ("outer", fnp.outer, (R(11), R(11))),
    ("max", fnp.max, (R(10, 11),)),
    ("max_axis", lambda x: fnp.max(x, axis=1), (R(3, 4, 5),)),
    ("max_axis_keepdims", lambda x: fnp.max(x, axis=1, keepdims=True), (R(3, 4, 5),)),
    ("min", fnp.min, (R(10, 11),)),
    ("min_axis", lambda x: fnp.min(x, axis=1), (R(3, 4, 5),)),
    ("min_axis_keepdims", lambda x: fnp.min(x, axis=1, keepdims=True), (R(3, 4, 5),)),
    ("sum_1", fnp.sum, (R(10, 11),)),
    ("sum_2", lambda x: fnp.sum(x, axis=0), (R(10, 11),)),
    ("sum_3", lambda x: fnp.sum(x, axis=0, keepdims=True), (R(10, 11),)),
    ("sum_with_axis_tuple", lambda x: fnp.sum(x, axis=(1, 2)), (R(10, 11, 7),)),
    ("flipud", fnp.flipud, (R(10, 11),)),
    ("fliplr", fnp.fliplr, (R(10, 11),)),
    ("rot90", fnp.rot90, (R(10, 11),)),
    ("cumsum_axis0", lambda x: fnp.cumsum(x, axis=0), (R(10, 11),)),
    ("cumsum_axis1", lambda x: fnp.cumsum(x, axis=1), (R(10, 11),)),
    ("cumsum_1d", fnp.cumsum, (R(10),)),
    ("cumsum_no_axis", fnp.cumsum, (R(10, 11),)),
    ("non_numpy_sum", lambda x, y: sum([x, y]), (R(10, 11), R(10, 11))),
    ("mean_1", fnp.mean, (R(10, 11),)),
    ("mean_2", lambda x: fnp.mean(x, axis=0), (R(10, 11),)),
    ("mean_3", lambda x: fnp.mean(x, axis=0, keepdims=True), (R(10, 11),)),
    ("index_ints", lambda x: x[3, 0, 1], (R(5, 6, 4),)),
    ("index_slice", lambda x: x[::-1, 2:4, :], (R(5, 6, 4),)),
    ("index_lists", lambda x: x[[0, 1, 2], :, :], (R(5, 6, 4),)),
    ("index_mixed", lambda x: x[3, 2:, [1, 3]], (R(5, 6, 4),)),
    ("vector_slice", lambda x: x[2:4], (R(5),)),
    ("index_slice_fanout", lambda x: x[::-1, 2:4, :] + x[::-1, 3:5, :], (R(5, 6, 4),)),
    ("index_multiple_slices", lambda x: x[2:6][1:3], (R(7),)),
    ("reshape_method", lambda x: x.reshape((5 * 4, 6)), (R(5, 6, 4),)),
    ("reshape_call", lambda x: fnp.reshape(x, (5 * 4, 6)), (R(5, 6, 4),)),
    ("reshape_method_nolist", lambda x: x.reshape(5 * 4, 6), (R(5, 6, 4),)),
    ("ravel_method", lambda x: x.ravel(), (R(5, 6, 4),)),
    ("ravel_call", fnp.ravel, (R(5, 6, 4),)),
    ("flatten_method", lambda x: x.flatten(), (R(5, 6, 4),)),
    # autograd passes the list [1., 2., 3.]: here a list of three scalars, a pytree.
    ("simple_append_list", fnp.append, ([1.0, 2.0, 3.0], 4.0)),
    ("simple_append_arr", fnp.append, (np.array([1.0, 2.0, 3.0]), 4.0)),
    ("simple_append_list_2D", partial(fnp.append, axis=0),
     ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[7.0, 8.0, 9.0]])),
    ("simple_concatenate", lambda x: fnp.concatenate((_A564, x)), (R(4, 6, 4),)),
    ("concatenate_axis_0", lambda x: fnp.concatenate((_B564, x, _B564)), (R(5, 6, 4),)),
    ("concatenate_axis_1", lambda x: fnp.concatenate((_B564, x, _B564), axis=1), (R(5, 6, 4),)),
    ("concatenate_axis_1_unnamed", lambda x: fnp.concatenate((_B564, x, _B564), 1),
     (R(5, 6, 4),)),
    # autograd draws the offset at random in [-9, 11) (and [-5, 6) for 4-d): three fixed ones.
    ("trace_offset_3", lambda x: fnp.trace(x, offset=3), (R(10, 11),)),
    ("trace_offset_-4", lambda x: fnp.trace(x, offset=-4), (R(10, 11),)),
    ("trace2", lambda x: fnp.trace(x, offset=-2), (R(11, 10),)),
    ("trace_extradims", lambda x: fnp.trace(x, offset=1), (R(5, 6, 4, 3),)),
    ("split", lambda x: fnp.split(x, 2)[0], (R(10),)),
    ("diag", fnp.diag, (R(10, 10),)),
    ("transpose", lambda x: x.T, (R(8, 8),)),
    ("roll", lambda x: fnp.roll(x, 2, axis=1), (R(4, 5),)),
    ("roll_no_axis", lambda x: fnp.roll(x, 2), (R(4, 5),)),  # (autograd's row passes axis=1)
    ("triu", lambda x: fnp.triu(x, k=2), (R(5, 5),)),
    ("tril", lambda x: fnp.tril(x, k=2), (R(5, 5),)),
    ("clip", lambda x: fnp.clip(x, min=0.1, max=1.1), (R(5, 5),)),
    ("prod_1", fnp.prod, (R(2, 3) ** 2 / 10.0 + 0.1,)),
    ("prod_2", lambda x: fnp.prod(x, axis=0), (R(2, 3) ** 2 + 0.1,)),
    ("prod_3", lambda x: fnp.prod(x, axis=0, keepdims=True), (R(2, 3) ** 2 + 0.1,)),
    ("prod_4", fnp.prod, (R(7) ** 2 + 0.1,)),
    ("1d_array", lambda x: fnp.array([x, x * 1.0, x + 2.5]), (3.0,)),
    ("2d_array", lambda x: fnp.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]]), (3.0,)),
    ("1d_array_fanout", lambda x: (lambda a: a + a)(fnp.array([x, x * 1.0, x + 2.5])), (3.0,)),
    ("2d_array_fanout",
     lambda x: (lambda a: a + a)(fnp.array([[x, x * 1.0, x + 2.5], [x**2, x, x / 2.0]])),
     (3.0,)),
    ("array_from_scalar", fnp.array, (3.0,)),
    ("array_from_arrays", lambda x: fnp.array([x, x]), (R(3, 2),)),
    ("array_from_arrays_2", lambda x: fnp.array([[2 * x, x + 1], [x, x]]), (R(3, 2),)),
    ("r_basic", lambda x: fnp.r_[x], (R(3, 2),)),
    ("r_double", lambda x: fnp.r_[x, x], (R(3, 2),)),
    ("no_relation", lambda x: _C32, (R(3, 2),)),
    ("r_no_relation", lambda x: fnp.r_[_C32], (R(3, 2),)),
    ("r_node_and_const", lambda x: fnp.r_[x, _C32], (R(3, 2),)),
    ("r_mixed", lambda x: fnp.r_[x, _C32, x], (R(3, 2),)),
    ("r_slicing", lambda x: fnp.r_[x, _C10, 1:10], (R(10),)),
    ("c_", lambda x: fnp.c_[x, _C32, x], (R(3, 2),)),
    ("where", lambda x, y: fnp.where(_COND, x, y), (R(4, 5), R(4, 5))),
    ("squeeze_func", fnp.squeeze, (R(5, 1, 4),)),
    ("squeeze_method", lambda x: x.squeeze(), (R(5, 1, 4),)),
    ("repeat", lambda x: fnp.repeat(x, 2, axis=1), (R(5, 3, 4),)),
    ("repeat_axis1_rep1", lambda x: fnp.repeat(x, 1, axis=1), (R(5, 3, 4),)),
    ("repeat_axis0", lambda x: fnp.repeat(x, 2, axis=0), (R(5, 3),)),
    ("repeat_1d_axis0", lambda x: fnp.repeat(x, 2, axis=0), (R(5),)),
    ("repeat_axis0_rep1", lambda x: fnp.repeat(x, 1, axis=0), (R(5, 1),)),
    ("expand_dims", lambda x: fnp.expand_dims(x, 2), (R(5, 1, 4),)),
    ("multi_index", lambda x: fnp.sum(x[[0, 0]]), (R(3),)),
    ("multi_index2", lambda x: fnp.sum(x[[0, 1, 0]]), (R(3),)),
    ("index_dot_slices", lambda x: fnp.dot(x[:2], x[2:]), (R(4),)),
    ("diagonal_2d", lambda d: fnp.diagonal(d, axis1=-1, axis2=-2), (R(4, 4),)),
    ("diagonal_3d", lambda d: fnp.diagonal(d, axis1=-1, axis2=-2), (R(3, 4, 4),)),
    ("nan_to_num", lambda x: fnp.sum(fnp.sin(fnp.nan_to_num(x + _NAN_INF))), (R(4),)),
    # Ties: the derivative is shared among the tied entries, so it sums to the one-sided value.
    ("max_equal_values", lambda x: fnp.max(fnp.array([x, x])), (1.0,)),
    ("max_equal_values_2d_+1",
     lambda x: fnp.max(fnp.array([[x, x], [x, 0.5]]), axis=1), (1.0,)),
    ("max_equal_values_2d_-1",
     lambda x: fnp.max(fnp.array([[x, x], [x, 0.5]]), axis=1), (-1.0,)),
    ("min_3_way_equality_+1", lambda x: fnp.min(_three_way(x), axis=0), (1.0,)),
    ("min_3_way_equality_-1", lambda x: fnp.min(_three_way(x), axis=0), (-1.0,)),
    ("maximum_equal_values", lambda x: fnp.maximum(x, x), (1.0,)),
    *[(f"maximum_equal_values_2d_{x}", lambda x: fnp.maximum(
        fnp.array([x, x, 0.5]), fnp.array([[x, 0.5, x], [x, x, 0.5]])), (x,))
      for x in (1.0, -1.0, 2.0)],
    *[(f"linspace_{num}_{a}_{b}", partial(lambda x, y, num: fnp.linspace(x, y, num), num=num),
       (a, b)) for num in (0, 1, 5) for a, b in ((1.2, 3.4), (1.2, -3.4), (1.2, 1.2))],
    ("gradient_1d", fnp.gradient, (R(10),)),
    ("gradient_2d", fnp.gradient, (R(10, 10),)),
    ("gradient_3d", fnp.gradient, (R(10, 10, 10),)),
    *[(f"gradient_axis_{a}", partial(fnp.gradient, axis=a), (R(10, 10, 10),))
      for a in (None, 0, 1, -1, (0, 1), (0, -1))],
]

_A564, _B564 = R(5, 6, 4), R(5, 6, 4)


def _three_way(x: Any) -> Any:
    return fnp.array([[x, x, x], [x, 0.5, 0.5], [0.5, 0.5, 0.5], [x, x, 0.5]])


@pytest.mark.parametrize("fun, args", [pytest.param(f, a, id=n) for n, f, a in NUMPY])
def test_numpy(fun: Callable[..., Any], args: tuple[Any, ...]) -> None:
    check(fun, *args)


# -- test_numpy.py: the tests with more to them ------------------------------------------------


def _len() -> None:
    def fun(x: Any) -> Any:
        assert len(x) == 3
        return x

    check(fun, R(3, 2))


def _mean_std_var_of_lists() -> None:
    # A list (or tuple) of traced scalars is an array operand.
    for container in (list, tuple):
        assert ft.grad(lambda x, c=container: fnp.mean(c([x, x + 2])))(0.0) == 1.0
        # symmetric around the mean: the derivative is exactly zero
        assert ft.grad(lambda x, c=container: fnp.std(c([x, x + 2])))(0.0) == 0.0
        assert ft.grad(lambda x, c=container: fnp.var(c([x, x + 2])))(0.0) == 0.0


def _scalar_array_attributes() -> None:
    # a traced Python scalar presents itself as a 0-d float64 array
    def fun(x: Any) -> Any:
        assert x.shape == ()
        assert x.ndim == 0
        assert x.size == 1
        assert x.dtype == np.float64
        return x**2

    assert ft.grad(fun)(3.0) == 6.0


def _var_std_ddof() -> None:
    B, C, D = R(3), R(3, 4), R(1, 3)
    for fun in (fnp.var, fnp.std):
        combo_check(fun, [0], [B, C, D], axis=[None], keepdims=[True, False], ddof=[0, 1])
        combo_check(fun, [0], [C, D], axis=[None, 1], keepdims=[True, False], ddof=[2])


def _tensordot_kwargs_by_position() -> None:
    def fun(x: Any) -> Any:
        return fnp.tensordot(x * np.ones((2, 2)), x * np.ones((2, 2)), 2)

    assert ft.grad(fun)(1.0) == 8.0  # d/dx of 4 x^2


def _cast_to_int() -> None:
    inds = np.ones(5)[:, None]

    def fun(W: Any) -> Any:
        fnp.concatenate((W, inds), axis=1)
        new_W = W[:, :-1]
        new_inds = fnp.int64(W[:, -1])
        assert new_inds.dtype == np.int64
        return new_W[new_inds].sum()

    W = R(5, 10)
    # autograd's indices are randn draws, truncated: values away from integers, so that the
    # central differences do not step across a truncation
    W[:, -1] = rng.integers(0, 5, 5) + 0.5
    check(fun, W)


def _astype() -> None:
    x = np.arange(3, dtype="float32")
    assert ft.grad(lambda x: fnp.sum(fnp.sin(x.astype("float64"))))(x).dtype == np.float32


NUMPY_SPECIAL = {
    "len": _len,
    "mean_std_var_list_of_boxes": _mean_std_var_of_lists,
    "scalar_array_box_attributes": _scalar_array_attributes,
    "var_std_ddof": _var_std_ddof,
    "tensordot_kwargs_by_position": _tensordot_kwargs_by_position,
    "cast_to_int": _cast_to_int,
    "astype": _astype,
}


@pytest.mark.parametrize("name", list(NUMPY_SPECIAL))
def test_numpy_special(name: str) -> None:
    NUMPY_SPECIAL[name]()


# -- test_systematic.py ------------------------------------------------------------------------

stat = partial(stat_check, rng=rng)
unary = partial(unary_ufunc_check, rng=rng)
binary = partial(binary_ufunc_check, rng=rng)


def _div(a: Any, b: Any) -> Any:
    return a / b


def _sign_complex() -> None:
    # NumPy 2's complex sign is z / |z|, whose central differences autograd's row compares
    # with; functrace follows JAX, whose sign has a zero derivative for complex input too.
    for z in (0.3 + 0.4j, np.array([[1.0 - 2.0j, -0.5 + 0.1j]])):
        out, out_dot = ft.jvp(fnp.sign, (z,), (np.ones_like(z),))
        np.testing.assert_allclose(out, z / np.abs(z))
        np.testing.assert_array_equal(out_dot, np.zeros_like(z))


SYSTEMATIC: dict[str, Callable[[], Any]] = {
    # array statistics
    **{f"stat_{f.__name__}": partial(stat, f) for f in (
        fnp.max, fnp.all, fnp.any, fnp.mean, fnp.min, fnp.sum, fnp.prod, fnp.var, fnp.std)},
    # unary ufuncs
    "sin": partial(unary, fnp.sin),
    "abs": partial(unary, fnp.abs, lims=[0.1, 4.0]),
    "absolute": partial(unary, fnp.absolute, lims=[0.1, 4.0]),
    "arccosh": partial(unary, fnp.arccosh, lims=[1.1, 4.0]),
    "arcsinh": partial(unary, fnp.arcsinh, lims=[-0.9, 0.9]),
    "arctanh": partial(unary, fnp.arctanh, lims=[-0.9, 0.9]),
    "ceil": partial(unary, fnp.ceil, lims=[-1.5, 1.5], test_complex=False),
    "cos": partial(unary, fnp.cos),
    "cosh": partial(unary, fnp.cosh),
    "deg2rad": partial(unary, fnp.deg2rad, test_complex=False),
    "degrees": partial(unary, lambda x: fnp.degrees(x) / 50.0, test_complex=False),
    "exp": partial(unary, fnp.exp),
    "exp2": partial(unary, fnp.exp2),
    "expm1": partial(unary, fnp.expm1),
    "fabs": partial(unary, fnp.fabs, test_complex=False),
    "floor": partial(unary, fnp.floor, lims=[-1.5, 1.5], test_complex=False),
    "log": partial(unary, fnp.log, lims=[0.2, 2.0]),
    "log10": partial(unary, fnp.log10, lims=[0.2, 2.0]),
    "log1p": partial(unary, fnp.log1p, lims=[0.2, 2.0]),
    "log2": partial(unary, fnp.log2, lims=[0.2, 2.0]),
    "rad2deg": partial(unary, lambda x: fnp.rad2deg(x) / 50.0, test_complex=False),
    "radians": partial(unary, fnp.radians, test_complex=False),
    "sign": lambda: (unary(fnp.sign, test_complex=False), _sign_complex()),
    "sinh": partial(unary, fnp.sinh),
    "sqrt": partial(unary, fnp.sqrt, lims=[1.0, 3.0]),
    "square": partial(unary, fnp.square, test_complex=False),
    "tan": partial(unary, fnp.tan, lims=[-1.1, 1.1]),
    "tanh": partial(unary, fnp.tanh),
    "real": partial(unary, fnp.real),
    "imag": partial(unary, fnp.imag),
    "conj": partial(unary, fnp.conj),
    "angle": partial(unary, fnp.angle),
    # binary ufuncs
    "add": partial(binary, fnp.add),
    "logaddexp": partial(binary, fnp.logaddexp, test_complex=False),
    "logaddexp2": partial(binary, fnp.logaddexp2, test_complex=False),
    "remainder": partial(binary, fnp.remainder, lims_A=[-0.9, 0.9], lims_B=[0.7, 1.9],
                         test_complex=False, same_args=False),
    "true_divide": partial(binary, fnp.true_divide, lims_B=[0.8, 1.2], test_complex=False),
    "mod": partial(binary, fnp.mod, lims_B=[0.8, 2.1], test_complex=False, same_args=False),
    "true_divide_neg": partial(binary, fnp.true_divide, lims_B=[-0.3, -2.0],
                               test_complex=False),
    "mod_neg": partial(binary, fnp.mod, lims_B=[-0.3, -2.0], test_complex=False,
                       same_args=False),
    "op_mul": partial(binary, op.mul),
    "op_add": partial(binary, op.add),
    "op_sub": partial(binary, op.sub),
    "op_mod": partial(binary, op.mod, lims_B=[0.3, 2.0], test_complex=False, same_args=False),
    "op_mod_neg": partial(binary, op.mod, lims_B=[-0.3, -2.0], test_complex=False,
                          same_args=False),
    # (older autograd versions' rows)
    "op_div": partial(binary, _div, lims_B=[0.5, 2.0]),
    "op_pow": partial(binary, op.pow, lims_A=[0.7, 2.0]),
    # misc
    "transpose": lambda: combo_check(
        fnp.transpose, [0], [R(2, 3, 4)],
        axes=[None, [0, 1, 2], [0, 2, 1], [2, 0, 1], [2, 1, 0], [1, 0, 2], [1, 2, 0]]),
    "repeat": lambda: combo_check(fnp.repeat, [0], [R(2, 3, 4), R(3, 1)], repeats=[0, 1, 2],
                                  axis=[None, 0, 1]),
    "diff": lambda: (combo_check(fnp.diff, [0], [R(5, 5), R(5, 5, 5)], n=[1, 2], axis=[0, 1]),
                     combo_check(fnp.diff, [0], [R(1), R(1, 1)], axis=[0]),
                     combo_check(fnp.diff, [0], [R(1, 1), R(3, 1)], axis=[1])),
    "tile": lambda: (combo_check(fnp.tile, [0], [R(2, 1, 3, 1)], reps=[(1, 4, 1, 2)]),
                     combo_check(fnp.tile, [0], [R(1, 2)], reps=[(1, 2), (2, 3), (3, 2, 1)]),
                     combo_check(fnp.tile, [0], [R(1)], reps=[(2,), 2])),
    "kron": lambda: combo_check(fnp.kron, [0, 1], [R(5, 5), R(4, 4)], [R(3, 3), R(2, 2)]),
    "inner": lambda: combo_check(fnp.inner, [0, 1], [1.5, R(3), R(2, 3)],
                                 [0.3, R(3), R(4, 3)]),
    "dot": lambda: combo_check(fnp.dot, [0, 1], [1.5, R(3), R(2, 3), R(2, 2, 3)],
                               [0.3, R(3), R(3, 4), R(2, 3, 4)]),
    "matmul": lambda: combo_check(fnp.matmul, [0, 1], [R(3), R(2, 3), R(2, 2, 3)],
                                  [R(3), R(3, 4), R(2, 3, 4)]),
    "tensordot_1": lambda: combo_check(fnp.tensordot, [0, 1], [R(1, 3), R(2, 3, 2)],
                                       [R(3), R(3, 1), R(3, 4, 2)], axes=[[(1,), (0,)]]),
    "tensordot_2": lambda: combo_check(fnp.tensordot, [0, 1], [R(3), R(3, 1), R(3, 4, 2)],
                                       [R(1, 3), R(2, 3, 2)], axes=[[(0,), (1,)]]),
    "tensordot_3": lambda: combo_check(fnp.tensordot, [0, 1], [R(2, 3), R(2, 3, 4)],
                                       [R(1, 2, 3), R(2, 2, 3, 4)],
                                       axes=[[(0, 1), (1, 2)], [(1, 0), (2, 1)]]),
    "tensordot_4": lambda: combo_check(fnp.tensordot, [0, 1], [R(2, 2), R(4, 2, 2)],
                                       [R(2, 2), R(2, 2, 4)], axes=[1, 2]),
    "tensordot_5": lambda: combo_check(fnp.tensordot, [0, 1], [R(4)], [R()], axes=[0]),
    "tensordot_6": lambda: combo_check(fnp.tensordot, [0, 1], [R(2, 6)], [R(6, 3)],
                                       axes=[[[-1], [0]]]),
    **{name: partial(combo_check, f, [0, 1], [R(1), R(1, 4), R(3, 4)],
                     [R(1), R(1, 4), R(3, 4)])
       for name, f in (("maximum", fnp.maximum), ("fmax", fnp.fmax),
                       ("minimum", fnp.minimum), ("fmin", fnp.fmin))},
    "sort": lambda: combo_check(fnp.sort, [0], [R(1), R(7)]),
    "partition": lambda: combo_check(fnp.partition, [0], [R(7), R(14)], kth=[0, 3, 6]),
    "atleast_1d": lambda: combo_check(fnp.atleast_1d, [0],
                                      [1.2, R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5)]),
    "atleast_2d": lambda: combo_check(fnp.atleast_2d, [0],
                                      [1.2, R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5)]),
    "atleast_3d": lambda: combo_check(fnp.atleast_3d, [0], [1.2, R(1), R(7), R(1, 4), R(2, 4),
                                                            R(2, 4, 5), R(2, 4, 3, 5)]),
    "einsum_transpose": lambda: combo_check(fnp.einsum, [1], ["ij->ji"],
                                            [R(1, 1), R(4, 4), R(3, 4)]),
    "einsum_matmult": lambda: combo_check(fnp.einsum, [1, 2], ["ij,jk->ik"], [R(2, 3)],
                                          [R(3, 4)]),
    "einsum_matmult_broadcast": lambda: combo_check(
        fnp.einsum, [1, 2], ["...ij,...jk->...ik"], [R(2, 3), R(2, 2, 3)],
        [R(3, 4), R(2, 3, 4)]),
    "einsum_covsum": lambda: combo_check(fnp.einsum, [1, 2], ["ijk,lji->lki"], [R(3, 4, 4)],
                                         [R(4, 4, 3)]),
    "einsum_ellipses": lambda: combo_check(
        fnp.einsum, [1, 2], ["...jk,...lj->...lk", "...,...->..."], [R(4, 4), R(3, 4, 4)],
        [R(4, 4), R(3, 4, 4)]),
    "einsum_ellipses_tail": lambda: combo_check(
        fnp.einsum, [1, 2], ["jk...,lj...->lk..."], [R(3, 2), R(3, 2, 4)],
        [R(2, 3), R(2, 3, 4)]),
    "einsum_ellipses_center": lambda: combo_check(
        fnp.einsum, [1, 2], ["j...k,lj...->lk..."], [R(2, 2), R(2, 2, 2)],
        [R(2, 2), R(2, 2, 2)]),
    "einsum_three_args": lambda: combo_check(fnp.einsum, [1, 2], ["ijk,lji,lli->lki"],
                                             [R(3, 4, 4)], [R(4, 4, 3)], [R(4, 4, 3)]),
    "einsum2_transpose": lambda: combo_check(fnp.einsum, [0], [R(1, 1), R(4, 4), R(3, 4)],
                                             [(0, 1)], [(1, 0)]),
    "einsum2_matmult": lambda: combo_check(fnp.einsum, [0, 2], [R(2, 3)], [(0, 1)], [R(3, 4)],
                                           [(1, 2)], [(0, 2)]),
    "einsum2_matmult_broadcast": lambda: combo_check(
        fnp.einsum, [0, 2], [R(2, 3), R(2, 2, 3)], [(Ellipsis, 0, 1)], [R(3, 4), R(2, 3, 4)],
        [(Ellipsis, 1, 2)], [(Ellipsis, 0, 2)]),
    "einsum2_covsum": lambda: combo_check(fnp.einsum, [0, 2], [R(3, 4, 4)], [(0, 1, 2)],
                                          [R(4, 4, 3)], [(3, 1, 0)], [(3, 2, 0)]),
    "einsum2_three_args": lambda: combo_check(
        fnp.einsum, [0, 2], [R(3, 4, 4)], [(0, 1, 2)], [R(4, 4, 3)], [(3, 1, 0)],
        [R(4, 4, 3)], [(3, 3, 0)], [(3, 2, 0)]),
    "trace": lambda: combo_check(fnp.trace, [0], [R(5, 5), R(4, 5), R(5, 4), R(3, 4, 5)],
                                 offset=[-1, 0, 1]),
    "diag": lambda: combo_check(fnp.diag, [0], [R(5, 5)], k=[-1, 0, 1]),
    "diag_flat": lambda: combo_check(fnp.diag, [0], [R(5)], k=[-1, 0, 1]),
    # (autograd's triu rows call tril; these call triu)
    "tril": lambda: combo_check(fnp.tril, [0], [R(5, 5)], k=[-1, 0, 1]),
    "triu": lambda: combo_check(fnp.triu, [0], [R(5, 5)], k=[-1, 0, 1]),
    "tril_3d": lambda: combo_check(fnp.tril, [0], [R(5, 5, 4)], k=[-1, 0, 1]),
    "triu_3d": lambda: combo_check(fnp.triu, [0], [R(5, 5, 4)], k=[-1, 0, 1]),
    "swapaxes": lambda: combo_check(fnp.swapaxes, [0], [R(3, 4, 5)], axis1=[0, 1, 2],
                                    axis2=[0, 1, 2]),
    "rollaxis": lambda: combo_check(fnp.rollaxis, [0], [R(2, 3, 4)], axis=[0, 1, 2],
                                    start=[0, 1, 2, 3]),
    # autograd crosses axis=[None, -1, 0, 1] with the 27 (axisa, axisb, axisc); a given
    # axis overrides those three, so its 81 combinations are 3 distinct ones: 30 in all
    "cross": lambda: (combo_check(fnp.cross, [0, 1], [R(3, 3)], [R(3, 3)], axisa=[-1, 0, 1],
                                  axisb=[-1, 0, 1], axisc=[-1, 0, 1]),
                      combo_check(fnp.cross, [0, 1], [R(3, 3)], [R(3, 3)], axis=[-1, 0, 1])),
    "vsplit_2d": lambda: combo_check(fnp.vsplit, [0], [R(4, 8)], [4, [1, 2]]),
    "vsplit_3d": lambda: combo_check(fnp.vsplit, [0], [R(4, 4, 4)], [2, [1, 2]]),
    "hsplit_2d": lambda: combo_check(fnp.hsplit, [0], [R(4, 8)], [4, [1, 2]]),
    "hsplit_3d": lambda: combo_check(fnp.hsplit, [0], [R(4, 4, 4)], [2, [1, 2]]),
    "dsplit_3d": lambda: combo_check(fnp.dsplit, [0], [R(4, 4, 4)], [2, [1, 2]]),
    "split_1d": lambda: combo_check(fnp.split, [0], [R(1), R(7)], [1], axis=[0]),
    "split_2d": lambda: combo_check(fnp.split, [0], [R(4, 8)], [4, [1, 2]], axis=[0, 1]),
    "split_3d": lambda: combo_check(fnp.split, [0], [R(4, 4, 4)], [2, [1, 2]],
                                    axis=[0, 1, 2]),
    "array_split_1d": lambda: combo_check(fnp.array_split, [0], [R(1), R(7)], [1, 3],
                                          axis=[0]),
    "array_split_2d": lambda: combo_check(fnp.array_split, [0], [R(7, 7)], [4, [3, 5]],
                                          axis=[0, 1]),
    "array_split_3d": lambda: combo_check(fnp.array_split, [0], [R(7, 7, 7)], [4, [3, 5]],
                                          axis=[0, 1, 2]),
    "concatenate_tuple": lambda: combo_check(fnp.concatenate, [0], [(R(1), R(3))], axis=[0]),
    "concatenate_list": lambda: combo_check(fnp.concatenate, [0], [[R(1), R(3)]], axis=[0]),
    "concatenate_2d": lambda: combo_check(fnp.concatenate, [0], [(R(2, 2), R(2, 2))],
                                          axis=[0, 1]),
    "concatenate_3d": lambda: combo_check(fnp.concatenate, [0], [(R(2, 2, 2), R(2, 2, 2))],
                                          axis=[0, 1, 2]),
    "vstack_1d": lambda: combo_check(fnp.vstack, [0], [R(2), (R(2), R(2))]),
    "vstack_2d": lambda: combo_check(fnp.vstack, [0], [R(2, 3), (R(2, 4), R(1, 4))]),
    "vstack_3d": lambda: combo_check(fnp.vstack, [0], [R(2, 3, 4), (R(2, 3, 4), R(5, 3, 4))]),
    "hstack_1d": lambda: combo_check(fnp.hstack, [0], [R(2), (R(2), R(2))]),
    "hstack_2d": lambda: combo_check(fnp.hstack, [0], [R(3, 2), (R(3, 4), R(3, 5))]),
    "hstack_3d": lambda: combo_check(fnp.hstack, [0], [R(2, 3, 4), (R(2, 1, 4), R(2, 5, 4))]),
    "stack_1d": lambda: combo_check(fnp.stack, [0], [(R(2),), (R(2), R(2))], axis=[0, 1]),
    "row_stack_1d": lambda: combo_check(fnp.row_stack, [0], [R(2), (R(2), R(2))]),
    "row_stack_2d": lambda: combo_check(fnp.row_stack, [0], [R(2, 3), (R(2, 4), R(1, 4))]),
    "column_stack_1d": lambda: combo_check(fnp.column_stack, [0], [R(2), (R(2), R(2))]),
    "column_stack_2d": lambda: combo_check(fnp.column_stack, [0],
                                           [R(2, 2), (R(2, 2), R(2, 2))]),
    "select": lambda: combo_check(fnp.select, [1], [[R(3, 4, 5) > 0 for _ in range(3)]],
                                  [[R(3, 4, 5) for _ in range(3)]], default=[0.0, 1.1]),
}


@pytest.mark.parametrize("name", list(SYSTEMATIC))
def test_systematic(name: str) -> None:
    SYSTEMATIC[name]()
