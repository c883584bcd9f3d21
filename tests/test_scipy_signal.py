"""``functrace.scipy.signal`` and ``functrace.scipy.integrate``: values against a direct
n-dimensional convolution written here, NumPy (``convolve``, ``pad``, ``lstsq``,
``trapezoid``) and fixed numbers computed with SciPy (which, like JAX, is not a test
dependency), derivatives against central differences, ``jit`` and ``vmap``, edge cases and
errors."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
from functrace.scipy import integrate, signal
from functrace.testing import check_grads

RNG = np.random.default_rng(0)


def close(got: Any, expected: Any, rtol: float = 1e-12, atol: float = 1e-12) -> None:
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


# -- references ----------------------------------------------------------------------------------


def full_convolution(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The full n-dimensional convolution, by its definition: each entry of ``b`` adds a
    shifted copy of ``a``."""
    out = np.zeros([p + q - 1 for p, q in zip(a.shape, b.shape, strict=True)],
                   np.result_type(a, b, 1.0))
    for index in itertools.product(*map(range, b.shape)):
        out[tuple(slice(i, i + n) for i, n in zip(index, a.shape, strict=True))] += b[index] * a
    return out


def crop(x: np.ndarray, start: list[int], size: list[int]) -> np.ndarray:
    return x[tuple(slice(t, t + n) for t, n in zip(start, size, strict=True))]


def reference(a: np.ndarray, b: np.ndarray, mode: str, correlate: bool = False,
              two_d: bool = False) -> np.ndarray:
    """SciPy's conventions, written out: ``'same'`` starts at ``(s2 - 1) // 2`` of the full
    result (``s2 // 2`` for correlate2d); ``'valid'`` is the part without padding, whichever
    input is the larger (conjugated for correlate2d when it is the second)."""
    k = np.flip(np.conj(b)) if correlate else b
    full = full_convolution(a, k)
    if mode == "full":
        return full
    if mode == "same":
        start = [n // 2 if correlate and two_d else (n - 1) // 2 for n in b.shape]
        return crop(full, start, list(a.shape))
    out = crop(full, [min(p, q) - 1 for p, q in zip(a.shape, b.shape, strict=True)],
               [abs(p - q) + 1 for p, q in zip(a.shape, b.shape, strict=True)])
    second_larger = a.shape != b.shape and all(
        p <= q for p, q in zip(a.shape, b.shape, strict=True))
    return np.conj(out) if correlate and two_d and second_larger else out


SHAPE_PAIRS = [((5,), (3,)), ((4,), (4,)), ((3,), (6,)), ((1,), (2,)), ((7,), (1,)),
               ((4, 5), (2, 3)), ((3, 3), (3, 3)), ((2, 3), (4, 4)), ((4, 2), (2, 2)),
               ((3, 4, 2), (2, 2, 2)), ((2, 2, 2), (3, 2, 4))]


# -- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("s1, s2", SHAPE_PAIRS)
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("complex_", [False, True])
def test_convolve_and_correlate(s1: tuple[int, ...], s2: tuple[int, ...], mode: str,
                                complex_: bool) -> None:
    a, b = RNG.standard_normal(s1), RNG.standard_normal(s2)
    if complex_:
        a, b = a + 1j * RNG.standard_normal(s1), b - 1j * RNG.standard_normal(s2)
    for method in ("auto", "direct", "fft"):
        close(signal.convolve(a, b, mode, method=method), reference(a, b, mode))
        close(signal.correlate(a, b, mode, method=method), reference(a, b, mode, True))
    close(signal.fftconvolve(a, b, mode), reference(a, b, mode))
    # (NumPy's 'same' is as long as the longer input, SciPy's as in1)
    if len(s1) == 1 and not complex_ and (mode != "same" or s1 >= s2):
        close(signal.convolve(a, b, mode), np.convolve(a, b, mode))
    if len(s1) == 2:
        close(signal.convolve2d(a, b, mode), reference(a, b, mode, two_d=True))
        close(signal.correlate2d(a, b, mode), reference(a, b, mode, True, two_d=True))


def test_fixed_values_of_the_centred_and_swapped_modes() -> None:
    # scipy.signal's values, where correlate and correlate2d centre 'same' differently.
    x = np.arange(12.0).reshape(3, 4)
    k = np.array([[1.0, 2.0], [0.0, -1.0]])
    close(signal.correlate(np.arange(1.0, 6.0), np.array([1.0, 2.0, 0.0, -1.0]), "same"),
          [-2.0, -1.0, 1.0, 3.0, 11.0])
    close(signal.correlate2d(x, k, "same"), [[-3, -1, 1, 3], [5, 7, 9, 7], [26, 29, 32, 11]])
    close(signal.convolve2d(x, k, "same"), [[0, 1, 4, 7], [4, 13, 15, 17], [8, 21, 23, 25]])
    close(signal.correlate2d(np.arange(4.0).reshape(2, 2) + 1j,
                             np.arange(9.0).reshape(3, 3) * (1 - 1j), "valid"),
          [[19 - 67j, 17 - 57j], [13 - 37j, 11 - 27j]])


@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("s1, s2", [((4, 5), (2, 3)), ((3, 3), (3, 3)), ((2, 3), (4, 5)),
                                    ((1, 4), (3, 2))])
def test_2d_boundaries(s1: tuple[int, int], s2: tuple[int, int], mode: str,
                       boundary: str) -> None:
    a, b = RNG.standard_normal(s1), RNG.standard_normal(s2)
    fill = 1.5 if boundary == "fill" else 0.0
    # SciPy's rule: the full result is the valid convolution of in1 extended by s2 - 1 at
    # both ends of each axis (NumPy's pad: constant, wrap, symmetric).
    pad_mode = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}[boundary]
    kw = {"constant_values": fill} if boundary == "fill" else {}
    extended = np.pad(a, [(n - 1, n - 1) for n in s2], mode=pad_mode, **kw)
    for correlate, fn in ((False, signal.convolve2d), (True, signal.correlate2d)):
        k = np.flip(b) if correlate else b
        full = crop(full_convolution(extended, k), [n - 1 for n in s2],
                    [p + q - 1 for p, q in zip(s1, s2, strict=True)])
        if mode == "full":
            expected = full
        elif mode == "same":
            expected = crop(full, [n // 2 if correlate else (n - 1) // 2 for n in s2], list(s1))
        else:
            expected = reference(a, b, "valid", correlate, two_d=True)
        if mode == "valid" and not (all(p >= q for p, q in zip(s1, s2, strict=True))
                                    or all(p <= q for p, q in zip(s1, s2, strict=True))):
            with pytest.raises(ValueError, match="valid"):
                fn(a, b, mode, boundary=boundary, fillvalue=fill)
            continue
        close(fn(a, b, mode, boundary=boundary, fillvalue=fill), expected)


def test_fixed_values_of_the_boundaries() -> None:
    x = np.arange(6.0).reshape(2, 3)
    k = np.array([[1.0, 2.0], [3.0, 4.0]])
    close(signal.convolve2d(x, k, "same", boundary="wrap"), [[33, 25, 35], [21, 13, 23]])
    close(signal.convolve2d(x, k, "full", boundary="symm"),
          [[0, 4, 14, 20], [9, 13, 23, 29], [30, 34, 44, 50]])
    close(signal.correlate2d(x, k, "same", fillvalue=-1), [[27, 37, 11], [4, 7, -4]])


def test_fftconvolve_axes_broadcast() -> None:
    a = RNG.standard_normal((3, 5, 4))
    b = RNG.standard_normal((1, 2, 3))
    expected = np.stack([np.stack([np.convolve(a[i, :, j], b[0, :, 0]) for j in range(4)], -1)
                         for i in range(3)])
    close(signal.fftconvolve(a, b[:, :, :1], axes=1), expected)
    full = signal.fftconvolve(a, b, axes=(1, 2))
    close(full, np.stack([full_convolution(a[i], b[0]) for i in range(3)]))
    close(signal.fftconvolve(a, b, "same", axes=(-1, 1)), full[:, 0:5, 1:5])
    with pytest.raises(ValueError, match="not convolved"):
        signal.fftconvolve(a, RNG.standard_normal((3, 2, 1)), axes=2)


@pytest.mark.parametrize("shape, axis", [((9,), -1), ((4, 9), 1), ((9, 4), 0), ((3, 2, 8), 2),
                                         ((3, 8, 2), -2), ((1,), 0), ((2,), 0)])
@pytest.mark.parametrize("bp", [0, [3], [2, 5]])
def test_detrend(shape: tuple[int, ...], axis: int, bp: Any) -> None:
    data = RNG.standard_normal(shape)
    n = shape[axis]
    if np.max(bp) > n:
        with pytest.raises(ValueError, match="breakpoints"):
            signal.detrend(data, axis=axis, bp=bp)
        return
    moved = np.moveaxis(data, axis, 0).reshape(n, -1)
    expected = moved.copy()
    edges = np.unique(np.concatenate([[0], np.atleast_1d(bp), [n]]))
    for lo, hi in itertools.pairwise(edges):
        t = np.arange(1, hi - lo + 1) / (hi - lo)
        design = np.stack([t, np.ones_like(t)], axis=1)
        coef = np.linalg.lstsq(design, moved[lo:hi], rcond=None)[0]
        expected[lo:hi] -= design @ coef
    expected = np.moveaxis(expected.reshape(np.moveaxis(data, axis, 0).shape), 0, axis)
    close(signal.detrend(data, axis=axis, bp=bp), expected)
    close(signal.detrend(data, axis=axis, type="constant"),
          data - data.mean(axis, keepdims=True))


def test_detrend_fixed_values_and_dtypes() -> None:
    # scipy.signal.detrend([1, 4, 2, 8, 5, 7], bp=[3])
    close(signal.detrend(np.array([1.0, 4, 2, 8, 5, 7]), bp=[3]),
          [-5 / 6, 5 / 3, -5 / 6, 5 / 6, -5 / 3, 5 / 6])
    assert signal.detrend(np.arange(5)).dtype == np.float64
    assert signal.detrend(np.arange(5, dtype=np.float32)).dtype == np.float32
    close(signal.detrend(np.arange(5.0) * 3 + 1), np.zeros(5))


def test_dtypes_and_edges() -> None:
    assert signal.convolve([1, 2], [3, 4]).dtype == np.float64  # JAX's promotion
    close(signal.convolve([1, 2], [3, 4]), [3.0, 10.0, 8.0])
    out = signal.convolve(np.ones(3, np.float32), np.ones(2, np.float32))
    assert out.dtype == np.float32
    assert signal.correlate(np.ones(3, np.float32), np.ones(2) * 1j).dtype == np.complex128
    close(signal.convolve(2.0, 3.0), 6.0)  # two 0-d inputs multiply
    assert signal.convolve(np.ones((0, 2)), np.ones((1, 1))).shape == (0,)  # as SciPy
    assert signal.fftconvolve(np.ones(0), np.ones(3)).shape == (0,)
    close(signal.convolve(np.array([[2.0]]), np.array([[3.0]])), [[6.0]])


# -- integrate -----------------------------------------------------------------------------------


def test_trapezoid_and_cumulative_trapezoid() -> None:
    y = RNG.standard_normal((3, 6))
    x = np.cumsum(RNG.random(6))
    for kw in ({}, {"dx": 0.25}, {"x": x}, {"x": np.broadcast_to(x, (3, 6))}):
        close(integrate.trapezoid(y, **kw), np.trapezoid(y, **kw))
        steps = np.diff(kw["x"], axis=-1) if "x" in kw else kw.get("dx", 1.0)
        running = np.cumsum(steps * (y[:, 1:] + y[:, :-1]) / 2, axis=-1)
        close(integrate.cumulative_trapezoid(y, **kw), running)
        close(integrate.cumulative_trapezoid(y, initial=0, **kw),
              np.concatenate([np.zeros((3, 1)), running], axis=-1))
    close(integrate.trapezoid(y, axis=0), np.trapezoid(y, axis=0))
    close(integrate.trapezoid(y, x=x[:3], axis=0), np.trapezoid(y, x=x[:3], axis=0))
    close(integrate.trapezoid(np.arange(4)), 4.5)
    assert integrate.trapezoid(np.arange(4)).dtype == np.float64
    close(integrate.trapezoid(np.ones(1)), 0.0)
    close(integrate.trapezoid(np.ones((2, 0))), [0.0, 0.0])
    # exact for a line, and second order for a parabola
    t = np.linspace(0.0, 2.0, 201)
    close(integrate.trapezoid(3 * t + 1, t), 8.0)
    close(integrate.trapezoid(t**2, t), 8 / 3, rtol=1e-4)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 8), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_convolution_is_commutative_and_adjoint_to_correlation(n1: int, n2: int,
                                                                 seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b, c = rng.standard_normal(n1), rng.standard_normal(n2), rng.standard_normal(n1 + n2 - 1)
    close(signal.convolve(a, b), signal.convolve(b, a))
    # <conv(a, b), c> = <a, correlate(c, b, 'valid')>: the transpose of convolving is
    # correlating.
    close(np.dot(signal.convolve(a, b), c), np.dot(a, signal.correlate(c, b, "valid")))
    close(signal.fftconvolve(a, b), signal.convolve(a, b))


# -- derivatives, jit and vmap -------------------------------------------------------------------

V, W = RNG.standard_normal(7), RNG.standard_normal(3)
M, K = RNG.standard_normal((4, 5)), RNG.standard_normal((2, 3))

LINEAR: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("convolve same", lambda a, b: signal.convolve(a, b, "same"), (V, W)),
    ("convolve valid swapped", lambda a, b: signal.convolve(b, a, "valid"), (V, W)),
    ("correlate 2-d", signal.correlate, (M, K)),
    ("correlate complex", lambda a: signal.correlate(a, W + 1j), (V + 0.5j,)),
    ("fftconvolve", lambda a, b: signal.fftconvolve(a, b, "same"), (M, K)),
    ("convolve2d wrap", lambda a, b: signal.convolve2d(a, b, "same", boundary="wrap"), (M, K)),
    ("correlate2d symm", lambda a, b: signal.correlate2d(a, b, boundary="symm"), (M, K)),
    ("correlate2d fill", lambda a, b: signal.correlate2d(a, b, fillvalue=1.5), (M, K)),
    ("detrend", lambda d: signal.detrend(d, axis=0, bp=[2]), (M,)),
    ("trapezoid", integrate.trapezoid, (M, np.cumsum(RNG.random(5)))),
    ("cumulative_trapezoid",
     lambda y, dx: integrate.cumulative_trapezoid(y, dx=dx, axis=0, initial=0), (M, 0.3)),
]


@pytest.mark.parametrize("fn, args", [pytest.param(f, a, id=n) for n, f, a in LINEAR])
def test_derivatives_jit_and_vmap(fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    # products with the inputs, so that the second derivatives are not all zero
    check_grads(lambda *xs: fn(*xs) * fn(*xs), args, order=2, modes=("fwd", "rev"))
    close(ft.jit(fn)(*args), fn(*args))
    other = tuple(np.asarray(x) * 1.5 - 0.25 for x in args)
    stacked = tuple(np.stack([np.asarray(x), y]) for x, y in zip(args, other, strict=True))
    close(ft.vmap(fn)(*stacked), np.stack([fn(*args), fn(*other)]))


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, match", [
    (lambda: signal.convolve(np.ones(3), np.ones((2, 2))), r"same dimensionality.*\(3,\)"),
    (lambda: signal.convolve(np.ones(3), np.ones(2), mode="middle"), "mode"),
    (lambda: signal.convolve(np.ones(3), np.ones(2), method="magic"), "method"),
    (lambda: signal.convolve(np.ones((2, 3)), np.ones((3, 2)), "valid"),
     r"at least as large.*\(2, 3\) and \(3, 2\)"),
    (lambda: signal.correlate2d(np.ones(3), np.ones(2)), "2-d"),
    (lambda: signal.convolve2d(np.ones((2, 2)), np.ones((2, 2)), boundary="reflect"),
     "boundary"),
    (lambda: signal.convolve2d(np.ones((2, 2)), np.ones((2, 2)), fillvalue=[1, 2]),
     "fillvalue"),
    (lambda: signal.convolve2d(np.ones((2, 2)), np.ones((2, 2)), fillvalue=1j), "complex"),
    (lambda: signal.fftconvolve(np.ones(3), np.ones(2), axes=3), "axes"),
    (lambda: signal.detrend(np.ones(4), type="quadratic"), "trend type"),
    (lambda: signal.detrend(np.ones(4), axis=1), "axis"),
    (lambda: signal.detrend(np.ones(4), bp=[7]), "breakpoints"),
    (lambda: integrate.trapezoid(np.ones(3), x=np.ones(4)), r"x of shape \(4,\)"),
    (lambda: integrate.trapezoid(np.ones(3), axis=2), "axis"),
    (lambda: integrate.trapezoid(1.0), "at least one dimension"),
    (lambda: integrate.cumulative_trapezoid(np.ones(3), initial=1.0), "initial"),
])
def test_errors(call: Callable[[], Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
