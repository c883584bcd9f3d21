"""``functrace.numpy.fft``: NumPy's discrete Fourier transforms, traced and differentiable.

Each function is ``numpy.fft``'s, with its ``n``/``s`` (the input cropped or zero-padded to
that length), ``axis``/``axes`` and ``norm`` (``"backward"``, the default, ``"ortho"`` or
``"forward"``), and NumPy's dtypes: real and integer input to ``fft`` is made complex
(float32 and float16 make complex64, others complex128), ``rfft`` takes real input only,
``irfft`` returns the real dtype of its complex input.  All are written on one primitive,
``fft`` (``functrace.primitives.fft``), over the trailing axes: the transformed axes are moved
there and back.  Derivatives follow JAX's convention for complex numbers (see
``docs/autodiff.md``).  ``np.fft.<name>`` on tracers lands here for every name in
``__all__``.

>>> import numpy as np, functrace as ft
>>> from functrace.numpy import fft
>>> ft.jit(fft.rfft)(np.array([1.0, 2.0, 3.0, 4.0]))
array([10.+0.j, -2.+2.j, -2.+0.j])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from functrace.numpy._base import as_operand, aval, convert
from functrace.numpy._elementwise import conjugate, multiply
from functrace.numpy._reductions import normalize_axis
from functrace.numpy._shapes import moveaxis, roll
from functrace.primitives import fft as fft_prim
from functrace.primitives import indexing as ix

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "fftfreq", "rfftfreq", "fftshift", "ifftshift"]

_NORMS = (None, "backward", "ortho", "forward")


def _complex_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """NumPy's: float16/32 and complex64 transform in complex64, the rest in complex128."""
    if dtype in (np.float16, np.float32, np.complex64):
        return np.dtype(np.complex64)
    return np.dtype(np.complex128)


def _real_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    return np.dtype(np.float32) if _complex_dtype(dtype) == np.complex64 else \
        np.dtype(np.float64)


def _resized(a: Any, axis: int, length: int) -> Any:
    """``a`` cropped or zero-padded at the end to ``length`` along ``axis``."""
    n = aval(a).shape[axis]
    if n == length:
        return a
    config = [(0, 0, 0)] * aval(a).ndim
    config[axis] = (0, length - n, 0)
    return ix.pad(a, np.zeros((), aval(a).dtype), config)


def _axes_and_lengths(name: str, a: Any, s: Sequence[int] | None, axes: Sequence[int] | None,
                      inverse_real: bool) -> tuple[list[int], list[int]]:
    shape = aval(a).shape
    if axes is None:
        axes = list(range(aval(a).ndim - (len(s) if s is not None else aval(a).ndim),
                          aval(a).ndim))
    axes = [normalize_axis(ax, aval(a).ndim, name) for ax in axes]
    if s is None:
        s = [shape[ax] for ax in axes]
        if inverse_real and axes:
            s[-1] = 2 * (shape[axes[-1]] - 1)
    s = [int(n) for n in s]
    if len(s) != len(axes):
        raise ValueError(f"{name}: shape and axes have different lengths ({len(s)} and "
                         f"{len(axes)}).")
    for n in s:
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return axes, s


def _transform(name: str, a: Any, s: Sequence[int] | None, axes: Sequence[int] | None,
               norm: str | None, kind: str) -> Any:
    """NumPy's n-dimensional transform ``kind`` (fft, ifft, rfft, irfft) of ``a``."""
    if norm not in _NORMS:
        raise ValueError(f'{name}: invalid norm value {norm!r}; should be "backward", "ortho" '
                         'or "forward".')
    a = as_operand(a)
    dtype = aval(a).dtype
    if axes is not None and not len(axes):
        return a  # no axis to transform: NumPy returns the input as it is
    if kind == "rfft":
        if dtype.kind == "c":
            raise TypeError(f"{name}: the input must be real, got {dtype}.")
        a = convert(a, _real_dtype(dtype))
    else:
        a = convert(a, _complex_dtype(dtype))
    axes, s = _axes_and_lengths(name, a, s, axes, kind == "irfft")
    if not axes:  # a 0-d input
        return a
    if len(set(axes)) != len(axes):
        if kind not in ("fft", "ifft"):
            raise ValueError(f"{name}: repeated axes are not supported.")
        for ax, n in zip(axes, s, strict=True):  # NumPy transforms a repeated axis again
            a = _transform(name, a, [n], [ax], norm, kind)
        return a
    for ax, n in zip(axes, s, strict=True):
        last = ax == axes[-1]
        a = _resized(a, ax, n // 2 + 1 if (kind == "irfft" and last) else n)
    k, nd = len(axes), aval(a).ndim
    trailing = list(range(nd - k, nd))
    out = fft_prim.fft(moveaxis(a, axes, trailing), kind, tuple(s))
    out = moveaxis(out, trailing, axes)
    total = math.prod(s)
    inverse = kind in ("ifft", "irfft")
    if norm == "ortho":
        out = multiply(out, np.asarray(math.sqrt(total) if inverse else 1 / math.sqrt(total),
                                       _real_dtype(aval(out).dtype)))
    elif norm == "forward":
        out = multiply(out, np.asarray(total if inverse else 1 / total,
                                       _real_dtype(aval(out).dtype)))
    if kind == "irfft" and dtype == np.float16:
        out = convert(out, dtype)  # NumPy computes float16 in float32 and returns float16
    return out


def _one(axis: int, n: int | None) -> tuple[list[int] | None, list[int]]:
    return (None if n is None else [n]), [axis]


def fft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None,
        out: None = None) -> Any:
    """``numpy.fft.fft``: the one-dimensional discrete Fourier transform along ``axis``."""
    return _transform("fft", a, *_one(axis, n), norm, "fft")


def ifft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: None = None) -> Any:
    """``numpy.fft.ifft``: the inverse of :func:`fft`."""
    return _transform("ifft", a, *_one(axis, n), norm, "ifft")


def rfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: None = None) -> Any:
    """``numpy.fft.rfft``: :func:`fft` of real input, its ``n // 2 + 1`` non-negative
    frequencies."""
    return _transform("rfft", a, *_one(axis, n), norm, "rfft")


def irfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None,
          out: None = None) -> Any:
    """``numpy.fft.irfft``: the inverse of :func:`rfft`, ``n`` (default ``2 (m - 1)``) real
    values from ``m`` frequencies."""
    return _transform("irfft", a, *_one(axis, n), norm, "irfft")


def fftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
         norm: str | None = None, out: None = None) -> Any:
    """``numpy.fft.fftn``: the transform over ``axes`` (all, by default)."""
    return _transform("fftn", a, s, axes, norm, "fft")


def ifftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None, out: None = None) -> Any:
    """``numpy.fft.ifftn``: the inverse of :func:`fftn`."""
    return _transform("ifftn", a, s, axes, norm, "ifft")


def rfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
          norm: str | None = None, out: None = None) -> Any:
    """``numpy.fft.rfftn``: :func:`fftn` of real input, the last axis halved."""
    return _transform("rfftn", a, s, axes, norm, "rfft")


def irfftn(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None,
           norm: str | None = None, out: None = None) -> Any:
    """``numpy.fft.irfftn``: the inverse of :func:`rfftn`."""
    return _transform("irfftn", a, s, axes, norm, "irfft")


def fft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
         norm: str | None = None, out: None = None) -> Any:
    """``numpy.fft.fft2``: :func:`fftn` over the last two axes."""
    return _transform("fft2", a, s, axes, norm, "fft")


def ifft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None, out: None = None) -> Any:
    """``numpy.fft.ifft2``: :func:`ifftn` over the last two axes."""
    return _transform("ifft2", a, s, axes, norm, "ifft")


def rfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
          norm: str | None = None, out: None = None) -> Any:
    """``numpy.fft.rfft2``: :func:`rfftn` over the last two axes."""
    return _transform("rfft2", a, s, axes, norm, "rfft")


def irfft2(a: Any, s: Sequence[int] | None = None, axes: Sequence[int] = (-2, -1),
           norm: str | None = None, out: None = None) -> Any:
    """``numpy.fft.irfft2``: :func:`irfftn` over the last two axes."""
    return _transform("irfft2", a, s, axes, norm, "irfft")


_SWAPPED_NORM = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def hfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None,
         out: None = None) -> Any:
    """``numpy.fft.hfft``: the transform of a Hermitian-symmetric signal given by its first
    half: ``irfft(conj(a), n)`` with the forward normalisation."""
    if norm not in _NORMS:
        raise ValueError(f"hfft: invalid norm value {norm!r}.")
    return irfft(conjugate(as_operand(a)), n, axis, _SWAPPED_NORM[norm])


def ihfft(a: Any, n: int | None = None, axis: int = -1, norm: str | None = None,
          out: None = None) -> Any:
    """``numpy.fft.ihfft``: the inverse of :func:`hfft`, ``conj(rfft(a, n))`` with the
    inverse normalisation."""
    if norm not in _NORMS:
        raise ValueError(f"ihfft: invalid norm value {norm!r}.")
    return conjugate(rfft(a, n, axis, _SWAPPED_NORM[norm]))


def fftfreq(n: int, d: float = 1.0, device: None = None) -> np.ndarray:
    """``numpy.fft.fftfreq``: the sample frequencies (a constant)."""
    return np.fft.fftfreq(n, d)


def rfftfreq(n: int, d: float = 1.0, device: None = None) -> np.ndarray:
    """``numpy.fft.rfftfreq``: the non-negative sample frequencies (a constant)."""
    return np.fft.rfftfreq(n, d)


def _shift_axes(x: Any, axes: int | Sequence[int] | None) -> list[int]:
    nd = aval(x).ndim
    if axes is None:
        return list(range(nd))
    return [normalize_axis(ax, nd, "fftshift") for ax in ([axes] if isinstance(axes, int)
                                                           else axes)]


def fftshift(x: Any, axes: int | Sequence[int] | None = None) -> Any:
    """``numpy.fft.fftshift``: the zero frequency moved to the centre (a roll by half)."""
    x = as_operand(x)
    ax = _shift_axes(x, axes)
    return roll(x, [aval(x).shape[a] // 2 for a in ax], ax)


def ifftshift(x: Any, axes: int | Sequence[int] | None = None) -> Any:
    """``numpy.fft.ifftshift``: the inverse of :func:`fftshift`."""
    x = as_operand(x)
    ax = _shift_axes(x, axes)
    return roll(x, [-(aval(x).shape[a] // 2) for a in ax], ax)
