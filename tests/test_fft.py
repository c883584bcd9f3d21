"""``functrace.numpy.fft``: NumPy's values and dtypes, every transformation, and derivatives.

The derivative checks are central differences (``check_grads``, in random complex directions
for complex inputs) and closed forms: Parseval's identity and the transposes' conventions
(JAX's, see docs/autodiff.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import functrace as ft
import functrace.numpy as fnp
from functrace.testing import check_grads

RNG = np.random.default_rng(0)
XR = RNG.standard_normal((3, 4, 6))
XC = XR + 1j * RNG.standard_normal((3, 4, 6))

# (name, function name, input, keyword arguments)
CASES: list[tuple[str, str, np.ndarray, dict[str, Any]]] = [
    ("fft", "fft", XC, {}),
    ("fft n=5 (zero-padded)", "fft", XC, {"n": 5}),
    ("fft n=2 axis 0 (cropped)", "fft", XC, {"n": 2, "axis": 0}),
    ("fft of real input", "fft", XR, {}),
    ("ifft ortho", "ifft", XC, {"norm": "ortho"}),
    ("ifft forward", "ifft", XC, {"norm": "forward"}),
    ("rfft", "rfft", XR, {}),
    ("rfft n=7", "rfft", XR, {"n": 7}),
    ("rfft axis 1 ortho", "rfft", XR, {"axis": 1, "norm": "ortho"}),
    ("irfft", "irfft", XC, {}),
    ("irfft n=7", "irfft", XC, {"n": 7}),
    ("irfft n=4 forward", "irfft", XC, {"n": 4, "norm": "forward"}),
    ("fft2", "fft2", XC, {}),
    ("ifft2 s", "ifft2", XC, {"s": (3, 5)}),
    ("fftn", "fftn", XC, {}),
    ("fftn axes", "fftn", XC, {"axes": (0, 2)}),
    ("fftn repeated axis", "fftn", XC, {"axes": (1, 1)}),
    ("ifftn axes ortho", "ifftn", XC, {"axes": (2, 0), "norm": "ortho"}),
    ("rfft2", "rfft2", XR, {}),
    ("irfft2", "irfft2", XC, {}),
    ("rfftn", "rfftn", XR, {}),
    ("rfftn axes", "rfftn", XR, {"axes": (2, 0)}),
    ("irfftn s axes", "irfftn", XC, {"axes": (1, 0), "s": (3, 3)}),
    ("hfft", "hfft", XC, {}),
    ("hfft n ortho", "hfft", XC, {"n": 7, "norm": "ortho"}),
    ("ihfft", "ihfft", XR, {}),
    ("fftshift", "fftshift", XR, {}),
    ("ifftshift axes", "ifftshift", XR, {"axes": (1,)}),
    ("fft float32", "fft", XR.astype(np.float32), {}),
    ("fft float16", "fft", XR.astype(np.float16), {}),
    ("irfft complex64", "irfft", XC.astype(np.complex64), {}),
    ("irfft float16 forward", "irfft", XR.astype(np.float16), {"norm": "forward"}),
    ("hfft float16", "hfft", XR.astype(np.float16), {}),
    ("fftn no axes", "fftn", XR, {"axes": ()}),
    ("ifftn no axes of integers", "ifftn", np.arange(12).reshape(3, 4), {"axes": ()}),
    ("fft of integers", "fft", np.arange(12).reshape(3, 4), {}),
]
IDS = [c[0] for c in CASES]


def _close(got: Any, want: np.ndarray) -> None:
    assert isinstance(got, np.ndarray) and got.dtype == want.dtype and got.shape == want.shape
    tol = {np.float16: 1e-2, np.float32: 1e-4, np.complex64: 1e-4}.get(want.dtype.type, 1e-10)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("what,name,x,kwargs", CASES, ids=IDS)
def test_values_and_dtypes_are_numpys(what: str, name: str, x: np.ndarray,
                                      kwargs: dict[str, Any]) -> None:
    ours, theirs = getattr(fnp.fft, name), getattr(np.fft, name)
    want = theirs(x, **kwargs)
    _close(ours(x, **kwargs), want)
    _close(ft.jit(lambda x: ours(x, **kwargs))(x), want)
    _close(ft.jit(lambda x: theirs(x, **kwargs))(x), want)  # np.fft on a tracer lands here
    _close(ft.vmap(lambda x: ours(x, **kwargs))(np.stack([x, 2 * x])),
           np.stack([want, theirs(2 * x, **kwargs)]))


DIFFERENTIABLE = [c for c in CASES if c[2].dtype in (np.float64, np.complex128)]


@pytest.mark.parametrize("what,name,x,kwargs", DIFFERENTIABLE,
                         ids=[c[0] for c in DIFFERENTIABLE])
def test_derivatives_match_central_differences(what: str, name: str, x: np.ndarray,
                                               kwargs: dict[str, Any]) -> None:
    f = lambda x: getattr(fnp.fft, name)(x, **kwargs)  # noqa: E731
    check_grads(f, (x[:2, :3],), order=2, modes=("fwd", "rev"))
    # The same gradient eagerly, through jit (both placements) and batched.
    loss = lambda x: fnp.sum(fnp.abs(f(x)) ** 2) + fnp.sum(fnp.real(f(x)))  # noqa: E731
    want = ft.grad(loss)(x)
    for g in (ft.jit(ft.grad(loss)), ft.grad(ft.jit(loss))):
        np.testing.assert_allclose(g(x), want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ft.vmap(ft.grad(loss))(x[None])[0], want, rtol=1e-10,
                               atol=1e-10)


def test_parseval_gives_the_gradient_in_closed_form() -> None:
    # sum |fft(x)|^2 = N sum |x|^2, so its gradient is 2 N conj-convention x: 2 N conj(x) for
    # complex x (JAX's convention, as |x|^2's), 2 N x for real x.
    n = XC.shape[-1]
    np.testing.assert_allclose(
        ft.grad(lambda x: fnp.sum(fnp.abs(fnp.fft.fft(x)) ** 2))(XC), 2 * n * np.conj(XC),
        rtol=1e-10)
    np.testing.assert_allclose(
        ft.grad(lambda x: fnp.sum(fnp.abs(fnp.fft.fft(x, norm="ortho")) ** 2))(XR), 2 * XR,
        rtol=1e-10)
    # The round trips are the identity, so their Jacobians are too.
    x = XR[0, 0]
    for round_trip in (lambda x: fnp.fft.irfft(fnp.fft.rfft(x), n=len(x)),
                       lambda x: fnp.real(fnp.fft.ifft(fnp.fft.fft(x)))):
        np.testing.assert_allclose(ft.jacrev(round_trip)(x), np.eye(len(x)), atol=1e-12)
        np.testing.assert_allclose(ft.jacfwd(round_trip)(x), np.eye(len(x)), atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 9), m=st.integers(1, 9), odd=st.booleans(), norm=st.sampled_from(
    [None, "ortho", "forward"]), seed=st.integers(0, 2**16))
def test_real_transforms_of_any_length(n: int, m: int, odd: bool, norm: str | None,
                                       seed: int) -> None:
    # rfft and irfft at every length, cropping and padding (irfft's transpose doubles the
    # mirrored frequencies: all but the first and, for even lengths, the last).
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    length = 2 * m + int(odd)
    _close(ft.jit(lambda x: fnp.fft.rfft(x, n=length, norm=norm))(x),
           np.fft.rfft(x, n=length, norm=norm))
    y = x + 1j * rng.standard_normal(n)
    _close(ft.jit(lambda y: fnp.fft.irfft(y, n=length, norm=norm))(y),
           np.fft.irfft(y, n=length, norm=norm))
    check_grads(lambda x: fnp.fft.rfft(x, n=length, norm=norm), (x,), order=1)
    check_grads(lambda y: fnp.fft.irfft(y, n=length, norm=norm), (y,), order=1)


def test_frequencies_are_numpys_constants() -> None:
    np.testing.assert_array_equal(fnp.fft.fftfreq(5, 0.1), np.fft.fftfreq(5, 0.1))
    np.testing.assert_array_equal(fnp.fft.rfftfreq(6), np.fft.rfftfreq(6))


ERRORS: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("no data points", lambda: fnp.fft.fft(XC, n=0), ValueError, "number of FFT data points"),
    ("bad norm", lambda: fnp.fft.fft(XC, norm="unitary"), ValueError, "norm"),
    ("complex rfft", lambda: ft.jit(fnp.fft.rfft)(XC), TypeError, "real"),
    ("s and axes", lambda: fnp.fft.fftn(XC, s=(2, 3), axes=(0,)), ValueError, "lengths"),
    ("bad axis", lambda: fnp.fft.fft(XC, axis=3), ValueError, "axis"),
]


@pytest.mark.parametrize("what,f,error,match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(what: str, f: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        f()
