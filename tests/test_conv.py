"""``lax``'s convolutions and windowed reductions (``functrace/_lax_conv.py``): fixed values
worked out by hand, comparisons with the NumPy loops of ``tests/cases_conv.py`` on larger
configurations, the errors, and derivatives (per-example gradients with ``vmap(grad)``,
``conv_transpose`` as the gradient of a convolution, how tied maxima share a derivative).

The primitive table (``tests/cases_conv.py``) runs the same functions through value, jaxpr,
second-order derivative, vmap and traceability checks."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import cases  # noqa: F401 - first: cases_conv's rows are imported at the end of cases
import numpy as np
import pytest
from cases_conv import conv_reference, reduce_window_reference

import functrace as ft
import functrace.numpy as fnp
from functrace import lax
from functrace.testing import check_grads

rng = np.random.default_rng(0)
R = np.arange(5.0)[None, None]  # (N, C, W) = (1, 1, 5): 0 1 2 3 4
G = np.arange(16.0).reshape(1, 4, 4, 1)  # (N, H, W, C), 0..15 row by row


def _row(values: Any) -> np.ndarray:
    return np.asarray(values, float)[None, None]


# name, call, expected (worked out by hand from the definitions)
FIXED: list[tuple[str, Callable[[], Any], Any]] = [
    ("1-d VALID: 1*x[i] + 2*x[i+1]", lambda: lax.conv(R, _row([1, 2]), (1,), "VALID"),
     _row([2, 5, 8, 11])),
    ("SAME, stride 2: pads (1, 1)", lambda: lax.conv(R, _row([1, 1, 1]), (2,), "SAME"),
     _row([1, 6, 7])),
    ("SAME_LOWER, even kernel: pads (1, 0)", lambda: lax.conv_general_dilated(
        R, _row([1, 1]), (1,), "SAME_LOWER"), _row([0, 1, 3, 5, 7])),
    ("SAME, even kernel: pads (0, 1)", lambda: lax.conv_general_dilated(
        R, _row([1, 1]), (1,), "SAME"), _row([1, 3, 5, 7, 4])),
    ("negative padding crops", lambda: lax.conv_with_general_padding(
        R, _row([1]), (1,), [(-1, -2)], None, None), _row([1, 2])),
    ("lhs dilation: 1 0 2 0 3", lambda: lax.conv_with_general_padding(
        _row([1, 2, 3]), _row([1, 1]), (1,), [(0, 0)], (2,), None), _row([1, 2, 2, 3])),
    ("rhs dilation: taps 2 apart", lambda: lax.conv_with_general_padding(
        R, _row([1, 1]), (1,), [(0, 0)], None, (2,)), _row([2, 4, 6])),
    ("not flipped: a correlation", lambda: lax.conv(R, _row([1, 0, 0]), (1,), "VALID"),
     _row([0, 1, 2])),
    ("depthwise: channel c by kernel c", lambda: lax.conv_general_dilated(
        np.stack([R[0, 0], 10 * R[0, 0]])[None], np.array([[[1.0]], [[-1.0]]]), (1,), "VALID",
        feature_group_count=2), np.array([[[0, 1, 2, 3, 4], [0, -10, -20, -30, -40]]], float)),
    ("batch groups: example g by output feature g", lambda: lax.conv_general_dilated(
        np.stack([R[0], 10 * R[0]]), np.array([[[1.0]], [[2.0]]]), (2,), "VALID",
        batch_group_count=2), np.array([[[0, 2, 4], [0, 40, 80]]], float)),
    ("2-d NHWC 2x2 sums, stride 2", lambda: lax.conv_general_dilated(
        G, np.ones((2, 2, 1, 1)), (2, 2), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")),
     np.array([10, 18, 42, 50], float).reshape(1, 2, 2, 1)),
    # 1 0 2 padded by (1, 1), correlated with the kernel as it is (not flipped, as JAX's).
    ("conv_transpose, stride 2, VALID", lambda: lax.conv_transpose(
        np.array([1.0, 2.0])[None, :, None], np.array([1.0, 10.0])[:, None, None], (2,),
        "VALID"), np.array([10, 1, 20, 2], float)[None, :, None]),
    ("max pooling 2x2, stride 2", lambda: lax.reduce_window(
        G, -np.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
     np.array([5, 7, 13, 15], float).reshape(1, 2, 2, 1)),
    ("min pooling, SAME: the padding is skipped", lambda: lax.reduce_window(
        -R[0, 0], np.inf, lax.min, (2,), (2,), "SAME"), np.array([-1.0, -3.0, -4.0])),
    ("add with init 1: once per window, padding skipped", lambda: lax.reduce_window(
        R[0, 0], 1.0, lax.add, (2,), (1,), [(1, 1)]), np.array([1.0, 2, 4, 6, 8, 5])),
    ("max with init 2: max(2, window)", lambda: lax.reduce_window(
        R[0, 0], 2.0, lax.max, (2,), (2,), "VALID"), np.array([2.0, 3.0])),
    ("mul over windows of 3", lambda: lax.reduce_window(
        R[0, 0] + 1, 1.0, lax.mul, (3,)), np.array([6.0, 24.0, 60.0])),
    ("base dilation: holes skipped", lambda: lax.reduce_window(
        R[0, 0, 1:], 0.0, lax.add, (2,), base_dilation=(2,)), np.array([1.0, 2, 2, 3, 3, 4])),
    ("window dilation", lambda: lax.reduce_window(
        R[0, 0], -np.inf, lax.max, (2,), window_dilation=(3,)), np.array([3.0, 4.0])),
    ("another computation: acc = acc + 2 x, in order", lambda: lax.reduce_window(
        R[0, 0] + 1, 0.0, lambda a, b: a + 2 * b, (2,)), np.array([6.0, 10, 14, 18])),
    ("argmax pooling over a pytree", lambda: lax.reduce_window(
        (np.array([3.0, 1, 4, 1, 5, 9]), np.arange(6)), (-np.inf, np.int64(-1)),
        lambda a, b: (fnp.where(b[0] > a[0], b[0], a[0]), fnp.where(b[0] > a[0], b[1], a[1])),
        (2,), (2,))[1], np.array([0, 2, 5])),
]


@pytest.mark.parametrize("call,expected", [pytest.param(c, e, id=n) for n, c, e in FIXED])
def test_fixed_values(call: Callable[[], Any], expected: Any) -> None:
    for got in (call(), ft.jit(call)()):
        assert np.shape(got) == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        assert np.asarray(got).dtype == np.asarray(expected).dtype


# Larger configurations than the table's, against the loops of tests/cases_conv.py.
CONVS: list[tuple[str, tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ("3-d, grouped, NDHWC", (2, 5, 4, 6, 4), (3, 2, 2, 2, 6),
     dict(window_strides=(2, 1, 2), padding="SAME", feature_group_count=2,
          dimension_numbers=("NDHWC", "DHWIO", "NDHWC"))),
    ("2-d, every option", (4, 3, 9, 7), (4, 3, 3, 2),
     dict(window_strides=(2, 3), padding=[(2, -1), (1, 3)], lhs_dilation=(2, 1),
          rhs_dilation=(1, 2), batch_group_count=2)),
    ("2-d, channels first, kernel last", (2, 6, 8, 8), (3, 3, 2, 6),
     dict(window_strides=(1, 1), padding="VALID", dimension_numbers=("NCHW", "HWIO", "NHWC"),
          feature_group_count=3)),
]


@pytest.mark.parametrize("lhs_shape,rhs_shape,params",
                         [pytest.param(a, b, p, id=n) for n, a, b, p in CONVS])
def test_against_the_reference(lhs_shape: tuple[int, ...], rhs_shape: tuple[int, ...],
                               params: dict[str, Any]) -> None:
    lhs, rhs = rng.standard_normal(lhs_shape), rng.standard_normal(rhs_shape)
    expected = conv_reference(lhs, rhs, **params)
    np.testing.assert_allclose(lax.conv_general_dilated(lhs, rhs, **params), expected,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ft.jit(lambda a, b: lax.conv_general_dilated(a, b, **params))(
        lhs, rhs), expected, rtol=1e-12, atol=1e-12)


def test_reduce_window_against_the_reference() -> None:
    x = rng.standard_normal((3, 7, 6))
    params = dict(window_dimensions=(1, 3, 2), window_strides=(1, 2, 1), padding="SAME",
                  base_dilation=(1, 1, 2), window_dilation=(1, 2, 1))
    for computation, init in ((lax.max, -np.inf), (lax.min, np.inf), (lax.add, 0.0),
                              (lax.add, 0.5)):
        np.testing.assert_allclose(lax.reduce_window(x, init, computation, **params),
                                   reduce_window_reference(x, init, computation, **params),
                                   rtol=1e-12)


def test_one_product_for_the_whole_kernel() -> None:
    """im2col: the strided slices joined once, and a single dot_general, whatever the kernel."""
    jaxpr = ft.make_jaxpr(lambda x, w: lax.conv(x, w, (1, 1), "SAME"))(
        np.ones((2, 3, 6, 6)), np.ones((4, 3, 3, 3)))
    names = [e.primitive.name for e in jaxpr.jaxpr.eqns]
    assert names.count("dot_general") == 1 and names.count("concatenate") == 1
    assert names.count("slice") == 9 and names.count("pad") == 1


@pytest.mark.parametrize("computation", [lax.max, max, np.maximum, fnp.maximum])
def test_known_computations_reduce_directly(computation: Any) -> None:
    jaxpr = ft.make_jaxpr(lambda x: lax.reduce_window(x, -np.inf, computation, (3,), (1,),
                                                      "SAME"))(np.ones(5))
    names = {e.primitive.name for e in jaxpr.jaxpr.eqns}
    assert "reduce_max" in names and "select_n" not in names


def test_jax_computations_are_recognised_by_name() -> None:
    def add(a: Any, b: Any) -> Any:
        raise AssertionError("a recognised computation is not called")

    add.__module__ = "jax._src.lax.lax"  # as jax.lax.add's
    np.testing.assert_array_equal(lax.reduce_window(np.arange(4.0), 0.0, add, (2,)),
                                  [1.0, 3.0, 5.0])


def test_preferred_element_type_and_integers() -> None:
    x = np.full((1, 1, 4), 100, np.int8)
    w = np.full((1, 1, 2), 100, np.int8)
    out = lax.conv(x, w, (1,), "VALID", preferred_element_type=np.int32)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[[20000, 20000, 20000]]])
    assert lax.conv(x, w, (1,), "VALID").dtype == np.int8  # lax keeps the dtype (wrapping)


# -- errors ------------------------------------------------------------------------------------

X, W = np.ones((2, 4, 5)), np.ones((6, 2, 3))
ERRORS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("dtypes", lambda: lax.conv(X, W.astype(np.float32), (1,), "VALID"), TypeError,
     "same dtypes"),
    ("features", lambda: lax.conv(X, W, (1,), "VALID"), ValueError, r"\(2, 4, 5\)"),
    ("ranks", lambda: lax.conv(X, np.ones((6, 4, 3, 3)), (1,), "VALID"), ValueError,
     "same number of dimensions"),
    ("strides", lambda: lax.conv(X, W, (1, 1), "VALID", ), ValueError, "window_strides"),
    ("zero stride", lambda: lax.conv(X, W, (0,), "VALID"), ValueError, "positive"),
    ("padding string", lambda: lax.conv(X, W, (1,), "FULL"), ValueError, "FULL"),
    ("padding pairs", lambda: lax.conv_general_dilated(X, W, (1,), [(1, 1), (0, 0)],
                                                       feature_group_count=2), ValueError,
     "pairs"),
    ("string padding, lhs dilation", lambda: lax.conv_general_dilated(
        X, W, (1,), "SAME", lhs_dilation=(2,), feature_group_count=2), ValueError,
     "conv_transpose"),
    ("both groups", lambda: lax.conv_general_dilated(
        X, W, (1,), "VALID", feature_group_count=2, batch_group_count=2), ValueError,
     "at most one"),
    ("group size", lambda: lax.conv_general_dilated(
        X, np.ones((5, 2, 3)), (1,), "VALID", feature_group_count=2), ValueError,
     "multiple of feature_group_count"),
    ("batch groups", lambda: lax.conv_general_dilated(
        X, np.ones((6, 4, 3)), (1,), "VALID", batch_group_count=3), ValueError,
     "divide the lhs batch"),
    ("over-cropping", lambda: lax.conv_general_dilated(
        X, W, (1,), [(-3, -3)], feature_group_count=2), ValueError, "negative padding"),
    ("layout strings", lambda: lax.conv_general_dilated(
        X, W, (1,), "VALID", dimension_numbers=("NCW", "OIW", "NWW")), TypeError,
     "exactly once"),
    ("layout lengths", lambda: lax.conv_general_dilated(
        X, W, (1,), "VALID", dimension_numbers=("NCHW", "OIHW", "NCHW")), TypeError,
     "one character per axis"),
    ("conv_transpose rank", lambda: lax.conv_transpose(
        np.ones((1,) * 6), np.ones((1,) * 6), (1,) * 4, "SAME"), ValueError, "rank 6"),
    ("reduce_window init dtype", lambda: lax.reduce_window(
        np.ones(3), np.float32(0), lax.add, (2,)), TypeError, "init_value"),
    ("reduce_window dimensions", lambda: lax.reduce_window(
        np.ones((3, 3)), 0.0, lax.add, (2,)), ValueError, "one entry per axis"),
    ("reduce_window structure", lambda: lax.reduce_window(
        (np.ones(3), np.ones(3)), 0.0, lax.add, (2,)), ValueError, "structure"),
]


@pytest.mark.parametrize("call,error,match",
                         [pytest.param(c, e, m, id=n) for n, c, e, m in ERRORS])
def test_errors(call: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_shape_errors_name_the_operation_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"conv_general_dilated.*\(2, 4, 5\).*\(6, 2, 3\)"):
        lax.conv(X, W, (1,), "VALID")


# -- derivatives -------------------------------------------------------------------------------


def test_per_example_gradients() -> None:
    """vmap(grad) over examples: each example's kernel gradient, as a loop of grads."""
    x = rng.standard_normal((5, 2, 7, 6))  # 5 examples
    w = rng.standard_normal((3, 2, 3, 3))

    def loss(w: Any, example: Any) -> Any:
        out = lax.conv_general_dilated(example[None], w, (2, 1), "SAME", rhs_dilation=(1, 2))
        pooled = lax.reduce_window(fnp.tanh(out), -np.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2),
                                   "VALID")
        return fnp.sum(pooled ** 2)

    per_example = ft.vmap(ft.grad(loss), in_axes=(None, 0))(w, x)
    assert per_example.shape == (5, *w.shape)
    for k in range(5):
        np.testing.assert_allclose(per_example[k], ft.grad(loss)(w, x[k]), rtol=1e-10)
    np.testing.assert_allclose(ft.jit(ft.vmap(ft.grad(loss), in_axes=(None, 0)))(w, x),
                               per_example, rtol=1e-10)
    check_grads(lambda w: loss(w, x[0]), (w,), order=2, modes=("fwd", "rev"))


def test_conv_transpose_is_the_gradient_of_a_convolution() -> None:
    """With transpose_kernel, conv_transpose maps an output cotangent back to the input (here
    kernel >= stride and the strides fit: the shapes agree)."""
    x = rng.standard_normal((2, 9, 7, 3))  # NHWC
    w = rng.standard_normal((3, 3, 3, 4))  # HWIO
    strides = (2, 2)

    def forward(x: Any) -> Any:
        return lax.conv_general_dilated(x, w, strides, "VALID",
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"))

    ct = rng.standard_normal(forward(x).shape)
    expected = ft.vjp(forward, x)[1](ct)[0]
    got = lax.conv_transpose(ct, w, strides, "VALID", transpose_kernel=True)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_second_order_through_a_small_network() -> None:
    x = rng.standard_normal((2, 3, 5, 5))
    w = rng.standard_normal((4, 3, 2, 2)) * 0.5

    def f(x: Any, w: Any) -> Any:
        h = fnp.tanh(lax.conv_general_dilated(x, w, (1, 1), [(1, 0), (0, 1)], lhs_dilation=(1, 2)))
        return lax.reduce_window(h, 0.0, operator.add, (1, 2, 2, 2), (1, 1, 2, 1), "SAME")

    check_grads(f, (x, w), order=2, modes=("fwd", "rev"))


def test_tied_maxima_share_the_derivative() -> None:
    """Documented difference: JAX gives a tied window maximum's whole derivative to one entry;
    here the tied entries share it equally (as functrace.numpy.max does)."""
    x = np.array([1.0, 3.0, 3.0, 0.0])
    g = ft.grad(lambda x: fnp.sum(lax.reduce_window(x, -np.inf, lax.max, (3,))))(x)
    np.testing.assert_allclose(g, [0.0, 1.0, 1.0, 0.0])  # two windows, each split 1/2 + 1/2


@pytest.mark.parametrize("computation", [lax.add, lax.max, lambda a, b: a * 0.5 + b])
def test_traced_init_value(computation: Any) -> None:
    """init_value may be traced: differentiated, and batched by vmap (JAX batches neither for
    computations it does not know)."""
    x = np.array([0.3, 1.2, -0.7, 2.1, 0.9])

    def f(x: Any, init: Any) -> Any:
        return lax.reduce_window(x, init, computation, (2,), (1,), [(1, 1)])

    check_grads(f, (x, np.float64(0.4)), order=2, modes=("fwd", "rev"))
    inits = np.array([0.4, 1.5])
    batched = ft.vmap(f, in_axes=(None, 0))(x, inits)
    np.testing.assert_allclose(batched, np.stack([f(x, i) for i in inits]), rtol=1e-12)
