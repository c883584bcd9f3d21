"""``functrace.scipy.linalg``'s matrix constructors from ``jax.scipy.linalg``:
convolution_matrix, dft, fiedler, fiedler_companion, hadamard, helmert, invhilbert, invpascal,
leslie.

* Values against SciPy and JAX when installed (``importorskip``), and defining properties
  that need neither (``A @ v == convolve(a, v)``, orthogonality, inverses, eigenvalues).
* Derivatives (second order, both modes) of the constructors built from an array, under
  ``jit`` and ``vmap``; errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import functrace as ft
from functrace.scipy import linalg
from functrace.testing import check_grads

RNG = np.random.default_rng(7)

# name -> (call with our module or SciPy's / JAX's, which take the same arguments)
CALLS: dict[str, Callable[[Any], Any]] = {
    "convolution_full": lambda m: m.convolution_matrix(np.array([1.0, -2.0, 0.5]), 4),
    "convolution_same": lambda m: m.convolution_matrix(np.array([1.0, -2.0, 0.5, 3.0]), 3,
                                                       "same"),
    "convolution_same_short": lambda m: m.convolution_matrix(np.array([1.0, 2.0]), 5, "same"),
    "convolution_valid": lambda m: m.convolution_matrix(np.arange(1.0, 6.0), 3, "valid"),
    "convolution_valid_wide": lambda m: m.convolution_matrix(np.arange(1.0, 3.0), 4, "valid"),
    "dft": lambda m: m.dft(5),
    "dft_sqrtn": lambda m: m.dft(4, "sqrtn"),
    "dft_n": lambda m: m.dft(3, "n"),
    "fiedler": lambda m: m.fiedler(np.array([1.0, 4.0, -2.0, 0.5])),
    "fiedler_companion": lambda m: m.fiedler_companion(np.array([2.0, -1.0, 3.0, 0.5, 4.0,
                                                                 -2.0])),
    "fiedler_companion_2": lambda m: m.fiedler_companion(np.array([2.0, 3.0])),
    "fiedler_companion_1": lambda m: m.fiedler_companion(np.array([2.0])),
    "hadamard": lambda m: m.hadamard(8),
    "helmert": lambda m: m.helmert(5),
    "helmert_full": lambda m: m.helmert(4, full=True),
    "invhilbert": lambda m: m.invhilbert(6),
    "invpascal": lambda m: m.invpascal(5),
    "invpascal_lower": lambda m: m.invpascal(4, "lower"),
    "invpascal_upper": lambda m: m.invpascal(4, "upper"),
    "leslie": lambda m: m.leslie(np.array([0.1, 2.0, 1.0, 0.3]), np.array([0.2, 0.8, 0.7])),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_against_scipy(name: str) -> None:
    scipy_linalg = pytest.importorskip("scipy.linalg")
    got, want = CALLS[name](linalg), CALLS[name](scipy_linalg)
    if name == "fiedler_companion_1":  # SciPy gives shape (0,), JAX (0, 0), which we follow
        assert want.shape == (0,) and got.shape == (0, 0)
        return
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("name", list(CALLS))
def test_against_jax(name: str) -> None:
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    got, want = CALLS[name](linalg), np.asarray(CALLS[name](jax.scipy.linalg))
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


@given(st.integers(1, 7), st.integers(1, 7), st.sampled_from(["full", "same", "valid"]),
       st.integers(0, 2 ** 32 - 1))
def test_convolution_matrix_convolves(m: int, n: int, mode: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, v = rng.standard_normal(m), rng.standard_normal(n)
    np.testing.assert_allclose(linalg.convolution_matrix(a, n, mode) @ v,
                               np.convolve(a, v, mode), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_closed_forms(n: int) -> None:
    np.testing.assert_allclose(linalg.dft(n) @ np.eye(n), np.fft.fft(np.eye(n), axis=0),
                               atol=1e-12)
    h = linalg.helmert(n, full=True)
    np.testing.assert_allclose(h @ h.T, np.eye(n), atol=1e-14)
    np.testing.assert_allclose(linalg.invhilbert(n) @ linalg.hilbert(n), np.eye(n), atol=1e-6)
    for kind in ("symmetric", "lower", "upper"):
        np.testing.assert_allclose(linalg.invpascal(n, kind) @ linalg.pascal(n, kind),
                                   np.eye(n), atol=1e-9)
    if n & (n - 1) == 0:
        had = linalg.hadamard(n)
        np.testing.assert_array_equal(had @ had.T, n * np.eye(n))


@pytest.mark.parametrize("degree", [1, 2, 3, 4, 6])
def test_fiedler_companion_eigenvalues_are_roots(degree: int) -> None:
    coeffs = RNG.standard_normal(degree + 1)
    eig = np.sort_complex(np.linalg.eigvals(linalg.fiedler_companion(coeffs)))
    np.testing.assert_allclose(eig, np.sort_complex(np.roots(coeffs)), atol=1e-9)


# -- derivatives and transformations --------------------------------------------------------------

GRADS: list[tuple[str, Callable[..., Any], tuple[Any, ...]]] = [
    ("convolution_full", lambda a: linalg.convolution_matrix(a, 3), (RNG.standard_normal(4),)),
    ("convolution_same", lambda a: linalg.convolution_matrix(a, 5, "same"),
     (RNG.standard_normal(3),)),
    ("convolution_valid", lambda a: linalg.convolution_matrix(a, 2, "valid"),
     (RNG.standard_normal(4),)),
    ("fiedler", linalg.fiedler, (np.array([1.0, 4.0, -2.0, 0.5]),)),
    ("fiedler_companion", linalg.fiedler_companion, (np.array([2.0, -1.0, 3.0, 0.5, 4.0]),)),
    ("leslie", linalg.leslie, (np.array([0.1, 2.0, 1.0]), np.array([0.2, 0.8]))),
]


@pytest.mark.parametrize("name, fn, args", GRADS, ids=[g[0] for g in GRADS])
def test_second_derivatives(name: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name, fn, args", GRADS, ids=[g[0] for g in GRADS])
def test_jit_and_vmap(name: str, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    np.testing.assert_allclose(ft.jit(fn)(*args), fn(*args), rtol=1e-15)
    batch = tuple(np.stack([a, 2 * a + 1]) for a in args)
    np.testing.assert_allclose(ft.vmap(fn)(*batch), np.stack([fn(*(b[0] for b in batch)),
                                                             fn(*(b[1] for b in batch))]),
                               rtol=1e-15)


def test_batched_fiedler_and_leslie() -> None:
    a = RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose(linalg.fiedler(a)[1, 2], linalg.fiedler(a[1, 2]))
    f, s = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 2))
    np.testing.assert_allclose(linalg.leslie(f, s)[1], linalg.leslie(f[1], s[1]))


ERRORS: list[tuple[Callable[[], Any], type[Exception], str]] = [
    (lambda: linalg.convolution_matrix(np.ones(3), 0), ValueError, "n must be positive"),
    (lambda: linalg.convolution_matrix(np.ones((2, 2)), 2), ValueError, "1-d"),
    (lambda: linalg.convolution_matrix(np.ones(3), 2, "circular"), ValueError, "mode"),
    (lambda: linalg.dft(3, "half"), ValueError, "scale"),
    (lambda: linalg.hadamard(6), ValueError, "power of 2"),
    (lambda: linalg.invpascal(3, "diagonal"), ValueError, "kind"),
    (lambda: linalg.leslie(np.ones(3), np.ones(3)), ValueError, "length n - 1"),
    (lambda: linalg.fiedler_companion(np.ones((2, 2))), ValueError, "1-d"),
]


@pytest.mark.parametrize("call, error, match", ERRORS)
def test_errors(call: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()
